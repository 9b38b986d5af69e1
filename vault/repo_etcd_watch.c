/* SPDX-License-Identifier: Apache-2.0 */
/* Watching an etcd secret repository (docs/FLEET.md): the gateway's
 * /v3/watch stream on a thread, resumed after the last revision seen on
 * every endpoint in turn; each batch of changes opens the configuration
 * again for the caller. */
#include "array.h"
#include "repo_etcd_internal.h"
#include "conf_internal.h"
#include "runtime_internal.h"

#include <pthread.h>
#include <time.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vault_watch {
    const vault_options *opts;
    unsigned int flags;
    vault_watch_cb cb;
    void *payload;
    vault_config *cfg; /* holds the repository options' strings */
    vault_repository_options ro;
    long long revision; /* the last revision seen */
    pthread_t thread;
    int started;
    int stop;           /* set by vault_watch_free(), read by the thread: __atomic */
    etcd_response line;      /* the stream's bytes not yet split into lines */
    int canceled;       /* etcd cancelled the stream's watch: end the stream */
    char **changed;
    size_t changed_count, changed_cap;
};

/* Note alias as changed, once. */
static int watch_add_changed(vault_watch *w, const char *alias)
{
    size_t i;
    char *copy;

    for (i = 0; i < w->changed_count; i++)
        if (strcmp(w->changed[i], alias) == 0)
            return 0;
    if (VAULT_ARRAY_GROW(w->changed, w->changed_cap, w->changed_count + 1) != 0)
        return -1;
    if (!(copy = vault__strdup(alias)))
        return -1;
    w->changed[w->changed_count++] = copy;
    return 0;
}

static int watch_note_change(vault_watch *w, const json_t *kv)
{
    const char *k64 = json_string_value(json_object_get(kv, "key"));
    size_t plen = strlen(w->ro.prefix), klen = 0;
    char *key = k64 ? etcd_b64_decode(k64, &klen) : NULL;
    int rc = 0;

    if (!key)
        return -1;
    if (klen > plen && memcmp(key, w->ro.prefix, plen) == 0)
        rc = watch_add_changed(w, key + plen);
    vault__free_ptr(key);
    return rc;
}

/* etcd compacted the revisions the watch was to resume from: what changed
 * in between is lost, so every alias there is now counts as changed, from
 * a fresh read. When the read fails the next stream meets the compaction
 * again and retries. */
static void watch_resync(vault_watch *w)
{
    vault_repository_values *vals = NULL;
    size_t i;

    if (vault_repository_fetch(&vals, &w->ro) != 0)
        return;
    for (i = 0; i < vals->count; i++)
        (void)watch_add_changed(w, vals->items[i].alias);
    w->revision = vals->revision;
    vault_repository_values_free(vals);
}

/* One line of the watch stream: {"result":{"header":{...},"events":[...]}}. */
static void watch_line(vault_watch *w, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr), *result, *events, *ev;
    long long rev;
    size_t i;

    if (!root)
        return;
    result = json_object_get(root, "result");
    events = json_object_get(result, "events");
    rev = etcd_json_int64(json_object_get(result, "header"), "revision");
    json_array_foreach(events, i, ev) {
        const json_t *kv = json_object_get(ev, "kv");
        long long mod = etcd_json_int64(kv, "mod_revision");
        (void)watch_note_change(w, kv);
        if (mod > w->revision)
            w->revision = mod;
    }
    if (json_array_size(events) == 0 && rev > w->revision && !json_is_true(json_object_get(result, "created")))
        w->revision = rev;
    /* A cancelled watch stays an open stream that says nothing more: leave it. */
    if (json_is_true(json_object_get(result, "canceled"))) {
        w->canceled = 1;
        if (etcd_json_int64(result, "compact_revision") > 0)
            watch_resync(w);
    }
    json_decref(root);
    if (w->changed_count > 0) {
        vault *fresh = NULL;
        char error[1024] = "";
        size_t k;
        if (!(w->flags & VAULT_WATCH_ALIASES_ONLY) && vault_open(&fresh, w->opts) != 0) {
            const vault_error *e = vault_error_last();
            snprintf(error, sizeof error, "%s", e ? e->message : "cannot open the configuration again");
        }
        w->cb(fresh, (const char *const *)w->changed, w->changed_count, error[0] ? error : NULL, w->payload);
        for (k = 0; k < w->changed_count; k++)
            vault__free_ptr(w->changed[k]);
        w->changed_count = 0;
    }
}

static size_t on_watch_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    vault_watch *w = userdata;
    size_t n = size * nmemb, start = 0, i;

    if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE) || etcd_on_data(ptr, size, nmemb, &w->line) != n)
        return 0;
    for (i = 0; i < w->line.len; i++)
        if (w->line.data[i] == '\n') {
            watch_line(w, w->line.data + start, i - start);
            start = i + 1;
        }
    memmove(w->line.data, w->line.data + start, w->line.len - start);
    w->line.len -= start;
    return w->canceled ? 0 : n;
}

