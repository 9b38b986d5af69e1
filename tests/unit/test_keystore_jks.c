/* SPDX-License-Identifier: Apache-2.0 */
/* JKS and JCEKS keystores, checked against pyjks' expected keys, keystores
 * from other projects, keytool, openssl and Java reading the same files. */
#include "keystore_internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define PYJKS "keystores/pyjks/tests/"
#define NON_ASCII_PW "ლ(ಠ益ಠლ)"
#define IDENTITY_PW "wso2carbon"

/* ---- passwords ---- */

typedef struct pwset {
    const char *store;
    const char *key; /* for every key; NULL: the store password */
} pwset;

static int pw_cb(vault_secret **out, vault_password_kind kind, const char *path, const char *alias,
                 void *payload)
{
    const pwset *p = payload;
    const char *pw = p->store;

    (void)path;
    *out = NULL;
    (void)alias;
    if (kind == VAULT_PASSWORD_KEY)
        pw = p->key;
    return pw ? vault_secret_new(out, pw, strlen(pw)) : VAULT_ENOTFOUND;
}

static int open_file(vault_keystore **ks, const char *path, const pwset *pw)
{
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    o.password = pw_cb;
    o.payload = (void *)pw;
    return vault_keystore_open(ks, path, &o);
}

static int open_mem(vault_keystore **ks, const unsigned char *d, size_t n, vault_keystore_type t,
                    const pwset *pw)
{
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    o.type = t;
    o.password = pw_cb;
    o.payload = (void *)pw;
    return vault_keystore_open_memory(ks, d, n, "mem.ks", &o);
}

static const char *last_message(void)
{
    const vault_error *e = vault_error_last();
    return e ? e->message : "";
}

/* ---- pyjks' expected values: `name = b"\x30..." + \` lines, or a list of them ---- */

static const char *skip_blank(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\\')
        p++;
    return p;
}

/* Element idx of `name` (0 for a plain bytes value); NULL past the end. */
static unsigned char *py_bytes(const char *file, const char *name, size_t idx, size_t *len)
{
    char rel[256], key[64];
    size_t n, o = 0, elem = 0;
    char *src, *p;
    unsigned char *out;
    int list;

    snprintf(rel, sizeof rel, PYJKS "expected/%s.py", file);
    src = (char *)slurp(shared_path(rel), &n);
    snprintf(key, sizeof key, "\n%s = ", name);
    if (strncmp(src, key + 1, strlen(key + 1)) == 0)
        p = src + strlen(key + 1);
    else if ((p = strstr(src, key)))
        p += strlen(key);
    cr_assert_not_null(p, "%s has no %s", file, name);
    p = (char *)skip_blank(p);
    list = *p == '[';
    p = (char *)skip_blank(p + list);
    out = malloc(n);
    for (;;) {
        cr_assert(p[0] == 'b' && p[1] == '"', "%s: bytes literal expected", file);
        for (p += 2; *p != '"'; p++) {
            unsigned v = (unsigned char)*p;
            if (*p == '\\') {
                cr_assert_eq(sscanf(p, "\\x%2x", &v), 1);
                p += 3;
            }
            if (elem == idx)
                out[o++] = (unsigned char)v;
        }
        p = (char *)skip_blank(p + 1);
        if (*p == '+')
            p = (char *)skip_blank(p + 1);
        else if (list && *p == ',' && ++elem)
            p = (char *)skip_blank(p + 1);
        else
            break;
    }
    free(src);
    if (elem < idx) {
        free(out);
        return NULL;
    }
    *len = o;
    return out;
}

/* ---- DER helpers ---- */

static unsigned char *pkcs8_der(EVP_PKEY *pkey, size_t *len)
{
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
    unsigned char *der = NULL;
    int n;
    cr_assert_not_null(p8);
    n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
    cr_assert_gt(n, 0);
    PKCS8_PRIV_KEY_INFO_free(p8);
    *len = (size_t)n;
    return der;
}

static unsigned char *cert_spki(const unsigned char *der, size_t len, size_t *out_len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    unsigned char *spki = NULL;
    int n;
    cr_assert_not_null(x);
    n = i2d_PUBKEY(X509_get0_pubkey(x), &spki);
    cr_assert_gt(n, 0);
    X509_free(x);
    *out_len = (size_t)n;
    return spki;
}

static void assert_bytes(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen,
                         const char *what)
{
    cr_assert_eq(alen, blen, "%s: %zu bytes, expected %zu", what, alen, blen);
    cr_assert(memcmp(a, b, alen) == 0, "%s differs", what);
}

static void assert_cert(vault_keystore *ks, const char *alias, size_t idx, const unsigned char *der,
                        size_t len)
{
    const unsigned char *got;
    size_t n;
    cr_assert_eq(vault_keystore_cert_der(&got, &n, ks, alias, idx), 0, "%s", last_message());
    assert_bytes(got, n, der, len, alias);
}

static void assert_private_key(vault_keystore *ks, const char *alias, const unsigned char *pkcs8, size_t len)
{
    EVP_PKEY *pkey = NULL;
    unsigned char *der;
    size_t n;
    cr_assert_eq(ks_private_key(ks, alias, &pkey, NULL), 0, "%s: %s", alias, last_message());
    der = pkcs8_der(pkey, &n);
    assert_bytes(der, n, pkcs8, len, alias);
    OPENSSL_free(der);
}

/* The entry's public key (from its unlocked private key) against spki. */
static void assert_public_key(vault_keystore *ks, const char *alias, const unsigned char *spki, size_t len)
{
    unsigned char *der = NULL;
    size_t n;
    cr_assert_eq(vault_keystore_public_key_der(&der, &n, ks, alias), 0, "%s: %s", alias, last_message());
    assert_bytes(der, n, spki, len, alias);
    vault_string_free((char *)der);
}

/* ---- keytool -list -rfc: aliases, entry types and certificate chains ---- */

#define KT_MAX_CERTS 8

typedef struct kt_entry {
    char alias[256], type[64];
    size_t ncerts;
    unsigned char *der[KT_MAX_CERTS];
    size_t len[KT_MAX_CERTS];
} kt_entry;

static size_t keytool_list(kt_entry **out, const char *args)
{
    static const char end_marker[] = "-----END CERTIFICATE-----";
    char cmd[4096], *p, *nl;
    unsigned char *text = NULL;
    size_t n = 0, cap = 0, tlen = 0, total;
    kt_entry *e = NULL;

    snprintf(cmd, sizeof cmd, "LC_ALL=C.UTF-8 keytool -J-XX:TieredStopAtLevel=1 -list -rfc %s 2>/dev/null",
             args);
    cr_assert_eq(run_capture(cmd, &text, &tlen), 0, "%s failed", cmd);
    p = strstr((char *)text, "Your keystore contains ");
    cr_assert_not_null(p, "%s: no entry count", cmd);
    total = strtoul(p + 23, NULL, 10);
    for (p = (char *)text; *p; p = nl ? nl + 1 : p + strlen(p)) {
        nl = strchr(p, '\n');
        if (strncmp(p, "Alias name: ", 12) == 0) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                e = realloc(e, cap * sizeof *e);
            }
            memset(&e[n], 0, sizeof e[n]);
            snprintf(e[n++].alias, sizeof e->alias, "%.*s", (int)(nl ? nl - p - 12 : 255), p + 12);
        } else if (n && strncmp(p, "Entry type: ", 12) == 0) {
            snprintf(e[n - 1].type, sizeof e->type, "%.*s", (int)(nl ? nl - p - 12 : 63), p + 12);
        } else if (n && strncmp(p, "-----BEGIN CERTIFICATE-----", 27) == 0) {
            kt_entry *k = &e[n - 1];
            char *end = strstr(p, end_marker);
            cr_assert_not_null(end);
            cr_assert_lt(k->ncerts, KT_MAX_CERTS);
            k->der[k->ncerts] = pem_to_der(p, &k->len[k->ncerts]);
            k->ncerts++;
            nl = strchr(end, '\n');
        }
    }
    free(text);
    cr_assert_eq(n, total, "keytool says %zu entries, lists %zu", total, n);
    *out = e;
    return n;
}

