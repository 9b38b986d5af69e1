/* SPDX-License-Identifier: Apache-2.0 */
/* A legacy product home's XML files through the public headers only:
 * vault_legacy_home_mark() on a copy of the shared WSO2 home, the written
 * XML judged by libxml2's own xmllint (XPath), a failed run leaving every
 * file byte-identical, and vault_legacy_home_status() telling each state,
 * its lines judged by grep. */
#include <vault.h>

#include "testutil.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SVNS "http://org.wso2.securevault/configuration"
#define MAP "repository/conf/security/cipher-tool.properties"
#define CARBON "repository/conf/carbon.xml"
#define USERMGT "repository/conf/user-mgt.xml"
#define DATASOURCES "repository/conf/datasources/master-datasources.xml"
#define CATALINA "repository/conf/tomcat/catalina-server.xml"

static const char *const xml_files[] = {CARBON, USERMGT, DATASOURCES, CATALINA};
#define N_XML (sizeof xml_files / sizeof xml_files[0])

/* HOME/rel in one of 8 rotating buffers. */
static const char *in_home(const char *home, const char *rel)
{
    static char buf[8][4096];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", home, rel);
    return out;
}

/* A writable copy of the shared WSO2 home without its deployment.toml: the
 * legacy layout, its map naming four XML files. */
static const char *copy_home(const char *name)
{
    static char home[4096];
    snprintf(home, sizeof home, "%s/%s", test_tmpdir(), name);
    test_sh("cp -r '%s' '%s' && chmod -R u+w '%s' && rm '%s/repository/conf/deployment.toml'",
            shared_path("fixtures/wso2-home"), home, home, home);
    return home;
}

static void append(const char *path, const char *line)
{
    FILE *f = fopen(path, "a");
    cr_assert(f != NULL, "%s: %s", path, strerror(errno));
    fputs(line, f);
    cr_assert_eq(fclose(f), 0);
}

/* The output of a shell command, its last newline removed. */
static char *sh_text(const char *fmt, const char *a, const char *b)
{
    char *out = (char *)test_sh_out(NULL, fmt, a, b);
    size_t n = out ? strlen(out) : 0;
    if (!out)
        return strdup("");
    if (n && out[n - 1] == '\n')
        out[n - 1] = '\0';
    return out;
}

/* What xmllint (libxml2's own parser and XPath) says an XPath gives. */
static char *xq(const char *file, const char *xpath)
{
    cr_assert(have_program("xmllint"), "xmllint is needed (Debian package libxml2-utils)");
    return sh_text("xmllint --xpath '%s' '%s'", xpath, file);
}

static void expect_xpath(const char *file, const char *xpath, const char *want)
{
    char *got = xq(file, xpath);
    cr_expect_str_eq(got, want, "%s: %s", file, xpath);
    free(got);
}

/* The element an XPath selects holds the placeholder and carries the alias. */
static void expect_marked(const char *file, const char *elem, const char *alias)
{
    char xp[1024];
    snprintf(xp, sizeof xp, "string(%s)", elem);
    expect_xpath(file, xp, "password");
    snprintf(xp, sizeof xp, "string(%s/@*[local-name()=\"secretAlias\" and namespace-uri()=\"%s\"])", elem, SVNS);
    expect_xpath(file, xp, alias);
}

/* The line grep finds a text on in a file (the first), 0 when none. */
static unsigned grep_line(const char *file, const char *text)
{
    char *out = sh_text("grep -n -F -e '%s' '%s' | head -n 1 | cut -d: -f1", text, file);
    unsigned n = (unsigned)strtoul(out, NULL, 10);
    free(out);
    return n;
}

typedef struct snapshot {
    unsigned char *data[N_XML + 1];
    size_t len[N_XML + 1];
} snapshot;

/* Every XML file of the map and the map itself, as they are now. */
static void snap(snapshot *s, const char *home)
{
    size_t i;
    for (i = 0; i < N_XML; i++)
        s->data[i] = slurp(in_home(home, xml_files[i]), &s->len[i]);
    s->data[N_XML] = slurp(in_home(home, MAP), &s->len[N_XML]);
}

