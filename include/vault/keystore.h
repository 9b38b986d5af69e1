/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libvault: keystores and truststores.
 *
 * Reads PKCS#12 (modern PBES2 and legacy RC2/3DES), JKS, JCEKS, PEM private
 * keys with their certificates, PEM bundles, directories of PEM certificates
 * and bare certificates (PEM or DER). The type is sniffed from the bytes
 * unless forced. Aliases match case-insensitively, as Java does.
 */
#ifndef VAULT_KEYSTORE_H
#define VAULT_KEYSTORE_H

#include "common.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An opened keystore, truststore, certificate file or PKCS#11 token. */
typedef struct vault_keystore vault_keystore;

/** Keystore container types. */
typedef enum vault_keystore_type {
    VAULT_KEYSTORE_AUTO = 0, /**< Sniff from the content. */
    VAULT_KEYSTORE_PKCS12,
    VAULT_KEYSTORE_JKS,
    VAULT_KEYSTORE_JCEKS,
    VAULT_KEYSTORE_PEM,      /**< PEM key and/or certificates (a bundle). */
    VAULT_KEYSTORE_CERT,     /**< One bare certificate, PEM or DER. */
    VAULT_KEYSTORE_DIR,      /**< A directory of PEM certificates. */
    VAULT_KEYSTORE_PKCS11,   /**< A PKCS#11 token named by an RFC 7512 URI
                                  (docs/HARDWARE.md); never sniffed. */
    VAULT_KEYSTORE_TPM2      /**< A TPM 2.0 key: a "tpm2:handle=0x81..." URI
                                  or a TSS2 PEM key file (docs/HARDWARE.md). */
} vault_keystore_type;

/** What an entry holds. */
typedef enum vault_entry_kind {
    VAULT_ENTRY_PRIVATE_KEY = 1, /**< Private key with its certificate chain. */
    VAULT_ENTRY_TRUSTED_CERT = 2, /**< A certificate only. */
    VAULT_ENTRY_SECRET_KEY = 3,  /**< A symmetric key (e.g. AES). */
    VAULT_ENTRY_PUBLIC_KEY = 4   /**< A public key without certificate (a PEM "PUBLIC KEY"). */
} vault_entry_kind;

/** The version of vault_keystore_options this header describes. */
#define VAULT_KEYSTORE_OPTIONS_VERSION 2

/** Options for vault_keystore_open(). */
typedef struct vault_keystore_options {
    unsigned int version;       /**< VAULT_KEYSTORE_OPTIONS_VERSION */
    vault_keystore_type type;   /**< VAULT_KEYSTORE_AUTO to sniff. */
    vault_password_cb password; /**< Asked for the store and key passwords;
                                     NULL for stores that need none (PEM,
                                     certificates). */
    void *payload;              /**< Passed to the callback. It must stay
                                     valid for the keystore's life: key
                                     passwords are asked for on first use. */
    const char *cert;           /**< A certificate file (PEM or DER) for a key
                                     held in a PKCS#11 token without one, or
                                     in a TPM; NULL: none. Only with such
                                     keys (else VAULT_EINVAL); VAULT_EKEY
                                     when it is for none of them (version 2). */
} vault_keystore_options;

/** Initializer of a vault_keystore_options: this version, every other field its default. */
#define VAULT_KEYSTORE_OPTIONS_INIT { VAULT_KEYSTORE_OPTIONS_VERSION, VAULT_KEYSTORE_AUTO, NULL, NULL, NULL }

/**
 * Open a keystore file (or a directory of PEM certificates, or a PKCS#11
 * token named by a "pkcs11:" URI, whose PIN is the store password, or a TPM
 * key named by a "tpm2:" URI or held in a TSS2 key file, whose auth value is
 * the store password). The store
 * password is asked for when the format has one, and the integrity of the
 * store is checked with it. Private keys are decrypted on first use, asking
 * for the key password then.
 *
 * @param out  receives the keystore; free it with vault_keystore_free().
 * @param path the file or directory.
 * @param opts options, or NULL for the defaults.
 * @return 0; VAULT_ENOTFOUND (no file), VAULT_EAUTH (wrong store password or
 *         tampered store), VAULT_EFORMAT (malformed, truncated or unsupported),
 *         VAULT_EIO, VAULT_ENOMEM. The message names the file.
 */
