/* SPDX-License-Identifier: Apache-2.0 */
/* PKCS#12 reader: Java 17 and OpenSSL files checked against keytool, a Java
 * KeyStore program and the openssl command line. */
#include "internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIXTURE_PW "wso2carbon"

/* Short-lived JVMs start faster without the optimising compiler. */
#define JVM_FAST_JAVA "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
#define JVM_FAST "-J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC"


/* A random printable ASCII suffix, so that each run uses fresh passwords. */
static const char *random_suffix(void)
{
    static char buf[8][17];
    static int next;
    char *out = buf[next++ % 8];
    unsigned char r[8];
    FILE *f = fopen("/dev/urandom", "rb");
    cr_assert(f && fread(r, 1, sizeof r, f) == sizeof r);
    fclose(f);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    return out;
}

static unsigned char *unhex(const char *hex, size_t n, size_t *len)
{
    unsigned char *out = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned int b;
        cr_assert_eq(sscanf(hex + 2 * i, "%2x", &b), 1);
        out[i] = (unsigned char)b;
    }
    *len = n / 2;
    return out;
}

static int open_with(vault_keystore **ks, const char *path, vault_password_cb cb, void *payload,
                     vault_keystore_type type)
{
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    o.password = cb;
    o.payload = payload;
    o.type = type;
    return vault_keystore_open(ks, path, &o);
}

/* Passwords must outlive the keystore (keys are unlocked on first use). */
static int open_ks(vault_keystore **ks, const char *path, const char *store, const char *key)
{
    static vault_passwords pw[32];
    static int next;
    vault_passwords *p = &pw[next++ % 32];
    p->store = store;
    p->key = key;
    return open_with(ks, path, vault_password_fixed, p, VAULT_KEYSTORE_AUTO);
}

static void assert_cert(vault_keystore *ks, const char *alias, size_t idx, const unsigned char *der,
                        size_t len)
{
    const unsigned char *d = NULL;
    size_t l = 0;
    cr_assert_eq(vault_keystore_cert_der(&d, &l, ks, alias, idx), 0, "%s", test_errmsg());
    cr_assert_eq(l, len, "alias %s cert %zu: %zu bytes, expected %zu", alias, idx, l, len);
    cr_assert(memcmp(d, der, len) == 0, "alias %s cert %zu differs", alias, idx);
}

static void assert_spki(vault_keystore *ks, const char *alias, const unsigned char *der, size_t len)
{
    unsigned char *d = NULL;
    size_t l = 0;
    cr_assert_eq(vault_keystore_public_key_der(&d, &l, ks, alias), 0, "%s", test_errmsg());
    cr_assert_eq(l, len, "alias %s: public key of %zu bytes, expected %zu", alias, l, len);
    cr_assert(memcmp(d, der, len) == 0, "alias %s: public key differs", alias);
    vault_string_free((char *)d);
}

static const vault_keystore_entry *find(vault_keystore *ks, const char *alias)
{
    const vault_keystore_entry *e = NULL;
    cr_assert_eq(vault_keystore_find(&e, ks, alias), 0, "%s", test_errmsg());
    return e;
}

/* ---- Java 17 fixtures ---------------------------------------------------- */

/* identity.p12 and identity-legacy.p12 hold the same RSA key and certificate. */
static void check_identity(const char *name, const char *openssl_opts)
{
    const char *path = shared_path(name);
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    unsigned char *pem, *spki, *cer;
    size_t len, spki_len, cer_len;
    der_list certs;

    cr_assert_eq(open_ks(&ks, path, FIXTURE_PW, NULL), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_get_type(ks), VAULT_KEYSTORE_PKCS12);
    cr_assert_eq(vault_keystore_count(ks), 1);
    e = find(ks, "WSO2Carbon");
    cr_assert_str_eq(e->alias, "wso2carbon");
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    cr_assert_str_eq(e->key_algorithm, "RSA");
    cr_assert_eq(e->key_bits, 2048);
    cr_assert_eq(e->chain_length, 1);

    pem = test_sh_out(&len, "openssl pkcs12 -in '%s' -nokeys -passin pass:" FIXTURE_PW " %s", path,
                 openssl_opts);
    pem_split((char *)pem, &certs);
    cr_assert_eq(certs.n, 1);
    assert_cert(ks, "wso2carbon", 0, certs.der[0], certs.len[0]);
    cer = slurp(shared_path("fixtures/java/identity.cer"), &cer_len);
    assert_cert(ks, NULL, 0, cer, cer_len);

    spki = test_sh_out(&spki_len, "openssl pkcs12 -in '%s' -nocerts -nodes -passin pass:" FIXTURE_PW
                  " %s | openssl pkey -pubout -outform DER", path, openssl_opts);
    assert_spki(ks, "wso2carbon", spki, spki_len);

    der_list_free(&certs);
    free(pem);
    free(spki);
    free(cer);
    vault_keystore_free(ks);
}

Test(pkcs12_java, identity_modern)
{
    check_identity("fixtures/java/identity.p12", "");
}

Test(pkcs12_java, identity_legacy_rc2_3des)
{
    check_identity("fixtures/java/identity-legacy.p12", "-legacy");
}

