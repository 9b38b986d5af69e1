/* SPDX-License-Identifier: Apache-2.0 */
/* The elliptic-curve recipient stanzas of the native format (docs/FORMAT.md
 * 5.6): ephemeral-static ECDH on P-256/P-384/P-521 or X25519 (Ed25519 keys
 * through their X25519 map), HKDF-SHA-256, ChaCha20-Poly1305 key wrap. */
#include "token.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <sodium.h>
#include <string.h>

#define EC_KEY_LEN 32
#define EC_WRAP_LEN (EC_KEY_LEN + crypto_aead_chacha20poly1305_ietf_ABYTES)
#define EC_MAX_PUB 133 /* P-521 uncompressed point */
#define EC_MAX_DH 66

typedef struct ec_kind {
    unsigned char type;
    const char *name;      /* for messages */
    const char *group;     /* OpenSSL group name, NULL for X25519 / Ed25519 */
    int nid;
    size_t npk;            /* length of enc and pkR */
    size_t field;          /* length of dh */
    const char *label;     /* HKDF info */
    const unsigned char *spki_prefix; /* DER of the SPKI up to the public key bytes */
    size_t spki_prefix_len;
} ec_kind;

/* The SubjectPublicKeyInfo before the key bytes: namedCurve and an
 * uncompressed point (RFC 5480), or the RFC 8410 form. */
static const unsigned char spki_p256[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                          0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                          0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
static const unsigned char spki_p384[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                          0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                          0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};
static const unsigned char spki_p521[] = {0x30, 0x81, 0x9b, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                          0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81,
                                          0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00};
static const unsigned char spki_x25519[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                            0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00};
static const unsigned char spki_ed25519[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                             0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

static const ec_kind kinds[] = {
    {NV_TYPE_P256, "EC P-256", "P-256", NID_X9_62_prime256v1, 65, 32, "vault:v1:p256", spki_p256,
     sizeof spki_p256},
    {NV_TYPE_P384, "EC P-384", "P-384", NID_secp384r1, 97, 48, "vault:v1:p384", spki_p384,
     sizeof spki_p384},
    {NV_TYPE_P521, "EC P-521", "P-521", NID_secp521r1, 133, 66, "vault:v1:p521", spki_p521,
     sizeof spki_p521},
    {NV_TYPE_X25519, "X25519", NULL, NID_X25519, 32, 32, "vault:v1:x25519", spki_x25519,
     sizeof spki_x25519},
    {NV_TYPE_ED25519, "Ed25519", NULL, NID_ED25519, 32, 32, "vault:v1:ed25519", spki_ed25519,
     sizeof spki_ed25519},
};

static const ec_kind *kind_of_type(unsigned type)
{
    size_t i;
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].type == type)
            return &kinds[i];
    return NULL;
}

static const ec_kind *kind_of_key(EVP_PKEY *key)
{
    char group[64];
    size_t i;
    int nid = NID_undef;

    if (!key)
        return NULL;
    if (EVP_PKEY_is_a(key, "X25519"))
        nid = NID_X25519;
    else if (EVP_PKEY_is_a(key, "ED25519"))
        nid = NID_ED25519;
    else if (EVP_PKEY_is_a(key, "EC") &&
             EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                            NULL) > 0) {
        /* Explicit curve parameters have no group name: refused. */
        nid = EC_curve_nist2nid(group);
        if (nid == NID_undef)
            nid = OBJ_sn2nid(group);
    }
    ERR_clear_error();
    for (i = 0; nid != NID_undef && i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].nid == nid)
            return &kinds[i];
    return NULL;
}

unsigned ec_stanza_type(EVP_PKEY *key)
{
    const ec_kind *k = kind_of_key(key);
    return k ? k->type : 0;
}

size_t ec_stanza_body_len(unsigned type)
{
    const ec_kind *k = kind_of_type(type);
    return k ? k->npk + EC_WRAP_LEN : 0;
}

const char *ec_stanza_name(unsigned type)
{
    const ec_kind *k = kind_of_type(type);
    return k ? k->name : "unknown";
}

/* The public key as the key id and the stanzas encode it: an uncompressed
 * point, whatever form a certificate used, or the 32 raw bytes. */
