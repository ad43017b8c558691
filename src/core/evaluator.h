/* The remediation evaluator: a pure function from
 *     (policy view, incident, trigger, recent action history, clock)
 * to a list of decisions {action, target, mode, reason_code, reason}.
 * docs/actions.md describes every guard and reason code.
 *
 * How the caller (the remediation worker) uses it:
 *   1. Once per policy version: eval_policy_create(doc) -> struct eval_policy
 *      (a flat, typed copy of what the evaluator reads; independent of doc).
 *   2. On a folded finding or on a tick, for an incident: fill struct eval_input
 *      and call evaluate(). Each decision in the answer is recorded in the
 *      timeline (a deny too, with its reason). A decision with mode auto becomes
 *      an attempt proposed -> executing; approval: proposed -> awaiting_approval
 *      (an approval request, core/approval.h); recommend: an attempt proposed ->
 *      succeeded (recorded, no runner; attempt_transition_allowed_for()), which
 *      counts in budgets like any attempt.
 *      eval_result.escalate asks the worker to escalate the incident.
 *   3. Right before handing an attempt to a runner (proposed/auto, or approved):
 *      evaluate_gate() re-checks every guard with the policy and history of
 *      NOW (the kill switch, cooldown, rate and expiry may have changed since the
 *      proposal). Not allowed -> the attempt is cancelled (or expired), with the
 *      gate's reason in the timeline.
 *   4. After success: verify_after_success() says when to look again and what
 *      the outcome of verification is (core/verify in this header, below).
 *
 * Determinism: the same inputs give the same decisions in the same order (the
 * class's playbook order). Nothing here reads a clock, a random source or a
 * global; history may be given in any order.
 *
 * The walk over the playbook (class -> ordered action list, policy `playbooks`):
 *   for each step in order, looking at this incident's attempts of that action:
 *     - an open attempt (proposed, awaiting_approval, approved, executing,
 *       unknown)                                   -> wait: stop, no decision
 *     - the latest succeeded less than verify_seconds ago -> wait: stop
 *     - the latest succeeded longer ago (the incident is still open and firing,
 *       so it did not help)                         -> step done, next step
 *     - attempts used up (attempt_budget)           -> step done, next step
 *     - otherwise (none yet, or the latest failed / was rejected / expired /
 *       cancelled) this step is the candidate: run the guards.
 *         temporary deny (cooldown, hourly_rate, already_pending,
 *         automation_disabled)                     -> record it, stop
 *         permanent deny for this incident (no_target, not_allowlisted,
 *         protected_namespace, log_only_evidence, posture_forbids)
 *                                                  -> record it, next step
 *         auto / approval / recommend              -> record it, stop
 *   Every step done and the incident still open and firing -> escalate = 1.
 *   A resolved, recovering or suppressed incident, or one whose latest finding
 *   is resolved, gets no decisions (nothing to remediate).
 */
#ifndef SREBOT_CORE_EVALUATOR_H
#define SREBOT_CORE_EVALUATOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/actions.h"
#include "core/approval.h"
#include "core/attempt.h"
#include "core/config.h"
#include "core/finding.h"
#include "core/lifecycle.h"
#include "core/policy.h"

/* ---- reason codes: stable names, used in the timeline, events and the API ---- */
enum reason_code {
    RC_ALLOWED = 0,          /* auto: runs now */
    RC_APPROVAL_REQUIRED,    /* approval: waits for an approval request */
    RC_RECOMMENDATION_ONLY,  /* recommend: recorded, never executed */
    RC_DRY_RUN,              /* auto/approval, but dry_run: runners only preflight */
    RC_UNKNOWN_ACTION,       /* deny: the name is not in the catalogue */
    RC_NOT_IN_PLAYBOOK,      /* deny: the class's playbook does not lead to this action */
    RC_AUTOMATION_DISABLED,  /* deny: automation.enabled false (kill switch); notify still runs */
    RC_POSTURE_FORBIDS,      /* deny: production never runs a disruptive action on its own */
    RC_NO_TARGET,            /* deny: the finding does not name what to act on */
    RC_PROTECTED_NAMESPACE,  /* deny: the target is in allowlists.protected_namespaces */
    RC_NOT_ALLOWLISTED,      /* deny: suspend_cronjob / scale_to_zero outside their allowlist */
    RC_LOG_ONLY_EVIDENCE,    /* deny: a disruptive action on log signatures alone */
    RC_ALREADY_PENDING,      /* deny: an open attempt holds this (action, target) */
    RC_BUDGET_EXHAUSTED,     /* deny: attempt_budget attempts of this action on this incident */
    RC_COOLDOWN,             /* deny: (action, target) ran or was proposed within its cooldown */
    RC_HOURLY_RATE,          /* deny: max_actions_per_hour actions started in the last hour */
    RC_INCIDENT_INACTIVE,    /* deny (gate): the incident is resolved, recovering or suppressed */
    RC_APPROVAL_MISSING,     /* deny (gate): not approved by enough distinct approvers */
    RC_APPROVAL_EXPIRED,     /* deny (gate): the approval request expired */
    RC_NOT_RUNNABLE,         /* deny (gate): the attempt is not proposed / approved */
    RC__COUNT
};
const char *reason_code_name(enum reason_code rc); /* "allowed", "cooldown", ... */
int reason_code_parse(const char *s, enum reason_code *out);

