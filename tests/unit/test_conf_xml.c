/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool.properties and XML secret marking.
 *
 * The expected documents are written by hand: the input with exactly the
 * insertions and replacements a marking makes, every other byte the same.
 * libxml2 parses every output again and Java (a program compiled at test
 * time, parsing without namespaces as the WSO2 cipher tool does) finds the
 * marked node by the same xpath and reads svns:secretAlias in its
 * namespace, as the WSO2 runtime does. */
#include "internal.h"
#include "testutil.h"
#include "vault/xml.h"

#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOME "fixtures/wso2-home/"
#define MAP HOME "repository/conf/security/cipher-tool.properties"
#define NS_DECL " xmlns:svns=\"http://org.wso2.securevault/configuration\""

/* ---- helpers ---- */

static const char *tmp_path(const char *name)
{
    static char buf[8][4096];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

/* text with the one occurrence of old replaced by new (malloc'ed). */
static char *replace_once(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);
    size_t n = strlen(text), o = strlen(old), w = strlen(new);
    char *out;
    cr_assert_not_null(at, "'%s' not in the text", old);
    cr_assert_null(strstr(at + 1, old), "'%s' twice in the text", old);
    out = malloc(n - o + w + 1);
    memcpy(out, text, (size_t)(at - text));
    memcpy(out + (at - text), new, w);
    strcpy(out + (at - text) + w, at + o);
    return out;
}

/* Apply pairs of (old, new) replacements to text. */
static char *edit_text(const char *text, const char *const *pairs)
{
    char *cur = strdup(text), *next;
    size_t i;
    for (i = 0; pairs[i]; i += 2) {
        next = replace_once(cur, pairs[i], pairs[i + 1]);
        free(cur);
        cur = next;
    }
    return cur;
}

static const char *msg(void)
{
    const vault_error *e = vault_error_last();
    return e && e->message ? e->message : "(no message)";
}

static int mark(const char *xml, const char *name, const char *xpath, int attr, const char *alias, char **out,
                vault_secret **old)
{
    size_t len = 0;
    return vault_xml_mark_secret(out, &len, old, xml, strlen(xml),
        &(vault_xml_mark_options){VAULT_XML_MARK_OPTIONS_VERSION, name, xpath, attr, alias});
}

/* Parse with libxml2 and evaluate the xpath with every namespace hidden
 * (the Java tool parses without namespaces); returns the value of the
 * single node (text, or the attribute attr) and its svns:secretAlias. */
static void libxml_check(const char *xml, const char *xpath, const char *attr, const char *value,
                         const char *alias)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr res;
    xmlNodePtr node;
    xmlNsPtr *saved;
    xmlChar *v, *a;
    size_t i = 0;

    cr_assert_not_null(doc, "libxml2 cannot parse the output");
    /* Hide namespaces of all elements with a simple recursive walk. */
    saved = calloc(4096, sizeof *saved);
    {
        xmlNodePtr stack[256];
        int sp = 0;
        stack[sp++] = xmlDocGetRootElement(doc);
        while (sp > 0) {
            xmlNodePtr e = stack[--sp], c;
            cr_assert(i < 4096);
            saved[i++] = e->ns;
            e->ns = NULL;
            for (c = e->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && sp < 256)
                    stack[sp++] = c;
        }
    }
    ctx = xmlXPathNewContext(doc);
    res = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
    cr_assert(res && res->type == XPATH_NODESET && res->nodesetval && res->nodesetval->nodeNr == 1,
              "libxml2 does not find exactly one node for %s", xpath);
    node = res->nodesetval->nodeTab[0];
    cr_assert_eq(node->type, XML_ELEMENT_NODE);
    /* Restore the namespaces in the same order. */
    {
        xmlNodePtr stack[256];
        int sp = 0;
        i = 0;
        stack[sp++] = xmlDocGetRootElement(doc);
        while (sp > 0) {
            xmlNodePtr e = stack[--sp], c;
            e->ns = saved[i++];
            for (c = e->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && sp < 256)
                    stack[sp++] = c;
        }
    }
    v = attr ? xmlGetProp(node, BAD_CAST attr) : xmlNodeGetContent(node);
    a = xmlGetNsProp(node, BAD_CAST "secretAlias", BAD_CAST VAULT_XML_SECUREVAULT_NS);
    cr_assert_not_null(v);
    cr_assert_str_eq((const char *)v, value);
    if (alias) {
        cr_assert_not_null(a, "no svns:secretAlias on the node");
        cr_assert_str_eq((const char *)a, alias);
    } else {
        cr_assert_null(a);
    }
    xmlFree(v);
    xmlFree(a);
    free(saved);
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
}

/* ---- Java: the WSO2 tool's view (no namespaces) and the runtime's ---- */

static const char java_source[] =
    "import java.io.*;\n"
    "import java.nio.charset.StandardCharsets;\n"
    "import java.nio.file.*;\n"
    "import javax.xml.parsers.*;\n"
    "import javax.xml.xpath.*;\n"
    "import org.w3c.dom.*;\n"
    "public class XmlCheck {\n"
    "  static final String NS = \"http://org.wso2.securevault/configuration\";\n"
    "  public static void main(String[] args) throws Exception {\n"
    "    StringBuilder out = new StringBuilder();\n"
    "    for (String line : Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8)) {\n"
    "      String[] f = line.split(\"\\t\");\n"
    "      DocumentBuilderFactory plain = DocumentBuilderFactory.newInstance();\n"
    "      plain.setNamespaceAware(false);\n"
    "      Document doc = plain.newDocumentBuilder().parse(new File(f[0]));\n"
    "      NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath().compile(f[1])\n"
    "          .evaluate(doc.getDocumentElement(), XPathConstants.NODESET);\n"
    "      for (int i = 0; i < nodes.getLength(); i++) {\n"
    "        Element e = (Element) nodes.item(i);\n"
    "        String v = f[2].equals(\"-\") ? e.getTextContent() : e.getAttribute(f[2]);\n"
    "        out.append(\"node \").append(v).append(\" "
    "alias=\").append(e.getAttribute(\"svns:secretAlias\"))\n"
    "           .append('\\n');\n"
    "      }\n"
    "      DocumentBuilderFactory nsf = DocumentBuilderFactory.newInstance();\n"
    "      nsf.setNamespaceAware(true);\n"
    "      Document nsdoc = nsf.newDocumentBuilder().parse(new File(f[0]));\n"
    "      NodeList all = nsdoc.getElementsByTagName(\"*\");\n"
    "      for (int i = 0; i < all.getLength(); i++) {\n"
    "        Element e = (Element) all.item(i);\n"
    "        if (e.hasAttributeNS(NS, \"secretAlias\"))\n"
    "          out.append(\"marked \").append(e.getLocalName()).append(' ')\n"
    "             .append(e.getAttributeNS(NS, \"secretAlias\")).append('\\n');\n"
    "      }\n"
    "      out.append(\"root-ns "
    "\").append(nsdoc.getDocumentElement().lookupNamespaceURI(\"svns\")).append('\\n');\n"
    "    }\n"
    "    System.out.print(out);\n"
    "  }\n"
    "}\n";

