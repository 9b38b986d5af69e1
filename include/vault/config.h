/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libvault: configuration files that hold secrets.
 *
 * deployment.toml ([secrets] table), cipher-text.properties (Java
 * properties) are read losslessly: every byte outside the secret values is
 * kept as it was when the file is written back. A value written as
 * "[plain text]" is plaintext waiting to be sealed; any other non-empty
 * value is taken as already sealed.
 */
#ifndef VAULT_CONFIG_H
#define VAULT_CONFIG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A configuration file read into memory: its secrets and references. */
typedef struct vault_config vault_config;

/** Configuration file types. */
typedef enum vault_config_type {
    VAULT_CONFIG_AUTO = 0,       /**< From the name: *.toml, *.properties. */
    VAULT_CONFIG_TOML = 1,       /**< deployment.toml: the [secrets] table. */
    VAULT_CONFIG_PROPERTIES = 2, /**< cipher-text.properties: alias=value. */
    VAULT_CONFIG_XML = 3         /**< An XML file with svns:secretAlias marks (xml.h):
                                      no vault_config reads it. */
} vault_config_type;

/**
 * What a file's name says it holds, the one naming rule of VAULT_CONFIG_AUTO:
 * *.toml, *.properties or *.xml, case ignored.
 * @param name a file name or path (may be NULL).
 * @return VAULT_CONFIG_TOML, VAULT_CONFIG_PROPERTIES, VAULT_CONFIG_XML, or
 *         VAULT_CONFIG_AUTO when the name tells none of them.
 */
VAULT_EXTERN(vault_config_type) vault_config_type_from_name(const char *name);

/** State of one secret value. */
typedef enum vault_value_state {
    VAULT_VALUE_PLAIN = 1,  /**< "[plain text]": to be sealed. */
    VAULT_VALUE_SEALED = 2, /**< Anything else: a sealed value. */
    VAULT_VALUE_EMPTY = 3   /**< "" or "[]": to be asked for. */
} vault_value_state;

/** One secret of a configuration file; pointers owned by the config. */
typedef struct vault_config_entry {
    const char *alias;       /**< Secret alias (the decoded key). */
    vault_value_state state; /**< Plain, sealed or empty. */
    const char *value;       /**< The sealed text (SEALED), else NULL. */
    unsigned int line;       /**< 1-based line of the value. */
} vault_config_entry;

/** A $secret{alias} reference found outside the secrets. */
typedef struct vault_config_ref {
    const char *alias;  /**< The alias referred to. */
    unsigned int line;  /**< 1-based line of the reference. */
} vault_config_ref;

/**
 * Read a configuration file.
 * @param out receives the configuration; free it with vault_config_free().
 * @param path the file.
 * @param type its syntax (VAULT_CONFIG_AUTO: from the file name).
 * @return 0; VAULT_ENOTFOUND, VAULT_EIO; VAULT_EFORMAT for anything the
 *         scanner does not understand (unterminated string, duplicate
 *         [secrets], multi-line or non-string secret value, ...): the
 *         message names the file and line. Nothing is guessed.
 */
VAULT_EXTERN(int) vault_config_open(vault_config **out, const char *path, vault_config_type type);

/**
 * Read a configuration file that will only be read, never written back:
 * the file is held once (each sealed value is decoded over its own bytes in
 * that copy), which is what a reader of a large file wants (check, list).
 * vault_config_render() and vault_config_save() refuse such a config.
 * @param out receives the configuration, to free with vault_config_free().
 * @param path the file to read.
 * @param type its syntax, or VAULT_CONFIG_AUTO to tell it from the name.
 * @return 0; VAULT_ENOTFOUND, VAULT_EIO, VAULT_EFORMAT, VAULT_EINVAL or VAULT_ENOMEM as for
 *         vault_config_open().
 */
VAULT_EXTERN(int) vault_config_open_readonly(vault_config **out, const char *path, vault_config_type type);

