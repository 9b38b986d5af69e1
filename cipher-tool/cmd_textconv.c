/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool textconv: a config file as git diff should show it. */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct textconv_args {
    vault_config_type type;
} textconv_args;

/* --type toml|properties. */
static int parse_type(void *dest, const char *arg, const char *cmd)
{
    vault_config_type *type = dest;
    if (strcmp(arg, "toml") == 0)
        *type = VAULT_CONFIG_TOML;
    else if (strcmp(arg, "properties") == 0)
        *type = VAULT_CONFIG_PROPERTIES;
    else
        return cli_usage_error(cmd, "unknown type \"%s\": toml or properties", arg), -1;
    return 0;
}

static const cli_opt textconv_opts[] = {
    {"type", 0, CLI_ARG_REQUIRED, "TYPE", "toml or properties (default: from the name)",
     CLI_CALL(parse_type, textconv_args, type)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_textconv_options = {
    "textconv",
    "usage: cipher-tool textconv [--type toml|properties] FILE\n"
    "\n"
    "Print FILE whole, each secret value replaced by a short stable summary:\n"
    "a sealed value by its format, the first 8 hex digits of each recipient's\n"
    "key id and of the SHA-256 of the value (so a re-sealed value shows as\n"
    "changed), a plain text value by a warning that never shows the text. Every\n"
    "other line is printed as it is. For git's diff driver (see README):\n"
    "\n"
    "  .gitattributes:  deployment.toml diff=vault\n"
    "  git config diff.vault.textconv 'cipher-tool textconv'\n"
    "\n",
    textconv_opts,
    "\n"
    "example:\n"
    "  cipher-tool textconv repository/conf/deployment.toml\n",
    0,
};

/* "<sealed native keys f66586f9,0a1b2c3d #5e6f7a8b>", or a refusal to tell
 * when the text is not a value of a known format. */
static void sealed_summary(const char *value, char *out, size_t cap)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    vault_value_info *info = NULL;
    size_t used, i;

    crypto_hash_sha256(digest, (const unsigned char *)value, strlen(value));
    if (vault_inspect(&info, value) != 0) {
        (void)snprintf(out, cap, "<not a sealed value of a known format #%02x%02x%02x%02x>",
                       digest[0], digest[1], digest[2], digest[3]);
        return;
    }
    used = (size_t)snprintf(out, cap, "<sealed %s", vault_format_name(info->format));
    for (i = 0; info->key_ids && i < info->recipient_count && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%.8s", i ? "," : " keys ",
                                 info->key_ids[i]);
    if (used < cap)
        (void)snprintf(out + used, cap - used, " #%02x%02x%02x%02x>", digest[0], digest[1],
                       digest[2], digest[3]);
    vault_value_info_free(info);
}

static int textconv_file(const char *path, vault_config_type type)
{
    vault_config *cfg = NULL;
    char *text = NULL;
    size_t len = 0, i, n;
    int rc = EXIT_FAIL;

    if (vault_config_open(&cfg, path, type) != 0)
        return cli_fail(VAULT_ERROR, path);
    n = vault_config_count(cfg);
    for (i = 0; i < n; i++) {
        const vault_config_entry *e;
        char summary[256];

        if (vault_config_entry_at(&e, cfg, i) != 0)
            goto done;
        if (e->state == VAULT_VALUE_SEALED)
            sealed_summary(e->value, summary, sizeof summary);
        else
            (void)snprintf(summary, sizeof summary, "%s",
                           e->state == VAULT_VALUE_PLAIN ? "<PLAIN TEXT: not sealed>" : "<empty>");
        if (vault_config_set(cfg, i, summary) != 0) {
            rc = cli_fail(VAULT_ERROR, path);
            goto done;
        }
    }
    if (vault_config_render(&text, &len, cfg) != 0) {
        rc = cli_fail(VAULT_ERROR, path);
        goto done;
    }
    rc = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
    if (rc != EXIT_OK)
        cli_error("cannot write to standard output");
done:
    free(text);
    vault_config_free(cfg);
    return rc;
}

int cmd_textconv(int argc, char **argv)
{
    textconv_args o = {VAULT_CONFIG_AUTO};
    int rc = cli_opts_parse(&cmd_textconv_options, argc, argv, &o);

    if (rc != EXIT_OK)
        return rc;
    if (argc - optind != 1)
        return cli_usage_error("textconv", "one FILE expected");
    return textconv_file(argv[optind], o.type);
}
