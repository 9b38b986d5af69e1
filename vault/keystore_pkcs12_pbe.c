/* SPDX-License-Identifier: Apache-2.0 */
/* PKCS#12 and PKCS#8 password-based encryption: the work limits of a
 * file's key derivations, the password's legacy form, encrypted private
 * keys. */
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

/* Whether the queued OpenSSL errors say an algorithm is missing (as
 * opposed to a wrong password). Clears the queue. */
int p12_ssl_unsupported(void)
{
    unsigned long e;
    int found = 0;
    while ((e = ERR_get_error()) != 0) {
        int r = ERR_GET_REASON(e);
        if (r == ERR_R_UNSUPPORTED || r == ERR_R_FETCH_FAILED)
            found = 1;
        if (ERR_GET_LIB(e) == ERR_LIB_EVP &&
            (r == EVP_R_UNKNOWN_PBE_ALGORITHM || r == EVP_R_UNSUPPORTED_CIPHER ||
             r == EVP_R_UNSUPPORTED_KEY_DERIVATION_FUNCTION || r == EVP_R_UNSUPPORTED_PRF ||
             r == EVP_R_UNSUPPORTED_ALGORITHM || r == EVP_R_UNKNOWN_CIPHER))
            found = 1;
    }
    return found;
}

/* A count from the file; UINT64_MAX when it does not fit, 0 when negative. */
uint64_t p12_count_of(const ASN1_INTEGER *n)
{
    uint64_t v = 0;
    if (!n || ASN1_STRING_type(n) == V_ASN1_NEG_INTEGER)
        return 0;
    if (!ASN1_INTEGER_get_uint64(&v, n)) {
        ERR_clear_error();
        v = UINT64_MAX;
    }
    return v;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

/* The file and alias (each may be NULL) and what ("the MAC", "the key's")
 * name the count in the message. */
int p12_check_work(const char *path, const char *alias, const char *what, const char *kind, uint64_t work)
{
    char num[32];

    if (work <= PKCS12_MAX_ITERATIONS)
        return 0;
    if (work == UINT64_MAX)
        snprintf(num, sizeof num, "above 2^64");
    else
        snprintf(num, sizeof num, "%" PRIu64, work);
    return vault__err(VAULT_EFORMAT, "%s%s%s%s%s%s %s %s is too large (limit %d)", path ? path : "",
                     path ? ": " : "", alias ? "alias \"" : "", alias ? alias : "", alias ? "\": " : "", what,
                     kind, num, PKCS12_MAX_ITERATIONS);
}

/* PBES2: the PBKDF2 iteration count, or scrypt's N*r*p. Other key
 * derivations are left to OpenSSL, which refuses them. */
static int pbes2_work(const ASN1_TYPE *param, uint64_t *work, const char **kind)
{
    PBE2PARAM *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), param);
    PBKDF2PARAM *kdf = NULL;
    SCRYPT_PARAMS *sp = NULL;
    int nid, rc = 0;

    if (!pbe2 || !pbe2->keyfunc)
        rc = -1;
    if (rc == 0 && pbe2->encryption) /* DES or RC2 need the legacy provider */
        vault__need_algorithms(OBJ_obj2nid(pbe2->encryption->algorithm), NID_undef);
    nid = rc == 0 ? OBJ_obj2nid(pbe2->keyfunc->algorithm) : NID_undef;
    if (nid == NID_id_pbkdf2) {
        kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter);
        if (kdf)
            *work = p12_count_of(kdf->iter);
        rc = kdf ? 0 : -1;
    } else if (nid == NID_id_scrypt) {
        sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter);
        if (sp)
            *work = mul_sat(mul_sat(p12_count_of(sp->costParameter), p12_count_of(sp->blockSize)),
                            p12_count_of(sp->parallelizationParameter));
        *kind = "scrypt cost (N*r*p)";
        rc = sp ? 0 : -1;
    }
    SCRYPT_PARAMS_free(sp);
    PBKDF2PARAM_free(kdf);
    PBE2PARAM_free(pbe2);
    return rc;
}

