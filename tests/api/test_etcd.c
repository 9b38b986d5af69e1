/* SPDX-License-Identifier: Apache-2.0 */
/* The etcd repository through the public headers only. Without a cluster:
 * failing closed naming every endpoint, publishing refusing plain values
 * before sending anything. With VAULT_ETCD_CONFIG set (tests/cli/test_etcd.sh
 * runs this binary against a real cluster): a "server" resolving every
 * secret of the repository, live or from the cache as VAULT_ETCD_MODE says. */
#include <vault.h>
#include <vault/repository.h>
#include <vault/vault.h>

#include "testutil.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *last_message(void)
{
    const vault_error *e = vault_error_last();
    return e ? e->message : "(no message)";
}

/* A loopback port nothing listens on. */
static int closed_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

Test(etcd, unreachable_without_cache_fails_closed_naming_every_endpoint)
{
    const char *dir = test_tmpdir();
    char conf[600], text[1024], ep1[64], ep2[64];
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;

    snprintf(ep1, sizeof ep1, "http://127.0.0.1:%d", closed_port());
    snprintf(ep2, sizeof ep2, "http://127.0.0.1:%d", closed_port());
    snprintf(conf, sizeof conf, "%s/deployment.toml", dir);
    snprintf(text, sizeof text,
             "[secret_repository]\ntype = \"etcd\"\nendpoints = \"%s,%s\"\nprefix = \"/vault/x/\"\n", ep1, ep2);
    write_file(conf, text);
    o.config = conf;
    cr_assert_eq(vault_open(&v, &o), VAULT_EIO, "%s", last_message());
    cr_assert_null(v);
    cr_assert(strstr(last_message(), ep1), "%s", last_message());
    cr_assert(strstr(last_message(), ep2), "%s", last_message());
    unlink(conf);
}

Test(etcd, unknown_repository_type_is_refused)
{
    const char *dir = test_tmpdir();
    char conf[600];
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;

    snprintf(conf, sizeof conf, "%s/deployment.toml", dir);
    write_file(conf, "[secret_repository]\ntype = \"consul\"\nendpoints = \"http://x\"\nprefix = \"/p/\"\n");
    o.config = conf;
    cr_assert_eq(vault_open(&v, &o), VAULT_EFORMAT, "%s", last_message());
    cr_assert(strstr(last_message(), "consul"), "%s", last_message());
    unlink(conf);
}

Test(etcd, publish_refuses_plain_and_empty_values_before_sending)
{
    vault_repository_options ro = VAULT_REPOSITORY_OPTIONS_INIT;
    const char *aliases[] = {"ok", "db"};
    const char *plain[] = {"vault:v1:AAAA", "[hunter2]"};
    const char *empty[] = {"vault:v1:AAAA", ""};
    char ep[64];
    int64_t rev = 7;

    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", closed_port());
    ro.endpoints = ep;
    ro.prefix = "/vault/x/";
    /* An unreachable cluster would give VAULT_EIO: these never get there. */
    cr_assert_eq(vault_repository_publish(&rev, &ro, aliases, plain, 2, -1, 0), VAULT_EFORMAT, "%s",
                 last_message());
    cr_assert(strstr(last_message(), "\"db\""), "%s", last_message());
    cr_assert(!strstr(last_message(), "hunter2"), "%s", last_message());
    cr_assert_eq(rev, -1);
    cr_assert_eq(vault_repository_publish(NULL, &ro, aliases, empty, 2, -1, 0), VAULT_EFORMAT);
    cr_assert_eq(vault_repository_publish(NULL, &ro, aliases, aliases, 2, -1, 0), VAULT_EIO, "%s",
                 last_message());
    cr_assert(strstr(last_message(), ep), "%s", last_message());
    ro.prefix = NULL;
    cr_assert_eq(vault_repository_publish(NULL, &ro, aliases, aliases, 2, -1, 0), VAULT_EINVAL);
}

/* ---- against a cluster (tests/cli/test_etcd.sh) ------------------------------- */

static int password_from_env_file(vault_secret **out, vault_password_kind kind, const char *path,
                                  const char *alias, void *payload)
{
    (void)path;
    (void)alias;
    (void)payload;
    if (kind == VAULT_PASSWORD_KEY)
        return VAULT_ENOTFOUND;
    return vault_password_from_file(out, NULL, getenv("VAULT_ETCD_PASSWORD_FILE"));
}

