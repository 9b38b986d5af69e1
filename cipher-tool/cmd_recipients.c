/* cipher-tool recipients add | remove: change who can open the native values
 * of config files by rewrapping their data keys (docs/FORMAT.md 5.4); the
 * secrets themselves are neither asked for nor re-encrypted. */
#include "cli.h"

#include <ctype.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char recipients_usage[] =
    "usage: cipher-tool recipients add FILE... -k KEYSTORE --cert CERT...\n"
    "                                  [--truststore FILE [--allow-untrusted]] [options]\n"
    "       cipher-tool recipients remove FILE... -k KEYSTORE (--key-id ID | --cert CERT)...\n"
    "\n"
    "Add or remove recipients of the native (vault:v1:) values of deployment.toml\n"
    "or cipher-text.properties files without re-encrypting them: the data key of\n"
    "each value is recovered with the private key of -k (a current recipient) and\n"
    "wrapped to each added certificate; a removed recipient's stanza is dropped.\n"
    "Values of other formats are left alone (rotate them). Each file is replaced\n"
    "atomically after the new values were checked; when any value fails, the\n"
    "file is not written and every failing alias is named.\n"
    "Removing a recipient is not revocation: a key that could read a secret\n"
    "before still can if it kept a copy. Rotate and change the secret for that.\n"
    "A config naming an etcd repository ([secret_repository], or for a\n"
    "cipher-text.properties secretRepositories=etcd in its secret-conf.properties)\n"
    "has its values rewrapped in etcd, in one transaction that fails, writing\n"
    "nothing, when any key under the prefix changed since they were read.\n"
    "With --truststore, an added certificate whose chain does not verify (or\n"
    "that has expired) is refused and no file is touched, as for 'seal'.\n"
    "\n"
    "options:\n" CLI_KEYSTORE_OPTIONS_HELP
    "      --cert FILE             add: a new recipient; remove: the recipient to drop\n"
    "                              (PEM or DER; repeatable)\n"
    "      --key-id ID             remove: a recipient's key id (SHA-256 fingerprint of\n"
    "                              its certificate; colons and case ignored; repeatable)\n"
    "\n"
    "add only: the trust gate on the added certificates\n" CLI_TRUST_OPTIONS_HELP
    "\n"
    "example:\n"
    "  cipher-tool recipients add deployment.toml -k wso2carbon.jks --cert dr.pem \\\n"
    "      --truststore client-truststore.jks --truststore-password-file ts.pw\n";

enum { OPT_KEY_ID = OPT_FIRST_COMMAND_OPTION };

typedef struct rcpt_run {
    cli_keystore key;
    vault_keystore *ks;
    const char *certs[CLI_MAX_CERTS];
    size_t cert_count;
    vault_keystore *cert_ks[CLI_MAX_CERTS];
    vault_recipient *certs_r[CLI_MAX_CERTS];
    cli_keystore trust;           /* add: --truststore and its password */
    vault_keystore *trust_ks;
    int allow_untrusted;
    char *ids[CLI_MAX_CERTS * 2];
    size_t id_count;
    int remove;
    char our_id[65]; /* the key id of -k, "" when it has none */
    vault_opener *opener;
    vault_rewrapper *rw;
} rcpt_run;

static void run_clear(rcpt_run *r)
{
    size_t i;
    vault_rewrapper_free(r->rw);
    vault_opener_free(r->opener);
    for (i = 0; i < r->cert_count; i++) {
        vault_recipient_free(r->certs_r[i]);
        vault_keystore_free(r->cert_ks[i]);
    }
    for (i = 0; i < r->id_count; i++)
        free(r->ids[i]);
    vault_keystore_free(r->ks);
    vault_keystore_free(r->trust_ks);
    cli_keystore_clear(&r->key);
    cli_keystore_clear(&r->trust);
}

/* "AB:CD..." or "abcd...": 64 hex digits, lower-cased. Returns 0 or -1
 * (message printed). */
