/* SPDX-License-Identifier: Apache-2.0 */
/* The native format (docs/FORMAT.md): round trips, binding, tampering,
 * truncation, canonical text, memoised unwrapping, allocation failures. */
#include "testutil.h"
#include "token_native.h"

#include <criterion/criterion.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* Offsets of the binary layout for one RSA-2048 recipient, from FORMAT.md §4. */
#define OFF_TYPE 3
#define OFF_KEYID 4
#define OFF_BODYLEN 36
#define OFF_BODY 38
#define OFF_COMMIT (OFF_BODY + 256)
#define OFF_NONCE (OFF_COMMIT + 32)
#define OFF_CTLEN (OFF_NONCE + 24)
#define OFF_CT (OFF_CTLEN + 8)

typedef struct kp {
    EVP_PKEY *key;
    X509 *cert;
    char path[4096];     /* key + certificate */
    vault_recipient *r;
    vault_keystore *ks;
    char id[65];         /* SHA-256 of the certificate, by OpenSSL */
} kp;

static X509 *self_signed(EVP_PKEY *key, const char *cn)
{
    X509 *c = X509_new();
    X509_NAME *name = X509_NAME_new();
    cr_assert(c && name);
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), (long)randombytes_uniform(1u << 30) + 1);
    X509_gmtime_adj(X509_getm_notBefore(c), 0);
    X509_gmtime_adj(X509_getm_notAfter(c), 86400L * 365);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(c, name);
    X509_set_issuer_name(c, name);
    X509_set_pubkey(c, key);
    cr_assert(X509_sign(c, key, EVP_sha256()) > 0);
    X509_NAME_free(name);
    return c;
}

static void write_pem(const char *path, EVP_PKEY *key, X509 *cert)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    cr_assert(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1);
    if (cert)
        cr_assert(PEM_write_X509(f, cert) == 1);
    fclose(f);
}

static vault_keystore *load_keystore(const char *path)
{
    vault_keystore *ks = NULL;
    int rc = vault_keystore_open(&ks, path, NULL);
    cr_assert_eq(rc, 0, "%s", rc ? vault_error_last()->message : "");
    return ks;
}

static vault_recipient *recipient_of(X509 *cert)
{
    vault_recipient *r = calloc(1, sizeof *r);
    cr_assert(r != NULL);
    X509_up_ref(cert);
    r->cert = cert;
    r->pub = X509_get_pubkey(cert);
    cr_assert(X509_digest(cert, EVP_sha1(), r->sha1, NULL));
    cr_assert(X509_digest(cert, EVP_sha256(), r->sha256, NULL));
    if (ec_stanza_type(r->pub) == 0)
        memcpy(r->id, r->sha256, 32);
    else
        cr_assert_eq(ec_key_id(r->pub, r->id), 0);
    vault__hex(r->key_id, r->id, 32, 0);
    return r;
}

static void recipient_free(vault_recipient *r)
{
    if (!r)
        return;
    X509_free(r->cert);
    EVP_PKEY_free(r->pub);
    free(r);
}

static void make_kp(kp *k, const char *name, unsigned bits)
{
    unsigned char md[32];
    size_t i;

    memset(k, 0, sizeof *k);
    cr_assert(vault_init() == 0);
    k->key = EVP_RSA_gen(bits);
    cr_assert(k->key != NULL);
    k->cert = self_signed(k->key, name);
    snprintf(k->path, sizeof k->path, "%s/%s.pem", test_tmpdir(), name);
    write_pem(k->path, k->key, k->cert);
    k->ks = load_keystore(k->path);
    k->r = recipient_of(k->cert);
    cr_assert(X509_digest(k->cert, EVP_sha256(), md, NULL));
    for (i = 0; i < 32; i++)
        snprintf(k->id + 2 * i, 3, "%02x", md[i]);
}

static void free_kp(kp *k)
{
    vault_keystore_free(k->ks);
    recipient_free(k->r);
    X509_free(k->cert);
    EVP_PKEY_free(k->key);
}

static char *seal1(kp *k, const char *alias, const void *pt, size_t len)
{
    const vault_recipient *rs[1] = {k->r};
    native_sealer *s = NULL;
    char *out = NULL;
    cr_assert_eq(native_sealer_new(&s, rs, 1), 0, "%s", vault_error_last()->message);
    cr_assert_eq(native_seal(s, alias, pt, len, &out), 0);
    native_sealer_free(s);
    return out;
}

/* Open, and on failure assert that nothing came out. */
static int try_open(native_cache *c, kp *k, const char *alias, const char *value, vault_secret **out)
{
    int rc = native_open(c, k->ks, NULL, alias, value, NULL, out);
    if (rc != 0)
        cr_assert_null(*out, "output on failure %d", rc);
    return rc;
}

static void assert_opens(native_cache *c, kp *k, const char *alias, const char *value,
                         const void *pt, size_t len)
{
    vault_secret *s = NULL;
    int rc = try_open(c, k, alias, value, &s);
    cr_assert_eq(rc, 0, "%s", rc ? vault_error_last()->message : "");
    cr_assert_eq(vault_secret_len(s), len);
    cr_assert(len == 0 || memcmp(vault_secret_data(s), pt, len) == 0);
    vault_secret_free(s);
}

static size_t decode(const char *value, unsigned char **bin)
{
    size_t n = strlen(value), len = 0;
    cr_assert(strncmp(value, "vault:v1:", 9) == 0);
    *bin = malloc(n);
    cr_assert_eq(sodium_base642bin(*bin, n, value + 9, n - 9, NULL, &len, NULL, B64URL), 0);
    return len;
}

static char *encode(const unsigned char *bin, size_t n)
{
    size_t b = sodium_base64_ENCODED_LEN(n, B64URL);
    char *out = malloc(9 + b);
    memcpy(out, "vault:v1:", 9);
    sodium_bin2base64(out + 9, b, bin, n, B64URL);
    return out;
}

static int is_error(int rc)
{
    return rc == VAULT_EAUTH || rc == VAULT_EFORMAT || rc == VAULT_EKEY;
}

/* ---- round trips ------------------------------------------------------ */

