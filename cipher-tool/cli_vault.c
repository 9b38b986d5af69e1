/* SPDX-License-Identifier: Apache-2.0 */
/* Opening a configuration's vault with the shared keystore options. */
#include "cli_vault.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const cli_opt cli_vault_config_opts[] = {
    {"config", 'c', CLI_ARG_REQUIRED, "CONFIG",
     "deployment.toml, cipher-text.properties or a product\n"
     "home; names the keystore unless -k is given", CLI_TO(CLI_TO_STRING, cli_vault_args, config)},
    {"secret-conf", 0, CLI_ARG_REQUIRED, "FILE",
     "secret-conf.properties (default: beside CONFIG)", CLI_TO(CLI_TO_STRING, cli_vault_args, secret_conf)},
    {"no-pkcs1", 0, CLI_ARG_NONE, NULL,
     "refuse RSA PKCS#1 v1.5 values (the default when the\n"
     "config's algorithm is OAEP)", CLI_TO(CLI_TO_FLAG, cli_vault_args, key.no_pkcs1)},
    CLI_OPT_END,
};

const cli_opt cli_vault_key_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_keystore_opts, cli_vault_args, key),
    CLI_OPT_INCLUDE_AT(cli_root_password_opts, cli_vault_args, key),
    CLI_OPT_END,
};

int cli_vault_open(vault **out, cli_keystore *k, const char *config, const char *secret_conf)
{
    vault_options o = VAULT_OPTIONS_INIT;
    int rc;

    *out = NULL;
    o.config = config;
    o.secret_conf = secret_conf;
    o.keystore = k->path;
    if (k->storetype)
        (void)vault_keystore_type_from_name(&o.keystore_type, k->storetype); /* checked when parsed */
    o.key_alias = k->alias;
    o.keystore_cert = k->key_cert;
    if (k->no_pkcs1)
        o.flags |= VAULT_OPEN_REFUSE_PKCS1;
    o.flags |= VAULT_OPEN_WSO2_RULES; /* a WSO2 home's values as its server will read them */
    o.password = cli_password_cb; /* the keystore options, then the terminal */
    o.payload = k;
    /* With no password option, the sources a server has: the product
     * home's root password files, then systemd credentials. */
    k->home_config = config;
    rc = vault_open(out, &o);
    k->home_config = NULL;
    if (!k->keep_passwords)
        cli_keystore_clear(k); /* no password kept after the open */
    if (rc != 0)
        return cli_keystore_fail(k, rc);
    if (vault_warning(*out))
        cli_warning("%s: %s", config, vault_warning(*out));
    return EXIT_OK;
}

int cli_config_type(const char *name)
{
    if (strcmp(name, "toml") == 0)
        return VAULT_CONFIG_TOML;
    if (strcmp(name, "properties") == 0)
        return VAULT_CONFIG_PROPERTIES;
    if (strcmp(name, "xml") == 0)
        return VAULT_CONFIG_XML;
    return -1;
}

int cli_config_is_xml(int type, const char *path)
{
    return type == VAULT_CONFIG_XML ||
           (type == VAULT_CONFIG_AUTO && vault_config_type_from_name(path) == VAULT_CONFIG_XML);
}

int cli_parse_config_type(void *dest, const char *name, const char *cmd)
{
    int *type = dest;
    if ((*type = cli_config_type(name)) < 0)
        return cli_usage_error(cmd, "unknown --type \"%s\" (toml, properties or xml)", name), -1;
    return 0;
}

int cli_parse_sealable_type(void *dest, const char *name, const char *cmd)
{
    if (cli_parse_config_type(dest, name, cmd) != 0)
        return -1;
    if (*(int *)dest == VAULT_CONFIG_XML)
        return cli_usage_error(cmd, "%s reads toml and properties files", cmd), -1;
    return 0;
}

int cli_config_resolve(char **file, int *type, const char *path)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;
    struct stat st;
    int rc;

    *file = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* A product home: the file vault_open() would read. */
        o.config = path;
        if ((rc = vault_locate(&loc, &o)) != 0)
            return rc;
        *file = strdup(loc->config);
        *type = (int)loc->type;
        vault_location_free(loc);
    } else {
        *file = strdup(path);
    }
    return *file ? 0 : VAULT_ENOMEM;
}

int cli_config_open(vault_config **out, char **file, const char *path, int type)
{
    int rc;

    *out = NULL;
    if ((rc = cli_config_resolve(file, &type, path)) != 0)
        return rc;
    if ((rc = vault_config_open(out, *file, (vault_config_type)type)) != 0) {
        free(*file);
        *file = NULL;
    }
    return rc;
}
