/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool keystore list | verify */
#include "cli_json.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct keystore_args {
    cli_keystore k;
    cli_keystore trust;
    long long at; /* 0: now */
    int json;
} keystore_args;

/* --at TIME, as atoll() reads it. */
static int parse_at(void *dest, const char *arg, const char *cmd)
{
    (void)cmd;
    *(long long *)dest = atoll(arg);
    return 0;
}

static const cli_opt keystore_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_keystore_opts, keystore_args, k),
    {"json", 0, CLI_ARG_NONE, NULL, "machine-readable output (docs/JSON.md)", CLI_TO(CLI_TO_FLAG, keystore_args, json)},
    {"truststore", 0, CLI_ARG_REQUIRED, "FILE",
     "JKS, PKCS#12, PEM bundle or directory of PEMs (verify)", CLI_TO(CLI_TO_STRING, keystore_args, trust.path)},
    {"truststore-password-file", 0, CLI_ARG_REQUIRED, "FILE",
     "the truststore's store password, when it has one,\n"
     "from the first line of FILE", CLI_TO(CLI_TO_STRING, keystore_args, trust.password_file)},
    {"truststore-password-env", 0, CLI_ARG_REQUIRED, "VAR",
     "the same from variable VAR", CLI_TO(CLI_TO_STRING, keystore_args, trust.password_env)},
    {"crl", 0, CLI_ARG_REQUIRED, "FILE",
     "CRLs (PEM or DER) to check revocation with (verify); the\n"
     "truststore's own CRLs (in PEM files, .crl files of a\n"
     "directory) are used too. With CRLs, every certificate\n"
     "of the path must be covered by its issuer's CRL", CLI_TO(CLI_TO_STRING, keystore_args, trust.crl)},
    {"at", 0, CLI_ARG_REQUIRED, "TIME", "verify at this time (seconds since the epoch)",
     CLI_CALL(parse_at, keystore_args, at)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_keystore_options = {
    "keystore",
    "usage: cipher-tool keystore list -k KEYSTORE [options] [--json]\n"
    "       cipher-tool keystore verify -k KEYSTORE --truststore TRUSTSTORE [options] [--json]\n"
    "\n"
    "list: one entry per alias: kind, key algorithm and size, subject, issuer,\n"
    "validity, SHA-1 and SHA-256 certificate thumbprints.\n"
    "verify: check the certificate chain of a key entry (or of a certificate file)\n"
    "against a truststore: path, signatures, validity dates, CA constraints.\n"
    "Exit 0 when trusted, 1 with the reason otherwise.\n"
    "\n",
    keystore_opts,
    "\n"
    "The store password is read from the terminal unless a password option is given.\n"
    "\n"
    "example:\n"
    "  cipher-tool keystore list -k wso2carbon.jks --password-file ~/.ks-pass\n",
    0,
};

static const char *kind_name(vault_entry_kind k)
{
    switch (k) {
    case VAULT_ENTRY_PRIVATE_KEY: return "private key";
    case VAULT_ENTRY_TRUSTED_CERT: return "trusted certificate";
    case VAULT_ENTRY_SECRET_KEY: return "secret key";
    case VAULT_ENTRY_PUBLIC_KEY: return "public key";
    default: return "unknown";
    }
}

static const char *kind_id(vault_entry_kind k)
{
    switch (k) {
    case VAULT_ENTRY_PRIVATE_KEY: return "private-key";
    case VAULT_ENTRY_TRUSTED_CERT: return "trusted-certificate";
    case VAULT_ENTRY_SECRET_KEY: return "secret-key";
    case VAULT_ENTRY_PUBLIC_KEY: return "public-key";
    default: return "unknown";
    }
}

/* keytool's fingerprint form: upper-case hex pairs joined by colons. */
static void fingerprint(char *out, const unsigned char *d, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        out[3 * i] = hex[d[i] >> 4];
        out[3 * i + 1] = hex[d[i] & 15];
        out[3 * i + 2] = i + 1 < n ? ':' : '\0';
    }
}

static void iso_time(char *out, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, size, "%lld", (long long)t);
}

/* Key sizes of entries without a certificate are known once the key is
 * unlocked; try it quietly (the store password is the usual key password). */
static void unlock_for_listing(vault_keystore *ks, const vault_keystore_entry *e)
{
    unsigned char *der = NULL;
    size_t len;
    vault_secret *s = NULL;
    if (e->key_bits)
        return;
    if (e->kind == VAULT_ENTRY_PRIVATE_KEY && vault_keystore_public_key_der(&der, &len, ks, e->alias) == 0)
        vault_string_free((char *)der);
    if (e->kind == VAULT_ENTRY_SECRET_KEY && vault_keystore_secret_key(&s, ks, e->alias) == 0)
        vault_secret_free(s);
    vault_error_clear();
}

