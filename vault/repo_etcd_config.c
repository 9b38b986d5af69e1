/* SPDX-License-Identifier: Apache-2.0 */
/* Where a configuration names its etcd repository (deployment.toml's
 * [secret_repository], secret-conf.properties' secretRepositories.etcd.*),
 * the sealed last-known-good cache, and the runtime's config built from a
 * fetch or the cache, with the rollback checks (docs/FLEET.md). */
#include "repo_etcd_internal.h"
#include "conf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_FORMAT "libvault-etcd-cache-1"

/* ---- cache ---------------------------------------------------------------------- */

static int cache_write(const char *path, const char *prefix, const vault_repository_values *vals)
{
    json_t *root, *map = json_object();
    char rev[32], *text = NULL;
    size_t i;
    int rc;

    snprintf(rev, sizeof rev, "%lld", vals->revision);
    root = map ? json_pack("{s:s, s:s, s:s, s:O}", "format", CACHE_FORMAT, "prefix", prefix, "revision", rev,
                           "values", map)
               : NULL;
    for (i = 0; root && i < vals->count; i++)
        if (json_object_set_new(json_object_get(root, "values"), vals->items[i].alias,
                                json_string(vals->items[i].value)) != 0) {
            json_decref(root);
            root = NULL;
        }
    json_decref(map);
    if (!root || !(text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS)))
        rc = vault__oom();
    else
        rc = vault_file_replace(path, text, strlen(text), 0600, NULL, NULL);
    json_decref(root);
    free(text);
    return rc;
}

static int cache_read(const char *path, const char *prefix, vault_repository_values *vals)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr), *map;
    const char *alias, *format, *cprefix;
    json_t *value;
    int rc = 0;

    if (!root)
        return vault__err(VAULT_ENOTFOUND, "cache %s: %s", path, jerr.text);
    format = json_string_value(json_object_get(root, "format"));
    cprefix = json_string_value(json_object_get(root, "prefix"));
    map = json_object_get(root, "values");
    vals->revision = etcd_json_int64(root, "revision");
    if (!format || strcmp(format, CACHE_FORMAT) != 0 || !cprefix || !json_is_object(map) || vals->revision <= 0)
        rc = vault__err(VAULT_EFORMAT, "cache %s: not a libvault etcd cache", path);
    else if (strcmp(cprefix, prefix) != 0)
        rc = vault__err(VAULT_EFORMAT, "cache %s holds prefix %s, not %s", path, cprefix, prefix);
    json_object_foreach(map, alias, value) {
        const char *s = json_string_value(value);
        if (rc != 0)
            break;
        rc = s ? etcd_values_add(vals, alias, strlen(alias), s, strlen(s))
               : vault__err(VAULT_EFORMAT, "cache %s: alias \"%s\" has no value", path, alias);
    }
    json_decref(root);
    return rc;
}

/* The revision of the cache, or 0 when it cannot be read. */
static long long cache_revision(const char *path, const char *prefix)
{
    vault_repository_values *vals = vault__calloc(1, sizeof *vals);
    long long rev = vals && cache_read(path, prefix, vals) == 0 ? vals->revision : 0;
    vault_repository_values_free(vals);
    return rev;
}

/* ---- the runtime's config ------------------------------------------------------- */

/* secretRepositories lists etcd: "etcd", "file,etcd", " etcd " ... */
static int lists_etcd(const char *list)
{
    while (list && *list) {
        size_t n;
        list += strspn(list, " \t,");
        n = strcspn(list, " \t,");
        if (n == 4 && memcmp(list, "etcd", 4) == 0)
            return 1;
        list += n;
    }
    return 0;
}

static const char *prop_value(const vault_config *cfg, const char *key)
{
    const vault_config_entry *e;
    size_t i;
    if (vault_config_find(&i, cfg, key) != 0 || vault_config_entry_at(&e, cfg, i) != 0)
        return NULL;
    return e->value && e->value[0] ? e->value : NULL;
}

/* A repository setting: deployment.toml's [secret_repository] NAME, or
 * secret-conf.properties' secretRepositories.etcd.NAME (docs/FLEET.md). */
static const char *setting(const vault_config *cfg, const char *name)
{
    char key[96];
    const char *v = NULL;

    if (vault_config_get_type(cfg) == VAULT_CONFIG_PROPERTIES) {
        if (strcmp(name, "type") == 0)
            return lists_etcd(prop_value(cfg, "secretRepositories")) ? "etcd" : NULL;
        snprintf(key, sizeof key, "secretRepositories.etcd.%s", name);
        return prop_value(cfg, key);
    }
    snprintf(key, sizeof key, "secret_repository.%s", name);
    return vault_config_setting(&v, cfg, key) == 0 && v[0] ? v : NULL;
}

