/* SPDX-License-Identifier: Apache-2.0 */
/* Atomic file replacement: a temporary file beside the target, write,
 * fsync, read back, verify, keep mode and owner, rename, fsync the
 * directory. Until the rename the target is never touched.
 *
 * Temporary files are named ".NAME.tmp-XXXXXXXX" and held under an
 * exclusive flock() while in use. A process killed with SIGKILL leaves its
 * temporary file behind (nothing can prevent that); the next replacement of
 * the same file removes such leftovers: a file with exactly our name
 * pattern, owned by us, whose lock can be taken is one that no live writer
 * holds, so it is provably a stale temporary of ours. A writer checks,
 * after taking its lock, that its name still refers to its file, so a
 * cleaner racing with a writer's creation can only cost a retry.
 *
 * The target is opened once (a symbolic link resolved once) and from then
 * on reached only through its directory's descriptor; before the rename the
 * name must still refer to the inode opened. A target with several hard
 * links is refused (the other names would keep the old content), and so is
 * another user's file unless root replaces it in a root-owned directory.
 * Owner, mode and the user., security. and ACL extended attributes are kept. */
#include "conf_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

unsigned int vault__test_write_delay_us;

#define TMP_TAG ".tmp-"
#define TMP_RANDOM 8
#define TMP_MAX_BASE 200 /* keeps ".NAME.tmp-XXXXXXXX" within NAME_MAX */
#define TMP_ATTEMPTS 64
#define SLOW_CHUNK 4096
#define SINK_BUFFER 65536

/* The job is also the sink a streamed content is written to. */
struct vault_sink {
    const char *path; /* as the caller named it, for messages */
    const vault_replace_opts *opts;
    char *target;     /* the file replaced: path, or where its symlink pointed */
    char *dir;        /* target's directory */
    const char *base; /* target's name in dir (points into target) */
    char tmp[TMP_MAX_BASE + sizeof TMP_TAG + TMP_RANDOM + 2];
    int dir_fd, target_fd, fd, tmp_made;
    struct stat st; /* the target's, when it exists */
    int exists;
    /* Streaming (opts->fill): what was written, counted and hashed. */
    size_t streamed;
    crypto_generichash_state digest;
    unsigned char *wbuf; /* written in SINK_BUFFER pieces, not one system call per piece */
    size_t wbuf_used;
};
typedef struct vault_sink replace_job;

static const char *errno_text(int e)
{
    switch (e) {
    case ENOSPC:
        return "no space left on device";
    case EDQUOT:
        return "disk quota exceeded";
    case EFBIG:
        return "file too large (file system or process limit)";
    case EACCES:
        return "permission denied";
    case EPERM:
        return "operation not permitted";
    case EROFS:
        return "read-only file system";
    case EIO:
        return "input/output error";
    case ENOENT:
        return "no such file or directory";
    case ENOTDIR:
        return "a path component is not a directory";
    case ELOOP:
        return "too many levels of symbolic links";
    case ENAMETOOLONG:
        return "file name too long";
    default:
        return strerror(e);
    }
}

static int fail(const replace_job *job, int e, const char *what)
{
    int code = e == EACCES || e == EPERM ? VAULT_EPERM : e == ENOMEM ? VAULT_ENOMEM : VAULT_EIO;
    return vault__err(code, "%s: %s: %s; the file was not changed", job->path, what, errno_text(e));
}

/* ---- the target ---- */

static int split_target(replace_job *job)
{
    char *slash = strrchr(job->target, '/');
    size_t dlen;

    vault__free_ptr(job->dir);
    if (!slash) {
        job->dir = vault__strdup(".");
        job->base = job->target;
    } else {
        dlen = slash == job->target ? 1 : (size_t)(slash - job->target);
        job->dir = vault__strndup(job->target, dlen);
        job->base = slash + 1;
    }
    if (!job->dir)
        return vault__oom();
    if (!*job->base || strcmp(job->base, ".") == 0 || strcmp(job->base, "..") == 0)
        return vault__err(VAULT_EINVAL, "%s: not a file name", job->path);
    return 0;
}

