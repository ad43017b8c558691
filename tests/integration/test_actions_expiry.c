/* An approval request nobody decides expires and never executes, even when
 * someone approves it afterwards (docs/actions.md "Approvals"). Its own test
 * binary: the shortest expiry the policy allows is 60 s, and ctest runs it
 * beside the other tests instead of after them. */
#include "remed_helpers.h"

static void shortest_expiry(json_t *doc, void *ud)
{
    json_t *ap = json_object_get(json_object_get(doc, "automation"), "approval");
    json_object_set_new(ap, "expiry_seconds", json_integer(60));
}

static void expired_approval_never_runs(void **state)
{
    (void)state;
    struct remed_env e;
    remed_start(&e);
    edit_policy(&e.d, shortest_expiry, NULL);
    int64_t inc = post_finding(&e.d, OUTAGE_CLASS, "expiring", "firing", WORKLOAD_ATTRS);
    int64_t req = 0;
    assert_true(WAIT_FOR(20, (req = pending_approval(&e.d, inc)) > 0));
    char path[64];
    snprintf(path, sizeof path, "/api/v1/approvals/%lld", (long long)req);
    json_t *j = get_json(&e.d, path);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "pending");
    json_decref(j);

    /* nobody decides: within a tick after 60 s it is expired, and so is the attempt */
    assert_true(WAIT_FOR(80, ({
                             json_t *k = get_json(&e.d, path);
                             int done = k && strcmp(json_string_value(json_object_get(k, "state")),
                                                    "expired") == 0;
                             json_decref(k);
                             done;
                         })));
    assert_true(attempt_in_state(&e.d, inc, "rollout_restart", "expired"));

    /* an approval now is refused as expired, and nothing ever executed */
    struct it_resp r;
    assert_int_equal(decide_as(&e.d, IT_ADMIN, req, "approve", NULL, &r), 410);
    it_resp_free(&r);
    remed_sleep_ms(1500);
    assert_true(attempt_in_state(&e.d, inc, "rollout_restart", "expired"));
    assert_int_equal(runner_lines(&e, "executions"), 0);

    snprintf(path, sizeof path, "/api/v1/incidents/%lld/timeline", (long long)inc);
    json_t *tl = get_json(&e.d, path);
    char *text = json_dumps(tl, JSON_COMPACT);
    assert_non_null(strstr(text, "approval request expired"));
    free(text);
    json_decref(tl);
    assert_int_equal(it_stop(&e.d), 0);
    it_cleanup(&e.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expired_approval_never_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
