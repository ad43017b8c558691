/* Folding and time-driven transitions, by table: each row starts from an
 * incident in a given state, applies one finding (or a tick) and states the
 * outcome, the resulting state and the counters. Every automatic transition
 * that happens must also be a system edge of the lifecycle table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/fold.h"

#define MIN (60LL * 1000)
static const struct fold_params P = {.reopen_window_ms = 30 * MIN, .quiet_period_ms = 5 * MIN};
static const int64_t T0 = 1790000000000LL;

static struct finding mk(enum finding_status st, enum severity sev, int64_t at)
{
    struct finding f;
    memset(&f, 0, sizeof f);
    snprintf(f.source, sizeof f.source, "probe");
    snprintf(f.class_, sizeof f.class_, "infrastructure.node_disk_pressure");
    snprintf(f.correlation_key, sizeof f.correlation_key, "node-1:/var");
    snprintf(f.summary, sizeof f.summary, "%s at %lld", st == FINDING_FIRING ? "fire" : "ok",
             (long long)at);
    f.status = st;
    f.severity = sev;
    f.observed_at_ms = at;
    return f;
}

static struct incident in_state(enum incident_state s, int64_t since)
{
    struct incident inc;
    memset(&inc, 0, sizeof inc);
    inc.id = 7;
    snprintf(inc.class_, sizeof inc.class_, "infrastructure.node_disk_pressure");
    snprintf(inc.correlation_key, sizeof inc.correlation_key, "node-1:/var");
    inc.state = s;
    inc.severity = SEV_WARNING;
    inc.finding_count = 3;
    inc.first_seen_ms = T0 - 60 * MIN;
    inc.last_seen_ms = since;
    inc.state_since_ms = since;
    if (s == ST_RESOLVED)
        inc.resolved_at_ms = since;
    if (s == ST_SUPPRESSED)
        inc.suppressed_until_ms = since + 60 * MIN;
    return inc;
}

struct fold_case {
    const char *name;
    int exists;
    enum incident_state start;
    int64_t since;           /* state_since / resolved_at of the start state */
    enum finding_status status;
    enum severity sev;
    int64_t at, now;
    enum fold_outcome outcome;
    int attached, new_record;
    enum incident_state end;
    int64_t count;           /* finding_count after */
    enum severity sev_after;
};

#define F FINDING_FIRING
#define R FINDING_RESOLVED
static const struct fold_case cases[] = {
    {"first firing opens", 0, 0, 0, F, SEV_HIGH, T0, T0, FOLD_OPENED, 1, 1, ST_OBSERVED, 1,
     SEV_HIGH},
    {"resolved with nothing open is kept alone", 0, 0, 0, R, SEV_INFO, T0, T0, FOLD_RESOLVED, 0,
     0, 0, 0, 0},
    {"firing folds into observed", 1, ST_OBSERVED, T0 - MIN, F, SEV_CRITICAL, T0, T0, FOLD_FOLDED,
     1, 0, ST_OBSERVED, 4, SEV_CRITICAL},
    {"lower severity keeps the max", 1, ST_TRIAGED, T0 - MIN, F, SEV_INFO, T0, T0, FOLD_FOLDED, 1,
     0, ST_TRIAGED, 4, SEV_WARNING},
    {"firing folds into contained", 1, ST_CONTAINED, T0 - MIN, F, SEV_WARNING, T0, T0,
     FOLD_FOLDED, 1, 0, ST_CONTAINED, 4, SEV_WARNING},
    {"firing folds into escalated", 1, ST_ESCALATED, T0 - MIN, F, SEV_WARNING, T0, T0,
     FOLD_FOLDED, 1, 0, ST_ESCALATED, 4, SEV_WARNING},
    {"suppressed keeps folding silently", 1, ST_SUPPRESSED, T0 - MIN, F, SEV_HIGH, T0, T0,
     FOLD_FOLDED, 1, 0, ST_SUPPRESSED, 4, SEV_HIGH},
    {"resolved finding -> recovering", 1, ST_OBSERVED, T0 - MIN, R, SEV_INFO, T0, T0,
     FOLD_RESOLVED, 1, 0, ST_RECOVERING, 4, SEV_WARNING},
    {"resolved finding from triaged", 1, ST_TRIAGED, T0 - MIN, R, SEV_INFO, T0, T0, FOLD_RESOLVED,
     1, 0, ST_RECOVERING, 4, SEV_WARNING},
    {"resolved finding from contained", 1, ST_CONTAINED, T0 - MIN, R, SEV_INFO, T0, T0,
     FOLD_RESOLVED, 1, 0, ST_RECOVERING, 4, SEV_WARNING},
    {"resolved finding from escalated", 1, ST_ESCALATED, T0 - MIN, R, SEV_INFO, T0, T0,
     FOLD_RESOLVED, 1, 0, ST_RECOVERING, 4, SEV_WARNING},
    {"resolved finding while suppressed stays suppressed", 1, ST_SUPPRESSED, T0 - MIN, R,
     SEV_INFO, T0, T0, FOLD_RESOLVED, 1, 0, ST_SUPPRESSED, 4, SEV_WARNING},
    {"resolved finding while recovering stays", 1, ST_RECOVERING, T0 - MIN, R, SEV_INFO, T0, T0,
     FOLD_RESOLVED, 1, 0, ST_RECOVERING, 4, SEV_WARNING},
    {"resolved finding on resolved is recorded", 1, ST_RESOLVED, T0 - MIN, R, SEV_INFO, T0, T0,
     FOLD_RESOLVED, 1, 0, ST_RESOLVED, 4, SEV_WARNING},
    {"flap: firing while recovering -> observed", 1, ST_RECOVERING, T0 - MIN, F, SEV_WARNING, T0,
     T0, FOLD_FOLDED, 1, 0, ST_OBSERVED, 4, SEV_WARNING},
    {"late firing older than recovery does not flap", 1, ST_RECOVERING, T0 - MIN, F, SEV_WARNING,
     T0 - 2 * MIN, T0, FOLD_FOLDED, 1, 0, ST_RECOVERING, 4, SEV_WARNING},
    {"reopen within window", 1, ST_RESOLVED, T0 - 10 * MIN, F, SEV_HIGH, T0, T0, FOLD_REOPENED, 1,
     0, ST_OBSERVED, 4, SEV_HIGH},
    {"reopen at the window edge", 1, ST_RESOLVED, T0 - 30 * MIN, F, SEV_HIGH, T0, T0,
     FOLD_REOPENED, 1, 0, ST_OBSERVED, 4, SEV_HIGH},
    {"after the window a new incident", 1, ST_RESOLVED, T0 - 30 * MIN - 1, F, SEV_INFO, T0, T0,
     FOLD_OPENED, 1, 1, ST_OBSERVED, 1, SEV_INFO},
    {"future observed_at counts as now", 1, ST_RESOLVED, T0 - 10 * MIN, F, SEV_HIGH,
     T0 + 600 * MIN, T0, FOLD_REOPENED, 1, 0, ST_OBSERVED, 4, SEV_HIGH},
};

