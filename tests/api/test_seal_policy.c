/* SPDX-License-Identifier: Apache-2.0 */
/* What is decided before sealing, through the public headers only:
 * vault_symmetric_key_from_file() against key bytes made by openssl rand
 * and spelt by python3 (and a value sealed with the key opened by
 * python3-cryptography's AES-GCM); vault_recipient_check() against
 * certificates made by the openssl CLI and python3-cryptography, judged
 * by `openssl verify`; vault_seal_format_of_homes() against
 * secret-conf.properties files written here, read by WSO2's rules
 * (encryptionMode=symmetric, else the algorithm, RSA when absent). */
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vault.h>

static void init(void)
{
    cr_assert_eq(vault_init(), 0);
}

static void fini(void)
{
    vault_shutdown();
}

/* ---- key files ---------------------------------------------------------- */

/* The key as the library reads it from file; asserts success. */
static vault_secret *read_key(const char *file)
{
    vault_secret *k = NULL;
    int rc = vault_symmetric_key_from_file(&k, test_path(file));
    cr_assert_eq(rc, 0, "%s: %s", file, test_errmsg());
    return k;
}

static void assert_key(const char *file, const unsigned char *want, size_t want_len)
{
    vault_secret *k = read_key(file);
    cr_assert_eq(vault_secret_len(k), want_len, "%s: %zu bytes, want %zu", file, vault_secret_len(k), want_len);
    cr_assert(memcmp(vault_secret_data(k), want, want_len) == 0, "%s: other bytes", file);
    vault_secret_free(k);
}

static void assert_not_key(const char *file, int code)
{
    vault_secret *k = (vault_secret *)1;
    int rc = vault_symmetric_key_from_file(&k, test_path(file));
    cr_assert_eq(rc, code, "%s: rc %d (%s), want %d", file, rc, test_errmsg(), code);
    cr_assert_null(k, "%s: a key was returned on failure", file);
    cr_assert(strstr(vault_error_last()->message, test_path(file)), "%s: the message does not name it: %s",
              file, vault_error_last()->message);
}

TestSuite(key_file, .init = init, .fini = fini);

Test(key_file, three_spellings_of_openssl_rand_bytes)
{
    static const size_t lengths[] = {16, 24, 32};
    size_t i;

    for (i = 0; i < 3; i++) {
        unsigned char *raw;
        size_t len;
        char name[32];
        snprintf(name, sizeof name, "raw%zu", lengths[i]);
        test_sh("openssl rand -out %s %zu && chmod 600 %s", name, lengths[i], name);
        raw = slurp(test_path(name), &len);
        cr_assert_eq(len, lengths[i]);
        /* the text spellings, written by python3: hex with a newline,
         * upper-case hex without, base64 with CRLF, base64 without */
        test_sh("python3 -c 'import sys,base64; k=open(sys.argv[1],\"rb\").read(); "
                "open(\"hex\",\"w\").write(k.hex()+\"\\n\"); open(\"HEX\",\"w\").write(k.hex().upper()); "
                "open(\"b64\",\"wb\").write(base64.b64encode(k)+b\"\\r\\n\"); "
                "open(\"b64n\",\"wb\").write(base64.b64encode(k))' %s && chmod 600 hex HEX b64 b64n",
                name);
        assert_key(name, raw, len);
        assert_key("hex", raw, len);
        assert_key("HEX", raw, len);
        assert_key("b64", raw, len);
        assert_key("b64n", raw, len);
        free(raw);
    }
}

Test(key_file, openssl_text_output)
{
    /* `openssl rand -hex 16` is 32 characters and a newline: a 16-byte key
     * as python3 reads the hex, not the 32 bytes of its text */
    unsigned char *hex, want[16];
    size_t len, i;

    test_sh("openssl rand -hex 16 > ohex && chmod 600 ohex");
    hex = slurp(test_path("ohex"), &len);
    cr_assert_eq(len, 33);
    for (i = 0; i < 16; i++) {
        unsigned int b;
        cr_assert_eq(sscanf((const char *)hex + 2 * i, "%2x", &b), 1);
        want[i] = (unsigned char)b;
    }
    assert_key("ohex", want, 16);
    /* the same text without its newline: still hex, not raw */
    test_sh("tr -d '\\n' < ohex > ohex2 && chmod 600 ohex2");
    assert_key("ohex2", want, 16);
    free(hex);

    /* `openssl rand -base64 24`: 32 characters and a newline, 24 bytes */
    test_sh("openssl rand -base64 24 > ob64 && chmod 600 ob64 && "
            "python3 -c 'import base64; open(\"ob64.bin\",\"wb\").write(base64.b64decode(open(\"ob64\").read()))'");
    hex = slurp(test_path("ob64.bin"), &len);
    cr_assert_eq(len, 24);
    assert_key("ob64", hex, 24);
    free(hex);
}

