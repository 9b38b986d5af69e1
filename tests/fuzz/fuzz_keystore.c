/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the keystore readers (PKCS#12, JKS, JCEKS, PEM, DER).
 *
 * Input: byte 0 picks the type (byte % 6: AUTO, PKCS12, JKS, JCEKS, PEM,
 * CERT) and the store password (byte / 6), byte 1 the key password (low 7
 * bits); the rest is the keystore. The passwords are those of the seed
 * keystores. Unless bit 7 of byte 1 is set, the store's integrity hash
 * (JKS, JCEKS) or MAC (PKCS#12) is recomputed with the store password
 * before the store is read: mutations then reach the entry parsers, which
 * only run on intact stores. Every entry is then described and every key
 * unlocked; an entry that its own alias does not find is an invariant
 * broken (abort()).
 */
#include <vault/keystore.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const vault_keystore_type types[] = {
    VAULT_KEYSTORE_AUTO,  VAULT_KEYSTORE_PKCS12, VAULT_KEYSTORE_JKS,
    VAULT_KEYSTORE_JCEKS, VAULT_KEYSTORE_PEM,    VAULT_KEYSTORE_CERT,
};

/* Store passwords of the seed keystores; tests/fuzz/seeds.sh prefixes each
 * seed with its index here. 7 is 'pässwörd-密码', 8 'ლ(ಠ益ಠლ)'. */
static const char *const store_passwords[] = {
    "changeit",
    "12345678",
    "wso2carbon",
    "password",
    "store_password",
    "",
    "trustpass",
    "p\xC3\xA4ssw\xC3\xB6rd-\xE5\xAF\x86\xE7\xA0\x81",
    "\xE1\x83\x9A(\xE0\xB2\xA0\xE7\x9B\x8A\xE0\xB2\xA0\xE1\x83\x9A)",
    NULL,
};

/* Key passwords; NULL: none of its own (the store password is used).
 * 4 is 'ключ-пароль'. */
static const char *const key_passwords[] = {
    NULL,
    "private_password",
    "secret_password",
    "keypassword",
    "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87-\xD0\xBF\xD0\xB0\xD1\x80\xD0\xBE\xD0\xBB\xD1\x8C",
    "wso2carbon",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define NO_FIXUP 0x80
#define JKS_HASH_LEN 20

/* The password as Java hashes it: UTF-16BE. The table holds BMP
 * characters only (one to three UTF-8 bytes each). */
static size_t utf16be(const char *pw, unsigned char *out)
{
    const unsigned char *s = (const unsigned char *)pw;
    size_t o = 0;
    unsigned cp;

    while (*s) {
        if (*s < 0x80) {
            cp = *s++;
        } else if (*s < 0xE0) {
            cp = (unsigned)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
            s += 2;
        } else {
            cp = (unsigned)(s[0] & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
            s += 3;
        }
        out[o++] = (unsigned char)(cp >> 8);
        out[o++] = (unsigned char)cp;
    }
    return o;
}

/* JKS/JCEKS: the last 20 bytes are SHA-1(password as UTF-16BE || "Mighty
 * Aphrodite" || everything before them). */
static void fix_jks_hash(uint8_t *d, size_t n, const char *pw)
{
    static const char whitener[] = "Mighty Aphrodite";
    unsigned char pw16[128];
    size_t n16 = utf16be(pw, pw16);
    EVP_MD_CTX *ctx;

    if (n < 12 + JKS_HASH_LEN ||
        (memcmp(d, "\xFE\xED\xFE\xED", 4) != 0 && memcmp(d, "\xCE\xCE\xCE\xCE", 4) != 0))
        return;
    ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) || !EVP_DigestUpdate(ctx, pw16, n16) ||
        !EVP_DigestUpdate(ctx, whitener, sizeof whitener - 1) ||
        !EVP_DigestUpdate(ctx, d, n - JKS_HASH_LEN) || !EVP_DigestFinal_ex(ctx, d + n - JKS_HASH_LEN, NULL))
        abort();
    EVP_MD_CTX_free(ctx);
}

/* PKCS#12: the MAC again, with the file's salt and digest and one
 * iteration (the file's count would cost as much again as the library's
 * check). Returns the re-encoded file, or NULL to leave the input as it is. */
static unsigned char *fix_pkcs12_mac(const uint8_t *d, size_t n, const char *pw, size_t *out_len)
{
    const unsigned char *p = d;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)n);
    const ASN1_OCTET_STRING *salt = NULL;
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *oid = NULL;
    const EVP_MD *md;
    unsigned char salt_copy[64], *out = NULL, *q;
    int len;

    if (!p12 || p != d + n || !PKCS12_mac_present(p12))
        goto done;
    PKCS12_get0_mac(NULL, &alg, &salt, NULL, p12);
    X509_ALGOR_get0(&oid, NULL, NULL, alg);
    md = EVP_get_digestbyobj(oid);
    if (!md || !salt || ASN1_STRING_length(salt) < 1 || ASN1_STRING_length(salt) > (int)sizeof salt_copy)
        goto done;
    memcpy(salt_copy, ASN1_STRING_get0_data(salt), (size_t)ASN1_STRING_length(salt));
    if (!PKCS12_set_mac(p12, pw, (int)strlen(pw), salt_copy, ASN1_STRING_length(salt), 1, md))
        goto done;
    len = i2d_PKCS12(p12, NULL);
    if (len <= 0 || !(out = malloc((size_t)len)))
        goto done;
    q = out;
    *out_len = (size_t)i2d_PKCS12(p12, &q);
