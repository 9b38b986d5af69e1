/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool set: create or replace one secret of a config file. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_VALUE_FD = OPT_FIRST_COMMAND_OPTION };

static const cli_opt set_opts[] = {
    CLI_OPT_INCLUDE(cli_sealing_opts),
    CLI_OPT_INCLUDE(cli_not_for_wso2_opts),
    {"value-fd", 0, CLI_ARG_REQUIRED, "N",
     "read the value from descriptor N (its first line)", OPT_VALUE_FD, NULL},
    {"json", 0, CLI_ARG_NONE, NULL, "a report on standard output (docs/JSON.md)", OPT_JSON, NULL},
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
    cli_opts p;
    cli_sealing s;
    cli_apply a;
    vault_sealer *sealer = NULL;
    vault_secret *value = NULL;
    int opt, rc = EXIT_USAGE, json = 0, value_fd = -1;

    cli_sealing_init(&s);
    cli_opts_start(&p, &cmd_set_options, argc, argv);
    while ((opt = cli_opts_next(&p)) > 0) {
        if (cli_sealing_option(&s, opt, p.arg, "set") < 0)
            goto done;
        if (opt == OPT_JSON)
            json = 1;
        if (opt == OPT_VALUE_FD && (value_fd = cli_parse_fd(p.arg)) < 0) {
            rc = cli_usage_error("set", "bad descriptor number \"%s\"", p.arg);
            goto done;
        }
    }
    if (opt < 0) {
        rc = p.status;
        goto done;
    }
    if (argc - optind != 2 || !argv[optind + 1][0]) {
        rc = cli_usage_error("set", "expected FILE ALIAS");
        goto done;
    }
    cli_apply_init(&a, "set", "could not be sealed", json);
    if ((rc = cli_sealing_home_default(&s, argv + optind, 1, "set")) != EXIT_OK ||
        (rc = cli_sealing_prepare(&s, "set", &sealer)) != EXIT_OK) {
        cli_apply_note(&a, rc == EXIT_USAGE ? VAULT_EINVAL : VAULT_ERROR,
                       vault_error_last() ? vault_error_last()->message : "cannot prepare the sealing");
    } else {
        cli_apply_recipients(&a, s.recipients, s.recipient_count);
        if ((rc = read_value(&value, value_fd, argv[optind + 1])) != EXIT_OK)
            cli_apply_note(&a, VAULT_EINVAL, "no value given");
        else
            rc = cli_seal_file(&a, &s, sealer, argv[optind], argv[optind + 1], value, VAULT_APPLY_CREATE);
    }
    rc = cli_apply_finish(&a, rc);
done:
    vault_secret_free(value);
    vault_sealer_free(sealer);
    cli_sealing_clear(&s);
    return rc;
}
