/* SPDX-License-Identifier: Apache-2.0 */
/* vault_config_apply() through the public header only: a config sealed,
 * rotated to a key made by openssl, rewrapped, one alias set and created;
 * every value then opened by the runtime (vault_open/vault_get) on its own,
 * and a failed run leaves the file byte for byte as it was. */
#include <vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "fixtures/wso2-home/repository/conf/deployment.toml"
#define IDENTITY "fixtures/java/identity.p12"

/* What the fixture's [secrets] hold (already_sealed: Java-made, opens to "admin"). */
static const struct {
    const char *alias, *plain;
} want[] = {
    {"admin_password", "admin"},
    {"keystore_password", "wso2carbon"},
    {"truststore_password", "wso2carbon"},
    {"shared_db_password", "p@ss=w0rd"},
    {"log4j.appender.LOGEVENT.password", "l\xc3\xa4uft"},
    {"api_token", "tok-[inner]-end"},
};

static vault_passwords identity_pw = {"wso2carbon", NULL};

static vault_keystore *open_ks(const char *path, vault_passwords *pw)
{
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    o.password = vault_password_fixed;
    o.payload = pw;
    cr_assert_eq(vault_keystore_open(&ks, path, &o), 0, "open %s: %s", path, test_errmsg());
    return ks;
}

static const char *copy_fixture(const char *name)
{
    size_t len;
    unsigned char *data = slurp(shared_path(FIXTURE), &len);
    const char *path = test_path(name);
    spit(path, data, len);
    free(data);
    return path;
}

/* A second RSA key pair, made by openssl: key and certificate in one PEM file. */
static const char *second_key(void)
{
    test_sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout k2.key -out k2.crt -subj /CN=k2 -days 2 "
            ">/dev/null 2>&1 && cat k2.key k2.crt > k2.pem && rm k2.key");
    return test_path("k2.pem");
}

static vault_sealer *native_sealer(vault_keystore *ks, vault_recipient **r)
{
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_sealer *s = NULL;
    cr_assert_eq(vault_recipient_from_keystore(r, ks, NULL), 0, "%s", test_errmsg());
    so.recipients = (const vault_recipient *const *)r;
    so.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&s, &so), 0, "%s", test_errmsg());
    return s;
}

/* The runtime opens every value of path with the keystore: each as wanted. */
static void runtime_opens(const char *path, const char *keystore, vault_passwords *pw, const char *extra_alias,
                          const char *extra_plain)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;
    vault_secret *s = NULL;
    size_t i;

    o.config = path;
    o.keystore = keystore;
    o.password = vault_password_fixed;
    o.payload = pw;
    cr_assert_eq(vault_open(&v, &o), 0, "vault_open %s: %s", path, test_errmsg());
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert_eq(vault_get(&s, v, want[i].alias), 0, "%s: %s", want[i].alias, test_errmsg());
        cr_assert_eq(vault_secret_len(s), strlen(want[i].plain), "%s", want[i].alias);
        cr_assert(memcmp(vault_secret_data(s), want[i].plain, strlen(want[i].plain)) == 0, "%s", want[i].alias);
        vault_secret_free(s);
    }
    cr_assert_eq(vault_get(&s, v, "already_sealed"), 0, "%s", test_errmsg());
    cr_assert_str_eq(vault_secret_str(s), "admin");
    vault_secret_free(s);
    if (extra_alias) {
        cr_assert_eq(vault_get(&s, v, extra_alias), 0, "%s: %s", extra_alias, test_errmsg());
        cr_assert_str_eq(vault_secret_str(s), extra_plain);
        vault_secret_free(s);
    }
    vault_free(v);
}

static const vault_apply_entry *entry(const vault_apply_result *res, const char *alias)
{
    size_t i;
    for (i = 0; i < res->count; i++)
        if (strcmp(res->entries[i].alias, alias) == 0)
            return &res->entries[i];
    cr_assert_fail("no entry for %s", alias);
    return NULL;
}

