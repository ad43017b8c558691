/* Policy handlers: thin. Parse, call the policy service, shape the answer.
 * Optimistic concurrency: GET answers ETag: "<version>"; PUT needs If-Match with
 * the version it was edited from ("0" before the first version): 428 without
 * it, 412 when stale. Documents leave only through policy_redact(). */
#include "api/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "core/fileroots.h"
#include "core/policy.h"
#include "ledger/policy_service.h"
#include "util/parse.h"

#define VERSIONS_DEFAULT_LIMIT 100
#define VERSIONS_MAX_LIMIT 500

/* A decimal number >= 0; -1 otherwise. */
static int64_t parse_version(const char *s, size_t len)
{
    int64_t v;
    return parse_int64(s, len, 0, INT64_MAX, &v) == 0 ? v : -1;
}

/* If-Match: "7" (also W/"7" and a bare 7, as some clients send them). */
static int64_t parse_if_match(const char *h)
{
    while (*h == ' ')
        h++;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    size_t len = strlen(h);
    while (len && h[len - 1] == ' ')
        len--;
    if (len >= 2 && h[0] == '"' && h[len - 1] == '"')
        return parse_version(h + 1, len - 2);
    return parse_version(h, len);
}

static void set_etag(struct http_resp *resp, int64_t version)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"", (long long)version);
    http_resp_header(resp, "ETag", etag);
}

/* 200 {"version","author","created_at","document"} with its ETag. */
static void answer_version(struct http_resp *resp, struct store *s, int64_t version, int etag)
{
    struct policy_version_rec r;
    enum svc_status st = policy_service_get(s, version, &r);
    if (st == SVC_NOT_FOUND) {
        if (version == 0)
            http_resp_error(resp, 404, "not_found", "no policy has been saved yet");
        else
            http_resp_error(resp, 404, "not_found", "policy version %lld does not exist",
                            (long long)version);
        return;
    }
    if (st != SVC_OK) {
        http_resp_svc_error(resp, st, "policy");
        return;
    }
    json_t *body = policy_version_to_json(&r, 1);
    int64_t v = r.version;
    policy_version_rec_clear(&r);
    if (!body) {
        http_resp_error(resp, 500, "internal", "policy version %lld is unreadable", (long long)v);
        return;
    }
    if (etag)
        set_etag(resp, v);
    http_resp_json(resp, 200, body);
}

void api_policy_get(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    answer_version(resp, ((struct app *)app)->store, 0, 1);
}

/* Files the document names outside IF_SRE_FILE_ROOTS (core/fileroots.h), as
 * problems; 1 when there is any. Without a configuration (tests of the HTTP
 * layer alone) nothing is limited. */
static int outside_file_roots(const struct app *a, const json_t *doc, struct problems *p)
{
    if (!a->cfg)
        return 0;
    size_t before = p->count;
    fileroots_check_policy(doc, a->cfg->file_roots, p);
    return p->count > before;
}

