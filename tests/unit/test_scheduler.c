/* The scheduler with test kinds: a broken instance backs off (capped,
 * exponential) while the others keep their interval; a slow one does not hold
 * the pool; reconfigure swaps by id and keeps unchanged instances' state;
 * status and metrics report per-instance counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <unistd.h>
#include <cmocka.h>

#include "sources/scheduler.h"
#include "support/srcfix.h"
#include "util/timeutil.h"

static atomic_int inits, destroys, broken_runs;

struct tick {
    int runs; /* instance state: survives a reconfigure that keeps the instance */
};

static int tick_init(const json_t *cfg, void *deps, void **out, char *err, size_t errlen)
{
    (void)cfg;
    (void)err;
    (void)errlen;
    atomic_fetch_add(&inits, 1);
    *out = calloc(1, sizeof(struct tick));
    return 0;
}
static int tick_run(void *inst, int64_t now, const struct finding_sink *sink, char *err,
                    size_t errlen)
{
    (void)err;
    (void)errlen;
    struct tick *t = inst;
    t->runs++;
    json_t *f = json_pack("{s:s,s:i}", "class", "test.tick", "n", t->runs);
    json_object_set_new(f, "at", json_integer(now));
    sink->emit(sink->ctx, f);
    return 0;
}
static void tick_destroy(void *inst)
{
    atomic_fetch_add(&destroys, 1);
    free(inst);
}
static const struct source_ops tick_ops = {"tick", "test", tick_init, tick_run, tick_destroy, 20};

static int broken_run(void *inst, int64_t now, const struct finding_sink *sink, char *err,
                      size_t errlen)
{
    (void)inst;
    (void)now;
    (void)sink;
    atomic_fetch_add(&broken_runs, 1);
    snprintf(err, errlen, "target unreachable");
    return -1;
}
static const struct source_ops broken_ops = {"broken", "test", tick_init, broken_run,
                                             tick_destroy, 20};

static int badinit_init(const json_t *cfg, void *deps, void **out, char *err, size_t errlen)
{
    (void)cfg;
    (void)out;
    snprintf(err, errlen, "cannot open /nonexistent");
    return -1;
}
static const struct source_ops badinit_ops = {"badinit", "test", badinit_init, tick_run,
                                              tick_destroy, 20};

static int slow_run(void *inst, int64_t now, const struct finding_sink *sink, char *err,
                    size_t errlen)
{
    usleep(300 * 1000);
    return tick_run(inst, now, sink, err, errlen);
}
static const struct source_ops slow_ops = {"slow", "test", tick_init, slow_run, tick_destroy, 20};

static const struct source_ops *test_find(const char *kind)
{
    static const struct source_ops *const all[] = {&tick_ops, &broken_ops, &badinit_ops,
                                                   &slow_ops};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(all[i]->name, kind) == 0)
            return all[i];
    return NULL;
}

static json_t *item(json_t *status, const char *id)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(status, "items"), i, it) if (
        strcmp(json_string_value(json_object_get(it, "id")), id) == 0) return it;
    return NULL;
}

static long long ival(json_t *it, const char *k) { return json_integer_value(json_object_get(it, k)); }

/* The most tries a failing instance can make in elapsed_ms with backoff
 * base..cap doubling (the first try at once, each next one at least a backoff
 * after the previous one ended). */
static long long max_tries(int64_t elapsed_ms, int64_t base, int64_t cap)
{
    long long n = 1;
    for (int64_t at = base, back = base; at <= elapsed_ms; n++) {
        back = back * 2 > cap ? cap : back * 2;
        at += back;
    }
    return n;
}

/* Status once the instances have had time to show their behaviour: at least
 * min_ms, and good/bad/noinit past the counts the test needs. Under load that
 * takes longer (each bound below is relative to the time that really passed);
 * a good instance held up by its neighbours never gets there (30 s: fail). */
static json_t *status_after(struct scheduler *s, int64_t t0, int64_t min_ms, int64_t *elapsed)
{
    for (;;) {
        json_t *st = scheduler_status(s);
        *elapsed = time_mono_ms() - t0;
        if (*elapsed >= min_ms && ival(item(st, "good"), "runs") >= 20 &&
            ival(item(st, "bad"), "runs") >= 3 && ival(item(st, "noinit"), "runs") >= 2)
            return st;
        json_decref(st);
        if (*elapsed > 30000)
            fail_msg("the good instance did not get its runs in 30 s");
        usleep(10 * 1000);
    }
}

