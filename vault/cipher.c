/* SPDX-License-Identifier: Apache-2.0 */
/* The sealing and opening front end: names, recipients, sealers, openers,
 * inspection; dispatches to the native and WSO2 formats. */
#include "token_native.h"
#include "token_wso2.h"

#include <openssl/err.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

/* ---- names -------------------------------------------------------------- */

static const char *const format_names[] = {NULL, "native", "wso2", "wso2-holder", "wso2-symmetric"};

int vault_format_from_name(vault_format *out, const char *name)
{
    size_t i;
    if (!out || !name)
        return vault__err(VAULT_EINVAL, "vault_format_from_name: %s is NULL", out ? "name" : "out");
    for (i = 1; i < sizeof format_names / sizeof format_names[0]; i++)
        if (vault__strcaseeq(name, format_names[i])) {
            *out = (vault_format)i;
            return 0;
        }
    return vault__err(VAULT_EFORMAT, "unknown format \"%.64s\" (native, wso2, wso2-holder or wso2-symmetric)",
                      name);
}

const char *vault_format_name(vault_format format)
{
    if (format >= VAULT_FORMAT_NATIVE && format <= VAULT_FORMAT_WSO2_SYMMETRIC)
        return format_names[format];
    return "unknown";
}

/* ---- recipients --------------------------------------------------------- */

static int recipient_from_cert(vault_recipient **out, X509 *cert, const char *where)
{
    vault_recipient *r;
    unsigned char *der = NULL;
    int len;

    *out = NULL;
    r = vault__calloc(1, sizeof *r);
    if (!r) {
        X509_free(cert);
        return vault__oom();
    }
    r->cert = cert;
    r->pub = X509_get_pubkey(cert);
    if (!r->pub || !(EVP_PKEY_is_a(r->pub, "RSA") || EVP_PKEY_is_a(r->pub, "RSA-PSS") ||
                     ec_stanza_type(r->pub) != 0)) {
        vault_recipient_free(r);
        ERR_clear_error();
        return vault__err(VAULT_EFORMAT, "%s: the certificate's key is not RSA, EC P-256/P-384/P-521, "
                         "X25519 or Ed25519", where);
    }
    len = i2d_X509(cert, &der);
    if (len <= 0) {
        vault_recipient_free(r);
        return vault__err_ssl(VAULT_EFORMAT, "%s: cannot encode the certificate", where);
    }
    EVP_Digest(der, (size_t)len, r->sha1, NULL, EVP_sha1(), NULL);
    EVP_Digest(der, (size_t)len, r->sha256, NULL, EVP_sha256(), NULL);
    OPENSSL_free(der);
    /* Native stanzas name RSA keys by certificate, the others by key. */
    if (ec_stanza_type(r->pub) == 0)
        memcpy(r->id, r->sha256, sizeof r->id);
    else if (ec_key_id(r->pub, r->id) != 0) {
        vault_recipient_free(r);
        return vault__err(VAULT_EFORMAT, "%s: cannot encode the certificate's public key", where);
    }
    vault__hex(r->key_id, r->id, sizeof r->id, 0);
    vault__hex(r->thumbprint, r->sha256, sizeof r->sha256, 0);
    *out = r;
    return 0;
}

/* A key entry without certificate (a PEM or PKCS#8 key alone, or a bare
 * public key): an EC, X25519 or Ed25519 key is named by its public key, so
 * its public half is recipient enough; an RSA key is named by a certificate
 * it lacks. A private key is unlocked (asking for its password) to read the
 * public half. */
