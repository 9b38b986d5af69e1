/* SPDX-License-Identifier: Apache-2.0 */
/* The WSO2 value forms: raw RSA block, JSON holder, AES-GCM JSON. */
#include "token_wso2.h"
#include "aes_gcm.h"

#include <jansson.h>
#include <limits.h>
#include <openssl/err.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

/* ---- JCE transformation names ------------------------------------------ */

/* SunJCE's names: mode ECB or NONE; OAEPWith<digest>AndMGF1Padding takes the
 * digest as "SHA1", "SHA-1", "SHA256" or "SHA-256", and MGF1 always uses
 * SHA-1 unless parameters say otherwise (WSO2 never passes any). */
static int transformation_of(const char *name)
{
    static const struct { const char *padding; vault_transformation t; } paddings[] = {
        {"PKCS1Padding", VAULT_TRANSFORM_RSA_PKCS1},
        {"OAEPPadding", VAULT_TRANSFORM_RSA_OAEP_SHA1},
        {"OAEPWithSHA1AndMGF1Padding", VAULT_TRANSFORM_RSA_OAEP_SHA1},
        {"OAEPWithSHA-1AndMGF1Padding", VAULT_TRANSFORM_RSA_OAEP_SHA1},
        {"OAEPWithSHA256AndMGF1Padding", VAULT_TRANSFORM_RSA_OAEP_SHA256},
        {"OAEPWithSHA-256AndMGF1Padding", VAULT_TRANSFORM_RSA_OAEP_SHA256},
    };
    const char *rest;
    size_t i;

    if (!name)
        return -1;
    if (vault__strcaseeq(name, "RSA"))
        return VAULT_TRANSFORM_RSA_PKCS1;
    if (strncasecmp(name, "RSA/ECB/", 8) == 0 || strncasecmp(name, "RSA/NONE/", 9) == 0)
        rest = strchr(name + 4, '/') + 1;
    else
        return -1;
    for (i = 0; i < sizeof paddings / sizeof paddings[0]; i++)
        if (vault__strcaseeq(rest, paddings[i].padding))
            return (int)paddings[i].t;
    return -1;
}

int vault_transformation_from_name(vault_transformation *out, const char *name)
{
    int t;
    if (!out || !name)
        return vault__err(VAULT_EINVAL, "vault_transformation_from_name: %s is NULL", out ? "name" : "out");
    if ((t = transformation_of(name)) < 0)
        return vault__err(VAULT_EFORMAT, "unknown transformation \"%.64s\"", name);
    *out = (vault_transformation)t;
    return 0;
}

const char *vault_transformation_name(vault_transformation t)
{
    switch (t) {
    case VAULT_TRANSFORM_DEFAULT: return "default";
    case VAULT_TRANSFORM_RSA_PKCS1: return "RSA/ECB/PKCS1Padding";
    case VAULT_TRANSFORM_RSA_OAEP_SHA1: return "RSA/ECB/OAEPwithSHA1andMGF1Padding";
    case VAULT_TRANSFORM_RSA_OAEP_SHA256: return "RSA/ECB/OAEPWithSHA-256AndMGF1Padding";
    }
    return "unknown";
}

/* Strict standard base64 with padding (no blanks, canonical trailing bits).
 * *out is vault__malloc'ed; its size is bounded by len before allocation. */
