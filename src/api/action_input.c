/* Request bodies of the remediation API (action_input.h). */
#include "api/action_input.h"

#include <stdio.h>
#include <string.h>

#include "core/jsonin.h"
#include "core/policy.h"
#include "util/timeutil.h"

int decision_body_parse(const char *buf, size_t len, int reason_required,
                        struct decision_body *out, struct problems *p)
{
    memset(out, 0, sizeof *out);
    if ((!buf || len == 0) && !reason_required)
        return 0;
    json_t *doc = jsonin_parse(buf ? buf : "", len, DECISION_BODY_MAX, 4, p);
    if (!doc)
        return -1;
    int rc = decision_body_from_json(doc, reason_required, out, p);
    json_decref(doc);
    return rc;
}

int decision_body_from_json(json_t *doc, int reason_required, struct decision_body *out,
                            struct problems *p)
{
    memset(out, 0, sizeof *out);
    static const char *const known[] = {"reason", NULL};
    if (!json_is_object(doc)) {
        problems_add(p, "", "type", "must be an object");
    } else {
        jsonin_no_unknown(doc, "", known, p);
        const char *r = jsonin_string(doc, "", "reason", reason_required, DECISION_REASON_MAX, p);
        if (r && reason_required && !*r)
            problems_add(p, "/reason", "required", "a rejection needs a reason");
        if (r)
            snprintf(out->reason, sizeof out->reason, "%s", r);
    }
    return problems_any(p) ? -1 : 0;
}

int simulate_body_from_json(json_t *doc, int64_t now_ms, struct simulate_body *out,
                            struct problems *p)
{
    memset(out, 0, sizeof *out);
    static const char *const known[] = {"policy", "since", "until", NULL};
    if (!json_is_object(doc)) {
        problems_add(p, "", "type", "must be an object");
        return -1;
    }
    jsonin_no_unknown(doc, "", known, p);
    const json_t *pol = json_object_get(doc, "policy");
    if (!pol)
        problems_add(p, "/policy", "required", "is required (the candidate policy document)");
    else if (!json_is_object(pol))
        problems_add(p, "/policy", "type", "must be an object");
    else
        out->policy = pol;
    const char *since = jsonin_string(doc, "", "since", 1, 64, p);
    const char *until = jsonin_string(doc, "", "until", 0, 64, p);
    if (since && time_parse_rfc3339(since, &out->since_ms) != 0)
        problems_add(p, "/since", "format", "must be an RFC 3339 time");
    out->until_ms = now_ms;
    if (until && time_parse_rfc3339(until, &out->until_ms) != 0)
        problems_add(p, "/until", "format", "must be an RFC 3339 time");
    return problems_any(p) ? -1 : 0;
}

int simulate_body_parse(const char *buf, size_t len, int64_t now_ms, struct simulate_body *out,
                        json_t **doc_out, struct problems *p)
{
    *doc_out = NULL;
    memset(out, 0, sizeof *out);
    json_t *doc = jsonin_parse(buf ? buf : "", len, SIMULATE_BODY_MAX, POLICY_MAX_DEPTH + 1, p);
    if (!doc)
        return -1;
    if (simulate_body_from_json(doc, now_ms, out, p) != 0) {
        json_decref(doc);
        return -1;
    }
    *doc_out = doc;
    return 0;
}
