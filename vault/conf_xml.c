/* XML configuration files, the WSO2 secure vault way: the legacy
 * cipher-tool.properties map, marking a secret with svns:secretAlias, and
 * listing/expanding marked elements.
 *
 * libxml2 parses the document (well-formedness, entities, XPath); the edits
 * are made on the original bytes. A lexical scan of those bytes finds every
 * start tag, and the n-th start tag is the n-th element of the parsed tree
 * in document order: the scan is checked against the tree (same number of
 * elements, same names) before anything is edited, and the edited document
 * is parsed again and checked before it is returned. */
#include "conf_internal.h"
#include "conf_properties.h"
#include "vault/xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xmlversion.h>
#include <libxml/xpathInternals.h>
#include "xml_lib.h" /* after libxml2's headers: its names go through the loaded table */
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAP_MAX_SIZE (16u << 20)
#define SECRET_ALIAS "secretAlias"
#define PLACEHOLDER VAULT_XML_PLACEHOLDER

/* ------------------------------------------------------------------ */
/* The legacy map: cipher-tool.properties                              */
/* ------------------------------------------------------------------ */

struct vault_legacy_map {
    char *name;
    vault_legacy_entry *v;
    size_t n, cap;
};

static int is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ':' || c >= 0x80;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The attribute a ",true" entry marks: the name in the last top-level
 * predicate "[@name...]", or a final "/@name" step. The Java tool takes the
 * text between the last '[' + 2 and the comma, which only works for a bare
 * "[@name]"; this reads the name properly. */
static int xpath_attribute(const char *xp, size_t *start, size_t *len)
{
    size_t n = strlen(xp), i, open = SIZE_MAX, s;
    int depth = 0;
    char q = 0;

    while (n > 0 && is_space((unsigned char)xp[n - 1]))
        n--;
    if (n > 0 && xp[n - 1] != ']') {
        for (i = n; i > 0 && is_name_char((unsigned char)xp[i - 1]); i--)
            ;
        if (i == 0 || i == n || xp[i - 1] != '@')
            return -1;
        *start = i;
        *len = n - i;
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = xp[i];
        if (q) {
            q = c == q ? 0 : q;
        } else if (c == '\'' || c == '"') {
            q = c;
        } else if (c == '[') {
            if (depth++ == 0)
                open = i;
        } else if (c == ']') {
            depth--;
        }
    }
    if (open == SIZE_MAX)
        return -1;
    for (i = open + 1; i < n && is_space((unsigned char)xp[i]); i++)
        ;
    if (i >= n || xp[i] != '@')
        return -1;
    for (s = ++i; i < n && is_name_char((unsigned char)xp[i]); i++)
        ;
    if (i == s)
        return -1;
    *start = s;
    *len = i - s;
    return 0;
}

static void legacy_entry_clear(vault_legacy_entry *e)
{
    vault_free_ptr((char *)e->alias);
    vault_free_ptr((char *)e->file);
    vault_free_ptr((char *)e->xpath);
    vault_free_ptr((char *)e->attribute_name);
}

void vault_legacy_map_free(vault_legacy_map *map)
{
    size_t i;
    if (!map)
        return;
    for (i = 0; i < map->n; i++)
        legacy_entry_clear(&map->v[i]);
    vault_free_ptr(map->v);
    vault_free_ptr(map->name);
    vault_free_ptr(map);
}

/* Split FILE//XPATH[,true|,false]. The Java tool splits at the first comma,
 * which breaks xpaths holding one; the flag is taken after the last comma
 * here, and only when it reads true or false. */
static int split_entry(const vault_legacy_map *map, const conf_prop *p, vault_legacy_entry *e)
{
    const char *v = p->value, *sep = strstr(v, "//"), *comma, *end = v + p->value_len;
    size_t a, alen;

    if (!sep || sep == v)
        return vault_err(VAULT_EFORMAT, "%s:%u: alias '%s': expected FILE//XPATH[,true|false]", map->name,
                         p->line, p->key);
    comma = strrchr(sep, ',');
    if (comma) {
        const char *f = comma + 1, *fe = end;
        while (f < fe && is_space((unsigned char)*f))
            f++;
        while (fe > f && is_space((unsigned char)fe[-1]))
            fe--;
        if ((size_t)(fe - f) == 4 && memcmp(f, "true", 4) == 0)
            e->attribute = 1;
        else if (!((size_t)(fe - f) == 5 && memcmp(f, "false", 5) == 0))
            comma = NULL;
        if (comma)
            end = comma;
    }
    if (end - sep <= 2)
        return vault_err(VAULT_EFORMAT, "%s:%u: alias '%s': empty xpath", map->name, p->line, p->key);
    e->alias = vault_strndup(p->key, p->key_len);
    e->file = vault_strndup(v, (size_t)(sep - v));
    e->xpath = vault_strndup(sep, (size_t)(end - sep));
    e->line = p->line;
    if (!e->alias || !e->file || !e->xpath)
        return vault_err(VAULT_ENOMEM, "%s: out of memory", map->name);
    if (!e->attribute)
        return 0;
    /* ",true" on an xpath that names no attribute (an element such as
     * "//Security/KeyStore/Password", or "[1]"): the Java tool then replaces
     * the element's text, as without the flag. WSO2's documents and Puppet
     * modules write such entries. */
    if (xpath_attribute(e->xpath, &a, &alen) != 0) {
        e->attribute = 0;
        return 0;
    }
    e->attribute_name = vault_strndup(e->xpath + a, alen);
    if (!e->attribute_name)
        return vault_err(VAULT_ENOMEM, "%s: out of memory", map->name);
    return 0;
}

