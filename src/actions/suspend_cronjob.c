/* suspend_cronjob: spec.suspend true on one CronJob (merge patch). The
 * allowlist is the evaluator's (allowlists.cronjobs); the protected
 * namespaces are refused here too. */
#include <stdio.h>
#include <string.h>

#include "actions/kube_runner.h"

static void cronjob_path(const struct kube_target *t, char *out, size_t outlen)
{
    snprintf(out, outlen, "/apis/batch/v1/namespaces/%s/cronjobs/%s", t->ns, t->name);
}

static json_t *suspend_patch(const struct runner_request *rq, const json_t *obj)
{
    if (json_is_true(json_object_get(json_object_get(obj, "spec"), "suspend")))
        return NULL;
    return json_pack("{s:{s:b}}", "spec", "suspend", 1);
}

static const struct one_patch suspend_op = {"suspend CronJob", KT_NS_NAME, cronjob_path,
                                            suspend_patch, "application/merge-patch+json"};

ONE_PATCH_RUNNER(runner_suspend_cronjob, suspend_op, "suspend_cronjob",
                 "Suspend a CronJob (spec.suspend: true)")
