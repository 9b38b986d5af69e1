/* SPDX-License-Identifier: Apache-2.0 */
/* Guarded secrets (libsodium secure memory) and library initialisation. */
#include "secret_internal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sched.h>
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

/* The warm-up thread (vault__warm_up): none, running, or joined; and how
 * far it got (warm_stage, under warm_lock, announced by warm_done). */
enum { WARM_NONE, WARM_RUNNING, WARM_JOINED };
static int warm_state;
static pthread_t warm_thread;
static pthread_mutex_t warm_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t warm_done = PTHREAD_COND_INITIALIZER;
static atomic_int warm_stage = VAULT_WARM_ALL;
static atomic_uint warm_started; /* threads started, for tests */

static void warm_join_locked(void)
{
    if (warm_state == WARM_RUNNING) {
        pthread_join(warm_thread, NULL);
        warm_state = WARM_JOINED;
    }
}

static void unload_providers(void)
{
    warm_join_locked();
    warm_state = WARM_NONE; /* a later initialisation builds its stores again */
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
    if (vault__ensure_init() != 0)
        return;
    vault__warm_wait_for(md_nid != NID_undef ? VAULT_WARM_KEYS : VAULT_WARM_CIPHERS);
    if (fetchable(cipher_nid, md_nid))
        return;
    pthread_mutex_lock(&init_lock);
    warm_join_locked(); /* no provider is loaded while the stores are being built */
    if (!legacy_provider)
        legacy_provider = OSSL_PROVIDER_load(NULL, "legacy");
    pthread_mutex_unlock(&init_lock);
}

/* Visiting every method makes OpenSSL build the store that holds them. */
static void visit_decoder(OSSL_DECODER *decoder, void *arg)
{
    (void)decoder, (void)arg;
}

static void visit_keymgmt(EVP_KEYMGMT *keymgmt, void *arg)
{
    (void)keymgmt, (void)arg;
}

static void warm_reached(int stage)
{
    pthread_mutex_lock(&warm_lock);
    atomic_store_explicit(&warm_stage, stage, memory_order_release);
    pthread_cond_broadcast(&warm_done);
    pthread_mutex_unlock(&warm_lock);
}

/* What a first use of a keystore and a key would otherwise build on the
 * caller's thread, in the order the caller needs it: OpenSSL's name map
 * and its store of ciphers (AES-CBC of PKCS#12 bags, the random
 * generator's AES-CTR); the stores of digests, key managers and decoders
 * (a certificate's public key); the RSA asymmetric cipher and the
 * process's primary random generator, which RSA blinding draws from. Each
 * is built once per process and is thread-safe to build, but two threads
 * that ask at once both build it: the caller waits for its stage
 * (vault__warm_wait_for) instead. Nothing here can fail the caller:
 * errors stay on this thread and go with it. */
static void *warm_stores(void *arg)
{
    unsigned char byte;

    (void)arg;
    EVP_CIPHER_free(EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL));
    warm_reached(VAULT_WARM_CIPHERS);
    EVP_MD_free(EVP_MD_fetch(NULL, "SHA256", NULL));
    EVP_KEYMGMT_do_all_provided(NULL, visit_keymgmt, NULL);
    OSSL_DECODER_do_all_provided(NULL, visit_decoder, NULL);
    warm_reached(VAULT_WARM_KEYS);
    EVP_ASYM_CIPHER_free(EVP_ASYM_CIPHER_fetch(NULL, "RSA", NULL));
    (void)RAND_bytes(&byte, 1);
    OPENSSL_cleanse(&byte, sizeof byte);
    ERR_clear_error();
    OPENSSL_thread_stop(); /* this thread's random generators and error queue */
    warm_reached(VAULT_WARM_ALL);
    return NULL;
}

static int several_cpus(void)
{
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 2;
}

void vault__warm_up(void)
{
    if (vault__ensure_init() != 0)
        return;
    pthread_mutex_lock(&init_lock);
    /* Once per process: the stores outlive every keystore. With one CPU
     * the thread would only take turns with the caller. */
    if (warm_state == WARM_NONE && several_cpus()) {
        warm_reached(0);
        if (pthread_create(&warm_thread, NULL, warm_stores, NULL) == 0) {
            warm_state = WARM_RUNNING;
            atomic_fetch_add(&warm_started, 1);
        } else {
            warm_reached(VAULT_WARM_ALL);
        }
    }
    pthread_mutex_unlock(&init_lock);
}

void vault__warm_wait_for(int stage)
{
    if (atomic_load_explicit(&warm_stage, memory_order_acquire) >= stage)
        return; /* the common case, also for every call after the first open */
    pthread_mutex_lock(&warm_lock);
    /* warm_stage is VAULT_WARM_ALL whenever no thread is running (it
     * starts so): nobody waits for a thread that was never started. */
    while (atomic_load_explicit(&warm_stage, memory_order_relaxed) < stage)
        pthread_cond_wait(&warm_done, &warm_lock);
    pthread_mutex_unlock(&warm_lock);
}

unsigned int vault__test_warm_started(void)
{
    return atomic_load(&warm_started);
}

void vault__warm_wait(void)
{
    pthread_mutex_lock(&init_lock);
    warm_join_locked();
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
