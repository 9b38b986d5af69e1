/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool rotate: re-encrypt every sealed value of config files from the
 * old key to new recipients or a new format, all or nothing per file. */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* What the command line gives. */
typedef struct rotate_args {
    cli_sealing s;
    cli_keystore from;
    const char *from_aes;
    int json;
} rotate_args;

static const cli_opt rotate_opts[] = {
    {"accept-unproven-pkcs1", 0, CLI_ARG_NONE, NULL,
     "seal such values again without that proof when the\n"
     "old keystore and alias are the ones the file's server\n"
     "is configured with (deployment.toml, secret-conf.properties\n"
     "beside cipher-text.properties, carbon.xml)",
     CLI_BITS(VAULT_APPLY_ACCEPT_UNPROVEN_PKCS1, rotate_args, s.apply_flags)},
    CLI_OPT_INCLUDE_AT(cli_apply_json_opts, rotate_args, json),
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_HEADING("the old key:"),
    {"from-keystore", 0, CLI_ARG_REQUIRED, "FILE", "keystore holding the key that opens the values now",
     CLI_TO(CLI_TO_STRING, rotate_args, from.path)},
    {"from-alias", 0, CLI_ARG_REQUIRED, "ALIAS",
     "its key entry (default: as the values name it, else\n"
     "the only key entry)", CLI_TO(CLI_TO_STRING, rotate_args, from.alias)},
    {"from-storetype", 0, CLI_ARG_REQUIRED, "TYPE", "force its type", CLI_CALL(cli_parse_storetype, rotate_args, from.storetype)},
    {"from-password-file", 0, CLI_ARG_REQUIRED, "F", "its store password (as --password-file below)",
     CLI_TO(CLI_TO_STRING, rotate_args, from.password_file)},
    {"from-password-fd", 0, CLI_ARG_REQUIRED, "N",
     "its store password from descriptor N", CLI_TO(CLI_TO_FD, rotate_args, from.password_fd)},
    {"from-password-env", 0, CLI_ARG_REQUIRED, "VAR", "its store password from variable VAR",
     CLI_TO(CLI_TO_STRING, rotate_args, from.password_env)},
    {"from-key-password-file", 0, CLI_ARG_REQUIRED, "F", "its key password (as --key-password-file below)",
     CLI_TO(CLI_TO_STRING, rotate_args, from.key_password_file)},
    {"from-key-password-fd", 0, CLI_ARG_REQUIRED, "N", "its key password from descriptor N",
     CLI_TO(CLI_TO_FD, rotate_args, from.key_password_fd)},
    {"from-symmetric-key-file", 0, CLI_ARG_REQUIRED, "F",
     "the old AES key of WSO2 symmetric values (raw 16/24/32\n"
     "bytes, hex or base64), with or instead of --from-keystore", CLI_TO(CLI_TO_STRING, rotate_args, from_aes)},
    CLI_OPT_HEADING("the new recipients (the options of 'seal'):"),
    {"to-keystore", 0, CLI_ARG_REQUIRED, "FILE", "the same as -k", CLI_TO(CLI_TO_STRING, rotate_args, s.key.path)},
    CLI_OPT_INCLUDE_AT(cli_sealing_opts, rotate_args, s),
    CLI_OPT_INCLUDE_AT(cli_not_for_wso2_opts, rotate_args, s),
    CLI_OPT_END,
};

