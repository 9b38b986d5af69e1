/* SPDX-License-Identifier: Apache-2.0 */
/* Finding a configuration's keystore: the [keystore.*] settings of the
 * TOML scanner (table-driven, truncation loop) and the product home
 * layout. */
#include "runtime_internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The setting, or NULL when absent or when the scanner refuses the text. */
static char *toml_setting(const char *text, size_t len, const char *key)
{
    vault_config *cfg = NULL;
    const char *v = NULL;
    char *out = NULL;
    if (vault_config_parse(&cfg, "t.toml", VAULT_CONFIG_TOML, text, len) == 0 &&
        vault_config_setting(&v, cfg, key) == 0)
        out = vault__strdup(v);
    vault_config_free(cfg);
    return out;
}

static char *toml_str(const char *text, const char *key)
{
    return toml_setting(text, strlen(text), key);
}

static const struct {
    const char *text;
    const char *key;
    const char *want; /* NULL: absent */
} cases[] = {
    {"[keystore.primary]\nfile_name = \"a.jks\"\n", "keystore.primary.file_name", "a.jks"},
    {"[ keystore . primary ]\n  file_name='b.p12' # comment\n", "keystore.primary.file_name", "b.p12"},
    {"[keystore]\nprimary.file_name = \"c\"\n", "keystore.primary.file_name", "c"},
    {"keystore.primary.alias = \"top\"\n", "keystore.primary.alias", "top"},
    {"[\"keystore\".'primary']\nalias = \"q\"\n", "keystore.primary.alias", "q"},
    {"[system.parameter]\n\"org.wso2.CipherTransformation\" = \"RSA/ECB/OAEPwithSHA1andMGF1Padding\"\n",
     "system.parameter.org.wso2.CipherTransformation", "RSA/ECB/OAEPwithSHA1andMGF1Padding"},
    {"[k]\nv = \"tab\\there \\\"q\\\" \\u00e9 \\U0001F511\"\n", "k.v", "tab\there \"q\" \xc3\xa9 \xf0\x9f\x94\x91"},
    {"[k]\nv = 'C:\\path\\no-escape'\n", "k.v", "C:\\path\\no-escape"},
    {"[k]\r\nv = \"crlf\"\r\n", "k.v", "crlf"},
    /* not found: other tables, arrays of tables, non-strings */
    {"[keystore.internal]\nfile_name = \"i\"\n", "keystore.primary.file_name", NULL},
    {"[[keystore.primary]]\nfile_name = \"arr\"\n", "keystore.primary.file_name", NULL},
    {"[k]\nv = 42\n", "k.v", NULL},
    {"[k]\nv = \"\"\"multi\nline\"\"\"\n", "k.v", NULL},
    {"[k]\nv = \"unterminated\n", "k.v", NULL},
    /* values that span lines must not be read as tables or keys */
    {"[a]\nx = [\n  \"[keystore.primary]\",\n  [1, 2],\n]\nfile_name = \"in-a\"\n", "keystore.primary.file_name", NULL},
    {"[a]\nx = \"\"\"\n[keystore.primary]\nfile_name = \"fake\"\n\"\"\"\n", "keystore.primary.file_name", NULL},
    {"[a]\nx = { y = \"}\", z = [\"]\"] }\n[keystore.primary]\nfile_name = \"after\"\n",
     "keystore.primary.file_name", "after"},
    {"", "k.v", NULL},
};

Test(runtime_toml, table_driven)
{
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = toml_str(cases[i].text, cases[i].key);
        if (cases[i].want)
            cr_assert(got && strcmp(got, cases[i].want) == 0, "case %zu: got %s", i, got ? got : "(none)");
        else
            cr_assert_null(got, "case %zu: got %s", i, got);
        vault__free_ptr(got);
    }
}

Test(runtime_toml, last_definition_wins_and_truncation_never_crashes)
{
    const char *home = shared_path("fixtures/wso2-home/repository/conf/deployment.toml");
    size_t len, n;
    unsigned char *text = slurp(home, &len);
    char *got = NULL;

    got = toml_str((const char *)text, "keystore.primary.file_name");
    cr_assert_str_eq(got, "wso2carbon.jks");
    vault__free_ptr(got);
    got = toml_str((const char *)text, "keystore.primary.alias");
    cr_assert_str_eq(got, "wso2carbon");
    vault__free_ptr(got);
    /* Every prefix: no crash, no read past the end (ASan), and the
     * key is found only once its closing quote is there. */
    for (n = 0; n <= len; n++) {
        unsigned char *copy = vault__malloc(n ? n : 1);
        memcpy(copy, text, n);
        got = toml_setting((const char *)copy, n, "keystore.primary.file_name");
        if (got) {
            cr_assert_str_eq(got, "wso2carbon.jks");
            cr_assert(memmem(copy, n, "\"wso2carbon.jks\"", 16) != NULL);
        }
        vault__free_ptr(got);
        vault__free_ptr(copy);
    }
    free(text);
}

