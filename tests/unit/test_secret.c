/* SPDX-License-Identifier: Apache-2.0 */
/* Guarded secrets, passwords from files and descriptors, the error model. */
#include "internal.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

Test(secret, copies_and_terminates)
{
    vault_secret *s = NULL;
    cr_assert_eq(vault_secret_new(&s, "abc", 3), 0);
    cr_assert_eq(vault_secret_len(s), 3);
    cr_assert_str_eq(vault_secret_str(s), "abc");
    vault_secret_free(s);
    vault_secret_free(NULL);
    cr_assert_eq(vault_secret_len(NULL), 0);
    cr_assert_null(vault_secret_data(NULL));
}

Test(secret, readonly_once_filled, .signal = SIGSEGV)
{
    vault_secret *s = NULL;
    cr_assert_eq(vault_secret_new(&s, "abc", 3), 0);
    ((unsigned char *)vault_secret_data(s))[0] = 'x';
}

Test(secret, guard_page_after_end, .signal = SIGSEGV)
{
    vault_secret *s = NULL;
    unsigned char *p;
    cr_assert_eq(vault__secret_alloc(&s, 5, &p), 0);
    p[6] = 1; /* one past the allocation (5 bytes + NUL) */
}

Test(secret, failed_allocation_is_enomem)
{
    vault_secret *s = NULL;
    vault__test_alloc_fail_at(1);
    cr_assert_eq(vault_secret_new(&s, "abc", 3), VAULT_ENOMEM);
    cr_assert_null(s);
    vault__test_alloc_fail_at(2);
    cr_assert_eq(vault_secret_new(&s, "abc", 3), VAULT_ENOMEM);
    cr_assert_null(s);
    vault__test_alloc_fail_at(0);
    cr_assert_eq(vault_secret_new(&s, "abc", 3), 0);
    vault_secret_free(s);
}

/* ---- stores: many secrets in shared guarded chunks ---------------------------- */

/* A secret filled in place: kept where it was written, seen by views. */
static const unsigned char *fill(vault_store *st, size_t slot, const char *text)
{
    vault_secret *s = NULL;
    unsigned char *p = NULL;
    size_t len;
    cr_assert_eq(vault__secret_alloc_in(st, &s, strlen(text), &p), 0);
    memcpy(p, text, strlen(text));
    vault__secret_seal(s); /* does nothing to a store's secret: the store seals */
    cr_assert_eq(vault__store_keep(st, slot, s), 0);
    cr_assert_eq(vault__store_data(st, slot, &len), p, "kept where it was written");
    cr_assert_eq(len, strlen(text));
    return p;
}

Test(store, keeps_in_place_and_views_share_the_bytes)
{
    vault_store *st = NULL;
    vault_secret *v1 = NULL, *v2 = NULL;
    const unsigned char *a, *b;
    size_t len = 99;

    cr_assert_eq(vault__store_new(&st, 3), 0);
    cr_assert_null(vault__store_data(st, 0, &len));
    cr_assert_eq(len, 0);
    a = fill(st, 0, "first");
    b = fill(st, 2, "second");
    cr_assert_eq(b, a + 6, "packed one after the other, NUL-terminated");
    cr_assert_eq(vault__store_view(st, 2, &v1), 0);
    cr_assert_eq(vault__store_view(st, 2, &v2), 0);
    cr_assert_eq(vault_secret_data(v1), b);
    cr_assert_str_eq(vault_secret_str(v2), "second");
    cr_assert_eq(vault_secret_len(v1), 6);
    vault_secret_free(v1);
    cr_assert_str_eq(vault_secret_str(v2), "second");
    vault_secret_free(v2);
    vault__store_release(st);
    vault__store_release(NULL);
}

Test(store, a_secret_from_elsewhere_is_copied_in)
{
    vault_store *st = NULL;
    vault_secret *s = NULL;
    const unsigned char *p;
    size_t len;

    cr_assert_eq(vault__store_new(&st, 1), 0);
    cr_assert_eq(vault_secret_new(&s, "abc", 3), 0);
    cr_assert_eq(vault__store_keep(st, 0, s), 0); /* takes s */
    p = vault__store_data(st, 0, &len);
    cr_assert(p && len == 3 && memcmp(p, "abc", 4) == 0);
    vault__store_release(st);
}

