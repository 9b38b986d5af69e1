/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool exec: run a program with chosen secrets in its environment or
 * on descriptors, for servers that cannot link libvault. */
#include "cli_vault.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int parse_env(void *field, const char *arg, const char *cmd);
static int parse_fd(void *field, const char *arg, const char *cmd);
static int parse_signal(void *field, const char *arg, const char *cmd);

#define MAX_GRANTS 64

typedef struct grant {
    const char *name;  /* variable name, or NULL for a descriptor */
    int fd;            /* descriptor number, when name is NULL */
    const char *alias;
} grant;

typedef struct exec_args {
    cli_vault_args v; /* --config, --secret-conf, the keystore options */
    grant grants[MAX_GRANTS];
    size_t count;
    char **command;
    int watch;
    int signal;
    int64_t revision; /* --watch: the repository revision the secrets were read at */
} exec_args;

static const cli_opt exec_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_vault_config_opts, exec_args, v),
    {"env", 'e', CLI_ARG_REQUIRED, "NAME=ALIAS",
     "put the secret of ALIAS in variable NAME (repeatable)", CLI_CALL(parse_env, exec_args, grants)},
    {"fd", 0, CLI_ARG_REQUIRED, "N=ALIAS",
     "give COMMAND the secret of ALIAS on descriptor N\n"
     "(repeatable; 0 is standard input)", CLI_CALL(parse_fd, exec_args, grants)},
    {"watch", 0, CLI_ARG_NONE, NULL,
     "CONFIG has an etcd [secret_repository]: stay as the\n"
     "parent of COMMAND and signal it when a secret it was\n"
     "given changes there (COMMAND's exit status is ours)", CLI_TO(CLI_TO_FLAG, exec_args, watch)},
    {"signal", 0, CLI_ARG_REQUIRED, "SIG",
     "the signal --watch sends: HUP (default), TERM, USR1,\n"
     "USR2, INT", CLI_CALL(parse_signal, exec_args, signal)},
    CLI_OPT_INCLUDE_AT(cli_vault_key_opts, exec_args, v),
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_exec_options = {
    "exec",
    "usage: cipher-tool exec --config CONFIG [--env NAME=ALIAS]... [--fd N=ALIAS]...\n"
    "                        [options] -- COMMAND [ARGS...]\n"
    "\n"
    "Resolve the secrets of CONFIG, then replace this process by COMMAND with the\n"
    "secret of each ALIAS in the environment variable NAME (--env) or readable from\n"
    "descriptor N (--fd: a pipe holding the secret, then end of file). Only the\n"
    "secrets asked for are passed, and never on the command line.\n"
    "\n",
    exec_opts,
    "\n"
    CLI_VAULT_PASSWORD_HELP
    "\n"
    "example:\n"
    "  cipher-tool exec -c repository/conf/deployment.toml --password-file ks-pass \\\n"
    "      --env PGPASSWORD=db_password -- psql -h db.example.com -U app\n",
    1, /* COMMAND's options are its own */
};

static int signal_from_name(const char *name)
{
    static const struct { const char *name; int sig; } table[] = {
        {"HUP", SIGHUP}, {"TERM", SIGTERM}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"INT", SIGINT}};
    size_t i;

    if (strncmp(name, "SIG", 3) == 0)
        name += 3;
    for (i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0)
            return table[i].sig;
    return -1;
}

/* NAME=ALIAS or N=ALIAS: split in place at the first '='. */
static int add_grant(exec_args *a, char *arg, int is_fd)
{
    char *eq = strchr(arg, '=');
    grant *g;

    if (!eq || eq == arg || !eq[1])
        return cli_usage_error("exec", "\"%s\": %s=ALIAS expected", arg, is_fd ? "N" : "NAME");
    if (a->count == MAX_GRANTS)
        return cli_usage_error("exec", "at most %d --env and --fd options", MAX_GRANTS);
    *eq = '\0';
    g = &a->grants[a->count];
    g->alias = eq + 1;
    if (is_fd) {
        g->name = NULL;
        g->fd = cli_parse_fd(arg);
        if (g->fd < 0 || g->fd > 1023)
            return cli_usage_error("exec", "bad descriptor number \"%s\"", arg);
    } else {
        g->name = arg;
        if (strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != strlen(arg) ||
            (arg[0] >= '0' && arg[0] <= '9'))
            return cli_usage_error("exec", "bad variable name \"%s\"", arg);
    }
    a->count++;
    return EXIT_OK;
}

