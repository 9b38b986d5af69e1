/* SPDX-License-Identifier: Apache-2.0 */
/* vault_config_apply(): the config workflows (seal, set, rotate, rewrap,
 * edit) as one loop: every value is produced, the new text is checked
 * (parsed again, each new value opened and compared, or its key ids checked
 * when the key is not at hand) and the file replaced atomically, all or
 * nothing. The file is read and replaced by one pair of functions
 * (apply_read, apply_replace); a config naming a secret repository has its
 * values read from there and written back in one guarded transaction. */
#include "config_apply_internal.h"
#include "keystore_internal.h"
#include "token.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>


const char *vault_apply_status_name(vault_apply_status status)
{
    static const char *const names[] = {"unchanged", "sealed", "already-sealed", "replaced", "created",
                                        "rotated", "already-rotated", "rewrapped", "already-rewrapped",
                                        "failed"};
    if ((unsigned)status < sizeof names / sizeof names[0])
        return names[status];
    return "unknown";
}

/* The last error's text, or fallback, prefixed with file and alias unless
 * the text names the file already. */
static char *alias_message(const char *path, const char *alias, const char *fallback)
{
    const vault_error *e = vault_error_last();
    const char *why = e && e->message && *e->message ? e->message : fallback;
    size_t n = strlen(path) + strlen(alias) + strlen(why) + 32;
    char *m = vault__malloc(n);
    if (!m)
        return NULL;
    if (strncmp(why, path, strlen(path)) == 0)
        snprintf(m, n, "%s", why);
    else
        snprintf(m, n, "%s: alias \"%s\": %s", path, alias, why);
    return m;
}

apply_failure *apply_failure_of(apply_run *r, const apply_item *it)
{
    size_t k = (size_t)(it - r->items), i;

    /* From the last: an item failed again is most often the last one. */
    for (i = r->fail_count; it->status == VAULT_APPLY_FAILED && i-- > 0;)
        if (r->fails[i].item == k)
            return &r->fails[i];
    return NULL;
}

/* A new failure recorded for it: NULL when there is no memory for it (the
 * item is still failed, its entry then has VAULT_ENOMEM and no message). */
static apply_failure *add_failure(apply_run *r, const apply_item *it)
{
    apply_failure *f;

    if (r->fail_count == r->fail_cap) {
        size_t cap = r->fail_cap ? r->fail_cap * 2 : 16;
        if (!(f = vault__realloc(r->fails, cap * sizeof *f)))
            return NULL;
        r->fails = f;
        r->fail_cap = cap;
    }
    f = &r->fails[r->fail_count++];
    f->item = (size_t)(it - r->items);
    f->code = 0;
    f->message = NULL;
    return f;
}

void apply_item_fail(apply_run *r, apply_item *it, int code, const char *fallback)
{
    apply_failure *f = apply_failure_of(r, it);

    if (it->status != VAULT_APPLY_FAILED)
        r->failed++;
    if (it->changed) {
        it->changed = 0;
        r->changed--;
    }
    if (!f)
        f = add_failure(r, it);
    it->status = VAULT_APPLY_FAILED;
    if (!f)
        return;
    f->code = code ? code : VAULT_ERROR;
    vault__free_ptr(f->message);
    f->message = alias_message(vault_config_path(r->cfg), it->alias, fallback);
}

static int add_item(apply_run *r, size_t index, const char *alias, apply_item **out)
{
    apply_item *it = &r->items[r->n];
    memset(it, 0, sizeof *it);
    it->index = (uint32_t)index; /* (size_t)-1 becomes APPLY_NEW_ALIAS */
    it->alias = alias; /* borrowed from the config or the options until the result copies it */
    r->n++;
    *out = it;
    return 0;
}

/* Streaming: the new value's token written to the new text (unless the
 * run failed already: nothing will be written then); *bad is the code when
 * it cannot be encoded; an error code when it cannot be written (the run
 * stops). */
static int stream_value(apply_run *r, apply_item *it, const char *value, int *bad)
{
    char *token = NULL;
    int rc = conf_encode_sealed(&token, r->cfg, it->index, value);

    if ((*bad = rc) != 0)
        return 0;
    if (!r->failed)
        rc = conf_stream_put(&r->stream, it->index, token, value);
    vault__free_ptr(token);
    return rc;
}

