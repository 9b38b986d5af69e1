/* cipher-tool seal | change: encrypt the plaintext secrets of config files in place. */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char seal_usage[] =
    "usage: cipher-tool seal FILE... (-k KEYSTORE | --cert CERT)... [options]\n"
    "\n"
    "Encrypt, in place, every secret written as \"[plain text]\" in the [secrets]\n"
    "table of a deployment.toml or in a cipher-text.properties. Everything else in\n"
    "the file stays byte for byte as it was; values without brackets are taken as\n"
    "already sealed and left alone, so sealing twice changes nothing. An empty\n"
    "value is asked for on the terminal (twice, without echo). Each file is\n"
    "replaced atomically, after the new content was parsed again and, when the\n"
    "private key is at hand, every new value was opened.\n"
    "\n"
    "options:\n" CLI_SEALING_OPTIONS_HELP
    "\n"
    "example:\n"
    "  cipher-tool seal repository/conf/deployment.toml -k wso2carbon.jks --password-file pw\n";

static const char change_usage[] =
    "usage: cipher-tool change FILE ALIAS (-k KEYSTORE | --cert CERT)... [options]\n"
    "\n"
    "Replace one secret: the new value is read from the terminal (twice, without\n"
    "echo) or from standard input, sealed, and written in place atomically.\n"
    "\n"
    "options:\n" CLI_SEALING_OPTIONS_HELP
    "\n"
    "example:\n"
    "  cipher-tool change deployment.toml admin_password --cert wso2carbon.pem\n";

/* What the verification of a rewritten file needs: the aliases sealed in
 * this run, where their plaintexts are (the original file, read again, or
 * a value typed in) and an opener. Plaintexts are not held one guarded
 * allocation each: a file may hold tens of thousands of secrets. */
typedef struct sealed_set {
    vault_config_type type;
    const char *path;
    vault_opener *opener;
    vault_config *orig; /* the file as it was, for the [plain] texts */
    size_t n;
    char **aliases;
    vault_secret **typed; /* a value typed in or given, else NULL */
} sealed_set;

static void sealed_set_clear(sealed_set *s)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        free(s->aliases[i]);
        vault_secret_free(s->typed[i]);
    }
    free(s->aliases);
    free(s->typed);
    vault_config_free(s->orig);
    s->aliases = NULL;
    s->typed = NULL;
    s->orig = NULL;
    s->n = 0;
}

/* Takes typed (which may be NULL) also on failure. */
static int sealed_set_add(sealed_set *s, const char *alias, vault_secret *typed)
{
    char **a = NULL;
    vault_secret **t = NULL;
    if (s->n % 64 == 0) {
        a = realloc(s->aliases, (s->n + 64) * sizeof *a);
        if (a)
            s->aliases = a;
        t = realloc(s->typed, (s->n + 64) * sizeof *t);
        if (t)
            s->typed = t;
        if (!a || !t) {
            vault_secret_free(typed);
            return VAULT_ENOMEM;
        }
    }
    if (!(s->aliases[s->n] = strdup(alias))) {
        vault_secret_free(typed);
        return VAULT_ENOMEM;
    }
    s->typed[s->n++] = typed;
    return 0;
}

/* The plaintext sealed for alias i of the set, in guarded memory. */
static int sealed_plaintext(const sealed_set *s, size_t i, vault_secret **out)
{
    size_t idx;
    if (s->typed[i])
        return vault_secret_new(out, vault_secret_data(s->typed[i]), vault_secret_len(s->typed[i]));
    if (vault_config_find(s->orig, s->aliases[i], &idx) != 0)
        return VAULT_ENOTFOUND;
    return vault_config_plaintext(s->orig, idx, out);
}

