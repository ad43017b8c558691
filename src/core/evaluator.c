/* The remediation evaluator: the guards, the playbook walk and the gate (see
 * evaluator.h for the contract, docs/actions.md for the rules in prose). */
#include "core/evaluator.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define HOUR_MS (3600LL * 1000)

static const char *const rc_names[RC__COUNT] = {
    [RC_ALLOWED] = "allowed",
    [RC_APPROVAL_REQUIRED] = "approval_required",
    [RC_RECOMMENDATION_ONLY] = "recommendation_only",
    [RC_DRY_RUN] = "dry_run",
    [RC_UNKNOWN_ACTION] = "unknown_action",
    [RC_NOT_IN_PLAYBOOK] = "not_in_playbook",
    [RC_AUTOMATION_DISABLED] = "automation_disabled",
    [RC_POSTURE_FORBIDS] = "posture_forbids",
    [RC_NO_TARGET] = "no_target",
    [RC_PROTECTED_NAMESPACE] = "protected_namespace",
    [RC_NOT_ALLOWLISTED] = "not_allowlisted",
    [RC_LOG_ONLY_EVIDENCE] = "log_only_evidence",
    [RC_ALREADY_PENDING] = "already_pending",
    [RC_BUDGET_EXHAUSTED] = "budget_exhausted",
    [RC_COOLDOWN] = "cooldown",
    [RC_HOURLY_RATE] = "hourly_rate",
    [RC_INCIDENT_INACTIVE] = "incident_inactive",
    [RC_APPROVAL_MISSING] = "approval_missing",
    [RC_APPROVAL_EXPIRED] = "approval_expired",
    [RC_NOT_RUNNABLE] = "not_runnable",
};

const char *reason_code_name(enum reason_code rc)
{
    if ((unsigned)rc >= RC__COUNT)
        return "?";
    return rc_names[rc];
}

int reason_code_parse(const char *s, enum reason_code *out)
{
    for (int i = 0; s && i < RC__COUNT; i++)
        if (strcmp(s, rc_names[i]) == 0) {
            *out = (enum reason_code)i;
            return 0;
        }
    return -1;
}

int finding_log_derived(const struct finding *f)
{
    if (!f || f->nevidence == 0)
        return 0;
    for (size_t i = 0; i < f->nevidence; i++)
        if (f->evidence[i].type != EV_LOG_EXCERPT)
            return 0;
    return 1;
}

/* ---- history queries ---- */

static int same(const struct action_history *h, enum action_id a, const char *target)
{
    return h->action == a && strcmp(h->target, target) == 0;
}

/* The moment an attempt last claimed its (action, target): its start, or its
 * proposal when it never started. */
static int64_t claimed_at(const struct action_history *h)
{
    return h->started_ms ? h->started_ms : h->created_ms;
}

/* An attempt uses budget and claims its target unless it was cancelled before
 * it ever started: one that started (even if later reconciled as cancelled)
 * may have changed the world. */
static int counts(const struct action_history *h)
{
    return h->state != ATT_CANCELLED || h->started_ms != 0;
}

static int counts_in_rate(enum action_id a)
{
    const struct action_def *d = action_get(a);
    return d && d->disruptive;
}

struct guard_ctx {
    const struct eval_input *in;
    int64_t exclude; /* attempt id not to count (the one being gated); 0 = none */
};

static int open_on(const struct guard_ctx *g, enum action_id a, const char *target)
{
    for (size_t i = 0; i < g->in->nhistory; i++) {
        const struct action_history *h = &g->in->history[i];
        if (h->attempt_id != g->exclude && same(h, a, target) && attempt_state_open(h->state))
            return 1;
    }
    return 0;
}

static int used_budget(const struct guard_ctx *g, enum action_id a)
{
    int n = 0;
    for (size_t i = 0; i < g->in->nhistory; i++) {
        const struct action_history *h = &g->in->history[i];
        n += h->attempt_id != g->exclude && h->incident_id == g->in->incident->id &&
             h->action == a && counts(h);
    }
    return n;
}