static int add_key_id(rcpt_run *r, const char *arg)
{
    char id[65];
    size_t n = 0;
    const char *p;

    for (p = arg; *p && n <= 64; p++) {
        if (*p == ':')
            continue;
        if (!isxdigit((unsigned char)*p))
            break;
        if (n < 64)
            id[n] = (char)tolower((unsigned char)*p);
        n++;
    }
    if (*p || n != 64) {
        cli_usage_error("recipients", "\"%s\" is not a key id (64 hex digits, colons allowed)", arg);
        return -1;
    }
    id[64] = '\0';
    if (r->id_count == sizeof r->ids / sizeof r->ids[0]) {
        cli_usage_error("recipients", "too many key ids");
        return -1;
    }
    if (!(r->ids[r->id_count] = strdup(id))) {
        cli_fail(VAULT_ENOMEM, "out of memory");
        return -1;
    }
    r->id_count++;
    return 0;
}

static int open_certs(rcpt_run *r)
{
    size_t i;
    for (i = 0; i < r->cert_count; i++) {
        cli_keystore c;
        cli_keystore_init(&c, "certificate");
        c.path = r->certs[i];
        if (cli_open_keystore(&r->cert_ks[i], &c) != 0)
            return EXIT_FAIL;
        if (vault_recipient_from_keystore(&r->certs_r[i], r->cert_ks[i], NULL) != 0)
            return cli_fail(VAULT_ERROR, NULL);
        if (!r->remove &&
            cli_check_trust(r->trust_ks, r->cert_ks[i], NULL, r->certs_r[i], r->allow_untrusted) != EXIT_OK)
            return EXIT_FAIL;
        if (r->remove && add_key_id(r, vault_recipient_key_id(r->certs_r[i])) != 0)
            return EXIT_FAIL;
    }
    return EXIT_OK;
}

static int prepare(rcpt_run *r)
{
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    vault_rewrap_options o = VAULT_REWRAP_OPTIONS_INIT;
    vault_recipient *me = NULL;
    int rc;

    if (cli_open_keystore(&r->ks, &r->key) != 0)
        return EXIT_FAIL;
    if (r->trust.path && cli_open_keystore(&r->trust_ks, &r->trust) != 0)
        return EXIT_FAIL;
    if ((rc = open_certs(r)) != EXIT_OK)
        return rc;
    if (vault_recipient_from_keystore(&me, r->ks, r->key.alias) == 0)
        snprintf(r->our_id, sizeof r->our_id, "%s", vault_recipient_key_id(me));
    vault_recipient_free(me);
    vault_error_clear();
    oo.keystore = r->ks;
    oo.key_alias = r->key.alias;
    if ((rc = vault_opener_new(&r->opener, &oo)) != 0)
        return cli_fail(rc, NULL);
    o.keystore = r->ks;
    o.key_alias = r->key.alias;
    if (r->remove) {
        o.remove_key_ids = (const char *const *)r->ids;
        o.remove_count = r->id_count;
    } else {
        o.add = (const vault_recipient *const *)r->certs_r;
        o.add_count = r->cert_count;
    }
    rc = vault_rewrapper_new(&r->rw, &o);
    return rc == 0 ? EXIT_OK : cli_fail(rc, NULL);
}

/* One rewrapped value, to check in the new content. */
typedef struct rewrapped {
    char *alias;
    vault_secret *plain;
} rewrapped;

typedef struct file_run {
    rcpt_run *r;
    const char *path;
    vault_config_type type;
    rewrapped *items;
    size_t n;
    size_t *removed; /* per removed key id: values that had it */
} file_run;

static int has_id(const vault_value_info *info, const char *id)
{
    size_t i;
    for (i = 0; info->key_ids && i < info->recipient_count; i++)
        if (strcmp(info->key_ids[i], id) == 0)
            return 1;
    return 0;
}

/* The new value names exactly what was asked and opens to the old plaintext
 * while our key is still a recipient. */
static int check_value(const file_run *f, const rewrapped *it, const char *value)
{
    vault_value_info *info = NULL;
    vault_secret *got = NULL;
    size_t i;
    int rc = vault_inspect(value, &info);

    for (i = 0; rc == 0 && !f->r->remove && i < f->r->cert_count; i++)
        if (!has_id(info, vault_recipient_key_id(f->r->certs_r[i])))
            rc = VAULT_EKEY;
    for (i = 0; rc == 0 && f->r->remove && i < f->r->id_count; i++)
        if (has_id(info, f->r->ids[i]))
            rc = VAULT_EKEY;
    if (rc == 0 && f->r->our_id[0] && has_id(info, f->r->our_id)) {
        rc = vault_opener_open(f->r->opener, it->alias, value, &got, NULL);
        if (rc == 0 && (vault_secret_len(got) != vault_secret_len(it->plain) ||
                        sodium_memcmp(vault_secret_data(got), vault_secret_data(it->plain),
                                      vault_secret_len(got)) != 0))
            rc = VAULT_EAUTH;
    }
    vault_secret_free(got);
    vault_value_info_free(info);
    return rc;
}

