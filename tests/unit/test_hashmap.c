/* SPDX-License-Identifier: Apache-2.0 */
/* The one keyed hash table (hashmap.h): collisions, probing past the end,
 * growth at half full, out of memory, 200,000 keys in linear work, and the
 * SipHash-2-4 it keys with against the reference vectors. */
#include "hashmap.h"
#include "internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* The caller's entries: strings in an array, a hash chosen by the test. */
typedef struct keys {
    char (*str)[16];
    size_t n;
    uint64_t (*hash)(const char *s);
    unsigned long eq_calls;
} keys;

static uint64_t entry_hash(const void *ctx, uint32_t idx)
{
    const keys *k = ctx;
    return k->hash(k->str[idx]);
}

static int entry_is(const void *ctx, uint32_t idx, const void *key, size_t len)
{
    keys *k = (keys *)ctx;
    k->eq_calls++;
    return strlen(k->str[idx]) == len && memcmp(k->str[idx], key, len) == 0;
}

static uint64_t same_hash(const char *s)
{
    (void)s;
    return 0x7fffffffu; /* the last slot of any table: probes wrap to slot 0 */
}

static const unsigned char sip_key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static uint64_t sip_hash(const char *s)
{
    return vault__hash_bytes(sip_key, s, strlen(s));
}

static void fill(keys *k, size_t n, uint64_t (*hash)(const char *))
{
    size_t i;
    k->str = calloc(n, sizeof *k->str);
    cr_assert_not_null(k->str);
    for (i = 0; i < n; i++)
        snprintf(k->str[i], sizeof k->str[i], "alias.%zu", i);
    k->n = n;
    k->hash = hash;
    k->eq_calls = 0;
}

static void add_all(vault__hashmap *m, keys *k)
{
    size_t i;
    for (i = 0; i < k->n; i++) {
        cr_assert_eq(vault__hashmap_reserve(m, entry_hash, k), 0, "entry %zu", i);
        vault__hashmap_put(m, k->hash(k->str[i]), (uint32_t)i);
        cr_assert_eq(m->count, i + 1);
        cr_assert_leq(m->count * 2, m->cap, "more than half full at %zu entries", m->count);
        cr_assert_eq(m->cap & (m->cap - 1), 0, "capacity %zu is not a power of two", m->cap);
    }
}

static int find(const vault__hashmap *m, keys *k, const char *s, uint32_t *idx)
{
    return vault__hashmap_find(idx, m, k->hash(s), s, strlen(s), entry_is, k);
}

static void all_found(const vault__hashmap *m, keys *k)
{
    uint32_t idx;
    size_t i;
    for (i = 0; i < k->n; i++) {
        idx = UINT32_MAX;
        cr_assert_eq(find(m, k, k->str[i], &idx), 0, "%s not found", k->str[i]);
        cr_assert_eq(idx, i, "%s found as entry %u", k->str[i], idx);
    }
    cr_assert_eq(find(m, k, "alias.", &idx), VAULT_ENOTFOUND);
    cr_assert_eq(find(m, k, "alias.00", &idx), VAULT_ENOTFOUND);
    cr_assert_eq(find(m, k, "", &idx), VAULT_ENOTFOUND);
}

Test(hashmap, empty_finds_nothing)
{
    vault__hashmap m = {0};
    keys k;
    uint32_t idx = 7;

    fill(&k, 1, sip_hash);
    cr_assert_eq(find(&m, &k, "alias.0", &idx), VAULT_ENOTFOUND);
    cr_assert_eq(idx, 7, "the output is written only when found");
    cr_assert_eq(k.eq_calls, 0);
    vault__hashmap_free(&m);
    free(k.str);
}

Test(hashmap, every_key_colliding)
{
    vault__hashmap m = {0};
    keys k;

    fill(&k, 300, same_hash);
    add_all(&m, &k);
    all_found(&m, &k);
    vault__hashmap_free(&m);
    cr_assert_null(m.slot);
    cr_assert_eq(m.cap, 0);
    free(k.str);
}

Test(hashmap, growth_keeps_every_entry)
{
    vault__hashmap m = {0};
    keys k;
    size_t i, caps = 0, last = 0;

    fill(&k, 1000, sip_hash);
    for (i = 0; i < k.n; i++) {
        cr_assert_eq(vault__hashmap_reserve(&m, entry_hash, &k), 0);
        vault__hashmap_put(&m, k.hash(k.str[i]), (uint32_t)i);
        if (m.cap != last) {
            cr_assert(last == 0 ? m.cap == 16 : m.cap == 2 * last, "capacity %zu after %zu", m.cap, last);
            last = m.cap;
            caps++;
        }
    }
    cr_assert_eq(m.cap, 2048, "1000 entries in %zu slots", m.cap);
    cr_assert_eq(caps, 8); /* 16, 32, ..., 2048 */
    all_found(&m, &k);
    vault__hashmap_free(&m);
    free(k.str);
}

Test(hashmap, out_of_memory_leaves_the_table)
{
    vault__hashmap m = {0};
    keys k;
    uint32_t *slot;
    size_t cap;

    fill(&k, 8, sip_hash);
    add_all(&m, &k);
    slot = m.slot;
    cap = m.cap;
    vault__test_alloc_fail_at(1);
    cr_assert_eq(vault__hashmap_reserve(&m, entry_hash, &k), VAULT_ENOMEM);
    vault__test_alloc_fail_at(0);
    cr_assert_str_eq(vault_error_last()->message, "out of memory");
    cr_assert_eq(m.slot, slot);
    cr_assert_eq(m.cap, cap);
    cr_assert_eq(m.count, 8);
    all_found(&m, &k);
    vault__hashmap_free(&m);
    free(k.str);
}

/* 200,000 keys: every one found, and the comparisons a lookup costs stay
 * a small constant (a quadratic table would make them grow with n). */
Test(hashmap, two_hundred_thousand_keys)
{
    vault__hashmap m = {0};
    keys k;

    fill(&k, 200000, sip_hash);
    add_all(&m, &k);
    cr_assert_eq(m.cap, 524288);
    k.eq_calls = 0;
    all_found(&m, &k);
    cr_assert_lt(k.eq_calls, 2 * k.n, "%lu comparisons for %zu lookups", k.eq_calls, k.n);
    vault__hashmap_free(&m);
    free(k.str);
}

/* The SipHash paper's vectors (key 00..0f, messages 00, 00 01, ...): the
 * output's bytes read as a big-endian number. */
Test(hashmap, siphash_reference_vectors)
{
    unsigned char msg[15];
    size_t i;

    for (i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)i;
    cr_assert_eq(vault__hash_bytes(sip_key, msg, 0), 0x310e0edd47db6f72ull);
    cr_assert_eq(vault__hash_bytes(sip_key, msg, 15), 0xe545be4961ca29a1ull);
}
