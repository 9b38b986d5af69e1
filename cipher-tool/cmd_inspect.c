/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool inspect: what a sealed value is, without any key. */
#include "cli_json.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct inspect_args {
    int json;
} inspect_args;

static const cli_opt inspect_opts[] = {
    {"json", 0, CLI_ARG_NONE, NULL, "machine-readable output", CLI_TO(CLI_TO_FLAG, inspect_args, json)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_inspect_options = {
    "inspect",
    "usage: cipher-tool inspect [--json] [VALUE]\n"
    "\n"
    "Tell a sealed value's format, algorithm, recipients' key ids and sizes,\n"
    "without any key. The value is read from standard input (blank space around\n"
    "it ignored; NAME=VALUE as encrypt -n prints it is taken as VALUE) unless\n"
    "given as the argument: sealed values are not secret.\n"
    "\n",
    inspect_opts,
    "\n"
    "Key ids are SHA-256 certificate thumbprints (lower-case hex) for native\n"
    "values and the SHA-1 thumbprint WSO2 records (upper-case hex) for holders.\n"
    "A raw wso2 value records neither its key nor its padding.\n"
    "\n"
    "example:\n"
    "  cipher-tool inspect 'vault:v1:AQEB...'\n",
    0,
};

static void print_text(const vault_value_info *info)
{
    size_t i;

    printf("format:      %s\n", vault_format_name(info->format));
    printf("algorithm:   %s\n", info->algorithm ? info->algorithm : "unknown");
    if (info->format != VAULT_FORMAT_WSO2_SYMMETRIC)
        printf("recipients:  %zu\n", info->recipient_count);
    for (i = 0; info->key_ids && i < info->recipient_count; i++)
        printf("key id:      %s\n", info->key_ids[i]);
    printf("ciphertext:  %zu bytes\n", info->ciphertext_bytes);
    if (info->plaintext_bytes || info->format == VAULT_FORMAT_WSO2_SYMMETRIC ||
        info->format == VAULT_FORMAT_NATIVE)
        printf("plaintext:   %zu bytes\n", info->plaintext_bytes);
    if (info->iv_bytes)
        printf("iv:          %zu bytes\n", info->iv_bytes);
    if (info->legacy)
        printf("legacy:      yes (PKCS#1 v1.5 padding; re-seal it with 'cipher-tool rotate')\n");
}

static int print_json(const vault_value_info *info)
{
    json_t *o = cli_json_new("inspect");
    int known_pt = info->plaintext_bytes || info->format == VAULT_FORMAT_WSO2_SYMMETRIC ||
                   info->format == VAULT_FORMAT_NATIVE;

    json_object_set_new(o, "format", json_string(vault_format_name(info->format)));
    json_object_set_new(o, "algorithm", info->algorithm ? json_string(info->algorithm) : json_null());
    json_object_set_new(o, "recipient_count", json_integer((json_int_t)info->recipient_count));
    json_object_set_new(o, "key_ids", cli_json_value_key_ids(info));
    json_object_set_new(o, "ciphertext_bytes", json_integer((json_int_t)info->ciphertext_bytes));
    json_object_set_new(o, "plaintext_bytes",
                        known_pt ? json_integer((json_int_t)info->plaintext_bytes) : json_null());
    json_object_set_new(o, "iv_bytes", info->iv_bytes ? json_integer((json_int_t)info->iv_bytes) : json_null());
    json_object_set_new(o, "legacy", json_boolean(info->legacy));
    return cli_json_print(o);
}

int cmd_inspect(int argc, char **argv)
{
    inspect_args o = {cli_json_requested(argc, argv)};
    vault_value_info *info = NULL;
    char *text = NULL;
    const char *name = NULL, *value;
    int rc = cli_opts_parse(&cmd_inspect_options, argc, argv, &o);

    if (rc != EXIT_OK)
        return o.json && rc > 0 ? cli_json_failure("inspect", rc) : rc;
    if (argc - optind > 1) {
        rc = cli_usage_error("inspect", "one value at a time");
        return o.json ? cli_json_failure("inspect", rc) : rc;
    }
    if (optind < argc)
        value = argv[optind];
    else if (cli_read_sealed_value(&text, &name, &value) != EXIT_OK)
        return o.json ? cli_json_failure("inspect", EXIT_FAIL) : EXIT_FAIL;
    if ((rc = vault_inspect(&info, value)) != 0) {
        rc = o.json ? cli_json_fail("inspect", rc, "not a sealed value") : cli_fail(rc, "not a sealed value");
    } else {
        rc = o.json ? print_json(info) : EXIT_OK;
        if (!o.json)
            print_text(info);
    }
    vault_value_info_free(info);
    free(text);
    return rc;
}
