/* SPDX-License-Identifier: Apache-2.0 */
/* The error model and library initialisation through the public header
 * only: a failing call leaves a message, the return code decides, and
 * vault_init()/vault_shutdown() are counted. OpenSSL's own provider query
 * judges what init loads and shutdown frees. */
#include <vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <openssl/provider.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------- */

/* The record after a failure: its code is the one returned, its message is
 * words, not empty and not a bare "error". */
static void assert_failure(int rc, int want)
{
    const vault_error *e = vault_error_last();
    cr_assert_eq(rc, want, "rc %d, want %d (%s)", rc, want, e ? e->message : "NULL");
    cr_assert_not_null(e);
    cr_assert_eq(e->code, want);
    cr_assert_not_null(e->message);
    cr_assert_gt(strlen(e->message), 5, "message \"%s\"", e->message);
    cr_assert_str_neq(e->message, "error");
}

static const char *temp_file(const char *text, mode_t mode)
{
    const char *path = test_path("password");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    cr_assert_eq(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

Test(errors, the_code_tells_the_cases_apart)
{
    vault_secret *s = NULL, *k = NULL;
    const char *path;

    /* no such file */
    assert_failure(vault_password_from_file(&s, &k, "/nonexistent/vault/password"), VAULT_ENOTFOUND);
    cr_assert_not_null(strstr(vault_error_last()->message, "/nonexistent/vault/password"),
                       "the message names the file: %s", vault_error_last()->message);
    cr_assert_null(s);
    /* readable by others: refused for its mode */
    path = temp_file("secret\n", 0644);
    assert_failure(vault_password_from_file(&s, &k, path), VAULT_EPERM);
    cr_assert_null(s);
    /* empty: malformed */
    cr_assert_eq(chmod(path, 0600), 0);
    cr_assert_eq(truncate(path, 0), 0);
    assert_failure(vault_password_from_file(&s, &k, path), VAULT_EFORMAT);
    unlink(path);
    /* a caller's mistake */
    assert_failure(vault_secret_new(&s, NULL, 3), VAULT_EINVAL);
}

Test(errors, stale_after_success_and_cleared_on_request)
{
    vault_secret *s = NULL;

    assert_failure(vault_secret_new(&s, NULL, 3), VAULT_EINVAL);
    /* A success does not clear the record: decide from the return code. */
    cr_assert_eq(vault_secret_new(&s, "x", 1), 0);
    cr_assert_eq(vault_error_last()->code, VAULT_EINVAL);
    vault_secret_free(s);
    vault_error_clear();
    cr_assert_not_null(vault_error_last());
    cr_assert_eq(vault_error_last()->code, VAULT_OK);
    cr_assert_str_eq(vault_error_last()->message, "no error");
}

Test(errors, every_code_has_static_text)
{
    static const int codes[] = {VAULT_OK,   VAULT_ERROR,  VAULT_ENOTFOUND, VAULT_EAUTH,
                                VAULT_EKEY, VAULT_EFORMAT, VAULT_EPERM,    VAULT_ENOMEM,
                                VAULT_EINVAL, VAULT_ETRUST, VAULT_EIO,      VAULT_ECANCELED,
                                -1000,        42};
    const size_t known = 12; /* the first ones are the library's codes */
    size_t i, j;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *t = vault_strerror(codes[i]);
        cr_assert_not_null(t);
        cr_assert_str_neq(t, "error", "code %d", codes[i]);
        /* the library's codes each read differently */
        for (j = 0; i < known && j < i; j++)
            cr_assert_str_neq(t, vault_strerror(codes[j]), "codes %d and %d", codes[i], codes[j]);
    }
}

/* Parsers of names write the value and return a code; the message quotes
 * the name. */
Test(errors, names_parse_to_a_code_not_a_sentinel)
{
    vault_format f = VAULT_FORMAT_NATIVE;
    vault_transformation t = VAULT_TRANSFORM_DEFAULT;
    vault_keystore_type k = VAULT_KEYSTORE_AUTO;

    cr_assert_eq(vault_format_from_name(&f, "WSO2-Holder"), 0);
    cr_assert_eq(f, VAULT_FORMAT_WSO2_HOLDER);
    assert_failure(vault_format_from_name(&f, "wso3"), VAULT_EFORMAT);
    cr_assert_not_null(strstr(vault_error_last()->message, "\"wso3\""), "%s", vault_error_last()->message);
    cr_assert_eq(f, VAULT_FORMAT_WSO2_HOLDER, "unchanged on failure");
    assert_failure(vault_format_from_name(NULL, "native"), VAULT_EINVAL);

    cr_assert_eq(vault_transformation_from_name(&t, "RSA/ECB/OAEPWithSHA-256AndMGF1Padding"), 0);
    cr_assert_eq(t, VAULT_TRANSFORM_RSA_OAEP_SHA256);
    assert_failure(vault_transformation_from_name(&t, "RSA/CBC/NoPadding"), VAULT_EFORMAT);
    cr_assert_not_null(strstr(vault_error_last()->message, "RSA/CBC/NoPadding"));
    assert_failure(vault_transformation_from_name(&t, NULL), VAULT_EINVAL);

    cr_assert_eq(vault_keystore_type_from_name(&k, "pfx"), 0);
    cr_assert_eq(k, VAULT_KEYSTORE_PKCS12);
    assert_failure(vault_keystore_type_from_name(&k, "bks"), VAULT_EFORMAT);
    cr_assert_not_null(strstr(vault_error_last()->message, "\"bks\""));
    cr_assert_eq(k, VAULT_KEYSTORE_PKCS12);
}

/* Every *_at: 0 in range, VAULT_ENOTFOUND past the end with *out NULL. */
Test(errors, indexed_access_has_one_shape)
{
    static const char xml[] = "<a xmlns:svns=\"http://org.wso2.securevault/configuration\">"
                              "<p svns:secretAlias=\"P\">password</p></a>";
    vault_xml_marks *marks = NULL;
    const vault_xml_mark *m = NULL;

    cr_assert_eq(vault_xml_marked(&marks, xml, sizeof xml - 1, "a.xml"), 0, "%s", test_errmsg());
    cr_assert_eq(vault_xml_marks_count(marks), 1);
    cr_assert_eq(vault_xml_marks_at(&m, marks, 0), 0);
    cr_assert_str_eq(m->alias, "P");
    assert_failure(vault_xml_marks_at(&m, marks, 1), VAULT_ENOTFOUND);
    cr_assert_null(m);
    assert_failure(vault_xml_marks_at(NULL, marks, 0), VAULT_EINVAL);
    assert_failure(vault_xml_marks_at(&m, NULL, 0), VAULT_EINVAL);
    vault_xml_marks_free(marks);
}

/* A versioned options struct: an unknown version is refused, not guessed. */
Test(errors, mark_options_are_versioned)
{
    static const char xml[] = "<a><p>secret</p></a>";
    vault_xml_mark_options o = VAULT_XML_MARK_OPTIONS_INIT;
    char *out = NULL;
    size_t len = 0;

    o.xpath = "//p";
    o.alias = "P";
    assert_failure(vault_xml_mark_secret(&out, &len, NULL, xml, sizeof xml - 1, NULL), VAULT_EINVAL);
    o.version = 99;
    assert_failure(vault_xml_mark_secret(&out, &len, NULL, xml, sizeof xml - 1, &o), VAULT_EINVAL);
    cr_assert_null(out);
    o.version = VAULT_XML_MARK_OPTIONS_VERSION;
    o.name = "a.xml";
    cr_assert_eq(vault_xml_mark_secret(&out, &len, NULL, xml, sizeof xml - 1, &o), 0, "%s", test_errmsg());
    cr_assert_not_null(strstr(out, "secretAlias=\"P\""), "%s", out);
    vault_string_free(out);
    /* no such node: a distinct code, naming file, xpath and alias */
    o.xpath = "//q";
    assert_failure(vault_xml_mark_secret(&out, &len, NULL, xml, sizeof xml - 1, &o), VAULT_ENOTFOUND);
    cr_assert_not_null(strstr(vault_error_last()->message, "a.xml"), "%s", vault_error_last()->message);
}

/* ---- counted initialisation --------------------------------------------- */

/* A seal-and-open round trip: the libraries are usable. */
static void round_trip(void)
{
    vault_passwords pw = {"wso2carbon", NULL};
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    vault_recipient *r = NULL;
    vault_sealer *s = NULL;
    vault_opener *o = NULL;
    vault_secret *pt = NULL;
    char *v = NULL;

    ko.password = vault_password_fixed;
    ko.payload = &pw;
    cr_assert_eq(vault_keystore_open(&ks, shared_path("fixtures/java/identity.jks"), &ko), 0, "%s",
                 test_errmsg());
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0, "%s", test_errmsg());
    so.recipients = (const vault_recipient *const *)&r;
    so.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&s, &so), 0, "%s", test_errmsg());
    cr_assert_eq(vault_sealer_seal(&v, s, "a", "value", 5), 0, "%s", test_errmsg());
    oo.keystore = ks;
    cr_assert_eq(vault_opener_new(&o, &oo), 0, "%s", test_errmsg());
    cr_assert_eq(vault_opener_open(&pt, NULL, o, "a", v), 0, "%s", test_errmsg());
    cr_assert(vault_secret_len(pt) == 5 && memcmp(vault_secret_data(pt), "value", 5) == 0);
    vault_secret_free(pt);
    vault_opener_free(o);
    vault_string_free(v);
    vault_sealer_free(s);
    vault_recipient_free(r);
    vault_keystore_free(ks);
}

