/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime through the public headers only: vault_open on WSO2 product
 * homes with values made by Java 17 JCE and by our own sealer, lookups,
 * expansion of text and XML, failures named by alias, password sources,
 * guarded memory and threads. */
#include <vault.h>
#include <vault/vault.h>
#include <vault/xml.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static const char *last_message(void)
{
    const vault_error *e = vault_error_last();
    return e ? e->message : "(no message)";
}

static char *path_in(const char *dir, const char *rel)
{
    static char buf[8][4096];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", dir, rel);
    return out;
}

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    cr_assert_eq(system(cmd), 0, "command failed: %s", cmd);
}

/* A writable copy of the shared WSO2 product home. */
static const char *copy_home(const char *name)
{
    static char home[4096];
    snprintf(home, sizeof home, "%s/%s", test_tmpdir(), name);
    sh("cp -r '%s' '%s'", shared_path("fixtures/wso2-home"), home);
    sh("chmod -R u+w '%s'%s", home, "");
    return home;
}

static void write_text(const char *path, const char *text)
{
    spit(path, text, strlen(text));
}

static char *read_text(const char *path)
{
    size_t len;
    return (char *)slurp(path, &len);
}

/* One row of fixtures/java/vectors.tsv (made by Java 17 JCE). */
typedef struct vector {
    char form[16];
    char transformation[64];
    unsigned char plain[256];
    size_t plain_len;
    char value[2048];
} vector;

static vector java_vector(int id)
{
    vector v;
    size_t len;
    char *tsv = (char *)slurp(shared_path("fixtures/java/vectors.tsv"), &len);
    char *line = tsv, b64[512];
    int found = 0;

    memset(&v, 0, sizeof v);
    while (line && *line) {
        char *next = strchr(line, '\n');
        int row;
        if (next)
            *next++ = '\0';
        if (line[0] != '#' && sscanf(line, "%d\t%15s\t%63s\t%511s\t%2047s", &row, v.form,
                                     v.transformation, b64, v.value) == 5 && row == id) {
            int n = EVP_DecodeBlock(v.plain, (unsigned char *)b64, (int)strlen(b64));
            cr_assert(n >= 0);
            len = strlen(b64);
            while (len > 0 && b64[len - 1] == '=') {
                n--;
                len--;
            }
            v.plain_len = (size_t)n;
            found = 1;
            break;
        }
        line = next;
    }
    free(tsv);
    cr_assert(found, "no vector %d", id);
    return v;
}

static vault_passwords wso2_pw = {"wso2carbon", NULL};

static vault *open_with(const char *config, unsigned int flags, const char *keystore)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;
    int rc;
    o.config = config;
    o.keystore = keystore;
    o.flags = flags;
    o.password = vault_password_fixed;
    o.payload = &wso2_pw;
    rc = vault_open(&v, &o);
    cr_assert_eq(rc, 0, "vault_open %s: %d %s", config, rc, last_message());
    return v;
}

static void assert_secret(const vault *v, const char *alias, const void *want, size_t want_len)
{
    vault_secret *s = NULL;
    int rc = vault_get(&s, v, alias);
    cr_assert_eq(rc, 0, "vault_get %s: %s", alias, last_message());
    cr_assert_eq(vault_secret_len(s), want_len, "length of %s", alias);
    cr_assert(memcmp(vault_secret_data(s), want, want_len) == 0, "value of %s", alias);
    vault_secret_free(s);
}

/* A deployment.toml whose [secrets] table is replaced by body (the rest of
 * the fixture kept, [secrets] not last). */
static void write_toml_secrets(const char *home, const char *body)
{
    const char *path = path_in(home, "repository/conf/deployment.toml");
    char *text = read_text(path), *start = strstr(text, "[secrets]\n"), *end;
    FILE *f;
    cr_assert(start != NULL);
    end = strstr(start, "\n[transport.http]");
    cr_assert(end != NULL);
    f = fopen(path, "w");
    cr_assert(f != NULL);
    fprintf(f, "%.*s[secrets]\n%s%s", (int)(start - text), text, body, end);
    fclose(f);
    free(text);
}

/* The Java rows used in deployment.toml: alias, row. Forms: raw OAEP-SHA1,
 * holder OAEP-SHA1, raw OAEP-SHA256, holder with quotes and XML
 * characters, raw OAEP-SHA1 non-ASCII, holder OAEP-SHA256 64 characters,
 * raw and holder PKCS#1 v1.5 (legacy). */
static const struct {
    const char *alias;
    int row;
} java_rows[] = {
    {"admin_password", 24},
    {"keystore_password", 27},
    {"truststore_password", 38},
    {"shared_db_password", 29},
    {"log4j.appender.LOGEVENT.password", 30},
    {"api_token", 47},
    {"legacy_raw", 16},
    {"legacy_holder", 13},
};
#define N_JAVA_ROWS (sizeof java_rows / sizeof java_rows[0])

static const char *java_home(void)
{
    static char body[32768];
    const char *home = copy_home("java-home");
    size_t i, used = 0;
    for (i = 0; i < N_JAVA_ROWS; i++) {
        vector v = java_vector(java_rows[i].row);
        used += (size_t)snprintf(body + used, sizeof body - used, "\"%s\" = \"%s\"\n", java_rows[i].alias,
                                 v.value);
    }
    write_toml_secrets(home, body);
    return home;
}

/* ---- Java-made values ------------------------------------------------------ */

Test(runtime, java_values_in_deployment_toml)
{
    const char *home = java_home();
    vault *v = open_with(path_in(home, "repository/conf/deployment.toml"), 0, NULL);
    size_t i;

    cr_assert_eq(vault_count(v), N_JAVA_ROWS);
    for (i = 0; i < N_JAVA_ROWS; i++) {
        vector want = java_vector(java_rows[i].row);
        assert_secret(v, java_rows[i].alias, want.plain, want.plain_len);
    }
    cr_assert_str_eq(vault_path(v), path_in(home, "repository/conf/deployment.toml"));
    vault_free(v);
}

Test(runtime, java_values_through_the_product_home_and_a_p12)
{
    const char *home = java_home();
    /* The home alone: keystore from [keystore.primary]; then the same key
     * from a PKCS#12 file given in the options. */
    vault *v = open_with(home, VAULT_OPEN_LAZY, NULL);
    vector want = java_vector(30);
    assert_secret(v, "log4j.appender.LOGEVENT.password", want.plain, want.plain_len);
    vault_free(v);
    v = open_with(home, 0, shared_path("fixtures/java/identity.p12"));
    assert_secret(v, "log4j.appender.LOGEVENT.password", want.plain, want.plain_len);
    cr_assert_eq(vault_count(v), N_JAVA_ROWS);
    vault_free(v);
}

