/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libvault: sealing and opening values.
 *
 * Formats: the native format (docs/FORMAT.md: hybrid, AEAD bound to the
 * alias, several recipients, no length limit) and the WSO2 formats that the
 * Java cipher tool and secure vault read and write (one RSA block in base64,
 * the self-contained JSON "holder" form, and the AES-GCM JSON form).
 */
#ifndef VAULT_CIPHER_H
#define VAULT_CIPHER_H

#include "common.h"
#include "keystore.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Value formats. */
typedef enum vault_format {
    VAULT_FORMAT_NATIVE = 1,         /**< "vault:v1:..." (docs/FORMAT.md). */
    VAULT_FORMAT_WSO2 = 2,           /**< base64 of one RSA block. */
    VAULT_FORMAT_WSO2_HOLDER = 3,    /**< base64 of {"c","t","tp","tpd"} JSON. */
    VAULT_FORMAT_WSO2_SYMMETRIC = 4  /**< base64 of {"cipherText","iv"} JSON, AES-GCM. */
} vault_format;

/** RSA transformations of the WSO2 formats (Java JCE names). */
typedef enum vault_transformation {
    VAULT_TRANSFORM_DEFAULT = 0,     /**< OAEP-SHA1 for sealing; for opening a raw
                                          value, any of the three. */
    VAULT_TRANSFORM_RSA_PKCS1 = 1,   /**< "RSA", "RSA/ECB/PKCS1Padding" (legacy). */
    VAULT_TRANSFORM_RSA_OAEP_SHA1 = 2,   /**< "RSA/ECB/OAEPwithSHA1andMGF1Padding" */
    VAULT_TRANSFORM_RSA_OAEP_SHA256 = 3  /**< "RSA/ECB/OAEPWithSHA-256AndMGF1Padding":
                                              SHA-256 digest, MGF1 with SHA-1 (Java). */
} vault_transformation;

/**
 * Parse a format name (case-insensitive): "native", "wso2", "wso2-holder",
 * "wso2-symmetric".
 * @param out  receives the format; unchanged on failure.
 * @param name the name.
 * @return 0; VAULT_EFORMAT for an unknown name (the message quotes it);
 *         VAULT_EINVAL when out or name is NULL.
 */
VAULT_EXTERN(int) vault_format_from_name(vault_format *out, const char *name);

/**
 *  Static name of a format.
 * @param format the format.
 * @return its static name ("native", "wso2", "wso2-holder", "wso2-symmetric"), "unknown" for
 *        another value.
 */
VAULT_EXTERN(const char *) vault_format_name(vault_format format);

/**
 * Parse a Java transformation name as SunJCE does (case-insensitive; mode
 * ECB or NONE): "RSA" and "RSA/ECB/PKCS1Padding"; "RSA/ECB/OAEPPadding",
 * "RSA/ECB/OAEPwithSHA1andMGF1Padding" (or "...SHA-1..."); and
 * "RSA/ECB/OAEPWithSHA-256AndMGF1Padding" (or "...SHA256...").
 * @param out  receives the transformation (never VAULT_TRANSFORM_DEFAULT);
 *             unchanged on failure.
 * @param name the Java name.
 * @return 0; VAULT_EFORMAT for an unknown name (the message quotes it);
 *         VAULT_EINVAL when out or name is NULL.
 */
VAULT_EXTERN(int) vault_transformation_from_name(vault_transformation *out, const char *name);

/**
 * The canonical Java name of a transformation ("default" for DEFAULT;
 * "RSA/ECB/PKCS1Padding" for PKCS#1 v1.5, which holders record as Java's
 * default name "RSA").
 * @param t the transformation.
 * @return the static Java name, "unknown" for another value.
 */
VAULT_EXTERN(const char *) vault_transformation_name(vault_transformation t);

/** A public key to seal to: the certificate of a keystore entry. */
typedef struct vault_recipient vault_recipient;

/**
 * Make a recipient from a keystore entry's certificate (a private-key entry,
 * a trusted certificate, or the one certificate of a bare certificate file).
 * alias NULL picks the entry of a one-entry store, else the only key entry;
 * a PKCS#12, JKS or JCEKS file without any private-key entry (a truststore)
 * needs the alias of the certificate. The certificate is copied. RSA keys
 * serve every format; EC P-256/P-384/P-521, X25519 and Ed25519 keys serve the
 * native format only. A key entry without certificate (a key file alone)
 * holding one of the latter is a recipient by its public key: the key is
 * unlocked to read it (the keystore's password callback may be asked).
 * @param out receives the recipient; free it with vault_recipient_free().
 * @param ks the keystore.
 * @param alias the entry (NULL: the only key or certificate entry).
 * @return 0, VAULT_ENOTFOUND, VAULT_EINVAL (a truststore and no alias; the
 *         message names it), VAULT_EFORMAT (no certificate, or a key of
 *         another type).
 */
