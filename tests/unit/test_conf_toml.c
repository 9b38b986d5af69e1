/* SPDX-License-Identifier: Apache-2.0 */
/* deployment.toml: the lossless [secrets] scanner, rendering, saving.
 *
 * The independent side is the fixture's known content and Python's tomllib
 * (the standard library's TOML 1.0 parser), which must agree with every
 * alias, value and reference we find in the inputs we accept. */
#include "conf_internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIXTURE "fixtures/wso2-home/repository/conf/deployment.toml"

static const char *const sealed_in_fixture =
    "r5JSxsRCa9TyPGQre5KY2o8jFMrqIOkOqQtTODnkCTDZZqWFaM+1fyffw7mORLpvDyRd08UoO3u83iqePVM8XWfNyDxSP/"
    "aWQ2BA42NdfxaP6pAqdsjsVHmVxmMPRjHvItfztKpJeDR+o3/kmrMSHabAMOYeF6I+iDy9NRc4BBkvw7nwZ+M3vdKYC1xd"
    "xXr0Txpysa/U1/flC56UxkLlteq4umOR3f529kBNlFLl1mnhfRDvIw7cJM/2pR9IJ6701Sob2hk5Dk4+Y5whd1rPFFQSWV"
    "tbBz0zvk3ktRQeNgWN26GhTuYj6vT61nAXlYh7x6eVvi6xUvsW5aGvgp0D5Q==";

static const struct {
    const char *alias;
    vault_value_state state;
    const char *text; /* plaintext (PLAIN) or sealed text (SEALED) */
    unsigned int line;
    const char *token; /* the value token as written in the file */
} fixture_secrets[] = {
    {"admin_password", VAULT_VALUE_PLAIN, "admin", 30, "\"[admin]\""},
    {"keystore_password", VAULT_VALUE_PLAIN, "wso2carbon", 31, "\"[wso2carbon]\""},
    {"truststore_password", VAULT_VALUE_PLAIN, "wso2carbon", 32, "\"[wso2carbon]\""},
    {"shared_db_password", VAULT_VALUE_PLAIN, "p@ss=w0rd", 34, "\"[p@ss=w0rd]\""},
    {"log4j.appender.LOGEVENT.password", VAULT_VALUE_PLAIN, "l\xc3\xa4uft", 35, "\"[l\xc3\xa4uft]\""},
    {"api_token", VAULT_VALUE_PLAIN, "tok-[inner]-end", 36, "'[tok-[inner]-end]'"},
    {"already_sealed", VAULT_VALUE_SEALED, NULL, 37, NULL},
};
#define FIXTURE_COUNT (sizeof fixture_secrets / sizeof fixture_secrets[0])

static const struct {
    const char *alias;
    unsigned int line;
} fixture_refs[] = {
    {"admin_password", 8},       {"keystore_password", 15},  {"keystore_password", 16},
    {"truststore_password", 21}, {"shared_db_password", 27},
};

