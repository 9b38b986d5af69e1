/* SPDX-License-Identifier: Apache-2.0 */
/* Keystore passwords from an ordered list of sources: the caller's callback,
 * a descriptor, the WSO2 root password files, systemd credentials, an
 * opted-in variable, an opted-in terminal; and a provider callback over them. */
#include "internal.h"
#include "vault/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_BUF 4096

/* The placeholder path given to the caller's callback when no keystore is
 * known yet (vault_password_from_sources() called on its own). */
static const char no_keystore_path[] = "keystore";

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Overwrite a regular file with zeros of its length and fsync it, so that
 * the password does not survive in the blocks of a deleted file (or in a
 * hard link to it). Best effort: a file we may not write is still deleted. */
static void zero_file(const char *path)
{
    unsigned char zeros[4096] = {0};
    struct stat st;
    off_t left;
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    for (left = st.st_size; left > 0;) {
        size_t chunk = left > (off_t)sizeof zeros ? sizeof zeros : (size_t)left;
        if (vault__write_full(fd, zeros, chunk) != 0)
            break;
        left -= (off_t)chunk;
    }
    (void)fsync(fd);
    close(fd);
}

/* One root password file as WSO2 reads it: the first line is the store
 * and the key password; with -Dkey.password=true (VAULT_PASSWORD_HOME_KEY_LINE)
 * the second line is the key password and must be there. */
static int read_root_file(vault_secret **store, vault_secret **key, const char *path, unsigned int flags)
{
    vault_secret *second = NULL;
    int rc = vault_password_from_file(store, (flags & VAULT_PASSWORD_HOME_KEY_LINE) ? &second : NULL, path);

    if (rc != 0)
        return rc;
    if ((flags & VAULT_PASSWORD_HOME_KEY_LINE) && !second) {
        vault_secret_free(*store);
        *store = NULL;
        return vault__err(VAULT_EFORMAT, "%s: no second line, which holds the private key's password when "
                         "the key password is asked for (-Dkey.password=true)", path);
    }
    if (key)
        *key = second;
    else
        vault_secret_free(second);
    return 0;
}

/* password-tmp: read, overwrite, delete. */
static int consume_tmp(vault_secret **store, vault_secret **key, const char *home, const char *path,
                       unsigned int flags)
{
    int rc = read_root_file(store, key, path, flags);
    if (rc != 0 || (flags & VAULT_PASSWORD_HOME_PERSIST))
        return rc;
    zero_file(path);
    if (unlink(path) != 0 && errno != ENOENT) {
        int e = errno;
        vault_secret_free(*store);
        *store = NULL;
        if (key) {
            vault_secret_free(*key);
            *key = NULL;
        }
        return vault__err(VAULT_EIO, "%s: cannot delete the password file: %s", path, strerror(e));
    }
    fsync_dir(home);
    return 0;
}

/* The WSO2 root password files of a product home, in the order the
 * server's start-up uses them (carbon-kernel's DefaultSecretCallbackHandler):
 * `password` is read and renamed to `password-tmp` (a restart of the server
 * reads that one, which is then deleted); `password-tmp` is read, wiped and
 * deleted; `password-persist` is read. VAULT_ENOTFOUND when there is none. */
static int from_home(vault_secret **store, vault_secret **key, const char *home, unsigned int flags)
{
    char *plain = NULL, *tmp = NULL, *persist = NULL;
    struct stat st;
    int rc;

    if ((rc = vault__path_join(&plain, home, "password")) != 0 ||
        (rc = vault__path_join(&tmp, home, "password-tmp")) != 0 ||
        (rc = vault__path_join(&persist, home, "password-persist")) != 0)
        goto done;
    if (lstat(plain, &st) == 0) {
        /* Read first: a file others can read is refused (its mode shown)
         * and left where the operator put it. */
        rc = read_root_file(store, key, plain, flags);
        if (rc == 0 && !(flags & VAULT_PASSWORD_HOME_PERSIST)) {
            if (rename(plain, tmp) != 0) {
                rc = vault__err(VAULT_EIO, "%s: cannot rename to %s: %s", plain, tmp, strerror(errno));
                vault_secret_free(*store);
                *store = NULL;
                if (key) {
                    vault_secret_free(*key);
                    *key = NULL;
                }
            } else {
                fsync_dir(home);
            }
        }
    } else if (lstat(tmp, &st) == 0)
        rc = consume_tmp(store, key, home, tmp, flags);
    else if (lstat(persist, &st) == 0)
        rc = read_root_file(store, key, persist, flags);
    else
        rc = VAULT_ENOTFOUND;
done:
    vault__free_ptr(plain);
    vault__free_ptr(tmp);
    vault__free_ptr(persist);
    return rc;
}

