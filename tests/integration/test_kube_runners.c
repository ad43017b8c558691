/* The Kubernetes runners called directly against the fake API server: what
 * each changes (and records), that a preflight changes nothing, that running
 * twice is one effect, that a protected namespace is refused by the runner
 * itself (no request reaches the API), and how refusals map to outcomes.
 *
 * The fake enforces the chart's ClusterRole (deploy/helm/srebot/files/
 * rbac-rules.json, the one list the chart renders): every call the runners
 * and the kubernetes source make must be allowed by it, and at the end every
 * verb it grants must have been used, so the role is exactly what the code
 * needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions/runner.h"
#include "sources/source.h"
#include "kube/client.h"
#include "util/timeutil.h"

#include "kube_fake.h"

struct fixture {
    struct kube_fake f;
    struct kube_client *kc;
    json_t *policy;
};

static struct fixture fx;

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("SREBOT_SOURCE_DIR");
    static char rules[512];
    snprintf(rules, sizeof rules, "%s/deploy/helm/srebot/files/rbac-rules.json", src ? src : ".");
    const char *opts[] = {"--rbac", rules, NULL};
    if (kube_fake_start(&fx.f, opts, NULL) != 0)
        return -1;
    struct kube_config cfg;
    char err[400];
    if (kube_kubeconfig_load(fx.f.kubeconfig, &cfg, err, sizeof err) != 0)
        return -1;
    int rc = kube_client_create(&cfg, NULL, &fx.kc, err, sizeof err);
    kube_config_clear(&cfg);
    fx.policy = json_pack("{s:{s:[s,s]}}", "allowlists", "protected_namespaces", "kube-system",
                          "payments");
    kube_fake_put(&fx.f, "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\",\"namespace\":"
                         "\"shop\"},\"spec\":{\"replicas\":3,\"template\":{\"metadata\":{}}}}");
    kube_fake_put(&fx.f, "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"ledger\",\"namespace\":"
                         "\"payments\"},\"spec\":{\"replicas\":2,\"template\":{\"metadata\":{}}}}");
    kube_fake_put(&fx.f, "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"app\",\"namespace\":"
                         "\"shop\"},\"data\":{\"LOG_LEVEL\":\"info\",\"MODE\":\"a\"}}");
    kube_fake_put(&fx.f, "{\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"db\",\"namespace\":"
                         "\"shop\"},\"spec\":{\"replicas\":2,\"template\":{\"metadata\":{}}}}");
    kube_fake_put(&fx.f, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"done\",\"namespace\":"
                         "\"shop\"},\"status\":{\"phase\":\"Succeeded\"}}");
    kube_fake_put(&fx.f, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"live\",\"namespace\":"
                         "\"shop\"},\"status\":{\"phase\":\"Running\"}}");
    kube_fake_put(&fx.f, "{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"},\"spec\":{}}");
    kube_fake_put(&fx.f, "{\"kind\":\"CronJob\",\"metadata\":{\"name\":\"report\",\"namespace\":"
                         "\"shop\"},\"spec\":{\"suspend\":false}}");
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    kube_client_destroy(fx.kc);
    json_decref(fx.policy);
    kube_fake_stop(&fx.f);
    return 0;
}

static enum adapter_result run(const char *action, const char *target, const json_t *params,
                               int preflight, const char *key, struct runner_outcome *out)
{
    const struct runner_ops *ops = runner_find(action);
    assert_non_null(ops);
    struct runner_deps deps = {.kube = fx.kc};
    void *inst = NULL;
    char err[200];
    assert_int_equal(ops->init(NULL, &deps, &inst, err, sizeof err), 0);
    struct problems *p = problems_create();
    int valid = ops->validate(inst, target, params, p);
    problems_destroy(p);
    if (valid != 0)
        return ADAPTER_ERROR;
    struct runner_request rq = {.attempt_id = 1, .action = action, .target = target,
                                .idempotency_key = key, .params = params,
                                .dry_run = preflight, .policy = fx.policy,
                                .deadline_ns = time_mono_ns() + 10000000000ULL};
    memset(out, 0, sizeof *out);
    enum adapter_result r = preflight ? ops->preflight(inst, &rq, out) : ops->execute(inst, &rq, out);
    ops->destroy(inst);
    return r;
}

static long long replicas(const char *ns, const char *name)
{
    char path[200];
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments/%s", ns, name);
    json_t *o = kube_fake_get(&fx.f, path);
    long long n = json_integer_value(json_object_get(json_object_get(o, "spec"), "replicas"));
    json_decref(o);
    return n;
}

static void protected_namespace_refused_by_the_runner(void **state)
{
    (void)state;
    struct runner_outcome out;
    int before = kube_fake_count(&fx.f, "GET", "/namespaces/payments/", -1);
    const char *actions[][2] = {{"rollout_restart", "payments/Deployment/ledger"},
                                {"scale_to_zero", "payments/Deployment/ledger"},
                                {"delete_completed_pods", "payments"},
                                {"suspend_cronjob", "payments/nightly"}};
    for (size_t i = 0; i < 4; i++) {
        for (int pre = 0; pre < 2; pre++) {
            assert_int_equal(run(actions[i][0], actions[i][1], NULL, pre, "k1", &out),
                             ADAPTER_ERROR);
            assert_non_null(strstr(out.error, "namespace payments is protected"));
        }
    }
    /* nothing reached the API about that namespace */
    assert_int_equal(kube_fake_count(&fx.f, "GET", "/namespaces/payments/", -1), before);
    assert_int_equal(kube_fake_count(&fx.f, "PATCH", "/namespaces/payments/", -1), 0);
    assert_int_equal(replicas("payments", "ledger"), 2);
}

