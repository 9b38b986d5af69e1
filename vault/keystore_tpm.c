/* SPDX-License-Identifier: Apache-2.0 */
/* TPM 2.0 keys as keystores: a persistent handle ("tpm2:handle=0x81000001")
 * or a TSS2 PEM key file, reached through the TPM Software Stack's ESAPI
 * (libtss2-esys, loaded on first use), and the raw RSA operation inside the
 * TPM; the padding is checked here, in constant time (rsa.c).
 *
 * Why not OpenSSL's tpm2 provider: the one Debian 12 ships (tpm2-openssl
 * 1.1.1) decrypts with PKCS#1 v1.5 only; it cannot be asked for OAEP
 * parameters or for the raw operation that OAEP-SHA256 with a label (the
 * native format) and WSO2's OAEP-SHA256 with MGF1-SHA1 need. */
#include "keystore_tpm.h"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#define TSS2_PEM_NAME "TSS2 PRIVATE KEY"
#define TSS2_PEM "-----BEGIN " TSS2_PEM_NAME "-----"

/* The ESAPI functions used here, from the libraries of the TSS. */
static struct {
    int ok;
    TSS2_RC (*tcti_init)(const char *, TSS2_TCTI_CONTEXT **);
    void (*tcti_fini)(TSS2_TCTI_CONTEXT **);
    TSS2_RC (*init)(ESYS_CONTEXT **, TSS2_TCTI_CONTEXT *, TSS2_ABI_VERSION *);
    void (*fini)(ESYS_CONTEXT **);
    TSS2_RC (*from_public)(ESYS_CONTEXT *, TPM2_HANDLE, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR *);
    TSS2_RC (*set_auth)(ESYS_CONTEXT *, ESYS_TR, const TPM2B_AUTH *);
    TSS2_RC (*read_public)(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, TPM2B_PUBLIC **,
                           TPM2B_NAME **, TPM2B_NAME **);
    TSS2_RC (*load)(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_PRIVATE *,
                    const TPM2B_PUBLIC *, ESYS_TR *);
    TSS2_RC (*flush)(ESYS_CONTEXT *, ESYS_TR);
    TSS2_RC (*tr_close)(ESYS_CONTEXT *, ESYS_TR *);
    TSS2_RC (*rsa_decrypt)(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR,
                           const TPM2B_PUBLIC_KEY_RSA *, const TPMT_RSA_DECRYPT *, const TPM2B_DATA *,
                           TPM2B_PUBLIC_KEY_RSA **);
    TSS2_RC (*nv_read_public)(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, TPM2B_NV_PUBLIC **,
                              TPM2B_NAME **);
    TSS2_RC (*nv_read)(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, UINT16, UINT16,
                       TPM2B_MAX_NV_BUFFER **);
    void (*free)(void *);
    TSS2_RC (*mu_public)(const uint8_t *, size_t, size_t *, TPM2B_PUBLIC *);
    TSS2_RC (*mu_private)(const uint8_t *, size_t, size_t *, TPM2B_PRIVATE *);
} tss;
static pthread_once_t tss_once = PTHREAD_ONCE_INIT;

typedef struct tpm_device {
    ks_device_key base; /* first: the entry's ks_device_key is the device */
    TSS2_TCTI_CONTEXT *tcti;
    ESYS_CONTEXT *esys;
    ESYS_TR key;
    int transient; /* loaded from a key file: flushed at the end */
    pthread_mutex_t lock;
} tpm_device;

/* What a "tpm2:" URI or a key file names. */
typedef struct tpm_name {
    unsigned long handle; /* the key's, or the parent's of a key file */
    int pass;             /* the key has an auth value: ask for it */
    unsigned long cert;   /* an NV index holding the certificate, or 0 */
    char *tcti;           /* NULL: the TSS's default (tabrmd, /dev/tpmrm0, ...) */
    char *file;
    TPM2B_PUBLIC pub;
    TPM2B_PRIVATE priv;
} tpm_name;

