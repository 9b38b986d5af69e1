/* SPDX-License-Identifier: Apache-2.0 */
/* The PBES2 fast path of the PKCS#12 reader: PBKDF2-HMAC-SHA-256 checked
 * against RFC 7914's vectors and OpenSSL's PKCS5_PBKDF2_HMAC, decryption
 * against what OpenSSL's PKCS8_encrypt_ex wrote, and the cases it must
 * leave to OpenSSL. */
#include "keystore_internal.h"

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

/* ---- the PKCS#12 key derivation (RFC 7292 appendix B) and the MAC ---- */

static void unhex(unsigned char *out, const char *h)
{
    for (size_t i = 0; h[2 * i]; i++) {
        unsigned int b = 0;
        cr_assert_eq(sscanf(h + 2 * i, "%2x", &b), 1);
        out[i] = (unsigned char)b;
    }
}

/* The published SHA-1 vectors of the PKCS#12 key derivation (Dr Stephen
 * Henson's test set, used by OpenSSL, Bouncy Castle and others): keys,
 * IVs and MAC keys, one and several output blocks, 1 and 1,000 rounds. */
Test(keystore_kdf, pkcs12_known_vectors)
{
    static const struct {
        const char *pw, *salt, *out;
        int id;
        unsigned long iter;
    } v[] = {
        {"smeg", "0a58cf64530d823f", "8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3", 1, 1},
        {"smeg", "0a58cf64530d823f", "79993dfe048d3b76", 2, 1},
        {"smeg", "642b99ab44fb4b1f", "f3a95fec48d7711e985cfe67908c5ab79fa3d7c5caa5d966", 1, 1},
        {"smeg", "642b99ab44fb4b1f", "c0a38d64a79bea1d", 2, 1},
        {"smeg", "3d83c0e4546ac140", "8d967d88f6caa9d714800ab3d48051d63f73a312", 3, 1},
        {"queeg", "05dec959acff72f7", "ed2034e36328830ff09df1e1a07dd357185dac0d4f9eb3d4", 1, 1000},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned char bmp[32] = {0}, salt[8], out[24];
        char h[49];
        size_t n = strlen(v[i].pw), olen = strlen(v[i].out) / 2;

        for (size_t j = 0; j < n; j++)
            bmp[2 * j + 1] = (unsigned char)v[i].pw[j]; /* UTF-16BE, two zero bytes after */
        unhex(salt, v[i].salt);
        cr_assert_eq(ks_pkcs12_kdf(NID_sha1, bmp, 2 * n + 2, salt, 8, v[i].id, v[i].iter, out, olen), 0);
        hex(h, out, olen);
        cr_assert_str_eq(h, v[i].out, "vector %zu", i);
    }
}

/* Every digest a MAC may name, against OpenSSL's PKCS12_key_gen_uni:
 * passwords of zero to several blocks, salts of every small length, the
 * three purposes, outputs of one and of several digest sizes (where the
 * RFC's I_j + B + 1 step runs), one and many rounds. */