/* --env and --fd split their argument in argv, which is ours to change. */
static int parse_env(void *field, const char *arg, const char *cmd)
{
    (void)cmd;
    return add_grant((exec_args *)((char *)field - offsetof(exec_args, grants)), (char *)arg, 0) ? -1 : 0;
}

static int parse_fd(void *field, const char *arg, const char *cmd)
{
    (void)cmd;
    return add_grant((exec_args *)((char *)field - offsetof(exec_args, grants)), (char *)arg, 1) ? -1 : 0;
}

static int parse_signal(void *field, const char *arg, const char *cmd)
{
    if ((*(int *)field = signal_from_name(arg)) < 0)
        return cli_usage_error(cmd, "unknown signal \"%s\"", arg), -1;
    return 0;
}

static int parse_args(exec_args *a, int argc, char **argv)
{
    int rc = cli_opts_parse(&cmd_exec_options, argc, argv, a);

    if (rc != EXIT_OK)
        return rc;
    if (!a->v.config)
        return cli_usage_error("exec", "--config CONFIG is required");
    if (optind >= argc)
        return cli_usage_error("exec", "COMMAND missing (after --)");
    a->command = argv + optind;
    return EXIT_OK;
}

/* A pipe holding the secret, its read end on a descriptor above every
 * number asked for (so that moving them into place cannot collide). */
static int secret_pipe(const vault_secret *s, const char *alias, int floor, int *out)
{
    int p[2], hi;
    size_t len = vault_secret_len(s);

    if (pipe2(p, O_CLOEXEC) != 0) {
        cli_error("cannot create a pipe: %s", strerror(errno));
        return EXIT_FAIL;
    }
    /* The writer is gone before the program starts: the whole secret must
     * fit in the pipe. */
    if (len > 65536 && fcntl(p[1], F_SETPIPE_SZ, (int)len) < 0) {
        cli_error("the secret of \"%s\" (%zu bytes) does not fit in a pipe", alias, len);
        close(p[0]);
        close(p[1]);
        return EXIT_FAIL;
    }
    if (cli_write_full(p[1], vault_secret_data(s), len) != 0) {
        cli_error("cannot write the secret of \"%s\" to a pipe: %s", alias, strerror(errno));
        close(p[0]);
        close(p[1]);
        return EXIT_FAIL;
    }
    close(p[1]);
    hi = fcntl(p[0], F_DUPFD_CLOEXEC, floor);
    close(p[0]);
    if (hi < 0) {
        cli_error("cannot move a descriptor: %s", strerror(errno));
        return EXIT_FAIL;
    }
    *out = hi;
    return EXIT_OK;
}

/* Fill the environment and the pipes; the secrets leave guarded memory only
 * for the places asked for. */
static int hand_over(exec_args *a, const vault *v, int *pipes)
{
    int floor = 1024;
    size_t i;

    for (i = 0; i < a->count; i++) {
        const grant *g = &a->grants[i];
        vault_secret *s = NULL;
        int rc = vault_get(&s, v, g->alias);
        if (rc != 0)
            return cli_fail(rc, NULL);
        if (g->name) {
            if (memchr(vault_secret_data(s), '\0', vault_secret_len(s))) {
                cli_error("the secret of \"%s\" holds a NUL byte and cannot go in a variable", g->alias);
                rc = EXIT_FAIL;
            } else if (setenv(g->name, vault_secret_str(s), 1) != 0) {
                cli_error("cannot set %s: %s", g->name, strerror(errno));
                rc = EXIT_FAIL;
            }
        } else {
            rc = secret_pipe(s, g->alias, floor, &pipes[i]);
        }
        vault_secret_free(s);
        if (rc != EXIT_OK)
            return rc;
    }
    return EXIT_OK;
}

/* dup2() clears close-on-exec on the new descriptor: only these stay open. */
static int place_pipes(const exec_args *a, int *pipes)
{
    size_t i;

    for (i = 0; i < a->count; i++) {
        if (a->grants[i].name)
            continue;
        if (dup2(pipes[i], a->grants[i].fd) < 0) {
            cli_error("cannot put a pipe on descriptor %d: %s", a->grants[i].fd, strerror(errno));
            return EXIT_FAIL;
        }
        close(pipes[i]);
        pipes[i] = -1;
    }
    return EXIT_OK;
}

