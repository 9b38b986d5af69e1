/* SPDX-License-Identifier: Apache-2.0 */
/* PKCS#11 tokens as keystores: RFC 7512 URIs, a small Cryptoki client
 * (dlopen, C_GetFunctionList, slot and token match, login, object search)
 * and the private-key decryption inside the token. */
#include "keystore_pkcs11.h"

#include <dlfcn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <p11-kit/pkcs11.h>
#include <sodium.h>
#include <string.h>

#define DEFAULT_MODULE "p11-kit-proxy.so"
#define MAX_KEYS 64

typedef struct p11_uri {
    char *token, *manufacturer, *serial, *model, *object;
    unsigned char *id;
    size_t id_len;
    int has_id, has_slot;
    CK_SLOT_ID slot;
    char *module; /* module-path, or a name the loader finds */
} p11_uri;

typedef struct p11_device p11_device;

typedef struct p11_key {
    ks_device_key base; /* first: the key's ks_device_key is the p11_key */
    p11_device *dev;
    CK_OBJECT_HANDLE handle;
} p11_key;

/* A loaded module, shared by every keystore of the process that uses it:
 * Cryptoki is initialised once per module and finalised when its last
 * keystore goes, so that one keystore's close never ends another's
 * sessions. */
typedef struct p11_module {
    struct p11_module *next;
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    size_t refs;
    int finalize; /* we initialised it (not someone else in the process) */
} p11_module;

static p11_module *modules;
static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;

struct p11_device {
    p11_module *mod;
    CK_FUNCTION_LIST_PTR f;
    CK_SESSION_HANDLE session;
    int session_open;
    char token[33];
    pthread_mutex_t lock;
    p11_key keys[MAX_KEYS];
    size_t nkeys;
};

static int p11_decrypt(ks_device_key *base, int raw, const EVP_MD *md, const EVP_MD *mgf1,
                       const unsigned char *label, size_t label_len, const unsigned char *in,
                       size_t in_len, unsigned char *out, size_t *out_len);

/* ---- the URI ------------------------------------------------------------ */

int ks_is_pkcs11_uri(const char *name)
{
    return name && strncmp(name, "pkcs11:", 7) == 0;
}

/* Percent-decode s[0..n) into a new NUL-terminated buffer (*len bytes). */
static int pct_decode(const char *s, size_t n, char **out, size_t *len)
{
    char *d = vault__malloc(n + 1);
    size_t i, j = 0;

    *out = NULL;
    if (!d)
        return vault__oom();
    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || vault__hex_digit(s[i + 1]) < 0 || vault__hex_digit(s[i + 2]) < 0) {
                vault__free_ptr(d);
                return vault__err(VAULT_EINVAL, "PKCS#11 URI: bad percent escape");
            }
            d[j++] = (char)(vault__hex_digit(s[i + 1]) * 16 + vault__hex_digit(s[i + 2]));
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *out = d;
    if (len)
        *len = j;
    return 0;
}

static void uri_free(p11_uri *u)
{
    vault__free_ptr(u->token);
    vault__free_ptr(u->manufacturer);
    vault__free_ptr(u->serial);
    vault__free_ptr(u->model);
    vault__free_ptr(u->object);
    vault__free_ptr(u->id);
    vault__free_ptr(u->module);
    memset(u, 0, sizeof *u);
}

