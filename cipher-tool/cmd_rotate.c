/* cipher-tool rotate: re-encrypt every sealed value of config files from the
 * old key to new recipients or a new format, all or nothing per file. */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char rotate_usage[] =
    "usage: cipher-tool rotate FILE... --from-keystore OLD [--from-alias A] [from options]\n"
    "                          (-k NEW | --cert NEW)... [--format F] [options]\n"
    "\n"
    "Re-encrypt every sealed secret of deployment.toml ([secrets]) or\n"
    "cipher-text.properties files: each value is opened with the old key (any\n"
    "format; mixed formats are fine) and sealed again for the new recipients in\n"
    "the new format. Plain text secrets are left as they are and reported;\n"
    "PKCS#1 v1.5 values are reported as legacy. Each file is replaced atomically\n"
    "after every new value was checked (opened with the new key when it is at\n"
    "hand); when any value does not open with the old key, the file is not\n"
    "written and every failing alias is named.\n"
    "A config naming an etcd repository ([secret_repository], or for a\n"
    "cipher-text.properties secretRepositories=etcd in its secret-conf.properties)\n"
    "has its values rotated in etcd: read, re-sealed and written back in one\n"
    "transaction that fails, writing nothing, when any key under the prefix\n"
    "changed since the read.\n"
    "\n"
    "An RSA PKCS#1 v1.5 value without a thumbprint (raw WSO2 values) opens with\n"
    "any key of its size, a wrong one giving other bytes; it is sealed again only\n"
    "when another value of the run (native, OAEP, a holder naming the key's\n"
    "certificate) proves the old key (SECURITY.md).\n"
    "      --accept-unproven-pkcs1 seal such values again without that proof when the\n"
    "                              old keystore and alias are the ones the file's server\n"
    "                              is configured with (deployment.toml, secret-conf.properties\n"
    "                              beside cipher-text.properties, carbon.xml)\n"
    "\n"
    "the old key:\n"
    "      --from-keystore FILE    keystore holding the key that opens the values now\n"
    "      --from-alias ALIAS      its key entry (default: as the values name it, else\n"
    "                              the only key entry)\n"
    "      --from-storetype TYPE   force its type\n"
    "      --from-password-file F, --from-password-fd N, --from-password-env VAR\n"
    "      --from-key-password-file F, --from-key-password-fd N\n"
    "                              its passwords (as --password-file ... below)\n"
    "      --from-symmetric-key-file F\n"
    "                              the old AES key of WSO2 symmetric values (raw 16/24/32\n"
    "                              bytes, hex or base64), with or instead of --from-keystore\n"
    "\n"
    "the new recipients (the options of 'seal'; --to-keystore is -k):\n" CLI_SEALING_OPTIONS_HELP
    "\n"
    "examples:\n"
    "  cipher-tool rotate deployment.toml --from-keystore old.jks --from-password-file old.pw \\\n"
    "      -k new.p12 --password-file new.pw\n"
    "  cipher-tool rotate cipher-text.properties --from-keystore wso2carbon.jks \\\n"
    "      --cert new.pem --format wso2 --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding\n";

enum {
    OPT_FROM_KEYSTORE = OPT_FIRST_COMMAND_OPTION,
    OPT_FROM_ALIAS,
    OPT_FROM_STORETYPE,
    OPT_FROM_PASSWORD_FILE,
    OPT_FROM_PASSWORD_FD,
    OPT_FROM_PASSWORD_ENV,
    OPT_FROM_KEY_PASSWORD_FILE,
    OPT_FROM_KEY_PASSWORD_FD,
    OPT_FROM_SYMMETRIC_KEY_FILE,
    OPT_ACCEPT_UNPROVEN_PKCS1
};

/* --accept-unproven-pkcs1; -Drotate never sets it. */
static int accept_unproven;

/* The --from-* options are the keystore options of the old keystore. */
static int from_option(cli_keystore *from, int opt, const char *arg)
{
    static const int shared[] = {'k', OPT_ALIAS, OPT_STORETYPE, OPT_PASSWORD_FILE, OPT_PASSWORD_FD,
                                 OPT_PASSWORD_ENV, OPT_KEY_PASSWORD_FILE, OPT_KEY_PASSWORD_FD};
    if (opt < OPT_FROM_KEYSTORE || opt > OPT_FROM_KEY_PASSWORD_FD)
        return 0;
    return cli_keystore_option(from, shared[opt - OPT_FROM_KEYSTORE], arg, "rotate");
}