/* VAULT_ETCD_EXPECT: lines "alias<TAB>plaintext". */
static size_t check_every_secret(const vault *v, const char *expect_path)
{
    FILE *f = fopen(expect_path, "r");
    char line[4096];
    size_t n = 0;

    cr_assert(f, "%s", expect_path);
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
        vault_secret *s = NULL;
        cr_assert(tab);
        *tab = '\0';
        if (nl)
            *nl = '\0';
        cr_assert_eq(vault_get(&s, v, line), 0, "%s: %s", line, last_message());
        cr_assert_eq(vault_secret_len(s), strlen(tab + 1), "%s", line);
        cr_assert_eq(memcmp(vault_secret_data(s), tab + 1, vault_secret_len(s)), 0, "%s", line);
        vault_secret_free(s);
        n++;
    }
    fclose(f);
    return n;
}

Test(etcd, server_resolves_from_cluster)
{
    const char *conf = getenv("VAULT_ETCD_CONFIG"), *mode = getenv("VAULT_ETCD_MODE");
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;
    size_t n;
    int rc;

    if (!conf)
        cr_skip_test("VAULT_ETCD_CONFIG not set: tests/cli/test_etcd.sh runs this against a cluster");
    cr_assert(mode && getenv("VAULT_ETCD_PASSWORD_FILE") && getenv("VAULT_ETCD_EXPECT"));
    o.config = conf;
    o.password = password_from_env_file;
    rc = vault_open(&v, &o);
    if (strcmp(mode, "fail") == 0) {
        cr_assert_eq(rc, VAULT_EIO, "%s", last_message());
        cr_assert(strstr(last_message(), "no endpoint answered"), "%s", last_message());
        return;
    }
    cr_assert_eq(rc, 0, "%s", last_message());
    if (strcmp(mode, "cache") == 0) {
        cr_assert(vault_warning(v) && strstr(vault_warning(v), "last-known-good cache"));
    } else {
        cr_assert_str_eq(mode, "live");
        cr_assert_null(vault_warning(v), "%s", vault_warning(v));
    }
    n = check_every_secret(v, getenv("VAULT_ETCD_EXPECT"));
    cr_assert_eq(n, vault_count(v), "%zu checked, %zu in the vault", n, vault_count(v));
    vault_free(v);
}

/* ---- watching (against a cluster) --------------------------------------------- */

typedef struct watch_seen {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    vault *fresh;
    char changed[256];
    size_t n_changed;
    int calls;
} watch_seen;

static void on_change(vault *fresh, const char *const *changed, size_t n, const char *error, void *payload)
{
    watch_seen *s = payload;
    pthread_mutex_lock(&s->lock);
    /* asserted by the test's thread */
    snprintf(s->changed, sizeof s->changed, "%s", error ? error : n > 0 ? changed[0] : "");
    s->n_changed = n;
    vault_free(s->fresh);
    s->fresh = fresh;
    s->calls++;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* VAULT_ETCD_ROTATE: "alias<TAB>sealed value<TAB>its plaintext", published
 * here; the watcher must deliver it opened within 2 s. */
Test(etcd, watcher_receives_rotated_value)
{
    const char *conf = getenv("VAULT_ETCD_CONFIG"), *rotate = getenv("VAULT_ETCD_ROTATE");
    vault_repository_options ro = VAULT_REPOSITORY_OPTIONS_INIT;
    watch_seen seen = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, "", 0, 0};
    vault_options o = VAULT_OPTIONS_INIT;
    char alias[256], sealed[8192], plain[1024];
    vault_secret *old = NULL, *now = NULL;
    vault_watch *w = NULL;
    vault *v = NULL;
    struct timespec start, deadline, end;
    const char *aliases[1], *values[1];
    double took;
    int64_t rev = 0;

    if (!conf || !rotate)
        cr_skip_test("VAULT_ETCD_CONFIG/VAULT_ETCD_ROTATE not set: tests/cli/test_etcd.sh runs this");
    cr_assert_eq(sscanf(rotate, "%255[^\t]\t%8191[^\t]\t%1023[^\n]", alias, sealed, plain), 3);
    ro.endpoints = getenv("VAULT_ETCD_ENDPOINTS");
    ro.prefix = getenv("VAULT_ETCD_PREFIX");
    o.config = conf;
    o.password = password_from_env_file;
    cr_assert_eq(vault_open(&v, &o), 0, "%s", last_message());
    cr_assert_eq(vault_repository_revision(&rev, v), 0, "%s", last_message());
    cr_assert_gt(rev, 0);
    cr_assert_eq(vault_get(&old, v, alias), 0, "%s", last_message());
    cr_assert_eq(vault_watch_new(&w, &o, 0, on_change, &seen), 0, "%s", last_message());
    aliases[0] = alias;
    values[0] = sealed;
    cr_assert_eq(vault_repository_publish(NULL, &ro, aliases, values, 1, -1, 0), 0, "%s", last_message());
    clock_gettime(CLOCK_REALTIME, &start);
    deadline = start;
    deadline.tv_sec += 2;
    pthread_mutex_lock(&seen.lock);
    while (seen.calls == 0 && pthread_cond_timedwait(&seen.cond, &seen.lock, &deadline) == 0)
        ;
    clock_gettime(CLOCK_REALTIME, &end);
    took = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    cr_assert_eq(seen.calls, 1, "no change delivered within 2 s");
    cr_assert_not_null(seen.fresh, "%s", seen.changed);
    cr_assert_eq(seen.n_changed, 1);
    cr_assert_str_eq(seen.changed, alias);
    cr_assert_eq(vault_get(&now, seen.fresh, alias), 0, "%s", last_message());
    pthread_mutex_unlock(&seen.lock);
    cr_assert_eq(vault_secret_len(now), strlen(plain));
    cr_assert_eq(memcmp(vault_secret_data(now), plain, strlen(plain)), 0);
    /* the old value stays until released */
    cr_assert(vault_secret_len(old) != strlen(plain) || memcmp(vault_secret_data(old), plain, strlen(plain)) != 0);
    vault_watch_free(w);
    cr_log_info("delivered in %.3f s", took);
    vault_secret_free(now);
    vault_secret_free(old);
    vault_free(seen.fresh);
    vault_free(v);
}

