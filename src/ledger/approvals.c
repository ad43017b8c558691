/* Approvals: one vote at a time from an authenticated identity (API, CLI,
 * chat callbacks), and the expiry of requests nobody decided. The rules are
 * core/approval.h's: the stricter of the request's snapshot and the current
 * policy, distinct approvers, no self-approval where forbidden. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/approval.h"
#include "ledger/actions_int.h"
#include "util/log.h"

#define MAX_VOTES 16 /* approvers_required is at most 2; a reject closes the request */

struct decide_arg {
    int64_t request_id;
    const struct identity *who;
    int approve;
    const char *reason, *channel;
    int policy_required, policy_self_ok;
    struct problems *p;
};

struct vote_acc {
    struct approval_record recs[MAX_VOTES];
    size_t n;
};

static int add_vote(const struct approval_vote *v, void *ud)
{
    struct vote_acc *acc = ud;
    if (acc->n == MAX_VOTES)
        return 1;
    struct approval_record *r = &acc->recs[acc->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->approver, sizeof r->approver, "%s", v->decided_by);
    r->verdict = strcmp(v->decision, "approve") == 0 ? APPROVAL_APPROVE : APPROVAL_REJECT;
    r->at_ms = v->at_ms;
    return 0;
}

static void core_request(const struct approval_rec *r, struct approval_request *out)
{
    memset(out, 0, sizeof *out);
    out->attempt_id = r->attempt_id;
    snprintf(out->requested_by, sizeof out->requested_by, "%s", r->requested_by);
    out->created_ms = r->requested_at_ms;
    out->expires_ms = r->expires_at_ms;
    out->approvers_required = r->approvers_required;
    out->allow_self_approval = r->allow_self_approval;
}

/* Closes request r (and its attempt) in state `req_state`; the attempt moves to
 * `att_state` when the table allows it from where it is. */
static enum store_status close_request(struct store_conn *c, struct act_op *op,
                                       struct approval_rec *r, const char *req_state,
                                       enum attempt_state att_state, const char *actor,
                                       const char *reason)
{
    snprintf(r->state, sizeof r->state, "%s", req_state);
    r->decided_at_ms = op->now;
    enum store_status st = store_approval_update(c, r);
    if (st != STORE_OK)
        return st;
    struct attempt_rec a;
    if ((st = store_attempt_get(c, r->attempt_id, &a)) != STORE_OK)
        return st;
    const char *to = attempt_state_name(att_state);
    if (act_edge_ok(a.action, a.state, to) && (st = act_set_state(c, &a, to, op->now)) != STORE_OK)
        return st;
    json_t *d = act_approval_json(r);
    json_object_set_new(d, "action", json_string(a.action));
    json_object_set_new(d, "target", json_string(a.target));
    char audit[48];
    snprintf(audit, sizeof audit, "approval.%s", req_state);
    st = act_note(c, r->incident_id, op->now, actor, "approval", audit, reason, d);
    json_decref(d);
    if (st != STORE_OK)
        return st;
    char type[48];
    snprintf(type, sizeof type, "sre.action.%s", to);
    st = act_emit(c, op, type, &a, r);
    if (st == STORE_OK) /* the outcome, to the channels that showed the request */
        st = ledger_notify_approval(c, r, &a, reason, op->now, &op->max_seq);
    return st;
}

static enum svc_status check_answer(enum approval_check ck, struct problems *p)
{
    switch (ck) {
    case APPROVAL_OK: return SVC_OK;
    case APPROVAL_SELF_FORBIDDEN:
        problems_add(p, "", "forbidden", "the requester may not approve this request");
        return SVC_DENIED;
    case APPROVAL_EXPIRED:
        problems_add(p, "", "expired", "the approval request expired");
        return SVC_EXPIRED;
    case APPROVAL_DUPLICATE_APPROVER:
        problems_add(p, "", "duplicate", "this approver already approved");
        return SVC_CONFLICT;
    case APPROVAL_BAD_IDENTITY:
        problems_add(p, "/by", "format", "the approver's identity is empty or too long");
        return SVC_INVALID;
    case APPROVAL_ALREADY_DECIDED: break;
    }
    problems_add(p, "", "conflict", "the request is already decided");
    return SVC_CONFLICT;
}

static enum store_status decide_fn(struct store_conn *c, struct act_op *op)
{
    struct decide_arg *x = op->arg;
    struct approval_rec r;
    enum store_status st = store_approval_get(c, x->request_id, &r);
    if (st == STORE_NOT_FOUND) {
        op->answer = SVC_NOT_FOUND;
        return STORE_OK;
    }
    if (st != STORE_OK)
        return st;
    struct attempt_rec a;
    if ((st = store_attempt_get(c, r.attempt_id, &a)) != STORE_OK)
        return st;
    enum attempt_state as;
    if (attempt_state_parse(a.state, &as) != 0)
        return STORE_INVALID;
    struct vote_acc *acc = calloc(1, sizeof *acc);
    if (!acc)
        return STORE_ERROR;
    if ((st = store_approval_votes(c, r.id, add_vote, acc)) != STORE_OK)
        goto out;
    struct approval_request req;
    core_request(&r, &req);
    enum approval_verdict verdict = x->approve ? APPROVAL_APPROVE : APPROVAL_REJECT;
    enum approval_check ck =
        strcmp(r.state, "expired") == 0   ? APPROVAL_EXPIRED
        : strcmp(r.state, "pending") != 0 ? APPROVAL_ALREADY_DECIDED
            : approval_can_decide(&req, as, x->policy_required, x->policy_self_ok, x->who->name,
                                  verdict, acc->recs, acc->n, op->now);
    op->answer = check_answer(ck, x->p);
    if (ck == APPROVAL_EXPIRED && strcmp(r.state, "pending") == 0) {
        st = close_request(c, op, &r, "expired", ATT_EXPIRED, "system",
                           "approval request expired before a decision");
        goto out;
    }
    if (op->answer != SVC_OK)
        goto out;