static int add_map_entry(const conf_prop *p, void *payload)
{
    vault_legacy_map *map = payload;
    vault_legacy_entry e;
    size_t i;
    int rc;

    if (p->key_len == 0)
        return vault_err(VAULT_EFORMAT, "%s:%u: a value without an alias", map->name, p->line);
    for (i = 0; i < map->n; i++)
        if (strcmp(map->v[i].alias, p->key) == 0)
            return vault_err(VAULT_EFORMAT, "%s:%u: duplicate alias '%s' (first on line %u)", map->name,
                             p->line, p->key, map->v[i].line);
    if (map->n == map->cap) {
        size_t cap = map->cap ? map->cap * 2 : 8;
        vault_legacy_entry *v = vault_realloc(map->v, cap * sizeof *v);
        if (!v)
            return vault_err(VAULT_ENOMEM, "%s: out of memory", map->name);
        map->v = v;
        map->cap = cap;
    }
    memset(&e, 0, sizeof e);
    if ((rc = split_entry(map, p, &e)) != 0) {
        legacy_entry_clear(&e);
        return rc;
    }
    map->v[map->n++] = e;
    return 0;
}

int vault_legacy_map_parse(vault_legacy_map **out, const char *name, const void *data, size_t len)
{
    vault_legacy_map *map = NULL;
    int rc;

    if (!out || (!data && len > 0))
        return vault_err(VAULT_EINVAL, "vault_legacy_map_parse: invalid argument");
    *out = NULL;
    map = vault_calloc(1, sizeof *map);
    if (!map || !(map->name = vault_strdup(name ? name : "cipher-tool.properties"))) {
        rc = vault_err(VAULT_ENOMEM, "out of memory");
        goto done;
    }
    rc = conf_properties_scan(map->name, data, len, add_map_entry, map);
    if (rc == 0) {
        *out = map;
        map = NULL;
    }
done:
    vault_legacy_map_free(map);
    return rc;
}

int vault_legacy_map_read(vault_legacy_map **out, const char *path)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc;

    if (!out || !path)
        return vault_err(VAULT_EINVAL, "vault_legacy_map_read: invalid argument");
    *out = NULL;
    rc = vault_read_file(path, MAP_MAX_SIZE, &data, &len);
    if (rc == 0)
        rc = vault_legacy_map_parse(out, path, data, len);
    vault_free_ptr(data);
    return rc;
}

size_t vault_legacy_map_count(const vault_legacy_map *map)
{
    return map ? map->n : 0;
}

int vault_legacy_map_entry_at(const vault_legacy_map *map, size_t i, const vault_legacy_entry **out)
{
    if (!map || !out || i >= map->n)
        return vault_err(VAULT_EINVAL, "vault_legacy_map_entry_at: index out of range");
    *out = &map->v[i];
    return 0;
}

int vault_legacy_map_find(const vault_legacy_map *map, const char *alias, size_t *index)
{
    size_t i;
    if (!map || !alias)
        return vault_err(VAULT_EINVAL, "vault_legacy_map_find: invalid argument");
    for (i = 0; i < map->n; i++) {
        if (strcmp(map->v[i].alias, alias) == 0) {
            if (index)
                *index = i;
            return 0;
        }
    }
    return vault_err(VAULT_ENOTFOUND, "%s: no alias '%s'", map->name, alias);
}

/* ------------------------------------------------------------------ */
/* The document: parsed tree plus the raw start tags                   */
/* ------------------------------------------------------------------ */

