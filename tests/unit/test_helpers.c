/* SPDX-License-Identifier: Apache-2.0 */
/* The low-level helpers every file shares: path joining, growable arrays,
 * reading and writing a descriptor in full. */
#include "array.h"
#include "internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- path joining ---- */

static const struct {
    const char *dir, *name, *want;
} joins[] = {
    {"home", "repository/conf", "home/repository/conf"},
    {"home/", "repository/conf", "home/repository/conf"},
    {"/", "etc", "/etc"},
    {"home", "/abs/key.p12", "/abs/key.p12"},
    {"", "key.p12", "key.p12"},
    {".", "key.p12", "./key.p12"},
    {"a b", "c d", "a b/c d"},
};

Test(path, join_table)
{
    size_t i;
    for (i = 0; i < sizeof joins / sizeof joins[0]; i++) {
        char *p = NULL;
        cr_assert_eq(vault__path_join(&p, joins[i].dir, joins[i].name), 0, "%s + %s", joins[i].dir,
                     joins[i].name);
        cr_assert_str_eq(p, joins[i].want);
        vault__free_ptr(p);
    }
}

Test(path, too_long_names_both)
{
    char dir[PATH_MAX], *p = (char *)"unset";
    memset(dir, 'd', sizeof dir - 10);
    dir[sizeof dir - 10] = '\0';
    cr_assert_eq(vault__path_join(&p, dir, "long-file-name"), VAULT_EINVAL);
    cr_assert_null(p);
    cr_assert(strstr(test_errmsg(), "long-file-name") != NULL, "%s", test_errmsg());
    cr_assert(strstr(test_errmsg(), "dddd") != NULL);
    /* One byte under the limit still joins. */
    dir[PATH_MAX - 3] = '\0';
    memset(dir, 'd', PATH_MAX - 3);
    cr_assert_eq(vault__path_join(&p, dir, "x"), 0);
    cr_assert_eq(strlen(p), PATH_MAX - 1);
    vault__free_ptr(p);
}

Test(path, out_of_memory)
{
    char *p = (char *)"unset";
    vault__test_alloc_fail_at(1);
    cr_assert_eq(vault__path_join(&p, "a", "b"), VAULT_ENOMEM);
    vault__test_alloc_fail_at(0);
    cr_assert_null(p);
}

/* ---- growable arrays ---- */

Test(array, grows_keeps_contents)
{
    uint32_t *v = NULL;
    size_t cap = 0, i;

    for (i = 0; i < 1000; i++) {
        cr_assert_eq(VAULT_ARRAY_GROW(v, cap, i + 1), 0);
        cr_assert_geq(cap, i + 1);
        v[i] = (uint32_t)(i * 7);
    }
    for (i = 0; i < 1000; i++)
        cr_assert_eq(v[i], i * 7);
    cr_assert_eq(cap, 1024); /* doubled from 8 */
    cr_assert_eq(VAULT_ARRAY_GROW(v, cap, 10), 0); /* room already */
    cr_assert_eq(cap, 1024);
    vault__free_ptr(v);
}

Test(array, overflow_refused_untouched)
{
    uint64_t *v = NULL;
    size_t cap = 0;

    cr_assert_eq(VAULT_ARRAY_GROW(v, cap, 4), 0);
    v[3] = 42;
    cr_assert_eq(VAULT_ARRAY_GROW(v, cap, SIZE_MAX / 4), VAULT_ENOMEM);
    cr_assert_str_eq(test_errmsg(), "out of memory");
    cr_assert_eq(cap, 8);
    cr_assert_eq(v[3], 42);
    cr_assert_eq(vault__array_grow(&v, &cap, SIZE_MAX, 1 + SIZE_MAX / 2), VAULT_ENOMEM);
    cr_assert_eq(cap, 8);
    vault__free_ptr(v);
}

