/* SPDX-License-Identifier: Apache-2.0 */
/* Rewrapping native values: the same data key and ciphertext under new
 * recipient stanzas (FORMAT.md 5.4), one new header per sealing session. */
#include "array.h"
#include "token_native_internal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- rewrapping ------------------------------------------------------- */

/* One session seen by a rewrapper: its old header (by hash), the new one. */
typedef struct nv_rewrapped {
    unsigned char id[NV_ID]; /* SHA-256 of the old header */
    unsigned char *header;
    size_t header_len;
    vault_secret *aead; /* k-aead, to check each value */
} nv_rewrapped;

struct native_rewrapper {
    vault_keystore *ks;
    char *key_alias;
    const vault_recipient *const *add;
    size_t nadd;
    unsigned char (*remove)[NV_ID];
    size_t nremove;
    int replace;
    nv_rewrapped *done;
    size_t count, cap;
    vault_store *pool; /* each value's check opens into it: no guarded region per value */
};

int native_rewrapper_new(native_rewrapper **out, vault_keystore *ks, const char *key_alias,
                         const vault_recipient *const *add, size_t nadd,
                         const unsigned char (*remove)[32], size_t nremove, int replace)
{
    native_rewrapper *rw;
    int rc = 0;

    *out = NULL;
    if (nadd > 0 && (rc = nv_check_recipients(add, nadd)) != 0)
        return rc;
    rw = vault__calloc(1, sizeof *rw);
    if (!rw)
        return vault__oom();
    rw->ks = ks;
    rw->add = add;
    rw->nadd = nadd;
    rw->replace = replace;
    if (key_alias && !(rw->key_alias = vault__strdup(key_alias)))
        rc = vault__oom();
    if (rc == 0)
        rc = vault__store_pool_new(&rw->pool);
    if (rc == 0 && nremove > 0) {
        rw->remove = vault__malloc(nremove * NV_ID);
        if (rw->remove) {
            memcpy(rw->remove, remove, nremove * NV_ID);
            rw->nremove = nremove;
        } else {
            rc = vault__oom();
        }
    }
    if (rc != 0) {
        native_rewrapper_free(rw);
        return rc;
    }
    *out = rw;
    return 0;
}

void native_rewrapper_free(native_rewrapper *rw)
{
    size_t i;

    if (!rw)
        return;
    for (i = 0; i < rw->count; i++) {
        vault__free_ptr(rw->done[i].header);
        vault_secret_free(rw->done[i].aead);
    }
    vault__free_ptr(rw->done);
    vault__free_ptr(rw->remove);
    vault__free_ptr(rw->key_alias);
    vault__store_release(rw->pool);
    vault__free_ptr(rw);
}

/* The old stanza stays unless replaced, removed, or re-added. */
static int keep_stanza(const native_rewrapper *rw, const nv_stanza *st)
{
    size_t i;

    if (rw->replace)
        return 0;
    for (i = 0; i < rw->nremove; i++)
        if (memcmp(rw->remove[i], st->key_id, NV_ID) == 0)
            return 0;
    for (i = 0; i < rw->nadd; i++)
        if (memcmp(rw->add[i]->id, st->key_id, NV_ID) == 0)
            return 0;
    return 1;
}

/* The data key of the value, its commitment checked (FORMAT.md 5.4: a
 * rewrapper MUST check it before wrapping the key again). */
static int recover_key(nv_open *o, vault_secret **dk)
{
    unsigned char derived[NV_DERIVED];
    const nv_stanza *st;
    EVP_PKEY *pkey;
    size_t i;
    int rc = nv_pick_entry(o), trial;

    *dk = NULL;
    if (rc == 0 && o->entry->info.kind != VAULT_ENTRY_PRIVATE_KEY)
        return ks_private_key(o->ks, o->entry->alias, &pkey, NULL);
    if (rc != 0)
        return rc;
    st = nv_our_stanza(o, &trial);
    if (trial < 0)
        return trial;
    rc = VAULT_EKEY;
    if (st)
        rc = nv_unwrap_key(o, st, dk);
    for (i = 0; trial == 1 && i < o->v->count && rc != 0; i++) {
        if (o->v->st[i].type != NV_TYPE_RSA)
            continue;
        rc = nv_unwrap_key(o, &o->v->st[i], dk);
        if (rc != 0 && rc != VAULT_EAUTH)
            return rc;
    }
    if (rc == VAULT_EKEY || (rc != 0 && trial == 1))
        return nv_wrong_key(o);
    if (rc != 0)
        return rc;
    nv_derive(vault_secret_data(*dk), derived);
    if (sodium_memcmp(derived, o->v->commitment, NV_KEY) != 0)
        rc = nv_unwrap_failed(o);
    sodium_memzero(derived, sizeof derived);
    if (rc != 0) {
        vault_secret_free(*dk);
        *dk = NULL;
    }
    return rc;
}

static int stanza_total(const native_rewrapper *rw, const nv_value *v, const char *alias)
{
    size_t i, n = rw->nadd;

    for (i = 0; i < v->count; i++)
        n += (size_t)keep_stanza(rw, &v->st[i]);
    if (n == 0)
        return vault__err(VAULT_EINVAL, "value of alias \"%s\": removing its recipients would leave "
                         "none", alias);
    if (n > NV_MAX_STANZAS)
        return vault__err(VAULT_EINVAL, "value of alias \"%s\" would have %zu recipients; the native "
                         "format allows at most %d", alias, n, NV_MAX_STANZAS);
    return (int)n;
}

