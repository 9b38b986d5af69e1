/* SPDX-License-Identifier: Apache-2.0 */
/* Certificate chain verification against a truststore. */
#include "keystore_internal.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <time.h>

/* Every trusted-certificate entry is an anchor; so is the own certificate
 * of a key entry, as Java's PKIX trust manager treats a keystore. */
static int fill_store(X509_STORE *store, const vault_keystore *trust)
{
    size_t i;
    for (i = 0; i < trust->count; i++) {
        const ks_entry *e = trust->entries[i];
        if (e->info.chain_length == 0 || e->info.kind == VAULT_ENTRY_SECRET_KEY)
            continue;
        if (!X509_STORE_add_cert(store, sk_X509_value(e->chain, 0))) {
            unsigned long err = ERR_peek_last_error();
            /* The same certificate under two aliases is not an error. */
            if (ERR_GET_REASON(err) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
                return vault__err_ssl(VAULT_ERROR, "%s: cannot use alias \"%s\" as a trust anchor",
                                     trust->path, e->alias);
            ERR_clear_error();
        }
    }
    return 0;
}

/* The truststore's CRLs turn on revocation checking for the whole path. */
static int add_crls(X509_STORE *store, const vault_keystore *trust)
{
    int i;
    for (i = 0; i < sk_X509_CRL_num(trust->crls); i++)
        if (!X509_STORE_add_crl(store, sk_X509_CRL_value(trust->crls, i)))
            return vault__err_ssl(VAULT_ERROR, "%s: cannot use a CRL", trust->path);
    if (sk_X509_CRL_num(trust->crls) > 0)
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    return 0;
}

/* RFC 5280 5.3.1 reason names, for a revoked certificate. */
static const char *revocation_reason(const vault_keystore *trust, X509 *cert)
{
    static const char *const names[] = {
        "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
        "cessationOfOperation", "certificateHold", "", "removeFromCRL", "privilegeWithdrawn",
        "aACompromise",
    };
    const char *out = "unspecified";
    int i;

    for (i = 0; cert && i < sk_X509_CRL_num(trust->crls); i++) {
        X509_REVOKED *r = NULL;
        ASN1_ENUMERATED *code;
        long v;
        if (X509_CRL_get0_by_cert(sk_X509_CRL_value(trust->crls, i), &r, cert) != 1 || !r)
            continue;
        code = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
        v = code ? ASN1_ENUMERATED_get(code) : 0;
        ASN1_ENUMERATED_free(code);
        if (v >= 0 && (size_t)v < sizeof names / sizeof names[0] && names[v][0])
            out = names[v];
        break;
    }
    ERR_clear_error();
    return out;
}

/* The entry to verify: the alias, else the only key entry, else (a
 * certificate file or bundle, or a public-key file) the first entry. */
static int find_subject(const vault_keystore *ks, const char *alias, ks_entry **e)
{
    size_t i;
    int rc = ks_find(ks, alias, e);
    if (rc == 0 || alias || ks->count == 0)
        return rc;
    for (i = 0; i < ks->count; i++)
        if (ks->entries[i]->info.kind != VAULT_ENTRY_TRUSTED_CERT &&
            ks->entries[i]->info.kind != VAULT_ENTRY_PUBLIC_KEY)
            return rc;
    vault_error_clear();
    *e = ks->entries[0];
    return 0;
}

/* The entry's own chain, then every other certificate of its file (a PEM
 * bundle of leaf and intermediates), may serve as intermediates. */
static int add_intermediates(STACK_OF(X509) *untrusted, const vault_keystore *ks, const ks_entry *e)
{
    size_t i;
    int j;
    for (j = 1; j < sk_X509_num(e->chain); j++)
        if (!sk_X509_push(untrusted, sk_X509_value(e->chain, j)))
            return vault__oom();
    for (i = 0; i < ks->count; i++) {
        const ks_entry *o = ks->entries[i];
        if (o == e || o->info.chain_length == 0)
            continue;
        for (j = 0; j < sk_X509_num(o->chain); j++)
            if (!sk_X509_push(untrusted, sk_X509_value(o->chain, j)))
                return vault__oom();
    }
    return 0;
}

int vault_keystore_verify(const vault_keystore *trust, const vault_keystore *ks, const char *alias,
                          int64_t at, unsigned int flags)
{
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *untrusted = NULL;
    ks_entry *e;
    char fp[65];
    int rc;

    if (!trust || !ks)
        return vault__err(VAULT_EINVAL, "vault_keystore_verify: invalid argument");
    rc = find_subject(ks, alias, &e);
    if (rc != 0)
        return rc;
    /* A truststore vouches for certificates: a bare key (a public key, or a
     * private key without its certificate) names no issuer to check. */
    if (e->info.chain_length == 0)
        return vault__err(VAULT_ETRUST, "%s: alias \"%s\" is a %s without certificate: a truststore "
                         "cannot vouch for it", ks->path, e->alias,
                         e->info.kind == VAULT_ENTRY_SECRET_KEY ? "secret key" : "bare key");
    vault__hex(fp, e->info.sha256, sizeof e->info.sha256, 0);
    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();
    untrusted = sk_X509_new_null();
    if (!store || !ctx || !untrusted) {
        rc = vault__oom();
        goto done;
    }
    rc = fill_store(store, trust);
    if (rc == 0)
        rc = add_crls(store, trust);
    if (rc != 0)
        goto done;
    rc = add_intermediates(untrusted, ks, e);
    if (rc != 0)
        goto done;
    if (!X509_STORE_CTX_init(ctx, store, sk_X509_value(e->chain, 0), untrusted)) {
        rc = vault__err_ssl(VAULT_ERROR, "cannot set up certificate verification");
        goto done;
    }
    if (flags & VAULT_VERIFY_NO_TIME)
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
    else if (at != 0)
        X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
    if (X509_verify_cert(ctx) != 1) {
        int err = X509_STORE_CTX_get_error(ctx);
        int depth = X509_STORE_CTX_get_error_depth(ctx);
        char why[64] = "";
        if (err == X509_V_ERR_CERT_REVOKED)
            snprintf(why, sizeof why, " (reason: %s)",
                     revocation_reason(trust, X509_STORE_CTX_get_current_cert(ctx)));
        ERR_clear_error();
        rc = vault__err(VAULT_ETRUST,
                       "%s: alias \"%s\": certificate \"%s\" (SHA-256 %.16s…) is not trusted by %s: "
                       "%s%s%s", ks->path, e->alias, e->subject ? e->subject : "?", fp, trust->path,
                       X509_verify_cert_error_string(err), why,
                       depth > 0 ? " (in its issuer chain)" : "");
        goto done;
    }
    rc = 0;
done:
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}
