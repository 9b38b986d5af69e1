/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the C tests. */
#ifndef VAULT_TESTUTIL_H
#define VAULT_TESTUTIL_H

#include <stddef.h>

/* Path of a file under the shared test material (static buffer). */
const char *shared_path(const char *rel);

/* A fresh private temporary directory, removed at exit. */
const char *test_tmpdir(void);

/* Read a whole file; aborts the test on failure. Caller frees. */
unsigned char *slurp(const char *path, size_t *len);

/* Write bytes to a file (mode 0600). */
void spit(const char *path, const void *data, size_t len);

/* Run a shell command, capturing stdout into a malloc'ed buffer (may be
 * NULL). Returns the exit status, or -1. */
int run_capture(const char *cmd, unsigned char **out, size_t *out_len);

/* Decode PEM "-----BEGIN label-----" base64 body to DER; caller frees. */
unsigned char *pem_to_der(const char *pem, size_t *len);

/* The certificates of a PEM text, in order, as DER (at most 16). */
typedef struct der_list {
    unsigned char *der[16];
    size_t len[16];
    size_t n;
} der_list;

void pem_split(const char *text, der_list *out);
void pem_file_split(const char *path, der_list *out);
void der_list_free(der_list *l);

/* The message of the last libvault error on this thread, or "(no error)". */
const char *test_errmsg(void);

/* A path in test_tmpdir() (one of 8 rotating static buffers). */
const char *test_path(const char *name);

/* Write text to test_path(name), mode 0600. */
void test_write_text(const char *name, const char *text);

/* Run a shell command in test_tmpdir() (stderr appended to stderr.log
 * there); the test fails when it exits non-zero. Returns its stdout (the
 * caller frees) and its length in *len when len is not NULL. */
unsigned char *test_sh_out(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* test_sh_out() for a command whose output is not wanted. */
#define test_sh(...) free(test_sh_out(NULL, __VA_ARGS__))

/* How many temporary files of an atomic replacement of dir/base
 * (".BASE.tmp-*") are in dir. */
size_t test_count_temps(const char *dir, const char *base);

/* Whether a program is on PATH. */
int have_program(const char *name);

/* The return code a known-answer table names: EFORMAT, EAUTH or EKEY. */
int tu_code_of(const char *name);

#endif
