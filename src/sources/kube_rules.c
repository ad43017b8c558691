/* The kubernetes source's rules: snapshots of the watched objects -> the
 * signals that fire now. Pure (the clock is an argument, the memory between
 * cycles is struct kube_rules_state); unit-tested by tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sources/kube_view.h"

#define CLASS_DISK "infrastructure.node_disk_pressure"
#define CLASS_MEM "infrastructure.node_memory_saturation"
#define CLASS_PID "infrastructure.node_pid_pressure"
#define CLASS_NOT_READY "infrastructure.node_not_ready"
#define CLASS_RESTART "application_services.pod_restart_pressure"
#define CLASS_OOM "application_services.oom_killed"
#define CLASS_PULL "release_configuration.registry_auth_or_mirror_failure"
#define CLASS_EVICT "application_services.pod_eviction_pressure"
#define CLASS_COMPLETED "application_services.completed_pods_accumulating"
#define CLASS_DEGRADED "application_services.application_service_degraded"
#define CLASS_CRONJOB "async_workloads.cronjob_failing"

#define MAX_EVIDENCE 6
#define MAX_SAMPLES 32

void kube_rules_state_init(struct kube_rules_state *s)
{
    s->restarts = json_object();
    s->unavailable = json_object();
}

void kube_rules_state_free(struct kube_rules_state *s)
{
    json_decref(s->restarts);
    json_decref(s->unavailable);
    s->restarts = s->unavailable = NULL;
}

int64_t kube_time_ms(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end)
        return -1;
    return (int64_t)timegm(&tm) * 1000;
}

static const char *str(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static const char *md_str(const json_t *o, const char *k)
{
    return str(json_object_get(o, "metadata"), k);
}

static int ns_allowed(const struct kube_rules_cfg *c, const char *ns)
{
    if (!c->namespaces || json_array_size(c->namespaces) == 0)
        return 1;
    size_t i;
    json_t *v;
    json_array_foreach(c->namespaces, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), ns) == 0)
            return 1;
    }
    return 0;
}

/* The finding-to-be for (cls, key), made on first use. */
static json_t *signal_for(json_t *out, const char *cls, const char *key, const char *severity,
                          const char *summary)
{
    char id[600];
    snprintf(id, sizeof id, "%s|%s", cls, key);
    json_t *f = json_object_get(out, id);
    if (!f) {
        f = json_pack("{s:s,s:s,s:s,s:s,s:{},s:[]}", "class", cls, "key", key, "severity",
                      severity, "summary", summary, "attributes", "evidence");
        json_object_set_new(out, id, f);
    }
    return f;
}

static void attr(json_t *f, const char *name, const char *value)
{
    if (value && value[0])
        json_object_set_new(json_object_get(f, "attributes"), name, json_string(value));
}

static void evidence(json_t *f, const char *summary, json_t *data)
{
    json_t *ev = json_object_get(f, "evidence");
    if (json_array_size(ev) < MAX_EVIDENCE)
        json_array_append_new(ev, json_pack("{s:s,s:o}", "summary", summary, "data", data));
    else
        json_decref(data);
}

/* Warning events about kind/ns/name become evidence of f. */
static void attach_events(json_t *f, const json_t *events, const char *kind, const char *ns,
                          const char *name)
{
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)events, k, e) {
        const json_t *io = json_object_get(e, "involvedObject");
        if (strcmp(str(e, "type"), "Warning") != 0 || strcmp(str(io, "kind"), kind) != 0 ||
            strcmp(str(io, "name"), name) != 0 || strcmp(str(io, "namespace"), ns) != 0)
            continue;
        char s[300];
        snprintf(s, sizeof s, "event %.60s: %.200s", str(e, "reason"), str(e, "message"));
        json_t *d = json_deep_copy(e);
        json_object_set_new(d, "kind", json_string("Event"));
        evidence(f, s, d);
    }
}

