#include "core/event_types.h"

#include <stddef.h>
#include <string.h>

const struct event_type event_types[] = {
    {"sre.finding.observed", "every stored finding (not duplicates)"},
    {"sre.incident.opened", "a new incident, or a resolved one re-opened"},
    {"sre.incident.state_changed", "every state change, automatic or by an operator"},
    {"sre.incident.resolved", "the incident became resolved (after the state_changed event)"},
    {"sre.evidence.added", "new evidence (from a finding or by hand)"},
    {"sre.action.proposed", "a decision created an attempt (automatic, approval or recommendation)"},
    {"sre.action.denied", "a decision denied an action (the reason code says which guard)"},
    {"sre.action.vote", "an approver voted; the request still needs more approvers"},
    {"sre.action.approved", "an approval request got the approvers it needs"},
    {"sre.action.rejected", "an approver rejected the request"},
    {"sre.action.expired", "an approval request expired undecided; the attempt never runs"},
    {"sre.action.cancelled", "an attempt will not run (the gate refused it, no runner)"},
    {"sre.action.executing", "intent recorded: the runner is being called"},
    {"sre.action.succeeded", "the runner succeeded (or a recommendation was recorded)"},
    {"sre.action.failed", "the runner failed or ran out of time"},
    {"sre.action.unknown", "the process stopped while executing; not re-run"},
    {"sre.action.verified", "the closed-loop check of a succeeded attempt held or failed"},
    {"sre.notification.created",
     "a notification was queued (notify, approval request or result, resolved, test)"},
    {"sre.notification.delivered", "a channel delivered a notification (once per channel)"},
    {"sre.notification.delivery_failed",
     "a delivery attempt failed; final: the channel gave up on it (retry_in_ms otherwise)"},
    {"sre.notification.failover", "the next channel of the route (or in-app) takes a message"},
    {NULL, NULL},
};

int event_type_known(const char *type)
{
    for (size_t i = 0; type && event_types[i].type; i++)
        if (strcmp(event_types[i].type, type) == 0)
            return 1;
    return 0;
}