static void assert_same_bytes(const char *path, const unsigned char *before, size_t before_len)
{
    size_t len;
    unsigned char *now = slurp(path, &len);
    cr_assert(len == before_len && memcmp(now, before, len) == 0, "%s changed after a failed run", path);
    free(now);
}

/* Seal the fixture for identity.p12; returns the path. */
static const char *sealed_fixture(vault_keystore *ks)
{
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    vault_recipient *r = NULL;
    vault_sealer *s = native_sealer(ks, &r);
    const char *path = copy_fixture("d.toml");
    size_t i;

    o.op = VAULT_APPLY_SEAL;
    o.path = path;
    o.sealer = s;
    o.keystore = ks;
    cr_assert_eq(vault_config_apply(&res, &o), 0, "%s", test_errmsg());
    cr_assert(res->written);
    cr_assert(res->opened, "the private key was at hand: every value opened");
    cr_assert_eq(res->changed, 6);
    cr_assert_eq(res->failed, 0);
    for (i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_eq(entry(res, want[i].alias)->status, VAULT_APPLY_SEALED, "%s", want[i].alias);
    cr_assert_eq(entry(res, "already_sealed")->status, VAULT_APPLY_ALREADY_SEALED);
    vault_apply_result_free(res);
    vault_sealer_free(s);
    vault_recipient_free(r);
    return path;
}

Test(config_apply, seal_then_the_runtime_opens_every_value)
{
    vault_keystore *ks = open_ks(shared_path(IDENTITY), &identity_pw);
    const char *path = sealed_fixture(ks);
    runtime_opens(path, shared_path(IDENTITY), &identity_pw, NULL, NULL);
    vault_keystore_free(ks);
}

Test(config_apply, sealing_twice_writes_nothing)
{
    vault_keystore *ks = open_ks(shared_path(IDENTITY), &identity_pw);
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    vault_recipient *r = NULL;
    vault_sealer *s = native_sealer(ks, &r);
    const char *path = sealed_fixture(ks);
    size_t len;
    unsigned char *before = slurp(path, &len);

    o.op = VAULT_APPLY_SEAL;
    o.path = path;
    o.sealer = s;
    cr_assert_eq(vault_config_apply(&res, &o), 0, "%s", test_errmsg());
    cr_assert_not(res->written);
    cr_assert_eq(res->changed, 0);
    cr_assert_eq(entry(res, "api_token")->status, VAULT_APPLY_ALREADY_SEALED);
    assert_same_bytes(path, before, len);
    free(before);
    vault_apply_result_free(res);
    vault_sealer_free(s);
    vault_recipient_free(r);
    vault_keystore_free(ks);
}

Test(config_apply, rotate_to_a_new_key_then_rewrap_back)
{
    vault_keystore *ks = open_ks(shared_path(IDENTITY), &identity_pw);
    const char *k2path = second_key();
    vault_keystore *k2 = open_ks(k2path, &identity_pw);
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    vault_rewrap_options ro = VAULT_REWRAP_OPTIONS_INIT;
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    vault_recipient *r2 = NULL, *r1 = NULL;
    vault_opener *old = NULL;
    vault_rewrapper *rw = NULL;
    vault_sealer *s2 = native_sealer(k2, &r2);
    const char *path = sealed_fixture(ks);
    char path2[4096];

    snprintf(path2, sizeof path2, "%s", path);
    oo.keystore = ks;
    cr_assert_eq(vault_opener_new(&old, &oo), 0);
    o.op = VAULT_APPLY_ROTATE;
    o.path = path2;
    o.sealer = s2;
    o.from = old;
    o.keystore = k2;
    cr_assert_eq(vault_config_apply(&res, &o), 0, "%s", test_errmsg());
    cr_assert(res->written && res->opened);
    cr_assert_eq(res->changed, 7);
    cr_assert_eq(entry(res, "already_sealed")->status, VAULT_APPLY_ROTATED);
    vault_apply_result_free(res);
    runtime_opens(path2, k2path, &identity_pw, NULL, NULL);

    /* Again: the old key opens nothing, the new key everything: already done. */
    cr_assert_eq(vault_config_apply(&res, &o), 0, "%s", test_errmsg());
    cr_assert_not(res->written);
    cr_assert_eq(entry(res, "admin_password")->status, VAULT_APPLY_ALREADY_ROTATED);
    vault_apply_result_free(res);

    /* Rewrap: identity becomes a recipient again, without the secrets. */
    cr_assert_eq(vault_recipient_from_keystore(&r1, ks, NULL), 0);
    ro.keystore = k2;
    ro.add = (const vault_recipient *const *)&r1;
    ro.add_count = 1;
    cr_assert_eq(vault_rewrapper_new(&rw, &ro), 0, "%s", test_errmsg());
    memset(&o, 0, sizeof o);
    o.version = VAULT_APPLY_OPTIONS_VERSION;
    o.op = VAULT_APPLY_REWRAP;
    o.path = path2;
    o.rewrapper = rw;
    o.keystore = k2;
    o.recipients = (const vault_recipient *const *)&r1;
    o.recipient_count = 1;
    cr_assert_eq(vault_config_apply(&res, &o), 0, "%s", test_errmsg());
    cr_assert_eq(res->changed, 7);
    cr_assert_eq(entry(res, "api_token")->status, VAULT_APPLY_REWRAPPED);
    vault_apply_result_free(res);
    runtime_opens(path2, shared_path(IDENTITY), &identity_pw, NULL, NULL);
    runtime_opens(path2, k2path, &identity_pw, NULL, NULL);
    /* Adding it twice changes nothing. */
    cr_assert_eq(vault_config_apply(&res, &o), 0, "%s", test_errmsg());
    cr_assert_not(res->written);
    cr_assert_eq(entry(res, "api_token")->status, VAULT_APPLY_ALREADY_REWRAPPED);
    vault_apply_result_free(res);

    vault_rewrapper_free(rw);
    vault_recipient_free(r1);
    vault_recipient_free(r2);
    vault_sealer_free(s2);
    vault_opener_free(old);
    vault_keystore_free(k2);
    vault_keystore_free(ks);
}

Test(config_apply, set_replaces_and_creates)
{
    vault_keystore *ks = open_ks(shared_path(IDENTITY), &identity_pw);
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    vault_recipient *r = NULL;
    vault_sealer *s = native_sealer(ks, &r);
    vault_secret *value = NULL;
    const char *path = sealed_fixture(ks);

    cr_assert_eq(vault_secret_new(&value, "n3w \"v\"", 7), 0);
    o.op = VAULT_APPLY_SET;
    o.path = path;
    o.sealer = s;
    o.keystore = ks;
    o.alias = "new.one";
    o.value = value;
    cr_assert_eq(vault_config_apply(&res, &o), VAULT_ENOTFOUND, "no alias, no CREATE");
    vault_apply_result_free(res);
    o.flags = VAULT_APPLY_CREATE;
    cr_assert_eq(vault_config_apply(&res, &o), 0, "%s", test_errmsg());
    cr_assert_eq(res->count, 1);
    cr_assert_eq(res->entries[0].status, VAULT_APPLY_CREATED);
    cr_assert(res->written);
    vault_apply_result_free(res);
    runtime_opens(path, shared_path(IDENTITY), &identity_pw, "new.one", "n3w \"v\"");
    vault_secret_free(value);
    vault_sealer_free(s);
    vault_recipient_free(r);
    vault_keystore_free(ks);
}

/* A producer that fails on one alias: nothing is written, that alias named. */
static int fail_on_api_token(char **out, vault_secret **plaintext, vault_apply_status *status,
                             const vault_config_entry *e, void *payload)
{
    vault_sealer *s = payload;
    (void)plaintext;
    *status = VAULT_APPLY_SEALED;
    if (strcmp(e->alias, "api_token") == 0)
        return VAULT_EFORMAT;
    if (e->state != VAULT_VALUE_PLAIN)
        return 0;
    return vault_sealer_seal(out, s, e->alias, "x", 1);
}

Test(config_apply, a_failure_leaves_the_file_byte_identical)
{
    vault_keystore *ks = open_ks(shared_path(IDENTITY), &identity_pw);
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    vault_recipient *r = NULL;
    vault_sealer *wso2 = NULL, *s = native_sealer(ks, &r);
    const char *path = copy_fixture("f.toml");
    char long_value[300];
    size_t len, i, failed = 0;
    unsigned char *before = slurp(path, &len);
    vault_secret *value = NULL;

    /* One value too long for one RSA block, after good ones. */
    memset(long_value, 'a', sizeof long_value);
    cr_assert_eq(vault_secret_new(&value, long_value, sizeof long_value), 0);
    so.format = VAULT_FORMAT_WSO2;
    so.transformation = VAULT_TRANSFORM_RSA_OAEP_SHA1;
    so.recipients = (const vault_recipient *const *)&r;
    so.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&wso2, &so), 0);
    o.op = VAULT_APPLY_SET;
    o.path = path;
    o.sealer = wso2;
    o.alias = "admin_password";
    o.value = value;
    cr_assert_neq(vault_config_apply(&res, &o), 0);
    cr_assert_eq(entry(res, "admin_password")->status, VAULT_APPLY_FAILED);
    cr_assert_not(res->written);
    vault_apply_result_free(res);
    assert_same_bytes(path, before, len);

    /* A producer failing on one value in the middle. */
    memset(&o, 0, sizeof o);
    o.version = VAULT_APPLY_OPTIONS_VERSION;
    o.op = VAULT_APPLY_CUSTOM;
    o.path = path;
    o.produce = fail_on_api_token;
    o.produce_payload = s;
    cr_assert_eq(vault_config_apply(&res, &o), VAULT_ERROR);
    for (i = 0; i < res->count; i++)
        failed += res->entries[i].status == VAULT_APPLY_FAILED;
    cr_assert_eq(failed, 1);
    cr_assert_eq(res->failed, 1);
    cr_assert_eq(entry(res, "api_token")->code, VAULT_EFORMAT);
    cr_assert(strstr(entry(res, "api_token")->message, "api_token") != NULL, "%s",
              entry(res, "api_token")->message);
    cr_assert(res->message && strstr(res->message, "not changed"));
    vault_apply_result_free(res);
    assert_same_bytes(path, before, len);

    /* Rotating with a key that opens nothing: every alias failed, nothing written. */
    {
        const char *k2path = second_key();
        vault_keystore *k2 = open_ks(k2path, &identity_pw);
        vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
        vault_opener *old = NULL;
        const char *sealed = sealed_fixture(ks);
        unsigned char *sealed_before = slurp(sealed, &len);
        oo.keystore = k2;
        /* The raw WSO2 value is OAEP: opened as such (as PKCS#1 v1.5 a wrong key
         * opens it, by implicit rejection, to other bytes). */
        oo.transformation = VAULT_TRANSFORM_RSA_OAEP_SHA1;
        cr_assert_eq(vault_opener_new(&old, &oo), 0);
        memset(&o, 0, sizeof o);
        o.version = VAULT_APPLY_OPTIONS_VERSION;
        o.op = VAULT_APPLY_ROTATE;
        o.path = sealed;
        o.sealer = s;
        o.from = old;
        cr_assert_eq(vault_config_apply(&res, &o), VAULT_ERROR);
        cr_assert_eq(res->failed, 7, "every sealed value named");
        vault_apply_result_free(res);
        assert_same_bytes(sealed, sealed_before, len);
        free(sealed_before);
        vault_opener_free(old);
        vault_keystore_free(k2);
    }
    free(before);
    vault_secret_free(value);
    vault_sealer_free(wso2);
    vault_sealer_free(s);
    vault_recipient_free(r);
    vault_keystore_free(ks);
}