void api_policy_put(struct http_req *req, struct http_resp *resp, void *app)
{
    struct store *s = ((struct app *)app)->store;
    const char *if_match = http_req_header(req, "If-Match");
    if (!if_match) {
        http_resp_error(resp, 428, "precondition_required",
                        "send If-Match with the version you edited (ETag of GET /api/v1/policy; "
                        "\"0\" for the first version)");
        return;
    }
    int64_t expected = parse_if_match(if_match);
    if (expected < 0) {
        http_resp_error(resp, 412, "precondition_failed",
                        "If-Match must be a policy version such as \"3\"");
        return;
    }
    if (req->body_len > POLICY_MAX_BYTES) {
        http_resp_error(resp, 413, "payload_too_large", "the policy is limited to %u bytes",
                        POLICY_MAX_BYTES);
        return;
    }
    json_t *doc = http_req_json(req, resp);
    if (!doc)
        return;
    struct problems *p = problems_create();
    if (!p) {
        json_decref(doc);
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    if (outside_file_roots(app, doc, p)) {
        policy_validate(doc, p); /* the whole list of problems at once */
        json_decref(doc);
        http_resp_problems(resp, 422, "validation_failed", p,
                           "the policy has problems; nothing was saved");
        problems_destroy(p);
        return;
    }
    int64_t version = 0;
    char err[200];
    const char *author = req->who && req->who->name[0] ? req->who->name : "unknown";
    enum svc_status st = policy_service_put(s, doc, expected, author, p, &version, err,
                                            sizeof err);
    json_decref(doc);
    if (st == SVC_INVALID && p->count) {
        http_resp_problems(resp, 422, "validation_failed", p,
                           "the policy has problems; nothing was saved");
    } else if (st == SVC_CONFLICT) {
        /* HTTP names a stale If-Match 412, not 409 (RFC 9110) */
        http_resp_error(resp, 412, "precondition_failed",
                        "%s; fetch the policy again and re-apply your change", err);
    } else if (st != SVC_OK) {
        http_resp_svc_error(resp, st, "policy");
    } else {
        answer_version(resp, s, version, 1);
    }
    problems_destroy(p);
}

void api_policy_validate(struct http_req *req, struct http_resp *resp, void *app)
{
    if (req->body_len > POLICY_MAX_BYTES) {
        http_resp_error(resp, 413, "payload_too_large", "the policy is limited to %u bytes",
                        POLICY_MAX_BYTES);
        return;
    }
    json_t *doc = http_req_json(req, resp);
    if (!doc)
        return;
    struct problems *p = problems_create();
    if (!p) {
        json_decref(doc);
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    int valid = policy_validate(doc, p) == 0;
    valid = !outside_file_roots(app, doc, p) && valid;
    json_decref(doc);
    http_resp_json(resp, 200, json_pack("{s:b, s:o}", "valid", valid, "problems",
                                        problems_to_json(p)));
    problems_destroy(p);
}

/* 200 {"environment","document"}: what seeding would save for that posture
 * (default: the server's --environment). The console's "Load defaults" and
 * `srebot policy init` start from it. */
void api_policy_defaults(struct http_req *req, struct http_resp *resp, void *app)
{
    const struct app *a = app;
    if (!a->cfg) {
        http_resp_error(resp, 503, "unavailable", "no server configuration");
        return;
    }
    enum environment posture = a->cfg->environment;
    const char *q = http_req_query(req, "environment");
    if (q && policy_posture_parse(q, &posture) != 0) {
        http_resp_error(resp, 400, "bad_request",
                        "environment: must be one of demo, staging, production");
        return;
    }
    json_t *doc = policy_service_defaults(a->cfg, posture);
    if (!doc) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    json_t *shown = policy_redact(doc);
    json_decref(doc);
    http_resp_json(resp, 200, json_pack("{s:s, s:o}", "environment", policy_posture_name(posture),
                                        "document", shown));
}

void api_policy_versions(struct http_req *req, struct http_resp *resp, void *app)
{
    struct store *s = ((struct app *)app)->store;
    long long limit = VERSIONS_DEFAULT_LIMIT;
    const char *q = http_req_query(req, "limit");
    if (q) {
        limit = parse_version(q, strlen(q));
        if (limit < 1 || limit > VERSIONS_MAX_LIMIT) {
            http_resp_error(resp, 400, "bad_request", "limit must be 1 to %d",
                            VERSIONS_MAX_LIMIT);
            return;
        }
    }
    /* The cursor is the version to continue below; opaque to clients. */
    int64_t before = 0;
    const char *cursor = http_req_query(req, "cursor");
    if (cursor) {
        before = parse_version(cursor, strlen(cursor));
        if (before < 1) {
            http_resp_error(resp, 400, "bad_request", "cursor is not one this API gave out");
            return;
        }
    }
    json_t *items = NULL;
    enum svc_status st = policy_service_list(s, before, (unsigned)limit, &items);
    if (st != SVC_OK) {
        http_resp_svc_error(resp, st, "policy versions");
        return;
    }
    json_t *next = json_null();
    size_t n = json_array_size(items);
    if (n == (size_t)limit) {
        json_int_t last = json_integer_value(json_object_get(json_array_get(items, n - 1),
                                                             "version"));
        if (last > 1) {
            char buf[24];
            snprintf(buf, sizeof buf, "%lld", (long long)last);
            json_decref(next);
            next = json_string(buf);
        }
    }
    http_resp_json(resp, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

void api_policy_version_get(struct http_req *req, struct http_resp *resp, void *app)
{
    const char *n = http_req_param(req, "n");
    int64_t version = n ? parse_version(n, strlen(n)) : -1;
    if (version < 1) {
        http_resp_error(resp, 400, "bad_request",
                        "n: must be a decimal policy version, numbered from 1");
        return;
    }
    answer_version(resp, ((struct app *)app)->store, version, 0);
}
