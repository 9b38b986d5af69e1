/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool completion: shell completion scripts made from the command
 * table. Commands and subcommands are written into the script; options are
 * read at completion time from 'cipher-tool completion --options COMMAND'
 * (the command's option table), so a script never goes out of date with the
 * binary it completes. */
#include "cli.h"

#include <string.h>

typedef struct completion_args {
    const char *options; /* --options COMMAND */
} completion_args;

static const cli_opt completion_opts[] = {
    {"options", 0, CLI_ARG_REQUIRED, "COMMAND",
     "print the long options of COMMAND, one a line (what\n"
     "the scripts complete)", CLI_TO(CLI_TO_STRING, completion_args, options)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_completion_options = {
    "completion",
    "usage: cipher-tool completion bash|zsh|fish\n"
    "       cipher-tool completion --options COMMAND\n"
    "\n"
    "Print the completion script for a shell. cmake --install puts them where\n"
    "each shell looks; the example loads one by hand.\n"
    "\n",
    completion_opts,
    "\n"
    "example:\n"
    "  source <(cipher-tool completion bash)\n",
    0,
};

/* The options of a command as the scripts ask for them. */
#define OPTION_NAMES "completion --options"

/* Text inside single quotes, for bash, zsh ('\'') and fish (\'). */
static void put_quoted(FILE *out, const char *s, int fish)
{
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'')
            fputs(fish ? "\\'" : "'\\''", out);
        else if (fish && *s == '\\')
            fputs("\\\\", out);
        else
            fputc(*s, out);
    }
    fputc('\'', out);
}

static void put_names(FILE *out, const cli_command *t, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? " " : "", t[i].name);
}

static void bash_script(FILE *out, const cli_command *t, size_t n)
{
    size_t i;
    fputs("# bash completion for cipher-tool (cipher-tool completion bash)\n"
          "_cipher_tool() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} subs='' opts\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
          "        COMPREPLY=($(compgen -W '", out);
    put_names(out, t, n);
    fputs(" help ", out);
    cli_opt_print_names(out, cmd_wso2_options.opts, ' ', 1);
    fputs("-help' -- \"$cur\"))\n"
          "        return\n"
          "    fi\n"
          "    case $cmd in\n"
          "    help) [ \"$COMP_CWORD\" -eq 2 ] && subs='", out);
    put_names(out, t, n);
    fputs("' ;;\n", out);
    for (i = 0; i < n; i++)
        if (t[i].subcommands)
            fprintf(out, "    %s) [ \"$COMP_CWORD\" -eq 2 ] && subs='%s' ;;\n", t[i].name,
                    t[i].subcommands);
    fputs("    esac\n"
          "    if [ -n \"$subs\" ]; then\n"
          "        COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
          "    elif [[ $cur == -* ]]; then\n"
          "        opts=$(\"${COMP_WORDS[0]}\" " OPTION_NAMES " \"$cmd\" 2>/dev/null)\n"
          "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
          "    else\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "    fi\n"
          "}\n"
          "complete -o filenames -F _cipher_tool cipher-tool\n",
          out);
}

static void zsh_script(FILE *out, const cli_command *t, size_t n)
{
    size_t i;
    fputs("#compdef cipher-tool\n"
          "# zsh completion for cipher-tool (cipher-tool completion zsh)\n"
          "_cipher-tool() {\n"
          "    local -a commands subs opts\n"
          "    commands=(\n",
          out);
    for (i = 0; i < n; i++) {
        char entry[256];
        (void)snprintf(entry, sizeof entry, "%s:%s", t[i].name, t[i].summary);
        fputs("        ", out);
        put_quoted(out, entry, 0);
        fputc('\n', out);
    }
    fputs("        'help:show the help of a command'\n"
          "    )\n"
          "    if (( CURRENT == 2 )); then\n"
          "        _describe -t commands 'cipher-tool command' commands\n"
          "        return\n"
          "    fi\n"
          "    case ${words[2]} in\n"
          "    help) (( CURRENT == 3 )) && subs=(${commands%%:*}) ;;\n",
          out);
    for (i = 0; i < n; i++)
        if (t[i].subcommands)
            fprintf(out, "    %s) (( CURRENT == 3 )) && subs=(%s) ;;\n", t[i].name, t[i].subcommands);
    fputs("    esac\n"
          "    if (( ${#subs} )); then\n"
          "        compadd -a subs\n"
          "    elif [[ $PREFIX == -* ]]; then\n"
          "        opts=(${(f)\"$(${words[1]} " OPTION_NAMES " ${words[2]} 2>/dev/null)\"})\n"
          "        compadd -a opts\n"
          "    else\n"
          "        _files\n"
          "    fi\n"
          "}\n"
          "_cipher-tool \"$@\"\n",
          out);
}

