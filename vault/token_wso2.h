/* SPDX-License-Identifier: Apache-2.0 */
/* The WSO2 value forms (token_wso2.c): one RSA block in base64 ("raw"), the
 * self-contained JSON "holder" {"c","t","tp","tpd"} and the AES-GCM JSON
 * form {"cipherText","iv"}, all byte-compatible with Java's WSO2 tools. */
#ifndef VAULT_TOKEN_WSO2_H
#define VAULT_TOKEN_WSO2_H

#include "token.h"
#include "aes_gcm.h" /* the symmetric form's cipher */

/* WSO2 writes a 128-byte GCM IV and a 128-bit tag. */
#define WSO2_GCM_IV_BYTES 128
#define WSO2_GCM_TAG_BYTES 16

/* Upper bound on a WSO2 value's text, checked before anything is decoded. */
#define WSO2_MAX_VALUE (16u * 1024u * 1024u)

/* A parsed WSO2 value; every buffer is owned (wso2_value_clear frees it). */
typedef struct wso2_value {
    vault_format format;              /* WSO2, WSO2_HOLDER or WSO2_SYMMETRIC */
    vault_transformation transformation; /* holder: from "t"; raw: DEFAULT */
    unsigned char *ct;                /* RSA block, or AES-GCM ciphertext || tag */
    size_t ct_len;
    unsigned char *iv;                /* symmetric only */
    size_t iv_len;
    char thumbprint[65];              /* holder: "tp" upper-case hex, "" when absent */
    const EVP_MD *thumbprint_md;      /* holder: the "tpd" digest, NULL when absent */
} wso2_value;

/* RSA blocks a raw value may hold without a key to say otherwise: keys of
 * 1024 to 8192 bits in steps of 64 (keytool's sizes and every usual one). */
#define WSO2_MIN_BLOCK 128
#define WSO2_MAX_BLOCK 1024
int wso2_plausible_block(size_t len);

/* Keyless judgement of a parsed value (vault_inspect): an RSA block (raw or
 * holder) of an implausible size is VAULT_EFORMAT "not a sealed value". With
 * a key, the key's own size decides instead (wso2_open_rsa). */
int wso2_check_keyless(const wso2_value *v);

/* Whether a raw or holder value (described by info) can be sealed for r:
 * its block is r's modulus size and a holder's thumbprint (SHA-1 or
 * SHA-256) is r's certificate's. 0, or VAULT_EKEY saying why not. */
int wso2_fits_recipient(const vault_recipient *r, const vault_value_info *info);

/* Parse a value's text. Returns 0 or VAULT_EFORMAT (bad base64, bad JSON,
 * unknown key, transformation or digest). */
int wso2_parse(const char *text, wso2_value *v);
void wso2_value_clear(wso2_value *v);

/* Seal to one RSA recipient: raw (holder = 0) or holder form. DEFAULT is
 * OAEP-SHA1. *out is vault__malloc'ed text. */
int wso2_seal_rsa(const vault_recipient *r, vault_transformation t, int holder,
                  const unsigned char *pt, size_t len, char **out);

/* The text of a holder for an RSA block sealed to the certificate whose
 * SHA-1 is sha1, and of a symmetric value: Gson's bytes exactly. */
int wso2_holder_wrap(const unsigned char sha1[20], vault_transformation t, const unsigned char *ct,
                     size_t ct_len, char **out);
int wso2_symmetric_wrap(const unsigned char *ct, size_t ct_len, const unsigned char *iv,
                        size_t iv_len, char **out);

/* Seal with AES-GCM, a random 128-byte IV, as WSO2's SymmetricCipher does. */
int wso2_seal_symmetric(const vault_secret *key, const unsigned char *pt, size_t len, char **out);

/* Open a raw or holder value with a private key. cert_sha1/cert_sha256 are
 * the digests of the key entry's certificate (NULL when it has none): a
 * holder's thumbprint must match, else VAULT_EKEY naming both and `where`
 * (the keystore and alias). t applies to raw values; with DEFAULT, any of
 * the three paddings is accepted with one private-key operation (the two
 * OAEP ones only when allow_pkcs1 is 0). *opened_as receives the padding
 * that opened it (VAULT_TRANSFORM_RSA_PKCS1 for PKCS#1 v1.5,
 * which, with implicit rejection, takes any block that is no OAEP. A
 * holder's own "t" is used as it is: the caller refuses a PKCS#1 v1.5
 * holder it does not allow. *bound is set when the opening proves that key
 * is the one the value was sealed for: an OAEP block (no other key passes
 * its check), or a holder whose thumbprint names the key's certificate. A
 * PKCS#1 v1.5 value without such a thumbprint opens with any key of its
 * size (implicit rejection) and proves nothing. */
int wso2_open_rsa(EVP_PKEY *key, const unsigned char *cert_sha1, const unsigned char *cert_sha256,
                  const char *where, vault_transformation t, int allow_pkcs1, const wso2_value *v,
                  vault_secret **out, vault_transformation *opened_as, int *bound);

/* The rule for sealing again what was opened (rotate; SECURITY.md): a value
 * that opened unproven (PKCS#1 v1.5, no thumbprint of our key) may be sealed
 * again only when key_proven: another value opened by the same key in the
 * same run was bound to it (native, OAEP, a matching holder thumbprint).
 * Else VAULT_EKEY naming path, alias and key_where (keystore and alias). */
int wso2_reseal_allowed(int unproven, int key_proven, const char *path, const char *alias,
                        const char *key_where);

/* Open a symmetric value. */
int wso2_open_symmetric(const vault_secret *key, const wso2_value *v, vault_secret **out);

/* Describe a parsed value for vault_inspect(). A holder's thumbprint is
 * copied to id (65 bytes) and info->key_ids set to ids (one slot), both
 * storage of the caller's that lives as long as info. */
void wso2_describe(const wso2_value *v, vault_value_info *info, char *id, const char **ids);

#endif
