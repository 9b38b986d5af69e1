/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vault_bench: start-up resolution with libvault, timed in process.
 *
 *   vault_bench resolve --config F --keystore K --password P [--transformation T]
 *                       [--runs N] [--lazy]
 *       vault_open() + vault_get() of every alias + vault_free(), N times;
 *       prints one "resolve ..." line with the median.
 *   vault_bench parts --config F --keystore K --password P [--transformation T] [--runs N]
 *       the same work cut into its parts (config parse, keystore load and key
 *       unlock, the first value, every value, guarded allocations, vault_get
 *       copies), one "part ..." line each: where the time goes.
 *   vault_bench noop | init
 *       exit at once, or after vault_init(): what starting a process linked
 *       with libvault costs before any secret, timed from outside.
 *
 * Uses the public API only. The password is given on the command line: these
 * are throw-away benchmark keystores.
 */
#include <vault/config.h>
#include <vault/vault.h>

#include "bench_util.h"

#include <inttypes.h>
#include <sys/resource.h>

typedef struct args {
    const char *cmd, *config, *keystore, *password;
    vault_transformation transformation;
    int runs, lazy;
} args;

static void usage(void)
{
    fputs("usage: vault_bench noop|init\n"
          "       vault_bench resolve|parts --config FILE --keystore FILE --password PW\n"
          "                   [--transformation default|oaep-sha1|oaep-sha256|pkcs1] [--runs N]"
          " [--lazy]\n", stderr);
    exit(2);
}

static int fail(const char *what)
{
    const vault_error *e = vault_error_last();
    fprintf(stderr, "vault_bench: %s: %s\n", what, e ? e->message : "failed");
    return 1;
}

static vault_transformation parse_transformation(const char *s)
{
    if (strcmp(s, "default") == 0)
        return VAULT_TRANSFORM_DEFAULT;
    if (strcmp(s, "oaep-sha1") == 0)
        return VAULT_TRANSFORM_RSA_OAEP_SHA1;
    if (strcmp(s, "oaep-sha256") == 0)
        return VAULT_TRANSFORM_RSA_OAEP_SHA256;
    if (strcmp(s, "pkcs1") == 0)
        return VAULT_TRANSFORM_RSA_PKCS1;
    usage();
    return VAULT_TRANSFORM_DEFAULT;
}

static void parse_args(args *a, int argc, char **argv)
{
    int i;

    memset(a, 0, sizeof *a);
    a->runs = 5;
    if (argc < 2)
        usage();
    a->cmd = argv[1];
    for (i = 2; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--lazy") == 0) {
            a->lazy = 1;
            continue;
        }
        if (!v)
            usage();
        if (strcmp(o, "--config") == 0)
            a->config = v;
        else if (strcmp(o, "--keystore") == 0)
            a->keystore = v;
        else if (strcmp(o, "--password") == 0)
            a->password = v;
        else if (strcmp(o, "--transformation") == 0)
            a->transformation = parse_transformation(v);
        else if (strcmp(o, "--runs") == 0)
            a->runs = bench_count(v, BENCH_MAX_RUNS);
        else
            usage();
        i++;
    }
    if (!a->config || !a->keystore || !a->password || a->runs < 1)
        usage();
}

static long maxrss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* ---- resolve ------------------------------------------------------------ */

/* One start-up: open, read every secret as a server would, free. */
static int resolve_once(const args *a, size_t *n, uint64_t *sum)
{
    vault_passwords pw = {a->password, NULL};
    vault_options o = VAULT_OPTIONS_INIT;
    vault *v = NULL;
    size_t i;
    int rc;

    o.config = a->config;
    o.keystore = a->keystore;
    o.transformation = a->transformation;
    o.password = vault_password_fixed;
    o.payload = &pw;
    o.flags = a->lazy ? VAULT_OPEN_LAZY : 0;
    *sum = BENCH_FNV_INIT;
    if ((rc = vault_open(&v, &o)) != 0)
        return fail(a->config);
    *n = vault_count(v);
    for (i = 0; rc == 0 && i < *n; i++) {
        vault_secret *s = NULL;
        const char *alias = NULL;
        if ((rc = vault_alias_at(&alias, v, i)) != 0 || (rc = vault_get(&s, v, alias)) != 0) {
            rc = fail(alias ? alias : "vault_alias_at");
            break;
        }
        *sum = bench_fnv(*sum, vault_secret_data(s), vault_secret_len(s));
        vault_secret_free(s);
    }
    vault_free(v);
    return rc;
}

