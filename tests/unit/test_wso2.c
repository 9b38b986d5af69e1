/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The WSO2 value forms (token_wso2.c through the public sealer/opener):
 * round trips with keys made by openssl at test time, checked against the
 * openssl CLI (it decrypts what we seal and seals what we open), the exact
 * JSON bytes Gson writes, tampering, truncation, length limits, the single
 * private-key operation under DEFAULT, and failed allocations.
 */
#include "token_wso2.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- helpers ------------------------------------------------------------ */

static const char *tmp(const char *name)
{
    static char buf[8][4096];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

static const char *last_message(void)
{
    return vault_error_last() ? vault_error_last()->message : "";
}

/* Output of a shell command (binary-safe; trailing newlines kept when
 * keep_nl); caller frees. */
static unsigned char *sh_out(size_t *len, int keep_nl, const char *fmt, ...)
{
    char cmd[8192];
    unsigned char *out = NULL;
    size_t n = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    cr_assert_eq(run_capture(cmd, &out, &n), 0, "command failed: %s", cmd);
    while (!keep_nl && n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    if (len)
        *len = n;
    return out;
}

/* <tmp>/<name>.pem: an RSA key and its self-signed certificate, by openssl. */
static const char *make_identity(const char *name, int bits)
{
    static char path[4096];
    const char *d = test_tmpdir();
    struct stat st;

    snprintf(path, sizeof path, "%s/%s.pem", d, name);
    if (stat(path, &st) != 0)
        free(sh_out(NULL, 0, "openssl req -x509 -newkey rsa:%d -nodes -keyout %s/%s.key -out %s/%s.crt "
                    "-subj /CN=%s -days 2 2>/dev/null && cat %s/%s.key %s/%s.crt > %s", bits, d, name,
                    d, name, name, d, name, d, name, path));
    return path;
}

static vault_keystore *identity(const char *name, int bits)
{
    vault_keystore *ks = NULL;
    const char *path = make_identity(name, bits);
    cr_assert_eq(vault_keystore_open(&ks, path, NULL), 0, "%s: %s", path, last_message());
    return ks;
}

/* Upper-case hex thumbprint of <name>.crt as openssl prints it. */
static char *fingerprint(const char *name, const char *digest)
{
    return (char *)sh_out(NULL, 0, "openssl x509 -in %s/%s.crt -noout -fingerprint -%s | sed 's/.*=//; s/://g'",
                          test_tmpdir(), name, digest);
}

static char *seal(vault_keystore *ks, vault_format f, vault_transformation t, const void *pt, size_t len)
{
    vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
    vault_recipient *r = NULL;
    const vault_recipient *rs[1];
    vault_sealer *s = NULL;
    char *out = NULL;
    int rc;

    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0, "%s", last_message());
    rs[0] = r;
    o.format = f;
    o.transformation = t;
    o.recipients = rs;
    o.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&s, &o), 0, "%s", last_message());
    rc = vault_sealer_seal(&out, s, "db.password", pt, len);
    cr_assert_eq(rc, 0, "seal: %s", last_message());
    vault_sealer_free(s);
    vault_recipient_free(r);
    return out;
}

static char *seal_aes(const vault_secret *key, const void *pt, size_t len)
{
    vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
    vault_sealer *s = NULL;
    char *out = NULL;
    o.format = VAULT_FORMAT_WSO2_SYMMETRIC;
    o.symmetric_key = key;
    cr_assert_eq(vault_sealer_new(&s, &o), 0, "%s", last_message());
    cr_assert_eq(vault_sealer_seal(&out, s, "db.password", pt, len), 0, "%s", last_message());
    vault_sealer_free(s);
    return out;
}

/* The opener flags open_value() uses (VAULT_OPENER_REFUSE_PKCS1 or 0). */
static unsigned opener_flags;

static int open_value(vault_keystore *ks, const vault_secret *aes, vault_transformation t,
                      const char *value, vault_secret **out, unsigned *flags)
{
    vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *op = NULL;
    int rc;
    o.keystore = ks;
    o.symmetric_key = aes;
    o.transformation = t;
    o.flags = opener_flags;
    cr_assert_eq(vault_opener_new(&op, &o), 0, "%s", last_message());
    rc = vault_opener_open(out, flags, op, "db.password", value);
    vault_opener_free(op);
    return rc;
}

static void assert_opens_to(vault_keystore *ks, const vault_secret *aes, vault_transformation t,
                            const char *value, const void *pt, size_t len, unsigned want_flags)
{
    vault_secret *s = NULL;
    unsigned flags = 99;
    int rc = open_value(ks, aes, t, value, &s, &flags);
    cr_assert_eq(rc, 0, "open (%s): %s", vault_transformation_name(t), last_message());
    cr_assert_eq(vault_secret_len(s), len);
    cr_assert(len == 0 || memcmp(vault_secret_data(s), pt, len) == 0);
    /* VAULT_OPENED_OAEP_SHA256 is checked where the value's padding is known
     * (openssl_seals_we_open). */
    cr_assert_eq(flags & ~(unsigned)VAULT_OPENED_OAEP_SHA256, want_flags);
    vault_secret_free(s);
}

/* PKCS#1 v1.5 has implicit rejection (SECURITY.md): a block that is no
 * valid OAEP, opened where PKCS#1 v1.5 is allowed, never fails but opens to
 * bytes that are not the secret, flagged legacy like any PKCS#1 value. */
/* Whether the RSA block of a raw value is at or above the key's modulus:
 * no RSA input for that key, which fails openly (the modulus is public, so
 * the failure tells nothing). A block made for another key of the same size,
 * or damaged, is that with some chance. */
static int block_above_modulus(vault_keystore *ks, const char *value)
{
    unsigned char ct[1024];
    size_t n = strlen(value);
    int len = n < 1360 ? EVP_DecodeBlock(ct, (const unsigned char *)value, (int)n) : -1;
    EVP_PKEY *key = NULL;
    BIGNUM *mod = NULL, *c;
    int above;

    cr_assert(len > 0, "not a raw value");
    len -= (n > 0 && value[n - 1] == '=') + (n > 1 && value[n - 2] == '=');
    cr_assert_eq(ks_private_key(ks, NULL, &key, NULL), 0, "%s", last_message());
    cr_assert(EVP_PKEY_get_bn_param(key, "n", &mod) > 0);
    c = BN_bin2bn(ct, len, NULL);
    cr_assert_not_null(c);
    above = BN_cmp(c, mod) >= 0;
    BN_free(c);
    BN_free(mod);
    return above;
}

static void assert_opens_elsewhere(vault_keystore *ks, vault_transformation t, const char *value,
                                   const char *pt, size_t len)
{
    vault_secret *s = NULL;
    unsigned flags = 99;
    int rc = open_value(ks, NULL, t, value, &s, &flags);
    if (block_above_modulus(ks, value)) {
        cr_assert_eq(rc, VAULT_EAUTH, "a block above the modulus: %s", last_message());
        cr_assert_null(s);
        return;
    }
    cr_assert_eq(rc, 0, "implicit rejection failed: %s", last_message());
    cr_assert_eq(flags, (unsigned)(VAULT_OPENED_LEGACY | VAULT_OPENED_UNPROVEN));
    cr_assert(vault_secret_len(s) != len || memcmp(vault_secret_data(s), pt, len) != 0,
              "opened to the secret");
    vault_secret_free(s);
}

