/* SPDX-License-Identifier: Apache-2.0 */
/* Keystore core: open, dispatch to the format readers, describe entries,
 * lookup, unlocking. Type names and sniffing are keystore_type.c, the model
 * the readers build keystore_model.c, PKCS#8 keys keystore_pkcs8.c, keys
 * held in a device keystore_device.c. */
#include "keystore_internal.h"
#include "keystore_pkcs11.h"
#include "keystore_tpm.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Seconds since 1970 of a certificate time (UTC). Computed here rather
 * than by timegm(), which reads the time zone files on its first call: a
 * start-up cost for a value that has no time zone. */
static int64_t asn1_time_to_epoch(const ASN1_TIME *t)
{
    struct tm tm;
    int64_t y, m, era, yoe, doy, doe;

    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    /* Days from 1970-01-01 of a proleptic Gregorian date, with March as
     * the first month so that February's leap day ends the year. */
    y = (int64_t)tm.tm_year + 1900 - (tm.tm_mon < 2);
    m = tm.tm_mon + 1;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + tm.tm_mday - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468) * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

static char *name_to_string(const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL, *mem;
    long n;

    if (!bio)
        return NULL;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        n = BIO_get_mem_data(bio, &mem);
        out = vault__strndup(mem, (size_t)n);
    }
    BIO_free(bio);
    return out;
}

static void describe_key(ks_entry *e, const EVP_PKEY *key)
{
    const char *name = EVP_PKEY_get0_type_name(key);
    static const struct { const char *from, *to; } nice[] = {
        {"rsaEncryption", "RSA"}, {"id-ecPublicKey", "EC"}, {"ED25519", "Ed25519"},
        {"ED448", "Ed448"}, {"X25519", "X25519"}, {"DSA", "DSA"}, {"RSA", "RSA"}, {"EC", "EC"},
    };
    size_t i;
    e->info.key_algorithm = name;
    for (i = 0; name && i < sizeof nice / sizeof nice[0]; i++)
        if (strcmp(name, nice[i].from) == 0)
            e->info.key_algorithm = nice[i].to;
    e->info.key_bits = (unsigned)EVP_PKEY_get_bits(key);
}

/* Fill the public view of an entry from its certificate, key or secret. */
static int describe_entry(ks_entry *e)
{
    if (e->info.kind == VAULT_ENTRY_SECRET_KEY) {
        e->info.key_algorithm = e->secret_algorithm;
        e->info.key_bits = e->secret ? (unsigned)(vault_secret_len(e->secret) * 8) : 0;
        return 0;
    }
    if (e->pkey)
        describe_key(e, e->pkey);
    if (e->info.chain_length > 0 && !e->info.has_certificate) {
        X509 *c = sk_X509_value(e->chain, 0);
        EVP_PKEY *pub = X509_get0_pubkey(c);
        ASN1_INTEGER *sn = X509_get_serialNumber(c);
        BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
        char *hex = bn ? BN_bn2hex(bn) : NULL;

        BN_free(bn);
        e->subject = name_to_string(X509_get_subject_name(c));
        e->issuer = name_to_string(X509_get_issuer_name(c));
        e->serial = hex ? vault__strdup(hex) : NULL;
        OPENSSL_free(hex);
        if (!e->subject || !e->issuer || !e->serial)
            return vault__oom();
        e->info.subject = e->subject;
        e->info.issuer = e->issuer;
        e->info.serial = e->serial;
        e->info.not_before = asn1_time_to_epoch(X509_get0_notBefore(c));
        e->info.not_after = asn1_time_to_epoch(X509_get0_notAfter(c));
        EVP_Digest(e->der[0], e->der_len[0], e->info.sha1, NULL, EVP_sha1(), NULL);
        EVP_Digest(e->der[0], e->der_len[0], e->info.sha256, NULL, EVP_sha256(), NULL);
        if (pub && !e->pkey)
            describe_key(e, pub);
        e->info.has_certificate = 1;
    }
    ERR_clear_error();
    return 0;
}