Test(runtime, internal_keystore_before_primary_with_aes_gcm_values)
{
    const char *home = copy_home("internal");
    const char *toml = path_in(home, "repository/conf/deployment.toml");
    char *text, body[8192];
    vector a = java_vector(49), b = java_vector(51);
    vault *v;
    FILE *f;

    sh("cp '%s' '%s'", shared_path("fixtures/java/internal.p12"),
       path_in(home, "repository/resources/security/internal.p12"));
    snprintf(body, sizeof body, "gcm_a = \"%s\"\ngcm_b = \"%s\"\n", a.value, b.value);
    write_toml_secrets(home, body);
    text = read_text(toml);
    f = fopen(toml, "w");
    cr_assert(f != NULL);
    fprintf(f, "%s\n[keystore.internal]\nfile_name = 'internal.p12'\ntype = \"PKCS12\"\n"
               "alias = \"wso2carbon\"\n", text);
    fclose(f);
    free(text);
    v = open_with(home, 0, NULL);
    assert_secret(v, "gcm_a", a.plain, a.plain_len);
    assert_secret(v, "gcm_b", b.plain, b.plain_len);
    vault_free(v);
}

Test(runtime, operator_aes_key_without_a_keystore)
{
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_options o = VAULT_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    vault_secret *aes = NULL;
    vault *v = NULL;
    vector a = java_vector(53);
    char text[8192];
    const char *conf = path_in(test_tmpdir(), "symmetric.toml");

    ko.password = vault_password_fixed;
    ko.payload = &wso2_pw;
    cr_assert_eq(vault_keystore_open(&ks, shared_path("fixtures/java/internal.p12"), &ko), 0);
    cr_assert_eq(vault_keystore_secret_key(&aes, ks, NULL), 0, "%s", last_message());
    snprintf(text, sizeof text, "[secrets]\nlong = \"%s\"\n", a.value);
    write_text(conf, text);
    o.config = conf;
    o.symmetric_key = aes;
    cr_assert_eq(vault_open(&v, &o), 0, "%s", last_message());
    assert_secret(v, "long", a.plain, a.plain_len);
    vault_free(v);
    /* Without the key there is nothing to open it with. */
    o.symmetric_key = NULL;
    cr_assert_eq(vault_open(&v, &o), VAULT_ENOTFOUND);
    cr_assert(strstr(last_message(), "names no keystore") != NULL, "%s", last_message());
    vault_secret_free(aes);
    vault_keystore_free(ks);
}

static const char *properties_home(void)
{
    static char text[16384];
    const char *home = copy_home("props-home");
    vector kp = java_vector(14), admin = java_vector(12);
    cr_assert_eq(unlink(path_in(home, "repository/conf/deployment.toml")), 0);
    cr_assert(kp.plain_len == 10 && memcmp(kp.plain, "wso2carbon", 10) == 0);
    cr_assert(admin.plain_len == 5 && memcmp(admin.plain, "admin", 5) == 0);
    snprintf(text, sizeof text,
             "# Java-made PKCS#1 values, and ours sealed below\n"
             "Carbon.Security.KeyStore.Password=%s\n"
             "UserManager.AdminUser.Password=%s\n"
             "Server.Service.Connector.keystorePass=%s\n"
             "Datasources.SHARED_DB.Configuration.Password=[db\\=secret\\\\with\\\\backslashes]\n"
             "Log.Password=[log-p\\u00e4ssword]\n",
             kp.value, admin.value, kp.value);
    write_text(path_in(home, "repository/conf/security/cipher-text.properties"), text);
    write_text(path_in(home, "repository/conf/security/secret-conf.properties"),
               "carbon.secretProvider=org.wso2.securevault.secret.handler.SecretManagerSecretCallbackHandler\n"
               "secretRepositories=file\n"
               "secretRepositories.file.location=repository/conf/security/cipher-text.properties\n"
               "secretRepositories.file.algorithm=RSA/ECB/PKCS1Padding\n"
               "keystore.identity.location=repository/resources/security/wso2carbon.jks\n"
               "keystore.identity.type=JKS\n"
               "keystore.identity.alias=wso2carbon\n"
               "keystore.identity.store.password=identity.store.password\n");
    return home;
}

/* Seal the "[...]" values of a config in place with the public API (native
 * format, to the certificate of identity.p12). */
