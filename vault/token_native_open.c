/* SPDX-License-Identifier: Apache-2.0 */
/* Opening a native value: the recipient stanza for the key, unwrapping
 * its data key (or trying every key entry), the commitment, the AEAD. */
#include "token_native_internal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char oaep_label[] = NV_OAEP_LABEL;

/* ---- opening ---------------------------------------------------------- */

/* "id1, id2, ..." (at most four, then a count of the others). */
static void list_ids(const nv_value *v, char *buf, size_t size)
{
    char hex[2 * NV_ID + 1];
    size_t i, used = 0;
    int n;

    buf[0] = '\0';
    for (i = 0; i < v->count && i < 4; i++) {
        vault__hex(hex, v->st[i].key_id, NV_ID, 0);
        n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", hex);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
    if (v->count > 4)
        snprintf(buf + used, size - used, " and %zu more", v->count - 4);
}

static int key_id_memo_get(native_cache *c, const ks_entry *e, unsigned *type,
                           unsigned char id[NV_ID])
{
    size_t i;
    int hit = 0;

    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    for (i = 0; i < NV_KEY_ID_MEMO && !hit; i++)
        if (c->key_ids[i].entry == e) {
            *type = c->key_ids[i].type;
            memcpy(id, c->key_ids[i].id, NV_ID);
            hit = 1;
        }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void key_id_memo_put(native_cache *c, const ks_entry *e, unsigned type,
                            const unsigned char id[NV_ID])
{
    size_t i;

    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    i = c->key_ids_next++ % NV_KEY_ID_MEMO;
    c->key_ids[i].entry = e;
    c->key_ids[i].type = type;
    memcpy(c->key_ids[i].id, id, NV_ID);
    pthread_mutex_unlock(&c->lock);
}

/* How the stanzas name entry e: for an EC, X25519 or Ed25519 key the
 * SHA-256 of its public key (from the certificate, else from the private
 * key, unlocked when unlock is set), for another key with a certificate
 * the certificate's SHA-256 (type RSA). Returns 0 with *type and id, 1 when
 * the entry has no id (an RSA key without certificate, or a locked key),
 * or a keystore error. */
static int entry_key_id(const nv_open *o, ks_entry *e, int unlock, unsigned *type,
                        unsigned char id[NV_ID])
{
    EVP_PKEY *key = NULL;
    size_t i;
    int rc;

    /* Values with RSA stanzas only (all values before EC ones existed) need
     * nothing but the certificate's hash: no key is looked at. */
    for (i = 0; e->info.has_certificate && i < o->v->count; i++)
        if (o->v->st[i].type != NV_TYPE_RSA)
            break;
    if (e->info.has_certificate && i == o->v->count) {
        *type = NV_TYPE_RSA;
        memcpy(id, e->info.sha256, NV_ID);
        return 0;
    }
    if (key_id_memo_get(o->cache, e, type, id))
        return 0;
    if (e->info.has_certificate)
        key = X509_get0_pubkey(sk_X509_value(e->chain, 0));
    else if (unlock && (rc = ks_private_key(o->ks, e->alias, &key, NULL)) != 0)
        return rc;
    ERR_clear_error();
    if (key && (*type = ec_stanza_type(key)) != 0) {
        if (ec_key_id(key, id) != 0)
            return 1;
        key_id_memo_put(o->cache, e, *type, id);
        return 0;
    }
    if (!e->info.has_certificate)
        return 1;
    *type = NV_TYPE_RSA;
    memcpy(id, e->info.sha256, NV_ID);
    return 0;
}

int nv_wrong_key(const nv_open *o)
{
    char ids[4 * (2 * NV_ID + 2) + 32], ours[2 * NV_ID + 1];
    unsigned char id[NV_ID];
    /* Our id as a stanza for our key would carry it; a key without
     * certificate that was unlocked to open has one too, unless RSA. */
    EVP_PKEY *key = o->entry->info.has_certificate ? X509_get0_pubkey(sk_X509_value(o->entry->chain, 0))
                                                   : o->entry->pkey;
    int known = key && ec_stanza_type(key) && ec_key_id(key, id) == 0;

    ERR_clear_error();
    if (!known && o->entry->info.has_certificate) {
        memcpy(id, o->entry->info.sha256, NV_ID);
        known = 1;
    }

    list_ids(o->v, ids, sizeof ids);
    if (!known)
        return vault__err(VAULT_EKEY, "value of alias \"%s\" is sealed for key(s) %s; the key of "
                         "keystore %s alias \"%s\" (which has no certificate) unwraps none of them",
                         o->alias, ids, o->ks->path, o->entry->alias);
    vault__hex(ours, id, NV_ID, 0);
    return vault__err(VAULT_EKEY, "value of alias \"%s\" is sealed for key(s) %s; keystore %s alias "
                     "\"%s\" has key %s", o->alias, ids, o->ks->path, o->entry->alias, ours);
}

int nv_unwrap_failed(const nv_open *o)
{
    return vault__err(VAULT_EAUTH, "value of alias \"%s\": cannot recover its data key with keystore "
                     "%s alias \"%s\" (wrong key, or a damaged or tampered value)", o->alias,
                     o->ks->path, o->entry->alias);
}

/* One private-key operation: the data key of stanza st, or VAULT_EAUTH. */
int nv_unwrap_key(const nv_open *o, const nv_stanza *st, vault_secret **dk)
{
    EVP_PKEY *pkey;
    int rc = ks_private_key(o->ks, o->entry->alias, &pkey, NULL);

    *dk = NULL;
    if (rc != 0)
        return rc;
    /* The private-key operation of a stanza: RSA-OAEP or one ECDH. */
    if (st->type == NV_TYPE_RSA)
        rc = rsa_decrypt(pkey, RSA_PAD_OAEP_SHA256, (const unsigned char *)oaep_label,
                         sizeof oaep_label - 1, st->body, st->body_len, dk);
    else
        rc = ec_unwrap(pkey, st->type, st->key_id, st->body, st->body_len, dk);
    if (rc == VAULT_EAUTH || (rc == 0 && vault_secret_len(*dk) != NV_KEY))
        rc = nv_unwrap_failed(o);
    if (rc != 0) {
        vault_secret_free(*dk);
        *dk = NULL;
    }
    return rc;
}

/* The derived keys of stanza st, or VAULT_EAUTH. */
static int unwrap(const nv_open *o, const nv_stanza *st, unsigned char derived[NV_DERIVED])
{
    vault_secret *dk = NULL;
    int rc = nv_unwrap_key(o, st, &dk);

    if (rc == 0)
        nv_derive(vault_secret_data(dk), derived);
    vault_secret_free(dk);
    return rc;
}

static int stanza_keys(const nv_open *o, const nv_stanza *st, unsigned char derived[NV_DERIVED])
{
    unsigned char id[NV_ID];
    int rc;

    if (nv_cache_get_last(o->cache, st, derived) == 0)
        return 0;
    crypto_hash_sha256(id, st->bytes, st->bytes_len);
    if (nv_cache_get(o->cache, id, st, derived) == 0)
        return 0;
    rc = unwrap(o, st, derived);
    if (rc == 0)
        nv_cache_put(o->cache, id, st, derived);
    return rc;
}

/* The key id of a certificate elsewhere in the keystore (another entry's
 * leaf, a trusted certificate) that carries pkey's public half, if any: with
 * it a key entry without a chain finds its stanza like any other. */
static int cert_of_key(const nv_open *o, EVP_PKEY *pkey, unsigned char id[NV_ID])
{
    size_t i;

    for (i = 0; i < o->ks->count; i++) {
        const ks_entry *e = o->ks->entries[i];
        if (e->info.has_certificate && sk_X509_num(e->chain) > 0 &&
            EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(e->chain, 0)), pkey) == 1) {
            memcpy(id, e->info.sha256, NV_ID);
            return 1;
        }
    }
    ERR_clear_error();
    return 0;
}