/* MODE_DENY / MODE_AUTO / MODE_APPROVAL / MODE_RECOMMEND and their names
 * ("deny" "auto" "approval" "recommend") come from core/policy.h. */

/* ---- the policy view: extracted once per policy version ---- */
#define EVAL_MAX_PROTECTED 64
#define EVAL_MAX_ALLOW 256
#define EVAL_MAX_PLAYBOOKS 64
#define EVAL_MAX_STEPS 16

struct eval_playbook {
    char class_[FINDING_CLASS_MAX + 1]; /* "" for the default playbook */
    enum action_id steps[EVAL_MAX_STEPS];
    size_t nsteps;
};

struct eval_policy {
    enum environment posture;
    int automation_enabled;              /* the kill switch: 0 stops all but notify */
    int dry_run;
    int max_actions_per_hour;            /* 0 = none (notify and recommendations don't count) */
    int attempt_budget;                  /* attempts of one action per incident */
    enum policy_action_mode mode[ACT__COUNT]; /* policy_action_mode() per action */
    int64_t cooldown_ms[ACT__COUNT];
    int64_t verify_ms[ACT__COUNT];
    int64_t approval_expiry_ms;
    int approvers_required;              /* 1..2 */
    int allow_self_approval;
    char protected_ns[EVAL_MAX_PROTECTED][ACTION_NS_MAX + 1];
    size_t nprotected;
    char cronjobs[EVAL_MAX_ALLOW][ACTION_TARGET_MAX + 1];  /* "<ns>/<name>" */
    size_t ncronjobs;
    char workloads[EVAL_MAX_ALLOW][ACTION_TARGET_MAX + 1]; /* "<ns>/<Kind>/<name>" */
    size_t nworkloads;
    struct eval_playbook playbooks[EVAL_MAX_PLAYBOOKS];    /* per class, from the policy */
    size_t nplaybooks;
    struct eval_playbook default_playbook; /* classes without their own */
};

/* Builds the view of a VALIDATED policy document (policy_validate() == 0);
 * doc == NULL gives the view of the demo defaults' safety floor: automation
 * off (only notify), catalogue cooldowns/verify, built-in playbooks. NULL only
 * when out of memory. The view does not point into doc. */
struct eval_policy *eval_policy_create(const json_t *doc);
void eval_policy_destroy(struct eval_policy *p); /* NULL is fine */

/* The playbook for a class (its own, else the default). Never NULL. */
const struct eval_playbook *eval_playbook_for(const struct eval_policy *p, const char *cls);

/* ---- inputs ---- */
struct eval_incident {
    int64_t id;
    const char *class_;
    enum incident_state state;
    enum finding_status last_status;     /* of the latest finding folded in */
    int corroborated;                    /* 1 when some firing finding of it is not
                                          * log-derived (finding_log_derived() == 0) */
    struct action_subject subject;       /* from the latest firing finding's attributes */
    int64_t episode_start_ms;            /* when it (re)opened: the playbook walk looks at
                                          * attempts created since then (0 = all); budgets
                                          * count every attempt of the incident */
};

/* One attempt as the evaluator needs to see it. The caller passes every attempt
 * of this incident, and every attempt of any incident that is open or was
 * created or started within the last max(longest cooldown, 1 hour). */
