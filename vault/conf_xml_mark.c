/* SPDX-License-Identifier: Apache-2.0 */
/* Marking an XML secret the WSO2 secure vault way: the element or
 * attribute an XPath selects gets svns:secretAlias and its value the
 * placeholder; the edited document is parsed again and checked before it
 * is returned. */
#include "conf_xml_doc.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Marking                                                             */
/* ------------------------------------------------------------------ */

static int target_of(const xdoc *d, xmlNodePtr node, const char *attr_name, const char *xpath,
                     const char *alias, target *t)
{
    xmlAttrPtr a;

    memset(t, 0, sizeof *t);
    if (node->type == XML_ATTRIBUTE_NODE) {
        t->elem = node->parent;
        t->attr = (xmlAttrPtr)node;
    } else if (node->type == XML_ELEMENT_NODE) {
        t->elem = node;
        if (attr_name) {
            for (a = node->properties; a && !xdoc_attr_qname_is(a, attr_name); a = a->next)
                ;
            if (!a)
                return vault__err(VAULT_ENOTFOUND,
                                 "%s: element '%s' selected by '%s' has no attribute '%s' (alias '%s')",
                                 d->name, (const char *)node->name, xpath, attr_name, alias);
            t->attr = a;
        }
    } else {
        return vault__err(VAULT_EFORMAT,
                         "%s: xpath '%s' for alias '%s' selects something other than elements or attributes",
                         d->name, xpath, alias);
    }
    if (!t->elem || !t->elem->_private)
        return vault__err(VAULT_EFORMAT,
                         "%s: xpath '%s' for alias '%s' selects an element from an entity, which cannot be "
                         "edited in place",
                         d->name, xpath, alias);
    t->index = (size_t)(uintptr_t)t->elem->_private - 1;
    return 0;
}

/* The nodes the xpath selects, as targets; each element at most once. */
static int locate(const xdoc *d, const char *xpath, int attribute, const char *alias, target **out, size_t *n)
{
    xmlXPathObjectPtr res = NULL;
    char *attr_name = NULL;
    size_t as, al, i, j, k = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (attribute) {
        if (xdoc_xpath_attribute(xpath, &as, &al) != 0)
            return vault__err(VAULT_EFORMAT,
                             "%s: xpath '%s' for alias '%s' names no attribute (expected a last [@name])",
                             d->name, xpath, alias);
        if (!(attr_name = vault__strndup(xpath + as, al)))
            return vault__oom();
    }
    if ((rc = xdoc_eval_xpath(d, xpath, alias, &res)) != 0)
        goto done;
    if (res->type != XPATH_NODESET) {
        rc = vault__err(VAULT_EFORMAT, "%s: xpath '%s' for alias '%s' does not select elements", d->name,
                       xpath, alias);
        goto done;
    }
    if (!res->nodesetval || res->nodesetval->nodeNr <= 0) {
        rc = vault__err(VAULT_ENOTFOUND, "%s: no element matches xpath '%s' (alias '%s')", d->name, xpath,
                       alias);
        goto done;
    }
    if (!(*out = vault__calloc((size_t)res->nodesetval->nodeNr, sizeof **out))) {
        rc = vault__oom();
        goto done;
    }
    for (i = 0; i < (size_t)res->nodesetval->nodeNr; i++, k++) {
        if ((rc = target_of(d, res->nodesetval->nodeTab[i], attr_name, xpath, alias, &(*out)[k])) != 0)
            goto done;
        for (j = 0; j < k; j++)
            if ((*out)[j].index == (*out)[k].index) {
                rc = vault__err(VAULT_EFORMAT,
                               "%s: xpath '%s' for alias '%s' selects two values of one element", d->name,
                               xpath, alias);
                goto done;
            }
    }
    *n = k;
done:
    if (rc != 0) {
        vault__free_ptr(*out);
        *out = NULL;
    }
    xmlXPathFreeObject(res);
    vault__free_ptr(attr_name);
    return rc;
}

/* ` svns:secretAlias="alias"` (order 1) and, once, the namespace
 * declaration on the root element (order 0). */
