/* The kubernetes source's rules (src/sources/kube_rules.c), pure: trimmed
 * objects and a clock in, the signals that fire out (class, key, attributes,
 * evidence), and the memory between cycles (restart windows, unavailable
 * since). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/kube_view.h"

static const int64_t T0 = 1790000000000LL;

struct world {
    json_t *snap[KR_COUNT];
    struct kube_rules_state st;
    struct kube_rules_cfg cfg;
};

static void world_init(struct world *w)
{
    for (size_t i = 0; i < KR_COUNT; i++)
        w->snap[i] = json_object();
    kube_rules_state_init(&w->st);
    w->cfg = (struct kube_rules_cfg){.restart_threshold = 3, .restart_window_ms = 600000,
                                     .unavailable_grace_ms = 60000,
                                     .completed_pods_threshold = 2, .cronjob_failures = 2,
                                     .evicted_threshold = 1};
}

static void world_free(struct world *w)
{
    for (size_t i = 0; i < KR_COUNT; i++)
        json_decref(w->snap[i]);
    kube_rules_state_free(&w->st);
}

/* Adds a full object (as the API sends it) through the source's trim function. */
static void put(struct world *w, enum kube_res r, const char *key, const char *json)
{
    json_error_t e;
    json_t *o = json_loads(json, 0, &e);
    if (!o)
        fail_msg("bad test JSON: %s", e.text);
    json_t *(*trim[])(const json_t *) = {kube_trim_node,     kube_trim_pod,     kube_trim_workload,
                                        kube_trim_workload, kube_trim_cronjob, kube_trim_job,
                                        kube_trim_event};
    json_object_set_new(w->snap[r], key, trim[r](o));
    json_decref(o);
}

static json_t *eval(struct world *w, int64_t now)
{
    return kube_rules_eval(&w->cfg, w->snap, &w->st, now);
}

static const json_t *sig(const json_t *out, const char *cls, const char *key)
{
    char id[600];
    snprintf(id, sizeof id, "%s|%s", cls, key);
    return json_object_get(out, id);
}

static const char *attr(const json_t *s, const char *name)
{
    return json_string_value(json_object_get(json_object_get(s, "attributes"), name));
}

static void node_conditions(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    put(&w, KR_NODES, "n1",
        "{\"metadata\":{\"name\":\"n1\",\"managedFields\":[1,2,3]},\"status\":{\"conditions\":["
        "{\"type\":\"Ready\",\"status\":\"Unknown\",\"reason\":\"NodeStatusUnknown\"},"
        "{\"type\":\"DiskPressure\",\"status\":\"True\"},"
        "{\"type\":\"MemoryPressure\",\"status\":\"False\"},"
        "{\"type\":\"PIDPressure\",\"status\":\"True\"}]}}");
    put(&w, KR_EVENTS, "default/e1",
        "{\"metadata\":{\"name\":\"e1\",\"namespace\":\"default\"},\"type\":\"Warning\","
        "\"reason\":\"EvictionThresholdMet\",\"message\":\"Attempting to reclaim ephemeral-storage\","
        "\"involvedObject\":{\"kind\":\"Node\",\"name\":\"n1\",\"namespace\":\"\"}}");
    json_t *out = eval(&w, T0);
    assert_int_equal(json_object_size(out), 3);
    const json_t *disk = sig(out, "infrastructure.node_disk_pressure", "k8s/node/n1");
    assert_non_null(disk);
    assert_string_equal(attr(disk, "node"), "n1");
    /* the node, and the Warning event about it */
    const json_t *ev = json_object_get(disk, "evidence");
    assert_int_equal(json_array_size(ev), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(ev, 0), "data"), "kind")),
        "Node");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(ev, 1), "summary")),
                           "EvictionThresholdMet"));
    assert_non_null(sig(out, "infrastructure.node_pid_pressure", "k8s/node/n1"));
    const json_t *nr = sig(out, "infrastructure.node_not_ready", "k8s/node/n1");
    assert_string_equal(json_string_value(json_object_get(nr, "severity")), "critical");
    assert_null(sig(out, "infrastructure.node_memory_saturation", "k8s/node/n1"));
    json_decref(out);
    world_free(&w);
}

#define POD(name, ns, rs, hash, phase, containers)                                                 \
    "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"" ns "\",\"labels\":{\"pod-template-hash\":\"" hash \
    "\"},\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"" rs "\"}]},"                  \
    "\"spec\":{\"nodeName\":\"n1\"},\"status\":{\"phase\":\"" phase "\",\"containerStatuses\":" containers "}}"

