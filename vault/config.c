/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration files: opening, lookup, rendering and saving. The model
 * the syntax readers build is conf_model.c. */
#include "conf_internal.h"

#include <sodium.h>
#include <string.h>
#include <sys/stat.h>


static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && vault__strcaseeq(s + n - m, suffix);
}

vault_config_type vault_config_type_from_name(const char *name)
{
    if (!name)
        return VAULT_CONFIG_AUTO;
    if (ends_with(name, ".toml"))
        return VAULT_CONFIG_TOML;
    if (ends_with(name, ".properties"))
        return VAULT_CONFIG_PROPERTIES;
    if (ends_with(name, ".xml"))
        return VAULT_CONFIG_XML;
    return VAULT_CONFIG_AUTO;
}

static int resolve_type(const char *name, vault_config_type *type)
{
    if (*type == VAULT_CONFIG_TOML || *type == VAULT_CONFIG_PROPERTIES)
        return 0;
    if (*type == VAULT_CONFIG_XML)
        return vault__err(VAULT_EINVAL, "%s: an XML file's secrets are its svns:secretAlias marks "
                         "(vault_xml_marked_file()), not a configuration's", name);
    if (*type != VAULT_CONFIG_AUTO)
        return vault__err(VAULT_EINVAL, "%s: unknown configuration type %d", name, (int)*type);
    switch (vault_config_type_from_name(name)) {
    case VAULT_CONFIG_TOML: *type = VAULT_CONFIG_TOML; return 0;
    case VAULT_CONFIG_PROPERTIES: *type = VAULT_CONFIG_PROPERTIES; return 0;
    default:
        return vault__err(VAULT_EINVAL,
                         "%s: cannot tell the configuration type from the name (*.toml or "
                         "*.properties); give the type",
                         name);
    }
}

/* Everything a config owns, without the struct itself. */
static void config_release(vault_config *cfg)
{
    size_t i;

    conf_items_free(cfg);
    conf_aliases_free(cfg);
    for (i = 0; i < cfg->ref_count; i++)
        vault__free_ptr((char *)cfg->refs[i].alias);
    for (i = 0; i < cfg->setting_count; i++) {
        vault__free_ptr(cfg->settings[i].key);
        vault__free_ptr(cfg->settings[i].value);
    }
    vault__free_ptr(cfg->settings);
    for (i = 0; i < cfg->warning_count; i++)
        vault__free_ptr(cfg->warnings[i]);
    vault__free_ptr(cfg->warnings);
    vault__free_ptr(cfg->warnings_more);
    vault__free_ptr(cfg->items);
    vault__free_ptr(cfg->refs);
    vault__hashmap_free(&cfg->index);
    sodium_free(cfg->plain); /* wipes */
    vault__store_release(cfg->plain_pool); /* the copies handed out keep it until freed */
    /* The text holds the plain secrets not yet sealed. */
    if (cfg->text)
        sodium_memzero(cfg->text, cfg->len);
    vault__free_ptr(cfg->text);
    vault__free_ptr(cfg->path);
    sodium_memzero(cfg->hash_key, sizeof cfg->hash_key);
}

void vault_config_free(vault_config *cfg)
{
    if (!cfg)
        return;
    config_release(cfg);
    vault__free_ptr(cfg);
}

/* Takes ownership of text (len bytes plus a NUL) also on failure; with
 * visit, the items go to it (conf_parse_visit()). */
