/* The evaluator: one table row per guard (evaluate_action), the playbook walk,
 * the execution gate, verification, determinism, and the policy fields the
 * evaluator reads (playbooks, verify_seconds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/evaluator.h"

#define MIN_MS (60LL * 1000)
#define NOW (10LL * 24 * 3600 * 1000)

struct fx {
    struct eval_policy *pol;
    struct eval_incident inc;
    struct action_history hist[16];
    size_t nhist;
    struct eval_input in;
};

static void fx_init(struct fx *f, enum environment posture, const char *cls, const char *attrs)
{
    memset(f, 0, sizeof *f);
    struct policy_seed seed = {.posture = posture};
    json_t *doc = policy_defaults(&seed);
    struct problems *p = problems_create();
    assert_int_equal(policy_validate(doc, p), 0);
    problems_destroy(p);
    f->pol = eval_policy_create(doc);
    json_decref(doc);
    assert_non_null(f->pol);
    f->inc = (struct eval_incident){.id = 7, .class_ = cls, .state = ST_OBSERVED,
                                    .last_status = FINDING_FIRING, .corroborated = 1};
    action_subject_from_attributes(attrs, &f->inc.subject);
    f->in = (struct eval_input){.policy = f->pol, .incident = &f->inc, .history = f->hist,
                                .now_ms = NOW, .trigger = EVAL_TRIGGER_TICK};
}

static void fx_done(struct fx *f)
{
    eval_policy_destroy(f->pol);
}

static struct action_history *fx_hist(struct fx *f, enum action_id a, const char *target,
                                      int64_t incident, enum attempt_state st, int64_t created,
                                      int64_t started, int64_t finished)
{
    struct action_history *h = &f->hist[f->nhist];
    *h = (struct action_history){.attempt_id = (int64_t)f->nhist + 100, .action = a,
                                 .incident_id = incident, .state = st, .created_ms = created,
                                 .started_ms = started, .finished_ms = finished};
    strcpy(h->target, target);
    f->nhist++;
    f->in.nhistory = f->nhist;
    return h;
}

#define WORKLOAD "{\"namespace\":\"shop\",\"workload_kind\":\"Deployment\",\"workload\":\"cart\"}"
#define CRON "{\"namespace\":\"jobs\",\"cronjob\":\"nightly\",\"workload_kind\":\"Deployment\",\"workload\":\"w\"}"
#define RESTARTS "application_services.pod_restart_pressure"
#define DISK "infrastructure.node_disk_pressure"
#define QUEUE "async_workloads.queue_backlog"
#define EVICT "application_services.pod_eviction_pressure"

/* ---- one row per guard ---- */
struct guard_row {
    const char *name;
    enum environment posture;
    const char *cls, *attrs;
    enum action_id action;
    void (*setup)(struct fx *f);
    enum policy_action_mode mode;
    enum reason_code rc;
};

