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

/* {"type": TYPE, "value": lower-case hex}: separators dropped. */
json_t *cli_json_key_id(const char *type, const char *hex);

/* The stable code of a library return code ("not-found", "auth", ...). */
const char *cli_json_error_code(int rc);

/* A failure in JSON mode: the message on stderr as cli_fail() prints it, and
 * {"version", "command", "error": {"code", "message"}} on stdout.
 * Returns EXIT_FAIL. */
int cli_json_fail(const char *command, int rc, const char *fallback);

#endif