/* ---- nodes ---- */
static void nodes(const struct kube_rules_cfg *c, const json_t *snap, const json_t *events,
                  json_t *out)
{
    static const struct {
        const char *type, *bad, *cls, *severity;
    } conds[] = {{"DiskPressure", "True", CLASS_DISK, "high"},
                 {"MemoryPressure", "True", CLASS_MEM, "high"},
                 {"PIDPressure", "True", CLASS_PID, "high"},
                 {"Ready", NULL, CLASS_NOT_READY, "critical"}};
    const char *k;
    json_t *n;
    json_object_foreach((json_t *)snap, k, n) {
        const char *name = md_str(n, "name");
        size_t i;
        json_t *cond;
        json_array_foreach(json_object_get(n, "conditions"), i, cond) {
            const char *type = str(cond, "type"), *status = str(cond, "status");
            for (size_t j = 0; j < sizeof conds / sizeof conds[0]; j++) {
                if (strcmp(type, conds[j].type) != 0)
                    continue;
                int bad = conds[j].bad ? strcmp(status, conds[j].bad) == 0
                                       : strcmp(status, "True") != 0;
                if (!bad)
                    continue;
                char key[300], summary[400];
                snprintf(key, sizeof key, "k8s/node/%.250s", name);
                snprintf(summary, sizeof summary, "node %.200s: %s is %s%s%.100s", name, type,
                         status, str(cond, "reason")[0] ? " (" : "", str(cond, "reason"));
                if (str(cond, "reason")[0])
                    strncat(summary, ")", sizeof summary - strlen(summary) - 1);
                json_t *f = signal_for(out, conds[j].cls, key, conds[j].severity, summary);
                attr(f, "node", name);
                json_t *d = json_pack("{s:s,s:s,s:O,s:b}", "kind", "Node", "name", name,
                                      "condition", cond, "unschedulable",
                                      json_is_true(json_object_get(n, "unschedulable")));
                evidence(f, summary, d);
                attach_events(f, events, "Node", "", name);
            }
        }
    }
}

/* ---- pods ---- */
struct owner {
    const char *kind; /* "Deployment", "StatefulSet", "CronJob", or "Pod" */
    char name[254];
};

static void pod_owner(const json_t *pod, const json_t *jobs, struct owner *o)
{
    const json_t *md = json_object_get(pod, "metadata");
    const json_t *ref = json_array_get(json_object_get(md, "ownerReferences"), 0);
    const char *kind = str(ref, "kind"), *name = str(ref, "name");
    const char *hash = str(md, "pod_template_hash");
    size_t nl = strlen(name), hl = strlen(hash);
    o->kind = "Pod";
    snprintf(o->name, sizeof o->name, "%s", str(md, "name"));
    if (strcmp(kind, "ReplicaSet") == 0 && hl && nl > hl + 1 && name[nl - hl - 1] == '-' &&
        strcmp(name + nl - hl, hash) == 0) {
        /* a Deployment's ReplicaSet is "<deployment>-<pod-template-hash>" */
        o->kind = "Deployment";
        snprintf(o->name, sizeof o->name, "%.*s", (int)(nl - hl - 1), name);
    } else if (strcmp(kind, "StatefulSet") == 0) {
        o->kind = "StatefulSet";
        snprintf(o->name, sizeof o->name, "%s", name);
    } else if (strcmp(kind, "Job") == 0) {
        char jk[600];
        snprintf(jk, sizeof jk, "%s/%s", md_str(pod, "namespace"), name);
        const json_t *jref =
            json_array_get(json_object_get(json_object_get(json_object_get(jobs, jk), "metadata"),
                                           "ownerReferences"),
                           0);
        if (strcmp(str(jref, "kind"), "CronJob") == 0) {
            o->kind = "CronJob";
            snprintf(o->name, sizeof o->name, "%s", str(jref, "name"));
        }
    }
}

static json_t *pod_signal(json_t *out, const char *cls, const char *ns, const struct owner *o,
                          const char *severity, const char *summary)
{
    char key[600];
    snprintf(key, sizeof key, "k8s/%.63s/%s/%.253s", ns, o->kind, o->name);
    json_t *f = signal_for(out, cls, key, severity, summary);
    attr(f, "namespace", ns);
    if (strcmp(o->kind, "Deployment") == 0 || strcmp(o->kind, "StatefulSet") == 0) {
        attr(f, "workload_kind", o->kind);
        attr(f, "workload", o->name);
    } else if (strcmp(o->kind, "CronJob") == 0) {
        attr(f, "cronjob", o->name);
    } else {
        attr(f, "pod", o->name);
    }
    return f;
}