static void seal_config(const char *path)
{
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_seal_options so = VAULT_SEAL_OPTIONS_INIT;
    vault_keystore *ks = NULL;
    vault_recipient *r = NULL;
    const vault_recipient *rs[1];
    vault_sealer *sealer = NULL;
    vault_config *cfg = NULL;
    size_t i;

    ko.password = vault_password_fixed;
    ko.payload = &wso2_pw;
    cr_assert_eq(vault_keystore_open(&ks, shared_path("fixtures/java/identity.p12"), &ko), 0);
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, "wso2carbon"), 0);
    rs[0] = r;
    so.recipients = rs;
    so.recipient_count = 1;
    cr_assert_eq(vault_sealer_new(&sealer, &so), 0, "%s", last_message());
    cr_assert_eq(vault_config_open(&cfg, path, VAULT_CONFIG_AUTO), 0, "%s", last_message());
    for (i = 0; i < vault_config_count(cfg); i++) {
        const vault_config_entry *e;
        vault_secret *plain = NULL;
        char *sealed = NULL;
        cr_assert_eq(vault_config_entry_at(&e, cfg, i), 0);
        if (e->state != VAULT_VALUE_PLAIN)
            continue;
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

Test(runtime, cipher_text_properties_with_secret_conf)
{
    const char *home = properties_home();
    vault *v;

    seal_config(path_in(home, "repository/conf/security/cipher-text.properties"));
    v = open_with(home, 0, NULL);
    cr_assert_eq(vault_count(v), 5);
    assert_secret(v, "Carbon.Security.KeyStore.Password", "wso2carbon", 10);
    assert_secret(v, "UserManager.AdminUser.Password", "admin", 5);
    assert_secret(v, "Datasources.SHARED_DB.Configuration.Password", "db=secret\\with\\backslashes", 26);
    assert_secret(v, "Log.Password", "log-p\xc3\xa4ssword", 13);
    vault_free(v);
    /* The properties file named directly, secret-conf.properties beside it. */
    v = open_with(path_in(home, "repository/conf/security/cipher-text.properties"), VAULT_OPEN_LAZY, NULL);
    assert_secret(v, "Server.Service.Connector.keystorePass", "wso2carbon", 10);
    vault_free(v);
}

Test(runtime, pinned_transformation_refuses_other_paddings)
{
    const char *home = properties_home();
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;
    char *text;
    FILE *f;
    vector oaep = java_vector(26); /* raw OAEP-SHA1 "wso2carbon" */

    /* secret-conf.properties pins PKCS#1: an OAEP value must not open to
     * its secret. With implicit rejection (SECURITY.md) it opens to other
     * bytes rather than failing, flagged as PKCS#1 v1.5 like any value. */
    text = read_text(path_in(home, "repository/conf/security/cipher-text.properties"));
    f = fopen(path_in(home, "repository/conf/security/cipher-text.properties"), "w");
    fprintf(f, "%sOaep.Value=%s\n", text, oaep.value);
    fclose(f);
    free(text);
    o.config = home;
    o.password = vault_password_fixed;
    o.payload = &wso2_pw;
    o.flags = VAULT_OPEN_LAZY | VAULT_OPEN_ALLOW_PLAINTEXT;
    cr_assert_eq(vault_open(&v, &o), 0, "%s", last_message());
    assert_secret(v, "UserManager.AdminUser.Password", "admin", 5);
    {
        vault_secret *s = NULL;
        cr_assert_eq(vault_get(&s, v, "Oaep.Value"), 0, "%s", last_message());
        cr_assert(vault_secret_len(s) != oaep.plain_len ||
                  memcmp(vault_secret_data(s), oaep.plain, oaep.plain_len) != 0,
                  "an OAEP value opened to its secret as PKCS#1 v1.5");
        vault_secret_free(s);
    }
    vault_free(v);
    /* The caller's transformation wins over the file's. */
    o.transformation = VAULT_TRANSFORM_RSA_OAEP_SHA1;
    cr_assert_eq(vault_open(&v, &o), 0, "%s", last_message());
    assert_secret(v, "Oaep.Value", oaep.plain, oaep.plain_len);
    vault_free(v);
}

/* ---- our own sealed copy, expansion ------------------------------------------ */

static const char *sealed_home(void)
{
    const char *home = copy_home("sealed-home");
    seal_config(path_in(home, "repository/conf/deployment.toml"));
    return home;
}

Test(runtime, own_sealed_deployment_toml)
{
    const char *home = sealed_home();
    char *text = read_text(path_in(home, "repository/conf/deployment.toml"));
    vault *v;

    cr_assert(strstr(text, "[admin]") == NULL, "sealed in place");
    free(text);
    v = open_with(home, 0, NULL);
    cr_assert_eq(vault_count(v), 7);
    assert_secret(v, "admin_password", "admin", 5);
    assert_secret(v, "keystore_password", "wso2carbon", 10);
    assert_secret(v, "truststore_password", "wso2carbon", 10);
    assert_secret(v, "shared_db_password", "p@ss=w0rd", 9);
    assert_secret(v, "log4j.appender.LOGEVENT.password", "l\xc3\xa4uft", 6);
    assert_secret(v, "api_token", "tok-[inner]-end", 15);
    assert_secret(v, "already_sealed", "admin", 5); /* Java's OAEP value left as it was */
    vault_free(v);
}

Test(runtime, aliases_are_enumerated)
{
    const char *home = sealed_home();
    vault *v = open_with(home, 0, NULL);
    const char *want[] = {"admin_password", "keystore_password", "truststore_password",
                          "shared_db_password", "log4j.appender.LOGEVENT.password", "api_token",
                          "already_sealed"};
    const char *alias = NULL;
    size_t i;
    for (i = 0; i < 7; i++) {
        cr_assert_eq(vault_alias_at(&alias, v, i), 0);
        cr_assert_str_eq(alias, want[i]);
    }
    cr_assert_eq(vault_alias_at(&alias, v, 7), VAULT_ENOTFOUND);
    cr_assert_null(alias);
    cr_assert_eq(vault_alias_at(&alias, NULL, 0), VAULT_EINVAL);
    {
        int64_t rev = 7;
        cr_assert_eq(vault_repository_revision(&rev, v), VAULT_ENOTFOUND, "no repository named");
        cr_assert_eq(rev, 7);
    }
    cr_assert_eq(vault_count(NULL), 0);
    vault_free(v);
}

Test(runtime, expand_text)
{
    const char *home = sealed_home();
    vault *v = open_with(home, VAULT_OPEN_LAZY, NULL);
    vault_secret *out = NULL;
    char *toml;

    cr_assert_eq(vault_expand(&out, v, "user=admin pw=$secret{admin_password}; db=$secret{shared_db_password}$secret{api_token}"), 0, "%s", last_message());
    cr_assert_str_eq(vault_secret_str(out), "user=admin pw=admin; db=p@ss=w0rdtok-[inner]-end");
    vault_secret_free(out);
    /* Not references: no closing brace on the line, an empty alias. */
    cr_assert_eq(vault_expand(&out, v, "$secret{admin_password\n} $secret{} $secret $"), 0);
    cr_assert_str_eq(vault_secret_str(out), "$secret{admin_password\n} $secret{} $secret $");
    vault_secret_free(out);
    cr_assert_eq(vault_expand(&out, v, "secretAlias:log4j.appender.LOGEVENT.password"), 0);
    cr_assert_str_eq(vault_secret_str(out), "l\xc3\xa4uft");
    vault_secret_free(out);
    cr_assert_eq(vault_expand(&out, v, "secretAlias:api_token\r\n"), 0);
    cr_assert_str_eq(vault_secret_str(out), "tok-[inner]-end\r\n");
    vault_secret_free(out);
    cr_assert_eq(vault_expand(&out, v, "secretAlias:api_token\nmore $secret{admin_password}"), 0,
                 "not a whole value: only the reference is replaced");
    cr_assert_str_eq(vault_secret_str(out), "secretAlias:api_token\nmore admin");
    vault_secret_free(out);
    cr_assert_eq(vault_expand(&out, v, ""), 0);
    cr_assert_eq(vault_secret_len(out), 0);
    vault_secret_free(out);

    /* The product's own deployment.toml: every reference resolved. */
    toml = read_text(path_in(home, "repository/conf/deployment.toml"));
    /* Its first line, a comment, mentions "$secret{alias}": an unknown alias. */
    cr_assert_eq(vault_expand(&out, v, toml), VAULT_ENOTFOUND);
    cr_assert(strstr(last_message(), "\"alias\"") != NULL, "%s", last_message());
    cr_assert_eq(vault_expand(&out, v, strchr(toml, '\n')), 0, "%s", last_message());
    cr_assert(strstr(vault_secret_str(out), "password = \"admin\"\ncreate_admin_account") != NULL);
    cr_assert(strstr(vault_secret_str(out), "password = \"wso2carbon\"\nkey_password = \"wso2carbon\"") != NULL);
    cr_assert(strstr(vault_secret_str(out), "username = \"wso2\"\npassword = \"p@ss=w0rd\"") != NULL);
    cr_assert(strstr(vault_secret_str(out), "$secret{") == NULL);
    vault_secret_free(out);
    free(toml);
    vault_free(v);
}

Test(runtime, unknown_alias_is_an_error_naming_it)
{
    const char *home = sealed_home();
    vault *v = open_with(home, 0, NULL);
    vault_secret *s = NULL;

    cr_assert_eq(vault_get(&s, v, "no.such.alias"), VAULT_ENOTFOUND);
    cr_assert_null(s, "never the alias text as the secret");
    cr_assert(strstr(last_message(), "\"no.such.alias\"") != NULL, "%s", last_message());
    cr_assert_eq(vault_get(&s, v, "admin_passwor"), VAULT_ENOTFOUND, "prefix of an alias");
    cr_assert_eq(vault_get(&s, v, "ADMIN_PASSWORD"), VAULT_ENOTFOUND, "secret aliases are exact");
    cr_assert_eq(vault_expand(&s, v, "a $secret{admin_password} b $secret{missing.one} c"), VAULT_ENOTFOUND);
    cr_assert_null(s);
    cr_assert(strstr(last_message(), "\"missing.one\"") != NULL, "%s", last_message());
    cr_assert_eq(vault_expand(&s, v, "secretAlias:nope"), VAULT_ENOTFOUND);
    cr_assert(strstr(last_message(), "\"nope\"") != NULL);
    cr_assert_eq(vault_get(&s, NULL, "a"), VAULT_EINVAL);
    vault_free(v);
}

/* ---- XML ------------------------------------------------------------------ */

static char *remove_first(char *s, const char *what)
{
    char *p = strstr(s, what);
    if (p)
        memmove(p, p + strlen(what), strlen(p + strlen(what)) + 1);
    return p;
}

Test(runtime, expand_marked_xml_gives_back_the_original_files)
{
    const char *home = properties_home();
    vault_legacy_map *map = NULL;
    vault *v;
    size_t i;

    seal_config(path_in(home, "repository/conf/security/cipher-text.properties"));
    v = open_with(home, 0, NULL);
    cr_assert_eq(vault_legacy_map_read(&map, path_in(home, "repository/conf/security/cipher-tool.properties")), 0,
                 "%s", last_message());
    cr_assert_eq(vault_legacy_map_count(map), 4);
    for (i = 0; i < vault_legacy_map_count(map); i++) {
        const vault_legacy_entry *e;
        char *original, *marked = NULL, *resolved, attr[512];
        size_t olen, mlen;
        vault_secret *out = NULL, *old = NULL;
        cr_assert_eq(vault_legacy_map_entry_at(&e, map, i), 0);
        original = (char *)slurp(path_in(home, e->file), &olen);
        vault_xml_mark_options mo = VAULT_XML_MARK_OPTIONS_INIT;
        mo.name = e->file;
        mo.xpath = e->xpath;
        mo.attribute = e->attribute;
        mo.alias = e->alias;
        cr_assert_eq(vault_xml_mark_secret(&marked, &mlen, &old, original, olen, &mo), 0, "%s", last_message());
        cr_assert_eq(vault_expand_xml(&out, v, marked, mlen, e->file), 0, "%s", last_message());
        /* Without the marks, the resolved file is the original, byte for byte. */
        resolved = strdup(vault_secret_str(out));
        snprintf(attr, sizeof attr, " svns:secretAlias=\"%s\"", e->alias);
        cr_assert(remove_first(resolved, attr) != NULL, "%s marked", e->file);
        if (!strstr(original, "xmlns:svns"))
            cr_assert(remove_first(resolved, " xmlns:svns=\"http://org.wso2.securevault/configuration\"") != NULL);
        cr_assert_str_eq(resolved, original, "%s", e->file);
        free(resolved);
        free(original);
        vault_string_free(marked);
        vault_secret_free(old);
        vault_secret_free(out);
    }
    vault_legacy_map_free(map);
    vault_free(v);
}

Test(runtime, expand_xml_unknown_alias)
{
    const char *home = sealed_home();
    vault *v = open_with(home, 0, NULL);
    vault_secret *out = NULL;
    const char *xml = "<a xmlns:svns=\"http://org.wso2.securevault/configuration\">\n"
                      "  <p svns:secretAlias=\"admin_password\">password</p>\n"
                      "  <q svns:secretAlias=\"not.there\">password</q>\n</a>\n";
    cr_assert_eq(vault_expand_xml(&out, v, xml, strlen(xml), "t.xml"), VAULT_ENOTFOUND);
    cr_assert_null(out);
    cr_assert(strstr(last_message(), "not.there") != NULL, "%s", last_message());
    vault_free(v);
}

/* Whether a library whose file name contains name is mapped into this process. */
static int mapped(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    cr_assert_not_null(f);
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, name) != NULL;
    fclose(f);
    return found;
}