static int cmd_resolve(const args *a)
{
    double t[BENCH_MAX_RUNS], med, first = 0;
    uint64_t sum = 0;
    size_t n = 0;
    int r;

    for (r = 0; r < a->runs; r++) {
        double t0 = bench_now_us();
        if (resolve_once(a, &n, &sum) != 0)
            return 1;
        t[r] = bench_now_us() - t0;
        if (r == 0)
            first = t[r];
    }
    med = bench_median(t, a->runs);
    /* first: the cold resolution a start-up pays; the median is over warm runs too. */
    printf("resolve n=%zu runs=%d median_us=%.1f first_us=%.1f min_us=%.1f max_us=%.1f checksum=%016" PRIx64
           " maxrss_kb=%ld\n", n, a->runs, med, first, t[0], t[a->runs - 1], sum, maxrss_kb());
    return 0;
}

/* ---- parts -------------------------------------------------------------- */

typedef struct bench_ctx {
    const args *a;
    vault_passwords pw;
    vault_config *cfg;     /* the sealed values */
    vault_keystore *ks;    /* open and unlocked, for the opener parts */
    vault *v;              /* open, for the vault_get part */
    uint64_t sum;
} bench_ctx;

typedef int (*part_fn)(bench_ctx *c);

static int open_keystore(bench_ctx *c, vault_keystore **ks)
{
    vault_keystore_options ko = VAULT_KEYSTORE_OPTIONS_INIT;
    const vault_keystore_entry *e;
    unsigned char *der = NULL;
    size_t len;

    ko.password = vault_password_fixed;
    ko.payload = &c->pw;
    if (vault_keystore_open(ks, c->a->keystore, &ko) != 0 || vault_keystore_find(&e, *ks, NULL) != 0 ||
        vault_keystore_public_key_der(&der, &len, *ks, e->alias) != 0)
        return fail(c->a->keystore);
    vault_string_free((char *)der);
    return 0;
}

static int part_config(bench_ctx *c)
{
    vault_config *cfg = NULL;
    if (vault_config_open(&cfg, c->a->config, VAULT_CONFIG_AUTO) != 0)
        return fail(c->a->config);
    vault_config_free(cfg);
    return 0;
}

static int part_keystore(bench_ctx *c)
{
    vault_keystore *ks = NULL;
    int rc = open_keystore(c, &ks);
    vault_keystore_free(ks);
    return rc;
}

/* A fresh opener (no memoised data key) opening the first `limit` values. */
static int open_values(bench_ctx *c, size_t limit)
{
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *op = NULL;
    size_t i, n = vault_config_count(c->cfg);
    int rc = 0;

    oo.keystore = c->ks;
    oo.transformation = c->a->transformation;
    if (vault_opener_new(&op, &oo) != 0)
        return fail("opener");
    c->sum = BENCH_FNV_INIT;
    for (i = 0; i < n && i < limit; i++) {
        const vault_config_entry *e;
        vault_secret *s = NULL;
        if (vault_config_entry_at(&e, c->cfg, i) != 0 ||
            vault_opener_open(&s, NULL, op, e->alias, e->value) != 0) {
            rc = fail("open a value");
            break;
        }
        c->sum = bench_fnv(c->sum, vault_secret_data(s), vault_secret_len(s));
        vault_secret_free(s);
    }
    vault_opener_free(op);
    return rc;
}

static int part_first_value(bench_ctx *c)
{
    return open_values(c, 1);
}

static int part_values(bench_ctx *c)
{
    return open_values(c, SIZE_MAX);
}

/* The guarded allocation every resolved secret costs, alone. */
static int part_secret_new_free(bench_ctx *c)
{
    static const char pw[] = "0123456789abcdefghij";
    size_t i, n = vault_config_count(c->cfg);

    for (i = 0; i < n; i++) {
        vault_secret *s = NULL;
        if (vault_secret_new(&s, pw, sizeof pw - 1) != 0)
            return fail("vault_secret_new");
        vault_secret_free(s);
    }
    return 0;
}