static json_t *pod_evidence(const json_t *pod, const json_t *container)
{
    json_t *d = json_pack("{s:s,s:s,s:s,s:s}", "kind", "Pod", "namespace",
                          md_str(pod, "namespace"), "name", md_str(pod, "name"), "phase",
                          str(pod, "phase"));
    if (container)
        json_object_set_new(d, "container", json_deep_copy(container));
    if (str(pod, "nodeName")[0])
        json_object_set_new(d, "node", json_string(str(pod, "nodeName")));
    return d;
}

/* Restarts of one container within the window, from the samples kept for it
 * (a sample is added when the count changes; the first one is the baseline). */
static long long restarts_in_window(const struct kube_rules_cfg *c, json_t *next_state,
                                    const json_t *old_state, const char *id, long long count,
                                    int64_t now)
{
    json_t *samples = json_deep_copy(json_object_get(old_state, id));
    if (!json_is_array(samples)) {
        json_decref(samples);
        samples = json_array();
    }
    json_t *last = json_array_get(samples, json_array_size(samples) - 1);
    if (!last || json_integer_value(json_array_get(last, 1)) != count)
        json_array_append_new(samples, json_pack("[I,I]", (json_int_t)now, (json_int_t)count));
    /* drop samples before the window, but keep the newest of them as the baseline */
    while (json_array_size(samples) > 1 &&
           (json_integer_value(json_array_get(json_array_get(samples, 1), 0)) <=
                now - c->restart_window_ms ||
            json_array_size(samples) > MAX_SAMPLES))
        json_array_remove(samples, 0);
    long long base = json_integer_value(json_array_get(json_array_get(samples, 0), 1));
    json_object_set_new(next_state, id, samples);
    return count - base;
}

