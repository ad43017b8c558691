/* /api/v1/incidents: list (filters, sort, keyset cursor), counts, detail,
 * timeline, operator transitions and evidence. Thin: parse the request, call
 * the ledger (reads: ledger/views.h, writes: ledger/ledger.h), shape the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ledger_api.h"
#include "core/jsonin.h"
#include "ledger/ledger.h"
#include "ledger/views.h"
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
    if ((v = http_req_query(req, "cursor")) && *v && ledger_incident_cursor_parse(v, f) != 0)
        problems_add(p, "/cursor", "format", "not a cursor from this listing");
}

struct ledger *api_ledger(struct app *a, struct http_resp *resp)
{
    if (!a->ledger)
        http_resp_svc_error(resp, SVC_UNAVAILABLE, "the ledger");
    return a->ledger;
}

void api_incidents_list(struct http_req *req, struct http_resp *resp, void *app)
{
    struct ledger *l = api_ledger(app, resp);
    if (!l)
        return;
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
    json_t *page = NULL;
    enum svc_status st = ledger_incident_list(l, &f, &page);
    if (st != SVC_OK)
        http_resp_svc_error(resp, st, "incidents");
    else
        http_resp_json(resp, 200, page);
}

void api_incidents_counts(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    struct ledger *l = api_ledger(app, resp);
    if (!l)
        return;
    json_t *counts = NULL;
    enum svc_status st = ledger_incident_counts(l, &counts);
    if (st != SVC_OK)
        http_resp_svc_error(resp, st, "counts");
    else
        http_resp_json(resp, 200, counts);
}

void api_incident_get(struct http_req *req, struct http_resp *resp, void *app)
{
    int64_t id;
    if (path_id(req, resp, &id))
        return;
    struct ledger *l = api_ledger(app, resp);
    if (!l)
        return;
    json_t *detail = NULL;
    enum svc_status st = ledger_incident_detail(l, id, &detail);
    if (st != SVC_OK)
        http_resp_svc_error(resp, st, "incident");
    else
        http_resp_json(resp, 200, detail);
}

void api_incident_timeline(struct http_req *req, struct http_resp *resp, void *app)
{
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
    struct ledger *l = api_ledger(app, resp);
    if (!l)
        return;
    json_t *items = NULL;
    enum svc_status st = ledger_incident_timeline(l, id, after, (unsigned)limit, &items);
    if (st != SVC_OK)
        http_resp_svc_error(resp, st, "incident");
    else
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
        http_resp_json(resp, 200, incident_detail_json(&out));
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