/* libxml2 (and ICU, libstdc++ behind it) is loaded on the first XML call
 * only: a server that reads TOML never maps it. This program does not link
 * it; the test runs alone in its process (Criterion forks per test). */
Test(runtime, libxml2_is_loaded_on_first_xml_use)
{
    const char *home = sealed_home();
    vault *v = open_with(home, 0, NULL);
    vault_secret *out = NULL;
    const char *xml = "<a xmlns:svns=\"http://org.wso2.securevault/configuration\">"
                      "<p svns:secretAlias=\"admin_password\">password</p></a>";

    cr_assert_not(mapped("libxml2"), "vault_open() of a TOML config loaded libxml2");
    cr_assert_eq(vault_expand_xml(&out, v, xml, strlen(xml), "t.xml"), 0, "%s", last_message());
    cr_assert(mapped("libxml2"), "the XML call did not load libxml2");
    cr_assert(strstr(vault_secret_str(out), ">") != NULL);
    vault_secret_free(out);
    vault_free(v);
}

/* ---- failures ---------------------------------------------------------------- */

/* The start of the quoted value of alias in TOML text ('' or ""). */
static char *value_of(char *text, const char *alias)
{
    char key[256], *p;
    snprintf(key, sizeof key, "\n%s = ", alias);
    p = strstr(text, key);
    cr_assert(p != NULL, "no %s", alias);
    p += strlen(key);
    cr_assert(*p == '"' || *p == '\'');
    return p + 1;
}

