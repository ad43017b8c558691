/* The worker's evaluation: read what the evaluator needs about an incident
 * (latest finding, corroboration, action history), call evaluate(), record
 * every decision through the ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/worker_int.h"
#include "ledger/actions.h"
#include "ledger/ledger.h"
#include "store/ledger_repo.h"
#include "util/log.h"

#define RECENT_FINDINGS 20
#define EVIDENCE_LOOK 64
#define HOUR_MS (3600 * 1000LL)

void worker_history_from(const struct attempt_rec *a, struct action_history *h)
{
    memset(h, 0, sizeof *h);
    h->attempt_id = a->id;
    if (action_parse(a->action, &h->action) != 0)
        h->action = ACT_NOTIFY;
    snprintf(h->target, sizeof h->target, "%s", a->target);
    h->incident_id = a->incident_id;
    if (attempt_state_parse(a->state, &h->state) != 0)
        h->state = ATT_UNKNOWN;
    h->created_ms = a->created_at_ms;
    h->started_ms = a->started_at_ms;
    h->finished_ms = a->finished_at_ms;
}

struct load_ctx {
    struct incident_view *v;
    int got_firing;
    int evidence_seen, evidence_non_log;
};

static int take_finding(const struct finding_row *r, void *ud)
{
    struct load_ctx *x = ud;
    struct incident_view *v = x->v;
    if (!v->has_latest) {
        struct finding *f = &v->latest;
        memset(f, 0, sizeof *f);
        snprintf(f->id, sizeof f->id, "%s", r->id ? r->id : "");
        snprintf(f->source, sizeof f->source, "%s", r->source ? r->source : "");
        snprintf(f->class_, sizeof f->class_, "%s", v->inc.class_);
        snprintf(f->correlation_key, sizeof f->correlation_key, "%s", v->inc.correlation_key);
        snprintf(f->summary, sizeof f->summary, "%s", r->summary ? r->summary : "");
        f->severity = r->severity;
        f->status = r->status;
        f->observed_at_ms = r->observed_at_ms;
        v->has_latest = 1;
    }
    if (!x->got_firing && r->status == FINDING_FIRING) {
        snprintf(v->attributes, sizeof v->attributes, "%s", r->attributes ? r->attributes : "");
        x->got_firing = 1;
    }
    return 0;
}

static int take_evidence(const struct evidence_row *r, void *ud)
{
    struct load_ctx *x = ud;
    x->evidence_seen++;
    if (!r->type || strcmp(r->type, "log_excerpt") != 0)
        x->evidence_non_log++;
    return 0;
}

static int take_attempt(const struct attempt_rec *a, void *ud)
{
    struct incident_view *v = ud;
    for (size_t i = 0; i < v->nhistory; i++)
        if (v->history[i].attempt_id == a->id)
            return 0;
    if (v->nhistory == WORKER_HISTORY_MAX)
        return 1;
    worker_history_from(a, &v->history[v->nhistory++]);
    return 0;
}

static int64_t history_window_ms(const struct eval_policy *p)
{
    int64_t w = HOUR_MS;
    for (int i = 0; p && i < ACT__COUNT; i++)
        if (p->cooldown_ms[i] > w)
            w = p->cooldown_ms[i];
    return w;
}

int worker_view_load(struct remed_worker *w, int64_t id, int64_t now, struct incident_view *v)
{
    memset(v, 0, sizeof *v);
    v->history = calloc(WORKER_HISTORY_MAX, sizeof *v->history);
    if (!v->history)
        return -1;
    struct store *s = w->store;
    struct store_conn *c;
    enum store_status st = store_read_acquire(s, &c);
    if (st != STORE_OK)
        return -1;
    struct load_ctx x = {.v = v};
    st = store_incident_get(c, id, &v->inc);
    if (st == STORE_OK)
        st = store_findings_of(c, id, RECENT_FINDINGS, take_finding, &x);
    if (st == STORE_OK)
        st = store_evidence_of(c, id, EVIDENCE_LOOK, take_evidence, &x);
    /* every attempt of this incident, and every recent one anywhere (cooldown,
     * hourly rate); open ones are recent enough by the same window */
    struct attempt_filter mine = {.incident_id = id, .limit = WORKER_HISTORY_MAX / 2};
    if (st == STORE_OK)
        st = store_attempt_list(c, &mine, take_attempt, v);
    struct attempt_filter recent = {.since_ms = now - history_window_ms(w->policy),
                                    .limit = WORKER_HISTORY_MAX / 2};
    if (st == STORE_OK)
        st = store_attempt_list(c, &recent, take_attempt, v);
    store_read_release(s, c);
    if (st != STORE_OK) {
        worker_view_clear(v);
        return -1;
    }
    v->latest.attributes = v->attributes[0] ? v->attributes : NULL;
    struct eval_incident *e = &v->ev;
    e->id = v->inc.id;
    e->class_ = v->inc.class_;
    e->state = v->inc.state;
    e->last_status = v->inc.last_status;
    /* Findings rows keep no evidence of their own; the incident's evidence is
     * the union of theirs. Log-derived only = evidence exists and all of it is
     * log excerpts; anything else (a probe result, a metric, no evidence at
     * all from a probe or an alert) corroborates. */
    e->corroborated = x.evidence_seen == 0 || x.evidence_non_log > 0;
    action_subject_from_attributes(v->attributes[0] ? v->attributes : NULL, &e->subject);
    return 0;
}