static int ask_password(vault_keystore *ks, vault_password_kind kind, const char *alias,
                        vault_secret **out)
{
    int rc;
    *out = NULL;
    if (!ks->password_cb)
        return VAULT_ENOTFOUND;
    rc = ks->password_cb(out, kind, ks->path, alias, ks->payload);
    if (rc == 0 && !*out)
        rc = VAULT_ENOTFOUND;
    return rc;
}

static int needs_store_password(vault_keystore_type t)
{
    return t == VAULT_KEYSTORE_PKCS12 || t == VAULT_KEYSTORE_JKS || t == VAULT_KEYSTORE_JCEKS;
}

static int read_content(vault_keystore *ks, const unsigned char *data, size_t len,
                        vault_keystore_type forced)
{
    const char *unsupported = NULL;
    vault_keystore_type t = ks_sniff(data, len, &unsupported);
    int rc;

    /* A TSS2 key file is PEM, but of a key that only a TPM can use. */
    if ((forced == VAULT_KEYSTORE_AUTO || forced == VAULT_KEYSTORE_TPM2) && ks_is_tpm_key(data, len))
        return ks_read_tpm(ks, data, len);
    if (forced != VAULT_KEYSTORE_AUTO)
        t = forced;
    else if (unsupported)
        return vault__err(VAULT_EFORMAT, "%s: %s keystores are not supported; convert it to PKCS#12 "
                         "with keytool -importkeystore", ks->path, unsupported);
    else if (t == VAULT_KEYSTORE_AUTO)
        return vault__err(VAULT_EFORMAT, "%s: not a keystore or certificate (PKCS#12, JKS, JCEKS, "
                         "PEM or DER expected)", ks->path);
    ks->type = t;
    if (needs_store_password(t)) {
        rc = ask_password(ks, VAULT_PASSWORD_STORE, NULL, &ks->store_password);
        if (rc == VAULT_ENOTFOUND)
            return vault__err(VAULT_EAUTH, "%s: a store password is required", ks->path);
        if (rc != 0)
            return rc;
    }
    switch (t) {
    case VAULT_KEYSTORE_JKS:
    case VAULT_KEYSTORE_JCEKS:
        return ks_read_jks(ks, data, len, ks->store_password);
    case VAULT_KEYSTORE_PKCS12:
        return ks_read_pkcs12(ks, data, len, ks->store_password);
    case VAULT_KEYSTORE_PEM:
        return ks_read_pem(ks, data, len);
    case VAULT_KEYSTORE_CERT:
        return ks_read_cert(ks, data, len);
    default:
        return vault__err(VAULT_EINVAL, "%s: type %s cannot be read from bytes", ks->path,
                         vault_keystore_type_name(t));
    }
}

static int keystore_new(vault_keystore **out, const char *name, const vault_keystore_options *opts)
{
    vault_keystore *ks;

    *out = NULL;
    if (vault__ensure_init() != 0)
        return VAULT_ERROR;
    if (opts && opts->version != 1 && opts->version != VAULT_KEYSTORE_OPTIONS_VERSION)
        return vault__err(VAULT_EINVAL, "vault_keystore_options: unknown version %u", opts->version);
    ks = vault__calloc(1, sizeof *ks);
    if (!ks)
        return vault__oom();
    ks->path = vault__strdup(name ? name : "(memory)");
    if (!ks->path) {
        vault__free_ptr(ks);
        return vault__oom();
    }
    pthread_mutex_init(&ks->lock, NULL);
    if (opts) {
        ks->password_cb = opts->password;
        ks->payload = opts->payload;
    }
    *out = ks;
    return 0;
}

static int finish_open(vault_keystore **out, vault_keystore *ks, int rc)
{
    size_t i;
    for (i = 0; rc == 0 && i < ks->count; i++)
        rc = describe_entry(ks->entries[i]);
    if (rc != 0) {
        vault_keystore_free(ks);
        return rc;
    }
    vault_error_clear();
    *out = ks;
    return 0;
}