/* Bind every function or none (the libraries stay loaded for the process). */
static void tss_load(void)
{
    void *esys = dlopen("libtss2-esys.so.0", RTLD_NOW | RTLD_LOCAL);
    void *ldr = dlopen("libtss2-tctildr.so.0", RTLD_NOW | RTLD_LOCAL);
    void *mu = dlopen("libtss2-mu.so.0", RTLD_NOW | RTLD_LOCAL);

    if (!esys || !ldr || !mu)
        return;
#define BIND(lib, field, name) (*(void **)&tss.field = dlsym(lib, name)) != NULL
    tss.ok = BIND(ldr, tcti_init, "Tss2_TctiLdr_Initialize") &&
             BIND(ldr, tcti_fini, "Tss2_TctiLdr_Finalize") && BIND(esys, init, "Esys_Initialize") &&
             BIND(esys, fini, "Esys_Finalize") && BIND(esys, from_public, "Esys_TR_FromTPMPublic") &&
             BIND(esys, set_auth, "Esys_TR_SetAuth") && BIND(esys, read_public, "Esys_ReadPublic") &&
             BIND(esys, load, "Esys_Load") && BIND(esys, flush, "Esys_FlushContext") &&
             BIND(esys, rsa_decrypt, "Esys_RSA_Decrypt") && BIND(esys, free, "Esys_Free") &&
             BIND(esys, nv_read_public, "Esys_NV_ReadPublic") && BIND(esys, nv_read, "Esys_NV_Read") &&
             BIND(esys, tr_close, "Esys_TR_Close") &&
             BIND(mu, mu_public, "Tss2_MU_TPM2B_PUBLIC_Unmarshal") &&
             BIND(mu, mu_private, "Tss2_MU_TPM2B_PRIVATE_Unmarshal");
#undef BIND
}

int ks_is_tpm_uri(const char *name)
{
    return name && strncmp(name, "tpm2:", 5) == 0;
}

int ks_is_tpm_key(const unsigned char *data, size_t len)
{
    size_t n = sizeof TSS2_PEM - 1, i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return len - i >= n && memcmp(data + i, TSS2_PEM, n) == 0;
}

static void device_close(void *p)
{
    tpm_device *d = p;
    if (!d)
        return;
    if (d->esys && d->transient)
        tss.flush(d->esys, d->key);
    if (d->esys)
        tss.fini(&d->esys);
    if (d->tcti)
        tss.tcti_fini(&d->tcti);
    pthread_mutex_destroy(&d->lock);
    vault__free_ptr(d);
}

/* The raw RSA operation only: a TPM's OAEP hashes its MGF1 with the OAEP
 * digest and wants a NUL-terminated label, which neither the native format
 * (docs/FORMAT.md §5.2) nor WSO2's OAEP-SHA256 with MGF1-SHA1 is; PKCS#1
 * v1.5 is checked here with implicit rejection, as for file keys. */
static int tpm_decrypt(ks_device_key *base, int raw, const EVP_MD *md, const EVP_MD *mgf1,
                       const unsigned char *label, size_t label_len, const unsigned char *in,
                       size_t in_len, unsigned char *out, size_t *out_len)
{
    tpm_device *d = (tpm_device *)base;
    TPM2B_PUBLIC_KEY_RSA c, *m = NULL;
    TPMT_RSA_DECRYPT scheme;
    TPM2B_DATA no_label;
    TSS2_RC r;
    int ok = 0;

    (void)md;
    (void)mgf1;
    (void)label;
    (void)label_len;
    if (!raw)
        return KS_DEVICE_UNSUPPORTED;
    if (in_len > sizeof c.buffer)
        return 0;
    memset(&scheme, 0, sizeof scheme);
    scheme.scheme = TPM2_ALG_NULL;
    memset(&no_label, 0, sizeof no_label);
    c.size = (UINT16)in_len;
    memcpy(c.buffer, in, in_len);
    pthread_mutex_lock(&d->lock);
    r = tss.rsa_decrypt(d->esys, d->key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &c, &scheme,
                        &no_label, &m);
    pthread_mutex_unlock(&d->lock);
    if (r == TSS2_RC_SUCCESS && m && m->size <= *out_len) {
        memcpy(out, m->buffer, m->size);
        *out_len = m->size;
        ok = 1;
    }
    if (m) {
        sodium_memzero(m->buffer, sizeof m->buffer);
        tss.free(m);
    }
    return ok;
}

