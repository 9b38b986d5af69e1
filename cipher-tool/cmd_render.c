/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool render: a template with its secrets filled in. */
#include "cli_vault.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct render_args {
    cli_vault_args v; /* --config, --secret-conf, the keystore options */
    const char *template_path;
    const char *output;
    int xml; /* -1: from the name */
    int watch;
} render_args;

static int parse_text(void *field, const char *arg, const char *cmd)
{
    (void)arg;
    (void)cmd;
    *(int *)field = 0;
    return 0;
}

static const cli_opt render_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_vault_config_opts, render_args, v),
    {"output", 'o', CLI_ARG_REQUIRED, "OUT",
     "write to OUT (created 0600, replaced atomically;\n"
     "never through a link; an existing OUT must be\n"
     "your own 0600 file)\n"
     "instead of standard output", CLI_TO(CLI_TO_STRING, render_args, output)},
    {"xml", 0, CLI_ARG_NONE, NULL, "TEMPLATE is XML with svns:secretAlias marks", CLI_TO(CLI_TO_FLAG, render_args, xml)},
    {"text", 0, CLI_ARG_NONE, NULL, "TEMPLATE is text, even when named *.xml", CLI_CALL(parse_text, render_args, xml)},
    {"watch", 0, CLI_ARG_NONE, NULL,
     "CONFIG has an etcd [secret_repository]: keep running and\n"
     "render OUT again whenever a value changes there, until\n"
     "SIGTERM or SIGINT (needs -o; a password file is read\n"
     "again each time; the line of --password-fd or\n"
     "--key-password-fd is read once and kept, in guarded\n"
     "memory, while watching)", CLI_TO(CLI_TO_FLAG, render_args, watch)},
    CLI_OPT_INCLUDE_AT(cli_vault_key_opts, render_args, v),
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_render_options = {
    "render",
    "usage: cipher-tool render TEMPLATE --config CONFIG [-o OUT] [--xml] [options]\n"
    "\n"
    "Write TEMPLATE with every $secret{alias} replaced by the secret of that alias\n"
    "in CONFIG (a whole value secretAlias:alias too). With --xml (the default for\n"
    "*.xml templates) the elements marked svns:secretAlias get their secrets\n"
    "instead, XML-escaped. An unknown alias is an error and nothing is written.\n"
    "TEMPLATE - reads standard input.\n"
    "\n",
    render_opts,
    "\n"
    CLI_VAULT_PASSWORD_HELP
    "\n"
    "example:\n"
    "  cipher-tool render app.conf.in -o app.conf -c repository/conf/deployment.toml \\\n"
    "      --password-file /run/secrets/ks-pass\n",
    0,
};

static int parse_args(render_args *a, int argc, char **argv)
{
    int rc = cli_opts_parse(&cmd_render_options, argc, argv, a);

    if (rc != EXIT_OK)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error("render", optind < argc ? "one TEMPLATE expected" : "TEMPLATE missing");
    if (!a->v.config)
        return cli_usage_error("render", "--config CONFIG is required");
    if (a->watch && !a->output)
        return cli_usage_error("render", "--watch needs -o OUT");
    a->template_path = argv[optind];
    if (a->xml < 0)
        a->xml = vault_config_type_from_name(a->template_path) == VAULT_CONFIG_XML;
    return EXIT_OK;
}

/* The whole template; a NUL inside would cut the text short. */
static int read_template(const char *path, char **out, size_t *len)
{
    int stdin_fd = strcmp(path, "-") == 0;
    int fd = stdin_fd ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC), rc, e;
    unsigned char *buf = NULL;

    *out = NULL;
    if (fd < 0) {
        cli_error("%s: %s", path, strerror(errno));
        return EXIT_FAIL;
    }
    rc = cli_read_all(fd, SIZE_MAX, &buf, len);
    e = errno;
    if (!stdin_fd)
        close(fd);
    if (rc != 0) {
        cli_error("%s: %s", path, rc == VAULT_EIO ? strerror(e) : "out of memory");
        return EXIT_FAIL;
    }
    if (memchr(buf, '\0', *len)) {
        free(buf);
        cli_error("%s: a template cannot hold a NUL byte", path);
        return EXIT_FAIL;
    }
    *out = (char *)buf;
    return EXIT_OK;
}

