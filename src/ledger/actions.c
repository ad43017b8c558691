/* Decisions and action attempts: record, intent before action, results,
 * start-up reconciliation, closed-loop verdicts, the notification outbox.
 * See actions.h for the state diagram. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actions.h"
#include "core/attempt.h"
#include "ledger/actions_int.h"
#include "ledger/views.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

/* The timeline/audit data of an attempt step. */
static json_t *step_data(const struct attempt_rec *a)
{
    return json_pack("{s:I, s:s, s:s, s:s}", "attempt_id", (json_int_t)a->id, "action", a->action,
                     "target", a->target, "state", a->state);
}

/* One step of an attempt: state change + timeline + audit + event. */
static enum store_status attempt_step(struct store_conn *c, struct act_op *op,
                                      struct attempt_rec *a, const char *to, const char *actor,
                                      const char *reason, const struct approval_rec *approval)
{
    enum store_status st = act_set_state(c, a, to, op->now);
    if (st != STORE_OK)
        return st;
    json_t *d = step_data(a);
    char audit[48];
    snprintf(audit, sizeof audit, "action.%s", to);
    st = act_note(c, a->incident_id, op->now, actor, "action", audit, reason, d);
    json_decref(d);
    if (st != STORE_OK)
        return st;
    char type[48];
    snprintf(type, sizeof type, "sre.action.%s", to);
    return act_emit(c, op, type, a, approval);
}

/* ---- decisions ---- */

struct decision_arg {
    int64_t incident_id;
    const struct action_decision *d;
    const struct approval_rules *rules;
    const char *requested_by;
    struct attempt_rec a;
};

static void idempotency_key(const struct decision_arg *x, int64_t now, char *out, size_t outlen)
{
    /* unique per decision and stable for it: incident, action, target, step and
     * the decision time, hashed so that a long target keeps the key short */
    char material[512];
    snprintf(material, sizeof material, "%lld|%s|%s|%d|%lld", (long long)x->incident_id,
             x->d->action, x->d->target ? x->d->target : "", x->d->step, (long long)now);
    uint8_t h[32];
    crypto_sha256(material, strlen(material), h);
    char hex[17];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    snprintf(out, outlen, "att-%lld-%s", (long long)x->incident_id, hex);
}