Test(native, round_trip_0_1_and_1MiB_bytes)
{
    static const size_t sizes[] = {0, 1, 1024 * 1024};
    unsigned char *pt = malloc(1024 * 1024);
    native_cache *c = NULL;
    size_t i, j;
    kp a;

    make_kp(&a, "a", 2048);
    randombytes_buf(pt, 1024 * 1024);
    cr_assert_eq(native_cache_new(&c), 0);
    for (i = 0; i < 3; i++) {
        char *v = seal1(&a, "db.password", pt, sizes[i]);
        size_t len = strlen(v);
        cr_assert(native_is(v));
        cr_assert(strncmp(v, "vault:v1:", 9) == 0);
        for (j = 9; j < len; j++)
            cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                             v[j]) != NULL, "character %zu", j);
        /* 374 bytes of overhead for one RSA-2048 recipient (FORMAT.md §4). */
        cr_assert_eq(len, 9 + ((374 + sizes[i]) * 4 + 2) / 3);
        assert_opens(c, &a, "db.password", v, pt, sizes[i]);
        assert_opens(NULL, &a, "db.password", v, pt, sizes[i]);
        vault_string_free(v);
    }
    native_cache_free(c);
    free(pt);
    free_kp(&a);
}

Test(native, null_alias_is_the_empty_alias)
{
    kp a;
    char *v;
    vault_secret *s = NULL;

    make_kp(&a, "a", 2048);
    v = seal1(&a, NULL, "x", 1);
    assert_opens(NULL, &a, "", v, "x", 1);
    cr_assert_eq(try_open(NULL, &a, "x", v, &s), VAULT_EAUTH);
    vault_string_free(v);
    free_kp(&a);
}

Test(native, is_native)
{
    cr_assert(native_is("vault:v1:AAAA"));
    cr_assert(native_is("vault:v9:"));
    cr_assert(!native_is("Vault:v1:AAAA"));
    cr_assert(!native_is("dmF1bHQ6"));
    cr_assert(!native_is(""));
    cr_assert(!native_is(NULL));
}

/* ---- binding ---------------------------------------------------------- */

Test(native, wrong_alias_does_not_authenticate)
{
    vault_secret *s = NULL;
    char *v;
    kp a;

    make_kp(&a, "a", 2048);
    v = seal1(&a, "db.password", "hunter2", 7);
    cr_assert_eq(try_open(NULL, &a, "db.Password", v, &s), VAULT_EAUTH);
    cr_assert_str_eq(vault_error_last()->message, "value of alias \"db.Password\" does not "
                     "authenticate (tampered, or sealed for another alias)");
    cr_assert_eq(try_open(NULL, &a, "db.password ", v, &s), VAULT_EAUTH);
    cr_assert_eq(try_open(NULL, &a, "", v, &s), VAULT_EAUTH);
    assert_opens(NULL, &a, "db.password", v, "hunter2", 7);
    vault_string_free(v);
    free_kp(&a);
}

Test(native, wrong_keystore_names_both_key_ids)
{
    vault_secret *s = NULL;
    unsigned long before;
    const char *msg;
    char *v;
    kp a, b;

    make_kp(&a, "a", 2048);
    make_kp(&b, "b", 2048);
    v = seal1(&a, "db.password", "hunter2", 7);
    before = vault__test_private_key_ops();
    cr_assert_eq(try_open(NULL, &b, "db.password", v, &s), VAULT_EKEY);
    cr_assert_eq(vault__test_private_key_ops(), before, "no private-key operation for a wrong key");
    msg = vault_error_last()->message;
    cr_assert(strstr(msg, a.id) != NULL, "%s", msg);
    cr_assert(strstr(msg, b.id) != NULL, "%s", msg);
    cr_assert(strstr(msg, b.path) != NULL, "%s", msg);
    cr_assert(strstr(msg, "\"db.password\"") != NULL, "%s", msg);
    cr_assert(strstr(msg, "sealed for key(s) ") != NULL, "%s", msg);
    vault_string_free(v);
    free_kp(&a);
    free_kp(&b);
}

Test(native, two_recipients_each_open)
{
    const vault_recipient *rs[2];
    native_sealer *s = NULL;
    vault_value_info info;
    char *v = NULL;
    kp a, b, c;

    make_kp(&a, "prod", 2048);
    make_kp(&b, "dr", 3072);
    make_kp(&c, "other", 2048);
    rs[0] = a.r;
    rs[1] = b.r;
    cr_assert_eq(native_sealer_new(&s, rs, 2), 0);
    cr_assert_eq(native_seal(s, "api.key", "s3cr3t", 6, &v), 0);
    assert_opens(NULL, &a, "api.key", v, "s3cr3t", 6);
    assert_opens(NULL, &b, "api.key", v, "s3cr3t", 6);
    {
        vault_secret *out = NULL;
        cr_assert_eq(try_open(NULL, &c, "api.key", v, &out), VAULT_EKEY);
        cr_assert(strstr(vault_error_last()->message, a.id) != NULL);
        cr_assert(strstr(vault_error_last()->message, b.id) != NULL);
        cr_assert(strstr(vault_error_last()->message, c.id) != NULL);
    }
    memset(&info, 0, sizeof info);
    cr_assert_eq(native_inspect(v, &info), 0);
    cr_assert_eq(info.recipient_count, 2);
    cr_assert_str_eq(info.key_ids[0], a.id);
    cr_assert_str_eq(info.key_ids[1], b.id);
    cr_assert_eq(info.plaintext_bytes, 6);
    cr_assert_eq(info.ciphertext_bytes, 22);
    native_info_release(&info);
    cr_assert_null(info.key_ids);
    vault_string_free(v);
    native_sealer_free(s);
    free_kp(&a);
    free_kp(&b);
    free_kp(&c);
}

Test(native, inspect_matches_openssl_fingerprint)
{
    vault_value_info info;
    unsigned char *out = NULL;
    size_t n, i, j = 0;
    char cmd[4300], want[65];
    char *v;
    kp a;

    make_kp(&a, "a", 2048);
    v = seal1(&a, "x", "hello", 5);
    snprintf(cmd, sizeof cmd, "openssl x509 -in '%s' -noout -fingerprint -sha256", a.path);
    cr_assert_eq(run_capture(cmd, &out, &n), 0);
    /* "sha256 Fingerprint=AB:CD:..." */
    for (i = (size_t)(strchr((char *)out, '=') - (char *)out) + 1; i < n && j < 64; i++)
        if (out[i] != ':' && out[i] != '\n')
            want[j++] = (char)(out[i] >= 'A' && out[i] <= 'F' ? out[i] + 32 : out[i]);
    want[j] = '\0';
    memset(&info, 0, sizeof info);
    cr_assert_eq(native_inspect(v, &info), 0);
    cr_assert_eq(info.format, VAULT_FORMAT_NATIVE);
    cr_assert_str_eq(info.algorithm, "RSA-OAEP-SHA256+XChaCha20-Poly1305");
    cr_assert_eq(info.recipient_count, 1);
    cr_assert_str_eq(info.key_ids[0], want);
    cr_assert_eq(info.plaintext_bytes, 5);
    cr_assert_eq(info.ciphertext_bytes, 21);
    native_info_release(&info);
    native_info_release(NULL);
    free(out);
    vault_string_free(v);
    free_kp(&a);
}

