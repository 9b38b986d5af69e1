/* SPDX-License-Identifier: Apache-2.0 */
/* PKCS#11 tokens as keystores (RFC 7512 URIs); the private-key operation
 * of their keys runs inside the token. */
#ifndef VAULT_KEYSTORE_PKCS11_H
#define VAULT_KEYSTORE_PKCS11_H

#include "keystore_internal.h"

/* Whether name is a PKCS#11 URI ("pkcs11:..."). */
int ks_is_pkcs11_uri(const char *name);

/* Fill ks from the token its path names: log in with the store password
 * (the PIN), one entry per matching RSA private key with its certificate.
 * The keys' EVP_PKEYs are public keys tied to the token (ks_device_decrypt).
 * Errors name the URI and token, never the PIN. */
int ks_read_pkcs11(vault_keystore *ks);

#endif
