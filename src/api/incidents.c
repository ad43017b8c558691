/* /api/v1/incidents: list (filters, sort, keyset cursor), counts, detail,
 * timeline, operator transitions and evidence. Reads use a pooled read
 * connection; writes go through the ledger service. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ledger_api.h"
#include "core/jsonin.h"
#include "ledger/ledger.h"
#include "ledger/views.h"
#include "store/ledger_repo.h"
#include "util/json_cache.h"
#include "util/parse.h"
#include "util/timeutil.h"

static const char *const sort_names[] = {"-last_seen", "last_seen", "-first_seen",
                                         "first_seen", "-severity", "severity"};

/* An incident id in the path: a positive decimal (" 1", "+1", "1x" are 400). */
static int path_id(struct http_req *req, struct http_resp *resp, int64_t *id)
{
    if (parse_int64_str(http_req_param(req, "id"), 1, INT64_MAX, id) != 0) {
        http_resp_error(resp, 400, "bad_request", "id: must be a positive decimal integer");
        return -1;
    }
    return 0;
}

/* Cursor text: "<sort>.<value>.<id>"; opaque to clients. */
static int parse_cursor(const char *s, struct incident_filter *f)
{
    int64_t part[3];
    if (parse_int64_dotted(s, part, 3) != 0 || part[0] != (int64_t)f->sort || part[2] < 1)
        return -1;
    f->has_cursor = 1;
    f->cursor_value = part[1];
    f->cursor_id = part[2];
    return 0;
}

static int64_t sort_value(const struct incident *inc, enum incident_sort s)
{
    switch (s) {
    case SORT_FIRST_SEEN_DESC:
    case SORT_FIRST_SEEN_ASC: return inc->first_seen_ms;
    case SORT_SEVERITY_DESC:
    case SORT_SEVERITY_ASC: return inc->severity;
    default: return inc->last_seen_ms;
    }
}

/* Fills f from the query string; adds a problem per bad parameter. */
static void parse_filter(struct http_req *req, struct incident_filter *f, struct problems *p)
{
    memset(f, 0, sizeof *f);
    f->limit = 50;
    const char *v;
    if ((v = http_req_query(req, "state")) && *v) {
        if (incident_state_parse(v, &f->state) == 0)
            f->has_state = 1;
        else
            problems_add(p, "/state", "enum", "unknown state");
    }
    if ((v = http_req_query(req, "severity")) && *v) {
        if (severity_parse(v, &f->severity) == 0)
            f->has_severity = 1;
        else
            problems_add(p, "/severity", "enum", "must be critical, high, warning or info");
    }
    f->class_ = http_req_query(req, "class");
    f->domain = http_req_query(req, "domain");
    f->source = http_req_query(req, "source");
    f->q = http_req_query(req, "q");
    if (f->q && strlen(f->q) > 256)
        problems_add(p, "/q", "length", "must be at most 256 bytes");
    if ((v = http_req_query(req, "since")) && *v && time_parse_rfc3339(v, &f->since_ms) != 0)
        problems_add(p, "/since", "format", "must be an RFC 3339 time");
    if ((v = http_req_query(req, "until")) && *v && time_parse_rfc3339(v, &f->until_ms) != 0)
        problems_add(p, "/until", "format", "must be an RFC 3339 time");
    if ((v = http_req_query(req, "sort")) && *v) {
        size_t i = 0;
        while (i < 6 && strcmp(v, sort_names[i]) != 0)
            i++;
        if (i == 6)
            problems_add(p, "/sort", "enum",
                         "must be last_seen, -last_seen, first_seen, -first_seen, severity or "
                         "-severity");
        else
            f->sort = (enum incident_sort)i;
    }
    int64_t n;
    if ((v = http_req_query(req, "limit")) && *v) {
        if (parse_int64_str(v, 1, 500, &n) != 0)
            problems_add(p, "/limit", "range", "must be 1..500");
        else
            f->limit = (unsigned)n;
    }
    if ((v = http_req_query(req, "cursor")) && *v && parse_cursor(v, f) != 0)
        problems_add(p, "/cursor", "format", "not a cursor from this listing");
}

struct list_acc {
    json_t *items;
    unsigned n;
    enum incident_sort sort;
    struct incident last;
};

static int add_item(const struct incident *inc, void *ud)
{
    struct list_acc *acc = ud;
    json_array_append_new(acc->items, incident_json(inc));
    acc->n++;
    acc->last = *inc;
    return 0;
}

