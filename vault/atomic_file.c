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
 * Like every rename-based replacement, a target with several hard links is
 * replaced under this name only; the other names keep the old content. */
#include "conf_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

unsigned int vault_test_write_delay_us;

#define TMP_TAG ".tmp-"
#define TMP_RANDOM 8
#define TMP_MAX_BASE 200 /* keeps ".NAME.tmp-XXXXXXXX" within NAME_MAX */
#define TMP_ATTEMPTS 64
#define SLOW_CHUNK 4096

typedef struct replace_job {
    const char *path; /* as the caller named it, for messages */
    char *target;     /* the file replaced: path, or where its symlink points */
    char *dir;        /* target's directory */
    const char *base; /* target's name in dir (points into target) */
    char tmp[TMP_MAX_BASE + sizeof TMP_TAG + TMP_RANDOM + 2];
    int dir_fd, fd, tmp_made;
    struct stat st; /* the target's, when it exists */
    int exists;
} replace_job;

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
    return vault_err(code, "%s: %s: %s; the file was not changed", job->path, what, errno_text(e));
}

/* ---- the target ---- */

static int split_target(replace_job *job)
{
    char *slash = strrchr(job->target, '/');
    size_t dlen;

    if (!slash) {
        job->dir = vault_strdup(".");
        job->base = job->target;
    } else {
        dlen = slash == job->target ? 1 : (size_t)(slash - job->target);
        job->dir = vault_strndup(job->target, dlen);
        job->base = slash + 1;
    }
    if (!job->dir)
        return vault_err(VAULT_ENOMEM, "%s: out of memory", job->path);
    if (!*job->base || strcmp(job->base, ".") == 0 || strcmp(job->base, "..") == 0)
        return vault_err(VAULT_EINVAL, "%s: not a file name", job->path);
    return 0;
}

/* A symbolic link stays a link: the file it points to is what is replaced,
 * in that file's directory. */
static int resolve_target(replace_job *job)
{
    struct stat lst;
    char *real;

    if (lstat(job->path, &lst) != 0) {
        if (errno != ENOENT)
            return fail(job, errno, "cannot look at the file");
        job->target = vault_strdup(job->path);
    } else if (S_ISLNK(lst.st_mode)) {
        real = realpath(job->path, NULL);
        if (!real)
            return fail(job, errno, "cannot resolve the symbolic link");
        job->target = vault_strdup(real);
        free(real);
    } else {
        job->target = vault_strdup(job->path);
    }
    if (!job->target)
        return vault_err(VAULT_ENOMEM, "%s: out of memory", job->path);
    if (stat(job->target, &job->st) == 0) {
        if (!S_ISREG(job->st.st_mode))
            return vault_err(VAULT_EIO, "%s: not a regular file; the file was not changed", job->path);
        job->exists = 1;
    } else if (errno != ENOENT) {
        return fail(job, errno, "cannot look at the file");
    }
    return split_target(job);
}

