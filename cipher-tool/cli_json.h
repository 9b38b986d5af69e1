/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool: the JSON contract of docs/JSON.md. */
#ifndef CIPHER_TOOL_CLI_JSON_H
#define CIPHER_TOOL_CLI_JSON_H

#include "cli.h"

#include <jansson.h>

#define CLI_JSON_VERSION 1

/* {"version": 1, "command": COMMAND}: the envelope, fields to follow. */
json_t *cli_json_new(const char *command);

/* Print o (indented, one object, a newline) and release it; EXIT_OK or
 * EXIT_FAIL when standard output cannot be written. */
int cli_json_print(json_t *o);

/* {"type": TYPE, "value": lower-case hex}, as vault_key_id_parse() reads
 * hex ("" for text that is no key id). */
json_t *cli_json_key_id(const char *type, const char *hex);

/* The stable code of a library return code ("not-found", "auth", ...). */
const char *cli_json_error_code(int rc);

/* A failure in JSON mode: the message on stderr as cli_fail() prints it, and
 * {"version", "command", "error": {"code", "message"}} on stdout.
 * Returns EXIT_FAIL. */
int cli_json_fail(const char *command, int rc, const char *fallback);

/* Whether --json is among the arguments (before any "--"): usage errors
 * found before the option is parsed are reported as JSON too. */
int cli_json_requested(int argc, char **argv);

/* s as a JSON string, or null when s is NULL (docs/JSON.md: missing values). */
json_t *cli_json_string(const char *s);

/* The typed key ids of a sealed value (cli_json_key_id each); [] when the
 * format records none. */
json_t *cli_json_value_key_ids(const vault_value_info *info);

/* A failure already printed on stderr (cli_error, cli_fail, a usage error)
 * as the JSON error object on stdout: its code from the library's code, or
 * "usage" when status is EXIT_USAGE. Returns status. */
int cli_json_failure(const char *command, int status);

#endif
