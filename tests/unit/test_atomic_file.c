/* SPDX-License-Identifier: Apache-2.0 */
/* vault_file_replace(): the target is always exactly the old or the new
 * content, keeps its mode, owner and symlink, and no temporary file is left
 * behind on error. */
#include "conf_internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* A fresh directory of its own for each test. */
static const char *fresh_dir(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", test_tmpdir(), name);
    cr_assert_eq(mkdir(buf, 0755), 0, "mkdir %s: %s", buf, strerror(errno));
    return buf;
}

static char *join(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    spit(path, text, strlen(text));
    cr_assert_eq(chmod(path, mode), 0);
}

static void assert_content(const char *path, const void *want, size_t want_len)
{
    size_t len;
    unsigned char *now = slurp(path, &len);
    cr_assert_eq(len, want_len, "%s: %zu bytes, want %zu", path, len, want_len);
    cr_assert_eq(memcmp(now, want, len), 0, "%s: content differs", path);
    free(now);
}

/* The names in dir, sorted, joined with spaces. */
static char *listing(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), i;
    char *out = calloc(1, 8192);
    cr_assert_geq(n, 0);
    for (i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
            if (*out)
                strcat(out, " ");
            strcat(out, names[i]->d_name);
        }
        free(names[i]);
    }
    free(names);
    return out;
}

static void assert_listing(const char *dir, const char *want)
{
    char *got = listing(dir);
    cr_assert_str_eq(got, want, "directory %s", dir);
    free(got);
}

Test(atomic, replaces_and_keeps_mode_and_owner)
{
    const char *dir = fresh_dir("mode");
    char *path = join(dir, "deployment.toml");
    struct stat st;

    write_file(path, "old\n", 0640);
    if (geteuid() == 0)
        cr_assert_eq(chown(path, 65534, 65534), 0);
    cr_assert_eq(vault_file_replace(path, "new content\n", 12, 0600, NULL, NULL), 0);
    assert_content(path, "new content\n", 12);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0640);
    if (geteuid() == 0) {
        cr_assert_eq(st.st_uid, 65534);
        cr_assert_eq(st.st_gid, 65534);
    }
    assert_listing(dir, "deployment.toml");
    free(path);
}

Test(atomic, new_file_gets_the_given_mode)
{
    const char *dir = fresh_dir("new");
    char *path = join(dir, "secret-conf.properties");
    struct stat st;

    cr_assert_eq(vault_file_replace(path, "a=b\n", 4, 0600, NULL, NULL), 0);
    assert_content(path, "a=b\n", 4);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600);
    cr_assert_eq(vault_file_replace(path, "", 0, 0644, NULL, NULL), 0);
    assert_content(path, "", 0);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600, "an existing file keeps its mode");
    assert_listing(dir, "secret-conf.properties");
    free(path);
}

