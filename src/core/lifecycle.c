#include "core/lifecycle.h"

#include <stdio.h>
#include <string.h>

static const char *const state_names[ST__COUNT] = {
    "observed", "triaged", "contained", "recovering", "resolved", "suppressed", "escalated",
};

const char *incident_state_name(enum incident_state s)
{
    return (s >= 0 && s < ST__COUNT) ? state_names[s] : "unknown";
}

int incident_state_parse(const char *s, enum incident_state *out)
{
    for (int i = 0; s && i < ST__COUNT; i++)
        if (strcmp(s, state_names[i]) == 0) {
            *out = (enum incident_state)i;
            return 0;
        }
    return -1;
}

#define SYS BY_SYSTEM
#define OPS BY_OPERATOR

/* Reading the table: automatic edges (SYS) are what folding and the tick do;
 * operator edges (OPS) are the human workflow. A resolved finding moves any
 * active state to recovering; a firing one during recovery sends the incident
 * back to observed (it flapped); only a quiet period makes it resolved. */
const struct transition lifecycle_table[] = {
    {ST_OBSERVED, ST_TRIAGED, OPS, "an operator acknowledged and looked at it"},
    {ST_OBSERVED, ST_CONTAINED, SYS | OPS, "containment applied"},
    {ST_OBSERVED, ST_RECOVERING, SYS | OPS, "a resolved finding arrived"},
    {ST_OBSERVED, ST_RESOLVED, OPS, "closed by an operator (false alarm, fixed)"},
    {ST_OBSERVED, ST_SUPPRESSED, OPS, "silenced until an expiry"},
    {ST_OBSERVED, ST_ESCALATED, SYS | OPS, "handed to a human owner"},

    {ST_TRIAGED, ST_CONTAINED, SYS | OPS, "containment applied"},
    {ST_TRIAGED, ST_RECOVERING, SYS | OPS, "a resolved finding arrived"},
    {ST_TRIAGED, ST_RESOLVED, OPS, "closed by an operator"},
    {ST_TRIAGED, ST_SUPPRESSED, OPS, "silenced until an expiry"},
    {ST_TRIAGED, ST_ESCALATED, SYS | OPS, "handed to a human owner"},

    {ST_CONTAINED, ST_RECOVERING, SYS | OPS, "a resolved finding arrived"},
    {ST_CONTAINED, ST_RESOLVED, OPS, "closed by an operator"},
    {ST_CONTAINED, ST_ESCALATED, SYS | OPS, "containment did not hold"},
    {ST_CONTAINED, ST_TRIAGED, OPS, "back to investigation"},

    {ST_RECOVERING, ST_RESOLVED, SYS | OPS, "quiet period passed with no firing finding"},
    {ST_RECOVERING, ST_OBSERVED, SYS, "fired again while recovering (flap)"},
    {ST_RECOVERING, ST_TRIAGED, OPS, "back to investigation"},
    {ST_RECOVERING, ST_ESCALATED, OPS, "handed to a human owner"},

    {ST_RESOLVED, ST_OBSERVED, SYS | OPS, "re-opened: fired again within the re-open window"},

    {ST_SUPPRESSED, ST_OBSERVED, SYS | OPS, "suppression expired or lifted, still firing"},
    {ST_SUPPRESSED, ST_RECOVERING, SYS, "suppression expired after a resolved finding"},
    {ST_SUPPRESSED, ST_TRIAGED, OPS, "suppression lifted for investigation"},
    {ST_SUPPRESSED, ST_RESOLVED, OPS, "closed by an operator"},

    {ST_ESCALATED, ST_TRIAGED, OPS, "an owner took it"},
    {ST_ESCALATED, ST_CONTAINED, SYS | OPS, "containment applied"},
    {ST_ESCALATED, ST_RECOVERING, SYS | OPS, "a resolved finding arrived"},
    {ST_ESCALATED, ST_RESOLVED, OPS, "closed by an operator"},
    {ST_ESCALATED, ST_SUPPRESSED, OPS, "silenced until an expiry"},
};
const size_t lifecycle_table_len = sizeof lifecycle_table / sizeof lifecycle_table[0];

int lifecycle_allowed_edge(enum incident_state from, enum incident_state to, unsigned by)
{
    for (size_t i = 0; i < lifecycle_table_len; i++)
        if (lifecycle_table[i].from == from && lifecycle_table[i].to == to &&
            (lifecycle_table[i].by & by))
            return 1;
    return 0;
}

size_t lifecycle_allowed(enum incident_state from, unsigned by, enum incident_state *out,
                         size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < lifecycle_table_len && n < max; i++)
        if (lifecycle_table[i].from == from && (lifecycle_table[i].by & by))
            out[n++] = lifecycle_table[i].to;
    return n;
}

void lifecycle_allowed_text(enum incident_state from, unsigned by, char *buf, size_t buflen)
{
    enum incident_state to[ST__COUNT];
    size_t n = lifecycle_allowed(from, by, to, ST__COUNT), used = 0;
    if (buflen)
        buf[0] = '\0';
    for (size_t i = 0; i < n && used < buflen; i++) {
        int w = snprintf(buf + used, buflen - used, "%s%s", i ? ", " : "",
                         incident_state_name(to[i]));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, buflen, "%s", "none");
}

enum lifecycle_verdict lifecycle_check_request(enum incident_state from, enum incident_state to,
                                               int has_suppress_until, int64_t suppress_until_ms,
                                               int64_t now_ms, struct problems *p)
{
    size_t before = p->count;
    if (!lifecycle_allowed_edge(from, to, BY_OPERATOR)) {
        char allowed[160];
        lifecycle_allowed_text(from, BY_OPERATOR, allowed, sizeof allowed);
        problems_add(p, "/to", "conflict", "allowed: %s", allowed);
        return LIFECYCLE_REFUSED;
    }
    if (to == ST_SUPPRESSED) {
        if (!has_suppress_until)
            problems_add(p, "/suppress_until", "required", "suppression needs an expiry");
        else if (suppress_until_ms <= now_ms)
            problems_add(p, "/suppress_until", "range", "must be in the future");
        else if (suppress_until_ms - now_ms > SUPPRESS_MAX_MS)
            problems_add(p, "/suppress_until", "range", "must be at most 90 days ahead");
    } else if (has_suppress_until) {
        problems_add(p, "/suppress_until", "forbidden", "only applies to \"to\":\"suppressed\"");
    }
    return p->count == before ? LIFECYCLE_OK : LIFECYCLE_INVALID;
}
