#include "core/fold.h"

#include <stdio.h>
#include <string.h>

static const char *const outcome_names[] = {"opened", "folded", "reopened", "duplicate",
                                            "resolved"};

const char *fold_outcome_name(enum fold_outcome o)
{
    return (o >= FOLD_OPENED && o <= FOLD_RESOLVED) ? outcome_names[o] : "unknown";
}

void incident_set_state(struct incident *inc, enum incident_state to, int64_t now_ms,
                        int64_t suppressed_until_ms)
{
    inc->state = to;
    inc->state_since_ms = now_ms;
    inc->updated_at_ms = now_ms;
    inc->resolved_at_ms = to == ST_RESOLVED ? now_ms : 0;
    inc->suppressed_until_ms = to == ST_SUPPRESSED ? suppressed_until_ms : 0;
}

static void change_state(struct incident *inc, enum incident_state to, int64_t at,
                         const char *reason, struct fold_change *out)
{
    out->state_changed = 1;
    out->from = inc->state;
    out->to = to;
    out->reason = reason;
    incident_set_state(inc, to, at, 0);
}

static void open_new(struct incident *inc, const struct finding *f, int64_t at, int64_t now_ms)
{
    memset(inc, 0, sizeof *inc);
    memcpy(inc->class_, f->class_, sizeof inc->class_);
    memcpy(inc->correlation_key, f->correlation_key, sizeof inc->correlation_key);
    memcpy(inc->source, f->source, sizeof inc->source);
    memcpy(inc->summary, f->summary, sizeof inc->summary);
    inc->state = ST_OBSERVED;
    inc->severity = f->severity;
    inc->finding_count = 1;
    inc->first_seen_ms = inc->last_seen_ms = at;
    inc->updated_at_ms = inc->state_since_ms = now_ms; /* the server's time, not the sender's */
    inc->last_status = FINDING_FIRING;
}

/* Counters every attached finding updates. */
static void count(struct incident *inc, const struct finding *f, int64_t at, int64_t now_ms)
{
    inc->finding_count++;
    if (at > inc->last_seen_ms)
        inc->last_seen_ms = at;
    if (at < inc->first_seen_ms)
        inc->first_seen_ms = at;
    inc->updated_at_ms = now_ms;
    if (f->status == FINDING_FIRING) {
        if (f->severity > inc->severity)
            inc->severity = f->severity;
        memcpy(inc->summary, f->summary, sizeof inc->summary);
    }
    inc->last_status = f->status;
}

int64_t fold_finding_time(int64_t observed_at_ms, int64_t now_ms)
{
    if (observed_at_ms > now_ms)
        return now_ms;
    if (observed_at_ms < now_ms - FOLD_MAX_AGE_MS)
        return now_ms - FOLD_MAX_AGE_MS;
    return observed_at_ms;
}

void fold_finding(struct incident *inc, int exists, const struct finding *f, int64_t now_ms,
                  const struct fold_params *p, struct fold_change *out)
{
    int64_t at = fold_finding_time(f->observed_at_ms, now_ms);
    memset(out, 0, sizeof *out);
    out->attached = 1;

    if (f->status == FINDING_RESOLVED) {
        out->outcome = FOLD_RESOLVED;
        if (!exists) {
            out->attached = 0; /* nothing to resolve: the finding is kept on its own */
            return;
        }
        count(inc, f, at, now_ms);
        switch (inc->state) {
        case ST_OBSERVED:
        case ST_TRIAGED:
        case ST_CONTAINED:
        case ST_ESCALATED:
            change_state(inc, ST_RECOVERING, now_ms, "a resolved finding arrived", out);
            break;
        default:
            /* recovering keeps its start (the quiet period is not extended by more
             * resolved findings); suppressed remembers last_status for its expiry;
             * resolved just records the finding. */
            break;
        }
        return;
    }

    if (!exists) {
        open_new(inc, f, at, now_ms);
        out->outcome = FOLD_OPENED;
        out->new_record = 1;
        return;
    }
    if (inc->state == ST_RESOLVED) {
        if (at - inc->resolved_at_ms <= p->reopen_window_ms) {
            count(inc, f, at, now_ms);
            change_state(inc, ST_OBSERVED, now_ms, "fired again within the re-open window", out);
            out->outcome = FOLD_REOPENED;
        } else {
            open_new(inc, f, at, now_ms);
            out->outcome = FOLD_OPENED;
            out->new_record = 1;
        }
        return;
    }
    out->outcome = FOLD_FOLDED;
    int flapped = inc->state == ST_RECOVERING && at >= inc->state_since_ms;
    count(inc, f, at, now_ms);
    if (flapped)
        change_state(inc, ST_OBSERVED, now_ms, "fired again while recovering", out);
}

int fold_tick(struct incident *inc, int64_t now_ms, const struct fold_params *p,
              struct fold_change *out)
{
    memset(out, 0, sizeof *out);
    out->attached = 1;
    if (inc->state == ST_RECOVERING && now_ms - inc->state_since_ms >= p->quiet_period_ms) {
        change_state(inc, ST_RESOLVED, now_ms, "quiet period passed with no firing finding", out);
        return 1;
    }
    if (inc->state == ST_SUPPRESSED && inc->suppressed_until_ms &&
        now_ms >= inc->suppressed_until_ms) {
        if (inc->last_status == FINDING_RESOLVED)
            change_state(inc, ST_RECOVERING, now_ms, "suppression expired after a resolved finding",
                         out);
        else
            change_state(inc, ST_OBSERVED, now_ms, "suppression expired, still firing", out);
        return 1;
    }
    return 0;
}