static int recipient_from_key(vault_recipient **out, const vault_keystore *ks, const char *alias,
                              const char *where)
{
    vault_recipient *r;
    EVP_PKEY *key;
    unsigned char *der = NULL;
    const unsigned char *p;
    int len, rc;

    /* Unlocking caches the key in the keystore, behind its own lock. */
    if ((rc = ks_public_key((vault_keystore *)ks, alias, &key)) != 0)
        return rc;
    if (ec_stanza_type(key) == 0)
        return vault__err(VAULT_EFORMAT, "%s has no certificate to seal to (the native format names "
                         "an RSA recipient by its certificate; only EC, X25519 and Ed25519 keys "
                         "can be sealed to without one)", where);
    if (!(r = vault__calloc(1, sizeof *r)))
        return vault__oom();
    /* The public half only: the recipient never holds the private key. */
    len = i2d_PUBKEY(key, &der);
    p = der;
    if (len > 0)
        r->pub = d2i_PUBKEY(NULL, &p, len);
    OPENSSL_free(der);
    if (!r->pub || ec_key_id(r->pub, r->id) != 0) {
        vault_recipient_free(r);
        return vault__err_ssl(VAULT_EFORMAT, "%s: cannot encode the public key", where);
    }
    vault__hex(r->key_id, r->id, sizeof r->id, 0);
    *out = r;
    return 0;
}

/* A keystore file (PKCS#12, JKS, JCEKS) without a private-key entry is a
 * truststore: which of its certificates to seal to is the caller's choice,
 * never its first one. */
static int truststore_without_alias(const vault_keystore *ks)
{
    vault_keystore_type t = vault_keystore_get_type(ks);
    const vault_keystore_entry *e;
    size_t i, n = vault_keystore_count(ks);

    if (t != VAULT_KEYSTORE_PKCS12 && t != VAULT_KEYSTORE_JKS && t != VAULT_KEYSTORE_JCEKS)
        return 0;
    for (i = 0; i < n; i++)
        if (vault_keystore_entry_at(&e, ks, i) == 0 && e->kind == VAULT_ENTRY_PRIVATE_KEY)
            return 0;
    return vault__err(VAULT_EINVAL, "%s holds no private-key entry (a truststore?): refusing to "
                     "pick one of its %zu certificates to seal to; name the certificate's alias",
                     vault_keystore_path(ks), n);
}

/* alias NULL: the only entry of a one-entry store (a bare certificate),
 * else the only key entry, else for a certificate bundle (leaf first, then
 * its issuers) its first certificate, as vault_keystore_verify() picks it.
 * A truststore file needs the alias. */
static int find_entry(const vault_keystore *ks, const char *alias, const vault_keystore_entry **e)
{
    size_t i, n = vault_keystore_count(ks);
    int rc;

    if (!alias && (rc = truststore_without_alias(ks)) != 0)
        return rc;
    if (!alias && n == 1)
        return vault_keystore_entry_at(e, ks, 0);
    rc = vault_keystore_find(e, ks, alias);
    if (rc == 0 || alias || n == 0)
        return rc;
    for (i = 0; i < n; i++)
        if (vault_keystore_entry_at(e, ks, i) != 0 || (*e)->kind != VAULT_ENTRY_TRUSTED_CERT)
            return rc;
    vault_error_clear();
    return vault_keystore_entry_at(e, ks, 0);
}

int vault_recipient_from_keystore(vault_recipient **out, const vault_keystore *ks, const char *alias)
{
    const vault_keystore_entry *e;
    const unsigned char *der, *p;
    size_t len;
    char where[512];
    X509 *cert;
    int rc;

    if (!out || !ks)
        return vault__err(VAULT_EINVAL, "vault_recipient_from_keystore: invalid argument");
    *out = NULL;
    if ((rc = find_entry(ks, alias, &e)) != 0)
        return rc;
    snprintf(where, sizeof where, "%s: alias \"%s\"", vault_keystore_path(ks), e->alias);
    if ((e->kind == VAULT_ENTRY_PRIVATE_KEY && e->chain_length == 0) || e->kind == VAULT_ENTRY_PUBLIC_KEY)
        return recipient_from_key(out, ks, e->alias, where);
    if (e->kind == VAULT_ENTRY_SECRET_KEY || vault_keystore_cert_der(&der, &len, ks, e->alias, 0) != 0)
        return vault__err(VAULT_EFORMAT, "%s has no certificate to seal to", where);
    p = der;
    cert = d2i_X509(NULL, &p, (long)len);
    if (!cert) {
        ERR_clear_error();
        return vault__err(VAULT_EFORMAT, "%s: malformed certificate", where);
    }
    return recipient_from_cert(out, cert, where);
}

