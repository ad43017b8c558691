/* The remediation half of the ledger (ledger/actions.h) against a real SQLite
 * store: decisions (denials too) in the timeline, approval rules (role,
 * self-approval, distinct approvers, expiry), intent before action (an attempt
 * is executed at most once), start-up reconciliation to unknown, the
 * notification outbox's idempotency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger/actions.h"
#include "ledger/ledger.h"
#include "store/ledger_repo.h"
#include "util/timeutil.h"

struct fx {
    char dir[64];
    char url[128];
    struct store *store;
    struct ledger *ledger;
    int64_t incident;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/srebot-actions-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->url, sizeof f->url, "sqlite:%s/ledger.db", f->dir);
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = f->url;
    char err[256];
    if (store_open(&sc, &f->store, err, sizeof err) != STORE_OK)
        return -1;
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = f->store;
    lc.tick_ms = 3600 * 1000;
    if (ledger_create(&lc, &f->ledger) != SVC_OK)
        return -1;
    const char *doc = "{\"source\":\"t\",\"class\":\"runtime_services.runtime_dependency_outage\","
                      "\"correlation_key\":\"db\",\"severity\":\"high\",\"status\":\"firing\","
                      "\"summary\":\"db down\"}";
    struct problems *p = problems_create();
    json_t *ans = NULL;
    if (ledger_ingest_json(f->ledger, doc, strlen(doc), "test", &ans, p) != SVC_OK)
        return -1;
    f->incident = json_integer_value(
        json_object_get(json_array_get(json_object_get(ans, "items"), 0), "incident_id"));
    json_decref(ans);
    problems_destroy(p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ledger_destroy(f->ledger);
    store_close(f->store);
    char path[128];
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/ledger.db%s", f->dir, sfx[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static struct identity who(const char *name, enum role role)
{
    struct identity id = {.role = role};
    snprintf(id.name, sizeof id.name, "%s", name);
    return id;
}

static int64_t propose(struct fx *f, const char *mode, const struct approval_rules *rules,
                       const char *by, struct attempt_rec *out)
{
    struct action_decision d = {.action = "rollout_restart", .target = "shop/Deployment/api",
                                .mode = mode, .reason_code = "approval_required",
                                .reason = "needs an approver", .step = 1};
    assert_int_equal(actions_record_decision(f->ledger, f->incident, &d, rules, by,
                                             time_now_ms(), out),
                     SVC_OK);
    return out->id;
}

static int64_t request_of(struct fx *f, int64_t attempt)
{
    json_t *list;
    struct approval_filter af = {.incident_id = f->incident, .limit = 50};
    assert_int_equal(actions_approval_list(f->store, &af, &list), SVC_OK);
    int64_t id = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it) {
        if (json_integer_value(json_object_get(it, "attempt_id")) == attempt)
            id = json_integer_value(json_object_get(it, "id"));
    }
    json_decref(list);
    assert_true(id > 0);
    return id;
}

static enum svc_status vote(struct fx *f, int64_t req, const struct identity *w, int approve,
                            json_t **ans)
{
    struct problems *p = problems_create();
    enum svc_status st =
        approvals_decide(f->ledger, req, w, approve, approve ? "" : "no", "api", time_now_ms(),
                         ans, p);
    problems_destroy(p);
    return st;
}

static void denial_is_a_decision_without_attempt(void **state)
{
    struct fx *f = *state;
    struct action_decision d = {.action = "scale_to_zero", .target = "shop/Deployment/api",
                                .mode = "deny", .reason_code = "not_allowlisted",
                                .reason = "not in allowlists.workloads"};
    struct attempt_rec a;
    assert_int_equal(actions_record_decision(f->ledger, f->incident, &d, NULL, "srebot",
                                             time_now_ms(), &a),
                     SVC_OK);
    assert_int_equal(a.id, 0);
    json_t *ds;
    assert_int_equal(actions_decisions_of(f->store, f->incident, 100, &ds), SVC_OK);
    json_t *d0 = json_array_get(json_object_get(ds, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(d0, "mode")), "deny");
    assert_string_equal(json_string_value(json_object_get(d0, "reason_code")), "not_allowlisted");
    json_decref(ds);
    struct attempt_filter af = {.incident_id = f->incident, .limit = 10};
    json_t *list;
    assert_int_equal(actions_attempt_list(f->store, &af, &list), SVC_OK);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 0);
    json_decref(list);
    /* an unknown incident is not found, and records nothing */
    assert_int_equal(actions_record_decision(f->ledger, 99999, &d, NULL, "srebot", time_now_ms(),
                                             &a),
                     SVC_NOT_FOUND);
}

