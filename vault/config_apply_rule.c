/* SPDX-License-Identifier: Apache-2.0 */
/* vault_config_apply() in a WSO2 product home: the one algorithm (or
 * symmetric mode) its runtime opens every value with, judged for each new
 * value and for the raw RSA blocks a run keeps; and the proof of the old
 * key that re-sealing raw PKCS#1 v1.5 values needs. */
#include "config_apply_internal.h"
#include "keystore_internal.h"
#include "token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- the WSO2 runtime of the file's home ---- */

/* The WSO2 runtime opens every value of a home with the one algorithm of
 * its secret-conf.properties (or its symmetric mode) and gives the alias
 * name as the secret when a value does not open: the rule of the home, or
 * with VAULT_APPLY_SETS_HOME_ALGORITHM the sealer's, which the caller is
 * about to write there. */
int apply_rule_prepare(apply_run *r)
{
    vault_options vo = VAULT_OPTIONS_INIT;
    rt_location loc;
    int rc = 0;

    if (r->o->sealer)
        cipher_sealer_kind(r->o->sealer, &r->seal_format, &r->seal_transformation);
    /* A secret repository's values are read by libvault, not by that runtime. */
    if ((r->o->flags & VAULT_APPLY_NOT_FOR_WSO2_RUNTIME) || r->file)
        return 0;
    vo.config = r->o->path;
    vo.flags = VAULT_OPEN_WSO2_RULES;
    if (rt_locate(&loc, &vo) == 0) {
        r->rule = loc.rule;
        loc.rule.conf = NULL; /* now ours */
        rt_location_clear(&loc);
    } else {
        /* A file outside any product home has no rule; a home whose
         * secret-conf.properties names no rule that runtime follows
         * (an unknown algorithm or mode) is refused, not left unjudged. */
        vo.flags = 0;
        if (rt_locate(&loc, &vo) == 0) {
            rt_location_clear(&loc);
            vo.flags = VAULT_OPEN_WSO2_RULES; /* again, for its message */
            if ((rc = rt_locate(&loc, &vo)) == 0)
                rt_location_clear(&loc);
            return rc ? rc : vault__err(VAULT_ERROR, "%s: the home's runtime rule cannot be read", r->o->path);
        }
    }
    vault_error_clear();
    if ((r->o->flags & VAULT_APPLY_SETS_HOME_ALGORITHM) && r->o->sealer) {
        r->rule.active = 1;
        r->rule.symmetric = r->seal_format == VAULT_FORMAT_WSO2_SYMMETRIC;
        r->rule.transformation = r->seal_transformation;
        r->rule_is_new = 1;
    }
    return rc;
}

static const char *rule_name(const rt_rule *rule)
{
    return rule->symmetric ? "the symmetric mode (AES-GCM)" : vault_transformation_name(rule->transformation);
}

/* What a value is, for messages: the sealer's kind, else its form. */
static void value_kind(const apply_run *r, const char *value, int by_sealer, char *buf, size_t n)
{
    vault_value_info *info = NULL;
    vault_format f = r->seal_format;

    if (!by_sealer) {
        f = (vault_format)0;
        if (vault_inspect(&info, value) == 0)
            f = info->format;
        vault_value_info_free(info);
        vault_error_clear();
    }
    if (by_sealer && (f == VAULT_FORMAT_WSO2 || f == VAULT_FORMAT_WSO2_HOLDER))
        snprintf(buf, n, "%s%s", vault_transformation_name(r->seal_transformation),
                 f == VAULT_FORMAT_WSO2_HOLDER ? " in the self-contained (holder) form" : "");
    else if (f == VAULT_FORMAT_WSO2_SYMMETRIC)
        snprintf(buf, n, "the symmetric mode (AES-GCM)");
    else
        snprintf(buf, n, "a %s value", f ? vault_format_name(f) : "malformed");
}

static const char *rule_conf(const apply_run *r)
{
    return r->rule.conf ? r->rule.conf : "secret-conf.properties";
}

/* A new value the home's runtime would not open fails, naming the way out;
 * 1 when it did. by_sealer: the run's sealer made it (its kind is known,
 * padding included), else only its form is judged. */
