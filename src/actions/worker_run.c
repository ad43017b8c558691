/* The worker's execution and verification passes: gate -> intent -> runner
 * (deadline, retries) -> result; recommendations recorded; closed-loop checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions/worker_int.h"
#include "ledger/actions.h"
#include "ledger/ledger.h"
#include "util/log.h"
#include "util/timeutil.h"

#define RUN_BATCH 32
#define RETRY_FIRST_MS 500
#define RETRY_MAX_MS 8000

struct id_list {
    int64_t ids[RUN_BATCH];
    size_t n;
};

static int collect(const struct attempt_rec *a, void *ud)
{
    struct id_list *l = ud;
    l->ids[l->n++] = a->id;
    return l->n == RUN_BATCH;
}

/* Ids of attempts in `state`, oldest first. */
static void list_state(struct remed_worker *w, const char *state, struct id_list *out)
{
    out->n = 0;
    struct store *s = w->store;
    struct store_conn *c;
    if (store_read_acquire(s, &c) != STORE_OK)
        return;
    struct attempt_filter f = {.state = state, .limit = RUN_BATCH, .oldest_first = 1};
    store_attempt_list(c, &f, collect, out);
    store_read_release(s, c);
}

struct approval_read {
    struct approval_rec rec;
    struct approval_request req;
    struct approval_record recs[16];
    size_t nrecs;
    int found;
};

static int take_vote(const struct approval_vote *v, void *ud)
{
    struct approval_read *x = ud;
    if (x->nrecs == 16)
        return 1;
    struct approval_record *r = &x->recs[x->nrecs++];
    memset(r, 0, sizeof *r);
    snprintf(r->approver, sizeof r->approver, "%s", v->decided_by);
    r->verdict = strcmp(v->decision, "approve") == 0 ? APPROVAL_APPROVE : APPROVAL_REJECT;
    r->at_ms = v->at_ms;
    return 0;
}

static void read_approval(struct remed_worker *w, int64_t attempt_id, struct approval_read *x)
{
    memset(x, 0, sizeof *x);
    struct store *s = w->store;
    struct store_conn *c;
    if (store_read_acquire(s, &c) != STORE_OK)
        return;
    if (store_approval_of_attempt(c, attempt_id, &x->rec) == STORE_OK) {
        x->found = 1;
        store_approval_votes(c, x->rec.id, take_vote, x);
        x->req.attempt_id = attempt_id;
        snprintf(x->req.requested_by, sizeof x->req.requested_by, "%s", x->rec.requested_by);
        x->req.created_ms = x->rec.requested_at_ms;
        x->req.expires_ms = x->rec.expires_at_ms;
        x->req.approvers_required = x->rec.approvers_required;
        x->req.allow_self_approval = x->rec.allow_self_approval;
    }
    store_read_release(s, c);
}

static int read_attempt(struct remed_worker *w, int64_t id, struct attempt_rec *a)
{
    struct store *s = w->store;
    struct store_conn *c;
    if (store_read_acquire(s, &c) != STORE_OK)
        return -1;
    enum store_status st = store_attempt_get(c, id, a);
    store_read_release(s, c);
    return st == STORE_OK ? 0 : -1;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Calls the runner until OK / ERROR, or RETRY past the deadline. */
static enum adapter_result call_runner(struct remed_worker *w, const struct runner_slot *r,
                                       const struct runner_request *rq,
                                       struct runner_outcome *out, unsigned *tries)
{
    unsigned backoff = RETRY_FIRST_MS;
    for (*tries = 1;; (*tries)++) {
        json_decref(out->detail);
        memset(out, 0, sizeof *out);
        enum adapter_result res;
        if (rq->dry_run)
            res = r->ops->preflight ? r->ops->preflight(r->instance, rq, out) : ADAPTER_OK;
        else
            res = r->ops->execute(r->instance, rq, out);
        if (res != ADAPTER_RETRY)
            return res;
        uint64_t now = time_mono_ns();
        if (worker_stopping(w) || now + (uint64_t)backoff * 1000000ULL >= rq->deadline_ns)
            return ADAPTER_RETRY;
        sleep_ms(backoff);
        backoff = backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2;
    }
}

static char *result_text(enum adapter_result res, const struct runner_outcome *out,
                         unsigned tries, int dry_run)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:b}", "outcome", adapter_result_name(res),
                          "changed", out->changed, "error", out->error, "tries", (int)tries,
                          "dry_run", dry_run);
    if (out->detail)
        json_object_set(o, "detail", out->detail);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text && strlen(text) >= ATTEMPT_RESULT_MAX) { /* keep it bounded, and valid JSON */
        free(text);
        o = json_pack("{s:s, s:s, s:i}", "outcome", adapter_result_name(res), "error",
                      "result too large to keep", "tries", (int)tries);
        text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
    }
    return text;
}

