/* The action catalogue, the attempt state table (edge by edge, against an
 * independent list) and the approval rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/actions.h"
#include "core/approval.h"
#include "core/attempt.h"

static void catalogue_matches_binding_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum action_kind kind;
    } want[] = {
        {"notify", ACTION_NOTIFY},
        {"delete_completed_pods", ACTION_AUTOMATIC},
        {"suspend_cronjob", ACTION_AUTOMATIC},
        {"scale_to_zero", ACTION_AUTOMATIC},
        {"rollout_restart", ACTION_APPROVAL_ONLY},
        {"patch_config", ACTION_APPROVAL_ONLY},
        {"helm_reconcile", ACTION_APPROVAL_ONLY},
        {"cordon_node", ACTION_APPROVAL_ONLY},
        {"oci_reboot_node", ACTION_APPROVAL_ONLY},
        {"oci_replace_node", ACTION_APPROVAL_ONLY},
        {"review_cluster_capacity", ACTION_RECOMMEND_ONLY},
        {"review_workload_stability", ACTION_RECOMMEND_ONLY},
    };
    assert_int_equal(sizeof want / sizeof want[0], ACT__COUNT);
    for (int i = 0; i < ACT__COUNT; i++) {
        const struct action_def *d = action_get((enum action_id)i);
        assert_non_null(d);
        assert_int_equal(d->id, i);
        assert_string_equal(d->name, want[i].name);
        assert_int_equal(d->kind, want[i].kind);
        /* only notify and recommendations leave the world as it is */
        assert_int_equal(d->disruptive,
                         want[i].kind == ACTION_AUTOMATIC || want[i].kind == ACTION_APPROVAL_ONLY);
        assert_ptr_equal(action_find(want[i].name), d);
        enum action_id id;
        assert_int_equal(action_parse(want[i].name, &id), 0);
        assert_int_equal(id, i);
        assert_true(d->cooldown_seconds > 0);
        assert_true(d->verify_seconds >= 0);
    }
    assert_null(action_catalogue[ACT__COUNT].name);
    assert_null(action_find("rm_rf"));
    assert_null(action_get(ACT__COUNT));
    assert_int_equal(action_catalogue[ACT_SUSPEND_CRONJOB].needs_allowlist, 1);
    assert_int_equal(action_catalogue[ACT_SCALE_TO_ZERO].needs_allowlist, 1);
    assert_int_equal(action_catalogue[ACT_ROLLOUT_RESTART].needs_allowlist, 0);
}

static void targets_from_attributes(void **state)
{
    (void)state;
    struct action_subject s;
    char t[ACTION_TARGET_MAX + 1], ns[ACTION_NS_MAX + 1];
    action_subject_from_attributes(
        "{\"namespace\":\"shop\",\"workload_kind\":\"Deployment\",\"workload\":\"cart\","
        "\"cronjob\":\"nightly\",\"node\":\"node-1.example\",\"helm_release\":\"shop\","
        "\"configmap\":\"cart-cfg\"}",
        &s);
    assert_int_equal(action_target(ACT_NOTIFY, 42, &s, t, sizeof t), 0);
    assert_string_equal(t, "incident/42");
    assert_int_equal(action_target(ACT_DELETE_COMPLETED_PODS, 42, &s, t, sizeof t), 0);
    assert_string_equal(t, "shop");
    assert_int_equal(action_target(ACT_SUSPEND_CRONJOB, 42, &s, t, sizeof t), 0);
    assert_string_equal(t, "shop/nightly");
    assert_int_equal(action_target(ACT_SCALE_TO_ZERO, 42, &s, t, sizeof t), 0);
    assert_string_equal(t, "shop/Deployment/cart");
    action_target_namespace(ACT_SCALE_TO_ZERO, t, ns, sizeof ns);
    assert_string_equal(ns, "shop");
    assert_int_equal(action_target(ACT_CORDON_NODE, 42, &s, t, sizeof t), 0);
    assert_string_equal(t, "node-1.example");
    action_target_namespace(ACT_CORDON_NODE, t, ns, sizeof ns);
    assert_string_equal(ns, "");
    assert_int_equal(action_target(ACT_REVIEW_CLUSTER_CAPACITY, 42, &s, t, sizeof t), 0);
    assert_string_equal(t, "cluster");

    /* invalid names never form a target */
    action_subject_from_attributes("{\"namespace\":\"Bad_NS\",\"node\":\"a/b\","
                                   "\"workload_kind\":\"Pod\",\"workload\":\"x\"}",
                                   &s);
    assert_int_equal(action_target(ACT_DELETE_COMPLETED_PODS, 1, &s, t, sizeof t), -1);
    assert_string_equal(t, "");
    assert_int_equal(action_target(ACT_CORDON_NODE, 1, &s, t, sizeof t), -1);
    assert_int_equal(action_target(ACT_ROLLOUT_RESTART, 1, &s, t, sizeof t), -1);
    action_subject_from_attributes("not json", &s);
    assert_int_equal(action_target(ACT_SUSPEND_CRONJOB, 1, &s, t, sizeof t), -1);
    action_subject_from_attributes(NULL, &s);
    assert_int_equal(action_target(ACT_NOTIFY, 1, &s, t, sizeof t), 0);
}