typedef struct xspan {
    size_t start;       /* '<' */
    size_t name_end;    /* end of the qualified name */
    size_t attrs_end;   /* after the last attribute value, or name_end */
    size_t tag_end;     /* after '>' */
    size_t content_end; /* '<' of the end tag; tag_end for <empty/> */
    int empty;
} xspan;

typedef struct rattr {
    size_t name, name_len, value, value_len;
    unsigned char quote;
} rattr;

typedef struct xdoc {
    const char *name;
    const unsigned char *text;
    size_t len;
    int utf8; /* the encoding is UTF-8; in any other, non-ASCII text needs references */
    xmlDocPtr doc;
    xmlNodePtr *nodes; /* elements in document order; node->_private = index + 1 */
    xspan *spans;      /* their start tags, same order */
    size_t count;
} xdoc;

/* A node to mark or expand. */
typedef struct target {
    xmlNodePtr elem;
    xmlAttrPtr attr; /* NULL: the element text */
    size_t index;
} target;

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

    while (i < end && is_space(t[i]))
        i++;
    if (i >= end || t[i] == '>' || t[i] == '/')
        return 0;
    a->name = i;
    while (i < end && !is_space(t[i]) && t[i] != '=' && t[i] != '>' && t[i] != '/')
        i++;
    a->name_len = i - a->name;
    while (i < end && is_space(t[i]))
        i++;
    if (i >= end || t[i] != '=')
        return -1;
    for (i++; i < end && is_space(t[i]); i++)
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
    while (i < n && !is_space(t[i]) && t[i] != '/' && t[i] != '>')
        i++;
    if (i == pos + 1)
        return -1;
    s->name_end = s->attrs_end = i;
    while ((r = next_attr(t, &i, n, &a)) == 1)
        s->attrs_end = i;
    while (i < n && is_space(t[i]))
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

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap ? *cap : 16;
    void *p;
    if (need <= *cap)
        return 0;
    while (c < need)
        c *= 2;
    p = vault_realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
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
            if (grow((void **)spans, &cap, *count + 1, sizeof **spans) != 0 ||
                grow((void **)&stack, &scap, depth + 1, sizeof *stack) != 0) {
                rc = vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
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
    rc = vault_err(VAULT_EFORMAT, "%s: cannot scan the XML text for editing in place", d->name);
done:
    vault_free_ptr(stack);
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
        return vault_err(VAULT_EFORMAT, "%s: UTF-16 and UTF-32 documents cannot be edited in place", d->name);
    d->utf8 = !enc || vault_strcaseeq(enc, "UTF-8") || vault_strcaseeq(enc, "UTF8");
    if (!enc)
        return 0;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        k = strlen(ok[i]);
        if (strlen(enc) >= k && strncasecmp(enc, ok[i], k) == 0)
            return 0;
    }
    return vault_err(VAULT_EFORMAT, "%s: encoding %s cannot be edited in place", d->name, enc);
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
        return vault_err(VAULT_EFORMAT, "%s: document too large", d->name);
    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
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
        rc = vault_err(VAULT_EFORMAT, "%s:%d:%d: malformed XML%s%s%s: %s", d->name, first.line,
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

static void xdoc_free(xdoc *d)
{
    if (d->doc) {
        wipe_tree(d->doc->children);
        xmlFreeDoc(d->doc);
    }
    vault_free_ptr(d->nodes);
    vault_free_ptr(d->spans);
    memset(d, 0, sizeof *d);
}

static int xdoc_load(xdoc *d, const char *name, const void *xml, size_t len, const char *alias)
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
    d->nodes = vault_calloc(d->count, sizeof *d->nodes);
    if (!d->nodes)
        return vault_err(VAULT_ENOMEM, "%s: out of memory", name);
    walk(xmlDocGetRootElement(d->doc), d->nodes);
    if ((rc = lex(d, &d->spans, &nspans)) != 0)
        return rc;
    if (nspans != d->count)
        return vault_err(VAULT_EFORMAT,
                         "%s: cannot match the elements to the text (elements from entity "
                         "references cannot be edited in place)",
                         name);
    for (i = 0; i < d->count; i++) {
        const xspan *s = &d->spans[i];
        if (!qname_is(d, d->text + s->start + 1, s->name_end - s->start - 1, d->nodes[i]->ns,
                      d->nodes[i]->name))
            return vault_err(VAULT_EFORMAT, "%s: cannot match element '%s' to the text", name,
                             (const char *)d->nodes[i]->name);
    }
    return 0;
}

static unsigned int line_of(const xdoc *d, size_t off)
{
    unsigned int line = 1;
    size_t i;
    for (i = 0; i < off && i < d->len; i++)
        if (d->text[i] == '\n' || (d->text[i] == '\r' && (i + 1 >= d->len || d->text[i + 1] != '\n')))
            line++;
    return line;
}