/* A failure, with no plaintext handed out. */
static int assert_fails(vault_keystore *ks, const vault_secret *aes, vault_transformation t,
                        const char *value)
{
    vault_secret *s = NULL;
    unsigned flags = 99;
    int rc = open_value(ks, aes, t, value, &s, &flags);
    cr_assert_neq(rc, 0, "a damaged value opened: %s", value);
    cr_assert_null(s);
    cr_assert_eq(flags, 0u);
    return rc;
}

static const char *pkeyutl_opts(vault_transformation t)
{
    switch (t) {
    case VAULT_TRANSFORM_RSA_PKCS1: return "-pkeyopt rsa_padding_mode:pkcs1";
    case VAULT_TRANSFORM_RSA_OAEP_SHA256:
        return "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha1";
    default:
        return "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1";
    }
}

/* What `openssl pkeyutl -decrypt` makes of a base64 RSA block. */
static unsigned char *openssl_decrypt(const char *name, const char *b64, vault_transformation t,
                                      size_t *len)
{
    spit(tmp("ct.b64"), b64, strlen(b64));
    return sh_out(len, 1, "base64 -d < %s > %s && openssl pkeyutl -decrypt -inkey %s/%s.key -in %s %s",
                  tmp("ct.b64"), tmp("ct.bin"), test_tmpdir(), name, tmp("ct.bin"), pkeyutl_opts(t));
}

/* A raw value that `openssl pkeyutl -encrypt` made. */
static char *openssl_encrypt(const char *name, const void *pt, size_t len, vault_transformation t)
{
    spit(tmp("pt.bin"), pt, len);
    return (char *)sh_out(NULL, 0, "openssl pkeyutl -encrypt -certin -inkey %s/%s.crt -in %s %s | "
                          "base64 -w0", test_tmpdir(), name, tmp("pt.bin"), pkeyutl_opts(t));
}

/* The text inside a base64 value (the JSON forms). */
static char *unbase64(const char *b64)
{
    spit(tmp("v.b64"), b64, strlen(b64));
    return (char *)sh_out(NULL, 1, "base64 -d < %s", tmp("v.b64"));
}

static vault_secret *aes_key(size_t n)
{
    unsigned char k[32];
    vault_secret *s = NULL;
    size_t i;
    for (i = 0; i < n; i++)
        k[i] = (unsigned char)(i * 7 + 3);
    cr_assert_eq(vault_secret_new(&s, k, n), 0);
    return s;
}

static const vault_transformation rsa_transforms[] = {
    VAULT_TRANSFORM_RSA_PKCS1, VAULT_TRANSFORM_RSA_OAEP_SHA1, VAULT_TRANSFORM_RSA_OAEP_SHA256,
    VAULT_TRANSFORM_DEFAULT};

#define BYTES(s) {s, sizeof s - 1}
static const struct { const char *bytes; size_t len; } plaintexts[] = {
    BYTES(""),
    BYTES("wso2carbon"),
    BYTES("p@ss w0rd=with\"quotes'&<xml>"),
    BYTES("p\xc3\xa4ssw\xc3\xb6rd-\xe5\xaf\x86\xe7\xa0\x81-\xf0\x9f\x94\x91"), /* pässwörd-密码-🔑 */
    BYTES("nul\0inside\xff"),
};

/* ---- names -------------------------------------------------------------- */

/* The parsed value, or -1 after checking the failure's code and that the
 * output was left alone. */
static int tf_of(const char *name)
{
    vault_transformation t = (vault_transformation)99;
    int rc = vault_transformation_from_name(&t, name);
    if (rc == 0)
        return (int)t;
    cr_assert_eq(rc, name ? VAULT_EFORMAT : VAULT_EINVAL, "%s", name ? name : "NULL");
    cr_assert_eq((int)t, 99);
    return -1;
}

static int format_of(const char *name)
{
    vault_format f = (vault_format)99;
    int rc = vault_format_from_name(&f, name);
    if (rc == 0)
        return (int)f;
    cr_assert_eq(rc, name ? VAULT_EFORMAT : VAULT_EINVAL, "%s", name ? name : "NULL");
    cr_assert_eq((int)f, 99);
    return -1;
}

Test(wso2_names, transformations_as_java_names_them)
{
    cr_assert_eq(tf_of("RSA"), VAULT_TRANSFORM_RSA_PKCS1);
    cr_assert_eq(tf_of("rsa"), VAULT_TRANSFORM_RSA_PKCS1);
    cr_assert_eq(tf_of("RSA/ECB/PKCS1Padding"), VAULT_TRANSFORM_RSA_PKCS1);
    cr_assert_eq(tf_of("RSA/NONE/PKCS1Padding"), VAULT_TRANSFORM_RSA_PKCS1);
    cr_assert_eq(tf_of("RSA/ECB/OAEPwithSHA1andMGF1Padding"),
                 VAULT_TRANSFORM_RSA_OAEP_SHA1);
    cr_assert_eq(tf_of("RSA/ECB/OAEPWithSHA-1AndMGF1Padding"),
                 VAULT_TRANSFORM_RSA_OAEP_SHA1);
    cr_assert_eq(tf_of("rsa/ecb/oaepwithsha1andmgf1padding"),
                 VAULT_TRANSFORM_RSA_OAEP_SHA1);
    cr_assert_eq(tf_of("RSA/ECB/OAEPPadding"), VAULT_TRANSFORM_RSA_OAEP_SHA1);
    cr_assert_eq(tf_of("RSA/ECB/OAEPWithSHA-256AndMGF1Padding"),
                 VAULT_TRANSFORM_RSA_OAEP_SHA256);
    cr_assert_eq(tf_of("RSA/ECB/OAEPwithSHA256andMGF1Padding"),
                 VAULT_TRANSFORM_RSA_OAEP_SHA256);
    cr_assert_eq(tf_of("RSA/ECB/OAEPWithSHA-384AndMGF1Padding"), -1);
    cr_assert_eq(tf_of("RSA/CBC/PKCS1Padding"), -1);
    cr_assert_eq(tf_of("AES/GCM/NoPadding"), -1);
    cr_assert_eq(tf_of("RSA/ECB/"), -1);
    cr_assert_eq(tf_of(""), -1);
    cr_assert_eq(tf_of(NULL), -1);
    cr_assert_str_eq(vault_transformation_name(VAULT_TRANSFORM_RSA_OAEP_SHA256),
                     "RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    cr_assert_str_eq(vault_transformation_name(VAULT_TRANSFORM_RSA_OAEP_SHA1),
                     "RSA/ECB/OAEPwithSHA1andMGF1Padding");
    cr_assert_str_eq(vault_transformation_name(VAULT_TRANSFORM_RSA_PKCS1), "RSA/ECB/PKCS1Padding");
}