static int set_attr(p11_uri *u, const char *name, size_t nlen, const char *val, size_t vlen,
                    int query)
{
    char **slot = NULL, *v = NULL, *end;
    size_t len = 0;
    int rc;

#define IS(lit) (nlen == sizeof lit - 1 && memcmp(name, lit, nlen) == 0)
    if (query && (IS("pin-value") || IS("pin-source")))
        return vault__err(VAULT_EINVAL, "PKCS#11 URI: %.*s is refused; a PIN never goes in a URI: "
                         "give it as the keystore password", (int)nlen, name);
    rc = pct_decode(val, vlen, &v, &len);
    if (rc != 0)
        return rc;
    if (query && IS("module-path"))
        slot = &u->module;
    else if (query && IS("module-name")) {
        vault__free_ptr(u->module);
        u->module = vault__malloc(len + 7);
        if (u->module)
            snprintf(u->module, len + 7, "lib%s.so", v);
        vault__free_ptr(v);
        return u->module ? 0 : vault__oom();
    } else if (query) {
        slot = NULL; /* other query attributes are for other consumers */
    } else if (IS("token"))
        slot = &u->token;
    else if (IS("manufacturer"))
        slot = &u->manufacturer;
    else if (IS("serial"))
        slot = &u->serial;
    else if (IS("model"))
        slot = &u->model;
    else if (IS("object"))
        slot = &u->object;
    else if (IS("id")) {
        vault__free_ptr(u->id);
        u->id = (unsigned char *)v;
        u->id_len = len;
        u->has_id = 1;
        return 0;
    } else if (IS("slot-id")) {
        u->slot = (CK_SLOT_ID)strtoul(v, &end, 10);
        u->has_slot = 1;
        rc = *v && !*end ? 0 : vault__err(VAULT_EINVAL, "PKCS#11 URI: slot-id is not a number");
        vault__free_ptr(v);
        return rc;
    } else if (IS("type")) {
        rc = strcmp(v, "private") == 0 || strcmp(v, "cert") == 0 || strcmp(v, "public") == 0
                 ? 0
                 : vault__err(VAULT_EINVAL, "PKCS#11 URI: type=%s does not name a key pair", v);
        vault__free_ptr(v);
        return rc;
    } else if (IS("slot-description") || IS("slot-manufacturer") ||
               (nlen > 8 && memcmp(name, "library-", 8) == 0)) {
        slot = NULL;
    } else {
        vault__free_ptr(v);
        return vault__err(VAULT_EINVAL, "PKCS#11 URI: unsupported attribute \"%.*s\"", (int)nlen, name);
    }
#undef IS
    if (slot) {
        vault__free_ptr(*slot);
        *slot = v;
    } else {
        vault__free_ptr(v);
    }
    return 0;
}

/* RFC 7512: "pkcs11:" path ("a=b;c=d") ["?" query ("e=f&g=h")]. */
static int uri_parse(const char *s, p11_uri *u)
{
    const char *p = s + 7;
    int query = 0, rc = 0;

    memset(u, 0, sizeof *u);
    while (rc == 0 && *p) {
        char sep = query ? '&' : ';';
        const char *end = p, *eq;
        while (*end && *end != sep && (query || *end != '?'))
            end++;
        if (end > p) {
            eq = memchr(p, '=', (size_t)(end - p));
            if (!eq)
                rc = vault__err(VAULT_EINVAL, "PKCS#11 URI: attribute without a value");
            else
                rc = set_attr(u, p, (size_t)(eq - p), eq + 1, (size_t)(end - eq - 1), query);
        }
        if (*end == '?' && !query) {
            query = 1;
            p = end + 1;
        } else {
            p = *end ? end + 1 : end;
        }
    }
    if (rc != 0)
        uri_free(u);
    return rc;
}

/* ---- the token ------------------------------------------------------------ */

static void trim(char *dst, const CK_UTF8CHAR *src, size_t n)
{
    memcpy(dst, src, n);
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
}

static const char *rv_text(CK_RV rv)
{
    switch (rv) {
    case CKR_PIN_INCORRECT: return "wrong PIN";
    case CKR_PIN_LOCKED: return "PIN locked";
    case CKR_TOKEN_NOT_PRESENT: return "token not present";
    case CKR_DEVICE_REMOVED: return "device removed";
    case CKR_DEVICE_ERROR: return "device error";
    case CKR_USER_PIN_NOT_INITIALIZED: return "user PIN not initialised";
    case CKR_ARGUMENTS_BAD: return "bad arguments";
    default: return "error";
    }
}

static void module_release(p11_module *m)
{
    p11_module **p;

    if (!m)
        return;
    pthread_mutex_lock(&modules_lock);
    if (--m->refs == 0) {
        for (p = &modules; *p; p = &(*p)->next)
            if (*p == m) {
                *p = m->next;
                break;
            }
        if (m->finalize)
            m->f->C_Finalize(NULL);
        dlclose(m->dl);
        vault__free_ptr(m);
    }
    pthread_mutex_unlock(&modules_lock);
}

