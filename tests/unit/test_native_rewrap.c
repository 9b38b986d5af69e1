/* SPDX-License-Identifier: Apache-2.0 */
/* Rewrapping native values (vault_rewrapper, FORMAT.md 5.4): recipients
 * added and removed without re-encrypting, on the known-answer values. */
#include "testutil.h"
#include "token.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MAX_VALUES 8

typedef struct kv {
    char alias[64];
    char pt_hex[4096];
    char *value;
} kv;

static kv values[MAX_VALUES];
static size_t nvalues;
static vault_keystore *ks[2];
static vault_recipient *rc_[2];

static const char *vector_path(const char *name)
{
    static char path[4096];
    const char *src = getenv("VAULT_SOURCE");
    snprintf(path, sizeof path, "%s/tests/vectors/native/%s", src ? src : ".", name);
    return path;
}

/* The 'ok' rows of kat.tsv sealed for key 1 alone in one session. */
static void load_values(void)
{
    FILE *f = fopen(vector_path("kat.tsv"), "r");
    char line[16384];

    cr_assert(f != NULL, "kat.tsv");
    while (fgets(line, sizeof line, f) && nvalues < MAX_VALUES) {
        char *fld[6] = {NULL}, *p = line;
        size_t i;
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "ok\t1\t", 5) != 0)
            continue;
        for (i = 0; i < 6 && p; i++) {
            fld[i] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        cr_assert(fld[4] != NULL);
        if (strcmp(fld[2], "dr.secret") == 0)
            continue; /* another session */
        snprintf(values[nvalues].alias, sizeof values[nvalues].alias, "%s", fld[2]);
        snprintf(values[nvalues].pt_hex, sizeof values[nvalues].pt_hex, "%s", fld[3]);
        values[nvalues++].value = strdup(fld[4]);
    }
    fclose(f);
}

static void setup(void)
{
    int k;
    cr_assert_eq(vault_init(), 0);
    for (k = 0; k < 2; k++) {
        cr_assert_eq(vault_keystore_open(&ks[k], vector_path(k ? "kat-key2.pem" : "kat-key.pem"),
                                         NULL), 0, "%s",
                     vault_error_last()->message);
        cr_assert_eq(vault_recipient_from_keystore(&rc_[k], ks[k], NULL), 0);
    }
    load_values();
    cr_assert_eq(nvalues, 6);
}

static void teardown(void)
{
    size_t i;
    for (i = 0; i < nvalues; i++)
        free(values[i].value);
    nvalues = 0;
    for (i = 0; i < 2; i++) {
        vault_recipient_free(rc_[i]);
        vault_keystore_free(ks[i]);
    }
}

TestSuite(rewrap, .init = setup, .fini = teardown);

static size_t decode(const char *v, unsigned char **bin)
{
    size_t tl = strlen(v), n = 0;
    cr_assert_eq(strncmp(v, "vault:v1:", 9), 0);
    *bin = malloc(tl);
    cr_assert_eq(sodium_base642bin(*bin, tl, v + 9, tl - 9, NULL, &n, NULL, B64URL), 0);
    return n;
}

/* Offset of the commitment, from FORMAT.md §4. */
static size_t commitment_at(const unsigned char *bin)
{
    size_t off = 3, i;
    for (i = 0; i < bin[2]; i++)
        off += 35 + ((size_t)bin[off + 33] << 8 | bin[off + 34]);
    return off;
}

/* Everything from the commitment on is byte-identical; the stanzas differ. */
static void assert_same_payload(const char *a, const char *b, unsigned want_count)
{
    unsigned char *x, *y;
    size_t nx = decode(a, &x), ny = decode(b, &y), cx = commitment_at(x), cy = commitment_at(y);
    cr_assert_eq(y[2], want_count);
    cr_assert_eq(nx - cx, ny - cy);
    cr_assert_eq(memcmp(x + cx, y + cy, nx - cx), 0, "commitment, nonce and ciphertext kept");
    cr_assert_eq(memcmp(x, y, 2), 0, "version and aead kept");
    cr_assert(cx != cy || memcmp(x, y, cx) != 0, "the stanzas changed");
    free(x);
    free(y);
}

static int open_with(int k, const kv *v, const char *value)
{
    vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *op = NULL;
    vault_secret *s = NULL;
    char hex[8193];
    int rc;

    o.keystore = ks[k];
    cr_assert_eq(vault_opener_new(&op, &o), 0);
    rc = vault_opener_open(&s, NULL, op, v->alias, value);
    if (rc == 0) {
        vault__hex(hex, vault_secret_data(s), vault_secret_len(s), 0);
        cr_assert_str_eq(hex, v->pt_hex, "%s", v->alias);
    } else {
        cr_assert_null(s);
    }
    vault_secret_free(s);
    vault_opener_free(op);
    return rc;
}

static char **rewrap_all(const vault_rewrap_options *o, char **in)
{
    vault_rewrapper *rw = NULL;
    char **out = calloc(nvalues, sizeof *out);
    size_t i;
    int rc = vault_rewrapper_new(&rw, o);
    cr_assert_eq(rc, 0, "%s", rc ? vault_error_last()->message : "");
    for (i = 0; i < nvalues; i++) {
        rc = vault_rewrapper_rewrap(&out[i], rw, values[i].alias, in[i]);
        cr_assert_eq(rc, 0, "%s: %s", values[i].alias, rc ? vault_error_last()->message : "");
    }
    vault_rewrapper_free(rw);
    return out;
}

