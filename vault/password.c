/* SPDX-License-Identifier: Apache-2.0 */
/* Passwords from files and descriptors, with OpenSSH-style mode checks. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PASSWORD_FILE_MAX 4096

/* Length of the line at p (without its LF or CRLF). */
static size_t line_length(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '\n')
        i++;
    if (i > 0 && p[i - 1] == '\r')
        i--;
    return i;
}

static size_t skip_line(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '\n')
        i++;
    return i < n ? i + 1 : i;
}

int vault_password_from_file(vault_secret **out, vault_secret **key_out, const char *path)
{
    return vault__password_file_read(out, key_out, path, 0);
}

/* A container secret: root's, and nobody else may write it. */
static int root_shared(const struct stat *st, unsigned int flags)
{
    return (flags & VAULT_PASSWORD_FILE_ROOT_SHARED) && st->st_uid == 0 && !(st->st_mode & 022);
}

int vault__password_file_read(vault_secret **out, vault_secret **key_out, const char *path,
                             unsigned int flags)
{
    unsigned char buf[PASSWORD_FILE_MAX];
    struct stat st;
    size_t have = 0, first, rest;
    int fd, rc = 0;

    *out = NULL;
    if (key_out)
        *key_out = NULL;
    /* Links are followed (a Kubernetes Secret volume is links into
     * "..data/"); what counts is the file finally opened, judged on its
     * descriptor. O_NONBLOCK: a FIFO is refused, not waited on. */
    if ((rc = vault__open_regular(path, &fd, &st)) != 0)
        return rc;
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        rc = vault__err(VAULT_EPERM,
                       "%s: password file is owned by uid %u; it must be owned by you (uid %u) or root",
                       path, (unsigned)st.st_uid, (unsigned)geteuid());
        goto done;
    }
    if ((st.st_mode & 077) && !root_shared(&st, flags)) {
        rc = vault__err(VAULT_EPERM,
                       "%s: password file mode %04o is readable by others; it must be 0600 or 0400",
                       path, (unsigned)(st.st_mode & 07777));
        goto done;
    }
    {
        ssize_t n = vault__read_full(fd, buf, sizeof buf);
        if (n < 0) {
            rc = vault__err(VAULT_EIO, "%s: %s", path, strerror(errno));
            goto done;
        }
        have = (size_t)n;
        if (have == sizeof buf) {
            rc = vault__err(VAULT_EFORMAT, "%s: password file larger than %d bytes", path,
                           PASSWORD_FILE_MAX - 1);
            goto done;
        }
    }
    first = (flags & VAULT__FILE_WHOLE) ? have : line_length(buf, have);
    if (have == 0) {
        rc = vault__err(VAULT_EFORMAT, "%s: password file is empty", path);
        goto done;
    }
    rc = vault_secret_new(out, buf, first);
    if (rc != 0)
        goto done;
    rest = skip_line(buf, have);
    if (key_out && rest < have && !(flags & VAULT__FILE_WHOLE)) {
        size_t second = line_length(buf + rest, have - rest);
        if (second > 0)
            rc = vault_secret_new(key_out, buf + rest, second);
    }
done:
    if (rc != 0) {
        vault_secret_free(*out);
        *out = NULL;
    }
    sodium_memzero(buf, sizeof buf);
    close(fd);
    return rc;
}

int vault_password_from_fd(vault_secret **out, int fd)
{
    unsigned char buf[PASSWORD_FILE_MAX];
    size_t have = 0;
    int rc = 0;

    *out = NULL;
    /* Byte by byte so that nothing after the first line is consumed. */
    for (;;) {
        ssize_t n = vault__read_full(fd, buf + have, 1);
        if (n < 0) {
            rc = vault__err(VAULT_EIO, "password descriptor %d: %s", fd, strerror(errno));
            goto done;
        }
        if (n == 0 || buf[have] == '\n')
            break;
        if (++have == sizeof buf) {
            rc = vault__err(VAULT_EFORMAT, "password descriptor %d: line longer than %d bytes", fd,
                           PASSWORD_FILE_MAX - 1);
            goto done;
        }
    }
    if (have > 0 && buf[have - 1] == '\r')
        have--;
    rc = vault_secret_new(out, buf, have);
done:
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int vault_password_fixed(vault_secret **out, vault_password_kind kind, const char *path,
                         const char *alias, void *payload)
{
    const vault_passwords *pw = payload;
    const char *p;

    VAULT_UNUSED(path);
    VAULT_UNUSED(alias);
    *out = NULL;
    if (!pw)
        return VAULT_ENOTFOUND;
    p = kind == VAULT_PASSWORD_KEY ? pw->key : pw->store;
    if (!p)
        return VAULT_ENOTFOUND;
    return vault_secret_new(out, p, strlen(p));
}
