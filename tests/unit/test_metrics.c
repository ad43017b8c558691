/* Metrics registry: exact Prometheus text, histogram buckets, escaping,
 * idempotent registration, bounded cardinality, lock-free updates under threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/metrics.h"

static double seven(void *ctx)
{
    (void)ctx;
    return 7.5;
}

static void test_render_exact(void **state)
{
    (void)state;
    struct metrics *reg = metrics_create();
    struct metric *c = metrics_counter(reg, "t_requests_total", "Requests by route",
                                       (const char *[]){"route", "status", NULL});
    metric_add(metric_series_get(c, (const char *[]){"/a", "200"}), 3);
    metric_inc(metric_series_get(c, (const char *[]){"/b", "404"}));
    metric_inc(metric_series_get(c, (const char *[]){"/a", "200"}));
    struct metric *g = metrics_gauge(reg, "t_depth", "Queue depth", NULL);
    metric_set(metric_series0(g), 12);
    metric_gauge_add(metric_series0(g), -2.5);
    static const double bounds[] = {0.1, 1};
    struct metric *hg = metrics_histogram(reg, "t_seconds", "Latency", NULL, bounds, 2);
    struct metric_series *hs = metric_series0(hg);
    metric_observe(hs, 0.05);
    metric_observe(hs, 0.1); /* le is inclusive */
    metric_observe(hs, 0.5);
    metric_observe(hs, 3);
    metrics_gauge_fn(reg, "t_fn", "Computed", seven, NULL);
    /* a labelled family with no series renders nothing */
    metrics_counter(reg, "t_unused_total", "Unused", (const char *[]){"x", NULL});

    size_t len = 0;
    char *text = metrics_render(reg, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    const char *want = "# HELP t_requests_total Requests by route\n"
                       "# TYPE t_requests_total counter\n"
                       "t_requests_total{route=\"/a\",status=\"200\"} 4\n"
                       "t_requests_total{route=\"/b\",status=\"404\"} 1\n"
                       "# HELP t_depth Queue depth\n"
                       "# TYPE t_depth gauge\n"
                       "t_depth 9.5\n"
                       "# HELP t_seconds Latency\n"
                       "# TYPE t_seconds histogram\n"
                       "t_seconds_bucket{le=\"0.1\"} 2\n"
                       "t_seconds_bucket{le=\"1\"} 3\n"
                       "t_seconds_bucket{le=\"+Inf\"} 4\n"
                       "t_seconds_sum 3.65\n"
                       "t_seconds_count 4\n"
                       "# HELP t_fn Computed\n"
                       "# TYPE t_fn gauge\n"
                       "t_fn 7.5\n";
    assert_string_equal(text, want);
    free(text);
    assert_int_equal((int)metric_value(hs), 4);
    metrics_destroy(reg);
}