/* The config holding the repository settings of cfg: cfg itself for a
 * deployment.toml; for a cipher-text.properties its secret-conf.properties
 * (secret_conf, else the one beside it), opened into *owned. *use is NULL
 * when there is none. */
int etcd_settings_config(const vault_config *cfg, const char *secret_conf, vault_config **owned,
                           const vault_config **use)
{
    const char *path = vault_config_path(cfg), *slash;
    char *beside = NULL;
    int rc = 0;

    *owned = NULL;
    *use = vault_config_get_type(cfg) == VAULT_CONFIG_TOML ? cfg : NULL;
    if (vault_config_get_type(cfg) != VAULT_CONFIG_PROPERTIES)
        return 0;
    if (!secret_conf) {
        size_t dlen = path && (slash = strrchr(path, '/')) ? (size_t)(slash - path) + 1 : 0;
        if (!(beside = vault__malloc(dlen + sizeof "secret-conf.properties")))
            return vault__oom();
        memcpy(beside, path, dlen);
        memcpy(beside + dlen, "secret-conf.properties", sizeof "secret-conf.properties");
        if (access(beside, F_OK) != 0) { /* no secret-conf.properties: no repository */
            vault__free_ptr(beside);
            return 0;
        }
    }
    if ((rc = vault_config_open(owned, secret_conf ? secret_conf : beside, VAULT_CONFIG_PROPERTIES)) == 0)
        *use = *owned;
    vault__free_ptr(beside);
    return rc;
}

