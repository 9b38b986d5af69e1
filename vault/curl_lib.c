/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl, loaded on first use (see curl_lib.h). */
#define VAULT_CURL_LIB_IMPL
#include "curl_lib.h"

#include "internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The library's name for the dynamic loader, read by the build from the
 * libcurl it compiled against. */
#ifndef VAULT_LIBCURL_SONAME
#  error "VAULT_LIBCURL_SONAME is set by the build (vault/CMakeLists.txt)"
#endif

static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *c, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
    CURLcode (*easy_perform)(CURL *c);
    void (*easy_cleanup)(CURL *c);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
} fns;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static void *handle;
static char load_error[256];

/* Each entry's type is checked against libcurl's own declaration (the
 * parenthesised names are the functions, not curl.h's checking macros). */
#define SAME_TYPE(field, name)                                                                      \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&(name)), __typeof__(fns.field)), #name)
SAME_TYPE(global_init, curl_global_init);
SAME_TYPE(easy_init, curl_easy_init);
SAME_TYPE(easy_setopt, curl_easy_setopt);
SAME_TYPE(easy_getinfo, curl_easy_getinfo);
SAME_TYPE(easy_perform, curl_easy_perform);
SAME_TYPE(easy_cleanup, curl_easy_cleanup);
SAME_TYPE(easy_strerror, curl_easy_strerror);
SAME_TYPE(slist_append, curl_slist_append);
SAME_TYPE(slist_free_all, curl_slist_free_all);

#define SYM(field, name) {offsetof(__typeof__(fns), field), #name}
static const vault_dl_sym symbols[] = {
    SYM(global_init, curl_global_init),   SYM(easy_init, curl_easy_init),
    SYM(easy_setopt, curl_easy_setopt),   SYM(easy_getinfo, curl_easy_getinfo),
    SYM(easy_perform, curl_easy_perform), SYM(easy_cleanup, curl_easy_cleanup),
    SYM(easy_strerror, curl_easy_strerror), SYM(slist_append, curl_slist_append),
    SYM(slist_free_all, curl_slist_free_all),
};

static void load(void)
{
    void *h = vault__dl_bind(VAULT_LIBCURL_SONAME, &fns, symbols, sizeof symbols / sizeof symbols[0],
                            load_error, sizeof load_error);

    if (!h)
        return;
    /* Once, here, rather than implicitly (and not thread-safely) in the
     * first curl_easy_init() of whichever thread comes first. */
    if (fns.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
        dlclose(h);
        return;
    }
    handle = h; /* kept for the life of the process */
}

int curl_lib_load(void)
{
    pthread_once(&load_once, load);
    if (!handle)
        return vault__err(VAULT_ERROR, "etcd support needs libcurl (%s), which cannot be loaded: %s",
                         VAULT_LIBCURL_SONAME, load_error);
    return 0;
}

CURL *curl_lib_easy_init(void)
{
    return curl_lib_load() == 0 ? fns.easy_init() : NULL;
}

/* The option's number says the type of its one argument (curl.h's
 * CURLOPTTYPE_* ranges): long, curl_off_t, a function pointer or a data
 * pointer. */
CURLcode curl_lib_easy_setopt(CURL *c, CURLoption option, ...)
{
    va_list ap;
    CURLcode rc;
    unsigned int o = (unsigned int)option;

    if (!handle)
        return CURLE_FAILED_INIT;
    va_start(ap, option);
    if (o < CURLOPTTYPE_OBJECTPOINT) {
        rc = fns.easy_setopt(c, option, va_arg(ap, long));
    } else if (o >= CURLOPTTYPE_OFF_T && o < CURLOPTTYPE_BLOB) {
        rc = fns.easy_setopt(c, option, va_arg(ap, curl_off_t));
    } else if (o >= CURLOPTTYPE_FUNCTIONPOINT && o < CURLOPTTYPE_OFF_T) {
        void (*fn)(void) = va_arg(ap, void (*)(void));
        rc = fns.easy_setopt(c, option, fn);
    } else {
        rc = fns.easy_setopt(c, option, va_arg(ap, void *));
    }
    va_end(ap);
    return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_lib_easy_getinfo(CURL *c, CURLINFO info, ...)
{
    va_list ap;
    CURLcode rc;

    if (!handle)
        return CURLE_FAILED_INIT;
    va_start(ap, info);
    rc = fns.easy_getinfo(c, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_lib_easy_perform(CURL *c)
{
    return handle ? fns.easy_perform(c) : CURLE_FAILED_INIT;
}

void curl_lib_easy_cleanup(CURL *c)
{
    if (handle)
        fns.easy_cleanup(c);
}

const char *curl_lib_easy_strerror(CURLcode code)
{
    return handle ? fns.easy_strerror(code) : "libcurl is not loaded";
}

struct curl_slist *curl_lib_slist_append(struct curl_slist *list, const char *s)
{
    return curl_lib_load() == 0 ? fns.slist_append(list, s) : NULL;
}

void curl_lib_slist_free_all(struct curl_slist *list)
{
    if (handle)
        fns.slist_free_all(list);
}