Test(key_file, raw_bytes_are_kept_whole)
{
    /* line ends inside and at the end of a raw key are key bytes */
    static const unsigned char k[32] = {0x0a, 1, 2, 3, 0x0d, 0x0a, 0, 0xff, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 0x0d, 0x0a};
    spit(test_path("nl"), k, sizeof k);
    assert_key("nl", k, sizeof k);
    spit(test_path("nl16"), k + 16, 16);
    assert_key("nl16", k + 16, 16);
}

Test(key_file, wrong_lengths_and_spellings)
{
    static const struct {
        const char *name, *cmd;
    } bad[] = {
        {"r15", "openssl rand -out r15 15"},
        {"r17", "openssl rand -out r17 17"},
        {"r31", "openssl rand -out r31 31"},
        {"r33", "openssl rand -out r33 33"},
        {"r64", "openssl rand -out r64 64"},
        {"h15", "openssl rand -hex 15 > h15"},     /* 30 digits and a newline */
        {"h20", "openssl rand -hex 20 > h20"},     /* a 160-bit key */
        {"h33", "openssl rand -hex 33 > h33"},
        {"b20", "openssl rand -base64 20 > b20"},
        {"b48", "openssl rand -base64 48 > b48"},
        {"odd", "printf '0%s\\n' $(openssl rand -hex 16) > odd"},
        {"two", "printf '%s\\n\\n' $(openssl rand -hex 16) > two"},
        {"lead", "printf ' %s\\n' $(openssl rand -hex 16) > lead"},
        {"tail", "printf '%s\\nmore\\n' $(openssl rand -hex 16) > tail"},
        {"nopad", "openssl rand -base64 16 | tr -d '=\\n' > nopad"},
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        test_sh("%s && chmod 600 %s", bad[i].cmd, bad[i].name);
        assert_not_key(bad[i].name, VAULT_EFORMAT);
    }
    test_write_text("empty", "");
    assert_not_key("empty", VAULT_EFORMAT);
    cr_assert(strstr(vault_error_last()->message, "empty"), "%s", vault_error_last()->message);
    cr_assert_eq(vault_symmetric_key_from_file(NULL, "x"), VAULT_EINVAL);
}

Test(key_file, truncation_loop)
{
    /* Every prefix of "64 hex digits\n": hex where the digits make a key
     * (32, 48, 64, and 64 with its newline), the raw bytes where the prefix
     * is a key length that no text spelling claims (16, 24: as hex 8 and 12
     * bytes, as base64 12 and 18), else refused. */
    unsigned char *text, *raw;
    size_t len, n, rawlen;

    test_sh("openssl rand -out t.raw 32 && python3 -c 'open(\"t.hex\",\"w\").write(open(\"t.raw\",\"rb\").read().hex()+\"\\n\")'");
    text = slurp(test_path("t.hex"), &len);
    raw = slurp(test_path("t.raw"), &rawlen);
    cr_assert_eq(len, 65);
    for (n = 0; n <= len; n++) {
        vault_secret *k = NULL;
        int rc;
        spit(test_path("t.cut"), text, n);
        rc = vault_symmetric_key_from_file(&k, test_path("t.cut"));
        if (n == 32 || n == 48 || n == 64 || n == 65) {
            size_t want = n == 65 ? 32 : n / 2;
            cr_assert_eq(rc, 0, "%zu: %s", n, test_errmsg());
            cr_assert_eq(vault_secret_len(k), want, "%zu", n);
            cr_assert(memcmp(vault_secret_data(k), raw, want) == 0, "%zu: not the hex key", n);
        } else if (n == 16 || n == 24) {
            cr_assert_eq(rc, 0, "%zu: %s", n, test_errmsg());
            cr_assert_eq(vault_secret_len(k), n);
            cr_assert(memcmp(vault_secret_data(k), text, n) == 0, "%zu: not the raw bytes", n);
        } else {
            cr_assert_eq(rc, VAULT_EFORMAT, "%zu: rc %d", n, rc);
            cr_assert_null(k);
        }
        vault_secret_free(k);
    }
    free(text);
    free(raw);
}

