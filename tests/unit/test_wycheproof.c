/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Project Wycheproof vectors against the primitives the value formats use:
 * RSA-OAEP and RSA PKCS#1 v1.5 decryption (rsa.c: OpenSSL's padding checks
 * through rsa_decrypt/rsa_decrypt_oaep, and our own single-operation
 * checks through rsa_decrypt_multi), AES-GCM with any IV length
 * (token_wso2.c), and libsodium's ChaCha20-Poly1305 and XChaCha20-Poly1305
 * (the native format's AEAD).
 *
 * Policy for results:
 * - "valid": must open to exactly msg (and, for the AEADs, sealing msg
 *   with the same key and nonce must give exactly ct and tag).
 * - "invalid": must be rejected, with the one error every RSA failure
 *   gives (same code, same message), except where PKCS#1 v1.5 is allowed:
 *   its decryption uses implicit rejection (SECURITY.md), so an invalid
 *   PKCS#1 v1.5 block "opens" to a synthetic message, which must be the
 *   same on every path and every time, never msg, at most k - 11 bytes;
 *   and under VAULT_TRANSFORM_DEFAULT (a raw WSO2 value may be OAEP-SHA1,
 *   OAEP-SHA256/MGF1-SHA1 or PKCS#1 v1.5) an invalid OAEP block opens as
 *   PKCS#1 v1.5 (flagged legacy). Both are counted and printed; the
 *   explicit OAEP paths must still reject.
 * - "acceptable": the only ones are three rsa_oaep_misc cases flagged
 *   SmallIntegerCiphertext (a ciphertext that is a small integer, made
 *   with a constructed seed and label). RFC 8017 does not forbid them and
 *   the plaintext is well defined, so we require them to open to msg,
 *   exactly as valid cases; any other outcome fails the test.
 * - Nothing is skipped: a case the API cannot express (an AEAD nonce of
 *   another size than the algorithm's) must be rejected by the same
 *   length check the product code applies.
 */
#include "token_wso2.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/err.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

typedef struct counts {
    unsigned valid, invalid, acceptable, ambiguous, implicit;
} counts;

static unsigned char *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex), i;
    unsigned char *out = malloc(n / 2 + 1);
    cr_assert(out && n % 2 == 0, "bad hex in vector");
    for (i = 0; i < n / 2; i++) {
        unsigned v;
        cr_assert(sscanf(hex + 2 * i, "%2x", &v) == 1);
        out[i] = (unsigned char)v;
    }
    *len = n / 2;
    return out;
}

static unsigned char *field(json_t *t, const char *key, size_t *len)
{
    json_t *s = json_object_get(t, key);
    cr_assert(json_is_string(s), "vector without %s", key);
    return unhex(json_string_value(s), len);
}

static json_t *load(const char *name)
{
    char rel[256];
    cr_assert_eq(vault_init(), 0);
    json_error_t err;
    json_t *root;
    snprintf(rel, sizeof rel, "vectors/wycheproof/testvectors_v1/%s", name);
    root = json_load_file(shared_path(rel), 0, &err);
    cr_assert(root != NULL, "%s: %s", rel, err.text);
    return root;
}

static const char *result_of(json_t *t)
{
    return json_string_value(json_object_get(t, "result"));
}

static int tc_id(json_t *t)
{
    return (int)json_integer_value(json_object_get(t, "tcId"));
}

static void report(const char *file, const counts *c, unsigned total)
{
    printf("wycheproof %-40s %4u cases: %u valid passed, %u invalid rejected, %u acceptable "
           "opened, 0 skipped", file, total, c->valid, c->invalid, c->acceptable);
    if (c->ambiguous)
        printf(" (%u invalid OAEP blocks opened as PKCS#1 v1.5 under DEFAULT, flagged legacy: "
               "implicit rejection takes every block no OAEP padding fits; rejected with the "
               "explicit padding)", c->ambiguous);
    if (c->implicit)
        printf(" (%u invalid PKCS#1 v1.5 blocks rejected implicitly: a deterministic synthetic "
               "message, not msg)", c->implicit);
    printf("\n");
    fflush(stdout);
    cr_assert_eq(c->valid + c->invalid + c->acceptable, total, "%s: not every case counted", file);
}

/* ---- RSA ---------------------------------------------------------------- */

static EVP_PKEY *group_key(json_t *g)
{
    size_t len;
    unsigned char *der = field(g, "privateKeyPkcs8", &len);
    const unsigned char *p = der;
    EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)len);
    cr_assert(k != NULL, "cannot read a vector's private key");
    free(der);
    return k;
}