static int b64_decode(const char *in, size_t len, unsigned char **out, size_t *out_len)
{
    size_t cap = len / 4 * 3 + 3;
    const char *end = NULL;
    unsigned char *buf;

    *out = NULL;
    *out_len = 0;
    if (len == 0 || len % 4 != 0)
        return VAULT_EFORMAT;
    buf = vault__malloc(cap);
    if (!buf)
        return vault__oom();
    if (sodium_base642bin(buf, cap, in, len, NULL, out_len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != in + len) {
        vault__free_ptr(buf);
        return VAULT_EFORMAT;
    }
    *out = buf;
    return 0;
}

static char *b64_encode(const unsigned char *in, size_t len)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = vault__malloc(n);
    if (out)
        sodium_bin2base64(out, n, in, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* Gson's default (HTML-safe) writer escapes < > & = ' as \u00XX; jansson
 * writes them as they are. Java's WSO2 tools write through Gson, so we do
 * the same, byte for byte. */
static char *gson_escape(const char *json)
{
    size_t n = 0, i;
    char *out, *p;

    for (i = 0; json[i]; i++)
        n += strchr("<>&='", json[i]) ? 6 : 1;
    out = vault__malloc(n + 1);
    if (!out)
        return NULL;
    for (p = out, i = 0; json[i]; i++) {
        if (strchr("<>&='", json[i])) {
            snprintf(p, 7, "\\u%04x", (unsigned)(unsigned char)json[i]);
            p += 6;
        } else {
            *p++ = json[i];
        }
    }
    *p = '\0';
    return out;
}

/* base64(Gson-style compact JSON of obj). */
static int json_to_value(json_t *obj, char **out)
{
    char *json = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *escaped = json ? gson_escape(json) : NULL;
    int rc = 0;

    *out = escaped ? b64_encode((const unsigned char *)escaped, strlen(escaped)) : NULL;
    if (!*out)
        rc = vault__oom();
    free(json); /* jansson's allocator */
    vault__free_ptr(escaped);
    return rc;
}

/* ---- parsing ---------------------------------------------------------- */

void wso2_value_clear(wso2_value *v)
{
    if (!v)
        return;
    vault__free_ptr(v->ct);
    vault__free_ptr(v->iv);
    memset(v, 0, sizeof *v);
}

static int json_b64(json_t *obj, const char *key, unsigned char **out, size_t *len)
{
    json_t *s = json_object_get(obj, key);
    int rc;

    if (!s)
        return vault__err(VAULT_EFORMAT, "WSO2 JSON value without \"%s\"", key);
    if (!json_is_string(s))
        return vault__err(VAULT_EFORMAT, "WSO2 JSON value: \"%s\" is not a string", key);
    rc = b64_decode(json_string_value(s), json_string_length(s), out, len);
    if (rc == VAULT_EFORMAT)
        return vault__err(VAULT_EFORMAT, "WSO2 JSON value: \"%s\" is not valid base64", key);
    return rc;
}

static const char *json_str(json_t *obj, const char *key)
{
    json_t *s = json_object_get(obj, key);
    if (!s || !json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s))
        return NULL;
    return json_string_value(s);
}

/* Every key of obj must be one of the NULL-terminated list. */
static int only_keys(json_t *obj, const char *const *keys)
{
    const char *key;
    json_t *val;
    size_t i;

    json_object_foreach(obj, key, val) {
        (void)val;
        for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
            ;
        if (!keys[i])
            return vault__err(VAULT_EFORMAT, "WSO2 JSON value with an unknown field \"%.32s\"", key);
    }
    return 0;
}

static int parse_thumbprint(json_t *obj, wso2_value *v)
{
    const char *tp = json_str(obj, "tp"), *tpd = json_str(obj, "tpd");
    size_t i, n;

    if (!json_object_get(obj, "tp") && !json_object_get(obj, "tpd"))
        return 0;
    if (!tp || !tpd)
        return vault__err(VAULT_EFORMAT, "WSO2 holder value: \"tp\" and \"tpd\" must both be strings");
    /* Java's MessageDigest names are case-insensitive. */
    if (vault__strcaseeq(tpd, "SHA-1") || vault__strcaseeq(tpd, "SHA1"))
        v->thumbprint_md = EVP_sha1();
    else if (vault__strcaseeq(tpd, "SHA-256") || vault__strcaseeq(tpd, "SHA256"))
        v->thumbprint_md = EVP_sha256();
    else
        return vault__err(VAULT_EFORMAT, "WSO2 holder value: unknown thumbprint digest \"%.32s\"", tpd);
    n = strlen(tp);
    if (n != 2 * (size_t)EVP_MD_get_size(v->thumbprint_md))
        return vault__err(VAULT_EFORMAT, "WSO2 holder value: thumbprint of %zu characters", n);
    for (i = 0; i < n; i++) {
        char c = tp[i];
        if (c >= 'a' && c <= 'f')
            c = (char)(c - 32);
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
            return vault__err(VAULT_EFORMAT, "WSO2 holder value: thumbprint is not hex");
        v->thumbprint[i] = c;
    }
    v->thumbprint[n] = '\0';
    return 0;
}

static int parse_holder(json_t *obj, wso2_value *v)
{
    static const char *const keys[] = {"c", "t", "tp", "tpd", NULL};
    const char *t;
    int rc, tf;

    v->format = VAULT_FORMAT_WSO2_HOLDER;
    if ((rc = only_keys(obj, keys)) != 0)
        return rc;
    /* CipherHolder's "t" defaults to "RSA" when absent. */
    t = json_object_get(obj, "t") ? json_str(obj, "t") : "RSA";
    if (!t)
        return vault__err(VAULT_EFORMAT, "WSO2 holder value: \"t\" is not a string");
    tf = transformation_of(t);
    if (tf <= 0)
        return vault__err(VAULT_EFORMAT, "WSO2 holder value: unknown transformation \"%.64s\"", t);
    v->transformation = (vault_transformation)tf;
    if ((rc = parse_thumbprint(obj, v)) != 0)
        return rc;
    return json_b64(obj, "c", &v->ct, &v->ct_len);
}

static int parse_symmetric(json_t *obj, wso2_value *v)
{
    static const char *const keys[] = {"cipherText", "iv", NULL};
    int rc;

    v->format = VAULT_FORMAT_WSO2_SYMMETRIC;
    if ((rc = only_keys(obj, keys)) != 0 || (rc = json_b64(obj, "cipherText", &v->ct, &v->ct_len)) != 0 ||
        (rc = json_b64(obj, "iv", &v->iv, &v->iv_len)) != 0)
        return rc;
    if (v->ct_len < WSO2_GCM_TAG_BYTES)
        return vault__err(VAULT_EFORMAT, "WSO2 symmetric value: ciphertext of %zu bytes is shorter "
                         "than the %d-byte GCM tag", v->ct_len, WSO2_GCM_TAG_BYTES);
    return 0;
}

/* Decoded text, perhaps damaged: an RSA block is random bytes, 37% of them
 * printable ASCII on average; the odds that 90% are stay below 2^-60 even
 * for the smallest block we take (64 bytes). */
static int looks_like_text(const unsigned char *d, size_t n)
{
    size_t i, printable = 0;
    for (i = 0; i < n; i++)
        printable += d[i] >= 0x20 && d[i] <= 0x7e;
    return printable * 10 >= n * 9;
}

static int starts_json_object(const unsigned char *d, size_t n)
{
    size_t i = 0;
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
        i++;
    return i < n && d[i] == '{';
}

int wso2_parse(const char *text, wso2_value *v)
{
    unsigned char *bytes = NULL;
    size_t len, n;
    json_t *obj = NULL;
    int rc;

    memset(v, 0, sizeof *v);
    n = strnlen(text, WSO2_MAX_VALUE + 1);
    if (n > WSO2_MAX_VALUE)
        return vault__err(VAULT_EFORMAT, "value longer than %u bytes", WSO2_MAX_VALUE);
    rc = b64_decode(text, n, &bytes, &len);
    if (rc == VAULT_EFORMAT)
        return vault__err(VAULT_EFORMAT, "not a sealed value (neither the native format nor base64)");
    if (rc != 0)
        return rc;
    if (starts_json_object(bytes, len))
        obj = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, NULL);
    if (obj && json_is_object(obj) && json_object_get(obj, "cipherText")) {
        rc = parse_symmetric(obj, v);
    } else if (obj && json_is_object(obj) && json_object_get(obj, "c")) {
        rc = parse_holder(obj, v);
    } else if (obj || looks_like_text(bytes, len)) {
        rc = vault__err(VAULT_EFORMAT, "base64 of text that is no WSO2 value (a JSON object with "
                       "\"c\" or \"cipherText\" expected)");
    } else if (len < 64 || len > 2048) {
        rc = vault__err(VAULT_EFORMAT, "not a sealed value (%zu bytes is no RSA block)", len);
    } else {
        v->format = VAULT_FORMAT_WSO2;
        v->transformation = VAULT_TRANSFORM_DEFAULT;
        v->ct = bytes;
        v->ct_len = len;
        bytes = NULL;
    }
    json_decref(obj);
    vault__free_ptr(bytes);
    if (rc != 0)
        wso2_value_clear(v);
    return rc;
}