int apply_rule_refuses(apply_run *r, apply_item *it, const char *value, int by_sealer)
{
    char what[128];
    int bad;

    if (!r->rule.active)
        return 0;
    bad = rt_rule_check_form(&r->rule, value) != 0;
    if (!bad && by_sealer && !r->rule.symmetric)
        bad = r->seal_transformation != r->rule.transformation;
    vault_error_clear();
    if (!bad)
        return 0;
    value_kind(r, value, by_sealer, what, sizeof what);
    vault__err(VAULT_EFORMAT,
              "%s: alias \"%s\": the new value would be %s, and the WSO2 runtime of this home opens every "
              "value with %s (%s%s): that server would get the alias name instead of the secret; seal with "
              "%s, or move the whole home to another algorithm together with its secret-conf.properties "
              "(-Drotate), or say that the values are not for the WSO2 runtime",
              vault_config_path(r->cfg), it->alias, what, rule_name(&r->rule),
              r->rule_is_new ? "about to be written to " : "", rule_conf(r), rule_name(&r->rule));
    apply_item_fail(r, it, VAULT_EFORMAT, "not a value the WSO2 runtime of this home opens");
    it->flags |= VAULT_APPLY_WSO2_RUNTIME;
    return 1;
}

/* With the key at hand, a raw RSA block is judged by its padding, as the
 * runtime opens it: an OAEP home's with its one transformation only (else
 * it fails), a PKCS#1 v1.5 home's with every padding (the flags then say
 * which one opened it: implicit rejection never fails). 0 when the home
 * opens it, VAULT_EFORMAT with the reason when not. */
static int rule_check_padding(const apply_run *r, const char *alias, const char *value)
{
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *judge = NULL;
    vault_secret *got = NULL;
    unsigned int flags = 0;
    int rc;

    if (!r->verify || r->rule.symmetric || !r->o->keystore)
        return 0;
    oo.keystore = r->o->keystore;
    oo.key_alias = r->o->key_alias;
    if (r->rule.transformation != VAULT_TRANSFORM_RSA_PKCS1)
        oo.transformation = r->rule.transformation;
    if ((rc = vault_opener_new(&judge, &oo)) == 0) {
        rc = vault_opener_open(&got, &flags, judge, alias, value);
        if (rc != 0)
            rc = vault__err(VAULT_EFORMAT, "it does not open with %s, the one transformation of %s",
                            rule_name(&r->rule), rule_conf(r));
        else
            rc = rt_rule_check_opened(&r->rule, value, flags);
    }
    vault_secret_free(got);
    vault_opener_free(judge);
    return rc;
}

/* VAULT_APPLY_SETS_HOME_ALGORITHM: a sealed value the run leaves as it is
 * must open with the algorithm the home is about to name too (a home never
 * ends up with two): its form, and with the key at hand its padding. */
void apply_rule_check_kept(apply_run *r)
{
    size_t i;
    char what[128], why[512];

    for (i = 0; r->rule_is_new && i < r->n; i++) {
        apply_item *it = &r->items[i];
        const vault_config_entry *e;
        if (it->changed || it->status == VAULT_APPLY_FAILED || it->index == APPLY_NEW_ALIAS ||
            vault_config_entry_at(&e, r->cfg, it->index) != 0 || e->state != VAULT_VALUE_SEALED) {
            vault_error_clear();
            continue;
        }
        if (rt_rule_check_form(&r->rule, e->value) == 0) {
            vault_error_clear();
            if (rule_check_padding(r, it->alias, e->value) == 0)
                continue;
            snprintf(why, sizeof why, "%s", vault_error_last() ? vault_error_last()->message : "");
            vault__err(VAULT_EFORMAT,
                      "%s: alias \"%s\": a raw RSA block of another padding than the home's: %s; "
                      "seal it again (-Dchange) or rotate every value (-Drotate)",
                      vault_config_path(r->cfg), it->alias, why);
            apply_item_fail(r, it, VAULT_EFORMAT, "sealed with another padding than the home's");
            it->flags |= VAULT_APPLY_WSO2_RUNTIME;
            continue;
        }
        vault_error_clear();
        value_kind(r, e->value, 0, what, sizeof what);
        vault__err(VAULT_EFORMAT,
                  "%s: alias \"%s\": sealed as %s, and %s is to name %s for every value of the home: "
                  "rotate every value to it (-Drotate), or keep what the home uses",
                  vault_config_path(r->cfg), it->alias, what, rule_conf(r), rule_name(&r->rule));
        apply_item_fail(r, it, VAULT_EFORMAT, "sealed with another algorithm than the home's");
        it->flags |= VAULT_APPLY_WSO2_RUNTIME;
    }
}

/* ---- rotating raw PKCS#1 v1.5 values of a home ---- */

/* Text as the WSO2 runtime makes it (new String(bytes)): not empty, strict
 * UTF-8, no control character but tab. A wrong RSA key opens a PKCS#1 v1.5
 * block to pseudo-random bytes (implicit rejection), which this refuses
 * but for a small chance per value. */