/* The plaintexts of one file's rotated values, to check the new content. */
typedef struct rotated {
    const char *path;
    vault_config_type type;
    vault_opener *verify;
    size_t n;
    char **aliases;
    vault_secret **plain;
    unsigned int *opened; /* VAULT_OPENED_* of each */
} rotated;

static void rotated_clear(rotated *r)
{
    size_t i;
    for (i = 0; i < r->n; i++) {
        free(r->aliases[i]);
        vault_secret_free(r->plain[i]);
    }
    free(r->aliases);
    free(r->plain);
    free(r->opened);
}

static int verify_new_content(const void *data, size_t len, void *payload)
{
    rotated *r = payload;
    vault_config *cfg = NULL;
    size_t i, idx;
    int rc = vault_config_parse(&cfg, r->path, r->type, data, len);

    for (i = 0; rc == 0 && i < r->n; i++) {
        const vault_config_entry *e;
        vault_secret *got = NULL;
        rc = vault_config_find(cfg, r->aliases[i], &idx);
        if (rc == 0)
            rc = vault_config_entry_at(cfg, idx, &e);
        if (rc == 0 && e->state != VAULT_VALUE_SEALED)
            rc = VAULT_EFORMAT;
        if (rc == 0 && r->verify)
            rc = vault_opener_open(r->verify, r->aliases[i], e->value, &got, NULL);
        if (rc == 0 && got && (vault_secret_len(got) != vault_secret_len(r->plain[i]) ||
                               sodium_memcmp(vault_secret_data(got), vault_secret_data(r->plain[i]),
                                             vault_secret_len(got)) != 0))
            rc = VAULT_EAUTH;
        if (rc != 0)
            cli_error("%s: alias \"%s\": the new value does not open with the new key; the file "
                      "was not changed", r->path, r->aliases[i]);
        vault_secret_free(got);
    }
    vault_config_free(cfg);
    return rc;
}

/* Open one value with the old key and seal it for the new recipients. */
static int rotate_one(rotated *r, vault_config *cfg, size_t i, const vault_config_entry *e,
                      vault_opener *old, vault_sealer *sealer, int *legacy)
{
    vault_secret *plain = NULL;
    unsigned int flags = 0, *f;
    char *value = NULL, **a;
    vault_secret **p;
    int rc = vault_opener_open(old, e->alias, e->value, &plain, &flags);

    if (rc == 0)
        rc = vault_sealer_seal(sealer, e->alias, vault_secret_data(plain), vault_secret_len(plain),
                               &value);
    if (rc != 0) {
        const vault_error *err = vault_error_last();
        cli_error("%s: alias \"%s\": %s", r->path, e->alias, err ? err->message : "cannot rotate");
        vault_secret_free(plain);
        return EXIT_FAIL;
    }
    *legacy = (flags & VAULT_OPENED_LEGACY) != 0;
    rc = vault_config_set(cfg, i, value);
    vault_string_free(value);
    a = rc == 0 ? realloc(r->aliases, (r->n + 1) * sizeof *a) : NULL;
    if (a)
        r->aliases = a;
    p = a ? realloc(r->plain, (r->n + 1) * sizeof *p) : NULL;
    if (p)
        r->plain = p;
    f = p ? realloc(r->opened, (r->n + 1) * sizeof *f) : NULL;
    if (f)
        r->opened = f;
    if (!a || !p || !f || !(r->aliases[r->n] = strdup(e->alias))) {
        vault_secret_free(plain);
        return cli_fail(rc ? rc : VAULT_ENOMEM, "out of memory");
    }
    r->opened[r->n] = flags;
    r->plain[r->n++] = plain;
    return EXIT_OK;
}

/* A list of aliases for messages: "\"a\", \"b\"". */
typedef struct alias_list {
    char *text;
    size_t used, n;
} alias_list;

