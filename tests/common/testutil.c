/* SPDX-License-Identifier: Apache-2.0 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <vault.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *shared_path(const char *rel)
{
    static char buf[8][4096];
    static int next;
    const char *root = getenv("VAULT_SHARED");
    char *out = buf[next++ % 8];
    struct stat st;

    if (!root)
        root = "../shared";
    /* Without the shared test material a test that needs it is skipped,
     * with the reason, rather than failed; the rest still run. */
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        cr_skip_test("the shared test material (%s) is not there", root);
    snprintf(out, sizeof buf[0], "%s/%s", root, rel);
    return out;
}

static char tmpdir[4096];

static void remove_tmpdir(void)
{
    char cmd[4200];
    if (tmpdir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
}

const char *test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/vault-test-XXXXXX", base ? base : "/tmp");
        cr_assert(mkdtemp(tmpdir) != NULL, "mkdtemp failed");
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, r;
    cr_assert(f != NULL, "cannot open %s", path);
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap + 1);
            cr_assert(buf != NULL);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    chmod(path, 0600);
}

int run_capture(const char *cmd, unsigned char **out, size_t *out_len)
{
    FILE *p = popen(cmd, "r");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, r;
    int st;
    if (!p)
        return -1;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap + 1);
        }
        r = fread(buf + n, 1, cap - n, p);
        n += r;
    } while (r > 0);
    buf[n] = '\0';
    st = pclose(p);
    if (out) {
        *out = buf;
        *out_len = n;
    } else {
        free(buf);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

unsigned char *pem_to_der(const char *pem, size_t *len)
{
    const char *b = strstr(pem, "-----BEGIN");
    const char *e;
    unsigned char *out;
    char *clean;
    size_t i, n = 0;
    int dl;
    cr_assert(b != NULL, "no PEM block");
    b = strchr(b, '\n');
    cr_assert(b != NULL);
    e = strstr(b, "-----END");
    cr_assert(e != NULL);
    clean = malloc((size_t)(e - b) + 1);
    for (i = 0; b + i < e; i++)
        if (b[i] != '\n' && b[i] != '\r' && b[i] != ' ')
            clean[n++] = b[i];
    clean[n] = '\0';
    out = malloc(n);
    dl = EVP_DecodeBlock(out, (unsigned char *)clean, (int)n);
    cr_assert(dl >= 0);
    while (n > 0 && clean[n - 1] == '=') {
        dl--;
        n--;
    }
    free(clean);
    *len = (size_t)dl;
    return out;
}

size_t test_count_temps(const char *dir, const char *base)
{
    char prefix[512];
    struct dirent *de;
    size_t n = 0;
    DIR *d = opendir(dir);

    snprintf(prefix, sizeof prefix, ".%s.tmp-", base);
    cr_assert_not_null(d, "cannot open %s", dir);
    while ((de = readdir(d)) != NULL)
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

int have_program(const char *name)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

const char *test_errmsg(void)
{
    const vault_error *e = vault_error_last();
    return e ? e->message : "(no error)";
}

const char *test_path(const char *name)
{
    static char buf[8][4096];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

void test_write_text(const char *name, const char *text)
{
    spit(test_path(name), text, strlen(text));
}

unsigned char *test_sh_out(size_t *len, const char *fmt, ...)
{
    char cmd[16384], full[17000];
    unsigned char *out = NULL;
    size_t n = 0;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && ( %s ) 2>>'%s/stderr.log'", test_tmpdir(), cmd,
             test_tmpdir());
    rc = run_capture(full, &out, &n);
    cr_assert_eq(rc, 0, "command failed (%d): %s", rc, cmd);
    if (len)
        *len = n;
    return out;
}

void pem_split(const char *text, der_list *out)
{
    const char *p = text;
    out->n = 0;
    while ((p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL) {
        cr_assert_lt(out->n, 16);
        out->der[out->n] = pem_to_der(p, &out->len[out->n]);
        out->n++;
        p = strstr(p, "-----END");
        cr_assert_not_null(p);
        p += 8;
    }
}

void pem_file_split(const char *path, der_list *out)
{
    size_t len;
    char *text = (char *)slurp(path, &len);
    pem_split(text, out);
    free(text);
}

void der_list_free(der_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->der[i]);
    l->n = 0;
}

int tu_code_of(const char *name)
{
    if (strcmp(name, "EFORMAT") == 0)
        return VAULT_EFORMAT;
    if (strcmp(name, "EAUTH") == 0)
        return VAULT_EAUTH;
    if (strcmp(name, "EKEY") == 0)
        return VAULT_EKEY;
    cr_assert_fail("unknown expectation %s in a known-answer table", name);
    return 0;
}
