/* SPDX-License-Identifier: Apache-2.0 */
/* PKCS#12 keystores: Java 17 and OpenSSL 3 (PBES2/AES) and legacy RC2/3DES files. */
#include "keystore_internal.h"

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

/* Nested safeContentsBags deeper than this are refused. */
#define P12_MAX_DEPTH 4

/* Java's own ceiling (PKCS12KeyStore's MAX_ITERATION_COUNT), for the MAC
 * and for every PBE and PBKDF2 count, and for scrypt's N*r*p: the work
 * comes from the file and is spent before any password is checked. */
#define PKCS12_MAX_ITERATIONS 5000000

/* Java marks trusted certificate entries with this bag attribute
 * (ORACLE_TrustedKeyUsage); OpenSSL 3.0 has no NID for it. */
#define JAVA_TRUSTED_OID "2.16.840.1.113894.746875.1.1"

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

typedef struct p12_cert {
    X509 *x509;
    const PKCS12_SAFEBAG *bag;
    int used; /* part of a key entry's chain */
} p12_cert;

typedef struct p12_ctx {
    vault_keystore *ks;
    const char *pass; /* NULL or the store password, as OpenSSL wants it */
    int passlen;
    char *alt; /* the password in OpenSSL 1.0.2's form, when that opened the file */
    size_t altlen;
    STACK_OF(PKCS12_SAFEBAG) *owned; /* bags as unpacked, freed at the end */
    STACK_OF(PKCS12_SAFEBAG) *flat;  /* every bag but safeContentsBags, borrowed */
    p12_cert *certs;
    size_t ncerts, nkeys;
    unsigned long next_alias;
} p12_ctx;

/* Whether the queued OpenSSL errors say an algorithm is missing (as
 * opposed to a wrong password). Clears the queue. */
static int ssl_unsupported(void)
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
static uint64_t count_of(const ASN1_INTEGER *n)
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
static int check_work(const char *path, const char *alias, const char *what, const char *kind, uint64_t work)
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
            *work = count_of(kdf->iter);
        rc = kdf ? 0 : -1;
    } else if (nid == NID_id_scrypt) {
        sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter);
        if (sp)
            *work = mul_sat(mul_sat(count_of(sp->costParameter), count_of(sp->blockSize)),
                            count_of(sp->parallelizationParameter));
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
static int check_pbe(const char *path, const char *alias, const char *what, const X509_ALGOR *alg)
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
            work = count_of(pbe->iter);
        rc = pbe ? 0 : -1;
    }
    PBEPARAM_free(pbe);
    ERR_clear_error();
    if (rc != 0)
        return vault__err(VAULT_EFORMAT, "%s%s%s%s%s%s encryption parameters are malformed",
                         path ? path : "", path ? ": " : "", alias ? "alias \"" : "", alias ? alias : "",
                         alias ? "\": " : "", what);
    return check_work(path, alias, what, kind, work);
}

static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0, k, more;
    while (i < n) {
        unsigned char b = s[i++];
        more = b < 0x80 ? 0 : (b & 0xE0) == 0xC0 ? 1 : (b & 0xF0) == 0xE0 ? 2 : (b & 0xF8) == 0xF0 ? 3 : 4;
        if (more == 4 || (b >= 0x80 && b < 0xC2) || more > n - i)
            return 0;
        for (k = 0; k < more; k++)
            if ((s[i++] & 0xC0) != 0x80)
                return 0;
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
static char *legacy_bmp_form(const char *pass, size_t n, size_t *len)
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
    if (!PKCS12_pbe_crypt_ex(alg, pass, (int)len, data->data, data->length, &plain, &plain_len, 0,
                             NULL, NULL))
        return ssl_unsupported() ? -1 : 0;
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
    if ((rc = check_pbe(NULL, NULL, "the key's", alg)) != 0)
        goto done;
    got = pkcs8_try(sig, pass, pwlen, out);
    /* As OpenSSL's PKCS12_parse() tries them: an empty password may have
     * been used as no password at all (Windows), and a non-ASCII one in the
     * form of OpenSSL 1.0.2 and earlier. */
    if (got == 0 && pwlen == 0)
        got = pkcs8_try(sig, NULL, 0, out);
    if (got == 0 && (alt = legacy_bmp_form(pass, pwlen, &altlen)) != NULL)
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

/* Java's names for the key algorithms it writes into secretBags. */
static const char *secret_algorithm_name(const ASN1_OBJECT *oid, char *buf, size_t size)
{
    static const struct { const char *oid, *name; } names[] = {
        {"2.16.840.1.101.3.4.1", "AES"},      {"1.2.840.113549.3.7", "DESede"},
        {"1.3.14.3.2.7", "DES"},              {"1.2.840.113549.2.7", "HmacSHA1"},
        {"1.2.840.113549.2.8", "HmacSHA224"}, {"1.2.840.113549.2.9", "HmacSHA256"},
        {"1.2.840.113549.2.10", "HmacSHA384"}, {"1.2.840.113549.2.11", "HmacSHA512"},
    };
    size_t i;
    if (OBJ_obj2txt(buf, (int)size, oid, 1) <= 0)
        return NULL;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i].oid);
        /* AES OIDs name a mode under the AES arc (e.g. .42 for AES-256-CBC). */
        if (strcmp(buf, names[i].oid) == 0 ||
            (i == 0 && strncmp(buf, names[i].oid, n) == 0 && buf[n] == '.'))
            return names[i].name;
    }
    return buf;
}