static void print_entry_text(const vault_keystore_entry *e)
{
    char fp[32 * 3], t1[64], t2[64];
    printf("\nAlias: %s\n", e->alias);
    printf("  Kind: %s\n", kind_name(e->kind));
    if (e->key_algorithm)
        printf("  Key: %s%s%.0u%s\n", e->key_algorithm, e->key_bits ? " " : "", e->key_bits,
               e->key_bits ? " bits" : "");
    if (e->has_certificate) {
        iso_time(t1, sizeof t1, e->not_before);
        iso_time(t2, sizeof t2, e->not_after);
        printf("  Subject: %s\n", e->subject);
        printf("  Issuer: %s\n", e->issuer);
        printf("  Serial: %s\n", e->serial);
        printf("  Valid: %s to %s\n", t1, t2);
        fingerprint(fp, e->sha1, sizeof e->sha1);
        printf("  SHA1: %s\n", fp);
        fingerprint(fp, e->sha256, sizeof e->sha256);
        printf("  SHA256: %s\n", fp);
    }
    if (e->kind == VAULT_ENTRY_PRIVATE_KEY)
        printf("  Chain: %zu certificate%s\n", e->chain_length, e->chain_length == 1 ? "" : "s");
}

/* The SHA-256 key ids of an entry's chain, leaf first. */
static json_t *chain_json(const vault_keystore *ks, const vault_keystore_entry *e)
{
    unsigned char md[crypto_hash_sha256_BYTES];
    const unsigned char *der;
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    json_t *a = json_array();
    size_t i, len;

    for (i = 0; e->kind == VAULT_ENTRY_PRIVATE_KEY && i < e->chain_length; i++) {
        if (vault_keystore_cert_der(&der, &len, ks, e->alias, i) != 0)
            break;
        crypto_hash_sha256(md, der, len);
        sodium_bin2hex(hex, sizeof hex, md, sizeof md);
        json_array_append_new(a, cli_json_key_id("cert-sha256", hex));
    }
    return a;
}

static json_t *entry_json(const vault_keystore *ks, const vault_keystore_entry *e)
{
    char sha1[2 * sizeof e->sha1 + 1], sha256[2 * sizeof e->sha256 + 1], t1[64], t2[64];
    json_t *o = json_object(), *ids = json_array();
    int cert = e->has_certificate;

    if (cert) {
        iso_time(t1, sizeof t1, e->not_before);
        iso_time(t2, sizeof t2, e->not_after);
        sodium_bin2hex(sha256, sizeof sha256, e->sha256, sizeof e->sha256);
        sodium_bin2hex(sha1, sizeof sha1, e->sha1, sizeof e->sha1);
        json_array_append_new(ids, cli_json_key_id("cert-sha256", sha256));
        json_array_append_new(ids, cli_json_key_id("cert-sha1", sha1));
    }
    json_object_set_new(o, "alias", json_string(e->alias));
    json_object_set_new(o, "kind", json_string(kind_id(e->kind)));
    json_object_set_new(o, "key_algorithm", cli_json_string(e->key_algorithm));
    json_object_set_new(o, "key_bits", e->key_bits ? json_integer(e->key_bits) : json_null());
    json_object_set_new(o, "subject", cli_json_string(cert ? e->subject : NULL));
    json_object_set_new(o, "issuer", cli_json_string(cert ? e->issuer : NULL));
    json_object_set_new(o, "serial", cli_json_string(cert ? e->serial : NULL));
    json_object_set_new(o, "not_before", cert ? json_string(t1) : json_null());
    json_object_set_new(o, "not_after", cert ? json_string(t2) : json_null());
    json_object_set_new(o, "key_ids", ids);
    json_object_set_new(o, "chain_length", e->kind == VAULT_ENTRY_PRIVATE_KEY
                                               ? json_integer((json_int_t)e->chain_length)
                                               : json_null());
    json_object_set_new(o, "chain", chain_json(ks, e));
    return o;
}