void worker_view_clear(struct incident_view *v)
{
    free(v->history);
    v->history = NULL;
    v->nhistory = 0;
}

void worker_eval_input(struct remed_worker *w, const struct incident_view *v,
                       enum eval_trigger trig, int64_t now, struct eval_input *in)
{
    memset(in, 0, sizeof *in);
    in->policy = w->policy;
    in->incident = &v->ev;
    in->trigger = trig;
    in->finding = trig == EVAL_TRIGGER_FINDING && v->has_latest ? &v->latest : NULL;
    in->history = v->history;
    in->nhistory = v->nhistory;
    in->now_ms = now;
}

/* 1 when d repeats the last decision recorded for the incident (skipped). */
static int repeated(struct remed_worker *w, int64_t incident_id, const struct decision *d)
{
    struct last_decision *slot = &w->last[(uint64_t)incident_id % WORKER_DEDUPE_SLOTS];
    int same = slot->incident_id == incident_id && slot->action == d->action &&
               slot->mode == d->mode && slot->rc == d->reason_code;
    *slot = (struct last_decision){incident_id, d->action, d->mode, d->reason_code};
    /* only denials repeat: anything else created an attempt the walk now waits on */
    return same && d->mode == MODE_DENY;
}

static void record(struct remed_worker *w, int64_t incident_id, const struct decision *d,
                   int64_t now)
{
    const struct eval_policy *p = w->policy;
    struct action_decision ad = {
        .action = action_name(d->action),
        .target = d->target,
        .mode = policy_action_mode_name(d->mode),
        .reason_code = reason_code_name(d->reason_code),
        .reason = d->reason,
        .params_json = NULL,
        .step = d->step < 0 ? 0 : d->step,
        .dry_run = d->dry_run,
    };
    struct approval_rules rules = {p->approval_expiry_ms, p->approvers_required,
                                   p->allow_self_approval};
    enum svc_status st = actions_record_decision(w->ledger, incident_id, &ad, &rules, "srebot",
                                                 now, NULL);
    if (st != SVC_OK)
        log_warn("remediation", "incident %lld: recording %s %s failed: %s",
                 (long long)incident_id, ad.action, ad.mode, svc_status_text(st));
}

void worker_evaluate(struct remed_worker *w, int64_t incident_id, enum eval_trigger trig,
                     int64_t now)
{
    if (!w->policy)
        return;
    struct incident_view *v = malloc(sizeof *v);
    if (!v)
        return;
    if (worker_view_load(w, incident_id, now, v) != 0) {
        free(v);
        return;
    }
    struct eval_input in;
    worker_eval_input(w, v, trig, now, &in);
    struct eval_result *res = calloc(1, sizeof *res);
    if (res) {
        evaluate(&in, res);
        for (size_t i = 0; i < res->n; i++)
            if (!repeated(w, incident_id, &res->items[i]))
                record(w, incident_id, &res->items[i], now);
        if (res->escalate && v->inc.state != ST_ESCALATED)
            actions_escalate(w->ledger, incident_id,
                             "every playbook step was tried and the incident still fires", now);
    }
    free(res);
    worker_view_clear(v);
    free(v);
}