/**
 *  Parse from memory; name is used in messages and by vault_config_save().
 * @param out receives the configuration; free it with vault_config_free().
 * @param name the name used in messages and by vault_config_save().
 * @param type the syntax.
 * @param data the text.
 * @param len its length in bytes.
 * @return 0; VAULT_EFORMAT, VAULT_EINVAL or VAULT_ENOMEM as for vault_config_open().
 */
VAULT_EXTERN(int) vault_config_parse(vault_config **out, const char *name, vault_config_type type,
                                     const void *data, size_t len);

/**
 *  Free a configuration. NULL-safe.
 * @param cfg the configuration (may be NULL).
 */
VAULT_EXTERN(void) vault_config_free(vault_config *cfg);

/**
 *  The file's type.
 * @param cfg the configuration.
 * @return the type.
 */
VAULT_EXTERN(vault_config_type) vault_config_get_type(const vault_config *cfg);
/**
 *  The file's path (or the name given to vault_config_parse()), owned by cfg.
 * @param cfg the configuration.
 * @return the path, owned by cfg.
 */
VAULT_EXTERN(const char *) vault_config_path(const vault_config *cfg);

/**
 *  Number of secrets.
 * @param cfg the configuration.
 * @return the number; 0 for NULL.
 */
VAULT_EXTERN(size_t) vault_config_count(const vault_config *cfg);
/**
 * Secret i, in file order.
 * @param out receives the entry, owned by cfg (valid until it changes).
 * @param cfg the configuration.
 * @param i   0 <= i < vault_config_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or cfg is NULL.
 */
VAULT_EXTERN(int) vault_config_entry_at(const vault_config_entry **out, const vault_config *cfg,
                                        size_t i);

/**
 *  Index of a secret by alias (exact match). @return 0 or VAULT_ENOTFOUND.
 * @param index receives the index of the secret.
 * @param cfg the configuration.
 * @param alias the alias.
 */
VAULT_EXTERN(int) vault_config_find(size_t *index, const vault_config *cfg, const char *alias);

/**
 *  Number of $secret{...} references.
 * @param cfg the configuration.
 * @return the number; 0 for NULL.
 */
VAULT_EXTERN(size_t) vault_config_ref_count(const vault_config *cfg);
/**
 * Reference i, in file order.
 * @param out receives the reference, owned by cfg.
 * @param cfg the configuration.
 * @param i   0 <= i < vault_config_ref_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or cfg is NULL.
 */
VAULT_EXTERN(int) vault_config_ref_at(const vault_config_ref **out, const vault_config *cfg, size_t i);

/**
 * The value of a one-line string setting outside the secrets, by its full
 * dotted key, e.g. "keystore.primary.file_name" for file_name in the
 * [keystore.primary] table (TOML files). Settings in [[array]] tables are
 * not recorded.
 * @param cfg   the configuration.
 * @param key   the full dotted key.
 * @param value receives a pointer owned by the config.
 * @return 0, VAULT_ENOTFOUND (silently: no error is recorded).
 */
VAULT_EXTERN(int) vault_config_setting(const char **value, const vault_config *cfg, const char *key);

/**
 * Number of notes the reader left (see vault_config_warning_at()).
 * @param cfg the configuration.
 * @return the number; 0 for NULL.
 */
VAULT_EXTERN(size_t) vault_config_warning_count(const vault_config *cfg);
/**
 * Note i of what the reader noticed that the operator should hear about:
 * text outside the brackets of a plain value that is dropped, non-ASCII
 * text that the Java tool would read otherwise (ISO-8859-1). Each note names
 * the file, line and alias, never the value. Past the 100th, one last note
 * counts the rest.
 * @param out receives the note, owned by cfg.
 * @param cfg the configuration.
 * @param i   0 <= i < vault_config_warning_count(), in file order.
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or cfg is NULL; VAULT_ENOMEM when the
 *         last note (the count of the rest) cannot be made.
 */
VAULT_EXTERN(int) vault_config_warning_at(const char **out, const vault_config *cfg, size_t i);

/**
 * The plaintext of a PLAIN secret (the text between the first '[' and the
 * last ']', with the file's escapes decoded) in guarded memory.
 * @param out receives the plaintext; free it with vault_secret_free().
 * @param cfg the configuration.
 * @param i the secret, 0 <= i < vault_config_count().
 * @return 0, VAULT_EINVAL when the secret is not PLAIN.
 */
