/* The store contract, writer side: what every backend must do under the
 * group-commit writer, run against a URL (SREBOT_STORE_TEST_URL, or a fresh
 * SQLite file): group commit under concurrent writers, back-pressure,
 * savepoint isolation, per-write status, nested writes, draining on close,
 * readiness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

static int setup(void **state)
{
    struct fixture *f = malloc(sizeof *f);
    fixture_init(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_cleanup(*state);
    free(*state);
    return 0;
}

/* -------------------------------------------------------- group commit */

#define WRITERS 8
#define PER_WRITER 2000

struct writer_arg {
    struct store *s;
    int id;
    int failures;
};

static void *writer_main(void *p)
{
    struct writer_arg *a = p;
    char name[64];
    for (int i = 0; i < PER_WRITER; i++) {
        snprintf(name, sizeof name, "w%d-%d", a->id, i);
        if (token_write(a->s, name, ROLE_VIEWER) != STORE_OK)
            a->failures++;
    }
    return NULL;
}

static void group_commit_under_concurrent_writers(void **state)
{
    struct fixture *f = *state;
    struct store *s = fixture_open(f, 0, 0);
    assert_non_null(s);
    pthread_t th[WRITERS];
    struct writer_arg args[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (struct writer_arg){.s = s, .id = i};
        pthread_create(&th[i], NULL, writer_main, &args[i]);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    struct store_stats st;
    store_stats(s, &st);
    assert_int_equal(st.writes_committed, WRITERS * PER_WRITER);
    assert_int_equal(st.writes_failed, 0);
    assert_int_equal(st.queue_depth, 0);
    /* Batching happened: with 8 callers always waiting, a commit carries
     * several writes; one commit per write would mean no group commit. */
    assert_true(st.commits * 2 < WRITERS * PER_WRITER);
    store_close(s);

    /* Durable: a new process (here: a new open) sees every acknowledged write. */
    s = fixture_open(f, 0, 0);
    assert_non_null(s);
    assert_int_equal(token_count(s), WRITERS * PER_WRITER);
    store_close(s);
}

/* -------------------------------------------------------- back-pressure */

struct queued {
    struct store *s;
    pthread_t th;
    char name[32];
    enum store_status st;
};

static void *queued_main(void *p)
{
    struct queued *q = p;
    q->st = token_write(q->s, q->name, ROLE_VIEWER);
    return NULL;
}

static void start_queued(struct queued *q, struct store *s, const char *name)
{
    q->s = s;
    q->st = STORE_ERROR;
    snprintf(q->name, sizeof q->name, "%s", name);
    pthread_create(&q->th, NULL, queued_main, q);
}

static void back_pressure_when_queue_full(void **state)
{
    struct fixture *f = *state;
    enum { CAP = 4 };
    struct store *s = fixture_open(f, CAP, 0);
    assert_non_null(s);
    struct gate g;
    gate_close(&g, s); /* the writer is busy: nothing leaves the queue */

    struct queued q[CAP];
    for (int i = 0; i < CAP; i++) {
        char name[16];
        snprintf(name, sizeof name, "q%d", i);
        start_queued(&q[i], s, name);
    }
    assert_int_equal(wait_queue_depth(s, CAP), 0);

    /* Full: refused at once, and the queue does not grow. */
    int64_t t0 = time_mono_ms();
    for (int i = 0; i < 100; i++) {
        struct token_op op;
        memset(&op, 0, sizeof op);
        op.w.apply = token_apply;
        token_make(&op.rec, "refused", ROLE_VIEWER);
        assert_int_equal(store_write_wait(s, &op.w), STORE_BUSY);
        assert_int_equal(op.w.status, STORE_BUSY);
        assert_non_null(strstr(op.w.err, "full"));
    }
    assert_true(time_mono_ms() - t0 < 1000);
    struct store_stats st;
    store_stats(s, &st);
    assert_int_equal(st.queue_depth, CAP);
    assert_int_equal(st.queue_capacity, CAP);
    assert_int_equal(st.busy_rejections, 100);

    gate_open(&g);
    assert_int_equal(g.result, STORE_OK);
    for (int i = 0; i < CAP; i++) {
        pthread_join(q[i].th, NULL);
        assert_int_equal(q[i].st, STORE_OK);
    }
    assert_int_equal(token_count(s), CAP);
    store_close(s);
}

/* ---------------------------------------------------- savepoint isolation */

static unsigned group_calls, single_calls;

static enum store_status counting_token_apply(struct store_conn *c, struct store_write **w,
                                              size_t n)
{
    if (n > 1)
        group_calls++;
    else
        single_calls++;
    return token_apply(c, w, n);
}

struct iso {
    struct token_op op;
    struct store *s;
    pthread_t th;
};

static void *iso_main(void *p)
{
    struct iso *it = p;
    store_write_wait(it->s, &it->op.w);
    return NULL;
}

static void one_failing_write_fails_alone(void **state)
{
    struct fixture *f = *state;
    struct store *s = fixture_open(f, 0, 0);
    assert_non_null(s);
    assert_int_equal(token_write(s, "taken", ROLE_VIEWER), STORE_OK);

    struct gate g;
    gate_close(&g, s);
    group_calls = single_calls = 0;
    enum { N = 5 };
    static const char *const names[N] = {"n0", "n1", "taken", "n3", "n4"};
    struct iso it[N];
    for (int i = 0; i < N; i++) {
        memset(&it[i], 0, sizeof it[i]);
        it[i].s = s;
        it[i].op.w.apply = counting_token_apply;
        token_make(&it[i].op.rec, names[i], ROLE_OPERATOR);
        if (i == 2)
            it[i].op.rec.hash[0] ^= 0xff; /* a new value under a taken name */
        pthread_create(&it[i].th, NULL, iso_main, &it[i]);
        assert_int_equal(wait_queue_depth(s, (unsigned)i + 1), 0); /* keep the order */
    }
    gate_open(&g);
    for (int i = 0; i < N; i++)
        pthread_join(it[i].th, NULL);

    /* One group of 5 failed, then each write ran alone. */
    assert_int_equal(group_calls, 1);
    assert_int_equal(single_calls, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(it[i].op.w.status, i == 2 ? STORE_CONFLICT : STORE_OK);
    assert_true(it[2].op.w.err[0] != '\0');
    assert_int_equal(token_count(s), 1 + N - 1);
    struct store_stats st;
    store_stats(s, &st);
    assert_int_equal(st.writes_failed, 1);
    store_close(s);
}

/* A write that reports its own status without failing the group commits
 * with its neighbours and keeps that status. */
static enum store_status mark_second_invalid(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct token_op *op = (struct token_op *)w[i];
        if (strcmp(op->rec.name, "skip") == 0) {
            w[i]->status = STORE_INVALID;
            snprintf(w[i]->err, sizeof w[i]->err, "skipped by rule");
            continue;
        }
        enum store_status st = store_token_insert(c, &op->rec);
        if (st != STORE_OK)
            return st;
    }
    return STORE_OK;
}

static void apply_sets_per_write_status(void **state)
{
    struct fixture *f = *state;
    struct store *s = fixture_open(f, 0, 0);
    assert_non_null(s);
    struct token_op op;
    memset(&op, 0, sizeof op);
    op.w.apply = mark_second_invalid;
    token_make(&op.rec, "skip", ROLE_VIEWER);
    assert_int_equal(store_write_wait(s, &op.w), STORE_INVALID);
    assert_string_equal(op.w.err, "skipped by rule");
    memset(&op, 0, sizeof op);
    op.w.apply = mark_second_invalid;
    token_make(&op.rec, "kept", ROLE_VIEWER);
    assert_int_equal(store_write_wait(s, &op.w), STORE_OK);
    assert_int_equal(token_count(s), 1);
    store_close(s);
}

/* A write submitted from inside an apply fn would wait for itself: refused. */
static struct store *nested_store;
static enum store_status nested_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    (void)c;
    struct token_op inner;
    memset(&inner, 0, sizeof inner);
    inner.w.apply = token_apply;
    token_make(&inner.rec, "inner", ROLE_VIEWER);
    enum store_status st = store_write_wait(nested_store, &inner.w);
    for (size_t i = 0; i < n; i++)
        w[i]->status = st;
    return STORE_OK;
}