static void expect_unchanged(const snapshot *s, const char *home)
{
    size_t i, len;
    for (i = 0; i <= N_XML; i++) {
        const char *rel = i < N_XML ? xml_files[i] : MAP;
        unsigned char *now = slurp(in_home(home, rel), &len);
        cr_expect(len == s->len[i] && memcmp(now, s->data[i], len) == 0, "%s changed", rel);
        free(now);
    }
}

static void snap_free(snapshot *s)
{
    size_t i;
    for (i = 0; i <= N_XML; i++)
        free(s->data[i]);
}

/* Nothing but the files themselves in their directories: no temporary left. */
static void expect_no_temp(const char *home)
{
    char *out = sh_text("find '%s/repository/conf' -type f -newer '%s' | grep -v -E "
                        "'(carbon|user-mgt|master-datasources|catalina-server)\\.xml$' || true",
                        home, in_home(home, MAP));
    cr_expect_str_eq(out, "", "left behind: %s", out);
    free(out);
}

/* ---- marking ------------------------------------------------------------ */

Test(legacy_home, marks_every_mapped_element_as_xmllint_reads_it)
{
    const char *home = copy_home("home");
    vault_legacy_marked *m = NULL;
    const char *path = NULL;
    struct stat st;
    size_t i;

    /* Two aliases into one file (carbon.xml): the second edits the first's text. */
    append(in_home(home, MAP), "Carbon.Security.KeyStore.KeyPassword=" CARBON
                               "//Server/Security/KeyStore/KeyPassword,false\n");
    cr_assert_eq(chmod(in_home(home, CARBON), 0640), 0);
    cr_assert_eq(vault_legacy_home_mark(&m, home), 0, "%s", test_errmsg());
    /* Each file once, in the order the map first names it. */
    cr_assert_eq(vault_legacy_marked_count(m), N_XML);
    for (i = 0; i < N_XML; i++) {
        cr_assert_eq(vault_legacy_marked_at(&path, m, i), 0);
        cr_expect_str_eq(path, in_home(home, xml_files[i]));
    }
    cr_expect_eq(vault_legacy_marked_at(&path, m, N_XML), VAULT_ENOTFOUND);
    cr_expect_null(path);
    cr_expect_eq(vault_legacy_marked_at(NULL, m, 0), VAULT_EINVAL);
    vault_legacy_marked_free(m);

    /* carbon.xml has a default namespace: local names, as the Java tool's
     * namespace-unaware parser reads it. */
    expect_marked(in_home(home, CARBON), "//*[local-name()=\"KeyStore\"]/*[local-name()=\"Password\"]",
                  "Carbon.Security.KeyStore.Password");
    expect_marked(in_home(home, CARBON), "//*[local-name()=\"KeyStore\"]/*[local-name()=\"KeyPassword\"]",
                  "Carbon.Security.KeyStore.KeyPassword");
    expect_xpath(in_home(home, CARBON), "string(//*[local-name()=\"KeyAlias\"])", "wso2carbon");
    expect_xpath(in_home(home, CARBON), "namespace-uri(/*)", "http://wso2.org/projects/carbon/carbon.xml");
    expect_marked(in_home(home, USERMGT), "/UserManager/Realm/Configuration/AdminUser/Password",
                  "UserManager.AdminUser.Password");
    expect_xpath(in_home(home, USERMGT), "string(//AdminUser/UserName)", "admin");
    expect_marked(in_home(home, DATASOURCES),
                  "//datasource[name=\"SHARED_DB\"]/definition[@type=\"RDBMS\"]/configuration/password",
                  "Datasources.SHARED_DB.Configuration.Password");
    expect_xpath(in_home(home, DATASOURCES), "string(//configuration/username)", "wso2");
    /* ",true": the attribute becomes the placeholder, the element carries the alias. */
    expect_xpath(in_home(home, CATALINA), "string(/Server/Service/Connector/@keystorePass)", "password");
    expect_xpath(in_home(home, CATALINA),
                 "string(/Server/Service/Connector/@*[local-name()=\"secretAlias\" and namespace-uri()=\"" SVNS
                 "\"])",
                 "Server.Service.Connector.keystorePass");
    expect_xpath(in_home(home, CATALINA), "string(/Server/Service/Connector/@port)", "9443");
    /* No plain password is left in any of them. */
    for (i = 0; i < N_XML; i++) {
        char *plain = sh_text("grep -c -e 'wso2carbon<' -e 'Pass=\"wso2carbon\"' -e '>admin</Password' "
                              "-e backslashes '%s'%s || true", in_home(home, xml_files[i]), "");
        cr_expect_str_eq(plain, i == 0 ? "1" : "0", "%s", xml_files[i]); /* carbon.xml's KeyAlias stays */
        free(plain);
    }
    /* The mode is kept; no temporary file is left. */
    cr_assert_eq(stat(in_home(home, CARBON), &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0640);
    expect_no_temp(home);
}

Test(legacy_home, a_second_run_writes_nothing)
{
    const char *home = copy_home("home");
    vault_legacy_marked *m = NULL;
    snapshot s;

    cr_assert_eq(vault_legacy_home_mark(&m, home), 0, "%s", test_errmsg());
    cr_assert_eq(vault_legacy_marked_count(m), N_XML);
    vault_legacy_marked_free(m);
    snap(&s, home);
    cr_assert_eq(vault_legacy_home_mark(&m, home), 0, "%s", test_errmsg());
    cr_expect_eq(vault_legacy_marked_count(m), 0);
    vault_legacy_marked_free(m);
    expect_unchanged(&s, home);
    snap_free(&s);
}

/* A run that fails on the map's last line: nothing written, the map's
 * file, line and alias named. */
static void expect_failed_run(const char *home, const char *line, int want, const char *alias, const char *what)
{
    vault_legacy_marked *m = (vault_legacy_marked *)1;
    char needle[512];
    unsigned map_line;
    snapshot s;

    append(in_home(home, MAP), line);
    map_line = grep_line(in_home(home, MAP), alias);
    cr_assert(map_line > 5);
    snap(&s, home);
    cr_assert_eq(vault_legacy_home_mark(&m, home), want, "%s", test_errmsg());
    cr_expect_null(m);
    snprintf(needle, sizeof needle, "%s: line %u: alias \"%s\": ", in_home(home, MAP), map_line, alias);
    cr_expect(strstr(test_errmsg(), needle) != NULL, "%s lacks %s", test_errmsg(), needle);
    cr_expect(strstr(test_errmsg(), what) != NULL, "%s lacks %s", test_errmsg(), what);
    expect_unchanged(&s, home);
    snap_free(&s);
    expect_no_temp(home);
}

Test(legacy_home, a_missing_element_leaves_every_file_as_it_was)
{
    expect_failed_run(copy_home("home"), "Missing.Element=" USERMGT "//UserManager/Realm/NoSuchElement,false\n",
                      VAULT_ENOTFOUND, "Missing.Element", "NoSuchElement");
}

Test(legacy_home, a_bad_xpath_leaves_every_file_as_it_was)
{
    expect_failed_run(copy_home("home"), "Bad.XPath=" CARBON "//Server/[[Security,false\n", VAULT_EFORMAT,
                      "Bad.XPath", "[[Security");
}

Test(legacy_home, a_missing_xml_file_leaves_every_file_as_it_was)
{
    expect_failed_run(copy_home("home"), "No.File=repository/conf/nosuch.xml//a/b,false\n", VAULT_ENOTFOUND,
                      "No.File", "cannot read ");
}

Test(legacy_home, no_map_no_marks)
{
    const char *home = copy_home("home");
    vault_legacy_marked *m = NULL;
    vault_legacy_status *st = NULL;

    cr_assert_eq(unlink(in_home(home, MAP)), 0);
    cr_expect_eq(vault_legacy_home_mark(&m, home), VAULT_ENOTFOUND);
    cr_expect_null(m);
    cr_expect_eq(vault_legacy_home_status(&st, home), VAULT_ENOTFOUND);
    cr_expect_null(st);
    cr_expect_eq(vault_legacy_home_mark(NULL, home), VAULT_EINVAL);
    cr_expect_eq(vault_legacy_home_mark(&m, NULL), VAULT_EINVAL);
    cr_expect_eq(vault_legacy_home_status(NULL, home), VAULT_EINVAL);
    vault_legacy_marked_free(NULL);
    vault_legacy_status_free(NULL);
    cr_expect_eq(vault_legacy_marked_count(NULL), 0);
    cr_expect_eq(vault_legacy_status_alias_count(NULL), 0);
    cr_expect_eq(vault_legacy_status_file_count(NULL), 0);
    cr_expect_null(vault_legacy_status_map(NULL));
}

/* ---- status ------------------------------------------------------------- */

static const vault_legacy_alias *alias_named(const vault_legacy_status *st, const char *alias)
{
    const vault_legacy_alias *a;
    size_t i;
    for (i = 0; vault_legacy_status_alias_at(&a, st, i) == 0; i++)
        if (strcmp(a->alias, alias) == 0)
            return a;
    cr_assert_fail("no alias %s in the status", alias);
    return NULL;
}

static const vault_legacy_file *file_of(const vault_legacy_status *st, const vault_legacy_alias *a)
{
    const vault_legacy_file *f = NULL;
    cr_assert_eq(vault_legacy_status_file_at(&f, st, a->file), 0);
    return f;
}

Test(legacy_home, status_as_the_product_ships_it)
{
    const char *home = copy_home("home");
    vault_legacy_status *st = NULL;
    const vault_legacy_alias *a = NULL;
    const vault_legacy_file *f = NULL;
    size_t i;

    cr_assert_eq(vault_legacy_home_status(&st, home), 0, "%s", test_errmsg());
    cr_expect_str_eq(vault_legacy_status_map(st), in_home(home, MAP));
    cr_assert_eq(vault_legacy_status_alias_count(st), 4);
    cr_assert_eq(vault_legacy_status_file_count(st), N_XML);
    for (i = 0; i < 4; i++) {
        char key[256];
        cr_assert_eq(vault_legacy_status_alias_at(&a, st, i), 0);
        cr_expect_eq(a->state, VAULT_LEGACY_NOT_MARKED, "%s", a->alias);
        cr_expect_null(a->mark);
        cr_expect_eq(a->file, i);
        snprintf(key, sizeof key, "%s=", a->alias);
        cr_expect_eq(a->map_line, grep_line(in_home(home, MAP), key), "%s", a->alias);
        f = file_of(st, a);
        cr_expect_str_eq(f->path, in_home(home, xml_files[i]));
        cr_expect_eq(f->error, 0);
        cr_expect_null(f->reason);
        cr_expect_eq(vault_xml_marks_count(f->marks), 0);
    }
    cr_expect_str_eq(alias_named(st, "Server.Service.Connector.keystorePass")->xpath,
                     "//Server/Service/Connector[@keystorePass]");
    cr_expect_eq(alias_named(st, "Server.Service.Connector.keystorePass")->attribute, 1);
    cr_expect_eq(vault_legacy_status_alias_at(&a, st, 4), VAULT_ENOTFOUND);
    cr_expect_null(a);
    cr_expect_eq(vault_legacy_status_file_at(&f, st, N_XML), VAULT_ENOTFOUND);
    cr_expect_null(f);
    cr_expect_eq(vault_legacy_status_alias_at(NULL, st, 0), VAULT_EINVAL);
    cr_expect_eq(vault_legacy_status_file_at(&f, NULL, 0), VAULT_EINVAL);
    vault_legacy_status_free(st);
}

Test(legacy_home, status_tells_each_state)
{
    const char *home = copy_home("home");
    vault_legacy_marked *m = NULL;
    vault_legacy_status *st = NULL;
    const vault_legacy_alias *a;
    const vault_legacy_file *f;
    const vault_xml_mark *mk;
    size_t i;
    int unnamed = 0;

    cr_assert_eq(vault_legacy_home_mark(&m, home), 0, "%s", test_errmsg());
    vault_legacy_marked_free(m);
    /* plain: a password put back into a marked element; an alias the map
     * names that is not marked (a new map line); a mark the map does not
     * name; a file of the map that is gone. */
    test_sh("sed -i 's|svns:secretAlias=\"UserManager.AdminUser.Password\">password<|"
            "svns:secretAlias=\"UserManager.AdminUser.Password\">admin<|' '%s'",
            in_home(home, USERMGT));
    append(in_home(home, MAP), "Carbon.Security.KeyStore.KeyPassword=" CARBON
                               "//Server/Security/KeyStore/KeyPassword,false\n");
    test_sh("sed -i 's|<Type>JKS</Type>|<Type svns:secretAlias=\"Unnamed.Alias\">password</Type>|' '%s'",
            in_home(home, CARBON));
    test_sh("mv '%s' '%s'", in_home(home, DATASOURCES), in_home(home, "gone.xml"));

    cr_assert_eq(vault_legacy_home_status(&st, home), 0, "%s", test_errmsg());
    cr_assert_eq(vault_legacy_status_alias_count(st), 5);
    cr_assert_eq(vault_legacy_status_file_count(st), N_XML);

    a = alias_named(st, "Carbon.Security.KeyStore.Password");
    cr_expect_eq(a->state, VAULT_LEGACY_MARKED);
    cr_assert_not_null(a->mark);
    cr_expect_eq(a->mark->line, grep_line(in_home(home, CARBON), "svns:secretAlias=\"Carbon.Security.KeyStore.Password\""));
    cr_expect_eq(a->file, 0);

    a = alias_named(st, "Carbon.Security.KeyStore.KeyPassword");
    cr_expect_eq(a->state, VAULT_LEGACY_NOT_MARKED);
    cr_expect_null(a->mark);
    cr_expect_eq(a->file, 0); /* carbon.xml, counted once */
    cr_expect_eq(a->map_line, grep_line(in_home(home, MAP), "Carbon.Security.KeyStore.KeyPassword="));

    a = alias_named(st, "UserManager.AdminUser.Password");
    cr_expect_eq(a->state, VAULT_LEGACY_PLAIN);
    cr_assert_not_null(a->mark);
    cr_expect_eq(a->mark->placeholder, 0);
    cr_expect_eq(a->mark->line, grep_line(in_home(home, USERMGT), "svns:secretAlias=\"UserManager.AdminUser.Password\""));

    a = alias_named(st, "Datasources.SHARED_DB.Configuration.Password");
    cr_expect_eq(a->state, VAULT_LEGACY_UNREADABLE);
    cr_expect_null(a->mark);
    f = file_of(st, a);
    cr_expect_eq(f->error, VAULT_ENOTFOUND);
    cr_assert_not_null(f->reason);
    cr_expect(strstr(f->reason, in_home(home, DATASOURCES)) != NULL, "%s", f->reason);
    cr_expect(strstr(f->reason, "cannot open the file") != NULL, "%s", f->reason);
    cr_expect_null(f->marks);

    cr_expect_eq(alias_named(st, "Server.Service.Connector.keystorePass")->state, VAULT_LEGACY_MARKED);

    /* carbon.xml's marks, in document order, the one the map does not name too. */
    cr_assert_eq(vault_legacy_status_file_at(&f, st, 0), 0);
    cr_assert_eq(vault_xml_marks_count(f->marks), 2);
    for (i = 0; vault_xml_marks_at(&mk, f->marks, i) == 0; i++) {
        if (strcmp(mk->alias, "Unnamed.Alias") == 0) {
            unnamed = 1;
            cr_expect_eq(mk->placeholder, 1);
            cr_expect_eq(mk->line, grep_line(in_home(home, CARBON), "Unnamed.Alias"));
            cr_expect_eq(i, 0); /* <Type> comes before <Password> */
        }
    }
    cr_expect(unnamed);
    vault_legacy_status_free(st);
}

Test(legacy_home, marked_file_reads_without_blocking)
{
    vault_xml_marks *marks = (vault_xml_marks *)1;
    const char *fifo = test_path("fifo.xml");

    cr_expect_eq(vault_xml_marked_file(&marks, test_path("nosuch.xml")), VAULT_ENOTFOUND);
    cr_expect_null(marks);
    cr_expect(strstr(test_errmsg(), "nosuch.xml: cannot open the file") != NULL, "%s", test_errmsg());
    /* A FIFO fails at once instead of waiting for a writer. */
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_expect_eq(vault_xml_marked_file(&marks, fifo), VAULT_EIO);
    cr_expect(strstr(test_errmsg(), fifo) != NULL, "%s", test_errmsg());
    test_write_text("one.xml", "<a xmlns:svns=\"" SVNS "\">\n<b svns:secretAlias=\"x\">pw</b></a>");
    cr_assert_eq(vault_xml_marked_file(&marks, test_path("one.xml")), 0, "%s", test_errmsg());
    cr_expect_eq(vault_xml_marks_count(marks), 1);
    vault_xml_marks_free(marks);
    cr_expect_eq(vault_xml_marked_file(NULL, fifo), VAULT_EINVAL);
}

/* ---- the home's rule, as -Dconfigure writes it back --------------------- */

/* vault_locate() with VAULT_OPEN_WSO2_RULES on a legacy home whose
 * secret-conf.properties has the algorithm line given (NULL: none). */
static vault_location *locate_with(const char *home, const char *algorithm_line)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;
    char text[1024];

    snprintf(text, sizeof text,
             "keystore.identity.location=repository/resources/security/wso2carbon.jks\n"
             "keystore.identity.type=JKS\nkeystore.identity.alias=wso2carbon\n%s",
             algorithm_line ? algorithm_line : "");
    spit(in_home(home, "repository/conf/security/secret-conf.properties"), text, strlen(text));
    o.config = home;
    o.flags = VAULT_OPEN_WSO2_RULES;
    cr_assert_eq(vault_locate(&loc, &o), 0, "%s", test_errmsg());
    cr_assert_eq(loc->wso2_rules, 1);
    return loc;
}