/* WSO2's case: the key password differs from the store password and only
 * the store password is given. Sealing needs only the certificate: done,
 * flagged as not opened; the values open once the key password is given. */
Test(config_apply, key_password_differs_seals_with_a_warning)
{
    vault_passwords store_only = {"pässwörd-密码", NULL};
    vault_passwords both = {"pässwörd-密码", "ключ-пароль"};
    vault_keystore *ks, *full;
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *op = NULL;
    vault_recipient *r = NULL;
    vault_sealer *s;
    vault_config *cfg = NULL;
    const vault_config_entry *e;
    vault_secret *got = NULL;
    const char *path = copy_fixture("u.toml");
    size_t i;

    ks = open_ks(shared_path("fixtures/java/unicode.jks"), &store_only);
    s = native_sealer(ks, &r);
    o.op = VAULT_APPLY_SEAL;
    o.path = path;
    o.sealer = s;
    o.keystore = ks;
    o.recipients = (const vault_recipient *const *)&r;
    o.recipient_count = 1;
    cr_assert_eq(vault_config_apply(&res, &o), 0, "%s", test_errmsg());
    cr_assert(res->written);
    cr_assert(res->key_locked, "reported: the key could not be unlocked");
    cr_assert_not(res->opened);
    cr_assert_eq(res->changed, 6);
    vault_apply_result_free(res);

    full = open_ks(shared_path("fixtures/java/unicode.jks"), &both);
    oo.keystore = full;
    cr_assert_eq(vault_opener_new(&op, &oo), 0);
    cr_assert_eq(vault_config_open(&cfg, path, VAULT_CONFIG_AUTO), 0);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t idx;
        cr_assert_eq(vault_config_find(&idx, cfg, want[i].alias), 0);
        cr_assert_eq(vault_config_entry_at(&e, cfg, idx), 0);
        cr_assert_eq(vault_opener_open(&got, NULL, op, e->alias, e->value), 0, "%s: %s", e->alias, test_errmsg());
        cr_assert_str_eq(vault_secret_str(got), want[i].plain);
        vault_secret_free(got);
    }
    vault_config_free(cfg);
    vault_opener_free(op);
    vault_keystore_free(full);
    vault_sealer_free(s);
    vault_recipient_free(r);
    vault_keystore_free(ks);
}