static vault_entry_kind kt_kind(const char *type)
{
    if (strcmp(type, "PrivateKeyEntry") == 0)
        return VAULT_ENTRY_PRIVATE_KEY;
    if (strcmp(type, "trustedCertEntry") == 0)
        return VAULT_ENTRY_TRUSTED_CERT;
    cr_assert_str_eq(type, "SecretKeyEntry");
    return VAULT_ENTRY_SECRET_KEY;
}

/* Every entry keytool lists: same alias, kind and certificate DERs, and
 * for key entries a private key whose public half is the certificate's. */
static void check_with_keytool(vault_keystore *ks, const char *args)
{
    kt_entry *kt = NULL;
    size_t n = keytool_list(&kt, args), i, j;

    cr_assert_gt(n, 0, "keytool listed nothing for %s", args);
    cr_assert_eq(vault_keystore_count(ks), n);
    for (i = 0; i < n; i++) {
        const vault_keystore_entry *info;
        cr_assert_eq(vault_keystore_find(&info, ks, kt[i].alias), 0, "%s", last_message());
        cr_assert_str_eq(info->alias, kt[i].alias);
        cr_assert_eq(info->kind, kt_kind(kt[i].type), "%s", kt[i].alias);
        cr_assert_eq(info->chain_length, kt[i].ncerts, "%s", kt[i].alias);
        for (j = 0; j < kt[i].ncerts; j++)
            assert_cert(ks, kt[i].alias, j, kt[i].der[j], kt[i].len[j]);
        if (info->kind == VAULT_ENTRY_PRIVATE_KEY && kt[i].ncerts > 0) {
            size_t slen;
            unsigned char *spki = cert_spki(kt[i].der[0], kt[i].len[0], &slen);
            assert_public_key(ks, kt[i].alias, spki, slen);
            OPENSSL_free(spki);
        }
        for (j = 0; j < kt[i].ncerts; j++)
            free(kt[i].der[j]);
    }
    free(kt);
}

/* ---- pyjks: keys equal the expected values shipped with them ---- */

static const struct pk_case {
    const char *file, *store, *key, *alias, *expected;
} pk_cases[] = {
    {"jks/RSA1024.jks", "12345678", NULL, "mykey", "RSA1024"},
    {"jceks/RSA1024.jceks", "12345678", NULL, "mykey", "RSA1024"},
    {"jks/RSA2048_3certs.jks", "12345678", NULL, "mykey", "RSA2048_3certs"},
    {"jceks/RSA2048_3certs.jceks", "12345678", NULL, "mykey", "RSA2048_3certs"},
    {"jks/DSA2048.jks", "12345678", NULL, "mykey", "DSA2048"},
    {"jceks/DSA2048.jceks", "12345678", NULL, "mykey", "DSA2048"},
    {"jks/non_ascii_password.jks", NON_ASCII_PW, NULL, "mykey", "jks_non_ascii_password"},
    {"jks/custom_entry_passwords.jks", "store_password", "private_password", "private",
     "custom_entry_passwords"},
    {"jceks/custom_entry_passwords.jceks", "store_password", "private_password", "private",
     "custom_entry_passwords"},
};

Test(pyjks, private_keys_and_chains)
{
    size_t i, len, nchain;
    for (i = 0; i < sizeof pk_cases / sizeof pk_cases[0]; i++) {
        const struct pk_case *c = &pk_cases[i];
        pwset pw = {c->store, c->key};
        vault_keystore *ks = NULL;
        const vault_keystore_entry *info;
        unsigned char *want;
        char path[256];

        snprintf(path, sizeof path, PYJKS "keystores/%s", c->file);
        cr_assert_eq(open_file(&ks, shared_path(path), &pw), 0, "%s: %s", c->file, last_message());
        cr_assert_eq(vault_keystore_find(&info, ks, c->alias), 0);
        cr_assert_eq(info->kind, VAULT_ENTRY_PRIVATE_KEY);
        want = py_bytes(c->expected, "private_key", 0, &len);
        assert_private_key(ks, c->alias, want, len);
        free(want);
        want = py_bytes(c->expected, "public_key", 0, &len);
        assert_public_key(ks, c->alias, want, len);
        free(want);
        for (nchain = 0; (want = py_bytes(c->expected, "certs", nchain, &len)); nchain++) {
            assert_cert(ks, c->alias, nchain, want, len);
            free(want);
        }
        cr_assert_eq(info->chain_length, nchain, "%s", c->file);
        cr_assert_gt(info->created_ms, 1400000000000LL); /* 2014 or later */
        vault_keystore_free(ks);
    }
}

Test(pyjks, trusted_certificates)
{
    static const struct {
        const char *file, *store, *alias, *expected;
        size_t idx;
    } cases[] = {
        {"jks/3certs.jks", "12345678", "cert1", "RSA2048_3certs", 0},
        {"jks/3certs.jks", "12345678", "cert2", "RSA2048_3certs", 1},
        {"jks/3certs.jks", "12345678", "CERT3", "RSA2048_3certs", 2},
        {"jceks/3certs.jceks", "12345678", "cert1", "RSA2048_3certs", 0},
        {"jceks/3certs.jceks", "12345678", "cert2", "RSA2048_3certs", 1},
        {"jceks/3certs.jceks", "12345678", "Cert3", "RSA2048_3certs", 2},
        {"jks/custom_entry_passwords.jks", "store_password", "cert", "custom_entry_passwords", 0},
        {"jceks/custom_entry_passwords.jceks", "store_password", "cert", "custom_entry_passwords", 0},
    };
    size_t i, len;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pwset pw = {cases[i].store, NULL};
        const vault_keystore_entry *info;
        vault_keystore *ks = NULL;
        unsigned char *want;
        char path[256];

        snprintf(path, sizeof path, PYJKS "keystores/%s", cases[i].file);
        cr_assert_eq(open_file(&ks, shared_path(path), &pw), 0, "%s", last_message());
        cr_assert_eq(vault_keystore_find(&info, ks, cases[i].alias), 0);
        cr_assert_eq(info->kind, VAULT_ENTRY_TRUSTED_CERT);
        want = py_bytes(cases[i].expected, "certs", cases[i].idx, &len);
        assert_cert(ks, cases[i].alias, 0, want, len);
        free(want);
        vault_keystore_free(ks);
    }
}

