/* SPDX-License-Identifier: Apache-2.0 */
/* VAULT_OPEN_WSO2_RULES and vault_location_accepts(): a home governed by a
 * secret-conf.properties is judged as the WSO2 runtime reads it (one
 * algorithm, absent = RSA PKCS#1 v1.5). The values are Java's JCE
 * (fixtures/java/vectors.tsv); public headers only. */
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vault.h>

static vault_passwords pw = {"wso2carbon", NULL};

/* Column 5 (the value) of vectors.tsv row id. Caller frees. */
static char *java_value(int id)
{
    size_t len;
    char *tsv = (char *)slurp(shared_path("fixtures/java/vectors.tsv"), &len), *line, *save = NULL, *out = NULL;
    for (line = strtok_r(tsv, "\n", &save); line && !out; line = strtok_r(NULL, "\n", &save)) {
        char *f[6] = {0}, *s2 = NULL, *p;
        int n = 0;
        for (p = strtok_r(line, "\t", &s2); p && n < 6; p = strtok_r(NULL, "\t", &s2))
            f[n++] = p;
        if (n >= 5 && line[0] != '#' && atoi(f[0]) == id)
            out = strdup(f[4]);
    }
    free(tsv);
    cr_assert_not_null(out, "no vector %d", id);
    return out;
}

/* A home: secret-conf.properties (with an algorithm line when given) and
 * cipher-text.properties with the values. */
static const char *home_with(const char *name, const char *algorithm, const char *values)
{
    char conf[2048];
    const char *home = test_path(name);
    test_sh("mkdir -p '%s/repository/conf/security'", home);
    snprintf(conf, sizeof conf,
             "keystore.identity.location=%s\nkeystore.identity.type=PKCS12\nkeystore.identity.alias=wso2carbon\n%s%s%s",
             shared_path("fixtures/java/identity.p12"), algorithm ? "secretRepositories.file.algorithm=" : "",
             algorithm ? algorithm : "", algorithm ? "\n" : "");
    test_write_text("tmp-conf", conf);
    test_sh("mv '%s' '%s/repository/conf/security/secret-conf.properties'", test_path("tmp-conf"), home);
    test_write_text("tmp-values", values);
    test_sh("mv '%s' '%s/repository/conf/security/cipher-text.properties'", test_path("tmp-values"), home);
    return home;
}

static int open_home(const char *home, unsigned int flags)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;
    int rc;
    o.config = home;
    o.flags = flags;
    o.password = vault_password_fixed;
    o.payload = &pw;
    rc = vault_open(&v, &o);
    vault_free(v);
    return rc;
}

Test(wso2_rules, one_algorithm_per_home)
{
    char *pkcs1 = java_value(0), *oaep = java_value(24), *holder = java_value(1), text[4096], home[4096];

    /* RSA values only: the rule and libvault agree */
    snprintf(text, sizeof text, "a=%s\n", pkcs1);
    snprintf(home, sizeof home, "%s", home_with("h1", NULL, text));
    cr_assert_eq(open_home(home, VAULT_OPEN_WSO2_RULES), 0, "%s", vault_error_last()->message);

    /* an OAEP value in an RSA home: libvault opens it, the runtime does not */
    snprintf(text, sizeof text, "a=%s\no=%s\n", pkcs1, oaep);
    snprintf(home, sizeof home, "%s", home_with("h2", NULL, text));
    cr_assert_eq(open_home(home, 0), 0, "%s", vault_error_last()->message);
    cr_assert_eq(open_home(home, VAULT_OPEN_WSO2_RULES), VAULT_EFORMAT);
    cr_assert(strstr(vault_error_last()->message, "\"o\""), "%s", vault_error_last()->message);
    cr_assert(!strstr(vault_error_last()->message, "\"a\""), "%s", vault_error_last()->message);

    /* a holder value: its form is not the runtime's */
    snprintf(text, sizeof text, "h=%s\n", holder);
    snprintf(home, sizeof home, "%s", home_with("h3", NULL, text));
    cr_assert_eq(open_home(home, 0), 0, "%s", vault_error_last()->message);
    cr_assert_eq(open_home(home, VAULT_OPEN_WSO2_RULES), VAULT_EFORMAT);
    cr_assert(strstr(vault_error_last()->message, "holder"), "%s", vault_error_last()->message);

    /* an OAEP home: the RSA value is the one refused */
    snprintf(text, sizeof text, "a=%s\no=%s\n", pkcs1, oaep);
    snprintf(home, sizeof home, "%s", home_with("h4", "RSA/ECB/OAEPwithSHA1andMGF1Padding", text));
    cr_assert_neq(open_home(home, VAULT_OPEN_WSO2_RULES), 0);
    cr_assert(strstr(vault_error_last()->message, "\"a\""), "%s", vault_error_last()->message);
    cr_assert(!strstr(vault_error_last()->message, "\"o\""), "%s", vault_error_last()->message);

    free(pkcs1);
    free(oaep);
    free(holder);
}

Test(wso2_rules, location_accepts)
{
    char *pkcs1 = java_value(0), *oaep = java_value(24), *holder = java_value(1), text[4096];
    const char *home;
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;
    unsigned int legacy = VAULT_OPENED_LEGACY, oaep_flags = 0;

    snprintf(text, sizeof text, "a=%s\n", pkcs1);
    home = home_with("l1", NULL, text);
    o.config = home;
    /* without the flag no rule is reported nor applied */
    cr_assert_eq(vault_locate(&loc, &o), 0, "%s", vault_error_last()->message);
    cr_assert_eq(loc->wso2_rules, 0);
    cr_assert_eq(vault_location_accepts(loc, holder, NULL), 0);
    vault_location_free(loc);

    o.flags = VAULT_OPEN_WSO2_RULES;
    cr_assert_eq(vault_locate(&loc, &o), 0, "%s", vault_error_last()->message);
    cr_assert_eq(loc->wso2_rules, 1);
    cr_assert_eq(vault_location_accepts(loc, pkcs1, NULL), 0);
    cr_assert_eq(vault_location_accepts(loc, oaep, NULL), 0); /* a raw block: the form is right */
    cr_assert_eq(vault_location_accepts(loc, pkcs1, &legacy), 0);
    cr_assert_eq(vault_location_accepts(loc, oaep, &oaep_flags), VAULT_EFORMAT);
    cr_assert_eq(vault_location_accepts(loc, holder, NULL), VAULT_EFORMAT);
    cr_assert(strstr(vault_error_last()->message, "RSA/ECB/PKCS1Padding"), "%s", vault_error_last()->message);
    cr_assert_eq(vault_location_accepts(loc, "not a value", NULL), VAULT_EFORMAT);
    cr_assert_eq(vault_location_accepts(NULL, pkcs1, NULL), VAULT_EINVAL);
    vault_location_free(loc);
    free(pkcs1);
    free(oaep);
    free(holder);
}