static void fish_script(FILE *out, const cli_command *t, size_t n)
{
    size_t i;
    fputs("# fish completion for cipher-tool (cipher-tool completion fish)\n"
          "function __cipher_tool_options\n"
          "    set -l words (commandline -opc)\n"
          "    $words[1] " OPTION_NAMES " $words[2] 2>/dev/null\n"
          "end\n"
          "# True where a subcommand, not a file, comes next.\n"
          "function __cipher_tool_wants_subcommand\n"
          "    set -l words (commandline -opc)\n"
          "    test (count $words) -eq 2; and contains -- $words[2] help",
          out);
    for (i = 0; i < n; i++)
        if (t[i].subcommands)
            fprintf(out, " %s", t[i].name);
    fputs("\nend\n"
          "complete -c cipher-tool -f\n"
          "complete -c cipher-tool -n __fish_use_subcommand -a help -d 'show the help of a command'\n",
          out);
    for (i = 0; i < n; i++) {
        fprintf(out, "complete -c cipher-tool -n __fish_use_subcommand -a %s -d ", t[i].name);
        put_quoted(out, t[i].summary, 1);
        fputc('\n', out);
        if (t[i].subcommands)
            fprintf(out,
                    "complete -c cipher-tool -n '__cipher_tool_wants_subcommand; and "
                    "__fish_seen_subcommand_from %s' -a '%s'\n",
                    t[i].name, t[i].subcommands);
    }
    fputs("complete -c cipher-tool -n '__cipher_tool_wants_subcommand; and "
          "__fish_seen_subcommand_from help' -a '",
          out);
    put_names(out, t, n);
    fputs("'\n"
          "complete -c cipher-tool -n 'not __fish_use_subcommand; and string match -q -- \"-*\" "
          "(commandline -ct)' -a '(__cipher_tool_options)'\n"
          "complete -c cipher-tool -n 'not __fish_use_subcommand; and not __cipher_tool_wants_subcommand; "
          "and not string match -q -- \"-*\" (commandline -ct)' -F\n",
          out);
}

/* --options COMMAND: its long options, from its table. */
static int print_options(const cli_command *t, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) {
            cli_opt_print_names(stdout, t[i].options->opts, '\n', 0);
            return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
        }
    return cli_usage_error("completion", "unknown command \"%s\"", name);
}

int cmd_completion(int argc, char **argv)
{
    size_t n;
    const cli_command *t = cli_command_table(&n);
    completion_args o = {NULL};
    int rc = cli_opts_parse(&cmd_completion_options, argc, argv, &o);

    if (rc != EXIT_OK)
        return rc;
    if (o.options)
        return optind == argc ? print_options(t, n, o.options)
                              : cli_usage_error("completion", "--options takes one COMMAND alone");
    argc -= optind - 1;
    argv += optind - 1;
    if (argc != 2)
        return cli_usage_error("completion", "one shell expected: bash, zsh or fish");
    if (strcmp(argv[1], "bash") == 0)
        bash_script(stdout, t, n);
    else if (strcmp(argv[1], "zsh") == 0)
        zsh_script(stdout, t, n);
    else if (strcmp(argv[1], "fish") == 0)
        fish_script(stdout, t, n);
    else
        return cli_usage_error("completion", "unknown shell \"%s\": bash, zsh or fish", argv[1]);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