Test(wso2_names, formats)
{
    cr_assert_eq(format_of("native"), VAULT_FORMAT_NATIVE);
    cr_assert_eq(format_of("wso2"), VAULT_FORMAT_WSO2);
    cr_assert_eq(format_of("WSO2-Holder"), VAULT_FORMAT_WSO2_HOLDER);
    cr_assert_eq(format_of("wso2-symmetric"), VAULT_FORMAT_WSO2_SYMMETRIC);
    cr_assert_eq(format_of("wso2-raw"), -1);
    cr_assert_eq(format_of(NULL), -1);
    cr_assert_str_eq(vault_format_name(VAULT_FORMAT_WSO2_HOLDER), "wso2-holder");
}

/* A raw PKCS#1 v1.5 block names no key: it opens unproven. */
#define RAW_PKCS1 ((unsigned)(VAULT_OPENED_LEGACY | VAULT_OPENED_UNPROVEN))

/* ---- RSA forms ---------------------------------------------------------- */

Test(wso2_rsa, raw_round_trip_and_openssl_agrees)
{
    vault_keystore *ks = identity("id", 2048);
    size_t i, j, n;

    for (i = 0; i < sizeof rsa_transforms / sizeof rsa_transforms[0]; i++) {
        vault_transformation t = rsa_transforms[i];
        unsigned legacy = t == VAULT_TRANSFORM_RSA_PKCS1 ? RAW_PKCS1 : 0;
        for (j = 0; j < sizeof plaintexts / sizeof plaintexts[0]; j++) {
            char *v = seal(ks, VAULT_FORMAT_WSO2, t, plaintexts[j].bytes, plaintexts[j].len);
            unsigned char *theirs = openssl_decrypt("id", v, t, &n);
            cr_assert_eq(n, plaintexts[j].len, "openssl reads %zu bytes", n);
            cr_assert(n == 0 || memcmp(theirs, plaintexts[j].bytes, n) == 0);
            cr_assert_eq(strlen(v), 344u); /* 256 bytes, padded base64 */
            assert_opens_to(ks, NULL, VAULT_TRANSFORM_DEFAULT, v, plaintexts[j].bytes,
                            plaintexts[j].len, legacy);
            if (t != VAULT_TRANSFORM_DEFAULT)
                assert_opens_to(ks, NULL, t, v, plaintexts[j].bytes, plaintexts[j].len, legacy);
            free(theirs);
            vault_string_free(v);
        }
    }
    vault_keystore_free(ks);
}

Test(wso2_rsa, openssl_seals_we_open)
{
    vault_keystore *ks = identity("id", 2048);
    size_t i, j, k;

    for (i = 0; i < 3; i++) {
        vault_transformation t = rsa_transforms[i];
        unsigned legacy = t == VAULT_TRANSFORM_RSA_PKCS1 ? RAW_PKCS1 : 0;
        for (j = 1; j < sizeof plaintexts / sizeof plaintexts[0]; j++) {
            char *v = openssl_encrypt("id", plaintexts[j].bytes, plaintexts[j].len, t);
            assert_opens_to(ks, NULL, VAULT_TRANSFORM_DEFAULT, v, plaintexts[j].bytes,
                            plaintexts[j].len, legacy);
            assert_opens_to(ks, NULL, t, v, plaintexts[j].bytes, plaintexts[j].len, legacy);
            /* Opened by trying every padding, the flags say which OAEP digest
             * it was: a WSO2 home opens with only one. */
            for (k = 0; k < 2; k++) {
                vault_secret *s = NULL;
                unsigned flags = 0;
                cr_assert_eq(open_value(ks, NULL, k ? t : VAULT_TRANSFORM_DEFAULT, v, &s, &flags), 0);
                cr_assert_eq((flags & VAULT_OPENED_OAEP_SHA256) != 0, t == VAULT_TRANSFORM_RSA_OAEP_SHA256,
                             "%s", vault_transformation_name(t));
                vault_secret_free(s);
            }
            free(v);
        }
    }
    vault_keystore_free(ks);
}

Test(wso2_rsa, wrong_explicit_transformation_is_eauth)
{
    vault_keystore *ks = identity("id", 2048);
    size_t i, j;
    char first[512] = "";

    for (i = 0; i < 3; i++) {
        char *v = seal(ks, VAULT_FORMAT_WSO2, rsa_transforms[i], "secret", 6);
        for (j = 0; j < 3; j++) {
            if (i == j)
                continue;
            if (rsa_transforms[j] == VAULT_TRANSFORM_RSA_PKCS1) {
                assert_opens_elsewhere(ks, rsa_transforms[j], v, "secret", 6);
                continue;
            }
            cr_assert_eq(assert_fails(ks, NULL, rsa_transforms[j], v), VAULT_EAUTH);
            if (!first[0])
                snprintf(first, sizeof first, "%s", last_message());
            cr_assert_str_eq(last_message(), first, "distinguishable RSA failures");
        }
        vault_string_free(v);
    }
    vault_keystore_free(ks);
}

Test(wso2_rsa, one_private_key_operation_per_raw_open)
{
    vault_keystore *ks = identity("id", 2048);
    vault_secret *s = NULL;
    unsigned long before;
    size_t i;

    for (i = 0; i < 3; i++) {
        char *v = seal(ks, VAULT_FORMAT_WSO2, rsa_transforms[i], "secret", 6);
        before = vault__test_private_key_ops();
        assert_opens_to(ks, NULL, VAULT_TRANSFORM_DEFAULT, v, "secret", 6,
                        i == 0 ? RAW_PKCS1 : 0);
        cr_assert_eq(vault__test_private_key_ops(), before + 1, "%s: %lu operations",
                     vault_transformation_name(rsa_transforms[i]), vault__test_private_key_ops() - before);
        /* A damaged value (opened to other bytes) costs the same one operation. */
        v[10] = v[10] == 'A' ? 'B' : 'A';
        before = vault__test_private_key_ops();
        cr_assert_eq(open_value(ks, NULL, VAULT_TRANSFORM_DEFAULT, v, &s, NULL), 0);
        vault_secret_free(s);
        s = NULL;
        cr_assert_eq(vault__test_private_key_ops(), before + 1);
        vault_string_free(v);
    }
    vault_keystore_free(ks);
}

static void limit(vault_keystore *ks, vault_format f, vault_transformation t, size_t max)
{
    vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
    vault_recipient *r = NULL;
    const vault_recipient *rs[1];
    vault_sealer *s = NULL;
    char buf[600], *out = NULL, want[32];

    memset(buf, 'x', sizeof buf);
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0);
    rs[0] = r;
    o.format = f;
    o.transformation = t;
    o.recipients = rs;
    o.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&s, &o), 0);
    cr_assert_eq(vault_sealer_seal(&out, s, "a", buf, max), 0, "%zu bytes: %s", max, last_message());
    assert_opens_to(ks, NULL, t, out, buf, max,
                    t != VAULT_TRANSFORM_RSA_PKCS1 ? 0u
                    : f == VAULT_FORMAT_WSO2      ? RAW_PKCS1
                                                  : (unsigned)VAULT_OPENED_LEGACY);
    vault_string_free(out);
    out = NULL;
    cr_assert_eq(vault_sealer_seal(&out, s, "a", buf, max + 1), VAULT_EINVAL);
    cr_assert_null(out);
    snprintf(want, sizeof want, "at most %zu bytes", max);
    cr_assert(strstr(last_message(), want) != NULL, "%s", last_message());
    cr_assert(strstr(last_message(), "native format") != NULL, "%s", last_message());
    vault_sealer_free(s);
    vault_recipient_free(r);
}

