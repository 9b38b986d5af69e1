/* The native value format "vault:v1:" (docs/FORMAT.md). */
#include "token_native.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define NV_PREFIX "vault:"
#define NV_PREFIX_V1 "vault:v1:"
#define NV_VERSION 0x01
#define NV_AEAD_XCHACHA 0x01
#define NV_AEAD_AESGCM 0x02 /* reserved, not implemented */
#define NV_MAX_STANZAS 16
#define NV_KEY 32
#define NV_ID 32
#define NV_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define NV_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define NV_MIN_BODY 256
#define NV_MAX_BODY 2048
#define NV_MAX_CT ((UINT64_C(1) << 38) - 48)
#define NV_CACHE_MAX 65536 /* sessions remembered; beyond, no memo */
#define NV_KEY_ID_MEMO 8   /* key entries whose key id is remembered */

static const char oaep_label[] = "vault:v1:data-key";
static const char commit_info[] = "vault:v1:commitment";
static const char aead_info[] = "vault:v1:aead-key";

/* Derived from the data key: commitment || k-aead. */
#define NV_DERIVED (2 * NV_KEY)

typedef struct nv_stanza {
    unsigned char type;
    const unsigned char *key_id; /* NV_ID bytes */
    const unsigned char *body;
    size_t body_len;
    const unsigned char *bytes; /* the whole stanza */
    size_t bytes_len;
} nv_stanza;

/* A parsed value; every pointer points into bin. */
typedef struct nv_value {
    unsigned char *bin;
    size_t bin_len;
    size_t header_len;
    size_t count;
    nv_stanza st[NV_MAX_STANZAS];
    const unsigned char *commitment;
    const unsigned char *nonce;
    const unsigned char *ct;
    size_t ct_len;
} nv_value;

struct native_sealer {
    unsigned char *header;
    size_t header_len;
    vault_secret *key; /* k-aead */
};

struct native_cache {
    pthread_mutex_t lock;
    unsigned char (*ids)[NV_ID]; /* SHA-256 of stanza bytes (public) */
    unsigned char *keys;         /* guarded: cap * NV_DERIVED, read-only between inserts */
    uint32_t *table;             /* tsize slots: 0 empty, else index + 1 */
    size_t count, cap, tsize;
    unsigned char *last;         /* the stanza found last (public bytes): the values of one */
    size_t last_len, last_idx;   /* sealing session all carry it, so the next is found by memcmp */
    char *header_text;           /* the last header's base64url, whole groups of four (public) */
    size_t header_text_len;
    unsigned char *header_bin;   /* and its header_text_len / 4 * 3 bytes */
    struct {                     /* key ids of EC, X25519, Ed25519 entries (public): */
        const void *entry;       /* reading a key's point costs more than the AEAD */
        unsigned type;
        unsigned char id[NV_ID];
    } key_ids[NV_KEY_ID_MEMO];
    size_t key_ids_next;
};

/* ---- small helpers ---------------------------------------------------- */

static void put_be(unsigned char *p, uint64_t v, size_t n)
{
    while (n--) {
        p[n] = (unsigned char)(v & 0xFF);
        v >>= 8;
    }
}

static uint64_t get_be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

typedef struct rd {
    const unsigned char *p;
    size_t left;
} rd;

static int take(rd *r, size_t n, const unsigned char **out)
{
    if (r->left < n)
        return 0;
    *out = r->p;
    r->p += n;
    r->left -= n;
    return 1;
}

static void value_clear(nv_value *v)
{
    vault_free_ptr(v->bin);
    memset(v, 0, sizeof *v);
}

/* commitment || k-aead from the data key. */
static void derive(const unsigned char key[NV_KEY], unsigned char out[NV_DERIVED])
{
    crypto_auth_hmacsha256(out, (const unsigned char *)commit_info, sizeof commit_info - 1, key);
    crypto_auth_hmacsha256(out + NV_KEY, (const unsigned char *)aead_info, sizeof aead_info - 1,
                           key);
}

/* AD = version || aead || commitment || u32(len(alias)) || alias: the
 * stanzas are left out so that recipients can be rewrapped (FORMAT.md 5.4);
 * the commitment stands in for them. */
