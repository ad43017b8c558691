/* Match windows: thresholds over time, reminders, resolution, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/logwin.h"

static struct logwin_hit burst(const char *key)
{
    return (struct logwin_hit){.rule_id = "builtin.http_5xx",
                               .key = key,
                               .class = "application_services.http_5xx_burst",
                               .severity = "warning",
                               .window_seconds = 60,
                               .threshold = 20,
                               .snippet = "\"GET / HTTP/1.1\" 503 0",
                               .snippet_len = 22,
                               .offset = 0};
}

#define T0 1795000000000LL /* some wall-clock ms */

static void threshold_within_window(void **state)
{
    (void)state;
    struct logwin *w = NULL;
    assert_int_equal(logwin_create(16, &w), 0);
    struct logwin_hit h = burst("web:builtin.http_5xx");
    const struct logwin_entry *e = NULL;
    /* 19 errors spread over 57 s: below the threshold. */
    for (int i = 0; i < 19; i++)
        assert_int_equal(logwin_hit(w, &h, T0 + i * 3000, &e), LOGWIN_COUNTED);
    /* The 20th within the window fires, once. */
    assert_int_equal(logwin_hit(w, &h, T0 + 57500, &e), LOGWIN_FIRE);
    assert_non_null(e);
    assert_int_equal(logwin_count(e, T0 + 57500), 20);
    assert_string_equal(e->key, "web:builtin.http_5xx");
    assert_int_equal(logwin_hit(w, &h, T0 + 58000, &e), LOGWIN_COUNTED);
    logwin_destroy(w);
}

static void slow_trickle_never_fires(void **state)
{
    (void)state;
    struct logwin *w = NULL;
    assert_int_equal(logwin_create(16, &w), 0);
    struct logwin_hit h = burst("web:builtin.http_5xx");
    const struct logwin_entry *e = NULL;
    /* One error every 4 s for 10 minutes: 15 per minute, threshold 20. */
    for (int i = 0; i < 150; i++)
        assert_int_equal(logwin_hit(w, &h, T0 + (int64_t)i * 4000, &e), LOGWIN_COUNTED);
    logwin_destroy(w);
}

static void on_resolved(void *c, const struct logwin_entry *en)
{
    assert_string_equal(en->class, "application_services.http_5xx_burst");
    (*(int *)c)++;
}

static void reminder_once_per_window_then_resolved(void **state)
{
    (void)state;
    struct logwin *w = NULL;
    assert_int_equal(logwin_create(16, &w), 0);
    struct logwin_hit h = burst("web:builtin.http_5xx");
    const struct logwin_entry *e = NULL;
    int fires = 0;
    /* A sustained burst: one error per 100 ms for 150 s. */
    for (int i = 0; i < 1500; i++)
        if (logwin_hit(w, &h, T0 + (int64_t)i * 100, &e) == LOGWIN_FIRE)
            fires++;
    assert_int_equal(fires, 3); /* at ~2 s, then at most once per 60 s */
    int resolved = 0;
    int *ctx = &resolved;
    /* Still inside the window: nothing resolves, nothing is forgotten. */
    logwin_expire(w, T0 + 150000 + 10000, on_resolved, ctx);
    assert_int_equal(resolved, 0);
    assert_int_equal(logwin_size(w), 1);
    /* A full window of quiet: resolved once, then forgotten. */
    logwin_expire(w, T0 + 150000 + 61000, on_resolved, ctx);
    assert_int_equal(resolved, 1);
    assert_int_equal(logwin_size(w), 0);
    logwin_expire(w, T0 + 150000 + 200000, on_resolved, ctx);
    assert_int_equal(resolved, 1);
    logwin_destroy(w);
}

