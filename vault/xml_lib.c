/* SPDX-License-Identifier: Apache-2.0 */
/* libxml2, loaded on first use (see xml_lib.h). */
#define VAULT_XML_LIB_IMPL
#include "xml_lib.h"

#include "internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The library's name for the dynamic loader, read by the build from the
 * libxml2 it compiled against (2.14 moved from libxml2.so.2 to .so.16). */
#ifndef VAULT_LIBXML2_SONAME
#  error "VAULT_LIBXML2_SONAME is set by the build (vault/CMakeLists.txt)"
#endif
#define XML_SONAME VAULT_LIBXML2_SONAME

xml_lib xml_fns;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static void *handle;
static char load_error[256];

/* Each entry's type is checked against libxml2's own declaration, without
 * referring to the symbol (which would link libxml2 after all). */
#define SYM(field, name)                                                                            \
    {offsetof(xml_lib, field), #name}
#define SAME_TYPE(field, name)                                                                      \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&name), __typeof__(xml_fns.field)), #name)

SAME_TYPE(CtxtGetLastError, xmlCtxtGetLastError);
SAME_TYPE(CtxtReadMemory, xmlCtxtReadMemory);
SAME_TYPE(DocGetRootElement, xmlDocGetRootElement);
SAME_TYPE(FreeDoc, xmlFreeDoc);
SAME_TYPE(FreeParserCtxt, xmlFreeParserCtxt);
SAME_TYPE(InitParser, xmlInitParser);
SAME_TYPE(NewParserCtxt, xmlNewParserCtxt);
SAME_TYPE(NodeGetContent, xmlNodeGetContent);
SAME_TYPE(SearchNs, xmlSearchNs);
SAME_TYPE(StrEqual, xmlStrEqual);
SAME_TYPE(Strlen, xmlStrlen);
SAME_TYPE(Strncmp, xmlStrncmp);
SAME_TYPE(XPathCompiledEval, xmlXPathCompiledEval);
SAME_TYPE(XPathCtxtCompile, xmlXPathCtxtCompile);
SAME_TYPE(XPathFreeCompExpr, xmlXPathFreeCompExpr);
SAME_TYPE(XPathFreeContext, xmlXPathFreeContext);
SAME_TYPE(XPathFreeObject, xmlXPathFreeObject);
SAME_TYPE(XPathNewContext, xmlXPathNewContext);
SAME_TYPE(Free, xmlFree);

static const vault_dl_sym symbols[] = {
    SYM(CtxtGetLastError, xmlCtxtGetLastError),
    SYM(CtxtReadMemory, xmlCtxtReadMemory),
    SYM(DocGetRootElement, xmlDocGetRootElement),
    SYM(FreeDoc, xmlFreeDoc),
    SYM(FreeParserCtxt, xmlFreeParserCtxt),
    SYM(InitParser, xmlInitParser),
    SYM(NewParserCtxt, xmlNewParserCtxt),
    SYM(NodeGetContent, xmlNodeGetContent),
    SYM(SearchNs, xmlSearchNs),
    SYM(StrEqual, xmlStrEqual),
    SYM(Strlen, xmlStrlen),
    SYM(Strncmp, xmlStrncmp),
    SYM(XPathCompiledEval, xmlXPathCompiledEval),
    SYM(XPathCtxtCompile, xmlXPathCtxtCompile),
    SYM(XPathFreeCompExpr, xmlXPathFreeCompExpr),
    SYM(XPathFreeContext, xmlXPathFreeContext),
    SYM(XPathFreeObject, xmlXPathFreeObject),
    SYM(XPathNewContext, xmlXPathNewContext),
    SYM(Free, xmlFree),
};

static void load(void)
{
    void *h = vault__dl_bind(XML_SONAME, &xml_fns, symbols, sizeof symbols / sizeof symbols[0], load_error,
                            sizeof load_error);

    if (!h)
        return;
    xml_fns.InitParser();
    handle = h; /* kept for the life of the process */
}

int xml_lib_load(void)
{
    pthread_once(&load_once, load);
    if (!handle)
        return vault__err(VAULT_ERROR, "XML support needs libxml2 (%s), which cannot be loaded: %s",
                         XML_SONAME, load_error);
    return 0;
}