static const char *java_source =
    "import java.io.*;\n"
    "import java.nio.charset.StandardCharsets;\n"
    "import java.nio.file.*;\n"
    "import java.security.*;\n"
    "import java.security.cert.Certificate;\n"
    "import java.util.*;\n"
    "import javax.crypto.*;\n"
    "public class KsTool {\n"
    "  static char[] pw(String f) throws Exception {\n"
    "    return new String(Files.readAllBytes(Paths.get(f)), StandardCharsets.UTF_8).toCharArray();\n"
    "  }\n"
    "  static String hex(byte[] b) {\n"
    "    StringBuilder s = new StringBuilder();\n"
    "    for (byte x : b) s.append(String.format(\"%02x\", x));\n"
    "    return s.toString();\n"
    "  }\n"
    "  static char[] keyPw(String dir, String alias, char[] dflt) throws Exception {\n"
    "    Path p = dir == null ? null : Paths.get(dir, alias.toLowerCase(Locale.ROOT));\n"
    "    return p != null && Files.exists(p) ? pw(p.toString()) : dflt;\n"
    "  }\n"
    "  static KeyStore load(String path, char[] spw) throws Exception {\n"
    "    KeyStore ks = KeyStore.getInstance(\"PKCS12\");\n"
    "    try (InputStream in = new FileInputStream(path)) { ks.load(in, spw); }\n"
    "    return ks;\n"
    "  }\n"
    "  static void dump(KeyStore ks, char[] spw, String dir) throws Exception {\n"
    "    for (String alias : Collections.list(ks.aliases())) {\n"
    "      if (ks.isKeyEntry(alias)) {\n"
    "        Key k = ks.getKey(alias, keyPw(dir, alias, spw));\n"
    "        System.out.println(\"entry\\t\" + alias + \"\\t\" + k.getAlgorithm());\n"
    "        if (k instanceof SecretKey) System.out.println(\"secret\\t\" + alias + \"\\t\" + hex(k.getEncoded()));\n"
    "        Certificate[] chain = ks.getCertificateChain(alias);\n"
    "        for (int i = 0; chain != null && i < chain.length; i++)\n"
    "          System.out.println(\"cert\\t\" + alias + \"\\t\" + i + \"\\t\" + hex(chain[i].getEncoded()));\n"
    "        if (chain != null) System.out.println(\"pub\\t\" + alias + \"\\t\" + hex(chain[0].getPublicKey().getEncoded()));\n"
    "      } else {\n"
    "        System.out.println(\"entry\\t\" + alias + \"\\ttrusted\");\n"
    "        System.out.println(\"cert\\t\" + alias + \"\\t0\\t\" + hex(ks.getCertificate(alias).getEncoded()));\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "  /* dump STORE PWFILE [KEYPWDIR] | rebuild SRC SRCPW DST DSTPW KEYPWDIR */\n"
    "  public static void main(String[] a) throws Exception {\n"
    "    if (a[0].equals(\"dump\")) {\n"
    "      char[] spw = pw(a[2]);\n"
    "      dump(load(a[1], spw), spw, a.length > 3 ? a[3] : null);\n"
    "      return;\n"
    "    }\n"
    "    char[] spw = pw(a[2]), dpw = pw(a[4]);\n"
    "    KeyStore src = load(a[1], spw), dst = KeyStore.getInstance(\"PKCS12\");\n"
    "    dst.load(null, dpw);\n"
    "    for (String alias : Collections.list(src.aliases())) {\n"
    "      if (src.isKeyEntry(alias))\n"
    "        dst.setKeyEntry(alias, src.getKey(alias, spw), keyPw(a[5], alias, dpw), src.getCertificateChain(alias));\n"
    "      else\n"
    "        dst.setCertificateEntry(alias, src.getCertificate(alias));\n"
    "    }\n"
    "    String[][] secrets = {{\"aes256\", \"AES\", \"256\"}, {\"aes128\", \"AES\", \"128\"}, {\"hmac\", \"HmacSHA256\", \"256\"}};\n"
    "    for (String[] s : secrets) {\n"
    "      KeyGenerator kg = KeyGenerator.getInstance(s[1]);\n"
    "      kg.init(Integer.parseInt(s[2]));\n"
    "      dst.setEntry(s[0], new KeyStore.SecretKeyEntry(kg.generateKey()),\n"
    "                   new KeyStore.PasswordProtection(keyPw(a[5], s[0], dpw)));\n"
    "    }\n"
    "    try (OutputStream out = new FileOutputStream(a[3])) { dst.store(out, dpw); }\n"
    "    dump(load(a[3], dpw), dpw, a[5]);\n"
    "  }\n"
    "}\n";

static unsigned char *run_java(const char *args)
{
    size_t len;
    cr_assert(have_program("java"), "java is required (openjdk-17-jdk-headless)");
    test_write_text("KsTool.java", java_source);
    return test_sh_out(&len, "java " JVM_FAST_JAVA " KsTool.java %s", args);
}

/* Java's algorithm names as this library reports them. */
static const char *our_algorithm(const char *java)
{
    return strcmp(java, "EdDSA") == 0 ? "Ed25519" : java;
}

/* Check every line the Java program printed against the keystore. */
static void check_against_java(vault_keystore *ks, char *out)
{
    size_t entries = 0, certs = 0;
    char *save = NULL, *line;

    for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[4] = {0};
        char *s2 = NULL, *tok = strtok_r(line, "\t", &s2);
        for (int i = 0; tok && i < 4; i++, tok = strtok_r(NULL, "\t", &s2))
            f[i] = tok;
        cr_assert_not_null(f[2], "short line from Java");
        const vault_keystore_entry *e = find(ks, f[1]);
        unsigned char *bytes;
        size_t n;
        if (strcmp(f[0], "entry") == 0) {
            entries++;
            certs = 0;
            if (strcmp(f[2], "trusted") == 0) {
                cr_assert_eq(e->kind, VAULT_ENTRY_TRUSTED_CERT, "%s", f[1]);
                cr_assert_eq(e->chain_length, 1);
            } else if (e->kind == VAULT_ENTRY_SECRET_KEY) {
                vault_secret *s = NULL;
                cr_assert_eq(vault_keystore_secret_key(&s, ks, f[1]), 0, "%s", test_errmsg());
                vault_secret_free(s);
                e = find(ks, f[1]);
                cr_assert_str_eq(e->key_algorithm, f[2], "%s", f[1]);
            } else {
                cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY, "%s", f[1]);
                cr_assert_str_eq(e->key_algorithm, our_algorithm(f[2]), "%s", f[1]);
            }
        } else if (strcmp(f[0], "secret") == 0) {
            vault_secret *s = NULL;
            bytes = unhex(f[2], strlen(f[2]), &n);
            cr_assert_eq(vault_keystore_secret_key(&s, ks, f[1]), 0, "%s", test_errmsg());
            cr_assert_eq(vault_secret_len(s), n, "%s", f[1]);
            cr_assert(memcmp(vault_secret_data(s), bytes, n) == 0, "%s: key bytes differ", f[1]);
            cr_assert_eq(e->key_bits, n * 8);
            vault_secret_free(s);
            free(bytes);
        } else if (strcmp(f[0], "cert") == 0) {
            cr_assert_not_null(f[3]);
            bytes = unhex(f[3], strlen(f[3]), &n);
            assert_cert(ks, f[1], (size_t)atoi(f[2]), bytes, n);
            certs++;
            free(bytes);
        } else if (strcmp(f[0], "pub") == 0) {
            cr_assert_eq(e->chain_length, certs, "%s: chain of %zu, Java has %zu", f[1],
                         e->chain_length, certs);
            bytes = unhex(f[2], strlen(f[2]), &n);
            assert_spki(ks, f[1], bytes, n);
            free(bytes);
        }
    }
    cr_assert_eq(vault_keystore_count(ks), entries);
}

Test(pkcs12_java, internal_aes_secret_key)
{
    const char *path = shared_path("fixtures/java/internal.p12");
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    vault_secret *key = NULL;
    unsigned char *out;
    char cmd[4200];

    cr_assert_eq(open_ks(&ks, path, FIXTURE_PW, NULL), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 1);
    e = find(ks, NULL);
    cr_assert_eq(e->kind, VAULT_ENTRY_SECRET_KEY);
    cr_assert_eq(e->chain_length, 0);
    cr_assert_eq(vault_keystore_secret_key(&key, ks, "wso2carbon"), 0, "%s", test_errmsg());
    cr_assert_eq(vault_secret_len(key), 32);
    e = find(ks, "wso2carbon");
    cr_assert_str_eq(e->key_algorithm, "AES");
    cr_assert_eq(e->key_bits, 256);
    vault_secret_free(key);

    test_write_text("pw", FIXTURE_PW);
    snprintf(cmd, sizeof cmd, "dump '%s' pw", path);
    out = run_java(cmd);
    cr_assert(strstr((char *)out, "secret\twso2carbon\t") != NULL, "%s", out);
    check_against_java(ks, (char *)out);
    free(out);
    vault_keystore_free(ks);
}

