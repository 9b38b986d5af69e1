/* SPDX-License-Identifier: Apache-2.0 */
/* PEM, bare certificate and certificate directory readers, checked against
 * the openssl command line and the Java fixtures. */
#include "keystore_internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fixture(const char *name)
{
    static char buf[4][4096];
    static int next;
    char *out = buf[next++ % 4];
    snprintf(out, sizeof buf[0], "fixtures/java/%s", name);
    return shared_path(out);
}

/* Passwords must outlive the keystore (keys are unlocked on first use). */
static int open_ks(vault_keystore **ks, const char *path, const char *key, vault_keystore_type type)
{
    static vault_passwords pw[32];
    static int next;
    vault_passwords *p = &pw[next++ % 32];
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    p->store = NULL;
    p->key = key;
    o.password = vault_password_fixed;
    o.payload = p;
    o.type = type;
    return vault_keystore_open(ks, path, &o);
}

static void assert_cert(vault_keystore *ks, const char *alias, size_t idx, const unsigned char *der,
                        size_t len)
{
    const unsigned char *d = NULL;
    size_t l = 0;
    cr_assert_eq(vault_keystore_cert_der(&d, &l, ks, alias, idx), 0, "%s", test_errmsg());
    cr_assert_eq(l, len, "alias %s cert %zu: %zu bytes, expected %zu", alias, idx, l, len);
    cr_assert(memcmp(d, der, len) == 0, "alias %s cert %zu differs", alias, idx);
}

static void assert_spki_file(vault_keystore *ks, const char *alias, const char *spki_file)
{
    unsigned char *d = NULL, *want;
    size_t l = 0, want_len;
    want = slurp(test_path(spki_file), &want_len);
    cr_assert_eq(vault_keystore_public_key_der(&d, &l, ks, alias), 0, "%s", test_errmsg());
    cr_assert_eq(l, want_len, "alias %s: public key of %zu bytes, expected %zu", alias, l, want_len);
    cr_assert(memcmp(d, want, l) == 0, "alias %s: public key differs", alias);
    vault_string_free((char *)d);
    free(want);
}

static const vault_keystore_entry *find(vault_keystore *ks, const char *alias)
{
    const vault_keystore_entry *e = NULL;
    cr_assert_eq(vault_keystore_find(&e, ks, alias), 0, "%s", test_errmsg());
    return e;
}

/* ---- certificates --------------------------------------------------------- */

Test(pem_certs, single_certificates)
{
    static const char *const names[] = {"identity.pem", "root.pem", "inter.pem"};
    static const char *const aliases[] = {"identity", "root", "inter"};
    size_t cer_len;
    unsigned char *cer = slurp(fixture("identity.cer"), &cer_len);

    for (size_t i = 0; i < 3; i++) {
        vault_keystore *ks = NULL;
        unsigned char *der = NULL;
        size_t len;
        der_list certs;
        pem_file_split(fixture(names[i]), &certs);
        cr_assert_eq(certs.n, 1);
        cr_assert_eq(open_ks(&ks, fixture(names[i]), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
        cr_assert_eq(vault_keystore_get_type(ks), VAULT_KEYSTORE_PEM);
        cr_assert_eq(vault_keystore_count(ks), 1);
        cr_assert_str_eq(find(ks, aliases[i])->alias, aliases[i]);
        cr_assert_eq(find(ks, aliases[i])->kind, VAULT_ENTRY_TRUSTED_CERT);
        assert_cert(ks, aliases[i], 0, certs.der[0], certs.len[0]);
        if (i == 0)
            assert_cert(ks, "identity", 0, cer, cer_len);
        cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, aliases[i]), VAULT_EINVAL);
        vault_keystore_free(ks);
        der_list_free(&certs);
    }
    free(cer);
}

