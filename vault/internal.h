/* SPDX-License-Identifier: Apache-2.0 */
/* Internal helpers shared by every file of libvault. */
#ifndef VAULT_INTERNAL_H
#define VAULT_INTERNAL_H

#include "vault.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#define VAULT_UNUSED(x) ((void)(x))

#if defined(__GNUC__)
#  define VAULT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define VAULT_PRINTF(a, b)
#endif

/* Record the detail of a failure on this thread and return code. */
int vault__err(int code, const char *fmt, ...) VAULT_PRINTF(2, 3);

/* As vault__err(), with a cause (VAULT_CAUSE_*) a caller can act on. */
int vault__err_cause(int code, int cause, const char *fmt, ...) VAULT_PRINTF(3, 4);

/* The one out-of-memory failure: records VAULT_ENOMEM with the message
 * "out of memory" (no formatting, nothing allocated) and returns it.
 * Inline so that the compiler sees the non-zero result at every caller. */
void vault__oom_record(void);
static inline int vault__oom(void)
{
    vault__oom_record();
    return VAULT_ENOMEM;
}

/* vault_init() without counting: what every entry point calls first. */
int vault__ensure_init(void);

/* As vault__err(), appending the reason OpenSSL queued (and clearing it). */
int vault__err_ssl(int code, const char *fmt, ...) VAULT_PRINTF(2, 3);

/* Allocation through one hook so that tests can fail the Nth allocation. */
void *vault__malloc(size_t n);
void *vault__calloc(size_t n, size_t size);
void *vault__realloc(void *p, size_t n);
char *vault__strdup(const char *s);
void *vault__secure_malloc(size_t n); /* sodium_malloc through the hook */
char *vault__strndup(const char *s, size_t n);
void vault__free_ptr(void *p);

/* Test hook: fail the nth allocation from now (1 = the next); 0 disables.
 * Returns the number of allocations counted since the last call. */
unsigned long vault__test_alloc_fail_at(unsigned long nth);

/* Before using a cipher or digest (OpenSSL NIDs; NID_undef for none) that
 * a keystore names: OpenSSL's legacy provider (RC2, RC4, DES, MD4, ...) is
 * loaded the first time the default one lacks such an algorithm, and never
 * in a process that meets none. Thread-safe. */
void vault__need_algorithms(int cipher_nid, int md_nid);

/* A guarded secret allocated but not yet sealed read-only. */
int vault__secret_alloc(vault_secret **out, size_t len, unsigned char **data);
void vault__secret_seal(vault_secret *s);

/* Guarded storage for many secrets (secret_store.c): a few large
 * sodium_malloc chunks instead of one guarded region (pages, mlock and
 * several mappings) per secret, with a fixed number of slots. The secrets
 * handed out of a slot (views) share the chunk: making one costs no system
 * call. The store lives until its owner released it and every view and
 * pending secret is freed. Filling (vault_store_alloc, vault__store_keep)
 * is for one thread at a time; views may be made and freed from any. */
typedef struct vault_store vault_store;

int vault__store_new(vault_store **out, size_t slots);

/* A store without slots whose secrets are handed out loose, for callers
 * that open many values one by one (vault_opener_open): each secret is a
 * slice of the newest chunk, wiped when freed, and the chunk's room is
 * used again once every secret in it is freed. No system call per secret
 * while the newest chunk has room; a full chunk that still holds secrets
 * is made read-only. Thread-safe. vault__store_release() when done. */
int vault__store_pool_new(vault_store **out);

/* A secret of len bytes inside st, writable until it is kept (or freed,
 * which wipes it); vault__secret_seal() does nothing to it. One at a time.
 * In a pool: a loose secret for the caller to free, any number at a time.
 * st NULL: an ordinary guarded secret (vault__secret_alloc). */
int vault__secret_alloc_in(vault_store *st, vault_secret **out, size_t len, unsigned char **data);

/* Keep secret s in slot (empty until now); takes s in every case. A secret
 * from vault__secret_alloc_in(st) stays where it is; any other is copied in
 * and freed. */
int vault__store_keep(vault_store *st, size_t slot, vault_secret *s);

/* The bytes kept in slot (read-only, NUL-terminated), NULL when empty. */
const unsigned char *vault__store_data(const vault_store *st, size_t slot, size_t *len);

/* A new secret sharing the bytes of slot (kept), for a caller to free. */
int vault__store_view(vault_store *st, size_t slot, vault_secret **out);

/* Every chunk read-only from now on; later filling opens a chunk only for
 * the time of one write. Call once the bulk of the filling is done. */
void vault__store_readonly(vault_store *st);

/* The owner is done: the slots no view holds are wiped now, the rest when
 * their last view is freed. NULL-safe. */
void vault__store_release(vault_store *st);

/* Openers write the secrets they open into st (borrowed) from now on. */
void vault__opener_set_store(vault_opener *o, vault_store *st);