static int on_watch_progress(void *clientp, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    vault_watch *w = clientp;
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE) ? 1 : 0;
}

/* One watch stream on one endpoint, until it breaks or the watch stops. */
static void watch_stream(vault_watch *w, const char *endpoint, size_t elen)
{
    char url[1024], rev[32], *key64 = NULL, *end64 = NULL, *body = NULL, auth[2048] = "", why[256];
    struct curl_slist *headers = NULL;
    json_t *req = NULL;
    CURL *c = NULL;

    while (elen > 0 && endpoint[elen - 1] == '/')
        elen--;
    snprintf(url, sizeof url, "%.*s/v3/watch", (int)elen, endpoint);
    snprintf(rev, sizeof rev, "%lld", w->revision + 1);
    if (etcd_prefix_range(w->ro.prefix, &key64, &end64) != 0 ||
        !(req = json_pack("{s:{s:s, s:s, s:s}}", "create_request", "key", key64, "range_end", end64,
                          "start_revision", rev)) ||
        !(body = json_dumps(req, JSON_COMPACT)) || !(c = curl_easy_init()))
        goto done;
    if (w->ro.user && etcd_authenticate(&w->ro, endpoint, elen, auth, sizeof auth, why, sizeof why) != 0)
        goto done;
    if (!(headers = etcd_setup_post(c, &w->ro, url, auth, body)))
        goto done;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_watch_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_watch_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
    w->line.len = 0;
    w->canceled = 0;
    (void)curl_easy_perform(c);
done:
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    json_decref(req);
    free(body);
    vault__free_ptr(key64);
    vault__free_ptr(end64);
    sodium_memzero(auth, sizeof auth);
}

static void *watch_main(void *arg)
{
    vault_watch *w = arg;
    const char *p = w->ro.endpoints;

    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        size_t n = strcspn(p, ",");
        if (n > 0)
            watch_stream(w, p, n);
        p += n;
        p = *p == ',' ? p + 1 : w->ro.endpoints;
        if (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
            struct timespec pause = {0, 200 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    return NULL;
}

int vault_watch_new(vault_watch **out, const vault_options *opts, unsigned int flags, vault_watch_cb cb,
                    void *payload)
{
    return vault_watch_new_after(out, opts, flags, -1, cb, payload);
}

int vault_watch_new_after(vault_watch **out, const vault_options *opts, unsigned int flags, int64_t after_revision,
                          vault_watch_cb cb, void *payload)
{
    vault_repository_values *vals = NULL;
    vault_config *main_cfg = NULL;
    const vault_config *use = NULL;
    rt_location loc;
    vault_watch *w = NULL;
    int rc, located = 0;

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_watch_new: out is NULL");
    *out = NULL;
    if (!opts || !opts->config || !cb || (flags & ~(unsigned)VAULT_WATCH_ALIASES_ONLY))
        return vault__err(VAULT_EINVAL, "vault_watch_new: options with a config and a callback are required");
    if ((rc = vault__ensure_init()) != 0 || (rc = rt_locate(&loc, opts)) != 0)
        return rc;
    located = 1;
    if (!(w = vault__calloc(1, sizeof *w))) {
        rc = vault__oom();
        goto done;
    }
    w->opts = opts;
    w->flags = flags;
    w->cb = cb;
    w->payload = payload;
    w->ro = (vault_repository_options)VAULT_REPOSITORY_OPTIONS_INIT;
    if ((rc = conf_open_for_reading(&main_cfg, loc.config, loc.type)) != 0 ||
        (rc = etcd_settings_config(main_cfg, opts->secret_conf, &w->cfg, &use)) != 0 || !use ||
        (rc = etcd_repo_options(use, &w->ro)) != 0) {
        if (rc >= 0)
            rc = vault__err(VAULT_EINVAL, "%s names no secret repository to watch", loc.config);
        goto done;
    }
    if (use == main_cfg) { /* the options' strings are the config's: keep it */
        w->cfg = main_cfg;
        main_cfg = NULL;
    }
    if ((rc = vault_repository_fetch(&vals, &w->ro)) != 0)
        goto done;
    /* Resume after the caller's own read: what changed since is reported. */
    w->revision = after_revision >= 0 && after_revision < vals->revision ? after_revision : vals->revision;
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        rc = vault__err(VAULT_ERROR, "cannot start the watch thread");
        goto done;
    }
    w->started = 1;
    *out = w;
    w = NULL;
done:
    vault_repository_values_free(vals);
    vault_config_free(main_cfg);
    if (located)
        rt_location_clear(&loc);
    vault_watch_free(w);
    return rc;
}

void vault_watch_free(vault_watch *w)
{
    size_t i;

    if (!w)
        return;
    __atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
    if (w->started)
        pthread_join(w->thread, NULL);
    for (i = 0; i < w->changed_count; i++)
        vault__free_ptr(w->changed[i]);
    vault__free_ptr(w->changed);
    vault__free_ptr(w->line.data);
    vault_config_free(w->cfg);
    vault__free_ptr(w);
}
