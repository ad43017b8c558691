/* Closed-loop verification (see evaluator.h): after an action succeeded, did
 * the signal clear within verify_seconds, and if not, what next. */
#include <stdio.h>

#include "core/evaluator.h"

const char *verify_verdict_name(enum verify_verdict v)
{
    switch (v) {
    case VERIFY_WAIT: return "wait";
    case VERIFY_CLEARED: return "cleared";
    case VERIFY_NEXT_STEP: return "next_step";
    case VERIFY_ESCALATE: return "escalate";
    }
    return "?";
}

enum incident_state remed_state_after_success(enum incident_state from, int *changed)
{
    *changed = from != ST_CONTAINED && lifecycle_allowed_edge(from, ST_CONTAINED, BY_SYSTEM);
    return *changed ? ST_CONTAINED : from;
}

static void move(struct verify_result *out, enum incident_state from, enum incident_state to)
{
    out->has_move = from != to && lifecycle_allowed_edge(from, to, BY_SYSTEM);
    out->move_to = out->has_move ? to : from;
}

void verify_after_success(const struct eval_input *in, const struct action_history *a,
                          struct verify_result *out)
{
    const struct eval_incident *inc = in->incident;
    const char *name = action_name(a->action);
    int64_t done = a->finished_ms ? a->finished_ms : a->created_ms;
    *out = (struct verify_result){.verdict = VERIFY_WAIT, .move_to = inc->state};
    out->due_ms = done + in->policy->verify_ms[(unsigned)a->action < ACT__COUNT ? a->action : 0];

    if (inc->last_status == FINDING_RESOLVED || inc->state == ST_RECOVERING ||
        inc->state == ST_RESOLVED) {
        out->verdict = VERIFY_CLEARED;
        move(out, inc->state, ST_RECOVERING);
        snprintf(out->reason, sizeof out->reason,
                 "verified: the signal cleared after %s on %s (incident %s, latest finding %s)",
                 name, a->target, incident_state_name(inc->state),
                 finding_status_name(inc->last_status));
        return;
    }
    if (in->now_ms < out->due_ms) {
        snprintf(out->reason, sizeof out->reason, "watching %s on %s for %lld s more", name,
                 a->target, (long long)((out->due_ms - in->now_ms + 999) / 1000));
        return;
    }
    struct eval_result next;
    evaluate(in, &next);
    if (next.escalate) {
        out->verdict = VERIFY_ESCALATE;
        move(out, inc->state, ST_ESCALATED);
        snprintf(out->reason, sizeof out->reason,
                 "not cleared %lld s after %s on %s and no playbook step is left: escalated",
                 (long long)((in->now_ms - done) / 1000), name, a->target);
        return;
    }
    out->verdict = VERIFY_NEXT_STEP;
    snprintf(out->reason, sizeof out->reason,
             "not cleared %lld s after %s on %s: %s%s", (long long)((in->now_ms - done) / 1000),
             name, a->target, next.n ? "next step " : "waiting for the next step",
             next.n ? action_name(next.items[next.n - 1].action) : "");
}
