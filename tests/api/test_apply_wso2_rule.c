/* SPDX-License-Identifier: Apache-2.0 */
/* vault_config_apply() in a file a WSO2 secret-conf.properties governs,
 * through the public headers only: a new value of another kind than the
 * one algorithm (or the symmetric mode) it names fails with
 * VAULT_APPLY_WSO2_RUNTIME and the file stays as it was, unless the caller
 * opts out (VAULT_APPLY_NOT_FOR_WSO2_RUNTIME) or writes the home's algorithm
 * itself (VAULT_APPLY_SETS_HOME_ALGORITHM, which then holds kept values to
 * it too); vault_locate() tells the rule. */
#include <vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDENTITY "fixtures/java/identity.p12"
#define OAEP "RSA/ECB/OAEPwithSHA1andMGF1Padding"

static vault_passwords identity_pw = {"wso2carbon", NULL};

static vault_keystore *identity(void)
{
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    o.password = vault_password_fixed;
    o.payload = &identity_pw;
    cr_assert_eq(vault_keystore_open(&ks, shared_path(IDENTITY), &o), 0, "%s", test_errmsg());
    return ks;
}

/* A cipher-text.properties with secret-conf.properties beside it. */
static const char *governed(const char *dir, const char *text, const char *algorithm_line)
{
    char rel[256];
    test_sh("mkdir -p %s", dir);
    snprintf(rel, sizeof rel, "%s/secret-conf.properties", dir);
    test_write_text(rel, algorithm_line);
    snprintf(rel, sizeof rel, "%s/cipher-text.properties", dir);
    test_write_text(rel, text);
    return test_path(rel);
}

static vault_sealer *sealer(vault_keystore *ks, vault_format f, vault_transformation t, const vault_secret *aes)
{
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_recipient *r = NULL;
    vault_sealer *s = NULL;
    if (f != VAULT_FORMAT_WSO2_SYMMETRIC)
        cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0, "%s", test_errmsg());
    so.format = f;
    so.transformation = t;
    so.recipients = (const vault_recipient *const *)&r;
    so.recipient_count = r ? 1 : 0;
    so.symmetric_key = aes;
    cr_assert_eq(vault_sealer_new(&s, &so), 0, "%s", test_errmsg());
    vault_recipient_free(r);
    return s;
}

static int seal(const char *path, vault_sealer *s, unsigned int flags, vault_apply_result **res)
{
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    o.op = VAULT_APPLY_SEAL;
    o.path = path;
    o.sealer = s;
    o.flags = flags;
    return vault_config_apply(res, &o);
}

static int same_text(const char *path, const char *text)
{
    size_t len;
    unsigned char *d = slurp(path, &len);
    int same = len == strlen(text) && memcmp(d, text, len) == 0;
    free(d);
    return same;
}

Test(apply_wso2_rule, another_kind_is_refused_and_nothing_written)
{
    static const char text[] = "a=[secret-a]\nb=[secret-b]\n";
    const char *path = governed("oaep", text, "secretRepositories.file.algorithm=" OAEP "\n");
    vault_keystore *ks = identity();
    vault_sealer *native = sealer(ks, VAULT_FORMAT_NATIVE, VAULT_TRANSFORM_DEFAULT, NULL);
    vault_sealer *pkcs1 = sealer(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_PKCS1, NULL);
    vault_sealer *holder = sealer(ks, VAULT_FORMAT_WSO2_HOLDER, VAULT_TRANSFORM_RSA_OAEP_SHA1, NULL);
    vault_apply_result *res = NULL;
    vault_sealer *refused[3];
    size_t i;

    refused[0] = native;
    refused[1] = pkcs1;
    refused[2] = holder;
    for (i = 0; i < 3; i++) {
        cr_assert_eq(seal(path, refused[i], 0, &res), VAULT_ERROR, "sealer %zu", i);
        cr_assert_eq(res->failed, 2);
        cr_assert_eq(res->written, 0);
        cr_assert_eq(res->entries[0].status, VAULT_APPLY_FAILED);
        cr_assert(res->entries[0].flags & VAULT_APPLY_WSO2_RUNTIME);
        cr_assert_eq(res->entries[0].code, VAULT_EFORMAT);
        cr_assert(strstr(res->entries[0].message, "alias \"a\"") != NULL, "%s", res->entries[0].message);
        cr_assert(strstr(res->entries[0].message, OAEP) != NULL, "%s", res->entries[0].message);
        cr_assert(strstr(res->entries[0].message, "secret-conf.properties") != NULL);
        cr_assert(same_text(path, text), "the file was changed");
        vault_apply_result_free(res);
        res = NULL;
    }
    /* The caller says the values are not for that runtime. */
    cr_assert_eq(seal(path, native, VAULT_APPLY_NOT_FOR_WSO2_RUNTIME, &res), 0, "%s", test_errmsg());
    cr_assert_eq(res->written, 1);
    vault_apply_result_free(res);
    vault_sealer_free(native);
    vault_sealer_free(pkcs1);
    vault_sealer_free(holder);
    vault_keystore_free(ks);
}