int vault_keystore_open_memory(vault_keystore **out, const void *data, size_t len,
                               const char *name, const vault_keystore_options *opts)
{
    vault_keystore *ks;
    int rc;

    if (!out || (!data && len))
        return vault__err(VAULT_EINVAL, "vault_keystore_open_memory: invalid argument");
    *out = NULL;
    rc = keystore_new(&ks, name, opts);
    if (rc != 0)
        return rc;
    rc = read_content(ks, data, len, opts ? opts->type : VAULT_KEYSTORE_AUTO);
    return finish_open(out, ks, rc);
}

int vault_keystore_open(vault_keystore **out, const char *path, const vault_keystore_options *opts)
{
    vault_keystore *ks;
    unsigned char *data = NULL;
    size_t len = 0;
    struct stat st;
    const char *cert;
    int rc;

    if (!out || !path)
        return vault__err(VAULT_EINVAL, "vault_keystore_open: invalid argument");
    *out = NULL;
    if (ks_is_pkcs11_uri(path) && (strstr(path, "pin-value") || strstr(path, "pin-source")))
        return vault__err(VAULT_EINVAL, "a PKCS#11 URI with a PIN in it is refused: give the PIN as "
                         "the keystore password");
    rc = keystore_new(&ks, path, opts);
    if (rc != 0)
        return rc;
    if (ks_is_pkcs11_uri(path)) {
        rc = ks_read_pkcs11(ks);
    } else if (ks_is_tpm_uri(path)) {
        rc = ks_read_tpm(ks, NULL, 0);
    } else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        ks->type = VAULT_KEYSTORE_DIR;
        rc = ks_read_dir(ks);
    } else {
        rc = vault__read_file(path, KS_MAX_FILE, &data, &len);
        if (rc == 0)
            rc = read_content(ks, data, len, opts ? opts->type : VAULT_KEYSTORE_AUTO);
        if (data)
            sodium_memzero(data, len);
        vault__free_ptr(data);
    }
    cert = opts && opts->version >= 2 ? opts->cert : NULL;
    if (rc == 0 && cert && !ks->device)
        rc = vault__err(VAULT_EINVAL, "%s: a certificate file (%s) goes only beside a key held in a "
                       "PKCS#11 token or a TPM", path, cert);
    else if (rc == 0 && cert)
        rc = ks_device_add_cert_file(ks, cert);
    return finish_open(out, ks, rc);
}

vault_keystore_type vault_keystore_get_type(const vault_keystore *ks)
{
    return ks ? ks->type : VAULT_KEYSTORE_AUTO;
}

const char *vault_keystore_path(const vault_keystore *ks)
{
    return ks ? ks->path : NULL;
}

size_t vault_keystore_count(const vault_keystore *ks)
{
    return ks ? ks->count : 0;
}

int vault_keystore_entry_at(const vault_keystore_entry **out, const vault_keystore *ks, size_t i)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_keystore_entry_at: out is NULL");
    *out = NULL;
    if (!ks)
        return vault__err(VAULT_EINVAL, "vault_keystore_entry_at: keystore is NULL");
    if (i >= ks->count)
        return vault__err(VAULT_ENOTFOUND, "%s: no entry %zu (%zu entries)", ks->path, i, ks->count);
    *out = &ks->entries[i]->info;
    return 0;
}

