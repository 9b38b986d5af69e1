/* SPDX-License-Identifier: Apache-2.0 */
/* What a product home decides, asked of the library in one call: whether
 * its secret-conf.properties names a rule the WSO2 runtime follows
 * (VAULT_CAUSE_WSO2_RULE), whose root password files a config's keystore
 * password comes from (vault_password_sources.config). The homes are
 * written by the test as WSO2 lays them out; the rules judged are
 * FileBaseSecretRepository's (encryptionMode "symmetric" only, the JCE
 * algorithms) and DefaultSecretCallbackHandler's (password-persist kept,
 * password-tmp read and deleted). Public headers only. */
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vault.h>

/* A Carbon 4 home with a cipher-text.properties and a
 * secret-conf.properties holding the given lines. */
static const char *legacy_home(const char *name, const char *secret_conf_lines)
{
    const char *home = test_path(name);
    test_sh("mkdir -p '%s/repository/conf/security' && cd '%s/repository/conf/security' && "
            "printf 'a=[x]\\n' > cipher-text.properties && "
            "printf 'keystore.identity.location=repository/resources/security/wso2carbon.jks\\n"
            "keystore.identity.type=JKS\\nkeystore.identity.alias=wso2carbon\\n%s' > secret-conf.properties",
            home, home, secret_conf_lines);
    return home;
}

static int locate_ruled(vault_location **loc, const char *config)
{
    vault_options o = VAULT_OPTIONS_INIT;
    o.config = config;
    o.flags = VAULT_OPEN_WSO2_RULES;
    return vault_locate(loc, &o);
}

Test(home_decisions, wso2_rule_failure_has_its_cause)
{
    static const char *const refused[] = {
        /* FileBaseSecretRepository takes only "symmetric" as a mode */
        "secretRepositories.file.encryptionMode=key.based.symmetric.encryption\\n",
        /* no JCE RSA transformation libvault shares */
        "secretRepositories.file.algorithm=AES/CBC/PKCS5Padding\\n",
    };
    vault_location *loc = NULL;
    char name[32];
    size_t i;

    for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *home;
        snprintf(name, sizeof name, "refused%zu", i);
        home = legacy_home(name, refused[i]);
        cr_assert_eq(locate_ruled(&loc, home), VAULT_EFORMAT, "%s", test_errmsg());
        cr_assert_null(loc);
        cr_assert_eq(vault_error_last()->cause, VAULT_CAUSE_WSO2_RULE, "%s", test_errmsg());
        cr_assert(strstr(test_errmsg(), "secret-conf.properties"), "%s", test_errmsg());
        /* without the rules asked for, the same home is located */
        {
            vault_options o = VAULT_OPTIONS_INIT;
            o.config = home;
            cr_assert_eq(vault_locate(&loc, &o), 0, "%s", test_errmsg());
            cr_assert_str_eq(loc->home, home);
            vault_location_free(loc);
            loc = NULL;
        }
    }

    /* a rule the runtime follows: located, no failure */
    cr_assert_eq(locate_ruled(&loc, legacy_home("oaep", "secretRepositories.file.algorithm="
                                                         "RSA/ECB/OAEPwithSHA1andMGF1Padding\\n")),
                 0, "%s", test_errmsg());
    cr_assert_eq(loc->wso2_rules, 1);
    cr_assert_eq(loc->wso2_transformation, VAULT_TRANSFORM_RSA_OAEP_SHA1);
    vault_location_free(loc);
    loc = NULL;

    /* nothing to locate: a failure of another cause */
    test_sh("mkdir -p '%s'", test_path("empty-home"));
    cr_assert_neq(locate_ruled(&loc, test_path("empty-home")), 0);
    cr_assert_neq(vault_error_last()->cause, VAULT_CAUSE_WSO2_RULE);
    cr_assert_neq(locate_ruled(&loc, test_path("missing.conf")), 0);
    cr_assert_neq(vault_error_last()->cause, VAULT_CAUSE_WSO2_RULE);
}

Test(home_decisions, wso2_rule_failure_of_vault_open)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;

    o.config = legacy_home("open", "secretRepositories.file.encryptionMode=asymmetric\\n");
    o.flags = VAULT_OPEN_WSO2_RULES;
    cr_assert_eq(vault_open(&v, &o), VAULT_EFORMAT);
    cr_assert_null(v);
    cr_assert_eq(vault_error_last()->cause, VAULT_CAUSE_WSO2_RULE, "%s", test_errmsg());
}

/* A Carbon 4 home (repository/conf/deployment.toml) or an EI/MI one
 * (conf/deployment.toml beside conf/carbon.xml). */
static const char *toml_home(const char *name, int ei)
{
    const char *home = test_path(name);
    const char *conf = ei ? "conf" : "repository/conf";
    test_sh("mkdir -p '%s/%s' && printf '[secrets]\\na = \"[x]\"\\n' > '%s/%s/deployment.toml'%s%s%s", home, conf,
            home, conf, ei ? " && touch '" : "", ei ? home : "", ei ? "/conf/carbon.xml'" : "");
    return home;
}

static void password_file(const char *home, const char *name, const char *text)
{
    test_sh("cd '%s' && printf '%s' > %s && chmod 600 %s", home, text, name, name);
}

static int file_exists(const char *home, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", home, name);
    return access(path, F_OK) == 0;
}

/* The store password the sources give, as a string (static), or NULL with
 * the code in *rc. */
