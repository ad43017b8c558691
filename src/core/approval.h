/* Approval rules, pure (docs/actions.md, "Approvals").
 *
 * An approval request belongs to one attempt in awaiting_approval. It carries
 * the rules that applied when it was opened; a decision is checked against the
 * STRICTER of those and the policy of now (more approvers, no self-approval if
 * either says so), so a policy change never makes an open request easier.
 *
 * Identities are the authenticated names of operators (token names, chat users
 * mapped to operators): the caller authenticates; these functions only compare.
 * The same entry point serves the API, the CLI and chat callbacks.
 */
#ifndef SREBOT_CORE_APPROVAL_H
#define SREBOT_CORE_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/attempt.h"

#define APPROVAL_IDENTITY_MAX 128

struct approval_request {
    int64_t attempt_id;
    char requested_by[APPROVAL_IDENTITY_MAX + 1]; /* "srebot" for the evaluator's own proposals */
    int64_t created_ms;
    int64_t expires_ms;          /* created + automation.approval.expiry_seconds */
    int approvers_required;      /* snapshot at creation */
    int allow_self_approval;     /* snapshot at creation */
};

enum approval_verdict { APPROVAL_APPROVE = 0, APPROVAL_REJECT };

struct approval_record {
    char approver[APPROVAL_IDENTITY_MAX + 1];
    enum approval_verdict verdict;
    int64_t at_ms;
};

enum approval_check {
    APPROVAL_OK = 0,
    APPROVAL_SELF_FORBIDDEN,   /* the requester may not approve (allow_self_approval false) */
    APPROVAL_EXPIRED,          /* now >= expires_ms */
    APPROVAL_ALREADY_DECIDED,  /* not awaiting_approval any more, rejected, or already satisfied */
    APPROVAL_DUPLICATE_APPROVER, /* this identity already approved */
    APPROVAL_BAD_IDENTITY,     /* empty or longer than APPROVAL_IDENTITY_MAX */
};
const char *approval_check_name(enum approval_check c); /* "ok", "self_approval_forbidden", ... */

/* The effective rules: max(req, policy) approvers; self-approval only when both allow. */
int approval_effective_required(const struct approval_request *req, int policy_required);
int approval_effective_self_ok(const struct approval_request *req, int policy_self_ok);

/* May `who` record `verdict` on the request now? state is the attempt's state.
 * policy_required / policy_self_ok: automation.approval of the current policy.
 * A rejection by anyone (also the requester: withdrawing is safe) is allowed
 * while the request is open; an approval obeys self-approval and distinctness. */
enum approval_check approval_can_decide(const struct approval_request *req,
                                        enum attempt_state state, int policy_required,
                                        int policy_self_ok, const char *who,
                                        enum approval_verdict verdict,
                                        const struct approval_record *recs, size_t nrecs,
                                        int64_t now_ms);
/* Shorthand for verdict APPROVAL_APPROVE. */
enum approval_check approval_can_approve(const struct approval_request *req,
                                         enum attempt_state state, int policy_required,
                                         int policy_self_ok, const char *who,
                                         const struct approval_record *recs, size_t nrecs,
                                         int64_t now_ms);

/* 1 when, at now, the request is not expired, nobody rejected it, and distinct
 * approvers who count (not the requester unless self-approval is allowed) reach
 * the effective number. */
int approval_satisfied(const struct approval_request *req, int policy_required,
                       int policy_self_ok, const struct approval_record *recs, size_t nrecs,
                       int64_t now_ms);

#endif
