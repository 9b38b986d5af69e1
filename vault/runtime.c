/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime: open a configuration's sealed secrets at start-up (eagerly
 * or on first use) and look them up; runtime_expand.c expands references
 * with them. */
#include "conf_internal.h"
#include "keystore_internal.h"
#include "repo_etcd.h"
#include "runtime_internal.h"
#include "token_native.h"
#include "vault/config.h"
#include "vault/xml.h"

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define FAILURES_MESSAGE_MAX 900

/* WSO2-format values cost one RSA private-key operation each: from this
 * many on, eager opening spreads them over the CPUs the process may use. */
#define PARALLEL_MIN_VALUES 32
#define PARALLEL_MAX_THREADS 8

/* A value opened ahead by a worker thread, for resolve_entry_reason(). */
typedef struct rt_preopened {
    vault_secret *secret; /* an ordinary guarded secret, moved into the store later */
    int rc;
    char *why;            /* the failure's message (NULL: out of memory for it) */
    unsigned int opened;  /* VAULT_OPENED_*, for the home's rule */
    int done;
} rt_preopened;

/* Entry i's secret lives in slot i of the vault's store: the resolved value,
 * or with VAULT_OPEN_ALLOW_PLAINTEXT the "[...]" text of a plain one; a
 * filled slot never changes. One entry per secret, and files hold 100,000:
 * the sealed text is vault.values[i] until resolved, and the secret's
 * address is its slot's. */
typedef struct rt_entry {
    char *alias;                /* in the vault's alias arena (own_aliases()) */
    unsigned int line;
    unsigned char state;        /* vault_value_state */
    unsigned char value_owned;  /* vault.values[i] is a copy, not in the config's text */
    unsigned char alias_owned;  /* during vault_open(): alias is a copy, not in the config's text */
} rt_entry;

/* What the keystore calls for passwords. It lives as long as the keystore,
 * but answers only while vault_open() runs: the key is unlocked there. */
typedef struct pw_bridge {
    vault_password_cb cb;
    void *payload;
    vault_password_provider *provider; /* owned, built from password_sources */
    int closed;
    int failed_code;                   /* the last failure of a source, for the message */
    int failed_cause;
    char failed_message[512];
} pw_bridge;

struct vault {
    char *path;
    char *aliases;          /* every alias, NUL-terminated, one allocation */
    rt_entry *entries;
    size_t count;
    uint32_t *sorted;       /* entry indexes by alias, for lookups */
    char **values;          /* entry i's sealed text until resolved (eager mode: in the
                               config's text while vault_open() runs, unless value_owned) */
    unsigned int flags;
    pw_bridge bridge;
    vault_keystore *ks;     /* lazy mode only: eager mode drops the key after open */
    vault_opener *opener;
    pthread_mutex_t lock;   /* lazy mode: guards resolving an entry */
    int lock_ready;
    vault_store *store;     /* the secrets, guarded; NULL when there are no entries */
    rt_preopened *pre;      /* eager mode, many WSO2 values: opened by worker threads */
    char *warning;          /* for the caller (e.g. the repository's cache was used), or NULL */
    int64_t revision;       /* the repository's revision the values were read at; 0: none */
    rt_rule rule;           /* a WSO2 home's one algorithm (or mode), when one governs */
};

/* ---- passwords -------------------------------------------------------------- */

static int bridge_password(vault_secret **out, vault_password_kind kind, const char *path,
                           const char *alias, void *payload)
{
    pw_bridge *b = payload;
    const vault_error *e;
    int rc;

    *out = NULL;
    if (b->closed)
        return vault__err(VAULT_EAUTH, "%s: a password was asked for after vault_open()", path);
    if (b->cb)
        rc = b->cb(out, kind, path, alias, b->payload);
    else if (b->provider)
        rc = vault_password_provider_cb(out, kind, path, alias, b->provider);
    else if (kind == VAULT_PASSWORD_KEY)
        return VAULT_ENOTFOUND;
    else
        rc = vault__err_cause(VAULT_ENOTFOUND, VAULT_CAUSE_NO_PASSWORD,
                             "no password source for %s: set vault_options.password or "
                       "password_sources", path);
    /* The keystore turns a missing store password into its own message;
     * keep the source's, which says what was tried. */
    if (rc != 0 && !(rc == VAULT_ENOTFOUND && kind == VAULT_PASSWORD_KEY)) {
        e = vault_error_last();
        b->failed_code = rc;
        b->failed_cause = e->code == rc ? e->cause : VAULT_CAUSE_NONE;
        snprintf(b->failed_message, sizeof b->failed_message, "%s",
                 e->code == rc ? e->message : vault_strerror(rc));
    }
    return rc;
}