Test(pkcs12_java, signed_chain_leaf_first)
{
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    der_list leaf, inter, root;
    unsigned char *spki;
    size_t spki_len;

    pem_file_split(shared_path("fixtures/java/signed.pem"), &leaf);
    pem_file_split(shared_path("fixtures/java/inter.pem"), &inter);
    pem_file_split(shared_path("fixtures/java/root.pem"), &root);
    cr_assert_eq(open_ks(&ks, shared_path("fixtures/java/signed.p12"), FIXTURE_PW, NULL), 0, "%s",
                 test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 1);
    e = find(ks, "SIGNED");
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    cr_assert_eq(e->chain_length, 3);
    cr_assert_str_eq(e->subject, "CN=server.example.test");
    assert_cert(ks, "signed", 0, leaf.der[0], leaf.len[0]);
    assert_cert(ks, "signed", 1, inter.der[0], inter.len[0]);
    assert_cert(ks, "signed", 2, root.der[0], root.len[0]);
    spki = test_sh_out(&spki_len, "openssl pkcs12 -in '%s' -nocerts -nodes -passin pass:" FIXTURE_PW
                  " | openssl pkey -pubout -outform DER", shared_path("fixtures/java/signed.p12"));
    assert_spki(ks, "signed", spki, spki_len);
    free(spki);
    der_list_free(&leaf);
    der_list_free(&inter);
    der_list_free(&root);
    vault_keystore_free(ks);
}

/* keytool -list shows two entries: the root's copy that Java adds for the
 * intermediate's chain (named, no localKeyId, no trust attribute) is not
 * one. */
Test(pkcs12_java, ca_two_key_entries)
{
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    der_list inter, root;

    pem_file_split(shared_path("fixtures/java/inter.pem"), &inter);
    pem_file_split(shared_path("fixtures/java/root.pem"), &root);
    cr_assert_eq(open_ks(&ks, shared_path("fixtures/java/ca.p12"), FIXTURE_PW, NULL), 0, "%s",
                 test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 2);
    e = find(ks, "inter");
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    cr_assert_eq(e->chain_length, 2);
    assert_cert(ks, "inter", 0, inter.der[0], inter.len[0]);
    assert_cert(ks, "inter", 1, root.der[0], root.len[0]);
    e = find(ks, "root");
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    cr_assert_eq(e->chain_length, 1);
    assert_cert(ks, "root", 0, root.der[0], root.len[0]);
    /* Two key entries: the alias is required. */
    cr_assert_eq(vault_keystore_find(&e, ks, NULL), VAULT_ENOTFOUND);
    cr_assert(strstr(test_errmsg(), "\"inter\"") && strstr(test_errmsg(), "\"root\""), "%s", test_errmsg());
    der_list_free(&inter);
    der_list_free(&root);
    vault_keystore_free(ks);
}

Test(pkcs12_java, truststore_trusted_entry)
{
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    unsigned char *der = NULL;
    size_t len;
    der_list root;

    pem_file_split(shared_path("fixtures/java/root.pem"), &root);
    cr_assert_eq(open_ks(&ks, shared_path("fixtures/java/client-truststore.p12"), FIXTURE_PW, NULL),
                 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 1);
    e = find(ks, "ExampleRoot");
    cr_assert_str_eq(e->alias, "exampleroot");
    cr_assert_eq(e->kind, VAULT_ENTRY_TRUSTED_CERT);
    cr_assert_str_eq(e->subject, "CN=Example Root CA");
    assert_cert(ks, "exampleroot", 0, root.der[0], root.len[0]);
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "exampleroot"), VAULT_EINVAL);
    der_list_free(&root);
    vault_keystore_free(ks);
}

Test(pkcs12_java, wrong_store_password_names_file)
{
    static const char *const files[] = {"identity.p12", "identity-legacy.p12", "internal.p12",
                                        "ca.p12", "signed.p12", "client-truststore.p12"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[256];
        vault_keystore *ks = NULL;
        snprintf(rel, sizeof rel, "fixtures/java/%s", files[i]);
        cr_assert_eq(open_ks(&ks, shared_path(rel), "wso2carbom", NULL), VAULT_EAUTH, "%s", files[i]);
        cr_assert_null(ks);
        cr_assert(strstr(test_errmsg(), files[i]) != NULL, "%s", test_errmsg());
        cr_assert(strstr(test_errmsg(), "wrong store password, or the keystore was tampered with"), "%s",
                  test_errmsg());
        cr_assert(strstr(test_errmsg(), "wso2carbo") == NULL, "password in message: %s", test_errmsg());
    }
}

Test(pkcs12_java, wrong_key_password)
{
    vault_keystore *ks = NULL;
    unsigned char *der = NULL;
    size_t len;
    cr_assert_eq(open_ks(&ks, shared_path("fixtures/java/identity.p12"), FIXTURE_PW, "nope"), 0);
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "wso2carbon"), VAULT_EAUTH);
    cr_assert(strstr(test_errmsg(), "\"wso2carbon\"") && strstr(test_errmsg(), "identity.p12"), "%s", test_errmsg());
    vault_keystore_free(ks);
    cr_assert_eq(open_ks(&ks, shared_path("fixtures/java/internal.p12"), FIXTURE_PW, "nope"), 0);
    vault_secret *s = NULL;
    cr_assert_eq(vault_keystore_secret_key(&s, ks, NULL), VAULT_EAUTH);
    cr_assert_null(s);
    vault_keystore_free(ks);
}

/* ---- made by keytool and Java's KeyStore API at test time ---------------- */

typedef struct key_passwords {
    const char *store;
    const char *dir; /* key password of alias A in dir/lower(A), if that exists */
    int wrong;       /* answer a wrong key password instead */
} key_passwords;

