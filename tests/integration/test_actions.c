/* Guarded remediation against the real daemon (docs/actions.md): an automatic
 * notify, an approval by a second operator executed through a runner defined
 * in the tests and verified until the incident resolves, intent before action
 * across kill -9, and the bad-input answers of the approval endpoints. */
#include "remed_helpers.h"

static void allowlisted_class_notifies_automatically(void **state)
{
    (void)state;
    struct remed_env e;
    remed_start(&e);
    /* node_cpu_saturation's playbook: notify, then review_cluster_capacity */
    int64_t inc = post_finding(&e.d, "infrastructure.node_cpu_saturation", "node-a", "firing",
                               "{\"node\":\"node-a\"}");
    assert_true(inc > 0);
    assert_true(WAIT_FOR(20, attempt_in_state(&e.d, inc, "notify", "succeeded")));
    json_t *a = attempt_of(&e.d, inc, "notify");
    assert_string_equal(json_string_value(json_object_get(a, "mode")), "auto");
    assert_string_equal(json_string_value(json_object_get(a, "reason_code")), "allowed");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(a, "result"),
                                                             "changed")),
                           "notification"));
    json_decref(a);

    /* the notification is in the in-app inbox, for this incident */
    json_t *inbox = get_json(&e.d, "/api/v1/notifications");
    json_t *n = json_array_get(json_object_get(inbox, "items"), 0);
    assert_non_null(n);
    assert_int_equal(json_integer_value(json_object_get(n, "incident_id")), inc);
    json_decref(inbox);

    /* the decision is in the incident's decisions and timeline */
    char path[96];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/decisions", (long long)inc);
    json_t *ds = get_json(&e.d, path);
    json_t *d0 = json_array_get(json_object_get(ds, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(d0, "action")), "notify");
    assert_string_equal(json_string_value(json_object_get(d0, "mode")), "auto");
    json_decref(ds);

    /* the recommendation-only step is recorded, nothing executes */
    assert_true(WAIT_FOR(20, attempt_in_state(&e.d, inc, "review_cluster_capacity", "succeeded")));
    a = attempt_of(&e.d, inc, "review_cluster_capacity");
    assert_string_equal(json_string_value(json_object_get(a, "mode")), "recommend");
    assert_null(json_string_value(json_object_get(a, "started_at")));
    json_decref(a);
    assert_int_equal(it_stop(&e.d), 0);
    it_cleanup(&e.d);
}

static void two_approvers_and_quick_verification(json_t *doc, void *ud)
{
    json_t *au = json_object_get(doc, "automation");
    json_object_set_new(json_object_get(au, "approval"), "approvers_required", json_integer(2));
    json_t *vs = json_object_get(au, "verify_seconds");
    if (!vs) {
        vs = json_object();
        json_object_set_new(au, "verify_seconds", vs);
    }
    json_object_set_new(vs, "rollout_restart", json_integer(1));
    json_object_set_new(json_object_get(doc, "incidents"), "flap_quiet_seconds", json_integer(1));
}

