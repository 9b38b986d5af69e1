/* SPDX-License-Identifier: Apache-2.0 */
/* Guarded storage for many secrets: the runtime's resolved values in a few
 * large sodium_malloc chunks, and the secrets handed out as views of them
 * (the contract is in internal.h). */
#include "secret_internal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

/* One guarded region per chunk: its pages, mlock and mappings are shared by
 * a few thousand short secrets. One region per secret would cost about ten
 * system calls each, and the kernel's limit on mappings would stop a
 * process at some tens of thousands of secrets. */
#define STORE_CHUNK_SIZE (64u * 1024u)

typedef struct store_chunk {
    unsigned char *mem; /* sodium_malloc */
    size_t cap, used;
    int opened;         /* made writable by wipe_unheld() */
    size_t live;        /* pool: loose secrets in it */
    int sealed;         /* pool: read-only (full, and not the newest any more) */
    struct store_chunk *next;
} store_chunk;

/* One per secret, and the runtime holds 100,000 of them: 16 bytes. A
 * secret is shorter than the config file it came from (at most 64 MiB). */
typedef struct store_slot {
    unsigned char *data; /* NULL while empty */
    uint32_t len;
    atomic_uint views;
} store_slot;

struct vault_store {
    atomic_size_t refs;     /* the owner, every view and the pending secret */
    store_chunk *chunks;    /* the newest first */
    store_slot *slots;
    size_t nslots;
    int readonly;           /* after vault__store_readonly() */
    vault_secret *pending;  /* from vault__secret_alloc_in(), neither kept nor freed */
    int pool;               /* no slots: loose secrets (vault__store_pool_new) */
    pthread_mutex_t lock;   /* pool: guards the chunks */
};

int vault__store_new(vault_store **out, size_t slots)
{
    vault_store *st;
    size_t i;

    *out = NULL;
    if (vault__ensure_init() != 0)
        return VAULT_ERROR;
    if (slots > SIZE_MAX / sizeof(store_slot))
        return vault__oom();
    st = vault__calloc(1, sizeof *st);
    if (!st || !(st->slots = vault__calloc(slots, sizeof *st->slots))) {
        vault__free_ptr(st);
        return vault__oom();
    }
    st->nslots = slots;
    atomic_init(&st->refs, 1);
    for (i = 0; i < slots; i++)
        atomic_init(&st->slots[i].views, 0);
    *out = st;
    return 0;
}

int vault__store_pool_new(vault_store **out)
{
    int rc = vault__store_new(out, 0);

    if (rc != 0)
        return rc;
    if (pthread_mutex_init(&(*out)->lock, NULL) != 0) {
        vault__free_ptr((*out)->slots);
        vault__free_ptr(*out);
        *out = NULL;
        return vault__err(VAULT_ERROR, "cannot create a mutex");
    }
    (*out)->pool = 1;
    return 0;
}

static void destroy(vault_store *st)
{
    if (st->pool)
        pthread_mutex_destroy(&st->lock);
    while (st->chunks) {
        store_chunk *c = st->chunks;
        st->chunks = c->next;
        sodium_free(c->mem); /* wipes, whatever the protection */
        vault__free_ptr(c);
    }
    vault__free_ptr(st->slots);
    vault__free_ptr(st);
}

static void unref(vault_store *st)
{
    if (atomic_fetch_sub(&st->refs, 1) == 1)
        destroy(st);
}

/* After vault__store_readonly(), a chunk is writable only during a write. */
static void close_chunk(const vault_store *st, store_chunk *c)
{
    if (st->readonly)
        sodium_mprotect_readonly(c->mem);
}

/* n writable bytes at the end of the newest chunk; a new chunk when it is
 * full (the old one is never written again). */
static int reserve(vault_store *st, size_t n, unsigned char **p)
{
    store_chunk *c = st->chunks;

    if (st->pending)
        return vault__err(VAULT_ERROR, "guarded store: a secret is still being filled");
    if (!c || c->cap - c->used < n) {
        size_t cap = n > STORE_CHUNK_SIZE ? n : STORE_CHUNK_SIZE;
        c = vault__calloc(1, sizeof *c);
        if (!c || !(c->mem = vault__secure_malloc(cap))) {
            vault__free_ptr(c);
            return vault__err(VAULT_ENOMEM, "out of guarded memory");
        }
        c->cap = cap;
        if (st->chunks && !st->readonly)
            sodium_mprotect_readonly(st->chunks->mem);
        c->next = st->chunks;
        st->chunks = c;
    } else if (st->readonly) {
        sodium_mprotect_readwrite(c->mem);
    }
    *p = c->mem + c->used;
    c->used += n;
    return 0;
}