Test(store, a_secret_freed_unkept_is_wiped_and_its_room_reused)
{
    vault_store *st = NULL;
    vault_secret *s = NULL;
    unsigned char *p = NULL, *q = NULL;

    cr_assert_eq(vault__store_new(&st, 1), 0);
    cr_assert_eq(vault__secret_alloc_in(st, &s, 6, &p), 0);
    memcpy(p, "abcdef", 6);
    vault_secret_free(s);
    cr_assert_eq(memcmp(p, "\0\0\0\0\0\0\0", 7), 0, "wiped");
    cr_assert_eq(vault__secret_alloc_in(st, &s, 2, &q), 0);
    cr_assert_eq(q, p, "the room was given back");
    cr_assert_eq(vault__store_keep(st, 0, s), 0);
    vault__store_release(st);
}

Test(store, misuse_is_an_error_and_takes_the_secret)
{
    vault_store *st = NULL;
    vault_secret *s = NULL, *t = NULL;
    unsigned char *p = NULL;

    cr_assert_eq(vault__store_new(&st, 2), 0);
    fill(st, 0, "x");
    cr_assert_eq(vault_secret_new(&s, "y", 1), 0);
    cr_assert_eq(vault__store_keep(st, 0, s), VAULT_ERROR, "slot 0 is taken");
    cr_assert_eq(vault_secret_new(&s, "y", 1), 0);
    cr_assert_eq(vault__store_keep(st, 2, s), VAULT_ERROR, "no slot 2");
    cr_assert_eq(vault__store_view(st, 1, &t), VAULT_ERROR, "slot 1 is empty");
    cr_assert_null(t);
    cr_assert_eq(vault__secret_alloc_in(st, &s, 3, &p), 0);
    cr_assert_eq(vault__secret_alloc_in(st, &t, 3, &p), VAULT_ERROR, "one at a time");
    cr_assert_null(t);
    cr_assert_eq(vault_secret_new(&t, "z", 1), 0);
    cr_assert_eq(vault__store_keep(st, 1, t), VAULT_ERROR, "a copy waits for the pending one");
    vault_secret_free(s);
    vault__store_release(st);
}

Test(store, kept_secrets_are_read_only_once_sealed, .signal = SIGSEGV)
{
    vault_store *st = NULL;
    unsigned char *p;

    cr_assert_eq(vault__store_new(&st, 1), 0);
    p = (unsigned char *)fill(st, 0, "abc");
    vault__store_readonly(st);
    p[0] = 'y';
}

/* The same steps as the next test without its last write: none of them
 * faults. */
static unsigned char *fill_after_sealing(void)
{
    vault_store *st = NULL;
    unsigned char *p;

    cr_assert_eq(vault__store_new(&st, 2), 0);
    p = (unsigned char *)fill(st, 0, "abc");
    p[0] = 'A'; /* writable while the store fills */
    vault__store_readonly(st);
    p = (unsigned char *)fill(st, 1, "def"); /* writes while pending */
    cr_assert_str_eq((const char *)p, "def");
    return p;
}

Test(store, filling_after_sealing_opens_the_chunk_for_one_write)
{
    cr_assert_not_null(fill_after_sealing());
}

Test(store, filling_after_sealing_closes_the_chunk_again, .signal = SIGSEGV)
{
    unsigned char *p = fill_after_sealing();
    p[0] = 'x';
}

Test(store, release_wipes_what_no_view_holds)
{
    vault_store *st = NULL;
    vault_secret *v = NULL;
    const unsigned char *held, *other;

    cr_assert_eq(vault__store_new(&st, 2), 0);
    held = fill(st, 0, "held-secret");
    other = fill(st, 1, "other-secret");
    vault__store_readonly(st);
    cr_assert_eq(vault__store_view(st, 0, &v), 0);
    vault__store_release(st);
    cr_assert_str_eq(vault_secret_str(v), "held-secret");
    cr_assert_eq(held, vault_secret_data(v));
    cr_assert_eq(memcmp(other, "\0\0\0\0\0\0\0\0\0\0\0\0", 12), 0, "wiped at release");
    vault_secret_free(v); /* the last holder: the store goes */
}

