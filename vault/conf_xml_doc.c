/* SPDX-License-Identifier: Apache-2.0 */
/* The XML document as conf_xml*.c see it: libxml2's tree (well-formedness,
 * entities, XPath) plus a lexical scan of the original bytes that finds
 * every start tag. The n-th start tag is the n-th element of the parsed
 * tree in document order: the scan is checked against the tree (same number
 * of elements, same names) before anything is edited. */
#include "conf_xml_doc.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* The document: parsed tree plus the raw start tags                   */
/* ------------------------------------------------------------------ */

static int starts(const unsigned char *t, size_t n, size_t pos, const char *s)
{
    size_t k = strlen(s);
    return n - pos >= k && memcmp(t + pos, s, k) == 0;
}

static size_t find(const unsigned char *t, size_t n, size_t pos, const char *s)
{
    size_t k = strlen(s);
    for (; pos + k <= n; pos++) {
        const unsigned char *p = memchr(t + pos, s[0], n - pos);
        if (!p)
            break;
        pos = (size_t)(p - t);
        if (pos + k <= n && memcmp(p, s, k) == 0)
            return pos;
    }
    return SIZE_MAX;
}

static size_t after(const unsigned char *t, size_t n, size_t pos, const char *s)
{
    size_t at = find(t, n, pos, s);
    return at == SIZE_MAX ? SIZE_MAX : at + strlen(s);
}

/* <!DOCTYPE ...>, with an internal subset that may hold '>' in
 * declarations, literals, comments and processing instructions. */
static size_t skip_decl(const unsigned char *t, size_t n, size_t pos)
{
    size_t i = pos + 2;
    int depth = 0;

    while (i < n) {
        unsigned char c = t[i];
        if (c == '"' || c == '\'') {
            const unsigned char *q = memchr(t + i + 1, c, n - i - 1);
            if (!q)
                return SIZE_MAX;
            i = (size_t)(q - t) + 1;
        } else if (starts(t, n, i, "<!--")) {
            if ((i = after(t, n, i + 4, "-->")) == SIZE_MAX)
                return SIZE_MAX;
        } else if (starts(t, n, i, "<?")) {
            if ((i = after(t, n, i + 2, "?>")) == SIZE_MAX)
                return SIZE_MAX;
        } else {
            if (c == '[')
                depth++;
            else if (c == ']')
                depth--;
            else if (c == '>' && depth <= 0)
                return i + 1;
            i++;
        }
    }
    return SIZE_MAX;
}

/* The next attribute of a start tag from *pos (at most end). */
static int next_attr(const unsigned char *t, size_t *pos, size_t end, rattr *a)
{
    size_t i = *pos;
    const unsigned char *q;

    while (i < end && xdoc_is_space(t[i]))
        i++;
    if (i >= end || t[i] == '>' || t[i] == '/')
        return 0;
    a->name = i;
    while (i < end && !xdoc_is_space(t[i]) && t[i] != '=' && t[i] != '>' && t[i] != '/')
        i++;
    a->name_len = i - a->name;
    while (i < end && xdoc_is_space(t[i]))
        i++;
    if (i >= end || t[i] != '=')
        return -1;
    for (i++; i < end && xdoc_is_space(t[i]); i++)
        ;
    if (i >= end || (t[i] != '"' && t[i] != '\''))
        return -1;
    a->quote = t[i];
    q = memchr(t + i + 1, t[i], end - i - 1);
    if (!q || a->name_len == 0)
        return -1;
    a->value = i + 1;
    a->value_len = (size_t)(q - t) - a->value;
    *pos = (size_t)(q - t) + 1;
    return 1;
}

static int lex_start_tag(const unsigned char *t, size_t n, size_t pos, xspan *s)
{
    size_t i = pos + 1;
    rattr a;
    int r;

    memset(s, 0, sizeof *s);
    s->start = pos;
    while (i < n && !xdoc_is_space(t[i]) && t[i] != '/' && t[i] != '>')
        i++;
    if (i == pos + 1)
        return -1;
    s->name_end = s->attrs_end = i;
    while ((r = next_attr(t, &i, n, &a)) == 1)
        s->attrs_end = i;
    while (i < n && xdoc_is_space(t[i]))
        i++;
    if (r < 0 || i >= n)
        return -1;
    if (t[i] == '>') {
        s->tag_end = i + 1;
        return 0;
    }
    if (t[i] == '/' && i + 1 < n && t[i + 1] == '>') {
        s->tag_end = s->content_end = i + 2;
        s->empty = 1;
        return 0;
    }
    return -1;
}

