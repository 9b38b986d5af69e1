/* SPDX-License-Identifier: Apache-2.0 */
/* A PKCS#11 token (SoftHSM2, initialised here) as the keystore of the
 * public API: listing, sealing to the token's certificate, vault_open()
 * with [keystore.primary] file_name naming the token, and the errors. */
#include <vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *module(void)
{
    static const char *const paths[] = {"/usr/lib/softhsm/libsofthsm2.so",
                                        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                                        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"};
    size_t i;
    for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    cr_assert_fail("libsofthsm2.so not found (scripts/deps.sh installs softhsm2)");
    return NULL;
}

static char uri[1024];

/* A token "api" with an RSA key "api-key" and its self-issued certificate. */
static void make_token(void)
{
    const char *m = module();
    char conf[1200];

    cr_assert(have_program("softhsm2-util") && have_program("pkcs11-tool"));
    snprintf(conf, sizeof conf, "directories.tokendir = %s\nobjectstore.backend = file\n", test_path("tokens"));
    test_sh("mkdir tokens");
    test_write_text("softhsm2.conf", conf);
    cr_assert_eq(setenv("SOFTHSM2_CONF", test_path("softhsm2.conf"), 1), 0);
    test_sh("softhsm2-util --init-token --free --label api --so-pin 11223344 --pin 5566");
    test_sh("pkcs11-tool --module %s --token-label api --login --pin 5566 --keypairgen "
            "--key-type rsa:2048 --label api-key --id 02 --sensitive", m);
    test_sh("pkcs11-tool --module %s --token-label api --read-object --type pubkey --label api-key "
            "-o pub.der && openssl pkey -pubin -inform DER -in pub.der -out pub.pem && "
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -subj /CN=api-ca -out ca.pem && "
            "openssl req -new -key ca.key -subj /CN=api-key -out r.csr && "
            "openssl x509 -req -in r.csr -CA ca.pem -CAkey ca.key -CAcreateserial -force_pubkey pub.pem "
            "-outform DER -out cert.der", m);
    test_sh("pkcs11-tool --module %s --token-label api --login --pin 5566 --write-object cert.der "
            "--type cert --label api-key --id 02", m);
    snprintf(uri, sizeof uri, "pkcs11:token=api;object=api-key?module-path=%s", m);
}

static int open_token(vault_keystore **ks, const char *pin)
{
    static vault_passwords pw;
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    pw.store = pin;
    pw.key = NULL;
    o.password = vault_password_fixed;
    o.payload = &pw;
    return vault_keystore_open(ks, uri, &o);
}

Test(pkcs11_api, token_keystore_round_trip, .timeout = 60)
{
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e = NULL;
    vault_recipient *r = NULL;
    const vault_recipient *rs[1];
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_sealer *s = NULL;
    vault_options o = VAULT_OPTIONS_INIT;
    vault_passwords pw = {"5566", NULL};
    vault *v = NULL;
    vault_secret *got = NULL;
    char *sealed = NULL, toml[4096];

    make_token();
    cr_assert_eq(open_token(&ks, "5566"), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_get_type(ks), VAULT_KEYSTORE_PKCS11);
    cr_assert_str_eq(vault_keystore_type_name(VAULT_KEYSTORE_PKCS11), "PKCS11");
    cr_assert_eq(vault_keystore_count(ks), 1);
    cr_assert_eq(vault_keystore_find(&e, ks, NULL), 0);
    cr_assert_str_eq(e->alias, "api-key");
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    cr_assert_eq(e->key_bits, 2048);
    cr_assert_str_eq(e->subject, "CN=api-key");

    /* Seal to the token's own certificate. */
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0, "%s", test_errmsg());
    rs[0] = r;
    so.recipients = rs;
    so.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&s, &so), 0);
    cr_assert_eq(vault_sealer_seal(&sealed, s, "db_password", "token s3cret", 12), 0);
    vault_keystore_free(ks);

    snprintf(toml, sizeof toml, "[keystore.primary]\nfile_name = \"%s\"\n\n[secrets]\ndb_password = \"%s\"\n",
             uri, sealed);
    test_write_text("deployment.toml", toml);
    o.config = test_path("deployment.toml");
    o.password = vault_password_fixed;
    o.payload = &pw;
    cr_assert_eq(vault_open(&v, &o), 0, "%s", test_errmsg());
    cr_assert_eq(vault_get(&got, v, "db_password"), 0);
    cr_assert_eq(vault_secret_len(got), 12);
    cr_assert_eq(memcmp(vault_secret_data(got), "token s3cret", 12), 0);
    vault_secret_free(got);
    vault_free(v);

    /* A wrong PIN: VAULT_EAUTH naming the token, never the PIN. */
    pw.store = "9999";
    cr_assert_eq(vault_open(&v, &o), VAULT_EAUTH);
    cr_assert(strstr(test_errmsg(), "wrong PIN for token \"api\"") != NULL, "%s", test_errmsg());
    cr_assert(strstr(test_errmsg(), "9999") == NULL);
    cr_assert_null(v);

    vault_string_free(sealed);
    vault_sealer_free(s);
    vault_recipient_free(r);
}

