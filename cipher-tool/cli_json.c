/* The JSON output every command shares (docs/JSON.md): the envelope, key
 * ids, and failures reported as JSON. */
#include "cli_json.h"

#include <ctype.h>
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
    size_t n = 0;
    const char *p;

    for (p = hex; *p && n < sizeof buf - 1; p++)
        if (isxdigit((unsigned char)*p))
            buf[n++] = (char)tolower((unsigned char)*p);
    buf[n] = '\0';
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