/* ---- one private-key operation per session ---------------------------- */

Test(native, thousand_values_one_private_key_operation)
{
    const vault_recipient *rs[1];
    native_sealer *s = NULL;
    native_cache *c = NULL;
    char *v[1000], alias[32], pt[32];
    unsigned char *b0, *bi;
    size_t i, n0, ni;
    unsigned long before;
    kp a;

    make_kp(&a, "a", 2048);
    rs[0] = a.r;
    cr_assert_eq(native_sealer_new(&s, rs, 1), 0);
    before = vault__test_private_key_ops();
    for (i = 0; i < 1000; i++) {
        snprintf(alias, sizeof alias, "secret.%zu", i);
        snprintf(pt, sizeof pt, "value number %zu", i);
        cr_assert_eq(native_seal(s, alias, pt, strlen(pt), &v[i]), 0);
    }
    cr_assert_eq(vault__test_private_key_ops(), before, "sealing uses no private key");
    /* One session: byte-identical headers, distinct nonces. */
    n0 = decode(v[0], &b0);
    ni = decode(v[1], &bi);
    cr_assert_eq(memcmp(b0, bi, OFF_NONCE), 0);
    cr_assert_neq(memcmp(b0 + OFF_NONCE, bi + OFF_NONCE, 24), 0);
    free(b0);
    free(bi);
    (void)n0;
    (void)ni;
    cr_assert_eq(native_cache_new(&c), 0);
    for (i = 0; i < 1000; i++) {
        snprintf(alias, sizeof alias, "secret.%zu", i);
        snprintf(pt, sizeof pt, "value number %zu", i);
        assert_opens(c, &a, alias, v[i], pt, strlen(pt));
    }
    cr_assert_eq(vault__test_private_key_ops() - before, 1);
    for (i = 0; i < 1000; i++)
        vault_string_free(v[i]);
    native_cache_free(c);
    native_sealer_free(s);
    free_kp(&a);
}

Test(native, two_sessions_cost_two_and_no_cache_costs_each)
{
    native_cache *c = NULL;
    unsigned long before;
    char *v[4];
    size_t i;
    kp a;

    make_kp(&a, "a", 2048);
    v[0] = seal1(&a, "x", "one", 3);
    v[1] = seal1(&a, "x", "two", 3);
    v[2] = seal1(&a, "x", "one", 3);
    v[3] = seal1(&a, "x", "two", 3);
    cr_assert_eq(native_cache_new(&c), 0);
    before = vault__test_private_key_ops();
    for (i = 0; i < 4; i++)
        assert_opens(c, &a, "x", v[i], i % 2 ? "two" : "one", 3);
    cr_assert_eq(vault__test_private_key_ops() - before, 4, "four sessions");
    for (i = 0; i < 4; i++)
        assert_opens(c, &a, "x", v[i], i % 2 ? "two" : "one", 3);
    cr_assert_eq(vault__test_private_key_ops() - before, 4, "all remembered");
    before = vault__test_private_key_ops();
    for (i = 0; i < 4; i++)
        assert_opens(NULL, &a, "x", v[i], i % 2 ? "two" : "one", 3);
    cr_assert_eq(vault__test_private_key_ops() - before, 4, "no cache, one each");
    for (i = 0; i < 4; i++)
        vault_string_free(v[i]);
    native_cache_free(c);
    free_kp(&a);
}

Test(native, cache_grows_past_its_first_table)
{
    native_cache *c = NULL;
    unsigned long before;
    char *v[40], pt[8];
    size_t i, pass;
    kp a;

    make_kp(&a, "a", 2048);
    for (i = 0; i < 40; i++) {
        snprintf(pt, sizeof pt, "v%zu", i);
        v[i] = seal1(&a, "k", pt, strlen(pt));
    }
    cr_assert_eq(native_cache_new(&c), 0);
    before = vault__test_private_key_ops();
    for (pass = 0; pass < 3; pass++)
        for (i = 0; i < 40; i++) {
            snprintf(pt, sizeof pt, "v%zu", i);
            assert_opens(c, &a, "k", v[i], pt, strlen(pt));
        }
    cr_assert_eq(vault__test_private_key_ops() - before, 40);
    for (i = 0; i < 40; i++)
        vault_string_free(v[i]);
    native_cache_free(c);
    free_kp(&a);
}

typedef struct worker {
    native_cache *c;
    kp *k;
    char **v;
    size_t from, to;
    int failures;
} worker;

static void *open_range(void *arg)
{
    worker *w = arg;
    char alias[32], pt[32];
    size_t i;
    for (i = w->from; i < w->to; i++) {
        vault_secret *s = NULL;
        snprintf(alias, sizeof alias, "s.%zu", i);
        snprintf(pt, sizeof pt, "secret %zu", i);
        if (native_open(w->c, w->k->ks, NULL, alias, w->v[i], NULL, &s) != 0 ||
            vault_secret_len(s) != strlen(pt) || memcmp(vault_secret_data(s), pt, strlen(pt)) != 0)
            w->failures++;
        vault_secret_free(s);
    }
    return NULL;
}