static int config_build_visit(vault_config **out, const char *name, vault_config_type type, unsigned char *text,
                              size_t len, int for_reading, conf_item_visitor visit, void *payload)
{
    vault_config *cfg = NULL;
    int rc;

    if ((rc = vault__ensure_init()) != 0 || (rc = resolve_type(name, &type)) != 0)
        goto done;
    cfg = vault__calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->path = vault__strdup(name))) {
        rc = vault__oom();
        goto done;
    }
    cfg->type = type;
    cfg->syntax = type == VAULT_CONFIG_TOML ? &conf_toml_syntax : &conf_properties_syntax;
    cfg->text = text;
    cfg->len = len;
    cfg->for_reading = for_reading;
    cfg->visit = visit;
    cfg->visit_payload = payload;
    text = NULL;
    randombytes_buf(cfg->hash_key, sizeof cfg->hash_key);
    rc = cfg->syntax->read(cfg);
    if (rc == 0)
        rc = conf_visit_flush(cfg);
    if (rc != 0)
        goto done;
    if (cfg->plain) {
        sodium_mprotect_readonly(cfg->plain);
        cfg->plain_readonly = 1;
        if ((rc = vault__store_pool_new(&cfg->plain_pool)) != 0)
            goto done;
    }
    *out = cfg;
    cfg = NULL;
done:
    vault__free_wiped(text, len); /* not taken: it may hold plain secrets */
    vault_config_free(cfg);
    return rc;
}

static int config_build(vault_config **out, const char *name, vault_config_type type, unsigned char *text,
                        size_t len, int for_reading)
{
    return config_build_visit(out, name, type, text, len, for_reading, NULL, NULL);
}

int vault_config_parse(vault_config **out, const char *name, vault_config_type type, const void *data,
                       size_t len)
{
    unsigned char *text;

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_config_parse: out is NULL");
    *out = NULL;
    if (!name || (!data && len > 0))
        return vault__err(VAULT_EINVAL, "vault_config_parse: invalid argument");
    if (len > CONF_MAX_FILE)
        return vault__err(VAULT_EFORMAT, "%s: too large (%zu bytes, at most %u)", name, len, CONF_MAX_FILE);
    text = vault__malloc(len + 1);
    if (!text)
        return vault__oom();
    if (len)
        memcpy(text, data, len);
    text[len] = '\0';
    return config_build(out, name, type, text, len, 0);
}

static int config_open(vault_config **out, const char *path, vault_config_type type, int for_reading)
{
    struct stat st;
    unsigned char *text = NULL;
    size_t len = 0;
    int rc;

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_config_open: out is NULL");
    *out = NULL;
    if (!path)
        return vault__err(VAULT_EINVAL, "vault_config_open: path is NULL");
    if ((rc = resolve_type(path, &type)) != 0)
        return rc;
    if ((rc = vault__read_file_stat(path, CONF_MAX_FILE, &text, &len, &st)) != 0)
        return rc;
    rc = config_build(out, path, type, text, len, for_reading);
    if (rc == 0) {
        (*out)->from_file = 1;
        (*out)->file_dev = st.st_dev;
        (*out)->file_ino = st.st_ino;
    }
    return rc;
}

int vault_config_open(vault_config **out, const char *path, vault_config_type type)
{
    return config_open(out, path, type, 0);
}

int vault_config_open_readonly(vault_config **out, const char *path, vault_config_type type)
{
    return config_open(out, path, type, 1);
}

int conf_open_for_reading(vault_config **out, const char *path, vault_config_type type)
{
    return config_open(out, path, type, 1);
}

/* ---- read access ---- */

vault_config_type vault_config_get_type(const vault_config *cfg)
{
    return cfg ? cfg->type : VAULT_CONFIG_AUTO;
}

const char *vault_config_path(const vault_config *cfg)
{
    return cfg ? cfg->path : NULL;
}

size_t vault_config_count(const vault_config *cfg)
{
    return cfg ? cfg->count : 0;
}

int vault_config_entry_at(const vault_config_entry **out, const vault_config *cfg, size_t i)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_config_entry_at: out is NULL");
    *out = NULL;
    if (!cfg)
        return vault__err(VAULT_EINVAL, "vault_config_entry_at: config is NULL");
    if (i >= cfg->count)
        return vault__err(VAULT_ENOTFOUND, "%s: no secret %zu (%zu secrets)", cfg->path, i, cfg->count);
    *out = &cfg->items[i]->info;
    return 0;
}

