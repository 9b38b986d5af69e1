/* SPDX-License-Identifier: Apache-2.0 */
/* What the etcd repository's files share: repo_etcd.c (the gateway client,
 * fetch, publish, rewrite), repo_etcd_config.c (settings, cache, the
 * runtime's config) and repo_etcd_watch.c (the watch streams). */
#ifndef VAULT_REPO_ETCD_INTERNAL_H
#define VAULT_REPO_ETCD_INTERNAL_H

#include "repo_etcd.h"

#include "curl_lib.h" /* libcurl, loaded on first use */
#include <jansson.h>

struct vault_repository_values {
    vault_repository_value *items; /* alias and value allocated, freed as char * */
    size_t count, cap;
    long long revision;
};

/* Bytes received from a member, NUL-terminated. */
typedef struct etcd_response {
    char *data;
    size_t len, cap;
} etcd_response;

/* Append a value (copies of the bytes given). */
int etcd_values_add(vault_repository_values *vals, const char *alias, size_t alen, const char *value, size_t vlen);

/* libcurl write callback appending to an etcd_response (bounded). */
size_t etcd_on_data(char *ptr, size_t size, size_t nmemb, void *userdata);

/* Standard base64 into a NUL-terminated buffer; NULL when malformed. */
char *etcd_b64_decode(const char *text, size_t *len);

/* An int64 field of the gateway's JSON (written as a string); -1 when malformed. */
long long etcd_json_int64(const json_t *obj, const char *key);

/* The base64 key and range_end of a prefix. */
int etcd_prefix_range(const char *prefix, char **key64, char **end64);

/* An auth token from this endpoint into header ("Authorization: ..."). */
int etcd_authenticate(const vault_repository_options *o, const char *endpoint, size_t elen, char *header,
                      size_t header_len, char *why, size_t why_len);

/* The shared set-up of a JSON POST to a member; the header list to free. */
struct curl_slist *etcd_setup_post(CURL *c, const vault_repository_options *o, const char *url, const char *auth,
                                   const char *body);

/* The repository options of a settings config; 1 when it names none. */
int etcd_repo_options(const vault_config *cfg, vault_repository_options *o);

/* The config holding cfg's repository settings (cfg, or its
 * secret-conf.properties opened into *owned); *use NULL when none. */
int etcd_settings_config(const vault_config *cfg, const char *secret_conf, vault_config **owned,
                         const vault_config **use);

#endif
