/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: secrets in XML files (WSO2 Carbon style).
 *
 * The whole input is the XML document. It is listed (vault_xml_marked),
 * expanded with a fixed resolver, read with a fixed XPath, and marked with
 * each fixed xpath of the seed files (element text and attribute forms).
 * A successful mark must list the alias when the result is listed again
 * (abort() otherwise: an invariant check); the result is then expanded.
 */
#include <vault/xml.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALIAS "Fuzz.Secret.Password"

typedef struct fixed_xpath {
    const char *xpath;
    int attribute;
} fixed_xpath;

/* The xpaths of tests/fuzz seeds' cipher-tool.properties. */
static const fixed_xpath xpaths[] = {
    {"//Server/Security/KeyStore/Password", 0},
    {"//Server/Service/Connector[@keystorePass]", 1},
    {"//datasources-configuration/datasources/datasource[name='SHARED_DB']/definition[@type='RDBMS']"
     "/configuration/password",
     0},
    {"//UserManager/Realm/Configuration/AdminUser/Password", 0},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int resolve(const char *alias, vault_secret **out, void *payload)
{
    static const char value[] = "s3cret <&> \"'\xC3\xA9";
    (void)payload;
    if (strcmp(alias, "unknown") == 0)
        return VAULT_ENOTFOUND;
    return vault_secret_new(out, value, sizeof value - 1);
}

static void expand(const void *xml, size_t len)
{
    vault_secret *expanded = NULL;

    (void)vault_xml_expand(&expanded, xml, len, "fuzz.xml", resolve, NULL);
    vault_secret_free(expanded);
}

static void list_marks(const uint8_t *data, size_t size)
{
    vault_xml_marks *marks = NULL;
    size_t i, n = 0;

    if (vault_xml_marked(&marks, data, size, "fuzz.xml") != 0)
        return;
    for (i = 0; i < vault_xml_marks_count(marks); i++) {
        const vault_xml_mark *m = NULL;
        if (vault_xml_marks_at(&m, marks, i) != 0)
            abort();
        n += strlen(m->alias) + strlen(m->path) + (m->attribute ? strlen(m->attribute) : 0);
    }
    (void)n;
    vault_xml_marks_free(marks);
}

static int lists_alias(const char *xml, size_t len)
{
    vault_xml_marks *marks = NULL;
    size_t i;
    int found = 0;

    if (vault_xml_marked(&marks, xml, len, "marked.xml") != 0)
        return 0;
    for (i = 0; i < vault_xml_marks_count(marks); i++) {
        const vault_xml_mark *m = NULL;
        if (vault_xml_marks_at(&m, marks, i) != 0)
            abort();
        found |= strcmp(m->alias, ALIAS) == 0;
    }
    vault_xml_marks_free(marks);
    return found;
}

/* listable: the input itself lists; marking it must keep it so and list
 * the new mark. (An input holding some other, malformed mark is refused by
 * the lister before and after; that is not the mark's doing.) */
static void mark(const uint8_t *data, size_t size, const fixed_xpath *x, int listable)
{
    char *out = NULL;
    size_t len = 0;
    vault_secret *old = NULL;

    if (vault_xml_mark_secret(&out, &len, &old, data, size,
        &(vault_xml_mark_options){VAULT_XML_MARK_OPTIONS_VERSION, "fuzz.xml", x->xpath, x->attribute, ALIAS}) != 0)
        return;
    if (listable && !lists_alias(out, len)) {
        const vault_error *e = vault_error_last();
        fprintf(stderr, "fuzz_xml: marked with %s but not listed: %s\n", x->xpath,
                e ? e->message : "no error recorded");
        abort();
    }
    expand(out, len);
    vault_secret_free(old);
    vault_string_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vault_xml_marks *before = NULL;
    char *value = NULL;
    size_t i;
    int listable;

    listable = vault_xml_marked(&before, data, size, "fuzz.xml") == 0;
    vault_xml_marks_free(before);
    list_marks(data, size);
    expand(data, size);
    (void)vault_xml_value(&value, data, size, "fuzz.xml", "//Server/Security/KeyStore/Location");
    vault_string_free(value);
    for (i = 0; i < COUNT(xpaths); i++)
        mark(data, size, &xpaths[i], listable);
    return 0;
}