VAULT_EXTERN(int) vault_recipient_from_keystore(vault_recipient **out, const vault_keystore *ks,
                                                const char *alias);

/**
 * The recipient's key id as native values carry it, in lower-case hex: the
 * SHA-256 of its certificate (DER) for an RSA key, of its public key
 * (SubjectPublicKeyInfo DER) for the other key types.
 * @param r the recipient.
 * @return the key id, owned by r.
 */
VAULT_EXTERN(const char *) vault_recipient_key_id(const vault_recipient *r);

/**
 * A key id or certificate thumbprint as people write it: hex digits in
 * either case, colons between them ignored (keytool -list and
 * openssl x509 -fingerprint print "AB:CD:..."), nothing else.
 * @param out    receives the id as vault_recipient_key_id() gives it:
 *               lower-case hex digits without separators, NUL-terminated
 *               ("" on failure).
 * @param size   the size of out: at least digits + 1.
 * @param text   the text.
 * @param digits the number of hex digits required: 64 for a key id (a
 *               SHA-256), 40 for a SHA-1 thumbprint; 0 for any number from
 *               1 to size - 1.
 * @return 0; VAULT_EFORMAT when text holds another character or another
 *         number of digits; VAULT_EINVAL (NULL, or out too small).
 */
VAULT_EXTERN(int) vault_key_id_parse(char *out, size_t size, const char *text, size_t digits);

/**
 * The SHA-256 of the recipient's certificate (DER) in lower-case hex, as the
 * keystore entry's sha256 shows it; the same as the key id for RSA keys.
 * @param r the recipient.
 * @return the thumbprint, owned by r.
 */
VAULT_EXTERN(const char *) vault_recipient_thumbprint(const vault_recipient *r);

/**
 *  Free a recipient. NULL-safe.
 * @param r the recipient (may be NULL).
 */
VAULT_EXTERN(void) vault_recipient_free(vault_recipient *r);

/**
 * What the recipient's key id hashes, as vault_value_info's key_id_types
 * names it.
 * @param r the recipient.
 * @return "cert-sha256" (an RSA recipient: its certificate) or
 *         "spki-sha256" (an EC, X25519 or Ed25519 recipient: its public
 *         key); NULL when r is NULL. Static.
 */
VAULT_EXTERN(const char *) vault_recipient_key_id_type(const vault_recipient *r);

/** vault_recipient_check() flags. */
enum {
    /** A recipient the truststore does not vouch for is taken, with a
     *  warning, instead of refused. */
    VAULT_RECIPIENT_ALLOW_UNTRUSTED = 1
};

/** What vault_recipient_check() found. */
typedef enum vault_recipient_trust {
    VAULT_RECIPIENT_TRUSTED = 0,   /**< The truststore vouches for it, or there is no
                                        truststore and the certificate is in date (or it is
                                        a bare key, which has no date). */
    VAULT_RECIPIENT_EXPIRED = 1,   /**< No truststore, and the certificate has expired: a
                                        warning, sealed anyway. */
    VAULT_RECIPIENT_UNTRUSTED = 2  /**< The truststore does not vouch for it (chain, time,
                                        revocation) and VAULT_RECIPIENT_ALLOW_UNTRUSTED
                                        takes it anyway: a warning. */
} vault_recipient_trust;

