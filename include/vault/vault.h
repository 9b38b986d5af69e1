/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libvault: the runtime. What a server calls once at start-up to resolve the
 * sealed secrets of its configuration, and the password sources it needs.
 *
 *     vault_password_sources ps = VAULT_PASSWORD_SOURCES_INIT;
 *     vault_options o = VAULT_OPTIONS_INIT;
 *     vault *v = NULL;
 *     vault_secret *pw = NULL;
 *
 *     ps.home = "/opt/wso2is";               (root password files)
 *     o.config = "/opt/wso2is";              (or a deployment.toml)
 *     o.password_sources = &ps;
 *     if (vault_open(&v, &o) != 0)
 *         die(vault_error_last()->message);  (names every failing alias)
 *     vault_get(&pw, v, "db_password");
 *     ...
 *     vault_secret_free(pw);
 *     vault_free(v);
 *
 * Thread safety: vault_open() and vault_free() must not run concurrently
 * with other calls on the same vault; every other function taking a
 * `const vault *` may be called from any number of threads at once, in
 * eager and in lazy mode. With more than one usable CPU, vault_open() opens
 * many WSO2-format values at once on short-lived threads of its own, all
 * joined before it returns.
 */
#ifndef VAULT_VAULT_H
#define VAULT_VAULT_H

#include "common.h"
#include "keystore.h"
#include "cipher.h"
#include "config.h"
#include "repository.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- password sources ---------------------------------------------------- */

/** The version of vault_password_sources this header describes. */
#define VAULT_PASSWORD_SOURCES_VERSION 3

/** vault_password_sources flags (version 2). */
enum {
    /**
     * The `file` source may be a container secret: owned by root, writable
     * by nobody else, readable by others (Docker secrets are 0444,
     * Kubernetes Secret volumes 0644). Without this flag such a file is
     * refused as readable by others. Any process of the container that can
     * read the file has the password: the caller should say so.
     */
    VAULT_PASSWORD_FILE_ROOT_SHARED = 1,
    /**
     * The `home` root password files hold the private key's password on
     * their second line, as the WSO2 server reads them when started with
     * -Dkey.password=true; a file without one fails. Without this flag only
     * the first line is read: the password of the store and of the key.
     */
    VAULT_PASSWORD_HOME_KEY_LINE = 2,
    /**
     * The `home` root password files are read and left as they are, as
     * with WSO2's -Dpersist.password=true: `password` is not renamed,
     * `password-tmp` not deleted.
     */
    VAULT_PASSWORD_HOME_PERSIST = 4
};

/**
 * Where a keystore password may come from, tried in this order; a source
 * that is not configured is skipped:
 *
 *  1. callback: the caller's own vault_password_cb (VAULT_ENOTFOUND from it
 *     means "try the next source").
 *  2. fd: one line read from this descriptor (not closed).
 *  3. file: a password file the caller names (a second line is the key
 *     password).
 *  4. home: the WSO2 root password files in a product home directory, the
 *     first that exists, as WSO2's DefaultSecretCallbackHandler reads them:
 *     `password` (read, then renamed to `password-tmp`, which the next
 *     start reads), `password-tmp` (read, overwritten with zeros, fsync'ed
 *     and deleted), `password-persist` (read and kept). The first line is
 *     the store password and the key password; with
 *     VAULT_PASSWORD_HOME_KEY_LINE the second line is the key password;
 *     with VAULT_PASSWORD_HOME_PERSIST nothing is renamed or deleted.
 *     Without home, the product home of config (version 3), as vault_locate()
 *     finds it, when neither fd, file nor env is set: a source the caller
 *     names is the operator's choice, and the server's files, which reading
 *     renames or deletes, are then left alone. A config that lies in no
 *     product home (or cannot be located) gives no home source.
 *  5. systemd credentials: `keystore-password` (a second line, or a file
 *     `keystore-key-password`, is the key password) in credentials_dir, or
 *     in $CREDENTIALS_DIRECTORY when use_credentials_env is set.
 *  6. env: the variable of that name, only when the caller names one.
 *  7. the terminal, without echo (vault_terminal_read()), only when
 *     allow_terminal is set and the process has a controlling terminal.
 *     End of input at its prompt fails with VAULT_ECANCELED: a cancelled
 *     prompt never gives an empty password.
 *
 * Password files readable or writable by group or others are refused
 * (VAULT_EPERM, the message shows the mode), except as the flag
 * VAULT_PASSWORD_FILE_ROOT_SHARED allows for `file`. The library never
 * reads the environment nor the terminal unless asked to here. Version 1
 * structures (without flags) and version 2 ones (without config) are still
 * accepted.
 */
