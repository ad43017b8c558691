/* The remediation half of the ledger service: decisions, action attempts,
 * approvals and the notification outbox. Every step is one write through the
 * store writer with its timeline entry, audit record and outbox event in the
 * same transaction (like ledger.h), and every entry point returns svc_status.
 *
 * Attempt states follow the transition table of core/attempt.h:
 *
 *   decision auto      -> proposed ----------------------------> executing
 *   decision approval  -> awaiting_approval -> approved -------> executing
 *                                           \-> rejected | expired
 *   decision recommend -> proposed (mode recommend: never executes)
 *   executing -> succeeded | failed ; left executing by a crash -> unknown
 *
 * Intent before action: actions_begin() makes the attempt durable in
 * `executing` (it carries its idempotency key from creation) before a runner
 * is called; actions_recover() at start-up turns every `executing` attempt
 * into `unknown`, which is shown and never re-run on its own.
 *
 * Approvals take an authenticated identity (name + role), not an HTTP request:
 * the API, the CLI (through the API) and chat callbacks (src/channels/) all
 * call approvals_decide().
 *
 * Events (docs/events.md): sre.action.proposed, sre.action.denied,
 * sre.action.vote, sre.action.approved, sre.action.rejected,
 * sre.action.expired, sre.action.executing, sre.action.succeeded,
 * sre.action.failed, sre.action.unknown, sre.action.verified; data is the
 * attempt (actions_attempt_json) with "approval" when one exists.
 */
#ifndef SREBOT_LEDGER_ACTIONS_H
#define SREBOT_LEDGER_ACTIONS_H

#include <jansson.h>
#include <stdint.h>

#include "core/problems.h"
#include "ledger/status.h"
#include "store/action_repo.h"
#include "store/store.h"

struct ledger;

/* Who is acting, already authenticated by the caller (token, chat signature). */
struct identity {
    char name[64];
    enum role role;
};

/* One evaluator decision, as the worker hands it over for the record. */
struct action_decision {
    const char *action;       /* policy action name */
    const char *target;       /* what it acts on ("" = the incident itself) */
    const char *mode;         /* auto | approval | recommend | deny */
    const char *reason_code;  /* stable code (docs/actions.md) */
    const char *reason;       /* one human line */
    const char *params_json;  /* runner parameters (JSON text) or NULL */
    int step;                 /* playbook step */
    int dry_run;              /* the policy's dry_run at decision time */
};

/* The approval rules in force when a request is made (policy automation.approval). */
struct approval_rules {
    int64_t expiry_ms;
    int approvers_required;   /* 1..2 */
    int allow_self_approval;
};

/* Records a decision: timeline entry ("decision", with the reason) and audit
 * record always; for a deny decision that is all (plus sre.action.denied).
 * Otherwise an attempt is created (state proposed, or awaiting_approval with an
 * approval request expiring at now + rules->expiry_ms) and sre.action.proposed
 * emitted. requested_by: "system" for the worker, else the operator. *out (may
 * be NULL) gets the attempt (id 0 for a denial). */
enum svc_status actions_record_decision(struct ledger *l, int64_t incident_id,
                                        const struct action_decision *d,
                                        const struct approval_rules *rules,
                                        const char *requested_by, int64_t now_ms,
                                        struct attempt_rec *out);

/* Intent before action: proposed (mode auto) or approved -> executing, durable
 * before this returns. SVC_CONFLICT when the attempt is in any other state
 * (already executing, done, or recommendation-only); SVC_EXPIRED when its
 * approval request expired meanwhile (the attempt becomes expired). */
enum svc_status actions_begin(struct ledger *l, int64_t attempt_id, int64_t now_ms,
                              struct attempt_rec *out);

/* executing -> succeeded | failed with the runner's result (JSON text:
 * {"outcome","changed","error",...}). verify_at_ms > 0 on success schedules
 * the closed-loop check; contain: move the incident to contained (a disruptive
 * action held the problem) when the lifecycle table allows it. */
enum svc_status actions_finish(struct ledger *l, int64_t attempt_id, int succeeded,
                               const char *result_json, int64_t verify_at_ms, int contain,
                               int64_t now_ms, struct attempt_rec *out);

