#include "api/admin.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "core/jsonin.h"
#include "ledger/audit_view.h"
#include "ledger/tokens.h"
#include "util/parse.h"
#include "util/timeutil.h"

#define AUDIT_PAGE_DEFAULT 100
#define AUDIT_PAGE_MAX 500

static const char *actor_of(const struct http_req *req)
{
    return req->who && req->who->name[0] ? req->who->name : "unknown";
}

void api_tokens_list(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    json_t *items = NULL;
    enum svc_status st = auth_token_list(((struct app *)app)->store, &items);
    if (st != SVC_OK) {
        http_resp_svc_error(resp, st, "tokens");
        return;
    }
    http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

/* {"name","role","expires_at"?} -> 201 {"name","role","expires_at","token"}:
 * the only time the token is shown. */
void api_tokens_create(struct http_req *req, struct http_resp *resp, void *app)
{
    static const char *const known[] = {"name", "role", "expires_at", NULL};
    struct problems *p = NULL;
    json_t *body = http_req_json_problems(req, resp, &p);
    if (!body)
        return;
    jsonin_no_unknown(body, "", known, p);
    const char *name = jsonin_string(body, "", "name", 1, 63, p);
    const char *role_text = jsonin_string(body, "", "role", 1, 16, p);
    const char *expires = jsonin_string(body, "", "expires_at", 0, 40, p);
    enum role role = role_text ? role_parse(role_text) : ROLE_NONE;
    if (role_text && role == ROLE_NONE)
        problems_add(p, "/role", "enum", "must be one of viewer, operator, admin, ingest");
    if (name && !auth_token_name_ok(name))
        problems_add(p, "/name", "pattern", "must be 1-63 characters of A-Z a-z 0-9 . _ - @ :");
    int64_t expires_ms = 0;
    if (expires && time_parse_rfc3339(expires, &expires_ms) != 0)
        problems_add(p, "/expires_at", "format", "must be an RFC 3339 time");
    else if (expires && expires_ms <= time_now_ms())
        problems_add(p, "/expires_at", "range", "must lie in the future");
    if (problems_any(p)) {
        http_resp_problems(resp, 422, "validation_failed", p, "the token was not created");
        goto out;
    }
    char token[AUTH_TOKEN_BUF], err[200];
    if (auth_token_create(((struct app *)app)->store, actor_of(req), name, role, expires_ms, token,
                          err, sizeof err) != 0) {
        if (strstr(err, "already exists"))
            http_resp_error(resp, 409, "conflict", "%s", err);
        else
            http_resp_error(resp, 503, "unavailable", "%s", err);
        goto out;
    }
    http_resp_json(resp, 201,
                   json_pack("{s:s, s:s, s:o, s:s}", "name", name, "role", role_name(role),
                             "expires_at", expires ? json_string(expires) : json_null(), "token",
                             token));
    memset(token, 0, sizeof token);
out:
    json_decref(body);
    problems_destroy(p);
}

void api_token_revoke(struct http_req *req, struct http_resp *resp, void *app)
{
    const char *name = http_req_param(req, "name");
    if (!name || !auth_token_name_ok(name)) {
        http_resp_error(resp, 400, "bad_request", "name: not a token name");
        return;
    }
    char err[200];
    enum svc_status st = auth_token_revoke(((struct app *)app)->store, actor_of(req), name, err,
                                           sizeof err);
    if (st == SVC_NOT_FOUND)
        http_resp_error(resp, 404, "not_found", "%s", err);
    else if (st != SVC_OK)
        http_resp_svc_error(resp, st, "tokens");
    else
        http_resp_json(resp, 200, json_pack("{s:s, s:s}", "name", name, "state", "revoked"));
}

/* A time parameter: 0 and no problem when absent. */
static int64_t time_param(const struct http_req *req, const char *name, struct http_resp *resp,
                          int *bad)
{
    const char *v = http_req_query(req, name);
    int64_t ms = 0;
    if (v && *v && time_parse_rfc3339(v, &ms) != 0) {
        http_resp_error(resp, 400, "bad_request", "%s: must be an RFC 3339 time", name);
        *bad = 1;
    }
    return ms;
}

void api_audit_list(struct http_req *req, struct http_resp *resp, void *app)
{
    struct audit_filter f = {0};
    int bad = 0;
    int64_t limit = AUDIT_PAGE_DEFAULT;
    const char *v;
    if ((v = http_req_query(req, "limit")) && parse_int64_str(v, 1, AUDIT_PAGE_MAX, &limit) != 0) {
        http_resp_error(resp, 400, "bad_request", "limit: must be 1 to %d", AUDIT_PAGE_MAX);
        return;
    }
    if ((v = http_req_query(req, "cursor")) && parse_int64_str(v, 1, INT64_MAX, &f.before) != 0) {
        http_resp_error(resp, 400, "bad_request", "cursor: not one this API gave out");
        return;
    }
    f.since_ms = time_param(req, "since", resp, &bad);
    if (!bad)
        f.until_ms = time_param(req, "until", resp, &bad);
    if (bad)
        return;
    if ((v = http_req_query(req, "actor")) && *v)
        f.actor = v;
    if ((v = http_req_query(req, "action")) && *v)
        f.action = v;
    if ((v = http_req_query(req, "subject")) && *v)
        f.subject_prefix = v;
    json_t *items = NULL;
    int64_t next = 0;
    enum svc_status st =
        audit_page(((struct app *)app)->store, &f, (unsigned)limit, &items, &next);
    if (st != SVC_OK) {
        http_resp_svc_error(resp, st, "audit log");
        return;
    }
    char cursor[24];
    snprintf(cursor, sizeof cursor, "%lld", (long long)next);
    http_resp_json(resp, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
                                        next ? json_string(cursor) : json_null()));
}

void api_audit_verify(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    json_t *out = NULL;
    enum svc_status st = audit_check(((struct app *)app)->store, &out);
    if (st != SVC_OK) {
        http_resp_svc_error(resp, st, "audit log");
        return;
    }
    http_resp_json(resp, 200, out);
}
