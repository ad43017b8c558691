/* POST /api/v1/findings and POST /api/v1/integrations/alertmanager.
 * Both answer only after the findings are durable; a full write queue answers
 * 503 with Retry-After. While the batch waits for its group commit the request
 * holds no server thread: the handler hands the batch to the ledger and defers
 * its answer (http_req_defer); the writer's completion resumes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ledger_api.h"
#include "core/alertmanager.h"
#include "core/policy.h"
#include "ledger/ledger.h"
#include "util/log.h"
#include "util/timeutil.h"

/* One batch on its way to the ledger, owned by the deferral. */
struct ingest_req {
    struct http_defer *d;
    struct finding_batch b;
    struct ledger_result *res;
    char actor[64];
    const char *what; /* "findings" or "alerts", for the error message */
    enum svc_status st;
    char err[160];
};

static void ingest_req_free(void *ctx)
{
    struct ingest_req *ir = ctx;
    finding_batch_clear(&ir->b);
    free(ir->res);
    free(ir);
}

/* On the store's writer thread: only note the outcome and wake the request. */
static void ingest_done(void *ctx, enum svc_status st, const char *err)
{
    struct ingest_req *ir = ctx;
    ir->st = st;
    snprintf(ir->err, sizeof ir->err, "%s", err ? err : "");
    http_defer_done(ir->d);
}

/* On a server thread, once the batch is durable (or failed). */
static void ingest_finish(void *ctx, struct http_resp *resp)
{
    struct ingest_req *ir = ctx;
    if (ir->st == SVC_OK) {
        http_resp_json(resp, 200, ledger_results_json(ir->res, ir->b.count));
        return;
    }
    if (ir->st != SVC_BUSY)
        log_error("api", "ingest of %zu %s failed: %s", ir->b.count, ir->what, ir->err);
    http_resp_svc_error(resp, ir->st, ir->what);
}

/* Hands the batch (taken from *b, which is left empty) to the ledger; the
 * answer follows once it is durable. */
static void ingest_deferred(struct http_req *req, struct http_resp *resp, struct ledger *l,
                            struct finding_batch *b, const char *what)
{
    struct ingest_req *ir = calloc(1, sizeof *ir);
    struct ledger_result *res = calloc(b->count ? b->count : 1, sizeof *res);
    if (!ir || !res) {
        free(ir);
        free(res);
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    ir->b = *b;
    memset(b, 0, sizeof *b);
    ir->res = res;
    ir->what = what;
    snprintf(ir->actor, sizeof ir->actor, "%s", req->who->name);
    ir->d = http_req_defer(req, ingest_finish, ingest_req_free, ir);
    if (!ir->d) {
        ingest_req_free(ir);
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    enum svc_status st = ledger_ingest_submit(l, &ir->b, ir->actor, ir->res, ingest_done, ir);
    if (st != SVC_OK) { /* not queued: answer at once (503 when the queue is full) */
        ir->st = st;
        snprintf(ir->err, sizeof ir->err, "%s", svc_status_text(st));
        http_defer_done(ir->d);
    }
}

void api_findings_post(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    if (!api_ledger(a, resp))
        return;
    struct problems *p;
    json_t *doc = http_req_json_problems(req, resp, &p);
    if (!doc)
        return;
    struct finding_batch b = {0};
    if (findings_from_json(doc, time_now_ms(), &b, p) != 0)
        http_resp_problems(resp, 422, "validation_failed", p, "invalid findings; none were stored");
    else
        ingest_deferred(req, resp, a->ledger, &b, "findings");
    finding_batch_clear(&b);
    problems_destroy(p);
    json_decref(doc);
}

void api_alertmanager_post(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    if (!api_ledger(a, resp))
        return;
    json_t *doc = http_req_json(req, resp);
    if (!doc)
        return;
    struct problems *p = problems_create();
    struct finding_batch b = {0};
    /* class mapping and key labels come from the current policy (docs/policy.md) */
    json_t *policy = ledger_policy(a->ledger);
    struct am_options opt;
    static __thread struct am_class_map map[256];
    static __thread const char *labels[16];
    policy_am_options(policy, &opt, map, 256, labels, 16);
    if (!p) {
        http_resp_error(resp, 500, "internal", "out of memory");
        goto out;
    }
    if (alertmanager_from_json(doc, &opt, time_now_ms(), &b, p) != 0) {
        http_resp_problems(resp, 422, "validation_failed", p,
                           "not an Alertmanager webhook (version 4) payload");
        goto out;
    }
    if (b.count == 0) {
        http_resp_json(resp, 200, json_pack("{s:[]}", "items"));
        goto out;
    }
    ingest_deferred(req, resp, a->ledger, &b, "alerts");
out:
    finding_batch_clear(&b);
    problems_destroy(p);
    json_decref(policy);
    json_decref(doc);
}