static char *java_check(const char *list)
{
    char dir[4096], cmd[8192];
    unsigned char *out = NULL;
    size_t len = 0;

    cr_assert(have_program("javac") && have_program("java"), "javac and java (JDK 17) are needed");
    snprintf(dir, sizeof dir, "%s/java", test_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/XmlCheck.java", dir);
    spit(cmd, java_source, strlen(java_source));
    snprintf(cmd, sizeof cmd, "javac -d '%s' '%s/XmlCheck.java' 2>&1", dir, dir);
    cr_assert_eq(run_capture(cmd, NULL, NULL), 0, "javac failed");
    spit(tmp_path("list.txt"), list, strlen(list));
    snprintf(cmd, sizeof cmd, "java -cp '%s' XmlCheck '%s' 2>&1", dir, tmp_path("list.txt"));
    cr_assert_eq(run_capture(cmd, &out, &len), 0, "java failed: %s", out ? (char *)out : "");
    return (char *)out;
}

/* ---- the legacy map ---- */

static const struct {
    const char *alias, *file, *xpath;
    int attribute;
    const char *attribute_name;
    unsigned int line;
    const char *old;               /* the value in the XML file */
    const char *const edits[9];    /* (old, new) pairs: the marked document */
    const char *const expanded[9]; /* (old, new) pairs: marked, then expanded */
} fixture[] = {
    {"Carbon.Security.KeyStore.Password",
     "repository/conf/carbon.xml",
     "//Server/Security/KeyStore/Password",
     0,
     NULL,
     2,
     "wso2carbon",
     {"<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">",
      "<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\"" NS_DECL ">",
      "<Password>wso2carbon</Password>",
      "<Password svns:secretAlias=\"Carbon.Security.KeyStore.Password\">password</Password>", NULL},
     {"<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">",
      "<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\"" NS_DECL ">",
      "<Password>wso2carbon</Password>",
      "<Password svns:secretAlias=\"Carbon.Security.KeyStore.Password\">wso2carbon</Password>", NULL}},
    {"UserManager.AdminUser.Password",
     "repository/conf/user-mgt.xml",
     "//UserManager/Realm/Configuration/AdminUser/Password",
     0,
     NULL,
     3,
     "admin",
     {"<UserManager>", "<UserManager" NS_DECL ">", "<Password>admin</Password>",
      "<Password svns:secretAlias=\"UserManager.AdminUser.Password\">password</Password>", NULL},
     {"<UserManager>", "<UserManager" NS_DECL ">", "<Password>admin</Password>",
      "<Password svns:secretAlias=\"UserManager.AdminUser.Password\">admin</Password>", NULL}},
    {"Datasources.SHARED_DB.Configuration.Password",
     "repository/conf/datasources/master-datasources.xml",
     "//datasources-configuration/datasources/datasource[name='SHARED_DB']/definition[@type='RDBMS']/"
     "configuration/password",
     0,
     NULL,
     4,
     "db=secret\\with\\backslashes",
     {"<password>db=secret\\with\\backslashes</password>",
      "<password svns:secretAlias=\"Datasources.SHARED_DB.Configuration.Password\">password</password>",
      NULL},
     {"<password>db=secret\\with\\backslashes</password>",
      "<password "
      "svns:secretAlias=\"Datasources.SHARED_DB.Configuration.Password\">db=secret\\with\\backslashes</"
      "password>",
      NULL}},
    {"Server.Service.Connector.keystorePass",
     "repository/conf/tomcat/catalina-server.xml",
     "//Server/Service/Connector[@keystorePass]",
     1,
     "keystorePass",
     5,
     "wso2carbon",
     {"<Server port=\"8005\" shutdown=\"SHUTDOWN\">",
      "<Server port=\"8005\" shutdown=\"SHUTDOWN\"" NS_DECL ">", "keystorePass=\"wso2carbon\"/>",
      "keystorePass=\"password\" svns:secretAlias=\"Server.Service.Connector.keystorePass\"/>", NULL},
     {"<Server port=\"8005\" shutdown=\"SHUTDOWN\">",
      "<Server port=\"8005\" shutdown=\"SHUTDOWN\"" NS_DECL ">", "keystorePass=\"wso2carbon\"/>",
      "keystorePass=\"wso2carbon\" svns:secretAlias=\"Server.Service.Connector.keystorePass\"/>", NULL}},
};
#define FIXTURE_COUNT (sizeof fixture / sizeof fixture[0])

/* Marked element i, which must exist. */
static const vault_xml_mark *mark_at(const vault_xml_marks *m, size_t i)
{
    const vault_xml_mark *x = NULL;
    cr_assert_eq(vault_xml_marks_at(&x, m, i), 0, "mark %zu", i);
    return x;
}

Test(legacy_map, fixture_entries)
{
    vault_legacy_map *map = NULL;
    const vault_legacy_entry *e;
    size_t i, idx;

    cr_assert_eq(vault_legacy_map_read(&map, shared_path(MAP)), 0, "%s", msg());
    cr_assert_eq(vault_legacy_map_count(map), FIXTURE_COUNT);
    for (i = 0; i < FIXTURE_COUNT; i++) {
        cr_assert_eq(vault_legacy_map_entry_at(&e, map, i), 0);
        cr_assert_str_eq(e->alias, fixture[i].alias);
        cr_assert_str_eq(e->file, fixture[i].file);
        cr_assert_str_eq(e->xpath, fixture[i].xpath);
        cr_assert_eq(e->attribute, fixture[i].attribute);
        if (fixture[i].attribute_name)
            cr_assert_str_eq(e->attribute_name, fixture[i].attribute_name);
        else
            cr_assert_null(e->attribute_name);
        cr_assert_eq(e->line, fixture[i].line);
        cr_assert_eq(vault_legacy_map_find(&idx, map, fixture[i].alias), 0);
        cr_assert_eq(idx, i);
    }
    cr_assert_eq(vault_legacy_map_entry_at(&e, map, FIXTURE_COUNT), VAULT_ENOTFOUND);
    cr_assert_null(e);
    cr_assert_eq(vault_legacy_map_find(&idx, map, "nope"), VAULT_ENOTFOUND);
    vault_legacy_map_free(map);
    vault_legacy_map_free(NULL);
}

static const struct {
    const char *text;
    int rc;
    const char *file, *xpath, *attr_name;
    int attribute;
} map_cases[] = {
    {"a=f.xml//x/y", 0, "f.xml", "//x/y", NULL, 0},
    {"a=f.xml//x/y,false", 0, "f.xml", "//x/y", NULL, 0},
    {"a=f.xml//x/y[@k] , true ", 0, "f.xml", "//x/y[@k] ", "k", 1},
    {"a=f.xml//x/y[@k],true", 0, "f.xml", "//x/y[@k]", "k", 1},
    {"a=f.xml//x/y[@ns:k = 'v'],true", 0, "f.xml", "//x/y[@ns:k = 'v']", "ns:k", 1},
    {"a=f.xml//x[@t='a,b]']/y[ @k ],true", 0, "f.xml", "//x[@t='a,b]']/y[ @k ]", "k", 1},
    {"a=f.xml//x/@k,true", 0, "f.xml", "//x/@k", "k", 1},
    {"a=f.xml//x[contains(.,'a')]", 0, "f.xml", "//x[contains(.,'a')]", NULL, 0},
    {"a=dir\\\\f.xml//x", 0, "dir\\f.xml", "//x", NULL, 0},
    /* ",true" naming no attribute: the element's text, as the Java tool does */
    {"a=f.xml//x/y,true", 0, "f.xml", "//x/y", NULL, 0},
    {"a=f.xml//x[1],true", 0, "f.xml", "//x[1]", NULL, 0},
    {"a=f.xml", VAULT_EFORMAT, NULL, NULL, NULL, 0},
    {"a=//x", VAULT_EFORMAT, NULL, NULL, NULL, 0},
    {"a=f.xml//,true", VAULT_EFORMAT, NULL, NULL, NULL, 0},
    {"=f.xml//x", VAULT_EFORMAT, NULL, NULL, NULL, 0},
    {"a=f.xml//x\na=g.xml//y", VAULT_EFORMAT, NULL, NULL, NULL, 0},
    {"a=f.xml//x\\u12", VAULT_EFORMAT, NULL, NULL, NULL, 0},
};

Test(legacy_map, value_syntax)
{
    size_t i;
    for (i = 0; i < sizeof map_cases / sizeof map_cases[0]; i++) {
        vault_legacy_map *map = NULL;
        const vault_legacy_entry *e;
        int rc = vault_legacy_map_parse(&map, "m.properties", map_cases[i].text, strlen(map_cases[i].text));
        cr_assert_eq(rc, map_cases[i].rc, "case %zu: rc %d (%s)", i, rc, msg());
        if (rc != 0) {
            cr_assert_null(map);
            cr_assert(strstr(msg(), "m.properties:"), "case %zu: %s", i, msg());
            continue;
        }
        cr_assert_eq(vault_legacy_map_entry_at(&e, map, 0), 0);
        cr_assert_str_eq(e->alias, "a");
        cr_assert_str_eq(e->file, map_cases[i].file);
        cr_assert_str_eq(e->xpath, map_cases[i].xpath, "case %zu", i);
        cr_assert_eq(e->attribute, map_cases[i].attribute, "case %zu", i);
        if (map_cases[i].attr_name)
            cr_assert_str_eq(e->attribute_name, map_cases[i].attr_name, "case %zu", i);
        else
            cr_assert_null(e->attribute_name, "case %zu", i);
        vault_legacy_map_free(map);
    }
}

Test(legacy_map, duplicate_names_both_lines)
{
    vault_legacy_map *map = NULL;
    const char *text = "a=f.xml//x\n\nb=f.xml//y\na=g.xml//y\n";
    cr_assert_eq(vault_legacy_map_parse(&map, "m.properties", text, strlen(text)), VAULT_EFORMAT);
    cr_assert_str_eq(msg(), "m.properties:4: duplicate alias 'a' (first on line 1)");
}

Test(legacy_map, allocation_failure_loop)
{
    unsigned char *data;
    size_t len;
    unsigned long n;
    int rc = -1;

    data = slurp(shared_path(MAP), &len);
    for (n = 1; n < 10000 && rc != 0; n++) {
        vault_legacy_map *map = NULL;
        vault__test_alloc_fail_at(n);
        rc = vault_legacy_map_parse(&map, "m", data, len);
        vault__test_alloc_fail_at(0);
        cr_assert(rc == 0 || rc == VAULT_ENOMEM, "allocation %lu: rc %d", n, rc);
        cr_assert((rc == 0) == (map != NULL));
        if (rc == 0)
            cr_assert_eq(vault_legacy_map_count(map), FIXTURE_COUNT);
        vault_legacy_map_free(map);
    }
    cr_assert_eq(rc, 0);
    cr_assert_gt(n, 10);
    free(data);
}

/* ---- marking the fixture ---- */

static char *fixture_xml(size_t i)
{
    char rel[512];
    size_t len;
    snprintf(rel, sizeof rel, HOME "%s", fixture[i].file);
    return (char *)slurp(shared_path(rel), &len);
}

static const char *attr_of(size_t i)
{
    return fixture[i].attribute ? fixture[i].attribute_name : NULL;
}

Test(mark, fixture_exact_bytes_and_old_values)
{
    size_t i;
    for (i = 0; i < FIXTURE_COUNT; i++) {
        char *xml = fixture_xml(i), *out = NULL, *expected = edit_text(xml, fixture[i].edits);
        vault_secret *old = NULL;
        size_t len = 0;

        cr_assert_eq(vault_xml_mark_secret(&out, &len, &old, xml, strlen(xml),
        &(vault_xml_mark_options){VAULT_XML_MARK_OPTIONS_VERSION, fixture[i].file, fixture[i].xpath, fixture[i].attribute, fixture[i].alias}),
                     0, "%s: %s", fixture[i].alias, msg());
        cr_assert_eq(len, strlen(expected), "%s", fixture[i].file);
        cr_assert_str_eq(out, expected, "%s", fixture[i].file);
        cr_assert_not_null(old);
        cr_assert_eq(vault_secret_len(old), strlen(fixture[i].old));
        cr_assert_str_eq(vault_secret_str(old), fixture[i].old);
        /* The namespace is declared once. */
        cr_assert_null(strstr(strstr(out, "xmlns:svns") + 1, "xmlns:svns"));
        libxml_check(out, fixture[i].xpath, attr_of(i), VAULT_XML_PLACEHOLDER, fixture[i].alias);
        vault_secret_free(old);
        vault_string_free(out);
        free(expected);
        free(xml);
    }
}

Test(mark, twice_is_a_no_op)
{
    size_t i;
    for (i = 0; i < FIXTURE_COUNT; i++) {
        char *xml = fixture_xml(i), *once = NULL, *twice = NULL;
        vault_secret *old = NULL;

        cr_assert_eq(
            mark(xml, fixture[i].file, fixture[i].xpath, fixture[i].attribute, fixture[i].alias, &once, &old),
            0);
        vault_secret_free(old);
        old = (vault_secret *)1;
        cr_assert_eq(mark(once, fixture[i].file, fixture[i].xpath, fixture[i].attribute, fixture[i].alias,
                          &twice, &old),
                     0, "%s", msg());
        cr_assert_null(old);
        cr_assert_str_eq(twice, once);
        vault_string_free(once);
        vault_string_free(twice);
        free(xml);
    }
}

Test(mark, all_fixture_files_with_the_map_then_java_reads_them)
{
    vault_legacy_map *map = NULL;
    const vault_legacy_entry *e;
    char *list = NULL, *java, *expected = NULL;
    size_t list_len = 0, exp_len = 0, i;
    FILE *lf = open_memstream(&list, &list_len), *ef = open_memstream(&expected, &exp_len);

    cr_assert_eq(vault_legacy_map_read(&map, shared_path(MAP)), 0);
    for (i = 0; i < vault_legacy_map_count(map); i++) {
        char *xml, *out = NULL, name[64];
        size_t len = 0;
        cr_assert_eq(vault_legacy_map_entry_at(&e, map, i), 0);
        xml = fixture_xml(i);
        cr_assert_eq(vault_xml_mark_secret(&out, &len, NULL, xml, strlen(xml),
        &(vault_xml_mark_options){VAULT_XML_MARK_OPTIONS_VERSION, e->file, e->xpath, e->attribute, e->alias}),
                     0, "%s", msg());
        snprintf(name, sizeof name, "marked%zu.xml", i);
        spit(tmp_path(name), out, len);
        fprintf(lf, "%s\t%s\t%s\n", tmp_path(name), e->xpath, e->attribute ? e->attribute_name : "-");
        fprintf(ef, "node password alias=%s\n", e->alias);
        /* the element's local name, as the runtime sees it */
        fprintf(ef, "marked %s %s\n",
                e->attribute ? "Connector"
                : i == 2     ? "password"
                             : "Password",
                e->alias);
        fprintf(ef, "root-ns %s\n", VAULT_XML_SECUREVAULT_NS);
        vault_string_free(out);
        free(xml);
    }
    fclose(lf);
    fclose(ef);
    java = java_check(list);
    cr_assert_str_eq(java, expected);
    free(java);
    free(list);
    free(expected);
    vault_legacy_map_free(map);
}

/* ---- expanding and listing ---- */

typedef struct resolve_table {
    const char *const *kv; /* alias, value, ..., NULL */
    int calls;
} resolve_table;

static int resolve(const char *alias, vault_secret **out, void *payload)
{
    resolve_table *t = payload;
    size_t i;
    t->calls++;
    for (i = 0; t->kv[i]; i += 2)
        if (strcmp(t->kv[i], alias) == 0)
            return vault_secret_new(out, t->kv[i + 1], strlen(t->kv[i + 1]));
    return VAULT_ENOTFOUND;
}

Test(expand, fixture_gives_the_original_values_back)
{
    size_t i;
    for (i = 0; i < FIXTURE_COUNT; i++) {
        char *xml = fixture_xml(i), *marked = NULL, *expected = edit_text(xml, fixture[i].expanded);
        const char *kv[] = {fixture[i].alias, NULL, NULL};
        vault_secret *old = NULL, *out = NULL;
        resolve_table t = {kv, 0};

        cr_assert_eq(mark(xml, fixture[i].file, fixture[i].xpath, fixture[i].attribute, fixture[i].alias,
                          &marked, &old),
                     0);
        kv[1] = vault_secret_str(old);
        cr_assert_eq(vault_xml_expand(&out, marked, strlen(marked), fixture[i].file, resolve, &t), 0, "%s",
                     msg());
        cr_assert_eq(t.calls, 1);
        cr_assert_eq(vault_secret_len(out), strlen(expected));
        cr_assert_str_eq(vault_secret_str(out), expected);
        libxml_check(vault_secret_str(out), fixture[i].xpath, attr_of(i), fixture[i].old, fixture[i].alias);
        vault_secret_free(out);
        vault_secret_free(old);
        vault_string_free(marked);
        free(expected);
        free(xml);
    }
}

Test(expand, unknown_alias_names_file_alias_line)
{
    char *xml = fixture_xml(0), *marked = NULL;
    const char *kv[] = {NULL};
    resolve_table t = {kv, 0};
    vault_secret *out = (vault_secret *)1;

    cr_assert_eq(mark(xml, "carbon.xml", fixture[0].xpath, 0, fixture[0].alias, &marked, NULL), 0);
    cr_assert_eq(vault_xml_expand(&out, marked, strlen(marked), "carbon.xml", resolve, &t), VAULT_ENOTFOUND);
    cr_assert_null(out);
    cr_assert(strstr(msg(), "carbon.xml:9: cannot resolve alias 'Carbon.Security.KeyStore.Password'"), "%s",
              msg());
    vault_string_free(marked);
    free(xml);
}

Test(marked, lists_alias_path_attribute_line)
{
    static const struct {
        const char *path, *attribute;
        unsigned int line;
    } want[FIXTURE_COUNT] = {
        {"/Server/Security/KeyStore/Password", NULL, 9},
        {"/UserManager/Realm/Configuration/AdminUser/Password", NULL, 8},
        {"/datasources-configuration/datasources/datasource/definition/configuration/password", NULL, 9},
        {"/Server/Service/Connector/@keystorePass", "keystorePass", 3},
    };
    size_t i;
    for (i = 0; i < FIXTURE_COUNT; i++) {
        char *xml = fixture_xml(i), *marked = NULL;
        vault_xml_marks *m = NULL;
        const vault_xml_mark *x;

        cr_assert_eq(vault_xml_marked(&m, xml, strlen(xml), fixture[i].file), 0);
        cr_assert_eq(vault_xml_marks_count(m), 0);
        vault_xml_marks_free(m);
        cr_assert_eq(mark(xml, fixture[i].file, fixture[i].xpath, fixture[i].attribute, fixture[i].alias,
                          &marked, NULL),
                     0);
        cr_assert_eq(vault_xml_marked(&m, marked, strlen(marked), fixture[i].file), 0, "%s", msg());
        cr_assert_eq(vault_xml_marks_count(m), 1);
        cr_assert_eq(vault_xml_marks_at(&x, m, 0), 0);
        cr_assert_str_eq(x->alias, fixture[i].alias);
        cr_assert_str_eq(x->path, want[i].path);
        if (want[i].attribute)
            cr_assert_str_eq(x->attribute, want[i].attribute);
        else
            cr_assert_null(x->attribute);
        cr_assert_eq(x->line, want[i].line);
        cr_assert_eq(x->placeholder, 1);
        cr_assert_eq(vault_xml_marks_at(&x, m, 1), VAULT_ENOTFOUND);
        cr_assert_null(x);
        vault_xml_marks_free(m);
        vault_string_free(marked);
        free(xml);
    }
}

/* ---- a document with every construct that must survive byte for byte ---- */

static const char tricky[] = "<?xml version='1.0' encoding='UTF-8'?>\n"
                             "<!DOCTYPE conf [\n"
                             "  <!ENTITY co \"Company &#38;#38; Co\">\n"
                             "  <!ENTITY gt2 '>'>\n"
                             "  <!-- ] > tricky -->\n"
                             "]>\n"
                             "<?pi <Password>not me</Password> ?>\n"
                             "<!-- <Password>not me either</Password> -->\n"
                             "<conf   xmlns=\"urn:default\"\n"
                             "        xmlns:x='urn:x' \t >\n"
                             "  <![CDATA[ <Password>cdata</Password> ]]>\n"
                             "  <a  attr = 'v>al' other=\"q&quot;uote\" >\n"
                             "    <Password>p&amp;ss&lt;w&#65;rd&co;</Password>\n"
                             "  </a>\n"
                             "  <x:Conn  keystorePass = 'se&apos;cr&#x20AC;t' b=\"2\"\r\n"
                             "  />\n"
                             "  <Empty/>\n"
                             "  <Spaced   />\n"
                             "  <list><item>same</item><item>same</item><item>other</item></list>\n"
                             "</conf>\n";

static const struct {
    const char *xpath;
    int attribute;
    const char *alias, *old;
    const char *const edits[7];
    const char *expand_value;
    const char *const expanded[7];
} tricky_cases[] = {
    {"//conf/a/Password",
     0,
     "A1",
     "p&ss<wArdCompany & Co",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >",
      "<Password>p&amp;ss&lt;w&#65;rd&co;</Password>",
      "<Password svns:secretAlias=\"A1\">password</Password>", NULL},
     "p&ss<wArdCompany & Co",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >",
      "<Password>p&amp;ss&lt;w&#65;rd&co;</Password>",
      "<Password svns:secretAlias=\"A1\">p&amp;ss&lt;wArdCompany &amp; Co</Password>", NULL}},
    {"//conf/Conn[@keystorePass]",
     1,
     "A.2&\"<",
     "se'cr\xe2\x82\xact",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >",
      "keystorePass = 'se&apos;cr&#x20AC;t' b=\"2\"\r\n",
      "keystorePass = 'password' b=\"2\" svns:secretAlias=\"A.2&amp;&quot;&lt;\"\r\n", NULL},
     "it's\t\"q\"\r\n<&>\xc3\xa4",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >",
      "keystorePass = 'se&apos;cr&#x20AC;t' b=\"2\"\r\n",
      "keystorePass = 'it&apos;s&#9;\"q\"&#13;&#10;&lt;&amp;&gt;\xc3\xa4' b=\"2\" "
      "svns:secretAlias=\"A.2&amp;&quot;&lt;\"\r\n",
      NULL}},
    {"//Empty",
     0,
     "A3",
     "",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >", "<Empty/>",
      "<Empty svns:secretAlias=\"A3\">password</Empty>", NULL},
     "e",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >", "<Empty/>",
      "<Empty svns:secretAlias=\"A3\">e</Empty>", NULL}},
    {"//Spaced",
     0,
     "A4",
     "",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >", "<Spaced   />",
      "<Spaced svns:secretAlias=\"A4\"   >password</Spaced>", NULL},
     "]]>\r",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >", "<Spaced   />",
      "<Spaced svns:secretAlias=\"A4\"   >]]&gt;&#13;</Spaced>", NULL}},
    {"//list/item[position() < 3]",
     0,
     "A5",
     "same",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >", "<item>same</item><item>same</item>",
      "<item svns:secretAlias=\"A5\">password</item><item svns:secretAlias=\"A5\">password</item>", NULL},
     "v",
     {"xmlns:x='urn:x' \t >", "xmlns:x='urn:x'" NS_DECL " \t >", "<item>same</item><item>same</item>",
      "<item svns:secretAlias=\"A5\">v</item><item svns:secretAlias=\"A5\">v</item>", NULL}},
};

