/* SPDX-License-Identifier: Apache-2.0 */
/* One allocation hook for the library, so tests can fail the Nth allocation. */
#include "internal.h"

#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

static atomic_ulong alloc_count;
static atomic_ulong alloc_fail_at;

unsigned long vault__test_alloc_fail_at(unsigned long nth)
{
    unsigned long seen = atomic_exchange(&alloc_count, 0);
    atomic_store(&alloc_fail_at, nth);
    return seen;
}

static int should_fail(void)
{
    unsigned long n = atomic_fetch_add(&alloc_count, 1) + 1;
    unsigned long at = atomic_load(&alloc_fail_at);
    return at != 0 && n == at;
}

void *vault__malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *vault__calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *vault__realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void *vault__secure_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return sodium_malloc(n);
}

char *vault__strndup(const char *s, size_t n)
{
    char *d = vault__malloc(n + 1);
    if (d) {
        if (n) /* s may be NULL when n is 0 (an empty memory BIO's data) */
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *vault__strdup(const char *s)
{
    return vault__strndup(s, strlen(s));
}

void vault__free_ptr(void *p)
{
    free(p);
}

void vault_string_free(char *str)
{
    free(str);
}
