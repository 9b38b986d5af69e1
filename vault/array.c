/* SPDX-License-Identifier: Apache-2.0 */
/* Growable arrays (array.h). */
#include "array.h"
#include "internal.h"

#include <stdint.h>
#include <string.h>

#define ARRAY_MIN 8

int vault__array_grow(void *arrp, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap ? *cap : ARRAY_MIN;
    void *old, *grown;

    if (need <= *cap)
        return 0;
    if (size == 0 || need > SIZE_MAX / size)
        return vault__oom();
    while (c < need)
        c = c <= SIZE_MAX / 2 ? c * 2 : need;
    if (c > SIZE_MAX / size)
        c = need;
    /* The pointer is read and written as bytes: arrp is any T **. */
    memcpy(&old, arrp, sizeof old);
    if (!(grown = vault__realloc(old, c * size)))
        return vault__oom();
    memcpy(arrp, &grown, sizeof grown);
    *cap = c;
    return 0;
}