Test(wso2_rsa, one_block_limits_name_the_limit)
{
    vault_keystore *ks = identity("id", 2048);
    limit(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_OAEP_SHA1, 214);
    limit(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_DEFAULT, 214);
    limit(ks, VAULT_FORMAT_WSO2_HOLDER, VAULT_TRANSFORM_RSA_OAEP_SHA1, 214);
    limit(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_PKCS1, 245);
    limit(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_OAEP_SHA256, 190);
    vault_keystore_free(ks);
}

Test(wso2_rsa, raw_sealed_for_a_larger_key_is_eformat)
{
    vault_keystore *big = identity("big", 3072), *ks = identity("id", 2048);
    char *v = seal(big, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_DEFAULT, "x", 1);
    cr_assert_eq(assert_fails(ks, NULL, VAULT_TRANSFORM_DEFAULT, v), VAULT_EFORMAT);
    cr_assert(strstr(last_message(), "384-byte") != NULL, "%s", last_message());
    assert_opens_to(big, NULL, VAULT_TRANSFORM_DEFAULT, v, "x", 1, 0);
    vault_string_free(v);
    vault_keystore_free(big);
    vault_keystore_free(ks);
}

Test(wso2_rsa, raw_for_another_key_of_the_same_size)
{
    vault_keystore *other = identity("other", 2048), *ks = identity("id", 2048);
    char *v = seal(other, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_DEFAULT, "x", 1);
    /* Padding unknown: it opens as PKCS#1 v1.5 to other bytes; refusing
     * PKCS#1 v1.5 makes it the one RSA error. */
    assert_opens_elsewhere(ks, VAULT_TRANSFORM_DEFAULT, v, "x", 1);
    opener_flags = VAULT_OPENER_REFUSE_PKCS1;
    cr_assert_eq(assert_fails(ks, NULL, VAULT_TRANSFORM_DEFAULT, v), VAULT_EAUTH);
    opener_flags = 0;
    vault_string_free(v);
    vault_keystore_free(other);
    vault_keystore_free(ks);
}

/* ---- sealing again what was opened (rotate) ----------------------------- */

static vault_opener *opener_of(vault_keystore *ks)
{
    vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *op = NULL;
    o.keystore = ks;
    cr_assert_eq(vault_opener_new(&op, &o), 0, "%s", last_message());
    return op;
}

static unsigned opened_flags(vault_opener *op, const char *value, int want_rc)
{
    vault_secret *s = NULL;
    unsigned flags = 99;
    cr_assert_eq(vault_opener_open(&s, &flags, op, "db.password", value), want_rc, "%s", last_message());
    vault_secret_free(s);
    return flags;
}

static void assert_reseal_refused(vault_opener *op, unsigned flags)
{
    cr_assert_eq(vault_opener_reseal_check(op, flags, "conf/c.properties", "db.password"), VAULT_EKEY);
    cr_assert(strstr(last_message(), "conf/c.properties: alias \"db.password\""), "%s", last_message());
    cr_assert(strstr(last_message(), "alias \"id\""), "names the key entry: %s", last_message());
}

Test(wso2_reseal, unproven_pkcs1_needs_a_value_bound_to_the_key)
{
    vault_keystore *other = identity("other", 2048), *ks = identity("id", 2048);
    char *raw = seal(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_PKCS1, "x", 1);
    char *oaep = seal(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_OAEP_SHA256, "x", 1);
    char *holder = seal(ks, VAULT_FORMAT_WSO2_HOLDER, VAULT_TRANSFORM_RSA_PKCS1, "x", 1);
    char *native = seal(ks, VAULT_FORMAT_NATIVE, VAULT_TRANSFORM_DEFAULT, "x", 1);
    char *holder_other = seal(other, VAULT_FORMAT_WSO2_HOLDER, VAULT_TRANSFORM_RSA_PKCS1, "x", 1);
    char *wrong = NULL;
    vault_opener *op = opener_of(ks), *op2 = opener_of(ks), *op3 = opener_of(ks);
    unsigned f;

    /* A block for another key opens (to other bytes) exactly like ours. */
    do {
        vault_string_free(wrong);
        wrong = seal(other, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_PKCS1, "x", 1);
    } while (block_above_modulus(ks, wrong));
    f = opened_flags(op, wrong, 0);
    cr_assert_eq(f, RAW_PKCS1);
    assert_reseal_refused(op, f);
    f = opened_flags(op, raw, 0);
    cr_assert_eq(f, RAW_PKCS1);
    assert_reseal_refused(op, f);
    /* What does not open, or opens unproven, proves nothing. */
    opened_flags(op, holder_other, VAULT_EKEY);
    assert_reseal_refused(op, f);
    /* Nothing to prove for values bound to their key. */
    cr_assert_eq(vault_opener_reseal_check(op, 0, NULL, NULL), 0);
    cr_assert_eq(vault_opener_reseal_check(op, VAULT_OPENED_LEGACY, NULL, NULL), 0);
    /* An OAEP block of ours proves the key, for values before and after it. */
    cr_assert_eq(opened_flags(op, oaep, 0), (unsigned)VAULT_OPENED_OAEP_SHA256);
    cr_assert_eq(vault_opener_reseal_check(op, f, "c", "a"), 0, "%s", last_message());
    /* So does a holder whose thumbprint names our certificate, PKCS#1 v1.5 or not. */
    cr_assert_eq(opened_flags(op2, holder, 0), (unsigned)VAULT_OPENED_LEGACY);
    cr_assert_eq(vault_opener_reseal_check(op2, f, "c", "a"), 0, "%s", last_message());
    /* And a native value (its AEAD). */
    assert_reseal_refused(op3, f);
    cr_assert_eq(opened_flags(op3, native, 0), 0u);
    cr_assert_eq(vault_opener_reseal_check(op3, f, "c", "a"), 0, "%s", last_message());
    cr_assert_eq(vault_opener_reseal_check(NULL, f, "c", "a"), VAULT_EINVAL);

    vault_opener_free(op);
    vault_opener_free(op2);
    vault_opener_free(op3);
    vault_string_free(raw);
    vault_string_free(oaep);
    vault_string_free(holder);
    vault_string_free(native);
    vault_string_free(holder_other);
    vault_string_free(wrong);
    vault_keystore_free(other);
    vault_keystore_free(ks);
}

/* ---- the holder form ---------------------------------------------------- */

/* The JSON as Gson writes it: {"c":"…","t":"…","tp":"…","tpd":"SHA-1"},
 * '=' as \u003d, nothing else escaped. */