static void approval_by_second_operator_executes_and_resolves(void **state)
{
    (void)state;
    struct remed_env e;
    remed_start(&e);
    edit_policy(&e.d, two_approvers_and_quick_verification, NULL);
    char alice[80], bob[80], viewer[80];
    create_operator(&e.d, "alice", "operator", alice, sizeof alice);
    create_operator(&e.d, "bob", "operator", bob, sizeof bob);
    create_operator(&e.d, "vera", "viewer", viewer, sizeof viewer);

    int64_t inc = post_finding(&e.d, OUTAGE_CLASS, "db", "firing", WORKLOAD_ATTRS);
    int64_t req = 0;
    assert_true(WAIT_FOR(20, (req = pending_approval(&e.d, inc)) > 0));
    assert_true(attempt_in_state(&e.d, inc, "rollout_restart", "awaiting_approval"));

    struct it_resp r;
    /* a viewer may not decide; the route refuses before the service */
    assert_int_equal(decide_as(&e.d, viewer, req, "approve", NULL, &r), 403);
    it_resp_free(&r);
    /* the first operator's vote is not enough with approvers_required 2 */
    assert_int_equal(decide_as(&e.d, alice, req, "approve", "{\"reason\":\"looks right\"}", &r),
                     200);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "pending");
    assert_int_equal(json_array_size(json_object_get(r.json, "votes")), 1);
    it_resp_free(&r);
    /* the same operator twice is still one approver */
    assert_int_equal(decide_as(&e.d, alice, req, "approve", NULL, &r), 409);
    it_resp_free(&r);
    remed_sleep_ms(1500);
    assert_int_equal(runner_lines(&e, "executions"), 0); /* nothing ran on one approval */

    /* a second, distinct operator completes it */
    assert_int_equal(decide_as(&e.d, bob, req, "approve", NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "approved");
    json_t *v1 = json_array_get(json_object_get(r.json, "votes"), 1);
    assert_string_equal(json_string_value(json_object_get(v1, "by")), "bob");
    assert_string_equal(json_string_value(json_object_get(v1, "role")), "operator");
    it_resp_free(&r);

    assert_true(WAIT_FOR(20, attempt_in_state(&e.d, inc, "rollout_restart", "succeeded")));
    assert_int_equal(runner_lines(&e, "executions"), 1);
    char st[32];
    assert_string_equal(incident_state_of(&e.d, inc, st, sizeof st), "contained");

    /* the signal clears: the verification holds and the lifecycle resolves it */
    post_finding(&e.d, OUTAGE_CLASS, "db", "resolved", NULL);
    assert_true(WAIT_FOR(30, strcmp(incident_state_of(&e.d, inc, st, sizeof st), "resolved") == 0));
    json_t *a = attempt_of(&e.d, inc, "rollout_restart");
    assert_true(WAIT_FOR(10, ({
                             json_decref(a);
                             a = attempt_of(&e.d, inc, "rollout_restart");
                             json_is_string(json_object_get(a, "verification")) &&
                                 strcmp(json_string_value(json_object_get(a, "verification")),
                                        "held") == 0;
                         })));
    json_decref(a);
    /* every step is in the timeline and the audit chain is intact */
    char path[96];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/timeline", (long long)inc);
    json_t *tl = get_json(&e.d, path);
    char *text = json_dumps(tl, JSON_COMPACT);
    assert_non_null(strstr(text, "\"kind\":\"decision\""));
    assert_non_null(strstr(text, "approve by alice"));
    assert_non_null(strstr(text, "approve by bob"));
    assert_non_null(strstr(text, "verification of rollout_restart held"));
    free(text);
    json_decref(tl);
    assert_int_equal(runner_lines(&e, "executions"), 1); /* executed exactly once */
    assert_int_equal(it_stop(&e.d), 0);
    const char *audit[] = {"audit", "verify", NULL};
    char out[1024];
    assert_int_equal(it_run_cli(&e.d, NULL, audit, out, sizeof out), 0);
    it_cleanup(&e.d);
}

static void kill9_while_executing_leaves_unknown(void **state)
{
    (void)state;
    struct remed_env e;
    remed_start(&e);
    char hold[320], started[320];
    runner_file(&e, "hold", hold, sizeof hold);
    runner_file(&e, "started", started, sizeof started);
    FILE *f = fopen(hold, "w");
    assert_non_null(f);
    fclose(f);

    int64_t inc = post_finding(&e.d, OUTAGE_CLASS, "cache", "firing", WORKLOAD_ATTRS);
    int64_t req = 0;
    assert_true(WAIT_FOR(20, (req = pending_approval(&e.d, inc)) > 0));
    struct it_resp r;
    assert_int_equal(decide_as(&e.d, IT_ADMIN, req, "approve", NULL, &r), 200);
    it_resp_free(&r);
    /* the runner is inside execute: the intent is durable before it was called */
    assert_true(WAIT_FOR(20, access(started, F_OK) == 0));
    assert_true(attempt_in_state(&e.d, inc, "rollout_restart", "executing"));
    it_kill9(&e.d);

    unlink(hold);
    unlink(started);
    assert_int_equal(it_restart(&e.d), 0);
    assert_true(WAIT_FOR(10, attempt_in_state(&e.d, inc, "rollout_restart", "unknown")));
    remed_sleep_ms(2500); /* several worker ticks: it must not run again */
    assert_int_equal(access(started, F_OK), -1);
    assert_int_equal(runner_lines(&e, "executions"), 1);
    assert_true(attempt_in_state(&e.d, inc, "rollout_restart", "unknown"));
    assert_true(it_stderr_contains(&e.d, "now unknown, not re-run"));
    assert_int_equal(it_stop(&e.d), 0);
    it_cleanup(&e.d);
}

static void assert_error(struct it_resp *r, long status, const char *code)
{
    assert_int_equal(r->status, status);
    json_t *err = json_object_get(r->json, "error");
    assert_string_equal(json_string_value(json_object_get(err, "code")), code);
    assert_true(json_is_array(json_object_get(err, "details")));
    it_resp_free(r);
}

