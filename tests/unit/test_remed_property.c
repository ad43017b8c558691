/* Safety proven, not hoped: a property test of the remediation core.
 *
 * A small model executor (the reference for the remediation worker) drives the
 * real folding, evaluator, gate, verification, attempt table and approval
 * rules with random sequences of: findings (firing / resolved, log-only or
 * corroborated, changing targets), ticks, clock jumps (also backwards), policy
 * changes including the kill switch, approvals and rejections by random
 * identities (the requester among them), expiries, runner successes and
 * failures, crashes between any two steps (executing -> unknown on restart),
 * operator reconciliation and operator requests. After every step, and at
 * every start of an action, it checks the invariants of docs/actions.md:
 *
 *   I1 no disruptive action starts without the approval records it needs, by
 *      distinct approvers where required, never at or after its expiry;
 *   I2 no (action, target) starts inside its cooldown;
 *   I3 no action starts past the incident's attempt budget;
 *   I4 no disruptive action starts past the hourly rate;
 *   I5 nothing disruptive starts on a protected namespace, outside its
 *      allowlist, or on log evidence alone;
 *   I6 with the kill switch on, the next evaluation decides nothing but notify
 *      (every other decision is a deny) and nothing but notify starts;
 *   I7 every decision and every attempt state has a timeline entry;
 *   I8 an attempt is never executed twice, nor an (action, target) while
 *      another attempt on it is executing or unknown; every transition is in
 *      the table; every incident move is a system edge of the lifecycle table;
 *   I9 the evaluator is deterministic (same inputs, same decisions).
 *
 * Reproducible: SREBOT_PROP_SEED=<n> sets the base seed (printed at the
 * start and on failure), SREBOT_PROP_SEQS=<n> the number of sequences
 * (default 1,000,000), SREBOT_PROP_ONLY=<i> replays sequence i alone with a
 * trace of every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/evaluator.h"
#include "core/fold.h"

#define DEFAULT_SEQS 1000000L
#define MAX_STEPS 20       /* steps per sequence: 1..MAX_STEPS */
#define NINC 3             /* incident identities per sequence */
#define MAXA 32            /* attempts per sequence */
#define MAXR 6             /* approval records per attempt */
#define MAX_TL 256         /* timeline entries per sequence */
#define NVARIANTS 24       /* policy versions (each with a kill-switch twin) */
#define HOUR_MS (3600LL * 1000)

static const char *const classes[NINC] = {"infrastructure.node_disk_pressure",
                                          "async_workloads.queue_backlog",
                                          "application_services.pod_restart_pressure"};
static const char *const subjects_json[] = {
    "{\"namespace\":\"shop\",\"workload_kind\":\"Deployment\",\"workload\":\"cart\",\"node\":\"n1\"}",
    "{\"namespace\":\"jobs\",\"cronjob\":\"nightly\",\"workload_kind\":\"Deployment\",\"workload\":\"worker\"}",
    "{\"namespace\":\"kube-system\",\"cronjob\":\"nightly\",\"workload_kind\":\"Deployment\",\"workload\":\"dns\",\"node\":\"n2\"}",
    "{\"namespace\":\"jobs\",\"cronjob\":\"other\",\"node\":\"n1\"}",
    "{}",
    "{\"namespace\":\"shop\",\"cronjob\":\"nightly\",\"workload_kind\":\"StatefulSet\",\"workload\":\"db\"}",
};
#define NSUBJ (sizeof subjects_json / sizeof subjects_json[0])
static const char *const identities[] = {"srebot", "alice", "bob", "carol", "dave"};
#define NID 5

static struct action_subject subjects[NSUBJ];
static struct eval_policy *variants[NVARIANTS * 2]; /* [2i] enabled, [2i+1] kill switch */
static const struct fold_params fold_p = {.reopen_window_ms = 30 * 60 * 1000LL,
                                          .quiet_period_ms = 5 * 60 * 1000LL};

struct att {
    struct approval_request req;
    int has_req;
    struct approval_record recs[MAXR];
    size_t nrecs;
    int execs;
    int verified;
    size_t tl; /* timeline entry of its current state */
};