static void nested_write_is_refused(void **state)
{
    struct fixture *f = *state;
    nested_store = fixture_open(f, 0, 0);
    assert_non_null(nested_store);
    struct store_write w;
    memset(&w, 0, sizeof w);
    w.apply = nested_apply;
    assert_int_equal(store_write_wait(nested_store, &w), STORE_INVALID);
    assert_int_equal(token_count(nested_store), 0);
    store_close(nested_store);
}

/* -------------------------------------------------------- close drains */

struct closer {
    struct store *s;
    pthread_t th;
};

static void *closer_main(void *p)
{
    store_close(((struct closer *)p)->s);
    return NULL;
}

static void close_drains_the_queue(void **state)
{
    struct fixture *f = *state;
    struct store *s = fixture_open(f, 0, 8); /* small batches: several commits to drain */
    assert_non_null(s);
    struct gate g;
    gate_close(&g, s);
    enum { N = 40 };
    struct queued q[N];
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "d%d", i);
        start_queued(&q[i], s, name);
    }
    assert_int_equal(wait_queue_depth(s, N), 0);

    struct closer cl = {.s = s};
    pthread_create(&cl.th, NULL, closer_main, &cl);
    struct store_stats st;
    int64_t until = time_mono_ms() + 10000;
    do { /* wait for store_close to mark the store as stopping */
        usleep(1000);
        store_stats(s, &st);
    } while (!st.stopping && time_mono_ms() < until);
    assert_true(st.stopping);
    struct token_op late;
    memset(&late, 0, sizeof late);
    late.w.apply = token_apply;
    token_make(&late.rec, "late", ROLE_VIEWER);
    assert_int_equal(store_write_wait(s, &late.w), STORE_BUSY);
    assert_non_null(strstr(late.w.err, "shutting down"));

    gate_open(&g);
    assert_int_equal(g.result, STORE_OK);
    for (int i = 0; i < N; i++) {
        pthread_join(q[i].th, NULL);
        assert_int_equal(q[i].st, STORE_OK);
    }
    pthread_join(cl.th, NULL);

    s = fixture_open(f, 0, 0);
    assert_non_null(s);
    assert_int_equal(token_count(s), N);
    store_close(s);
}

