/* SPDX-License-Identifier: Apache-2.0 */
/* PBES2 with PBKDF2-HMAC-SHA-256 and AES-CBC, the encryption of OpenSSL 3's
 * and Java 17's PKCS#12 bags, with the HMAC keys hashed once per derivation
 * instead of once per iteration. */

/* SHA256_Init/Update/Final are deprecated in OpenSSL 3.0 but kept: they
 * are what makes the loop cheap (no provider context copied per iteration,
 * which costs OpenSSL's own PBKDF2 more than the hashing). */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "keystore_internal.h"

#include <limits.h>
#include <stdint.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <string.h>

#ifndef OPENSSL_NO_DEPRECATED_3_0

#define SHA256_LEN 32
#define SHA256_BLOCK 64

/* HMAC-SHA-256 keyed once: the states after the inner and outer pads. */
typedef struct hmac_pads {
    SHA256_CTX inner, outer;
} hmac_pads;

static void pads_init(hmac_pads *h, const unsigned char *key, size_t keylen)
{
    unsigned char k[SHA256_BLOCK], pad[SHA256_BLOCK];
    size_t i;

    memset(k, 0, sizeof k);
    if (keylen > SHA256_BLOCK)
        SHA256(key, keylen, k);
    else if (keylen > 0)
        memcpy(k, key, keylen);
    for (i = 0; i < SHA256_BLOCK; i++)
        pad[i] = (unsigned char)(k[i] ^ 0x36);
    SHA256_Init(&h->inner);
    SHA256_Update(&h->inner, pad, sizeof pad);
    for (i = 0; i < SHA256_BLOCK; i++)
        pad[i] = (unsigned char)(k[i] ^ 0x5c);
    SHA256_Init(&h->outer);
    SHA256_Update(&h->outer, pad, sizeof pad);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
}

/* out = HMAC(key, a || b), from the pads. */
static void pads_mac(const hmac_pads *h, const unsigned char *a, size_t alen, const unsigned char *b,
                     size_t blen, unsigned char out[SHA256_LEN])
{
    SHA256_CTX c = h->inner;

    SHA256_Update(&c, a, alen);
    if (blen > 0)
        SHA256_Update(&c, b, blen);
    SHA256_Final(out, &c);
    c = h->outer;
    SHA256_Update(&c, out, SHA256_LEN);
    SHA256_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof c);
}

int ks_pbkdf2_sha256(const char *pass, size_t passlen, const unsigned char *salt, size_t saltlen,
                     unsigned long iter, unsigned char *out, size_t outlen)
{
    hmac_pads h;
    unsigned char u[SHA256_LEN], t[SHA256_LEN], index[4];
    unsigned long block, i;
    size_t j, n;

    if (iter < 1 || outlen == 0 || outlen > SHA256_LEN * (size_t)255)
        return -1;
    pads_init(&h, (const unsigned char *)(pass ? pass : ""), pass ? passlen : 0);
    for (block = 1; outlen > 0; block++) {
        index[0] = (unsigned char)(block >> 24);
        index[1] = (unsigned char)(block >> 16);
        index[2] = (unsigned char)(block >> 8);
        index[3] = (unsigned char)block;
        pads_mac(&h, salt, saltlen, index, sizeof index, u);
        memcpy(t, u, sizeof t);
        for (i = 1; i < iter; i++) {
            pads_mac(&h, u, sizeof u, NULL, 0, u);
            for (j = 0; j < SHA256_LEN; j++)
                t[j] ^= u[j];
        }
        n = outlen < SHA256_LEN ? outlen : SHA256_LEN;
        memcpy(out, t, n);
        out += n;
        outlen -= n;
    }
    OPENSSL_cleanse(&h, sizeof h);
    OPENSSL_cleanse(u, sizeof u);
    OPENSSL_cleanse(t, sizeof t);
    return 0;
}

/* The parameters this path takes: PBKDF2 with hmacWithSHA256, a salt given
 * inline, and AES-CBC with an IV of the block size. NULL cipher otherwise. */
typedef struct pbes2_plan {
    EVP_CIPHER *cipher;
    const ASN1_OCTET_STRING *salt, *iv;
    unsigned long iter;
    int keylen;
} pbes2_plan;

