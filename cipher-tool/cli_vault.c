/* Opening a configuration's vault with the shared keystore options. */
#include "cli_vault.h"


int cli_vault_open(vault **out, cli_keystore *k, const char *config, const char *secret_conf)
{
    vault_options o = VAULT_OPTIONS_INIT;
    int rc;

    *out = NULL;
    o.config = config;
    o.secret_conf = secret_conf;
    o.keystore = k->path;
    if (k->storetype)
        o.keystore_type = (vault_keystore_type)vault_keystore_type_from_name(k->storetype);
    o.key_alias = k->alias;
    if (k->no_pkcs1)
        o.flags |= VAULT_OPEN_REFUSE_PKCS1;
    o.password = cli_password_cb; /* the keystore options, then the terminal */
    o.payload = k;
    rc = vault_open(out, &o);
    if (!k->keep_passwords)
        cli_keystore_clear(k); /* no password kept after the open */
    if (rc != 0)
        return cli_keystore_fail(k, rc);
    if (vault_warning(*out))
        cli_warning("%s: %s", config, vault_warning(*out));
    return EXIT_OK;
}