static const char *tmp_file(const char *name)
{
    static char buf[4][4096];
    static int next;
    char *out = buf[next++ % 4];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

static const char *fixture_copy(const char *name)
{
    size_t len;
    unsigned char *data = slurp(shared_path(FIXTURE), &len);
    const char *path = tmp_file(name);
    spit(path, data, len);
    free(data);
    return path;
}

static vault_config *parse_text(const char *text)
{
    vault_config *cfg = NULL;
    int rc = vault_config_parse(&cfg, "t.toml", VAULT_CONFIG_AUTO, text, strlen(text));
    cr_assert_eq(rc, 0, "parse failed: %s", vault_error_last() ? vault_error_last()->message : "");
    return cfg;
}

static const char *fake_sealed(size_t i)
{
    static char buf[8][64];
    snprintf(buf[i % 8], sizeof buf[0], "U0VBTEVE+/%zu/c2VjcmV0==", i);
    return buf[i % 8];
}

/* ---- Python's tomllib as the independent reader ---- */

static const char tomllib_script[] =
    "import tomllib, sys, re\n"
    "def view(path):\n"
    "    try:\n"
    "        with open(path, 'rb') as f:\n"
    "            doc = tomllib.load(f)\n"
    "    except Exception:\n"
    "        return ['INVALID']\n"
    "    out = []\n"
    "    def flat(prefix, v):\n"
    "        if isinstance(v, dict):\n"
    "            for k, x in v.items(): flat(prefix + [k], x)\n"
    "        else:\n"
    "            if isinstance(v, str) and '[' in v and ']' in v and v.index('[') < v.rindex(']'):\n"
    "                v = v[v.index('['):v.rindex(']') + 1]  # WSO2's rule: first '[' to last ']'\n"
    "            out.append('S %s %s' % ('.'.join(prefix).encode().hex(),\n"
    "                       v.encode().hex() if isinstance(v, str) else 'x'))\n"
    "    flat([], doc.get('secrets', {}))\n"
    "    def refs(v):\n"
    "        if isinstance(v, dict):\n"
    "            for x in v.values(): refs(x)\n"
    "        elif isinstance(v, list):\n"
    "            for x in v: refs(x)\n"
    "        elif isinstance(v, str):\n"
    "            for a in re.findall(r'\\$secret\\{([^}\\r\\n]+)\\}', v):\n"
    "                out.append('R ' + a.encode().hex())\n"
    "    for k, v in doc.items():\n"
    "        if k != 'secrets': refs(v)\n"
    "    return sorted(out)\n"
    "for path in sys.argv[1:]:\n"
    "    for line in view(path): print(line)\n"
    "    print('--END--')\n";

static int have_tomllib(void)
{
    static int have = -1;
    if (have < 0)
        have = run_capture("python3 -c 'import tomllib' 2>/dev/null", NULL, NULL) == 0;
    return have;
}

/* tomllib's view of n TOML texts (one python3 run): for each, "INVALID"
 * or sorted "S alias value" and "R alias" lines, hex-encoded. Caller frees
 * each and the array. */
static char **tomllib_views(const char *const *texts, const size_t *lens, size_t n)
{
    const char *script = tmp_file("view.py");
    size_t cmd_cap = 64 + n * 4200, i, len = 0;
    char *cmd = malloc(cmd_cap), **views = calloc(n + 1, sizeof *views), *cur;
    unsigned char *out = NULL;

    spit(script, tomllib_script, strlen(tomllib_script));
    snprintf(cmd, cmd_cap, "python3 '%s'", script);
    for (i = 0; i < n; i++) {
        char name[32];
        const char *input;
        snprintf(name, sizeof name, "view%zu.toml", i);
        input = tmp_file(name);
        spit(input, texts[i], lens[i]);
        strcat(cmd, " '");
        strcat(cmd, input);
        strcat(cmd, "'");
    }
    cr_assert_eq(run_capture(cmd, &out, &len), 0, "python3 failed");
    cur = (char *)out;
    for (i = 0; i < n; i++) {
        char *end = strstr(cur, "--END--\n");
        cr_assert_not_null(end, "python3 output truncated");
        *end = '\0';
        if (end > cur && end[-1] == '\n')
            end[-1] = '\0';
        views[i] = strdup(cur);
        cur = end + 8;
    }
    free(out);
    free(cmd);
    return views;
}

static char *tomllib_view(const void *text, size_t len)
{
    const char *t = text;
    char **views = tomllib_views(&t, &len, 1), *v = views[0];
    free(views);
    return v;
}

static void hex_append(char *out, const void *p, size_t n)
{
    out += strlen(out);
    vault__hex(out, p, n, 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Our view in tomllib_view()'s form. Caller frees. */
static char *our_view(const vault_config *cfg)
{
    size_t n = cfg->count + cfg->ref_count, i, total = 1;
    char **lines = calloc(n + 1, sizeof *lines), *joined;

    for (i = 0; i < cfg->count; i++) {
        const conf_item *it = cfg->items[i];
        size_t vlen = it->plain_len + 2 + (it->info.value ? strlen(it->info.value) : 0);
        char *v = malloc(vlen + 1), *line;
        if (it->info.state == VAULT_VALUE_PLAIN)
            snprintf(v, vlen + 1, "[%.*s]", (int)it->plain_len, cfg->plain + it->plain_off);
        else if (it->info.state == VAULT_VALUE_SEALED)
            snprintf(v, vlen + 1, "%s", it->info.value);
        else /* EMPTY: "" or "[]", told apart by the token's length */
            snprintf(v, vlen + 1, "%s", it->end - it->start == 2 ? "" : "[]");
        line = calloc(1, 2 * (strlen(it->info.alias) + strlen(v)) + 8);
        strcpy(line, "S ");
        hex_append(line, it->info.alias, strlen(it->info.alias));
        strcat(line, " ");
        hex_append(line, v, strlen(v));
        lines[i] = line;
        free(v);
    }
    for (i = 0; i < cfg->ref_count; i++) {
        char *line = calloc(1, 2 * strlen(cfg->refs[i].alias) + 4);
        strcpy(line, "R ");
        hex_append(line, cfg->refs[i].alias, strlen(cfg->refs[i].alias));
        lines[cfg->count + i] = line;
    }
    qsort(lines, n, sizeof *lines, cmp_str);
    for (i = 0; i < n; i++)
        total += strlen(lines[i]) + 1;
    joined = calloc(1, total);
    for (i = 0; i < n; i++) {
        if (i)
            strcat(joined, "\n");
        strcat(joined, lines[i]);
        free(lines[i]);
    }
    free(lines);
    return joined;
}

static void assert_view_agrees(const vault_config *cfg, const char *theirs, const char *what)
{
    char *ours = our_view(cfg);
    cr_assert_str_eq(ours, theirs, "%s: tomllib disagrees", what);
    free(ours);
}

static void assert_tomllib_agrees(const vault_config *cfg, const char *what)
{
    char *theirs;
    if (!have_tomllib()) {
        cr_log_warn("python3 with tomllib not found: %s not cross-checked", what);
        return;
    }
    theirs = tomllib_view(cfg->text, cfg->len);
    assert_view_agrees(cfg, theirs, what);
    free(theirs);
}

/* ---- the fixture ---- */

Test(toml_fixture, aliases_states_and_lines)
{
    vault_config *cfg = NULL;
    const vault_config_entry *e;
    vault_secret *plain = NULL;
    size_t i, idx;

    cr_assert_eq(vault_config_open(&cfg, fixture_copy("deployment.toml"), VAULT_CONFIG_AUTO), 0);
    cr_assert_eq(vault_config_get_type(cfg), VAULT_CONFIG_TOML);
    cr_assert_eq(vault_config_count(cfg), FIXTURE_COUNT);
    for (i = 0; i < FIXTURE_COUNT; i++) {
        cr_assert_eq(vault_config_entry_at(&e, cfg, i), 0);
        cr_assert_str_eq(e->alias, fixture_secrets[i].alias);
        cr_assert_eq(e->state, fixture_secrets[i].state, "%s", e->alias);
        cr_assert_eq(e->line, fixture_secrets[i].line, "%s", e->alias);
        cr_assert_eq(vault_config_find(&idx, cfg, fixture_secrets[i].alias), 0);
        cr_assert_eq(idx, i);
        if (e->state == VAULT_VALUE_PLAIN) {
            cr_assert_null(e->value);
            cr_assert_eq(vault_config_plaintext(&plain, cfg, i), 0);
            cr_assert_eq(vault_secret_len(plain), strlen(fixture_secrets[i].text));
            cr_assert_str_eq(vault_secret_str(plain), fixture_secrets[i].text);
            vault_secret_free(plain);
            plain = NULL;
        } else {
            cr_assert_str_eq(e->value, sealed_in_fixture);
            cr_assert_eq(vault_config_plaintext(&plain, cfg, i), VAULT_EINVAL);
            cr_assert_null(plain);
        }
    }
    cr_assert_eq(vault_config_entry_at(&e, cfg, FIXTURE_COUNT), VAULT_ENOTFOUND);
    cr_assert_eq(vault_config_find(&idx, cfg, "Admin_Password"), VAULT_ENOTFOUND);
    cr_assert_eq(vault_config_find(&idx, cfg, "log4j"), VAULT_ENOTFOUND);
    assert_tomllib_agrees(cfg, "fixture");
    vault_config_free(cfg);
}

Test(toml_fixture, string_settings_by_dotted_key)
{
    static const struct { const char *key, *value; } want[] = {
        {"server.hostname", "localhost"},
        {"keystore.primary.file_name", "wso2carbon.jks"},
        {"keystore.primary.type", "JKS"},
        {"keystore.primary.alias", "wso2carbon"},
        {"truststore.file_name", "client-truststore.jks"},
        {"database.shared_db.url", "jdbc:postgresql://localhost:5432/shared_db"},
        {"super_admin.password", "$secret{admin_password}"},
    };
    vault_config *cfg = NULL;
    const char *v = NULL;
    size_t i;

    cr_assert_eq(vault_config_open(&cfg, fixture_copy("deployment.toml"), VAULT_CONFIG_TOML), 0);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert_eq(vault_config_setting(&v, cfg, want[i].key), 0, "%s", want[i].key);
        cr_assert_str_eq(v, want[i].value);
    }
    /* not strings, not outside [secrets], not there */
    cr_assert_eq(vault_config_setting(&v, cfg, "super_admin.create_admin_account"), VAULT_ENOTFOUND);
    cr_assert_eq(vault_config_setting(&v, cfg, "transport.http.properties.port"), VAULT_ENOTFOUND);
    cr_assert_eq(vault_config_setting(&v, cfg, "secrets.admin_password"), VAULT_ENOTFOUND);
    cr_assert_eq(vault_config_setting(&v, cfg, "keystore.internal.file_name"), VAULT_ENOTFOUND);
    cr_assert_null(v);
    vault_config_free(cfg);
}

Test(toml_settings, escapes_literals_root_keys_and_array_tables)
{
    static const char text[] = "top = 'C:\\path'\n[a.\"b.c\"]\nk = \"x\\u00e4\\\"y\"\nd.e = 'lit'\n"
                               "[[arr]]\nz = \"no\"\n";
    vault_config *cfg = NULL;
    const char *v;

    cr_assert_eq(vault_config_parse(&cfg, "s.toml", VAULT_CONFIG_TOML, text, sizeof text - 1), 0);
    cr_assert_eq(vault_config_setting(&v, cfg, "top"), 0);
    cr_assert_str_eq(v, "C:\\path");
    cr_assert_eq(vault_config_setting(&v, cfg, "a.b.c.k"), 0);
    cr_assert_str_eq(v, "x\xc3\xa4\"y");
    cr_assert_eq(vault_config_setting(&v, cfg, "a.b.c.d.e"), 0);
    cr_assert_str_eq(v, "lit");
    cr_assert_eq(vault_config_setting(&v, cfg, "arr.z"), VAULT_ENOTFOUND);
    vault_config_free(cfg);
}

Test(toml_fixture, references_with_lines)
{
    vault_config *cfg = NULL;
    const vault_config_ref *r;
    size_t i;

    cr_assert_eq(vault_config_open(&cfg, fixture_copy("deployment.toml"), VAULT_CONFIG_TOML), 0);
    /* The "$secret{alias}" in the comment on line 1 is not a reference. */
    cr_assert_eq(vault_config_ref_count(cfg), sizeof fixture_refs / sizeof fixture_refs[0]);
    for (i = 0; i < vault_config_ref_count(cfg); i++) {
        cr_assert_eq(vault_config_ref_at(&r, cfg, i), 0);
        cr_assert_str_eq(r->alias, fixture_refs[i].alias);
        cr_assert_eq(r->line, fixture_refs[i].line, "%s", r->alias);
    }
    cr_assert_eq(vault_config_ref_at(&r, cfg, i), VAULT_ENOTFOUND);
    vault_config_free(cfg);
}

/* The expected sealed file, built without our scanner: each plain token is
 * found by text search after "[secrets]" and replaced in order. */
static char *expected_sealed_fixture(const char *orig, size_t *len)
{
    size_t cap = strlen(orig) + 1024, i;
    char *out = calloc(1, cap);
    const char *cur = strstr(orig, "\n[secrets]\n");

    cr_assert_not_null(cur);
    memcpy(out, orig, (size_t)(cur - orig));
    for (i = 0; i < FIXTURE_COUNT; i++) {
        const char *tok = fixture_secrets[i].token, *hit;
        char repl[96];
        if (!tok)
            continue;
        hit = strstr(cur, tok);
        cr_assert_not_null(hit, "%s", tok);
        strncat(out, cur, (size_t)(hit - cur));
        snprintf(repl, sizeof repl, tok[0] == '\'' ? "'%s'" : "\"%s\"", fake_sealed(i));
        strcat(out, repl);
        cur = hit + strlen(tok);
    }
    strcat(out, cur);
    *len = strlen(out);
    return out;
}

static char *seal_all(vault_config *cfg, size_t *len)
{
    const vault_config_entry *e;
    char *out = NULL;
    size_t i;

    for (i = 0; i < vault_config_count(cfg); i++) {
        cr_assert_eq(vault_config_entry_at(&e, cfg, i), 0);
        if (e->state == VAULT_VALUE_PLAIN)
            cr_assert_eq(vault_config_set(cfg, i, fake_sealed(i)), 0);
    }
    cr_assert_eq(vault_config_render(&out, len, cfg), 0);
    return out;
}

Test(toml_fixture, seal_render_is_lossless)
{
    vault_config *cfg = NULL, *again = NULL;
    const vault_config_entry *e;
    size_t orig_len, len, len2, want_len, i, pos = 0, opos = 0;
    unsigned char *orig = slurp(shared_path(FIXTURE), &orig_len);
    char *out, *out2, *want = expected_sealed_fixture((const char *)orig, &want_len);
    size_t spans[FIXTURE_COUNT][2];

    cr_assert_eq(vault_config_parse(&cfg, "deployment.toml", VAULT_CONFIG_AUTO, orig, orig_len), 0);
    for (i = 0; i < FIXTURE_COUNT; i++) {
        spans[i][0] = cfg->items[i]->start;
        spans[i][1] = cfg->items[i]->end;
    }
    out = seal_all(cfg, &len);
    cr_assert_eq(len, want_len);
    cr_assert_eq(memcmp(out, want, len), 0, "render differs from the text-replaced original");

    /* Outside the value spans the output is the input, byte for byte. */
    for (i = 0; i < FIXTURE_COUNT; i++) {
        size_t seg = spans[i][0] - opos, tok;
        cr_assert_eq(memcmp(out + pos, orig + opos, seg), 0, "segment before %zu", i);
        pos += seg;
        tok = fixture_secrets[i].token ? strlen(fake_sealed(i)) + 2 : spans[i][1] - spans[i][0];
        pos += tok;
        opos = spans[i][1];
    }
    cr_assert_eq(len - pos, orig_len - opos);
    cr_assert_eq(memcmp(out + pos, orig + opos, orig_len - opos), 0, "tail");

    /* Rendering twice gives the same bytes. */
    cr_assert_eq(vault_config_render(&out2, &len2, cfg), 0);
    cr_assert_eq(len2, len);
    cr_assert_eq(memcmp(out, out2, len), 0);
    vault_string_free(out2);

    /* Read again: every value sealed with its new text; a second "seal"
     * finds nothing to do and changes nothing. */
    cr_assert_eq(vault_config_parse(&again, "deployment.toml", VAULT_CONFIG_TOML, out, len), 0);
    cr_assert_eq(vault_config_count(again), FIXTURE_COUNT);
    for (i = 0; i < FIXTURE_COUNT; i++) {
        cr_assert_eq(vault_config_entry_at(&e, again, i), 0);
        cr_assert_str_eq(e->alias, fixture_secrets[i].alias);
        cr_assert_eq(e->state, VAULT_VALUE_SEALED);
        cr_assert_str_eq(e->value, fixture_secrets[i].token ? fake_sealed(i) : sealed_in_fixture);
    }
    cr_assert_eq(vault_config_ref_count(again), sizeof fixture_refs / sizeof fixture_refs[0]);
    assert_tomllib_agrees(again, "sealed fixture");
    out2 = seal_all(again, &len2);
    cr_assert_eq(len2, len);
    cr_assert_eq(memcmp(out, out2, len), 0, "a second seal changed the file");

    vault_string_free(out2);
    vault_string_free(out);
    vault_config_free(again);
    vault_config_free(cfg);
    free(want);
    free(orig);
}

/* ---- saving ---- */

static int count_calls(const void *data, size_t len, void *payload)
{
    (void)data;
    (void)len;
    ++*(int *)payload;
    return 0;
}

static int refuse(const void *data, size_t len, void *payload)
{
    (void)data;
    (void)len;
    (void)payload;
    return vault__err(VAULT_EAUTH, "sealed value does not decrypt");
}

Test(toml_save, writes_verifies_and_keeps_mode)
{
    const char *path = fixture_copy("save.toml");
    vault_config *cfg = NULL, *back = NULL;
    const vault_config_entry *e;
    unsigned char *orig, *now;
    size_t orig_len, now_len, want_len, i;
    struct stat st1, st2;
    char *want;
    int calls = 0;

    chmod(path, 0640);
    orig = slurp(path, &orig_len);
    want = expected_sealed_fixture((const char *)orig, &want_len);
    cr_assert_eq(vault_config_open(&cfg, path, VAULT_CONFIG_AUTO), 0);

    /* Nothing set: nothing written, the callback is not even called. */
    cr_assert_eq(stat(path, &st1), 0);
    cr_assert_eq(vault_config_save(cfg, count_calls, &calls), 0);
    cr_assert_eq(calls, 0);
    cr_assert_eq(stat(path, &st2), 0);
    cr_assert_eq(st1.st_ino, st2.st_ino);

    for (i = 0; i < FIXTURE_COUNT; i++)
        if (fixture_secrets[i].token)
            cr_assert_eq(vault_config_set(cfg, i, fake_sealed(i)), 0);

    /* A refusing verifier leaves the file as it was. */
    cr_assert_eq(vault_config_save(cfg, refuse, NULL), VAULT_EAUTH);
    cr_assert_not_null(strstr(vault_error_last()->message, path));
    cr_assert_not_null(strstr(vault_error_last()->message, "does not decrypt"));
    cr_assert_not_null(strstr(vault_error_last()->message, "the file was not changed"));
    now = slurp(path, &now_len);
    cr_assert_eq(now_len, orig_len);
    cr_assert_eq(memcmp(now, orig, orig_len), 0);
    free(now);

    cr_assert_eq(vault_config_save(cfg, count_calls, &calls), 0);
    cr_assert_eq(calls, 1);
    now = slurp(path, &now_len);
    cr_assert_eq(now_len, want_len);
    cr_assert_eq(memcmp(now, want, want_len), 0);
    cr_assert_eq(stat(path, &st2), 0);
    cr_assert_eq(st2.st_mode & 07777, 0640);
    free(now);

    /* The model now describes the written file; saving again is a no-op. */
    cr_assert_eq(vault_config_entry_at(&e, cfg, 0), 0);
    cr_assert_eq(e->state, VAULT_VALUE_SEALED);
    cr_assert_str_eq(e->value, fake_sealed(0));
    cr_assert_eq(cfg->len, want_len);
    cr_assert_eq(stat(path, &st1), 0);
    cr_assert_eq(vault_config_save(cfg, count_calls, &calls), 0);
    cr_assert_eq(calls, 1);
    cr_assert_eq(stat(path, &st2), 0);
    cr_assert_eq(st1.st_ino, st2.st_ino);

    cr_assert_eq(vault_config_open(&back, path, VAULT_CONFIG_AUTO), 0);
    for (i = 0; i < FIXTURE_COUNT; i++) {
        cr_assert_eq(vault_config_entry_at(&e, back, i), 0);
        cr_assert_eq(e->state, VAULT_VALUE_SEALED);
    }
    vault_config_free(back);
    vault_config_free(cfg);
    free(want);
    free(orig);
}

Test(toml_save, refuses_a_file_changed_since_read)
{
    const char *path = fixture_copy("changed.toml");
    vault_config *cfg = NULL;
    unsigned char *now;
    size_t len;
    FILE *f;

    cr_assert_eq(vault_config_open(&cfg, path, VAULT_CONFIG_AUTO), 0);
    cr_assert_eq(vault_config_set(cfg, 0, fake_sealed(0)), 0);
    f = fopen(path, "ab");
    fputs("# edited by someone else\n", f);
    fclose(f);
    cr_assert_eq(vault_config_save(cfg, NULL, NULL), VAULT_ERROR);
    cr_assert_not_null(strstr(vault_error_last()->message, "changed since it was read"));
    now = slurp(path, &len);
    cr_assert_not_null(strstr((char *)now, "# edited by someone else\n"));
    cr_assert_not_null(strstr((char *)now, "\"[admin]\""));
    free(now);
    vault_config_free(cfg);
}

Test(toml_save, allocation_failures_leave_the_file)
{
    const char *path = fixture_copy("oom.toml");
    size_t orig_len, now_len, want_len, n, i;
    unsigned char *orig = slurp(path, &orig_len), *now;
    char *want = expected_sealed_fixture((const char *)orig, &want_len);
    int done = 0;

    for (n = 1; !done && n < 1000; n++) {
        vault_config *cfg = NULL;
        int rc;
        cr_assert_eq(vault_config_open(&cfg, path, VAULT_CONFIG_AUTO), 0);
        for (i = 0; i < FIXTURE_COUNT; i++)
            if (fixture_secrets[i].token)
                cr_assert_eq(vault_config_set(cfg, i, fake_sealed(i)), 0);
        vault__test_alloc_fail_at(n);
        rc = vault_config_save(cfg, NULL, NULL);
        done = vault__test_alloc_fail_at(0) < n;
        now = slurp(path, &now_len);
        if (done) {
            cr_assert_eq(rc, 0, "rc %d", rc);
            cr_assert_eq(now_len, want_len);
            cr_assert_eq(memcmp(now, want, want_len), 0);
        } else {
            cr_assert_eq(rc, VAULT_ENOMEM, "allocation %zu failed: rc %d", n, rc);
            cr_assert_eq(now_len, orig_len);
            cr_assert_eq(memcmp(now, orig, orig_len), 0, "allocation %zu failed", n);
        }
        cr_assert_eq(test_count_temps(test_tmpdir(), "oom.toml"), 0);
        free(now);
        vault_config_free(cfg);
    }
    cr_assert(done);
    free(want);
    free(orig);
}

/* ---- setting values ---- */

Test(toml_set, quoting_and_escaping)
{
    vault_config *cfg = parse_text("[secrets]\nlit = '[a]'\nbasic = \"[b]\"\nlit2 = '[c]'\n");
    vault_config *back = NULL;
    const vault_config_entry *e;
    char *out = NULL;
    size_t len;

    cr_assert_eq(vault_config_set(cfg, 0, "x'y"), 0);           /* a quote: basic */
    cr_assert_eq(vault_config_set(cfg, 1, "q\"b\\s\x01\t"), 0); /* escapes */
    cr_assert_eq(vault_config_set(cfg, 2, "ab+/=="), 0);        /* stays literal */
    cr_assert_eq(vault_config_render(&out, &len, cfg), 0);
    cr_assert_str_eq(out, "[secrets]\nlit = \"x'y\"\nbasic = \"q\\\"b\\\\s\\u0001\\t\"\n"
                          "lit2 = 'ab+/=='\n");
    cr_assert_eq(vault_config_parse(&back, "t.toml", VAULT_CONFIG_TOML, out, len), 0);
    cr_assert_eq(vault_config_entry_at(&e, back, 1), 0);
    cr_assert_str_eq(e->value, "q\"b\\s\x01\t");
    assert_tomllib_agrees(back, "escaped values");

    cr_assert_eq(vault_config_set(cfg, 0, ""), VAULT_EINVAL);
    cr_assert_eq(vault_config_set(cfg, 0, "[looks plain]"), VAULT_EINVAL);
    cr_assert_eq(vault_config_set(cfg, 0, "bad\xff utf8"), VAULT_EINVAL);
    cr_assert_eq(vault_config_set(cfg, 3, "x"), VAULT_EINVAL);
    vault_string_free(out);
    vault_config_free(back);
    vault_config_free(cfg);
}

Test(toml_set, type_from_name)
{
    vault_config *cfg = NULL;
    cr_assert_eq(vault_config_parse(&cfg, "conf.txt", VAULT_CONFIG_AUTO, "", 0), VAULT_EINVAL);
    cr_assert_eq(vault_config_parse(&cfg, "DEPLOYMENT.TOML", VAULT_CONFIG_AUTO, "", 0), 0);
    cr_assert_eq(vault_config_get_type(cfg), VAULT_CONFIG_TOML);
    cr_assert_eq(vault_config_count(cfg), 0);
    cr_assert_str_eq(vault_config_path(cfg), "DEPLOYMENT.TOML");
    vault_config_free(cfg);
    cr_assert_eq(vault_config_parse(&cfg, "conf.txt", VAULT_CONFIG_TOML, "[secrets]\na='b'\n", 16), 0);
    cr_assert_eq(vault_config_count(cfg), 1);
    vault_config_free(cfg);
    cr_assert_eq(vault_config_open(&cfg, tmp_file("missing.toml"), VAULT_CONFIG_AUTO), VAULT_ENOTFOUND);
}

/* ---- inputs that must parse ---- */

typedef struct {
    const char *name;
    const char *text;
    const char *secrets; /* "alias=P:plain|S:sealed|E;" in order */
    const char *refs;    /* "alias@line;" in order */
    int not_toml_1_0;    /* accepted beyond TOML 1.0: tomllib refuses it */
} good_case;

static const good_case good[] = {
    {"empty file", "", "", ""},
    {"no secrets table", "[server]\nport = 80\nname = \"$secret{a}\"\n", "", "a@3;"},
    {"crlf", "[server]\r\nh = \"$secret{a}\"\r\n\r\n[secrets]\r\na = \"[x]\"\r\nb = 'y'\r\n", "a=P:x;b=S:y;",
     "a@2;"},
    {"comments after values",
     "# head\n[secrets] # the table\na = \"[x]\" # comment with \"quote\" and [bracket]\n"
     "b = \"s#not-comment\"#c\n  # indented\n\tc = '[t]'\t# tab\n",
     "a=P:x;b=S:s#not-comment;c=P:t;", ""},
    {"secrets first", "[secrets]\na = \"[1]\"\n[server]\nh = \"$secret{a}\"\n", "a=P:1;", "a@4;"},
    {"secrets in the middle", "[a]\nx = 1\n[secrets]\nk = \"[v]\"\n[b]\ny = \"$secret{k} and $secret{m}\"\n",
     "k=P:v;", "k@6;m@6;"},
    {"secrets last", "top = \"$secret{k}\"\n[a.b]\nx = true\n[secrets]\nk = \"sealed\"\n", "k=S:sealed;",
     "k@1;"},
    {"inline tables with brackets in strings",
     "[server]\nx = { a = \"[not a table]\", b = '# not a comment', c = { d = [1, 2] }, "
     "e = \"}\" }\n[secrets]\nk = \"[v]\"\n",
     "k=P:v;", ""},
    {"arrays",
     "[server]\narr = [\n  \"[secrets]\", # comment ]\n  'x]',\n  [1, 2.5, -3e2],\n"
     "  { s = \"$secret{z}\" },\n]\n[secrets]\nk = 'v'\n",
     "k=S:v;", "z@6;"},
    {"multi-line strings elsewhere",
     "[server]\ndesc = \"\"\"\n[secrets]\nfake = \"[no]\"\n\"\"\"\nlit = '''\n[secrets]\n"
     "x = '[no]'\n'''\nq = \"\"\"ends with quotes\"\"\"\"\"\nr = '''x''''\n"
     "e = \"\"\"a \\\n   b $secret{ml}\"\"\"\n[secrets]\nreal = \"[yes]\"\n",
     "real=P:yes;", "ml@13;"},
    {"escapes",
     "[secrets]\na = \"[p\\\"q\\\\r\\t\\n\\b\\f\\r\xc3\xa4\\u00e4\\U0001F600]\"\nb = 'c:\\path\\x'\n",
     "a=P:p\"q\\r\t\n\b\f\r\xc3\xa4\xc3\xa4\xf0\x9f\x98\x80;b=S:c:\\path\\x;", ""},
    {"quoted and dotted keys",
     "[secrets]\n\"a.b.c\" = \"[x]\"\n'lit.key' = \"y\"\nd.e = 'z'\nf . \"g h\" = \"[w]\"\n"
     "\"\\u0041\" = \"k\"\n",
     "a.b.c=P:x;lit.key=S:y;d.e=S:z;f.g h=P:w;A=S:k;", ""},
    {"dotted keys sharing a table",
     "[secrets]\na.b = 'x'\na.c = \"[y]\"\n\"a.b.c\" = 'z'\n"
     "\"q.r\" = 's'\nq = 't'\n",
     "a.b=S:x;a.c=P:y;a.b.c=S:z;q.r=S:s;q=S:t;", ""},
    {"empty values", "[secrets]\na = \"\"\nb = \"[]\"\nc = ''\nd = '[]'\n", "a=E;b=E;c=E;d=E;", ""},
    {"numbers, booleans and dates",
     "[t]\na = 1\nb = -0.5e+3\nc = 0xDEAD_beef\nd = true\ne = 1979-05-27T07:32:00Z\n"
     "f = 1979-05-27 07:32:00.999-07:00\ng = 07:32:00\nh = inf\ni = 1_000\nj = 0o17\n"
     "k = 0b101\nl = -nan\nm = 1979-05-27\nn = +1.0E-2\n[secrets]\nk = \"[v]\"\n",
     "k=P:v;", ""},
    {"byte order mark", "\xef\xbb\xbf[secrets]\na = \"[x]\"\n", "a=P:x;", "", 1},
    {"inline table on several lines (TOML 1.1)", "[t]\nx = {\n  a = 1, # one\n  b = \"$secret{c}\",\n}\n", "",
     "c@4;", 1},
    {"table names with space and quotes", "[ secrets ]\na = \"[x]\"\n[\"other\" . 'x']\nb = 1\n", "a=P:x;",
     ""},
    {"quoted table name", "[\"secrets\"]\na = \"[x]\"\n", "a=P:x;", ""},
    {"arrays of tables",
     "[[products]]\nname = \"$secret{a}\"\n[[products]]\nname = \"b\"\n"
     "[secrets]\na = \"[x]\"\n",
     "a=P:x;", "a@2;"},
    /* the Java tool's rule: the text between the first '[' and the last ']' */
    {"brackets are the first and last", "[secrets]\na = \"[[x]]\"\nb = \"x[y]\"\nc = \"[x\"\n",
     "a=P:[x];b=P:y;c=S:[x;", ""},
    {"text outside the brackets", "[secrets]\na = \"[abc] tail\"\nb = \"x[y]z\"\nc = \"]x[\"\nd = 'p[a]b]'\n",
     "a=P:abc;b=P:y;c=S:]x[;d=P:a]b;", ""},
    {"no final newline", "[secrets]\na = \"[x]\"", "a=P:x;", ""},
    {"secrets key inside another table", "[server]\nsecrets = { a = \"x\" }\n[secrets]\nb = 'y'\n", "b=S:y;",
     ""},
    {"unicode in comments and strings", "# caf\xc3\xa9\n[t]\ns = \"\xe6\x97\xa5\xe6\x9c\xac\"\n", "", ""},
};

/* Our entries in the good_case form. */
static void describe(const vault_config *cfg, char *secrets, size_t scap, char *refs, size_t rcap)
{
    size_t i;
    secrets[0] = refs[0] = '\0';
    for (i = 0; i < cfg->count; i++) {
        const conf_item *it = cfg->items[i];
        size_t n = strlen(secrets);
        if (it->info.state == VAULT_VALUE_PLAIN)
            snprintf(secrets + n, scap - n, "%s=P:%.*s;", it->info.alias, (int)it->plain_len,
                     cfg->plain + it->plain_off);
        else if (it->info.state == VAULT_VALUE_SEALED)
            snprintf(secrets + n, scap - n, "%s=S:%s;", it->info.alias, it->info.value);
        else
            snprintf(secrets + n, scap - n, "%s=E;", it->info.alias);
    }
    for (i = 0; i < cfg->ref_count; i++) {
        size_t n = strlen(refs);
        snprintf(refs + n, rcap - n, "%s@%u;", cfg->refs[i].alias, cfg->refs[i].line);
    }
}

Test(toml_grammar, accepted_inputs)
{
    enum { N = sizeof good / sizeof good[0] };
    vault_config *cfgs[N], *sealed[N];
    const char *texts[2 * N];
    size_t lens[2 * N], k;
    char secrets[1024], refs[512], **views;

    for (k = 0; k < N; k++) {
        char *out = NULL;
        size_t len;
        int rc =
            vault_config_parse(&cfgs[k], "t.toml", VAULT_CONFIG_AUTO, good[k].text, strlen(good[k].text));
        cr_assert_eq(rc, 0, "%s: %s", good[k].name, vault_error_last() ? vault_error_last()->message : "");
        describe(cfgs[k], secrets, sizeof secrets, refs, sizeof refs);
        cr_expect_str_eq(secrets, good[k].secrets, "%s", good[k].name);
        cr_expect_str_eq(refs, good[k].refs, "%s", good[k].name);
        /* Untouched, the file renders to itself. */
        cr_assert_eq(vault_config_render(&out, &len, cfgs[k]), 0);
        cr_assert_eq(len, strlen(good[k].text), "%s", good[k].name);
        cr_assert_eq(memcmp(out, good[k].text, len), 0, "%s", good[k].name);
        vault_string_free(out);
        /* Sealed, it still reads, with the new values. */
        out = seal_all(cfgs[k], &len);
        cr_assert_eq(vault_config_parse(&sealed[k], "t.toml", VAULT_CONFIG_TOML, out, len), 0, "%s",
                     good[k].name);
        cr_assert_eq(vault_config_count(sealed[k]), vault_config_count(cfgs[k]));
        vault_string_free(out);
        /* The model was updated by the seal; read the original again. */
        vault_config_free(cfgs[k]);
        cr_assert_eq(
            vault_config_parse(&cfgs[k], "t.toml", VAULT_CONFIG_TOML, good[k].text, strlen(good[k].text)), 0);
        texts[2 * k] = (const char *)cfgs[k]->text;
        lens[2 * k] = cfgs[k]->len;
        texts[2 * k + 1] = (const char *)sealed[k]->text;
        lens[2 * k + 1] = sealed[k]->len;
    }
    if (!have_tomllib())
        cr_log_warn("python3 with tomllib not found: accepted inputs not cross-checked");
    views = have_tomllib() ? tomllib_views(texts, lens, 2 * N) : NULL;
    for (k = 0; k < N; k++) {
        if (views && good[k].not_toml_1_0) {
            cr_expect_str_eq(views[2 * k], "INVALID", "%s", good[k].name);
        } else if (views) {
            assert_view_agrees(cfgs[k], views[2 * k], good[k].name);
            assert_view_agrees(sealed[k], views[2 * k + 1], good[k].name);
        }
        vault_config_free(cfgs[k]);
        vault_config_free(sealed[k]);
    }
    for (k = 0; views && k < 2 * N; k++)
        free(views[k]);
    free(views);
}

/* Opened for reading (the runtime's way: values decoded over their own
 * tokens, the file held once), every accepted input reads the same; such a
 * config cannot be written. */
Test(toml_grammar, read_in_place_reads_the_same)
{
    size_t k;

    for (k = 0; k < sizeof good / sizeof good[0]; k++) {
        vault_config *cfg = NULL;
        const char *path = tmp_file("in-place.toml");
        char secrets[1024], refs[512], *out = NULL;
        size_t len = 0;

        spit(path, good[k].text, strlen(good[k].text));
        cr_assert_eq(conf_open_for_reading(&cfg, path, VAULT_CONFIG_AUTO), 0, "%s: %s", good[k].name,
                     test_errmsg());
        describe(cfg, secrets, sizeof secrets, refs, sizeof refs);
        cr_expect_str_eq(secrets, good[k].secrets, "%s", good[k].name);
        cr_expect_str_eq(refs, good[k].refs, "%s", good[k].name);
        cr_assert_eq(vault_config_render(&out, &len, cfg), VAULT_EINVAL);
        cr_assert_null(out);
        cr_assert(strstr(test_errmsg(), "opened for reading only") != NULL, "%s", test_errmsg());
        cr_assert_eq(vault_config_save(cfg, NULL, NULL), VAULT_EINVAL);
        vault_config_free(cfg);
    }
}

/* The settings a reader needs (the keystore) read the same too. */
Test(toml_settings, read_in_place_keeps_the_settings)
{
    vault_config *a = NULL, *b = NULL;
    const char *path = fixture_copy("settings-in-place.toml"), *x, *y;
    static const char *const keys[] = {"keystore.primary.file_name", "keystore.primary.alias",
                                       "keystore.primary.password"};
    size_t i;

    cr_assert_eq(vault_config_open(&a, path, VAULT_CONFIG_TOML), 0);
    cr_assert_eq(conf_open_for_reading(&b, path, VAULT_CONFIG_TOML), 0);
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        int ra = vault_config_setting(&x, a, keys[i]), rb = vault_config_setting(&y, b, keys[i]);
        cr_assert_eq(ra, rb, "%s", keys[i]);
        if (ra == 0)
            cr_assert_str_eq(x, y, "%s", keys[i]);
    }
    cr_assert_eq(vault_config_setting(&y, b, "keystore.primary.file_name"), 0);
    cr_assert_str_eq(y, "wso2carbon.jks");
    vault_config_free(a);
    vault_config_free(b);
}

/* Every byte value at every position of a long string (strings are read
 * eight bytes at a time): accepted exactly when TOML allows it unescaped
 * in a basic string (tab, printable ASCII but '"' and '\\'), and then read
 * back unchanged. */
Test(toml_grammar, every_byte_at_every_position_of_a_string)
{
    unsigned b;
    size_t pos;

    for (b = 0; b < 256; b++) {
        for (pos = 0; pos < 19; pos++) {
            char value[20], text[64];
            vault_config *cfg = NULL;
            const vault_config_entry *e;
            int ok = b == '\t' || (b >= 0x20 && b <= 0x7E && b != '"' && b != '\\'), rc;
            size_t n;

            memset(value, 'v', sizeof value - 1);
            value[sizeof value - 1] = '\0';
            value[pos] = (char)b;
            n = (size_t)snprintf(text, sizeof text, "[secrets]\na = \"%.*s\"\n", 19, value);
            if (b == 0) /* snprintf stops at the NUL: write the rest by hand */
                n = (size_t)snprintf(text, sizeof text, "[secrets]\na = \"%.*s", (int)pos, value) + 1 +
                    (size_t)snprintf(text + strlen(text) + 1, sizeof text - strlen(text) - 1, "%s\"\n",
                                     value + pos + 1);
            rc = vault_config_parse(&cfg, "bytes.toml", VAULT_CONFIG_TOML, text, n);
            cr_assert_eq(rc == 0, ok, "byte 0x%02X at %zu: %d (%s)", b, pos, rc, test_errmsg());
            if (ok) {
                cr_assert_eq(vault_config_entry_at(&e, cfg, 0), 0);
                cr_assert_eq(memcmp(e->value, value, 19), 0, "byte 0x%02X at %zu", b, pos);
                cr_assert_eq(strlen(e->value), 19);
            }
            vault_config_free(cfg);
        }
    }
}

Test(toml_grammar, nesting_depth_is_bounded)
{
    char text[512];
    vault_config *cfg = NULL;
    size_t depth;

    for (depth = 10; depth <= 100; depth += 90) {
        size_t n = (size_t)snprintf(text, sizeof text, "[t]\na = "), i;
        for (i = 0; i < depth; i++)
            text[n++] = '[';
        for (i = 0; i < depth; i++)
            text[n++] = ']';
        memcpy(text + n, "\n", 2);
        n += 1;
        if (depth == 10) {
            cr_assert_eq(vault_config_parse(&cfg, "deep.toml", VAULT_CONFIG_TOML, text, n), 0);
            vault_config_free(cfg);
        } else {
            cr_assert_eq(vault_config_parse(&cfg, "deep.toml", VAULT_CONFIG_TOML, text, n), VAULT_EFORMAT);
            cr_assert_str_eq(vault_error_last()->message,
                             "deep.toml:2: arrays or inline tables nested too deeply");
        }
    }
}

/* ---- inputs that must be refused ---- */

typedef struct {
    const char *name;
    const char *text;
    unsigned int line;
    const char *what; /* expected in the message */
    int invalid_toml; /* tomllib refuses it too (else: refused by policy) */
    size_t len;       /* 0: strlen(text) */
} bad_case;

static const bad_case bad[] = {
    {"unterminated secret", "[secrets]\na = \"[x]\nb = 'y'\n", 2, "unterminated string", 1},
    {"unterminated elsewhere", "[server]\nh = 'abc\n[secrets]\n", 2, "unterminated string", 1},
    {"unterminated at end of file", "[secrets]\na = \"abc", 2, "unterminated string", 1},
    {"unterminated multi-line", "[t]\na = \"\"\"\nabc\n", 2, "unterminated multi-line", 1},
    {"unterminated array", "[t]\na = [1,\n2\n", 2, "unterminated array", 1},
    {"unterminated inline table", "[t]\na = { b = 1\n", 2, "unterminated inline table", 1},
    {"array items without a comma", "[t]\na = [1 2]\n", 2, "expected ',' or ']' in an array", 1},
    {"inline table items without a comma", "[t]\na = { b = 1 c = 2 }\n", 2,
     "expected ',' or '}' in an inline table", 1},
    {"inline table key without a value", "[t]\na = { b }\n", 2, "column 9: expected '=' after a key", 1},
    {"duplicate secrets", "[secrets]\na = \"x\"\n[other]\n[secrets]\nb = \"y\"\n", 4, "duplicate [secrets]",
     1},
    {"multi-line basic secret", "[secrets]\na = \"\"\"[x]\"\"\"\n", 2, "multi-line", 0},
    {"multi-line literal secret", "[secrets]\n\na = '''\n[x]'''\n", 3, "multi-line", 0},
    {"integer secret", "[secrets]\na = 1\n", 2, "not a string", 0},
    {"boolean secret", "[secrets]\nok = 'x'\na = true\n", 3, "not a string", 0},
    {"array secret", "[secrets]\na = [\"x\"]\n", 2, "not a string", 0},
    {"inline table secret", "[secrets]\na = { b = \"x\" }\n", 2, "not a string", 0},
    {"duplicate key", "[secrets]\na = \"x\"\nb = \"y\"\na = \"z\"\n", 4, "duplicate alias \"a\"", 1},
    {"duplicate dotted alias", "[secrets]\n\"a.b\" = \"x\"\na.b = \"y\"\n", 3, "duplicate alias", 0},
    {"bad escape", "[secrets]\na = \"\\q\"\n", 2, "invalid escape \\q", 1},
    {"short \\u escape", "[secrets]\n\na = \"\\u12\"\n", 3, "invalid escape", 1},
    {"surrogate escape", "[secrets]\na = \"\\uD800\"\n", 2, "not a Unicode scalar", 1},
    {"bad escape elsewhere", "[t]\na = \"\\x41\"\n", 2, "invalid escape", 1},
    {"key without value", "[secrets]\na\n", 2, "expected '='", 1},
    {"key with empty value", "[secrets]\na =\n", 2, "missing value", 1},
    {"key with comment for value", "[t]\na = # x\n", 2, "missing value", 1},
    {"garbage line", "[server]\nthis is garbage\n", 2, "", 1},
    {"bare word value", "[server]\nx = what\n", 2, "invalid value", 1},
    {"text after value", "[secrets]\na = \"x\" y\n", 2, "unexpected text", 1},
    {"text after header", "[secrets] x\n", 1, "unexpected text", 1},
    {"unclosed header", "[secrets\na = 'x'\n", 1, "expected ']'", 1},
    {"control character in a string", "[secrets]\na = \"x\x01y\"\n", 2, "control character", 1},
    {"control character in a comment", "# a\x7f\n", 1, "control character", 1},
    {"NUL byte", "[t]\na = 'x\0'\n", 2, "control character", 1, 13},
    {"carriage return alone", "[t]\ra = 1\n", 1, "carriage return", 1},
    {"invalid UTF-8", "[secrets]\na = \"\xc3\x28\"\n", 2, "UTF-8", 1},
    {"secrets sub-table", "[secrets.db]\na = 'x'\n", 1, "sub-tables", 0},
    {"array of secrets tables", "[[secrets]]\na = 'x'\n", 1, "not supported", 0},
    {"secrets by dotted key at the root", "secrets.a = 'x'\n", 1, "outside the [secrets]", 0},
    {"value then dotted table", "[secrets]\na = 'y'\na.b = 'x'\n", 3, "extends the value \"a\"", 1},
    {"dotted table then value", "[secrets]\nx.y.z = 'y'\nx.y = 'x'\n", 3, "both a value and a table", 1},
    {"leading zero", "[t]\na = 012\n", 2, "invalid value", 1},
    {"NUL through an escape", "[secrets]\na = \"x\\u0000\"\n", 2, "NUL", 0},
    {"empty alias", "[secrets]\n\"\" = 'x'\n", 2, "empty alias", 0},
};

static size_t bad_len(const bad_case *c)
{
    return c->len ? c->len : strlen(c->text);
}

Test(toml_grammar, refused_inputs)
{
    enum { N = sizeof bad / sizeof bad[0] };
    const char *texts[N];
    size_t lens[N], k;
    char where[64], **views = NULL;

    for (k = 0; k < N; k++) {
        vault_config *cfg = NULL;
        const vault_error *err;
        int rc = vault_config_parse(&cfg, "bad.toml", VAULT_CONFIG_TOML, bad[k].text, bad_len(&bad[k]));
        cr_expect_eq(rc, VAULT_EFORMAT, "%s: rc %d", bad[k].name, rc);
        cr_assert_null(cfg);
        err = vault_error_last();
        cr_assert_not_null(err, "%s", bad[k].name);
        snprintf(where, sizeof where, "bad.toml:%u: ", bad[k].line);
        cr_expect(strncmp(err->message, where, strlen(where)) == 0, "%s: \"%s\" should start \"%s\"",
                  bad[k].name, err->message, where);
        cr_expect_not_null(strstr(err->message, bad[k].what), "%s: \"%s\" lacks \"%s\"", bad[k].name,
                           err->message, bad[k].what);
        texts[k] = bad[k].text;
        lens[k] = bad_len(&bad[k]);
    }
    if (!have_tomllib())
        cr_log_warn("python3 with tomllib not found: refused inputs not cross-checked");
    else
        views = tomllib_views(texts, lens, N);
    for (k = 0; views && k < N; k++) {
        if (bad[k].invalid_toml)
            cr_expect_str_eq(views[k], "INVALID", "%s: tomllib accepts it", bad[k].name);
        else
            cr_expect_str_neq(views[k], "INVALID", "%s: tomllib refuses it too", bad[k].name);
        free(views[k]);
    }
    free(views);
}

/* ---- robustness ---- */

Test(toml_robust, every_truncation_parses_or_fails_cleanly)
{
    size_t len, n, ok = 0, refused = 0;
    unsigned char *data = slurp(shared_path(FIXTURE), &len);

    for (n = 0; n <= len; n++) {
        vault_config *cfg = NULL;
        int rc = vault_config_parse(&cfg, "cut.toml", VAULT_CONFIG_TOML, data, n);
        if (rc == 0) {
            cr_assert_not_null(cfg);
            cr_assert_leq(vault_config_count(cfg), FIXTURE_COUNT);
            ok++;
        } else {
            cr_assert_eq(rc, VAULT_EFORMAT, "prefix %zu: rc %d", n, rc);
            cr_assert_null(cfg);
            cr_assert(strncmp(vault_error_last()->message, "cut.toml:", 9) == 0);
            refused++;
        }
        vault_config_free(cfg);
    }
    /* Cuts inside a string or a key are refused; cuts at line ends parse. */
    cr_assert_gt(ok, 30);
    cr_assert_gt(refused, 500);
    free(data);
}

Test(toml_robust, allocation_failures_are_enomem)
{
    size_t len, n, i;
    unsigned char *data = slurp(shared_path(FIXTURE), &len);
    int done = 0;

    cr_assert_eq(vault_init(), 0);
    for (n = 1; !done && n < 1000; n++) {
        vault_config *cfg = NULL;
        char *out = NULL;
        size_t out_len;
        int rc;

        vault__test_alloc_fail_at(n);
        rc = vault_config_parse(&cfg, "deployment.toml", VAULT_CONFIG_TOML, data, len);
        for (i = 0; rc == 0 && i < FIXTURE_COUNT - 1; i++)
            rc = vault_config_set(cfg, i, fake_sealed(i));
        if (rc == 0)
            rc = vault_config_render(&out, &out_len, cfg);
        if (vault__test_alloc_fail_at(0) < n) {
            cr_assert_eq(rc, 0, "no allocation failed at %zu, yet rc %d", n, rc);
            cr_assert_eq(vault_config_count(cfg), FIXTURE_COUNT);
            done = 1;
        } else {
            cr_assert_eq(rc, VAULT_ENOMEM, "allocation %zu failed: rc %d", n, rc);
        }
        vault_string_free(out);
        vault_config_free(cfg);
    }
    cr_assert(done);
    cr_log_info("allocation failure loop: %zu allocations", n - 1);
    free(data);
}

Test(toml_robust, hundred_thousand_secrets)
{
    const size_t n = 100000;
    size_t cap = n * 64 + 256, len = 0, out_len, want_len, i, idx;
    char *text = malloc(cap), *out = NULL;
    vault_config *cfg = NULL, *again = NULL;
    const vault_config_entry *e;
    struct timespec t0, t1, t2;

    len += (size_t)snprintf(text + len, cap - len,
                            "[server]\npassword = \"$secret{s99999}\"\n"
                            "[secrets]\n");
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "s%zu = \"[password-%zu]\"\n", i, i);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(vault_config_parse(&cfg, "big.toml", VAULT_CONFIG_TOML, text, len), 0, "%s",
                 vault_error_last() ? vault_error_last()->message : "");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (i = 0; i < n; i++)
        cr_assert_eq(vault_config_set(cfg, i, "c2VhbGVkLXZhbHVlLWZvci10ZXN0aW5n"), 0);
    cr_assert_eq(vault_config_render(&out, &out_len, cfg), 0);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    fprintf(stderr, "100000 secrets: parse %.3f s, set + render %.3f s\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);

    cr_assert_eq(vault_config_count(cfg), n);
    cr_assert_eq(vault_config_find(&idx, cfg, "s77777"), 0);
    cr_assert_eq(idx, 77777);
    cr_assert_eq(vault_config_ref_count(cfg), 1);
    /* Each token "[password-I]" (13 bytes + digits of I) became 34 bytes. */
    want_len = len;
    for (i = 0; i < n; i++) {
        char digits[32];
        want_len = want_len + 34 - 13 - (size_t)snprintf(digits, sizeof digits, "%zu", i);
    }
    cr_assert_eq(out_len, want_len);
    cr_assert_eq(vault_config_parse(&again, "big.toml", VAULT_CONFIG_TOML, out, out_len), 0);
    cr_assert_eq(vault_config_entry_at(&e, again, n - 1), 0);
    cr_assert_str_eq(e->alias, "s99999");
    cr_assert_eq(e->state, VAULT_VALUE_SEALED);
    cr_assert_eq(e->line, (unsigned int)(n + 3));
    vault_string_free(out);
    vault_config_free(again);
    vault_config_free(cfg);
    free(text);
}

/* A line without a key, or a bare word for a value: the message points at
 * the line and column and never quotes the text, which may be the secret. */
Test(toml_grammar, errors_do_not_quote_a_value)
{
    static const char *const texts[] = {"[secrets]\n\"[LEAKMEsecret]\"\n", "[secrets]\n'LEAKMEsecret'\n",
                                        "[secrets]\na = LEAKMEsecret\n", "[t]\nx = LEAKMEsecret\n"};
    size_t k;
    for (k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        vault_config *cfg = NULL;
        int rc = vault_config_parse(&cfg, "l.toml", VAULT_CONFIG_TOML, texts[k], strlen(texts[k]));
        cr_assert_eq(rc, VAULT_EFORMAT, "%zu: rc %d", k, rc);
        cr_assert(strstr(vault_error_last()->message, "l.toml:2: "), "%s", vault_error_last()->message);
        cr_assert_null(strstr(vault_error_last()->message, "LEAKME"), "%s", vault_error_last()->message);
    }
}

/* Text outside the brackets is dropped, as the Java tool does: one note per
 * value, naming the file, line and alias, never the value; past 100, one
 * note counts the rest. */
Test(toml_grammar, text_outside_brackets_is_noted)
{
    static const char text[] = "[secrets]\nok = \"[fine]\"\na = \"[abc] tail\"\nb = \"x[y]z\"\n";
    vault_config *cfg = NULL;
    const char *w;
    char *many;
    size_t i, n = 0;

    cr_assert_eq(vault_config_parse(&cfg, "d.toml", VAULT_CONFIG_TOML, text, sizeof text - 1), 0);
    cr_assert_eq(vault_config_warning_count(cfg), 2);
    cr_assert_eq(vault_config_warning_at(&w, cfg, 0), 0);
    cr_assert(w && strstr(w, "d.toml:3: alias \"a\": the text outside the brackets is dropped"), "%s", w);
    cr_assert(!strstr(w, "tail") && !strstr(w, "abc"), "%s", w);
    cr_assert_eq(vault_config_warning_at(&w, cfg, 1), 0);
    cr_assert(w && strstr(w, "d.toml:4: alias \"b\""), "%s", w);
    cr_assert_eq(vault_config_warning_at(&w, cfg, 2), VAULT_ENOTFOUND);
    cr_assert_null(w);
    cr_assert_eq(vault_config_warning_at(NULL, cfg, 0), VAULT_EINVAL);
    cr_assert_eq(vault_config_warning_at(&w, NULL, 0), VAULT_EINVAL);
    cr_assert_eq(vault_config_warning_count(NULL), 0);
    vault_config_free(cfg);
    cr_assert_eq(vault_config_parse(&cfg, "d.toml", VAULT_CONFIG_TOML, "[secrets]\na = \"[x]\"\n", 20), 0);
    cr_assert_eq(vault_config_warning_count(cfg), 0);
    cr_assert_eq(vault_config_warning_at(&w, cfg, 0), VAULT_ENOTFOUND);
    vault_config_free(cfg);

    many = malloc(32 * 150 + 16);
    n = (size_t)sprintf(many, "[secrets]\n");
    for (i = 0; i < 150; i++)
        n += (size_t)sprintf(many + n, "k%zu = \"[v]t\"\n", i);
    cr_assert_eq(vault_config_parse(&cfg, "m.toml", VAULT_CONFIG_TOML, many, n), 0);
    cr_assert_eq(vault_config_warning_count(cfg), 101);
    cr_assert_eq(vault_config_warning_at(&w, cfg, 99), 0);
    cr_assert(w && strstr(w, "m.toml:101: alias \"k99\""), "%s", w);
    /* The last note is made on demand: out of memory then is VAULT_ENOMEM. */
    vault__test_alloc_fail_at(1);
    cr_assert_eq(vault_config_warning_at(&w, cfg, 100), VAULT_ENOMEM);
    vault__test_alloc_fail_at(0);
    cr_assert_null(w);
    cr_assert_eq(vault_config_warning_at(&w, cfg, 100), 0);
    cr_assert(w && strstr(w, "m.toml: 50 more notes"), "%s", w);
    cr_assert_eq(vault_config_warning_at(&w, cfg, 101), VAULT_ENOTFOUND);
    vault_config_free(cfg);
    free(many);
}
