/* SPDX-License-Identifier: Apache-2.0 */
/* Recipients, format and sealer for the commands that seal. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int parse_format(void *dest, const char *arg, const char *cmd)
{
    vault_format f;
    if (vault_format_from_name(&f, arg) != 0)
        return cli_usage_error(cmd, "unknown format \"%s\" (native, wso2, wso2-holder, wso2-symmetric)", arg), -1;
    *(int *)dest = (int)f;
    return 0;
}

int cli_parse_transformation(void *dest, const char *arg, const char *cmd)
{
    vault_transformation t;
    if (vault_transformation_from_name(&t, arg) != 0)
        return cli_usage_error(cmd, "unknown transformation \"%s\"", arg), -1;
    *(int *)dest = (int)t;
    return 0;
}

const cli_opt cli_trust_opts[] = {
    {"truststore", 0, CLI_ARG_REQUIRED, "FILE",
     "refuse a recipient certificate whose chain does not\n"
     "verify to a certificate of FILE, or that has expired\n"
     "(without it, an expired certificate is a warning)", CLI_TO(CLI_TO_STRING, cli_keystore, path)},
    {"truststore-password-file", 0, CLI_ARG_REQUIRED, "F", "the truststore's password (first line of F)",
     CLI_TO(CLI_TO_STRING, cli_keystore, password_file)},
    {"allow-untrusted", 0, CLI_ARG_NONE, NULL, "take such a certificate anyway, with a warning",
     CLI_TO(CLI_TO_FLAG, cli_keystore, allow_untrusted)},
    {"crl", 0, CLI_ARG_REQUIRED, "FILE",
     "CRLs (PEM or DER) for the truststore; with CRLs (also\n"
     "those in its PEM files or .crl files) every chain\n"
     "certificate must be covered and not revoked", CLI_TO(CLI_TO_STRING, cli_keystore, crl)},
    CLI_OPT_END,
};

const cli_opt cli_sealing_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_keystore_opts, cli_sealing, key),
    {"cert", 0, CLI_ARG_REQUIRED, "FILE",
     "seal to this certificate (PEM or DER; repeatable: each\n"
     "one is a recipient of native values), or to the EC,\n"
     "X25519 or Ed25519 key of a PEM PUBLIC KEY file", CLI_LIST(cli_sealing, certs, cert_count)},
    {"format", 0, CLI_ARG_REQUIRED, "FORMAT",
     "native (default), wso2, wso2-holder, wso2-symmetric", CLI_CALL(parse_format, cli_sealing, format)},
    {"transformation", 0, CLI_ARG_REQUIRED, "T",
     "wso2 formats: RSA, RSA/ECB/PKCS1Padding,\n"
     "RSA/ECB/OAEPwithSHA1andMGF1Padding (default),\n"
     "RSA/ECB/OAEPWithSHA-256AndMGF1Padding", CLI_CALL(cli_parse_transformation, cli_sealing, transformation)},
    {"symmetric-key-file", 0, CLI_ARG_REQUIRED, "F",
     "wso2-symmetric: the AES key (raw 16/24/32 bytes, or hex\n"
     "or base64 text), instead of a keystore secret key", CLI_TO(CLI_TO_STRING, cli_sealing, symmetric_key_file)},
    CLI_OPT_INCLUDE_AT(cli_trust_opts, cli_sealing, trust),
    CLI_OPT_END,
};

const cli_opt cli_not_for_wso2_opts[] = {
    {"not-for-wso2-runtime", 0, CLI_ARG_NONE, NULL,
     "in a WSO2 product home, write values its runtime does not\n"
     "open (another algorithm than secret-conf.properties\n"
     "names): for libvault, render and exec only", CLI_BITS(VAULT_APPLY_NOT_FOR_WSO2_RUNTIME, cli_sealing, apply_flags)},
    CLI_OPT_END,
};

void cli_sealing_init(cli_sealing *s)
{
    memset(s, 0, sizeof *s);
    cli_keystore_init(&s->key, "keystore");
    cli_keystore_init(&s->trust, "truststore");
}

void cli_sealing_clear(cli_sealing *s)
{
    size_t i;
    for (i = 0; i < s->recipient_count; i++)
        vault_recipient_free(s->recipients[i]);
    for (i = 0; i < s->cert_count; i++)
        vault_keystore_free(s->cert_ks[i]);
    vault_keystore_free(s->ks);
    vault_keystore_free(s->trust_ks);
    vault_secret_free(s->symmetric_key);
    cli_keystore_clear(&s->key);
    cli_keystore_clear(&s->trust);
    memset(s, 0, sizeof *s);
}


int cli_trust_usage(const cli_keystore *trust, const char *cmd)
{
    if (trust->password_file && !trust->path)
        return cli_usage_error(cmd, "--truststore-password-file without --truststore");
    if (trust->crl && !trust->path)
        return cli_usage_error(cmd, "--crl without --truststore");
    return EXIT_OK;
}

int cli_read_symmetric_key(const char *path, vault_secret **out)
{
    int rc = vault_symmetric_key_from_file(out, path);
    return rc == 0 ? EXIT_OK : cli_fail(rc, NULL);
}

int cli_check_trust(const vault_keystore *trust_ks, const vault_keystore *ks, const char *alias,
                    const vault_recipient *r, int allow_untrusted)
{
    vault_recipient_trust verdict;
    char *warning = NULL;
    int rc = vault_recipient_check(&verdict, &warning, r, ks, alias, trust_ks,
                                   allow_untrusted ? VAULT_RECIPIENT_ALLOW_UNTRUSTED : 0);
    if (warning)
        cli_warning("%s", warning);
    vault_string_free(warning);
    if (rc == 0)
        return EXIT_OK;
    cli_fail(rc, NULL);
    if (rc == VAULT_ETRUST)
        cli_hint("--allow-untrusted seals to it anyway");
    return EXIT_FAIL;
}

static int add_recipient(cli_sealing *s, vault_keystore *ks, const char *alias)
{
    int rc = vault_recipient_from_keystore(&s->recipients[s->recipient_count], ks, alias);
    if (rc != 0)
        return cli_fail(rc, NULL);
    s->recipient_count++;
    return cli_check_trust(s->trust_ks, ks, alias, s->recipients[s->recipient_count - 1],
                           s->trust.allow_untrusted);
}

int cli_sealing_prepare(cli_sealing *s, const char *cmd, vault_sealer **out)
{
    vault_seal_options o = VAULT_SEAL_OPTIONS_INIT;
    size_t i;
    int rc;

    *out = NULL;
    if (!s->format)
        s->format = VAULT_FORMAT_NATIVE;
    if (s->format == VAULT_FORMAT_WSO2_SYMMETRIC) {
        if (!s->symmetric_key_file && !s->key.path)
            return cli_usage_error(cmd, "wso2-symmetric needs -k KEYSTORE (a secret key entry) or --symmetric-key-file");
    } else if (!s->key.path && s->cert_count == 0) {
        return cli_usage_error(cmd, "missing recipient: -k KEYSTORE or --cert CERT");
    }
    if (s->format != VAULT_FORMAT_NATIVE && s->format != VAULT_FORMAT_WSO2_SYMMETRIC &&
        (s->cert_count + (s->key.path ? 1 : 0)) > 1)
        return cli_usage_error(cmd, "the %s format has one recipient; several need --format native",
                               vault_format_name((vault_format)s->format));
    if ((rc = cli_trust_usage(&s->trust, cmd)) != EXIT_OK)
        return rc;
    if (s->key.path && cli_open_keystore(&s->ks, &s->key) != 0)
        return EXIT_FAIL;
    if (s->trust.path && cli_open_keystore(&s->trust_ks, &s->trust) != 0)
        return EXIT_FAIL;
    if (s->format == VAULT_FORMAT_WSO2_SYMMETRIC) {
        if (s->symmetric_key_file)
            rc = cli_read_symmetric_key(s->symmetric_key_file, &s->symmetric_key);
        else
            rc = vault_keystore_secret_key(&s->symmetric_key, s->ks, s->key.alias) == 0 ? EXIT_OK
                                                                                         : cli_fail(VAULT_ERROR, NULL);
        if (rc != EXIT_OK)
            return rc;
    } else {
        if (s->ks && (rc = add_recipient(s, s->ks, s->key.alias)) != EXIT_OK)
            return rc;
        for (i = 0; i < s->cert_count; i++) {
            cli_keystore c;
            cli_keystore_init(&c, "certificate");
            c.path = s->certs[i];
            if (cli_open_keystore(&s->cert_ks[i], &c) != 0)
                return EXIT_FAIL;
            if ((rc = add_recipient(s, s->cert_ks[i], NULL)) != EXIT_OK)
                return rc;
        }
    }
    o.format = (vault_format)s->format;
    o.transformation = (vault_transformation)s->transformation;
    o.recipients = (const vault_recipient *const *)s->recipients;
    o.recipient_count = s->recipient_count;
    o.symmetric_key = s->symmetric_key;
    rc = vault_sealer_new(out, &o);
    return rc == 0 ? EXIT_OK : cli_fail(rc, NULL);
}

void cli_sealing_apply_options(const cli_sealing *s, vault_apply_options *o)
{
    o->keystore = s->ks;
    o->key_alias = s->key.alias;
    o->symmetric_key = s->symmetric_key;
    o->recipients = (const vault_recipient *const *)s->recipients;
    o->recipient_count = s->recipient_count;
    o->flags |= s->apply_flags;
}
