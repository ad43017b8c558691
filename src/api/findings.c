/* POST /api/v1/findings and POST /api/v1/integrations/alertmanager.
 * Both answer only after the findings are durable (the ledger waits for the
 * group commit); a full write queue answers 503 with Retry-After. */
#include <stdlib.h>

#include "api/ledger_api.h"
#include "core/alertmanager.h"
#include "core/policy.h"
#include "ledger/ledger.h"
#include "util/log.h"
#include "util/timeutil.h"

void api_findings_post(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    if (!api_ledger(a, resp))
        return;
    struct problems *p;
    json_t *doc = http_req_json_problems(req, resp, &p);
    if (!doc)
        return;
    json_t *answer = NULL;
    enum svc_status st = ledger_ingest_doc(a->ledger, doc, req->who->name, &answer, p);
    if (st == SVC_OK)
        http_resp_json(resp, 200, answer);
    else if (st == SVC_INVALID)
        http_resp_problems(resp, 422, "validation_failed", p, "invalid findings; none were stored");
    else
        http_resp_svc_error(resp, st, "findings");
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
    struct ledger_result *res = NULL;
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
    res = calloc(b.count, sizeof *res);
    char err[160];
    enum svc_status st =
        res ? ledger_ingest(a->ledger, &b, req->who->name, res, err, sizeof err) : SVC_INTERNAL;
    if (st == SVC_OK) {
        http_resp_json(resp, 200, ledger_results_json(res, b.count));
    } else {
        if (st != SVC_BUSY)
            log_error("api", "alertmanager ingest failed: %s", res ? err : "out of memory");
        http_resp_svc_error(resp, st, "alerts");
    }
out:
    free(res);
    finding_batch_clear(&b);
    problems_destroy(p);
    json_decref(policy);
    json_decref(doc);
}
