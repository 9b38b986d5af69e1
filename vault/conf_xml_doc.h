/* SPDX-License-Identifier: Apache-2.0 */
/* XML configuration files, the WSO2 secure vault way: the document model
 * shared by conf_xml_map.c (the legacy cipher-tool.properties map),
 * conf_xml_doc.c (the parsed tree plus the raw start tags),
 * conf_xml_edit.c (edits on the raw bytes), conf_xml_mark.c (marking a
 * secret with svns:secretAlias) and conf_xml.c (listing and expanding
 * marked elements).
 *
 * libxml2 parses the document (well-formedness, entities, XPath); the edits
 * are made on the original bytes. */
#ifndef VAULT_CONF_XML_DOC_H
#define VAULT_CONF_XML_DOC_H

#include "array.h"
#include "conf_internal.h"
#include "vault/xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xmlversion.h>
#include <libxml/xpathInternals.h>
#include "xml_lib.h" /* after libxml2's headers: its names go through the loaded table */

#define SECRET_ALIAS "secretAlias"
#define PLACEHOLDER VAULT_XML_PLACEHOLDER

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

typedef struct edit {
    size_t start, end;
    int order; /* at one offset: namespace declaration, alias, then value */
    size_t seq;
    const unsigned char *rep;
    size_t rep_len;
    void *own;           /* vault__free_ptr()'ed */
    vault_secret *own_s; /* vault_secret_free()'d */
} edit;

typedef struct edits {
    edit *v;
    size_t n, cap;
} edits;

/* conf_xml_map.c */
int xdoc_is_space(unsigned char c);
int xdoc_xpath_attribute(const char *xp, size_t *start, size_t *len);

/* conf_xml_doc.c */
void xdoc_free(xdoc *d);
int xdoc_load(xdoc *d, const char *name, const void *xml, size_t len, const char *alias);
unsigned int xdoc_line_of(const xdoc *d, size_t off);
int xdoc_find_raw_attr(const xdoc *d, size_t i, xmlAttrPtr attr, rattr *out);
int xdoc_raw_attr_named(const xdoc *d, size_t i, const char *qname);
int xdoc_is_alias_attr(const xmlAttr *a);
xmlAttrPtr xdoc_alias_attr(xmlNodePtr elem);
int xdoc_has_child_elements(xmlNodePtr elem);
int xdoc_attr_qname_is(const xmlAttr *a, const char *qname);
xmlChar *xdoc_value_of(xmlNodePtr elem, xmlAttrPtr attr);
void xdoc_value_free(xmlChar *v);
int xdoc_eval_xpath(const xdoc *d, const char *xpath, const char *alias, xmlXPathObjectPtr *res);

/* conf_xml_edit.c */
void xdoc_edits_free(edits *e);
edit *xdoc_edit_add(edits *e, size_t start, size_t end, int order);
int xdoc_edits_prepare(const xdoc *d, edits *e, size_t *total);
void xdoc_edits_apply(const xdoc *d, const edits *e, unsigned char *out);
int xdoc_xml_escape(const unsigned char *s, size_t n, int utf8, unsigned char quote, unsigned char *out,
                    size_t *out_len);
size_t xdoc_value_frame(const xdoc *d, const target *t, size_t esc_len, unsigned char *out,
                        size_t *value_off, size_t *start, size_t *end);
int xdoc_target_span(const xdoc *d, const target *t, size_t *start, size_t *end, unsigned char *quote);

#endif