/* Latest claim on (action, target) by another attempt; 0 when none. A claim
 * in the future (the clock went back) counts as now: still cooling down. */
static int64_t last_claim(const struct guard_ctx *g, enum action_id a, const char *target,
                          int *found)
{
    int64_t last = 0;
    *found = 0;
    for (size_t i = 0; i < g->in->nhistory; i++) {
        const struct action_history *h = &g->in->history[i];
        if (h->attempt_id == g->exclude || !same(h, a, target) || !counts(h))
            continue;
        if (!*found || claimed_at(h) > last)
            last = claimed_at(h);
        *found = 1;
    }
    return last;
}

static int started_last_hour(const struct guard_ctx *g)
{
    int n = 0;
    int64_t now = g->in->now_ms;
    for (size_t i = 0; i < g->in->nhistory; i++) {
        const struct action_history *h = &g->in->history[i];
        if (h->attempt_id == g->exclude || !counts_in_rate(h->action) || !h->started_ms)
            continue;
        n += h->started_ms > now - HOUR_MS; /* later than now (clock went back) counts too */
    }
    return n;
}

static int listed(const char (*list)[ACTION_TARGET_MAX + 1], size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

static int ns_protected(const struct eval_policy *p, const char *ns)
{
    for (size_t i = 0; *ns && i < p->nprotected; i++)
        if (strcmp(p->protected_ns[i], ns) == 0)
            return 1;
    return 0;
}

static void say(struct decision *d, enum policy_action_mode mode, enum reason_code rc,
                const char *fmt, ...)
{
    d->mode = mode;
    d->reason_code = rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof d->reason, fmt, ap);
    va_end(ap);
}

/* Every guard for (action, target), in the documented order; the first that
 * fails decides the reason. */
static void guards(const struct guard_ctx *g, enum action_id a, const char *target,
                   int has_target, struct decision *d)
{
    const struct eval_input *in = g->in;
    const struct eval_policy *p = in->policy;
    const struct action_def *def = action_get(a);
    enum policy_action_mode mode = p->mode[a];
    d->dry_run = 0;
    if (a != ACT_NOTIFY && !p->automation_enabled)
        return say(d, MODE_DENY, RC_AUTOMATION_DISABLED,
                   "automation is disabled: only notify runs");
    if (p->posture == ENV_PRODUCTION && def->disruptive && mode == MODE_AUTO)
        return say(d, MODE_DENY, RC_POSTURE_FORBIDS,
                   "production: %s never runs without an approval", def->name);
    if (!has_target)
        return say(d, MODE_DENY, RC_NO_TARGET, "the finding does not name a target for %s",
                   def->name);
    char ns[ACTION_NS_MAX + 1];
    action_target_namespace(a, target, ns, sizeof ns);
    if (def->disruptive && ns_protected(p, ns))
        return say(d, MODE_DENY, RC_PROTECTED_NAMESPACE, "%s is a protected namespace", ns);
    if (def->needs_allowlist &&
        !(a == ACT_SUSPEND_CRONJOB ? listed(p->cronjobs, p->ncronjobs, target)
                                   : listed(p->workloads, p->nworkloads, target)))
        return say(d, MODE_DENY, RC_NOT_ALLOWLISTED, "%s is not in the %s allowlist", target,
                   a == ACT_SUSPEND_CRONJOB ? "cronjobs" : "workloads");
    if (def->disruptive && !in->incident->corroborated)
        return say(d, MODE_DENY, RC_LOG_ONLY_EVIDENCE,
                   "only log signatures support this incident; %s needs corroboration",
                   def->name);
    if (open_on(g, a, target))
        return say(d, MODE_DENY, RC_ALREADY_PENDING, "an attempt of %s on %s is still open",
                   def->name, target);
    int used = used_budget(g, a);
    if (used >= p->attempt_budget)
        return say(d, MODE_DENY, RC_BUDGET_EXHAUSTED, "%d of %d attempts of %s used", used,
                   p->attempt_budget, def->name);
    int found;
    int64_t last = last_claim(g, a, target, &found);
    if (found && in->now_ms - last < p->cooldown_ms[a])
        return say(d, MODE_DENY, RC_COOLDOWN, "%s on %s %lld s ago; cooldown %lld s", def->name,
                   target, (long long)((in->now_ms > last ? in->now_ms - last : 0) / 1000),
                   (long long)(p->cooldown_ms[a] / 1000));
    if (counts_in_rate(a)) {
        int n = started_last_hour(g);
        if (n >= p->max_actions_per_hour)
            return say(d, MODE_DENY, RC_HOURLY_RATE, "%d actions in the last hour; at most %d", n,
                       p->max_actions_per_hour);
    }
    if (mode == MODE_RECOMMEND)
        return say(d, MODE_RECOMMEND, RC_RECOMMENDATION_ONLY, "%s is a recommendation",
                   def->name);
    d->dry_run = p->dry_run && def->disruptive;
    if (mode == MODE_APPROVAL)
        return say(d, MODE_APPROVAL, RC_APPROVAL_REQUIRED, "%s on %s needs %d approver(s)%s",
                   def->name, target, p->approvers_required, d->dry_run ? " (dry run)" : "");
    if (d->dry_run)
        return say(d, MODE_AUTO, RC_DRY_RUN, "%s on %s allowed; dry run: preflight only",
                   def->name, target);
    return say(d, MODE_AUTO, RC_ALLOWED, "%s on %s allowed", def->name, target);
}