/* ---- RSA forms ---------------------------------------------------------- */

static rsa_padding padding_of(vault_transformation t)
{
    switch (t) {
    case VAULT_TRANSFORM_RSA_PKCS1: return RSA_PAD_PKCS1;
    case VAULT_TRANSFORM_RSA_OAEP_SHA256: return RSA_PAD_OAEP_SHA256_MGF1SHA1;
    default: return RSA_PAD_OAEP_SHA1;
    }
}

/* The "t" written into holders: CipherHolder's default "RSA" for PKCS#1
 * v1.5, and the spelling WSO2's documentation uses for OAEP. */
static const char *holder_name(vault_transformation t)
{
    if (t == VAULT_TRANSFORM_RSA_PKCS1)
        return "RSA";
    return vault_transformation_name(t == VAULT_TRANSFORM_DEFAULT ? VAULT_TRANSFORM_RSA_OAEP_SHA1 : t);
}

int wso2_holder_wrap(const unsigned char sha1[20], vault_transformation t, const unsigned char *ct,
                     size_t ct_len, char **out)
{
    char tp[41], *c = b64_encode(ct, ct_len);
    json_t *obj = json_object();
    int rc;

    *out = NULL;
    vault__hex(tp, sha1, 20, 1);
    if (!c || !obj || json_object_set_new(obj, "c", json_string(c)) != 0 ||
        json_object_set_new(obj, "t", json_string(holder_name(t))) != 0 ||
        json_object_set_new(obj, "tp", json_string(tp)) != 0 ||
        json_object_set_new(obj, "tpd", json_string("SHA-1")) != 0)
        rc = vault__oom();
    else
        rc = json_to_value(obj, out);
    json_decref(obj);
    vault__free_ptr(c);
    return rc;
}

