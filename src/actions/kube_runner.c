#include "actions/kube_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actions.h"
#include "core/policy.h"
#include "util/timeutil.h"

int kube_runner_init(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen)
{
    const struct runner_deps *d = deps;
    *instance = d ? d->kube : NULL; /* shared, owned by main.c */
    return 0;
}

void kube_runner_destroy(void *instance)
{
    (void)instance;
}

int kube_target_parse(const char *target, enum kube_target_shape shape, struct kube_target *t,
                      struct problems *p)
{
    memset(t, 0, sizeof *t);
    static const char *const forms[] = {"<namespace>", "<namespace>/<name>",
                                        "<namespace>/<Deployment|StatefulSet>/<name>", "<node>"};
    char buf[400];
    if (!target || strlen(target) >= sizeof buf)
        goto bad;
    snprintf(buf, sizeof buf, "%s", target);
    char *parts[4] = {0};
    size_t n = 0;
    for (char *s = buf, *save = NULL, *tok; n < 4 && (tok = strtok_r(s, "/", &save)); s = NULL)
        parts[n++] = tok;
    size_t want = shape == KT_NAMESPACE || shape == KT_NODE ? 1 : shape == KT_NS_NAME ? 2 : 3;
    size_t slashes = 0;
    for (const char *c = target; *c; c++)
        slashes += *c == '/';
    if (n != want || slashes != want - 1) /* no empty or extra segments */
        goto bad;
    if (shape == KT_NODE) {
        if (!k8s_name_ok(parts[0], 253, 1))
            goto bad;
        snprintf(t->name, sizeof t->name, "%s", parts[0]);
        return 0;
    }
    if (!k8s_name_ok(parts[0], 63, 0))
        goto bad;
    snprintf(t->ns, sizeof t->ns, "%s", parts[0]);
    if (shape == KT_NAMESPACE)
        return 0;
    const char *name = parts[n - 1];
    if (!k8s_name_ok(name, 253, 1))
        goto bad;
    snprintf(t->name, sizeof t->name, "%s", name);
    if (shape == KT_WORKLOAD) {
        if (strcmp(parts[1], "Deployment") == 0)
            t->resource = "deployments";
        else if (strcmp(parts[1], "StatefulSet") == 0)
            t->resource = "statefulsets";
        else
            goto bad;
        snprintf(t->kind, sizeof t->kind, "%s", parts[1]);
    }
    return 0;
bad:
    problems_add(p, "/target", "format", "must be %s (Kubernetes names)", forms[shape]);
    return -1;
}

enum adapter_result kube_runner_begin(void *instance, const struct runner_request *rq,
                                      enum kube_target_shape shape, struct kube_target *t,
                                      struct runner_outcome *out)
{
    if (!instance) {
        snprintf(out->error, sizeof out->error,
                 "Kubernetes is off (no IF_SRE_KUBECONFIG, KUBECONFIG or in-cluster account)");
        return ADAPTER_ERROR;
    }
    struct problems *p = problems_create();
    int bad = !p || kube_target_parse(rq->target, shape, t, p) != 0;
    if (bad)
        snprintf(out->error, sizeof out->error, "target %.100s: %.140s", rq->target,
                 p && p->count ? p->items[0].message : "out of memory");
    problems_destroy(p);
    if (bad)
        return ADAPTER_ERROR;
    return kube_runner_protected(rq, t->ns, out);
}

enum adapter_result kube_runner_protected(const struct runner_request *rq, const char *ns,
                                          struct runner_outcome *out)
{
    const json_t *prot =
        json_object_get(json_object_get(rq->policy, "allowlists"), "protected_namespaces");
    if (ns[0] && policy_string_listed(prot, ns)) {
        snprintf(out->error, sizeof out->error,
                 "refused: namespace %.63s is protected (allowlists.protected_namespaces)", ns);
        return ADAPTER_ERROR;
    }
    return ADAPTER_OK;
}

long kube_runner_call(struct kube_client *kc, const struct runner_request *rq, const char *method,
                      const char *path, const char *content_type, const char *body, int dry,
                      json_t **answer, char *err, size_t errlen)
{
    uint64_t now = time_mono_ns();
    if (rq->deadline_ns && now + 200000000ULL >= rq->deadline_ns) {
        snprintf(err, errlen, "deadline reached");
        return -1;
    }
    int timeout_ms = rq->deadline_ns ? (int)((rq->deadline_ns - now) / 1000000ULL) : 10000;
    if (timeout_ms > 15000)
        timeout_ms = 15000;
    char full[1200];
    snprintf(full, sizeof full, "%s%s", path,
             dry ? (strchr(path, '?') ? "&dryRun=All" : "?dryRun=All") : "");
    struct kube_call call = {.method = method, .path = full, .body = body,
                             .content_type = content_type, .timeout_ms = timeout_ms};
    json_t *j = NULL;
    long st = kube_json(kc, &call, &j, err, errlen);
    if (answer)
        *answer = j;
    else
        json_decref(j);
    return st;
}

long kube_runner_write(struct kube_client *kc, const struct runner_request *rq, const char *method,
                       const char *path, const char *content_type, const char *body, int dry,
                       char *err, size_t errlen)
{
    long st = kube_runner_call(kc, rq, method, path, content_type, body, 1, NULL, err, errlen);
    if (st != 200 || dry)
        return st;
    return kube_runner_call(kc, rq, method, path, content_type, body, 0, NULL, err, errlen);
}

enum adapter_result kube_runner_fail(long status, const char *what, const char *err,
                                     struct runner_outcome *out)
{
    snprintf(out->error, sizeof out->error, "%.80s: %.160s", what, err);
    return status < 0 || status == 429 || status >= 500 ? ADAPTER_RETRY : ADAPTER_ERROR;
}

enum adapter_result kube_run_patch(const struct one_patch *op, void *instance,
                                     const struct runner_request *rq, struct runner_outcome *out,
                                     int dry)
{
    struct kube_target t;
    enum adapter_result r = kube_runner_begin(instance, rq, op->shape, &t, out);
    if (r != ADAPTER_OK)
        return r;
    char path[600], err[400];
    op->path(&t, path, sizeof path);
    json_t *obj = NULL;
    long st = kube_runner_call(instance, rq, "GET", path, NULL, NULL, 0, &obj, err, sizeof err);
    if (st != 200)
        return kube_runner_fail(st, "reading the object", err, out);
    json_t *patch = op->patch(rq, obj);
    json_decref(obj);
    if (!patch) {
        snprintf(out->changed, sizeof out->changed, "nothing to change: %s %.300s already done",
                 op->what, rq->target);
        return ADAPTER_OK;
    }
    char *body = json_dumps(patch, JSON_COMPACT);
    st = body ? kube_runner_write(instance, rq, "PATCH", path, op->content_type, body, dry, err,
                                  sizeof err)
              : -1;
    if (st != 200) {
        free(body);
        json_decref(patch);
        return kube_runner_fail(st, dry ? "dry-run patch" : "patch", body ? err : "out of memory",
                                out);
    }
    snprintf(out->changed, sizeof out->changed, "%s%s %.200s: %.250s", dry ? "would " : "",
             op->what, rq->target, body);
    out->detail = json_pack("{s:s,s:o,s:b}", "path", path, "patch", patch, "dry_run", dry);
    free(body);
    return ADAPTER_OK;
}

