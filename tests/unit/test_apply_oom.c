/* SPDX-License-Identifier: Apache-2.0 */
/* vault_config_apply() sealing a file, every library allocation failed in
 * turn: the run either seals every value (the file then opens, value by
 * value, to the plaintexts it held), or fails, says so and leaves the file
 * byte-identical with no temporary file beside it; a failed entry always
 * has a code, and a message, when it has one, names the file and alias. */
#include "conf_internal.h"
#include "testutil.h"

#include <vault/vault.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char toml[] = "[server]\nhostname = \"localhost\"\n\n"
                           "[secrets]\n"
                           "a = \"[first secret]\"\n"
                           "b = \"kept-as-it-is\"\n"
                           "\"c.d\" = \"[second]\"\n"
                           "e = \"[third]\"\n";

static const struct {
    const char *alias, *plain;
} sealed[] = {{"a", "first secret"}, {"c.d", "second"}, {"e", "third"}};

static vault_passwords pw = {"oom-test", NULL};

Test(apply_oom, seal_all_or_nothing_under_every_failed_allocation)
{
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    vault_recipient *rcp = NULL;
    vault_sealer *s = NULL;
    char cmd[1024], path[512], ksp[512];
    size_t n, i, j;
    int done = 0;

    snprintf(ksp, sizeof ksp, "%s/oom.p12", test_tmpdir());
    snprintf(
        cmd, sizeof cmd,
        "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 2 -subj /CN=oom "
        ">/dev/null 2>&1 && openssl pkcs12 -export -inkey k.pem -in c.pem -name oom -passout pass:oom-test "
        "-out oom.p12 && rm k.pem",
        test_tmpdir());
    cr_assert_eq(run_capture(cmd, NULL, NULL), 0);
    ko.password = vault_password_fixed;
    ko.payload = &pw;
    cr_assert_eq(vault_keystore_open(&ks, ksp, &ko), 0, "%s", test_errmsg());
    cr_assert_eq(vault_recipient_from_keystore(&rcp, ks, NULL), 0, "%s", test_errmsg());
    so.recipients = (const vault_recipient *const *)&rcp;
    so.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&s, &so), 0, "%s", test_errmsg());
    snprintf(path, sizeof path, "%s/oom.toml", test_tmpdir());

    for (n = 1; !done && n < 20000; n++) {
        vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
        vault_apply_result *res = NULL;
        unsigned char *now;
        size_t len;
        int rc;

        spit(path, toml, strlen(toml));
        o.op = VAULT_APPLY_SEAL;
        o.path = path;
        o.sealer = s;
        o.keystore = ks;
        vault__test_alloc_fail_at(n);
        rc = vault_config_apply(&res, &o);
        done = vault__test_alloc_fail_at(0) < n;
        now = slurp(path, &len);
        cr_assert_eq(test_count_temps(test_tmpdir(), "oom.toml"), 0,
                     "allocation %zu failed: a temporary file is left", n);
        if (done)
            cr_assert_eq(rc, 0, "rc %d: %s", rc, test_errmsg());
        /* An allocation whose failure is tolerated (a warning's copy, an
         * error's text) may leave the run successful: then all is sealed. */
        if (rc == 0) {
            vault_config *cfg = NULL;
            cr_assert_not_null(res);
            cr_assert(res->written);
            cr_assert_eq(res->changed, 3);
            cr_assert_null(strstr((const char *)now, "\"["), "a plain value is left");
            cr_assert_eq(vault_config_open(&cfg, path, VAULT_CONFIG_AUTO), 0, "%s", test_errmsg());
            for (i = 0; i < sizeof sealed / sizeof sealed[0]; i++) {
                vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
                vault_opener *op = NULL;
                vault_secret *got = NULL;
                const vault_config_entry *e = NULL;
                oo.keystore = ks;
                cr_assert_eq(vault_config_find(&j, cfg, sealed[i].alias), 0);
                cr_assert_eq(vault_config_entry_at(&e, cfg, j), 0);
                cr_assert_eq(vault_opener_new(&op, &oo), 0, "%s", test_errmsg());
                cr_assert_eq(vault_opener_open(&got, NULL, op, sealed[i].alias, e->value), 0, "%s",
                             test_errmsg());
                cr_assert_eq(vault_secret_len(got), strlen(sealed[i].plain));
                cr_assert_eq(memcmp(vault_secret_data(got), sealed[i].plain, strlen(sealed[i].plain)), 0);
                vault_secret_free(got);
                vault_opener_free(op);
            }
            vault_config_free(cfg);
        } else {
            cr_assert(len == strlen(toml) && memcmp(now, toml, len) == 0,
                      "allocation %zu failed: file changed", n);
            for (i = 0; res && i < res->count; i++) {
                const vault_apply_entry *en = &res->entries[i];
                if (en->status != VAULT_APPLY_FAILED)
                    continue;
                cr_assert_neq(en->code, 0, "allocation %zu: entry %s failed without a code", n, en->alias);
                if (en->message)
                    cr_assert_not_null(strstr(en->message, en->alias), "allocation %zu: %s", n, en->message);
            }
            if (res)
                cr_assert_eq(res->written, 0);
        }
        vault_apply_result_free(res);
        free(now);
    }
    cr_assert(done, "the run never succeeded");
    vault_sealer_free(s);
    vault_recipient_free(rcp);
    vault_keystore_free(ks);
}