static int verify_new_content(const void *data, size_t len, void *payload)
{
    file_run *f = payload;
    vault_config *cfg = NULL;
    const vault_config_entry *e;
    size_t i, idx;
    int rc = vault_config_parse(&cfg, f->path, f->type, data, len);

    for (i = 0; rc == 0 && i < f->n; i++) {
        rc = vault_config_find(cfg, f->items[i].alias, &idx);
        if (rc == 0)
            rc = vault_config_entry_at(cfg, idx, &e);
        if (rc == 0)
            rc = check_value(f, &f->items[i], e->value);
        if (rc != 0)
            cli_error("%s: alias \"%s\": the rewrapped value does not check; the file was not "
                      "changed", f->path, f->items[i].alias);
    }
    vault_config_free(cfg);
    return rc;
}

static void count_removed(file_run *f, const char *value)
{
    vault_value_info *info = NULL;
    size_t i;
    if (vault_inspect(value, &info) != 0)
        return;
    for (i = 0; i < f->r->id_count; i++)
        f->removed[i] += (size_t)has_id(info, f->r->ids[i]);
    vault_value_info_free(info);
}

/* Open (for the check), then rewrap one native value. */
static int rewrap_one(file_run *f, vault_config *cfg, size_t i, const vault_config_entry *e)
{
    rewrapped *it = &f->items[f->n];
    char *value = NULL;
    int rc;

    if ((rc = vault_opener_open(f->r->opener, e->alias, e->value, &it->plain, NULL)) == 0)
        rc = vault_rewrapper_rewrap(f->r->rw, e->alias, e->value, &value);
    if (rc != 0) {
        const vault_error *err = vault_error_last();
        cli_error("%s: alias \"%s\": %s", f->path, e->alias, err ? err->message : "cannot rewrap");
        vault_secret_free(it->plain);
        it->plain = NULL;
        return rc;
    }
    if (f->r->remove)
        count_removed(f, e->value);
    rc = vault_config_set(cfg, i, value);
    vault_string_free(value);
    if (rc == 0 && !(it->alias = strdup(e->alias)))
        rc = VAULT_ENOMEM;
    if (rc != 0) {
        vault_secret_free(it->plain);
        it->plain = NULL;
        return cli_fail(rc, NULL);
    }
    f->n++;
    return 0;
}

static int report(const file_run *f, size_t other, size_t plain)
{
    size_t i;
    int rc = EXIT_OK;

    for (i = 0; f->r->remove && i < f->r->id_count; i++)
        if (f->removed[i] == 0) {
            cli_error("%s: key id %s is not a recipient of any value; the file was not changed",
                      f->path, f->r->ids[i]);
            rc = EXIT_FAIL;
        }
    if (other)
        cli_warning("%s: %zu value%s of a WSO2 format left as %s (only native values have "
                    "recipients; use 'cipher-tool rotate')", f->path, other, other == 1 ? "" : "s",
                    other == 1 ? "it is" : "they are");
    if (plain)
        cli_warning("%s: %zu plain text secret%s left as %s (seal %s)", f->path, plain,
                    plain == 1 ? "" : "s", plain == 1 ? "it is" : "they are",
                    plain == 1 ? "it" : "them");
    return rc;
}

/* ---- a config naming an etcd repository: rewrap the values there ---------- */

typedef struct repo_rewrap {
    file_run f;
    const char *prefix;
    size_t other, failed;
} repo_rewrap;