const cli_opt_command cmd_rotate_options = {
    "rotate",
    "usage: cipher-tool rotate FILE... --from-keystore OLD [--from-alias A] [from options]\n"
    "                          (-k NEW | --cert NEW)... [--format F] [options]\n"
    "\n"
    "Re-encrypt every sealed secret of deployment.toml ([secrets]) or\n"
    "cipher-text.properties files: each value is opened with the old key (any\n"
    "format; mixed formats are fine) and sealed again for the new recipients in\n"
    "the new format. Plain text secrets are left as they are and reported;\n"
    "PKCS#1 v1.5 values are reported as legacy. Each file is replaced atomically\n"
    "after every new value was checked (opened with the new key when it is at\n"
    "hand); when any value does not open with the old key, the file is not\n"
    "written and every failing alias is named. A value the old key does not open\n"
    "but the new key does, in the new format, is reported as already rotated.\n"
    "In a WSO2 product home the new values must be of the one algorithm (or the\n"
    "symmetric mode) its secret-conf.properties names, else the file is not written.\n"
    "A config naming an etcd repository ([secret_repository], or for a\n"
    "cipher-text.properties secretRepositories=etcd in its secret-conf.properties)\n"
    "has its values rotated in etcd: read, re-sealed and written back in one\n"
    "transaction that fails, writing nothing, when any key under the prefix\n"
    "changed since the read.\n"
    "\n"
    "An RSA PKCS#1 v1.5 value without a thumbprint (raw WSO2 values) opens with\n"
    "any key of its size, a wrong one giving other bytes; it is sealed again only\n"
    "when another value of the run (native, OAEP, a holder naming the key's\n"
    "certificate) proves the old key (SECURITY.md).\n"
    "\n",
    rotate_opts,
    "\n"
    "examples:\n"
    "  cipher-tool rotate deployment.toml --from-keystore old.jks --from-password-file old.pw \\\n"
    "      -k new.p12 --password-file new.pw\n"
    "  cipher-tool rotate cipher-text.properties --from-keystore wso2carbon.jks \\\n"
    "      --cert new.pem --format wso2 --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding\n",
    0,
};


/* A list of aliases for messages: "\"a\", \"b\"". */
typedef struct alias_list {
    char *text;
    size_t used, cap, n;
} alias_list;

static int list_add(alias_list *l, const char *alias)
{
    size_t add = strlen(alias) + 5;
    if (cli_grow(&l->text, &l->cap, l->used + add, 1) != 0)
        return cli_fail(VAULT_ENOMEM, "out of memory");
    l->used += (size_t)snprintf(l->text + l->used, add, "%s\"%s\"", l->n ? ", " : "", alias);
    l->n++;
    return EXIT_OK;
}

static int report(const vault_apply_result *res, const char *format)
{
    alias_list legacy = {NULL, 0, 0, 0}, plain = {NULL, 0, 0, 0};
    size_t i, rotated = 0, already = 0;
    int rc = EXIT_OK;

    for (i = 0; rc == EXIT_OK && i < res->count; i++) {
        const vault_apply_entry *e = &res->entries[i];
        rotated += e->status == VAULT_APPLY_ROTATED;
        already += e->status == VAULT_APPLY_ALREADY_ROTATED;
        if (e->flags & VAULT_APPLY_WAS_LEGACY)
            rc = list_add(&legacy, e->alias);
        else if (e->flags & VAULT_APPLY_WAS_PLAIN)
            rc = list_add(&plain, e->alias);
    }
    fprintf(stderr, "cipher-tool: %s: rotated %zu secret%s to %s", res->path, rotated, rotated == 1 ? "" : "s",
            format);
    if (res->location)
        fprintf(stderr, " in %s", res->location);
    if (legacy.n)
        fprintf(stderr, " (%zu legacy PKCS#1 v1.5 value%s moved to %s: %s)", legacy.n,
                legacy.n == 1 ? "" : "s", format, legacy.text);
    if (already)
        fprintf(stderr, "; %zu already on the new key", already);
    fputc('\n', stderr);
    if (plain.n)
        cli_warning("%s: %zu plain text secret%s left as %s: %s", res->path, plain.n,
                    plain.n == 1 ? "" : "s", plain.n == 1 ? "it is" : "they are", plain.text);
    free(legacy.text);
    free(plain.text);
    return rc;
}

