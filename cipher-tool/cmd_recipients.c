/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool recipients add | remove: change who can open the native values
 * of config files by rewrapping their data keys (docs/FORMAT.md 5.4); the
 * secrets themselves are neither asked for nor re-encrypted. */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct rcpt_run {
    cli_keystore key;
    vault_keystore *ks;
    const char *certs[CLI_MAX_CERTS];
    size_t cert_count;
    vault_keystore *cert_ks[CLI_MAX_CERTS];
    vault_recipient *certs_r[CLI_MAX_CERTS];
    cli_keystore trust;           /* add: --truststore, its password, --allow-untrusted */
    vault_keystore *trust_ks;
    char *ids[CLI_MAX_CERTS * 2];
    size_t id_count;
    int remove;                   /* set before the options are parsed */
    int json;
    vault_rewrapper *rw;
} rcpt_run;

static int parse_key_id(void *dest, const char *arg, const char *cmd);

static const cli_opt recipients_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_keystore_opts, rcpt_run, key),
    {"cert", 0, CLI_ARG_REQUIRED, "FILE",
     "add: a new recipient; remove: the recipient to drop\n"
     "(PEM or DER; repeatable)", CLI_LIST(rcpt_run, certs, cert_count)},
    {"key-id", 0, CLI_ARG_REQUIRED, "ID",
     "remove: a recipient's key id (SHA-256 fingerprint of\n"
     "its certificate; colons and case ignored; repeatable)", CLI_CALL(parse_key_id, rcpt_run, ids)},
    CLI_OPT_INCLUDE_AT(cli_apply_json_opts, rcpt_run, json),
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_HEADING("add only: the trust gate on the added certificates"),
    CLI_OPT_INCLUDE_AT(cli_trust_opts, rcpt_run, trust),
    CLI_OPT_END,
};

const cli_opt_command cmd_recipients_options = {
    "recipients",
    "usage: cipher-tool recipients add FILE... -k KEYSTORE --cert CERT...\n"
    "                                  [--truststore FILE [--allow-untrusted]] [options]\n"
    "       cipher-tool recipients remove FILE... -k KEYSTORE (--key-id ID | --cert CERT)...\n"
    "\n"
    "Add or remove recipients of the native (vault:v1:) values of deployment.toml\n"
    "or cipher-text.properties files without re-encrypting them: the data key of\n"
    "each value is recovered with the private key of -k (a current recipient) and\n"
    "wrapped to each added certificate; a removed recipient's stanza is dropped.\n"
    "Values of other formats are left alone (rotate them). Each file is replaced\n"
    "atomically after the new values were checked; when any value fails, the\n"
    "file is not written and every failing alias is named. Values that already\n"
    "have (add) or lack (remove) the recipient are left alone and reported.\n"
    "Removing a recipient is not revocation: a key that could read a secret\n"
    "before still can if it kept a copy. Rotate and change the secret for that.\n"
    "A config naming an etcd repository ([secret_repository], or for a\n"
    "cipher-text.properties secretRepositories=etcd in its secret-conf.properties)\n"
    "has its values rewrapped in etcd, in one transaction that fails, writing\n"
    "nothing, when any key under the prefix changed since they were read.\n"
    "With --truststore, an added certificate whose chain does not verify (or\n"
    "that has expired) is refused and no file is touched, as for 'seal'.\n"
    "\n",
    recipients_opts,
    "\n"
    "example:\n"
    "  cipher-tool recipients add deployment.toml -k wso2carbon.jks --cert dr.pem \\\n"
    "      --truststore client-truststore.jks --truststore-password-file ts.pw\n",
    0,
};

static void run_clear(rcpt_run *r)
{
    size_t i;
    vault_rewrapper_free(r->rw);
    for (i = 0; i < r->cert_count; i++) {
        vault_recipient_free(r->certs_r[i]);
        vault_keystore_free(r->cert_ks[i]);
    }
    for (i = 0; i < r->id_count; i++)
        free(r->ids[i]);
    vault_keystore_free(r->ks);
    vault_keystore_free(r->trust_ks);
    cli_keystore_clear(&r->key);
    cli_keystore_clear(&r->trust);
}

