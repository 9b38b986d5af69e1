/* SPDX-License-Identifier: Apache-2.0 */
/* vault_terminal_read() on a real pseudo-terminal: each case runs in a
 * child whose controlling terminal is a new pty (forkpty); this side types
 * into it and judges with what the kernel and stty(1) say about it: the
 * child's exit status or the signal it died of, the terminal's echo flag
 * (stty -a -F), the signals it catches (/proc/PID/status), what the
 * terminal showed. */
#include <criterion/criterion.h>

#include <vault.h>

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

typedef struct pty_child {
    pid_t pid;
    int master;
    char slave[128];
    char seen[16384]; /* what the terminal showed, NUL-terminated */
    size_t n;
} pty_child;

/* The child's verdicts: 0 passed, else which check failed. */
enum { OK = 0, BAD_RC = 10, BAD_VALUE = 11, HAS_VALUE = 12, BAD_ERROR = 13, BAD_DISPOSITION = 14,
       NO_HANDLER_RUN = 15, NOT_REACHED = 16 };

static void start(pty_child *c, int (*scenario)(void))
{
    struct rlimit none = {0, 0};

    memset(c, 0, sizeof *c);
    c->pid = forkpty(&c->master, NULL, NULL, NULL);
    cr_assert(c->pid >= 0, "forkpty: %s", strerror(errno));
    if (c->pid == 0) {
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
        sigset_t all;
        size_t i;
        /* As a program starts: whatever the test runner set is not ours. */
        for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        (void)setrlimit(RLIMIT_CORE, &none); /* SIGQUIT: no core file */
        alarm(20);
        _exit(scenario());
    }
    cr_assert_not_null(ptsname(c->master));
    snprintf(c->slave, sizeof c->slave, "%s", ptsname(c->master));
}

/* Read what the terminal shows for up to ms; 0 when nothing more came. */
static int more(pty_child *c, int ms)
{
    struct pollfd p = {c->master, POLLIN, 0};
    ssize_t got;

    if (poll(&p, 1, ms) <= 0)
        return 0;
    got = read(c->master, c->seen + c->n, sizeof c->seen - 1 - c->n);
    if (got <= 0)
        return 0;
    c->n += (size_t)got;
    c->seen[c->n] = '\0';
    return 1;
}

static void wait_for(pty_child *c, const char *text)
{
    time_t until = time(NULL) + 15;
    while (!strstr(c->seen, text) && time(NULL) < until)
        (void)more(c, 200);
    cr_assert(strstr(c->seen, text), "the terminal never showed \"%s\"; it showed \"%s\"", text, c->seen);
}

static void type(pty_child *c, const char *s)
{
    cr_assert_eq(write(c->master, s, strlen(s)), (ssize_t)strlen(s));
}

static int finish(pty_child *c)
{
    int status;
    pid_t got;

    while ((got = waitpid(c->pid, &status, 0)) < 0 && errno == EINTR)
        ;
    cr_assert_eq(got, c->pid);
    while (more(c, 50))
        ;
    return status;
}

/* "echo" as its own word in stty -a's output (not -echo, not echonl). */
static int echo_on(const char *stty)
{
    const char *p;
    for (p = strstr(stty, "echo"); p; p = strstr(p + 1, "echo")) {
        char before = p == stty ? ' ' : p[-1], after = p[4];
        if ((before == ' ' || before == ';' || before == '\n') &&
            (after == ' ' || after == ';' || after == '\n' || after == '\0'))
            return 1;
    }
    return 0;
}

/* The terminal's settings as stty(1) reads them: 1 echo, 0 -echo. */
static int stty_echo(const pty_child *c)
{
    char cmd[256];
    unsigned char *out = NULL;
    size_t len = 0;
    int on;

    snprintf(cmd, sizeof cmd, "stty -a -F %s", c->slave);
    cr_assert_eq(run_capture(cmd, &out, &len), 0, "stty -a -F %s failed", c->slave);
    cr_assert_not_null(out);
    on = echo_on((const char *)out);
    cr_assert(on || strstr((const char *)out, "-echo"), "stty says neither echo nor -echo: %s", out);
    free(out);
    return on;
}

