/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool check | list: the CI guard and the inventory of config secrets. */
#include "cli_json.h"
#include "cli_vault.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct report {
    int json;
    int type;                         /* --type, else VAULT_CONFIG_AUTO */
    json_t *problems;
    size_t count;
    const char *certs[CLI_MAX_CERTS]; /* --cert: every value must be sealed for these */
    vault_recipient *cert_rcpts[CLI_MAX_CERTS];
    size_t cert_count;
} report;

/* What check's command line gives: -k and its password options, --no-pkcs1
 * (key.no_pkcs1), and the report's --type, --cert and --json. */
typedef struct check_args {
    cli_keystore key;
    report r;
} check_args;

typedef struct list_args {
    int json;
    int type;
} list_args;

static const cli_opt check_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_keystore_opts, check_args, key),
    CLI_OPT_INCLUDE_AT(cli_root_password_opts, check_args, key),
    {"no-pkcs1", 0, CLI_ARG_NONE, NULL,
     "an RSA PKCS#1 v1.5 value is a problem (without -k,\n"
     "only holders that name \"RSA\" are known to be)", CLI_TO(CLI_TO_FLAG, check_args, key.no_pkcs1)},
    {"cert", 0, CLI_ARG_REQUIRED, "FILE",
     "also fail when a value is not sealed for this certificate\n"
     "(PEM or DER; repeatable): a native value must name it, a\n"
     "raw WSO2 block have its key's size, a holder its thumbprint", CLI_LIST(check_args, r.certs, r.cert_count)},
    {"type", 0, CLI_ARG_REQUIRED, "TYPE",
     "read each FILE as toml, properties or xml, whatever\n"
     "its name (by default from *.toml, *.properties, *.xml)", CLI_CALL(cli_parse_config_type, check_args, r.type)},
    {"json", 0, CLI_ARG_NONE, NULL, "machine-readable report (docs/JSON.md)", CLI_TO(CLI_TO_FLAG, check_args, r.json)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_check_options = {
    "check",
    "usage: cipher-tool check FILE|HOME... [-k KEYSTORE [options]] [--no-pkcs1] [--json]\n"
    "\n"
    "Fail (exit 1) when a secret is left in plain text, when a $secret{alias}\n"
    "reference names an alias that is not in [secrets], when a value is neither\n"
    "\"[plain]\" nor a well-formed sealed value of a known format, or (with -k)\n"
    "when a sealed value does not open with the keystore's key. Each problem is named\n"
    "with its file, line and alias; no secret is ever printed.\n"
    "\n",
    check_opts,
    "\n"
    "A directory is a product home: its repository/conf/deployment.toml, else its\n"
    "repository/conf/security/cipher-text.properties, as render and exec read it.\n"
    "In an XML file each element marked svns:secretAlias must hold WSO2's\n"
    "placeholder \"password\" (its secret is in cipher-text.properties); one that\n"
    "still holds another value is a plain text secret.\n"
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
    "  cipher-tool check repository/conf/deployment.toml\n",
    0,
};

static const cli_opt list_opts[] = {
    {"type", 0, CLI_ARG_REQUIRED, "TYPE", "read each FILE as toml, properties or xml, whatever its name",
     CLI_CALL(cli_parse_config_type, list_args, type)},
    {"json", 0, CLI_ARG_NONE, NULL, "machine-readable list (docs/JSON.md)", CLI_TO(CLI_TO_FLAG, list_args, json)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_list_options = {
    "list",
    "usage: cipher-tool list FILE|HOME... [--type TYPE] [--json]\n"
    "\n"
    "Show each secret alias with its state (plain, sealed, empty) and, for\n"
    "sealed values, the format, algorithm and key ids. Never shows a secret.\n"
    "A directory is a product home (as for check).\n"
    "\n",
    list_opts,
    "\n"
    "example:\n"
    "  cipher-tool list repository/conf/deployment.toml --json\n",
    0,
};

static const char *state_name(vault_value_state s)
{
    return s == VAULT_VALUE_PLAIN ? "plain" : s == VAULT_VALUE_SEALED ? "sealed" : "empty";
}

/* --cert FILE (certs[i]): the key id a native value sealed for it records. */
static int open_cert(report *r, size_t i)
{
    vault_keystore *ks = NULL;
    int rc;

    if (cli_open_cert(&ks, r->certs[i]) != 0)
        return EXIT_FAIL;
    rc = vault_recipient_from_keystore(&r->cert_rcpts[i], ks, NULL) == 0 ? EXIT_OK
                                                                         : cli_fail(VAULT_ERROR, NULL);
    vault_keystore_free(ks);
    return rc;
}

/* The first --cert a value is not sealed for, or NULL. */
static const char *missing_cert(const report *r, const vault_value_info *info)
{
    size_t i;
    for (i = 0; i < r->cert_count; i++)
        if (vault_recipient_fits(r->cert_rcpts[i], info) != 0)
            return r->certs[i];
    return NULL;
}

/* A value that is no sealed value of a known format is "invalid", never
 * "sealed". */
static const char *entry_state(const vault_config_entry *e, const vault_value_info *info)
{
    return e->state == VAULT_VALUE_SEALED && !info ? "invalid" : state_name(e->state);
}

/* One problem: code is its stable name (docs/JSON.md), what its words. A
 * problem of the whole file has line 0 and no alias: neither is shown. */
static void problem(report *r, const char *file, unsigned line, const char *alias, const char *code,
                    const char *what, const char *detail)
{
    r->count++;
    if (r->json) {
        json_array_append_new(r->problems,
                              json_pack("{s:s, s:o, s:o, s:s, s:s, s:o}", "file", file, "line",
                                        line ? json_integer(line) : json_null(), "alias",
                                        cli_json_string(alias), "code", code, "message", what,
                                        "detail", cli_json_string(detail)));
    } else if (!alias) {
        size_t n = strlen(file);
        /* The library's message names the file already: not twice. */
        if (detail && strncmp(detail, file, n) == 0 && strncmp(detail + n, ": ", 2) == 0)
            detail += n + 2;
        cli_error("%s: %s%s%s", file, what, detail ? ": " : "", detail ? detail : "");
    } else {
        cli_error("%s: line %u: alias \"%s\": %s%s%s", file, line, alias, what, detail ? ": " : "",
                  detail ? detail : "");
    }
}

/* Without a key, what a value says of itself: a holder naming "RSA". */
static int says_pkcs1(const char *value)
{
    vault_value_info *info = NULL;
    int legacy = vault_inspect(&info, value) == 0 && info->legacy;
    vault_value_info_free(info);
    vault_error_clear();
    return legacy;
}

/* The detail of an XML file that cannot be read, as the JSON contract has
 * it: the library's message, which names the file, or for a file that is
 * not there only "cannot open the file" (the problem's "file" names it). */
static const char *unreadable_detail(int code, const char *reason)
{
    return code == VAULT_ENOTFOUND ? "cannot open the file" : reason;
}

/* An XML file with svns:secretAlias marks: each marked element must hold
 * WSO2's placeholder "password", its secret being in cipher-text.properties;
 * one that holds another value is a secret left in plain text. */
static int check_xml(const char *path, report *r)
{
    vault_xml_marks *marks = NULL;
    const vault_xml_mark *m;
    size_t i;
    int rc;

    if ((rc = vault_xml_marked_file(&marks, path)) != 0) {
        problem(r, path, 0, NULL, "unreadable", "unreadable", unreadable_detail(rc, vault_error_last()->message));
        return 0;
    }
    for (i = 0; vault_xml_marks_at(&m, marks, i) == 0; i++)
        if (!m->placeholder)
            problem(r, path, m->line, m->alias, "plain-text", "plain text secret", NULL);
    vault_xml_marks_free(marks);
    return 0;
}

/* A legacy product home (no deployment.toml): the XML files its
 * cipher-tool.properties maps aliases into, as -Dconfigure left them for the
 * server. Each alias must be marked in its file and hold the placeholder; an
 * alias not marked there is a problem of the map's line (its element keeps
 * whatever it held, a plain text password as the product ships it). Each
 * file's own problems come once, after its first alias. */
static void check_home_xml(const char *home, report *r)
{
    char *map_path = NULL;
    vault_legacy_status *st = NULL;
    const vault_legacy_alias *a;
    const vault_legacy_file *f;
    const vault_xml_mark *m;
    size_t i, j, files_met = 0;

    if (vault_home_path(&map_path, home, VAULT_HOME_CIPHER_TOOL) != 0)
        goto done;
    if (vault_legacy_home_status(&st, home) != 0) {
        if (vault_error_last()->code != VAULT_ENOTFOUND) /* a home without a map has no XML secrets */
            problem(r, map_path, 0, NULL, "unreadable", "unreadable", vault_error_last()->message);
        vault_error_clear();
        goto done;
    }
    for (i = 0; vault_legacy_status_alias_at(&a, st, i) == 0; i++) {
        int first = a->file == files_met; /* files are numbered as the map first names them */
        vault_legacy_status_file_at(&f, st, a->file);
        files_met += first;
        if (f->error) {
            if (first)
                problem(r, f->path, 0, NULL, "unreadable", "unreadable", unreadable_detail(f->error, f->reason));
            continue;
        }
        if (a->state == VAULT_LEGACY_NOT_MARKED)
            problem(r, map_path, a->map_line, a->alias, "not-marked", "not marked in its XML file", f->path);
        for (j = 0; first && vault_xml_marks_at(&m, f->marks, j) == 0; j++)
            if (!m->placeholder)
                problem(r, f->path, m->line, m->alias, "plain-text", "plain text secret", NULL);
    }
done:
    vault_legacy_status_free(st);
    vault_string_free(map_path);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The WSO2 runtime's rule for path, when a secret-conf.properties governs
 * it (else *out is NULL: without a location there is no rule, and the other
 * checks still run). VAULT_EFORMAT when that file names no rule its runtime
 * follows. */
static int locate_rules(const char *path, vault_location **out)
{
    vault_options o = VAULT_OPTIONS_INIT;

    o.config = path;
    o.flags = VAULT_OPEN_WSO2_RULES;
    if (vault_locate(out, &o) != 0) {
        if (vault_error_last()->cause == VAULT_CAUSE_WSO2_RULE)
            return VAULT_EFORMAT;
        vault_error_clear();
        return 0;
    }
    if (!(*out)->wso2_rules) {
        vault_location_free(*out);
        *out = NULL;
    }
    return 0;
}

/* cli_config_open() for a config that is only read: held once in memory.
 * where, when not NULL, receives the WSO2 runtime's rule for the file,
 * looked up first: locating reads the file too, and the two copies are
 * then never held at the same time. */
static int open_readonly(vault_config **out, char **file, const char *path, int type, vault_location **where)
{
    int rc;

    *out = NULL;
    if ((rc = cli_config_resolve(file, &type, path)) != 0)
        return rc;
    if (where && (rc = locate_rules(*file, where)) != 0) {
        free(*file);
        *file = NULL;
        return rc;
    }
    if ((rc = vault_config_open_readonly(out, *file, (vault_config_type)type)) != 0) {
        if (where) {
            vault_location_free(*where);
            *where = NULL;
        }
        free(*file);
        *file = NULL;
    }
    return rc;
}

static int check_file(const char *arg, vault_opener *opener, int no_pkcs1, report *r)
{
    const char *path, *note;
    vault_location *where = NULL;
    vault_config *cfg = NULL, *repo = NULL;
    const vault_config *secrets;
    char *file = NULL;
    size_t i, idx;
    int rc;

    if (cli_config_is_xml(r->type, arg))
        return check_xml(arg, r);
    if ((rc = open_readonly(&cfg, &file, arg, r->type, &where)) != 0) {
        const vault_error *e = vault_error_last();
        problem(r, arg, 0, NULL, "unreadable", "unreadable", e->message[0] ? e->message : "cannot read");
        if (rc == VAULT_EINVAL && !r->json)
            cli_hint("give the type with --type toml or --type properties");
        return 0;
    }
    path = file; /* a home's file is named in what follows */
    for (i = 0; !r->json && vault_config_warning_at(&note, cfg, i) == 0; i++)
        cli_warning("%s", note);
    /* With a [secret_repository] the secrets are the repository's. */
    if (vault_repository_config(&repo, cfg) != 0) {
        const vault_error *e = vault_error_last();
        problem(r, path, 0, NULL, "repository", "secret repository", e->message[0] ? e->message : "cannot be read");
        vault_location_free(where);
        vault_config_free(cfg);
        free(file);
        return 0;
    }
    secrets = repo ? repo : cfg;
    /* In a WSO2 home, what its runtime opens: one algorithm (or mode). */
    if (repo) {
        vault_location_free(where);
        where = NULL;
    }
    for (i = 0; i < vault_config_count(secrets); i++) {
        const vault_config_entry *e;
        vault_secret *plain = NULL;
        vault_value_info *info = NULL;
        unsigned int flags = 0;
        vault_config_entry_at(&e, secrets, i);
        if (e->state == VAULT_VALUE_PLAIN)
            problem(r, path, e->line, e->alias, "plain-text", "plain text secret", NULL);
        else if (e->state == VAULT_VALUE_EMPTY)
            problem(r, path, e->line, e->alias, "empty", "empty secret", NULL);
        else if ((!opener || r->cert_count) && vault_inspect(&info, e->value) != 0) {
            /* Without a key the value must still be a sealed value of a
             * known format: "pass" or "[pass" is plain text, not sealed. */
            const vault_error *err = vault_error_last();
            problem(r, path, e->line, e->alias, "not-sealed", "not a sealed value", err->message[0] ? err->message : NULL);
        } else if (info && missing_cert(r, info)) {
            problem(r, path, e->line, e->alias, "not-for-cert", "not sealed for the certificate",
                    missing_cert(r, info));
        } else if (!opener && no_pkcs1 && says_pkcs1(e->value))
            problem(r, path, e->line, e->alias, "pkcs1", "RSA PKCS#1 v1.5 value (--no-pkcs1)", NULL);
        else if (where && vault_location_accepts(where, e->value, NULL) != 0)
            problem(r, path, e->line, e->alias, "wso2-runtime", "not opened by the WSO2 runtime",
                    vault_error_last()->message);
        else if (opener && vault_opener_open(&plain, &flags, opener, e->alias, e->value) != 0) {
            const vault_error *err = vault_error_last();
            problem(r, path, e->line, e->alias, "does-not-open", "does not open",
                    err->message[0] ? err->message : NULL);
        } else if (opener && where && vault_location_accepts(where, e->value, &flags) != 0) {
            problem(r, path, e->line, e->alias, "wso2-runtime", "not opened by the WSO2 runtime",
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
        vault_config_ref_at(&ref, cfg, i);
        if (vault_config_find(&idx, secrets, ref->alias) != 0)
            problem(r, path, ref->line, ref->alias, "missing-alias",
                    repo ? "reference to an alias missing from the secret repository"
                         : "reference to a missing alias", NULL);
    }
    if (is_dir(arg) && vault_config_get_type(cfg) == VAULT_CONFIG_PROPERTIES)
        check_home_xml(arg, r);
    vault_location_free(where);
    vault_config_free(repo);
    vault_config_free(cfg);
    free(file);
    return 0;
}

int cmd_check(int argc, char **argv)
{
    check_args a;
    cli_keystore *k = &a.key;
    report *r = &a.r;
    vault_keystore *ks = NULL;
    vault_opener *opener = NULL;
    unsigned int open_flags;
    size_t c;
    int rc, i;

    memset(&a, 0, sizeof a);
    r->json = cli_json_requested(argc, argv);
    cli_keystore_init(k, "keystore");
    if ((rc = cli_opts_parse(&cmd_check_options, argc, argv, &a)) != EXIT_OK)
        goto done;
    for (c = 0; c < r->cert_count; c++)
        if ((rc = open_cert(r, c)) != EXIT_OK)
            goto done;
    open_flags = k->no_pkcs1 ? VAULT_OPENER_REFUSE_PKCS1 : 0;
    if (optind >= argc) {
        rc = cli_usage_error("check", "expected one or more FILEs");
        goto done;
    }
    /* A product home's root password files, as render and exec read them. */
    k->home_config = argv[optind];
    if (k->path) {
        vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
        if (cli_open_keystore(&ks, k) != 0) {
            rc = EXIT_FAIL;
            goto done;
        }
        o.keystore = ks;
        o.key_alias = k->alias;
        o.flags = open_flags;
        if (vault_opener_new(&opener, &o) != 0) {
            rc = cli_fail(VAULT_ERROR, NULL);
            goto done;
        }
    }
    r->problems = json_array();
    for (i = optind; i < argc; i++)
        check_file(argv[i], opener, open_flags != 0, r);
    if (r->json) {
        json_t *root = cli_json_new("check"), *files = json_array();
        for (i = optind; i < argc; i++)
            json_array_append_new(files, json_string(argv[i]));
        json_object_set_new(root, "ok", json_boolean(r->count == 0));
        json_object_set_new(root, "files", files);
        json_object_set_new(root, "problems", json_incref(r->problems));
        if (cli_json_print(root) != EXIT_OK) {
            rc = EXIT_FAIL;
            r->json = 0; /* nothing more can be written */
            goto done;
        }
    } else if (r->count == 0) {
        fprintf(stderr, "cipher-tool: %d file%s checked: no plain text secret, no missing alias%s\n",
                argc - optind, argc - optind == 1 ? "" : "s", opener ? ", every value opens" : "");
    }
    rc = r->count ? EXIT_FAIL : EXIT_OK;
    r->json = 0; /* the report is out: the exit status tells the rest */
done:
    if (r->json && rc > EXIT_OK)
        rc = cli_json_failure("check", rc);
    for (c = 0; c < r->cert_count; c++)
        vault_recipient_free(r->cert_rcpts[c]);
    json_decref(r->problems);
    vault_opener_free(opener);
    vault_keystore_free(ks);
    cli_keystore_clear(k);
    return rc;
}

static json_t *entry_json(const vault_config_entry *e, const vault_value_info *info)
{
    return json_pack("{s:s, s:I, s:s, s:o, s:o, s:o, s:o}", "alias", e->alias, "line", (json_int_t)e->line,
                     "state", entry_state(e, info), "format",
                     info ? json_string(vault_format_name(info->format)) : json_null(), "algorithm",
                     cli_json_string(info ? info->algorithm : NULL), "key_ids",
                     info ? cli_json_value_key_ids(info) : json_array(), "legacy",
                     info ? json_boolean(info->legacy) : json_null());
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

/* An XML file's marks as list shows them: "marked" for an element holding
 * WSO2's placeholder (its secret is in cipher-text.properties), "plain" for
 * one still holding its secret; no format, as no value is sealed in the file. */
static void list_marks(const char *path, const vault_xml_marks *marks, int json, json_t *arr)
{
    const vault_xml_mark *m;
    size_t i;

    if (!json)
        printf("%s:\n", path);
    for (i = 0; vault_xml_marks_at(&m, marks, i) == 0; i++) {
        const char *state = m->placeholder ? "marked" : "plain";
        if (json)
            json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:n, s:n, s:[], s:n}", "alias", m->alias,
                                                 "line", (json_int_t)m->line, "state", state, "format",
                                                 "algorithm", "key_ids", "legacy"));
        else
            printf("%-40s %-7s %s\n", m->alias, state, m->path);
    }
}

static int list_xml(const char *path, int json, json_t *arr)
{
    vault_xml_marks *marks = NULL;

    if (vault_xml_marked_file(&marks, path) != 0)
        return cli_fail(VAULT_ERROR, NULL);
    list_marks(path, marks, json, arr);
    vault_xml_marks_free(marks);
    return 0;
}

/* The aliases of a legacy home's map that file (index) does not mark yet:
 * listed as the map names them, as check reports them. */
static void list_unmarked(const vault_legacy_status *st, size_t file, int json, json_t *arr)
{
    const vault_legacy_alias *a;
    size_t i;

    for (i = 0; vault_legacy_status_alias_at(&a, st, i) == 0; i++) {
        if (a->file != file || a->state != VAULT_LEGACY_NOT_MARKED)
            continue;
        if (json)
            json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s, s:n, s:n, s:[], s:n}", "alias", a->alias,
                                                 "line", (json_int_t)a->map_line, "state", "not-marked",
                                                 "xpath", a->xpath, "format", "algorithm", "key_ids", "legacy"));
        else
            printf("%-40s %-7s %s (not marked)\n", a->alias, "plain", a->xpath);
    }
}

/* A legacy product home's XML files (those its cipher-tool.properties
 * names, each once), listed after its cipher-text.properties. */
static int list_home_xml(const char *home, int json, json_t *files)
{
    vault_legacy_status *st = NULL;
    const vault_legacy_file *f;
    size_t i;
    int rc = 0;

    if (vault_legacy_home_status(&st, home) != 0) {
        rc = vault_error_last()->code == VAULT_ENOTFOUND ? 0 : cli_fail(VAULT_ERROR, NULL);
        vault_error_clear();
        return rc;
    }
    for (i = 0; vault_legacy_status_file_at(&f, st, i) == 0 && (rc == 0 || !json); i++) {
        json_t *arr;
        if (f->error) {
            vault_error_clear(); /* the file's own failure, not the last one recorded */
            rc = cli_fail(f->error, f->reason); /* in text, the other files are still listed */
            continue;
        }
        arr = json_array();
        list_marks(f->path, f->marks, json, arr);
        list_unmarked(st, i, json, arr);
        json_array_append_new(files, json_pack("{s:s, s:o}", "file", f->path, "secrets", arr));
    }
    vault_legacy_status_free(st);
    return rc;
}

int cmd_list(int argc, char **argv)
{
    list_args o = {cli_json_requested(argc, argv), VAULT_CONFIG_AUTO};
    json_t *files = NULL;
    int rc = cli_opts_parse(&cmd_list_options, argc, argv, &o), i;

    if (rc != EXIT_OK)
        return o.json && rc > 0 ? cli_json_failure("list", rc) : rc;
    if (optind >= argc) {
        rc = cli_usage_error("list", "expected one or more FILEs");
        return o.json ? cli_json_failure("list", rc) : rc;
    }
    files = json_array();
    for (i = optind; i < argc; i++) {
        vault_config *cfg = NULL, *repo = NULL;
        json_t *arr = json_array();
        char *file = NULL;
        vault_location *where = NULL;
        size_t j;
        int orc;
        if (cli_config_is_xml(o.type, argv[i])) {
            if ((orc = list_xml(argv[i], o.json, arr)) != 0) {
                rc = orc;
                json_decref(arr);
                if (o.json) /* one object: the failure, not a partial listing */
                    break;
                continue;
            }
            json_array_append_new(files, json_pack("{s:s, s:o}", "file", argv[i], "secrets", arr));
            continue;
        }
        orc = open_readonly(&cfg, &file, argv[i], o.type, NULL);
        if (orc != 0 || vault_repository_config(&repo, cfg) != 0) {
            rc = cli_fail(VAULT_ERROR, NULL);
            if (orc == VAULT_EINVAL)
                cli_hint("give the type with --type toml or --type properties");
            json_decref(arr);
            vault_config_free(cfg);
            free(file);
            if (o.json) /* one object: the failure, not a partial listing */
                break;
            continue;
        }
        if (repo) { /* the secrets are the repository's */
            vault_config_free(cfg);
            cfg = repo;
        } else if (!o.json) {
            (void)locate_rules(file, &where);
        }
        if (!o.json)
            printf("%s:\n", file);
        for (j = 0; j < vault_config_count(cfg); j++) {
            const vault_config_entry *e;
            vault_value_info *info = NULL;
            vault_config_entry_at(&e, cfg, j);
            if (e->state == VAULT_VALUE_SEALED && vault_inspect(&info, e->value) != 0)
                vault_error_clear();
            if (o.json)
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
        json_array_append_new(files, json_pack("{s:s, s:o}", "file", file, "secrets", arr));
        if (is_dir(argv[i]) && vault_config_get_type(cfg) == VAULT_CONFIG_PROPERTIES &&
            (orc = list_home_xml(argv[i], o.json, files)) != 0)
            rc = orc;
        vault_config_free(cfg);
        free(file);
        if (rc != EXIT_OK && o.json)
            break;
    }
    if (o.json && rc != EXIT_OK) {
        rc = cli_json_failure("list", rc);
    } else if (o.json) {
        json_t *root = cli_json_new("list");
        json_object_set_new(root, "files", files);
        files = NULL;
        rc = cli_json_print(root);
    }
    json_decref(files);
    return rc;
}
