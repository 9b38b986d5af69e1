/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration-file model built by conf_model.c and used by config.c
 * and the syntax readers (conf_toml.c, conf_properties.c). A reader
 * records, for every secret, the byte span of its value token in the
 * original text; writing back replaces exactly those spans and copies
 * every other byte. */
#ifndef VAULT_CONF_INTERNAL_H
#define VAULT_CONF_INTERNAL_H

#include "hashmap.h"
#include "internal.h"

#include <sodium.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Largest configuration file vault_config_open() reads. */
#define CONF_MAX_FILE (64u * 1024u * 1024u)

/* One per secret, and files hold 100,000 of them: 64 bytes on LP64.
 * Offsets are 32 bits (a file is at most CONF_MAX_FILE bytes, and so is its
 * plaintext arena); the alias and the sealed value are info's pointers, not
 * copies of them; the owning config is passed along, not kept in each item;
 * items are carved from blocks (conf_item_block), not allocated one by one. */
typedef struct conf_item {
    /* public view: info.alias, and info.value for SEALED (the decoded
     * sealed text), are owned by the item unless *_in_text says they
     * point into cfg->text */
    vault_config_entry info;
    uint32_t plain_off;  /* decoded text between the brackets (PLAIN): */
    uint32_t plain_len;  /* cfg->plain[plain_off .. +plain_len) */
    uint32_t start, end; /* span [start, end) of the value token, quotes included */
    char *replacement;   /* encoded token to write instead, once set; NULL with wrap */
    char wrap;         /* set instead of replacement when the token is only the
                          value between two of these quotes: kept once, not twice */
    unsigned char value_in_text; /* info.value points into cfg->text (a config opened for reading) */
    unsigned char alias_kept;    /* info.alias lives as long as the config (in cfg->text or
                                    its alias arena), not freed with the item */
} conf_item;

/* A read whose items are handed over one at a time instead of kept
 * (conf_parse_visit()): the visitor sees item i whole, its value decoded,
 * before item i + 1 is read, and the item is then reused. */
typedef int (*conf_item_visitor)(const vault_config *cfg, const conf_item *item, size_t i, void *payload);

typedef struct conf_syntax {
    const char *name; /* "TOML", "properties" */
    /* Fill cfg->items and cfg->refs from cfg->text. */
    int (*read)(vault_config *cfg);
    /* Encode a sealed value as a token for item's span, keeping the
     * item's quoting style; *out is vault__malloc'ed. */
    int (*encode)(const vault_config *cfg, const conf_item *item, const char *sealed, char **out);
} conf_syntax;

struct vault_config {
    char *path;
    vault_config_type type;
    const conf_syntax *syntax;
    unsigned char *text; /* the original bytes, NUL-terminated */
    size_t len;
    conf_item **items; /* in file order: spans ascending, never overlapping */
    size_t count, cap;
    struct conf_item_block *item_blocks; /* where the items live (conf_model.c) */
    struct conf_alias_block *alias_blocks; /* the aliases not read in text: one allocation
                                              for many, not one each (conf_model.c) */
    vault_config_ref *refs;
    size_t ref_count, ref_cap;
    /* Alias index (hashmap.h, keyed SipHash under hash_key) of the items.
     * Kept by conf_add_item(); readers do not touch it. */
    vault__hashmap index; /* a file of CONF_MAX_FILE bytes has fewer items than 2^32 */
    unsigned char hash_key[16];
    /* Every PLAIN text of the file in one guarded region (sodium_malloc:
     * one per secret would cost pages and mappings per secret), read-only
     * once the file is read, wiped on free. */
    unsigned char *plain;
    size_t plain_len, plain_cap;
    int plain_readonly;
    vault_store *plain_pool; /* vault_config_plaintext()'s copies: no guarded region each */
    int from_file; /* text is what the file held when read (for save) */
    dev_t file_dev; /* the inode read, which save replaces */
    ino_t file_ino;
    /* Opened for reading only (conf_open_for_reading): sealed values are
     * decoded over their own tokens in text, so that the file is held once,
     * not twice; text is then no longer the file, and render and save
     * refuse. Readers that cannot decode in place copy as usual. */
    int for_reading;
    /* One-line string values outside the secrets, by their full dotted
     * key ("keystore.primary.file_name"): what a reader of the file needs
     * to find its keystore. TOML only. */
    struct conf_setting {
        char *key;
        char *value;
    } *settings;
    size_t setting_count, setting_cap;
    char **warnings; /* conf_warn(): the first CONF_MAX_WARNINGS notes */
    size_t warning_count, warnings_dropped;
    char *warnings_more; /* vault_config_warning_at(): "... more" */
    /* Visiting (conf_parse_visit()): items[0] is the one item, handed to
     * visit when the next one starts and when the text ends; visited
     * counts them. No alias index is kept: the visitor judges duplicates. */
    conf_item_visitor visit;
    void *visit_payload;
    size_t visited;
};