/* ---- pools: loose secrets ------------------------------------------------ */

/* n bytes for a loose secret, in the newest chunk. A full newest chunk is
 * used again from its start when it holds no secret (each was wiped when
 * freed), else sealed read-only and replaced. Called with the lock held. */
static int pool_reserve(vault_store *st, size_t n, unsigned char **p, store_chunk **chunk)
{
    store_chunk *c = st->chunks;

    if (c && c->live == 0 && c->cap - c->used < n && c->cap >= n)
        c->used = 0;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > STORE_CHUNK_SIZE ? n : STORE_CHUNK_SIZE;
        store_chunk *nc = vault__calloc(1, sizeof *nc);
        if (!nc || !(nc->mem = vault__secure_malloc(cap))) {
            vault__free_ptr(nc);
            return vault__err(VAULT_ENOMEM, "out of guarded memory");
        }
        nc->cap = cap;
        if (c && c->live == 0) { /* too small for this secret, and unused */
            st->chunks = c->next;
            sodium_free(c->mem);
            vault__free_ptr(c);
        } else if (c) {
            sodium_mprotect_readonly(c->mem);
            c->sealed = 1;
        }
        nc->next = st->chunks;
        st->chunks = c = nc;
    }
    *p = c->mem + c->used;
    c->used += n;
    c->live++;
    *chunk = c;
    return 0;
}

static int pool_alloc(vault_store *st, vault_secret *s, size_t len, unsigned char **p)
{
    int rc;

    pthread_mutex_lock(&st->lock);
    rc = pool_reserve(st, len + 1, p, &s->chunk);
    pthread_mutex_unlock(&st->lock);
    if (rc != 0)
        return rc;
    (*p)[len] = '\0';
    s->data = *p;
    s->len = len;
    s->store = st;
    s->slot = STORE_LOOSE;
    atomic_fetch_add(&st->refs, 1);
    return 0;
}

/* Wipe a loose secret; an empty chunk is used again (the newest) or freed. */
static void pool_drop(vault_store *st, vault_secret *s)
{
    store_chunk *c = s->chunk, **pp;

    pthread_mutex_lock(&st->lock);
    c->live--;
    if (c->sealed && c->live == 0) {
        for (pp = &st->chunks; *pp != c; pp = &(*pp)->next)
            ;
        *pp = c->next;
        sodium_free(c->mem); /* wipes, whatever the protection */
        vault__free_ptr(c);
    } else if (c->sealed) {
        sodium_mprotect_readwrite(c->mem);
        sodium_memzero(s->data, s->len + 1);
        sodium_mprotect_readonly(c->mem);
    } else {
        sodium_memzero(s->data, s->len + 1);
        if (c->live == 0)
            c->used = 0;
        else if (c->mem + c->used == s->data + s->len + 1)
            c->used -= s->len + 1;
    }
    pthread_mutex_unlock(&st->lock);
}

/* ---- filling slots --------------------------------------------------------- */

int vault__secret_alloc_in(vault_store *st, vault_secret **out, size_t len, unsigned char **data)
{
    vault_secret *s;
    unsigned char *p = NULL;
    int rc;

    if (!st)
        return vault__secret_alloc(out, len, data);
    *out = NULL;
    if (len > SIZE_MAX / 2)
        return vault__err(VAULT_ENOMEM, "secret of %zu bytes is too large", len);
    if (!(s = vault__calloc(1, sizeof *s)))
        return vault__oom();
    if (st->pool) {
        if ((rc = pool_alloc(st, s, len, &p)) != 0) {
            vault__free_ptr(s);
            return rc;
        }
        *out = s;
        *data = p;
        return 0;
    }
    if ((rc = reserve(st, len + 1, &p)) != 0) {
        vault__free_ptr(s);
        return rc;
    }
    p[len] = '\0';
    s->data = p;
    s->len = len;
    s->store = st;
    s->slot = STORE_PENDING;
    atomic_fetch_add(&st->refs, 1);
    st->pending = s;
    *out = s;
    *data = p;
    return 0;
}

