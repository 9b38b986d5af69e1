/* SPDX-License-Identifier: Apache-2.0 */
/* libxml2, loaded on first use (xml_lib.c). The conf_xml*.c files include
 * this (through conf_xml_doc.h) after libxml2's headers and call libxml2 by
 * its usual names, which the macros below send through the loaded table.
 * A process that never reads XML never maps libxml2 and what it pulls in
 * (ICU, libstdc++): about 2 MB of memory and 2 ms of start-up. */
#ifndef VAULT_XML_LIB_H
#define VAULT_XML_LIB_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>

typedef struct xml_lib {
    xmlErrorPtr (*CtxtGetLastError)(void *ctx);
    xmlDocPtr (*CtxtReadMemory)(xmlParserCtxtPtr ctxt, const char *buffer, int size, const char *URL,
                                const char *encoding, int options);
    xmlNodePtr (*DocGetRootElement)(const xmlDoc *doc);
    void (*FreeDoc)(xmlDocPtr cur);
    void (*FreeParserCtxt)(xmlParserCtxtPtr ctxt);
    void (*InitParser)(void);
    xmlParserCtxtPtr (*NewParserCtxt)(void);
    xmlChar *(*NodeGetContent)(const xmlNode *cur);
    xmlNsPtr (*SearchNs)(xmlDocPtr doc, xmlNodePtr node, const xmlChar *nameSpace);
    int (*StrEqual)(const xmlChar *str1, const xmlChar *str2);
    int (*Strlen)(const xmlChar *str);
    int (*Strncmp)(const xmlChar *str1, const xmlChar *str2, int len);
    xmlXPathObjectPtr (*XPathCompiledEval)(xmlXPathCompExprPtr comp, xmlXPathContextPtr ctx);
    xmlXPathCompExprPtr (*XPathCtxtCompile)(xmlXPathContextPtr ctxt, const xmlChar *str);
    void (*XPathFreeCompExpr)(xmlXPathCompExprPtr comp);
    void (*XPathFreeContext)(xmlXPathContextPtr ctxt);
    void (*XPathFreeObject)(xmlXPathObjectPtr obj);
    xmlXPathContextPtr (*XPathNewContext)(xmlDocPtr doc);
    xmlFreeFunc *Free; /* libxml2's xmlFree variable */
} xml_lib;

extern xml_lib xml_fns;

/* Load libxml2 once (thread-safe): 0, or VAULT_ERROR saying why it cannot
 * be loaded. Every entry point of the conf_xml*.c files calls it before libxml2. */
int xml_lib_load(void);

#ifndef VAULT_XML_LIB_IMPL
#define xmlCtxtGetLastError (xml_fns.CtxtGetLastError)
#define xmlCtxtReadMemory (xml_fns.CtxtReadMemory)
#define xmlDocGetRootElement (xml_fns.DocGetRootElement)
#define xmlFreeDoc (xml_fns.FreeDoc)
#define xmlFreeParserCtxt (xml_fns.FreeParserCtxt)
#define xmlInitParser (xml_fns.InitParser)
#define xmlNewParserCtxt (xml_fns.NewParserCtxt)
#define xmlNodeGetContent (xml_fns.NodeGetContent)
#define xmlSearchNs (xml_fns.SearchNs)
#define xmlStrEqual (xml_fns.StrEqual)
#define xmlStrlen (xml_fns.Strlen)
#define xmlStrncmp (xml_fns.Strncmp)
#define xmlXPathCompiledEval (xml_fns.XPathCompiledEval)
#define xmlXPathCtxtCompile (xml_fns.XPathCtxtCompile)
#define xmlXPathFreeCompExpr (xml_fns.XPathFreeCompExpr)
#define xmlXPathFreeContext (xml_fns.XPathFreeContext)
#define xmlXPathFreeObject (xml_fns.XPathFreeObject)
#define xmlXPathNewContext (xml_fns.XPathNewContext)
#undef xmlFree
#define xmlFree (*xml_fns.Free)
#endif

#endif