static int per_alias_cb(vault_secret **out, vault_password_kind kind, const char *path,
                        const char *alias, void *payload)
{
    const key_passwords *k = payload;
    char file[4096], lower[256];
    size_t i, len;
    (void)path;
    if (kind == VAULT_PASSWORD_STORE)
        return vault_secret_new(out, k->store, strlen(k->store));
    for (i = 0; alias[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)(alias[i] >= 'A' && alias[i] <= 'Z' ? alias[i] + 32 : alias[i]);
    lower[i] = '\0';
    snprintf(file, sizeof file, "%s/%s", k->dir, lower);
    if (access(file, R_OK) != 0)
        return VAULT_ENOTFOUND;
    if (k->wrong)
        return vault_secret_new(out, "wrong", 5);
    unsigned char *pw = slurp(file, &len);
    int rc = vault_secret_new(out, pw, len);
    free(pw);
    return rc;
}

Test(pkcs12_java, keytool_and_keystore_api)
{
    static char store[64], dst_store[64];
    static key_passwords kp, wrong;
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    unsigned char *out, *der = NULL;
    size_t len;
    der_list root;

    cr_assert(have_program("keytool"), "keytool is required (openjdk-17-jdk-headless)");
    /* Java 17 refuses non-ASCII passwords for PKCS#12 ("Password is not
     * ASCII"), so Java-made files use printable ASCII; non-ASCII passwords
     * are tested with OpenSSL-made files below. */
    snprintf(store, sizeof store, "St0re %s!", random_suffix());
    snprintf(dst_store, sizeof dst_store, "Dst-%s", random_suffix());
    test_write_text("spw", store);
    test_write_text("dpw", dst_store);
    mkdir(test_path("keys"), 0700);
    test_write_text("keys/uppercase", "kEy-upper-1");
    test_write_text("keys/aes256", "kEy-aes-2");
    test_write_text("keys/hmac", "kEy-hmac-3");
    test_sh("K='keytool " JVM_FAST " -storetype PKCS12 -keystore src.p12 -storepass:file spw -validity 2' && "
       "$K -genkeypair -alias UpperCase -keyalg RSA -keysize 2048 -dname CN=upper && "
       "$K -genkeypair -alias ec -keyalg EC -groupname secp256r1 -dname CN=ec && "
       "$K -genkeypair -alias edkey -keyalg Ed25519 -dname CN=ed && "
       "$K -importcert -noprompt -alias ExampleRoot -file '%s'", shared_path("fixtures/java/root.pem"));

    /* keytool's own file: the trusted entry keeps its upper-case alias. */
    pem_file_split(shared_path("fixtures/java/root.pem"), &root);
    cr_assert_eq(open_ks(&ks, test_path("src.p12"), store, NULL), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 4);
    e = find(ks, "exampleROOT");
    cr_assert_str_eq(e->alias, "ExampleRoot");
    cr_assert_eq(e->kind, VAULT_ENTRY_TRUSTED_CERT);
    assert_cert(ks, "EXAMPLEROOT", 0, root.der[0], root.len[0]);
    e = find(ks, "UPPERCASE");
    cr_assert_str_eq(e->key_algorithm, "RSA");
    cr_assert_eq(e->key_bits, 2048);
    e = find(ks, "EC");
    cr_assert_str_eq(e->key_algorithm, "EC");
    cr_assert_eq(e->key_bits, 256);
    e = find(ks, "EdKey");
    cr_assert_str_eq(e->key_algorithm, "Ed25519");
    vault_keystore_free(ks);
    der_list_free(&root);

    /* Java re-stores every entry with its own key password and adds secret
     * keys, then prints what it reads back. */
    out = run_java("rebuild src.p12 spw dst.p12 dpw keys");
    kp.store = dst_store;
    kp.dir = test_path("keys");
    cr_assert_eq(open_with(&ks, test_path("dst.p12"), per_alias_cb, &kp, VAULT_KEYSTORE_AUTO), 0, "%s",
                 test_errmsg());
    check_against_java(ks, (char *)out);
    free(out);
    vault_keystore_free(ks);

    /* Wrong key passwords; with none given, the store password is tried. */
    wrong = kp;
    wrong.wrong = 1;
    cr_assert_eq(open_with(&ks, test_path("dst.p12"), per_alias_cb, &wrong, VAULT_KEYSTORE_AUTO), 0);
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "uppercase"), VAULT_EAUTH);
    cr_assert(strstr(test_errmsg(), "wrong key password"), "%s", test_errmsg());
    vault_secret *s = NULL;
    cr_assert_eq(vault_keystore_secret_key(&s, ks, "aes256"), VAULT_EAUTH);
    cr_assert_eq(vault_keystore_secret_key(&s, ks, "aes128"), 0, "%s", test_errmsg());
    vault_secret_free(s);
    vault_keystore_free(ks);
    cr_assert_eq(open_ks(&ks, test_path("dst.p12"), dst_store, NULL), 0);
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "uppercase"), VAULT_EAUTH);
    cr_assert(strstr(test_errmsg(), "differs from the store password"), "%s", test_errmsg());
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "ec"), 0, "%s", test_errmsg());
    vault_string_free((char *)der);
    vault_keystore_free(ks);
}

/* Java writes no MAC and no certificate encryption when told to: any store
 * password opens it, and the key still needs its own. */
Test(pkcs12_java, keytool_without_mac)
{
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    unsigned char *der = NULL, *spki;
    size_t len, spki_len;
    der_list root;

    cr_assert(have_program("keytool"), "keytool is required (openjdk-17-jdk-headless)");
    test_sh("K='keytool " JVM_FAST " -J-Dkeystore.pkcs12.macAlgorithm=NONE "
       "-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE -storetype PKCS12 -keystore nomac.p12 "
       "-storepass changeit' && $K -importcert -noprompt -alias Root -file '%s' && "
       "$K -genkeypair -alias k -keyalg EC -groupname secp256r1 -dname CN=k -validity 2",
       shared_path("fixtures/java/root.pem"));
    spki = test_sh_out(&spki_len, "openssl pkcs12 -in nomac.p12 -nocerts -nodes -passin pass:changeit "
                  "| openssl pkey -pubout -outform DER");
    pem_file_split(shared_path("fixtures/java/root.pem"), &root);
    cr_assert_eq(open_ks(&ks, test_path("nomac.p12"), "changeit", NULL), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 2);
    e = find(ks, "root");
    cr_assert_str_eq(e->alias, "Root");
    cr_assert_eq(e->kind, VAULT_ENTRY_TRUSTED_CERT);
    assert_cert(ks, "root", 0, root.der[0], root.len[0]);
    assert_spki(ks, "k", spki, spki_len);
    vault_keystore_free(ks);
    cr_assert_eq(open_ks(&ks, test_path("nomac.p12"), "other", NULL), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "k"), VAULT_EAUTH);
    vault_keystore_free(ks);
    der_list_free(&root);
    free(spki);
}

/* ---- made by openssl pkcs12 -export at test time ------------------------- */

static void make_openssl_key(void)
{
    test_sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -subj /CN=ossl -days 2 && "
       "openssl pkey -in k.pem -pubout -outform DER -out k.spki && "
       "openssl x509 -in c.pem -outform DER -out c.der");
}

static void check_openssl_p12(const char *file, const char *pw, const char *alias)
{
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    unsigned char *spki, *cert;
    size_t spki_len, cert_len;

    spki = slurp(test_path("k.spki"), &spki_len);
    cert = slurp(test_path("c.der"), &cert_len);
    cr_assert_eq(open_ks(&ks, test_path(file), pw, NULL), 0, "%s: %s", file, test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 1, "%s", file);
    e = find(ks, NULL);
    cr_assert_str_eq(e->alias, alias, "%s", file);
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    cr_assert_eq(e->chain_length, 1);
    assert_cert(ks, alias, 0, cert, cert_len);
    assert_spki(ks, alias, spki, spki_len);
    cr_assert_str_eq(find(ks, alias)->key_algorithm, "RSA");
    vault_keystore_free(ks);
    if (strstr(file, "no-mac")) {
        /* No MAC and no encrypted certificates: nothing proves the store
         * password until the key is decrypted. */
        unsigned char *der = NULL;
        size_t len;
        cr_assert_eq(open_ks(&ks, test_path(file), "Wrong password", NULL), 0, "%s", test_errmsg());
        cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, alias), VAULT_EAUTH);
        vault_keystore_free(ks);
    } else {
        cr_assert_eq(open_ks(&ks, test_path(file), "Wrong password", NULL), VAULT_EAUTH, "%s", file);
    }
    free(spki);
    free(cert);
}