/* ks_unlock_fn for a Java secretBag: an EncryptedPrivateKeyInfo whose
 * plaintext is SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING key }. */
static int unlock_secret(ks_entry *e, const vault_secret *password)
{
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    const ASN1_OBJECT *oid = NULL;
    const unsigned char *key = NULL;
    const char *name;
    char buf[128];
    int keylen = 0, rc;

    rc = ks_pkcs8_decrypt(e->sealed, e->sealed_len, password, &p8);
    if (rc != 0)
        return rc;
    if (!PKCS8_pkey_get0(&oid, &key, &keylen, NULL, p8) || keylen <= 0 ||
        !(name = secret_algorithm_name(oid, buf, sizeof buf))) {
        rc = vault__err(VAULT_EFORMAT, "malformed secret key");
        goto done;
    }
    vault__free_ptr(e->secret_algorithm);
    e->secret_algorithm = vault__strdup(name);
    if (!e->secret_algorithm) {
        rc = vault__oom();
        goto done;
    }
    rc = vault_secret_new(&e->secret, key, (size_t)keylen);
done:
    PKCS8_PRIV_KEY_INFO_free(p8);
    ERR_clear_error();
    return rc;
}

/* Move the bags of one SafeContents into the context, flattening nested
 * safeContentsBags. */
static int collect_bags(p12_ctx *c, STACK_OF(PKCS12_SAFEBAG) *bags, int depth, int owned)
{
    int i, n = sk_PKCS12_SAFEBAG_num(bags);

    if (depth > P12_MAX_DEPTH)
        return vault__err(VAULT_EFORMAT, "%s: safe contents nested too deeply", c->ks->path);
    for (i = 0; i < n; i++) {
        PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, i);
        int rc;
        if (PKCS12_SAFEBAG_get_nid(bag) == NID_safeContentsBag) {
            rc = collect_bags(c, (STACK_OF(PKCS12_SAFEBAG) *)PKCS12_SAFEBAG_get0_safes(bag),
                              depth + 1, 0);
            if (rc != 0)
                return rc;
        } else if (!sk_PKCS12_SAFEBAG_push(c->flat, bag)) {
            return vault__oom();
        }
    }
    if (owned) {
        /* The bags pass to c->owned: room is made first so that no push
         * fails half-way, then the old stack lets go of them. */
        if (!sk_PKCS12_SAFEBAG_reserve(c->owned, n))
            return vault__oom();
        for (i = 0; i < n; i++)
            (void)sk_PKCS12_SAFEBAG_push(c->owned, sk_PKCS12_SAFEBAG_value(bags, i));
        sk_PKCS12_SAFEBAG_zero(bags);
    }
    return 0;
}