VAULT_EXTERN(int) vault_keystore_open(vault_keystore **out, const char *path,
                                      const vault_keystore_options *opts);

/**
 * Open a keystore from memory. name is used in messages (e.g. a file name).
 * @param out receives the keystore; free it with vault_keystore_free().
 * @param data the keystore's bytes.
 * @param len their number.
 * @param name the name used in messages (e.g. a file name).
 * @param opts the options, as for vault_keystore_open() (NULL: defaults).
 * @return as vault_keystore_open().
 */
VAULT_EXTERN(int) vault_keystore_open_memory(vault_keystore **out, const void *data, size_t len,
                                             const char *name, const vault_keystore_options *opts);

/**
 *  Free a keystore, wiping its keys. NULL-safe.
 * @param ks the keystore (may be NULL).
 */
VAULT_EXTERN(void) vault_keystore_free(vault_keystore *ks);

/**
 *  The detected (or forced) type.
 * @param ks the keystore.
 * @return the type.
 */
VAULT_EXTERN(vault_keystore_type) vault_keystore_get_type(const vault_keystore *ks);

/**
 *  Static name of a type: "PKCS12", "JKS", "JCEKS", "PEM", "CERT", "DIR", "PKCS11", "TPM2".
 * @param type the type.
 * @return the static name, "unknown" for another value.
 */
VAULT_EXTERN(const char *) vault_keystore_type_name(vault_keystore_type type);

/**
 * Parse a type name (case-insensitive): the names vault_keystore_type_name()
 * gives, "auto", and also "p12", "pfx", "der", "crt".
 * @param out  receives the type; unchanged on failure.
 * @param name the name.
 * @return 0; VAULT_EFORMAT for an unknown name (the message quotes it);
 *         VAULT_EINVAL when out or name is NULL.
 */
VAULT_EXTERN(int) vault_keystore_type_from_name(vault_keystore_type *out, const char *name);

/**
 *  The path or name the keystore was opened from.
 * @param ks the keystore.
 * @return the path or name, owned by ks.
 */
VAULT_EXTERN(const char *) vault_keystore_path(const vault_keystore *ks);

/**
 *  Number of entries.
 * @param ks the keystore.
 * @return the number; 0 for NULL.
 */
VAULT_EXTERN(size_t) vault_keystore_count(const vault_keystore *ks);

/** A description of one entry; every pointer is owned by the keystore. */
typedef struct vault_keystore_entry {
    const char *alias;           /**< As stored (JKS lower-cases aliases). */
    vault_entry_kind kind;       /**< Private key, trusted certificate or secret key. */
    const char *key_algorithm;   /**< "RSA", "EC", "Ed25519", "DSA", "AES", ... or NULL. */
    unsigned int key_bits;       /**< Key size in bits, 0 when unknown. */
    size_t chain_length;         /**< Certificates in the chain (0 for secret keys). */
    int has_certificate;         /**< Whether the fields below are set. */
    const char *subject;         /**< RFC 2253 subject of the first certificate. */
    const char *issuer;          /**< RFC 2253 issuer. */
    int64_t not_before;          /**< Validity, seconds since the epoch (UTC). */
    int64_t not_after;           /**< End of validity, seconds since the epoch (UTC). */
    const char *serial;          /**< Hex serial number. */
    unsigned char sha1[20];      /**< SHA-1 of the certificate's DER. */
    unsigned char sha256[32];    /**< SHA-256 of the certificate's DER. */
    int64_t created_ms;          /**< Creation date recorded by Java, 0 when none. */
} vault_keystore_entry;

/**
 * Describe entry i.
 * @param out receives the description, owned by ks.
 * @param ks  the keystore.
 * @param i   0 <= i < vault_keystore_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or ks is NULL.
 */
VAULT_EXTERN(int) vault_keystore_entry_at(const vault_keystore_entry **out, const vault_keystore *ks,
                                          size_t i);