/* openssl pkcs12 -export has one password for the MAC, the certificates and
 * the key, so a key password that differs from the store password is tested
 * with Java's KeyStore API above. */
Test(pkcs12_openssl, export_variants)
{
    static const struct { const char *name, *opts; } variants[] = {
        {"modern.p12", ""},
        {"legacy.p12", "-legacy"},
        {"aes128.p12", "-keypbe AES-128-CBC -certpbe AES-128-CBC"},
        {"3des-rc2.p12", "-legacy -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-RC2-40"},
        {"rc2-128.p12", "-legacy -keypbe PBE-SHA1-RC2-128 -certpbe PBE-SHA1-RC2-128"},
        {"plain-certs.p12", "-certpbe NONE"},
        {"plain-key.p12", "-keypbe NONE"},
        {"sha1-mac.p12", "-macalg sha1"},
        {"sha224-mac.p12", "-macalg sha224"},
        {"sha384-mac.p12", "-macalg sha384"},
        {"sha512-mac.p12", "-macalg sha512 -iter 3000"},
        {"no-mac.p12", "-nomac"},
        {"no-iter.p12", "-noiter -nomaciter"},
    };
    static char pw[128];
    snprintf(pw, sizeof pw, "pässwörd-密码-%s", random_suffix());
    test_write_text("pw", pw);
    make_openssl_key();
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        test_sh("openssl pkcs12 -export -in c.pem -inkey k.pem -name UpperCase -passout file:pw "
           "-out %s %s", variants[i].name, variants[i].opts);
        check_openssl_p12(variants[i].name, pw, "UpperCase");
    }
}

/* Without -name the alias is the localKeyId, which OpenSSL sets to the
 * certificate's SHA-1. */
Test(pkcs12_openssl, unnamed_key_alias_is_local_key_id)
{
    static char alias[64];
    unsigned char *fp;
    size_t len, j = 0;
    test_write_text("pw", "secret-pw");
    make_openssl_key();
    test_sh("openssl pkcs12 -export -in c.pem -inkey k.pem -passout file:pw -out unnamed.p12");
    fp = test_sh_out(&len, "openssl x509 -in c.pem -noout -fingerprint -sha1");
    for (char *p = strchr((char *)fp, '=') + 1; *p && *p != '\n'; p++)
        if (*p != ':')
            alias[j++] = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
    alias[j] = '\0';
    cr_assert_eq(j, 40);
    check_openssl_p12("unnamed.p12", "secret-pw", alias);
    free(fp);
}

/* OpenSSL hashes the PKCS#12 KDF password as UTF-16 of the UTF-8 given and
 * PBKDF2 over the UTF-8 bytes: the Latin-1 spelling of the same password
 * fails PBKDF2 (the legacy KDF takes bytes that are not UTF-8 as Latin-1,
 * so there only another character fails). */
Test(pkcs12_openssl, non_ascii_password_is_utf8)
{
    static char pw[64], latin1[64], other[64];
    vault_keystore *ks = NULL;
    snprintf(pw, sizeof pw, "pässwörd-%s", random_suffix());
    snprintf(latin1, sizeof latin1, "p\xe4ssw\xf6rd-%s", pw + strlen("pässwörd-"));
    snprintf(other, sizeof other, "pässwőrd-%s", pw + strlen("pässwörd-"));
    test_write_text("pw", pw);
    make_openssl_key();
    test_sh("openssl pkcs12 -export -in c.pem -inkey k.pem -name k -passout file:pw -out m.p12 && "
       "openssl pkcs12 -export -legacy -in c.pem -inkey k.pem -name k -passout file:pw -out l.p12");
    check_openssl_p12("m.p12", pw, "k");
    check_openssl_p12("l.p12", pw, "k");
    cr_assert_eq(open_ks(&ks, test_path("m.p12"), latin1, NULL), VAULT_EAUTH);
    cr_assert_eq(open_ks(&ks, test_path("l.p12"), other, NULL), VAULT_EAUTH);
    cr_assert_eq(open_ks(&ks, test_path("m.p12"), other, NULL), VAULT_EAUTH);
}

/* OpenSSL 1.0.2 turned each byte of a UTF-8 password into one BMPString
 * character. OpenSSL 3.0 makes that form when given the Latin-1-to-UTF-8
 * spelling of the password: its -legacy 3DES file with the SHA-1 MAC is what
 * 1.0.2 wrote. The openssl CLI opens it with the real password (its "using
 * broken algorithm" retry); so do we, key included. */
Test(pkcs12_openssl, openssl_102_non_ascii_password)
{
    static char pw[64];
    vault_keystore *ks = NULL;
    unsigned char *out;
    size_t len;
    snprintf(pw, sizeof pw, "pässwörd-%s", random_suffix());
    test_write_text("pw", pw);
    make_openssl_key();
    test_sh("iconv -f latin1 -t utf-8 pw > pw102 && "
            "openssl pkcs12 -export -legacy -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 "
            "-in c.pem -inkey k.pem -name k -passout file:pw102 -out old.p12");
    out = test_sh_out(NULL, "openssl pkcs12 -legacy -in old.p12 -passin file:pw -nodes 2>&1 | "
                            "grep -c 'BEGIN PRIVATE KEY'");
    cr_assert_str_eq((char *)out, "1\n", "openssl itself opens the 1.0.2 form");
    free(out);
    check_openssl_p12("old.p12", pw, "k");
    /* The Latin-1 spelling is no UTF-8 password: no 1.0.2 form is tried. */
    test_sh("iconv -f utf-8 -t latin1 pw > pw-latin1");
    out = slurp(test_path("pw-latin1"), &len);
    cr_assert_eq(open_ks(&ks, test_path("old.p12"), (char *)out, NULL), VAULT_EAUTH);
    free(out);
}

/* OpenSSL's UTF-8 decoder refuses overlong forms and surrogates, so bytes
 * holding one are no UTF-8 password and have no 1.0.2 form: the openssl
 * CLI opens a PBES2 key sealed under the Latin-1-to-UTF-8 spelling of
 * such bytes only when given that spelling, never the bytes themselves.
 * We follow: the key does not open with the bytes. The bytes as written
 * (no MAC, plain certificates) do open the file they sealed. */
