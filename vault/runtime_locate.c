/* SPDX-License-Identifier: Apache-2.0 */
/* Where a configuration's secrets and keystore are: a product home's
 * layout, deployment.toml [keystore.internal]/[keystore.primary], and
 * secret-conf.properties, the way the WSO2 server finds them. */
#include "conf_internal.h"
#include "runtime_internal.h"

#include <vault/home.h>

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

/* A keystore name may be a token's or a TPM's URI: never joined to a
 * directory. */
static int path_join(char **out, const char *dir, const char *rel)
{
    if (strncmp(rel, "pkcs11:", 7) == 0 || strncmp(rel, "tpm2:", 5) == 0) {
        *out = vault__strdup(rel);
        return *out ? 0 : vault__oom();
    }
    return vault__path_join(out, dir, rel);
}

/* The directory part of a path ("." for a bare name). */
static int path_dir(char **out, const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        *out = vault__strdup(".");
    else if (slash == path)
        *out = vault__strdup("/");
    else
        *out = vault__strndup(path, (size_t)(slash - path));
    return *out ? 0 : vault__oom();
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
        *out = vault__strdup(".");
    else if (path[n - m - 1] == '/')
        *out = vault__strndup(path, n - m - 1 ? n - m - 1 : 1);
    else
        return 0;
    return *out ? 0 : vault__oom();
}

static int set_str(char **dst, const char *s)
{
    vault__free_ptr(*dst);
    *dst = NULL;
    if (s && !(*dst = vault__strdup(s)))
        return vault__oom();
    return 0;
}

/* A keystore file name of a product home, as the Java cipher tool resolves
 * it: "${carbon.home}/x" (any "${...}" up to its first '}') is the home's
 * x; a relative name holding "repository/resources/security" is relative
 * to the home; any other relative name is in the home's
 * repository/resources/security/ (Carbon 4 and EI/MI alike). */
static int home_keystore(char **out, const char *home, const char *file)
{
    const char *brace = strchr(file, '}');
    char *rel = NULL, *dir = NULL;
    int rc;

    if (file[0] == '$' && file[1] == '{' && brace) {
        for (file = brace + 1; *file == '/'; file++)
            ;
        return path_join(out, home, file);
    }
    if ((rc = vault_home_path(&rel, NULL, VAULT_HOME_KEYSTORES)) != 0)
        return rc;
    if (file[0] == '/' || strncmp(file, "pkcs11:", 7) == 0 || strstr(file, rel))
        rc = path_join(out, home, file);
    else if ((rc = vault_home_path(&dir, home, VAULT_HOME_KEYSTORES)) == 0)
        rc = path_join(out, dir, file);
    vault__free_ptr(rel);
    vault__free_ptr(dir);
    return rc;
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
        if (vault_config_setting(&file, cfg, key) != 0)
            continue;
        snprintf(key, sizeof key, "%s.alias", tables[i]);
        (void)vault_config_setting(&alias, cfg, key);
        if ((rc = set_str(&loc->keystore_origin, tables[i])) != 0)
            goto done;
    }
    /* An unknown name is left to the runtime's check (rt_rule_*). */
    if (vault_config_setting(&transform, cfg, "system.parameter.org.wso2.CipherTransformation") == 0)
        (void)vault_transformation_from_name(&loc->transformation, transform);
    if (!file && loc->home) {
        /* The WSO2 default when deployment.toml names no keystore. */
        file = "wso2carbon.jks";
        if ((rc = set_str(&loc->keystore_origin, "the default keystore")) != 0)
            goto done;
    }
    if (!file)
        goto done;
    if (loc->home)
        rc = home_keystore(&loc->keystore, loc->home, file);
    else if ((rc = path_dir(&dir, loc->config)) == 0)
        rc = path_join(&loc->keystore, dir, file);
    if (rc == 0 && alias)
        rc = set_str(&loc->key_alias, alias);
done:
    if (rc == 0) {
        loc->parsed = cfg; /* vault_open() reads the secrets from it */
        cfg = NULL;
    }
    vault_config_free(cfg);
    vault__free_ptr(dir);
    return rc;
}

/* ---- secret-conf.properties ----------------------------------------------- */

