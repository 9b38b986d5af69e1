/* SPDX-License-Identifier: Apache-2.0 */
/* What the benchmark programs share: a monotonic clock, the median of
 * samples, the checksum of the plaintexts they recover, and reading the
 * one-value-per-line input files. Header-only so that vault_floor links
 * nothing of libvault. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_RUNS 64

static inline double bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts the samples; the median of an even count is the mean of the middle two. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* FNV-1a 64 over each plaintext followed by '\n', in input order: the
 * programs (ours, the floor, Java) must all print the same value. */
#define BENCH_FNV_INIT UINT64_C(0xcbf29ce484222325)

static inline uint64_t bench_fnv(uint64_t h, const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    h ^= '\n';
    return h * UINT64_C(0x100000001b3);
}

/* The lines of a file (without their line ends), in one buffer. */
typedef struct bench_lines {
    char *buf;
    char **line;
    size_t count;
} bench_lines;

static inline void bench_lines_free(bench_lines *l)
{
    free(l->buf);
    free(l->line);
    memset(l, 0, sizeof *l);
}

static inline int bench_lines_read(bench_lines *l, const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 0, len = 0, n, i, start = 0;
    char chunk[65536];
    int rc = -1;

    memset(l, 0, sizeof *l);
    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            char *b;
            cap = (len + n + 1) * 2;
            if (!(b = realloc(l->buf, cap)))
                goto done;
            l->buf = b;
        }
        memcpy(l->buf + len, chunk, n);
        len += n;
    }
    if (!l->buf && !(l->buf = calloc(1, 1)))
        goto done;
    l->buf[len] = '\0';
    for (i = 0; i <= len; i++) {
        char **nl;
        if (i < len && l->buf[i] != '\n')
            continue;
        if (i == len && start == len)
            break;
        l->buf[i] = '\0';
        if (i > start && l->buf[i - 1] == '\r')
            l->buf[i - 1] = '\0';
        if (!(nl = realloc(l->line, (l->count + 1) * sizeof *nl)))
            goto done;
        l->line = nl;
        l->line[l->count++] = l->buf + start;
        start = i + 1;
    }
    rc = 0;
done:
    fclose(f);
    if (rc != 0)
        bench_lines_free(l);
    return rc;
}

/* Parse "--runs N" style counts: 1..max, else -1. */
static inline int bench_count(const char *s, int max)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= 1 && v <= max ? (int)v : -1;
}

#endif
