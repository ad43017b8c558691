/* What-if replay (see replay.h). */
#include "core/replay.h"

#include <stdlib.h>
#include <string.h>

#define HOUR_MS (3600LL * 1000)

struct sim_incident {
    struct incident inc;
    struct eval_incident ev;
    size_t *attempts; /* indexes into sim.attempts */
    size_t nattempts, capattempts;
};

struct sim {
    const struct replay_params *p;
    size_t max_inc, max_dec, max_eval;
    int64_t window_ms; /* attempts of other incidents older than this never matter */
    struct sim_incident *inc;
    struct action_history *attempts;
    size_t nattempts, capattempts;
    struct action_history *scratch;
    size_t capscratch;
    struct replay_result *out;
    size_t capdec;
    int oom;
};

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *m = realloc(*arr, n * size);
    if (!m)
        return -1;
    *arr = m;
    *cap = n;
    return 0;
}

static size_t bound(size_t v, size_t max)
{
    return v && v < max ? v : max;
}

/* This incident's attempts plus every other attempt inside the window. */
static size_t history_for(struct sim *s, size_t idx, int64_t now)
{
    struct sim_incident *si = &s->inc[idx];
    size_t need = si->nattempts + s->nattempts;
    if (grow((void **)&s->scratch, &s->capscratch, need ? need : 1, sizeof *s->scratch)) {
        s->oom = 1;
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < si->nattempts; i++)
        s->scratch[n++] = s->attempts[si->attempts[i]];
    /* attempts are appended in time order: walk back until the window ends */
    for (size_t i = s->nattempts; i > 0; i--) {
        const struct action_history *h = &s->attempts[i - 1];
        if (h->created_ms < now - s->window_ms)
            break;
        if (h->incident_id != si->ev.id)
            s->scratch[n++] = *h;
    }
    return n;
}

static void record(struct sim *s, size_t idx, int64_t now, const struct decision *d, int escalate)
{
    struct replay_result *r = s->out;
    if (r->ndecisions >= s->max_dec) {
        r->truncated = 1;
        return;
    }
    if (grow((void **)&r->decisions, &s->capdec, r->ndecisions + 1, sizeof *r->decisions)) {
        s->oom = 1;
        return;
    }
    struct replay_decision *rd = &r->decisions[r->ndecisions++];
    memset(rd, 0, sizeof *rd);
    rd->incident = idx;
    rd->at_ms = now;
    rd->escalate = escalate;
    r->incidents[idx].ndecisions++;
    if (escalate)
        return;
    rd->action = d->action;
    memcpy(rd->target, d->target, sizeof rd->target);
    rd->mode = d->mode;
    rd->reason_code = d->reason_code;
    rd->dry_run = d->dry_run;
    if (d->mode == MODE_DENY)
        return;
    /* Assumed to have happened at once (replay.h). */
    struct sim_incident *si = &s->inc[idx];
    if (grow((void **)&s->attempts, &s->capattempts, s->nattempts + 1, sizeof *s->attempts) ||
        grow((void **)&si->attempts, &si->capattempts, si->nattempts + 1, sizeof(size_t))) {
        s->oom = 1;
        return;
    }
    struct action_history *h = &s->attempts[s->nattempts];
    memset(h, 0, sizeof *h);
    h->attempt_id = (int64_t)s->nattempts + 1;
    h->action = d->action;
    memcpy(h->target, d->target, sizeof h->target);
    h->incident_id = si->ev.id;
    h->state = ATT_SUCCEEDED;
    h->created_ms = h->finished_ms = now;
    h->started_ms = d->mode == MODE_RECOMMEND ? 0 : now;
    si->attempts[si->nattempts++] = s->nattempts++;
    if (d->mode != MODE_RECOMMEND) {
        int changed;
        enum incident_state to = remed_state_after_success(si->inc.state, &changed);
        if (changed)
            incident_set_state(&si->inc, to, now, 0);
    }
}

static void sync_view(struct sim_incident *si)
{
    si->ev.state = si->inc.state;
    si->ev.last_status = si->inc.last_status;
}