    struct approval_vote v;
    memset(&v, 0, sizeof v);
    v.request_id = r.id;
    snprintf(v.decision, sizeof v.decision, "%s", x->approve ? "approve" : "reject");
    snprintf(v.decided_by, sizeof v.decided_by, "%s", x->who->name);
    snprintf(v.role, sizeof v.role, "%s", role_name(x->who->role));
    snprintf(v.channel, sizeof v.channel, "%s", x->channel);
    snprintf(v.reason, sizeof v.reason, "%s", x->reason);
    v.at_ms = op->now;
    st = store_approval_vote_insert(c, &v);
    if (st == STORE_CONFLICT) { /* the unique (request, approver) index: voted before */
        op->answer = check_answer(APPROVAL_DUPLICATE_APPROVER, x->p);
        st = STORE_OK;
        goto out;
    }
    if (st != STORE_OK)
        goto out;
    add_vote(&v, acc);

    char line[700];
    snprintf(line, sizeof line, "%s by %s (%s, via %s)%s%s", v.decision, v.decided_by, v.role,
             v.channel, v.reason[0] ? ": " : "", v.reason);
    if (!x->approve) {
        st = close_request(c, op, &r, "rejected", ATT_REJECTED, x->who->name, line);
    } else if (approval_satisfied(&req, x->policy_required, x->policy_self_ok, acc->recs, acc->n,
                                  op->now)) {
        st = close_request(c, op, &r, "approved", ATT_APPROVED, x->who->name, line);
    } else {
        json_t *d = act_approval_json(&r);
        st = act_note(c, r.incident_id, op->now, x->who->name, "approval", "approval.vote", line,
                      d);
        json_decref(d);
        if (st == STORE_OK)
            st = act_emit(c, op, "sre.action.vote", &a, &r);
    }
out:
    free(acc);
    return st;
}

/* automation.approval of the current policy (the floor when none is saved). */
static void policy_approval(struct ledger *l, int *required, int *self_ok)
{
    *required = 1;
    *self_ok = 0;
    json_t *doc = ledger_policy(l);
    const json_t *ap = json_object_get(json_object_get(doc, "automation"), "approval");
    const json_t *n = json_object_get(ap, "approvers_required");
    if (json_is_integer(n))
        *required = (int)json_integer_value(n);
    *self_ok = json_is_true(json_object_get(ap, "allow_self_approval"));
    json_decref(doc);
}

enum svc_status approvals_decide(struct ledger *l, int64_t request_id, const struct identity *who,
                                 int approve, const char *reason, const char *channel,
                                 int64_t now_ms, json_t **answer, struct problems *p)
{
    if (!who || !(who->role & (ROLE_OPERATOR | ROLE_ADMIN))) {
        problems_add(p, "", "forbidden", "approvals need the operator or admin role");
        return SVC_DENIED;
    }
    struct decide_arg x = {.request_id = request_id, .who = who, .approve = approve,
                           .reason = reason ? reason : "", .channel = channel ? channel : "api",
                           .p = p};
    policy_approval(l, &x.policy_required, &x.policy_self_ok);
    struct act_op op = {.fn = decide_fn, .arg = &x, .now = now_ms};
    enum svc_status st = act_run(l, &op);
    if (st == SVC_OK && answer)
        st = actions_approval_view(l->store, request_id, answer);
    return st;
}

/* ---- expiry ---- */

#define EXPIRE_BATCH 128

struct expire_arg {
    int64_t ids[EXPIRE_BATCH];
    size_t n;
    unsigned expired;
};

static int collect_request(const struct approval_rec *r, void *ud)
{
    struct expire_arg *x = ud;
    x->ids[x->n++] = r->id;
    return x->n == EXPIRE_BATCH;
}

static enum store_status expire_fn(struct store_conn *c, struct act_op *op)
{
    struct expire_arg *x = op->arg;
    x->expired = 0;
    for (size_t i = 0; i < x->n; i++) {
        struct approval_rec r;
        enum store_status st = store_approval_get(c, x->ids[i], &r);
        if (st != STORE_OK)
            return st;
        /* re-checked in the transaction: a vote may have decided it since */
        if (strcmp(r.state, "pending") != 0 || r.expires_at_ms > op->now)
            continue;
        st = close_request(c, op, &r, "expired", ATT_EXPIRED, "system",
                           "approval request expired: nobody decided in time; it will never run");
        if (st != STORE_OK)
            return st;
        x->expired++;
    }
    return STORE_OK;
}

enum svc_status approvals_expire(struct ledger *l, int64_t now_ms, unsigned *n)
{
    unsigned total = 0;
    for (;;) {
        struct expire_arg *x = calloc(1, sizeof *x);
        if (!x)
            return SVC_INTERNAL;
        struct store_conn *c;
        enum store_status rs = store_read_acquire(l->store, &c);
        if (rs == STORE_OK) {
            rs = store_approval_expired(c, now_ms, EXPIRE_BATCH, collect_request, x);
            store_read_release(l->store, c);
        }
        enum svc_status st = svc_from_store(rs);
        size_t got = x->n;
        if (st == SVC_OK && got) {
            struct act_op op = {.fn = expire_fn, .arg = x, .now = now_ms};
            st = act_run(l, &op);
            total += x->expired;
        }
        free(x);
        if (st != SVC_OK)
            return st;
        if (got < EXPIRE_BATCH)
            break;
    }
    if (total)
        log_info("actions", "%u approval request(s) expired", total);
    *n = total;
    return SVC_OK;
}
