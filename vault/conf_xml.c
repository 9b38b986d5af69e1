/* SPDX-License-Identifier: Apache-2.0 */
/* Marked XML secrets: listing the elements marked with svns:secretAlias,
 * expanding them with their resolved values, and reading one XPath value.
 * The document model is conf_xml_doc.c; the edits conf_xml_edit.c. */
#include "conf_xml_doc.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Marked elements: listing and expanding                              */
/* ------------------------------------------------------------------ */

struct vault_xml_marks {
    vault_xml_mark *v;
    size_t n, cap;
};

/* Which value of a marked element is the secret (see vault_xml_marked()). */
static int marked_target(const xdoc *d, size_t i, xmlAttrPtr alias_a, target *t)
{
    xmlNodePtr elem = d->nodes[i];
    xmlAttrPtr a, found = NULL;
    xmlChar *v;
    int children = xdoc_has_child_elements(elem), text_is_placeholder = 0, count = 0;

    memset(t, 0, sizeof *t);
    t->elem = elem;
    t->index = i;
    if (!children) {
        v = xdoc_value_of(elem, NULL);
        text_is_placeholder = v && strcmp((const char *)v, PLACEHOLDER) == 0;
        xdoc_value_free(v);
        if (text_is_placeholder)
            return 0;
    }
    for (a = elem->properties; a; a = a->next) {
        if (a == alias_a)
            continue;
        v = xdoc_value_of(NULL, a);
        if (v && strcmp((const char *)v, PLACEHOLDER) == 0) {
            found = a;
            count++;
        }
        xdoc_value_free(v);
    }
    if (count == 1) {
        t->attr = found;
        return 0;
    }
    if (!children && count == 0)
        return 0;
    return vault__err(VAULT_EFORMAT, "%s:%u: cannot tell which value of element '%s' is the secret", d->name,
                     xdoc_line_of(d, d->spans[i].start), (const char *)elem->name);
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (vault__array_grow(buf, cap, *len + n + 1, 1) != 0)
        return -1;
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int append_qname(char **buf, size_t *len, size_t *cap, const xmlNs *ns, const xmlChar *name)
{
    if (ns && ns->prefix &&
        (append(buf, len, cap, (const char *)ns->prefix, strlen((const char *)ns->prefix)) ||
         append(buf, len, cap, ":", 1)))
        return -1;
    return append(buf, len, cap, (const char *)name, strlen((const char *)name));
}

static int same_qname(xmlNodePtr a, xmlNodePtr b)
{
    const xmlChar *pa = a->ns ? a->ns->prefix : NULL, *pb = b->ns ? b->ns->prefix : NULL;
    return b->type == XML_ELEMENT_NODE && xmlStrEqual(a->name, b->name) && xmlStrEqual(pa, pb);
}

/* "/a/b[2]/c": one step per ancestor, with a position where siblings share
 * the name. */
static int step(char **buf, size_t *len, size_t *cap, xmlNodePtr n)
{
    xmlNodePtr s;
    size_t pos = 1, same = 0;
    char idx[32];

    if (n->parent && n->parent->type == XML_ELEMENT_NODE && step(buf, len, cap, n->parent) != 0)
        return -1;
    for (s = n->parent ? n->parent->children : n; s; s = s->next) {
        if (s == n)
            pos = same + 1;
        if (same_qname(n, s))
            same++;
    }
    if (append(buf, len, cap, "/", 1) || append_qname(buf, len, cap, n->ns, n->name))
        return -1;
    if (same > 1) {
        snprintf(idx, sizeof idx, "[%zu]", pos);
        return append(buf, len, cap, idx, strlen(idx));
    }
    return 0;
}

/* An attribute is the target only when it holds the placeholder
 * (marked_target()); the text is compared. */
static int holds_placeholder(const target *t)
{
    xmlChar *v;
    int yes;

    if (t->attr)
        return 1;
    v = xdoc_value_of(t->elem, NULL);
    yes = v && strcmp((const char *)v, PLACEHOLDER) == 0;
    xdoc_value_free(v);
    return yes;
}

static int mark_record(const xdoc *d, vault_xml_marks *m, const target *t, const xmlChar *alias)
{
    vault_xml_mark *x;
    char *path = NULL, *attr = NULL;
    size_t len = 0, cap = 0, alen = 0, acap = 0;

    if (vault__array_grow(&m->v, &m->cap, m->n + 1, sizeof *m->v) != 0 ||
        step(&path, &len, &cap, t->elem) != 0 ||
        (t->attr &&
         (append(&path, &len, &cap, "/@", 2) || append_qname(&path, &len, &cap, t->attr->ns, t->attr->name) ||
          append_qname(&attr, &alen, &acap, t->attr->ns, t->attr->name))))
        goto nomem;
    x = &m->v[m->n];
    memset(x, 0, sizeof *x);
    if (!(x->alias = vault__strdup((const char *)alias)))
        goto nomem;
    x->path = path;
    x->attribute = attr;
    x->line = xdoc_line_of(d, d->spans[t->index].start);
    x->placeholder = holds_placeholder(t);
    m->n++;
    return 0;
nomem:
    vault__free_ptr(path);
    vault__free_ptr(attr);
    return vault__oom();
}

void vault_xml_marks_free(vault_xml_marks *marks)
{
    size_t i;
    if (!marks)
        return;
    for (i = 0; i < marks->n; i++) {
        vault__free_ptr((char *)marks->v[i].alias);
        vault__free_ptr((char *)marks->v[i].path);
        vault__free_ptr((char *)marks->v[i].attribute);
    }
    vault__free_ptr(marks->v);
    vault__free_ptr(marks);
}

size_t vault_xml_marks_count(const vault_xml_marks *marks)
{
    return marks ? marks->n : 0;
}

int vault_xml_marks_at(const vault_xml_mark **out, const vault_xml_marks *marks, size_t i)
{
    if (!out)
        return vault__err(VAULT_EINVAL, "vault_xml_marks_at: out is NULL");
    *out = NULL;
    if (!marks)
        return vault__err(VAULT_EINVAL, "vault_xml_marks_at: marks is NULL");
    if (i >= marks->n)
        return vault__err(VAULT_ENOTFOUND, "no marked element %zu (%zu marked)", i, marks->n);
    *out = &marks->v[i];
    return 0;
}

typedef int (*mark_fn)(const xdoc *d, const target *t, const xmlChar *alias, void *ctx);

/* Call fn for every marked element in document order. */
static int for_each_mark(const xdoc *d, mark_fn fn, void *ctx)
{
    size_t i;
    xmlAttrPtr a;
    xmlChar *alias;
    target t;
    int rc = 0;

    for (i = 0; i < d->count && rc == 0; i++) {
        if (!(a = xdoc_alias_attr(d->nodes[i])))
            continue;
        if (!(alias = xdoc_value_of(NULL, a)))
            return vault__oom();
        if ((rc = marked_target(d, i, a, &t)) == 0)
            rc = fn(d, &t, alias, ctx);
        xmlFree(alias);
    }
    return rc;
}

static int record_mark(const xdoc *d, const target *t, const xmlChar *alias, void *ctx)
{
    return mark_record(d, ctx, t, alias);
}

int vault_xml_marked(vault_xml_marks **out, const void *xml, size_t len, const char *name)
{
    vault_xml_marks *m = NULL;
    xdoc d;
    int rc;

    memset(&d, 0, sizeof d);
    if (!out || !xml)
        return vault__err(VAULT_EINVAL, "vault_xml_marked: invalid argument");
    *out = NULL;
    name = name ? name : "(xml)";
    if (!(m = vault__calloc(1, sizeof *m))) {
        rc = vault__oom();
        goto done;
    }
    if ((rc = xdoc_load(&d, name, xml, len, NULL)) != 0 || (rc = for_each_mark(&d, record_mark, m)) != 0)
        goto done;
    *out = m;
    m = NULL;
done:
    vault_xml_marks_free(m);
    xdoc_free(&d);
    return rc;
}

typedef struct expand_ctx {
    edits e;
    vault_xml_resolve_cb resolve;
    void *payload;
} expand_ctx;

/* Resolve one alias and plan the replacement, built in guarded memory. */
static int expand_one(const xdoc *d, const target *t, const xmlChar *alias, void *ctx)
{
    expand_ctx *x = ctx;
    vault_secret *value = NULL, *rep = NULL;
    unsigned char *p = NULL, quote;
    size_t start, end, esc_len = 0, n, off;
    edit *ed;
    int rc;

    if ((rc = xdoc_target_span(d, t, &start, &end, &quote)) != 0)
        return rc;
    if ((rc = x->resolve((const char *)alias, &value, x->payload)) != 0 || !value) {
        const vault_error *le = vault_error_last();
        rc = rc ? rc : VAULT_ERROR;
        return vault__err(rc, "%s:%u: cannot resolve alias '%s': %s", d->name,
                         xdoc_line_of(d, d->spans[t->index].start), (const char *)alias,
                         le && le->message ? le->message : vault_strerror(rc));
    }
    if (xdoc_xml_escape(vault_secret_data(value), vault_secret_len(value), d->utf8, quote, NULL,
                        &esc_len) != 0) {
        rc = vault__err(VAULT_EFORMAT, "%s: the value of alias '%s' is not valid UTF-8 XML text", d->name,
                       (const char *)alias);
        goto done;
    }
    n = xdoc_value_frame(d, t, esc_len, NULL, &off, &start, &end);
    if ((rc = vault__secret_alloc(&rep, n, &p)) != 0)
        goto done;
    xdoc_value_frame(d, t, esc_len, p, &off, &start, &end);
    xdoc_xml_escape(vault_secret_data(value), vault_secret_len(value), d->utf8, quote, p + off, &esc_len);
    vault__secret_seal(rep);
    if (!(ed = xdoc_edit_add(&x->e, start, end, 2))) {
        rc = vault__oom();
        goto done;
    }
    ed->own_s = rep;
    ed->rep = vault_secret_data(rep);
    ed->rep_len = n;
    rep = NULL;
done:
    vault_secret_free(rep);
    vault_secret_free(value);
    return rc;
}

int vault_xml_expand(vault_secret **out, const void *xml, size_t len, const char *name,
                     vault_xml_resolve_cb resolve, void *payload)
{
    expand_ctx x;
    xdoc d;
    unsigned char *p;
    size_t total = 0;
    int rc;

    memset(&x, 0, sizeof x);
    memset(&d, 0, sizeof d);
    if (out)
        *out = NULL;
    if (!out || !xml || !resolve)
        return vault__err(VAULT_EINVAL, "vault_xml_expand: invalid argument");
    name = name ? name : "(xml)";
    x.resolve = resolve;
    x.payload = payload;
    if ((rc = xdoc_load(&d, name, xml, len, NULL)) != 0 || (rc = for_each_mark(&d, expand_one, &x)) != 0 ||
        (rc = xdoc_edits_prepare(&d, &x.e, &total)) != 0 || (rc = vault__secret_alloc(out, total, &p)) != 0)
        goto done;
    xdoc_edits_apply(&d, &x.e, p);
    vault__secret_seal(*out);
done:
    xdoc_edits_free(&x.e);
    xdoc_free(&d);
    return rc;
}

int vault_xml_value(char **out, const void *xml, size_t len, const char *name, const char *xpath)
{
    xdoc d;
    xmlXPathObjectPtr res = NULL;
    xmlChar *text = NULL;
    int rc;

    if (!out || !xml || !name || !xpath)
        return vault__err(VAULT_EINVAL, "vault_xml_value: invalid argument");
    *out = NULL;
    rc = xdoc_load(&d, name, xml, len, xpath);
    if (rc == 0)
        rc = xdoc_eval_xpath(&d, xpath, xpath, &res);
    if (rc == 0 && (res->type != XPATH_NODESET || !res->nodesetval || res->nodesetval->nodeNr == 0))
        rc = VAULT_ENOTFOUND;
    if (rc == 0) {
        text = xmlNodeGetContent(res->nodesetval->nodeTab[0]);
        *out = text ? vault__strdup((const char *)text) : vault__strdup("");
        if (!*out)
            rc = vault__oom();
    }
    xmlFree(text);
    xmlXPathFreeObject(res);
    xdoc_free(&d);
    return rc;
}
