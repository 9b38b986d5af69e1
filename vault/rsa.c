/* SPDX-License-Identifier: Apache-2.0 */
/* RSA encryption and decryption with the paddings the formats use. */
#include "token.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#define DECRYPT_FAILED "decryption failed (wrong key, or a damaged or tampered value)"

static atomic_ulong private_key_ops;

unsigned long vault__test_private_key_ops(void)
{
    return atomic_load(&private_key_ops);
}

void vault__private_key_op(void)
{
    atomic_fetch_add(&private_key_ops, 1);
}

static int is_rsa(EVP_PKEY *key)
{
    return EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS");
}

size_t rsa_max_plaintext(EVP_PKEY *key, rsa_padding pad)
{
    size_t k = (size_t)EVP_PKEY_get_size(key);
    size_t over = pad == RSA_PAD_PKCS1 ? 11 : pad == RSA_PAD_OAEP_SHA1 ? 2 * 20 + 2 : 2 * 32 + 2;
    return k > over ? k - over : 0;
}

void rsa_unpad_of(rsa_unpad *u, rsa_padding pad)
{
    memset(u, 0, sizeof *u);
    switch (pad) {
    case RSA_PAD_OAEP_SHA1: u->md = EVP_sha1(); u->mgf1 = EVP_sha1(); break;
    case RSA_PAD_OAEP_SHA256_MGF1SHA1: u->md = EVP_sha256(); u->mgf1 = EVP_sha1(); break;
    case RSA_PAD_OAEP_SHA256: u->md = EVP_sha256(); u->mgf1 = EVP_sha256(); break;
    default: break; /* PKCS#1 v1.5 */
    }
}

static int set_unpad(EVP_PKEY_CTX *ctx, const rsa_unpad *u)
{
    unsigned char *copy;

    if (!u->md)
        return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0;
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, u->md) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, u->mgf1) <= 0)
        return 0;
    if (u->label && u->label_len) {
        if (u->label_len > INT32_MAX)
            return 0;
        /* OpenSSL takes ownership of the label buffer. */
        copy = OPENSSL_memdup(u->label, u->label_len);
        if (!copy || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, copy, (int)u->label_len) <= 0) {
            OPENSSL_free(copy);
            return 0;
        }
    }
    return 1;
}

static int bad_padding(rsa_padding pad)
{
    return pad < RSA_PAD_PKCS1 || pad > RSA_PAD_OAEP_SHA256;
}