#define P ATT_PROPOSED
#define W ATT_AWAITING_APPROVAL
#define A ATT_APPROVED
#define RJ ATT_REJECTED
#define EX ATT_EXPIRED
#define X ATT_EXECUTING
#define OK ATT_SUCCEEDED
#define F ATT_FAILED
#define U ATT_UNKNOWN
#define C ATT_CANCELLED

static void attempt_table_edge_by_edge(void **state)
{
    (void)state;
    static const enum attempt_state edges[][2] = {
        {P, W}, {P, X}, {P, C}, {P, OK}, {W, A}, {W, RJ}, {W, EX}, {W, C}, {A, X},
        {A, EX}, {A, C}, {X, OK}, {X, F}, {X, U}, {U, OK}, {U, F}, {U, C},
    };
    size_t nedges = sizeof edges / sizeof edges[0];
    assert_int_equal(attempt_table_len, nedges);
    for (int f = 0; f < ATT__COUNT; f++)
        for (int t = 0; t < ATT__COUNT; t++) {
            int want = 0;
            for (size_t i = 0; i < nedges; i++)
                want |= edges[i][0] == (enum attempt_state)f && edges[i][1] == (enum attempt_state)t;
            assert_int_equal(attempt_transition_allowed(f, t), want);
        }
    /* nothing leaves a terminal state; executing only from proposed/approved;
     * unknown never back to executing */
    for (int s = 0; s < ATT__COUNT; s++) {
        for (int t = 0; t < ATT__COUNT; t++) {
            if (attempt_state_terminal(s))
                assert_false(attempt_transition_allowed(s, t));
            if (t == X && attempt_transition_allowed(s, t))
                assert_true(s == P || s == A);
        }
        enum attempt_state back;
        assert_int_equal(attempt_state_parse(attempt_state_name(s), &back), 0);
        assert_int_equal(back, s);
        assert_true(attempt_state_terminal(s) != attempt_state_open(s));
    }
    /* recommendations are recorded, never run; nothing else skips executing */
    for (int f = 0; f < ATT__COUNT; f++)
        for (int t = 0; t < ATT__COUNT; t++) {
            int rec = attempt_transition_allowed_for(ACTION_RECOMMEND_ONLY, f, t);
            assert_int_equal(rec, f == P && (t == OK || t == C));
            int run = attempt_transition_allowed_for(ACTION_AUTOMATIC, f, t);
            assert_int_equal(run, attempt_transition_allowed(f, t) && !(f == P && t == OK));
        }
    assert_int_equal(attempt_state_parse("running", &(enum attempt_state){0}), -1);
    assert_string_equal(attempt_state_name(ATT__COUNT), "?");
    assert_true(attempt_state_started(U));
    assert_false(attempt_state_started(A));
}