Test(store, large_secrets_get_a_chunk_of_their_own)
{
    vault_store *st = NULL;
    vault_secret *s = NULL;
    unsigned char *p = NULL;
    const unsigned char *small;
    size_t len;

    cr_assert_eq(vault__store_new(&st, 3), 0);
    small = fill(st, 0, "small");
    cr_assert_eq(vault__secret_alloc_in(st, &s, 200000, &p), 0);
    memset(p, 'L', 200000);
    cr_assert_eq(vault__store_keep(st, 1, s), 0);
    cr_assert_eq(vault__store_data(st, 1, &len), p);
    cr_assert_eq(len, 200000);
    cr_assert_eq(p[200000], '\0');
    cr_assert_str_eq((const char *)small, "small");
    fill(st, 2, "after");
    vault__store_release(st);
}

typedef struct view_job {
    vault_store *st;
    size_t slots;
    int ok;
} view_job;

static void *make_views(void *arg)
{
    view_job *j = arg;
    size_t i;
    j->ok = 1;
    for (i = 0; i < 20000; i++) {
        vault_secret *v = NULL;
        if (vault__store_view(j->st, i % j->slots, &v) != 0 || vault_secret_len(v) != 5)
            j->ok = 0;
        vault_secret_free(v);
    }
    return NULL;
}

/* Views come and go from many threads; the counts stay right (the store is
 * freed exactly once, by the last holder: ASan and valgrind watch it). */
Test(store, views_from_many_threads)
{
    vault_store *st = NULL;
    vault_secret *kept = NULL;
    pthread_t th[4];
    view_job jobs[4];
    size_t i;

    cr_assert_eq(vault__store_new(&st, 3), 0);
    fill(st, 0, "aaaaa");
    fill(st, 1, "bbbbb");
    fill(st, 2, "ccccc");
    vault__store_readonly(st);
    for (i = 0; i < 4; i++) {
        jobs[i].st = st;
        jobs[i].slots = 3;
        cr_assert_eq(pthread_create(&th[i], NULL, make_views, &jobs[i]), 0);
    }
    cr_assert_eq(vault__store_view(st, 1, &kept), 0);
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert(jobs[i].ok);
    }
    vault__store_release(st);
    cr_assert_str_eq(vault_secret_str(kept), "bbbbb");
    vault_secret_free(kept);
}

Test(store, every_allocation_failure_is_enomem)
{
    unsigned long total, n;

    vault__test_alloc_fail_at(0);
    {
        vault_store *st = NULL;
        vault_secret *v = NULL;
        cr_assert_eq(vault__store_new(&st, 2), 0);
        fill(st, 0, "abc");
        cr_assert_eq(vault__store_view(st, 0, &v), 0);
        vault_secret_free(v);
        vault__store_release(st);
    }
    total = vault__test_alloc_fail_at(0);
    cr_assert_geq(total, 5);
    for (n = 1; n <= total; n++) {
        vault_store *st = NULL;
        vault_secret *s = NULL, *v = NULL;
        unsigned char *p = NULL;
        int rc;
        vault__test_alloc_fail_at(n);
        rc = vault__store_new(&st, 2);
        if (rc == 0 && (rc = vault__secret_alloc_in(st, &s, 3, &p)) == 0) {
            memcpy(p, "abc", 3);
            rc = vault__store_keep(st, 0, s);
        }
        if (rc == 0)
            rc = vault__store_view(st, 0, &v);
        vault__test_alloc_fail_at(0);
        cr_assert_eq(rc, VAULT_ENOMEM, "allocation %lu: %d", n, rc);
        cr_assert_null(v);
        vault__store_release(st);
    }
}

/* ---- pools: loose secrets opened one by one ----------------------------------- */

static vault_secret *loose(vault_store *pool, const char *text, unsigned char **where)
{
    vault_secret *s = NULL;
    unsigned char *p = NULL;
    size_t n = strlen(text);

    cr_assert_eq(vault__secret_alloc_in(pool, &s, n, &p), 0);
    memcpy(p, text, n);
    vault__secret_seal(s);
    if (where)
        *where = p;
    return s;
}