static const char *prop_value(const vault_config *cfg, const char *key)
{
    const vault_config_entry *e;
    size_t i;
    if (vault_config_find(&i, cfg, key) != 0 || vault_config_entry_at(&e, cfg, i) != 0)
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

    if ((rc = vault_home_path(&path, loc->home, VAULT_HOME_CARBON_XML)) != 0 || !is_file(path))
        goto done;
    if ((rc = vault__read_file(path, 16u << 20, &xml, &len)) != 0)
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
    vault__free_wiped(xml, len); /* carbon.xml holds the keystore's password */
    vault__free_ptr(path);
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
    vault__free_ptr(conf_dir);
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
    if (algorithm)
        (void)vault_transformation_from_name(&loc->transformation, algorithm);
done:
    vault_config_free(cfg);
    vault__free_ptr(conf_path);
    vault__free_ptr(conf_dir);
    return rc;
}

/* ---- the WSO2 runtime's rule ----------------------------------------------- */

/* The secret-conf.properties that governs the config: the caller's, the
 * one beside a cipher-text.properties, or the home's. NULL when none. */
static int find_secret_conf(char **out, const rt_location *loc, const char *secret_conf)
{
    char *dir = NULL;
    int rc;

    *out = NULL;
    if (secret_conf)
        return set_str(out, secret_conf);
    if (loc->type == VAULT_CONFIG_PROPERTIES) {
        if ((rc = path_dir(&dir, loc->config)) == 0 &&
            (rc = path_join(out, dir, "secret-conf.properties")) == 0 && !is_file(*out)) {
            vault__free_ptr(*out);
            *out = NULL;
        }
        vault__free_ptr(dir);
        return rc;
    }
    if (!loc->home)
        return 0;
    if ((rc = vault_home_path(out, loc->home, VAULT_HOME_SECRET_CONF)) == 0 && !is_file(*out)) {
        vault__free_ptr(*out);
        *out = NULL;
    }
    return rc;
}

/* The line of a property, for messages (0 when absent). */
static unsigned prop_line(const vault_config *cfg, const char *key)
{
    const vault_config_entry *e;
    size_t i;
    if (vault_config_find(&i, cfg, key) != 0 || vault_config_entry_at(&e, cfg, i) != 0) {
        vault_error_clear();
        return 0;
    }
    return e->line;
}

/* As FileBaseSecretRepository reads it: encryptionMode exactly "symmetric"
 * means AES-GCM for every value; else the algorithm, "RSA" (PKCS#1 v1.5)
 * when the line is absent. Any other encryptionMode (such as
 * "key.based.symmetric.encryption") makes that runtime open every value
 * with the algorithm, and an algorithm this library does not share leaves
 * it unable to open any: both refused, naming the line, rather than taken
 * for a rule they are not. */
static int locate_rule(rt_location *loc, const char *secret_conf)
{
    static const char mode_key[] = "secretRepositories.file.encryptionMode";
    static const char alg_key[] = "secretRepositories.file.algorithm";
    vault_config *cfg = NULL;
    char *path = NULL;
    const char *mode, *algorithm;
    vault_transformation t;
    int rc;

    if ((rc = find_secret_conf(&path, loc, secret_conf)) != 0 || !path || !is_file(path))
        goto done;
    if ((rc = vault_config_open(&cfg, path, VAULT_CONFIG_PROPERTIES)) != 0)
        goto done;
    mode = prop_value(cfg, mode_key);
    algorithm = prop_value(cfg, alg_key);
    if (mode && *mode && strcmp(mode, "symmetric") != 0) {
        rc = vault__err(VAULT_EFORMAT, "%s: line %u: %s \"%s\" is not a mode the WSO2 runtime knows "
                       "(FileBaseSecretRepository takes only \"symmetric\"): that server would open every "
                       "value with %s instead; write %s=symmetric, or remove the line",
                       path, prop_line(cfg, mode_key), mode_key, mode, algorithm ? algorithm : "RSA", mode_key);
        goto done;
    }
    loc->rule.active = 1;
    loc->rule.symmetric = mode && *mode;
    loc->rule.transformation = VAULT_TRANSFORM_RSA_PKCS1;
    if (!loc->rule.symmetric && algorithm) {
        if (vault_transformation_from_name(&t, algorithm) != 0) {
            rc = vault__err(VAULT_EFORMAT, "%s: line %u: %s \"%s\" is not an RSA transformation the WSO2 "
                           "runtime and libvault share (RSA, RSA/ECB/PKCS1Padding, "
                           "RSA/ECB/OAEPwithSHA1andMGF1Padding, RSA/ECB/OAEPWithSHA-256AndMGF1Padding)",
                           path, prop_line(cfg, alg_key), alg_key, algorithm);
            goto done;
        }
        loc->rule.transformation = t;
    }
    if (algorithm && !loc->rule.symmetric && !(loc->rule_algorithm = vault__strdup(algorithm))) {
        rc = vault__oom();
        goto done;
    }
    loc->rule.conf = path; /* named in the messages of the rule */
    path = NULL;
done:
    if (rc != 0)
        loc->rule.active = 0;
    vault_config_free(cfg);
    vault__free_ptr(path);
    return rc;
}

