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

/* What an option does with its value: writes it into a field at offset in
 * the struct being filled, or prints the help:
 *   CLI_TO_STRING  a const char *, the value (the last one given wins);
 *   CLI_TO_FLAG    an int, set to 1;
 *   CLI_TO_FD      an int, a descriptor number (else a usage error);
 *   CLI_TO_LIST    a const char *[CLI_OPT_LIST_MAX], the value appended,
 *                  its count a size_t at count_offset (a repeatable option;
 *                  one more is a usage error);
 *   CLI_TO_BITS    an unsigned int, the entry's bits set in it;
 *   CLI_TO_CALL    the entry's parse function, given the field;
 *   CLI_TO_HELP    nowhere: the parser prints the command's help. */
typedef enum { CLI_TO_STRING = 1, CLI_TO_FLAG, CLI_TO_FD, CLI_TO_LIST, CLI_TO_BITS, CLI_TO_CALL,
               CLI_TO_HELP } cli_opt_to;

#define CLI_OPT_LIST_MAX 16

/* Parse arg into the field dest for command cmd: 0, or -1 after printing a
 * usage error. */
typedef int (*cli_opt_parse_fn)(void *dest, const char *arg, const char *cmd);

/* One entry of a table, which ends with an all-zero entry. An entry is one
 * of:
 *   an option: name, and letter (0: none), arg, metavar (NULL with
 *     CLI_ARG_NONE), help ('\n' between its lines), and where its value
 *     goes: to, offset (from the start of the struct its table fills),
 *     count_offset for CLI_TO_LIST, bits for CLI_TO_BITS, parse for
 *     CLI_TO_CALL;
 *     a letter without a name is shown with its metavar written on
 *     ("-Dkey.password=true"); such a letter may be listed again, and an
 *     option of it is the entry whose metavar's name (up to '=', or all
 *     of it) the value starts with: "-Dconfigure", "-Dold.alias=A" (the
 *     value after '=' is what goes to a string), else an unknown option;
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
    const struct cli_opt *include;
    cli_opt_to to;
    size_t offset;
    size_t count_offset;
    unsigned int bits;
    cli_opt_parse_fn parse;
} cli_opt;

/* The tail of an option entry: where its value goes (field of type T). */
#define CLI_TO(kind, T, field) NULL, kind, offsetof(T, field), 0, 0, NULL
#define CLI_CALL(fn, T, field) NULL, CLI_TO_CALL, offsetof(T, field), 0, 0, fn
#define CLI_BITS(bits, T, field) NULL, CLI_TO_BITS, offsetof(T, field), 0, bits, NULL
/* list must be a const char *[CLI_OPT_LIST_MAX] (checked: a negative array
 * size otherwise), count a size_t. */
#define CLI_LIST(T, list, count)                                                                         \
    NULL, CLI_TO_LIST,                                                                                   \
        offsetof(T, list) +                                                                              \
            0 * sizeof(char[sizeof((T *)0)->list == CLI_OPT_LIST_MAX * sizeof(const char *) ? 1 : -1]), \
        offsetof(T, count), 0, NULL

#define CLI_OPT_INCLUDE(group) {NULL, 0, CLI_ARG_NONE, NULL, NULL, group, 0, 0, 0, 0, NULL}
#define CLI_OPT_INCLUDE_AT(group, T, field) \
    {NULL, 0, CLI_ARG_NONE, NULL, NULL, group, 0, offsetof(T, field), 0, 0, NULL}
#define CLI_OPT_HEADING(text) {NULL, 0, CLI_ARG_NONE, NULL, text, NULL, 0, 0, 0, 0, NULL}
#define CLI_OPT_END {NULL, 0, CLI_ARG_NONE, NULL, NULL, NULL, 0, 0, 0, 0, NULL}

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

/* What cli_opts_parse() returns after printing --help: the command returns
 * it as it is (no JSON error object, nothing else run), and main() makes it
 * exit status 0. Neither an exit status nor a VAULT_E* code. */
#define CLI_HELP_PRINTED (-1000)

/* Parse the options of argv[1..argc-1] by cmd's table, each written into
 * base (may be NULL when the table has none): EXIT_OK with optind the
 * first operand, CLI_HELP_PRINTED after --help was printed, or EXIT_USAGE
 * after a usage error was printed ("unknown option", "option ... needs a
 * value", or one of a parse function). */
int cli_opts_parse(const cli_opt_command *cmd, int argc, char **argv, void *base);

/* Print cmd's whole --help. */
void cli_opt_print_help(FILE *out, const cli_opt_command *cmd);

/* Print the options of a table, "--name", "-Dname" or "-Dname=" (one
 * with a value; with dashed_only these alone), each followed by sep. */
void cli_opt_print_names(FILE *out, const cli_opt *opts, char sep, int dashed_only);

#endif