static void scale_to_zero_remembers_replicas(void **state)
{
    (void)state;
    struct runner_outcome out;
    assert_int_equal(run("scale_to_zero", "shop/Deployment/api", NULL, 1, "s1", &out), ADAPTER_OK);
    assert_int_equal(replicas("shop", "api"), 3); /* preflight: dryRun only */
    json_decref(out.detail);
    assert_int_equal(run("scale_to_zero", "shop/Deployment/api", NULL, 0, "s1", &out), ADAPTER_OK);
    assert_int_equal(replicas("shop", "api"), 0);
    assert_int_equal(json_integer_value(json_object_get(out.detail, "previous_replicas")), 3);
    assert_non_null(strstr(out.changed, "--replicas=3"));
    json_decref(out.detail);
    /* again: nothing to change */
    assert_int_equal(run("scale_to_zero", "shop/Deployment/api", NULL, 0, "s1", &out), ADAPTER_OK);
    assert_non_null(strstr(out.changed, "nothing to change"));
    /* every real write was preceded by its dry run */
    assert_int_equal(kube_fake_count(&fx.f, "PATCH", "/deployments/api/scale", 1), 2);
    assert_int_equal(kube_fake_count(&fx.f, "PATCH", "/deployments/api/scale", 0), 1);
}

static void patch_config_remembers_previous(void **state)
{
    (void)state;
    struct runner_outcome out;
    json_t *params = json_pack("{s:{s:s,s:n,s:s}}", "data", "LOG_LEVEL", "debug", "MODE", "NEW",
                               "x");
    assert_int_equal(run("patch_config", "shop/app", params, 0, "p1", &out), ADAPTER_OK);
    const json_t *prev = json_object_get(out.detail, "previous");
    assert_string_equal(json_string_value(json_object_get(prev, "LOG_LEVEL")), "info");
    assert_string_equal(json_string_value(json_object_get(prev, "MODE")), "a");
    assert_true(json_is_null(json_object_get(prev, "NEW")));
    json_decref(out.detail);
    json_t *cm = kube_fake_get(&fx.f, "/api/v1/namespaces/shop/configmaps/app");
    const json_t *data = json_object_get(cm, "data");
    assert_string_equal(json_string_value(json_object_get(data, "LOG_LEVEL")), "debug");
    assert_null(json_object_get(data, "MODE"));
    assert_string_equal(json_string_value(json_object_get(data, "NEW")), "x");
    json_decref(cm);
    json_decref(params);
    /* params are required and checked */
    json_t *bad = json_pack("{s:{s:i}}", "data", "K", 1);
    assert_int_equal(run("patch_config", "shop/app", bad, 0, "p2", &out), ADAPTER_ERROR);
    json_decref(bad);
}

static void cordon_restart_suspend(void **state)
{
    (void)state;
    struct runner_outcome out;
    assert_int_equal(run("cordon_node", "n1", NULL, 0, "c1", &out), ADAPTER_OK);
    json_decref(out.detail);
    json_t *n = kube_fake_get(&fx.f, "/api/v1/nodes/n1");
    assert_true(json_is_true(json_object_get(json_object_get(n, "spec"), "unschedulable")));
    json_decref(n);

    assert_int_equal(run("suspend_cronjob", "shop/report", NULL, 1, "j1", &out), ADAPTER_OK);
    json_decref(out.detail);
    json_t *cj = kube_fake_get(&fx.f, "/apis/batch/v1/namespaces/shop/cronjobs/report");
    assert_false(json_is_true(json_object_get(json_object_get(cj, "spec"), "suspend")));
    json_decref(cj);
    assert_int_equal(run("suspend_cronjob", "shop/report", NULL, 0, "j1", &out), ADAPTER_OK);
    json_decref(out.detail);
    cj = kube_fake_get(&fx.f, "/apis/batch/v1/namespaces/shop/cronjobs/report");
    assert_true(json_is_true(json_object_get(json_object_get(cj, "spec"), "suspend")));
    json_decref(cj);

    /* rollout_restart: the annotation, once per idempotency key */
    assert_int_equal(run("rollout_restart", "shop/Deployment/api", NULL, 0, "r1", &out),
                     ADAPTER_OK);
    json_decref(out.detail);
    assert_int_equal(run("rollout_restart", "shop/Deployment/api", NULL, 0, "r1", &out),
                     ADAPTER_OK);
    assert_non_null(strstr(out.changed, "nothing to change"));
    assert_int_equal(kube_fake_count(&fx.f, "PATCH", "/deployments/api", 0) -
                         kube_fake_count(&fx.f, "PATCH", "/deployments/api/scale", 0),
                     1);

    /* malformed targets never reach the API */
    assert_int_equal(run("rollout_restart", "shop/DaemonSet/api", NULL, 0, "r2", &out),
                     ADAPTER_ERROR);
    assert_int_equal(run("cordon_node", "n1/../x", NULL, 0, "c2", &out), ADAPTER_ERROR);
    assert_int_equal(run("suspend_cronjob", "Shop/report", NULL, 0, "j2", &out), ADAPTER_ERROR);
}