Test(pyjks, secret_keys)
{
    static const struct {
        const char *file, *store, *key, *alias, *algorithm;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"AES128.jceks", "12345678", NULL, "mykey", "AES",
         "\x66\x6e\x02\x21\xcc\x44\xc1\xfc\x4a\xab\xf4\x58\xf9\xdf\xdd\x3c", 16},
        {"AES256.jceks", "12345678", NULL, "mykey", "AES",
         "\xe7\xd7\xc2\x62\x66\x82\x21\x78\x7b\x6b\x5a\x0f\x68\x77\x12\xfd\xe4\xbe\x52\xe9\xe7\xd7"
         "\xc2\x62\x66\x82\x21\x78\x7b\x6b\x5a\x0f",
         32},
        {"DES.jceks", "12345678", NULL, "mykey", "DES", "\x4c\xf2\xfe\x91\x5d\x08\x2a\x43", 8},
        {"DESede.jceks", "12345678", NULL, "mykey", "DESede",
         "\x67\x5e\x52\x45\xe9\x67\x3b\x4c\x8f\xc1\x94\xce\xec\x43\x3b\x31\x8c\x45\xc2\xe0\x67\x5e"
         "\x52\x45",
         24},
        {"PBKDF2WithHmacSHA1.jceks", "12345678", NULL, "mykey", "PBKDF2WithHmacSHA1",
         "\x57\x95\x36\xd9\xa2\x7f\x7e\x31\x4e\xf4\xe3\xff\xa5\x76\x26\xef\xe6\x70\xe8\xf4\xd2\x96"
         "\xcd\x31\xba\x1a\x82\x7d\x9a\x3b\x1e\xe1",
         32},
        {"custom_entry_passwords.jceks", "store_password", "secret_password", "secret", "AES",
         "\x3f\x68\x05\x04\xc6\x6c\xc2\x5a\xae\x65\xd0\xfa\x49\xc5\x26\xec", 16},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pwset pw = {cases[i].store, cases[i].key};
        const vault_keystore_entry *info;
        vault_keystore *ks = NULL;
        vault_secret *key = NULL;
        char path[256];

        snprintf(path, sizeof path, PYJKS "keystores/jceks/%s", cases[i].file);
        cr_assert_eq(open_file(&ks, shared_path(path), &pw), 0, "%s", last_message());
        cr_assert_eq(vault_keystore_find(&info, ks, cases[i].alias), 0);
        cr_assert_eq(info->kind, VAULT_ENTRY_SECRET_KEY);
        cr_assert_eq(vault_keystore_secret_key(&key, ks, cases[i].alias), 0, "%s: %s", cases[i].file,
                     last_message());
        assert_bytes(vault_secret_data(key), vault_secret_len(key), (const unsigned char *)cases[i].bytes,
                     cases[i].len, cases[i].file);
        cr_assert_str_eq(info->key_algorithm, cases[i].algorithm);
        cr_assert_eq(info->key_bits, 8 * cases[i].len);
        vault_secret_free(key);
        vault_keystore_free(ks);
    }
}

Test(pyjks, empty_stores_and_truststore)
{
    static const char *const empty[] = {"jks/empty.jks", "jceks/empty.jceks"};
    pwset pw = {"", NULL}, trust = {"trustpass", NULL};
    vault_keystore *ks = NULL;
    char path[256], args[512];
    size_t i;

    for (i = 0; i < 2; i++) {
        snprintf(path, sizeof path, PYJKS "keystores/%s", empty[i]);
        cr_assert_eq(open_file(&ks, shared_path(path), &pw), 0, "%s", last_message());
        cr_assert_eq(vault_keystore_count(ks), 0);
        cr_assert_eq(vault_keystore_get_type(ks), i ? VAULT_KEYSTORE_JCEKS : VAULT_KEYSTORE_JKS);
        vault_keystore_free(ks);
    }
    snprintf(path, sizeof path, "%s", shared_path(PYJKS "keystores/jks/truststore.jks"));
    cr_assert_eq(open_file(&ks, path, &trust), 0, "%s", last_message());
    snprintf(args, sizeof args, "-keystore '%s' -storepass trustpass", path);
    check_with_keytool(ks, args);
    vault_keystore_free(ks);
}

/* Where pyjks refuses a file, so do we: at open, or when the key is read. */
Test(pyjks, rejected_files)
{
    static const struct {
        const char *file;
        int at_open;
        const char *msg;
    } cases[] = {
        {"jks/duplicate_aliases.jks", 1, "duplicate alias \"my_alias\""},
        {"jceks/duplicate_aliases.jceks", 1, "duplicate alias \"my_alias\""},
        {"jceks/unknown_sealed_object_sealAlg.jceks", 1, "unsupported algorithm"},
        {"jceks/unknown_type_of_sealed_object.jceks", 1, "unexpected Java class"},
        {"jceks/unknown_type_inside_sealed_object.jceks", 0, "alias \"mykey\""},
    };
    pwset pw = {"12345678", NULL};
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vault_keystore *ks = NULL;
        vault_secret *key = NULL;
        char path[256];
        int rc;

        snprintf(path, sizeof path, PYJKS "keystores/%s", cases[i].file);
        rc = open_file(&ks, shared_path(path), &pw);
        if (!cases[i].at_open) {
            cr_assert_eq(rc, 0, "%s", last_message());
            rc = vault_keystore_secret_key(&key, ks, "mykey");
        }
        cr_assert_eq(rc, VAULT_EFORMAT, "%s: %d %s", cases[i].file, rc, last_message());
        cr_assert_not_null(strstr(last_message(), cases[i].msg), "%s", last_message());
        cr_assert_not_null(strstr(last_message(), cases[i].file), "%s", last_message());
        cr_assert_null(key);
        vault_keystore_free(ks);
    }
}

Test(pyjks, wrong_key_passwords)
{
    static const char *const files[] = {"jks/custom_entry_passwords.jks",
                                        "jceks/custom_entry_passwords.jceks"};
    static const char *const wrong[] = {"wrong_password", "store_password", "Private_password",
                                        "private_password\xc3\xa9"};
    size_t i, j;

    for (i = 0; i < 2; i++) {
        for (j = 0; j < sizeof wrong / sizeof wrong[0]; j++) {
            pwset pw = {"store_password", wrong[j]};
            vault_keystore *ks = NULL;
            vault_secret *key = NULL;
            unsigned char *der = NULL;
            size_t n;
            char path[256];

            snprintf(path, sizeof path, PYJKS "keystores/%s", files[i]);
            cr_assert_eq(open_file(&ks, shared_path(path), &pw), 0);
            cr_assert_eq(vault_keystore_public_key_der(&der, &n, ks, "private"), VAULT_EAUTH);
            cr_assert_not_null(strstr(last_message(), "alias \"private\""), "%s", last_message());
            cr_assert_null(der);
            if (i == 1) {
                cr_assert_eq(vault_keystore_secret_key(&key, ks, "secret"), VAULT_EAUTH);
                cr_assert_null(key);
            }
            vault_keystore_free(ks);
        }
    }
}

Test(pyjks, bks_and_uber_are_not_supported)
{
    static const char *const files[] = {"bks/christmas.bksv1",
                                        "bks/christmas.bksv2",
                                        "bks/custom_entry_passwords.bksv1",
                                        "bks/custom_entry_passwords.bksv2",
                                        "bks/empty.bksv1",
                                        "bks/empty.bksv2",
                                        "uber/christmas.uber",
                                        "uber/custom_entry_passwords.uber",
                                        "uber/empty.uber"};
    pwset pw = {"12345678", NULL};
    size_t i;
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        vault_keystore *ks = NULL;
        char path[256];
        snprintf(path, sizeof path, PYJKS "keystores/%s", files[i]);
        cr_assert_eq(open_file(&ks, shared_path(path), &pw), VAULT_EFORMAT, "%s", files[i]);
        cr_assert_not_null(strstr(last_message(), "not supported"), "%s", last_message());
        cr_assert_null(ks);
    }
}

/* ---- keystores from other projects and the system ---- */

static EVP_PKEY *read_pem_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k;
    cr_assert_not_null(f, "%s", path);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert_not_null(k, "%s", path);
    return k;
}

