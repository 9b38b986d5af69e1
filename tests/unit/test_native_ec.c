/* SPDX-License-Identifier: Apache-2.0 */
/* The EC, X25519 and Ed25519 recipient stanzas of the native format
 * (docs/FORMAT.md 5.6): the known-answer values of kat-ec.tsv, key ids
 * checked against the openssl command line, sessions, rewrapping, renewed
 * certificates, keys without certificates and every flipped byte. */
#include "testutil.h"
#include "token_native.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <vault/cipher.h>

#define MAX_ROWS 32
#define NKEYS 6

typedef struct row {
    char *expect, *keys, *alias, *pt_hex, *value, *note;
} row;

static row rows[MAX_ROWS];
static size_t nrows;
static unsigned char *tsv;
static const char *const names[NKEYS] = {"p256", "p384", "p521", "x25519", "ed25519", "rsa1"};
static vault_keystore *ks[NKEYS];

static const char *vector_path(const char *name)
{
    static char buf[4][4096];
    static int next;
    const char *src = getenv("VAULT_SOURCE");
    char *out = buf[next++ % 4];
    snprintf(out, sizeof buf[0], "%s/tests/vectors/native/%s", src ? src : ".", name);
    return out;
}

static const char *key_file(size_t k)
{
    static char buf[64];
    if (k == 5)
        return "kat-key.pem";
    snprintf(buf, sizeof buf, "kat-%s.pem", names[k]);
    return buf;
}

static void read_rows(void)
{
    size_t len, i;
    char *line, *next, *f[6];
    tsv = slurp(vector_path("kat-ec.tsv"), &len);
    for (line = (char *)tsv; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#' || strncmp(line, "expect\t", 7) == 0 || !line[0])
            continue;
        for (i = 0; i < 6; i++) {
            f[i] = line;
            line = strchr(line, i < 5 ? '\t' : '\0');
            cr_assert(line != NULL, "kat-ec.tsv: row %zu has too few columns", nrows + 1);
            if (i < 5)
                *line++ = '\0';
        }
        cr_assert(nrows < MAX_ROWS);
        rows[nrows++] = (row){f[0], f[1], f[2], f[3], f[4], f[5]};
    }
    cr_assert_eq(nrows, 18, "kat-ec.tsv has %zu rows", nrows);
}

static void setup(void)
{
    size_t k;
    cr_assert_eq(vault_init(), 0);
    read_rows();
    for (k = 0; k < NKEYS; k++)
        cr_assert_eq(vault_keystore_open(&ks[k], vector_path(key_file(k)), NULL), 0, "%s: %s",
                     key_file(k), test_errmsg());
}

static void teardown(void)
{
    size_t k;
    for (k = 0; k < NKEYS; k++)
        vault_keystore_free(ks[k]);
    free(tsv);
}

TestSuite(native_ec, .init = setup, .fini = teardown);

static int listed(const row *r, size_t k)
{
    char keys[128], *t, *save = NULL;
    snprintf(keys, sizeof keys, "%s", r->keys);
    for (t = strtok_r(keys, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, names[k]) == 0)
            return 1;
    return 0;
}


static void hex_of(const vault_secret *s, char *out)
{
    vault__hex(out, vault_secret_data(s), vault_secret_len(s), 0);
}

Test(native_ec, ok_rows_open_with_every_listed_key)
{
    size_t i, k, ok = 0;
    for (i = 0; i < nrows; i++) {
        if (strcmp(rows[i].expect, "ok") != 0)
            continue;
        for (k = 0; k < NKEYS; k++) {
            vault_secret *s = NULL;
            char got[1024];
            int rc;
            if (!listed(&rows[i], k))
                continue;
            rc = native_open(NULL, ks[k], NULL, rows[i].alias, rows[i].value, NULL, &s);
            cr_assert_eq(rc, 0, "row %zu (%s), key %s: %s", i + 1, rows[i].note, names[k],
                         test_errmsg());
            hex_of(s, got);
            cr_assert_str_eq(got, rows[i].pt_hex, "row %zu, key %s", i + 1, names[k]);
            vault_secret_free(s);
            ok++;
        }
    }
    cr_assert_eq(ok, 10, "ok openings: %zu", ok);
}

