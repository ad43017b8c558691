/* Approval rules (see approval.h). */
#include "core/approval.h"

#include <string.h>

const char *approval_check_name(enum approval_check c)
{
    switch (c) {
    case APPROVAL_OK: return "ok";
    case APPROVAL_SELF_FORBIDDEN: return "self_approval_forbidden";
    case APPROVAL_EXPIRED: return "expired";
    case APPROVAL_ALREADY_DECIDED: return "already_decided";
    case APPROVAL_DUPLICATE_APPROVER: return "duplicate_approver";
    case APPROVAL_BAD_IDENTITY: return "bad_identity";
    }
    return "?";
}

int approval_effective_required(const struct approval_request *req, int policy_required)
{
    int n = req->approvers_required > policy_required ? req->approvers_required : policy_required;
    return n < 1 ? 1 : n;
}

int approval_effective_self_ok(const struct approval_request *req, int policy_self_ok)
{
    return req->allow_self_approval && policy_self_ok;
}

static int identity_ok(const char *who)
{
    return who && *who && strlen(who) <= APPROVAL_IDENTITY_MAX;
}

/* Distinct approvers that count, and whether anyone rejected. Records with a
 * bad identity never count. */
static int count_approvers(const struct approval_request *req, int self_ok,
                           const struct approval_record *recs, size_t nrecs, int *rejected)
{
    int n = 0;
    *rejected = 0;
    for (size_t i = 0; i < nrecs; i++) {
        if (!identity_ok(recs[i].approver))
            continue;
        if (recs[i].verdict == APPROVAL_REJECT) {
            *rejected = 1;
            continue;
        }
        if (!self_ok && strcmp(recs[i].approver, req->requested_by) == 0)
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = recs[j].verdict == APPROVAL_APPROVE &&
                   strcmp(recs[j].approver, recs[i].approver) == 0;
        n += !seen;
    }
    return n;
}

int approval_satisfied(const struct approval_request *req, int policy_required,
                       int policy_self_ok, const struct approval_record *recs, size_t nrecs,
                       int64_t now_ms)
{
    if (now_ms >= req->expires_ms)
        return 0;
    int rejected;
    int n = count_approvers(req, approval_effective_self_ok(req, policy_self_ok), recs, nrecs,
                            &rejected);
    return !rejected && n >= approval_effective_required(req, policy_required);
}

enum approval_check approval_can_decide(const struct approval_request *req,
                                        enum attempt_state state, int policy_required,
                                        int policy_self_ok, const char *who,
                                        enum approval_verdict verdict,
                                        const struct approval_record *recs, size_t nrecs,
                                        int64_t now_ms)
{
    if (!identity_ok(who))
        return APPROVAL_BAD_IDENTITY;
    if (state != ATT_AWAITING_APPROVAL)
        return APPROVAL_ALREADY_DECIDED;
    if (now_ms >= req->expires_ms)
        return APPROVAL_EXPIRED;
    int rejected;
    int self_ok = approval_effective_self_ok(req, policy_self_ok);
    int n = count_approvers(req, self_ok, recs, nrecs, &rejected);
    if (rejected || n >= approval_effective_required(req, policy_required))
        return APPROVAL_ALREADY_DECIDED;
    if (verdict == APPROVAL_REJECT)
        return APPROVAL_OK;
    if (!self_ok && strcmp(who, req->requested_by) == 0)
        return APPROVAL_SELF_FORBIDDEN;
    for (size_t i = 0; i < nrecs; i++)
        if (recs[i].verdict == APPROVAL_APPROVE && strcmp(recs[i].approver, who) == 0)
            return APPROVAL_DUPLICATE_APPROVER;
    return APPROVAL_OK;
}

enum approval_check approval_can_approve(const struct approval_request *req,
                                         enum attempt_state state, int policy_required,
                                         int policy_self_ok, const char *who,
                                         const struct approval_record *recs, size_t nrecs,
                                         int64_t now_ms)
{
    return approval_can_decide(req, state, policy_required, policy_self_ok, who,
                               APPROVAL_APPROVE, recs, nrecs, now_ms);
}