static int list_add(alias_list *l, const char *alias)
{
    size_t add = strlen(alias) + 5;
    char *grown = realloc(l->text, l->used + add);
    if (!grown)
        return cli_fail(VAULT_ENOMEM, "out of memory");
    l->text = grown;
    l->used += (size_t)snprintf(l->text + l->used, add, "%s\"%s\"", l->n ? ", " : "", alias);
    l->n++;
    return EXIT_OK;
}

static void report(const char *path, const rotated *r, const alias_list *legacy,
                   const char *format, const alias_list *plain)
{
    fprintf(stderr, "cipher-tool: %s: rotated %zu secret%s to %s", path, r->n, r->n == 1 ? "" : "s",
            format);
    if (legacy->n)
        fprintf(stderr, " (%zu legacy PKCS#1 v1.5 value%s moved to %s: %s)", legacy->n,
                legacy->n == 1 ? "" : "s", format, legacy->text);
    fputc('\n', stderr);
    if (plain->n)
        cli_warning("%s: %zu plain text secret%s left as %s: %s", path, plain->n,
                    plain->n == 1 ? "" : "s", plain->n == 1 ? "it is" : "they are", plain->text);
}

/* ---- a config naming an etcd repository: rotate the values there ---------- */

typedef struct repo_rotation {
    const char *path;
    const char *prefix;
    vault_opener *old, *verify;
    vault_sealer *sealer;
    size_t rotated, failed;
    alias_list legacy;
} repo_rotation;

static int rotate_repo_value(char **new_value, const char *alias, const char *value, void *payload)
{
    repo_rotation *r = payload;
    vault_secret *plain = NULL, *got = NULL;
    unsigned int flags = 0;
    int rc;

    if (!alias)
        return 0; /* every value rotated: write them */
    rc = vault_opener_open(r->old, alias, value, &plain, &flags);

    if (rc == 0)
        rc = vault_sealer_seal(r->sealer, alias, vault_secret_data(plain), vault_secret_len(plain), new_value);
    if (rc == 0 && r->verify && (rc = vault_opener_open(r->verify, alias, *new_value, &got, NULL)) == 0 &&
        (vault_secret_len(got) != vault_secret_len(plain) ||
         sodium_memcmp(vault_secret_data(got), vault_secret_data(plain), vault_secret_len(got)) != 0))
        rc = VAULT_EAUTH;
    if (rc != 0) {
        const vault_error *err = vault_error_last();
        cli_error("%s: etcd %s: alias \"%s\": %s", r->path, r->prefix, alias,
                  err && err->code == rc ? err->message : vault_strerror(rc));
        vault_string_free(*new_value);
        *new_value = NULL;
        r->failed++;
    } else {
        r->rotated++;
        if ((flags & VAULT_OPENED_LEGACY) && list_add(&r->legacy, alias) != EXIT_OK)
            rc = VAULT_ENOMEM;
    }
    vault_secret_free(plain);
    vault_secret_free(got);
    return rc;
}

/* Read every value from etcd, re-seal, write back in one transaction that
 * fails when anything under the prefix changed since the read. */
