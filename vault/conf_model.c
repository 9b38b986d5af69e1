/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration-file model the syntax readers build
 * (conf_internal.h): the alias index, the items and their decoded values,
 * the plaintext arena, settings, warnings and references. */
#include "conf_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- model helpers shared with the syntax readers ---- */

static uint64_t item_hash(const void *ctx, uint32_t idx)
{
    const vault_config *cfg = ctx;
    const char *a = cfg->items[idx]->info.alias;

    return vault__hash_bytes(cfg->hash_key, a, strlen(a));
}

static int item_is(const void *ctx, uint32_t idx, const void *alias, size_t len)
{
    const char *a = ((const vault_config *)ctx)->items[idx]->info.alias;

    return strlen(a) == len && memcmp(a, alias, len) == 0;
}

int conf_index_find(size_t *index, const vault_config *cfg, const char *alias, size_t len)
{
    uint32_t idx;

    if (vault__hashmap_find(&idx, &cfg->index, vault__hash_bytes(cfg->hash_key, alias, len), alias, len,
                            item_is, cfg) != 0)
        return VAULT_ENOTFOUND;
    *index = idx;
    return 0;
}

static int items_reserve(vault_config *cfg)
{
    conf_item **items;
    size_t cap;

    if (cfg->count < cfg->cap)
        return 0;
    cap = cfg->cap ? cfg->cap * 2 : 16;
    if (cap > SIZE_MAX / sizeof *items)
        return vault__err(VAULT_ENOMEM, "%s: too many secrets", cfg->path);
    items = vault__realloc(cfg->items, cap * sizeof *items);
    if (!items)
        return vault__oom();
    cfg->items = items;
    cfg->cap = cap;
    return 0;
}

/* Items are carved from blocks that double up to ITEM_BLOCK_MAX items: no
 * allocation and no allocator header per secret. */
#define ITEM_BLOCK_MAX 4096
struct conf_item_block {
    struct conf_item_block *next;
    size_t used, cap;
    conf_item items[];
};

static conf_item *item_new(vault_config *cfg)
{
    struct conf_item_block *b = cfg->item_blocks;
    conf_item *item;

    if (!b || b->used == b->cap) {
        size_t cap = b ? (b->cap < ITEM_BLOCK_MAX ? b->cap * 2 : ITEM_BLOCK_MAX) : 16;
        struct conf_item_block *nb = vault__malloc(sizeof *nb + cap * sizeof nb->items[0]);
        if (!nb)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        cfg->item_blocks = b = nb;
    }
    item = &b->items[b->used++];
    memset(item, 0, sizeof *item);
    return item;
}

/* The last item carved, given back (its allocations already freed). */
static void item_unnew(vault_config *cfg)
{
    cfg->item_blocks->used--;
}

void conf_items_free(vault_config *cfg)
{
    struct conf_item_block *b = cfg->item_blocks, *next;
    size_t i;

    for (i = 0; i < cfg->count; i++) {
        conf_item *item = cfg->items[i];
        conf_item_clear_value(item);
        if (!item->alias_kept)
            vault__free_ptr((char *)item->info.alias);
        vault__free_ptr(item->replacement);
    }
    for (; b; b = next) {
        next = b->next;
        vault__free_ptr(b);
    }
    cfg->item_blocks = NULL;
}

/* Aliases are carved from blocks: an allocation each would cost twice the
 * alias (a file may hold 100,000 of them). */
#define ALIAS_BLOCK_SIZE (16u * 1024u)
struct conf_alias_block {
    struct conf_alias_block *next;
    size_t used, cap;
    char data[];
};

