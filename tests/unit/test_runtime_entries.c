/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime's entries: an eager vault_open() drops the config's model once
 * it has read its entries, and takes the sealed texts and aliases from the
 * file's text, or copies of them where the reader decoded them elsewhere (a
 * sealed value with an escape, a properties file). The plaintexts are the
 * ones sealed here, in both modes, before and after vault_free(); the
 * config's strictness stays (a duplicate alias fails the open). */
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vault/cipher.h>
#include <vault/keystore.h>
#include <vault/vault.h>

static vault_passwords pw = {"wso2carbon", NULL};

static const struct {
    const char *alias, *plain;
} secrets[] = {
    {"db.password", "first secret"},
    {"escaped", "second secret"},
    {"literal", "third"},
    {"quoted key", "fourth, with a longer text"},
};
#define NSECRETS (sizeof secrets / sizeof secrets[0])

static const char *keystore(void)
{
    return shared_path("fixtures/java/identity.p12");
}

/* Every secret sealed to the fixture's key, in order. */
static void seal_all(char *sealed[NSECRETS])
{
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    vault_recipient *r = NULL;
    const vault_recipient *rs[1];
    vault_sealer *sealer = NULL;
    size_t i;

    ko.password = vault_password_fixed;
    ko.payload = &pw;
    cr_assert_eq(vault_keystore_open(&ks, keystore(), &ko), 0, "%s", test_errmsg());
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, "wso2carbon"), 0, "%s", test_errmsg());
    rs[0] = r;
    so.recipients = rs;
    so.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&sealer, &so), 0, "%s", test_errmsg());
    for (i = 0; i < NSECRETS; i++)
        cr_assert_eq(vault_sealer_seal(&sealed[i], sealer, secrets[i].alias, secrets[i].plain,
                                       strlen(secrets[i].plain)),
                     0, "%s", test_errmsg());
    vault_sealer_free(sealer);
    vault_recipient_free(r);
    vault_keystore_free(ks);
}

/* A deployment.toml: the second value's first character written as a
 * \u escape (decoded, it is not the file's text), a literal string, a
 * quoted key, and plain and extra lines as given. */
static const char *write_toml(const char *name, char *const sealed[NSECRETS], const char *extra)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    fprintf(f, "[server]\nhostname = \"$secret{db.password}\"\n\n[secrets]\n");
    fprintf(f, "db.password = \"%s\"\n", sealed[0]);
    fprintf(f, "escaped = \"\\u%04X%s\"\n", (unsigned)(unsigned char)sealed[1][0], sealed[1] + 1);
    fprintf(f, "literal = '%s'\n", sealed[2]);
    fprintf(f, "\"quoted key\" = \"%s\"\n", sealed[3]);
    fprintf(f, "%s", extra);
    fclose(f);
    test_write_text(name, text);
    free(text);
    return test_path(name);
}

static int open_config(vault **v, const char *config, unsigned int flags)
{
    vault_options o = VAULT_OPTIONS_INIT;
    o.config = config;
    o.keystore = keystore();
    o.flags = flags;
    o.password = vault_password_fixed;
    o.payload = &pw;
    return vault_open(v, &o);
}

static void check_secrets(unsigned int flags)
{
    char *sealed[NSECRETS];
    vault_secret *held = NULL, *s = NULL;
    const char *alias;
    vault *v = NULL;
    size_t i;

    seal_all(sealed);
    cr_assert_eq(open_config(&v, write_toml("entries.toml", sealed, ""), flags), 0, "%s", test_errmsg());
    cr_assert_eq(vault_count(v), NSECRETS);
    for (i = 0; i < NSECRETS; i++) {
        cr_assert_eq(vault_alias_at(&alias, v, i), 0);
        cr_assert_str_eq(alias, secrets[i].alias);
        cr_assert_eq(vault_get(&s, v, secrets[i].alias), 0, "%s: %s", secrets[i].alias, test_errmsg());
        cr_assert_eq(vault_secret_len(s), strlen(secrets[i].plain));
        cr_assert(memcmp(vault_secret_data(s), secrets[i].plain, strlen(secrets[i].plain)) == 0, "%s",
                  secrets[i].alias);
        if (i == 3)
            held = s; /* outlives the vault */
        else
            vault_secret_free(s);
    }
    cr_assert_eq(vault_expand(&s, v, "a=$secret{escaped};b=$secret{quoted key}"), 0, "%s", test_errmsg());
    cr_assert_str_eq((const char *)vault_secret_data(s), "a=second secret;b=fourth, with a longer text");
    vault_secret_free(s);
    cr_assert_eq(vault_get(&s, v, "no.such"), VAULT_ENOTFOUND);
    vault_free(v);
    cr_assert_eq(vault_secret_len(held), strlen(secrets[3].plain));
    cr_assert(memcmp(vault_secret_data(held), secrets[3].plain, strlen(secrets[3].plain)) == 0);
    vault_secret_free(held);
    for (i = 0; i < NSECRETS; i++)
        vault_string_free(sealed[i]);
}

