/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool set: create or replace one secret of a config file. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct set_args {
    cli_sealing s;
    int value_fd;
    int json;
} set_args;

static const cli_opt set_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_sealing_opts, set_args, s),
    CLI_OPT_INCLUDE_AT(cli_not_for_wso2_opts, set_args, s),
    {"value-fd", 0, CLI_ARG_REQUIRED, "N",
     "read the value from descriptor N (its first line)", CLI_TO(CLI_TO_FD, set_args, value_fd)},
    CLI_OPT_INCLUDE_AT(cli_apply_json_opts, set_args, json),
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_set_options = {
    "set",
    "usage: cipher-tool set FILE ALIAS (-k KEYSTORE | --cert CERT)... [--value-fd N] [options]\n"
    "\n"
    "Create or replace the secret ALIAS of a deployment.toml ([secrets] table) or a\n"
    "cipher-text.properties: the value is read from descriptor N, else from\n"
    "standard input when it is not a terminal, else from the terminal (typed twice,\n"
    "without echo); an empty value is refused. A new alias is added after the last\n"
    "secret of the file (a deployment.toml without [secrets] gets the table at its\n"
    "end). The file is replaced atomically after the new value was opened with the\n"
    "private key when it is at hand; every other byte stays as it was.\n"
    "\n"
    "In a WSO2 product home the default format is what its runtime opens (see seal).\n"
    "\n",
    set_opts,
    "\n"
    "example:\n"
    "  printf '%s' \"$DB_PASSWORD\" | cipher-tool set deployment.toml db_password --cert wso2carbon.pem\n",
    0,
};

static int read_value(vault_secret **out, int fd, const char *alias)
{
    char what[512];
    if (fd < 0) {
        snprintf(what, sizeof what, "the value of \"%s\"", alias);
        return cli_read_value(out, what) == 0 ? EXIT_OK : EXIT_FAIL;
    }
    if (vault_password_from_fd(out, fd) != 0)
        return cli_fail(VAULT_ERROR, NULL);
    if (vault_secret_len(*out) == 0) {
        cli_error("the value of \"%s\" is empty; nothing to seal", alias);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

int cmd_set(int argc, char **argv)
{
    set_args o = {.value_fd = -1};
    cli_sealing *s = &o.s;
    cli_apply a;
    vault_sealer *sealer = NULL;
    vault_secret *value = NULL;
    int rc;

    cli_sealing_init(s);
    rc = cli_opts_parse(&cmd_set_options, argc, argv, &o);
    if (rc != EXIT_OK)
        goto done;
    if (argc - optind != 2 || !argv[optind + 1][0]) {
        rc = cli_usage_error("set", "expected FILE ALIAS");
        goto done;
    }
    cli_apply_init(&a, "set", "could not be sealed", o.json);
    if ((rc = cli_sealing_home_default(s, argv + optind, 1, "set")) != EXIT_OK ||
        (rc = cli_sealing_prepare(s, "set", &sealer)) != EXIT_OK) {
        cli_apply_note_printed(&a, rc);
    } else {
        cli_apply_recipients(&a, s->recipients, s->recipient_count);
        if ((rc = read_value(&value, o.value_fd, argv[optind + 1])) != EXIT_OK)
            cli_apply_note(&a, VAULT_EINVAL, "no value given");
        else
            rc = cli_seal_file(&a, s, sealer, argv[optind], argv[optind + 1], value, VAULT_APPLY_CREATE);
    }
    rc = cli_apply_finish(&a, rc);
done:
    vault_secret_free(value);
    vault_sealer_free(sealer);
    cli_sealing_clear(s);
    return rc;
}
