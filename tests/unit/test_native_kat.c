/* SPDX-License-Identifier: Apache-2.0 */
/* Known-answer values of the native format (tests/vectors/native/kat.tsv,
 * docs/FORMAT.md §9): every "ok" row opens, every other row fails with its
 * stated error, and the "ok" rows also decode by following FORMAT.md with
 * independent tools (openssl command line for RSA-OAEP and HMAC, libsodium's
 * raw AEAD), not with token_native.c. */
#include "testutil.h"
#include "token_native.h"

#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define MAX_ROWS 64

typedef struct row {
    char *expect, *keys, *alias, *pt_hex, *value, *note;
} row;

typedef struct kat_key {
    char path[4096];
    EVP_PKEY *key;
    X509 *cert;
    vault_keystore *ks;
    unsigned char id[32]; /* from `openssl x509 -fingerprint -sha256` */
} kat_key;

static row rows[MAX_ROWS];
static size_t nrows;
static unsigned char *tsv;
static kat_key keys[2];

static const char *vector_path(const char *name)
{
    static char buf[4][4096];
    static int next;
    const char *src = getenv("VAULT_SOURCE");
    char *out = buf[next++ % 4];
    snprintf(out, sizeof buf[0], "%s/tests/vectors/native/%s", src ? src : ".", name);
    return out;
}

static void split_row(char *line)
{
    char *f[6];
    size_t i;
    for (i = 0; i < 6; i++) {
        f[i] = line;
        line = strchr(line, i < 5 ? '\t' : '\0');
        cr_assert(line != NULL, "kat.tsv: row %zu has too few columns", nrows + 1);
        if (i < 5)
            *line++ = '\0';
    }
    cr_assert(nrows < MAX_ROWS);
    rows[nrows++] = (row){f[0], f[1], f[2], f[3], f[4], f[5]};
}

static void read_rows(void)
{
    size_t len;
    char *line, *next;
    tsv = slurp(vector_path("kat.tsv"), &len);
    for (line = (char *)tsv; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#' || strncmp(line, "expect\t", 7) == 0 || !line[0])
            continue;
        split_row(line);
    }
    cr_assert_geq(nrows, 30, "kat.tsv has %zu rows", nrows);
}

static unsigned char *unhex(const char *hex, size_t *len);

/* "sha256 Fingerprint=AB:CD:..." */
static void fingerprint(const char *path, unsigned char id[32])
{
    char cmd[4300], hex[65];
    unsigned char *out = NULL, *bytes;
    size_t n, j = 0;
    const char *p;
    snprintf(cmd, sizeof cmd, "openssl x509 -in '%s' -noout -fingerprint -sha256", path);
    cr_assert_eq(run_capture(cmd, &out, &n), 0);
    p = strchr((char *)out, '=');
    cr_assert(p != NULL);
    for (p++; *p && *p != '\n' && j < 64; p++)
        if (*p != ':')
            hex[j++] = *p;
    hex[j] = '\0';
    bytes = unhex(hex, &n);
    cr_assert_eq(n, 32);
    memcpy(id, bytes, 32);
    free(bytes);
    free(out);
}

static void load_key(kat_key *k, const char *name)
{
    FILE *f;
    int rc;
    snprintf(k->path, sizeof k->path, "%s", vector_path(name));
    f = fopen(k->path, "r");
    cr_assert(f != NULL, "%s", k->path);
    k->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    k->cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert(k->key && k->cert, "%s: key and certificate expected", k->path);
    fingerprint(k->path, k->id);
    rc = vault_keystore_open(&k->ks, k->path, NULL);
    cr_assert_eq(rc, 0, "%s", rc ? vault_error_last()->message : "");
}

static void setup(void)
{
    cr_assert_eq(vault_init(), 0);
    read_rows();
    load_key(&keys[0], "kat-key.pem");
    load_key(&keys[1], "kat-key2.pem");
}

static void teardown(void)
{
    size_t i;
    for (i = 0; i < 2; i++) {
        vault_keystore_free(keys[i].ks);
        X509_free(keys[i].cert);
        EVP_PKEY_free(keys[i].key);
    }
    free(tsv);
}

static unsigned char *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2, i;
    unsigned char *out = malloc(n + 1);
    cr_assert_eq(strlen(hex) % 2, 0);
    for (i = 0; i < n; i++) {
        unsigned v;
        cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    *len = n;
    return out;
}


/* keys column: "1", "2" or "1,2". */
static int has_key(const row *r, int k)
{
    return strchr(r->keys, '0' + k) != NULL;
}

TestSuite(kat, .init = setup, .fini = teardown);