/* Flip one base64 character in the middle of the value of alias. */
static void tamper(const char *path, const char *alias)
{
    char *text = read_text(path), *p, *q;
    p = value_of(text, alias);
    q = strchr(p, p[-1]);
    p += (q - p) / 2;
    *p = *p == 'A' ? 'B' : 'A';
    write_text(path, text);
    free(text);
}

Test(runtime, tampered_values_fail_eager_open_naming_each_alias)
{
    const char *home = sealed_home();
    const char *toml = path_in(home, "repository/conf/deployment.toml");
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;
    const char *m;
    int rc;

    tamper(toml, "admin_password");
    tamper(toml, "api_token");
    o.config = home;
    o.password = vault_password_fixed;
    o.payload = &wso2_pw;
    rc = vault_open(&v, &o);
    cr_assert_eq(rc, VAULT_EAUTH, "%d %s", rc, last_message());
    cr_assert_null(v);
    m = last_message();
    cr_assert(strstr(m, "2 of 7") != NULL, "%s", m);
    cr_assert(strstr(m, "\"admin_password\"") != NULL, "%s", m);
    cr_assert(strstr(m, "\"api_token\"") != NULL, "%s", m);
    cr_assert(strstr(m, "\"keystore_password\"") == NULL, "%s", m);
    cr_assert(strstr(m, "deployment.toml") != NULL, "%s", m);
}

Test(runtime, tampered_value_fails_lazily_only_for_its_alias)
{
    const char *home = sealed_home();
    vault *v;
    vault_secret *s = NULL;

    tamper(path_in(home, "repository/conf/deployment.toml"), "shared_db_password");
    v = open_with(home, VAULT_OPEN_LAZY, NULL);
    assert_secret(v, "admin_password", "admin", 5);
    cr_assert_eq(vault_get(&s, v, "shared_db_password"), VAULT_EAUTH);
    cr_assert_null(s);
    cr_assert(strstr(last_message(), "\"shared_db_password\"") != NULL, "%s", last_message());
    cr_assert_eq(vault_expand(&s, v, "x=$secret{shared_db_password}"), VAULT_EAUTH);
    cr_assert(strstr(last_message(), "\"shared_db_password\"") != NULL, "%s", last_message());
    assert_secret(v, "api_token", "tok-[inner]-end", 15);
    vault_free(v);
}

Test(runtime, value_moved_to_another_alias_fails)
{
    const char *home = sealed_home();
    const char *toml = path_in(home, "repository/conf/deployment.toml");
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;
    char *text = read_text(toml), *a, *b, *ae, *be, *out;
    size_t n = strlen(text);

    /* Swap the native values of admin_password and api_token. */
    a = value_of(text, "admin_password");
    ae = strchr(a, a[-1]);
    b = value_of(text, "api_token");
    be = strchr(b, b[-1]);
    out = malloc(n + 1);
    snprintf(out, n + 1, "%.*s%.*s%.*s%.*s%s", (int)(a - text), text, (int)(be - b), b, (int)(b - ae), ae,
             (int)(ae - a), a, be);
    write_text(toml, out);
    free(out);
    free(text);
    o.config = toml;
    o.password = vault_password_fixed;
    o.payload = &wso2_pw;
    cr_assert_eq(vault_open(&v, &o), VAULT_EAUTH, "%s", last_message());
    cr_assert(strstr(last_message(), "\"admin_password\"") && strstr(last_message(), "\"api_token\""),
              "%s", last_message());
}

Test(runtime, plain_values_are_refused_unless_allowed)
{
    const char *home = copy_home("plain");
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;

    o.config = home;
    o.password = vault_password_fixed;
    o.payload = &wso2_pw;
    cr_assert_eq(vault_open(&v, &o), VAULT_EFORMAT);
    cr_assert(strstr(last_message(), "6 of 7") != NULL, "%s", last_message());
    cr_assert(strstr(last_message(), "\"admin_password\" (line 30)") != NULL, "%s", last_message());
    cr_assert(strstr(last_message(), "not sealed") != NULL, "%s", last_message());
    o.flags = VAULT_OPEN_ALLOW_PLAINTEXT;
    cr_assert_eq(vault_open(&v, &o), 0, "%s", last_message());
    assert_secret(v, "api_token", "tok-[inner]-end", 15);
    assert_secret(v, "already_sealed", "admin", 5);
    vault_free(v);
}

Test(runtime, wrong_password_and_bad_options)
{
    const char *home = sealed_home();
    vault_passwords wrong = {"not-it", NULL};
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;

    o.config = home;
    o.password = vault_password_fixed;
    o.payload = &wrong;
    cr_assert_eq(vault_open(&v, &o), VAULT_EAUTH);
    cr_assert(strstr(last_message(), "wso2carbon.jks") != NULL, "%s", last_message());
    cr_assert_null(v);
    o.config = path_in(home, "nowhere");
    cr_assert_eq(vault_open(&v, &o), VAULT_ENOTFOUND);
    o.config = NULL;
    cr_assert_eq(vault_open(&v, &o), VAULT_EINVAL);
    o.config = home;
    o.version = 99;
    cr_assert_eq(vault_open(&v, &o), VAULT_EINVAL);
    cr_assert_eq(vault_open(&v, NULL), VAULT_EINVAL);
    o.version = VAULT_OPTIONS_VERSION;
    o.keystore = path_in(home, "missing.p12");
    cr_assert_eq(vault_open(&v, &o), VAULT_ENOTFOUND);
    cr_assert(strstr(last_message(), "missing.p12") != NULL, "%s", last_message());
    vault_free(NULL);
}

/* ---- password sources ------------------------------------------------------------ */

static const char *pw_home(const char *name)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), name);
    cr_assert_eq(mkdir(dir, 0700), 0);
    return dir;
}