static int read_conn(struct app *a, struct http_resp *resp, struct store_conn **c)
{
    enum store_status st = store_read_acquire(a->store, c);
    if (st != STORE_OK) {
        http_resp_svc_error(resp, svc_from_store(st), "read");
        return -1;
    }
    return 0;
}

void api_incidents_list(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    struct problems *p = problems_create();
    if (!p) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    struct incident_filter f;
    parse_filter(req, &f, p);
    if (problems_any(p)) {
        http_resp_problems(resp, 400, "bad_request", p, "invalid query parameters");
        problems_destroy(p);
        return;
    }
    problems_destroy(p);
    struct store_conn *c;
    if (read_conn(a, resp, &c))
        return;
    struct list_acc acc = {.items = json_array(), .sort = f.sort};
    enum store_status st = store_incident_list(c, &f, add_item, &acc);
    store_read_release(a->store, c);
    if (st != STORE_OK) {
        json_decref(acc.items);
        http_resp_svc_error(resp, svc_from_store(st), "incidents");
        return;
    }
    json_t *next = json_null();
    if (acc.n == f.limit) {
        char cur[96];
        snprintf(cur, sizeof cur, "%d.%" PRId64 ".%" PRId64, (int)f.sort,
                 sort_value(&acc.last, f.sort), acc.last.id);
        next = json_string(cur);
    }
    http_resp_json(resp, 200, json_pack("{s:o, s:o}", "items", acc.items, "next_cursor", next));
}

static void add_count(const char *dim, const char *value, int64_t n, void *ud)
{
    json_t *o = ud;
    char key[16];
    snprintf(key, sizeof key, "by_%s", dim);
    json_object_set_new(json_object_get(o, key), value, json_integer(n));
    if (strcmp(dim, "state") == 0)
        json_object_set_new(o, "total",
                            json_integer(json_integer_value(json_object_get(o, "total")) + n));
}

/* Counts scan every incident (tens of ms at 100k): the answer is reused while
 * nothing changed (the outbox head did not move), so consoles in many tabs
 * refreshing after the same event cost one scan. Never longer: a client
 * refetches when an event tells it something changed, and a stale answer then
 * would stay on its screen until the next change. The head is read before the
 * scan, so a cached answer is at least as new as the head it is kept under.
 * The cache is app->counts (made by main.c; NULL: every request scans). */
void api_incidents_counts(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    int64_t head = a->ledger ? ledger_outbox_head(a->ledger) : -1;
    json_t *hit = json_cache_get(a->counts, head);
    if (hit) {
        http_resp_json(resp, 200, hit);
        return;
    }
    struct store_conn *c;
    if (read_conn(a, resp, &c))
        return;
    json_t *o = json_pack("{s:{}, s:{}, s:{}, s:i}", "by_state", "by_class", "by_severity",
                          "total", 0);
    /* every state is present, zero or not, so clients need no defaults */
    for (int s = 0; s < ST__COUNT; s++)
        json_object_set_new(json_object_get(o, "by_state"),
                            incident_state_name((enum incident_state)s), json_integer(0));
    enum store_status st = store_incident_counts(c, add_count, o);
    store_read_release(a->store, c);
    if (st != STORE_OK) {
        json_decref(o);
        http_resp_svc_error(resp, svc_from_store(st), "counts");
        return;
    }
    json_cache_put(a->counts, head, o);
    http_resp_json(resp, 200, o);
}

static int add_evidence(const struct evidence_row *r, void *ud)
{
    json_array_append_new(ud, evidence_row_json(r));
    return 0;
}

static int add_finding(const struct finding_row *r, void *ud)
{
    json_array_append_new(ud, finding_row_json(r));
    return 0;
}

static json_t *incident_detail(const struct incident *inc)
{
    json_t *o = incident_json(inc);
    enum incident_state to[ST__COUNT];
    size_t n = lifecycle_allowed(inc->state, BY_OPERATOR, to, ST__COUNT);
    json_t *allowed = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(allowed, json_string(incident_state_name(to[i])));
    json_object_set_new(o, "allowed_transitions", allowed);
    return o;
}

void api_incident_get(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    int64_t id;
    if (path_id(req, resp, &id))
        return;
    struct store_conn *c;
    if (read_conn(a, resp, &c))
        return;
    struct incident inc;
    enum store_status st = store_incident_get(c, id, &inc);
    json_t *o = NULL;
    if (st == STORE_OK) {
        o = incident_detail(&inc);
        json_t *ev = json_array(), *fs = json_array();
        st = store_evidence_of(c, id, 100, add_evidence, ev);
        if (st == STORE_OK)
            st = store_findings_of(c, id, 50, add_finding, fs);
        json_object_set_new(o, "evidence", ev);
        json_object_set_new(o, "findings", fs);
    }
    store_read_release(a->store, c);
    if (st != STORE_OK) {
        json_decref(o);
        http_resp_svc_error(resp, svc_from_store(st), "incident");
        return;
    }
    http_resp_json(resp, 200, o);
}