/**
 * Find an entry by alias (case-insensitive). With alias NULL and exactly one
 * private-key (or else exactly one secret-key) entry, that entry is chosen;
 * with several, the error lists their aliases.
 * @param out receives the entry, owned by ks.
 * @param ks the keystore.
 * @param alias the alias, or NULL (see above).
 * @return 0, VAULT_ENOTFOUND (the message lists the aliases there are).
 */
VAULT_EXTERN(int) vault_keystore_find(const vault_keystore_entry **out, const vault_keystore *ks,
                                      const char *alias);

/**
 * The DER of certificate idx in the chain of an entry (0 = the entry's own).
 * The bytes are owned by the keystore.
 * @param der receives the DER, owned by ks.
 * @param len receives its length.
 * @param ks the keystore.
 * @param alias the entry (case-insensitive).
 * @param idx the certificate in the chain (0 = the entry's own).
 * @return 0, VAULT_ENOTFOUND.
 */
VAULT_EXTERN(int) vault_keystore_cert_der(const unsigned char **der, size_t *len, const vault_keystore *ks,
                                          const char *alias, size_t idx);

/**
 * Decrypt the private key of an entry (asking for the key password if not
 * done yet) and return its SubjectPublicKeyInfo DER, which the caller frees
 * with vault_string_free((char *)der). Proves the key password. For a
 * public-key entry, its key.
 * @param der receives the DER; free it with vault_string_free().
 * @param len receives its length.
 * @param ks the keystore.
 * @param alias the entry (NULL: the only key entry).
 * @return 0, VAULT_ENOTFOUND, VAULT_EAUTH (wrong key password), VAULT_EFORMAT.
 */
VAULT_EXTERN(int) vault_keystore_public_key_der(unsigned char **der, size_t *len,
                                                vault_keystore *ks, const char *alias);

/**
 * Copy the bytes of a secret-key entry into guarded memory.
 * @param out receives the key; free it with vault_secret_free().
 * @param ks the keystore.
 * @param alias the entry.
 * @return 0, VAULT_ENOTFOUND, VAULT_EAUTH, VAULT_EINVAL (not a secret key).
 */
VAULT_EXTERN(int) vault_keystore_secret_key(vault_secret **out, vault_keystore *ks,
                                            const char *alias);

/**
 * Add the CRLs of a file (PEM with one or more "X509 CRL" blocks, or one DER
 * CRL) to a truststore, for vault_keystore_verify(). CRLs in the
 * truststore's own PEM files and in the .crl files of a truststore
 * directory are taken when it is opened.
 * @param trust the truststore.
 * @param path the CRL file.
 * @return 0, VAULT_EIO, VAULT_EFORMAT (no CRL, malformed; the message names
 *         the file), VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_keystore_add_crls(vault_keystore *trust, const char *path);

/** Verification flags. */
enum {
    VAULT_VERIFY_NO_TIME = 1 /**< Do not check validity dates. */
};

/**
 * Verify the certificate chain of an entry against a truststore: path
 * building to a trusted certificate, signatures, validity at time `at`
 * (seconds since the epoch; 0 = now) and CA constraints. The entry's own
 * chain, and the other certificates of its file, supply intermediates.
 * With alias NULL: the only key entry, or for a certificate file or bundle
 * its first certificate.
 *
 * When the truststore holds CRLs (see vault_keystore_add_crls()), every
 * certificate of the path below the anchor must be covered by a current CRL
 * of its issuer, as `openssl verify -crl_check_all` checks: a revoked
 * certificate is refused with the CRL's reason, one whose issuer published
 * no CRL there is refused too.
 *
 * @param trust the truststore (any keystore; its certificates of every entry
 *              are trusted anchors).
 * @param ks    the keystore or certificate file holding the chain.
 * @param alias its entry; NULL as said above.
 * @param at    the time to judge validity at, seconds since the epoch; 0: now.
 * @param flags VAULT_VERIFY_* flags.
 * @return 0 when trusted; VAULT_ETRUST with the reason (naming the
 *         certificate's subject and SHA-256 thumbprint); VAULT_ENOTFOUND.
 */
VAULT_EXTERN(int) vault_keystore_verify(const vault_keystore *trust, const vault_keystore *ks,
                                        const char *alias, int64_t at, unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif
