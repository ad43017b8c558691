/* /api/v1/approvals (list, count, get, approve, reject), an incident's
 * attempts and decisions, and the in-app notification inbox. Handlers call
 * the ledger's remediation service (ledger/actions.h); the approver is the
 * authenticated caller (token name and role). Shapes: docs/api.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/action_input.h"
#include "api/actions_api.h"
#include "core/attempt.h"
#include "ledger/actions.h"
#include "ledger/ledger.h"
#include "util/parse.h"
#include "util/timeutil.h"

/* An id in the path: a positive decimal (" 1", "+1", "1x" are 400, docs/http.md). */
static int path_id(struct http_req *req, struct http_resp *resp, int64_t *id)
{
    if (parse_int64_str(http_req_param(req, "id"), 1, INT64_MAX, id) != 0) {
        http_resp_error(resp, 400, "bad_request", "id: must be a positive decimal integer");
        return -1;
    }
    return 0;
}

/* limit (1..max, default 50) and cursor (an id from next_cursor). */
static void paging(struct http_req *req, unsigned max, unsigned *limit, int64_t *before,
                   struct problems *p)
{
    int64_t n;
    const char *v;
    *limit = 50;
    *before = 0;
    if ((v = http_req_query(req, "limit")) && *v) {
        if (parse_int64_str(v, 1, (int64_t)max, &n) != 0)
            problems_add(p, "/limit", "range", "must be 1..%u", max);
        else
            *limit = (unsigned)n;
    }
    if ((v = http_req_query(req, "cursor")) && *v && parse_int64_str(v, 1, INT64_MAX, before) != 0)
        problems_add(p, "/cursor", "format", "not a cursor from this listing");
}

static int query_problems(struct http_resp *resp, struct problems *p)
{
    if (!problems_any(p))
        return 0;
    http_resp_problems(resp, 400, "bad_request", p, "invalid query parameters");
    return -1;
}

/* A service answer: 200 with out, or the service status mapped to HTTP. */
static void answer(struct http_resp *resp, enum svc_status st, json_t *out, const char *what)
{
    if (st == SVC_OK)
        http_resp_json(resp, 200, out);
    else
        http_resp_svc_error(resp, st, what);
}

static const char *const request_states[] = {"pending", "approved",  "rejected",
                                             "expired", "cancelled", NULL};

void api_approvals_list(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    struct problems *p = problems_create();
    if (!p) {
        http_resp_svc_error(resp, SVC_INTERNAL, "approvals");
        return;
    }
    struct approval_filter f = {0};
    const char *v = http_req_query(req, "state");
    if (v && *v) {
        size_t i = 0;
        while (request_states[i] && strcmp(request_states[i], v) != 0)
            i++;
        if (!request_states[i])
            problems_add(p, "/state", "enum",
                         "must be pending, approved, rejected, expired or cancelled");
        f.state = v;
    }
    if ((v = http_req_query(req, "incident")) && *v &&
        parse_int64_str(v, 1, INT64_MAX, &f.incident_id) != 0)
        problems_add(p, "/incident", "format", "must be an incident id");
    paging(req, 200, &f.limit, &f.before_id, p);
    if (query_problems(resp, p) == 0) {
        json_t *out = NULL;
        enum svc_status st = actions_approval_list(a->store, &f, &out);
        answer(resp, st, out, "approvals");
    }
    problems_destroy(p);
}

void api_approvals_count(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    int64_t n = 0;
    enum svc_status st = actions_pending_count(a->store, &n);
    if (st == SVC_OK)
        http_resp_json(resp, 200, json_pack("{s:I}", "pending", (json_int_t)n));
    else
        http_resp_svc_error(resp, st, "approvals");
}

void api_approval_get(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    int64_t id;
    if (path_id(req, resp, &id))
        return;
    json_t *out = NULL;
    enum svc_status st = actions_approval_view(a->store, id, &out);
    answer(resp, st, out, "approval request");
}

