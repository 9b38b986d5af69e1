/* SPDX-License-Identifier: Apache-2.0 */
/* The run of vault_config_apply() (config_apply.c), shared with the files
 * that check the new text (config_apply_check.c), judge it by a WSO2 home's
 * rule (config_apply_rule.c), create an alias (config_apply_alias.c) and
 * rewrite a secret repository's values (config_apply_repo.c). */
#ifndef VAULT_CONFIG_APPLY_INTERNAL_H
#define VAULT_CONFIG_APPLY_INTERNAL_H

#include "conf_internal.h"
#include "repo_etcd.h"
#include "runtime_internal.h"

#include <vault/apply.h>
#include <vault/cipher.h>

/* One per secret, and files hold 100,000 of them: 32 bytes on LP64. What
 * the result says of it is kept narrow (status and flags fit a byte each),
 * and the code and message of a failure, which few items have, are kept
 * beside the items (apply_run.fails), not in each. */
#define APPLY_NEW_ALIAS UINT32_MAX /* index of the alias SET with CREATE adds */
typedef struct apply_item {
    const char *alias;   /* borrowed from the config or the options until the result copies it */
    vault_secret *plain; /* plaintext of the new value; NULL: the [plain] text of orig */
    uint32_t index;      /* in the config (a file has fewer secrets than 2^32), or APPLY_NEW_ALIAS */
    uint32_t plain_off;  /* in_arena: the [plain] text at cfg->plain + plain_off, */
    uint32_t plain_len;  /* kept when the model's items are dropped */
    unsigned char status; /* vault_apply_status */
    unsigned char flags;  /* VAULT_APPLY_WAS_* and the others of vault_apply_entry.flags */
    unsigned char opened; /* ROTATE: VAULT_OPENED_* of the old value */
    unsigned int changed : 1;
    unsigned int sent : 1; /* a repository's rewrite took the new value */
    unsigned int in_arena : 1;
} apply_item;

/* A failed item's code and message (vault_apply_entry's). */
typedef struct apply_failure {
    size_t item; /* in apply_run.items */
    int code;
    char *message;
} apply_failure;

typedef struct apply_run {
    const vault_apply_options *o;
    vault_config *cfg;  /* the file (EDIT: the edited text), new values set */
    vault_config *orig; /* SEAL: the file read again, for its [plain] texts;
                           EDIT: the file as it is, for its old values */
    vault_opener *verify;
    apply_item *items;
    size_t n, changed, failed;
    apply_failure *fails; /* in the order the items failed */
    size_t fail_count, fail_cap;
    int key_locked;
    int target_format; /* ROTATE: the sealer's format, 0 until known */
    char *text;        /* SET with CREATE, EDIT: the new text (wiped) */
    size_t text_len;
    /* ROTATE, REWRAP of a config naming a secret repository: cfg holds the
     * repository's values, read at repo_revision, and file the config. */
    vault_config *file;
    vault_config *repo_settings;
    vault_repository_options repo;
    int64_t repo_revision;
    /* The WSO2 runtime of the file's product home: the one algorithm (or
     * mode) every new value must have; rule.active 0 when none governs. */
    rt_rule rule;
    int rule_is_new;                          /* VAULT_APPLY_SETS_HOME_ALGORITHM: the sealer's */
    vault_format seal_format;                 /* what the sealer writes, when there is one */
    vault_transformation seal_transformation;
    /* A file rewritten as its values are produced (apply_stream()): each
     * new value goes to the temporary file, not into cfg. */
    int streaming;
    int verifying; /* the new text is being checked */
    conf_stream stream;
    unsigned char digest[crypto_generichash_BYTES]; /* of the new values written */
    conf_stream_check check; /* what the read-back must find, once the model is dropped */
    unsigned char old_digest[crypto_generichash_BYTES]; /* of the file as read */
} apply_run;

/* Mark the entry failed with the last error's message (else fallback). */
void apply_item_fail(apply_run *r, apply_item *it, int code, const char *fallback);

/* The failure recorded for a failed item, or NULL. */
apply_failure *apply_failure_of(apply_run *r, const apply_item *it);

/* A new value as read back: sealed, for the recipients asked for, and,
 * with a key at hand, opening to its plaintext. */
int apply_check_item(apply_run *r, const apply_item *it, const vault_config_entry *e);

/* The [plain] text of a config's item, in its guarded arena (no copy). */
void apply_arena_text(const vault_config *cfg, const conf_item *item, const unsigned char **data, size_t *len);

/* config_apply_check.c: the checks of the new text, as the callbacks of
 * conf_save_checked() (a model parsed already), of a streamed replace and
 * of vault_config_save(); and the opener they use (r->verify: NULL when no
 * key is at hand, r->key_locked when its key cannot be unlocked). */
int apply_verify_parsed(const vault_config *cfg, void *payload);
int apply_verify_streamed(unsigned char *data, size_t len, void *payload);
int apply_verify_new_text(const void *data, size_t len, void *payload);
int apply_make_verifier(apply_run *r);

/* A streamed text written: what its check needs is taken from the model
 * (r->check, the items' plaintext places), and the model's items are
 * dropped, so that they are not held beside the new text read back. */
void apply_stream_written(apply_run *r);

/* config_apply_rule.c: the WSO2 runtime of the file's product home. Find
 * its rule (r->rule); whether a new value breaks it (the item is then
 * failed, 1); the raw RSA blocks kept judged by the home's padding; and
 * the proof of the old key for raw PKCS#1 v1.5 values being rotated. */
int apply_rule_prepare(apply_run *r);
int apply_rule_refuses(apply_run *r, apply_item *it, const char *value, int by_sealer);
void apply_rule_check_kept(apply_run *r);
void apply_rotate_proof(apply_run *r);

/* SET with CREATE: the new text with the alias added, sealed, in r->text. */
int apply_create_alias(apply_run *r, const char *sealed);

/* A config naming a secret repository: read its values into r->cfg (the
 * config moves to r->file); 0 also when it names none. */
int apply_repo_read(apply_run *r);

/* Check the new values and write them in one guarded transaction. */
int apply_repo_write(apply_run *r);

/* "etcd PREFIX", with the revision once written (vault__malloc'ed). */
char *apply_repo_location(const apply_run *r, int written);

#endif