int wso2_seal_rsa(const vault_recipient *r, vault_transformation t, int holder,
                  const unsigned char *pt, size_t len, char **out)
{
    unsigned char *ct = NULL;
    size_t ct_len = 0;
    int rc;

    *out = NULL;
    rc = rsa_encrypt(r->pub, padding_of(t), NULL, 0, pt, len, &ct, &ct_len);
    if (rc != 0)
        return rc;
    if (holder)
        rc = wso2_holder_wrap(r->sha1, t, ct, ct_len, out);
    else if (!(*out = b64_encode(ct, ct_len)))
        rc = vault__oom();
    vault__free_ptr(ct);
    return rc;
}

/* *bound is set when the holder's thumbprint names the key's certificate. */
static int check_thumbprint(const wso2_value *v, const unsigned char *sha1, const unsigned char *sha256,
                            const char *where, int *bound)
{
    const unsigned char *ours = v->thumbprint_md == EVP_sha1() ? sha1 : sha256;
    size_t n = (size_t)EVP_MD_get_size(v->thumbprint_md);
    char hex[65];

    if (!v->thumbprint[0] || !ours)
        return 0; /* nothing recorded, or a key entry without certificate */
    vault__hex(hex, ours, n, 1);
    if (strcmp(hex, v->thumbprint) == 0) {
        *bound = 1;
        return 0;
    }
    return vault__err(VAULT_EKEY, "sealed for key %s, keystore has %s (%s certificate thumbprints; %s)",
                     v->thumbprint, hex, n == 20 ? "SHA-1" : "SHA-256", where ? where : "");
}

