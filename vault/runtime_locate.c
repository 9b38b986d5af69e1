/* Where a configuration's secrets and keystore are: a product home's
 * layout, deployment.toml [keystore.internal]/[keystore.primary], and
 * secret-conf.properties, the way the WSO2 server finds them. */
#include "conf_internal.h"
#include "runtime_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOML_KEY_MAX 512

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int path_join(char **out, const char *dir, const char *rel)
{
    size_t a = strlen(dir), b = strlen(rel);

    *out = NULL;
    if (rel[0] == '/' || a == 0 || strncmp(rel, "pkcs11:", 7) == 0 ||
        strncmp(rel, "tpm2:", 5) == 0) /* a token's or a TPM's URI */
        *out = vault_strdup(rel);
    else if ((*out = vault_malloc(a + b + 2)) != NULL)
        snprintf(*out, a + b + 2, "%s%s%s", dir, dir[a - 1] == '/' ? "" : "/", rel);
    return *out ? 0 : VAULT_ERR_NOMEM();
}

/* The directory part of a path ("." for a bare name). */
static int path_dir(char **out, const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        *out = vault_strdup(".");
    else if (slash == path)
        *out = vault_strdup("/");
    else
        *out = vault_strndup(path, (size_t)(slash - path));
    return *out ? 0 : VAULT_ERR_NOMEM();
}

/* The product home when path ends with suffix (e.g.
 * "repository/conf/deployment.toml"), else NULL. */
static int home_from(char **out, const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);

    *out = NULL;
    if (n < m || strcmp(path + n - m, suffix) != 0)
        return 0;
    if (n == m)
        *out = vault_strdup(".");
    else if (path[n - m - 1] == '/')
        *out = vault_strndup(path, n - m - 1 ? n - m - 1 : 1);
    else
        return 0;
    return *out ? 0 : VAULT_ERR_NOMEM();
}

static int set_str(char **dst, const char *s)
{
    vault_free_ptr(*dst);
    *dst = NULL;
    if (s && !(*dst = vault_strdup(s)))
        return VAULT_ERR_NOMEM();
    return 0;
}

/* ---- deployment.toml -------------------------------------------------------- */

/* [keystore.internal] before [keystore.primary], as the WSO2 cipher tool
 * and server pick the key that protects the secrets. */
static int locate_toml_keystore(rt_location *loc)
{
    static const char *const tables[] = {"keystore.internal", "keystore.primary"};
    vault_config *cfg = NULL;
    const char *file = NULL, *alias = NULL, *transform = NULL;
    char key[64], *dir = NULL;
    size_t i;
    int rc;

    if ((rc = conf_open_for_reading(&cfg, loc->config, VAULT_CONFIG_TOML)) != 0)
        return rc;
    for (i = 0; i < 2 && !file; i++) {
        snprintf(key, sizeof key, "%s.file_name", tables[i]);
        if (vault_config_setting(cfg, key, &file) != 0)
            continue;
        snprintf(key, sizeof key, "%s.alias", tables[i]);
        (void)vault_config_setting(cfg, key, &alias);
        if ((rc = set_str(&loc->keystore_origin, tables[i])) != 0)
            goto done;
    }
    if (vault_config_setting(cfg, "system.parameter.org.wso2.CipherTransformation", &transform) == 0 &&
        vault_transformation_from_name(transform) >= 0)
        loc->transformation = (vault_transformation)vault_transformation_from_name(transform);
    if (!file && loc->home) {
        /* The WSO2 default when deployment.toml names no keystore. */
        file = "wso2carbon.jks";
        if ((rc = set_str(&loc->keystore_origin, "the default keystore")) != 0)
            goto done;
    }
    if (!file)
        goto done;
    if (loc->home)
        rc = path_join(&dir, loc->home, "repository/resources/security");
    else
        rc = path_dir(&dir, loc->config);
    if (rc == 0)
        rc = path_join(&loc->keystore, dir, file);
    if (rc == 0 && alias)
        rc = set_str(&loc->key_alias, alias);
done:
    if (rc == 0) {
        loc->parsed = cfg; /* vault_open() reads the secrets from it */
        cfg = NULL;
    }
    vault_config_free(cfg);
    vault_free_ptr(dir);
    return rc;
}

/* ---- secret-conf.properties ----------------------------------------------- */

static const char *prop_value(const vault_config *cfg, const char *key)
{
    const vault_config_entry *e;
    size_t i;
    if (vault_config_find(cfg, key, &i) != 0 || vault_config_entry_at(cfg, i, &e) != 0)
        return NULL;
    return e->value;
}

/* keystore.identity.location may start with ${carbon.home}; a relative
 * location is relative to the product home (the Java server's working
 * directory), else to the directory of secret-conf.properties. */