static int unpack_authsafe(p12_ctx *c, PKCS7 *p7)
{
    STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
    int nid = OBJ_obj2nid(p7->type), rc;

    if (nid == NID_pkcs7_data) {
        bags = PKCS12_unpack_p7data(p7);
        if (!bags)
            return vault__err_ssl(VAULT_EFORMAT, "%s: malformed PKCS#12 safe contents", c->ks->path);
    } else if (nid == NID_pkcs7_encrypted) {
        if (!p7->d.encrypted || !p7->d.encrypted->enc_data)
            return vault__err(VAULT_EFORMAT, "%s: malformed PKCS#12 encrypted data", c->ks->path);
        rc = check_pbe(c->ks->path, NULL, "the certificates'", p7->d.encrypted->enc_data->algorithm);
        if (rc != 0)
            return rc;
        bags = PKCS12_unpack_p7encdata(p7, c->pass, c->passlen);
        if (!bags) {
            /* The MAC has proved the password and the bytes; what is left
             * is a missing algorithm or a file whose MAC was left out. */
            if (ssl_unsupported())
                return vault__err(VAULT_EFORMAT, "%s: the certificates are encrypted with an "
                                 "unsupported algorithm", c->ks->path);
            return vault__err(VAULT_EAUTH, "%s: wrong store password, or the keystore was "
                             "tampered with", c->ks->path);
        }
    } else {
        return vault__err(VAULT_EFORMAT, "%s: unsupported PKCS#12 content (%s); only "
                         "password-protected files are supported", c->ks->path, OBJ_nid2sn(nid));
    }
    rc = collect_bags(c, bags, 0, 1);
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    return rc;
}

static const ASN1_OCTET_STRING *bag_key_id(const PKCS12_SAFEBAG *bag)
{
    const ASN1_TYPE *t = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);
    return t && t->type == V_ASN1_OCTET_STRING ? t->value.octet_string : NULL;
}

static int bag_java_trusted(const PKCS12_SAFEBAG *bag)
{
    const STACK_OF(X509_ATTRIBUTE) *attrs = PKCS12_SAFEBAG_get0_attrs(bag);
    ASN1_OBJECT *oid = OBJ_txt2obj(JAVA_TRUSTED_OID, 1);
    int i, found = 0;

    for (i = 0; oid && i < sk_X509_ATTRIBUTE_num(attrs); i++)
        if (OBJ_cmp(X509_ATTRIBUTE_get0_object(sk_X509_ATTRIBUTE_value(attrs, i)), oid) == 0)
            found = 1;
    ASN1_OBJECT_free(oid);
    return found;
}

static int alias_taken(const vault_keystore *ks, const char *alias)
{
    size_t i;
    for (i = 0; i < ks->count; i++)
        if (vault__strcaseeq(ks->entries[i]->alias, alias))
            return 1;
    return 0;
}

static int add_numbered_entry(p12_ctx *c, vault_entry_kind kind, ks_entry **out)
{
    char num[32];
    do
        snprintf(num, sizeof num, "%lu", ++c->next_alias);
    while (alias_taken(c->ks, num));
    return ks_add_entry(c->ks, num, strlen(num), kind, out);
}

/* Add an entry named by the bag's friendlyName; without one, a key by the
 * hex of its localKeyId, or else "1", "2", ... in file order, as Java names
 * unnamed entries. A certificate whose name is taken (a CA certificate
 * named like the key it issued) is numbered too: every certificate is
 * listed. */
static int add_named_entry(p12_ctx *c, const PKCS12_SAFEBAG *bag, vault_entry_kind kind,
                           ks_entry **out)
{
    char *name = PKCS12_get_friendlyname((PKCS12_SAFEBAG *)bag);
    const ASN1_OCTET_STRING *id = bag_key_id(bag);
    int cert = kind == VAULT_ENTRY_TRUSTED_CERT;
    char *hex = NULL;
    int rc;

    ERR_clear_error();
    if (name && !(cert && alias_taken(c->ks, name))) {
        rc = ks_add_entry(c->ks, name, strlen(name), kind, out);
    } else if (!cert && id && id->length > 0 && id->length <= 64) {
        hex = vault__malloc((size_t)id->length * 2 + 1);
        if (!hex) {
            OPENSSL_free(name);
            return vault__oom();
        }
        vault__hex(hex, id->data, (size_t)id->length, 0);
        rc = ks_add_entry(c->ks, hex, strlen(hex), kind, out);
    } else {
        rc = add_numbered_entry(c, kind, out);
    }
    OPENSSL_free(name);
    vault__free_ptr(hex);
    return rc;
}

static void mark_used(p12_ctx *c, const X509 *x)
{
    size_t i;
    for (i = 0; i < c->ncerts; i++)
        if (X509_cmp(c->certs[i].x509, x) == 0)
            c->certs[i].used = 1;
}