static int rewrap_repo_value(char **new_value, const char *alias, const char *value, void *payload)
{
    repo_rewrap *rr = payload;
    rewrapped it;
    int rc, checked = 1;

    if (!alias) /* every value rewrapped: write them unless a removed key id was nowhere */
        return report(&rr->f, rr->other, 0) == EXIT_OK ? 0 : VAULT_ENOTFOUND;
    if (strncmp(value, "vault:", 6) != 0) {
        rr->other++;
        return 0;
    }
    it.alias = (char *)(uintptr_t)alias;
    it.plain = NULL;
    if ((rc = vault_opener_open(rr->f.r->opener, alias, value, &it.plain, NULL)) == 0 &&
        (rc = vault_rewrapper_rewrap(rr->f.r->rw, alias, value, new_value)) == 0 &&
        check_value(&rr->f, &it, *new_value) != 0) {
        rc = VAULT_EAUTH;
        checked = 0;
    }
    if (rc != 0) {
        const vault_error *err = vault_error_last();
        cli_error("%s: etcd %s: alias \"%s\": %s", rr->f.path, rr->prefix, alias,
                  !checked ? "the rewrapped value does not check"
                  : err->code == rc ? err->message : vault_strerror(rc));
        vault_string_free(*new_value);
        *new_value = NULL;
        rr->failed++;
    } else {
        if (rr->f.r->remove)
            count_removed(&rr->f, value);
        rr->f.n++;
    }
    vault_secret_free(it.plain);
    return rc;
}

/* Read every value from etcd, rewrap, write back in one transaction that
 * fails when anything under the prefix changed since the read. */