Test(runtime_entries, eager_values_from_the_text_and_copies)
{
    check_secrets(0);
}

Test(runtime_entries, lazy_values_copied)
{
    check_secrets(VAULT_OPEN_LAZY);
}

/* cipher-text.properties: the reader decodes every value into a copy of
 * its own, which an eager open must copy before the model goes. */
static void check_properties(unsigned int flags)
{
    char *sealed[NSECRETS], *text = NULL;
    size_t i, len = 0;
    vault_secret *s = NULL;
    vault *v = NULL;
    FILE *f = open_memstream(&text, &len);

    seal_all(sealed);
    for (i = 0; i < NSECRETS; i++) {
        const char *a = secrets[i].alias;
        fprintf(f, "# %zu\n%s=%s\n", i, strcmp(a, "quoted key") == 0 ? "quoted\\ key" : a, sealed[i]);
    }
    fclose(f);
    test_write_text("cipher-text.properties", text);
    free(text);
    cr_assert_eq(open_config(&v, test_path("cipher-text.properties"), flags), 0, "%s", test_errmsg());
    for (i = 0; i < NSECRETS; i++) {
        const char *alias;
        cr_assert_eq(vault_alias_at(&alias, v, i), 0);
        cr_assert_str_eq(alias, secrets[i].alias);
        cr_assert_eq(vault_get(&s, v, secrets[i].alias), 0, "%s: %s", secrets[i].alias, test_errmsg());
        cr_assert_eq(vault_secret_len(s), strlen(secrets[i].plain));
        cr_assert(memcmp(vault_secret_data(s), secrets[i].plain, strlen(secrets[i].plain)) == 0);
        vault_secret_free(s);
    }
    vault_free(v);
    for (i = 0; i < NSECRETS; i++)
        vault_string_free(sealed[i]);
}

Test(runtime_entries, properties_eager)
{
    check_properties(0);
}

Test(runtime_entries, properties_lazy)
{
    check_properties(VAULT_OPEN_LAZY);
}

Test(runtime_entries, plain_text_allowed_with_the_model_dropped)
{
    char *sealed[NSECRETS];
    vault_secret *s = NULL;
    vault *v = NULL;
    size_t i;

    seal_all(sealed);
    cr_assert_eq(open_config(&v, write_toml("plain.toml", sealed, "dev = \"[in clear]\"\n"),
                             VAULT_OPEN_ALLOW_PLAINTEXT),
                 0, "%s", test_errmsg());
    cr_assert_eq(vault_get(&s, v, "dev"), 0, "%s", test_errmsg());
    cr_assert_str_eq((const char *)vault_secret_data(s), "in clear");
    vault_secret_free(s);
    cr_assert_eq(vault_get(&s, v, "escaped"), 0, "%s", test_errmsg());
    cr_assert_str_eq((const char *)vault_secret_data(s), "second secret");
    vault_secret_free(s);
    vault_free(v);
    for (i = 0; i < NSECRETS; i++)
        vault_string_free(sealed[i]);
}

Test(runtime_entries, a_duplicate_alias_still_fails_the_open)
{
    char *sealed[NSECRETS], extra[4096];
    vault *v = NULL;
    size_t i;

    seal_all(sealed);
    snprintf(extra, sizeof extra, "escaped = \"%s\"\n", sealed[1]);
    cr_assert_eq(open_config(&v, write_toml("dup.toml", sealed, extra), 0), VAULT_EFORMAT);
    cr_assert_null(v);
    cr_assert(strstr(test_errmsg(), "duplicate alias \"escaped\"") != NULL, "%s", test_errmsg());
    for (i = 0; i < NSECRETS; i++)
        vault_string_free(sealed[i]);
}

Test(runtime_entries, a_damaged_value_is_named_with_its_line)
{
    char *sealed[NSECRETS];
    vault *v = NULL;
    size_t i, n;

    seal_all(sealed);
    n = strlen(sealed[2]);
    sealed[2][n - 5] = sealed[2][n - 5] == 'A' ? 'B' : 'A';
    cr_assert_neq(open_config(&v, write_toml("bad.toml", sealed, ""), 0), 0);
    cr_assert_null(v);
    cr_assert(strstr(test_errmsg(), "\"literal\" (line 7)") != NULL, "%s", test_errmsg());
    for (i = 0; i < NSECRETS; i++)
        vault_string_free(sealed[i]);
}