static void kill_switch(struct fx *f) { f->pol->automation_enabled = 0; }
static void dry(struct fx *f) { f->pol->dry_run = 1; }
static void prod_auto(struct fx *f) { f->pol->mode[ACT_DELETE_COMPLETED_PODS] = MODE_AUTO; }
static void log_only(struct fx *f) { f->inc.corroborated = 0; }
static void resolved(struct fx *f) { f->inc.state = ST_RESOLVED; }
static void finding_cleared(struct fx *f) { f->inc.last_status = FINDING_RESOLVED; }
static void allow_cron(struct fx *f) { strcpy(f->pol->cronjobs[f->pol->ncronjobs++], "jobs/nightly"); }
static void pending_elsewhere(struct fx *f)
{
    fx_hist(f, ACT_DELETE_COMPLETED_PODS, "shop", 99, ATT_AWAITING_APPROVAL, NOW - 3600 * 1000, 0, 0);
}
static void budget_used(struct fx *f)
{
    for (int i = 0; i < f->pol->attempt_budget; i++)
        fx_hist(f, ACT_DELETE_COMPLETED_PODS, "shop", 7, ATT_FAILED, NOW - (i + 5) * 3600 * 1000LL,
                NOW - (i + 5) * 3600 * 1000LL, NOW - (i + 5) * 3600 * 1000LL + 1000);
}
static void budget_cancelled(struct fx *f)
{
    for (int i = 0; i < 5; i++)
        fx_hist(f, ACT_DELETE_COMPLETED_PODS, "shop", 7, ATT_CANCELLED, NOW - 3 * MIN_MS, 0, 0);
}
static void cooling(struct fx *f)
{
    fx_hist(f, ACT_DELETE_COMPLETED_PODS, "shop", 99, ATT_SUCCEEDED, NOW - 2 * MIN_MS,
            NOW - 2 * MIN_MS, NOW - MIN_MS);
}
static void cooled(struct fx *f)
{
    fx_hist(f, ACT_DELETE_COMPLETED_PODS, "shop", 99, ATT_SUCCEEDED, NOW - 11 * MIN_MS,
            NOW - 11 * MIN_MS, NOW - 10 * MIN_MS);
}
static void clock_back(struct fx *f)
{
    fx_hist(f, ACT_DELETE_COMPLETED_PODS, "shop", 99, ATT_FAILED, NOW + 3600 * 1000,
            NOW + 3600 * 1000, NOW + 3600 * 1000);
}
static void busy_hour(struct fx *f)
{
    f->pol->max_actions_per_hour = 2;
    fx_hist(f, ACT_SCALE_TO_ZERO, "a/Deployment/x", 1, ATT_SUCCEEDED, NOW - 50 * MIN_MS, NOW - 50 * MIN_MS, NOW - 49 * MIN_MS);
    fx_hist(f, ACT_ROLLOUT_RESTART, "a/Deployment/y", 2, ATT_UNKNOWN, NOW - 59 * MIN_MS, NOW - 59 * MIN_MS, 0);
    fx_hist(f, ACT_NOTIFY, "incident/3", 3, ATT_SUCCEEDED, NOW - MIN_MS, NOW - MIN_MS, NOW - MIN_MS); /* not counted */
}
static void quiet_hour(struct fx *f)
{
    busy_hour(f);
    f->hist[1].started_ms = NOW - 61 * MIN_MS; /* out of the window */
}
static void zero_rate(struct fx *f) { f->pol->max_actions_per_hour = 0; }