Test(native_ec, bad_rows_fail_as_stated)
{
    size_t i, k, bad = 0;
    for (i = 0; i < nrows; i++) {
        if (strcmp(rows[i].expect, "ok") == 0)
            continue;
        for (k = 0; k < NKEYS; k++) {
            vault_secret *s = NULL;
            int rc;
            if (!listed(&rows[i], k))
                continue;
            rc = native_open(NULL, ks[k], NULL, rows[i].alias, rows[i].value, NULL, &s);
            cr_assert_eq(rc, tu_code_of(rows[i].expect), "row %zu (%s), key %s: got %d (%s)", i + 1,
                         rows[i].note, names[k], rc, rc ? test_errmsg() : "opened");
            cr_assert_null(s);
            bad++;
        }
    }
    cr_assert_eq(bad, 11);
}

/* SHA-256 of the SPKI as the openssl command line encodes it. */
static void openssl_key_id(size_t k, char out[65])
{
    unsigned char *o;
    size_t len;
    o = test_sh_out(&len, "openssl pkey -in '%s' -pubout -outform DER | openssl dgst -sha256 -r",
                    vector_path(key_file(k)));
    cr_assert_geq(len, 64);
    memcpy(out, o, 64);
    out[64] = '\0';
    free(o);
}

Test(native_ec, key_ids_are_the_sha256_of_the_public_key)
{
    size_t k;
    for (k = 0; k < 5; k++) {
        vault_recipient *r = NULL;
        char want[65];
        openssl_key_id(k, want);
        cr_assert_eq(vault_recipient_from_keystore(&r, ks[k], NULL), 0, "%s", test_errmsg());
        cr_assert_str_eq(vault_recipient_key_id(r), want, "%s", names[k]);
        vault_recipient_free(r);
    }
}

Test(native_ec, inspect_names_types_and_key_ids)
{
    vault_value_info info;
    char want[65];
    memset(&info, 0, sizeof info);
    cr_assert_eq(native_inspect(rows[0].value, &info), 0);
    cr_assert_str_eq(info.algorithm, "ECDH-P256-HKDF-SHA256+XChaCha20-Poly1305");
    openssl_key_id(0, want);
    cr_assert_eq(info.recipient_count, 1);
    cr_assert_str_eq(info.key_ids[0], want);
    native_info_release(&info);
    cr_assert_eq(native_inspect(rows[5].value, &info), 0); /* the mixed row */
    cr_assert_str_eq(info.algorithm, "mixed recipients+XChaCha20-Poly1305");
    cr_assert_eq(info.recipient_count, 4);
    native_info_release(&info);
}

static void seal_session(size_t *k, size_t nk, size_t n, char **out);

Test(native_ec, wrong_key_names_both_key_ids)
{
    vault_secret *s = NULL;
    char p256[65], p384[65];
    openssl_key_id(0, p256);
    openssl_key_id(1, p384);
    cr_assert_eq(native_open(NULL, ks[1], NULL, "db.password", rows[0].value, NULL, &s), VAULT_EKEY);
    cr_assert(strstr(test_errmsg(), p256) && strstr(test_errmsg(), p384), "%s", test_errmsg());
    cr_assert(strstr(test_errmsg(), "db.password") != NULL);
    /* an EC key facing an RSA-only value still shows its own key id */
    {
        size_t rsa = 5;
        char *v;
        seal_session(&rsa, 1, 1, &v);
        cr_assert_eq(native_open(NULL, ks[0], NULL, "a0", v, NULL, &s), VAULT_EKEY);
        cr_assert(strstr(test_errmsg(), p256) != NULL, "%s", test_errmsg());
        vault_string_free(v);
    }
}

/* Seal n values to the recipients in one session. */
static void seal_session(size_t *k, size_t nk, size_t n, char **out)
{
    vault_recipient *r[NKEYS];
    native_sealer *s = NULL;
    size_t i;
    for (i = 0; i < nk; i++)
        cr_assert_eq(vault_recipient_from_keystore(&r[i], ks[k[i]], NULL), 0, "%s", test_errmsg());
    cr_assert_eq(native_sealer_new(&s, (const vault_recipient *const *)r, nk), 0, "%s",
                 test_errmsg());
    for (i = 0; i < n; i++) {
        char alias[32];
        snprintf(alias, sizeof alias, "a%zu", i);
        cr_assert_eq(native_seal(s, alias, alias, strlen(alias), &out[i]), 0);
    }
    native_sealer_free(s);
    for (i = 0; i < nk; i++)
        vault_recipient_free(r[i]);
}

