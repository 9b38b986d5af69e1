/* Opening a configuration's vault with the shared keystore options. */
#include "cli_vault.h"


int cli_vault_open(vault **out, cli_keystore *k, const char *config, const char *secret_conf)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *where = NULL;
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
    o.flags |= VAULT_OPEN_WSO2_RULES; /* a WSO2 home's values as its server will read them */
    o.password = cli_password_cb; /* the keystore options, then the terminal */
    o.payload = k;
    /* With no password option, the sources a server has: the product
     * home's root password files, then systemd credentials. */
    if (!k->password_file && k->password_fd < 0 && !k->password_env && !k->given) {
        k->use_credentials = 1;
        if (vault_locate(&where, &o) == 0)
            k->home = where->home;
    }
    rc = vault_open(out, &o);
    k->home = NULL;
    vault_location_free(where);
    cli_keystore_clear(k); /* no password kept after the open */
    if (rc != 0)
        return cli_keystore_fail(k, rc);
    if (vault_warning(*out))
        cli_warning("%s: %s", config, vault_warning(*out));
    return EXIT_OK;
}