typedef struct vault_password_sources {
    unsigned int version;        /**< VAULT_PASSWORD_SOURCES_VERSION */
    vault_password_cb callback;  /**< Tried first; NULL for none. */
    void *payload;               /**< Passed to callback. */
    int fd;                      /**< Descriptor to read a line from; -1 for none. */
    const char *file;            /**< A password file; NULL for none. */
    const char *home;            /**< Product home with the root password files; NULL for none. */
    const char *credentials_dir; /**< systemd credentials directory; NULL for none. */
    int use_credentials_env;     /**< Non-zero: use $CREDENTIALS_DIRECTORY when credentials_dir is NULL. */
    const char *env;             /**< Name of a variable holding the store password; NULL for none. */
    int allow_terminal;          /**< Non-zero: ask on the controlling terminal last. */
    unsigned int flags;          /**< VAULT_PASSWORD_* flags (version 2). */
    const char *config;          /**< A configuration, as vault_options.config: its product home's root
                                      password files are the home source when home is NULL and no
                                      fd, file or env is set (version 3); NULL for none. */
} vault_password_sources;

/** Initializer of a vault_password_sources: this version, every other field its default. */
#define VAULT_PASSWORD_SOURCES_INIT \
    { VAULT_PASSWORD_SOURCES_VERSION, NULL, NULL, -1, NULL, NULL, NULL, 0, NULL, 0, 0, NULL }

/**
 * Resolve the store password (and, when the source has one, the key
 * password) from the first source that has it.
 *
 * @param store receives the store password; free with vault_secret_free().
 * @param key   optional; receives the key password, or NULL when the source
 *              has none (use the store password, as Java does).
 * @param src   the sources.
 * @return 0; VAULT_ENOTFOUND "no password source" when no source has a
 *         password (never blocks waiting for a terminal that is not there);
 *         VAULT_EPERM for a password file readable by others;
 *         VAULT_ECANCELED at end of input at the terminal's prompt;
 *         VAULT_EIO, VAULT_EFORMAT, VAULT_ENOMEM, VAULT_EINVAL; or the
 *         callback's code.
 */
VAULT_EXTERN(int) vault_password_from_sources(vault_secret **store, vault_secret **key,
                                              const vault_password_sources *src);

/**
 * A password provider: resolves the sources once (a `password-tmp` file can
 * be read only once) and answers both the store and the key password
 * requests of a keystore from that.
 */
typedef struct vault_password_provider vault_password_provider;

/**
 * Create a provider. The sources are copied; the callback's payload must
 * stay valid while the provider is used.
 * @param out receives the provider; free it with vault_password_provider_free().
 * @param src the sources (copied).
 * @return 0, VAULT_EINVAL, VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_password_provider_new(vault_password_provider **out,
                                              const vault_password_sources *src);

/**
 * A ready-made vault_password_cb; its payload is a vault_password_provider.
 * The store password is resolved on the first call; the key password is the
 * source's second line or, when it has none, VAULT_ENOTFOUND (the store
 * password is then used).
 * @param out receives the password.
 * @param kind store or key password.
 * @param path the keystore concerned.
 * @param alias the key entry concerned, or NULL.
 * @param payload a vault_password_provider.
 * @return 0 with *out set; VAULT_ENOTFOUND (no separate key password); the sources' errors (see
 *        vault_password_from_sources()).
 */