Test(legacy_home, the_rule_keeps_the_algorithm_as_spelled)
{
    const char *home = copy_home("home");
    vault_location *loc;

    /* Java's spellings vary; the line is kept as written (a case the JCE ignores). */
    loc = locate_with(home, "secretRepositories.file.algorithm=RSA/ECB/OAEPWithSHA1AndMGF1Padding\n");
    cr_expect_str_eq(loc->wso2_algorithm, "RSA/ECB/OAEPWithSHA1AndMGF1Padding");
    cr_expect_eq(loc->wso2_transformation, VAULT_TRANSFORM_RSA_OAEP_SHA1);
    vault_location_free(loc);
    loc = locate_with(home, "secretRepositories.file.algorithm=RSA/ECB/PKCS1Padding\n");
    cr_expect_str_eq(loc->wso2_algorithm, "RSA/ECB/PKCS1Padding");
    cr_expect_eq(loc->wso2_transformation, VAULT_TRANSFORM_RSA_PKCS1);
    vault_location_free(loc);
    /* No line: PKCS#1 v1.5, nothing spelled. */
    loc = locate_with(home, NULL);
    cr_expect_null(loc->wso2_algorithm);
    cr_expect_eq(loc->wso2_transformation, VAULT_TRANSFORM_RSA_PKCS1);
    vault_location_free(loc);
    /* The symmetric mode has no algorithm. */
    loc = locate_with(home, "secretRepositories.file.encryptionMode=symmetric\n"
                            "secretRepositories.file.algorithm=RSA\n");
    cr_expect_eq(loc->wso2_symmetric, 1);
    cr_expect_null(loc->wso2_algorithm);
    vault_location_free(loc);
}
