/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vault_floor: the same cryptography as a start-up resolution, done with
 * direct OpenSSL and libsodium calls and nothing else (no libvault): the
 * floor libvault is measured against.
 *
 *   vault_floor native --p12 K --password P --plain FILE [--runs N]
 *       Untimed set-up: seal every plaintext of FILE (one per line) the way
 *       docs/FORMAT.md does, one data key for all. Timed, per run: read the
 *       PKCS#12 file and PKCS12_parse() it, one RSA-OAEP-SHA256 unwrap with
 *       the format's label, the two HMAC-SHA-256 derivations, and N
 *       XChaCha20-Poly1305 opens with the format's associated data.
 *   vault_floor wso2 --p12 K --password P --values FILE [--runs N]
 *       Timed, per run: read and parse the PKCS#12, then for every value of
 *       FILE (standard base64, one per line): decode, one RSA-OAEP-SHA1
 *       private-key operation.
 *
 * Each prints one "floor-native ..." or "floor-wso2 ..." line with the
 * median and the checksum of the plaintexts (the same as vault_bench's).
 *
 *   vault_floor spawn FILE CMD [ARG...]
 *       Runs CMD (stdin, stdout and stderr inherited) and appends to FILE
 *       "spawn wall_us=W cpu_us=C": the wall-clock time from fork to its
 *       exit, and the CPU time it used (user + system, from wait4), which
 *       other processes on a busy machine inflate far less. Exits with
 *       CMD's status.
 */
#include "bench_util.h"

#include <inttypes.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define DATA_KEY 32
#define AD_FIXED 34 /* version, aead id, commitment (docs/FORMAT.md 5.4) */

static const char oaep_label[] = "vault:v1:data-key";
static const char commit_info[] = "vault:v1:commitment";
static const char aead_info[] = "vault:v1:aead-key";

typedef struct args {
    const char *cmd, *p12, *password, *input;
    int runs;
} args;

typedef struct sealed {
    unsigned char *wrapped;  /* RSA-OAEP-SHA256 of the data key */
    size_t wrapped_len;
    unsigned char commitment[crypto_auth_hmacsha256_BYTES];
    unsigned char *ad;       /* version, aead id, commitment, u32 alias length, alias */
    size_t ad_fixed;
    unsigned char **ct;      /* nonce || ciphertext || tag, per value */
    size_t *ct_len;
    char **alias;
    size_t count;
} sealed;

static void usage(void)
{
    fputs("usage: vault_floor native --p12 FILE --password PW --plain FILE [--runs N]\n"
          "       vault_floor wso2 --p12 FILE --password PW --values FILE [--runs N]\n"
          "       vault_floor cold --p12 FILE --password PW --values FILE\n"
          "       vault_floor spawn FILE CMD [ARG...]\n", stderr);
    exit(2);
}

static int fail(const char *what)
{
    unsigned long e = ERR_get_error();
    fprintf(stderr, "vault_floor: %s%s%s\n", what, e ? ": " : "", e ? ERR_reason_error_string(e) : "");
    return 1;
}

static void parse_args(args *a, int argc, char **argv)
{
    int i;

    memset(a, 0, sizeof *a);
    a->runs = 5;
    if (argc < 2)
        usage();
    a->cmd = argv[1];
    for (i = 2; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "--p12") == 0)
            a->p12 = v;
        else if (strcmp(o, "--password") == 0)
            a->password = v;
        else if (strcmp(o, "--plain") == 0 || strcmp(o, "--values") == 0)
            a->input = v;
        else if (strcmp(o, "--runs") != 0 || (a->runs = bench_count(v, BENCH_MAX_RUNS)) < 0)
            usage();
    }
    if (i != argc || !a->p12 || !a->password || !a->input)
        usage();
}

/* Read the whole file and PKCS12_parse() it: what loading a keystore costs. */
static int load_p12(const char *path, const char *password, EVP_PKEY **key, X509 **cert)
{
    FILE *f = fopen(path, "rb");
    PKCS12 *p12 = NULL;
    int ok;

    *key = NULL;
    *cert = NULL;
    if (!f)
        return fail(path);
    p12 = d2i_PKCS12_fp(f, NULL);
    fclose(f);
    ok = p12 && PKCS12_parse(p12, password, key, cert, NULL);
    PKCS12_free(p12);
    if (!ok || !*key)
        return fail(path);
    return 0;
}