/* The mask of a "SigCgt:" or "SigIgn:" line of /proc/PID/status. */
static unsigned long long proc_mask(pid_t pid, const char *field)
{
    char path[64], line[256];
    unsigned long long mask = 0;
    size_t flen = strlen(field);
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, flen) == 0)
            mask = strtoull(line + flen, NULL, 16);
    fclose(f);
    return mask;
}

#define SIGBIT(s) (1ULL << ((s) - 1))

/* Under valgrind the kernel's dispositions are valgrind's own, not the
 * program's: the /proc checks are left out. */
static int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

static int is_default(int sig)
{
    struct sigaction now;
    return sigaction(sig, NULL, &now) == 0 && !(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_DFL;
}

/* ---- the scenarios, run in the child ---- */

static int read_expect(const char *prompt, unsigned int flags, const char *want)
{
    vault_secret *s = NULL;
    int rc = vault_terminal_read(&s, prompt, flags);

    if (rc != 0)
        return BAD_RC;
    if (vault_secret_len(s) != strlen(want) || memcmp(vault_secret_data(s), want, strlen(want)) != 0) {
        vault_secret_free(s);
        return BAD_VALUE;
    }
    vault_secret_free(s);
    return OK;
}

static int expect_cancel(void)
{
    vault_secret *s = NULL;
    int rc = vault_terminal_read(&s, "pw: ", 0);

    if (s)
        return HAS_VALUE;
    if (rc != VAULT_ECANCELED)
        return BAD_RC;
    return vault_error_last()->code == VAULT_ECANCELED ? OK : BAD_ERROR;
}

static int plain_read(void)
{
    int rc = read_expect("pw: ", 0, "s3cret");
    if (rc != OK)
        return rc;
    /* Every handler the read installed is gone. */
    return is_default(SIGINT) && is_default(SIGTERM) && is_default(SIGHUP) && is_default(SIGQUIT)
               ? OK
               : BAD_DISPOSITION;
}

static int echoed_read(void)
{
    return read_expect("alias: ", VAULT_TERMINAL_ECHO, "db.password");
}

/* A line past VAULT_TERMINAL_LINE_MAX: VAULT_EFORMAT and no value, the
 * rest of it dropped so that the next read gets the next line. The
 * terminal is non-canonical (the kernel's canonical line stops at 4095
 * bytes); with echo the reader leaves its settings alone. */
static int too_long(void)
{
    struct termios t;
    vault_secret *s = NULL;
    int rc;

    if (tcgetattr(STDIN_FILENO, &t) != 0)
        return BAD_ERROR;
    t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0)
        return BAD_ERROR;
    rc = vault_terminal_read(&s, "long: ", VAULT_TERMINAL_ECHO);
    if (s)
        return HAS_VALUE;
    if (rc != VAULT_EFORMAT)
        return BAD_RC;
    return read_expect("next: ", VAULT_TERMINAL_ECHO, "short");
}

static int killed_at_prompt(void)
{
    vault_secret *s = NULL;
    (void)vault_terminal_read(&s, "pw: ", 0);
    vault_secret_free(s);
    return NOT_REACHED;
}

static volatile sig_atomic_t host_handler_runs;
static void host_handler(int sig)
{
    (void)sig;
    host_handler_runs++;
    /* Shown on the terminal: the other side types on after it. */
    if (write(STDOUT_FILENO, "[handled]", 9) < 0)
        host_handler_runs += 100;
}

static void install_host_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = host_handler;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
}

static int host_handler_kept(void)
{
    struct sigaction now;
    int rc;

    install_host_handler();
    if ((rc = read_expect("pw: ", 0, "abc")) != OK)
        return rc;
    if (host_handler_runs != 1)
        return NO_HANDLER_RUN;
    if (sigaction(SIGINT, NULL, &now) != 0 || now.sa_handler != host_handler)
        return BAD_DISPOSITION;
    return OK;
}