Test(pem_certs, bare_der_certificate)
{
    vault_keystore *ks = NULL;
    size_t cer_len;
    unsigned char *cer = slurp(fixture("identity.cer"), &cer_len);
    const vault_keystore_entry *e;

    cr_assert_eq(open_ks(&ks, fixture("identity.cer"), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_get_type(ks), VAULT_KEYSTORE_CERT);
    cr_assert_eq(vault_keystore_count(ks), 1);
    e = find(ks, "IDENTITY");
    cr_assert_str_eq(e->alias, "identity");
    cr_assert_eq(e->kind, VAULT_ENTRY_TRUSTED_CERT);
    cr_assert_str_eq(e->subject, "CN=localhost,O=Example,L=Mountain View,ST=CA,C=US");
    assert_cert(ks, "identity", 0, cer, cer_len);
    vault_keystore_free(ks);

    /* A PEM certificate forced as CERT; a bundle is not one certificate. */
    cr_assert_eq(open_ks(&ks, fixture("identity.pem"), NULL, VAULT_KEYSTORE_CERT), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_get_type(ks), VAULT_KEYSTORE_CERT);
    assert_cert(ks, "identity", 0, cer, cer_len);
    vault_keystore_free(ks);
    cr_assert_eq(open_ks(&ks, fixture("signed.pem"), NULL, VAULT_KEYSTORE_CERT), VAULT_EFORMAT);

    /* From memory, named "cert". */
    cr_assert_eq(vault_keystore_open_memory(&ks, cer, cer_len, NULL, NULL), 0, "%s", test_errmsg());
    assert_cert(ks, "cert", 0, cer, cer_len);
    vault_keystore_free(ks);
    free(cer);
}

Test(pem_certs, der_with_trailing_bytes_or_truncated)
{
    vault_keystore *ks = NULL;
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    size_t len;
    unsigned char *cer = slurp(fixture("identity.cer"), &len);
    unsigned char *more = malloc(len + 1);

    memcpy(more, cer, len);
    more[len] = 0;
    o.type = VAULT_KEYSTORE_CERT;
    cr_assert_eq(vault_keystore_open_memory(&ks, more, len + 1, "x.cer", &o), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "x.cer") != NULL, "%s", test_errmsg());
    for (size_t n = 0; n < len; n++) {
        cr_assert_eq(vault_keystore_open_memory(&ks, cer, n, "x.cer", &o), VAULT_EFORMAT, "%zu", n);
        cr_assert_null(ks);
    }
    free(more);
    free(cer);
}

Test(pem_certs, bundle_aliases_numbered)
{
    vault_keystore *ks = NULL;
    der_list certs;
    pem_file_split(fixture("signed.pem"), &certs);
    cr_assert_eq(certs.n, 2);
    cr_assert_eq(open_ks(&ks, fixture("signed.pem"), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 2);
    assert_cert(ks, "signed", 0, certs.der[0], certs.len[0]);
    assert_cert(ks, "signed-2", 0, certs.der[1], certs.len[1]);
    cr_assert_eq(find(ks, "signed-2")->kind, VAULT_ENTRY_TRUSTED_CERT);
    cr_assert_str_eq(find(ks, "signed-2")->subject, "CN=Example Intermediate CA");
    vault_keystore_free(ks);
    der_list_free(&certs);

    test_sh("cat '%s' '%s' '%s' > 'ca bundle.crt'", fixture("root.pem"), fixture("inter.pem"),
       fixture("identity.pem"));
    cr_assert_eq(open_ks(&ks, test_path("ca bundle.crt"), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 3);
    cr_assert_str_eq(find(ks, "ca bundle-3")->subject,
                     "CN=localhost,O=Example,L=Mountain View,ST=CA,C=US");
    cr_assert_str_eq(find(ks, "ca bundle")->subject, "CN=Example Root CA");
    vault_keystore_free(ks);
}

/* ---- keys ----------------------------------------------------------------- */

static const char *key_pw(void)
{
    static char pw[64];
    unsigned char r[6];
    FILE *f = fopen("/dev/urandom", "rb");
    cr_assert(f && fread(r, 1, sizeof r, f) == sizeof r);
    fclose(f);
    snprintf(pw, sizeof pw, "ключ-пароль-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
             r[5]);
    test_write_text("kpw", pw);
    return pw;
}

static void make_rsa_key(void)
{
    test_sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k.pem && "
       "openssl req -new -x509 -key k.pem -subj /CN=pem-test -days 2 -out c.pem && "
       "openssl x509 -in c.pem -outform DER -out c.der && "
       "openssl pkey -in k.pem -pubout -outform DER -out k.spki");
}

static void check_key_file(const char *file, const char *alias, const char *pw, const char *alg)
{
    vault_keystore *ks = NULL;
    unsigned char *der = NULL, *cert;
    size_t len, cert_len;
    const vault_keystore_entry *e;

    cert = slurp(test_path("c.der"), &cert_len);
    cr_assert_eq(open_ks(&ks, test_path(file), pw, VAULT_KEYSTORE_AUTO), 0, "%s: %s", file, test_errmsg());
    cr_assert_eq(vault_keystore_get_type(ks), VAULT_KEYSTORE_PEM);
    cr_assert_eq(vault_keystore_count(ks), 1);
    e = find(ks, NULL);
    cr_assert_str_eq(e->alias, alias);
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    cr_assert_eq(e->chain_length, 1);
    cr_assert_str_eq(e->key_algorithm, alg);
    assert_cert(ks, alias, 0, cert, cert_len);
    assert_spki_file(ks, alias, "k.spki");
    vault_keystore_free(ks);
    if (pw) {
        cr_assert_eq(open_ks(&ks, test_path(file), "wrong-password", VAULT_KEYSTORE_AUTO), 0);
        cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, NULL), VAULT_EAUTH, "%s", file);
        cr_assert(strstr(test_errmsg(), file) && strstr(test_errmsg(), alias), "%s", test_errmsg());
        cr_assert(strstr(test_errmsg(), "wrong-password") == NULL, "%s", test_errmsg());
        vault_keystore_free(ks);
        cr_assert_eq(open_ks(&ks, test_path(file), NULL, VAULT_KEYSTORE_AUTO), 0);
        cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, NULL), VAULT_EAUTH, "%s", file);
        vault_keystore_free(ks);
    }
    free(cert);
}

