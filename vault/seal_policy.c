/* SPDX-License-Identifier: Apache-2.0 */
/* What is decided before a sealer is made: the AES key of a key file, the
 * trust gate on a recipient, the format a WSO2 home's runtime opens. */
#include "internal.h"

#include <vault/cipher.h>
#include <vault/vault.h>

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- key files (docs/FORMAT.md 10.4) ------------------------------------ */

static int is_aes_key_length(size_t n)
{
    return n == 16 || n == 24 || n == 32;
}

/* The text spellings: all of text (n bytes) decodes to a key length. */
static int decode_hex(unsigned char *key, size_t cap, size_t *klen, const char *text, size_t n)
{
    const char *end = NULL;
    return n > 0 && sodium_hex2bin(key, cap, text, n, NULL, klen, &end) == 0 && end == text + n &&
           is_aes_key_length(*klen);
}

static int decode_base64(unsigned char *key, size_t cap, size_t *klen, const char *text, size_t n)
{
    const char *end = NULL;
    return n > 0 &&
           sodium_base642bin(key, cap, text, n, NULL, klen, &end, sodium_base64_VARIANT_ORIGINAL) == 0 &&
           end == text + n && is_aes_key_length(*klen);
}

int vault_symmetric_key_from_file(vault_secret **out, const char *path)
{
    vault_secret *file = NULL;
    unsigned char key[32];
    const char *text;
    size_t len, n, klen = 0;
    int rc;

    if (!out || !path)
        return vault__err(VAULT_EINVAL, "vault_symmetric_key_from_file: invalid argument");
    *out = NULL;
    if ((rc = vault__password_file_read(&file, NULL, path, VAULT__FILE_WHOLE)) != 0)
        return rc;
    text = (const char *)vault_secret_data(file);
    len = vault_secret_len(file);
    n = len;
    if (n > 0 && text[n - 1] == '\n' && --n > 0 && text[n - 1] == '\r')
        n--;
    if (decode_hex(key, sizeof key, &klen, text, n) || decode_base64(key, sizeof key, &klen, text, n))
        rc = vault_secret_new(out, key, klen);
    else if (is_aes_key_length(len))
        rc = vault_secret_new(out, text, len);
    else
        rc = vault__err(VAULT_EFORMAT, "%s: not an AES key (16, 24 or 32 bytes, raw, hex or base64)", path);
    sodium_memzero(key, sizeof key);
    vault_secret_free(file);
    return rc;
}

/* ---- the trust gate ----------------------------------------------------- */

/* The entry whose certificate the recipient was made from (none for a
 * bare key, whose thumbprint is empty). */
static const vault_keystore_entry *recipient_entry(const vault_keystore *ks, const vault_recipient *r)
{
    const vault_keystore_entry *e = NULL;
    size_t i;
    for (i = 0; i < vault_keystore_count(ks); i++) {
        char id[65];
        if (vault_keystore_entry_at(&e, ks, i) != 0 || !e->has_certificate)
            continue;
        vault__hex(id, e->sha256, sizeof e->sha256, 0);
        if (strcmp(id, vault_recipient_thumbprint(r)) == 0)
            return e;
    }
    return NULL;
}

static int set_warning(char **warning, const char *fmt, ...) VAULT_PRINTF(2, 3);

static int set_warning(char **warning, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    if (!warning)
        return 0;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    *warning = vault__strdup(text);
    return *warning ? 0 : vault__oom();
}

