/* SPDX-License-Identifier: Apache-2.0 */
/* Keys held in a device (PKCS#11 token, TPM): the device's key attached to
 * its EVP_PKEY, the private-key operation sent to the device, and the
 * certificates of a separate file attached to the key entry. */
#include "keystore_internal.h"
#include "keystore_pkcs11.h"
#include "keystore_tpm.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509v3.h>
#include <string.h>

/* ---- keys held in a device ----------------------------------------------- */

static int device_index = -1;
static pthread_once_t device_index_once = PTHREAD_ONCE_INIT;

static void make_device_index(void)
{
    device_index = EVP_PKEY_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

int ks_device_key_attach(EVP_PKEY *pkey, ks_device_key *key)
{
    pthread_once(&device_index_once, make_device_index);
    if (device_index < 0 || !EVP_PKEY_set_ex_data(pkey, device_index, key))
        return vault__oom();
    return 0;
}

int ks_device_decrypt(EVP_PKEY *pkey, int raw, const EVP_MD *md, const EVP_MD *mgf1,
                      const unsigned char *label, size_t label_len, const unsigned char *in,
                      size_t in_len, unsigned char *out, size_t *out_len)
{
    ks_device_key *key;
    size_t n = *out_len;
    int ok;

    pthread_once(&device_index_once, make_device_index);
    key = device_index >= 0 ? EVP_PKEY_get_ex_data(pkey, device_index) : NULL;
    if (!key)
        return KS_NOT_DEVICE;
    if (in_len != key->k || n < key->k)
        return 0;
    ok = key->decrypt(key, raw, md, mgf1, label, label_len, in, in_len, out, &n);
    if (ok != 1)
        return ok;
    if (n > key->k)
        return 0;
    if (raw && n < key->k) { /* some devices drop the leading zeros of the block */
        memmove(out + (key->k - n), out, n);
        memset(out, 0, key->k - n);
        n = key->k;
    }
    *out_len = n;
    return 1;
}

EVP_PKEY *ks_rsa_public(const unsigned char *n, size_t n_len, const unsigned char *e, size_t e_len)
{
    BIGNUM *bn = BN_bin2bn(n, (int)n_len, NULL), *be = BN_bin2bn(e, (int)e_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;

    if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) &&
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) && EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pkey;
}

/* The certificates of a PEM or DER file, leaf first, as a keystore of its own. */
int ks_device_add_cert_file(vault_keystore *ks, const char *cert_file)
{
    vault_keystore_options o = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_keystore *certs = NULL;
    ks_entry *target = NULL, *from = NULL;
    size_t i, j;
    int rc;

    if (ks_is_pkcs11_uri(cert_file) || ks_is_tpm_uri(cert_file))
        return vault__err(VAULT_EINVAL, "%s: the certificate of a key is a file, not %s", ks->path,
                         cert_file);
    if ((rc = vault_keystore_open(&certs, cert_file, &o)) != 0)
        return rc;
    if (certs->type != VAULT_KEYSTORE_PEM && certs->type != VAULT_KEYSTORE_CERT) {
        rc = vault__err(VAULT_EFORMAT, "%s: %s is not a certificate file (PEM or DER)", ks->path,
                       cert_file);
        goto done;
    }
    for (i = 0; !target && i < certs->count; i++) {
        ks_entry *c = certs->entries[i];
        X509 *leaf = sk_X509_value(c->chain, 0);
        for (j = 0; leaf && !target && j < ks->count; j++) {
            ks_entry *e = ks->entries[j];
            if (e->pkey && EVP_PKEY_eq(X509_get0_pubkey(leaf), e->pkey) == 1) {
                target = e;
                from = c;
            }
        }
    }
    ERR_clear_error();
    if (!target) {
        rc = vault__err(VAULT_EKEY, "%s: the certificate in %s is not for a key of this keystore",
                       ks->path, cert_file);
        goto done;
    }
    if (target->info.chain_length > 0)
        goto done; /* the device holds it already */
    for (i = 0; rc == 0 && i < (size_t)sk_X509_num(from->chain); i++) {
        X509 *x = sk_X509_value(from->chain, (int)i);
        if (!X509_up_ref(x)) {
            rc = vault__oom();
            break;
        }
        rc = ks_entry_add_cert(ks, target, x);
    }
done:
    vault_keystore_free(certs);
    return rc;
}
