/* The sources worker is an object: two run side by side in one process, each
 * with its own instances, findings, metrics registry and status; one stops
 * (a replica losing leadership) and starts again while the other runs on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sources/sources.h"
#include "support/srcfix.h"
#include "util/metrics.h"

static json_t *tcp_policy(const char *id, const char *target)
{
    return json_pack("{s:[{s:s,s:s,s:s,s:i}]}", "probes", "id", id, "kind", "tcp", "target",
                     target, "interval_seconds", 1);
}

static json_t *ids(struct sources *s)
{
    json_t *out = json_array();
    json_t *st = sources_status(s);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(st, "items"), i, it)
        json_array_append(out, json_object_get(it, "id"));
    json_decref(st);
    return out;
}

static int has_series(struct metrics *reg, const char *needle)
{
    char *text = metrics_render(reg, NULL);
    int found = text && strstr(text, needle) != NULL;
    free(text);
    return found;
}

/* Findings carry the probe id in their correlation key's source: count by id. */
static size_t findings_of(struct capture *cap, const char *id)
{
    json_t *all = capture_take(cap);
    size_t n = 0, i;
    json_t *f;
    json_array_foreach(all, i, f) {
        const char *text = json_dumps(f, JSON_COMPACT);
        if (text && strstr(text, id))
            n++;
        free((void *)text);
    }
    json_decref(all);
    return n;
}

static void two_sources_in_one_process(void **state)
{
    (void)state;
    unsigned port;
    int lfd = tcp_listen_any(&port);
    assert_true(lfd >= 0);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%u", port);

    struct capture cap_a, cap_b;
    struct finding_sink sink_a, sink_b;
    capture_init(&cap_a, &sink_a);
    capture_init(&cap_b, &sink_b);
    struct metrics *reg_a = metrics_create(), *reg_b = metrics_create();
    struct sources_config ca = {.no_host = 1, .metrics = reg_a};
    struct sources_config cb = {.no_host = 1, .metrics = reg_b};
    struct sources *a = NULL, *b = NULL;
    char err[300];
    assert_int_equal(sources_create(&ca, &sink_a, &a, err, sizeof err), 0);
    assert_int_equal(sources_create(&cb, &sink_b, &b, err, sizeof err), 0);

    json_t *pa = tcp_policy("probe-a", target), *pb = tcp_policy("probe-b", target);
    assert_int_equal(sources_start(a, pa, err, sizeof err), 0);
    assert_int_equal(sources_start(b, pb, err, sizeof err), 0);
    assert_int_equal(sources_wait_cycles(a, 1, 30000), 0);
    assert_int_equal(sources_wait_cycles(b, 1, 30000), 0);

    /* each sees only its own instance, findings and metrics */
    json_t *ia = ids(a), *ib = ids(b);
    assert_int_equal(json_array_size(ia), 1);
    assert_string_equal(json_string_value(json_array_get(ia, 0)), "probe-a");
    assert_int_equal(json_array_size(ib), 1);
    assert_string_equal(json_string_value(json_array_get(ib, 0)), "probe-b");
    json_decref(ia);
    json_decref(ib);
    /* a new probe's first good check announces it is healthy: one finding each */
    assert_true(findings_of(&cap_a, "probe-a") >= 1);
    assert_int_equal(findings_of(&cap_b, "probe-a"), 0);
    assert_true(has_series(reg_a, "srebot_source_runs_total{id=\"probe-a\""));
    assert_false(has_series(reg_a, "probe-b"));
    assert_true(has_series(reg_b, "srebot_source_runs_total{id=\"probe-b\""));
    assert_false(has_series(reg_b, "probe-a"));

    /* a stops (leadership lost); b runs on */
    sources_stop(a);
    json_t *stopped = ids(a);
    assert_int_equal(json_array_size(stopped), 0);
    json_decref(stopped);
    assert_int_equal(sources_wait_cycles(b, 2, 30000), 0);
    json_t *still = ids(b);
    assert_int_equal(json_array_size(still), 1);
    json_decref(still);

    /* a starts again (leadership regained), with a new policy */
    json_t *pa2 = tcp_policy("probe-a2", target);
    assert_int_equal(sources_start(a, pa2, err, sizeof err), 0);
    assert_int_not_equal(sources_start(a, pa2, err, sizeof err), 0); /* not twice */
    assert_int_equal(sources_wait_cycles(a, 1, 30000), 0);
    json_t *again = ids(a);
    assert_int_equal(json_array_size(again), 1);
    assert_string_equal(json_string_value(json_array_get(again, 0)), "probe-a2");
    json_decref(again);
    assert_true(has_series(reg_a, "srebot_source_runs_total{id=\"probe-a2\""));
    assert_false(has_series(reg_b, "probe-a2"));

    sources_destroy(a);
    sources_destroy(b);
    sources_destroy(NULL);
    json_decref(pa);
    json_decref(pb);
    json_decref(pa2);
    metrics_destroy(reg_a);
    metrics_destroy(reg_b);
    capture_free(&cap_a);
    capture_free(&cap_b);
    close(lfd);
}

/* A kind this build left out is named with the option that brings it in;
 * an unknown one is just unknown. */
static void unknown_kind_is_explained(void **state)
{
    (void)state;
    char err[300];
    assert_null(source_select("nosuch", err, sizeof err));
    assert_non_null(strstr(err, "no such adapter"));
    assert_non_null(strstr(err, "tcp"));
#ifndef SREBOT_WITH_VECTORSCAN
    assert_null(source_select("logfile", err, sizeof err));
    assert_non_null(strstr(err, "SREBOT_WITH_VECTORSCAN"));
#else
    assert_non_null(source_select("logfile", err, sizeof err));
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_sources_in_one_process),
        cmocka_unit_test(unknown_kind_is_explained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