static int parse_handle(const vault_keystore *ks, const char *s, size_t n, unsigned long *out)
{
    char buf[16], *end;
    if (n < 3 || n >= sizeof buf || strncmp(s, "0x", 2) != 0)
        goto bad;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtoul(buf + 2, &end, 16);
    if (*end == '\0' && *out >= 0x81000000ul && *out <= 0x81fffffful)
        return 0;
bad:
    return vault__err(VAULT_EINVAL, "%s: \"%.*s\" is not a persistent TPM handle (0x81000000 to "
                     "0x81ffffff)", ks->path, (int)n, s);
}

/* Only the TCTIs that talk to a TPM: a URI may come from a configuration
 * file, and others load a library by path or run a command ("cmd:"). */
static int tcti_allowed(const char *conf)
{
    static const char *const names[] = {"device", "tabrmd", "swtpm", "mssim"};
    size_t i, n = strcspn(conf, ":");
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncmp(conf, names[i], n) == 0)
            return 1;
    return 0;
}

/* "tpm2:handle=0x81000001" or "tpm2:file=PATH", then "?pass" and/or
 * "?tcti=CONF" joined by "&". */
static int parse_uri(const vault_keystore *ks, tpm_name *t)
{
    const char *p = ks->path + 5, *q = strchr(p, '?'), *end = q ? q : p + strlen(p);
    int rc;

    if (strncmp(p, "handle=", 7) == 0) {
        if ((rc = parse_handle(ks, p + 7, (size_t)(end - p - 7), &t->handle)) != 0)
            return rc;
    } else if (strncmp(p, "file=", 5) == 0 && end > p + 5) {
        if (!(t->file = vault__strndup(p + 5, (size_t)(end - p - 5))))
            return vault__oom();
    } else {
        return vault__err(VAULT_EINVAL, "%s: a TPM URI is tpm2:handle=0x81NNNNNN or tpm2:file=PATH, "
                         "then ?pass and &tcti=CONF when needed", ks->path);
    }
    while (q && *q) {
        const char *a = q + 1, *e = strchr(a, '&');
        size_t n = e ? (size_t)(e - a) : strlen(a);
        if (n == 4 && strncmp(a, "pass", 4) == 0) {
            t->pass = 1;
        } else if (n > 5 && strncmp(a, "cert=", 5) == 0) {
            char buf[16], *stop;
            if (n - 5 >= sizeof buf)
                goto bad_nv;
            memcpy(buf, a + 5, n - 5);
            buf[n - 5] = '\0';
            t->cert = strtoul(buf, &stop, 16);
            if (strncmp(buf, "0x", 2) != 0 || *stop || t->cert < 0x01000000ul || t->cert > 0x01fffffful)
                goto bad_nv;
        } else if (n > 5 && strncmp(a, "tcti=", 5) == 0) {
            vault__free_ptr(t->tcti);
            if (!(t->tcti = vault__strndup(a + 5, n - 5)))
                return vault__oom();
            if (!tcti_allowed(t->tcti))
                return vault__err(VAULT_EINVAL, "%s: TCTI \"%s\" is refused: name device, tabrmd, "
                                 "swtpm or mssim", ks->path, t->tcti);
        } else {
            return vault__err(VAULT_EINVAL, "%s: unknown TPM URI attribute \"%.*s\" (pass, cert=, "
                             "tcti=)", ks->path, (int)n, a);
        }
        q = e;
    }
    return 0;
bad_nv:
    return vault__err(VAULT_EINVAL, "%s: cert= names an NV index, 0x01000000 to 0x01ffffff", ks->path);
}

