/* The ledger service object: lifecycle, the shared change recorder, operator
 * transitions, evidence, and the time-driven tick. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "core/policy.h"
#include "ledger/policy_service.h"
#include "ledger/ledger_int.h"
#include "ledger/views.h"
#include "util/log.h"
#include "util/timeutil.h"


void ledger_config_defaults(struct ledger_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->fold.reopen_window_ms = FOLD_DEFAULT_REOPEN_WINDOW_MS;
    cfg->fold.quiet_period_ms = FOLD_DEFAULT_QUIET_PERIOD_MS;
    cfg->tick_ms = 1000;
    cfg->relay_ms = 200;
    cfg->outbox_retain = 1000000;
    cfg->outbox_max_backlog = 2000000;
}

static double outbox_head_metric(void *ctx) { return (double)ledger_outbox_head(ctx); }

static double relay_lag_metric(void *ctx)
{
    struct ledger *l = ctx;
    if (!l->cfg.bus)
        return 0;
    return (double)(ledger_outbox_head(l) - atomic_load(&l->relay_cursor));
}

enum svc_status ledger_create(const struct ledger_config *cfg, struct ledger **out)
{
    struct ledger *l = calloc(1, sizeof *l);
    if (!l)
        return SVC_INTERNAL;
    l->cfg = *cfg;
    l->store = cfg->store;
    l->fold = cfg->fold;
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->prune_mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cv, &a);
    pthread_condattr_destroy(&a);
    pthread_cond_init(&l->drained, NULL);
    l->counts = json_cache_create();
    if (!l->counts) {
        ledger_destroy(l);
        return SVC_INTERNAL;
    }

    /* The daemon observes itself: what came in, and how far the relay is behind. */
    struct metrics *reg = cfg->metrics;
    struct metric *m = metrics_counter(reg, "srebot_ledger_findings_total",
                                       "Findings ingested, by outcome",
                                       (const char *[]){"outcome", NULL});
    for (int o = FOLD_OPENED; o <= FOLD_RESOLVED; o++)
        l->findings_by_outcome[o] =
            metric_series_get(m, (const char *[]){fold_outcome_name((enum fold_outcome)o)});
    l->transitions_auto = metric_series0(
        metrics_counter(reg, "srebot_ledger_tick_transitions_total",
                        "Time-driven state changes (flap damping, suppression expiry)", NULL));
    metrics_gauge_fn(reg, "srebot_ledger_outbox_head", "Highest committed event sequence",
                     outbox_head_metric, l);
    metrics_gauge_fn(reg, "srebot_ledger_relay_lag", "Committed events not yet published on the bus",
                     relay_lag_metric, l);
    ledger_open_gauges_create(l);
    ledger_retention_metrics(l);

    /* The outbox head survives restarts in the table itself. */
    struct store_conn *c;
    enum store_status st = store_read_acquire(l->store, &c);
    if (st == STORE_OK) {
        st = store_outbox_head(c, &l->outbox_head);
        store_read_release(l->store, c);
    }
    if (st != STORE_OK) {
        ledger_destroy(l);
        return svc_from_store(st);
    }
    *out = l;
    return SVC_OK;
}

enum svc_status ledger_ready(struct ledger *l)
{
    return store_ready(l->store) ? SVC_OK : SVC_UNAVAILABLE;
}

void ledger_fold_params(struct ledger *l, struct fold_params *out)
{
    pthread_mutex_lock(&l->mu);
    *out = l->fold;
    pthread_mutex_unlock(&l->mu);
}

/* The policy's incidents section (re-open window, flap quiet period) wins over
 * the start-up defaults. Each call costs one version lookup; the document is
 * read and parsed only when a new version was saved. */
static void follow_policy(struct ledger *l)
{
    pthread_mutex_lock(&l->mu);
    int64_t known = l->policy_version;
    pthread_mutex_unlock(&l->mu);
    int64_t version = 0;
    json_t *doc = policy_service_doc_if_newer(l->store, known, &version);
    if (!doc)
        return;
    pthread_mutex_lock(&l->mu);
    int changed = version != l->policy_version;
    if (changed) {
        policy_fold_params(doc, &l->fold);
        l->policy_version = version;
        json_decref(l->policy);
        l->policy = json_incref(doc);
    }
    struct fold_params now = l->fold;
    pthread_mutex_unlock(&l->mu);
    json_decref(doc);
    if (changed)
        log_info("ledger", "policy version %lld: re-open window %lld s, flap quiet period %lld s",
                 (long long)version, (long long)(now.reopen_window_ms / 1000),
                 (long long)(now.quiet_period_ms / 1000));
}