/**
 * The trust gate before sealing to a recipient made from entry `alias` of
 * `ks` (vault_recipient_from_keystore() with the same arguments). With a
 * truststore, the certificate's chain must verify against it now
 * (vault_keystore_verify(): validity, CA flags, path, its CRLs), else the
 * recipient is refused, or with VAULT_RECIPIENT_ALLOW_UNTRUSTED taken with
 * a warning. Without a truststore nothing vouches for it, and only an
 * expired certificate is told, as a warning. A bare key (no certificate)
 * is named by its key id; a truststore cannot vouch for it.
 * @param verdict  receives the case (VAULT_RECIPIENT_TRUSTED on failure).
 * @param warning  NULL, or receives for the two warning cases the message to
 *                 show (naming the certificate's subject and SHA-256 and the
 *                 file; free with vault_string_free()), else NULL.
 * @param r        the recipient.
 * @param ks       the keystore or certificate file it was made from.
 * @param alias    the entry it was made from (NULL: as
 *                 vault_recipient_from_keystore() picks it).
 * @param truststore the truststore, or NULL for none.
 * @param flags    0 or VAULT_RECIPIENT_ALLOW_UNTRUSTED.
 * @return 0 (see *verdict); VAULT_ETRUST (refused: the message names the
 *         certificate's subject and SHA-256, or the bare key's id, and why
 *         the truststore does not vouch for it); VAULT_EINVAL;
 *         VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_recipient_check(vault_recipient_trust *verdict, char **warning,
                                        const vault_recipient *r, const vault_keystore *ks,
                                        const char *alias, const vault_keystore *truststore,
                                        unsigned int flags);

/** The version of vault_seal_options this header describes. */
#define VAULT_SEAL_OPTIONS_VERSION 1

/** Options for vault_sealer_new(). */
typedef struct vault_seal_options {
    unsigned int version;                     /**< VAULT_SEAL_OPTIONS_VERSION */
    vault_format format;                      /**< 0 means VAULT_FORMAT_NATIVE. */
    vault_transformation transformation;      /**< WSO2 RSA formats. */
    const vault_recipient *const *recipients; /**< Native: one or more; WSO2 RSA: exactly one. */
    size_t recipient_count;                   /**< The number of recipients. */
    const vault_secret *symmetric_key;        /**< WSO2 symmetric: 16, 24 or 32 bytes. */
} vault_seal_options;

/** Initializer of a vault_seal_options: this version, every other field its default. */
#define VAULT_SEAL_OPTIONS_INIT { VAULT_SEAL_OPTIONS_VERSION, VAULT_FORMAT_NATIVE, VAULT_TRANSFORM_DEFAULT, NULL, 0, NULL }

/**
 * Read an AES key (16, 24 or 32 bytes) for the WSO2 symmetric form from a
 * key file (docs/FORMAT.md 10.4): hex text, base64 text (each with at most
 * one line end), else exactly the raw bytes. The file is judged as a
 * password file (owner, mode 0600 or 0400). The key bytes stay in guarded
 * memory.
 * @param out  receives the key; free it with vault_secret_free().
 * @param path the key file.
 * @return 0; VAULT_EFORMAT (not a key in one of the three spellings: the
 *         message names the file); VAULT_EPERM, VAULT_ENOTFOUND, VAULT_EIO
 *         (the file, named); VAULT_EINVAL; VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_symmetric_key_from_file(vault_secret **out, const char *path);

/**
 * The format to seal with when the caller names none: the one a WSO2
 * product home's runtime opens, when a secret-conf.properties governs the
 * config files (as vault_locate() with VAULT_OPEN_WSO2_RULES finds it): its
 * symmetric mode (VAULT_FORMAT_WSO2_SYMMETRIC), else its one RSA
 * transformation (VAULT_FORMAT_WSO2). A file no home governs does not
 * count. Files governed by rules that differ (symmetric against RSA, or two
 * transformations) are refused.
 * @param secret_conf    receives the secret-conf.properties that decided
 *                       (of the first governed file; free with
 *                       vault_string_free()), or NULL when no home governs
 *                       any of the files.
 * @param format         receives the format when *secret_conf is set;
 *                       else unchanged.
 * @param transformation receives the home's transformation when the format
 *                       is VAULT_FORMAT_WSO2 (VAULT_TRANSFORM_DEFAULT for
 *                       the symmetric mode); else unchanged.
 * @param paths          the config files to seal.
 * @param count          their number.
 * @return 0; VAULT_EINVAL (two homes name different algorithms: the
 *         message names both secret-conf.properties; or a bad argument);
 *         VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_seal_format_of_homes(char **secret_conf, vault_format *format,
                                             vault_transformation *transformation,
                                             const char *const *paths, size_t count);

/**
 * A sealing session. In the native format every value sealed through one
 * sealer shares one data key, wrapped once per recipient, so that opening
 * them all costs one private-key operation; each value still opens on its
 * own.
 */
typedef struct vault_sealer vault_sealer;