struct action_history {
    int64_t attempt_id;
    enum action_id action;
    char target[ACTION_TARGET_MAX + 1];
    int64_t incident_id;
    enum attempt_state state;
    int64_t created_ms;   /* proposed at (the "at_ms" of the decision) */
    int64_t started_ms;   /* entered executing; 0 if never. Kept whatever follows: an
                           * attempt that started counts in budget, cooldown and
                           * hourly rate even if later reconciled as cancelled */
    int64_t finished_ms;  /* reached succeeded / failed / ...; 0 if not yet */
};

enum eval_trigger { EVAL_TRIGGER_FINDING = 0, EVAL_TRIGGER_TICK };

struct eval_input {
    const struct eval_policy *policy;
    const struct eval_incident *incident;
    enum eval_trigger trigger;
    const struct finding *finding;       /* the triggering finding, or NULL on a tick */
    const struct action_history *history;
    size_t nhistory;
    int64_t now_ms;
};

/* ---- outputs ---- */
#define EVAL_REASON_MAX 640
#define EVAL_MAX_DECISIONS EVAL_MAX_STEPS

struct decision {
    enum action_id action;
    char target[ACTION_TARGET_MAX + 1];  /* "" when the action has none (no_target) */
    enum policy_action_mode mode;
    enum reason_code reason_code;
    int dry_run;                         /* 1: record and preflight only */
    int step;                            /* index in the playbook; -1 for a gate answer */
    char reason[EVAL_REASON_MAX];        /* one human line, e.g. "cooldown: ran 120 s ago, 600 s" */
};

struct eval_result {
    struct decision items[EVAL_MAX_DECISIONS];
    size_t n;
    int escalate;      /* every playbook step is done and the incident still fires */
};

/* Decides what may happen next for one incident. Sets out->n (may be 0),
 * out->escalate and items[0..n) (each fully written); items past n are untouched. */
void evaluate(const struct eval_input *in, struct eval_result *out);

/* The decision for one named action on this incident (an operator's request,
 * or the what-if replay): every guard, including not_in_playbook. */
void evaluate_action(const struct eval_input *in, enum action_id action, struct decision *out);

/* The re-check right before a runner is called for attempt `a` (state proposed
 * or approved; `a` itself is ignored in history). With mode approval, `req` and
 * its approvals must satisfy approval_satisfied() at now; an expired request is
 * RC_APPROVAL_EXPIRED. out->mode is MODE_AUTO (go) or MODE_DENY (cancel, or
 * expire for RC_APPROVAL_EXPIRED); recommendation-only actions are never
 * allowed through the gate. req may be NULL for an automatic attempt. */
void evaluate_gate(const struct eval_input *in, const struct action_history *a,
                   const struct approval_request *req, const struct approval_record *recs,
                   size_t nrecs, struct decision *out);

/* 1 when a finding is derived from log signatures only: it has evidence and all
 * of it is log_excerpt. Such findings never corroborate an incident. */
int finding_log_derived(const struct finding *f);

/* ---- closed-loop verification ---- */
enum verify_verdict {
    VERIFY_WAIT = 0,    /* watch until due_ms */
    VERIFY_CLEARED,     /* the signal cleared: the incident moves on (move_to) */
    VERIFY_NEXT_STEP,   /* not cleared: evaluate() proposes the next playbook step */
    VERIFY_ESCALATE,    /* not cleared and no step left within the budget: escalate */
};
const char *verify_verdict_name(enum verify_verdict v);

struct verify_result {
    enum verify_verdict verdict;
    int64_t due_ms;                /* succeeded at + verify_seconds of the action */
    int has_move;                  /* move the incident to move_to (system edge in the
                                    * lifecycle table) */
    enum incident_state move_to;
    char reason[EVAL_REASON_MAX];  /* the timeline line, naming what decided it */
};

/* The incident state right after an action succeeded: contained when the
 * lifecycle table lets the system take it from `from`, else from itself
 * (*changed = 0). */
enum incident_state remed_state_after_success(enum incident_state from, int *changed);

/* Verification of succeeded attempt `a` (in->incident is its incident; in->history
 * has its attempts). Cleared = the latest finding is resolved or the incident
 * already recovers/resolved. Not cleared after due_ms: the next step if
 * evaluate() would still propose one, else escalate. */
void verify_after_success(const struct eval_input *in, const struct action_history *a,
                          struct verify_result *out);

#endif
