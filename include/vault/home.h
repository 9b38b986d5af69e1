/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libvault: the WSO2 product home. Where its files are, and
 * secret-conf.properties, the file that tells the WSO2 runtime how to open
 * the values of cipher-text.properties.
 */
#ifndef VAULT_HOME_H
#define VAULT_HOME_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The files of a product home that the cipher tool reads or writes. */
typedef enum vault_home_file {
    VAULT_HOME_DEPLOYMENT_TOML = 1, /**< repository/conf/deployment.toml */
    VAULT_HOME_CIPHER_TEXT = 2,     /**< repository/conf/security/cipher-text.properties */
    VAULT_HOME_CIPHER_TOOL = 3,     /**< repository/conf/security/cipher-tool.properties (the legacy map) */
    VAULT_HOME_SECRET_CONF = 4,     /**< repository/conf/security/secret-conf.properties */
    VAULT_HOME_CARBON_XML = 5,      /**< repository/conf/carbon.xml */
    VAULT_HOME_KEYSTORES = 6        /**< repository/resources/security (keystore file names are relative to it) */
} vault_home_file;

/**
 * The path of one file of a product home. In an EI/MI home (conf/ at the
 * top, no repository/conf/) the files of repository/conf/ are under conf/
 * (conf/deployment.toml, conf/security/...); keystores stay in
 * repository/resources/security.
 * @param out  receives HOME/relative-path (free with vault_string_free()).
 * @param home the product home; NULL for the Carbon 4 path relative to it.
 * @param file which file.
 * @return 0, VAULT_EINVAL (unknown file), VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_home_path(char **out, const char *home, vault_home_file file);

/** The version of vault_secret_conf this header describes. */
#define VAULT_SECRET_CONF_VERSION 1

/** What secret-conf.properties records. Strings are borrowed. */
typedef struct vault_secret_conf {
    unsigned int version;      /**< VAULT_SECRET_CONF_VERSION */
    const char *home;          /**< The product home (required). */
    const char *keystore;      /**< The keystore (required): written relative to the home when it
                                    lies inside it, as the Java tool does, so a moved home still
                                    finds it. */
    const char *keystore_type; /**< "JKS", "PKCS12", ... (vault_keystore_type_name()). */
    const char *key_alias;     /**< NULL or "": "wso2carbon", the product default. */
    const char *algorithm;     /**< The transformation, written as given (Java's spelling kept);
                                    NULL: "RSA". Ignored when symmetric. */
    int symmetric;             /**< AES-GCM with a secret key entry. */
} vault_secret_conf;

/** Initialiser of vault_secret_conf: this version, everything else unset. */
#define VAULT_SECRET_CONF_INIT { VAULT_SECRET_CONF_VERSION, NULL, NULL, NULL, NULL, NULL, 0 }

/**
 * Write HOME/repository/conf/security/secret-conf.properties as the WSO2
 * runtime reads it (Java properties escaping), atomically
 * (vault_file_replace(), mode 0644 for a new file).
 * @param conf what to record (version VAULT_SECRET_CONF_VERSION).
 * @return 0; VAULT_EINVAL (bad options); VAULT_ENOTFOUND (the keystore
 *         does not exist); errors of vault_file_replace().
 */
VAULT_EXTERN(int) vault_secret_conf_write(const vault_secret_conf *conf);

#ifdef __cplusplus
}
#endif

#endif