int vault_recipient_check(vault_recipient_trust *verdict, char **warning, const vault_recipient *r,
                          const vault_keystore *ks, const char *alias, const vault_keystore *truststore,
                          unsigned int flags)
{
    const vault_keystore_entry *e;
    const char *subject;
    char what[600], why[1024];
    int rc;

    if (warning)
        *warning = NULL;
    if (!verdict || !r || !ks || (flags & ~(unsigned int)VAULT_RECIPIENT_ALLOW_UNTRUSTED))
        return vault__err(VAULT_EINVAL, "vault_recipient_check: invalid argument");
    *verdict = VAULT_RECIPIENT_TRUSTED;
    e = recipient_entry(ks, r);
    subject = e && e->subject ? e->subject : "?";

    if (!truststore) {
        if (!e || e->not_after >= (int64_t)time(NULL))
            return 0;
        *verdict = VAULT_RECIPIENT_EXPIRED;
        return set_warning(warning, "certificate \"%s\" (SHA-256 %s) of %s has expired; sealing to it anyway",
                           subject, vault_recipient_thumbprint(r), vault_keystore_path(ks));
    }
    rc = vault_keystore_verify(truststore, ks, alias, 0, 0);
    if (rc == 0)
        return 0;
    if (rc == VAULT_ENOMEM)
        return rc;
    /* Copied: the next error reuses the buffer it is in. */
    snprintf(why, sizeof why, "%s", vault_error_last()->code ? vault_error_last()->message : "not trusted");
    vault_error_clear();
    /* A bare key is named by its key id: it has no certificate. */
    if (*vault_recipient_thumbprint(r))
        snprintf(what, sizeof what, "certificate \"%s\" (SHA-256 %s)", subject, vault_recipient_thumbprint(r));
    else
        snprintf(what, sizeof what, "key %s of %s", vault_recipient_key_id(r), vault_keystore_path(ks));
    if (!(flags & VAULT_RECIPIENT_ALLOW_UNTRUSTED))
        return vault__err(VAULT_ETRUST, "refusing to seal to %s: %s", what, why);
    *verdict = VAULT_RECIPIENT_UNTRUSTED;
    return set_warning(warning, "sealing to an untrusted %s: %s", what, why);
}

/* ---- the format of a WSO2 home ------------------------------------------ */

/* The rule of the home governing path: 1 with *symmetric, *t and *conf
 * set, 0 when none governs it (a file of no product home), or a negative
 * code. */
static int home_rule(const char *path, int *symmetric, vault_transformation *t, char **conf)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;
    int rc;

    o.config = path;
    o.flags = VAULT_OPEN_WSO2_RULES;
    rc = vault_locate(&loc, &o);
    if (rc == VAULT_ENOMEM)
        return rc;
    if (rc != 0 || !loc->wso2_rules) {
        vault_error_clear();
        vault_location_free(loc);
        return 0;
    }
    *symmetric = loc->wso2_symmetric;
    *t = loc->wso2_transformation;
    *conf = vault__strdup(loc->wso2_secret_conf ? loc->wso2_secret_conf : "secret-conf.properties");
    vault_location_free(loc);
    return *conf ? 1 : vault__oom();
}

int vault_seal_format_of_homes(char **secret_conf, vault_format *format, vault_transformation *transformation,
                               const char *const *paths, size_t count)
{
    char *conf = NULL, *other = NULL;
    int symmetric = 0, sym2 = 0, rc = 0;
    vault_transformation t = VAULT_TRANSFORM_DEFAULT, t2 = VAULT_TRANSFORM_DEFAULT;
    size_t i;

    if (secret_conf)
        *secret_conf = NULL;
    if (!secret_conf || !format || !transformation || (!paths && count > 0))
        return vault__err(VAULT_EINVAL, "vault_seal_format_of_homes: invalid argument");
    for (i = 0; i < count && rc == 0; i++) {
        int found = paths[i] ? home_rule(paths[i], &sym2, &t2, &other) : 0;
        if (found < 0)
            rc = found;
        else if (found && !conf) {
            conf = other;
            symmetric = sym2;
            t = t2;
        } else if (found && (sym2 != symmetric || (!symmetric && t2 != t))) {
            rc = vault__err(VAULT_EINVAL, "%s and %s name different algorithms", conf, other);
        }
        if (other != conf)
            vault__free_ptr(other);
        other = NULL;
    }
    if (rc != 0 || !conf) {
        vault__free_ptr(conf);
        return rc;
    }
    *secret_conf = conf;
    *format = symmetric ? VAULT_FORMAT_WSO2_SYMMETRIC : VAULT_FORMAT_WSO2;
    *transformation = symmetric ? VAULT_TRANSFORM_DEFAULT : t;
    return 0;
}
