/* SPDX-License-Identifier: Apache-2.0 */
/* The legacy cipher-tool.properties map of the WSO2 secure vault: one
 * alias per line, its XPath in a Carbon configuration file and whether the
 * secret is an attribute of the element the XPath selects. */
#include "array.h"
#include "conf_xml_doc.h"
#include "conf_properties.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define MAP_MAX_SIZE (16u << 20)

/* ------------------------------------------------------------------ */
/* The legacy map: cipher-tool.properties                              */
/* ------------------------------------------------------------------ */

struct vault_legacy_map {
    char *name;
    vault_legacy_entry *v;
    size_t n, cap;
};

static int is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ':' || c >= 0x80;
}

int xdoc_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The attribute a ",true" entry marks: the name in the last top-level
 * predicate "[@name...]", or a final "/@name" step. The Java tool takes the
 * text between the last '[' + 2 and the comma, which only works for a bare
 * "[@name]"; this reads the name properly. */
int xdoc_xpath_attribute(const char *xp, size_t *start, size_t *len)
{
    size_t n = strlen(xp), i, open = SIZE_MAX, s;
    int depth = 0;
    char q = 0;

    while (n > 0 && xdoc_is_space((unsigned char)xp[n - 1]))
        n--;
    if (n > 0 && xp[n - 1] != ']') {
        for (i = n; i > 0 && is_name_char((unsigned char)xp[i - 1]); i--)
            ;
        if (i == 0 || i == n || xp[i - 1] != '@')
            return -1;
        *start = i;
        *len = n - i;
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = xp[i];
        if (q) {
            q = c == q ? 0 : q;
        } else if (c == '\'' || c == '"') {
            q = c;
        } else if (c == '[') {
            if (depth++ == 0)
                open = i;
        } else if (c == ']') {
            depth--;
        }
    }
    if (open == SIZE_MAX)
        return -1;
    for (i = open + 1; i < n && xdoc_is_space((unsigned char)xp[i]); i++)
        ;
    if (i >= n || xp[i] != '@')
        return -1;
    for (s = ++i; i < n && is_name_char((unsigned char)xp[i]); i++)
        ;
    if (i == s)
        return -1;
    *start = s;
    *len = i - s;
    return 0;
}

static void legacy_entry_clear(vault_legacy_entry *e)
{
    vault__free_ptr((char *)e->alias);
    vault__free_ptr((char *)e->file);
    vault__free_ptr((char *)e->xpath);
    vault__free_ptr((char *)e->attribute_name);
}

void vault_legacy_map_free(vault_legacy_map *map)
{
    size_t i;
    if (!map)
        return;
    for (i = 0; i < map->n; i++)
        legacy_entry_clear(&map->v[i]);
    vault__free_ptr(map->v);
    vault__free_ptr(map->name);
    vault__free_ptr(map);
}

/* Split FILE//XPATH[,true|,false]. The Java tool splits at the first comma,
 * which breaks xpaths holding one; the flag is taken after the last comma
 * here, and only when it reads true or false. */
static int split_entry(const vault_legacy_map *map, const conf_prop *p, vault_legacy_entry *e)
{
    const char *v = p->value, *sep = strstr(v, "//"), *comma, *end = v + p->value_len;
    size_t a, alen;

    if (!sep || sep == v)
        return vault__err(VAULT_EFORMAT, "%s:%u: alias '%s': expected FILE//XPATH[,true|false]", map->name,
                         p->line, p->key);
    comma = strrchr(sep, ',');
    if (comma) {
        const char *f = comma + 1, *fe = end;
        while (f < fe && xdoc_is_space((unsigned char)*f))
            f++;
        while (fe > f && xdoc_is_space((unsigned char)fe[-1]))
            fe--;
        if ((size_t)(fe - f) == 4 && memcmp(f, "true", 4) == 0)
            e->attribute = 1;
        else if (!((size_t)(fe - f) == 5 && memcmp(f, "false", 5) == 0))
            comma = NULL;
        if (comma)
            end = comma;
    }
    if (end - sep <= 2)
        return vault__err(VAULT_EFORMAT, "%s:%u: alias '%s': empty xpath", map->name, p->line, p->key);
    e->alias = vault__strndup(p->key, p->key_len);
    e->file = vault__strndup(v, (size_t)(sep - v));
    e->xpath = vault__strndup(sep, (size_t)(end - sep));
    e->line = p->line;
    if (!e->alias || !e->file || !e->xpath)
        return vault__oom();
    if (!e->attribute)
        return 0;
    /* ",true" on an xpath that names no attribute (an element such as
     * "//Security/KeyStore/Password", or "[1]"): the Java tool then replaces
     * the element's text, as without the flag. WSO2's documents and Puppet
     * modules write such entries. */
    if (xdoc_xpath_attribute(e->xpath, &a, &alen) != 0) {
        e->attribute = 0;
        return 0;
    }
    e->attribute_name = vault__strndup(e->xpath + a, alen);
    if (!e->attribute_name)
        return vault__oom();
    return 0;
}