const char *vault_recipient_key_id(const vault_recipient *r)
{
    return r ? r->key_id : NULL;
}

int vault_key_id_parse(char *out, size_t size, const char *text, size_t digits)
{
    size_t n = 0, max;
    const char *p;

    if (!out || !text || size == 0 || (digits && size < digits + 1))
        return vault__err(VAULT_EINVAL, "vault_key_id_parse: invalid argument");
    max = digits ? digits : size - 1;
    for (p = text; *p; p++) {
        int v = vault__hex_digit((unsigned char)*p);
        if (*p == ':')
            continue;
        if (v < 0 || n == max)
            break;
        out[n++] = "0123456789abcdef"[v];
    }
    if (*p || n == 0 || (digits && n != digits)) {
        out[0] = '\0';
        return vault__err(VAULT_EFORMAT, "\"%.80s\" is not a key id (%zu hex digits, colons allowed)", text,
                         digits ? digits : max);
    }
    out[n] = '\0';
    return 0;
}

const char *vault_recipient_thumbprint(const vault_recipient *r)
{
    return r ? r->thumbprint : NULL;
}

const char *vault_recipient_key_id_type(const vault_recipient *r)
{
    if (!r)
        return NULL;
    /* An RSA recipient is named by its certificate, others by the key. */
    return memcmp(r->id, r->sha256, sizeof r->id) == 0 ? "cert-sha256" : "spki-sha256";
}

void vault_recipient_free(vault_recipient *r)
{
    if (!r)
        return;
    EVP_PKEY_free(r->pub);
    X509_free(r->cert);
    vault__free_ptr(r);
}

static int recipient_dup(vault_recipient **out, const vault_recipient *r)
{
    vault_recipient *d = vault__malloc(sizeof *d);
    if (!d)
        return vault__oom();
    *d = *r;
    if (d->cert)
        X509_up_ref(d->cert);
    EVP_PKEY_up_ref(d->pub);
    *out = d;
    return 0;
}

/* ---- sealing ------------------------------------------------------------ */

struct vault_sealer {
    vault_format format;
    vault_transformation transformation;
    vault_recipient *rsa;    /* WSO2 RSA forms: our copy */
    vault_secret *aes_key;   /* WSO2 symmetric */
    native_sealer *native;
};

static int check_seal_options(const vault_seal_options *o, vault_format f)
{
    if (o->version != VAULT_SEAL_OPTIONS_VERSION)
        return vault__err(VAULT_EINVAL, "vault_seal_options: unknown version %u", o->version);
    if (f < VAULT_FORMAT_NATIVE || f > VAULT_FORMAT_WSO2_SYMMETRIC)
        return vault__err(VAULT_EINVAL, "unknown value format %d", (int)f);
    if ((unsigned)o->transformation > VAULT_TRANSFORM_RSA_OAEP_SHA256)
        return vault__err(VAULT_EINVAL, "unknown transformation %d", (int)o->transformation);
    if (o->recipient_count && !o->recipients)
        return vault__err(VAULT_EINVAL, "vault_seal_options: no recipient array");
    if (f == VAULT_FORMAT_WSO2_SYMMETRIC) {
        if (!o->symmetric_key)
            return vault__err(VAULT_EINVAL, "the WSO2 symmetric format needs an AES key");
        if (vault_secret_len(o->symmetric_key) != 16 && vault_secret_len(o->symmetric_key) != 24 &&
            vault_secret_len(o->symmetric_key) != 32)
            return vault__err(VAULT_EINVAL, "an AES key has 16, 24 or 32 bytes, not %zu",
                             vault_secret_len(o->symmetric_key));
    } else if (f != VAULT_FORMAT_NATIVE && o->recipient_count != 1) {
        return vault__err(VAULT_EINVAL, "the %s format seals to exactly one certificate, not %zu; "
                         "the native format takes several", vault_format_name(f), o->recipient_count);
    }
    return 0;
}

