/* What-if replay as a service (POST /api/v1/policy/simulate): the recorded
 * findings of a time range go through folding and the evaluator twice, under
 * the current policy and under a candidate, and the answer says per incident
 * which decisions differ (core/replay.h does the replay; this reads the
 * findings and bounds the work). Read-only: nothing is written.
 *
 * Bounds: the range is at most SIMULATE_MAX_RANGE_MS long and at most
 * SIMULATE_MAX_FINDINGS findings are replayed (the oldest first; the answer
 * says "truncated" when more were there); the replay itself stops at
 * core/replay.h's incident, decision and evaluation bounds. */
#ifndef SREBOT_LEDGER_SIMULATE_H
#define SREBOT_LEDGER_SIMULATE_H

#include <jansson.h>
#include <stdint.h>

#include "core/problems.h"
#include "ledger/status.h"

struct ledger;

#define SIMULATE_MAX_FINDINGS 20000
#define SIMULATE_MAX_RANGE_MS (7LL * 24 * 3600 * 1000)
/* Open incidents are re-evaluated every simulated SIMULATE_TICK_MS (so a
 * notify that succeeded leads to the next playbook step, as in the worker),
 * and the replay runs SIMULATE_TAIL_MS past the range's end so that the
 * follow-ups of its last findings show. */
#define SIMULATE_TICK_MS 5000
#define SIMULATE_TAIL_MS 60000

/* candidate: a policy document (not validated yet: SVC_INVALID with every
 * problem under /policy when it is not a valid policy). [since_ms, until_ms]:
 * the findings' receive times. *answer: core/replay.h's replay_diff_json plus
 * {"since","until","findings","current_version"}. */
enum svc_status policy_simulate(struct ledger *l, const json_t *candidate, int64_t since_ms,
                                int64_t until_ms, json_t **answer, struct problems *p);

#endif
