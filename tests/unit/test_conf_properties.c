/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-text.properties: the Java properties scanner, rendering, escaping.
 *
 * The independent side is the fixture's known content and Java itself: a
 * small program compiled at test time loads the same bytes with
 * java.util.Properties.load (through a UTF-8 reader) and prints every
 * key=value as hex; our scanner must print exactly the same for every
 * input, every prefix of the tricky inputs included. */
#include "conf_internal.h"
#include "conf_properties.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "fixtures/wso2-home/repository/conf/security/cipher-text.properties"

static const struct {
    const char *alias;
    const char *plain;
    unsigned int line;
    const char *token; /* the value as written in the file */
} fixture_secrets[] = {
    {"Carbon.Security.KeyStore.Password", "wso2carbon", 2, "[wso2carbon]"},
    {"UserManager.AdminUser.Password", "admin", 3, "[admin]"},
    {"Datasources.SHARED_DB.Configuration.Password", "db=secret\\with\\backslashes", 4,
     "[db\\=secret\\\\with\\\\backslashes]"},
    {"Server.Service.Connector.keystorePass", "wso2carbon", 5, "[wso2carbon]"},
    {"Log.Password", "log-p\xc3\xa4ssword", 7, "[log-p\xc3\xa4ssword]"},
};
#define FIXTURE_COUNT (sizeof fixture_secrets / sizeof fixture_secrets[0])

/* Sealed values with what base64 and the JSON forms hold: '=', '/', '+'. */
static const char *const new_values[FIXTURE_COUNT] = {
    "r5JSxsRCa9TyPGQre5KY2o8jFMrq/IOk+OqQtTODnkCTDZZ==",
    "QUJDREVGR0g=",
    "eyJjIjoiYWJjIiwidCI6IlJTQSJ9",
    "a/b+c=d:e#f!g",
    "bG9nLXBhc3N3b3Jk",
};

/* The fixture with those values, written by hand. */
static const char expected_render[] =
    "# alias=[plain text] is encrypted by the cipher tool; other values are taken as already encrypted.\n"
    "Carbon.Security.KeyStore.Password=r5JSxsRCa9TyPGQre5KY2o8jFMrq/IOk+OqQtTODnkCTDZZ==\n"
    "UserManager.AdminUser.Password=QUJDREVGR0g=\n"
    "Datasources.SHARED_DB.Configuration.Password=eyJjIjoiYWJjIiwidCI6IlJTQSJ9\n"
    "Server.Service.Connector.keystorePass=a/b+c=d:e#f!g\n"
    "# an alias that no XML file refers to; a properties file uses it as secretAlias:Log.Password\n"
    "Log.Password=bG9nLXBhc3N3b3Jk\n";

/* ---- helpers ---- */