static void device_close(void *p)
{
    p11_device *d = p;
    if (!d)
        return;
    /* No C_Logout: the login belongs to the token, shared with every other
     * session of this process on it; closing the last session logs out. */
    if (d->session_open)
        d->f->C_CloseSession(d->session);
    module_release(d->mod);
    pthread_mutex_destroy(&d->lock);
    vault__free_ptr(d);
}

/* The module at path, loaded and initialised once per process. The
 * loader's handle names it: two spellings of one file are one module. */
static int module_get(vault_keystore *ks, const char *path, p11_module **out)
{
    CK_C_GetFunctionList get;
    CK_C_INITIALIZE_ARGS args;
    p11_module *m;
    void *dl;
    CK_RV rv;
    int rc = 0;

    *out = NULL;
    pthread_mutex_lock(&modules_lock);
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        rc = vault__err(VAULT_ENOTFOUND, "%s: cannot load PKCS#11 module %s: %s", ks->path, path,
                       dlerror());
        goto done;
    }
    for (m = modules; m; m = m->next)
        if (m->dl == dl) {
            dlclose(dl); /* the module holds its own reference */
            m->refs++;
            *out = m;
            goto done;
        }
    m = vault__calloc(1, sizeof *m);
    if (!m) {
        dlclose(dl);
        rc = vault__oom();
        goto done;
    }
    m->dl = dl;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (!get || get(&m->f) != CKR_OK || !m->f) {
        rc = vault__err(VAULT_EFORMAT, "%s: %s is not a PKCS#11 module", ks->path, path);
        goto fail;
    }
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    rv = m->f->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        rc = vault__err(VAULT_ERROR, "%s: PKCS#11 module %s: C_Initialize failed (0x%lx)", ks->path,
                       path, (unsigned long)rv);
        goto fail;
    }
    m->finalize = rv == CKR_OK;
    m->refs = 1;
    m->next = modules;
    modules = m;
    *out = m;
    goto done;
fail:
    dlclose(dl);
    vault__free_ptr(m);
done:
    pthread_mutex_unlock(&modules_lock);
    return rc;
}

static int token_matches(const p11_uri *u, const CK_TOKEN_INFO *ti, char label[33])
{
    char buf[33];
    trim(label, ti->label, sizeof ti->label);
    if (u->token && strcmp(u->token, label) != 0)
        return 0;
    trim(buf, ti->manufacturerID, sizeof ti->manufacturerID);
    if (u->manufacturer && strcmp(u->manufacturer, buf) != 0)
        return 0;
    trim(buf, ti->serialNumber, sizeof ti->serialNumber);
    if (u->serial && strcmp(u->serial, buf) != 0)
        return 0;
    buf[16] = '\0';
    trim(buf, ti->model, sizeof ti->model);
    return !u->model || strcmp(u->model, buf) == 0;
}

static int find_token(vault_keystore *ks, p11_device *d, const p11_uri *u, CK_SLOT_ID *slot,
                      CK_TOKEN_INFO *info)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = 64, i;
    char label[33], seen[512] = "";
    size_t used = 0;

    if (d->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        return vault__err(VAULT_ERROR, "%s: cannot list the slots of the PKCS#11 module", ks->path);
    for (i = 0; i < n; i++) {
        if (u->has_slot && slots[i] != u->slot)
            continue;
        if (d->f->C_GetTokenInfo(slots[i], info) != CKR_OK || !(info->flags & CKF_TOKEN_INITIALIZED))
            continue;
        if (token_matches(u, info, label)) {
            *slot = slots[i];
            snprintf(d->token, sizeof d->token, "%s", label);
            return 0;
        }
        if (used + 1 < sizeof seen) {
            int w = snprintf(seen + used, sizeof seen - used, "%s\"%s\"", used ? ", " : "", label);
            if (w > 0)
                used += (size_t)w;
        }
    }
    return vault__err(VAULT_ENOTFOUND, "%s: no token matching token=\"%s\"%s (tokens present: %s); "
                     "is the token inserted and the module the right one?", ks->path,
                     u->token ? u->token : "(any)", u->has_slot ? " in that slot" : "",
                     used ? seen : "none");
}

static int ask_pin(vault_keystore *ks, vault_secret **pin)
{
    int rc;
    *pin = NULL;
    if (!ks->password_cb)
        return VAULT_ENOTFOUND;
    rc = ks->password_cb(pin, VAULT_PASSWORD_STORE, ks->path, NULL, ks->payload);
    if (rc == 0 && !*pin)
        rc = VAULT_ENOTFOUND;
    return rc;
}

