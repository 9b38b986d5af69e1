/* SPDX-License-Identifier: Apache-2.0 */
/* What the PKCS#12 files share: the reader's context, the work limits of
 * the file's key derivations, the password's legacy form, the MAC. */
#ifndef VAULT_KEYSTORE_PKCS12_H
#define VAULT_KEYSTORE_PKCS12_H

#include "keystore_internal.h"

#include <openssl/asn1.h>
#include <openssl/pkcs12.h>
#include <stdint.h>

/* Java's own ceiling (PKCS12KeyStore's MAX_ITERATION_COUNT), for the MAC
 * and for every PBE and PBKDF2 count, and for scrypt's N*r*p: the work
 * comes from the file and is spent before any password is checked. */
#define PKCS12_MAX_ITERATIONS 5000000

typedef struct p12_cert {
    X509 *x509;
    const PKCS12_SAFEBAG *bag;
    int used; /* part of a key entry's chain */
} p12_cert;

typedef struct p12_ctx {
    vault_keystore *ks;
    const char *pass; /* NULL or the store password, as OpenSSL wants it */
    int passlen;
    char *alt; /* the password in OpenSSL 1.0.2's form, when that opened the file */
    size_t altlen;
    STACK_OF(PKCS12_SAFEBAG) *owned; /* bags as unpacked, freed at the end */
    STACK_OF(PKCS12_SAFEBAG) *flat;  /* every bag but safeContentsBags, borrowed */
    p12_cert *certs;
    size_t ncerts, nkeys;
    unsigned long next_alias;
} p12_ctx;

/* Whether the queued OpenSSL errors say an algorithm is missing (as
 * opposed to a wrong password). Clears the queue. */
int p12_ssl_unsupported(void);

/* A count from the file; UINT64_MAX when it does not fit, 0 when negative. */
uint64_t p12_count_of(const ASN1_INTEGER *n);

/* VAULT_EFORMAT when work is above PKCS12_MAX_ITERATIONS; the file and
 * alias (each may be NULL), what ("the MAC", "the key's") and kind name
 * the count in the message. */
int p12_check_work(const char *path, const char *alias, const char *what, const char *kind, uint64_t work);

/* The parameters of a PBE algorithm checked before OpenSSL derives a key
 * from them (keystore_pkcs12_pbe.c). */
int p12_check_pbe(const char *path, const char *alias, const char *what, const X509_ALGOR *alg);

/* The password in OpenSSL 1.0.2's form, or NULL (keystore_pkcs12_pbe.c). */
char *p12_legacy_bmp_form(const char *pass, size_t n, size_t *len);

/* Check the file's MAC (HMAC or RFC 9579 PBMAC1) with c's password,
 * settling c->pass on the form that matches (keystore_pkcs12_mac.c). */
int p12_verify_mac(p12_ctx *c, PKCS12 *p12, const unsigned char *der, size_t len);

#endif