/* A key without a certificate has no key id: try the RSA stanzas one by one.
 * Only those whose body has our modulus size can be ours (RSA-OAEP output is
 * exactly k bytes), so the others cost no private-key operation: values
 * sealed for keys of other sizes open with one. Among stanzas of our size
 * nothing public tells ours (its key id hashes a certificate we lack). */
static int trial_keys(const nv_open *o, unsigned char derived[NV_DERIVED])
{
    unsigned char id[NV_ID];
    EVP_PKEY *pkey;
    size_t i, k;
    int rc;

    for (i = 0; i < o->v->count; i++) {
        if (nv_cache_get_last(o->cache, &o->v->st[i], derived) == 0)
            return 0;
        crypto_hash_sha256(id, o->v->st[i].bytes, o->v->st[i].bytes_len);
        if (nv_cache_get(o->cache, id, &o->v->st[i], derived) == 0)
            return 0;
    }
    if ((rc = ks_private_key(o->ks, o->entry->alias, &pkey, NULL)) != 0)
        return rc;
    if (cert_of_key(o, pkey, id))
        for (i = 0; i < o->v->count; i++)
            if (o->v->st[i].type == NV_TYPE_RSA && memcmp(o->v->st[i].key_id, id, NV_ID) == 0)
                return stanza_keys(o, &o->v->st[i], derived);
    k = (size_t)EVP_PKEY_get_size(pkey);
    for (i = 0; i < o->v->count; i++) {
        if (o->v->st[i].type != NV_TYPE_RSA || o->v->st[i].body_len != k)
            continue;
        rc = stanza_keys(o, &o->v->st[i], derived);
        if (rc != VAULT_EAUTH)
            return rc;
    }
    return nv_wrong_key(o);
}

/* The stanza that names the entry's key, or NULL; *rc 1 when the entry has
 * no key id (trial), else 0 or a keystore error. */
const nv_stanza *nv_our_stanza(const nv_open *o, int *rc)
{
    unsigned char id[NV_ID];
    unsigned type = 0;
    size_t i;

    *rc = entry_key_id(o, o->entry, 1, &type, id);
    for (i = 0; *rc == 0 && i < o->v->count; i++)
        if (o->v->st[i].type == type && memcmp(o->v->st[i].key_id, id, NV_ID) == 0)
            return &o->v->st[i];
    return NULL;
}