VAULT_EXTERN(int) vault_password_provider_cb(vault_secret **out, vault_password_kind kind,
                                             const char *path, const char *alias, void *payload);

/**
 *  Free a provider, wiping the passwords it holds. NULL-safe.
 * @param p the provider (may be NULL).
 */
VAULT_EXTERN(void) vault_password_provider_free(vault_password_provider *p);

/* ---- the terminal ---------------------------------------------------------- */

/** vault_terminal_read() flags. */
enum {
    /**
     * The line is echoed as it is typed (an alias or a name, not a
     * secret): the terminal's settings are left alone and no signal
     * handler is installed.
     */
    VAULT_TERMINAL_ECHO = 1,
    /**
     * Without echo, also catch those of the signals for which the program
     * has a handler of its own (SIG_IGN still stays), and put the handler
     * back afterwards: for a program whose handlers are not meant to run
     * while it waits at a prompt, such as a command-line tool that wants
     * Ctrl-C to end it there.
     */
    VAULT_TERMINAL_OVERRIDE_HANDLERS = 2
};

/** The longest line vault_terminal_read() accepts, in bytes. */
#define VAULT_TERMINAL_LINE_MAX 4095

/**
 * Read one line from the controlling terminal (`/dev/tty`, never acquired
 * as one), writing prompt to the terminal first. With libvault's password
 * sources (`allow_terminal`) and vault_password_from_terminal(), these are
 * the only libvault calls that touch a terminal, and only when called.
 *
 * Without VAULT_TERMINAL_ECHO the line is read with echo off, and the
 * terminal's settings are put back whatever ends the read: on return, and
 * when SIGINT, SIGTERM, SIGHUP or SIGQUIT arrives meanwhile. For that a
 * handler is installed for the duration of the read only, and only for those
 * of the four signals whose disposition is the default one: a handler of
 * the program (unless VAULT_TERMINAL_OVERRIDE_HANDLERS), or SIG_IGN, is
 * left in place (the program then answers for the terminal; the read goes
 * on after its handler returns). The handler puts the settings back, ends the line, and
 * raises the signal again under its default action, so that the process
 * dies of it and its parent sees the cause. The old dispositions are
 * restored before returning. One read runs at a time in the process; a
 * second thread waits for the first.
 *
 * A line ends at a newline or a carriage return, which is not part of it.
 * @param out    receives the line without its end; free with
 *               vault_secret_free(). Set to NULL on failure.
 * @param prompt text written to the terminal first; NULL for none.
 * @param flags  0, or VAULT_TERMINAL_ECHO or VAULT_TERMINAL_OVERRIDE_HANDLERS.
 * @return 0; VAULT_ENOTFOUND when the process has no controlling terminal
 *         (never blocks): like a password source that has nothing, this
 *         records no error, so that vault_error_last() still says what the
 *         sources tried before said; VAULT_ECANCELED at end of input (Ctrl-D) before
 *         the line was ended, or when the terminal cannot be read: never an
 *         empty line in its place; VAULT_EFORMAT when the line is longer than
 *         VAULT_TERMINAL_LINE_MAX bytes (the rest of it is read and dropped);
 *         VAULT_ENOMEM; VAULT_EINVAL (out NULL, unknown flags).
 */
VAULT_EXTERN(int) vault_terminal_read(vault_secret **out, const char *prompt, unsigned int flags);

/**
 * A password from the terminal: vault_terminal_read() without echo.
 * @param out receives the password; free with vault_secret_free().
 * @param prompt the text written to the terminal first; NULL for none.
 * @return as vault_terminal_read(): 0, VAULT_ENOTFOUND (no terminal),
 *         VAULT_ECANCELED (end of input), VAULT_EFORMAT (too long),
 *         VAULT_ENOMEM, VAULT_EINVAL.
 */
