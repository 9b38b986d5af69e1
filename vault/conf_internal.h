/* The configuration-file model shared by config.c and the syntax readers
 * (conf_toml.c, conf_properties.c). A reader records, for every secret,
 * the byte span of its value token in the original text; writing back
 * replaces exactly those spans and copies every other byte. */
#ifndef VAULT_CONF_INTERNAL_H
#define VAULT_CONF_INTERNAL_H

#include "internal.h"

typedef struct conf_item {
    vault_config_entry info; /* public view; strings point into this item */
    char *alias;
    char *value;             /* decoded sealed text (SEALED) */
    vault_secret *plain;     /* decoded text between the brackets (PLAIN) */
    size_t start, end;       /* span [start, end) of the value token, quotes included */
    char *replacement;       /* encoded token to write instead, once set */
} conf_item;

typedef struct conf_syntax {
    const char *name; /* "TOML", "properties" */
    /* Fill cfg->items and cfg->refs from cfg->text. */
    int (*read)(vault_config *cfg);
    /* Encode a sealed value as a token for item's span, keeping the
     * item's quoting style; *out is vault_malloc'ed. */
    int (*encode)(const vault_config *cfg, const conf_item *item, const char *sealed, char **out);
} conf_syntax;

struct vault_config {
    char *path;
    vault_config_type type;
    const conf_syntax *syntax;
    unsigned char *text; /* the original bytes, NUL-terminated */
    size_t len;
    conf_item **items;
    size_t count, cap;
    vault_config_ref *refs;
    size_t ref_count, ref_cap;
};

extern const conf_syntax conf_toml_syntax;
extern const conf_syntax conf_properties_syntax;

/* Add a secret whose value token spans [start, end); alias_len bytes of
 * alias (already decoded). A duplicate alias is a VAULT_EFORMAT error
 * naming file and line. */
int conf_add_item(vault_config *cfg, const char *alias, size_t alias_len, size_t start, size_t end,
                  unsigned int line, conf_item **out);

/* Set an item's decoded value text: "[...]" makes it PLAIN (the text
 * between the first '[' and the last ']' kept in guarded memory), "" or
 * "[]" EMPTY, anything else SEALED. The decoded buffer stays the caller's. */
int conf_item_set_decoded(conf_item *item, const char *decoded, size_t len);

/* Record a $secret{alias} reference. */
int conf_add_ref(vault_config *cfg, const char *alias, size_t alias_len, unsigned int line);

/* Scan text [p, p+n) for $secret{...} references (helper for readers). */
int conf_scan_refs(vault_config *cfg, const unsigned char *p, size_t n, unsigned int line);

#endif
