/* SPDX-License-Identifier: Apache-2.0 */
/* References expanded with an open vault's secrets: $secret{alias} in a
 * text, a whole "secretAlias:alias" text, and XML elements marked
 * svns:secretAlias (vault_expand, vault_expand_xml). */
#include "runtime_internal.h"

#include <stdint.h>
#include <string.h>

static const char ref_open[] = "$secret{";
static const char whole_prefix[] = "secretAlias:";
#define REF_OPEN_LEN (sizeof ref_open - 1)

/* The reference at text[i], as conf_scan_refs() reads it: the alias runs to
 * the first '}' on the line and is not empty. 0 when there is none. */
static size_t ref_at(const char *text, size_t n, size_t i, size_t *alias_len)
{
    size_t j;
    if (n - i <= REF_OPEN_LEN || memcmp(text + i, ref_open, REF_OPEN_LEN) != 0)
        return 0;
    for (j = i + REF_OPEN_LEN; j < n && text[j] != '}' && text[j] != '\n' && text[j] != '\r'; j++)
        ;
    if (j >= n || text[j] != '}' || j == i + REF_OPEN_LEN)
        return 0;
    *alias_len = j - i - REF_OPEN_LEN;
    return j + 1 - i;
}

/* Two passes over the text: the first resolves every reference and sums the
 * length, the second copies into guarded memory. With fill NULL it is the
 * first pass. */
static int expand_pass(const vault *v, const char *text, size_t n, unsigned char *fill, size_t *total)
{
    size_t i = 0, w = 0;

    while (i < n) {
        const unsigned char *data;
        size_t len, alen = 0, span = text[i] == '$' ? ref_at(text, n, i, &alen) : 0;
        int rc;
        if (span == 0) {
            if (fill)
                fill[w] = (unsigned char)text[i];
            w++;
            i++;
            continue;
        }
        if ((rc = rt_secret_bytes(v, text + i + REF_OPEN_LEN, alen, &data, &len)) != 0)
            return rc;
        if (len > SIZE_MAX / 2 - w)
            return vault__err(VAULT_ENOMEM, "expanded text too large");
        if (fill && len > 0)
            memcpy(fill + w, data, len);
        w += len;
        i += span;
    }
    *total = w;
    return 0;
}

/* "secretAlias:alias" as the whole text, perhaps with one line ending (a
 * one-line file): the secret, with the same line ending. 1 when the text
 * is not of that form. */
static int expand_whole(const vault *v, const char *text, size_t n, vault_secret **out)
{
    const size_t plen = sizeof whole_prefix - 1;
    const char *alias = text + plen;
    const unsigned char *secret;
    unsigned char *data;
    size_t alen, len, eol = 0;
    int rc;

    if (n <= plen || memcmp(text, whole_prefix, plen) != 0)
        return 1;
    alen = n - plen;
    if (alias[alen - 1] == '\n')
        eol = alen >= 2 && alias[alen - 2] == '\r' ? 2 : 1;
    alen -= eol;
    if (alen == 0 || memchr(alias, '\n', alen) || memchr(alias, '\r', alen))
        return 1;
    if ((rc = rt_secret_bytes(v, alias, alen, &secret, &len)) != 0)
        return rc;
    if ((rc = vault__secret_alloc(out, len + eol, &data)) != 0)
        return rc;
    if (len > 0)
        memcpy(data, secret, len);
    memcpy(data + len, alias + alen, eol);
    vault__secret_seal(*out);
    return 0;
}

int vault_expand(vault_secret **out, const vault *v, const char *text)
{
    unsigned char *data;
    size_t n, total = 0;
    int rc;

    if (!out)
        return vault__err(VAULT_EINVAL, "vault_expand: out is NULL");
    *out = NULL;
    if (!v || !text)
        return vault__err(VAULT_EINVAL, "vault_expand: invalid argument");
    n = strlen(text);
    if ((rc = expand_whole(v, text, n, out)) <= 0)
        return rc;
    if ((rc = expand_pass(v, text, n, NULL, &total)) != 0)
        return rc;
    if ((rc = vault__secret_alloc(out, total, &data)) != 0)
        return rc;
    rc = expand_pass(v, text, n, data, &total);
    vault__secret_seal(*out);
    if (rc != 0) {
        vault_secret_free(*out);
        *out = NULL;
    }
    return rc;
}

static int xml_resolve(const char *alias, vault_secret **out, void *payload)
{
    return vault_get(out, payload, alias);
}

int vault_expand_xml(vault_secret **out, const vault *v, const void *xml, size_t len, const char *name)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_expand_xml: out is NULL");
    *out = NULL;
    if (!v || (!xml && len > 0))
        return vault__err(VAULT_EINVAL, "vault_expand_xml: invalid argument");
    return vault_xml_expand(out, xml, len, name, xml_resolve, (void *)v);
}
