/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libvault: secret repositories. Sealed values served from an etcd 3.4
 * cluster (docs/FLEET.md): published by the operator, fetched and opened
 * locally by vault_open() when the configuration has a [secret_repository]
 * table. The repository only ever holds sealed values.
 */
#ifndef VAULT_REPOSITORY_H
#define VAULT_REPOSITORY_H

#include "common.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vault;
struct vault_options;

/** The version of vault_repository_options this header describes. */
#define VAULT_REPOSITORY_OPTIONS_VERSION 1

/** Where an etcd repository is and how to reach it. */
typedef struct vault_repository_options {
    unsigned int version;   /**< VAULT_REPOSITORY_OPTIONS_VERSION */
    const char *endpoints;  /**< Comma-separated URLs, tried in turn. Required. */
    const char *prefix;     /**< Key prefix; the alias is the rest of the key. Required. */
    const char *ca_file;    /**< CA bundle for the members' certificates; NULL: system CAs. */
    const char *cert_file;  /**< Client certificate (PEM); NULL for none. */
    const char *key_file;   /**< Its private key (PEM); NULL for none. */
    long timeout_ms;        /**< Per endpoint; 0: 2000. */
    const char *user;       /**< etcd user (auth enabled); NULL for none. */
    const char *password_file; /**< Its password: first line of a 0600 file. Required with user. */
} vault_repository_options;

/** Initializer of a vault_repository_options: this version, every other field its default. */
#define VAULT_REPOSITORY_OPTIONS_INIT \
    { VAULT_REPOSITORY_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL }

/** The sealed values under a prefix, as one fetch saw them. */
typedef struct vault_repository_values vault_repository_values;

/**
 * Fetch every value under the prefix in one request.
 * @param out  receives the values; free with vault_repository_values_free().
 * @param opts the endpoints, prefix, TLS and authentication.
 * @return 0; VAULT_EIO when no endpoint answers (the message names each
 *         endpoint and its error); VAULT_EFORMAT for an answer that is not
 *         etcd's; VAULT_EINVAL, VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_repository_fetch(vault_repository_values **out,
                                         const vault_repository_options *opts);

/**
 *  Number of values.
 * @param vals the values.
 * @return the number; 0 for NULL.
 */
VAULT_EXTERN(size_t) vault_repository_values_count(const vault_repository_values *vals);
/** One value of a fetch. */
typedef struct vault_repository_value {
    const char *alias; /**< The alias: the key under the prefix. */
    const char *value; /**< The sealed text. */
} vault_repository_value;
/**
 * Value i, in the order of etcd's answer.
 * @param out  receives the value, owned by vals.
 * @param vals the values.
 * @param i    0 <= i < vault_repository_values_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or vals is NULL.
 */
VAULT_EXTERN(int) vault_repository_values_at(const vault_repository_value **out,
                                             const vault_repository_values *vals, size_t i);
/**
 *  The etcd revision the values were read at.
 * @param vals the values.
 * @return the revision (at least 1), or 0 when vals is NULL.
 */
VAULT_EXTERN(int64_t) vault_repository_values_revision(const vault_repository_values *vals);

/**
 *  Free values. NULL-safe.
 * @param vals the values (may be NULL).
 */
VAULT_EXTERN(void) vault_repository_values_free(vault_repository_values *vals);

/** vault_repository_publish() flags. */
enum {
    /** Delete the keys under the prefix that are not published now. */
    VAULT_PUBLISH_PRUNE = 1
};

/**
 * Write sealed values under the prefix in one etcd transaction: all or
 * nothing. Plain ("[...]") or empty values are refused before anything is
 * sent.
 * @param opts    the endpoints, prefix, TLS and authentication.
 * @param aliases n aliases.
 * @param values  their n sealed texts.
 * @param n       the number of values.
 * @param if_revision when >= 0, write only if no key under the prefix was
 *        modified after this revision; -1 for no condition.
 * @param flags VAULT_PUBLISH_* flags.
 * @param revision_out optional; receives the revision of the write.
 * @return 0; VAULT_EFORMAT for a value that is not sealed (naming the
 *         alias); VAULT_ERROR when the if_revision comparison failed
 *         (nothing written); VAULT_EIO when no endpoint answers;
 *         VAULT_EINVAL, VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_repository_publish(int64_t *revision_out,
                                           const vault_repository_options *opts, const char *const *aliases,
                                           const char *const *values, size_t n, int64_t if_revision,
                                           unsigned int flags);

/**
 * Produces the new sealed value of one value under the prefix, for
 * vault_repository_rewrite().
 * @param new_value receives the new sealed value, a string from the library
 *        (e.g. vault_sealer_seal()) or from malloc(), that the rewrite frees
 *        with vault_string_free(); leave it NULL to keep the value as it is.
 * @param alias the alias, or NULL for the last word: after the last value,
 *        and only when every call succeeded, cb is called once more with
 *        alias and value NULL, and its answer decides whether anything is
 *        written.
 * @param value its sealed text now in etcd.
 * @param payload the payload given to vault_repository_rewrite().
 * @return 0; any other code fails the rewrite (nothing is written).
 */
typedef int (*vault_repository_rewrite_cb)(char **new_value, const char *alias, const char *value,
                                           void *payload);