static void mkdirs(const char *base, const char *rel)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", base, rel);
    cr_assert_eq(system(cmd), 0);
}

static void put(const char *base, const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    spit(path, text, strlen(text));
}

static rt_location locate(const char *config, const char *keystore)
{
    vault_options o = VAULT_OPTIONS_INIT;
    rt_location loc;
    o.config = config;
    o.keystore = keystore;
    cr_assert_eq(rt_locate(&loc, &o), 0, "%s", vault_error_last() ? vault_error_last()->message : "");
    return loc;
}

Test(runtime_locate, product_home_layouts)
{
    char home[4096], p[4096];
    rt_location loc;
    vault_options o = VAULT_OPTIONS_INIT;

    snprintf(home, sizeof home, "%s/home", test_tmpdir());
    mkdirs(home, "repository/conf/security");
    /* No config at all: an error naming both layouts. */
    o.config = home;
    cr_assert_eq(rt_locate(&loc, &o), VAULT_ENOTFOUND);
    cr_assert(strstr(vault_error_last()->message, "deployment.toml") != NULL);

    /* cipher-text.properties with secret-conf.properties beside it. */
    put(home, "repository/conf/security/cipher-text.properties", "a=b\n");
    put(home, "repository/conf/security/secret-conf.properties",
        "keystore.identity.location=${carbon.home}/repository/resources/security/x.p12\n"
        "keystore.identity.alias=xa\nsecretRepositories.file.algorithm=RSA/ECB/OAEPwithSHA1andMGF1Padding\n");
    loc = locate(home, NULL);
    cr_assert_eq(loc.type, VAULT_CONFIG_PROPERTIES);
    snprintf(p, sizeof p, "%s/repository/resources/security/x.p12", home);
    cr_assert_str_eq(loc.keystore, p);
    cr_assert_str_eq(loc.key_alias, "xa");
    cr_assert_eq(loc.transformation, VAULT_TRANSFORM_RSA_OAEP_SHA1);
    rt_location_clear(&loc);

    /* deployment.toml wins; [keystore.internal] before [keystore.primary]. */
    put(home, "repository/conf/deployment.toml",
        "[keystore.primary]\nfile_name = \"p.jks\"\nalias = \"pa\"\n"
        "[keystore.internal]\nfile_name = \"i.p12\"\nalias = \"ia\"\n");
    loc = locate(home, NULL);
    cr_assert_eq(loc.type, VAULT_CONFIG_TOML);
    snprintf(p, sizeof p, "%s/repository/resources/security/i.p12", home);
    cr_assert_str_eq(loc.keystore, p);
    cr_assert_str_eq(loc.key_alias, "ia");
    cr_assert_str_eq(loc.home, home);
    rt_location_clear(&loc);

    /* The file named directly: the same home is found from its path. */
    snprintf(p, sizeof p, "%s/repository/conf/deployment.toml", home);
    loc = locate(p, NULL);
    cr_assert_str_eq(loc.home, home);
    rt_location_clear(&loc);

    /* A keystore from the caller comes without the config's alias. */
    loc = locate(home, "/elsewhere/ks.p12");
    cr_assert_str_eq(loc.keystore, "/elsewhere/ks.p12");
    cr_assert_null(loc.key_alias);
    rt_location_clear(&loc);

    /* No tables in a home: the WSO2 default keystore. */
    put(home, "repository/conf/deployment.toml", "[server]\nhostname = \"x\"\n");
    loc = locate(home, NULL);
    snprintf(p, sizeof p, "%s/repository/resources/security/wso2carbon.jks", home);
    cr_assert_str_eq(loc.keystore, p);
    rt_location_clear(&loc);
}

Test(runtime_locate, outside_a_product_home)
{
    char dir[4096], p[4096];
    rt_location loc;
    vault_options o = VAULT_OPTIONS_INIT;

    snprintf(dir, sizeof dir, "%s/app", test_tmpdir());
    mkdirs(dir, "");
    put(dir, "server.toml", "[keystore.primary]\nfile_name = \"demo.p12\"\n");
    snprintf(p, sizeof p, "%s/server.toml", dir);
    loc = locate(p, NULL);
    cr_assert_null(loc.home);
    snprintf(p, sizeof p, "%s/demo.p12", dir);
    cr_assert_str_eq(loc.keystore, p, "beside the config");
    rt_location_clear(&loc);

    put(dir, "plain.toml", "[secrets]\n");
    snprintf(p, sizeof p, "%s/plain.toml", dir);
    loc = locate(p, NULL);
    cr_assert_null(loc.keystore, "nothing named: the caller must give one");
    rt_location_clear(&loc);

    snprintf(p, sizeof p, "%s/config.yaml", dir);
    o.config = p;
    cr_assert_eq(rt_locate(&loc, &o), VAULT_ENOTFOUND);
    put(dir, "config.yaml", "x: y\n");
    cr_assert_eq(rt_locate(&loc, &o), VAULT_EINVAL);
}

