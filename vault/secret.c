/* SPDX-License-Identifier: Apache-2.0 */
/* Guarded secrets (libsodium secure memory) and library initialisation. */
#include "secret_internal.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

/* What vault_init() makes and vault_shutdown() frees, under one lock:
 * init_count counts the caller's vault_init() calls; ready says the
 * libraries are initialised, also when an entry point did it implicitly
 * (vault__ensure_init(), not counted). No atexit(): a program that wants
 * the providers unloaded calls vault_shutdown(). */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int ready;
static unsigned int init_count;
static OSSL_PROVIDER *default_provider, *legacy_provider;

static void unload_providers(void)
{
    if (legacy_provider)
        OSSL_PROVIDER_unload(legacy_provider);
    if (default_provider)
        OSSL_PROVIDER_unload(default_provider);
    legacy_provider = default_provider = NULL;
}

/* Called with init_lock held. */
static int init_libraries(void)
{
    if (atomic_load_explicit(&ready, memory_order_relaxed))
        return 0;
    if (sodium_init() < 0)
        return vault__err(VAULT_ERROR, "cannot initialise libsodium");
    /* Start-up cost: no openssl.cnf (a program that wants it loads it
     * before vault_init(), as cipher-tool does when OPENSSL_CONF is set),
     * and no OPENSSL_cleanup() at exit, which frees what the process is
     * about to lose anyway. Without effect when the program initialised
     * OpenSSL already. */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
    /* Explicitly: once a provider is loaded by name (the legacy one, on
     * demand), the default one would no longer load implicitly. */
    default_provider = OSSL_PROVIDER_load(NULL, "default");
    if (!default_provider)
        return vault__err_ssl(VAULT_ERROR, "cannot load OpenSSL's default provider");
    atomic_store_explicit(&ready, 1, memory_order_release);
    return 0;
}

int vault__ensure_init(void)
{
    int rc;

    if (atomic_load_explicit(&ready, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&init_lock);
    rc = init_libraries();
    pthread_mutex_unlock(&init_lock);
    return rc; /* init_libraries() recorded what failed */
}

int vault_init(void)
{
    int rc;

    pthread_mutex_lock(&init_lock);
    if ((rc = init_libraries()) == 0)
        init_count++;
    pthread_mutex_unlock(&init_lock);
    return rc; /* init_libraries() recorded what failed */
}

int vault_shutdown(void)
{
    int left;

    pthread_mutex_lock(&init_lock);
    if (init_count == 0) {
        pthread_mutex_unlock(&init_lock);
        return vault__err(VAULT_EINVAL, "vault_shutdown() without a matching vault_init()");
    }
    if (--init_count == 0) {
        unload_providers();
        atomic_store_explicit(&ready, 0, memory_order_release);
    }
    left = (int)init_count;
    pthread_mutex_unlock(&init_lock);
    return left;
}


/* Whether the loaded providers have the algorithm (NID_undef: none asked). */
static int fetchable(int cipher_nid, int md_nid)
{
    EVP_CIPHER *c = NULL;
    EVP_MD *m = NULL;
    int ok;

    ERR_set_mark();
    if (cipher_nid != NID_undef)
        c = EVP_CIPHER_fetch(NULL, OBJ_nid2sn(cipher_nid), NULL);
    if (md_nid != NID_undef)
        m = EVP_MD_fetch(NULL, OBJ_nid2sn(md_nid), NULL);
    ok = (cipher_nid == NID_undef || c) && (md_nid == NID_undef || m);
    EVP_CIPHER_free(c);
    EVP_MD_free(m);
    ERR_pop_to_mark();
    return ok;
}

void vault__need_algorithms(int cipher_nid, int md_nid)
{
    if (vault__ensure_init() != 0 || fetchable(cipher_nid, md_nid))
        return;
    pthread_mutex_lock(&init_lock);
    if (!legacy_provider)
        legacy_provider = OSSL_PROVIDER_load(NULL, "legacy");
    pthread_mutex_unlock(&init_lock);
}

int vault_init_openssl_config(void)
{
    if (!OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL))
        return vault__err_ssl(VAULT_ERROR, "cannot load OpenSSL's configuration");
    return vault__ensure_init();
}

int vault__secret_alloc(vault_secret **out, size_t len, unsigned char **data)
{
    vault_secret *s;

    *out = NULL;
    if (vault__ensure_init() != 0)
        return VAULT_ERROR;
    if (len > SIZE_MAX / 2)
        return vault__err(VAULT_ENOMEM, "secret of %zu bytes is too large", len);
    s = vault__calloc(1, sizeof *s);
    if (!s)
        return vault__oom();
    s->data = vault__secure_malloc(len + 1);
    if (!s->data) {
        vault__free_ptr(s);
        return vault__err(VAULT_ENOMEM, "out of guarded memory for a %zu-byte secret", len);
    }
    s->len = len;
    s->data[len] = '\0';
    *data = s->data;
    *out = s;
    return 0;
}

void vault__secret_seal(vault_secret *s)
{
    if (s && !s->store) /* a store seals its chunks itself */
        sodium_mprotect_readonly(s->data);
}

int vault_secret_new(vault_secret **out, const void *data, size_t len)
{
    unsigned char *p = NULL;
    int rc;

    if (!out || (!data && len > 0))
        return vault__err(VAULT_EINVAL, "vault_secret_new: invalid argument");
    rc = vault__secret_alloc(out, len, &p);
    if (rc != 0)
        return rc;
    if (len)
        memcpy(p, data, len);
    vault__secret_seal(*out);
    return 0;
}

const unsigned char *vault_secret_data(const vault_secret *secret)
{
    return secret ? secret->data : NULL;
}

const char *vault_secret_str(const vault_secret *secret)
{
    return secret ? (const char *)secret->data : NULL;
}

size_t vault_secret_len(const vault_secret *secret)
{
    return secret ? secret->len : 0;
}

void vault_secret_free(vault_secret *secret)
{
    if (!secret)
        return;
    if (secret->store) {
        vault__store_drop(secret);
        return;
    }
    /* sodium_free wipes the region whatever its protection. */
    sodium_free(secret->data);
    vault__free_ptr(secret);
}