/* The parameters of a PBE algorithm, read as OpenSSL will read them, are
 * checked before it derives a key from them: the iteration count of a
 * PKCS#5 v1 or PKCS#12 PBE (PBEParameter) or of PBES2. */
int p12_check_pbe(const char *path, const char *alias, const char *what, const X509_ALGOR *alg)
{
    const char *kind = "iteration count";
    uint64_t work = 0;
    PBEPARAM *pbe = NULL;
    int nid = alg ? OBJ_obj2nid(alg->algorithm) : NID_undef, rc = 0, cipher_nid, md_nid;

    if (nid == NID_pbes2) {
        rc = pbes2_work(alg->parameter, &work, &kind);
    } else if (nid != NID_undef && EVP_PBE_find(EVP_PBE_TYPE_OUTER, nid, &cipher_nid, &md_nid, NULL)) {
        vault__need_algorithms(cipher_nid, md_nid); /* RC2, RC4, DES: the legacy provider */
        pbe = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter);
        if (pbe)
            work = p12_count_of(pbe->iter);
        rc = pbe ? 0 : -1;
    }
    PBEPARAM_free(pbe);
    ERR_clear_error();
    if (rc != 0)
        return vault__err(VAULT_EFORMAT, "%s%s%s%s%s%s encryption parameters are malformed",
                         path ? path : "", path ? ": " : "", alias ? "alias \"" : "", alias ? alias : "",
                         alias ? "\": " : "", what);
    return p12_check_work(path, alias, what, kind, work);
}

/* Strict UTF-8, as OpenSSL's own decoder (UTF8_getc) judges a password:
 * bytes with an overlong form or a surrogate are no UTF-8 password, and
 * OpenSSL takes them as Latin-1 (one BMP character each) itself. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0, k;
    while (i < n) {
        if ((k = vault__utf8_next(s + i, n - i, NULL)) == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* OpenSSL before 1.1.0 made the BMPString of a PKCS#12 password from each
 * byte, not from UTF-8 characters; the UTF-8 text whose characters are
 * those bytes (Latin-1 to UTF-8) gives the same BMPString today. Only a
 * UTF-8 password had such a form (what a terminal gave OpenSSL 1.0.2); so
 * a Latin-1 spelling of a UTF-8 password still fails. NULL when the password
 * is ASCII (the forms agree), not UTF-8, or memory is out. The caller frees
 * with OPENSSL_clear_free(p, *len + 1). */
char *p12_legacy_bmp_form(const char *pass, size_t n, size_t *len)
{
    size_t i, j = 0, high = 0;
    char *out;

    for (i = 0; i < n; i++)
        high += (unsigned char)pass[i] >= 0x80;
    if (high == 0 || !valid_utf8((const unsigned char *)pass, n) || n + high > (size_t)INT_MAX || !(out = OPENSSL_malloc(n + high + 1)))
        return NULL;
    for (i = 0; i < n; i++) {
        unsigned char b = (unsigned char)pass[i];
        if (b < 0x80) {
            out[j++] = (char)b;
        } else {
            out[j++] = (char)(0xC0 | (b >> 6));
            out[j++] = (char)(0x80 | (b & 0x3F));
        }
    }
    out[j] = '\0';
    *len = j;
    return out;
}

/* One decryption attempt: 1 decrypted, 0 not (a wrong password), -1 an
 * algorithm is missing, -2 the plaintext is well-formed DER but not a
 * PrivateKeyInfo (a key format we do not read: a wrong password gives
 * that only with odds far below guessing the password). */