Test(config_apply, bad_options_are_refused)
{
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    cr_assert_eq(vault_config_apply(&res, &o), VAULT_EINVAL);
    cr_assert_null(res);
    o.path = "x.toml";
    o.op = VAULT_APPLY_SEAL;
    cr_assert_eq(vault_config_apply(&res, &o), VAULT_EINVAL, "no sealer");
    o.version = 99;
    cr_assert_eq(vault_config_apply(&res, &o), VAULT_EINVAL);
    cr_assert_str_eq(vault_apply_status_name(VAULT_APPLY_ALREADY_ROTATED), "already-rotated");
}

/* secret-conf.properties as written is what the runtime's locator reads:
 * keystore (relative to the home), alias and algorithm. */
Test(config_apply, secret_conf_is_read_back_by_the_locator)
{
    vault_secret_conf c = VAULT_SECRET_CONF_INIT;
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;
    char *ct = NULL, *conf = NULL, home[4096], ks[4096];
    size_t len;
    unsigned char *text;

    snprintf(home, sizeof home, "%s", test_path("home"));
    test_sh("mkdir -p home/repository/conf/security home/repository/resources/security && "
            "cp '%s' home/repository/resources/security/ks.p12 && "
            "printf 'a=b\\n' > home/repository/conf/security/cipher-text.properties",
            shared_path(IDENTITY));
    snprintf(ks, sizeof ks, "%s/repository/resources/security/ks.p12", home);
    c.home = home;
    c.keystore = ks;
    c.keystore_type = "PKCS12";
    c.key_alias = "wso2carbon";
    c.algorithm = "RSA/ECB/OAEPwithSHA1andMGF1Padding";
    cr_assert_eq(vault_secret_conf_write(&c), 0, "%s", test_errmsg());
    cr_assert_eq(vault_home_path(&conf, home, VAULT_HOME_SECRET_CONF), 0);
    text = slurp(conf, &len);
    cr_assert(strstr((char *)text, "keystore.identity.location=repository/resources/security/ks.p12\n"),
              "%s", (char *)text);
    cr_assert(strstr((char *)text, "secretRepositories.file.algorithm=RSA/ECB/OAEPwithSHA1andMGF1Padding\n"));
    free(text);
    cr_assert_eq(vault_home_path(&ct, home, VAULT_HOME_CIPHER_TEXT), 0);
    o.config = ct;
    cr_assert_eq(vault_locate(&loc, &o), 0, "%s", test_errmsg());
    cr_assert(loc->keystore && strstr(loc->keystore, "ks.p12"), "%s", loc->keystore);
    cr_assert_str_eq(loc->key_alias, "wso2carbon");
    cr_assert_eq(loc->transformation, VAULT_TRANSFORM_RSA_OAEP_SHA1);
    vault_location_free(loc);
    c.version = 0;
    cr_assert_eq(vault_secret_conf_write(&c), VAULT_EINVAL);
    vault_string_free(ct);
    vault_string_free(conf);
}

