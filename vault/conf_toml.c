/* deployment.toml: a lossless scanner that finds the [secrets] table.
 *
 * The scanner walks the whole file with TOML's grammar (tables, keys,
 * strings of all four kinds, arrays, inline tables, scalars) so that a '['
 * or '#' inside a string is never taken for structure, and it records the
 * byte span of every value in [secrets]. It refuses, with file and line,
 * whatever it does not understand instead of guessing: the file is then
 * left alone. Escapes are those of TOML 1.0 (the Java side's parser does
 * not know TOML 1.1's \e and \x). */
#include "conf_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define TOML_MAX_DEPTH 64
#define TOML_MAX_PARTS 64

/* The tables that dotted keys in [secrets] create ("a" for a.b = ...): a
 * key may not be both a value and such a table. */
typedef struct strset {
    char **slot;
    size_t cap, count;
} strset;

typedef struct tbuf {
    char *p;
    size_t len, cap;
} tbuf;

typedef struct toml {
    vault_config *cfg;
    const unsigned char *s;
    size_t n, i;
    unsigned int line;
    int in_secrets; /* the current table is [secrets] */
    int seen_secrets;
    int at_root;        /* before the first table header */
    tbuf key;           /* decoded key of the current pair, parts joined by '.' */
    int key_is_secrets; /* the key's first part is "secrets" */
    size_t key_parts;
    size_t part_end[TOML_MAX_PARTS]; /* t->key.len after each part */
    strset tables;                   /* dotted-key tables in [secrets] */
    tbuf val;                        /* decoded secret value; wiped after each use */
    tbuf table;                      /* the current table's key ("" at the root) */
    int table_is_array;              /* [[...]]: its settings are not recorded */
    tbuf setting;                    /* full key and decoded value of a setting */
} toml;

static int bad_at(toml *t, unsigned int line, const char *fmt, ...) VAULT_PRINTF(3, 4);

static int bad_at(toml *t, unsigned int line, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return vault_err(VAULT_EFORMAT, "%s:%u: %s", t->cfg->path, line, what);
}

#define bad(t, ...) bad_at((t), (t)->line, __VA_ARGS__)

/* The column (from 1, in bytes) of the scanner on its line: where a message
 * points instead of quoting text that may be a secret. */
static size_t column(const toml *t)
{
    size_t i = t->i < t->n ? t->i : t->n;
    while (i > 0 && t->s[i - 1] != '\n')
        i--;
    return t->i - i + 1;
}

/* ---- small helpers ---- */

