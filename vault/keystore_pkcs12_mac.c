/* SPDX-License-Identifier: Apache-2.0 */
/* The MAC of a PKCS#12 file: HMAC (PKCS#12 key derivation) and RFC 9579
 * PBMAC1. */
#include "keystore_pkcs12.h"

#include <inttypes.h>
#include <limits.h>
#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

/* RFC 9579 PBMAC1, the MAC of OpenSSL 3.4's -pbmac1_pbkdf2. */
#define PBMAC1_OID "1.2.840.113549.1.5.14"

/* PBMAC1-params (RFC 8018 appendix A.5); OpenSSL 3.0 has no template for
 * it. */
typedef struct pbmac1_params {
    X509_ALGOR *kdf;
    X509_ALGOR *scheme;
} pbmac1_params;

ASN1_SEQUENCE(pbmac1_params) = {
    ASN1_SIMPLE(pbmac1_params, kdf, X509_ALGOR),
    ASN1_SIMPLE(pbmac1_params, scheme, X509_ALGOR),
} static_ASN1_SEQUENCE_END(pbmac1_params)

/* The digest of an hmacWith* algorithm (the PRFs of PBKDF2 and PBES2);
 * NULL when OpenSSL knows none. The caller frees it. */
static EVP_MD *hmac_digest(const ASN1_OBJECT *oid)
{
    int md_nid = NID_undef;
    EVP_MD *md = NULL;

    if (EVP_PBE_find(EVP_PBE_TYPE_PRF, OBJ_obj2nid(oid), NULL, &md_nid, NULL) && md_nid != NID_undef)
        md = EVP_MD_fetch(NULL, OBJ_nid2sn(md_nid), NULL);
    ERR_clear_error();
    return md;
}

/* The authSafe as a Data ContentInfo, whose content the MAC covers. The
 * PKCS12 structure is opaque in OpenSSL 3.0, so the file is read again. */
static PKCS7 *authsafe_data(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    STACK_OF(ASN1_TYPE) *pfx = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
    const ASN1_TYPE *ci = sk_ASN1_TYPE_num(pfx) >= 2 ? sk_ASN1_TYPE_value(pfx, 1) : NULL;
    PKCS7 *p7 = NULL;

    if (ci && ci->type == V_ASN1_SEQUENCE) {
        p = ci->value.sequence->data;
        p7 = d2i_PKCS7(NULL, &p, ci->value.sequence->length);
    }
    if (p7 && (!PKCS7_type_is_data(p7) || !p7->d.data)) {
        PKCS7_free(p7);
        p7 = NULL;
    }
    sk_ASN1_TYPE_pop_free(pfx, ASN1_TYPE_free);
    ERR_clear_error();
    return p7;
}

static const char *oid_name(const ASN1_OBJECT *oid, char *buf, int size)
{
    return OBJ_obj2txt(buf, size, oid, 0) > 0 ? buf : "?";
}

/* RFC 9579 PBMAC1: an HMAC of the authSafe content keyed by PBKDF2 of the
 * password as given (UTF-8, not the BMPString of the PKCS#12 key
 * derivation). The MacData's own salt and iteration count are not used.
 * 1 the MAC matches, 0 it does not, or an error code. */
