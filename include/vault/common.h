/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libvault: common definitions, error model and guarded secrets.
 *
 * Every function returns 0 on success or one of the negative VAULT_E* codes
 * below: decide from the return code. The detail of the last failure on the
 * calling thread is available from vault_error_last(); messages name files,
 * aliases, lines and columns but never contain a secret, nor the text of a
 * line or node that may hold one.
 */
#ifndef VAULT_COMMON_H
#define VAULT_COMMON_H

#include <stddef.h>

/** Declares a function of the public API: exported from the library. */
#if defined(_WIN32)
#  define VAULT_EXTERN(type) __declspec(dllexport) type
#elif defined(__GNUC__) && defined(VAULT_BUILDING)
#  define VAULT_EXTERN(type) __attribute__((visibility("default"))) type
#else
#  define VAULT_EXTERN(type) type
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define VAULT_VERSION_MAJOR 0 /**< The version of these headers: major, */
#define VAULT_VERSION_MINOR 1 /**< minor, */
#define VAULT_VERSION_PATCH 0 /**< patch, */
#define VAULT_VERSION "0.1.0" /**< and all three as text. */

/** Error codes. */
enum {
    VAULT_OK = 0,
    VAULT_ERROR = -1,     /**< Generic failure; see vault_error_last(). */
    VAULT_ENOTFOUND = -2, /**< No such file, alias or entry. */
    VAULT_EAUTH = -3,     /**< Wrong password, or a tampered value or keystore. */
    VAULT_EKEY = -4,      /**< Value sealed for another key. */
    VAULT_EFORMAT = -5,   /**< Malformed or unsupported input. */
    VAULT_EPERM = -6,     /**< Unsafe file mode or permission denied. */
    VAULT_ENOMEM = -7,    /**< Out of memory. */
    VAULT_EINVAL = -8,    /**< Invalid argument from the caller. */
    VAULT_ETRUST = -9,    /**< Certificate not trusted, expired or invalid. */
    VAULT_EIO = -10,      /**< Reading or writing a file failed. */
    VAULT_ECANCELED = -11 /**< Cancelled: end of input at a terminal prompt. */
};

/**
 * What a caller may need to tell apart within one error code, instead of
 * reading the message.
 */
typedef enum vault_error_cause {
    VAULT_CAUSE_NONE = 0,
    /** VAULT_ENOTFOUND: none of the password sources had a password (as
     *  opposed to a source that failed, e.g. a named file that is missing). */
    VAULT_CAUSE_NO_PASSWORD = 1,
    /** VAULT_ENOTFOUND: the configuration holds sealed values but names no
     *  keystore, and none was given. */
    VAULT_CAUSE_NO_KEYSTORE = 2,
    /** Any code, from vault_locate() or vault_open() with VAULT_OPEN_WSO2_RULES:
     *  the config and its keystore were located, but the secret-conf.properties
     *  governing it names no rule its WSO2 runtime follows (an encryptionMode
     *  other than "symmetric", an algorithm libvault does not share) or cannot
     *  be read; any other failure of vault_locate() means the config itself
     *  could not be located. */
    VAULT_CAUSE_WSO2_RULE = 3
} vault_error_cause;

/** The detail of the last failure on this thread. */
typedef struct vault_error {
    int code;            /**< One of the VAULT_E* codes. */
    const char *message; /**< Human-readable, never contains a secret. */
    int cause;           /**< A vault_error_cause; VAULT_CAUSE_NONE mostly. */
} vault_error;

/**
 * Return the detail of the last failure recorded on the calling thread.
 * Never NULL: before any failure, or after vault_error_clear(), it is a
 * record with code VAULT_OK and the message "no error".
 *
 * Decide success or failure from return codes, never from this record: a
 * successful call does not clear it, so after a success it may describe an
 * earlier failure (it is then stale). After a call that failed it describes
 * that failure. The pointer is valid until the next libvault call on this
 * thread.
 * @return the record, never NULL; valid until the next libvault call on this thread.
 */
VAULT_EXTERN(const vault_error *) vault_error_last(void);

/** Reset the calling thread's last error to the "no error" record. */
VAULT_EXTERN(void) vault_error_clear(void);

/**
 *  Static text describing an error code (never NULL).
 * @param code a VAULT_E* code (or any other int).
 * @return static text, never NULL.
 */
VAULT_EXTERN(const char *) vault_strerror(int code);

/**
 *  The library version as "MAJOR.MINOR.PATCH".
 * @return static text, e.g. "0.1.0".
 */
VAULT_EXTERN(const char *) vault_version(void);

/**
 * Initialise the library (libsodium, OpenSSL's default provider). Counted:
 * each call needs one vault_shutdown(), and the last vault_shutdown()
 * frees what the first vault_init() made. Calling it is optional: every
 * entry point that needs the libraries initialises them itself (that is
 * not counted, and nothing is freed before exit then). Safe to call from
 * several threads.
 * When it is the first to initialise OpenSSL, it leaves openssl.cnf unread
 * and OpenSSL's clean-up at exit undone (start-up and exit time); see
 * vault_init_openssl_config().
 * @return 0, or VAULT_ERROR when libsodium or OpenSSL cannot be
 *         initialised (the count is then unchanged).
 */
VAULT_EXTERN(int) vault_init(void);

/**
 * Undo one vault_init(). The last one unloads the OpenSSL providers the
 * library loaded; the library can be initialised again afterwards. Objects
 * still open keep working (they hold their own references).
 * @return the number of vault_init() calls still to undo (0 after the
 *         last), or VAULT_EINVAL when there is no vault_init() to undo.
 */