static void tricky_case(const char *input, size_t c)
{
    char *expected = edit_text(input, tricky_cases[c].edits), *out = NULL, *twice = NULL;
    char *expanded = edit_text(input, tricky_cases[c].expanded);
    const char *kv[] = {tricky_cases[c].alias, tricky_cases[c].expand_value, NULL};
    resolve_table t = {kv, 0};
    vault_secret *old = NULL, *exp = NULL;
    vault_xml_marks *m = NULL;
    xmlDocPtr doc;
    size_t i;

    cr_assert_eq(mark(input, "t.xml", tricky_cases[c].xpath, tricky_cases[c].attribute, tricky_cases[c].alias,
                      &out, &old),
                 0, "case %zu: %s", c, msg());
    cr_assert_str_eq(out, expected, "case %zu", c);
    cr_assert_str_eq(vault_secret_str(old), tricky_cases[c].old, "case %zu", c);
    cr_assert_eq(mark(out, "t.xml", tricky_cases[c].xpath, tricky_cases[c].attribute, tricky_cases[c].alias,
                      &twice, NULL),
                 0);
    cr_assert_str_eq(twice, out);
    cr_assert_eq(vault_xml_marked(&m, out, strlen(out), "t.xml"), 0, "%s", msg());
    for (i = 0; i < vault_xml_marks_count(m); i++)
        cr_assert_str_eq(mark_at(m, i)->alias, tricky_cases[c].alias);
    cr_assert_eq(vault_xml_expand(&exp, out, strlen(out), "t.xml", resolve, &t), 0, "case %zu: %s", c, msg());
    cr_assert_eq(t.calls, (int)vault_xml_marks_count(m));
    cr_assert_str_eq(vault_secret_str(exp), expanded, "case %zu", c);
    /* libxml2 reads the expanded value back exactly. */
    doc = xmlReadMemory(vault_secret_str(exp), (int)vault_secret_len(exp), NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR);
    cr_assert_not_null(doc);
    xmlFreeDoc(doc);
    vault_xml_marks_free(m);
    vault_secret_free(exp);
    vault_secret_free(old);
    vault_string_free(twice);
    vault_string_free(out);
    free(expanded);
    free(expected);
}

