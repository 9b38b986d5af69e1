/* SPDX-License-Identifier: Apache-2.0 */
/* The native value format "vault:v1:" (docs/FORMAT.md): parsing, sealing,
 * inspection. The data-key cache is token_native_cache.c, opening
 * token_native_open.c, rewrapping token_native_rewrap.c. */
#include "token_native_internal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char oaep_label[] = NV_OAEP_LABEL;
static const char commit_info[] = "vault:v1:commitment";
static const char aead_info[] = "vault:v1:aead-key";

struct native_sealer {
    unsigned char *header;
    size_t header_len;
    vault_secret *key; /* k-aead */
};

/* ---- small helpers ---------------------------------------------------- */

void nv_value_clear(nv_value *v)
{
    vault__free_ptr(v->bin);
    memset(v, 0, sizeof *v);
}

/* commitment || k-aead from the data key. */
void nv_derive(const unsigned char key[NV_KEY], unsigned char out[NV_DERIVED])
{
    crypto_auth_hmacsha256(out, (const unsigned char *)commit_info, sizeof commit_info - 1, key);
    crypto_auth_hmacsha256(out + NV_KEY, (const unsigned char *)aead_info, sizeof aead_info - 1,
                           key);
}

/* AD = version || aead || commitment || u32(len(alias)) || alias: the
 * stanzas are left out so that recipients can be rewrapped (FORMAT.md 5.4);
 * the commitment stands in for them. */
#define NV_AD_FIXED (2 + NV_KEY + 4)
int nv_make_ad(const unsigned char *header, size_t header_len, const char *alias,
               unsigned char **ad, size_t *ad_len)
{
    size_t alen = strlen(alias);
    unsigned char *buf;

    *ad = NULL;
    if (alen > UINT32_MAX || alen > SIZE_MAX - NV_AD_FIXED)
        return vault__err(VAULT_EINVAL, "alias of %zu bytes is too long", alen);
    buf = vault__malloc(NV_AD_FIXED + alen);
    if (!buf)
        return vault__oom();
    buf[0] = header[0];
    buf[1] = header[1];
    memcpy(buf + 2, header + header_len - NV_KEY, NV_KEY);
    vault__be_put(buf + 2 + NV_KEY, alen, 4);
    memcpy(buf + NV_AD_FIXED, alias, alen);
    *ad = buf;
    *ad_len = NV_AD_FIXED + alen;
    return 0;
}

/* ---- text form ------------------------------------------------------- */

int native_is(const char *value)
{
    return value && strncmp(value, NV_PREFIX, sizeof NV_PREFIX - 1) == 0;
}

/* One more than the value of each base64url digit; 0 for every other byte. */
static const unsigned char b64url_plus1[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};

/* Canonical base64url without padding: anything else is refused. Runs of
 * four digits are decoded three bytes at a time; values are long and there
 * are many of them. The first `known` characters (a multiple of four) have
 * been decoded already into the first known / 4 * 3 bytes of *out, which
 * the caller allocated (*out NULL: allocated here). */