/* Every start tag of the raw text, in document order. */
static int lex(xdoc *d, xspan **spans, size_t *count)
{
    const unsigned char *t = d->text;
    size_t n = d->len, pos = 0, cap = 0, depth = 0, scap = 0, *stack = NULL;
    int rc = 0;

    *spans = NULL;
    *count = 0;
    while (pos < n) {
        const unsigned char *lt = memchr(t + pos, '<', n - pos);
        if (!lt)
            break;
        pos = (size_t)(lt - t);
        if (starts(t, n, pos, "<!--"))
            pos = after(t, n, pos + 4, "-->");
        else if (starts(t, n, pos, "<![CDATA["))
            pos = after(t, n, pos + 9, "]]>");
        else if (starts(t, n, pos, "<?"))
            pos = after(t, n, pos + 2, "?>");
        else if (starts(t, n, pos, "<!"))
            pos = skip_decl(t, n, pos);
        else if (starts(t, n, pos, "</")) {
            if (depth == 0)
                goto bad;
            (*spans)[stack[--depth]].content_end = pos;
            pos = after(t, n, pos, ">");
        } else {
            if (vault__array_grow(spans, &cap, *count + 1, sizeof **spans) != 0 ||
                vault__array_grow(&stack, &scap, depth + 1, sizeof *stack) != 0) {
                rc = vault__oom();
                goto done;
            }
            if (lex_start_tag(t, n, pos, &(*spans)[*count]) != 0)
                goto bad;
            pos = (*spans)[*count].tag_end;
            if (!(*spans)[*count].empty)
                stack[depth++] = *count;
            (*count)++;
        }
        if (pos == SIZE_MAX)
            goto bad;
    }
    if (depth != 0)
        goto bad;
    goto done;
bad:
    rc = vault__err(VAULT_EFORMAT, "%s: cannot scan the XML text for editing in place", d->name);
done:
    vault__free_ptr(stack);
    return rc;
}

/* Elements of the tree in document order; entity references are not
 * entered (their elements have no start tag of their own in the text). */
static size_t walk(xmlNodePtr root, xmlNodePtr *out)
{
    xmlNodePtr n = root;
    size_t count = 0;

    while (n) {
        if (n->type == XML_ELEMENT_NODE) {
            if (out) {
                out[count] = n;
                n->_private = (void *)(uintptr_t)(count + 1);
            }
            count++;
            if (n->children) {
                n = n->children;
                continue;
            }
        }
        while (n != root && !n->next)
            n = n->parent;
        if (n == root)
            break;
        n = n->next;
    }
    return count;
}

static int all_ascii(const unsigned char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return 0;
    return 1;
}

/* Whether raw bytes spell prefix:name (or name). Non-ASCII names in a
 * document that is not UTF-8 cannot be compared byte for byte: they are
 * taken as equal, the element count having already been checked. */
static int qname_is(const xdoc *d, const unsigned char *raw, size_t n, const xmlNs *ns, const xmlChar *name)
{
    size_t pl = ns && ns->prefix ? strlen((const char *)ns->prefix) : 0;
    size_t nl = strlen((const char *)name);

    if (!d->utf8 && !all_ascii(raw, n))
        return 1;
    if (pl) {
        if (n != pl + 1 + nl || memcmp(raw, ns->prefix, pl) != 0 || raw[pl] != ':')
            return 0;
        raw += pl + 1;
        n -= pl + 1;
    }
    return n == nl && memcmp(raw, name, nl) == 0;
}

static int encoding_ok(xdoc *d)
{
    static const char *const ok[] = {"UTF-8",    "UTF8",      "US-ASCII", "ASCII",       "ISO-8859-",
                                     "ISO8859-", "ISO_8859-", "LATIN",    "WINDOWS-125", "CP125"};
    const char *enc = (const char *)d->doc->encoding;
    size_t i, k;

    if (memchr(d->text, 0, d->len))
        return vault__err(VAULT_EFORMAT, "%s: UTF-16 and UTF-32 documents cannot be edited in place", d->name);
    d->utf8 = !enc || vault__strcaseeq(enc, "UTF-8") || vault__strcaseeq(enc, "UTF8");
    if (!enc)
        return 0;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        k = strlen(ok[i]);
        if (strlen(enc) >= k && strncasecmp(enc, ok[i], k) == 0)
            return 0;
    }
    return vault__err(VAULT_EFORMAT, "%s: encoding %s cannot be edited in place", d->name, enc);
}