static void keys_are_separate_and_bounded(void **state)
{
    (void)state;
    struct logwin *w = NULL;
    assert_int_equal(logwin_create(2, &w), 0);
    const struct logwin_entry *e = NULL;
    struct logwin_hit a = burst("a"), b = burst("b"), c = burst("c");
    a.threshold = b.threshold = c.threshold = 2;
    assert_int_equal(logwin_hit(w, &a, T0, &e), LOGWIN_COUNTED);
    assert_int_equal(logwin_hit(w, &b, T0, &e), LOGWIN_COUNTED);
    assert_int_equal(logwin_hit(w, &c, T0, &e), LOGWIN_DROPPED);
    assert_int_equal(logwin_dropped(w), 1);
    assert_int_equal(logwin_hit(w, &a, T0 + 1, &e), LOGWIN_FIRE);
    assert_string_equal(e->key, "a");
    /* Same key, other rule: its own window. */
    struct logwin_hit a2 = a;
    a2.rule_id = "other";
    assert_int_equal(logwin_hit(w, &a2, T0 + 2, &e), LOGWIN_DROPPED);
    /* Once idle keys expire there is room again. */
    logwin_expire(w, T0 + 120000, NULL, NULL);
    assert_int_equal(logwin_size(w), 0);
    assert_int_equal(logwin_hit(w, &c, T0 + 120001, &e), LOGWIN_COUNTED);
    logwin_destroy(w);
}

static void excerpts_keep_the_last_lines(void **state)
{
    (void)state;
    struct logwin *w = NULL;
    assert_int_equal(logwin_create(4, &w), 0);
    const struct logwin_entry *e = NULL;
    struct logwin_hit h = burst("k");
    h.threshold = LOGWIN_EXCERPTS + 3;
    char line[64];
    int rc = 0;
    for (int i = 0; i < LOGWIN_EXCERPTS + 3; i++) {
        snprintf(line, sizeof line, "line %d \xFF", i);
        h.snippet = line;
        h.snippet_len = strlen(line);
        h.offset = (uint64_t)i * 100;
        rc = logwin_hit(w, &h, T0 + i, &e);
    }
    assert_int_equal(rc, LOGWIN_FIRE);
    json_t *ex = logwin_excerpts(e);
    assert_int_equal(json_array_size(ex), LOGWIN_EXCERPTS);
    json_t *first = json_array_get(ex, 0);
    assert_string_equal(json_string_value(json_object_get(first, "text")), "line 3 ?");
    assert_int_equal(json_integer_value(json_object_get(first, "offset")), 300);
    json_t *last = json_array_get(ex, LOGWIN_EXCERPTS - 1);
    assert_string_equal(json_string_value(json_object_get(last, "text")), "line 7 ?");
    json_decref(ex);
    /* A long snippet is cut to the bound. */
    char big[3000];
    memset(big, 'x', sizeof big);
    h.snippet = big;
    h.snippet_len = sizeof big;
    logwin_hit(w, &h, T0 + 100, &e);
    h.threshold = 1;
    h.window_seconds = 10; /* a rule edit: the window restarts */
    /* Still firing since T0+7, within the new window: no reminder yet. */
    assert_int_equal(logwin_hit(w, &h, T0 + 200, &e), LOGWIN_COUNTED);
    assert_int_equal(logwin_hit(w, &h, T0 + 5000, &e), LOGWIN_COUNTED);
    assert_int_equal(logwin_hit(w, &h, T0 + 10010, &e), LOGWIN_FIRE);
    assert_int_equal(logwin_count(e, T0 + 10010), 2); /* T0+5000 and now */
    ex = logwin_excerpts(e);
    assert_int_equal(json_string_length(json_object_get(json_array_get(ex, LOGWIN_EXCERPTS - 1),
                                                        "text")),
                     LOGWIN_SNIPPET_MAX);
    json_decref(ex);
    logwin_destroy(w);
}

static void clock_stepping_back_keeps_counting(void **state)
{
    (void)state;
    struct logwin *w = NULL;
    assert_int_equal(logwin_create(4, &w), 0);
    const struct logwin_entry *e = NULL;
    struct logwin_hit h = burst("k");
    h.threshold = 3;
    assert_int_equal(logwin_hit(w, &h, T0 + 10000, &e), LOGWIN_COUNTED);
    assert_int_equal(logwin_hit(w, &h, T0, &e), LOGWIN_COUNTED);
    assert_int_equal(logwin_hit(w, &h, T0 - 5000, &e), LOGWIN_FIRE);
    logwin_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threshold_within_window),
        cmocka_unit_test(slow_trickle_never_fires),
        cmocka_unit_test(reminder_once_per_window_then_resolved),
        cmocka_unit_test(keys_are_separate_and_bounded),
        cmocka_unit_test(excerpts_keep_the_last_lines),
        cmocka_unit_test(clock_stepping_back_keeps_counting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