done:
    PKCS12_free(p12);
    ERR_clear_error();
    return out;
}

/* A copy of the keystore bytes with the integrity check made to pass. */
static unsigned char *fixed_copy(const uint8_t *d, size_t n, const char *pw, size_t *out_len)
{
    unsigned char *out;

    if (pw && (out = fix_pkcs12_mac(d, n, pw, out_len)) != NULL)
        return out;
    out = malloc(n ? n : 1);
    if (!out)
        abort();
    memcpy(out, d, n);
    *out_len = n;
    if (pw)
        fix_jks_hash(out, n, pw);
    return out;
}

/* Aliases are unique (case-insensitively), so each finds its own entry. */
static void check_entry(const vault_keystore *ks, const vault_keystore_entry *e)
{
    const vault_keystore_entry *found = NULL;

    if (!e->alias || vault_keystore_find(&found, ks, e->alias) != 0 || found != e) {
        fprintf(stderr, "fuzz_keystore: entry \"%s\" is not found by its alias\n",
                e->alias ? e->alias : "(null)");
        abort();
    }
    if (e->has_certificate && (!e->subject || !e->issuer || !e->serial)) {
        fprintf(stderr, "fuzz_keystore: entry \"%s\": certificate without subject, issuer or serial\n",
                e->alias);
        abort();
    }
}

static void exercise_entry(vault_keystore *ks, const vault_keystore_entry *e)
{
    const unsigned char *cert;
    unsigned char *der = NULL;
    vault_secret *key = NULL;
    size_t i, len;

    check_entry(ks, e);
    for (i = 0; i < e->chain_length; i++)
        (void)vault_keystore_cert_der(&cert, &len, ks, e->alias, i);
    if (e->kind == VAULT_ENTRY_PRIVATE_KEY) {
        (void)vault_keystore_public_key_der(&der, &len, ks, e->alias);
        vault_string_free((char *)der);
    } else if (e->kind == VAULT_ENTRY_SECRET_KEY) {
        (void)vault_keystore_secret_key(&key, ks, e->alias);
        vault_secret_free(key);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vault_keystore_options opts = VAULT_KEYSTORE_OPTIONS_INIT;
    vault_passwords pw;
    vault_keystore *ks = NULL;
    const vault_keystore_entry *e;
    unsigned char *store;
    size_t i, n, len = 0;
    int rc;

    if (size < 2)
        return 0;
    opts.type = types[data[0] % COUNT(types)];
    pw.store = store_passwords[(size_t)(data[0] / COUNT(types)) % COUNT(store_passwords)];
    pw.key = key_passwords[(data[1] & ~NO_FIXUP) % COUNT(key_passwords)];
    opts.password = vault_password_fixed;
    opts.payload = &pw;
    store = fixed_copy(data + 2, size - 2, data[1] & NO_FIXUP ? NULL : pw.store, &len);
    rc = vault_keystore_open_memory(&ks, store, len, "fuzz.ks", &opts);
    free(store);
    if (rc != 0)
        return 0;
    (void)vault_keystore_get_type(ks);
    n = vault_keystore_count(ks);
    for (i = 0; i < n; i++)
        if (vault_keystore_entry_at(&e, ks, i) == 0)
            exercise_entry(ks, e);
    (void)vault_keystore_find(&e, ks, NULL);
    (void)vault_keystore_verify(ks, ks, NULL, 0, VAULT_VERIFY_NO_TIME);
    vault_keystore_free(ks);
    return 0;
}