/**
 * Create a sealer. The recipients and key are copied. The WSO2 RSA forms
 * take exactly one recipient and seal with opts->transformation (DEFAULT:
 * OAEP-SHA1); wso2-symmetric takes symmetric_key and writes WSO2's 128-byte
 * random IV.
 * @param out receives the sealer; free it with vault_sealer_free().
 * @param opts the options (VAULT_SEAL_OPTIONS_INIT, then filled in).
 * @return 0, VAULT_EINVAL (bad options), VAULT_EFORMAT, VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_sealer_new(vault_sealer **out, const vault_seal_options *opts);

/**
 * Seal len bytes of plaintext for the secret alias `alias` (bound into the
 * native format; ignored by the WSO2 formats, which cannot carry it).
 * @param s         the sealer.
 * @param alias     the secret alias.
 * @param plaintext the secret's bytes.
 * @param len       their number.
 * @param out       receives the sealed text (free with vault_string_free()).
 * @return 0; VAULT_EINVAL when the plaintext is too long for one RSA block
 *         (the message names the limit and suggests the native format).
 */
VAULT_EXTERN(int) vault_sealer_seal(char **out, vault_sealer *s, const char *alias,
                                    const void *plaintext, size_t len);

/**
 *  Free a sealer, wiping its data key. NULL-safe.
 * @param s the sealer (may be NULL).
 */
VAULT_EXTERN(void) vault_sealer_free(vault_sealer *s);

/** The version of vault_open_options this header describes. Version 2
 *  added `flags`; version 1 structures are still taken. */
#define VAULT_OPEN_OPTIONS_VERSION 2

/** vault_open_options flags. */
enum {
    /**
     * Refuse every RSA PKCS#1 v1.5 value: a holder naming "RSA" (or
     * "RSA/ECB/PKCS1Padding") fails with VAULT_EFORMAT before any
     * private-key operation, and raw WSO2 values are opened as OAEP only.
     * Implied when the transformation is one of the OAEP ones.
     */
    VAULT_OPENER_REFUSE_PKCS1 = 1
};

/** Options for vault_opener_new(). */
typedef struct vault_open_options {
    unsigned int version;                 /**< VAULT_OPEN_OPTIONS_VERSION */
    vault_keystore *keystore;             /**< Holds the private (or secret) key. */
    const char *key_alias;                /**< Entry to use; NULL picks the only key entry. */
    const vault_secret *symmetric_key;    /**< Operator-typed AES key for the symmetric form. */
    vault_transformation transformation;  /**< For raw WSO2 values; DEFAULT accepts any of
                                               the three with one private-key operation.
                                               A holder names its own, but never a weaker
                                               one: with an OAEP transformation a holder
                                               naming PKCS#1 v1.5 is refused. */
    unsigned int flags;                   /**< VAULT_OPENER_* (version 2). */
} vault_open_options;

/** Initializer of a vault_open_options: this version, every other field its default. */
#define VAULT_OPEN_OPTIONS_INIT { VAULT_OPEN_OPTIONS_VERSION, NULL, NULL, NULL, VAULT_TRANSFORM_DEFAULT, 0 }

/** An opening session; it memoises unwrapped data keys. Thread-safe. */
typedef struct vault_opener vault_opener;

/**
 * Create an opener. The keystore must outlive it; the key alias and the
 * symmetric key are copied. At least one of keystore and symmetric_key.
 * @param out receives the opener; free it with vault_opener_free().
 * @param opts the options (VAULT_OPEN_OPTIONS_INIT, then filled in).
 * @return 0, VAULT_EINVAL (also for VAULT_OPENER_REFUSE_PKCS1 with the
 *         PKCS#1 v1.5 transformation), VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_opener_new(vault_opener **out, const vault_open_options *opts);

/** Flags reported by vault_opener_open(). */
enum {
    /**
     * Opened as RSA PKCS#1 v1.5: a legacy format; rotate it. PKCS#1 v1.5
     * decryption uses implicit rejection (SECURITY.md): a block with a bad
     * padding (wrong key, damaged value) does not fail but opens to bytes
     * that are not the secret, so the flag is all that tells such a value.
     */
    VAULT_OPENED_LEGACY = 1,
    /**
     * Opened as RSA PKCS#1 v1.5 with nothing that ties the value to the key
     * (a raw WSO2 block, or a holder without a thumbprint of the key's
     * certificate): a wrong key of the same size opens it too, to other
     * bytes. Never seal such a plaintext again unless
     * vault_opener_reseal_check() allows it. Set with VAULT_OPENED_LEGACY.
     */
    VAULT_OPENED_UNPROVEN = 2,
    /**
     * Opened as RSA-OAEP with SHA-256 (Java's OAEPWithSHA-256AndMGF1Padding);
     * an RSA value with neither this nor VAULT_OPENED_LEGACY opened as
     * RSA-OAEP with SHA-1. A WSO2 home opens every value with its one
     * transformation, so the difference matters (vault_location_accepts()).
     */
    VAULT_OPENED_OAEP_SHA256 = 4
};