Test(mark, tricky_document_byte_for_byte)
{
    size_t c;
    for (c = 0; c < sizeof tricky_cases / sizeof tricky_cases[0]; c++)
        tricky_case(tricky, c);
}

Test(mark, tricky_values_read_back_by_libxml2)
{
    /* the attribute value with quotes, tabs, line breaks and markup */
    const char *kv[] = {"A.2&\"<", "it's\t\"q\"\r\n<&>\xc3\xa4", NULL};
    resolve_table t = {kv, 0};
    char *out = NULL;
    vault_secret *exp = NULL;
    xmlDocPtr doc;
    xmlNodePtr n;
    xmlChar *v;

    cr_assert_eq(mark(tricky, "t.xml", "//conf/Conn[@keystorePass]", 1, "A.2&\"<", &out, NULL), 0);
    cr_assert_eq(vault_xml_expand(&exp, out, strlen(out), "t.xml", resolve, &t), 0);
    doc = xmlReadMemory(vault_secret_str(exp), (int)vault_secret_len(exp), NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR);
    cr_assert_not_null(doc);
    for (n = xmlDocGetRootElement(doc)->children; n && !xmlStrEqual(n->name, BAD_CAST "Conn"); n = n->next)
        ;
    cr_assert_not_null(n);
    v = xmlGetProp(n, BAD_CAST "keystorePass");
    cr_assert_str_eq((const char *)v, kv[1]);
    xmlFree(v);
    v = xmlGetNsProp(n, BAD_CAST "secretAlias", BAD_CAST VAULT_XML_SECUREVAULT_NS);
    cr_assert_str_eq((const char *)v, kv[0]);
    xmlFree(v);
    xmlFreeDoc(doc);
    vault_secret_free(exp);
    vault_string_free(out);
}