Test(external, keystore_go)
{
    static const struct {
        const char *file, *key, *pem;
        size_t chain;
    } cases[] = {
        {"keystore.jks", NULL, "key.pem", 0},
        {"keystore_keypass.jks", "keypassword", "key_keypass.pem", 1},
    };
    size_t i, len;
    for (i = 0; i < 2; i++) {
        pwset pw = {"password", cases[i].key};
        const vault_keystore_entry *info;
        vault_keystore *ks = NULL;
        EVP_PKEY *pkey = NULL, *want;
        unsigned char *a, *b;
        size_t blen;
        char path[256];

        snprintf(path, sizeof path, "keystores/keystore-go/testdata/%s", cases[i].file);
        cr_assert_eq(open_file(&ks, shared_path(path), &pw), 0, "%s", last_message());
        cr_assert_eq(vault_keystore_count(ks), 1);
        cr_assert_eq(vault_keystore_find(&info, ks, "alias"), 0);
        cr_assert_eq(info->chain_length, cases[i].chain);
        cr_assert_eq(ks_private_key(ks, "alias", &pkey, NULL), 0, "%s", last_message());
        snprintf(path, sizeof path, "keystores/keystore-go/testdata/%s", cases[i].pem);
        want = read_pem_key(shared_path(path));
        a = pkcs8_der(pkey, &len);
        b = pkcs8_der(want, &blen);
        assert_bytes(a, len, b, blen, cases[i].file);
        OPENSSL_free(a);
        OPENSSL_free(b);
        EVP_PKEY_free(want);
        vault_keystore_free(ks);
    }
    {
        pwset pw = {"password", NULL};
        vault_keystore *ks = NULL;
        unsigned char *der = NULL;
        size_t n;
        cr_assert_eq(open_file(&ks, shared_path("keystores/keystore-go/testdata/keystore_keypass.jks"), &pw),
                     0);
        cr_assert_eq(vault_keystore_public_key_der(&der, &n, ks, "alias"), VAULT_EAUTH);
        vault_keystore_free(ks);
    }
}

Test(external, cjks)
{
    static const char *const files[] = {"keystore", "keystore_ca"};
    pwset pw = {"changeit", NULL};
    size_t i, len, klen;
    for (i = 0; i < 2; i++) {
        vault_keystore *ks = NULL;
        char path[256], args[512];
        snprintf(path, sizeof path, "%s", shared_path("keystores/cjks/resources/"));
        strcat(path, files[i]);
        cr_assert_eq(open_file(&ks, path, &pw), 0, "%s", last_message());
        snprintf(args, sizeof args, "-keystore '%s' -storepass changeit", path);
        check_with_keytool(ks, args);
        if (i == 0) {
            /* d.key is the PKCS#8 of mytestkey, base64 without PEM lines */
            unsigned char *b64 = slurp(shared_path("keystores/cjks/resources/d.key"), &len);
            char *pem = malloc(len + 64), *want;
            snprintf(pem, len + 64, "-----BEGIN KEY-----\n%s\n-----END KEY-----\n", (char *)b64);
            want = (char *)pem_to_der(pem, &klen);
            assert_private_key(ks, "mytestkey", (unsigned char *)want, klen);
            free(want);
            free(pem);
            free(b64);
        }
        vault_keystore_free(ks);
    }
}

Test(external, wso2_securevault)
{
    pwset pw = {"wso2carbon", NULL};
    const vault_keystore_entry *info;
    vault_keystore *ks = NULL;
    char path[512], args[1024];
    size_t i, keys = 0;

    snprintf(path, sizeof path, "%s",
             shared_path("keystores/wso2-secvault/components/org.wso2.carbon.secvault/src/test/"
                         "resources/resources/security/securevault.jks"));
    cr_assert_eq(open_file(&ks, path, &pw), 0, "%s", last_message());
    cr_assert_eq(vault_keystore_count(ks), 36);
    for (i = 0; i < 36; i++) {
        vault_keystore_entry_at(&info, ks, i);
        keys += info->kind == VAULT_ENTRY_PRIVATE_KEY;
    }
    cr_assert_eq(keys, 1);
    cr_assert_eq(vault_keystore_find(&info, ks, NULL), 0);
    cr_assert_str_eq(info->alias, "wso2carbon");
    snprintf(args, sizeof args, "-keystore '%s' -storepass wso2carbon", path);
    check_with_keytool(ks, args);
    vault_keystore_free(ks);
}

Test(external, system_cacerts)
{
    const char *path = "/etc/ssl/certs/java/cacerts";
    pwset pw = {"changeit", NULL};
    const vault_keystore_entry *info;
    vault_keystore *ks = NULL;
    size_t i;

    cr_assert_eq(access(path, R_OK), 0, "%s is missing (install ca-certificates-java)", path);
    cr_assert_eq(open_file(&ks, path, &pw), 0, "%s", last_message());
    cr_assert_gt(vault_keystore_count(ks), 50);
    for (i = 0; i < vault_keystore_count(ks); i++) {
        vault_keystore_entry_at(&info, ks, i);
        cr_assert_eq(info->kind, VAULT_ENTRY_TRUSTED_CERT, "%s", info->alias);
    }
    /* the count keytool -list -cacerts reports, and every certificate */
    check_with_keytool(ks, "-cacerts -storepass changeit");
    vault_keystore_free(ks);
}

/* ---- the fixtures made by Java 17's keytool ---- */

static unsigned char *openssl_pubkey_der(const char *pem_cert, size_t *len)
{
    char cmd[1024];
    unsigned char *out = NULL, *der;
    size_t n;
    snprintf(cmd, sizeof cmd, "openssl x509 -in '%s' -pubkey -noout", pem_cert);
    cr_assert_eq(run_capture(cmd, &out, &n), 0);
    der = pem_to_der((char *)out, len);
    free(out);
    return der;
}

Test(fixtures, identity_jks_and_jceks)
{
    static const struct {
        const char *file;
        vault_keystore_type type;
    } cases[] = {
        {"fixtures/java/identity.jks", VAULT_KEYSTORE_JKS},
        {"fixtures/java/identity.jceks", VAULT_KEYSTORE_JCEKS},
    };
    pwset pw = {IDENTITY_PW, IDENTITY_PW};
    size_t i, clen, plen;
    unsigned char *cert = slurp(shared_path("fixtures/java/identity.cer"), &clen);
    unsigned char *spki = openssl_pubkey_der(shared_path("fixtures/java/identity.pem"), &plen);

    for (i = 0; i < 2; i++) {
        const vault_keystore_entry *info;
        vault_keystore *ks = NULL;
        cr_assert_eq(open_file(&ks, shared_path(cases[i].file), &pw), 0, "%s", last_message());
        cr_assert_eq(vault_keystore_get_type(ks), cases[i].type);
        cr_assert_eq(vault_keystore_count(ks), 1);
        cr_assert_eq(vault_keystore_find(&info, ks, "WSO2Carbon"), 0);
        cr_assert_str_eq(info->alias, "wso2carbon");
        cr_assert_eq(info->kind, VAULT_ENTRY_PRIVATE_KEY);
        cr_assert_eq(info->chain_length, 1);
        assert_cert(ks, "wso2carbon", 0, cert, clen);
        assert_public_key(ks, "wso2carbon", spki, plen);
        cr_assert_str_eq(info->key_algorithm, "RSA");
        cr_assert_eq(info->key_bits, 2048);
        vault_keystore_free(ks);
    }
    free(cert);
    free(spki);
}

Test(fixtures, client_truststore)
{
    pwset pw = {IDENTITY_PW, NULL};
    const vault_keystore_entry *info;
    vault_keystore *ks = NULL;
    unsigned char *pem, *der;
    size_t n, dlen;

    cr_assert_eq(open_file(&ks, shared_path("fixtures/java/client-truststore.jks"), &pw), 0);
    cr_assert_eq(vault_keystore_count(ks), 1);
    cr_assert_eq(vault_keystore_find(&info, ks, "exampleroot"), 0);
    cr_assert_eq(info->kind, VAULT_ENTRY_TRUSTED_CERT);
    pem = slurp(shared_path("fixtures/java/root.pem"), &n);
    der = pem_to_der((char *)pem, &dlen);
    assert_cert(ks, "exampleroot", 0, der, dlen);
    free(pem);
    free(der);
    vault_keystore_free(ks);
}

