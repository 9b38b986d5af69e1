/* SPDX-License-Identifier: Apache-2.0 */
/* The error record from inside: a failure always has words, and running out
 * of memory is one code with one message wherever it happens. */
#include "internal.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(error_record, a_failure_without_words_gets_the_code_named)
{
    char empty[1] = "";
    cr_assert_eq(vault__err(VAULT_EFORMAT, "%s", empty), VAULT_EFORMAT);
    cr_assert_eq(vault_error_last()->code, VAULT_EFORMAT);
    cr_assert_not_null(strstr(vault_error_last()->message, vault_strerror(VAULT_EFORMAT)), "%s",
                       vault_error_last()->message);
    cr_assert_not_null(strstr(vault_error_last()->message, "-5"), "%s", vault_error_last()->message);
    /* a failure recorded with code 0 is still a failure */
    cr_assert_eq(vault__err(VAULT_OK, "lost"), VAULT_OK);
    cr_assert_eq(vault_error_last()->code, VAULT_ERROR);
    cr_assert_str_eq(vault_error_last()->message, "lost");
}

Test(error_record, out_of_memory_is_one_record)
{
    cr_assert_eq(vault__oom(), VAULT_ENOMEM);
    cr_assert_eq(vault_error_last()->code, VAULT_ENOMEM);
    cr_assert_str_eq(vault_error_last()->message, "out of memory");
    cr_assert_eq(vault_error_last()->cause, VAULT_CAUSE_NONE);
}

/* Fail each allocation of a parse in turn: every failure is VAULT_ENOMEM
 * with the one message (guarded memory has its own, naming the file), and
 * the parse succeeds once no allocation fails. */
static void sweep(const char *name, vault_config_type type, const char *text)
{
    unsigned long n;
    int done = 0;

    for (n = 1; !done && n < 2000; n++) {
        vault_config *cfg = NULL;
        int rc;
        vault_error_clear();
        vault__test_alloc_fail_at(n);
        rc = vault_config_parse(&cfg, name, type, text, strlen(text));
        done = vault__test_alloc_fail_at(0) < n;
        if (done) {
            cr_assert_eq(rc, 0, "%s: %s", name, vault_error_last()->message);
        } else {
            cr_assert_eq(rc, VAULT_ENOMEM, "%s, allocation %lu: rc %d (%s)", name, n, rc,
                         vault_error_last()->message);
            cr_assert_null(cfg);
            cr_assert_eq(vault_error_last()->code, VAULT_ENOMEM);
            /* guarded (locked) memory says so: the fix is another limit */
            cr_assert(strcmp(vault_error_last()->message, "out of memory") == 0 ||
                          strstr(vault_error_last()->message, "out of guarded memory"),
                      "%s, allocation %lu: \"%s\"", name, n, vault_error_last()->message);
        }
        vault_config_free(cfg);
    }
    cr_assert(done, "%s: still failing after %lu allocations", name, n);
}

Test(error_record, every_allocation_failure_of_a_parse_is_the_one_record)
{
    sweep("a.toml", VAULT_CONFIG_TOML,
          "[database]\npassword = \"[secret one]\"\nuser = \"u\"\n"
          "[keystore.primary]\nfile_name = \"wso2carbon.jks\"\n"
          "url = \"jdbc:$secret{db.password}\"\n");
    sweep("a.properties", VAULT_CONFIG_PROPERTIES,
          "db.password=[secret one]\nother=$secret{db.password}\nuser=u\n");
}

/* A plain value's copy in guarded memory: each failed allocation is the
 * one record, not a message of its own. */
Test(error_record, every_allocation_failure_of_a_plaintext_is_the_one_record)
{
    static const char text[] = "[secrets]\ndb = \"[secret one]\"\n";
    vault_config *cfg = NULL;
    unsigned long n;
    int done = 0;

    cr_assert_eq(vault_config_parse(&cfg, "p.toml", VAULT_CONFIG_TOML, text, sizeof text - 1), 0);
    for (n = 1; !done && n < 100; n++) {
        vault_secret *s = NULL;
        int rc;
        vault_error_clear();
        vault__test_alloc_fail_at(n);
        rc = vault_config_plaintext(&s, cfg, 0);
        done = vault__test_alloc_fail_at(0) < n;
        if (done) {
            cr_assert_eq(rc, 0, "%s", vault_error_last()->message);
            cr_assert_eq(vault_secret_len(s), 10);
            cr_assert(memcmp(vault_secret_data(s), "secret one", 10) == 0);
        } else {
            cr_assert_eq(rc, VAULT_ENOMEM, "allocation %lu: rc %d (%s)", n, rc, vault_error_last()->message);
            cr_assert_null(s);
            cr_assert(strcmp(vault_error_last()->message, "out of memory") == 0 ||
                          strstr(vault_error_last()->message, "out of guarded memory"),
                      "allocation %lu: \"%s\"", n, vault_error_last()->message);
        }
        vault_secret_free(s);
    }
    cr_assert(done, "still failing after %lu allocations", n);
    vault_config_free(cfg);
}
