/* Log lines: one JSON object per line; the rate limit is per component, level
 * and class (security-relevant lines have their own budget), and dropped lines
 * are counted on the next line that passes and per class for /metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/log.h"

static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        assert_non_null(j); /* every line is a JSON object */
        if (strstr(line, needle))
            n++;
        json_decref(j);
    }
    if (f)
        fclose(f);
    return n;
}

static time_t fake_now;
static time_t fake_time(time_t *t)
{
    if (t)
        *t = fake_now;
    return fake_now;
}

static void rate_limit_per_component(void **state)
{
    (void)state;
    char path[] = "/tmp/srebot-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);

    log_set_rate_limit(5);
    /* The limiter's window on a clock the test moves: every line below falls
     * in one second, then the next second begins, whatever the machine does. */
    log_set_clock(fake_time);
    fake_now = 1000;
    unsigned long long ord_before = log_dropped(LOG_ORDINARY);
    for (int i = 0; i < 10; i++)
        log_info("noisy", "line %d", i);
    for (int i = 0; i < 3; i++)
        log_info("quiet", "other %d", i);
    /* the same component and level, but security-relevant: its own budget */
    unsigned long long sec_before = log_dropped(LOG_SECURITY);
    for (int i = 0; i < 4; i++)
        log_security(LOG_INFO, "noisy", NULL, "denied %d", i);
    assert_int_equal(log_dropped(LOG_SECURITY) - sec_before, 0);
    log_fields(LOG_INFO, "quiet", json_pack("{s:f}", "duration_ms", 2.8131010000000001), "timed");
    fake_now++;
    log_info("noisy", "after");
    log_set_clock(NULL);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    log_set_rate_limit(200);

    assert_int_equal(count_lines(path, "\"component\":\"noisy\",\"msg\":\"line"), 5);
    assert_int_equal(count_lines(path, "\"msg\":\"other"), 3); /* not starved by "noisy" */
    assert_int_equal(count_lines(path, "\"msg\":\"denied"), 4); /* not hidden by the flood */
    assert_int_equal(log_dropped(LOG_ORDINARY) - ord_before, 5); /* counted for /metrics */
    assert_int_equal(count_lines(path, "\"dropped_lines\":5"), 1);
    /* Reals print with 6 significant digits, not 17. */
    assert_int_equal(count_lines(path, "\"duration_ms\":2.8131}"), 1);
    unlink(path);
}

static void level_filter(void **state)
{
    (void)state;
    assert_int_equal(log_level_parse("warn"), LOG_WARN);
    assert_int_equal(log_level_parse("DEBUG"), LOG_DEBUG);
    assert_int_equal(log_level_parse("loud"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rate_limit_per_component),
        cmocka_unit_test(level_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
