/* SPDX-License-Identifier: Apache-2.0 */
/* Low-level byte helpers: bounded big-endian reading, UTF-8 encoding and
 * strict decoding, reading and writing a descriptor in full. */
#include "internal.h"

#include <errno.h>
#include <unistd.h>

/* ---- bounded big-endian reading ---- */

/* On failure the outputs are zero, so no caller reads an unset value. */
int vault__rd_take(vault_rd *r, size_t n, const unsigned char **out)
{
    *out = NULL;
    if (n > r->left)
        return -1;
    *out = r->p;
    r->p += n;
    r->left -= n;
    return 0;
}

int vault__rd_uint(vault_rd *r, size_t n, uint64_t *v)
{
    const unsigned char *p;
    *v = 0;
    if (vault__rd_take(r, n, &p) != 0)
        return -1;
    *v = vault__be_get(p, n);
    return 0;
}

int vault__rd_u8(vault_rd *r, unsigned *v)
{
    uint64_t x = 0;
    int rc = vault__rd_uint(r, 1, &x);
    *v = (unsigned)x;
    return rc;
}

int vault__rd_u32(vault_rd *r, uint32_t *v)
{
    uint64_t x = 0;
    int rc = vault__rd_uint(r, 4, &x);
    *v = (uint32_t)x;
    return rc;
}

uint64_t vault__be_get(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

void vault__be_put(unsigned char *p, uint64_t v, size_t n)
{
    while (n--) {
        p[n] = (unsigned char)(v & 0xFF);
        v >>= 8;
    }
}

/* ---- UTF-8 ---- */

size_t vault__utf8_put(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One UTF-8 character (strict: no overlong forms, surrogates or values
 * above U+10FFFF); returns its length, 0 when invalid. */
size_t vault__utf8_next(const unsigned char *s, size_t n, unsigned long *cp)
{
    size_t k, i;
    unsigned long c = s[0], min;

    if (c < 0x80) {
        if (cp)
            *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        k = 2, c &= 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, c &= 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, c &= 0x07, min = 0x10000;
    else
        return 0;
    if (n < k)
        return 0;
    for (i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    if (cp)
        *cp = c;
    return k;
}

/* ---- reading a descriptor ---- */

ssize_t vault__read_full(int fd, void *buf, size_t len)
{
    size_t have = 0;

    while (have < len) {
        ssize_t n = read(fd, (unsigned char *)buf + have, len - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        have += (size_t)n;
    }
    return (ssize_t)have;
}

int vault__write_full(int fd, const void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, (const unsigned char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}