/* "a", "b", "c" into buf, for messages that list the aliases there are. */
static void list_aliases(const vault_keystore *ks, int kind, char *buf, size_t size)
{
    size_t i, used = 0;
    buf[0] = '\0';
    for (i = 0; i < ks->count && used + 1 < size; i++) {
        if (kind && (int)ks->entries[i]->info.kind != kind)
            continue;
        int n = snprintf(buf + used, size - used, "%s\"%s\"", used ? ", " : "", ks->entries[i]->alias);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

static int find_only(const vault_keystore *ks, vault_entry_kind kind, ks_entry **out)
{
    size_t i, n = 0;
    for (i = 0; i < ks->count; i++)
        if (ks->entries[i]->info.kind == kind) {
            *out = ks->entries[i];
            n++;
        }
    return n == 1 ? 0 : n == 0 ? VAULT_ENOTFOUND : VAULT_EINVAL;
}

int ks_find(const vault_keystore *ks, const char *alias, ks_entry **out)
{
    char names[512];
    size_t i;
    int rc;

    *out = NULL;
    if (!alias) {
        rc = find_only(ks, VAULT_ENTRY_PRIVATE_KEY, out);
        if (rc == VAULT_ENOTFOUND)
            rc = find_only(ks, VAULT_ENTRY_SECRET_KEY, out);
        if (rc == 0)
            return 0;
        list_aliases(ks, rc == VAULT_EINVAL ? VAULT_ENTRY_PRIVATE_KEY : 0, names, sizeof names);
        if (rc == VAULT_EINVAL)
            return vault__err(VAULT_ENOTFOUND, "%s: several key entries (%s); choose one with an alias",
                             ks->path, names);
        return vault__err(VAULT_ENOTFOUND, "%s: no key entry (entries: %s)", ks->path, names);
    }
    for (i = 0; i < ks->count; i++)
        if (vault__strcaseeq(ks->entries[i]->alias, alias)) {
            *out = ks->entries[i];
            return 0;
        }
    list_aliases(ks, 0, names, sizeof names);
    return vault__err(VAULT_ENOTFOUND, "%s: no alias \"%s\" (aliases: %s)", ks->path, alias, names);
}

int vault_keystore_find(const vault_keystore_entry **out, const vault_keystore *ks, const char *alias)
{
    ks_entry *e;
    int rc;
    if (!ks || !out)
        return vault__err(VAULT_EINVAL, "vault_keystore_find: invalid argument");
    rc = ks_find(ks, alias, &e);
    if (rc == 0)
        *out = &e->info;
    return rc;
}

int vault_keystore_cert_der(const unsigned char **der, size_t *len, const vault_keystore *ks,
                            const char *alias, size_t idx)
{
    ks_entry *e;
    int rc;
    if (!ks || !der || !len)
        return vault__err(VAULT_EINVAL, "vault_keystore_cert_der: invalid argument");
    rc = ks_find(ks, alias, &e);
    if (rc != 0)
        return rc;
    if (idx >= e->info.chain_length)
        return vault__err(VAULT_ENOTFOUND, "%s: alias \"%s\" has no certificate %zu", ks->path,
                         e->alias, idx);
    *der = e->der[idx];
    *len = e->der_len[idx];
    return 0;
}

static int unlock_with(ks_entry *e, const vault_secret *pw)
{
    vault_secret *empty = NULL;
    int rc;
    if (pw)
        return e->unlock(e, pw);
    rc = vault_secret_new(&empty, "", 0);
    if (rc == 0)
        rc = e->unlock(e, empty);
    vault_secret_free(empty);
    return rc;
}

int ks_unlock(vault_keystore *ks, ks_entry *e)
{
    vault_secret *key_pw = NULL;
    int rc = 0;

    pthread_mutex_lock(&ks->lock);
    if (e->unlocked || !e->unlock)
        goto done;
    rc = ask_password(ks, VAULT_PASSWORD_KEY, e->alias, &key_pw);
    if (rc == VAULT_ENOTFOUND && !ks->store_password && !needs_store_password(ks->type)) {
        /* A PEM file has no store password: the one the caller gives for
         * the file (--password-file) is the key's. Asked only now that a
         * key is encrypted. */
        rc = ask_password(ks, VAULT_PASSWORD_STORE, NULL, &ks->store_password);
        if (rc == 0)
            rc = VAULT_ENOTFOUND;
    }
    if (rc == VAULT_ENOTFOUND) {
        /* No separate key password: Java's default is the store password. */
        rc = unlock_with(e, ks->store_password);
        if (rc == VAULT_EAUTH && ks->store_password)
            rc = vault__err(VAULT_EAUTH, "%s: alias \"%s\": the key password differs from the store "
                           "password and none was given", ks->path, e->alias);
        else if (rc == VAULT_EAUTH)
            rc = vault__err(VAULT_EAUTH, "%s: alias \"%s\": the key is encrypted and no key password "
                           "was given", ks->path, e->alias);
    } else if (rc == 0) {
        rc = unlock_with(e, key_pw);
        if (rc == VAULT_EAUTH)
            rc = vault__err(VAULT_EAUTH, "%s: alias \"%s\": wrong key password", ks->path, e->alias);
    }
    if (rc == VAULT_EFORMAT) {
        const vault_error *le = vault_error_last();
        rc = vault__err(VAULT_EFORMAT, "%s: alias \"%s\": %s", ks->path, e->alias,
                       le ? le->message : "malformed key");
    }
    if (rc == 0) {
        e->unlocked = 1;
        rc = describe_entry(e);
    }
done:
    pthread_mutex_unlock(&ks->lock);
    vault_secret_free(key_pw);
    return rc;
}

int ks_private_key(vault_keystore *ks, const char *alias, EVP_PKEY **pkey, ks_entry **entry)
{
    ks_entry *e;
    int rc = ks_find(ks, alias, &e);
    if (rc != 0)
        return rc;
    if (e->info.kind != VAULT_ENTRY_PRIVATE_KEY)
        return vault__err(VAULT_EINVAL, "%s: alias \"%s\" is not a private key entry", ks->path, e->alias);
    rc = ks_unlock(ks, e);
    if (rc != 0)
        return rc;
    if (!e->pkey)
        return vault__err(VAULT_EFORMAT, "%s: alias \"%s\" holds no usable private key", ks->path, e->alias);
    *pkey = e->pkey;
    if (entry)
        *entry = e;
    return 0;
}

int ks_public_key(vault_keystore *ks, const char *alias, EVP_PKEY **pkey)
{
    ks_entry *e;
    int rc = ks_find(ks, alias, &e);
    if (rc != 0)
        return rc;
    if (e->info.kind != VAULT_ENTRY_PUBLIC_KEY)
        return ks_private_key(ks, alias, pkey, NULL);
    *pkey = e->pkey;
    return 0;
}

int vault_keystore_public_key_der(unsigned char **der, size_t *len, vault_keystore *ks,
                                  const char *alias)
{
    EVP_PKEY *pkey = NULL;
    unsigned char *buf = NULL, *p;
    int rc, n;

    if (!ks || !der || !len)
        return vault__err(VAULT_EINVAL, "vault_keystore_public_key_der: invalid argument");
    *der = NULL;
    rc = ks_public_key(ks, alias, &pkey);
    if (rc != 0)
        return rc;
    n = i2d_PUBKEY(pkey, NULL);
    if (n <= 0)
        return vault__err_ssl(VAULT_EFORMAT, "%s: cannot encode the public key", ks->path);
    buf = vault__malloc((size_t)n);
    if (!buf)
        return vault__oom();
    p = buf;
    i2d_PUBKEY(pkey, &p);
    *der = buf;
    *len = (size_t)n;
    return 0;
}

int vault_keystore_secret_key(vault_secret **out, vault_keystore *ks, const char *alias)
{
    ks_entry *e;
    int rc;
    if (!ks || !out)
        return vault__err(VAULT_EINVAL, "vault_keystore_secret_key: invalid argument");
    *out = NULL;
    rc = ks_find(ks, alias, &e);
    if (rc != 0)
        return rc;
    if (e->info.kind != VAULT_ENTRY_SECRET_KEY)
        return vault__err(VAULT_EINVAL, "%s: alias \"%s\" is not a secret key entry", ks->path, e->alias);
    rc = ks_unlock(ks, e);
    if (rc != 0)
        return rc;
    if (!e->secret)
        return vault__err(VAULT_EFORMAT, "%s: alias \"%s\" holds no key", ks->path, e->alias);
    return vault_secret_new(out, vault_secret_data(e->secret), vault_secret_len(e->secret));
}
