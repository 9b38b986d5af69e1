/* SPDX-License-Identifier: Apache-2.0 */
/* The native format's memo of unwrapped data keys (keyed by SHA-256 of the
 * stanza bytes), of the last header decoded and of key ids: a config's
 * values from one sealing session unwrap their data key once. */
#include "array.h"
#include "token_native_internal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- the cache -------------------------------------------------------- */

int native_cache_new(native_cache **out)
{
    native_cache *c = vault__calloc(1, sizeof *c);

    *out = NULL;
    if (!c)
        return vault__oom();
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        vault__free_ptr(c);
        return vault__err(VAULT_ERROR, "cannot create a mutex");
    }
    *out = c;
    return 0;
}

void native_cache_free(native_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    vault__free_ptr(c->ids);
    vault__hashmap_free(&c->index);
    vault__free_ptr(c->last);
    vault__free_ptr(c->header_text);
    vault__free_ptr(c->header_bin);
    if (c->keys)
        sodium_free(c->keys); /* wipes */
    vault__free_ptr(c);
}

/* The id is a SHA-256 output, so its first bytes are a good hash. */
static uint64_t id_hash(const unsigned char *id)
{
    return vault__be_get(id, 8);
}

static uint64_t entry_hash(const void *ctx, uint32_t idx)
{
    return id_hash(((const native_cache *)ctx)->ids[idx]);
}

static int entry_is(const void *ctx, uint32_t idx, const void *id, size_t len)
{
    return memcmp(((const native_cache *)ctx)->ids[idx], id, len) == 0;
}

static long cache_find(const native_cache *c, const unsigned char *id)
{
    uint32_t idx;

    return vault__hashmap_find(&idx, &c->index, id_hash(id), id, NV_ID, entry_is, c) == 0 ? (long)idx : -1;
}

static int cache_grow(native_cache *c)
{
    size_t cap = c->cap;
    unsigned char *keys;

    /* The ids grow by the shared rule (a power of two); the guarded keys
     * follow their capacity. */
    if (vault__hashmap_reserve(&c->index, entry_hash, c) != 0 ||
        VAULT_ARRAY_GROW(c->ids, cap, c->count + 1) != 0)
        return VAULT_ENOMEM;
    if (cap == c->cap)
        return 0;
    if (cap > SIZE_MAX / NV_DERIVED)
        return vault__oom();
    if (!(keys = vault__secure_malloc(cap * NV_DERIVED)))
        return vault__oom();
    if (c->keys) {
        memcpy(keys, c->keys, c->count * NV_DERIVED);
        sodium_free(c->keys);
    }
    sodium_mprotect_readonly(keys);
    c->keys = keys;
    c->cap = cap;
    return 0;
}

/* Under the lock: stanza st is entry idx. */
static void remember_last(native_cache *c, const nv_stanza *st, size_t idx)
{
    if (c->last_len != st->bytes_len) {
        vault__free_ptr(c->last);
        c->last_len = 0;
        if (!(c->last = vault__malloc(st->bytes_len)))
            return;
        c->last_len = st->bytes_len;
    }
    memcpy(c->last, st->bytes, st->bytes_len);
    c->last_idx = idx;
}

/* The derived keys of stanza st when it is the one found last; 0 then. */
int nv_cache_get_last(native_cache *c, const nv_stanza *st, unsigned char out[NV_DERIVED])
{
    int hit;
    if (!c)
        return -1;
    pthread_mutex_lock(&c->lock);
    hit = c->last && c->last_len == st->bytes_len && memcmp(c->last, st->bytes, st->bytes_len) == 0;
    if (hit)
        memcpy(out, c->keys + c->last_idx * NV_DERIVED, NV_DERIVED);
    pthread_mutex_unlock(&c->lock);
    return hit ? 0 : -1;
}

/* Copy the derived keys of stanza st (whose hash is id) into out; 0 when
 * found. */
int nv_cache_get(native_cache *c, const unsigned char *id, const nv_stanza *st,
                 unsigned char out[NV_DERIVED])
{
    long idx;
    if (!c)
        return -1;
    pthread_mutex_lock(&c->lock);
    idx = cache_find(c, id);
    if (idx >= 0) {
        memcpy(out, c->keys + (size_t)idx * NV_DERIVED, NV_DERIVED);
        remember_last(c, st, (size_t)idx);
    }
    pthread_mutex_unlock(&c->lock);
    return idx >= 0 ? 0 : -1;
}

/* A failure to remember is not an error: the next value unwraps again. */
void nv_cache_put(native_cache *c, const unsigned char *id, const nv_stanza *st,
                  const unsigned char *derived)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    if (cache_find(c, id) < 0 && c->count < NV_CACHE_MAX && cache_grow(c) == 0) {
        memcpy(c->ids[c->count], id, NV_ID);
        sodium_mprotect_readwrite(c->keys);
        memcpy(c->keys + c->count * NV_DERIVED, derived, NV_DERIVED);
        sodium_mprotect_readonly(c->keys);
        vault__hashmap_put(&c->index, id_hash(id), (uint32_t)c->count);
        remember_last(c, st, c->count);
        c->count++;
    }
    pthread_mutex_unlock(&c->lock);
}

/* The number of leading characters of text already decoded into *bin
 * (allocated for the whole value), 0 when the text does not start with the
 * last header, SIZE_MAX when out of memory. */
size_t nv_header_known(native_cache *c, const char *text, size_t n, unsigned char **bin)
{
    size_t known = 0, olen = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);

    pthread_mutex_lock(&c->lock);
    if (c->header_text && n > c->header_text_len && memcmp(text, c->header_text, c->header_text_len) == 0) {
        if ((*bin = vault__malloc(olen)) != NULL) {
            memcpy(*bin, c->header_bin, c->header_text_len / 4 * 3);
            known = c->header_text_len;
        } else {
            known = SIZE_MAX;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return known;
}

/* Remember the header of a value that parsed; a failure to is not an
 * error (the next value decodes its header again). */
void nv_header_remember(native_cache *c, const char *text, const nv_value *v)
{
    size_t len = v->header_len / 3 * 4, bytes = len / 4 * 3;
    char *t;
    unsigned char *b;

    pthread_mutex_lock(&c->lock);
    if (c->header_text_len == len && memcmp(c->header_text, text, len) == 0) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    t = vault__malloc(len ? len : 1);
    b = vault__malloc(bytes ? bytes : 1);
    vault__free_ptr(c->header_text);
    vault__free_ptr(c->header_bin);
    c->header_text = NULL;
    c->header_bin = NULL;
    c->header_text_len = 0;
    if (t && b) {
        memcpy(t, text, len);
        memcpy(b, v->bin, bytes);
        c->header_text = t;
        c->header_bin = b;
        c->header_text_len = len;
        t = NULL;
        b = NULL;
    }
    vault__free_ptr(t);
    vault__free_ptr(b);
    pthread_mutex_unlock(&c->lock);
}