/* Record a new value for it (takes value). */
static int set_value(apply_run *r, apply_item *it, char *value, vault_apply_status status)
{
    int rc, bad = 0;

    if (r->streaming) {
        rc = stream_value(r, it, value, &bad);
        if (rc != 0) { /* the stream failed: the run stops */
            vault_string_free(value);
            return rc;
        }
    } else {
        bad = vault_config_set(r->cfg, it->index, value);
    }
    vault_string_free(value);
    if (bad) {
        apply_item_fail(r, it, bad, "cannot set the value");
        return 0;
    }
    it->status = (unsigned char)status;
    it->changed = 1;
    r->changed++;
    return 0;
}

static int seal_bytes(apply_run *r, apply_item *it, const void *data, size_t len, vault_apply_status status)
{
    char *value = NULL;
    int rc;
    if (len == 0) {
        vault__err(VAULT_EINVAL, "%s: alias \"%s\": the secret is empty", vault_config_path(r->cfg),
                  it->alias);
        apply_item_fail(r, it, VAULT_EINVAL, "the secret is empty");
        return 0;
    }
    rc = vault_sealer_seal(&value, r->o->sealer, it->alias, data, len);
    if (rc != 0) {
        apply_item_fail(r, it, rc, "cannot seal");
        return 0;
    }
    if (apply_rule_refuses(r, it, value, 1)) {
        vault_string_free(value);
        return 0;
    }
    return set_value(r, it, value, status);
}

static int seal_plain(apply_run *r, apply_item *it, const vault_secret *plain, vault_apply_status status)
{
    return seal_bytes(r, it, vault_secret_data(plain), vault_secret_len(plain), status);
}

/* The [plain] text of a config's item, in its guarded arena (no copy: a
 * file may hold tens of thousands of secrets). */
void apply_arena_text(const vault_config *cfg, const conf_item *item, const unsigned char **data, size_t *len)
{
    *data = cfg->plain + item->plain_off;
    *len = item->plain_len;
}

/* ---- the producers ---- */

static int produce_seal(apply_run *r, apply_item *it, const vault_config_entry *e)
{
    const unsigned char *data;
    size_t len;
    int rc;

    if (e->state == VAULT_VALUE_SEALED) {
        it->status = VAULT_APPLY_ALREADY_SEALED;
        return 0;
    }
    if (e->state == VAULT_VALUE_EMPTY) {
        if (!r->o->ask) {
            vault__err(VAULT_EINVAL, "%s: line %u: alias \"%s\" has an empty value", vault_config_path(r->cfg),
                      e->line, e->alias);
            apply_item_fail(r, it, VAULT_EINVAL, "empty value");
            return 0;
        }
        if ((rc = r->o->ask(&it->plain, vault_config_path(r->cfg), e, r->o->ask_payload)) != 0)
            return vault__err(rc, "%s: alias \"%s\": no value given; the file was not changed",
                             vault_config_path(r->cfg), e->alias); /* the run stops */
        return seal_plain(r, it, it->plain, VAULT_APPLY_SEALED);
    }
    apply_arena_text(r->cfg, r->cfg->items[it->index], &data, &len);
    it->plain_off = r->cfg->items[it->index]->plain_off;
    it->plain_len = r->cfg->items[it->index]->plain_len;
    it->in_arena = 1;
    return seal_bytes(r, it, data, len, VAULT_APPLY_SEALED); /* orig holds it for the check */
}

/* The format the sealer writes, from one value sealed for the purpose. */
static int target_format(apply_run *r, const char *alias)
{
    vault_value_info *info = NULL;
    char *probe = NULL;
    if (r->target_format)
        return r->target_format;
    if (vault_sealer_seal(&probe, r->o->sealer, alias, "x", 1) == 0 && vault_inspect(&info, probe) == 0)
        r->target_format = (int)info->format;
    vault_value_info_free(info);
    vault_string_free(probe);
    return r->target_format;
}

/* A value the old key does not open that is already what the rotation
 * makes: the new key opens it (no legacy padding) in the new format. */
static int already_rotated(apply_run *r, const vault_config_entry *e)
{
    vault_value_info *info = NULL;
    vault_secret *got = NULL;
    unsigned int flags = 0;
    int yes = 0;

    if (!r->verify || vault_inspect(&info, e->value) != 0)
        goto done;
    if ((int)info->format != target_format(r, e->alias))
        goto done;
    yes = vault_opener_open(&got, &flags, r->verify, e->alias, e->value) == 0 &&
          !(flags & VAULT_OPENED_LEGACY);
done:
    vault_secret_free(got);
    vault_value_info_free(info);
    return yes;
}