static int login(vault_keystore *ks, p11_device *d, const CK_TOKEN_INFO *info)
{
    vault_secret *pin = NULL;
    CK_RV rv;
    int rc;

    if (!(info->flags & CKF_LOGIN_REQUIRED))
        return 0;
    if (info->flags & CKF_USER_PIN_LOCKED)
        return vault__err(VAULT_EAUTH, "%s: the PIN of token \"%s\" is locked; reset it with the SO "
                         "PIN (pkcs11-tool --init-pin --login --login-type so)", ks->path, d->token);
    rc = ask_pin(ks, &pin);
    if (rc == VAULT_ENOTFOUND)
        return vault__err(VAULT_EAUTH, "%s: token \"%s\" needs its PIN (the keystore password)",
                         ks->path, d->token);
    if (rc != 0)
        return rc;
    rv = d->f->C_Login(d->session, CKU_USER, (CK_UTF8CHAR_PTR)vault_secret_data(pin),
                       (CK_ULONG)vault_secret_len(pin));
    vault_secret_free(pin);
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
        return 0;
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE)
        return vault__err(VAULT_EAUTH, "%s: wrong PIN for token \"%s\"", ks->path, d->token);
    if (rv == CKR_PIN_LOCKED)
        return vault__err(VAULT_EAUTH, "%s: the PIN of token \"%s\" is locked; reset it with the SO "
                         "PIN (pkcs11-tool --init-pin --login --login-type so)", ks->path, d->token);
    return vault__err(VAULT_EAUTH, "%s: cannot log in to token \"%s\": %s (0x%lx)", ks->path, d->token,
                     rv_text(rv), (unsigned long)rv);
}

/* Up to max handles of objects of class cls (and label / id when given). */
static CK_ULONG find_objects(p11_device *d, CK_OBJECT_CLASS cls, const char *label,
                             const unsigned char *id, size_t id_len, int has_id,
                             CK_OBJECT_HANDLE *out, CK_ULONG max)
{
    CK_ATTRIBUTE t[3];
    CK_ULONG n = 0, got = 0;

    t[n].type = CKA_CLASS; t[n].pValue = &cls; t[n].ulValueLen = sizeof cls; n++;
    if (label) {
        t[n].type = CKA_LABEL; t[n].pValue = (void *)label; t[n].ulValueLen = strlen(label); n++;
    }
    if (has_id) {
        t[n].type = CKA_ID; t[n].pValue = (void *)id; t[n].ulValueLen = id_len; n++;
    }
    if (d->f->C_FindObjectsInit(d->session, t, n) != CKR_OK)
        return 0;
    if (d->f->C_FindObjects(d->session, out, max, &got) != CKR_OK)
        got = 0;
    d->f->C_FindObjectsFinal(d->session);
    return got;
}

/* An attribute's value (vault__malloc; NULL with *len 0 when absent or sensitive). */
static unsigned char *get_attr(p11_device *d, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, size_t *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    unsigned char *buf;

    *len = 0;
    if (d->f->C_GetAttributeValue(d->session, h, &a, 1) != CKR_OK ||
        a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > KS_MAX_FILE)
        return NULL;
    buf = vault__malloc(a.ulValueLen ? a.ulValueLen : 1);
    if (!buf)
        return NULL;
    a.pValue = buf;
    if (d->f->C_GetAttributeValue(d->session, h, &a, 1) != CKR_OK) {
        vault__free_ptr(buf);
        return NULL;
    }
    *len = a.ulValueLen;
    return buf;
}