static void statefulsets_and_completed_pods(void **state)
{
    (void)state;
    struct runner_outcome out;
    assert_int_equal(run("rollout_restart", "shop/StatefulSet/db", NULL, 0, "r9", &out),
                     ADAPTER_OK);
    json_decref(out.detail);
    assert_int_equal(run("scale_to_zero", "shop/StatefulSet/db", NULL, 0, "s9", &out), ADAPTER_OK);
    assert_int_equal(json_integer_value(json_object_get(out.detail, "previous_replicas")), 2);
    json_decref(out.detail);
    assert_int_equal(run("delete_completed_pods", "shop", NULL, 0, "d9", &out), ADAPTER_OK);
    assert_non_null(strstr(out.changed, "deleted 1 completed pod(s) in namespace shop: done"));
    json_decref(out.detail);
    json_t *live = kube_fake_get(&fx.f, "/api/v1/namespaces/shop/pods/live");
    assert_non_null(live); /* a Running pod is never deleted */
    json_decref(live);
}

/* How many watch requests the fake has seen for a list path. */
static int watches_of(const char *path)
{
    json_t *r = kube_fake_call(&fx.f, "GET", "/_fake/requests", NULL, NULL);
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r, "items"), i, it) {
        const char *p = json_string_value(json_object_get(it, "path"));
        const char *w = json_string_value(json_object_get(json_object_get(it, "query"), "watch"));
        n += p && w && strcmp(p, path) == 0;
    }
    json_decref(r);
    return n;
}

static void the_chart_role_is_exactly_what_the_code_uses(void **state)
{
    (void)state;
    /* the kubernetes source: its list + watch of every resource it reads */
    const struct source_ops *ops = source_find("kubernetes");
    assert_non_null(ops);
    struct source_deps deps = {.kube = fx.kc};
    void *inst = NULL;
    char err[300] = "";
    json_t *cfg = json_pack("{s:s}", "id", "kubernetes");
    assert_int_equal(ops->init(cfg, &deps, &inst, err, sizeof err), 0);
    json_decref(cfg);
    static const char *const paths[] = {"/api/v1/nodes", "/api/v1/pods", "/api/v1/events",
                                        "/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets",
                                        "/apis/batch/v1/cronjobs", "/apis/batch/v1/jobs"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        int seen = 0;
        for (int t = 0; t < 200 && !seen; t++) {
            seen = watches_of(paths[i]) > 0;
            if (!seen) {
                struct timespec ts = {0, 50 * 1000000L};
                nanosleep(&ts, NULL);
            }
        }
        if (!seen)
            fail_msg("no watch of %s", paths[i]);
    }
    ops->destroy(inst);

    json_t *rb = kube_fake_call(&fx.f, "GET", "/_fake/rbac", NULL, NULL);
    char *text = json_dumps(rb, JSON_COMPACT);
    if (json_array_size(json_object_get(rb, "denied")) ||
        json_array_size(json_object_get(rb, "unused")))
        fail_msg("the chart's ClusterRole and the code's calls differ: %s", text);
    free(text);
    json_decref(rb);
}

static void refusals_map_to_outcomes(void **state)
{
    (void)state;
    struct runner_outcome out;
    json_decref(kube_fake_call(&fx.f, "POST", "/_fake/forbid",
                               "{\"verb\":\"patch\",\"resource\":\"nodes\"}", NULL));
    kube_fake_put(&fx.f, "{\"kind\":\"Node\",\"metadata\":{\"name\":\"n2\"},\"spec\":{}}");
    assert_int_equal(run("cordon_node", "n2", NULL, 0, "c3", &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "403 Forbidden"));
    assert_int_equal(run("suspend_cronjob", "shop/missing", NULL, 0, "j3", &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "404 NotFound"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(protected_namespace_refused_by_the_runner),
        cmocka_unit_test(scale_to_zero_remembers_replicas),
        cmocka_unit_test(patch_config_remembers_previous),
        cmocka_unit_test(cordon_restart_suspend),
        cmocka_unit_test(statefulsets_and_completed_pods),
        cmocka_unit_test(the_chart_role_is_exactly_what_the_code_uses),
        cmocka_unit_test(refusals_map_to_outcomes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
