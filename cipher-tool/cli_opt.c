/* SPDX-License-Identifier: Apache-2.0 */
/* The option tables: getopt_long's arrays, the parse loop, the help. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The help column: an option's help starts here, or on the next line when
 * the option itself reaches it. */
#define HELP_COLUMN 30

/* getopt_long's val for the long option of flat[i]: never a letter. */
#define LONG_VAL_BASE 0x10000

#define CLI_OPT_MAX 64

const cli_opt cli_opt_help[] = {
    {"help", 'h', CLI_ARG_NONE, NULL, "this text", NULL, CLI_TO_HELP, 0, 0, 0, NULL},
    CLI_OPT_END,
};

/* The parser of one command line. */
typedef struct cli_opts {
    const cli_opt_command *cmd;
    int argc;
    char **argv;
    void *base;         /* the struct the entries fill */
    size_t n;
    const cli_opt *flat[CLI_OPT_MAX];
    size_t flat_offset[CLI_OPT_MAX]; /* of each entry's field in base */
    struct option longopts[CLI_OPT_MAX + 1];
    char shortopts[3 * CLI_OPT_MAX + 3];
} cli_opts;

static void flatten(cli_opts *p, const cli_opt *t, size_t offset)
{
    for (; t->name || t->letter || t->include || t->help; t++) {
        if (t->include) {
            flatten(p, t->include, offset + t->offset);
        } else if ((t->name || t->letter) && p->n < CLI_OPT_MAX) {
            p->flat_offset[p->n] = offset + t->offset;
            p->flat[p->n++] = t;
        } else if (t->name || t->letter)
            abort(); /* a table larger than CLI_OPT_MAX is a programming error */
    }
}

static const cli_opt *by_letter(const cli_opts *p, int letter)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        if (p->flat[i]->letter == letter)
            return p->flat[i];
    return NULL;
}

/* The length of the name of a letter-alone entry: its metavar up to '='. */
static size_t value_name_len(const cli_opt *o)
{
    return strcspn(o->metavar, "=");
}

/* The entry of letter whose name the value starts with ("key.password" of
 * "-Dkey.password=true"): the whole value without '=' in the metavar,
 * else up to its '='. NULL when none. */
static const cli_opt *by_value(const cli_opts *p, int letter, const char *value)
{
    size_t i, len;
    for (i = 0; i < p->n; i++) {
        const cli_opt *o = p->flat[i];
        if (o->letter != letter || o->name || !o->metavar)
            continue;
        len = value_name_len(o);
        if (strncmp(value, o->metavar, len) == 0 && value[len] == (o->metavar[len] ? '=' : '\0'))
            return o;
    }
    return NULL;
}

static void start(cli_opts *p, const cli_opt_command *cmd, int argc, char **argv, void *base)
{
    static const int has_arg[] = {no_argument, required_argument, optional_argument};
    static const char *const colons[] = {"", ":", "::"};
    size_t i, nlong = 0;

    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->base = base;
    flatten(p, cmd->opts, 0);
    /* '+': stop at the first operand; ':': a missing value is told apart
     * from an unknown option, and getopt prints nothing of its own. */
    strcpy(p->shortopts, cmd->in_order ? "+:" : ":");
    for (i = 0; i < p->n; i++) {
        const cli_opt *o = p->flat[i];
        if (o->name) {
            p->longopts[nlong].name = o->name;
            p->longopts[nlong].has_arg = has_arg[o->arg];
            p->longopts[nlong++].val = LONG_VAL_BASE + (int)i;
        }
        /* A letter listed again (-Dkey.password=true, -Dpersist...) is
         * one option with several lines of help. */
        if (o->letter && by_letter(p, o->letter) == o) {
            size_t len = strlen(p->shortopts);
            p->shortopts[len] = (char)o->letter;
            strcpy(p->shortopts + len + 1, colons[o->arg]);
        }
    }
    optind = 1;
    opterr = 0;
}

/* The usage error for what getopt_long() returned ('?', or ':' for a
 * missing value) after argv[optind - 1]. */
static int option_error(const char *cmd, int opt, char *const *argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    char shortopt[3] = {'-', (char)optopt, '\0'};

    /* An unknown short option may sit inside a group ("-hx"): name it alone. */
    if (optopt > 0 && optopt < 128 && !(arg[0] == '-' && arg[1] == '-'))
        arg = shortopt;
    if (opt == ':')
        return cli_usage_error(cmd, "option %s needs a value", arg);
    return cli_usage_error(cmd, "unknown option \"%s\"", arg);
}