/* One DER element of the given tag at *p (within end): its contents. */
static int der_take(const unsigned char **p, const unsigned char *end, unsigned char tag,
                    const unsigned char **val, size_t *len)
{
    const unsigned char *s = *p;
    size_t n, i, k;

    if (end - s < 2 || s[0] != tag)
        return 0;
    n = s[1];
    s += 2;
    if (n & 0x80) {
        k = n & 0x7f;
        if (k == 0 || k > 3 || (size_t)(end - s) < k)
            return 0;
        for (n = 0, i = 0; i < k; i++)
            n = n << 8 | s[i];
        s += k;
    }
    if ((size_t)(end - s) < n)
        return 0;
    *val = s;
    *len = n;
    *p = s + n;
    return 1;
}

/* The TSS2 key file format (TCG "TPM 2.0 Key Files"): SEQUENCE { type OID,
 * [0] emptyAuth BOOLEAN OPTIONAL, [1] policy, [2] secret OPTIONAL, parent
 * INTEGER, pubkey OCTET STRING, privkey OCTET STRING }. */
static int parse_key_file(const vault_keystore *ks, const unsigned char *data, size_t len, tpm_name *t)
{
    static const unsigned char loadable[] = {0x67, 0x81, 0x05, 0x0a, 0x01, 0x03}; /* 2.23.133.10.1.3 */
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    const unsigned char *p, *end, *v, *w;
    size_t n, m, i;
    long der_len = 0;
    int rc = VAULT_EFORMAT, empty_auth = 0;

    if (!bio || len > INT32_MAX || !PEM_read_bio(bio, &name, &header, &der, &der_len) ||
        strcmp(name, TSS2_PEM_NAME) != 0)
        goto done;
    p = der;
    end = der + der_len;
    if (!der_take(&p, end, 0x30, &v, &n))
        goto done;
    p = v;
    end = v + n;
    if (!der_take(&p, end, 0x06, &v, &n))
        goto done;
    if (n != sizeof loadable || memcmp(v, loadable, n) != 0) {
        rc = vault__err(VAULT_EFORMAT, "%s: a TSS2 key that is not a loadable key (imported and "
                       "sealed keys are not supported)", ks->path);
        goto done;
    }
    if (der_take(&p, end, 0xa0, &v, &n)) {
        w = v;
        if (!der_take(&w, v + n, 0x01, &v, &m) || m != 1)
            goto done;
        empty_auth = v[0] != 0;
    }
    if (p < end && (*p == 0xa1 || *p == 0xa2)) {
        rc = vault__err(VAULT_EFORMAT, "%s: a TSS2 key with a policy or an import secret is not "
                       "supported", ks->path);
        goto done;
    }
    if (!der_take(&p, end, 0x02, &v, &n) || n == 0 || n > 5)
        goto done;
    for (t->handle = 0, i = 0; i < n; i++)
        t->handle = t->handle << 8 | v[i];
    if (t->handle < 0x81000000ul || t->handle > 0x81fffffful) {
        rc = vault__err(VAULT_EFORMAT, "%s: the key's parent is 0x%08lx; only a persistent parent "
                       "(0x81NNNNNN) is supported: write the file with tpm2_encodeobject -C 0x81...",
                       ks->path, t->handle);
        goto done;
    }
    if (!der_take(&p, end, 0x04, &v, &n) || tss.mu_public(v, n, NULL, &t->pub) != TSS2_RC_SUCCESS ||
        !der_take(&p, end, 0x04, &v, &n) || tss.mu_private(v, n, NULL, &t->priv) != TSS2_RC_SUCCESS)
        goto done;
    t->pass = !empty_auth;
    rc = 0;
done:
    if (rc == VAULT_EFORMAT)
        rc = vault__err(VAULT_EFORMAT, "%s: malformed TSS2 key file", ks->path);
    ERR_clear_error();
    BIO_free(bio);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_clear_free(der, (size_t)der_len);
    return rc;
}

