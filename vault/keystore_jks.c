/* SPDX-License-Identifier: Apache-2.0 */
/* JKS and JCEKS keystores: the layout, the store integrity hash, Sun's two
 * key protectors and JCEKS sealed secret keys (their Java serialisation is
 * read by keystore_jks_serial.c). */
#include "keystore_jks.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <sodium.h>
#include <string.h>

#define JKS_MAGIC 0xFEEDFEEDu
#define JCEKS_MAGIC 0xCECECECEu
#define HASH_LEN 20
#define SHA1_LEN 20
/* tag, alias length, date and the smallest body (a 4-byte length) */
#define MIN_ENTRY (4 + 2 + 8 + 4)
#define OID_JDK_PROTECTOR "1.3.6.1.4.1.42.2.17.1.1"
#define OID_JCE_PROTECTOR "1.3.6.1.4.1.42.2.19.1"
#define PBE_ALG "PBEWithMD5AndTripleDES"
#define PBE_MAX_ITERATIONS 5000000 /* com.sun.crypto.provider.KeyProtector */

/* ---- text: Java modified UTF-8 and UTF-16 ---- */

/* One UTF-16 unit of modified UTF-8 (as DataInputStream.readUTF reads it). */
static int mutf8_unit(const unsigned char *s, size_t n, size_t *i, uint32_t *u)
{
    unsigned c = s[*i];
    if (c < 0x80) {
        *u = c;
        *i += 1;
    } else if ((c & 0xE0) == 0xC0 && n - *i >= 2 && (s[*i + 1] & 0xC0) == 0x80) {
        *u = ((uint32_t)(c & 0x1F) << 6) | (s[*i + 1] & 0x3F);
        *i += 2;
    } else if ((c & 0xF0) == 0xE0 && n - *i >= 3 && (s[*i + 1] & 0xC0) == 0x80 &&
               (s[*i + 2] & 0xC0) == 0x80) {
        *u = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[*i + 1] & 0x3F) << 6) | (s[*i + 2] & 0x3F);
        *i += 3;
    } else {
        return -1;
    }
    return 0;
}

/* Modified UTF-8 (surrogate pairs as two 3-byte units, NUL as C0 80) to
 * UTF-8. out needs n + 1 bytes: the UTF-8 form is never longer. A lone
 * surrogate has no UTF-8 form and is refused. */
