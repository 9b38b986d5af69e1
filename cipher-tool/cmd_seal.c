/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool seal | change: encrypt the plaintext secrets of config files in place. */
#include "cli.h"
#include "cli_vault.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the command line of seal and change gives. */
typedef struct seal_args {
    cli_sealing s;
    int json;
} seal_args;

static const cli_opt seal_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_sealing_opts, seal_args, s),
    CLI_OPT_INCLUDE_AT(cli_not_for_wso2_opts, seal_args, s),
    {"type", 0, CLI_ARG_REQUIRED, "TYPE",
     "read each FILE as toml or properties, whatever its name", CLI_CALL(cli_parse_sealable_type, seal_args, s.type)},
    CLI_OPT_INCLUDE_AT(cli_apply_json_opts, seal_args, json),
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_seal_options = {
    "seal",
    "usage: cipher-tool seal FILE|HOME... (-k KEYSTORE | --cert CERT)... [options]\n"
    "\n"
    "Encrypt, in place, every secret written as \"[plain text]\" in the [secrets]\n"
    "table of a deployment.toml or in a cipher-text.properties. Everything else in\n"
    "the file stays byte for byte as it was; values without brackets are taken as\n"
    "already sealed and left alone, so sealing twice changes nothing. An empty\n"
    "value is asked for on the terminal (twice, without echo). Each file is\n"
    "replaced atomically, after the new content was parsed again and, when the\n"
    "private key is at hand, every new value was opened.\n"
    "\n"
    "A directory is a product home: its repository/conf/deployment.toml, else its\n"
    "repository/conf/security/cipher-text.properties (conf/... in an EI/MI home).\n"
    "\n"
    "In a WSO2 product home governed by a secret-conf.properties, the default format\n"
    "is what its runtime opens: its one algorithm (wso2 --transformation T) or its\n"
    "symmetric mode; another one is refused.\n"
    "\n",
    seal_opts,
    "\n"
    "example:\n"
    "  cipher-tool seal repository/conf/deployment.toml -k wso2carbon.jks --password-file pw\n",
    0,
};

static const cli_opt change_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_sealing_opts, seal_args, s),
    CLI_OPT_INCLUDE_AT(cli_not_for_wso2_opts, seal_args, s),
    {"type", 0, CLI_ARG_REQUIRED, "TYPE",
     "read FILE as toml or properties, whatever its name", CLI_CALL(cli_parse_sealable_type, seal_args, s.type)},
    CLI_OPT_INCLUDE_AT(cli_apply_json_opts, seal_args, json),
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_change_options = {
    "change",
    "usage: cipher-tool change FILE ALIAS (-k KEYSTORE | --cert CERT)... [options]\n"
    "\n"
    "Replace one secret: the new value is read from the terminal (twice, without\n"
    "echo) or from standard input, sealed, and written in place atomically.\n"
    "\n"
    "In a WSO2 product home the default format is what its runtime opens (see seal).\n"
    "\n",
    change_opts,
    "\n"
    "example:\n"
    "  cipher-tool change deployment.toml admin_password --cert wso2carbon.pem\n",
    0,
};

/* An empty value, asked for on the terminal. */
static int ask_value(vault_secret **out, const char *path, const vault_config_entry *e, void *payload)
{
    char what[512];
    int rc;
    (void)payload;
    if (!isatty(STDIN_FILENO)) {
        cli_error("%s: line %u: alias \"%s\" has an empty value and there is no terminal to ask for it",
                  path, e->line, e->alias);
        cli_hint("write the value as \"[secret]\" in the file, or run on a terminal");
        return VAULT_EINVAL;
    }
    snprintf(what, sizeof what, "the value of \"%s\"", e->alias);
    rc = cli_read_value(out, what);
    return rc == 0 || rc == VAULT_ECANCELED ? rc : VAULT_EINVAL;
}

