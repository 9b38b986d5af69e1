/* RSA encryption and decryption with the paddings the formats use. */
#include "token.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#define DECRYPT_FAILED "decryption failed (wrong key, or a damaged or tampered value)"

static atomic_ulong private_key_ops;

unsigned long vault_test_private_key_ops(void)
{
    return atomic_load(&private_key_ops);
}

void vault_private_key_op(void)
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

/* OpenSSL 3.2 and later answer a bad PKCS#1 v1.5 padding with random bytes
 * (implicit rejection); we need the failure to report VAULT_EAUTH. */
static int no_implicit_rejection(EVP_PKEY_CTX *ctx)
{
#ifdef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
    unsigned int off = 0;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION, &off);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_PKEY_CTX_set_params(ctx, params) > 0;
#else
    (void)ctx;
    return 1;
#endif
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
        return vault_err(VAULT_EINVAL, "unknown RSA padding %d", (int)pad);
    if (!is_rsa(key))
        return vault_err(VAULT_EFORMAT, "the recipient key is %s, not RSA",
                         EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
    max = rsa_max_plaintext(key, pad);
    if (in_len > max)
        return vault_err(VAULT_EINVAL, "value of %zu bytes is too long for one %d-bit RSA block "
                         "(at most %zu bytes with this padding); use the native format, which has "
                         "no length limit", in_len, EVP_PKEY_get_bits(key), max);
    rsa_unpad_of(&u, pad);
    u.label = label;
    u.label_len = label_len;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 || !set_unpad(ctx, &u) ||
        EVP_PKEY_encrypt(ctx, NULL, &n, in, in_len) <= 0) {
        rc = vault_err_ssl(VAULT_ERROR, "RSA encryption failed");
        goto done;
    }
    buf = vault_malloc(n);
    if (!buf) {
        rc = vault_err(VAULT_ENOMEM, "out of memory");
        goto done;
    }
    if (EVP_PKEY_encrypt(ctx, buf, &n, in, in_len) <= 0) {
        rc = vault_err_ssl(VAULT_ERROR, "RSA encryption failed");
        goto done;
    }
    *out = buf;
    *out_len = n;
    buf = NULL;
done:
    vault_free_ptr(buf);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static int not_rsa(EVP_PKEY *key)
{
    return vault_err(VAULT_EKEY, "the key is %s, not RSA",
                     EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
}

/* One private-key operation with padding u (NULL: none) into buf (k
 * bytes); returns 1 when it worked, 0 when not, KS_DEVICE_UNSUPPORTED
 * when the key's token lacks the padding; no OpenSSL error is left queued. */
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
         (u ? set_unpad(ctx, u) && (u->md || no_implicit_rejection(ctx))
            : EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0) &&
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
    buf = vault_secure_malloc((size_t)EVP_PKEY_get_size(key));
    if (!buf)
        return vault_err(VAULT_ENOMEM, "out of memory");
    ok = private_decrypt(key, u, in, in_len, buf, &n);
    if (ok < 0) { /* the token lacks this padding: raw RSA there, the padding checked here */
        size_t which;
        sodium_free(buf);
        return rsa_decrypt_multi(key, u, 1, in, in_len, out, &which);
    }
    /* One error whatever failed: padding, length or key. */
    rc = ok ? vault_secret_new(out, buf, n) : vault_err(VAULT_EAUTH, DECRYPT_FAILED);
    sodium_free(buf);
    return rc;
}

int rsa_decrypt(EVP_PKEY *key, rsa_padding pad, const unsigned char *label, size_t label_len,
                const unsigned char *in, size_t in_len, vault_secret **out)
{
    rsa_unpad u;
    if (bad_padding(pad)) {
        *out = NULL;
        return vault_err(VAULT_EINVAL, "unknown RSA padding %d", (int)pad);
    }
    rsa_unpad_of(&u, pad);
    u.label = label;
    u.label_len = label_len;
    return decrypt_with(key, &u, in, in_len, out);
}

int rsa_decrypt_oaep(EVP_PKEY *key, const EVP_MD *md, const EVP_MD *mgf1, const unsigned char *label,
                     size_t label_len, const unsigned char *in, size_t in_len, vault_secret **out)
{
    rsa_unpad u = {md, mgf1, label, label_len};
    if (!md || !mgf1) {
        *out = NULL;
        return vault_err(VAULT_EINVAL, "rsa_decrypt_oaep: no digest");
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
        return vault_err(VAULT_EINVAL, "rsa_decrypt_multi: 1 to 8 candidates");
    k = (size_t)EVP_PKEY_get_size(key);
    /* The block, then one working copy per candidate. */
    work = vault_secure_malloc(k * (n + 1));
    if (!work)
        return vault_err(VAULT_ENOMEM, "out of memory");
    ok = private_decrypt(key, NULL, in, in_len, work, &got) > 0 && got == k;
    for (i = 0; ok && i < n; i++) {
        unsigned char *w = work + k * (i + 1);
        size_t o, l, good;
        memcpy(w, work, k);
        good = cands[i].md ? oaep_check(w, k, &cands[i], &o, &l, &err) : pkcs1_check(w, k, &o, &l);
        good &= ~taken;
        pick = ct_select(good, i, pick);
        off = ct_select(good, o, off);
        len = ct_select(good, l, len);
        taken |= good;
    }
    ok = ok && !err && taken;
    if (ok)
        src = work + k * (pick + 1) + off;
    rc = ok ? vault_secret_new(out, src, len) : vault_err(VAULT_EAUTH, DECRYPT_FAILED);
    if (rc == 0)
        *which = pick;
    sodium_free(work);
    return rc;
}