static int add_map_entry(const conf_prop *p, void *payload)
{
    vault_legacy_map *map = payload;
    vault_legacy_entry e;
    size_t i;
    int rc;

    if (p->key_len == 0)
        return vault__err(VAULT_EFORMAT, "%s:%u: a value without an alias", map->name, p->line);
    for (i = 0; i < map->n; i++)
        if (strcmp(map->v[i].alias, p->key) == 0)
            return vault__err(VAULT_EFORMAT, "%s:%u: duplicate alias '%s' (first on line %u)", map->name,
                             p->line, p->key, map->v[i].line);
    if (VAULT_ARRAY_GROW(map->v, map->cap, map->n + 1) != 0)
        return VAULT_ENOMEM;
    memset(&e, 0, sizeof e);
    if ((rc = split_entry(map, p, &e)) != 0) {
        legacy_entry_clear(&e);
        return rc;
    }
    map->v[map->n++] = e;
    return 0;
}

int vault_legacy_map_parse(vault_legacy_map **out, const char *name, const void *data, size_t len)
{
    vault_legacy_map *map = NULL;
    int rc;

    if (!out || (!data && len > 0))
        return vault__err(VAULT_EINVAL, "vault_legacy_map_parse: invalid argument");
    *out = NULL;
    map = vault__calloc(1, sizeof *map);
    if (!map || !(map->name = vault__strdup(name ? name : "cipher-tool.properties"))) {
        rc = vault__oom();
        goto done;
    }
    rc = conf_properties_scan(map->name, data, len, add_map_entry, map);
    if (rc == 0) {
        *out = map;
        map = NULL;
    }
done:
    vault_legacy_map_free(map);
    return rc;
}

int vault_legacy_map_read(vault_legacy_map **out, const char *path)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc;

    if (!out || !path)
        return vault__err(VAULT_EINVAL, "vault_legacy_map_read: invalid argument");
    *out = NULL;
    rc = vault__read_file(path, MAP_MAX_SIZE, &data, &len);
    if (rc == 0)
        rc = vault_legacy_map_parse(out, path, data, len);
    vault__free_ptr(data);
    return rc;
}

size_t vault_legacy_map_count(const vault_legacy_map *map)
{
    return map ? map->n : 0;
}

int vault_legacy_map_entry_at(const vault_legacy_entry **out, const vault_legacy_map *map, size_t i)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_legacy_map_entry_at: out is NULL");
    *out = NULL;
    if (!map)
        return vault__err(VAULT_EINVAL, "vault_legacy_map_entry_at: map is NULL");
    if (i >= map->n)
        return vault__err(VAULT_ENOTFOUND, "%s: no entry %zu (%zu entries)", map->name, i, map->n);
    *out = &map->v[i];
    return 0;
}

int vault_legacy_map_find(size_t *index, const vault_legacy_map *map, const char *alias)
{
    size_t i;
    if (!map || !alias)
        return vault__err(VAULT_EINVAL, "vault_legacy_map_find: invalid argument");
    for (i = 0; i < map->n; i++) {
        if (strcmp(map->v[i].alias, alias) == 0) {
            if (index)
                *index = i;
            return 0;
        }
    }
    return vault__err(VAULT_ENOTFOUND, "%s: no alias '%s'", map->name, alias);
}