Test(init, counted)
{
    cr_assert_eq(vault_init(), 0);
    cr_assert_eq(vault_init(), 0);
    cr_assert(OSSL_PROVIDER_available(NULL, "default"));
    cr_assert_eq(vault_shutdown(), 1);
    /* one vault_init() still stands: everything works */
    cr_assert(OSSL_PROVIDER_available(NULL, "default"));
    round_trip();
    cr_assert_eq(vault_shutdown(), 0);
    cr_assert_not(OSSL_PROVIDER_available(NULL, "default"), "the last vault_shutdown() unloads it");
    /* one shutdown too many is the caller's mistake, and says so */
    assert_failure(vault_shutdown(), VAULT_EINVAL);
    /* and the library initialises again, implicitly or counted */
    round_trip();
    cr_assert_eq(vault_init(), 0);
    round_trip();
    cr_assert_eq(vault_shutdown(), 0);
    cr_assert_not(OSSL_PROVIDER_available(NULL, "default"));
}

Test(init, implicit_initialisation_is_not_counted)
{
    round_trip();
    assert_failure(vault_shutdown(), VAULT_EINVAL);
    round_trip();
}

static void *init_and_shutdown(void *arg)
{
    int i, *failures = arg;
    for (i = 0; i < 200; i++) {
        if (vault_init() != 0)
            (*failures)++;
        if (vault_shutdown() < 0)
            (*failures)++;
    }
    return NULL;
}

Test(init, from_several_threads)
{
    pthread_t t[8];
    int failures[8] = {0}, i;

    cr_assert_eq(vault_init(), 0); /* held throughout: the others count above it */
    for (i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, init_and_shutdown, &failures[i]), 0);
    for (i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(failures[i], 0, "thread %d", i);
    }
    round_trip();
    cr_assert_eq(vault_shutdown(), 0, "every thread's calls were paired");
    assert_failure(vault_shutdown(), VAULT_EINVAL);
}
