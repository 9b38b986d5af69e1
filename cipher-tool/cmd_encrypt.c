/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool encrypt: seal one value read from stdin or the terminal. */
#include "cli_json.h"

#include <string.h>

typedef struct encrypt_args {
    cli_sealing s;
    const char *name;
    int json;
} encrypt_args;

static const cli_opt encrypt_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_sealing_opts, encrypt_args, s),
    {"name", 'n', CLI_ARG_REQUIRED, "SECRET_ALIAS",
     "the secret's alias: native values are bound to it\n"
     "(decrypt needs the same -n); prints ALIAS=VALUE", CLI_TO(CLI_TO_STRING, encrypt_args, name)},
    {"json", 0, CLI_ARG_NONE, NULL, "the sealed value in a JSON object (docs/JSON.md)", CLI_TO(CLI_TO_FLAG, encrypt_args, json)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_encrypt_options = {
    "encrypt",
    "usage: cipher-tool encrypt (-k KEYSTORE [--alias A] | --cert CERT)... [options]\n"
    "\n"
    "Seal one secret and print the sealed value (with -n, as NAME=VALUE).\n"
    "The secret is read from standard input when it is not a terminal (all of\n"
    "it, less one trailing newline, LF or CRLF, so that `echo` works), else\n"
    "typed twice on the terminal without echo. An empty secret is refused.\n"
    "\n",
    encrypt_opts,
    "\n"
    "The default format is native. The wso2 formats hold one RSA block: at most\n"
    "214 bytes with OAEP-SHA1 and a 2048-bit key, 190 with OAEP-SHA256, 245 with\n"
    "PKCS#1 v1.5 (\"RSA\", Java's legacy default, which we never choose for you).\n"
    "wso2-symmetric seals with AES-GCM and a 128-byte IV, as WSO2 does, under a\n"
    "keystore's secret-key entry (-k) or --symmetric-key-file.\n"
    "\n"
    "example:\n"
    "  printf %s \"$DB_PASSWORD\" | cipher-tool encrypt -k wso2carbon.jks \\\n"
    "      --password-file ~/.ks-pass --format wso2 -n database.password\n",
    0,
};

/* cli_read_value() reports read errors and differing entries itself. */
static int read_secret(vault_secret **value, const char *name)
{
    int rc = cli_read_value(value, name ? name : "the secret");
    if (rc == VAULT_ENOMEM)
        cli_error("out of memory");
    else if (rc == VAULT_ENOTFOUND)
        cli_error("no terminal to read the secret from; give it on standard input");
    if (rc != 0)
        return EXIT_FAIL;
    if (vault_secret_len(*value) == 0) {
        cli_error("the secret is empty; nothing to seal");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* The sealed value with what inspect tells of it. */
static int print_json(const char *name, const char *sealed)
{
    vault_value_info *info = NULL;
    json_t *o;
    int rc = vault_inspect(&info, sealed);

    if (rc != 0)
        return cli_fail(rc, "the sealed value cannot be inspected");
    o = cli_json_new("encrypt");
    json_object_set_new(o, "alias", cli_json_string(name));
    json_object_set_new(o, "format", json_string(vault_format_name(info->format)));
    json_object_set_new(o, "algorithm", cli_json_string(info->algorithm));
    json_object_set_new(o, "key_ids", cli_json_value_key_ids(info));
    json_object_set_new(o, "value", json_string(sealed));
    vault_value_info_free(info);
    return cli_json_print(o);
}

static int print_sealed(vault_sealer *sealer, const char *name, const vault_secret *value, int json)
{
    char *sealed = NULL;
    int rc = vault_sealer_seal(&sealed, sealer, name, vault_secret_data(value), vault_secret_len(value));

    if (rc != 0)
        return cli_fail(rc, "sealing failed");
    if (json) {
        rc = print_json(name, sealed);
        vault_string_free(sealed);
        return rc;
    }
    if (name)
        printf("%s=%s\n", name, sealed);
    else
        printf("%s\n", sealed);
    vault_string_free(sealed);
    if (fflush(stdout) != 0) {
        cli_error("cannot write to standard output");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

int cmd_encrypt(int argc, char **argv)
{
    encrypt_args a = {.json = cli_json_requested(argc, argv)};
    cli_sealing *s = &a.s;
    vault_sealer *sealer = NULL;
    vault_secret *value = NULL;
    int rc, json_done = 0;

    cli_sealing_init(s);
    rc = cli_opts_parse(&cmd_encrypt_options, argc, argv, &a);
    if (rc != EXIT_OK)
        goto done;
    if (optind < argc) {
        rc = cli_usage_error("encrypt", "unexpected argument \"%s\" (the secret is read from standard "
                             "input or the terminal, never from the command line)", argv[optind]);
        goto done;
    }
    if (a.name && !a.name[0]) {
        rc = cli_usage_error("encrypt", "-n needs a non-empty alias");
        goto done;
    }
    if ((rc = cli_sealing_prepare(s, "encrypt", &sealer)) != EXIT_OK)
        goto done;
    if ((rc = read_secret(&value, a.name)) != EXIT_OK)
        goto done;
    rc = print_sealed(sealer, a.name, value, a.json);
    json_done = rc == EXIT_OK;
done:
    if (a.json && !json_done && rc > EXIT_OK)
        rc = cli_json_failure("encrypt", rc);
    vault_secret_free(value);
    vault_sealer_free(sealer);
    cli_sealing_clear(s);
    return rc;
}
