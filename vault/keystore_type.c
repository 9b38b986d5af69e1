/* SPDX-License-Identifier: Apache-2.0 */
/* Keystore types: their names and sniffing a container's type from its
 * first bytes. */
#include "keystore_internal.h"

#include <string.h>

static const char *const type_names[] = {"AUTO", "PKCS12", "JKS", "JCEKS", "PEM", "CERT", "DIR",
                                          "PKCS11", "TPM2"};

const char *vault_keystore_type_name(vault_keystore_type type)
{
    if ((unsigned)type < sizeof type_names / sizeof type_names[0])
        return type_names[type];
    return "unknown";
}

int vault_keystore_type_from_name(vault_keystore_type *out, const char *name)
{
    static const struct { const char *name; vault_keystore_type type; } names[] = {
        {"auto", VAULT_KEYSTORE_AUTO}, {"pkcs12", VAULT_KEYSTORE_PKCS12},
        {"p12", VAULT_KEYSTORE_PKCS12}, {"pfx", VAULT_KEYSTORE_PKCS12},
        {"jks", VAULT_KEYSTORE_JKS}, {"jceks", VAULT_KEYSTORE_JCEKS},
        {"pem", VAULT_KEYSTORE_PEM}, {"cert", VAULT_KEYSTORE_CERT},
        {"der", VAULT_KEYSTORE_CERT}, {"crt", VAULT_KEYSTORE_CERT}, {"dir", VAULT_KEYSTORE_DIR},
        {"pkcs11", VAULT_KEYSTORE_PKCS11}, {"tpm2", VAULT_KEYSTORE_TPM2},
    };
    size_t i;
    if (!out || !name)
        return vault__err(VAULT_EINVAL, "vault_keystore_type_from_name: %s is NULL", out ? "name" : "out");
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (vault__strcaseeq(name, names[i].name)) {
            *out = names[i].type;
            return 0;
        }
    return vault__err(VAULT_EFORMAT, "unknown keystore type \"%.64s\"", name);
}

static int skip_space(const unsigned char *d, size_t n, size_t *i)
{
    /* A UTF-8 byte order mark and blank space may precede a PEM header. */
    if (n >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
        *i = 3;
    while (*i < n && (d[*i] == ' ' || d[*i] == '\t' || d[*i] == '\r' || d[*i] == '\n'))
        (*i)++;
    return *i < n;
}

/* Text before the first PEM block, as `openssl x509 -text` writes it
 * ("Certificate: Data: ..."): printable text up to a line that starts
 * "-----BEGIN ". Binary data never qualifies: a NUL or other control byte
 * before the line ends the search. */
static int pem_after_text(const unsigned char *d, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char ch = d[i];
        if ((i == 0 || d[i - 1] == '\n') && n - i >= 11 && memcmp(d + i, "-----BEGIN ", 11) == 0)
            return 1;
        if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t')
            return 0;
        if (ch == 0x7F)
            return 0;
    }
    return 0;
}

vault_keystore_type ks_sniff(const unsigned char *d, size_t n, const char **unsupported)
{
    size_t i = 0;

    *unsupported = NULL;
    if (n >= 4 && d[0] == 0xFE && d[1] == 0xED && d[2] == 0xFE && d[3] == 0xED)
        return VAULT_KEYSTORE_JKS;
    if (n >= 4 && d[0] == 0xCE && d[1] == 0xCE && d[2] == 0xCE && d[3] == 0xCE)
        return VAULT_KEYSTORE_JCEKS;
    /* BKS and UBER (Bouncy Castle): a 4-byte version 1 or 2, then a
     * 4-byte salt length, typically 20. */
    if (n >= 8 && d[0] == 0 && d[1] == 0 && d[2] == 0 && (d[3] == 1 || d[3] == 2) && d[4] == 0 &&
        d[5] == 0 && d[6] == 0 && d[7] > 0 && d[7] <= 64) {
        *unsupported = "BKS/UBER (Bouncy Castle)";
        return VAULT_KEYSTORE_AUTO;
    }
    if (skip_space(d, n, &i) && n - i >= 10 && memcmp(d + i, "-----BEGIN", 10) == 0)
        return VAULT_KEYSTORE_PEM;
    if (pem_after_text(d, n))
        return VAULT_KEYSTORE_PEM;
    if (n >= 4 && d[0] == 0x30) {
        /* DER: a PKCS#12 PFX starts SEQUENCE { INTEGER 3, ...}, a
         * certificate SEQUENCE { SEQUENCE tbsCertificate, ...}. */
        size_t hdr = 2;
        if (d[1] & 0x80)
            hdr += d[1] & 0x7F;
        if (hdr < n && d[hdr] == 0x02)
            return VAULT_KEYSTORE_PKCS12;
        if (hdr < n && d[hdr] == 0x30)
            return VAULT_KEYSTORE_CERT;
    }
    return VAULT_KEYSTORE_AUTO;
}
