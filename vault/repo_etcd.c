/* SPDX-License-Identifier: Apache-2.0 */
/* The etcd secret repository's client: the v3 HTTP/JSON gateway over
 * libcurl, one fetch per start-up, publish and rewrite transactions
 * (docs/FLEET.md). The settings and the cache are in repo_etcd_config.c,
 * the watches in repo_etcd_watch.c. Only sealed values pass through here. */
#include "array.h"
#include "repo_etcd_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 2000L
#define RESPONSE_MAX (64u * 1024u * 1024u)
#define ERRORS_MAX 900

/* ---- values ----------------------------------------------------------------- */

void vault_repository_values_free(vault_repository_values *vals)
{
    size_t i;
    if (!vals)
        return;
    for (i = 0; i < vals->count; i++) {
        vault__free_ptr((char *)vals->items[i].alias);
        vault__free_ptr((char *)vals->items[i].value);
    }
    vault__free_ptr(vals->items);
    vault__free_ptr(vals);
}

size_t vault_repository_values_count(const vault_repository_values *vals)
{
    return vals ? vals->count : 0;
}

int vault_repository_values_at(const vault_repository_value **out, const vault_repository_values *vals,
                               size_t i)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_repository_values_at: out is NULL");
    *out = NULL;
    if (!vals)
        return vault__err(VAULT_EINVAL, "vault_repository_values_at: values are NULL");
    if (i >= vals->count)
        return vault__err(VAULT_ENOTFOUND, "no repository value %zu (%zu values)", i, vals->count);
    *out = &vals->items[i];
    return 0;
}

int64_t vault_repository_values_revision(const vault_repository_values *vals)
{
    return vals ? vals->revision : 0; /* etcd revisions start at 1 */
}

int etcd_values_add(vault_repository_values *vals, const char *alias, size_t alen, const char *value,
                      size_t vlen)
{
    char *a, *v;

    if (VAULT_ARRAY_GROW(vals->items, vals->cap, vals->count + 1) != 0)
        return VAULT_ENOMEM;
    a = vault__strndup(alias, alen);
    v = vault__strndup(value, vlen);
    if (!a || !v) {
        vault__free_ptr(a);
        vault__free_ptr(v);
        return vault__oom();
    }
    vals->items[vals->count].alias = a;
    vals->items[vals->count].value = v;
    vals->count++;
    return 0;
}

/* ---- base64 and numbers ------------------------------------------------------ */

static char *b64_encode(const void *data, size_t len)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = vault__malloc(n);
    if (out)
        sodium_bin2base64(out, n, data, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* Decode into a NUL-terminated buffer; NULL when malformed or out of memory. */
char *etcd_b64_decode(const char *text, size_t *len)
{
    size_t n = strlen(text), cap = n / 4 * 3 + 1;
    char *out = vault__malloc(cap);
    if (!out)
        return NULL;
    if (sodium_base642bin((unsigned char *)out, cap, text, n, NULL, len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        vault__free_ptr(out);
        return NULL;
    }
    out[*len] = '\0';
    return out;
}

/* etcd's gateway writes int64 fields as JSON strings. */
long long etcd_json_int64(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    char *end;
    long long n;
    if (json_is_integer(v))
        return json_integer_value(v);
    if (!json_is_string(v))
        return 0;
    n = strtoll(json_string_value(v), &end, 10);
    return *end ? -1 : n;
}

/* ---- HTTP ----------------------------------------------------------------------- */

size_t etcd_on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    etcd_response *r = userdata;
    size_t n = size * nmemb;
    if (r->len + n + 1 > RESPONSE_MAX || VAULT_ARRAY_GROW(r->data, r->cap, r->len + n + 1) != 0)
        return 0;
    memcpy(r->data + r->len, ptr, n);
    r->len += n;
    r->data[r->len] = '\0';
    return n;
}

static int check_repo_options(const vault_repository_options *o)
{
    if (!o || o->version != VAULT_REPOSITORY_OPTIONS_VERSION || !o->endpoints || !o->endpoints[0] ||
        !o->prefix || !o->prefix[0])
        return vault__err(VAULT_EINVAL, "etcd repository: endpoints and prefix are required");
    if (!o->cert_file != !o->key_file)
        return vault__err(VAULT_EINVAL, "etcd repository: cert_file and key_file go together");
    if (o->user && !o->password_file)
        return vault__err(VAULT_EINVAL, "etcd repository: user %s needs a password_file", o->user);
    return vault__ensure_init();
}

/* What a TLS failure means for the operator, before libcurl's own words. */
static const char *tls_context(const vault_repository_options *o, const char *url, CURLcode cc)
{
    if (strncmp(url, "https:", 6) != 0)
        return "";
    switch (cc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        return o->ca_file ? "TLS: the member's certificate does not verify against ca_file: "
                          : "TLS: the member's certificate does not verify against the system CAs "
                            "(set ca_file): ";
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return "TLS: cannot use the client certificate, its key or the CA file: ";
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
        return o->cert_file ? "TLS: the member refused the handshake (is the client certificate "
                              "issued by a CA it trusts?): "
                            : "TLS: the member refused the handshake (no client certificate is "
                              "configured: set cert_file and key_file): ";
    default:
        return "";
    }
}

static int post_one(const vault_repository_options *o, const char *endpoint, size_t elen, const char *api,
                    const char *body, json_t **out, char *why, size_t why_len);

/* Append s to a JSON string body at w, escaped; the length it takes when w is NULL. */
static size_t json_escape(unsigned char *w, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            if (w) {
                w[k] = '\\';
                w[k + 1] = c;
            }
            k += 2;
        } else if (c < 0x20) {
            if (w) {
                memcpy(w + k, "\\u00", 4);
                w[k + 4] = (unsigned char)hex[c >> 4];
                w[k + 5] = (unsigned char)hex[c & 15];
            }
            k += 6;
        } else {
            if (w)
                w[k] = c;
            k++;
        }
    }
    return k;
}