static const struct guard_row guard_rows[] = {
    {"allowed", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, NULL, MODE_AUTO, RC_ALLOWED},
    {"approval required", ENV_DEMO, RESTARTS, WORKLOAD, ACT_ROLLOUT_RESTART, NULL, MODE_APPROVAL, RC_APPROVAL_REQUIRED},
    {"staging: required_for", ENV_STAGING, QUEUE, CRON, ACT_SUSPEND_CRONJOB, allow_cron, MODE_APPROVAL, RC_APPROVAL_REQUIRED},
    {"recommendation", ENV_DEMO, RESTARTS, WORKLOAD, ACT_REVIEW_WORKLOAD_STABILITY, NULL, MODE_RECOMMEND, RC_RECOMMENDATION_ONLY},
    {"dry run", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, dry, MODE_AUTO, RC_DRY_RUN},
    {"dry run, notify unaffected", ENV_DEMO, DISK, WORKLOAD, ACT_NOTIFY, dry, MODE_AUTO, RC_ALLOWED},
    {"unknown action", ENV_DEMO, DISK, WORKLOAD, ACT__COUNT, NULL, MODE_DENY, RC_UNKNOWN_ACTION},
    {"not in playbook", ENV_DEMO, RESTARTS, WORKLOAD, ACT_CORDON_NODE, NULL, MODE_DENY, RC_NOT_IN_PLAYBOOK},
    {"kill switch", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, kill_switch, MODE_DENY, RC_AUTOMATION_DISABLED},
    {"kill switch spares notify", ENV_DEMO, DISK, WORKLOAD, ACT_NOTIFY, kill_switch, MODE_AUTO, RC_ALLOWED},
    {"kill switch stops recommendations", ENV_DEMO, DISK, WORKLOAD, ACT_REVIEW_CLUSTER_CAPACITY, kill_switch, MODE_DENY, RC_AUTOMATION_DISABLED},
    {"posture forbids", ENV_PRODUCTION, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, prod_auto, MODE_DENY, RC_POSTURE_FORBIDS},
    {"production asks", ENV_PRODUCTION, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, NULL, MODE_APPROVAL, RC_APPROVAL_REQUIRED},
    {"no target", ENV_DEMO, DISK, "{\"node\":\"n1\"}", ACT_DELETE_COMPLETED_PODS, NULL, MODE_DENY, RC_NO_TARGET},
    {"protected namespace", ENV_DEMO, DISK, "{\"namespace\":\"kube-system\"}", ACT_DELETE_COMPLETED_PODS, NULL, MODE_DENY, RC_PROTECTED_NAMESPACE},
    {"not allowlisted", ENV_DEMO, QUEUE, CRON, ACT_SUSPEND_CRONJOB, NULL, MODE_DENY, RC_NOT_ALLOWLISTED},
    {"allowlisted", ENV_DEMO, QUEUE, CRON, ACT_SUSPEND_CRONJOB, allow_cron, MODE_AUTO, RC_ALLOWED},
    {"workload not allowlisted", ENV_DEMO, QUEUE, CRON, ACT_SCALE_TO_ZERO, allow_cron, MODE_DENY, RC_NOT_ALLOWLISTED},
    {"log only evidence", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, log_only, MODE_DENY, RC_LOG_ONLY_EVIDENCE},
    {"log only: notify still", ENV_DEMO, DISK, WORKLOAD, ACT_NOTIFY, log_only, MODE_AUTO, RC_ALLOWED},
    {"already pending", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, pending_elsewhere, MODE_DENY, RC_ALREADY_PENDING},
    {"budget exhausted", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, budget_used, MODE_DENY, RC_BUDGET_EXHAUSTED},
    {"cancelled attempts don't count", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, budget_cancelled, MODE_AUTO, RC_ALLOWED},
    {"cooldown", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, cooling, MODE_DENY, RC_COOLDOWN},
    {"cooled down", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, cooled, MODE_AUTO, RC_ALLOWED},
    {"clock went back: still cooling", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, clock_back, MODE_DENY, RC_COOLDOWN},
    {"hourly rate", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, busy_hour, MODE_DENY, RC_HOURLY_RATE},
    {"hourly rate: window slides", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, quiet_hour, MODE_AUTO, RC_ALLOWED},
    {"rate 0: nothing disruptive", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, zero_rate, MODE_DENY, RC_HOURLY_RATE},
    {"rate 0: notify runs", ENV_DEMO, DISK, WORKLOAD, ACT_NOTIFY, zero_rate, MODE_AUTO, RC_ALLOWED},
    {"incident resolved", ENV_DEMO, DISK, WORKLOAD, ACT_DELETE_COMPLETED_PODS, resolved, MODE_DENY, RC_INCIDENT_INACTIVE},
    {"finding cleared", ENV_DEMO, DISK, WORKLOAD, ACT_NOTIFY, finding_cleared, MODE_DENY, RC_INCIDENT_INACTIVE},
};

static void every_guard(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof guard_rows / sizeof guard_rows[0]; i++) {
        const struct guard_row *r = &guard_rows[i];
        struct fx f;
        fx_init(&f, r->posture, r->cls, r->attrs);
        if (r->setup)
            r->setup(&f);
        struct decision d;
        evaluate_action(&f.in, r->action, &d);
        if (d.mode != r->mode || d.reason_code != r->rc)
            fail_msg("%s: got %s/%s (%s), want %s/%s", r->name, policy_action_mode_name(d.mode),
                     reason_code_name(d.reason_code), d.reason, policy_action_mode_name(r->mode),
                     reason_code_name(r->rc));
        assert_true(d.reason[0] != '\0');
        assert_int_equal(d.dry_run, r->rc == RC_DRY_RUN);
        fx_done(&f);
    }
    /* every reason code has a distinct name that parses back */
    for (int rc = 0; rc < RC__COUNT; rc++) {
        enum reason_code back;
        assert_int_equal(reason_code_parse(reason_code_name(rc), &back), 0);
        assert_int_equal(back, rc);
    }
}

