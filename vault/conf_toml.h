/* SPDX-License-Identifier: Apache-2.0 */
/* The deployment.toml scanner's state, shared by conf_toml_scan.c (the
 * scanner: helpers, strings, keys, values) and conf_toml.c (the [secrets]
 * table, the encoder). */
#ifndef VAULT_CONF_TOML_H
#define VAULT_CONF_TOML_H

#include "conf_internal.h"

#include <stdint.h>

#define TOML_MAX_DEPTH 64
#define TOML_MAX_PARTS 64

/* The tables that dotted keys in [secrets] create ("a" for a.b = ...): a
 * key may not be both a value and such a table. */
typedef struct strset {
    char **str; /* count strings, in the order added */
    size_t count, cap;
    vault__hashmap index;
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

/* conf_toml_scan.c */
size_t toml_column(const toml *t);
int toml_at(const toml *t, size_t k);
int toml_tb_put(toml *t, tbuf *b, const void *p, size_t n);
void toml_tb_free(tbuf *b);
void toml_skip_ws(toml *t);
int toml_eat_newline(toml *t);
int toml_skip_comment(toml *t);
int toml_set_has(const toml *t, const strset *s, const char *p, size_t n);
int toml_set_add(toml *t, strset *s, const char *p, size_t n);
void toml_set_free(strset *s);
int toml_scan_basic(toml *t, tbuf *out);
int toml_scan_literal(toml *t);
int toml_is_triple(const toml *t, int q);
int toml_parse_key(toml *t);
/* A key, then '=' and the blanks around it. */
int toml_parse_key_eq(toml *t);
int toml_skip_value(toml *t, int depth);
int toml_setting_value(toml *t);

int toml_bad_at(toml *t, unsigned int line, const char *fmt, ...) VAULT_PRINTF(3, 4);
#define bad(t, ...) toml_bad_at((t), (t)->line, __VA_ARGS__)

#endif