static void check_holder_json(const char *json, const char *t_name, const char *tp, char *c_out)
{
    char suffix[256];
    const char *c, *end;
    size_t i, n = 0;

    cr_assert(strncmp(json, "{\"c\":\"", 6) == 0, "%s", json);
    snprintf(suffix, sizeof suffix, "\",\"t\":\"%s\",\"tp\":\"%s\",\"tpd\":\"SHA-1\"}", t_name, tp);
    end = json + strlen(json) - strlen(suffix);
    cr_assert_str_eq(end, suffix);
    for (c = json + 6; c < end; c++) {
        if (strncmp(c, "\\u003d", 6) == 0) {
            c_out[n++] = '=';
            c += 5;
            continue;
        }
        cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", *c),
                  "unexpected byte in c: %s", json);
        c_out[n++] = *c;
    }
    c_out[n] = '\0';
    for (i = 0; i < n; i++)
        cr_assert(c_out[i] != '=' || i >= n - 2);
}

Test(wso2_holder, gson_bytes_thumbprint_and_openssl_agrees)
{
    static const char *const names[] = {"RSA", "RSA/ECB/OAEPwithSHA1andMGF1Padding",
                                        "RSA/ECB/OAEPWithSHA-256AndMGF1Padding",
                                        "RSA/ECB/OAEPwithSHA1andMGF1Padding"};
    vault_keystore *ks = identity("id", 2048);
    char *tp = fingerprint("id", "sha1"), c[400];
    size_t i, n;

    cr_assert_eq(strlen(tp), 40u);
    for (i = 0; i < sizeof rsa_transforms / sizeof rsa_transforms[0]; i++) {
        vault_transformation t = rsa_transforms[i];
        const char *pt = plaintexts[3].bytes;
        char *v = seal(ks, VAULT_FORMAT_WSO2_HOLDER, t, pt, plaintexts[3].len);
        char *json = unbase64(v);
        unsigned char *theirs;

        check_holder_json(json, names[i], tp, c);
        theirs = openssl_decrypt("id", c, t, &n);
        cr_assert(n == plaintexts[3].len && memcmp(theirs, pt, n) == 0);
        /* The holder names its transformation: any opener setting works. */
        assert_opens_to(ks, NULL, VAULT_TRANSFORM_DEFAULT, v, pt, n,
                        t == VAULT_TRANSFORM_RSA_PKCS1 ? VAULT_OPENED_LEGACY : 0);
        assert_opens_to(ks, NULL, VAULT_TRANSFORM_RSA_PKCS1, v, pt, n,
                        t == VAULT_TRANSFORM_RSA_PKCS1 ? VAULT_OPENED_LEGACY : 0);
        free(theirs);
        free(json);
        vault_string_free(v);
    }
    free(tp);
    vault_keystore_free(ks);
}

Test(wso2_holder, other_keystore_is_ekey_naming_both_keys)
{
    vault_keystore *ks = identity("id", 2048), *other = identity("other", 2048);
    char *ours = fingerprint("id", "sha1"), *theirs = fingerprint("other", "sha1");
    char *v = seal(other, VAULT_FORMAT_WSO2_HOLDER, VAULT_TRANSFORM_DEFAULT, "x", 1);
    unsigned long before = vault__test_private_key_ops();

    cr_assert_eq(assert_fails(ks, NULL, VAULT_TRANSFORM_DEFAULT, v), VAULT_EKEY);
    cr_assert(strstr(last_message(), theirs) != NULL, "%s", last_message());
    cr_assert(strstr(last_message(), ours) != NULL, "%s", last_message());
    cr_assert(strstr(last_message(), "id.pem") != NULL, "%s", last_message());
    cr_assert_eq(vault__test_private_key_ops(), before, "no RSA operation for another key's value");
    free(ours);
    free(theirs);
    vault_string_free(v);
    vault_keystore_free(ks);
    vault_keystore_free(other);
}