static int rotate_repository(const char *path, const vault_repository_options *ro, vault_opener *old,
                             vault_sealer *sealer, vault_opener *verify, const char *format)
{
    repo_rotation r;
    int64_t written = -1;
    int rc;

    memset(&r, 0, sizeof r);
    r.path = path;
    r.prefix = ro->prefix;
    r.old = old;
    r.verify = verify;
    r.sealer = sealer;
    rc = vault_repository_rewrite(ro, rotate_repo_value, &r, -1, &written);
    if (rc != 0 && r.failed)
        cli_error("%s: %zu value%s did not rotate; nothing was written in etcd %s", path, r.failed,
                  r.failed == 1 ? "" : "s", ro->prefix);
    else if (rc != 0) {
        const vault_error *err = vault_error_last();
        cli_error("%s: %s", path, err->code != VAULT_OK ? err->message : vault_strerror(rc));
    } else {
        fprintf(stderr, "cipher-tool: %s: rotated %zu secret%s to %s in etcd %s at revision %lld", path,
                r.rotated, r.rotated == 1 ? "" : "s", format, ro->prefix, (long long)written);
        if (r.legacy.n)
            fprintf(stderr, " (%zu legacy PKCS#1 v1.5 value%s: %s)", r.legacy.n, r.legacy.n == 1 ? "" : "s",
                    r.legacy.text);
        fputc('\n', stderr);
    }
    free(r.legacy.text);
    return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

int cli_rotate_file(const char *path, vault_opener *old, vault_sealer *sealer, vault_opener *verify,
                    const char *format)
{
    vault_config *cfg = NULL;
    rotated r;
    alias_list legacy = {NULL, 0, 0}, plain = {NULL, 0, 0};
    size_t i, n, failed = 0, accepted = 0, refused = 0;
    int rc = EXIT_FAIL, configured = -1;
    char why[1024] = "";

    memset(&r, 0, sizeof r);
    if (vault_config_open(&cfg, path, VAULT_CONFIG_AUTO) != 0)
        return cli_fail(VAULT_ERROR, NULL);
    {
        /* The config names an etcd repository: the values are there. */
        vault_repository_options ro;
        vault_config *settings = NULL;
        int named = vault_repository_options_from_config(&ro, &settings, cfg);
        if (named != 0) {
            rc = named < 0 ? cli_fail(named, NULL) : rotate_repository(path, &ro, old, sealer, verify, format);
            vault_config_free(settings);
            vault_config_free(cfg);
            return rc;
        }
    }
    r.path = path;
    r.type = vault_config_get_type(cfg);
    r.verify = verify;
    n = vault_config_count(cfg);
    for (i = 0; i < n; i++) {
        const vault_config_entry *e;
        int was_legacy = 0;
        vault_config_entry_at(cfg, i, &e);
        if (e->state != VAULT_VALUE_SEALED) {
            if (list_add(&plain, e->alias) != EXIT_OK)
                goto done;
        } else if (rotate_one(&r, cfg, i, e, old, sealer, &was_legacy) != EXIT_OK) {
            failed++;
        } else if (was_legacy && list_add(&legacy, e->alias) != EXIT_OK) {
            goto done;
        }
    }
    /* After every value was opened: one may have proved the old key. */
    for (i = 0; i < r.n; i++) {
        if (vault_opener_reseal_check(old, r.opened[i], path, r.aliases[i]) == 0)
            continue;
        /* Vouched for, and the key the server uses: nothing it sees changes. */
        if (accept_unproven && configured < 0) {
            configured = vault_opener_key_is_configured(old, path) == 0;
            snprintf(why, sizeof why, "%s", vault_error_last()->message);
        }
        if (configured > 0) {
            accepted++;
            continue;
        }
        if (accept_unproven)
            cli_error("%s: alias \"%s\": RSA PKCS#1 v1.5 value naming no key, not sealed again: %s",
                      path, r.aliases[i], why);
        else
            cli_error("%s", vault_error_last()->message);
        failed++;
        if (!refused++)
            cli_hint(accept_unproven ? "with --accept-unproven-pkcs1 the old key must be the one the "
                                       "server is configured with"
                                     : "if the old key is the one the server is configured with, "
                                       "'cipher-tool rotate --accept-unproven-pkcs1' seals them again");
    }
    if (accepted)
        cli_warning("%s: %zu PKCS#1 v1.5 value%s sealed again without proof of the old key "
                    "(--accept-unproven-pkcs1)", path, accepted, accepted == 1 ? "" : "s");
    if (failed) {
        cli_error("%s: %zu value%s did not rotate; the file was not changed", path, failed,
                  failed == 1 ? "" : "s");
        goto done;
    }
    if (r.n && vault_config_save(cfg, verify_new_content, &r) != 0) {
        const vault_error *err = vault_error_last();
        if (err)
            cli_error("%s", err->message);
        goto done;
    }
    report(path, &r, &legacy, format, &plain);
    rc = EXIT_OK;
done:
    free(legacy.text);
    free(plain.text);
    rotated_clear(&r);
    vault_config_free(cfg);
    return rc;
}

static int parse_args(cli_sealing *s, cli_keystore *from, const char **from_aes, int argc,
                      char **argv)
{
    static const struct option options[] = {
        CLI_SEALING_LONG_OPTIONS,
        {"to-keystore", required_argument, NULL, 'k'},
        {"from-keystore", required_argument, NULL, OPT_FROM_KEYSTORE},
        {"from-alias", required_argument, NULL, OPT_FROM_ALIAS},
        {"from-storetype", required_argument, NULL, OPT_FROM_STORETYPE},
        {"from-password-file", required_argument, NULL, OPT_FROM_PASSWORD_FILE},
        {"from-password-fd", required_argument, NULL, OPT_FROM_PASSWORD_FD},
        {"from-password-env", required_argument, NULL, OPT_FROM_PASSWORD_ENV},
        {"from-key-password-file", required_argument, NULL, OPT_FROM_KEY_PASSWORD_FILE},
        {"from-key-password-fd", required_argument, NULL, OPT_FROM_KEY_PASSWORD_FD},
        {"from-symmetric-key-file", required_argument, NULL, OPT_FROM_SYMMETRIC_KEY_FILE},
        {"accept-unproven-pkcs1", no_argument, NULL, OPT_ACCEPT_UNPROVEN_PKCS1},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt, handled;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "k:h", options, NULL)) != -1) {
        handled = from_option(from, opt, optarg);
        if (opt == OPT_FROM_SYMMETRIC_KEY_FILE) {
            *from_aes = optarg;
            continue;
        }
        if (opt == OPT_ACCEPT_UNPROVEN_PKCS1) {
            accept_unproven = 1;
            continue;
        }
        if (handled == 0)
            handled = cli_sealing_option(s, opt, optarg, "rotate");
        if (handled < 0)
            return EXIT_USAGE;
        if (handled)
            continue;
        if (opt == 'h') {
            fputs(rotate_usage, stdout);
            return -1;
        }
        return cli_usage_error("rotate", "bad option");
    }
    if (optind >= argc)
        return cli_usage_error("rotate", "expected one or more FILEs");
    if (!from->path && !*from_aes)
        return cli_usage_error("rotate", "missing --from-keystore OLD (the key that opens the values "
                               "now) or --from-symmetric-key-file");
    return EXIT_OK;
}