Test(kat, ok_rows_open_with_every_listed_key)
{
    size_t i, ok = 0, len;
    int k;
    for (i = 0; i < nrows; i++) {
        unsigned char *pt;
        if (strcmp(rows[i].expect, "ok") != 0)
            continue;
        pt = unhex(rows[i].pt_hex, &len);
        for (k = 1; k <= 2; k++) {
            vault_secret *s = NULL;
            int rc;
            if (!has_key(&rows[i], k))
                continue;
            rc = native_open(NULL, keys[k - 1].ks, NULL, rows[i].alias, rows[i].value, NULL, &s);
            cr_assert_eq(rc, 0, "row %zu (%s), key %d: %s", i + 1, rows[i].note, k,
                         rc ? vault_error_last()->message : "");
            cr_assert_eq(vault_secret_len(s), len, "row %zu", i + 1);
            cr_assert(len == 0 || memcmp(vault_secret_data(s), pt, len) == 0, "row %zu", i + 1);
            vault_secret_free(s);
            ok++;
        }
        free(pt);
    }
    cr_assert_eq(ok, 13, "ok openings: %zu", ok);
}

Test(kat, bad_rows_fail_as_stated)
{
    size_t i, bad = 0;
    int k;
    for (i = 0; i < nrows; i++) {
        if (strcmp(rows[i].expect, "ok") == 0)
            continue;
        for (k = 1; k <= 2; k++) {
            vault_secret *s = NULL;
            int rc;
            if (!has_key(&rows[i], k))
                continue;
            rc = native_open(NULL, keys[k - 1].ks, NULL, rows[i].alias, rows[i].value, NULL, &s);
            cr_assert_eq(rc, tu_code_of(rows[i].expect), "row %zu (%s), key %d: got %d (%s)", i + 1,
                         rows[i].note, k, rc, rc ? vault_error_last()->message : "opened");
            cr_assert_null(s);
            bad++;
        }
    }
    cr_assert_eq(bad, 29);
}

Test(kat, one_session_costs_one_private_key_operation)
{
    native_cache *c = NULL;
    unsigned long before;
    size_t i, n = 0;
    cr_assert_eq(native_cache_new(&c), 0);
    before = vault__test_private_key_ops();
    for (i = 0; i < nrows; i++) {
        vault_secret *s = NULL;
        /* dr.secret rows are another session (stanzas dropped) */
        if (strcmp(rows[i].expect, "ok") != 0 || strcmp(rows[i].keys, "1") != 0 ||
            strcmp(rows[i].alias, "dr.secret") == 0)
            continue;
        cr_assert_eq(native_open(c, keys[0].ks, NULL, rows[i].alias, rows[i].value, NULL, &s), 0);
        vault_secret_free(s);
        n++;
    }
    cr_assert_eq(n, 6);
    cr_assert_eq(vault__test_private_key_ops() - before, 1);
    native_cache_free(c);
}

Test(kat, inspect_shows_the_certificate_fingerprints)
{
    size_t i;
    for (i = 0; i < nrows; i++) {
        vault_value_info info;
        char want[65];
        int k, j = 0;
        if (strcmp(rows[i].expect, "ok") != 0)
            continue;
        memset(&info, 0, sizeof info);
        cr_assert_eq(native_inspect(rows[i].value, &info), 0);
        cr_assert_eq(info.format, VAULT_FORMAT_NATIVE);
        cr_assert_eq(info.recipient_count, strlen(rows[i].keys) == 3 ? 2 : 1);
        cr_assert_eq(info.plaintext_bytes, strlen(rows[i].pt_hex) / 2);
        /* in stanza order, which a reordered row changes */
        for (k = 1; k <= 2; k++) {
            size_t m, found = 0;
            if (!has_key(&rows[i], k))
                continue;
            vault__hex(want, keys[k - 1].id, 32, 0);
            for (m = 0; m < info.recipient_count; m++)
                found += strcmp(info.key_ids[m], want) == 0;
            cr_assert_eq(found, 1, "row %zu", i + 1);
            j++;
        }
        cr_assert_eq((size_t)j, info.recipient_count);
        native_info_release(&info);
    }
}

/* ---- a second decoder, written from FORMAT.md alone ------------------- */

