/* SPDX-License-Identifier: Apache-2.0 */
/* Java properties files (cipher-text.properties): the java.util.Properties
 * syntax read losslessly, the span of every value recorded for writing back.
 *
 * The scanner follows the JDK 17 LineReader/loadConvert code path by path:
 * a logical line is made of physical lines joined by an odd number of
 * backslashes at the end, the leading blanks of each continued line dropped;
 * '#' or '!' starts a comment only where a logical line starts; the key ends
 * at the first unescaped '=', ':' or blank; blanks and one '=' or ':' after
 * it are skipped. Raw bytes are kept as they are (the file is read as UTF-8,
 * as Properties.load(Reader) would with a UTF-8 reader); in a plain value,
 * bytes that are not UTF-8 are read as ISO-8859-1, as Properties.load(
 * InputStream) reads them in the Java tool. */
#include "array.h"
#include "conf_internal.h"
#include "conf_properties.h"

#include <sodium.h>
#include <string.h>

typedef struct pseg {
    size_t start, end;
} pseg;

typedef struct scanner {
    const char *name;
    const unsigned char *text;
    size_t len, pos;
    pseg *segs; /* the current logical line, as spans of the raw text */
    size_t nseg, segcap;
    size_t line_off; /* line_at() memo: line_no is the line at line_off */
    unsigned int line_no;
} scanner;

typedef struct cursor {
    const scanner *sc;
    size_t seg, pos;
} cursor;

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static int is_eol(unsigned char c)
{
    return c == '\r' || c == '\n';
}

/* The physical line of a raw offset; '\n', '\r\n' and a lone '\r' end a line. */
static unsigned int line_at(scanner *sc, size_t off)
{
    size_t i;

    if (off < sc->line_off) {
        sc->line_off = 0;
        sc->line_no = 1;
    }
    for (i = sc->line_off; i < off && i < sc->len; i++) {
        unsigned char c = sc->text[i];
        if (c == '\n' || (c == '\r' && (i + 1 >= sc->len || sc->text[i + 1] != '\n')))
            sc->line_no++;
    }
    sc->line_off = i;
    return sc->line_no;
}

static int seg_open(scanner *sc, size_t at)
{
    if (VAULT_ARRAY_GROW(sc->segs, sc->segcap, sc->nseg + 1) != 0)
        return VAULT_ENOMEM;
    sc->segs[sc->nseg].start = at;
    sc->segs[sc->nseg].end = at;
    sc->nseg++;
    return 0;
}

/* Drop the last character of the line (a continuation backslash). */
static void seg_drop_last(scanner *sc)
{
    pseg *s = &sc->segs[sc->nseg - 1];
    if (--s->end == s->start)
        sc->nseg--;
}

static void skip_comment(scanner *sc)
{
    while (sc->pos < sc->len && !is_eol(sc->text[sc->pos]))
        sc->pos++;
    if (sc->pos < sc->len)
        sc->pos++;
}

/* LineReader.readLine(): the next logical line into sc->segs. Returns 1
 * with a line (possibly empty: a lone backslash at the end of the file),
 * 0 at the end of the text, or a negative error. */
static int read_line(scanner *sc)
{
    size_t len = 0;
    int skip = 1, appended = 0, bs = 0, open = 0, rc;

    sc->nseg = 0;
    while (sc->pos < sc->len) {
        unsigned char c = sc->text[sc->pos];
        if (skip) {
            if (is_blank(c) || (!appended && is_eol(c))) {
                sc->pos++;
                continue;
            }
            skip = 0;
            appended = 0;
        }
        if (len == 0 && (c == '#' || c == '!')) {
            skip_comment(sc);
            skip = 1;
            continue;
        }
        sc->pos++;
        if (!is_eol(c)) {
            if (!open && (rc = seg_open(sc, sc->pos - 1)) != 0)
                return rc;
            open = 1;
            sc->segs[sc->nseg - 1].end = sc->pos;
            len++;
            bs = c == '\\' ? !bs : 0;
            continue;
        }
        if (len == 0) {
            skip = 1;
            continue;
        }
        if (sc->pos >= sc->len)
            break;
        if (!bs)
            return 1;
        /* Continuation: the backslash goes, and so do the blanks that
         * start the next line (but not an empty next line). */
        seg_drop_last(sc);
        len--;
        open = 0;
        bs = 0;
        skip = 1;
        appended = 1;
        if (c == '\r' && sc->text[sc->pos] == '\n')
            sc->pos++;
    }
    if (len == 0)
        return 0;
    if (bs)
        seg_drop_last(sc);
    return 1;
}

static void cur_init(cursor *c, const scanner *sc)
{
    c->sc = sc;
    c->seg = 0;
    c->pos = sc->nseg ? sc->segs[0].start : sc->pos;
}

