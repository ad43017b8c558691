/* The attempt state table (see attempt.h). */
#include "core/attempt.h"

#include <string.h>

#include "core/actions.h"

static const char *const state_names[ATT__COUNT] = {
    [ATT_PROPOSED] = "proposed",   [ATT_AWAITING_APPROVAL] = "awaiting_approval",
    [ATT_APPROVED] = "approved",   [ATT_REJECTED] = "rejected",
    [ATT_EXPIRED] = "expired",     [ATT_EXECUTING] = "executing",
    [ATT_SUCCEEDED] = "succeeded", [ATT_FAILED] = "failed",
    [ATT_UNKNOWN] = "unknown",     [ATT_CANCELLED] = "cancelled",
};

const char *attempt_state_name(enum attempt_state s)
{
    if ((unsigned)s >= ATT__COUNT)
        return "?";
    return state_names[s];
}

int attempt_state_parse(const char *s, enum attempt_state *out)
{
    for (int i = 0; s && i < ATT__COUNT; i++)
        if (strcmp(s, state_names[i]) == 0) {
            *out = (enum attempt_state)i;
            return 0;
        }
    return -1;
}

const struct attempt_transition attempt_table[] = {
    {ATT_PROPOSED, ATT_AWAITING_APPROVAL, "the decision needs an approval: a request is open"},
    {ATT_PROPOSED, ATT_EXECUTING, "automatic decision: handed to the runner"},
    {ATT_PROPOSED, ATT_CANCELLED, "re-checked before running and no longer allowed"},
    {ATT_PROPOSED, ATT_SUCCEEDED, "a recommendation: recorded as given, nothing executes"},
    {ATT_AWAITING_APPROVAL, ATT_APPROVED, "enough distinct approvers approved in time"},
    {ATT_AWAITING_APPROVAL, ATT_REJECTED, "an approver rejected it"},
    {ATT_AWAITING_APPROVAL, ATT_EXPIRED, "not decided before the request expired"},
    {ATT_AWAITING_APPROVAL, ATT_CANCELLED, "withdrawn: the incident closed or the policy changed"},
    {ATT_APPROVED, ATT_EXECUTING, "approved and re-checked: handed to the runner"},
    {ATT_APPROVED, ATT_EXPIRED, "approved but not started before the request expired"},
    {ATT_APPROVED, ATT_CANCELLED, "re-checked before running and no longer allowed"},
    {ATT_EXECUTING, ATT_SUCCEEDED, "the runner reported success"},
    {ATT_EXECUTING, ATT_FAILED, "the runner reported failure"},
    {ATT_EXECUTING, ATT_UNKNOWN, "the outcome is not known (restart while executing)"},
    {ATT_UNKNOWN, ATT_SUCCEEDED, "an operator reconciled it as done"},
    {ATT_UNKNOWN, ATT_FAILED, "an operator reconciled it as not done"},
    {ATT_UNKNOWN, ATT_CANCELLED, "an operator abandoned it"},
};
const size_t attempt_table_len = sizeof attempt_table / sizeof attempt_table[0];

int attempt_transition_allowed(enum attempt_state from, enum attempt_state to)
{
    for (size_t i = 0; i < attempt_table_len; i++)
        if (attempt_table[i].from == from && attempt_table[i].to == to)
            return 1;
    return 0;
}

int attempt_transition_allowed_for(int kind, enum attempt_state from, enum attempt_state to)
{
    int recorded_only = from == ATT_PROPOSED && to == ATT_SUCCEEDED;
    if (kind == ACTION_RECOMMEND_ONLY)
        return from == ATT_PROPOSED && (to == ATT_SUCCEEDED || to == ATT_CANCELLED);
    return !recorded_only && attempt_transition_allowed(from, to);
}

int attempt_state_terminal(enum attempt_state s)
{
    return s == ATT_REJECTED || s == ATT_EXPIRED || s == ATT_SUCCEEDED || s == ATT_FAILED ||
           s == ATT_CANCELLED;
}

int attempt_state_open(enum attempt_state s)
{
    return s == ATT_PROPOSED || s == ATT_AWAITING_APPROVAL || s == ATT_APPROVED ||
           s == ATT_EXECUTING || s == ATT_UNKNOWN;
}

int attempt_state_started(enum attempt_state s)
{
    return s == ATT_EXECUTING || s == ATT_SUCCEEDED || s == ATT_FAILED || s == ATT_UNKNOWN;
}
