/* Internal helpers shared by every file of libvault. */
#ifndef VAULT_INTERNAL_H
#define VAULT_INTERNAL_H

#include "vault.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#define VAULT_UNUSED(x) ((void)(x))

#if defined(__GNUC__)
#  define VAULT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define VAULT_PRINTF(a, b)
#endif

/* Record the detail of a failure on this thread and return code. */
int vault_err(int code, const char *fmt, ...) VAULT_PRINTF(2, 3);

/* As vault_err(), appending the reason OpenSSL queued (and clearing it). */
int vault_err_ssl(int code, const char *fmt, ...) VAULT_PRINTF(2, 3);

/* Allocation through one hook so that tests can fail the Nth allocation. */
void *vault_malloc(size_t n);
void *vault_calloc(size_t n, size_t size);
void *vault_realloc(void *p, size_t n);
char *vault_strdup(const char *s);
void *vault_secure_malloc(size_t n); /* sodium_malloc through the hook */
char *vault_strndup(const char *s, size_t n);
void vault_free_ptr(void *p);

/* Test hook: fail the nth allocation from now (1 = the next); 0 disables.
 * Returns the number of allocations counted since the last call. */
unsigned long vault_test_alloc_fail_at(unsigned long nth);

/* A guarded secret allocated but not yet sealed read-only. */
int vault_secret_alloc(vault_secret **out, size_t len, unsigned char **data);
void vault_secret_seal(vault_secret *s);

/* Read a whole file (at most max bytes) into malloc'ed memory. */
int vault_read_file(const char *path, size_t max, unsigned char **data, size_t *len);

/* ASCII case-insensitive compare, as Java's alias matching. */
int vault_strcaseeq(const char *a, const char *b);

/* The same on n bytes of each (no NUL needed). */
int vault_strncaseeq(const char *a, const char *b, size_t n);

/* The value of a hex digit, or -1. */
int vault_hex_digit(int c);

/* Lower-case hex of bytes into out (2*n+1). */
void vault_hex(char *out, const unsigned char *in, size_t n, int upper);

#endif