static int add_alias_edit(const xdoc *d, edits *e, const target *t, const char *alias, int *ns_added)
{
    static const char ns_decl[] = " xmlns:svns=\"" VAULT_XML_SECUREVAULT_NS "\"";
    static const char pre[] = " svns:" SECRET_ALIAS "=\"";
    xmlNsPtr ns = xmlSearchNs(d->doc, t->elem, BAD_CAST "svns");
    size_t alen = strlen(alias), esc_len;
    unsigned char *buf;
    edit *x;

    if (ns && !xmlStrEqual(ns->href, BAD_CAST VAULT_XML_SECUREVAULT_NS))
        return vault__err(VAULT_EFORMAT,
                         "%s: prefix svns is bound to another namespace (%s); cannot mark alias '%s'",
                         d->name, (const char *)ns->href, alias);
    if (xdoc_raw_attr_named(d, t->index, "svns:" SECRET_ALIAS))
        return vault__err(VAULT_EFORMAT,
                         "%s: element '%s' has an svns:secretAlias outside the secure vault namespace; "
                         "cannot mark alias '%s'",
                         d->name, (const char *)t->elem->name, alias);
    if (!ns && !*ns_added) {
        if (!(x = xdoc_edit_add(e, d->spans[0].attrs_end, d->spans[0].attrs_end, 0)))
            return vault__oom();
        x->rep = (const unsigned char *)ns_decl;
        x->rep_len = sizeof ns_decl - 1;
        *ns_added = 1;
    }
    if (xdoc_xml_escape((const unsigned char *)alias, alen, d->utf8, '"', NULL, &esc_len) != 0)
        return vault__err(VAULT_EFORMAT, "%s: alias '%s' is not valid UTF-8 XML text", d->name, alias);
    buf = vault__malloc(sizeof pre - 1 + esc_len + 1);
    if (!buf || !(x = xdoc_edit_add(e, d->spans[t->index].attrs_end, d->spans[t->index].attrs_end, 1))) {
        vault__free_ptr(buf);
        return vault__oom();
    }
    memcpy(buf, pre, sizeof pre - 1);
    xdoc_xml_escape((const unsigned char *)alias, alen, d->utf8, '"', buf + sizeof pre - 1, &esc_len);
    buf[sizeof pre - 1 + esc_len] = '"';
    x->own = buf;
    x->rep = buf;
    x->rep_len = sizeof pre - 1 + esc_len + 1;
    return 0;
}

static int add_placeholder_edit(const xdoc *d, edits *e, const target *t)
{
    size_t start, end, n, off, plen = sizeof PLACEHOLDER - 1;
    unsigned char *buf, quote;
    edit *x;
    int rc;

    if ((rc = xdoc_target_span(d, t, &start, &end, &quote)) != 0)
        return rc;
    n = xdoc_value_frame(d, t, plen, NULL, &off, &start, &end);
    buf = vault__malloc(n);
    if (!buf || !(x = xdoc_edit_add(e, start, end, 2))) {
        vault__free_ptr(buf);
        return vault__oom();
    }
    xdoc_value_frame(d, t, plen, buf, &off, &start, &end);
    memcpy(buf + off, PLACEHOLDER, plen);
    x->own = buf;
    x->rep = buf;
    x->rep_len = n;
    return 0;
}

static int is_placeholder(xmlNodePtr elem, xmlAttrPtr attr)
{
    xmlChar *v = xdoc_value_of(elem, attr);
    int yes = v && strcmp((const char *)v, PLACEHOLDER) == 0;
    xdoc_value_free(v);
    return yes;
}

/* A marked element's secret is found by the placeholder (see
 * marked_target()): an attribute cannot be marked while the element's text
 * or another of its attributes also holds it. */