Test(apply_wso2_rule, the_homes_algorithm_is_written_and_located)
{
    const char *path = governed("oaep-ok", "a=[secret-a]\n", "secretRepositories.file.algorithm=" OAEP "\n");
    const char *rsa = governed("rsa", "a=[secret-a]\n", "keystore.identity.alias=wso2carbon\n");
    const char *none = test_path("plain.properties");
    vault_keystore *ks = identity();
    vault_sealer *oaep = sealer(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_DEFAULT, NULL);
    vault_apply_result *res = NULL;
    vault_options lo = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;

    cr_assert_eq(seal(path, oaep, 0, &res), 0, "%s", test_errmsg());
    cr_assert_eq(res->written, 1);
    vault_apply_result_free(res);
    lo.config = path;
    lo.flags = VAULT_OPEN_WSO2_RULES;
    cr_assert_eq(vault_locate(&loc, &lo), 0, "%s", test_errmsg());
    cr_assert_eq(loc->wso2_rules, 1);
    cr_assert_eq(loc->wso2_symmetric, 0);
    cr_assert_eq(loc->wso2_transformation, VAULT_TRANSFORM_RSA_OAEP_SHA1);
    cr_assert(strstr(loc->wso2_secret_conf, "oaep-ok/secret-conf.properties") != NULL);
    vault_location_free(loc);
    /* No algorithm line: RSA, PKCS#1 v1.5, as SecretManager reads it. */
    lo.config = rsa;
    cr_assert_eq(vault_locate(&loc, &lo), 0, "%s", test_errmsg());
    cr_assert_eq(loc->wso2_transformation, VAULT_TRANSFORM_RSA_PKCS1);
    vault_location_free(loc);
    cr_assert_eq(seal(rsa, oaep, 0, &res), VAULT_ERROR);
    vault_apply_result_free(res);
    /* Outside any home nothing governs. */
    test_write_text("plain.properties", "a=[secret-a]\n");
    cr_assert_eq(seal(none, oaep, 0, &res), 0, "%s", test_errmsg());
    vault_apply_result_free(res);
    lo.config = none;
    cr_assert_eq(vault_locate(&loc, &lo), 0, "%s", test_errmsg());
    cr_assert_eq(loc->wso2_rules, 0);
    cr_assert_null(loc->wso2_secret_conf);
    vault_location_free(loc);
    vault_sealer_free(oaep);
    vault_keystore_free(ks);
}

Test(apply_wso2_rule, a_new_home_algorithm_holds_the_kept_values_too)
{
    static const unsigned char key[32] = {1, 2, 3};
    const char *path = governed("to-sym", "a=[secret-a]\n", "secretRepositories.file.algorithm=" OAEP "\n");
    vault_keystore *ks = identity();
    vault_sealer *oaep = sealer(ks, VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_OAEP_SHA1, NULL);
    vault_secret *aes = NULL;
    vault_sealer *sym;
    vault_apply_result *res = NULL;
    unsigned char *before;
    size_t before_len, after_len;
    unsigned char *after;
    FILE *f;

    cr_assert_eq(vault_secret_new(&aes, key, sizeof key), 0);
    sym = sealer(ks, VAULT_FORMAT_WSO2_SYMMETRIC, VAULT_TRANSFORM_DEFAULT, aes);
    cr_assert_eq(seal(path, oaep, 0, &res), 0, "%s", test_errmsg());
    vault_apply_result_free(res);
    f = fopen(path, "a");
    cr_assert_not_null(f);
    fputs("b=[secret-b]\n", f);
    fclose(f);
    before = slurp(path, &before_len);
    /* Moving the home to the symmetric mode while an RSA value stays: refused. */
    cr_assert_eq(seal(path, sym, VAULT_APPLY_SETS_HOME_ALGORITHM, &res), VAULT_ERROR);
    cr_assert_eq(res->entries[0].status, VAULT_APPLY_FAILED);
    cr_assert(res->entries[0].flags & VAULT_APPLY_WSO2_RUNTIME);
    cr_assert(strstr(res->entries[0].message, "sealed as") != NULL, "%s", res->entries[0].message);
    vault_apply_result_free(res);
    after = slurp(path, &after_len);
    cr_assert(before_len == after_len && memcmp(before, after, after_len) == 0, "the file was changed");
    free(after);
    free(before);
    /* Without the flag the symmetric value is refused for itself. */
    cr_assert_eq(seal(path, sym, 0, &res), VAULT_ERROR);
    cr_assert(res->entries[1].flags & VAULT_APPLY_WSO2_RUNTIME);
    vault_apply_result_free(res);
    vault_sealer_free(sym);
    vault_sealer_free(oaep);
    vault_secret_free(aes);
    vault_keystore_free(ks);
}