static void pods(const struct kube_rules_cfg *c, json_t *const snap[KR_COUNT],
                 struct kube_rules_state *st, int64_t now, json_t *out)
{
    json_t *next = json_object();
    json_t *completed = json_object(), *evicted = json_object();
    const char *k;
    json_t *p;
    json_object_foreach(snap[KR_PODS], k, p) {
        const char *ns = md_str(p, "namespace"), *name = md_str(p, "name");
        if (!ns_allowed(c, ns))
            continue;
        const char *phase = str(p, "phase");
        if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) {
            json_t *n = json_object_get(completed, ns);
            json_object_set_new(completed, ns, json_integer(json_integer_value(n) + 1));
        }
        if (strcmp(phase, "Failed") == 0 && strcmp(str(p, "reason"), "Evicted") == 0) {
            json_t *list = json_object_get(evicted, ns);
            if (!list)
                json_object_set_new(evicted, ns, list = json_array());
            json_array_append(list, p);
        }
        struct owner o;
        pod_owner(p, snap[KR_JOBS], &o);
        size_t i;
        json_t *cs;
        json_array_foreach(json_object_get(p, "containers"), i, cs) {
            const char *cname = str(cs, "name");
            const char *waiting = str(json_object_get(json_object_get(cs, "state"), "waiting"),
                                      "reason");
            const json_t *lastterm =
                json_object_get(json_object_get(cs, "lastState"), "terminated");
            long long count = json_integer_value(json_object_get(cs, "restartCount"));
            char id[800], summary[500];
            snprintf(id, sizeof id, "%s/%s/%s", ns, name, cname);
            long long recent = restarts_in_window(c, next, st->restarts, id, count, now);
            if (strcmp(waiting, "CrashLoopBackOff") == 0 || recent >= c->restart_threshold) {
                snprintf(summary, sizeof summary,
                         "%s %.63s/%.150s: container %.60s %s (%lld restarts, %lld recent)",
                         o.kind, ns, o.name, cname,
                         waiting[0] ? waiting : "restarts repeatedly", count, recent);
                json_t *f = pod_signal(out, CLASS_RESTART, ns, &o, "high", summary);
                evidence(f, summary, pod_evidence(p, cs));
                attach_events(f, snap[KR_EVENTS], "Pod", ns, name);
            }
            if (strcmp(waiting, "ImagePullBackOff") == 0 || strcmp(waiting, "ErrImagePull") == 0) {
                snprintf(summary, sizeof summary, "%s %.63s/%.150s: image %.200s: %s", o.kind,
                         ns, o.name, str(cs, "image"), waiting);
                json_t *f = pod_signal(out, CLASS_PULL, ns, &o, "high", summary);
                evidence(f, summary, pod_evidence(p, cs));
                attach_events(f, snap[KR_EVENTS], "Pod", ns, name);
            }
            int64_t fin = kube_time_ms(str(lastterm, "finishedAt"));
            if (strcmp(str(lastterm, "reason"), "OOMKilled") == 0 &&
                (fin < 0 || fin >= now - c->restart_window_ms)) {
                snprintf(summary, sizeof summary,
                         "%s %.63s/%.150s: container %.60s was OOMKilled (exit %lld)", o.kind, ns,
                         o.name, cname, (long long)json_integer_value(json_object_get(lastterm,
                                                                                      "exitCode")));
                json_t *f = pod_signal(out, CLASS_OOM, ns, &o, "high", summary);
                evidence(f, summary, pod_evidence(p, cs));
            }
        }
    }
    json_decref(st->restarts);
    st->restarts = next;

    json_t *n;
    json_object_foreach(completed, k, n) {
        long long count = json_integer_value(n);
        if (count < c->completed_pods_threshold)
            continue;
        char key[300], summary[300];
        snprintf(key, sizeof key, "k8s/%.63s/completed-pods", k);
        snprintf(summary, sizeof summary, "namespace %.63s holds %lld completed pods "
                 "(succeeded or failed; threshold %lld)", k, count, c->completed_pods_threshold);
        json_t *f = signal_for(out, CLASS_COMPLETED, key, "warning", summary);
        attr(f, "namespace", k);
        evidence(f, summary, json_pack("{s:s,s:s,s:I,s:I}", "kind", "Namespace", "name", k,
                                       "completed_pods", (json_int_t)count, "threshold",
                                       (json_int_t)c->completed_pods_threshold));
    }
    json_t *list;
    json_object_foreach(evicted, k, list) {
        if ((long long)json_array_size(list) < c->evicted_threshold)
            continue;
        char key[300], summary[300];
        snprintf(key, sizeof key, "k8s/%.63s/evictions", k);
        snprintf(summary, sizeof summary, "namespace %.63s: %zu evicted pods", k,
                 json_array_size(list));
        json_t *f = signal_for(out, CLASS_EVICT, key, "high", summary);
        attr(f, "namespace", k);
        size_t i;
        json_array_foreach(list, i, p) {
            char s[400];
            snprintf(s, sizeof s, "pod %.150s evicted: %.200s", md_str(p, "name"),
                     str(p, "message"));
            evidence(f, s, pod_evidence(p, NULL));
        }
    }
    json_decref(completed);
    json_decref(evicted);
}

/* ---- workloads ---- */
static void workloads(const struct kube_rules_cfg *c, const json_t *snap, const char *kind,
                      const json_t *events, json_t *next, const json_t *since_old, int64_t now,
                      json_t *out)
{
    const char *k;
    json_t *w;
    json_object_foreach((json_t *)snap, k, w) {
        const char *ns = md_str(w, "namespace"), *name = md_str(w, "name");
        if (!ns_allowed(c, ns))
            continue;
        const json_t *s = json_object_get(w, "status");
        long long want = json_integer_value(json_object_get(w, "replicas"));
        long long ready = json_integer_value(
            json_object_get(s, strcmp(kind, "Deployment") == 0 ? "availableReplicas"
                                                                : "readyReplicas"));
        long long unavailable = json_integer_value(json_object_get(s, "unavailableReplicas"));
        long long missing = want - ready > unavailable ? want - ready : unavailable;
        if (missing <= 0)
            continue;
        char id[600];
        snprintf(id, sizeof id, "%s/%s/%s", ns, kind, name);
        json_t *was = json_object_get(since_old, id);
        int64_t since = json_is_integer(was) ? json_integer_value(was) : now;
        json_object_set_new(next, id, json_integer(since));
        if (now - since < c->unavailable_grace_ms)
            continue;
        char key[700], summary[500];
        snprintf(key, sizeof key, "k8s/%s", id);
        snprintf(summary, sizeof summary,
                 "%s %.63s/%.200s: %lld of %lld replicas unavailable for %llds", kind, ns, name,
                 missing, want, (long long)((now - since) / 1000));
        json_t *f = signal_for(out, CLASS_DEGRADED, key, "high", summary);
        attr(f, "namespace", ns);
        attr(f, "workload_kind", kind);
        attr(f, "workload", name);
        evidence(f, summary, json_pack("{s:s,s:s,s:s,s:I,s:O}", "kind", kind, "namespace", ns,
                                       "name", name, "replicas", (json_int_t)want, "status", s));
        attach_events(f, events, kind, ns, name);
    }
}

