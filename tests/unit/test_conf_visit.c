/* SPDX-License-Identifier: Apache-2.0 */
/* A config read item by item (conf_parse_visit()) instead of into a model,
 * and the check of a streamed text walked against the model it came from
 * (conf_check_streamed_*). The expected aliases, states, values and lines
 * are written out by hand from the texts below; every way a new text can
 * differ from what was written must fail the check. */
#include "conf_internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEN 8

typedef struct seen {
    size_t n;
    size_t index[MAX_SEEN];
    char *alias[MAX_SEEN];
    char *value[MAX_SEEN];
    vault_value_state state[MAX_SEEN];
    unsigned int line[MAX_SEEN];
    size_t stop_at; /* the visitor fails at this item (0: never) */
} seen;

static int record(const vault_config *cfg, const conf_item *item, size_t i, void *payload)
{
    seen *s = payload;

    (void)cfg;
    if (s->stop_at && i + 1 == s->stop_at)
        return vault__err(VAULT_EFORMAT, "stopped at %zu", i);
    cr_assert_lt(s->n, MAX_SEEN);
    s->index[s->n] = i;
    s->alias[s->n] = strdup(item->info.alias);
    s->value[s->n] = item->info.value ? strdup(item->info.value) : NULL;
    s->state[s->n] = item->info.state;
    s->line[s->n] = item->info.line;
    s->n++;
    return 0;
}

static void seen_free(seen *s)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        free(s->alias[i]);
        free(s->value[i]);
    }
}

static unsigned char *owned(const char *text, size_t *len)
{
    unsigned char *p;
    *len = strlen(text);
    p = vault__malloc(*len + 1);
    cr_assert_not_null(p);
    memcpy(p, text, *len + 1);
    return p;
}

static const char toml_text[] = "[server]\n"
                                "hostname = \"$secret{db}\"\n"
                                "\n"
                                "[secrets]\n"
                                "db = \"[one]\"\n"
                                "'quoted.key' = 'sealed-literal'\n"
                                "esc = \"a\\u0041b\"\n"
                                "none = \"\"\n";

Test(conf_visit, toml_items_in_order_none_kept)
{
    seen s = {0};
    vault_config *re = NULL;
    size_t len;
    unsigned char *text = owned(toml_text, &len);

    cr_assert_eq(conf_parse_visit(&re, "deployment.toml", VAULT_CONFIG_TOML, text, len, record, &s), 0, "%s",
                 vault_error_last()->message);
    cr_assert_eq(s.n, 4);
    cr_assert_eq(re->visited, 4);
    cr_assert_leq(re->count, 1, "the items are not kept");
    cr_assert_eq(re->ref_count, 1);
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(s.index[i], i);
    cr_assert_str_eq(s.alias[0], "db");
    cr_assert_eq(s.state[0], VAULT_VALUE_PLAIN);
    cr_assert_eq(s.line[0], 5);
    cr_assert_str_eq(s.alias[1], "quoted.key");
    cr_assert_eq(s.state[1], VAULT_VALUE_SEALED);
    cr_assert_str_eq(s.value[1], "sealed-literal");
    cr_assert_eq(s.line[1], 6);
    cr_assert_str_eq(s.alias[2], "esc");
    cr_assert_str_eq(s.value[2], "aAb");
    cr_assert_eq(s.state[3], VAULT_VALUE_EMPTY);
    cr_assert_eq(s.line[3], 8);
    seen_free(&s);
    vault_config_free(re);
}

Test(conf_visit, properties_items_in_order)
{
    seen s = {0};
    vault_config *re = NULL;
    size_t len;
    unsigned char *text = owned("# comment\nfirst=[plain one]\nsecond = c2VhbGVk\nthird\\ key=xyz\n", &len);

    cr_assert_eq(
        conf_parse_visit(&re, "cipher-text.properties", VAULT_CONFIG_PROPERTIES, text, len, record, &s), 0,
        "%s", vault_error_last()->message);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(s.alias[0], "first");
    cr_assert_eq(s.state[0], VAULT_VALUE_PLAIN);
    cr_assert_eq(s.line[0], 2);
    cr_assert_str_eq(s.alias[1], "second");
    cr_assert_str_eq(s.value[1], "c2VhbGVk");
    cr_assert_str_eq(s.alias[2], "third key");
    cr_assert_str_eq(s.value[2], "xyz");
    seen_free(&s);
    vault_config_free(re);
}

Test(conf_visit, visitor_error_stops_the_read)
{
    seen s = {0};
    vault_config *re = NULL;
    size_t len;
    unsigned char *text = owned(toml_text, &len);

    s.stop_at = 2;
    cr_assert_eq(conf_parse_visit(&re, "deployment.toml", VAULT_CONFIG_TOML, text, len, record, &s),
                 VAULT_EFORMAT);
    cr_assert_null(re);
    cr_assert_eq(s.n, 1, "no item after the failing one is visited");
    cr_assert_str_eq(vault_error_last()->message, "stopped at 1");
    seen_free(&s);
}

