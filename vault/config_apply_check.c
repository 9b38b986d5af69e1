/* SPDX-License-Identifier: Apache-2.0 */
/* vault_config_apply(): the new text checked before it replaces the file
 * (each new value read back, opened with the key when it is at hand and
 * compared with its plaintext, or its key ids checked when it is not), and
 * the opener that does it. */
#include "config_apply_internal.h"
#include "keystore_internal.h"
#include "token.h"

#include <sodium.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>

/* ---- checking the new text ---- */

/* Every given recipient is named by value (native values; other formats
 * carry no list to check). */
static int names_recipients(const apply_run *r, const char *value)
{
    vault_value_info *info = NULL;
    size_t i, j;
    int rc = vault_inspect(&info, value);

    for (i = 0; rc == 0 && info->format == VAULT_FORMAT_NATIVE && i < r->o->recipient_count; i++) {
        const char *want = vault_recipient_key_id(r->o->recipients[i]);
        int found = 0;
        for (j = 0; info->key_ids && j < info->recipient_count && !found; j++)
            found = strcmp(info->key_ids[j], want) == 0;
        if (!found)
            rc = vault__err(VAULT_EKEY, "the new value is not sealed for key %s", want);
    }
    vault_value_info_free(info);
    return rc;
}

/* The plaintext a new value must open to: kept with the item, or the
 * [plain] text of the file read again. */
static int plaintext_of(const apply_run *r, const apply_item *it, const unsigned char **data, size_t *len)
{
    const conf_item *item;
    if (it->plain) {
        *data = vault_secret_data(it->plain);
        *len = vault_secret_len(it->plain);
        return 0;
    }
    if (r->streaming && it->in_arena) {
        *data = r->cfg->plain + it->plain_off; /* cfg keeps the file's plaintexts */
        *len = it->plain_len;
        return 0;
    }
    if (!r->orig || !(item = conf_lookup(r->orig, it->alias, strlen(it->alias))) ||
        item->info.state != VAULT_VALUE_PLAIN)
        return vault__err(VAULT_ENOTFOUND, "the plaintext of \"%s\" is not at hand", it->alias);
    apply_arena_text(r->orig, item, data, len);
    return 0;
}

int apply_check_item(apply_run *r, const apply_item *it, const vault_config_entry *e)
{
    vault_secret *got = NULL;
    const unsigned char *want = NULL;
    size_t want_len = 0;
    int rc;

    if (e->state != VAULT_VALUE_SEALED)
        return vault__err(VAULT_EFORMAT, "the new value does not read back as sealed");
    if ((rc = names_recipients(r, e->value)) != 0)
        return rc;
    if (!r->verify)
        return 0;
    rc = vault_opener_open(&got, NULL, r->verify, it->alias, e->value);
    if (rc == VAULT_EKEY && r->o->op == VAULT_APPLY_REWRAP) {
        vault_error_clear(); /* our key was removed from it */
        return 0;
    }
    if (rc == 0 && (rc = plaintext_of(r, it, &want, &want_len)) == 0 &&
        (vault_secret_len(got) != want_len || sodium_memcmp(vault_secret_data(got), want, want_len) != 0))
        rc = VAULT_EAUTH;
    vault_secret_free(got);
    return rc;
}

/* A changed value as read back does not open to its secret: say so, mark
 * the entry, and go on (every such entry is reported). */
static void verify_failed(apply_run *r, apply_item *it, int rc)
{
    vault__err(rc, "%s: alias \"%s\": the new value does not open to its secret; the file was not changed",
              vault_config_path(r->cfg), it->alias);
    apply_item_fail(r, it, rc, "the new value does not check");
}

/* Every changed value as the new text, already parsed, holds it. */
int apply_verify_parsed(const vault_config *cfg, void *payload)
{
    apply_run *r = payload;
    size_t i, idx, bad = 0;
    int rc;

    for (i = 0; i < r->n; i++) {
        apply_item *it = &r->items[i];
        const vault_config_entry *e;
        if (!it->changed)
            continue;
        rc = vault_config_find(&idx, cfg, it->alias);
        if (rc == 0)
            rc = vault_config_entry_at(&e, cfg, idx);
        if (rc == 0)
            rc = apply_check_item(r, it, e);
        if (rc != 0) {
            verify_failed(r, it, rc);
            bad++;
        }
    }
    return bad ? VAULT_ERROR : 0;
}