Test(array, failed_allocation_keeps_array)
{
    char *v = NULL;
    size_t cap = 0;

    cr_assert_eq(VAULT_ARRAY_GROW(v, cap, 8), 0);
    memcpy(v, "1234567", 8);
    vault__test_alloc_fail_at(1);
    cr_assert_eq(VAULT_ARRAY_GROW(v, cap, 9), VAULT_ENOMEM);
    vault__test_alloc_fail_at(0);
    cr_assert_eq(cap, 8);
    cr_assert_str_eq(v, "1234567");
    cr_assert_eq(VAULT_ARRAY_GROW(v, cap, 9), 0);
    cr_assert_eq(cap, 16);
    cr_assert_str_eq(v, "1234567");
    vault__free_ptr(v);
}

/* ---- descriptors: interrupted calls are retried ---- */

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
    (void)sig;
    ticks++;
}

/* SIGALRM every millisecond, without SA_RESTART: a blocked read or write
 * fails with EINTR. */
static void interrupt_often(void)
{
    struct sigaction sa;
    struct itimerval it = {{0, 1000}, {0, 1000}};

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
    cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void interrupt_stop(void)
{
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_IGN);
}

Test(fd, read_full_retries_eintr)
{
    static unsigned char got[300000];
    int p[2];
    pid_t pid;
    size_t i;
    ssize_t n;

    cr_assert_eq(pipe(p), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) { /* a slow writer: the reader blocks and is interrupted */
        unsigned char chunk[1000];
        close(p[0]);
        for (i = 0; i < sizeof got / sizeof chunk; i++) {
            size_t k;
            for (k = 0; k < sizeof chunk; k++)
                chunk[k] = (unsigned char)((i * sizeof chunk + k) % 251);
            if (vault__write_full(p[1], chunk, sizeof chunk) != 0)
                _exit(1);
            if (i % 30 == 0)
                usleep(2000);
        }
        _exit(0);
    }
    close(p[1]);
    ticks = 0;
    interrupt_often();
    n = vault__read_full(p[0], got, sizeof got);
    interrupt_stop();
    cr_assert_eq(n, (ssize_t)sizeof got, "read %zd: %s", n, strerror(errno));
    cr_assert_gt(ticks, 0, "no signal arrived during the read");
    for (i = 0; i < sizeof got; i++)
        cr_assert_eq(got[i], i % 251, "byte %zu", i);
    /* Then end of file: a short count, not an error. */
    cr_assert_eq(vault__read_full(p[0], got, 10), 0);
    close(p[0]);
    waitpid(pid, NULL, 0);
}

Test(fd, write_full_retries_eintr)
{
    static unsigned char data[1 << 20];
    int p[2], status = 0;
    pid_t pid;
    size_t i;

    for (i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i % 253);
    cr_assert_eq(pipe(p), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) { /* a slow reader: the writer blocks on a full pipe */
        static unsigned char buf[1 << 20];
        size_t have = 0;
        close(p[1]);
        for (;;) {
            ssize_t n = read(p[0], buf + have, 4096 < sizeof buf - have ? 4096 : sizeof buf - have);
            if (n <= 0)
                break;
            have += (size_t)n;
            if (have % (64 * 4096) == 0)
                usleep(5000);
        }
        _exit(have == sizeof buf && memcmp(buf, data, sizeof buf) == 0 ? 0 : 1);
    }
    close(p[0]);
    ticks = 0;
    interrupt_often();
    cr_assert_eq(vault__write_full(p[1], data, sizeof data), 0, "%s", strerror(errno));
    interrupt_stop();
    cr_assert_gt(ticks, 0, "no signal arrived during the write");
    close(p[1]);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the reader got other bytes");
}

Test(fd, write_full_reports_errors)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    cr_assert_eq(vault__write_full(p[1], "x", 1), -1);
    cr_assert_eq(errno, EPIPE);
    close(p[1]);
    cr_assert_eq(vault__write_full(-1, "x", 1), -1);
    cr_assert_eq(errno, EBADF);
}