extern const conf_syntax conf_toml_syntax;
extern const conf_syntax conf_properties_syntax;

/* The index of the item named alias (len bytes) in *index: 0, or
 * VAULT_ENOTFOUND, not recorded (conf_model.c). */
int conf_index_find(size_t *index, const vault_config *cfg, const char *alias, size_t len);

/* Whether an item has a new token, and the token: its length, and its
 * bytes written to out when out is not NULL (conf_model.c). */
int conf_item_replaced(const conf_item *item);
size_t conf_item_token(const conf_item *item, char *out);

/* Free an item's decoded value and reset it to none (conf_model.c). */
void conf_item_clear_value(conf_item *item);

/* Free every item's own allocations and the blocks they live in. */
void conf_items_free(vault_config *cfg);

/* Free the alias arena (with the config, after its items). */
void conf_aliases_free(vault_config *cfg);

/* Forget the items (and the alias index): the config keeps its text,
 * settings and references. A reader of a config opened for reading that
 * has taken what it needs (the runtime) drops its model this way, and the
 * values decoded over the text stay there (conf_model.c). */
void conf_drop_items(vault_config *cfg);

/* Add a secret whose value token spans [start, end); alias_len bytes of
 * alias (already decoded). A duplicate alias, an empty alias or one with a
 * NUL byte is a VAULT_EFORMAT error naming file and line. */
int conf_add_item(vault_config *cfg, const char *alias, size_t alias_len, size_t start, size_t end,
                  unsigned int line, conf_item **out);

/* The same; in a config opened for reading, the alias is moved to
 * cfg->text[alias_at], over the item's own key, when it fits before the
 * value token (alias_at is (size_t)-1 when there is no such place). */
int conf_add_item_at(vault_config *cfg, const char *alias, size_t alias_len, size_t alias_at, size_t start,
                     size_t end, unsigned int line, conf_item **out);

/* The item with this alias, or NULL (no error recorded). */
conf_item *conf_lookup(const vault_config *cfg, const char *alias, size_t alias_len);

/* Set an item's decoded value text: "[...]" makes it PLAIN (the text
 * between the first '[' and the last ']' kept in guarded memory), "" or
 * "[]" EMPTY, anything else SEALED (a sealed text with a NUL byte is a
 * VAULT_EFORMAT error). The decoded buffer stays the caller's. */
int conf_item_set_decoded(vault_config *cfg, conf_item *item, const char *decoded, size_t len);

/* The same in a config opened for reading: the decoded text (len bytes at
 * decoded, which may be anywhere) is moved to cfg->text[at], over the
 * item's own token, and a sealed value stays there. The token's bytes from
 * at on must number at least len + 1. */
int conf_item_set_decoded_in_text(vault_config *cfg, conf_item *item, size_t at, const char *decoded,
                                  size_t len);

/* vault_config_open() for a reader that only reads the entries and the
 * settings (the runtime): see for_reading. */
int conf_open_for_reading(vault_config **out, const char *path, vault_config_type type);

/* Record a string setting (key and value already decoded). A later
 * duplicate key is ignored: TOML forbids it, and the scanner refuses it. */
int conf_add_setting(vault_config *cfg, const char *key, size_t key_len, const char *value,
                     size_t value_len);

/* Note something the operator should hear about (vault_config_warning_at());
 * past CONF_MAX_WARNINGS notes they are only counted. Never the value. */
#define CONF_MAX_WARNINGS 100
int conf_warn(vault_config *cfg, const char *fmt, ...) VAULT_PRINTF(2, 3);

/* Record a $secret{alias} reference. */
int conf_add_ref(vault_config *cfg, const char *alias, size_t alias_len, unsigned int line);

/* Scan text [p, p+n) for $secret{...} references (helper for readers);
 * line is the line of p[0], newlines inside the text are counted. */
int conf_scan_refs(vault_config *cfg, const unsigned char *p, size_t n, unsigned int line);

/* vault_config_save() whose check gets the new content already parsed,
 * so that it is parsed once, not twice, and read-only (values decoded over
 * the new text, not copied): cfg is then left describing the old text, for
 * a caller that frees it next (vault_config_apply()). */
typedef int (*conf_verify_parsed_cb)(const vault_config *reread, void *payload);
int conf_save_checked(vault_config *cfg, conf_verify_parsed_cb verify, void *payload);

/* Where a streamed new content goes (vault_replace_opts.fill): the
 * temporary file of the replacement. */
typedef struct vault_sink vault_sink;

/* Append len bytes to the new content; an error leaves the file as it was. */
int vault__sink_write(vault_sink *sink, const void *data, size_t len);

/* A config's new text written out as its new values are produced
 * (vault_config_apply()): the file's bytes up to each new value's span,
 * then its token. The model itself is not changed. */
