/* SPDX-License-Identifier: Apache-2.0 */
/* AES-GCM with any IV length and tag length: OpenSSL's GCM for IVs of up
 * to 128 bytes, SP 800-38D's J0 = GHASH(IV) path built from AES-CTR and
 * OpenSSL's GHASH for longer ones (WSO2's symmetric form). */
#include "aes_gcm.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

/* ---- AES-GCM ------------------------------------------------------------ */

static const EVP_CIPHER *gcm_cipher(size_t key_len)
{
    return key_len == 16 ? EVP_aes_128_gcm() : key_len == 24 ? EVP_aes_192_gcm()
                                             : key_len == 32 ? EVP_aes_256_gcm() : NULL;
}

static const EVP_CIPHER *ctr_cipher(size_t key_len)
{
    return key_len == 16 ? EVP_aes_128_ctr() : key_len == 24 ? EVP_aes_192_ctr() : EVP_aes_256_ctr();
}

static int gcm_args(size_t key_len, size_t iv_len, size_t aad_len, size_t len, size_t tag_len)
{
    if (!gcm_cipher(key_len))
        return vault__err(VAULT_EINVAL, "an AES key has 16, 24 or 32 bytes, not %zu", key_len);
    if (iv_len == 0 || iv_len > INT_MAX / 2 || aad_len > INT_MAX / 2 || len > INT_MAX / 2)
        return vault__err(VAULT_EFORMAT, "AES-GCM: bad IV, data or plaintext length");
    if (tag_len < 4 || tag_len > 16)
        return vault__err(VAULT_EFORMAT, "AES-GCM: tag of %zu bytes", tag_len);
    return 0;
}

/* One pass of GCM through OpenSSL (IVs of up to GCM_OPENSSL_IV_MAX bytes).
 * enc: tag is written; else it is checked. */
static int gcm_openssl(int enc, const unsigned char *key, size_t key_len, const unsigned char *iv,
                       size_t iv_len, const unsigned char *aad, size_t aad_len,
                       const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag,
                       size_t tag_len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    unsigned char last[16];
    int n, ok;

    ok = c && EVP_CipherInit_ex(c, gcm_cipher(key_len), NULL, NULL, NULL, enc) > 0 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) > 0 &&
         EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc) > 0 &&
         (aad_len == 0 || EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) > 0) &&
         (len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)len) > 0) &&
         (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, (int)tag_len, tag) > 0) &&
         EVP_CipherFinal_ex(c, last, &n) > 0 &&
         (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, (int)tag_len, tag) > 0);
    EVP_CIPHER_CTX_free(c);
    ERR_clear_error();
    sodium_memzero(last, sizeof last);
    return ok;
}

