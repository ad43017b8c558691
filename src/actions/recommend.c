/* The recommendation-only actions: review_cluster_capacity and
 * review_workload_stability. The policy never lets them execute anything:
 * "running" one records the recommendation (what to review, and why) on the
 * attempt, so operators see it in the incident's Actions and it counts in the
 * playbook walk like any attempt. Nothing outside the ledger changes. */
#include <stdio.h>
#include <string.h>

#include "actions/runner.h"

static int rec_init(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen)
{
    *instance = NULL; /* stateless */
    return 0;
}

static int rec_validate(void *instance, const char *target, const json_t *params,
                        struct problems *p)
{
    if (!target || !*target)
        problems_add(p, "/target", "required", "a recommendation names what to review");
    if (params && !json_is_null(params) && !(json_is_object(params) && json_object_size(params) == 0))
        problems_add(p, "/params", "forbidden", "recommendations take no parameters");
    return problems_any(p) ? -1 : 0;
}

static void describe(const struct runner_request *rq, const char *what,
                     struct runner_outcome *out)
{
    const struct incident *inc = rq->incident;
    snprintf(out->changed, sizeof out->changed,
             "recommendation recorded (nothing executed): %s %.120s; incident %lld %.100s: %.160s", what,
             rq->target, (long long)rq->incident_id, inc ? inc->class_ : "",
             inc ? inc->summary : "");
}

static enum adapter_result capacity_run(void *instance, const struct runner_request *rq,
                                        struct runner_outcome *out)
{
    describe(rq, "review the capacity of", out);
    return ADAPTER_OK;
}

static enum adapter_result stability_run(void *instance, const struct runner_request *rq,
                                         struct runner_outcome *out)
{
    describe(rq, "review the stability (restarts, probes, limits) of", out);
    return ADAPTER_OK;
}

static void rec_destroy(void *instance) { (void)instance; }

const struct runner_ops runner_review_cluster_capacity = {
    .name = "review_cluster_capacity",
    .description = "Recommend a review of cluster capacity (recorded; executes nothing)",
    .verify = RUNNER_VERIFY_NONE,
    .init = rec_init,
    .validate = rec_validate,
    .preflight = capacity_run,
    .execute = capacity_run,
    .destroy = rec_destroy,
};

const struct runner_ops runner_review_workload_stability = {
    .name = "review_workload_stability",
    .description = "Recommend a review of a workload's stability (recorded; executes nothing)",
    .verify = RUNNER_VERIFY_NONE,
    .init = rec_init,
    .validate = rec_validate,
    .preflight = stability_run,
    .execute = stability_run,
    .destroy = rec_destroy,
};