static int plausible_secret(const vault_secret *s)
{
    const unsigned char *p = s ? vault_secret_data(s) : NULL;
    size_t n = s ? vault_secret_len(s) : 0, i, step;
    unsigned long cp;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i += step) {
        if ((step = vault__utf8_next(p + i, n - i, &cp)) == 0 || (cp < 0x20 && cp != '\t') || cp == 0x7f ||
            (cp >= 0x80 && cp < 0xa0))
            return 0;
    }
    return 1;
}

/* The old key is a key entry of the keystore the file's server is
 * configured with (the alias may be another one than the configured). */
static int key_of_home_keystore(const apply_run *r, char *why, size_t why_len)
{
    vault_options vo = VAULT_OPTIONS_INIT;
    const vault_keystore *ks;
    const vault_keystore_entry *e;
    const char *alias = NULL;
    rt_location loc;
    struct stat ours, theirs;
    int yes = 0;

    ks = vault__opener_keystore(r->o->from, &alias);
    vo.config = r->o->path;
    if (!ks || rt_locate(&loc, &vo) != 0)
        return 0;
    /* Another keystore: why keeps vault_opener_key_is_configured()'s reason. */
    if (!loc.keystore || stat(loc.keystore, &theirs) != 0 || stat(vault_keystore_path(ks), &ours) != 0 ||
        ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino)
        yes = 0;
    else if (vault_keystore_find(&e, ks, alias) != 0 || e->kind != VAULT_ENTRY_PRIVATE_KEY)
        snprintf(why, why_len, "%s: alias \"%s\" is not a key entry of the server's keystore %s", r->o->path,
                 alias ? alias : "", loc.keystore);
    else
        yes = 1;
    rt_location_clear(&loc);
    return yes;
}

#define ACCEPTS_UNPROVEN (VAULT_APPLY_ACCEPT_UNPROVEN_PKCS1 | VAULT_APPLY_ACCEPT_HOME_KEY_PKCS1)

/* After every value was opened: a PKCS#1 v1.5 value that names no key is
 * sealed again only when another value of the run proved the old key, or,
 * when the caller accepts it, the old key is the server's (its configured
 * alias, or with VAULT_APPLY_ACCEPT_HOME_KEY_PKCS1 any key entry of its
 * keystore, as -Drotate -Dold.alias names it) and every such value opened
 * to text. One value that did not refuses them all: a wrong key gives
 * bytes, not text. */
void apply_rotate_proof(apply_run *r)
{
    char why[1024] = "";
    const char *garbled = NULL;
    int allowed = -1;
    size_t i;

    for (i = 0; i < r->n; i++) {
        apply_item *it = &r->items[i];
        if (it->status != VAULT_APPLY_ROTATED ||
            vault_opener_reseal_check(r->o->from, it->opened, r->o->path, it->alias) == 0)
            continue;
        it->flags |= VAULT_APPLY_UNPROVEN;
        if (!(r->o->flags & ACCEPTS_UNPROVEN))
            apply_item_fail(r, it, VAULT_EKEY, "RSA PKCS#1 v1.5 value naming no key");
        else if (!garbled && !plausible_secret(it->plain))
            garbled = it->alias;
    }
    vault_error_clear();
    for (i = 0; (r->o->flags & ACCEPTS_UNPROVEN) && i < r->n; i++) {
        apply_item *it = &r->items[i];
        if (!(it->flags & VAULT_APPLY_UNPROVEN))
            continue;
        if (allowed < 0) {
            allowed = (r->o->flags & VAULT_APPLY_ACCEPT_UNPROVEN_PKCS1) &&
                      vault_opener_key_is_configured(r->o->from, r->o->path) == 0;
            snprintf(why, sizeof why, "%s", vault_error_last() ? vault_error_last()->message : "");
            vault_error_clear();
            if (!allowed && (r->o->flags & VAULT_APPLY_ACCEPT_HOME_KEY_PKCS1))
                allowed = key_of_home_keystore(r, why, sizeof why);
            vault_error_clear();
            if (allowed && garbled) {
                allowed = 0;
                snprintf(why, sizeof why, "alias \"%s\" does not open to text with the old key (a wrong "
                         "key gives other bytes)", garbled);
            }
        }
        if (allowed > 0) {
            it->flags = (unsigned char)((it->flags & ~(unsigned)VAULT_APPLY_UNPROVEN) | VAULT_APPLY_UNPROVEN_ACCEPTED);
            continue;
        }
        vault__err(VAULT_EKEY, "%s: alias \"%s\": RSA PKCS#1 v1.5 value naming no key, not sealed again: %s",
                  r->o->path, it->alias, why);
        apply_item_fail(r, it, VAULT_EKEY, "RSA PKCS#1 v1.5 value naming no key");
    }
    vault_error_clear();
}
