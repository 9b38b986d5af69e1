/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libvault: the config workflows. Rewrite the secret values of a
 * configuration file (seal its plain values, set one alias, rotate every
 * value to a new key, rewrap recipients), check the new text, and replace
 * the file atomically, all or nothing.
 *
 * Every value is tried, so that every failing alias is reported; when one
 * fails nothing is written and the file stays byte for byte as it was.
 * A file governed by a WSO2 product home's secret-conf.properties (the one
 * beside a cipher-text.properties, or the home's) gets only values its
 * runtime opens: of the one algorithm it names (absent: RSA, PKCS#1 v1.5),
 * or of its symmetric mode; any other new value fails with
 * VAULT_APPLY_WSO2_RUNTIME, unless VAULT_APPLY_SETS_HOME_ALGORITHM or
 * VAULT_APPLY_NOT_FOR_WSO2_RUNTIME says otherwise. The
 * new text is parsed again before it replaces the file, and each new value
 * is opened and compared with its plaintext when a private key is at hand.
 * A run that changes no value does not write the file.
 */
#ifndef VAULT_APPLY_H
#define VAULT_APPLY_H

#include "common.h"
#include "keystore.h"
#include "cipher.h"
#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a run does to the values of a file. */
typedef enum vault_apply_op {
    VAULT_APPLY_SEAL = 1,   /**< Seal every "[plain]" (and empty) value. */
    VAULT_APPLY_SET = 2,    /**< Replace (or create) one alias with a given value. */
    VAULT_APPLY_ROTATE = 3, /**< Open every sealed value with `from`, seal it again. */
    VAULT_APPLY_REWRAP = 4, /**< Rewrap the native values' recipients. */
    VAULT_APPLY_CUSTOM = 5, /**< Each value from the `produce` callback. */
    VAULT_APPLY_EDIT = 6    /**< Replace the file by `text` (an edited vault_config_render_plain()
                                 view): its "[plain]" values sealed, except those equal to what
                                 the old value opens to (`from`), which keep their old text. */
} vault_apply_op;

/** The outcome for one alias. */
typedef enum vault_apply_status {
    VAULT_APPLY_UNCHANGED = 0,         /**< Not concerned (see the entry's flags). */
    VAULT_APPLY_SEALED = 1,            /**< A plain or empty value was sealed. */
    VAULT_APPLY_ALREADY_SEALED = 2,    /**< SEAL: the value was sealed already. */
    VAULT_APPLY_REPLACED = 3,          /**< SET: the alias got the new value. */
    VAULT_APPLY_CREATED = 4,           /**< SET: the alias was added to the file. */
    VAULT_APPLY_ROTATED = 5,           /**< ROTATE: sealed again for the new key. */
    VAULT_APPLY_ALREADY_ROTATED = 6,   /**< ROTATE: the old key does not open it, the new
                                            key does, in the new format: left alone. */
    VAULT_APPLY_REWRAPPED = 7,         /**< REWRAP: its recipients changed. */
    VAULT_APPLY_ALREADY_REWRAPPED = 8, /**< REWRAP: it had the recipients asked for. */
    VAULT_APPLY_FAILED = 9             /**< See the entry's code and message. */
} vault_apply_status;

/** Entry flags. */
enum {
    VAULT_APPLY_WAS_LEGACY = 1u, /**< The old value was RSA PKCS#1 v1.5 (ROTATE). */
    VAULT_APPLY_WAS_PLAIN = 2u,  /**< A plain value left as it is (ROTATE, REWRAP). */
    VAULT_APPLY_NOT_NATIVE = 4u, /**< A WSO2 value, which has no recipients (REWRAP). */
    VAULT_APPLY_UNPROVEN = 8u,   /**< ROTATE: a PKCS#1 v1.5 value no key is proved for
                                      (vault_opener_reseal_check()): failed, not sealed again. */
    VAULT_APPLY_UNPROVEN_ACCEPTED = 16u, /**< ROTATE: such a value sealed again under
                                              VAULT_APPLY_ACCEPT_UNPROVEN_PKCS1. */
    VAULT_APPLY_WSO2_RUNTIME = 32u /**< FAILED: the WSO2 runtime of the file's product home
                                        would not open the value (its one algorithm, or its
                                        symmetric mode, is another); see
                                        VAULT_APPLY_NOT_FOR_WSO2_RUNTIME. */
};

/** One alias of the result. Strings are owned by the result. */
typedef struct vault_apply_entry {
    const char *alias;          /**< The secret's alias. */
    vault_apply_status status;  /**< What was done to it. */
    unsigned int flags;  /**< VAULT_APPLY_WAS_* */
    int code;            /**< FAILED: a VAULT_E* code, else 0. */
    const char *message; /**< FAILED: why (names the file and alias, never a secret), else NULL. */
} vault_apply_entry;

/** What a run did. */
typedef struct vault_apply_result {
    const char *path;           /**< The file, as given. */
    size_t count;               /**< Entries, in file order (a created alias last). */
    const vault_apply_entry *entries; /**< count entries. */
    size_t changed;             /**< Values written anew. */
    size_t failed;              /**< Entries with VAULT_APPLY_FAILED. */
    int written;                /**< The file was replaced. */
    int opened;                 /**< Every new value was opened and compared. */
    int key_locked;             /**< The private key could not be unlocked (its password differs
                                     from the store password and was not given): the new values
                                     were checked by form and key id only, not opened. */
    int code;                   /**< The run's return code. */
    const char *message;        /**< A failure not tied to one alias (read, parse, replace), else NULL. */
    size_t warning_count;       /**< The file's warnings (vault_config_warning_at()). */
    const char *const *warnings; /**< warning_count texts. */
    const char *location;       /**< NULL when the values are the file's; for a config naming a
                                     secret repository (ROTATE, REWRAP), where they were read and
                                     written: "etcd PREFIX", with " at revision N" once written. */
} vault_apply_result;

/**
 * The plaintext of an empty value (SEAL), e.g. typed on a terminal by the
 * caller; the run stops (nothing written) when it fails.
 * @param out     receives it in guarded memory (vault_secret_new()).
 * @param path    the configuration file.
 * @param entry   the empty secret.
 * @param payload vault_apply_options.ask_payload.
 * @return 0, or a VAULT_E* code that vault_config_apply() returns.
 */
typedef int (*vault_apply_ask_cb)(vault_secret **out, const char *path, const vault_config_entry *entry,
                                  void *payload);

/**
 * A new value for one entry (CUSTOM).
 * @param out       receives the new sealed text, a string the library
 *                  allocated (vault_sealer_seal(), vault_rewrapper_rewrap()),
 *                  or NULL to leave the value as it is. The library frees it.
 * @param plaintext optional: the plaintext of the new value (guarded memory,
 *                  given to the library), to open and compare it.
 * @param status    the status to report when *out is set.
 * @param entry     the secret as it is now.
 * @param payload   vault_apply_options.produce_payload.
 * @return 0, or a VAULT_E* code: the entry fails with the last error's text.
 */
typedef int (*vault_apply_produce_cb)(char **out, vault_secret **plaintext, vault_apply_status *status,
                                      const vault_config_entry *entry, void *payload);

/** Options flags. */
enum {
    VAULT_APPLY_CREATE = 1u,  /**< SET: add the alias when the file lacks it. */
    VAULT_APPLY_DRY_RUN = 2u, /**< Do everything but replace the file. */
    /** ROTATE: seal unproven PKCS#1 v1.5 values again when the old key is
     * the one the file's server is configured with
     * (vault_opener_key_is_configured()). */
    VAULT_APPLY_ACCEPT_UNPROVEN_PKCS1 = 4u,
    /** The caller rewrites the home's secret-conf.properties in the same
     * operation for the sealer's algorithm (or symmetric mode), as
     * `-Dconfigure` and `-Drotate` do: that algorithm is the rule then, for
     * the new values and for every sealed value left as it is. */
    VAULT_APPLY_SETS_HOME_ALGORITHM = 8u,
    /** The values are not for the WSO2 runtime (libvault, `render` and
     * `exec` read them): the home's rule is not applied. */
    VAULT_APPLY_NOT_FOR_WSO2_RUNTIME = 16u,
    /** ROTATE: seal unproven PKCS#1 v1.5 values again when the old key is
     * a key entry (any alias) of the keystore the file's server is
     * configured with, as `-Drotate -Dold.alias=` names it, and every such
     * value opens to text (not empty, UTF-8, no control character but
     * tab); one that does not refuses them all. A wrong key of the same
     * size opens a block to pseudo-random bytes, which pass as text with a
     * small chance per value. VAULT_APPLY_ACCEPT_UNPROVEN_PKCS1 requires
     * the text too. */
    VAULT_APPLY_ACCEPT_HOME_KEY_PKCS1 = 32u
};

/** The version of vault_apply_options this header describes. */
#define VAULT_APPLY_OPTIONS_VERSION 1

/** What vault_config_apply() does. Handles are borrowed. */
typedef struct vault_apply_options {
    unsigned int version;         /**< VAULT_APPLY_OPTIONS_VERSION */
    vault_apply_op op;            /**< What to do. */
    const char *path;             /**< The configuration file. */
    vault_config_type type;       /**< VAULT_CONFIG_AUTO: from the name. */
    unsigned int flags;           /**< VAULT_APPLY_CREATE, VAULT_APPLY_DRY_RUN, ... */
    vault_sealer *sealer;         /**< SEAL, SET, ROTATE: makes the new values. */
    vault_opener *from;           /**< ROTATE: opens the values as they are now. */
    vault_rewrapper *rewrapper;   /**< REWRAP. */
    /** The key that opens the new values, to check them: a keystore (with
     * key_alias, NULL for the only key entry) or a symmetric key. Neither,
     * a certificate entry, or a key that cannot be unlocked: the new values
     * are checked for form and, when recipients are given, key ids. */
    vault_keystore *keystore;
    const char *key_alias;        /**< The key entry of keystore; NULL: the only one. */
    const vault_secret *symmetric_key; /**< Opens new WSO2 symmetric values. */
    const vault_recipient *const *recipients; /**< Every new native value must name these (may be NULL). */
    size_t recipient_count;       /**< Number of recipients. */
    const char *alias;            /**< SET: the alias. */
    const vault_secret *value;    /**< SET: its new value (not empty). */
    vault_apply_ask_cb ask;       /**< SEAL: empty values; NULL: they fail. */
    void *ask_payload;            /**< Passed to ask. */
    vault_apply_produce_cb produce; /**< CUSTOM. */
    void *produce_payload;        /**< Passed to produce. */
    const void *text;             /**< EDIT: the new content (holds plaintexts: wipe it after). */
    size_t text_len;              /**< EDIT: its length. */
} vault_apply_options;

/** Initialiser of vault_apply_options: this version, everything else unset. */
#define VAULT_APPLY_OPTIONS_INIT \
    { VAULT_APPLY_OPTIONS_VERSION, (vault_apply_op)0, NULL, VAULT_CONFIG_AUTO, 0, NULL, NULL, NULL, \
      NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }

/**
 * Rewrite the secret values of one configuration file as opts says, check
 * the new text, and replace the file atomically (vault_config_save()).
 * @param out receives the result (also on failure, when it could be made):
 *            every alias with its status, the failing ones with their
 *            reason. Free with vault_apply_result_free().
 * @param opts what to do (version VAULT_APPLY_OPTIONS_VERSION).
 * @return 0; VAULT_EINVAL (bad options, an empty SET value, an alias SET
 *         cannot create); VAULT_ENOTFOUND (no such file; SET: no such alias
 *         without VAULT_APPLY_CREATE); VAULT_EFORMAT (the file does not
 *         parse); VAULT_ERROR when one or more values failed (listed in the
 *         result) or a new value did not open to its plaintext; the ask
 *         callback's code; errors of vault_config_save(). On any failure the
 *         file is untouched.
 */
VAULT_EXTERN(int) vault_config_apply(vault_apply_result **out, const vault_apply_options *opts);

/**
 * The decrypted view of a configuration for an editor: the file's bytes
 * with every sealed value replaced by its plaintext written "[like this]"
 * (escaped as the file's syntax needs); plain and empty values as they are.
 * @param out    receives the text in guarded memory (vault_secret_free() wipes it).
 * @param cfg    the configuration, as read.
 * @param opener opens its sealed values.
 * @return 0; the opener's errors (the message names the alias); VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_config_render_plain(vault_secret **out, const vault_config *cfg, vault_opener *opener);

/**
 * Free a result. NULL-safe.
 * @param result from vault_config_apply().
 */
VAULT_EXTERN(void) vault_apply_result_free(vault_apply_result *result);

/**
 * Static name of a status: "sealed", "already-sealed", ... (docs/JSON.md).
 * @param status a status.
 * @return the name, "unknown" for a value out of range.
 */
VAULT_EXTERN(const char *) vault_apply_status_name(vault_apply_status status);

#ifdef __cplusplus
}
#endif

#endif