static int mutf8_to_utf8(const unsigned char *s, size_t n, char *out, size_t *out_len)
{
    size_t i = 0, o = 0;
    uint32_t u, lo;

    while (i < n) {
        if (mutf8_unit(s, n, &i, &u) != 0 || (u >= 0xDC00 && u <= 0xDFFF))
            return -1;
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (i >= n || mutf8_unit(s, n, &i, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                return -1;
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        o += vault__utf8_put((unsigned char *)out + o, u);
    }
    out[o] = '\0';
    *out_len = o;
    return 0;
}

/* The password as Java hashes it: its chars (UTF-16, surrogate pairs for
 * code points above U+FFFF) as big-endian bytes, in guarded memory.
 * VAULT_EAUTH when the password is not UTF-8: Java could not have set it. */
static int password_utf16(const vault_secret *pw, vault_secret **out, size_t *out_len)
{
    const unsigned char *s = vault_secret_data(pw);
    size_t n = vault_secret_len(pw), i = 0, o = 0;
    unsigned char *buf;
    unsigned long cp;
    size_t k;
    int rc;

    *out = NULL;
    rc = vault__secret_alloc(out, 2 * n, &buf);
    if (rc != 0)
        return rc;
    while (i < n) {
        if ((k = vault__utf8_next(s + i, n - i, &cp)) == 0) {
            vault_secret_free(*out);
            *out = NULL;
            return VAULT_EAUTH;
        }
        i += k;
        if (cp >= 0x10000) {
            unsigned long hi = 0xD800 + ((cp - 0x10000) >> 10), lo = 0xDC00 + (cp & 0x3FF);
            buf[o++] = (unsigned char)(hi >> 8);
            buf[o++] = (unsigned char)hi;
            cp = lo;
        }
        buf[o++] = (unsigned char)(cp >> 8);
        buf[o++] = (unsigned char)cp;
    }
    *out_len = o;
    return 0;
}

/* ---- SHA-1 helpers ---- */

static int sha1_parts(unsigned char out[SHA1_LEN], const void *a, size_t alen, const void *b, size_t blen,
                      const void *c, size_t clen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) && EVP_DigestUpdate(ctx, a, alen) &&
             EVP_DigestUpdate(ctx, b, blen) && EVP_DigestUpdate(ctx, c, clen) &&
             EVP_DigestFinal_ex(ctx, out, NULL);
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : vault__err_ssl(VAULT_ERROR, "SHA-1 failed");
}

/* SHA-1(password as UTF-16BE || "Mighty Aphrodite" || body), Java's
 * keyed hash over the whole store, checked in constant time. */
static int check_integrity(vault_keystore *ks, const unsigned char *data, size_t body,
                           const vault_secret *store_password)
{
    static const char whitener[] = "Mighty Aphrodite";
    vault_secret *pw16 = NULL;
    unsigned char md[SHA1_LEN];
    size_t n16 = 0;
    int rc;

    rc = password_utf16(store_password, &pw16, &n16);
    if (rc == VAULT_EAUTH)
        return vault__err(VAULT_EAUTH, "%s: the store password is not valid UTF-8", ks->path);
    if (rc != 0)
        return rc;
    rc = sha1_parts(md, vault_secret_data(pw16), n16, whitener, sizeof whitener - 1, data, body);
    if (rc == 0 && CRYPTO_memcmp(md, data + body, HASH_LEN) != 0)
        rc = vault__err(VAULT_EAUTH, "%s: wrong store password, or the keystore was tampered with", ks->path);
    vault_secret_free(pw16);
    return rc;
}

/* ---- decrypted key material ---- */

/* Plaintext in guarded memory; len may be less than the buffer. */
typedef struct plain {
    vault_secret *buf;
    unsigned char *data;
    size_t len;
} plain;

static void plain_free(plain *p)
{
    vault_secret_free(p->buf);
    memset(p, 0, sizeof *p);
}

/* Sun's JDK 1.2 KeyProtector (OID 1.3.6.1.4.1.42.2.17.1.1):
 * salt(20) || key XOR keystream || SHA-1(password || key), where the
 * keystream blocks are SHA-1(password || previous block), starting from the
 * salt, and the password is the UTF-16BE bytes of its chars. */
static int jdk_recover(const vault_secret *pw, const unsigned char *prot, size_t n, plain *out)
{
    vault_secret *pw16 = NULL;
    unsigned char block[SHA1_LEN], check[SHA1_LEN];
    const unsigned char *salt = prot, *enc = prot + SHA1_LEN;
    size_t n16 = 0, klen, off, i;
    int rc;

    if (n <= 2 * SHA1_LEN)
        return vault__err(VAULT_EFORMAT, "protected key too short");
    klen = n - 2 * SHA1_LEN;
    rc = password_utf16(pw, &pw16, &n16);
    if (rc == 0)
        rc = vault__secret_alloc(&out->buf, klen, &out->data);
    memcpy(block, salt, SHA1_LEN);
    for (off = 0; rc == 0 && off < klen; off += SHA1_LEN) {
        rc = sha1_parts(block, vault_secret_data(pw16), n16, block, SHA1_LEN, "", 0);
        for (i = 0; rc == 0 && i < SHA1_LEN && off + i < klen; i++)
            out->data[off + i] = enc[off + i] ^ block[i];
    }
    if (rc == 0) {
        out->len = klen;
        rc = sha1_parts(check, vault_secret_data(pw16), n16, out->data, klen, "", 0);
    }
    if (rc == 0 && CRYPTO_memcmp(check, enc + klen, SHA1_LEN) != 0)
        rc = VAULT_EAUTH;
    sodium_memzero(block, sizeof block);
    vault_secret_free(pw16);
    if (rc != 0)
        plain_free(out);
    return rc;
}

/* Java's PBEKey takes printable ASCII only, and a lone NUL as "empty":
 * a password outside that set cannot be the one a key was sealed with. */
static int pbe_password_ok(const vault_secret *pw)
{
    const unsigned char *s = vault_secret_data(pw);
    size_t n = vault_secret_len(pw), i;
    if (n == 1 && s[0] == 0)
        return 1;
    for (i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7E)
            return 0;
    return 1;
}

/* PBEWithMD5AndTripleDES as Sun's PBES1Core derives it: each half of the
 * 8-byte salt is hashed with the password by MD5, iter times, giving 16
 * bytes each; the 32 bytes are the 3DES key (24) and the CBC IV (8). When
 * the halves are equal the first half is reversed first (a Sun quirk). */
static int pbe_derive(const vault_secret *pw, const unsigned char salt_in[8], long iter,
                      unsigned char out[32])
{
    unsigned char salt[8], t[16];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_MD *md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    int half, ok = ctx && md5;
    long j;

    memcpy(salt, salt_in, 8);
    if (memcmp(salt, salt + 4, 4) == 0) {
        unsigned char a = salt[0], b = salt[1];
        salt[0] = salt[3];
        salt[1] = salt[2];
        salt[2] = b;
        salt[3] = a;
    }
    for (half = 0; ok && half < 2; half++) {
        ok = EVP_DigestInit_ex2(ctx, md5, NULL) && EVP_DigestUpdate(ctx, salt + 4 * half, 4) &&
             EVP_DigestUpdate(ctx, vault_secret_data(pw), vault_secret_len(pw)) &&
             EVP_DigestFinal_ex(ctx, t, NULL);
        for (j = 1; ok && j < iter; j++)
            ok = EVP_DigestInit_ex2(ctx, NULL, NULL) && EVP_DigestUpdate(ctx, t, sizeof t) &&
                 EVP_DigestUpdate(ctx, vault_secret_data(pw), vault_secret_len(pw)) &&
                 EVP_DigestFinal_ex(ctx, t, NULL);
        if (ok)
            memcpy(out + 16 * half, t, sizeof t);
    }
    sodium_memzero(t, sizeof t);
    EVP_MD_free(md5);
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : vault__err_ssl(VAULT_ERROR, "MD5 failed");
}

/* 3DES-CBC with PKCS#5 padding under the derived key. Bad padding means a
 * wrong password (VAULT_EAUTH); there is no other integrity check. */
static int pbe_decrypt(const vault_secret *pw, const unsigned char salt[8], long iter,
                       const unsigned char *ct, size_t n, plain *out)
{
    unsigned char kiv[32];
    EVP_CIPHER_CTX *ctx = NULL;
    int rc, l1 = 0, l2 = 0;

    if (n == 0 || n % 8 != 0 || n > INT32_MAX)
        return vault__err(VAULT_EFORMAT, "encrypted key length is not a multiple of the block size");
    if (!pbe_password_ok(pw))
        return VAULT_EAUTH;
    rc = pbe_derive(pw, salt, iter, kiv);
    if (rc == 0)
        rc = vault__secret_alloc(&out->buf, n, &out->data);
    if (rc == 0 && !(ctx = EVP_CIPHER_CTX_new()))
        rc = vault__oom();
    if (rc == 0 && (!EVP_DecryptInit_ex(ctx, EVP_des_ede3_cbc(), NULL, kiv, kiv + 24) ||
                    !EVP_DecryptUpdate(ctx, out->data, &l1, ct, (int)n)))
        rc = vault__err_ssl(VAULT_ERROR, "3DES failed");
    if (rc == 0 && !EVP_DecryptFinal_ex(ctx, out->data + l1, &l2)) {
        ERR_clear_error();
        rc = VAULT_EAUTH;
    }
    if (rc == 0)
        out->len = (size_t)l1 + (size_t)l2;
    else
        plain_free(out);
    EVP_CIPHER_CTX_free(ctx);
    sodium_memzero(kiv, sizeof kiv);
    return rc;
}

/* PBEParameter ::= SEQUENCE { salt OCTET STRING (8), iterationCount INTEGER } */
static int pbe_params(const unsigned char *der, size_t len, unsigned char salt[8], long *iter)
{
    const unsigned char *p = der;
    PBEPARAM *pp = len <= 1024 ? d2i_PBEPARAM(NULL, &p, (long)len) : NULL;
    int64_t it = 0;
    int ok = pp && p == der + len && ASN1_STRING_length(pp->salt) == 8 &&
             ASN1_INTEGER_get_int64(&it, pp->iter) && it >= 1 && it <= PBE_MAX_ITERATIONS;

    if (ok) {
        memcpy(salt, ASN1_STRING_get0_data(pp->salt), 8);
        *iter = (long)it;
    }
    PBEPARAM_free(pp);
    ERR_clear_error();
    if (!ok)
        return vault__err(VAULT_EFORMAT, "malformed PBE parameters (8-byte salt, 1 to %d iterations)",
                         PBE_MAX_ITERATIONS);
    return 0;
}

/* ---- private keys ---- */

/* The protector of an EncryptedPrivateKeyInfo: 1 = JDK, 2 = JCE, 0 = other. */
static int protector_of(const X509_SIG *sig)
{
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *oid = NULL;
    char buf[64];

    X509_SIG_get0(sig, &alg, NULL);
    X509_ALGOR_get0(&oid, NULL, NULL, alg);
    if (!oid || OBJ_obj2txt(buf, sizeof buf, oid, 1) <= 0)
        return 0;
    if (strcmp(buf, OID_JDK_PROTECTOR) == 0)
        return 1;
    if (strcmp(buf, OID_JCE_PROTECTOR) == 0)
        return 2;
    return 0;
}

static X509_SIG *parse_epki(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509_SIG *sig = len <= KS_MAX_FILE ? d2i_X509_SIG(NULL, &p, (long)len) : NULL;
    if (sig && p != der + len) {
        X509_SIG_free(sig);
        sig = NULL;
    }
    ERR_clear_error();
    return sig;
}

/* PKCS#8 PrivateKeyInfo to e->pkey. With no integrity check before it
 * (JCEKS), unparseable plaintext means a wrong password. */
static int set_private_key(ks_entry *e, const plain *pt, int verified)
{
    const unsigned char *p = pt->data;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)pt->len);
    int rc = 0;

    if (!p8 || p != pt->data + pt->len)
        rc = verified ? vault__err(VAULT_EFORMAT, "the decrypted key is not PKCS#8") : VAULT_EAUTH;
    else if (!(e->pkey = ks_pkey_from_p8(p8)))
        rc = vault__err_ssl(VAULT_EFORMAT, "unsupported private key type");
    PKCS8_PRIV_KEY_INFO_free(p8);
    ERR_clear_error();
    return rc;
}