Test(native, threads_share_one_cache)
{
    const vault_recipient *rs[1];
    native_sealer *s = NULL;
    native_cache *c = NULL;
    pthread_t t[4];
    worker w[4];
    char *v[400], alias[32], pt[32];
    unsigned long before;
    size_t i;
    kp a;

    make_kp(&a, "a", 2048);
    rs[0] = a.r;
    cr_assert_eq(native_sealer_new(&s, rs, 1), 0);
    for (i = 0; i < 400; i++) {
        snprintf(alias, sizeof alias, "s.%zu", i);
        snprintf(pt, sizeof pt, "secret %zu", i);
        cr_assert_eq(native_seal(s, alias, pt, strlen(pt), &v[i]), 0);
    }
    cr_assert_eq(native_cache_new(&c), 0);
    before = vault__test_private_key_ops();
    for (i = 0; i < 4; i++) {
        w[i] = (worker){c, &a, v, i * 100, i * 100 + 100, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, open_range, &w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(w[i].failures, 0);
    }
    cr_assert(vault__test_private_key_ops() - before >= 1 && vault__test_private_key_ops() - before <= 4);
    for (i = 0; i < 400; i++)
        vault_string_free(v[i]);
    native_cache_free(c);
    native_sealer_free(s);
    free_kp(&a);
}

/* ---- tampering -------------------------------------------------------- */

/* The error FORMAT.md says each byte of a one-recipient value gives. */
static int expected_for_byte(size_t i)
{
    if (i < OFF_KEYID)
        return VAULT_EFORMAT; /* version, aead, count, type */
    if (i < OFF_BODYLEN)
        return VAULT_EKEY;    /* key id: no stanza for our key */
    if (i < OFF_BODY)
        return VAULT_EFORMAT; /* body length */
    if (i < OFF_CTLEN)
        return VAULT_EAUTH;   /* wrapped key, commitment, nonce */
    if (i < OFF_CT)
        return VAULT_EFORMAT; /* ciphertext length */
    return VAULT_EAUTH;       /* ciphertext and tag */
}

Test(native, flip_every_byte_of_the_binary)
{
    native_cache *c = NULL;
    unsigned char *bin;
    size_t n, i;
    char *v;
    kp a;

    make_kp(&a, "a", 2048);
    v = seal1(&a, "db.password", "hunter2", 7);
    n = decode(v, &bin);
    cr_assert_eq(n, 374 + 7);
    cr_assert_eq(native_cache_new(&c), 0);
    assert_opens(c, &a, "db.password", v, "hunter2", 7); /* warm cache: must not mask tampering */
    for (i = 0; i < n; i++) {
        vault_secret *s = NULL;
        char *t;
        int rc;
        bin[i] ^= (unsigned char)(1u << (i % 8));
        t = encode(bin, n);
        rc = try_open(c, &a, "db.password", t, &s);
        cr_assert_eq(rc, expected_for_byte(i), "byte %zu: got %d (%s)", i, rc,
                     vault_error_last() ? vault_error_last()->message : "");
        bin[i] ^= (unsigned char)(1u << (i % 8));
        free(t);
    }
    native_cache_free(c);
    free(bin);
    vault_string_free(v);
    free_kp(&a);
}

Test(native, change_every_character_of_the_text)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    native_cache *c = NULL;
    size_t n, i;
    char *v;
    kp a;

    make_kp(&a, "a", 2048);
    v = seal1(&a, "db.password", "hunter2", 7);
    n = strlen(v);
    cr_assert_eq(native_cache_new(&c), 0);
    for (i = 0; i < n; i++) {
        char saved = v[i];
        int variant;
        for (variant = 0; variant < 2; variant++) {
            vault_secret *s = NULL;
            int rc;
            if (variant == 0 && i >= 9)
                v[i] = alphabet[(strchr(alphabet, saved) - alphabet + 1) % 64]; /* still base64url */
            else
                v[i] = (char)(saved ^ 0x20);
            rc = try_open(c, &a, "db.password", v, &s);
            cr_assert(is_error(rc), "position %zu variant %d: %d", i, variant, rc);
            v[i] = saved;
        }
    }
    assert_opens(c, &a, "db.password", v, "hunter2", 7);
    native_cache_free(c);
    vault_string_free(v);
    free_kp(&a);
}

Test(native, every_truncation_is_malformed)
{
    unsigned char *bin;
    size_t n, i, len;
    char *v;
    kp a;

    make_kp(&a, "a", 2048);
    v = seal1(&a, "db.password", "hunter2", 7);
    len = strlen(v);
    for (i = 0; i < len; i++) {
        vault_secret *s = NULL;
        char saved = v[i];
        v[i] = '\0';
        cr_assert_eq(try_open(NULL, &a, "db.password", v, &s), VAULT_EFORMAT, "text cut at %zu", i);
        v[i] = saved;
    }
    n = decode(v, &bin);
    for (i = 0; i < n; i++) {
        vault_secret *s = NULL;
        char *t = encode(bin, i);
        cr_assert_eq(try_open(NULL, &a, "db.password", t, &s), VAULT_EFORMAT, "binary cut at %zu", i);
        free(t);
    }
    {   /* and one byte too many */
        vault_secret *s = NULL;
        unsigned char *longer = malloc(n + 1);
        char *t;
        memcpy(longer, bin, n);
        longer[n] = 0;
        t = encode(longer, n + 1);
        cr_assert_eq(try_open(NULL, &a, "db.password", t, &s), VAULT_EFORMAT);
        cr_assert(strstr(vault_error_last()->message, "trailing") != NULL);
        free(t);
        free(longer);
    }
    free(bin);
    vault_string_free(v);
    free_kp(&a);
}

Test(native, non_canonical_text_is_rejected)
{
    vault_secret *s = NULL;
    size_t len, i;
    char *v, *t;
    kp a;
    static const char *inserts[] = {"=", " ", "\n", "\t", "\r\n", "+", "/", ".", "\xc3\xa9"};

    make_kp(&a, "a", 2048);
    v = seal1(&a, "db.password", "hunter2", 7);
    len = strlen(v);
    t = malloc(len + 8);
    /* 380 bytes encode to 507 characters (3 mod 4: two unused bits in the
     * last one), 382 bytes to 510 (2 mod 4: four unused bits). */
    {
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        static const size_t pt_len[2] = {6, 8}, unused[2] = {3, 15};
        size_t k;
        for (k = 0; k < 2; k++) {
            char *w = seal1(&a, "db.password", "12345678", pt_len[k]);
            size_t wl = strlen(w), val = (size_t)(strchr(alphabet, w[wl - 1]) - alphabet);
            cr_assert_eq(wl, 9 + (k == 0 ? 507 : 510));
            cr_assert_eq(val & unused[k], 0, "canonical output");
            for (i = 1; i <= unused[k]; i++) {
                strcpy(t, w);
                t[wl - 1] = alphabet[val | i];
                cr_assert_eq(try_open(NULL, &a, "db.password", t, &s), VAULT_EFORMAT);
                cr_assert(strstr(vault_error_last()->message, "non-canonical") != NULL, "%s",
                          vault_error_last()->message);
            }
            assert_opens(NULL, &a, "db.password", w, "12345678", pt_len[k]);
            vault_string_free(w);
        }
    }
    for (i = 0; i < sizeof inserts / sizeof inserts[0]; i++) {
        size_t at;
        for (at = 9; at <= len; at += len - 9 > 100 ? 97 : 1) {
            size_t k = strlen(inserts[i]);
            memcpy(t, v, at);
            memcpy(t + at, inserts[i], k);
            strcpy(t + at + k, v + at);
            cr_assert_eq(try_open(NULL, &a, "db.password", t, &s), VAULT_EFORMAT, "insert %zu at %zu",
                         i, at);
            /* the message says what is wrong without echoing the value */
            cr_assert(strstr(vault_error_last()->message, v + len - 12) == NULL);
        }
        /* at the very end */
        snprintf(t, len + 8, "%s%s", v, inserts[i]);
        cr_assert_eq(try_open(NULL, &a, "db.password", t, &s), VAULT_EFORMAT);
    }
    snprintf(t, len + 8, " %s", v);
    cr_assert_eq(try_open(NULL, &a, "db.password", t, &s), VAULT_EFORMAT);
    snprintf(t, len + 8, "VAULT:v1:%s", v + 9);
    cr_assert_eq(try_open(NULL, &a, "db.password", t, &s), VAULT_EFORMAT);
    snprintf(t, len + 8, "vault:v2:%s", v + 9);
    cr_assert_eq(try_open(NULL, &a, "db.password", t, &s), VAULT_EFORMAT);
    cr_assert(strstr(vault_error_last()->message, "unsupported native format version \"v2\"") != NULL,
              "%s", vault_error_last()->message);
    cr_assert_eq(try_open(NULL, &a, "db.password", "vault:v1:", &s), VAULT_EFORMAT);
    cr_assert_eq(try_open(NULL, &a, "db.password", "vault:", &s), VAULT_EFORMAT);
    cr_assert_eq(try_open(NULL, &a, "db.password", "", &s), VAULT_EFORMAT);
    cr_assert_eq(try_open(NULL, &a, "db.password", "vault:v1:A", &s), VAULT_EFORMAT);
    assert_opens(NULL, &a, "db.password", v, "hunter2", 7);
    free(t);
    vault_string_free(v);
    free_kp(&a);
}

