/* The strict parsers of outside input: integers (ids, limits, event ids,
 * versions), dotted cursors and RFC 3339 times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/parse.h"
#include "util/timeutil.h"

static void integers(void **state)
{
    (void)state;
    int64_t v = 7;
    assert_int_equal(parse_int64_str("1", 1, INT64_MAX, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(parse_int64_str("9223372036854775807", 0, INT64_MAX, &v), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(parse_int64_str("-9223372036854775808", INT64_MIN, 0, &v), 0);
    assert_int_equal(v, INT64_MIN);
    static const char *const bad[] = {"", " 1", "1 ", "+1", "-1", "1x", "0x10", "1.0",
                                      "9223372036854775808", "99999999999999999999999", "-",
                                      "\t1", "١"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 42;
        if (parse_int64_str(bad[i], 0, INT64_MAX, &v) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(v, 42); /* untouched on failure */
    }
    assert_int_equal(parse_int64_str(NULL, 0, 1, &v), -1);
    assert_int_equal(parse_int64_str("501", 1, 500, &v), -1);
    assert_int_equal(parse_int64_str("0", 1, 500, &v), -1);
    assert_int_equal(parse_int64_str("-9223372036854775809", INT64_MIN, 0, &v), -1);
    /* a length bounds the text: "12" of "123" */
    assert_int_equal(parse_int64("123", 2, 0, 100, &v), 0);
    assert_int_equal(v, 12);
}

static void cursors(void **state)
{
    (void)state;
    int64_t c[3];
    assert_int_equal(parse_int64_dotted("0.1764400000000.42", c, 3), 0);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[1], 1764400000000LL);
    assert_int_equal(c[2], 42);
    assert_int_equal(parse_int64_dotted("1.-5.3", c, 3), 0);
    assert_int_equal(c[1], -5);
    static const char *const bad[] = {"0.99999999999999999999999.1", "0.1", "0.1.2.3", "0..1",
                                      ".1.2", "0.1.", "0.1.2x", "0. 1.2", "0.+1.2", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse_int64_dotted(bad[i], c, 3) != -1)
            fail_msg("accepted cursor \"%s\"", bad[i]);
}

static void calendar_times(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(time_parse_rfc3339("2026-11-27T02:09:35.123Z", &ms), 0);
    assert_int_equal(ms, 1795745375123LL);
    assert_int_equal(time_parse_rfc3339("2024-02-29T00:00:00Z", &ms), 0); /* leap year */
    assert_int_equal(time_parse_rfc3339("2000-02-29T00:00:00Z", &ms), 0);
    assert_int_equal(time_parse_rfc3339("0001-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, TIME_MIN_MS);
    assert_int_equal(time_parse_rfc3339("9999-12-31T23:59:59.999Z", &ms), 0);
    assert_int_equal(ms, TIME_MAX_MS - 1);
    /* what is written reads back the same */
    char text[32];
    int64_t back;
    static const int64_t samples[] = {TIME_MIN_MS, -1, 0, 1795745375123LL, TIME_MAX_MS - 1};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        time_format_rfc3339(samples[i], text, sizeof text);
        assert_int_equal(time_parse_rfc3339(text, &back), 0);
        assert_int_equal(back, samples[i]);
    }
    static const char *const bad[] = {"2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z",
                                      "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                                      "0000-01-01T00:00:00Z", "2026-13-01T00:00:00Z",
                                      "2026-00-10T00:00:00Z", "2026-01-01T24:00:00Z",
                                      "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (time_parse_rfc3339(bad[i], &ms) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers),
        cmocka_unit_test(cursors),
        cmocka_unit_test(calendar_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