static int cur_more(const cursor *c)
{
    return c->seg < c->sc->nseg;
}

static unsigned char cur_get(const cursor *c)
{
    return c->sc->text[c->pos];
}

static void cur_next(cursor *c)
{
    if (++c->pos >= c->sc->segs[c->seg].end && ++c->seg < c->sc->nseg)
        c->pos = c->sc->segs[c->seg].start;
}

static size_t line_length(const scanner *sc)
{
    size_t i, n = 0;
    for (i = 0; i < sc->nseg; i++)
        n += sc->segs[i].end - sc->segs[i].start;
    return n;
}

/* The xxxx of a \uxxxx escape whose 'u' was just consumed; *left counts the
 * logical characters left in the key or value. */
static int read_u4(cursor *c, size_t *left, unsigned int *unit)
{
    int i, h;

    if (*left < 4)
        return -1;
    *unit = 0;
    for (i = 0; i < 4; i++) {
        if (!cur_more(c) || (h = vault__hex_digit(cur_get(c))) < 0)
            return -1;
        *unit = *unit << 4 | (unsigned int)h;
        cur_next(c);
    }
    *left -= 4;
    return 0;
}

/* A \uxxxx escape (the 'u' consumed) as a code point. Java keeps UTF-16
 * units; a high surrogate escape followed by a low one is one character,
 * an unpaired surrogate is refused rather than turned into '?' as
 * String.getBytes() would. */
static int read_unicode(scanner *sc, cursor *c, size_t *left, size_t at, unsigned long *cp)
{
    unsigned int hi, lo;
    cursor peek;
    size_t peek_left;

    if (read_u4(c, left, &hi) != 0)
        return vault__err(VAULT_EFORMAT, "%s:%u: malformed \\uxxxx escape", sc->name, line_at(sc, at));
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        goto unpaired;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return 0;
    }
    peek = *c;
    peek_left = *left;
    if (peek_left < 2 || !cur_more(&peek) || cur_get(&peek) != '\\')
        goto unpaired;
    cur_next(&peek);
    if (!cur_more(&peek) || cur_get(&peek) != 'u')
        goto unpaired;
    cur_next(&peek);
    peek_left -= 2;
    if (read_u4(&peek, &peek_left, &lo) != 0)
        return vault__err(VAULT_EFORMAT, "%s:%u: malformed \\uxxxx escape", sc->name, line_at(sc, at));
    if (lo < 0xDC00 || lo > 0xDFFF)
        goto unpaired;
    *c = peek;
    *left = peek_left;
    *cp = 0x10000 + ((unsigned long)(hi - 0xD800) << 10) + (lo - 0xDC00);
    return 0;
unpaired:
    return vault__err(VAULT_EFORMAT, "%s:%u: unpaired UTF-16 surrogate in a \\uxxxx escape", sc->name,
                     line_at(sc, at));
}

/* loadConvert(): n logical characters from *c, escapes decoded, into out
 * (room for n bytes plus a NUL: no escape decodes to more bytes than it
 * takes). */
static int decode(scanner *sc, cursor *c, size_t n, unsigned char *out, size_t *out_len)
{
    size_t o = 0;
    int rc;

    while (n > 0 && cur_more(c)) {
        size_t at = c->pos;
        unsigned char ch = cur_get(c);
        unsigned long cp = 0;
        cur_next(c);
        n--;
        if (ch == '\\' && n > 0 && cur_more(c)) {
            ch = cur_get(c);
            cur_next(c);
            n--;
            if (ch == 'u') {
                if ((rc = read_unicode(sc, c, &n, at, &cp)) != 0)
                    return rc;
                if (cp == 0)
                    return vault__err(VAULT_EFORMAT, "%s:%u: NUL character", sc->name, line_at(sc, at));
                o += vault__utf8_put(out + o, cp);
                continue;
            }
            ch = ch == 't' ? '\t' : ch == 'r' ? '\r' : ch == 'n' ? '\n' : ch == 'f' ? '\f' : ch;
        }
        if (ch == 0)
            return vault__err(VAULT_EFORMAT, "%s:%u: NUL character", sc->name, line_at(sc, at));
        out[o++] = ch;
    }
    out[o] = '\0';
    *out_len = o;
    return 0;
}

/* The key ends at the first unescaped '=', ':' or blank; returns the number
 * of logical characters in it and leaves *c at the start of the value. */