/* The public half, in the default library context. */
static EVP_PKEY *public_half(const TPM2B_PUBLIC *pub)
{
    const TPMT_PUBLIC *a = &pub->publicArea;
    UINT32 exp = a->parameters.rsaDetail.exponent ? a->parameters.rsaDetail.exponent : 65537;
    unsigned char e[4] = {(unsigned char)(exp >> 24), (unsigned char)(exp >> 16),
                          (unsigned char)(exp >> 8), (unsigned char)exp};

    if (a->type != TPM2_ALG_RSA || a->unique.rsa.size == 0)
        return NULL;
    return ks_rsa_public(a->unique.rsa.buffer, a->unique.rsa.size, e, sizeof e);
}

static int set_auth(vault_keystore *ks, tpm_device *d)
{
    vault_secret *pw = NULL;
    TPM2B_AUTH auth;
    size_t n;
    int rc;

    if (!ks->password_cb)
        rc = VAULT_ENOTFOUND;
    else
        rc = ks->password_cb(&pw, VAULT_PASSWORD_STORE, ks->path, NULL, ks->payload);
    if (rc == 0 && !pw)
        rc = VAULT_ENOTFOUND;
    if (rc == VAULT_ENOTFOUND)
        return vault__err(VAULT_EAUTH, "%s: the TPM key has an auth value: give it as the keystore "
                         "password", ks->path);
    if (rc != 0)
        return rc;
    n = vault_secret_len(pw);
    if (n > sizeof auth.buffer) {
        vault_secret_free(pw);
        return vault__err(VAULT_EAUTH, "%s: a TPM auth value is at most %zu bytes", ks->path,
                         sizeof auth.buffer);
    }
    auth.size = (UINT16)n;
    memcpy(auth.buffer, vault_secret_data(pw), n);
    vault_secret_free(pw);
    rc = tss.set_auth(d->esys, d->key, &auth) == TSS2_RC_SUCCESS
             ? 0
             : vault__err(VAULT_ERROR, "%s: cannot set the TPM key's auth value", ks->path);
    sodium_memzero(&auth, sizeof auth);
    return rc;
}

/* One raw operation on a random block: a wrong auth value fails here, at
 * open, rather than as a "decryption failed" of every value. */
static int probe(tpm_device *d, EVP_PKEY *pub)
{
    unsigned char m[512], c[512], back[512];
    size_t k = d->base.k, n = sizeof c, got = sizeof back;
    EVP_PKEY_CTX *ctx;
    int ok;

    if (k > sizeof m || k < 2)
        return 0;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
    m[0] = 0; /* below the modulus */
    randombytes_buf(m + 1, k - 1);
    ok = ctx && EVP_PKEY_encrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0 &&
         EVP_PKEY_encrypt(ctx, c, &n, m, k) > 0 && n == k &&
         ks_device_decrypt(pub, 1, NULL, NULL, NULL, 0, c, k, back, &got) == 1 && got == k &&
         sodium_memcmp(m, back, k) == 0;
    EVP_PKEY_CTX_free(ctx);
    sodium_memzero(m, sizeof m);
    sodium_memzero(back, sizeof back);
    ERR_clear_error();
    return ok;
}

/* The entry's alias: the handle ("0x81000001") or the file's base name. */
static void make_alias(const tpm_name *t, const char *path, char *out, size_t size)
{
    const char *b, *dot;
    size_t n;

    if (!path) {
        snprintf(out, size, "0x%08lx", t->handle);
        return;
    }
    b = strrchr(path, '/');
    b = b ? b + 1 : path;
    dot = strrchr(b, '.');
    n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    snprintf(out, size, "%.*s", (int)(n < size - 1 ? n : size - 1), b);
}