Test(mark, tricky_document_with_crlf)
{
    size_t i, n = 0, c;
    char *crlf = malloc(2 * sizeof tricky);
    for (i = 0; tricky[i]; i++) {
        if (tricky[i] == '\n' && (i == 0 || tricky[i - 1] != '\r'))
            crlf[n++] = '\r';
        crlf[n++] = tricky[i];
    }
    crlf[n] = '\0';
    for (c = 0; c < sizeof tricky_cases / sizeof tricky_cases[0]; c++) {
        char *out = NULL, *expected = edit_text(crlf, tricky_cases[c].edits);
        cr_assert_eq(mark(crlf, "t.xml", tricky_cases[c].xpath, tricky_cases[c].attribute,
                          tricky_cases[c].alias, &out, NULL),
                     0, "case %zu: %s", c, msg());
        cr_assert_str_eq(out, expected, "case %zu", c);
        vault_string_free(out);
        free(expected);
    }
    free(crlf);
}

Test(mark, latin1_document_uses_character_references)
{
    static const char doc[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                              "<r a=\"\xe4\"><!-- \xe9 --><p>gr\xfc\xdf</p></r>\n";
    const char *kv[] = {"x", "\xc3\xa4\xe2\x82\xac", NULL};
    resolve_table t = {kv, 0};
    char *out = NULL;
    vault_secret *old = NULL, *exp = NULL;

    cr_assert_eq(mark(doc, "l.xml", "/r/p", 0, "x", &out, &old), 0, "%s", msg());
    cr_assert_str_eq(out,
                     "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                     "<r a=\"\xe4\"" NS_DECL "><!-- \xe9 --><p svns:secretAlias=\"x\">password</p></r>\n");
    cr_assert_str_eq(vault_secret_str(old), "gr\xc3\xbc\xc3\x9f");
    cr_assert_eq(vault_xml_expand(&exp, out, strlen(out), "l.xml", resolve, &t), 0, "%s", msg());
    cr_assert_str_eq(vault_secret_str(exp),
                     "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                     "<r a=\"\xe4\"" NS_DECL
                     "><!-- \xe9 --><p svns:secretAlias=\"x\">&#228;&#8364;</p></r>\n");
    /* an alias the encoding may not hold is written as a reference too */
    vault_string_free(out);
    cr_assert_eq(mark(doc, "l.xml", "/r/p", 0, "\xc3\xa4", &out, NULL), 0, "%s", msg());
    cr_assert(strstr(out, "<p svns:secretAlias=\"&#228;\">password</p>"));
    vault_secret_free(exp);
    vault_secret_free(old);
    vault_string_free(out);
}

Test(mark, root_element_itself_and_prefixed_namespaces)
{
    char *out = NULL;
    vault_secret *old = NULL;

    cr_assert_eq(mark("<Password>s</Password>", "r.xml", "/Password", 0, "R", &out, &old), 0, "%s", msg());
    cr_assert_str_eq(out, "<Password" NS_DECL " svns:secretAlias=\"R\">password</Password>");
    cr_assert_str_eq(vault_secret_str(old), "s");
    vault_secret_free(old);
    vault_string_free(out);
    /* an svns declared on an ancestor is used, not declared again */
    cr_assert_eq(mark("<r><m xmlns:svns=\"http://org.wso2.securevault/configuration\"><p>s</p></m></r>",
                      "r.xml", "//m/p", 0, "R", &out, NULL),
                 0);
    cr_assert_str_eq(out, "<r><m xmlns:svns=\"http://org.wso2.securevault/configuration\"><p "
                          "svns:secretAlias=\"R\">password</p></m></r>");
    vault_string_free(out);
    /* a prefixed element is found by its local name, as without namespaces */
    cr_assert_eq(mark("<r xmlns:q=\"urn:q\"><q:p>s</q:p></r>", "r.xml", "/r/p", 0, "R", &out, NULL), 0, "%s",
                 msg());
    cr_assert_str_eq(out, "<r xmlns:q=\"urn:q\"" NS_DECL "><q:p svns:secretAlias=\"R\">password</q:p></r>");
    vault_string_free(out);
    /* marked with another prefix bound to the namespace: already marked */
    cr_assert_eq(mark("<r xmlns:sv=\"http://org.wso2.securevault/configuration\"><p "
                      "sv:secretAlias=\"R\">password</p></r>",
                      "r.xml", "/r/p", 0, "R", &out, &old),
                 0, "%s", msg());
    cr_assert_null(old);
    vault_string_free(out);
}

/* ---- errors ---- */

Test(mark, errors_name_file_xpath_alias)
{
    char *xml = fixture_xml(0), *out = (char *)1;
    vault_secret *old = (vault_secret *)1;

    cr_assert_eq(mark(xml, "carbon.xml", "//Server/[", 0, "A", &out, &old), VAULT_EFORMAT);
    cr_assert_null(out);
    cr_assert_null(old);
    cr_assert(strstr(msg(), "carbon.xml: invalid xpath '//Server/[' for alias 'A'"), "%s", msg());

    cr_assert_eq(mark(xml, "carbon.xml", "//Server/Nope", 0, "A", &out, NULL), VAULT_ENOTFOUND);
    cr_assert_str_eq(msg(), "carbon.xml: no element matches xpath '//Server/Nope' (alias 'A')");

    cr_assert_eq(mark("<a><b></a>", "bad.xml", "//b", 0, "A", &out, NULL), VAULT_EFORMAT);
    cr_assert(strstr(msg(), "bad.xml:1:11: malformed XML (alias 'A'): "), "%s", msg());
    /* libxml2 quotes the text at fault (an entity name, a tag); a plain
     * password there must not reach the message: line and column instead. */
    {
        static const char *const leaky[] = {
            "<a>\n<b>LEAKMEsecret&LEAKMEsecret;</b></a>",
            "<a>\n<b>LEAKMEsecret<LEAKMEsecret</b></a>",
            "<a>\n<b x=\"LEAKMEsecret<\">y</b></a>",
            "<a>\n<LEAKMEsecret></b></a>",
            "<a>\n<b>&#LEAKMEsecret;</b></a>",
        };
        size_t k;
        for (k = 0; k < sizeof leaky / sizeof leaky[0]; k++) {
            cr_assert_eq(mark(leaky[k], "leak.xml", "//b", 0, "A", &out, NULL), VAULT_EFORMAT, "%zu", k);
            cr_assert(strstr(msg(), "leak.xml:2:"), "%zu: %s", k, msg());
            cr_assert_null(strstr(msg(), "LEAKME"), "%zu: %s", k, msg());
        }
    }

    cr_assert_eq(mark(xml, "carbon.xml", "//Password/text()", 0, "A", &out, NULL), VAULT_EFORMAT);
    cr_assert(strstr(msg(), "selects something other than elements"), "%s", msg());
    cr_assert_eq(mark(xml, "carbon.xml", "count(//Password)", 0, "A", &out, NULL), VAULT_EFORMAT);
    cr_assert_eq(mark(xml, "carbon.xml", "//x:Password", 0, "A", &out, NULL), VAULT_EFORMAT);

    cr_assert_eq(mark(xml, "carbon.xml", "//Server/Security", 0, "A", &out, NULL), VAULT_EFORMAT);
    cr_assert(strstr(msg(), "has child elements"), "%s", msg());

    cr_assert_eq(mark(xml, "carbon.xml", "//Type | //Password", 0, "A", &out, NULL), VAULT_EFORMAT);
    cr_assert(strstr(msg(), "hold different values"), "%s", msg());

    cr_assert_eq(mark(xml, "carbon.xml", "//KeyStore/Password", 1, "A", &out, NULL), VAULT_EFORMAT);
    cr_assert(strstr(msg(), "names no attribute"), "%s", msg());
    cr_assert_eq(mark(xml, "carbon.xml", "//KeyStore/Password[@nope or 1]", 1, "A", &out, NULL),
                 VAULT_ENOTFOUND);
    cr_assert(strstr(msg(), "has no attribute 'nope' (alias 'A')"), "%s", msg());
    free(xml);

    cr_assert_eq(mark("<r><p svns:secretAlias=\"B\" "
                      "xmlns:svns=\"http://org.wso2.securevault/configuration\">password</p></r>",
                      "r.xml", "//p", 0, "A", &out, NULL),
                 VAULT_EFORMAT);
    cr_assert(strstr(msg(), "already marked with alias 'B', not 'A'"), "%s", msg());
    cr_assert_eq(mark("<r xmlns:svns=\"urn:other\"><p>x</p></r>", "r.xml", "//p", 0, "A", &out, NULL),
                 VAULT_EFORMAT);
    cr_assert(strstr(msg(), "prefix svns is bound to another namespace"), "%s", msg());
    cr_assert_eq(mark("<r><p svns:secretAlias=\"A\">x</p></r>", "r.xml", "//p", 0, "A", &out, NULL),
                 VAULT_EFORMAT);
    cr_assert(strstr(msg(), "outside the secure vault namespace"), "%s", msg());
    cr_assert_eq(vault_xml_mark_secret(&out, NULL, NULL, "<a/>", 4,
        &(vault_xml_mark_options){VAULT_XML_MARK_OPTIONS_VERSION, "x", "//a", 0, "A"}), VAULT_EINVAL);
}

/* The svns prefix used where no xmlns:svns is in scope: the declaration a
 * mark would add to the root would turn the stray names into secure vault
 * ones (a stray svns:secretAlias into a mark), so the document is refused. */
Test(mark, undeclared_svns_prefix_is_refused)
{
    static const struct {
        const char *xml, *xpath, *msg;
    } cases[] = {
        {"<r><a svns:secretAlias=\"x\">password</a><p>s</p></r>", "//p",
         "r.xml:1: element 'a' uses the prefix svns in svns:secretAlias without declaring it (xmlns:svns); "
         "cannot mark xpath '//p' (alias 'A')"},
        {"<r>\n<p>s</p>\n<q b=\"1\"\n svns:other=\"1\"/>\n</r>\n", "/r/p",
         "r.xml:3: element 'q' uses the prefix svns in svns:other without declaring it (xmlns:svns); "
         "cannot mark xpath '/r/p' (alias 'A')"},
        {"<r><svns:x>1</svns:x><p>s</p></r>", "//p",
         "r.xml:1: element 'svns:x' uses the prefix svns in its name without declaring it (xmlns:svns); "
         "cannot mark xpath '//p' (alias 'A')"},
        /* bound in a sibling's scope only, the target inside it */
        {"<r><m xmlns:svns=\"" VAULT_XML_SECUREVAULT_NS "\"><p>s</p></m>"
         "<b svns:secretAlias=\"y\">password</b></r>",
         "//m/p",
         "r.xml:1: element 'b' uses the prefix svns in svns:secretAlias without declaring it (xmlns:svns); "
         "cannot mark xpath '//m/p' (alias 'A')"},
        /* the target itself marked, the stray elsewhere */
        {"<r><p xmlns:svns=\"" VAULT_XML_SECUREVAULT_NS "\" svns:secretAlias=\"A\">password</p>"
         "<b svns:secretAlias=\"y\">password</b></r>",
         "//p",
         "r.xml:1: element 'b' uses the prefix svns in svns:secretAlias without declaring it (xmlns:svns); "
         "cannot mark xpath '//p' (alias 'A')"},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = tmp_path("stray.xml");
        unsigned char *before, *after;
        size_t blen, alen;
        char *out = (char *)1;
        vault_secret *old = (vault_secret *)1;
        xmlDocPtr doc;

        /* libxml2 reads the stray names as names without a namespace */
        doc = xmlReadMemory(cases[i].xml, (int)strlen(cases[i].xml), NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        cr_assert_not_null(doc);
        xmlFreeDoc(doc);
        spit(path, cases[i].xml, strlen(cases[i].xml));
        before = slurp(path, &blen);
        cr_assert_eq(mark((const char *)before, "r.xml", cases[i].xpath, 0, "A", &out, &old), VAULT_EFORMAT,
                     "case %zu: %s", i, out && out != (char *)1 ? out : msg());
        cr_assert_null(out);
        cr_assert_null(old);
        cr_assert_str_eq(msg(), cases[i].msg);
        after = slurp(path, &alen);
        cr_assert_eq(alen, strlen(cases[i].xml));
        cr_assert_eq(memcmp(after, cases[i].xml, alen), 0);
        cr_assert_eq(memcmp(before, cases[i].xml, blen), 0);
        free(before);
        free(after);
    }
}

/* Declared in scope wherever it is used: marking works as before, and
 * svns: in comments, text and attribute values is no use of the prefix. */
Test(mark, declared_svns_prefix_still_marks)
{
    static const struct {
        const char *xml, *xpath, *expected;
    } cases[] = {
        {"<r xmlns:svns=\"" VAULT_XML_SECUREVAULT_NS "\"><a svns:secretAlias=\"x\">password</a><p>s</p></r>",
         "//p",
         "<r xmlns:svns=\"" VAULT_XML_SECUREVAULT_NS "\"><a svns:secretAlias=\"x\">password</a>"
         "<p svns:secretAlias=\"A\">password</p></r>"},
        {"<r><m xmlns:svns=\"" VAULT_XML_SECUREVAULT_NS "\"><a svns:secretAlias=\"x\">password</a></m>"
         "<p>s</p></r>",
         "//p",
         "<r" NS_DECL "><m xmlns:svns=\"" VAULT_XML_SECUREVAULT_NS "\">"
         "<a svns:secretAlias=\"x\">password</a></m><p svns:secretAlias=\"A\">password</p></r>"},
        {"<r><!-- <a svns:secretAlias=\"z\"/> --><a v=\"svns:secretAlias\">svns:x</a><p>s</p></r>", "//p",
         "<r" NS_DECL "><!-- <a svns:secretAlias=\"z\"/> --><a v=\"svns:secretAlias\">svns:x</a>"
         "<p svns:secretAlias=\"A\">password</p></r>"},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        vault_secret *old = NULL;

        cr_assert_eq(mark(cases[i].xml, "r.xml", cases[i].xpath, 0, "A", &out, &old), 0, "case %zu: %s", i,
                     msg());
        cr_assert_str_eq(out, cases[i].expected);
        cr_assert_str_eq(vault_secret_str(old), "s");
        libxml_check(out, cases[i].xpath, NULL, VAULT_XML_PLACEHOLDER, "A");
        vault_secret_free(old);
        vault_string_free(out);
    }
}

/* The lister finds a marked element's secret by the placeholder: an
 * attribute is not marked while the text or another attribute holds it. */
Test(mark, attribute_beside_another_placeholder_is_refused)
{
    static const struct {
        const char *xml, *msg;
    } bad[] = {
        {"<r><c a=\"s\" b=\"password\"/></r>",
         "r.xml:1: element 'c' already holds the placeholder \"password\" in attribute 'b'; a mark of its "
         "attribute 'a' (alias 'A') could not be told from it"},
        {"<r>\n<c b=\"pass&#119;ord\" a=\"password\"/></r>",
         "r.xml:2: element 'c' already holds the placeholder \"password\" in attribute 'b'; a mark of its "
         "attribute 'a' (alias 'A') could not be told from it"},
        {"<r><c a=\"s\">password</c></r>",
         "r.xml:1: element 'c' already holds the placeholder \"password\" in its text; a mark of its "
         "attribute 'a' (alias 'A') could not be told from it"},
    };
    static const struct {
        const char *xml, *expected;
    } good[] = {
        {"<r><c a=\"s\" b=\"x\">text</c></r>",
         "<r" NS_DECL "><c a=\"password\" b=\"x\" svns:secretAlias=\"A\">text</c></r>"},
        {"<r><c a=\"password\" b=\"x\"><d>password</d></c></r>",
         "<r" NS_DECL "><c a=\"password\" b=\"x\" svns:secretAlias=\"A\"><d>password</d></c></r>"},
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = (char *)1;
        cr_assert_eq(mark(bad[i].xml, "r.xml", "//c[@a]", 1, "A", &out, NULL), VAULT_EFORMAT, "case %zu", i);
        cr_assert_null(out);
        cr_assert_str_eq(msg(), bad[i].msg);
    }
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *out = NULL;
        vault_xml_marks *m = NULL;
        cr_assert_eq(mark(good[i].xml, "r.xml", "//c[@a]", 1, "A", &out, NULL), 0, "case %zu: %s", i, msg());
        cr_assert_str_eq(out, good[i].expected);
        libxml_check(out, "//c", "a", VAULT_XML_PLACEHOLDER, "A");
        cr_assert_eq(vault_xml_marked(&m, out, strlen(out), "r.xml"), 0, "%s", msg());
        cr_assert_eq(vault_xml_marks_count(m), 1);
        cr_assert_str_eq(mark_at(m, 0)->attribute, "a");
        vault_xml_marks_free(m);
        vault_string_free(out);
    }
}

Test(marked, placeholder_and_line_of_each_mark_whatever_spans_lines)
{
    /* Values over several lines before and between the marks: each mark's
     * own line and whether its secret is the placeholder. */
    static const char xml[] =
        "<r xmlns:s=\"" VAULT_XML_SECUREVAULT_NS "\">\n"
        "<a s:secretAlias=\"A\">one\ntwo\nthree</a>\n"
        "<b s:secretAlias=\"B\">password</b>\n"
        "<c s:secretAlias=\"C\"><![CDATA[x\ny]]></c>\n"
        "<d\n  s:secretAlias=\"D\">password</d>\n"
        "<e k=\"password\"\n  s:secretAlias=\"E\"/>\n"
        "<f k=\"p\nq\" s:secretAlias=\"F\"/>\n"
        "<g s:secretAlias=\"G\"> password</g>\n"
        "<h s:secretAlias=\"H\"></h>\n"
        "</r>\n";
    static const struct {
        const char *alias;
        unsigned int line;
        int placeholder;
    } want[] = {{"A", 2, 0}, {"B", 5, 1}, {"C", 6, 0}, {"D", 8, 1},
                {"E", 10, 1}, {"F", 12, 0}, {"G", 14, 0}, {"H", 15, 0}};
    vault_xml_marks *m = NULL;
    size_t i;

    cr_assert_eq(vault_xml_marked(&m, xml, strlen(xml), "m.xml"), 0, "%s", msg());
    cr_assert_eq(vault_xml_marks_count(m), sizeof want / sizeof want[0]);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        const vault_xml_mark *x = NULL;
        cr_assert_eq(vault_xml_marks_at(&x, m, i), 0);
        cr_assert_str_eq(x->alias, want[i].alias);
        cr_assert_eq(x->line, want[i].line, "%s: line %u", x->alias, x->line);
        cr_assert_eq(x->placeholder, want[i].placeholder, "%s", x->alias);
    }
    vault_xml_marks_free(m);
}

