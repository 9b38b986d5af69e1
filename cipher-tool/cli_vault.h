/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool: opening a configuration's vault (render, exec). Includes
 * only the public API. */
#ifndef CIPHER_TOOL_CLI_VAULT_H
#define CIPHER_TOOL_CLI_VAULT_H

#include "cli.h"

#include <vault/vault.h>

/* The configuration whose vault a command opens (render, exec), as its
 * command line gives it. */
typedef struct cli_vault_args {
    const char *config;      /* --config */
    const char *secret_conf; /* --secret-conf */
    cli_keystore key;        /* -k and its password options, --no-pkcs1, -D... */
} cli_vault_args;

/* --config, --secret-conf and --no-pkcs1, written into a cli_vault_args. */
extern const cli_opt cli_vault_config_opts[];

/* The keystore options and the root password system properties, written
 * into a cli_vault_args's key. */
extern const cli_opt cli_vault_key_opts[];

/* Where cli_vault_open() takes the store password from, in the --help of
 * the commands that call it. */
#define CLI_VAULT_PASSWORD_HELP \
    "Without a password option the store password comes from what the server would\n" \
    "use: a product home's root password files as WSO2 reads them (password: read,\n" \
    "renamed to password-tmp; password-tmp: read and deleted; password-persist:\n" \
    "kept), then $CREDENTIALS_DIRECTORY/keystore-password, then the terminal.\n"

/*
 * Open the vault of config (a deployment.toml, a cipher-text.properties or a
 * product home) with the keystore options of k: -k overrides the keystore
 * the config names; the store password comes from --password-fd,
 * --password-file, --password-env; without them from the root password files
 * of config's product home (the library's rule, vault_password_sources.config),
 * then $CREDENTIALS_DIRECTORY, else the terminal; the key password from
 * --key-password-file/--key-password-fd or a password file's second line.
 * Messages are printed; returns EXIT_OK or EXIT_FAIL.
 */
int cli_vault_open(vault **out, cli_keystore *k, const char *config, const char *secret_conf);

/* --type: VAULT_CONFIG_TOML for "toml", VAULT_CONFIG_PROPERTIES for
 * "properties", VAULT_CONFIG_XML for "xml" (an XML file with svns:secretAlias
 * marks, for check); -1 for another name. */
int cli_config_type(const char *name);

/* Whether path is read as an XML file with svns:secretAlias marks: type
 * (--type) says so, or with VAULT_CONFIG_AUTO its name does
 * (vault_config_type_from_name()). */
int cli_config_is_xml(int type, const char *path);

/* --type NAME into the int at dest (check, list): 0, or -1 for a bad name
 * (usage error printed). */
int cli_parse_config_type(void *dest, const char *name, const char *cmd);

/* The same for the commands that seal (seal, change), which refuse xml. */
int cli_parse_sealable_type(void *dest, const char *name, const char *cmd);

/* The file path stands for: path itself, or for a product home directory
 * the file vault_open() would read (its type into *type). *file is
 * malloc'ed. Returns 0 or the library's code. */
int cli_config_resolve(char **file, int *type, const char *path);

/*
 * Read the secrets of path as vault_open() finds them: a file, read as type
 * (VAULT_CONFIG_AUTO: from its name), or a product home directory (its
 * deployment.toml, else its cipher-text.properties); not VAULT_CONFIG_XML, which
 * has no vault_config. *file receives the file
 * read (malloc'ed) for messages. Returns 0 or the library's code, with
 * vault_error_last() naming the file.
 */
int cli_config_open(vault_config **out, char **file, const char *path, int type);

#endif