/* As the runtime does it: N secrets held at once, then freed. */
static int part_secret_hold(bench_ctx *c)
{
    static const char pw[] = "0123456789abcdefghij";
    size_t i, n = vault_config_count(c->cfg);
    vault_secret **s = calloc(n ? n : 1, sizeof *s);
    int rc = 0;

    if (!s)
        return 1;
    for (i = 0; i < n; i++)
        if (vault_secret_new(&s[i], pw, sizeof pw - 1) != 0) {
            rc = fail("vault_secret_new");
            break;
        }
    for (i = 0; i < n; i++)
        vault_secret_free(s[i]);
    free(s);
    return rc;
}

/* vault_get() of every alias of an open vault: the copy it hands out. */
static int part_get(bench_ctx *c)
{
    size_t i, n = vault_count(c->v);

    c->sum = BENCH_FNV_INIT;
    for (i = 0; i < n; i++) {
        vault_secret *s = NULL;
        const char *alias = NULL;
        if (vault_alias_at(&alias, c->v, i) != 0 || vault_get(&s, c->v, alias) != 0)
            return fail("vault_get");
        c->sum = bench_fnv(c->sum, vault_secret_data(s), vault_secret_len(s));
        vault_secret_free(s);
    }
    return 0;
}

static int part_resolve(bench_ctx *c)
{
    size_t n;
    return resolve_once(c->a, &n, &c->sum);
}

static int time_part(bench_ctx *c, const char *name, part_fn fn)
{
    double t[BENCH_MAX_RUNS], med;
    int r;

    for (r = 0; r < c->a->runs; r++) {
        double t0 = bench_now_us();
        if (fn(c) != 0)
            return 1;
        t[r] = bench_now_us() - t0;
    }
    med = bench_median(t, c->a->runs);
    printf("part name=%s n=%zu runs=%d median_us=%.1f min_us=%.1f\n", name,
           vault_config_count(c->cfg), c->a->runs, med, t[0]);
    return 0;
}

static int cmd_parts(const args *a)
{
    static const struct {
        const char *name;
        part_fn fn;
    } parts[] = {
        {"resolve", part_resolve},
        {"config", part_config},
        {"keystore", part_keystore},
        {"first_value", part_first_value},
        {"values", part_values},
        {"secret_new_free", part_secret_new_free},
        {"secret_hold", part_secret_hold},
        {"get", part_get},
    };
    vault_options o = VAULT_OPTIONS_INIT;
    bench_ctx c;
    size_t i;
    int rc = 1;

    memset(&c, 0, sizeof c);
    c.a = a;
    c.pw.store = a->password;
    o.config = a->config;
    o.keystore = a->keystore;
    o.transformation = a->transformation;
    o.password = vault_password_fixed;
    o.payload = &c.pw;
    if (vault_config_open(&c.cfg, a->config, VAULT_CONFIG_AUTO) != 0) {
        rc = fail(a->config);
        goto done;
    }
    if (open_keystore(&c, &c.ks) != 0 || vault_open(&c.v, &o) != 0) {
        rc = fail("open");
        goto done;
    }
    for (i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (time_part(&c, parts[i].name, parts[i].fn) != 0)
            goto done;
    printf("parts n=%zu checksum=%016" PRIx64 "\n", vault_config_count(c.cfg), c.sum);
    rc = 0;
done:
    vault_free(c.v);
    vault_keystore_free(c.ks);
    vault_config_free(c.cfg);
    return rc;
}

int main(int argc, char **argv)
{
    args a;

    if (argc == 2 && strcmp(argv[1], "noop") == 0)
        return 0;
    if (argc == 2 && strcmp(argv[1], "init") == 0)
        return vault_init() == 0 ? 0 : fail("vault_init");
    parse_args(&a, argc, argv);
    if (vault_init() != 0)
        return fail("vault_init");
    if (strcmp(a.cmd, "resolve") == 0)
        return cmd_resolve(&a);
    if (strcmp(a.cmd, "parts") == 0)
        return cmd_parts(&a);
    usage();
    return 2;
}