Test(key_file, judged_as_a_secret_file)
{
    test_sh("openssl rand -hex 32 > open && chmod 644 open");
    assert_not_key("open", VAULT_EPERM);
    cr_assert(strstr(vault_error_last()->message, "0644"), "%s", vault_error_last()->message);
    assert_not_key("missing", VAULT_ENOTFOUND);
}

Test(key_file, sealed_value_opens_with_python_aes_gcm)
{
    /* The key read from its hex spelling seals a WSO2 symmetric value that
     * python3-cryptography's AESGCM opens with the raw bytes. */
    vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
    vault_sealer *s = NULL;
    vault_secret *k;
    char *value = NULL, cmd[4096];
    unsigned char *out;
    size_t len;

    test_sh("openssl rand -out aes.raw 32 && python3 -c 'open(\"aes.hex\",\"w\").write(open(\"aes.raw\",\"rb\").read().hex()+\"\\n\")' "
            "&& chmod 600 aes.hex");
    k = read_key("aes.hex");
    o.format = VAULT_FORMAT_WSO2_SYMMETRIC;
    o.symmetric_key = k;
    cr_assert_eq(vault_sealer_new(&s, &o), 0, "%s", test_errmsg());
    cr_assert_eq(vault_sealer_seal(&value, s, "db.password", "s3cret-pässword", strlen("s3cret-pässword")), 0,
                 "%s", test_errmsg());
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import sys,json,base64\n"
             "from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n"
             "j=json.loads(base64.b64decode(sys.argv[1]))\n"
             "k=open(\"aes.raw\",\"rb\").read()\n"
             "sys.stdout.buffer.write(AESGCM(k).decrypt(base64.b64decode(j[\"iv\"]),base64.b64decode(j[\"cipherText\"]),None))' '%s'",
             value);
    out = test_sh_out(&len, "%s", cmd);
    cr_assert_eq(len, strlen("s3cret-pässword"));
    cr_assert(memcmp(out, "s3cret-pässword", len) == 0);
    free(out);
    vault_string_free(value);
    vault_sealer_free(s);
    vault_secret_free(k);
}

/* ---- the trust gate ----------------------------------------------------- */

/* A CA, a leaf it signed, a self-signed certificate (openssl CLI), a leaf
 * the CA signed that expired yesterday (python3-cryptography), and an
 * X25519 public key. */
static void make_pki(void)
{
    test_sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 "
            "-subj '/CN=Test CA/O=Seal Policy' -addext basicConstraints=critical,CA:TRUE "
            "-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null");
    test_sh("openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj '/CN=leaf/O=Seal Policy' "
            "2>/dev/null && openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
            "-days 30 -out leaf.pem 2>/dev/null");
    test_sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 30 "
            "-subj '/CN=self/O=Elsewhere' 2>/dev/null");
    test_sh("python3 -c '\n"
            "import datetime\n"
            "from cryptography import x509\n"
            "from cryptography.x509.oid import NameOID\n"
            "from cryptography.hazmat.primitives import hashes, serialization\n"
            "from cryptography.hazmat.primitives.asymmetric import rsa\n"
            "ca = serialization.load_pem_private_key(open(\"ca.key\",\"rb\").read(), None)\n"
            "cac = x509.load_pem_x509_certificate(open(\"ca.pem\",\"rb\").read())\n"
            "k = rsa.generate_private_key(public_exponent=65537, key_size=2048)\n"
            "now = datetime.datetime.now(datetime.timezone.utc)\n"
            "c = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, \"old\")]))\n"
            "     .issuer_name(cac.subject).public_key(k.public_key()).serial_number(x509.random_serial_number())\n"
            "     .not_valid_before(now - datetime.timedelta(days=30)).not_valid_after(now - datetime.timedelta(days=1))\n"
            "     .sign(ca, hashes.SHA256()))\n"
            "open(\"old.pem\",\"wb\").write(c.public_bytes(serialization.Encoding.PEM))'");
    test_sh("openssl genpkey -algorithm X25519 -out x.key && openssl pkey -in x.key -pubout -out x.pub");
}

/* What `openssl verify -CAfile ca.pem` says of a certificate: 1 trusted. */
static int openssl_trusts(const char *pem)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && openssl verify -CAfile ca.pem %s >/dev/null 2>&1", test_tmpdir(), pem);
    return system(cmd) == 0;
}