static void run_hex(const char *cmd, unsigned char *out, size_t want)
{
    unsigned char *buf = NULL;
    size_t n, i;
    cr_assert_eq(run_capture(cmd, &buf, &n), 0, "%s", cmd);
    cr_assert_geq(n, 2 * want);
    for (i = 0; i < want; i++) {
        unsigned v;
        cr_assert_eq(sscanf((char *)buf + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    free(buf);
}

/* K from the stanza body with `openssl pkeyutl` (OAEP, SHA-256, MGF1-SHA-256, label). */
static void openssl_unwrap(const kat_key *k, const unsigned char *body, size_t len,
                           unsigned char key[32])
{
    char in[4200], cmd[12000], label_hex[64];
    unsigned char *out = NULL;
    size_t n;
    snprintf(in, sizeof in, "%s/body", test_tmpdir());
    spit(in, body, len);
    vault__hex(label_hex, (const unsigned char *)"vault:v1:data-key", 17, 0);
    snprintf(cmd, sizeof cmd, "openssl pkeyutl -decrypt -inkey '%s' -in '%s' "
             "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 "
             "-pkeyopt rsa_mgf1_md:sha256 -pkeyopt rsa_oaep_label:%s", k->path, in, label_hex);
    cr_assert_eq(run_capture(cmd, &out, &n), 0, "%s", cmd);
    cr_assert_eq(n, 32, "the data key is 32 bytes");
    memcpy(key, out, 32);
    sodium_memzero(out, n);
    free(out);
}

static void openssl_hmac(const unsigned char key[32], const char *msg, unsigned char out[32])
{
    char hex[65], cmd[512];
    vault__hex(hex, key, 32, 0);
    snprintf(cmd, sizeof cmd, "printf '%%s' '%s' | openssl mac -digest SHA256 -macopt hexkey:%s HMAC",
             msg, hex);
    run_hex(cmd, out, 32);
}

static uint64_t be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | *p++;
    return v;
}

static void independent_open(const row *r, const kat_key *k)
{
    size_t tl = strlen(r->value), n = 0, off, i, count, want_len, alen = strlen(r->alias);
    unsigned char *bin = malloc(tl), *ad, *pt, *want;
    unsigned char key[32], commit[32], aead[32];
    const unsigned char *body = NULL;
    size_t body_len = 0;
    unsigned long long mlen;

    cr_assert_eq(strncmp(r->value, "vault:v1:", 9), 0);
    cr_assert_eq(sodium_base642bin(bin, tl, r->value + 9, tl - 9, NULL, &n, NULL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
    cr_assert_eq(bin[0], 1, "version");
    cr_assert_eq(bin[1], 1, "XChaCha20-Poly1305");
    count = bin[2];
    for (i = 0, off = 3; i < count; i++) {
        size_t len = (size_t)be(bin + off + 33, 2);
        cr_assert_eq(bin[off], 1, "RSA-OAEP-SHA256 stanza");
        if (memcmp(bin + off + 1, k->id, 32) == 0) {
            body = bin + off + 35;
            body_len = len;
        }
        off += 35 + len;
    }
    cr_assert(body != NULL, "a stanza for the key");
    cr_assert_eq(body_len, 256);
    openssl_unwrap(k, body, body_len, key);
    openssl_hmac(key, "vault:v1:commitment", commit);
    openssl_hmac(key, "vault:v1:aead-key", aead);
    cr_assert_eq(memcmp(commit, bin + off, 32), 0, "commitment");
    off += 32; /* header ends here */
    cr_assert_eq(be(bin + off + 24, 8), n - off - 32, "ct-len is what remains");
    /* AD = version || aead || commitment || u32(len(alias)) || alias */
    ad = malloc(38 + alen);
    ad[0] = bin[0];
    ad[1] = bin[1];
    memcpy(ad + 2, bin + off - 32, 32);
    ad[34] = (unsigned char)(alen >> 24);
    ad[35] = (unsigned char)(alen >> 16);
    ad[36] = (unsigned char)(alen >> 8);
    ad[37] = (unsigned char)alen;
    memcpy(ad + 38, r->alias, alen);
    pt = malloc(n);
    cr_assert_eq(crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL, bin + off + 32,
                                                            n - off - 32, ad, 38 + alen,
                                                            bin + off, aead), 0, "%s", r->note);
    want = unhex(r->pt_hex, &want_len);
    cr_assert_eq(mlen, want_len);
    cr_assert(want_len == 0 || memcmp(pt, want, want_len) == 0);
    sodium_memzero(key, sizeof key);
    free(want);
    free(pt);
    free(ad);
    free(bin);
}

Test(kat, ok_rows_decode_by_the_document)
{
    size_t i, done = 0;
    int k;
    if (!have_program("openssl"))
        cr_skip_test("the openssl command is needed");
    for (i = 0; i < nrows; i++) {
        if (strcmp(rows[i].expect, "ok") != 0)
            continue;
        for (k = 1; k <= 2; k++)
            if (has_key(&rows[i], k)) {
                independent_open(&rows[i], &keys[k - 1]);
                done++;
            }
    }
    cr_assert_eq(done, 13);
}
