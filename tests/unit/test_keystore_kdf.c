/* SPDX-License-Identifier: Apache-2.0 */
/* The PBES2 fast path of the PKCS#12 reader: PBKDF2-HMAC-SHA-256 checked
 * against RFC 7914's vectors and OpenSSL's PKCS5_PBKDF2_HMAC, decryption
 * against what OpenSSL's PKCS8_encrypt_ex wrote, and the cases it must
 * leave to OpenSSL. */
#include "keystore_internal.h"

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

static void hex(char *out, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* RFC 7914 section 11 (PBKDF2-HMAC-SHA256 test vectors). */
Test(keystore_kdf, rfc7914_vectors)
{
    unsigned char dk[64];
    char h[129];

    cr_assert_eq(ks_pbkdf2_sha256("passwd", 6, (const unsigned char *)"salt", 4, 1, dk, 64), 0);
    hex(h, dk, 64);
    cr_assert_str_eq(h, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                        "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    cr_assert_eq(ks_pbkdf2_sha256("Password", 8, (const unsigned char *)"NaCl", 4, 80000, dk, 64), 0);
    hex(h, dk, 64);
    cr_assert_str_eq(h, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                        "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

/* Passwords shorter and longer than a block (hashed first), empty and
 * NULL, salts of every small length, outputs of one and several blocks. */
Test(keystore_kdf, agrees_with_openssl)
{
    unsigned char pw[150], salt[40], mine[80], theirs[80];
    static const size_t pwlens[] = {0, 1, 10, 63, 64, 65, 150};
    static const size_t outlens[] = {1, 16, 32, 33, 80};

    cr_assert_eq(RAND_bytes(pw, sizeof pw), 1);
    cr_assert_eq(RAND_bytes(salt, sizeof salt), 1);
    for (size_t i = 0; i < sizeof pwlens / sizeof pwlens[0]; i++)
        for (size_t s = 0; s <= sizeof salt; s += 13)
            for (size_t o = 0; o < sizeof outlens / sizeof outlens[0]; o++) {
                unsigned long iter = 1 + (unsigned long)(i * 7 + s + o);
                size_t n = outlens[o];
                cr_assert_eq(ks_pbkdf2_sha256((const char *)pw, pwlens[i], salt, s, iter, mine, n), 0);
                cr_assert_eq(PKCS5_PBKDF2_HMAC((const char *)pw, (int)pwlens[i], salt, (int)s, (int)iter,
                                               EVP_sha256(), (int)n, theirs), 1);
                cr_assert(memcmp(mine, theirs, n) == 0, "password %zu, salt %zu, iterations %lu, out %zu",
                          pwlens[i], s, iter, n);
            }
    cr_assert_eq(ks_pbkdf2_sha256(NULL, 0, salt, 8, 5, mine, 32), 0);
    cr_assert_eq(PKCS5_PBKDF2_HMAC("", 0, salt, 8, 5, EVP_sha256(), 32, theirs), 1);
    cr_assert(memcmp(mine, theirs, 32) == 0);
    cr_assert_eq(ks_pbkdf2_sha256("x", 1, salt, 8, 0, mine, 32), -1, "zero iterations");
    cr_assert_eq(ks_pbkdf2_sha256("x", 1, salt, 8, 1, mine, 0), -1, "no output");
}

/* An EncryptedPrivateKeyInfo made by OpenSSL: its algorithm and data. */
static X509_SIG *encrypt_p8(const PKCS8_PRIV_KEY_INFO *p8, int cipher_nid, int prf_nid, const char *pw,
                            int iter)
{
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, OBJ_nid2sn(cipher_nid), NULL);
    X509_ALGOR *alg;
    X509_SIG *sig;

    cr_assert(cipher);
    alg = PKCS5_pbe2_set_iv_ex(cipher, iter, NULL, 0, NULL, prf_nid, NULL);
    cr_assert(alg);
    sig = PKCS8_set0_pbe_ex(pw, (int)strlen(pw), (PKCS8_PRIV_KEY_INFO *)p8, alg, NULL, NULL);
    cr_assert(sig);
    EVP_CIPHER_free(cipher);
    return sig;
}

static PKCS8_PRIV_KEY_INFO *fresh_key(unsigned char **der, int *len)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    PKCS8_PRIV_KEY_INFO *p8;

    cr_assert(pk);
    p8 = EVP_PKEY2PKCS8(pk);
    cr_assert(p8);
    *der = NULL;
    *len = i2d_PKCS8_PRIV_KEY_INFO(p8, der);
    cr_assert_gt(*len, 0);
    EVP_PKEY_free(pk);
    return p8;
}

Test(keystore_kdf, decrypts_what_openssl_encrypted)
{
    static const int ciphers[] = {NID_aes_128_cbc, NID_aes_192_cbc, NID_aes_256_cbc};
    unsigned char *der = NULL, *out = NULL;
    int len = 0, outlen = 0;
    PKCS8_PRIV_KEY_INFO *p8 = fresh_key(&der, &len);

    for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++) {
        X509_SIG *sig = encrypt_p8(p8, ciphers[i], NID_hmacWithSHA256, "pässword", 2048);
        const X509_ALGOR *alg = NULL;
        const ASN1_OCTET_STRING *data = NULL;
        int rc;

        X509_SIG_get0(sig, &alg, &data);
        cr_assert_eq(ks_pbes2_decrypt(alg, "pässword", (int)strlen("pässword"), data->data, data->length,
                                      &out, &outlen), 1, "%s", OBJ_nid2sn(ciphers[i]));
        cr_assert_eq(outlen, len);
        cr_assert(memcmp(out, der, (size_t)len) == 0);
        OPENSSL_clear_free(out, (size_t)outlen);
        /* A wrong password: bad padding, or (rarely) other bytes. */
        rc = ks_pbes2_decrypt(alg, "password", 8, data->data, data->length, &out, &outlen);
        cr_assert(rc == 0 || (rc == 1 && (outlen != len || memcmp(out, der, (size_t)len) != 0)));
        if (rc == 1)
            OPENSSL_clear_free(out, (size_t)outlen);
        else
            cr_assert_null(out);
        X509_SIG_free(sig);
    }
    PKCS8_PRIV_KEY_INFO_free(p8);
    OPENSSL_free(der);
}

/* Other PRFs and ciphers, and PBES1, are OpenSSL's to decrypt: -1. */
Test(keystore_kdf, leaves_other_algorithms_to_openssl)
{
    unsigned char *der = NULL, *out = NULL;
    int len = 0, outlen = 0;
    PKCS8_PRIV_KEY_INFO *p8 = fresh_key(&der, &len);
    const struct { int cipher, prf; } cases[] = {
        {NID_aes_256_cbc, NID_hmacWithSHA1},
        {NID_aes_256_cbc, NID_hmacWithSHA512},
        {NID_des_ede3_cbc, NID_hmacWithSHA256},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        X509_SIG *sig = encrypt_p8(p8, cases[i].cipher, cases[i].prf, "pw", 10);
        const X509_ALGOR *alg = NULL;
        const ASN1_OCTET_STRING *data = NULL;

        X509_SIG_get0(sig, &alg, &data);
        cr_assert_eq(ks_pbes2_decrypt(alg, "pw", 2, data->data, data->length, &out, &outlen), -1, "case %zu", i);
        cr_assert_null(out);
        X509_SIG_free(sig);
    }
    {
        X509_SIG *sig = PKCS8_encrypt_ex(NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NULL, "pw", 2, NULL, 0, 10, p8,
                                         NULL, NULL);
        const X509_ALGOR *alg = NULL;
        const ASN1_OCTET_STRING *data = NULL;

        cr_assert(sig);
        X509_SIG_get0(sig, &alg, &data);
        cr_assert_eq(ks_pbes2_decrypt(alg, "pw", 2, data->data, data->length, &out, &outlen), -1, "PBES1");
        X509_SIG_free(sig);
    }
    cr_assert_eq(ERR_peek_error(), 0, "no error left queued");
    PKCS8_PRIV_KEY_INFO_free(p8);
    OPENSSL_free(der);
}