static int rewrap_repository(rcpt_run *r, const char *path, const vault_repository_options *ro)
{
    repo_rewrap rr;
    int64_t written = -1;
    int rc;

    memset(&rr, 0, sizeof rr);
    rr.f.r = r;
    rr.f.path = path;
    rr.prefix = ro->prefix;
    if (!(rr.f.removed = calloc(r->id_count ? r->id_count : 1, sizeof *rr.f.removed)))
        return cli_fail(VAULT_ENOMEM, "out of memory");
    rc = vault_repository_rewrite(ro, rewrap_repo_value, &rr, -1, &written);
    if (rc != 0 && rr.failed)
        cli_error("%s: %zu value%s failed; nothing was written in etcd %s", path, rr.failed,
                  rr.failed == 1 ? "" : "s", ro->prefix);
    else if (rc == VAULT_ENOTFOUND)
        cli_error("%s: nothing was written in etcd %s", path, ro->prefix);
    else if (rc != 0) {
        const vault_error *err = vault_error_last();
        cli_error("%s: %s", path, err->code != VAULT_OK ? err->message : vault_strerror(rc));
    } else
        fprintf(stderr, "cipher-tool: %s: %s %zu recipient%s %s %zu value%s in etcd %s at revision %lld\n", path,
                r->remove ? "removed" : "added", r->remove ? r->id_count : r->cert_count,
                (r->remove ? r->id_count : r->cert_count) == 1 ? "" : "s", r->remove ? "from" : "to", rr.f.n,
                rr.f.n == 1 ? "" : "s", ro->prefix, (long long)written);
    free(rr.f.removed);
    return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

static int rewrap_file(rcpt_run *r, const char *path)
{
    vault_config *cfg = NULL;
    file_run f;
    size_t i, n, other = 0, plain = 0, failed = 0;
    int rc = EXIT_FAIL;

    memset(&f, 0, sizeof f);
    f.r = r;
    f.path = path;
    if (vault_config_open(&cfg, path, VAULT_CONFIG_AUTO) != 0)
        return cli_fail(VAULT_ERROR, NULL);
    {
        /* The config names an etcd repository: the values are there. */
        vault_repository_options ro;
        vault_config *settings = NULL;
        int named = vault_repository_options_from_config(&ro, &settings, cfg);
        if (named != 0) {
            rc = named < 0 ? cli_fail(named, NULL) : rewrap_repository(r, path, &ro);
            vault_config_free(settings);
            vault_config_free(cfg);
            return rc;
        }
    }
    f.type = vault_config_get_type(cfg);
    n = vault_config_count(cfg);
    f.items = calloc(n ? n : 1, sizeof *f.items);
    f.removed = calloc(r->id_count ? r->id_count : 1, sizeof *f.removed);
    if (!f.items || !f.removed) {
        cli_fail(VAULT_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        const vault_config_entry *e;
        vault_config_entry_at(cfg, i, &e);
        if (e->state != VAULT_VALUE_SEALED) {
            plain++;
        } else if (strncmp(e->value, "vault:", 6) != 0) {
            other++;
        } else if (rewrap_one(&f, cfg, i, e) != 0) {
            failed++;
        }
    }
    if (failed) {
        cli_error("%s: %zu value%s failed; the file was not changed", path, failed,
                  failed == 1 ? "" : "s");
        goto done;
    }
    if ((rc = report(&f, other, plain)) != EXIT_OK)
        goto done;
    rc = EXIT_FAIL;
    if (f.n && vault_config_save(cfg, verify_new_content, &f) != 0) {
        const vault_error *err = vault_error_last();
        if (err)
            cli_error("%s", err->message);
        goto done;
    }
    fprintf(stderr, "cipher-tool: %s: %s %zu recipient%s %s %zu value%s\n", path,
            r->remove ? "removed" : "added", r->remove ? r->id_count : r->cert_count,
            (r->remove ? r->id_count : r->cert_count) == 1 ? "" : "s", r->remove ? "from" : "to",
            f.n, f.n == 1 ? "" : "s");
    rc = EXIT_OK;
done:
    for (i = 0; f.items && i < f.n; i++) {
        free(f.items[i].alias);
        vault_secret_free(f.items[i].plain);
    }
    free(f.items);
    free(f.removed);
    vault_config_free(cfg);
    return rc;
}

static int parse_args(rcpt_run *r, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_KEYSTORE_LONG_OPTIONS,
        {"cert", required_argument, NULL, OPT_CERT},
        {"key-id", required_argument, NULL, OPT_KEY_ID},
        CLI_TRUST_LONG_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt, handled;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "k:h", options, NULL)) != -1) {
        if ((handled = cli_keystore_option(&r->key, opt, optarg, "recipients")) < 0)
            return EXIT_USAGE;
        if (handled || (handled = cli_trust_option(&r->trust, &r->allow_untrusted, opt, optarg)))
            continue;
        if (opt == OPT_CERT && r->cert_count < CLI_MAX_CERTS) {
            r->certs[r->cert_count++] = optarg;
        } else if (opt == OPT_KEY_ID && r->remove) {
            if (add_key_id(r, optarg) != 0)
                return EXIT_USAGE;
        } else if (opt == 'h') {
            fputs(recipients_usage, stdout);
            return -1;
        } else if (opt == OPT_CERT) {
            return cli_usage_error("recipients", "at most %d --cert options", CLI_MAX_CERTS);
        } else {
            return cli_usage_error("recipients", "bad option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("recipients", "expected one or more FILEs");
    if (!r->key.path)
        return cli_usage_error("recipients", "missing -k KEYSTORE (a key that opens the values now)");
    if (!r->remove && r->cert_count == 0)
        return cli_usage_error("recipients", "add: missing --cert CERT (the new recipient)");
    if (r->remove && r->cert_count == 0 && r->id_count == 0)
        return cli_usage_error("recipients", "remove: missing --key-id ID or --cert CERT");
    if (r->remove && (r->trust.path || r->trust.password_file || r->allow_untrusted))
        return cli_usage_error("recipients", "remove: --truststore and --allow-untrusted apply to add only");
    return cli_trust_usage(&r->trust, "recipients");
}

int cmd_recipients(int argc, char **argv)
{
    rcpt_run r;
    int rc, i;

    memset(&r, 0, sizeof r);
    cli_keystore_init(&r.key, "keystore");
    cli_keystore_init(&r.trust, "truststore");
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(recipients_usage, stdout);
        rc = EXIT_OK;
        goto done;
    }
    if (argc < 2 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "remove") != 0)) {
        rc = cli_usage_error("recipients", "expected 'add' or 'remove'");
        goto done;
    }
    r.remove = strcmp(argv[1], "remove") == 0;
    rc = parse_args(&r, argc - 1, argv + 1);
    if (rc != EXIT_OK) {
        rc = rc < 0 ? EXIT_OK : rc;
        goto done;
    }
    if ((rc = prepare(&r)) != EXIT_OK)
        goto done;
    for (i = optind + 1; i < argc; i++)
        if (rewrap_file(&r, argv[i]) != EXIT_OK)
            rc = EXIT_FAIL;
done:
    run_clear(&r);
    return rc;
}