/* The key must belong to its certificate: a JCEKS key has no integrity
 * check, so a damaged key that still parses is caught here. */
static int check_key_matches(ks_entry *e, int verified)
{
    X509 *leaf = sk_X509_num(e->chain) > 0 ? sk_X509_value(e->chain, 0) : NULL;
    EVP_PKEY *pub = leaf ? X509_get0_pubkey(leaf) : NULL;

    ERR_clear_error();
    if (!pub || EVP_PKEY_eq(e->pkey, pub) != 0)
        return 0;
    EVP_PKEY_free(e->pkey);
    e->pkey = NULL;
    return verified ? vault__err(VAULT_EFORMAT, "the private key does not match its certificate")
                    : VAULT_EAUTH;
}

/* PBEWithMD5AndTripleDES (OID 1.3.6.1.4.1.42.2.19.1), parameters in the
 * AlgorithmIdentifier. */
static int jce_recover(const vault_secret *pw, const X509_ALGOR *alg, const ASN1_OCTET_STRING *data,
                       plain *out)
{
    const void *pval = NULL;
    const ASN1_STRING *params;
    unsigned char salt[8];
    long iter = 0;
    int ptype = 0, rc;

    X509_ALGOR_get0(NULL, &ptype, &pval, alg);
    params = pval;
    if (ptype != V_ASN1_SEQUENCE || !params)
        return vault__err(VAULT_EFORMAT, "missing PBE parameters");
    rc = pbe_params(ASN1_STRING_get0_data(params), (size_t)ASN1_STRING_length(params), salt, &iter);
    if (rc == 0)
        rc = pbe_decrypt(pw, salt, iter, ASN1_STRING_get0_data(data), (size_t)ASN1_STRING_length(data), out);
    return rc;
}