/* The raw attribute of element i spelled as attr's qualified name. */
static int find_raw_attr(const xdoc *d, size_t i, xmlAttrPtr attr, rattr *out)
{
    const xspan *s = &d->spans[i];
    size_t pos = s->name_end;

    while (next_attr(d->text, &pos, s->attrs_end, out) == 1)
        if (qname_is(d, d->text + out->name, out->name_len, attr->ns, attr->name))
            return 0;
    return vault_err(VAULT_EFORMAT, "%s: cannot find attribute '%s' in the text", d->name,
                     (const char *)attr->name);
}

static int raw_attr_named(const xdoc *d, size_t i, const char *qname)
{
    const xspan *s = &d->spans[i];
    size_t pos = s->name_end, n = strlen(qname);
    rattr a;

    while (next_attr(d->text, &pos, s->attrs_end, &a) == 1)
        if (a.name_len == n && memcmp(d->text + a.name, qname, n) == 0)
            return 1;
    return 0;
}

static int is_alias_attr(const xmlAttr *a)
{
    return a->ns && a->ns->href && xmlStrEqual(a->ns->href, BAD_CAST VAULT_XML_SECUREVAULT_NS) &&
           xmlStrEqual(a->name, BAD_CAST SECRET_ALIAS);
}

static xmlAttrPtr alias_attr(xmlNodePtr elem)
{
    xmlAttrPtr a;
    for (a = elem->properties; a; a = a->next)
        if (is_alias_attr(a))
            return a;
    return NULL;
}