Test(pem_keys, encrypted_pkcs8)
{
    const char *pw = key_pw();
    make_rsa_key();
    test_sh("openssl pkcs8 -topk8 -v2 aes-256-cbc -in k.pem -passout file:kpw -out enc.pem && "
       "cat enc.pem c.pem > server.pem && "
       "openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES -in k.pem -passout file:kpw -out enc1.pem && "
       "cat c.pem enc1.pem > v1.key.pem");
    check_key_file("server.pem", "server", pw, "RSA");
    check_key_file("v1.key.pem", "v1.key", pw, "RSA");
}

Test(pem_keys, traditional_encrypted)
{
    const char *pw = key_pw();
    unsigned char *head;
    size_t len;
    make_rsa_key();
    test_sh("openssl rsa -in k.pem -aes256 -traditional -passout file:kpw -out leg.pem && "
       "cat leg.pem c.pem > legacy.pem");
    head = test_sh_out(&len, "grep -c 'Proc-Type: 4,ENCRYPTED' legacy.pem");
    cr_assert_str_eq((char *)head, "1\n");
    free(head);
    check_key_file("legacy.pem", "legacy", pw, "RSA");
}

Test(pem_keys, unencrypted_rsa)
{
    make_rsa_key();
    test_sh("cat k.pem c.pem > pkcs8.pem && openssl rsa -in k.pem -traditional -out trad.pem && "
       "cat c.pem trad.pem > rsa.pem && grep -q 'BEGIN RSA PRIVATE KEY' rsa.pem");
    check_key_file("pkcs8.pem", "pkcs8", NULL, "RSA");
    check_key_file("rsa.pem", "rsa", NULL, "RSA");
}