/**
 * Read every value under the prefix (one request, at revision R), call cb
 * on each, and write the new values in one transaction that succeeds only
 * when no key under the prefix was modified after R (nor after
 * expected_revision when that is lower) and every rewritten key still
 * exists: a concurrent publish or rotate makes it fail with nothing
 * written. When cb fails for a value it is still called for the others
 * (so that every failing alias can be named), then nothing is written.
 * @param opts where the repository is.
 * @param cb called on every value, then once with alias NULL.
 * @param payload passed to cb.
 * @param expected_revision -1, or a revision the caller read before.
 * @param revision_out optional; the revision of the write (R when nothing
 *        changed).
 * @return 0; cb's code for the first value it failed; VAULT_EFORMAT for a
 *         new value that is not sealed; VAULT_ERROR when the compare failed
 *         (the message says the keys changed; nothing written); VAULT_EIO
 *         when no endpoint answers; VAULT_EINVAL, VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_repository_rewrite(int64_t *revision_out, const vault_repository_options *opts,
                                           vault_repository_rewrite_cb cb, void *payload, int64_t expected_revision);

struct vault_config;

/**
 * The repository a configuration names: a deployment.toml's
 * [secret_repository], or for a cipher-text.properties the
 * secretRepositories.etcd.* keys of the secret-conf.properties beside it.
 * @param opts filled in (version set); its strings are cfg's or *settings'.
 * @param cfg the configuration (a deployment.toml or cipher-text.properties).
 * @param settings receives the secret-conf.properties opened for a
 *        cipher-text.properties (free it with vault_config_free() once opts
 *        is no longer used), or NULL when the strings are cfg's.
 * @return 1 when cfg names a repository; 0 when it names none; VAULT_EFORMAT
 *         for an unsupported type or missing endpoints or prefix;
 *         VAULT_EINVAL, and the errors of opening secret-conf.properties.
 */
VAULT_EXTERN(int) vault_repository_options_from_config(vault_repository_options *opts,
                                                       struct vault_config **settings,
                                                       const struct vault_config *cfg);

/**
 * The repository's values as a configuration, when cfg (a deployment.toml)
 * has a [secret_repository]: one fetch; its entries are the repository's
 * aliases and sealed values (line 0), for reading only. The cache is
 * neither read nor written.
 * @param out receives the config, or NULL when cfg names no repository;
 *        free with vault_config_free().
 * @param cfg the deployment.toml read with vault_config_open().
 * @return 0; VAULT_EFORMAT for an unsupported or incomplete
 *         [secret_repository]; the errors of vault_repository_fetch().
 */
VAULT_EXTERN(int) vault_repository_config(struct vault_config **out, const struct vault_config *cfg);

/**
 * A warning from vault_open() the caller should show, e.g. that the
 * repository did not answer and the last-known-good cache was used; NULL
 * when there is none. Owned by the vault.
 * @param v the vault.
 * @return the warning, or NULL.
 */
VAULT_EXTERN(const char *) vault_warning(const struct vault *v);

/**
 * The repository revision the vault's values were read at (from etcd, or
 * the cache's when it was used). Start a watch after it
 * (vault_watch_new_after()) to miss no change made since the open.
 * @param out receives the revision; unchanged on failure.
 * @param v   the vault.
 * @return 0; VAULT_ENOTFOUND when the vault's configuration names no
 *         repository; VAULT_EINVAL when out or v is NULL.
 */
VAULT_EXTERN(int) vault_repository_revision(int64_t *out, const struct vault *v);

/* ---- watching ------------------------------------------------------------ */

/** A watch on the repository of a configuration. */
typedef struct vault_watch vault_watch;

/**
 * Called from the watch's own thread after values under the prefix
 * changed. The configuration was opened again before the call: fresh is
 * the new vault, now the caller's (free it with vault_free() once it
 * replaced the old one; the old vault and the secrets taken from it stay
 * valid until released). changed lists the aliases whose keys changed or
 * were deleted (owned by the watch, valid during the call). When opening
 * again failed, fresh is NULL and error says why (no secret in it).
 */
typedef void (*vault_watch_cb)(struct vault *fresh, const char *const *changed, size_t n_changed,
                               const char *error, void *payload);

/** vault_watch_new() flags. */
enum {
    /** Only tell which aliases changed: nothing is opened, fresh is NULL,
     *  and no password is asked for. */
    VAULT_WATCH_ALIASES_ONLY = 1
};

/**
 * Watch the repository named by opts->config's [secret_repository] and call
 * cb on every change. opts and everything it points to (the password
 * callback and its payload: passwords are asked for again at each change)
 * must stay valid until vault_watch_free(). Lost connections are retried
 * on every endpoint, resuming after the last revision seen.
 * @param out receives the watch; stop it with vault_watch_free().
 * @param opts the vault options naming the configuration and passwords.
 * @param flags VAULT_WATCH_* flags.
 * @param cb called on every change, from the watch thread.
 * @param payload the caller's payload, passed through.
 * @return 0; VAULT_EINVAL when the config names no repository; VAULT_EIO
 *         when no endpoint answers at start; VAULT_ENOMEM, VAULT_ERROR.
 */
VAULT_EXTERN(int) vault_watch_new(vault_watch **out, const struct vault_options *opts, unsigned int flags,
                                  vault_watch_cb cb, void *payload);

/**
 * As vault_watch_new(), reporting every change after after_revision: pass
 * vault_repository_revision() of the vault opened before, so that a change
 * made between that open and this call is reported too (vault_watch_new()
 * starts at the revision its own fetch reads).
 * @param out, opts, flags, cb, payload as for vault_watch_new().
 * @param after_revision the revision to report changes after; -1: as
 *        vault_watch_new().
 * @return as vault_watch_new().
 */
VAULT_EXTERN(int) vault_watch_new_after(vault_watch **out, const struct vault_options *opts, unsigned int flags,
                                        int64_t after_revision, vault_watch_cb cb, void *payload);

/**
 *  Stop watching (joins the thread; cb is not called afterwards). NULL-safe.
 * @param w the watch (may be NULL).
 */
VAULT_EXTERN(void) vault_watch_free(vault_watch *w);

#ifdef __cplusplus
}
#endif

#endif