/* "AB:CD..." or "abcd...": 64 hex digits, as vault_key_id_parse() reads
 * them. Returns 0 or -1 (message printed). */
static int add_key_id(rcpt_run *r, const char *arg)
{
    char id[65];

    if (vault_key_id_parse(id, sizeof id, arg, 64) != 0) {
        vault_error_clear(); /* a usage error of the command line */
        cli_usage_error("recipients", "\"%s\" is not a key id (64 hex digits, colons allowed)", arg);
        return -1;
    }
    if (r->id_count == sizeof r->ids / sizeof r->ids[0]) {
        cli_usage_error("recipients", "too many key ids");
        return -1;
    }
    if (!(r->ids[r->id_count] = strdup(id))) {
        cli_fail(VAULT_ENOMEM, "out of memory");
        return -1;
    }
    r->id_count++;
    return 0;
}

/* --key-id ID, for remove only. */
static int parse_key_id(void *dest, const char *arg, const char *cmd)
{
    rcpt_run *r = (rcpt_run *)((char *)dest - offsetof(rcpt_run, ids));
    if (!r->remove)
        return cli_usage_error(cmd, "add: --key-id is for remove only"), -1;
    return add_key_id(r, arg) != 0 ? -1 : 0;
}

static int open_certs(rcpt_run *r)
{
    size_t i;
    for (i = 0; i < r->cert_count; i++) {
        if (cli_open_cert(&r->cert_ks[i], r->certs[i]) != 0)
            return EXIT_FAIL;
        if (vault_recipient_from_keystore(&r->certs_r[i], r->cert_ks[i], NULL) != 0)
            return cli_fail(VAULT_ERROR, NULL);
        if (!r->remove &&
            cli_check_trust(r->trust_ks, r->cert_ks[i], NULL, r->certs_r[i], r->trust.allow_untrusted) != EXIT_OK)
            return EXIT_FAIL;
        if (r->remove && add_key_id(r, vault_recipient_key_id(r->certs_r[i])) != 0)
            return EXIT_FAIL;
    }
    return EXIT_OK;
}

static int prepare(rcpt_run *r)
{
    vault_rewrap_options o = VAULT_REWRAP_OPTIONS_INIT;
    int rc;

    if (cli_open_keystore(&r->ks, &r->key) != 0)
        return EXIT_FAIL;
    if (r->trust.path && cli_open_keystore(&r->trust_ks, &r->trust) != 0)
        return EXIT_FAIL;
    if ((rc = open_certs(r)) != EXIT_OK)
        return rc;
    o.keystore = r->ks;
    o.key_alias = r->key.alias;
    if (r->remove) {
        o.remove_key_ids = (const char *const *)r->ids;
        o.remove_count = r->id_count;
    } else {
        o.add = (const vault_recipient *const *)r->certs_r;
        o.add_count = r->cert_count;
    }
    rc = vault_rewrapper_new(&r->rw, &o);
    return rc == 0 ? EXIT_OK : cli_fail(rc, NULL);
}

static int report(const rcpt_run *r, const vault_apply_result *res)
{
    size_t i, done = 0, already = 0, other = 0, plain = 0, asked = r->remove ? r->id_count : r->cert_count;

    for (i = 0; i < res->count; i++) {
        done += res->entries[i].status == VAULT_APPLY_REWRAPPED;
        already += res->entries[i].status == VAULT_APPLY_ALREADY_REWRAPPED;
        other += (res->entries[i].flags & VAULT_APPLY_NOT_NATIVE) != 0;
        plain += (res->entries[i].flags & VAULT_APPLY_WAS_PLAIN) != 0;
    }
    if (r->remove && done == 0) {
        for (i = 0; i < r->id_count; i++)
            cli_error("%s: key id %s is not a recipient of any value; %s%s", res->path, r->ids[i],
                      res->location ? "nothing was written in " : "the file was not changed",
                      res->location ? res->location : "");
        return EXIT_FAIL;
    }
    if (other)
        cli_warning("%s: %zu value%s of a WSO2 format left as %s (only native values have "
                    "recipients; use 'cipher-tool rotate')", res->path, other, other == 1 ? "" : "s",
                    other == 1 ? "it is" : "they are");
    if (plain)
        cli_warning("%s: %zu plain text secret%s left as %s (seal %s)", res->path, plain,
                    plain == 1 ? "" : "s", plain == 1 ? "it is" : "they are", plain == 1 ? "it" : "them");
    if (done)
        fprintf(stderr, "cipher-tool: %s: %s %zu recipient%s %s %zu value%s%s%s\n", res->path,
                r->remove ? "removed" : "added", asked, asked == 1 ? "" : "s", r->remove ? "from" : "to", done,
                done == 1 ? "" : "s", res->location ? " in " : "", res->location ? res->location : "");
    if (already)
        fprintf(stderr, "cipher-tool: %s: %zu value%s already %s; %s\n", res->path, already,
                already == 1 ? "" : "s", r->remove ? "without the recipient" : "had the recipient",
                done ? "left as they are" : "the file was not changed");
    return EXIT_OK;
}