enum tl_kind { TL_DECISION, TL_STATE, TL_GATE, TL_VERIFY, TL_INCIDENT };
struct tl_entry {
    enum tl_kind kind;
    int64_t attempt;
    int what; /* mode, state, verdict or incident state */
};

struct model {
    uint64_t rng;
    int64_t now;
    int pol_idx;
    const struct eval_policy *pol;
    struct incident inc[NINC];
    int exists[NINC];
    struct eval_incident ev[NINC];
    struct finding f[NINC];
    int64_t next_incident_id;
    struct action_history hist[MAXA];
    struct att ext[MAXA];
    size_t na;
    struct tl_entry tl[MAX_TL];
    size_t ntl;
    int full; /* a bound of the model was reached: end the sequence */
    int trace;
    char failure[600];
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rnd(struct model *m, unsigned n)
{
    return (unsigned)(splitmix(&m->rng) % n);
}

static void violated(struct model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violated(struct model *m, const char *fmt, ...)
{
    if (m->failure[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->failure, sizeof m->failure, fmt, ap);
    va_end(ap);
}

static void tl_add(struct model *m, enum tl_kind k, int64_t attempt, int what)
{
    if (m->ntl == MAX_TL) {
        m->full = 1;
        return;
    }
    m->tl[m->ntl++] = (struct tl_entry){k, attempt, what};
}

/* ---- policy versions ---- */
static struct eval_policy *make_variant(uint64_t *s, int enabled)
{
    static const enum environment postures[] = {ENV_DEMO, ENV_STAGING, ENV_PRODUCTION};
    uint64_t r = splitmix(s);
    enum environment posture = postures[r % 3];
    struct policy_seed seed = {.posture = posture};
    json_t *doc = policy_defaults(&seed);
    json_t *au = json_object_get(doc, "automation");
    json_t *ap = json_object_get(au, "approval");
    json_object_set_new(au, "enabled", json_boolean(enabled));
    json_object_set_new(au, "dry_run", json_boolean((r >> 8) % 5 == 0));
    json_object_set_new(au, "attempt_budget", json_integer(1 + (int)((r >> 12) % 3)));
    static const int rates[] = {0, 1, 3, 20};
    json_object_set_new(au, "max_actions_per_hour", json_integer(rates[(r >> 16) % 4]));
    static const int cds[] = {0, 60, 600, 3600};
    json_object_set_new(json_object_get(au, "cooldown_seconds"), "default",
                        json_integer(cds[(r >> 20) % 4]));
    json_object_set_new(ap, "approvers_required", json_integer(1 + (int)((r >> 24) % 2)));
    json_object_set_new(ap, "expiry_seconds", json_integer((r >> 26) % 2 ? 60 : 900));
    if (posture != ENV_PRODUCTION)
        json_object_set_new(ap, "allow_self_approval", json_boolean((r >> 28) % 2));
    json_t *al = json_object_get(doc, "allowlists");
    int protect_shop = (r >> 30) % 3 == 0;
    json_object_set_new(al, "cronjobs",
                        protect_shop
                            ? json_pack("[{s:s,s:s}]", "namespace", "jobs", "name", "nightly")
                            : json_pack("[{s:s,s:s},{s:s,s:s}]", "namespace", "jobs", "name",
                                        "nightly", "namespace", "shop", "name", "nightly"));
    json_object_set_new(al, "workloads",
                        json_pack("[{s:s,s:s,s:s}]", "namespace", "jobs", "kind", "Deployment",
                                  "name", "worker"));
    if (protect_shop)
        json_array_append_new(json_object_get(al, "protected_namespaces"), json_string("shop"));
    if ((r >> 34) % 2)
        json_object_set_new(json_object_get(au, "verify_seconds"), "notify", json_integer(30));
    struct problems *p = calloc(1, sizeof *p);
    problems_init(p);
    if (policy_validate(doc, p) != 0)
        fail_msg("variant does not validate: %s %s", p->items[0].path, p->items[0].message);
    free(p);
    struct eval_policy *v = eval_policy_create(doc);
    json_decref(doc);
    return v;
}

/* ---- the executor ---- */
static int incident_slot(const struct model *m, int64_t id)
{
    for (int i = 0; i < NINC; i++)
        if (m->exists[i] && m->ev[i].id == id)
            return i;
    return -1;
}

static void move_incident(struct model *m, int i, enum incident_state to, const char *why)
{
    if (m->inc[i].state == to)
        return;
    if (!lifecycle_allowed_edge(m->inc[i].state, to, BY_SYSTEM))
        violated(m, "I8: incident %s -> %s is not a system edge (%s)",
             incident_state_name(m->inc[i].state), incident_state_name(to), why);
    incident_set_state(&m->inc[i], to, m->now, 0);
    m->ev[i].state = to;
    tl_add(m, TL_INCIDENT, m->ev[i].id, to);
}

static void transition(struct model *m, size_t a, enum attempt_state to)
{
    struct action_history *h = &m->hist[a];
    const struct action_def *d = action_get(h->action);
    if (!attempt_transition_allowed_for(d->kind, h->state, to))
        violated(m, "I8: attempt %lld %s -> %s is not in the table", (long long)h->attempt_id,
             attempt_state_name(h->state), attempt_state_name(to));
    if (to == ATT_EXECUTING) {
        if (m->ext[a].execs++)
            violated(m, "I8: attempt %lld executed twice", (long long)h->attempt_id);
        h->started_ms = m->now;
    }
    if (to == ATT_SUCCEEDED || to == ATT_FAILED || attempt_state_terminal(to))
        h->finished_ms = m->now;
    h->state = to;
    m->ext[a].tl = m->ntl;
    tl_add(m, TL_STATE, h->attempt_id, to);
    if (m->trace)
        fprintf(stderr, "    attempt %lld %s %s -> %s\n", (long long)h->attempt_id,
                action_name(h->action), h->target, attempt_state_name(to));
}

static void sync_view(struct model *m, int i)
{
    m->ev[i].state = m->inc[i].state;
    m->ev[i].last_status = m->inc[i].last_status;
}

static struct eval_input input(struct model *m, int i)
{
    sync_view(m, i);
    return (struct eval_input){.policy = m->pol, .incident = &m->ev[i], .history = m->hist,
                               .nhistory = m->na, .now_ms = m->now,
                               .trigger = EVAL_TRIGGER_TICK};
}

static void process_decision(struct model *m, int i, const struct decision *d,
                             const char *requester)
{
    tl_add(m, TL_DECISION, 0, d->mode);
    if (m->trace)
        fprintf(stderr, "    decision %s %s: %s %s (%s)\n", action_name(d->action), d->target,
                policy_action_mode_name(d->mode), reason_code_name(d->reason_code), d->reason);
    if (!m->pol->automation_enabled && d->action != ACT_NOTIFY && d->mode != MODE_DENY)
        violated(m, "I6: kill switch on, yet %s decided %s", action_name(d->action),
             policy_action_mode_name(d->mode));
    if (d->mode == MODE_DENY)
        return;
    if (m->na == MAXA) {
        m->full = 1;
        return;
    }
    size_t a = m->na++;
    struct action_history *h = &m->hist[a];
    memset(h, 0, sizeof *h);
    memset(&m->ext[a], 0, sizeof m->ext[a]);
    h->attempt_id = (int64_t)a + 1;
    h->action = d->action;
    memcpy(h->target, d->target, sizeof h->target);
    h->incident_id = m->ev[i].id;
    h->state = ATT_PROPOSED;
    h->created_ms = m->now;
    m->ext[a].tl = m->ntl;
    tl_add(m, TL_STATE, h->attempt_id, ATT_PROPOSED);
    if (d->mode == MODE_RECOMMEND) {
        transition(m, a, ATT_SUCCEEDED);
    } else if (d->mode == MODE_APPROVAL) {
        struct approval_request *r = &m->ext[a].req;
        m->ext[a].has_req = 1;
        r->attempt_id = h->attempt_id;
        snprintf(r->requested_by, sizeof r->requested_by, "%s", requester);
        r->created_ms = m->now;
        r->expires_ms = m->now + m->pol->approval_expiry_ms;
        r->approvers_required = m->pol->approvers_required;
        r->allow_self_approval = m->pol->allow_self_approval;
        transition(m, a, ATT_AWAITING_APPROVAL);
    }
}

static void run_evaluation(struct model *m, int i, const struct finding *f)
{
    if (!m->exists[i])
        return;
    struct eval_input in = input(m, i);
    if (f) {
        in.trigger = EVAL_TRIGGER_FINDING;
        in.finding = f;
    }
    struct eval_result r;
    evaluate(&in, &r);
    if (rnd(m, 16) == 0) { /* I9 */
        struct eval_result again;
        evaluate(&in, &again);
        if (again.n != r.n || again.escalate != r.escalate ||
            (r.n && memcmp(again.items, r.items, r.n * sizeof r.items[0]) != 0))
            violated(m, "I9: the same inputs gave different decisions");
    }
    for (size_t k = 0; k < r.n; k++)
        process_decision(m, i, &r.items[k], "srebot");
    if (r.escalate)
        move_incident(m, i, ST_ESCALATED, "escalation");
}

/* I1-I6 at the moment an attempt is handed to a runner. */
static void check_start(struct model *m, size_t a)
{
    const struct action_history *h = &m->hist[a];
    const struct att *x = &m->ext[a];
    const struct eval_policy *p = m->pol;
    const struct action_def *d = action_get(h->action);
    const char *name = d->name;
    if (!p->automation_enabled && h->action != ACT_NOTIFY)
        violated(m, "I6: %s started with the kill switch on", name);
    if (d->kind == ACTION_RECOMMEND_ONLY)
        violated(m, "recommendation %s started", name);
    int needs = p->mode[h->action] == MODE_APPROVAL ||
                (d->disruptive && p->posture == ENV_PRODUCTION);
    if (x->has_req && m->now >= x->req.expires_ms)
        violated(m, "I1: %s started after its approval expired", name);
    if (needs) {
        if (!x->has_req || h->state != ATT_APPROVED)
            violated(m, "I1: %s started without an approval", name);
        int self_ok = x->req.allow_self_approval && p->allow_self_approval;
        int want = x->req.approvers_required > p->approvers_required ? x->req.approvers_required
                                                                     : p->approvers_required;
        int distinct = 0;
        for (size_t k = 0; k < x->nrecs; k++) {
            if (x->recs[k].verdict == APPROVAL_REJECT)
                violated(m, "I1: %s started although rejected", name);
            if (!self_ok && strcmp(x->recs[k].approver, x->req.requested_by) == 0)
                continue;
            int dup = 0;
            for (size_t j = 0; j < k; j++)
                dup |= strcmp(x->recs[j].approver, x->recs[k].approver) == 0;
            distinct += !dup;
        }
        if (distinct < want)
            violated(m, "I1: %s started with %d distinct approver(s), %d needed", name, distinct,
                 want);
    }
    char ns[ACTION_NS_MAX + 1];
    action_target_namespace(h->action, h->target, ns, sizeof ns);
    for (size_t k = 0; d->disruptive && k < p->nprotected; k++)
        if (strcmp(ns, p->protected_ns[k]) == 0)
            violated(m, "I5: %s started in protected namespace %s", name, ns);
    if (d->needs_allowlist) {
        int ok = 0;
        size_t n = h->action == ACT_SUSPEND_CRONJOB ? p->ncronjobs : p->nworkloads;
        for (size_t k = 0; k < n; k++)
            ok |= strcmp(h->action == ACT_SUSPEND_CRONJOB ? p->cronjobs[k] : p->workloads[k],
                         h->target) == 0;
        if (!ok)
            violated(m, "I5: %s started on %s outside its allowlist", name, h->target);
    }
    int slot = incident_slot(m, h->incident_id);
    if (d->disruptive && (slot < 0 || !m->ev[slot].corroborated))
        violated(m, "I5: %s started on log evidence alone", name);
    int budget = 1, rate = 1;
    for (size_t k = 0; k < m->na; k++) {
        const struct action_history *o = &m->hist[k];
        if (k == a || !o->started_ms)
            continue;
        if (o->action == h->action && strcmp(o->target, h->target) == 0 &&
            (o->state == ATT_EXECUTING || o->state == ATT_UNKNOWN))
            violated(m, "I8: %s on %s started while attempt %lld on it is %s", name, h->target,
                     (long long)o->attempt_id, attempt_state_name(o->state));
        if (o->action == h->action && strcmp(o->target, h->target) == 0 &&
            m->now - o->started_ms < p->cooldown_ms[h->action])
            violated(m, "I2: %s on %s started %lld ms after the last, cooldown %lld", name, h->target,
                 (long long)(m->now - o->started_ms), (long long)p->cooldown_ms[h->action]);
        budget += o->action == h->action && o->incident_id == h->incident_id;
        rate += action_get(o->action)->disruptive && o->started_ms > m->now - HOUR_MS;
    }
    if (budget > p->attempt_budget)
        violated(m, "I3: %s started %d times on one incident, budget %d", name, budget,
             p->attempt_budget);
    if (d->disruptive && rate > p->max_actions_per_hour)
        violated(m, "I4: %d disruptive actions in an hour, at most %d", rate, p->max_actions_per_hour);
}



static int worker_step(struct model *m)
{
    size_t start = m->na ? rnd(m, (unsigned)m->na) : 0;
    for (size_t n = 0; n < m->na; n++) {
        size_t a = (start + n) % m->na;
        struct action_history *h = &m->hist[a];
        if (h->state != ATT_APPROVED &&
            !(h->state == ATT_PROPOSED && action_get(h->action)->kind != ACTION_RECOMMEND_ONLY))
            continue;
        int slot = incident_slot(m, h->incident_id);
        struct eval_input in;
        struct eval_incident gone = {.id = h->incident_id, .state = ST_RESOLVED,
                                     .last_status = FINDING_RESOLVED};
        if (slot >= 0) {
            in = input(m, slot);
        } else {
            in = (struct eval_input){.policy = m->pol, .incident = &gone, .history = m->hist,
                                     .nhistory = m->na, .now_ms = m->now};
        }
        struct att *x = &m->ext[a];
        struct decision d;
        evaluate_gate(&in, h, x->has_req ? &x->req : NULL, x->recs, x->nrecs, &d);
        tl_add(m, TL_GATE, h->attempt_id, d.mode);
        if (m->trace)
            fprintf(stderr, "    gate %s %s: %s %s\n", action_name(h->action), h->target,
                    policy_action_mode_name(d.mode), reason_code_name(d.reason_code));
        if (d.mode == MODE_AUTO) {
            check_start(m, a);
            transition(m, a, ATT_EXECUTING);
        } else if (d.reason_code == RC_APPROVAL_EXPIRED) {
            transition(m, a, ATT_EXPIRED);
        } else if (d.reason_code == RC_NOT_RUNNABLE) {
            violated(m, "gate: a runnable attempt was called not runnable");
        } else if (d.reason_code == RC_COOLDOWN || d.reason_code == RC_HOURLY_RATE ||
                   d.reason_code == RC_AUTOMATION_DISABLED || d.reason_code == RC_APPROVAL_MISSING) {
            if (rnd(m, 2))
                transition(m, a, ATT_CANCELLED); /* or keep it for a later try */
        } else {
            transition(m, a, ATT_CANCELLED);
        }
        return 1;
    }
    return 0;
}

static void expire_due(struct model *m)
{
    for (size_t a = 0; a < m->na; a++) {
        enum attempt_state s = m->hist[a].state;
        if ((s == ATT_AWAITING_APPROVAL || s == ATT_APPROVED) && m->ext[a].has_req &&
            m->now >= m->ext[a].req.expires_ms)
            transition(m, a, ATT_EXPIRED);
    }
}

static void verify_all(struct model *m)
{
    for (size_t a = 0; a < m->na; a++) {
        struct action_history *h = &m->hist[a];
        int slot = incident_slot(m, h->incident_id);
        if (h->state != ATT_SUCCEEDED || !h->started_ms || m->ext[a].verified || slot < 0)
            continue;
        struct eval_input in = input(m, slot);
        struct verify_result v;
        verify_after_success(&in, h, &v);
        if (v.verdict == VERIFY_WAIT)
            continue;
        m->ext[a].verified = 1;
        tl_add(m, TL_VERIFY, h->attempt_id, v.verdict);
        if (v.has_move)
            move_incident(m, slot, v.move_to, "verification");
        if (v.verdict == VERIFY_NEXT_STEP)
            run_evaluation(m, slot, NULL);
    }
}

static int op_finding(struct model *m)
{
    int i = (int)rnd(m, NINC);
    struct finding *f = &m->f[i];
    f->status = rnd(m, 5) == 0 ? FINDING_RESOLVED : FINDING_FIRING;
    f->observed_at_ms = m->now - (int64_t)rnd(m, 4) * 1000;
    int log_only = rnd(m, 3) == 0;
    struct fold_change ch;
    fold_finding(&m->inc[i], m->exists[i], f, m->now, &fold_p, &ch);
    if (m->trace)
        fprintf(stderr, "  finding %d %s%s -> %s\n", i, finding_status_name(f->status),
                log_only ? " (log only)" : "", fold_outcome_name(ch.outcome));
    if (!ch.attached)
        return 1;
    if (ch.new_record) {
        m->exists[i] = 1;
        memset(&m->ev[i], 0, sizeof m->ev[i]);
        m->ev[i].id = ++m->next_incident_id;
        m->inc[i].id = m->ev[i].id;
        m->ev[i].class_ = classes[i];
        m->ev[i].episode_start_ms = m->now;
    } else if (ch.outcome == FOLD_REOPENED) {
        m->ev[i].episode_start_ms = m->now;
    }
    if (ch.state_changed)
        tl_add(m, TL_INCIDENT, m->ev[i].id, ch.to);
    if (f->status == FINDING_FIRING) {
        m->ev[i].subject = subjects[rnd(m, NSUBJ)];
        m->ev[i].corroborated |= !log_only;
    }
    run_evaluation(m, i, f);
    return 1;
}

static int op_tick(struct model *m)
{
    for (int i = 0; i < NINC; i++) {
        struct fold_change ch;
        if (m->exists[i] && fold_tick(&m->inc[i], m->now, &fold_p, &ch))
            tl_add(m, TL_INCIDENT, m->ev[i].id, ch.to);
    }
    expire_due(m);
    verify_all(m);
    for (int i = 0; i < NINC; i++)
        run_evaluation(m, i, NULL);
    return 1;
}

static int op_runner(struct model *m)
{
    for (size_t a = 0; a < m->na; a++) {
        if (m->hist[a].state != ATT_EXECUTING)
            continue;
        if (rnd(m, 10) < 7) {
            transition(m, a, ATT_SUCCEEDED);
            int slot = incident_slot(m, m->hist[a].incident_id);
            int changed;
            if (slot >= 0) {
                enum incident_state to = remed_state_after_success(m->inc[slot].state, &changed);
                if (changed)
                    move_incident(m, slot, to, "action succeeded");
            }
        } else {
            transition(m, a, ATT_FAILED);
        }
        return 1;
    }
    return 0;
}

static int op_approval(struct model *m)
{
    size_t start = m->na ? rnd(m, (unsigned)m->na) : 0;
    for (size_t n = 0; n < m->na; n++) {
        size_t a = (start + n) % m->na;
        if (m->hist[a].state != ATT_AWAITING_APPROVAL)
            continue;
        struct att *x = &m->ext[a];
        const char *who = identities[rnd(m, NID)];
        enum approval_verdict v = rnd(m, 7) == 0 ? APPROVAL_REJECT : APPROVAL_APPROVE;
        enum approval_check c =
            approval_can_decide(&x->req, m->hist[a].state, m->pol->approvers_required,
                                m->pol->allow_self_approval, who, v, x->recs, x->nrecs, m->now);
        if (m->trace)
            fprintf(stderr, "  %s by %s on attempt %lld: %s\n",
                    v == APPROVAL_APPROVE ? "approve" : "reject", who,
                    (long long)m->hist[a].attempt_id, approval_check_name(c));
        if (m->now >= x->req.expires_ms && c != APPROVAL_EXPIRED)
            violated(m, "I1: a decision on an expired request was not refused as expired");
        if (c == APPROVAL_EXPIRED) {
            transition(m, a, ATT_EXPIRED);
            return 1;
        }
        if (c != APPROVAL_OK || x->nrecs == MAXR)
            return 1;
        if (v == APPROVAL_APPROVE) {
            int self_ok = x->req.allow_self_approval && m->pol->allow_self_approval;
            if (!self_ok && strcmp(who, x->req.requested_by) == 0)
                violated(m, "I1: self-approval accepted although forbidden");
            for (size_t k = 0; k < x->nrecs; k++)
                if (strcmp(x->recs[k].approver, who) == 0)
                    violated(m, "I1: the same approver was accepted twice");
        }
        struct approval_record *r = &x->recs[x->nrecs++];
        snprintf(r->approver, sizeof r->approver, "%s", who);
        r->verdict = v;
        r->at_ms = m->now;
        tl_add(m, TL_DECISION, m->hist[a].attempt_id, v);
        if (v == APPROVAL_REJECT)
            transition(m, a, ATT_REJECTED);
        else if (approval_satisfied(&x->req, m->pol->approvers_required,
                                    m->pol->allow_self_approval, x->recs, x->nrecs, m->now))
            transition(m, a, ATT_APPROVED);
        return 1;
    }
    return 0;
}

static int op_crash(struct model *m)
{
    if (m->trace)
        fprintf(stderr, "  crash and restart\n");
    for (size_t a = 0; a < m->na; a++)
        if (m->hist[a].state == ATT_EXECUTING)
            transition(m, a, ATT_UNKNOWN);
    return 1;
}

static int op_reconcile(struct model *m)
{
    static const enum attempt_state outcomes[] = {ATT_SUCCEEDED, ATT_FAILED, ATT_CANCELLED};
    for (size_t a = 0; a < m->na; a++)
        if (m->hist[a].state == ATT_UNKNOWN) {
            transition(m, a, outcomes[rnd(m, 3)]);
            return 1;
        }
    return 0;
}

static int op_request(struct model *m)
{
    int i = (int)rnd(m, NINC);
    if (!m->exists[i])
        return 0;
    struct eval_input in = input(m, i);
    struct decision d;
    evaluate_action(&in, (enum action_id)rnd(m, ACT__COUNT), &d);
    process_decision(m, i, &d, identities[1 + rnd(m, NID - 1)]);
    return 1;
}

static int op_clock(struct model *m)
{
    static const int64_t jumps[] = {1000, 30000, 61000, 5 * 60000, 11 * 60000, HOUR_MS,
                                    3 * HOUR_MS};
    if (rnd(m, 10) == 0)
        m->now -= (int64_t)rnd(m, 300) * 1000; /* the clock went back */
    else
        m->now += jumps[rnd(m, sizeof jumps / sizeof jumps[0])];
    return 1;
}

static int op_policy(struct model *m, int kill_switch_only)
{
    if (kill_switch_only)
        m->pol_idx ^= 1;
    else
        m->pol_idx = (int)rnd(m, NVARIANTS * 2);
    m->pol = variants[m->pol_idx];
    if (m->trace)
        fprintf(stderr, "  policy %d (automation %s)\n", m->pol_idx,
                m->pol->automation_enabled ? "on" : "OFF");
    return 1;
}

/* I7: every attempt's current state has its timeline entry. */
static void check_timeline(struct model *m)
{
    if (m->full)
        return;
    for (size_t a = 0; a < m->na; a++) {
        const struct tl_entry *e = &m->tl[m->ext[a].tl];
        if (e->kind != TL_STATE || e->attempt != m->hist[a].attempt_id ||
            e->what != (int)m->hist[a].state)
            violated(m, "I7: attempt %lld in %s has no timeline entry for it",
                 (long long)m->hist[a].attempt_id, attempt_state_name(m->hist[a].state));
    }
}

static int step(struct model *m, unsigned s, int trace)
{
    unsigned op = rnd(m, 100);
    if (trace)
        fprintf(stderr, " step %u op %u at %lld\n", s, op, (long long)m->now);
    /* The worker often reacts to fresh decisions within the same step. */
    if (op < 20)
        return op_finding(m) + (rnd(m, 2) ? worker_step(m) : 0);
    if (op < 32)
        return op_tick(m) + (rnd(m, 2) ? worker_step(m) : 0);
    if (op < 50)
        return worker_step(m);
    if (op < 63)
        return op_runner(m);
    if (op < 77)
        return op_approval(m);
    if (op < 85)
        return op_clock(m);
    if (op < 89)
        return op_policy(m, 0);
    if (op < 92)
        return op_policy(m, 1);
    if (op < 94)
        return op_crash(m);
    if (op < 96)
        return op_reconcile(m);
    return op_request(m);
}

static void sequence(struct model *m, uint64_t seed, int trace)
{
    memset(m, 0, offsetof(struct model, f));
    m->na = m->ntl = 0;
    m->full = 0;
    m->failure[0] = '\0';
    m->trace = trace;
    m->rng = seed;
    m->now = 1700000000000LL;
    m->next_incident_id = 0;
    m->pol_idx = 2 * (int)rnd(m, NVARIANTS) + (rnd(m, 5) == 0); /* mostly enabled */
    m->pol = variants[m->pol_idx];
    for (int i = 0; i < NINC; i++) {
        memset(&m->ev[i], 0, sizeof m->ev[i]);
        m->exists[i] = 0;
    }
    unsigned steps = 1 + rnd(m, MAX_STEPS);
    for (unsigned s = 0; s < steps && !m->full && !m->failure[0]; s++) {
        /* An operation with nothing to act on (no attempt executing, none awaiting
         * approval...) is drawn again, up to twice: denser sequences, same count. */
        for (int tries = 0; tries < 3 && !step(m, s, trace); tries++)
            ;
        check_timeline(m);
    }
}

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : def;
}

static void property(void **state)
{
    (void)state;
    uint64_t base = (uint64_t)env_long("SREBOT_PROP_SEED", 20261203);
    long seqs = env_long("SREBOT_PROP_SEQS", DEFAULT_SEQS);
    long only = env_long("SREBOT_PROP_ONLY", -1);
    uint64_t vs = base;
    for (size_t i = 0; i < NSUBJ; i++)
        action_subject_from_attributes(subjects_json[i], &subjects[i]);
    for (int i = 0; i < NVARIANTS; i++) {
        uint64_t keep = vs;
        variants[2 * i] = make_variant(&vs, 1);
        vs = keep;
        variants[2 * i + 1] = make_variant(&vs, 0);
    }
    struct model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    for (int i = 0; i < NINC; i++) {
        strcpy(m->f[i].source, "prop");
        strcpy(m->f[i].class_, classes[i]);
        snprintf(m->f[i].correlation_key, sizeof m->f[i].correlation_key, "key-%d", i);
        strcpy(m->f[i].summary, "property");
        m->f[i].severity = SEV_HIGH;
    }
    fprintf(stderr, "remediation property: SREBOT_PROP_SEED=%llu, %ld sequences of 1-%d steps\n",
            (unsigned long long)base, only >= 0 ? 1 : seqs, MAX_STEPS);
    clock_t t0 = clock();
    long starts = 0, disruptive = 0, approved = 0, decisions = 0, failed_at = -1;
    for (long s = only >= 0 ? only : 0; s < (only >= 0 ? only + 1 : seqs); s++) {
        uint64_t sd = base ^ ((uint64_t)s * 0xd1b54a32d192ed03ULL);
        sequence(m, splitmix(&sd), only >= 0);
        for (size_t a = 0; a < m->na; a++) {
            starts += m->ext[a].execs;
            disruptive += m->ext[a].execs && action_get(m->hist[a].action)->disruptive;
            approved += m->ext[a].execs && m->ext[a].has_req;
        }
        decisions += (long)m->ntl;
        if (m->failure[0]) {
            failed_at = s;
            break;
        }
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    fprintf(stderr,
            "remediation property: %.1f s CPU; %ld actions started (%ld disruptive, %ld after "
            "an approval); %ld timeline entries\n",
            secs, starts, disruptive, approved, decisions);
    for (int i = 0; i < NVARIANTS * 2; i++)
        eval_policy_destroy(variants[i]);
    if (failed_at >= 0) {
        char msg[800];
        snprintf(msg, sizeof msg,
                 "%s\n  reproduce: SREBOT_PROP_SEED=%llu SREBOT_PROP_ONLY=%ld (prints a trace)",
                 m->failure, (unsigned long long)base, failed_at);
        free(m);
        fail_msg("%s", msg);
    }
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(property)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