/* Stanzas are not in the associated data (recipients can be rewrapped):
 * swapping or dropping them is harmless, a stanza wrapping another data key
 * fails the commitment, and the commitment is in the AD. */
Test(native, stanza_changes_are_guarded_by_the_commitment)
{
    const vault_recipient *rs[2];
    native_sealer *s = NULL;
    unsigned char *bin, *one, *t;
    size_t n, n1, st = 3 + 32 + 256;
    vault_secret *out = NULL;
    char *v = NULL, *v1, *e;
    kp a, b;

    make_kp(&a, "a", 2048);
    make_kp(&b, "b", 2048);
    rs[0] = a.r;
    rs[1] = b.r;
    cr_assert_eq(native_sealer_new(&s, rs, 2), 0);
    cr_assert_eq(native_seal(s, "k", "two", 3, &v), 0);
    n = decode(v, &bin);
    t = malloc(n + st);
    /* swapped */
    memcpy(t, bin, n);
    memcpy(t + 3, bin + 3 + st, st);
    memcpy(t + 3 + st, bin + 3, st);
    e = encode(t, n);
    assert_opens(NULL, &a, "k", e, "two", 3);
    assert_opens(NULL, &b, "k", e, "two", 3);
    free(e);
    /* b's stanza dropped: a recipient removed */
    memcpy(t, bin, 3 + st);
    t[2] = 1;
    memcpy(t + 3 + st, bin + 3 + 2 * st, n - 3 - 2 * st);
    e = encode(t, n - st);
    assert_opens(NULL, &a, "k", e, "two", 3);
    cr_assert_eq(try_open(NULL, &b, "k", e, &out), VAULT_EKEY);
    free(e);
    /* a stanza for b added to a value sealed for a alone */
    v1 = seal1(&a, "k", "one", 3);
    n1 = decode(v1, &one);
    memcpy(t, one, 3 + st);
    t[2] = 2;
    memcpy(t + 3 + st, bin + 3 + st, st);
    memcpy(t + 3 + 2 * st, one + 3 + st, n1 - 3 - st);
    e = encode(t, n1 + st);
    assert_opens(NULL, &a, "k", e, "one", 3);
    cr_assert_eq(try_open(NULL, &b, "k", e, &out), VAULT_EAUTH);
    free(e);
    /* header of one session, ciphertext of another */
    memcpy(t, bin, n);
    memcpy(t + n - (n1 - OFF_NONCE), one + OFF_NONCE, n1 - OFF_NONCE);
    e = encode(t, n);
    cr_assert_eq(try_open(NULL, &a, "k", e, &out), VAULT_EAUTH);
    free(e);
    free(t);
    free(one);
    free(bin);
    vault_string_free(v1);
    vault_string_free(v);
    native_sealer_free(s);
    free_kp(&a);
    free_kp(&b);
}

/* A forged commitment with the real stanza: each recipient would otherwise
 * be fooled separately. */
Test(native, commitment_is_checked_also_from_the_cache)
{
    native_cache *c = NULL;
    unsigned char *bin;
    vault_secret *out = NULL;
    size_t n;
    char *v, *e;
    kp a;

    make_kp(&a, "a", 2048);
    v = seal1(&a, "k", "x", 1);
    n = decode(v, &bin);
    cr_assert_eq(native_cache_new(&c), 0);
    assert_opens(c, &a, "k", v, "x", 1);
    bin[OFF_COMMIT + 5] ^= 0x40;
    e = encode(bin, n);
    cr_assert_eq(try_open(c, &a, "k", e, &out), VAULT_EAUTH);
    cr_assert_eq(try_open(NULL, &a, "k", e, &out), VAULT_EAUTH);
    free(e);
    free(bin);
    native_cache_free(c);
    vault_string_free(v);
    free_kp(&a);
}

/* ---- a value built from FORMAT.md with OpenSSL and libsodium alone ---- */

typedef enum { FORGE_OK, FORGE_BAD_COMMITMENT, FORGE_SHORT_KEY } forge_kind;