static int plan_of(const X509_ALGOR *alg, PBE2PARAM **pbe2, PBKDF2PARAM **kdf, pbes2_plan *p)
{
    const ASN1_TYPE *ivt;
    uint64_t iter = 0, keylen = 0;
    int nid;

    memset(p, 0, sizeof *p);
    if (!alg || OBJ_obj2nid(alg->algorithm) != NID_pbes2)
        return -1;
    *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
    if (!*pbe2 || !(*pbe2)->keyfunc || !(*pbe2)->encryption ||
        OBJ_obj2nid((*pbe2)->keyfunc->algorithm) != NID_id_pbkdf2)
        return -1;
    *kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), (*pbe2)->keyfunc->parameter);
    if (!*kdf || !(*kdf)->salt || (*kdf)->salt->type != V_ASN1_OCTET_STRING || !(*kdf)->prf ||
        OBJ_obj2nid((*kdf)->prf->algorithm) != NID_hmacWithSHA256)
        return -1;
    if (!ASN1_INTEGER_get_uint64(&iter, (*kdf)->iter) || iter < 1 || iter > ULONG_MAX)
        return -1;
    nid = OBJ_obj2nid((*pbe2)->encryption->algorithm);
    if (nid != NID_aes_128_cbc && nid != NID_aes_192_cbc && nid != NID_aes_256_cbc)
        return -1;
    p->cipher = EVP_CIPHER_fetch(NULL, OBJ_nid2sn(nid), NULL);
    if (!p->cipher)
        return -1;
    p->keylen = EVP_CIPHER_get_key_length(p->cipher);
    if ((*kdf)->keylength &&
        (!ASN1_INTEGER_get_uint64(&keylen, (*kdf)->keylength) || keylen != (uint64_t)p->keylen))
        return -1;
    ivt = (*pbe2)->encryption->parameter;
    if (!ivt || ivt->type != V_ASN1_OCTET_STRING ||
        ivt->value.octet_string->length != EVP_CIPHER_get_iv_length(p->cipher))
        return -1;
    p->salt = (*kdf)->salt->value.octet_string;
    p->iv = ivt->value.octet_string;
    p->iter = (unsigned long)iter;
    return 0;
}

int ks_pbes2_decrypt(const X509_ALGOR *alg, const char *pass, int passlen, const unsigned char *in,
                     int inlen, unsigned char **out, int *outlen)
{
    PBE2PARAM *pbe2 = NULL;
    PBKDF2PARAM *kdf = NULL;
    pbes2_plan p = {0};
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char key[EVP_MAX_KEY_LENGTH], *buf = NULL;
    int n = 0, fin = 0, rc = -1;

    *out = NULL;
    *outlen = 0;
    ERR_set_mark();
    if (passlen < 0 || inlen <= 0 || inlen > INT_MAX - EVP_MAX_BLOCK_LENGTH ||
        plan_of(alg, &pbe2, &kdf, &p) != 0)
        goto done;
    if (ks_pbkdf2_sha256(pass, (size_t)passlen, p.salt->data, (size_t)p.salt->length, p.iter, key,
                         (size_t)p.keylen) != 0 ||
        !(ctx = EVP_CIPHER_CTX_new()) || !(buf = OPENSSL_malloc((size_t)inlen + EVP_MAX_BLOCK_LENGTH)) ||
        !EVP_DecryptInit_ex2(ctx, p.cipher, key, p.iv->data, NULL))
        goto done;
    /* A wrong password almost always shows as bad padding here. */
    rc = EVP_DecryptUpdate(ctx, buf, &n, in, inlen) && EVP_DecryptFinal_ex(ctx, buf + n, &fin) ? 1 : 0;
    if (rc == 1) {
        *out = buf;
        *outlen = n + fin;
        buf = NULL;
    }
done:
    if (buf)
        OPENSSL_clear_free(buf, (size_t)inlen + EVP_MAX_BLOCK_LENGTH);
    OPENSSL_cleanse(key, sizeof key);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(p.cipher);
    PBKDF2PARAM_free(kdf);
    PBE2PARAM_free(pbe2);
    ERR_pop_to_mark();
    return rc;
}

#else /* OpenSSL built without the 3.0 deprecated functions: OpenSSL's own path. */

int ks_pbkdf2_sha256(const char *pass, size_t passlen, const unsigned char *salt, size_t saltlen,
                     unsigned long iter, unsigned char *out, size_t outlen)
{
    if (passlen > INT_MAX || saltlen > INT_MAX || iter > INT_MAX || outlen > INT_MAX)
        return -1;
    return PKCS5_PBKDF2_HMAC(pass, (int)passlen, salt, (int)saltlen, (int)iter, EVP_sha256(), (int)outlen,
                             out) ? 0 : -1;
}

int ks_pbes2_decrypt(const X509_ALGOR *alg, const char *pass, int passlen, const unsigned char *in,
                     int inlen, unsigned char **out, int *outlen)
{
    (void)alg, (void)pass, (void)passlen, (void)in, (void)inlen;
    *out = NULL;
    *outlen = 0;
    return -1;
}

#endif