int rsa_encrypt(EVP_PKEY *key, rsa_padding pad, const unsigned char *label, size_t label_len,
                const unsigned char *in, size_t in_len, unsigned char **out, size_t *out_len)
{
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *buf = NULL;
    rsa_unpad u;
    size_t n, max;
    int rc = 0;

    *out = NULL;
    if (bad_padding(pad))
        return vault__err(VAULT_EINVAL, "unknown RSA padding %d", (int)pad);
    if (!is_rsa(key))
        return vault__err(VAULT_EFORMAT, "the recipient key is %s, not RSA",
                         EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
    max = rsa_max_plaintext(key, pad);
    if (in_len > max)
        return vault__err(VAULT_EINVAL, "value of %zu bytes is too long for one %d-bit RSA block "
                         "(at most %zu bytes with this padding); use the native format, which has "
                         "no length limit", in_len, EVP_PKEY_get_bits(key), max);
    rsa_unpad_of(&u, pad);
    u.label = label;
    u.label_len = label_len;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 || !set_unpad(ctx, &u) ||
        EVP_PKEY_encrypt(ctx, NULL, &n, in, in_len) <= 0) {
        rc = vault__err_ssl(VAULT_ERROR, "RSA encryption failed");
        goto done;
    }
    buf = vault__malloc(n);
    if (!buf) {
        rc = vault__oom();
        goto done;
    }
    if (EVP_PKEY_encrypt(ctx, buf, &n, in, in_len) <= 0) {
        rc = vault__err_ssl(VAULT_ERROR, "RSA encryption failed");
        goto done;
    }
    *out = buf;
    *out_len = n;
    buf = NULL;
done:
    vault__free_ptr(buf);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static int not_rsa(EVP_PKEY *key)
{
    return vault__err(VAULT_EKEY, "the key is %s, not RSA",
                     EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
}

/* One private-key operation with OAEP padding u (NULL: none) into buf (k
 * bytes); returns 1 when it worked, 0 when not, KS_DEVICE_UNSUPPORTED when
 * the key's token lacks the padding; no OpenSSL error is left queued.
 * PKCS#1 v1.5 never goes through OpenSSL's padding check: OpenSSL 3.0 has
 * no implicit rejection (see pkcs1_implicit()). */
static int private_decrypt(EVP_PKEY *key, const rsa_unpad *u, const unsigned char *in,
                           size_t in_len, unsigned char *buf, size_t *n)
{
    EVP_PKEY_CTX *ctx;
    size_t k = (size_t)EVP_PKEY_get_size(key);
    int ok;

    *n = k;
    /* A key held in a token decrypts there (KS_DEVICE_UNSUPPORTED: < 0). */
    ok = ks_device_decrypt(key, u == NULL, u ? u->md : NULL, u ? u->mgf1 : NULL, u ? u->label : NULL,
                           u ? u->label_len : 0, in, in_len, buf, n);
    if (ok != KS_NOT_DEVICE) {
        if (ok >= 0)
            atomic_fetch_add(&private_key_ops, 1);
        return ok;
    }
    atomic_fetch_add(&private_key_ops, 1);
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    ok = ctx && EVP_PKEY_decrypt_init(ctx) > 0 &&
         (u ? set_unpad(ctx, u) : EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0) &&
         in_len == k && EVP_PKEY_decrypt(ctx, buf, n, in, in_len) > 0;
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static int decrypt_with(EVP_PKEY *key, const rsa_unpad *u, const unsigned char *in, size_t in_len,
                        vault_secret **out)
{
    unsigned char *buf;
    size_t n = 0;
    int ok, rc;

    *out = NULL;
    if (!is_rsa(key))
        return not_rsa(key);
    buf = vault__secure_malloc((size_t)EVP_PKEY_get_size(key));
    if (!buf)
        return vault__oom();
    ok = private_decrypt(key, u, in, in_len, buf, &n);
    if (ok < 0) { /* the token lacks this padding: raw RSA there, the padding checked here */
        size_t which;
        sodium_free(buf);
        return rsa_decrypt_multi(key, u, 1, in, in_len, out, &which);
    }
    /* One error whatever failed: padding, length or key. */
    rc = ok ? vault_secret_new(out, buf, n) : vault__err(VAULT_EAUTH, DECRYPT_FAILED);
    sodium_free(buf);
    return rc;
}

int rsa_decrypt(EVP_PKEY *key, rsa_padding pad, const unsigned char *label, size_t label_len,
                const unsigned char *in, size_t in_len, vault_secret **out)
{
    rsa_unpad u;
    if (bad_padding(pad)) {
        *out = NULL;
        return vault__err(VAULT_EINVAL, "unknown RSA padding %d", (int)pad);
    }
    rsa_unpad_of(&u, pad);
    u.label = label;
    u.label_len = label_len;
    if (pad == RSA_PAD_PKCS1) {
        size_t which;
        return rsa_decrypt_multi(key, &u, 1, in, in_len, out, &which);
    }
    return decrypt_with(key, &u, in, in_len, out);
}

int rsa_decrypt_oaep(EVP_PKEY *key, const EVP_MD *md, const EVP_MD *mgf1, const unsigned char *label,
                     size_t label_len, const unsigned char *in, size_t in_len, vault_secret **out)
{
    rsa_unpad u = {md, mgf1, label, label_len};
    if (!md || !mgf1) {
        *out = NULL;
        return vault__err(VAULT_EINVAL, "rsa_decrypt_oaep: no digest");
    }
    return decrypt_with(key, &u, in, in_len, out);
}

/*
 * Constant-time helpers for rsa_decrypt_multi(): masks are all ones (true)
 * or all zeros (false), and nothing branches on the decrypted bytes until
 * the single decision "some candidate matched".
 */
#define CT_BITS (sizeof(size_t) * 8 - 1)

static size_t ct_is_zero(size_t x)
{
    return (size_t)0 - ((~x & (x - 1)) >> CT_BITS);
}

static size_t ct_eq(size_t a, size_t b)
{
    return ct_is_zero(a ^ b);
}

/* a < b for values below SIZE_MAX / 2. */
static size_t ct_lt(size_t a, size_t b)
{
    return (size_t)0 - ((a - b) >> CT_BITS);
}

static size_t ct_select(size_t mask, size_t a, size_t b)
{
    return (mask & a) | (~mask & b);
}

/* out ^= MGF1(seed) over out_len bytes. */
static int mgf1_xor(unsigned char *out, size_t out_len, const unsigned char *seed, size_t seed_len,
                    const EVP_MD *md)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char h[EVP_MAX_MD_SIZE], cnt[4];
    size_t hl = (size_t)EVP_MD_get_size(md), done = 0, i, take;
    uint32_t counter = 0;
    int ok = c != NULL;

    while (ok && done < out_len) {
        cnt[0] = (unsigned char)(counter >> 24);
        cnt[1] = (unsigned char)(counter >> 16);
        cnt[2] = (unsigned char)(counter >> 8);
        cnt[3] = (unsigned char)counter;
        ok = EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, seed, seed_len) &&
             EVP_DigestUpdate(c, cnt, 4) && EVP_DigestFinal_ex(c, h, NULL);
        take = out_len - done < hl ? out_len - done : hl;
        for (i = 0; ok && i < take; i++)
            out[done + i] ^= h[i];
        done += take;
        counter++;
    }
    sodium_memzero(h, sizeof h);
    EVP_MD_CTX_free(c);
    return ok;
}

/* RFC 8017 7.1.2 step 3 on w (a copy of the k-byte block, unmasked in
 * place). Returns the mask "valid"; *off and *len locate the message. */
static size_t oaep_check(unsigned char *w, size_t k, const rsa_unpad *u, size_t *off, size_t *len,
                         int *err)
{
    unsigned char lhash[EVP_MAX_MD_SIZE];
    size_t h = (size_t)EVP_MD_get_size(u->md), dblen, i, good, found = 0, bad = 0, idx = 0;
    unsigned char *db;

    *off = *len = 0;
    if (k < 2 * h + 2)
        return 0;
    dblen = k - h - 1;
    db = w + 1 + h;
    if (!EVP_Digest(u->label_len ? u->label : (const unsigned char *)"", u->label_len, lhash, NULL,
                    u->md, NULL) ||
        !mgf1_xor(w + 1, h, db, dblen, u->mgf1) || !mgf1_xor(db, dblen, w + 1, h, u->mgf1)) {
        *err = 1;
        return 0;
    }
    good = ct_is_zero(w[0]);
    for (i = 0; i < h; i++)
        bad |= (size_t)(db[i] ^ lhash[i]);
    good &= ct_is_zero(bad);
    bad = 0;
    for (i = h; i < dblen; i++) {
        size_t one = ct_eq(db[i], 1), zero = ct_is_zero(db[i]);
        idx = ct_select(~found & one, i, idx);
        bad |= ~found & ~zero & ~one;
        found |= one;
    }
    good &= found & ~bad;
    *off = 1 + h + idx + 1;
    *len = ct_select(good, dblen - idx - 1, 0);
    return good;
}

/* 8-bit select for the copy of the chosen message. */
static unsigned char ct_select_8(size_t mask, unsigned char a, unsigned char b)
{
    return (unsigned char)((mask & a) | (~mask & b));
}

/* RFC 8017 7.2.2 step 3: 00 02 PS (8 or more non-zero bytes) 00 M. */
static size_t pkcs1_check(const unsigned char *em, size_t k, size_t *off, size_t *len)
{
    size_t i, good, found = 0, idx = 0;

    *off = *len = 0;
    if (k < 11)
        return 0;
    good = ct_is_zero(em[0]) & ct_eq(em[1], 2);
    for (i = 2; i < k; i++) {
        size_t zero = ct_is_zero(em[i]);
        idx = ct_select(~found & zero, i, idx);
        found |= zero;
    }
    good &= found & ~ct_lt(idx, 10);
    *off = idx + 1;
    *len = ct_select(good, k - idx - 1, 0);
    return good;
}

/*
 * Implicit rejection for PKCS#1 v1.5 (draft-irtf-cfrg-rsa-guidance,
 * "Implementation Guidance for the PKCS #1 RSA Encryption Algorithm",
 * section 7; the method OpenSSL 3.2 implements): a block with a bad padding
 * is not an error but decrypts to a synthetic message that only the key
 * holder can compute, the same every time for the same ciphertext. Whether
 * a block was conforming then shows in no result, message or branch: no
 * Bleichenbacher (or Marvin) oracle.
 *
 *   KDK = HMAC-SHA256(SHA-256(d as k big-endian bytes), C)
 *   PRF(label, bits) = HMAC-SHA256(KDK, i || label || bits) for i = 0, 1, ...
 *                      (i and bits 16-bit big-endian), cut to bits / 8 bytes
 *   synthetic message: the last L bytes of PRF("message", 8k), where L is the
 *   last of 128 16-bit values of PRF("length", 2048), each masked to the bit
 *   length of k - 10, that is below k - 10.
 */
static pthread_once_t process_secret_once = PTHREAD_ONCE_INIT;
static unsigned char process_secret[32];

static void make_process_secret(void)
{
    randombytes_buf(process_secret, sizeof process_secret);
}

/* SHA-256 of d, big-endian, k bytes (buf: k bytes of scratch). A key that does not give d out (one
 * held in a token) takes a random secret of this process instead: the
 * synthetic messages are then the same for as long as the process lives. */
static int kdk_key(EVP_PKEY *key, size_t k, unsigned char *buf, unsigned char out[32])
{
    BIGNUM *d = NULL;
    int ok;

    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_D, &d) <= 0 || !d) {
        ERR_clear_error();
        pthread_once(&process_secret_once, make_process_secret);
        memcpy(out, process_secret, 32);
        return 1;
    }
    ok = k <= INT32_MAX && BN_bn2binpad(d, buf, (int)k) == (int)k &&
         EVP_Digest(buf, k, out, NULL, EVP_sha256(), NULL);
    sodium_memzero(buf, k);
    BN_clear_free(d);
    ERR_clear_error();
    return ok;
}

