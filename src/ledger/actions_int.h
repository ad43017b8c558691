/* Private to src/ledger/actions*.c and approvals.c: one write = one op run in
 * the writer's transaction, with the helpers that record a step. */
#ifndef SREBOT_LEDGER_ACTIONS_INT_H
#define SREBOT_LEDGER_ACTIONS_INT_H

#include "ledger/actions.h"
#include "ledger/ledger_int.h"

struct act_op;
/* Runs inside the transaction. Returns the store status of the writes (an
 * error rolls the op back); the domain answer goes to op->answer. */
typedef enum store_status (*act_fn)(struct store_conn *c, struct act_op *op);

struct act_op {
    act_fn fn;
    void *arg;               /* the entry point's own input/output */
    int64_t now;
    enum svc_status answer;  /* the domain result (SVC_OK unless refused) */
    int64_t max_seq;         /* highest outbox seq written */
};

/* Runs op through the store writer and publishes the outbox head. Returns the
 * store failure mapped to svc_status, else op->answer. */
enum svc_status act_run(struct ledger *l, struct act_op *op);

/* 1 when the attempt table allows from -> to for this action (core/attempt.h). */
int act_edge_ok(const char *action, const char *from, const char *to);

/* Moves a to state `to` at now (refused edges are a caller bug: STORE_INVALID). */
enum store_status act_set_state(struct store_conn *c, struct attempt_rec *a, const char *to,
                                int64_t now);

/* Timeline entry (kind: decision | action | approval) + audit record for an
 * incident, with data (may be NULL, not stolen). */
enum store_status act_note(struct store_conn *c, int64_t incident_id, int64_t now,
                           const char *actor, const char *kind, const char *audit_action,
                           const char *reason, json_t *data);

/* Emits `type` with the attempt (and its approval request when approval is
 * non-NULL) as data. */
enum store_status act_emit(struct store_conn *c, struct act_op *op, const char *type,
                           const struct attempt_rec *a, const struct approval_rec *approval);

/* The request view without votes/attempt (actions_approval_view adds them). */
json_t *act_approval_json(const struct approval_rec *r);

#endif