/* libxml2 2.12 made the error argument of handlers const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_arg;
#else
typedef xmlErrorPtr xml_error_arg;
#endif

/* The first error of a parse: the one at the fault (libxml2 goes on and its
 * last error is often the end of the document). */
typedef struct first_error {
    int set, code, line, column;
} first_error;

static void keep_first_error(void *data, xml_error_arg e)
{
    xmlParserCtxtPtr ctxt = data;
    first_error *f = ctxt ? ctxt->_private : NULL;
    if (!f || f->set || !e || e->level < XML_ERR_ERROR)
        return;
    f->set = 1;
    f->code = e->code;
    f->line = e->line;
    f->column = e->int2;
}

/* What went wrong, in words of our own: libxml2's messages quote the text
 * at fault (an entity name, a tag, an attribute value), which may be a
 * secret. The line and column say where. */
static const char *xml_error_text(int code)
{
    switch (code) {
    case XML_ERR_DOCUMENT_EMPTY: return "the document is empty";
    case XML_ERR_DOCUMENT_END: return "content after the root element";
    case XML_ERR_UNDECLARED_ENTITY:
    case XML_WAR_UNDECLARED_ENTITY: return "an undefined entity";
    case XML_ERR_ENTITYREF_SEMICOL_MISSING: return "an entity reference without ';'";
    case XML_ERR_LT_IN_ATTRIBUTE: return "'<' in an attribute value";
    case XML_ERR_LT_REQUIRED:
    case XML_ERR_GT_REQUIRED: return "a tag is not closed";
    case XML_ERR_TAG_NAME_MISMATCH: return "an end tag does not match its start tag";
    case XML_ERR_TAG_NOT_FINISHED: return "an element is not closed";
    case XML_ERR_NAME_REQUIRED: return "a name is expected";
    case XML_ERR_ATTRIBUTE_NOT_STARTED:
    case XML_ERR_ATTRIBUTE_NOT_FINISHED:
    case XML_ERR_ATTRIBUTE_WITHOUT_VALUE: return "a malformed attribute";
    case XML_ERR_ATTRIBUTE_REDEFINED: return "an attribute given twice";
    case XML_ERR_INVALID_CHAR:
    case XML_ERR_INVALID_CHARREF: return "a character not allowed in XML";
    case XML_ERR_INVALID_ENCODING: return "bytes that are not valid in the document's encoding";
    case XML_ERR_UNKNOWN_ENCODING:
    case XML_ERR_UNSUPPORTED_ENCODING: return "an unsupported encoding";
    case XML_ERR_NS_DECL_ERROR:
    case XML_NS_ERR_UNDEFINED_NAMESPACE: return "an undefined namespace prefix";
    case XML_ERR_COMMENT_NOT_FINISHED: return "a comment is not closed";
    case XML_ERR_CDATA_NOT_FINISHED: return "a CDATA section is not closed";
    case XML_ERR_EXTRA_CONTENT: return "content after the root element";
    default: return "not well-formed";
    }
}

static int parse_xml(xdoc *d, const char *alias)
{
    first_error first = {0, 0, 0, 0};
    xmlParserCtxtPtr ctxt = NULL;
    int rc = 0;

    if (d->len > INT_MAX)
        return vault__err(VAULT_EFORMAT, "%s: document too large", d->name);
    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return vault__oom();
    /* Errors come to keep_first_error() (userData is the context), never
     * to stderr. */
    ctxt->_private = &first;
    if (ctxt->sax)
        ctxt->sax->serror = keep_first_error;
    /* No network, no external DTD, entities left as references (their
     * text is read through the tree), no shared dictionary so that text
     * nodes can be wiped. */
    d->doc = xmlCtxtReadMemory(ctxt, (const char *)d->text, (int)d->len, NULL, NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NODICT);
    if (!d->doc || !ctxt->wellFormed || !xmlDocGetRootElement(d->doc)) {
        if (!first.set) {
            const xmlError *e = xmlCtxtGetLastError(ctxt);
            first.code = e ? e->code : 0;
            first.line = e ? e->line : 0;
            first.column = e ? e->int2 : 0;
        }
        rc = vault__err(VAULT_EFORMAT, "%s:%d:%d: malformed XML%s%s%s: %s", d->name, first.line,
                       first.column, alias ? " (alias '" : "", alias ? alias : "", alias ? "')" : "",
                       xml_error_text(first.code));
    }
    ctxt->_private = NULL;
    xmlFreeParserCtxt(ctxt);
    return rc;
}

