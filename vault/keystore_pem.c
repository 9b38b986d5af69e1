/* SPDX-License-Identifier: Apache-2.0 */
/* PEM keys, public keys and certificates, bare certificates (DER or PEM),
 * directories of certificates. */
#include "array.h"
#include "keystore_internal.h"

#include <dirent.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>
#include <string.h>

#define DIR_MAX_FILES 10000u
/* Public keys ("PUBLIC KEY" blocks) one PEM file may hold. */
#define PEM_MAX_PUBLIC_KEYS 16

/* What the PEM blocks of one file hold. */
typedef struct pem_items {
    STACK_OF(X509) *certs;
    STACK_OF(X509_CRL) *crls;
    EVP_PKEY *pkey;        /* an unencrypted private key */
    unsigned char *sealed; /* or an encrypted one, opened on unlock */
    size_t sealed_len;
    ks_unlock_fn unlock;
    int keys;
    EVP_PKEY *pubs[PEM_MAX_PUBLIC_KEYS]; /* bare public keys, in file order */
    int npubs;
} pem_items;

static void pem_items_clear(pem_items *it)
{
    int i;
    for (i = 0; i < it->npubs; i++)
        EVP_PKEY_free(it->pubs[i]);
    sk_X509_pop_free(it->certs, X509_free);
    sk_X509_CRL_pop_free(it->crls, X509_CRL_free);
    EVP_PKEY_free(it->pkey);
    vault__free_ptr(it->sealed);
    memset(it, 0, sizeof *it);
}

static int is_memory(const vault_keystore *ks)
{
    return strcmp(ks->path, "(memory)") == 0;
}

/* "dir/name.ext" -> "name"; a name that is all extension is kept whole. */
static char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return vault__strndup(base, n);
}