/* Parses and validates the attempt's parameters with its runner; 0 when fine. */
static int check_params(const struct runner_slot *r, const struct attempt_rec *a, json_t **params,
                        char *why, size_t whylen)
{
    *params = NULL;
    if (a->params[0] && !(*params = json_loads(a->params, 0, NULL))) {
        snprintf(why, whylen, "parameters are not valid JSON");
        return -1;
    }
    if (!r->ops->validate)
        return 0;
    struct problems *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int rc = r->ops->validate(r->instance, a->target, *params, p);
    if (rc != 0)
        snprintf(why, whylen, "invalid for %s: %s %s", a->action,
                 p->count ? p->items[0].path : "", p->count ? p->items[0].message : "");
    free(p);
    return rc;
}

static void run_one(struct remed_worker *w, int64_t id, int64_t now)
{
    struct attempt_rec *a = malloc(sizeof *a);
    struct incident_view *v = malloc(sizeof *v);
    json_t *params = NULL;
    if (!a || !v || read_attempt(w, id, a) != 0)
        goto out;
    const struct runner_slot *r = worker_runner(w, a->action);
    char why[400];
    int recommend = strcmp(a->mode, "recommend") == 0;
    if (!r) {
        snprintf(why, sizeof why, "no runner for %s in this build: cancelled", a->action);
        actions_cancel(w->ledger, id, "cancelled", why, now);
        goto out;
    }
    if (check_params(r, a, &params, why, sizeof why) != 0) {
        actions_cancel(w->ledger, id, "cancelled", why, now);
        goto out;
    }
    if (worker_view_load(w, a->incident_id, now, v) != 0) {
        free(v);
        v = NULL;
        goto out;
    }
    if (!recommend) {
        /* the gate: every guard again, with the policy and history of now */
        struct eval_input in;
        worker_eval_input(w, v, EVAL_TRIGGER_TICK, now, &in);
        struct action_history h;
        worker_history_from(a, &h);
        struct approval_read *ar = calloc(1, sizeof *ar);
        if (!ar)
            goto out_view;
        if (strcmp(a->mode, "approval") == 0)
            read_approval(w, id, ar);
        struct decision d;
        evaluate_gate(&in, &h, ar->found ? &ar->req : NULL, ar->recs, ar->nrecs, &d);
        free(ar);
        if (d.mode == MODE_DENY) {
            snprintf(why, sizeof why, "gate refused (%s): %.300s", reason_code_name(d.reason_code),
                     d.reason);
            actions_cancel(w->ledger, id,
                           d.reason_code == RC_APPROVAL_EXPIRED ? "expired" : "cancelled", why,
                           now);
            goto out_view;
        }
    }
    struct runner_request rq = {
        .attempt_id = a->id, .incident_id = a->incident_id, .action = a->action,
        .target = a->target, .idempotency_key = a->idempotency_key, .params = params,
        .incident = &v->inc, .dry_run = a->dry_run, .policy = w->policy_doc,
        .deadline_ns = time_mono_ns() + (uint64_t)w->cfg.runner_timeout_ms * 1000000ULL};
    struct runner_outcome out;
    memset(&out, 0, sizeof out);
    unsigned tries = 0;
    if (recommend) {
        /* recorded, never run: the recommendation's text is the result */
        rq.dry_run = 1;
        enum adapter_result res = call_runner(w, r, &rq, &out, &tries);
        char *text = result_text(res, &out, tries, 0);
        actions_recommended(w->ledger, id, text, now);
        free(text);
        json_decref(out.detail);
        goto out_view;
    }
    /* intent before action: durable in executing before the runner is called */
    if (actions_begin(w->ledger, id, now, a) != SVC_OK)
        goto out_view;
    enum adapter_result res = call_runner(w, r, &rq, &out, &tries);
    int ok = res == ADAPTER_OK;
    int verify = ok && !a->dry_run && r->ops->verify == RUNNER_VERIFY_SIGNAL;
    int64_t done = time_now_ms();
    int64_t verify_at = 0;
    if (verify) {
        enum action_id aid;
        int64_t ms = action_parse(a->action, &aid) == 0 ? w->policy->verify_ms[aid] : 0;
        verify_at = done + (ms > 0 ? ms : 1);
    }
    char *text = result_text(res, &out, tries, a->dry_run);
    json_decref(out.detail);
    enum svc_status st = actions_finish(w->ledger, id, ok, text, verify_at, verify, done, NULL);
    free(text);
    if (st != SVC_OK)
        log_error("remediation", "attempt %lld: recording the result failed: %s", (long long)id,
                  svc_status_text(st));
    else
        log_info("remediation", "attempt %lld %s on %s: %s%s", (long long)id, a->action, a->target,
                 adapter_result_name(res), a->dry_run ? " (dry run)" : "");
    /* a step that succeeded may open the next one (notify first, then containment) */
    if (st == SVC_OK && ok)
        worker_evaluate(w, a->incident_id, EVAL_TRIGGER_TICK, time_now_ms());
out_view:
    worker_view_clear(v);
out:
    json_decref(params);
    free(v);
    free(a);
}

