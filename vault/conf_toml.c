/* SPDX-License-Identifier: Apache-2.0 */
/* deployment.toml: a lossless scanner that finds the [secrets] table.
 *
 * The scanner walks the whole file with TOML's grammar (tables, keys,
 * strings of all four kinds, arrays, inline tables, scalars) so that a '['
 * or '#' inside a string is never taken for structure, and it records the
 * byte span of every value in [secrets]. It refuses, with file and line,
 * whatever it does not understand instead of guessing: the file is then
 * left alone. Escapes are those of TOML 1.0 (the Java side's parser does
 * not know TOML 1.1's \e and \x).
 *
 * This file reads the [secrets] table and encodes values; the scanner
 * itself is conf_toml_scan.c. */
#include "conf_toml.h"

#include <sodium.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* a.b = ... makes "a" a table: "a" cannot also be a value, before or after. */
static int check_dotted_tables(toml *t)
{
    size_t k;
    int rc;

    if (toml_set_has(t, &t->tables, t->key.p, t->key.len))
        return bad(t, "the key \"%s\" is both a value and a table of dotted keys", t->key.p);
    for (k = 0; k + 1 < t->key_parts; k++) {
        size_t end = t->part_end[k];
        if (conf_lookup(t->cfg, t->key.p, end))
            return bad(t, "the dotted key \"%s\" extends the value \"%.*s\"", t->key.p, (int)end, t->key.p);
        if ((rc = toml_set_add(t, &t->tables, t->key.p, end)) != 0)
            return rc;
    }
    return 0;
}

/* The Java tool's rule for a [secrets] value: the plain text is what lies
 * between the first '[' and the last ']' ("[abc] tail" is abc, "x[y]z" is
 * y), and the whole value is replaced by the sealed one. A value with both
 * brackets in that order is narrowed to "[...]", which the config model
 * takes for plain text; dropped text outside them is noted. */
static int plain_in_brackets(toml *t, const char *alias, unsigned int line, const char **decoded,
                             size_t *len)
{
    const char *v = *decoded, *open = memchr(v, '[', *len), *close;

    /* A sealed value has no '[': it is not scanned a second time. */
    if (!open)
        return 0;
    close = memrchr(open, ']', *len - (size_t)(open - v));
    if (!close || (open == v && close == v + *len - 1))
        return 0;
    *decoded = open;
    *len = (size_t)(close - open) + 1;
    return conf_warn(t->cfg,
                     "%s:%u: alias \"%s\": the text outside the brackets is dropped (only the text between "
                     "the first '[' and the last ']' is sealed, as the Java tool does)",
                     t->cfg->path, line, alias);
}

static int secret_value(toml *t, unsigned int line, size_t key_start)
{
    const char *alias = t->key.p;
    const char *decoded;
    conf_item *item = NULL;
    size_t start = t->i, len;
    int c = toml_at(t, 0), rc;

    if ((c == '"' || c == '\'') && toml_is_triple(t, c))
        return bad(t, "the value of secret \"%s\" is a multi-line string; write it on one line", alias);
    if (c == '"') {
        /* Scanned in place first: a value without escapes (every sealed
         * one) is its own decoded text, read from the file without a copy. */
        if ((rc = toml_scan_basic(t, NULL)) != 0)
            return rc;
        decoded = (const char *)t->s + start + 1;
        len = t->i - start - 2;
        if (memchr(decoded, '\\', len)) {
            t->i = start;
            t->val.len = 0;
            if ((rc = toml_tb_put(t, &t->val, "", 0)) != 0 || (rc = toml_scan_basic(t, &t->val)) != 0)
                return rc;
            decoded = t->val.p;
            len = t->val.len;
        }
    } else if (c == '\'') {
        if ((rc = toml_scan_literal(t)) != 0)
            return rc;
        decoded = (const char *)t->s + start + 1;
        len = t->i - start - 2;
    } else {
        return bad(t, "the value of secret \"%s\" is not a string", alias);
    }
    if (memchr(decoded, '\0', len))
        rc = bad(t, "the value of secret \"%s\" has a NUL character", alias);
    else if ((rc = check_dotted_tables(t)) == 0 &&
             (rc = conf_add_item_at(t->cfg, alias, t->key.len, key_start, start, t->i, line, &item)) == 0 &&
             (rc = plain_in_brackets(t, alias, line, &decoded, &len)) == 0)
        rc = conf_item_set_decoded_in_text(t->cfg, item, start + 1, decoded, len); /* after the quote */
    /* Only [0, len] was written since the last wipe (growing wipes the old
     * block): the whole capacity would be a kilobyte per secret. */
    if (t->val.p)
        sodium_memzero(t->val.p, t->val.len < t->val.cap ? t->val.len + 1 : t->val.cap);
    t->val.len = 0;
    return rc;
}

/* ---- lines ---- */

static int end_of_line(toml *t, const char *after)
{
    int rc;

    toml_skip_ws(t);
    if (toml_at(t, 0) == '#' && (rc = toml_skip_comment(t)) != 0)
        return rc;
    if (toml_at(t, 0) < 0)
        return 0;
    rc = toml_eat_newline(t);
    if (rc == 0)
        return bad(t, "unexpected text after %s", after);
    return rc < 0 ? rc : 0;
}

