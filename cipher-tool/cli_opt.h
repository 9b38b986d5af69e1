/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool: one option table per command, from which the command line is
 * parsed, the "options:" part of --help is printed and the completions are
 * made, so that the three never disagree. */
#ifndef CIPHER_TOOL_CLI_OPT_H
#define CIPHER_TOOL_CLI_OPT_H

#include <getopt.h>
#include <stdio.h>

typedef enum { CLI_ARG_NONE, CLI_ARG_REQUIRED, CLI_ARG_OPTIONAL } cli_opt_arg;

/* One entry of a table, which ends with an all-zero entry. An entry is one
 * of:
 *   an option: name, and letter (0: none), arg, metavar (NULL with
 *     CLI_ARG_NONE), help ('\n' between its lines) and code, what the
 *     parser returns for it (codes of a table are distinct and positive);
 *     a letter without a name is shown with its metavar written on
 *     ("-Dkey.password=true"), and may be listed again for another line
 *     of help with the same code;
 *   a group: include, a table whose entries stand in its place;
 *   a heading: help alone, a line of --help that starts a list of
 *     options ("the old key:"); a table that does not start with one
 *     starts with "options:". */
typedef struct cli_opt {
    const char *name;
    int letter;
    cli_opt_arg arg;
    const char *metavar;
    const char *help;
    int code;
    const struct cli_opt *include;
} cli_opt;

#define CLI_OPT_INCLUDE(group) {NULL, 0, CLI_ARG_NONE, NULL, NULL, 0, group}
#define CLI_OPT_HEADING(text) {NULL, 0, CLI_ARG_NONE, NULL, text, 0, NULL}
#define CLI_OPT_END {NULL, 0, CLI_ARG_NONE, NULL, NULL, 0, NULL}

/* A command's help: usage (the synopsis and description, up to the
 * options), the table's options, then more (defaults, examples; may be
 * NULL). name is the command in messages ("recipients"). in_order: options
 * end at the first operand (exec's COMMAND keeps its own). */
typedef struct cli_opt_command {
    const char *name;
    const char *usage;
    const cli_opt *opts;
    const char *more;
    int in_order;
} cli_opt_command;

/* -h, --help: a group every command includes; the parser prints the help
 * itself. */
extern const cli_opt cli_opt_help[];

#define CLI_OPT_MAX 64

/* The parser of one command line. */
typedef struct cli_opts {
    const cli_opt_command *cmd;
    int argc;
    char **argv;
    char *arg;          /* the value of the option cli_opts_next() returned */
    int status;         /* after cli_opts_next() returned -1: EXIT_OK or EXIT_USAGE */
    size_t n;
    const cli_opt *flat[CLI_OPT_MAX];
    struct option longopts[CLI_OPT_MAX + 1];
    char shortopts[3 * CLI_OPT_MAX + 3];
} cli_opts;

/* Start parsing argv[1..argc-1] by cmd's table. */
void cli_opts_start(cli_opts *p, const cli_opt_command *cmd, int argc, char **argv);

/* The code of the next option (its value in p->arg), 0 when the options
 * end (optind is then the first operand), or -1 when the command is done
 * with p->status: --help printed (EXIT_OK), or a usage error printed
 * ("unknown option", "option ... needs a value"; EXIT_USAGE). */
int cli_opts_next(cli_opts *p);

/* Print cmd's whole --help. */
void cli_opt_print_help(FILE *out, const cli_opt_command *cmd);

/* Print the long options of a table, "--name" one a line. */
void cli_opt_print_names(FILE *out, const cli_opt *opts);

#endif