static char *forge(const kp *k, const char *alias, const char *pt, forge_kind kind)
{
    static const char label[] = "vault:v1:data-key";
    unsigned char key[32], commit[32], aead[32], wrapped[256], hdr[3 + 35 + 256 + 32];
    unsigned char *bin, *ad;
    size_t wl = sizeof wrapped, alen = strlen(alias), plen = strlen(pt), n, i;
    unsigned long long clen;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->key, NULL);
    char *out;

    randombytes_buf(key, sizeof key);
    cr_assert(ctx && EVP_PKEY_encrypt_init(ctx) > 0);
    cr_assert(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0);
    cr_assert(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0);
    cr_assert(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0);
    cr_assert(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_memdup(label, 17), 17) > 0);
    cr_assert(EVP_PKEY_encrypt(ctx, wrapped, &wl, key, kind == FORGE_SHORT_KEY ? 31 : 32) > 0);
    cr_assert_eq(wl, 256);
    EVP_PKEY_CTX_free(ctx);
    cr_assert(HMAC(EVP_sha256(), key, 32, (const unsigned char *)"vault:v1:commitment", 19, commit, NULL));
    cr_assert(HMAC(EVP_sha256(), key, 32, (const unsigned char *)"vault:v1:aead-key", 17, aead, NULL));
    if (kind == FORGE_BAD_COMMITMENT)
        commit[31] ^= 1;
    hdr[0] = 1; /* version */
    hdr[1] = 1; /* XChaCha20-Poly1305 */
    hdr[2] = 1; /* one stanza */
    hdr[3] = 1; /* RSA-OAEP-SHA256 */
    cr_assert(X509_digest(k->cert, EVP_sha256(), hdr + 4, NULL));
    hdr[36] = 0x01;
    hdr[37] = 0x00;
    memcpy(hdr + 38, wrapped, 256);
    memcpy(hdr + 294, commit, 32);
    n = sizeof hdr + 24 + 8 + plen + 16;
    bin = malloc(n);
    memcpy(bin, hdr, sizeof hdr);
    randombytes_buf(bin + sizeof hdr, 24);
    for (i = 0; i < 8; i++)
        bin[sizeof hdr + 24 + i] = (unsigned char)((uint64_t)(plen + 16) >> (56 - 8 * i));
    /* AD = version || aead || commitment || u32(len(alias)) || alias */
    ad = malloc(38 + alen);
    ad[0] = hdr[0];
    ad[1] = hdr[1];
    memcpy(ad + 2, hdr + 294, 32);
    for (i = 0; i < 4; i++)
        ad[34 + i] = (unsigned char)(alen >> (24 - 8 * i));
    memcpy(ad + 38, alias, alen);
    crypto_aead_xchacha20poly1305_ietf_encrypt(bin + sizeof hdr + 32, &clen,
                                               (const unsigned char *)pt, plen, ad, 38 + alen,
                                               NULL, bin + sizeof hdr, aead);
    cr_assert_eq(clen, plen + 16);
    out = encode(bin, n);
    free(ad);
    free(bin);
    return out;
}

Test(native, value_built_from_the_document_opens)
{
    vault_secret *s = NULL;
    char *v;
    kp a;

    make_kp(&a, "a", 2048);
    v = forge(&a, "db.password", "from the spec", FORGE_OK);
    assert_opens(NULL, &a, "db.password", v, "from the spec", 13);
    cr_assert_eq(try_open(NULL, &a, "db.passwor", v, &s), VAULT_EAUTH);
    free(v);
    free_kp(&a);
}

/* A sealer who knows K can make the AEAD verify with any header; only the
 * commitment check stops a wrong commitment (FORMAT.md §5.3). */
Test(native, consistent_value_with_a_wrong_commitment_fails)
{
    native_cache *c = NULL;
    vault_secret *s = NULL;
    char *v;
    kp a;

    make_kp(&a, "a", 2048);
    v = forge(&a, "k", "salamander", FORGE_BAD_COMMITMENT);
    cr_assert_eq(try_open(NULL, &a, "k", v, &s), VAULT_EAUTH);
    cr_assert_eq(native_cache_new(&c), 0);
    cr_assert_eq(try_open(c, &a, "k", v, &s), VAULT_EAUTH);
    cr_assert_eq(try_open(c, &a, "k", v, &s), VAULT_EAUTH, "also when the key comes from the cache");
    native_cache_free(c);
    free(v);
    v = forge(&a, "k", "short", FORGE_SHORT_KEY);
    cr_assert_eq(try_open(NULL, &a, "k", v, &s), VAULT_EAUTH);
    free(v);
    free_kp(&a);
}

/* ---- keys ------------------------------------------------------------- */

Test(native, entry_without_certificate_tries_each_stanza)
{
    const vault_recipient *rs[2];
    native_sealer *s = NULL;
    vault_keystore *bare, *bare_b;
    const vault_keystore_entry *ent;
    vault_secret *out = NULL;
    char *v = NULL, *w = NULL;
    kp a, b, c;

    make_kp(&a, "a", 2048);
    make_kp(&b, "b", 2048);
    make_kp(&c, "c", 2048);
    {
        char pa[4200], pb[4200];
        snprintf(pa, sizeof pa, "%s/a-key-only.pem", test_tmpdir());
        snprintf(pb, sizeof pb, "%s/b-key-only.pem", test_tmpdir());
        write_pem(pa, a.key, NULL);
        write_pem(pb, b.key, NULL);
        bare = load_keystore(pa);
        bare_b = load_keystore(pb);
        cr_assert_eq(vault_keystore_entry_at(&ent, bare, 0), 0);
        cr_assert_eq(ent->chain_length, 0, "a key entry with an empty chain");
    }
    rs[0] = c.r;
    rs[1] = a.r;
    cr_assert_eq(native_sealer_new(&s, rs, 2), 0);
    cr_assert_eq(native_seal(s, "k", "bare", 4, &v), 0);
    cr_assert_eq(native_open(NULL, bare, NULL, "k", v, NULL, &out), 0);
    cr_assert_eq(vault_secret_len(out), 4);
    cr_assert(memcmp(vault_secret_data(out), "bare", 4) == 0);
    vault_secret_free(out);
    out = NULL;
    w = seal1(&c, "k", "bare", 4);
    cr_assert_eq(native_open(NULL, bare_b, NULL, "k", w, NULL, &out), VAULT_EKEY);
    cr_assert_null(out);
    cr_assert(strstr(vault_error_last()->message, c.id) != NULL);
    cr_assert(strstr(vault_error_last()->message, "no certificate") != NULL);
    vault_string_free(w);
    vault_string_free(v);
    native_sealer_free(s);
    vault_keystore_free(bare);
    vault_keystore_free(bare_b);
    free_kp(&a);
    free_kp(&b);
    free_kp(&c);
}

/* A key without certificate and a value for 16 RSA recipients, ours last:
 * the 15 others are of another size (certificates of one 3072-bit key), so
 * one private-key operation opens it. */