static int rsa_decrypt(EVP_PKEY *key, const EVP_MD *md, const char *label, const unsigned char *in,
                       size_t in_len, unsigned char *out, size_t *out_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    unsigned char *l = NULL;
    int ok = ctx && EVP_PKEY_decrypt_init(ctx) > 0 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) > 0 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) > 0;

    if (ok && label) {
        l = OPENSSL_memdup(label, strlen(label)); /* set0 takes ownership */
        ok = l && EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, (int)strlen(label)) > 0;
        if (!ok)
            OPENSSL_free(l);
    }
    ok = ok && EVP_PKEY_decrypt(ctx, out, out_len, in, in_len) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : -1;
}

static int rsa_wrap(EVP_PKEY *pub, const unsigned char *key, sealed *s)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
    unsigned char *l = OPENSSL_memdup(oaep_label, strlen(oaep_label));
    int ok = ctx && l && EVP_PKEY_encrypt_init(ctx) > 0 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0 &&
             EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, (int)strlen(oaep_label)) > 0;

    if (!ok)
        OPENSSL_free(l);
    s->wrapped_len = (size_t)EVP_PKEY_get_size(pub);
    ok = ok && (s->wrapped = malloc(s->wrapped_len)) &&
         EVP_PKEY_encrypt(ctx, s->wrapped, &s->wrapped_len, key, DATA_KEY) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : fail("wrap");
}

static void derive(const unsigned char *key, unsigned char *commitment, unsigned char *aead_key)
{
    crypto_auth_hmacsha256(commitment, (const unsigned char *)commit_info, strlen(commit_info), key);
    crypto_auth_hmacsha256(aead_key, (const unsigned char *)aead_info, strlen(aead_info), key);
}

static void put_u32(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* The associated data of value i: the shared header bytes, then the alias. */
static size_t make_ad(sealed *s, size_t i)
{
    size_t alen = strlen(s->alias[i]);
    put_u32(s->ad + s->ad_fixed, alen);
    memcpy(s->ad + s->ad_fixed + 4, s->alias[i], alen);
    return s->ad_fixed + 4 + alen;
}

static void sealed_free(sealed *s)
{
    size_t i;
    for (i = 0; i < s->count; i++) {
        free(s->ct[i]);
        free(s->alias[i]);
    }
    free(s->ct);
    free(s->ct_len);
    free(s->alias);
    free(s->ad);
    free(s->wrapped);
}

/* Set-up: seal every plaintext under one data key, as one session does. */
static int seal_all(const args *a, const bench_lines *plain, sealed *s)
{
    unsigned char key[DATA_KEY], aead_key[crypto_auth_hmacsha256_BYTES];
    EVP_PKEY *pk = NULL;
    X509 *cert = NULL;
    size_t i;
    int rc = 1;

    memset(s, 0, sizeof *s);
    if (load_p12(a->p12, a->password, &pk, &cert) != 0)
        goto done;
    randombytes_buf(key, sizeof key);
    if (rsa_wrap(X509_get0_pubkey(cert), key, s) != 0)
        goto done;
    derive(key, s->commitment, aead_key);
    s->ad_fixed = AD_FIXED;
    s->ct = calloc(plain->count + 1, sizeof *s->ct);
    s->ct_len = calloc(plain->count + 1, sizeof *s->ct_len);
    s->alias = calloc(plain->count + 1, sizeof *s->alias);
    s->ad = calloc(1, s->ad_fixed + 4 + 64);
    if (!s->ct || !s->ct_len || !s->alias || !s->ad)
        goto done;
    s->count = plain->count;
    s->ad[0] = 1;
    s->ad[1] = 1;
    memcpy(s->ad + 2, s->commitment, sizeof s->commitment);
    for (i = 0; i < s->count; i++) {
        const char *p = plain->line[i];
        size_t n = strlen(p), ad_len;
        unsigned long long clen;
        s->alias[i] = malloc(32);
        s->ct[i] = malloc(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + n +
                          crypto_aead_xchacha20poly1305_ietf_ABYTES);
        if (!s->alias[i] || !s->ct[i])
            goto done;
        snprintf(s->alias[i], 32, "secret_%zu", i + 1);
        ad_len = make_ad(s, i);
        randombytes_buf(s->ct[i], crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
        crypto_aead_xchacha20poly1305_ietf_encrypt(s->ct[i] + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                   &clen, (const unsigned char *)p, n, s->ad, ad_len,
                                                   NULL, s->ct[i], aead_key);
        s->ct_len[i] = (size_t)clen;
    }
    rc = 0;
done:
    sodium_memzero(key, sizeof key);
    sodium_memzero(aead_key, sizeof aead_key);
    EVP_PKEY_free(pk);
    X509_free(cert);
    return rc;
}

/* Timed: load the keystore, one unwrap, N opens. */
static int native_once(const args *a, sealed *s, unsigned char *pt, uint64_t *sum)
{
    unsigned char key[1024], commitment[crypto_auth_hmacsha256_BYTES], aead_key[crypto_auth_hmacsha256_BYTES];
    size_t klen = sizeof key, i;
    EVP_PKEY *pk = NULL;
    X509 *cert = NULL;
    int rc = 1;

    if (load_p12(a->p12, a->password, &pk, &cert) != 0)
        goto done;
    if (rsa_decrypt(pk, EVP_sha256(), oaep_label, s->wrapped, s->wrapped_len, key, &klen) != 0 ||
        klen != DATA_KEY) {
        rc = fail("unwrap");
        goto done;
    }
    derive(key, commitment, aead_key);
    if (sodium_memcmp(commitment, s->commitment, sizeof commitment) != 0)
        goto done;
    *sum = BENCH_FNV_INIT;
    for (i = 0; i < s->count; i++) {
        unsigned long long mlen;
        size_t ad_len = make_ad(s, i);
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL,
                                                       s->ct[i] + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                       s->ct_len[i], s->ad, ad_len, s->ct[i], aead_key) != 0) {
            rc = fail("open");
            goto done;
        }
        *sum = bench_fnv(*sum, pt, (size_t)mlen);
        sodium_memzero(pt, (size_t)mlen);
    }
    rc = 0;
done:
    sodium_memzero(key, sizeof key);
    sodium_memzero(aead_key, sizeof aead_key);
    EVP_PKEY_free(pk);
    X509_free(cert);
    return rc;
}