/* The certificate's SHA-256 as openssl prints it, in lower-case hex. */
static char *openssl_sha256(const char *pem)
{
    char *s = (char *)test_sh_out(NULL, "openssl x509 -in %s -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' "
                                        "| tr A-F a-f | tr -d '\\n'", pem);
    cr_assert_eq(strlen(s), 64, "%s", s);
    return s;
}

static vault_keystore *open_ks(const char *file)
{
    vault_keystore *ks = NULL;
    cr_assert_eq(vault_keystore_open(&ks, test_path(file), NULL), 0, "%s: %s", file, test_errmsg());
    return ks;
}

typedef struct checked {
    int rc;
    vault_recipient_trust verdict;
    char *warning;
    char message[2048];
    char thumbprint[65];
} checked;

static checked check(const char *file, const vault_keystore *trust, unsigned int flags)
{
    vault_keystore *ks = open_ks(file);
    vault_recipient *r = NULL;
    checked c;

    memset(&c, 0, sizeof c);
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0, "%s: %s", file, test_errmsg());
    c.verdict = (vault_recipient_trust)-1;
    c.warning = (char *)1;
    c.rc = vault_recipient_check(&c.verdict, &c.warning, r, ks, NULL, trust, flags);
    snprintf(c.message, sizeof c.message, "%s", c.rc ? vault_error_last()->message : "");
    snprintf(c.thumbprint, sizeof c.thumbprint, "%s", vault_recipient_thumbprint(r));
    vault_recipient_free(r);
    vault_keystore_free(ks);
    return c;
}

TestSuite(trust_gate, .init = init, .fini = fini);

Test(trust_gate, against_openssl_verify)
{
    vault_keystore *trust;
    checked c;
    char *fp;

    make_pki();
    trust = open_ks("ca.pem");

    /* signed by the CA: openssl trusts it, so does the gate, silently */
    cr_assert(openssl_trusts("leaf.pem"));
    c = check("leaf.pem", trust, 0);
    cr_assert_eq(c.rc, 0, "%s", c.message);
    cr_assert_eq(c.verdict, VAULT_RECIPIENT_TRUSTED);
    cr_assert_null(c.warning);

    /* self-signed: openssl does not; refused, naming subject and SHA-256 */
    cr_assert(!openssl_trusts("self.pem"));
    fp = openssl_sha256("self.pem");
    c = check("self.pem", trust, 0);
    cr_assert_eq(c.rc, VAULT_ETRUST, "%d %s", c.rc, c.message);
    cr_assert_null(c.warning);
    cr_assert_str_eq(c.thumbprint, fp);
    cr_assert(strstr(c.message, "refusing to seal to certificate \""), "%s", c.message);
    cr_assert(strstr(c.message, "CN=self"), "%s", c.message);
    cr_assert(strstr(c.message, fp), "%s", c.message);
    cr_assert(strstr(c.message, test_path("ca.pem")), "%s", c.message);
    /* allowed: a warning with the same names, and the verdict says so */
    c = check("self.pem", trust, VAULT_RECIPIENT_ALLOW_UNTRUSTED);
    cr_assert_eq(c.rc, 0, "%s", c.message);
    cr_assert_eq(c.verdict, VAULT_RECIPIENT_UNTRUSTED);
    cr_assert_not_null(c.warning);
    cr_assert(strncmp(c.warning, "sealing to an untrusted certificate \"", 37) == 0, "%s", c.warning);
    cr_assert(strstr(c.warning, fp) && strstr(c.warning, "CN=self"), "%s", c.warning);
    vault_string_free(c.warning);
    free(fp);

    /* expired, signed by the CA: openssl refuses it, so does the gate */
    cr_assert(!openssl_trusts("old.pem"));
    fp = openssl_sha256("old.pem");
    c = check("old.pem", trust, 0);
    cr_assert_eq(c.rc, VAULT_ETRUST, "%d %s", c.rc, c.message);
    cr_assert(strstr(c.message, "expired") && strstr(c.message, fp), "%s", c.message);
    /* without a truststore: a warning that it expired, sealed anyway */
    c = check("old.pem", NULL, 0);
    cr_assert_eq(c.rc, 0, "%s", c.message);
    cr_assert_eq(c.verdict, VAULT_RECIPIENT_EXPIRED);
    cr_assert_not_null(c.warning);
    cr_assert(strstr(c.warning, "CN=old") && strstr(c.warning, fp) && strstr(c.warning, "has expired") &&
                  strstr(c.warning, test_path("old.pem")),
              "%s", c.warning);
    vault_string_free(c.warning);
    free(fp);

    /* in date and no truststore: nothing to say */
    c = check("self.pem", NULL, 0);
    cr_assert_eq(c.rc, 0);
    cr_assert_eq(c.verdict, VAULT_RECIPIENT_TRUSTED);
    cr_assert_null(c.warning);
    vault_keystore_free(trust);
}