#define NV_AD_FIXED (2 + NV_KEY + 4)
static int make_ad(const unsigned char *header, size_t header_len, const char *alias,
                   unsigned char **ad, size_t *ad_len)
{
    size_t alen = strlen(alias);
    unsigned char *buf;

    *ad = NULL;
    if (alen > UINT32_MAX || alen > SIZE_MAX - NV_AD_FIXED)
        return vault_err(VAULT_EINVAL, "alias of %zu bytes is too long", alen);
    buf = vault_malloc(NV_AD_FIXED + alen);
    if (!buf)
        return vault_err(VAULT_ENOMEM, "out of memory");
    buf[0] = header[0];
    buf[1] = header[1];
    memcpy(buf + 2, header + header_len - NV_KEY, NV_KEY);
    put_be(buf + 2 + NV_KEY, alen, 4);
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
        return vault_err(VAULT_EFORMAT, "%s: empty native value after \"" NV_PREFIX_V1 "\"", ctx);
    if (n % 4 == 1)
        return vault_err(VAULT_EFORMAT, "%s: a base64url payload of %zu characters cannot be "
                         "decoded (truncated value?)", ctx, n);
    if (!buf && !(buf = vault_malloc(olen)))
        return vault_err(VAULT_ENOMEM, "out of memory");
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
            return vault_err(VAULT_EFORMAT, "%s: invalid character at offset %zu of the native value "
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
        return vault_err(VAULT_EFORMAT, "%s: non-canonical base64url (the unused bits of the last "
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
        return vault_err(VAULT_EFORMAT, "%s: unsupported native format version \"%.*s\" (this "
                         "libvault reads v1)", ctx, (int)n, tag);
    return vault_err(VAULT_EFORMAT, "%s: malformed native value (\"" NV_PREFIX_V1 "\" expected)",
                     ctx);
}

/* ---- binary layout ---------------------------------------------------- */

static int truncated(const char *ctx, const char *field)
{
    return vault_err(VAULT_EFORMAT, "%s: native value truncated in %s", ctx, field);
}

static int parse_stanza(rd *r, const char *ctx, size_t i, nv_stanza *s)
{
    const unsigned char *start = r->p, *t, *len;

    if (!take(r, 1, &t) || !take(r, NV_ID, &s->key_id) || !take(r, 2, &len))
        return truncated(ctx, "a recipient stanza");
    if (*t != NV_TYPE_RSA && ec_stanza_body_len(*t) == 0)
        return vault_err(VAULT_EFORMAT, "%s: recipient stanza %zu has unsupported type 0x%02x "
                         "(a newer libvault may have written it)", ctx, i + 1, *t);
    s->type = *t;
    s->body_len = (size_t)get_be(len, 2);
    if (*t == NV_TYPE_RSA && (s->body_len < NV_MIN_BODY || s->body_len > NV_MAX_BODY))
        return vault_err(VAULT_EFORMAT, "%s: recipient stanza %zu has a wrapped key of %zu bytes "
                         "(%d to %d allowed)", ctx, i + 1, s->body_len, NV_MIN_BODY, NV_MAX_BODY);
    if (*t != NV_TYPE_RSA && s->body_len != ec_stanza_body_len(*t))
        return vault_err(VAULT_EFORMAT, "%s: recipient stanza %zu (%s) has a body of %zu bytes "
                         "(%zu expected)", ctx, i + 1, ec_stanza_name(*t), s->body_len,
                         ec_stanza_body_len(*t));
    if (!take(r, s->body_len, &s->body))
        return truncated(ctx, "a wrapped key");
    s->bytes = start;
    s->bytes_len = (size_t)(r->p - start);
    return 0;
}

static int parse_header(rd *r, const char *ctx, nv_value *v)
{
    const unsigned char *h;
    size_t i, j;
    int rc;

    if (!take(r, 3, &h))
        return truncated(ctx, "the header");
    if (h[0] != NV_VERSION)
        return vault_err(VAULT_EFORMAT, "%s: binary version %u does not match the \"v1\" tag", ctx,
                         h[0]);
    if (h[1] != NV_AEAD_XCHACHA)
        return vault_err(VAULT_EFORMAT, "%s: unsupported AEAD id 0x%02x%s", ctx, h[1],
                         h[1] == NV_AEAD_AESGCM ? " (AES-256-GCM is reserved, not implemented)" : "");
    if (h[2] == 0 || h[2] > NV_MAX_STANZAS)
        return vault_err(VAULT_EFORMAT, "%s: %u recipient stanzas (1 to %d allowed)", ctx, h[2],
                         NV_MAX_STANZAS);
    v->count = h[2];
    for (i = 0; i < v->count; i++) {
        rc = parse_stanza(r, ctx, i, &v->st[i]);
        if (rc != 0)
            return rc;
        for (j = 0; j < i; j++)
            if (memcmp(v->st[j].key_id, v->st[i].key_id, NV_ID) == 0)
                return vault_err(VAULT_EFORMAT, "%s: recipient stanzas %zu and %zu have the same "
                                 "key id", ctx, j + 1, i + 1);
    }
    if (!take(r, NV_KEY, &v->commitment))
        return truncated(ctx, "the key commitment");
    v->header_len = (size_t)(r->p - v->bin);
    return 0;
}

static int parse_binary(const char *ctx, nv_value *v)
{
    rd r = {v->bin, v->bin_len};
    const unsigned char *len;
    uint64_t ct_len;
    int rc = parse_header(&r, ctx, v);

    if (rc != 0)
        return rc;
    if (!take(&r, NV_NONCE, &v->nonce) || !take(&r, 8, &len))
        return truncated(ctx, "the nonce");
    ct_len = get_be(len, 8);
    if (ct_len < NV_TAG || ct_len > NV_MAX_CT)
        return vault_err(VAULT_EFORMAT, "%s: ciphertext length %llu out of range (16 to 2^38-48)",
                         ctx, (unsigned long long)ct_len);
    if (ct_len > r.left)
        return vault_err(VAULT_EFORMAT, "%s: native value truncated (ciphertext of %llu bytes, "
                         "%zu present)", ctx, (unsigned long long)ct_len, r.left);
    if (ct_len < r.left)
        return vault_err(VAULT_EFORMAT, "%s: %zu trailing byte(s) after the ciphertext", ctx,
                         r.left - (size_t)ct_len);
    v->ct = r.p;
    v->ct_len = (size_t)ct_len;
    return 0;
}

/* The values of one sealing session share their header (three quarters of
 * a value's text): the cache keeps the last header's text and bytes, and a
 * value that starts with that text is decoded from where it ends. */
static size_t header_known(native_cache *c, const char *text, size_t n, unsigned char **bin);
static void header_remember(native_cache *c, const char *text, const nv_value *v);

/* Parse value; c (may be NULL) remembers the last header; ctx names the
 * value in messages. */
static int parse_with(native_cache *c, const char *value, const char *ctx, nv_value *v)
{
    size_t n, known = 0;
    int rc;

    memset(v, 0, sizeof *v);
    if (!native_is(value))
        return vault_err(VAULT_EFORMAT, "%s: not a native value (no \"" NV_PREFIX "\" prefix)", ctx);
    if (strncmp(value, NV_PREFIX_V1, sizeof NV_PREFIX_V1 - 1) != 0)
        return version_error(value + sizeof NV_PREFIX - 1, ctx);
    value += sizeof NV_PREFIX_V1 - 1;
    n = strlen(value);
    if (c && n % 4 != 1)
        known = header_known(c, value, n, &v->bin);
    if (known == SIZE_MAX)
        return vault_err(VAULT_ENOMEM, "out of memory");
    rc = b64url_decode(value, n, known, ctx, &v->bin, &v->bin_len);
    if (rc == 0)
        rc = parse_binary(ctx, v);
    if (rc == 0 && c)
        header_remember(c, value, v);
    if (rc != 0)
        value_clear(v);
    return rc;
}

static int parse(const char *value, const char *ctx, nv_value *v)
{
    return parse_with(NULL, value, ctx, v);
}

/* ---- sealing ---------------------------------------------------------- */

static int check_recipients(const vault_recipient *const *r, size_t n)
{
    size_t i, j;

    if (n == 0 || !r)
        return vault_err(VAULT_EINVAL, "the native format needs at least one recipient");
    if (n > NV_MAX_STANZAS)
        return vault_err(VAULT_EINVAL, "%zu recipients; the native format allows at most %d", n,
                         NV_MAX_STANZAS);
    for (i = 0; i < n; i++) {
        if (!r[i] || !r[i]->pub)
            return vault_err(VAULT_EINVAL, "recipient %zu is missing", i + 1);
        if (ec_stanza_type(r[i]->pub) != 0) {
            /* EC, X25519, Ed25519: any size of those curves will do */
        } else if (!EVP_PKEY_is_a(r[i]->pub, "RSA")) {
            return vault_err(VAULT_EFORMAT, "recipient %s: not an RSA, EC P-256/P-384/P-521, "
                             "X25519 or Ed25519 key", r[i]->key_id);
        } else if (EVP_PKEY_get_bits(r[i]->pub) < 2048 || EVP_PKEY_get_size(r[i]->pub) > NV_MAX_BODY) {
            return vault_err(VAULT_EINVAL, "recipient %s: RSA key of %d bits; the native format "
                             "needs 2048 to 16384 bits", r[i]->key_id, EVP_PKEY_get_bits(r[i]->pub));
        }
        for (j = 0; j < i; j++)
            if (memcmp(r[i]->id, r[j]->id, NV_ID) == 0)
                return vault_err(VAULT_EINVAL, "recipient %s is given twice", r[i]->key_id);
    }
    return 0;
}

/* The stanza body wrapping key to recipient r, and its type. */
static int wrap_to(const vault_recipient *r, const unsigned char *key, unsigned char **body,
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
static size_t put_stanza(unsigned char *p, unsigned char type, const unsigned char *id,
                         const unsigned char *body, size_t len)
{
    p[0] = type;
    memcpy(p + 1, id, NV_ID);
    put_be(p + 1 + NV_ID, len, 2);
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
        rc = wrap_to(r[i], key, &wrapped[i], &wlen[i], &types[i]);
        if (rc == 0)
            total += 1 + NV_ID + 2 + wlen[i];
    }
    if (rc == 0 && !(s->header = vault_malloc(total)))
        rc = vault_err(VAULT_ENOMEM, "out of memory");
    if (rc != 0)
        goto done;
    s->header[0] = NV_VERSION;
    s->header[1] = NV_AEAD_XCHACHA;
    s->header[2] = (unsigned char)n;
    for (i = 0, off = 3; i < n; i++)
        off += put_stanza(s->header + off, types[i], r[i]->id, wrapped[i], wlen[i]);
    memcpy(s->header + off, commitment, NV_KEY);
    s->header_len = total;
done:
    for (i = 0; i < n; i++)
        vault_free_ptr(wrapped[i]);
    return rc;
}

int native_sealer_new(native_sealer **out, const vault_recipient *const *recipients, size_t n)
{
    native_sealer *s = NULL;
    vault_secret *dk = NULL;
    unsigned char *key, *aead_key, derived[NV_DERIVED];
    int rc;

    *out = NULL;
    rc = check_recipients(recipients, n);
    if (rc != 0)
        return rc;
    s = vault_calloc(1, sizeof *s);
    if (!s)
        return vault_err(VAULT_ENOMEM, "out of memory");
    rc = vault_secret_alloc(&dk, NV_KEY, &key);
    if (rc == 0)
        rc = vault_secret_alloc(&s->key, NV_KEY, &aead_key);
    if (rc != 0)
        goto done;
    randombytes_buf(key, NV_KEY);
    derive(key, derived);
    memcpy(aead_key, derived + NV_KEY, NV_KEY);
    vault_secret_seal(s->key);
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
    vault_free_ptr(s->header);
    vault_secret_free(s->key);
    vault_free_ptr(s);
}

static int encode(const unsigned char *bin, size_t bin_len, char **out)
{
    size_t pre = sizeof NV_PREFIX_V1 - 1;
    size_t b64;
    char *text;

    if (bin_len > SIZE_MAX / 2)
        return vault_err(VAULT_ENOMEM, "out of memory");
    b64 = sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    text = vault_malloc(pre + b64);
    if (!text)
        return vault_err(VAULT_ENOMEM, "out of memory");
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
        return vault_err(VAULT_EINVAL, "native_seal: no plaintext");
    if ((uint64_t)len > NV_MAX_CT - NV_TAG || len > (SIZE_MAX - s->header_len) / 2)
        return vault_err(VAULT_EINVAL, "value of alias \"%s\" is too long (%zu bytes)", alias, len);
    rc = make_ad(s->header, s->header_len, alias, &ad, &ad_len);
    if (rc != 0)
        return rc;
    bin_len = s->header_len + NV_NONCE + 8 + len + NV_TAG;
    bin = vault_malloc(bin_len);
    if (!bin) {
        rc = vault_err(VAULT_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(bin, s->header, s->header_len);
    p = bin + s->header_len;
    randombytes_buf(p, NV_NONCE);
    put_be(p + NV_NONCE, (uint64_t)len + NV_TAG, 8);
    crypto_aead_xchacha20poly1305_ietf_encrypt(p + NV_NONCE + 8, &clen, len ? pt : (const void *)"",
                                               len, ad, ad_len, NULL, p,
                                               vault_secret_data(s->key));
    rc = encode(bin, bin_len, out);
done:
    vault_free_ptr(ad);
    vault_free_ptr(bin);
    return rc;
}

/* ---- the cache -------------------------------------------------------- */

int native_cache_new(native_cache **out)
{
    native_cache *c = vault_calloc(1, sizeof *c);

    *out = NULL;
    if (!c)
        return vault_err(VAULT_ENOMEM, "out of memory");
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        vault_free_ptr(c);
        return vault_err(VAULT_ERROR, "cannot create a mutex");
    }
    *out = c;
    return 0;
}

void native_cache_free(native_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    vault_free_ptr(c->ids);
    vault_free_ptr(c->table);
    vault_free_ptr(c->last);
    vault_free_ptr(c->header_text);
    vault_free_ptr(c->header_bin);
    if (c->keys)
        sodium_free(c->keys); /* wipes */
    vault_free_ptr(c);
}

/* The id is a SHA-256 output, so its first bytes are a good hash. */
static size_t slot_of(const native_cache *c, const unsigned char *id)
{
    return (size_t)get_be(id, 8) & (c->tsize - 1);
}

static long cache_find(const native_cache *c, const unsigned char *id)
{
    size_t i;
    if (!c->tsize)
        return -1;
    for (i = slot_of(c, id); c->table[i]; i = (i + 1) & (c->tsize - 1))
        if (memcmp(c->ids[c->table[i] - 1], id, NV_ID) == 0)
            return (long)c->table[i] - 1;
    return -1;
}

static void table_put(native_cache *c, size_t idx)
{
    size_t i = slot_of(c, c->ids[idx]);
    while (c->table[i])
        i = (i + 1) & (c->tsize - 1);
    c->table[i] = (uint32_t)(idx + 1);
}

static int cache_grow(native_cache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 16, i;
    unsigned char (*ids)[NV_ID] = vault_realloc(c->ids, cap * sizeof *ids);
    unsigned char *keys;
    uint32_t *table;

    if (!ids)
        return VAULT_ENOMEM;
    c->ids = ids;
    keys = vault_secure_malloc(cap * NV_DERIVED);
    table = vault_calloc(2 * cap, sizeof *table);
    if (!keys || !table) {
        if (keys)
            sodium_free(keys);
        vault_free_ptr(table);
        return VAULT_ENOMEM;
    }
    if (c->keys) {
        memcpy(keys, c->keys, c->count * NV_DERIVED);
        sodium_free(c->keys);
    }
    sodium_mprotect_readonly(keys);
    vault_free_ptr(c->table);
    c->keys = keys;
    c->table = table;
    c->cap = cap;
    c->tsize = 2 * cap;
    for (i = 0; i < c->count; i++)
        table_put(c, i);
    return 0;
}

/* Under the lock: stanza st is entry idx. */
static void remember_last(native_cache *c, const nv_stanza *st, size_t idx)
{
    if (c->last_len != st->bytes_len) {
        vault_free_ptr(c->last);
        c->last_len = 0;
        if (!(c->last = vault_malloc(st->bytes_len)))
            return;
        c->last_len = st->bytes_len;
    }
    memcpy(c->last, st->bytes, st->bytes_len);
    c->last_idx = idx;
}

/* The derived keys of stanza st when it is the one found last; 0 then. */
static int cache_get_last(native_cache *c, const nv_stanza *st, unsigned char out[NV_DERIVED])
{
    int hit;
    if (!c)
        return -1;
    pthread_mutex_lock(&c->lock);
    hit = c->last && c->last_len == st->bytes_len && memcmp(c->last, st->bytes, st->bytes_len) == 0;
    if (hit)
        memcpy(out, c->keys + c->last_idx * NV_DERIVED, NV_DERIVED);
    pthread_mutex_unlock(&c->lock);
    return hit ? 0 : -1;
}

/* Copy the derived keys of stanza st (whose hash is id) into out; 0 when
 * found. */
static int cache_get(native_cache *c, const unsigned char *id, const nv_stanza *st,
                     unsigned char out[NV_DERIVED])
{
    long idx;
    if (!c)
        return -1;
    pthread_mutex_lock(&c->lock);
    idx = cache_find(c, id);
    if (idx >= 0) {
        memcpy(out, c->keys + (size_t)idx * NV_DERIVED, NV_DERIVED);
        remember_last(c, st, (size_t)idx);
    }
    pthread_mutex_unlock(&c->lock);
    return idx >= 0 ? 0 : -1;
}

/* A failure to remember is not an error: the next value unwraps again. */
static void cache_put(native_cache *c, const unsigned char *id, const nv_stanza *st,
                      const unsigned char *derived)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    if (cache_find(c, id) < 0 && c->count < NV_CACHE_MAX &&
        (c->count < c->cap || cache_grow(c) == 0)) {
        memcpy(c->ids[c->count], id, NV_ID);
        sodium_mprotect_readwrite(c->keys);
        memcpy(c->keys + c->count * NV_DERIVED, derived, NV_DERIVED);
        sodium_mprotect_readonly(c->keys);
        table_put(c, c->count);
        remember_last(c, st, c->count);
        c->count++;
    }
    pthread_mutex_unlock(&c->lock);
}

/* The number of leading characters of text already decoded into *bin
 * (allocated for the whole value), 0 when the text does not start with the
 * last header, SIZE_MAX when out of memory. */
static size_t header_known(native_cache *c, const char *text, size_t n, unsigned char **bin)
{
    size_t known = 0, olen = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);

    pthread_mutex_lock(&c->lock);
    if (c->header_text && n > c->header_text_len && memcmp(text, c->header_text, c->header_text_len) == 0) {
        if ((*bin = vault_malloc(olen)) != NULL) {
            memcpy(*bin, c->header_bin, c->header_text_len / 4 * 3);
            known = c->header_text_len;
        } else {
            known = SIZE_MAX;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return known;
}

/* Remember the header of a value that parsed; a failure to is not an
 * error (the next value decodes its header again). */
static void header_remember(native_cache *c, const char *text, const nv_value *v)
{
    size_t len = v->header_len / 3 * 4, bytes = len / 4 * 3;
    char *t;
    unsigned char *b;

    pthread_mutex_lock(&c->lock);
    if (c->header_text_len == len && memcmp(c->header_text, text, len) == 0) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    t = vault_malloc(len ? len : 1);
    b = vault_malloc(bytes ? bytes : 1);
    vault_free_ptr(c->header_text);
    vault_free_ptr(c->header_bin);
    c->header_text = NULL;
    c->header_bin = NULL;
    c->header_text_len = 0;
    if (t && b) {
        memcpy(t, text, len);
        memcpy(b, v->bin, bytes);
        c->header_text = t;
        c->header_bin = b;
        c->header_text_len = len;
        t = NULL;
        b = NULL;
    }
    vault_free_ptr(t);
    vault_free_ptr(b);
    pthread_mutex_unlock(&c->lock);
}

/* ---- opening ---------------------------------------------------------- */

typedef struct nv_open {
    native_cache *cache;
    vault_keystore *ks;
    const char *key_alias;
    const char *alias;
    ks_entry *entry;
    const nv_value *v;
    vault_store *store;
} nv_open;

/* "id1, id2, ..." (at most four, then a count of the others). */
static void list_ids(const nv_value *v, char *buf, size_t size)
{
    char hex[2 * NV_ID + 1];
    size_t i, used = 0;
    int n;

    buf[0] = '\0';
    for (i = 0; i < v->count && i < 4; i++) {
        vault_hex(hex, v->st[i].key_id, NV_ID, 0);
        n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", hex);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
    if (v->count > 4)
        snprintf(buf + used, size - used, " and %zu more", v->count - 4);
}

static int key_id_memo_get(native_cache *c, const ks_entry *e, unsigned *type,
                           unsigned char id[NV_ID])
{
    size_t i;
    int hit = 0;

    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    for (i = 0; i < NV_KEY_ID_MEMO && !hit; i++)
        if (c->key_ids[i].entry == e) {
            *type = c->key_ids[i].type;
            memcpy(id, c->key_ids[i].id, NV_ID);
            hit = 1;
        }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void key_id_memo_put(native_cache *c, const ks_entry *e, unsigned type,
                            const unsigned char id[NV_ID])
{
    size_t i;

    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    i = c->key_ids_next++ % NV_KEY_ID_MEMO;
    c->key_ids[i].entry = e;
    c->key_ids[i].type = type;
    memcpy(c->key_ids[i].id, id, NV_ID);
    pthread_mutex_unlock(&c->lock);
}

/* How the stanzas name entry e: for an EC, X25519 or Ed25519 key the
 * SHA-256 of its public key (from the certificate, else from the private
 * key, unlocked when unlock is set), for another key with a certificate
 * the certificate's SHA-256 (type RSA). Returns 0 with *type and id, 1 when
 * the entry has no id (an RSA key without certificate, or a locked key),
 * or a keystore error. */
static int entry_key_id(const nv_open *o, ks_entry *e, int unlock, unsigned *type,
                        unsigned char id[NV_ID])
{
    EVP_PKEY *key = NULL;
    size_t i;
    int rc;

    /* Values with RSA stanzas only (all values before EC ones existed) need
     * nothing but the certificate's hash: no key is looked at. */
    for (i = 0; e->info.has_certificate && i < o->v->count; i++)
        if (o->v->st[i].type != NV_TYPE_RSA)
            break;
    if (e->info.has_certificate && i == o->v->count) {
        *type = NV_TYPE_RSA;
        memcpy(id, e->info.sha256, NV_ID);
        return 0;
    }
    if (key_id_memo_get(o->cache, e, type, id))
        return 0;
    if (e->info.has_certificate)
        key = X509_get0_pubkey(sk_X509_value(e->chain, 0));
    else if (unlock && (rc = ks_private_key(o->ks, e->alias, &key, NULL)) != 0)
        return rc;
    ERR_clear_error();
    if (key && (*type = ec_stanza_type(key)) != 0) {
        if (ec_key_id(key, id) != 0)
            return 1;
        key_id_memo_put(o->cache, e, *type, id);
        return 0;
    }
    if (!e->info.has_certificate)
        return 1;
    *type = NV_TYPE_RSA;
    memcpy(id, e->info.sha256, NV_ID);
    return 0;
}

static int wrong_key(const nv_open *o)
{
    char ids[4 * (2 * NV_ID + 2) + 32], ours[2 * NV_ID + 1];
    unsigned char id[NV_ID];
    /* Our id as a stanza for our key would carry it; a key without
     * certificate that was unlocked to open has one too, unless RSA. */
    EVP_PKEY *key = o->entry->info.has_certificate ? X509_get0_pubkey(sk_X509_value(o->entry->chain, 0))
                                                   : o->entry->pkey;
    int known = key && ec_stanza_type(key) && ec_key_id(key, id) == 0;

    ERR_clear_error();
    if (!known && o->entry->info.has_certificate) {
        memcpy(id, o->entry->info.sha256, NV_ID);
        known = 1;
    }

    list_ids(o->v, ids, sizeof ids);
    if (!known)
        return vault_err(VAULT_EKEY, "value of alias \"%s\" is sealed for key(s) %s; the key of "
                         "keystore %s alias \"%s\" (which has no certificate) unwraps none of them",
                         o->alias, ids, o->ks->path, o->entry->alias);
    vault_hex(ours, id, NV_ID, 0);
    return vault_err(VAULT_EKEY, "value of alias \"%s\" is sealed for key(s) %s; keystore %s alias "
                     "\"%s\" has key %s", o->alias, ids, o->ks->path, o->entry->alias, ours);
}

static int unwrap_failed(const nv_open *o)
{
    return vault_err(VAULT_EAUTH, "value of alias \"%s\": cannot recover its data key with keystore "
                     "%s alias \"%s\" (wrong key, or a damaged or tampered value)", o->alias,
                     o->ks->path, o->entry->alias);
}

/* One private-key operation: the data key of stanza st, or VAULT_EAUTH. */
static int unwrap_key(const nv_open *o, const nv_stanza *st, vault_secret **dk)
{
    EVP_PKEY *pkey;
    int rc = ks_private_key(o->ks, o->entry->alias, &pkey, NULL);

    *dk = NULL;
    if (rc != 0)
        return rc;
    /* The private-key operation of a stanza: RSA-OAEP or one ECDH. */
    if (st->type == NV_TYPE_RSA)
        rc = rsa_decrypt(pkey, RSA_PAD_OAEP_SHA256, (const unsigned char *)oaep_label,
                         sizeof oaep_label - 1, st->body, st->body_len, dk);
    else
        rc = ec_unwrap(pkey, st->type, st->key_id, st->body, st->body_len, dk);
    if (rc == VAULT_EAUTH || (rc == 0 && vault_secret_len(*dk) != NV_KEY))
        rc = unwrap_failed(o);
    if (rc != 0) {
        vault_secret_free(*dk);
        *dk = NULL;
    }
    return rc;
}

/* The derived keys of stanza st, or VAULT_EAUTH. */
static int unwrap(const nv_open *o, const nv_stanza *st, unsigned char derived[NV_DERIVED])
{
    vault_secret *dk = NULL;
    int rc = unwrap_key(o, st, &dk);

    if (rc == 0)
        derive(vault_secret_data(dk), derived);
    vault_secret_free(dk);
    return rc;
}

static int stanza_keys(const nv_open *o, const nv_stanza *st, unsigned char derived[NV_DERIVED])
{
    unsigned char id[NV_ID];
    int rc;

    if (cache_get_last(o->cache, st, derived) == 0)
        return 0;
    crypto_hash_sha256(id, st->bytes, st->bytes_len);
    if (cache_get(o->cache, id, st, derived) == 0)
        return 0;
    rc = unwrap(o, st, derived);
    if (rc == 0)
        cache_put(o->cache, id, st, derived);
    return rc;
}

/* The key id of a certificate elsewhere in the keystore (another entry's
 * leaf, a trusted certificate) that carries pkey's public half, if any: with
 * it a key entry without a chain finds its stanza like any other. */
static int cert_of_key(const nv_open *o, EVP_PKEY *pkey, unsigned char id[NV_ID])
{
    size_t i;

    for (i = 0; i < o->ks->count; i++) {
        const ks_entry *e = o->ks->entries[i];
        if (e->info.has_certificate && sk_X509_num(e->chain) > 0 &&
            EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(e->chain, 0)), pkey) == 1) {
            memcpy(id, e->info.sha256, NV_ID);
            return 1;
        }
    }
    ERR_clear_error();
    return 0;
}

/* A key without a certificate has no key id: try the RSA stanzas one by one.
 * Only those whose body has our modulus size can be ours (RSA-OAEP output is
 * exactly k bytes), so the others cost no private-key operation: values
 * sealed for keys of other sizes open with one. Among stanzas of our size
 * nothing public tells ours (its key id hashes a certificate we lack). */
static int trial_keys(const nv_open *o, unsigned char derived[NV_DERIVED])
{
    unsigned char id[NV_ID];
    EVP_PKEY *pkey;
    size_t i, k;
    int rc;

    for (i = 0; i < o->v->count; i++) {
        if (cache_get_last(o->cache, &o->v->st[i], derived) == 0)
            return 0;
        crypto_hash_sha256(id, o->v->st[i].bytes, o->v->st[i].bytes_len);
        if (cache_get(o->cache, id, &o->v->st[i], derived) == 0)
            return 0;
    }
    if ((rc = ks_private_key(o->ks, o->entry->alias, &pkey, NULL)) != 0)
        return rc;
    if (cert_of_key(o, pkey, id))
        for (i = 0; i < o->v->count; i++)
            if (o->v->st[i].type == NV_TYPE_RSA && memcmp(o->v->st[i].key_id, id, NV_ID) == 0)
                return stanza_keys(o, &o->v->st[i], derived);
    k = (size_t)EVP_PKEY_get_size(pkey);
    for (i = 0; i < o->v->count; i++) {
        if (o->v->st[i].type != NV_TYPE_RSA || o->v->st[i].body_len != k)
            continue;
        rc = stanza_keys(o, &o->v->st[i], derived);
        if (rc != VAULT_EAUTH)
            return rc;
    }
    return wrong_key(o);
}

/* The stanza that names the entry's key, or NULL; *rc 1 when the entry has
 * no key id (trial), else 0 or a keystore error. */
static const nv_stanza *our_stanza(const nv_open *o, int *rc)
{
    unsigned char id[NV_ID];
    unsigned type = 0;
    size_t i;

    *rc = entry_key_id(o, o->entry, 1, &type, id);
    for (i = 0; *rc == 0 && i < o->v->count; i++)
        if (o->v->st[i].type == type && memcmp(o->v->st[i].key_id, id, NV_ID) == 0)
            return &o->v->st[i];
    return NULL;
}

static int data_keys(const nv_open *o, unsigned char derived[NV_DERIVED])
{
    int rc;
    const nv_stanza *st = our_stanza(o, &rc);

    if (rc == 1)
        return trial_keys(o, derived);
    if (rc != 0)
        return rc;
    return st ? stanza_keys(o, st, derived) : wrong_key(o);
}

static int decrypt(const nv_open *o, const unsigned char *aead_key, vault_secret **out)
{
    const nv_value *v = o->v;
    unsigned char *ad = NULL, *pt;
    size_t ad_len = 0;
    unsigned long long mlen;
    vault_secret *s = NULL;
    int rc = make_ad(v->bin, v->header_len, o->alias, &ad, &ad_len);

    if (rc == 0)
        rc = vault_secret_alloc_in(o->store, &s, v->ct_len - NV_TAG, &pt);
    if (rc != 0)
        goto done;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL, v->ct, v->ct_len, ad, ad_len,
                                                   v->nonce, aead_key) != 0) {
        rc = vault_err(VAULT_EAUTH, "value of alias \"%s\" does not authenticate (tampered, or "
                       "sealed for another alias)", o->alias);
        goto done;
    }
    vault_secret_seal(s);
    *out = s;
    s = NULL;
done:
    vault_secret_free(s);
    vault_free_ptr(ad);
    return rc;
}

static size_t key_entries(const vault_keystore *ks)
{
    size_t i, n = 0;
    for (i = 0; i < ks->count; i++)
        n += ks->entries[i]->info.kind == VAULT_ENTRY_PRIVATE_KEY;
    return n;
}

/* Without a key alias: the key entry whose certificate a stanza names, else
 * the only key entry. */
static int pick_entry(nv_open *o)
{
    char ids[4 * (2 * NV_ID + 2) + 32];
    size_t i, j;

    if (o->key_alias)
        return ks_find(o->ks, o->key_alias, &o->entry);
    for (i = 0; i < o->ks->count; i++) {
        ks_entry *e = o->ks->entries[i];
        unsigned char id[NV_ID];
        unsigned type;
        if (e->info.kind != VAULT_ENTRY_PRIVATE_KEY || entry_key_id(o, e, 0, &type, id) != 0)
            continue;
        for (j = 0; j < o->v->count; j++)
            if (o->v->st[j].type == type && memcmp(o->v->st[j].key_id, id, NV_ID) == 0) {
                o->entry = e;
                return 0;
            }
    }
    if (key_entries(o->ks) < 2)
        return ks_find(o->ks, NULL, &o->entry);
    list_ids(o->v, ids, sizeof ids);
    return vault_err(VAULT_EKEY, "value of alias \"%s\" is sealed for key(s) %s; none of the %zu "
                     "key entries of keystore %s has one of them", o->alias, ids,
                     key_entries(o->ks), o->ks->path);
}

static int open_parsed(nv_open *o, vault_secret **out)
{
    unsigned char derived[NV_DERIVED];
    EVP_PKEY *pkey;
    int rc = pick_entry(o);

    /* Not a key pair: let the keystore say so. */
    if (rc == 0 && o->entry->info.kind != VAULT_ENTRY_PRIVATE_KEY)
        rc = ks_private_key(o->ks, o->entry->alias, &pkey, NULL);
    if (rc == 0)
        rc = data_keys(o, derived);
    if (rc == 0 && sodium_memcmp(derived, o->v->commitment, NV_KEY) != 0)
        rc = unwrap_failed(o);
    if (rc == 0)
        rc = decrypt(o, derived + NV_KEY, out);
    sodium_memzero(derived, sizeof derived);
    return rc;
}

int native_open(native_cache *c, vault_keystore *ks, const char *key_alias, const char *alias,
                const char *value, vault_store *st, vault_secret **out)
{
    nv_value v;
    nv_open o;
    char ctx[160];
    int rc;

    if (!out || !ks)
        return vault_err(VAULT_EINVAL, "native_open: invalid argument");
    *out = NULL;
    if (!alias)
        alias = "";
    /* The messages' context costs a snprintf per value: values parse, so it
     * is made only to say why one does not. */
    if ((rc = parse_with(c, value, "value", &v)) == VAULT_EFORMAT) {
        snprintf(ctx, sizeof ctx, "value of alias \"%s\"", alias);
        if ((rc = parse(value, ctx, &v)) == 0) /* cannot be: the same bytes */
            rc = vault_err(VAULT_ERROR, "%s: parses only the second time", ctx);
        value_clear(&v);
    }
    if (rc != 0)
        return rc;
    o.cache = c;
    o.ks = ks;
    o.key_alias = key_alias;
    o.alias = alias;
    o.entry = NULL;
    o.v = &v;
    o.store = st;
    rc = open_parsed(&o, out);
    value_clear(&v);
    return rc;
}

/* ---- rewrapping ------------------------------------------------------- */

/* One session seen by a rewrapper: its old header (by hash), the new one. */
typedef struct nv_rewrapped {
    unsigned char id[NV_ID]; /* SHA-256 of the old header */
    unsigned char *header;
    size_t header_len;
    vault_secret *aead; /* k-aead, to check each value */
} nv_rewrapped;

struct native_rewrapper {
    vault_keystore *ks;
    char *key_alias;
    const vault_recipient *const *add;
    size_t nadd;
    unsigned char (*remove)[NV_ID];
    size_t nremove;
    int replace;
    nv_rewrapped *done;
    size_t count, cap;
    vault_store *pool; /* each value's check opens into it: no guarded region per value */
};

int native_rewrapper_new(native_rewrapper **out, vault_keystore *ks, const char *key_alias,
                         const vault_recipient *const *add, size_t nadd,
                         const unsigned char (*remove)[32], size_t nremove, int replace)
{
    native_rewrapper *rw;
    int rc = 0;

    *out = NULL;
    if (nadd > 0 && (rc = check_recipients(add, nadd)) != 0)
        return rc;
    rw = vault_calloc(1, sizeof *rw);
    if (!rw)
        return vault_err(VAULT_ENOMEM, "out of memory");
    rw->ks = ks;
    rw->add = add;
    rw->nadd = nadd;
    rw->replace = replace;
    if (key_alias && !(rw->key_alias = vault_strdup(key_alias)))
        rc = vault_err(VAULT_ENOMEM, "out of memory");
    if (rc == 0)
        rc = vault_store_pool_new(&rw->pool);
    if (rc == 0 && nremove > 0) {
        rw->remove = vault_malloc(nremove * NV_ID);
        if (rw->remove) {
            memcpy(rw->remove, remove, nremove * NV_ID);
            rw->nremove = nremove;
        } else {
            rc = vault_err(VAULT_ENOMEM, "out of memory");
        }
    }
    if (rc != 0) {
        native_rewrapper_free(rw);
        return rc;
    }
    *out = rw;
    return 0;
}

void native_rewrapper_free(native_rewrapper *rw)
{
    size_t i;

    if (!rw)
        return;
    for (i = 0; i < rw->count; i++) {
        vault_free_ptr(rw->done[i].header);
        vault_secret_free(rw->done[i].aead);
    }
    vault_free_ptr(rw->done);
    vault_free_ptr(rw->remove);
    vault_free_ptr(rw->key_alias);
    vault_store_release(rw->pool);
    vault_free_ptr(rw);
}

/* The old stanza stays unless replaced, removed, or re-added. */
static int keep_stanza(const native_rewrapper *rw, const nv_stanza *st)
{
    size_t i;

    if (rw->replace)
        return 0;
    for (i = 0; i < rw->nremove; i++)
        if (memcmp(rw->remove[i], st->key_id, NV_ID) == 0)
            return 0;
    for (i = 0; i < rw->nadd; i++)
        if (memcmp(rw->add[i]->id, st->key_id, NV_ID) == 0)
            return 0;
    return 1;
}

/* The data key of the value, its commitment checked (FORMAT.md 5.4: a
 * rewrapper MUST check it before wrapping the key again). */
static int recover_key(nv_open *o, vault_secret **dk)
{
    unsigned char derived[NV_DERIVED];
    const nv_stanza *st;
    EVP_PKEY *pkey;
    size_t i;
    int rc = pick_entry(o), trial;

    *dk = NULL;
    if (rc == 0 && o->entry->info.kind != VAULT_ENTRY_PRIVATE_KEY)
        return ks_private_key(o->ks, o->entry->alias, &pkey, NULL);
    if (rc != 0)
        return rc;
    st = our_stanza(o, &trial);
    if (trial < 0)
        return trial;
    rc = VAULT_EKEY;
    if (st)
        rc = unwrap_key(o, st, dk);
    for (i = 0; trial == 1 && i < o->v->count && rc != 0; i++) {
        if (o->v->st[i].type != NV_TYPE_RSA)
            continue;
        rc = unwrap_key(o, &o->v->st[i], dk);
        if (rc != 0 && rc != VAULT_EAUTH)
            return rc;
    }
    if (rc == VAULT_EKEY || (rc != 0 && trial == 1))
        return wrong_key(o);
    if (rc != 0)
        return rc;
    derive(vault_secret_data(*dk), derived);
    if (sodium_memcmp(derived, o->v->commitment, NV_KEY) != 0)
        rc = unwrap_failed(o);
    sodium_memzero(derived, sizeof derived);
    if (rc != 0) {
        vault_secret_free(*dk);
        *dk = NULL;
    }
    return rc;
}

static int stanza_total(const native_rewrapper *rw, const nv_value *v, const char *alias)
{
    size_t i, n = rw->nadd;

    for (i = 0; i < v->count; i++)
        n += (size_t)keep_stanza(rw, &v->st[i]);
    if (n == 0)
        return vault_err(VAULT_EINVAL, "value of alias \"%s\": removing its recipients would leave "
                         "none", alias);
    if (n > NV_MAX_STANZAS)
        return vault_err(VAULT_EINVAL, "value of alias \"%s\" would have %zu recipients; the native "
                         "format allows at most %d", alias, n, NV_MAX_STANZAS);
    return (int)n;
}

/* version | aead | count | kept stanzas | new stanzas | commitment */
static int new_header(const native_rewrapper *rw, const nv_value *v, const unsigned char *key,
                      size_t n, nv_rewrapped *e)
{
    unsigned char *wrapped[NV_MAX_STANZAS] = {NULL}, types[NV_MAX_STANZAS];
    size_t wlen[NV_MAX_STANZAS], i, off, total = 3 + NV_KEY;
    int rc = 0;

    for (i = 0; i < v->count; i++)
        if (keep_stanza(rw, &v->st[i]))
            total += v->st[i].bytes_len;
    for (i = 0; i < rw->nadd && rc == 0; i++) {
        rc = wrap_to(rw->add[i], key, &wrapped[i], &wlen[i], &types[i]);
        if (rc == 0)
            total += 1 + NV_ID + 2 + wlen[i];
    }
    if (rc == 0 && !(e->header = vault_malloc(total)))
        rc = vault_err(VAULT_ENOMEM, "out of memory");
    if (rc != 0)
        goto done;
    memcpy(e->header, v->bin, 2);
    e->header[2] = (unsigned char)n;
    for (i = 0, off = 3; i < v->count; i++)
        if (keep_stanza(rw, &v->st[i])) {
            memcpy(e->header + off, v->st[i].bytes, v->st[i].bytes_len);
            off += v->st[i].bytes_len;
        }
    for (i = 0; i < rw->nadd; i++)
        off += put_stanza(e->header + off, types[i], rw->add[i]->id, wrapped[i], wlen[i]);
    memcpy(e->header + off, v->commitment, NV_KEY);
    e->header_len = total;
done:
    for (i = 0; i < rw->nadd; i++)
        vault_free_ptr(wrapped[i]);
    return rc;
}

/* First value of a session: one unwrap, one wrap per added recipient. */
static int rewrap_session(native_rewrapper *rw, nv_open *o, const unsigned char *id,
                          nv_rewrapped **out)
{
    nv_rewrapped e, *grown;
    vault_secret *dk = NULL;
    unsigned char derived[NV_DERIVED], *aead;
    int n = stanza_total(rw, o->v, o->alias), rc = n < 0 ? n : 0;

    memset(&e, 0, sizeof e);
    if (rc == 0)
        rc = recover_key(o, &dk);
    if (rc == 0)
        rc = new_header(rw, o->v, vault_secret_data(dk), (size_t)n, &e);
    if (rc == 0 && (rc = vault_secret_alloc(&e.aead, NV_KEY, &aead)) == 0) {
        derive(vault_secret_data(dk), derived);
        memcpy(aead, derived + NV_KEY, NV_KEY);
        vault_secret_seal(e.aead);
    }
    if (rc == 0 && rw->count == rw->cap) {
        size_t cap = rw->cap ? rw->cap * 2 : 4;
        grown = vault_realloc(rw->done, cap * sizeof *grown);
        if (grown) {
            rw->done = grown;
            rw->cap = cap;
        } else {
            rc = vault_err(VAULT_ENOMEM, "out of memory");
        }
    }
    if (rc == 0) {
        memcpy(e.id, id, NV_ID);
        rw->done[rw->count] = e;
        *out = &rw->done[rw->count++];
    } else {
        vault_free_ptr(e.header);
        vault_secret_free(e.aead);
    }
    sodium_memzero(derived, sizeof derived);
    vault_secret_free(dk);
    return rc;
}

int native_rewrap(native_rewrapper *rw, const char *alias, const char *value, char **out)
{
    nv_value v;
    nv_open o;
    nv_rewrapped *e = NULL;
    vault_secret *pt = NULL;
    unsigned char id[NV_ID], *bin = NULL;
    size_t i, rest = 0;
    char ctx[160];
    int rc;

    *out = NULL;
    if (!alias)
        alias = "";
    snprintf(ctx, sizeof ctx, "value of alias \"%s\"", alias);
    if ((rc = parse(value, ctx, &v)) != 0)
        return rc;
    memset(&o, 0, sizeof o);
    o.ks = rw->ks;
    o.key_alias = rw->key_alias;
    o.alias = alias;
    o.v = &v;
    o.store = rw->pool;
    crypto_hash_sha256(id, v.bin, v.header_len);
    for (i = 0; i < rw->count && !e; i++)
        if (memcmp(rw->done[i].id, id, NV_ID) == 0)
            e = &rw->done[i];
    if (!e)
        rc = rewrap_session(rw, &o, id, &e);
    /* The whole value must still open: nothing unauthenticated is carried on. */
    if (rc == 0)
        rc = decrypt(&o, vault_secret_data(e->aead), &pt);
    if (rc == 0) {
        rest = v.bin_len - v.header_len;
        if (!(bin = vault_malloc(e->header_len + rest)))
            rc = vault_err(VAULT_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        memcpy(bin, e->header, e->header_len);
        memcpy(bin + e->header_len, v.bin + v.header_len, rest);
        rc = encode(bin, e->header_len + rest, out);
    }
    vault_free_ptr(bin);
    vault_secret_free(pt);
    value_clear(&v);
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
        return vault_err(VAULT_EINVAL, "native_inspect: invalid argument");
    rc = parse(value, "native value", &v);
    if (rc != 0)
        return rc;
    /* One block: the id pointers, the type pointers, then the hex strings. */
    ids = vault_malloc(v.count * (2 * sizeof *ids + 2 * NV_ID + 1));
    if (!ids) {
        value_clear(&v);
        return vault_err(VAULT_ENOMEM, "out of memory");
    }
    types = (const char **)(ids + v.count);
    text = (char *)(ids + 2 * v.count);
    for (i = 0; i < v.count; i++) {
        ids[i] = text + i * (2 * NV_ID + 1);
        vault_hex(ids[i], v.st[i].key_id, NV_ID, 0);
        types[i] = v.st[i].type == NV_TYPE_RSA ? "cert-sha256" : "spki-sha256";
    }
    info->key_id_types = types;
    info->format = VAULT_FORMAT_NATIVE;
    info->algorithm = algorithm_of(&v);
    info->recipient_count = v.count;
    info->key_ids = (const char *const *)ids;
    info->ciphertext_bytes = v.ct_len;
    info->plaintext_bytes = v.ct_len - NV_TAG;
    value_clear(&v);
    return 0;
}

void native_info_release(vault_value_info *info)
{
    if (!info)
        return;
    vault_free_ptr((void *)info->key_ids); /* key_id_types lives in the same block */
    info->key_ids = NULL;
    info->key_id_types = NULL;
    info->recipient_count = 0;
}
