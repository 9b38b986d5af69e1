/* SPDX-License-Identifier: Apache-2.0 */
/* PBES2 with PBKDF2-HMAC-SHA-256 and AES-CBC, the encryption of OpenSSL 3's
 * and Java 17's PKCS#12 bags, with the HMAC keys hashed once per derivation
 * instead of once per iteration; the PKCS#12 key derivation (RFC 7292
 * appendix B) and HMAC of a file's MAC with one digest context reused. */

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
#include <openssl/pkcs12.h>
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


/* ---- the PKCS#12 key derivation and the MAC's HMAC ------------------------ */

/* A digest through its low-level functions: no provider is asked, so a
 * MAC is checked before (and without) OpenSSL's digest store is built. */
typedef union md_state {
    SHA_CTX sha1;
    SHA256_CTX sha256;
    SHA512_CTX sha512;
} md_state;

typedef struct md_kind {
    int nid;
    size_t size, block;
    int (*init)(md_state *s);
    int (*update)(md_state *s, const void *data, size_t len);
    int (*final)(unsigned char *out, md_state *s);
} md_kind;

#define MD_KIND_FNS(name, low, field)                                                              \
    static int name##_init(md_state *s) { return low##_Init(&s->field); }                        \
    static int name##_update(md_state *s, const void *d, size_t n)                                 \
    {                                                                                               \
        return low##_Update(&s->field, d, n);                                                       \
    }                                                                                               \
    static int name##_final(unsigned char *out, md_state *s) { return low##_Final(out, &s->field); }

MD_KIND_FNS(md_sha1, SHA1, sha1)
MD_KIND_FNS(md_sha224, SHA224, sha256)
MD_KIND_FNS(md_sha256, SHA256, sha256)
MD_KIND_FNS(md_sha384, SHA384, sha512)
MD_KIND_FNS(md_sha512, SHA512, sha512)

static const md_kind md_kinds[] = {
    {NID_sha1, 20, 64, md_sha1_init, md_sha1_update, md_sha1_final},
    {NID_sha224, 28, 64, md_sha224_init, md_sha224_update, md_sha224_final},
    {NID_sha256, 32, 64, md_sha256_init, md_sha256_update, md_sha256_final},
    {NID_sha384, 48, 128, md_sha384_init, md_sha384_update, md_sha384_final},
    {NID_sha512, 64, 128, md_sha512_init, md_sha512_update, md_sha512_final},
};

#define MD_MAX_BLOCK 128
#define MD_MAX_SIZE 64

static const md_kind *md_kind_of(int nid)
{
    size_t i;
    for (i = 0; i < sizeof md_kinds / sizeof md_kinds[0]; i++)
        if (md_kinds[i].nid == nid)
            return &md_kinds[i];
    return NULL;
}

/* buf (len, a multiple of v) filled with src repeated; nothing when n is 0. */
static void fill_repeated(unsigned char *buf, size_t len, const unsigned char *src, size_t n)
{
    size_t i;
    for (i = 0; n > 0 && i < len; i++)
        buf[i] = src[i % n];
}

int ks_pkcs12_kdf(int md_nid, const unsigned char *pass, size_t passlen, const unsigned char *salt,
                  size_t saltlen, int id, unsigned long iter, unsigned char *out, size_t outlen)
{
    const md_kind *md = md_kind_of(md_nid);
    unsigned char d[MD_MAX_BLOCK], a[MD_MAX_SIZE], b[MD_MAX_BLOCK], *in = NULL;
    size_t v, u, slen, plen, ilen, j, k, n;
    unsigned long r;
    md_state st;
    int rc = -1;

    if (!md || iter < 1 || outlen == 0 || id < 1 || id > 255 || (passlen > 0 && !pass) ||
        (saltlen > 0 && !salt) || saltlen > SIZE_MAX / 4 || passlen > SIZE_MAX / 4)
        return -1;
    v = md->block;
    u = md->size;
    slen = v * ((saltlen + v - 1) / v);
    plen = v * ((passlen + v - 1) / v);
    ilen = slen + plen;
    if (ilen > 0 && !(in = OPENSSL_malloc(ilen)))
        return -1;
    memset(d, id, v);
    fill_repeated(in, slen, salt, saltlen);
    fill_repeated(in + slen, plen, pass, passlen);
    for (;;) {
        if (!md->init(&st) || !md->update(&st, d, v) || (ilen > 0 && !md->update(&st, in, ilen)) ||
            !md->final(a, &st))
            goto done;
        for (r = 1; r < iter; r++)
            if (!md->init(&st) || !md->update(&st, a, u) || !md->final(a, &st))
                goto done;
        n = outlen < u ? outlen : u;
        memcpy(out, a, n);
        out += n;
        outlen -= n;
        if (outlen == 0)
            break;
        /* I_j = (I_j + B + 1) mod 2^(8v), B being A repeated to v bytes. */
        fill_repeated(b, v, a, u);
        for (j = 0; j < ilen; j += v) {
            unsigned int carry = 1;
            for (k = v; k-- > 0;) {
                carry += (unsigned int)in[j + k] + b[k];
                in[j + k] = (unsigned char)carry;
                carry >>= 8;
            }
        }
    }
    rc = 0;
done:
    OPENSSL_cleanse(&st, sizeof st);
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
    if (in)
        OPENSSL_clear_free(in, ilen);
    return rc;
}

