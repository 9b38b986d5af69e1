/* SPDX-License-Identifier: Apache-2.0 */
/* The keystore model shared by the format readers (keystore_*.c). */
#ifndef VAULT_KEYSTORE_INTERNAL_H
#define VAULT_KEYSTORE_INTERNAL_H

#include "internal.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>

/* Upper bound for any keystore file we read, and for any length field in
 * one: a length field is checked against the bytes left before anything is
 * allocated. */
#define KS_MAX_FILE (64u * 1024u * 1024u)

typedef struct ks_entry ks_entry;
typedef struct vault_keystore vault_keystore;

/* Decrypts e->sealed with password into e->pkey (private key entries) or
 * e->secret (secret key entries). Returns 0, VAULT_EAUTH for a wrong
 * password (without naming it: the caller adds file and alias), or
 * VAULT_EFORMAT. */
typedef int (*ks_unlock_fn)(ks_entry *e, const vault_secret *password);

struct ks_entry {
    vault_keystore_entry info; /* public view; strings point into this entry */
    char *alias;
    char *subject, *issuer, *serial;
    STACK_OF(X509) *chain;     /* leaf first; owned */
    unsigned char **der;       /* DER of each chain certificate, for cert_der() */
    size_t *der_len;
    size_t der_cap;            /* room in der and der_len */
    EVP_PKEY *pkey;            /* private key once unlocked */
    vault_secret *secret;      /* secret-key bytes once unlocked */
    char *secret_algorithm;    /* e.g. "AES" for secret keys */
    unsigned char *sealed;     /* protected key material awaiting a password */
    size_t sealed_len;
    ks_unlock_fn unlock;       /* NULL when nothing is protected */
    int unlocked;
};

struct vault_keystore {
    char *path;
    vault_keystore_type type;
    ks_entry **entries;
    size_t count, cap;
    vault_password_cb password_cb;
    void *payload;
    vault_secret *store_password; /* used for keys when no key password is given */
    STACK_OF(X509_CRL) *crls;     /* CRLs of a truststore: its PEM files, .crl files, --crl */
    pthread_mutex_t lock;
    void *device;                 /* a token holding the keys, or NULL */
    void (*device_close)(void *device);
};

/* Add an entry with a new alias; a duplicate alias (case-insensitive) is a
 * VAULT_EFORMAT error naming it. *out is owned by the keystore. */
int ks_add_entry(vault_keystore *ks, const char *alias, size_t alias_len, vault_entry_kind kind,
                 ks_entry **out);

/* Append a certificate (DER) to an entry's chain. */
int ks_entry_add_cert_der(vault_keystore *ks, ks_entry *e, const unsigned char *der, size_t len);

/* Append a parsed certificate (ownership taken, also on failure). */
int ks_entry_add_cert(vault_keystore *ks, ks_entry *e, X509 *cert);

/* Whether the entry's chain holds this certificate. */
int ks_entry_has_cert(const ks_entry *e, const X509 *x);

/* Whether issuer issued subject: its subject name is subject's issuer name
 * and its key verifies subject's signature. This is how keytool links a
 * chain; keyUsage and CA flags are judged where trust is decided
 * (vault_keystore_verify), not here, so a listing shows every chain. */
int ks_cert_issued_by(X509 *issuer, X509 *subject);

/* Hand over protected key material (copied) and the function that opens it. */
int ks_entry_set_sealed(ks_entry *e, const unsigned char *data, size_t len, ks_unlock_fn unlock);

/* Take a CRL into ks->crls (ownership taken, also on failure). */
int ks_add_crl(vault_keystore *ks, X509_CRL *crl);

/* Format readers. Each fills ks from data; store_password may be NULL for
 * formats that have none. Errors name ks->path. */
int ks_read_jks(vault_keystore *ks, const unsigned char *data, size_t len,
                const vault_secret *store_password);
int ks_read_pkcs12(vault_keystore *ks, const unsigned char *data, size_t len,
                   const vault_secret *store_password);
int ks_read_pem(vault_keystore *ks, const unsigned char *data, size_t len);
int ks_read_cert(vault_keystore *ks, const unsigned char *data, size_t len);
int ks_read_dir(vault_keystore *ks);

/* Decrypt an EncryptedPrivateKeyInfo (PKCS#8, PBES1/PBES2) with password;
 * VAULT_EAUTH for a wrong password. (keystore_pkcs12.c) */
int ks_pkcs8_decrypt(const unsigned char *der, size_t len, const vault_secret *password,
                     PKCS8_PRIV_KEY_INFO **out);

/* PBKDF2-HMAC-SHA-256 of pass (NULL: empty) into out; 0 or -1 for
 * arguments out of range. (keystore_kdf.c) */
int ks_pbkdf2_sha256(const char *pass, size_t passlen, const unsigned char *salt, size_t saltlen,
                     unsigned long iter, unsigned char *out, size_t outlen);

/* The PKCS#12 key derivation (RFC 7292 appendix B.2) with md (NID_sha1,
 * NID_sha224, NID_sha256, NID_sha384 or NID_sha512) of pass, a BMPString
 * as the RFC wants it (passlen 0: no password), for purpose id (1 key,
 * 2 IV, 3 MAC key) into out; 0, or -1 for another digest or arguments out
 * of range. (keystore_kdf.c) */