static int unlock_private_key(ks_entry *e, const vault_secret *pw)
{
    X509_SIG *sig = parse_epki(e->sealed, e->sealed_len);
    const X509_ALGOR *alg = NULL;
    const ASN1_OCTET_STRING *data = NULL;
    plain pt = {0};
    int kind, rc;

    if (!sig)
        return vault__err(VAULT_EFORMAT, "malformed protected key");
    X509_SIG_get0(sig, &alg, &data);
    kind = protector_of(sig);
    if (kind == 1)
        rc = jdk_recover(pw, ASN1_STRING_get0_data(data), (size_t)ASN1_STRING_length(data), &pt);
    else if (kind == 2)
        rc = jce_recover(pw, alg, data, &pt);
    else
        rc = vault__err(VAULT_EFORMAT, "unsupported key protection algorithm");
    if (rc == 0)
        rc = set_private_key(e, &pt, kind == 1);
    if (rc == 0)
        rc = check_key_matches(e, kind == 1);
    plain_free(&pt);
    X509_SIG_free(sig);
    return rc;
}
/* A JCEKS SealedObject: its PBE parameters and the encrypted key object. */
typedef struct sealed {
    jval params, content;
} sealed;

/* path prefixes the messages when given (at load, not at unlock). */
static int parse_sealed(const char *path, const unsigned char *d, size_t n, sealed *out, size_t *used)
{
    const char *p = path ? path : "", *sep = path ? ": " : "";
    jstream js;

    if (jks_js_parse(&js, d, n, JC_SEALED, JC_SEALED_KP, used) != 0)
        return vault__err(VAULT_EFORMAT, "%s%ssecret key entry: %s", p, sep, js.why);
    /* encodedParams, encryptedContent, paramsAlg, sealAlg */
    if (js.fields[0].kind != JV_BYTES || js.fields[1].kind != JV_BYTES)
        return vault__err(VAULT_EFORMAT, "%s%ssecret key entry: sealed object without content", p, sep);
    if (!jks_jv_is(&js.fields[2], PBE_ALG) || !jks_jv_is(&js.fields[3], PBE_ALG))
        return vault__err(VAULT_EFORMAT,
                         "%s%ssecret key entry: sealed with an unsupported "
                         "algorithm (" PBE_ALG " expected)",
                         p, sep);
    out->params = js.fields[0];
    out->content = js.fields[1];
    return 0;
}