/* ---- rewriting in place (against a cluster) ------------------------------------ */

typedef struct rewrite_run {
    const vault_repository_options *ro;
    int calls, final_calls, fail_alias, veto, plain, race;
} rewrite_run;

/* The values here are opaque sealed texts: the rewrite never opens them. */
static int rewrite_value(char **out, const char *alias, const char *value, void *payload)
{
    rewrite_run *r = payload;
    size_t n;

    if (!alias) {
        r->final_calls++;
        return r->veto ? VAULT_ENOTFOUND : 0;
    }
    if (r->calls++ == 0 && r->race) { /* another writer, between the read and the write */
        const char *a[1] = {"k2"}, *v[1] = {"sealed-by-another"};
        cr_assert_eq(vault_repository_publish(NULL, r->ro, a, v, 1, -1, 0), 0, "%s", last_message());
    }
    if (r->fail_alias && strcmp(alias, "k1") == 0)
        return VAULT_EAUTH;
    n = strlen(value) + 3;
    /* malloc()ed, as the callback's contract allows: the rewrite frees it */
    *out = malloc(n);
    cr_assert_not_null(*out);
    snprintf(*out, n, "%s%s", r->plain ? "[" : "", value);
    if (r->plain)
        strcat(*out, "]");
    else
        strcat(*out, "-x");
    return 0;
}

static void expect_values(const vault_repository_options *ro, const char *k1, const char *k2, int64_t *rev)
{
    vault_repository_values *vals = NULL;
    const vault_repository_value *e;
    size_t i;

    cr_assert_eq(vault_repository_fetch(&vals, ro), 0, "%s", last_message());
    cr_assert_eq(vault_repository_values_count(vals), 2);
    for (i = 0; i < 2; i++) {
        cr_assert_eq(vault_repository_values_at(&e, vals, i), 0, "%s", last_message());
        cr_assert_str_eq(e->value, strcmp(e->alias, "k1") == 0 ? k1 : k2);
    }
    cr_assert_eq(vault_repository_values_at(&e, vals, 2), VAULT_ENOTFOUND);
    cr_assert_null(e);
    cr_assert_eq(vault_repository_values_at(NULL, vals, 0), VAULT_EINVAL);
    cr_assert_eq(vault_repository_values_at(&e, NULL, 0), VAULT_EINVAL);
    *rev = vault_repository_values_revision(vals);
    vault_repository_values_free(vals);
}