int cli_seal_report(const vault_apply_result *res)
{
    const vault_apply_entry *one = res->count == 1 ? &res->entries[0] : NULL;
    size_t i, sealed = 0, already = 0;

    if (one && (one->status == VAULT_APPLY_CREATED || one->status == VAULT_APPLY_REPLACED)) {
        fprintf(stderr, "cipher-tool: %s: alias \"%s\" %s\n", res->path, one->alias,
                one->status == VAULT_APPLY_CREATED ? "added" : "replaced");
    } else {
        for (i = 0; i < res->count; i++) {
            sealed += res->entries[i].status == VAULT_APPLY_SEALED;
            already += res->entries[i].status == VAULT_APPLY_ALREADY_SEALED;
        }
        fprintf(stderr, "cipher-tool: %s: sealed %zu secret%s%s", res->path, sealed, sealed == 1 ? "" : "s",
                already ? "" : "\n");
        if (already)
            fprintf(stderr, ", %zu already sealed\n", already);
    }
    if (res->key_locked)
        cli_warning("%s: the private key cannot be unlocked with the store password (its key password "
                    "differs): the new values were checked by key id, not opened; they open with the key "
                    "password", res->path);
    return EXIT_OK;
}

int cli_seal_file(cli_apply *a, cli_sealing *s, vault_sealer *sealer, const char *path, const char *alias,
                  const vault_secret *value, unsigned int flags)
{
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    char *file = NULL;
    int rc, type = s->type;

    /* A product home stands for the file its server reads. */
    if ((rc = cli_config_resolve(&file, &type, path)) != 0) {
        rc = cli_fail(rc, NULL);
        cli_apply_note(a, VAULT_ENOTFOUND, vault_error_last()->message);
        return rc;
    }
    o.op = alias ? VAULT_APPLY_SET : VAULT_APPLY_SEAL;
    o.path = file;
    o.type = (vault_config_type)type;
    o.sealer = sealer;
    o.alias = alias;
    o.value = value;
    o.flags = flags;
    o.ask = ask_value;
    cli_sealing_apply_options(s, &o);
    rc = cli_apply_file(a, &o, &res);
    if (rc == EXIT_OK)
        rc = cli_seal_report(res);
    vault_apply_result_free(res);
    free(file);
    return rc;
}

static int run(int argc, char **argv, int change)
{
    const char *cmd = change ? "change" : "seal";
    seal_args o = {.json = 0};
    cli_sealing *s = &o.s;
    cli_apply a;
    vault_sealer *sealer = NULL;
    vault_secret *given = NULL;
    int rc, i;

    cli_sealing_init(s);
    if ((rc = cli_opts_parse(change ? &cmd_change_options : &cmd_seal_options, argc, argv, &o)) != EXIT_OK)
        goto done;
    if (change ? argc - optind != 2 : optind >= argc) {
        rc = cli_usage_error(cmd, change ? "expected FILE ALIAS" : "expected one or more FILEs");
        goto done;
    }
    cli_apply_init(&a, cmd, "could not be sealed", o.json);
    if ((rc = cli_sealing_home_default(s, argv + optind, change ? 1 : argc - optind, cmd)) != EXIT_OK ||
        (rc = cli_sealing_prepare(s, cmd, &sealer)) != EXIT_OK) {
        cli_apply_note_printed(&a, rc);
        goto finish;
    }
    cli_apply_recipients(&a, s->recipients, s->recipient_count);
    if (change) {
        char what[512];
        snprintf(what, sizeof what, "the new value of \"%s\"", argv[optind + 1]);
        if ((rc = cli_read_value(&given, what)) != 0) {
            cli_apply_note(&a, rc == VAULT_ECANCELED ? rc : VAULT_EINVAL, "no value given");
            rc = EXIT_FAIL;
            goto finish;
        }
        rc = cli_seal_file(&a, s, sealer, argv[optind], argv[optind + 1], given, 0);
        goto finish;
    }
    for (i = optind, rc = EXIT_OK; i < argc; i++)
        if (cli_seal_file(&a, s, sealer, argv[i], NULL, NULL, 0) != EXIT_OK)
            rc = EXIT_FAIL;
finish:
    rc = cli_apply_finish(&a, rc);
done:
    vault_secret_free(given);
    vault_sealer_free(sealer);
    cli_sealing_clear(s);
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