static int host_handler_overridden(void)
{
    vault_secret *s = NULL;
    install_host_handler();
    (void)vault_terminal_read(&s, "pw: ", VAULT_TERMINAL_OVERRIDE_HANDLERS);
    vault_secret_free(s);
    return NOT_REACHED;
}

static int ignored_stays_ignored(void)
{
    struct sigaction now;
    int rc;

    signal(SIGINT, SIG_IGN);
    if ((rc = read_expect("pw: ", VAULT_TERMINAL_OVERRIDE_HANDLERS, "abc")) != OK)
        return rc;
    if (sigaction(SIGINT, NULL, &now) != 0 || now.sa_handler != SIG_IGN)
        return BAD_DISPOSITION;
    return OK;
}

static int provider_cancelled(void)
{
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_password_provider *p = NULL;
    vault_secret *s = NULL;
    int rc;

    src.allow_terminal = 1;
    if (vault_password_provider_new(&p, &src) != 0)
        return BAD_ERROR;
    rc = vault_password_provider_cb(&s, VAULT_PASSWORD_STORE, "ks.p12", NULL, p);
    vault_password_provider_free(p);
    if (s)
        return HAS_VALUE;
    if (rc != VAULT_ECANCELED)
        return BAD_RC;
    /* The keystore is named. */
    return strstr(vault_error_last()->message, "ks.p12") ? OK : BAD_ERROR;
}

/* ---- the tests ---- */

static void assert_exit_ok(int status, pty_child *c)
{
    cr_assert(WIFEXITED(status), "the child died of signal %d; the terminal showed \"%s\"",
              WIFSIGNALED(status) ? WTERMSIG(status) : 0, c->seen);
    cr_assert_eq(WEXITSTATUS(status), OK, "the child's check %d failed; the terminal showed \"%s\"",
                 WEXITSTATUS(status), c->seen);
}

/* Ctrl-D at once, and Ctrl-D twice after some text (the first only sends
 * the text without a newline): cancelled, no secret, echo back. */
Test(terminal, end_of_input_cancels_with_no_secret)
{
    static const char *inputs[] = {"\x04", "abc\x04\x04"};
    size_t i;

    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        pty_child c;
        start(&c, expect_cancel);
        wait_for(&c, "pw: ");
        type(&c, inputs[i]);
        assert_exit_ok(finish(&c), &c);
        cr_assert(stty_echo(&c), "echo is off after the cancelled read");
        close(c.master);
    }
}

/* A line typed without echo: what was typed, not shown; echo off during
 * the read, on after it; the four signals caught during the read only. */
Test(terminal, secret_line_not_echoed_and_handlers_only_during_the_read)
{
    const unsigned long long four = SIGBIT(SIGINT) | SIGBIT(SIGTERM) | SIGBIT(SIGHUP) | SIGBIT(SIGQUIT);
    pty_child c;

    start(&c, plain_read);
    wait_for(&c, "pw: ");
    cr_assert_not(stty_echo(&c), "echo is on during a secret read");
    if (!under_valgrind())
        cr_assert_eq(proc_mask(c.pid, "SigCgt:") & four, four, "SigCgt %llx during the read",
                     proc_mask(c.pid, "SigCgt:"));
    type(&c, "s3cret\n");
    assert_exit_ok(finish(&c), &c);
    cr_assert_null(strstr(c.seen, "s3cret"), "the secret was echoed: \"%s\"", c.seen);
    cr_assert(stty_echo(&c));
    close(c.master);
}

Test(terminal, echoed_line_is_shown)
{
    pty_child c;

    start(&c, echoed_read);
    wait_for(&c, "alias: ");
    cr_assert(stty_echo(&c));
    type(&c, "db.password\n");
    assert_exit_ok(finish(&c), &c);
    cr_assert_not_null(strstr(c.seen, "alias: db.password"), "not echoed: \"%s\"", c.seen);
    close(c.master);
}

/* Ctrl-C (the line discipline's SIGINT), and kill(1)'s SIGTERM, SIGHUP
 * and SIGQUIT at a secret prompt: the process dies of that signal, and
 * stty finds echo on. */