VAULT_EXTERN(int) vault_password_from_terminal(vault_secret **out, const char *prompt);

/* ---- the vault ----------------------------------------------------------- */

/** The resolved secrets of one configuration. */
typedef struct vault vault;

/** vault_options flags. */
enum {
    /** Decrypt each value on its first vault_get() instead of at open. */
    VAULT_OPEN_LAZY = 1,
    /** Accept "[plain text]" values not sealed yet (development only). */
    VAULT_OPEN_ALLOW_PLAINTEXT = 2,
    /** Refuse RSA PKCS#1 v1.5 values (VAULT_OPENER_REFUSE_PKCS1). On by
     *  itself when the transformation, the caller's or the config's
     *  (secretRepositories.file.algorithm, CipherTransformation), is OAEP. */
    VAULT_OPEN_REFUSE_PKCS1 = 4,
    /** Judge the values as the WSO2 runtime of the config's home will: when
     *  a secret-conf.properties governs the config (the caller's, the one
     *  beside a cipher-text.properties, or the product home's), every value
     *  must be of the one algorithm it names (absent: "RSA", PKCS#1 v1.5)
     *  or of its symmetric mode; any other value, even one libvault could
     *  open, fails with VAULT_EFORMAT (that server would get the alias name
     *  instead of the secret). */
    VAULT_OPEN_WSO2_RULES = 8
};

/** The version of vault_options this header describes. */
#define VAULT_OPTIONS_VERSION 2

/**
 * Options for vault_open().
 *
 * config is one of:
 *  - a deployment.toml: the [secrets] table; the keystore, when not given,
 *    is the file_name of [keystore.internal], else [keystore.primary], in
 *    HOME/repository/resources/security/ (HOME: above
 *    repository/conf/deployment.toml, or above conf/deployment.toml in an
 *    EI/MI home; otherwise beside the file), default wso2carbon.jks; a
 *    file_name "${carbon.home}/x" is the home's x, one holding
 *    "repository/resources/security" is relative to the home; its alias is
 *    that table's `alias`;
 *  - a cipher-text.properties: the keystore, when not given, is
 *    keystore.identity.location/.type/.alias of secret_conf (default: the
 *    secret-conf.properties beside it), relative to the product home, and
 *    the transformation its secretRepositories.file.algorithm;
 *  - a product home directory: repository/conf/deployment.toml when it
 *    exists, else conf/deployment.toml (EI/MI), else
 *    repository/conf/security/cipher-text.properties, else
 *    conf/security/cipher-text.properties, with secret-conf.properties
 *    beside it; carbon.xml in repository/conf/ or conf/.
 *
 * Passwords come from `password` (with `payload`) when set, else from
 * `password_sources`. They are asked for during vault_open() only: the key
 * is unlocked there even in lazy mode, so neither needs to outlive it.
 */
typedef struct vault_options {
    unsigned int version;                 /**< VAULT_OPTIONS_VERSION */
    const char *config;                   /**< See above. Required. */
    const char *secret_conf;              /**< secret-conf.properties; NULL: beside the config. */
    const char *keystore;                 /**< NULL: from the config. */
    vault_keystore_type keystore_type;    /**< VAULT_KEYSTORE_AUTO: from the config, else sniffed. */
    const char *key_alias;                /**< NULL: from the config, else the only key entry. */
    vault_transformation transformation;  /**< Raw WSO2 values; DEFAULT: from the config, else any. */
    vault_password_cb password;           /**< Keystore passwords; NULL: use password_sources. */
    void *payload;                        /**< Passed to password. */
    const vault_password_sources *password_sources; /**< Used when password is NULL. */
    unsigned int flags;                   /**< VAULT_OPEN_* */
    const vault_secret *symmetric_key;    /**< Operator-typed AES key for WSO2 symmetric values. */
    const char *keystore_cert;            /**< The certificate of a key held in a TPM, or in a
                                               PKCS#11 token without one
                                               (vault_keystore_options.cert; version 2). */
} vault_options;