Test(fixtures, unicode_passwords)
{
    pwset pw = {"pässwörd-密码", "ключ-пароль"};
    vault_keystore *ks = NULL;
    char path[512], args[1024];
    unsigned char *der = NULL;
    size_t n;

    snprintf(path, sizeof path, "%s", shared_path("fixtures/java/unicode.jks"));
    cr_assert_eq(open_file(&ks, path, &pw), 0, "%s", last_message());
    setenv("VAULT_TEST_SP", pw.store, 1);
    snprintf(args, sizeof args, "-keystore '%s' -storepass:env VAULT_TEST_SP", path);
    check_with_keytool(ks, args);
    vault_keystore_free(ks);

    /* The store password as the key password is wrong here. */
    pw.key = NULL;
    cr_assert_eq(open_file(&ks, path, &pw), 0);
    cr_assert_eq(vault_keystore_public_key_der(&der, &n, ks, "unicode"), VAULT_EAUTH);
    vault_keystore_free(ks);
}

/* ---- keystores made now by keytool, read back by Java ---- */

static const char dumper_java[] = "import java.security.*;\n"
                                  "import java.util.*;\n"
                                  "public class Dump {\n"
                                  "  public static void main(String[] a) throws Exception {\n"
                                  "    KeyStore ks = KeyStore.getInstance(a[0]);\n"
                                  "    try (var in = new java.io.FileInputStream(a[1])) {\n"
                                  "      ks.load(in, System.getenv(\"SP\").toCharArray());\n"
                                  "    }\n"
                                  "    for (String al : Collections.list(ks.aliases())) {\n"
                                  "      if (!ks.isKeyEntry(al)) continue;\n"
                                  "      Key k = ks.getKey(al, System.getenv(\"KP\").toCharArray());\n"
                                  "      System.out.println(al + \" \" + k.getAlgorithm() + \" \"\n"
                                  "          + HexFormat.of().formatHex(k.getEncoded()));\n"
                                  "    }\n"
                                  "  }\n"
                                  "}\n";

static void run_ok(const char *cmd)
{
    char full[4096];
    snprintf(full, sizeof full, "LC_ALL=C.UTF-8 %s >/dev/null 2>&1", cmd);
    cr_assert_eq(system(full), 0, "%s failed", cmd);
}

static unsigned char *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2, i;
    unsigned char *out = malloc(n + 1);
    for (i = 0; i < n; i++) {
        unsigned v;
        cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    *len = n;
    return out;
}

/* Java's own reading of every key entry (SP, KP in the environment): the
 * private key's PKCS#8 and the secret key's bytes must equal ours. */
static size_t check_with_java(vault_keystore *ks, const char *type, const char *path)
{
    char src[512], cmd[2048], *line, *save = NULL;
    unsigned char *out = NULL;
    size_t n = 0, checked = 0;

    snprintf(src, sizeof src, "%s/Dump.java", test_tmpdir());
    spit(src, dumper_java, strlen(dumper_java));
    snprintf(cmd, sizeof cmd, "LC_ALL=C.UTF-8 java -XX:TieredStopAtLevel=1 '%s' %s '%s' 2>/dev/null", src,
             type, path);
    cr_assert_eq(run_capture(cmd, &out, &n), 0, "%s", cmd);
    for (line = strtok_r((char *)out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char alias[256], alg[64], hex[8192];
        const vault_keystore_entry *info;
        unsigned char *want;
        size_t wlen;

        cr_assert_eq(sscanf(line, "%255s %63s %8191s", alias, alg, hex), 3, "%s", line);
        want = unhex(hex, &wlen);
        cr_assert_eq(vault_keystore_find(&info, ks, alias), 0, "%s", alias);
        if (info->kind == VAULT_ENTRY_SECRET_KEY) {
            vault_secret *key = NULL;
            cr_assert_eq(vault_keystore_secret_key(&key, ks, alias), 0, "%s", last_message());
            assert_bytes(vault_secret_data(key), vault_secret_len(key), want, wlen, alias);
            cr_assert_str_eq(info->key_algorithm, alg);
            vault_secret_free(key);
        } else {
            /* Java's PKCS#8 through OpenSSL's encoder, as ours (Java leaves
             * the public key out of EC keys; OpenSSL puts it in). */
            const unsigned char *p = want;
            EVP_PKEY *jk = d2i_AutoPrivateKey(NULL, &p, (long)wlen);
            unsigned char *norm;
            size_t nlen;
            cr_assert_not_null(jk, "%s: Java's key does not parse", alias);
            norm = pkcs8_der(jk, &nlen);
            assert_private_key(ks, alias, norm, nlen);
            OPENSSL_free(norm);
            EVP_PKEY_free(jk);
        }
        free(want);
        checked++;
    }
    free(out);
    return checked;
}

static unsigned rnd32(void)
{
    unsigned v = 0;
    cr_assert_eq(getrandom(&v, sizeof v, 0), (ssize_t)sizeof v);
    return v;
}

/* keyalg "RSA -keysize 2048" or "EC" */
static void keytool_genkey(const char *type, const char *path, const char *alias, const char *keyalg)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "keytool -J-XX:TieredStopAtLevel=1 -genkeypair -keyalg %s -validity 30 -storetype %s "
             "-keystore '%s' -storepass:env SP -keypass:env KP -alias '%s' -dname 'CN=%s'",
             keyalg, type, path, alias, alias);
    run_ok(cmd);
}

static void keytool_import_trusted(const char *type, const char *path, const char *alias)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "keytool -J-XX:TieredStopAtLevel=1 -importcert -noprompt -storetype %s -keystore '%s' "
             "-storepass:env SP "
             "-alias '%s' -file '%s'",
             type, path, alias, shared_path("fixtures/java/identity.cer"));
    run_ok(cmd);
}

/* The DER keytool -exportcert writes for alias. */
static void assert_exported_cert(vault_keystore *ks, const char *type, const char *path, const char *alias)
{
    char cmd[2048], out[512];
    unsigned char *der;
    size_t n;
    snprintf(out, sizeof out, "%s/export.der", test_tmpdir());
    snprintf(cmd, sizeof cmd,
             "keytool -J-XX:TieredStopAtLevel=1 -exportcert -storetype %s -keystore '%s' -storepass:env SP "
             "-alias '%s' "
             "-file '%s'",
             type, path, alias, out);
    run_ok(cmd);
    der = slurp(out, &n);
    assert_cert(ks, alias, 0, der, n);
    free(der);
}

Test(keytool, generated_jks)
{
    char sp[128], kp[128], path[512], args[1024];
    pwset pw = {sp, kp};
    const vault_keystore_entry *info;
    vault_keystore *ks = NULL;
    unsigned char *der = NULL;
    size_t n;

    /* Non-ASCII, with a character outside the BMP (a UTF-16 surrogate pair). */
    snprintf(sp, sizeof sp, "störe-密码-\xf0\x9d\x84\x9e-%08x", rnd32());
    snprintf(kp, sizeof kp, "ключ-%08x-é", rnd32());
    setenv("SP", sp, 1);
    setenv("KP", kp, 1);
    snprintf(path, sizeof path, "%s/gen.jks", test_tmpdir());
    keytool_genkey("JKS", path, "Alpha", "RSA -keysize 2048");
    keytool_genkey("JKS", path, "GAMMA-key", "EC");
    keytool_import_trusted("JKS", path, "Trusted-\xf0\x9f\x98\x80-\xc3\x9c");

    cr_assert_eq(open_file(&ks, path, &pw), 0, "%s", last_message());
    cr_assert_eq(vault_keystore_count(ks), 3);
    /* Java stores aliases lower-cased; lookup ignores case. */
    cr_assert_eq(vault_keystore_find(&info, ks, "ALPHA"), 0);
    cr_assert_str_eq(info->alias, "alpha");
    cr_assert_eq(vault_keystore_find(&info, ks, "gamma-KEY"), 0);
    cr_assert_eq(vault_keystore_find(&info, ks, "trusted-\xf0\x9f\x98\x80-\xc3\xbc"), 0);
    cr_assert_eq(info->kind, VAULT_ENTRY_TRUSTED_CERT);
    snprintf(args, sizeof args, "-storetype JKS -keystore '%s' -storepass:env SP", path);
    check_with_keytool(ks, args);
    assert_exported_cert(ks, "JKS", path, "Alpha");
    cr_assert_eq(check_with_java(ks, "JKS", path), 2);
    vault_keystore_free(ks);

    pw.key = sp; /* the store password is not the key password */
    cr_assert_eq(open_file(&ks, path, &pw), 0);
    cr_assert_eq(vault_keystore_public_key_der(&der, &n, ks, "alpha"), VAULT_EAUTH);
    cr_assert_not_null(strstr(last_message(), "alias \"alpha\""), "%s", last_message());
    vault_keystore_free(ks);
}