Test(pem_keys, ec_and_ed25519_algorithms)
{
    static const struct { const char *file, *make, *alg; unsigned bits; } keys[] = {
        {"ec.pem", "openssl ecparam -name prime256v1 -genkey -out ec.pem", "EC", 256},
        {"ec384.pem", "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384.pem",
         "EC", 384},
        {"ed.pem", "openssl genpkey -algorithm ED25519 -out ed.pem", "Ed25519", 0},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        vault_keystore *ks = NULL;
        const vault_keystore_entry *e;
        test_sh("%s && openssl pkey -in %s -pubout -outform DER -out k.spki", keys[i].make, keys[i].file);
        cr_assert_eq(open_ks(&ks, test_path(keys[i].file), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
        cr_assert_eq(vault_keystore_count(ks), 1);
        e = find(ks, NULL);
        cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
        cr_assert_eq(e->chain_length, 0);
        cr_assert_str_eq(e->key_algorithm, keys[i].alg);
        if (keys[i].bits)
            cr_assert_eq(e->key_bits, keys[i].bits);
        assert_spki_file(ks, NULL, "k.spki");
        vault_keystore_free(ks);
    }
}

Test(pem_keys, encrypted_ed25519_with_certificate)
{
    const char *pw = key_pw();
    vault_keystore *ks = NULL;
    test_sh("openssl genpkey -algorithm ED25519 -out k.pem && "
       "openssl req -new -x509 -key k.pem -subj /CN=ed -days 2 -out c.pem && "
       "openssl x509 -in c.pem -outform DER -out c.der && "
       "openssl pkey -in k.pem -pubout -outform DER -out k.spki && "
       "openssl pkcs8 -topk8 -v2 aes-256-cbc -in k.pem -passout file:kpw -out enc.pem && "
       "cat c.pem enc.pem > ed.pem");
    check_key_file("ed.pem", "ed", pw, "Ed25519");
    cr_assert_eq(open_ks(&ks, test_path("ed.pem"), pw, VAULT_KEYSTORE_AUTO), 0);
    vault_keystore_free(ks);
}

/* The key of signed.p12 with its chain in scrambled order: leaf first. */
Test(pem_keys, chain_ordered_leaf_to_root)
{
    const char *pw = key_pw();
    der_list leaf, inter, root;
    pem_file_split(fixture("signed.pem"), &leaf);
    pem_file_split(fixture("inter.pem"), &inter);
    pem_file_split(fixture("root.pem"), &root);
    test_sh("openssl pkcs12 -in '%s' -nocerts -nodes -passin pass:wso2carbon | openssl pkey -out sk.pem && "
       "openssl pkey -in sk.pem -pubout -outform DER -out k.spki && "
       "openssl x509 -in '%s' -out leaf.pem && "
       "cat '%s' sk.pem '%s' leaf.pem > plain.pem && "
       "openssl pkcs8 -topk8 -v2 aes-256-cbc -in sk.pem -passout file:kpw -out esk.pem && "
       "cat '%s' '%s' esk.pem leaf.pem > enc.pem",
       fixture("signed.p12"), fixture("signed.pem"), fixture("root.pem"), fixture("inter.pem"),
       fixture("inter.pem"), fixture("root.pem"));
    for (int i = 0; i < 2; i++) {
        vault_keystore *ks = NULL;
        const char *alias = i ? "enc" : "plain";
        cr_assert_eq(open_ks(&ks, test_path(i ? "enc.pem" : "plain.pem"), pw, VAULT_KEYSTORE_AUTO), 0,
                     "%s", test_errmsg());
        cr_assert_eq(vault_keystore_count(ks), 1);
        cr_assert_eq(find(ks, alias)->chain_length, 3);
        assert_cert(ks, alias, 0, leaf.der[0], leaf.len[0]);
        assert_cert(ks, alias, 1, inter.der[0], inter.len[0]);
        assert_cert(ks, alias, 2, root.der[0], root.len[0]);
        assert_spki_file(ks, alias, "k.spki");
        vault_keystore_free(ks);
    }
    der_list_free(&leaf);
    der_list_free(&inter);
    der_list_free(&root);
}

Test(pem_keys, key_and_certificate_must_match)
{
    const char *pw = key_pw();
    vault_keystore *ks = NULL;
    unsigned char *der = NULL;
    size_t len;
    make_rsa_key();
    test_sh("cat k.pem '%s' > mismatch.pem && "
       "openssl pkcs8 -topk8 -v2 aes-256-cbc -in k.pem -passout file:kpw -out enc.pem && "
       "cat enc.pem '%s' > encmismatch.pem", fixture("root.pem"), fixture("root.pem"));
    cr_assert_eq(open_ks(&ks, test_path("mismatch.pem"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "matches none of the certificates"), "%s", test_errmsg());
    cr_assert_eq(open_ks(&ks, test_path("encmismatch.pem"), pw, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, NULL), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "encmismatch.pem"), "%s", test_errmsg());
    vault_keystore_free(ks);
}

Test(pem_keys, from_memory_alias_is_key)
{
    vault_keystore *ks = NULL;
    unsigned char *data;
    size_t len;
    make_rsa_key();
    test_sh("cat k.pem c.pem > both.pem");
    data = slurp(test_path("both.pem"), &len);
    cr_assert_eq(vault_keystore_open_memory(&ks, data, len, NULL, NULL), 0, "%s", test_errmsg());
    cr_assert_str_eq(find(ks, NULL)->alias, "key");
    assert_spki_file(ks, "key", "k.spki");
    vault_keystore_free(ks);
    free(data);
}

Test(pem_bad, two_keys_or_no_usable_block)
{
    vault_keystore *ks = NULL;
    make_rsa_key();
    test_sh("cat k.pem k.pem c.pem > two.pem && openssl req -new -key k.pem -subj /CN=req -out req.pem && "
       "cat k.pem | sed 's/^M/!/' > badb64.pem");
    cr_assert_eq(open_ks(&ks, test_path("two.pem"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "two.pem") && strstr(test_errmsg(), "more than one private key"), "%s",
              test_errmsg());
    cr_assert_eq(open_ks(&ks, test_path("req.pem"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "req.pem") &&
              strstr(test_errmsg(), "no private key, certificate or public key"), "%s", test_errmsg());
    cr_assert_eq(open_ks(&ks, test_path("badb64.pem"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "badb64.pem"), "%s", test_errmsg());
    test_write_text("text.pem", "hello, world\n");
    cr_assert_eq(open_ks(&ks, test_path("text.pem"), NULL, VAULT_KEYSTORE_PEM), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "text.pem"), "%s", test_errmsg());
    cr_assert_null(ks);
}

/* A prefix opens only when it holds the whole END line. */
Test(pem_bad, every_truncation)
{
    size_t len;
    unsigned char *data = slurp(fixture("identity.pem"), &len);
    const char *end = strstr((char *)data, "-----END CERTIFICATE-----");
    size_t complete = (size_t)(end - (char *)data) + strlen("-----END CERTIFICATE-----");
    size_t cer_len;
    unsigned char *cer = slurp(fixture("identity.cer"), &cer_len);
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;

    o.type = VAULT_KEYSTORE_PEM;
    for (size_t n = 0; n <= len; n++) {
        vault_keystore *ks = NULL;
        int rc = vault_keystore_open_memory(&ks, data, n, "identity.pem", &o);
        if (n >= complete) {
            cr_assert_eq(rc, 0, "prefix of %zu: %s", n, test_errmsg());
            assert_cert(ks, "identity", 0, cer, cer_len);
            vault_keystore_free(ks);
        } else {
            cr_assert_eq(rc, VAULT_EFORMAT, "prefix of %zu bytes: %d", n, rc);
            cr_assert(strstr(test_errmsg(), "identity.pem"), "%s", test_errmsg());
            cr_assert_null(ks);
        }
    }
    free(data);
    free(cer);
}

Test(pem_bad, allocation_failures_are_enomem)
{
    const char *pw = key_pw();
    make_rsa_key();
    test_sh("openssl pkcs8 -topk8 -v2 aes-256-cbc -in k.pem -passout file:kpw -out enc.pem && "
       "openssl rsa -in k.pem -aes128 -traditional -passout file:kpw -out leg.pem && "
       "cat enc.pem c.pem '%s' > a.pem && cat c.pem leg.pem > b.pem && mkdir d && "
       "cp '%s' '%s' d/ && cp '%s' d/bundle.crt", fixture("root.pem"), fixture("root.pem"),
       fixture("identity.cer"), fixture("signed.pem"));
    static const char *const files[] = {"a.pem", "b.pem", "d"};
    for (size_t f = 0; f < 3; f++) {
        int done = 0;
        for (unsigned long n = 1; n < 2000 && !done; n++) {
            vault_keystore *ks = NULL;
            unsigned char *der = NULL;
            size_t len;
            int rc;
            vault__test_alloc_fail_at(n);
            rc = open_ks(&ks, test_path(files[f]), pw, VAULT_KEYSTORE_AUTO);
            if (rc == 0 && f < 2)
                rc = vault_keystore_public_key_der(&der, &len, ks, NULL);
            if (vault__test_alloc_fail_at(0) < n && rc == 0)
                done = 1; /* the nth allocation was never reached */
            cr_assert(rc == 0 || rc == VAULT_ENOMEM, "%s: allocation %lu: %d %s", files[f], n, rc,
                      test_errmsg());
            /* the one out-of-memory record (guarded memory says so) */
            cr_assert(rc == 0 || strcmp(test_errmsg(), "out of memory") == 0 ||
                          strstr(test_errmsg(), "out of guarded memory"),
                      "%s: allocation %lu: \"%s\"", files[f], n, test_errmsg());
            if (f == 2 && rc == 0)
                cr_assert_eq(vault_keystore_count(ks), 4);
            vault_string_free((char *)der);
            vault_keystore_free(ks);
        }
        cr_assert(done, "%s never succeeded", files[f]);
    }
}

/* ---- directories ---------------------------------------------------------- */

static void make_dir(void)
{
    test_sh("mkdir -p certs/sub.pem && cp '%s' '%s' certs/ && cp '%s' certs/b-bundle.crt && "
       "cp '%s' certs/c.CER && echo junk > certs/.hidden.pem && echo junk > certs/README && "
       "echo junk > certs/d.pem.bak",
       fixture("root.pem"), fixture("inter.pem"), fixture("signed.pem"), fixture("identity.cer"));
}

Test(pem_dir, certificates_sorted_by_file_name)
{
    static const char *const aliases[] = {"b-bundle", "b-bundle-2", "c", "inter", "root"};
    vault_keystore *ks = NULL;
    der_list signed_, inter, root;
    size_t cer_len;
    unsigned char *cer = slurp(fixture("identity.cer"), &cer_len);

    make_dir();
    rmdir(test_path("certs/sub.pem"));
    pem_file_split(fixture("signed.pem"), &signed_);
    pem_file_split(fixture("inter.pem"), &inter);
    pem_file_split(fixture("root.pem"), &root);
    cr_assert_eq(open_ks(&ks, test_path("certs"), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_get_type(ks), VAULT_KEYSTORE_DIR);
    cr_assert_str_eq(vault_keystore_path(ks), test_path("certs"));
    cr_assert_eq(vault_keystore_count(ks), 5);
    for (size_t i = 0; i < 5; i++) {
        const vault_keystore_entry *e = NULL;
        cr_assert_eq(vault_keystore_entry_at(&e, ks, i), 0);
        cr_assert_str_eq(e->alias, aliases[i]);
        cr_assert_eq(e->kind, VAULT_ENTRY_TRUSTED_CERT);
    }
    assert_cert(ks, "b-bundle", 0, signed_.der[0], signed_.len[0]);
    assert_cert(ks, "b-bundle-2", 0, signed_.der[1], signed_.len[1]);
    assert_cert(ks, "c", 0, cer, cer_len);
    assert_cert(ks, "inter", 0, inter.der[0], inter.len[0]);
    assert_cert(ks, "root", 0, root.der[0], root.len[0]);
    vault_keystore_free(ks);
    der_list_free(&signed_);
    der_list_free(&inter);
    der_list_free(&root);
    free(cer);
}

Test(pem_dir, bad_files_are_named)
{
    vault_keystore *ks = NULL;
    make_dir();
    rmdir(test_path("certs/sub.pem"));
    test_write_text("certs/bad.pem", "not a certificate\n");
    cr_assert_eq(open_ks(&ks, test_path("certs"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "certs/bad.pem"), "%s", test_errmsg());
    unlink(test_path("certs/bad.pem"));

    test_sh("openssl genpkey -algorithm ED25519 -out certs/key.pem");
    cr_assert_eq(open_ks(&ks, test_path("certs"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "certs/key.pem") && strstr(test_errmsg(), "private key"), "%s", test_errmsg());
    unlink(test_path("certs/key.pem"));

    /* A directory with a certificate's name is not a file. */
    mkdir(test_path("certs/sub.pem"), 0700);
    cr_assert_eq(open_ks(&ks, test_path("certs"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EIO);
    cr_assert(strstr(test_errmsg(), "certs/sub.pem"), "%s", test_errmsg());
    cr_assert_null(ks);
}

/* root.crt would be "root" too: it keeps its whole file name. */
Test(pem_dir, same_base_name_keeps_file_name)
{
    vault_keystore *ks = NULL;
    der_list inter;
    make_dir();
    rmdir(test_path("certs/sub.pem"));
    test_sh("cp '%s' certs/root.crt", fixture("inter.pem"));
    pem_file_split(fixture("inter.pem"), &inter);
    cr_assert_eq(open_ks(&ks, test_path("certs"), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 6);
    assert_cert(ks, "root", 0, inter.der[0], inter.len[0]);
    cr_assert_str_eq(find(ks, "root.pem")->subject, "CN=Example Root CA");
    vault_keystore_free(ks);
    der_list_free(&inter);
}

Test(pem_dir, file_count_is_bounded)
{
    vault_keystore *ks = NULL;
    char name[64];
    mkdir(test_path("many"), 0700);
    for (int i = 0; i <= 10000; i++) {
        snprintf(name, sizeof name, "many/%05d.pem", i);
        int fd = open(test_path(name), O_CREAT | O_WRONLY, 0600);
        cr_assert(fd >= 0);
        close(fd);
    }
    cr_assert_eq(open_ks(&ks, test_path("many"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "more than 10000"), "%s", test_errmsg());
    cr_assert_null(ks);
}

/* ---- PKCS#8 to EVP_PKEY: RSA keys imported from their numbers ---------------------- */

/* The PKCS#8 structure of an unencrypted key written by `openssl genpkey`. */
static PKCS8_PRIV_KEY_INFO *p8_of(const char *genpkey_args, const char *file)
{
    const unsigned char *p;
    PKCS8_PRIV_KEY_INFO *p8;
    unsigned char *pem, *der;
    size_t len;

    test_sh("openssl genpkey %s -out %s", genpkey_args, file);
    pem = slurp(test_path(file), &len);
    der = pem_to_der((const char *)pem, &len);
    p = der;
    p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
    cr_assert_not_null(p8, "%s", file);
    free(pem);
    free(der);
    return p8;
}

/* Every number OpenSSL's RSA key manager knows, compared one by one. */
static void assert_same_rsa(EVP_PKEY *a, EVP_PKEY *b)
{
    static const char *const names[] = {"n", "e", "d", "rsa-factor1", "rsa-factor2", "rsa-exponent1",
                                        "rsa-exponent2", "rsa-coefficient1"};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        BIGNUM *x = NULL, *y = NULL;
        cr_assert(EVP_PKEY_get_bn_param(a, names[i], &x), "%s", names[i]);
        cr_assert(EVP_PKEY_get_bn_param(b, names[i], &y), "%s", names[i]);
        cr_assert_eq(BN_cmp(x, y), 0, "%s differs", names[i]);
        BN_clear_free(x);
        BN_clear_free(y);
    }
}

/* The same key as OpenSSL's own decoder makes, for each kind of key. */
static void assert_as_decoder(PKCS8_PRIV_KEY_INFO *p8, int rsa)
{
    EVP_PKEY *ours = ks_pkey_from_p8(p8), *theirs = EVP_PKCS82PKEY(p8);
    cr_assert_not_null(ours);
    cr_assert_not_null(theirs);
    cr_assert_eq(EVP_PKEY_eq(ours, theirs), 1);
    cr_assert_eq(EVP_PKEY_get_id(ours), EVP_PKEY_get_id(theirs));
    if (rsa)
        assert_same_rsa(ours, theirs);
    EVP_PKEY_free(ours);
    EVP_PKEY_free(theirs);
    PKCS8_PRIV_KEY_INFO_free(p8);
}

Test(pkcs8_keys, rsa_keys_equal_the_decoders)
{
    assert_as_decoder(p8_of("-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "r2048.pem"), 1);
    assert_as_decoder(p8_of("-algorithm RSA -pkeyopt rsa_keygen_bits:4096", "r4096.pem"), 1);
    assert_as_decoder(p8_of("-algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3",
                            "r-e3.pem"), 1);
}

/* What the fast path does not take goes to the decoder, unchanged. */
Test(pkcs8_keys, other_keys_take_the_general_path)
{
    assert_as_decoder(p8_of("-algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_primes:3",
                            "r3prime.pem"), 0);
    assert_as_decoder(p8_of("-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "ec.pem"), 0);
    assert_as_decoder(p8_of("-algorithm ED25519", "ed.pem"), 0);
}

/* ---- text around PEM blocks, empty names ---------------------------------- */

/* `openssl x509 -text` writes "Certificate: Data: ..." before the block;
 * openssl reads such files, and so must we: alone, as a key file with text
 * between the blocks, and in a truststore directory. */
Test(pem_text, text_before_and_between_blocks)
{
    vault_keystore *ks = NULL;
    unsigned char *cert;
    size_t cert_len;

    make_rsa_key();
    test_sh("openssl x509 -in c.pem -text -out t.pem && grep -q '^Certificate:' t.pem && "
            "{ openssl x509 -in c.pem -text; echo 'Key Attributes: <No Attributes>'; cat k.pem; } > tk.pem && "
            "mkdir -p tdir && cp t.pem tdir/t.pem");
    cert = slurp(test_path("c.der"), &cert_len);
    cr_assert_eq(open_ks(&ks, test_path("t.pem"), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_get_type(ks), VAULT_KEYSTORE_PEM);
    cr_assert_eq(vault_keystore_count(ks), 1);
    assert_cert(ks, "t", 0, cert, cert_len);
    vault_keystore_free(ks);
    check_key_file("tk.pem", "tk", NULL, "RSA");
    cr_assert_eq(open_ks(&ks, test_path("tdir"), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 1);
    assert_cert(ks, "t", 0, cert, cert_len);
    vault_keystore_free(ks);
    free(cert);

    /* Binary data before a BEGIN line is not PEM text. */
    test_sh("{ printf 'ab\\001cd\\n'; cat c.pem; } > bin.pem");
    cr_assert_eq(open_ks(&ks, test_path("bin.pem"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "bin.pem") && strstr(test_errmsg(), "not a keystore"), "%s",
              test_errmsg());
}

/* NIST PKITS ValidDNnameConstraintsTest14EE has an empty subject (its name
 * is in subjectAltName): it lists with subject "". */
Test(pem_text, empty_subject_lists)
{
    static const char pkits[] = "/usr/lib/python3/dist-packages/cryptography_vectors/x509/PKITS_data/"
                                "certs/ValidDNnameConstraintsTest14EE.crt";
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;

    cr_assert_eq(open_ks(&ks, pkits, NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 1);
    e = find(ks, "ValidDNnameConstraintsTest14EE");
    cr_assert_str_eq(e->subject, "");
    cr_assert_str_eq(e->issuer, "CN=nameConstraints DN1 subCA2,OU=permittedSubtree1,O=Test Certificates 2011,C=US");
    cr_assert(e->has_certificate);
    vault_keystore_free(ks);
}

/* A PEM file has no store password: the password given as one (what
 * --password-file gives) opens an encrypted key when no key password is. */
Test(pem_keys, store_password_opens_encrypted_key)
{
    static vault_passwords pw = {NULL, NULL};
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    unsigned char *der = NULL;
    size_t len;

    make_rsa_key();
    test_sh("openssl pkcs8 -topk8 -v2 aes-256-cbc -in k.pem -passout pass:store-only -out ek.pem");
    pw.store = "store-only";
    o.password = vault_password_fixed;
    o.payload = &pw;
    cr_assert_eq(vault_keystore_open(&ks, test_path("ek.pem"), &o), 0, "%s", test_errmsg());
    e = find(ks, NULL);
    cr_assert_null(e->key_algorithm);
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, NULL), 0, "%s", test_errmsg());
    cr_assert_str_eq(e->key_algorithm, "RSA");
    vault_string_free((char *)der);
    vault_keystore_free(ks);
    pw.store = "another";
    cr_assert_eq(vault_keystore_open(&ks, test_path("ek.pem"), &o), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, NULL), VAULT_EAUTH);
    cr_assert(strstr(test_errmsg(), "ek.pem"), "%s", test_errmsg());
    vault_keystore_free(ks);
}

/* An EncryptedPrivateKeyInfo whose plaintext is not a PrivateKeyInfo (here
 * a traditional RSAPrivateKey, PBES2 done by pyca): the refusal names the
 * key format, not the password; a wrong password is still the password. */
static const char *pbes2_py =
    "import os, sys\n"
    "from cryptography.hazmat.primitives import hashes, padding, serialization\n"
    "from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n"
    "from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC\n"
    "def tlv(tag, body):\n"
    "    n = len(body)\n"
    "    if n < 128: l = bytes([n])\n"
    "    else:\n"
    "        b = n.to_bytes((n.bit_length() + 7) // 8, \"big\"); l = bytes([0x80 | len(b)]) + b\n"
    "    return bytes([tag]) + l + body\n"
    "def oid(s):\n"
    "    a = [int(x) for x in s.split(\".\")]; out = bytes([40 * a[0] + a[1]])\n"
    "    for v in a[2:]:\n"
    "        enc = [v & 0x7f]; v >>= 7\n"
    "        while v: enc.insert(0, 0x80 | (v & 0x7f)); v >>= 7\n"
    "        out += bytes(enc)\n"
    "    return tlv(6, out)\n"
    "seq = lambda *x: tlv(0x30, b\"\".join(x))\n"
    "plain = open(sys.argv[1], \"rb\").read()\n"
    "pw = sys.argv[2].encode(); salt = os.urandom(16); iv = os.urandom(16); it = 2048\n"
    "key = PBKDF2HMAC(hashes.SHA256(), 32, salt, it).derive(pw)\n"
    "pad = padding.PKCS7(128).padder(); data = pad.update(plain) + pad.finalize()\n"
    "enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor(); ct = enc.update(data) + enc.finalize()\n"
    "kdf = seq(oid(\"1.2.840.113549.1.5.12\"), seq(tlv(4, salt), tlv(2, it.to_bytes(2, \"big\")), seq(oid(\"1.2.840.113549.2.9\"), b\"\\x05\\x00\")))\n"
    "alg = seq(oid(\"1.2.840.113549.1.5.13\"), seq(kdf, seq(oid(\"2.16.840.1.101.3.4.1.42\"), tlv(4, iv))))\n"
    "sys.stdout.buffer.write(seq(alg, tlv(4, ct)))\n"
;

Test(pem_keys, unsupported_key_format_is_named)
{
    vault_keystore *ks = NULL;
    unsigned char *der = NULL;
    size_t len;

    make_rsa_key();
    test_write_text("mk.py", pbes2_py);
    test_sh("openssl rsa -in k.pem -traditional -outform DER -out trad.der && "
            "python3 mk.py trad.der kpw > bad.der && "
            "{ echo '-----BEGIN ENCRYPTED PRIVATE KEY-----'; base64 -w64 bad.der; "
            "echo '-----END ENCRYPTED PRIVATE KEY-----'; } > trad-in-p8.pem && "
            "openssl pkcs8 -topk8 -nocrypt -in k.pem -outform DER -out p8.der && "
            "python3 mk.py p8.der kpw > good.der && "
            "openssl pkcs8 -inform DER -in good.der -passin pass:kpw -out /dev/null");
    cr_assert_eq(open_ks(&ks, test_path("trad-in-p8.pem"), "kpw", VAULT_KEYSTORE_AUTO), 0, "%s",
                 test_errmsg());
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, NULL), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "unsupported key format") && strstr(test_errmsg(), "trad-in-p8.pem"),
              "%s", test_errmsg());
    vault_keystore_free(ks);
    cr_assert_eq(open_ks(&ks, test_path("trad-in-p8.pem"), "other", VAULT_KEYSTORE_AUTO), 0);
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, NULL), VAULT_EAUTH);
    vault_keystore_free(ks);
}

/* A bare public key (SubjectPublicKeyInfo, or PKCS#1 for RSA) is a
 * public-key entry: no certificate, no private key to hand out. */
Test(pem_keys, bare_public_keys)
{
    static const struct { const char *make, *alg; unsigned bits; } keys[] = {
        {"openssl pkey -in k.pem -pubout -out pub.pem", "RSA", 2048},
        {"openssl rsa -in k.pem -RSAPublicKey_out -out pub.pem", "RSA", 2048},
        {"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 | openssl pkey -pubout -out pub.pem",
         "EC", 384},
        {"openssl genpkey -algorithm X25519 | openssl pkey -pubout -out pub.pem", "X25519", 253},
        {"openssl genpkey -algorithm ED25519 | openssl pkey -pubout -out pub.pem", "Ed25519", 256},
    };
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    unsigned char *der = NULL;
    EVP_PKEY *key = NULL;
    size_t i, len;

    make_rsa_key();
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        test_sh(keys[i].make);
        cr_assert_eq(open_ks(&ks, test_path("pub.pem"), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
        cr_assert_eq(vault_keystore_count(ks), 1);
        e = find(ks, "pub");
        cr_assert_eq(e->kind, VAULT_ENTRY_PUBLIC_KEY);
        cr_assert_str_eq(e->key_algorithm, keys[i].alg);
        cr_assert_eq(e->key_bits, keys[i].bits);
        cr_assert_not(e->has_certificate);
        cr_assert_eq(e->chain_length, 0);
        cr_assert_eq(ks_private_key(ks, "pub", &key, NULL), VAULT_EINVAL);
        cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "pub"), 0, "%s", test_errmsg());
        vault_string_free((char *)der);
        vault_keystore_free(ks);
        ks = NULL;
    }
    /* several keys: one entry each; a malformed one names the file */
    test_sh("openssl pkey -in k.pem -pubout > a.pem && cat a.pem a.pem > two-pub.pem && "
            "sed 's/^MII/MIJ/' a.pem > bad-pub.pem");
    cr_assert_eq(open_ks(&ks, test_path("two-pub.pem"), NULL, VAULT_KEYSTORE_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 2);
    cr_assert_eq(find(ks, "two-pub-2")->kind, VAULT_ENTRY_PUBLIC_KEY);
    vault_keystore_free(ks);
    ks = NULL;
    cr_assert_eq(open_ks(&ks, test_path("bad-pub.pem"), NULL, VAULT_KEYSTORE_AUTO), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "bad-pub.pem") && strstr(test_errmsg(), "malformed or unsupported public key"),
              "%s", test_errmsg());
}