static int check_attr_unambiguous(const xdoc *d, const target *t, const char *alias)
{
    xmlAttrPtr a, other = NULL;
    int text = 0;

    if (!xdoc_has_child_elements(t->elem))
        text = is_placeholder(t->elem, NULL);
    for (a = t->elem->properties; a && !text && !other; a = a->next)
        if (a != t->attr && !xdoc_is_alias_attr(a) && is_placeholder(NULL, a))
            other = a;
    if (!text && !other)
        return 0;
    return vault__err(VAULT_EFORMAT,
                     "%s:%u: element '%s' already holds the placeholder \"%s\" in %s%s%s; a mark of its "
                     "attribute '%s' (alias '%s') could not be told from it",
                     d->name, xdoc_line_of(d, d->spans[t->index].start), (const char *)t->elem->name,
                     PLACEHOLDER, text ? "its text" : "attribute '", text ? "" : (const char *)other->name,
                     text ? "" : "'", (const char *)t->attr->name, alias);
}

/* Plan the edits for one target; *old receives its value when it is to
 * be replaced (NULL when the element is already marked). */
static int plan_target(const xdoc *d, edits *e, const target *t, const char *alias, int *ns_added,
                       xmlChar **old)
{
    xmlAttrPtr marked = xdoc_alias_attr(t->elem);
    xmlChar *cur = NULL, *mv = NULL;
    int rc = 0, placeholder;

    *old = NULL;
    if (!t->attr && xdoc_has_child_elements(t->elem))
        return vault__err(VAULT_EFORMAT, "%s: element '%s' for alias '%s' has child elements", d->name,
                         (const char *)t->elem->name, alias);
    if (marked) {
        mv = xdoc_value_of(NULL, marked);
        if (!mv || strcmp((const char *)mv, alias) != 0) {
            rc = vault__err(VAULT_EFORMAT, "%s: element '%s' is already marked with alias '%s', not '%s'",
                           d->name, (const char *)t->elem->name, mv ? (const char *)mv : "", alias);
            goto done;
        }
    }
    if (!(cur = xdoc_value_of(t->elem, t->attr))) {
        rc = vault__oom();
        goto done;
    }
    placeholder = strcmp((const char *)cur, PLACEHOLDER) == 0;
    if (marked && placeholder)
        goto done;
    if (t->attr && (rc = check_attr_unambiguous(d, t, alias)) != 0)
        goto done;
    if (!placeholder && (rc = add_placeholder_edit(d, e, t)) != 0)
        goto done;
    if (!marked && (rc = add_alias_edit(d, e, t, alias, ns_added)) != 0)
        goto done;
    *old = cur;
    cur = NULL;
done:
    xdoc_value_free(cur);
    xmlFree(mv);
    return rc;
}

static int plan_marks(const xdoc *d, edits *e, const target *t, size_t n, const char *alias, xmlChar **old)
{
    xmlChar *v = NULL;
    int rc = 0, ns_added = 0;
    size_t i;

    *old = NULL;
    for (i = 0; i < n && rc == 0; i++) {
        if ((rc = plan_target(d, e, &t[i], alias, &ns_added, &v)) != 0 || !v)
            continue;
        if (!*old) {
            *old = v;
        } else {
            if (!xmlStrEqual(*old, v))
                rc = vault__err(VAULT_EFORMAT,
                               "%s: the %zu nodes selected for alias '%s' hold different values", d->name, n,
                               alias);
            xdoc_value_free(v);
        }
        v = NULL;
    }
    if (rc != 0) {
        xdoc_value_free(*old);
        *old = NULL;
    }
    return rc;
}

/* libxml2 keeps a name whose prefix is bound nowhere in scope as
 * "prefix:local" without a namespace. */
static int unbound_svns(const xmlNs *ns, const xmlChar *name)
{
    return !ns && xmlStrncmp(name, BAD_CAST "svns:", 5) == 0;
}

/* A document that uses the svns prefix where it is not declared is
 * refused: the declaration a mark adds to the root would give those stray
 * names the secure vault namespace, and a stray svns:secretAlias would
 * become a mark of its own. */
static int check_svns_bound(const xdoc *d, const char *xpath, const char *alias)
{
    xmlAttrPtr a;
    size_t i;

    for (i = 0; i < d->count; i++) {
        xmlNodePtr e = d->nodes[i];
        const char *what = unbound_svns(e->ns, e->name) ? "its name" : NULL;
        for (a = e->properties; a && !what; a = a->next)
            if (unbound_svns(a->ns, a->name))
                what = (const char *)a->name;
        if (what)
            return vault__err(VAULT_EFORMAT,
                             "%s:%u: element '%s' uses the prefix svns in %s without declaring it "
                             "(xmlns:svns); cannot mark xpath '%s' (alias '%s')",
                             d->name, xdoc_line_of(d, d->spans[i].start), (const char *)e->name, what, xpath,
                             alias);
    }
    return 0;
}