static size_t split_key(cursor *c)
{
    size_t key_chars = 0;
    int bs = 0, sep = 0;

    while (cur_more(c)) {
        unsigned char ch = cur_get(c);
        if (!bs && (ch == '=' || ch == ':' || is_blank(ch))) {
            sep = ch != ' ' && ch != '\t' && ch != '\f';
            cur_next(c);
            break;
        }
        bs = ch == '\\' ? !bs : 0;
        key_chars++;
        cur_next(c);
    }
    while (cur_more(c)) {
        unsigned char ch = cur_get(c);
        if (!is_blank(ch)) {
            if (sep || (ch != '=' && ch != ':'))
                break;
            sep = 1;
        }
        cur_next(c);
    }
    return key_chars;
}

static int scan_line(scanner *sc, conf_prop_cb cb, void *payload)
{
    size_t n = line_length(sc), key_chars, value_chars, at;
    unsigned char *key = NULL, *value = NULL;
    conf_prop p;
    cursor c, k;
    int rc;

    memset(&p, 0, sizeof p);
    key = vault__malloc(n + 1);
    value = vault__malloc(n + 1);
    if (!key || !value) {
        rc = vault__oom();
        goto done;
    }
    cur_init(&c, sc);
    k = c;
    at = c.pos;
    key_chars = split_key(&c);
    p.value_end = sc->nseg ? sc->segs[sc->nseg - 1].end : sc->pos;
    p.value_start = cur_more(&c) ? c.pos : p.value_end;
    /* Every logical character not in the key and not yet passed is value. */
    value_chars = n;
    p.line = line_at(sc, at);
    p.value_line = line_at(sc, p.value_start);
    if ((rc = decode(sc, &k, key_chars, key, &p.key_len)) != 0)
        goto done;
    if ((rc = decode(sc, &c, value_chars, value, &p.value_len)) != 0)
        goto done;
    p.key = (const char *)key;
    p.value = (const char *)value;
    rc = cb(&p, payload);
done:
    if (value)
        sodium_memzero(value, n + 1);
    vault__free_ptr(value);
    vault__free_ptr(key);
    return rc;
}

int conf_properties_scan(const char *name, const unsigned char *text, size_t len, conf_prop_cb cb,
                         void *payload)
{
    scanner sc;
    int rc;

    memset(&sc, 0, sizeof sc);
    sc.name = name ? name : "(properties)";
    sc.text = text;
    sc.len = len;
    sc.line_no = 1;
    while ((rc = read_line(&sc)) == 1) {
        if ((rc = scan_line(&sc, cb, payload)) != 0)
            break;
    }
    vault__free_ptr(sc.segs);
    return rc;
}

/* ---- the cipher-text.properties syntax for config.c ---- */

/* Java's Properties.load(InputStream) reads ISO-8859-1: a byte that is not
 * part of valid UTF-8 is taken as the Latin-1 character it is there and
 * written as UTF-8 (what the Java tool seals). *out is NULL when nothing
 * changes; else vault__malloc'ed, to be wiped by the caller. */
static int latin1_to_utf8(const char *v, size_t len, char **out, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)v;
    size_t i, o = 0, k;
    int latin1 = 0;
    char *buf;

    *out = NULL;
    for (i = 0; i < len; i += k)
        if ((k = vault__utf8_next(u + i, len - i, NULL)) == 0) {
            latin1 = 1;
            break;
        }
    if (!latin1)
        return 0;
    if (!(buf = vault__malloc(2 * len + 1)))
        return vault__oom();
    for (i = 0; i < len; i += k) {
        if ((k = vault__utf8_next(u + i, len - i, NULL)) != 0) {
            memcpy(buf + o, u + i, k);
            o += k;
        } else {
            k = 1;
            buf[o++] = (char)(0xc0 | (u[i] >> 6));
            buf[o++] = (char)(0x80 | (u[i] & 0x3f));
        }
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return 0;
}

static int has_high_bytes(const unsigned char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return 1;
    return 0;
}

/* The Java tool's rule for a cipher-text.properties value: when it holds
 * a '[' and a ']' after its first character, the plain text lies between
 * the first '[' and the FIRST ']' ("[a]b]" is a); the whole value is
 * replaced by the sealed one. The value is narrowed to "[...]", which the
 * config model takes for plain text, and read as Java reads the bytes. */
