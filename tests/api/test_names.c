/* SPDX-License-Identifier: Apache-2.0 */
/* What a name or a key id says, asked of the library: the config type a
 * file name tells (vault_config_type_from_name(), VAULT_CONFIG_AUTO's one
 * rule) and a key id as people write it (vault_key_id_parse()), judged by
 * openssl's own fingerprint of a certificate made at test time. Public
 * headers only. */
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vault.h>

Test(names, config_type_from_name)
{
    static const struct {
        const char *name;
        vault_config_type type;
    } cases[] = {
        {"deployment.toml", VAULT_CONFIG_TOML},
        {"/opt/wso2/repository/conf/DEPLOYMENT.TOML", VAULT_CONFIG_TOML},
        {"cipher-text.properties", VAULT_CONFIG_PROPERTIES},
        {"a/b.Properties", VAULT_CONFIG_PROPERTIES},
        {"repository/conf/carbon.xml", VAULT_CONFIG_XML},
        {"MASTER-DATASOURCES.XML", VAULT_CONFIG_XML},
        {".xml", VAULT_CONFIG_XML},
        {"carbon.xml.bak", VAULT_CONFIG_AUTO},
        {"toml", VAULT_CONFIG_AUTO},
        {"app.conf", VAULT_CONFIG_AUTO},
        {"", VAULT_CONFIG_AUTO},
        {NULL, VAULT_CONFIG_AUTO},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(vault_config_type_from_name(cases[i].name), cases[i].type, "%s",
                     cases[i].name ? cases[i].name : "(null)");
}

/* The rule is the one vault_config_open() and vault_locate() apply: an XML
 * name is no configuration they read, an upper-case TOML name is one. */
Test(names, config_open_follows_the_rule)
{
    vault_config *cfg = NULL;
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;

    test_write_text("carbon.xml", "<root/>\n");
    cr_assert_eq(vault_config_open(&cfg, test_path("carbon.xml"), VAULT_CONFIG_AUTO), VAULT_EINVAL);
    cr_assert_eq(vault_config_open(&cfg, test_path("carbon.xml"), VAULT_CONFIG_XML), VAULT_EINVAL);
    cr_assert(strstr(test_errmsg(), "svns:secretAlias"), "%s", test_errmsg());
    cr_assert_null(cfg);
    test_write_text("APP.TOML", "[secrets]\na = \"[x]\"\n");
    cr_assert_eq(vault_config_open(&cfg, test_path("APP.TOML"), VAULT_CONFIG_AUTO), 0, "%s", test_errmsg());
    cr_assert_eq(vault_config_get_type(cfg), VAULT_CONFIG_TOML);
    vault_config_free(cfg);
    o.config = test_path("APP.TOML");
    cr_assert_eq(vault_locate(&loc, &o), 0, "%s", test_errmsg());
    cr_assert_eq(loc->type, VAULT_CONFIG_TOML);
    vault_location_free(loc);
    o.config = test_path("carbon.xml");
    cr_assert_eq(vault_locate(&loc, &o), VAULT_EINVAL);
}

Test(names, key_id_parse_reads_openssl_fingerprints)
{
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    vault_recipient *r = NULL;
    char id[65], sha1[41], *fp, *eq;
    unsigned char *out;

    if (!have_program("openssl"))
        cr_skip_test("openssl is not installed");
    test_sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -subj /CN=names -days 2 "
            "2>/dev/null");
    cr_assert_eq(vault_keystore_open(&ks, test_path("cert.pem"), &ko), 0, "%s", test_errmsg());
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0, "%s", test_errmsg());

    /* "sha256 Fingerprint=AB:CD:...": upper case, colons */
    out = test_sh_out(NULL, "openssl x509 -in cert.pem -noout -fingerprint -sha256");
    fp = (char *)out;
    fp[strcspn(fp, "\n")] = '\0';
    cr_assert_not_null(eq = strchr(fp, '='), "%s", fp);
    cr_assert_eq(vault_key_id_parse(id, sizeof id, eq + 1, 64), 0, "%s", test_errmsg());
    cr_assert_str_eq(id, vault_recipient_key_id(r));
    cr_assert_str_eq(id, vault_recipient_thumbprint(r));
    free(out);

    /* a SHA-1 thumbprint, as WSO2's holder values record it */
    out = test_sh_out(NULL, "openssl x509 -in cert.pem -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'");
    fp = (char *)out;
    fp[strcspn(fp, "\n")] = '\0';
    cr_assert_eq(vault_key_id_parse(sha1, sizeof sha1, fp, 40), 0, "%s", test_errmsg());
    cr_assert_eq(strlen(sha1), 40);
    cr_assert_eq(vault_key_id_parse(id, sizeof id, fp, 64), VAULT_EFORMAT); /* 40 digits are no key id */
    cr_assert_str_eq(id, "");
    cr_assert_eq(vault_key_id_parse(id, sizeof id, fp, 0), 0);
    cr_assert_str_eq(id, sha1);
    free(out);

    vault_recipient_free(r);
    vault_keystore_free(ks);
}

Test(names, key_id_parse_refuses)
{
    char id[65], small[8];
    const char *good = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    char text[200];

    cr_assert_eq(vault_key_id_parse(id, sizeof id, good, 64), 0);
    cr_assert_str_eq(id, good);
    snprintf(text, sizeof text, "%s0", good); /* 65 digits */
    cr_assert_eq(vault_key_id_parse(id, sizeof id, text, 64), VAULT_EFORMAT);
    snprintf(text, sizeof text, "%.63s", good); /* 63 */
    cr_assert_eq(vault_key_id_parse(id, sizeof id, text, 64), VAULT_EFORMAT);
    snprintf(text, sizeof text, "%.62sg0", good); /* not hex */
    cr_assert_eq(vault_key_id_parse(id, sizeof id, text, 64), VAULT_EFORMAT);
    snprintf(text, sizeof text, " %s", good); /* blank space is not a separator */
    cr_assert_eq(vault_key_id_parse(id, sizeof id, text, 64), VAULT_EFORMAT);
    cr_assert_eq(vault_key_id_parse(id, sizeof id, ":::", 0), VAULT_EFORMAT);
    cr_assert_eq(vault_key_id_parse(id, sizeof id, "", 0), VAULT_EFORMAT);
    cr_assert_eq(vault_key_id_parse(small, sizeof small, good, 64), VAULT_EINVAL);
    cr_assert_eq(vault_key_id_parse(small, sizeof small, "abcdef0123", 0), VAULT_EFORMAT); /* > 7 digits */
    cr_assert_eq(vault_key_id_parse(NULL, sizeof id, good, 64), VAULT_EINVAL);
    cr_assert_eq(vault_key_id_parse(id, sizeof id, NULL, 64), VAULT_EINVAL);
}
