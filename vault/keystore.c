/* Keystore core: open, sniff, dispatch to the format readers, entries, lookup. */
#include "keystore_internal.h"
#include "keystore_pkcs11.h"
#include "keystore_tpm.h"

#include <errno.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- private keys ------------------------------------------------------ */

/* The eight numbers of a two-prime RSAPrivateKey (RFC 8017 A.1.2), in order,
 * as OpenSSL's RSA key manager names them. */
static const char *const rsa_params[8] = {
    OSSL_PKEY_PARAM_RSA_N,        OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,  OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

static void free_integers(STACK_OF(ASN1_TYPE) *seq)
{
    int i;
    for (i = 0; i < sk_ASN1_TYPE_num(seq); i++) {
        ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);
        if (t->type == V_ASN1_INTEGER)
            OPENSSL_cleanse(t->value.integer->data, (size_t)t->value.integer->length);
    }
    sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
}

/* The numbers of a two-prime RSAPrivateKey, or 0 (then the general decoder
 * decides). Like the decoder, no check that they make a key: a wrong one
 * fails the decryptions it is used for. */
static int rsa_numbers(const unsigned char *der, int len, BIGNUM *bn[8])
{
    const unsigned char *p = der;
    STACK_OF(ASN1_TYPE) *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len);
    int i, ok = seq && p == der + len && sk_ASN1_TYPE_num(seq) == 9;

    for (i = 0; ok && i < 9; i++)
        ok = sk_ASN1_TYPE_value(seq, i)->type == V_ASN1_INTEGER;
    if (ok)
        ok = ASN1_INTEGER_get(sk_ASN1_TYPE_value(seq, 0)->value.integer) == 0; /* version */
    for (i = 0; ok && i < 8; i++) {
        bn[i] = i < 2 ? BN_new() : BN_secure_new();
        ok = bn[i] && ASN1_INTEGER_to_BN(sk_ASN1_TYPE_value(seq, i + 1)->value.integer, bn[i]);
    }
    free_integers(seq);
    return ok;
}

/* OpenSSL 3.0's EVP_PKCS82PKEY() goes through the decoder framework, which
 * looks through every decoder on each call: about 1.5 ms, a tenth of a
 * whole start-up. An RSA key, what WSO2 keystores hold, is imported from
 * its numbers instead; anything else takes the general path. */
