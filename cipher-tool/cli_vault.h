/* cipher-tool: opening a configuration's vault (render, exec). Includes
 * only the public API. */
#ifndef CIPHER_TOOL_CLI_VAULT_H
#define CIPHER_TOOL_CLI_VAULT_H

#include "cli.h"

#include <vault/vault.h>

/*
 * Open the vault of config (a deployment.toml, a cipher-text.properties or a
 * product home) with the keystore options of k: -k overrides the keystore
 * the config names; the store password comes from --password-fd,
 * --password-file, --password-env; without them from the product home's root
 * password files, then $CREDENTIALS_DIRECTORY, else the terminal; the key password from
 * --key-password-file/--key-password-fd or a password file's second line.
 * Messages are printed; returns EXIT_OK or EXIT_FAIL.
 */
int cli_vault_open(vault **out, cli_keystore *k, const char *config, const char *secret_conf);

#endif
