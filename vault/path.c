/* SPDX-License-Identifier: Apache-2.0 */
/* Joining a directory and a file name: the one rule every caller follows. */
#include "internal.h"

#include <limits.h>
#include <string.h>

int vault__path_join(char **out, const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name), n;
    int slash;

    *out = NULL;
    if (name[0] == '/') /* an absolute name stands on its own */
        a = 0;
    slash = a > 0 && dir[a - 1] != '/';
    n = a + (size_t)slash + b;
    if (n >= PATH_MAX)
        return vault__err(VAULT_EINVAL, "path too long (%zu bytes, at most %d): %s in %s", n,
                         PATH_MAX - 1, name, dir); /* the name first: a long dir is cut short */
    if (!(*out = vault__malloc(n + 1)))
        return vault__oom();
    memcpy(*out, dir, a);
    if (slash)
        (*out)[a] = '/';
    memcpy(*out + a + (size_t)slash, name, b + 1);
    return 0;
}
