/* The kubernetes source's insides, shared by its files (kube.c: the adapter
 * and its watchers; kube_trim.c: what is kept of each object; kube_rules.c:
 * objects -> findings, pure). */
#ifndef SREBOT_SOURCES_KUBE_VIEW_H
#define SREBOT_SOURCES_KUBE_VIEW_H

#include <jansson.h>
#include <stdint.h>

/* The watched resources, in one table (kube.c) */
enum kube_res { KR_NODES, KR_PODS, KR_DEPLOYMENTS, KR_STATEFULSETS, KR_CRONJOBS, KR_JOBS,
                KR_EVENTS, KR_COUNT };

/* What is kept of each object (kube_trim.c): new references. */
json_t *kube_trim_node(const json_t *o);
json_t *kube_trim_pod(const json_t *o);
json_t *kube_trim_workload(const json_t *o);
json_t *kube_trim_cronjob(const json_t *o);
json_t *kube_trim_job(const json_t *o);
json_t *kube_trim_event(const json_t *o);

struct kube_rules_cfg {
    const json_t *namespaces;          /* array of names to watch; empty/NULL = all */
    long long restart_threshold;       /* restarts within the window -> restart pressure */
    long long restart_window_ms;
    long long unavailable_grace_ms;    /* unavailable replicas longer than this */
    long long completed_pods_threshold;/* succeeded/failed pods in a namespace */
    long long cronjob_failures;        /* the last N jobs of a CronJob failed */
    long long evicted_threshold;       /* evicted pods in a namespace */
};

/* Memory of the rules between cycles (restart samples, since-when a workload
 * is unavailable). Bounded: entries not seen in a cycle are dropped. */
struct kube_rules_state {
    json_t *restarts;    /* "<ns>/<pod>/<container>" -> [[t_ms, count], ...] (at most 32) */
    json_t *unavailable; /* "<ns>/<Kind>/<name>" -> since_ms */
};
void kube_rules_state_init(struct kube_rules_state *s);
void kube_rules_state_free(struct kube_rules_state *s);

/* One evaluation over the snapshots (kube_watch_snapshot of each resource,
 * indexed by enum kube_res). Returns {"<class>|<key>": finding-to-be} where a
 * finding-to-be is {"class","key","severity","summary","attributes":{},
 * "evidence":[{"summary","data"}]} for every signal that fires now. */
json_t *kube_rules_eval(const struct kube_rules_cfg *cfg, json_t *const snap[KR_COUNT],
                        struct kube_rules_state *st, int64_t now_ms);

/* RFC 3339 UTC ("2025-01-02T03:04:05Z") -> ms since the epoch; -1 when not. */
int64_t kube_time_ms(const char *s);

#endif
