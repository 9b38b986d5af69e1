/* SPDX-License-Identifier: Apache-2.0 */
/* Growable arrays: the one doubling rule, overflow checked. */
#ifndef VAULT_ARRAY_H
#define VAULT_ARRAY_H

#include <stddef.h>

/* Room for need elements of size bytes in the array whose pointer is at
 * arrp (a T ** passed as void *), *cap elements allocated: the capacity
 * doubles from 8 until it holds them. 0; or VAULT_ENOMEM (recorded, the
 * one out-of-memory error) with the array and *cap untouched when the
 * size would overflow or the allocation fails. */
int vault__array_grow(void *arrp, size_t *cap, size_t need, size_t size);

/* Room for need elements in arr (an lvalue T *), cap its capacity. */
#define VAULT_ARRAY_GROW(arr, cap, need) vault__array_grow(&(arr), &(cap), (need), sizeof *(arr))

#endif