static const EVP_MD *md_named(json_t *g, const char *key)
{
    const char *name = json_string_value(json_object_get(g, key));
    const EVP_MD *md = name ? EVP_get_digestbyname(name) : NULL;
    cr_assert(md != NULL, "unknown digest %s", name ? name : "(none)");
    return md;
}

/* The single failure every RSA path must give. */
static char first_error[512];

static void expect_failure(int rc, const char *what, int id)
{
    const vault_error *e = vault_error_last();
    cr_assert_eq(rc, VAULT_EAUTH, "%s tcId %d: rc %d, expected VAULT_EAUTH", what, id, rc);
    cr_assert(e != NULL);
    if (!first_error[0])
        snprintf(first_error, sizeof first_error, "%s", e->message);
    cr_assert_str_eq(e->message, first_error, "%s tcId %d: a distinguishable error", what, id);
}

static void expect_plaintext(int rc, vault_secret *s, const unsigned char *msg, size_t len,
                             const char *what, int id)
{
    cr_assert_eq(rc, 0, "%s tcId %d: rc %d (%s)", what, id, rc,
                 vault_error_last() ? vault_error_last()->message : "");
    cr_assert_eq(vault_secret_len(s), len, "%s tcId %d: length", what, id);
    cr_assert(len == 0 || memcmp(vault_secret_data(s), msg, len) == 0, "%s tcId %d: plaintext", what, id);
}

/* Which rsa_padding the digests name, or 0 when rsa_decrypt has none. */
static rsa_padding padding_for(const EVP_MD *md, const EVP_MD *mgf1)
{
    int h = EVP_MD_get_type(md), m = EVP_MD_get_type(mgf1);
    if (h == NID_sha1 && m == NID_sha1)
        return RSA_PAD_OAEP_SHA1;
    if (h == NID_sha256 && m == NID_sha1)
        return RSA_PAD_OAEP_SHA256_MGF1SHA1;
    if (h == NID_sha256 && m == NID_sha256)
        return RSA_PAD_OAEP_SHA256;
    return 0;
}

/* DEFAULT's candidates, as token_wso2.c lists them. */
static void wso2_candidates(rsa_unpad c[3])
{
    rsa_unpad_of(&c[0], RSA_PAD_OAEP_SHA1);
    rsa_unpad_of(&c[1], RSA_PAD_OAEP_SHA256_MGF1SHA1);
    rsa_unpad_of(&c[2], RSA_PAD_PKCS1);
}

static void oaep_case(EVP_PKEY *key, const EVP_MD *md, const EVP_MD *mgf1, json_t *t, counts *c)
{
    size_t ct_len, msg_len, label_len, which = 9;
    unsigned char *ct = field(t, "ct", &ct_len), *msg = field(t, "msg", &msg_len);
    unsigned char *label = field(t, "label", &label_len);
    const char *result = result_of(t);
    rsa_padding pad = padding_for(md, mgf1);
    rsa_unpad one = {md, mgf1, label, label_len}, wso2[3];
    vault_secret *a = NULL, *b = NULL, *d = NULL;
    unsigned long ops;
    int id = tc_id(t), ra, rb, rd = -1;
    int opens = strcmp(result, "invalid") != 0;

    ra = pad ? rsa_decrypt(key, pad, label, label_len, ct, ct_len, &a)
             : rsa_decrypt_oaep(key, md, mgf1, label, label_len, ct, ct_len, &a);
    ops = vault__test_private_key_ops();
    rb = rsa_decrypt_multi(key, &one, 1, ct, ct_len, &b, &which);
    cr_assert_eq(vault__test_private_key_ops(), ops + 1, "tcId %d: one private-key operation", id);
    if (opens) {
        expect_plaintext(ra, a, msg, msg_len, "OpenSSL OAEP", id);
        expect_plaintext(rb, b, msg, msg_len, "rsa_decrypt_multi OAEP", id);
        cr_assert_eq(which, 0);
    } else {
        expect_failure(ra, "OpenSSL OAEP", id);
        expect_failure(rb, "rsa_decrypt_multi OAEP", id);
    }
    if ((pad == RSA_PAD_OAEP_SHA1 || pad == RSA_PAD_OAEP_SHA256_MGF1SHA1) && label_len == 0) {
        wso2_candidates(wso2);
        rd = rsa_decrypt_multi(key, wso2, 3, ct, ct_len, &d, &which);
        if (opens) {
            expect_plaintext(rd, d, msg, msg_len, "DEFAULT", id);
            cr_assert_eq(which, pad == RSA_PAD_OAEP_SHA1 ? 0u : 1u, "tcId %d: found %zu", id, which);
        } else if (rd == 0) {
            cr_assert_eq(which, 2u, "tcId %d: an invalid OAEP block opened as OAEP", id);
            c->ambiguous++;
        } else {
            expect_failure(rd, "DEFAULT", id);
        }
    }
    if (strcmp(result, "valid") == 0)
        c->valid++;
    else if (opens)
        c->acceptable++;
    else
        c->invalid++;
    vault_secret_free(a);
    vault_secret_free(b);
    vault_secret_free(d);
    free(ct);
    free(msg);
    free(label);
}