static int hmac_sha256(const unsigned char key[32], const unsigned char *in, size_t in_len,
                       unsigned char out[32])
{
    unsigned int n = 0;
    return HMAC(EVP_sha256(), key, 32, in, in_len, out, &n) != NULL && n == 32;
}

/* out_len bytes of PRF(kdk, label, 8 * out_len). */
static int ir_prf(const unsigned char kdk[32], const char *label, unsigned char *out, size_t out_len)
{
    unsigned char in[2 + 16 + 2], h[32];
    size_t llen = strlen(label), done, take;
    unsigned bits = (unsigned)(out_len * 8), i;
    int ok = out_len * 8 <= 0xffff && llen <= 16;

    memcpy(in + 2, label, llen);
    in[2 + llen] = (unsigned char)(bits >> 8);
    in[2 + llen + 1] = (unsigned char)bits;
    for (i = 0, done = 0; ok && done < out_len; i++, done += take) {
        in[0] = (unsigned char)(i >> 8);
        in[1] = (unsigned char)i;
        ok = hmac_sha256(kdk, in, llen + 4, h);
        take = out_len - done < 32 ? out_len - done : 32;
        memcpy(out + done, h, take);
    }
    sodium_memzero(h, sizeof h);
    return ok;
}

/* The PKCS#1 v1.5 candidate of rsa_decrypt_multi(): em (the k-byte block
 * C decrypts to) becomes, in place, either its message or the synthetic
 * one, both at the tail; *off and *len locate it. syn is k bytes of scratch.
 * Returns the mask "valid" (all ones: every block gives a message) or 0
 * with *err set when a hash failed. */
