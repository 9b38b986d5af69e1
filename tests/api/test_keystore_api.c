/* SPDX-License-Identifier: Apache-2.0 */
/* The keystore API through the public header only: lookup, listing, trust. */
#include <vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static vault_keystore *open_ks(const char *rel, const char *store, const char *key)
{
    static vault_passwords pw[16];
    static int next;
    vault_passwords *p = &pw[next++ % 16];
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    int rc;
    p->store = store;
    p->key = key;
    o.password = vault_password_fixed;
    o.payload = p;
    rc = vault_keystore_open(&ks, rel[0] == '/' ? rel : shared_path(rel), &o);
    cr_assert_eq(rc, 0, "open %s: %s", rel, vault_error_last() ? vault_error_last()->message : "?");
    return ks;
}

Test(keystore_api, alias_lookup_is_case_insensitive)
{
    vault_keystore *ks = open_ks("fixtures/java/identity.jks", "wso2carbon", NULL);
    const vault_keystore_entry *e = NULL;
    cr_assert_eq(vault_keystore_find(&e, ks, "WSO2Carbon"), 0);
    cr_assert_str_eq(e->alias, "wso2carbon");
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    cr_assert_eq(vault_keystore_find(&e, ks, NULL), 0, "the only key entry may be omitted");
    cr_assert_eq(vault_keystore_find(&e, ks, "nosuch"), VAULT_ENOTFOUND);
    cr_assert(strstr(vault_error_last()->message, "\"nosuch\"") != NULL);
    cr_assert(strstr(vault_error_last()->message, "\"wso2carbon\"") != NULL, "lists the aliases there are");
    vault_keystore_free(ks);
}

Test(keystore_api, several_keys_need_an_alias)
{
    vault_keystore *ks = open_ks("keystores/wso2-secvault/components/org.wso2.carbon.secvault/src/test/resources/resources/security/securevault.jks", "wso2carbon", NULL);
    const vault_keystore_entry *e = NULL;
    cr_assert_eq(vault_keystore_count(ks), 36);
    cr_assert_eq(vault_keystore_find(&e, ks, "wso2carbon"), 0);
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    vault_keystore_free(ks);
}

Test(keystore_api, wrong_store_password_names_the_file)
{
    vault_passwords p = {"wrong", NULL};
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    const char *path = shared_path("fixtures/java/identity.p12");
    o.password = vault_password_fixed;
    o.payload = &p;
    cr_assert_eq(vault_keystore_open(&ks, path, &o), VAULT_EAUTH);
    cr_assert_null(ks);
    cr_assert(strstr(vault_error_last()->message, path) != NULL);
    cr_assert(strstr(vault_error_last()->message, "wrong") == NULL || strstr(vault_error_last()->message, "password") != NULL);
}

Test(keystore_api, certificate_der_equals_the_cer_file)
{
    vault_keystore *ks = open_ks("fixtures/java/identity.p12", "wso2carbon", NULL);
    const unsigned char *der;
    size_t len, cer_len;
    unsigned char *cer = slurp(shared_path("fixtures/java/identity.cer"), &cer_len);
    cr_assert_eq(vault_keystore_cert_der(&der, &len, ks, "wso2carbon", 0), 0);
    cr_assert_eq(len, cer_len);
    cr_assert_eq(memcmp(der, cer, len), 0);
    free(cer);
    vault_keystore_free(ks);
}

Test(keystore_api, chain_trusted_through_the_root)
{
    vault_keystore *trust = open_ks("fixtures/java/client-truststore.jks", "wso2carbon", NULL);
    vault_keystore *signed_ks = open_ks("fixtures/java/signed.p12", "wso2carbon", NULL);
    vault_keystore *identity = open_ks("fixtures/java/identity.p12", "wso2carbon", NULL);
    const vault_keystore_entry *e;
    cr_assert_eq(vault_keystore_find(&e, signed_ks, NULL), 0);
    cr_assert_eq(e->chain_length, 3, "leaf, intermediate, root");
    cr_assert_eq(vault_keystore_verify(trust, signed_ks, NULL, 0, 0), 0, "%s",
                 vault_error_last() ? vault_error_last()->message : "");
    cr_assert_eq(vault_keystore_verify(trust, identity, NULL, 0, 0), VAULT_ETRUST);
    cr_assert(strstr(vault_error_last()->message, "wso2carbon") != NULL);
    vault_keystore_free(trust);
    vault_keystore_free(signed_ks);
    vault_keystore_free(identity);
}

/* A self-signed certificate whose validity ended a year ago, made now. */
static void write_expired_cert(const char *path)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    X509 *x = X509_new();
    X509_NAME *name;
    FILE *f;
    cr_assert(key && x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -2L * 365 * 24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(x), -1L * 365 * 24 * 3600);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"expired", -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
    f = fopen(path, "w");
    cr_assert(f);
    PEM_write_X509(f, x);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

Test(keystore_api, expired_and_unrelated_certificates_are_not_trusted)
{
    char path[4096];
    vault_keystore *cert, *trust = open_ks("fixtures/java/client-truststore.p12", "wso2carbon", NULL);
    snprintf(path, sizeof path, "%s/expired.pem", test_tmpdir());
    write_expired_cert(path);
    cert = open_ks(path, NULL, NULL);
    /* trusted as its own anchor, but expired */
    cr_assert_eq(vault_keystore_verify(cert, cert, NULL, 0, 0), VAULT_ETRUST);
    cr_assert(strstr(vault_error_last()->message, "expired") != NULL, "%s", vault_error_last()->message);
    cr_assert_eq(vault_keystore_verify(cert, cert, NULL, 0, VAULT_VERIFY_NO_TIME), 0);
    cr_assert_eq(vault_keystore_verify(trust, cert, NULL, 0, VAULT_VERIFY_NO_TIME), VAULT_ETRUST);
    vault_keystore_free(cert);
    vault_keystore_free(trust);
}

Test(keystore_api, options_version_is_checked)
{
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    o.version = 99;
    cr_assert_eq(vault_keystore_open(&ks, shared_path("fixtures/java/identity.cer"), &o), VAULT_EINVAL);
    cr_assert_eq(vault_keystore_open(&ks, NULL, NULL), VAULT_EINVAL);
}
