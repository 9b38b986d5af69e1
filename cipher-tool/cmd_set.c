/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool set: create or replace one secret of a config file. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char set_usage[] =
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
    "\n"
    "options:\n" CLI_SEALING_OPTIONS_HELP CLI_NOT_FOR_WSO2_HELP
    "      --value-fd N            read the value from descriptor N (its first line)\n"
    "      --json                  a report on standard output (docs/JSON.md)\n"
    "\n"
    "example:\n"
    "  printf '%s' \"$DB_PASSWORD\" | cipher-tool set deployment.toml db_password --cert wso2carbon.pem\n";

enum { OPT_VALUE_FD = OPT_FIRST_COMMAND_OPTION };

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
    static const struct option options[] = {
        CLI_SEALING_LONG_OPTIONS,
        CLI_NOT_FOR_WSO2_LONG_OPTION,
        {"value-fd", required_argument, NULL, OPT_VALUE_FD},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_sealing s;
    cli_apply a;
    vault_sealer *sealer = NULL;
    vault_secret *value = NULL;
    int opt, rc = EXIT_USAGE, json = 0, value_fd = -1;

    cli_sealing_init(&s);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "k:h", options, NULL)) != -1) {
        int handled = cli_sealing_option(&s, opt, optarg, "set");
        if (handled < 0)
            goto done;
        if (handled)
            continue;
        if (opt == OPT_JSON) {
            json = 1;
        } else if (opt == OPT_VALUE_FD) {
            if ((value_fd = cli_parse_fd(optarg)) < 0) {
                rc = cli_usage_error("set", "bad descriptor number \"%s\"", optarg);
                goto done;
            }
        } else if (opt == 'h') {
            fputs(set_usage, stdout);
            rc = EXIT_OK;
            goto done;
        } else {
            rc = cli_usage_error("set", "bad option");
            goto done;
        }
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