static EVP_PKEY *rsa_from_p8(const PKCS8_PRIV_KEY_INFO *p8)
{
    const ASN1_OBJECT *alg;
    const unsigned char *der;
    int len, i;
    BIGNUM *bn[8] = {NULL};
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;

    if (!PKCS8_pkey_get0(&alg, &der, &len, NULL, p8) || OBJ_obj2nid(alg) != NID_rsaEncryption ||
        !rsa_numbers(der, len, bn) || !(bld = OSSL_PARAM_BLD_new()))
        goto done;
    for (i = 0; i < 8; i++)
        if (!OSSL_PARAM_BLD_push_BN(bld, rsa_params[i], bn[i]))
            goto done;
    if ((params = OSSL_PARAM_BLD_to_param(bld)) && (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) &&
        EVP_PKEY_fromdata_init(ctx) > 0 && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
        pkey = NULL;
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* the private numbers were in its secure part: cleared */
    OSSL_PARAM_BLD_free(bld);
    for (i = 0; i < 8; i++)
        BN_clear_free(bn[i]);
    return pkey;
}

EVP_PKEY *ks_pkey_from_p8(const PKCS8_PRIV_KEY_INFO *p8)
{
    EVP_PKEY *pkey = rsa_from_p8(p8);
    if (pkey)
        return pkey;
    ERR_clear_error();
    return EVP_PKCS82PKEY(p8);
}

/* ---- keys held in a device ----------------------------------------------- */

static int device_index = -1;
static pthread_once_t device_index_once = PTHREAD_ONCE_INIT;

static void make_device_index(void)
{
    device_index = EVP_PKEY_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

int ks_device_key_attach(EVP_PKEY *pkey, ks_device_key *key)
{
    pthread_once(&device_index_once, make_device_index);
    if (device_index < 0 || !EVP_PKEY_set_ex_data(pkey, device_index, key))
        return vault_err(VAULT_ENOMEM, "out of memory");
    return 0;
}

int ks_device_decrypt(EVP_PKEY *pkey, int raw, const EVP_MD *md, const EVP_MD *mgf1,
                      const unsigned char *label, size_t label_len, const unsigned char *in,
                      size_t in_len, unsigned char *out, size_t *out_len)
{
    ks_device_key *key;
    size_t n = *out_len;
    int ok;

    pthread_once(&device_index_once, make_device_index);
    key = device_index >= 0 ? EVP_PKEY_get_ex_data(pkey, device_index) : NULL;
    if (!key)
        return KS_NOT_DEVICE;
    if (in_len != key->k || n < key->k)
        return 0;
    ok = key->decrypt(key, raw, md, mgf1, label, label_len, in, in_len, out, &n);
    if (ok != 1)
        return ok;
    if (n > key->k)
        return 0;
    if (raw && n < key->k) { /* some devices drop the leading zeros of the block */
        memmove(out + (key->k - n), out, n);
        memset(out, 0, key->k - n);
        n = key->k;
    }
    *out_len = n;
    return 1;
}

EVP_PKEY *ks_rsa_public(const unsigned char *n, size_t n_len, const unsigned char *e, size_t e_len)
{
    BIGNUM *bn = BN_bin2bn(n, (int)n_len, NULL), *be = BN_bin2bn(e, (int)e_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;

    if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) &&
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) && EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pkey;
}

/* The certificates of a PEM or DER file, leaf first, as a keystore of its own. */
int ks_device_add_cert_file(vault_keystore *ks, const char *cert_file)
{
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *certs = NULL;
    ks_entry *target = NULL, *from = NULL;
    size_t i, j;
    int rc;

    if (ks_is_pkcs11_uri(cert_file) || ks_is_tpm_uri(cert_file))
        return vault_err(VAULT_EINVAL, "%s: the certificate of a key is a file, not %s", ks->path,
                         cert_file);
    if ((rc = vault_keystore_open(&certs, cert_file, &o)) != 0)
        return rc;
    if (certs->type != VAULT_KEYSTORE_PEM && certs->type != VAULT_KEYSTORE_CERT) {
        rc = vault_err(VAULT_EFORMAT, "%s: %s is not a certificate file (PEM or DER)", ks->path,
                       cert_file);
        goto done;
    }
    for (i = 0; !target && i < certs->count; i++) {
        ks_entry *c = certs->entries[i];
        X509 *leaf = sk_X509_value(c->chain, 0);
        for (j = 0; leaf && !target && j < ks->count; j++) {
            ks_entry *e = ks->entries[j];
            if (e->pkey && EVP_PKEY_eq(X509_get0_pubkey(leaf), e->pkey) == 1) {
                target = e;
                from = c;
            }
        }
    }
    ERR_clear_error();
    if (!target) {
        rc = vault_err(VAULT_EKEY, "%s: the certificate in %s is not for a key of this keystore",
                       ks->path, cert_file);
        goto done;
    }
    if (target->info.chain_length > 0)
        goto done; /* the device holds it already */
    for (i = 0; rc == 0 && i < (size_t)sk_X509_num(from->chain); i++) {
        X509 *x = sk_X509_value(from->chain, (int)i);
        if (!X509_up_ref(x)) {
            rc = vault_err(VAULT_ENOMEM, "out of memory");
            break;
        }
        rc = ks_entry_add_cert(ks, target, x);
    }
done:
    vault_keystore_free(certs);
    return rc;
}

static const char *const type_names[] = {"AUTO", "PKCS12", "JKS", "JCEKS", "PEM", "CERT", "DIR",
                                          "PKCS11", "TPM2"};

const char *vault_keystore_type_name(vault_keystore_type type)
{
    if ((unsigned)type < sizeof type_names / sizeof type_names[0])
        return type_names[type];
    return "unknown";
}

int vault_keystore_type_from_name(const char *name)
{
    static const struct { const char *name; vault_keystore_type type; } names[] = {
        {"auto", VAULT_KEYSTORE_AUTO}, {"pkcs12", VAULT_KEYSTORE_PKCS12},
        {"p12", VAULT_KEYSTORE_PKCS12}, {"pfx", VAULT_KEYSTORE_PKCS12},
        {"jks", VAULT_KEYSTORE_JKS}, {"jceks", VAULT_KEYSTORE_JCEKS},
        {"pem", VAULT_KEYSTORE_PEM}, {"cert", VAULT_KEYSTORE_CERT},
        {"der", VAULT_KEYSTORE_CERT}, {"crt", VAULT_KEYSTORE_CERT}, {"dir", VAULT_KEYSTORE_DIR},
        {"pkcs11", VAULT_KEYSTORE_PKCS11}, {"tpm2", VAULT_KEYSTORE_TPM2},
    };
    size_t i;
    if (!name)
        return -1;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (vault_strcaseeq(name, names[i].name))
            return (int)names[i].type;
    return -1;
}

static int skip_space(const unsigned char *d, size_t n, size_t *i)
{
    /* A UTF-8 byte order mark and blank space may precede a PEM header. */
    if (n >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
        *i = 3;
    while (*i < n && (d[*i] == ' ' || d[*i] == '\t' || d[*i] == '\r' || d[*i] == '\n'))
        (*i)++;
    return *i < n;
}

/* Text before the first PEM block, as `openssl x509 -text` writes it
 * ("Certificate: Data: ..."): printable text up to a line that starts
 * "-----BEGIN ". Binary data never qualifies: a NUL or other control byte
 * before the line ends the search. */
static int pem_after_text(const unsigned char *d, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char ch = d[i];
        if ((i == 0 || d[i - 1] == '\n') && n - i >= 11 && memcmp(d + i, "-----BEGIN ", 11) == 0)
            return 1;
        if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t')
            return 0;
        if (ch == 0x7F)
            return 0;
    }
    return 0;
}

vault_keystore_type ks_sniff(const unsigned char *d, size_t n, const char **unsupported)
{
    size_t i = 0;

    *unsupported = NULL;
    if (n >= 4 && d[0] == 0xFE && d[1] == 0xED && d[2] == 0xFE && d[3] == 0xED)
        return VAULT_KEYSTORE_JKS;
    if (n >= 4 && d[0] == 0xCE && d[1] == 0xCE && d[2] == 0xCE && d[3] == 0xCE)
        return VAULT_KEYSTORE_JCEKS;
    /* BKS and UBER (Bouncy Castle): a 4-byte version 1 or 2, then a
     * 4-byte salt length, typically 20. */
    if (n >= 8 && d[0] == 0 && d[1] == 0 && d[2] == 0 && (d[3] == 1 || d[3] == 2) && d[4] == 0 &&
        d[5] == 0 && d[6] == 0 && d[7] > 0 && d[7] <= 64) {
        *unsupported = "BKS/UBER (Bouncy Castle)";
        return VAULT_KEYSTORE_AUTO;
    }
    if (skip_space(d, n, &i) && n - i >= 10 && memcmp(d + i, "-----BEGIN", 10) == 0)
        return VAULT_KEYSTORE_PEM;
    if (pem_after_text(d, n))
        return VAULT_KEYSTORE_PEM;
    if (n >= 4 && d[0] == 0x30) {
        /* DER: a PKCS#12 PFX starts SEQUENCE { INTEGER 3, ...}, a
         * certificate SEQUENCE { SEQUENCE tbsCertificate, ...}. */
        size_t hdr = 2;
        if (d[1] & 0x80)
            hdr += d[1] & 0x7F;
        if (hdr < n && d[hdr] == 0x02)
            return VAULT_KEYSTORE_PKCS12;
        if (hdr < n && d[hdr] == 0x30)
            return VAULT_KEYSTORE_CERT;
    }
    return VAULT_KEYSTORE_AUTO;
}

static void entry_free(ks_entry *e)
{
    size_t i;
    if (!e)
        return;
    if (e->der) {
        for (i = 0; i < e->info.chain_length; i++)
            vault_free_ptr(e->der[i]);
    }
    vault_free_ptr(e->der);
    vault_free_ptr(e->der_len);
    sk_X509_pop_free(e->chain, X509_free);
    EVP_PKEY_free(e->pkey);
    vault_secret_free(e->secret);
    if (e->sealed)
        sodium_memzero(e->sealed, e->sealed_len);
    vault_free_ptr(e->sealed);
    vault_free_ptr(e->alias);
    vault_free_ptr(e->subject);
    vault_free_ptr(e->issuer);
    vault_free_ptr(e->serial);
    vault_free_ptr(e->secret_algorithm);
    vault_free_ptr(e);
}

void vault_keystore_free(vault_keystore *ks)
{
    size_t i;
    if (!ks)
        return;
    for (i = 0; i < ks->count; i++)
        entry_free(ks->entries[i]);
    vault_free_ptr(ks->entries);
    if (ks->device_close)
        ks->device_close(ks->device);
    vault_secret_free(ks->store_password);
    sk_X509_CRL_pop_free(ks->crls, X509_CRL_free);
    vault_free_ptr(ks->path);
    pthread_mutex_destroy(&ks->lock);
    vault_free_ptr(ks);
}

int ks_add_entry(vault_keystore *ks, const char *alias, size_t alias_len, vault_entry_kind kind,
                 ks_entry **out)
{
    ks_entry *e;
    size_t i;

    *out = NULL;
    if (memchr(alias, '\0', alias_len))
        return vault_err(VAULT_EFORMAT, "%s: alias with a NUL character", ks->path);
    for (i = 0; i < ks->count; i++) {
        const char *a = ks->entries[i]->alias;
        if (strlen(a) == alias_len && vault_strncaseeq(a, alias, alias_len))
            return vault_err(VAULT_EFORMAT, "%s: duplicate alias \"%s\"", ks->path, a);
    }
    if (ks->count == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 8;
        ks_entry **n = vault_realloc(ks->entries, cap * sizeof *n);
        if (!n)
            return vault_err(VAULT_ENOMEM, "%s: out of memory", ks->path);
        ks->entries = n;
        ks->cap = cap;
    }
    e = vault_calloc(1, sizeof *e);
    if (!e)
        return vault_err(VAULT_ENOMEM, "%s: out of memory", ks->path);
    e->alias = vault_strndup(alias, alias_len);
    e->chain = sk_X509_new_null();
    if (!e->alias || !e->chain) {
        entry_free(e);
        return vault_err(VAULT_ENOMEM, "%s: out of memory", ks->path);
    }
    e->info.alias = e->alias;
    e->info.kind = kind;
    ks->entries[ks->count++] = e;
    *out = e;
    return 0;
}

int ks_entry_add_cert(vault_keystore *ks, ks_entry *e, X509 *cert)
{
    size_t n = e->info.chain_length;
    unsigned char **der = NULL, *p;
    size_t *der_len;
    int len;

    len = i2d_X509(cert, NULL);
    if (len <= 0) {
        X509_free(cert);
        return vault_err_ssl(VAULT_EFORMAT, "%s: alias \"%s\": bad certificate", ks->path, e->alias);
    }
    der = vault_realloc(e->der, (n + 1) * sizeof *der);
    if (der)
        e->der = der;
    der_len = vault_realloc(e->der_len, (n + 1) * sizeof *der_len);
    if (der_len)
        e->der_len = der_len;
    if (!der || !der_len || !(e->der[n] = vault_malloc((size_t)len))) {
        X509_free(cert);
        return vault_err(VAULT_ENOMEM, "%s: out of memory", ks->path);
    }
    p = e->der[n];
    i2d_X509(cert, &p);
    e->der_len[n] = (size_t)len;
    if (!sk_X509_push(e->chain, cert)) {
        vault_free_ptr(e->der[n]);
        X509_free(cert);
        return vault_err(VAULT_ENOMEM, "%s: out of memory", ks->path);
    }
    e->info.chain_length = n + 1;
    return 0;
}

int ks_entry_add_cert_der(vault_keystore *ks, ks_entry *e, const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509 *cert;

    if (len > (size_t)LONG_MAX)
        return vault_err(VAULT_EFORMAT, "%s: alias \"%s\": certificate too large", ks->path, e->alias);
    cert = d2i_X509(NULL, &p, (long)len);
    if (!cert || p != der + len) {
        X509_free(cert);
        ERR_clear_error();
        return vault_err(VAULT_EFORMAT, "%s: alias \"%s\": malformed certificate", ks->path, e->alias);
    }
    return ks_entry_add_cert(ks, e, cert);
}

int ks_entry_has_cert(const ks_entry *e, const X509 *x)
{
    int i;
    for (i = 0; i < sk_X509_num(e->chain); i++)
        if (X509_cmp(sk_X509_value(e->chain, i), x) == 0)
            return 1;
    return 0;
}

int ks_add_crl(vault_keystore *ks, X509_CRL *crl)
{
    if (!ks->crls && !(ks->crls = sk_X509_CRL_new_null())) {
        X509_CRL_free(crl);
        return vault_err(VAULT_ENOMEM, "%s: out of memory", ks->path);
    }
    if (!sk_X509_CRL_push(ks->crls, crl)) {
        X509_CRL_free(crl);
        return vault_err(VAULT_ENOMEM, "%s: out of memory", ks->path);
    }
    return 0;
}

int ks_cert_issued_by(X509 *issuer, X509 *subject)
{
    EVP_PKEY *key;
    int ok;

    if (X509_NAME_cmp(X509_get_issuer_name(subject), X509_get_subject_name(issuer)) != 0)
        return 0;
    key = X509_get0_pubkey(issuer);
    ok = key && X509_verify(subject, key) == 1;
    ERR_clear_error();
    return ok;
}

int ks_entry_set_sealed(ks_entry *e, const unsigned char *data, size_t len, ks_unlock_fn unlock)
{
    e->sealed = vault_malloc(len);
    if (!e->sealed)
        return vault_err(VAULT_ENOMEM, "out of memory");
    memcpy(e->sealed, data, len);
    e->sealed_len = len;
    e->unlock = unlock;
    return 0;
}

static int64_t asn1_time_to_epoch(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

static char *name_to_string(const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL, *mem;
    long n;

    if (!bio)
        return NULL;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        n = BIO_get_mem_data(bio, &mem);
        out = vault_strndup(mem, (size_t)n);
    }
    BIO_free(bio);
    return out;
}

static void describe_key(ks_entry *e, const EVP_PKEY *key)
{
    const char *name = EVP_PKEY_get0_type_name(key);
    static const struct { const char *from, *to; } nice[] = {
        {"rsaEncryption", "RSA"}, {"id-ecPublicKey", "EC"}, {"ED25519", "Ed25519"},
        {"ED448", "Ed448"}, {"X25519", "X25519"}, {"DSA", "DSA"}, {"RSA", "RSA"}, {"EC", "EC"},
    };
    size_t i;
    e->info.key_algorithm = name;
    for (i = 0; name && i < sizeof nice / sizeof nice[0]; i++)
        if (strcmp(name, nice[i].from) == 0)
            e->info.key_algorithm = nice[i].to;
    e->info.key_bits = (unsigned)EVP_PKEY_get_bits(key);
}

/* Fill the public view of an entry from its certificate, key or secret. */
static int describe_entry(vault_keystore *ks, ks_entry *e)
{
    if (e->info.kind == VAULT_ENTRY_SECRET_KEY) {
        e->info.key_algorithm = e->secret_algorithm;
        e->info.key_bits = e->secret ? (unsigned)(vault_secret_len(e->secret) * 8) : 0;
        return 0;
    }
    if (e->pkey)
        describe_key(e, e->pkey);
    if (e->info.chain_length > 0 && !e->info.has_certificate) {
        X509 *c = sk_X509_value(e->chain, 0);
        EVP_PKEY *pub = X509_get0_pubkey(c);
        ASN1_INTEGER *sn = X509_get_serialNumber(c);
        BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
        char *hex = bn ? BN_bn2hex(bn) : NULL;

        BN_free(bn);
        e->subject = name_to_string(X509_get_subject_name(c));
        e->issuer = name_to_string(X509_get_issuer_name(c));
        e->serial = hex ? vault_strdup(hex) : NULL;
        OPENSSL_free(hex);
        if (!e->subject || !e->issuer || !e->serial)
            return vault_err(VAULT_ENOMEM, "%s: out of memory", ks->path);
        e->info.subject = e->subject;
        e->info.issuer = e->issuer;
        e->info.serial = e->serial;
        e->info.not_before = asn1_time_to_epoch(X509_get0_notBefore(c));
        e->info.not_after = asn1_time_to_epoch(X509_get0_notAfter(c));
        EVP_Digest(e->der[0], e->der_len[0], e->info.sha1, NULL, EVP_sha1(), NULL);
        EVP_Digest(e->der[0], e->der_len[0], e->info.sha256, NULL, EVP_sha256(), NULL);
        if (pub && !e->pkey)
            describe_key(e, pub);
        e->info.has_certificate = 1;
    }
    ERR_clear_error();
    return 0;
}

static int ask_password(vault_keystore *ks, vault_password_kind kind, const char *alias,
                        vault_secret **out)
{
    int rc;
    *out = NULL;
    if (!ks->password_cb)
        return VAULT_ENOTFOUND;
    rc = ks->password_cb(out, kind, ks->path, alias, ks->payload);
    if (rc == 0 && !*out)
        rc = VAULT_ENOTFOUND;
    return rc;
}

static int needs_store_password(vault_keystore_type t)
{
    return t == VAULT_KEYSTORE_PKCS12 || t == VAULT_KEYSTORE_JKS || t == VAULT_KEYSTORE_JCEKS;
}

static int read_content(vault_keystore *ks, const unsigned char *data, size_t len,
                        vault_keystore_type forced)
{
    const char *unsupported = NULL;
    vault_keystore_type t = ks_sniff(data, len, &unsupported);
    int rc;

    /* A TSS2 key file is PEM, but of a key that only a TPM can use. */
    if ((forced == VAULT_KEYSTORE_AUTO || forced == VAULT_KEYSTORE_TPM2) && ks_is_tpm_key(data, len))
        return ks_read_tpm(ks, data, len);
    if (forced != VAULT_KEYSTORE_AUTO)
        t = forced;
    else if (unsupported)
        return vault_err(VAULT_EFORMAT, "%s: %s keystores are not supported; convert it to PKCS#12 "
                         "with keytool -importkeystore", ks->path, unsupported);
    else if (t == VAULT_KEYSTORE_AUTO)
        return vault_err(VAULT_EFORMAT, "%s: not a keystore or certificate (PKCS#12, JKS, JCEKS, "
                         "PEM or DER expected)", ks->path);
    ks->type = t;
    if (needs_store_password(t)) {
        rc = ask_password(ks, VAULT_PASSWORD_STORE, NULL, &ks->store_password);
        if (rc == VAULT_ENOTFOUND)
            return vault_err(VAULT_EAUTH, "%s: a store password is required", ks->path);
        if (rc != 0)
            return rc;
    }
    switch (t) {
    case VAULT_KEYSTORE_JKS:
    case VAULT_KEYSTORE_JCEKS:
        return ks_read_jks(ks, data, len, ks->store_password);
    case VAULT_KEYSTORE_PKCS12:
        return ks_read_pkcs12(ks, data, len, ks->store_password);
    case VAULT_KEYSTORE_PEM:
        return ks_read_pem(ks, data, len);
    case VAULT_KEYSTORE_CERT:
        return ks_read_cert(ks, data, len);
    default:
        return vault_err(VAULT_EINVAL, "%s: type %s cannot be read from bytes", ks->path,
                         vault_keystore_type_name(t));
    }
}

static int keystore_new(vault_keystore **out, const char *name, const vault_keystore_options *opts)
{
    vault_keystore *ks;

    *out = NULL;
    if (vault_init() != 0)
        return VAULT_ERROR;
    if (opts && opts->version != 1 && opts->version != VAULT_KEYSTORE_OPTIONS_VERSION)
        return vault_err(VAULT_EINVAL, "vault_keystore_options: unknown version %u", opts->version);
    ks = vault_calloc(1, sizeof *ks);
    if (!ks)
        return vault_err(VAULT_ENOMEM, "out of memory");
    ks->path = vault_strdup(name ? name : "(memory)");
    if (!ks->path) {
        vault_free_ptr(ks);
        return vault_err(VAULT_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&ks->lock, NULL);
    if (opts) {
        ks->password_cb = opts->password;
        ks->payload = opts->payload;
    }
    *out = ks;
    return 0;
}

static int finish_open(vault_keystore **out, vault_keystore *ks, int rc)
{
    size_t i;
    for (i = 0; rc == 0 && i < ks->count; i++)
        rc = describe_entry(ks, ks->entries[i]);
    if (rc != 0) {
        vault_keystore_free(ks);
        return rc;
    }
    vault_error_clear();
    *out = ks;
    return 0;
}

int vault_keystore_open_memory(vault_keystore **out, const void *data, size_t len,
                               const char *name, const vault_keystore_options *opts)
{
    vault_keystore *ks;
    int rc;

    if (!out || (!data && len))
        return vault_err(VAULT_EINVAL, "vault_keystore_open_memory: invalid argument");
    *out = NULL;
    rc = keystore_new(&ks, name, opts);
    if (rc != 0)
        return rc;
    rc = read_content(ks, data, len, opts ? opts->type : VAULT_KEYSTORE_AUTO);
    return finish_open(out, ks, rc);
}

int vault_keystore_open(vault_keystore **out, const char *path, const vault_keystore_options *opts)
{
    vault_keystore *ks;
    unsigned char *data = NULL;
    size_t len = 0;
    struct stat st;
    const char *cert;
    int rc;

    if (!out || !path)
        return vault_err(VAULT_EINVAL, "vault_keystore_open: invalid argument");
    *out = NULL;
    if (ks_is_pkcs11_uri(path) && (strstr(path, "pin-value") || strstr(path, "pin-source")))
        return vault_err(VAULT_EINVAL, "a PKCS#11 URI with a PIN in it is refused: give the PIN as "
                         "the keystore password");
    rc = keystore_new(&ks, path, opts);
    if (rc != 0)
        return rc;
    if (ks_is_pkcs11_uri(path)) {
        rc = ks_read_pkcs11(ks);
    } else if (ks_is_tpm_uri(path)) {
        rc = ks_read_tpm(ks, NULL, 0);
    } else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        ks->type = VAULT_KEYSTORE_DIR;
        rc = ks_read_dir(ks);
    } else {
        rc = vault_read_file(path, KS_MAX_FILE, &data, &len);
        if (rc == 0)
            rc = read_content(ks, data, len, opts ? opts->type : VAULT_KEYSTORE_AUTO);
        if (data)
            sodium_memzero(data, len);
        vault_free_ptr(data);
    }
    cert = opts && opts->version >= 2 ? opts->cert : NULL;
    if (rc == 0 && cert && !ks->device)
        rc = vault_err(VAULT_EINVAL, "%s: a certificate file (%s) goes only beside a key held in a "
                       "PKCS#11 token or a TPM", path, cert);
    else if (rc == 0 && cert)
        rc = ks_device_add_cert_file(ks, cert);
    return finish_open(out, ks, rc);
}

vault_keystore_type vault_keystore_get_type(const vault_keystore *ks)
{
    return ks ? ks->type : VAULT_KEYSTORE_AUTO;
}

const char *vault_keystore_path(const vault_keystore *ks)
{
    return ks ? ks->path : NULL;
}

size_t vault_keystore_count(const vault_keystore *ks)
{
    return ks ? ks->count : 0;
}

int vault_keystore_entry_at(const vault_keystore *ks, size_t i, const vault_keystore_entry **out)
{
    if (!ks || !out || i >= ks->count)
        return vault_err(VAULT_ENOTFOUND, "no keystore entry %zu", i);
    *out = &ks->entries[i]->info;
    return 0;
}

/* "a", "b", "c" into buf, for messages that list the aliases there are. */
static void list_aliases(const vault_keystore *ks, int kind, char *buf, size_t size)
{
    size_t i, used = 0;
    buf[0] = '\0';
    for (i = 0; i < ks->count && used + 1 < size; i++) {
        if (kind && (int)ks->entries[i]->info.kind != kind)
            continue;
        int n = snprintf(buf + used, size - used, "%s\"%s\"", used ? ", " : "", ks->entries[i]->alias);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

static int find_only(const vault_keystore *ks, vault_entry_kind kind, ks_entry **out)
{
    size_t i, n = 0;
    for (i = 0; i < ks->count; i++)
        if (ks->entries[i]->info.kind == kind) {
            *out = ks->entries[i];
            n++;
        }
    return n == 1 ? 0 : n == 0 ? VAULT_ENOTFOUND : VAULT_EINVAL;
}

int ks_find(const vault_keystore *ks, const char *alias, ks_entry **out)
{
    char names[512];
    size_t i;
    int rc;

    *out = NULL;
    if (!alias) {
        rc = find_only(ks, VAULT_ENTRY_PRIVATE_KEY, out);
        if (rc == VAULT_ENOTFOUND)
            rc = find_only(ks, VAULT_ENTRY_SECRET_KEY, out);
        if (rc == 0)
            return 0;
        list_aliases(ks, rc == VAULT_EINVAL ? VAULT_ENTRY_PRIVATE_KEY : 0, names, sizeof names);
        if (rc == VAULT_EINVAL)
            return vault_err(VAULT_ENOTFOUND, "%s: several key entries (%s); choose one with an alias",
                             ks->path, names);
        return vault_err(VAULT_ENOTFOUND, "%s: no key entry (entries: %s)", ks->path, names);
    }
    for (i = 0; i < ks->count; i++)
        if (vault_strcaseeq(ks->entries[i]->alias, alias)) {
            *out = ks->entries[i];
            return 0;
        }
    list_aliases(ks, 0, names, sizeof names);
    return vault_err(VAULT_ENOTFOUND, "%s: no alias \"%s\" (aliases: %s)", ks->path, alias, names);
}

int vault_keystore_find(const vault_keystore *ks, const char *alias, const vault_keystore_entry **out)
{
    ks_entry *e;
    int rc;
    if (!ks || !out)
        return vault_err(VAULT_EINVAL, "vault_keystore_find: invalid argument");
    rc = ks_find(ks, alias, &e);
    if (rc == 0)
        *out = &e->info;
    return rc;
}

int vault_keystore_cert_der(const vault_keystore *ks, const char *alias, size_t idx,
                            const unsigned char **der, size_t *len)
{
    ks_entry *e;
    int rc;
    if (!ks || !der || !len)
        return vault_err(VAULT_EINVAL, "vault_keystore_cert_der: invalid argument");
    rc = ks_find(ks, alias, &e);
    if (rc != 0)
        return rc;
    if (idx >= e->info.chain_length)
        return vault_err(VAULT_ENOTFOUND, "%s: alias \"%s\" has no certificate %zu", ks->path,
                         e->alias, idx);
    *der = e->der[idx];
    *len = e->der_len[idx];
    return 0;
}

static int unlock_with(ks_entry *e, const vault_secret *pw)
{
    vault_secret *empty = NULL;
    int rc;
    if (pw)
        return e->unlock(e, pw);
    rc = vault_secret_new(&empty, "", 0);
    if (rc == 0)
        rc = e->unlock(e, empty);
    vault_secret_free(empty);
    return rc;
}

int ks_unlock(vault_keystore *ks, ks_entry *e)
{
    vault_secret *key_pw = NULL;
    int rc = 0;

    pthread_mutex_lock(&ks->lock);
    if (e->unlocked || !e->unlock)
        goto done;
    rc = ask_password(ks, VAULT_PASSWORD_KEY, e->alias, &key_pw);
    if (rc == VAULT_ENOTFOUND && !ks->store_password && !needs_store_password(ks->type)) {
        /* A PEM file has no store password: the one the caller gives for
         * the file (--password-file) is the key's. Asked only now that a
         * key is encrypted. */
        rc = ask_password(ks, VAULT_PASSWORD_STORE, NULL, &ks->store_password);
        if (rc == 0)
            rc = VAULT_ENOTFOUND;
    }
    if (rc == VAULT_ENOTFOUND) {
        /* No separate key password: Java's default is the store password. */
        rc = unlock_with(e, ks->store_password);
        if (rc == VAULT_EAUTH && ks->store_password)
            rc = vault_err(VAULT_EAUTH, "%s: alias \"%s\": the key password differs from the store "
                           "password and none was given", ks->path, e->alias);
        else if (rc == VAULT_EAUTH)
            rc = vault_err(VAULT_EAUTH, "%s: alias \"%s\": the key is encrypted and no key password "
                           "was given", ks->path, e->alias);
    } else if (rc == 0) {
        rc = unlock_with(e, key_pw);
        if (rc == VAULT_EAUTH)
            rc = vault_err(VAULT_EAUTH, "%s: alias \"%s\": wrong key password", ks->path, e->alias);
    }
    if (rc == VAULT_EFORMAT) {
        const vault_error *le = vault_error_last();
        rc = vault_err(VAULT_EFORMAT, "%s: alias \"%s\": %s", ks->path, e->alias,
                       le ? le->message : "malformed key");
    }
    if (rc == 0) {
        e->unlocked = 1;
        rc = describe_entry(ks, e);
    }
done:
    pthread_mutex_unlock(&ks->lock);
    vault_secret_free(key_pw);
    return rc;
}

int ks_private_key(vault_keystore *ks, const char *alias, EVP_PKEY **pkey, ks_entry **entry)
{
    ks_entry *e;
    int rc = ks_find(ks, alias, &e);
    if (rc != 0)
        return rc;
    if (e->info.kind != VAULT_ENTRY_PRIVATE_KEY)
        return vault_err(VAULT_EINVAL, "%s: alias \"%s\" is not a private key entry", ks->path, e->alias);
    rc = ks_unlock(ks, e);
    if (rc != 0)
        return rc;
    if (!e->pkey)
        return vault_err(VAULT_EFORMAT, "%s: alias \"%s\" holds no usable private key", ks->path, e->alias);
    *pkey = e->pkey;
    if (entry)
        *entry = e;
    return 0;
}

int ks_public_key(vault_keystore *ks, const char *alias, EVP_PKEY **pkey)
{
    ks_entry *e;
    int rc = ks_find(ks, alias, &e);
    if (rc != 0)
        return rc;
    if (e->info.kind != VAULT_ENTRY_PUBLIC_KEY)
        return ks_private_key(ks, alias, pkey, NULL);
    *pkey = e->pkey;
    return 0;
}

int vault_keystore_public_key_der(vault_keystore *ks, const char *alias, unsigned char **der,
                                  size_t *len)
{
    EVP_PKEY *pkey = NULL;
    unsigned char *buf = NULL, *p;
    int rc, n;

    if (!ks || !der || !len)
        return vault_err(VAULT_EINVAL, "vault_keystore_public_key_der: invalid argument");
    *der = NULL;
    rc = ks_public_key(ks, alias, &pkey);
    if (rc != 0)
        return rc;
    n = i2d_PUBKEY(pkey, NULL);
    if (n <= 0)
        return vault_err_ssl(VAULT_EFORMAT, "%s: cannot encode the public key", ks->path);
    buf = vault_malloc((size_t)n);
    if (!buf)
        return vault_err(VAULT_ENOMEM, "out of memory");
    p = buf;
    i2d_PUBKEY(pkey, &p);
    *der = buf;
    *len = (size_t)n;
    return 0;
}

int vault_keystore_secret_key(vault_keystore *ks, const char *alias, vault_secret **out)
{
    ks_entry *e;
    int rc;
    if (!ks || !out)
        return vault_err(VAULT_EINVAL, "vault_keystore_secret_key: invalid argument");
    *out = NULL;
    rc = ks_find(ks, alias, &e);
    if (rc != 0)
        return rc;
    if (e->info.kind != VAULT_ENTRY_SECRET_KEY)
        return vault_err(VAULT_EINVAL, "%s: alias \"%s\" is not a secret key entry", ks->path, e->alias);
    rc = ks_unlock(ks, e);
    if (rc != 0)
        return rc;
    if (!e->secret)
        return vault_err(VAULT_EFORMAT, "%s: alias \"%s\" holds no key", ks->path, e->alias);
    return vault_secret_new(out, vault_secret_data(e->secret), vault_secret_len(e->secret));
}