/* The decrypted view, edited: a changed value is sealed again, the others
 * keep their ciphertext byte for byte; the runtime opens them all. */
Test(config_apply, edit_the_decrypted_view)
{
    vault_keystore *ks = open_ks(shared_path(IDENTITY), &identity_pw);
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    vault_recipient *r = NULL;
    vault_sealer *s = native_sealer(ks, &r);
    vault_opener *op = NULL;
    vault_config *cfg = NULL;
    vault_secret *view = NULL;
    const char *path = sealed_fixture(ks);
    char *edited, *at, keep[2048];
    unsigned char *before;
    size_t len;

    oo.keystore = ks;
    cr_assert_eq(vault_opener_new(&op, &oo), 0);
    cr_assert_eq(vault_config_open(&cfg, path, VAULT_CONFIG_AUTO), 0);
    cr_assert_eq(vault_config_render_plain(&view, cfg, op), 0, "%s", test_errmsg());
    cr_assert(strstr(vault_secret_str(view), "admin_password = \"[admin]\"\n"));
    cr_assert(strstr(vault_secret_str(view), "api_token = '[tok-[inner]-end]'\n"));
    /* api_token's line as sealed now, to compare after the edit */
    before = slurp(path, &len);
    at = strstr((char *)before, "api_token = ");
    cr_assert(at);
    snprintf(keep, sizeof keep, "%.*s", (int)(strchr(at, '\n') - at), at);
    free(before);
    edited = strdup(vault_secret_str(view));
    at = strstr(edited, "[admin]\"\n");
    memcpy(at, "[ADMIN]", 7);
    o.op = VAULT_APPLY_EDIT;
    o.path = path;
    o.sealer = s;
    o.from = op;
    o.keystore = ks;
    o.text = edited;
    o.text_len = strlen(edited);
    cr_assert_eq(vault_config_apply(&res, &o), 0, "%s", test_errmsg());
    cr_assert(res->written);
    cr_assert_eq(entry(res, "admin_password")->status, VAULT_APPLY_REPLACED);
    cr_assert_eq(entry(res, "api_token")->status, VAULT_APPLY_UNCHANGED);
    vault_apply_result_free(res);
    before = slurp(path, &len);
    cr_assert(strstr((char *)before, keep), "an unchanged value kept its ciphertext");
    cr_assert_null(strstr((char *)before, "ADMIN"));
    free(before);
    {
        vault_options vo = VAULT_OPTIONS_INIT;
        vault *v = NULL;
        vault_secret *got = NULL;
        vo.config = path;
        vo.keystore = shared_path(IDENTITY);
        vo.password = vault_password_fixed;
        vo.payload = &identity_pw;
        cr_assert_eq(vault_open(&v, &vo), 0, "%s", test_errmsg());
        cr_assert_eq(vault_get(&got, v, "admin_password"), 0);
        cr_assert_str_eq(vault_secret_str(got), "ADMIN");
        vault_secret_free(got);
        cr_assert_eq(vault_get(&got, v, "api_token"), 0);
        cr_assert_str_eq(vault_secret_str(got), "tok-[inner]-end");
        vault_secret_free(got);
        vault_free(v);
    }
    free(edited);
    vault_secret_free(view);
    vault_config_free(cfg);
    vault_opener_free(op);
    vault_sealer_free(s);
    vault_recipient_free(r);
    vault_keystore_free(ks);
}