static int pbmac1_check(const p12_ctx *c, PKCS12 *p12, const unsigned char *der, size_t len)
{
    const char *path = c->ks->path;
    const X509_ALGOR *macalg = NULL;
    const ASN1_OCTET_STRING *mac = NULL, *salt;
    pbmac1_params *pp = NULL;
    PBKDF2PARAM *kdf = NULL;
    EVP_MD *prf = NULL, *md = NULL;
    PKCS7 *p7 = NULL;
    unsigned char key[EVP_MAX_MD_SIZE], out[EVP_MAX_MD_SIZE];
    unsigned int outlen = 0;
    uint64_t iter, keylen;
    char name[80];
    int rc;

    PKCS12_get0_mac(&mac, &macalg, NULL, NULL, p12);
    pp = macalg ? ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(pbmac1_params), macalg->parameter) : NULL;
    if (!pp || !mac) {
        rc = vault__err(VAULT_EFORMAT, "%s: malformed PBMAC1 MAC parameters", path);
        goto done;
    }
    if (OBJ_obj2nid(pp->kdf->algorithm) != NID_id_pbkdf2) {
        rc = vault__err(VAULT_EFORMAT, "%s: unsupported key derivation %s for the PBMAC1 MAC (only "
                       "PBKDF2)", path, oid_name(pp->kdf->algorithm, name, sizeof name));
        goto done;
    }
    kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pp->kdf->parameter);
    if (!kdf || !kdf->salt || kdf->salt->type != V_ASN1_OCTET_STRING) {
        rc = vault__err(VAULT_EFORMAT, "%s: malformed PBKDF2 parameters of the PBMAC1 MAC", path);
        goto done;
    }
    salt = kdf->salt->value.octet_string;
    /* RFC 9579 requires the key length; a file without it is refused, as
     * the RFC's own invalid example is. */
    if (!kdf->keylength) {
        rc = vault__err(VAULT_EFORMAT, "%s: the PBMAC1 MAC's PBKDF2 parameters have no key length",
                       path);
        goto done;
    }
    keylen = p12_count_of(kdf->keylength);
    if (keylen < 1 || keylen > EVP_MAX_MD_SIZE) {
        rc = vault__err(VAULT_EFORMAT, "%s: PBMAC1 MAC key length out of range (1 to %d)", path,
                       EVP_MAX_MD_SIZE);
        goto done;
    }
    iter = p12_count_of(kdf->iter);
    if (iter < 1) {
        rc = vault__err(VAULT_EFORMAT, "%s: MAC iteration count out of range (1 to %d)", path,
                       PKCS12_MAX_ITERATIONS);
        goto done;
    }
    if ((rc = p12_check_work(path, NULL, "the MAC", "iteration count", iter)) != 0)
        goto done;
    if (!(prf = hmac_digest(kdf->prf ? kdf->prf->algorithm : OBJ_nid2obj(NID_hmacWithSHA1)))) {
        rc = vault__err(VAULT_EFORMAT, "%s: unsupported PRF %s for the PBMAC1 MAC", path,
                       kdf->prf ? oid_name(kdf->prf->algorithm, name, sizeof name) : "?");
        goto done;
    }
    if (!(md = hmac_digest(pp->scheme->algorithm))) {
        rc = vault__err(VAULT_EFORMAT, "%s: unsupported PBMAC1 MAC algorithm %s", path,
                       oid_name(pp->scheme->algorithm, name, sizeof name));
        goto done;
    }
    if (!(p7 = authsafe_data(der, len))) {
        rc = vault__err(VAULT_EFORMAT, "%s: malformed PKCS#12 content under the PBMAC1 MAC", path);
        goto done;
    }
    if (!PKCS5_PBKDF2_HMAC(c->pass ? c->pass : "", c->passlen, salt->data, salt->length, (int)iter,
                           prf, (int)keylen, key) ||
        !HMAC(md, key, (int)keylen, p7->d.data->data, (size_t)p7->d.data->length, out, &outlen)) {
        rc = vault__err_ssl(VAULT_ERROR, "%s: computing the PBMAC1 MAC failed", path);
        goto done;
    }
    rc = outlen == (unsigned int)mac->length && CRYPTO_memcmp(out, mac->data, outlen) == 0;
done:
    OPENSSL_cleanse(key, sizeof key);
    PKCS7_free(p7);
    EVP_MD_free(md);
    EVP_MD_free(prf);
    PBKDF2PARAM_free(kdf);
    ASN1_item_free((ASN1_VALUE *)pp, ASN1_ITEM_rptr(pbmac1_params));
    ERR_clear_error();
    return rc;
}

/* The MAC's inputs, read once for every form of the password tried. */
typedef struct mac_check {
    PKCS12 *p12;
    PKCS7 *data;  /* the authSafe, NULL when the fast path does not apply */
    int md_nid;
    const unsigned char *salt;
    size_t saltlen;
    unsigned long iter;
    const ASN1_OCTET_STRING *mac;
} mac_check;

/* HMAC MACs with SHA-1 and SHA-2 are checked by keystore_kdf.c (one
 * digest context per derivation, no provider asked); the rest by
 * PKCS12_verify_mac(). */