/* ---- --watch ------------------------------------------------------------ */

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static void on_change(vault *fresh, const char *const *changed, size_t n, const char *error, void *payload)
{
    const exec_args *a = payload;
    size_t i, j;

    (void)error;
    vault_free(fresh);
    for (i = 0; i < n; i++)
        for (j = 0; j < a->count; j++)
            if (strcmp(changed[i], a->grants[j].alias) == 0) {
                fprintf(stderr, "cipher-tool: %s: \"%s\" changed; signalling %s\n", a->v.config, changed[i],
                        a->command[0]);
                kill((pid_t)child_pid, a->signal);
                return;
            }
}

/* Run COMMAND as a child, signal it on changes of its secrets, and exit as
 * it does. The watch starts after fork(): the child never has its thread. */
static int run_watched(exec_args *a, int *pipes)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault_watch *w = NULL;
    struct sigaction sa;
    int status = 0, rc;
    pid_t pid;
    size_t i;

    fflush(NULL);
    if ((pid = fork()) < 0) {
        cli_error("cannot fork: %s", strerror(errno));
        return EXIT_FAIL;
    }
    if (pid == 0) {
        if (place_pipes(a, pipes) == EXIT_OK)
            execvp(a->command[0], a->command);
        cli_error("cannot run %s: %s", a->command[0], strerror(errno));
        _exit(127);
    }
    child_pid = pid;
    for (i = 0; i < a->count; i++)
        if (pipes[i] >= 0) {
            close(pipes[i]);
            pipes[i] = -1;
        }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    o.config = a->v.config;
    o.secret_conf = a->v.secret_conf;
    /* From the revision the child's secrets were read at: a change made
     * since, before the watch started, is not missed. */
    if ((rc = vault_watch_new_after(&w, &o, VAULT_WATCH_ALIASES_ONLY, a->revision, on_change, a)) != 0) {
        cli_fail(rc, NULL);
        cli_warning("%s: not watching; %s runs on", a->v.config, a->command[0]);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    vault_watch_free(w);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The keystore password is no business of the program: not in its
 * environment, not on an inherited descriptor. */
static void forget_password_sources(const cli_keystore *k)
{
    if (k->password_env)
        unsetenv(k->password_env);
    if (k->password_fd > 2)
        close(k->password_fd);
    if (k->key_password_fd > 2)
        close(k->key_password_fd);
}

int cmd_exec(int argc, char **argv)
{
    exec_args a;
    vault *v = NULL;
    int pipes[MAX_GRANTS];
    size_t i;
    int rc;

    memset(&a, 0, sizeof a);
    a.signal = SIGHUP;
    for (i = 0; i < MAX_GRANTS; i++)
        pipes[i] = -1;
    cli_keystore_init(&a.v.key, "keystore");
    rc = parse_args(&a, argc, argv);
    if (rc != EXIT_OK)
        goto done;
    if ((rc = cli_vault_open(&v, &a.v.key, a.v.config, a.v.secret_conf)) != EXIT_OK)
        goto done;
    forget_password_sources(&a.v.key);
    if (vault_repository_revision(&a.revision, v) != 0)
        a.revision = -1; /* no repository: nothing to watch */
    if ((rc = hand_over(&a, v, pipes)) != EXIT_OK)
        goto done;
    /* Wipe everything else before the program image replaces ours. */
    vault_free(v);
    v = NULL;
    cli_keystore_clear(&a.v.key);
    if (a.watch) {
        rc = run_watched(&a, pipes);
        goto done;
    }
    if ((rc = place_pipes(&a, pipes)) != EXIT_OK)
        goto done;
    execvp(a.command[0], a.command);
    /* As env(1), timeout(1) and the shells: 127 when COMMAND is not found,
     * 126 when it is there but cannot be run. */
    rc = errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
    cli_error("cannot run %s: %s", a.command[0], strerror(errno));
done:
    for (i = 0; i < MAX_GRANTS; i++)
        if (pipes[i] >= 0)
            close(pipes[i]);
    vault_free(v);
    cli_keystore_clear(&a.v.key);
    return rc;
}
