/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the configuration scanners (deployment.toml and Java
 * properties), each run on the whole input.
 *
 * Invariants checked (abort() on failure, so that libFuzzer reports them):
 * - rendering an unchanged file gives back the input byte for byte;
 * - vault_config_find() finds every alias at its own index;
 * - after every PLAIN secret is replaced by a fixed sealed-looking value,
 *   the rendered text parses again, with the same aliases in the same
 *   order, those values read back exactly, the other values unchanged and
 *   the same number of $secret{} references.
 */
#include <vault/config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a sealer would write, plus one value with every character the
 * encoders must escape (a leading blank and separator, quotes, a
 * backslash, a tab, non-ASCII). */
static const char *const sealed_values[] = {
    "vault:v1:AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v",
    "eyJjIjoiZmFrZSIsInQiOiJSU0EifQ+/==",
    " =:x\"y'z\\ #!\t\xC3\xA9 end",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void fail(const char *what, const char *name)
{
    const vault_error *e = vault_error_last();
    fprintf(stderr, "fuzz_config: %s: invariant broken: %s (%s)\n", name, what,
            e ? e->message : "no error recorded");
    abort();
}

static void walk(const vault_config *cfg, const char *name)
{
    const vault_config_entry *e;
    const vault_config_ref *r;
    const char *setting;
    vault_secret *plain = NULL;
    size_t i, at;

    for (i = 0; i < vault_config_count(cfg); i++) {
        if (vault_config_entry_at(&e, cfg, i) != 0)
            fail("entry_at in range", name);
        if (vault_config_find(&at, cfg, e->alias) != 0 || at != i)
            fail("find gives the entry's own index", name);
        if (e->state == VAULT_VALUE_PLAIN && vault_config_plaintext(&plain, cfg, i) != 0)
            fail("plaintext of a PLAIN entry", name);
        vault_secret_free(plain);
        plain = NULL;
    }
    for (i = 0; i < vault_config_ref_count(cfg); i++)
        if (vault_config_ref_at(&r, cfg, i) != 0 || !r->alias)
            fail("ref_at in range", name);
    (void)vault_config_setting(&setting, cfg, "keystore.primary.file_name");
}

static void check_unchanged_render(const vault_config *cfg, const uint8_t *data, size_t size,
                                   const char *name)
{
    char *out = NULL;
    size_t len = 0;

    if (vault_config_render(&out, &len, cfg) != 0)
        fail("render of an unchanged file", name);
    if (len != size || memcmp(out, data, size) != 0)
        fail("render of an unchanged file gives back the input", name);
    vault_string_free(out);
}

/* An entry as it was before vault_config_set() changed the config. */
typedef struct saved_entry {
    char *alias;
    char *value;
    vault_value_state state;
} saved_entry;

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        abort();
    return memcpy(d, s, n);
}

static saved_entry *save_entries(const vault_config *cfg)
{
    size_t i, n = vault_config_count(cfg);
    saved_entry *s = calloc(n + 1, sizeof *s);
    const vault_config_entry *e;

    if (!s)
        abort();
    for (i = 0; i < n; i++) {
        if (vault_config_entry_at(&e, cfg, i) != 0)
            abort();
        s[i].alias = dup(e->alias);
        s[i].value = e->value ? dup(e->value) : NULL;
        s[i].state = e->state;
    }
    return s;
}

static void free_entries(saved_entry *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(s[i].alias);
        free(s[i].value);
    }
    free(s);
}

/* The sealed value entry i has after round_trip(), NULL for EMPTY. */
static const char *expected_value(const saved_entry *s, size_t i)
{
    return s->state == VAULT_VALUE_PLAIN ? sealed_values[i % COUNT(sealed_values)] : s->value;
}

static void check_reread(const vault_config *cfg, const saved_entry *before, const char *text, size_t len,
                         const char *name)
{
    vault_config *re = NULL;
    const vault_config_entry *e;
    size_t i;

    if (vault_config_parse(&re, name, vault_config_get_type(cfg), text, len) != 0)
        fail("the rendered text parses again", name);
    if (vault_config_count(re) != vault_config_count(cfg))
        fail("same number of secrets after render", name);
    for (i = 0; i < vault_config_count(re); i++) {
        const char *want = expected_value(&before[i], i);
        if (vault_config_entry_at(&e, re, i) != 0 || strcmp(e->alias, before[i].alias) != 0)
            fail("same aliases in the same order after render", name);
        if (want && (e->state != VAULT_VALUE_SEALED || strcmp(e->value, want) != 0))
            fail("sealed values read back as set", name);
        if (!want && e->state != before[i].state)
            fail("other values unchanged", name);
    }
    if (vault_config_ref_count(re) != vault_config_ref_count(cfg))
        fail("same number of references after render", name);
    vault_config_free(re);
}

static void round_trip(vault_config *cfg, const char *name)
{
    size_t i, n = vault_config_count(cfg), len = 0;
    saved_entry *before = save_entries(cfg);
    char *out = NULL;

    for (i = 0; i < n; i++)
        if (before[i].state == VAULT_VALUE_PLAIN &&
            vault_config_set(cfg, i, sealed_values[i % COUNT(sealed_values)]) != 0)
            fail("set a sealed value", name);
    if (vault_config_render(&out, &len, cfg) != 0)
        fail("render after set", name);
    check_reread(cfg, before, out, len, name);
    vault_string_free(out);
    free_entries(before, n);
}

static void run(const uint8_t *data, size_t size, vault_config_type type, const char *name)
{
    vault_config *cfg = NULL;

    if (vault_config_parse(&cfg, name, type, data, size) != 0)
        return;
    walk(cfg, name);
    check_unchanged_render(cfg, data, size, name);
    round_trip(cfg, name);
    vault_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, VAULT_CONFIG_TOML, "fuzz.toml");
    run(data, size, VAULT_CONFIG_PROPERTIES, "fuzz.properties");
    return 0;
}
