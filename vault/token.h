/* SPDX-License-Identifier: Apache-2.0 */
/* Internal contract between the cipher front end (cipher.c) and the value
 * formats (token_native.c, token_wso2.c), and the RSA primitive (rsa.c). */
#ifndef VAULT_TOKEN_H
#define VAULT_TOKEN_H

#include "keystore_internal.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

struct vault_recipient {
    X509 *cert;             /* owned */
    EVP_PKEY *pub;          /* owned reference to the certificate's key */
    unsigned char sha1[20]; /* SHA-1 of the certificate DER (WSO2 "tp") */
    unsigned char sha256[32];
    unsigned char id[32];   /* the native key id: sha256 for RSA, else SHA-256 of the SPKI */
    char key_id[65];        /* lower-case hex of id */
    char thumbprint[65];    /* lower-case hex of sha256 */
};

/* Native recipient stanza types (docs/FORMAT.md 4, 5.6). */
#define NV_TYPE_RSA 0x01
#define NV_TYPE_P256 0x02
#define NV_TYPE_P384 0x03
#define NV_TYPE_P521 0x04
#define NV_TYPE_X25519 0x05
#define NV_TYPE_ED25519 0x06

/* The stanza type (0x02-0x06) of an EC P-256/P-384/P-521, X25519 or
 * Ed25519 key (public or private), 0 for any other key. */
unsigned ec_stanza_type(EVP_PKEY *key);

/* The fixed body length of an EC stanza type, 0 for other types. */
size_t ec_stanza_body_len(unsigned type);

/* "EC P-256", "X25519", ... for messages. */
const char *ec_stanza_name(unsigned type);

/* The key id of such a key: SHA-256 of its canonical SubjectPublicKeyInfo
 * DER (FORMAT.md 5.1). VAULT_EFORMAT for other keys (no error is set). */
int ec_key_id(EVP_PKEY *key, unsigned char id[32]);

/* The body of a stanza wrapping the 32-byte data key to pub (a fresh
 * ephemeral key each call); *body is vault__malloc'ed. */
int ec_wrap(EVP_PKEY *pub, const unsigned char key_id[32], const unsigned char *key,
            unsigned char **body, size_t *body_len);

/* The private-key operation of an EC stanza: its 32-byte data key into a
 * guarded secret. One ECDH with priv (whatever holds it: a token-held key
 * needs only EVP_PKEY_derive). Every failure is VAULT_EAUTH without a
 * message (the caller words it), or VAULT_ENOMEM. */
int ec_unwrap(EVP_PKEY *priv, unsigned type, const unsigned char key_id[32],
              const unsigned char *body, size_t body_len, vault_secret **out);

/* Count one private-key operation (vault__test_private_key_ops). */
void vault__private_key_op(void);

/* RSA with one of the paddings below. Encryption works with any key;
 * decryption needs a private key and counts one private-key operation. */
typedef enum rsa_padding {
    RSA_PAD_PKCS1 = 1,
    RSA_PAD_OAEP_SHA1 = 2,          /* OAEP, SHA-1, MGF1-SHA-1 */
    RSA_PAD_OAEP_SHA256_MGF1SHA1 = 3, /* Java's OAEPWithSHA-256AndMGF1Padding */
    RSA_PAD_OAEP_SHA256 = 4         /* OAEP, SHA-256, MGF1-SHA-256 (native) */
} rsa_padding;

/* Largest plaintext for a key and padding (k - 11, k - 2h - 2). */
size_t rsa_max_plaintext(EVP_PKEY *key, rsa_padding pad);

/* Encrypt in_len bytes; *out (vault__malloc, caller frees) gets the modulus-
 * size ciphertext. label may be NULL. Returns 0, VAULT_EINVAL (too long,
 * message names the limit), VAULT_EFORMAT (not RSA), VAULT_ERROR. */
int rsa_encrypt(EVP_PKEY *key, rsa_padding pad, const unsigned char *label, size_t label_len,
                const unsigned char *in, size_t in_len, unsigned char **out, size_t *out_len);

/* Decrypt into guarded memory. Every failure (bad padding, wrong length,
 * wrong key) is the same VAULT_EAUTH with the same message: no oracle.
 * PKCS#1 v1.5 goes through rsa_decrypt_multi() with implicit rejection: a
 * bad padding is no failure but a synthetic message. */
int rsa_decrypt(EVP_PKEY *key, rsa_padding pad, const unsigned char *label, size_t label_len,
                const unsigned char *in, size_t in_len, vault_secret **out);

/* OAEP with any digest pair (rsa_decrypt covers the three the formats use;
 * this one serves the Wycheproof vectors with SHA-224/384/512). */
int rsa_decrypt_oaep(EVP_PKEY *key, const EVP_MD *md, const EVP_MD *mgf1, const unsigned char *label,
                     size_t label_len, const unsigned char *in, size_t in_len, vault_secret **out);

/* One padding that rsa_decrypt_multi() may find: OAEP with md, mgf1 and
 * label, or PKCS#1 v1.5 type 2 when md is NULL. */
typedef struct rsa_unpad {
    const EVP_MD *md;
    const EVP_MD *mgf1;
    const unsigned char *label;
    size_t label_len;
} rsa_unpad;

/* The candidates of an RSA padding: fills u for pad (label none). */
void rsa_unpad_of(rsa_unpad *u, rsa_padding pad);

/* Decrypt a block whose padding is not recorded with exactly one private-
 * key operation: the block is decrypted without padding, then every
 * candidate's check runs on the result, all of them, without branching on
 * secret data; the first candidate that matches wins and *which gets its
 * index. A PKCS#1 v1.5 candidate uses implicit rejection
 * (draft-irtf-cfrg-rsa-guidance): it matches every block, a bad padding
 * giving a synthetic message derived from the key and the ciphertext, so
 * it must come last. Every failure is the same VAULT_EAUTH as rsa_decrypt's. */
int rsa_decrypt_multi(EVP_PKEY *key, const rsa_unpad *cands, size_t n, const unsigned char *in,
                      size_t in_len, vault_secret **out, size_t *which);

/* Test hook: private-key operations done by this process so far. */
unsigned long vault__test_private_key_ops(void);

/* What a sealer writes: its format and, for the WSO2 RSA forms, its
 * transformation (DEFAULT as it seals: OAEP-SHA1); DEFAULT for the others. */
void cipher_sealer_kind(const vault_sealer *s, vault_format *format, vault_transformation *transformation);

#endif