Test(keytool, generated_jceks_with_secret_keys)
{
    char sp[128], kp[128], path[512], args[1024], cmd[2048];
    pwset pw = {sp, kp};
    const vault_keystore_entry *info;
    vault_keystore *ks = NULL, *again = NULL;
    vault_secret *k1 = NULL, *k2 = NULL;

    /* Java's PBEKey takes printable ASCII key passwords only; the store
     * password (a plain SHA-1 input) may be anything. */
    snprintf(sp, sizeof sp, "störe-密码-\xf0\x9d\x84\x9e-%08x", rnd32());
    snprintf(kp, sizeof kp, "Key pass ~%08x!", rnd32());
    setenv("SP", sp, 1);
    setenv("KP", kp, 1);
    snprintf(path, sizeof path, "%s/gen.jceks", test_tmpdir());
    keytool_genkey("JCEKS", path, "Key-One", "RSA -keysize 2048");
    snprintf(cmd, sizeof cmd,
             "keytool -J-XX:TieredStopAtLevel=1 -genseckey -keyalg AES -keysize 256 -storetype JCEKS "
             "-keystore '%s' -storepass:env SP -keypass:env KP -alias Secret-AES",
             path);
    run_ok(cmd);
    snprintf(cmd, sizeof cmd,
             "keytool -J-XX:TieredStopAtLevel=1 -genseckey -keyalg DESede -storetype JCEKS "
             "-keystore '%s' -storepass:env SP -keypass:env KP -alias des3",
             path);
    run_ok(cmd);
    keytool_import_trusted("JCEKS", path, "trusted");

    cr_assert_eq(open_file(&ks, path, &pw), 0, "%s", last_message());
    cr_assert_eq(vault_keystore_count(ks), 4);
    cr_assert_eq(vault_keystore_find(&info, ks, "SECRET-aes"), 0);
    cr_assert_eq(info->kind, VAULT_ENTRY_SECRET_KEY);
    snprintf(args, sizeof args, "-storetype JCEKS -keystore '%s' -storepass:env SP", path);
    check_with_keytool(ks, args);
    assert_exported_cert(ks, "JCEKS", path, "Key-One");
    cr_assert_eq(check_with_java(ks, "JCEKS", path), 3);
    cr_assert_eq(vault_keystore_find(&info, ks, "secret-aes"), 0);
    cr_assert_str_eq(info->key_algorithm, "AES");
    cr_assert_eq(info->key_bits, 256);

    /* A second open gives the same key; wrong passwords fail cleanly. */
    cr_assert_eq(vault_keystore_secret_key(&k1, ks, "secret-aes"), 0);
    pw.key = sp;
    cr_assert_eq(open_file(&again, path, &pw), 0);
    cr_assert_eq(vault_keystore_secret_key(&k2, again, "secret-aes"), VAULT_EAUTH);
    cr_assert_null(k2);
    vault_keystore_free(again);
    pw.key = kp;
    cr_assert_eq(open_file(&again, path, &pw), 0);
    cr_assert_eq(vault_keystore_secret_key(&k2, again, "secret-aes"), 0);
    assert_bytes(vault_secret_data(k1), vault_secret_len(k1), vault_secret_data(k2), vault_secret_len(k2),
                 "second open");
    vault_secret_free(k1);
    vault_secret_free(k2);
    vault_keystore_free(again);
    vault_keystore_free(ks);
}

/* ---- errors: passwords, damage, hostile lengths, failed allocations ---- */

static unsigned char *identity(const char *ext, size_t *n)
{
    char rel[128];
    snprintf(rel, sizeof rel, "fixtures/java/identity.%s", ext);
    return slurp(shared_path(rel), n);
}

static const pwset identity_pw = {IDENTITY_PW, IDENTITY_PW};

/* Recompute the store hash of a modified store (ASCII password). */
static void reseal(unsigned char *d, size_t n, const char *password)
{
    unsigned char pw16[256];
    size_t i, m = strlen(password);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    for (i = 0; i < m; i++) {
        pw16[2 * i] = 0;
        pw16[2 * i + 1] = (unsigned char)password[i];
    }
    cr_assert(EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) && EVP_DigestUpdate(ctx, pw16, 2 * m) &&
              EVP_DigestUpdate(ctx, "Mighty Aphrodite", 16) && EVP_DigestUpdate(ctx, d, n - 20) &&
              EVP_DigestFinal_ex(ctx, d + n - 20, NULL));
    EVP_MD_CTX_free(ctx);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Offsets in a one-entry private key store (version 2). */
typedef struct layout {
    size_t count, alias_len, alias, date, key_len, key, chain, cert_type, cert_len, cert, hash;
} layout;

static layout layout_of(const unsigned char *d, size_t n)
{
    layout l;
    l.count = 8;
    l.alias_len = 16;
    l.alias = 18;
    l.date = l.alias + ((size_t)d[16] << 8 | d[17]);
    l.key_len = l.date + 8;
    l.key = l.key_len + 4;
    l.chain = l.key + be32(d + l.key_len);
    l.cert_type = l.chain + 4;
    l.cert_len = l.cert_type + 2 + 5;
    l.cert = l.cert_len + 4;
    l.hash = n - 20;
    cr_assert_eq(be32(d + 12), 1);
    cr_assert_eq(l.cert + be32(d + l.cert_len), l.hash);
    return l;
}

Test(errors, wrong_store_password)
{
    static const char *const exts[] = {"jks", "jceks"};
    static const char *const wrong[] = {"wso2carbon ", "WSO2carbon", "", "wso2carbo\xc3\xb1"};
    size_t i, j;
    for (i = 0; i < 2; i++) {
        char rel[64], path[512];
        snprintf(rel, sizeof rel, "fixtures/java/identity.%s", exts[i]);
        snprintf(path, sizeof path, "%s", shared_path(rel));
        for (j = 0; j < sizeof wrong / sizeof wrong[0]; j++) {
            pwset pw = {wrong[j], IDENTITY_PW};
            vault_keystore *ks = NULL;
            char want[600];
            cr_assert_eq(open_file(&ks, path, &pw), VAULT_EAUTH);
            cr_assert_null(ks);
            snprintf(want, sizeof want, "%s: wrong store password, or the keystore was tampered with", path);
            cr_assert_str_eq(last_message(), want);
        }
        {
            pwset pw = {"wso2carbon\xff", NULL}; /* not UTF-8 */
            vault_keystore *ks = NULL;
            cr_assert_eq(open_file(&ks, path, &pw), VAULT_EAUTH);
            cr_assert_not_null(strstr(last_message(), path));
        }
    }
}