static int b64url_decode(const char *in, size_t n, size_t known, const char *ctx, unsigned char **out,
                         size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i, o = known / 4 * 3, olen = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    uint32_t acc = 0;
    unsigned bits = 0;
    unsigned char *buf = *out;

    if (n == 0)
        return vault__err(VAULT_EFORMAT, "%s: empty native value after \"" NV_PREFIX_V1 "\"", ctx);
    if (n % 4 == 1)
        return vault__err(VAULT_EFORMAT, "%s: a base64url payload of %zu characters cannot be "
                         "decoded (truncated value?)", ctx, n);
    if (!buf && !(buf = vault__malloc(olen)))
        return vault__oom();
    *out = buf;
    for (i = known; i + 4 <= n; i += 4, o += 3) {
        unsigned a = b64url_plus1[p[i]], b = b64url_plus1[p[i + 1]], c = b64url_plus1[p[i + 2]],
                 d = b64url_plus1[p[i + 3]];
        uint32_t g = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
        if (!a || !b || !c || !d)
            break;
        buf[o] = (unsigned char)(g >> 16);
        buf[o + 1] = (unsigned char)(g >> 8);
        buf[o + 2] = (unsigned char)g;
    }
    for (; i < n; i++) {
        if (b64url_plus1[p[i]] == 0)
            return vault__err(VAULT_EFORMAT, "%s: invalid character at offset %zu of the native value "
                             "(base64url A-Z a-z 0-9 - _ without padding or blanks expected)", ctx,
                             i + sizeof NV_PREFIX_V1 - 1);
        acc = (acc << 6) | (uint32_t)(b64url_plus1[p[i]] - 1);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return vault__err(VAULT_EFORMAT, "%s: non-canonical base64url (the unused bits of the last "
                         "character are not zero; a truncated value?)", ctx);
    *out_len = o;
    return 0;
}

static int version_error(const char *tag, const char *ctx)
{
    size_t n = 0;
    while (n < 8 && ((tag[n] >= 'a' && tag[n] <= 'z') || (tag[n] >= '0' && tag[n] <= '9')))
        n++;
    if (n > 0 && tag[n] == ':')
        return vault__err(VAULT_EFORMAT, "%s: unsupported native format version \"%.*s\" (this "
                         "libvault reads v1)", ctx, (int)n, tag);
    return vault__err(VAULT_EFORMAT, "%s: malformed native value (\"" NV_PREFIX_V1 "\" expected)",
                     ctx);
}

/* ---- binary layout ---------------------------------------------------- */

static int truncated(const char *ctx, const char *field)
{
    return vault__err(VAULT_EFORMAT, "%s: native value truncated in %s", ctx, field);
}

static int parse_stanza(vault_rd *r, const char *ctx, size_t i, nv_stanza *s)
{
    const unsigned char *start = r->p, *t, *len;

    if (vault__rd_take(r, 1, &t) != 0 || vault__rd_take(r, NV_ID, &s->key_id) != 0 ||
        vault__rd_take(r, 2, &len) != 0)
        return truncated(ctx, "a recipient stanza");
    if (*t != NV_TYPE_RSA && ec_stanza_body_len(*t) == 0)
        return vault__err(VAULT_EFORMAT, "%s: recipient stanza %zu has unsupported type 0x%02x "
                         "(a newer libvault may have written it)", ctx, i + 1, *t);
    s->type = *t;
    s->body_len = (size_t)vault__be_get(len, 2);
    if (*t == NV_TYPE_RSA && (s->body_len < NV_MIN_BODY || s->body_len > NV_MAX_BODY))
        return vault__err(VAULT_EFORMAT, "%s: recipient stanza %zu has a wrapped key of %zu bytes "
                         "(%d to %d allowed)", ctx, i + 1, s->body_len, NV_MIN_BODY, NV_MAX_BODY);
    if (*t != NV_TYPE_RSA && s->body_len != ec_stanza_body_len(*t))
        return vault__err(VAULT_EFORMAT, "%s: recipient stanza %zu (%s) has a body of %zu bytes "
                         "(%zu expected)", ctx, i + 1, ec_stanza_name(*t), s->body_len,
                         ec_stanza_body_len(*t));
    if (vault__rd_take(r, s->body_len, &s->body) != 0)
        return truncated(ctx, "a wrapped key");
    s->bytes = start;
    s->bytes_len = (size_t)(r->p - start);
    return 0;
}

static int parse_header(vault_rd *r, const char *ctx, nv_value *v)
{
    const unsigned char *h;
    size_t i, j;
    int rc;

    if (vault__rd_take(r, 3, &h) != 0)
        return truncated(ctx, "the header");
    if (h[0] != NV_VERSION)
        return vault__err(VAULT_EFORMAT, "%s: binary version %u does not match the \"v1\" tag", ctx,
                         h[0]);
    if (h[1] != NV_AEAD_XCHACHA)
        return vault__err(VAULT_EFORMAT, "%s: unsupported AEAD id 0x%02x%s", ctx, h[1],
                         h[1] == NV_AEAD_AESGCM ? " (AES-256-GCM is reserved, not implemented)" : "");
    if (h[2] == 0 || h[2] > NV_MAX_STANZAS)
        return vault__err(VAULT_EFORMAT, "%s: %u recipient stanzas (1 to %d allowed)", ctx, h[2],
                         NV_MAX_STANZAS);
    v->count = h[2];
    for (i = 0; i < v->count; i++) {
        rc = parse_stanza(r, ctx, i, &v->st[i]);
        if (rc != 0)
            return rc;
        for (j = 0; j < i; j++)
            if (memcmp(v->st[j].key_id, v->st[i].key_id, NV_ID) == 0)
                return vault__err(VAULT_EFORMAT, "%s: recipient stanzas %zu and %zu have the same "
                                 "key id", ctx, j + 1, i + 1);
    }
    if (vault__rd_take(r, NV_KEY, &v->commitment) != 0)
        return truncated(ctx, "the key commitment");
    v->header_len = (size_t)(r->p - v->bin);
    return 0;
}

static int parse_binary(const char *ctx, nv_value *v)
{
    vault_rd r = {v->bin, v->bin_len};
    const unsigned char *len;
    uint64_t ct_len;
    int rc = parse_header(&r, ctx, v);

    if (rc != 0)
        return rc;
    if (vault__rd_take(&r, NV_NONCE, &v->nonce) != 0 || vault__rd_take(&r, 8, &len) != 0)
        return truncated(ctx, "the nonce");
    ct_len = vault__be_get(len, 8);
    if (ct_len < NV_TAG || ct_len > NV_MAX_CT)
        return vault__err(VAULT_EFORMAT, "%s: ciphertext length %llu out of range (16 to 2^38-48)",
                         ctx, (unsigned long long)ct_len);
    if (ct_len > r.left)
        return vault__err(VAULT_EFORMAT, "%s: native value truncated (ciphertext of %llu bytes, "
                         "%zu present)", ctx, (unsigned long long)ct_len, r.left);
    if (ct_len < r.left)
        return vault__err(VAULT_EFORMAT, "%s: %zu trailing byte(s) after the ciphertext", ctx,
                         r.left - (size_t)ct_len);
    v->ct = r.p;
    v->ct_len = (size_t)ct_len;
    return 0;
}

/* The values of one sealing session share their header (three quarters of
 * a value's text): the cache keeps the last header's text and bytes, and a
 * value that starts with that text is decoded from where it ends. */

/* Parse value; c (may be NULL) remembers the last header; ctx names the
 * value in messages. */
int nv_parse_with(native_cache *c, const char *value, const char *ctx, nv_value *v)
{
    size_t n, known = 0;
    int rc;

    memset(v, 0, sizeof *v);
    if (!native_is(value))
        return vault__err(VAULT_EFORMAT, "%s: not a native value (no \"" NV_PREFIX "\" prefix)", ctx);
    if (strncmp(value, NV_PREFIX_V1, sizeof NV_PREFIX_V1 - 1) != 0)
        return version_error(value + sizeof NV_PREFIX - 1, ctx);
    value += sizeof NV_PREFIX_V1 - 1;
    n = strlen(value);
    if (c && n % 4 != 1)
        known = nv_header_known(c, value, n, &v->bin);
    if (known == SIZE_MAX)
        return vault__oom();
    rc = b64url_decode(value, n, known, ctx, &v->bin, &v->bin_len);
    if (rc == 0)
        rc = parse_binary(ctx, v);
    if (rc == 0 && c)
        nv_header_remember(c, value, v);
    if (rc != 0)
        nv_value_clear(v);
    return rc;
}

int nv_parse(const char *value, const char *ctx, nv_value *v)
{
    return nv_parse_with(NULL, value, ctx, v);
}

/* ---- sealing ---------------------------------------------------------- */

int nv_check_recipients(const vault_recipient *const *r, size_t n)
{
    size_t i, j;

    if (n == 0 || !r)
        return vault__err(VAULT_EINVAL, "the native format needs at least one recipient");
    if (n > NV_MAX_STANZAS)
        return vault__err(VAULT_EINVAL, "%zu recipients; the native format allows at most %d", n,
                         NV_MAX_STANZAS);
    for (i = 0; i < n; i++) {
        if (!r[i] || !r[i]->pub)
            return vault__err(VAULT_EINVAL, "recipient %zu is missing", i + 1);
        if (ec_stanza_type(r[i]->pub) != 0) {
            /* EC, X25519, Ed25519: any size of those curves will do */
        } else if (!EVP_PKEY_is_a(r[i]->pub, "RSA")) {
            return vault__err(VAULT_EFORMAT, "recipient %s: not an RSA, EC P-256/P-384/P-521, "
                             "X25519 or Ed25519 key", r[i]->key_id);
        } else if (EVP_PKEY_get_bits(r[i]->pub) < 2048 || EVP_PKEY_get_size(r[i]->pub) > NV_MAX_BODY) {
            return vault__err(VAULT_EINVAL, "recipient %s: RSA key of %d bits; the native format "
                             "needs 2048 to 16384 bits", r[i]->key_id, EVP_PKEY_get_bits(r[i]->pub));
        }
        for (j = 0; j < i; j++)
            if (memcmp(r[i]->id, r[j]->id, NV_ID) == 0)
                return vault__err(VAULT_EINVAL, "recipient %s is given twice", r[i]->key_id);
    }
    return 0;
}

/* The stanza body wrapping key to recipient r, and its type. */
int nv_wrap_to(const vault_recipient *r, const unsigned char *key, unsigned char **body,
               size_t *len, unsigned char *type)
{
    unsigned t = ec_stanza_type(r->pub);

    *type = t ? (unsigned char)t : NV_TYPE_RSA;
    if (t)
        return ec_wrap(r->pub, r->id, key, body, len);
    return rsa_encrypt(r->pub, RSA_PAD_OAEP_SHA256, (const unsigned char *)oaep_label,
                       sizeof oaep_label - 1, key, NV_KEY, body, len);
}

/* type | key-id | body-len | body at p; returns the bytes written. */
size_t nv_put_stanza(unsigned char *p, unsigned char type, const unsigned char *id,
                     const unsigned char *body, size_t len)
{
    p[0] = type;
    memcpy(p + 1, id, NV_ID);
    vault__be_put(p + 1 + NV_ID, len, 2);
    memcpy(p + 3 + NV_ID, body, len);
    return 3 + NV_ID + len;
}

/* Wrap the data key to each recipient and lay out the header. */
static int build_header(native_sealer *s, const vault_recipient *const *r, size_t n,
                        const unsigned char *key, const unsigned char *commitment)
{
    unsigned char *wrapped[NV_MAX_STANZAS] = {NULL}, types[NV_MAX_STANZAS];
    size_t wlen[NV_MAX_STANZAS], i, off, total = 3 + NV_KEY;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        rc = nv_wrap_to(r[i], key, &wrapped[i], &wlen[i], &types[i]);
        if (rc == 0)
            total += 1 + NV_ID + 2 + wlen[i];
    }
    if (rc == 0 && !(s->header = vault__malloc(total)))
        rc = vault__oom();
    if (rc != 0)
        goto done;
    s->header[0] = NV_VERSION;
    s->header[1] = NV_AEAD_XCHACHA;
    s->header[2] = (unsigned char)n;
    for (i = 0, off = 3; i < n; i++)
        off += nv_put_stanza(s->header + off, types[i], r[i]->id, wrapped[i], wlen[i]);
    memcpy(s->header + off, commitment, NV_KEY);
    s->header_len = total;
done:
    for (i = 0; i < n; i++)
        vault__free_ptr(wrapped[i]);
    return rc;
}

