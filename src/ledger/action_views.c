/* Read side of the remediation ledger: JSON views of attempts, approval
 * requests (with their votes and attempt), decisions and notifications.
 * Handlers, the CLI and the console read through these, never the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/actions_int.h"
#include "ledger/views.h"

static json_t *time_or_null(int64_t ms) { return ms ? json_time(ms) : json_null(); }

/* A stored JSON text as a value ("" -> null; unparsable text stays a string). */
static json_t *json_text_value(const char *s)
{
    if (!s || !*s)
        return json_null();
    json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(s);
}

json_t *actions_attempt_json(const struct attempt_rec *a)
{
    json_t *o = json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:s}", "id", (json_int_t)a->id,
        "incident_id", (json_int_t)a->incident_id, "action", a->action, "target", a->target, "mode",
        a->mode, "state", a->state, "reason_code", a->reason_code, "reason", a->reason,
        "requested_by", a->requested_by, "step", a->step, "dry_run", a->dry_run,
        "idempotency_key", a->idempotency_key);
    json_object_set_new(o, "params", json_text_value(a->params));
    json_object_set_new(o, "result", json_text_value(a->result));
    json_object_set_new(o, "verification",
                        a->verification[0] ? json_string(a->verification) : json_null());
    json_object_set_new(o, "verify_at", time_or_null(a->verify_at_ms));
    json_object_set_new(o, "created_at", json_time(a->created_at_ms));
    json_object_set_new(o, "updated_at", json_time(a->updated_at_ms));
    json_object_set_new(o, "started_at", time_or_null(a->started_at_ms));
    json_object_set_new(o, "finished_at", time_or_null(a->finished_at_ms));
    return o;
}

json_t *act_approval_json(const struct approval_rec *r)
{
    json_t *o = json_pack("{s:I, s:I, s:I, s:s, s:s, s:i, s:b}", "id", (json_int_t)r->id,
                          "incident_id", (json_int_t)r->incident_id, "attempt_id",
                          (json_int_t)r->attempt_id, "state", r->state, "requested_by",
                          r->requested_by, "approvers_required", r->approvers_required,
                          "allow_self_approval", r->allow_self_approval);
    json_object_set_new(o, "requested_at", json_time(r->requested_at_ms));
    json_object_set_new(o, "expires_at", json_time(r->expires_at_ms));
    json_object_set_new(o, "decided_at", time_or_null(r->decided_at_ms));
    return o;
}

static int add_vote_json(const struct approval_vote *v, void *ud)
{
    json_array_append_new(ud, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "decision", v->decision,
                                        "by", v->decided_by, "role", v->role, "channel",
                                        v->channel, "reason", v->reason, "at",
                                        json_time(v->at_ms)));
    return 0;
}

/* The full view of one request on an open read connection. */
static enum store_status approval_full(struct store_conn *c, const struct approval_rec *r,
                                       json_t **out)
{
    json_t *o = act_approval_json(r);
    json_t *votes = json_array();
    json_object_set_new(o, "votes", votes);
    enum store_status st = store_approval_votes(c, r->id, add_vote_json, votes);
    struct attempt_rec *a = st == STORE_OK ? malloc(sizeof *a) : NULL;
    if (st == STORE_OK && !a)
        st = STORE_ERROR;
    if (st == STORE_OK && (st = store_attempt_get(c, r->attempt_id, a)) == STORE_OK)
        json_object_set_new(o, "attempt", actions_attempt_json(a));
    free(a);
    if (st != STORE_OK) {
        json_decref(o);
        return st;
    }
    *out = o;
    return STORE_OK;
}

/* Runs fn on a pooled read connection. */
static enum svc_status with_reader(struct store *s, enum store_status (*fn)(struct store_conn *c,
                                                                            void *ud),
                                   void *ud)
{
    struct store_conn *c;
    enum store_status st = store_read_acquire(s, &c);
    if (st == STORE_OK) {
        st = fn(c, ud);
        store_read_release(s, c);
    }
    return svc_from_store(st);
}

struct view_arg {
    int64_t id;
    const struct approval_filter *af;
    const struct attempt_filter *tf;
    unsigned limit;
    json_t *out;
    int64_t n;
    enum store_status st;
    struct store_conn *c;
    int64_t last_id;
};

static enum store_status approval_view_fn(struct store_conn *c, void *ud)
{
    struct view_arg *x = ud;
    struct approval_rec r;
    enum store_status st = store_approval_get(c, x->id, &r);
    return st == STORE_OK ? approval_full(c, &r, &x->out) : st;
}

enum svc_status actions_approval_view(struct store *s, int64_t request_id, json_t **out)
{
    struct view_arg x = {.id = request_id};
    enum svc_status st = with_reader(s, approval_view_fn, &x);
    if (st == SVC_OK)
        *out = x.out;
    return st;
}

/* The approval list collects rows first: approval_full runs other statements,
 * which must not interleave with the list's own. */
#define LIST_MAX 500

struct rows {
    struct approval_rec *r;
    size_t n;
};

static int collect_approval(const struct approval_rec *r, void *ud)
{
    struct rows *rows = ud;
    rows->r[rows->n++] = *r;
    return rows->n == LIST_MAX;
}

