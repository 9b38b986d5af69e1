/* SPDX-License-Identifier: Apache-2.0 */
/* Running vault_config_apply() for the commands that rewrite config files:
 * every failing alias printed, and with --json one report of every file. */
#include "cli.h"
#include "cli_json.h"

#include <vault/vault.h>
#include <stdlib.h>
#include <string.h>

void cli_apply_init(cli_apply *a, const char *command, const char *fail_verb, int json)
{
    memset(a, 0, sizeof *a);
    a->command = command;
    a->fail_verb = fail_verb;
    a->json = json;
    if (json) {
        a->files = json_array();
        a->key_ids = json_array();
    }
}

void cli_apply_recipients(cli_apply *a, vault_recipient *const *r, size_t n)
{
    size_t i;
    for (i = 0; a->json && i < n; i++) {
        json_array_append_new(a->key_ids,
                              cli_json_key_id(vault_recipient_key_id_type(r[i]), vault_recipient_key_id(r[i])));
    }
}

void cli_apply_key_id(cli_apply *a, const char *hex)
{
    if (a->json)
        json_array_append_new(a->key_ids, json_pack("{s:n, s:s}", "type", "value", hex));
}

void cli_apply_note(cli_apply *a, int code, const char *message)
{
    if (a->first_rc || !message)
        return;
    a->first_rc = code ? code : VAULT_ERROR;
    a->first_message = strdup(message);
}

void cli_apply_note_printed(cli_apply *a, int rc)
{
    int code = VAULT_ERROR;
    const char *message = cli_last_error(&code);
    cli_apply_note(a, rc == EXIT_USAGE ? VAULT_EINVAL : code, message[0] ? message : "failed");
}

static json_t *json_entry(const vault_apply_entry *e)
{
    return json_pack("{s:s, s:s, s:b, s:o}", "alias", e->alias, "status", vault_apply_status_name(e->status),
                     "legacy", (e->flags & VAULT_APPLY_WAS_LEGACY) != 0, "error",
                     e->status == VAULT_APPLY_FAILED
                         ? json_pack("{s:s, s:s?}", "code", cli_json_error_code(e->code), "message", e->message)
                         : json_null());
}

static void json_file(cli_apply *a, const vault_apply_result *res, int rc)
{
    json_t *entries = json_array(), *f;
    size_t i;

    for (i = 0; i < res->count; i++)
        json_array_append_new(entries, json_entry(&res->entries[i]));
    f = json_pack("{s:s, s:b, s:I, s:I, s:b, s:b, s:o, s:o}", "path", res->path, "written", res->written,
                  "changed", (json_int_t)res->changed, "failed", (json_int_t)res->failed, "opened",
                  res->opened, "key_locked", res->key_locked, "entries", entries, "error",
                  rc ? json_pack("{s:s, s:s}", "code", cli_json_error_code(rc), "message",
                                 res->message ? res->message : vault_strerror(rc))
                     : json_null());
    json_array_append_new(a->files, f);
}

int cli_apply_file(cli_apply *a, const vault_apply_options *o, vault_apply_result **out)
{
    vault_apply_result *res = NULL;
    const vault_error *err;
    size_t i;
    int rc = vault_config_apply(&res, o);

    *out = res;
    for (i = 0; res && i < res->warning_count; i++)
        cli_warning("%s", res->warnings[i]);
    if (rc == 0) {
        if (a->json && res)
            json_file(a, res, 0);
        return EXIT_OK;
    }
    err = vault_error_last();
    for (i = 0; res && i < res->count; i++)
        if (res->entries[i].status == VAULT_APPLY_FAILED)
            cli_error("%s", res->entries[i].message ? res->entries[i].message : res->entries[i].alias);
    if (res && res->failed)
        cli_error("%s: %zu value%s %s; %s%s", o->path, res->failed, res->failed == 1 ? "" : "s",
                  a->fail_verb, res->location ? "nothing was written in " : "the file was not changed",
                  res->location ? res->location : "");
    else
        cli_error("%s", res && res->message ? res->message : err ? err->message : vault_strerror(rc));
    for (i = 0; res && i < res->count; i++)
        if (res->entries[i].flags & VAULT_APPLY_WSO2_RUNTIME) {
            if (a->command[0] == '-')
                cli_hint("rotate every value of the home with -Drotate, or keep the algorithm it uses");
            else
                cli_hint("without --format, seal, change, set and edit pick the home's algorithm; rotate "
                         "with --format "
                         "wso2 --transformation T (or wso2-symmetric) as secret-conf.properties names it, "
                         "or move the whole home with -Drotate; --not-for-wso2-runtime writes the values "
                         "anyway, for libvault, render and exec only");
            break;
        }
    cli_apply_note(a, rc, res && res->message ? res->message : err ? err->message : vault_strerror(rc));
    if (a->json && res)
        json_file(a, res, rc);
    return EXIT_FAIL;
}

int cli_apply_finish(cli_apply *a, int rc)
{
    json_t *o;
    if (a->json) {
        o = cli_json_new(a->command);
        json_object_set_new(o, "key_ids", a->key_ids);
        json_object_set_new(o, "files", a->files);
        a->files = NULL;
        a->key_ids = NULL;
        json_object_set_new(o, "error",
                            rc != EXIT_OK
                                ? json_pack("{s:s, s:s}", "code",
                                            cli_json_error_code(a->first_rc ? a->first_rc : VAULT_ERROR),
                                            "message", a->first_message ? a->first_message : "failed")
                                : json_null());
        if (cli_json_print(o) != EXIT_OK)
            rc = EXIT_FAIL;
    }
    json_decref(a->files);
    json_decref(a->key_ids);
    free(a->first_message);
    memset(a, 0, sizeof *a);
    return rc;
}

int cli_sealing_home_default(cli_sealing *s, char *const *paths, int count, const char *cmd)
{
    vault_format format = VAULT_FORMAT_NATIVE;
    vault_transformation t = VAULT_TRANSFORM_DEFAULT;
    char *conf = NULL;
    int rc;

    if (s->format || (s->apply_flags & VAULT_APPLY_NOT_FOR_WSO2_RUNTIME))
        return EXIT_OK;
    rc = vault_seal_format_of_homes(&conf, &format, &t, (const char *const *)paths, (size_t)count);
    if (rc == VAULT_EINVAL)
        return cli_usage_error(cmd, "%s; give --format", vault_error_last()->message);
    if (rc != 0)
        return cli_fail(rc, NULL);
    if (!conf)
        return EXIT_OK;
    s->format = (int)format;
    if (format == VAULT_FORMAT_WSO2 && !s->transformation)
        s->transformation = (int)t;
    fprintf(stderr, "cipher-tool: sealing with %s, as the WSO2 runtime of the home opens every value (%s)\n",
            format == VAULT_FORMAT_WSO2_SYMMETRIC ? "the symmetric mode (AES-GCM)"
                                                  : vault_transformation_name((vault_transformation)s->transformation),
            conf);
    vault_string_free(conf);
    return EXIT_OK;
}