Test(native_ec, one_session_costs_one_private_key_operation_per_key_type)
{
    size_t k, i, all[5] = {0, 1, 2, 3, 4};
    char *v[20];
    seal_session(all, 5, 20, v);
    for (k = 0; k < 5; k++) {
        native_cache *c = NULL;
        unsigned long before = vault__test_private_key_ops();
        cr_assert_eq(native_cache_new(&c), 0);
        for (i = 0; i < 20; i++) {
            vault_secret *s = NULL;
            char alias[32];
            snprintf(alias, sizeof alias, "a%zu", i);
            cr_assert_eq(native_open(c, ks[k], NULL, alias, v[i], NULL, &s), 0, "%s: %s",
                         names[k], test_errmsg());
            cr_assert_eq(vault_secret_len(s), strlen(alias));
            vault_secret_free(s);
        }
        cr_assert_eq(vault__test_private_key_ops() - before, 1, "%s", names[k]);
        native_cache_free(c);
    }
    for (i = 0; i < 20; i++)
        vault_string_free(v[i]);
}

Test(native_ec, flip_every_byte_of_an_ec_value)
{
    size_t k, i, b, one;
    for (k = 0; k < 5; k++) {
        char *v, *t;
        unsigned char *bin;
        size_t bin_len, tlen;
        one = k;
        seal_session(&one, 1, 1, &v);
        bin = malloc(strlen(v));
        cr_assert_eq(sodium_base642bin(bin, strlen(v), v + 9, strlen(v) - 9, NULL, &bin_len, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
        tlen = sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING) + 9;
        t = malloc(tlen);
        for (i = 0; i < bin_len; i++) {
            for (b = 0; b < 8; b += 7) { /* the lowest and the highest bit */
                vault_secret *s = NULL;
                int rc;
                bin[i] ^= (unsigned char)(1u << b);
                memcpy(t, "vault:v1:", 9);
                sodium_bin2base64(t + 9, tlen - 9, bin, bin_len,
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
                rc = native_open(NULL, ks[k], NULL, "a0", t, NULL, &s);
                cr_assert_neq(rc, 0, "%s: flipping bit %zu of byte %zu still opens", names[k], b, i);
                cr_assert(rc == VAULT_EFORMAT || rc == VAULT_EAUTH || rc == VAULT_EKEY);
                cr_assert_null(s);
                bin[i] ^= (unsigned char)(1u << b);
            }
        }
        free(t);
        free(bin);
        vault_string_free(v);
    }
}

Test(native_ec, renewed_certificate_for_the_same_key_still_opens)
{
    vault_keystore *renewed = NULL;
    vault_secret *s = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/renewed.pem", test_tmpdir());
    test_sh("openssl pkey -in '%s' -out renewed.pem && openssl req -new -x509 -key renewed.pem "
            "-subj /CN=renewed -days 2 -set_serial 77 >> renewed.pem", vector_path("kat-p256.pem"));
    cr_assert_eq(vault_keystore_open(&renewed, path, NULL), 0, "%s", test_errmsg());
    cr_assert_eq(native_open(NULL, renewed, NULL, rows[0].alias, rows[0].value, NULL, &s), 0, "%s",
                 test_errmsg());
    vault_secret_free(s);
    vault_keystore_free(renewed);
}

Test(native_ec, x25519_key_without_certificate_opens)
{
    vault_keystore *bare = NULL;
    vault_secret *s = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/x25519-key-only.pem", test_tmpdir());
    test_sh("openssl pkey -in '%s' -out x25519-key-only.pem", vector_path("kat-x25519.pem"));
    cr_assert_eq(vault_keystore_open(&bare, path, NULL), 0, "%s", test_errmsg());
    cr_assert_eq(native_open(NULL, bare, NULL, rows[3].alias, rows[3].value, NULL, &s), 0, "%s",
                 test_errmsg());
    vault_secret_free(s);
    cr_assert_eq(native_open(NULL, bare, NULL, rows[0].alias, rows[0].value, NULL, &s), VAULT_EKEY);
    vault_keystore_free(bare);
}

Test(native_ec, rewrap_adds_and_removes_ec_recipients)
{
    size_t rsa = 5;
    char *v, *w = NULL, *x = NULL;
    vault_recipient *p384 = NULL, *rr = NULL;
    native_rewrapper *rw = NULL;
    vault_secret *s = NULL;
    unsigned char rsa_id[32];
    size_t len;

    seal_session(&rsa, 1, 1, &v);
    cr_assert_eq(vault_recipient_from_keystore(&p384, ks[1], NULL), 0);
    {
        const vault_recipient *add[1] = {p384};
        cr_assert_eq(native_rewrapper_new(&rw, ks[5], NULL, add, 1, NULL, 0, 0), 0);
        cr_assert_eq(native_rewrap(rw, "a0", v, &w), 0, "%s", test_errmsg());
        native_rewrapper_free(rw);
    }
    cr_assert_eq(native_open(NULL, ks[1], NULL, "a0", w, NULL, &s), 0, "%s", test_errmsg());
    vault_secret_free(s);
    cr_assert_eq(native_open(NULL, ks[5], NULL, "a0", w, NULL, &s), 0, "%s", test_errmsg());
    vault_secret_free(s);
    /* the P-384 key drops the RSA stanza */
    cr_assert_eq(vault_recipient_from_keystore(&rr, ks[5], NULL), 0);
    cr_assert_eq(sodium_hex2bin(rsa_id, 32, vault_recipient_key_id(rr), 64, NULL, &len, NULL), 0);
    cr_assert_eq(native_rewrapper_new(&rw, ks[1], NULL, NULL, 0, (const unsigned char(*)[32])rsa_id,
                                      1, 0), 0);
    cr_assert_eq(native_rewrap(rw, "a0", w, &x), 0, "%s", test_errmsg());
    native_rewrapper_free(rw);
    cr_assert_eq(native_open(NULL, ks[5], NULL, "a0", x, NULL, &s), VAULT_EKEY);
    cr_assert_eq(native_open(NULL, ks[1], NULL, "a0", x, NULL, &s), 0, "%s", test_errmsg());
    cr_assert_eq(vault_secret_len(s), 2);
    vault_secret_free(s);
    vault_recipient_free(p384);
    vault_recipient_free(rr);
    vault_string_free(v);
    vault_string_free(w);
    vault_string_free(x);
}

Test(native_ec, wso2_formats_refuse_ec_recipients)
{
    vault_recipient *r = NULL;
    vault_sealer *s = NULL;
    vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
    const vault_recipient *rs[1];
    cr_assert_eq(vault_recipient_from_keystore(&r, ks[0], NULL), 0);
    rs[0] = r;
    o.format = VAULT_FORMAT_WSO2;
    o.recipients = rs;
    o.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&s, &o), VAULT_EINVAL);
    cr_assert(strstr(test_errmsg(), "RSA") != NULL, "%s", test_errmsg());
    cr_assert_null(s);
    vault_recipient_free(r);
}

