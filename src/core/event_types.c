#include "core/event_types.h"

#include <stddef.h>
#include <string.h>

const struct event_type event_types[] = {
    {"sre.finding.observed", "every stored finding (not duplicates)"},
    {"sre.incident.opened", "a new incident, or a resolved one re-opened"},
    {"sre.incident.state_changed", "every state change, automatic or by an operator"},
    {"sre.incident.resolved", "the incident became resolved (after the state_changed event)"},
    {"sre.evidence.added", "new evidence (from a finding or by hand)"},
    {"sre.action.proposed", "reserved for the remediation worker"},
    {NULL, NULL},
};

int event_type_known(const char *type)
{
    for (size_t i = 0; type && event_types[i].type; i++)
        if (strcmp(event_types[i].type, type) == 0)
            return 1;
    return 0;
}