static int produce_rotate(apply_run *r, apply_item *it, const vault_config_entry *e)
{
    apply_failure *f;
    unsigned int flags = 0;
    int rc;

    if (e->state != VAULT_VALUE_SEALED) {
        it->flags |= VAULT_APPLY_WAS_PLAIN;
        return 0;
    }
    rc = vault_opener_open(&it->plain, &flags, r->o->from, e->alias, e->value);
    if (rc != 0) {
        int code = rc;
        char *why = alias_message(vault_config_path(r->cfg), e->alias, "cannot open");
        if (already_rotated(r, e)) {
            vault__free_ptr(why);
            vault_error_clear();
            it->status = VAULT_APPLY_ALREADY_ROTATED;
            return 0;
        }
        apply_item_fail(r, it, code, "cannot open");
        if (why && (f = apply_failure_of(r, it)) != NULL) {
            vault__free_ptr(f->message);
            f->message = why;
            why = NULL;
        }
        vault__free_ptr(why);
        return 0;
    }
    if (flags & VAULT_OPENED_LEGACY)
        it->flags |= VAULT_APPLY_WAS_LEGACY;
    it->opened = (unsigned char)flags;
    return seal_plain(r, it, it->plain, VAULT_APPLY_ROTATED);
}

/* Two values name the same recipients. */
static int same_key_ids(const char *a, const char *b)
{
    vault_value_info *x = NULL, *y = NULL;
    size_t i, j;
    int same = 0;

    if (vault_inspect(&x, a) != 0 || vault_inspect(&y, b) != 0 || !x->key_ids || !y->key_ids ||
        x->recipient_count != y->recipient_count)
        goto done;
    for (i = 0, same = 1; same && i < x->recipient_count; i++)
        for (j = 0, same = 0; !same && j < y->recipient_count; j++)
            same = strcmp(x->key_ids[i], y->key_ids[j]) == 0;
done:
    vault_value_info_free(x);
    vault_value_info_free(y);
    vault_error_clear();
    return same;
}

static int produce_rewrap(apply_run *r, apply_item *it, const vault_config_entry *e)
{
    char *value = NULL;
    int rc;

    if (e->state != VAULT_VALUE_SEALED) {
        it->flags |= VAULT_APPLY_WAS_PLAIN;
        return 0;
    }
    if (strncmp(e->value, "vault:", 6) != 0) {
        it->flags |= VAULT_APPLY_NOT_NATIVE;
        return 0;
    }
    rc = r->verify ? vault_opener_open(&it->plain, NULL, r->verify, e->alias, e->value) : 0;
    if (rc == 0)
        rc = vault_rewrapper_rewrap(&value, r->o->rewrapper, e->alias, e->value);
    if (rc != 0) {
        apply_item_fail(r, it, rc, "cannot rewrap");
        return 0;
    }
    if (same_key_ids(e->value, value)) {
        vault_string_free(value);
        it->status = VAULT_APPLY_ALREADY_REWRAPPED;
        return 0;
    }
    if (apply_rule_refuses(r, it, value, 0)) {
        vault_string_free(value);
        return 0;
    }
    return set_value(r, it, value, VAULT_APPLY_REWRAPPED);
}

static int produce_custom(apply_run *r, apply_item *it, const vault_config_entry *e)
{
    vault_apply_status status = VAULT_APPLY_SEALED;
    char *value = NULL;
    int rc;

    vault_error_clear(); /* a producer may fail without a message */
    rc = r->o->produce(&value, &it->plain, &status, e, r->o->produce_payload);
    if (rc != 0) {
        vault_string_free(value);
        apply_item_fail(r, it, rc, "cannot make the new value");
        return 0;
    }
    if (!value)
        return 0;
    if (apply_rule_refuses(r, it, value, 0)) {
        vault_string_free(value);
        return 0;
    }
    return set_value(r, it, value, status);
}

/* ---- reading and replacing (the pair a repository may stand in for) ---- */