static void write_mode(const char *path, const char *text, mode_t mode)
{
    write_text(path, text);
    cr_assert_eq(chmod(path, mode), 0);
}

static int all_zero(const char *path, size_t want_len)
{
    size_t len, i;
    unsigned char *d = slurp(path, &len);
    int ok = len == want_len;
    for (i = 0; i < len; i++)
        ok &= d[i] == 0;
    free(d);
    return ok;
}

Test(password_sources, password_tmp_is_overwritten_then_deleted)
{
    const char *home = pw_home("tmp");
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_secret *store = NULL, *key = NULL;
    const char *tmp = path_in(home, "password-tmp"), *link_path = path_in(test_tmpdir(), "tmp-link");

    write_mode(tmp, "wso2carbon\n", 0600);
    cr_assert_eq(link(tmp, link_path), 0, "a hard link shows what was left in the file");
    src.home = home;
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0, "%s", last_message());
    cr_assert_str_eq(vault_secret_str(store), "wso2carbon");
    cr_assert_null(key);
    cr_assert_eq(access(tmp, F_OK), -1, "password-tmp deleted");
    cr_assert(all_zero(link_path, 11), "overwritten with zeros before deletion");
    vault_secret_free(store);
}

/* As carbon-kernel's DefaultSecretCallbackHandler: `password` is read and
 * renamed to `password-tmp`, which the next start reads and deletes; the
 * second line is the key password only with -Dkey.password=true. */
Test(password_sources, password_is_renamed_to_password_tmp_for_the_next_start)
{
    const char *home = pw_home("plain");
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_secret *store = NULL, *key = NULL;
    const char *pw = path_in(home, "password"), *tmp = path_in(home, "password-tmp");
    const char *link_path = path_in(test_tmpdir(), "pw-link");
    char *moved;

    write_mode(pw, "store-pw\nkey-pw\n", 0600);
    cr_assert_eq(link(pw, link_path), 0);
    src.home = home;
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0, "%s", last_message());
    cr_assert_str_eq(vault_secret_str(store), "store-pw");
    cr_assert_null(key, "without VAULT_PASSWORD_HOME_KEY_LINE the first line is both passwords");
    cr_assert_eq(access(pw, F_OK), -1, "password moved away");
    moved = read_text(tmp);
    cr_assert_str_eq(moved, "store-pw\nkey-pw\n", "to password-tmp, as it was");
    free(moved);
    vault_secret_free(store);

    src.flags = VAULT_PASSWORD_HOME_KEY_LINE;
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0, "%s", last_message());
    cr_assert_str_eq(vault_secret_str(store), "store-pw");
    cr_assert_str_eq(vault_secret_str(key), "key-pw", "the second line is the key password");
    cr_assert_eq(access(tmp, F_OK), -1, "the next start deletes password-tmp");
    cr_assert(all_zero(link_path, 16));
    vault_secret_free(store);
    vault_secret_free(key);

    write_mode(tmp, "store-pw\n", 0600);
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), VAULT_EFORMAT);
    cr_assert(strstr(last_message(), "no second line") != NULL, "%s", last_message());
    cr_assert_null(store);
    src.flags = VAULT_PASSWORD_HOME_PERSIST;
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0, "%s", last_message());
    cr_assert_eq(access(tmp, F_OK), 0, "-Dpersist.password=true: kept");
    vault_secret_free(store);
    src.flags = 8;
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), VAULT_EINVAL);
}

Test(password_sources, password_persist_is_kept)
{
    const char *home = pw_home("persist");
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_secret *store = NULL;
    const char *p = path_in(home, "password-persist");
    char *after;

    write_mode(p, "kept-pw\r\n", 0400);
    src.home = home;
    cr_assert_eq(vault_password_from_sources(&store, NULL, &src), 0, "%s", last_message());
    cr_assert_str_eq(vault_secret_str(store), "kept-pw");
    after = read_text(p);
    cr_assert_str_eq(after, "kept-pw\r\n");
    free(after);
    vault_secret_free(store);
}

Test(password_sources, readable_by_others_is_refused_showing_the_mode)
{
    const char *home = pw_home("open");
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_secret *store = NULL;
    const char *pw = path_in(home, "password");

    write_mode(pw, "pw\n", 0644);
    src.home = home;
    cr_assert_eq(vault_password_from_sources(&store, NULL, &src), VAULT_EPERM);
    cr_assert_null(store);
    cr_assert(strstr(last_message(), "0644") != NULL, "%s", last_message());
    cr_assert_eq(access(pw, F_OK), 0, "left where it was");
    write_mode(path_in(home, "password-persist"), "pw\n", 0640);
    cr_assert_eq(unlink(pw), 0);
    cr_assert_eq(vault_password_from_sources(&store, NULL, &src), VAULT_EPERM);
    cr_assert(strstr(last_message(), "0640") != NULL, "%s", last_message());
}

static int callback_calls;

static int test_callback(vault_secret **out, vault_password_kind kind, const char *path, const char *alias,
                         void *payload)
{
    (void)path;
    (void)alias;
    callback_calls++;
    if (!payload || kind == VAULT_PASSWORD_KEY)
        return VAULT_ENOTFOUND;
    return vault_secret_new(out, payload, strlen(payload));
}

Test(password_sources, order_callback_fd_home_credentials_env)
{
    const char *home = pw_home("order"), *creds = pw_home("creds");
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_secret *store = NULL, *key = NULL;
    int fds[2];

    write_mode(path_in(home, "password-persist"), "from-home\n", 0600);
    write_mode(path_in(creds, "keystore-password"), "from-creds\n", 0400);
    write_mode(path_in(creds, "keystore-key-password"), "creds-key\n", 0400);
    setenv("VAULT_TEST_PW", "from-env", 1);
    src.home = home;
    src.credentials_dir = creds;
    src.env = "VAULT_TEST_PW";
    src.callback = test_callback;
    src.payload = (void *)"from-callback";
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0);
    cr_assert_str_eq(vault_secret_str(store), "from-callback");
    cr_assert_null(key);
    vault_secret_free(store);

    src.payload = NULL; /* the callback has nothing: the next source */
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], "from-fd\nrest", 12), 12);
    src.fd = fds[0];
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0);
    cr_assert_str_eq(vault_secret_str(store), "from-fd");
    vault_secret_free(store);
    close(fds[0]);
    close(fds[1]);

    src.fd = -1;
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0);
    cr_assert_str_eq(vault_secret_str(store), "from-home");
    vault_secret_free(store);

    src.home = NULL;
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0);
    cr_assert_str_eq(vault_secret_str(store), "from-creds");
    cr_assert_str_eq(vault_secret_str(key), "creds-key");
    vault_secret_free(store);
    vault_secret_free(key);

    src.credentials_dir = NULL; /* $CREDENTIALS_DIRECTORY only when opted in */
    setenv("CREDENTIALS_DIRECTORY", creds, 1);
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0);
    cr_assert_str_eq(vault_secret_str(store), "from-env");
    vault_secret_free(store);
    src.use_credentials_env = 1;
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), 0);
    cr_assert_str_eq(vault_secret_str(store), "from-creds");
    vault_secret_free(store);
    vault_secret_free(key);

    src.use_credentials_env = 0;
    src.env = NULL; /* a variable is read only when named */
    cr_assert_eq(vault_password_from_sources(&store, &key, &src), VAULT_ENOTFOUND);
    cr_assert(strstr(last_message(), "no password source") != NULL, "%s", last_message());
    cr_assert(callback_calls >= 5);
}