/* Every value sealed in this run opens to its plaintext in the new bytes. */
static int verify_new_content(const void *data, size_t len, void *payload)
{
    sealed_set *s = payload;
    vault_config *cfg = NULL;
    size_t i, idx;
    int rc;

    if (!s->opener)
        return 0;
    rc = vault_config_parse(&cfg, s->path, s->type, data, len);
    for (i = 0; rc == 0 && i < s->n; i++) {
        const vault_config_entry *e;
        vault_secret *got = NULL, *want = NULL;
        rc = vault_config_find(cfg, s->aliases[i], &idx);
        if (rc == 0)
            rc = vault_config_entry_at(cfg, idx, &e);
        if (rc == 0 && e->state != VAULT_VALUE_SEALED)
            rc = VAULT_EFORMAT;
        if (rc == 0)
            rc = vault_opener_open(s->opener, s->aliases[i], e->value, &got, NULL);
        if (rc == 0)
            rc = sealed_plaintext(s, i, &want);
        if (rc == 0 && (vault_secret_len(got) != vault_secret_len(want) ||
                        sodium_memcmp(vault_secret_data(got), vault_secret_data(want),
                                      vault_secret_len(got)) != 0))
            rc = VAULT_EAUTH;
        vault_secret_free(want);
        if (rc != 0)
            cli_error("%s: alias \"%s\": the new value does not open to the secret; the file was not changed",
                      s->path, s->aliases[i]);
        vault_secret_free(got);
    }
    vault_config_free(cfg);
    return rc;
}

/* A plaintext for an item: its [text], or asked for when empty. */
static int plaintext_for(vault_config *cfg, size_t i, const vault_config_entry *e, vault_secret **out)
{
    char what[512];
    if (e->state == VAULT_VALUE_PLAIN)
        return vault_config_plaintext(cfg, i, out) == 0 ? 0 : cli_fail(VAULT_ERROR, NULL);
    if (!isatty(STDIN_FILENO)) {
        cli_error("%s: line %u: alias \"%s\" has an empty value and there is no terminal to ask for it",
                  vault_config_path(cfg), e->line, e->alias);
        cli_hint("write the value as \"[secret]\" in the file, or run on a terminal");
        return EXIT_FAIL;
    }
    snprintf(what, sizeof what, "the value of \"%s\"", e->alias);
    return cli_read_value(out, what) == 0 ? 0 : EXIT_FAIL;
}

/* Seal one item of cfg (plain text, or the given or typed value) and note it
 * in set. EXIT_OK; EXIT_FAIL when this value fails (named), -1 when the run
 * must stop (a cancelled prompt, out of memory). */
static int seal_item(vault_config *cfg, size_t i, const vault_config_entry *e, vault_sealer *sealer,
                     vault_secret *given, sealed_set *set)
{
    const char *path = vault_config_path(cfg);
    vault_secret *plain = NULL;
    char *value = NULL;
    int typed = given || e->state != VAULT_VALUE_PLAIN, rc;

    if (given) {
        if (vault_secret_new(&plain, vault_secret_data(given), vault_secret_len(given)) != 0) {
            cli_fail(VAULT_ENOMEM, NULL);
            return -1;
        }
    } else if (plaintext_for(cfg, i, e, &plain) != 0) {
        return -1;
    }
    if (vault_secret_len(plain) == 0) {
        cli_error("%s: line %u: alias \"%s\": the secret is empty", path, e->line, e->alias);
        vault_secret_free(plain);
        return EXIT_FAIL;
    }
    if (vault_sealer_seal(sealer, e->alias, vault_secret_data(plain), vault_secret_len(plain), &value) != 0) {
        cli_error("%s: alias \"%s\": %s", path, e->alias, vault_error_last()->message);
        vault_secret_free(plain);
        return EXIT_FAIL;
    }
    rc = vault_config_set(cfg, i, value);
    vault_string_free(value);
    if (!typed) {
        vault_secret_free(plain); /* set->orig holds it */
        plain = NULL;
    }
    if (rc != 0) {
        vault_secret_free(plain);
        cli_error("%s: alias \"%s\": %s", path, e->alias, vault_error_last()->message);
        return EXIT_FAIL;
    }
    if (sealed_set_add(set, e->alias, plain) != 0) {
        cli_error("out of memory");
        return -1;
    }
    return EXIT_OK;
}