static int data_keys(const nv_open *o, unsigned char derived[NV_DERIVED])
{
    int rc;
    const nv_stanza *st = nv_our_stanza(o, &rc);

    if (rc == 1)
        return trial_keys(o, derived);
    if (rc != 0)
        return rc;
    return st ? stanza_keys(o, st, derived) : nv_wrong_key(o);
}

int nv_decrypt(const nv_open *o, const unsigned char *aead_key, vault_secret **out)
{
    const nv_value *v = o->v;
    unsigned char *ad = NULL, *pt;
    size_t ad_len = 0;
    unsigned long long mlen;
    vault_secret *s = NULL;
    int rc = nv_make_ad(v->bin, v->header_len, o->alias, &ad, &ad_len);

    if (rc == 0)
        rc = vault__secret_alloc_in(o->store, &s, v->ct_len - NV_TAG, &pt);
    if (rc != 0)
        goto done;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL, v->ct, v->ct_len, ad, ad_len,
                                                   v->nonce, aead_key) != 0) {
        rc = vault__err(VAULT_EAUTH, "value of alias \"%s\" does not authenticate (tampered, or "
                       "sealed for another alias)", o->alias);
        goto done;
    }
    vault__secret_seal(s);
    *out = s;
    s = NULL;
done:
    vault_secret_free(s);
    vault__free_ptr(ad);
    return rc;
}

static size_t key_entries(const vault_keystore *ks)
{
    size_t i, n = 0;
    for (i = 0; i < ks->count; i++)
        n += ks->entries[i]->info.kind == VAULT_ENTRY_PRIVATE_KEY;
    return n;
}

/* Without a key alias: the key entry whose certificate a stanza names, else
 * the only key entry. */
int nv_pick_entry(nv_open *o)
{
    char ids[4 * (2 * NV_ID + 2) + 32];
    size_t i, j;

    if (o->key_alias)
        return ks_find(o->ks, o->key_alias, &o->entry);
    for (i = 0; i < o->ks->count; i++) {
        ks_entry *e = o->ks->entries[i];
        unsigned char id[NV_ID];
        unsigned type;
        if (e->info.kind != VAULT_ENTRY_PRIVATE_KEY || entry_key_id(o, e, 0, &type, id) != 0)
            continue;
        for (j = 0; j < o->v->count; j++)
            if (o->v->st[j].type == type && memcmp(o->v->st[j].key_id, id, NV_ID) == 0) {
                o->entry = e;
                return 0;
            }
    }
    if (key_entries(o->ks) < 2)
        return ks_find(o->ks, NULL, &o->entry);
    list_ids(o->v, ids, sizeof ids);
    return vault__err(VAULT_EKEY, "value of alias \"%s\" is sealed for key(s) %s; none of the %zu "
                     "key entries of keystore %s has one of them", o->alias, ids,
                     key_entries(o->ks), o->ks->path);
}

static int open_parsed(nv_open *o, vault_secret **out)
{
    unsigned char derived[NV_DERIVED];
    EVP_PKEY *pkey;
    int rc = nv_pick_entry(o);

    /* Not a key pair: let the keystore say so. */
    if (rc == 0 && o->entry->info.kind != VAULT_ENTRY_PRIVATE_KEY)
        rc = ks_private_key(o->ks, o->entry->alias, &pkey, NULL);
    if (rc == 0)
        rc = data_keys(o, derived);
    if (rc == 0 && sodium_memcmp(derived, o->v->commitment, NV_KEY) != 0)
        rc = nv_unwrap_failed(o);
    if (rc == 0)
        rc = nv_decrypt(o, derived + NV_KEY, out);
    sodium_memzero(derived, sizeof derived);
    return rc;
}

int native_open(native_cache *c, vault_keystore *ks, const char *key_alias, const char *alias,
                const char *value, vault_store *st, vault_secret **out)
{
    nv_value v;
    nv_open o;
    char ctx[160];
    int rc;

    if (!out || !ks)
        return vault__err(VAULT_EINVAL, "native_open: invalid argument");
    *out = NULL;
    if (!alias)
        alias = "";
    /* The messages' context costs a snprintf per value: values parse, so it
     * is made only to say why one does not. */
    if ((rc = nv_parse_with(c, value, "value", &v)) == VAULT_EFORMAT) {
        snprintf(ctx, sizeof ctx, "value of alias \"%s\"", alias);
        if ((rc = nv_parse(value, ctx, &v)) == 0) /* cannot be: the same bytes */
            rc = vault__err(VAULT_ERROR, "%s: parses only the second time", ctx);
        nv_value_clear(&v);
    }
    if (rc != 0)
        return rc;
    o.cache = c;
    o.ks = ks;
    o.key_alias = key_alias;
    o.alias = alias;
    o.entry = NULL;
    o.v = &v;
    o.store = st;
    rc = open_parsed(&o, out);
    nv_value_clear(&v);
    return rc;
}
