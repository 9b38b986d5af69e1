/* SPDX-License-Identifier: Apache-2.0 */
/* vault_config_apply() on a config naming a secret repository (ROTATE,
 * REWRAP): the values are read from etcd and written back in one
 * transaction guarded by the revision they were read at. */
#include "config_apply_internal.h"

#include <stdio.h>
#include <string.h>

/* A config naming a secret repository: its values are the repository's. */
int apply_repo_read(apply_run *r)
{
    vault_config *values = NULL;
    int rc = vault_repository_options_from_config(&r->repo, &r->repo_settings, r->cfg);

    if (rc <= 0)
        return rc;
    if ((rc = repo_etcd_fetch(r->cfg, &values, &r->repo_revision)) != 0)
        return rc;
    r->file = r->cfg;
    r->cfg = values;
    return 0;
}

static apply_item *item_at(apply_run *r, size_t index)
{
    size_t i;
    for (i = 0; i < r->n; i++)
        if (r->items[i].index == index)
            return &r->items[i];
    return NULL;
}

/* The new value of each alias the run changed; others stay as they are (a
 * key the run did not read makes the revision check fail anyway). Last, a
 * changed alias the rewrite did not offer was deleted since the run read it:
 * nothing is written. */
static int repo_value(char **new_value, const char *alias, const char *value, void *payload)
{
    apply_run *r = payload;
    const vault_config_entry *e;
    apply_item *it;
    size_t idx, i;

    (void)value;
    if (!alias) {
        for (i = 0; i < r->n; i++)
            if (r->items[i].changed && !r->items[i].sent)
                return vault__err(VAULT_ERROR, "%s: alias \"%s\" was deleted after revision %lld: nothing written",
                                 vault_config_path(r->cfg), r->items[i].alias, (long long)r->repo_revision);
        return 0;
    }
    if (vault_config_find(&idx, r->cfg, alias) != 0) {
        vault_error_clear();
        return 0;
    }
    if (!(it = item_at(r, idx)) || !it->changed || vault_config_entry_at(&e, r->cfg, idx) != 0)
        return 0;
    it->sent = 1;
    return (*new_value = vault__strdup(e->value)) != NULL ? 0 : vault__oom();
}

/* Check every new value as verify_new_text() does, then write them all in
 * one transaction that fails when anything under the prefix changed since
 * the read. */
int apply_repo_write(apply_run *r)
{
    size_t i, bad = 0;
    int64_t written = -1;
    int rc;

    for (i = 0; i < r->n; i++) {
        apply_item *it = &r->items[i];
        const vault_config_entry *e;
        if (!it->changed)
            continue;
        if ((rc = vault_config_entry_at(&e, r->cfg, it->index)) == 0)
            rc = apply_check_item(r, it, e);
        if (rc != 0) {
            apply_item_fail(r, it, rc, "the new value does not check");
            bad++;
        }
    }
    if (bad)
        return VAULT_ERROR;
    if (r->o->flags & VAULT_APPLY_DRY_RUN)
        return 0;
    rc = vault_repository_rewrite(&written, &r->repo, repo_value, r, r->repo_revision);
    if (rc == 0)
        r->repo_revision = written;
    return rc;
}

/* "etcd PREFIX", and the revision written at. */
char *apply_repo_location(const apply_run *r, int written)
{
    const char *name = vault_config_path(r->cfg);
    char *s = vault__malloc(strlen(name) + 48);

    if (s && written)
        sprintf(s, "%s at revision %lld", name, (long long)r->repo_revision);
    else if (s)
        strcpy(s, name);
    return s;
}
