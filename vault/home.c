/* SPDX-License-Identifier: Apache-2.0 */
/* The WSO2 product home: where its files are, and the secret-conf.properties
 * writer (its reader is in runtime_locate.c). */
#include "array.h"
#include "internal.h"

#include <vault/config.h>
#include <vault/home.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *home_rel(vault_home_file file)
{
    switch (file) {
    case VAULT_HOME_DEPLOYMENT_TOML: return "repository/conf/deployment.toml";
    case VAULT_HOME_CIPHER_TEXT: return "repository/conf/security/cipher-text.properties";
    case VAULT_HOME_CIPHER_TOOL: return "repository/conf/security/cipher-tool.properties";
    case VAULT_HOME_SECRET_CONF: return "repository/conf/security/secret-conf.properties";
    case VAULT_HOME_CARBON_XML: return "repository/conf/carbon.xml";
    case VAULT_HOME_KEYSTORES: return "repository/resources/security";
    default: return NULL;
    }
}

static int is_dir_at(const char *home, const char *rel)
{
    char *path = NULL;
    struct stat st;
    int yes = vault__path_join(&path, home, rel) == 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    vault__free_ptr(path);
    return yes;
}

/* An EI/MI home keeps conf/ at the top (conf/deployment.toml,
 * conf/security/...) where Carbon 4 has repository/conf/; its keystores stay
 * in repository/resources/security. */
static const char *layout_rel(const char *home, vault_home_file file)
{
    const char *rel = home_rel(file);
    if (rel && home && file != VAULT_HOME_KEYSTORES && !is_dir_at(home, "repository/conf") &&
        is_dir_at(home, "conf"))
        rel += strlen("repository/");
    return rel;
}

int vault_home_path(char **out, const char *home, vault_home_file file)
{
    const char *rel = layout_rel(home, file);

    if (!out || !rel)
        return vault__err(VAULT_EINVAL, "vault_home_path: invalid argument");
    return vault__path_join(out, home ? home : "", rel);
}

/* A growing text. */
typedef struct text {
    char *data;
    size_t len, cap;
    int failed;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (VAULT_ARRAY_GROW(t->data, t->cap, t->len + n + 1) != 0) {
        t->failed = 1;
        return;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

/* key=value with Java's Properties.store escaping of the value. */
static void put_property(text *t, const char *key, const char *value)
{
    const char *p;
    put(t, key, strlen(key));
    put(t, "=", 1);
    for (p = value; *p; p++) {
        if (strchr("\\:=#!", *p) || (p == value && *p == ' '))
            put(t, "\\", 1);
        put(t, p, 1);
    }
    put(t, "\n", 1);
}

/* The keystore as the Java tool writes it: relative to the home when it
 * lies inside it. */
static const char *home_relative(const char *home, const char *abs, char *home_abs)
{
    size_t n;
    if (!realpath(home, home_abs))
        return abs;
    n = strlen(home_abs);
    if (strncmp(abs, home_abs, n) == 0 && abs[n] == '/' && n > 1)
        return abs + n + 1;
    return abs;
}

int vault_secret_conf_write(const vault_secret_conf *c)
{
    static const char header[] = "# Written by cipher-tool: the WSO2 secure vault configuration\n";
    char abs[PATH_MAX], home_abs[PATH_MAX], *path = NULL;
    text t = {NULL, 0, 0, 0};
    int rc;

    if (!c || c->version != VAULT_SECRET_CONF_VERSION || !c->home || !c->keystore || !c->keystore_type)
        return vault__err(VAULT_EINVAL, "vault_secret_conf_write: invalid argument");
    if (!realpath(c->keystore, abs))
        return vault__err(VAULT_ENOTFOUND, "%s: no such keystore", c->keystore);
    if ((rc = vault_home_path(&path, c->home, VAULT_HOME_SECRET_CONF)) != 0)
        return rc;
    put(&t, header, sizeof header - 1);
    put_property(&t, "secVault.enabled", "true");
    put_property(&t, "carbon.secretProvider", "org.wso2.securevault.secret.handler.SecretManagerSecretCallbackHandler");
    put_property(&t, "secretRepositories", "file");
    put_property(&t, "secretRepositories.file.provider",
                 "org.wso2.securevault.secret.repository.FileBaseSecretRepositoryProvider");
    put_property(&t, "secretRepositories.file.location", layout_rel(c->home, VAULT_HOME_CIPHER_TEXT));
    put_property(&t, "keystore.identity.location", home_relative(c->home, abs, home_abs));
    put_property(&t, "keystore.identity.type", c->keystore_type);
    /* Never empty: with no alias configured the Java tool and the server
     * use the product default. */
    put_property(&t, "keystore.identity.alias", c->key_alias && *c->key_alias ? c->key_alias : "wso2carbon");
    put_property(&t, "keystore.identity.store.password", "identity.store.password");
    put_property(&t, "keystore.identity.store.secretProvider", "org.wso2.carbon.securevault.DefaultSecretCallbackHandler");
    put_property(&t, "keystore.identity.key.password", "identity.key.password");
    put_property(&t, "keystore.identity.key.secretProvider", "org.wso2.carbon.securevault.DefaultSecretCallbackHandler");
    if (c->symmetric) {
        /* SecretManager treats the repository as RSA unless told otherwise. */
        put_property(&t, "secretRepositories.file.encryptionMode", "symmetric");
        put_property(&t, "secretRepositories.file.algorithm", "AES/GCM/NoPadding");
    } else {
        put_property(&t, "secretRepositories.file.algorithm", c->algorithm ? c->algorithm : "RSA");
    }
    if (t.failed)
        rc = vault__oom();
    else
        rc = vault_file_replace(path, t.data, t.len, 0644, NULL, NULL);
    vault__free_ptr(t.data);
    vault__free_ptr(path);
    return rc;
}