Test(mark, both_marks_in_one_document_in_any_order)
{
    /* carbon.xml: two aliases, one after the other */
    char *xml = fixture_xml(0), *one = NULL, *two = NULL;
    vault_xml_marks *m = NULL;

    cr_assert_eq(mark(xml, "c", "//KeyStore/Password", 0, "P", &one, NULL), 0);
    cr_assert_eq(mark(one, "c", "//KeyStore/KeyPassword", 0, "K", &two, NULL), 0);
    cr_assert_eq(vault_xml_marked(&m, two, strlen(two), "c"), 0);
    cr_assert_eq(vault_xml_marks_count(m), 2);
    cr_assert_str_eq(mark_at(m, 0)->alias, "P");
    cr_assert_str_eq(mark_at(m, 1)->alias, "K");
    cr_assert_eq(strstr(strstr(two, NS_DECL) + 1, NS_DECL), NULL);
    vault_xml_marks_free(m);
    vault_string_free(one);
    vault_string_free(two);
    free(xml);
}

Test(mark, utf16_and_entity_bombs_are_refused_cleanly)
{
    static const char bomb[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE l [\n"
        "<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
        "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
        "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
        "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
        "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
        "]>\n<l><p>&g;</p></l>\n";
    static const char utf16[] = "\xff\xfe<\0r\0>\0<\0p\0>\0x\0<\0/\0p\0>\0<\0/\0r\0>\0";
    char *out = NULL;
    size_t len = 0;
    int rc;

    rc = vault_xml_mark_secret(&out, &len, NULL, utf16, sizeof utf16 - 1,
        &(vault_xml_mark_options){VAULT_XML_MARK_OPTIONS_VERSION, "u.xml", "//p", 0, "A"});
    cr_assert_eq(rc, VAULT_EFORMAT);
    cr_assert(strstr(msg(), "u.xml: UTF-16"), "%s", msg());
    rc = mark(bomb, "bomb.xml", "//p", 0, "A", &out, NULL);
    cr_assert_eq(rc, VAULT_EFORMAT, "rc %d", rc);
    cr_assert(strstr(msg(), "bomb.xml"), "%s", msg());
}

Test(mark, truncation_loop)
{
    char *xml = fixture_xml(3);
    size_t n = strlen(xml), i;
    for (i = 0; i <= n; i++) {
        char *out = NULL;
        size_t len = 0;
        vault_secret *old = NULL;
        int rc =
            vault_xml_mark_secret(&out, &len, &old, xml, i,
        &(vault_xml_mark_options){VAULT_XML_MARK_OPTIONS_VERSION, "t.xml", fixture[3].xpath, 1, fixture[3].alias});
        cr_assert(rc == 0 || rc == VAULT_EFORMAT || rc == VAULT_ENOTFOUND, "prefix %zu: rc %d", i, rc);
        cr_assert_eq(rc == 0, i >= n - 1, "prefix %zu: rc %d", i, rc);
        vault_string_free(out);
        vault_secret_free(old);
    }
    free(xml);
}

Test(mark, allocation_failure_loop)
{
    char *xml = fixture_xml(0);
    unsigned long n;
    int rc = -1;

    cr_assert_eq(vault_init(), 0);
    for (n = 1; n < 10000 && rc != 0; n++) {
        char *out = NULL;
        size_t len = 0;
        vault_secret *old = NULL;
        vault__test_alloc_fail_at(n);
        rc = vault_xml_mark_secret(&out, &len, &old, xml, strlen(xml),
        &(vault_xml_mark_options){VAULT_XML_MARK_OPTIONS_VERSION, "a.xml", fixture[0].xpath, 0, fixture[0].alias});
        vault__test_alloc_fail_at(0);
        cr_assert(rc == 0 || rc == VAULT_ENOMEM, "allocation %lu: rc %d (%s)", n, rc, msg());
        cr_assert_eq(rc == 0, out != NULL);
        vault_string_free(out);
        vault_secret_free(old);
    }
    cr_assert_eq(rc, 0);
    cr_assert_gt(n, 10);
    free(xml);
}

Test(expand, allocation_failure_loop)
{
    char *xml = fixture_xml(3), *marked = NULL;
    const char *kv[] = {fixture[3].alias, "v", NULL};
    resolve_table t = {kv, 0};
    unsigned long n;
    int rc = -1;

    cr_assert_eq(vault_init(), 0);
    cr_assert_eq(mark(xml, "c.xml", fixture[3].xpath, 1, fixture[3].alias, &marked, NULL), 0);
    for (n = 1; n < 10000 && rc != 0; n++) {
        vault_secret *out = NULL;
        vault_xml_marks *m = NULL;
        vault__test_alloc_fail_at(n);
        rc = vault_xml_expand(&out, marked, strlen(marked), "c.xml", resolve, &t);
        vault__test_alloc_fail_at(0);
        cr_assert(rc == 0 || rc == VAULT_ENOMEM, "allocation %lu: rc %d (%s)", n, rc, msg());
        cr_assert_eq(rc == 0, out != NULL);
        vault_secret_free(out);
        vault__test_alloc_fail_at(n);
        rc = vault_xml_marked(&m, marked, strlen(marked), "c.xml");
        vault__test_alloc_fail_at(0);
        cr_assert(rc == 0 || rc == VAULT_ENOMEM, "allocation %lu: rc %d (%s)", n, rc, msg());
        vault_xml_marks_free(m);
    }
    cr_assert_eq(rc, 0);
    vault_string_free(marked);
    free(xml);
}