json_t *ledger_policy(struct ledger *l)
{
    follow_policy(l);
    pthread_mutex_lock(&l->mu);
    json_t *doc = json_incref(l->policy);
    pthread_mutex_unlock(&l->mu);
    return doc;
}

void ledger_note_outbox(struct ledger *l, int64_t seq)
{
    pthread_mutex_lock(&l->mu);
    int moved = seq > l->outbox_head;
    if (moved) {
        l->outbox_head = seq;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    if (moved && l->cfg.on_outbox)
        l->cfg.on_outbox(l->cfg.on_outbox_ctx);
}

int64_t ledger_outbox_head(struct ledger *l)
{
    pthread_mutex_lock(&l->mu);
    int64_t h = l->outbox_head;
    pthread_mutex_unlock(&l->mu);
    return h;
}

void ledger_outbox_wait(struct ledger *l, int64_t after, unsigned timeout_ms)
{
    struct timespec ts;
    time_deadline_in(&ts, timeout_ms);
    pthread_mutex_lock(&l->mu);
    while (l->outbox_head <= after && !l->stopping)
        if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&l->mu);
}

enum store_status ledger_emit(struct store_conn *c, const char *type, int64_t incident_id,
                              int64_t at_ms, json_t *data, int64_t *max_seq)
{
    char subject[48];
    if (incident_id)
        snprintf(subject, sizeof subject, "incident/%lld", (long long)incident_id);
    else
        snprintf(subject, sizeof subject, "finding");
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!text)
        return STORE_ERROR; /* out of memory */
    int64_t seq = 0;
    enum store_status st = store_outbox_append(c, type, subject, at_ms, text, 0, &seq);
    free(text);
    if (st == STORE_OK && seq > *max_seq)
        *max_seq = seq;
    return st;
}

enum store_status ledger_record_change(struct store_conn *c, const struct incident *inc,
                                       enum incident_state from, enum incident_state to,
                                       const char *actor, const char *reason, int64_t now_ms,
                                       int64_t *max_seq)
{
    json_t *d = json_pack("{s:s, s:s}", "from", incident_state_name(from), "to",
                          incident_state_name(to));
    char *detail = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    char subject[48];
    snprintf(subject, sizeof subject, "incident/%lld", (long long)inc->id);
    enum store_status st = store_timeline_append(c, inc->id, now_ms, actor, "state_changed",
                                                 reason ? reason : "", detail);
    if (st == STORE_OK)
        st = store_audit_append(c, actor, "incident.state_changed", subject, detail);
    free(detail);
    if (st == STORE_OK) {
        json_t *ev = incident_json(inc);
        json_object_set_new(ev, "from", json_string(incident_state_name(from)));
        json_object_set_new(ev, "reason", json_string(reason ? reason : ""));
        st = ledger_emit(c, "sre.incident.state_changed", inc->id, now_ms, ev, max_seq);
    }
    if (st == STORE_OK && to == ST_RESOLVED)
        st = ledger_emit(c, "sre.incident.resolved", inc->id, now_ms, incident_json(inc), max_seq);
    if (st == STORE_OK && to == ST_RESOLVED)
        st = ledger_notify_resolved(c, inc, now_ms, max_seq);
    if (st == STORE_OK && to == ST_OBSERVED && from == ST_RESOLVED)
        st = ledger_emit(c, "sre.incident.opened", inc->id, now_ms, incident_json(inc), max_seq);
    return st;
}

/* ---- operator transitions ---- */

struct transition_op {
    int64_t id;
    enum incident_state to;
    const char *reason, *actor;
    int has_until;
    int64_t until;
    struct incident result;
    struct problems *p;
    enum svc_status verdict; /* a refusal is an answer: the write itself succeeds */
    int64_t max_seq;
};

static enum store_status transition_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    enum store_status res = STORE_OK;
    for (size_t i = 0; i < n; i++) {
        struct transition_op *op = w[i]->arg;
        struct incident inc;
        enum store_status st = store_incident_get(c, op->id, &inc);
        int64_t now = time_now_ms();
        op->verdict = SVC_OK;
        if (st == STORE_OK) {
            problems_init(op->p);
            switch (lifecycle_check_request(inc.state, op->to, op->has_until, op->until, now,
                                            op->p)) {
            case LIFECYCLE_OK: break;
            case LIFECYCLE_REFUSED: op->verdict = SVC_CONFLICT; break;
            case LIFECYCLE_INVALID: op->verdict = SVC_INVALID; break;
            }
        }
        if (st == STORE_OK && op->verdict == SVC_OK) {
            enum incident_state from = inc.state;
            incident_set_state(&inc, op->to, now, op->until);
            st = store_incident_update(c, &inc);
            if (st == STORE_OK)
                st = ledger_record_change(c, &inc, from, op->to, op->actor, op->reason, now,
                                          &op->max_seq);
            if (st == STORE_OK)
                op->result = inc;
        }
        w[i]->status = st;
        /* an unknown incident is an answer, not a failure of the group */
        if (st != STORE_OK && st != STORE_NOT_FOUND)
            res = st;
    }
    return res;
}