int cmd_rotate(int argc, char **argv)
{
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    cli_sealing s;
    cli_keystore from;
    vault_keystore *old_ks = NULL;
    vault_secret *old_aes = NULL;
    const char *from_aes = NULL;
    vault_opener *old = NULL, *verify = NULL;
    vault_sealer *sealer = NULL;
    int rc, i;

    cli_sealing_init(&s);
    cli_keystore_init(&from, "old keystore");
    rc = parse_args(&s, &from, &from_aes, argc, argv);
    if (rc != EXIT_OK) {
        rc = rc < 0 ? EXIT_OK : rc;
        goto done;
    }
    if ((from.path && cli_open_keystore(&old_ks, &from) != 0) ||
        (from_aes && cli_read_symmetric_key(from_aes, &old_aes) != EXIT_OK)) {
        rc = EXIT_FAIL;
        goto done;
    }
    oo.keystore = old_ks;
    oo.symmetric_key = old_aes;
    oo.key_alias = from.alias;
    if ((rc = vault_opener_new(&old, &oo)) != 0) {
        rc = cli_fail(rc, NULL);
        goto done;
    }
    if ((rc = cli_sealing_prepare(&s, "rotate", &sealer)) != EXIT_OK)
        goto done;
    if (cli_sealing_opener(&s, &verify) != 0) {
        rc = cli_fail(VAULT_ERROR, NULL);
        goto done;
    }
    if (!verify)
        cli_warning("the new private key is not at hand: the new values are checked for form only");
    for (i = optind, rc = EXIT_OK; i < argc; i++)
        if (cli_rotate_file(argv[i], old, sealer, verify,
                            vault_format_name((vault_format)s.format)) != EXIT_OK)
            rc = EXIT_FAIL;
done:
    vault_sealer_free(sealer);
    vault_opener_free(verify);
    vault_opener_free(old);
    vault_keystore_free(old_ks);
    vault_secret_free(old_aes);
    cli_keystore_clear(&from);
    cli_sealing_clear(&s);
    return rc;
}
