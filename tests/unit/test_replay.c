/* What-if replay: recorded findings through folding and the evaluator under two
 * policies; a stricter candidate shows up as a difference; bounds hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/replay.h"

#define T0 (1700000000000LL)
#define DISK "infrastructure.node_disk_pressure"

static struct eval_policy *view(enum environment posture, int enabled)
{
    struct policy_seed seed = {.posture = posture};
    json_t *doc = policy_defaults(&seed);
    json_object_set_new(json_object_get(doc, "automation"), "enabled", json_boolean(enabled));
    struct eval_policy *v = eval_policy_create(doc);
    json_decref(doc);
    assert_non_null(v);
    return v;
}

static void finding(struct finding *f, const char *key, enum finding_status st, int64_t at,
                    const char *attrs)
{
    memset(f, 0, sizeof *f);
    strcpy(f->source, "test");
    strcpy(f->class_, DISK);
    strcpy(f->correlation_key, key);
    strcpy(f->summary, "disk full");
    f->severity = SEV_HIGH;
    f->status = st;
    f->observed_at_ms = at;
    f->attributes = attrs ? strdup(attrs) : NULL;
}

static void run(const struct eval_policy *pol, const struct finding *fs, size_t n,
                struct replay_result *r, size_t max_decisions)
{
    struct replay_params p = {.policy = pol, .tick_ms = 60000, .end_ms = T0 + 3600000,
                              .max_decisions = max_decisions};
    p.fold.reopen_window_ms = FOLD_DEFAULT_REOPEN_WINDOW_MS;
    p.fold.quiet_period_ms = FOLD_DEFAULT_QUIET_PERIOD_MS;
    assert_int_equal(replay_run(fs, n, &p, r), 0);
}

static void stricter_candidate_differs(void **state)
{
    (void)state;
    struct finding fs[4];
    finding(&fs[0], "node-1:/var", FINDING_FIRING, T0, "{\"namespace\":\"shop\"}");
    finding(&fs[1], "node-1:/var", FINDING_FIRING, T0 + 30000, "{\"namespace\":\"shop\"}");
    finding(&fs[2], "node-2:/data", FINDING_FIRING, T0 + 40000, "{\"namespace\":\"kube-system\"}");
    finding(&fs[3], "node-2:/data", FINDING_RESOLVED, T0 + 900000, NULL);

    struct eval_policy *demo = view(ENV_DEMO, 1), *off = view(ENV_DEMO, 0);
    struct replay_result cur, cand, again;
    run(demo, fs, 4, &cur, 0);
    run(off, fs, 4, &cand, 0);
    run(demo, fs, 4, &again, 0);
    assert_false(cur.truncated);
    assert_int_equal(cur.findings_used, 4);
    assert_int_equal(cur.nincidents, 2);

    /* under demo: notify, then delete_completed_pods runs on shop; on node-2 the
     * namespace is protected */
    int deleted = 0, protected_denied = 0;
    for (size_t i = 0; i < cur.ndecisions; i++) {
        const struct replay_decision *d = &cur.decisions[i];
        if (d->action == ACT_DELETE_COMPLETED_PODS && d->mode == MODE_AUTO) {
            assert_string_equal(d->target, "shop");
            assert_int_equal(d->incident, 0);
            deleted++;
        }
        if (d->reason_code == RC_PROTECTED_NAMESPACE) {
            assert_int_equal(d->incident, 1);
            protected_denied++;
        }
    }
    assert_int_equal(deleted, 1); /* budget and verification: never twice in a row */
    assert_true(protected_denied >= 1);
    /* node-2 resolved (quiet period after the resolved finding) */
    assert_int_equal(cur.incidents[1].state, ST_RESOLVED);

    json_t *diff = replay_diff_json(&cur, &cand);
    assert_non_null(diff);
    assert_true(json_integer_value(json_object_get(diff, "differing")) >= 1);
    json_t *first = json_array_get(json_object_get(diff, "incidents"), 0);
    assert_true(json_is_true(json_object_get(first, "differs")));
    size_t i;
    json_t *d;
    int denied = 0;
    json_array_foreach(json_object_get(first, "candidate"), i, d) {
        const char *a = json_string_value(json_object_get(d, "action"));
        if (a && strcmp(a, "delete_completed_pods") == 0) {
            assert_string_equal(json_string_value(json_object_get(d, "reason_code")),
                                "automation_disabled");
            denied++;
        }
    }
    assert_true(denied >= 1);
    json_decref(diff);

    /* the same inputs give the same answer */
    diff = replay_diff_json(&cur, &again);
    assert_int_equal(json_integer_value(json_object_get(diff, "differing")), 0);
    json_decref(diff);

    /* bounded */
    struct replay_result small;
    run(demo, fs, 4, &small, 2);
    assert_true(small.truncated);
    assert_int_equal(small.ndecisions, 2);
    replay_result_clear(&small);

    replay_result_clear(&cur);
    replay_result_clear(&cand);
    replay_result_clear(&again);
    eval_policy_destroy(demo);
    eval_policy_destroy(off);
    for (int k = 0; k < 4; k++)
        finding_clear(&fs[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stricter_candidate_differs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
