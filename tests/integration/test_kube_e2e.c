/* Kubernetes end to end: the real daemon ($SREBOT_BIN, with the built-in
 * runners) against the fake API server (tests/fakes/fake_kube_api.py) through
 * IF_SRE_KUBECONFIG, in the demo posture. What #11's "Done means" asks:
 *   - a node reporting DiskPressure opens an incident with the node as
 *     k8s_object evidence; it resolves when the condition clears;
 *   - a pod in CrashLoopBackOff opens restart pressure; rollout_restart waits
 *     for an approval, runs after it, and the fake shows the annotation;
 *   - completed pods are deleted automatically (the fake shows them gone, the
 *     Running pod stays; the timeline shows the decision and the change);
 *   - an allowlisted CronJob whose jobs keep failing is suspended automatically;
 *   - a namespace made protected is refused even with an approval;
 *   - with automation.dry_run nothing changes in the fake (only dryRun=All calls). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "kube_fake.h"
#include "remed_helpers.h"

#define DISK "infrastructure.node_disk_pressure"
#define RESTART "application_services.pod_restart_pressure"
#define COMPLETED "application_services.completed_pods_accumulating"
#define CRON "async_workloads.cronjob_failing"

/* What the daemon's sources and the fake hold, printed when a wait fails. */
static void diag(struct it_daemon *d, struct kube_fake *f, const char *what)
{
    json_t *src = get_json(d, "/api/v1/sources");
    json_t *inc = get_json(d, "/api/v1/incidents?limit=50");
    char *a = src ? json_dumps(src, JSON_COMPACT) : NULL;
    char *b = inc ? json_dumps(inc, JSON_COMPACT) : NULL;
    fprintf(stderr, "waiting for %s failed\nsources: %.4000s\nincidents: %.6000s\n", what,
            a ? a : "-", b ? b : "-");
    free(a);
    free(b);
    json_decref(src);
    json_decref(inc);
    (void)f;
}

