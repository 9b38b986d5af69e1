/* SPDX-License-Identifier: Apache-2.0 */
/* Bare public keys (PEM "PUBLIC KEY", written by `openssl pkey -pubout` from
 * the known-answer keys) through the public header only: a public-key entry,
 * a native recipient with the key id of the key pair, values that the private
 * key opens; a bare RSA key is no recipient; a truststore cannot vouch for a
 * bare key. */
#include <vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *kat_path(const char *file)
{
    static char path[4096];
    const char *src = getenv("VAULT_SOURCE");
    snprintf(path, sizeof path, "%s/tests/vectors/native/%s", src ? src : ".", file);
    return path;
}

static vault_keystore *open_path(const char *path)
{
    vault_keystore *ks = NULL;
    cr_assert_eq(vault_keystore_open(&ks, path, NULL), 0, "%s: %s", path, test_errmsg());
    return ks;
}

/* The public key of a KAT key file, as openssl writes it. */
static vault_keystore *open_public(const char *kat)
{
    test_sh("openssl pkey -in '%s' -pubout -out pub.pem", kat_path(kat));
    return open_path(test_path("pub.pem"));
}

Test(public_key_api, ec_x25519_ed25519_keys_are_recipients)
{
    static const char *const kats[] = {"kat-p256.pem", "kat-p384.pem", "kat-p521.pem",
                                       "kat-x25519.pem", "kat-ed25519.pem"};
    size_t i;

    for (i = 0; i < sizeof kats / sizeof kats[0]; i++) {
        vault_keystore *pub = open_public(kats[i]), *priv = open_path(kat_path(kats[i]));
        const vault_keystore_entry *e = NULL;
        vault_recipient *r = NULL, *rp = NULL;
        vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
        vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
        vault_sealer *s = NULL;
        vault_opener *o = NULL;
        vault_secret *pt = NULL;
        unsigned char *der1 = NULL, *der2 = NULL;
        size_t len1 = 0, len2 = 0;
        char *v = NULL;

        cr_assert_eq(vault_keystore_count(pub), 1);
        cr_assert_eq(vault_keystore_entry_at(&e, pub, 0), 0);
        cr_assert_eq(e->kind, VAULT_ENTRY_PUBLIC_KEY, "%s", kats[i]);
        cr_assert_not(e->has_certificate);
        /* the same SubjectPublicKeyInfo as the private key's */
        cr_assert_eq(vault_keystore_public_key_der(&der1, &len1, pub, e->alias), 0, "%s", test_errmsg());
        cr_assert_eq(vault_keystore_public_key_der(&der2, &len2, priv, NULL), 0, "%s", test_errmsg());
        cr_assert(len1 == len2 && memcmp(der1, der2, len1) == 0, "%s", kats[i]);
        vault_string_free((char *)der1);
        vault_string_free((char *)der2);
        /* a recipient with the key pair's key id */
        cr_assert_eq(vault_recipient_from_keystore(&r, pub, NULL), 0, "%s", test_errmsg());
        cr_assert_eq(vault_recipient_from_keystore(&rp, priv, NULL), 0, "%s", test_errmsg());
        cr_assert_str_eq(vault_recipient_key_id(r), vault_recipient_key_id(rp));
        so.recipients = (const vault_recipient *const *)&r;
        so.recipient_count = 1;
        cr_assert_eq(vault_sealer_new(&s, &so), 0, "%s", test_errmsg());
        cr_assert_eq(vault_sealer_seal(&v, s, "db.password", "bare key", 8), 0, "%s", test_errmsg());
        oo.keystore = priv;
        cr_assert_eq(vault_opener_new(&o, &oo), 0);
        cr_assert_eq(vault_opener_open(&pt, NULL, o, "db.password", v), 0, "%s", test_errmsg());
        cr_assert(vault_secret_len(pt) == 8 && memcmp(vault_secret_data(pt), "bare key", 8) == 0);
        /* a public key opens nothing */
        vault_opener_free(o);
        o = NULL;
        oo.keystore = pub;
        cr_assert_eq(vault_opener_new(&o, &oo), 0);
        vault_secret_free(pt);
        pt = NULL;
        cr_assert_neq(vault_opener_open(&pt, NULL, o, "db.password", v), 0);
        cr_assert_null(pt);
        vault_opener_free(o);
        vault_string_free(v);
        vault_sealer_free(s);
        vault_recipient_free(r);
        vault_recipient_free(rp);
        vault_keystore_free(pub);
        vault_keystore_free(priv);
    }
}

Test(public_key_api, bare_rsa_key_is_no_recipient)
{
    vault_keystore *pub = open_public("kat-key.pem");
    vault_recipient *r = NULL;

    cr_assert_eq(vault_recipient_from_keystore(&r, pub, NULL), VAULT_EFORMAT);
    cr_assert_null(r);
    cr_assert(strstr(test_errmsg(), "pub.pem") && strstr(test_errmsg(), "no certificate to seal to") &&
              strstr(test_errmsg(), "RSA recipient by its certificate"), "%s", test_errmsg());
    vault_keystore_free(pub);
}

Test(public_key_api, truststore_cannot_vouch_for_a_bare_key)
{
    vault_keystore *trust = open_path(kat_path("kat-key.pem"));
    vault_keystore *pub = open_public("kat-x25519.pem");

    cr_assert_eq(vault_keystore_verify(trust, pub, NULL, 0, 0), VAULT_ETRUST);
    cr_assert(strstr(test_errmsg(), "pub.pem: alias \"pub\" is a bare key without certificate"), "%s",
              test_errmsg());
    vault_keystore_free(pub);
    vault_keystore_free(trust);
}