/* Opens the directory of job->target and, in it, the file itself without
 * following a link; ELOOP is left in errno when the name is a link. */
static int open_in_dir(replace_job *job)
{
    int rc;

    if ((rc = split_target(job)) != 0)
        return rc;
    if (job->dir_fd >= 0)
        close(job->dir_fd);
    job->dir_fd = open(job->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (job->dir_fd < 0)
        return fail(job, errno, "cannot open its directory");
    job->target_fd =
        openat(job->dir_fd, job->base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    return 0;
}

/* The file is opened once, and from then on only through descriptors: a
 * symbolic link is resolved once, and what is replaced is the file it named
 * then, in that file's directory. */
static int open_target(replace_job *job)
{
    char *real;
    int rc;

    job->target = vault__strdup(job->path);
    if (!job->target)
        return vault__oom();
    if ((rc = open_in_dir(job)) != 0)
        return rc;
    if (job->target_fd < 0 && errno == ELOOP) {
        if (job->opts->private_out)
            return vault__err(VAULT_EPERM, "%s: is a symbolic link; secrets are not written through links",
                             job->path);
        real = realpath(job->path, NULL);
        if (!real)
            return fail(job, errno, "cannot resolve the symbolic link");
        vault__free_ptr(job->target);
        job->target = vault__strdup(real);
        free(real);
        if (!job->target)
            return vault__oom();
        if ((rc = open_in_dir(job)) != 0)
            return rc;
        if (job->target_fd < 0 && errno == ELOOP)
            return vault__err(VAULT_ERROR, "%s: the symbolic link changed while it was resolved; the "
                                          "file was not changed", job->path);
    }
    if (job->target_fd < 0) {
        if (errno != ENOENT)
            return fail(job, errno, "cannot open the file");
        return 0;
    }
    if (fstat(job->target_fd, &job->st) != 0)
        return fail(job, errno, "cannot look at the file");
    job->exists = 1;
    return 0;
}

/* Who may replace whom: a file of ours, or, as root, any file in a
 * directory only root controls. Anywhere else, the file's owner could swap
 * names under us, and a non-root caller would take the file over. */
static int check_owner(const replace_job *job)
{
    struct stat dst;
    uid_t me = geteuid();

    if (job->st.st_uid == me)
        return 0;
    if (me != 0)
        return vault__err(VAULT_EPERM,
                         "%s: owned by uid %u, not by the caller (uid %u); replacing it would take it over; "
                         "the file was not changed",
                         job->path, (unsigned)job->st.st_uid, (unsigned)me);
    if (fstat(job->dir_fd, &dst) != 0)
        return fail(job, errno, "cannot look at its directory");
    if (dst.st_uid != 0)
        return vault__err(VAULT_EPERM,
                         "%s: owned by uid %u in a directory owned by uid %u, which could redirect the "
                         "replacement; the file was not changed",
                         job->path, (unsigned)job->st.st_uid, (unsigned)dst.st_uid);
    return 0;
}

static int check_target(const replace_job *job)
{
    const vault_replace_opts *o = job->opts;

    if (!job->exists)
        return 0;
    if (!S_ISREG(job->st.st_mode))
        return vault__err(VAULT_EIO, "%s: not a regular file; the file was not changed", job->path);
    if (o->expect_inode && (job->st.st_dev != o->dev || job->st.st_ino != o->ino))
        return vault__err(VAULT_ERROR, "%s: the file was replaced by another one since it was read; the file "
                                      "was not changed", job->path);
    if (job->st.st_nlink > 1)
        return vault__err(VAULT_ERROR,
                         "%s: has %lu hard links, and the other names would keep the old content; "
                         "break the link first (cp the file to a new name, then mv it back); the file "
                         "was not changed",
                         job->path, (unsigned long)job->st.st_nlink);
    if (o->private_out && job->st.st_uid != geteuid())
        return vault__err(VAULT_EPERM, "%s: exists and is owned by uid %u, not by us; it would receive "
                                      "secrets", job->path, (unsigned)job->st.st_uid);
    if (o->private_out && (job->st.st_mode & 07777) != 0600)
        return vault__err(VAULT_EPERM, "%s: exists with mode %04o, not 0600; it would receive secrets",
                         job->path, (unsigned)(job->st.st_mode & 07777));
    return check_owner(job);
}

/* Whether the opened target holds exactly these bytes. */
static int holds(const replace_job *job, const unsigned char *data, size_t len)
{
    unsigned char buf[16384];
    size_t off = 0;
    off_t pos = 0;

    int same = 0;

    if (!job->exists)
        return 0;
    for (;;) {
        ssize_t n = pread(job->target_fd, buf, sizeof buf, pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (n == 0) {
            same = off == len;
            break;
        }
        if ((size_t)n > len - off || memcmp(buf, data + off, (size_t)n) != 0)
            break;
        off += (size_t)n;
        pos += n;
    }
    sodium_memzero(buf, sizeof buf); /* a private file's bytes are secrets */
    return same;
}

/* The target's bytes are old_len bytes of old_digest. */
static int holds_digest(const replace_job *job, const unsigned char *want, size_t len)
{
    unsigned char buf[16384], got[crypto_generichash_BYTES];
    crypto_generichash_state st;
    size_t off = 0;
    int same = 0;

    if (!job->exists)
        return 0;
    crypto_generichash_init(&st, NULL, 0, sizeof got);
    for (;;) {
        ssize_t n = pread(job->target_fd, buf, sizeof buf, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (size_t)n > len - off)
            break;
        if (n == 0) {
            crypto_generichash_final(&st, got, sizeof got);
            same = off == len && sodium_memcmp(got, want, sizeof got) == 0;
            break;
        }
        crypto_generichash_update(&st, buf, (size_t)n);
        off += (size_t)n;
    }
    sodium_memzero(buf, sizeof buf);
    sodium_memzero(&st, sizeof st);
    return same;
}

/* The file still holds what the caller read (opts->old or old_digest). */
static int holds_old(const replace_job *job)
{
    const vault_replace_opts *o = job->opts;

    if (o->old_digest)
        return holds_digest(job, o->old_digest, o->old_len);
    return !o->old || holds(job, o->old, o->old_len);
}

/* ---- temporary files ---- */

/* Writes ".NAME.tmp-" into out (sized like replace_job.tmp). */
static size_t tmp_prefix(const replace_job *job, char *out)
{
    size_t blen = strlen(job->base);

    if (blen > TMP_MAX_BASE)
        blen = TMP_MAX_BASE;
    out[0] = '.';
    memcpy(out + 1, job->base, blen);
    memcpy(out + 1 + blen, TMP_TAG, sizeof TMP_TAG);
    return 1 + blen + sizeof TMP_TAG - 1;
}

static int is_our_suffix(const char *s)
{
    size_t i;

    for (i = 0; i < TMP_RANDOM; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return s[TMP_RANDOM] == '\0';
}

/* Remove one leftover if no live process holds it (best effort). */
static void remove_if_stale(const replace_job *job, const char *name)
{
    struct stat a, b;
    int fd;

    if (fstatat(job->dir_fd, name, &a, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(a.st_mode) ||
        a.st_uid != geteuid())
        return;
    fd = openat(job->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        (void)unlinkat(job->dir_fd, name, 0);
    close(fd);
}

static void remove_stale_temps(const replace_job *job)
{
    char prefix[sizeof job->tmp];
    size_t plen = tmp_prefix(job, prefix);
    struct dirent *de;
    DIR *d;
    int fd = dup(job->dir_fd);

    if (fd < 0)
        return;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, plen) == 0 && is_our_suffix(de->d_name + plen))
            remove_if_stale(job, de->d_name);
    }
    closedir(d);
}

/* Our file is still the one under our name (no cleaner removed it before
 * we held the lock). */
static int still_ours(const replace_job *job)
{
    struct stat a, b;
    return fstat(job->fd, &a) == 0 && fstatat(job->dir_fd, job->tmp, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int create_temp(replace_job *job)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t plen = tmp_prefix(job, job->tmp), k;
    int attempt;

    for (attempt = 0; attempt < TMP_ATTEMPTS; attempt++) {
        for (k = 0; k < TMP_RANDOM; k++)
            job->tmp[plen + k] = alnum[randombytes_uniform(sizeof alnum - 1)];
        job->tmp[plen + TMP_RANDOM] = '\0';
        job->fd = openat(job->dir_fd, job->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (job->fd < 0 && errno == EEXIST)
            continue;
        if (job->fd < 0)
            return fail(job, errno, "cannot create a temporary file beside it");
        job->tmp_made = 1;
        /* A file system without flock() gives no lock to anyone: then no
         * cleaner can take one either and nothing is removed. */
        if ((flock(job->fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK) && still_ours(job))
            return 0;
        close(job->fd);
        job->fd = -1;
        job->tmp_made = 0;
    }
    return vault__err(VAULT_EIO, "%s: cannot find a free temporary file name; the file was not changed",
                     job->path);
}

/* ---- writing ---- */

static int write_all(const replace_job *job, const unsigned char *data, size_t len)
{
    size_t off = 0;
    unsigned int delay = vault__test_write_delay_us;

    /* The test delay writes in small chunks, so that a test can kill the
     * process in the middle of the write. */
    while (off < len) {
        size_t chunk = len - off;
        if (delay && chunk > SLOW_CHUNK)
            chunk = SLOW_CHUNK;
        if (vault__write_full(job->fd, data + off, chunk) != 0)
            return fail(job, errno, "cannot write the new content");
        off += chunk;
        if (delay)
            usleep(delay);
    }
    return 0;
}

/* The target opened and checked and the temporary file made when the
 * first bytes come: a fill that ends with nothing to write touches
 * nothing, as a run that changes nothing writes nothing. */
static int start_stream(replace_job *job)
{
    int rc;

    if (job->fd >= 0)
        return 0;
    if ((rc = open_target(job)) != 0 || (rc = check_target(job)) != 0)
        return rc;
    if (!holds_old(job))
        return vault__err(VAULT_ERROR, "%s: the file changed since it was read", job->path);
    remove_stale_temps(job);
    if (!(job->wbuf = vault__malloc(SINK_BUFFER)))
        return vault__oom();
    return create_temp(job);
}

static int sink_flush(replace_job *job)
{
    int rc = write_all(job, job->wbuf, job->wbuf_used);

    sodium_memzero(job->wbuf, job->wbuf_used);
    job->wbuf_used = 0;
    return rc;
}

int vault__sink_write(vault_sink *sink, const void *data, size_t len)
{
    replace_job *job = sink;
    int rc;

    if (len == 0)
        return 0;
    if ((rc = start_stream(job)) != 0)
        return rc;
    if (len > SIZE_MAX - job->streamed)
        return vault__err(VAULT_ENOMEM, "%s: the new content is too large", job->path);
    crypto_generichash_update(&job->digest, data, len);
    job->streamed += len;
    if (job->wbuf_used + len > SINK_BUFFER && (rc = sink_flush(job)) != 0)
        return rc;
    if (len >= SINK_BUFFER)
        return write_all(job, data, len);
    memcpy(job->wbuf + job->wbuf_used, data, len);
    job->wbuf_used += len;
    return 0;
}

static int sync_fd(int fd)
{
    int rc;
    do
        rc = fsync(fd);
    while (rc != 0 && errno == EINTR);
    return rc;
}

/* What reached the file is what we meant to write. */
static int read_back(const replace_job *job, const unsigned char *data, size_t len)
{
    unsigned char buf[16384];
    size_t off = 0;
    int fd, rc = 0;

    fd = openat(job->dir_fd, job->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(job, errno, "cannot read the new content back");
    while (rc == 0) {
        ssize_t n = vault__read_full(fd, buf, sizeof buf);
        if (n < 0)
            rc = fail(job, errno, "cannot read the new content back");
        else if (n == 0)
            break;
        else if ((size_t)n > len - off || memcmp(buf, data + off, (size_t)n) != 0)
            rc = vault__err(VAULT_EIO, "%s: the new content read back differs; the file was not changed",
                           job->path);
        else
            off += (size_t)n;
    }
    if (rc == 0 && off != len)
        rc = vault__err(VAULT_EIO, "%s: the new content read back is short; the file was not changed",
                       job->path);
    sodium_memzero(buf, sizeof buf); /* rendered output holds secrets */
    close(fd);
    return rc;
}

/* A streamed content read back whole (the one copy of it in memory) and
 * checked against the digest of what was written; *out is the caller's. */
static int read_back_streamed(replace_job *job, unsigned char **out)
{
    unsigned char want[crypto_generichash_BYTES], got[crypto_generichash_BYTES];
    unsigned char *buf;
    ssize_t n;
    int fd, rc = 0;

    *out = NULL;
    crypto_generichash_final(&job->digest, want, sizeof want);
    if (job->streamed == SIZE_MAX || !(buf = vault__malloc(job->streamed + 1)))
        return vault__oom();
    fd = openat(job->dir_fd, job->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        vault__free_ptr(buf);
        return fail(job, errno, "cannot read the new content back");
    }
    n = vault__read_full(fd, buf, job->streamed + 1);
    if (n < 0)
        rc = fail(job, errno, "cannot read the new content back");
    else if ((size_t)n != job->streamed)
        rc = vault__err(VAULT_EIO, "%s: the new content read back has %zd bytes, not %zu; the file was not "
                       "changed", job->path, n, job->streamed);
    close(fd);
    if (rc == 0) {
        crypto_generichash(got, sizeof got, buf, job->streamed, NULL, 0);
        if (sodium_memcmp(got, want, sizeof got) != 0)
            rc = vault__err(VAULT_EIO, "%s: the new content read back differs; the file was not changed",
                           job->path);
    }
    if (rc != 0) {
        vault__free_wiped(buf, job->streamed + 1);
        return rc;
    }
    buf[job->streamed] = '\0';
    *out = buf;
    return 0;
}

/* A verify callback's refusal (rc != 0), with the callback's message. */
static int verify_failed(const replace_job *job, int rc)
{
    const vault_error *e = vault_error_last();
    char why[768];

    /* The callback's message lives in the buffer vault__err() rewrites. */
    snprintf(why, sizeof why, "%s", e && e->message && *e->message ? e->message : "rejected");
    return vault__err(rc < 0 ? rc : VAULT_ERROR,
                     "%s: the new content failed verification: %s; the file was not changed", job->path, why);
}

static int run_verify_owned(const replace_job *job, unsigned char *data, size_t len)
{
    int rc;

    vault_error_clear();
    rc = job->opts->verify_owned(data, len, job->opts->payload);
    return rc == 0 ? 0 : verify_failed(job, rc);
}

/* The target's owner and mode. check_owner() let through only our own
 * files and, for root, files in root's directories, so chown can be done. */
static int keep_owner_and_mode(const replace_job *job, unsigned int mode)
{
    if (!job->exists)
        mode &= 07777;
    else
        mode = (unsigned int)job->st.st_mode & 07777;
    if (job->exists && fchown(job->fd, job->st.st_uid, job->st.st_gid) != 0) {
        if (!(errno == EPERM && geteuid() != 0))
            return fail(job, errno, "cannot keep the file's owner");
        /* Not in the file's group: the group becomes ours. */
    }
    if (fchmod(job->fd, (mode_t)mode) != 0)
        return fail(job, errno, "cannot keep the file's mode");
    return 0;
}

static int kept_xattr(const char *name)
{
    return strncmp(name, "user.", 5) == 0 || strncmp(name, "security.", 9) == 0 ||
           strncmp(name, "system.posix_acl_", 17) == 0;
}

static int copy_one_xattr(const replace_job *job, const char *name)
{
    char stack[4096], *val = stack;
    ssize_t n = fgetxattr(job->target_fd, name, NULL, 0);
    int rc = 0;

    if (n < 0)
        return errno == ENODATA ? 0 : fail(job, errno, "cannot read an extended attribute");
    if ((size_t)n > sizeof stack && !(val = vault__malloc((size_t)n)))
        return vault__oom();
    n = fgetxattr(job->target_fd, name, val, n > 0 ? (size_t)n : 0);
    if (n < 0)
        rc = errno == ENODATA ? 0 : fail(job, errno, "cannot read an extended attribute");
    else if (fsetxattr(job->fd, name, val, (size_t)n, 0) != 0)
        rc = vault__err(errno == EPERM || errno == EACCES ? VAULT_EPERM : VAULT_EIO,
                       "%s: cannot keep the extended attribute %s: %s; the file was not changed", job->path,
                       name, errno_text(errno));
    if (val != stack)
        vault__free_ptr(val);
    return rc;
}

/* ACLs, labels and user attributes go with the content. */
static int keep_xattrs(const replace_job *job)
{
    char *names = NULL, *p;
    ssize_t n;
    int rc = 0;

    if (!job->exists)
        return 0;
    n = flistxattr(job->target_fd, NULL, 0);
    if (n < 0)
        return errno == ENOTSUP ? 0 : fail(job, errno, "cannot list the extended attributes");
    if (n == 0)
        return 0;
    if (!(names = vault__malloc((size_t)n + 1)))
        return vault__oom();
    n = flistxattr(job->target_fd, names, (size_t)n);
    if (n < 0) {
        rc = fail(job, errno, "cannot list the extended attributes");
        goto done;
    }
    names[n] = '\0';
    for (p = names; rc == 0 && p < names + n; p += strlen(p) + 1)
        if (kept_xattr(p))
            rc = copy_one_xattr(job, p);
done:
    vault__free_ptr(names);
    return rc;
}

static int run_verify(const replace_job *job, const void *data, size_t len, vault_verify_cb verify,
                      void *payload)
{
    int rc;

    if (!verify)
        return 0;
    vault_error_clear();
    rc = verify(data, len, payload);
    return rc == 0 ? 0 : verify_failed(job, rc);
}

/* The name still refers to the file opened at the start (or still to none):
 * the rename happens in that file's directory, never re-resolved. */
static int still_there(const replace_job *job)
{
    struct stat now;

    if (fstatat(job->dir_fd, job->base, &now, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT && !job->exists)
            return 0;
    } else if (job->exists && now.st_dev == job->st.st_dev && now.st_ino == job->st.st_ino) {
        return 0;
    }
    return vault__err(VAULT_ERROR, "%s: the file was replaced by another one meanwhile; the file was not "
                                  "changed", job->path);
}

static int put_in_place(replace_job *job)
{
    if (job->exists) {
        if (renameat(job->dir_fd, job->tmp, job->dir_fd, job->base) != 0)
            return fail(job, errno, "cannot rename the temporary file over it");
        job->tmp_made = 0;
        return 0;
    }
    /* A new file: whatever appeared under its name meanwhile stays. */
    if (renameat2(job->dir_fd, job->tmp, job->dir_fd, job->base, RENAME_NOREPLACE) == 0) {
        job->tmp_made = 0;
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS)
        return fail(job, errno, "cannot rename the temporary file to it");
    if (linkat(job->dir_fd, job->tmp, job->dir_fd, job->base, 0) != 0)
        return fail(job, errno, "cannot link the temporary file to it");
    return 0; /* the temporary name is removed by the caller */
}

/* The new content as opts->fill produces it: written to the temporary
 * file as it comes, never whole in memory until it is read back. */
static int fill_temp(replace_job *job)
{
    const vault_replace_opts *o = job->opts;
    unsigned char *back = NULL;
    int rc;

    crypto_generichash_init(&job->digest, NULL, 0, crypto_generichash_BYTES);
    if ((rc = o->fill(job, o->payload)) != 0 || (rc = start_stream(job)) != 0 || (rc = sink_flush(job)) != 0)
        return rc;
    if ((rc = keep_owner_and_mode(job, o->mode)) != 0 || (rc = keep_xattrs(job)) != 0)
        return rc;
    if (sync_fd(job->fd) != 0)
        return fail(job, errno, "cannot flush the new content to disk");
    if ((rc = read_back_streamed(job, &back)) != 0)
        return rc;
    if (o->verify_owned)
        return run_verify_owned(job, back, job->streamed);
    vault__free_wiped(back, job->streamed + 1);
    return 0;
}

static int replace(replace_job *job, const void *data, size_t len)
{
    const vault_replace_opts *o = job->opts;
    int rc;

    if (o->fill) {
        if ((rc = fill_temp(job)) != 0)
            return rc;
        goto in_place;
    }
    if ((rc = open_target(job)) != 0 || (rc = check_target(job)) != 0)
        return rc;
    if (holds(job, (const unsigned char *)data, len)) {
        if (o->written)
            *o->written = job->st;
        return 0;
    }
    if (!holds_old(job))
        return vault__err(VAULT_ERROR, "%s: the file changed since it was read", job->path);
    remove_stale_temps(job);
    if ((rc = create_temp(job)) != 0 || (rc = write_all(job, (const unsigned char *)data, len)) != 0 ||
        (rc = keep_owner_and_mode(job, o->mode)) != 0 || (rc = keep_xattrs(job)) != 0)
        return rc;
    if (sync_fd(job->fd) != 0)
        return fail(job, errno, "cannot flush the new content to disk");
    if ((rc = read_back(job, (const unsigned char *)data, len)) != 0 ||
        (rc = run_verify(job, data, len, o->verify, o->payload)) != 0)
        return rc;
in_place:
    if (!holds_old(job))
        return vault__err(VAULT_ERROR, "%s: the file changed since it was read", job->path);
    if (o->written && fstat(job->fd, o->written) != 0)
        return fail(job, errno, "cannot look at the new file");
    if ((rc = still_there(job)) != 0 || (rc = put_in_place(job)) != 0)
        return rc;
    if (sync_fd(job->dir_fd) != 0)
        return vault__err(VAULT_EIO,
                         "%s: the file was replaced but its directory could not be flushed to "
                         "disk: %s",
                         job->path, errno_text(errno));
    return 0;
}

int vault__replace_file(const char *path, const void *data, size_t len, const vault_replace_opts *opts)
{
    replace_job job;
    int rc;

    if (!path || !*path || (!data && len > 0) || !opts)
        return vault__err(VAULT_EINVAL, "vault_file_replace: invalid argument");
    if ((rc = vault__ensure_init()) != 0)
        return rc;
    memset(&job, 0, sizeof job);
    if (opts->fill && opts->verify)
        return vault__err(VAULT_EINVAL, "vault_file_replace: a streamed content is verified as read back");
    job.path = path;
    job.opts = opts;
    job.dir_fd = job.target_fd = job.fd = -1;
    rc = replace(&job, data ? data : "", len);
    if (job.tmp_made)
        (void)unlinkat(job.dir_fd, job.tmp, 0);
    if (job.fd >= 0)
        close(job.fd);
    if (job.target_fd >= 0)
        close(job.target_fd);
    if (job.dir_fd >= 0)
        close(job.dir_fd);
    vault__free_ptr(job.target);
    vault__free_ptr(job.dir);
    if (job.wbuf)
        vault__free_wiped(job.wbuf, SINK_BUFFER);
    return rc;
}

int vault_file_replace(const char *path, const void *data, size_t len, unsigned int mode,
                       vault_verify_cb verify, void *payload)
{
    vault_replace_opts o;

    memset(&o, 0, sizeof o);
    o.mode = mode;
    o.verify = verify;
    o.payload = payload;
    return vault__replace_file(path, data, len, &o);
}

int vault_file_write_private(const char *path, const void *data, size_t len)
{
    vault_replace_opts o;

    memset(&o, 0, sizeof o);
    o.mode = 0600;
    o.private_out = 1;
    return vault__replace_file(path, data, len, &o);
}