Test(errors, wrong_key_password)
{
    static const char *const exts[] = {"jks", "jceks"};
    static const char *const wrong[] = {"wso2carbon1", "", "wso2carbön", "\x01"};
    size_t i, j;
    for (i = 0; i < 2; i++) {
        size_t n;
        unsigned char *d = identity(exts[i], &n);
        for (j = 0; j < sizeof wrong / sizeof wrong[0]; j++) {
            pwset pw = {IDENTITY_PW, wrong[j]};
            vault_keystore *ks = NULL;
            unsigned char *der = NULL;
            size_t len;
            cr_assert_eq(open_mem(&ks, d, n, VAULT_KEYSTORE_AUTO, &pw), 0);
            cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "wso2carbon"), VAULT_EAUTH, "%s %zu",
                         exts[i], j);
            cr_assert_str_eq(last_message(), "mem.ks: alias \"wso2carbon\": wrong key password");
            cr_assert_null(der);
            /* A failed unlock leaves the entry locked; the right password still works. */
            pw.key = IDENTITY_PW;
            cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "wso2carbon"), 0, "%s",
                         last_message());
            vault_string_free((char *)der);
            vault_keystore_free(ks);
        }
        free(d);
    }
}

Test(errors, every_truncated_prefix)
{
    static const char *const exts[] = {"jks", "jceks"};
    size_t i, len;
    for (i = 0; i < 2; i++) {
        size_t n;
        unsigned char *d = identity(exts[i], &n);
        for (len = 0; len < n; len++) {
            unsigned char *copy = malloc(len ? len : 1);
            vault_keystore *ks = NULL;
            memcpy(copy, d, len);
            cr_assert_eq(open_mem(&ks, copy, len, VAULT_KEYSTORE_AUTO, &identity_pw), VAULT_EFORMAT,
                         "%s prefix %zu", exts[i], len);
            cr_assert_null(ks);
            cr_assert_eq(
                open_mem(&ks, copy, len, i ? VAULT_KEYSTORE_JCEKS : VAULT_KEYSTORE_JKS, &identity_pw),
                VAULT_EFORMAT, "%s prefix %zu", exts[i], len);
            cr_assert_not_null(strstr(last_message(), "mem.ks"));
            free(copy);
        }
        free(d);
    }
}

/* What a flipped byte must give: the layout check catches the header, the
 * entry tag and the certificate type; the store hash catches the alias,
 * date, key, certificate and the hash itself; length fields may give either. */
static int flip_expect(const layout *l, size_t k)
{
    if (k < l->count || (k >= l->count + 4 && k < l->alias_len) || (k >= l->cert_type + 2 && k < l->cert_len))
        return VAULT_EFORMAT;
    if ((k >= l->alias && k < l->key_len) || (k >= l->key && k < l->chain) || k >= l->cert)
        return VAULT_EAUTH;
    return 0;
}

Test(errors, every_flipped_byte)
{
    static const char *const exts[] = {"jks", "jceks"};
    size_t i, k;
    for (i = 0; i < 2; i++) {
        size_t n;
        unsigned char *d = identity(exts[i], &n);
        layout l = layout_of(d, n);
        for (k = 0; k < n; k++) {
            vault_keystore *ks = NULL;
            int rc;
            d[k] ^= 0x20;
            rc = open_mem(&ks, d, n, VAULT_KEYSTORE_AUTO, &identity_pw);
            d[k] ^= 0x20;
            cr_assert(rc == VAULT_EAUTH || rc == VAULT_EFORMAT, "%s byte %zu: %d", exts[i], k, rc);
            cr_assert_null(ks);
            if (flip_expect(&l, k))
                cr_assert_eq(rc, flip_expect(&l, k), "%s byte %zu: %d", exts[i], k, rc);
        }
        free(d);
    }
}

/* A damaged key under a valid store hash (as if the store password were
 * known): the JKS check digest catches any change; JCEKS keys have no
 * integrity check, so only a damaged last cipher block (the padding) is
 * sure to be caught there, as in Java. */
Test(errors, damaged_key_under_valid_hash)
{
    static const char *const exts[] = {"jks", "jceks"};
    size_t i, k;
    for (i = 0; i < 2; i++) {
        size_t n;
        unsigned char *d = identity(exts[i], &n);
        layout l = layout_of(d, n);
        size_t end = l.chain; /* the EncryptedPrivateKeyInfo ends with the data */
        size_t spots[] = {end - 1, end - 4, end - 8, end - 20, end - 21, l.key + 60, (l.key + end) / 2};
        size_t nspots = i == 0 ? 7 : 3;
        for (k = 0; k < nspots; k++) {
            vault_keystore *ks = NULL;
            unsigned char *der = NULL;
            size_t len;
            d[spots[k]] ^= 0x04;
            reseal(d, n, IDENTITY_PW);
            cr_assert_eq(open_mem(&ks, d, n, VAULT_KEYSTORE_AUTO, &identity_pw), 0, "%s", last_message());
            cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "wso2carbon"), VAULT_EAUTH,
                         "%s spot %zu", exts[i], k);
            cr_assert_null(der);
            vault_keystore_free(ks);
            d[spots[k]] ^= 0x04;
        }
        free(d);
    }
}

Test(errors, huge_length_fields)
{
    static const char *const exts[] = {"jks", "jceks"};
    size_t i, k;
    for (i = 0; i < 2; i++) {
        size_t n;
        unsigned char *d = identity(exts[i], &n);
        layout l = layout_of(d, n);
        const struct {
            size_t off, width;
        } fields[] = {{l.count, 4}, {l.alias_len, 2}, {l.key_len, 4},
                      {l.chain, 4}, {l.cert_type, 2}, {l.cert_len, 4}};
        for (k = 0; k < sizeof fields / sizeof fields[0]; k++) {
            unsigned char *copy = malloc(n);
            vault_keystore *ks = NULL;
            unsigned long allocs;
            memcpy(copy, d, n);
            memset(copy + fields[k].off, 0xFF, fields[k].width);
            reseal(copy, n, IDENTITY_PW);
            vault__test_alloc_fail_at(0);
            cr_assert_eq(open_mem(&ks, copy, n, VAULT_KEYSTORE_AUTO, &identity_pw), VAULT_EFORMAT,
                         "%s field %zu", exts[i], k);
            allocs = vault__test_alloc_fail_at(0);
            cr_assert_lt(allocs, 10, "%lu allocations", allocs);
            free(copy);
        }
        free(d);
    }
}

Test(errors, failed_allocations)
{
    static const struct {
        const char *rel, *alias;
        int secret;
    } cases[] = {
        {"fixtures/java/identity.jks", "wso2carbon", 0},
        {"fixtures/java/identity.jceks", "wso2carbon", 0},
        {PYJKS "keystores/jceks/AES256.jceks", "mykey", 1},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pwset pw = {i < 2 ? IDENTITY_PW : "12345678", NULL};
        unsigned long nth;
        size_t n;
        unsigned char *d = slurp(shared_path(cases[i].rel), &n);
        int rc = -1;
        for (nth = 1; nth < 500 && rc != 0; nth++) {
            vault_keystore *ks = NULL;
            unsigned char *der = NULL;
            vault_secret *key = NULL;
            size_t len;
            vault__test_alloc_fail_at(nth);
            rc = open_mem(&ks, d, n, VAULT_KEYSTORE_AUTO, &pw);
            if (rc == 0)
                rc = cases[i].secret ? vault_keystore_secret_key(&key, ks, cases[i].alias)
                                     : vault_keystore_public_key_der(&der, &len, ks, cases[i].alias);
            vault__test_alloc_fail_at(0);
            if (rc != 0)
                cr_assert_eq(rc, VAULT_ENOMEM, "%s: allocation %lu: %d %s", cases[i].rel, nth, rc,
                             last_message());
            vault_string_free((char *)der);
            vault_secret_free(key);
            vault_keystore_free(ks);
        }
        cr_assert_eq(rc, 0, "%s never succeeded", cases[i].rel);
        cr_assert_gt(nth, 3);
        free(d);
    }
}