static struct approval_request req(int required, int self_ok)
{
    struct approval_request r = {.attempt_id = 7, .created_ms = 1000, .expires_ms = 61000,
                                 .approvers_required = required, .allow_self_approval = self_ok};
    strcpy(r.requested_by, "alice");
    return r;
}

static void approvals(void **state)
{
    (void)state;
    struct approval_request r = req(1, 0);
    struct approval_record recs[4];
    memset(recs, 0, sizeof recs);
    /* self-approval forbidden; a rejection by the requester is fine */
    assert_int_equal(approval_can_approve(&r, W, 1, 1, "alice", NULL, 0, 2000),
                     APPROVAL_SELF_FORBIDDEN);
    assert_int_equal(approval_can_decide(&r, W, 1, 1, "alice", APPROVAL_REJECT, NULL, 0, 2000),
                     APPROVAL_OK);
    assert_int_equal(approval_can_approve(&r, W, 1, 1, "bob", NULL, 0, 2000), APPROVAL_OK);
    assert_int_equal(approval_can_approve(&r, W, 1, 1, "bob", NULL, 0, 61000), APPROVAL_EXPIRED);
    assert_int_equal(approval_can_approve(&r, A, 1, 1, "bob", NULL, 0, 2000),
                     APPROVAL_ALREADY_DECIDED);
    assert_int_equal(approval_can_approve(&r, W, 1, 1, "", NULL, 0, 2000), APPROVAL_BAD_IDENTITY);
    strcpy(recs[0].approver, "bob");
    recs[0].verdict = APPROVAL_APPROVE;
    assert_true(approval_satisfied(&r, 1, 1, recs, 1, 2000));
    assert_false(approval_satisfied(&r, 1, 1, recs, 1, 61000)); /* never after expiry */
    assert_int_equal(approval_can_approve(&r, W, 1, 1, "carol", recs, 1, 2000),
                     APPROVAL_ALREADY_DECIDED);
    /* the policy now wants two: the stricter rule applies to the open request */
    assert_false(approval_satisfied(&r, 2, 1, recs, 1, 2000));
    assert_int_equal(approval_can_approve(&r, W, 2, 1, "bob", recs, 1, 2000),
                     APPROVAL_DUPLICATE_APPROVER);
    assert_int_equal(approval_can_approve(&r, W, 2, 1, "carol", recs, 1, 2000), APPROVAL_OK);
    recs[1] = recs[0]; /* bob twice is still one approver */
    assert_false(approval_satisfied(&r, 2, 1, recs, 2, 2000));
    strcpy(recs[1].approver, "carol");
    assert_true(approval_satisfied(&r, 2, 1, recs, 2, 2000));
    strcpy(recs[2].approver, "dave");
    recs[2].verdict = APPROVAL_REJECT;
    assert_false(approval_satisfied(&r, 2, 1, recs, 3, 2000)); /* a rejection ends it */

    /* self-approval allowed only when request and policy both allow it */
    struct approval_request s = req(1, 1);
    assert_int_equal(approval_can_approve(&s, W, 1, 1, "alice", NULL, 0, 2000), APPROVAL_OK);
    assert_int_equal(approval_can_approve(&s, W, 1, 0, "alice", NULL, 0, 2000),
                     APPROVAL_SELF_FORBIDDEN);
    strcpy(recs[0].approver, "alice");
    recs[0].verdict = APPROVAL_APPROVE;
    assert_true(approval_satisfied(&s, 1, 1, recs, 1, 2000));
    assert_false(approval_satisfied(&s, 1, 0, recs, 1, 2000));
    assert_false(approval_satisfied(&r, 1, 1, recs, 1, 2000));
    assert_string_equal(approval_check_name(APPROVAL_SELF_FORBIDDEN), "self_approval_forbidden");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalogue_matches_binding_names),
        cmocka_unit_test(targets_from_attributes),
        cmocka_unit_test(attempt_table_edge_by_edge),
        cmocka_unit_test(approvals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