/* Standard base64 of bytes (OpenSSL's encoder); caller frees. */
static char *b64(const void *data, size_t len)
{
    char *out = malloc(4 * (len / 3 + 1) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* Hand-made holders: what Java's Gson would also read. */
static char *holder_from_json(const char *json)
{
    return b64(json, strlen(json));
}

Test(wso2_holder, fields_parsed_strictly)
{
    vault_keystore *ks = identity("id", 2048);
    char *tp = fingerprint("id", "sha1"), *sha256 = fingerprint("id", "sha256");
    char *raw = openssl_encrypt("id", "hi", 2, VAULT_TRANSFORM_RSA_PKCS1);
    char json[2048], *v;

    /* No "t": CipherHolder's default, "RSA". Then blanks, a lower-case
     * name and a SHA-256 thumbprint. */
    snprintf(json, sizeof json, "{\"c\":\"%s\",\"tp\":\"%s\",\"tpd\":\"SHA-1\"}", raw, tp);
    v = holder_from_json(json);
    assert_opens_to(ks, NULL, VAULT_TRANSFORM_DEFAULT, v, "hi", 2, VAULT_OPENED_LEGACY);
    free(v);
    snprintf(json, sizeof json, " { \"c\" : \"%s\" , \"t\":\"rsa\", \"tp\":\"%s\", \"tpd\":\"SHA-256\"}",
             raw, sha256);
    v = holder_from_json(json);
    assert_opens_to(ks, NULL, VAULT_TRANSFORM_DEFAULT, v, "hi", 2, VAULT_OPENED_LEGACY);
    free(v);
    /* Each of these is malformed. */
    {
        const char *bad[] = {
            "{\"c\":\"%s\",\"t\":\"RSA/ECB/NoPadding\"}",
            "{\"c\":\"%s\",\"t\":\"RSA\",\"tp\":\"%s\",\"tpd\":\"MD5\"}",
            "{\"c\":\"%s\",\"t\":\"RSA\",\"tp\":\"%.38s\",\"tpd\":\"SHA-1\"}",
            "{\"c\":\"%s\",\"t\":\"RSA\",\"tp\":\"%s\"}",
            "{\"c\":\"%s\",\"t\":\"RSA\",\"x\":\"%s\"}",
            "{\"c\":\"%s\",\"c\":\"%s\"}",
            "{\"c\":\"%s!\",\"t\":\"RSA\"}",
            "{\"c\":\"%s\",\"t\":1}",
            "[\"%s\"]",
            "{\"c\":\"%s\",\"t\":\"RSA\"",
        };
        size_t i;
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(json, sizeof json, bad[i], raw, tp);
            v = holder_from_json(json);
            cr_assert_eq(assert_fails(ks, NULL, VAULT_TRANSFORM_DEFAULT, v), VAULT_EFORMAT, "%s: %s",
                         json, last_message());
            free(v);
        }
    }
    free(raw);
    free(tp);
    free(sha256);
    vault_keystore_free(ks);
}

/* ---- the symmetric form ------------------------------------------------- */

Test(wso2_symmetric, round_trip_iv_and_json_shape)
{
    size_t sizes[] = {16, 24, 32}, i, j;
    for (i = 0; i < 3; i++) {
        vault_secret *k = aes_key(sizes[i]), *other = aes_key(sizes[i]);
        vault_value_info *info = NULL;
        for (j = 0; j < sizeof plaintexts / sizeof plaintexts[0]; j++) {
            char *v = seal_aes(k, plaintexts[j].bytes, plaintexts[j].len), *json = unbase64(v);
            const char *iv = strstr(json, "\",\"iv\":\"");
            cr_assert(strncmp(json, "{\"cipherText\":\"", 15) == 0, "%s", json);
            cr_assert_not_null(iv, "%s", json);
            cr_assert_null(strchr(json, '='), "Gson writes '=' as \\u003d: %s", json);
            /* 128 bytes of IV: 172 base64 characters ending in one '=', escaped. */
            cr_assert_eq(strlen(iv + 8), 171u + 6 + 2, "%s", iv);
            cr_assert_str_eq(iv + 8 + 171, "\\u003d\"}");
            assert_opens_to(NULL, k, VAULT_TRANSFORM_DEFAULT, v, plaintexts[j].bytes, plaintexts[j].len, 0);
            cr_assert_eq(vault_inspect(&info, v), 0);
            cr_assert_eq(info->format, VAULT_FORMAT_WSO2_SYMMETRIC);
            cr_assert_eq(info->iv_bytes, 128u);
            cr_assert_eq(info->plaintext_bytes, plaintexts[j].len);
            cr_assert_eq(info->ciphertext_bytes, plaintexts[j].len + 16);
            cr_assert_eq(info->recipient_count, 0u);
            cr_assert_str_eq(info->algorithm, "AES/GCM/NoPadding");
            vault_value_info_free(info);
            free(json);
            vault_string_free(v);
        }
        vault_secret_free(k);
        vault_secret_free(other);
    }
}

Test(wso2_symmetric, wrong_key_and_bad_keys)
{
    vault_secret *k = aes_key(32), *other = NULL, *shortk = aes_key(20);
    vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
    vault_sealer *s = NULL;
    char *v = seal_aes(k, "secret", 6);
    unsigned char bytes[32] = {1};

    cr_assert_eq(vault_secret_new(&other, bytes, 32), 0);
    cr_assert_eq(assert_fails(NULL, other, VAULT_TRANSFORM_DEFAULT, v), VAULT_EAUTH);
    cr_assert_eq(assert_fails(NULL, shortk, VAULT_TRANSFORM_DEFAULT, v), VAULT_EINVAL);
    o.format = VAULT_FORMAT_WSO2_SYMMETRIC;
    o.symmetric_key = shortk;
    cr_assert_eq(vault_sealer_new(&s, &o), VAULT_EINVAL);
    o.symmetric_key = NULL;
    cr_assert_eq(vault_sealer_new(&s, &o), VAULT_EINVAL);
    cr_assert_null(s);
    vault_string_free(v);
    vault_secret_free(k);
    vault_secret_free(other);
    vault_secret_free(shortk);
}

Test(wso2_symmetric, java_style_value_with_long_iv_and_escapes)
{
    /* A GCM value with a 257-byte IV (over OpenSSL's 128-byte limit, as
     * Java allows), made with the emulated path and checked by Wycheproof
     * elsewhere; here: the JSON parsing of such a value and \u003d. */
    vault_secret *k = aes_key(32), *pt = NULL;
    unsigned char iv[257], ct[5 + 16];
    char json[2048], *v, ivb[400], ctb[64];
    size_t i;

    for (i = 0; i < sizeof iv; i++)
        iv[i] = (unsigned char)i;
    cr_assert_eq(aes_gcm_encrypt(vault_secret_data(k), 32, iv, sizeof iv, NULL, 0,
                                 (const unsigned char *)"hello", 5, ct, ct + 5, 16), 0);
    spit(tmp("iv.bin"), iv, sizeof iv);
    spit(tmp("ct.bin"), ct, sizeof ct);
    v = (char *)sh_out(NULL, 0, "base64 -w0 < %s | sed 's/=/\\\\u003d/g'", tmp("iv.bin"));
    snprintf(ivb, sizeof ivb, "%s", v);
    free(v);
    v = (char *)sh_out(NULL, 0, "base64 -w0 < %s | sed 's/=/\\\\u003d/g'", tmp("ct.bin"));
    snprintf(ctb, sizeof ctb, "%s", v);
    free(v);
    cr_assert(strstr(ivb, "\\u003d") != NULL || strlen(ivb) % 4 == 0);
    snprintf(json, sizeof json, "{\"cipherText\":\"%s\",\"iv\":\"%s\"}", ctb, ivb);
    v = holder_from_json(json);
    cr_assert_eq(open_value(NULL, k, VAULT_TRANSFORM_DEFAULT, v, &pt, NULL), 0, "%s", last_message());
    cr_assert_eq(vault_secret_len(pt), 5u);
    cr_assert_str_eq(vault_secret_str(pt), "hello");
    vault_secret_free(pt);
    free(v);
    vault_secret_free(k);
}

Test(wso2_symmetric, keystore_secret_key_entry)
{
    /* internal.p12 holds one AES-256 key (Java keytool), alias wso2carbon. */
    vault_passwords pw = {"wso2carbon", NULL};
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    vault_secret *key = NULL;
    char *v;

    ko.password = vault_password_fixed;
    ko.payload = &pw;
    cr_assert_eq(vault_keystore_open(&ks, shared_path("fixtures/java/internal.p12"), &ko), 0, "%s",
                 last_message());
    cr_assert_eq(vault_keystore_secret_key(&key, ks, NULL), 0, "%s", last_message());
    v = seal_aes(key, "from the keystore", 17);
    assert_opens_to(ks, NULL, VAULT_TRANSFORM_DEFAULT, v, "from the keystore", 17, 0);
    vault_string_free(v);
    vault_secret_free(key);
    vault_keystore_free(ks);
}

/* ---- damage ------------------------------------------------------------- */

/* Flip every character of the text, and every byte of what it encodes. */
static void flip_everything(vault_keystore *ks, const vault_secret *aes, const char *value, int holder)
{
    size_t n = strlen(value), i;
    char *v = strdup(value);
    int rc;

    for (i = 0; i < n; i++) {
        v[i] ^= 1;
        rc = assert_fails(ks, aes, VAULT_TRANSFORM_DEFAULT, v);
        cr_assert(rc == VAULT_EAUTH || rc == VAULT_EFORMAT || (holder && rc == VAULT_EKEY),
                  "flip at %zu: rc %d (%s)", i, rc, last_message());
        v[i] ^= 1;
    }
    free(v);
}

static void flip_decoded(vault_keystore *ks, const vault_secret *aes, const char *value, int holder)
{
    char *text = unbase64(value), *v;
    size_t n = strlen(text), i;
    int rc;

    for (i = 0; i < n; i++) {
        text[i] ^= 1;
        v = holder_from_json(text);
        rc = assert_fails(ks, aes, VAULT_TRANSFORM_DEFAULT, v);
        cr_assert(rc == VAULT_EAUTH || rc == VAULT_EFORMAT || (holder && rc == VAULT_EKEY),
                  "flip of byte %zu: rc %d (%s)", i, rc, last_message());
        free(v);
        text[i] ^= 1;
    }
    free(text);
}

Test(wso2_damage, raw_every_byte_flipped_and_truncated)
{
    vault_keystore *ks = identity("id", 2048);
    unsigned char ct[258];
    char *v = seal(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_DEFAULT, "secret", 6), *w;
    size_t i, n = strlen(v);

    /* Refusing PKCS#1 v1.5: every damage fails. */
    opener_flags = VAULT_OPENER_REFUSE_PKCS1;
    flip_everything(ks, NULL, v, 0);
    /* Every byte of the RSA block: exactly VAULT_EAUTH; where PKCS#1 v1.5
     * is allowed, other bytes (implicit rejection) unless the block is no
     * longer below the modulus, a public fact that fails. */
    cr_assert_eq(EVP_DecodeBlock(ct, (const unsigned char *)v, (int)n), 258); /* with 2 pad bytes */
    for (i = 0; i < 256; i++) {
        ct[i] ^= 0x80;
        w = b64(ct, 256);
        opener_flags = VAULT_OPENER_REFUSE_PKCS1;
        cr_assert_eq(assert_fails(ks, NULL, VAULT_TRANSFORM_DEFAULT, w), VAULT_EAUTH, "byte %zu", i);
        opener_flags = 0;
        if (i > 0)
            assert_opens_elsewhere(ks, VAULT_TRANSFORM_DEFAULT, w, "secret", 6);
        free(w);
        ct[i] ^= 0x80;
    }
    opener_flags = 0;
    for (i = 0; i < n; i++) {
        w = strndup(v, i);
        assert_fails(ks, NULL, VAULT_TRANSFORM_DEFAULT, w);
        free(w);
    }
    vault_string_free(v);
    vault_keystore_free(ks);
}

Test(wso2_damage, holder_every_byte_flipped_and_truncated, .timeout = 60)
{
    vault_keystore *ks = identity("id", 2048);
    char *v = seal(ks, VAULT_FORMAT_WSO2_HOLDER, VAULT_TRANSFORM_RSA_OAEP_SHA256, "secret", 6), *w;
    size_t i, n = strlen(v);

    flip_everything(ks, NULL, v, 1);
    flip_decoded(ks, NULL, v, 1);
    for (i = 0; i < n; i++) {
        w = strndup(v, i);
        cr_assert_eq(assert_fails(ks, NULL, VAULT_TRANSFORM_DEFAULT, w), VAULT_EFORMAT);
        free(w);
    }
    vault_string_free(v);
    vault_keystore_free(ks);
}

Test(wso2_damage, symmetric_every_byte_flipped_and_truncated, .timeout = 60)
{
    vault_secret *k = aes_key(32);
    char *v = seal_aes(k, "secret", 6), *w;
    size_t i, n = strlen(v);

    flip_everything(NULL, k, v, 0);
    flip_decoded(NULL, k, v, 0);
    for (i = 0; i < n; i++) {
        w = strndup(v, i);
        assert_fails(NULL, k, VAULT_TRANSFORM_DEFAULT, w);
        free(w);
    }
    vault_string_free(v);
    vault_secret_free(k);
}

Test(wso2_damage, not_values)
{
    vault_keystore *ks = identity("id", 2048);
    vault_value_info *info = NULL;
    const char *bad[] = {"", "hello", "aGVsbG8=", "aGVsbG8", "aGVs bG8=", "e30=", "W10=",
                         "eyJjIjoxfQ==", /* {"c":1} */
                         "eyJjaXBoZXJUZXh0IjoiQUFBQSIsIml2IjoiQUFBQSJ9", /* ct shorter than a tag */
                         "AAAA", "====", "QQ==\n"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(assert_fails(ks, NULL, VAULT_TRANSFORM_DEFAULT, bad[i]), VAULT_EFORMAT, "\"%s\": %s",
                     bad[i], last_message());
        cr_assert_eq(vault_inspect(&info, bad[i]), VAULT_EFORMAT, "\"%s\"", bad[i]);
        cr_assert_null(info);
    }
    vault_keystore_free(ks);
}

/* ---- inspection, recipients, options ------------------------------------ */

Test(wso2_inspect, describes_without_a_key)
{
    vault_keystore *ks = identity("id", 2048);
    char *tp = fingerprint("id", "sha1");
    char *raw = seal(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_PKCS1, "x", 1);
    char *holder = seal(ks, VAULT_FORMAT_WSO2_HOLDER, VAULT_TRANSFORM_RSA_PKCS1, "x", 1);
    vault_value_info *info = NULL;

    cr_assert_eq(vault_inspect(&info, raw), 0);
    cr_assert_eq(info->format, VAULT_FORMAT_WSO2);
    cr_assert_eq(info->ciphertext_bytes, 256u);
    cr_assert_eq(info->recipient_count, 1u);
    cr_assert_null(info->key_ids);
    cr_assert_eq(info->legacy, 0, "a raw value does not tell its padding");
    vault_value_info_free(info);
    cr_assert_eq(vault_inspect(&info, holder), 0);
    cr_assert_eq(info->format, VAULT_FORMAT_WSO2_HOLDER);
    cr_assert_str_eq(info->algorithm, "RSA/ECB/PKCS1Padding");
    cr_assert_eq(info->legacy, 1);
    cr_assert_eq(info->recipient_count, 1u);
    cr_assert_str_eq(info->key_ids[0], tp);
    vault_value_info_free(info);
    vault_value_info_free(NULL);
    free(tp);
    vault_string_free(raw);
    vault_string_free(holder);
    vault_keystore_free(ks);
}

Test(wso2_recipient, key_id_is_the_certificate_sha256)
{
    vault_keystore *ks = identity("id", 2048);
    vault_recipient *r = NULL;
    char *sha256 = fingerprint("id", "sha256");
    size_t i;

    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0);
    for (i = 0; sha256[i]; i++)
        sha256[i] = (char)(sha256[i] >= 'A' && sha256[i] <= 'F' ? sha256[i] + 32 : sha256[i]);
    cr_assert_str_eq(vault_recipient_key_id(r), sha256);
    vault_recipient_free(r);
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, "nosuch"), VAULT_ENOTFOUND);
    free(sha256);
    vault_keystore_free(ks);
}