static void test_backoff_does_not_stop_others(void **state)
{
    (void)state;
    atomic_store(&broken_runs, 0);
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    struct metrics *reg = metrics_create();
    struct scheduler_opts o = {.workers = 2, .retry_base_ms = 50, .retry_max_ms = 400,
                               .find = test_find, .metrics = reg};
    struct scheduler *s;
    char err[200];
    assert_int_equal(scheduler_create(&o, &sink, &s, err, sizeof err), 0);
    json_t *specs = json_pack("[{s:s,s:s,s:i},{s:s,s:s,s:i},{s:s,s:s,s:i},{s:s,s:s,s:i}]", "id",
                              "good", "kind", "tick", "interval_ms", 20, "id", "bad", "kind",
                              "broken", "interval_ms", 20, "id", "slow", "kind", "slow",
                              "interval_ms", 20, "id", "noinit", "kind", "badinit",
                              "interval_ms", 20);
    int64_t t0 = time_mono_ms(), elapsed;
    assert_int_equal(scheduler_reconfigure(s, specs, err, sizeof err), 0);
    json_decref(specs);
    json_t *st = status_after(s, t0, 1500, &elapsed);
    json_t *good = item(st, "good"), *bad = item(st, "bad"), *noinit = item(st, "noinit");
    /* at 20 ms: dozens of runs even with a slow neighbour holding one worker */
    assert_true(ival(good, "runs") >= 20);
    assert_string_equal(json_string_value(json_object_get(good, "state")), "ok");
    /* one finding per run; findings count as they are emitted and runs as they
     * end, so a snapshot may fall inside a run (exact after destroy, below) */
    long long gf = ival(good, "findings"), gr = ival(good, "runs");
    if (gf < gr || gf > gr + 1)
        fail_msg("good: %lld findings for %lld runs", gf, gr);
    assert_true(json_is_null(json_object_get(good, "last_error")));
    assert_true(json_is_string(json_object_get(good, "last_run")));
    /* backoff 50, 100, 200, 400, 400...: about 6 tries in 1.5 s instead of 75 */
    long long br = ival(bad, "runs"), most = max_tries(elapsed, 50, 400);
    if (br < 3 || br > most)
        fail_msg("%lld tries in %lld ms, want 3..%lld", br, (long long)elapsed, most);
    assert_int_equal(ival(bad, "failures"), br);
    assert_int_equal(ival(bad, "consecutive_failures"), br);
    assert_string_equal(json_string_value(json_object_get(bad, "state")), "failing");
    assert_string_equal(json_string_value(json_object_get(bad, "last_error")),
                        "target unreachable");
    assert_true(ival(bad, "next_run_in_ms") <= 400);
    assert_string_equal(json_string_value(json_object_get(noinit, "state")), "failing");
    assert_string_equal(json_string_value(json_object_get(noinit, "last_error")),
                        "cannot open /nonexistent");
    assert_true(ival(noinit, "runs") >= 2 && ival(noinit, "runs") <= most);
    json_decref(st);
    /* the slow instance spends most of its time inside a cycle: seen running */
    int seen_running = 0;
    for (int i = 0; i < 3000 && !seen_running; i++) {
        st = scheduler_status(s);
        json_t *rf = json_object_get(item(st, "slow"), "running_for_ms");
        seen_running = json_is_integer(rf) && json_integer_value(rf) >= 0;
        json_decref(st);
        usleep(10 * 1000);
    }
    assert_true(seen_running);

    scheduler_destroy(s);
    size_t n = 0;
    char *text = metrics_render(reg, &n);
    assert_non_null(text);
    /* the counter kept counting until destroy: at least what the status saw */
    const char *fl = strstr(text, "srebot_source_failures_total{id=\"bad\",kind=\"broken\"} ");
    assert_non_null(fl);
    assert_true(atoll(strchr(fl, '}') + 2) >= br);
    /* stopped: every run has ended, one finding each */
    const char *gr_line = strstr(text, "srebot_source_runs_total{id=\"good\",kind=\"tick\"} ");
    const char *gf_line = strstr(text, "srebot_source_findings_total{id=\"good\",kind=\"tick\"} ");
    assert_non_null(gr_line);
    assert_non_null(gf_line);
    assert_true(atoll(strchr(gr_line, '}') + 2) >= gr);
    assert_int_equal(atoll(strchr(gf_line, '}') + 2), atoll(strchr(gr_line, '}') + 2));
    assert_non_null(strstr(text, "srebot_source_up{id=\"good\",kind=\"tick\"} 1"));
    assert_non_null(strstr(text, "srebot_source_up{id=\"bad\",kind=\"broken\"} 0"));
    assert_non_null(strstr(text, "# TYPE srebot_source_runs_total counter"));
    free(text);
    metrics_destroy(reg);
    capture_free(&cap);
}