int native_sealer_new(native_sealer **out, const vault_recipient *const *recipients, size_t n)
{
    native_sealer *s = NULL;
    vault_secret *dk = NULL;
    unsigned char *key, *aead_key, derived[NV_DERIVED];
    int rc;

    *out = NULL;
    rc = nv_check_recipients(recipients, n);
    if (rc != 0)
        return rc;
    s = vault__calloc(1, sizeof *s);
    if (!s)
        return vault__oom();
    rc = vault__secret_alloc(&dk, NV_KEY, &key);
    if (rc == 0)
        rc = vault__secret_alloc(&s->key, NV_KEY, &aead_key);
    if (rc != 0)
        goto done;
    randombytes_buf(key, NV_KEY);
    nv_derive(key, derived);
    memcpy(aead_key, derived + NV_KEY, NV_KEY);
    vault__secret_seal(s->key);
    rc = build_header(s, recipients, n, key, derived);
    if (rc == 0) {
        *out = s;
        s = NULL;
    }
done:
    sodium_memzero(derived, sizeof derived);
    vault_secret_free(dk);
    native_sealer_free(s);
    return rc;
}

void native_sealer_free(native_sealer *s)
{
    if (!s)
        return;
    vault__free_ptr(s->header);
    vault_secret_free(s->key);
    vault__free_ptr(s);
}