static void evaluate_one(struct sim *s, size_t idx, int64_t now, const struct finding *f)
{
    struct replay_result *r = s->out;
    if (r->evaluations >= s->max_eval) {
        r->truncated = 1;
        return;
    }
    r->evaluations++;
    struct sim_incident *si = &s->inc[idx];
    sync_view(si);
    struct eval_input in = {.policy = s->p->policy, .incident = &si->ev,
                            .trigger = f ? EVAL_TRIGGER_FINDING : EVAL_TRIGGER_TICK,
                            .finding = f, .now_ms = now};
    in.nhistory = history_for(s, idx, now);
    in.history = s->scratch;
    if (s->oom)
        return;
    struct eval_result *res = malloc(sizeof *res);
    if (!res) {
        s->oom = 1;
        return;
    }
    evaluate(&in, res);
    for (size_t i = 0; i < res->n && !s->oom; i++)
        record(s, idx, now, &res->items[i], 0);
    if (res->escalate && !s->oom) {
        record(s, idx, now, NULL, 1);
        if (lifecycle_allowed_edge(si->inc.state, ST_ESCALATED, BY_SYSTEM))
            incident_set_state(&si->inc, ST_ESCALATED, now, 0);
    }
    free(res);
}

/* The latest record of this identity, or -1. */
static long find_incident(const struct sim *s, const struct finding *f)
{
    for (size_t i = s->out->nincidents; i > 0; i--) {
        const struct replay_incident *ri = &s->out->incidents[i - 1];
        if (strcmp(ri->class_, f->class_) == 0 &&
            strcmp(ri->correlation_key, f->correlation_key) == 0)
            return (long)(i - 1);
    }
    return -1;
}

static void tick_all(struct sim *s, int64_t now)
{
    for (size_t i = 0; i < s->out->nincidents && !s->oom && !s->out->truncated; i++) {
        struct fold_change ch;
        fold_tick(&s->inc[i].inc, now, &s->p->fold, &ch);
        if (s->inc[i].inc.state != ST_RESOLVED)
            evaluate_one(s, i, now, NULL);
    }
}

static void apply_finding(struct sim *s, const struct finding *f, int64_t now)
{
    struct replay_result *r = s->out;
    long at = find_incident(s, f);
    struct incident probe;
    memset(&probe, 0, sizeof probe);
    struct incident *inc = at >= 0 ? &s->inc[at].inc : &probe;
    struct incident before = *inc;
    struct fold_change ch;
    fold_finding(inc, at >= 0, f, now, &s->p->fold, &ch);
    if (!ch.attached)
        return;
    if (ch.new_record) {
        if (r->nincidents >= s->max_inc) {
            r->truncated = 1;
            if (at >= 0)
                s->inc[at].inc = before; /* the old record stays as it was */
            return;
        }
        struct incident fresh = *inc;
        if (at >= 0)
            s->inc[at].inc = before;
        size_t idx = r->nincidents++;
        struct sim_incident *si = &s->inc[idx];
        memset(si, 0, sizeof *si);
        si->inc = fresh;
        si->inc.id = (int64_t)idx + 1;
        memset(&r->incidents[idx], 0, sizeof r->incidents[idx]);
        memcpy(r->incidents[idx].class_, f->class_, sizeof f->class_);
        memcpy(r->incidents[idx].correlation_key, f->correlation_key, sizeof f->correlation_key);
        r->incidents[idx].first_seen_ms = fresh.first_seen_ms;
        si->ev.id = si->inc.id;
        si->ev.class_ = r->incidents[idx].class_;
        si->ev.episode_start_ms = now;
        at = (long)idx;
    } else if (ch.outcome == FOLD_REOPENED) {
        s->inc[at].ev.episode_start_ms = now;
    }
    struct sim_incident *si = &s->inc[at];
    if (f->status == FINDING_FIRING) {
        action_subject_from_attributes(f->attributes, &si->ev.subject);
        si->ev.corroborated |= !finding_log_derived(f);
    }
    evaluate_one(s, (size_t)at, now, f);
}

int replay_run(const struct finding *findings, size_t n, const struct replay_params *p,
               struct replay_result *out)
{
    memset(out, 0, sizeof *out);
    struct sim s = {.p = p, .out = out};
    s.max_inc = bound(p->max_incidents, REPLAY_MAX_INCIDENTS);
    s.max_dec = bound(p->max_decisions, REPLAY_MAX_DECISIONS);
    s.max_eval = bound(p->max_evaluations, REPLAY_MAX_EVALUATIONS);
    s.window_ms = HOUR_MS;
    for (int a = 0; a < ACT__COUNT; a++)
        if (p->policy->cooldown_ms[a] > s.window_ms)
            s.window_ms = p->policy->cooldown_ms[a];
    s.inc = calloc(s.max_inc, sizeof *s.inc);
    out->incidents = calloc(s.max_inc, sizeof *out->incidents);
    if (!s.inc || !out->incidents)
        s.oom = 1;

