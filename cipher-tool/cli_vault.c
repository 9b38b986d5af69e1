/* Opening a configuration's vault with the shared keystore options. */
#include "cli_vault.h"

#include <string.h>

typedef struct vault_passwords_ctx {
    cli_keystore *k;
    vault_password_provider *provider;
} vault_passwords_ctx;

/* A separate key password option wins over the store password sources. */
static int cli_vault_password(vault_secret **out, vault_password_kind kind, const char *path,
                              const char *alias, void *payload)
{
    vault_passwords_ctx *c = payload;

    *out = NULL;
    if (kind == VAULT_PASSWORD_KEY && c->k->key_password_file)
        return vault_password_from_file(out, NULL, c->k->key_password_file);
    if (kind == VAULT_PASSWORD_KEY && c->k->key_password_fd >= 0)
        return vault_password_from_fd(out, c->k->key_password_fd);
    return vault_password_provider_cb(out, kind, path, alias, c->provider);
}

int cli_vault_open(vault **out, cli_keystore *k, const char *config, const char *secret_conf)
{
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_options o = VAULT_OPTIONS_INIT;
    vault_passwords_ctx ctx = {k, NULL};
    const vault_error *e;
    int rc;

    *out = NULL;
    src.fd = k->password_fd;
    src.file = k->password_file;
    src.env = k->password_env;
    src.allow_terminal = 1; /* the command line owns the terminal */
    if (vault_password_provider_new(&ctx.provider, &src) != 0)
        return cli_fail(VAULT_ENOMEM, NULL);
    o.config = config;
    o.secret_conf = secret_conf;
    o.keystore = k->path;
    if (k->storetype)
        o.keystore_type = (vault_keystore_type)vault_keystore_type_from_name(k->storetype);
    o.key_alias = k->alias;
    o.password = cli_vault_password;
    o.payload = &ctx;
    rc = vault_open(out, &o);
    vault_password_provider_free(ctx.provider);
    if (rc == 0) {
        if (vault_warning(*out))
            cli_warning("%s: %s", config, vault_warning(*out));
        return EXIT_OK;
    }
    e = vault_error_last();
    cli_error("%s", e && e->message[0] ? e->message : vault_strerror(rc));
    if (rc == VAULT_EPERM)
        cli_hint("chmod 600 the password file");
    else if (e && strstr(e->message, "no password source"))
        cli_hint("give the keystore password with --password-file FILE, --password-fd N or "
                 "--password-env VAR");
    else if (e && strstr(e->message, "names no keystore"))
        cli_hint("give the keystore with -k KEYSTORE");
    return EXIT_FAIL;
}