static int has_child_elements(xmlNodePtr elem)
{
    xmlNodePtr c;
    for (c = elem->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return 1;
    return 0;
}

static int attr_qname_is(const xmlAttr *a, const char *qname)
{
    const char *p = a->ns && a->ns->prefix ? (const char *)a->ns->prefix : NULL;
    size_t pl = p ? strlen(p) : 0;
    if (p && (strncmp(qname, p, pl) != 0 || qname[pl] != ':'))
        return 0;
    return strcmp(qname + (p ? pl + 1 : 0), (const char *)a->name) == 0;
}

/* A text value of the tree (element text content or attribute value),
 * entities decoded; free with value_free(). */
static xmlChar *value_of(xmlNodePtr elem, xmlAttrPtr attr)
{
    return xmlNodeGetContent(attr ? (xmlNodePtr)attr : elem);
}

static void value_free(xmlChar *v)
{
    if (v) {
        sodium_memzero(v, (size_t)xmlStrlen(v));
        xmlFree(v);
    }
}

/* ------------------------------------------------------------------ */
/* Edits on the raw text                                               */
/* ------------------------------------------------------------------ */

typedef struct edit {
    size_t start, end;
    int order; /* at one offset: namespace declaration, alias, then value */
    size_t seq;
    const unsigned char *rep;
    size_t rep_len;
    void *own;           /* vault_free_ptr()'ed */
    vault_secret *own_s; /* vault_secret_free()'d */
} edit;

typedef struct edits {
    edit *v;
    size_t n, cap;
} edits;

static void edits_free(edits *e)
{
    size_t i;
    for (i = 0; i < e->n; i++) {
        vault_free_ptr(e->v[i].own);
        vault_secret_free(e->v[i].own_s);
    }
    vault_free_ptr(e->v);
    memset(e, 0, sizeof *e);
}

static edit *edit_add(edits *e, size_t start, size_t end, int order)
{
    edit *x;
    if (grow((void **)&e->v, &e->cap, e->n + 1, sizeof *e->v) != 0)
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
static int edits_prepare(const xdoc *d, edits *e, size_t *total)
{
    size_t i, n = d->len, prev = 0;

    if (e->n > 1)
        qsort(e->v, e->n, sizeof *e->v, edit_cmp);
    for (i = 0; i < e->n; i++) {
        const edit *x = &e->v[i];
        if (x->start < prev || x->end < x->start || x->end > d->len)
            return vault_err(VAULT_ERROR, "%s: overlapping edits", d->name);
        prev = x->end;
        n -= x->end - x->start;
        if (n > SIZE_MAX - x->rep_len - 1)
            return vault_err(VAULT_ENOMEM, "%s: document too large", d->name);
        n += x->rep_len;
    }
    *total = n;
    return 0;
}

static void edits_apply(const xdoc *d, const edits *e, unsigned char *out)
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

/* One UTF-8 character (strict: no overlong forms, surrogates or values
 * above U+10FFFF); returns its length, 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned long *cp)
{
    size_t k, i;
    unsigned long c = s[0], min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        k = 2, c &= 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, c &= 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, c &= 0x07, min = 0x10000;
    else
        return 0;
    if (n < k)
        return 0;
    for (i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return k;
}

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
static int xml_escape(const unsigned char *s, size_t n, int utf8, unsigned char quote, unsigned char *out,
                      size_t *out_len)
{
    size_t i = 0, o = 0, k;
    unsigned long c;
    char ref[16];

    while (i < n) {
        const char *rep = NULL;
        if ((k = utf8_next(s + i, n - i, &c)) == 0 || !xml_char_ok(c))
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
static size_t value_frame(const xdoc *d, const target *t, size_t esc_len, unsigned char *out,
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
static int target_span(const xdoc *d, const target *t, size_t *start, size_t *end, unsigned char *quote)
{
    rattr a;
    int rc;

    *quote = 0;
    if (t->attr) {
        if ((rc = find_raw_attr(d, t->index, t->attr, &a)) != 0)
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

/* ------------------------------------------------------------------ */
/* Marking                                                             */
/* ------------------------------------------------------------------ */

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
    while (k > 0 && is_space((unsigned char)x->msg[k - 1]))
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
        if (grow((void **)saved, &cap, k + 1, sizeof **saved) != 0)
            goto nomem;
        (*saved)[k].where = &e->ns;
        (*saved)[k++].ns = e->ns;
        for (a = e->properties; a; a = a->next) {
            if (grow((void **)saved, &cap, k + 1, sizeof **saved) != 0)
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
    vault_free_ptr(*saved);
    *saved = NULL;
    return vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
}

static void restore_namespaces(saved_ns *saved, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        *saved[i].where = saved[i].ns;
    vault_free_ptr(saved);
}

static int eval_xpath(const xdoc *d, const char *xpath, const char *alias, xmlXPathObjectPtr *res)
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
        rc = vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
        goto done;
    }
    ctx->error = xpath_error;
    ctx->userData = &err;
    ctx->node = xmlDocGetRootElement(d->doc);
    comp = xmlXPathCtxtCompile(ctx, BAD_CAST xpath);
    if (comp)
        *res = xmlXPathCompiledEval(comp, ctx);
    if (!*res)
        rc = vault_err(VAULT_EFORMAT, "%s: invalid xpath '%s' for alias '%s'%s%s", d->name, xpath, alias,
                       err.msg[0] ? ": " : "", err.msg);
done:
    xmlXPathFreeCompExpr(comp);
    xmlXPathFreeContext(ctx);
    restore_namespaces(saved, nsaved);
    return rc;
}

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
            for (a = node->properties; a && !attr_qname_is(a, attr_name); a = a->next)
                ;
            if (!a)
                return vault_err(VAULT_ENOTFOUND,
                                 "%s: element '%s' selected by '%s' has no attribute '%s' (alias '%s')",
                                 d->name, (const char *)node->name, xpath, attr_name, alias);
            t->attr = a;
        }
    } else {
        return vault_err(VAULT_EFORMAT,
                         "%s: xpath '%s' for alias '%s' selects something other than elements or attributes",
                         d->name, xpath, alias);
    }
    if (!t->elem || !t->elem->_private)
        return vault_err(VAULT_EFORMAT,
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
        if (xpath_attribute(xpath, &as, &al) != 0)
            return vault_err(VAULT_EFORMAT,
                             "%s: xpath '%s' for alias '%s' names no attribute (expected a last [@name])",
                             d->name, xpath, alias);
        if (!(attr_name = vault_strndup(xpath + as, al)))
            return vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
    }
    if ((rc = eval_xpath(d, xpath, alias, &res)) != 0)
        goto done;
    if (res->type != XPATH_NODESET) {
        rc = vault_err(VAULT_EFORMAT, "%s: xpath '%s' for alias '%s' does not select elements", d->name,
                       xpath, alias);
        goto done;
    }
    if (!res->nodesetval || res->nodesetval->nodeNr <= 0) {
        rc = vault_err(VAULT_ENOTFOUND, "%s: no element matches xpath '%s' (alias '%s')", d->name, xpath,
                       alias);
        goto done;
    }
    if (!(*out = vault_calloc((size_t)res->nodesetval->nodeNr, sizeof **out))) {
        rc = vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
        goto done;
    }
    for (i = 0; i < (size_t)res->nodesetval->nodeNr; i++, k++) {
        if ((rc = target_of(d, res->nodesetval->nodeTab[i], attr_name, xpath, alias, &(*out)[k])) != 0)
            goto done;
        for (j = 0; j < k; j++)
            if ((*out)[j].index == (*out)[k].index) {
                rc = vault_err(VAULT_EFORMAT,
                               "%s: xpath '%s' for alias '%s' selects two values of one element", d->name,
                               xpath, alias);
                goto done;
            }
    }
    *n = k;