static int incident_active(const struct eval_incident *inc)
{
    return inc->last_status == FINDING_FIRING &&
           (inc->state == ST_OBSERVED || inc->state == ST_TRIAGED || inc->state == ST_CONTAINED ||
            inc->state == ST_ESCALATED);
}

static void deny_inactive(struct decision *d, const struct eval_incident *inc)
{
    say(d, MODE_DENY, RC_INCIDENT_INACTIVE, "the incident is %s",
        inc->last_status == FINDING_RESOLVED ? "no longer firing"
                                             : incident_state_name(inc->state));
}

static void decide(const struct guard_ctx *g, enum action_id a, int step, struct decision *d)
{
    memset(d, 0, sizeof *d);
    d->action = a;
    d->step = step;
    int has_target = action_target(a, g->in->incident->id, &g->in->incident->subject, d->target,
                                   sizeof d->target) == 0;
    guards(g, a, d->target, has_target, d);
}

/* Denials that hold for this incident whatever the clock says: the walk moves
 * on to the next step instead of waiting. */
static int permanent(enum reason_code rc)
{
    return rc == RC_NO_TARGET || rc == RC_NOT_ALLOWLISTED || rc == RC_PROTECTED_NAMESPACE ||
           rc == RC_LOG_ONLY_EVIDENCE || rc == RC_POSTURE_FORBIDS;
}

enum step_status { STEP_CANDIDATE, STEP_WAIT, STEP_DONE };

static enum step_status step_status(const struct eval_input *in, enum action_id a)
{
    const struct action_history *latest = NULL;
    int used = 0;
    for (size_t i = 0; i < in->nhistory; i++) {
        const struct action_history *h = &in->history[i];
        if (h->incident_id != in->incident->id || h->action != a)
            continue;
        used += counts(h);
        if (h->created_ms < in->incident->episode_start_ms)
            continue;
        if (attempt_state_open(h->state))
            return STEP_WAIT;
        if (!latest || h->created_ms > latest->created_ms ||
            (h->created_ms == latest->created_ms && h->attempt_id > latest->attempt_id))
            latest = h;
    }
    if (latest && latest->state == ATT_SUCCEEDED) {
        int64_t done = latest->finished_ms ? latest->finished_ms : latest->created_ms;
        return in->now_ms - done < in->policy->verify_ms[a] ? STEP_WAIT : STEP_DONE;
    }
    return used >= in->policy->attempt_budget ? STEP_DONE : STEP_CANDIDATE;
}