typedef struct conf_stream {
    const vault_config *cfg;
    vault_sink *sink;
    size_t pos;  /* bytes of cfg->text written */
    size_t next; /* items before this one are behind */
    crypto_generichash_state digest; /* of the new values, in order */
} conf_stream;

/* Whether a config's items are in file order, as a stream needs. */
int conf_items_ordered(const vault_config *cfg);

void conf_stream_begin(conf_stream *s, const vault_config *cfg, vault_sink *sink);

/* The token for sealed as item i's new value (vault_config_set()'s rules);
 * *out is vault__malloc'ed. */
int conf_encode_sealed(char **out, const vault_config *cfg, size_t i, const char *sealed);

/* Item i's new token (from conf_encode_sealed()) written: i must come
 * after the items written before. sealed is hashed into the digest. */
int conf_stream_put(conf_stream *s, size_t i, const char *token, const char *sealed);

/* The rest of the file written; the digest of the new values to *digest. */
int conf_stream_end(conf_stream *s, unsigned char digest[crypto_generichash_BYTES]);

/* A streamed text read back (re, visited: conf_parse_visit()) against
 * the model it came from, one item at a time, with no second model: the
 * same aliases in the same order and the same references; every value for
 * which changed() is 0 as it was, the others sealed and, in order, of the
 * digest written. begin, then item for each item read back in order, then
 * end once the text is read. begin takes what it needs of the model (a
 * digest of its aliases and kept values, its counts; the path is borrowed):
 * the items may be dropped (conf_drop_items()) before the walk, so that a
 * file of 100,000 secrets is not modelled while its new text is read. */
typedef struct conf_stream_check {
    const char *path;
    size_t count, ref_count;
    int (*changed)(size_t i, void *payload);
    void *payload;
    unsigned char want_skeleton[crypto_generichash_BYTES]; /* aliases and kept values read */
    crypto_generichash_state skeleton; /* the same, of the text read back */
    crypto_generichash_state digest;   /* of the new values read back */
} conf_stream_check;

void conf_check_streamed_begin(conf_stream_check *c, const vault_config *cfg,
                               int (*changed)(size_t i, void *payload), void *payload);
int conf_check_streamed_item(conf_stream_check *c, const vault_config *re, const conf_item *item, size_t i);
int conf_check_streamed_end(conf_stream_check *c, const vault_config *re,
                            const unsigned char digest[crypto_generichash_BYTES]);

/* Parse text (len bytes plus a NUL, vault__malloc'ed: taken, also on
 * failure) read-only, values decoded over it (conf_open_for_reading()). */
int conf_parse_owned(vault_config **out, const char *name, vault_config_type type, unsigned char *text,
                     size_t len);

/* conf_parse_owned() whose items go to visit instead of into the model
 * (a check that walks a new text against the model it came from, without
 * a second model); the visitor's error stops the read and is returned. */
int conf_parse_visit(vault_config **out, const char *name, vault_config_type type, unsigned char *text,
                     size_t len, conf_item_visitor visit, void *payload);

/* Hand the item being read to the visitor (conf_model.c). */
int conf_visit_flush(vault_config *cfg);

/* A fill callback's return for "nothing to write": the replacement stops,
 * the file untouched, and vault__replace_file() returns it. */
#define VAULT__REPLACE_NOTHING 1

/* How vault__replace_file() replaces a file. */
typedef struct vault_replace_opts {
    unsigned int mode;      /* of a new file */
    vault_verify_cb verify; /* may be NULL */
    void *payload;
    int expect_inode;       /* the file must still be dev/ino (the one read) */
    dev_t dev;
    ino_t ino;
    const void *old;        /* when set, the file must still hold these bytes */
    size_t old_len;
    /* Instead of old: the file must still be old_len bytes of this digest
     * (crypto_generichash, 32 bytes), so that a caller need not hold the
     * file's text while the new one is read back. */
    const unsigned char *old_digest;
    int private_out;        /* no link followed; an existing file must be ours, 0600 */
    struct stat *written;   /* when set, receives the file's stat once in place */
    /* Streaming: when fill is set, data is not used; fill writes the new
     * content with vault__sink_write() as it is produced, so that it is
     * never whole in memory. It is read back once, checked against the
     * digest of what was written, and handed to verify_owned, which takes
     * the buffer (len bytes plus a NUL) and frees it, also on failure. */
    int (*fill)(vault_sink *sink, void *payload);
    int (*verify_owned)(unsigned char *data, size_t len, void *payload);
} vault_replace_opts;

int vault__replace_file(const char *path, const void *data, size_t len, const vault_replace_opts *opts);

/* Test hook for kill-during-write tests: when non-zero, vault_file_replace()
 * writes in small chunks and sleeps this many microseconds between them.
 * Only tests set it; the library never reads the environment. */
extern unsigned int vault__test_write_delay_us;

#endif