#define EXPECT_WAIT(seconds, cond)                                                                 \
    do {                                                                                           \
        if (!WAIT_FOR(seconds, cond)) {                                                            \
            diag(&d, &f, #cond);                                                                   \
            fail_msg("timed out: %s", #cond);                                                      \
        }                                                                                          \
    } while (0)

static void kube_policy(json_t *doc, void *ud)
{
    (void)ud;
    json_object_set_new(doc, "kubernetes",
                        json_pack("{s:i,s:i,s:i,s:i}", "interval_seconds", 1,
                                  "completed_pods_threshold", 3, "cronjob_failures", 2,
                                  "unavailable_grace_seconds", 0));
    json_object_set_new(json_object_get(doc, "incidents"), "flap_quiet_seconds", json_integer(0));
    json_t *al = json_object_get(doc, "allowlists");
    json_array_append_new(json_object_get(al, "cronjobs"),
                          json_pack("{s:s,s:s}", "namespace", "jobs", "name", "report"));
}

static void protect_legacy(json_t *doc, void *ud)
{
    (void)ud;
    json_array_append_new(
        json_object_get(json_object_get(doc, "allowlists"), "protected_namespaces"),
        json_string("legacy"));
}

static void dry_run_on(json_t *doc, void *ud)
{
    (void)ud;
    json_object_set_new(json_object_get(doc, "automation"), "dry_run", json_true());
}

/* The id of the (first) incident of class with key, or 0. */
static int64_t incident_of(struct it_daemon *d, const char *cls, const char *key)
{
    char path[300];
    snprintf(path, sizeof path, "/api/v1/incidents?class=%s", cls);
    json_t *j = get_json(d, path);
    int64_t id = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(j, "items"), i, it) {
        const char *k = json_string_value(json_object_get(it, "correlation_key"));
        if (k && strcmp(k, key) == 0) {
            id = json_integer_value(json_object_get(it, "id"));
            break;
        }
    }
    json_decref(j);
    return id;
}

static int text_has(struct it_daemon *d, const char *path, const char *needle)
{
    json_t *j = get_json(d, path);
    char *s = j ? json_dumps(j, 0) : NULL;
    int yes = s && strstr(s, needle);
    if (!yes && getenv("KUBE_E2E_DEBUG"))
        fprintf(stderr, "%s has no \"%s\": %s\n", path, needle, s ? s : "(none)");
    free(s);
    json_decref(j);
    return yes;
}

static int object_field_is(struct kube_fake *f, const char *path, const char *field,
                           const char *want)
{
    json_t *o = kube_fake_get(f, path);
    json_t *v = o;
    char buf[300];
    snprintf(buf, sizeof buf, "%s", field);
    for (char *s = buf, *save = NULL, *tok; v && (tok = strtok_r(s, ".", &save)); s = NULL)
        v = json_object_get(v, tok);
    int yes;
    if (!want)
        yes = v != NULL;
    else if (json_is_boolean(v))
        yes = strcmp(want, json_is_true(v) ? "true" : "false") == 0;
    else
        yes = json_is_string(v) && strcmp(json_string_value(v), want) == 0;
    json_decref(o);
    return yes;
}

static int gone(struct kube_fake *f, const char *path)
{
    json_t *o = kube_fake_get(f, path);
    json_decref(o);
    return o == NULL;
}

static void crashloop_pod(struct kube_fake *f, const char *ns, const char *deploy, const char *pod)
{
    char obj[1200];
    snprintf(obj, sizeof obj,
             "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
             "\"labels\":{\"pod-template-hash\":\"7f9c\"},"
             "\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"%s-7f9c\"}]},"
             "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"app\","
             "\"restartCount\":7,\"image\":\"shop/app:1\",\"state\":{\"waiting\":"
             "{\"reason\":\"CrashLoopBackOff\"}}}]}}",
             pod, ns, deploy);
    kube_fake_put(f, obj);
    snprintf(obj, sizeof obj,
             "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
             "\"spec\":{\"replicas\":2,\"template\":{\"metadata\":{}}},"
             "\"status\":{\"replicas\":2,\"availableReplicas\":2}}",
             deploy, ns);
    kube_fake_put(f, obj);
}

static void done_pod(struct kube_fake *f, const char *ns, const char *name, const char *phase)
{
    char obj[400];
    snprintf(obj, sizeof obj,
             "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
             "\"status\":{\"phase\":\"%s\"}}",
             name, ns, phase);
    kube_fake_put(f, obj);
}

static void kubernetes_done_means(void **state)
{
    (void)state;
    struct kube_fake f;
    /* the daemon works under the chart's ClusterRole (least privilege) */
    char rules[512];
    const char *src = getenv("SREBOT_SOURCE_DIR");
    snprintf(rules, sizeof rules, "%s/deploy/helm/srebot/files/rbac-rules.json", src ? src : ".");
    const char *opts[] = {"--rbac", rules, NULL};
    assert_int_equal(kube_fake_start(&f, opts, NULL), 0);
    char kenv[400];
    snprintf(kenv, sizeof kenv, "IF_SRE_KUBECONFIG=%s", f.kubeconfig);
    const char *env[] = {kenv, "IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true", NULL};
    struct it_daemon d;
    assert_int_equal(it_start(&d, env, NULL), 0);
    edit_policy(&d, kube_policy, NULL);
    assert_true(it_stderr_contains(&d, "Kubernetes: "));

    /* ---- DiskPressure: opens with the node as evidence, resolves when cleared ---- */
    kube_fake_put(&f, "{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"},\"spec\":{},"
                      "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},"
                      "{\"type\":\"DiskPressure\",\"status\":\"True\",\"reason\":"
                      "\"KubeletHasDiskPressure\",\"message\":\"kubelet has disk pressure\"}]}}");
    int64_t disk = 0;
    EXPECT_WAIT(20, (disk = incident_of(&d, DISK, "k8s/node/n1")) != 0);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld", (long long)disk);
    assert_true(text_has(&d, path, "\"k8s_object\""));
    assert_true(text_has(&d, path, "KubeletHasDiskPressure"));
    assert_true(text_has(&d, path, "\"kind\": \"Node\", \"name\": \"n1\""));

    /* ---- CrashLoopBackOff -> restart pressure; rollout_restart waits for approval ---- */
    crashloop_pod(&f, "shop", "web", "web-7f9c-x1");
    int64_t crash = 0;
    EXPECT_WAIT(20, (crash = incident_of(&d, RESTART, "k8s/shop/Deployment/web")) != 0);
    EXPECT_WAIT(20, attempt_in_state(&d, crash, "rollout_restart", "awaiting_approval"));
    remed_sleep_ms(1500);
    assert_false(object_field_is(&f, "/apis/apps/v1/namespaces/shop/deployments/web",
                                 "spec.template.metadata.annotations", NULL));
    int64_t req = pending_approval(&d, crash);
    assert_true(req > 0);
    struct it_resp r;
    assert_int_equal(decide_as(&d, IT_ADMIN, req, "approve", NULL, &r), 200);
    it_resp_free(&r);
    EXPECT_WAIT(20, attempt_in_state(&d, crash, "rollout_restart", "succeeded"));
    assert_true(object_field_is(&f, "/apis/apps/v1/namespaces/shop/deployments/web",
                                "spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/"
                                "restartedAt",
                                NULL) ||
                kube_fake_count(&f, "PATCH", "/deployments/web", 0) == 1);
    json_t *dep = kube_fake_get(&f, "/apis/apps/v1/namespaces/shop/deployments/web");
    const json_t *ann = json_object_get(
        json_object_get(json_object_get(json_object_get(dep, "spec"), "template"), "metadata"),
        "annotations");
    assert_non_null(json_object_get(ann, "kubectl.kubernetes.io/restartedAt"));
    json_decref(dep);
    assert_int_equal(kube_fake_count(&f, "PATCH", "/deployments/web", 1), 1); /* preflight */
    assert_int_equal(kube_fake_count(&f, "PATCH", "/deployments/web", 0), 1); /* the change */

    /* ---- completed pods deleted automatically ---- */
    done_pod(&f, "batch", "job-a", "Succeeded");
    done_pod(&f, "batch", "job-b", "Succeeded");
    done_pod(&f, "batch", "job-c", "Failed");
    done_pod(&f, "batch", "server", "Running");
    int64_t done = 0;
    EXPECT_WAIT(20, (done = incident_of(&d, COMPLETED, "k8s/batch/completed-pods")) != 0);
    EXPECT_WAIT(20, gone(&f, "/api/v1/namespaces/batch/pods/job-a") &&
                                 gone(&f, "/api/v1/namespaces/batch/pods/job-b") &&
                                 gone(&f, "/api/v1/namespaces/batch/pods/job-c"));
    assert_false(gone(&f, "/api/v1/namespaces/batch/pods/server"));
    EXPECT_WAIT(10, attempt_in_state(&d, done, "delete_completed_pods", "succeeded"));
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/timeline", (long long)done);
    assert_true(text_has(&d, path, "delete_completed_pods auto: delete_completed_pods on batch "
                                   "allowed")); /* the decision */
    assert_true(text_has(&d, path, "delete_completed_pods succeeded")); /* the change */
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/attempts", (long long)done);
    assert_true(text_has(&d, path, "deleted 3 completed pod(s) in namespace batch: job-a, job-b, "
                                   "job-c")); /* exactly what changed */

    /* ---- an allowlisted CronJob suspended automatically ---- */
    kube_fake_put(&f, "{\"kind\":\"CronJob\",\"metadata\":{\"name\":\"report\",\"namespace\":"
                      "\"jobs\"},\"spec\":{\"schedule\":\"*/5 * * * *\",\"suspend\":false}}");
    for (int i = 1; i <= 2; i++) {
        char obj[600];
        snprintf(obj, sizeof obj,
                 "{\"kind\":\"Job\",\"metadata\":{\"name\":\"report-%d\",\"namespace\":\"jobs\","
                 "\"creationTimestamp\":\"2026-01-01T00:0%d:00Z\",\"ownerReferences\":[{\"kind\":"
                 "\"CronJob\",\"name\":\"report\"}]},\"status\":{\"failed\":1,\"conditions\":"
                 "[{\"type\":\"Failed\",\"status\":\"True\"}]}}",
                 i, i);
        kube_fake_put(&f, obj);
    }
    int64_t cron = 0;
    EXPECT_WAIT(20, (cron = incident_of(&d, CRON, "k8s/jobs/CronJob/report")) != 0);
    EXPECT_WAIT(20, object_field_is(&f, "/apis/batch/v1/namespaces/jobs/cronjobs/report",
                                             "spec.suspend", "true"));

    /* ---- a protected namespace is refused even with an approval ---- */
    crashloop_pod(&f, "legacy", "old", "old-7f9c-z9");
    int64_t legacy = 0;
    EXPECT_WAIT(20, (legacy = incident_of(&d, RESTART, "k8s/legacy/Deployment/old")) != 0);
    EXPECT_WAIT(20, attempt_in_state(&d, legacy, "rollout_restart", "awaiting_approval"));
    edit_policy(&d, protect_legacy, NULL);
    req = pending_approval(&d, legacy);
    assert_true(req > 0);
    assert_int_equal(decide_as(&d, IT_ADMIN, req, "approve", NULL, &r), 200);
    it_resp_free(&r);
    EXPECT_WAIT(20, attempt_in_state(&d, legacy, "rollout_restart", "cancelled"));
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/timeline", (long long)legacy);
    assert_true(text_has(&d, path, "protected_namespace"));
    assert_int_equal(kube_fake_count(&f, "PATCH", "/namespaces/legacy/", -1), 0);

    /* ---- dry run: nothing changes in the fake ---- */
    edit_policy(&d, dry_run_on, NULL);
    remed_sleep_ms(1200);
    done_pod(&f, "dry", "d-1", "Succeeded");
    done_pod(&f, "dry", "d-2", "Succeeded");
    done_pod(&f, "dry", "d-3", "Failed");
    int64_t dry = 0;
    EXPECT_WAIT(20, (dry = incident_of(&d, COMPLETED, "k8s/dry/completed-pods")) != 0);
    EXPECT_WAIT(20, attempt_in_state(&d, dry, "delete_completed_pods", "succeeded"));
    assert_false(gone(&f, "/api/v1/namespaces/dry/pods/d-1"));
    assert_false(gone(&f, "/api/v1/namespaces/dry/pods/d-3"));
    assert_int_equal(kube_fake_count(&f, "DELETE", "/namespaces/dry/", 0), 0);
    assert_int_equal(kube_fake_count(&f, "DELETE", "/namespaces/dry/", 1), 3);

    /* ---- the node recovers: its incident resolves ---- */
    kube_fake_put(&f, "{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"},\"spec\":{},"
                      "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},"
                      "{\"type\":\"DiskPressure\",\"status\":\"False\"}]}}");
    char st[32];
    EXPECT_WAIT(30, strcmp(incident_state_of(&d, disk, st, sizeof st), "resolved") == 0);

    json_t *rb = kube_fake_call(&f, "GET", "/_fake/rbac", NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(rb, "denied")), 0);
    json_decref(rb);

    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
    kube_fake_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kubernetes_done_means),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