void evaluate(const struct eval_input *in, struct eval_result *out)
{
    out->n = 0; /* items past n are left as they were: clearing 16 KiB per call is the cost */
    out->escalate = 0;
    if (!incident_active(in->incident) ||
        (in->finding && in->finding->status == FINDING_RESOLVED))
        return;
    const struct guard_ctx g = {in, 0};
    const struct eval_playbook *pb = eval_playbook_for(in->policy, in->incident->class_);
    for (size_t i = 0; i < pb->nsteps && out->n < EVAL_MAX_DECISIONS; i++) {
        switch (step_status(in, pb->steps[i])) {
        case STEP_WAIT: return;
        case STEP_DONE: continue;
        case STEP_CANDIDATE: break;
        }
        struct decision *d = &out->items[out->n++];
        decide(&g, pb->steps[i], (int)i, d);
        if (d->mode != MODE_DENY || !permanent(d->reason_code))
            return;
    }
    out->escalate = in->incident->state != ST_ESCALATED;
}

static int in_playbook(const struct eval_playbook *pb, enum action_id a, int *step)
{
    for (size_t i = 0; i < pb->nsteps; i++)
        if (pb->steps[i] == a) {
            *step = (int)i;
            return 1;
        }
    return 0;
}

void evaluate_action(const struct eval_input *in, enum action_id action, struct decision *out)
{
    memset(out, 0, sizeof *out);
    out->action = action;
    out->step = -1;
    if (!action_get(action))
        return say(out, MODE_DENY, RC_UNKNOWN_ACTION, "not an action");
    if (!incident_active(in->incident))
        return deny_inactive(out, in->incident);
    int step;
    if (!in_playbook(eval_playbook_for(in->policy, in->incident->class_), action, &step))
        return say(out, MODE_DENY, RC_NOT_IN_PLAYBOOK, "the playbook of %s has no %s",
                   in->incident->class_ ? in->incident->class_ : "this class",
                   action_name(action));
    const struct guard_ctx g = {in, 0};
    decide(&g, action, step, out);
}

void evaluate_gate(const struct eval_input *in, const struct action_history *a,
                   const struct approval_request *req, const struct approval_record *recs,
                   size_t nrecs, struct decision *out)
{
    const struct eval_policy *p = in->policy;
    memset(out, 0, sizeof *out);
    out->action = a->action;
    out->step = -1;
    snprintf(out->target, sizeof out->target, "%s", a->target);
    if (!action_get(a->action))
        return say(out, MODE_DENY, RC_UNKNOWN_ACTION, "not an action");
    if (a->state != ATT_PROPOSED && a->state != ATT_APPROVED)
        return say(out, MODE_DENY, RC_NOT_RUNNABLE, "the attempt is %s",
                   attempt_state_name(a->state));
    if (req && in->now_ms >= req->expires_ms)
        return say(out, MODE_DENY, RC_APPROVAL_EXPIRED, "the approval request expired");
    if (action_get(a->action)->kind == ACTION_RECOMMEND_ONLY)
        return say(out, MODE_DENY, RC_RECOMMENDATION_ONLY, "a recommendation never runs");
    if (!incident_active(in->incident))
        return deny_inactive(out, in->incident);
    const struct guard_ctx g = {in, a->attempt_id};
    guards(&g, a->action, a->target, a->target[0] != '\0', out);
    if (out->mode == MODE_DENY || out->mode == MODE_RECOMMEND)
        return;
    if (out->mode == MODE_APPROVAL) {
        if (a->state != ATT_APPROVED || !req ||
            !approval_satisfied(req, p->approvers_required, p->allow_self_approval, recs, nrecs,
                                in->now_ms))
            return say(out, MODE_DENY, RC_APPROVAL_MISSING,
                       "not approved by %d distinct approver(s)",
                       req ? approval_effective_required(req, p->approvers_required)
                           : p->approvers_required);
    }
    int dry = out->dry_run;
    say(out, MODE_AUTO, dry ? RC_DRY_RUN : RC_ALLOWED, "%s on %s may start%s",
        action_name(a->action), a->target, dry ? " (dry run: preflight only)" : "");
}
