/* SPDX-License-Identifier: Apache-2.0 */
/* The one keyed hash table: open addressing with linear probing over
 * 32-bit slots. The table holds no keys: a slot is 0 (free) or the number
 * of an entry the caller keeps (its index + 1), and the caller hashes keys
 * and says whether an entry is a key. It is never more than half full, so
 * 100,000 entries take 256 Ki slots (1 MiB) and probes stay short. There is
 * no deletion. */
#ifndef VAULT_HASHMAP_H
#define VAULT_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct vault__hashmap {
    uint32_t *slot; /* cap slots; 0 free, else the entry's index + 1 */
    size_t cap;     /* a power of two, or 0 before the first entry */
    size_t count;
} vault__hashmap;

/* The hash of the caller's entry idx (used again when the table grows). */
typedef uint64_t (*vault__hashmap_hash_fn)(const void *ctx, uint32_t idx);
/* Whether the caller's entry idx is the key of len bytes. */
typedef int (*vault__hashmap_eq_fn)(const void *ctx, uint32_t idx, const void *key, size_t len);

/* SipHash-2-4 of the n bytes at p under a 16-byte secret key: keys an
 * attacker writes (aliases in a config) cannot be made to collide. */
uint64_t vault__hash_bytes(const unsigned char key[16], const void *p, size_t n);

/* The entry whose key is the len bytes at key (hash its hash): 0 and its
 * index in *idx; VAULT_ENOTFOUND (not recorded as an error) when none is. */
int vault__hashmap_find(uint32_t *idx, const vault__hashmap *m, uint64_t hash, const void *key, size_t len,
                        vault__hashmap_eq_fn eq, const void *ctx);

/* Room for one more entry (the inline test is the common case; the
 * growth is out of line): the table doubles (from 16 slots) and its
 * entries are placed again by their hashes when it would be more than half
 * full. 0; or VAULT_ENOMEM (the one out-of-memory error) with the table
 * untouched, also when the count would not fit in 32 bits. */
int vault__hashmap_grow(vault__hashmap *m, vault__hashmap_hash_fn hash_of, const void *ctx);
static inline int vault__hashmap_reserve(vault__hashmap *m, vault__hashmap_hash_fn hash_of, const void *ctx)
{
    return m->count < m->cap / 2 && m->count < UINT32_MAX - 1 ? 0 : vault__hashmap_grow(m, hash_of, ctx);
}

/* Add the caller's entry idx (its key's hash hash), which must not be in
 * the table: after vault__hashmap_reserve(), this cannot fail. */
void vault__hashmap_put(vault__hashmap *m, uint64_t hash, uint32_t idx);

/* The table's memory freed; m is empty again. */
void vault__hashmap_free(vault__hashmap *m);

#endif