Test(pool, a_freed_secret_is_wiped_and_its_room_used_again)
{
    vault_store *pool = NULL;
    unsigned char *first, *again;
    vault_secret *a, *b;

    cr_assert_eq(vault__store_pool_new(&pool), 0);
    a = loose(pool, "alpha-secret", &first);
    b = loose(pool, "beta", NULL);
    cr_assert_str_eq(vault_secret_str(a), "alpha-secret");
    cr_assert_str_eq(vault_secret_str(b), "beta");
    cr_assert_neq(vault_secret_data(a), vault_secret_data(b));
    vault_secret_free(a);
    cr_assert_eq(memcmp(first, "\0\0\0\0\0\0\0\0\0\0\0\0\0", 13), 0, "wiped when freed");
    vault_secret_free(b);
    again = NULL;
    a = loose(pool, "gamma", &again);
    cr_assert_eq(again, first, "an empty chunk is used from its start");
    vault__store_release(pool);
    cr_assert_str_eq(vault_secret_str(a), "gamma", "a secret outlives the pool's owner");
    vault_secret_free(a);
}

/* Opening and freeing many values one by one stays in one chunk; holding
 * many spreads them over several, and each goes when its last is freed. */
Test(pool, many_secrets_held_and_freed_in_any_order)
{
    enum { N = 20000 };
    vault_store *pool = NULL;
    vault_secret **held = calloc(N, sizeof *held);
    unsigned char *p0 = NULL, *p;
    size_t i;
    char text[32];

    cr_assert_not_null(held);
    cr_assert_eq(vault__store_pool_new(&pool), 0);
    for (i = 0; i < N; i++) {
        vault_secret_free(loose(pool, "one-at-a-time", &p));
        if (i == 0)
            p0 = p;
        cr_assert_eq(p, p0, "value %zu", i);
    }
    for (i = 0; i < N; i++) {
        snprintf(text, sizeof text, "secret-%zu", i);
        held[i] = loose(pool, text, NULL);
    }
    for (i = 0; i < N; i += 2) /* every other one: no chunk empties */
        vault_secret_free(held[i]);
    for (i = 1; i < N; i += 2) {
        snprintf(text, sizeof text, "secret-%zu", i);
        cr_assert_str_eq(vault_secret_str(held[i]), text);
        vault_secret_free(held[i]);
    }
    vault__store_release(pool);
    free(held);
}

typedef struct outgrown {
    vault_store *pool;
    vault_secret *kept, *big;
    unsigned char *kept_bytes;
} outgrown;

/* Hold one secret, then ask for one too large for the rest of its chunk. */
static void hold_one_then_outgrow_the_chunk(outgrown *o)
{
    unsigned char *p = NULL;

    cr_assert_eq(vault__store_pool_new(&o->pool), 0);
    o->kept = loose(o->pool, "kept", &o->kept_bytes);
    cr_assert_eq(vault__secret_alloc_in(o->pool, &o->big, 100000, &p), 0); /* a chunk of its own */
    p[99999] = 'x'; /* the newest chunk is writable */
    cr_assert_str_eq((const char *)o->kept_bytes, "kept");
}

/* The steps of the next test without its last write: none faults. */
Test(pool, outgrowing_a_chunk_that_holds_secrets)
{
    outgrown o;

    hold_one_then_outgrow_the_chunk(&o);
    vault_secret_free(o.big);
    vault_secret_free(o.kept); /* wipes in the read-only chunk, which then goes */
    vault__store_release(o.pool);
}

Test(pool, a_full_chunk_that_holds_secrets_is_read_only, .signal = SIGSEGV)
{
    outgrown o;

    hold_one_then_outgrow_the_chunk(&o);
    o.kept_bytes[0] = 'y';
}

typedef struct pool_job {
    vault_store *pool;
    int ok;
} pool_job;

static void *open_many(void *arg)
{
    pool_job *j = arg;
    size_t i;
    j->ok = 1;
    for (i = 0; i < 20000; i++) {
        vault_secret *s = NULL;
        unsigned char *p = NULL;
        if (vault__secret_alloc_in(j->pool, &s, 7, &p) != 0) {
            j->ok = 0;
            continue;
        }
        memcpy(p, "abcdefg", 7);
        if (strcmp(vault_secret_str(s), "abcdefg") != 0)
            j->ok = 0;
        vault_secret_free(s);
    }
    return NULL;
}