/* The marked document must parse, and the xpath must select the same
 * number of nodes, all marked with the alias and holding the placeholder. */
static int verify_marks(const char *name, const unsigned char *xml, size_t len, const char *xpath,
                        int attribute, const char *alias, size_t expected)
{
    xdoc d;
    target *t = NULL;
    size_t n = 0, i;
    xmlChar *v = NULL, *mv = NULL;
    xmlAttrPtr a;
    int rc;

    if ((rc = xdoc_load(&d, name, xml, len, alias)) != 0 ||
        (rc = locate(&d, xpath, attribute, alias, &t, &n)) != 0)
        goto done;
    rc = n == expected ? 0 : VAULT_ERROR;
    for (i = 0; i < n && rc == 0; i++) {
        a = xdoc_alias_attr(t[i].elem);
        v = xdoc_value_of(t[i].elem, t[i].attr);
        mv = a ? xdoc_value_of(NULL, a) : NULL;
        if (!a || !v || !mv || strcmp((const char *)v, PLACEHOLDER) != 0 ||
            strcmp((const char *)mv, alias) != 0)
            rc = VAULT_ERROR;
        xdoc_value_free(v);
        xmlFree(mv);
    }
    if (rc != 0)
        rc = vault__err(VAULT_ERROR, "%s: internal error: the marked document does not check (alias '%s')",
                       name, alias);
done:
    vault__free_ptr(t);
    xdoc_free(&d);
    return rc;
}

int vault_xml_mark_secret(char **out, size_t *out_len, vault_secret **old_value, const void *xml, size_t len,
                          const vault_xml_mark_options *opts)
{
    const char *name, *xpath, *alias;
    int attribute;
    xdoc d;
    edits e;
    target *t = NULL;
    xmlChar *old = NULL;
    unsigned char *buf = NULL;
    size_t n = 0, total = 0;
    int rc;

    memset(&d, 0, sizeof d);
    memset(&e, 0, sizeof e);
    if (out)
        *out = NULL;
    if (old_value)
        *old_value = NULL;
    if (!out || !out_len || !xml || !opts || !opts->xpath || !opts->alias)
        return vault__err(VAULT_EINVAL, "vault_xml_mark_secret: invalid argument");
    if (opts->version != VAULT_XML_MARK_OPTIONS_VERSION)
        return vault__err(VAULT_EINVAL, "vault_xml_mark_options: unknown version %u", opts->version);
    name = opts->name ? opts->name : "(xml)";
    xpath = opts->xpath;
    attribute = opts->attribute;
    alias = opts->alias;
    if ((rc = xdoc_load(&d, name, xml, len, alias)) != 0 ||
        (rc = locate(&d, xpath, attribute, alias, &t, &n)) != 0 ||
        (rc = plan_marks(&d, &e, t, n, alias, &old)) != 0 || (rc = check_svns_bound(&d, xpath, alias)) != 0 ||
        (rc = xdoc_edits_prepare(&d, &e, &total)) != 0)
        goto done;
    if (!(buf = vault__malloc(total + 1))) {
        rc = vault__oom();
        goto done;
    }
    xdoc_edits_apply(&d, &e, buf);
    if ((rc = verify_marks(name, buf, total, xpath, attribute, alias, n)) != 0)
        goto done;
    if (old_value && old && (rc = vault_secret_new(old_value, old, (size_t)xmlStrlen(old))) != 0)
        goto done;
    *out = (char *)buf;
    *out_len = total;
    buf = NULL;
done:
    if (buf)
        vault__free_wiped(buf, total); /* other passwords of the file may be plain in it */
    xdoc_value_free(old);
    xdoc_edits_free(&e);
    vault__free_ptr(t);
    xdoc_free(&d);
    return rc;
}