done:
    if (rc != 0) {
        vault_free_ptr(*out);
        *out = NULL;
    }
    xmlXPathFreeObject(res);
    vault_free_ptr(attr_name);
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
        return vault_err(VAULT_EFORMAT,
                         "%s: prefix svns is bound to another namespace (%s); cannot mark alias '%s'",
                         d->name, (const char *)ns->href, alias);
    if (raw_attr_named(d, t->index, "svns:" SECRET_ALIAS))
        return vault_err(VAULT_EFORMAT,
                         "%s: element '%s' has an svns:secretAlias outside the secure vault namespace; "
                         "cannot mark alias '%s'",
                         d->name, (const char *)t->elem->name, alias);
    if (!ns && !*ns_added) {
        if (!(x = edit_add(e, d->spans[0].attrs_end, d->spans[0].attrs_end, 0)))
            return vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
        x->rep = (const unsigned char *)ns_decl;
        x->rep_len = sizeof ns_decl - 1;
        *ns_added = 1;
    }
    if (xml_escape((const unsigned char *)alias, alen, d->utf8, '"', NULL, &esc_len) != 0)
        return vault_err(VAULT_EFORMAT, "%s: alias '%s' is not valid UTF-8 XML text", d->name, alias);
    buf = vault_malloc(sizeof pre - 1 + esc_len + 1);
    if (!buf || !(x = edit_add(e, d->spans[t->index].attrs_end, d->spans[t->index].attrs_end, 1))) {
        vault_free_ptr(buf);
        return vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
    }
    memcpy(buf, pre, sizeof pre - 1);
    xml_escape((const unsigned char *)alias, alen, d->utf8, '"', buf + sizeof pre - 1, &esc_len);
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

    if ((rc = target_span(d, t, &start, &end, &quote)) != 0)
        return rc;
    n = value_frame(d, t, plen, NULL, &off, &start, &end);
    buf = vault_malloc(n);
    if (!buf || !(x = edit_add(e, start, end, 2))) {
        vault_free_ptr(buf);
        return vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
    }
    value_frame(d, t, plen, buf, &off, &start, &end);
    memcpy(buf + off, PLACEHOLDER, plen);
    x->own = buf;
    x->rep = buf;
    x->rep_len = n;
    return 0;
}

static int is_placeholder(xmlNodePtr elem, xmlAttrPtr attr)
{
    xmlChar *v = value_of(elem, attr);
    int yes = v && strcmp((const char *)v, PLACEHOLDER) == 0;
    value_free(v);
    return yes;
}

/* A marked element's secret is found by the placeholder (see
 * marked_target()): an attribute cannot be marked while the element's text
 * or another of its attributes also holds it. */
static int check_attr_unambiguous(const xdoc *d, const target *t, const char *alias)
{
    xmlAttrPtr a, other = NULL;
    int text = 0;

    if (!has_child_elements(t->elem))
        text = is_placeholder(t->elem, NULL);
    for (a = t->elem->properties; a && !text && !other; a = a->next)
        if (a != t->attr && !is_alias_attr(a) && is_placeholder(NULL, a))
            other = a;
    if (!text && !other)
        return 0;
    return vault_err(VAULT_EFORMAT,
                     "%s:%u: element '%s' already holds the placeholder \"%s\" in %s%s%s; a mark of its "
                     "attribute '%s' (alias '%s') could not be told from it",
                     d->name, line_of(d, d->spans[t->index].start), (const char *)t->elem->name, PLACEHOLDER,
                     text ? "its text" : "attribute '", text ? "" : (const char *)other->name,
                     text ? "" : "'", (const char *)t->attr->name, alias);
}

/* Plan the edits for one target; *old receives its value when it is to
 * be replaced (NULL when the element is already marked). */
