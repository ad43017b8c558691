/* patch_config: a JSON merge patch of one ConfigMap's data, from the
 * attempt's params {"data": {"KEY": "value" | null}} (null deletes the key).
 * The values the keys had before are recorded (detail.previous; null = the
 * key did not exist), so an operator can put them back. Pods that read the
 * ConfigMap are not restarted (rollout_restart does that). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/kube_runner.h"

#define PC_MAX_KEYS 64
#define PC_MAX_VALUE (64 * 1024)

static int pc_validate(void *instance, const char *target, const json_t *params,
                       struct problems *p)
{
    struct kube_target t;
    kube_target_parse(target, KT_NS_NAME, &t, p);
    const json_t *data = json_object_get(params, "data");
    if (!json_is_object(data) || json_object_size(data) == 0 ||
        json_object_size(data) > PC_MAX_KEYS) {
        problems_add(p, "/params/data", "required",
                     "an object of 1-%d keys: the ConfigMap keys to set (string) or delete (null)",
                     PC_MAX_KEYS);
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v) {
        char path[PROBLEM_PATH_MAX];
        snprintf(path, sizeof path, "/params/data/%.200s", k);
        if (!json_is_null(v) && !(json_is_string(v) && json_string_length(v) <= PC_MAX_VALUE))
            problems_add(p, path, "type", "must be a string (at most %d bytes) or null",
                         PC_MAX_VALUE);
        size_t n = strlen(k);
        int ok = n > 0 && n <= 253;
        for (size_t i = 0; ok && i < n; i++)
            ok = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
                 (k[i] >= '0' && k[i] <= '9') || k[i] == '-' || k[i] == '_' || k[i] == '.';
        if (!ok)
            problems_add(p, path, "format", "a ConfigMap key: [-._a-zA-Z0-9]+");
    }
    return problems_any(p) ? -1 : 0;
}

static enum adapter_result run(void *instance, const struct runner_request *rq,
                               struct runner_outcome *out, int dry)
{
    struct kube_target t;
    enum adapter_result r = kube_runner_begin(instance, rq, KT_NS_NAME, &t, out);
    if (r != ADAPTER_OK)
        return r;
    struct problems *p = problems_create();
    int bad = !p || pc_validate(instance, rq->target, rq->params, p) != 0;
    if (bad)
        snprintf(out->error, sizeof out->error, "params: %.200s",
                 p && p->count ? p->items[0].message : "out of memory");
    problems_destroy(p);
    if (bad)
        return ADAPTER_ERROR;
    char path[600], err[400];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps/%s", t.ns, t.name);
    json_t *cm = NULL;
    long st = kube_runner_call(instance, rq, "GET", path, NULL, NULL, 0, &cm, err, sizeof err);
    if (st != 200)
        return kube_runner_fail(st, "reading the ConfigMap", err, out);
    const json_t *data = json_object_get(rq->params, "data");
    const json_t *cur = json_object_get(cm, "data");
    json_t *previous = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v) {
        json_t *old = json_object_get(cur, k);
        json_object_set_new(previous, k, old ? json_incref(old) : json_null());
    }
    json_decref(cm);
    json_t *patch = json_pack("{s:O}", "data", data);
    char *body = json_dumps(patch, JSON_COMPACT);
    json_decref(patch);
    st = body ? kube_runner_write(instance, rq, "PATCH", path, "application/merge-patch+json",
                                  body, dry, err, sizeof err)
              : -1;
    free(body);
    if (st != 200) {
        json_decref(previous);
        return kube_runner_fail(st, dry ? "dry-run patch" : "patch", err, out);
    }
    snprintf(out->changed, sizeof out->changed, "%spatch%s ConfigMap %s/%s: %zu key(s)",
             dry ? "would " : "", dry ? "" : "ed", t.ns, t.name, json_object_size(data));
    out->detail = json_pack("{s:s,s:s,s:o,s:b}", "namespace", t.ns, "name", t.name, "previous",
                            previous, "dry_run", dry);
    return ADAPTER_OK;
}

static enum adapter_result pc_preflight(void *instance, const struct runner_request *rq,
                                        struct runner_outcome *out)
{
    return run(instance, rq, out, 1);
}

static enum adapter_result pc_execute(void *instance, const struct runner_request *rq,
                                      struct runner_outcome *out)
{
    return run(instance, rq, out, 0);
}

const struct runner_ops runner_patch_config = {
    .name = "patch_config",
    .description = "Merge-patch a ConfigMap's data (remembers the previous values)",
    .verify = RUNNER_VERIFY_SIGNAL,
    .init = kube_runner_init,
    .validate = pc_validate,
    .preflight = pc_preflight,
    .execute = pc_execute,
    .destroy = kube_runner_destroy,
};