static const p12_cert *find_issuer(const p12_ctx *c, const ks_entry *e, X509 *subject)
{
    size_t i;
    if (ks_cert_issued_by(subject, subject))
        return NULL; /* self-signed: the root */
    for (i = 0; i < c->ncerts; i++)
        if (ks_cert_issued_by(c->certs[i].x509, subject) &&
            !ks_entry_has_cert(e, c->certs[i].x509))
            return &c->certs[i];
    return NULL;
}

static int same_key_id(const p12_cert *pc, const ASN1_OCTET_STRING *id)
{
    const ASN1_OCTET_STRING *cid = bag_key_id(pc->bag);
    return id && cid && ASN1_OCTET_STRING_cmp(cid, id) == 0;
}

/* The key's certificate: of those with its localKeyId (some old tools gave
 * the CA certificates of the chain the same id), the one that issued none
 * of the others. */
static const p12_cert *key_cert(const p12_ctx *c, const ASN1_OCTET_STRING *id)
{
    const p12_cert *first = NULL;
    size_t i, j;
    int issuer;

    for (i = 0; i < c->ncerts; i++) {
        if (!same_key_id(&c->certs[i], id))
            continue;
        if (!first)
            first = &c->certs[i];
        issuer = 0;
        for (j = 0; j < c->ncerts && !issuer; j++)
            issuer = j != i && same_key_id(&c->certs[j], id) &&
                     X509_cmp(c->certs[i].x509, c->certs[j].x509) != 0 &&
                     ks_cert_issued_by(c->certs[i].x509, c->certs[j].x509);
        if (!issuer)
            return &c->certs[i];
    }
    return first;
}

/* The key's certificate, then its issuers from the other certificates of
 * the file, leaf first. */
static int attach_chain(p12_ctx *c, ks_entry *e, const PKCS12_SAFEBAG *key_bag)
{
    const p12_cert *cur = key_cert(c, bag_key_id(key_bag));
    size_t i;
    int rc;

    for (i = 0; cur && i < c->ncerts; i++) {
        if (!X509_up_ref(cur->x509))
            return vault__oom();
        rc = ks_entry_add_cert(c->ks, e, cur->x509);
        if (rc != 0)
            return rc;
        mark_used(c, cur->x509);
        cur = find_issuer(c, e, cur->x509);
    }
    ERR_clear_error();
    return 0;
}

/* Keep an EncryptedPrivateKeyInfo (DER) for decryption on first use. */
static int seal_x509_sig(p12_ctx *c, ks_entry *e, const X509_SIG *sig, ks_unlock_fn unlock)
{
    const X509_ALGOR *alg = NULL;
    unsigned char *der = NULL;
    int len, rc;

    X509_SIG_get0(sig, &alg, NULL);
    if ((rc = check_pbe(c->ks->path, e->alias, "the key's", alg)) != 0)
        return rc;
    len = i2d_X509_SIG(sig, &der);
    if (len <= 0)
        return vault__err_ssl(VAULT_EFORMAT, "%s: alias \"%s\": malformed encrypted key",
                             c->ks->path, e->alias);
    rc = ks_entry_set_sealed(e, der, (size_t)len, unlock);
    OPENSSL_free(der);
    return rc;
}

/* Java wraps the EncryptedPrivateKeyInfo of a secretBag in an OCTET STRING;
 * the DER of a bare SEQUENCE is accepted too. */
static int read_secret_bag(p12_ctx *c, ks_entry *e, const PKCS12_SAFEBAG *bag)
{
    const ASN1_TYPE *obj = PKCS12_SAFEBAG_get0_bag_obj(bag);
    const ASN1_STRING *value;
    const unsigned char *p;
    X509_SIG *sig = NULL;
    int rc;

    if (OBJ_obj2nid(PKCS12_SAFEBAG_get0_bag_type(bag)) != NID_pkcs8ShroudedKeyBag || !obj ||
        (obj->type != V_ASN1_OCTET_STRING && obj->type != V_ASN1_SEQUENCE))
        return vault__err(VAULT_EFORMAT, "%s: alias \"%s\": unsupported secret bag type",
                         c->ks->path, e->alias);
    value = obj->type == V_ASN1_OCTET_STRING ? obj->value.octet_string : obj->value.sequence;
    p = value->data;
    sig = d2i_X509_SIG(NULL, &p, value->length);
    if (!sig || p != value->data + value->length) {
        X509_SIG_free(sig);
        return vault__err_ssl(VAULT_EFORMAT, "%s: alias \"%s\": malformed secret key bag",
                             c->ks->path, e->alias);
    }
    rc = seal_x509_sig(c, e, sig, unlock_secret);
    X509_SIG_free(sig);
    return rc;
}

