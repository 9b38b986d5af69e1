/* SPDX-License-Identifier: Apache-2.0 */
/* Edits on the raw bytes of an XML document (conf_xml_doc.c): spans
 * replaced in order, values escaped for the document's encoding and
 * framed as attribute values or element text. */
#include "conf_xml_doc.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Edits on the raw text                                               */
/* ------------------------------------------------------------------ */

void xdoc_edits_free(edits *e)
{
    size_t i;
    for (i = 0; i < e->n; i++) {
        vault__free_ptr(e->v[i].own);
        vault_secret_free(e->v[i].own_s);
    }
    vault__free_ptr(e->v);
    memset(e, 0, sizeof *e);
}

edit *xdoc_edit_add(edits *e, size_t start, size_t end, int order)
{
    edit *x;
    if (vault__array_grow(&e->v, &e->cap, e->n + 1, sizeof *e->v) != 0)
        return NULL;
    x = &e->v[e->n];
    memset(x, 0, sizeof *x);
    x->start = start;
    x->end = end;
    x->order = order;
    x->seq = e->n++;
    return x;
}

static int edit_cmp(const void *a, const void *b)
{
    const edit *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort the edits and size the result; overlapping edits are a bug. */
int xdoc_edits_prepare(const xdoc *d, edits *e, size_t *total)
{
    size_t i, n = d->len, prev = 0;

    if (e->n > 1)
        qsort(e->v, e->n, sizeof *e->v, edit_cmp);
    for (i = 0; i < e->n; i++) {
        const edit *x = &e->v[i];
        if (x->start < prev || x->end < x->start || x->end > d->len)
            return vault__err(VAULT_ERROR, "%s: overlapping edits", d->name);
        prev = x->end;
        n -= x->end - x->start;
        if (n > SIZE_MAX - x->rep_len - 1)
            return vault__err(VAULT_ENOMEM, "%s: document too large", d->name);
        n += x->rep_len;
    }
    *total = n;
    return 0;
}

void xdoc_edits_apply(const xdoc *d, const edits *e, unsigned char *out)
{
    size_t i, pos = 0, o = 0;
    for (i = 0; i < e->n; i++) {
        const edit *x = &e->v[i];
        memcpy(out + o, d->text + pos, x->start - pos);
        o += x->start - pos;
        if (x->rep_len)
            memcpy(out + o, x->rep, x->rep_len);
        o += x->rep_len;
        pos = x->end;
    }
    memcpy(out + o, d->text + pos, d->len - pos);
    out[o + d->len - pos] = '\0';
}

/* ------------------------------------------------------------------ */
/* Escaping for XML                                                    */
/* ------------------------------------------------------------------ */

static int xml_char_ok(unsigned long c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
           (c >= 0x10000 && c <= 0x10FFFF);
}

/* Escape s for element text (quote 0) or an attribute value quoted with
 * quote; out NULL only measures. Characters the document's encoding may
 * not hold (non-ASCII outside UTF-8) become character references; in
 * attributes tabs and line breaks do too, so that attribute value
 * normalisation gives them back. Returns -1 for invalid UTF-8 or a
 * character XML 1.0 cannot carry. */
int xdoc_xml_escape(const unsigned char *s, size_t n, int utf8, unsigned char quote, unsigned char *out,
                    size_t *out_len)
{
    size_t i = 0, o = 0, k;
    unsigned long c;
    char ref[16];

    while (i < n) {
        const char *rep = NULL;
        if ((k = vault__utf8_next(s + i, n - i, &c)) == 0 || !xml_char_ok(c))
            return -1;
        if (c == '&')
            rep = "&amp;";
        else if (c == '<')
            rep = "&lt;";
        else if (c == '>')
            rep = "&gt;";
        else if (quote && c == quote)
            rep = c == '"' ? "&quot;" : "&apos;";
        else if (c == '\r' || (quote && (c == '\t' || c == '\n')) || (c >= 0x80 && !utf8)) {
            snprintf(ref, sizeof ref, "&#%lu;", c);
            rep = ref;
        }
        if (rep) {
            size_t rl = strlen(rep);
            if (out)
                memcpy(out + o, rep, rl);
            o += rl;
        } else {
            if (out)
                memcpy(out + o, s + i, k);
            o += k;
        }
        i += k;
    }
    *out_len = o;
    return 0;
}

/* The frame of a value replacement: the value alone in place of an
 * attribute value or element content; for <empty/> the "/>" becomes
 * ">value</name>". Writes the frame (out NULL: only measures) around a
 * hole of esc_len bytes at *value_off, and moves the start and end as needed. */
size_t xdoc_value_frame(const xdoc *d, const target *t, size_t esc_len, unsigned char *out,
                        size_t *value_off, size_t *start, size_t *end)
{
    const xspan *s = &d->spans[t->index];
    size_t qn = s->name_end - s->start - 1;

    *value_off = 0;
    if (t->attr || !s->empty)
        return esc_len;
    *start = s->tag_end - 2;
    *end = s->tag_end;
    *value_off = 1;
    if (out) {
        out[0] = '>';
        memcpy(out + 1 + esc_len, "</", 2);
        memcpy(out + 3 + esc_len, d->text + s->start + 1, qn);
        out[3 + esc_len + qn] = '>';
    }
    return esc_len + qn + 4;
}

/* The raw span of a target's value, and the quote of an attribute value
 * (0 for element text). */
int xdoc_target_span(const xdoc *d, const target *t, size_t *start, size_t *end, unsigned char *quote)
{
    rattr a;
    int rc;

    *quote = 0;
    if (t->attr) {
        if ((rc = xdoc_find_raw_attr(d, t->index, t->attr, &a)) != 0)
            return rc;
        *start = a.value;
        *end = a.value + a.value_len;
        *quote = a.quote;
    } else {
        *start = d->spans[t->index].tag_end;
        *end = d->spans[t->index].content_end;
    }
    return 0;
}
