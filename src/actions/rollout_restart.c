/* rollout_restart: a new pod-template annotation
 * kubectl.kubernetes.io/restartedAt (RFC 3339 now), sent as a strategic merge
 * patch as `kubectl rollout restart` does; the controller then replaces the
 * pods in its rolling way. The attempt's idempotency key goes in a second
 * annotation, so the same attempt run twice restarts once. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "actions/kube_runner.h"

#define RESTART_KEY_ANNOTATION "srebot.io/restart-key"
#define RESTARTED_AT_ANNOTATION "kubectl.kubernetes.io/restartedAt"

static void workload_path(const struct kube_target *t, char *out, size_t outlen)
{
    snprintf(out, outlen, "/apis/apps/v1/namespaces/%s/%s/%s", t->ns, t->resource, t->name);
}

static json_t *restart_patch(const struct runner_request *rq, const json_t *obj)
{
    const json_t *ann = json_object_get(
        json_object_get(json_object_get(json_object_get(obj, "spec"), "template"), "metadata"),
        "annotations");
    const char *done = json_string_value(json_object_get(ann, RESTART_KEY_ANNOTATION));
    if (done && rq->idempotency_key && strcmp(done, rq->idempotency_key) == 0)
        return NULL; /* this attempt restarted it already */
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* what `kubectl rollout restart` sends, plus the attempt's key */
    return json_pack("{s:{s:{s:{s:{s:s,s:s}}}}}", "spec", "template", "metadata", "annotations",
                     RESTARTED_AT_ANNOTATION, now, RESTART_KEY_ANNOTATION,
                     rq->idempotency_key ? rq->idempotency_key : "");
}

static const struct one_patch restart_op = {"rollout restart", KT_WORKLOAD, workload_path,
                                            restart_patch,
                                            "application/strategic-merge-patch+json"};

ONE_PATCH_RUNNER(runner_rollout_restart, restart_op, "rollout_restart",
                 "Restart a Deployment or StatefulSet the way kubectl rollout restart does")