int nv_encode(const unsigned char *bin, size_t bin_len, char **out)
{
    size_t pre = sizeof NV_PREFIX_V1 - 1;
    size_t b64;
    char *text;

    if (bin_len > SIZE_MAX / 2)
        return vault__oom();
    b64 = sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    text = vault__malloc(pre + b64);
    if (!text)
        return vault__oom();
    memcpy(text, NV_PREFIX_V1, pre);
    sodium_bin2base64(text + pre, b64, bin, bin_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    *out = text;
    return 0;
}

int native_seal(native_sealer *s, const char *alias, const void *pt, size_t len, char **out)
{
    unsigned char *bin = NULL, *ad = NULL, *p;
    size_t bin_len, ad_len = 0;
    unsigned long long clen;
    int rc;

    *out = NULL;
    if (!alias)
        alias = "";
    if (!pt && len)
        return vault__err(VAULT_EINVAL, "native_seal: no plaintext");
    if ((uint64_t)len > NV_MAX_CT - NV_TAG || len > (SIZE_MAX - s->header_len) / 2)
        return vault__err(VAULT_EINVAL, "value of alias \"%s\" is too long (%zu bytes)", alias, len);
    rc = nv_make_ad(s->header, s->header_len, alias, &ad, &ad_len);
    if (rc != 0)
        return rc;
    bin_len = s->header_len + NV_NONCE + 8 + len + NV_TAG;
    bin = vault__malloc(bin_len);
    if (!bin) {
        rc = vault__oom();
        goto done;
    }
    memcpy(bin, s->header, s->header_len);
    p = bin + s->header_len;
    randombytes_buf(p, NV_NONCE);
    vault__be_put(p + NV_NONCE, (uint64_t)len + NV_TAG, 8);
    crypto_aead_xchacha20poly1305_ietf_encrypt(p + NV_NONCE + 8, &clen, len ? pt : (const void *)"",
                                               len, ad, ad_len, NULL, p,
                                               vault_secret_data(s->key));
    rc = nv_encode(bin, bin_len, out);
done:
    vault__free_ptr(ad);
    vault__free_ptr(bin);
    return rc;
}

/* ---- inspection ------------------------------------------------------- */

/* The recipient wrapping and the AEAD; "mixed" when the types differ. */
static const char *algorithm_of(const nv_value *v)
{
    static const char *const names[] = {
        "mixed recipients+XChaCha20-Poly1305",
        "RSA-OAEP-SHA256+XChaCha20-Poly1305",
        "ECDH-P256-HKDF-SHA256+XChaCha20-Poly1305",
        "ECDH-P384-HKDF-SHA256+XChaCha20-Poly1305",
        "ECDH-P521-HKDF-SHA256+XChaCha20-Poly1305",
        "X25519-HKDF-SHA256+XChaCha20-Poly1305",
        "Ed25519-X25519-HKDF-SHA256+XChaCha20-Poly1305",
    };
    size_t i;

    for (i = 1; i < v->count; i++)
        if (v->st[i].type != v->st[0].type)
            return names[0];
    return v->st[0].type < sizeof names / sizeof names[0] ? names[v->st[0].type] : names[0];
}

int native_inspect(const char *value, vault_value_info *info)
{
    nv_value v;
    char **ids, *text;
    const char **types;
    size_t i;
    int rc;

    if (!info)
        return vault__err(VAULT_EINVAL, "native_inspect: invalid argument");
    rc = nv_parse(value, "native value", &v);
    if (rc != 0)
        return rc;
    /* One block: the id pointers, the type pointers, then the hex strings. */
    ids = vault__malloc(v.count * (2 * sizeof *ids + 2 * NV_ID + 1));
    if (!ids) {
        nv_value_clear(&v);
        return vault__oom();
    }
    types = (const char **)(ids + v.count);
    text = (char *)(ids + 2 * v.count);
    for (i = 0; i < v.count; i++) {
        ids[i] = text + i * (2 * NV_ID + 1);
        vault__hex(ids[i], v.st[i].key_id, NV_ID, 0);
        types[i] = v.st[i].type == NV_TYPE_RSA ? "cert-sha256" : "spki-sha256";
    }
    info->key_id_types = types;
    info->format = VAULT_FORMAT_NATIVE;
    info->algorithm = algorithm_of(&v);
    info->recipient_count = v.count;
    info->key_ids = (const char *const *)ids;
    info->ciphertext_bytes = v.ct_len;
    info->plaintext_bytes = v.ct_len - NV_TAG;
    nv_value_clear(&v);
    return 0;
}

void native_info_release(vault_value_info *info)
{
    if (!info)
        return;
    vault__free_ptr((void *)info->key_ids); /* key_id_types lives in the same block */
    info->key_ids = NULL;
    info->key_id_types = NULL;
    info->recipient_count = 0;
}
