/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool: the subcommand table and process-wide safety settings. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

/* A subcommand: cmd_NAME() runs it, cmd_NAME_options holds its options. */
#define COMMAND(name, summary, subcommands) {#name, cmd_##name, summary, subcommands, &cmd_##name##_options}

static const cli_command commands[] = {
    COMMAND(encrypt, "seal one value read from standard input or the terminal", NULL),
    COMMAND(decrypt, "open one sealed value read from standard input", NULL),
    COMMAND(inspect, "tell a sealed value's format, algorithm and key ids", NULL),
    COMMAND(seal, "encrypt the plain text secrets of config files in place", NULL),
    COMMAND(check, "fail when a secret is left in plain text or does not open", NULL),
    COMMAND(list, "show the secrets of config files and their state", NULL),
    COMMAND(change, "replace one secret of a config file", NULL),
    COMMAND(set, "create or replace one secret of a config file", NULL),
    COMMAND(edit, "edit a config with its secrets decrypted, sealed again on the way back", NULL),
    COMMAND(render, "write a template with its $secret{alias} references resolved", NULL),
    COMMAND(exec, "run a program with chosen secrets in its environment or descriptors", NULL),
    COMMAND(rotate, "re-encrypt the sealed values of config files for a new key", NULL),
    COMMAND(recipients, "add or remove recipients of native values (no re-encryption)", "add remove"),
    COMMAND(publish, "write the sealed values of config files to an etcd repository", NULL),
    COMMAND(keystore, "list a keystore's entries, verify a certificate chain", "list verify"),
    COMMAND(textconv, "print a config with each secret replaced by a stable summary (git diff)", NULL),
    COMMAND(completion, "print the completion script for bash, zsh or fish", "bash zsh fish"),
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    size_t i;
    fprintf(out, "usage: cipher-tool COMMAND [options]\n\n"
                 "Seal the passwords in server configuration files with a keystore's\n"
                 "public key; open them with its private key.\n\ncommands:\n");
    for (i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nThe WSO2 cipher tool's options work too: cipher-tool -Dconfigure, -Dchange,\n"
                 "-Drotate ('cipher-tool -help' for them).\n");
    fprintf(out, "\n'cipher-tool help COMMAND' or 'cipher-tool COMMAND --help' for a command's options.\n");
}

const cli_command *cli_command_table(size_t *count)
{
    *count = N_COMMANDS;
    return commands;
}

static const cli_command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* A command's result as the process's exit status: --help printed is a
 * success (cli_opts_parse()), every other result is already one. */
static int exit_status(int rc)
{
    return rc == CLI_HELP_PRINTED ? EXIT_OK : rc;
}

/* Like OpenSSH: no core file may ever hold a password or a secret. */
static void disable_core_dumps(void)
{
    struct rlimit rl = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &rl);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
    const cli_command *cmd;

    disable_core_dumps();
    /* libvault leaves openssl.cnf unread (start-up time); naming one asks
     * for it. */
    if (getenv("OPENSSL_CONF") && vault_init_openssl_config() != 0) {
        fprintf(stderr, "cipher-tool: error: %s (OPENSSL_CONF=%s)\n", vault_error_last()->message,
                getenv("OPENSSL_CONF"));
        return EXIT_FAIL;
    }
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("cipher-tool %s\n", vault_version());
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return EXIT_OK;
        }
        cmd = find_command(argv[2]);
        if (!cmd)
            return cli_usage_error(NULL, "unknown command \"%s\"", argv[2]);
        cli_opt_print_help(stdout, cmd->options);
        return EXIT_OK;
    }
    /* The Java cipher tool's command line: -Dconfigure, -Dchange, ... */
    if (strncmp(argv[1], "-D", 2) == 0 || strcmp(argv[1], "-help") == 0)
        return exit_status(cmd_wso2(argc, argv));
    cmd = find_command(argv[1]);
    if (!cmd)
        return cli_usage_error(NULL, "unknown command \"%s\"", argv[1]);
    return exit_status(cmd->run(argc - 1, argv + 1));
}