static int add_key_entry(p12_ctx *c, const PKCS12_SAFEBAG *bag)
{
    int nid = PKCS12_SAFEBAG_get_nid(bag);
    ks_entry *e = NULL;
    int rc;

    rc = add_named_entry(c, bag, nid == NID_secretBag ? VAULT_ENTRY_SECRET_KEY
                                                      : VAULT_ENTRY_PRIVATE_KEY, &e);
    if (rc != 0)
        return rc;
    if (nid == NID_secretBag)
        return read_secret_bag(c, e, bag);
    if (nid == NID_keyBag) {
        e->pkey = ks_pkey_from_p8(PKCS12_SAFEBAG_get0_p8inf(bag));
        if (!e->pkey)
            return vault__err_ssl(VAULT_EFORMAT, "%s: alias \"%s\": unsupported or malformed "
                                 "private key", c->ks->path, e->alias);
        e->unlocked = 1;
    } else {
        rc = seal_x509_sig(c, e, PKCS12_SAFEBAG_get0_pkcs8(bag), ks_unlock_pkcs8);
    }
    return rc != 0 ? rc : attach_chain(c, e, bag);
}

static int is_key_bag(int nid)
{
    return nid == NID_keyBag || nid == NID_pkcs8ShroudedKeyBag || nid == NID_secretBag;
}

/* Parse every x509Certificate bag; other certificate types are skipped. */
static int load_certs(p12_ctx *c)
{
    int i, n = sk_PKCS12_SAFEBAG_num(c->flat);

    c->certs = vault__calloc((size_t)n, sizeof *c->certs);
    if (!c->certs)
        return vault__oom();
    for (i = 0; i < n; i++) {
        const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(c->flat, i);
        int nid = PKCS12_SAFEBAG_get_nid(bag);
        if (is_key_bag(nid))
            c->nkeys++;
        if (nid != NID_certBag || PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate)
            continue;
        c->certs[c->ncerts].x509 = PKCS12_SAFEBAG_get1_cert(bag);
        if (!c->certs[c->ncerts].x509)
            return vault__err_ssl(VAULT_EFORMAT, "%s: malformed certificate", c->ks->path);
        c->certs[c->ncerts++].bag = bag;
    }
    return 0;
}

/* Certificates outside every key's chain, and Java's trusted entries: as
 * openssl and pyca do, no certificate of the file goes unlisted. */
