/* /api/v1/channels: the policy's channels with their health and last
 * delivery, and "send test message" (a notification of kind test meant for
 * one channel, delivered by the channel worker). Shapes: docs/api.md. */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/channels_api.h"
#include "ledger/channels.h"
#include "ledger/ledger.h"
#include "util/timeutil.h"

void api_channels_list(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    json_t *policy = a->ledger ? ledger_policy(a->ledger) : NULL;
    json_t *out = NULL;
    enum svc_status st = channels_view(a->store, policy, &out);
    json_decref(policy);
    if (st == SVC_OK)
        http_resp_json(resp, 200, out);
    else
        http_resp_svc_error(resp, st, "channels");
}

void api_channel_test(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    const char *id = http_req_param(req, "id");
    if (req->body_len) { /* no options yet: an empty body or {} */
        json_t *doc = http_req_json(req, resp);
        if (!doc)
            return;
        int empty = json_is_object(doc) && json_object_size(doc) == 0;
        json_decref(doc);
        if (!empty) {
            http_resp_error(resp, 422, "validation_failed", "the body must be empty or {}");
            return;
        }
    }
    if (!a->ledger) {
        http_resp_svc_error(resp, SVC_UNAVAILABLE, "channels");
        return;
    }
    json_t *policy = ledger_policy(a->ledger);
    int known = channels_policy_has(policy, id);
    json_decref(policy);
    if (!known) {
        http_resp_error(resp, 404, "not_found", "no channel has this id");
        return;
    }
    int64_t nid = 0;
    enum svc_status st = channels_test_post(a->ledger, id, req->who->name, time_now_ms(), &nid);
    if (st != SVC_OK) {
        http_resp_svc_error(resp, st, "channel test");
        return;
    }
    http_resp_json(resp, 202,
                   json_pack("{s:I, s:s, s:s}", "notification_id", (json_int_t)nid, "channel", id,
                             "state", "queued"));
}