/* ------------------------------------------------ readiness, read pool */

static size_t observed_batches;
static void observer(void *ctx, size_t batch, uint64_t latency_us)
{
    (void)ctx;
    (void)latency_us;
    observed_batches += batch > 0;
}

static void ready_and_observer(void **state)
{
    struct fixture *f = *state;
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.url = f->url;
    cfg.ready_timeout_ms = 200;
    struct store *s = NULL;
    char err[256];
    assert_int_equal(store_open(&cfg, &s, err, sizeof err), STORE_OK);
    observed_batches = 0;
    store_set_commit_observer(s, observer, NULL);
    assert_int_equal(store_ready(s), 1);
    struct store_stats st;
    store_stats(s, &st);
    assert_int_equal(st.commits, 1); /* the probe is a real commit */
    assert_int_equal(observed_batches, 1);
    for (int i = 0; i < 50; i++) /* a flood: the fresh commit vouches, no more probes */
        assert_int_equal(store_ready(s), 1);
    store_stats(s, &st);
    assert_int_equal(st.commits, 1);

    /* A writer stuck in a transaction longer than the deadline: not ready. */
    struct gate g;
    gate_close(&g, s);
    usleep(300 * 1000);
    int64_t t0 = time_mono_ms();
    assert_int_equal(store_ready(s), 0);
    assert_true(time_mono_ms() - t0 >= 200);
    gate_open(&g);
    assert_int_equal(store_ready(s), 1);

    /* Idle for more than a second: a new probe is written. */
    usleep(1100 * 1000);
    store_stats(s, &st);
    uint64_t before = st.commits;
    assert_int_equal(store_ready(s), 1);
    store_stats(s, &st);
    assert_true(st.commits > before);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(group_commit_under_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(back_pressure_when_queue_full, setup, teardown),
        cmocka_unit_test_setup_teardown(one_failing_write_fails_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(apply_sets_per_write_status, setup, teardown),
        cmocka_unit_test_setup_teardown(nested_write_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(close_drains_the_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(ready_and_observer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