/* ---- the playbook walk ---- */
static void walk(struct fx *f, struct eval_result *r)
{
    evaluate(&f->in, r);
}

static void playbook_walk(void **state)
{
    (void)state;
    struct fx f;
    struct eval_result r;
    fx_init(&f, ENV_DEMO, RESTARTS, WORKLOAD); /* notify, rollout_restart, review_workload_stability */
    walk(&f, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0].action, ACT_NOTIFY);
    assert_string_equal(r.items[0].target, "incident/7");
    assert_int_equal(r.items[0].mode, MODE_AUTO);
    assert_false(r.escalate);

    struct action_history *n = fx_hist(&f, ACT_NOTIFY, "incident/7", 7, ATT_EXECUTING, NOW, NOW, 0);
    walk(&f, &r);
    assert_int_equal(r.n, 0); /* waiting on notify */
    n->state = ATT_SUCCEEDED;
    n->finished_ms = NOW;
    walk(&f, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0].action, ACT_ROLLOUT_RESTART);
    assert_int_equal(r.items[0].mode, MODE_APPROVAL);
    assert_int_equal(r.items[0].step, 1);

    struct action_history *rr =
        fx_hist(&f, ACT_ROLLOUT_RESTART, "shop/Deployment/cart", 7, ATT_AWAITING_APPROVAL, NOW, 0, 0);
    walk(&f, &r);
    assert_int_equal(r.n, 0);
    rr->state = ATT_SUCCEEDED;
    rr->started_ms = NOW;
    rr->finished_ms = NOW + MIN_MS;
    f.inc.state = ST_CONTAINED;
    f.in.now_ms = NOW + 3 * MIN_MS; /* inside verify_seconds (300 s) */
    walk(&f, &r);
    assert_int_equal(r.n, 0);
    f.in.now_ms = NOW + 7 * MIN_MS; /* still firing after verification: next step */
    walk(&f, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0].action, ACT_REVIEW_WORKLOAD_STABILITY);
    assert_int_equal(r.items[0].mode, MODE_RECOMMEND);
    fx_hist(&f, ACT_REVIEW_WORKLOAD_STABILITY, "shop/Deployment/cart", 7, ATT_SUCCEEDED,
            f.in.now_ms, 0, f.in.now_ms);
    walk(&f, &r);
    assert_int_equal(r.n, 0);
    assert_true(r.escalate); /* nothing left and it still fires */
    f.inc.state = ST_ESCALATED;
    walk(&f, &r);
    assert_false(r.escalate); /* once */

    /* a re-opened incident starts its playbook again (episode), budgets still count */
    f.inc.state = ST_OBSERVED;
    f.inc.episode_start_ms = f.in.now_ms + 1;
    f.in.now_ms += 2 * 3600 * 1000LL;
    walk(&f, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0].action, ACT_NOTIFY);
    fx_done(&f);
}

static void walk_skips_permanent_denials(void **state)
{
    (void)state;
    struct fx f;
    struct eval_result r;
    /* notify, delete_completed_pods, review_cluster_capacity; no namespace given */
    fx_init(&f, ENV_DEMO, EVICT, "{\"node\":\"n1\"}");
    fx_hist(&f, ACT_NOTIFY, "incident/7", 7, ATT_SUCCEEDED, NOW - 1000, NOW - 1000, NOW - 1000);
    walk(&f, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.items[0].reason_code, RC_NO_TARGET);
    assert_int_equal(r.items[0].mode, MODE_DENY);
    assert_int_equal(r.items[1].action, ACT_REVIEW_CLUSTER_CAPACITY);
    assert_int_equal(r.items[1].mode, MODE_RECOMMEND);
    /* a temporary denial stops the walk: the kill switch */
    f.pol->automation_enabled = 0;
    action_subject_from_attributes(WORKLOAD, &f.inc.subject);
    walk(&f, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0].reason_code, RC_AUTOMATION_DISABLED);
    assert_false(r.escalate);
    /* a failed attempt is retried after its cooldown, within the budget */
    f.pol->automation_enabled = 1;
    struct action_history *h = fx_hist(&f, ACT_DELETE_COMPLETED_PODS, "shop", 7, ATT_FAILED,
                                       NOW - MIN_MS, NOW - MIN_MS, NOW - MIN_MS + 1);
    walk(&f, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.items[0].reason_code, RC_COOLDOWN);
    h->created_ms = h->started_ms = NOW - 11 * MIN_MS;
    walk(&f, &r);
    assert_int_equal(r.items[0].reason_code, RC_ALLOWED);
    /* no decisions for an incident that is not firing */
    f.inc.last_status = FINDING_RESOLVED;
    walk(&f, &r);
    assert_int_equal(r.n, 0);
    assert_false(r.escalate);
    fx_done(&f);
}

