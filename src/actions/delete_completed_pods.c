/* delete_completed_pods: deletes the Succeeded and Failed pods of one
 * namespace, never others. The pods are listed by phase (field selector), and
 * each one's phase is checked again before its delete; a pod already gone
 * (404) counts as deleted, so running twice is one effect. Preflight deletes
 * with dryRun=All. At most KDEL_MAX pods per attempt (the next attempt takes
 * the rest). */
#include <stdio.h>
#include <string.h>

#include "actions/kube_runner.h"

#define KDEL_MAX 200

static int kdel_validate(void *instance, const char *target, const json_t *params,
                         struct problems *p)
{
    struct kube_target t;
    kube_target_parse(target, KT_NAMESPACE, &t, p);
    return problems_any(p) ? -1 : 0;
}

static enum adapter_result run(void *instance, const struct runner_request *rq,
                               struct runner_outcome *out, int dry)
{
    struct kube_target t;
    enum adapter_result r = kube_runner_begin(instance, rq, KT_NAMESPACE, &t, out);
    if (r != ADAPTER_OK)
        return r;
    json_t *deleted = json_array();
    char err[400];
    static const char *const phases[] = {"Succeeded", "Failed"};
    for (size_t ph = 0; ph < 2; ph++) {
        char path[300];
        snprintf(path, sizeof path,
                 "/api/v1/namespaces/%s/pods?fieldSelector=status.phase%%3D%s&limit=%d", t.ns,
                 phases[ph], KDEL_MAX);
        json_t *list = NULL;
        long st = kube_runner_call(instance, rq, "GET", path, NULL, NULL, 0, &list, err,
                                   sizeof err);
        if (st != 200) {
            json_decref(deleted);
            return kube_runner_fail(st, "listing pods", err, out);
        }
        size_t i;
        json_t *pod;
        json_array_foreach(json_object_get(list, "items"), i, pod) {
            const char *name =
                json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
            const char *phase =
                json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
            /* the selector said so; the object must say so too */
            if (!name || !phase || strcmp(phase, phases[ph]) != 0 ||
                json_array_size(deleted) >= KDEL_MAX)
                continue;
            snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s", t.ns, name);
            st = kube_runner_call(instance, rq, "DELETE", path, NULL, NULL, dry, NULL, err,
                                  sizeof err);
            if (st != 200 && st != 202 && st != 404) {
                json_decref(list);
                json_decref(deleted);
                return kube_runner_fail(st, "deleting a pod", err, out);
            }
            json_array_append_new(deleted, json_string(name));
        }
        json_decref(list);
    }
    /* The names, as many as fit; the full list is in the detail. */
    char names[300] = "";
    size_t used = 0, i;
    json_t *n;
    json_array_foreach(deleted, i, n) {
        size_t room = sizeof names - used;
        if (json_string_length(n) + 2 + sizeof ", ..." > room) {
            snprintf(names + used, room, ", ...");
            break;
        }
        used += (size_t)snprintf(names + used, room, "%s%s", i ? ", " : "", json_string_value(n));
    }
    snprintf(out->changed, sizeof out->changed, "%s %zu completed pod(s) in namespace %s%s%s",
             dry ? "would delete" : "deleted", json_array_size(deleted), t.ns,
             json_array_size(deleted) ? ": " : "", names);
    out->detail = json_pack("{s:s,s:o,s:b}", "namespace", t.ns, "pods", deleted, "dry_run", dry);
    return ADAPTER_OK;
}

static enum adapter_result kdel_preflight(void *instance, const struct runner_request *rq,
                                          struct runner_outcome *out)
{
    return run(instance, rq, out, 1);
}

static enum adapter_result kdel_execute(void *instance, const struct runner_request *rq,
                                        struct runner_outcome *out)
{
    return run(instance, rq, out, 0);
}

const struct runner_ops runner_delete_completed_pods = {
    .name = "delete_completed_pods",
    .description = "Delete the Succeeded and Failed pods of a namespace",
    .verify = RUNNER_VERIFY_SIGNAL,
    .init = kube_runner_init,
    .validate = kdel_validate,
    .preflight = kdel_preflight,
    .execute = kdel_execute,
    .destroy = kube_runner_destroy,
};