int vault_config_find(size_t *index, const vault_config *cfg, const char *alias)
{
    if (!cfg || !alias || !index)
        return vault__err(VAULT_EINVAL, "vault_config_find: invalid argument");
    if (conf_index_find(index, cfg, alias, strlen(alias)) != 0)
        return vault__err(VAULT_ENOTFOUND, "no alias \"%s\" in %s", alias, cfg->path);
    return 0;
}

size_t vault_config_ref_count(const vault_config *cfg)
{
    return cfg ? cfg->ref_count : 0;
}

int vault_config_ref_at(const vault_config_ref **out, const vault_config *cfg, size_t i)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_config_ref_at: out is NULL");
    *out = NULL;
    if (!cfg)
        return vault__err(VAULT_EINVAL, "vault_config_ref_at: config is NULL");
    if (i >= cfg->ref_count)
        return vault__err(VAULT_ENOTFOUND, "%s: no reference %zu (%zu references)", cfg->path, i,
                         cfg->ref_count);
    *out = &cfg->refs[i];
    return 0;
}

int vault_config_plaintext(vault_secret **out, const vault_config *cfg, size_t i)
{
    const conf_item *item;
    int rc;

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_config_plaintext: out is NULL");
    *out = NULL;
    if (!cfg || i >= cfg->count)
        return vault__err(VAULT_EINVAL, "vault_config_plaintext: no such secret");
    item = cfg->items[i];
    if (item->info.state != VAULT_VALUE_PLAIN)
        return vault__err(VAULT_EINVAL, "%s: the value of \"%s\" is not plain text", cfg->path, item->info.alias);
    if (cfg->plain_pool) {
        unsigned char *p = NULL;
        if ((rc = vault__secret_alloc_in(cfg->plain_pool, out, item->plain_len, &p)) == 0 &&
            item->plain_len > 0)
            memcpy(p, cfg->plain + item->plain_off, item->plain_len);
    } else {
        rc = vault_secret_new(out, cfg->plain + item->plain_off, item->plain_len);
    }
    return rc; /* a failure is recorded: the one out-of-memory error, or guarded memory's */
}

/* ---- changing and writing ---- */

int conf_encode_sealed(char **out, const vault_config *cfg, size_t i, const char *sealed)
{
    size_t n;

    *out = NULL;
    if (!cfg || !sealed || i >= cfg->count)
        return vault__err(VAULT_EINVAL, "vault_config_set: invalid argument");
    n = strlen(sealed);
    /* The value must read back as sealed: empty or bracketed text would be
     * taken for plain text the next time the file is read. */
    if (n == 0 || (sealed[0] == '[' && sealed[n - 1] == ']'))
        return vault__err(VAULT_EINVAL, "%s: a sealed value for \"%s\" cannot be empty or in brackets",
                         cfg->path, cfg->items[i]->info.alias);
    return cfg->syntax->encode(cfg, cfg->items[i], sealed, out);
}

int vault_config_set(vault_config *cfg, size_t i, const char *sealed)
{
    conf_item *item;
    char *token = NULL, *value = NULL;
    size_t n;
    int rc;

    rc = conf_encode_sealed(&token, cfg, i, sealed);
    if (rc != 0)
        goto done;
    item = cfg->items[i];
    n = strlen(sealed);
    value = vault__strndup(sealed, n);
    if (!value) {
        rc = vault__oom();
        goto done;
    }
    conf_item_clear_value(item);
    vault__free_ptr(item->replacement);
    item->replacement = NULL;
    /* Most tokens are the value in quotes: the value alone is kept. */
    if (strlen(token) == n + 2 && token[0] == token[n + 1] && memcmp(token + 1, sealed, n) == 0) {
        item->wrap = token[0];
        vault__free_ptr(token);
    } else {
        item->replacement = token;
    }
    item->info.value = value;
    item->info.state = VAULT_VALUE_SEALED;
    token = NULL;
    value = NULL;
done:
    vault__free_ptr(token);
    vault__free_ptr(value);
    return rc;
}