static const char *store_of(const vault_password_sources *src, int *rc)
{
    static char text[256];
    vault_secret *store = NULL, *key = NULL;

    *rc = vault_password_from_sources(&store, &key, src);
    if (*rc != 0)
        return NULL;
    snprintf(text, sizeof text, "%.*s", (int)vault_secret_len(store), (const char *)vault_secret_data(store));
    vault_secret_free(store);
    vault_secret_free(key);
    return text;
}

Test(home_decisions, config_names_the_home_of_its_password_files)
{
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    char config[4096];
    const char *home = toml_home("carbon", 0), *got;
    int rc;

    /* password-persist: read and kept */
    password_file(home, "password-persist", "persisted\\n");
    snprintf(config, sizeof config, "%s/repository/conf/deployment.toml", home);
    src.config = config;
    got = store_of(&src, &rc);
    cr_assert_eq(rc, 0, "%s", test_errmsg());
    cr_assert_str_eq(got, "persisted");
    cr_assert(file_exists(home, "password-persist"));
    /* the home itself names it too */
    src.config = home;
    got = store_of(&src, &rc);
    cr_assert_eq(rc, 0, "%s", test_errmsg());
    cr_assert_str_eq(got, "persisted");
    test_sh("rm '%s/password-persist'", home);

    /* password-tmp: read, then deleted, also through a provider */
    password_file(home, "password-tmp", "once\\n");
    {
        vault_password_provider *p = NULL;
        vault_secret *s = NULL;
        cr_assert_eq(vault_password_provider_new(&p, &src), 0, "%s", test_errmsg());
        cr_assert(file_exists(home, "password-tmp")); /* nothing read before it is asked */
        cr_assert_eq(vault_password_provider_cb(&s, VAULT_PASSWORD_STORE, "ks.jks", NULL, p), 0, "%s",
                     test_errmsg());
        cr_assert_eq(vault_secret_len(s), 4);
        cr_assert_eq(memcmp(vault_secret_data(s), "once", 4), 0);
        vault_secret_free(s);
        vault_password_provider_free(p);
    }
    cr_assert(!file_exists(home, "password-tmp"), "password-tmp was not deleted");

    /* nothing left: no password source, the home named among those tried */
    cr_assert_null(store_of(&src, &rc));
    cr_assert_eq(rc, VAULT_ENOTFOUND);
    cr_assert_eq(vault_error_last()->cause, VAULT_CAUSE_NO_PASSWORD);
    cr_assert(strstr(test_errmsg(), home), "%s", test_errmsg());
}

Test(home_decisions, a_named_source_leaves_the_home_files_alone)
{
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    const char *home = toml_home("named", 0), *got;
    int rc;

    password_file(home, "password-tmp", "server\\n");
    src.config = home;
    /* a variable the caller names: taken, password-tmp neither read nor deleted */
    cr_assert_eq(setenv("VAULT_TEST_HOME_DECISIONS", "from-env", 1), 0);
    src.env = "VAULT_TEST_HOME_DECISIONS";
    got = store_of(&src, &rc);
    cr_assert_eq(rc, 0, "%s", test_errmsg());
    cr_assert_str_eq(got, "from-env");
    cr_assert(file_exists(home, "password-tmp"));
    src.env = NULL;
    /* a password file the caller names */
    password_file(home, "mine", "from-file\\n");
    src.file = test_path("named/mine");
    got = store_of(&src, &rc);
    cr_assert_eq(rc, 0, "%s", test_errmsg());
    cr_assert_str_eq(got, "from-file");
    cr_assert(file_exists(home, "password-tmp"));
    src.file = NULL;
    /* a home the caller names wins over the config's */
    {
        const char *other = toml_home("other", 0);
        password_file(other, "password-persist", "other\\n");
        src.home = other;
        got = store_of(&src, &rc);
        cr_assert_eq(rc, 0, "%s", test_errmsg());
        cr_assert_str_eq(got, "other");
        cr_assert(file_exists(home, "password-tmp"));
        src.home = NULL;
    }
    /* a version 2 structure has no config */
    src.version = 2;
    cr_assert_null(store_of(&src, &rc));
    cr_assert_eq(rc, VAULT_ENOTFOUND);
    cr_assert(file_exists(home, "password-tmp"));
    src.version = VAULT_PASSWORD_SOURCES_VERSION;
    /* without any of them the server's file is the source */
    got = store_of(&src, &rc);
    cr_assert_eq(rc, 0, "%s", test_errmsg());
    cr_assert_str_eq(got, "server");
    cr_assert(!file_exists(home, "password-tmp"));
}

Test(home_decisions, only_a_product_home_has_password_files)
{
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    const char *dir = test_path("plain"), *ei = toml_home("ei", 1), *got;
    char config[4096];
    int rc;

    /* an app.toml in a directory that is no product home */
    test_sh("mkdir -p '%s' && printf '[secrets]\\n' > '%s/app.toml'", dir, dir);
    password_file(dir, "password-persist", "not-a-home\\n");
    snprintf(config, sizeof config, "%s/app.toml", dir);
    src.config = config;
    cr_assert_null(store_of(&src, &rc));
    cr_assert_eq(rc, VAULT_ENOTFOUND);
    /* nor does a config that is not there */
    snprintf(config, sizeof config, "%s/missing/deployment.txt", dir);
    cr_assert_null(store_of(&src, &rc));
    cr_assert_eq(rc, VAULT_ENOTFOUND);
    /* an EI/MI home: conf/deployment.toml beside conf/carbon.xml */
    password_file(ei, "password-persist", "ei\\n");
    snprintf(config, sizeof config, "%s/conf/deployment.toml", ei);
    got = store_of(&src, &rc);
    cr_assert_eq(rc, 0, "%s", test_errmsg());
    cr_assert_str_eq(got, "ei");
}