Test(trust_gate, bare_key_and_bad_arguments)
{
    vault_keystore *trust, *ks;
    vault_recipient *r = NULL;
    vault_recipient_trust v;
    char *id, *w = NULL;
    checked c;

    make_pki();
    trust = open_ks("ca.pem");
    /* a bare key: no certificate for a truststore to vouch for; named by
     * its key id, the SHA-256 of its SubjectPublicKeyInfo */
    id = (char *)test_sh_out(NULL, "openssl pkey -pubin -in x.pub -outform DER | sha256sum | cut -c1-64 | tr -d '\\n'");
    c = check("x.pub", trust, 0);
    cr_assert_eq(c.rc, VAULT_ETRUST, "%d %s", c.rc, c.message);
    cr_assert(strstr(c.message, "refusing to seal to key ") && strstr(c.message, id), "%s", c.message);
    c = check("x.pub", NULL, 0);
    cr_assert_eq(c.rc, 0);
    cr_assert_eq(c.verdict, VAULT_RECIPIENT_TRUSTED);
    free(id);

    /* what a key id hashes */
    ks = open_ks("x.pub");
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0);
    cr_assert_str_eq(vault_recipient_key_id_type(r), "spki-sha256");
    cr_assert_eq(vault_recipient_check(NULL, NULL, r, ks, NULL, NULL, 0), VAULT_EINVAL);
    cr_assert_eq(vault_recipient_check(&v, &w, r, NULL, NULL, NULL, 0), VAULT_EINVAL);
    cr_assert_eq(vault_recipient_check(&v, &w, r, ks, NULL, NULL, 8), VAULT_EINVAL);
    cr_assert_null(w);
    vault_recipient_free(r);
    vault_keystore_free(ks);
    ks = open_ks("leaf.pem");
    cr_assert_eq(vault_recipient_from_keystore(&r, ks, NULL), 0);
    cr_assert_str_eq(vault_recipient_key_id_type(r), "cert-sha256");
    /* a NULL warning pointer is allowed */
    cr_assert_eq(vault_recipient_check(&v, NULL, r, ks, NULL, trust, 0), 0, "%s", test_errmsg());
    vault_recipient_free(r);
    vault_keystore_free(ks);
    cr_assert_null(vault_recipient_key_id_type(NULL));
    vault_keystore_free(trust);
}

/* ---- the format of a WSO2 home ------------------------------------------ */

/* A product home whose secret-conf.properties holds the given lines;
 * returns the path of its cipher-text.properties. */
static char *home(const char *name, const char *lines)
{
    char *p;
    test_sh("mkdir -p %s/repository/conf/security && printf '%%s' '%s' > "
            "%s/repository/conf/security/secret-conf.properties && "
            "printf 'a=[x]\\n' > %s/repository/conf/security/cipher-text.properties",
            name, lines, name, name);
    p = malloc(4096);
    snprintf(p, 4096, "%s/%s/repository/conf/security/cipher-text.properties", test_tmpdir(), name);
    return p;
}

static char *conf_of(const char *cipher_text)
{
    char *c = strdup(cipher_text);
    strcpy(strrchr(c, '/') + 1, "secret-conf.properties");
    return c;
}

TestSuite(home_format, .init = init, .fini = fini);