int cli_seal_file(const char *path, vault_sealer *sealer, vault_opener *opener, const char *only_alias,
                  vault_secret *given)
{
    vault_config *cfg = NULL;
    sealed_set set = {0};
    size_t i, n, already = 0, failed = 0;
    int rc = EXIT_FAIL;

    if (vault_config_open(&cfg, path, VAULT_CONFIG_AUTO) != 0)
        return cli_fail(VAULT_ERROR, NULL);
    for (i = 0; vault_config_warning(cfg, i); i++)
        cli_warning("%s", vault_config_warning(cfg, i));
    set.type = vault_config_get_type(cfg);
    set.path = path;
    set.opener = opener;
    /* The file read again: the [plain] texts stay there for verification. */
    if (opener && vault_config_open(&set.orig, path, VAULT_CONFIG_AUTO) != 0) {
        rc = cli_fail(VAULT_ERROR, NULL);
        goto done;
    }
    n = vault_config_count(cfg);
    if (only_alias && vault_config_find(cfg, only_alias, &i) != 0) {
        cli_error("no alias \"%s\" in %s", only_alias, path);
        goto done;
    }
    /* Every value is tried so that every failing alias is named; nothing is
     * written when one fails. */
    for (i = 0; i < n; i++) {
        const vault_config_entry *e;
        int one;
        vault_config_entry_at(cfg, i, &e);
        if (only_alias ? strcmp(e->alias, only_alias) != 0 : e->state == VAULT_VALUE_SEALED) {
            already += e->state == VAULT_VALUE_SEALED;
            continue;
        }
        one = seal_item(cfg, i, e, sealer, given, &set);
        if (one < 0)
            goto done;
        failed += one != EXIT_OK;
    }
    if (failed) {
        cli_error("%s: %zu value%s could not be sealed; the file was not changed", path, failed,
                  failed == 1 ? "" : "s");
        goto done;
    }
    if (set.n && vault_config_save(cfg, verify_new_content, &set) != 0) {
        cli_error("%s", vault_error_last()->message);
        goto done;
    }
    fprintf(stderr, "cipher-tool: %s: sealed %zu secret%s%s", path, set.n, set.n == 1 ? "" : "s",
            already ? "" : "\n");
    if (already)
        fprintf(stderr, ", %zu already sealed\n", already);
    rc = EXIT_OK;
done:
    sealed_set_clear(&set);
    vault_config_free(cfg);
    return rc;
}

static int run(int argc, char **argv, int change)
{
    static const struct option options[] = {
        CLI_SEALING_LONG_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = change ? "change" : "seal";
    cli_sealing s;
    vault_sealer *sealer = NULL;
    vault_opener *opener = NULL;
    vault_secret *given = NULL;
    int opt, rc = EXIT_USAGE, i;

    cli_sealing_init(&s);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "k:h", options, NULL)) != -1) {
        int handled = cli_sealing_option(&s, opt, optarg, cmd);
        if (handled < 0)
            goto done;
        if (handled)
            continue;
        if (opt == 'h') {
            fputs(change ? change_usage : seal_usage, stdout);
            rc = EXIT_OK;
        } else {
            rc = cli_usage_error(cmd, "bad option");
        }
        goto done;
    }
    if (change ? argc - optind != 2 : optind >= argc) {
        rc = cli_usage_error(cmd, change ? "expected FILE ALIAS" : "expected one or more FILEs");
        goto done;
    }
    if ((rc = cli_sealing_prepare(&s, cmd, &sealer)) != EXIT_OK)
        goto done;
    if (cli_sealing_opener(&s, &opener) != 0) {
        rc = cli_fail(VAULT_ERROR, NULL);
        goto done;
    }
    if (change) {
        char what[512];
        snprintf(what, sizeof what, "the new value of \"%s\"", argv[optind + 1]);
        if (cli_read_value(&given, what) != 0) {
            rc = EXIT_FAIL;
            goto done;
        }
        rc = cli_seal_file(argv[optind], sealer, opener, argv[optind + 1], given);
        goto done;
    }
    for (i = optind, rc = EXIT_OK; i < argc; i++)
        if (cli_seal_file(argv[i], sealer, opener, NULL, NULL) != EXIT_OK)
            rc = EXIT_FAIL;
done:
    vault_secret_free(given);
    vault_opener_free(opener);
    vault_sealer_free(sealer);
    cli_sealing_clear(&s);
    return rc;
}

int cmd_seal(int argc, char **argv)
{
    return run(argc, argv, 0);
}

int cmd_change(int argc, char **argv)
{
    return run(argc, argv, 1);
}