/* In a child without a controlling terminal and with stdin from /dev/null,
 * asking with the terminal allowed must fail at once, not hang. */
Test(password_sources, no_source_and_no_terminal_fails_instead_of_hanging)
{
    pid_t pid = fork();
    int status;

    cr_assert(pid >= 0);
    if (pid == 0) {
        vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
        vault_secret *store = NULL;
        int fd = open("/dev/null", O_RDONLY), rc;
        alarm(10);
        if (setsid() < 0 || fd < 0 || dup2(fd, 0) < 0)
            _exit(10);
        src.allow_terminal = 1;
        rc = vault_password_from_sources(&store, NULL, &src);
        if (rc != VAULT_ENOTFOUND)
            _exit(11);
        if (!strstr(last_message(), "no password source"))
            _exit(12);
        if (vault_password_from_terminal(&store, "pw: ") != VAULT_ENOTFOUND)
            _exit(13);
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "the child hung or crashed (signal %d)", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    cr_assert_eq(WEXITSTATUS(status), 0, "child status %d", WEXITSTATUS(status));
}

Test(password_sources, vault_open_with_root_password_file)
{
    const char *home = sealed_home();
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;

    write_mode(path_in(home, "password-tmp"), "wso2carbon\n", 0600);
    src.home = home;
    o.config = home;
    o.password_sources = &src;
    cr_assert_eq(vault_open(&v, &o), 0, "%s", last_message());
    cr_assert_eq(access(path_in(home, "password-tmp"), F_OK), -1);
    assert_secret(v, "shared_db_password", "p@ss=w0rd", 9);
    vault_free(v);
    /* Read once: the next start has no password. */
    cr_assert_eq(vault_open(&v, &o), VAULT_ENOTFOUND);
    cr_assert(strstr(last_message(), "no password source") != NULL, "%s", last_message());
}

Test(password_sources, provider_answers_store_and_key_from_one_read)
{
    const char *home = pw_home("provider");
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_password_provider *p = NULL;
    vault_secret *s = NULL;

    write_mode(path_in(home, "password-tmp"), "s-pw\nk-pw\n", 0600);
    src.home = home;
    src.flags = VAULT_PASSWORD_HOME_KEY_LINE;
    cr_assert_eq(vault_password_provider_new(&p, &src), 0);
    cr_assert_eq(vault_password_provider_cb(&s, VAULT_PASSWORD_STORE, "ks", NULL, p), 0);
    cr_assert_str_eq(vault_secret_str(s), "s-pw");
    vault_secret_free(s);
    cr_assert_eq(vault_password_provider_cb(&s, VAULT_PASSWORD_KEY, "ks", "a", p), 0);
    cr_assert_str_eq(vault_secret_str(s), "k-pw");
    vault_secret_free(s);
    cr_assert_eq(vault_password_provider_cb(&s, VAULT_PASSWORD_STORE, "ks", NULL, p), 0, "cached");
    vault_secret_free(s);
    vault_password_provider_free(p);
    vault_password_provider_free(NULL);
}

/* ---- guarded memory ------------------------------------------------------------- */

static vault_secret *a_secret(vault **vout)
{
    const char *home = sealed_home();
    vault_secret *s = NULL;
    *vout = open_with(home, 0, NULL);
    cr_assert_eq(vault_get(&s, *vout, "api_token"), 0);
    return s;
}

/* The write happens in a child, so that the set-up (which needs the shared
 * test material, and may skip) runs in the test itself. */
static void expect_segv(void (*write_to)(vault_secret *))
{
    vault *v;
    vault_secret *s = a_secret(&v);
    int status = 0;
    pid_t pid = fork();

    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        write_to(s);
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
              "the write did not fault (status 0x%x)", status);
    vault_secret_free(s);
    vault_free(v);
}

static void write_one_past_the_end(vault_secret *s)
{
    unsigned char *p = (unsigned char *)vault_secret_data(s);
    p[vault_secret_len(s) + 1] = 1;
}

static void write_first_byte(vault_secret *s)
{
    ((unsigned char *)vault_secret_data(s))[0] = 'x';
}

Test(guarded, write_one_past_the_end_dies)
{
    expect_segv(write_one_past_the_end);
}

Test(guarded, secrets_are_read_only)
{
    expect_segv(write_first_byte);
}

/* The kernel's view: the mapping holding a secret is excluded from core
 * dumps ("dd" in /proc/self/smaps VmFlags). */
Test(guarded, excluded_from_core_dumps)
{
    vault *v;
    vault_secret *s = a_secret(&v);
    uintptr_t addr = (uintptr_t)vault_secret_data(s);
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[1024];
    int in_mapping = 0, checked = 0;

    cr_assert(f != NULL);
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %4s ", &lo, &hi, perms) == 3) {
            in_mapping = addr >= lo && addr < hi;
            continue;
        }
        if (in_mapping && strncmp(line, "VmFlags:", 8) == 0) {
            cr_assert(strstr(line, " dd") != NULL, "no MADV_DONTDUMP: %s", line);
            checked = 1;
        }
    }
    fclose(f);
    cr_assert(checked, "mapping of the secret not found");
    vault_secret_free(s);
    vault_free(v);
}

/* Wiping on free, seen at the last moment: libsodium hands the pages back
 * with munmap(); this executable's munmap() (interposed) looks for the
 * secret in them first. The region is read through process_vm_readv so
 * that an unreadable page is skipped instead of crashing. */