/* out (md->size bytes) = HMAC(key, data) with md. */
static int hmac_once(const md_kind *md, const unsigned char *key, size_t keylen, const unsigned char *data,
                     size_t len, unsigned char *out)
{
    unsigned char k[MD_MAX_BLOCK], pad[MD_MAX_BLOCK];
    md_state st;
    size_t i;
    int ok;

    memset(k, 0, sizeof k);
    if (keylen > md->block)
        ok = md->init(&st) && md->update(&st, key, keylen) && md->final(k, &st);
    else
        ok = (memcpy(k, key, keylen), 1);
    for (i = 0; i < md->block; i++)
        pad[i] = (unsigned char)(k[i] ^ 0x36);
    ok = ok && md->init(&st) && md->update(&st, pad, md->block) && md->update(&st, data, len) &&
         md->final(out, &st);
    for (i = 0; i < md->block; i++)
        pad[i] = (unsigned char)(k[i] ^ 0x5c);
    ok = ok && md->init(&st) && md->update(&st, pad, md->block) && md->update(&st, out, md->size) &&
         md->final(out, &st);
    OPENSSL_cleanse(&st, sizeof st);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    return ok ? 0 : -1;
}

int ks_pkcs12_mac(int md_nid, const char *pass, int passlen, const unsigned char *salt, size_t saltlen,
                  unsigned long iter, const unsigned char *data, size_t len, unsigned char *out,
                  size_t *outlen)
{
    const md_kind *md = md_kind_of(md_nid);
    unsigned char key[MD_MAX_SIZE], *uni = NULL;
    int unilen = 0, rc;

    *outlen = 0;
    if (!md || passlen < 0)
        return -1;
    /* The password as PKCS12_verify_mac() makes it a BMPString: with its
     * own converter, so that every quirk (Latin-1 for bytes that are not
     * UTF-8, no terminator for no password) is the same. */
    if (pass && !OPENSSL_utf82uni(pass, passlen, &uni, &unilen)) {
        ERR_clear_error();
        return -1;
    }
    rc = ks_pkcs12_kdf(md_nid, uni, (size_t)unilen, salt, saltlen, PKCS12_MAC_ID, iter, key, md->size);
    if (rc == 0)
        rc = hmac_once(md, key, md->size, data, len, out);
    if (rc == 0)
        *outlen = md->size;
    OPENSSL_cleanse(key, sizeof key);
    if (uni)
        OPENSSL_clear_free(uni, (size_t)unilen);
    return rc;
}

#else /* OpenSSL built without the 3.0 deprecated functions: OpenSSL's own path. */

int ks_pkcs12_kdf(int md_nid, const unsigned char *pass, size_t passlen, const unsigned char *salt,
                  size_t saltlen, int id, unsigned long iter, unsigned char *out, size_t outlen)
{
    (void)md_nid, (void)pass, (void)passlen, (void)salt, (void)saltlen, (void)id, (void)iter, (void)out,
        (void)outlen;
    return -1;
}

int ks_pkcs12_mac(int md_nid, const char *pass, int passlen, const unsigned char *salt, size_t saltlen,
                  unsigned long iter, const unsigned char *data, size_t len, unsigned char *out,
                  size_t *outlen)
{
    (void)md_nid, (void)pass, (void)passlen, (void)salt, (void)saltlen, (void)iter, (void)data, (void)len,
        (void)out;
    *outlen = 0;
    return -1;
}

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