int vault_sealer_new(vault_sealer **out, const vault_seal_options *opts)
{
    vault_sealer *s = NULL;
    vault_format f;
    int rc;

    if (!out || !opts)
        return vault__err(VAULT_EINVAL, "vault_sealer_new: invalid argument");
    *out = NULL;
    if (vault__ensure_init() != 0)
        return VAULT_ERROR;
    f = opts->format ? opts->format : VAULT_FORMAT_NATIVE;
    if ((rc = check_seal_options(opts, f)) != 0)
        return rc;
    s = vault__calloc(1, sizeof *s);
    if (!s)
        return vault__oom();
    s->format = f;
    s->transformation = opts->transformation;
    if (f == VAULT_FORMAT_NATIVE)
        rc = native_sealer_new(&s->native, opts->recipients, opts->recipient_count);
    else if (f == VAULT_FORMAT_WSO2_SYMMETRIC)
        rc = vault_secret_new(&s->aes_key, vault_secret_data(opts->symmetric_key),
                              vault_secret_len(opts->symmetric_key));
    else if (!opts->recipients[0])
        rc = vault__err(VAULT_EINVAL, "vault_seal_options: NULL recipient");
    else if (ec_stanza_type(opts->recipients[0]->pub) != 0)
        rc = vault__err(VAULT_EINVAL, "the %s format needs an RSA certificate; the key of %s is %s "
                       "(the native format seals to it)", vault_format_name(f),
                       opts->recipients[0]->key_id, EVP_PKEY_get0_type_name(opts->recipients[0]->pub));
    else
        rc = recipient_dup(&s->rsa, opts->recipients[0]);
    if (rc != 0) {
        vault_sealer_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int vault_sealer_seal(char **out, vault_sealer *s, const char *alias, const void *plaintext,
                      size_t len)
{
    if (!s || !out || (!plaintext && len))
        return vault__err(VAULT_EINVAL, "vault_sealer_seal: invalid argument");
    *out = NULL;
    if (!plaintext)
        plaintext = "";
    switch (s->format) {
    case VAULT_FORMAT_NATIVE:
        return native_seal(s->native, alias, plaintext, len, out);
    case VAULT_FORMAT_WSO2_SYMMETRIC:
        return wso2_seal_symmetric(s->aes_key, plaintext, len, out);
    default:
        return wso2_seal_rsa(s->rsa, s->transformation, s->format == VAULT_FORMAT_WSO2_HOLDER,
                             plaintext, len, out);
    }
}

void cipher_sealer_kind(const vault_sealer *s, vault_format *format, vault_transformation *transformation)
{
    int rsa = s->format == VAULT_FORMAT_WSO2 || s->format == VAULT_FORMAT_WSO2_HOLDER;
    *format = s->format;
    *transformation = !rsa ? VAULT_TRANSFORM_DEFAULT
                      : s->transformation == VAULT_TRANSFORM_DEFAULT ? VAULT_TRANSFORM_RSA_OAEP_SHA1
                                                                     : s->transformation;
}

void vault_sealer_free(vault_sealer *s)
{
    if (!s)
        return;
    native_sealer_free(s->native);
    vault_recipient_free(s->rsa);
    vault_secret_free(s->aes_key);
    vault__free_ptr(s);
}

/* ---- opening ------------------------------------------------------------ */

struct vault_opener {
    vault_keystore *ks;
    char *key_alias;
    vault_secret *aes_key;
    vault_transformation transformation;
    int refuse_pkcs1;   /* no PKCS#1 v1.5 value opens (policy, or OAEP configured) */
    native_cache *cache;
    vault_store *store; /* borrowed: where native values are opened into, or NULL */
    ks_entry *proven;   /* the key entry a value proved to be its key (atomic), or NULL */
    vault_store *pool;  /* else here: no guarded region of its own per value */
};

int vault_opener_new(vault_opener **out, const vault_open_options *opts)
{
    vault_opener *o;
    unsigned int flags;
    int rc = 0;

    if (!out || !opts)
        return vault__err(VAULT_EINVAL, "vault_opener_new: invalid argument");
    *out = NULL;
    if (vault__ensure_init() != 0)
        return VAULT_ERROR;
    if (opts->version != 1 && opts->version != VAULT_OPEN_OPTIONS_VERSION)
        return vault__err(VAULT_EINVAL, "vault_open_options: unknown version %u", opts->version);
    if ((unsigned)opts->transformation > VAULT_TRANSFORM_RSA_OAEP_SHA256)
        return vault__err(VAULT_EINVAL, "unknown transformation %d", (int)opts->transformation);
    /* Version 1 structures end before flags. */
    flags = opts->version >= 2 ? opts->flags : 0;
    if (flags & ~(unsigned)VAULT_OPENER_REFUSE_PKCS1)
        return vault__err(VAULT_EINVAL, "vault_open_options: unknown flags 0x%x", flags);
    if ((flags & VAULT_OPENER_REFUSE_PKCS1) && opts->transformation == VAULT_TRANSFORM_RSA_PKCS1)
        return vault__err(VAULT_EINVAL, "refusing RSA PKCS#1 v1.5 values contradicts the "
                         "transformation %s", vault_transformation_name(opts->transformation));
    if (!opts->keystore && !opts->symmetric_key)
        return vault__err(VAULT_EINVAL, "vault_opener_new: a keystore or an AES key is needed");
    o = vault__calloc(1, sizeof *o);
    if (!o)
        return vault__oom();
    o->ks = opts->keystore;
    o->transformation = opts->transformation;
    /* An OAEP transformation never lets a holder's "t" weaken it. */
    o->refuse_pkcs1 = (flags & VAULT_OPENER_REFUSE_PKCS1) ||
                      opts->transformation == VAULT_TRANSFORM_RSA_OAEP_SHA1 ||
                      opts->transformation == VAULT_TRANSFORM_RSA_OAEP_SHA256;
    if (opts->key_alias && !(o->key_alias = vault__strdup(opts->key_alias)))
        rc = vault__oom();
    if (rc == 0 && opts->symmetric_key)
        rc = vault_secret_new(&o->aes_key, vault_secret_data(opts->symmetric_key),
                              vault_secret_len(opts->symmetric_key));
    if (rc == 0)
        rc = native_cache_new(&o->cache);
    if (rc == 0)
        rc = vault__store_pool_new(&o->pool);
    if (rc != 0) {
        vault_opener_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

void vault__opener_set_store(vault_opener *o, vault_store *st)
{
    if (o)
        o->store = st;
}

const vault_keystore *vault__opener_keystore(const vault_opener *o, const char **key_alias)
{
    if (key_alias)
        *key_alias = o ? o->key_alias : NULL;
    return o ? o->ks : NULL;
}

static int no_keystore(void)
{
    return vault__err(VAULT_EINVAL, "opening this value needs a keystore with its private key");
}

static int refused_holder(const vault_opener *o, const char *alias)
{
    char why[128];

    if (o->transformation != VAULT_TRANSFORM_DEFAULT)
        snprintf(why, sizeof why, "the transformation is %s", vault_transformation_name(o->transformation));
    else
        snprintf(why, sizeof why, "PKCS#1 v1.5 values are refused");
    return vault__err(VAULT_EFORMAT, "value%s%s%s is RSA PKCS#1 v1.5 (its holder names \"RSA\"), "
                     "a legacy padding not taken here: %s", alias ? " of alias \"" : "",
                     alias ? alias : "", alias ? "\"" : "", why);
}

static int open_rsa(vault_opener *o, const char *alias, const wso2_value *v, vault_secret **out,
                    unsigned int *flags)
{
    EVP_PKEY *pkey;
    ks_entry *e;
    const unsigned char *sha1 = NULL, *sha256 = NULL;
    char where[4200];
    vault_transformation opened_as = VAULT_TRANSFORM_DEFAULT;
    int bound = 0, rc;

    if (!o->ks)
        return no_keystore();
    if (o->refuse_pkcs1 && v->format == VAULT_FORMAT_WSO2_HOLDER &&
        v->transformation == VAULT_TRANSFORM_RSA_PKCS1)
        return refused_holder(o, alias);
    if ((rc = ks_private_key(o->ks, o->key_alias, &pkey, &e)) != 0)
        return rc;
    if (e->info.has_certificate) {
        sha1 = e->info.sha1;
        sha256 = e->info.sha256;
    }
    snprintf(where, sizeof where, "keystore %s, alias \"%s\"", vault_keystore_path(o->ks), e->alias);
    rc = wso2_open_rsa(pkey, sha1, sha256, where, o->transformation, !o->refuse_pkcs1, v, out,
                       &opened_as, &bound);
    if (rc == 0 && opened_as == VAULT_TRANSFORM_RSA_PKCS1)
        *flags |= VAULT_OPENED_LEGACY;
    if (rc == 0 && opened_as == VAULT_TRANSFORM_RSA_PKCS1 && !bound)
        *flags |= VAULT_OPENED_UNPROVEN;
    if (rc == 0 && opened_as == VAULT_TRANSFORM_RSA_OAEP_SHA256)
        *flags |= VAULT_OPENED_OAEP_SHA256;
    if (rc == 0 && bound)
        __atomic_store_n(&o->proven, e, __ATOMIC_RELAXED);
    return rc;
}

/* A native value that opened was bound to the key by its AEAD. The entry is
 * the one RSA values are opened with (key_alias, else the only key entry);
 * when native_open picked another entry by its certificate, RSA values do
 * not open with this opener at all. */
static void native_proved(vault_opener *o)
{
    ks_entry *e = NULL;

    if (ks_find(o->ks, o->key_alias, &e) == 0 && e->info.kind == VAULT_ENTRY_PRIVATE_KEY)
        __atomic_store_n(&o->proven, e, __ATOMIC_RELAXED);
}

int vault_opener_reseal_check(const vault_opener *o, unsigned int opened_flags, const char *path,
                              const char *alias)
{
    ks_entry *e = NULL;
    char where[4200];

    if (!o)
        return vault__err(VAULT_EINVAL, "vault_opener_reseal_check: invalid argument");
    if (!(opened_flags & VAULT_OPENED_UNPROVEN))
        return 0;
    if (o->ks && ks_find(o->ks, o->key_alias, &e) == 0 &&
        __atomic_load_n(&o->proven, __ATOMIC_RELAXED) == e)
        return 0;
    if (e)
        snprintf(where, sizeof where, "keystore %s, alias \"%s\"", vault_keystore_path(o->ks), e->alias);
    return wso2_reseal_allowed(1, 0, path, alias, e ? where : NULL);
}

int vault_opener_key_is_configured(const vault_opener *o, const char *config)
{
    vault_options opts = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;
    struct stat ours, theirs;
    ks_entry *e = NULL;
    int rc;

    if (!o || !config)
        return vault__err(VAULT_EINVAL, "vault_opener_key_is_configured: invalid argument");
    if (!o->ks || (rc = ks_find(o->ks, o->key_alias, &e)) != 0)
        return vault__err(VAULT_EINVAL, "%s: the opener has no key entry to compare", config);
    opts.config = config;
    rc = vault_locate(&loc, &opts);
    if (rc != 0 || !loc->keystore) {
        vault_location_free(loc);
        return vault__err(VAULT_ENOTFOUND, "%s: no keystore is configured for it (deployment.toml, "
                         "secret-conf.properties, carbon.xml): the server's key is unknown", config);
    }
    if (stat(loc->keystore, &theirs) != 0 || stat(vault_keystore_path(o->ks), &ours) != 0 ||
        ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino)
        rc = vault__err(VAULT_EKEY, "%s: the server's keystore is %s (%s), not %s", config, loc->keystore,
                       loc->keystore_origin ? loc->keystore_origin : "configured",
                       vault_keystore_path(o->ks));
    else if (loc->key_alias && !vault__strcaseeq(loc->key_alias, e->alias))
        rc = vault__err(VAULT_EKEY, "%s: the server's key is alias \"%s\" of %s (%s), not \"%s\"", config,
                       loc->key_alias, loc->keystore,
                       loc->keystore_origin ? loc->keystore_origin : "configured", e->alias);
    else
        rc = 0;
    vault_location_free(loc);
    return rc;
}

static int open_symmetric(vault_opener *o, const wso2_value *v, vault_secret **out)
{
    vault_secret *key = NULL;
    int rc;

    if (o->aes_key)
        return wso2_open_symmetric(o->aes_key, v, out);
    if (!o->ks)
        return vault__err(VAULT_EINVAL, "opening a WSO2 symmetric value needs an AES key");
    if ((rc = vault_keystore_secret_key(&key, o->ks, o->key_alias)) != 0)
        return rc;
    rc = wso2_open_symmetric(key, v, out);
    vault_secret_free(key);
    return rc;
}

int vault_opener_open(vault_secret **out, unsigned int *flags, vault_opener *o, const char *alias,
                      const char *value)
{
    wso2_value v;
    unsigned int f = 0;
    int rc;

    if (flags)
        *flags = 0;
    if (!o || !value || !out)
        return vault__err(VAULT_EINVAL, "vault_opener_open: invalid argument");
    *out = NULL;
    if (native_is(value)) {
        if (!o->ks)
            return no_keystore();
        rc = native_open(o->cache, o->ks, o->key_alias, alias, value,
                         o->store ? o->store : o->pool, out);
        if (rc == 0)
            native_proved(o);
        return rc;
    }
    if ((rc = wso2_parse(value, &v)) != 0)
        return rc;
    if (v.format == VAULT_FORMAT_WSO2_SYMMETRIC)
        rc = open_symmetric(o, &v, out);
    else
        rc = open_rsa(o, alias, &v, out, &f);
    wso2_value_clear(&v);
    if (rc == 0 && flags)
        *flags = f;
    return rc;
}

void vault_opener_free(vault_opener *o)
{
    if (!o)
        return;
    native_cache_free(o->cache);
    vault_secret_free(o->aes_key);
    vault__store_release(o->pool); /* the secrets handed out keep it until freed */
    vault__free_ptr(o->key_alias);
    vault__free_ptr(o);
}

/* ---- rewrapping --------------------------------------------------------- */

struct vault_rewrapper {
    native_rewrapper *native;
    vault_recipient **add; /* our copies; native borrows them */
    size_t nadd;
};

static int parse_key_ids(const vault_rewrap_options *o, unsigned char (**ids)[32])
{
    size_t i, len;

    *ids = NULL;
    if (o->remove_count == 0)
        return 0;
    if (!o->remove_key_ids)
        return vault__err(VAULT_EINVAL, "vault_rewrap_options: no key id array");
    if (!(*ids = vault__calloc(o->remove_count, sizeof **ids)))
        return vault__oom();
    for (i = 0; i < o->remove_count; i++) {
        const char *h = o->remove_key_ids[i];
        char hex[65];
        if (!h || vault_key_id_parse(hex, sizeof hex, h, 64) != 0 ||
            sodium_hex2bin((*ids)[i], 32, hex, 64, NULL, &len, NULL) != 0 || len != 32)
            return vault__err(VAULT_EINVAL, "\"%s\" is not a key id (64 hex digits of a SHA-256 "
                             "certificate fingerprint)", h ? h : "(null)");
    }
    return 0;
}

int vault_rewrapper_new(vault_rewrapper **out, const vault_rewrap_options *opts)
{
    vault_rewrapper *rw = NULL;
    unsigned char (*ids)[32] = NULL;
    size_t i;
    int rc;

    if (!out || !opts)
        return vault__err(VAULT_EINVAL, "vault_rewrapper_new: invalid argument");
    *out = NULL;
    if (vault__ensure_init() != 0)
        return VAULT_ERROR;
    if (opts->version != VAULT_REWRAP_OPTIONS_VERSION)
        return vault__err(VAULT_EINVAL, "vault_rewrap_options: unknown version %u", opts->version);
    if (!opts->keystore || (opts->add_count && !opts->add))
        return vault__err(VAULT_EINVAL, "vault_rewrapper_new: a keystore is needed");
    if ((rc = parse_key_ids(opts, &ids)) != 0)
        goto done;
    rw = vault__calloc(1, sizeof *rw);
    if (!rw || (opts->add_count && !(rw->add = vault__calloc(opts->add_count, sizeof *rw->add)))) {
        rc = vault__oom();
        goto done;
    }
    for (i = 0; i < opts->add_count && rc == 0; i++) {
        if (!opts->add[i])
            rc = vault__err(VAULT_EINVAL, "vault_rewrap_options: NULL recipient");
        else if ((rc = recipient_dup(&rw->add[i], opts->add[i])) == 0)
            rw->nadd++;
    }
    if (rc == 0)
        rc = native_rewrapper_new(&rw->native, opts->keystore, opts->key_alias,
                                  (const vault_recipient *const *)rw->add, rw->nadd,
                                  (const unsigned char (*)[32])ids, opts->remove_count,
                                  opts->replace);
    if (rc == 0) {
        *out = rw;
        rw = NULL;
    }
done:
    vault__free_ptr(ids);
    vault_rewrapper_free(rw);
    return rc;
}

int vault_rewrapper_rewrap(char **out, vault_rewrapper *rw, const char *alias, const char *value)
{
    if (!rw || !value || !out)
        return vault__err(VAULT_EINVAL, "vault_rewrapper_rewrap: invalid argument");
    *out = NULL;
    if (!native_is(value))
        return vault__err(VAULT_EFORMAT, "value of alias \"%s\" is not in the native format; only "
                         "native values have recipients to change (rotate it instead)",
                         alias ? alias : "");
    return native_rewrap(rw->native, alias, value, out);
}

void vault_rewrapper_free(vault_rewrapper *rw)
{
    size_t i;

    if (!rw)
        return;
    native_rewrapper_free(rw->native);
    for (i = 0; i < rw->nadd; i++)
        vault_recipient_free(rw->add[i]);
    vault__free_ptr(rw->add);
    vault__free_ptr(rw);
}

/* ---- inspection --------------------------------------------------------- */

/* The description and the storage its pointers may use. */
typedef struct info_box {
    vault_value_info info; /* first: vault_value_info_free() casts back */
    const char *ids[1];
    char id[65];
} info_box;

int vault_inspect(vault_value_info **out, const char *value)
{
    info_box *box;
    wso2_value v;
    int rc;

    if (!value || !out)
        return vault__err(VAULT_EINVAL, "vault_inspect: invalid argument");
    *out = NULL;
    if (vault__ensure_init() != 0)
        return VAULT_ERROR;
    box = vault__calloc(1, sizeof *box);
    if (!box)
        return vault__oom();
    if (native_is(value)) {
        rc = native_inspect(value, &box->info);
        if (rc != 0)
            native_info_release(&box->info);
    } else if ((rc = wso2_parse(value, &v)) == 0) {
        if ((rc = wso2_check_keyless(&v)) == 0)
            wso2_describe(&v, &box->info, box->id, box->ids);
        wso2_value_clear(&v);
    }
    if (rc != 0) {
        vault__free_ptr(box);
        return rc;
    }
    *out = &box->info;
    return 0;
}

int vault_recipient_fits(const vault_recipient *r, const vault_value_info *info)
{
    size_t i;

    if (!r || !info)
        return vault__err(VAULT_EINVAL, "vault_recipient_fits: invalid argument");
    switch (info->format) {
    case VAULT_FORMAT_NATIVE:
        for (i = 0; info->key_ids && i < info->recipient_count; i++)
            if (strcmp(info->key_ids[i], r->key_id) == 0)
                return 0;
        return vault__err(VAULT_EKEY, "no recipient has key id %s", r->key_id);
    case VAULT_FORMAT_WSO2:
    case VAULT_FORMAT_WSO2_HOLDER:
        return wso2_fits_recipient(r, info);
    default:
        return 0; /* a symmetric value names no key */
    }
}

void vault_value_info_free(vault_value_info *info)
{
    if (!info)
        return;
    if (info->format == VAULT_FORMAT_NATIVE)
        native_info_release(info);
    vault__free_ptr(info);
}