/** Initializer of a vault_options: this version, every other field its default. */
#define VAULT_OPTIONS_INIT                                                              \
    { VAULT_OPTIONS_VERSION, NULL, NULL, NULL, VAULT_KEYSTORE_AUTO, NULL,              \
      VAULT_TRANSFORM_DEFAULT, NULL, NULL, NULL, 0, NULL, NULL }

/**
 * Read a configuration and resolve its secrets. In the default (eager) mode
 * every sealed value is decrypted here and the private key is dropped; any
 * failure fails the open, and the message names every alias that failed.
 * In lazy mode the key is unlocked here and each value is decrypted on its
 * first vault_get().
 *
 * @param out  receives the vault; free it with vault_free().
 * @param opts options (version, config required).
 * @return 0; VAULT_EINVAL (bad options); VAULT_ENOTFOUND (no config,
 *         keystore, alias or password source); VAULT_EAUTH (wrong password,
 *         tampered value); VAULT_EKEY (sealed for another key);
 *         VAULT_EFORMAT (malformed config or value, plain value not allowed);
 *         VAULT_EPERM (password file readable by others); VAULT_ECANCELED
 *         (end of input at the terminal's password prompt); VAULT_EIO,
 *         VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_open(vault **out, const vault_options *opts);

/**
 * The secret of an alias (exact match). The secret shares the vault's
 * guarded storage (read-only, locked, excluded from core dumps) instead of
 * being copied, so this costs no system call; it stays valid after
 * vault_free() until it is freed itself. vault_free() wipes every secret no
 * caller holds; a held one is wiped by its vault_secret_free().
 * @param v     the vault.
 * @param alias the secret alias.
 * @param out   receives a new secret; free it with vault_secret_free().
 * @return 0; VAULT_ENOTFOUND naming the alias when the configuration has no
 *         such alias; in lazy mode any error of decrypting it, naming it.
 */
VAULT_EXTERN(int) vault_get(vault_secret **out, const vault *v, const char *alias);

/**
 * Replace every `$secret{alias}` in text by its secret; a text that is, as a
 * whole, `secretAlias:alias` (perhaps followed by one line ending) becomes
 * that secret (followed by the same line ending). The alias runs to the
 * first '}' on the same line; "$secret{" without one, or "$secret{}", is
 * text (as `cipher-tool check` reads it). Nothing is escaped.
 * @param v    the vault.
 * @param text the text, NUL-terminated.
 * @param out  receives the expanded text in guarded memory.
 * @return 0; VAULT_ENOTFOUND naming the first unknown alias; in lazy mode any decryption error, naming the alias.
 */
VAULT_EXTERN(int) vault_expand(vault_secret **out, const vault *v, const char *text);

/**
 * Resolve an XML document: every element marked svns:secretAlias="alias"
 * (namespace http://org.wso2.securevault/configuration, see
 * vault_xml_marked() in xml.h) gets its secret, XML-escaped, as its text or
 * as the placeholder attribute's value. Other bytes are copied unchanged;
 * `$secret{}` references are not touched (use vault_expand() on text that
 * is not XML: it does not escape).
 * @param v    the vault.
 * @param xml  the document's bytes.
 * @param len  their number.
 * @param name the file name used in messages (NULL: "(xml)").
 * @param out  receives the resolved document in guarded memory.
 * @return 0; VAULT_ENOTFOUND naming an unknown alias; VAULT_EFORMAT for
 *         malformed XML; in lazy mode any decryption error, naming the alias.
 */
VAULT_EXTERN(int) vault_expand_xml(vault_secret **out, const vault *v, const void *xml, size_t len,
                                   const char *name);

/**
 *  Number of secret aliases in the configuration; 0 for NULL.
 * @param v the vault (may be NULL).
 * @return the number; 0 for NULL.
 */