Test(wso2_recipient, bare_certificate_and_two_recipients)
{
    vault_keystore *cert = NULL, *ks = identity("id", 2048);
    vault_recipient *r = NULL;
    const vault_recipient *rs[2];
    vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
    vault_sealer *s = NULL;
    char path[4200], *v = NULL;

    snprintf(path, sizeof path, "%s/id.crt", test_tmpdir());
    cr_assert_eq(vault_keystore_open(&cert, path, NULL), 0, "%s", last_message());
    cr_assert_eq(vault_recipient_from_keystore(&r, cert, NULL), 0, "%s", last_message());
    rs[0] = rs[1] = r;
    o.format = VAULT_FORMAT_WSO2;
    o.recipients = rs;
    o.recipient_count = 2;
    cr_assert_eq(vault_sealer_new(&s, &o), VAULT_EINVAL);
    o.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&s, &o), 0);
    vault_recipient_free(r); /* the sealer keeps its own copy */
    cr_assert_eq(vault_sealer_seal(&v, s, NULL, "abc", 3), 0);
    assert_opens_to(ks, NULL, VAULT_TRANSFORM_DEFAULT, v, "abc", 3, 0);
    vault_string_free(v);
    vault_sealer_free(s);
    vault_keystore_free(cert);
    vault_keystore_free(ks);
}

