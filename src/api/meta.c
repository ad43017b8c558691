/* GET /api/v1/meta: the names the API speaks, from the tables that define
 * them, so that clients (the console) keep no copy: the event types (one SSE
 * listener each), the incident states (lifecycle order) and the severities
 * (highest first). */
#include "api/meta.h"

#include "core/event_types.h"
#include "core/finding.h"
#include "core/lifecycle.h"

json_t *api_meta_document(void)
{
    json_t *events = json_array(), *states = json_array(), *sevs = json_array();
    for (size_t i = 0; event_types[i].type; i++)
        json_array_append_new(events, json_string(event_types[i].type));
    for (int s = 0; s < ST__COUNT; s++)
        json_array_append_new(states, json_string(incident_state_name((enum incident_state)s)));
    for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
        json_array_append_new(sevs, json_string(severity_name((enum severity)s)));
    return json_pack("{s:o,s:o,s:o}", "event_types", events, "incident_states", states,
                     "severities", sevs);
}

void api_meta(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    (void)app;
    json_t *doc = api_meta_document();
    if (!doc) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    http_resp_json(resp, 200, doc);
}
