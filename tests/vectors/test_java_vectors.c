/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Values sealed by Java 17's JCE the way WSO2's tools do
 * (fixtures/java/vectors.tsv: raw RSA blocks, CipherHolder JSON, AES-GCM
 * JSON) open to their plaintexts with every copy of Java's keystore: JKS,
 * JCEKS, PKCS#12 and legacy PKCS#12. Public API only.
 */
#include <vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct row {
    char *id, *form, *transformation, *value;
    unsigned char plain[512];
    size_t plain_len;
} row;

static row rows[128];
static size_t nrows;
static char *tsv;

static const char *last_message(void)
{
    return vault_error_last() ? vault_error_last()->message : "";
}

static size_t unbase64(const char *in, unsigned char *out, size_t cap)
{
    size_t n = strlen(in);
    int len;
    cr_assert(n / 4 * 3 <= cap);
    len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    cr_assert(len >= 0, "bad base64 in vectors.tsv");
    while (n > 0 && in[n - 1] == '=') {
        len--;
        n--;
    }
    return (size_t)len;
}

static void load_rows(void)
{
    size_t len;
    char *line, *save = NULL;

    tsv = (char *)slurp(shared_path("fixtures/java/vectors.tsv"), &len);
    for (line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[5], *p = line;
        int i;
        if (line[0] == '#')
            continue;
        for (i = 0; i < 5; i++) {
            f[i] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        cr_assert(nrows < sizeof rows / sizeof rows[0]);
        rows[nrows].id = f[0];
        rows[nrows].form = f[1];
        rows[nrows].transformation = f[2];
        rows[nrows].value = f[4];
        rows[nrows].plain_len = unbase64(f[3], rows[nrows].plain, sizeof rows[nrows].plain);
        nrows++;
    }
    cr_assert_eq(nrows, 54u, "vectors.tsv has %zu rows", nrows);
}

static vault_keystore *java_keystore(const char *name)
{
    vault_passwords pw = {"wso2carbon", NULL};
    static vault_passwords keep;
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    char rel[256];

    keep = pw;
    o.password = vault_password_fixed;
    o.payload = &keep;
    snprintf(rel, sizeof rel, "fixtures/java/%s", name);
    cr_assert_eq(vault_keystore_open(&ks, shared_path(rel), &o), 0, "%s: %s", name, last_message());
    return ks;
}

static int open_with(vault_keystore *ks, const char *key_alias, vault_transformation t,
                     const vault_secret *aes, const char *value, vault_secret **out, unsigned *flags)
{
    vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *op = NULL;
    int rc;
    o.keystore = ks;
    o.key_alias = key_alias;
    o.transformation = t;
    o.symmetric_key = aes;
    cr_assert_eq(vault_opener_new(&op, &o), 0, "%s", last_message());
    rc = vault_opener_open(out, flags, op, "some.alias", value);
    vault_opener_free(op);
    return rc;
}

/* The transformation a Java name gives, -1 when the library knows none. */
static int tf_of(const char *name)
{
    vault_transformation t;
    return vault_transformation_from_name(&t, name) == 0 ? (int)t : -1;
}

static void expect_row(const row *r, vault_keystore *ks, const char *key_alias, vault_transformation t,
                       const vault_secret *aes, const char *ksname)
{
    vault_secret *s = NULL;
    vault_value_info *info = NULL;
    unsigned flags = 99, legacy;
    int rc = open_with(ks, key_alias, t, aes, r->value, &s, &flags);

    cr_assert_eq(rc, 0, "%s, row %s (%s %s, opened as %s): %s", ksname, r->id, r->form,
                 r->transformation, vault_transformation_name(t), last_message());
    cr_assert_eq(vault_secret_len(s), r->plain_len, "%s, row %s", ksname, r->id);
    cr_assert(memcmp(vault_secret_data(s), r->plain, r->plain_len) == 0, "%s, row %s", ksname, r->id);
    legacy = tf_of(r->transformation) == VAULT_TRANSFORM_RSA_PKCS1;
    /* A raw PKCS#1 v1.5 block names no key; a holder's thumbprint does. */
    cr_assert_eq(vault_inspect(&info, r->value), 0);
    if (legacy)
        legacy = VAULT_OPENED_LEGACY | (info->key_ids ? 0u : (unsigned)VAULT_OPENED_UNPROVEN);
    /* Java's OAEPWithSHA-256AndMGF1Padding is told from OAEP with SHA-1. */
    if (tf_of(r->transformation) == VAULT_TRANSFORM_RSA_OAEP_SHA256)
        legacy |= VAULT_OPENED_OAEP_SHA256;
    vault_value_info_free(info);
    cr_assert_eq(flags, legacy, "%s, row %s: flags", ksname, r->id);
    vault_secret_free(s);
}

/* Another padding than the row's: must fail, with the one RSA error. */
static vault_transformation wrong_for(vault_transformation t)
{
    return t == VAULT_TRANSFORM_RSA_PKCS1 ? VAULT_TRANSFORM_RSA_OAEP_SHA1
         : t == VAULT_TRANSFORM_RSA_OAEP_SHA1 ? VAULT_TRANSFORM_RSA_OAEP_SHA256
                                               : VAULT_TRANSFORM_RSA_PKCS1;
}

static void rsa_rows(const char *ksname, const char *key_alias)
{
    vault_keystore *ks;
    vault_secret *s = NULL;
    size_t i, raw = 0, holder = 0;
    char first_error[512] = "";

    load_rows();
    ks = java_keystore(ksname);
    for (i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        int tf = tf_of(r->transformation);
        if (strcmp(r->form, "gcm-json") == 0)
            continue;
        cr_assert(tf > 0, "row %s: transformation %s", r->id, r->transformation);
        expect_row(r, ks, key_alias, VAULT_TRANSFORM_DEFAULT, NULL, ksname);
        if (strcmp(r->form, "raw") == 0) {
            expect_row(r, ks, key_alias, (vault_transformation)tf, NULL, ksname);
            if (wrong_for((vault_transformation)tf) == VAULT_TRANSFORM_RSA_PKCS1) {
                /* Implicit rejection (SECURITY.md): a block that is not
                 * PKCS#1 v1.5 opens, to bytes that are not the secret. */
                cr_assert_eq(open_with(ks, key_alias, VAULT_TRANSFORM_RSA_PKCS1, NULL, r->value, &s,
                                       NULL), 0, "%s, row %s, as PKCS#1", ksname, r->id);
                cr_assert(vault_secret_len(s) != r->plain_len ||
                          memcmp(vault_secret_data(s), r->plain, r->plain_len) != 0,
                          "%s, row %s: opened to the secret with the wrong padding", ksname, r->id);
                vault_secret_free(s);
                s = NULL;
                raw++;
                continue;
            }
            cr_assert_eq(open_with(ks, key_alias, wrong_for((vault_transformation)tf), NULL, r->value,
                                   &s, NULL), VAULT_EAUTH, "%s, row %s, wrong padding", ksname, r->id);
            cr_assert_null(s);
            if (!first_error[0])
                snprintf(first_error, sizeof first_error, "%s", last_message());
            cr_assert_str_eq(last_message(), first_error);
            raw++;
        } else {
            cr_assert_str_eq(r->form, "holder");
            holder++;
        }
    }
    cr_assert_eq(raw, 24u);
    cr_assert_eq(holder, 24u);
    vault_keystore_free(ks);
    free(tsv);
}

Test(java_vectors, jks) { rsa_rows("identity.jks", "wso2carbon"); }
Test(java_vectors, jceks) { rsa_rows("identity.jceks", "WSO2Carbon"); }
Test(java_vectors, pkcs12) { rsa_rows("identity.p12", NULL); }
Test(java_vectors, legacy_pkcs12) { rsa_rows("identity-legacy.p12", "wso2carbon"); }

Test(java_vectors, gcm_json_with_the_internal_keystore)
{
    vault_keystore *ks;
    vault_secret *key = NULL;
    size_t i, n = 0;

    load_rows();
    ks = java_keystore("internal.p12");
    cr_assert_eq(vault_keystore_secret_key(&key, ks, "wso2carbon"), 0, "%s", last_message());
    cr_assert_eq(vault_secret_len(key), 32u);
    for (i = 0; i < nrows; i++) {
        if (strcmp(rows[i].form, "gcm-json") != 0)
            continue;
        expect_row(&rows[i], ks, NULL, VAULT_TRANSFORM_DEFAULT, NULL, "internal.p12");
        expect_row(&rows[i], ks, "wso2carbon", VAULT_TRANSFORM_DEFAULT, NULL, "internal.p12");
        expect_row(&rows[i], NULL, NULL, VAULT_TRANSFORM_DEFAULT, key, "operator-typed key");
        n++;
    }
    cr_assert_eq(n, 6u);
    vault_secret_free(key);
    vault_keystore_free(ks);
    free(tsv);
}

static char *sh_line(const char *cmd)
{
    unsigned char *out = NULL;
    size_t n = 0;
    cr_assert_eq(run_capture(cmd, &out, &n), 0, "%s", cmd);
    while (n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    return (char *)out;
}

Test(java_vectors, holder_for_another_keystore_names_both_keys)
{
    vault_keystore *ks;
    vault_secret *s = NULL;
    char cmd[2048], *ours, *theirs;
    size_t i;

    load_rows();
    ks = java_keystore("signed.p12");
    /* Both thumbprints as keytool and openssl see them. */
    snprintf(cmd, sizeof cmd, "keytool -exportcert -rfc -alias signed -keystore %s -storepass wso2carbon "
             "2>/dev/null | openssl x509 -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'",
             shared_path("fixtures/java/signed.p12"));
    ours = sh_line(cmd);
    snprintf(cmd, sizeof cmd, "openssl x509 -inform der -in %s -noout -fingerprint -sha1 | "
             "sed 's/.*=//; s/://g'", shared_path("fixtures/java/identity.cer"));
    theirs = sh_line(cmd);
    cr_assert_eq(strlen(ours), 40u);
    for (i = 0; i < nrows; i++) {
        if (strcmp(rows[i].form, "holder") != 0)
            continue;
        cr_assert_eq(open_with(ks, NULL, VAULT_TRANSFORM_DEFAULT, NULL, rows[i].value, &s, NULL),
                     VAULT_EKEY, "row %s: %s", rows[i].id, last_message());
        cr_assert_null(s);
        cr_assert(strstr(last_message(), theirs) != NULL, "%s", last_message());
        cr_assert(strstr(last_message(), ours) != NULL, "%s", last_message());
        cr_assert(strstr(last_message(), "signed.p12") != NULL, "%s", last_message());
    }
    free(ours);
    free(theirs);
    vault_keystore_free(ks);
    free(tsv);
}

Test(java_vectors, inspect_tells_forms_without_a_key)
{
    vault_value_info *info = NULL;
    size_t i;

    load_rows();
    for (i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        cr_assert_eq(vault_inspect(&info, r->value), 0, "row %s: %s", r->id, last_message());
        if (strcmp(r->form, "raw") == 0) {
            cr_assert_eq(info->format, VAULT_FORMAT_WSO2);
            cr_assert_eq(info->ciphertext_bytes, 256u);
        } else if (strcmp(r->form, "holder") == 0) {
            cr_assert_eq(info->format, VAULT_FORMAT_WSO2_HOLDER);
            cr_assert_eq(info->recipient_count, 1u);
            cr_assert_str_eq(info->key_ids[0], "E850AA64771C57E84EF7AF37FA523A579DBD2159");
            cr_assert_eq(tf_of(info->algorithm),
                         tf_of(r->transformation));
        } else {
            cr_assert_eq(info->format, VAULT_FORMAT_WSO2_SYMMETRIC);
            cr_assert_eq(info->iv_bytes, 128u);
            cr_assert_eq(info->plaintext_bytes, r->plain_len);
        }
        vault_value_info_free(info);
    }
    free(tsv);
}