enum svc_status ledger_transition(struct ledger *l, int64_t incident_id, enum incident_state to,
                                  const char *reason, int has_suppress_until,
                                  int64_t suppress_until_ms, const char *actor,
                                  struct incident *out, struct problems *p)
{
    struct transition_op op = {.id = incident_id, .to = to, .reason = reason ? reason : "",
                               .actor = actor ? actor : "operator", .has_until = has_suppress_until,
                               .until = suppress_until_ms, .p = p};
    struct store_write w;
    memset(&w, 0, sizeof w);
    w.apply = transition_apply;
    w.arg = &op;
    enum svc_status st = svc_from_store(store_write_wait(l->store, &w));
    if (st == SVC_OK)
        st = op.verdict;
    if (st == SVC_OK) {
        *out = op.result;
        if (op.max_seq)
            ledger_note_outbox(l, op.max_seq);
    }
    return st;
}

/* ---- evidence ---- */

struct evidence_op {
    int64_t incident_id;
    const struct evidence *e;
    const char *actor;
    int64_t evidence_id, max_seq;
};

static enum store_status evidence_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    enum store_status res = STORE_OK;
    for (size_t i = 0; i < n; i++) {
        struct evidence_op *op = w[i]->arg;
        struct incident inc;
        int64_t now = time_now_ms();
        enum store_status st = store_incident_get(c, op->incident_id, &inc);
        if (st == STORE_OK)
            st = store_evidence_insert(c, inc.id, op->e, op->actor, now, &op->evidence_id);
        if (st == STORE_OK && op->evidence_id) {
            char reason[600];
            snprintf(reason, sizeof reason, "%s: %s", evidence_type_name(op->e->type),
                     op->e->summary);
            st = store_timeline_append(c, inc.id, now, op->actor, "evidence_added", reason, NULL);
            if (st == STORE_OK) {
                char subject[48];
                snprintf(subject, sizeof subject, "incident/%lld", (long long)inc.id);
                st = store_audit_append(c, op->actor, "evidence.added", subject, NULL);
            }
            if (st == STORE_OK)
                st = ledger_emit(c, "sre.evidence.added", inc.id, now,
                                 json_pack("{s:I, s:I, s:s, s:s}", "incident_id",
                                           (json_int_t)inc.id, "evidence_id",
                                           (json_int_t)op->evidence_id, "type",
                                           evidence_type_name(op->e->type), "hash", op->e->hash),
                                 &op->max_seq);
        }
        w[i]->status = st;
        if (st != STORE_OK && st != STORE_NOT_FOUND)
            res = st;
    }
    return res;
}

enum svc_status ledger_add_evidence(struct ledger *l, int64_t incident_id,
                                    const struct evidence *e, const char *actor,
                                    int64_t *evidence_id)
{
    struct evidence_op op = {.incident_id = incident_id, .e = e, .actor = actor ? actor : "operator"};
    struct store_write w;
    memset(&w, 0, sizeof w);
    w.apply = evidence_apply;
    w.arg = &op;
    enum svc_status st = svc_from_store(store_write_wait(l->store, &w));
    if (st == SVC_OK) {
        *evidence_id = op.evidence_id;
        if (op.max_seq)
            ledger_note_outbox(l, op.max_seq);
    }
    return st;
}

/* ---- the tick: flap damping and suppression expiry ---- */

#define TICK_BATCH 256

struct tick_op {
    int64_t ids[TICK_BATCH];
    size_t n;
    int64_t now;
    struct fold_params fp;
    unsigned changed;
    int64_t max_seq;
};

static int collect_due(const struct incident *inc, void *ud)
{
    struct tick_op *op = ud;
    op->ids[op->n++] = inc->id;
    return op->n == TICK_BATCH;
}