/* ---- cronjobs ---- */
static int job_newer_first(const void *a, const void *b)
{
    const json_t *ja = *(const json_t *const *)a, *jb = *(const json_t *const *)b;
    int64_t ta = kube_time_ms(md_str(ja, "creationTimestamp"));
    int64_t tb = kube_time_ms(md_str(jb, "creationTimestamp"));
    if (ta != tb)
        return ta < tb ? 1 : -1;
    return strcmp(md_str(jb, "name"), md_str(ja, "name")); /* names carry the schedule time */
}

static void cronjobs(const struct kube_rules_cfg *c, json_t *const snap[KR_COUNT], json_t *out)
{
    const char *k;
    json_t *cj;
    json_object_foreach(snap[KR_CRONJOBS], k, cj) {
        const char *ns = md_str(cj, "namespace"), *name = md_str(cj, "name");
        if (!ns_allowed(c, ns) || json_is_true(json_object_get(cj, "suspend")))
            continue;
        const json_t *mine[64] = {0};
        size_t n = 0;
        const char *jk;
        json_t *job;
        json_object_foreach(snap[KR_JOBS], jk, job) {
            const json_t *ref =
                json_array_get(json_object_get(json_object_get(job, "metadata"), "ownerReferences"), 0);
            if (n < 64 && strcmp(md_str(job, "namespace"), ns) == 0 &&
                strcmp(str(ref, "kind"), "CronJob") == 0 && strcmp(str(ref, "name"), name) == 0 &&
                str(job, "outcome")[0])
                mine[n++] = job;
        }
        qsort(mine, n, sizeof mine[0], job_newer_first);
        long long failed = 0;
        while ((size_t)failed < n && strcmp(str(mine[failed], "outcome"), "Failed") == 0)
            failed++;
        if (failed < c->cronjob_failures)
            continue;
        char key[400], summary[400];
        snprintf(key, sizeof key, "k8s/%.63s/CronJob/%.253s", ns, name);
        snprintf(summary, sizeof summary, "CronJob %.63s/%.200s: its last %lld jobs failed", ns,
                 name, failed);
        json_t *f = signal_for(out, CLASS_CRONJOB, key, "warning", summary);
        attr(f, "namespace", ns);
        attr(f, "cronjob", name);
        json_t *jobs = json_array();
        for (long long i = 0; i < failed && i < 5; i++)
            json_array_append_new(jobs, json_string(md_str(mine[i], "name")));
        evidence(f, summary, json_pack("{s:s,s:s,s:s,s:o}", "kind", "CronJob", "namespace", ns,
                                       "name", name, "failed_jobs", jobs));
        attach_events(f, snap[KR_EVENTS], "CronJob", ns, name);
        for (long long i = 0; i < failed && i < 3; i++)
            attach_events(f, snap[KR_EVENTS], "Job", ns, md_str(mine[i], "name"));
    }
}

json_t *kube_rules_eval(const struct kube_rules_cfg *cfg, json_t *const snap[KR_COUNT],
                        struct kube_rules_state *st, int64_t now_ms)
{
    json_t *out = json_object();
    nodes(cfg, snap[KR_NODES], snap[KR_EVENTS], out);
    pods(cfg, snap, st, now_ms, out);
    json_t *next = json_object();
    workloads(cfg, snap[KR_DEPLOYMENTS], "Deployment", snap[KR_EVENTS], next, st->unavailable,
              now_ms, out);
    workloads(cfg, snap[KR_STATEFULSETS], "StatefulSet", snap[KR_EVENTS], next, st->unavailable,
              now_ms, out);
    json_decref(st->unavailable);
    st->unavailable = next;
    cronjobs(cfg, snap, out);
    return out;
}
