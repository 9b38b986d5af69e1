/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime's internal contract: where a configuration's secrets and
 * keystore are (runtime_locate.c) for the vault itself (runtime.c), and
 * its secrets for the expansion of references (runtime_expand.c). */
#ifndef VAULT_RUNTIME_INTERNAL_H
#define VAULT_RUNTIME_INTERNAL_H

#include "internal.h"
#include "vault/config.h"
#include "vault/vault.h"
#include "vault/xml.h"

/* How the WSO2 runtime of a home opens its values (secret-conf.properties):
 * every value with one algorithm, or the symmetric mode. A value libvault
 * could open otherwise would give that server its alias name. */
typedef struct rt_rule {
    int active;                         /* a secret-conf.properties governs the config */
    int symmetric;                      /* secretRepositories.file.encryptionMode=symmetric */
    vault_transformation transformation; /* secretRepositories.file.algorithm; absent: RSA */
    char *conf;                         /* that secret-conf.properties (vault__malloc'ed), for messages */
} rt_rule;

/* Whether a value meets the rule: before opening, its form; after, with
 * the opener's flags, its padding. VAULT_EFORMAT with the reason. */
int rt_rule_check_form(const rt_rule *r, const char *value);
int rt_rule_check_opened(const rt_rule *r, const char *value, unsigned int opened_flags);

/* Everything vault_open() needs to know before it reads a value; every
 * string is vault__malloc'ed (or NULL). */
typedef struct rt_location {
    char *config;                        /* the file holding the secrets */
    vault_config_type type;              /* TOML or PROPERTIES */
    char *home;                          /* the product home, when the layout shows one */
    char *keystore;                      /* NULL when neither the caller nor the config names one */
    char *keystore_origin;               /* where the keystore was named, for messages */
    vault_keystore_type keystore_type;   /* forced by the caller only */
    char *key_alias;
    vault_transformation transformation;
    rt_rule rule;                        /* the WSO2 runtime's, when a secret-conf.properties governs */
    char *rule_algorithm;                /* with the rule: its algorithm line as written, or NULL */
    vault_config *parsed;                /* the TOML config, when reading it found the keystore:
                                            vault_open() takes it instead of parsing again */
} rt_location;

/* Work out the location from the options and the files they point to. */
int rt_locate(rt_location *loc, const vault_options *opts);

void rt_location_clear(rt_location *loc);

/* The secret of an alias (alen bytes, not NUL-terminated) in an open
 * vault, resolved first in lazy mode: len bytes at *data, read-only and
 * valid until vault_free() (runtime.c, for runtime_expand.c). */
int rt_secret_bytes(const vault *v, const char *alias, size_t alen, const unsigned char **data, size_t *len);

#endif
