/* The hysteresis latch and the /proc parsers, by tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "core/hysteresis.h"
#include "core/procfs.h"

struct hyst_case {
    const char *name;
    double raise, clear;
    unsigned samples, clear_samples;
    enum hyst_direction dir;
    double values[12];
    size_t n;
    const char *expect; /* one char per value: '.' none, 'R' raised, 'C' cleared */
};

static const struct hyst_case hyst_cases[] = {
    {"raises after three samples", 90, 85, 3, 3, HYST_HIGH_IS_BAD,
     {91, 92, 93, 94}, 4, "..R."},
    {"a dip below the level restarts the count", 90, 85, 3, 3, HYST_HIGH_IS_BAD,
     {91, 92, 89, 91, 92, 93}, 6, ".....R"},
    {"hovering around the line never raises", 90, 85, 2, 2, HYST_HIGH_IS_BAD,
     {90.1, 89.9, 90.2, 89.8, 90.1, 89.9}, 6, "......"},
    {"dead band keeps it firing", 90, 85, 1, 2, HYST_HIGH_IS_BAD,
     {95, 87, 86, 88, 89, 86}, 6, "R....."},
    {"clears after clear_samples under the clear level", 90, 85, 1, 2, HYST_HIGH_IS_BAD,
     {95, 80, 84, 84}, 4, "R.C."},
    {"the clear level itself is not good", 90, 85, 1, 1, HYST_HIGH_IS_BAD,
     {95, 85, 84.9}, 3, "R.C"},
    {"exactly the raise level is bad", 90, 85, 1, 1, HYST_HIGH_IS_BAD, {90}, 1, "R"},
    {"raises again after clearing", 90, 85, 1, 1, HYST_HIGH_IS_BAD,
     {95, 50, 95, 50}, 4, "RCRC"},
    {"low is bad (days to expiry)", 14, 20, 1, 1, HYST_LOW_IS_BAD,
     {30, 13, 15, 21}, 4, ".R.C"},
    {"probe latch: 3 failures, 1 success", 1, 0.5, 3, 1, HYST_HIGH_IS_BAD,
     {1, 1, 0, 1, 1, 1, 1, 0}, 8, ".....R.C"},
    {"NaN (no reading) breaks a streak like the dead band", 90, 85, 2, 1, HYST_HIGH_IS_BAD,
     {95, __builtin_nan(""), 95, 95}, 4, "...R"},
};

static void test_hysteresis_table(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof hyst_cases / sizeof hyst_cases[0]; c++) {
        const struct hyst_case *t = &hyst_cases[c];
        struct hysteresis h;
        assert_int_equal(hysteresis_init(&h, t->raise, t->clear, t->samples, t->clear_samples,
                                         t->dir),
                         0);
        char got[16] = "";
        for (size_t i = 0; i < t->n; i++) {
            enum hyst_event e = hysteresis_update(&h, t->values[i]);
            got[i] = e == HYST_RAISED ? 'R' : e == HYST_CLEARED ? 'C' : '.';
        }
        if (strcmp(got, t->expect) != 0)
            fail_msg("%s: got %s, expected %s", t->name, got, t->expect);
    }
}

static void test_hysteresis_rejects_bad_levels(void **state)
{
    (void)state;
    struct hysteresis h;
    assert_int_equal(hysteresis_init(&h, 80, 90, 1, 1, HYST_HIGH_IS_BAD), -1);
    assert_int_equal(hysteresis_init(&h, 20, 10, 1, 1, HYST_LOW_IS_BAD), -1);
    assert_int_equal(hysteresis_init(&h, 90, 85, 0, 1, HYST_HIGH_IS_BAD), -1);
    assert_int_equal(hysteresis_init(&h, 90, 85, 1, 0, HYST_HIGH_IS_BAD), -1);
    assert_int_equal(hysteresis_init(&h, 90, 90, 1, 1, HYST_HIGH_IS_BAD), 0);
}

static void test_proc_stat(void **state)
{
    (void)state;
    static const char stat[] = "cpu  100 20 30 800 50 5 5 10 0 0\n"
                               "cpu0 50 10 15 400 25 2 3 5 0 0\nintr 1 2 3\n";
    struct cpu_times t;
    assert_int_equal(procfs_parse_stat(stat, sizeof stat - 1, &t), 0);
    assert_int_equal(t.busy, 100 + 20 + 30 + 5 + 5 + 10);
    assert_int_equal(t.total, 170 + 800 + 50);
    struct cpu_times a = {100, 1000}, b = {190, 1100};
    assert_true(procfs_cpu_busy_percent(&a, &b) > 89.9 && procfs_cpu_busy_percent(&a, &b) < 90.1);
    assert_true(procfs_cpu_busy_percent(&a, &a) < 0);
    /* malformed / missing */
    assert_int_equal(procfs_parse_stat("cpu0 1 2 3 4\n", 13, &t), -1);
    assert_int_equal(procfs_parse_stat("cpu  1 2\n", 9, &t), -1);
    assert_int_equal(procfs_parse_stat("cpu  99999999999999999999999 1 1 1\n", 36, &t), -1);
    /* not NUL-terminated input stops at len */
    assert_int_equal(procfs_parse_stat(stat, 6, &t), -1);
}

static void test_meminfo(void **state)
{
    (void)state;
    static const char mi[] = "MemTotal:       16000000 kB\nMemFree:  100 kB\n"
                             "MemAvailable:    4000000 kB\nBuffers: 1 kB\n";
    struct mem_info m;
    assert_int_equal(procfs_parse_meminfo(mi, sizeof mi - 1, &m), 0);
    assert_int_equal(m.total_kb, 16000000);
    assert_int_equal(m.available_kb, 4000000);
    static const char nomem[] = "MemTotal: 100 kB\nMemFree: 50 kB\n";
    assert_int_equal(procfs_parse_meminfo(nomem, sizeof nomem - 1, &m), -1);
    static const char inverted[] = "MemTotal: 100 kB\nMemAvailable: 500 kB\n";
    assert_int_equal(procfs_parse_meminfo(inverted, sizeof inverted - 1, &m), -1);
    static const char prefix[] = "MemTotalX: 100 kB\nMemAvailable: 5 kB\n";
    assert_int_equal(procfs_parse_meminfo(prefix, sizeof prefix - 1, &m), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hysteresis_table),
        cmocka_unit_test(test_hysteresis_rejects_bad_levels),
        cmocka_unit_test(test_proc_stat),
        cmocka_unit_test(test_meminfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