static enum store_status decision_fn(struct store_conn *c, struct act_op *op)
{
    struct decision_arg *x = op->arg;
    const struct action_decision *d = x->d;
    struct incident inc;
    enum store_status st = store_incident_get(c, x->incident_id, &inc);
    if (st == STORE_NOT_FOUND) {
        op->answer = SVC_NOT_FOUND;
        return STORE_OK;
    }
    if (st != STORE_OK)
        return st;
    int deny = strcmp(d->mode, "deny") == 0;
    struct attempt_rec *a = &x->a;
    memset(a, 0, sizeof *a);
    if (!deny) {
        a->incident_id = x->incident_id;
        snprintf(a->action, sizeof a->action, "%s", d->action);
        snprintf(a->target, sizeof a->target, "%s", d->target ? d->target : "");
        snprintf(a->mode, sizeof a->mode, "%s", d->mode);
        snprintf(a->state, sizeof a->state, "%s", attempt_state_name(ATT_PROPOSED));
        idempotency_key(x, op->now, a->idempotency_key, sizeof a->idempotency_key);
        snprintf(a->reason_code, sizeof a->reason_code, "%s", d->reason_code ? d->reason_code : "");
        snprintf(a->reason, sizeof a->reason, "%s", d->reason ? d->reason : "");
        snprintf(a->requested_by, sizeof a->requested_by, "%s", x->requested_by);
        snprintf(a->params, sizeof a->params, "%s", d->params_json ? d->params_json : "");
        a->dry_run = d->dry_run;
        a->step = d->step;
        a->created_at_ms = a->updated_at_ms = op->now;
        if ((st = store_attempt_insert(c, a)) != STORE_OK)
            return st;
    }
    json_t *data =
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}", "action", d->action, "target",
                  d->target ? d->target : "", "mode", d->mode, "reason_code",
                  d->reason_code ? d->reason_code : "", "step", d->step, "dry_run", d->dry_run);
    if (a->id)
        json_object_set_new(data, "attempt_id", json_integer(a->id));
    char reason[400];
    snprintf(reason, sizeof reason, "%s %s: %s", d->action, d->mode, d->reason ? d->reason : "");
    st = act_note(c, x->incident_id, op->now, x->requested_by, "decision", "action.decided", reason,
                  data);
    if (st == STORE_OK && deny) {
        json_object_set_new(data, "incident_id", json_integer(x->incident_id));
        json_object_set_new(data, "reason", json_string(d->reason ? d->reason : ""));
        st = ledger_emit(c, "sre.action.denied", x->incident_id, op->now, json_incref(data),
                         &op->max_seq);
    }
    json_decref(data);
    if (st != STORE_OK || deny)
        return st;
    if (strcmp(d->mode, "approval") != 0)
        return act_emit(c, op, "sre.action.proposed", a, NULL);

    struct approval_rec r;
    memset(&r, 0, sizeof r);
    r.incident_id = x->incident_id;
    r.attempt_id = a->id;
    snprintf(r.state, sizeof r.state, "pending");
    snprintf(r.requested_by, sizeof r.requested_by, "%s", x->requested_by);
    r.approvers_required = x->rules->approvers_required < 1 ? 1 : x->rules->approvers_required;
    r.allow_self_approval = x->rules->allow_self_approval;
    r.requested_at_ms = op->now;
    r.expires_at_ms = op->now + x->rules->expiry_ms;
    if ((st = act_set_state(c, a, attempt_state_name(ATT_AWAITING_APPROVAL), op->now)) !=
            STORE_OK ||
        (st = store_approval_insert(c, &r)) != STORE_OK)
        return st;
    json_t *ad = act_approval_json(&r);
    st = act_note(c, x->incident_id, op->now, x->requested_by, "approval", "approval.requested",
                  "approval requested", ad);
    json_decref(ad);
    if (st == STORE_OK)
        st = act_emit(c, op, "sre.action.proposed", a, &r);
    if (st == STORE_OK) /* the message with Approve / Reject, in the same transaction */
        st = ledger_notify_approval(c, &r, a, NULL, op->now, &op->max_seq);
    return st;
}

enum svc_status actions_record_decision(struct ledger *l, int64_t incident_id,
                                        const struct action_decision *d,
                                        const struct approval_rules *rules,
                                        const char *requested_by, int64_t now_ms,
                                        struct attempt_rec *out)
{
    static const struct approval_rules no_rules = {3600 * 1000LL, 1, 0};
    struct decision_arg *x = calloc(1, sizeof *x);
    if (!x)
        return SVC_INTERNAL;
    x->incident_id = incident_id;
    x->d = d;
    x->rules = rules ? rules : &no_rules;
    x->requested_by = requested_by && *requested_by ? requested_by : "system";
    struct act_op op = {.fn = decision_fn, .arg = x, .now = now_ms};
    enum svc_status st = act_run(l, &op);
    if (st == SVC_OK && out)
        *out = x->a;
    free(x);
    return st;
}

/* ---- intent before action ---- */

struct attempt_in {
    int64_t id;
    int succeeded, held, escalate, contain;
    const char *result, *evidence;
    int64_t verify_at;
};

struct attempt_arg {
    struct attempt_in in;
    struct attempt_rec a;
};

/* One write on one attempt: fn runs in the transaction with in; *out (may be
 * NULL) gets the attempt after it. */
static enum svc_status attempt_run(struct ledger *l, act_fn fn, struct attempt_in in,
                                   int64_t now_ms, struct attempt_rec *out)
{
    struct attempt_arg *x = calloc(1, sizeof *x);
    if (!x)
        return SVC_INTERNAL;
    x->in = in;
    struct act_op op = {.fn = fn, .arg = x, .now = now_ms};
    enum svc_status st = act_run(l, &op);
    if (st == SVC_OK && out)
        *out = x->a;
    free(x);
    return st;
}

static enum store_status load_attempt(struct store_conn *c, struct act_op *op,
                                      struct attempt_arg *x, int *found)
{
    enum store_status st = store_attempt_get(c, x->in.id, &x->a);
    *found = st == STORE_OK;
    if (st == STORE_NOT_FOUND) {
        op->answer = SVC_NOT_FOUND;
        return STORE_OK;
    }
    return st;
}