int wso2_open_rsa(EVP_PKEY *key, const unsigned char *cert_sha1, const unsigned char *cert_sha256,
                  const char *where, vault_transformation t, int allow_pkcs1, const wso2_value *v,
                  vault_secret **out, vault_transformation *opened_as, int *bound)
{
    static const vault_transformation tried[] = {VAULT_TRANSFORM_RSA_OAEP_SHA1,
                                                 VAULT_TRANSFORM_RSA_OAEP_SHA256, VAULT_TRANSFORM_RSA_PKCS1};
    size_t k = (size_t)EVP_PKEY_get_size(key), which = 0;
    rsa_unpad cands[3];
    int rc, tp_matched = 0;

    *out = NULL;
    *opened_as = VAULT_TRANSFORM_DEFAULT;
    *bound = 0;
    if (v->format == VAULT_FORMAT_WSO2_HOLDER) {
        if ((rc = check_thumbprint(v, cert_sha1, cert_sha256, where, &tp_matched)) != 0)
            return rc;
        t = v->transformation;
    }
    if (v->ct_len != k)
        return vault__err(VAULT_EFORMAT, "the value holds a %zu-byte RSA block but the key's blocks "
                         "are %zu bytes (%d-bit); sealed for another key?", v->ct_len, k,
                         EVP_PKEY_get_bits(key));
    if (t != VAULT_TRANSFORM_DEFAULT) {
        rc = rsa_decrypt(key, padding_of(t), NULL, 0, v->ct, v->ct_len, out);
        *opened_as = rc == 0 ? t : VAULT_TRANSFORM_DEFAULT;
        /* An OAEP block opens only with its key (a wrong one fails the
         * padding check with odds of 1 - 2^-160); PKCS#1 v1.5 opens with any. */
        *bound = rc == 0 && (tp_matched || t != VAULT_TRANSFORM_RSA_PKCS1);
        return rc;
    }
    /* OAEP first: a PKCS#1 v1.5 block passes an OAEP check with odds of
     * 2^-160. PKCS#1 v1.5 last, and only when allowed: with implicit
     * rejection it takes every block (a bad padding opens to a synthetic
     * message), so whatever is no OAEP opens as PKCS#1 v1.5, flagged. */
    rsa_unpad_of(&cands[0], RSA_PAD_OAEP_SHA1);
    rsa_unpad_of(&cands[1], RSA_PAD_OAEP_SHA256_MGF1SHA1);
    rsa_unpad_of(&cands[2], RSA_PAD_PKCS1);
    rc = rsa_decrypt_multi(key, cands, allow_pkcs1 ? 3 : 2, v->ct, v->ct_len, out, &which);
    *opened_as = rc == 0 ? tried[which] : VAULT_TRANSFORM_DEFAULT;
    *bound = rc == 0 && (tp_matched || which != 2);
    return rc;
}

int wso2_plausible_block(size_t len)
{
    return len % 8 == 0 && len >= WSO2_MIN_BLOCK && len <= WSO2_MAX_BLOCK;
}

int wso2_check_keyless(const wso2_value *v)
{
    if (v->format == VAULT_FORMAT_WSO2_SYMMETRIC || wso2_plausible_block(v->ct_len))
        return 0;
    return vault__err(VAULT_EFORMAT, "not a sealed value (%zu bytes is no RSA block of a key of 1024 "
                     "to 8192 bits in steps of 64)", v->ct_len);
}

int wso2_fits_recipient(const vault_recipient *r, const vault_value_info *info)
{
    size_t k = EVP_PKEY_get_base_id(r->pub) == EVP_PKEY_RSA ? (size_t)EVP_PKEY_get_size(r->pub) : 0;
    const char *tp = info->key_ids ? info->key_ids[0] : NULL;
    char hex[65];

    if (info->ciphertext_bytes != k)
        return vault__err(VAULT_EKEY, "a %zu-byte RSA block, the certificate's key has %zu-byte blocks",
                         info->ciphertext_bytes, k);
    if (!tp)
        return 0; /* a raw block: its size is all it tells */
    vault__hex(hex, strlen(tp) == 40 ? r->sha1 : r->sha256, strlen(tp) == 40 ? 20 : 32, 1);
    if (strcmp(hex, tp) != 0)
        return vault__err(VAULT_EKEY, "sealed for certificate %s, not %s", tp, hex);
    return 0;
}

