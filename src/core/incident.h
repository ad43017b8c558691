/* An incident as the core sees it: identity (class, correlation_key), lifecycle
 * state and the counters folding maintains. Stored by the ledger; pure here. */
#ifndef SREBOT_CORE_INCIDENT_H
#define SREBOT_CORE_INCIDENT_H

#include <stdint.h>

#include "core/finding.h"
#include "core/lifecycle.h"

struct incident {
    int64_t id;                       /* 0 until stored */
    char class_[FINDING_CLASS_MAX + 1];
    char correlation_key[FINDING_KEY_MAX + 1];
    enum incident_state state;
    enum severity severity;           /* highest of its firing findings */
    char summary[FINDING_SUMMARY_MAX + 1]; /* of the latest firing finding */
    char source[FINDING_SOURCE_MAX + 1];   /* of the finding that opened it */
    int64_t finding_count;
    int64_t first_seen_ms, last_seen_ms;
    int64_t updated_at_ms;
    int64_t state_since_ms;           /* when the current state was entered */
    int64_t resolved_at_ms;           /* 0 unless resolved */
    int64_t suppressed_until_ms;      /* 0 unless suppressed */
    enum finding_status last_status;  /* status of the latest finding folded in */
};

/* Moves inc to `to` at now and keeps the timestamps that belong to states
 * consistent (resolved_at, suppressed_until, state_since). Does not check the
 * table: callers do (lifecycle_allowed_edge / lifecycle_check_request). */
void incident_set_state(struct incident *inc, enum incident_state to, int64_t now_ms,
                        int64_t suppressed_until_ms);

#endif