static size_t pkcs1_implicit(EVP_PKEY *key, const unsigned char *c, unsigned char *em, size_t k,
                             unsigned char *syn, size_t *off, size_t *len, int *err)
{
    unsigned char dh[32], kdk[32], lengths[256];
    size_t i, o, l, good, cand, syn_len = 0, max = k - 10, mask;

    *off = *len = 0;
    if (k < 11 || !kdk_key(key, k, syn, dh) || !hmac_sha256(dh, c, k, kdk) ||
        !ir_prf(kdk, "message", syn, k) || !ir_prf(kdk, "length", lengths, sizeof lengths)) {
        sodium_memzero(dh, sizeof dh);
        sodium_memzero(kdk, sizeof kdk);
        *err = 1;
        return 0;
    }
    mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    for (i = 0; i < sizeof lengths; i += 2) {
        cand = ((size_t)lengths[i] << 8 | lengths[i + 1]) & mask;
        syn_len = ct_select(ct_lt(cand, max), cand, syn_len);
    }
    good = pkcs1_check(em, k, &o, &l);
    l = ct_select(good, l, syn_len);
    for (i = 0; i < k; i++)
        em[i] = ct_select_8(good, em[i], syn[i]);
    *off = k - l;
    *len = l;
    sodium_memzero(dh, sizeof dh);
    sodium_memzero(kdk, sizeof kdk);
    sodium_memzero(lengths, sizeof lengths);
    return ~(size_t)0;
}

