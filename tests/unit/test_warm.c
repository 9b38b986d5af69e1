/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL's stores built on a second CPU while vault_open() reads its
 * files (vault__warm_up): one thread per process at most, none with one
 * usable CPU, none left running when vault_open() returns, and the same
 * secrets as ever, also from a legacy (RC2/3DES) keystore whose provider
 * is loaded while the thread may still run. Criterion runs each test in a
 * fresh process, so each starts with no store built and no thread started. */
#include "internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vault.h>

static const char *last_message(void)
{
    const vault_error *e = vault_error_last();
    return e ? e->message : "(no message)";
}

/* A key, its certificate and a PKCS#12 of them made by openssl (extra:
 * options of pkcs12 -export), and a deployment.toml with two values sealed
 * to the certificate. */
static void make_inputs(const char *extra)
{
    static vault_passwords none = {NULL, NULL};
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    vault_recipient *r = NULL;
    const vault_recipient *rs[1];
    vault_sealer *sealer = NULL;
    vault_config *cfg = NULL;
    size_t i;

    test_sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -subj /CN=warm -days 2 "
            "2>/dev/null && openssl pkcs12 -export -in c.pem -inkey k.pem -name warm -passout pass:warm-pw "
            "-out ks.p12 %s", extra);
    test_write_text("deployment.toml", "[server]\nhostname = \"localhost\"\n\n[secrets]\n"
                                       "a = \"[first secret]\"\nb = \"[second secret]\"\n");
    ko.password = vault_password_fixed;
    ko.payload = &none;
    cr_assert_eq(vault_keystore_open(&ks, test_path("c.pem"), &ko), 0, "%s", last_message());
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0, "%s", last_message());
    rs[0] = r;
    so.recipients = rs;
    so.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&sealer, &so), 0, "%s", last_message());
    cr_assert_eq(vault_config_open(&cfg, test_path("deployment.toml"), VAULT_CONFIG_AUTO), 0);
    for (i = 0; i < vault_config_count(cfg); i++) {
        const vault_config_entry *e;
        vault_secret *plain = NULL;
        char *sealed = NULL;
        cr_assert_eq(vault_config_entry_at(&e, cfg, i), 0);
        cr_assert_eq(vault_config_plaintext(&plain, cfg, i), 0);
        cr_assert_eq(vault_sealer_seal(&sealed, sealer, e->alias, vault_secret_data(plain),
                                       vault_secret_len(plain)), 0, "%s", last_message());
        cr_assert_eq(vault_config_set(cfg, i, sealed), 0, "%s", last_message());
        vault_string_free(sealed);
        vault_secret_free(plain);
    }
    cr_assert_eq(vault_config_save(cfg, NULL, NULL), 0, "%s", last_message());
    vault_config_free(cfg);
    vault_sealer_free(sealer);
    vault_recipient_free(r);
    vault_keystore_free(ks);
}

/* The process's thread count, from the kernel. */
static int threads(void)
{
    size_t len;
    char *status = (char *)slurp("/proc/self/status", &len), *t;
    int n = -1;

    t = strstr(status, "\nThreads:");
    if (t)
        n = atoi(t + 9);
    free(status);
    return n;
}

/* vault_open() of the config; returns its result, the secrets checked. */
static int open_and_check(const char *password)
{
    vault_passwords pw = {password, NULL};
    vault_options o = VAULT_OPTIONS_INIT;
    vault_secret *s = NULL;
    vault *v = NULL;
    int rc;

    o.config = test_path("deployment.toml");
    o.keystore = test_path("ks.p12");
    o.password = vault_password_fixed;
    o.payload = &pw;
    rc = vault_open(&v, &o);
    if (rc != 0)
        return rc;
    cr_assert_eq(vault_get(&s, v, "b"), 0, "%s", last_message());
    cr_assert_eq(vault_secret_len(s), strlen("second secret"));
    cr_assert(memcmp(vault_secret_data(s), "second secret", vault_secret_len(s)) == 0);
    vault_secret_free(s);
    vault_free(v);
    return 0;
}

static int usable_cpus(void)
{
    cpu_set_t set;
    cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
    return CPU_COUNT(&set);
}

/* Only the first usable CPU. */
static void pin_to_one_cpu(void)
{
    cpu_set_t set, one;
    int c;

    cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
    for (c = 0; !CPU_ISSET(c, &set); c++)
        ;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    cr_assert_eq(sched_setaffinity(0, sizeof one, &one), 0);
}

Test(warm, one_thread_per_process_joined_before_vault_open_returns)
{
    int before;

    if (usable_cpus() < 2)
        cr_skip_test("one usable CPU: no warm-up thread to test");
    make_inputs("");
    before = threads();
    cr_assert_eq(vault__test_warm_started(), 0u, "keystores opened for sealing start none");
    cr_assert_eq(open_and_check("warm-pw"), 0, "%s", last_message());
    cr_assert_eq(vault__test_warm_started(), 1u);
    cr_assert_eq(threads(), before, "a thread left running after vault_open()");
    cr_assert_eq(open_and_check("warm-pw"), 0, "%s", last_message());
    cr_assert_eq(vault__test_warm_started(), 1u, "the stores are built once per process");
    cr_assert_eq(threads(), before);
}

Test(warm, failures_are_reported_as_before)
{
    int before;

    if (usable_cpus() < 2)
        cr_skip_test("one usable CPU: no warm-up thread to test");
    make_inputs("");
    before = threads();
    cr_assert_eq(open_and_check("wrong password"), VAULT_EAUTH);
    cr_assert(strstr(last_message(), "ks.p12: wrong store password") != NULL, "%s", last_message());
    cr_assert_eq(vault__test_warm_started(), 1u);
    cr_assert_eq(threads(), before, "a thread left running after a failed vault_open()");
}

Test(warm, none_with_one_cpu)
{
    make_inputs("");
    pin_to_one_cpu();
    cr_assert_eq(open_and_check("warm-pw"), 0, "%s", last_message());
    cr_assert_eq(vault__test_warm_started(), 0u);
}

/* The legacy provider is loaded on demand (RC2, 3DES) while the stores may
 * still be under construction on the other CPU. */
Test(warm, legacy_keystore_opens_meanwhile)
{
    if (usable_cpus() < 2)
        cr_skip_test("one usable CPU: no warm-up thread to test");
    make_inputs("-legacy");
    cr_assert_eq(open_and_check("warm-pw"), 0, "%s", last_message());
    cr_assert_eq(vault__test_warm_started(), 1u);
}