/* ---- failed allocations ------------------------------------------------- */

Test(wso2_alloc, every_allocation_failure_is_clean)
{
    vault_keystore *ks = identity("id", 2048);
    vault_secret *k = aes_key(32), *pt = NULL;
    vault_transformation t;
    vault_format forms[] = {VAULT_FORMAT_WSO2, VAULT_FORMAT_WSO2_HOLDER, VAULT_FORMAT_WSO2_SYMMETRIC};
    vault_recipient *r = NULL;
    const vault_recipient *rs[1];
    size_t f;

    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0);
    rs[0] = r;
    for (f = 0; f < 3; f++) {
        vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
        char *v = NULL;
        unsigned long nth;
        int rc;
        o.format = forms[f];
        o.recipients = rs;
        o.recipient_count = 1;
        o.symmetric_key = k;
        for (nth = 1;; nth++) {
            vault_sealer *s = NULL;
            vault__test_alloc_fail_at(nth);
            rc = vault_sealer_new(&s, &o);
            if (rc == 0)
                rc = vault_sealer_seal(&v, s, "a", "secret", 6);
            vault_sealer_free(s);
            vault__test_alloc_fail_at(0);
            if (rc == 0)
                break;
            cr_assert_eq(rc, VAULT_ENOMEM, "seal, allocation %lu: %d %s", nth, rc, last_message());
        }
        for (t = VAULT_TRANSFORM_DEFAULT, nth = 1;; nth++) {
            vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
            vault_opener *op = NULL;
            oo.keystore = ks;
            oo.symmetric_key = forms[f] == VAULT_FORMAT_WSO2_SYMMETRIC ? k : NULL;
            oo.transformation = t;
            vault__test_alloc_fail_at(nth);
            rc = vault_opener_new(&op, &oo);
            if (rc == 0)
                rc = vault_opener_open(&pt, NULL, op, "a", v);
            vault_opener_free(op);
            vault__test_alloc_fail_at(0);
            if (rc == 0)
                break;
            cr_assert_eq(rc, VAULT_ENOMEM, "open, allocation %lu: %d %s", nth, rc, last_message());
            cr_assert_null(pt);
        }
        cr_assert_str_eq(vault_secret_str(pt), "secret");
        vault_secret_free(pt);
        pt = NULL;
        vault_string_free(v);
    }
    vault_recipient_free(r);
    vault_secret_free(k);
    vault_keystore_free(ks);
}

/* ---- Gson's bytes: Java's own values, re-wrapped ------------------------ */

/* Java's holder and GCM values (fixtures/java/vectors.tsv, made by Java 17
 * and Gson), taken apart and wrapped again by our writer: every byte the
 * same. Holders whose "t" is another spelling than the one we write (we
 * write CipherHolder's default "RSA" for PKCS#1 v1.5) are counted apart. */
Test(wso2_gson, java_values_rewrapped_byte_for_byte)
{
    size_t len, sha1_len;
    char *tsv = (char *)slurp(shared_path("fixtures/java/vectors.tsv"), &len), *line, *save = NULL;
    unsigned char *sha1;
    unsigned holders = 0, other_spelling = 0, gcm = 0;

    char *hex = (char *)sh_out(&sha1_len, 0, "openssl x509 -inform der -in %s -noout -fingerprint "
                               "-sha1 | sed 's/.*=//; s/://g'", shared_path("fixtures/java/identity.cer"));
    cr_assert_eq(sha1_len, 40u, "%s", hex);
    sha1 = malloc(20);
    for (sha1_len = 0; sha1_len < 20; sha1_len++) {
        unsigned byte;
        cr_assert_eq(sscanf(hex + 2 * sha1_len, "%2x", &byte), 1);
        sha1[sha1_len] = (unsigned char)byte;
    }
    free(hex);
    for (line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[5], *p = line, *out = NULL;
        wso2_value v;
        int i;
        if (line[0] == '#')
            continue;
        for (i = 0; i < 5; i++) {
            f[i] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
            cr_assert(p || i == 4, "short row");
        }
        if (strcmp(f[1], "raw") == 0)
            continue;
        cr_assert_eq(wso2_parse(f[4], &v), 0, "row %s: %s", f[0], last_message());
        if (strcmp(f[1], "holder") == 0) {
            cr_assert_eq(v.format, VAULT_FORMAT_WSO2_HOLDER);
            cr_assert_eq(v.transformation, tf_of(f[2]));
            cr_assert_eq(wso2_holder_wrap(sha1, v.transformation, v.ct, v.ct_len, &out), 0);
            if (strcmp(f[2], "RSA/ECB/PKCS1Padding") == 0) {
                other_spelling++;
            } else {
                cr_assert_str_eq(out, f[4], "row %s", f[0]);
                holders++;
            }
        } else {
            cr_assert_str_eq(f[1], "gcm-json");
            cr_assert_eq(v.format, VAULT_FORMAT_WSO2_SYMMETRIC);
            cr_assert_eq(v.iv_len, 128u);
            cr_assert_eq(wso2_symmetric_wrap(v.ct, v.ct_len, v.iv, v.iv_len, &out), 0);
            cr_assert_str_eq(out, f[4], "row %s", f[0]);
            gcm++;
        }
        vault_string_free(out);
        wso2_value_clear(&v);
    }
    cr_assert_eq(holders, 18u);
    cr_assert_eq(other_spelling, 6u);
    cr_assert_eq(gcm, 6u);
    free(sha1);
    free(tsv);
}

/* ---- one opener, several threads ---------------------------------------- */

typedef struct opener_job {
    vault_opener *op;
    const char *values[3];
    int failures;
} opener_job;

static void *open_many(void *arg)
{
    opener_job *job = arg;
    int i;
    for (i = 0; i < 60; i++) {
        vault_secret *s = NULL;
        if (vault_opener_open(&s, NULL, job->op, "a", job->values[i % 3]) != 0 ||
            vault_secret_len(s) != 6 || memcmp(vault_secret_data(s), "secret", 6) != 0)
            job->failures++;
        vault_secret_free(s);
    }
    return NULL;
}

Test(wso2_threads, one_opener_shared_by_threads)
{
    vault_keystore *ks = identity("id", 2048);
    vault_secret *k = aes_key(32);
    vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
    opener_job jobs[4];
    pthread_t th[4];
    char *raw = seal(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_PKCS1, "secret", 6);
    char *holder = seal(ks, VAULT_FORMAT_WSO2_HOLDER, VAULT_TRANSFORM_DEFAULT, "secret", 6);
    char *sym = seal_aes(k, "secret", 6);
    vault_opener *op = NULL;
    int i;

    o.keystore = ks;
    o.symmetric_key = k;
    cr_assert_eq(vault_opener_new(&op, &o), 0);
    for (i = 0; i < 4; i++) {
        jobs[i] = (opener_job){op, {raw, holder, sym}, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, open_many, &jobs[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(jobs[i].failures, 0, "thread %d: %d failures", i, jobs[i].failures);
    }
    vault_opener_free(op);
    vault_string_free(raw);
    vault_string_free(holder);
    vault_string_free(sym);
    vault_secret_free(k);
    vault_keystore_free(ks);
}