Test(pkcs12_openssl, no_102_form_for_overlong_or_surrogate)
{
    static const char *const odd[] = {"k\xe0\x82\xa9-", /* U+00A9 in three bytes */
                                      "k\xed\xa0\x80-", /* a surrogate, U+D800 */
                                      "k\xf0\x80\x81\x81-"}; /* 'A' in four bytes */
    make_openssl_key();
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        static char pw[64];
        vault_keystore *ks = NULL;
        unsigned char *der = NULL, *alt, *out;
        size_t len = 0, alt_len;

        snprintf(pw, sizeof pw, "%s%s", odd[i], random_suffix());
        test_write_text("pw", pw);
        test_sh("iconv -f latin1 -t utf-8 pw > alt && "
                "openssl pkcs12 -export -nomac -certpbe NONE -keypbe AES-256-CBC -in c.pem -inkey k.pem "
                "-name k -passout file:alt -out alt.p12 && "
                "openssl pkcs12 -export -nomac -certpbe NONE -keypbe AES-256-CBC -in c.pem -inkey k.pem "
                "-name k -passout file:pw -out raw-no-mac.p12");
        out = test_sh_out(NULL, "openssl pkcs12 -in alt.p12 -passin file:pw -nodes 2>/dev/null | "
                                "grep -c 'BEGIN PRIVATE KEY'; true");
        cr_assert_str_eq((char *)out, "0\n", "openssl opens the key with the raw bytes (case %zu)", i);
        free(out);
        out = test_sh_out(NULL, "openssl pkcs12 -in alt.p12 -passin file:alt -nodes | grep -c 'BEGIN PRIVATE KEY'");
        cr_assert_str_eq((char *)out, "1\n");
        free(out);
        alt = slurp(test_path("alt"), &alt_len);
        cr_assert(alt_len > strlen(pw));

        cr_assert_eq(open_ks(&ks, test_path("alt.p12"), pw, NULL), 0, "%s", test_errmsg());
        cr_assert_eq(vault_keystore_public_key_der(&der, &len, ks, "k"), VAULT_EAUTH, "case %zu", i);
        vault_keystore_free(ks);
        check_openssl_p12("raw-no-mac.p12", pw, "k");
        free(alt);
    }
}

/* A MAC naming PBMAC1 (RFC 9579) without its parameters is refused as
 * malformed, not as a wrong password: here an HMAC-SHA-256 file whose MacData
 * digest OID is replaced by PBMAC1's (both OIDs are nine bytes). Valid
 * PBMAC1 files: tests/interop/test_pkcs12_mac.sh. */
Test(pkcs12_openssl, pbmac1_is_named)
{
    vault_keystore *ks = NULL;
    test_write_text("pw", "secret-pw");
    make_openssl_key();
    test_sh("openssl pkcs12 -export -in c.pem -inkey k.pem -name k -passout file:pw -out m.p12 && "
            "python3 -c 'import sys; d=open(\"m.p12\",\"rb\").read(); "
            "a=bytes.fromhex(\"0609608648016503040201\"); b=bytes.fromhex(\"06092a864886f70d01050e\"); "
            "i=d.rindex(a); open(\"pbmac1.p12\",\"wb\").write(d[:i]+b+d[i+len(a):])'");
    cr_assert_eq(open_ks(&ks, test_path("pbmac1.p12"), "secret-pw", NULL), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "malformed PBMAC1 MAC parameters") &&
              strstr(test_errmsg(), "pbmac1.p12"), "%s", test_errmsg());
}

/* Chain certificates given in any order come out leaf first; CA names given
 * with -caname do not make entries of them. */
Test(pkcs12_openssl, chain_from_certfile)
{
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    der_list leaf, inter, root;
    unsigned char *spki;
    size_t spki_len;

    test_write_text("pw", "chain-pw");
    test_sh("openssl pkcs12 -in '%s' -nocerts -nodes -passin pass:" FIXTURE_PW " -out sk.pem && "
       "openssl x509 -in '%s' -out leaf.pem && cat '%s' '%s' > cas.pem && "
       "openssl pkcs12 -export -inkey sk.pem -in leaf.pem -certfile cas.pem -name Leaf "
       "-passout file:pw -out chain.p12 && "
       "openssl pkcs12 -export -inkey sk.pem -in leaf.pem -certfile cas.pem -name Leaf "
       "-caname rootca -caname interca -passout file:pw -out named.p12",
       shared_path("fixtures/java/signed.p12"), shared_path("fixtures/java/signed.pem"),
       shared_path("fixtures/java/root.pem"), shared_path("fixtures/java/inter.pem"));
    pem_file_split(shared_path("fixtures/java/signed.pem"), &leaf);
    pem_file_split(shared_path("fixtures/java/inter.pem"), &inter);
    pem_file_split(shared_path("fixtures/java/root.pem"), &root);
    spki = test_sh_out(&spki_len, "openssl pkey -in sk.pem -pubout -outform DER");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(open_ks(&ks, test_path(i ? "named.p12" : "chain.p12"), "chain-pw", NULL), 0, "%s",
                     test_errmsg());
        cr_assert_eq(vault_keystore_count(ks), 1);
        e = find(ks, "leaf");
        cr_assert_eq(e->chain_length, 3);
        assert_cert(ks, "leaf", 0, leaf.der[0], leaf.len[0]);
        assert_cert(ks, "leaf", 1, inter.der[0], inter.len[0]);
        assert_cert(ks, "leaf", 2, root.der[0], root.len[0]);
        assert_spki(ks, "leaf", spki, spki_len);
        vault_keystore_free(ks);
    }
    free(spki);
    der_list_free(&leaf);
    der_list_free(&inter);
    der_list_free(&root);
}

/* A file of certificates only, without names: each is a trusted entry. */
Test(pkcs12_openssl, certificates_only)
{
    vault_keystore *ks = NULL;
    der_list certs;

    test_write_text("pw", "trust-pw");
    test_sh("openssl pkcs12 -export -nokeys -in '%s' -passout file:pw -out ts.p12",
       shared_path("fixtures/java/signed.pem"));
    pem_file_split(shared_path("fixtures/java/signed.pem"), &certs);
    cr_assert_eq(open_ks(&ks, test_path("ts.p12"), "trust-pw", NULL), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_count(ks), 2);
    cr_assert_eq(find(ks, "1")->kind, VAULT_ENTRY_TRUSTED_CERT);
    cr_assert_eq(find(ks, "2")->kind, VAULT_ENTRY_TRUSTED_CERT);
    assert_cert(ks, "1", 0, certs.der[0], certs.len[0]);
    assert_cert(ks, "2", 0, certs.der[1], certs.len[1]);
    der_list_free(&certs);
    vault_keystore_free(ks);
}

/* ---- bad input ------------------------------------------------------------ */

static int open_mem(vault_keystore **ks, const void *data, size_t len, const char *pw)
{
    static vault_passwords p;
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    p.store = pw;
    o.password = vault_password_fixed;
    o.payload = &p;
    o.type = VAULT_KEYSTORE_PKCS12;
    return vault_keystore_open_memory(ks, data, len, "identity.p12", &o);
}

Test(pkcs12_bad, every_truncation_is_a_format_error)
{
    size_t len, n;
    unsigned char *data = slurp(shared_path("fixtures/java/identity.p12"), &len);
    vault_keystore *ks = NULL;

    for (n = 0; n < len; n = n < 512 ? n + 1 : n + 7) {
        int rc = open_mem(&ks, data, n, FIXTURE_PW);
        cr_assert_eq(rc, VAULT_EFORMAT, "prefix of %zu bytes: %d", n, rc);
        cr_assert_null(ks);
        cr_assert(strstr(test_errmsg(), "identity.p12") != NULL, "%s", test_errmsg());
    }
    cr_assert_eq(open_mem(&ks, data, len - 1, FIXTURE_PW), VAULT_EFORMAT);
    cr_assert_eq(open_mem(&ks, data, len, FIXTURE_PW), 0, "%s", test_errmsg());
    vault_keystore_free(ks);
    free(data);
}