static int cmd_native(const args *a)
{
    bench_lines plain;
    sealed s;
    double t[BENCH_MAX_RUNS];
    unsigned char *pt = NULL;
    uint64_t sum = 0;
    size_t i, maxlen = 0;
    int r, rc = 1;

    if (bench_lines_read(&plain, a->input) != 0)
        return fail(a->input);
    for (i = 0; i < plain.count; i++)
        if (strlen(plain.line[i]) > maxlen)
            maxlen = strlen(plain.line[i]);
    if (seal_all(a, &plain, &s) != 0 || !(pt = malloc(maxlen + 1)))
        goto done;
    for (r = 0; r < a->runs; r++) {
        double t0 = bench_now_us();
        if (native_once(a, &s, pt, &sum) != 0)
            goto done;
        t[r] = bench_now_us() - t0;
    }
    printf("floor-native n=%zu runs=%d median_us=%.1f", s.count, a->runs, bench_median(t, a->runs));
    printf(" min_us=%.1f max_us=%.1f checksum=%016" PRIx64 "\n", t[0], t[a->runs - 1], sum);
    rc = 0;
done:
    free(pt);
    sealed_free(&s);
    bench_lines_free(&plain);
    return rc;
}

static int wso2_once(const args *a, const bench_lines *values, uint64_t *sum)
{
    unsigned char block[1024], pt[1024];
    EVP_PKEY *pk = NULL;
    X509 *cert = NULL;
    size_t i;
    int rc = 1;

    if (load_p12(a->p12, a->password, &pk, &cert) != 0)
        goto done;
    *sum = BENCH_FNV_INIT;
    for (i = 0; i < values->count; i++) {
        const char *v = values->line[i];
        size_t vlen = strlen(v), ptlen = sizeof pt;
        int n;
        if (vlen > 4 * sizeof block / 3 || (n = EVP_DecodeBlock(block, (const unsigned char *)v, (int)vlen)) < 0)
            goto done;
        n -= (vlen > 0 && v[vlen - 1] == '=') + (vlen > 1 && v[vlen - 2] == '=');
        if (rsa_decrypt(pk, EVP_sha1(), NULL, block, (size_t)n, pt, &ptlen) != 0) {
            rc = fail("decrypt");
            goto done;
        }
        *sum = bench_fnv(*sum, pt, ptlen);
        sodium_memzero(pt, ptlen);
    }
    rc = 0;
done:
    EVP_PKEY_free(pk);
    X509_free(cert);
    return rc;
}