static enum store_status approval_list_fn(struct store_conn *c, void *ud)
{
    struct view_arg *x = ud;
    struct rows rows = {.r = calloc(LIST_MAX, sizeof *rows.r)};
    if (!rows.r)
        return STORE_ERROR;
    enum store_status st = store_approval_list(c, x->af, collect_approval, &rows);
    json_t *items = json_array();
    for (size_t i = 0; st == STORE_OK && i < rows.n; i++) {
        json_t *o;
        if ((st = approval_full(c, &rows.r[i], &o)) == STORE_OK)
            json_array_append_new(items, o);
    }
    unsigned limit = x->af->limit ? x->af->limit : 50;
    int64_t next = rows.n == limit && rows.n ? rows.r[rows.n - 1].id : 0;
    free(rows.r);
    if (st != STORE_OK) {
        json_decref(items);
        return st;
    }
    x->out = json_pack("{s:o}", "items", items);
    json_object_set_new(x->out, "next_cursor", next ? json_sprintf("%lld", (long long)next)
                                                    : json_null());
    return STORE_OK;
}

enum svc_status actions_approval_list(struct store *s, const struct approval_filter *f,
                                      json_t **out)
{
    struct view_arg x = {.af = f};
    enum svc_status st = with_reader(s, approval_list_fn, &x);
    if (st == SVC_OK)
        *out = x.out;
    return st;
}

static int add_attempt_json(const struct attempt_rec *a, void *ud)
{
    struct view_arg *x = ud;
    json_array_append_new(x->out, actions_attempt_json(a));
    x->n++;
    x->last_id = a->id;
    return 0;
}

static enum store_status attempt_list_fn(struct store_conn *c, void *ud)
{
    struct view_arg *x = ud;
    x->out = json_array();
    enum store_status st = store_attempt_list(c, x->tf, add_attempt_json, x);
    if (st != STORE_OK) {
        json_decref(x->out);
        return st;
    }
    unsigned limit = x->tf->limit ? x->tf->limit : 50;
    x->out = json_pack("{s:o, s:o}", "items", x->out, "next_cursor",
                       x->n == limit ? json_sprintf("%lld", (long long)x->last_id) : json_null());
    return STORE_OK;
}

enum svc_status actions_attempt_list(struct store *s, const struct attempt_filter *f, json_t **out)
{
    struct view_arg x = {.tf = f};
    enum svc_status st = with_reader(s, attempt_list_fn, &x);
    if (st == SVC_OK)
        *out = x.out;
    return st;
}

static int add_decision(const struct timeline_row *r, void *ud)
{
    json_t *o = json_text_value(r->data);
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "at", json_time(r->at_ms));
    json_object_set_new(o, "actor", json_string(r->actor ? r->actor : ""));
    json_object_set_new(o, "reason", json_string(r->reason ? r->reason : ""));
    json_array_append_new(ud, o);
    return 0;
}

static enum store_status decisions_fn(struct store_conn *c, void *ud)
{
    struct view_arg *x = ud;
    struct incident inc;
    enum store_status st = store_incident_get(c, x->id, &inc);
    if (st != STORE_OK)
        return st;
    json_t *items = json_array();
    st = store_decision_list(c, x->id, x->limit, add_decision, items);
    if (st != STORE_OK) {
        json_decref(items);
        return st;
    }
    x->out = json_pack("{s:o}", "items", items);
    return STORE_OK;
}

enum svc_status actions_decisions_of(struct store *s, int64_t incident_id, unsigned limit,
                                     json_t **out)
{
    struct view_arg x = {.id = incident_id, .limit = limit};
    enum svc_status st = with_reader(s, decisions_fn, &x);
    if (st == SVC_OK)
        *out = x.out;
    return st;
}

static enum store_status count_fn(struct store_conn *c, void *ud)
{
    struct view_arg *x = ud;
    return store_approval_count(c, "pending", &x->n);
}

enum svc_status actions_pending_count(struct store *s, int64_t *n)
{
    struct view_arg x = {0};
    enum svc_status st = with_reader(s, count_fn, &x);
    if (st == SVC_OK)
        *n = x.n;
    return st;
}

static int add_note(const struct notification_rec *r, void *ud)
{
    struct view_arg *x = ud;
    json_t *o = json_pack("{s:I, s:i, s:s, s:s, s:o}", "id", (json_int_t)r->id, "severity",
                          r->severity, "title", r->title, "body", r->body, "created_at",
                          json_time(r->created_at_ms));
    json_object_set_new(o, "incident_id", r->incident_id ? json_integer(r->incident_id)
                                                         : json_null());
    json_object_set_new(o, "attempt_id", r->attempt_id ? json_integer(r->attempt_id)
                                                       : json_null());
    json_object_set_new(o, "kind", json_string(r->kind[0] ? r->kind : "incident"));
    json_object_set_new(o, "approval_id", r->approval_id ? json_integer(r->approval_id)
                                                         : json_null());
    if (r->channel[0])
        json_object_set_new(o, "channel", json_string(r->channel));
    json_array_append_new(x->out, o);
    x->n++;
    x->last_id = r->id;
    return 0;
}

static enum store_status notes_fn(struct store_conn *c, void *ud)
{
    struct view_arg *x = ud;
    x->out = json_array();
    enum store_status st = store_notification_list(c, x->id, 0, x->limit, add_note, x);
    if (st != STORE_OK) {
        json_decref(x->out);
        return st;
    }
    x->out = json_pack("{s:o, s:o}", "items", x->out, "next_cursor",
                       x->n == x->limit ? json_sprintf("%lld", (long long)x->last_id)
                                        : json_null());
    return STORE_OK;
}

enum svc_status actions_notification_list(struct store *s, int64_t before_id, unsigned limit,
                                          json_t **out)
{
    struct view_arg x = {.id = before_id, .limit = limit ? limit : 50};
    enum svc_status st = with_reader(s, notes_fn, &x);
    if (st == SVC_OK)
        *out = x.out;
    return st;
}