VAULT_EXTERN(int) vault_shutdown(void);

/**
 * Have OpenSSL read its configuration file (openssl.cnf, or the file
 * OpenSSL's OPENSSL_CONF names), which vault_init() skips: for a program
 * whose operator configured OpenSSL on purpose. Call before anything else
 * of the library. It initialises the library as an entry point does (not
 * counted: no vault_shutdown() is owed for it).
 * @return 0 or VAULT_ERROR (the file does not load).
 */
VAULT_EXTERN(int) vault_init_openssl_config(void);

/**
 * A secret held in guarded memory: memory from sodium_malloc (guard pages,
 * locked, excluded from core dumps), read-only once filled, wiped on free.
 * Secrets from vault_get() share one such region with the vault's other
 * secrets (see vault_get()).
 * The bytes are followed by one NUL byte so that text secrets can be used as
 * C strings; vault_secret_len() does not count it.
 */
typedef struct vault_secret vault_secret;

/**
 * Copy len bytes of data into a new guarded secret.
 * @param out  receives the secret; free it with vault_secret_free().
 * @param data the bytes, copied (may be NULL when len is 0).
 * @param len  their number.
 * @return 0, VAULT_ENOMEM, or VAULT_EINVAL when data is NULL and len > 0.
 */
VAULT_EXTERN(int) vault_secret_new(vault_secret **out, const void *data, size_t len);

/**
 *  The secret's bytes (NUL-terminated, read-only); NULL-safe.
 * @param secret the secret (may be NULL).
 * @return the bytes, or NULL for a NULL secret.
 */
VAULT_EXTERN(const unsigned char *) vault_secret_data(const vault_secret *secret);

/**
 *  The secret's bytes as a C string (same memory as vault_secret_data()).
 * @param secret the secret (may be NULL).
 * @return the text, or NULL for a NULL secret.
 */
VAULT_EXTERN(const char *) vault_secret_str(const vault_secret *secret);

/**
 *  The number of bytes, not counting the trailing NUL; 0 for NULL.
 * @param secret the secret (may be NULL).
 * @return the length.
 */
VAULT_EXTERN(size_t) vault_secret_len(const vault_secret *secret);

/**
 *  Wipe and free a secret. NULL-safe.
 * @param secret the secret (may be NULL).
 */
VAULT_EXTERN(void) vault_secret_free(vault_secret *secret);

/**
 *  Free a string returned by the library. NULL-safe.
 * @param str the string (may be NULL).
 */
VAULT_EXTERN(void) vault_string_free(char *str);

/**
 * Which password the library is asking for.
 */
typedef enum vault_password_kind {
    VAULT_PASSWORD_STORE = 1, /**< The keystore's integrity/store password. */
    VAULT_PASSWORD_KEY = 2    /**< The password protecting one key entry. */
} vault_password_kind;

/**
 * Password callback. The library calls it when it needs a password; it never
 * prompts by itself.
 *
 * @param out      set to a new secret holding the password (UTF-8); the
 *                 library takes ownership and frees it.
 * @param kind     store or key password.
 * @param path     the keystore file concerned (for the prompt).
 * @param alias    the key entry concerned (VAULT_PASSWORD_KEY), else NULL.
 * @param payload  the caller's payload, passed through.
 * @return 0 with *out set; VAULT_ENOTFOUND when the caller has no separate
 *         key password (the store password is then used, as Java does); any
 *         other negative code aborts the operation with that code.
 */
typedef int (*vault_password_cb)(vault_secret **out, vault_password_kind kind,
                                 const char *path, const char *alias, void *payload);

/** Payload for vault_password_fixed(): caller-owned NUL-terminated passwords. */
typedef struct vault_passwords {
    const char *store; /**< Store password, or NULL to fail with VAULT_EAUTH. */
    const char *key;   /**< Key password, or NULL to use the store password. */
} vault_passwords;

/**
 * A ready-made vault_password_cb that answers from a vault_passwords payload.
 * @param out receives the password.
 * @param kind store or key password.
 * @param path the keystore concerned (unused).
 * @param alias the key entry concerned (unused).
 * @param payload a vault_passwords.
 * @return 0 with *out set; VAULT_ENOTFOUND when the payload holds no
 *         password of that kind (the keystore then fails with VAULT_EAUTH
 *         for the store password, and uses the store password for a key);
 *         VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_password_fixed(vault_secret **out, vault_password_kind kind,
                                       const char *path, const char *alias, void *payload);

/**
 * Read a password from the first line of a file (a second line, if
 * present, is returned in key_out when key_out is not NULL). The trailing
 * newline (LF or CRLF) is not part of the password. A file readable or
 * writable by group or others is refused with VAULT_EPERM and a message
 * that shows its mode.
 *
 * @param out     receives the first line.
 * @param key_out optional; receives the second line or NULL when absent.
 * @param path    the file; symbolic links are followed, the file finally
 *                opened is judged.
 * @return 0, VAULT_ENOTFOUND, VAULT_EPERM, VAULT_EIO, VAULT_EFORMAT (empty
 *         file) or VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_password_from_file(vault_secret **out, vault_secret **key_out,
                                           const char *path);

/**
 * Read a password from an open file descriptor (up to end of file or the
 * first newline). The descriptor is not closed.
 * @param out receives the password.
 * @param fd the descriptor, left open.
 * @return 0; VAULT_EIO when reading fails; VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_password_from_fd(vault_secret **out, int fd);

#ifdef __cplusplus
}
#endif

#endif