static enum store_status tick_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        struct tick_op *op = w[k]->arg;
        op->changed = 0;
        for (size_t i = 0; i < op->n; i++) {
            struct incident inc;
            enum store_status st = store_incident_get(c, op->ids[i], &inc);
            if (st == STORE_NOT_FOUND)
                continue;
            if (st != STORE_OK)
                return st;
            struct fold_change ch;
            /* re-checked inside the transaction: a finding may have arrived since */
            if (!fold_tick(&inc, op->now, &op->fp, &ch))
                continue;
            st = store_incident_update(c, &inc);
            if (st == STORE_OK)
                st = ledger_record_change(c, &inc, ch.from, ch.to, "system", ch.reason, op->now,
                                          &op->max_seq);
            if (st != STORE_OK)
                return st;
            op->changed++;
        }
        w[k]->status = STORE_OK;
    }
    return STORE_OK;
}

enum svc_status ledger_tick(struct ledger *l, int64_t now_ms, unsigned *changed)
{
    unsigned total = 0;
    ledger_prune_outbox(l);
    for (;;) {
        struct tick_op *op = calloc(1, sizeof *op);
        if (!op)
            return SVC_INTERNAL;
        op->now = now_ms;
        ledger_fold_params(l, &op->fp);
        struct store_conn *c;
        enum store_status st = store_read_acquire(l->store, &c);
        if (st == STORE_OK) {
            st = store_incident_due(c, now_ms, op->fp.quiet_period_ms, TICK_BATCH,
                                    collect_due, op);
            store_read_release(l->store, c);
        }
        if (st == STORE_OK && op->n) {
            struct store_write w;
            memset(&w, 0, sizeof w);
            w.apply = tick_apply;
            w.arg = op;
            st = store_write_wait(l->store, &w);
            if (st == STORE_OK && op->max_seq)
                ledger_note_outbox(l, op->max_seq);
            total += op->changed;
            metric_add(l->transitions_auto, op->changed);
        }
        size_t got = op->n;
        unsigned ch = op->changed;
        free(op);
        if (st != STORE_OK)
            return svc_from_store(st);
        /* another round only when a full batch changed (more may be due) */
        if (got < TICK_BATCH || ch == 0)
            break;
    }
    *changed = total;
    return SVC_OK;
}

static void *tick_main(void *arg)
{
    struct ledger *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stopping) {
        struct timespec ts;
        time_deadline_in(&ts, l->cfg.tick_ms);
        pthread_cond_timedwait(&l->cv, &l->mu, &ts);
        if (l->stopping)
            break;
        pthread_mutex_unlock(&l->mu);
        follow_policy(l);
        unsigned changed = 0;
        enum svc_status st = ledger_tick(l, time_now_ms(), &changed);
        if (st != SVC_OK && st != SVC_BUSY)
            log_warn("ledger", "tick failed: %s", svc_status_text(st));
        else if (changed)
            log_debug("ledger", "tick: %u incident(s) changed state", changed);
        ledger_retention_tick(l, time_now_ms());
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int ledger_start(struct ledger *l)
{
    if (l->started)
        return 0;
    follow_policy(l);
    if (pthread_create(&l->tick_thread, NULL, tick_main, l) != 0)
        return -1;
    l->started = 1;
    ledger_relay_start(l);
    return 0;
}

void ledger_stop(struct ledger *l)
{
    if (!l || !l->started)
        return;
    pthread_mutex_lock(&l->mu);
    l->stopping = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->tick_thread, NULL);
    ledger_relay_join(l);
    l->started = 0;
}

static double zero_metric(void *ctx)
{
    (void)ctx;
    return 0;
}

void ledger_destroy(struct ledger *l)
{
    if (!l)
        return;
    ledger_stop(l);
    /* Ingests still queued (their HTTP requests gave up at stop) complete
     * through this object: wait for them; the store's writer is still running. */
    pthread_mutex_lock(&l->mu);
    while (l->submitted)
        pthread_cond_wait(&l->drained, &l->mu);
    pthread_mutex_unlock(&l->mu);
    /* the registry outlives us: leave it functions that do not point here */
    metrics_gauge_fn(l->cfg.metrics, "srebot_ledger_outbox_head",
                     "Highest committed event sequence", zero_metric, NULL);
    metrics_gauge_fn(l->cfg.metrics, "srebot_ledger_relay_lag",
                     "Committed events not yet published on the bus", zero_metric, NULL);
    json_decref(l->policy);
    json_cache_destroy(l->counts);
    ledger_open_gauges_destroy(l);
    pthread_cond_destroy(&l->cv);
    pthread_cond_destroy(&l->drained);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->prune_mu);
    free(l);
}