static int bridge_init(pw_bridge *b, const vault_options *opts)
{
    b->cb = opts->password;
    b->payload = opts->payload;
    if (!b->cb && opts->password_sources)
        return vault_password_provider_new(&b->provider, opts->password_sources);
    return 0;
}

/* After vault_open(): no more passwords, and none kept in memory. */
static void bridge_close(pw_bridge *b)
{
    b->closed = 1;
    vault_password_provider_free(b->provider);
    b->provider = NULL;
    b->cb = NULL;
    b->payload = NULL;
}

/* ---- entries ---------------------------------------------------------------- */

static int alias_cmp_n(const char *a, size_t alen, const char *b)
{
    int c = strncmp(a, b, alen);
    if (c != 0)
        return c;
    return b[alen] == '\0' ? 0 : -1;
}

static int entry_index_cmp(const void *x, const void *y, void *entries)
{
    const rt_entry *e = entries;
    return strcmp(e[*(const uint32_t *)x].alias, e[*(const uint32_t *)y].alias);
}

/* The sealed text of a SEALED entry not yet resolved, else NULL. */
static const char *entry_value(const vault *v, const rt_entry *e)
{
    if (e->state != VAULT_VALUE_SEALED || !v->values)
        return NULL;
    return v->values[e - v->entries];
}

/* Entry e's secret (len bytes), or NULL while its slot is empty. */
static const unsigned char *entry_data(const vault *v, const rt_entry *e, size_t *len)
{
    return vault__store_data(v->store, (size_t)(e - v->entries), len);
}

static int entry_filled(const vault *v, const rt_entry *e)
{
    size_t len;
    return entry_data(v, e, &len) != NULL;
}