static int set_value(vault_config *cfg, conf_item *item, const conf_prop *p)
{
    const char *v = p->value, *open = memchr(v, '[', p->value_len), *close = memchr(v, ']', p->value_len);
    char *fixed = NULL;
    size_t len, fixed_len = 0;
    int rc;

    if (!open || !close || close <= open)
        return conf_item_set_decoded(cfg, item, v, p->value_len); /* no plain text: a sealed value */
    len = (size_t)(close - open) + 1;
    if ((open != v || close != v + p->value_len - 1) &&
        (rc = conf_warn(cfg,
                        "%s:%u: alias \"%s\": the text outside the brackets is dropped (only the text "
                        "between the first '[' and the first ']' is sealed, as the Java tool does)",
                        cfg->path, p->value_line, item->info.alias)) != 0)
        return rc;
    if ((rc = latin1_to_utf8(open, len, &fixed, &fixed_len)) != 0)
        return rc;
    if (fixed) {
        rc = conf_item_set_decoded(cfg, item, fixed, fixed_len);
        sodium_memzero(fixed, fixed_len);
        vault__free_ptr(fixed);
        return rc;
    }
    /* Valid UTF-8 written as such: sealed as the operator meant it. */
    if (has_high_bytes(cfg->text + p->value_start, p->value_end - p->value_start) &&
        has_high_bytes((const unsigned char *)open, len) &&
        (rc = conf_warn(cfg,
                        "%s:%u: alias \"%s\": non-ASCII text sealed as the UTF-8 it is; the Java tool reads "
                        "this file as ISO-8859-1 and would have sealed other bytes (\\uXXXX escapes read the "
                        "same in both)",
                        cfg->path, p->value_line, item->info.alias)) != 0)
        return rc;
    return conf_item_set_decoded(cfg, item, open, len);
}

static const char secret_alias_prefix[] = "secretAlias:";

static int add_secret(const conf_prop *p, void *payload)
{
    vault_config *cfg = payload;
    size_t prefix = sizeof secret_alias_prefix - 1, n;
    conf_item *item = NULL;
    int rc;

    if (p->key_len == 0)
        return vault__err(VAULT_EFORMAT, "%s:%u: a value without an alias", cfg->path, p->line);
    /* "[text]" or "\"text\"" alone on a line is a value whose alias was
     * left out, not an alias: its text may be the secret, so it is not
     * shown. */
    if (p->value_len == 0 && (p->key[0] == '"' || (p->key[0] == '[' && p->key[p->key_len - 1] == ']')))
        return vault__err(VAULT_EFORMAT, "%s:%u: a value without an alias (write ALIAS=[value])",
                         cfg->path, p->line);
    /* A reference to a secret is not a secret: "secretAlias:NAME" is how
     * WSO2 properties files point at one, $secret{NAME} how TOML does. */
    if (p->value_len >= prefix && memcmp(p->value, secret_alias_prefix, prefix) == 0) {
        n = p->value_len;
        while (n > prefix && is_blank((unsigned char)p->value[n - 1]))
            n--;
        return conf_add_ref(cfg, p->value + prefix, n - prefix, p->value_line);
    }
    if (strstr(p->value, "$secret{"))
        return conf_scan_refs(cfg, (const unsigned char *)p->value, p->value_len, p->value_line);
    rc = conf_add_item(cfg, p->key, p->key_len, p->value_start, p->value_end, p->value_line, &item);
    if (rc != 0)
        return rc;
    return set_value(cfg, item, p);
}

static int props_read(vault_config *cfg)
{
    return conf_properties_scan(cfg->path, cfg->text, cfg->len, add_secret, cfg);
}

/* Whether an empty value span has no separator before it ("key" alone):
 * the character before it is then part of the key, or an escaped
 * separator. */
static int needs_separator(const unsigned char *text, size_t start, size_t end)
{
    size_t i, bs = 0;
    unsigned char c;

    if (start != end)
        return 0;
    if (start == 0)
        return 1;
    c = text[start - 1];
    if (c != '=' && c != ':' && !is_blank(c))
        return 1;
    for (i = start - 1; i > 0 && text[i - 1] == '\\'; i--)
        bs++;
    return bs % 2 == 1;
}

/* Escape what Properties.load() would otherwise read differently: '\\',
 * line breaks, tabs and form feeds, and a leading blank, '=' or ':' (the
 * separator skipping would eat it). Base64's '=' and '/' stay as they are. */
static int props_encode(const vault_config *cfg, const conf_item *item, const char *sealed, char **out)
{
    size_t n = strlen(sealed), i, o = 0;
    char *buf;

    *out = NULL;
    if (n > (SIZE_MAX - 2) / 2)
        return vault__err(VAULT_ENOMEM, "%s: value too long", cfg->path);
    buf = vault__malloc(2 * n + 2);
    if (!buf)
        return vault__oom();
    if (needs_separator(cfg->text, item->start, item->end))
        buf[o++] = '=';
    for (i = 0; i < n; i++) {
        char c = sealed[i];
        const char *esc = c == '\\'   ? "\\\\"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                          : c == '\f' ? "\\f"
                                      : NULL;
        if (esc) {
            buf[o++] = esc[0];
            buf[o++] = esc[1];
            continue;
        }
        if (i == 0 && (c == ' ' || c == '=' || c == ':'))
            buf[o++] = '\\';
        buf[o++] = c;
    }
    buf[o] = '\0';
    *out = buf;
    return 0;
}

const conf_syntax conf_properties_syntax = {"properties", props_read, props_encode};