static int span_cmp(const void *a, const void *b)
{
    const conf_item *x = *(const conf_item *const *)a, *y = *(const conf_item *const *)b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The items in file order: cfg->items itself when the reader added them in
 * order (always, for the readers we have), else a sorted copy in *owned. */
static int items_in_order(const vault_config *cfg, conf_item *const **order, conf_item ***owned)
{
    size_t i;

    *owned = NULL;
    *order = cfg->items;
    for (i = 1; i < cfg->count; i++)
        if (cfg->items[i]->start < cfg->items[i - 1]->start)
            break;
    if (i >= cfg->count)
        return 0;
    *owned = vault__malloc(cfg->count * sizeof **owned);
    if (!*owned)
        return vault__oom();
    memcpy(*owned, cfg->items, cfg->count * sizeof **owned);
    qsort(*owned, cfg->count, sizeof **owned, span_cmp);
    *order = *owned;
    return 0;
}

/* Length of the rendered text; checks that the spans do not overlap. */
static int rendered_length(const vault_config *cfg, conf_item *const *order, size_t *out)
{
    size_t total = cfg->len, prev_end = 0, i;

    for (i = 0; i < cfg->count; i++) {
        const conf_item *item = order[i];
        if (item->start < prev_end || item->end > cfg->len)
            return vault__err(VAULT_ERROR, "%s: internal error: overlapping value spans", cfg->path);
        prev_end = item->end;
        if (conf_item_replaced(item)) {
            size_t r = conf_item_token(item, NULL);
            total -= item->end - item->start;
            if (r > SIZE_MAX - 1 - total)
                return vault__err(VAULT_ENOMEM, "%s: rendered file too large", cfg->path);
            total += r;
        }
    }
    *out = total;
    return 0;
}

int conf_items_ordered(const vault_config *cfg)
{
    size_t i;

    for (i = 1; i < cfg->count; i++)
        if (cfg->items[i]->start < cfg->items[i - 1]->end)
            return 0;
    return !cfg->for_reading && (cfg->count == 0 || cfg->items[cfg->count - 1]->end <= cfg->len);
}

void conf_stream_begin(conf_stream *s, const vault_config *cfg, vault_sink *sink)
{
    s->cfg = cfg;
    s->sink = sink;
    s->pos = 0;
    s->next = 0;
    crypto_generichash_init(&s->digest, NULL, 0, crypto_generichash_BYTES);
}

int conf_stream_put(conf_stream *s, size_t i, const char *token, const char *sealed)
{
    const conf_item *item;
    int rc;

    if (i >= s->cfg->count || i < s->next)
        return vault__err(VAULT_ERROR, "%s: internal error: new values out of order", s->cfg->path);
    item = s->cfg->items[i];
    if ((rc = vault__sink_write(s->sink, s->cfg->text + s->pos, item->start - s->pos)) != 0 ||
        (rc = vault__sink_write(s->sink, token, strlen(token))) != 0)
        return rc;
    crypto_generichash_update(&s->digest, (const unsigned char *)sealed, strlen(sealed) + 1);
    s->pos = item->end;
    s->next = i + 1;
    return 0;
}

int conf_stream_end(conf_stream *s, unsigned char digest[crypto_generichash_BYTES])
{
    int rc = vault__sink_write(s->sink, s->cfg->text + s->pos, s->cfg->len - s->pos);

    s->pos = s->cfg->len;
    crypto_generichash_final(&s->digest, digest, crypto_generichash_BYTES);
    return rc;
}

int vault_config_render(char **out, size_t *len, const vault_config *cfg)
{
    conf_item *const *order;
    conf_item **owned = NULL;
    char *buf = NULL;
    size_t total = 0, pos = 0, w = 0, i;
    int rc;

    if (!out || !len)
        return vault__err(VAULT_EINVAL, "vault_config_render: invalid argument");
    *out = NULL;
    *len = 0;
    if (!cfg)
        return vault__err(VAULT_EINVAL, "vault_config_render: config is NULL");
    if (cfg->for_reading)
        return vault__err(VAULT_EINVAL, "%s: opened for reading only; it cannot be written",
                         cfg->path);
    if ((rc = items_in_order(cfg, &order, &owned)) != 0 || (rc = rendered_length(cfg, order, &total)) != 0)
        goto done;
    buf = vault__malloc(total + 1);
    if (!buf) {
        rc = vault__oom();
        goto done;
    }
    /* One pass over the spans in file order: copy the bytes before each
     * replaced span, then its new token. */
    for (i = 0; i < cfg->count; i++) {
        const conf_item *item = order[i];
        size_t r;
        if (!conf_item_replaced(item))
            continue;
        memcpy(buf + w, cfg->text + pos, item->start - pos);
        w += item->start - pos;
        r = conf_item_token(item, buf + w);
        w += r;
        pos = item->end;
    }
    memcpy(buf + w, cfg->text + pos, cfg->len - pos);
    w += cfg->len - pos;
    buf[w] = '\0';
    *out = buf;
    *len = w;
    buf = NULL;
done:
    vault__free_ptr(owned);
    vault__free_ptr(buf);
    return rc;
}

typedef struct save_ctx {
    vault_config *cfg;
    vault_verify_cb verify;
    conf_verify_parsed_cb verify_parsed;
    void *payload;
    unsigned char *data;  /* the rendered text, until the re-read takes it */
    vault_config *reread; /* the new content parsed again, owning data */
    int keep_model;       /* cfg becomes the re-read model (else the re-read only checks) */
} save_ctx;

static int same_value(const vault_config *ca, const conf_item *a, const vault_config *cb, const conf_item *b)
{
    if (a->info.state != b->info.state)
        return 0;
    if (a->info.state == VAULT_VALUE_SEALED)
        return strcmp(a->info.value, b->info.value) == 0;
    if (a->info.state == VAULT_VALUE_PLAIN)
        return a->plain_len == b->plain_len &&
               sodium_memcmp(ca->plain + a->plain_off, cb->plain + b->plain_off, a->plain_len) == 0;
    return 1;
}

/* The new content must hold the same aliases, in the same order, with the
 * values now in the model. */
static int check_reread(const vault_config *cfg, const vault_config *re)
{
    size_t i;

    if (re->count != cfg->count)
        return vault__err(VAULT_ERROR, "%s: the new content has %zu secrets instead of %zu", cfg->path,
                         re->count, cfg->count);
    for (i = 0; i < cfg->count; i++) {
        const conf_item *a = cfg->items[i], *b = re->items[i];
        if (strcmp(a->info.alias, b->info.alias) != 0)
            return vault__err(VAULT_ERROR, "%s: the new content has \"%s\" where \"%s\" was", cfg->path,
                             b->info.alias, a->info.alias);
        if (!same_value(cfg, a, re, b))
            return vault__err(VAULT_ERROR, "%s: the new value of \"%s\" does not read back as set", cfg->path,
                             a->info.alias);
    }
    if (re->ref_count != cfg->ref_count)
        return vault__err(VAULT_ERROR, "%s: the new content has %zu references instead of %zu", cfg->path,
                         re->ref_count, cfg->ref_count);
    return 0;
}

/* What the walk of a new text must find, in order, for item i of the
 * model it came from: its alias, and, unless changed, its value as it was
 * (state, then the sealed text or the plaintext). */
static void hash_skeleton_item(crypto_generichash_state *st, const vault_config *cfg, const conf_item *item,
                               int changed)
{
    unsigned char state = (unsigned char)item->info.state;

    crypto_generichash_update(st, (const unsigned char *)item->info.alias, strlen(item->info.alias) + 1);
    if (changed) {
        static const unsigned char mark = 0xff;
        crypto_generichash_update(st, &mark, 1);
        return;
    }
    crypto_generichash_update(st, &state, 1);
    if (item->info.state == VAULT_VALUE_SEALED)
        crypto_generichash_update(st, (const unsigned char *)item->info.value, strlen(item->info.value) + 1);
    else if (item->info.state == VAULT_VALUE_PLAIN)
        crypto_generichash_update(st, cfg->plain + item->plain_off, item->plain_len);
}

void conf_check_streamed_begin(conf_stream_check *c, const vault_config *cfg,
                               int (*changed)(size_t i, void *payload), void *payload)
{
    crypto_generichash_state st;
    size_t i;

    c->path = cfg->path;
    c->count = cfg->count;
    c->ref_count = cfg->ref_count;
    c->changed = changed;
    c->payload = payload;
    crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
    for (i = 0; i < cfg->count; i++)
        hash_skeleton_item(&st, cfg, cfg->items[i], changed(i, payload));
    crypto_generichash_final(&st, c->want_skeleton, sizeof c->want_skeleton);
    sodium_memzero(&st, sizeof st);
    crypto_generichash_init(&c->skeleton, NULL, 0, crypto_generichash_BYTES);
    crypto_generichash_init(&c->digest, NULL, 0, crypto_generichash_BYTES);
}

int conf_check_streamed_item(conf_stream_check *c, const vault_config *re, const conf_item *b, size_t i)
{
    int changed;

    if (i >= c->count)
        return vault__err(VAULT_ERROR, "%s: the new content has more than %zu secrets", c->path, c->count);
    changed = c->changed(i, c->payload);
    hash_skeleton_item(&c->skeleton, re, b, changed);
    if (!changed)
        return 0;
    if (b->info.state != VAULT_VALUE_SEALED)
        return vault__err(VAULT_ERROR, "%s: the new value of \"%s\" does not read back as sealed", c->path,
                         b->info.alias);
    crypto_generichash_update(&c->digest, (const unsigned char *)b->info.value, strlen(b->info.value) + 1);
    return 0;
}

int conf_check_streamed_end(conf_stream_check *c, const vault_config *re,
                            const unsigned char digest[crypto_generichash_BYTES])
{
    unsigned char got[crypto_generichash_BYTES];
    int same;

    if (re->visited != c->count)
        return vault__err(VAULT_ERROR, "%s: the new content has %zu secrets instead of %zu", c->path,
                         re->visited, c->count);
    crypto_generichash_final(&c->skeleton, got, sizeof got);
    same = sodium_memcmp(got, c->want_skeleton, sizeof got) == 0;
    sodium_memzero(&c->skeleton, sizeof c->skeleton);
    if (!same)
        return vault__err(VAULT_ERROR,
                          "%s: the new content changed an alias or a value that was kept (its aliases and "
                          "kept values differ from the file read)",
                          c->path);
    crypto_generichash_final(&c->digest, got, sizeof got);
    if (sodium_memcmp(got, digest, sizeof got) != 0)
        return vault__err(VAULT_ERROR, "%s: the new values do not read back as written", c->path);
    if (re->ref_count != c->ref_count)
        return vault__err(VAULT_ERROR, "%s: the new content has %zu references instead of %zu", c->path,
                         re->ref_count, c->ref_count);
    return 0;
}

int conf_parse_visit(vault_config **out, const char *name, vault_config_type type, unsigned char *text,
                     size_t len, conf_item_visitor visit, void *payload)
{
    *out = NULL;
    if (len > CONF_MAX_FILE) {
        vault__free_wiped(text, len + 1);
        return vault__err(VAULT_EFORMAT, "%s: too large (%zu bytes, at most %u)", name, len, CONF_MAX_FILE);
    }
    return config_build_visit(out, name, type, text, len, 1, visit, payload);
}

int conf_parse_owned(vault_config **out, const char *name, vault_config_type type, unsigned char *text,
                     size_t len)
{
    return conf_parse_visit(out, name, type, text, len, NULL, NULL);
}

/* Parse the rendered text again; the new model takes the text itself, not
 * a copy (a sealed file may be tens of megabytes). */
static int save_reread(save_ctx *ctx, size_t len)
{
    unsigned char *text = ctx->data;

    if (!text)
        return vault__err(VAULT_ERROR, "%s: internal error: the new content was parsed twice", ctx->cfg->path);
    ctx->data = NULL;
    if (len > CONF_MAX_FILE) {
        sodium_memzero(text, len);
        vault__free_ptr(text);
        return vault__err(VAULT_EFORMAT, "%s: too large (%zu bytes, at most %u)", ctx->cfg->path, len,
                         CONF_MAX_FILE);
    }
    /* A model only checked may decode its values over the text: the file
     * is written and read back already, and the text is not used again. */
    return config_build(&ctx->reread, ctx->cfg->path, ctx->cfg->type, text, len, !ctx->keep_model);
}

/* Called by the replacement once the new content is on disk and read back
 * equal to data (ctx->data): after it returns, the replacement no longer
 * reads data, which the re-read model now owns. */
static int save_verify(const void *data, size_t len, void *payload)
{
    save_ctx *ctx = payload;
    int rc;

    if ((rc = save_reread(ctx, len)) != 0)
        return rc;
    if ((rc = check_reread(ctx->cfg, ctx->reread)) != 0)
        return rc;
    if (ctx->verify_parsed && (rc = ctx->verify_parsed(ctx->reread, ctx->payload)) != 0)
        return rc < 0 ? rc : VAULT_ERROR;
    if (ctx->verify && (rc = ctx->verify(data, len, ctx->payload)) != 0)
        return rc < 0 ? rc : VAULT_ERROR;
    return 0;
}

static int config_save(vault_config *cfg, vault_verify_cb verify, conf_verify_parsed_cb verify_parsed,
                       void *payload, int keep_model)
{
    save_ctx ctx = {NULL, NULL, NULL, NULL, NULL, NULL, 0};
    vault_replace_opts ro;
    struct stat written;
    vault_config tmp;
    char *data = NULL;
    size_t len = 0;
    int rc;

    if (!cfg)
        return vault__err(VAULT_EINVAL, "vault_config_save: config is NULL");
    if ((rc = vault_config_render(&data, &len, cfg)) != 0)
        goto done;
    if (len == cfg->len && memcmp(data, cfg->text, len) == 0)
        goto done; /* nothing changed: nothing is written */
    ctx.cfg = cfg;
    ctx.verify = verify;
    ctx.verify_parsed = verify_parsed;
    ctx.payload = payload;
    ctx.data = (unsigned char *)data;
    ctx.keep_model = keep_model;
    /* The file read, and still holding what was read: the replacement
     * checks both on the descriptor it opened (no second look by name). */
    memset(&ro, 0, sizeof ro);
    ro.mode = 0600;
    ro.verify = save_verify;
    ro.payload = &ctx;
    ro.expect_inode = cfg->from_file;
    ro.dev = cfg->file_dev;
    ro.ino = cfg->file_ino;
    ro.old = cfg->from_file ? cfg->text : NULL;
    ro.old_len = cfg->len;
    ro.written = &written;
    rc = vault__replace_file(cfg->path, data, len, &ro);
    if (!ctx.data)
        data = NULL; /* the re-read model's now */
    if (rc != 0 || !keep_model)
        goto done;
    /* The file already held the new bytes (no verification ran). */
    if (!ctx.reread) {
        data = NULL;
        if ((rc = save_reread(&ctx, len)) != 0)
            goto done;
    }
    /* The model now describes the file as written. */
    tmp = *cfg;
    *cfg = *ctx.reread;
    *ctx.reread = tmp;
    cfg->from_file = 1;
    cfg->file_dev = written.st_dev;
    cfg->file_ino = written.st_ino;
done:
    vault_config_free(ctx.reread);
    vault__free_wiped(data, len); /* the new text may hold plain secrets not sealed */
    return rc;
}

int vault_config_save(vault_config *cfg, vault_verify_cb verify, void *payload)
{
    return config_save(cfg, verify, NULL, payload, 1);
}

int conf_save_checked(vault_config *cfg, conf_verify_parsed_cb verify, void *payload)
{
    return config_save(cfg, NULL, verify, payload, 0);
}
