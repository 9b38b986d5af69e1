/* SPDX-License-Identifier: Apache-2.0 */
/* The etcd secret repository (docs/FLEET.md) as the runtime uses it. */
#ifndef VAULT_REPO_ETCD_H
#define VAULT_REPO_ETCD_H

#include "internal.h"
#include "vault/config.h"
#include "vault/repository.h"

/* When cfg (a deployment.toml) has a [secret_repository] of type "etcd", or
 * cfg is a cipher-text.properties whose secret-conf.properties (secret_conf,
 * else the one beside cfg) says secretRepositories=etcd: fetch its values
 * (or, when no endpoint answers, read the cache) into *out, a config whose
 * entries are the repository's, set *revision to the revision they were
 * read at, and set *warning (vault__malloc'ed) when the cache was used. *out
 * stays NULL when cfg names no repository. */
int repo_etcd_load(const vault_config *cfg, const char *secret_conf, vault_config **out, char **warning,
                   int64_t *revision);

/* The same from etcd itself, never the cache, and writing no cache: for a
 * rewrite of the values (vault_config_apply()). */
int repo_etcd_fetch(const vault_config *cfg, vault_config **out, int64_t *revision);

#endif