static void decide(struct http_req *req, struct http_resp *resp, void *app, int approve)
{
    struct app *a = app;
    int64_t id;
    if (path_id(req, resp, &id))
        return;
    struct problems *p = NULL;
    json_t *doc = NULL;
    struct decision_body body;
    memset(&body, 0, sizeof body);
    if (req->body_len == 0) {
        p = problems_create(); /* approving needs no body; rejecting needs its reason */
        if (!p) {
            http_resp_svc_error(resp, SVC_INTERNAL, "approval request");
            return;
        }
        if (!approve) {
            problems_add(p, "/reason", "required", "a rejection needs a reason");
            http_resp_problems(resp, 422, "validation_failed", p, "invalid decision");
            goto out;
        }
    } else {
        doc = http_req_json_problems(req, resp, &p);
        if (!doc)
            return;
        if (decision_body_from_json(doc, !approve, &body, p) != 0) {
            http_resp_problems(resp, 422, "validation_failed", p, "invalid decision");
            goto out;
        }
    }
    if (!a->ledger) {
        http_resp_svc_error(resp, SVC_UNAVAILABLE, "ledger");
        goto out;
    }
    struct identity who = {.role = req->who->role};
    snprintf(who.name, sizeof who.name, "%s", req->who->name);
    const char *channel = http_req_header(req, "X-Srebot-Channel");
    if (!channel || (strcmp(channel, "console") != 0 && strcmp(channel, "cli") != 0))
        channel = "api";
    json_t *out = NULL;
    enum svc_status st = approvals_decide(a->ledger, id, &who, approve, body.reason, channel,
                                          time_now_ms(), &out, p);
    if (st == SVC_OK)
        http_resp_json(resp, 200, out);
    else if (problems_any(p) && st == SVC_DENIED)
        http_resp_problems(resp, 403, "forbidden", p, "this approver may not decide");
    else if (problems_any(p) && st == SVC_CONFLICT)
        http_resp_problems(resp, 409, "conflict", p, "the request cannot take this decision");
    else if (problems_any(p) && st == SVC_EXPIRED)
        http_resp_problems(resp, 410, "expired", p, "the approval request expired");
    else if (problems_any(p) && st == SVC_INVALID)
        http_resp_problems(resp, 422, "validation_failed", p, "invalid decision");
    else
        http_resp_svc_error(resp, st, "approval request");
out:
    problems_destroy(p);
    json_decref(doc);
}

void api_approval_approve(struct http_req *req, struct http_resp *resp, void *app)
{
    decide(req, resp, app, 1);
}

void api_approval_reject(struct http_req *req, struct http_resp *resp, void *app)
{
    decide(req, resp, app, 0);
}

void api_incident_attempts(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    int64_t id;
    if (path_id(req, resp, &id))
        return;
    struct problems *p = problems_create();
    if (!p) {
        http_resp_svc_error(resp, SVC_INTERNAL, "attempts");
        return;
    }
    struct attempt_filter f = {.incident_id = id};
    const char *v = http_req_query(req, "state");
    enum attempt_state s;
    if (v && *v) {
        if (attempt_state_parse(v, &s) != 0)
            problems_add(p, "/state", "enum", "unknown attempt state");
        f.state = v;
    }
    paging(req, 500, &f.limit, &f.before_id, p);
    if (query_problems(resp, p) == 0) {
        json_t *out = NULL;
        enum svc_status st = actions_attempt_list(a->store, &f, &out);
        answer(resp, st, out, "attempts");
    }
    problems_destroy(p);
}

void api_incident_decisions(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    int64_t id;
    if (path_id(req, resp, &id))
        return;
    struct problems *p = problems_create();
    if (!p) {
        http_resp_svc_error(resp, SVC_INTERNAL, "decisions");
        return;
    }
    unsigned limit;
    int64_t unused;
    paging(req, 1000, &limit, &unused, p);
    if (query_problems(resp, p) == 0) {
        json_t *out = NULL;
        enum svc_status st = actions_decisions_of(a->store, id, limit == 50 ? 500 : limit, &out);
        answer(resp, st, out, "incident");
    }
    problems_destroy(p);
}

void api_notifications_list(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    struct problems *p = problems_create();
    if (!p) {
        http_resp_svc_error(resp, SVC_INTERNAL, "notifications");
        return;
    }
    unsigned limit;
    int64_t before;
    paging(req, 200, &limit, &before, p);
    if (query_problems(resp, p) == 0) {
        json_t *out = NULL;
        enum svc_status st = actions_notification_list(a->store, before, limit, &out);
        answer(resp, st, out, "notifications");
    }
    problems_destroy(p);
}
