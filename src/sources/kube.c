/* The kubernetes source: watches nodes, pods, Deployments, StatefulSets,
 * CronJobs, Jobs and Warning events through the shared Kubernetes client
 * (kube/watch.h, one watcher thread per resource, bounded copies), and each
 * cycle turns what the copies hold into findings (kube_rules.c). A signal
 * that fires sends a firing finding, again every refire_seconds while it
 * lasts; one that stops firing sends one resolved finding. Evidence is
 * `k8s_object`: the object (the fields kept), and the Warning events that
 * name it. Configuration: the policy's `kubernetes` section (docs/kubernetes.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/watch.h"
#include "sources/finding.h"
#include "sources/kube_view.h"
#include "sources/source.h"
#include "sources/srcconf.h"

static const struct {
    const char *name, *path, *field_selector;
    json_t *(*trim)(const json_t *);
} watched[KR_COUNT] = {
    [KR_NODES] = {"nodes", "/api/v1/nodes", NULL, kube_trim_node},
    [KR_PODS] = {"pods", "/api/v1/pods", NULL, kube_trim_pod},
    [KR_DEPLOYMENTS] = {"deployments", "/apis/apps/v1/deployments", NULL, kube_trim_workload},
    [KR_STATEFULSETS] = {"statefulsets", "/apis/apps/v1/statefulsets", NULL, kube_trim_workload},
    [KR_CRONJOBS] = {"cronjobs", "/apis/batch/v1/cronjobs", NULL, kube_trim_cronjob},
    [KR_JOBS] = {"jobs", "/apis/batch/v1/jobs", NULL, kube_trim_job},
    [KR_EVENTS] = {"events", "/api/v1/events", "type=Warning", kube_trim_event},
};

struct kube_source {
    char id[128];
    struct kube_watch *w[KR_COUNT];
    struct kube_rules_cfg cfg;
    json_t *namespaces;
    struct kube_rules_state st;
    json_t *active;     /* "<class>|<key>" -> {"at": last firing ms, "summary": ...} */
    int64_t refire_ms;
};

static void kube_destroy(void *instance)
{
    struct kube_source *s = instance;
    if (!s)
        return;
    for (size_t i = 0; i < KR_COUNT; i++)
        kube_watch_destroy(s->w[i]);
    kube_rules_state_free(&s->st);
    json_decref(s->namespaces);
    json_decref(s->active);
    free(s);
}

static int kube_init(const json_t *config, void *deps, void **instance, char *err, size_t errlen)
{
    const struct source_deps *d = deps;
    if (!d->kube) {
        snprintf(err, errlen, "Kubernetes is off: no IF_SRE_KUBECONFIG, KUBECONFIG or in-cluster "
                              "service account (see docs/kubernetes.md)");
        return -1;
    }
    struct kube_source *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(s->id, sizeof s->id, "%s", srcconf_str(config, "id", "kubernetes"));
    const json_t *ns = json_object_get(config, "namespaces");
    s->namespaces = json_is_array(ns) ? json_deep_copy(ns) : json_array();
    s->cfg.namespaces = s->namespaces;
    s->cfg.restart_threshold = (long long)srcconf_num(config, "restart_threshold", 5, 1, 1000);
    s->cfg.restart_window_ms =
        (long long)(srcconf_num(config, "restart_window_seconds", 600, 10, 86400) * 1000);
    s->cfg.unavailable_grace_ms =
        (long long)(srcconf_num(config, "unavailable_grace_seconds", 300, 0, 86400) * 1000);
    s->cfg.completed_pods_threshold =
        (long long)srcconf_num(config, "completed_pods_threshold", 20, 1, 100000);
    s->cfg.cronjob_failures = (long long)srcconf_num(config, "cronjob_failures", 3, 1, 64);
    s->cfg.evicted_threshold = (long long)srcconf_num(config, "evicted_threshold", 1, 1, 100000);
    s->refire_ms = (int64_t)(srcconf_num(config, "refire_seconds", 300, 1, 86400) * 1000);
    unsigned wt = (unsigned)srcconf_num(config, "watch_timeout_seconds", 300, 1, 3600);
    kube_rules_state_init(&s->st);
    s->active = json_object();
    for (size_t i = 0; i < KR_COUNT; i++) {
        struct kube_watch_config wc = {.name = watched[i].name,
                                       .path = watched[i].path,
                                       .field_selector = watched[i].field_selector,
                                       .trim = watched[i].trim,
                                       .watch_timeout_s = wt};
        if (kube_watch_create(d->kube, &wc, &s->w[i], err, errlen) != 0 ||
            kube_watch_start(s->w[i]) != 0) {
            if (!err[0])
                snprintf(err, errlen, "cannot start the %s watcher", watched[i].name);
            kube_destroy(s);
            return -1;
        }
    }
    *instance = s;
    return 0;
}