static void approval_rules_and_single_execution(void **state)
{
    struct fx *f = *state;
    struct approval_rules rules = {3600 * 1000, 2, 0};
    struct attempt_rec a;
    int64_t att = propose(f, "approval", &rules, "alice", &a);
    assert_string_equal(a.state, "awaiting_approval");
    int64_t req = request_of(f, att);
    struct identity viewer = who("vera", ROLE_VIEWER), alice = who("alice", ROLE_OPERATOR),
                    bob = who("bob", ROLE_OPERATOR), carol = who("carol", ROLE_ADMIN);
    json_t *ans = NULL;
    /* nothing runs before it is approved */
    assert_int_equal(actions_begin(f->ledger, att, time_now_ms(), NULL), SVC_CONFLICT);
    assert_int_equal(vote(f, req, &viewer, 1, NULL), SVC_DENIED);
    assert_int_equal(vote(f, req, &alice, 1, NULL), SVC_DENIED); /* the requester */
    assert_int_equal(vote(f, req, &bob, 1, &ans), SVC_OK);
    assert_string_equal(json_string_value(json_object_get(ans, "state")), "pending");
    json_decref(ans);
    assert_int_equal(vote(f, req, &bob, 1, NULL), SVC_CONFLICT); /* one approver, once */
    assert_int_equal(actions_begin(f->ledger, att, time_now_ms(), NULL), SVC_CONFLICT);
    assert_int_equal(vote(f, req, &carol, 1, &ans), SVC_OK);
    assert_string_equal(json_string_value(json_object_get(ans, "state")), "approved");
    json_t *v = json_array_get(json_object_get(ans, "votes"), 1);
    assert_string_equal(json_string_value(json_object_get(v, "by")), "carol");
    assert_string_equal(json_string_value(json_object_get(v, "role")), "admin");
    json_decref(ans);
    assert_int_equal(vote(f, req, &alice, 0, NULL), SVC_CONFLICT); /* decided */

    /* intent before action: executing once, never twice */
    struct attempt_rec b;
    assert_int_equal(actions_begin(f->ledger, att, time_now_ms(), &b), SVC_OK);
    assert_string_equal(b.state, "executing");
    assert_true(b.started_at_ms > 0);
    assert_int_equal(actions_begin(f->ledger, att, time_now_ms(), NULL), SVC_CONFLICT);
    int64_t now = time_now_ms();
    assert_int_equal(actions_finish(f->ledger, att, 1, "{\"outcome\":\"ok\"}", now + 1000, 1, now,
                                    &b),
                     SVC_OK);
    assert_string_equal(b.state, "succeeded");
    assert_string_equal(b.verification, "pending");
    assert_int_equal(actions_finish(f->ledger, att, 1, "{}", 0, 0, now, NULL), SVC_CONFLICT);
    assert_int_equal(actions_begin(f->ledger, att, time_now_ms(), NULL), SVC_CONFLICT);

    /* success contained the incident; a held verification moves it on */
    struct store_conn *c;
    struct incident inc;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_incident_get(c, f->incident, &inc), STORE_OK);
    store_read_release(f->store, c);
    assert_int_equal(inc.state, ST_CONTAINED);
    assert_int_equal(actions_verified(f->ledger, att, 1, 0, "latest finding resolved", now + 2000),
                     SVC_OK);
    assert_int_equal(actions_verified(f->ledger, att, 1, 0, "again", now + 2000), SVC_CONFLICT);
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_incident_get(c, f->incident, &inc), STORE_OK);
    store_read_release(f->store, c);
    assert_int_equal(inc.state, ST_RECOVERING);
}