int wso2_reseal_allowed(int unproven, int key_proven, const char *path, const char *alias,
                        const char *key_where)
{
    if (!unproven || key_proven)
        return 0;
    return vault__err(VAULT_EKEY, "%s: alias \"%s\": RSA PKCS#1 v1.5 value naming no key (any key "
                     "opens it, a wrong one to other bytes); nothing in this run proves %s is its key; "
                     "not sealed again",
                     path ? path : "value", alias ? alias : "", key_where ? key_where : "the old key");
}


int wso2_symmetric_wrap(const unsigned char *ct, size_t ct_len, const unsigned char *iv,
                        size_t iv_len, char **out)
{
    char *ct64 = b64_encode(ct, ct_len), *iv64 = b64_encode(iv, iv_len);
    json_t *obj = json_object();
    int rc;

    *out = NULL;
    /* Key order as WSO2's SymmetricCipher adds them. */
    if (!ct64 || !iv64 || !obj || json_object_set_new(obj, "cipherText", json_string(ct64)) != 0 ||
        json_object_set_new(obj, "iv", json_string(iv64)) != 0)
        rc = vault__oom();
    else
        rc = json_to_value(obj, out);
    json_decref(obj);
    vault__free_ptr(ct64);
    vault__free_ptr(iv64);
    return rc;
}

int wso2_seal_symmetric(const vault_secret *key, const unsigned char *pt, size_t len, char **out)
{
    unsigned char iv[WSO2_GCM_IV_BYTES], *ct;
    int rc;

    *out = NULL;
    if (len > WSO2_MAX_VALUE)
        return vault__err(VAULT_EINVAL, "value of %zu bytes is too long (at most %u)", len, WSO2_MAX_VALUE);
    ct = vault__malloc(len + WSO2_GCM_TAG_BYTES);
    if (!ct)
        return vault__oom();
    randombytes_buf(iv, sizeof iv);
    rc = aes_gcm_encrypt(vault_secret_data(key), vault_secret_len(key), iv, sizeof iv, NULL, 0, pt,
                         len, ct, ct + len, WSO2_GCM_TAG_BYTES);
    if (rc == 0)
        rc = wso2_symmetric_wrap(ct, len + WSO2_GCM_TAG_BYTES, iv, sizeof iv, out);
    vault__free_ptr(ct);
    return rc;
}

int wso2_open_symmetric(const vault_secret *key, const wso2_value *v, vault_secret **out)
{
    size_t len = v->ct_len - WSO2_GCM_TAG_BYTES;
    return aes_gcm_decrypt(vault_secret_data(key), vault_secret_len(key), v->iv, v->iv_len, NULL, 0,
                           v->ct, len, v->ct + len, WSO2_GCM_TAG_BYTES, out);
}

void wso2_describe(const wso2_value *v, vault_value_info *info, char *id, const char **ids)
{
    info->format = v->format;
    info->ciphertext_bytes = v->ct_len;
    switch (v->format) {
    case VAULT_FORMAT_WSO2_SYMMETRIC:
        info->algorithm = "AES/GCM/NoPadding";
        info->iv_bytes = v->iv_len;
        info->plaintext_bytes = v->ct_len - WSO2_GCM_TAG_BYTES;
        break;
    case VAULT_FORMAT_WSO2_HOLDER:
        info->algorithm = vault_transformation_name(v->transformation);
        info->legacy = v->transformation == VAULT_TRANSFORM_RSA_PKCS1;
        info->recipient_count = 1;
        if (v->thumbprint[0]) {
            memcpy(id, v->thumbprint, sizeof v->thumbprint);
            ids[0] = id;
            info->key_ids = ids;
        }
        break;
    default:
        /* A raw block does not record its padding. */
        info->algorithm = "RSA (padding not recorded: PKCS1Padding or OAEP)";
        info->recipient_count = 1;
        break;
    }
}