static int open_key(vault_keystore *ks, tpm_device *d, tpm_name *t, const char *where)
{
    TPM2B_PUBLIC *pub = NULL;
    ESYS_TR parent = ESYS_TR_NONE;
    TSS2_RC r;

    if (tss.tcti_init(t->tcti, &d->tcti) != TSS2_RC_SUCCESS ||
        tss.init(&d->esys, d->tcti, NULL) != TSS2_RC_SUCCESS)
        return vault__err(VAULT_ENOTFOUND, "%s: cannot reach the TPM (TCTI %s)", ks->path,
                         t->tcti ? t->tcti : "default: tabrmd, /dev/tpmrm0, /dev/tpm0, swtpm, mssim");
    if (!where) {
        r = tss.from_public(d->esys, (TPM2_HANDLE)t->handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                            &d->key);
        if (r == TSS2_RC_SUCCESS)
            r = tss.read_public(d->esys, d->key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL,
                                NULL);
        if (r != TSS2_RC_SUCCESS)
            return vault__err(VAULT_ENOTFOUND, "%s: no key at TPM handle 0x%08lx (0x%x)", ks->path,
                             t->handle, (unsigned)r);
        t->pub = *pub;
        tss.free(pub);
        return 0;
    }
    r = tss.from_public(d->esys, (TPM2_HANDLE)t->handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                        &parent);
    if (r != TSS2_RC_SUCCESS)
        return vault__err(VAULT_ENOTFOUND, "%s: the key's parent, TPM handle 0x%08lx, is not there "
                         "(0x%x)", where, t->handle, (unsigned)r);
    r = tss.load(d->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &t->priv, &t->pub,
                 &d->key);
    if (r != TSS2_RC_SUCCESS)
        return vault__err(VAULT_EKEY, "%s: the TPM refused to load the key under its parent 0x%08lx "
                         "(0x%x): a key of another TPM or parent?", where, t->handle, (unsigned)r);
    d->transient = 1;
    return 0;
}

/* The certificate (DER or PEM) in NV index t->cert, read with the index's
 * own empty auth value (TPMA_NV_AUTHREAD), for the entry e of key pub. */
