/* Private to src/actions/worker*.c. */
#ifndef SREBOT_ACTIONS_WORKER_INT_H
#define SREBOT_ACTIONS_WORKER_INT_H

#include <pthread.h>

#include "actions/worker.h"
#include "core/evaluator.h"
#include "store/action_repo.h"

#define WORKER_MAX_RUNNERS 64
#define WORKER_HISTORY_MAX 1024
#define WORKER_DEDUPE_SLOTS 1024

struct runner_slot {
    const struct runner_ops *ops;
    void *instance;
};

/* The last decision recorded per incident, so that a noisy incident does not
 * write the same denial for every finding (a changed decision is recorded). */
struct last_decision {
    int64_t incident_id;
    enum action_id action;
    enum policy_action_mode mode;
    enum reason_code rc;
};

struct remed_worker {
    struct remed_worker_config cfg;
    struct ledger *ledger;
    struct store *store;
    struct runner_slot runners[WORKER_MAX_RUNNERS];
    size_t nrunners;

    json_t *policy_doc;         /* the document the view was built from (a reference) */
    struct eval_policy *policy; /* the evaluator's view of it */
    struct outbox_consumer *events; /* its named outbox cursor (ledger/consumers.h) */
    struct last_decision last[WORKER_DEDUPE_SLOTS];

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping, started;
    pthread_t thread;
};

/* Everything the evaluator needs about one incident, read in one go. */
struct incident_view {
    struct incident inc;
    struct finding latest;          /* the latest finding (attributes not owned) */
    int has_latest;
    struct eval_incident ev;
    struct action_history *history; /* heap, nhistory entries */
    size_t nhistory;
    char attributes[4096];          /* copy of the latest firing finding's attributes */
};

/* Loads incident id (with history) into v; 0 on success. Free with
 * worker_view_clear. */
int worker_view_load(struct remed_worker *w, int64_t id, int64_t now, struct incident_view *v);
void worker_view_clear(struct incident_view *v);
/* Fills in from v for the current policy. */
void worker_eval_input(struct remed_worker *w, const struct incident_view *v,
                       enum eval_trigger trig, int64_t now, struct eval_input *in);
/* An attempt row as history. */
void worker_history_from(const struct attempt_rec *a, struct action_history *h);

/* Evaluates one incident and records its decisions (worker_eval.c). */
void worker_evaluate(struct remed_worker *w, int64_t incident_id, enum eval_trigger trig,
                     int64_t now);
/* Runs what may run now, and verifies what is due (worker_run.c). */
void worker_run_attempts(struct remed_worker *w, int64_t now);
void worker_verify_due(struct remed_worker *w, int64_t now);

const struct runner_slot *worker_runner(struct remed_worker *w, const char *action);
/* 1 when the worker is stopping (runners' retry waits end early). */
int worker_stopping(struct remed_worker *w);

#endif