static int apply_read(apply_run *r)
{
    int rc;
    if (r->o->op == VAULT_APPLY_EDIT) {
        rc = vault_config_open(&r->orig, r->o->path, r->o->type);
        if (rc == 0)
            rc = vault_config_parse(&r->cfg, r->o->path, vault_config_get_type(r->orig), r->o->text,
                                    r->o->text_len);
        return rc;
    }
    rc = vault_config_open(&r->cfg, r->o->path, r->o->type);
    if (rc == 0 && (r->o->op == VAULT_APPLY_ROTATE || r->o->op == VAULT_APPLY_REWRAP))
        rc = apply_repo_read(r);
    /* A file rewritten in one pass as its values come: cfg is not changed,
     * and its [plain] texts are the ones to check against. */
    r->streaming = rc == 0 && !r->file && r->o->op != VAULT_APPLY_SET && !(r->o->flags & VAULT_APPLY_DRY_RUN) &&
                   conf_items_ordered(r->cfg);
    if (rc == 0 && r->o->op == VAULT_APPLY_SEAL && r->verify && !r->streaming)
        rc = vault_config_open(&r->orig, r->o->path, r->o->type);
    return rc;
}

static int run_all(apply_run *r);

static int stream_fill(vault_sink *sink, void *payload)
{
    apply_run *r = payload;
    int rc;

    conf_stream_begin(&r->stream, r->cfg, sink);
    if ((rc = run_all(r)) != 0)
        return rc;
    if (r->failed)
        return VAULT_ERROR; /* the run's message says which */
    if (r->changed == 0)
        return VAULT__REPLACE_NOTHING;
    if ((rc = conf_stream_end(&r->stream, r->digest)) != 0)
        return rc;
    apply_stream_written(r);
    return 0;
}

/* Every value produced and written to the temporary file of the
 * replacement as it comes: neither the new values nor the new text are
 * ever whole in memory beside the file as read. */
static int apply_stream(apply_run *r)
{
    vault_replace_opts ro;

    memset(&ro, 0, sizeof ro);
    ro.mode = 0600;
    ro.fill = stream_fill;
    ro.verify_owned = apply_verify_streamed;
    ro.payload = r;
    ro.expect_inode = r->cfg->from_file;
    ro.dev = r->cfg->file_dev;
    ro.ino = r->cfg->file_ino;
    /* The file as read is checked by its digest before the rename: its
     * text is let go once the new one is written (apply_stream_written()). */
    if (r->cfg->from_file) {
        crypto_generichash(r->old_digest, sizeof r->old_digest, r->cfg->text, r->cfg->len, NULL, 0);
        ro.old_digest = r->old_digest;
    }
    ro.old_len = r->cfg->len;
    return vault__replace_file(r->cfg->path, NULL, 0, &ro);
}

static int apply_replace(apply_run *r)
{
    /* The file as it was read: it must still be there, unchanged. */
    const vault_config *file = r->o->op == VAULT_APPLY_EDIT ? r->orig : r->cfg;
    vault_replace_opts ro;

    if (r->file)
        return apply_repo_write(r);
    if (!r->text) {
        if (r->o->flags & VAULT_APPLY_DRY_RUN) {
            char *data = NULL;
            size_t len = 0;
            int rc = vault_config_render(&data, &len, r->cfg);
            if (rc == 0)
                rc = apply_verify_new_text(data, len, r);
            vault__free_ptr(data);
            return rc;
        }
        return conf_save_checked(r->cfg, apply_verify_parsed, r); /* the new text parsed once */
    }
    if (r->o->flags & VAULT_APPLY_DRY_RUN)
        return apply_verify_new_text(r->text, r->text_len, r);
    memset(&ro, 0, sizeof ro);
    ro.mode = 0600;
    ro.verify = apply_verify_new_text;
    ro.payload = r;
    ro.expect_inode = file->from_file;
    ro.dev = file->file_dev;
    ro.ino = file->file_ino;
    ro.old = file->from_file ? file->text : NULL;
    ro.old_len = file->len;
    return vault__replace_file(file->path, r->text, r->text_len, &ro);
}

/* ---- the run ---- */