static int add_timeline(const struct timeline_row *r, void *ud)
{
    json_array_append_new(ud, timeline_row_json(r));
    return 0;
}

void api_incident_timeline(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    int64_t id, after = 0, limit = 500;
    if (path_id(req, resp, &id))
        return;
    const char *v = http_req_query(req, "after");
    if (v && *v && parse_int64_str(v, 0, INT64_MAX, &after) != 0) {
        http_resp_error(resp, 400, "bad_request", "after: must be a timeline entry id");
        return;
    }
    v = http_req_query(req, "limit");
    if (v && *v && parse_int64_str(v, 1, 1000, &limit) != 0) {
        http_resp_error(resp, 400, "bad_request", "limit: must be 1..1000");
        return;
    }
    struct store_conn *c;
    if (read_conn(a, resp, &c))
        return;
    struct incident inc;
    json_t *items = json_array();
    enum store_status st = store_incident_get(c, id, &inc);
    if (st == STORE_OK)
        st = store_timeline_of(c, id, after, (unsigned)limit, add_timeline, items);
    store_read_release(a->store, c);
    if (st != STORE_OK) {
        json_decref(items);
        http_resp_svc_error(resp, svc_from_store(st), "incident");
        return;
    }
    http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

void api_incident_transition(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    int64_t id;
    if (path_id(req, resp, &id))
        return;
    struct problems *p;
    json_t *doc = http_req_json_problems(req, resp, &p);
    if (!doc)
        return;
    static const char *const known[] = {"to", "reason", "suppress_until", NULL};
    if (!json_is_object(doc))
        problems_add(p, "", "type", "must be an object");
    else
        jsonin_no_unknown(doc, "", known, p);
    const char *to_s = jsonin_string(doc, "", "to", 1, 32, p);
    const char *reason = jsonin_string(doc, "", "reason", 0, 512, p);
    const char *until_s = jsonin_string(doc, "", "suppress_until", 0, 40, p);
    enum incident_state to = ST_OBSERVED;
    int64_t until = 0;
    if (to_s && incident_state_parse(to_s, &to) != 0)
        problems_add(p, "/to", "enum", "unknown state");
    if (until_s && time_parse_rfc3339(until_s, &until) != 0)
        problems_add(p, "/suppress_until", "format", "must be an RFC 3339 time");
    struct incident out;
    enum svc_status st = SVC_INVALID;
    if (!problems_any(p) && a->ledger)
        st = ledger_transition(a->ledger, id, to, reason ? reason : "", until_s != NULL, until,
                               req->who->name, &out, p);
    else if (!problems_any(p))
        st = SVC_UNAVAILABLE;
    if (st == SVC_OK)
        http_resp_json(resp, 200, incident_detail(&out));
    else if (st == SVC_CONFLICT)
        http_resp_problems(resp, 409, "conflict", p, "the lifecycle does not allow this transition");
    else if (st == SVC_INVALID)
        http_resp_problems(resp, 422, "validation_failed", p, "invalid transition request");
    else
        http_resp_svc_error(resp, st, "incident");
    problems_destroy(p);
    json_decref(doc);
}

void api_incident_evidence_post(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    int64_t id;
    if (path_id(req, resp, &id))
        return;
    struct problems *p;
    json_t *doc = http_req_json_problems(req, resp, &p);
    if (!doc)
        return;
    struct evidence e;
    if (evidence_from_json(doc, "", &e, p) != 0) {
        http_resp_problems(resp, 422, "validation_failed", p, "invalid evidence");
        goto out_p;
    }
    int64_t eid = 0;
    enum svc_status st = a->ledger ? ledger_add_evidence(a->ledger, id, &e, req->who->name, &eid)
                                   : SVC_UNAVAILABLE;
    if (st == SVC_OK) {
        json_t *o = evidence_to_json(&e);
        json_object_set_new(o, "id", eid ? json_integer(eid) : json_null());
        json_object_set_new(o, "created", json_boolean(eid != 0));
        json_object_set_new(o, "source", json_string(req->who->name));
        http_resp_json(resp, eid ? 201 : 200, o);
    } else {
        http_resp_svc_error(resp, st, "incident");
    }
    evidence_clear(&e);
out_p:
    problems_destroy(p);
    json_decref(doc);
}
