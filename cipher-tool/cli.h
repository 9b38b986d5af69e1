/* cipher-tool: what every subcommand shares. Includes only the public API. */
#ifndef CIPHER_TOOL_CLI_H
#define CIPHER_TOOL_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <vault.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#if defined(__GNUC__)
#  define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define CLI_PRINTF(a, b)
#endif

/* Messages on stderr: "cipher-tool: error: ...", "warning:", "hint:". */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_warning(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_hint(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Print the library's last error (or fallback) and return EXIT_FAIL. */
int cli_fail(int rc, const char *fallback);

/* Usage error: message, a pointer to --help, EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Where the passwords of one keystore come from. Keep the struct alive as
 * long as the keystore: it is the password callback's payload. */
typedef struct cli_keystore {
    const char *path;
    const char *alias;
    const char *storetype;
    const char *password_file;
    int password_fd;              /* -1 when unset */
    const char *password_env;     /* opt-in: name of a variable */
    const char *key_password_file;
    int key_password_fd;
    const char *role;             /* "keystore" or "truststore", for prompts */
    vault_secret *second_line;    /* key password from a two-line password file */
} cli_keystore;

void cli_keystore_init(cli_keystore *k, const char *role);
void cli_keystore_clear(cli_keystore *k);

/* getopt_long option codes for the shared keystore options. */
enum {
    OPT_PASSWORD_FILE = 1000,
    OPT_PASSWORD_FD,
    OPT_PASSWORD_ENV,
    OPT_KEY_PASSWORD_FILE,
    OPT_KEY_PASSWORD_FD,
    OPT_STORETYPE,
    OPT_ALIAS,
    OPT_JSON,
    OPT_HELP,
    OPT_FIRST_COMMAND_OPTION = 1100 /* commands number their own options from here */
};

#define CLI_KEYSTORE_LONG_OPTIONS                                         \
    {"keystore", required_argument, NULL, 'k'},                          \
    {"alias", required_argument, NULL, OPT_ALIAS},                       \
    {"storetype", required_argument, NULL, OPT_STORETYPE},               \
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},       \
    {"password-fd", required_argument, NULL, OPT_PASSWORD_FD},           \
    {"password-env", required_argument, NULL, OPT_PASSWORD_ENV},         \
    {"key-password-file", required_argument, NULL, OPT_KEY_PASSWORD_FILE}, \
    {"key-password-fd", required_argument, NULL, OPT_KEY_PASSWORD_FD}

#define CLI_KEYSTORE_OPTIONS_HELP                                                          \
    "  -k, --keystore FILE         keystore (PKCS#12, JKS, JCEKS, PEM; type sniffed)\n"   \
    "      --alias ALIAS           key entry (default: the only key entry)\n"            \
    "      --storetype TYPE        force the type: pkcs12, jks, jceks, pem, cert\n"      \
    "      --password-file FILE    store password from the first line of FILE (mode 0600;\n" \
    "                              a second line is the key password)\n"                 \
    "      --password-fd N         store password from descriptor N\n"                  \
    "      --password-env VAR      store password from variable VAR (opt-in)\n"         \
    "      --key-password-file F   key password, when it differs from the store password\n" \
    "      --key-password-fd N     key password from descriptor N\n"

/* Handle one shared keystore option; returns 1 when handled, 0 when not
 * ours, -1 on a bad argument (message printed). */
int cli_keystore_option(cli_keystore *k, int opt, const char *arg, const char *cmd);

/* Open the keystore with the passwords from k's sources (terminal last). */
int cli_open_keystore(vault_keystore **out, cli_keystore *k);

/* Read a secret value: stdin when it is not a terminal (whole input; one
 * trailing newline removed), else the terminal twice without echo. */
int cli_read_value(vault_secret **out, const char *what);

/* Prompt on the terminal without echo; VAULT_ENOTFOUND when there is none. */
int cli_prompt_secret(vault_secret **out, const char *prompt);

/* Parse a non-negative descriptor number; -1 when invalid. */
int cli_parse_fd(const char *s);

/* Subcommands. */
typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

int cmd_keystore(int argc, char **argv);

#endif
