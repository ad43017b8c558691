/* helm_reconcile with a fake `helm` on PATH (tests/fakes/helm-bin/helm): the
 * exact command (no shell: arguments arrive as given), the dry run, the output
 * kept, helm's failure, a hung helm killed at the deadline, no helm at all,
 * protected namespaces and option-looking chart names refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions/runner.h"
#include "util/timeutil.h"

static char logpath[300];
static char path_with_helm[2048];
static const char *orig_path;

static enum adapter_result run(const char *target, const char *params_json, int dry,
                               unsigned deadline_ms, struct runner_outcome *out)
{
    const struct runner_ops *ops = runner_find("helm_reconcile");
    assert_non_null(ops);
    json_t *params = params_json ? json_loads(params_json, 0, NULL) : NULL;
    json_t *policy = json_pack("{s:{s:[s]}}", "allowlists", "protected_namespaces", "kube-system");
    struct runner_request rq = {.attempt_id = 1, .action = "helm_reconcile", .target = target,
                                .idempotency_key = "k", .params = params, .dry_run = dry,
                                .policy = policy,
                                .deadline_ns = time_mono_ns() + deadline_ms * 1000000ULL};
    memset(out, 0, sizeof *out);
    void *inst = NULL;
    char err[100];
    assert_int_equal(ops->init(NULL, NULL, &inst, err, sizeof err), 0);
    enum adapter_result r = dry ? ops->preflight(inst, &rq, out) : ops->execute(inst, &rq, out);
    ops->destroy(inst);
    json_decref(params);
    json_decref(policy);
    return r;
}

static void read_log(char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(logpath, "r");
    if (f) {
        size_t n = fread(buf, 1, len - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    unlink(logpath);
}

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("SREBOT_SOURCE_DIR");
    orig_path = getenv("PATH");
    snprintf(path_with_helm, sizeof path_with_helm, "%s/tests/fakes/helm-bin:%s",
             src ? src : ".", orig_path ? orig_path : "/usr/bin:/bin");
    setenv("PATH", path_with_helm, 1);
    snprintf(logpath, sizeof logpath, "/tmp/srebot-fake-helm-%d.log", (int)getpid());
    setenv("FAKE_HELM_LOG", logpath, 1);
    return 0;
}

static void upgrade_and_dry_run(void **state)
{
    (void)state;
    struct runner_outcome out;
    char log[2000];
    setenv("FAKE_HELM_MODE", "ok", 1);
    assert_int_equal(run("shop/web", "{\"chart\":\"bitnami/nginx\",\"version\":\"15.1.0\"}", 0,
                         20000, &out),
                     ADAPTER_OK);
    read_log(log, sizeof log);
    assert_non_null(strstr(log, "upgrade web bitnami/nginx --namespace shop --reuse-values "
                                "--timeout "));
    assert_non_null(strstr(log, "--version 15.1.0"));
    assert_null(strstr(log, "--dry-run"));
    assert_non_null(strstr(out.changed, "helm upgrade shop/web with bitnami/nginx"));
    assert_non_null(strstr(out.changed, "REVISION: 7"));
    assert_non_null(strstr(json_string_value(json_object_get(out.detail, "output")),
                           "Happy Helming"));
    json_decref(out.detail);

    assert_int_equal(run("shop/web", "{\"chart\":\"oci://registry.local/charts/web\"}", 1, 20000,
                         &out),
                     ADAPTER_OK);
    read_log(log, sizeof log);
    assert_non_null(strstr(log, "--dry-run"));
    assert_non_null(strstr(out.changed, "dry run: "));
    json_decref(out.detail);
}

static void failures(void **state)
{
    (void)state;
    struct runner_outcome out;
    char log[2000];
    setenv("FAKE_HELM_MODE", "fail", 1);
    assert_int_equal(run("shop/web", "{\"chart\":\"repo/web\"}", 0, 20000, &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "exited 1: Error: UPGRADE FAILED"));
    json_decref(out.detail);

    setenv("FAKE_HELM_MODE", "hang", 1);
    uint64_t t0 = time_mono_ns();
    assert_int_equal(run("shop/web", "{\"chart\":\"repo/web\"}", 0, 2000, &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "timed out"));
    assert_true(time_mono_ns() - t0 < 6000000000ULL); /* killed, not waited for */
    json_decref(out.detail);
    setenv("FAKE_HELM_MODE", "ok", 1);
    read_log(log, sizeof log);

    /* no helm on PATH */
    setenv("PATH", "/nonexistent-dir", 1);
    assert_int_equal(run("shop/web", "{\"chart\":\"repo/web\"}", 0, 20000, &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "helm is not installed"));
    setenv("PATH", path_with_helm, 1);

    /* refused before anything runs */
    assert_int_equal(run("kube-system/dns", "{\"chart\":\"repo/dns\"}", 0, 20000, &out),
                     ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "protected"));
    assert_int_equal(run("shop/web", "{\"chart\":\"--post-renderer=/bin/sh\"}", 0, 20000, &out),
                     ADAPTER_ERROR);
    assert_int_equal(run("shop/web", NULL, 0, 20000, &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "/params/chart"));
    read_log(log, sizeof log);
    assert_string_equal(log, ""); /* helm never ran for those */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(upgrade_and_dry_run),
        cmocka_unit_test(failures),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