static const unsigned char *watch_marker;
static size_t watch_marker_len;
static int watch_unmaps, watch_found;
static uintptr_t watch_addr;
static int watch_addr_unmapped;

static int region_holds(const void *addr, size_t len, const unsigned char *m, size_t mlen)
{
    static unsigned char page[1 << 16];
    size_t off;
    for (off = 0; off < len; off += sizeof page - mlen) {
        struct iovec local = {page, sizeof page}, remote = {(char *)addr + off, sizeof page};
        ssize_t got;
        if (len - off < sizeof page)
            local.iov_len = remote.iov_len = len - off;
        got = syscall(SYS_process_vm_readv, getpid(), &local, 1, &remote, 1, 0);
        if (got > 0 && memmem(page, (size_t)got, m, mlen))
            return 1;
        if (len - off <= sizeof page)
            break;
    }
    return 0;
}

int munmap(void *addr, size_t len);
int munmap(void *addr, size_t len)
{
    if (watch_marker) {
        watch_unmaps++;
        if (watch_addr >= (uintptr_t)addr && watch_addr < (uintptr_t)addr + len)
            watch_addr_unmapped = 1;
        if (region_holds(addr, len, watch_marker, watch_marker_len))
            watch_found++;
    }
    return (int)syscall(SYS_munmap, addr, len);
}

/* A secret from vault_get() shares the vault's guarded storage: freeing it
 * hands nothing back; vault_free() then wipes and unmaps the storage. */
Test(guarded, free_wipes_before_the_pages_go_back)
{
    static const unsigned char marker[] = "tok-[inner]-end";
    vault *v;
    vault_secret *s = a_secret(&v);
    unsigned char *probe;

    /* Control: a mapping that still holds the marker is seen. */
    probe = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(probe != MAP_FAILED);
    memcpy(probe + 100, marker, sizeof marker - 1);
    watch_marker = marker;
    watch_marker_len = sizeof marker - 1;
    munmap(probe, 4096);
    cr_assert_eq(watch_found, 1, "the probe must see an unwiped region");

    watch_found = 0;
    watch_unmaps = 0;
    watch_addr = (uintptr_t)vault_secret_data(s);
    vault_secret_free(s);
    cr_assert_not(watch_addr_unmapped, "the vault still holds the secret's storage");
    vault_free(v);
    cr_assert(watch_addr_unmapped, "the secrets' storage was not handed back through munmap");
    cr_assert(watch_unmaps >= 1, "the secrets' guarded storage is unmapped (%d)", watch_unmaps);
    cr_assert_eq(watch_found, 0, "vault_free left a secret in memory");
    watch_marker = NULL;
}

/* The other order: the secret outlives the vault, unchanged; the secrets no
 * one holds are wiped at vault_free(), the held one when it is freed. */
Test(guarded, a_held_secret_outlives_the_vault)
{
    static const unsigned char other[] = "p@ss=w0rd";
    vault *v;
    vault_secret *s = a_secret(&v), *t = NULL;
    uintptr_t addr = (uintptr_t)vault_secret_data(s);

    cr_assert_eq(vault_get(&t, v, "shared_db_password"), 0);
    cr_assert(region_holds((void *)(addr & ~(uintptr_t)4095), 3 * 4096, other, sizeof other - 1),
              "control: the other secret sits beside this one");
    vault_secret_free(t);
    watch_marker = (const unsigned char *)"tok-[inner]-end";
    watch_marker_len = strlen((const char *)watch_marker);
    watch_addr = addr;
    watch_addr_unmapped = 0;
    watch_found = 0;
    vault_free(v);
    cr_assert_not(watch_addr_unmapped, "a held secret's storage stays mapped");
    cr_assert_str_eq(vault_secret_str(s), "tok-[inner]-end");
    cr_assert_not(region_holds((void *)(addr & ~(uintptr_t)4095), 3 * 4096, other, sizeof other - 1),
                  "vault_free left a secret no one holds in memory");
    vault_secret_free(s);
    cr_assert(watch_addr_unmapped, "the last holder hands the storage back");
    cr_assert_eq(watch_found, 0, "the held secret was not wiped");
    watch_marker = NULL;
}

/* ---- threads --------------------------------------------------------------------- */

typedef struct thread_arg {
    const vault *v;
    int ok;
} thread_arg;

static const struct {
    const char *alias;
    const char *value;
} sealed_values[] = {
    {"admin_password", "admin"},
    {"keystore_password", "wso2carbon"},
    {"truststore_password", "wso2carbon"},
    {"shared_db_password", "p@ss=w0rd"},
    {"log4j.appender.LOGEVENT.password", "l\xc3\xa4uft"},
    {"api_token", "tok-[inner]-end"},
    {"already_sealed", "admin"},
};

static void *reader(void *p)
{
    thread_arg *a = p;
    int round;
    size_t i;
    for (round = 0; round < 50; round++) {
        for (i = 0; i < 7; i++) {
            size_t k = (i + (size_t)round) % 7;
            vault_secret *s = NULL;
            if (vault_get(&s, a->v, sealed_values[k].alias) == 0 &&
                strcmp(vault_secret_str(s), sealed_values[k].value) == 0)
                a->ok++;
            vault_secret_free(s);
        }
        {
            vault_secret *s = NULL;
            if (vault_expand(&s, a->v, "$secret{api_token}/$secret{admin_password}") == 0 &&
                strcmp(vault_secret_str(s), "tok-[inner]-end/admin") == 0)
                a->ok++;
            vault_secret_free(s);
        }
    }
    return NULL;
}

static void run_threads(unsigned int flags)
{
    const char *home = sealed_home();
    vault *v = open_with(home, flags, NULL);
    pthread_t t[8];
    thread_arg args[8];
    int i;
    for (i = 0; i < 8; i++) {
        args[i].v = v;
        args[i].ok = 0;
        cr_assert_eq(pthread_create(&t[i], NULL, reader, &args[i]), 0);
    }
    for (i = 0; i < 8; i++) {
        cr_assert_eq(pthread_join(t[i], NULL), 0);
        cr_assert_eq(args[i].ok, 50 * 8, "thread %d: %d of %d right", i, args[i].ok, 50 * 8);
    }
    vault_free(v);
}

Test(threads, eight_readers_lazy)
{
    run_threads(VAULT_OPEN_LAZY);
}

Test(threads, eight_readers_eager)
{
    run_threads(0);
}