static int to_config(const vault_repository_values *vals, const char *name, vault_config **out)
{
    vault_config *cfg = NULL;
    size_t i;
    int rc = vault_config_parse(&cfg, name, VAULT_CONFIG_TOML, "", 0);

    for (i = 0; rc == 0 && i < vals->count; i++) {
        conf_item *item;
        const vault_repository_value *e = &vals->items[i];
        if ((rc = conf_add_item(cfg, e->alias, strlen(e->alias), 0, 0, 0, &item)) == 0)
            rc = conf_item_set_decoded(cfg, item, e->value, strlen(e->value));
    }
    if (rc != 0) {
        vault_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

/* The repository options of a config's [secret_repository]; 1 when it has
 * none. The strings are the config's. */
int etcd_repo_options(const vault_config *cfg, vault_repository_options *o)
{
    const char *type = setting(cfg, "type"), *timeout;

    if (!type)
        return 1;
    if (strcmp(type, "etcd") != 0)
        return vault__err(VAULT_EFORMAT, "%s: [secret_repository] type \"%s\" is not supported (etcd is)",
                         vault_config_path(cfg), type);
    o->endpoints = setting(cfg, "endpoints");
    o->prefix = setting(cfg, "prefix");
    o->ca_file = setting(cfg, "ca_file");
    o->cert_file = setting(cfg, "cert_file");
    o->key_file = setting(cfg, "key_file");
    o->user = setting(cfg, "user");
    o->password_file = setting(cfg, "password_file");
    if ((timeout = setting(cfg, "timeout_ms")) != NULL) {
        char *end;
        long ms = strtol(timeout, &end, 10);
        if (*end || ms <= 0 || ms > 600000)
            return vault__err(VAULT_EFORMAT, "%s: repository timeout_ms \"%s\" is not 1 to 600000",
                             vault_config_path(cfg), timeout);
        o->timeout_ms = ms;
    }
    if (!o->endpoints || !o->prefix)
        return vault__err(VAULT_EFORMAT, "%s: %s needs endpoints and prefix", vault_config_path(cfg),
                         vault_config_get_type(cfg) == VAULT_CONFIG_PROPERTIES ? "secretRepositories=etcd"
                                                                               : "[secret_repository]");
    return 0;
}

int vault_repository_options_from_config(vault_repository_options *opts, vault_config **settings,
                                         const vault_config *cfg)
{
    vault_repository_options o = VAULT_REPOSITORY_OPTIONS_INIT;
    vault_config *owned = NULL;
    const vault_config *use = NULL;
    int rc;

    if (!opts || !settings || !cfg)
        return vault__err(VAULT_EINVAL, "vault_repository_options_from_config: invalid argument");
    *settings = NULL;
    if ((rc = etcd_settings_config(cfg, NULL, &owned, &use)) != 0 || !use ||
        (rc = etcd_repo_options(use, &o)) != 0) {
        vault_config_free(owned);
        return rc < 0 ? rc : 0;
    }
    *opts = o;
    *settings = owned;
    return 1;
}

static int load(const vault_config *cfg, vault_config **out, char **warning, int use_cache, int64_t *revision)
{
    vault_repository_options o = VAULT_REPOSITORY_OPTIONS_INIT;
    vault_repository_values *vals = NULL;
    const char *cache = use_cache ? setting(cfg, "cache") : NULL, *min = setting(cfg, "min_revision");
    long long min_rev = min ? strtoll(min, NULL, 10) : 0, cached = 0;
    char name[600], fetch_error[1024] = "";
    int rc;

    *out = NULL;
    *warning = NULL;
    if ((rc = etcd_repo_options(cfg, &o)) != 0)
        return rc > 0 ? 0 : rc;
    snprintf(name, sizeof name, "etcd %s", o.prefix);
    rc = vault_repository_fetch(&vals, &o);
    if (rc == 0 && cache) {
        cached = cache_revision(cache, o.prefix);
        if (vals->revision < cached) {
            rc = vault__err(VAULT_EAUTH, "%s: etcd answered revision %lld, older than the cache's %lld (%s): "
                           "refusing a rollback", vault_config_path(cfg), vals->revision, cached, cache);
            goto done;
        }
        if ((rc = cache_write(cache, o.prefix, vals)) != 0)
            goto done;
    } else if (rc == VAULT_EIO && cache) {
        const vault_error *e = vault_error_last();
        snprintf(fetch_error, sizeof fetch_error, "%s", e ? e->message : "etcd unreachable");
        vault_repository_values_free(vals);
        if (!(vals = vault__calloc(1, sizeof *vals))) {
            rc = vault__oom();
            goto done;
        }
        if ((rc = cache_read(cache, o.prefix, vals)) != 0) {
            const vault_error *ce = vault_error_last();
            char why[600];
            snprintf(why, sizeof why, "%s", ce ? ce->message : "unreadable");
            rc = vault__err(VAULT_EIO, "%s: %s; and the cache cannot be used: %s", vault_config_path(cfg),
                           fetch_error, why);
            goto done;
        }
        if (!(*warning = vault__malloc(strlen(fetch_error) + strlen(cache) + 96)))
            rc = vault__oom();
        else
            sprintf(*warning, "%s; using the last-known-good cache %s (revision %lld)", fetch_error, cache,
                    vals->revision);
    }
    if (rc != 0 && !cache) {
        const vault_error *e = vault_error_last();
        snprintf(fetch_error, sizeof fetch_error, "%s", e ? e->message : vault_strerror(rc));
        rc = vault__err(rc, "%s: %s", vault_config_path(cfg), fetch_error);
    }
    if (rc != 0)
        goto done;
    if (min_rev > 0 && vals->revision < min_rev) {
        rc = vault__err(VAULT_EAUTH, "%s: repository revision %lld is older than min_revision %lld",
                       vault_config_path(cfg), vals->revision, min_rev);
        goto done;
    }
    if ((rc = to_config(vals, name, out)) == 0 && revision)
        *revision = vals->revision;
done:
    if (rc != 0) {
        vault__free_ptr(*warning);
        *warning = NULL;
    }
    vault_repository_values_free(vals);
    return rc;
}

int repo_etcd_load(const vault_config *cfg, const char *secret_conf, vault_config **out, char **warning,
                   int64_t *revision)
{
    vault_config *owned = NULL;
    const vault_config *use = NULL;
    int rc;

    *out = NULL;
    *warning = NULL;
    if ((rc = etcd_settings_config(cfg, secret_conf, &owned, &use)) == 0 && use)
        rc = load(use, out, warning, 1, revision);
    vault_config_free(owned);
    return rc;
}

int repo_etcd_fetch(const vault_config *cfg, vault_config **out, int64_t *revision)
{
    vault_config *owned = NULL;
    const vault_config *use = NULL;
    char *warning = NULL;
    int rc;

    *out = NULL;
    if ((rc = etcd_settings_config(cfg, NULL, &owned, &use)) == 0 && use)
        rc = load(use, out, &warning, 0, revision);
    vault__free_ptr(warning);
    vault_config_free(owned);
    return rc;
}

int vault_repository_config(vault_config **out, const vault_config *cfg)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_repository_config: out is NULL");
    *out = NULL;
    if (!cfg)
        return vault__err(VAULT_EINVAL, "vault_repository_config: cfg is NULL");
    return repo_etcd_fetch(cfg, out, NULL);
}