/* version | aead | count | kept stanzas | new stanzas | commitment */
static int new_header(const native_rewrapper *rw, const nv_value *v, const unsigned char *key,
                      size_t n, nv_rewrapped *e)
{
    unsigned char *wrapped[NV_MAX_STANZAS] = {NULL}, types[NV_MAX_STANZAS];
    size_t wlen[NV_MAX_STANZAS], i, off, total = 3 + NV_KEY;
    int rc = 0;

    for (i = 0; i < v->count; i++)
        if (keep_stanza(rw, &v->st[i]))
            total += v->st[i].bytes_len;
    for (i = 0; i < rw->nadd && rc == 0; i++) {
        rc = nv_wrap_to(rw->add[i], key, &wrapped[i], &wlen[i], &types[i]);
        if (rc == 0)
            total += 1 + NV_ID + 2 + wlen[i];
    }
    if (rc == 0 && !(e->header = vault__malloc(total)))
        rc = vault__oom();
    if (rc != 0)
        goto done;
    memcpy(e->header, v->bin, 2);
    e->header[2] = (unsigned char)n;
    for (i = 0, off = 3; i < v->count; i++)
        if (keep_stanza(rw, &v->st[i])) {
            memcpy(e->header + off, v->st[i].bytes, v->st[i].bytes_len);
            off += v->st[i].bytes_len;
        }
    for (i = 0; i < rw->nadd; i++)
        off += nv_put_stanza(e->header + off, types[i], rw->add[i]->id, wrapped[i], wlen[i]);
    memcpy(e->header + off, v->commitment, NV_KEY);
    e->header_len = total;
done:
    for (i = 0; i < rw->nadd; i++)
        vault__free_ptr(wrapped[i]);
    return rc;
}

/* First value of a session: one unwrap, one wrap per added recipient. */
static int rewrap_session(native_rewrapper *rw, nv_open *o, const unsigned char *id,
                          nv_rewrapped **out)
{
    nv_rewrapped e;
    vault_secret *dk = NULL;
    unsigned char derived[NV_DERIVED], *aead;
    int n = stanza_total(rw, o->v, o->alias), rc = n < 0 ? n : 0;

    memset(&e, 0, sizeof e);
    if (rc == 0)
        rc = recover_key(o, &dk);
    if (rc == 0)
        rc = new_header(rw, o->v, vault_secret_data(dk), (size_t)n, &e);
    if (rc == 0 && (rc = vault__secret_alloc(&e.aead, NV_KEY, &aead)) == 0) {
        nv_derive(vault_secret_data(dk), derived);
        memcpy(aead, derived + NV_KEY, NV_KEY);
        vault__secret_seal(e.aead);
    }
    if (rc == 0)
        rc = VAULT_ARRAY_GROW(rw->done, rw->cap, rw->count + 1);
    if (rc == 0) {
        memcpy(e.id, id, NV_ID);
        rw->done[rw->count] = e;
        *out = &rw->done[rw->count++];
    } else {
        vault__free_ptr(e.header);
        vault_secret_free(e.aead);
    }
    sodium_memzero(derived, sizeof derived);
    vault_secret_free(dk);
    return rc;
}

int native_rewrap(native_rewrapper *rw, const char *alias, const char *value, char **out)
{
    nv_value v;
    nv_open o;
    nv_rewrapped *e = NULL;
    vault_secret *pt = NULL;
    unsigned char id[NV_ID], *bin = NULL;
    size_t i, rest = 0;
    char ctx[160];
    int rc;

    *out = NULL;
    if (!alias)
        alias = "";
    snprintf(ctx, sizeof ctx, "value of alias \"%s\"", alias);
    if ((rc = nv_parse(value, ctx, &v)) != 0)
        return rc;
    memset(&o, 0, sizeof o);
    o.ks = rw->ks;
    o.key_alias = rw->key_alias;
    o.alias = alias;
    o.v = &v;
    o.store = rw->pool;
    crypto_hash_sha256(id, v.bin, v.header_len);
    for (i = 0; i < rw->count && !e; i++)
        if (memcmp(rw->done[i].id, id, NV_ID) == 0)
            e = &rw->done[i];
    if (!e)
        rc = rewrap_session(rw, &o, id, &e);
    /* The whole value must still open: nothing unauthenticated is carried on. */
    if (rc == 0)
        rc = nv_decrypt(&o, vault_secret_data(e->aead), &pt);
    if (rc == 0) {
        rest = v.bin_len - v.header_len;
        if (!(bin = vault__malloc(e->header_len + rest)))
            rc = vault__oom();
    }
    if (rc == 0) {
        memcpy(bin, e->header, e->header_len);
        memcpy(bin + e->header_len, v.bin + v.header_len, rest);
        rc = nv_encode(bin, e->header_len + rest, out);
    }
    vault__free_ptr(bin);
    vault_secret_free(pt);
    nv_value_clear(&v);
    return rc;
}
