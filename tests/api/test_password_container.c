/* SPDX-License-Identifier: Apache-2.0 */
/* Password sources through the public headers: a container secret (a file
 * of root's that others may read) is taken only with
 * VAULT_PASSWORD_FILE_ROOT_SHARED, and version 1 structures still work. */
#include <vault.h>
#include <vault/vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *secret_file(mode_t mode, uid_t owner)
{
    const char *path = test_path("keystore-password");
    test_write_text("keystore-password", "container-pw\nkey-pw\n");
    cr_assert_eq(chmod(path, mode), 0);
    cr_assert_eq(chown(path, owner, (gid_t)-1), 0);
    return path;
}

static int read_with(unsigned int version, unsigned int flags, const char *path, vault_secret **store,
                     vault_secret **key)
{
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    src.version = version;
    src.file = path;
    src.flags = flags;
    return vault_password_from_sources(store, key, &src);
}

static void need_root(void)
{
    if (geteuid() != 0)
        cr_skip_test("the file must be owned by root: run as root");
}

Test(password_container, refused_without_the_flag)
{
    vault_secret *store = NULL, *key = NULL;
    const char *path;

    need_root();
    path = secret_file(0444, 0);
    cr_assert_eq(read_with(VAULT_PASSWORD_SOURCES_VERSION, 0, path, &store, &key), VAULT_EPERM);
    cr_assert(strstr(vault_error_last()->message, "0444"), "%s", vault_error_last()->message);
    cr_assert_null(store);
}

Test(password_container, taken_with_the_flag)
{
    static const mode_t modes[] = {0444, 0644, 0440, 0400};
    vault_secret *store = NULL, *key = NULL;
    size_t i;

    need_root();
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        const char *path = secret_file(modes[i], 0);
        cr_assert_eq(read_with(VAULT_PASSWORD_SOURCES_VERSION, VAULT_PASSWORD_FILE_ROOT_SHARED, path, &store,
                               &key), 0, "mode %04o: %s", (unsigned)modes[i], vault_error_last()->message);
        cr_assert_eq(vault_secret_len(store), strlen("container-pw"));
        cr_assert_eq(memcmp(vault_secret_data(store), "container-pw", vault_secret_len(store)), 0);
        cr_assert_eq(vault_secret_len(key), strlen("key-pw"));
        vault_secret_free(store);
        vault_secret_free(key);
        store = key = NULL;
    }
}

Test(password_container, never_writable_by_others_nor_another_owner)
{
    static const mode_t writable[] = {0666, 0646, 0464};
    vault_secret *store = NULL, *key = NULL;
    size_t i;

    need_root();
    for (i = 0; i < sizeof writable / sizeof writable[0]; i++) {
        const char *path = secret_file(writable[i], 0);
        cr_assert_eq(read_with(VAULT_PASSWORD_SOURCES_VERSION, VAULT_PASSWORD_FILE_ROOT_SHARED, path, &store,
                               &key), VAULT_EPERM, "mode %04o", (unsigned)writable[i]);
        cr_assert_null(store);
    }
    /* Root's process reading a file of another user: not a container secret. */
    cr_assert_eq(read_with(VAULT_PASSWORD_SOURCES_VERSION, VAULT_PASSWORD_FILE_ROOT_SHARED,
                           secret_file(0444, 65534), &store, &key), VAULT_EPERM);
    cr_assert(strstr(vault_error_last()->message, "uid 65534"), "%s", vault_error_last()->message);
}

Test(password_container, version_1_has_no_flags)
{
    vault_secret *store = NULL, *key = NULL;
    const char *path = test_path("v1-password");

    test_write_text("v1-password", "v1-pw\n");
    cr_assert_eq(chmod(path, 0600), 0);
    /* A version 1 caller's struct ends before flags: whatever lies there is ignored. */
    cr_assert_eq(read_with(1, 0x80, path, &store, &key), 0, "%s", vault_error_last()->message);
    cr_assert_eq(vault_secret_len(store), strlen("v1-pw"));
    vault_secret_free(store);
    vault_secret_free(key);
    if (geteuid() == 0) {
        store = key = NULL;
        cr_assert_eq(read_with(1, VAULT_PASSWORD_FILE_ROOT_SHARED, secret_file(0444, 0), &store, &key),
                     VAULT_EPERM);
    }
}

Test(password_container, unknown_flags_and_versions_refused)
{
    vault_secret *store = NULL, *key = NULL;
    const char *path = test_path("any-password");

    test_write_text("any-password", "pw\n");
    cr_assert_eq(chmod(path, 0600), 0);
    cr_assert_eq(read_with(VAULT_PASSWORD_SOURCES_VERSION, 0x80, path, &store, &key), VAULT_EINVAL);
    cr_assert_eq(read_with(VAULT_PASSWORD_SOURCES_VERSION + 1, 0, path, &store, &key), VAULT_EINVAL);
    cr_assert_null(store);
}