static void fill_slot(vault_store *st, store_slot *sl, unsigned char *data, size_t len)
{
    sl->data = data;
    sl->len = (uint32_t)len; /* checked by vault__store_keep() */
    close_chunk(st, st->chunks);
}

int vault__store_keep(vault_store *st, size_t slot, vault_secret *s)
{
    unsigned char *p = NULL;
    int rc;

    if (!st || !s || st->pool || slot >= st->nslots || st->slots[slot].data) {
        vault_secret_free(s);
        return vault__err(VAULT_ERROR, "guarded store: slot %zu is not free", slot);
    }
    if (s->len > UINT32_MAX - 1) {
        vault_secret_free(s);
        return vault__err(VAULT_ENOMEM, "guarded store: a secret of %zu bytes is too large", s->len);
    }
    if (s == st->pending) {
        st->pending = NULL;
        fill_slot(st, &st->slots[slot], s->data, s->len);
        vault__free_ptr(s);
        unref(st);
        return 0;
    }
    if ((rc = reserve(st, s->len + 1, &p)) == 0) {
        memcpy(p, s->data, s->len);
        p[s->len] = '\0';
        fill_slot(st, &st->slots[slot], p, s->len);
    }
    vault_secret_free(s);
    return rc;
}

const unsigned char *vault__store_data(const vault_store *st, size_t slot, size_t *len)
{
    *len = 0;
    if (!st || slot >= st->nslots || !st->slots[slot].data)
        return NULL;
    *len = st->slots[slot].len;
    return st->slots[slot].data;
}

int vault__store_view(vault_store *st, size_t slot, vault_secret **out)
{
    vault_secret *s;

    *out = NULL;
    if (!st || slot >= st->nslots || !st->slots[slot].data)
        return vault__err(VAULT_ERROR, "guarded store: slot %zu is empty", slot);
    if (!(s = vault__calloc(1, sizeof *s)))
        return vault__oom();
    s->data = st->slots[slot].data;
    s->len = st->slots[slot].len;
    s->store = st;
    s->slot = slot;
    atomic_fetch_add(&st->slots[slot].views, 1);
    atomic_fetch_add(&st->refs, 1);
    *out = s;
    return 0;
}

void vault__store_drop(vault_secret *s)
{
    vault_store *st = s->store;

    if (s->slot == STORE_LOOSE) {
        pool_drop(st, s);
    } else if (s->slot == STORE_PENDING) {
        /* Never kept: wipe it, and give the room back (it is the last thing
         * reserved in the newest chunk). */
        store_chunk *c = st->chunks;
        sodium_memzero(s->data, s->len + 1);
        if (c->mem + c->used == s->data + s->len + 1)
            c->used -= s->len + 1;
        close_chunk(st, c);
        st->pending = NULL;
    } else {
        atomic_fetch_sub(&st->slots[s->slot].views, 1);
    }
    vault__free_ptr(s);
    unref(st);
}

void vault__store_readonly(vault_store *st)
{
    store_chunk *c;

    if (!st || st->readonly)
        return;
    st->readonly = 1;
    for (c = st->chunks; c; c = c->next)
        sodium_mprotect_readonly(c->mem);
}

/* Views outlive the owner: wipe every slot none of them holds now, so that
 * holding one secret does not keep the others. The chunks are opened for
 * it all at once: a slot does not name its chunk (16 bytes a slot). */
static void wipe_unheld(vault_store *st)
{
    store_chunk *c;
    size_t i;

    if (st->nslots == 0)
        return; /* a pool: its loose secrets are wiped as they are dropped */
    /* Every chunk is read-only but the newest of a store still being filled. */
    for (c = st->chunks; c; c = c->next) {
        if (!st->readonly && c == st->chunks)
            continue;
        sodium_mprotect_readwrite(c->mem);
        c->opened = 1;
    }
    for (i = 0; i < st->nslots; i++) {
        store_slot *sl = &st->slots[i];
        if (!sl->data || atomic_load(&sl->views) > 0)
            continue;
        sodium_memzero(sl->data, sl->len);
        sl->data = NULL;
        sl->len = 0;
    }
    for (c = st->chunks; c; c = c->next)
        if (c->opened) {
            sodium_mprotect_readonly(c->mem);
            c->opened = 0;
        }
}

void vault__store_release(vault_store *st)
{
    if (!st)
        return;
    if (atomic_load(&st->refs) > 1)
        wipe_unheld(st);
    unref(st);
}