Test(pkcs12_bad, flipped_bytes_fail_or_change_nothing)
{
    size_t len, i, spki_len, cert_len, unchanged = 0;
    unsigned char *data = slurp(shared_path("fixtures/java/identity.p12"), &len);
    unsigned char *copy = malloc(len), *spki, *cert;
    vault_keystore *ks = NULL;

    spki = test_sh_out(&spki_len, "openssl pkcs12 -in '%s' -nocerts -nodes -passin pass:" FIXTURE_PW
                  " | openssl pkey -pubout -outform DER", shared_path("fixtures/java/identity.p12"));
    cert = slurp(shared_path("fixtures/java/identity.cer"), &cert_len);
    /* Every byte of the outer headers and of the MAC, every 11th between. */
    for (i = 0; i < len; i += i < 64 || i + 80 >= len ? 1 : 11) {
        int rc;
        memcpy(copy, data, len);
        copy[i] ^= (unsigned char)(1u << (i % 8));
        rc = open_mem(&ks, copy, len, FIXTURE_PW);
        if (rc == 0) {
            /* An unauthenticated byte (e.g. the PFX version) that still
             * parses: the same key and certificate. */
            cr_assert_eq(vault_keystore_count(ks), 1, "flip at %zu", i);
            assert_cert(ks, "wso2carbon", 0, cert, cert_len);
            assert_spki(ks, "wso2carbon", spki, spki_len);
            vault_keystore_free(ks);
            unchanged++;
            continue;
        }
        cr_assert(rc == VAULT_EAUTH || rc == VAULT_EFORMAT, "flip at %zu: %d", i, rc);
        cr_assert(strstr(test_errmsg(), "identity.p12") != NULL, "flip at %zu: %s", i, test_errmsg());
    }
    cr_log_info("%zu flips changed nothing", unchanged);
    cr_assert_lt(unchanged, 8, "%zu flips changed nothing", unchanged);
    free(copy);
    free(data);
    free(spki);
    free(cert);
}

Test(pkcs12_bad, garbage_and_huge_lengths)
{
    static const unsigned char huge[] = {0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x03};
    static const unsigned char inner_huge[] = {0x30, 0x0D, 0x02, 0x01, 0x03, 0x30, 0x84,
                                               0x7F, 0xFF, 0xFF, 0xFF, 0x06, 0x01, 0x00, 0x00};
    unsigned char noise[4096];
    vault_keystore *ks = NULL;
    size_t cer_len;
    unsigned char *cer = slurp(shared_path("fixtures/java/identity.cer"), &cer_len);

    srand(12345);
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char)rand();
    noise[0] = 0x30;
    cr_assert_eq(open_mem(&ks, huge, sizeof huge, FIXTURE_PW), VAULT_EFORMAT);
    cr_assert_eq(open_mem(&ks, inner_huge, sizeof inner_huge, FIXTURE_PW), VAULT_EFORMAT);
    cr_assert_eq(open_mem(&ks, noise, sizeof noise, FIXTURE_PW), VAULT_EFORMAT);
    cr_assert_eq(open_mem(&ks, cer, cer_len, FIXTURE_PW), VAULT_EFORMAT);
    cr_assert(strstr(test_errmsg(), "identity.p12: not a PKCS#12 keystore"), "%s", test_errmsg());
    cr_assert_null(ks);
    free(cer);
}

Test(pkcs12_bad, allocation_failures_are_enomem)
{
    static const char *const files[] = {"identity.p12", "internal.p12", "signed.p12",
                                        "client-truststore.p12"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char rel[256];
        int done = 0;
        snprintf(rel, sizeof rel, "fixtures/java/%s", files[f]);
        for (unsigned long n = 1; n < 2000 && !done; n++) {
            vault_keystore *ks = NULL;
            vault_secret *s = NULL;
            unsigned char *der = NULL;
            size_t len;
            const vault_keystore_entry *e;
            int rc;

            vault__test_alloc_fail_at(n);
            rc = open_ks(&ks, shared_path(rel), FIXTURE_PW, NULL);
            if (rc == 0) {
                vault_keystore_entry_at(&e, ks, 0);
                if (e->kind == VAULT_ENTRY_SECRET_KEY)
                    rc = vault_keystore_secret_key(&s, ks, NULL);
                else if (e->kind == VAULT_ENTRY_PRIVATE_KEY)
                    rc = vault_keystore_public_key_der(&der, &len, ks, NULL);
            }
            if (vault__test_alloc_fail_at(0) < n && rc == 0)
                done = 1; /* the nth allocation was never reached */
            cr_assert(rc == 0 || rc == VAULT_ENOMEM, "%s: allocation %lu: %d %s", files[f], n,
                      rc, test_errmsg());
            vault_secret_free(s);
            vault_string_free((char *)der);
            vault_keystore_free(ks);
        }
        cr_assert(done, "%s never succeeded", files[f]);
    }
}

/* A MAC that claims 2^31-1 iterations (found by fuzz_keystore; its first
 * two bytes select the fuzzer's options) is refused before any work. */
Test(pkcs12_robust, mac_iteration_count_is_bounded)
{
    char path[4096];
    size_t len;
    unsigned char *data;
    vault_passwords pw = {"wso2carbon", NULL};
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *ks = NULL;

    snprintf(path, sizeof path, "%s/tests/fuzz/regressions/keystore/pkcs12-mac-iterations",
             getenv("VAULT_SOURCE"));
    data = slurp(path, &len);
    cr_assert_gt(len, 2);
    o.password = vault_password_fixed;
    o.payload = &pw;
    cr_assert_eq(vault_keystore_open_memory(&ks, data + 2, len - 2, "huge.p12", &o), VAULT_EFORMAT);
    cr_assert_null(ks);
    cr_assert(strstr(vault_error_last()->message, "iteration count") != NULL, "%s",
              vault_error_last()->message);
    free(data);
}

/* ---- iteration counts of the encrypted bags -------------------------------- */

/* Files are made with -iter 65536 (DER 02 03 01 00 00) and every such
 * INTEGER is rewritten to 8,388,607 (02 03 7F FF FF, above the limit of
 * 5,000,000): the same length, so the DER stays valid. Without the bound
 * the count would be spent (seconds) before any error; with it the file is
 * refused before any key derivation. */
#define ITER_MADE "\x02\x03\x01\x00\x00"
#define ITER_BIG "\x02\x03\x7f\xff\xff"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* How often "Iteration 65536" appears in openssl pkcs12 -info for file:
 * the counts the patch must find. */
static size_t openssl_counts(const char *file, const char *opts)
{
    unsigned char *info;
    size_t n = 0, len;
    const char *p;

    info = test_sh_out(&len, "openssl pkcs12 -in %s -passin file:pw -info -noout %s 2>&1", file, opts);
    for (p = (const char *)info; (p = strstr(p, "Iteration 65536")) != NULL; p++)
        n++;
    free(info);
    return n;
}