/* Straight to the descriptor: no copy of the secrets in stdio's buffer. */
static int write_stdout(const vault_secret *s)
{
    if (fflush(stdout) != 0 || cli_write_full(STDOUT_FILENO, vault_secret_data(s), vault_secret_len(s)) != 0) {
        cli_error("cannot write to standard output: %s", strerror(errno));
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* Open the vault, expand, write: one rendering. */
static int render_once(render_args *a, const char *text, size_t len)
{
    vault *v = NULL;
    vault_secret *out = NULL;
    int rc;

    if ((rc = cli_vault_open(&v, &a->v.key, a->v.config, a->v.secret_conf)) != EXIT_OK)
        return rc;
    rc = a->xml ? vault_expand_xml(&out, v, text, len, a->template_path) : vault_expand(&out, v, text);
    if (rc != 0)
        rc = cli_fail(rc, NULL);
    else if (!a->output)
        rc = write_stdout(out);
    else if ((rc = vault_file_write_private(a->output, vault_secret_data(out),
                                            vault_secret_len(out))) != 0) {
        /* OUT is judged on the descriptor opened to replace it, after the
         * secrets were resolved, not before the keystore was opened. */
        int perm = rc == VAULT_EPERM;
        rc = cli_fail(rc, "cannot write the rendered file");
        if (perm)
            cli_hint("remove it or write to a new name; OUT must be your own 0600 file");
    } else
        rc = EXIT_OK;
    vault_secret_free(out);
    vault_free(v);
    return rc;
}

/* ---- --watch: the watch thread and the signals wake the main loop ---------- */

static int wake_pipe[2] = {-1, -1};

static void wake(char why)
{
    ssize_t n = write(wake_pipe[1], &why, 1);
    (void)n;
}

static void on_stop_signal(int sig)
{
    (void)sig;
    wake('q');
}

static void on_change(vault *fresh, const char *const *changed, size_t n, const char *error, void *payload)
{
    (void)fresh; /* NULL: the aliases are enough, rendering opens the config again */
    (void)changed;
    (void)n;
    (void)error;
    (void)payload;
    wake('c');
}

static int watch_and_render(render_args *a, const char *text, size_t len)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault_watch *w = NULL;
    struct sigaction sa;
    int rc;
    char why = 0;

    if (pipe2(wake_pipe, O_CLOEXEC) != 0) {
        cli_error("cannot create a pipe: %s", strerror(errno));
        return EXIT_FAIL;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    o.config = a->v.config;
    o.secret_conf = a->v.secret_conf;
    /* A descriptor gives its line once: keep it for the renderings to come. */
    a->v.key.keep_passwords = a->v.key.password_fd >= 0 || a->v.key.key_password_fd >= 0;
    if ((rc = vault_watch_new(&w, &o, VAULT_WATCH_ALIASES_ONLY, on_change, NULL)) != 0) {
        rc = cli_fail(rc, NULL);
        goto done;
    }
    /* Watching first: a change during the first rendering is not lost. */
    if ((rc = render_once(a, text, len)) != EXIT_OK)
        goto done;
    for (;;) {
        if (cli_read_full(wake_pipe[0], &why, 1) != 1 || why == 'q')
            break;
        /* A failed rendering leaves OUT as it was and keeps watching. */
        if (render_once(a, text, len) == EXIT_OK)
            fprintf(stderr, "cipher-tool: %s: rendered again after a change in the repository\n", a->output);
    }
    rc = EXIT_OK;
done:
    vault_watch_free(w);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    return rc;
}

int cmd_render(int argc, char **argv)
{
    render_args a;
    char *text = NULL;
    size_t len = 0;
    int rc;

    memset(&a, 0, sizeof a);
    cli_keystore_init(&a.v.key, "keystore");
    a.xml = -1;
    rc = parse_args(&a, argc, argv);
    if (rc != EXIT_OK)
        goto done;
    if ((rc = read_template(a.template_path, &text, &len)) != EXIT_OK)
        goto done;
    rc = a.watch ? watch_and_render(&a, text, len) : render_once(&a, text, len);
done:
    free(text);
    cli_keystore_clear(&a.v.key);
    return rc;
}