Test(errors, forced_type_must_match_magic)
{
    size_t n;
    unsigned char *jks = identity("jks", &n);
    vault_keystore *ks = NULL;
    cr_assert_eq(open_mem(&ks, jks, n, VAULT_KEYSTORE_JCEKS, &identity_pw), VAULT_EFORMAT);
    cr_assert_str_eq(last_message(), "mem.ks: not a JCEKS keystore");
    cr_assert_eq(open_mem(&ks, jks, n, VAULT_KEYSTORE_JKS, &identity_pw), 0);
    vault_keystore_free(ks);
    free(jks);
    jks = identity("jceks", &n);
    cr_assert_eq(open_mem(&ks, jks, n, VAULT_KEYSTORE_JKS, &identity_pw), VAULT_EFORMAT);
    cr_assert_str_eq(last_message(), "mem.ks: not a JKS keystore");
    free(jks);
}

/* What the layout walk refuses before any hash or key is looked at. */
Test(errors, bad_layouts)
{
    static const unsigned char hdr[] = {0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 0};
    pwset empty = {"", NULL};
    unsigned char buf[64];
    vault_keystore *ks = NULL;
    size_t n;
    unsigned char *d = identity("jks", &n), *big = malloc(n + 1);

    /* pyjks' cases: bad version, bad signature, short signature */
    memcpy(buf, hdr, 12);
    buf[7] = 0;
    cr_assert_eq(open_mem(&ks, buf, 12, VAULT_KEYSTORE_AUTO, &empty), VAULT_EFORMAT);
    memset(buf + 12, 0, 20);
    cr_assert_eq(open_mem(&ks, buf, 32, VAULT_KEYSTORE_AUTO, &empty), VAULT_EFORMAT);
    cr_assert_not_null(strstr(last_message(), "unsupported JKS version 0"), "%s", last_message());
    buf[7] = 2;
    cr_assert_eq(open_mem(&ks, buf, 32, VAULT_KEYSTORE_AUTO, &empty), VAULT_EAUTH);
    cr_assert_eq(open_mem(&ks, buf, 31, VAULT_KEYSTORE_AUTO, &empty), VAULT_EFORMAT);
    reseal(buf, 32, "");
    cr_assert_eq(open_mem(&ks, buf, 32, VAULT_KEYSTORE_AUTO, &empty), 0);
    cr_assert_eq(vault_keystore_count(ks), 0);
    vault_keystore_free(ks);
    /* an entry count that cannot fit */
    buf[11] = 2;
    reseal(buf, 32, "");
    cr_assert_eq(open_mem(&ks, buf, 32, VAULT_KEYSTORE_AUTO, &empty), VAULT_EFORMAT);

    /* trailing bytes after a valid store */
    memcpy(big, d, n);
    big[n] = 0;
    cr_assert_eq(open_mem(&ks, big, n + 1, VAULT_KEYSTORE_AUTO, &identity_pw), VAULT_EFORMAT);
    cr_assert_not_null(strstr(last_message(), "1 unexpected bytes"), "%s", last_message());
    /* entry tags: 3 (secret key) only in JCEKS, 7 never */
    memcpy(big, d, n);
    big[15] = 3;
    reseal(big, n, IDENTITY_PW);
    cr_assert_eq(open_mem(&ks, big, n, VAULT_KEYSTORE_AUTO, &identity_pw), VAULT_EFORMAT);
    cr_assert_str_eq(last_message(), "mem.ks: unknown JKS entry type 3");
    big[15] = 7;
    reseal(big, n, IDENTITY_PW);
    cr_assert_eq(open_mem(&ks, big, n, VAULT_KEYSTORE_AUTO, &identity_pw), VAULT_EFORMAT);
    /* version 1 has no certificate type strings: this store is not one */
    memcpy(big, d, n);
    big[7] = 1;
    reseal(big, n, IDENTITY_PW);
    cr_assert_eq(open_mem(&ks, big, n, VAULT_KEYSTORE_AUTO, &identity_pw), VAULT_EFORMAT);
    free(big);
    free(d);
}

/* JCEKS reads JDK-protected keys too; JKS does not read JCE-protected ones. */
Test(errors, key_protector_per_store_type)
{
    size_t n;
    unsigned char *d = identity("jks", &n), *der = NULL;
    vault_keystore *ks = NULL;
    size_t len;

    memset(d, 0xCE, 4);
    reseal(d, n, IDENTITY_PW);
    cr_assert_eq(open_mem(&ks, d, n, VAULT_KEYSTORE_AUTO, &identity_pw), 0, "%s", last_message());
    cr_assert_eq(vault_keystore_get_type(ks), VAULT_KEYSTORE_JCEKS);
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "wso2carbon"), 0, "%s", last_message());
    vault_string_free((char *)der);
    vault_keystore_free(ks);
    free(d);

    d = identity("jceks", &n);
    d[0] = d[2] = 0xFE;
    d[1] = d[3] = 0xED;
    reseal(d, n, IDENTITY_PW);
    cr_assert_eq(open_mem(&ks, d, n, VAULT_KEYSTORE_AUTO, &identity_pw), VAULT_EFORMAT);
    cr_assert_str_eq(last_message(), "mem.ks: alias \"wso2carbon\": unsupported key protection algorithm");
    free(d);
}

/* Aliases are Java modified UTF-8: a surrogate pair becomes one UTF-8
 * character; broken sequences and lone surrogates are refused. */
Test(errors, modified_utf8_aliases)
{
    static const struct {
        const char *alias;
        size_t len;
        const char *utf8;
    } cases[] = {
        {"a\xed\xa0\xbd\xed\xb8\x80", 7, "a\xf0\x9f\x98\x80"}, /* U+1F600 */
        {"\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9"},
        {"\xe2\x82\xac", 3, "\xe2\x82\xac"},
        {"a\xed\xa0\xbd", 4, NULL}, /* lone high surrogate */
        {"a\xed\xb8\x80", 4, NULL}, /* lone low surrogate */
        {"a\xff", 2, NULL},
        {"a\xc3", 2, NULL},
        {"a\xc0\x80", 3, NULL}, /* NUL */
    };
    size_t clen, i;
    unsigned char *cert = slurp(shared_path("fixtures/java/identity.cer"), &clen);
    unsigned char *d = malloc(64 + clen);
    pwset pw = {"x", NULL};

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const vault_keystore_entry *info;
        vault_keystore *ks = NULL;
        size_t o = 0;
        int rc;
        memcpy(d, "\xFE\xED\xFE\xED\0\0\0\2\0\0\0\1\0\0\0\2", 16);
        o = 16;
        d[o++] = 0;
        d[o++] = (unsigned char)cases[i].len;
        memcpy(d + o, cases[i].alias, cases[i].len);
        o += cases[i].len;
        memset(d + o, 0, 8);
        o += 8;
        memcpy(d + o, "\0\5X.509", 7);
        o += 7;
        d[o++] = (unsigned char)(clen >> 24);
        d[o++] = (unsigned char)(clen >> 16);
        d[o++] = (unsigned char)(clen >> 8);
        d[o++] = (unsigned char)clen;
        memcpy(d + o, cert, clen);
        o += clen + 20;
        reseal(d, o, "x");
        rc = open_mem(&ks, d, o, VAULT_KEYSTORE_AUTO, &pw);
        if (!cases[i].utf8) {
            cr_assert_eq(rc, VAULT_EFORMAT, "case %zu", i);
            continue;
        }
        cr_assert_eq(rc, 0, "case %zu: %s", i, last_message());
        cr_assert_eq(vault_keystore_entry_at(&info, ks, 0), 0);
        cr_assert_str_eq(info->alias, cases[i].utf8);
        cr_assert_eq(info->created_ms, 0);
        vault_keystore_free(ks);
    }
    free(d);
    free(cert);
}
