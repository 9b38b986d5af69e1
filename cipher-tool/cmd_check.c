/* cipher-tool check | list: the CI guard and the inventory of config secrets. */
#include "cli.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static const char check_usage[] =
    "usage: cipher-tool check FILE... [-k KEYSTORE [options]] [--no-pkcs1] [--json]\n"
    "\n"
    "Fail (exit 1) when a secret is left in plain text, when a $secret{alias}\n"
    "reference names an alias that is not in [secrets], when a value is neither\n"
    "\"[plain]\" nor a well-formed sealed value of a known format, or (with -k)\n"
    "when a sealed value does not open with the keystore's key. Each problem is named\n"
    "with its file, line and alias; no secret is ever printed.\n"
    "\n"
    "options:\n" CLI_KEYSTORE_OPTIONS_HELP
    "      --no-pkcs1              an RSA PKCS#1 v1.5 value is a problem (without -k,\n"
    "                              only holders that name \"RSA\" are known to be)\n"
    "      --cert FILE             also fail when a native value is not sealed for this\n"
    "                              certificate (PEM or DER; repeatable)\n"
    "      --json                  machine-readable report\n"
    "\n"
    "With -k, a value that opens as RSA PKCS#1 v1.5 only warns: with that padding\n"
    "a wrong key or a damaged value opens to other bytes instead of failing (there\n"
    "is no padding oracle, SECURITY.md), so only --no-pkcs1 makes check strict.\n"
    "In CI, run check without -k: a CI job should not hold the production key.\n"
    "A FILE may be a product home (its deployment.toml or cipher-text.properties);\n"
    "there, with -k and no password option, the keystore password comes from the\n"
    "home's root password files or $CREDENTIALS_DIRECTORY, as the server reads it.\n"
    "\n"
    "example:\n"
    "  cipher-tool check repository/conf/deployment.toml\n";

static const char list_usage[] =
    "usage: cipher-tool list FILE... [--json]\n"
    "\n"
    "Show each secret alias with its state (plain, sealed, empty) and, for\n"
    "sealed values, the format, algorithm and key ids. Never shows a secret.\n"
    "\n"
    "example:\n"
    "  cipher-tool list repository/conf/deployment.toml --json\n";

static const char *state_name(vault_value_state s)
{
    return s == VAULT_VALUE_PLAIN ? "plain" : s == VAULT_VALUE_SEALED ? "sealed" : "empty";
}

typedef struct report {
    int json;
    json_t *problems;
    size_t count;
    const char *certs[CLI_MAX_CERTS]; /* --cert: every native value must name these */
    char *cert_ids[CLI_MAX_CERTS];    /* their key ids, malloc'ed */
    size_t cert_count;
} report;

/* --cert FILE: the key id a native value sealed for it records. */
static int add_cert(report *r, const char *path)
{
    cli_keystore c;
    vault_keystore *ks = NULL;
    vault_recipient *rcpt = NULL;
    int rc = EXIT_FAIL;

    if (r->cert_count == CLI_MAX_CERTS)
        return cli_usage_error("check", "at most %d --cert", CLI_MAX_CERTS);
    cli_keystore_init(&c, "certificate");
    c.path = path;
    if (cli_open_keystore(&ks, &c) != 0)
        goto done;
    if (vault_recipient_from_keystore(&rcpt, ks, NULL) != 0) {
        cli_fail(VAULT_ERROR, NULL);
        goto done;
    }
    if (!(r->cert_ids[r->cert_count] = strdup(vault_recipient_key_id(rcpt)))) {
        cli_fail(VAULT_ENOMEM, "out of memory");
        goto done;
    }
    r->certs[r->cert_count++] = path;
    rc = EXIT_OK;
done:
    vault_recipient_free(rcpt);
    vault_keystore_free(ks);
    cli_keystore_clear(&c);
    return rc;
}

/* The first --cert a native value is not sealed for, or NULL. */
static const char *missing_cert(const report *r, const vault_value_info *info)
{
    size_t i, j;
    if (info->format != VAULT_FORMAT_NATIVE)
        return NULL;
    for (i = 0; i < r->cert_count; i++) {
        for (j = 0; j < info->recipient_count && info->key_ids; j++)
            if (strcmp(info->key_ids[j], r->cert_ids[i]) == 0)
                break;
        if (!info->key_ids || j == info->recipient_count)
            return r->certs[i];
    }
    return NULL;
}

/* A value that is no sealed value of a known format is "invalid", never
 * "sealed". */