VAULT_EXTERN(int) vault_config_plaintext(vault_secret **out, const vault_config *cfg, size_t i);

/**
 * Replace secret i by a sealed value (text without quotes; it is quoted or
 * escaped as the file's syntax needs). Takes effect in vault_config_render()
 * and vault_config_save().
 * @param cfg the configuration.
 * @param i the secret, 0 <= i < vault_config_count().
 * @param sealed the sealed value (text without quotes).
 * @return 0; VAULT_EINVAL (NULL arguments, i out of range, a value the syntax cannot hold);
 *        VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_config_set(vault_config *cfg, size_t i, const char *sealed);

/**
 *  The file's new content: the original bytes with the replaced values.
 * @param out receives the text; free it with vault_string_free().
 * @param len receives its length.
 * @param cfg the configuration.
 * @return 0; VAULT_ENOMEM; VAULT_EINVAL for a NULL argument.
 */
VAULT_EXTERN(int) vault_config_render(char **out, size_t *len, const vault_config *cfg);

/**
 * Called by vault_file_replace() with the new content before it replaces the
 * file; a non-zero return aborts the replacement (the file is untouched).
 */
typedef int (*vault_verify_cb)(const void *data, size_t len, void *payload);

/**
 * Write the new content to the file atomically: a 0600 temporary file in the
 * same directory, write, fsync, verify (parse again, then the callback),
 * rename over the target, fsync the directory. The target's mode and owner
 * are kept; a symbolic link stays a link (its target is replaced). On any
 * error the original is untouched and no temporary file is left.
 * Nothing is written when no value changed.
 * @param cfg the configuration, written to the path it was read from.
 * @param verify optional; called on the written temporary file before the rename, a non-zero
 *        return aborts the replacement.
 * @param payload the caller's payload, passed through.
 * @return 0; VAULT_EPERM (another owner, several links, not a regular file); VAULT_EIO (writing,
 *        fsync or rename failed); VAULT_ERROR (the file changed since it was read); VAULT_EFORMAT
 *        when the new text does not parse again; the verify callback's code; VAULT_EINVAL;
 *        VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_config_save(vault_config *cfg, vault_verify_cb verify, void *payload);

/**
 * The atomic-replace routine on its own, for any file (used for
 * secret-conf.properties, XML files, rendered templates). A file with
 * several hard links, a non-regular file and another user's file (unless the
 * caller is root and the directory root's) are refused; owner, mode and the
 * user., security. and ACL extended attributes are kept.
 * @param path    the file to replace or create.
 * @param data    the new content; len its number of bytes.
 * @param len     the number of bytes of data.
 * @param mode    used when the file does not exist yet (e.g. 0600).
 * @param verify  optional; called on the written temporary file before the
 *                rename, a non-zero return aborts the replacement.
 * @param payload passed to verify.
 * @return 0; VAULT_EPERM (several links, not a regular file, another user's file); VAULT_EIO
 *        (writing, fsync or rename failed); VAULT_ERROR (the file changed meanwhile); the verify
 *        callback's code; VAULT_EINVAL; VAULT_ENOMEM. On failure the file is untouched and no
 *        temporary file is left.
 */
VAULT_EXTERN(int) vault_file_replace(const char *path, const void *data, size_t len,
                                     unsigned int mode, vault_verify_cb verify, void *payload);

/**
 * Write data holding secrets to path: created with mode 0600, never through
 * a symbolic link; an existing file is replaced atomically only when it is
 * the caller's own regular file with mode 0600 and a single link (judged on
 * the opened descriptor), and a name that appears meanwhile is never
 * overwritten. On any error nothing is written.
 * @param path the file.
 * @param data the content.
 * @param len its length.
 * @return 0, VAULT_EPERM (a link, another owner, another mode), VAULT_EIO,
 *         VAULT_ERROR (the file changed meanwhile, several links)
 */
VAULT_EXTERN(int) vault_file_write_private(const char *path, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