static const char *tmp_path(const char *name)
{
    static char buf[8][4096];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

typedef struct pairs {
    char **kv; /* key, value, key, value ... */
    size_t n, cap;
    size_t span_start[64], span_end[64];
} pairs;

static int collect(const conf_prop *p, void *payload)
{
    pairs *ps = payload;
    if (ps->n + 2 > ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 16;
        ps->kv = realloc(ps->kv, ps->cap * sizeof *ps->kv);
    }
    cr_assert_eq(strlen(p->key), p->key_len);
    cr_assert_eq(strlen(p->value), p->value_len);
    if (ps->n / 2 < 64) {
        ps->span_start[ps->n / 2] = p->value_start;
        ps->span_end[ps->n / 2] = p->value_end;
    }
    ps->kv[ps->n++] = strdup(p->key);
    ps->kv[ps->n++] = strdup(p->value);
    return 0;
}

static void pairs_free(pairs *ps)
{
    size_t i;
    for (i = 0; i < ps->n; i++)
        free(ps->kv[i]);
    free(ps->kv);
    memset(ps, 0, sizeof *ps);
}

static int scan(const char *text, size_t len, pairs *ps)
{
    memset(ps, 0, sizeof *ps);
    return conf_properties_scan("case.properties", (const unsigned char *)text, len, collect, ps);
}

static char *hex(const char *s)
{
    size_t n = strlen(s), i;
    char *out = malloc(2 * n + 1);
    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", (unsigned char)s[i]);
    out[2 * n] = '\0';
    return out;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What the Java program prints for one file: "== label", then the sorted
 * hex(key)=hex(value) lines of the Properties (the last value of a key
 * wins, as in Properties.put), or ERROR. */
static void dump_ours(FILE *out, const char *label, const unsigned char *text, size_t len)
{
    pairs ps;
    char **lines;
    size_t i, j, k = 0;
    int rc = scan((const char *)text, len, &ps);

    fprintf(out, "== %s\n", label);
    if (rc != 0) {
        cr_assert_eq(rc, VAULT_EFORMAT, "%s: rc %d", label, rc);
        fprintf(out, "ERROR\n");
        pairs_free(&ps);
        return;
    }
    lines = calloc(ps.n / 2 + 1, sizeof *lines);
    for (i = 0; i < ps.n; i += 2) {
        int later = 0;
        for (j = i + 2; j < ps.n; j += 2)
            later |= strcmp(ps.kv[i], ps.kv[j]) == 0;
        if (!later) {
            char *hk = hex(ps.kv[i]), *hv = hex(ps.kv[i + 1]);
            lines[k] = malloc(strlen(hk) + strlen(hv) + 2);
            sprintf(lines[k++], "%s=%s", hk, hv);
            free(hk);
            free(hv);
        }
    }
    qsort(lines, k, sizeof *lines, str_cmp);
    for (i = 0; i < k; i++) {
        fprintf(out, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    pairs_free(&ps);
}

static const char java_source[] =
    "import java.io.*;\n"
    "import java.nio.charset.StandardCharsets;\n"
    "import java.util.*;\n"
    "public class PropDump {\n"
    "  static String hex(String s) {\n"
    "    StringBuilder b = new StringBuilder();\n"
    "    for (byte x : s.getBytes(StandardCharsets.UTF_8)) b.append(String.format(\"%02x\", x & 0xff));\n"
    "    return b.toString();\n"
    "  }\n"
    "  public static void main(String[] args) throws Exception {\n"
    "    BufferedReader list = new BufferedReader(new InputStreamReader(new FileInputStream(args[0]),\n"
    "        StandardCharsets.UTF_8));\n"
    "    StringBuilder out = new StringBuilder();\n"
    "    for (String f; (f = list.readLine()) != null;) {\n"
    "      out.append(\"== \").append(new File(f).getName()).append('\\n');\n"
    "      Properties p = new Properties();\n"
    "      try (Reader r = new InputStreamReader(new FileInputStream(f), StandardCharsets.UTF_8)) {\n"
    "        p.load(r);\n"
    "      } catch (IllegalArgumentException e) {\n"
    "        out.append(\"ERROR\\n\");\n"
    "        continue;\n"
    "      }\n"
    "      List<String> lines = new ArrayList<>();\n"
    "      for (String k : p.stringPropertyNames()) lines.add(hex(k) + \"=\" + hex(p.getProperty(k)));\n"
    "      Collections.sort(lines);\n"
    "      for (String l : lines) out.append(l).append('\\n');\n"
    "    }\n"
    "    System.out.print(out);\n"
    "  }\n"
    "}\n";

/* Compile PropDump once per test process. */
static const char *java_dir(void)
{
    static char dir[4096];
    char cmd[8192];
    if (dir[0])
        return dir;
    cr_assert(have_program("javac") && have_program("java"), "javac and java (JDK 17) are needed");
    snprintf(dir, sizeof dir, "%s/java", test_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/PropDump.java", dir);
    spit(cmd, java_source, strlen(java_source));
    snprintf(cmd, sizeof cmd, "javac -d '%s' '%s/PropDump.java' 2>&1", dir, dir);
    cr_assert_eq(run_capture(cmd, NULL, NULL), 0, "javac failed");
    return dir;
}

/* A batch of inputs loaded by Java and by us: the outputs must be equal. */
typedef struct batch {
    FILE *list, *ours;
    char *ours_buf;
    size_t ours_len;
    int count;
} batch;

static void batch_begin(batch *b)
{
    memset(b, 0, sizeof *b);
    b->list = fopen(tmp_path("list.txt"), "w");
    cr_assert_not_null(b->list);
    b->ours = open_memstream(&b->ours_buf, &b->ours_len);
}

static void batch_add(batch *b, const unsigned char *text, size_t len)
{
    char label[32];
    const char *path;
    snprintf(label, sizeof label, "c%05d.properties", b->count++);
    path = tmp_path(label);
    spit(path, text, len);
    fprintf(b->list, "%s\n", path);
    dump_ours(b->ours, label, text, len);
}

/* The first line where Java and we differ, with the input it belongs to. */
static void report_difference(const char *java, const char *ours)
{
    const char *label = "", *j = java, *o = ours;
    while (*j && *o) {
        size_t jl = strcspn(j, "\n"), ol = strcspn(o, "\n");
        if (jl != ol || memcmp(j, o, jl) != 0)
            break;
        if (strncmp(j, "== ", 3) == 0)
            label = j;
        j += jl + (j[jl] != 0);
        o += ol + (o[ol] != 0);
    }
    cr_assert_fail("Java and we disagree after %.*s\n java: %.*s\n ours: %.*s", (int)strcspn(label, "\n"),
                   label, (int)strcspn(j, "\n"), j, (int)strcspn(o, "\n"), o);
}

static void batch_check(batch *b)
{
    unsigned char *java_out = NULL;
    size_t java_len = 0;
    char cmd[8192];
    const char *dir = java_dir();

    fclose(b->list);
    fclose(b->ours);
    snprintf(cmd, sizeof cmd, "java -cp '%s' PropDump '%s'", dir, tmp_path("list.txt"));
    cr_assert_eq(run_capture(cmd, &java_out, &java_len), 0, "java failed");
    if (java_len != b->ours_len || memcmp(java_out, b->ours_buf, java_len) != 0)
        report_difference((const char *)java_out, b->ours_buf);
    free(java_out);
    free(b->ours_buf);
}

/* ---- the fixture ---- */

Test(properties, fixture_aliases_states_plaintexts)
{
    vault_config *cfg = NULL;
    const vault_config_entry *e;
    vault_secret *s = NULL;
    size_t i;

    cr_assert_eq(vault_config_open(&cfg, shared_path(FIXTURE), VAULT_CONFIG_AUTO), 0, "%s",
                 vault_error_last() ? vault_error_last()->message : "");
    cr_assert_eq(vault_config_get_type(cfg), VAULT_CONFIG_PROPERTIES);
    cr_assert_eq(vault_config_count(cfg), FIXTURE_COUNT);
    cr_assert_eq(vault_config_ref_count(cfg), 0);
    for (i = 0; i < FIXTURE_COUNT; i++) {
        cr_assert_eq(vault_config_entry_at(&e, cfg, i), 0);
        cr_assert_str_eq(e->alias, fixture_secrets[i].alias);
        cr_assert_eq(e->state, VAULT_VALUE_PLAIN, "%s", e->alias);
        cr_assert_null(e->value);
        cr_assert_eq(e->line, fixture_secrets[i].line, "%s: line %u", e->alias, e->line);
        cr_assert_eq(vault_config_plaintext(&s, cfg, i), 0);
        cr_assert_eq(vault_secret_len(s), strlen(fixture_secrets[i].plain));
        cr_assert_str_eq(vault_secret_str(s), fixture_secrets[i].plain);
        vault_secret_free(s);
    }
    vault_config_free(cfg);
}

Test(properties, fixture_spans_are_the_value_tokens)
{
    vault_config *cfg = NULL;
    size_t i;

    cr_assert_eq(vault_config_open(&cfg, shared_path(FIXTURE), VAULT_CONFIG_PROPERTIES), 0);
    for (i = 0; i < FIXTURE_COUNT; i++) {
        const conf_item *it = cfg->items[i];
        size_t n = strlen(fixture_secrets[i].token);
        cr_assert_eq(it->end - it->start, n, "%s", it->info.alias);
        cr_assert(memcmp(cfg->text + it->start, fixture_secrets[i].token, n) == 0, "%s", it->info.alias);
    }
    vault_config_free(cfg);
}

Test(properties, fixture_set_render_reparse)
{
    vault_config *cfg = NULL, *re = NULL;
    const vault_config_entry *e;
    char *out = NULL;
    size_t len = 0, i;
    batch b;

    cr_assert_eq(vault_config_open(&cfg, shared_path(FIXTURE), VAULT_CONFIG_PROPERTIES), 0);
    for (i = 0; i < FIXTURE_COUNT; i++)
        cr_assert_eq(vault_config_set(cfg, i, new_values[i]), 0);
    cr_assert_eq(vault_config_render(&out, &len, cfg), 0);
    cr_assert_eq(len, strlen(expected_render));
    cr_assert_str_eq(out, expected_render);

    cr_assert_eq(vault_config_parse(&re, "re.properties", VAULT_CONFIG_PROPERTIES, out, len), 0);
    cr_assert_eq(vault_config_count(re), FIXTURE_COUNT);
    for (i = 0; i < FIXTURE_COUNT; i++) {
        cr_assert_eq(vault_config_entry_at(&e, re, i), 0);
        cr_assert_str_eq(e->alias, fixture_secrets[i].alias);
        cr_assert_eq(e->state, VAULT_VALUE_SEALED);
        cr_assert_str_eq(e->value, new_values[i]);
    }
    /* Java reads back the same values. */
    batch_begin(&b);
    batch_add(&b, (const unsigned char *)out, len);
    batch_check(&b);
    vault_string_free(out);
    vault_config_free(re);
    vault_config_free(cfg);
}

/* ---- Java syntax, table-driven ---- */

typedef struct pcase {
    const char *text;
    int rc;
    const char *kv[9]; /* expected key, value pairs, NULL-terminated */
    const char *span;  /* raw text of the first value span, or NULL */
    int java;          /* Java agrees (0: we refuse what Java turns into '?') */
} pcase;

static const pcase cases[] = {
    {"a=b\n", 0, {"a", "b"}, "b", 1},
    {"a:b", 0, {"a", "b"}, "b", 1},
    {"a b", 0, {"a", "b"}, "b", 1},
    {"a\tb", 0, {"a", "b"}, "b", 1},
    {"a\fb", 0, {"a", "b"}, "b", 1},
    {"  a  =  b  \n", 0, {"a", "b  "}, "b  ", 1},
    {"a b=c", 0, {"a", "b=c"}, "b=c", 1},
    {"a\\=b=c", 0, {"a=b", "c"}, "c", 1},
    {"a\\:b:c", 0, {"a:b", "c"}, "c", 1},
    {"a\\ b c", 0, {"a b", "c"}, "c", 1},
    {"a\\\tb\\=\\:=c", 0, {"a\tb=:", "c"}, "c", 1},
    {"k =:v", 0, {"k", ":v"}, ":v", 1},
    {"k:=v", 0, {"k", "=v"}, "=v", 1},
    {"key=one \\\n    two \\\n\tthree\nnext=1\n",
     0,
     {"key", "one two three", "next", "1"},
     "one \\\n    two \\\n\tthree",
     1},
    {"k=\\u00e4\\u00C4", 0, {"k", "\xc3\xa4\xc3\x84"}, "\\u00e4\\u00C4", 1},
    {"a=1\r\nb=2\r\n", 0, {"a", "1", "b", "2"}, "1", 1},
    {"a=1\rb=2\r", 0, {"a", "1", "b", "2"}, "1", 1},
    {"a=x\\\r\n   y\r\nb=2", 0, {"a", "xy", "b", "2"}, "x\\\r\n   y", 1},
    {"! bang\n# hash\n  ! indented\na=1\n", 0, {"a", "1"}, "1", 1},
    {"# comment with a backslash \\\na=1\n", 0, {"a", "1"}, "1", 1},
    {"key\n", 0, {"key", ""}, "", 1},
    {"key=\n", 0, {"key", ""}, "", 1},
    {"key   \n", 0, {"key", ""}, "", 1},
    {"k=abc\\", 0, {"k", "abc"}, "abc", 1},
    {"k=abc\\\n", 0, {"k", "abc"}, "abc", 1},
    {"k=\\t\\n\\r\\f\\x\\\\\\#", 0, {"k", "\t\n\r\fx\\#"}, NULL, 1},
    {"k=\\u12", VAULT_EFORMAT, {NULL}, NULL, 1},
    {"k=\\u12G4", VAULT_EFORMAT, {NULL}, NULL, 1},
    {"k\\u12=v", VAULT_EFORMAT, {NULL}, NULL, 1},
    {"a=b\\\n#notcomment", 0, {"a", "b#notcomment"}, NULL, 1},
    {"a=b\\\\\nc=d", 0, {"a", "b\\", "c", "d"}, "b\\\\", 1},
    {"\\\n#x=1\ny=2", 0, {"y", "2"}, "2", 1},
    {"k=\\ud83d\\ude00", 0, {"k", "\xf0\x9f\x98\x80"}, NULL, 1},
    {"k=\\ud83d", VAULT_EFORMAT, {NULL}, NULL, 0},
    {"k=\\ude00x", VAULT_EFORMAT, {NULL}, NULL, 0},
    {"k=\\u0000", VAULT_EFORMAT, {NULL}, NULL, 0},
    {"a=\\u00\\\n  e4", 0, {"a", "\xc3\xa4"}, "\\u00\\\n  e4", 1},
    {"k=\\  x", 0, {"k", "  x"}, "\\  x", 1},
    {"=v", 0, {"", "v"}, "v", 1},
    {"a=1\n\\", 0, {"a", "1", "", ""}, "1", 1},
    {"k=v\\\n\n  next=1", 0, {"k", "v", "next", "1"}, "v", 1},
    {"a=b\\\n   \\\n   c", 0, {"a", "bc"}, "b\\\n   \\\n   c", 1},
    {"k\xc3\xa4=v\xc3\xa4", 0, {"k\xc3\xa4", "v\xc3\xa4"}, "v\xc3\xa4", 1},
    {"\xef\xbb\xbf"
     "a=1",
     0,
     {"\xef\xbb\xbf"
      "a",
      "1"},
     "1",
     1},
    {"   \n\t\n\f\n", 0, {NULL}, NULL, 1},
    {"dup=1\ndup=2\n", 0, {"dup", "1", "dup", "2"}, "1", 1},
};
#define CASE_COUNT (sizeof cases / sizeof cases[0])

Test(properties, java_syntax_table)
{
    size_t i, j;

    for (i = 0; i < CASE_COUNT; i++) {
        const pcase *c = &cases[i];
        pairs ps;
        int rc = scan(c->text, strlen(c->text), &ps);
        cr_assert_eq(rc, c->rc, "case %zu: rc %d, expected %d", i, rc, c->rc);
        if (rc != 0) {
            const vault_error *e = vault_error_last();
            cr_assert(e && strstr(e->message, "case.properties:1:"), "case %zu: message %s", i,
                      e ? e->message : "(none)");
            pairs_free(&ps);
            continue;
        }
        for (j = 0; c->kv[j]; j++) {
            cr_assert(j < ps.n, "case %zu: only %zu strings", i, ps.n);
            cr_assert_str_eq(ps.kv[j], c->kv[j], "case %zu string %zu", i, j);
        }
        cr_assert_eq(ps.n, j, "case %zu: %zu strings, expected %zu", i, ps.n, j);
        if (c->span) {
            size_t n = ps.span_end[0] - ps.span_start[0];
            cr_assert_eq(n, strlen(c->span), "case %zu: span length %zu", i, n);
            cr_assert(memcmp(c->text + ps.span_start[0], c->span, n) == 0, "case %zu: span", i);
        }
        pairs_free(&ps);
    }
}

Test(properties, malformed_escape_names_file_and_line)
{
    vault_config *cfg = NULL;
    const char *text = "a=1\n# c\nb=\\u00e4\nc=x\\\n  \\u12\n";
    cr_assert_eq(
        vault_config_parse(&cfg, "cipher-text.properties", VAULT_CONFIG_PROPERTIES, text, strlen(text)),
        VAULT_EFORMAT);
    cr_assert_null(cfg);
    cr_assert_str_eq(vault_error_last()->message, "cipher-text.properties:5: malformed \\uxxxx escape");
}

Test(properties, java_agrees_on_every_case)
{
    batch b;
    size_t i;

    batch_begin(&b);
    for (i = 0; i < CASE_COUNT; i++)
        if (cases[i].java)
            batch_add(&b, (const unsigned char *)cases[i].text, strlen(cases[i].text));
    batch_check(&b);
}

/* Every prefix (at character boundaries: Java's decoder would turn a cut
 * UTF-8 sequence into U+FFFD) of the fixture and of all the cases in one
 * file: Java and we agree on each. */
Test(properties, truncation_loop_agrees_with_java)
{
    unsigned char *fixture;
    size_t flen, i, len = 0;
    char *all = NULL;
    FILE *f = open_memstream(&all, &len);
    batch b;

    /* A prefix cutting a surrogate pair leaves a lone surrogate, which
     * Java turns into '?' and we refuse: that case is left out here. */
    for (i = 0; i < CASE_COUNT; i++)
        if (cases[i].java && cases[i].rc == 0 && !strstr(cases[i].text, "\\ud83d"))
            fprintf(f, "%s\n", cases[i].text);
    fclose(f);
    fixture = slurp(shared_path(FIXTURE), &flen);
    batch_begin(&b);
    for (i = 0; i <= flen; i++)
        if (i == flen || (fixture[i] & 0xC0) != 0x80)
            batch_add(&b, fixture, i);
    for (i = 0; i <= len; i++)
        if (i == len || ((unsigned char)all[i] & 0xC0) != 0x80)
            batch_add(&b, (const unsigned char *)all, i);
    batch_check(&b);
    free(fixture);
    free(all);
}

Test(properties, truncation_loop_config)
{
    unsigned char *fixture;
    size_t flen, i;

    fixture = slurp(shared_path(FIXTURE), &flen);
    for (i = 0; i <= flen; i++) {
        vault_config *cfg = NULL;
        int rc = vault_config_parse(&cfg, "t.properties", VAULT_CONFIG_PROPERTIES, fixture, i);
        cr_assert(rc == 0 || rc == VAULT_EFORMAT, "prefix %zu: rc %d", i, rc);
        cr_assert((rc == 0) == (cfg != NULL));
        vault_config_free(cfg);
    }
    free(fixture);
}

Test(properties, allocation_failure_loop)
{
    unsigned char *fixture;
    size_t flen;
    unsigned long n;
    int rc = -1;

    cr_assert_eq(vault_init(), 0);
    fixture = slurp(shared_path(FIXTURE), &flen);
    for (n = 1; n < 10000 && rc != 0; n++) {
        vault_config *cfg = NULL;
        vault__test_alloc_fail_at(n);
        rc = vault_config_parse(&cfg, "a.properties", VAULT_CONFIG_PROPERTIES, fixture, flen);
        vault__test_alloc_fail_at(0);
        cr_assert(rc == 0 || rc == VAULT_ENOMEM, "allocation %lu: rc %d", n, rc);
        cr_assert((rc == 0) == (cfg != NULL));
        if (rc == 0)
            cr_assert_eq(vault_config_count(cfg), FIXTURE_COUNT);
        vault_config_free(cfg);
    }
    cr_assert_eq(rc, 0);
    cr_assert_gt(n, 10, "only %lu allocations", n);
    free(fixture);
}

/* ---- references are not secrets ---- */

Test(properties, secret_alias_values_are_references)
{
    static const char text[] = "log4j.appender.X.password=secretAlias:Log.Password\n"
                               "url=jdbc:x?user=$secret{db.user}&pw=$secret{db.pw}\n"
                               "real=[s3cret]\n";
    vault_config *cfg = NULL;
    const vault_config_ref *r;
    const vault_config_entry *e;

    cr_assert_eq(vault_config_parse(&cfg, "r.properties", VAULT_CONFIG_PROPERTIES, text, sizeof text - 1), 0);
    cr_assert_eq(vault_config_count(cfg), 1);
    cr_assert_eq(vault_config_entry_at(&e, cfg, 0), 0);
    cr_assert_str_eq(e->alias, "real");
    cr_assert_eq(e->line, 3);
    cr_assert_eq(vault_config_ref_count(cfg), 3);
    cr_assert_eq(vault_config_ref_at(&r, cfg, 0), 0);
    cr_assert_str_eq(r->alias, "Log.Password");
    cr_assert_eq(r->line, 1);
    cr_assert_eq(vault_config_ref_at(&r, cfg, 1), 0);
    cr_assert_str_eq(r->alias, "db.user");
    cr_assert_eq(r->line, 2);
    cr_assert_eq(vault_config_ref_at(&r, cfg, 2), 0);
    cr_assert_str_eq(r->alias, "db.pw");
    vault_config_free(cfg);
}

Test(properties, duplicate_alias_is_refused)
{
    vault_config *cfg = NULL;
    const char *text = "a=[x]\nb=[y]\na=[z]\n";
    cr_assert_eq(vault_config_parse(&cfg, "d.properties", VAULT_CONFIG_PROPERTIES, text, strlen(text)),
                 VAULT_EFORMAT);
    cr_assert(strstr(vault_error_last()->message, "d.properties:3"));
}

/* ---- writing values back ---- */

typedef struct rcase {
    const char *text;
    const char *alias;
    const char *sealed;
    const char *expected;
} rcase;

static const rcase renders[] = {
    {"a=[x]\n", "a", "QUJD/+x==", "a=QUJD/+x==\n"},
    {"key\n", "key", "V", "key=V\n"},
    {"key", "key", "V", "key=V"},
    {"key   \n", "key", "V", "key   V\n"},
    {"key=\n", "key", "V", "key=V\n"},
    {"key:\n", "key", "V", "key:V\n"},
    {"a\\ \n", "a ", "V", "a\\ =V\n"},
    {"a\\=\n", "a=", "V", "a\\==V\n"},
    {"a\\\\=\n", "a\\", "V", "a\\\\=V\n"},
    {"k = one \\\n  two \\\n  three\nz=1\n", "k", "NEW", "k = NEW\nz=1\n"},
    {"a=[x]\r\nb=[y]\r\n", "b", "S", "a=[x]\r\nb=S\r\n"},
    {"k:[x]", "k", " lead\\back\ttab\nnl\rcr=:#!\f", "k:\\ lead\\\\back\\ttab\\nnl\\rcr=:#!\\f"},
    {"k [x]", "k", "=eq", "k \\=eq"},
    {"k [x]", "k", ":co", "k \\:co"},
    {"k=[x]\\\n\nz=1", "k", "end\\", "k=end\\\\\\\n\nz=1"},
    {"k\\\n", "k", "V", "k=V\\\n"},
};
#define RENDER_COUNT (sizeof renders / sizeof renders[0])

Test(properties, encoder_table_and_java_reads_it_back)
{
    size_t i, k;
    batch b;

    batch_begin(&b);
    for (i = 0; i < RENDER_COUNT; i++) {
        const rcase *c = &renders[i];
        vault_config *cfg = NULL, *re = NULL;
        const vault_config_entry *e;
        char *out = NULL;
        size_t len = 0, idx = 0;

        cr_assert_eq(
            vault_config_parse(&cfg, "w.properties", VAULT_CONFIG_PROPERTIES, c->text, strlen(c->text)), 0,
            "case %zu", i);
        cr_assert_eq(vault_config_find(&idx, cfg, c->alias), 0, "case %zu", i);
        cr_assert_eq(vault_config_set(cfg, idx, c->sealed), 0, "case %zu", i);
        cr_assert_eq(vault_config_render(&out, &len, cfg), 0);
        cr_assert_str_eq(out, c->expected, "case %zu", i);
        cr_assert_eq(vault_config_parse(&re, "w.properties", VAULT_CONFIG_PROPERTIES, out, len), 0);
        cr_assert_eq(vault_config_find(&idx, re, c->alias), 0);
        cr_assert_eq(vault_config_entry_at(&e, re, idx), 0);
        cr_assert_eq(e->state, VAULT_VALUE_SEALED);
        cr_assert_str_eq(e->value, c->sealed, "case %zu", i);
        batch_add(&b, (const unsigned char *)out, len);
        vault_string_free(out);
        vault_config_free(re);
        vault_config_free(cfg);
    }
    batch_check(&b);
    /* The batch compares Java with our scanner; check that Java saw the
     * sealed values themselves. */
    for (i = 0; i < RENDER_COUNT; i++) {
        pairs ps;
        const char *out = renders[i].expected;
        cr_assert_eq(scan(out, strlen(out), &ps), 0);
        for (k = 0; k < ps.n; k += 2)
            if (strcmp(ps.kv[k], renders[i].alias) == 0)
                cr_assert_str_eq(ps.kv[k + 1], renders[i].sealed, "case %zu", i);
        pairs_free(&ps);
    }
}

/* A bracketed or quoted value alone on a line is a value whose alias was
 * left out: refused, and its text (maybe the secret) never shown. */
Test(properties, value_without_alias_is_not_shown)
{
    static const char *const texts[] = {"a=[x]\n[LEAKMEsecret]\n", "\"[LEAKMEsecret]\"\n",
                                        "a=[x]\n\"LEAKMEsecret\"\n"};
    size_t k;
    for (k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        vault_config *cfg = NULL;
        int rc = vault_config_parse(&cfg, "c.properties", VAULT_CONFIG_PROPERTIES, texts[k], strlen(texts[k]));
        cr_assert_eq(rc, VAULT_EFORMAT, "%zu: rc %d", k, rc);
        cr_assert_null(cfg);
        cr_assert(strstr(vault_error_last()->message, "a value without an alias"), "%s",
                  vault_error_last()->message);
        cr_assert_null(strstr(vault_error_last()->message, "LEAKME"), "%s", vault_error_last()->message);
    }
}

/* The Java tool's reading of a cipher-text.properties value: the plain text
 * lies between the first '[' and the FIRST ']' (CipherTool's
 * substring(indexOf('[') + 1, indexOf(']'))), the file's bytes are
 * ISO-8859-1 (Properties.load(InputStream)) and the text is sealed as
 * UTF-8 (getBytes(UTF-8)). */
Test(properties, java_tool_bracket_and_latin1_rules)
{
    static const struct {
        const char *text;
        vault_value_state state;
        const char *plain; /* PLAIN: the UTF-8 bytes sealed */
        const char *warning; /* a part of the note, or NULL for none */
    } cases[] = {
        {"a=[x]\n", VAULT_VALUE_PLAIN, "x", NULL},
        {"a=[a]b]\n", VAULT_VALUE_PLAIN, "a", "alias \"a\": the text outside the brackets is dropped"},
        {"a=pre[in]post\n", VAULT_VALUE_PLAIN, "in", "m.properties:1: alias \"a\""},
        {"a=]x[\n", VAULT_VALUE_SEALED, NULL, NULL},
        {"a=x]y[z]\n", VAULT_VALUE_SEALED, NULL, NULL},
        {"a=[l\xe4uft]\n", VAULT_VALUE_PLAIN, "l\xc3\xa4uft", NULL},            /* Latin-1 byte */
        {"a=[l\\u00e4uft]\n", VAULT_VALUE_PLAIN, "l\xc3\xa4uft", NULL},          /* escape: both agree */
        {"a=[l\xc3\xa4uft]\n", VAULT_VALUE_PLAIN, "l\xc3\xa4uft", "ISO-8859-1"}, /* UTF-8 as meant, noted */
        {"a=[\xff\xfe]\n", VAULT_VALUE_PLAIN, "\xc3\xbf\xc3\xbe", NULL},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vault_config *cfg = NULL;
        const vault_config_entry *e;
        vault_secret *plain = NULL;
        const char *w, *w1;
        cr_assert_eq(vault_config_parse(&cfg, "m.properties", VAULT_CONFIG_PROPERTIES, cases[i].text,
                                        strlen(cases[i].text)),
                     0, "case %zu", i);
        cr_assert_eq(vault_config_entry_at(&e, cfg, 0), 0);
        cr_assert_eq(e->state, cases[i].state, "case %zu: state %d", i, e->state);
        if (cases[i].plain) {
            cr_assert_eq(vault_config_plaintext(&plain, cfg, 0), 0);
            cr_assert_eq(vault_secret_len(plain), strlen(cases[i].plain), "case %zu", i);
            cr_assert(memcmp(vault_secret_data(plain), cases[i].plain, strlen(cases[i].plain)) == 0, "case %zu", i);
            vault_secret_free(plain);
        }
        if (vault_config_warning_at(&w, cfg, 0) != 0)
            w = NULL;
        cr_assert_eq(vault_config_warning_count(cfg), w ? 1 : 0, "case %zu", i);
        cr_assert_eq(vault_config_warning_at(&w1, cfg, 1), VAULT_ENOTFOUND, "case %zu", i);
        cr_assert_null(w1);
        if (cases[i].warning) {
            cr_assert(w && strstr(w, cases[i].warning), "case %zu: %s", i, w ? w : "(none)");
            cr_assert(!strstr(w, "post") && !strstr(w, "uft"), "case %zu: the note shows the value: %s", i, w);
        } else {
            cr_assert_null(w, "case %zu: %s", i, w);
        }
        vault_config_free(cfg);
    }
}