static int check_options(const vault_apply_options *o)
{
    if (!o || o->version != VAULT_APPLY_OPTIONS_VERSION)
        return vault__err(VAULT_EINVAL, "vault_apply_options: unknown version %u", o ? o->version : 0);
    if (!o->path)
        return vault__err(VAULT_EINVAL, "vault_config_apply: no path");
    switch (o->op) {
    case VAULT_APPLY_SEAL:
        return o->sealer ? 0 : vault__err(VAULT_EINVAL, "vault_config_apply: sealing needs a sealer");
    case VAULT_APPLY_SET:
        if (!o->sealer || !o->alias || !*o->alias || !o->value)
            return vault__err(VAULT_EINVAL, "vault_config_apply: set needs a sealer, an alias and a value");
        if (vault_secret_len(o->value) == 0)
            return vault__err(VAULT_EINVAL, "%s: alias \"%s\": the secret is empty", o->path, o->alias);
        return 0;
    case VAULT_APPLY_ROTATE:
        return o->sealer && o->from ? 0
                                    : vault__err(VAULT_EINVAL, "vault_config_apply: rotation needs a sealer and "
                                                "an opener of the old values");
    case VAULT_APPLY_REWRAP:
        return o->rewrapper ? 0 : vault__err(VAULT_EINVAL, "vault_config_apply: rewrapping needs a rewrapper");
    case VAULT_APPLY_CUSTOM:
        return o->produce ? 0 : vault__err(VAULT_EINVAL, "vault_config_apply: no producer");
    case VAULT_APPLY_EDIT:
        return o->sealer && o->text ? 0
                                    : vault__err(VAULT_EINVAL, "vault_config_apply: editing needs a sealer and "
                                                "the new text");
    default:
        return vault__err(VAULT_EINVAL, "vault_config_apply: unknown operation %d", (int)o->op);
    }
}

static int run_set(apply_run *r)
{
    const vault_apply_options *o = r->o;
    apply_item *it;
    size_t i;
    char *value = NULL;
    int rc;

    if (vault_config_find(&i, r->cfg, o->alias) == 0) {
        if ((rc = add_item(r, i, o->alias, &it)) != 0)
            return rc;
        if ((rc = vault_secret_new(&it->plain, vault_secret_data(o->value), vault_secret_len(o->value))) != 0)
            return rc;
        return seal_plain(r, it, o->value, VAULT_APPLY_REPLACED);
    }
    if (!(o->flags & VAULT_APPLY_CREATE))
        return vault__err(VAULT_ENOTFOUND, "no alias \"%s\" in %s", o->alias, o->path);
    vault_error_clear();
    if ((rc = add_item(r, (size_t)-1, o->alias, &it)) != 0)
        return rc;
    if ((rc = vault_secret_new(&it->plain, vault_secret_data(o->value), vault_secret_len(o->value))) != 0)
        return rc;
    if ((rc = vault_sealer_seal(&value, o->sealer, o->alias, vault_secret_data(o->value),
                                vault_secret_len(o->value))) != 0) {
        apply_item_fail(r, it, rc, "cannot seal");
        return 0;
    }
    if (apply_rule_refuses(r, it, value, 1)) {
        vault_string_free(value);
        return 0;
    }
    rc = apply_create_alias(r, value);
    vault_string_free(value);
    if (rc != 0)
        return rc;
    it->status = VAULT_APPLY_CREATED;
    it->changed = 1;
    r->changed++;
    return 0;
}

/* One value of the edited text: the old value kept when it opens to the
 * same plaintext, else sealed. */
static int edit_one(apply_run *r, apply_item *it, const vault_config_entry *e)
{
    const vault_config_entry *old = NULL;
    vault_secret *was = NULL;
    size_t idx;
    int rc, existed;

    if (e->state == VAULT_VALUE_SEALED) {
        it->status = VAULT_APPLY_ALREADY_SEALED;
        return 0;
    }
    if (e->state == VAULT_VALUE_EMPTY) {
        vault__err(VAULT_EINVAL, "%s: line %u: alias \"%s\" has an empty value", r->o->path, e->line, e->alias);
        apply_item_fail(r, it, VAULT_EINVAL, "empty value");
        return 0;
    }
    if ((rc = vault_config_plaintext(&it->plain, r->cfg, it->index)) != 0) {
        apply_item_fail(r, it, rc, "cannot read the value");
        return 0;
    }
    existed = vault_config_find(&idx, r->orig, e->alias) == 0 && vault_config_entry_at(&old, r->orig, idx) == 0;
    vault_error_clear();
    if (existed && old->state == VAULT_VALUE_SEALED && r->o->from &&
        vault_opener_open(&was, NULL, r->o->from, e->alias, old->value) == 0 &&
        vault_secret_len(was) == vault_secret_len(it->plain) &&
        sodium_memcmp(vault_secret_data(was), vault_secret_data(it->plain), vault_secret_len(was)) == 0) {
        vault_secret_free(was);
        /* Unchanged: the old text stays, so a diff of the file stays small. */
        rc = vault_config_set(r->cfg, it->index, old->value);
        if (rc != 0)
            apply_item_fail(r, it, rc, "cannot keep the value");
        return 0;
    }
    vault_secret_free(was);
    vault_error_clear();
    return seal_plain(r, it, it->plain, existed ? VAULT_APPLY_REPLACED : VAULT_APPLY_CREATED);
}