static const char *entry_state(const vault_config_entry *e, const vault_value_info *info)
{
    return e->state == VAULT_VALUE_SEALED && !info ? "invalid" : state_name(e->state);
}

static void problem(report *r, const char *file, unsigned line, const char *alias, const char *what,
                    const char *detail)
{
    r->count++;
    if (r->json) {
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(file));
        json_object_set_new(o, "line", json_integer(line));
        json_object_set_new(o, "alias", json_string(alias));
        json_object_set_new(o, "problem", json_string(what));
        if (detail)
            json_object_set_new(o, "detail", json_string(detail));
        json_array_append_new(r->problems, o);
    } else if (detail) {
        cli_error("%s: line %u: alias \"%s\": %s: %s", file, line, alias, what, detail);
    } else {
        cli_error("%s: line %u: alias \"%s\": %s", file, line, alias, what);
    }
}

/* Without a key, what a value says of itself: a holder naming "RSA". */
static int says_pkcs1(const char *value)
{
    vault_value_info *info = NULL;
    int legacy = vault_inspect(value, &info) == 0 && info->legacy;
    vault_value_info_free(info);
    vault_error_clear();
    return legacy;
}

/* The WSO2 runtime's rule for path, when a secret-conf.properties governs it. */
static int locate_rules(const char *path, vault_location **out)
{
    vault_options o = VAULT_OPTIONS_INIT;

    *out = NULL;
    o.config = path;
    o.flags = VAULT_OPEN_WSO2_RULES;
    if (vault_locate(out, &o) != 0) {
        vault_error_clear(); /* no location, no rule: the other checks still run */
        return -1;
    }
    if (!(*out)->wso2_rules) {
        vault_location_free(*out);
        *out = NULL;
    }
    return 0;
}

static int check_file(const char *path, vault_opener *opener, int no_pkcs1, report *r)
{
    vault_location *where = NULL;
    vault_config *cfg = NULL, *repo = NULL;
    const vault_config *secrets;
    size_t i, idx;

    if (vault_config_open(&cfg, path, VAULT_CONFIG_AUTO) != 0) {
        const vault_error *e = vault_error_last();
        problem(r, path, 0, "", "unreadable", e ? e->message : "cannot read");
        return 0;
    }
    for (i = 0; !r->json && vault_config_warning(cfg, i); i++)
        cli_warning("%s", vault_config_warning(cfg, i));
    /* With a [secret_repository] the secrets are the repository's. */
    if (vault_repository_config(&repo, cfg) != 0) {
        const vault_error *e = vault_error_last();
        problem(r, path, 0, "", "secret repository", e ? e->message : "cannot be read");
        vault_config_free(cfg);
        return 0;
    }
    secrets = repo ? repo : cfg;
    /* In a WSO2 home, what its runtime opens: one algorithm (or mode). */
    if (!repo && locate_rules(path, &where) != 0)
        where = NULL;
    for (i = 0; i < vault_config_count(secrets); i++) {
        const vault_config_entry *e;
        vault_secret *plain = NULL;
        vault_value_info *info = NULL;
        unsigned int flags = 0;
        vault_config_entry_at(secrets, i, &e);
        if (e->state == VAULT_VALUE_PLAIN)
            problem(r, path, e->line, e->alias, "plain text secret", NULL);
        else if (e->state == VAULT_VALUE_EMPTY)
            problem(r, path, e->line, e->alias, "empty secret", NULL);
        else if ((!opener || r->cert_count) && vault_inspect(e->value, &info) != 0) {
            /* Without a key the value must still be a sealed value of a
             * known format: "pass" or "[pass" is plain text, not sealed. */
            const vault_error *err = vault_error_last();
            problem(r, path, e->line, e->alias, "not a sealed value", err ? err->message : NULL);
        } else if (info && missing_cert(r, info)) {
            problem(r, path, e->line, e->alias, "not sealed for the certificate", missing_cert(r, info));
        } else if (!opener && no_pkcs1 && says_pkcs1(e->value))
            problem(r, path, e->line, e->alias, "RSA PKCS#1 v1.5 value (--no-pkcs1)", NULL);
        else if (where && vault_location_accepts(where, e->value, NULL) != 0)
            problem(r, path, e->line, e->alias, "not opened by the WSO2 runtime",
                    vault_error_last()->message);
        else if (opener && vault_opener_open(opener, e->alias, e->value, &plain, &flags) != 0) {
            const vault_error *err = vault_error_last();
            problem(r, path, e->line, e->alias, "does not open", err ? err->message : NULL);
        } else if (opener && where && vault_location_accepts(where, e->value, &flags) != 0) {
            problem(r, path, e->line, e->alias, "not opened by the WSO2 runtime",
                    vault_error_last()->message);
        } else if (opener && (flags & VAULT_OPENED_LEGACY)) {
            /* Said of every PKCS#1 v1.5 value alike, whatever it opened to. */
            cli_warning("%s: line %u: alias \"%s\": opened as RSA PKCS#1 v1.5, with which a wrong "
                        "key or a damaged value is not detected; re-seal it ('cipher-tool rotate') "
                        "or check with --no-pkcs1", path, e->line, e->alias);
        }
        vault_value_info_free(info);
        vault_secret_free(plain);
    }
    for (i = 0; i < vault_config_ref_count(cfg); i++) {
        const vault_config_ref *ref;
        vault_config_ref_at(cfg, i, &ref);
        if (vault_config_find(secrets, ref->alias, &idx) != 0)
            problem(r, path, ref->line, ref->alias,
                    repo ? "reference to an alias missing from the secret repository"
                         : "reference to a missing alias", NULL);
    }
    vault_location_free(where);
    vault_config_free(repo);
    vault_config_free(cfg);
    return 0;
}