static void list_keys(p11_device *d, char *buf, size_t size)
{
    CK_OBJECT_HANDLE h[16];
    CK_ULONG n = find_objects(d, CKO_PRIVATE_KEY, NULL, NULL, 0, 0, h, 16), i;
    size_t used = 0, len;

    buf[0] = '\0';
    for (i = 0; i < n && used + 1 < size; i++) {
        unsigned char *l = get_attr(d, h[i], CKA_LABEL, &len);
        int w = snprintf(buf + used, size - used, "%s\"%.*s\"", used ? ", " : "", (int)len,
                         l ? (const char *)l : "");
        vault__free_ptr(l);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

/* One entry for private key h: its certificate by CKA_ID (else CKA_LABEL),
 * and a public EVP_PKEY that sends private operations to the token. */
static int add_key(vault_keystore *ks, p11_device *d, CK_OBJECT_HANDLE h)
{
    size_t label_len, id_len, n_len, e_len, der_len = 0;
    unsigned char *label = get_attr(d, h, CKA_LABEL, &label_len);
    unsigned char *id = get_attr(d, h, CKA_ID, &id_len);
    unsigned char *n = get_attr(d, h, CKA_MODULUS, &n_len);
    unsigned char *e = get_attr(d, h, CKA_PUBLIC_EXPONENT, &e_len);
    unsigned char *der = NULL;
    char alias[129];
    CK_OBJECT_HANDLE cert;
    CK_KEY_TYPE kt = 0;
    CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof kt};
    ks_entry *entry = NULL;
    EVP_PKEY *pkey = NULL;
    p11_key *key;
    int rc = 0;

    if (d->f->C_GetAttributeValue(d->session, h, &a, 1) != CKR_OK || kt != CKK_RSA)
        goto done; /* only RSA keys decrypt our values */
    if (label && label_len)
        snprintf(alias, sizeof alias, "%.*s", (int)(label_len < 128 ? label_len : 128), label);
    else if (id && id_len && id_len <= 64)
        sodium_bin2hex(alias, sizeof alias, id, id_len);
    else
        snprintf(alias, sizeof alias, "key%zu", d->nkeys + 1);
    if (!n || !e || !(pkey = ks_rsa_public(n, n_len, e, e_len))) {
        rc = vault__err(VAULT_EFORMAT, "%s: token \"%s\": key \"%s\" has no readable modulus", ks->path,
                       d->token, alias);
        goto done;
    }
    if (d->nkeys == MAX_KEYS) {
        rc = vault__err(VAULT_EINVAL, "%s: token \"%s\": more than %d keys; name one with object=",
                       ks->path, d->token, MAX_KEYS);
        goto done;
    }
    if ((rc = ks_add_entry(ks, alias, strlen(alias), VAULT_ENTRY_PRIVATE_KEY, &entry)) != 0)
        goto done;
    if ((id && id_len && find_objects(d, CKO_CERTIFICATE, NULL, id, id_len, 1, &cert, 1) == 1) ||
        ((!id || !id_len) && label && find_objects(d, CKO_CERTIFICATE, alias, NULL, 0, 0, &cert, 1) == 1))
        der = get_attr(d, cert, CKA_VALUE, &der_len);
    if (der && (rc = ks_entry_add_cert_der(ks, entry, der, der_len)) != 0)
        goto done;
    if (der && EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(entry->chain, 0)), pkey) != 1) {
        rc = vault__err(VAULT_EFORMAT, "%s: token \"%s\": the certificate of \"%s\" is not for its key",
                       ks->path, d->token, alias);
        goto done;
    }
    key = &d->keys[d->nkeys++];
    key->base.decrypt = p11_decrypt;
    key->base.k = (size_t)EVP_PKEY_get_size(pkey);
    key->dev = d;
    key->handle = h;
    if ((rc = ks_device_key_attach(pkey, &key->base)) != 0)
        goto done;
    entry->pkey = pkey;
    entry->unlocked = 1;
    pkey = NULL;
done:
    ERR_clear_error();
    EVP_PKEY_free(pkey);
    vault__free_ptr(label);
    vault__free_ptr(id);
    vault__free_ptr(n);
    vault__free_ptr(e);
    vault__free_ptr(der);
    return rc;
}