/* Best effort: the tree's copies of secret text are wiped before libxml2
 * frees them (its input buffers cannot be reached). */
static void wipe_tree(xmlNodePtr n)
{
    xmlAttrPtr a;
    while (n) {
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content)
            sodium_memzero(n->content, (size_t)xmlStrlen(n->content));
        if (n->type == XML_ELEMENT_NODE) {
            for (a = n->properties; a; a = a->next)
                wipe_tree(a->children);
            wipe_tree(n->children);
        }
        n = n->next;
    }
}

void xdoc_free(xdoc *d)
{
    if (d->doc) {
        wipe_tree(d->doc->children);
        xmlFreeDoc(d->doc);
    }
    vault__free_ptr(d->nodes);
    vault__free_ptr(d->spans);
    memset(d, 0, sizeof *d);
}

int xdoc_load(xdoc *d, const char *name, const void *xml, size_t len, const char *alias)
{
    size_t nspans = 0, i;
    int rc;

    memset(d, 0, sizeof *d);
    d->name = name;
    d->text = xml;
    d->len = len;
    if ((rc = xml_lib_load()) != 0 || (rc = parse_xml(d, alias)) != 0 || (rc = encoding_ok(d)) != 0)
        return rc;
    d->count = walk(xmlDocGetRootElement(d->doc), NULL);
    d->nodes = vault__calloc(d->count, sizeof *d->nodes);
    if (!d->nodes)
        return vault__oom();
    walk(xmlDocGetRootElement(d->doc), d->nodes);
    if ((rc = lex(d, &d->spans, &nspans)) != 0)
        return rc;
    if (nspans != d->count)
        return vault__err(VAULT_EFORMAT,
                         "%s: cannot match the elements to the text (elements from entity "
                         "references cannot be edited in place)",
                         name);
    for (i = 0; i < d->count; i++) {
        const xspan *s = &d->spans[i];
        if (!qname_is(d, d->text + s->start + 1, s->name_end - s->start - 1, d->nodes[i]->ns,
                      d->nodes[i]->name))
            return vault__err(VAULT_EFORMAT, "%s: cannot match element '%s' to the text", name,
                             (const char *)d->nodes[i]->name);
    }
    return 0;
}

unsigned int xdoc_line_of(const xdoc *d, size_t off)
{
    unsigned int line = 1;
    size_t i;
    for (i = 0; i < off && i < d->len; i++)
        if (d->text[i] == '\n' || (d->text[i] == '\r' && (i + 1 >= d->len || d->text[i + 1] != '\n')))
            line++;
    return line;
}

/* The raw attribute of element i spelled as attr's qualified name. */
int xdoc_find_raw_attr(const xdoc *d, size_t i, xmlAttrPtr attr, rattr *out)
{
    const xspan *s = &d->spans[i];
    size_t pos = s->name_end;

    while (next_attr(d->text, &pos, s->attrs_end, out) == 1)
        if (qname_is(d, d->text + out->name, out->name_len, attr->ns, attr->name))
            return 0;
    return vault__err(VAULT_EFORMAT, "%s: cannot find attribute '%s' in the text", d->name,
                     (const char *)attr->name);
}

int xdoc_raw_attr_named(const xdoc *d, size_t i, const char *qname)
{
    const xspan *s = &d->spans[i];
    size_t pos = s->name_end, n = strlen(qname);
    rattr a;

    while (next_attr(d->text, &pos, s->attrs_end, &a) == 1)
        if (a.name_len == n && memcmp(d->text + a.name, qname, n) == 0)
            return 1;
    return 0;
}

int xdoc_is_alias_attr(const xmlAttr *a)
{
    return a->ns && a->ns->href && xmlStrEqual(a->ns->href, BAD_CAST VAULT_XML_SECUREVAULT_NS) &&
           xmlStrEqual(a->name, BAD_CAST SECRET_ALIAS);
}

xmlAttrPtr xdoc_alias_attr(xmlNodePtr elem)
{
    xmlAttrPtr a;
    for (a = elem->properties; a; a = a->next)
        if (xdoc_is_alias_attr(a))
            return a;
    return NULL;
}