/* The /v3/auth/authenticate body, in guarded memory: it holds the password. */
static int auth_body(const vault_repository_options *o, vault_secret **out)
{
    static const char a[] = "{\"name\":\"", b[] = "\",\"password\":\"", c[] = "\"}";
    vault_secret *pw = NULL;
    unsigned char *w;
    size_t ulen = strlen(o->user), need, k = 0;
    int rc;

    if ((rc = vault_password_from_file(&pw, NULL, o->password_file)) != 0)
        return rc;
    need = sizeof a - 1 + json_escape(NULL, (const unsigned char *)o->user, ulen) + sizeof b - 1 +
           json_escape(NULL, vault_secret_data(pw), vault_secret_len(pw)) + sizeof c - 1;
    if ((rc = vault__secret_alloc(out, need, &w)) == 0) {
        memcpy(w, a, sizeof a - 1);
        k = sizeof a - 1;
        k += json_escape(w + k, (const unsigned char *)o->user, ulen);
        memcpy(w + k, b, sizeof b - 1);
        k += sizeof b - 1;
        k += json_escape(w + k, vault_secret_data(pw), vault_secret_len(pw));
        memcpy(w + k, c, sizeof c - 1);
        vault__secret_seal(*out);
    }
    vault_secret_free(pw);
    return rc;
}

/* An auth token from this endpoint into header ("Authorization: ..."). */
int etcd_authenticate(const vault_repository_options *o, const char *endpoint, size_t elen, char *header,
                        size_t header_len, char *why, size_t why_len)
{
    vault_repository_options plain = *o;
    vault_secret *body = NULL;
    json_t *ans = NULL;
    const char *token;
    int rc;

    if (auth_body(o, &body) != 0) {
        const vault_error *e = vault_error_last();
        snprintf(why, why_len, "etcd user %s: %s", o->user, e ? e->message : "no password");
        return -1;
    }
    plain.user = NULL;
    rc = post_one(&plain, endpoint, elen, "/v3/auth/authenticate", vault_secret_str(body), &ans, why, why_len);
    vault_secret_free(body);
    if (rc != 0) {
        size_t n = strlen(why);
        snprintf(why + n, why_len - n, " (authenticating etcd user %s)", o->user);
        return -1;
    }
    token = json_string_value(json_object_get(ans, "token"));
    if (!token || strlen(token) + 16 > header_len) {
        snprintf(why, why_len, "etcd user %s: no token in the answer", o->user);
        rc = -1;
    } else
        snprintf(header, header_len, "Authorization: %s", token);
    json_decref(ans);
    return rc;
}