int ks_read_pkcs11(vault_keystore *ks)
{
    p11_uri u;
    p11_device *d;
    CK_SLOT_ID slot = 0;
    CK_TOKEN_INFO info;
    CK_OBJECT_HANDLE keys[MAX_KEYS];
    CK_ULONG n, i;
    char names[512];
    int rc;

    if ((rc = uri_parse(ks->path, &u)) != 0)
        return rc;
    d = vault__calloc(1, sizeof *d);
    if (!d) {
        uri_free(&u);
        return vault__oom();
    }
    pthread_mutex_init(&d->lock, NULL);
    ks->device = d;
    ks->device_close = device_close;
    ks->type = VAULT_KEYSTORE_PKCS11;
    if ((rc = module_get(ks, u.module ? u.module : DEFAULT_MODULE, &d->mod)) != 0)
        goto done;
    d->f = d->mod->f;
    if ((rc = find_token(ks, d, &u, &slot, &info)) != 0)
        goto done;
    if (d->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &d->session) != CKR_OK) {
        rc = vault__err(VAULT_ERROR, "%s: cannot open a session with token \"%s\"", ks->path, d->token);
        goto done;
    }
    d->session_open = 1;
    if ((rc = login(ks, d, &info)) != 0)
        goto done;
    n = find_objects(d, CKO_PRIVATE_KEY, u.object, u.id, u.id_len, u.has_id, keys, MAX_KEYS);
    for (i = 0; rc == 0 && i < n; i++)
        rc = add_key(ks, d, keys[i]);
    if (rc == 0 && ks->count == 0) {
        list_keys(d, names, sizeof names);
        rc = vault__err(VAULT_ENOTFOUND, "%s: no RSA private key%s%s%s on token \"%s\" (private keys: %s)",
                       ks->path, u.object ? " with label \"" : "", u.object ? u.object : "",
                       u.object ? "\"" : "", d->token, names);
    }
done:
    uri_free(&u);
    return rc;
}

/* ---- the key operation ---------------------------------------------------- */

static CK_MECHANISM_TYPE hash_mech(const EVP_MD *md, CK_RSA_PKCS_MGF_TYPE *mgf)
{
    switch (EVP_MD_get_type(md)) {
    case NID_sha1: *mgf = CKG_MGF1_SHA1; return CKM_SHA_1;
    case NID_sha224: *mgf = CKG_MGF1_SHA224; return CKM_SHA224;
    case NID_sha256: *mgf = CKG_MGF1_SHA256; return CKM_SHA256;
    case NID_sha384: *mgf = CKG_MGF1_SHA384; return CKM_SHA384;
    case NID_sha512: *mgf = CKG_MGF1_SHA512; return CKM_SHA512;
    default: return CKM_VENDOR_DEFINED;
    }
}

static int p11_decrypt(ks_device_key *base, int raw, const EVP_MD *md, const EVP_MD *mgf1,
                       const unsigned char *label, size_t label_len, const unsigned char *in,
                       size_t in_len, unsigned char *out, size_t *out_len)
{
    p11_key *key = (p11_key *)base;
    p11_device *d = key->dev;
    CK_RSA_PKCS_OAEP_PARAMS oaep;
    CK_MECHANISM mech = {CKM_RSA_X_509, NULL, 0};
    CK_RSA_PKCS_MGF_TYPE unused;
    CK_ULONG n = (CK_ULONG)*out_len;
    CK_RV rv;

    if (!raw && !md) {
        mech.mechanism = CKM_RSA_PKCS;
    } else if (!raw) {
        memset(&oaep, 0, sizeof oaep);
        oaep.hashAlg = hash_mech(md, &unused);
        hash_mech(mgf1, &oaep.mgf);
        if (oaep.hashAlg == CKM_VENDOR_DEFINED || hash_mech(mgf1, &unused) == CKM_VENDOR_DEFINED)
            return KS_DEVICE_UNSUPPORTED;
        oaep.source = CKZ_DATA_SPECIFIED;
        oaep.pSourceData = label_len ? (void *)label : NULL;
        oaep.ulSourceDataLen = (CK_ULONG)label_len;
        mech.mechanism = CKM_RSA_PKCS_OAEP;
        mech.pParameter = &oaep;
        mech.ulParameterLen = sizeof oaep;
    }
    pthread_mutex_lock(&d->lock);
    rv = d->f->C_DecryptInit(d->session, &mech, key->handle);
    if (rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID || rv == CKR_ARGUMENTS_BAD) {
        pthread_mutex_unlock(&d->lock);
        return KS_DEVICE_UNSUPPORTED;
    }
    if (rv == CKR_OK)
        rv = d->f->C_Decrypt(d->session, (CK_BYTE_PTR)in, (CK_ULONG)in_len, out, &n);
    pthread_mutex_unlock(&d->lock);
    if (rv != CKR_OK)
        return 0;
    *out_len = n;
    return 1;
}
