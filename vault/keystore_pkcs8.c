/* SPDX-License-Identifier: Apache-2.0 */
/* Private keys from PKCS#8: RSA keys imported from their numbers (the
 * fast path), anything else through OpenSSL's decoders. */
#include "keystore_internal.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

/* ---- private keys ------------------------------------------------------ */

/* The eight numbers of a two-prime RSAPrivateKey (RFC 8017 A.1.2), in order,
 * as OpenSSL's RSA key manager names them. */
static const char *const rsa_params[8] = {
    OSSL_PKEY_PARAM_RSA_N,        OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,  OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

static void free_integers(STACK_OF(ASN1_TYPE) *seq)
{
    int i;
    for (i = 0; i < sk_ASN1_TYPE_num(seq); i++) {
        ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);
        if (t->type == V_ASN1_INTEGER)
            OPENSSL_cleanse(t->value.integer->data, (size_t)t->value.integer->length);
    }
    sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
}

/* The numbers of a two-prime RSAPrivateKey, or 0 (then the general decoder
 * decides). Like the decoder, no check that they make a key: a wrong one
 * fails the decryptions it is used for. */
static int rsa_numbers(const unsigned char *der, int len, BIGNUM *bn[8])
{
    const unsigned char *p = der;
    STACK_OF(ASN1_TYPE) *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len);
    int i, ok = seq && p == der + len && sk_ASN1_TYPE_num(seq) == 9;

    for (i = 0; ok && i < 9; i++)
        ok = sk_ASN1_TYPE_value(seq, i)->type == V_ASN1_INTEGER;
    if (ok)
        ok = ASN1_INTEGER_get(sk_ASN1_TYPE_value(seq, 0)->value.integer) == 0; /* version */
    for (i = 0; ok && i < 8; i++) {
        bn[i] = i < 2 ? BN_new() : BN_secure_new();
        ok = bn[i] && ASN1_INTEGER_to_BN(sk_ASN1_TYPE_value(seq, i + 1)->value.integer, bn[i]);
    }
    free_integers(seq);
    return ok;
}

/* OpenSSL 3.0's EVP_PKCS82PKEY() goes through the decoder framework, which
 * looks through every decoder on each call: about 1.5 ms, a tenth of a
 * whole start-up. An RSA key, what WSO2 keystores hold, is imported from
 * its numbers instead; anything else takes the general path. */
static EVP_PKEY *rsa_from_p8(const PKCS8_PRIV_KEY_INFO *p8)
{
    const ASN1_OBJECT *alg;
    const unsigned char *der;
    int len, i;
    BIGNUM *bn[8] = {NULL};
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;

    if (!PKCS8_pkey_get0(&alg, &der, &len, NULL, p8) || OBJ_obj2nid(alg) != NID_rsaEncryption ||
        !rsa_numbers(der, len, bn) || !(bld = OSSL_PARAM_BLD_new()))
        goto done;
    for (i = 0; i < 8; i++)
        if (!OSSL_PARAM_BLD_push_BN(bld, rsa_params[i], bn[i]))
            goto done;
    if ((params = OSSL_PARAM_BLD_to_param(bld)) && (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) &&
        EVP_PKEY_fromdata_init(ctx) > 0 && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
        pkey = NULL;
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* the private numbers were in its secure part: cleared */
    OSSL_PARAM_BLD_free(bld);
    for (i = 0; i < 8; i++)
        BN_clear_free(bn[i]);
    return pkey;
}

EVP_PKEY *ks_pkey_from_p8(const PKCS8_PRIV_KEY_INFO *p8)
{
    EVP_PKEY *pkey = rsa_from_p8(p8);
    if (pkey)
        return pkey;
    ERR_clear_error();
    return EVP_PKCS82PKEY(p8);
}
