/* The incident lifecycle: THE table of allowed transitions (docs/findings.md).
 *
 *   observed -> triaged -> contained -> recovering -> resolved
 *        \________ suppressed (with an expiry) / escalated ________/
 *
 * Each row says who may take it: the system (automatic: folding, flap damping,
 * suppression expiry) or an operator (POST /incidents/{id}/transitions). Anything
 * not in the table is refused; callers answer 409 with lifecycle_allowed().
 */
#ifndef SREBOT_CORE_LIFECYCLE_H
#define SREBOT_CORE_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/problems.h"

enum incident_state {
    ST_OBSERVED = 0,
    ST_TRIAGED,
    ST_CONTAINED,
    ST_RECOVERING,
    ST_RESOLVED,
    ST_SUPPRESSED,
    ST_ESCALATED,
    ST__COUNT
};
const char *incident_state_name(enum incident_state s);
int incident_state_parse(const char *s, enum incident_state *out); /* 0 when known */

enum transition_actor { BY_SYSTEM = 1u, BY_OPERATOR = 2u };

struct transition {
    enum incident_state from, to;
    unsigned by;        /* bitmask of enum transition_actor */
    const char *means;  /* one line: why this edge exists (docs, timeline) */
};
extern const struct transition lifecycle_table[];
extern const size_t lifecycle_table_len;

/* 1 when `by` may move an incident from -> to. */
int lifecycle_allowed_edge(enum incident_state from, enum incident_state to, unsigned by);
/* The states `by` may move to from `from`, in table order; returns how many (<= max). */
size_t lifecycle_allowed(enum incident_state from, unsigned by, enum incident_state *out,
                         size_t max);
/* "triaged, escalated" into buf (for the 409 detail). */
void lifecycle_allowed_text(enum incident_state from, unsigned by, char *buf, size_t buflen);

/* The longest suppression an operator may ask for. */
#define SUPPRESS_MAX_MS (90LL * 24 * 3600 * 1000)

/* The verdict on an operator's request, so callers need not read the problems
 * to tell a refused edge (the current state forbids it) from a bad request. */
enum lifecycle_verdict {
    LIFECYCLE_OK = 0,
    LIFECYCLE_REFUSED, /* the table has no such edge from the current state */
    LIFECYCLE_INVALID, /* suppress_until missing, out of range, or not applicable */
};

/* Checks an operator's request {to, reason, suppress_until}: to must be allowed
 * from `from`; suppression needs suppress_until in (now, now + 90 days]; a
 * suppress_until with any other target is refused. Adds the problems to p
 * (code "conflict" at /to, listing the allowed states, when the edge is refused). */
enum lifecycle_verdict lifecycle_check_request(enum incident_state from, enum incident_state to,
                                               int has_suppress_until, int64_t suppress_until_ms,
                                               int64_t now_ms, struct problems *p);

/* 1 for states in which the incident is still open (every state but resolved). */
static inline int incident_state_open(enum incident_state s) { return s != ST_RESOLVED; }

#endif