Test(native, entry_without_certificate_skips_stanzas_of_other_sizes)
{
    const vault_recipient *rs[16];
    vault_recipient *others[15];
    native_sealer *s = NULL;
    vault_keystore *bare;
    vault_secret *out = NULL;
    EVP_PKEY *big = EVP_RSA_gen(3072);
    char *v = NULL, path[4200], cn[16];
    unsigned long before;
    size_t i;
    kp a;

    cr_assert_not_null(big);
    make_kp(&a, "a16", 2048);
    snprintf(path, sizeof path, "%s/a16-key-only.pem", test_tmpdir());
    write_pem(path, a.key, NULL);
    bare = load_keystore(path);
    for (i = 0; i < 15; i++) {
        X509 *c;
        snprintf(cn, sizeof cn, "other-%zu", i);
        c = self_signed(big, cn);
        others[i] = recipient_of(c);
        X509_free(c);
        rs[i] = others[i];
    }
    rs[15] = a.r;
    cr_assert_eq(native_sealer_new(&s, rs, 16), 0, "%s", vault_error_last()->message);
    cr_assert_eq(native_seal(s, "k", "sixteen", 7, &v), 0);
    before = vault__test_private_key_ops();
    cr_assert_eq(native_open(NULL, bare, NULL, "k", v, NULL, &out), 0, "%s", vault_error_last()->message);
    cr_assert_eq(vault__test_private_key_ops() - before, 1, "%lu private-key operations",
                 vault__test_private_key_ops() - before);
    cr_assert_eq(vault_secret_len(out), 7);
    cr_assert(memcmp(vault_secret_data(out), "sixteen", 7) == 0);
    vault_secret_free(out);
    vault_string_free(v);
    native_sealer_free(s);
    for (i = 0; i < 15; i++)
        recipient_free(others[i]);
    vault_keystore_free(bare);
    EVP_PKEY_free(big);
    free_kp(&a);
}

/* A key entry without a chain whose certificate the keystore holds as a
 * trusted certificate: found by the public key, it names the stanza, and one
 * operation opens a value for 16 recipients of the same size. Without that
 * certificate nothing tells the stanzas apart: each is tried. */
Test(native, entry_without_certificate_finds_its_certificate_by_public_key)
{
    const vault_recipient *rs[16];
    vault_recipient *others[15];
    native_sealer *s = NULL;
    vault_keystore *bare, *plain;
    vault_secret *out = NULL;
    EVP_PKEY *same = EVP_RSA_gen(2048);
    char *v = NULL, path[4200], cn[16];
    unsigned long before;
    ks_entry *e;
    size_t i;
    kp a;

    cr_assert_not_null(same);
    make_kp(&a, "t16", 2048);
    snprintf(path, sizeof path, "%s/t16-key-only.pem", test_tmpdir());
    write_pem(path, a.key, NULL);
    bare = load_keystore(path);
    plain = load_keystore(path);
    cr_assert_eq(ks_add_entry(bare, "t16-cert", 8, VAULT_ENTRY_TRUSTED_CERT, &e), 0);
    X509_up_ref(a.cert);
    cr_assert_eq(ks_entry_add_cert(bare, e, a.cert), 0);
    cr_assert(X509_digest(a.cert, EVP_sha256(), e->info.sha256, NULL));
    e->info.has_certificate = 1;
    for (i = 0; i < 15; i++) {
        X509 *c;
        snprintf(cn, sizeof cn, "same-%zu", i);
        c = self_signed(same, cn);
        others[i] = recipient_of(c);
        X509_free(c);
        rs[i] = others[i];
    }
    rs[15] = a.r;
    cr_assert_eq(native_sealer_new(&s, rs, 16), 0, "%s", vault_error_last()->message);
    cr_assert_eq(native_seal(s, "k", "sixteen", 7, &v), 0);
    before = vault__test_private_key_ops();
    cr_assert_eq(native_open(NULL, bare, NULL, "k", v, NULL, &out), 0, "%s", vault_error_last()->message);
    cr_assert_eq(vault__test_private_key_ops() - before, 1, "%lu private-key operations",
                 vault__test_private_key_ops() - before);
    cr_assert(vault_secret_len(out) == 7 && memcmp(vault_secret_data(out), "sixteen", 7) == 0);
    vault_secret_free(out);
    out = NULL;
    before = vault__test_private_key_ops();
    cr_assert_eq(native_open(NULL, plain, NULL, "k", v, NULL, &out), 0, "%s", vault_error_last()->message);
    cr_assert_eq(vault__test_private_key_ops() - before, 16, "%lu private-key operations",
                 vault__test_private_key_ops() - before);
    vault_secret_free(out);
    vault_string_free(v);
    native_sealer_free(s);
    for (i = 0; i < 15; i++)
        recipient_free(others[i]);
    vault_keystore_free(bare);
    vault_keystore_free(plain);
    EVP_PKEY_free(same);
    free_kp(&a);
}

static void add_entry(vault_keystore *ks, const char *alias, kp *k)
{
    ks_entry *e;
    cr_assert_eq(ks_add_entry(ks, alias, strlen(alias), VAULT_ENTRY_PRIVATE_KEY, &e), 0);
    X509_up_ref(k->cert);
    cr_assert_eq(ks_entry_add_cert(ks, e, k->cert), 0);
    cr_assert(X509_digest(k->cert, EVP_sha256(), e->info.sha256, NULL));
    e->info.has_certificate = 1;
    EVP_PKEY_up_ref(k->key);
    e->pkey = k->key;
    e->unlocked = 1;
}

Test(native, no_key_alias_picks_the_entry_a_stanza_names)
{
    vault_keystore *ks = vault__calloc(1, sizeof *ks);
    vault_secret *out = NULL;
    char *va, *vb, *vc;
    kp a, b, c;

    make_kp(&a, "a", 2048);
    make_kp(&b, "b", 2048);
    make_kp(&c, "c", 2048);
    ks->path = vault__strdup("two-keys.p12");
    pthread_mutex_init(&ks->lock, NULL);
    add_entry(ks, "prod", &a);
    add_entry(ks, "dr", &b);
    va = seal1(&a, "k", "for a", 5);
    vb = seal1(&b, "k", "for b", 5);
    vc = seal1(&c, "k", "for c", 5);
    cr_assert_eq(native_open(NULL, ks, NULL, "k", va, NULL, &out), 0);
    cr_assert(memcmp(vault_secret_data(out), "for a", 5) == 0);
    vault_secret_free(out);
    cr_assert_eq(native_open(NULL, ks, NULL, "k", vb, NULL, &out), 0);
    cr_assert(memcmp(vault_secret_data(out), "for b", 5) == 0);
    vault_secret_free(out);
    out = NULL;
    cr_assert_eq(native_open(NULL, ks, "prod", "k", vb, NULL, &out), VAULT_EKEY);
    cr_assert(strstr(vault_error_last()->message, "alias \"prod\" has key") != NULL);
    cr_assert_eq(native_open(NULL, ks, NULL, "k", vc, NULL, &out), VAULT_EKEY);
    cr_assert(strstr(vault_error_last()->message, c.id) != NULL, "%s", vault_error_last()->message);
    cr_assert(strstr(vault_error_last()->message, "two-keys.p12") != NULL);
    cr_assert_null(out);
    vault_string_free(va);
    vault_string_free(vb);
    vault_string_free(vc);
    vault_keystore_free(ks);
    free_kp(&a);
    free_kp(&b);
    free_kp(&c);
}