/* What every request to a member shares: a JSON POST of body to url, the
 * auth header when there is one, a connect timeout, http(s) only, the server
 * verified, the client certificate when one is set. Returns the header list
 * the caller frees after the transfer (NULL when out of memory). */
struct curl_slist *etcd_setup_post(CURL *c, const vault_repository_options *o, const char *url,
                                     const char *auth, const char *body)
{
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");

    if (headers && auth[0]) {
        struct curl_slist *more = curl_slist_append(headers, auth);
        if (!more) {
            curl_slist_free_all(headers);
            return NULL;
        }
        headers = more;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
    if (o->cert_file) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, o->cert_file);
        curl_easy_setopt(c, CURLOPT_SSLKEY, o->key_file);
    }
    return headers;
}

/* POST body to one endpoint; 0 and the parsed JSON, or an error text in why. */
static int post_one(const vault_repository_options *o, const char *endpoint, size_t elen, const char *api,
                    const char *body, json_t **out, char *why, size_t why_len)
{
    char url[1024], curl_err[CURL_ERROR_SIZE] = "", auth[2048] = "";
    etcd_response r = {NULL, 0, 0};
    struct curl_slist *headers = NULL;
    long status = 0, timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    json_error_t jerr;
    CURL *c;
    CURLcode cc;
    int rc = -1;

    *out = NULL;
    if (o->user && etcd_authenticate(o, endpoint, elen, auth, sizeof auth, why, why_len) != 0)
        return -1;
    while (elen > 0 && endpoint[elen - 1] == '/')
        elen--;
    snprintf(url, sizeof url, "%.*s%s", (int)elen, endpoint, api);
    if (!(c = curl_easy_init())) {
        snprintf(why, why_len, "cannot start libcurl");
        return -1;
    }
    if (!(headers = etcd_setup_post(c, o, url, auth, body))) {
        snprintf(why, why_len, "out of memory");
        goto done;
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, etcd_on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(why, why_len, "%s%s", tls_context(o, url, cc), curl_err[0] ? curl_err : curl_easy_strerror(cc));
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        /* etcd's own reason (never a value: requests carry sealed values only) */
        json_t *err = json_loadb(r.data ? r.data : "", r.len, 0, &jerr);
        const char *msg = json_string_value(json_object_get(err, "error"));
        if (!msg)
            msg = json_string_value(json_object_get(err, "message"));
        char text[201] = "";
        size_t i;
        if (!msg && r.data && r.len > 0) { /* a plain-text answer: printable bytes only */
            for (i = 0; i < r.len && i < 200; i++)
                text[i] = r.data[i] >= 0x20 && r.data[i] < 0x7f ? r.data[i] : ' ';
            text[i] = '\0';
            msg = text;
        }
        snprintf(why, why_len, "HTTP status %ld%s%.200s", status, msg && msg[0] ? ": " : "", msg ? msg : "");
        json_decref(err);
        goto done;
    }
    if (!(*out = json_loadb(r.data ? r.data : "", r.len, 0, &jerr)) || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        snprintf(why, why_len, "not an etcd answer");
        goto done;
    }
    rc = 0;
done:
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    vault__free_ptr(r.data);
    sodium_memzero(auth, sizeof auth);
    return rc;
}

/* Try every endpoint in turn; the error names each one and its failure. */
static int post(const vault_repository_options *o, const char *api, const char *body, json_t **out)
{
    char errors[ERRORS_MAX + 1] = "";
    const char *p = o->endpoints;

    while (*p) {
        size_t n = strcspn(p, ","), used = strlen(errors);
        char why[CURL_ERROR_SIZE + 64];
        if (n > 0 && post_one(o, p, n, api, body, out, why, sizeof why) == 0)
            return 0;
        if (n > 0 && used < ERRORS_MAX)
            snprintf(errors + used, ERRORS_MAX + 1 - used, "%s%.*s: %s", used ? "; " : "", (int)n, p, why);
        p += n;
        if (*p == ',')
            p++;
    }
    return vault__err(VAULT_EIO, "etcd: no endpoint answered: %s", errors);
}