Test(pkcs11_api, absent_token_and_object, .timeout = 60)
{
    vault_keystore *ks = NULL;
    const char *m = module();

    make_token();
    snprintf(uri, sizeof uri, "pkcs11:token=gone?module-path=%s", m);
    cr_assert_eq(open_token(&ks, "5566"), VAULT_ENOTFOUND);
    cr_assert(strstr(test_errmsg(), "no token matching token=\"gone\"") != NULL, "%s", test_errmsg());
    cr_assert_null(ks);
    snprintf(uri, sizeof uri, "pkcs11:token=api;object=nokey?module-path=%s", m);
    cr_assert_eq(open_token(&ks, "5566"), VAULT_ENOTFOUND);
    cr_assert(strstr(test_errmsg(), "\"nokey\"") != NULL, "%s", test_errmsg());
    snprintf(uri, sizeof uri, "pkcs11:token=api;object=api-key?pin-value=5566&module-path=%s", m);
    cr_assert_eq(open_token(&ks, NULL), VAULT_EINVAL);
    cr_assert(strstr(test_errmsg(), "5566") == NULL);
}

/* Open sealed with ks: the decryption runs in the token. */
static void opens(vault_keystore *ks, const char *sealed, const char *want)
{
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *op = NULL;
    vault_secret *got = NULL;

    oo.keystore = ks;
    cr_assert_eq(vault_opener_new(&op, &oo), 0, "%s", test_errmsg());
    cr_assert_eq(vault_opener_open(&got, NULL, op, "db_password", sealed), 0, "%s", test_errmsg());
    cr_assert_eq(vault_secret_len(got), strlen(want));
    cr_assert_eq(memcmp(vault_secret_data(got), want, strlen(want)), 0);
    vault_secret_free(got);
    vault_opener_free(op);
}

/* Two keystores on one module in one process: the module is initialised
 * once and finalised with the last of them, and closing one neither logs
 * the other out nor ends its session. */
Test(pkcs11_api, two_keystores_share_the_module, .timeout = 60)
{
    vault_keystore *a = NULL, *b = NULL, *c = NULL;
    vault_recipient *r = NULL;
    const vault_recipient *rs[1];
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_sealer *s = NULL;
    char *sealed = NULL;

    make_token();
    cr_assert_eq(open_token(&a, "5566"), 0, "%s", test_errmsg());
    cr_assert_eq(open_token(&b, "5566"), 0, "%s", test_errmsg());
    cr_assert_eq(vault_recipient_from_keystore(&r, a, NULL), 0, "%s", test_errmsg());
    rs[0] = r;
    so.recipients = rs;
    so.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&s, &so), 0);
    cr_assert_eq(vault_sealer_seal(&sealed, s, "db_password", "shared module", 13), 0);
    opens(a, sealed, "shared module");
    opens(b, sealed, "shared module");
    vault_keystore_free(a); /* b must keep working */
    opens(b, sealed, "shared module");
    cr_assert_eq(open_token(&c, "5566"), 0, "%s", test_errmsg());
    vault_keystore_free(b);
    opens(c, sealed, "shared module");
    vault_keystore_free(c);
    /* and after the last one the module starts afresh */
    cr_assert_eq(open_token(&a, "5566"), 0, "%s", test_errmsg());
    opens(a, sealed, "shared module");
    vault_keystore_free(a);
    vault_string_free(sealed);
    vault_sealer_free(s);
    vault_recipient_free(r);
}

/* A token key whose certificate is not on the token takes it from a file
 * (vault_keystore_options.cert); a certificate for another key is
 * VAULT_EKEY, and with a keystore file VAULT_EINVAL. */
Test(pkcs11_api, certificate_beside_the_token, .timeout = 60)
{
    static vault_passwords pw = {"5566", NULL};
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e = NULL;
    vault_recipient *r = NULL;

    make_token();
    test_sh("pkcs11-tool --module %s --token-label api --login --pin 5566 --delete-object --type cert "
            "--label api-key", module());
    o.password = vault_password_fixed;
    o.payload = &pw;
    cr_assert_eq(vault_keystore_open(&ks, uri, &o), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_find(&e, ks, NULL), 0);
    cr_assert_null(e->subject);
    cr_assert_neq(vault_recipient_from_keystore(&r, ks, NULL), 0);
    vault_keystore_free(ks);

    o.cert = test_path("cert.der");
    cr_assert_eq(vault_keystore_open(&ks, uri, &o), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_find(&e, ks, NULL), 0);
    cr_assert_str_eq(e->subject, "CN=api-key");
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0, "%s", test_errmsg());
    vault_recipient_free(r);
    vault_keystore_free(ks);

    o.cert = test_path("ca.pem");
    cr_assert_eq(vault_keystore_open(&ks, uri, &o), VAULT_EKEY);
    cr_assert(strstr(test_errmsg(), "ca.pem is not for a key of this keystore") != NULL, "%s",
              test_errmsg());
    cr_assert_null(ks);
    cr_assert_eq(vault_keystore_open(&ks, test_path("ca.pem"), &o), VAULT_EINVAL);

    /* A version 1 caller has no cert field: it is never read. */
    o.version = 1;
    cr_assert_eq(vault_keystore_open(&ks, uri, &o), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_find(&e, ks, NULL), 0);
    cr_assert_null(e->subject);
    vault_keystore_free(ks);
}