/* Write the value of flat[i] into its field: 0, or -1 (printed). */
static int store(const cli_opts *p, size_t i, const char *arg)
{
    const cli_opt *o = p->flat[i];
    char *field = (char *)p->base + p->flat_offset[i];
    size_t count;
    unsigned int bits;
    int fd;

    /* -Dname=value: the value after the name (a call is given it all). */
    if (!o->name && o->metavar && o->to != CLI_TO_CALL && o->metavar[value_name_len(o)] == '=')
        arg += value_name_len(o) + 1;
    switch (o->to) {
    case CLI_TO_STRING: memcpy(field, &arg, sizeof arg); return 0;
    case CLI_TO_FLAG: fd = 1; memcpy(field, &fd, sizeof fd); return 0;
    case CLI_TO_FD:
        if ((fd = cli_parse_fd(arg)) < 0) {
            cli_usage_error(p->cmd->name, "bad descriptor number \"%s\"", arg);
            return -1;
        }
        memcpy(field, &fd, sizeof fd);
        return 0;
    case CLI_TO_LIST: /* the count is a field of the struct the list is in */
        memcpy(&count, field - o->offset + o->count_offset, sizeof count);
        if (count == CLI_OPT_LIST_MAX) {
            cli_usage_error(p->cmd->name, "at most %d --%s options", CLI_OPT_LIST_MAX, o->name);
            return -1;
        }
        memcpy(field + count * sizeof arg, &arg, sizeof arg);
        count++;
        memcpy(field - o->offset + o->count_offset, &count, sizeof count);
        return 0;
    case CLI_TO_BITS:
        memcpy(&bits, field, sizeof bits);
        bits |= o->bits;
        memcpy(field, &bits, sizeof bits);
        return 0;
    case CLI_TO_CALL: return o->parse(field, arg, p->cmd->name);
    case CLI_TO_HELP: break;
    }
    abort(); /* an entry without a destination */
}

/* Parse the next options: 0 when they end (optind is then the first
 * operand), or -1 when the command is done with *status: --help printed
 * (EXIT_OK), or a usage error printed (EXIT_USAGE). */
static int next(cli_opts *p, int *status)
{
    const cli_opt *o;
    size_t i;
    int c;

    for (;;) {
        c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
        if (c == -1)
            return 0;
        o = NULL;
        if (c >= LONG_VAL_BASE && (size_t)(c - LONG_VAL_BASE) < p->n)
            o = p->flat[c - LONG_VAL_BASE];
        else if (c != '?' && c != ':')
            o = by_letter(p, c);
        if (!o) {
            *status = option_error(p->cmd->name, c, p->argv);
            return -1;
        }
        if (o->to == CLI_TO_HELP) {
            cli_opt_print_help(stdout, p->cmd);
            *status = EXIT_OK;
            return -1;
        }
        if (!o->name && o->metavar && !(o = by_value(p, c, optarg))) {
            *status = cli_usage_error(p->cmd->name, "unknown option \"-%c%s\"", c, optarg);
            return -1;
        }
        for (i = 0; p->flat[i] != o; i++)
            ;
        if (store(p, i, optarg) != 0) {
            *status = EXIT_USAGE;
            return -1;
        }
    }
}

int cli_opts_parse(const cli_opt_command *cmd, int argc, char **argv, void *base)
{
    cli_opts p;
    int status = EXIT_USAGE;

    start(&p, cmd, argc, argv, base);
    if (next(&p, &status) == 0)
        return EXIT_OK;
    return status == EXIT_OK ? CLI_HELP_PRINTED : status;
}

/* "  -k, --keystore FILE", "      --name[=V]" and the help, its later lines
 * at the help column. */
static void print_option(FILE *out, const cli_opt *o)
{
    const char *meta = o->metavar ? o->metavar : "", *h = o->help, *nl;
    char left[128], letter[8] = "    ";
    int len;

    if (o->letter)
        snprintf(letter, sizeof letter, "-%c, ", o->letter);
    if (!o->name) /* a letter alone, its value written on: -Dname=value */
        len = snprintf(left, sizeof left, "  -%c%s", o->letter, meta);
    else if (o->arg == CLI_ARG_OPTIONAL)
        len = snprintf(left, sizeof left, "  %s--%s[=%s]", letter, o->name, meta);
    else
        len = snprintf(left, sizeof left, "  %s--%s%s%s", letter, o->name, *meta ? " " : "", meta);
    if (len < HELP_COLUMN)
        fprintf(out, "%-*s", HELP_COLUMN, left);
    else
        fprintf(out, "%s\n%*s", left, HELP_COLUMN, "");
    while ((nl = strchr(h, '\n')) != NULL) {
        fprintf(out, "%.*s\n%*s", (int)(nl - h), h, HELP_COLUMN, "");
        h = nl + 1;
    }
    fprintf(out, "%s\n", h);
}

static void print_options(FILE *out, const cli_opt *t, int *first)
{
    for (; t->name || t->letter || t->include || t->help; t++) {
        if (t->include) {
            print_options(out, t->include, first);
            continue;
        }
        if (!t->name && !t->letter) {
            fprintf(out, "%s%s\n", *first ? "" : "\n", t->help);
        } else {
            if (*first)
                fputs("options:\n", out);
            print_option(out, t);
        }
        *first = 0;
    }
}

void cli_opt_print_help(FILE *out, const cli_opt_command *cmd)
{
    int first = 1;

    fputs(cmd->usage, out);
    print_options(out, cmd->opts, &first);
    if (cmd->more)
        fputs(cmd->more, out);
}

void cli_opt_print_names(FILE *out, const cli_opt *t, char sep, int dashed_only)
{
    for (; t->name || t->letter || t->include || t->help; t++) {
        if (t->include)
            cli_opt_print_names(out, t->include, sep, dashed_only);
        else if (t->name && !dashed_only)
            fprintf(out, "--%s%c", t->name, sep);
        else if (!t->name && t->letter && t->metavar) /* -Dname, or -Dname= for a value */
            fprintf(out, "-%c%.*s%s%c", t->letter, (int)value_name_len(t), t->metavar,
                    t->metavar[value_name_len(t)] ? "=" : "", sep);
    }
}
