/* SPDX-License-Identifier: Apache-2.0 */
/* The deployment.toml scanner: its state and helpers, TOML's strings (all
 * four kinds, escapes), keys and values (scalars, arrays, inline tables);
 * conf_toml.c drives it through the file and its [secrets] table. */
#include "array.h"
#include "conf_toml.h"

#include <sodium.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

int toml_bad_at(toml *t, unsigned int line, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return vault__err(VAULT_EFORMAT, "%s:%u: %s", t->cfg->path, line, what);
}

/* The column (from 1, in bytes) of the scanner on its line: where a message
 * points instead of quoting text that may be a secret. */
size_t toml_column(const toml *t)
{
    size_t i = t->i < t->n ? t->i : t->n;
    while (i > 0 && t->s[i - 1] != '\n')
        i--;
    return t->i - i + 1;
}

/* ---- small helpers ---- */

int toml_at(const toml *t, size_t k)
{
    return t->i + k < t->n ? t->s[t->i + k] : -1;
}

static int is_bare(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Grow by copying, so that a secret never stays behind in a block that
 * realloc() gave back. */
int toml_tb_put(toml *t, tbuf *b, const void *p, size_t n)
{
    if (n > SIZE_MAX / 2 - b->len)
        return vault__err(VAULT_ENOMEM, "%s: text too large", t->cfg->path);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *q;
        while (cap < b->len + n + 1)
            cap *= 2;
        q = vault__malloc(cap);
        if (!q)
            return vault__oom();
        if (b->p) {
            memcpy(q, b->p, b->len);
            sodium_memzero(b->p, b->cap);
            vault__free_ptr(b->p);
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

void toml_tb_free(tbuf *b)
{
    if (b->p)
        sodium_memzero(b->p, b->cap);
    vault__free_ptr(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* One character of a string or comment body at t->i (not a line break):
 * tab, printable ASCII or valid UTF-8; sets *len. */
static int body_char(toml *t, const char *where, size_t *len)
{
    int c = t->s[t->i];

    if (c == '\t' || (c >= 0x20 && c < 0x7F)) {
        *len = 1;
        return 0;
    }
    if (c >= 0x80) {
        *len = vault__utf8_next(t->s + t->i, t->n - t->i, NULL);
        return *len ? 0 : bad(t, "invalid UTF-8 in %s", where);
    }
    return bad(t, "control character U+%04X in %s", (unsigned)c, where);
}

void toml_skip_ws(toml *t)
{
    while (t->i < t->n && (t->s[t->i] == ' ' || t->s[t->i] == '\t'))
        t->i++;
}

/* Consumes a line break: 1 when there was one, 0 when not. */
int toml_eat_newline(toml *t)
{
    int c = toml_at(t, 0);

    if (c == '\n') {
        t->i++;
        t->line++;
        return 1;
    }
    if (c == '\r') {
        if (toml_at(t, 1) != '\n')
            return bad(t, "carriage return without a line feed");
        t->i += 2;
        t->line++;
        return 1;
    }
    return 0;
}

int toml_skip_comment(toml *t)
{
    size_t len = 0;
    int rc;

    t->i++;
    while (t->i < t->n && t->s[t->i] != '\n' && t->s[t->i] != '\r') {
        if ((rc = body_char(t, "a comment", &len)) != 0)
            return rc;
        t->i += len;
    }
    return 0;
}

/* Blank space, line breaks and comments (inside arrays and inline tables). */
static int skip_blank(toml *t)
{
    int rc;

    for (;;) {
        toml_skip_ws(t);
        if (toml_at(t, 0) == '#') {
            if ((rc = toml_skip_comment(t)) != 0)
                return rc;
        }
        rc = toml_eat_newline(t);
        if (rc <= 0)
            return rc;
    }
}

/* ---- a set of strings (hashmap.h, keyed SipHash) ---- */

/* What the table's callbacks see: the set and the config's hash key. */
typedef struct set_ctx {
    const strset *s;
    const unsigned char *key;
} set_ctx;

static uint64_t set_hash(const void *ctx, uint32_t idx)
{
    const set_ctx *c = ctx;
    const char *e = c->s->str[idx];

    return vault__hash_bytes(c->key, e, strlen(e));
}

static int set_is(const void *ctx, uint32_t idx, const void *p, size_t n)
{
    const char *e = ((const set_ctx *)ctx)->s->str[idx];

    return strlen(e) == n && memcmp(e, p, n) == 0;
}

int toml_set_has(const toml *t, const strset *s, const char *p, size_t n)
{
    set_ctx c = {s, t->cfg->hash_key};
    uint32_t idx;

    if (s->count == 0) /* most files have no dotted keys: no hash to compute */
        return 0;
    return vault__hashmap_find(&idx, &s->index, vault__hash_bytes(c.key, p, n), p, n, set_is, &c) == 0;
}

int toml_set_add(toml *t, strset *s, const char *p, size_t n)
{
    set_ctx c = {s, t->cfg->hash_key};
    uint64_t hash = vault__hash_bytes(c.key, p, n);
    uint32_t idx;
    char *copy;
    int rc;

    if (vault__hashmap_find(&idx, &s->index, hash, p, n, set_is, &c) == 0)
        return 0;
    if ((rc = vault__hashmap_reserve(&s->index, set_hash, &c)) != 0 ||
        (rc = VAULT_ARRAY_GROW(s->str, s->cap, s->count + 1)) != 0)
        return rc;
    if (!(copy = vault__strndup(p, n)))
        return vault__oom();
    vault__hashmap_put(&s->index, hash, (uint32_t)s->count);
    s->str[s->count++] = copy;
    return 0;
}

void toml_set_free(strset *s)
{
    size_t i;
    for (i = 0; i < s->count; i++)
        vault__free_ptr(s->str[i]);
    vault__free_ptr(s->str);
    vault__hashmap_free(&s->index);
}

/* ---- strings ---- */

static int scan_hex_escape(toml *t, tbuf *out, size_t digits)
{
    unsigned long cp = 0;
    unsigned char utf8[4];
    size_t k;

    for (k = 1; k <= digits; k++) {
        int v = vault__hex_digit(toml_at(t, k));
        if (v < 0)
            return bad(t, "invalid escape: \\%c needs %zu hex digits", t->s[t->i], digits);
        cp = (cp << 4) | (unsigned long)v;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return bad(t, "invalid escape: U+%04lX is not a Unicode scalar value", cp);
    t->i += digits + 1;
    return out ? toml_tb_put(t, out, utf8, vault__utf8_put(utf8, cp)) : 0;
}

/* A line-ending backslash in a multi-line basic string: blank space to the
 * end of the line, then every blank space and line break after it. */
static int scan_line_continuation(toml *t)
{
    int rc;

    toml_skip_ws(t);
    rc = toml_eat_newline(t);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return bad(t, "invalid escape: a backslash followed by blank space must end the line");
    for (;;) {
        toml_skip_ws(t);
        rc = toml_eat_newline(t);
        if (rc <= 0)
            return rc;
    }
}

/* An escape at t->i (the backslash), decoded into out when not NULL. */
static int scan_escape(toml *t, tbuf *out, int multiline)
{
    static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
    int c = toml_at(t, 1);
    const char *p;

    if (c == 'u' || c == 'U') {
        t->i++;
        return scan_hex_escape(t, out, c == 'u' ? 4 : 8);
    }
    if (c > 0 && (p = strchr(from, c)) != NULL) {
        t->i += 2;
        return out ? toml_tb_put(t, out, to + (p - from), 1) : 0;
    }
    if (multiline && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
        t->i++;
        return scan_line_continuation(t);
    }
    if (c < 0)
        return bad(t, "unterminated string");
    if (c >= 0x21 && c < 0x7F)
        return bad(t, "invalid escape \\%c", c);
    return bad(t, "invalid escape: a backslash followed by byte 0x%02X", (unsigned)c);
}

/* Printable ASCII other than '"' and '\\': a basic string's plain bytes
 * (the rest of the 256 are 0). */
static const unsigned char plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x60 */
};

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Whether all eight bytes of x are plain: none below 0x20 or above 0x7E,
 * none a quote or a backslash (the word tests of "Bit Twiddling Hacks":
 * each answers "is there such a byte" exactly). */
static int plain8(uint64_t x)
{
    uint64_t below = (x - ONES * 0x20) & ~x & HIGHS;
    uint64_t above = ((x + ONES * (127 - 0x7E)) | x) & HIGHS;
    uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
    uint64_t quote = (q - ONES) & ~q & HIGHS, backslash = (b - ONES) & ~b & HIGHS;
    return !(below | above | quote | backslash);
}

/* The number of plain bytes from t->i on: the bulk of a string, taken in
 * one piece, eight bytes at a time. */
static size_t plain_run(const toml *t)
{
    const unsigned char *p = t->s + t->i, *end = t->s + t->n;
    uint64_t x;

    while (end - p >= 8) {
        memcpy(&x, p, 8);
        if (!plain8(x))
            break;
        p += 8;
    }
    while (p < end && plain_byte[*p])
        p++;
    return (size_t)(p - (t->s + t->i));
}

/* A single-line basic string at t->i ('"'); decoded into out when not NULL. */
int toml_scan_basic(toml *t, tbuf *out)
{
    unsigned int line0 = t->line;
    size_t len = 0;
    int rc;

    t->i++;
    for (;;) {
        int c;
        if ((len = plain_run(t)) > 0) {
            if (out && (rc = toml_tb_put(t, out, t->s + t->i, len)) != 0)
                return rc;
            t->i += len;
        }
        c = toml_at(t, 0);
        if (c < 0 || c == '\n' || c == '\r')
            return toml_bad_at(t, line0, "unterminated string");
        if (c == '"') {
            t->i++;
            return 0;
        }
        if (c == '\\') {
            rc = scan_escape(t, out, 0);
        } else if ((rc = body_char(t, "a string", &len)) == 0) {
            if (out)
                rc = toml_tb_put(t, out, t->s + t->i, len);
            t->i += len;
        }
        if (rc != 0)
            return rc;
    }
}

/* A single-line literal string at t->i ('\''). */
int toml_scan_literal(toml *t)
{
    unsigned int line0 = t->line;
    size_t len = 0;
    int rc;

    t->i++;
    for (;;) {
        int c = toml_at(t, 0);
        if (c < 0 || c == '\n' || c == '\r')
            return toml_bad_at(t, line0, "unterminated string");
        if (c == '\'') {
            t->i++;
            return 0;
        }
        if ((rc = body_char(t, "a string", &len)) != 0)
            return rc;
        t->i += len;
    }
}

/* A multi-line string at t->i (three quotes q): up to two more quotes may
 * end its body just before the closing three. */
static int scan_multiline(toml *t, int q)
{
    unsigned int line0 = t->line;
    size_t len = 0;
    int rc;

    t->i += 3;
    for (;;) {
        int c = toml_at(t, 0);
        if (c < 0)
            return toml_bad_at(t, line0, "unterminated multi-line string");
        if (c == q && toml_at(t, 1) == q && toml_at(t, 2) == q) {
            size_t run = 3;
            while (toml_at(t, run) == q)
                run++;
            if (run > 5)
                return bad(t, "too many quotes at the end of a multi-line string");
            t->i += run;
            return 0;
        }
        if (c == '\\' && q == '"') {
            rc = scan_escape(t, NULL, 1);
        } else if (c == '\n' || c == '\r') {
            rc = toml_eat_newline(t);
            rc = rc < 0 ? rc : 0;
        } else if ((rc = body_char(t, "a string", &len)) == 0) {
            t->i += len;
        }
        if (rc != 0)
            return rc;
    }
}

int toml_is_triple(const toml *t, int q)
{
    return toml_at(t, 0) == q && toml_at(t, 1) == q && toml_at(t, 2) == q;
}

/* A string value outside [secrets]: skipped, its $secret{...} recorded. */
static int skip_string(toml *t)
{
    int q = toml_at(t, 0), triple = toml_is_triple(t, q);
    size_t start = t->i, quotes = triple ? 3 : 1;
    unsigned int line0 = t->line;
    int rc;

    if (triple)
        rc = scan_multiline(t, q);
    else
        rc = q == '"' ? toml_scan_basic(t, NULL) : toml_scan_literal(t);
    if (rc != 0)
        return rc;
    return conf_scan_refs(t->cfg, t->s + start + quotes, t->i - start - 2 * quotes, line0);
}

/* ---- keys ---- */

static int parse_key_part(toml *t)
{
    int c = toml_at(t, 0);

    if (c == '"' || c == '\'') {
        if (toml_is_triple(t, c))
            return bad(t, "a multi-line string cannot be a key");
        if (c == '"')
            return toml_scan_basic(t, &t->key);
        {
            size_t start = t->i;
            int rc = toml_scan_literal(t);
            return rc ? rc : toml_tb_put(t, &t->key, t->s + start + 1, t->i - start - 2);
        }
    }
    if (c < 0 || !is_bare(c))
        return t->key_parts ? bad(t, "expected a key after '.'") : bad(t, "expected a key");
    {
        size_t start = t->i;
        while (t->i < t->n && is_bare(t->s[t->i]))
            t->i++;
        return toml_tb_put(t, &t->key, t->s + start, t->i - start);
    }
}

/* A (dotted) key at t->i into t->key, its parts joined with '.'. */
int toml_parse_key(toml *t)
{
    int rc;

    t->key.len = 0;
    t->key_parts = 0;
    if ((rc = toml_tb_put(t, &t->key, "", 0)) != 0)
        return rc;
    t->key_is_secrets = 0;
    for (;;) {
        size_t part = t->key.len;
        if ((rc = parse_key_part(t)) != 0)
            return rc;
        if (t->key_parts == TOML_MAX_PARTS)
            return bad(t, "a key with more than %d dotted parts", TOML_MAX_PARTS);
        t->part_end[t->key_parts] = t->key.len;
        if (++t->key_parts == 1)
            t->key_is_secrets = t->key.len - part == 7 && memcmp(t->key.p, "secrets", 7) == 0;
        toml_skip_ws(t);
        if (toml_at(t, 0) != '.')
            return 0;
        t->i++;
        toml_skip_ws(t);
        if ((rc = toml_tb_put(t, &t->key, ".", 1)) != 0)
            return rc;
    }
}

/* ---- values outside [secrets] ---- */

static int digits_run(const unsigned char *p, size_t n, size_t *j, int base)
{
    size_t start = *j;
    int prev_digit = 0;

    while (*j < n) {
        int c = p[*j], v = vault__hex_digit(c);
        if (v >= 0 && v < base) {
            prev_digit = 1;
        } else if (c == '_' && prev_digit && *j + 1 < n && vault__hex_digit(p[*j + 1]) >= 0 &&
                   vault__hex_digit(p[*j + 1]) < base) {
            prev_digit = 0;
        } else {
            break;
        }
        (*j)++;
    }
    return *j > start;
}

static int valid_number(const unsigned char *p, size_t n)
{
    size_t j = 0, int_start;
    int sign = n > 0 && (p[0] == '+' || p[0] == '-');

    j = (size_t)sign;
    if (n - j == 3 && (memcmp(p + j, "inf", 3) == 0 || memcmp(p + j, "nan", 3) == 0))
        return 1;
    if (!sign && n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
        int base = p[1] == 'x' ? 16 : p[1] == 'o' ? 8 : 2;
        j = 2;
        return digits_run(p, n, &j, base) && j == n;
    }
    int_start = j;
    if (!digits_run(p, n, &j, 10))
        return 0;
    if (p[int_start] == '0' && j - int_start > 1)
        return 0; /* leading zero */
    if (j < n && p[j] == '.') {
        j++;
        if (!digits_run(p, n, &j, 10))
            return 0;
    }
    if (j < n && (p[j] == 'e' || p[j] == 'E')) {
        j++;
        if (j < n && (p[j] == '+' || p[j] == '-'))
            j++;
        if (!digits_run(p, n, &j, 10))
            return 0;
    }
    return j == n;
}

static int is_date(const unsigned char *p, size_t n)
{
    return n >= 10 && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) && p[4] == '-' &&
           is_digit(p[5]) && is_digit(p[6]) && p[7] == '-' && is_digit(p[8]) && is_digit(p[9]);
}

static int is_time(const unsigned char *p, size_t n)
{
    return n >= 8 && is_digit(p[0]) && is_digit(p[1]) && p[2] == ':' && is_digit(p[3]) && is_digit(p[4]) &&
           p[5] == ':' && is_digit(p[6]) && is_digit(p[7]);
}

static int valid_scalar(const unsigned char *p, size_t n)
{
    size_t j;

    if ((n == 4 && memcmp(p, "true", 4) == 0) || (n == 5 && memcmp(p, "false", 5) == 0))
        return 1;
    if (is_date(p, n) || is_time(p, n)) {
        for (j = 0; j < n; j++)
            if (!is_digit(p[j]) && !strchr("-:.+TtZz ", p[j]))
                return 0;
        return 1;
    }
    return valid_number(p, n);
}

static int is_scalar_char(int c)
{
    return is_bare(c) || c == '+' || c == '.' || c == ':';
}

static int skip_scalar(toml *t)
{
    size_t start = t->i;

    for (;;) {
        while (t->i < t->n && is_scalar_char(t->s[t->i]))
            t->i++;
        /* A date and a time may be separated by one space. */
        if (t->i - start == 10 && is_date(t->s + start, 10) && toml_at(t, 0) == ' ' &&
            is_digit(toml_at(t, 1)))
            t->i++;
        else
            break;
    }
    if (t->i == start)
        return bad(t, "expected a value");
    if (!valid_scalar(t->s + start, t->i - start))
        return bad(t, "column %zu: invalid value (not a string, number, boolean, date, array or "
                   "inline table)", toml_column(t) - (t->i - start));
    return 0;
}

/* "key =": a key, then '=' (an inline table's before each value, and a
 * line's). */
int toml_parse_key_eq(toml *t)
{
    int rc = toml_parse_key(t);

    if (rc != 0)
        return rc;
    toml_skip_ws(t);
    if (toml_at(t, 0) != '=')
        return bad(t, "column %zu: expected '=' after a key", toml_column(t));
    t->i++;
    toml_skip_ws(t);
    return 0;
}

/* An array ('[' to ']') or an inline table ('{' to '}', with keys): both
 * may span lines and end with a comma. For inline tables that is TOML 1.1;
 * the structure stays unambiguous. */
static int skip_container(toml *t, int depth, int close, const char *name)
{
    unsigned int line0 = t->line;
    int rc;

    t->i++;
    for (;;) {
        if ((rc = skip_blank(t)) != 0)
            return rc;
        if (toml_at(t, 0) < 0)
            return toml_bad_at(t, line0, "unterminated %s", name);
        if (toml_at(t, 0) == close) {
            t->i++;
            return 0;
        }
        if (close == '}' && (rc = toml_parse_key_eq(t)) != 0)
            return rc;
        if ((rc = toml_skip_value(t, depth + 1)) != 0 || (rc = skip_blank(t)) != 0)
            return rc;
        if (toml_at(t, 0) == ',')
            t->i++;
        else if (toml_at(t, 0) == close)
            continue;
        else if (toml_at(t, 0) < 0)
            return toml_bad_at(t, line0, "unterminated %s", name);
        else
            return bad(t, "expected ',' or '%c' in an %s", close, name);
    }
}

int toml_skip_value(toml *t, int depth)
{
    int c = toml_at(t, 0);

    if (depth > TOML_MAX_DEPTH)
        return bad(t, "arrays or inline tables nested too deeply");
    if (c == '"' || c == '\'')
        return skip_string(t);
    if (c == '[')
        return skip_container(t, depth, ']', "array");
    if (c == '{')
        return skip_container(t, depth, '}', "inline table");
    return skip_scalar(t);
}

/* A one-line string outside [secrets]: recorded as a setting under its
 * full dotted key, and its $secret{...} references recorded. */
int toml_setting_value(toml *t)
{
    size_t start = t->i, key_len;
    unsigned int line0 = t->line;
    int rc;

    t->setting.len = 0;
    rc = toml_tb_put(t, &t->setting, t->table.p ? t->table.p : "", t->table.len);
    if (rc == 0 && t->table.len)
        rc = toml_tb_put(t, &t->setting, ".", 1);
    if (rc == 0)
        rc = toml_tb_put(t, &t->setting, t->key.p, t->key.len);
    key_len = t->setting.len;
    if (rc != 0)
        return rc;
    if (toml_at(t, 0) == '"') {
        if ((rc = toml_scan_basic(t, &t->setting)) != 0)
            return rc;
    } else {
        if ((rc = toml_scan_literal(t)) != 0 ||
            (rc = toml_tb_put(t, &t->setting, t->s + start + 1, t->i - start - 2)) != 0)
            return rc;
    }
    rc = conf_add_setting(t->cfg, t->setting.p, key_len, t->setting.p + key_len, t->setting.len - key_len);
    if (rc != 0)
        return rc;
    return conf_scan_refs(t->cfg, t->s + start + 1, t->i - start - 2, line0);
}

/* ---- [secrets] ---- */