static void reject_and_expiry_never_run(void **state)
{
    struct fx *f = *state;
    struct approval_rules rules = {3600 * 1000, 1, 1};
    struct attempt_rec a;
    int64_t att = propose(f, "approval", &rules, "srebot", &a);
    int64_t req = request_of(f, att);
    struct identity bob = who("bob", ROLE_OPERATOR);
    assert_int_equal(vote(f, req, &bob, 0, NULL), SVC_OK);
    assert_int_equal(actions_begin(f->ledger, att, time_now_ms(), NULL), SVC_CONFLICT);

    struct approval_rules quick = {10, 1, 1}; /* expires 10 ms after the request */
    int64_t att2 = propose(f, "approval", &quick, "srebot", &a);
    int64_t req2 = request_of(f, att2);
    unsigned n = 0;
    assert_int_equal(approvals_expire(f->ledger, time_now_ms() + 1000, &n), SVC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vote(f, req2, &bob, 1, NULL), SVC_EXPIRED);
    assert_int_equal(actions_begin(f->ledger, att2, time_now_ms(), NULL), SVC_CONFLICT);
    json_t *view;
    assert_int_equal(actions_approval_view(f->store, req2, &view), SVC_OK);
    assert_string_equal(json_string_value(json_object_get(view, "state")), "expired");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(view, "attempt"), "state")), "expired");
    json_decref(view);

    /* approved, but the request ran out before the run: expired, not executed */
    struct approval_rules brief = {200, 1, 1};
    int64_t att3 = propose(f, "approval", &brief, "srebot", &a);
    assert_int_equal(vote(f, request_of(f, att3), &bob, 1, NULL), SVC_OK);
    assert_int_equal(actions_begin(f->ledger, att3, time_now_ms() + 1000, &a), SVC_EXPIRED);
    assert_int_equal(actions_begin(f->ledger, att3, time_now_ms() + 1000, NULL), SVC_CONFLICT);
}

static void executing_becomes_unknown_and_never_reruns(void **state)
{
    struct fx *f = *state;
    struct action_decision d = {.action = "notify", .target = "incident/1", .mode = "auto",
                                .reason_code = "allowed", .reason = "notify"};
    struct attempt_rec a;
    assert_int_equal(actions_record_decision(f->ledger, f->incident, &d, NULL, "srebot",
                                             time_now_ms(), &a),
                     SVC_OK);
    assert_string_equal(a.state, "proposed");
    assert_int_equal(actions_begin(f->ledger, a.id, time_now_ms(), NULL), SVC_OK);
    unsigned n = 0;
    assert_int_equal(actions_recover(f->ledger, time_now_ms(), &n), SVC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(actions_begin(f->ledger, a.id, time_now_ms(), NULL), SVC_CONFLICT);
    assert_int_equal(actions_finish(f->ledger, a.id, 1, "{}", 0, 0, time_now_ms(), NULL),
                     SVC_CONFLICT);
    assert_int_equal(actions_recover(f->ledger, time_now_ms(), &n), SVC_OK);
    assert_int_equal(n, 0);
    struct attempt_filter af = {.incident_id = f->incident, .state = "unknown", .limit = 10};
    json_t *list;
    assert_int_equal(actions_attempt_list(f->store, &af, &list), SVC_OK);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 1);
    json_decref(list);
}

static void notifications_are_idempotent(void **state)
{
    struct fx *f = *state;
    struct notification_rec r = {.incident_id = f->incident, .attempt_id = 0, .severity = 2};
    snprintf(r.title, sizeof r.title, "db down");
    snprintf(r.body, sizeof r.body, "body");
    snprintf(r.dedupe_key, sizeof r.dedupe_key, "att-1-abc");
    int created = -1;
    assert_int_equal(actions_notification_post(f->ledger, &r, &created), SVC_OK);
    assert_int_equal(created, 1);
    int64_t id = r.id;
    assert_int_equal(actions_notification_post(f->ledger, &r, &created), SVC_OK);
    assert_int_equal(created, 0);
    assert_int_equal(r.id, id);
    json_t *list;
    assert_int_equal(actions_notification_list(f->store, 0, 50, &list), SVC_OK);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 1);
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(denial_is_a_decision_without_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(approval_rules_and_single_execution, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_and_expiry_never_run, setup, teardown),
        cmocka_unit_test_setup_teardown(executing_becomes_unknown_and_never_reruns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(notifications_are_idempotent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