/* The keystore an opener reads RSA keys from (NULL: an AES key only) and
 * the key alias it was given (NULL: the only key entry). */
const vault_keystore *vault__opener_keystore(const vault_opener *o, const char **key_alias);

/* Read a whole regular file (at most max bytes) into malloc'ed memory; a
 * FIFO, device or directory is refused at once, without blocking. */
int vault__read_file(const char *path, size_t max, unsigned char **data, size_t *len);

/* The same, also giving the fstat of what was read (st may be NULL). */
struct stat;
int vault__read_file_stat(const char *path, size_t max, unsigned char **data, size_t *len,
                         struct stat *st_out);

/* Wipe the first len bytes of p (a file's text that may hold a secret),
 * then free it. NULL-safe. */
void vault__free_wiped(void *p, size_t len);

/* "a FIFO", "a directory", ...: what a non-regular file is, for messages. */
const char *vault__file_kind(unsigned int mode);

/* A shared library loaded on first use: its functions' addresses written
 * into a table of function pointers, each at its offset. */
typedef struct vault_dl_sym {
    size_t offset;
    const char *name;
} vault_dl_sym;

/* dlopen soname and bind every symbol into table, or none: returns the
 * handle (kept for the life of the process), or NULL with the reason in err. */
void *vault__dl_bind(const char *soname, void *table, const vault_dl_sym *syms, size_t count,
                    char *err, size_t err_len);

/* Open path for reading (O_NONBLOCK|O_NOCTTY: a FIFO or a terminal never
 * blocks) and judge it on the descriptor: *fd_out and *st when it is a
 * regular file, else an error naming path (ENOTFOUND, EPERM, EIO). */
int vault__open_regular(const char *path, int *fd_out, struct stat *st);

/* vault_password_from_file() with VAULT_PASSWORD_FILE_ROOT_SHARED among
 * flags: a root-owned file that only root can write may be readable by
 * others. */
int vault__password_file_read(vault_secret **out, vault_secret **key_out, const char *path,
                             unsigned int flags);

/* vault__password_file_read() flag: *out receives the whole file, every
 * byte kept (a raw key file), not its first line. */
#define VAULT__FILE_WHOLE 0x10000u

/* DIR/NAME in memory to free (path.c): NAME alone when it is absolute or
 * DIR is empty, one '/' between them (none added after a DIR ending in
 * '/'). VAULT_EINVAL naming both when the result would reach PATH_MAX;
 * VAULT_ENOMEM. */
int vault__path_join(char **out, const char *dir, const char *name);

/* ASCII case-insensitive compare, as Java's alias matching. */
int vault__strcaseeq(const char *a, const char *b);

/* The same on n bytes of each (no NUL needed). */
int vault__strncaseeq(const char *a, const char *b, size_t n);

/* The value of a hex digit, or -1. */
int vault__hex_digit(int c);

/* Lower-case hex of bytes into out (2*n+1). */
void vault__hex(char *out, const unsigned char *in, size_t n, int upper);

/* A bounded big-endian reader over left bytes at p (bytes.c). */
typedef struct vault_rd {
    const unsigned char *p;
    size_t left;
} vault_rd;

/* Take n bytes: 0 with *out at them, or -1 when fewer are left (*out NULL). */
int vault__rd_take(vault_rd *r, size_t n, const unsigned char **out);

/* An n-byte (at most 8) big-endian number: 0, or -1 with *v zero. */
int vault__rd_uint(vault_rd *r, size_t n, uint64_t *v);
int vault__rd_u8(vault_rd *r, unsigned *v);
int vault__rd_u32(vault_rd *r, uint32_t *v);

/* The n-byte (at most 8) big-endian number at p. */
uint64_t vault__be_get(const unsigned char *p, size_t n);

/* Write the low n bytes of v at p, big-endian. */
void vault__be_put(unsigned char *p, uint64_t v, size_t n);

/* Write code point cp (at most U+10FFFF) as UTF-8 at out (4 bytes room);
 * returns the number of bytes. */
size_t vault__utf8_put(unsigned char *out, unsigned long cp);

/* The length (1 to 4) of the strict UTF-8 character at s, n > 0 bytes
 * there, and its code point in *cp (when cp is not NULL); 0 when the bytes
 * are not one (overlong forms, surrogates, above U+10FFFF, truncated). */
size_t vault__utf8_next(const unsigned char *s, size_t n, unsigned long *cp);

/* Read len bytes from fd, or up to end of file: the number read, or -1
 * with errno set; EINTR is retried. */
ssize_t vault__read_full(int fd, void *buf, size_t len);

/* Write all len bytes to fd: 0, or -1 with errno set (EIO when nothing
 * could be written); EINTR is retried. */
int vault__write_full(int fd, const void *buf, size_t len);

#endif
