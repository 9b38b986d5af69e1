/* SPDX-License-Identifier: Apache-2.0 */
/* The native value format's model shared by token_native.c (parsing,
 * sealing, inspection), token_native_cache.c, token_native_open.c and
 * token_native_rewrap.c. */
#ifndef VAULT_TOKEN_NATIVE_INTERNAL_H
#define VAULT_TOKEN_NATIVE_INTERNAL_H

#include "hashmap.h"
#include "token_native.h"

#include <pthread.h>
#include <stdint.h>
#include <sodium.h>

#define NV_OAEP_LABEL "vault:v1:data-key"
#define NV_PREFIX "vault:"
#define NV_PREFIX_V1 "vault:v1:"
#define NV_VERSION 0x01
#define NV_AEAD_XCHACHA 0x01
#define NV_AEAD_AESGCM 0x02 /* reserved, not implemented */
#define NV_MAX_STANZAS 16
#define NV_KEY 32
#define NV_ID 32
#define NV_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define NV_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define NV_MIN_BODY 256
#define NV_MAX_BODY 2048
#define NV_MAX_CT ((UINT64_C(1) << 38) - 48)
#define NV_CACHE_MAX 65536 /* sessions remembered; beyond, no memo */
#define NV_KEY_ID_MEMO 8   /* key entries whose key id is remembered */

/* Derived from the data key: commitment || k-aead. */
#define NV_DERIVED (2 * NV_KEY)

typedef struct nv_stanza {
    unsigned char type;
    const unsigned char *key_id; /* NV_ID bytes */
    const unsigned char *body;
    size_t body_len;
    const unsigned char *bytes; /* the whole stanza */
    size_t bytes_len;
} nv_stanza;

/* A parsed value; every pointer points into bin. */
typedef struct nv_value {
    unsigned char *bin;
    size_t bin_len;
    size_t header_len;
    size_t count;
    nv_stanza st[NV_MAX_STANZAS];
    const unsigned char *commitment;
    const unsigned char *nonce;
    const unsigned char *ct;
    size_t ct_len;
} nv_value;

struct native_cache {
    pthread_mutex_t lock;
    unsigned char (*ids)[NV_ID]; /* SHA-256 of stanza bytes (public) */
    unsigned char *keys;         /* guarded: cap * NV_DERIVED, read-only between inserts */
    vault__hashmap index;        /* of the ids (hashmap.h) */
    size_t count, cap;
    unsigned char *last;         /* the stanza found last (public bytes): the values of one */
    size_t last_len, last_idx;   /* sealing session all carry it, so the next is found by memcmp */
    char *header_text;           /* the last header's base64url, whole groups of four (public) */
    size_t header_text_len;
    unsigned char *header_bin;   /* and its header_text_len / 4 * 3 bytes */
    struct {                     /* key ids of EC, X25519, Ed25519 entries (public): */
        const void *entry;       /* reading a key's point costs more than the AEAD */
        unsigned type;
        unsigned char id[NV_ID];
    } key_ids[NV_KEY_ID_MEMO];
    size_t key_ids_next;
};

typedef struct nv_open {
    native_cache *cache;
    vault_keystore *ks;
    const char *key_alias;
    const char *alias;
    ks_entry *entry;
    const nv_value *v;
    vault_store *store;
} nv_open;

/* token_native.c */
void nv_value_clear(nv_value *v);
void nv_derive(const unsigned char key[NV_KEY], unsigned char out[NV_DERIVED]);
int nv_make_ad(const unsigned char *header, size_t header_len, const char *alias,
               unsigned char **ad, size_t *ad_len);
int nv_parse_with(native_cache *c, const char *value, const char *ctx, nv_value *v);
int nv_parse(const char *value, const char *ctx, nv_value *v);
int nv_check_recipients(const vault_recipient *const *r, size_t n);
int nv_wrap_to(const vault_recipient *r, const unsigned char *key, unsigned char **body,
               size_t *len, unsigned char *type);
size_t nv_put_stanza(unsigned char *p, unsigned char type, const unsigned char *id,
                     const unsigned char *body, size_t len);
int nv_encode(const unsigned char *bin, size_t bin_len, char **out);

/* token_native_cache.c */
int nv_cache_get_last(native_cache *c, const nv_stanza *st, unsigned char out[NV_DERIVED]);
int nv_cache_get(native_cache *c, const unsigned char *id, const nv_stanza *st,
                 unsigned char out[NV_DERIVED]);
void nv_cache_put(native_cache *c, const unsigned char *id, const nv_stanza *st,
                  const unsigned char *derived);
size_t nv_header_known(native_cache *c, const char *text, size_t n, unsigned char **bin);
void nv_header_remember(native_cache *c, const char *text, const nv_value *v);

/* token_native_open.c */
int nv_wrong_key(const nv_open *o);
int nv_unwrap_failed(const nv_open *o);
int nv_unwrap_key(const nv_open *o, const nv_stanza *st, vault_secret **dk);
const nv_stanza *nv_our_stanza(const nv_open *o, int *rc);
int nv_decrypt(const nv_open *o, const unsigned char *aead_key, vault_secret **out);
int nv_pick_entry(nv_open *o);

#endif