static int from_credentials(vault_secret **store, vault_secret **key, const char *dir)
{
    char *path = NULL;
    int rc;

    if ((rc = vault__path_join(&path, dir, "keystore-password")) != 0)
        return rc;
    rc = vault_password_from_file(store, key, path);
    vault__free_ptr(path);
    path = NULL;
    if (rc != 0 || !key || *key)
        return rc;
    if ((rc = vault__path_join(&path, dir, "keystore-key-password")) == 0)
        rc = vault_password_from_file(key, NULL, path);
    vault__free_ptr(path);
    if (rc == VAULT_ENOTFOUND)
        rc = 0;
    if (rc != 0) {
        vault_secret_free(*store);
        *store = NULL;
    }
    return rc;
}

static int from_env(vault_secret **store, const char *name)
{
    const char *value = secure_getenv(name);
    if (!value)
        return VAULT_ENOTFOUND;
    return vault_secret_new(store, value, strlen(value));
}

/* The caller's callback: the store password, then the key password when it
 * has a separate one. */
static int from_callback(vault_secret **store, vault_secret **key, const vault_password_sources *src,
                         const char *path)
{
    int rc = src->callback(store, VAULT_PASSWORD_STORE, path, NULL, src->payload);
    if (rc == 0 && !*store)
        rc = VAULT_ENOTFOUND;
    if (rc != 0 || !key)
        return rc;
    rc = src->callback(key, VAULT_PASSWORD_KEY, path, NULL, src->payload);
    if (rc == VAULT_ENOTFOUND || (rc == 0 && !*key)) {
        *key = NULL;
        return 0;
    }
    if (rc != 0) {
        vault_secret_free(*store);
        *store = NULL;
    }
    return rc;
}

/* A source answered "not here" only when it returned VAULT_ENOTFOUND; any
 * other failure (a file others can read, an unreadable file) stops the
 * search so that the operator hears about it. */
static int sources_resolve(vault_secret **store, vault_secret **key, const vault_password_sources *src,
                           const char *path)
{
    const char *cred_dir = src->credentials_dir;
    char prompt[PATH_BUF + 32], tried[2 * PATH_BUF + 160];
    int rc;

    if (src->callback && (rc = from_callback(store, key, src, path)) != VAULT_ENOTFOUND)
        return rc;
    if (src->fd >= 0)
        return vault_password_from_fd(store, src->fd);
    /* A file the caller named is a source that failed when it is missing,
     * not "no password here": the file is named, nothing else is tried. */
    if (src->file) {
        rc = vault__password_file_read(store, key, src->file, src->version >= 2 ? src->flags : 0);
        if (rc == VAULT_ENOTFOUND)
            rc = vault__err(VAULT_EIO, "%s: cannot read the password file: it does not exist",
                           src->file);
        return rc;
    }
    if (src->home && (rc = from_home(store, key, src->home, src->version >= 2 ? src->flags : 0)) !=
                         VAULT_ENOTFOUND)
        return rc;
    if (!cred_dir && src->use_credentials_env)
        cred_dir = secure_getenv("CREDENTIALS_DIRECTORY");
    if (cred_dir && (rc = from_credentials(store, key, cred_dir)) != VAULT_ENOTFOUND)
        return rc;
    if (src->env && (rc = from_env(store, src->env)) != VAULT_ENOTFOUND)
        return rc;
    if (src->allow_terminal) {
        snprintf(prompt, sizeof prompt, "Password of %s: ", path);
        rc = vault_terminal_read(store, prompt, 0);
        /* End of input cancels: never an empty password. */
        if (rc == VAULT_ECANCELED || rc == VAULT_EFORMAT)
            return vault__err(rc, "%s: at the password prompt: %s", path, vault_error_last()->message);
        if (rc != VAULT_ENOTFOUND)
            return rc;
    }
    snprintf(tried, sizeof tried, "%s%s%s%s%s%s%s%s", src->callback ? ", the callback" : "",
             src->home ? ", the password files in " : "", src->home ? src->home : "",
             cred_dir ? ", systemd credentials" : "", src->env ? ", the variable " : "",
             src->env ? src->env : "", src->allow_terminal ? ", the terminal (there is none)" : "",
             src->allow_terminal ? "" : " (the terminal is not allowed)");
    return vault__err_cause(VAULT_ENOTFOUND, VAULT_CAUSE_NO_PASSWORD, "no password source for %s%s%s",
                           path, tried[0] == ',' ? ": tried" : "", tried + (tried[0] == ',' ? 1 : 0));
}

static int check_sources(const vault_password_sources *src)
{
    if (!src)
        return vault__err(VAULT_EINVAL, "password sources: NULL");
    if (src->version < 1 || src->version > VAULT_PASSWORD_SOURCES_VERSION)
        return vault__err(VAULT_EINVAL, "vault_password_sources: unknown version %u", src->version);
    if (src->version >= 2 && (src->flags & ~(unsigned)(VAULT_PASSWORD_FILE_ROOT_SHARED |
                                                       VAULT_PASSWORD_HOME_KEY_LINE |
                                                       VAULT_PASSWORD_HOME_PERSIST)))
        return vault__err(VAULT_EINVAL, "vault_password_sources: unknown flags 0x%x", src->flags);
    return 0;
}