/* A product home stands for the file its server reads the secrets from. */
static void check_path(const char *path, vault_opener *opener, int no_pkcs1, report *r)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;
    struct stat st;

    o.config = path;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        check_file(path, opener, no_pkcs1, r);
        return;
    }
    if (vault_locate(&loc, &o) != 0) {
        problem(r, path, 0, "", "unreadable", vault_error_last()->message);
        return;
    }
    check_file(loc->config, opener, no_pkcs1, r);
    vault_location_free(loc);
}

int cmd_check(int argc, char **argv)
{
    enum { OPT_CHECK_NO_PKCS1 = OPT_FIRST_COMMAND_OPTION };
    static const struct option options[] = {
        CLI_KEYSTORE_LONG_OPTIONS,
        {"no-pkcs1", no_argument, NULL, OPT_CHECK_NO_PKCS1},
        {"json", no_argument, NULL, OPT_JSON},
        {"cert", required_argument, NULL, OPT_CERT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_keystore k;
    vault_location *home_loc = NULL;
    vault_keystore *ks = NULL;
    vault_opener *opener = NULL;
    unsigned int open_flags = 0;
    report r;
    size_t c;
    int opt, rc = EXIT_USAGE, i;

    memset(&r, 0, sizeof r);
    cli_keystore_init(&k, "keystore");
    optind = 1;
    while ((opt = getopt_long(argc, argv, "k:h", options, NULL)) != -1) {
        int handled = opt == OPT_CERT ? 0 : cli_keystore_option(&k, opt, optarg, "check");
        if (handled < 0)
            goto done;
        if (handled)
            continue;
        if (opt == OPT_JSON) {
            r.json = 1;
            continue;
        }
        if (opt == OPT_CHECK_NO_PKCS1) {
            open_flags |= VAULT_OPENER_REFUSE_PKCS1;
            continue;
        }
        if (opt == OPT_CERT) {
            if ((rc = add_cert(&r, optarg)) != EXIT_OK)
                goto done;
            continue;
        }
        if (opt == 'h') {
            fputs(check_usage, stdout);
            rc = EXIT_OK;
        } else {
            rc = cli_usage_error("check", "bad option");
        }
        goto done;
    }
    if (optind >= argc) {
        rc = cli_usage_error("check", "expected one or more FILEs");
        goto done;
    }
    /* A product home's root password files, as render and exec read them. */
    if (k.path && !k.password_file && k.password_fd < 0 && !k.password_env) {
        vault_options lo = VAULT_OPTIONS_INIT;
        lo.config = argv[optind];
        if (vault_locate(&home_loc, &lo) == 0)
            k.home = home_loc->home;
        vault_error_clear();
        k.use_credentials = 1;
    }
    if (k.path) {
        vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
        if (cli_open_keystore(&ks, &k) != 0) {
            rc = EXIT_FAIL;
            goto done;
        }
        o.keystore = ks;
        o.key_alias = k.alias;
        o.flags = open_flags;
        if (vault_opener_new(&opener, &o) != 0) {
            rc = cli_fail(VAULT_ERROR, NULL);
            goto done;
        }
    }
    r.problems = json_array();
    for (i = optind; i < argc; i++)
        check_path(argv[i], opener, open_flags != 0, &r);
    if (r.json) {
        json_t *root = json_object();
        json_object_set_new(root, "ok", json_boolean(r.count == 0));
        json_object_set_new(root, "problems", json_incref(r.problems));
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(root);
    } else if (r.count == 0) {
        fprintf(stderr, "cipher-tool: %d file%s checked: no plain text secret, no missing alias%s\n",
                argc - optind, argc - optind == 1 ? "" : "s", opener ? ", every value opens" : "");
    }
    rc = r.count ? EXIT_FAIL : EXIT_OK;
done:
    for (c = 0; c < r.cert_count; c++)
        free(r.cert_ids[c]);
    json_decref(r.problems);
    vault_opener_free(opener);
    vault_keystore_free(ks);
    cli_keystore_clear(&k);
    vault_location_free(home_loc);
    return rc;
}

static json_t *entry_json(const vault_config_entry *e, const vault_value_info *info)
{
    json_t *o = json_object();
    size_t i;
    json_object_set_new(o, "alias", json_string(e->alias));
    json_object_set_new(o, "line", json_integer(e->line));
    json_object_set_new(o, "state", json_string(entry_state(e, info)));
    if (info) {
        json_t *ids = json_array();
        json_object_set_new(o, "format", json_string(vault_format_name(info->format)));
        json_object_set_new(o, "algorithm", json_string(info->algorithm ? info->algorithm : ""));
        for (i = 0; i < info->recipient_count && info->key_ids; i++)
            json_array_append_new(ids, json_string(info->key_ids[i]));
        json_object_set_new(o, "key_ids", ids);
        json_object_set_new(o, "legacy", json_boolean(info->legacy));
    }
    return o;
}

static void entry_text(const vault_config_entry *e, const vault_value_info *info)
{
    size_t i;
    printf("%-40s %-7s", e->alias, entry_state(e, info));
    if (info) {
        printf(" %-15s %s", vault_format_name(info->format), info->algorithm ? info->algorithm : "");
        for (i = 0; i < info->recipient_count && info->key_ids; i++)
            printf("%s%.16s", i ? "," : " key ", info->key_ids[i]);
        if (info->legacy)
            printf(" (legacy)");
    }
    putchar('\n');
}

int cmd_list(int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    json_t *files = NULL;
    int opt, json = 0, rc = EXIT_OK, i;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == OPT_JSON) {
            json = 1;
            continue;
        }
        if (opt == 'h') {
            fputs(list_usage, stdout);
            return EXIT_OK;
        }
        return cli_usage_error("list", "bad option");
    }
    if (optind >= argc)
        return cli_usage_error("list", "expected one or more FILEs");
    files = json_array();
    for (i = optind; i < argc; i++) {
        vault_config *cfg = NULL, *repo = NULL;
        vault_location *where = NULL;
        json_t *arr = json_array(), *f = json_object();
        size_t j;
        if (vault_config_open(&cfg, argv[i], VAULT_CONFIG_AUTO) != 0 ||
            vault_repository_config(&repo, cfg) != 0) {
            rc = cli_fail(VAULT_ERROR, NULL);
            json_decref(arr);
            json_decref(f);
            vault_config_free(cfg);
            continue;
        }
        if (repo) { /* the secrets are the repository's */
            vault_config_free(cfg);
            cfg = repo;
        } else if (!json) {
            (void)locate_rules(argv[i], &where);
        }
        if (!json)
            printf("%s:\n", argv[i]);
        for (j = 0; j < vault_config_count(cfg); j++) {
            const vault_config_entry *e;
            vault_value_info *info = NULL;
            vault_config_entry_at(cfg, j, &e);
            if (e->state == VAULT_VALUE_SEALED && vault_inspect(e->value, &info) != 0)
                vault_error_clear();
            if (json)
                json_array_append_new(arr, entry_json(e, info));
            else
                entry_text(e, info);
            if (where && info && vault_location_accepts(where, e->value, NULL) != 0) {
                printf("%-40s ^ not opened by the WSO2 runtime of this home (secret-conf.properties)\n", "");
                vault_error_clear();
            }
            vault_value_info_free(info);
        }
        vault_location_free(where);
        where = NULL;
        json_object_set_new(f, "file", json_string(argv[i]));
        json_object_set_new(f, "secrets", arr);
        json_array_append_new(files, f);
        vault_config_free(cfg);
    }
    if (json) {
        json_t *root = json_object();
        json_object_set_new(root, "files", files);
        files = NULL;
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(root);
    }
    json_decref(files);
    return rc;
}