static void pkcs1_case(EVP_PKEY *key, json_t *t, counts *c)
{
    size_t ct_len, msg_len, which = 9;
    unsigned char *ct = field(t, "ct", &ct_len), *msg = field(t, "msg", &msg_len);
    const char *result = result_of(t);
    rsa_unpad one, wso2[3];
    vault_secret *a = NULL, *b = NULL, *d = NULL;
    int id = tc_id(t), ra, rb, rd;

    cr_assert(strcmp(result, "acceptable") != 0, "tcId %d: no policy for acceptable PKCS#1", id);
    rsa_unpad_of(&one, RSA_PAD_PKCS1);
    wso2_candidates(wso2);
    ra = rsa_decrypt(key, RSA_PAD_PKCS1, NULL, 0, ct, ct_len, &a);
    rb = rsa_decrypt_multi(key, &one, 1, ct, ct_len, &b, &which);
    rd = rsa_decrypt_multi(key, wso2, 3, ct, ct_len, &d, &which);
    if (strcmp(result, "valid") == 0) {
        expect_plaintext(ra, a, msg, msg_len, "OpenSSL PKCS#1", id);
        expect_plaintext(rb, b, msg, msg_len, "rsa_decrypt_multi PKCS#1", id);
        expect_plaintext(rd, d, msg, msg_len, "DEFAULT", id);
        cr_assert_eq(which, 2u);
        c->valid++;
    } else if (ra != 0) {
        /* Not k bytes, or not below the modulus: public facts, the one error. */
        expect_failure(ra, "PKCS#1", id);
        expect_failure(rb, "rsa_decrypt_multi PKCS#1", id);
        expect_failure(rd, "DEFAULT", id);
        c->invalid++;
    } else {
        /* Implicit rejection: a synthetic message, the same on every path
         * and every time, never the vector's msg, at most k - 11 bytes.
         * That the synthetic messages are the right ones is judged by
         * OpenSSL 3.2's vectors in test_rsa_implicit.c. */
        vault_secret *again = NULL;
        size_t k = (size_t)EVP_PKEY_get_size(key);
        cr_assert_eq(rb, 0, "tcId %d: %s", id, vault_error_last()->message);
        cr_assert_eq(rd, 0, "tcId %d", id);
        cr_assert_eq(which, 2u);
        cr_assert_eq(rsa_decrypt(key, RSA_PAD_PKCS1, NULL, 0, ct, ct_len, &again), 0);
        cr_assert(vault_secret_len(a) <= k - 11, "tcId %d: synthetic length", id);
        cr_assert(msg_len == 0 || vault_secret_len(a) != msg_len ||
                  memcmp(vault_secret_data(a), msg, msg_len) != 0, "tcId %d: opened to msg", id);
        expect_plaintext(rb, b, vault_secret_data(a), vault_secret_len(a), "multi = rsa_decrypt", id);
        expect_plaintext(rd, d, vault_secret_data(a), vault_secret_len(a), "DEFAULT = rsa_decrypt", id);
        expect_plaintext(0, again, vault_secret_data(a), vault_secret_len(a), "deterministic", id);
        vault_secret_free(again);
        c->invalid++;
        c->implicit++;
    }
    vault_secret_free(a);
    vault_secret_free(b);
    vault_secret_free(d);
    free(ct);
    free(msg);
}

static void rsa_file(const char *name)
{
    json_t *root = load(name), *groups = json_object_get(root, "testGroups"), *g, *t;
    int oaep = strcmp(json_string_value(json_object_get(root, "algorithm")), "RSAES-OAEP") == 0;
    size_t i, j;
    counts c = {0, 0, 0, 0};

    json_array_foreach(groups, i, g) {
        EVP_PKEY *key = group_key(g);
        const EVP_MD *md = oaep ? md_named(g, "sha") : NULL;
        const EVP_MD *mgf1 = oaep ? md_named(g, "mgfSha") : NULL;
        if (oaep)
            cr_assert_str_eq(json_string_value(json_object_get(g, "mgf")), "MGF1");
        json_array_foreach(json_object_get(g, "tests"), j, t) {
            if (oaep)
                oaep_case(key, md, mgf1, t, &c);
            else
                pkcs1_case(key, t, &c);
        }
        EVP_PKEY_free(key);
    }
    report(name, &c, (unsigned)json_integer_value(json_object_get(root, "numberOfTests")));
    json_decref(root);
}