static enum store_status begin_fn(struct store_conn *c, struct act_op *op)
{
    struct attempt_arg *x = op->arg;
    int found;
    enum store_status st = load_attempt(c, op, x, &found);
    if (st != STORE_OK || !found)
        return st;
    struct attempt_rec *a = &x->a;
    const char *executing = attempt_state_name(ATT_EXECUTING);
    int is_auto =
        strcmp(a->state, attempt_state_name(ATT_PROPOSED)) == 0 && strcmp(a->mode, "auto") == 0;
    int is_approved = strcmp(a->state, attempt_state_name(ATT_APPROVED)) == 0;
    if (!is_auto && !is_approved) {
        op->answer = SVC_CONFLICT;
        return STORE_OK;
    }
    if (is_approved) {
        /* the approval must still stand: approved, and not past its expiry */
        struct approval_rec r;
        st = store_approval_of_attempt(c, a->id, &r);
        if (st != STORE_OK && st != STORE_NOT_FOUND)
            return st;
        if (st == STORE_NOT_FOUND || strcmp(r.state, "approved") != 0) {
            op->answer = SVC_CONFLICT;
            return STORE_OK;
        }
        if (op->now >= r.expires_at_ms) {
            op->answer = SVC_EXPIRED;
            return attempt_step(c, op, a, attempt_state_name(ATT_EXPIRED), "system",
                                "approval expired before execution", &r);
        }
    }
    a->started_at_ms = op->now;
    return attempt_step(c, op, a, executing, "system", "intent recorded: executing", NULL);
}

enum svc_status actions_begin(struct ledger *l, int64_t attempt_id, int64_t now_ms,
                              struct attempt_rec *out)
{
    return attempt_run(l, begin_fn, (struct attempt_in){.id = attempt_id}, now_ms, out);
}

/* A system move of the incident, when the lifecycle table allows it. */
static enum store_status move_incident(struct store_conn *c, struct act_op *op, int64_t id,
                                       enum incident_state to, const char *reason)
{
    struct incident inc;
    enum store_status st = store_incident_get(c, id, &inc);
    if (st != STORE_OK)
        return st == STORE_NOT_FOUND ? STORE_OK : st;
    if (inc.state == to || !lifecycle_allowed_edge(inc.state, to, BY_SYSTEM))
        return STORE_OK;
    enum incident_state from = inc.state;
    incident_set_state(&inc, to, op->now, 0);
    st = store_incident_update(c, &inc);
    if (st == STORE_OK)
        st = ledger_record_change(c, &inc, from, to, "system", reason, op->now, &op->max_seq);
    return st;
}

static enum store_status finish_fn(struct store_conn *c, struct act_op *op)
{
    struct attempt_arg *x = op->arg;
    int found;
    enum store_status st = load_attempt(c, op, x, &found);
    if (st != STORE_OK || !found)
        return st;
    struct attempt_rec *a = &x->a;
    if (strcmp(a->state, attempt_state_name(ATT_EXECUTING)) != 0) {
        op->answer = SVC_CONFLICT;
        return STORE_OK;
    }
    snprintf(a->result, sizeof a->result, "%s", x->in.result ? x->in.result : "");
    a->finished_at_ms = op->now;
    if (x->in.succeeded && x->in.verify_at > 0) {
        a->verify_at_ms = x->in.verify_at;
        snprintf(a->verification, sizeof a->verification, "pending");
    }
    const char *to = attempt_state_name(x->in.succeeded ? ATT_SUCCEEDED : ATT_FAILED);
    char reason[300];
    snprintf(reason, sizeof reason, "%s %s", a->action, x->in.succeeded ? "succeeded" : "failed");
    st = attempt_step(c, op, a, to, "system", reason, NULL);
    if (st == STORE_OK && x->in.succeeded && x->in.contain && !a->dry_run)
        st = move_incident(c, op, a->incident_id, ST_CONTAINED, reason);
    return st;
}

enum svc_status actions_finish(struct ledger *l, int64_t attempt_id, int succeeded,
                               const char *result_json, int64_t verify_at_ms, int contain,
                               int64_t now_ms, struct attempt_rec *out)
{
    return attempt_run(l, finish_fn,
                       (struct attempt_in){.id = attempt_id,
                                           .succeeded = succeeded,
                                           .result = result_json,
                                           .verify_at = verify_at_ms,
                                           .contain = contain},
                       now_ms, out);
}