/* The decrypted key object: SecretKeySpec {algorithm, key} or KeyRep
 * {algorithm, encoded, format "RAW", type SECRET}. */
static int parse_key_object(const plain *pt, jval *alg, jval *key)
{
    jstream js;
    size_t used = 0;

    if (jks_js_parse(&js, pt->data, pt->len, JC_KEY_SPEC, JC_KEY_REP, &used) != 0)
        return vault__err(VAULT_EFORMAT, "sealed secret key: %s", js.why);
    if (used != pt->len)
        return vault__err(VAULT_EFORMAT, "sealed secret key: trailing bytes");
    *alg = js.fields[0];
    *key = js.fields[1];
    if (js.cls == JC_KEY_REP && (!jks_jv_is(&js.fields[2], "RAW") || js.fields[3].kind != JV_ENUM ||
                                 !jks_same_text(js.fields[3].data, js.fields[3].len, "SECRET")))
        return vault__err(VAULT_EFORMAT, "sealed secret key: not a raw secret key");
    if (alg->kind != JV_STRING || alg->len == 0 || key->kind != JV_BYTES || key->len == 0)
        return vault__err(VAULT_EFORMAT, "sealed secret key: empty key or algorithm");
    return 0;
}

static int set_secret_key(ks_entry *e, const jval *alg, const jval *key)
{
    char *name = vault__malloc(alg->len + 1);
    size_t n;
    int rc;

    if (!name)
        return vault__oom();
    if (mutf8_to_utf8(alg->data, alg->len, name, &n) != 0 || strlen(name) != n) {
        vault__free_ptr(name);
        return vault__err(VAULT_EFORMAT, "sealed secret key: bad algorithm name");
    }
    rc = vault_secret_new(&e->secret, key->data, key->len);
    if (rc != 0) {
        vault__free_ptr(name);
        return rc;
    }
    vault__free_ptr(e->secret_algorithm);
    e->secret_algorithm = name;
    return 0;
}

