/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON output every command shares (docs/JSON.md): the envelope, key
 * ids, and failures reported as JSON. */
#include "cli_json.h"

#include <string.h>

json_t *cli_json_new(const char *command)
{
    json_t *o = json_object();
    if (o) {
        json_object_set_new(o, "version", json_integer(CLI_JSON_VERSION));
        json_object_set_new(o, "command", json_string(command));
    }
    return o;
}

int cli_json_print(json_t *o)
{
    int bad = !o || json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0;

    json_decref(o);
    if (bad || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        cli_error("cannot write to standard output");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

json_t *cli_json_key_id(const char *type, const char *hex)
{
    char buf[129];

    /* The library's ids are hex already; a holder's thumbprint is upper-case. */
    if (vault_key_id_parse(buf, sizeof buf, hex, 0) != 0)
        vault_error_clear();
    return json_pack("{s:s, s:s}", "type", type, "value", buf);
}

const char *cli_json_error_code(int rc)
{
    switch (rc) {
    case VAULT_ENOTFOUND: return "not-found";
    case VAULT_EAUTH: return "auth";
    case VAULT_EKEY: return "key";
    case VAULT_EFORMAT: return "format";
    case VAULT_EPERM: return "permission";
    case VAULT_ENOMEM: return "memory";
    case VAULT_EIO: return "io";
    case VAULT_ECANCELED: return "cancelled";
    case VAULT_ETRUST: return "trust";
    case VAULT_EINVAL: return "usage";
    default: return "error";
    }
}

int cli_json_fail(const char *command, int rc, const char *fallback)
{
    const vault_error *e = vault_error_last();
    const char *message = e && e->message[0] ? e->message : fallback ? fallback : vault_strerror(rc);
    json_t *o = cli_json_new(command);

    cli_error("%s", message);
    json_object_set_new(o, "error", json_pack("{s:s, s:s}", "code", cli_json_error_code(rc),
                                              "message", message));
    (void)cli_json_print(o);
    return EXIT_FAIL;
}

int cli_json_requested(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            return 1;
    return 0;
}

json_t *cli_json_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *cli_json_value_key_ids(const vault_value_info *info)
{
    json_t *ids = json_array();
    /* Native values name certificates by their SHA-256 (or public keys,
     * key_id_types says); holders record WSO2's SHA-1 thumbprint. */
    const char *id_type = info->format == VAULT_FORMAT_WSO2_HOLDER ? "cert-sha1" : "cert-sha256";
    size_t i;

    for (i = 0; info->key_ids && i < info->recipient_count; i++)
        json_array_append_new(ids, cli_json_key_id(info->key_id_types ? info->key_id_types[i] : id_type,
                                                   info->key_ids[i]));
    return ids;
}

int cli_json_failure(const char *command, int status)
{
    int code = VAULT_ERROR;
    const char *message = cli_last_error(&code);
    json_t *o = cli_json_new(command);

    json_object_set_new(o, "error", json_pack("{s:s, s:s}", "code",
                                              status == EXIT_USAGE ? "usage" : cli_json_error_code(code),
                                              "message", message[0] ? message : "failed"));
    (void)cli_json_print(o);
    return status;
}
