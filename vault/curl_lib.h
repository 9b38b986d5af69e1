/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl, loaded on first use (curl_lib.c). repo_etcd.c includes this
 * instead of <curl/curl.h> and calls libcurl by its usual names, which the
 * macros below send to small wrappers that load the library the first time.
 * A process that never talks to etcd never maps libcurl and the thirty-odd
 * libraries it pulls in (TLS, HTTP/2, Kerberos, LDAP, IDN): most of a
 * process's start-up before this. */
#ifndef VAULT_CURL_LIB_H
#define VAULT_CURL_LIB_H

#include <curl/curl.h>

/* 0, or VAULT_ERROR saying why libcurl cannot be loaded. Thread-safe. */
int curl_lib_load(void);

CURL *curl_lib_easy_init(void);
CURLcode curl_lib_easy_setopt(CURL *c, CURLoption option, ...);
CURLcode curl_lib_easy_getinfo(CURL *c, CURLINFO info, ...);
CURLcode curl_lib_easy_perform(CURL *c);
void curl_lib_easy_cleanup(CURL *c);
const char *curl_lib_easy_strerror(CURLcode code);
struct curl_slist *curl_lib_slist_append(struct curl_slist *list, const char *s);
void curl_lib_slist_free_all(struct curl_slist *list);

#ifndef VAULT_CURL_LIB_IMPL
/* curl.h makes some of these type-checking macros under GCC. */
#undef curl_easy_init
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_easy_perform
#undef curl_easy_cleanup
#undef curl_easy_strerror
#undef curl_slist_append
#undef curl_slist_free_all
#define curl_easy_init curl_lib_easy_init
#define curl_easy_setopt curl_lib_easy_setopt
#define curl_easy_getinfo curl_lib_easy_getinfo
#define curl_easy_perform curl_lib_easy_perform
#define curl_easy_cleanup curl_lib_easy_cleanup
#define curl_easy_strerror curl_lib_easy_strerror
#define curl_slist_append curl_lib_slist_append
#define curl_slist_free_all curl_lib_slist_free_all
#endif

#endif