/* ---- recommendations: recorded, never run ---- */

static enum store_status recommended_fn(struct store_conn *c, struct act_op *op)
{
    struct attempt_arg *x = op->arg;
    int found;
    enum store_status st = load_attempt(c, op, x, &found);
    if (st != STORE_OK || !found)
        return st;
    struct attempt_rec *a = &x->a;
    if (strcmp(a->mode, "recommend") != 0 ||
        !act_edge_ok(a->action, a->state, attempt_state_name(ATT_SUCCEEDED))) {
        op->answer = SVC_CONFLICT;
        return STORE_OK;
    }
    snprintf(a->result, sizeof a->result, "%s", x->in.result ? x->in.result : "");
    a->finished_at_ms = op->now;
    return attempt_step(c, op, a, attempt_state_name(ATT_SUCCEEDED), "system",
                        "recommendation recorded (nothing executed)", NULL);
}

enum svc_status actions_recommended(struct ledger *l, int64_t attempt_id, const char *result_json,
                                    int64_t now_ms)
{
    return attempt_run(l, recommended_fn,
                       (struct attempt_in){.id = attempt_id, .result = result_json}, now_ms, NULL);
}

/* ---- cancellation, escalation ---- */

static enum store_status cancel_fn(struct store_conn *c, struct act_op *op)
{
    struct attempt_arg *x = op->arg;
    int found;
    enum store_status st = load_attempt(c, op, x, &found);
    if (st != STORE_OK || !found)
        return st;
    if (!act_edge_ok(x->a.action, x->a.state, x->in.result)) {
        op->answer = SVC_CONFLICT;
        return STORE_OK;
    }
    struct approval_rec r;
    st = store_approval_of_attempt(c, x->a.id, &r);
    /* an open request closes with its attempt; a decided one keeps its decision */
    if (st == STORE_OK && strcmp(r.state, "pending") == 0) {
        snprintf(r.state, sizeof r.state, "%s",
                 strcmp(x->in.result, "expired") == 0 ? "expired" : "cancelled");
        r.decided_at_ms = op->now;
        st = store_approval_update(c, &r);
    } else if (st == STORE_NOT_FOUND) {
        st = STORE_OK;
    }
    if (st != STORE_OK)
        return st;
    return attempt_step(c, op, &x->a, x->in.result, "system", x->in.evidence, NULL);
}

enum svc_status actions_cancel(struct ledger *l, int64_t attempt_id, const char *to,
                               const char *reason, int64_t now_ms)
{
    return attempt_run(l, cancel_fn,
                       (struct attempt_in){.id = attempt_id, .result = to, .evidence = reason},
                       now_ms, NULL);
}

struct escalate_arg {
    int64_t incident_id;
    const char *reason;
};

static enum store_status escalate_fn(struct store_conn *c, struct act_op *op)
{
    struct escalate_arg *x = op->arg;
    return move_incident(c, op, x->incident_id, ST_ESCALATED, x->reason);
}

enum svc_status actions_escalate(struct ledger *l, int64_t incident_id, const char *reason,
                                 int64_t now_ms)
{
    struct escalate_arg x = {incident_id, reason};
    struct act_op op = {.fn = escalate_fn, .arg = &x, .now = now_ms};
    return act_run(l, &op);
}

/* ---- start-up reconciliation ---- */

#define RECOVER_BATCH 256

struct recover_arg {
    int64_t ids[RECOVER_BATCH];
    size_t n;
    unsigned changed;
};

static int collect_id(const struct attempt_rec *a, void *ud)
{
    struct recover_arg *x = ud;
    x->ids[x->n++] = a->id;
    return x->n == RECOVER_BATCH;
}

static enum store_status recover_fn(struct store_conn *c, struct act_op *op)
{
    struct recover_arg *x = op->arg;
    x->changed = 0;
    for (size_t i = 0; i < x->n; i++) {
        struct attempt_rec a;
        enum store_status st = store_attempt_get(c, x->ids[i], &a);
        if (st != STORE_OK)
            return st;
        if (strcmp(a.state, attempt_state_name(ATT_EXECUTING)) != 0)
            continue;
        snprintf(a.result, sizeof a.result,
                 "{\"outcome\":\"unknown\",\"error\":\"the process stopped while the runner was "
                 "executing; not re-run (check the target and close it by hand)\"}");
        a.finished_at_ms = op->now;
        st = attempt_step(c, op, &a, attempt_state_name(ATT_UNKNOWN), "system",
                          "interrupted while executing: outcome unknown, not re-run", NULL);
        if (st != STORE_OK)
            return st;
        x->changed++;
    }
    return STORE_OK;
}