static int at(const toml *t, size_t k)
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
static int tb_put(toml *t, tbuf *b, const void *p, size_t n)
{
    if (n > SIZE_MAX / 2 - b->len)
        return vault_err(VAULT_ENOMEM, "%s: out of memory", t->cfg->path);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *q;
        while (cap < b->len + n + 1)
            cap *= 2;
        q = vault_malloc(cap);
        if (!q)
            return vault_err(VAULT_ENOMEM, "%s: out of memory", t->cfg->path);
        if (b->p) {
            memcpy(q, b->p, b->len);
            sodium_memzero(b->p, b->cap);
            vault_free_ptr(b->p);
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static void tb_free(tbuf *b)
{
    if (b->p)
        sodium_memzero(b->p, b->cap);
    vault_free_ptr(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Length of a valid UTF-8 sequence at s[0] (shortest form, no surrogates,
 * at most U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned int c = s[0], cp, k, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        k = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 3, cp = c & 0x07;
    else
        return 0;
    if (n < k + 1)
        return 0;
    for (i = 1; i <= k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k + 1;
}

static size_t utf8_put(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
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
        *len = utf8_seq(t->s + t->i, t->n - t->i);
        return *len ? 0 : bad(t, "invalid UTF-8 in %s", where);
    }
    return bad(t, "control character U+%04X in %s", (unsigned)c, where);
}

static void skip_ws(toml *t)
{
    while (t->i < t->n && (t->s[t->i] == ' ' || t->s[t->i] == '\t'))
        t->i++;
}

/* Consumes a line break: 1 when there was one, 0 when not. */
static int eat_newline(toml *t)
{
    int c = at(t, 0);

    if (c == '\n') {
        t->i++;
        t->line++;
        return 1;
    }
    if (c == '\r') {
        if (at(t, 1) != '\n')
            return bad(t, "carriage return without a line feed");
        t->i += 2;
        t->line++;
        return 1;
    }
    return 0;
}

static int skip_comment(toml *t)
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
        skip_ws(t);
        if (at(t, 0) == '#') {
            if ((rc = skip_comment(t)) != 0)
                return rc;
        }
        rc = eat_newline(t);
        if (rc <= 0)
            return rc;
    }
}

/* ---- a set of strings (open addressing, keyed SipHash) ---- */

static size_t set_pos(const toml *t, char *const *slot, size_t cap, const char *p, size_t n)
{
    unsigned char h[crypto_shorthash_siphash24_BYTES];
    uint64_t v = 0;
    size_t i, mask = cap - 1, pos;

    crypto_shorthash_siphash24(h, (const unsigned char *)p, n, t->cfg->hash_key);
    for (i = 0; i < sizeof h; i++)
        v = (v << 8) | h[i];
    pos = (size_t)v & mask;
    while (slot[pos] && !(strlen(slot[pos]) == n && memcmp(slot[pos], p, n) == 0))
        pos = (pos + 1) & mask;
    return pos;
}

static int set_has(const toml *t, const strset *s, const char *p, size_t n)
{
    return s->cap && s->slot[set_pos(t, s->slot, s->cap, p, n)] != NULL;
}

static int set_add(toml *t, strset *s, const char *p, size_t n)
{
    size_t pos, i;

    if ((s->count + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **slot = vault_calloc(cap, sizeof *slot);
        if (!slot)
            return VAULT_ERR_NOMEM();
        for (i = 0; i < s->cap; i++)
            if (s->slot[i])
                slot[set_pos(t, slot, cap, s->slot[i], strlen(s->slot[i]))] = s->slot[i];
        vault_free_ptr(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    pos = set_pos(t, s->slot, s->cap, p, n);
    if (s->slot[pos])
        return 0;
    s->slot[pos] = vault_strndup(p, n);
    if (!s->slot[pos])
        return VAULT_ERR_NOMEM();
    s->count++;
    return 0;
}

static void set_free(strset *s)
{
    size_t i;
    for (i = 0; i < s->cap; i++)
        vault_free_ptr(s->slot[i]);
    vault_free_ptr(s->slot);
}

/* ---- strings ---- */

static int scan_hex_escape(toml *t, tbuf *out, size_t digits)
{
    unsigned long cp = 0;
    unsigned char utf8[4];
    size_t k;

    for (k = 1; k <= digits; k++) {
        int v = vault_hex_digit(at(t, k));
        if (v < 0)
            return bad(t, "invalid escape: \\%c needs %zu hex digits", t->s[t->i], digits);
        cp = (cp << 4) | (unsigned long)v;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return bad(t, "invalid escape: U+%04lX is not a Unicode scalar value", cp);
    t->i += digits + 1;
    return out ? tb_put(t, out, utf8, utf8_put(utf8, cp)) : 0;
}

/* A line-ending backslash in a multi-line basic string: blank space to the
 * end of the line, then every blank space and line break after it. */
static int scan_line_continuation(toml *t)
{
    int rc;

    skip_ws(t);
    rc = eat_newline(t);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return bad(t, "invalid escape: a backslash followed by blank space must end the line");
    for (;;) {
        skip_ws(t);
        rc = eat_newline(t);
        if (rc <= 0)
            return rc;
    }
}

/* An escape at t->i (the backslash), decoded into out when not NULL. */
static int scan_escape(toml *t, tbuf *out, int multiline)
{
    static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
    int c = at(t, 1);
    const char *p;

    if (c == 'u' || c == 'U') {
        t->i++;
        return scan_hex_escape(t, out, c == 'u' ? 4 : 8);
    }
    if (c > 0 && (p = strchr(from, c)) != NULL) {
        t->i += 2;
        return out ? tb_put(t, out, to + (p - from), 1) : 0;
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
static int scan_basic(toml *t, tbuf *out)
{
    unsigned int line0 = t->line;
    size_t len = 0;
    int rc;

    t->i++;
    for (;;) {
        int c;
        if ((len = plain_run(t)) > 0) {
            if (out && (rc = tb_put(t, out, t->s + t->i, len)) != 0)
                return rc;
            t->i += len;
        }
        c = at(t, 0);
        if (c < 0 || c == '\n' || c == '\r')
            return bad_at(t, line0, "unterminated string");
        if (c == '"') {
            t->i++;
            return 0;
        }
        if (c == '\\') {
            rc = scan_escape(t, out, 0);
        } else if ((rc = body_char(t, "a string", &len)) == 0) {
            if (out)
                rc = tb_put(t, out, t->s + t->i, len);
            t->i += len;
        }
        if (rc != 0)
            return rc;
    }
}

/* A single-line literal string at t->i ('\''). */
static int scan_literal(toml *t)
{
    unsigned int line0 = t->line;
    size_t len = 0;
    int rc;

    t->i++;
    for (;;) {
        int c = at(t, 0);
        if (c < 0 || c == '\n' || c == '\r')
            return bad_at(t, line0, "unterminated string");
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
        int c = at(t, 0);
        if (c < 0)
            return bad_at(t, line0, "unterminated multi-line string");
        if (c == q && at(t, 1) == q && at(t, 2) == q) {
            size_t run = 3;
            while (at(t, run) == q)
                run++;
            if (run > 5)
                return bad(t, "too many quotes at the end of a multi-line string");
            t->i += run;
            return 0;
        }
        if (c == '\\' && q == '"') {
            rc = scan_escape(t, NULL, 1);
        } else if (c == '\n' || c == '\r') {
            rc = eat_newline(t);
            rc = rc < 0 ? rc : 0;
        } else if ((rc = body_char(t, "a string", &len)) == 0) {
            t->i += len;
        }
        if (rc != 0)
            return rc;
    }
}

static int is_triple(const toml *t, int q)
{
    return at(t, 0) == q && at(t, 1) == q && at(t, 2) == q;
}

/* A string value outside [secrets]: skipped, its $secret{...} recorded. */
static int skip_string(toml *t)
{
    int q = at(t, 0), triple = is_triple(t, q);
    size_t start = t->i, quotes = triple ? 3 : 1;
    unsigned int line0 = t->line;
    int rc;

    if (triple)
        rc = scan_multiline(t, q);
    else
        rc = q == '"' ? scan_basic(t, NULL) : scan_literal(t);
    if (rc != 0)
        return rc;
    return conf_scan_refs(t->cfg, t->s + start + quotes, t->i - start - 2 * quotes, line0);
}

/* ---- keys ---- */

static int parse_key_part(toml *t)
{
    int c = at(t, 0);

    if (c == '"' || c == '\'') {
        if (is_triple(t, c))
            return bad(t, "a multi-line string cannot be a key");
        if (c == '"')
            return scan_basic(t, &t->key);
        {
            size_t start = t->i;
            int rc = scan_literal(t);
            return rc ? rc : tb_put(t, &t->key, t->s + start + 1, t->i - start - 2);
        }
    }
    if (c < 0 || !is_bare(c))
        return t->key_parts ? bad(t, "expected a key after '.'") : bad(t, "expected a key");
    {
        size_t start = t->i;
        while (t->i < t->n && is_bare(t->s[t->i]))
            t->i++;
        return tb_put(t, &t->key, t->s + start, t->i - start);
    }
}

/* A (dotted) key at t->i into t->key, its parts joined with '.'. */
static int parse_key(toml *t)
{
    int rc;

    t->key.len = 0;
    t->key_parts = 0;
    if ((rc = tb_put(t, &t->key, "", 0)) != 0)
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
        skip_ws(t);
        if (at(t, 0) != '.')
            return 0;
        t->i++;
        skip_ws(t);
        if ((rc = tb_put(t, &t->key, ".", 1)) != 0)
            return rc;
    }
}

/* ---- values outside [secrets] ---- */

static int digits_run(const unsigned char *p, size_t n, size_t *j, int base)
{
    size_t start = *j;
    int prev_digit = 0;

    while (*j < n) {
        int c = p[*j], v = vault_hex_digit(c);
        if (v >= 0 && v < base) {
            prev_digit = 1;
        } else if (c == '_' && prev_digit && *j + 1 < n && vault_hex_digit(p[*j + 1]) >= 0 &&
                   vault_hex_digit(p[*j + 1]) < base) {
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
        if (t->i - start == 10 && is_date(t->s + start, 10) && at(t, 0) == ' ' && is_digit(at(t, 1)))
            t->i++;
        else
            break;
    }
    if (t->i == start)
        return bad(t, "expected a value");
    if (!valid_scalar(t->s + start, t->i - start))
        return bad(t, "column %zu: invalid value (not a string, number, boolean, date, array or "
                   "inline table)", column(t) - (t->i - start));
    return 0;
}

static int skip_value(toml *t, int depth);

/* An inline table's "key =" before each value. */
static int table_key(toml *t)
{
    int rc = parse_key(t);

    if (rc != 0)
        return rc;
    skip_ws(t);
    if (at(t, 0) != '=')
        return bad(t, "column %zu: expected '=' after a key", column(t));
    t->i++;
    skip_ws(t);
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
        if (at(t, 0) < 0)
            return bad_at(t, line0, "unterminated %s", name);
        if (at(t, 0) == close) {
            t->i++;
            return 0;
        }
        if (close == '}' && (rc = table_key(t)) != 0)
            return rc;
        if ((rc = skip_value(t, depth + 1)) != 0 || (rc = skip_blank(t)) != 0)
            return rc;
        if (at(t, 0) == ',')
            t->i++;
        else if (at(t, 0) == close)
            continue;
        else if (at(t, 0) < 0)
            return bad_at(t, line0, "unterminated %s", name);
        else
            return bad(t, "expected ',' or '%c' in an %s", close, name);
    }
}

static int skip_value(toml *t, int depth)
{
    int c = at(t, 0);

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
static int setting_value(toml *t)
{
    size_t start = t->i, key_len;
    unsigned int line0 = t->line;
    int rc;

    t->setting.len = 0;
    rc = tb_put(t, &t->setting, t->table.p ? t->table.p : "", t->table.len);
    if (rc == 0 && t->table.len)
        rc = tb_put(t, &t->setting, ".", 1);
    if (rc == 0)
        rc = tb_put(t, &t->setting, t->key.p, t->key.len);
    key_len = t->setting.len;
    if (rc != 0)
        return rc;
    if (at(t, 0) == '"') {
        if ((rc = scan_basic(t, &t->setting)) != 0)
            return rc;
    } else {
        if ((rc = scan_literal(t)) != 0 ||
            (rc = tb_put(t, &t->setting, t->s + start + 1, t->i - start - 2)) != 0)
            return rc;
    }
    rc = conf_add_setting(t->cfg, t->setting.p, key_len, t->setting.p + key_len, t->setting.len - key_len);
    if (rc != 0)
        return rc;
    return conf_scan_refs(t->cfg, t->s + start + 1, t->i - start - 2, line0);
}

/* ---- [secrets] ---- */

/* a.b = ... makes "a" a table: "a" cannot also be a value, before or after. */
static int check_dotted_tables(toml *t)
{
    size_t k;
    int rc;

    if (set_has(t, &t->tables, t->key.p, t->key.len))
        return bad(t, "the key \"%s\" is both a value and a table of dotted keys", t->key.p);
    for (k = 0; k + 1 < t->key_parts; k++) {
        size_t end = t->part_end[k];
        if (conf_lookup(t->cfg, t->key.p, end))
            return bad(t, "the dotted key \"%s\" extends the value \"%.*s\"", t->key.p, (int)end, t->key.p);
        if ((rc = set_add(t, &t->tables, t->key.p, end)) != 0)
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
    const char *v = *decoded, *open = memchr(v, '[', *len), *close = NULL;
    size_t i;

    for (i = *len; i > 0 && !close; i--)
        if (v[i - 1] == ']')
            close = v + i - 1;
    if (!open || !close || close < open || (open == v && close == v + *len - 1))
        return 0;
    *decoded = open;
    *len = (size_t)(close - open) + 1;
    return conf_warn(t->cfg,
                     "%s:%u: alias \"%s\": the text outside the brackets is dropped (only the text between "
                     "the first '[' and the last ']' is sealed, as the Java tool does)",
                     t->cfg->path, line, alias);
}

static int secret_value(toml *t, unsigned int line)
{
    const char *alias = t->key.p;
    const char *decoded;
    conf_item *item = NULL;
    size_t start = t->i, len;
    int c = at(t, 0), rc;

    if ((c == '"' || c == '\'') && is_triple(t, c))
        return bad(t, "the value of secret \"%s\" is a multi-line string; write it on one line", alias);
    if (c == '"') {
        t->val.len = 0;
        if ((rc = tb_put(t, &t->val, "", 0)) != 0 || (rc = scan_basic(t, &t->val)) != 0)
            return rc;
        decoded = t->val.p;
        len = t->val.len;
    } else if (c == '\'') {
        if ((rc = scan_literal(t)) != 0)
            return rc;
        decoded = (const char *)t->s + start + 1;
        len = t->i - start - 2;
    } else {
        return bad(t, "the value of secret \"%s\" is not a string", alias);
    }
    if (memchr(decoded, '\0', len))
        rc = bad(t, "the value of secret \"%s\" has a NUL character", alias);
    else if ((rc = check_dotted_tables(t)) == 0 &&
             (rc = conf_add_item(t->cfg, alias, t->key.len, start, t->i, line, &item)) == 0 &&
             (rc = plain_in_brackets(t, alias, line, &decoded, &len)) == 0)
        rc = conf_item_set_decoded_in_text(item, start + 1, decoded, len); /* after the quote */
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

    skip_ws(t);
    if (at(t, 0) == '#' && (rc = skip_comment(t)) != 0)
        return rc;
    if (at(t, 0) < 0)
        return 0;
    rc = eat_newline(t);
    if (rc == 0)
        return bad(t, "unexpected text after %s", after);
    return rc < 0 ? rc : 0;
}

static int table_header(toml *t)
{
    int array = at(t, 1) == '[';
    int rc;

    t->i += array ? 2 : 1;
    skip_ws(t);
    if ((rc = parse_key(t)) != 0)
        return rc;
    skip_ws(t);
    if (at(t, 0) != ']' || (array && at(t, 1) != ']'))
        return bad(t, "expected '%s' to end the table header", array ? "]]" : "]");
    t->i += array ? 2 : 1;
    t->at_root = 0;
    t->in_secrets = 0;
    t->table_is_array = array;
    t->table.len = 0;
    if ((rc = tb_put(t, &t->table, t->key.p, t->key.len)) != 0)
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
    int rc;

    if ((rc = parse_key(t)) != 0)
        return rc;
    skip_ws(t);
    if (at(t, 0) != '=')
        return bad(t, "column %zu: expected '=' after a key", column(t));
    t->i++;
    skip_ws(t);
    if (at(t, 0) < 0 || at(t, 0) == '\n' || at(t, 0) == '\r' || at(t, 0) == '#')
        return bad(t, "missing value for the key \"%.64s\"", t->key.p);
    if (t->in_secrets)
        return secret_value(t, line);
    if (t->at_root && t->key_is_secrets)
        return bad(t, "the key \"%.64s\" puts secrets outside the [secrets] table; not supported", t->key.p);
    if ((at(t, 0) == '"' || at(t, 0) == '\'') && !is_triple(t, at(t, 0)) && !t->table_is_array)
        return setting_value(t);
    return skip_value(t, 0);
}

static int scan_line(toml *t)
{
    int c, rc;

    skip_ws(t);
    c = at(t, 0);
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
    tb_free(&t.key);
    tb_free(&t.val);
    tb_free(&t.table);
    tb_free(&t.setting);
    set_free(&t.tables);
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
        k = utf8_seq(s + i, n - i);
        if (k == 0)
            return vault_err(VAULT_EINVAL, "%s: the sealed value for \"%s\" is not valid UTF-8", cfg->path,
                             item->alias);
        need += k == 1 && !literal ? escaped_len(s[i]) : k;
    }
    buf = vault_malloc(need);
    if (!buf)
        return vault_err(VAULT_ENOMEM, "%s: out of memory", cfg->path);
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