/* The allocation hook fails each allocation of sealing to and opening with
 * an EC recipient in turn: every one is VAULT_ENOMEM, nothing leaks. */
Test(native_ec, every_allocation_failure_is_enomem)
{
    vault_recipient *r = NULL;
    native_sealer *s = NULL;
    vault_secret *out = NULL;
    unsigned long total, n;
    char *v = NULL;
    EVP_PKEY *pkey;
    int rc;

    cr_assert_eq(vault_recipient_from_keystore(&r, ks[0], NULL), 0);
    cr_assert_eq(ks_private_key(ks[0], NULL, &pkey, NULL), 0); /* unlock outside the loop */
    vault__test_alloc_fail_at(0);
    cr_assert_eq(native_sealer_new(&s, (const vault_recipient *const *)&r, 1), 0);
    total = vault__test_alloc_fail_at(0);
    native_sealer_free(s);
    cr_assert_gt(total, 0);
    for (n = 1; n <= total; n++) {
        s = NULL;
        vault__test_alloc_fail_at(n);
        rc = native_sealer_new(&s, (const vault_recipient *const *)&r, 1);
        vault__test_alloc_fail_at(0);
        cr_assert_eq(rc, VAULT_ENOMEM, "sealer, allocation %lu: %d", n, rc);
        cr_assert_null(s);
    }
    cr_assert_eq(native_sealer_new(&s, (const vault_recipient *const *)&r, 1), 0);
    cr_assert_eq(native_seal(s, "alias", "secret", 6, &v), 0);
    vault__test_alloc_fail_at(0);
    cr_assert_eq(native_open(NULL, ks[0], NULL, "alias", v, NULL, &out), 0);
    total = vault__test_alloc_fail_at(0);
    vault_secret_free(out);
    for (n = 1; n <= total; n++) {
        out = NULL;
        vault__test_alloc_fail_at(n);
        rc = native_open(NULL, ks[0], NULL, "alias", v, NULL, &out);
        vault__test_alloc_fail_at(0);
        cr_assert_eq(rc, VAULT_ENOMEM, "open, allocation %lu: %d (%s)", n, rc, test_errmsg());
        cr_assert_null(out);
    }
    vault_string_free(v);
    native_sealer_free(s);
    vault_recipient_free(r);
}