static void test_reconfigure_swaps_by_id(void **state)
{
    (void)state;
    atomic_store(&inits, 0);
    atomic_store(&destroys, 0);
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    struct scheduler_opts o = {.workers = 2, .find = test_find};
    struct scheduler *s;
    char err[200];
    assert_int_equal(scheduler_create(&o, &sink, &s, err, sizeof err), 0);
    json_t *v1 = json_pack("[{s:s,s:s,s:i,s:{s:i}},{s:s,s:s,s:i,s:{s:i}},{s:s,s:s,s:i}]", "id",
                           "a", "kind", "tick", "interval_ms", 20, "config", "x", 1, "id", "b",
                           "kind", "tick", "interval_ms", 20, "config", "x", 1, "id", "c", "kind",
                           "tick", "interval_ms", 20);
    assert_int_equal(scheduler_reconfigure(s, v1, err, sizeof err), 0);
    assert_int_equal(scheduler_wait_cycles(s, 5, 30000), 0);
    assert_int_equal(atomic_load(&inits), 3);

    /* a unchanged, b changed config, c removed, d added, e disabled */
    json_t *v2 = json_pack("[{s:s,s:s,s:i,s:{s:i}},{s:s,s:s,s:i,s:{s:i}},{s:s,s:s,s:i},"
                           "{s:s,s:s,s:b}]",
                           "id", "a", "kind", "tick", "interval_ms", 20, "config", "x", 1, "id",
                           "b", "kind", "tick", "interval_ms", 20, "config", "x", 2, "id", "d",
                           "kind", "tick", "interval_ms", 20, "id", "e", "kind", "tick",
                           "enabled", 0);
    json_t *before = scheduler_status(s);
    long long a_runs = ival(item(before, "a"), "runs");
    json_decref(before);
    int64_t t0 = time_mono_ms();
    assert_int_equal(scheduler_reconfigure(s, v2, err, sizeof err), 0);
    json_t *st = scheduler_status(s);
    int64_t elapsed = time_mono_ms() - t0;
    assert_int_equal(json_array_size(json_object_get(st, "items")), 4);
    assert_null(item(st, "c"));
    assert_true(ival(item(st, "a"), "runs") >= a_runs); /* kept, counters continue */
    /* rebuilt: counted from zero, so no more runs than 20 ms intervals since
     * the swap (a kept counter would be past 5 unless the machine stalled) */
    if (ival(item(st, "b"), "runs") > 1 + elapsed / 20)
        fail_msg("b has %lld runs %lld ms after it was rebuilt", ival(item(st, "b"), "runs"),
                 (long long)elapsed);
    assert_string_equal(json_string_value(json_object_get(item(st, "e"), "state")), "disabled");
    json_decref(st);
    assert_int_equal(scheduler_wait_cycles(s, 2, 30000), 0);
    st = scheduler_status(s);
    assert_int_equal(ival(item(st, "e"), "runs"), 0);
    json_decref(st);
    /* b and c were destroyed; a kept its instance: inits = 3 + b + d */
    assert_int_equal(atomic_load(&inits), 5);
    assert_true(atomic_load(&destroys) >= 2);

    /* invalid sets are refused whole, the running set stays */
    json_t *bad = json_pack("[{s:s,s:s},{s:s,s:s}]", "id", "a", "kind", "tick", "id", "a", "kind",
                            "tick");
    assert_int_equal(scheduler_reconfigure(s, bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "duplicate"));
    json_decref(bad);
    bad = json_pack("[{s:s,s:s}]", "id", "z", "kind", "nosuchkind");
    assert_int_equal(scheduler_reconfigure(s, bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown source kind"));
    json_decref(bad);
    st = scheduler_status(s);
    assert_int_equal(json_array_size(json_object_get(st, "items")), 4);
    json_decref(st);

    /* findings of a kept instance keep counting from its own state */
    json_t *got = capture_take(&cap);
    assert_true(json_array_size(got) > 0);
    json_decref(got);
    scheduler_destroy(s);
    assert_int_equal(atomic_load(&inits), atomic_load(&destroys));
    json_decref(v1);
    json_decref(v2);
    capture_free(&cap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_does_not_stop_others),
        cmocka_unit_test(test_reconfigure_swaps_by_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
