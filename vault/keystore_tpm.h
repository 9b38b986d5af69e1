/* SPDX-License-Identifier: Apache-2.0 */
/* TPM 2.0 keys as keystores, through OpenSSL 3's tpm2 provider; the
 * private-key operation of their keys runs inside the TPM. */
#ifndef VAULT_KEYSTORE_TPM_H
#define VAULT_KEYSTORE_TPM_H

#include "keystore_internal.h"

/* Whether name is a TPM URI ("tpm2:..."). */
int ks_is_tpm_uri(const char *name);

/* Whether data is a TSS2 PEM key file ("-----BEGIN TSS2 PRIVATE KEY-----"). */
int ks_is_tpm_key(const unsigned char *data, size_t len);

/* Fill ks with the one key its path names: a "tpm2:handle=..." URI (data
 * NULL), or the TSS2 PEM key file whose bytes are data. The key's auth
 * value is the store password, asked for when the key has one. The entry's
 * EVP_PKEY is its public key tied to the TPM (ks_device_decrypt); it has no
 * certificate (vault_keystore_options.cert gives one). Errors name the
 * handle or file, never the auth value. */
int ks_read_tpm(vault_keystore *ks, const unsigned char *data, size_t len);

#endif
