/* SPDX-License-Identifier: Apache-2.0 */
/* The native value format "vault:v1:" (docs/FORMAT.md): sealing sessions,
 * opening with a memo of unwrapped data keys, and inspection. */
#ifndef VAULT_TOKEN_NATIVE_H
#define VAULT_TOKEN_NATIVE_H

#include "token.h"

/* Non-zero when value starts with the reserved prefix "vault:" (any
 * version: native_open and native_inspect then report an unsupported
 * version rather than letting another format guess). */
int native_is(const char *value);

/* A sealing session: one data key, wrapped once per recipient (RSA-OAEP,
 * or ECDH with a fresh ephemeral key for EC P-256/P-384/P-521, X25519 and
 * Ed25519 keys). The recipients are not kept (only their key ids and
 * wrapped keys). Errors: VAULT_EINVAL (no, too many or duplicate
 * recipients, RSA under 2048 bits), VAULT_EFORMAT (another key type),
 * VAULT_ENOMEM, VAULT_ERROR. */
typedef struct native_sealer native_sealer;
int native_sealer_new(native_sealer **out, const vault_recipient *const *recipients, size_t n);

/* Seal len bytes for the secret alias (NULL means ""); *out gets the text,
 * freed with vault_string_free(). */
int native_seal(native_sealer *s, const char *alias, const void *pt, size_t len, char **out);

/* Wipes the data key. NULL-safe. */
void native_sealer_free(native_sealer *s);

/* Memoised unwrapped data keys, keyed by SHA-256 of the stanza bytes;
 * thread-safe. One cache serves one keystore. */
typedef struct native_cache native_cache;
int native_cache_new(native_cache **out);
void native_cache_free(native_cache *c);

/* Open value for the secret alias (NULL means "") with the private key
 * key_alias of ks. key_alias NULL picks the key entry whose certificate one
 * of the value's stanzas names, else the only key entry. c may be NULL (no
 * memo). The plaintext goes into st (vault__secret_alloc_in), or into a
 * guarded secret of its own when st is NULL.
 * Errors: VAULT_EFORMAT (malformed), VAULT_EKEY (no stanza for our key id;
 * the message names both ids, the keystore and the key alias), VAULT_EAUTH
 * (unwrap, commitment or AEAD failure), keystore errors, VAULT_ENOMEM. */
int native_open(native_cache *c, vault_keystore *ks, const char *key_alias, const char *alias,
                const char *value, vault_store *st, vault_secret **out);

/* Rewrapping: the same values with new recipient stanzas (FORMAT.md 5.4),
 * nonce, commitment and ciphertext kept byte-identical. The data key is
 * recovered with key_alias of ks (NULL: as native_open picks it); each old
 * stanza stays unless replace is set, its key id is in remove (SHA-256 ids)
 * or it is re-added; each of add gets a fresh stanza. add must outlive the
 * rewrapper. Memoised by session: N values of one session cost one unwrap
 * and one wrap per added recipient. Every value is authenticated (under its
 * alias) before it is rewrapped. */
typedef struct native_rewrapper native_rewrapper;
int native_rewrapper_new(native_rewrapper **out, vault_keystore *ks, const char *key_alias,
                         const vault_recipient *const *add, size_t nadd,
                         const unsigned char (*remove)[32], size_t nremove, int replace);
int native_rewrap(native_rewrapper *rw, const char *alias, const char *value, char **out);
void native_rewrapper_free(native_rewrapper *rw);

/* Fill format, algorithm, recipient_count, key_ids (allocated here),
 * ciphertext_bytes (AEAD output with its tag) and plaintext_bytes; the
 * other fields are left alone. Returns 0 or VAULT_EFORMAT / VAULT_ENOMEM. */
int native_inspect(const char *value, vault_value_info *info);

/* Free what native_inspect allocated (key_ids) and reset it. */
void native_info_release(vault_value_info *info);

#endif
