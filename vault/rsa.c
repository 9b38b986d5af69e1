/* RSA encryption and decryption with the paddings the formats use. */
#include "token.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

static atomic_ulong private_key_ops;

unsigned long vault_test_private_key_ops(void)
{
    return atomic_load(&private_key_ops);
}

static int is_rsa(EVP_PKEY *key)
{
    return EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS");
}

size_t rsa_max_plaintext(EVP_PKEY *key, rsa_padding pad)
{
    size_t k = (size_t)EVP_PKEY_get_size(key);
    size_t over = pad == RSA_PAD_PKCS1 ? 11 : pad == RSA_PAD_OAEP_SHA1 ? 2 * 20 + 2 : 2 * 32 + 2;
    return k > over ? k - over : 0;
}

static int set_padding(EVP_PKEY_CTX *ctx, rsa_padding pad, const unsigned char *label,
                       size_t label_len)
{
    const EVP_MD *md = NULL, *mgf1 = NULL;
    unsigned char *copy;

    if (pad == RSA_PAD_PKCS1)
        return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0;
    switch (pad) {
    case RSA_PAD_OAEP_SHA1: md = EVP_sha1(); mgf1 = EVP_sha1(); break;
    case RSA_PAD_OAEP_SHA256_MGF1SHA1: md = EVP_sha256(); mgf1 = EVP_sha1(); break;
    case RSA_PAD_OAEP_SHA256: md = EVP_sha256(); mgf1 = EVP_sha256(); break;
    default: return 0;
    }
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf1) <= 0)
        return 0;
    if (label && label_len) {
        /* OpenSSL takes ownership of the label buffer. */
        copy = OPENSSL_memdup(label, label_len);
        if (!copy || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, copy, (int)label_len) <= 0) {
            OPENSSL_free(copy);
            return 0;
        }
    }
    return 1;
}

int rsa_encrypt(EVP_PKEY *key, rsa_padding pad, const unsigned char *label, size_t label_len,
                const unsigned char *in, size_t in_len, unsigned char **out, size_t *out_len)
{
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *buf = NULL;
    size_t n, max;
    int rc = 0;

    *out = NULL;
    if (!is_rsa(key))
        return vault_err(VAULT_EFORMAT, "the recipient key is %s, not RSA",
                         EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
    max = rsa_max_plaintext(key, pad);
    if (in_len > max)
        return vault_err(VAULT_EINVAL, "value of %zu bytes is too long for one %d-bit RSA block "
                         "(at most %zu bytes with this padding); use the native format, which has "
                         "no length limit", in_len, EVP_PKEY_get_bits(key), max);
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 || !set_padding(ctx, pad, label, label_len) ||
        EVP_PKEY_encrypt(ctx, NULL, &n, in, in_len) <= 0) {
        rc = vault_err_ssl(VAULT_ERROR, "RSA encryption failed");
        goto done;
    }
    buf = vault_malloc(n);
    if (!buf) {
        rc = vault_err(VAULT_ENOMEM, "out of memory");
        goto done;
    }
    if (EVP_PKEY_encrypt(ctx, buf, &n, in, in_len) <= 0) {
        rc = vault_err_ssl(VAULT_ERROR, "RSA encryption failed");
        goto done;
    }
    *out = buf;
    *out_len = n;
    buf = NULL;
done:
    vault_free_ptr(buf);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

int rsa_decrypt(EVP_PKEY *key, rsa_padding pad, const unsigned char *label, size_t label_len,
                const unsigned char *in, size_t in_len, vault_secret **out)
{
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *buf = NULL;
    size_t k, n = 0;
    int ok, rc;

    *out = NULL;
    if (!is_rsa(key))
        return vault_err(VAULT_EKEY, "the key is %s, not RSA",
                         EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
    k = (size_t)EVP_PKEY_get_size(key);
    buf = sodium_malloc(k);
    if (!buf)
        return vault_err(VAULT_ENOMEM, "out of memory");
    atomic_fetch_add(&private_key_ops, 1);
    n = k;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    ok = ctx && EVP_PKEY_decrypt_init(ctx) > 0 && set_padding(ctx, pad, label, label_len) &&
         in_len == k && EVP_PKEY_decrypt(ctx, buf, &n, in, in_len) > 0;
    ERR_clear_error();
    /* One error whatever failed: padding, length or key. */
    rc = ok ? vault_secret_new(out, buf, n)
            : vault_err(VAULT_EAUTH, "decryption failed (wrong key, or a damaged or tampered value)");
    EVP_PKEY_CTX_free(ctx);
    sodium_free(buf);
    return rc;
}