static void restarts_in_a_window(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
#define RESTARTS_POD POD("api-5d8-x", "shop", "api-5d8", "5d8", "Running",                        \
                         "[{\"name\":\"app\",\"restartCount\":%d,\"state\":{\"running\":{}}}]")
    char buf[600];
    /* 10 restarts before srebot saw it: the baseline, not pressure */
    snprintf(buf, sizeof buf, RESTARTS_POD, 10);
    put(&w, KR_PODS, "shop/api-5d8-x", buf);
    json_t *out = eval(&w, T0);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    snprintf(buf, sizeof buf, RESTARTS_POD, 12);
    put(&w, KR_PODS, "shop/api-5d8-x", buf);
    out = eval(&w, T0 + 60000);
    assert_int_equal(json_object_size(out), 0); /* 2 < 3 */
    json_decref(out);
    snprintf(buf, sizeof buf, RESTARTS_POD, 13);
    put(&w, KR_PODS, "shop/api-5d8-x", buf);
    out = eval(&w, T0 + 120000);
    const json_t *s = sig(out, "application_services.pod_restart_pressure",
                          "k8s/shop/Deployment/api");
    assert_non_null(s);
    assert_string_equal(attr(s, "workload_kind"), "Deployment");
    assert_string_equal(attr(s, "workload"), "api");
    assert_string_equal(attr(s, "namespace"), "shop");
    json_decref(out);
    /* the window moves on: the old restarts leave it */
    out = eval(&w, T0 + 120000 + 600001);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    world_free(&w);
}

static void crashloop_oom_and_image_pull(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    put(&w, KR_PODS, "shop/web-7f-a",
        POD("web-7f-a", "shop", "web-7f", "7f", "Running",
            "[{\"name\":\"app\",\"restartCount\":1,\"state\":{\"waiting\":{\"reason\":"
            "\"CrashLoopBackOff\"}},\"lastState\":{\"terminated\":{\"reason\":\"OOMKilled\","
            "\"exitCode\":137,\"finishedAt\":\"2026-09-21T12:00:00Z\"}}}]"));
    put(&w, KR_PODS, "shop/img-9c-b",
        POD("img-9c-b", "shop", "img-9c", "9c", "Pending",
            "[{\"name\":\"app\",\"image\":\"registry.local/img:2\",\"restartCount\":0,"
            "\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\"}}}]"));
    /* a ReplicaSet whose name does not end in the hash is not taken for a Deployment */
    put(&w, KR_PODS, "shop/odd-1",
        POD("odd-1", "shop", "weird", "7f", "Running",
            "[{\"name\":\"app\",\"restartCount\":0,\"state\":{\"waiting\":{\"reason\":"
            "\"CrashLoopBackOff\"}}}]"));
    int64_t now = kube_time_ms("2026-09-21T12:05:00Z");
    assert_true(now > 0);
    json_t *out = eval(&w, now);
    assert_non_null(sig(out, "application_services.pod_restart_pressure", "k8s/shop/Deployment/web"));
    const json_t *oom = sig(out, "application_services.oom_killed", "k8s/shop/Deployment/web");
    assert_non_null(oom);
    const json_t *pull = sig(out, "release_configuration.registry_auth_or_mirror_failure",
                             "k8s/shop/Deployment/img");
    assert_non_null(pull);
    assert_non_null(strstr(json_string_value(json_object_get(pull, "summary")),
                           "registry.local/img:2"));
    const json_t *odd = sig(out, "application_services.pod_restart_pressure", "k8s/shop/Pod/odd-1");
    assert_non_null(odd);
    assert_string_equal(attr(odd, "pod"), "odd-1");
    assert_null(attr(odd, "workload"));
    json_decref(out);
    /* an OOMKilled long ago is not reported */
    out = eval(&w, now + 3600000);
    assert_null(sig(out, "application_services.oom_killed", "k8s/shop/Deployment/web"));
    json_decref(out);
    world_free(&w);
}

static void completed_evicted_and_namespaces(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    put(&w, KR_PODS, "batch/a", "{\"metadata\":{\"name\":\"a\",\"namespace\":\"batch\"},"
                                "\"status\":{\"phase\":\"Succeeded\"}}");
    put(&w, KR_PODS, "batch/b", "{\"metadata\":{\"name\":\"b\",\"namespace\":\"batch\"},"
                                "\"status\":{\"phase\":\"Failed\",\"reason\":\"Evicted\","
                                "\"message\":\"The node was low on resource: memory.\"}}");
    put(&w, KR_PODS, "other/c", "{\"metadata\":{\"name\":\"c\",\"namespace\":\"other\"},"
                                "\"status\":{\"phase\":\"Succeeded\"}}");
    json_t *out = eval(&w, T0);
    const json_t *done = sig(out, "application_services.completed_pods_accumulating",
                             "k8s/batch/completed-pods");
    assert_non_null(done);
    assert_string_equal(attr(done, "namespace"), "batch");
    assert_null(sig(out, "application_services.completed_pods_accumulating",
                    "k8s/other/completed-pods")); /* 1 < 2 */
    const json_t *ev = sig(out, "application_services.pod_eviction_pressure", "k8s/batch/evictions");
    assert_non_null(ev);
    char *evs = json_dumps(json_object_get(ev, "evidence"), 0);
    assert_non_null(strstr(evs, "low on resource: memory"));
    free(evs);
    json_decref(out);
    /* only the listed namespaces */
    json_t *ns = json_pack("[s]", "other");
    w.cfg.namespaces = ns;
    out = eval(&w, T0);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    json_decref(ns);
    world_free(&w);
}