VAULT_EXTERN(size_t) vault_count(const vault *v);

/**
 * Alias i of the configuration's secrets.
 * @param out receives the alias, owned by the vault.
 * @param v   the vault.
 * @param i   0 <= i < vault_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or v is NULL.
 */
VAULT_EXTERN(int) vault_alias_at(const char **out, const vault *v, size_t i);

/**
 *  The configuration file the secrets were read from, owned by the vault.
 * @param v the vault.
 * @return the path, owned by the vault.
 */
VAULT_EXTERN(const char *) vault_path(const vault *v);

/**
 *  Free a vault, wiping every secret and key it holds. NULL-safe.
 * @param v the vault (may be NULL).
 */
VAULT_EXTERN(void) vault_free(vault *v);

/** Where a configuration's secrets and keystore are, as vault_open() finds them. */
typedef struct vault_location {
    const char *config;                  /**< The file holding the secrets. */
    vault_config_type type;              /**< TOML or PROPERTIES. */
    const char *home;                    /**< The product home, or NULL. */
    const char *keystore;                /**< The keystore, or NULL when nothing names one. */
    const char *keystore_origin;         /**< Where it was named, for messages. */
    const char *key_alias;               /**< Or NULL. */
    vault_transformation transformation; /**< From the config, else DEFAULT. */
    int wso2_rules;                      /**< 1 when VAULT_OPEN_WSO2_RULES was asked for and a
                                              secret-conf.properties governs the config. */
    const char *wso2_secret_conf;        /**< With wso2_rules: that secret-conf.properties. */
    int wso2_symmetric;                  /**< With wso2_rules: its runtime opens every value in
                                              the symmetric mode (AES-GCM). */
    vault_transformation wso2_transformation; /**< With wso2_rules and not symmetric: the one
                                              algorithm it opens every value with (RSA PKCS#1
                                              v1.5 when the line is absent); else DEFAULT. */
    const char *wso2_algorithm;          /**< With wso2_rules and not symmetric: that algorithm as
                                              secret-conf.properties spells it (Java's spellings
                                              vary), or NULL when the line is absent. */
} vault_location;

/**
 * Work out, without opening anything, where the secrets and the keystore
 * of opts->config are: deployment.toml [keystore.internal] before
 * [keystore.primary] (file_name relative to repository/resources/security/),
 * or secret-conf.properties beside a cipher-text.properties, or, in a
 * product home not configured yet, carbon.xml Security/InternalKeyStore
 * before Security/KeyStore. The options' keystore, alias and
 * transformation override the config's.
 * @param out  receives the location; free it with vault_location_free().
 * @param opts as for vault_open(); no password is asked for.
 * @return 0, VAULT_ENOTFOUND, VAULT_EFORMAT, VAULT_EINVAL, VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_locate(vault_location **out, const vault_options *opts);

/**
 * Whether a sealed value is one the WSO2 runtime of the location's home
 * opens (see VAULT_OPEN_WSO2_RULES): of its one algorithm, or of its
 * symmetric mode. Without opened_flags only the value's form is judged; with
 * the VAULT_OPENED_* flags of opening it (any transformation), its padding
 * too (PKCS#1 v1.5 against OAEP).
 * @param loc          the location, from vault_locate().
 * @param value        the sealed text.
 * @param opened_flags NULL, or the VAULT_OPENED_* flags of opening it.
 * @return 0, also when no rule governs the location; VAULT_EFORMAT with the
 *         reason; VAULT_EINVAL.
 */
VAULT_EXTERN(int) vault_location_accepts(const vault_location *loc, const char *value,
                                         const unsigned int *opened_flags);

/**
 *  Free a location. NULL-safe.
 * @param loc the location (may be NULL).
 */
VAULT_EXTERN(void) vault_location_free(vault_location *loc);

#ifdef __cplusplus
}
#endif

#endif