/* deployment.toml's file_name, resolved as the Java cipher tool resolves it. */
Test(runtime_locate, keystore_file_name_forms)
{
    static const struct {
        const char *file_name, *want; /* want: relative to the home */
    } forms[] = {
        {"wso2carbon.jks", "repository/resources/security/wso2carbon.jks"},
        {"${carbon.home}/repository/resources/security/a.jks", "repository/resources/security/a.jks"},
        {"${carbon.home}/keys/b.p12", "keys/b.p12"},
        {"repository/resources/security/c.jks", "repository/resources/security/c.jks"},
        {"sub/d.jks", "repository/resources/security/sub/d.jks"},
    };
    char home[4096], p[4096], toml[512];
    rt_location loc;
    size_t i;

    snprintf(home, sizeof home, "%s/forms", test_tmpdir());
    mkdirs(home, "repository/conf");
    for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        snprintf(toml, sizeof toml, "[keystore.primary]\nfile_name = \"%s\"\n", forms[i].file_name);
        put(home, "repository/conf/deployment.toml", toml);
        loc = locate(home, NULL);
        snprintf(p, sizeof p, "%s/%s", home, forms[i].want);
        cr_assert_str_eq(loc.keystore, p, "case %zu", i);
        rt_location_clear(&loc);
    }
    put(home, "repository/conf/deployment.toml", "[keystore.primary]\nfile_name = \"/abs/e.jks\"\n");
    loc = locate(home, NULL);
    cr_assert_str_eq(loc.keystore, "/abs/e.jks");
    rt_location_clear(&loc);
}

/* EI/MI: conf/deployment.toml, conf/carbon.xml, conf/security/. */
Test(runtime_locate, ei_layout)
{
    char home[4096], p[4096];
    rt_location loc;

    snprintf(home, sizeof home, "%s/ei", test_tmpdir());
    mkdirs(home, "conf/security");
    mkdirs(home, "repository/resources/security");
    /* legacy: cipher-text.properties, keystore from conf/carbon.xml */
    put(home, "conf/security/cipher-text.properties", "a=b\n");
    put(home, "conf/carbon.xml",
        "<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\"><Security><KeyStore>"
        "<Location>${carbon.home}/repository/resources/security/ei.jks</Location>"
        "<KeyAlias>eia</KeyAlias></KeyStore></Security></Server>\n");
    loc = locate(home, NULL);
    cr_assert_eq(loc.type, VAULT_CONFIG_PROPERTIES);
    snprintf(p, sizeof p, "%s/conf/security/cipher-text.properties", home);
    cr_assert_str_eq(loc.config, p);
    snprintf(p, sizeof p, "%s/repository/resources/security/ei.jks", home);
    cr_assert_str_eq(loc.keystore, p);
    cr_assert_str_eq(loc.key_alias, "eia");
    rt_location_clear(&loc);
    /* the properties file named directly: the same home */
    snprintf(p, sizeof p, "%s/conf/security/cipher-text.properties", home);
    loc = locate(p, NULL);
    cr_assert_str_eq(loc.home, home);
    rt_location_clear(&loc);

    /* deployment.toml wins, named or found */
    put(home, "conf/deployment.toml", "[keystore.primary]\nfile_name = \"p.jks\"\n");
    loc = locate(home, NULL);
    cr_assert_eq(loc.type, VAULT_CONFIG_TOML);
    cr_assert_str_eq(loc.home, home);
    snprintf(p, sizeof p, "%s/repository/resources/security/p.jks", home);
    cr_assert_str_eq(loc.keystore, p);
    rt_location_clear(&loc);
    snprintf(p, sizeof p, "%s/conf/deployment.toml", home);
    loc = locate(p, NULL);
    cr_assert_str_eq(loc.home, home);
    rt_location_clear(&loc);

    /* a conf/deployment.toml outside any product home is no home */
    snprintf(home, sizeof home, "%s/notahome", test_tmpdir());
    mkdirs(home, "conf");
    put(home, "conf/deployment.toml", "[keystore.primary]\nfile_name = \"q.jks\"\n");
    snprintf(p, sizeof p, "%s/conf/deployment.toml", home);
    loc = locate(p, NULL);
    cr_assert_null(loc.home);
    snprintf(p, sizeof p, "%s/conf/q.jks", home);
    cr_assert_str_eq(loc.keystore, p);
    rt_location_clear(&loc);
}