/* AES-CTR from a 16-byte counter block. */
static int aes_ctr(const unsigned char *key, size_t key_len, const unsigned char *counter,
                   const unsigned char *in, size_t len, unsigned char *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n, ok;

    ok = c && EVP_EncryptInit_ex(c, ctr_cipher(key_len), NULL, key, counter) > 0 &&
         (len == 0 || EVP_EncryptUpdate(c, out, &n, in, (int)len) > 0);
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* GCM counts with inc32 (the low 32 bits wrap) where AES-CTR carries into
 * the upper bits: split the run where the low word wraps. */
static int gcm_ctr(const unsigned char *key, size_t key_len, const unsigned char *counter,
                   const unsigned char *in, size_t len, unsigned char *out)
{
    unsigned char next[16];
    uint64_t low = ((uint64_t)counter[12] << 24) | ((uint64_t)counter[13] << 16) |
                   ((uint64_t)counter[14] << 8) | counter[15];
    uint64_t before = ((uint64_t)1 << 32) - low; /* blocks before the wrap */

    if ((uint64_t)len <= before * 16)
        return aes_ctr(key, key_len, counter, in, len, out);
    memcpy(next, counter, 12);
    memset(next + 12, 0, 4);
    return aes_ctr(key, key_len, counter, in, (size_t)before * 16, out) &&
           aes_ctr(key, key_len, next, in + before * 16, len - (size_t)before * 16,
                   out + before * 16);
}

/*
 * GHASH_H(A, C) without writing GHASH: GCM with the nonce N = 0^96 starts
 * counting at N||2 and tags with GHASH_H(A, C) ^ E_K(N||1), so encrypting
 * C ^ CTR_K(N||2) under N yields the ciphertext C and a tag from which
 * GHASH_H(A, C) follows. E_K(N||1) is the first block of CTR_K(N||1).
 * Streams through a small buffer: no allocation.
 */
static int ghash(const unsigned char *key, size_t key_len, const unsigned char *aad, size_t aad_len,
                 const unsigned char *c, size_t len, unsigned char out[16])
{
    static const unsigned char nonce[12];
    unsigned char ctr1[16] = {0}, ctr2[16] = {0}, e1[16], zero[16] = {0}, p[256], q[256 + 16];
    EVP_CIPHER_CTX *g = EVP_CIPHER_CTX_new(), *x = EVP_CIPHER_CTX_new();
    size_t i, done, take;
    int n, ok;

    ctr1[15] = 1;
    ctr2[15] = 2;
    ok = g && x && EVP_EncryptInit_ex(x, ctr_cipher(key_len), NULL, key, ctr2) > 0 &&
         EVP_EncryptInit_ex(g, gcm_cipher(key_len), NULL, NULL, NULL) > 0 &&
         EVP_CIPHER_CTX_ctrl(g, EVP_CTRL_GCM_SET_IVLEN, (int)sizeof nonce, NULL) > 0 &&
         EVP_EncryptInit_ex(g, NULL, NULL, key, nonce) > 0 &&
         (aad_len == 0 || EVP_EncryptUpdate(g, NULL, &n, aad, (int)aad_len) > 0);
    for (done = 0; ok && done < len; done += take) {
        take = len - done < sizeof p ? len - done : sizeof p;
        ok = EVP_EncryptUpdate(x, p, &n, c + done, (int)take) > 0 &&
             EVP_EncryptUpdate(g, q, &n, p, (int)take) > 0;
    }
    ok = ok && EVP_EncryptFinal_ex(g, q, &n) > 0 &&
         EVP_CIPHER_CTX_ctrl(g, EVP_CTRL_GCM_GET_TAG, 16, out) > 0 &&
         aes_ctr(key, key_len, ctr1, zero, 16, e1);
    for (i = 0; i < 16; i++)
        out[i] ^= e1[i];
    EVP_CIPHER_CTX_free(g);
    EVP_CIPHER_CTX_free(x);
    sodium_memzero(p, sizeof p);
    sodium_memzero(q, sizeof q);
    sodium_memzero(e1, sizeof e1);
    return ok;
}

/* GCM for IVs longer than OpenSSL takes (SP 800-38D: J0 = IV||0^31||1 for
 * 96-bit IVs, else GHASH_H(IV, ""); encryption counts from inc32(J0); the tag is
 * GHASH_H(A, C) ^ E_K(J0)). */
static int gcm_long_iv(int enc, const unsigned char *key, size_t key_len, const unsigned char *iv,
                       size_t iv_len, const unsigned char *aad, size_t aad_len,
                       const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag,
                       size_t tag_len)
{
    unsigned char j0[16], ctr[16], s[16], ej0[16], zero[16] = {0};
    size_t i;
    int ok, carry;

    if (iv_len == 12) {
        memcpy(j0, iv, 12);
        memcpy(j0 + 12, "\0\0\0\1", 4);
        ok = 1;
    } else {
        ok = ghash(key, key_len, NULL, 0, iv, iv_len, j0);
    }
    memcpy(ctr, j0, 16);
    for (i = 15, carry = 1; i >= 12 && carry; i--) {
        ctr[i]++;
        carry = ctr[i] == 0;
    }
    ok = ok && gcm_ctr(key, key_len, ctr, in, len, out) &&
         ghash(key, key_len, aad, aad_len, enc ? out : in, len, s) &&
         aes_ctr(key, key_len, j0, zero, 16, ej0);
    for (i = 0; i < 16; i++)
        s[i] ^= ej0[i];
    if (ok && enc)
        memcpy(tag, s, tag_len);
    else if (ok)
        ok = CRYPTO_memcmp(s, tag, tag_len) == 0;
    sodium_memzero(s, sizeof s);
    sodium_memzero(j0, sizeof j0);
    sodium_memzero(ctr, sizeof ctr);
    sodium_memzero(ej0, sizeof ej0);
    return ok;
}

/* OpenSSL 3 takes GCM IVs of up to 128 bytes, exactly what WSO2 writes;
 * Java takes any length. */
#define GCM_OPENSSL_IV_MAX 128

int wso2_test_gcm_emulate; /* tests: take the long-IV path for every IV */

static int gcm(int enc, const unsigned char *key, size_t key_len, const unsigned char *iv,
               size_t iv_len, const unsigned char *aad, size_t aad_len, const unsigned char *in,
               size_t len, unsigned char *out, unsigned char *tag, size_t tag_len)
{
    if (iv_len <= GCM_OPENSSL_IV_MAX && !wso2_test_gcm_emulate)
        return gcm_openssl(enc, key, key_len, iv, iv_len, aad, aad_len, in, len, out, tag, tag_len);
    return gcm_long_iv(enc, key, key_len, iv, iv_len, aad, aad_len, in, len, out, tag, tag_len);
}

int aes_gcm_encrypt(const unsigned char *key, size_t key_len, const unsigned char *iv, size_t iv_len,
                    const unsigned char *aad, size_t aad_len, const unsigned char *pt, size_t len,
                    unsigned char *ct, unsigned char *tag, size_t tag_len)
{
    int rc = gcm_args(key_len, iv_len, aad_len, len, tag_len);
    if (rc != 0)
        return rc;
    if (!gcm(1, key, key_len, iv, iv_len, aad, aad_len, pt, len, ct, tag, tag_len))
        return vault__err_ssl(VAULT_ERROR, "AES-GCM encryption failed");
    return 0;
}

int aes_gcm_decrypt(const unsigned char *key, size_t key_len, const unsigned char *iv, size_t iv_len,
                    const unsigned char *aad, size_t aad_len, const unsigned char *ct, size_t len,
                    const unsigned char *tag, size_t tag_len, vault_secret **out)
{
    vault_secret *s = NULL;
    unsigned char *p, t[16];
    int rc;

    *out = NULL;
    if ((rc = gcm_args(key_len, iv_len, aad_len, len, tag_len)) != 0)
        return rc;
    if ((rc = vault__secret_alloc(&s, len, &p)) != 0)
        return rc;
    memcpy(t, tag, tag_len);
    if (!gcm(0, key, key_len, iv, iv_len, aad, aad_len, ct, len, p, t, tag_len)) {
        vault_secret_free(s); /* wipes what was decrypted */
        return vault__err(VAULT_EAUTH, "decryption failed (wrong key, or a damaged or tampered value)");
    }
    vault__secret_seal(s);
    *out = s;
    return 0;
}