static void free_all(char **v)
{
    size_t i;
    for (i = 0; i < nvalues; i++)
        vault_string_free(v[i]);
    free(v);
}

Test(rewrap, add_then_remove_a_recipient)
{
    vault_rewrap_options o = VAULT_REWRAP_OPTIONS_INIT;
    const vault_recipient *add[1] = {rc_[1]};
    const char *remove[1];
    char *orig[MAX_VALUES], **both, **only2;
    unsigned long before;
    size_t i;

    for (i = 0; i < nvalues; i++)
        orig[i] = values[i].value;
    o.keystore = ks[0];
    o.add = add;
    o.add_count = 1;
    before = vault__test_private_key_ops();
    both = rewrap_all(&o, orig);
    /* one session: one unwrap for all six values */
    cr_assert_eq(vault__test_private_key_ops() - before, 1);
    for (i = 0; i < nvalues; i++) {
        assert_same_payload(orig[i], both[i], 2);
        cr_assert_eq(open_with(0, &values[i], both[i]), 0);
        cr_assert_eq(open_with(1, &values[i], both[i]), 0);
        cr_assert_eq(open_with(1, &values[i], orig[i]), VAULT_EKEY);
    }
    /* the new key removes the old one */
    remove[0] = vault_recipient_key_id(rc_[0]);
    cr_assert_str_eq(remove[0], "431d118a8c2dad6b2a0c0c43236f9c1179006b0e498e5e548e3f20eb04be58a4");
    memset(&o, 0, sizeof o);
    o.version = VAULT_REWRAP_OPTIONS_VERSION;
    o.keystore = ks[1];
    o.remove_key_ids = remove;
    o.remove_count = 1;
    only2 = rewrap_all(&o, both);
    for (i = 0; i < nvalues; i++) {
        assert_same_payload(orig[i], only2[i], 1);
        cr_assert_eq(open_with(1, &values[i], only2[i]), 0);
        cr_assert_eq(open_with(0, &values[i], only2[i]), VAULT_EKEY);
    }
    free_all(both);
    free_all(only2);
}

Test(rewrap, replace_and_refusals)
{
    vault_rewrap_options o = VAULT_REWRAP_OPTIONS_INIT;
    const vault_recipient *add[1] = {rc_[1]};
    const char *bad_id[1] = {"431d118a"};
    const char *remove[1];
    vault_rewrapper *rw = NULL;
    char *out = NULL, *tampered;

    /* replace: only the new recipient */
    o.keystore = ks[0];
    o.add = add;
    o.add_count = 1;
    o.replace = 1;
    cr_assert_eq(vault_rewrapper_new(&rw, &o), 0);
    cr_assert_eq(vault_rewrapper_rewrap(&out, rw, values[1].alias, values[1].value), 0);
    assert_same_payload(values[1].value, out, 1);
    cr_assert_eq(open_with(1, &values[1], out), 0);
    cr_assert_eq(open_with(0, &values[1], out), VAULT_EKEY);
    vault_string_free(out);
    /* the wrong alias, a tampered value, a WSO2 value: nothing comes out */
    cr_assert_eq(vault_rewrapper_rewrap(&out, rw, "other", values[1].value), VAULT_EAUTH);
    cr_assert_null(out);
    tampered = strdup(values[1].value);
    tampered[strlen(tampered) - 3] = tampered[strlen(tampered) - 3] == 'A' ? 'B' : 'A';
    cr_assert_eq(vault_rewrapper_rewrap(&out, rw, values[1].alias, tampered), VAULT_EAUTH);
    cr_assert_null(out);
    free(tampered);
    cr_assert_eq(vault_rewrapper_rewrap(&out, rw, "x", "aGVsbG8="), VAULT_EFORMAT);
    vault_rewrapper_free(rw);
    /* a key that is not a recipient */
    memset(&o, 0, sizeof o);
    o.version = VAULT_REWRAP_OPTIONS_VERSION;
    o.keystore = ks[1];
    o.add = add;
    o.add_count = 1;
    cr_assert_eq(vault_rewrapper_new(&rw, &o), 0);
    cr_assert_eq(vault_rewrapper_rewrap(&out, rw, values[1].alias, values[1].value), VAULT_EKEY);
    vault_rewrapper_free(rw);
    /* removing the only recipient */
    remove[0] = vault_recipient_key_id(rc_[0]);
    memset(&o, 0, sizeof o);
    o.version = VAULT_REWRAP_OPTIONS_VERSION;
    o.keystore = ks[0];
    o.remove_key_ids = remove;
    o.remove_count = 1;
    cr_assert_eq(vault_rewrapper_new(&rw, &o), 0);
    cr_assert_eq(vault_rewrapper_rewrap(&out, rw, values[1].alias, values[1].value), VAULT_EINVAL);
    vault_rewrapper_free(rw);
    o.remove_key_ids = bad_id;
    cr_assert_eq(vault_rewrapper_new(&rw, &o), VAULT_EINVAL);
}
