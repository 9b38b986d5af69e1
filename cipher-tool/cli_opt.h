/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool: one option table per command, from which the command line is
 * parsed, the "options:" part of --help is printed and the completions are
 * made, so that the three never disagree. */
#ifndef CIPHER_TOOL_CLI_OPT_H
#define CIPHER_TOOL_CLI_OPT_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { CLI_ARG_NONE, CLI_ARG_REQUIRED, CLI_ARG_OPTIONAL } cli_opt_arg;

/* Where an option's value goes: nowhere (the parser returns its code), or
 * a field at offset in the struct being filled:
 *   CLI_TO_STRING  a const char *, the value (the last one given wins);
 *   CLI_TO_FLAG    an int, set to 1;
 *   CLI_TO_FD      an int, a descriptor number (else a usage error);
 *   CLI_TO_CALL    the entry's parse function, given the field. */
typedef enum { CLI_TO_CODE, CLI_TO_STRING, CLI_TO_FLAG, CLI_TO_FD, CLI_TO_CALL } cli_opt_to;

/* Parse arg into the field dest for command cmd: 0, or -1 after printing a
 * usage error. */
typedef int (*cli_opt_parse_fn)(void *dest, const char *arg, const char *cmd);

/* One entry of a table, which ends with an all-zero entry. An entry is one
 * of:
 *   an option: name, and letter (0: none), arg, metavar (NULL with
 *     CLI_ARG_NONE), help ('\n' between its lines) and code, what the
 *     parser returns for it (codes of a table are distinct and positive);
 *     a letter without a name is shown with its metavar written on
 *     ("-Dkey.password=true"); such a letter may be listed again, and an
 *     option of it is the entry whose metavar's name (up to '=', or all
 *     of it) the value starts with: "-Dconfigure", "-Dold.alias=A" (the
 *     value after '=' is what goes to a string), else an unknown option;
 *     or, instead of a code, to and offset, where its value goes (offset
 *     from the start of the struct its table fills), and parse for
 *     CLI_TO_CALL;
 *   a group: include, a table whose entries stand in its place, filling
 *     the struct at offset in ours;
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
    cli_opt_to to;
    size_t offset;
    cli_opt_parse_fn parse;
} cli_opt;

/* The tail of an entry: a code the parser returns, or where the value
 * goes (field of type T). */
#define CLI_CODE(code) code, NULL, CLI_TO_CODE, 0, NULL
#define CLI_TO(kind, T, field) 0, NULL, kind, offsetof(T, field), NULL
#define CLI_CALL(fn, T, field) 0, NULL, CLI_TO_CALL, offsetof(T, field), fn

#define CLI_OPT_INCLUDE(group) {NULL, 0, CLI_ARG_NONE, NULL, NULL, 0, group, CLI_TO_CODE, 0, NULL}
#define CLI_OPT_INCLUDE_AT(group, T, field) \
    {NULL, 0, CLI_ARG_NONE, NULL, NULL, 0, group, CLI_TO_CODE, offsetof(T, field), NULL}
#define CLI_OPT_HEADING(text) {NULL, 0, CLI_ARG_NONE, NULL, text, CLI_CODE(0)}
#define CLI_OPT_END {NULL, 0, CLI_ARG_NONE, NULL, NULL, CLI_CODE(0)}

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
    void *base;         /* the struct the entries with a destination fill */
    size_t n;
    const cli_opt *flat[CLI_OPT_MAX];
    size_t flat_offset[CLI_OPT_MAX]; /* of each entry's field in base */
    struct option longopts[CLI_OPT_MAX + 1];
    char shortopts[3 * CLI_OPT_MAX + 3];
} cli_opts;

/* Start parsing argv[1..argc-1] by cmd's table. */
void cli_opts_start(cli_opts *p, const cli_opt_command *cmd, int argc, char **argv, void *base);

/* Options with a destination are written into base (may be NULL when the
 * table has none). The code of the next option with a code (its value in
 * p->arg), 0 when the options
 * end (optind is then the first operand), or -1 when the command is done
 * with p->status: --help printed (EXIT_OK), or a usage error printed
 * ("unknown option", "option ... needs a value"; EXIT_USAGE). */
int cli_opts_next(cli_opts *p);

/* Parse every option of a table whose entries all have a destination into
 * base: EXIT_OK with optind the first operand, -1 after --help, or
 * EXIT_USAGE (printed). */
int cli_opts_parse(const cli_opt_command *cmd, int argc, char **argv, void *base);

/* Print cmd's whole --help. */
void cli_opt_print_help(FILE *out, const cli_opt_command *cmd);

/* Print the options of a table, "--name", "-Dname" or "-Dname=" (one
 * with a value; with dashed_only these alone), each followed by sep. */
void cli_opt_print_names(FILE *out, const cli_opt *opts, char sep, int dashed_only);

#endif