Test(atomic, symlink_stays_a_link)
{
    const char *dir = fresh_dir("link");
    char *sub = join(dir, "real"), *target, *link = join(dir, "deployment.toml");
    char buf[256];
    struct stat st;
    ssize_t n;

    cr_assert_eq(mkdir(sub, 0755), 0);
    target = join(sub, "deployment.toml");
    write_file(target, "old\n", 0640);
    cr_assert_eq(symlink("real/deployment.toml", link), 0);
    cr_assert_eq(vault_file_replace(link, "new\n", 4, 0600, NULL, NULL), 0);
    cr_assert_eq(lstat(link, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the link was replaced by a file");
    n = readlink(link, buf, sizeof buf - 1);
    cr_assert_gt(n, 0);
    buf[n] = '\0';
    cr_assert_str_eq(buf, "real/deployment.toml");
    assert_content(target, "new\n", 4);
    cr_assert_eq(stat(target, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0640);
    assert_listing(dir, "deployment.toml real");
    assert_listing(sub, "deployment.toml");
    free(sub);
    free(target);
    free(link);
}

Test(atomic, unchanged_content_is_not_written)
{
    const char *dir = fresh_dir("same");
    char *path = join(dir, "f.toml");
    struct stat a, b;
    write_file(path, "same\n", 0640);
    cr_assert_eq(stat(path, &a), 0);
    cr_assert_eq(vault_file_replace(path, "same\n", 5, 0600, NULL, NULL), 0);
    cr_assert_eq(stat(path, &b), 0);
    cr_assert_eq(a.st_ino, b.st_ino, "the file was rewritten");
    free(path);
}

typedef struct {
    char seen[64];
    size_t len;
    int rc;
} verify_probe;

static int probe_verify(const void *data, size_t len, void *payload)
{
    verify_probe *p = payload;
    p->len = len < sizeof p->seen ? len : sizeof p->seen - 1;
    memcpy(p->seen, data, p->len);
    return p->rc ? vault__err(p->rc, "the new file does not decrypt") : 0;
}

Test(atomic, verify_failure_leaves_the_original)
{
    const char *dir = fresh_dir("verify");
    char *path = join(dir, "deployment.toml");
    verify_probe probe = {"", 0, VAULT_EAUTH};
    const char *msg;

    write_file(path, "old\n", 0640);
    cr_assert_eq(vault_file_replace(path, "new\n", 4, 0600, probe_verify, &probe), VAULT_EAUTH);
    cr_assert_eq(probe.len, 4);
    cr_assert_eq(memcmp(probe.seen, "new\n", 4), 0);
    msg = vault_error_last()->message;
    cr_assert_not_null(strstr(msg, path), "%s", msg);
    cr_assert_not_null(strstr(msg, "the new file does not decrypt"), "%s", msg);
    cr_assert_not_null(strstr(msg, "the file was not changed"), "%s", msg);
    assert_content(path, "old\n", 4);
    assert_listing(dir, "deployment.toml");

    probe.rc = 0;
    cr_assert_eq(vault_file_replace(path, "new\n", 4, 0600, probe_verify, &probe), 0);
    assert_content(path, "new\n", 4);
    assert_listing(dir, "deployment.toml");
    free(path);
}

Test(atomic, bad_targets_are_refused)
{
    const char *dir = fresh_dir("bad");
    char *sub = join(dir, "sub"), *dangling = join(dir, "dangling"), *missing = join(dir, "no/such/file");

    cr_assert_eq(mkdir(sub, 0755), 0);
    cr_assert_eq(vault_file_replace(sub, "x", 1, 0600, NULL, NULL), VAULT_EIO);
    cr_assert_not_null(strstr(vault_error_last()->message, "not a regular file"));
    cr_assert_eq(symlink("nowhere", dangling), 0);
    cr_assert_neq(vault_file_replace(dangling, "x", 1, 0600, NULL, NULL), 0);
    cr_assert_not_null(strstr(vault_error_last()->message, dangling));
    cr_assert_neq(vault_file_replace(missing, "x", 1, 0600, NULL, NULL), 0);
    cr_assert_not_null(strstr(vault_error_last()->message, missing));
    cr_assert_eq(vault_file_replace(NULL, "x", 1, 0600, NULL, NULL), VAULT_EINVAL);
    assert_listing(dir, "dangling sub");
    assert_listing(sub, "");
    free(sub);
    free(dangling);
    free(missing);
}

/* Run fn in a child; returns its exit status and its message in msg. */
static int in_child(void (*fn)(int fd, void *arg), void *arg, char *msg, size_t cap)
{
    int pipefd[2], st;
    ssize_t n;
    size_t got = 0;
    pid_t pid;

    cr_assert_eq(pipe(pipefd), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(pipefd[0]);
        fn(pipefd[1], arg);
        _exit(99);
    }
    close(pipefd[1]);
    while (got + 1 < cap && (n = read(pipefd[0], msg + got, cap - 1 - got)) > 0)
        got += (size_t)n;
    msg[got] = '\0';
    close(pipefd[0]);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "child died");
    return WEXITSTATUS(st);
}

static void report(int fd, int rc)
{
    const vault_error *e = vault_error_last();
    const char *m = rc != 0 && e ? e->message : "ok";
    ssize_t w = write(fd, m, strlen(m));
    (void)w;
    _exit(rc == 0 ? 0 : -rc);
}

static char *big_content(size_t len, char fill)
{
    char *p = malloc(len);
    size_t i;
    for (i = 0; i < len; i++)
        p[i] = (i % 64 == 63) ? '\n' : (char)(fill + (char)(i % 7));
    return p;
}

/* Children report through their exit status, never through assertions. */
static void full_disk_child(int fd, void *arg)
{
    struct rlimit lim = {64 * 1024, 64 * 1024};
    char *data = big_content(1 << 20, 'a');
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
        _exit(98);
    report(fd, vault_file_replace(arg, data, 1 << 20, 0600, NULL, NULL));
}

Test(atomic, full_disk_leaves_the_original)
{
    const char *dir = fresh_dir("full");
    char *path = join(dir, "deployment.toml");
    char msg[1024];
    int status;

    write_file(path, "old content\n", 0640);
    status = in_child(full_disk_child, path, msg, sizeof msg);
    cr_assert_eq(status, -VAULT_EIO, "status %d: %s", status, msg);
    cr_assert_not_null(strstr(msg, path), "%s", msg);
    cr_assert_not_null(strstr(msg, "cannot write the new content: file too large"), "%s", msg);
    cr_assert_not_null(strstr(msg, "the file was not changed"), "%s", msg);
    assert_content(path, "old content\n", 12);
    assert_listing(dir, "deployment.toml");
    free(path);
}

static void unprivileged_child(int fd, void *arg)
{
    if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
        _exit(98);
    report(fd, vault_file_replace(arg, "new\n", 4, 0600, NULL, NULL));
}

Test(atomic, unwritable_directory_leaves_the_original)
{
    char dir[] = "/tmp/vault-ro-XXXXXX";
    char *path, msg[1024], cmd[64];
    int status;

    /* As root, permissions do not stop writes: the writer is a child that
     * drops to nobody, in a directory it cannot write (0755, root's). As
     * another user, the directory is made read-only. */
    cr_assert_not_null(mkdtemp(dir));
    path = join(dir, "deployment.toml");
    write_file(path, "old\n", 0644);
    /* nobody's own file, so that only the directory stands in the way */
    if (geteuid() == 0)
        cr_assert_eq(chown(path, 65534, 65534), 0);
    cr_assert_eq(chmod(dir, geteuid() == 0 ? 0755 : 0555), 0);
    status = in_child(unprivileged_child, path, msg, sizeof msg);
    cr_assert_eq(status, -VAULT_EPERM, "status %d: %s", status, msg);
    cr_assert_not_null(strstr(msg, path), "%s", msg);
    cr_assert_not_null(strstr(msg, "cannot create a temporary file beside it: permission denied"), "%s", msg);
    cr_assert_not_null(strstr(msg, "the file was not changed"), "%s", msg);
    assert_content(path, "old\n", 4);
    assert_listing(dir, "deployment.toml");
    chmod(dir, 0755);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    free(path);
}

Test(atomic, stale_temps_are_removed_live_ones_kept)
{
    const char *dir = fresh_dir("stale");
    char *path = join(dir, "f.toml"), *stale = join(dir, ".f.toml.tmp-abcdEF12"),
         *live = join(dir, ".f.toml.tmp-LIVE0000"), *other = join(dir, ".f.toml.tmp-keep"),
         *foreign = join(dir, ".g.toml.tmp-abcdEF12");
    int fd;

    write_file(path, "old\n", 0640);
    write_file(stale, "half", 0600);
    write_file(live, "half", 0600);
    write_file(other, "x", 0600);
    write_file(foreign, "x", 0600);
    /* A live writer holds its temporary file locked. */
    fd = open(live, O_RDONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(flock(fd, LOCK_EX), 0);
    cr_assert_eq(vault_file_replace(path, "new\n", 4, 0600, NULL, NULL), 0);
    assert_content(path, "new\n", 4);
    assert_listing(dir, ".f.toml.tmp-LIVE0000 .f.toml.tmp-keep .g.toml.tmp-abcdEF12 f.toml");
    close(fd);
    free(path);
    free(stale);
    free(live);
    free(other);
    free(foreign);
}

/* ---- kill -9 during the rewrite ---- */

#define KILL_SIZE (256 * 1024)
#define KILL_ROUNDS 200

static void slow_writer_child(int fd, void *arg)
{
    const char **job = arg;
    (void)fd;
    vault__test_write_delay_us = 30;
    _exit(vault_file_replace(job[0], job[1], KILL_SIZE, 0600, NULL, NULL) == 0 ? 0 : 1);
}

/* How long a slow rewrite takes here (the same content: it is forced by
 * making the file one byte longer first), so that the kills spread over
 * before, during and after it. */
static unsigned long slow_write_us(const char *path, const char *content)
{
    const char *job[2] = {path, content};
    struct timespec t0, t1;
    int st;
    pid_t pid;

    spit(path, "x", 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        slow_writer_child(-1, job);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return (unsigned long)((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000);
}

Test(atomic, kill_during_rewrite_is_all_or_nothing, .timeout = 120)
{
    const char *dir = fresh_dir("kill");
    char *path = join(dir, "deployment.toml");
    char *content[2] = {big_content(KILL_SIZE, 'A'), big_content(KILL_SIZE, 'a')};
    size_t round, old_kept = 0, replaced = 0, temps_seen = 0, max_temps = 0;
    unsigned int seed = (unsigned int)time(NULL);
    unsigned long span_us;
    int cur = 0;

    spit(path, content[0], KILL_SIZE);
    span_us = slow_write_us(path, content[0]);
    srand(seed);
    for (round = 0; round < KILL_ROUNDS; round++) {
        const char *job[2] = {path, content[1 - cur]};
        long delay_us = rand() % (long)(span_us * 3 / 2 + 1);
        struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000L};
        unsigned char *now;
        size_t len, temps;
        int st;
        pid_t pid = fork();

        cr_assert_geq(pid, 0);
        if (pid == 0)
            slow_writer_child(-1, job);
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_assert(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 0), "round %zu: the writer failed",
                  round);

        now = slurp(path, &len);
        cr_assert_eq(len, KILL_SIZE, "round %zu (seed %u): %zu bytes", round, seed, len);
        if (memcmp(now, content[cur], KILL_SIZE) == 0) {
            old_kept++;
        } else {
            cr_assert_eq(memcmp(now, content[1 - cur], KILL_SIZE), 0,
                         "round %zu (seed %u): neither old nor new content", round, seed);
            replaced++;
            cur = 1 - cur;
        }
        free(now);
        /* At most the one temporary file the killed writer had: each
         * writer removes the leftovers of earlier ones. */
        temps = test_count_temps(dir, "deployment.toml");
        cr_assert_leq(temps, 1, "round %zu: %zu temporary files", round, temps);
        temps_seen += temps;
        if (temps > max_temps)
            max_temps = temps;
    }
    fprintf(stderr,
            "kill -9 x%d (seed %u, kills within %lu us): %zu kept the old content, "
            "%zu had the new, %zu left a temporary file\n",
            KILL_ROUNDS, seed, span_us * 3 / 2, old_kept, replaced, temps_seen);
    /* Both outcomes happened, and kills landed mid-write. */
    cr_assert_gt(old_kept, 0);
    cr_assert_gt(replaced, 0);
    cr_assert_gt(temps_seen, 0);
    /* A finished replacement removes the last leftover. */
    cr_assert_eq(vault_file_replace(path, content[1 - cur], KILL_SIZE, 0600, NULL, NULL), 0);
    assert_listing(dir, "deployment.toml");
    free(content[0]);
    free(content[1]);
    free(path);
}

/* ---- hardening: links, owners, FIFOs, extended attributes, races ---- */

static void snap(const char *path, struct stat *st)
{
    cr_assert_eq(lstat(path, st), 0, "%s: %s", path, strerror(errno));
}

static void assert_same_file(const char *path, const struct stat *was, const char *content)
{
    struct stat now;
    snap(path, &now);
    cr_assert(now.st_ino == was->st_ino && now.st_dev == was->st_dev, "%s: another inode", path);
    cr_assert_eq(now.st_uid, was->st_uid, "%s: owner changed", path);
    cr_assert_eq(now.st_mode, was->st_mode, "%s: mode changed", path);
    cr_assert_eq(now.st_mtime, was->st_mtime, "%s: modified", path);
    assert_content(path, content, strlen(content));
}

Test(atomic, hard_linked_file_is_refused)
{
    const char *dir = fresh_dir("hardlink");
    char *path = join(dir, "deployment.toml"), *other = join(dir, "other.toml");
    const vault_error *e;

    write_file(path, "old\n", 0600);
    cr_assert_eq(link(path, other), 0);
    cr_assert_eq(vault_file_replace(path, "new\n", 4, 0600, NULL, NULL), VAULT_ERROR);
    e = vault_error_last();
    cr_assert_not_null(strstr(e->message, "has 2 hard links"), "%s", e->message);
    cr_assert_not_null(strstr(e->message, path), "%s", e->message);
    assert_content(path, "old\n", 4);
    assert_content(other, "old\n", 4);
    assert_listing(dir, "deployment.toml other.toml");
    free(path);
    free(other);
}

Test(atomic, fifo_target_fails_at_once)
{
    const char *dir = fresh_dir("fifo");
    char *path = join(dir, "deployment.toml");
    unsigned char *data = NULL;
    size_t len = 0;
    time_t t0 = time(NULL);

    cr_assert_eq(mkfifo(path, 0600), 0);
    cr_assert_eq(vault_file_replace(path, "new\n", 4, 0600, NULL, NULL), VAULT_EIO);
    cr_assert_eq(vault__read_file(path, 1024, &data, &len), VAULT_EIO);
    cr_assert_not_null(strstr(vault_error_last()->message, "is a FIFO"), "%s", vault_error_last()->message);
    cr_assert_null(data);
    cr_assert_leq(time(NULL) - t0, 1);
    assert_listing(dir, "deployment.toml");
    free(path);
}

/* Another user's file in a directory that user owns: root does not replace
 * it (the owner could swap names), a non-root caller never does. */
Test(atomic, file_of_another_user_is_refused)
{
    const char *dir = fresh_dir("foreign");
    char *path = join(dir, "deployment.toml");
    struct stat was;

    if (geteuid() != 0)
        cr_skip_test("needs root to give files away");
    write_file(path, "theirs\n", 0644);
    cr_assert_eq(chown(path, 65534, 65534), 0);
    cr_assert_eq(chown(dir, 65534, 65534), 0);
    snap(path, &was);
    cr_assert_eq(vault_file_replace(path, "new\n", 4, 0600, NULL, NULL), VAULT_EPERM);
    cr_assert_not_null(strstr(vault_error_last()->message, "owned by uid 65534 in a directory owned by uid 65534"),
                       "%s", vault_error_last()->message);
    assert_same_file(path, &was, "theirs\n");
    assert_listing(dir, "deployment.toml");
    /* In root's own directory, root replaces it and keeps its owner. */
    cr_assert_eq(chown(dir, 0, 0), 0);
    cr_assert_eq(vault_file_replace(path, "new\n", 4, 0600, NULL, NULL), 0, "%s",
                 vault_error_last()->message);
    snap(path, &was);
    cr_assert_eq(was.st_uid, 65534);
    cr_assert_eq(was.st_mode & 07777, 0644);
    free(path);
}

Test(atomic, user_xattrs_are_kept)
{
    const char *dir = fresh_dir("xattr");
    char *path = join(dir, "deployment.toml");
    char val[64];
    ssize_t n;

    write_file(path, "old\n", 0600);
    if (setxattr(path, "user.origin", "ops", 3, 0) != 0)
        cr_skip_test("no user xattrs here: %s", strerror(errno));
    cr_assert_eq(vault_file_replace(path, "new\n", 4, 0600, NULL, NULL), 0);
    n = getxattr(path, "user.origin", val, sizeof val);
    cr_assert_eq(n, 3, "user.origin lost: %s", strerror(errno));
    cr_assert_eq(memcmp(val, "ops", 3), 0);
    assert_content(path, "new\n", 4);
    free(path);
}

Test(atomic, private_output_refuses_links_and_foreign_files)
{
    const char *dir = fresh_dir("private");
    char *out = join(dir, "out.conf"), *victim = join(dir, "victim");
    struct stat was;

    write_file(victim, "victim\n", 0644);
    snap(victim, &was);
    cr_assert_eq(symlink(victim, out), 0);
    cr_assert_eq(vault_file_write_private(out, "secret\n", 7), VAULT_EPERM);
    cr_assert_not_null(strstr(vault_error_last()->message, "symbolic link"), "%s", vault_error_last()->message);
    assert_same_file(victim, &was, "victim\n");
    cr_assert_eq(unlink(out), 0);
    write_file(out, "mine\n", 0640);
    cr_assert_eq(vault_file_write_private(out, "secret\n", 7), VAULT_EPERM);
    assert_content(out, "mine\n", 5);
    cr_assert_eq(chmod(out, 0600), 0);
    cr_assert_eq(vault_file_write_private(out, "secret\n", 7), 0);
    assert_content(out, "secret\n", 7);
    cr_assert_eq(unlink(out), 0);
    cr_assert_eq(vault_file_write_private(out, "secret\n", 7), 0);
    snap(out, &was);
    cr_assert_eq(was.st_mode & 07777, 0600);
    free(out);
    free(victim);
}

#define RACE_ROUNDS 200
static const char attacker_toml[] = "[secrets]\na = \"[plain]\"\n";

/* The flipper below, a child that never returns: killed at the end of the
 * test whichever way it ends (stop_flipper() is the test's .fini, which
 * Criterion runs after a failed assertion too), and dying with the test's
 * process if that is killed (timeout, crash). */
static pid_t flipper_pid;

static void stop_flipper(void)
{
    if (flipper_pid > 0) {
        kill(flipper_pid, SIGKILL);
        waitpid(flipper_pid, NULL, 0);
        flipper_pid = 0;
    }
}

/* Flips NAME between a link to the victim and a regular config until it is
 * killed; it holds none of the test's output descriptors, so that a flipper
 * left behind could not keep ctest waiting for the end of its output. */
static void flipper(const char *dir, const char *victim, pid_t parent)
{
    char name[4096], link_tmp[4096], reg_tmp[4096];
    int null = open("/dev/null", O_RDWR);

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent || null < 0)
        _exit(1);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    alarm(300); /* the test's timeout is 120 s: never outlive it by much */
    snprintf(name, sizeof name, "%s/deployment.toml", dir);
    snprintf(link_tmp, sizeof link_tmp, "%s/flip-link", dir);
    snprintf(reg_tmp, sizeof reg_tmp, "%s/flip-reg", dir);
    for (;;) {
        int fd;
        (void)unlink(link_tmp);
        if (symlink(victim, link_tmp) == 0)
            (void)rename(link_tmp, name);
        usleep((useconds_t)(rand() % 800));
        fd = open(reg_tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            if (write(fd, attacker_toml, sizeof attacker_toml - 1) < 0)
                _exit(1);
            close(fd);
            (void)rename(reg_tmp, name);
        }
        usleep((useconds_t)(rand() % 3000));
    }
}

/* The race below, without the race: the name is swapped for a link to a
 * file elsewhere after the config was read and before it is saved. The
 * victim holds the very bytes that were read (an attacker can copy any file
 * they can read), so a writer that resolves the name again when it saves
 * finds "the file it read" unchanged there and replaces the victim. The
 * writer must refuse instead: it replaces only the inode it read. (The writer
 * before files were replaced through one directory descriptor failed this.) */
Test(atomic, link_swapped_in_after_reading_never_reaches_the_victim)
{
    const char *dir = fresh_dir("swap");
    char *victim_dir = join(test_tmpdir(), "swap-victim");
    char *victim = join(victim_dir, "shadow"), *path = join(dir, "deployment.toml");
    char *link_tmp = join(dir, "swap-link");
    vault_config *cfg = NULL;
    struct stat was;
    int rc;

    cr_assert_eq(mkdir(victim_dir, 0755), 0);
    write_file(victim, attacker_toml, 0644);
    snap(victim, &was);
    write_file(path, attacker_toml, 0600);
    cr_assert_eq(vault_config_open(&cfg, path, VAULT_CONFIG_TOML), 0, "%s", vault_error_last()->message);
    cr_assert_eq(vault_config_count(cfg), 1);
    cr_assert_eq(vault_config_set(cfg, 0, "sealed"), 0);
    cr_assert_eq(symlink(victim, link_tmp), 0);
    cr_assert_eq(rename(link_tmp, path), 0);
    rc = vault_config_save(cfg, NULL, NULL);
    cr_assert_neq(rc, 0, "saved through a link swapped in after the read");
    assert_same_file(victim, &was, attacker_toml);
    snap(path, &was);
    cr_assert(S_ISLNK(was.st_mode), "the swapped-in link was replaced");
    vault_config_free(cfg);
    free(link_tmp);
    free(victim_dir);
    free(victim);
    free(path);
}

/* A user who can write the config's directory flips the config between a
 * regular file and a link to a file elsewhere while it is read, sealed and
 * replaced: the other file is never touched. */
Test(atomic, symlink_flip_never_reaches_the_victim, .timeout = 120, .fini = stop_flipper)
{
    const char *dir = fresh_dir("race");
    char *victim_dir = join(test_tmpdir(), "race-victim");
    char *victim = join(victim_dir, "shadow"), *path = join(dir, "deployment.toml");
    struct stat was;
    int round, saved = 0, refused = 0;
    pid_t self = getpid();

    cr_assert_eq(mkdir(victim_dir, 0755), 0);
    write_file(victim, "victim\n", 0604);
    if (geteuid() == 0)
        cr_assert_eq(chown(victim, 65534, 65534), 0);
    snap(victim, &was);
    write_file(path, attacker_toml, 0600);
    vault__test_write_delay_us = 2000;
    flipper_pid = fork();
    cr_assert_geq(flipper_pid, 0);
    if (flipper_pid == 0)
        flipper(dir, victim, self);
    for (round = 0; round < RACE_ROUNDS; round++) {
        vault_config *cfg = NULL;
        usleep((useconds_t)(rand() % 4000)); /* rounds spread over the flips */
        if (vault_config_open(&cfg, path, VAULT_CONFIG_TOML) != 0) {
            refused++;
            continue;
        }
        if (vault_config_count(cfg) == 1 && vault_config_set(cfg, 0, "sealed") == 0 &&
            vault_config_save(cfg, NULL, NULL) == 0)
            saved++;
        else {
            refused++;
        }
        vault_config_free(cfg);
        assert_same_file(victim, &was, "victim\n");
    }
    stop_flipper();
    vault__test_write_delay_us = 0;
    assert_same_file(victim, &was, "victim\n");
    cr_log_info("symlink flips x%d: %d saved into the flipped directory, %d refused", RACE_ROUNDS, saved,
                refused);
    fprintf(stderr, "symlink flips x%d: %d saved into the flipped directory, %d refused\n", RACE_ROUNDS,
            saved, refused);
    free(victim_dir);
    free(victim);
    free(path);
}