Test(home_format, the_home_rule)
{
    static const struct {
        const char *lines;
        vault_format format;
        vault_transformation t;
    } homes[] = {
        /* WSO2's FileBaseSecretRepository: no algorithm line means "RSA" */
        {"keystore.identity.alias=wso2carbon\n", VAULT_FORMAT_WSO2, VAULT_TRANSFORM_RSA_PKCS1},
        {"secretRepositories.file.algorithm=RSA/ECB/OAEPwithSHA1andMGF1Padding\n", VAULT_FORMAT_WSO2,
         VAULT_TRANSFORM_RSA_OAEP_SHA1},
        {"secretRepositories.file.algorithm=RSA/ECB/OAEPWithSHA-256AndMGF1Padding\n", VAULT_FORMAT_WSO2,
         VAULT_TRANSFORM_RSA_OAEP_SHA256},
        {"secretRepositories.file.encryptionMode=symmetric\n", VAULT_FORMAT_WSO2_SYMMETRIC,
         VAULT_TRANSFORM_DEFAULT},
    };
    size_t i;

    for (i = 0; i < sizeof homes / sizeof homes[0]; i++) {
        char name[16], *path, *want;
        const char *paths[1];
        char *conf = NULL;
        vault_format f = (vault_format)0;
        vault_transformation t = (vault_transformation)-1;
        snprintf(name, sizeof name, "h%zu", i);
        path = home(name, homes[i].lines);
        paths[0] = path;
        cr_assert_eq(vault_seal_format_of_homes(&conf, &f, &t, paths, 1), 0, "%s", test_errmsg());
        want = conf_of(path);
        cr_assert_not_null(conf, "home %zu: no rule found", i);
        cr_assert_str_eq(conf, want);
        cr_assert_eq(f, homes[i].format, "home %zu: format %d", i, (int)f);
        cr_assert_eq(t, homes[i].t, "home %zu: transformation %d", i, (int)t);
        vault_string_free(conf);
        free(want);
        free(path);
    }
}

Test(home_format, files_outside_a_home_and_several_homes)
{
    char *oaep = home("a", "secretRepositories.file.algorithm=RSA/ECB/OAEPwithSHA1andMGF1Padding\n");
    char *oaep2 = home("b", "secretRepositories.file.algorithm=RSA/ECB/OAEPwithSHA1andMGF1Padding\n");
    char *sym = home("c", "secretRepositories.file.encryptionMode=symmetric\n");
    char *sha256 = home("d", "secretRepositories.file.algorithm=RSA/ECB/OAEPWithSHA-256AndMGF1Padding\n");
    char *ca = conf_of(oaep), *cc = conf_of(sym), *cd = conf_of(sha256);
    const char *loose = test_path("loose.toml");
    const char *paths[3];
    char *conf = (char *)1;
    vault_format f = (vault_format)77;
    vault_transformation t = (vault_transformation)77;

    test_write_text("loose.toml", "[secrets]\na = \"[x]\"\n");

    /* no home: nothing decided, nothing changed */
    paths[0] = loose;
    cr_assert_eq(vault_seal_format_of_homes(&conf, &f, &t, paths, 1), 0, "%s", test_errmsg());
    cr_assert_null(conf);
    cr_assert_eq((int)f, 77);
    cr_assert_eq((int)t, 77);
    cr_assert_eq(vault_seal_format_of_homes(&conf, &f, &t, paths, 0), 0);
    cr_assert_null(conf);

    /* a loose file beside a governed one: the home decides */
    paths[1] = oaep;
    cr_assert_eq(vault_seal_format_of_homes(&conf, &f, &t, paths, 2), 0, "%s", test_errmsg());
    cr_assert_str_eq(conf, ca);
    cr_assert_eq(f, VAULT_FORMAT_WSO2);
    cr_assert_eq(t, VAULT_TRANSFORM_RSA_OAEP_SHA1);
    vault_string_free(conf);

    /* two homes with one rule: the first names it */
    paths[0] = oaep;
    paths[1] = oaep2;
    cr_assert_eq(vault_seal_format_of_homes(&conf, &f, &t, paths, 2), 0, "%s", test_errmsg());
    cr_assert_str_eq(conf, ca);
    vault_string_free(conf);

    /* different rules: refused, both secret-conf.properties named */
    paths[2] = sym;
    conf = (char *)1;
    cr_assert_eq(vault_seal_format_of_homes(&conf, &f, &t, paths, 3), VAULT_EINVAL);
    cr_assert_null(conf);
    cr_assert(strstr(vault_error_last()->message, ca) && strstr(vault_error_last()->message, cc) &&
                  strstr(vault_error_last()->message, "name different algorithms"),
              "%s", vault_error_last()->message);
    paths[1] = sha256;
    cr_assert_eq(vault_seal_format_of_homes(&conf, &f, &t, paths, 2), VAULT_EINVAL);
    cr_assert(strstr(vault_error_last()->message, ca) && strstr(vault_error_last()->message, cd),
              "%s", vault_error_last()->message);

    cr_assert_eq(vault_seal_format_of_homes(NULL, &f, &t, paths, 1), VAULT_EINVAL);
    cr_assert_eq(vault_seal_format_of_homes(&conf, &f, &t, NULL, 1), VAULT_EINVAL);
    free(oaep);
    free(oaep2);
    free(sym);
    free(sha256);
    free(ca);
    free(cc);
    free(cd);
}