static int unlock_secret_key(ks_entry *e, const vault_secret *pw)
{
    static const unsigned char magic[4] = {0xAC, 0xED, 0x00, 0x05};
    unsigned char salt[8];
    sealed s;
    plain pt = {0};
    jval alg = {0}, key = {0};
    size_t used = 0;
    long iter = 0;
    int rc;

    rc = parse_sealed(NULL, e->sealed, e->sealed_len, &s, &used);
    if (rc == 0)
        rc = pbe_params(s.params.data, s.params.len, salt, &iter);
    if (rc == 0)
        rc = pbe_decrypt(pw, salt, iter, s.content.data, s.content.len, &pt);
    /* Garbage from a wrong password may still end in valid padding; it
     * will not start like a serialisation stream. */
    if (rc == 0 && (pt.len < sizeof magic || memcmp(pt.data, magic, sizeof magic) != 0))
        rc = VAULT_EAUTH;
    if (rc == 0)
        rc = parse_key_object(&pt, &alg, &key);
    if (rc == 0)
        rc = set_secret_key(e, &alg, &key);
    plain_free(&pt);
    sodium_memzero(salt, sizeof salt);
    return rc;
}

/* ---- the keystore layout ---- */

typedef struct walk {
    vault_keystore *ks;
    vault_rd r;
    uint32_t version;
    int build; /* 0: check the layout only; 1: add the entries */
} walk;

static int truncated(const walk *w)
{
    return vault__err(VAULT_EFORMAT, "%s: truncated or malformed %s keystore", w->ks->path,
                     vault_keystore_type_name(w->ks->type));
}

static int new_entry(walk *w, const unsigned char *alias, size_t n, vault_entry_kind kind, uint64_t date,
                     ks_entry **e)
{
    char *name = vault__malloc(n + 1);
    size_t len = 0;
    int rc;

    *e = NULL;
    if (!name)
        return vault__oom();
    if (mutf8_to_utf8(alias, n, name, &len) != 0)
        rc = vault__err(VAULT_EFORMAT, "%s: an alias is not valid modified UTF-8", w->ks->path);
    else
        rc = ks_add_entry(w->ks, name, len, kind, e);
    if (rc == 0)
        (*e)->info.created_ms = (int64_t)date;
    vault__free_ptr(name);
    return rc;
}

/* One certificate: (version 2) its type, then 4-byte length and DER. */
static int read_cert(walk *w, ks_entry *e)
{
    const unsigned char *type, *der;
    size_t tlen;
    uint32_t len;

    if (w->version == 2) {
        if (jks_rd_utf(&w->r, &type, &tlen) != 0)
            return truncated(w);
        if (!jks_same_text(type, tlen, "X.509"))
            return vault__err(VAULT_EFORMAT, "%s: certificate type other than X.509", w->ks->path);
    }
    if (vault__rd_u32(&w->r, &len) != 0 || vault__rd_take(&w->r, len, &der) != 0)
        return truncated(w);
    return e ? ks_entry_add_cert_der(w->ks, e, der, len) : 0;
}

static int set_protected_key(walk *w, ks_entry *e, const unsigned char *der, size_t len)
{
    X509_SIG *sig = parse_epki(der, len);
    int kind;

    if (!sig)
        return vault__err(VAULT_EFORMAT, "%s: alias \"%s\": malformed protected key", w->ks->path, e->alias);
    kind = protector_of(sig);
    X509_SIG_free(sig);
    /* JKS knows only its own protector; JCEKS reads both. */
    if (kind == 0 || (kind == 2 && w->ks->type != VAULT_KEYSTORE_JCEKS))
        return vault__err(VAULT_EFORMAT, "%s: alias \"%s\": unsupported key protection algorithm", w->ks->path,
                         e->alias);
    return ks_entry_set_sealed(e, der, len, unlock_private_key);
}

static int read_key_entry(walk *w, const unsigned char *alias, size_t alias_len, uint64_t date)
{
    const unsigned char *key;
    uint32_t klen, nchain, i;
    ks_entry *e = NULL;
    int rc = 0;

    if (vault__rd_u32(&w->r, &klen) != 0 || vault__rd_take(&w->r, klen, &key) != 0 ||
        vault__rd_u32(&w->r, &nchain) != 0)
        return truncated(w);
    if (nchain > w->r.left / (w->version == 2 ? 6 : 4))
        return vault__err(VAULT_EFORMAT, "%s: certificate chain of %u does not fit in the file", w->ks->path,
                         nchain);
    if (w->build) {
        rc = new_entry(w, alias, alias_len, VAULT_ENTRY_PRIVATE_KEY, date, &e);
        if (rc == 0)
            rc = set_protected_key(w, e, key, klen);
    }
    for (i = 0; rc == 0 && i < nchain; i++)
        rc = read_cert(w, e);
    return rc;
}