Test(keystore_kdf, pkcs12_kdf_agrees_with_openssl)
{
    static const int mds[] = {NID_sha1, NID_sha224, NID_sha256, NID_sha384, NID_sha512};
    static const size_t pwlens[] = {0, 2, 10, 64, 130, 300};
    static const size_t outlens[] = {1, 20, 32, 65, 129};
    unsigned char pw[300], salt[140], mine[129], theirs[129];

    cr_assert_eq(RAND_bytes(pw, sizeof pw), 1);
    cr_assert_eq(RAND_bytes(salt, sizeof salt), 1);
    for (size_t m = 0; m < sizeof mds / sizeof mds[0]; m++)
        for (size_t p = 0; p < sizeof pwlens / sizeof pwlens[0]; p++)
            for (size_t s = 0; s <= sizeof salt; s += 35)
                for (size_t o = 0; o < sizeof outlens / sizeof outlens[0]; o++) {
                    int id = 1 + (int)((p + s + o) % 3);
                    unsigned long iter = 1 + (unsigned long)((m * 5 + p * 3 + o) % 7) * 300;
                    size_t n = outlens[o];
                    if (pwlens[p] == 0 && s == 0)
                        continue; /* OpenSSL fails to allocate an empty I */
                    cr_assert_eq(ks_pkcs12_kdf(mds[m], pw, pwlens[p], salt, s, id, iter, mine, n), 0);
                    cr_assert_eq(PKCS12_key_gen_uni(pw, (int)pwlens[p], salt, (int)s, id, (int)iter, (int)n,
                                                    theirs, EVP_get_digestbynid(mds[m])),
                                 1);
                    cr_assert(memcmp(mine, theirs, n) == 0, "%s, password %zu, salt %zu, id %d, %lu "
                              "rounds, out %zu", OBJ_nid2sn(mds[m]), pwlens[p], s, id, iter, n);
                }
    cr_assert_eq(ks_pkcs12_kdf(NID_md5, pw, 2, salt, 8, 3, 1, mine, 16), -1, "MD5 is left to OpenSSL");
    cr_assert_eq(ks_pkcs12_kdf(NID_sha256, pw, 2, salt, 8, 3, 0, mine, 32), -1, "zero rounds");
    cr_assert_eq(ks_pkcs12_kdf(NID_sha256, pw, 2, salt, 8, 3, 1, mine, 0), -1, "no output");
}

/* The MAC as PKCS12_verify_mac() computes it: the password through
 * OPENSSL_utf82uni (UTF-8, bytes that are not UTF-8, no password at all),
 * the derivation with PKCS12_key_gen_utf8_ex, then HMAC. */
Test(keystore_kdf, pkcs12_mac_agrees_with_openssl)
{
    static const int mds[] = {NID_sha1, NID_sha224, NID_sha256, NID_sha384, NID_sha512};
    static const struct { const char *pw; int len; } pws[] = {
        {NULL, 0}, {"", 0}, {"changeit", 8}, {"p\xc3\xa4ssw\xc3\xb6rd \xf0\x9f\x94\x91", 15},
        {"latin-1 \xe4\xf6", 10}, {"a password longer than one block of any of the digests, "
                                  "SHA-512 included: 128 bytes and a few more......", 106},
    };
    unsigned char salt[20], data[3000], key[EVP_MAX_MD_SIZE], mine[EVP_MAX_MD_SIZE], theirs[EVP_MAX_MD_SIZE];
    unsigned int tlen = 0;
    size_t mlen = 0;

    cr_assert_eq(RAND_bytes(salt, sizeof salt), 1);
    cr_assert_eq(RAND_bytes(data, sizeof data), 1);
    for (size_t m = 0; m < sizeof mds / sizeof mds[0]; m++)
        for (size_t p = 0; p < sizeof pws / sizeof pws[0]; p++) {
            const EVP_MD *md = EVP_get_digestbynid(mds[m]);
            int size = EVP_MD_get_size(md);
            unsigned long iter = 1 + (unsigned long)p * 999;
            size_t dlen = p * 500;

            cr_assert_eq(ks_pkcs12_mac(mds[m], pws[p].pw, pws[p].len, salt, sizeof salt, iter, data, dlen,
                                       mine, &mlen), 0);
            cr_assert_eq(PKCS12_key_gen_utf8_ex(pws[p].pw, pws[p].len, salt, sizeof salt, PKCS12_MAC_ID,
                                                (int)iter, size, key, md, NULL, NULL), 1);
            cr_assert_not_null(HMAC(md, key, size, data, dlen, theirs, &tlen));
            cr_assert_eq(mlen, (size_t)tlen);
            cr_assert(memcmp(mine, theirs, mlen) == 0, "%s, password %zu", OBJ_nid2sn(mds[m]), p);
        }
    cr_assert_eq(ks_pkcs12_mac(NID_md5, "pw", 2, salt, 8, 1, data, 10, mine, &mlen), -1);
    cr_assert_eq(mlen, 0u);
}