static int add_trusted_entries(p12_ctx *c)
{
    size_t i;
    for (i = 0; i < c->ncerts; i++) {
        const p12_cert *pc = &c->certs[i];
        ks_entry *e = NULL;
        int rc;

        if (pc->used && !bag_java_trusted(pc->bag))
            continue;
        rc = add_named_entry(c, pc->bag, VAULT_ENTRY_TRUSTED_CERT, &e);
        if (rc == 0 && !X509_up_ref(pc->x509))
            rc = vault__oom();
        if (rc == 0)
            rc = ks_entry_add_cert(c->ks, e, pc->x509);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int build_entries(p12_ctx *c)
{
    int i, rc = load_certs(c);

    for (i = 0; rc == 0 && i < sk_PKCS12_SAFEBAG_num(c->flat); i++) {
        const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(c->flat, i);
        if (is_key_bag(PKCS12_SAFEBAG_get_nid(bag)))
            rc = add_key_entry(c, bag);
    }
    if (rc == 0)
        rc = add_trusted_entries(c);
    ERR_clear_error();
    return rc;
}

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
    keylen = count_of(kdf->keylength);
    if (keylen < 1 || keylen > EVP_MAX_MD_SIZE) {
        rc = vault__err(VAULT_EFORMAT, "%s: PBMAC1 MAC key length out of range (1 to %d)", path,
                       EVP_MAX_MD_SIZE);
        goto done;
    }
    iter = count_of(kdf->iter);
    if (iter < 1) {
        rc = vault__err(VAULT_EFORMAT, "%s: MAC iteration count out of range (1 to %d)", path,
                       PKCS12_MAX_ITERATIONS);
        goto done;
    }
    if ((rc = check_work(path, NULL, "the MAC", "iteration count", iter)) != 0)
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

/* Check the MAC; an empty password may have been hashed as "" or as no
 * password at all, as OpenSSL's PKCS12_parse() allows. */
static int verify_mac(p12_ctx *c, PKCS12 *p12, const unsigned char *der, size_t len)
{
    const ASN1_INTEGER *iter = NULL;
    int rc;

    const X509_ALGOR *macalg = NULL;
    char oid[64];

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
    if (iter && count_of(iter) < 1)
        return vault__err(VAULT_EFORMAT, "%s: MAC iteration count out of range (1 to %d)", c->ks->path,
                         PKCS12_MAX_ITERATIONS);
    if (iter && (rc = check_work(c->ks->path, NULL, "the MAC", "iteration count", count_of(iter))) != 0)
        return rc;
    if (c->passlen == 0) {
        if (PKCS12_verify_mac(p12, NULL, 0)) {
            c->pass = NULL;
            return 0;
        }
        if (PKCS12_verify_mac(p12, "", 0))
            return 0;
    } else if (PKCS12_verify_mac(p12, c->pass, c->passlen)) {
        return 0;
    } else if ((c->alt = legacy_bmp_form(c->pass, (size_t)c->passlen, &c->altlen)) != NULL &&
               PKCS12_verify_mac(p12, c->alt, (int)c->altlen)) {
        c->pass = c->alt; /* a file of OpenSSL 1.0.2 or earlier */
        c->passlen = (int)c->altlen;
        return 0;
    }
    ERR_clear_error();
    return vault__err(VAULT_EAUTH, "%s: wrong store password, or the keystore was tampered with",
                     c->ks->path);
}

static PKCS12 *parse_pfx(vault_keystore *ks, const unsigned char *data, size_t len)
{
    const unsigned char *p = data;
    PKCS12 *p12;

    if (len > (size_t)LONG_MAX) {
        vault__err(VAULT_EFORMAT, "%s: file too large", ks->path);
        return NULL;
    }
    p12 = d2i_PKCS12(NULL, &p, (long)len);
    if (!p12 || p != data + len) {
        vault__err_ssl(VAULT_EFORMAT, "%s: not a PKCS#12 keystore, or truncated%s", ks->path,
                      p12 ? " (trailing data)" : "");
        PKCS12_free(p12);
        return NULL;
    }
    return p12;
}

int ks_read_pkcs12(vault_keystore *ks, const unsigned char *data, size_t len,
                   const vault_secret *store_password)
{
    p12_ctx c;
    PKCS12 *p12 = NULL;
    STACK_OF(PKCS7) *safes = NULL;
    size_t i;
    int rc = 0, k;

    memset(&c, 0, sizeof c);
    c.ks = ks;
    c.pass = store_password ? vault_secret_str(store_password) : "";
    if (vault_secret_len(store_password) > (size_t)INT_MAX)
        return vault__err(VAULT_EINVAL, "%s: store password too long", ks->path);
    c.passlen = (int)vault_secret_len(store_password);
    c.owned = sk_PKCS12_SAFEBAG_new_null();
    c.flat = sk_PKCS12_SAFEBAG_new_null();
    if (!c.owned || !c.flat) {
        rc = vault__oom();
        goto done;
    }
    p12 = parse_pfx(ks, data, len);
    if (!p12) {
        rc = VAULT_EFORMAT;
        goto done;
    }
    rc = verify_mac(&c, p12, data, len);
    if (rc != 0)
        goto done;
    safes = PKCS12_unpack_authsafes(p12);
    if (!safes) {
        rc = vault__err_ssl(VAULT_EFORMAT, "%s: malformed or unsupported PKCS#12 content", ks->path);
        goto done;
    }
    for (k = 0; rc == 0 && k < sk_PKCS7_num(safes); k++)
        rc = unpack_authsafe(&c, sk_PKCS7_value(safes, k));
    if (rc == 0)
        rc = build_entries(&c);
done:
    for (i = 0; c.certs && i < c.ncerts; i++)
        X509_free(c.certs[i].x509);
    vault__free_ptr(c.certs);
    if (c.alt)
        OPENSSL_clear_free(c.alt, c.altlen + 1);
    sk_PKCS12_SAFEBAG_free(c.flat);
    sk_PKCS12_SAFEBAG_pop_free(c.owned, PKCS12_SAFEBAG_free);
    sk_PKCS7_pop_free(safes, PKCS7_free);
    PKCS12_free(p12);
    ERR_clear_error();
    return rc;
}
