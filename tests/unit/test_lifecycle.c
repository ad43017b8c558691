/* The lifecycle table, checked edge by edge: every allowed transition is listed
 * here independently of src/core/lifecycle.c, and every other pair must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/lifecycle.h"

#define O ST_OBSERVED
#define T ST_TRIAGED
#define C ST_CONTAINED
#define R ST_RECOVERING
#define X ST_RESOLVED
#define S ST_SUPPRESSED
#define E ST_ESCALATED

struct edge {
    enum incident_state from, to;
    unsigned by;
};

/* The expected table (operator = 2, system = 1). */
static const struct edge expected[] = {
    {O, T, 2}, {O, C, 3}, {O, R, 3}, {O, X, 2}, {O, S, 2}, {O, E, 3},
    {T, C, 3}, {T, R, 3}, {T, X, 2}, {T, S, 2}, {T, E, 3},
    {C, R, 3}, {C, X, 2}, {C, E, 3}, {C, T, 2},
    {R, X, 3}, {R, O, 1}, {R, T, 2}, {R, E, 2},
    {X, O, 3},
    {S, O, 3}, {S, R, 1}, {S, T, 2}, {S, X, 2},
    {E, T, 2}, {E, C, 3}, {E, R, 3}, {E, X, 2}, {E, S, 2},
};

static unsigned expected_by(enum incident_state from, enum incident_state to)
{
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (expected[i].from == from && expected[i].to == to)
            return expected[i].by;
    return 0;
}

static void every_pair_matches_the_table(void **state)
{
    (void)state;
    size_t allowed = 0;
    for (int f = 0; f < ST__COUNT; f++)
        for (int t = 0; t < ST__COUNT; t++) {
            unsigned by = expected_by((enum incident_state)f, (enum incident_state)t);
            int sys = lifecycle_allowed_edge((enum incident_state)f, (enum incident_state)t,
                                             BY_SYSTEM);
            int ops = lifecycle_allowed_edge((enum incident_state)f, (enum incident_state)t,
                                             BY_OPERATOR);
            if (sys != !!(by & BY_SYSTEM) || ops != !!(by & BY_OPERATOR))
                fail_msg("%s -> %s: system %d operator %d, expected by=%u",
                         incident_state_name((enum incident_state)f),
                         incident_state_name((enum incident_state)t), sys, ops, by);
            allowed += (sys || ops);
            if (f == t)
                assert_int_equal(by, 0); /* no self loops */
        }
    assert_int_equal(allowed, sizeof expected / sizeof expected[0]);
    assert_int_equal(lifecycle_table_len, sizeof expected / sizeof expected[0]);
}

static void allowed_lists_in_table_order(void **state)
{
    (void)state;
    enum incident_state out[ST__COUNT];
    size_t n = lifecycle_allowed(ST_RESOLVED, BY_OPERATOR, out, ST__COUNT);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], ST_OBSERVED);
    char buf[160];
    lifecycle_allowed_text(ST_OBSERVED, BY_OPERATOR, buf, sizeof buf);
    assert_string_equal(buf, "triaged, contained, recovering, resolved, suppressed, escalated");
    lifecycle_allowed_text(ST_RECOVERING, BY_SYSTEM, buf, sizeof buf);
    assert_string_equal(buf, "resolved, observed");
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < ST__COUNT; s++) {
        enum incident_state back;
        assert_int_equal(incident_state_parse(incident_state_name((enum incident_state)s), &back),
                         0);
        assert_int_equal(back, s);
    }
    enum incident_state x;
    assert_int_equal(incident_state_parse("closed", &x), -1);
    assert_int_equal(incident_state_parse(NULL, &x), -1);
}

static void operator_requests(void **state)
{
    (void)state;
    const int64_t now = 1000000;
    struct {
        enum incident_state from, to;
        int has_until;
        int64_t until;
        enum lifecycle_verdict rc;
        const char *path, *code;
    } cases[] = {
        {O, T, 0, 0, LIFECYCLE_OK, NULL, NULL},
        {O, S, 1, now + 60000, LIFECYCLE_OK, NULL, NULL},
        {O, S, 0, 0, LIFECYCLE_INVALID, "/suppress_until", "required"},
        {O, S, 1, now, LIFECYCLE_INVALID, "/suppress_until", "range"},
        {O, S, 1, now + SUPPRESS_MAX_MS + 1, LIFECYCLE_INVALID, "/suppress_until", "range"},
        {O, T, 1, now + 60000, LIFECYCLE_INVALID, "/suppress_until", "forbidden"},
        {X, T, 0, 0, LIFECYCLE_REFUSED, "/to", "conflict"},
        {R, O, 0, 0, LIFECYCLE_REFUSED, "/to", "conflict"}, /* system only */
        {S, R, 0, 0, LIFECYCLE_REFUSED, "/to", "conflict"}, /* system only */
        {X, O, 0, 0, LIFECYCLE_OK, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct problems p;
        problems_init(&p);
        enum lifecycle_verdict rc = lifecycle_check_request(
            cases[i].from, cases[i].to, cases[i].has_until, cases[i].until, now, &p);
        if (rc != cases[i].rc)
            fail_msg("case %zu: verdict %d", i, (int)rc);
        if (cases[i].path) {
            assert_int_equal(p.count, 1);
            assert_string_equal(p.items[0].path, cases[i].path);
            assert_string_equal(p.items[0].code, cases[i].code);
        } else {
            assert_int_equal(p.count, 0);
        }
    }
    struct problems p;
    problems_init(&p);
    lifecycle_check_request(ST_RESOLVED, ST_TRIAGED, 0, 0, now, &p);
    assert_string_equal(p.items[0].message, "allowed: observed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_pair_matches_the_table),
        cmocka_unit_test(allowed_lists_in_table_order),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(operator_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