static int run_all(apply_run *r)
{
    size_t i, n = vault_config_count(r->cfg);
    int rc = 0;

    for (i = 0; rc == 0 && i < n; i++) {
        const vault_config_entry *e;
        apply_item *it;
        vault_config_entry_at(&e, r->cfg, i);
        if ((rc = add_item(r, i, e->alias, &it)) != 0)
            break;
        switch (r->o->op) {
        case VAULT_APPLY_SEAL:
            rc = produce_seal(r, it, e);
            break;
        case VAULT_APPLY_ROTATE:
            rc = produce_rotate(r, it, e);
            break;
        case VAULT_APPLY_REWRAP:
            rc = produce_rewrap(r, it, e);
            break;
        case VAULT_APPLY_EDIT:
            rc = edit_one(r, it, e);
            break;
        default:
            rc = produce_custom(r, it, e);
            break;
        }
    }
    if (rc == 0 && r->o->op == VAULT_APPLY_ROTATE)
        apply_rotate_proof(r);
    if (rc == 0)
        apply_rule_check_kept(r);
    return rc;
}

/* EDIT: every value as run_all() makes it, then the edited text rendered
 * (nothing to write when it is the file as it is). */
static int run_edit(apply_run *r)
{
    int rc = run_all(r);

    if (rc != 0 || r->failed)
        return rc;
    if ((rc = vault_config_render(&r->text, &r->text_len, r->cfg)) != 0)
        return rc;
    if (r->text_len == r->orig->len && memcmp(r->text, r->orig->text, r->text_len) == 0) {
        sodium_memzero(r->text, r->text_len);
        vault__free_ptr(r->text);
        r->text = NULL;
        r->changed = 0; /* nothing to write */
    } else if (r->changed == 0) {
        r->changed = 1; /* only the text around the secrets changed */
    }
    return 0;
}

static char *dup_message(int rc)
{
    const vault_error *e = vault_error_last();
    return rc != 0 && e && e->message ? vault__strdup(e->message) : NULL;
}

/* The file's warnings as read (a save replaces the model by the new text). */
static void collect_warnings(vault_apply_result *res, const vault_config *file)
{
    size_t i, k = 0, n = vault_config_warning_count(file);
    const char *note;
    char **w;
    /* A note that cannot be copied is left out: the list never holds NULL. */
    if (n && (w = vault__calloc(n, sizeof *w)) != NULL) {
        for (i = 0; i < n; i++)
            if (vault_config_warning_at(&note, file, i) == 0 && (w[k] = vault__strdup(note)) != NULL)
                k++;
        res->warnings = (const char *const *)w;
        res->warning_count = k;
    }
}

static void fill_result(vault_apply_result *res, apply_run *r, int rc, int written)
{
    vault_apply_entry *entries = NULL;
    size_t i;

    if (r->n && (entries = vault__calloc(r->n, sizeof *entries)) != NULL) {
        for (i = 0; i < r->n; i++) {
            const apply_item *it = &r->items[i];
            entries[i].status = (vault_apply_status)it->status;
            entries[i].flags = it->flags;
            if (!(entries[i].alias = vault__strdup(it->alias))) {
                while (i-- > 0)
                    vault__free_ptr((char *)entries[i].alias);
                vault__free_ptr(entries);
                entries = NULL;
                break;
            }
        }
        /* The failures' messages move to the result (else the run frees them). */
        for (i = 0; entries && i < r->fail_count; i++) {
            vault_apply_entry *en = &entries[r->fails[i].item];
            en->code = r->fails[i].code;
            en->message = r->fails[i].message;
            r->fails[i].message = NULL;
        }
        for (i = 0; entries && i < r->n; i++)
            if (entries[i].status == VAULT_APPLY_FAILED && entries[i].code == 0)
                entries[i].code = VAULT_ENOMEM; /* its failure could not be recorded */
        res->count = entries ? r->n : 0;
    }
    res->entries = entries;
    res->changed = written ? r->changed : 0;
    res->failed = r->failed;
    res->written = written;
    res->opened = r->verify != NULL && rc == 0;
    res->key_locked = r->key_locked;
    res->code = rc;
}