static void deterministic(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, ENV_DEMO, EVICT, WORKLOAD);
    fx_hist(&f, ACT_NOTIFY, "incident/7", 7, ATT_SUCCEEDED, NOW - 9000, NOW - 9000, NOW - 9000);
    fx_hist(&f, ACT_DELETE_COMPLETED_PODS, "shop", 7, ATT_FAILED, NOW - 3600000, NOW - 3600000, NOW - 3500000);
    fx_hist(&f, ACT_DELETE_COMPLETED_PODS, "other", 8, ATT_SUCCEEDED, NOW - 60000, NOW - 60000, NOW - 50000);
    fx_hist(&f, ACT_SCALE_TO_ZERO, "a/Deployment/b", 9, ATT_EXECUTING, NOW - 1000, NOW - 1000, 0);
    struct eval_result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    evaluate(&f.in, &a);
    for (int round = 0; round < 50; round++) {
        /* any order of the history gives the same answer */
        for (size_t i = f.nhist - 1; i > 0; i--) {
            size_t j = (size_t)rand() % (i + 1);
            struct action_history t = f.hist[i];
            f.hist[i] = f.hist[j];
            f.hist[j] = t;
        }
        evaluate(&f.in, &b);
        assert_memory_equal(&a, &b, sizeof a);
    }
    assert_int_equal(a.n, 1);
    assert_int_equal(a.items[0].reason_code, RC_ALLOWED);
    fx_done(&f);
}