void worker_run_attempts(struct remed_worker *w, int64_t now)
{
    if (!w->policy)
        return;
    struct id_list *l = malloc(sizeof *l);
    if (!l)
        return;
    static const char *const runnable[] = {"proposed", "approved"};
    for (size_t s = 0; s < 2 && !worker_stopping(w); s++) {
        list_state(w, runnable[s], l);
        for (size_t i = 0; i < l->n && !worker_stopping(w); i++)
            run_one(w, l->ids[i], now);
    }
    free(l);
}

/* ---- closed-loop verification ---- */

struct due_list {
    int64_t ids[RUN_BATCH];
    size_t n;
};

static int collect_due(const struct attempt_rec *a, void *ud)
{
    struct due_list *l = ud;
    l->ids[l->n++] = a->id;
    return l->n == RUN_BATCH;
}

static void verify_one(struct remed_worker *w, int64_t id, int64_t now)
{
    struct attempt_rec *a = malloc(sizeof *a);
    struct incident_view *v = malloc(sizeof *v);
    if (!a || !v || read_attempt(w, id, a) != 0 || worker_view_load(w, a->incident_id, now, v)) {
        free(a);
        free(v);
        return;
    }
    struct eval_input in;
    worker_eval_input(w, v, EVAL_TRIGGER_TICK, now, &in);
    struct action_history h;
    worker_history_from(a, &h);
    struct verify_result vr;
    verify_after_success(&in, &h, &vr);
    switch (vr.verdict) {
    case VERIFY_WAIT: break;
    case VERIFY_CLEARED: actions_verified(w->ledger, id, 1, 0, vr.reason, now); break;
    case VERIFY_NEXT_STEP:
        if (actions_verified(w->ledger, id, 0, 0, vr.reason, now) == SVC_OK)
            worker_evaluate(w, a->incident_id, EVAL_TRIGGER_TICK, now);
        break;
    case VERIFY_ESCALATE: actions_verified(w->ledger, id, 0, 1, vr.reason, now); break;
    }
    worker_view_clear(v);
    free(v);
    free(a);
}

void worker_verify_due(struct remed_worker *w, int64_t now)
{
    if (!w->policy)
        return;
    struct due_list l = {0};
    struct store *s = w->store;
    struct store_conn *c;
    if (store_read_acquire(s, &c) != STORE_OK)
        return;
    store_attempt_verify_due(c, now, RUN_BATCH, collect_due, &l);
    store_read_release(s, c);
    for (size_t i = 0; i < l.n && !worker_stopping(w); i++)
        verify_one(w, l.ids[i], now);
}