Test(wycheproof, rsa_oaep_2048_sha1_mgf1sha1) { rsa_file("rsa_oaep_2048_sha1_mgf1sha1_test.json"); }
Test(wycheproof, rsa_oaep_2048_sha256_mgf1sha1) { rsa_file("rsa_oaep_2048_sha256_mgf1sha1_test.json"); }
Test(wycheproof, rsa_oaep_2048_sha256_mgf1sha256) { rsa_file("rsa_oaep_2048_sha256_mgf1sha256_test.json"); }
Test(wycheproof, rsa_oaep_3072_sha256_mgf1sha1) { rsa_file("rsa_oaep_3072_sha256_mgf1sha1_test.json"); }
Test(wycheproof, rsa_oaep_3072_sha256_mgf1sha256) { rsa_file("rsa_oaep_3072_sha256_mgf1sha256_test.json"); }
Test(wycheproof, rsa_oaep_4096_sha256_mgf1sha1) { rsa_file("rsa_oaep_4096_sha256_mgf1sha1_test.json"); }
Test(wycheproof, rsa_oaep_4096_sha256_mgf1sha256) { rsa_file("rsa_oaep_4096_sha256_mgf1sha256_test.json"); }
Test(wycheproof, rsa_oaep_misc, .timeout = 120) { rsa_file("rsa_oaep_misc_test.json"); }
Test(wycheproof, rsa_pkcs1_2048) { rsa_file("rsa_pkcs1_2048_test.json"); }
Test(wycheproof, rsa_pkcs1_3072) { rsa_file("rsa_pkcs1_3072_test.json"); }
Test(wycheproof, rsa_pkcs1_4096) { rsa_file("rsa_pkcs1_4096_test.json"); }

/* ---- AEADs -------------------------------------------------------------- */

typedef struct aead_case {
    unsigned char *key, *iv, *aad, *msg, *ct, *tag;
    size_t key_len, iv_len, aad_len, msg_len, ct_len, tag_len;
} aead_case;

static void aead_load(json_t *t, aead_case *a)
{
    a->key = field(t, "key", &a->key_len);
    a->iv = field(t, "iv", &a->iv_len);
    a->aad = field(t, "aad", &a->aad_len);
    a->msg = field(t, "msg", &a->msg_len);
    a->ct = field(t, "ct", &a->ct_len);
    a->tag = field(t, "tag", &a->tag_len);
}

static void aead_free(aead_case *a)
{
    free(a->key);
    free(a->iv);
    free(a->aad);
    free(a->msg);
    free(a->ct);
    free(a->tag);
}

/* emulate: the long-IV path (own J0 and tag from OpenSSL's GCM, CTR and
 * ECB) for every IV, not only those over OpenSSL's 128-byte limit. */
static void gcm_case(json_t *t, counts *c, int emulate)
{
    aead_case a;
    vault_secret *pt = NULL;
    unsigned char *ct, tag[16];
    int id = tc_id(t), rc;

    aead_load(t, &a);
    wso2_test_gcm_emulate = emulate;
    rc = aes_gcm_decrypt(a.key, a.key_len, a.iv, a.iv_len, a.aad, a.aad_len, a.ct, a.ct_len, a.tag,
                         a.tag_len, &pt);
    if (strcmp(result_of(t), "valid") == 0) {
        expect_plaintext(rc, pt, a.msg, a.msg_len, "AES-GCM open", id);
        ct = malloc(a.msg_len + 1);
        cr_assert_eq(aes_gcm_encrypt(a.key, a.key_len, a.iv, a.iv_len, a.aad, a.aad_len, a.msg,
                                     a.msg_len, ct, tag, a.tag_len), 0, "tcId %d: seal", id);
        cr_assert(memcmp(ct, a.ct, a.ct_len) == 0 && memcmp(tag, a.tag, a.tag_len) == 0,
                  "tcId %d: sealed bytes differ", id);
        free(ct);
        c->valid++;
    } else {
        cr_assert_neq(rc, 0, "AES-GCM tcId %d: an invalid case opened", id);
        cr_assert_null(pt);
        c->invalid++;
    }
    wso2_test_gcm_emulate = 0;
    vault_secret_free(pt);
    aead_free(&a);
}

