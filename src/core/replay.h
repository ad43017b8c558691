/* What-if replay, pure: recorded findings, in the order they were ingested, go
 * through folding (core/fold.h) and the evaluator (core/evaluator.h) under a
 * candidate policy view, and come out as the decisions that policy would have
 * made, per incident. POST /api/v1/policy/simulate runs it twice (current and
 * candidate policy) and answers replay_diff_json().
 *
 * Simulation assumptions (docs/actions.md, "What-if replay"):
 *   - every non-deny decision becomes an attempt that succeeded at once
 *     (approval decisions as if approved promptly), so later playbook steps,
 *     cooldowns, budgets and the hourly rate play out as they would;
 *   - between findings, open incidents are evaluated every tick_ms (fold_tick
 *     runs first), so verification windows and flap damping advance;
 *   - the evaluator sees each incident's subject from its latest firing
 *     finding's attributes and its corroboration from finding_log_derived().
 *
 * Bounded: at most max_incidents incidents, max_decisions decisions and
 * max_evaluations evaluator calls; past any bound the replay stops and says
 * so (truncated = 1). Deterministic: the same inputs give the same result.
 */
#ifndef SREBOT_CORE_REPLAY_H
#define SREBOT_CORE_REPLAY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evaluator.h"
#include "core/fold.h"

#define REPLAY_MAX_INCIDENTS 1000
#define REPLAY_MAX_DECISIONS 20000
#define REPLAY_MAX_EVALUATIONS 200000

struct replay_params {
    const struct eval_policy *policy;
    struct fold_params fold;
    int64_t tick_ms;          /* 0: evaluate only when a finding arrives */
    int64_t end_ms;           /* keep ticking until here after the last finding (0 = stop there) */
    size_t max_incidents;     /* 0 = REPLAY_MAX_INCIDENTS (never more) */
    size_t max_decisions;     /* 0 = REPLAY_MAX_DECISIONS (never more) */
    size_t max_evaluations;   /* 0 = REPLAY_MAX_EVALUATIONS (never more) */
};

struct replay_decision {
    size_t incident;          /* index into replay_result.incidents */
    int64_t at_ms;
    enum action_id action;
    char target[ACTION_TARGET_MAX + 1];
    enum policy_action_mode mode;
    enum reason_code reason_code;
    int dry_run;
    int escalate;             /* 1: this row is the escalation, not an action (action = notify) */
};

struct replay_incident {
    char class_[FINDING_CLASS_MAX + 1];
    char correlation_key[FINDING_KEY_MAX + 1];
    int64_t first_seen_ms;    /* of the record (a re-open keeps it) */
    enum incident_state state; /* at the end of the replay */
    size_t ndecisions;
};

struct replay_result {
    struct replay_incident *incidents;
    size_t nincidents;
    struct replay_decision *decisions; /* in time order */
    size_t ndecisions;
    size_t findings_used;     /* findings replayed before any bound stopped it */
    size_t evaluations;
    int truncated;            /* a bound stopped the replay early */
};

/* Replays findings[0..n) (ordered as ingested). Returns 0 and fills *out
 * (replay_result_clear frees it), or -1 when out of memory (*out cleared). */
int replay_run(const struct finding *findings, size_t n, const struct replay_params *p,
               struct replay_result *out);
void replay_result_clear(struct replay_result *r);

/* Per incident (matched by class, correlation_key, first_seen), the decisions
 * of both runs and whether they differ:
 *   {"incidents":[{"class","correlation_key","first_seen","differs",
 *                  "current":[{"at","action","target","mode","reason_code","dry_run"}],
 *                  "candidate":[...]}],
 *    "differing": N, "truncated": bool}
 * Incidents that exist in only one run appear with an empty list on the other
 * side. New reference; NULL only when out of memory. `at` is ms since the epoch. */
json_t *replay_diff_json(const struct replay_result *current,
                         const struct replay_result *candidate);

#endif