static void bad_input_gets_clear_4xx(void **state)
{
    (void)state;
    struct remed_env e;
    remed_start(&e);
    int64_t inc = post_finding(&e.d, OUTAGE_CLASS, "bad", "firing", WORKLOAD_ATTRS);
    int64_t req = 0;
    assert_true(WAIT_FOR(20, (req = pending_approval(&e.d, inc)) > 0));
    struct it_resp r;
    it_request(&e.d, "GET", "/api/v1/approvals?state=bogus", IT_ADMIN, NULL, NULL, &r);
    assert_error(&r, 400, "bad_request");
    it_request(&e.d, "GET", "/api/v1/approvals?limit=0", IT_ADMIN, NULL, NULL, &r);
    assert_error(&r, 400, "bad_request");
    it_request(&e.d, "GET", "/api/v1/approvals?incident=x", IT_ADMIN, NULL, NULL, &r);
    assert_error(&r, 400, "bad_request");
    it_request(&e.d, "GET", "/api/v1/approvals/999999", IT_ADMIN, NULL, NULL, &r);
    assert_error(&r, 404, "not_found");
    it_request(&e.d, "GET", "/api/v1/approvals/-3", IT_ADMIN, NULL, NULL, &r);
    assert_error(&r, 400, "bad_request");
    it_request(&e.d, "GET", "/api/v1/approvals/+1", IT_ADMIN, NULL, NULL, &r);
    assert_error(&r, 400, "bad_request");
    it_request(&e.d, "GET", "/api/v1/approvals?cursor=1x", IT_ADMIN, NULL, NULL, &r);
    assert_error(&r, 400, "bad_request");
    it_request(&e.d, "GET", "/api/v1/incidents/999999/attempts", IT_ADMIN, NULL, NULL, &r);
    assert_int_equal(r.status, 200); /* an empty list: attempts are a filter */
    it_resp_free(&r);
    it_request(&e.d, "GET", "/api/v1/incidents/999999/decisions", IT_ADMIN, NULL, NULL, &r);
    assert_error(&r, 404, "not_found");
    it_request(&e.d, "GET", "/api/v1/incidents/1/attempts?state=nope", IT_ADMIN, NULL, NULL, &r);
    assert_error(&r, 400, "bad_request");
    decide_as(&e.d, IT_ADMIN, req, "reject", NULL, &r);
    assert_error(&r, 422, "validation_failed");
    decide_as(&e.d, IT_ADMIN, req, "reject", "{\"reason\":\"\"}", &r);
    assert_error(&r, 422, "validation_failed");
    decide_as(&e.d, IT_ADMIN, req, "reject", "{\"reason\":7}", &r);
    assert_error(&r, 422, "validation_failed");
    decide_as(&e.d, IT_ADMIN, req, "approve", "[1,2]", &r);
    assert_error(&r, 422, "validation_failed");
    decide_as(&e.d, IT_ADMIN, req, "approve", "{\"reason\":\"a\",\"reason\":\"b\"}", &r);
    assert_error(&r, 400, "bad_request");
    decide_as(&e.d, IT_ADMIN, req, "approve", "{nope", &r);
    assert_error(&r, 400, "bad_request");
    const char *text_plain[] = {"Content-Type: text/plain", NULL};
    it_request(&e.d, "POST", "/api/v1/approvals/1/approve", IT_ADMIN, "{}", text_plain, &r);
    assert_error(&r, 415, "unsupported_media_type");
    decide_as(&e.d, IT_ADMIN, 999999, "approve", NULL, &r);
    assert_error(&r, 404, "not_found");
    /* the command line: list shows it; a rejection without a reason is a usage error */
    const char *token_env[] = {"IF_SRE_TOKEN=" IT_ADMIN, NULL};
    const char *list[] = {"approvals", "list", "--json", NULL};
    char out[16384];
    assert_int_equal(it_run_cli(&e.d, token_env, list, out, sizeof out), 0);
    assert_non_null(strstr(out, "rollout_restart"));
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", (long long)req);
    const char *bare_reject[] = {"approvals", "reject", idtext, NULL};
    assert_int_equal(it_run_cli(&e.d, token_env, bare_reject, out, sizeof out), 2);
    const char *approve_missing[] = {"approvals", "approve", "999999", NULL};
    assert_int_equal(it_run_cli(&e.d, token_env, approve_missing, out, sizeof out), 1);
    /* a proper rejection, then any decision is a conflict */
    assert_int_equal(decide_as(&e.d, IT_ADMIN, req, "reject", "{\"reason\":\"not now\"}", &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "rejected");
    it_resp_free(&r);
    decide_as(&e.d, IT_ADMIN, req, "approve", NULL, &r);
    assert_error(&r, 409, "conflict");
    assert_true(WAIT_FOR(5, attempt_in_state(&e.d, inc, "rollout_restart", "rejected")));
    assert_int_equal(runner_lines(&e, "executions"), 0);
    assert_int_equal(it_stop(&e.d), 0);
    it_cleanup(&e.d);
}


static long simulate(struct it_daemon *d, const char *token, const char *body, struct it_resp *r)
{
    const char *headers[] = {"Content-Type: application/json", NULL};
    return it_request(d, "POST", "/api/v1/policy/simulate", token, body, headers, r);
}

static void simulate_shows_stricter_policy_difference(void **state)
{
    (void)state;
    struct remed_env e;
    remed_start(&e);
    int64_t inc = post_finding(&e.d, OUTAGE_CLASS, "sim", "firing", WORKLOAD_ATTRS);
    assert_true(WAIT_FOR(20, pending_approval(&e.d, inc) > 0));

    /* the candidate: the same policy with the kill switch thrown */
    json_t *pol = get_json(&e.d, "/api/v1/policy");
    json_t *doc = json_deep_copy(json_object_get(pol, "document"));
    json_decref(pol);
    json_object_set_new(json_object_get(doc, "automation"), "enabled", json_false());
    char since[40];
    time_t t = time(NULL) - 3600;
    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    json_t *body = json_pack("{s:o, s:s}", "policy", doc, "since", since);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct it_resp r;
    assert_int_equal(simulate(&e.d, IT_ADMIN, text, &r), 200);
    free(text);
    assert_true(json_integer_value(json_object_get(r.json, "findings")) >= 1);
    assert_true(json_integer_value(json_object_get(r.json, "differing")) >= 1);
    json_t *it, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(r.json, "incidents"), i, it) {
        if (strcmp(json_string_value(json_object_get(it, "correlation_key")), "sim") == 0)
            found = it;
    }
    assert_non_null(found);
    assert_true(json_is_true(json_object_get(found, "differs")));
    char *cur = json_dumps(json_object_get(found, "current"), JSON_COMPACT);
    char *cand = json_dumps(json_object_get(found, "candidate"), JSON_COMPACT);
    assert_non_null(strstr(cur, "approval_required"));
    assert_non_null(strstr(cand, "automation_disabled"));
    free(cur);
    free(cand);
    it_resp_free(&r);

    /* read-only: nothing changed, no attempt was created by simulating */
    json_t *p2 = get_json(&e.d, "/api/v1/policy");
    assert_true(json_is_true(
        json_object_get(json_object_get(json_object_get(p2, "document"), "automation"), "enabled")));
    json_decref(p2);

    /* bad input: 4xx with the error shape, never 5xx */
    char viewer[80];
    create_operator(&e.d, "sim-viewer", "viewer", viewer, sizeof viewer);
    assert_int_equal(simulate(&e.d, viewer, "{}", &r), 403);
    it_resp_free(&r);
    simulate(&e.d, IT_ADMIN, "{\"since\":\"2026-01-01T00:00:00Z\"}", &r);
    assert_error(&r, 422, "validation_failed");
    simulate(&e.d, IT_ADMIN, "{\"policy\":{\"environment\":\"nope\"},\"since\":\"2026-01-01T00:00:00Z\","
                             "\"until\":\"2026-01-02T00:00:00Z\"}", &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.body, "/policy/"));
    it_resp_free(&r);
    simulate(&e.d, IT_ADMIN, "{\"policy\":{},\"since\":\"2026-01-05T00:00:00Z\","
                             "\"until\":\"2026-01-01T00:00:00Z\"}", &r);
    assert_error(&r, 422, "validation_failed");
    simulate(&e.d, IT_ADMIN, "{\"policy\":{},\"since\":\"2025-01-05T00:00:00Z\","
                             "\"until\":\"2026-01-01T00:00:00Z\"}", &r);
    assert_error(&r, 422, "validation_failed");
    simulate(&e.d, IT_ADMIN, "{\"policy\":7,\"since\":\"later\",\"extra\":1}", &r);
    assert_error(&r, 422, "validation_failed");
    simulate(&e.d, IT_ADMIN, "nope", &r);
    assert_error(&r, 400, "bad_request");
    assert_int_equal(it_stop(&e.d), 0);
    it_cleanup(&e.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allowlisted_class_notifies_automatically),
        cmocka_unit_test(approval_by_second_operator_executes_and_resolves),
        cmocka_unit_test(kill9_while_executing_leaves_unknown),
        cmocka_unit_test(bad_input_gets_clear_4xx),
        cmocka_unit_test(simulate_shows_stricter_policy_difference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
