/* Guarded secrets, passwords from files and descriptors, the error model. */
#include "internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

Test(secret, copies_and_terminates)
{
    vault_secret *s = NULL;
    cr_assert_eq(vault_secret_new(&s, "abc", 3), 0);
    cr_assert_eq(vault_secret_len(s), 3);
    cr_assert_str_eq(vault_secret_str(s), "abc");
    vault_secret_free(s);
    vault_secret_free(NULL);
    cr_assert_eq(vault_secret_len(NULL), 0);
    cr_assert_null(vault_secret_data(NULL));
}

Test(secret, readonly_once_filled, .signal = SIGSEGV)
{
    vault_secret *s = NULL;
    cr_assert_eq(vault_secret_new(&s, "abc", 3), 0);
    ((unsigned char *)vault_secret_data(s))[0] = 'x';
}

Test(secret, guard_page_after_end, .signal = SIGSEGV)
{
    vault_secret *s = NULL;
    unsigned char *p;
    cr_assert_eq(vault_secret_alloc(&s, 5, &p), 0);
    p[6] = 1; /* one past the allocation (5 bytes + NUL) */
}

Test(secret, failed_allocation_is_enomem)
{
    vault_secret *s = NULL;
    vault_test_alloc_fail_at(1);
    cr_assert_eq(vault_secret_new(&s, "abc", 3), VAULT_ENOMEM);
    cr_assert_null(s);
    vault_test_alloc_fail_at(2);
    cr_assert_eq(vault_secret_new(&s, "abc", 3), VAULT_ENOMEM);
    cr_assert_null(s);
    vault_test_alloc_fail_at(0);
    cr_assert_eq(vault_secret_new(&s, "abc", 3), 0);
    vault_secret_free(s);
}

static const char *write_pw(const char *name, const char *text, mode_t mode)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    spit(path, text, strlen(text));
    chmod(path, mode);
    return path;
}

Test(password, file_first_and_second_line)
{
    vault_secret *pw = NULL, *key = NULL;
    const char *p = write_pw("two", "store pass\r\nkey pass\n", 0600);
    cr_assert_eq(vault_password_from_file(&pw, &key, p), 0);
    cr_assert_str_eq(vault_secret_str(pw), "store pass");
    cr_assert_str_eq(vault_secret_str(key), "key pass");
    vault_secret_free(pw);
    vault_secret_free(key);
    p = write_pw("one", "only", 0400);
    cr_assert_eq(vault_password_from_file(&pw, &key, p), 0);
    cr_assert_str_eq(vault_secret_str(pw), "only");
    cr_assert_null(key);
    vault_secret_free(pw);
}

Test(password, file_readable_by_others_is_refused)
{
    vault_secret *pw = NULL;
    const char *p = write_pw("open", "x\n", 0644);
    cr_assert_eq(vault_password_from_file(&pw, NULL, p), VAULT_EPERM);
    cr_assert_null(pw);
    cr_assert(strstr(vault_error_last()->message, "0644") != NULL, "%s", vault_error_last()->message);
    cr_assert(strstr(vault_error_last()->message, p) != NULL);
    p = write_pw("group", "x\n", 0640);
    cr_assert_eq(vault_password_from_file(&pw, NULL, p), VAULT_EPERM);
}

Test(password, file_missing_empty_symlink)
{
    vault_secret *pw = NULL;
    char link[4096];
    const char *p = write_pw("empty", "", 0600);
    cr_assert_eq(vault_password_from_file(&pw, NULL, p), VAULT_EFORMAT);
    cr_assert_eq(vault_password_from_file(&pw, NULL, "/nonexistent/pw"), VAULT_ENOTFOUND);
    p = write_pw("target", "x", 0600);
    snprintf(link, sizeof link, "%s/link", test_tmpdir());
    cr_assert_eq(symlink(p, link), 0);
    cr_assert_eq(vault_password_from_file(&pw, NULL, link), VAULT_EIO);
}

Test(password, descriptor_reads_one_line)
{
    int fds[2];
    vault_secret *pw = NULL;
    char rest[16] = "";
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], "pässword\nnext", 14), 14);
    close(fds[1]);
    cr_assert_eq(vault_password_from_fd(&pw, fds[0]), 0);
    cr_assert_str_eq(vault_secret_str(pw), "pässword");
    cr_assert_eq(read(fds[0], rest, sizeof rest - 1), 4);
    cr_assert_str_eq(rest, "next");
    close(fds[0]);
    vault_secret_free(pw);
}

Test(error, strerror_and_last)
{
    cr_assert_str_eq(vault_strerror(VAULT_EAUTH), "wrong password or tampered data");
    cr_assert_eq(vault_err(VAULT_EKEY, "file %s", "x"), VAULT_EKEY);
    cr_assert_eq(vault_error_last()->code, VAULT_EKEY);
    cr_assert_str_eq(vault_error_last()->message, "file x");
    vault_error_clear();
    cr_assert_null(vault_error_last());
}