static rt_entry *find_entry(const vault *v, const char *alias, size_t alen)
{
    size_t lo = 0, hi = v->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        rt_entry *e = &v->entries[v->sorted[mid]];
        int c = alias_cmp_n(alias, alen, e->alias);
        if (c == 0)
            return e;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Every alias in one allocation, once the config goes: an allocation each
 * would cost more than the alias itself (a file may hold 100,000 of them),
 * and until then most are read in the config's text, where the reader
 * decoded them (alias_owned: a copy). */
static int own_aliases(vault *v)
{
    size_t i, total = 0, at = 0;

    if (v->aliases)
        return 0;
    for (i = 0; i < v->count; i++) {
        size_t k = strlen(v->entries[i].alias) + 1;
        if (k > SIZE_MAX - total)
            return vault__oom();
        total += k;
    }
    if (!(v->aliases = vault__malloc(total ? total : 1)))
        return vault__oom();
    for (i = 0; i < v->count; i++) {
        rt_entry *e = &v->entries[i];
        size_t k = strlen(e->alias) + 1;
        memcpy(v->aliases + at, e->alias, k);
        if (e->alias_owned)
            vault__free_ptr(e->alias);
        e->alias = v->aliases + at;
        e->alias_owned = 0;
        at += k;
    }
    return 0;
}

/* The config's secrets as entries. In eager mode the config's model of
 * them is dropped once read (the sealed texts stay in its text), before
 * the store and the secrets take their room: the file is then held once
 * with one 16-byte entry per secret, not with a 64-byte item beside it. */
static int load_entries(vault *v, vault_config *cfg)
{
    size_t i, n = vault_config_count(cfg);
    int lazy = (v->flags & VAULT_OPEN_LAZY) != 0, rc;

    if (n == 0)
        return 0;
    if (n > UINT32_MAX)
        return vault__err(VAULT_ENOMEM, "%s: too many secrets", v->path);
    v->entries = vault__calloc(n, sizeof *v->entries);
    v->values = vault__calloc(n, sizeof *v->values);
    if (!v->entries || !v->values)
        return vault__oom();
    /* The plain texts are copied from the config's items. */
    if ((v->flags & VAULT_OPEN_ALLOW_PLAINTEXT) && (rc = vault__store_new(&v->store, n)) != 0)
        return rc;
    for (i = 0; i < n; i++) {
        const conf_item *item = cfg->items[i];
        rt_entry *e = &v->entries[i];
        e->alias_owned = !item->alias_kept;
        e->alias = e->alias_owned ? vault__strdup(item->info.alias) : (char *)item->info.alias;
        if (!e->alias)
            return vault__oom();
        v->count++;
        e->state = (unsigned char)item->info.state;
        e->line = item->info.line;
        if (item->info.state == VAULT_VALUE_SEALED) {
            /* Eager mode resolves every value while the config's text is here. */
            e->value_owned = lazy || !item->value_in_text;
            v->values[i] = e->value_owned ? vault__strdup(item->info.value) : (char *)item->info.value;
            if (!v->values[i])
                return vault__oom();
        }
        if (item->info.state == VAULT_VALUE_PLAIN && (v->flags & VAULT_OPEN_ALLOW_PLAINTEXT)) {
            vault_secret *plain = NULL;
            if ((rc = vault_config_plaintext(&plain, cfg, i)) != 0 ||
                (rc = vault__store_keep(v->store, i, plain)) != 0)
                return rc;
        }
    }
    if (!lazy)
        conf_drop_items(cfg);
    if (!(v->sorted = vault__calloc(n, sizeof *v->sorted)))
        return vault__oom();
    for (i = 0; i < n; i++)
        v->sorted[i] = (uint32_t)i;
    qsort_r(v->sorted, v->count, sizeof *v->sorted, entry_index_cmp, v->entries);
    return v->store ? 0 : vault__store_new(&v->store, n);
}

static size_t sealed_count(const vault *v)
{
    size_t i, n = 0;
    for (i = 0; i < v->count; i++)
        n += v->entries[i].state == VAULT_VALUE_SEALED;
    return n;
}

/* Decrypt one entry into its slot of the store. The message is the reason
 * alone: the callers say which file, line and alias. */
static int resolve_entry_reason(vault *v, rt_entry *e)
{
    size_t slot = (size_t)(e - v->entries), len;
    const char *value = entry_value(v, e);
    vault_secret *s = NULL;
    unsigned int opened = 0;
    int rc;

    switch (e->state) {
    case VAULT_VALUE_EMPTY:
        return vault__err(VAULT_EFORMAT, "it has no value");
    case VAULT_VALUE_PLAIN:
        if (!vault__store_data(v->store, slot, &len))
            return vault__err(VAULT_EFORMAT, "it is plain text, not sealed (seal it with "
                             "'cipher-tool seal')");
        return 0;
    default:
        if (!v->opener)
            return vault__err(VAULT_EINVAL, "no keystore to open it");
        if (!value)
            return vault__err(VAULT_ERROR, "internal error: no sealed text");
        if ((rc = rt_rule_check_form(&v->rule, value)) != 0)
            return rc;
        if (v->pre && v->pre[slot].done) {
            rt_preopened *p = &v->pre[slot];
            if (p->rc != 0)
                return vault__err(p->rc, "%s", p->why ? p->why : vault_strerror(p->rc));
            s = p->secret;
            p->secret = NULL;
            opened = p->opened;
        } else if ((rc = vault_opener_open(&s, &opened, v->opener, e->alias, value)) != 0)
            return rc;
        if ((rc = rt_rule_check_opened(&v->rule, value, opened)) != 0) {
            vault_secret_free(s);
            return rc;
        }
        break;
    }
    /* The opener wrote s into the store: keeping it moves nothing. */
    if ((rc = vault__store_keep(v->store, slot, s)) != 0)
        return rc;
    if (e->value_owned)
        vault__free_ptr(v->values[slot]);
    v->values[slot] = NULL;
    return 0;
}

/* As resolve_entry_reason(), the message naming the file, line and alias. */
static int resolve_entry(vault *v, rt_entry *e)
{
    char reason[600];
    int rc = resolve_entry_reason(v, e);

    if (rc == 0)
        return 0;
    snprintf(reason, sizeof reason, "%s", vault_error_last()->message);
    return vault__err(rc, "%s:%u: alias \"%s\": %s", v->path, e->line, e->alias, reason);
}

/* The stored secret of an alias, resolving it first in lazy mode. The
 * bytes stay valid (and read-only) until vault_free(). */
static int lookup(const vault *v, const char *alias, size_t alen, const rt_entry **found)
{
    vault *mv = (vault *)v; /* the lock and the lazily filled slots are not part of the value */
    rt_entry *e = find_entry(v, alias, alen);
    int rc = 0;

    *found = NULL;
    if (!e)
        return vault__err(VAULT_ENOTFOUND, "no alias \"%.*s\" in %s", (int)alen, alias, v->path);
    if (v->flags & VAULT_OPEN_LAZY) {
        pthread_mutex_lock(&mv->lock);
        if (!entry_filled(v, e))
            rc = resolve_entry(mv, e);
        pthread_mutex_unlock(&mv->lock);
    }
    *found = e;
    return rc;
}

/* ---- opening ---------------------------------------------------------------- */

/* Decrypt the private (or secret) key now, so that the key password is asked
 * for during vault_open() and a wrong one fails the open. */
static int unlock_key(vault_keystore *ks, const char *alias)
{
    const vault_keystore_entry *e;
    vault_secret *key = NULL;
    EVP_PKEY *pkey;
    int rc = vault_keystore_find(&e, ks, alias);

    if (rc != 0)
        return rc;
    switch (e->kind) {
    case VAULT_ENTRY_PRIVATE_KEY:
        return ks_private_key(ks, e->alias, &pkey, NULL);
    case VAULT_ENTRY_SECRET_KEY:
        rc = vault_keystore_secret_key(&key, ks, e->alias);
        vault_secret_free(key);
        return rc;
    default:
        return vault__err(VAULT_EKEY, "%s: alias \"%s\" holds no private or secret key",
                         vault_keystore_path(ks), e->alias);
    }
}

static int open_keystore(vault *v, const rt_location *loc, const vault_options *opts)
{
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    int rc;

    oo.transformation = loc->transformation;
    oo.symmetric_key = opts->symmetric_key;
    if (opts->flags & VAULT_OPEN_REFUSE_PKCS1)
        oo.flags |= VAULT_OPENER_REFUSE_PKCS1;
    if (!loc->keystore && opts->symmetric_key)
        return vault_opener_new(&v->opener, &oo); /* WSO2 symmetric values only */
    if (!loc->keystore)
        return vault__err_cause(VAULT_ENOTFOUND, VAULT_CAUSE_NO_KEYSTORE,
                               "%s holds sealed values but names no keystore: set "
                         "vault_options.keystore%s", v->path,
                         loc->type == VAULT_CONFIG_TOML ? " or [keystore.primary] file_name"
                                                        : " or keystore.identity.location in "
                                                          "secret-conf.properties");
    ko.type = loc->keystore_type;
    ko.cert = opts->version >= 2 ? opts->keystore_cert : NULL;
    ko.password = bridge_password;
    ko.payload = &v->bridge;
    rc = vault_keystore_open(&v->ks, loc->keystore, &ko);
    if (rc == 0)
        rc = unlock_key(v->ks, loc->key_alias);
    if (rc != 0 && v->bridge.failed_code != 0)
        return vault__err_cause(v->bridge.failed_code, v->bridge.failed_cause, "%s",
                               v->bridge.failed_message);
    if (rc == VAULT_ENOTFOUND && !v->ks)
        return vault__err(rc, "keystore %s (named by %s): no such file", loc->keystore,
                         loc->keystore_origin ? loc->keystore_origin : "the configuration");
    if (rc != 0)
        return rc;
    oo.keystore = v->ks;
    oo.key_alias = loc->key_alias;
    return vault_opener_new(&v->opener, &oo);
}

static void append(char *buf, const char *fmt, ...) VAULT_PRINTF(2, 3);

/* Append to buf (FAILURES_MESSAGE_MAX + 1 bytes), keeping it terminated. */
static void append(char *buf, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    if (used < FAILURES_MESSAGE_MAX)
        vsnprintf(buf + used, FAILURES_MESSAGE_MAX + 1 - used, fmt, ap);
    va_end(ap);
}

/* ---- WSO2-format values on several threads ---------------------------------- */

typedef struct par_job {
    vault *v;
    atomic_size_t next;
} par_job;

static int costs_rsa_op(const vault *v, const rt_entry *e)
{
    const char *value = entry_value(v, e);
    return value && !native_is(value);
}

/* Each worker takes the next value; the opener is thread-safe (the key is
 * shared read-only, each RSA operation has its own EVP_PKEY_CTX) and these
 * values never touch the store, which one thread fills afterwards. */
static void *open_ahead(void *arg)
{
    par_job *j = arg;
    size_t i;

    while ((i = atomic_fetch_add(&j->next, 1)) < j->v->count) {
        rt_entry *e = &j->v->entries[i];
        rt_preopened *p = &j->v->pre[i];
        if (!costs_rsa_op(j->v, e))
            continue;
        p->rc = vault_opener_open(&p->secret, &p->opened, j->v->opener, e->alias, entry_value(j->v, e));
        if (p->rc != 0)
            p->why = vault__strdup(vault_error_last()->message);
        p->done = 1;
    }
    return NULL;
}

static size_t usable_cpus(void)
{
    cpu_set_t set;
    int n;

    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    n = CPU_COUNT(&set);
    return n < 1 ? 1 : n > PARALLEL_MAX_THREADS ? PARALLEL_MAX_THREADS : (size_t)n;
}

/* Open the WSO2-format values ahead on every usable CPU when there are
 * many; a token's session is not shared between threads. Nothing here
 * fails: whatever is not opened ahead is opened in order afterwards. */
static void open_rsa_values_ahead(vault *v)
{
    pthread_t th[PARALLEL_MAX_THREADS];
    size_t i, n = 0, cpus = usable_cpus(), started = 0;
    par_job job;

    if (cpus < 2 || (v->ks && vault_keystore_get_type(v->ks) == VAULT_KEYSTORE_PKCS11))
        return;
    for (i = 0; i < v->count; i++)
        n += costs_rsa_op(v, &v->entries[i]);
    if (n < PARALLEL_MIN_VALUES || !(v->pre = vault__calloc(v->count, sizeof *v->pre)))
        return;
    job.v = v;
    atomic_init(&job.next, 0);
    for (i = 0; i + 1 < cpus; i++)
        if (pthread_create(&th[started], NULL, open_ahead, &job) == 0)
            started++;
    open_ahead(&job); /* this thread too */
    for (i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

static void free_preopened(vault *v)
{
    size_t i;

    if (!v->pre)
        return;
    for (i = 0; i < v->count; i++) {
        vault_secret_free(v->pre[i].secret);
        vault__free_ptr(v->pre[i].why);
    }
    vault__free_ptr(v->pre);
    v->pre = NULL;
}

/* Eager mode: every value now; one message naming every alias that failed,
 * with its reason while there is room. */
static int resolve_all(vault *v)
{
    char list[FAILURES_MESSAGE_MAX + 1] = "";
    size_t i, failed = 0, omitted = 0;
    int first_rc = 0;

    open_rsa_values_ahead(v);
    for (i = 0; i < v->count; i++) {
        rt_entry *e = &v->entries[i];
        char why[1024];
        size_t used = strlen(list);
        int rc = resolve_entry_reason(v, e);
        if (rc == 0)
            continue;
        if (!first_rc)
            first_rc = rc;
        failed++;
        snprintf(why, sizeof why, "%s", vault_error_last()->message);
        if (used + strlen(e->alias) + strlen(why) + 32 < FAILURES_MESSAGE_MAX)
            append(list, "%s\"%s\" (line %u): %s", failed > 1 ? "; " : "", e->alias, e->line, why);
        else if (used + strlen(e->alias) + 64 < FAILURES_MESSAGE_MAX)
            append(list, "%s\"%s\" (line %u)", failed > 1 ? "; " : "", e->alias, e->line);
        else
            omitted++;
    }
    free_preopened(v);
    if (failed == 0)
        return 0;
    if (omitted)
        append(list, " and %zu more", omitted);
    return vault__err(first_rc, "%s: %zu of %zu secrets cannot be opened: %s", v->path, failed,
                     v->count, list);
}

/* A config naming a secret repository takes its secrets from there. */
static int use_repository(vault *v, vault_config **cfg, const char *secret_conf)
{
    vault_config *repo = NULL;
    int rc;

    if ((rc = repo_etcd_load(*cfg, secret_conf, &repo, &v->warning, &v->revision)) != 0 || !repo)
        return rc;
    vault_config_free(*cfg);
    *cfg = repo;
    /* The WSO2 rule is how the Java runtime reads cipher-text.properties
     * (secretRepositories.file.*); values from the repository are read by
     * libvault only, so it does not govern them. */
    memset(&v->rule, 0, sizeof v->rule);
    return 0;
}

static int check_options(vault **out, const vault_options *opts)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_open: out is NULL");
    *out = NULL;
    if (!opts || !opts->config)
        return vault__err(VAULT_EINVAL, "vault_open: options with a config are required");
    if (opts->version != 1 && opts->version != VAULT_OPTIONS_VERSION)
        return vault__err(VAULT_EINVAL, "vault_options: unknown version %u", opts->version);
    if (opts->flags & ~(unsigned)(VAULT_OPEN_LAZY | VAULT_OPEN_ALLOW_PLAINTEXT | VAULT_OPEN_REFUSE_PKCS1 |
                                  VAULT_OPEN_WSO2_RULES))
        return vault__err(VAULT_EINVAL, "vault_options: unknown flags 0x%x", opts->flags);
    if (opts->password_sources && (opts->password_sources->version < 1 ||
                                   opts->password_sources->version > VAULT_PASSWORD_SOURCES_VERSION))
        return vault__err(VAULT_EINVAL, "vault_password_sources: unknown version %u",
                         opts->password_sources->version);
    return vault__ensure_init();
}

int vault_open(vault **out, const vault_options *opts)
{
    rt_location loc;
    vault_config *cfg = NULL;
    vault *v = NULL;
    int rc, located = 0;

    if ((rc = check_options(out, opts)) != 0)
        return rc;
    if ((rc = rt_locate(&loc, opts)) != 0)
        return rc;
    located = 1;
    v = vault__calloc(1, sizeof *v);
    if (!v || !(v->path = vault__strdup(loc.config))) {
        rc = vault__oom();
        goto done;
    }
    v->flags = opts->flags;
    if (opts->flags & VAULT_OPEN_WSO2_RULES) {
        v->rule = loc.rule;
        v->rule.conf = NULL; /* the location's, freed with it */
    }
    cfg = loc.parsed; /* read already while looking for the keystore, or NULL */
    loc.parsed = NULL;
    if ((rc = bridge_init(&v->bridge, opts)) != 0 ||
        (!cfg && (rc = conf_open_for_reading(&cfg, loc.config, loc.type)) != 0) ||
        (rc = use_repository(v, &cfg, opts->secret_conf)) != 0 || (rc = load_entries(v, cfg)) != 0)
        goto done;
    if (sealed_count(v) > 0 && (rc = open_keystore(v, &loc, opts)) != 0)
        goto done;
    vault__opener_set_store(v->opener, v->store);
    bridge_close(&v->bridge);
    if (v->flags & VAULT_OPEN_LAZY) {
        if (pthread_mutex_init(&v->lock, NULL) != 0) {
            rc = vault__err(VAULT_ERROR, "cannot create a mutex");
            goto done;
        }
        v->lock_ready = 1;
    } else {
        rc = resolve_all(v);
        for (size_t i = 0; i < v->count; i++)
            if (!v->entries[i].value_owned)
                v->values[i] = NULL; /* the config's, which goes at the end of vault_open() */
        if (rc != 0)
            goto done;
        /* Every secret is out: the private key has no more business here. */
        vault_opener_free(v->opener);
        vault_keystore_free(v->ks);
        v->opener = NULL;
        v->ks = NULL;
    }
    if ((rc = own_aliases(v)) != 0)
        goto done;
    vault__store_readonly(v->store); /* one mprotect per chunk, not two per secret */
    *out = v;
    v = NULL;
done:
    vault_config_free(cfg);
    if (located)
        rt_location_clear(&loc);
    vault_free(v);
    return rc;
}

/* ---- reading ------------------------------------------------------------------ */

int vault_get(vault_secret **out, const vault *v, const char *alias)
{
    const rt_entry *e;
    int rc;

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_get: out is NULL");
    *out = NULL;
    if (!v || !alias)
        return vault__err(VAULT_EINVAL, "vault_get: invalid argument");
    if ((rc = lookup(v, alias, strlen(alias), &e)) != 0)
        return rc;
    return vault__store_view(v->store, (size_t)(e - v->entries), out);
}

int rt_secret_bytes(const vault *v, const char *alias, size_t alen, const unsigned char **data, size_t *len)
{
    const rt_entry *e;
    int rc = lookup(v, alias, alen, &e);

    *data = NULL;
    *len = 0;
    if (rc != 0)
        return rc;
    *data = entry_data(v, e, len);
    return 0;
}


size_t vault_count(const vault *v)
{
    return v ? v->count : 0;
}

int vault_alias_at(const char **out, const vault *v, size_t i)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_alias_at: out is NULL");
    *out = NULL;
    if (!v)
        return vault__err(VAULT_EINVAL, "vault_alias_at: vault is NULL");
    if (i >= v->count)
        return vault__err(VAULT_ENOTFOUND, "%s: no secret %zu (%zu secrets)", v->path, i, v->count);
    *out = v->entries[i].alias;
    return 0;
}

const char *vault_warning(const vault *v)
{
    return v ? v->warning : NULL;
}

int vault_repository_revision(int64_t *out, const vault *v)
{
    if (!out || !v)
        return vault__err(VAULT_EINVAL, "vault_repository_revision: %s is NULL", out ? "vault" : "out");
    if (v->revision <= 0)
        return vault__err(VAULT_ENOTFOUND, "%s: no secret repository", v->path);
    *out = v->revision;
    return 0;
}

const char *vault_path(const vault *v)
{
    return v ? v->path : NULL;
}

void vault_free(vault *v)
{
    size_t i;

    if (!v)
        return;
    for (i = 0; v->values && i < v->count; i++)
        if (v->entries[i].value_owned)
            vault__free_ptr(v->values[i]);
    for (i = 0; i < v->count; i++)
        if (v->entries[i].alias_owned)
            vault__free_ptr(v->entries[i].alias);
    vault__free_ptr(v->values);
    vault__store_release(v->store);
    vault_opener_free(v->opener);
    vault_keystore_free(v->ks);
    vault_password_provider_free(v->bridge.provider);
    sodium_memzero(v->bridge.failed_message, sizeof v->bridge.failed_message);
    if (v->lock_ready)
        pthread_mutex_destroy(&v->lock);
    vault__free_ptr(v->entries);
    vault__free_ptr(v->aliases);
    vault__free_ptr(v->sorted);
    vault__free_ptr(v->path);
    vault__free_ptr(v->warning);
    vault__free_ptr(v);
}