/* A recommendation-only attempt: proposed -> succeeded with the
 * recommendation (result_json) recorded; nothing executes. */
enum svc_status actions_recommended(struct ledger *l, int64_t attempt_id, const char *result_json,
                                    int64_t now_ms);

/* An attempt that will not run: proposed / awaiting_approval / approved ->
 * `to` (cancelled, or expired when its approval ran out), with the reason in
 * the timeline (no runner, the gate refused it, invalid parameters...). */
enum svc_status actions_cancel(struct ledger *l, int64_t attempt_id, const char *to,
                               const char *reason, int64_t now_ms);

/* The system escalates an incident (no playbook step left, budget spent):
 * a lifecycle edge by the system when the table allows it, else nothing. */
enum svc_status actions_escalate(struct ledger *l, int64_t incident_id, const char *reason,
                                 int64_t now_ms);

/* Start-up reconciliation: every attempt left `executing` becomes `unknown`
 * (timeline, audit, sre.action.unknown). *n gets how many. */
enum svc_status actions_recover(struct ledger *l, int64_t now_ms, unsigned *n);

/* The closed-loop verdict for a succeeded attempt whose verify_at passed.
 * held: the signal cleared; the incident moves on by the lifecycle table
 * (contained -> recovering). Not held: recorded as failed; escalate moves the
 * incident to escalated (no playbook step left or the budget is spent).
 * evidence: what decided it (one line, in the timeline). */
enum svc_status actions_verified(struct ledger *l, int64_t attempt_id, int held, int escalate,
                                 const char *evidence, int64_t now_ms);

/* Pending approval requests past their expiry -> expired (and their attempts).
 * *n gets how many expired. */
enum svc_status approvals_expire(struct ledger *l, int64_t now_ms, unsigned *n);

/* One approver's vote. SVC_NOT_FOUND: no such request; SVC_DENIED: the role is
 * below operator, or self-approval where the request forbids it (p says why);
 * SVC_CONFLICT: already decided or this approver already voted; SVC_EXPIRED:
 * past expiry (the request becomes expired). A reject decides at once; an
 * approve decides when approvers_required distinct approvers agreed.
 * channel: "api", "console", "cli", "slack"... *answer: the request view. */
enum svc_status approvals_decide(struct ledger *l, int64_t request_id, const struct identity *who,
                                 int approve, const char *reason, const char *channel,
                                 int64_t now_ms, json_t **answer, struct problems *p);

/* The notification outbox (the notify runner's one effect): idempotent by
 * dedupe_key. *created: 0 when it was already there. */
enum svc_status actions_notification_post(struct ledger *l, struct notification_rec *r,
                                          int *created);

/* ---- reads (JSON views for the API, the CLI and the console) ---- */

/* {"id","incident_id","action","target","mode","state","reason_code","reason",
 *  "requested_by","step","dry_run","idempotency_key","params","result",
 *  "verification","verify_at","created_at","updated_at","started_at","finished_at"} */
json_t *actions_attempt_json(const struct attempt_rec *a);
/* {"id","incident_id","attempt_id","state","requested_by","requested_at",
 *  "expires_at","decided_at","approvers_required","allow_self_approval",
 *  "votes":[{"decision","by","role","channel","reason","at"}],"attempt":{...}} */
enum svc_status actions_approval_view(struct store *s, int64_t request_id, json_t **out);
/* {"items":[approval view...],"next_cursor"} newest first */
enum svc_status actions_approval_list(struct store *s, const struct approval_filter *f,
                                      json_t **out);
enum svc_status actions_attempt_list(struct store *s, const struct attempt_filter *f,
                                     json_t **out);
/* An incident's decisions (its "decision" timeline entries), oldest first. */
enum svc_status actions_decisions_of(struct store *s, int64_t incident_id, unsigned limit,
                                     json_t **out);
enum svc_status actions_pending_count(struct store *s, int64_t *n);
enum svc_status actions_notification_list(struct store *s, int64_t before_id, unsigned limit,
                                          json_t **out);

#endif