static int raw_public(EVP_PKEY *key, const ec_kind *k, unsigned char *out)
{
    BIGNUM *x = NULL, *y = NULL;
    size_t len = k->npk;
    int ok;

    if (!k->group)
        return EVP_PKEY_get_raw_public_key(key, out, &len) > 0 && len == k->npk;
    ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) > 0 &&
         EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) > 0;
    out[0] = 0x04;
    ok = ok && BN_bn2binpad(x, out + 1, (int)k->field) == (int)k->field &&
         BN_bn2binpad(y, out + 1 + k->field, (int)k->field) == (int)k->field;
    BN_free(x);
    BN_free(y);
    return ok;
}

int ec_key_id(EVP_PKEY *key, unsigned char id[32])
{
    const ec_kind *k = kind_of_key(key);
    unsigned char pub[EC_MAX_PUB];
    crypto_hash_sha256_state h;

    if (!k || !raw_public(key, k, pub)) {
        ERR_clear_error();
        return VAULT_EFORMAT;
    }
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, k->spki_prefix, k->spki_prefix_len);
    crypto_hash_sha256_update(&h, pub, k->npk);
    crypto_hash_sha256_final(&h, id);
    return 0;
}

/* pkR: the X25519 key of the recipient (mapped for Ed25519), or its point. */
static int recipient_pk(EVP_PKEY *key, const ec_kind *k, unsigned char *out)
{
    unsigned char ed[32];

    if (k->type != NV_TYPE_ED25519)
        return raw_public(key, k, out);
    return raw_public(key, k, ed) && crypto_sign_ed25519_pk_to_curve25519(out, ed) == 0;
}

/* The key that does the exchange: the key itself, or for Ed25519 the
 * X25519 key libsodium's map makes from its seed. */
static EVP_PKEY *exchange_key(EVP_PKEY *priv, const ec_kind *k)
{
    unsigned char seed[32], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES],
        xsk[32];
    size_t len = sizeof seed;
    EVP_PKEY *x = NULL;

    if (k->type != NV_TYPE_ED25519) {
        EVP_PKEY_up_ref(priv);
        return priv;
    }
    if (EVP_PKEY_get_raw_private_key(priv, seed, &len) > 0 && len == sizeof seed &&
        crypto_sign_seed_keypair(pk, sk, seed) == 0 &&
        crypto_sign_ed25519_sk_to_curve25519(xsk, sk) == 0)
        x = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, xsk, sizeof xsk);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(xsk, sizeof xsk);
    return x;
}

/* A public key of kind k from its encoding (enc or pkR); NULL when it is
 * not a valid key of the curve. */
static EVP_PKEY *peer_key(const ec_kind *k, const unsigned char *pub)
{
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *key = NULL;

    if (!k->group)
        return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, k->npk);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)k->group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, k->npk);
    params[2] = OSSL_PARAM_construct_end();
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* dh = ECDH(priv, peer): the X coordinate or the X25519 output; the peer
 * is checked, and an all-zero X25519 result refused. */
static int agree(EVP_PKEY *priv, EVP_PKEY *peer, const ec_kind *k, unsigned char *dh)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
    size_t len = EC_MAX_DH;
    int ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) > 0 &&
             EVP_PKEY_derive(ctx, dh, &len) > 0 && len == k->field;

    EVP_PKEY_CTX_free(ctx);
    if (ok && k->group == NULL && sodium_is_zero(dh, len))
        ok = 0;
    return ok;
}

/* wrap-key = HKDF-SHA-256(salt = enc || pkR, IKM = dh, info = label). */
static int wrap_key(const ec_kind *k, const unsigned char *dh, const unsigned char *enc,
                    const unsigned char *pkr, unsigned char out[EC_KEY_LEN])
{
    unsigned char salt[2 * EC_MAX_PUB];
    OSSL_PARAM params[5];
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    int ok;

    memcpy(salt, enc, k->npk);
    memcpy(salt + k->npk, pkr, k->npk);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)dh, k->field);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, 2 * k->npk);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)k->label,
                                                  strlen(k->label));
    params[4] = OSSL_PARAM_construct_end();
    ok = ctx && EVP_KDF_derive(ctx, out, EC_KEY_LEN, params) > 0;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok;
}