/* ---- the gate ---- */
static void gate(void **state)
{
    (void)state;
    struct fx f;
    struct decision d;
    fx_init(&f, ENV_PRODUCTION, DISK, WORKLOAD);
    struct action_history *a =
        fx_hist(&f, ACT_DELETE_COMPLETED_PODS, "shop", 7, ATT_AWAITING_APPROVAL, NOW, 0, 0);
    struct approval_request req = {.attempt_id = a->attempt_id, .created_ms = NOW,
                                   .expires_ms = NOW + 900000, .approvers_required = 1};
    strcpy(req.requested_by, "srebot");
    struct approval_record rec = {.verdict = APPROVAL_APPROVE, .at_ms = NOW + 1000};
    strcpy(rec.approver, "bob");
    f.in.now_ms = NOW + 2000;

    evaluate_gate(&f.in, a, &req, &rec, 1, &d);
    assert_int_equal(d.reason_code, RC_NOT_RUNNABLE); /* still awaiting */
    a->state = ATT_APPROVED;
    evaluate_gate(&f.in, a, &req, NULL, 0, &d);
    assert_int_equal(d.reason_code, RC_APPROVAL_MISSING);
    evaluate_gate(&f.in, a, &req, &rec, 1, &d);
    assert_int_equal(d.mode, MODE_AUTO); /* its own proposal is no cooldown, no pending */
    assert_int_equal(d.reason_code, RC_ALLOWED);
    f.pol->approvers_required = 2; /* the policy got stricter meanwhile */
    evaluate_gate(&f.in, a, &req, &rec, 1, &d);
    assert_int_equal(d.reason_code, RC_APPROVAL_MISSING);
    f.pol->approvers_required = 1;
    f.pol->automation_enabled = 0; /* kill switch between approval and start */
    evaluate_gate(&f.in, a, &req, &rec, 1, &d);
    assert_int_equal(d.reason_code, RC_AUTOMATION_DISABLED);
    f.pol->automation_enabled = 1;
    f.in.now_ms = req.expires_ms; /* never after expiry, even approved */
    evaluate_gate(&f.in, a, &req, &rec, 1, &d);
    assert_int_equal(d.reason_code, RC_APPROVAL_EXPIRED);
    f.in.now_ms = NOW + 2000;
    /* another attempt on the same target started meanwhile: cooldown */
    fx_hist(&f, ACT_DELETE_COMPLETED_PODS, "shop", 8, ATT_SUCCEEDED, NOW - 10, NOW + 1000, NOW + 1500);
    evaluate_gate(&f.in, a, &req, &rec, 1, &d);
    assert_int_equal(d.reason_code, RC_COOLDOWN);
    /* automatic attempt; policy now demands an approval it doesn't have */
    f.nhist = f.in.nhistory = 1;
    a->state = ATT_PROPOSED;
    evaluate_gate(&f.in, a, NULL, NULL, 0, &d);
    assert_int_equal(d.reason_code, RC_APPROVAL_MISSING);
    f.pol->posture = ENV_DEMO;
    f.pol->mode[ACT_DELETE_COMPLETED_PODS] = MODE_AUTO;
    evaluate_gate(&f.in, a, NULL, NULL, 0, &d);
    assert_int_equal(d.reason_code, RC_ALLOWED);
    f.inc.state = ST_RECOVERING;
    evaluate_gate(&f.in, a, NULL, NULL, 0, &d);
    assert_int_equal(d.reason_code, RC_INCIDENT_INACTIVE);
    f.inc.state = ST_OBSERVED;
    a->action = ACT_REVIEW_CLUSTER_CAPACITY;
    evaluate_gate(&f.in, a, NULL, NULL, 0, &d);
    assert_int_equal(d.mode, MODE_DENY);
    assert_int_equal(d.reason_code, RC_RECOMMENDATION_ONLY);
    fx_done(&f);
}

/* ---- verification ---- */
static void verification(void **state)
{
    (void)state;
    struct fx f;
    struct verify_result v;
    fx_init(&f, ENV_DEMO, RESTARTS, WORKLOAD);
    fx_hist(&f, ACT_NOTIFY, "incident/7", 7, ATT_SUCCEEDED, NOW - 9000, NOW - 9000, NOW - 9000);
    struct action_history *a = fx_hist(&f, ACT_ROLLOUT_RESTART, "shop/Deployment/cart", 7,
                                       ATT_SUCCEEDED, NOW - 1000, NOW - 1000, NOW);
    int changed;
    assert_int_equal(remed_state_after_success(ST_OBSERVED, &changed), ST_CONTAINED);
    assert_true(changed);
    assert_int_equal(remed_state_after_success(ST_RESOLVED, &changed), ST_RESOLVED);
    assert_false(changed);
    f.inc.state = ST_CONTAINED;
    f.in.now_ms = NOW + 60000;
    verify_after_success(&f.in, a, &v);
    assert_int_equal(v.verdict, VERIFY_WAIT);
    assert_int_equal(v.due_ms, NOW + 300000);
    f.in.now_ms = NOW + 300000;
    verify_after_success(&f.in, a, &v);
    assert_int_equal(v.verdict, VERIFY_NEXT_STEP); /* review_workload_stability is left */
    assert_false(v.has_move);
    fx_hist(&f, ACT_REVIEW_WORKLOAD_STABILITY, "shop/Deployment/cart", 7, ATT_SUCCEEDED, NOW, 0, NOW);
    verify_after_success(&f.in, a, &v);
    assert_int_equal(v.verdict, VERIFY_ESCALATE);
    assert_true(v.has_move);
    assert_int_equal(v.move_to, ST_ESCALATED);
    f.inc.last_status = FINDING_RESOLVED; /* the signal cleared */
    verify_after_success(&f.in, a, &v);
    assert_int_equal(v.verdict, VERIFY_CLEARED);
    assert_true(v.has_move);
    assert_int_equal(v.move_to, ST_RECOVERING);
    assert_non_null(strstr(v.reason, "rollout_restart"));
    f.inc.state = ST_RECOVERING; /* folding already moved it */
    verify_after_success(&f.in, a, &v);
    assert_int_equal(v.verdict, VERIFY_CLEARED);
    assert_false(v.has_move);
    fx_done(&f);
}