static void emit(struct kube_source *s, const json_t *sig, int firing, const char *summary,
                 int64_t now_ms, const struct finding_sink *sink)
{
    const char *cls = json_string_value(json_object_get(sig, "class"));
    const char *key = json_string_value(json_object_get(sig, "key"));
    json_t *f = finding_new(s->id, cls, key,
                            firing ? json_string_value(json_object_get(sig, "severity")) : "info",
                            firing, summary, now_ms);
    if (!f)
        return;
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(sig, "attributes"), name, v) {
        finding_attr(f, name, json_incref(v));
    }
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(sig, "evidence"), i, ev) {
        finding_evidence(f, "k8s_object", json_string_value(json_object_get(ev, "summary")),
                         json_incref(json_object_get(ev, "data")));
    }
    sink->emit(sink->ctx, f);
}

static int kube_run(void *instance, int64_t now_ms, const struct finding_sink *sink, char *err,
                    size_t errlen)
{
    struct kube_source *s = instance;
    /* no findings before every copy is complete: a half-listed cluster would
     * resolve what is still wrong */
    for (size_t i = 0; i < KR_COUNT; i++) {
        struct kube_watch_stats st;
        kube_watch_get_stats(s->w[i], &st);
        if (!st.synced) {
            if (st.errors) {
                snprintf(err, errlen, "watch %s: %s", watched[i].name, st.last_error);
                return -1;
            }
            return 0;
        }
    }
    json_t *snap[KR_COUNT];
    for (size_t i = 0; i < KR_COUNT; i++)
        snap[i] = kube_watch_snapshot(s->w[i]);
    json_t *now = kube_rules_eval(&s->cfg, snap, &s->st, now_ms);
    for (size_t i = 0; i < KR_COUNT; i++)
        json_decref(snap[i]);

    const char *id;
    json_t *sig;
    json_object_foreach(now, id, sig) {
        json_t *a = json_object_get(s->active, id);
        const char *summary = json_string_value(json_object_get(sig, "summary"));
        if (a && now_ms - json_integer_value(json_object_get(a, "at")) < s->refire_ms)
            continue;
        emit(s, sig, 1, summary, now_ms, sink);
        json_t *keep = json_pack("{s:I,s:s,s:O}", "at", (json_int_t)now_ms, "summary", summary,
                                 "signal", sig);
        json_object_set_new(s->active, id, keep);
    }
    void *tmp;
    json_t *a;
    json_object_foreach_safe(s->active, tmp, id, a) {
        if (json_object_get(now, id))
            continue;
        char summary[600];
        snprintf(summary, sizeof summary, "cleared: %.500s",
                 json_string_value(json_object_get(a, "summary")));
        json_t *sig0 = json_object_get(a, "signal");
        json_object_set_new(sig0, "evidence", json_array()); /* the object as it is now: gone or fine */
        emit(s, sig0, 0, summary, now_ms, sink);
        json_object_del(s->active, id);
    }
    json_decref(now);
    return 0;
}

const struct source_ops source_kubernetes = {
    .name = "kubernetes",
    .description = "Kubernetes nodes, pods, workloads, CronJobs and Warning events (list + watch)",
    .init = kube_init,
    .run = kube_run,
    .destroy = kube_destroy,
    .default_interval_ms = 10000,
};
