/* Validation of the policy's optional `retention` section (src/core/retention.h). */
#include <stdio.h>

#include "core/policy_internal.h"
#include "core/retention.h"

void pv_retention(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"findings_days", "resolved_incidents_days", "prune_at",
                                        "batch_size", NULL};
    char path[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "retention", 0, known, path, c->p);
    if (!o)
        return;
    long long findings = 0, resolved = 0, batch = 0;
    pv_int(o, path, "findings_days", 1, 1, RETENTION_MAX_DAYS, &findings, c->p);
    int have_resolved = pv_int(o, path, "resolved_incidents_days", 1, 1, RETENTION_MAX_DAYS,
                               &resolved, c->p) == 0;
    pv_int(o, path, "batch_size", 1, RETENTION_MIN_BATCH, RETENTION_MAX_BATCH, &batch, c->p);
    const char *at = pv_string(o, path, "prune_at", 1, 16, c->p);
    if (at && retention_parse_time(at) < 0) {
        pv_path(fpath, path, "prune_at");
        problems_add(c->p, fpath, "format", "must be a UTC time of day HH:MM, e.g. 03:30");
    }
    /* A resolved incident pruned inside its re-open window could not re-open:
     * a new incident would start instead. */
    const json_t *reopen =
        json_object_get(json_object_get(doc, "incidents"), "reopen_window_seconds");
    if (have_resolved && json_is_integer(reopen) &&
        resolved * 86400 < (long long)json_integer_value(reopen)) {
        pv_path(fpath, path, "resolved_incidents_days");
        problems_add(c->p, fpath, "forbidden",
                     "shorter than incidents.reopen_window_seconds (%lld s): a resolved incident "
                     "must be kept while it may re-open",
                     (long long)json_integer_value(reopen));
    }
}