static int resolve_location(rt_location *loc, const char *location, const char *conf_dir)
{
    static const char carbon_home[] = "${carbon.home}";
    const char *base = loc->home ? loc->home : conf_dir;

    if (strncmp(location, carbon_home, sizeof carbon_home - 1) == 0) {
        location += sizeof carbon_home - 1;
        while (*location == '/')
            location++;
        if (!loc->home)
            base = ".";
    }
    return path_join(&loc->keystore, base, location);
}

/* carbon.xml: Security/InternalKeyStore before Security/KeyStore. */
static int locate_carbon_xml(rt_location *loc)
{
    static const char *const stores[] = {"InternalKeyStore", "KeyStore"};
    unsigned char *xml = NULL;
    char *path = NULL, *location = NULL, *alias = NULL, xpath[96];
    size_t len = 0, i;
    int rc;

    if ((rc = path_join(&path, loc->home, "repository/conf/carbon.xml")) != 0 || !is_file(path))
        goto done;
    if ((rc = vault_read_file(path, 16u << 20, &xml, &len)) != 0)
        goto done;
    for (i = 0; i < 2 && !location; i++) {
        snprintf(xpath, sizeof xpath, "//Server/Security/%s/Location", stores[i]);
        rc = vault_xml_value(&location, xml, len, path, xpath);
        if (rc == VAULT_ENOTFOUND)
            continue;
        if (rc != 0)
            goto done;
        snprintf(xpath, sizeof xpath, "//Server/Security/%s/KeyAlias", stores[i]);
        if ((rc = vault_xml_value(&alias, xml, len, path, xpath)) != 0 && rc != VAULT_ENOTFOUND)
            goto done;
        snprintf(xpath, sizeof xpath, "%s Security/%s", path, stores[i]);
        if ((rc = set_str(&loc->keystore_origin, xpath)) != 0)
            goto done;
    }
    rc = 0;
    if (location && (rc = resolve_location(loc, location, loc->home)) == 0 && alias)
        rc = set_str(&loc->key_alias, alias);
done:
    if (rc == 0)
        vault_error_clear(); /* an element not found above is no failure */
    vault_string_free(location);
    vault_string_free(alias);
    vault_free_ptr(xml);
    vault_free_ptr(path);
    return rc;
}

static int locate_secret_conf(rt_location *loc, const char *secret_conf)
{
    vault_config *cfg = NULL;
    char *conf_path = NULL, *conf_dir = NULL;
    const char *location, *alias, *algorithm;
    int rc;

    if (secret_conf)
        rc = set_str(&conf_path, secret_conf);
    else if ((rc = path_dir(&conf_dir, loc->config)) == 0)
        rc = path_join(&conf_path, conf_dir, "secret-conf.properties");
    if (rc != 0)
        goto done;
    if (!secret_conf && !is_file(conf_path)) {
        /* Not configured yet: the keystore the server names in carbon.xml,
         * as the Java cipher tool finds it. Else the caller must name it. */
        if (loc->home)
            rc = locate_carbon_xml(loc);
        goto done;
    }
    vault_free_ptr(conf_dir);
    conf_dir = NULL;
    if ((rc = vault_config_open(&cfg, conf_path, VAULT_CONFIG_PROPERTIES)) != 0 ||
        (rc = path_dir(&conf_dir, conf_path)) != 0)
        goto done;
    location = prop_value(cfg, "keystore.identity.location");
    alias = prop_value(cfg, "keystore.identity.alias");
    algorithm = prop_value(cfg, "secretRepositories.file.algorithm");
    if (location && ((rc = resolve_location(loc, location, conf_dir)) != 0 ||
                     (rc = set_str(&loc->keystore_origin, conf_path)) != 0))
        goto done;
    if (alias && (rc = set_str(&loc->key_alias, alias)) != 0)
        goto done;
    if (algorithm && vault_transformation_from_name(algorithm) >= 0)
        loc->transformation = (vault_transformation)vault_transformation_from_name(algorithm);
done:
    vault_config_free(cfg);
    vault_free_ptr(conf_path);
    vault_free_ptr(conf_dir);
    return rc;
}

/* ---- the whole location ------------------------------------------------------ */

static const char toml_rel[] = "repository/conf/deployment.toml";
static const char props_rel[] = "repository/conf/security/cipher-text.properties";