static void wrap_ad(const ec_kind *k, const unsigned char key_id[32], unsigned char ad[33])
{
    ad[0] = k->type;
    memcpy(ad + 1, key_id, 32);
}

int ec_wrap(EVP_PKEY *pub, const unsigned char key_id[32], const unsigned char *key,
            unsigned char **body, size_t *body_len)
{
    static const unsigned char zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
    const ec_kind *k = kind_of_key(pub);
    unsigned char pkr[EC_MAX_PUB], dh[EC_MAX_DH], wk[EC_KEY_LEN], ad[33], *b = NULL;
    EVP_PKEY *eph = NULL, *peer = NULL;
    size_t len;
    int rc = 0;

    *body = NULL;
    if (!k)
        return vault__err(VAULT_EFORMAT, "recipient %s: not an EC P-256/P-384/P-521, X25519 or "
                         "Ed25519 key", EVP_PKEY_get0_type_name(pub));
    if (!(b = vault__malloc(k->npk + EC_WRAP_LEN)))
        return vault__oom();
    eph = k->group ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", k->group)
                   : EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    len = k->npk;
    if (!eph || !recipient_pk(pub, k, pkr) || !(peer = peer_key(k, pkr)) ||
        !(k->group ? raw_public(eph, k, b)
                   : EVP_PKEY_get_raw_public_key(eph, b, &len) > 0 && len == k->npk) ||
        !agree(eph, peer, k, dh) || !wrap_key(k, dh, b, pkr, wk)) {
        rc = vault__err_ssl(VAULT_ERROR, "cannot wrap the data key to the %s recipient", k->name);
        goto done;
    }
    wrap_ad(k, key_id, ad);
    crypto_aead_chacha20poly1305_ietf_encrypt(b + k->npk, NULL, key, EC_KEY_LEN, ad, sizeof ad, NULL,
                                              zero_nonce, wk);
    *body = b;
    *body_len = k->npk + EC_WRAP_LEN;
    b = NULL;
done:
    sodium_memzero(dh, sizeof dh);
    sodium_memzero(wk, sizeof wk);
    vault__free_ptr(b);
    EVP_PKEY_free(eph);
    EVP_PKEY_free(peer);
    return rc;
}

int ec_unwrap(EVP_PKEY *priv, unsigned type, const unsigned char key_id[32],
              const unsigned char *body, size_t body_len, vault_secret **out)
{
    static const unsigned char zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
    const ec_kind *k = kind_of_type(type);
    unsigned char pkr[EC_MAX_PUB], dh[EC_MAX_DH], wk[EC_KEY_LEN], ad[33], *key;
    EVP_PKEY *x = NULL, *peer = NULL;
    vault_secret *s = NULL;
    int rc = VAULT_EAUTH;

    *out = NULL;
    if (!k || kind_of_key(priv) != k || body_len != k->npk + EC_WRAP_LEN)
        return VAULT_EAUTH;
    vault__private_key_op();
    if (!(x = exchange_key(priv, k)) || !recipient_pk(priv, k, pkr) ||
        !(peer = peer_key(k, body)) || !agree(x, peer, k, dh) || !wrap_key(k, dh, body, pkr, wk))
        goto done;
    if ((rc = vault__secret_alloc(&s, EC_KEY_LEN, &key)) != 0)
        goto done;
    wrap_ad(k, key_id, ad);
    if (crypto_aead_chacha20poly1305_ietf_decrypt(key, NULL, NULL, body + k->npk, EC_WRAP_LEN, ad,
                                                  sizeof ad, zero_nonce, wk) != 0) {
        rc = VAULT_EAUTH;
        goto done;
    }
    vault__secret_seal(s);
    *out = s;
    s = NULL;
    rc = 0;
done:
    ERR_clear_error();
    sodium_memzero(dh, sizeof dh);
    sodium_memzero(wk, sizeof wk);
    vault_secret_free(s);
    EVP_PKEY_free(x);
    EVP_PKEY_free(peer);
    return rc;
}
