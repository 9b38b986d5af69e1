/* SPDX-License-Identifier: Apache-2.0 */
/* vault__replace_file() with old_digest: a streamed replacement whose
 * caller let the file's text go checks the file as read by its digest,
 * before the first byte is written and again before the rename. A file
 * changed meanwhile, even by one byte at the same length, is kept as it
 * is and the temporary file removed. */
#include "conf_internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char old_text[] = "[secrets]\na = \"[one]\"\nb = \"[two]\"\n";
static const char new_text[] = "[secrets]\na = \"N1\"\nb = \"N2\"\n";

typedef struct job {
    const char *path;
    const char *edit; /* written over the target while the new text is streamed */
    long edit_at;     /* at this offset; -1: appended */
    int verified;
} job;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    cr_assert_eq(fclose(f), 0);
}

static char *contents(const char *path)
{
    size_t len;
    return (char *)slurp(path, &len);
}

static int fill(vault_sink *sink, void *payload)
{
    job *j = payload;
    int rc = vault__sink_write(sink, new_text, 10);

    if (rc == 0 && j->edit) {
        FILE *f = fopen(j->path, j->edit_at < 0 ? "ab" : "r+b");
        cr_assert_not_null(f);
        if (j->edit_at >= 0)
            cr_assert_eq(fseek(f, j->edit_at, SEEK_SET), 0);
        fputs(j->edit, f);
        cr_assert_eq(fclose(f), 0);
    }
    return rc != 0 ? rc : vault__sink_write(sink, new_text + 10, strlen(new_text) - 10);
}

static int verify_owned(unsigned char *data, size_t len, void *payload)
{
    job *j = payload;
    int same = len == strlen(new_text) && memcmp(data, new_text, len) == 0;

    vault__free_wiped(data, len + 1);
    j->verified++;
    return same ? 0 : VAULT_ERROR;
}

/* Replace dir/deployment.toml, read as old_text, while j->edit changes it. */
static int replace(const char *dir, job *j)
{
    static char path[4096];
    unsigned char digest[crypto_generichash_BYTES];
    vault_replace_opts ro;

    snprintf(path, sizeof path, "%s/deployment.toml", dir);
    write_file(path, old_text);
    j->path = path;
    crypto_generichash(digest, sizeof digest, (const unsigned char *)old_text, strlen(old_text), NULL, 0);
    memset(&ro, 0, sizeof ro);
    ro.mode = 0600;
    ro.fill = fill;
    ro.verify_owned = verify_owned;
    ro.payload = j;
    ro.old_digest = digest;
    ro.old_len = strlen(old_text);
    return vault__replace_file(path, NULL, 0, &ro);
}

static const char *fresh_dir(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", test_tmpdir(), name);
    cr_assert_eq(mkdir(buf, 0755), 0, "mkdir %s: %s", buf, strerror(errno));
    return buf;
}

/* Only the target is left in dir: no temporary file. */
static void only_target(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            cr_assert_str_eq(e->d_name, "deployment.toml", "left behind: %s", e->d_name);
            n++;
        }
    closedir(d);
    cr_assert_eq(n, 1);
}

Test(replace_digest, replaces_the_file_read)
{
    job j = {0};
    const char *dir = fresh_dir("same");
    char *now;

    cr_assert_eq(replace(dir, &j), 0, "%s", vault_error_last()->message);
    cr_assert_eq(j.verified, 1);
    now = contents(j.path);
    cr_assert_str_eq(now, new_text);
    free(now);
    only_target(dir);
}

Test(replace_digest, refuses_a_file_changed_under_the_run)
{
    static const struct {
        const char *name, *edit;
        long at;
    } cases[] = {
        {"appended", "# edited\n", -1},
        {"same-length", "X", 17}, /* "[one]" becomes "[oXe]": the length alone would not see it */
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        job j = {0};
        const char *dir = fresh_dir(cases[i].name);
        char *now, want[256];
        int rc;

        j.edit = cases[i].edit;
        j.edit_at = cases[i].at;
        rc = replace(dir, &j);
        cr_assert_eq(rc, VAULT_ERROR, "%s: replaced", cases[i].name);
        cr_assert_not_null(strstr(vault_error_last()->message, "changed since it was read"), "%s: %s",
                           cases[i].name, vault_error_last()->message);
        now = contents(j.path);
        if (cases[i].at < 0) {
            snprintf(want, sizeof want, "%s%s", old_text, cases[i].edit);
        } else {
            snprintf(want, sizeof want, "%s", old_text);
            want[cases[i].at] = cases[i].edit[0];
        }
        cr_assert_str_eq(now, want, "%s: the file is not as the other writer left it", cases[i].name);
        free(now);
        only_target(dir);
    }
}