/* range_end for a prefix: the prefix with its last byte plus one. */
int etcd_prefix_range(const char *prefix, char **key64, char **end64)
{
    size_t n = strlen(prefix);
    char *end = vault__strdup(prefix);
    int rc = 0;

    *key64 = *end64 = NULL;
    if (!end)
        return vault__oom();
    while (n > 0 && (unsigned char)end[n - 1] == 0xff)
        n--;
    if (n == 0)
        rc = vault__err(VAULT_EINVAL, "etcd: prefix \"%s\" has no range end", prefix);
    else {
        end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
        *key64 = b64_encode(prefix, strlen(prefix));
        *end64 = b64_encode(end, n);
        if (!*key64 || !*end64)
            rc = vault__oom();
    }
    vault__free_ptr(end);
    return rc;
}

static int dump_post(const vault_repository_options *o, const char *api, json_t *req, json_t **out)
{
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    int rc;
    if (!body)
        return vault__oom();
    rc = post(o, api, body, out);
    free(body);
    return rc;
}

/* ---- fetch ---------------------------------------------------------------------- */

static int parse_range(const vault_repository_options *o, const json_t *ans, vault_repository_values *vals)
{
    const json_t *kvs = json_object_get(ans, "kvs"), *kv;
    size_t plen = strlen(o->prefix), i;
    int rc = 0;

    vals->revision = etcd_json_int64(json_object_get(ans, "header"), "revision");
    if (vals->revision <= 0)
        return vault__err(VAULT_EFORMAT, "etcd: an answer without a revision");
    json_array_foreach(kvs, i, kv) {
        const char *k64 = json_string_value(json_object_get(kv, "key"));
        const char *v64 = json_string_value(json_object_get(kv, "value"));
        size_t klen = 0, vlen = 0;
        char *key = k64 ? etcd_b64_decode(k64, &klen) : NULL;
        char *value = key ? etcd_b64_decode(v64 ? v64 : "", &vlen) : NULL;
        if (!key || !value || klen <= plen || memcmp(key, o->prefix, plen) != 0 ||
            memchr(key, '\0', klen) || memchr(value, '\0', vlen))
            rc = vault__err(VAULT_EFORMAT, "etcd: a malformed key or value under %s", o->prefix);
        else
            rc = etcd_values_add(vals, key + plen, klen - plen, value, vlen);
        vault__free_ptr(key);
        vault__free_ptr(value);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int vault_repository_fetch(vault_repository_values **out, const vault_repository_options *opts)
{
    char *key64 = NULL, *end64 = NULL;
    json_t *req = NULL, *ans = NULL;
    vault_repository_values *vals = NULL;
    int rc;

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_repository_fetch: out is NULL");
    *out = NULL;
    if ((rc = check_repo_options(opts)) != 0 || (rc = etcd_prefix_range(opts->prefix, &key64, &end64)) != 0)
        goto done;
    req = json_pack("{s:s, s:s}", "key", key64, "range_end", end64);
    if ((rc = dump_post(opts, "/v3/kv/range", req, &ans)) != 0)
        goto done;
    if (!(vals = vault__calloc(1, sizeof *vals))) {
        rc = vault__oom();
        goto done;
    }
    if ((rc = parse_range(opts, ans, vals)) != 0)
        goto done;
    *out = vals;
    vals = NULL;
done:
    vault_repository_values_free(vals);
    json_decref(req);
    json_decref(ans);
    vault__free_ptr(key64);
    vault__free_ptr(end64);
    return rc;
}

/* ---- publish -------------------------------------------------------------------- */

static int is_sealed(const char *value)
{
    size_t n = strlen(value);
    return n > 0 && !(value[0] == '[' && value[n - 1] == ']');
}

static int add_op(json_t *ops, const char *kind, json_t *body)
{
    json_t *op = body ? json_pack("{s:o}", kind, body) : NULL;
    return op && json_array_append_new(ops, op) == 0 ? 0 : vault__oom();
}

static int put_op(json_t *ops, const char *prefix, const char *alias, const char *value)
{
    size_t plen = strlen(prefix), alen = strlen(alias);
    char *key = vault__malloc(plen + alen + 1), *k64 = NULL, *v64 = NULL;
    int rc = vault__oom();

    if (key) {
        memcpy(key, prefix, plen);
        memcpy(key + plen, alias, alen + 1);
        k64 = b64_encode(key, plen + alen);
        v64 = b64_encode(value, strlen(value));
        if (k64 && v64)
            rc = add_op(ops, "request_put", json_pack("{s:s, s:s}", "key", k64, "value", v64));
    }
    vault__free_ptr(key);
    vault__free_ptr(k64);
    vault__free_ptr(v64);
    return rc;
}

/* The keys under the prefix that are not published now. */
static int prune_ops(json_t *ops, const vault_repository_options *o, const char *const *aliases, size_t n,
                     long long *seen_revision)
{
    vault_repository_values *cur = NULL;
    size_t i, j;
    int rc = vault_repository_fetch(&cur, o);

    for (i = 0; rc == 0 && i < cur->count; i++) {
        for (j = 0; j < n && strcmp(aliases[j], cur->items[i].alias) != 0; j++)
            ;
        if (j == n) {
            size_t plen = strlen(o->prefix), alen = strlen(cur->items[i].alias);
            char *key = vault__malloc(plen + alen + 1), *k64 = NULL;
            if (key) {
                memcpy(key, o->prefix, plen);
                memcpy(key + plen, cur->items[i].alias, alen + 1);
                k64 = b64_encode(key, plen + alen);
            }
            rc = k64 ? add_op(ops, "request_delete_range", json_pack("{s:s}", "key", k64))
                     : vault__oom();
            vault__free_ptr(key);
            vault__free_ptr(k64);
        }
    }
    if (rc == 0)
        *seen_revision = cur->revision;
    vault_repository_values_free(cur);
    return rc;
}

/* Every key under the prefix was last modified at or before revision. */
static int compare_op(json_t *cmp, const char *prefix, long long revision)
{
    char *key64 = NULL, *end64 = NULL, rev[32];
    int rc = etcd_prefix_range(prefix, &key64, &end64);
    json_t *c;

    if (rc != 0)
        return rc;
    snprintf(rev, sizeof rev, "%lld", revision + 1);
    c = json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", key64, "range_end", end64, "target", "MOD", "result",
                  "LESS", "mod_revision", rev);
    rc = c && json_array_append_new(cmp, c) == 0 ? 0 : vault__oom();
    vault__free_ptr(key64);
    vault__free_ptr(end64);
    return rc;
}

/* One transaction: the compares, then the operations; a compare that fails
 * writes nothing (guard is the revision it names, for the message). */
static int post_txn(const vault_repository_options *opts, json_t *cmp, json_t *ops, long long guard,
                    int64_t *revision_out)
{
    json_t *req = json_pack("{s:O, s:O}", "compare", cmp, "success", ops), *ans = NULL;
    int rc = dump_post(opts, "/v3/kv/txn", req, &ans);

    if (rc == 0 && !json_is_true(json_object_get(ans, "succeeded")))
        rc = vault__err(VAULT_ERROR, "etcd: keys under %s changed after revision %lld: nothing written",
                       opts->prefix, guard);
    else if (rc == 0 && revision_out)
        *revision_out = etcd_json_int64(json_object_get(ans, "header"), "revision");
    json_decref(req);
    json_decref(ans);
    return rc;
}

int vault_repository_publish(int64_t *revision_out, const vault_repository_options *opts,
                             const char *const *aliases, const char *const *values, size_t n, int64_t if_revision,
                             unsigned int flags)
{
    json_t *ops = NULL, *cmp = NULL;
    long long seen = -1;
    size_t i;
    int rc;

    if (revision_out)
        *revision_out = -1;
    if ((rc = check_repo_options(opts)) != 0)
        return rc;
    if ((n > 0 && (!aliases || !values)) || (flags & ~(unsigned)VAULT_PUBLISH_PRUNE))
        return vault__err(VAULT_EINVAL, "vault_repository_publish: invalid argument");
    for (i = 0; i < n; i++) {
        if (!aliases[i] || !aliases[i][0] || !values[i])
            return vault__err(VAULT_EINVAL, "vault_repository_publish: empty alias or value");
        if (!is_sealed(values[i]))
            return vault__err(VAULT_EFORMAT, "alias \"%s\" is not sealed: only sealed values are published",
                             aliases[i]);
    }
    ops = json_array();
    cmp = json_array();
    if (!ops || !cmp) {
        rc = vault__oom();
        goto done;
    }
    for (i = 0; i < n; i++)
        if ((rc = put_op(ops, opts->prefix, aliases[i], values[i])) != 0)
            goto done;
    if ((flags & VAULT_PUBLISH_PRUNE) && (rc = prune_ops(ops, opts, aliases, n, &seen)) != 0)
        goto done;
    /* A prune deletes what it saw: nothing may have changed since. */
    if (seen >= 0 && (if_revision < 0 || seen < if_revision))
        if_revision = seen;
    if (if_revision >= 0 && (rc = compare_op(cmp, opts->prefix, if_revision)) != 0)
        goto done;
    rc = post_txn(opts, cmp, ops, (long long)if_revision, revision_out);
done:
    json_decref(ops);
    json_decref(cmp);
    return rc;
}

/* ---- rewrite: read, re-seal, write back guarded by the revision read ---------- */

/* The key still exists (a key deleted since the read has version 0). */
static int exists_op(json_t *cmp, const char *prefix, const char *alias)
{
    size_t plen = strlen(prefix), alen = strlen(alias);
    char *key = vault__malloc(plen + alen + 1), *k64 = NULL;
    json_t *c = NULL;
    int rc = vault__oom();

    if (key) {
        memcpy(key, prefix, plen);
        memcpy(key + plen, alias, alen + 1);
        k64 = b64_encode(key, plen + alen);
    }
    if (k64 && (c = json_pack("{s:s, s:s, s:s, s:s}", "key", k64, "target", "VERSION", "result", "GREATER",
                              "version", "0")) != NULL)
        rc = json_array_append_new(cmp, c) == 0 ? 0 : vault__oom();
    vault__free_ptr(key);
    vault__free_ptr(k64);
    return rc;
}

/* Call cb on every value; put the changed ones in ops and guard them in cmp. */
static int rewrite_ops(const vault_repository_options *o, const vault_repository_values *cur,
                       vault_repository_rewrite_cb cb, void *payload, json_t *ops, json_t *cmp, size_t *changed)
{
    size_t i;
    int first = 0;

    *changed = 0;
    for (i = 0; i < cur->count; i++) {
        char *fresh = NULL;
        int rc = cb(&fresh, cur->items[i].alias, cur->items[i].value, payload);
        if (rc == 0 && fresh && !is_sealed(fresh))
            rc = vault__err(VAULT_EFORMAT, "alias \"%s\": the new value is not sealed", cur->items[i].alias);
        if (rc == 0 && fresh && strcmp(fresh, cur->items[i].value) != 0 && first == 0) {
            if ((rc = put_op(ops, o->prefix, cur->items[i].alias, fresh)) == 0 &&
                (rc = exists_op(cmp, o->prefix, cur->items[i].alias)) == 0)
                (*changed)++;
        }
        vault_string_free(fresh); /* free(): the callback's contract allows malloc()ed strings */
        if (rc != 0 && first == 0)
            first = rc;
    }
    if (first == 0) { /* the last word: whether anything is written */
        char *none = NULL;
        first = cb(&none, NULL, NULL, payload);
        vault_string_free(none);
    }
    return first;
}

int vault_repository_rewrite(int64_t *revision_out, const vault_repository_options *opts, vault_repository_rewrite_cb cb,
                             void *payload, int64_t expected_revision)
{
    vault_repository_values *cur = NULL;
    json_t *ops = NULL, *cmp = NULL;
    long long guard;
    size_t changed = 0;
    int rc;

    if (revision_out)
        *revision_out = -1;
    if (!cb)
        return vault__err(VAULT_EINVAL, "vault_repository_rewrite: no callback");
    if ((rc = vault_repository_fetch(&cur, opts)) != 0)
        return rc;
    guard = expected_revision >= 0 && expected_revision < cur->revision ? expected_revision : cur->revision;
    ops = json_array();
    cmp = json_array();
    if (!ops || !cmp) {
        rc = vault__oom();
        goto done;
    }
    if ((rc = rewrite_ops(opts, cur, cb, payload, ops, cmp, &changed)) != 0)
        goto done;
    if (changed == 0 && guard == cur->revision) {
        if (revision_out)
            *revision_out = cur->revision;
        goto done;
    }
    if ((rc = compare_op(cmp, opts->prefix, guard)) != 0)
        goto done;
    rc = post_txn(opts, cmp, ops, guard, revision_out);
done:
    vault_repository_values_free(cur);
    json_decref(ops);
    json_decref(cmp);
    return rc;
}