int cli_rotate_file(cli_apply *a, cli_sealing *s, const char *path, vault_opener *old, vault_sealer *sealer,
                    const char *format)
{
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    size_t i, unproven = 0, accepted = 0;
    int rc, accept_unproven = (s->apply_flags & VAULT_APPLY_ACCEPT_UNPROVEN_PKCS1) != 0;

    o.op = VAULT_APPLY_ROTATE;
    o.path = path;
    o.sealer = sealer;
    o.from = old;
    cli_sealing_apply_options(s, &o);
    rc = cli_apply_file(a, &o, &res);
    for (i = 0; res && i < res->count; i++) {
        unproven += (res->entries[i].flags & VAULT_APPLY_UNPROVEN) != 0;
        accepted += (res->entries[i].flags & VAULT_APPLY_UNPROVEN_ACCEPTED) != 0;
    }
    if (unproven)
        cli_hint((o.flags & VAULT_APPLY_ACCEPT_HOME_KEY_PKCS1)
                     ? "the old key must be a key entry of the keystore the server is configured with, "
                       "and every such value must open to text with it"
                     : accept_unproven ? "with --accept-unproven-pkcs1 the old key must be the one the "
                                         "server is configured with, and every such value must open to text"
                     : "if the old key is the one the server is configured with, "
                       "'cipher-tool rotate --accept-unproven-pkcs1' seals them again");
    if (rc == EXIT_OK && accepted)
        cli_warning("%s: %zu PKCS#1 v1.5 value%s sealed again without proof of the old key (%s; "
                    "every such value opened to text)", path, accepted, accepted == 1 ? "" : "s",
                    accept_unproven ? "--accept-unproven-pkcs1" : "a key entry of the server's keystore");
    if (rc == EXIT_OK)
        rc = report(res, format);
    vault_apply_result_free(res);
    return rc;
}

static int parse_args(rotate_args *r, int argc, char **argv)
{
    int rc = cli_opts_parse(&cmd_rotate_options, argc, argv, r);

    if (rc != EXIT_OK)
        return rc;
    if (optind >= argc)
        return cli_usage_error("rotate", "expected one or more FILEs");
    if (!r->from.path && !r->from_aes)
        return cli_usage_error("rotate", "missing --from-keystore OLD (the key that opens the values "
                               "now) or --from-symmetric-key-file");
    return EXIT_OK;
}

int cmd_rotate(int argc, char **argv)
{
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    rotate_args r;
    cli_sealing *s = &r.s;
    cli_keystore *from = &r.from;
    cli_apply a;
    vault_keystore *old_ks = NULL;
    vault_secret *old_aes = NULL;
    vault_opener *old = NULL;
    vault_sealer *sealer = NULL;
    const vault_keystore_entry *e;
    int rc, i;

    memset(&r, 0, sizeof r);
    cli_sealing_init(s);
    cli_keystore_init(from, "old keystore");
    rc = parse_args(&r, argc, argv);
    if (rc != EXIT_OK)
        goto done;
    cli_apply_init(&a, "rotate", "did not rotate", r.json);
    if ((from->path && cli_open_keystore(&old_ks, from) != 0) ||
        (r.from_aes && cli_read_symmetric_key(r.from_aes, &old_aes) != EXIT_OK)) {
        rc = EXIT_FAIL;
        goto finish;
    }
    oo.keystore = old_ks;
    oo.symmetric_key = old_aes;
    oo.key_alias = from->alias;
    if ((rc = vault_opener_new(&old, &oo)) != 0) {
        rc = cli_fail(rc, NULL);
        goto finish;
    }
    if ((rc = cli_sealing_prepare(s, "rotate", &sealer)) != EXIT_OK)
        goto finish;
    cli_apply_recipients(&a, s->recipients, s->recipient_count);
    if (!s->symmetric_key &&
        (!s->ks || vault_keystore_find(&e, s->ks, s->key.alias) != 0 || e->kind == VAULT_ENTRY_TRUSTED_CERT))
        cli_warning("the new private key is not at hand: the new values are checked for form only");
    vault_error_clear();
    for (i = optind, rc = EXIT_OK; i < argc; i++)
        if (cli_rotate_file(&a, s, argv[i], old, sealer, vault_format_name((vault_format)s->format)) != EXIT_OK)
            rc = EXIT_FAIL;
finish:
    if (rc != EXIT_OK && vault_error_last())
        cli_apply_note(&a, VAULT_ERROR, vault_error_last()->message);
    rc = cli_apply_finish(&a, rc);
done:
    vault_sealer_free(sealer);
    vault_opener_free(old);
    vault_keystore_free(old_ks);
    vault_secret_free(old_aes);
    cli_keystore_clear(from);
    cli_sealing_clear(s);
    return rc;
}
