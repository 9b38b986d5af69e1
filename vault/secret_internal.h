/* SPDX-License-Identifier: Apache-2.0 */
/* What a guarded secret is, shared by the two files that make secrets:
 * secret.c (one sodium_malloc region each) and secret_store.c (slices of a
 * store's chunks). Nothing else looks inside a vault_secret. */
#ifndef VAULT_SECRET_INTERNAL_H
#define VAULT_SECRET_INTERNAL_H

#include "internal.h"

#define STORE_PENDING ((size_t)-1)
#define STORE_LOOSE ((size_t)-2)

struct store_chunk;

struct vault_secret {
    unsigned char *data; /* len + 1 bytes, NUL-terminated */
    size_t len;
    vault_store *store;  /* NULL: data is this secret's own sodium_malloc region */
    size_t slot;         /* in store: its slot, STORE_PENDING while being filled, or
                            STORE_LOOSE in a pool (vault__store_pool_new) */
    struct store_chunk *chunk; /* STORE_LOOSE: the chunk holding data */
};

/* vault_secret_free() of a secret that lives in a store. */
void vault__store_drop(vault_secret *s);

#endif