static int is_key_name(const char *name)
{
    static const char *const names[] = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
                                        "DSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

static int is_cert_name(const char *name)
{
    return strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0 ||
           strcmp(name, "TRUSTED CERTIFICATE") == 0;
}

/* An unencrypted key block, by its PEM label. */
static EVP_PKEY *decode_key(const char *name, const unsigned char *der, long len)
{
    const unsigned char *p = der;
    EVP_PKEY *pkey = NULL;
    int type = EVP_PKEY_NONE;

    if (strcmp(name, "PRIVATE KEY") == 0) {
        PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
        if (p8 && p == der + len)
            pkey = ks_pkey_from_p8(p8);
        PKCS8_PRIV_KEY_INFO_free(p8);
        return pkey;
    }
    if (strcmp(name, "RSA PRIVATE KEY") == 0)
        type = EVP_PKEY_RSA;
    else if (strcmp(name, "EC PRIVATE KEY") == 0)
        type = EVP_PKEY_EC;
    else if (strcmp(name, "DSA PRIVATE KEY") == 0)
        type = EVP_PKEY_DSA;
    pkey = type == EVP_PKEY_NONE ? NULL : d2i_PrivateKey(type, NULL, &p, len);
    if (pkey && p != der + len) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

/* The chain's first certificate must be the key's. */
static int check_key_matches(ks_entry *e)
{
    if (sk_X509_num(e->chain) > 0 && !X509_check_private_key(sk_X509_value(e->chain, 0), e->pkey)) {
        EVP_PKEY_free(e->pkey);
        e->pkey = NULL;
        ERR_clear_error();
        return vault__err(VAULT_EFORMAT, "the private key does not match the certificate");
    }
    return 0;
}

static int unlock_pem_pkcs8(ks_entry *e, const vault_secret *password)
{
    int rc = ks_unlock_pkcs8(e, password);
    return rc != 0 ? rc : check_key_matches(e);
}

/* Hands OpenSSL the given password; never prompts. */
static int password_cb(char *buf, int size, int rwflag, void *payload)
{
    const vault_secret *pw = payload;
    size_t n = vault_secret_len(pw);
    VAULT_UNUSED(rwflag);
    if (!pw || size < 0 || n > (size_t)size)
        return -1;
    memcpy(buf, vault_secret_data(pw), n);
    return (int)n;
}

static int decrypt_legacy_block(ks_entry *e, BIO *bio, const vault_secret *password)
{
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long len = 0, full;
    EVP_CIPHER_INFO cipher;
    int rc = 0;

    if (!PEM_read_bio(bio, &name, &header, &der, &len) || !PEM_get_EVP_CIPHER_INFO(header, &cipher)) {
        rc = vault__err_ssl(VAULT_EFORMAT, "malformed encrypted PEM key");
        goto done;
    }
    full = len;
    vault__need_algorithms(EVP_CIPHER_get_nid(cipher.cipher), NID_md5); /* DES: legacy provider */
    if (!PEM_do_header(&cipher, der, &len, password_cb, (void *)password)) {
        rc = vault__err(VAULT_EAUTH, "wrong key password");
        goto done;
    }
    /* Bad padding is caught above; garbage that passed it is a wrong
     * password too. */
    e->pkey = decode_key(name, der, len);
    rc = e->pkey ? check_key_matches(e) : vault__err(VAULT_EAUTH, "wrong key password");
done:
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (der)
        OPENSSL_clear_free(der, (size_t)full);
    ERR_clear_error();
    return rc;
}

/* ks_unlock_fn for a traditional key with "Proc-Type: 4,ENCRYPTED". */
static int unlock_legacy_pem(ks_entry *e, const vault_secret *password)
{
    BIO *bio;
    int rc;

    if (e->sealed_len > (size_t)INT_MAX)
        return vault__err(VAULT_EFORMAT, "encrypted PEM key too large");
    bio = BIO_new_mem_buf(e->sealed, (int)e->sealed_len);
    if (!bio)
        return vault__oom();
    rc = decrypt_legacy_block(e, bio, password);
    BIO_free(bio);
    return rc;
}

/* Next PEM block: 0 with one, 1 at the end, or an error. */
static int pem_next(BIO *bio, const char *file, char **name, char **header, unsigned char **der,
                    long *len)
{
    unsigned long e;
    *name = *header = NULL;
    *der = NULL;
    if (PEM_read_bio(bio, name, header, der, len))
        return 0;
    e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        return 1;
    }
    return vault__err_ssl(VAULT_EFORMAT, "%s: malformed PEM block", file);
}

static int take_cert(pem_items *it, const char *file, const char *name, const unsigned char *der,
                     long len)
{
    const unsigned char *p = der;
    X509 *x = strcmp(name, "TRUSTED CERTIFICATE") == 0 ? d2i_X509_AUX(NULL, &p, len)
                                                       : d2i_X509(NULL, &p, len);
    if (!x || p != der + len) {
        X509_free(x);
        return vault__err_ssl(VAULT_EFORMAT, "%s: malformed certificate", file);
    }
    if (!sk_X509_push(it->certs, x)) {
        X509_free(x);
        return vault__oom();
    }
    return 0;
}

static int take_crl(pem_items *it, const char *file, const unsigned char *der, long len)
{
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, len);
    if (!crl || p != der + len) {
        X509_CRL_free(crl);
        return vault__err_ssl(VAULT_EFORMAT, "%s: malformed CRL", file);
    }
    if (!sk_X509_CRL_push(it->crls, crl)) {
        X509_CRL_free(crl);
        return vault__oom();
    }
    return 0;
}

static int keep_sealed(pem_items *it, const void *data, size_t len, ks_unlock_fn unlock)
{
    it->sealed = vault__malloc(len);
    if (!it->sealed)
        return vault__oom();
    memcpy(it->sealed, data, len);
    it->sealed_len = len;
    it->unlock = unlock;
    return 0;
}

/* A traditional encrypted key is kept as its PEM text, header included. */
static int keep_legacy(pem_items *it, const char *name, const char *header, const unsigned char *der,
                       long len)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *text;
    long n;
    int rc;

    if (!mem || !PEM_write_bio(mem, name, header, der, len)) {
        BIO_free(mem); /* writing to memory fails only for want of it */
        ERR_clear_error();
        return vault__oom();
    }
    n = BIO_get_mem_data(mem, &text);
    rc = keep_sealed(it, text, (size_t)n, unlock_legacy_pem);
    BIO_free(mem);
    return rc;
}