static int plan_target(const xdoc *d, edits *e, const target *t, const char *alias, int *ns_added,
                       xmlChar **old)
{
    xmlAttrPtr marked = alias_attr(t->elem);
    xmlChar *cur = NULL, *mv = NULL;
    int rc = 0, placeholder;

    *old = NULL;
    if (!t->attr && has_child_elements(t->elem))
        return vault_err(VAULT_EFORMAT, "%s: element '%s' for alias '%s' has child elements", d->name,
                         (const char *)t->elem->name, alias);
    if (marked) {
        mv = value_of(NULL, marked);
        if (!mv || strcmp((const char *)mv, alias) != 0) {
            rc = vault_err(VAULT_EFORMAT, "%s: element '%s' is already marked with alias '%s', not '%s'",
                           d->name, (const char *)t->elem->name, mv ? (const char *)mv : "", alias);
            goto done;
        }
    }
    if (!(cur = value_of(t->elem, t->attr))) {
        rc = vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
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
    value_free(cur);
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
                rc = vault_err(VAULT_EFORMAT,
                               "%s: the %zu nodes selected for alias '%s' hold different values", d->name, n,
                               alias);
            value_free(v);
        }
        v = NULL;
    }
    if (rc != 0) {
        value_free(*old);
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
            return vault_err(VAULT_EFORMAT,
                             "%s:%u: element '%s' uses the prefix svns in %s without declaring it "
                             "(xmlns:svns); cannot mark xpath '%s' (alias '%s')",
                             d->name, line_of(d, d->spans[i].start), (const char *)e->name, what, xpath,
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
        a = alias_attr(t[i].elem);
        v = value_of(t[i].elem, t[i].attr);
        mv = a ? value_of(NULL, a) : NULL;
        if (!a || !v || !mv || strcmp((const char *)v, PLACEHOLDER) != 0 ||
            strcmp((const char *)mv, alias) != 0)
            rc = VAULT_ERROR;
        value_free(v);
        xmlFree(mv);
    }
    if (rc != 0)
        rc = vault_err(VAULT_ERROR, "%s: internal error: the marked document does not check (alias '%s')",
                       name, alias);
done:
    vault_free_ptr(t);
    xdoc_free(&d);
    return rc;
}

int vault_xml_mark_secret(char **out, size_t *out_len, vault_secret **old_value, const void *xml, size_t len,
                          const char *name, const char *xpath, int attribute, const char *alias)
{
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
    if (!out || !out_len || !xml || !xpath || !alias)
        return vault_err(VAULT_EINVAL, "vault_xml_mark_secret: invalid argument");
    name = name ? name : "(xml)";
    if ((rc = xdoc_load(&d, name, xml, len, alias)) != 0 ||
        (rc = locate(&d, xpath, attribute, alias, &t, &n)) != 0 ||
        (rc = plan_marks(&d, &e, t, n, alias, &old)) != 0 || (rc = check_svns_bound(&d, xpath, alias)) != 0 ||
        (rc = edits_prepare(&d, &e, &total)) != 0)
        goto done;
    if (!(buf = vault_malloc(total + 1))) {
        rc = vault_err(VAULT_ENOMEM, "%s: out of memory", name);
        goto done;
    }
    edits_apply(&d, &e, buf);
    if ((rc = verify_marks(name, buf, total, xpath, attribute, alias, n)) != 0)
        goto done;
    if (old_value && old && (rc = vault_secret_new(old_value, old, (size_t)xmlStrlen(old))) != 0)
        goto done;
    *out = (char *)buf;
    *out_len = total;
    buf = NULL;
done:
    vault_free_ptr(buf);
    value_free(old);
    edits_free(&e);
    vault_free_ptr(t);
    xdoc_free(&d);
    return rc;
}

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
    int children = has_child_elements(elem), text_is_placeholder = 0, count = 0;

    memset(t, 0, sizeof *t);
    t->elem = elem;
    t->index = i;
    if (!children) {
        v = value_of(elem, NULL);
        text_is_placeholder = v && strcmp((const char *)v, PLACEHOLDER) == 0;
        value_free(v);
        if (text_is_placeholder)
            return 0;
    }
    for (a = elem->properties; a; a = a->next) {
        if (a == alias_a)
            continue;
        v = value_of(NULL, a);
        if (v && strcmp((const char *)v, PLACEHOLDER) == 0) {
            found = a;
            count++;
        }
        value_free(v);
    }
    if (count == 1) {
        t->attr = found;
        return 0;
    }
    if (!children && count == 0)
        return 0;
    return vault_err(VAULT_EFORMAT, "%s:%u: cannot tell which value of element '%s' is the secret", d->name,
                     line_of(d, d->spans[i].start), (const char *)elem->name);
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (grow((void **)buf, cap, *len + n + 1, 1) != 0)
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