Test(etcd, rewrite_is_guarded_by_the_revision_it_read)
{
    const char *endpoints = getenv("VAULT_ETCD_ENDPOINTS"), *base = getenv("VAULT_ETCD_REWRITE_PREFIX");
    vault_repository_options ro = VAULT_REPOSITORY_OPTIONS_INIT;
    const char *aliases[2] = {"k1", "k2"}, *values[2] = {"sealed-1", "sealed-2"};
    rewrite_run r;
    int64_t rev = 0, before = 0, written = 0;

    if (!endpoints || !base)
        cr_skip_test("VAULT_ETCD_ENDPOINTS/VAULT_ETCD_REWRITE_PREFIX not set: tests/cli/test_etcd_rewrite.sh runs this");
    ro.endpoints = endpoints;
    ro.prefix = base;
    cr_assert_eq(vault_repository_publish(NULL, &ro, aliases, values, 2, -1, VAULT_PUBLISH_PRUNE), 0, "%s",
                 last_message());
    expect_values(&ro, "sealed-1", "sealed-2", &before);

    /* a publish between the read and the write: nothing written */
    memset(&r, 0, sizeof r);
    r.ro = &ro;
    r.race = 1;
    cr_assert_eq(vault_repository_rewrite(&written, &ro, rewrite_value, &r, -1), VAULT_ERROR);
    cr_assert(strstr(last_message(), "changed after revision"), "%s", last_message());
    cr_assert_eq(written, -1);
    expect_values(&ro, "sealed-1", "sealed-by-another", &rev);
    cr_assert_eq(rev, before + 1);
    before = rev;

    /* a value the callback fails: every value still visited, nothing written */
    memset(&r, 0, sizeof r);
    r.fail_alias = 1;
    cr_assert_eq(vault_repository_rewrite(NULL, &ro, rewrite_value, &r, -1), VAULT_EAUTH);
    cr_assert_eq(r.calls, 2);
    cr_assert_eq(r.final_calls, 0);
    /* a new value that is not sealed: refused, nothing written */
    memset(&r, 0, sizeof r);
    r.plain = 1;
    cr_assert_eq(vault_repository_rewrite(NULL, &ro, rewrite_value, &r, -1), VAULT_EFORMAT);
    cr_assert(strstr(last_message(), "not sealed"), "%s", last_message());
    /* the last word says no: nothing written */
    memset(&r, 0, sizeof r);
    r.veto = 1;
    cr_assert_eq(vault_repository_rewrite(NULL, &ro, rewrite_value, &r, -1), VAULT_ENOTFOUND);
    cr_assert_eq(r.final_calls, 1);
    /* an expected revision older than the last change: nothing written */
    memset(&r, 0, sizeof r);
    cr_assert_eq(vault_repository_rewrite(NULL, &ro, rewrite_value, &r, before - 1), VAULT_ERROR);
    expect_values(&ro, "sealed-1", "sealed-by-another", &rev);
    cr_assert_eq(rev, before);

    /* unchallenged: both written in one transaction */
    memset(&r, 0, sizeof r);
    cr_assert_eq(vault_repository_rewrite(&written, &ro, rewrite_value, &r, before), 0, "%s", last_message());
    cr_assert_eq(r.final_calls, 1);
    cr_assert_eq(written, before + 1);
    expect_values(&ro, "sealed-1-x", "sealed-by-another-x", &rev);
    cr_assert_eq(rev, written);
}

/* VAULT_ETCD_COMPACTED: "revision<TAB>count": a revision etcd compacted away
 * and the number of aliases under the prefix. A watch asked to start after
 * it cannot know what changed since: it must report every alias, not stop. */
Test(etcd, watch_after_a_compacted_revision_reports_every_alias)
{
    const char *conf = getenv("VAULT_ETCD_CONFIG"), *compacted = getenv("VAULT_ETCD_COMPACTED");
    watch_seen seen = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, "", 0, 0};
    vault_options o = VAULT_OPTIONS_INIT;
    struct timespec deadline;
    vault_watch *w = NULL;
    long long after;
    size_t count;

    if (!conf || !compacted)
        cr_skip_test("VAULT_ETCD_CONFIG/VAULT_ETCD_COMPACTED not set: tests/cli/test_etcd_rewrite.sh runs this");
    cr_assert_eq(sscanf(compacted, "%lld\t%zu", &after, &count), 2);
    o.config = conf;
    cr_assert_eq(vault_watch_new_after(&w, &o, VAULT_WATCH_ALIASES_ONLY, after, on_change, &seen), 0, "%s",
                 last_message());
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 2;
    pthread_mutex_lock(&seen.lock);
    while (seen.calls == 0 && pthread_cond_timedwait(&seen.cond, &seen.lock, &deadline) == 0)
        ;
    cr_assert_eq(seen.calls, 1, "nothing reported within 2 s");
    cr_assert_eq(seen.n_changed, count, "%zu aliases reported (%s)", seen.n_changed, seen.changed);
    cr_assert_null(seen.fresh);
    pthread_mutex_unlock(&seen.lock);
    vault_watch_free(w);
}