Test(pool, secrets_from_many_threads)
{
    vault_store *pool = NULL;
    pthread_t th[4];
    pool_job jobs[4];
    size_t i;

    cr_assert_eq(vault__store_pool_new(&pool), 0);
    for (i = 0; i < 4; i++) {
        jobs[i].pool = pool;
        cr_assert_eq(pthread_create(&th[i], NULL, open_many, &jobs[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert(jobs[i].ok);
    }
    vault__store_release(pool);
}

static const char *write_pw(const char *name, const char *text, mode_t mode)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    spit(path, text, strlen(text));
    chmod(path, mode);
    return path;
}

Test(password, file_first_and_second_line)
{
    vault_secret *pw = NULL, *key = NULL;
    const char *p = write_pw("two", "store pass\r\nkey pass\n", 0600);
    cr_assert_eq(vault_password_from_file(&pw, &key, p), 0);
    cr_assert_str_eq(vault_secret_str(pw), "store pass");
    cr_assert_str_eq(vault_secret_str(key), "key pass");
    vault_secret_free(pw);
    vault_secret_free(key);
    p = write_pw("one", "only", 0400);
    cr_assert_eq(vault_password_from_file(&pw, &key, p), 0);
    cr_assert_str_eq(vault_secret_str(pw), "only");
    cr_assert_null(key);
    vault_secret_free(pw);
}

Test(password, file_readable_by_others_is_refused)
{
    vault_secret *pw = NULL;
    const char *p = write_pw("open", "x\n", 0644);
    cr_assert_eq(vault_password_from_file(&pw, NULL, p), VAULT_EPERM);
    cr_assert_null(pw);
    cr_assert(strstr(vault_error_last()->message, "0644") != NULL, "%s", vault_error_last()->message);
    cr_assert(strstr(vault_error_last()->message, p) != NULL);
    p = write_pw("group", "x\n", 0640);
    cr_assert_eq(vault_password_from_file(&pw, NULL, p), VAULT_EPERM);
}

Test(password, file_missing_empty_symlink)
{
    vault_secret *pw = NULL;
    char link[4096];
    const char *p = write_pw("empty", "", 0600);
    cr_assert_eq(vault_password_from_file(&pw, NULL, p), VAULT_EFORMAT);
    cr_assert_eq(vault_password_from_file(&pw, NULL, "/nonexistent/pw"), VAULT_ENOTFOUND);
    p = write_pw("target", "x", 0600);
    snprintf(link, sizeof link, "%s/link", test_tmpdir());
    cr_assert_eq(symlink(p, link), 0);
    /* A link is followed (a Kubernetes Secret volume is links into ..data/):
     * the file it ends at is what is judged and read. */
    cr_assert_eq(vault_password_from_file(&pw, NULL, link), 0);
    cr_assert_str_eq(vault_secret_str(pw), "x");
    vault_secret_free(pw);
}

Test(password, descriptor_reads_one_line)
{
    int fds[2];
    vault_secret *pw = NULL;
    char rest[16] = "";
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], "pässword\nnext", 14), 14);
    close(fds[1]);
    cr_assert_eq(vault_password_from_fd(&pw, fds[0]), 0);
    cr_assert_str_eq(vault_secret_str(pw), "pässword");
    cr_assert_eq(read(fds[0], rest, sizeof rest - 1), 4);
    cr_assert_str_eq(rest, "next");
    close(fds[0]);
    vault_secret_free(pw);
}

Test(error, strerror_and_last)
{
    cr_assert_str_eq(vault_strerror(VAULT_EAUTH), "wrong password or tampered data");
    cr_assert_eq(vault__err(VAULT_EKEY, "file %s", "x"), VAULT_EKEY);
    cr_assert_eq(vault_error_last()->code, VAULT_EKEY);
    cr_assert_str_eq(vault_error_last()->message, "file x");
    vault_error_clear();
    cr_assert_not_null(vault_error_last());
    cr_assert_eq(vault_error_last()->code, VAULT_OK);
    cr_assert_str_eq(vault_error_last()->message, "no error");
    /* A success does not clear it: it may be stale, never NULL. */
    cr_assert_eq(vault__err_cause(VAULT_ENOTFOUND, VAULT_CAUSE_NO_PASSWORD, "none"), VAULT_ENOTFOUND);
    cr_assert_eq(vault_error_last()->cause, VAULT_CAUSE_NO_PASSWORD);
    cr_assert_eq(vault__err(VAULT_EIO, "x"), VAULT_EIO);
    cr_assert_eq(vault_error_last()->cause, VAULT_CAUSE_NONE);
}
