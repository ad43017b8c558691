/* scale_to_zero: replicas 0 through the scale subresource of a Deployment or
 * StatefulSet (merge patch of autoscaling/v1 Scale). The replicas it had are
 * recorded (detail.previous_replicas, and in the result line with the
 * kubectl command that restores them). Already at 0: nothing to change. The
 * allowlist is the evaluator's (allowlists.workloads); protected namespaces
 * are refused here too. */
#include <stdio.h>
#include <string.h>

#include "actions/kube_runner.h"

static int stz_validate(void *instance, const char *target, const json_t *params,
                        struct problems *p)
{
    struct kube_target t;
    kube_target_parse(target, KT_WORKLOAD, &t, p);
    return problems_any(p) ? -1 : 0;
}

static enum adapter_result run(void *instance, const struct runner_request *rq,
                               struct runner_outcome *out, int dry)
{
    struct kube_target t;
    enum adapter_result r = kube_runner_begin(instance, rq, KT_WORKLOAD, &t, out);
    if (r != ADAPTER_OK)
        return r;
    char path[600], err[400];
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/%s/%s/scale", t.ns, t.resource,
             t.name);
    json_t *scale = NULL;
    long st = kube_runner_call(instance, rq, "GET", path, NULL, NULL, 0, &scale, err, sizeof err);
    if (st != 200)
        return kube_runner_fail(st, "reading the scale", err, out);
    json_int_t before = json_integer_value(json_object_get(json_object_get(scale, "spec"),
                                                           "replicas"));
    json_decref(scale);
    if (before == 0) {
        snprintf(out->changed, sizeof out->changed, "nothing to change: %s %s/%s is at 0 replicas",
                 t.kind, t.ns, t.name);
        return ADAPTER_OK;
    }
    st = kube_runner_write(instance, rq, "PATCH", path, "application/merge-patch+json",
                           "{\"spec\":{\"replicas\":0}}", dry, err, sizeof err);
    if (st != 200)
        return kube_runner_fail(st, dry ? "dry-run scale" : "scale", err, out);
    snprintf(out->changed, sizeof out->changed,
             "%sscale%s %s %s/%.100s from %lld to 0 replicas (restore: kubectl -n %s scale "
             "%s/%.100s --replicas=%lld)",
             dry ? "would " : "", dry ? "" : "d", t.kind, t.ns, t.name, (long long)before, t.ns,
             t.resource, t.name, (long long)before);
    out->detail = json_pack("{s:s,s:s,s:s,s:I,s:b}", "namespace", t.ns, "kind", t.kind, "name",
                            t.name, "previous_replicas", before, "dry_run", dry);
    return ADAPTER_OK;
}

static enum adapter_result stz_preflight(void *instance, const struct runner_request *rq,
                                         struct runner_outcome *out)
{
    return run(instance, rq, out, 1);
}

static enum adapter_result stz_execute(void *instance, const struct runner_request *rq,
                                       struct runner_outcome *out)
{
    return run(instance, rq, out, 0);
}

const struct runner_ops runner_scale_to_zero = {
    .name = "scale_to_zero",
    .description = "Scale a Deployment or StatefulSet to 0 replicas (remembers the replicas)",
    .verify = RUNNER_VERIFY_SIGNAL,
    .init = kube_runner_init,
    .validate = stz_validate,
    .preflight = stz_preflight,
    .execute = stz_execute,
    .destroy = kube_runner_destroy,
};
