/* SPDX-License-Identifier: Apache-2.0 */
/* PKCS#12 keystores: Java 17 and OpenSSL 3 (PBES2/AES) and legacy RC2/3DES
 * files; the SafeBag walk and the entries it makes. */
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

/* Nested safeContentsBags deeper than this are refused. */
#define P12_MAX_DEPTH 4

/* Java marks trusted certificate entries with this bag attribute
 * (ORACLE_TrustedKeyUsage); OpenSSL 3.0 has no NID for it. */
#define JAVA_TRUSTED_OID "2.16.840.1.113894.746875.1.1"

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

/* The bags of an encrypted authSafe through the PBES2 fast path; NULL
 * when it does not apply or does not decrypt (OpenSSL then tries, and its
 * errors speak). */
static STACK_OF(PKCS12_SAFEBAG) *unpack_encrypted_bags(const p12_ctx *c, const PKCS7_ENC_CONTENT *enc)
{
    STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
    unsigned char *plain = NULL;
    const unsigned char *p;
    int len = 0;

    if (!enc->enc_data || ks_pbes2_decrypt(enc->algorithm, c->pass, c->passlen, enc->enc_data->data,
                                           enc->enc_data->length, &plain, &len) != 1)
        return NULL;
    p = plain;
    bags = (STACK_OF(PKCS12_SAFEBAG) *)ASN1_item_d2i(NULL, &p, len, ASN1_ITEM_rptr(PKCS12_SAFEBAGS));
    if (bags && p != plain + len) {
        sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
        bags = NULL;
    }
    OPENSSL_clear_free(plain, (size_t)len);
    ERR_clear_error();
    return bags;
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
        rc = p12_check_pbe(c->ks->path, NULL, "the certificates'", p7->d.encrypted->enc_data->algorithm);
        if (rc != 0)
            return rc;
        bags = unpack_encrypted_bags(c, p7->d.encrypted->enc_data);
        if (!bags)
            bags = PKCS12_unpack_p7encdata(p7, c->pass, c->passlen);
        if (!bags) {
            /* The MAC has proved the password and the bytes; what is left
             * is a missing algorithm or a file whose MAC was left out. */
            if (p12_ssl_unsupported())
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
    size_t i, candidates = 0;

    /* A signature is checked only when some certificate could come next:
     * with the file's one certificate already in the chain (the usual
     * keystore), none is. */
    for (i = 0; i < c->ncerts; i++)
        candidates += !ks_entry_has_cert(e, c->certs[i].x509);
    if (candidates == 0 || ks_cert_issued_by(subject, subject))
        return NULL; /* none left, or self-signed: the root */
    for (i = 0; i < c->ncerts; i++)
        if (!ks_entry_has_cert(e, c->certs[i].x509) &&
            ks_cert_issued_by(c->certs[i].x509, subject))
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
    if ((rc = p12_check_pbe(c->ks->path, e->alias, "the key's", alg)) != 0)
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
    rc = p12_verify_mac(&c, p12, data, len);
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