Test(conf_visit, syntax_error_after_items_fails)
{
    seen s = {0};
    vault_config *re = NULL;
    size_t len;
    unsigned char *text = owned("[secrets]\na = \"x\"\nb = \"unterminated\n", &len);

    cr_assert_neq(conf_parse_visit(&re, "deployment.toml", VAULT_CONFIG_TOML, text, len, record, &s), 0);
    cr_assert_null(re);
    seen_free(&s);
}

/* ---- the streamed check ---- */

static const char orig_text[] = "[x]\n"
                                "a = \"$secret{s1}\"\n"
                                "[secrets]\n"
                                "s1 = \"[one]\"\n"
                                "s2 = \"kept-sealed\"\n"
                                "s3 = \"[three]\"\n";

/* s1 and s3 are the new values. */
static int changed_1_3(size_t i, void *payload)
{
    (void)payload;
    return i == 0 || i == 2;
}

typedef struct walk {
    conf_stream_check check;
} walk;

static int walk_item(const vault_config *re, const conf_item *item, size_t i, void *payload)
{
    return conf_check_streamed_item(&((walk *)payload)->check, re, item, i);
}

/* Check new_text against orig_text, the new values written being w1 and w3. */
static int check_new(const char *new_text, const char *w1, const char *w3)
{
    vault_config *cfg = NULL, *re = NULL;
    unsigned char digest[crypto_generichash_BYTES];
    crypto_generichash_state st;
    walk w;
    size_t len;
    unsigned char *text = owned(new_text, &len);
    int rc;

    cr_assert_eq(vault_config_parse(&cfg, "deployment.toml", VAULT_CONFIG_TOML, orig_text, strlen(orig_text)),
                 0);
    crypto_generichash_init(&st, NULL, 0, sizeof digest);
    crypto_generichash_update(&st, (const unsigned char *)w1, strlen(w1) + 1);
    crypto_generichash_update(&st, (const unsigned char *)w3, strlen(w3) + 1);
    crypto_generichash_final(&st, digest, sizeof digest);
    conf_check_streamed_begin(&w.check, cfg, changed_1_3, NULL);
    conf_drop_items(cfg); /* the check holds what it needs of the model */
    rc = conf_parse_visit(&re, "deployment.toml", VAULT_CONFIG_TOML, text, len, walk_item, &w);
    if (rc == 0)
        rc = conf_check_streamed_end(&w.check, re, digest);
    vault_config_free(re);
    vault_config_free(cfg);
    return rc;
}

Test(conf_visit, streamed_check_accepts_what_was_written)
{
    cr_assert_eq(
        check_new("[x]\na = \"$secret{s1}\"\n[secrets]\ns1 = \"N1\"\ns2 = \"kept-sealed\"\ns3 = \"N3\"\n",
                  "N1", "N3"),
        0, "%s", vault_error_last()->message);
}

Test(conf_visit, streamed_check_refuses_every_difference)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"[x]\na = \"$secret{s1}\"\n[secrets]\ns1 = \"N1\"\ns2 = \"kept-sealed\"\ns3 = \"N4\"\n",
         "do not read back"},
        {"[x]\na = \"$secret{s1}\"\n[secrets]\ns1 = \"N3\"\ns2 = \"kept-sealed\"\ns3 = \"N1\"\n",
         "do not read back"},
        {"[x]\na = \"$secret{s1}\"\n[secrets]\ns1 = \"N1\"\ns2 = \"kept-sealeD\"\ns3 = \"N3\"\n", "changed an alias or a value"},
        {"[x]\na = \"$secret{s1}\"\n[secrets]\ns1 = \"N1\"\nsX = \"kept-sealed\"\ns3 = \"N3\"\n", "changed an alias or a value"},
        {"[x]\na = \"$secret{s1}\"\n[secrets]\ns1 = \"N1\"\ns2 = \"kept-sealed\"\n",
         "2 secrets instead of 3"},
        {"[x]\na = \"$secret{s1}\"\n[secrets]\ns1 = \"N1\"\ns2 = \"kept-sealed\"\ns3 = \"N3\"\ns4 = \"x\"\n",
         "more than 3"},
        {"[x]\na = \"s1\"\n[secrets]\ns1 = \"N1\"\ns2 = \"kept-sealed\"\ns3 = \"N3\"\n", "references"},
        {"[x]\na = \"$secret{s1}\"\n[secrets]\ns1 = \"[N1]\"\ns2 = \"kept-sealed\"\ns3 = \"N3\"\n",
         "as sealed"},
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(check_new(bad[i].text, "N1", "N3"), VAULT_ERROR, "case %zu passed", i);
        cr_assert_not_null(strstr(vault_error_last()->message, bad[i].why), "case %zu: %s", i,
                           vault_error_last()->message);
    }
}