int ks_pkcs12_kdf(int md_nid, const unsigned char *pass, size_t passlen, const unsigned char *salt,
                  size_t saltlen, int id, unsigned long iter, unsigned char *out, size_t outlen);

/* The HMAC of a PKCS#12 file's MAC as PKCS12_verify_mac() computes it:
 * pass (NULL: none; else passlen bytes, converted to a BMPString by
 * OpenSSL's own OPENSSL_utf82uni) derived with the MAC's digest, salt and
 * iteration count, then HMAC of data. out has room for EVP_MAX_MD_SIZE
 * bytes; *outlen is the digest size. 0, or -1 for a digest left to
 * OpenSSL (none of the five above) or a failure. (keystore_kdf.c) */
int ks_pkcs12_mac(int md_nid, const char *pass, int passlen, const unsigned char *salt, size_t saltlen,
                  unsigned long iter, const unsigned char *data, size_t len, unsigned char *out,
                  size_t *outlen);

/* Decrypt in with a PBES2 algorithm as PKCS12_pbe_crypt_ex() would, for the
 * common case only (PBKDF2 with hmacWithSHA256, AES-CBC): 1 decrypted (*out
 * from OPENSSL_malloc, freed with OPENSSL_clear_free), 0 the padding does not
 * check, -1 another algorithm or a failure. On anything but 1 the caller
 * asks OpenSSL, whose errors then speak; none is left queued here.
 * (keystore_kdf.c) */
int ks_pbes2_decrypt(const X509_ALGOR *alg, const char *pass, int passlen, const unsigned char *in,
                     int inlen, unsigned char **out, int *outlen);

/* The key of a decrypted PKCS#8 structure, or NULL (an OpenSSL error is
 * queued). Every reader turns its key into an EVP_PKEY here. */
EVP_PKEY *ks_pkey_from_p8(const PKCS8_PRIV_KEY_INFO *p8);

/* The unlock function of entries sealed as encrypted PKCS#8. */
int ks_unlock_pkcs8(ks_entry *e, const vault_secret *password);

/* Sniff the container type from the first bytes; VAULT_KEYSTORE_AUTO when
 * unknown. Sets *unsupported to a format name (e.g. "BKS") for formats
 * recognised but not supported. */
vault_keystore_type ks_sniff(const unsigned char *data, size_t len, const char **unsupported);

/* The entry for alias (see vault_keystore_find), non-const. */
int ks_find(const vault_keystore *ks, const char *alias, ks_entry **out);

/* Unlock the entry (ask for the key password on first use). Thread-safe. */
int ks_unlock(vault_keystore *ks, ks_entry *e);

/* The private key of an entry, unlocked; borrowed from the keystore. */
int ks_private_key(vault_keystore *ks, const char *alias, EVP_PKEY **pkey, ks_entry **entry);

/* The key of a public-key entry, else the private key as ks_private_key()
 * gives it (whose public half the caller may use); borrowed. */
int ks_public_key(vault_keystore *ks, const char *alias, EVP_PKEY **pkey);

/* A key held in a device (a PKCS#11 token, a TPM): the entry's EVP_PKEY
 * is its public key, tied to one of these (ks_device_key_attach), and its
 * private-key operation runs in the device. decrypt: raw (no padding, the
 * k-byte block) or else md NULL for PKCS#1 v1.5, or OAEP with md, mgf1 and
 * label; returns as ks_device_decrypt. The device owns the struct; it
 * outlives the EVP_PKEY (both go when the keystore is freed). */
typedef struct ks_device_key ks_device_key;
struct ks_device_key {
    int (*decrypt)(ks_device_key *key, int raw, const EVP_MD *md, const EVP_MD *mgf1,
                   const unsigned char *label, size_t label_len, const unsigned char *in,
                   size_t in_len, unsigned char *out, size_t *out_len);
    size_t k; /* modulus bytes */
};

/* Tie pkey (a public key) to a device key; 0 or VAULT_ENOMEM. */
int ks_device_key_attach(EVP_PKEY *pkey, ks_device_key *key);

/* A private-key decryption by a key held in a device (see ks_device_key).
 * Returns KS_NOT_DEVICE for a key held in memory (use EVP),
 * KS_DEVICE_UNSUPPORTED when the device lacks that padding, 0 when the
 * decryption failed, 1 with *out_len bytes in out (a raw block is always
 * k bytes, leading zeros kept). */
#define KS_NOT_DEVICE (-2)
#define KS_DEVICE_UNSUPPORTED (-1)
int ks_device_decrypt(EVP_PKEY *key, int raw, const EVP_MD *md, const EVP_MD *mgf1,
                      const unsigned char *label, size_t label_len, const unsigned char *in,
                      size_t in_len, unsigned char *out, size_t *out_len);

/* A public RSA key (default library context) from big-endian n and e. */
EVP_PKEY *ks_rsa_public(const unsigned char *n, size_t n_len, const unsigned char *e, size_t e_len);

/* Give the entries of a device keystore that have no certificate the one
 * in cert_file (PEM or DER): the entry whose key it is. VAULT_EKEY when it
 * is for none of them. (keystore_device.c) */
int ks_device_add_cert_file(vault_keystore *ks, const char *cert_file);

#endif