Test(native, sealer_refuses_bad_recipient_sets)
{
    const vault_recipient *rs[17];
    vault_recipient *small, *ec;
    native_sealer *s = NULL;
    EVP_PKEY *k1024, *eckey;
    X509 *c1024, *ceckey;
    size_t i;
    kp a;

    make_kp(&a, "a", 2048);
    for (i = 0; i < 17; i++)
        rs[i] = a.r;
    cr_assert_eq(native_sealer_new(&s, rs, 0), VAULT_EINVAL);
    cr_assert_eq(native_sealer_new(&s, rs, 17), VAULT_EINVAL);
    cr_assert(strstr(vault_error_last()->message, "16") != NULL);
    cr_assert_eq(native_sealer_new(&s, rs, 2), VAULT_EINVAL);
    cr_assert(strstr(vault_error_last()->message, "twice") != NULL);
    k1024 = EVP_RSA_gen(1024);
    c1024 = self_signed(k1024, "small");
    small = recipient_of(c1024);
    rs[0] = small;
    cr_assert_eq(native_sealer_new(&s, rs, 1), VAULT_EINVAL);
    cr_assert(strstr(vault_error_last()->message, "1024 bits") != NULL);
    /* EC recipients are P-256, P-384 and P-521 (FORMAT.md 5.6): not secp256k1. */
    eckey = EVP_EC_gen("secp256k1");
    ceckey = self_signed(eckey, "ec");
    ec = recipient_of(ceckey);
    rs[0] = ec;
    cr_assert_eq(native_sealer_new(&s, rs, 1), VAULT_EFORMAT);
    cr_assert_null(s);
    recipient_free(small);
    recipient_free(ec);
    X509_free(c1024);
    X509_free(ceckey);
    EVP_PKEY_free(k1024);
    EVP_PKEY_free(eckey);
    free_kp(&a);
}

/* ---- allocation failures ---------------------------------------------- */

/* Count the allocations of a successful call, then fail each in turn. */
Test(native, every_allocation_failure_is_enomem)
{
    const vault_recipient *rs[2];
    native_sealer *s = NULL;
    native_cache *c = NULL;
    vault_value_info info;
    unsigned long total, n, failures = 0;
    char *v = NULL;
    EVP_PKEY *pkey;
    kp a, b;
    int rc;

    make_kp(&a, "a", 2048);
    make_kp(&b, "b", 2048);
    rs[0] = a.r;
    rs[1] = b.r;
    cr_assert_eq(ks_private_key(a.ks, NULL, &pkey, NULL), 0); /* unlock outside the loop */

    vault__test_alloc_fail_at(0);
    cr_assert_eq(native_sealer_new(&s, rs, 2), 0);
    total = vault__test_alloc_fail_at(0);
    native_sealer_free(s);
    for (n = 1; n <= total; n++) {
        s = NULL;
        vault__test_alloc_fail_at(n);
        rc = native_sealer_new(&s, rs, 2);
        vault__test_alloc_fail_at(0);
        cr_assert_eq(rc, VAULT_ENOMEM, "sealer, allocation %lu: %d", n, rc);
        cr_assert_null(s);
    }
    cr_assert_eq(native_sealer_new(&s, rs, 2), 0);

    vault__test_alloc_fail_at(0);
    cr_assert_eq(native_seal(s, "alias", "secret", 6, &v), 0);
    total = vault__test_alloc_fail_at(0);
    vault_string_free(v);
    for (n = 1; n <= total; n++) {
        v = NULL;
        vault__test_alloc_fail_at(n);
        rc = native_seal(s, "alias", "secret", 6, &v);
        vault__test_alloc_fail_at(0);
        cr_assert_eq(rc, VAULT_ENOMEM, "seal, allocation %lu", n);
        cr_assert_null(v);
    }
    cr_assert_eq(native_seal(s, "alias", "secret", 6, &v), 0);

    vault__test_alloc_fail_at(1);
    cr_assert_eq(native_cache_new(&c), VAULT_ENOMEM);
    cr_assert_null(c);
    vault__test_alloc_fail_at(0);

    /* Opening: a failure to remember a key is not an error, every other is. */
    cr_assert_eq(native_cache_new(&c), 0);
    vault__test_alloc_fail_at(0);
    assert_opens(c, &a, "alias", v, "secret", 6);
    total = vault__test_alloc_fail_at(0);
    native_cache_free(c);
    for (n = 1; n <= total; n++) {
        vault_secret *out = NULL;
        cr_assert_eq(native_cache_new(&c), 0);
        vault__test_alloc_fail_at(n);
        rc = native_open(c, a.ks, NULL, "alias", v, NULL, &out);
        vault__test_alloc_fail_at(0);
        cr_assert(rc == 0 || rc == VAULT_ENOMEM, "open, allocation %lu: %d", n, rc);
        if (rc == 0) {
            cr_assert(vault_secret_len(out) == 6 && memcmp(vault_secret_data(out), "secret", 6) == 0);
        } else {
            cr_assert_null(out);
            failures++;
        }
        vault_secret_free(out);
        native_cache_free(c);
    }
    /* The cache's ids, keys, table, its copy of the last stanza and of the
     * last header (text and bytes). */
    cr_assert_geq(failures, total - 6, "only the six cache allocations may fail silently");

    vault__test_alloc_fail_at(0);
    memset(&info, 0, sizeof info);
    cr_assert_eq(native_inspect(v, &info), 0);
    native_info_release(&info);
    total = vault__test_alloc_fail_at(0);
    for (n = 1; n <= total; n++) {
        memset(&info, 0, sizeof info);
        vault__test_alloc_fail_at(n);
        rc = native_inspect(v, &info);
        vault__test_alloc_fail_at(0);
        cr_assert_eq(rc, VAULT_ENOMEM);
        cr_assert_null(info.key_ids);
    }
    vault_string_free(v);
    native_sealer_free(s);
    free_kp(&a);
    free_kp(&b);
}
