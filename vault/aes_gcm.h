/* SPDX-License-Identifier: Apache-2.0 */
/* AES-GCM (aes_gcm.c): the cipher of WSO2's symmetric form. */
#ifndef VAULT_AES_GCM_H
#define VAULT_AES_GCM_H

#include "internal.h"

#include <stddef.h>

/* AES-GCM with any IV length (1 byte or more) and tag length (4..16);
 * key of 16, 24 or 32 bytes. Decryption failure is VAULT_EAUTH. */
int aes_gcm_encrypt(const unsigned char *key, size_t key_len, const unsigned char *iv, size_t iv_len,
                    const unsigned char *aad, size_t aad_len, const unsigned char *pt, size_t len,
                    unsigned char *ct, unsigned char *tag, size_t tag_len);
int aes_gcm_decrypt(const unsigned char *key, size_t key_len, const unsigned char *iv, size_t iv_len,
                    const unsigned char *aad, size_t aad_len, const unsigned char *ct, size_t len,
                    const unsigned char *tag, size_t tag_len, vault_secret **out);

/* Tests: non-zero makes AES-GCM take its long-IV path (the one for IVs
 * over OpenSSL's 128-byte limit) for every IV. */
extern int wso2_test_gcm_emulate;

#endif
