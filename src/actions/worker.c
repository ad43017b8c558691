/* The remediation worker: object, thread, policy view, and the event pass
 * over its outbox cursor. Evaluation is in worker_eval.c, execution and
 * verification in worker_run.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions/worker_int.h"
#include "ledger/actions.h"
#include "ledger/consumers.h"
#include "ledger/ledger.h"
#include "store/ledger_repo.h"
#include "util/log.h"
#include "util/timeutil.h"

#define EVENT_BATCH 256

void remed_worker_config_defaults(struct remed_worker_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->tick_ms = 1000;
    cfg->runner_timeout_ms = 30000;
    cfg->consumer = "remediation";
}

static int add_runners(struct remed_worker *w, const struct runner_ops *const *table, char *err,
                       size_t errlen)
{
    struct runner_deps deps = {.ledger = w->ledger, .kube = w->cfg.kube};
    for (size_t i = 0; table && table[i]; i++) {
        const struct runner_ops *ops = table[i];
        if (worker_runner(w, ops->name))
            continue; /* an earlier table (the extra one) already has this action */
        if (w->nrunners == WORKER_MAX_RUNNERS) {
            snprintf(err, errlen, "too many runners");
            return -1;
        }
        void *inst = NULL;
        char e[200] = "";
        if (ops->init && ops->init(NULL, &deps, &inst, e, sizeof e) != 0) {
            snprintf(err, errlen, "runner %s: %s", ops->name, e);
            return -1;
        }
        w->runners[w->nrunners++] = (struct runner_slot){ops, inst};
    }
    return 0;
}

int remed_worker_create(const struct remed_worker_config *cfg, struct remed_worker **out,
                        char *err, size_t errlen)
{
    struct remed_worker *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->cfg = *cfg;
    if (!w->cfg.tick_ms)
        w->cfg.tick_ms = 1000;
    if (!w->cfg.runner_timeout_ms)
        w->cfg.runner_timeout_ms = 30000;
    if (!w->cfg.consumer)
        w->cfg.consumer = "remediation";
    w->ledger = cfg->ledger;
    w->store = cfg->store;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &a);
    pthread_condattr_destroy(&a);
    if (add_runners(w, cfg->extra_runners, err, errlen) ||
        add_runners(w, cfg->runners ? cfg->runners : runner_registry, err, errlen)) {
        remed_worker_destroy(w);
        return -1;
    }
    /* first start: from now on, not the whole history */
    enum svc_status st =
        ledger_consumer_open(w->ledger, w->cfg.consumer, OUTBOX_FROM_HEAD, &w->events);
    if (st != SVC_OK) {
        snprintf(err, errlen, "remediation cursor: %s", svc_status_text(st));
        remed_worker_destroy(w);
        return -1;
    }
    *out = w;
    return 0;
}

const struct runner_slot *worker_runner(struct remed_worker *w, const char *action)
{
    for (size_t i = 0; i < w->nrunners; i++)
        if (strcmp(w->runners[i].ops->name, action) == 0)
            return &w->runners[i];
    return NULL;
}

int worker_stopping(struct remed_worker *w)
{
    pthread_mutex_lock(&w->mu);
    int s = w->stopping;
    pthread_mutex_unlock(&w->mu);
    return s;
}

/* The evaluator's view of the current policy, rebuilt when a new version is saved. */
static void refresh_policy(struct remed_worker *w)
{
    json_t *doc = ledger_policy(w->ledger);
    if (w->policy && doc == w->policy_doc) {
        json_decref(doc);
        return;
    }
    struct eval_policy *p = eval_policy_create(doc);
    if (!p) {
        json_decref(doc);
        return; /* out of memory: keep the old view */
    }
    eval_policy_destroy(w->policy);
    json_decref(w->policy_doc);
    w->policy = p;
    w->policy_doc = doc;
}

/* ---- the event pass ---- */

struct event_batch {
    int64_t ids[EVENT_BATCH];
    size_t nids;
    int64_t last_seq;
    size_t seen;
};

static int64_t subject_incident(const char *subject)
{
    long long id;
    char tail;
    if (subject && sscanf(subject, "incident/%lld%c", &id, &tail) == 1 && id > 0)
        return id;
    return 0;
}

static int collect_event(const struct outbox_row *r, void *ud)
{
    struct event_batch *b = ud;
    b->last_seq = r->seq;
    b->seen++;
    /* a finding folded into an incident is what the evaluator reacts to */
    if (!r->type || strcmp(r->type, "sre.finding.observed") != 0)
        return 0;
    int64_t id = subject_incident(r->subject);
    if (!id)
        return 0;
    for (size_t i = 0; i < b->nids; i++)
        if (b->ids[i] == id)
            return 0;
    b->ids[b->nids++] = id;
    return 0;
}

/* Handles the events after the cursor; 1 when a full batch was read (more may wait). */
static int event_pass(struct remed_worker *w, int64_t now)
{
    struct event_batch *b = calloc(1, sizeof *b);
    if (!b)
        return 0;
    int n = ledger_consumer_next(w->events, EVENT_BATCH, collect_event, b);
    int more = 0;
    if (n > 0) {
        for (size_t i = 0; i < b->nids; i++)
            worker_evaluate(w, b->ids[i], EVAL_TRIGGER_FINDING, now);
        /* advance after handling: a crash in between re-evaluates, which the
         * evaluator answers the same way (open attempts make it wait) */
        ledger_consumer_advance(w->events, b->last_seq);
        more = n == EVENT_BATCH;
    } else if (n < 0) {
        log_warn("remediation", "reading events failed");
    }
    free(b);
    return more;
}

void remed_worker_run_once(struct remed_worker *w, int64_t now_ms)
{
    refresh_policy(w);
    for (int rounds = 0; rounds < 16 && event_pass(w, now_ms); rounds++)
        ;
    unsigned n = 0;
    approvals_expire(w->ledger, now_ms, &n);
    worker_run_attempts(w, now_ms);
    worker_verify_due(w, now_ms);
}

static void *worker_main(void *arg)
{
    struct remed_worker *w = arg;
    while (!worker_stopping(w)) {
        remed_worker_run_once(w, time_now_ms());
        /* sleep until new events commit or the next tick */
        ledger_consumer_wait(w->events, w->cfg.tick_ms);
    }
    return NULL;
}

int remed_worker_start(struct remed_worker *w)
{
    if (w->started)
        return 0;
    unsigned n = 0;
    enum svc_status st = actions_recover(w->ledger, time_now_ms(), &n);
    if (st != SVC_OK) {
        log_error("remediation", "start-up reconciliation failed: %s", svc_status_text(st));
        return -1;
    }
    if (n)
        log_warn("remediation",
                 "%u attempt(s) were executing when the process stopped: now unknown, not re-run",
                 n);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return -1;
    w->started = 1;
    return 0;
}

void remed_worker_stop(struct remed_worker *w)
{
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->started = 0;
}

void remed_worker_destroy(struct remed_worker *w)
{
    if (!w)
        return;
    remed_worker_stop(w);
    for (size_t i = 0; i < w->nrunners; i++)
        if (w->runners[i].ops->destroy)
            w->runners[i].ops->destroy(w->runners[i].instance);
    ledger_consumer_close(w->events);
    eval_policy_destroy(w->policy);
    json_decref(w->policy_doc);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
