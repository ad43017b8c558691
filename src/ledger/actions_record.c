/* The remediation ledger's shared plumbing (actions_int.h): one write per
 * op through the store writer, the attempt table check, and the recorders of
 * a step (timeline + audit, outbox event). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actions.h"
#include "core/attempt.h"
#include "ledger/actions_int.h"
#include "util/log.h"

static enum store_status act_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct act_op *op = w[i]->arg;
        op->answer = SVC_OK;
        enum store_status st = op->fn(c, op);
        w[i]->status = st;
        if (st != STORE_OK)
            return st; /* the writer retries each write alone */
    }
    return STORE_OK;
}

enum svc_status act_run(struct ledger *l, struct act_op *op)
{
    struct store_write w;
    memset(&w, 0, sizeof w);
    w.apply = act_apply;
    w.arg = op;
    enum store_status st = store_write_wait(l->store, &w);
    if (st != STORE_OK) {
        if (st == STORE_ERROR)
            log_warn("actions", "write failed: %s", w.err[0] ? w.err : store_status_name(st));
        return svc_from_store(st);
    }
    if (op->max_seq)
        ledger_note_outbox(l, op->max_seq);
    return op->answer;
}

int act_edge_ok(const char *action, const char *from, const char *to)
{
    enum attempt_state f, t;
    const struct action_def *def = action_find(action);
    if (!def || attempt_state_parse(from, &f) != 0 || attempt_state_parse(to, &t) != 0)
        return 0;
    return attempt_transition_allowed_for((int)def->kind, f, t);
}

enum store_status act_set_state(struct store_conn *c, struct attempt_rec *a, const char *to,
                                int64_t now)
{
    if (!act_edge_ok(a->action, a->state, to)) {
        log_error("actions", "attempt %lld: refused edge %s -> %s", (long long)a->id, a->state, to);
        return STORE_INVALID;
    }
    snprintf(a->state, sizeof a->state, "%s", to);
    a->updated_at_ms = now;
    return store_attempt_update(c, a);
}

enum store_status act_note(struct store_conn *c, int64_t incident_id, int64_t now,
                           const char *actor, const char *kind, const char *audit_action,
                           const char *reason, json_t *data)
{
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    enum store_status st =
        store_timeline_append(c, incident_id, now, actor, kind, reason ? reason : "", text);
    if (st == STORE_OK) {
        char subject[48];
        snprintf(subject, sizeof subject, "incident/%lld", (long long)incident_id);
        st = store_audit_append(c, actor, audit_action, subject, text);
    }
    free(text);
    return st;
}

enum store_status act_emit(struct store_conn *c, struct act_op *op, const char *type,
                           const struct attempt_rec *a, const struct approval_rec *approval)
{
    json_t *d = actions_attempt_json(a);
    if (approval)
        json_object_set_new(d, "approval", act_approval_json(approval));
    return ledger_emit(c, type, a->incident_id, op->now, d, &op->max_seq);
}
