/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers: bounded file reading, alias comparison, hex, loading a
 * shared library on first use. */
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *vault__file_kind(unsigned int mode)
{
    switch (mode & S_IFMT) {
    case S_IFIFO: return "a FIFO";
    case S_IFDIR: return "a directory";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symbolic link";
    default: return "not a regular file";
    }
}

int vault__read_file(const char *path, size_t max, unsigned char **data, size_t *len)
{
    return vault__read_file_stat(path, max, data, len, NULL);
}

int vault__open_regular(const char *path, int *fd_out, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), rc;

    *fd_out = -1;
    if (fd < 0) {
        int e = errno;
        return vault__err(e == ENOENT ? VAULT_ENOTFOUND : e == EACCES ? VAULT_EPERM : VAULT_EIO,
                         "%s: %s", path, strerror(e));
    }
    if (fstat(fd, st) != 0)
        rc = vault__err(VAULT_EIO, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st->st_mode))
        rc = vault__err(VAULT_EIO, "%s: is %s, not a regular file", path, vault__file_kind(st->st_mode));
    else {
        *fd_out = fd;
        return 0;
    }
    close(fd);
    return rc;
}

/* O_NONBLOCK: opening a FIFO must not wait for a writer; the type is then
 * judged on the descriptor, so nothing can be swapped in between. */
int vault__read_file_stat(const char *path, size_t max, unsigned char **data, size_t *len,
                         struct stat *st_out)
{
    struct stat st;
    unsigned char *buf = NULL;
    size_t have = 0;
    int fd, rc = 0;

    *data = NULL;
    *len = 0;
    if ((rc = vault__open_regular(path, &fd, &st)) != 0)
        return rc;
    if ((uint64_t)st.st_size > max) {
        rc = vault__err(VAULT_EFORMAT, "%s: file too large (%lld bytes, at most %zu)", path,
                       (long long)st.st_size, max);
        goto done;
    }
    buf = vault__malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = vault__oom();
        goto done;
    }
    {
        ssize_t n = vault__read_full(fd, buf, (size_t)st.st_size);
        if (n < 0) {
            rc = vault__err(VAULT_EIO, "%s: %s", path, strerror(errno));
            goto done;
        }
        have = (size_t)n;
    }
    buf[have] = '\0';
    *data = buf;
    *len = have;
    buf = NULL;
    if (st_out)
        *st_out = st;
done:
    if (buf)
        vault__free_wiped(buf, (size_t)st.st_size); /* a read that failed half-way */
    close(fd);
    return rc;
}

void vault__free_wiped(void *p, size_t len)
{
    if (!p)
        return;
    sodium_memzero(p, len);
    vault__free_ptr(p);
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

int vault__strcaseeq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = ascii_lower((unsigned char)*a), cb = ascii_lower((unsigned char)*b);
        if (ca != cb)
            return 0;
        if (!ca)
            return 1;
    }
}

int vault__strncaseeq(const char *a, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

int vault__hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void vault__hex(char *out, const unsigned char *in, size_t n, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void *vault__dl_bind(const char *soname, void *table, const vault_dl_sym *syms, size_t count,
                    char *err, size_t err_len)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    size_t i;

    if (!h) {
        snprintf(err, err_len, "%s", dlerror());
        return NULL;
    }
    for (i = 0; i < count; i++) {
        void *p = dlsym(h, syms[i].name);
        if (!p) {
            snprintf(err, err_len, "no symbol %s", syms[i].name);
            dlclose(h);
            return NULL;
        }
        /* A data pointer to a function pointer: POSIX's dlsym() contract. */
        memcpy((char *)table + syms[i].offset, &p, sizeof p);
    }
    return h;
}