int xdoc_has_child_elements(xmlNodePtr elem)
{
    xmlNodePtr c;
    for (c = elem->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return 1;
    return 0;
}

int xdoc_attr_qname_is(const xmlAttr *a, const char *qname)
{
    const char *p = a->ns && a->ns->prefix ? (const char *)a->ns->prefix : NULL;
    size_t pl = p ? strlen(p) : 0;
    if (p && (strncmp(qname, p, pl) != 0 || qname[pl] != ':'))
        return 0;
    return strcmp(qname + (p ? pl + 1 : 0), (const char *)a->name) == 0;
}

/* A text value of the tree (element text content or attribute value),
 * entities decoded; free with xdoc_value_free(). */
xmlChar *xdoc_value_of(xmlNodePtr elem, xmlAttrPtr attr)
{
    return xmlNodeGetContent(attr ? (xmlNodePtr)attr : elem);
}

void xdoc_value_free(xmlChar *v)
{
    if (v) {
        sodium_memzero(v, (size_t)xmlStrlen(v));
        xmlFree(v);
    }
}
typedef struct xpath_err {
    char msg[160];
} xpath_err;

/* libxml2 2.12 made the error argument const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xpath_error_arg;
#else
typedef xmlErrorPtr xpath_error_arg;
#endif

static void xpath_error(void *data, xpath_error_arg e)
{
    xpath_err *x = data;
    size_t k;
    if (x->msg[0] || !e || !e->message)
        return;
    /* An xpath error concerns the expression (from the map, never a
     * secret), not the document. */
    snprintf(x->msg, sizeof x->msg, "%s", e->message);
    k = strlen(x->msg);
    while (k > 0 && xdoc_is_space((unsigned char)x->msg[k - 1]))
        x->msg[--k] = '\0';
}

typedef struct saved_ns {
    xmlNsPtr *where;
    xmlNsPtr ns;
} saved_ns;

/* The Java tool parses without namespaces, so an unprefixed name test
 * matches elements in a default namespace and a prefixed element by its
 * local name. libxml2 always parses with namespaces; the same effect comes
 * from hiding every element's and attribute's namespace while the xpath is
 * evaluated. */
static int hide_namespaces(const xdoc *d, saved_ns **saved, size_t *n)
{
    size_t i, k = 0, cap = 0;
    xmlAttrPtr a;

    *saved = NULL;
    *n = 0;
    for (i = 0; i < d->count; i++) {
        xmlNodePtr e = d->nodes[i];
        if (vault__array_grow(saved, &cap, k + 1, sizeof **saved) != 0)
            goto nomem;
        (*saved)[k].where = &e->ns;
        (*saved)[k++].ns = e->ns;
        for (a = e->properties; a; a = a->next) {
            if (vault__array_grow(saved, &cap, k + 1, sizeof **saved) != 0)
                goto nomem;
            (*saved)[k].where = &a->ns;
            (*saved)[k++].ns = a->ns;
        }
    }
    for (i = 0; i < k; i++)
        *(*saved)[i].where = NULL;
    *n = k;
    return 0;
nomem:
    vault__free_ptr(*saved);
    *saved = NULL;
    return vault__oom();
}

static void restore_namespaces(saved_ns *saved, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        *saved[i].where = saved[i].ns;
    vault__free_ptr(saved);
}

int xdoc_eval_xpath(const xdoc *d, const char *xpath, const char *alias, xmlXPathObjectPtr *res)
{
    xmlXPathContextPtr ctx = NULL;
    xmlXPathCompExprPtr comp = NULL;
    saved_ns *saved = NULL;
    size_t nsaved = 0;
    xpath_err err;
    int rc;

    *res = NULL;
    memset(&err, 0, sizeof err);
    if ((rc = hide_namespaces(d, &saved, &nsaved)) != 0)
        return rc;
    ctx = xmlXPathNewContext(d->doc);
    if (!ctx) {
        rc = vault__oom();
        goto done;
    }
    ctx->error = xpath_error;
    ctx->userData = &err;
    ctx->node = xmlDocGetRootElement(d->doc);
    comp = xmlXPathCtxtCompile(ctx, BAD_CAST xpath);
    if (comp)
        *res = xmlXPathCompiledEval(comp, ctx);
    if (!*res)
        rc = vault__err(VAULT_EFORMAT, "%s: invalid xpath '%s' for alias '%s'%s%s", d->name, xpath, alias,
                       err.msg[0] ? ": " : "", err.msg);
done:
    xmlXPathFreeCompExpr(comp);
    xmlXPathFreeContext(ctx);
    restore_namespaces(saved, nsaved);
    return rc;
}