static int do_list(vault_keystore *ks, int json)
{
    size_t i, n = vault_keystore_count(ks);
    json_t *root = NULL, *arr = NULL;
    const vault_keystore_entry *e;

    if (json) {
        root = cli_json_new("keystore list");
        arr = json_array();
        json_object_set_new(root, "keystore", json_string(vault_keystore_path(ks)));
        json_object_set_new(root, "type", json_string(vault_keystore_type_name(vault_keystore_get_type(ks))));
    } else {
        printf("Keystore: %s\nType: %s\nEntries: %zu\n", vault_keystore_path(ks),
               vault_keystore_type_name(vault_keystore_get_type(ks)), n);
    }
    for (i = 0; i < n; i++) {
        if (vault_keystore_entry_at(&e, ks, i) != 0)
            continue;
        unlock_for_listing(ks, e);
        if (json)
            json_array_append_new(arr, entry_json(ks, e));
        else
            print_entry_text(e);
    }
    if (json) {
        json_object_set_new(root, "entries", arr);
        return cli_json_print(root);
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

/* An untrusted chain is the report's answer, not a failure of the command:
 * in JSON it is {"trusted": false, "reason": ...} with exit 1. */
static int do_verify(vault_keystore *ks, const char *alias, cli_keystore *trust, long long at, int json)
{
    vault_keystore *ts = NULL;
    json_t *o;
    int rc, code;

    if (cli_open_keystore(&ts, trust) != 0)
        return json ? cli_json_failure("keystore verify", EXIT_FAIL) : EXIT_FAIL;
    rc = vault_keystore_verify(ts, ks, alias, (int64_t)at, 0);
    vault_keystore_free(ts);
    if (rc != 0)
        cli_fail(rc, NULL);
    if (!json) {
        if (rc == 0)
            printf("%s: trusted by %s\n", vault_keystore_path(ks), trust->path);
        return rc == 0 ? EXIT_OK : EXIT_FAIL;
    }
    o = cli_json_new("keystore verify");
    json_object_set_new(o, "keystore", json_string(vault_keystore_path(ks)));
    json_object_set_new(o, "alias", cli_json_string(alias));
    json_object_set_new(o, "truststore", json_string(trust->path));
    json_object_set_new(o, "at", at ? json_integer((json_int_t)at) : json_null());
    json_object_set_new(o, "trusted", json_boolean(rc == 0));
    if (rc == 0) {
        json_object_set_new(o, "reason", json_null());
    } else {
        const char *message = cli_last_error(&code);
        json_object_set_new(o, "reason", json_pack("{s:s, s:s}", "code", cli_json_error_code(code),
                                                   "message", message));
    }
    if (cli_json_print(o) != EXIT_OK)
        return EXIT_FAIL;
    return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

int cmd_keystore(int argc, char **argv)
{
    keystore_args a;
    cli_keystore *k = &a.k, *trust = &a.trust;
    vault_keystore *ks = NULL;
    const char *verb;
    int json_done = 0, rc;

    memset(&a, 0, sizeof a);
    a.json = cli_json_requested(argc, argv);
    cli_keystore_init(k, "keystore");
    cli_keystore_init(trust, "truststore");
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_opt_print_help(stdout, &cmd_keystore_options);
        return EXIT_OK;
    }
    if (argc < 2 || (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "verify") != 0)) {
        rc = argc < 2 ? cli_usage_error("keystore", "missing subcommand: list or verify")
                      : cli_usage_error("keystore", "unknown keystore subcommand \"%s\"", argv[1]);
        return a.json ? cli_json_failure("keystore", rc) : rc;
    }
    verb = strcmp(argv[1], "list") == 0 ? "keystore list" : "keystore verify";
    rc = cli_opts_parse(&cmd_keystore_options, argc - 1, argv + 1, &a);
    if (rc != EXIT_OK)
        goto done;
    if (optind + 1 < argc) {
        rc = cli_usage_error("keystore", "unexpected argument \"%s\"", argv[optind + 1]);
        goto done;
    }
    if (!k->path) {
        rc = cli_usage_error("keystore", "missing -k KEYSTORE");
        goto done;
    }
    if (strcmp(verb, "keystore verify") == 0 && !trust->path) {
        rc = cli_usage_error("keystore", "verify needs --truststore FILE");
        goto done;
    }
    if (cli_open_keystore(&ks, k) != 0) {
        rc = EXIT_FAIL;
        goto done;
    }
    json_done = a.json; /* from here each verb prints its own object */
    rc = strcmp(verb, "keystore list") == 0 ? do_list(ks, a.json)
                                            : do_verify(ks, k->alias, trust, a.at, a.json);
done:
    if (a.json && !json_done && rc > EXIT_OK)
        rc = cli_json_failure(verb, rc);
    vault_keystore_free(ks);
    cli_keystore_clear(k);
    cli_keystore_clear(trust);
    return rc;
}