static char *alias_copy(vault_config *cfg, const char *alias, size_t len)
{
    struct conf_alias_block *b = cfg->alias_blocks;
    char *p;

    if (!b || b->cap - b->used < len + 1) {
        size_t cap = len + 1 > ALIAS_BLOCK_SIZE ? len + 1 : ALIAS_BLOCK_SIZE;
        if (!(b = vault__malloc(sizeof *b + cap)))
            return NULL;
        b->next = cfg->alias_blocks;
        b->used = 0;
        b->cap = cap;
        cfg->alias_blocks = b;
    }
    p = b->data + b->used;
    memcpy(p, alias, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

void conf_aliases_free(vault_config *cfg)
{
    struct conf_alias_block *b = cfg->alias_blocks, *next;

    for (; b; b = next) {
        next = b->next;
        vault__free_ptr(b);
    }
    cfg->alias_blocks = NULL;
}

/* The alias into cfg->text[alias_at] when it fits before the value token
 * (a config opened for reading), else a copy: in the alias arena, or, for
 * a visited item (conf_parse_visit()), of its own, freed with it. */
static int item_set_alias(vault_config *cfg, conf_item *item, const char *alias, size_t alias_len,
                          size_t alias_at, size_t start)
{
    char *copy;

    /* The key's bytes are read already: the decoded alias (never longer)
     * takes them, with its NUL, and the file stays held once. */
    if (cfg->for_reading && alias_at < start && start - alias_at >= alias_len + 1) {
        copy = (char *)cfg->text + alias_at;
        memmove(copy, alias, alias_len);
        copy[alias_len] = '\0';
        item->alias_kept = 1;
    } else if (!cfg->visit) {
        if (!(copy = alias_copy(cfg, alias, alias_len)))
            return vault__oom();
        item->alias_kept = 1;
    } else if (!(copy = vault__strndup(alias, alias_len))) {
        return vault__oom();
    }
    item->info.alias = copy;
    return 0;
}

int conf_visit_flush(vault_config *cfg)
{
    conf_item *item;
    int rc;

    if (!cfg->visit || cfg->count == 0 || !cfg->items[0]->info.alias)
        return 0;
    item = cfg->items[0];
    rc = cfg->visit(cfg, item, cfg->visited, cfg->visit_payload);
    cfg->visited++;
    conf_item_clear_value(item);
    if (!item->alias_kept)
        vault__free_ptr((char *)item->info.alias);
    vault__free_ptr(item->replacement);
    memset(item, 0, sizeof *item);
    return rc;
}

/* Visiting: the item before this one goes to the visitor, and its place
 * takes this one. */
static int visit_next(vault_config *cfg, const char *alias, size_t alias_len, size_t alias_at, size_t start,
                      size_t end, unsigned int line, conf_item **out)
{
    conf_item *item;
    int rc;

    if ((rc = conf_visit_flush(cfg)) != 0)
        return rc;
    if (cfg->count == 0) {
        if ((rc = items_reserve(cfg)) != 0)
            return rc;
        if (!(item = item_new(cfg)))
            return vault__oom();
        cfg->items[cfg->count++] = item;
    }
    item = cfg->items[0];
    if ((rc = item_set_alias(cfg, item, alias, alias_len, alias_at, start)) != 0)
        return rc;
    item->start = (uint32_t)start;
    item->end = (uint32_t)end;
    item->info.line = line;
    item->info.state = VAULT_VALUE_EMPTY;
    *out = item;
    return 0;
}

void conf_drop_items(vault_config *cfg)
{
    conf_items_free(cfg);
    vault__free_ptr(cfg->items);
    cfg->items = NULL;
    cfg->count = cfg->cap = 0;
    vault__hashmap_free(&cfg->index);
}

int conf_add_item(vault_config *cfg, const char *alias, size_t alias_len, size_t start, size_t end,
                  unsigned int line, conf_item **out)
{
    return conf_add_item_at(cfg, alias, alias_len, (size_t)-1, start, end, line, out);
}

int conf_add_item_at(vault_config *cfg, const char *alias, size_t alias_len, size_t alias_at, size_t start,
                     size_t end, unsigned int line, conf_item **out)
{
    conf_item *item = NULL;
    uint32_t first_at;
    uint64_t hash;
    int rc;

    *out = NULL;
    if (alias_len == 0)
        return vault__err(VAULT_EFORMAT, "%s:%u: empty alias", cfg->path, line);
    if (memchr(alias, '\0', alias_len))
        return vault__err(VAULT_EFORMAT, "%s:%u: alias with a NUL character", cfg->path, line);
    if (start > end || end > cfg->len || end > UINT32_MAX)
        return vault__err(VAULT_ERROR, "%s:%u: internal error: bad value span", cfg->path, line);
    if (cfg->visit)
        return visit_next(cfg, alias, alias_len, alias_at, start, end, line, out);
    if ((rc = vault__hashmap_reserve(&cfg->index, item_hash, cfg)) != 0)
        return rc;
    hash = vault__hash_bytes(cfg->hash_key, alias, alias_len);
    if (vault__hashmap_find(&first_at, &cfg->index, hash, alias, alias_len, item_is, cfg) == 0) {
        const conf_item *first = cfg->items[first_at];
        return vault__err(VAULT_EFORMAT, "%s:%u: duplicate alias \"%s\" (first at line %u)", cfg->path, line,
                         first->info.alias, first->info.line);
    }
    if ((rc = items_reserve(cfg)) != 0)
        return rc;
    if (cfg->count >= UINT32_MAX)
        return vault__err(VAULT_ENOMEM, "%s: too many secrets", cfg->path);
    if (!(item = item_new(cfg)))
        return vault__oom();
    if ((rc = item_set_alias(cfg, item, alias, alias_len, alias_at, start)) != 0) {
        item_unnew(cfg);
        return rc;
    }
    item->start = (uint32_t)start; /* end <= cfg->len <= CONF_MAX_FILE */
    item->end = (uint32_t)end;
    item->info.line = line;
    item->info.state = VAULT_VALUE_EMPTY;
    vault__hashmap_put(&cfg->index, hash, (uint32_t)cfg->count);
    cfg->items[cfg->count++] = item;
    *out = item;
    return 0;
}

conf_item *conf_lookup(const vault_config *cfg, const char *alias, size_t alias_len)
{
    size_t i;

    return conf_index_find(&i, cfg, alias, alias_len) == 0 ? cfg->items[i] : NULL;
}

int conf_item_replaced(const conf_item *item)
{
    return item->replacement != NULL || (item->wrap && item->info.value);
}

size_t conf_item_token(const conf_item *item, char *out)
{
    size_t n;

    if (item->replacement) {
        n = strlen(item->replacement);
        if (out)
            memcpy(out, item->replacement, n);
        return n;
    }
    n = strlen(item->info.value);
    if (out) {
        out[0] = item->wrap;
        memcpy(out + 1, item->info.value, n);
        out[n + 1] = item->wrap;
    }
    return n + 2;
}

void conf_item_clear_value(conf_item *item)
{
    if (!item->value_in_text)
        vault__free_ptr((char *)item->info.value);
    item->info.value = NULL;
    item->wrap = 0;
    item->value_in_text = 0;
    item->plain_off = item->plain_len = 0;
}

/* Append to the plaintext arena, growing it by doubling (copy, then wipe
 * and free the old region). */
static int plain_append(vault_config *cfg, const char *text, size_t len, uint32_t *off)
{
    if (len > UINT32_MAX / 2 - cfg->plain_len) /* the arena is smaller than its file */
        return vault__oom();
    if (cfg->plain_len + len > cfg->plain_cap) {
        size_t cap = cfg->plain_cap ? cfg->plain_cap : 4096;
        unsigned char *p;
        while (cap < cfg->plain_len + len)
            cap *= 2;
        p = vault__secure_malloc(cap);
        if (!p)
            return vault__err(VAULT_ENOMEM, "%s: out of guarded memory", cfg->path);
        if (cfg->plain) {
            memcpy(p, cfg->plain, cfg->plain_len);
            sodium_free(cfg->plain);
        }
        cfg->plain = p;
        cfg->plain_cap = cap;
        cfg->plain_readonly = 0;
    }
    if (cfg->plain_readonly)
        sodium_mprotect_readwrite(cfg->plain);
    memcpy(cfg->plain + cfg->plain_len, text, len);
    if (cfg->plain_readonly)
        sodium_mprotect_readonly(cfg->plain);
    *off = (uint32_t)cfg->plain_len;
    cfg->plain_len += len;
    return 0;
}

/* in_text: decoded lies in cfg->text, NUL-terminated: a sealed value stays
 * there instead of being copied. */
static int set_decoded(vault_config *cfg, conf_item *item, const char *decoded, size_t len, int in_text)
{
    char *value;
    int rc;

    conf_item_clear_value(item);
    if (len == 0 || (len == 2 && decoded[0] == '[' && decoded[1] == ']')) {
        item->info.state = VAULT_VALUE_EMPTY;
        return 0;
    }
    if (len >= 2 && decoded[0] == '[' && decoded[len - 1] == ']') {
        rc = plain_append(cfg, decoded + 1, len - 2, &item->plain_off);
        if (rc != 0)
            return rc;
        item->plain_len = (uint32_t)(len - 2);
        item->info.state = VAULT_VALUE_PLAIN;
        return 0;
    }
    if (memchr(decoded, '\0', len))
        return vault__err(VAULT_EFORMAT, "%s:%u: the sealed value of \"%s\" has a NUL character",
                         cfg->path, item->info.line, item->info.alias);
    value = in_text ? (char *)decoded : vault__strndup(decoded, len);
    if (!value)
        return vault__oom();
    item->value_in_text = (unsigned char)(in_text != 0);
    item->info.state = VAULT_VALUE_SEALED;
    item->info.value = value;
    return 0;
}

int conf_item_set_decoded(vault_config *cfg, conf_item *item, const char *decoded, size_t len)
{
    return set_decoded(cfg, item, decoded, len, 0);
}

int conf_item_set_decoded_in_text(vault_config *cfg, conf_item *item, size_t at, const char *decoded,
                                  size_t len)
{
    char *to = (char *)cfg->text + at;

    if (!cfg->for_reading || at > cfg->len || cfg->len - at < len + 1)
        return set_decoded(cfg, item, decoded, len, 0);
    memmove(to, decoded, len);
    to[len] = '\0';
    return set_decoded(cfg, item, to, len, 1);
}

int conf_add_setting(vault_config *cfg, const char *key, size_t key_len, const char *value,
                     size_t value_len)
{
    struct conf_setting *grown;
    char *k, *v;

    if (cfg->setting_count == cfg->setting_cap) {
        size_t cap = cfg->setting_cap ? cfg->setting_cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof *grown)
            return vault__err(VAULT_ENOMEM, "%s: too many settings", cfg->path);
        grown = vault__realloc(cfg->settings, cap * sizeof *grown);
        if (!grown)
            return vault__oom();
        cfg->settings = grown;
        cfg->setting_cap = cap;
    }
    k = vault__strndup(key, key_len);
    v = vault__strndup(value, value_len);
    if (!k || !v) {
        vault__free_ptr(k);
        vault__free_ptr(v);
        return vault__oom();
    }
    cfg->settings[cfg->setting_count].key = k;
    cfg->settings[cfg->setting_count].value = v;
    cfg->setting_count++;
    return 0;
}

int vault_config_setting(const char **value, const vault_config *cfg, const char *key)
{
    size_t i;

    if (!cfg || !key || !value)
        return vault__err(VAULT_EINVAL, "vault_config_setting: invalid argument");
    *value = NULL;
    for (i = 0; i < cfg->setting_count; i++)
        if (strcmp(cfg->settings[i].key, key) == 0) {
            *value = cfg->settings[i].value;
            return 0;
        }
    return VAULT_ENOTFOUND;
}

int conf_warn(vault_config *cfg, const char *fmt, ...)
{
    char buf[1024], *note, **v;
    va_list ap;

    if (cfg->warning_count == CONF_MAX_WARNINGS) {
        cfg->warnings_dropped++;
        return 0;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!(note = vault__strdup(buf)))
        return vault__oom();
    if (!(v = vault__realloc(cfg->warnings, (cfg->warning_count + 1) * sizeof *v))) {
        vault__free_ptr(note);
        return vault__oom();
    }
    cfg->warnings = v;
    cfg->warnings[cfg->warning_count++] = note;
    return 0;
}

size_t vault_config_warning_count(const vault_config *cfg)
{
    return cfg ? cfg->warning_count + (cfg->warnings_dropped ? 1 : 0) : 0;
}

int vault_config_warning_at(const char **out, const vault_config *cfg, size_t i)
{
    vault_config *c = (vault_config *)cfg; /* the count's text is built once, on demand */
    size_t n;

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_config_warning_at: out is NULL");
    *out = NULL;
    if (!cfg)
        return vault__err(VAULT_EINVAL, "vault_config_warning_at: config is NULL");
    if (i >= vault_config_warning_count(cfg))
        return vault__err(VAULT_ENOTFOUND, "%s: no note %zu (%zu notes)", cfg->path, i,
                          vault_config_warning_count(cfg));
    if (i < cfg->warning_count) {
        *out = cfg->warnings[i];
        return 0;
    }
    if (!c->warnings_more) {
        n = strlen(cfg->path) + 64;
        if (!(c->warnings_more = vault__malloc(n)))
            return vault__oom();
        snprintf(c->warnings_more, n, "%s: %zu more notes like these", cfg->path, cfg->warnings_dropped);
    }
    *out = c->warnings_more;
    return 0;
}

int conf_add_ref(vault_config *cfg, const char *alias, size_t alias_len, unsigned int line)
{
    vault_config_ref *refs;
    char *copy;

    if (cfg->ref_count == cfg->ref_cap) {
        size_t cap = cfg->ref_cap ? cfg->ref_cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof *refs)
            return vault__err(VAULT_ENOMEM, "%s: too many references", cfg->path);
        refs = vault__realloc(cfg->refs, cap * sizeof *refs);
        if (!refs)
            return vault__oom();
        cfg->refs = refs;
        cfg->ref_cap = cap;
    }
    copy = vault__strndup(alias, alias_len);
    if (!copy)
        return vault__oom();
    cfg->refs[cfg->ref_count].alias = copy;
    cfg->refs[cfg->ref_count].line = line;
    cfg->ref_count++;
    return 0;
}

int conf_scan_refs(vault_config *cfg, const unsigned char *p, size_t n, unsigned int line)
{
    static const char open[] = "$secret{";
    const size_t open_len = sizeof open - 1;
    size_t i = 0;
    int rc;

    while (i < n) {
        size_t j;
        if (p[i] == '\n') {
            line++;
            i++;
            continue;
        }
        if (p[i] != '$' || n - i <= open_len || memcmp(p + i, open, open_len) != 0) {
            i++;
            continue;
        }
        /* The alias runs to the first '}' on the same line; an unclosed or
         * empty "$secret{" is text, not a reference. */
        for (j = i + open_len; j < n && p[j] != '}' && p[j] != '\n' && p[j] != '\r'; j++)
            ;
        if (j < n && p[j] == '}' && j > i + open_len) {
            rc = conf_add_ref(cfg, (const char *)p + i + open_len, j - i - open_len, line);
            if (rc != 0)
                return rc;
            i = j + 1;
        } else {
            i += open_len;
        }
    }
    return 0;
}

/* ---- opening and freeing ---- */
