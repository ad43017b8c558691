/* Folding: what one finding does to the incident with its identity, and what
 * time alone does to an incident (flap damping, suppression expiry). Pure
 * functions of (incident, finding, clock, parameters); the ledger persists.
 *
 *   no incident, firing            -> opened (new record)
 *   open incident, firing          -> folded (count, last_seen, severity max)
 *   recovering, firing             -> folded, back to observed (it flapped)
 *   resolved within re-open window -> reopened (same record, observed)
 *   resolved, later than window    -> opened (new record)
 *   open incident, resolved        -> resolved (active states -> recovering)
 *   recovering for quiet_period    -> resolved (fold_tick)
 *   suppressed past its expiry     -> observed, or recovering if it last resolved
 *
 * Times: a finding counts at its observed_at bounded to [now - FOLD_MAX_AGE_MS,
 * now], so a clock running ahead on a sender cannot hold an incident open and a
 * clock far behind cannot date it decades back; a firing finding older than the
 * moment recovery began (delivered late) folds without undoing the recovery.
 * updated_at and state_since are always the server's time.
 */
#ifndef SREBOT_CORE_FOLD_H
#define SREBOT_CORE_FOLD_H

#include <stdint.h>

#include "core/incident.h"

struct fold_params {
    int64_t reopen_window_ms; /* a resolved incident re-opens within this */
    int64_t quiet_period_ms;  /* recovering -> resolved after this long with no firing */
};
#define FOLD_DEFAULT_REOPEN_WINDOW_MS (30LL * 60 * 1000)
#define FOLD_DEFAULT_QUIET_PERIOD_MS (5LL * 60 * 1000)
/* How far back a sender's observed_at may date a finding (an alert that has
 * fired for weeks is re-sent with its first startsAt). */
#define FOLD_MAX_AGE_MS (30LL * 24 * 3600 * 1000)

/* The time a finding counts at: observed_at bounded to [now - FOLD_MAX_AGE_MS, now]. */
int64_t fold_finding_time(int64_t observed_at_ms, int64_t now_ms);

enum fold_outcome { FOLD_OPENED = 0, FOLD_FOLDED, FOLD_REOPENED, FOLD_DUPLICATE, FOLD_RESOLVED };
const char *fold_outcome_name(enum fold_outcome o);

struct fold_change {
    enum fold_outcome outcome;
    int attached;       /* the finding belongs to *inc (0: a resolved finding with no incident) */
    int new_record;     /* *inc was (re)initialised as a new incident: insert, don't update */
    int state_changed;
    enum incident_state from, to;
    const char *reason; /* static text for the timeline */
};

/* Applies finding f to the latest incident of its identity. `exists` says whether
 * *inc holds that incident (else *inc is filled in as a new one when f fires). */
void fold_finding(struct incident *inc, int exists, const struct finding *f, int64_t now_ms,
                  const struct fold_params *p, struct fold_change *out);

/* Time-driven transitions; returns 1 and fills *out when inc changed. */
int fold_tick(struct incident *inc, int64_t now_ms, const struct fold_params *p,
              struct fold_change *out);

#endif