/* Whatever made locate_rule() fail, the config was located: the cause says
 * so (VAULT_CAUSE_WSO2_RULE), the code and message stay. */
static int rule_failed(int rc)
{
    const vault_error *e = vault_error_last();
    return vault__err_cause(rc, VAULT_CAUSE_WSO2_RULE, "%s", e->code == rc ? e->message : "");
}

static const char *rule_name(const rt_rule *r)
{
    return r->symmetric ? "the symmetric mode (AES-GCM)" : vault_transformation_name(r->transformation);
}

int rt_rule_check_form(const rt_rule *r, const char *value)
{
    vault_value_info *info = NULL;
    vault_format want = r->symmetric ? VAULT_FORMAT_WSO2_SYMMETRIC : VAULT_FORMAT_WSO2, got;
    int rc;

    if (!r->active)
        return 0;
    if ((rc = vault_inspect(&info, value)) != 0)
        return rc;
    got = info->format;
    vault_value_info_free(info);
    if (got == want)
        return 0;
    return vault__err(VAULT_EFORMAT, "the WSO2 runtime of this home opens every value with %s "
                     "(secret-conf.properties), and this one is a %s value: the server would get the "
                     "alias name instead of the secret", rule_name(r), vault_format_name(got));
}

int rt_rule_check_opened(const rt_rule *r, const char *value, unsigned int opened_flags)
{
    vault_transformation t = (opened_flags & VAULT_OPENED_LEGACY)        ? VAULT_TRANSFORM_RSA_PKCS1
                             : (opened_flags & VAULT_OPENED_OAEP_SHA256) ? VAULT_TRANSFORM_RSA_OAEP_SHA256
                                                                         : VAULT_TRANSFORM_RSA_OAEP_SHA1;

    VAULT_UNUSED(value);
    if (!r->active || r->symmetric)
        return 0;
    if (t == r->transformation)
        return 0;
    return vault__err(VAULT_EFORMAT, "the WSO2 runtime of this home opens every value with %s "
                     "(secret-conf.properties), and this one is sealed with %s: the server would get the "
                     "alias name instead of the secret",
                     rule_name(r), t == VAULT_TRANSFORM_RSA_PKCS1 ? "RSA PKCS#1 v1.5"
                                   : t == VAULT_TRANSFORM_RSA_OAEP_SHA256 ? "RSA-OAEP with SHA-256"
                                                                          : "RSA-OAEP with SHA-1");
}

/* ---- the whole location ------------------------------------------------------ */

/* The product layouts, as the Java cipher tool tells them apart: Carbon 4
 * (repository/conf/...) first, then EI/MI (conf/...). The suffixes a
 * config's path may end with to name its home; paths built from a home
 * come from vault_home_path(). */
static const struct {
    const char *rel;
    vault_config_type type;
    int ei;
} layouts[] = {
    {"repository/conf/deployment.toml", VAULT_CONFIG_TOML, 0},
    {"conf/deployment.toml", VAULT_CONFIG_TOML, 1},
    {"repository/conf/security/cipher-text.properties", VAULT_CONFIG_PROPERTIES, 0},
    {"conf/security/cipher-text.properties", VAULT_CONFIG_PROPERTIES, 1},
};
#define LAYOUTS (sizeof layouts / sizeof layouts[0])

/* An EI/MI home shows itself by conf/carbon.xml or the keystore folder:
 * "conf/deployment.toml" alone is too common a name to make a home. */
static int looks_like_ei_home(const char *home)
{
    char *a = NULL, *b = NULL;
    int yes = path_join(&a, home, "conf/carbon.xml") == 0 &&
              vault_home_path(&b, home, VAULT_HOME_KEYSTORES) == 0 && (is_file(a) || is_dir(b));
    vault__free_ptr(a);
    vault__free_ptr(b);
    return yes;
}