static int rewrap_file(rcpt_run *r, cli_apply *a, const char *path)
{
    vault_apply_options o = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    int rc;

    o.op = VAULT_APPLY_REWRAP;
    o.path = path;
    o.rewrapper = r->rw;
    o.keystore = r->ks;
    o.key_alias = r->key.alias;
    if (!r->remove) {
        o.recipients = (const vault_recipient *const *)r->certs_r;
        o.recipient_count = r->cert_count;
    }
    rc = cli_apply_file(a, &o, &res);
    if (rc == EXIT_OK && (rc = report(r, res)) != EXIT_OK)
        cli_apply_note(a, VAULT_ENOTFOUND, "a key id to remove is not a recipient of any value");
    vault_apply_result_free(res);
    return rc;
}

static int parse_args(rcpt_run *r, int argc, char **argv)
{
    int rc = cli_opts_parse(&cmd_recipients_options, argc, argv, r);

    if (rc != EXIT_OK)
        return rc;
    if (optind >= argc)
        return cli_usage_error("recipients", "expected one or more FILEs");
    if (!r->key.path)
        return cli_usage_error("recipients", "missing -k KEYSTORE (a key that opens the values now)");
    if (!r->remove && r->cert_count == 0)
        return cli_usage_error("recipients", "add: missing --cert CERT (the new recipient)");
    if (r->remove && r->cert_count == 0 && r->id_count == 0)
        return cli_usage_error("recipients", "remove: missing --key-id ID or --cert CERT");
    if (r->remove && (r->trust.path || r->trust.password_file || r->trust.allow_untrusted))
        return cli_usage_error("recipients", "remove: --truststore and --allow-untrusted apply to add only");
    return cli_trust_usage(&r->trust, "recipients");
}

int cmd_recipients(int argc, char **argv)
{
    rcpt_run r;
    cli_apply a;
    int rc, i;

    memset(&r, 0, sizeof r);
    cli_keystore_init(&r.key, "keystore");
    cli_keystore_init(&r.trust, "truststore");
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_opt_print_help(stdout, &cmd_recipients_options);
        rc = EXIT_OK;
        goto done;
    }
    if (argc < 2 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "remove") != 0)) {
        rc = cli_usage_error("recipients", "expected 'add' or 'remove'");
        goto done;
    }
    r.remove = strcmp(argv[1], "remove") == 0;
    rc = parse_args(&r, argc - 1, argv + 1);
    if (rc != EXIT_OK)
        goto done;
    cli_apply_init(&a, r.remove ? "recipients remove" : "recipients add", "failed", r.json);
    if ((rc = prepare(&r)) != EXIT_OK) {
        /* What prepare() reported, with its code: vault_error_last() may
         * be stale when the failure was the CLI's own. */
        int code;
        const char *msg = cli_last_error(&code);
        cli_apply_note(&a, code, msg[0] ? msg : NULL);
    } else {
        size_t k;
        if (!r.remove)
            cli_apply_recipients(&a, r.certs_r, r.cert_count);
        for (k = 0; r.remove && k < r.id_count; k++)
            cli_apply_key_id(&a, r.ids[k]);
        for (i = optind + 1; i < argc; i++)
            if (rewrap_file(&r, &a, argv[i]) != EXIT_OK)
                rc = EXIT_FAIL;
    }
    rc = cli_apply_finish(&a, rc);
done:
    run_clear(&r);
    return rc;
}
