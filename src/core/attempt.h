/* Action attempts: THE table of states and allowed transitions (docs/actions.md).
 *
 *   proposed ──> awaiting_approval ──> approved ──> executing ──> succeeded
 *      │                │    │  │          │  │          │   └──> failed
 *      │                │    │  └> expired │  └> expired │   └──> unknown ──> succeeded | failed
 *      │                │    └> rejected   └> cancelled  │                 └> cancelled
 *      ├──> executing (automatic: no approval needed)     └ (start-up: every attempt left in
 *      └──> cancelled                                        executing becomes unknown)
 *   awaiting_approval ──> cancelled
 *   proposed ──> succeeded   only for recommendation-only actions (recorded, never run)
 *
 * Rules the table encodes (and tests check):
 *   - executing is entered only from proposed (automatic) or approved: nothing
 *     that was rejected, expired, cancelled or already ran can run (again).
 *   - unknown is entered only from executing (a crash or a runner that cannot
 *     say what happened) and never leads back to executing: an operator
 *     reconciles it to succeeded / failed, or cancels it (=abandons it).
 *   - rejected, expired, succeeded, failed, cancelled are terminal.
 *   - "Intent before action": the ledger stores executing (with an idempotency
 *     key) before a runner is called; at start-up executing -> unknown.
 *
 * Pure: no I/O. The ledger persists attempts and refuses any transition this
 * table does not allow.
 */
#ifndef SREBOT_CORE_ATTEMPT_H
#define SREBOT_CORE_ATTEMPT_H

#include <stddef.h>

enum attempt_state {
    ATT_PROPOSED = 0,
    ATT_AWAITING_APPROVAL,
    ATT_APPROVED,
    ATT_REJECTED,
    ATT_EXPIRED,
    ATT_EXECUTING,
    ATT_SUCCEEDED,
    ATT_FAILED,
    ATT_UNKNOWN,
    ATT_CANCELLED,
    ATT__COUNT
};

/* "proposed", "awaiting_approval", ... ; "?" for an out-of-range value. */
const char *attempt_state_name(enum attempt_state s);
/* 0 and *out when s names a state, else -1. */
int attempt_state_parse(const char *s, enum attempt_state *out);

struct attempt_transition {
    enum attempt_state from, to;
    const char *means; /* one line: when this edge is taken (docs, timeline) */
};
extern const struct attempt_transition attempt_table[];
extern const size_t attempt_table_len;

/* 1 when from -> to is in the table (any action). */
int attempt_transition_allowed(enum attempt_state from, enum attempt_state to);
/* The table as it applies to an action of `kind` (enum action_kind, core/actions.h):
 * a recommendation-only action is recorded, never run: proposed -> succeeded
 * ("recommended") or proposed -> cancelled, nothing else; every other action
 * takes every edge but proposed -> succeeded. The ledger uses this one. */
int attempt_transition_allowed_for(int kind, enum attempt_state from, enum attempt_state to);
/* 1 for rejected, expired, succeeded, failed, cancelled. */
int attempt_state_terminal(enum attempt_state s);
/* 1 while an attempt still holds its (action, target): proposed,
 * awaiting_approval, approved, executing, unknown. The evaluator never proposes
 * a second attempt on an (action, target) that has an open one. */
int attempt_state_open(enum attempt_state s);
/* 1 for the states an attempt reaches only by having been handed to a runner:
 * executing, succeeded, failed, unknown (what cooldowns and hourly rates count). */
int attempt_state_started(enum attempt_state s);

#endif