static int nv_cert(vault_keystore *ks, tpm_device *d, const tpm_name *t, ks_entry *e, EVP_PKEY *pub)
{
    TPM2B_NV_PUBLIC *info = NULL;
    TPM2B_MAX_NV_BUFFER *part = NULL;
    ESYS_TR nv = ESYS_TR_NONE;
    unsigned char *buf = NULL;
    const unsigned char *p;
    size_t size = 0, done = 0, chunk;
    X509 *x = NULL;
    BIO *bio = NULL;
    TSS2_RC r;
    int rc = 0;

    r = tss.from_public(d->esys, (TPM2_HANDLE)t->cert, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
    if (r == TSS2_RC_SUCCESS)
        r = tss.nv_read_public(d->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &info, NULL);
    if (r != TSS2_RC_SUCCESS || !info || info->nvPublic.dataSize == 0) {
        rc = vault__err(VAULT_ENOTFOUND, "%s: no certificate at TPM NV index 0x%08lx (0x%x)", ks->path,
                       t->cert, (unsigned)r);
        goto done;
    }
    size = info->nvPublic.dataSize;
    if (!(buf = vault__malloc(size))) {
        rc = vault__oom();
        goto done;
    }
    /* 512 bytes at a time: below every TPM's TPM_PT_NV_BUFFER_MAX */
    for (; done < size; done += chunk) {
        chunk = size - done < 512 ? size - done : 512;
        r = tss.nv_read(d->esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, (UINT16)chunk,
                        (UINT16)done, &part);
        if (r != TSS2_RC_SUCCESS || !part || part->size != chunk) {
            rc = vault__err(VAULT_EIO, "%s: cannot read TPM NV index 0x%08lx (0x%x); it must be "
                           "readable with its own empty auth value (authread)", ks->path, t->cert,
                           (unsigned)r);
            goto done;
        }
        memcpy(buf + done, part->buffer, chunk);
        tss.free(part);
        part = NULL;
    }
    p = buf;
    x = d2i_X509(NULL, &p, (long)size);
    if (!x && (bio = BIO_new_mem_buf(buf, (int)size)) != NULL)
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (!x) {
        rc = vault__err(VAULT_EFORMAT, "%s: TPM NV index 0x%08lx holds no certificate", ks->path, t->cert);
        goto done;
    }
    if (EVP_PKEY_eq(X509_get0_pubkey(x), pub) != 1) {
        rc = vault__err(VAULT_EKEY, "%s: the certificate at TPM NV index 0x%08lx is not for the key",
                       ks->path, t->cert);
        goto done;
    }
    rc = ks_entry_add_cert(ks, e, x);
    x = NULL;
done:
    ERR_clear_error();
    X509_free(x);
    BIO_free(bio);
    if (part)
        tss.free(part);
    if (info)
        tss.free(info);
    if (nv != ESYS_TR_NONE)
        tss.tr_close(d->esys, &nv);
    vault__free_ptr(buf);
    return rc;
}

int ks_read_tpm(vault_keystore *ks, const unsigned char *data, size_t len)
{
    tpm_name t;
    tpm_device *d;
    EVP_PKEY *pub = NULL;
    ks_entry *entry;
    unsigned char *file = NULL;
    size_t file_len = 0;
    const char *where = NULL;
    char alias[128];
    int rc;

    memset(&t, 0, sizeof t);
    pthread_once(&tss_once, tss_load);
    if (!tss.ok)
        return vault__err(VAULT_ENOTFOUND, "%s: a TPM key needs the TPM software stack "
                         "(libtss2-esys, libtss2-tctildr, libtss2-mu)", ks->path);
    d = vault__calloc(1, sizeof *d);
    if (!d)
        return vault__oom();
    pthread_mutex_init(&d->lock, NULL);
    d->base.decrypt = tpm_decrypt;
    ks->device = d;
    ks->device_close = device_close;
    ks->type = VAULT_KEYSTORE_TPM2;
    if (!data && (rc = parse_uri(ks, &t)) != 0)
        goto done;
    if (data || t.file) {
        where = data ? ks->path : t.file;
        if (!data && (rc = vault__read_file(t.file, KS_MAX_FILE, &file, &file_len)) != 0)
            goto done;
        if ((rc = parse_key_file(ks, data ? data : file, data ? len : file_len, &t)) != 0)
            goto done;
    }
    if ((rc = open_key(ks, d, &t, where)) != 0)
        goto done;
    if (t.pass && (rc = set_auth(ks, d)) != 0)
        goto done;
    if (!(pub = public_half(&t.pub))) {
        rc = vault__err(VAULT_EFORMAT, "%s: the TPM key is not an RSA key", ks->path);
        goto done;
    }
    d->base.k = (size_t)EVP_PKEY_get_size(pub);
    if ((rc = ks_device_key_attach(pub, &d->base)) != 0)
        goto done;
    if (!probe(d, pub)) {
        rc = vault__err(VAULT_EAUTH, "%s: the TPM refused to decrypt with the key: wrong auth value "
                       "(the keystore password)%s, or a key without the decrypt attribute or with a "
                       "padding scheme of its own", ks->path,
                       where ? "" : ", or a key with one named without ?pass");
        goto done;
    }
    make_alias(&t, where, alias, sizeof alias);
    if ((rc = ks_add_entry(ks, alias, strlen(alias), VAULT_ENTRY_PRIVATE_KEY, &entry)) != 0)
        goto done;
    entry->pkey = pub;
    entry->unlocked = 1;
    pub = NULL;
    if (t.cert)
        rc = nv_cert(ks, d, &t, entry, entry->pkey);
done:
    ERR_clear_error();
    EVP_PKEY_free(pub);
    vault__free_ptr(t.tcti);
    vault__free_ptr(t.file);
    if (file)
        sodium_memzero(file, file_len);
    vault__free_ptr(file);
    sodium_memzero(&t.priv, sizeof t.priv);
    return rc;
}