/* Patch every count and, for a file with a MAC, compute the MAC again
 * (iteration 1) with the password, as the file's author could. */
static void patch_counts(const char *file, const char *pw, size_t expected)
{
    size_t len, i, found = 0;
    unsigned char *data = slurp(test_path(file), &len), *der = NULL;
    const unsigned char *p;
    PKCS12 *p12;
    int n;

    for (i = 0; i + 5 <= len; i++)
        if (memcmp(data + i, ITER_MADE, 5) == 0) {
            memcpy(data + i, ITER_BIG, 5);
            found++;
        }
    cr_assert_eq(found, expected, "%s: %zu counts of 65536 in the DER, openssl shows %zu", file, found,
                 expected);
    p = data;
    p12 = d2i_PKCS12(NULL, &p, (long)len);
    cr_assert_not_null(p12);
    if (PKCS12_mac_present(p12)) {
        cr_assert(PKCS12_set_mac(p12, pw, -1, NULL, 0, 1, EVP_sha256()));
        cr_assert(PKCS12_verify_mac(p12, pw, -1));
    }
    n = i2d_PKCS12(p12, &der);
    cr_assert_gt(n, 0);
    spit(test_path(file), der, (size_t)n);
    OPENSSL_free(der);
    PKCS12_free(p12);
    free(data);
}

Test(pkcs12_robust, bag_iteration_counts_are_bounded)
{
    static const struct {
        const char *name, *opts, *info_opts, *what;
    } cases[] = {
        /* PBES2 shrouded key bag, certificates in the clear */
        {"key-pbes2.p12", "-nomaciter -certpbe NONE", "", "alias \"UpperCase\": the key's"},
        /* PKCS#7 encryptedData (PBES2), key bag in the clear */
        {"certs-pbes2.p12", "-nomaciter -keypbe NONE", "", "the certificates'"},
        /* no MAC: nothing is checked before the bags (openssl encrypts no
         * certificates without a MAC unless told to); certificates first */
        {"certs-nomac.p12", "-nomac -certpbe AES-256-CBC", "", "the certificates'"},
        {"no-mac-key.p12", "-nomac -certpbe NONE", "", "alias \"UpperCase\": the key's"},
        /* PKCS#12 PBE (PBEParameter): 3DES key, RC2-40 certificates */
        {"key-3des.p12", "-legacy -nomaciter -keypbe PBE-SHA1-3DES -certpbe NONE", "-legacy",
         "alias \"UpperCase\": the key's"},
        {"certs-rc2.p12", "-legacy -nomaciter -keypbe NONE -certpbe PBE-SHA1-RC2-40", "-legacy",
         "the certificates'"},
    };
    const char *pw = "iter-pw";
    size_t i;

    test_write_text("pw", pw);
    make_openssl_key();
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vault_keystore *ks = NULL;
        char expected[8192];
        size_t counts;
        double t0;
        int rc;

        test_sh("openssl pkcs12 -export -in c.pem -inkey k.pem -name UpperCase -passout file:pw -iter 65536 "
                "-out %s %s",
                cases[i].name, cases[i].opts);
        counts = openssl_counts(cases[i].name, cases[i].info_opts);
        cr_assert_geq(counts, 1, "%s", cases[i].name);
        /* as made, the file opens */
        check_openssl_p12(cases[i].name, pw, "UpperCase");
        patch_counts(cases[i].name, pw, counts);
        t0 = now();
        rc = open_ks(&ks, test_path(cases[i].name), pw, NULL);
        cr_assert_eq(rc, VAULT_EFORMAT, "%s: rc %d: %s", cases[i].name, rc, test_errmsg());
        cr_assert_lt(now() - t0, 1.0, "%s: %.1f s", cases[i].name, now() - t0);
        cr_assert_null(ks);
        snprintf(expected, sizeof expected, "%s: %s iteration count 8388607 is too large (limit 5000000)",
                 test_path(cases[i].name), cases[i].what);
        cr_assert_str_eq(test_errmsg(), expected);
    }
}

/* The encrypted key k.p8 as PEM, then the certificate. */
static void write_scrypt_pem(void)
{
    test_sh("{ echo '-----BEGIN ENCRYPTED PRIVATE KEY-----'; openssl base64 -in k.p8; "
            "echo '-----END ENCRYPTED PRIVATE KEY-----'; cat c.pem; } > scrypt.pem");
}

/* scrypt (PBES2) in an encrypted PKCS#8 key: N*r*p is bounded like an
 * iteration count; the key is decrypted on first use. */
Test(pkcs12_robust, scrypt_cost_is_bounded)
{
    /* N = 16384, r = 8, p = 1, patched to p = 127: N*r*p = 16,646,144 */
    static const unsigned char made[] = {0x02, 0x02, 0x40, 0x00, 0x02, 0x01, 0x08, 0x02, 0x01, 0x01};
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e = NULL;
    unsigned char *der, *spki, *got = NULL;
    size_t der_len, spki_len, got_len = 0, i, found = 0;
    char expected[8192];
    double t0;

    test_write_text("pw", "scrypt-pw");
    make_openssl_key();
    test_sh("openssl pkcs8 -topk8 -in k.pem -scrypt -scrypt_N 16384 -scrypt_r 8 -scrypt_p 1 "
            "-passout file:pw -outform DER -out k.p8");
    write_scrypt_pem();
    spki = slurp(test_path("k.spki"), &spki_len);
    /* as made, the key opens and is openssl's */
    cr_assert_eq(open_ks(&ks, test_path("scrypt.pem"), NULL, "scrypt-pw"), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_entry_at(&e, ks, 0), 0);
    cr_assert_eq(e->kind, VAULT_ENTRY_PRIVATE_KEY);
    assert_spki(ks, e->alias, spki, spki_len);
    vault_keystore_free(ks);

    der = slurp(test_path("k.p8"), &der_len);
    for (i = 0; i + sizeof made <= der_len; i++)
        if (memcmp(der + i, made, sizeof made) == 0) {
            der[i + sizeof made - 1] = 0x7f;
            found++;
        }
    cr_assert_eq(found, 1);
    spit(test_path("k.p8"), der, der_len);
    write_scrypt_pem();
    cr_assert_eq(open_ks(&ks, test_path("scrypt.pem"), NULL, "scrypt-pw"), 0, "%s", test_errmsg());
    cr_assert_eq(vault_keystore_entry_at(&e, ks, 0), 0);
    t0 = now();
    cr_assert_eq(vault_keystore_public_key_der(&got, &got_len, ks, e->alias), VAULT_EFORMAT, "%s",
                 test_errmsg());
    cr_assert_lt(now() - t0, 1.0, "%.1f s", now() - t0);
    snprintf(expected, sizeof expected,
             "%s: alias \"%s\": the key's scrypt cost (N*r*p) 16646144 is too large (limit 5000000)",
             test_path("scrypt.pem"), e->alias);
    cr_assert_str_eq(test_errmsg(), expected);
    vault_keystore_free(ks);
    free(der);
    free(spki);
}