/**
 * Open a sealed value that belongs to secret alias `alias`.
 * @param o     the opener.
 * @param alias the secret alias the value was sealed for.
 * @param value the sealed text, NUL-terminated.
 * @param out   receives the plaintext in guarded memory.
 * @param flags optional; receives VAULT_OPENED_* flags.
 * A raw WSO2 block must be as long as the key's modulus, else
 * VAULT_EFORMAT; a WSO2 symmetric value needs the opener's symmetric_key or
 * a secret-key entry of the keystore (key_alias, or the only one).
 * @return 0; VAULT_EFORMAT (not a value we know, or a PKCS#1 v1.5 holder
 *         the options refuse), VAULT_EKEY (sealed for another key: the
 *         message names both key ids), VAULT_EAUTH (wrong alias, tampered
 *         value, or any OAEP padding failure: one error for all, no padding
 *         oracle; PKCS#1 v1.5 never fails on its padding, see
 *         VAULT_OPENED_LEGACY), VAULT_EINVAL (no key of the kind the value
 *         needs), keystore errors.
 */
VAULT_EXTERN(int) vault_opener_open(vault_secret **out, unsigned int *flags, vault_opener *o,
                                    const char *alias, const char *value);

/**
 * The rule for sealing again what this opener opened (rotation): a value
 * reported VAULT_OPENED_UNPROVEN may be sealed again only when the opener's
 * key has been proved to be the key the values were sealed for, by a value
 * this opener opened that is bound to that key: a native value (its AEAD),
 * an OAEP block (no other key passes the padding check) or a holder whose
 * thumbprint names the key's certificate. Call it after every value of the
 * run was opened, before anything is written.
 * @param o            the opener that opened the value.
 * @param opened_flags the VAULT_OPENED_* flags vault_opener_open() gave.
 * @param path         the file, named in the message (may be NULL).
 * @param alias        the alias, named in the message (may be NULL).
 * @return 0 (allowed); VAULT_EKEY (unproven: the message names path, alias,
 *         keystore and key alias); VAULT_EINVAL.
 */
VAULT_EXTERN(int) vault_opener_reseal_check(const vault_opener *o, unsigned int opened_flags,
                                            const char *path, const char *alias);

/**
 * Whether the opener's key is the one the server reading `config` uses, as
 * vault_locate() finds it (deployment.toml, secret-conf.properties beside a
 * cipher-text.properties, carbon.xml): the same keystore file and, when the
 * configuration names one, the same key alias. Sealing again what such a key
 * opened changes nothing the server would see, even for a value that no
 * key proves (VAULT_OPENED_UNPROVEN).
 * @param o      the opener.
 * @param config the configuration file the server reads.
 * @return 0; VAULT_ENOTFOUND (nothing configures a keystore for it);
 *         VAULT_EKEY (another keystore or alias: the message names both);
 *         VAULT_EINVAL.
 */
VAULT_EXTERN(int) vault_opener_key_is_configured(const vault_opener *o, const char *config);

/**
 *  Free an opener, wiping cached keys. NULL-safe.
 * @param o the opener (may be NULL).
 */
VAULT_EXTERN(void) vault_opener_free(vault_opener *o);

/** The version of vault_rewrap_options this header describes. */
#define VAULT_REWRAP_OPTIONS_VERSION 1

/** Options for vault_rewrapper_new(). */
typedef struct vault_rewrap_options {
    unsigned int version;                 /**< VAULT_REWRAP_OPTIONS_VERSION */
    vault_keystore *keystore;             /**< Holds a private key that opens the values now. */
    const char *key_alias;                /**< NULL: as vault_opener_open() picks it. */
    const vault_recipient *const *add;    /**< Recipients to add (a present one is rewrapped). */
    size_t add_count;                     /**< The number of add. */
    const char *const *remove_key_ids;    /**< Key ids (64 hex digits, as vault_key_id_parse() reads
                                               them) whose stanzas are dropped. */
    size_t remove_count;                  /**< The number of remove_key_ids. */
    int replace;                          /**< Non-zero: drop every old stanza, keep only `add`. */
} vault_rewrap_options;