static int table_header(toml *t)
{
    int array = toml_at(t, 1) == '[';
    int rc;

    t->i += array ? 2 : 1;
    toml_skip_ws(t);
    if ((rc = toml_parse_key(t)) != 0)
        return rc;
    toml_skip_ws(t);
    if (toml_at(t, 0) != ']' || (array && toml_at(t, 1) != ']'))
        return bad(t, "expected '%s' to end the table header", array ? "]]" : "]");
    t->i += array ? 2 : 1;
    t->at_root = 0;
    t->in_secrets = 0;
    t->table_is_array = array;
    t->table.len = 0;
    if ((rc = toml_tb_put(t, &t->table, t->key.p, t->key.len)) != 0)
        return rc;
    if (!t->key_is_secrets)
        return 0;
    if (array)
        return bad(t, "[[%s]] is not supported: secrets belong in one [secrets] table", t->key.p);
    if (t->key_parts > 1)
        return bad(t, "[%s] is not supported: the [secrets] table cannot have sub-tables", t->key.p);
    if (t->seen_secrets)
        return bad(t, "duplicate [secrets] table");
    t->seen_secrets = 1;
    t->in_secrets = 1;
    return 0;
}

static int key_value(toml *t)
{
    unsigned int line = t->line;
    size_t key_start = t->i;
    int rc;

    if ((rc = toml_parse_key_eq(t)) != 0)
        return rc;
    if (toml_at(t, 0) < 0 || toml_at(t, 0) == '\n' || toml_at(t, 0) == '\r' || toml_at(t, 0) == '#')
        return bad(t, "missing value for the key \"%.64s\"", t->key.p);
    if (t->in_secrets)
        return secret_value(t, line, key_start);
    if (t->at_root && t->key_is_secrets)
        return bad(t, "the key \"%.64s\" puts secrets outside the [secrets] table; not supported", t->key.p);
    if ((toml_at(t, 0) == '"' || toml_at(t, 0) == '\'') && !toml_is_triple(t, toml_at(t, 0)) &&
        !t->table_is_array)
        return toml_setting_value(t);
    return toml_skip_value(t, 0);
}

static int scan_line(toml *t)
{
    int c, rc;

    toml_skip_ws(t);
    c = toml_at(t, 0);
    if (c < 0)
        return 0;
    if (c == '[') {
        if ((rc = table_header(t)) != 0)
            return rc;
        return end_of_line(t, "the table header");
    }
    if (c != '#' && c != '\n' && c != '\r') {
        if ((rc = key_value(t)) != 0)
            return rc;
        return end_of_line(t, "the value");
    }
    return end_of_line(t, "blank space");
}

static int toml_read(vault_config *cfg)
{
    toml t;
    int rc = 0;

    memset(&t, 0, sizeof t);
    t.cfg = cfg;
    t.s = cfg->text;
    t.n = cfg->len;
    t.line = 1;
    t.at_root = 1;
    if (t.n >= 3 && t.s[0] == 0xEF && t.s[1] == 0xBB && t.s[2] == 0xBF)
        t.i = 3;
    while (rc == 0 && t.i < t.n)
        rc = scan_line(&t);
    toml_tb_free(&t.key);
    toml_tb_free(&t.val);
    toml_tb_free(&t.table);
    toml_tb_free(&t.setting);
    toml_set_free(&t.tables);
    return rc;
}

/* ---- writing a sealed value back ---- */

static int literal_ok(const char *s)
{
    for (; *s; s++)
        if (*s == '\'' || (unsigned char)*s < 0x20 || *s == 0x7F)
            return 0;
    return 1;
}

static size_t escaped_len(unsigned char c)
{
    if (c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r')
        return 2;
    return c < 0x20 || c == 0x7F ? 6 : 1;
}

static char *put_escaped(char *o, unsigned char c)
{
    static const char from[] = "\"\\\b\t\n\f\r", to[] = "\"\\btnfr";
    const char *p = c ? strchr(from, c) : NULL;

    if (p) {
        *o++ = '\\';
        *o++ = to[p - from];
    } else if (c < 0x20 || c == 0x7F) {
        snprintf(o, 7, "\\u%04X", (unsigned)c);
        o += 6;
    } else {
        *o++ = (char)c;
    }
    return o;
}

static int toml_encode(const vault_config *cfg, const conf_item *item, const char *sealed, char **out)
{
    const unsigned char *s = (const unsigned char *)sealed;
    size_t n = strlen(sealed), need = 3, i, k;
    int literal = cfg->text[item->start] == '\'' && literal_ok(sealed);
    char *buf, *o;

    *out = NULL;
    for (i = 0; i < n; i += k) {
        k = vault__utf8_next(s + i, n - i, NULL);
        if (k == 0)
            return vault__err(VAULT_EINVAL, "%s: the sealed value for \"%s\" is not valid UTF-8", cfg->path,
                             item->info.alias);
        need += k == 1 && !literal ? escaped_len(s[i]) : k;
    }
    buf = vault__malloc(need);
    if (!buf)
        return vault__oom();
    o = buf;
    *o++ = literal ? '\'' : '"';
    for (i = 0; i < n; i++) {
        if (literal)
            *o++ = (char)s[i];
        else
            o = put_escaped(o, s[i]);
    }
    *o++ = literal ? '\'' : '"';
    *o = '\0';
    *out = buf;
    return 0;
}

const conf_syntax conf_toml_syntax = {"TOML", toml_read, toml_encode};