static int cmd_wso2(const args *a)
{
    bench_lines values;
    double t[BENCH_MAX_RUNS];
    uint64_t sum = 0;
    int r, rc = 1;

    if (bench_lines_read(&values, a->input) != 0)
        return fail(a->input);
    for (r = 0; r < a->runs; r++) {
        double t0 = bench_now_us();
        if (wso2_once(a, &values, &sum) != 0)
            goto done;
        t[r] = bench_now_us() - t0;
    }
    printf("floor-wso2 n=%zu runs=%d median_us=%.1f", values.count, a->runs, bench_median(t, a->runs));
    printf(" min_us=%.1f max_us=%.1f checksum=%016" PRIx64 "\n", t[0], t[a->runs - 1], sum);
    rc = 0;
done:
    bench_lines_free(&values);
    return rc;
}

/* The physical limit's parts, in a fresh process: one cold RSA-OAEP-SHA1
 * private-key operation (the first in the process: DRBG instantiation for
 * the blinding, the first fetches) on the first WSO2 value, the key loaded
 * before the clock starts; then N XChaCha20-Poly1305 opens of 20-byte
 * values (N = the number of values given), sealed before the clock starts. */
static int cmd_cold(const args *a)
{
    bench_lines values;
    unsigned char block[1024], pt[1024], key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES], *ct = NULL;
    const size_t mlen = 20, clen = 20 + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    EVP_PKEY *pk = NULL;
    X509 *cert = NULL;
    size_t i, ptlen = sizeof pt;
    double t0, rsa_us, aead_us;
    int n, rc = 1;

    if (bench_lines_read(&values, a->input) != 0)
        return fail(a->input);
    if (values.count == 0 || load_p12(a->p12, a->password, &pk, &cert) != 0)
        goto done;
    n = EVP_DecodeBlock(block, (const unsigned char *)values.line[0], (int)strlen(values.line[0]));
    if (n < 0)
        goto done;
    n -= (values.line[0][strlen(values.line[0]) - 1] == '=') + (strlen(values.line[0]) > 1 &&
                                                               values.line[0][strlen(values.line[0]) - 2] == '=');
    t0 = bench_now_us();
    if (rsa_decrypt(pk, EVP_sha1(), NULL, block, (size_t)n, pt, &ptlen) != 0) {
        rc = fail("decrypt");
        goto done;
    }
    rsa_us = bench_now_us() - t0;
    if (!(ct = malloc(values.count * clen)))
        goto done;
    randombytes_buf(key, sizeof key);
    randombytes_buf(nonce, sizeof nonce);
    memset(pt, 'x', mlen);
    for (i = 0; i < values.count; i++)
        crypto_aead_xchacha20poly1305_ietf_encrypt(ct + i * clen, NULL, pt, mlen, NULL, 0, NULL, nonce, key);
    t0 = bench_now_us();
    for (i = 0; i < values.count; i++)
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct + i * clen, clen, NULL, 0, nonce,
                                                       key) != 0) {
            rc = fail("AEAD open");
            goto done;
        }
    aead_us = bench_now_us() - t0;
    printf("floor-cold n=%zu rsa_us=%.1f aead_us=%.1f\n", values.count, rsa_us, aead_us);
    rc = 0;
done:
    free(ct);
    EVP_PKEY_free(pk);
    X509_free(cert);
    bench_lines_free(&values);
    return rc;
}

/* vault_floor spawn FILE CMD [ARG...]: see the top of the file. */
static int cmd_spawn(int argc, char **argv)
{
    struct rusage ru;
    double t0, wall;
    FILE *f;
    pid_t pid;
    int st = 0;

    if (argc < 4)
        usage();
    t0 = bench_now_us();
    pid = fork();
    if (pid < 0)
        return fail("fork");
    if (pid == 0) {
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    if (wait4(pid, &st, 0, &ru) != pid)
        return fail("wait4");
    wall = bench_now_us() - t0;
    f = fopen(argv[2], "a");
    if (!f)
        return fail(argv[2]);
    fprintf(f, "spawn wall_us=%.1f cpu_us=%.1f\n", wall,
            (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
                (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec));
    if (fclose(f) != 0)
        return fail(argv[2]);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
    args a;

    if (argc >= 2 && strcmp(argv[1], "spawn") == 0)
        return cmd_spawn(argc, argv);
    parse_args(&a, argc, argv);
    if (sodium_init() < 0)
        return fail("sodium_init");
    if (strcmp(a.cmd, "native") == 0)
        return cmd_native(&a);
    if (strcmp(a.cmd, "wso2") == 0)
        return cmd_wso2(&a);
    if (strcmp(a.cmd, "cold") == 0)
        return cmd_cold(&a);
    usage();
    return 2;
}