/* The product home of src->config (vault_locate()), when its root password
 * files are a source: no home named, and no source the caller names itself
 * (fd, file, env). *out is NULL when the config lies in no home or cannot be
 * located (opening it says why). */
static int config_home(char **out, const vault_password_sources *src)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;
    int rc = 0;

    *out = NULL;
    if (src->version < 3 || !src->config || src->home || src->fd >= 0 || src->file || src->env)
        return 0;
    o.config = src->config;
    if (vault_locate(&loc, &o) != 0)
        return 0;
    if (loc->home && !(*out = vault__strdup(loc->home)))
        rc = vault__oom();
    vault_location_free(loc);
    return rc;
}

static int from_sources(vault_secret **store, vault_secret **key, const vault_password_sources *src,
                        const char *path)
{
    vault_password_sources with_home;
    char *home = NULL;
    int rc;

    if (!store)
        return vault__err(VAULT_EINVAL, "vault_password_from_sources: store is NULL");
    *store = NULL;
    if (key)
        *key = NULL;
    if ((rc = check_sources(src)) != 0 || (rc = vault__ensure_init()) != 0 || (rc = config_home(&home, src)) != 0)
        return rc;
    if (home) { /* a version 3 structure: copied whole */
        with_home = *src;
        with_home.home = home;
        src = &with_home;
    }
    rc = sources_resolve(store, key, src, path);
    vault__free_ptr(home);
    if (rc != 0) {
        vault_secret_free(*store);
        *store = NULL;
        if (key) {
            vault_secret_free(*key);
            *key = NULL;
        }
    }
    return rc;
}

int vault_password_from_sources(vault_secret **store, vault_secret **key,
                                const vault_password_sources *src)
{
    return from_sources(store, key, src, no_keystore_path);
}

/* ---- the provider ---- */

struct vault_password_provider {
    vault_password_sources src; /* strings below are our copies */
    char *file, *home, *credentials_dir, *env, *config;
    int resolved;
    vault_secret *store, *key;
};

static int copy_str(char **dst, const char *s)
{
    *dst = NULL;
    if (s && !(*dst = vault__strdup(s)))
        return vault__oom();
    return 0;
}

int vault_password_provider_new(vault_password_provider **out, const vault_password_sources *src)
{
    vault_password_provider *p = NULL;
    int rc;

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_password_provider_new: out is NULL");
    *out = NULL;
    if ((rc = check_sources(src)) != 0)
        return rc;
    p = vault__calloc(1, sizeof *p);
    if (!p)
        return vault__oom();
    /* Version 1 structures end before flags, version 2 ones before config. */
    memcpy(&p->src, src, src->version >= 3   ? sizeof *src
                         : src->version == 2 ? offsetof(vault_password_sources, config)
                                             : offsetof(vault_password_sources, flags));
    p->src.version = VAULT_PASSWORD_SOURCES_VERSION;
    if ((rc = copy_str(&p->file, src->file)) != 0 || (rc = copy_str(&p->home, src->home)) != 0 ||
        (rc = copy_str(&p->credentials_dir, src->credentials_dir)) != 0 ||
        (rc = copy_str(&p->env, src->env)) != 0 ||
        (rc = copy_str(&p->config, src->version >= 3 ? src->config : NULL)) != 0)
        goto done;
    p->src.file = p->file;
    p->src.home = p->home;
    p->src.credentials_dir = p->credentials_dir;
    p->src.env = p->env;
    p->src.config = p->config;
    *out = p;
    p = NULL;
done:
    vault_password_provider_free(p);
    return rc;
}

int vault_password_provider_cb(vault_secret **out, vault_password_kind kind, const char *path,
                               const char *alias, void *payload)
{
    vault_password_provider *p = payload;
    const vault_secret *s;
    int rc;

    VAULT_UNUSED(alias);
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_password_provider_cb: out is NULL");
    *out = NULL;
    if (!p)
        return vault__err(VAULT_EINVAL, "vault_password_provider_cb: no provider");
    /* Once only: password-tmp is gone after the first read, and the key
     * password is that read's second line. */
    if (!p->resolved) {
        rc = from_sources(&p->store, &p->key, &p->src, path ? path : no_keystore_path);
        if (rc != 0)
            return rc;
        p->resolved = 1;
    }
    s = kind == VAULT_PASSWORD_KEY ? p->key : p->store;
    if (!s)
        return VAULT_ENOTFOUND;
    return vault_secret_new(out, vault_secret_data(s), vault_secret_len(s));
}

void vault_password_provider_free(vault_password_provider *p)
{
    if (!p)
        return;
    vault_secret_free(p->store);
    vault_secret_free(p->key);
    vault__free_ptr(p->file);
    vault__free_ptr(p->home);
    vault__free_ptr(p->credentials_dir);
    vault__free_ptr(p->env);
    vault__free_ptr(p->config);
    vault__free_ptr(p);
}