static int take_key(pem_items *it, const char *file, const char *name, const char *header,
                    const unsigned char *der, long len)
{
    EVP_CIPHER_INFO cipher;
    const unsigned char *p = der;
    X509_SIG *sig;
    int whole;

    if (++it->keys > 1)
        return vault__err(VAULT_EFORMAT, "%s: more than one private key", file);
    if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
        sig = d2i_X509_SIG(NULL, &p, len);
        whole = sig && p == der + len;
        X509_SIG_free(sig);
        if (!whole)
            return vault__err_ssl(VAULT_EFORMAT, "%s: malformed encrypted private key", file);
        return keep_sealed(it, der, (size_t)len, unlock_pem_pkcs8);
    }
    if (!PEM_get_EVP_CIPHER_INFO((char *)header, &cipher))
        return vault__err_ssl(VAULT_EFORMAT, "%s: unsupported PEM key encryption", file);
    if (cipher.cipher)
        return keep_legacy(it, name, header, der, len);
    it->pkey = decode_key(name, der, len);
    if (!it->pkey)
        return vault__err_ssl(VAULT_EFORMAT, "%s: malformed or unsupported private key", file);
    return 0;
}

/* A SubjectPublicKeyInfo ("PUBLIC KEY", what `openssl pkey -pubout` writes)
 * or a PKCS#1 RSAPublicKey ("RSA PUBLIC KEY"). */
static int take_public_key(pem_items *it, const char *file, const char *name,
                           const unsigned char *der, long len)
{
    const unsigned char *p = der;
    EVP_PKEY *pub;

    if (it->npubs == PEM_MAX_PUBLIC_KEYS)
        return vault__err(VAULT_EFORMAT, "%s: more than %d public keys", file, PEM_MAX_PUBLIC_KEYS);
    if (strcmp(name, "PUBLIC KEY") == 0)
        pub = d2i_PUBKEY(NULL, &p, len);
    else
        pub = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
    if (!pub || p != der + len) {
        EVP_PKEY_free(pub);
        return vault__err_ssl(VAULT_EFORMAT, "%s: malformed or unsupported public key", file);
    }
    it->pubs[it->npubs++] = pub;
    return 0;
}

static int take_block(pem_items *it, const char *file, const char *name, const char *header,
                      const unsigned char *der, long len)
{
    if (is_cert_name(name))
        return take_cert(it, file, name, der, len);
    if (is_key_name(name))
        return take_key(it, file, name, header, der, len);
    if (strcmp(name, "X509 CRL") == 0)
        return take_crl(it, file, der, len);
    if (strcmp(name, "PUBLIC KEY") == 0 || strcmp(name, "RSA PUBLIC KEY") == 0)
        return take_public_key(it, file, name, der, len);
    return 0; /* parameters, requests: not ours */
}