static int mark_record(const xdoc *d, vault_xml_marks *m, const target *t, const xmlChar *alias)
{
    vault_xml_mark *x;
    char *path = NULL, *attr = NULL;
    size_t len = 0, cap = 0, alen = 0, acap = 0;

    if (grow((void **)&m->v, &m->cap, m->n + 1, sizeof *m->v) != 0 || step(&path, &len, &cap, t->elem) != 0 ||
        (t->attr &&
         (append(&path, &len, &cap, "/@", 2) || append_qname(&path, &len, &cap, t->attr->ns, t->attr->name) ||
          append_qname(&attr, &alen, &acap, t->attr->ns, t->attr->name))))
        goto nomem;
    x = &m->v[m->n];
    memset(x, 0, sizeof *x);
    if (!(x->alias = vault_strdup((const char *)alias)))
        goto nomem;
    x->path = path;
    x->attribute = attr;
    x->line = line_of(d, d->spans[t->index].start);
    m->n++;
    return 0;
nomem:
    vault_free_ptr(path);
    vault_free_ptr(attr);
    return vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
}

void vault_xml_marks_free(vault_xml_marks *marks)
{
    size_t i;
    if (!marks)
        return;
    for (i = 0; i < marks->n; i++) {
        vault_free_ptr((char *)marks->v[i].alias);
        vault_free_ptr((char *)marks->v[i].path);
        vault_free_ptr((char *)marks->v[i].attribute);
    }
    vault_free_ptr(marks->v);
    vault_free_ptr(marks);
}

size_t vault_xml_marks_count(const vault_xml_marks *marks)
{
    return marks ? marks->n : 0;
}

const vault_xml_mark *vault_xml_marks_at(const vault_xml_marks *marks, size_t i)
{
    return marks && i < marks->n ? &marks->v[i] : NULL;
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
        if (!(a = alias_attr(d->nodes[i])))
            continue;
        if (!(alias = value_of(NULL, a)))
            return vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
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
        return vault_err(VAULT_EINVAL, "vault_xml_marked: invalid argument");
    *out = NULL;
    name = name ? name : "(xml)";
    if (!(m = vault_calloc(1, sizeof *m))) {
        rc = vault_err(VAULT_ENOMEM, "%s: out of memory", name);
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

    if ((rc = target_span(d, t, &start, &end, &quote)) != 0)
        return rc;
    if ((rc = x->resolve((const char *)alias, &value, x->payload)) != 0 || !value) {
        const vault_error *le = vault_error_last();
        rc = rc ? rc : VAULT_ERROR;
        return vault_err(rc, "%s:%u: cannot resolve alias '%s': %s", d->name,
                         line_of(d, d->spans[t->index].start), (const char *)alias,
                         le && le->message ? le->message : vault_strerror(rc));
    }
    if (xml_escape(vault_secret_data(value), vault_secret_len(value), d->utf8, quote, NULL, &esc_len) != 0) {
        rc = vault_err(VAULT_EFORMAT, "%s: the value of alias '%s' is not valid UTF-8 XML text", d->name,
                       (const char *)alias);
        goto done;
    }
    n = value_frame(d, t, esc_len, NULL, &off, &start, &end);
    if ((rc = vault_secret_alloc(&rep, n, &p)) != 0)
        goto done;
    value_frame(d, t, esc_len, p, &off, &start, &end);
    xml_escape(vault_secret_data(value), vault_secret_len(value), d->utf8, quote, p + off, &esc_len);
    vault_secret_seal(rep);
    if (!(ed = edit_add(&x->e, start, end, 2))) {
        rc = vault_err(VAULT_ENOMEM, "%s: out of memory", d->name);
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
        return vault_err(VAULT_EINVAL, "vault_xml_expand: invalid argument");
    name = name ? name : "(xml)";
    x.resolve = resolve;
    x.payload = payload;
    if ((rc = xdoc_load(&d, name, xml, len, NULL)) != 0 || (rc = for_each_mark(&d, expand_one, &x)) != 0 ||
        (rc = edits_prepare(&d, &x.e, &total)) != 0 || (rc = vault_secret_alloc(out, total, &p)) != 0)
        goto done;
    edits_apply(&d, &x.e, p);
    vault_secret_seal(*out);
done:
    edits_free(&x.e);
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
        return vault_err(VAULT_EINVAL, "vault_xml_value: invalid argument");
    *out = NULL;
    rc = xdoc_load(&d, name, xml, len, xpath);
    if (rc == 0)
        rc = eval_xpath(&d, xpath, xpath, &res);
    if (rc == 0 && (res->type != XPATH_NODESET || !res->nodesetval || res->nodesetval->nodeNr == 0))
        rc = VAULT_ENOTFOUND;
    if (rc == 0) {
        text = xmlNodeGetContent(res->nodesetval->nodeTab[0]);
        *out = text ? vault_strdup((const char *)text) : vault_strdup("");
        if (!*out)
            rc = vault_err(VAULT_ENOMEM, "%s: out of memory", name);
    }
    xmlFree(text);
    xmlXPathFreeObject(res);
    xdoc_free(&d);
    return rc;
}