    int64_t now = 0, next_tick = 0;
    for (size_t i = 0; i < n && !s.oom && !out->truncated; i++) {
        const struct finding *f = &findings[i];
        int64_t t = f->observed_at_ms > now ? f->observed_at_ms : now;
        if (p->tick_ms > 0 && i > 0)
            for (; next_tick < t && !s.oom && !out->truncated; next_tick += p->tick_ms)
                tick_all(&s, next_tick);
        now = t;
        if (p->tick_ms > 0 && next_tick <= now)
            next_tick = now + p->tick_ms;
        apply_finding(&s, f, now);
        out->findings_used = i + 1;
    }
    if (p->tick_ms > 0 && n > 0)
        for (; next_tick <= p->end_ms && !s.oom && !out->truncated; next_tick += p->tick_ms)
            tick_all(&s, next_tick);
    for (size_t i = 0; i < out->nincidents; i++)
        out->incidents[i].state = s.inc[i].inc.state;

    for (size_t i = 0; s.inc && i < out->nincidents; i++)
        free(s.inc[i].attempts);
    free(s.inc);
    free(s.attempts);
    free(s.scratch);
    if (s.oom) {
        replay_result_clear(out);
        return -1;
    }
    return 0;
}

void replay_result_clear(struct replay_result *r)
{
    free(r->incidents);
    free(r->decisions);
    memset(r, 0, sizeof *r);
}

static json_t *decisions_json(const struct replay_result *r, size_t idx)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->ndecisions; i++) {
        const struct replay_decision *d = &r->decisions[i];
        if (d->incident != idx)
            continue;
        if (d->escalate)
            json_array_append_new(a, json_pack("{s:I, s:s}", "at", (json_int_t)d->at_ms,
                                               "escalate", "escalated"));
        else
            json_array_append_new(
                a, json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "at", (json_int_t)d->at_ms,
                             "action", action_name(d->action), "target", d->target, "mode",
                             policy_action_mode_name(d->mode), "reason_code",
                             reason_code_name(d->reason_code), "dry_run", d->dry_run));
    }
    return a;
}

static long match(const struct replay_result *r, const struct replay_incident *ri)
{
    for (size_t i = 0; i < r->nincidents; i++)
        if (r->incidents[i].first_seen_ms == ri->first_seen_ms &&
            strcmp(r->incidents[i].class_, ri->class_) == 0 &&
            strcmp(r->incidents[i].correlation_key, ri->correlation_key) == 0)
            return (long)i;
    return -1;
}

static json_t *pair(const struct replay_incident *ri, json_t *cur, json_t *cand)
{
    int differs = !json_equal(cur, cand);
    return json_pack("{s:s, s:s, s:I, s:b, s:o, s:o}", "class", ri->class_, "correlation_key",
                     ri->correlation_key, "first_seen", (json_int_t)ri->first_seen_ms, "differs",
                     differs, "current", cur, "candidate", cand);
}

json_t *replay_diff_json(const struct replay_result *current,
                         const struct replay_result *candidate)
{
    json_t *items = json_array();
    size_t differing = 0;
    for (size_t i = 0; items && i < current->nincidents; i++) {
        long j = match(candidate, &current->incidents[i]);
        json_t *row = pair(&current->incidents[i], decisions_json(current, i),
                           j >= 0 ? decisions_json(candidate, (size_t)j) : json_array());
        differing += json_is_true(json_object_get(row, "differs"));
        json_array_append_new(items, row);
    }
    for (size_t j = 0; items && j < candidate->nincidents; j++) {
        if (match(current, &candidate->incidents[j]) >= 0)
            continue;
        json_t *row = pair(&candidate->incidents[j], json_array(), decisions_json(candidate, j));
        differing += json_is_true(json_object_get(row, "differs"));
        json_array_append_new(items, row);
    }
    return json_pack("{s:o, s:I, s:b}", "incidents", items, "differing", (json_int_t)differing,
                     "truncated", current->truncated || candidate->truncated);
}