/* ---- the policy fields behind the view ---- */
static void policy_fields(void **state)
{
    (void)state;
    struct policy_seed seed = {.posture = ENV_STAGING};
    json_t *doc = policy_defaults(&seed);
    json_object_set_new(json_object_get(doc, "automation"), "verify_seconds",
                        json_pack("{s:i}", "rollout_restart", 42));
    json_object_set_new(json_object_get(json_object_get(doc, "automation"), "cooldown_seconds"),
                        "notify", json_integer(5));
    json_object_set_new(doc, "playbooks",
                        json_pack("{s:[s,s], s:[s]}", "default", "notify", "review_cluster_capacity",
                                  RESTARTS, "rollout_restart"));
    struct problems *p = problems_create();
    assert_int_equal(policy_validate(doc, p), 0);
    struct eval_policy *v = eval_policy_create(doc);
    assert_int_equal(v->verify_ms[ACT_ROLLOUT_RESTART], 42000);
    assert_int_equal(v->verify_ms[ACT_CORDON_NODE], 300000); /* catalogue default */
    assert_int_equal(v->cooldown_ms[ACT_NOTIFY], 5000);
    assert_int_equal(v->cooldown_ms[ACT_CORDON_NODE], 1800000); /* policy default */
    assert_int_equal(v->mode[ACT_SUSPEND_CRONJOB], MODE_APPROVAL);
    assert_int_equal(v->mode[ACT_DELETE_COMPLETED_PODS], MODE_AUTO);
    const struct eval_playbook *pb = eval_playbook_for(v, RESTARTS);
    assert_int_equal(pb->nsteps, 1);
    assert_int_equal(pb->steps[0], ACT_ROLLOUT_RESTART);
    pb = eval_playbook_for(v, DISK);
    assert_int_equal(pb->nsteps, 2);
    assert_int_equal(pb->steps[1], ACT_REVIEW_CLUSTER_CAPACITY);
    eval_policy_destroy(v);

    /* bad values, each at its path */
    json_object_set_new(doc, "playbooks",
                        json_pack("{s:[s], s:[], s:[s,s], s:[s]}", "no_such.class", "notify",
                                  DISK, QUEUE, "notify", "notify", "default", "reboot_world"));
    json_object_set_new(json_object_get(doc, "automation"), "verify_seconds",
                        json_pack("{s:i, s:i}", "rollout_restart", -1, "fly", 3));
    problems_destroy(p);
    p = problems_create();
    assert_int_equal(policy_validate(doc, p), -1);
    static const char *const want[][2] = {
        {"/automation/verify_seconds/rollout_restart", "range"},
        {"/automation/verify_seconds/fly", "unknown_field"},
        {"/playbooks/no_such.class", "reference"},
        {"/playbooks/" DISK, "length"},
        {"/playbooks/" QUEUE "/1", "duplicate"},
        {"/playbooks/default/0", "enum"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int found = 0;
        for (size_t j = 0; j < p->count; j++)
            found |= strcmp(p->items[j].path, want[i][0]) == 0 &&
                     strcmp(p->items[j].code, want[i][1]) == 0;
        if (!found)
            fail_msg("missing problem %s %s", want[i][0], want[i][1]);
    }
    problems_destroy(p);
    json_decref(doc);

    /* no document: only notify, the system namespaces protected */
    v = eval_policy_create(NULL);
    assert_false(v->automation_enabled);
    assert_int_equal(v->nprotected, 3);
    assert_true(v->nplaybooks > 5);
    eval_policy_destroy(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_guard),
        cmocka_unit_test(playbook_walk),
        cmocka_unit_test(walk_skips_permanent_denials),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(gate),
        cmocka_unit_test(verification),
        cmocka_unit_test(policy_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