static void gcm_file(int emulate)
{
    json_t *root = load("aes_gcm_test.json"), *g, *t;
    size_t i, j;
    counts c = {0, 0, 0, 0};
    json_array_foreach(json_object_get(root, "testGroups"), i, g)
        json_array_foreach(json_object_get(g, "tests"), j, t)
            gcm_case(t, &c, emulate);
    report(emulate ? "aes_gcm_test.json (long-IV path for all)" : "aes_gcm_test.json", &c,
           (unsigned)json_integer_value(json_object_get(root, "numberOfTests")));
    json_decref(root);
}

Test(wycheproof, aes_gcm) { gcm_file(0); }
Test(wycheproof, aes_gcm_long_iv_path) { gcm_file(1); }

typedef int (*aead_open_fn)(unsigned char *m, unsigned long long *mlen, unsigned char *nsec,
                            const unsigned char *c, unsigned long long clen, const unsigned char *ad,
                            unsigned long long adlen, const unsigned char *npub, const unsigned char *k);
typedef int (*aead_seal_fn)(unsigned char *c, unsigned long long *clen, const unsigned char *m,
                            unsigned long long mlen, const unsigned char *ad, unsigned long long adlen,
                            const unsigned char *nsec, const unsigned char *npub, const unsigned char *k);

typedef struct sodium_aead {
    const char *file;
    size_t key_bytes, nonce_bytes;
    aead_open_fn open;
    aead_seal_fn seal;
} sodium_aead;

/* libsodium takes fixed-size keys and nonces: another size is rejected by
 * the length check, as the native format's parser does. */
static void sodium_case(const sodium_aead *alg, json_t *t, counts *c)
{
    aead_case a;
    unsigned char *in, *out;
    unsigned long long n = 0;
    int id = tc_id(t), rc = -1;

    aead_load(t, &a);
    in = malloc(a.ct_len + a.tag_len + 1);
    out = malloc(a.ct_len + a.tag_len + 1);
    memcpy(in, a.ct, a.ct_len);
    memcpy(in + a.ct_len, a.tag, a.tag_len);
    if (a.key_len == alg->key_bytes && a.iv_len == alg->nonce_bytes && a.tag_len == 16)
        rc = alg->open(out, &n, NULL, in, a.ct_len + a.tag_len, a.aad, a.aad_len, a.iv, a.key);
    if (strcmp(result_of(t), "valid") == 0) {
        cr_assert_eq(rc, 0, "%s tcId %d: did not open", alg->file, id);
        cr_assert(n == a.msg_len && memcmp(out, a.msg, a.msg_len) == 0, "%s tcId %d", alg->file, id);
        cr_assert_eq(alg->seal(out, &n, a.msg, a.msg_len, a.aad, a.aad_len, NULL, a.iv, a.key), 0);
        cr_assert(n == a.ct_len + 16 && memcmp(out, in, (size_t)n) == 0, "%s tcId %d: seal", alg->file, id);
        c->valid++;
    } else {
        cr_assert_neq(rc, 0, "%s tcId %d: an invalid case opened", alg->file, id);
        c->invalid++;
    }
    free(in);
    free(out);
    aead_free(&a);
}

static void sodium_file(const sodium_aead *alg)
{
    json_t *root = load(alg->file), *g, *t;
    size_t i, j;
    counts c = {0, 0, 0, 0};
    cr_assert(sodium_init() >= 0);
    json_array_foreach(json_object_get(root, "testGroups"), i, g)
        json_array_foreach(json_object_get(g, "tests"), j, t)
            sodium_case(alg, t, &c);
    report(alg->file, &c, (unsigned)json_integer_value(json_object_get(root, "numberOfTests")));
    json_decref(root);
}

Test(wycheproof, xchacha20_poly1305)
{
    static const sodium_aead alg = {"xchacha20_poly1305_test.json",
                                    crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
                                    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                    crypto_aead_xchacha20poly1305_ietf_decrypt,
                                    crypto_aead_xchacha20poly1305_ietf_encrypt};
    sodium_file(&alg);
}

Test(wycheproof, chacha20_poly1305)
{
    static const sodium_aead alg = {"chacha20_poly1305_test.json",
                                    crypto_aead_chacha20poly1305_ietf_KEYBYTES,
                                    crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
                                    crypto_aead_chacha20poly1305_ietf_decrypt,
                                    crypto_aead_chacha20poly1305_ietf_encrypt};
    sodium_file(&alg);
}