static int locate_config(rt_location *loc, const char *config)
{
    size_t i;
    int rc;

    if (is_dir(config)) {
        static const struct {
            vault_home_file file;
            vault_config_type type;
        } configs[] = {{VAULT_HOME_DEPLOYMENT_TOML, VAULT_CONFIG_TOML},
                       {VAULT_HOME_CIPHER_TEXT, VAULT_CONFIG_PROPERTIES}};
        if ((rc = set_str(&loc->home, config)) != 0)
            return rc;
        for (i = 0; i < sizeof configs / sizeof configs[0]; i++) {
            vault__free_ptr(loc->config);
            if ((rc = vault_home_path(&loc->config, config, configs[i].file)) != 0)
                return rc;
            loc->type = configs[i].type;
            if (is_file(loc->config))
                return 0;
        }
        return vault__err(VAULT_ENOTFOUND, "%s: a product home needs %s or %s (or conf/... in an EI/MI home)",
                         config, layouts[0].rel, layouts[2].rel);
    }
    if ((rc = set_str(&loc->config, config)) != 0)
        return rc;
    {
        vault_config_type type = vault_config_type_from_name(config);
        if (type != VAULT_CONFIG_TOML && type != VAULT_CONFIG_PROPERTIES)
            goto not_config;
        loc->type = type;
        for (i = 0; i < LAYOUTS && !loc->home; i++) {
            if (layouts[i].type != type)
                continue;
            if ((rc = home_from(&loc->home, config, layouts[i].rel)) != 0)
                return rc;
            if (loc->home && layouts[i].ei && !looks_like_ei_home(loc->home)) {
                vault__free_ptr(loc->home);
                loc->home = NULL;
            }
        }
        return 0;
    }
not_config:
    if (access(config, F_OK) != 0 && errno == ENOENT)
        return vault__err(VAULT_ENOTFOUND, "%s: no such file or directory", config);
    return vault__err(VAULT_EINVAL, "%s: not a product home, a *.toml or a *.properties file", config);
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
    /* The raw values of a home with an OAEP algorithm open with it only; a
     * PKCS#1 v1.5 home's are told apart by the opener's flags afterwards
     * (its implicit rejection never fails). */
    if ((opts->flags & VAULT_OPEN_WSO2_RULES) && (rc = locate_rule(loc, opts->secret_conf)) != 0) {
        rc = rule_failed(rc);
        goto done;
    }
    if (loc->rule.active && !loc->rule.symmetric && loc->rule.transformation != VAULT_TRANSFORM_RSA_PKCS1 &&
        opts->transformation == VAULT_TRANSFORM_DEFAULT)
        loc->transformation = loc->rule.transformation;
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
    vault__free_ptr(loc->config);
    vault__free_ptr(loc->home);
    vault__free_ptr(loc->keystore);
    vault__free_ptr(loc->keystore_origin);
    vault__free_ptr(loc->key_alias);
    vault__free_ptr(loc->rule.conf);
    vault__free_ptr(loc->rule_algorithm);
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
        return vault__err(VAULT_EINVAL, "vault_locate: invalid argument");
    *out = NULL;
    if (opts->version != 1 && opts->version != VAULT_OPTIONS_VERSION)
        return vault__err(VAULT_EINVAL, "vault_options: unknown version %u", opts->version);
    b = vault__calloc(1, sizeof *b);
    if (!b)
        return vault__oom();
    rc = rt_locate(&b->loc, opts);
    if (rc != 0) {
        vault__free_ptr(b);
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
    b->pub.wso2_rules = b->loc.rule.active;
    b->pub.wso2_secret_conf = b->loc.rule.conf;
    b->pub.wso2_symmetric = b->loc.rule.symmetric;
    b->pub.wso2_transformation = b->loc.rule.active ? b->loc.rule.transformation : VAULT_TRANSFORM_DEFAULT;
    b->pub.wso2_algorithm = b->loc.rule.active ? b->loc.rule_algorithm : NULL;
    *out = &b->pub;
    return 0;
}

int vault_location_accepts(const vault_location *loc, const char *value, const unsigned int *opened_flags)
{
    const struct vault_location_box *b = (const struct vault_location_box *)loc;
    int rc;

    if (!b || !value)
        return vault__err(VAULT_EINVAL, "vault_location_accepts: invalid argument");
    if ((rc = rt_rule_check_form(&b->loc.rule, value)) != 0 || !opened_flags)
        return rc;
    return rt_rule_check_opened(&b->loc.rule, value, *opened_flags);
}

void vault_location_free(vault_location *loc)
{
    struct vault_location_box *b = (struct vault_location_box *)loc;
    if (!b)
        return;
    rt_location_clear(&b->loc);
    vault__free_ptr(b);
}