/* Whether the target already holds exactly these bytes. */
static int same_content(const replace_job *job, const unsigned char *data, size_t len)
{
    unsigned char buf[16384];
    size_t off = 0;
    int fd, same = 1;

    if (!job->exists || (uint64_t)job->st.st_size != len)
        return 0;
    fd = open(job->target, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    while (same && off < len) {
        ssize_t n = read(fd, buf, len - off < sizeof buf ? len - off : sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || memcmp(buf, data + off, (size_t)n) != 0)
            same = 0;
        else
            off += (size_t)n;
    }
    close(fd);
    return same;
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
    return vault_err(VAULT_EIO, "%s: cannot find a free temporary file name; the file was not changed",
                     job->path);
}

/* ---- writing ---- */

static int write_all(const replace_job *job, const unsigned char *data, size_t len)
{
    size_t off = 0;
    unsigned int delay = vault_test_write_delay_us;

    while (off < len) {
        size_t chunk = len - off;
        ssize_t n;
        if (delay && chunk > SLOW_CHUNK)
            chunk = SLOW_CHUNK;
        n = write(job->fd, data + off, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(job, errno, "cannot write the new content");
        if (n == 0)
            return fail(job, EIO, "cannot write the new content");
        off += (size_t)n;
        if (delay)
            usleep(delay);
    }
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
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = fail(job, errno, "cannot read the new content back");
        else if (n == 0)
            break;
        else if ((size_t)n > len - off || memcmp(buf, data + off, (size_t)n) != 0)
            rc = vault_err(VAULT_EIO, "%s: the new content read back differs; the file was not changed",
                           job->path);
        else
            off += (size_t)n;
    }
    if (rc == 0 && off != len)
        rc = vault_err(VAULT_EIO, "%s: the new content read back is short; the file was not changed",
                       job->path);
    close(fd);
    return rc;
}

/* The target's owner and mode; a caller who is not root cannot give a file
 * away, and then the file becomes theirs but keeps its mode. */
static int keep_owner_and_mode(const replace_job *job, unsigned int mode)
{
    if (!job->exists)
        mode &= 07777;
    else
        mode = (unsigned int)job->st.st_mode & 07777;
    if (job->exists && fchown(job->fd, job->st.st_uid, job->st.st_gid) != 0) {
        if (!(errno == EPERM && geteuid() != 0))
            return fail(job, errno, "cannot keep the file's owner");
        (void)fchown(job->fd, (uid_t)-1, job->st.st_gid);
    }
    if (fchmod(job->fd, (mode_t)mode) != 0)
        return fail(job, errno, "cannot keep the file's mode");
    return 0;
}

static int run_verify(const replace_job *job, const void *data, size_t len, vault_verify_cb verify,
                      void *payload)
{
    const vault_error *e;
    char why[768];
    int rc;

    if (!verify)
        return 0;
    vault_error_clear();
    rc = verify(data, len, payload);
    if (rc == 0)
        return 0;
    e = vault_error_last();
    /* The callback's message lives in the buffer vault_err() rewrites. */
    snprintf(why, sizeof why, "%s", e && e->message && *e->message ? e->message : "rejected");
    return vault_err(rc < 0 ? rc : VAULT_ERROR,
                     "%s: the new content failed verification: %s; the file was not changed", job->path, why);
}

static int replace(replace_job *job, const void *data, size_t len, unsigned int mode, vault_verify_cb verify,
                   void *payload)
{
    int rc;

    if ((rc = resolve_target(job)) != 0)
        return rc;
    if (same_content(job, (const unsigned char *)data, len))
        return 0;
    job->dir_fd = open(job->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (job->dir_fd < 0)
        return fail(job, errno, "cannot open its directory");
    remove_stale_temps(job);
    if ((rc = create_temp(job)) != 0 || (rc = write_all(job, (const unsigned char *)data, len)) != 0 ||
        (rc = keep_owner_and_mode(job, mode)) != 0)
        return rc;
    if (sync_fd(job->fd) != 0)
        return fail(job, errno, "cannot flush the new content to disk");
    if ((rc = read_back(job, (const unsigned char *)data, len)) != 0 ||
        (rc = run_verify(job, data, len, verify, payload)) != 0)
        return rc;
    if (renameat(job->dir_fd, job->tmp, job->dir_fd, job->base) != 0)
        return fail(job, errno, "cannot rename the temporary file over it");
    job->tmp_made = 0;
    if (sync_fd(job->dir_fd) != 0)
        return vault_err(VAULT_EIO,
                         "%s: the file was replaced but its directory could not be flushed to "
                         "disk: %s",
                         job->path, errno_text(errno));
    return 0;
}

int vault_file_replace(const char *path, const void *data, size_t len, unsigned int mode,
                       vault_verify_cb verify, void *payload)
{
    replace_job job;
    int rc;

    if (!path || !*path || (!data && len > 0))
        return vault_err(VAULT_EINVAL, "vault_file_replace: invalid argument");
    if ((rc = vault_init()) != 0)
        return rc;
    memset(&job, 0, sizeof job);
    job.path = path;
    job.dir_fd = job.fd = -1;
    rc = replace(&job, data ? data : "", len, mode, verify, payload);
    if (job.tmp_made)
        (void)unlinkat(job.dir_fd, job.tmp, 0);
    if (job.fd >= 0)
        close(job.fd);
    if (job.dir_fd >= 0)
        close(job.dir_fd);
    vault_free_ptr(job.target);
    vault_free_ptr(job.dir);
    return rc;
}