static void test_escaping_and_labels_with_le(void **state)
{
    (void)state;
    struct metrics *reg = metrics_create();
    struct metric *c = metrics_counter(reg, "t_total", "Help with \\ and\nnewline",
                                       (const char *[]){"v", NULL});
    metric_inc(metric_series_get(c, (const char *[]){"a\"b\\c\nd"}));
    static const double bounds[] = {5};
    struct metric *h = metrics_histogram(reg, "t_size", "Sizes", (const char *[]){"route", NULL},
                                         bounds, 1);
    metric_observe(metric_series_get(h, (const char *[]){"/x"}), 2);
    char *text = metrics_render(reg, NULL);
    assert_non_null(strstr(text, "# HELP t_total Help with \\\\ and\\nnewline\n"));
    assert_non_null(strstr(text, "t_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
    assert_non_null(strstr(text, "t_size_bucket{route=\"/x\",le=\"5\"} 1\n"));
    assert_non_null(strstr(text, "t_size_count{route=\"/x\"} 1\n"));
    free(text);
    metrics_destroy(reg);
}

static void test_registration_idempotent(void **state)
{
    (void)state;
    struct metrics *reg = metrics_create();
    struct metric *a = metrics_counter(reg, "t_x_total", "X", NULL);
    struct metric *b = metrics_counter(reg, "t_x_total", "X again", NULL);
    assert_ptr_equal(a, b);
    /* same name, other type: refused */
    assert_null(metrics_gauge(reg, "t_x_total", "X", NULL));
    /* same labels: the same series; label tuples are not confused by concatenation */
    struct metric *l = metrics_counter(reg, "t_l_total", "L", (const char *[]){"a", "b", NULL});
    struct metric_series *s1 = metric_series_get(l, (const char *[]){"ab", ""});
    struct metric_series *s2 = metric_series_get(l, (const char *[]){"a", "b"});
    assert_ptr_not_equal(s1, s2);
    assert_ptr_equal(s1, metric_series_get(l, (const char *[]){"ab", ""}));
    /* NULL everywhere is harmless */
    metric_inc(NULL);
    metric_observe(NULL, 1);
    assert_null(metric_series_get(NULL, NULL));
    metrics_destroy(reg);
}

static void test_cardinality_bound(void **state)
{
    (void)state;
    struct metrics *reg = metrics_create();
    struct metric *c = metrics_counter(reg, "t_many_total", "Many", (const char *[]){"k", NULL});
    char v[16];
    size_t got = 0;
    for (int i = 0; i < METRICS_MAX_SERIES + 50; i++) {
        snprintf(v, sizeof v, "%d", i);
        struct metric_series *s = metric_series_get(c, (const char *[]){v});
        if (s)
            got++;
        metric_inc(s);
    }
    assert_int_equal(got, METRICS_MAX_SERIES);
    char *text = metrics_render(reg, NULL);
    size_t lines = 0;
    for (const char *p = text; (p = strstr(p, "t_many_total{")) != NULL; p++)
        lines++;
    assert_int_equal(lines, METRICS_MAX_SERIES);
    free(text);
    metrics_destroy(reg);
}

#define THREADS 8
#define PER_THREAD 20000

static struct metric *shared_counter, *shared_hist;

static void *hammer(void *arg)
{
    char route[8];
    snprintf(route, sizeof route, "/r%d", (int)(size_t)arg % 3);
    for (int i = 0; i < PER_THREAD; i++) {
        metric_inc(metric_series_get(shared_counter, (const char *[]){route}));
        metric_observe(metric_series0(shared_hist), 0.25);
    }
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    (void)state;
    struct metrics *reg = metrics_create();
    shared_counter = metrics_counter(reg, "t_c_total", "C", (const char *[]){"route", NULL});
    shared_hist = metrics_histogram(reg, "t_h", "H", NULL, (const double[]){0.1, 1}, 2);
    pthread_t th[THREADS];
    for (size_t i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, hammer, (void *)i);
    /* render while writers run: must not crash or tear */
    for (int i = 0; i < 20; i++)
        free(metrics_render(reg, NULL));
    for (size_t i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    double total = 0;
    for (int r = 0; r < 3; r++) {
        char route[8];
        snprintf(route, sizeof route, "/r%d", r);
        total += metric_value(metric_series_get(shared_counter, (const char *[]){route}));
    }
    assert_int_equal((long)total, THREADS * PER_THREAD);
    assert_int_equal((long)metric_value(metric_series0(shared_hist)), THREADS * PER_THREAD);
    char *text = metrics_render(reg, NULL);
    char want[96];
    snprintf(want, sizeof want, "t_h_sum %d\n", THREADS * PER_THREAD / 4);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "t_h_bucket{le=\"1\"} %d\n", THREADS * PER_THREAD);
    assert_non_null(strstr(text, want));
    free(text);
    metrics_destroy(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_exact),
        cmocka_unit_test(test_escaping_and_labels_with_le),
        cmocka_unit_test(test_registration_idempotent),
        cmocka_unit_test(test_cardinality_bound),
        cmocka_unit_test(test_concurrent_updates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
