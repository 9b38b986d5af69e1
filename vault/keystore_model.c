/* SPDX-License-Identifier: Apache-2.0 */
/* The keystore model the format readers build (keystore_internal.h):
 * entries, their certificates, CRLs, sealed keys unlocked on first use. */
#include "array.h"
#include "keystore_internal.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <string.h>

static void entry_free(ks_entry *e)
{
    size_t i;
    if (!e)
        return;
    if (e->der) {
        for (i = 0; i < e->info.chain_length; i++)
            vault__free_ptr(e->der[i]);
    }
    vault__free_ptr(e->der);
    vault__free_ptr(e->der_len);
    sk_X509_pop_free(e->chain, X509_free);
    EVP_PKEY_free(e->pkey);
    vault_secret_free(e->secret);
    if (e->sealed)
        sodium_memzero(e->sealed, e->sealed_len);
    vault__free_ptr(e->sealed);
    vault__free_ptr(e->alias);
    vault__free_ptr(e->subject);
    vault__free_ptr(e->issuer);
    vault__free_ptr(e->serial);
    vault__free_ptr(e->secret_algorithm);
    vault__free_ptr(e);
}

void vault_keystore_free(vault_keystore *ks)
{
    size_t i;
    if (!ks)
        return;
    for (i = 0; i < ks->count; i++)
        entry_free(ks->entries[i]);
    vault__free_ptr(ks->entries);
    if (ks->device_close)
        ks->device_close(ks->device);
    vault_secret_free(ks->store_password);
    sk_X509_CRL_pop_free(ks->crls, X509_CRL_free);
    vault__free_ptr(ks->path);
    pthread_mutex_destroy(&ks->lock);
    vault__free_ptr(ks);
}

int ks_add_entry(vault_keystore *ks, const char *alias, size_t alias_len, vault_entry_kind kind,
                 ks_entry **out)
{
    ks_entry *e;
    size_t i;

    *out = NULL;
    if (memchr(alias, '\0', alias_len))
        return vault__err(VAULT_EFORMAT, "%s: alias with a NUL character", ks->path);
    for (i = 0; i < ks->count; i++) {
        const char *a = ks->entries[i]->alias;
        if (strlen(a) == alias_len && vault__strncaseeq(a, alias, alias_len))
            return vault__err(VAULT_EFORMAT, "%s: duplicate alias \"%s\"", ks->path, a);
    }
    if (VAULT_ARRAY_GROW(ks->entries, ks->cap, ks->count + 1) != 0)
        return VAULT_ENOMEM;
    e = vault__calloc(1, sizeof *e);
    if (!e)
        return vault__oom();
    e->alias = vault__strndup(alias, alias_len);
    e->chain = sk_X509_new_null();
    if (!e->alias || !e->chain) {
        entry_free(e);
        return vault__oom();
    }
    e->info.alias = e->alias;
    e->info.kind = kind;
    ks->entries[ks->count++] = e;
    *out = e;
    return 0;
}

int ks_entry_add_cert(vault_keystore *ks, ks_entry *e, X509 *cert)
{
    size_t n = e->info.chain_length, dcap = e->der_cap, lcap = e->der_cap;
    unsigned char *p;
    int len;

    len = i2d_X509(cert, NULL);
    if (len <= 0) {
        X509_free(cert);
        return vault__err_ssl(VAULT_EFORMAT, "%s: alias \"%s\": bad certificate", ks->path, e->alias);
    }
    /* Two arrays of one capacity: it is recorded once both have grown. */
    if (VAULT_ARRAY_GROW(e->der, dcap, n + 1) != 0 || VAULT_ARRAY_GROW(e->der_len, lcap, n + 1) != 0) {
        X509_free(cert);
        return VAULT_ENOMEM;
    }
    e->der_cap = dcap < lcap ? dcap : lcap;
    if (!(e->der[n] = vault__malloc((size_t)len))) {
        X509_free(cert);
        return vault__oom();
    }
    p = e->der[n];
    i2d_X509(cert, &p);
    e->der_len[n] = (size_t)len;
    if (!sk_X509_push(e->chain, cert)) {
        vault__free_ptr(e->der[n]);
        X509_free(cert);
        return vault__oom();
    }
    e->info.chain_length = n + 1;
    return 0;
}

int ks_entry_add_cert_der(vault_keystore *ks, ks_entry *e, const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509 *cert;

    if (len > (size_t)LONG_MAX)
        return vault__err(VAULT_EFORMAT, "%s: alias \"%s\": certificate too large", ks->path, e->alias);
    cert = d2i_X509(NULL, &p, (long)len);
    if (!cert || p != der + len) {
        X509_free(cert);
        ERR_clear_error();
        return vault__err(VAULT_EFORMAT, "%s: alias \"%s\": malformed certificate", ks->path, e->alias);
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
        return vault__oom();
    }
    if (!sk_X509_CRL_push(ks->crls, crl)) {
        X509_CRL_free(crl);
        return vault__oom();
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
    e->sealed = vault__malloc(len);
    if (!e->sealed)
        return vault__oom();
    memcpy(e->sealed, data, len);
    e->sealed_len = len;
    e->unlock = unlock;
    return 0;
}