static int pkcs8_try(const X509_SIG *sig, const char *pass, size_t len, PKCS8_PRIV_KEY_INFO **out)
{
    const X509_ALGOR *alg = NULL;
    const ASN1_OCTET_STRING *data = NULL;
    unsigned char *plain = NULL;
    const unsigned char *p;
    STACK_OF(ASN1_TYPE) *any = NULL;
    int plain_len = 0, got = 0;

    *out = NULL;
    X509_SIG_get0(sig, &alg, &data);
    if (ks_pbes2_decrypt(alg, pass, (int)len, data->data, data->length, &plain, &plain_len) != 1 &&
        !PKCS12_pbe_crypt_ex(alg, pass, (int)len, data->data, data->length, &plain, &plain_len, 0,
                             NULL, NULL))
        return p12_ssl_unsupported() ? -1 : 0;
    p = plain;
    *out = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, plain_len);
    if (*out && p == plain + plain_len) {
        got = 1;
    } else {
        PKCS8_PRIV_KEY_INFO_free(*out);
        *out = NULL;
        p = plain;
        any = d2i_ASN1_SEQUENCE_ANY(NULL, &p, plain_len);
        got = any && p == plain + plain_len && plain_len > 16 ? -2 : 0;
        sk_ASN1_TYPE_pop_free(any, ASN1_TYPE_free);
    }
    OPENSSL_clear_free(plain, (size_t)plain_len);
    ERR_clear_error();
    return got;
}

int ks_pkcs8_decrypt(const unsigned char *der, size_t len, const vault_secret *password,
                     PKCS8_PRIV_KEY_INFO **out)
{
    const X509_ALGOR *alg = NULL;
    const unsigned char *p = der;
    const char *pass = password ? vault_secret_str(password) : "";
    X509_SIG *sig = NULL;
    size_t pwlen = vault_secret_len(password), altlen = 0;
    char *alt = NULL;
    int rc = 0, got;

    *out = NULL;
    if (len > (size_t)LONG_MAX || pwlen > (size_t)INT_MAX / 2)
        return vault__err(VAULT_EFORMAT, "encrypted key too large");
    sig = d2i_X509_SIG(NULL, &p, (long)len);
    if (!sig || p != der + len) {
        rc = vault__err_ssl(VAULT_EFORMAT, "malformed encrypted private key");
        goto done;
    }
    X509_SIG_get0(sig, &alg, NULL);
    if ((rc = p12_check_pbe(NULL, NULL, "the key's", alg)) != 0)
        goto done;
    got = pkcs8_try(sig, pass, pwlen, out);
    /* As OpenSSL's PKCS12_parse() tries them: an empty password may have
     * been used as no password at all (Windows), and a non-ASCII one in the
     * form of OpenSSL 1.0.2 and earlier. */
    if (got == 0 && pwlen == 0)
        got = pkcs8_try(sig, NULL, 0, out);
    if (got == 0 && (alt = p12_legacy_bmp_form(pass, pwlen, &altlen)) != NULL)
        got = pkcs8_try(sig, alt, altlen, out);
    /* A wrong password shows as bad padding or, one time in 256, as
     * garbage that does not parse: both mean the password. */
    if (got == -2)
        rc = vault__err(VAULT_EFORMAT, "unsupported key format: the key decrypts, but not to a "
                       "PKCS#8 PrivateKeyInfo");
    else if (got < 0)
        rc = vault__err(VAULT_EFORMAT, "the key is encrypted with an unsupported algorithm (%s)",
                       alg ? OBJ_nid2sn(OBJ_obj2nid(alg->algorithm)) : "?");
    else if (got == 0)
        rc = vault__err(VAULT_EAUTH, "wrong key password");
done:
    if (alt)
        OPENSSL_clear_free(alt, altlen + 1);
    X509_SIG_free(sig);
    ERR_clear_error();
    return rc;
}

/* ks_unlock_fn for an EncryptedPrivateKeyInfo holding a private key. */
int ks_unlock_pkcs8(ks_entry *e, const vault_secret *password)
{
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    int rc = ks_pkcs8_decrypt(e->sealed, e->sealed_len, password, &p8);
    if (rc != 0)
        return rc;
    e->pkey = ks_pkey_from_p8(p8);
    if (!e->pkey)
        rc = vault__err_ssl(VAULT_EFORMAT, "unsupported or malformed private key");
    PKCS8_PRIV_KEY_INFO_free(p8);
    return rc;
}