int vault_config_apply(vault_apply_result **out, const vault_apply_options *opts)
{
    apply_run r;
    vault_apply_result *res = NULL;
    size_t i;
    int rc, written = 0;

    memset(&r, 0, sizeof r);
    if (out)
        *out = NULL;
    if ((rc = check_options(opts)) != 0)
        return rc;
    r.o = opts;
    if (!(res = vault__calloc(1, sizeof *res)) || !(res->path = vault__strdup(opts->path))) {
        vault__free_ptr(res);
        return vault__oom();
    }
    if ((rc = apply_make_verifier(&r)) != 0 || (rc = apply_read(&r)) != 0)
        goto done;
    if ((rc = apply_rule_prepare(&r)) != 0)
        goto done;
    collect_warnings(res, opts->op == VAULT_APPLY_EDIT ? r.orig : r.file ? r.file : r.cfg);
    if (!(r.items = vault__calloc(vault_config_count(r.cfg) + 1, sizeof *r.items))) {
        rc = vault__oom();
        goto done;
    }
    if (r.streaming) {
        rc = apply_stream(&r);
        if (rc == VAULT__REPLACE_NOTHING)
            rc = 0;
        else if (rc == 0)
            written = 1;
        if (rc != 0 && r.failed)
            rc = vault__err(VAULT_ERROR, "%s: %zu %svalue%s %s; the file was not changed", opts->path, r.failed,
                           r.verifying ? "new " : "", r.failed == 1 ? "" : "s",
                           r.verifying ? "did not check" : "failed");
        goto done;
    }
    rc = opts->op == VAULT_APPLY_SET ? run_set(&r) : opts->op == VAULT_APPLY_EDIT ? run_edit(&r) : run_all(&r);
    if (rc != 0)
        goto done;
    if (r.failed) {
        rc = vault__err(VAULT_ERROR, "%s: %zu value%s failed; %s%s", opts->path, r.failed,
                       r.failed == 1 ? "" : "s", r.file ? "nothing was written in " : "the file was not changed",
                       r.file ? vault_config_path(r.cfg) : "");
        goto done;
    }
    if (r.changed == 0)
        goto done;
    if ((rc = apply_replace(&r)) != 0) {
        if (r.failed)
            rc = vault__err(VAULT_ERROR, "%s: %zu new value%s did not check; %s%s", opts->path, r.failed,
                           r.failed == 1 ? "" : "s",
                           r.file ? "nothing was written in " : "the file was not changed",
                           r.file ? vault_config_path(r.cfg) : "");
        goto done;
    }
    written = !(opts->flags & VAULT_APPLY_DRY_RUN);
done:
    res->message = dup_message(rc);
    fill_result(res, &r, rc, written);
    if (r.file)
        res->location = apply_repo_location(&r, written);
    for (i = 0; i < r.n; i++)
        vault_secret_free(r.items[i].plain);
    vault__free_ptr(r.items);
    for (i = 0; i < r.fail_count; i++)
        vault__free_ptr(r.fails[i].message);
    vault__free_ptr(r.fails);
    if (r.text) {
        sodium_memzero(r.text, r.text_len);
        vault__free_ptr(r.text);
    }
    vault_opener_free(r.verify);
    vault__free_ptr(r.rule.conf);
    vault_config_free(r.orig);
    vault_config_free(r.cfg);
    vault_config_free(r.file);
    vault_config_free(r.repo_settings);
    if (rc != 0 && res->message)
        vault__err(rc, "%s", res->message); /* the run's own message stays the last error */
    if (out)
        *out = res;
    else
        vault_apply_result_free(res);
    return rc;
}

void vault_apply_result_free(vault_apply_result *result)
{
    size_t i;
    if (!result)
        return;
    for (i = 0; i < result->count; i++) {
        vault__free_ptr((char *)result->entries[i].alias);
        vault__free_ptr((char *)result->entries[i].message);
    }
    vault__free_ptr((void *)result->entries);
    for (i = 0; i < result->warning_count; i++)
        vault__free_ptr((char *)result->warnings[i]);
    vault__free_ptr((void *)result->warnings);
    vault__free_ptr((char *)result->path);
    vault__free_ptr((char *)result->message);
    vault__free_ptr((char *)result->location);
    vault__free_ptr(result);
}