static void fold_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct fold_case *c = &cases[i];
        struct incident inc = in_state(c->start, c->since);
        if (!c->exists)
            memset(&inc, 0, sizeof inc);
        struct finding f = mk(c->status, c->sev, c->at);
        struct fold_change ch;
        fold_finding(&inc, c->exists, &f, c->now, &P, &ch);
        if (ch.outcome != c->outcome || ch.attached != c->attached ||
            ch.new_record != c->new_record)
            fail_msg("%s: outcome %s attached %d new %d", c->name, fold_outcome_name(ch.outcome),
                     ch.attached, ch.new_record);
        if (!c->attached)
            continue;
        if (inc.state != c->end || inc.finding_count != c->count || inc.severity != c->sev_after)
            fail_msg("%s: state %s count %lld severity %s", c->name,
                     incident_state_name(inc.state), (long long)inc.finding_count,
                     severity_name(inc.severity));
        int expect_change = c->exists && c->start != c->end && !c->new_record;
        if (ch.state_changed != expect_change)
            fail_msg("%s: state_changed %d", c->name, ch.state_changed);
        if (ch.state_changed) {
            assert_int_equal(ch.from, c->start);
            assert_int_equal(ch.to, c->end);
            assert_non_null(ch.reason);
            if (!lifecycle_allowed_edge(ch.from, ch.to, BY_SYSTEM))
                fail_msg("%s: automatic edge not in the table", c->name);
        }
        if (c->new_record) {
            assert_int_equal(inc.id, 0);
            assert_int_equal(inc.first_seen_ms, c->at < c->now ? c->at : c->now);
        }
        int64_t at = c->at < c->now ? c->at : c->now;
        assert_true(inc.last_seen_ms >= at);
        if (inc.state == ST_RESOLVED)
            assert_true(inc.resolved_at_ms > 0);
        else
            assert_int_equal(inc.resolved_at_ms, 0);
    }
}

static void summary_follows_latest_firing(void **state)
{
    (void)state;
    struct incident inc;
    struct fold_change ch;
    struct finding a = mk(F, SEV_HIGH, T0), b = mk(F, SEV_INFO, T0 + MIN), r = mk(R, SEV_INFO, T0 + 2 * MIN);
    fold_finding(&inc, 0, &a, T0, &P, &ch);
    fold_finding(&inc, 1, &b, T0 + MIN, &P, &ch);
    assert_string_equal(inc.summary, b.summary);
    fold_finding(&inc, 1, &r, T0 + 2 * MIN, &P, &ch);
    assert_string_equal(inc.summary, b.summary); /* resolved findings don't rewrite it */
    assert_int_equal(inc.severity, SEV_HIGH);
    assert_int_equal(inc.first_seen_ms, T0);
    assert_int_equal(inc.last_seen_ms, T0 + 2 * MIN);
}