/** Initializer of a vault_rewrap_options: this version, every other field its default. */
#define VAULT_REWRAP_OPTIONS_INIT { VAULT_REWRAP_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, 0, 0 }

/**
 * A rewrapping session: changes the recipients of native values without
 * re-encrypting them (docs/FORMAT.md 5.4). The data key of each value is
 * recovered with the keystore's key (its commitment checked), wrapped to the
 * added recipients, and the value is written again with the new stanzas;
 * version, commitment, nonce and ciphertext stay byte-identical. Memoised
 * per session: N values sealed in one session cost one private-key operation
 * and one wrap per added recipient. The keystore must outlive the rewrapper;
 * the recipients and key ids are copied.
 */
typedef struct vault_rewrapper vault_rewrapper;

/**
 * @param out receives the rewrapper; free it with vault_rewrapper_free().
 * @param opts the options (VAULT_REWRAP_OPTIONS_INIT, then filled in).
 *  @return 0, VAULT_EINVAL (bad options, bad key id, bad recipients), VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_rewrapper_new(vault_rewrapper **out, const vault_rewrap_options *opts);

/**
 * Rewrap one native value of secret alias `alias`; the value must open
 * (authenticate) under that alias first.
 * @param rw    the rewrapper.
 * @param alias the secret alias.
 * @param value the sealed text.
 * @param out   receives the new text (free with vault_string_free()).
 * @return 0; VAULT_EFORMAT (not a native value: only the native format has
 *         recipient stanzas), VAULT_EKEY, VAULT_EAUTH as vault_opener_open();
 *         VAULT_EINVAL when no recipient or more than 16 would remain.
 */
VAULT_EXTERN(int) vault_rewrapper_rewrap(char **out, vault_rewrapper *rw, const char *alias,
                                         const char *value);

/**
 *  Free a rewrapper. NULL-safe.
 * @param rw the rewrapper (may be NULL).
 */
VAULT_EXTERN(void) vault_rewrapper_free(vault_rewrapper *rw);

/** What can be told of a value without a key. */
typedef struct vault_value_info {
    vault_format format;         /**< The value's format. */
    const char *algorithm;       /**< e.g. "RSA-OAEP-SHA256+XChaCha20-Poly1305", "RSA/ECB/PKCS1Padding" */
    size_t recipient_count;      /**< RSA recipients (0 for symmetric). */
    const char *const *key_ids;  /**< recipient_count key ids, when the format has them:
                                      native, the lower-case hex SHA-256 of each
                                      certificate or public key (key_id_types); a holder, the upper-case hex SHA-1
                                      thumbprint it records. NULL otherwise. */
    size_t ciphertext_bytes;     /**< Size of the sealed payload. */
    size_t plaintext_bytes;      /**< Exact for AEAD formats, 0 when unknown (RSA). */
    size_t iv_bytes;             /**< Symmetric form: IV length. */
    int legacy;                  /**< PKCS#1 v1.5 (0 for raw values: not recorded). */
    const char *const *key_id_types; /**< Native: per key id, what it hashes:
                                          "cert-sha256" (an RSA recipient's certificate) or
                                          "spki-sha256" (an EC, X25519 or Ed25519 recipient's
                                          public key). NULL otherwise. */
} vault_value_info;

/**
 * Tell a value's format, algorithm and key ids without any key. An RSA
 * block (raw WSO2 or holder) must have the size of a 1024- to 8192-bit key
 * in steps of 64 bits (128 to 1024 bytes, a multiple of 8), else it is not
 * taken for a sealed value.
 * @param value the sealed text.
 * @param out   receives the description; free it with vault_value_info_free().
 * @return 0 or VAULT_EFORMAT.
 */
VAULT_EXTERN(int) vault_inspect(vault_value_info **out, const char *value);

/**
 * Whether a value (as vault_inspect() describes it) can be sealed for the
 * recipient, as far as is told without a key: a native value must name its
 * key id; a raw WSO2 block must have its modulus size; a holder must also
 * carry its certificate's thumbprint. A symmetric value names no key: 0.
 * @param r    the recipient.
 * @param info the value, as vault_inspect() describes it.
 * @return 0; VAULT_EKEY (the message says why not); VAULT_EINVAL.
 */
VAULT_EXTERN(int) vault_recipient_fits(const vault_recipient *r, const vault_value_info *info);

/**
 *  Free a description. NULL-safe.
 * @param info the description (may be NULL).
 */
VAULT_EXTERN(void) vault_value_info_free(vault_value_info *info);

#ifdef __cplusplus
}
#endif

#endif