static void workloads_past_grace(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    put(&w, KR_DEPLOYMENTS, "shop/api",
        "{\"metadata\":{\"name\":\"api\",\"namespace\":\"shop\"},\"spec\":{\"replicas\":3},"
        "\"status\":{\"replicas\":3,\"availableReplicas\":1,\"unavailableReplicas\":2}}");
    put(&w, KR_STATEFULSETS, "shop/db",
        "{\"metadata\":{\"name\":\"db\",\"namespace\":\"shop\"},\"spec\":{\"replicas\":2},"
        "\"status\":{\"replicas\":2,\"readyReplicas\":2}}");
    json_t *out = eval(&w, T0);
    assert_int_equal(json_object_size(out), 0); /* within the grace */
    json_decref(out);
    out = eval(&w, T0 + 60000);
    const json_t *s = sig(out, "application_services.application_service_degraded",
                          "k8s/shop/Deployment/api");
    assert_non_null(s);
    assert_string_equal(attr(s, "workload"), "api");
    assert_null(sig(out, "application_services.application_service_degraded",
                    "k8s/shop/StatefulSet/db"));
    json_decref(out);
    /* available again: the clock starts over */
    put(&w, KR_DEPLOYMENTS, "shop/api",
        "{\"metadata\":{\"name\":\"api\",\"namespace\":\"shop\"},\"spec\":{\"replicas\":3},"
        "\"status\":{\"replicas\":3,\"availableReplicas\":3}}");
    out = eval(&w, T0 + 70000);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    assert_int_equal(json_object_size(w.st.unavailable), 0);
    world_free(&w);
}

#define JOB(name, ts, outcome)                                                                     \
    "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"jobs\",\"creationTimestamp\":\"" ts     \
    "\",\"ownerReferences\":[{\"kind\":\"CronJob\",\"name\":\"report\"}]},\"status\":{"           \
    "\"conditions\":[{\"type\":\"" outcome "\",\"status\":\"True\"}]}}"

static void cronjob_last_jobs_failed(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    put(&w, KR_CRONJOBS, "jobs/report",
        "{\"metadata\":{\"name\":\"report\",\"namespace\":\"jobs\"},\"spec\":{\"suspend\":false}}");
    put(&w, KR_JOBS, "jobs/report-1", JOB("report-1", "2026-01-01T00:01:00Z", "Failed"));
    put(&w, KR_JOBS, "jobs/report-2", JOB("report-2", "2026-01-01T00:02:00Z", "Complete"));
    put(&w, KR_JOBS, "jobs/report-3", JOB("report-3", "2026-01-01T00:03:00Z", "Failed"));
    json_t *out = eval(&w, T0);
    assert_int_equal(json_object_size(out), 0); /* only the newest one failed */
    json_decref(out);
    put(&w, KR_JOBS, "jobs/report-4", JOB("report-4", "2026-01-01T00:04:00Z", "Failed"));
    out = eval(&w, T0);
    const json_t *s = sig(out, "async_workloads.cronjob_failing", "k8s/jobs/CronJob/report");
    assert_non_null(s);
    assert_string_equal(attr(s, "cronjob"), "report");
    json_decref(out);
    /* suspended: not reported (the suspend_cronjob action clears it) */
    put(&w, KR_CRONJOBS, "jobs/report",
        "{\"metadata\":{\"name\":\"report\",\"namespace\":\"jobs\"},\"spec\":{\"suspend\":true}}");
    out = eval(&w, T0);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    world_free(&w);
}

static void trim_keeps_only_what_rules_read(void **state)
{
    (void)state;
    json_t *pod = json_loads(POD("p", "ns", "rs-h", "h", "Running", "[]"), 0, NULL);
    json_object_set_new(pod, "spec", json_pack("{s:s,s:[{s:s}]}", "nodeName", "n1", "containers",
                                               "image", "secret-ish"));
    json_t *t = kube_trim_pod(pod);
    char *s = json_dumps(t, JSON_COMPACT);
    assert_null(strstr(s, "secret-ish"));
    assert_non_null(strstr(s, "\"nodeName\":\"n1\""));
    free(s);
    json_decref(t);
    json_decref(pod);
    assert_int_equal(kube_time_ms("2026-01-01T00:00:00Z"), 1767225600000LL);
    assert_int_equal(kube_time_ms("nope"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(node_conditions),
        cmocka_unit_test(restarts_in_a_window),
        cmocka_unit_test(crashloop_oom_and_image_pull),
        cmocka_unit_test(completed_evicted_and_namespaces),
        cmocka_unit_test(workloads_past_grace),
        cmocka_unit_test(cronjob_last_jobs_failed),
        cmocka_unit_test(trim_keeps_only_what_rules_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