/* Flap damping as a function of time: recovering becomes resolved only after a
 * full quiet period; a firing finding inside it restarts the story. */
static void flap_damping(void **state)
{
    (void)state;
    struct incident inc;
    struct fold_change ch;
    struct finding fire = mk(F, SEV_HIGH, T0);
    fold_finding(&inc, 0, &fire, T0, &P, &ch);
    struct finding ok = mk(R, SEV_INFO, T0 + MIN);
    fold_finding(&inc, 1, &ok, T0 + MIN, &P, &ch);
    assert_int_equal(inc.state, ST_RECOVERING);

    assert_int_equal(fold_tick(&inc, T0 + MIN + P.quiet_period_ms - 1, &P, &ch), 0);
    assert_int_equal(inc.state, ST_RECOVERING);

    struct finding again = mk(F, SEV_HIGH, T0 + 3 * MIN); /* flaps inside the quiet period */
    fold_finding(&inc, 1, &again, T0 + 3 * MIN, &P, &ch);
    assert_int_equal(inc.state, ST_OBSERVED);
    assert_int_equal(fold_tick(&inc, T0 + 60 * MIN, &P, &ch), 0); /* observed never times out */

    struct finding ok2 = mk(R, SEV_INFO, T0 + 61 * MIN);
    fold_finding(&inc, 1, &ok2, T0 + 61 * MIN, &P, &ch);
    struct finding ok3 = mk(R, SEV_INFO, T0 + 64 * MIN); /* does not extend the period */
    fold_finding(&inc, 1, &ok3, T0 + 64 * MIN, &P, &ch);
    assert_int_equal(fold_tick(&inc, T0 + 61 * MIN + P.quiet_period_ms, &P, &ch), 1);
    assert_int_equal(ch.from, ST_RECOVERING);
    assert_int_equal(ch.to, ST_RESOLVED);
    assert_int_equal(inc.state, ST_RESOLVED);
    assert_int_equal(inc.resolved_at_ms, T0 + 61 * MIN + P.quiet_period_ms);
    assert_int_equal(inc.finding_count, 5);
    assert_int_equal(fold_tick(&inc, T0 + 600 * MIN, &P, &ch), 0);
}

static void suppression_expiry(void **state)
{
    (void)state;
    struct fold_change ch;
    struct incident inc = in_state(ST_SUPPRESSED, T0);
    inc.last_status = FINDING_FIRING;
    assert_int_equal(fold_tick(&inc, inc.suppressed_until_ms - 1, &P, &ch), 0);
    assert_int_equal(fold_tick(&inc, inc.suppressed_until_ms, &P, &ch), 1);
    assert_int_equal(inc.state, ST_OBSERVED);
    assert_int_equal(inc.suppressed_until_ms, 0);
    assert_true(lifecycle_allowed_edge(ch.from, ch.to, BY_SYSTEM));

    inc = in_state(ST_SUPPRESSED, T0);
    struct finding ok = mk(R, SEV_INFO, T0 + MIN);
    fold_finding(&inc, 1, &ok, T0 + MIN, &P, &ch);
    assert_int_equal(inc.state, ST_SUPPRESSED);
    int64_t expiry = inc.suppressed_until_ms;
    assert_int_equal(fold_tick(&inc, expiry, &P, &ch), 1);
    assert_int_equal(inc.state, ST_RECOVERING);
    assert_true(lifecycle_allowed_edge(ch.from, ch.to, BY_SYSTEM));
    assert_int_equal(fold_tick(&inc, expiry + P.quiet_period_ms, &P, &ch), 1);
    assert_int_equal(inc.state, ST_RESOLVED);
}

static void set_state_keeps_timestamps_consistent(void **state)
{
    (void)state;
    struct incident inc = in_state(ST_OBSERVED, T0);
    incident_set_state(&inc, ST_SUPPRESSED, T0 + 1, T0 + 100);
    assert_int_equal(inc.suppressed_until_ms, T0 + 100);
    incident_set_state(&inc, ST_RESOLVED, T0 + 2, 0);
    assert_int_equal(inc.suppressed_until_ms, 0);
    assert_int_equal(inc.resolved_at_ms, T0 + 2);
    incident_set_state(&inc, ST_OBSERVED, T0 + 3, 0);
    assert_int_equal(inc.resolved_at_ms, 0);
    assert_int_equal(inc.state_since_ms, T0 + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fold_table),
        cmocka_unit_test(summary_follows_latest_firing),
        cmocka_unit_test(flap_damping),
        cmocka_unit_test(suppression_expiry),
        cmocka_unit_test(set_state_keeps_timestamps_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
