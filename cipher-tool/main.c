/* cipher-tool: the subcommand table and process-wide safety settings. */
#include "cli.h"

#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

static const cli_command commands[] = {
    {"keystore", cmd_keystore, "list a keystore's entries, verify a certificate chain"},
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
    fprintf(out, "\n'cipher-tool help COMMAND' or 'cipher-tool COMMAND --help' for a command's options.\n");
}

static const cli_command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
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
        char *help_argv[] = {argv[2], (char *)"--help", NULL};
        if (argc < 3) {
            usage(stdout);
            return EXIT_OK;
        }
        cmd = find_command(argv[2]);
        if (!cmd)
            return cli_usage_error(NULL, "unknown command \"%s\"", argv[2]);
        return cmd->run(2, help_argv);
    }
    cmd = find_command(argv[1]);
    if (!cmd)
        return cli_usage_error(NULL, "unknown command \"%s\"", argv[1]);
    return cmd->run(argc - 1, argv + 1);
}
