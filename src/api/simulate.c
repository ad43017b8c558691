/* POST /api/v1/policy/simulate: the what-if replay of a candidate policy over
 * a recorded time range (ledger/simulate.h), read-only and bounded. */
#include <stdlib.h>

#include "api/action_input.h"
#include "api/actions_api.h"
#include "ledger/ledger.h"
#include "ledger/simulate.h"
#include "util/timeutil.h"

void api_policy_simulate(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    struct problems *p;
    json_t *doc = http_req_json_problems(req, resp, &p);
    if (!doc)
        return;
    struct simulate_body b;
    json_t *out = NULL;
    if (simulate_body_from_json(doc, time_now_ms(), &b, p) != 0) {
        http_resp_problems(resp, 422, "validation_failed", p, "invalid simulation request");
    } else if (!a->ledger) {
        http_resp_svc_error(resp, SVC_UNAVAILABLE, "ledger");
    } else {
        enum svc_status st = policy_simulate(a->ledger, b.policy, b.since_ms, b.until_ms, &out, p);
        if (st == SVC_OK)
            http_resp_json(resp, 200, out);
        else if (st == SVC_INVALID)
            http_resp_problems(resp, 422, "validation_failed", p, "invalid simulation request");
        else
            http_resp_svc_error(resp, st, "simulation");
    }
    problems_destroy(p);
    json_decref(doc);
}