static int locate_config(rt_location *loc, const char *config)
{
    int rc;

    if (is_dir(config)) {
        if ((rc = set_str(&loc->home, config)) != 0 || (rc = path_join(&loc->config, config, toml_rel)) != 0)
            return rc;
        loc->type = VAULT_CONFIG_TOML;
        if (is_file(loc->config))
            return 0;
        vault_free_ptr(loc->config);
        if ((rc = path_join(&loc->config, config, props_rel)) != 0)
            return rc;
        loc->type = VAULT_CONFIG_PROPERTIES;
        if (is_file(loc->config))
            return 0;
        return vault_err(VAULT_ENOTFOUND, "%s: a product home needs %s or %s", config, toml_rel, props_rel);
    }
    if ((rc = set_str(&loc->config, config)) != 0)
        return rc;
    {
        size_t n = strlen(config);
        if (n >= 5 && vault_strcaseeq(config + n - 5, ".toml")) {
            loc->type = VAULT_CONFIG_TOML;
            return home_from(&loc->home, config, toml_rel);
        }
        if (n >= 11 && vault_strcaseeq(config + n - 11, ".properties")) {
            loc->type = VAULT_CONFIG_PROPERTIES;
            return home_from(&loc->home, config, props_rel);
        }
    }
    if (access(config, F_OK) != 0 && errno == ENOENT)
        return vault_err(VAULT_ENOTFOUND, "%s: no such file or directory", config);
    return vault_err(VAULT_EINVAL, "%s: not a product home, a *.toml or a *.properties file", config);
}

int rt_locate(rt_location *loc, const vault_options *opts)
{
    int rc;

    memset(loc, 0, sizeof *loc);
    loc->transformation = VAULT_TRANSFORM_DEFAULT;
    if ((rc = locate_config(loc, opts->config)) != 0)
        goto done;
    /* The config's own keystore settings first, then the caller's. */
    if (!opts->keystore || opts->transformation == VAULT_TRANSFORM_DEFAULT) {
        if (loc->type == VAULT_CONFIG_TOML)
            rc = is_file(loc->config) ? locate_toml_keystore(loc) : 0;
        else
            rc = locate_secret_conf(loc, opts->secret_conf);
        if (rc != 0)
            goto done;
    }
    /* A keystore the caller names comes with the caller's alias (or none):
     * the config's alias belongs to the config's keystore. */
    if (opts->keystore && ((rc = set_str(&loc->keystore, opts->keystore)) != 0 ||
                           (rc = set_str(&loc->keystore_origin, "the options")) != 0 ||
                           (rc = set_str(&loc->key_alias, opts->key_alias)) != 0))
        goto done;
    if (opts->key_alias && (rc = set_str(&loc->key_alias, opts->key_alias)) != 0)
        goto done;
    if (opts->transformation != VAULT_TRANSFORM_DEFAULT)
        loc->transformation = opts->transformation;
    /* The type a config names is only a hint: Java's "JKS" type reads
     * PKCS#12 files too, so the content decides unless the caller forces. */
    loc->keystore_type = opts->keystore_type;
done:
    if (rc != 0)
        rt_location_clear(loc);
    return rc;
}

void rt_location_clear(rt_location *loc)
{
    vault_free_ptr(loc->config);
    vault_free_ptr(loc->home);
    vault_free_ptr(loc->keystore);
    vault_free_ptr(loc->keystore_origin);
    vault_free_ptr(loc->key_alias);
    vault_config_free(loc->parsed);
    memset(loc, 0, sizeof *loc);
}

struct vault_location_box {
    vault_location pub;
    rt_location loc;
};

int vault_locate(vault_location **out, const vault_options *opts)
{
    struct vault_location_box *b;
    int rc;

    if (!out || !opts || !opts->config)
        return vault_err(VAULT_EINVAL, "vault_locate: invalid argument");
    *out = NULL;
    if (opts->version != 1 && opts->version != VAULT_OPTIONS_VERSION)
        return vault_err(VAULT_EINVAL, "vault_options: unknown version %u", opts->version);
    b = vault_calloc(1, sizeof *b);
    if (!b)
        return VAULT_ERR_NOMEM();
    rc = rt_locate(&b->loc, opts);
    if (rc != 0) {
        vault_free_ptr(b);
        return rc;
    }
    vault_config_free(b->loc.parsed); /* a location holds no secrets */
    b->loc.parsed = NULL;
    b->pub.config = b->loc.config;
    b->pub.type = b->loc.type;
    b->pub.home = b->loc.home;
    b->pub.keystore = b->loc.keystore;
    b->pub.keystore_origin = b->loc.keystore_origin;
    b->pub.key_alias = b->loc.key_alias;
    b->pub.transformation = b->loc.transformation;
    *out = &b->pub;
    return 0;
}

void vault_location_free(vault_location *loc)
{
    struct vault_location_box *b = (struct vault_location_box *)loc;
    if (!b)
        return;
    rt_location_clear(&b->loc);
    vault_free_ptr(b);
}