static void mac_check_init(mac_check *m, PKCS12 *p12, const unsigned char *der, size_t len)
{
    const X509_ALGOR *macalg = NULL;
    const ASN1_OCTET_STRING *salt = NULL;
    const ASN1_INTEGER *iter = NULL;
    uint64_t n = 1;

    memset(m, 0, sizeof *m);
    m->p12 = p12;
    PKCS12_get0_mac(&m->mac, &macalg, &salt, &iter, p12);
    if (!m->mac || !macalg || !salt || (iter && ((n = p12_count_of(iter)) < 1 || n > ULONG_MAX)))
        return;
    m->md_nid = OBJ_obj2nid(macalg->algorithm);
    m->salt = salt->data;
    m->saltlen = (size_t)salt->length;
    m->iter = (unsigned long)n;
    m->data = authsafe_data(der, len);
}

/* 1 when the MAC matches with pass, else 0. */
static int mac_matches(const mac_check *m, const char *pass, int passlen)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t outlen = 0;
    int ok;

    if (!m->data || ks_pkcs12_mac(m->md_nid, pass, passlen, m->salt, m->saltlen, m->iter,
                                  m->data->d.data->data, (size_t)m->data->d.data->length, out,
                                  &outlen) != 0)
        return PKCS12_verify_mac(m->p12, pass, passlen) == 1;
    ok = outlen == (size_t)m->mac->length && CRYPTO_memcmp(out, m->mac->data, outlen) == 0;
    OPENSSL_cleanse(out, sizeof out);
    return ok;
}

/* Check the MAC; an empty password may have been hashed as "" or as no
 * password at all, as OpenSSL's PKCS12_parse() allows. */
int p12_verify_mac(p12_ctx *c, PKCS12 *p12, const unsigned char *der, size_t len)
{
    const ASN1_INTEGER *iter = NULL;
    const X509_ALGOR *macalg = NULL;
    mac_check m;
    char oid[64];
    int rc;

    if (!PKCS12_mac_present(p12))
        return 0;
    PKCS12_get0_mac(NULL, &macalg, NULL, &iter, p12);
    /* RFC 9579's PBMAC1 (OpenSSL 3.4 -pbmac1_pbkdf2) is not in OpenSSL 3.0,
     * whose check would fail as a wrong password. */
    if (macalg && OBJ_obj2txt(oid, sizeof oid, macalg->algorithm, 1) > 0 &&
        strcmp(oid, PBMAC1_OID) == 0) {
        rc = pbmac1_check(c, p12, der, len);
        if (rc == 0)
            rc = vault__err(VAULT_EAUTH, "%s: wrong store password, or the keystore was tampered "
                           "with (its PBMAC1 MAC does not match)", c->ks->path);
        return rc == 1 ? 0 : rc;
    }
    if (iter && p12_count_of(iter) < 1)
        return vault__err(VAULT_EFORMAT, "%s: MAC iteration count out of range (1 to %d)", c->ks->path,
                         PKCS12_MAX_ITERATIONS);
    if (iter && (rc = p12_check_work(c->ks->path, NULL, "the MAC", "iteration count", p12_count_of(iter))) != 0)
        return rc;
    mac_check_init(&m, p12, der, len);
    rc = VAULT_EAUTH;
    if (c->passlen == 0) {
        if (mac_matches(&m, NULL, 0)) {
            c->pass = NULL;
            rc = 0;
        } else if (mac_matches(&m, "", 0)) {
            rc = 0;
        }
    } else if (mac_matches(&m, c->pass, c->passlen)) {
        rc = 0;
    } else if ((c->alt = p12_legacy_bmp_form(c->pass, (size_t)c->passlen, &c->altlen)) != NULL &&
               mac_matches(&m, c->alt, (int)c->altlen)) {
        c->pass = c->alt; /* a file of OpenSSL 1.0.2 or earlier */
        c->passlen = (int)c->altlen;
        rc = 0;
    }
    PKCS7_free(m.data);
    ERR_clear_error();
    if (rc != 0)
        return vault__err(VAULT_EAUTH, "%s: wrong store password, or the keystore was tampered with",
                         c->ks->path);
    return 0;
}