int rsa_decrypt_multi(EVP_PKEY *key, const rsa_unpad *cands, size_t n, const unsigned char *in,
                      size_t in_len, vault_secret **out, size_t *which)
{
    unsigned char *work = NULL, *src = NULL;
    size_t k, got = 0, i, taken = 0, pick = 0, off = 0, len = 0;
    int ok, err = 0, rc;

    *out = NULL;
    *which = 0;
    if (!is_rsa(key))
        return not_rsa(key);
    if (n == 0 || n > 8)
        return vault__err(VAULT_EINVAL, "rsa_decrypt_multi: 1 to 8 candidates");
    k = (size_t)EVP_PKEY_get_size(key);
    /* The block, one working copy per candidate, scratch for PKCS#1. */
    work = vault__secure_malloc(k * (n + 2));
    if (!work)
        return vault__oom();
    ok = private_decrypt(key, NULL, in, in_len, work, &got) > 0 && got == k;
    for (i = 0; ok && i < n; i++) {
        unsigned char *w = work + k * (i + 1);
        size_t o, l, good;
        memcpy(w, work, k);
        good = cands[i].md ? oaep_check(w, k, &cands[i], &o, &l, &err)
                           : pkcs1_implicit(key, in, w, k, work + k * (n + 1), &o, &l, &err);
        good &= ~taken;
        pick = ct_select(good, i, pick);
        off = ct_select(good, o, off);
        len = ct_select(good, l, len);
        taken |= good;
    }
    ok = ok && !err && taken;
    if (ok)
        src = work + k * (pick + 1) + off;
    rc = ok ? vault_secret_new(out, src, len) : vault__err(VAULT_EAUTH, DECRYPT_FAILED);
    if (rc == 0)
        *which = pick;
    sodium_free(work);
    return rc;
}
