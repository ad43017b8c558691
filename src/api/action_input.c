/* Request bodies of the remediation API (action_input.h). */
#include "api/action_input.h"

#include <stdio.h>
#include <string.h>

#include "core/jsonin.h"

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