static int read_cert_entry(walk *w, const unsigned char *alias, size_t alias_len, uint64_t date)
{
    ks_entry *e = NULL;
    int rc = 0;

    if (w->build)
        rc = new_entry(w, alias, alias_len, VAULT_ENTRY_TRUSTED_CERT, date, &e);
    return rc == 0 ? read_cert(w, e) : rc;
}

/* A SealedObject written by ObjectOutputStream straight into the keystore
 * stream, with no length before it: its end is found by parsing it. */
static int read_secret_entry(walk *w, const unsigned char *alias, size_t alias_len, uint64_t date)
{
    const unsigned char *obj = w->r.p;
    sealed s;
    size_t used = 0;
    ks_entry *e = NULL;
    int rc;

    rc = parse_sealed(w->ks->path, obj, w->r.left, &s, &used);
    if (rc != 0)
        return rc;
    w->r.p += used;
    w->r.left -= used;
    if (!w->build)
        return 0;
    rc = new_entry(w, alias, alias_len, VAULT_ENTRY_SECRET_KEY, date, &e);
    return rc == 0 ? ks_entry_set_sealed(e, obj, used, unlock_secret_key) : rc;
}

static int read_entry(walk *w)
{
    const unsigned char *alias;
    size_t alias_len;
    uint32_t tag;
    uint64_t date;

    if (vault__rd_u32(&w->r, &tag) != 0 || jks_rd_utf(&w->r, &alias, &alias_len) != 0 ||
        vault__rd_uint(&w->r, 8, &date) != 0)
        return truncated(w);
    if (tag == 1)
        return read_key_entry(w, alias, alias_len, date);
    if (tag == 2)
        return read_cert_entry(w, alias, alias_len, date);
    if (tag == 3 && w->ks->type == VAULT_KEYSTORE_JCEKS)
        return read_secret_entry(w, alias, alias_len, date);
    return vault__err(VAULT_EFORMAT, "%s: unknown %s entry type %u", w->ks->path,
                     vault_keystore_type_name(w->ks->type), tag);
}

/* Walk the whole store; *body is the length covered by the hash. */
static int walk_store(vault_keystore *ks, const unsigned char *data, size_t len, int build, size_t *body)
{
    uint32_t magic, count, i, want;
    walk w = {ks, {data, len}, 0, build};
    int rc = 0;

    want = ks->type == VAULT_KEYSTORE_JCEKS ? JCEKS_MAGIC : JKS_MAGIC;
    if (vault__rd_u32(&w.r, &magic) != 0 || magic != want)
        return vault__err(VAULT_EFORMAT, "%s: not a %s keystore", ks->path,
                         vault_keystore_type_name(ks->type));
    if (vault__rd_u32(&w.r, &w.version) != 0 || vault__rd_u32(&w.r, &count) != 0 || w.r.left < HASH_LEN)
        return truncated(&w);
    if (w.version != 1 && w.version != 2)
        return vault__err(VAULT_EFORMAT, "%s: unsupported %s version %u", ks->path,
                         vault_keystore_type_name(ks->type), w.version);
    if (count > (w.r.left - HASH_LEN) / MIN_ENTRY)
        return vault__err(VAULT_EFORMAT, "%s: %u entries do not fit in the file", ks->path, count);
    for (i = 0; rc == 0 && i < count; i++)
        rc = read_entry(&w);
    if (rc != 0)
        return rc;
    if (w.r.left < HASH_LEN)
        return truncated(&w);
    if (w.r.left > HASH_LEN)
        return vault__err(VAULT_EFORMAT, "%s: %zu unexpected bytes after the keystore", ks->path,
                         w.r.left - HASH_LEN);
    *body = len - HASH_LEN;
    return 0;
}

int ks_read_jks(vault_keystore *ks, const unsigned char *data, size_t len, const vault_secret *store_password)
{
    size_t body = 0;
    int rc;

    if (!store_password)
        return vault__err(VAULT_EAUTH, "%s: a store password is required", ks->path);
    /* The layout is checked first (bounds only), then the hash, and only
     * then are entries built from content that is known to be intact. */
    rc = walk_store(ks, data, len, 0, &body);
    if (rc == 0)
        rc = check_integrity(ks, data, body, store_password);
    if (rc == 0)
        rc = walk_store(ks, data, len, 1, &body);
    return rc;
}
