/* SPDX-License-Identifier: Apache-2.0 */
/* The one terminal reader: a line from the controlling terminal, echo off
 * for a secret, and the terminal's settings given back whatever ends the
 * read, a signal included. */
#include "internal.h"
#include "vault/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The signals that end a process at a prompt: Ctrl-C, Ctrl-\, kill, hangup. */
static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define CAUGHT (sizeof caught / sizeof caught[0])

/* What the handler needs, set before it is installed. Global, so one read
 * at a time in the process. */
static pthread_mutex_t reading = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t quiet_fd = -1;
static struct termios saved;

/* Put the settings back, end the line the user was typing, and die of the
 * signal as if nothing had caught it: SA_RESETHAND restored the default
 * action, and the raised signal, blocked while the handler runs, is
 * delivered when it returns. Only async-signal-safe calls. */
static void on_signal(int sig)
{
    int saved_errno = errno;
    int fd = quiet_fd;

    if (fd >= 0) {
        (void)tcsetattr(fd, TCSAFLUSH, &saved);
        if (write(fd, "\n", 1) < 0) {
            /* nothing to do in a handler */
        }
    }
    (void)raise(sig);
    errno = saved_errno;
}

/* The handler for each signal whose disposition is the default one (with
 * VAULT_TERMINAL_OVERRIDE_HANDLERS, also one the program handles); SIG_IGN
 * (nohup) always stays. Returns the bits of the signals whose old
 * disposition is in old[]. */
static unsigned int catch_signals(struct sigaction old[CAUGHT], unsigned int flags)
{
    struct sigaction act;
    unsigned int installed = 0;
    size_t i;

    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal;
    act.sa_flags = SA_RESETHAND;
    sigemptyset(&act.sa_mask);
    for (i = 0; i < CAUGHT; i++)
        sigaddset(&act.sa_mask, caught[i]);
    for (i = 0; i < CAUGHT; i++) {
        int handled;
        if (sigaction(caught[i], NULL, &old[i]) != 0)
            continue;
        handled = (old[i].sa_flags & SA_SIGINFO) || old[i].sa_handler != SIG_DFL;
        if (!(old[i].sa_flags & SA_SIGINFO) && old[i].sa_handler == SIG_IGN)
            continue;
        if (handled && !(flags & VAULT_TERMINAL_OVERRIDE_HANDLERS))
            continue;
        if (sigaction(caught[i], &act, NULL) == 0)
            installed |= 1u << i;
    }
    return installed;
}

static void release_signals(const struct sigaction old[CAUGHT], unsigned int installed)
{
    size_t i;

    for (i = 0; i < CAUGHT; i++)
        if (installed & (1u << i))
            (void)sigaction(caught[i], &old[i], NULL);
}

static void tty_write(int fd, const char *s)
{
    if (vault__write_full(fd, s, strlen(s)) != 0) {
        /* a prompt is a courtesy; reading still works */
    }
}

/* One line into buf (VAULT_TERMINAL_LINE_MAX bytes): 0; VAULT_ECANCELED at
 * end of input before the line ended (or a read error); VAULT_EFORMAT when
 * it is longer, the rest of it read and dropped. */
static int read_line(int fd, char *buf, size_t *len)
{
    size_t n = 0;
    ssize_t got;
    int too_long = 0;
    char c = 0;

    for (;;) {
        if ((got = vault__read_full(fd, &c, 1)) != 1) {
            int e = errno;
            sodium_memzero(buf, VAULT_TERMINAL_LINE_MAX);
            if (got < 0)
                return vault__err(VAULT_ECANCELED, "cannot read the terminal: %s", strerror(e));
            return vault__err(VAULT_ECANCELED, "end of input at the prompt");
        }
        if (c == '\n' || c == '\r')
            break;
        if (n < VAULT_TERMINAL_LINE_MAX)
            buf[n++] = c;
        else
            too_long = 1;
    }
    sodium_memzero(&c, sizeof c);
    *len = n;
    if (too_long)
        return vault__err(VAULT_EFORMAT, "the line typed is longer than %d bytes", VAULT_TERMINAL_LINE_MAX);
    return 0;
}

int vault_terminal_read(vault_secret **out, const char *prompt, unsigned int flags)
{
    char buf[VAULT_TERMINAL_LINE_MAX];
    struct sigaction old[CAUGHT];
    struct termios quiet;
    unsigned int installed = 0;
    size_t len = 0;
    int fd, rc, quiet_set = 0;
    int hide = !(flags & VAULT_TERMINAL_ECHO);

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_terminal_read: out is NULL");
    *out = NULL;
    if (flags & ~(unsigned int)(VAULT_TERMINAL_ECHO | VAULT_TERMINAL_OVERRIDE_HANDLERS))
        return vault__err(VAULT_EINVAL, "vault_terminal_read: unknown flags 0x%x", flags);
    /* O_NOCTTY: never acquire a terminal; ENXIO when there is none. That
     * is a source with nothing to give, as the password sources answer,
     * not a failure: the caller's last error (what the sources it tried
     * first said) is left for it to report. */
    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return VAULT_ENOTFOUND;
    memset(old, 0, sizeof old);
    pthread_mutex_lock(&reading);
    /* The handler first, then echo off: never a moment with echo off and
     * nothing to turn it back on. */
    if (hide && tcgetattr(fd, &saved) == 0) {
        quiet_fd = fd;
        installed = catch_signals(old, flags);
        quiet = saved;
        quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        quiet_set = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    if (prompt)
        tty_write(fd, prompt);
    rc = read_line(fd, buf, &len);
    if (hide) {
        if (quiet_set)
            (void)tcsetattr(fd, TCSAFLUSH, &saved);
        /* The newline typed was not echoed. */
        tty_write(fd, "\n");
    }
    release_signals(old, installed);
    quiet_fd = -1;
    pthread_mutex_unlock(&reading);
    close(fd);
    if (rc == 0)
        rc = vault_secret_new(out, buf, len);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int vault_password_from_terminal(vault_secret **out, const char *prompt)
{
    return vault_terminal_read(out, prompt, 0);
}
