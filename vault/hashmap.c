/* SPDX-License-Identifier: Apache-2.0 */
/* The one keyed hash table (hashmap.h). */
#include "hashmap.h"

#include "internal.h"

#include <sodium.h>

#define HASHMAP_MIN 16

uint64_t vault__hash_bytes(const unsigned char key[16], const void *p, size_t n)
{
    unsigned char h[crypto_shorthash_siphash24_BYTES];

    crypto_shorthash_siphash24(h, (const unsigned char *)p, n, key);
    /* big-endian, spelt out: this runs once per alias read */
    return (uint64_t)h[0] << 56 | (uint64_t)h[1] << 48 | (uint64_t)h[2] << 40 | (uint64_t)h[3] << 32 |
           (uint64_t)h[4] << 24 | (uint64_t)h[5] << 16 | (uint64_t)h[6] << 8 | (uint64_t)h[7];
}

int vault__hashmap_find(uint32_t *idx, const vault__hashmap *m, uint64_t hash, const void *key, size_t len,
                        vault__hashmap_eq_fn eq, const void *ctx)
{
    size_t mask, s;

    if (m->cap == 0)
        return VAULT_ENOTFOUND;
    mask = m->cap - 1;
    for (s = (size_t)hash & mask; m->slot[s] != 0; s = (s + 1) & mask) {
        if (eq(ctx, m->slot[s] - 1, key, len)) {
            *idx = m->slot[s] - 1;
            return 0;
        }
    }
    return VAULT_ENOTFOUND;
}

static void place(uint32_t *slot, size_t cap, uint64_t hash, uint32_t number)
{
    size_t mask = cap - 1, s = (size_t)hash & mask;

    while (slot[s] != 0)
        s = (s + 1) & mask;
    slot[s] = number;
}

int vault__hashmap_grow(vault__hashmap *m, vault__hashmap_hash_fn hash_of, const void *ctx)
{
    size_t cap, i;
    uint32_t *slot;

    if (m->count >= UINT32_MAX - 1)
        return vault__oom();
    if (m->count + 1 <= m->cap / 2)
        return 0;
    cap = m->cap ? m->cap * 2 : HASHMAP_MIN;
    if (cap < m->cap || cap > SIZE_MAX / sizeof *slot)
        return vault__oom();
    if (!(slot = vault__calloc(cap, sizeof *slot)))
        return vault__oom();
    for (i = 0; i < m->cap; i++)
        if (m->slot[i] != 0)
            place(slot, cap, hash_of(ctx, m->slot[i] - 1), m->slot[i]);
    vault__free_ptr(m->slot);
    m->slot = slot;
    m->cap = cap;
    return 0;
}

void vault__hashmap_put(vault__hashmap *m, uint64_t hash, uint32_t idx)
{
    place(m->slot, m->cap, hash, idx + 1);
    m->count++;
}

void vault__hashmap_free(vault__hashmap *m)
{
    vault__free_ptr(m->slot);
    m->slot = NULL;
    m->cap = m->count = 0;
}
