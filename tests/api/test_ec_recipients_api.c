/* SPDX-License-Identifier: Apache-2.0 */
/* Native values for EC P-256/P-384/P-521, X25519 and Ed25519 recipients
 * through the public header only: seal, open, a mixed value, wrong key,
 * rewrap, and the known-answer value of each key type. */
#include <vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define NKEYS 6
static const char *const files[NKEYS] = {"kat-p256.pem", "kat-p384.pem", "kat-p521.pem",
                                         "kat-x25519.pem", "kat-ed25519.pem", "kat-key.pem"};

static vault_keystore *open_kat(size_t k)
{
    char path[4096];
    const char *src = getenv("VAULT_SOURCE");
    vault_keystore *ks = NULL;
    snprintf(path, sizeof path, "%s/tests/vectors/native/%s", src ? src : ".", files[k]);
    cr_assert_eq(vault_keystore_open(&ks, path, NULL), 0, "%s: %s", path, test_errmsg());
    return ks;
}

static char *seal(vault_recipient **r, size_t n, const char *alias, const char *pt)
{
    vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
    vault_sealer *s = NULL;
    char *v = NULL;
    o.recipients = (const vault_recipient *const *)r;
    o.recipient_count = n;
    cr_assert_eq(vault_sealer_new(&s, &o), 0, "%s", test_errmsg());
    cr_assert_eq(vault_sealer_seal(&v, s, alias, pt, strlen(pt)), 0, "%s", test_errmsg());
    vault_sealer_free(s);
    return v;
}

static int open_with(vault_keystore *ks, const char *alias, const char *value, const char *want)
{
    vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *op = NULL;
    vault_secret *s = NULL;
    int rc;
    o.keystore = ks;
    cr_assert_eq(vault_opener_new(&op, &o), 0);
    rc = vault_opener_open(&s, NULL, op, alias, value);
    if (rc == 0) {
        cr_assert_eq(vault_secret_len(s), strlen(want));
        cr_assert(memcmp(vault_secret_data(s), want, strlen(want)) == 0);
    } else {
        cr_assert_null(s);
    }
    vault_secret_free(s);
    vault_opener_free(op);
    return rc;
}

Test(ec_api, every_key_type_round_trips_and_refuses_the_others)
{
    vault_keystore *ks[NKEYS];
    vault_recipient *r[NKEYS];
    size_t k, j;
    for (k = 0; k < NKEYS; k++) {
        ks[k] = open_kat(k);
        cr_assert_eq(vault_recipient_from_keystore(&r[k], ks[k], NULL), 0, "%s", test_errmsg());
    }
    for (k = 0; k < NKEYS; k++) {
        char *v = seal(&r[k], 1, "db.password", "s3cret");
        for (j = 0; j < NKEYS; j++) {
            int rc = open_with(ks[j], "db.password", v, "s3cret");
            cr_assert_eq(rc, j == k ? 0 : VAULT_EKEY, "sealed for %s, opened with %s: %d %s",
                         files[k], files[j], rc, test_errmsg());
            if (j != k) /* both key ids named */
                cr_assert(strstr(test_errmsg(), vault_recipient_key_id(r[k])) &&
                              strstr(test_errmsg(), vault_recipient_key_id(r[j])),
                          "%s", test_errmsg());
        }
        cr_assert_eq(open_with(ks[k], "db.user", v, "s3cret"), VAULT_EAUTH);
        vault_string_free(v);
    }
    {
        char *v = seal(r, NKEYS, "all", "every key type");
        vault_value_info *info = NULL;
        for (k = 0; k < NKEYS; k++)
            cr_assert_eq(open_with(ks[k], "all", v, "every key type"), 0, "%s", files[k]);
        cr_assert_eq(vault_inspect(&info, v), 0);
        cr_assert_eq(info->recipient_count, NKEYS);
        for (k = 0; k < NKEYS; k++)
            cr_assert_str_eq(info->key_ids[k], vault_recipient_key_id(r[k]));
        vault_value_info_free(info);
        vault_string_free(v);
    }
    /* RSA keys are named by certificate, the others by public key */
    cr_assert_str_eq(vault_recipient_key_id(r[5]), vault_recipient_thumbprint(r[5]));
    for (k = 0; k < 5; k++)
        cr_assert_str_neq(vault_recipient_key_id(r[k]), vault_recipient_thumbprint(r[k]));
    for (k = 0; k < NKEYS; k++) {
        vault_recipient_free(r[k]);
        vault_keystore_free(ks[k]);
    }
}

Test(ec_api, rewrap_moves_a_value_from_rsa_to_ed25519)
{
    vault_keystore *rsa = open_kat(5), *ed = open_kat(4);
    vault_recipient *rr = NULL, *re = NULL;
    vault_rewrap_options o = VAULT_REWRAP_OPTIONS_INIT;
    vault_rewrapper *rw = NULL;
    const char *remove[1];
    char *v, *w = NULL;

    cr_assert_eq(vault_recipient_from_keystore(&rr, rsa, NULL), 0);
    cr_assert_eq(vault_recipient_from_keystore(&re, ed, NULL), 0);
    v = seal(&rr, 1, "k", "moved");
    remove[0] = vault_recipient_key_id(rr);
    o.keystore = rsa;
    o.add = (const vault_recipient *const *)&re;
    o.add_count = 1;
    o.remove_key_ids = remove;
    o.remove_count = 1;
    cr_assert_eq(vault_rewrapper_new(&rw, &o), 0, "%s", test_errmsg());
    cr_assert_eq(vault_rewrapper_rewrap(&w, rw, "k", v), 0, "%s", test_errmsg());
    cr_assert_eq(open_with(ed, "k", w, "moved"), 0, "%s", test_errmsg());
    cr_assert_eq(open_with(rsa, "k", w, "moved"), VAULT_EKEY);
    vault_rewrapper_free(rw);
    vault_string_free(v);
    vault_string_free(w);
    vault_recipient_free(rr);
    vault_recipient_free(re);
    vault_keystore_free(rsa);
    vault_keystore_free(ed);
}