Test(terminal, signal_at_the_prompt_restores_echo_and_kills)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    size_t i;

    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        pty_child c;
        int status;

        start(&c, killed_at_prompt);
        wait_for(&c, "pw: ");
        cr_assert_not(stty_echo(&c), "echo is on during a secret read");
        if (sigs[i] == SIGINT)
            type(&c, "\x03");
        else
            cr_assert_eq(kill(c.pid, sigs[i]), 0);
        status = finish(&c);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == sigs[i],
                  "signal %d: the child %s %d", sigs[i], WIFSIGNALED(status) ? "died of" : "exited",
                  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        cr_assert(stty_echo(&c), "echo is off after signal %d at the prompt", sigs[i]);
        close(c.master);
    }
}

/* A program's own SIGINT handler stays: it runs on Ctrl-C, the read goes
 * on, and it is still the handler afterwards. */
Test(terminal, host_handler_left_in_place)
{
    pty_child c;

    start(&c, host_handler_kept);
    wait_for(&c, "pw: ");
    if (!under_valgrind())
        cr_assert_eq(proc_mask(c.pid, "SigCgt:") & SIGBIT(SIGINT), SIGBIT(SIGINT));
    type(&c, "\x03");
    wait_for(&c, "[handled]"); /* Ctrl-C flushes the line: type after it */
    type(&c, "abc\n");
    assert_exit_ok(finish(&c), &c);
    cr_assert(stty_echo(&c));
    close(c.master);
}

/* VAULT_TERMINAL_OVERRIDE_HANDLERS: the read takes SIGINT over from the
 * program's handler, and Ctrl-C ends the process with echo back. */
Test(terminal, override_handlers_takes_a_host_handler_over)
{
    pty_child c;
    int status;

    start(&c, host_handler_overridden);
    wait_for(&c, "pw: ");
    type(&c, "\x03");
    status = finish(&c);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT, "the child did not die of SIGINT");
    cr_assert(stty_echo(&c));
    close(c.master);
}

/* An ignored SIGINT (nohup) stays ignored, even with the override. */
Test(terminal, ignored_signal_stays_ignored)
{
    pty_child c;

    start(&c, ignored_stays_ignored);
    wait_for(&c, "pw: ");
    if (!under_valgrind()) {
        cr_assert_eq(proc_mask(c.pid, "SigIgn:") & SIGBIT(SIGINT), SIGBIT(SIGINT));
        cr_assert_eq(proc_mask(c.pid, "SigCgt:") & SIGBIT(SIGINT), 0);
    }
    /* kill(2), not Ctrl-C: nothing shows that an ignored Ctrl-C has
     * flushed the line, to type after it. */
    cr_assert_eq(kill(c.pid, SIGINT), 0);
    type(&c, "abc\n");
    assert_exit_ok(finish(&c), &c);
    close(c.master);
}

/* The password provider with the terminal allowed: end of input at its
 * prompt fails with the cancel code, naming the keystore. */
Test(terminal, provider_with_terminal_cancelled_by_end_of_input)
{
    pty_child c;

    start(&c, provider_cancelled);
    wait_for(&c, "Password of ks.p12: ");
    type(&c, "\x04");
    assert_exit_ok(finish(&c), &c);
    cr_assert(stty_echo(&c));
    close(c.master);
}

Test(terminal, line_too_long_is_refused)
{
    char line[VAULT_TERMINAL_LINE_MAX + 3];
    pty_child c;

    memset(line, 'x', VAULT_TERMINAL_LINE_MAX + 1);
    strcpy(line + VAULT_TERMINAL_LINE_MAX + 1, "\n");
    start(&c, too_long);
    wait_for(&c, "long: ");
    type(&c, line);
    wait_for(&c, "next: ");
    type(&c, "short\n");
    assert_exit_ok(finish(&c), &c);
    close(c.master);
}

Test(terminal, bad_arguments)
{
    vault_secret *s = NULL;
    cr_assert_eq(vault_terminal_read(NULL, "x", 0), VAULT_EINVAL);
    cr_assert_eq(vault_terminal_read(&s, "x", 0x100), VAULT_EINVAL);
    cr_assert_null(s);
}