static int item_changed(size_t i, void *payload)
{
    const apply_run *r = payload;
    return i < r->n && r->items[i].index == i && r->items[i].changed;
}

/* The walk of a streamed text read back: each item against the file as
 * read, and each changed value opened, as it is read. */
typedef struct verify_walk {
    apply_run *r;
    size_t checked, bad;
} verify_walk;

void apply_stream_written(apply_run *r)
{
    conf_check_streamed_begin(&r->check, r->cfg, item_changed, r);
    conf_drop_items(r->cfg);
    /* Written out and held by its digest (r->old_digest): the text, with
     * the plain secrets it held, is wiped and let go. */
    vault__free_wiped(r->cfg->text, r->cfg->len + 1);
    r->cfg->text = NULL;
    r->cfg->len = 0;
#ifdef __GLIBC__
    malloc_trim(0); /* the items lay among other blocks: give their pages back */
#endif
}

static int verify_item(const vault_config *re, const conf_item *item, size_t i, void *payload)
{
    verify_walk *w = payload;
    int rc = conf_check_streamed_item(&w->r->check, re, item, i);

    if (rc != 0 || !item_changed(i, w->r))
        return rc;
    w->checked++;
    if ((rc = apply_check_item(w->r, &w->r->items[i], &item->info)) != 0) {
        verify_failed(w->r, &w->r->items[i], rc);
        w->bad++;
    }
    return 0;
}

/* The streamed text read back: the same file around the new values, the
 * values written, each opening to its secret. The text is walked, not
 * modelled a second time: a file of 100,000 secrets would cost 8 MiB more. */
int apply_verify_streamed(unsigned char *data, size_t len, void *payload)
{
    apply_run *r = payload;
    vault_config *re = NULL;
    verify_walk w;
    size_t i, changed = 0;
    int rc;

    memset(&w, 0, sizeof w);
    w.r = r;
    r->verifying = 1;
    rc = conf_parse_visit(&re, vault_config_path(r->cfg), vault_config_get_type(r->cfg), data, len, verify_item,
                          &w);
    if (rc == 0)
        rc = conf_check_streamed_end(&r->check, re, r->digest);
    for (i = 0; i < r->n; i++)
        changed += r->items[i].changed != 0;
    if (rc == 0 && w.checked != changed)
        rc = vault__err(VAULT_ERROR, "%s: %zu new values read back, %zu written", vault_config_path(r->cfg),
                        w.checked, changed);
    if (rc == 0 && w.bad)
        rc = VAULT_ERROR;
    vault_config_free(re);
    return rc;
}

int apply_verify_new_text(const void *data, size_t len, void *payload)
{
    apply_run *r = payload;
    vault_config *cfg = NULL;
    int rc = vault_config_parse(&cfg, vault_config_path(r->cfg), vault_config_get_type(r->cfg), data, len);

    if (rc == 0)
        rc = apply_verify_parsed(cfg, r);
    vault_config_free(cfg);
    return rc;
}

/* ---- the opener that checks, and whether the key can be unlocked ---- */

int apply_make_verifier(apply_run *r)
{
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    const vault_keystore_entry *e;
    EVP_PKEY *pkey = NULL;
    int rc;

    if (r->o->symmetric_key) {
        oo.symmetric_key = r->o->symmetric_key;
        return vault_opener_new(&r->verify, &oo);
    }
    if (!r->o->keystore)
        return 0;
    if (vault_keystore_find(&e, r->o->keystore, r->o->key_alias) != 0 || e->kind == VAULT_ENTRY_TRUSTED_CERT) {
        vault_error_clear();
        return 0; /* a certificate: nothing to open with */
    }
    if (e->kind == VAULT_ENTRY_PRIVATE_KEY) {
        rc = ks_private_key(r->o->keystore, e->alias, &pkey, NULL);
        if (rc == VAULT_EAUTH) {
            /* The key password differs from the store password and was
             * not given (WSO2 seals with the certificate alone here). */
            vault_error_clear();
            r->key_locked = 1;
            return 0;
        }
        vault_error_clear(); /* a key in a device: the opener knows it */
    }
    oo.keystore = r->o->keystore;
    oo.key_alias = e->alias;
    return vault_opener_new(&r->verify, &oo);
}