enum svc_status actions_recover(struct ledger *l, int64_t now_ms, unsigned *n)
{
    unsigned total = 0;
    for (;;) {
        struct recover_arg *x = calloc(1, sizeof *x);
        if (!x)
            return SVC_INTERNAL;
        struct store_conn *c;
        enum store_status rs = store_read_acquire(l->store, &c);
        if (rs == STORE_OK) {
            struct attempt_filter f = {.state = attempt_state_name(ATT_EXECUTING),
                                       .limit = RECOVER_BATCH,
                                       .oldest_first = 1};
            rs = store_attempt_list(c, &f, collect_id, x);
            store_read_release(l->store, c);
        }
        enum svc_status st = svc_from_store(rs);
        size_t got = x->n;
        if (st == SVC_OK && got) {
            struct act_op op = {.fn = recover_fn, .arg = x, .now = now_ms};
            st = act_run(l, &op);
            total += x->changed;
        }
        free(x);
        if (st != SVC_OK)
            return st;
        if (got < RECOVER_BATCH)
            break;
    }
    *n = total;
    return SVC_OK;
}

/* ---- closed-loop verdicts ---- */

static enum store_status verified_fn(struct store_conn *c, struct act_op *op)
{
    struct attempt_arg *x = op->arg;
    int found;
    enum store_status st = load_attempt(c, op, x, &found);
    if (st != STORE_OK || !found)
        return st;
    struct attempt_rec *a = &x->a;
    if (strcmp(a->verification, "pending") != 0) {
        op->answer = SVC_CONFLICT;
        return STORE_OK;
    }
    snprintf(a->verification, sizeof a->verification, "%s", x->in.held ? "held" : "failed");
    a->verify_at_ms = 0;
    a->updated_at_ms = op->now;
    if ((st = store_attempt_update(c, a)) != STORE_OK)
        return st;
    json_t *d = step_data(a);
    json_object_set_new(d, "verification", json_string(a->verification));
    json_object_set_new(d, "evidence", json_string(x->in.evidence ? x->in.evidence : ""));
    char reason[600];
    snprintf(reason, sizeof reason, "verification of %s %s: %s", a->action,
             x->in.held ? "held" : "failed", x->in.evidence ? x->in.evidence : "");
    st = act_note(c, a->incident_id, op->now, "system", "action", "action.verified", reason, d);
    json_decref(d);
    if (st == STORE_OK)
        st = act_emit(c, op, "sre.action.verified", a, NULL);
    if (st == STORE_OK && x->in.held)
        st = move_incident(c, op, a->incident_id, ST_RECOVERING, reason);
    else if (st == STORE_OK && x->in.escalate)
        st = move_incident(c, op, a->incident_id, ST_ESCALATED, reason);
    return st;
}

enum svc_status actions_verified(struct ledger *l, int64_t attempt_id, int held, int escalate,
                                 const char *evidence, int64_t now_ms)
{
    return attempt_run(
        l, verified_fn,
        (struct attempt_in){
            .id = attempt_id, .held = held, .escalate = escalate, .evidence = evidence},
        now_ms, NULL);
}

/* ---- the notification outbox ---- */

struct note_arg {
    struct notification_rec *r;
    int created;
};

static enum store_status note_fn(struct store_conn *c, struct act_op *op)
{
    struct note_arg *x = op->arg;
    return ledger_notification_write(c, x->r, op->now, &op->max_seq, &x->created);
}

enum svc_status actions_notification_post(struct ledger *l, struct notification_rec *r,
                                          int *created)
{
    struct note_arg x = {.r = r};
    struct act_op op = {.fn = note_fn, .arg = &x, .now = time_now_ms()};
    enum svc_status st = act_run(l, &op);
    if (st == SVC_OK && created)
        *created = x.created;
    return st;
}