/* Read every PEM block of data; file names the source in messages. */
static int pem_collect(const char *file, const unsigned char *data, size_t len, pem_items *it)
{
    BIO *bio = NULL;
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    int rc = 0;

    memset(it, 0, sizeof *it);
    if (len > (size_t)INT_MAX)
        return vault__err(VAULT_EFORMAT, "%s: file too large", file);
    it->certs = sk_X509_new_null();
    it->crls = sk_X509_CRL_new_null();
    bio = BIO_new_mem_buf(data, (int)len);
    if (!it->certs || !it->crls || !bio) {
        rc = vault__oom();
        goto done;
    }
    while (rc == 0 && (rc = pem_next(bio, file, &name, &header, &der, &der_len)) == 0) {
        rc = take_block(it, file, name, header, der, der_len);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(der, (size_t)der_len);
    }
    if (rc == 1)
        rc = 0;
    if (rc == 0 && it->keys == 0 && sk_X509_num(it->certs) == 0 && sk_X509_CRL_num(it->crls) == 0 &&
        it->npubs == 0)
        rc = vault__err(VAULT_EFORMAT, "%s: no private key, certificate or public key in the PEM file",
                       file);
done:
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

/* The first certificate that issued none of the others. */
static X509 *structural_leaf(STACK_OF(X509) *certs)
{
    int i, j, n = sk_X509_num(certs);
    for (i = 0; i < n; i++) {
        X509 *c = sk_X509_value(certs, i);
        int issuer = 0;
        for (j = 0; j < n && !issuer; j++)
            issuer = j != i && X509_cmp(c, sk_X509_value(certs, j)) != 0 &&
                     ks_cert_issued_by(c, sk_X509_value(certs, j));
        if (!issuer)
            return c;
    }
    return n > 0 ? sk_X509_value(certs, 0) : NULL;
}

static X509 *key_leaf(STACK_OF(X509) *certs, EVP_PKEY *pkey)
{
    int i;
    for (i = 0; i < sk_X509_num(certs); i++)
        if (X509_check_private_key(sk_X509_value(certs, i), pkey))
            return sk_X509_value(certs, i);
    ERR_clear_error();
    return NULL;
}

static X509 *next_issuer(STACK_OF(X509) *certs, const ks_entry *e, X509 *subject)
{
    int i;
    if (ks_cert_issued_by(subject, subject))
        return NULL;
    for (i = 0; i < sk_X509_num(certs); i++)
        if (ks_cert_issued_by(sk_X509_value(certs, i), subject) &&
            !ks_entry_has_cert(e, sk_X509_value(certs, i)))
            return sk_X509_value(certs, i);
    return NULL;
}

static int add_cert_ref(vault_keystore *ks, ks_entry *e, X509 *x)
{
    if (!X509_up_ref(x))
        return vault__oom();
    return ks_entry_add_cert(ks, e, x);
}

/* leaf, its issuers in order, then the other certificates of the file. */
static int add_chain(vault_keystore *ks, ks_entry *e, STACK_OF(X509) *certs, X509 *leaf)
{
    X509 *cur = leaf;
    int i, rc = 0;

    while (rc == 0 && cur) {
        rc = add_cert_ref(ks, e, cur);
        if (rc == 0)
            cur = next_issuer(certs, e, cur);
    }
    for (i = 0; rc == 0 && i < sk_X509_num(certs); i++)
        if (!ks_entry_has_cert(e, sk_X509_value(certs, i)))
            rc = add_cert_ref(ks, e, sk_X509_value(certs, i));
    ERR_clear_error();
    return rc;
}

static int add_key_entry(vault_keystore *ks, pem_items *it)
{
    char *alias = is_memory(ks) ? vault__strdup("key") : base_name(ks->path);
    X509 *leaf;
    ks_entry *e = NULL;
    int rc;

    if (!alias)
        return vault__oom();
    rc = ks_add_entry(ks, alias, strlen(alias), VAULT_ENTRY_PRIVATE_KEY, &e);
    vault__free_ptr(alias);
    if (rc != 0)
        return rc;
    if (it->pkey) {
        leaf = key_leaf(it->certs, it->pkey);
        if (!leaf && sk_X509_num(it->certs) > 0)
            return vault__err(VAULT_EFORMAT, "%s: the private key matches none of the certificates",
                             ks->path);
        e->pkey = it->pkey;
        it->pkey = NULL;
        e->unlocked = 1;
    } else {
        rc = ks_entry_set_sealed(e, it->sealed, it->sealed_len, it->unlock);
        if (rc != 0)
            return rc;
        leaf = structural_leaf(it->certs);
    }
    return leaf ? add_chain(ks, e, it->certs, leaf) : 0;
}

static int alias_taken(const vault_keystore *ks, const char *alias)
{
    size_t i;
    for (i = 0; i < ks->count; i++)
        if (vault__strcaseeq(ks->entries[i]->alias, alias))
            return 1;
    return 0;
}

/* base for the first entry of a file, base-N for its Nth. */
static void nth_alias(char *alias, size_t size, const char *base, int n)
{
    if (n == 1)
        snprintf(alias, size, "%s", base);
    else
        snprintf(alias, size, "%s-%d", base, n);
}

/* One trusted entry per certificate: base, base-2, base-3, ...; fallback
 * replaces base when that is taken by another file. */
static int add_cert_entries(vault_keystore *ks, STACK_OF(X509) *certs, const char *base,
                            const char *fallback)
{
    char *alias = NULL;
    size_t size;
    int i, rc = 0;

    if (fallback && alias_taken(ks, base))
        base = fallback;
    size = strlen(base) + 16;
    alias = vault__malloc(size);
    if (!alias)
        return vault__oom();
    for (i = 0; rc == 0 && i < sk_X509_num(certs); i++) {
        ks_entry *e = NULL;
        nth_alias(alias, size, base, i + 1);
        rc = ks_add_entry(ks, alias, strlen(alias), VAULT_ENTRY_TRUSTED_CERT, &e);
        if (rc == 0)
            rc = add_cert_ref(ks, e, sk_X509_value(certs, i));
    }
    vault__free_ptr(alias);
    return rc;
}

/* One public-key entry per bare public key, named after the file's
 * certificates: base (or base-N after N-1 certificates), base-N+1, ... The
 * entry's pkey holds the public key; it is no private-key entry, so nothing
 * hands it out as one. */
static int add_public_entries(vault_keystore *ks, pem_items *it, const char *base)
{
    size_t size = strlen(base) + 16;
    char *alias = vault__malloc(size);
    int i, first = sk_X509_num(it->certs), rc = 0;

    if (!alias)
        return vault__oom();
    for (i = 0; rc == 0 && i < it->npubs; i++) {
        ks_entry *e = NULL;
        nth_alias(alias, size, base, first + i + 1);
        rc = ks_add_entry(ks, alias, strlen(alias), VAULT_ENTRY_PUBLIC_KEY, &e);
        if (rc == 0) {
            e->pkey = it->pubs[i];
            it->pubs[i] = NULL;
            e->unlocked = 1;
        }
    }
    vault__free_ptr(alias);
    return rc;
}

/* The CRLs of a file pass to the keystore, for trust decisions. */
static int move_crls(vault_keystore *ks, pem_items *it)
{
    int rc = 0;
    while (rc == 0 && it->crls && sk_X509_CRL_num(it->crls) > 0)
        rc = ks_add_crl(ks, sk_X509_CRL_shift(it->crls));
    return rc;
}

int ks_read_pem(vault_keystore *ks, const unsigned char *data, size_t len)
{
    pem_items it;
    char *base = NULL;
    int rc = pem_collect(ks->path, data, len, &it);

    if (rc == 0)
        rc = move_crls(ks, &it);
    if (rc != 0)
        goto done;
    if (it.keys > 0) {
        rc = add_key_entry(ks, &it);
        goto done;
    }
    base = is_memory(ks) ? vault__strdup(it.npubs > 0 ? "key" : "cert") : base_name(ks->path);
    rc = base ? add_cert_entries(ks, it.certs, base, NULL)
              : vault__oom();
    if (rc == 0)
        rc = add_public_entries(ks, &it, base);
done:
    vault__free_ptr(base);
    pem_items_clear(&it);
    return rc;
}

static int is_pem_text(const unsigned char *data, size_t len)
{
    const char *unsupported;
    return ks_sniff(data, len, &unsupported) == VAULT_KEYSTORE_PEM;
}

static int has_crl_extension(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && vault__strcaseeq(name + n - 4, ".crl");
}

static int read_der_crl(const char *file, const unsigned char *data, size_t len, pem_items *it)
{
    const unsigned char *p = data;
    X509_CRL *crl;

    if (len > (size_t)LONG_MAX)
        return vault__err(VAULT_EFORMAT, "%s: file too large", file);
    crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (!crl || p != data + len) {
        X509_CRL_free(crl);
        return vault__err_ssl(VAULT_EFORMAT, "%s: not a CRL (PEM or DER)", file);
    }
    it->crls = sk_X509_CRL_new_null();
    if (!it->crls || !sk_X509_CRL_push(it->crls, crl)) {
        X509_CRL_free(crl);
        return vault__oom();
    }
    return 0;
}

/* A certificate in DER, a CRL (.crl, DER), or the certificates and CRLs of
 * PEM text with no key. */
static int read_certs(const char *file, const unsigned char *data, size_t len, pem_items *it)
{
    const unsigned char *p = data;
    X509 *x;

    if (is_pem_text(data, len)) {
        int rc = pem_collect(file, data, len, it);
        if (rc == 0 && it->keys > 0)
            rc = vault__err(VAULT_EFORMAT, "%s: holds a private key; certificates expected", file);
        if (rc == 0 && sk_X509_num(it->certs) == 0 && sk_X509_CRL_num(it->crls) == 0)
            rc = vault__err(VAULT_EFORMAT, "%s: no certificate in the PEM file", file);
        return rc;
    }
    memset(it, 0, sizeof *it);
    if (has_crl_extension(file))
        return read_der_crl(file, data, len, it);
    if (len > (size_t)LONG_MAX)
        return vault__err(VAULT_EFORMAT, "%s: file too large", file);
    x = d2i_X509(NULL, &p, (long)len);
    if (!x || p != data + len) {
        X509_free(x);
        return vault__err_ssl(VAULT_EFORMAT, "%s: not a certificate (PEM or DER)%s", file,
                             x ? ", or trailing data" : "");
    }
    it->certs = sk_X509_new_null();
    if (!it->certs || !sk_X509_push(it->certs, x)) {
        X509_free(x);
        return vault__oom();
    }
    return 0;
}

int vault_keystore_add_crls(vault_keystore *trust, const char *path)
{
    unsigned char *data = NULL;
    size_t len = 0;
    pem_items it;
    int rc;

    if (!trust || !path)
        return vault__err(VAULT_EINVAL, "vault_keystore_add_crls: invalid argument");
    memset(&it, 0, sizeof it);
    rc = vault__read_file(path, KS_MAX_FILE, &data, &len);
    if (rc == 0 && is_pem_text(data, len))
        rc = pem_collect(path, data, len, &it);
    else if (rc == 0)
        rc = read_der_crl(path, data, len, &it);
    if (rc == 0 && sk_X509_CRL_num(it.crls) == 0)
        rc = vault__err(VAULT_EFORMAT, "%s: no CRL in the file", path);
    if (rc == 0)
        rc = move_crls(trust, &it);
    pem_items_clear(&it);
    vault__free_ptr(data);
    return rc;
}

int ks_read_cert(vault_keystore *ks, const unsigned char *data, size_t len)
{
    pem_items it;
    char *base = NULL;
    int rc = read_certs(ks->path, data, len, &it);

    if (rc == 0 && sk_X509_num(it.certs) != 1)
        rc = vault__err(VAULT_EFORMAT, "%s: %d certificates where one was expected; open it as "
                       "a PEM bundle", ks->path, sk_X509_num(it.certs));
    if (rc == 0) {
        base = is_memory(ks) ? vault__strdup("cert") : base_name(ks->path);
        rc = base ? add_cert_entries(ks, it.certs, base, NULL)
                  : vault__oom();
    }
    vault__free_ptr(base);
    pem_items_clear(&it);
    return rc;
}

static int has_cert_extension(const char *name)
{
    static const char *const exts[] = {".pem", ".crt", ".cer", ".crl"};
    size_t i, n = strlen(name);
    for (i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (n > 4 && vault__strcaseeq(name + n - 4, exts[i]))
            return 1;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    size_t i;
    for (i = 0; names && i < n; i++)
        vault__free_ptr(names[i]);
    vault__free_ptr(names);
}

/* The certificate files of the directory (not hidden), sorted. */
static int list_dir(vault_keystore *ks, char ***out, size_t *count)
{
    DIR *dir = opendir(ks->path);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    *out = NULL;
    *count = 0;
    if (!dir)
        return vault__err(VAULT_EIO, "%s: cannot read the directory", ks->path);
    while (rc == 0 && (de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.' || !has_cert_extension(de->d_name))
            continue;
        if (n == DIR_MAX_FILES) {
            rc = vault__err(VAULT_EFORMAT, "%s: more than %u certificate files", ks->path,
                           DIR_MAX_FILES);
        } else
            rc = VAULT_ARRAY_GROW(names, cap, n + 1);
        if (rc == 0 && !(names[n++] = vault__strdup(de->d_name)))
            rc = vault__oom();
    }
    closedir(dir);
    if (rc != 0) {
        free_names(names, n);
        return rc;
    }
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_names);
    *out = names;
    *count = n;
    return 0;
}

static int read_dir_file(vault_keystore *ks, const char *name)
{
    size_t len = 0;
    char *path = NULL, *base = NULL;
    unsigned char *data = NULL;
    pem_items it;
    int rc;

    memset(&it, 0, sizeof it);
    if ((rc = vault__path_join(&path, ks->path, name)) != 0)
        return rc;
    rc = vault__read_file(path, KS_MAX_FILE, &data, &len);
    if (rc == 0)
        rc = read_certs(path, data, len, &it);
    if (rc == 0)
        rc = move_crls(ks, &it);
    if (rc == 0 && !(base = base_name(name)))
        rc = vault__oom();
    if (rc == 0 && it.certs)
        rc = add_cert_entries(ks, it.certs, base, name);
    pem_items_clear(&it);
    vault__free_ptr(base);
    vault__free_ptr(data);
    vault__free_ptr(path);
    return rc;
}

int ks_read_dir(vault_keystore *ks)
{
    char **names = NULL;
    size_t n = 0, i;
    int rc = list_dir(ks, &names, &n);

    for (i = 0; rc == 0 && i < n; i++)
        rc = read_dir_file(ks, names[i]);
    free_names(names, n);
    return rc;
}
