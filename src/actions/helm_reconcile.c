/* helm_reconcile: `helm upgrade <release> <chart> --namespace <ns>
 * --reuse-values` of one release, run with posix_spawnp (no shell), bounded
 * by the attempt's deadline (and helm's own --timeout), its output captured
 * (the last lines go into the result). The chart comes from the attempt's
 * params {"chart": "repo/name" | "oci://..." , "version": "1.2.3"}; a preflight
 * adds --dry-run. No `helm` on PATH is a clear failure, not a retry. The
 * protected namespaces are refused here too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/kube_runner.h"
#include "util/spawn.h"
#include "util/timeutil.h"

#define HELM_MAX_TIMEOUT_MS (10 * 60 * 1000)

static int helm_init(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen)
{
    *instance = NULL; /* stateless: helm comes from PATH at each run */
    return 0;
}

static void helm_destroy(void *instance)
{
    (void)instance;
}

/* A chart reference or version: no leading '-' (never an option), a safe set. */
static int ref_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._/:@+-~", c)))
            return 0;
    }
    return 1;
}

static int helm_validate(void *instance, const char *target, const json_t *params,
                         struct problems *p)
{
    struct kube_target t;
    kube_target_parse(target, KT_NS_NAME, &t, p);
    const char *chart = json_string_value(json_object_get(params, "chart"));
    if (!chart || !ref_ok(chart, 256))
        problems_add(p, "/params/chart", "required",
                     "the chart to upgrade with: repo/name, oci://..., or a path (no leading '-')");
    const json_t *v = json_object_get(params, "version");
    if (v && !(json_is_string(v) && ref_ok(json_string_value(v), 64)))
        problems_add(p, "/params/version", "format", "a chart version such as 1.2.3");
    return problems_any(p) ? -1 : 0;
}

/* The last line of helm's output that has text, into out. */
static void last_line(const char *text, char *out, size_t outlen)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(out, outlen, "%.*s", (int)(end - start), start);
}

static enum adapter_result run(const struct runner_request *rq, struct runner_outcome *out,
                               int dry)
{
    struct kube_target t;
    struct problems *p = problems_create();
    int bad = !p || helm_validate(NULL, rq->target, rq->params, p) != 0;
    if (bad)
        snprintf(out->error, sizeof out->error, "%.60s: %.180s",
                 p && p->count ? p->items[0].path : "", p && p->count ? p->items[0].message : "");
    problems_destroy(p);
    if (bad)
        return ADAPTER_ERROR;
    struct problems *p2 = problems_create();
    kube_target_parse(rq->target, KT_NS_NAME, &t, p2);
    problems_destroy(p2);
    enum adapter_result r = kube_runner_protected(rq, t.ns, out);
    if (r != ADAPTER_OK)
        return r;
    uint64_t now = time_mono_ns();
    int64_t left_ms = rq->deadline_ns > now ? (int64_t)((rq->deadline_ns - now) / 1000000ULL) : 0;
    if (left_ms > HELM_MAX_TIMEOUT_MS)
        left_ms = HELM_MAX_TIMEOUT_MS;
    if (left_ms < 1000) {
        snprintf(out->error, sizeof out->error, "no time left before the deadline");
        return ADAPTER_ERROR;
    }
    const char *chart = json_string_value(json_object_get(rq->params, "chart"));
    const char *version = json_string_value(json_object_get(rq->params, "version"));
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%llds", (long long)(left_ms / 1000 > 1 ? left_ms / 1000 - 1 : 1));
    const char *argv[16] = {"helm", "upgrade", t.name, chart, "--namespace", t.ns,
                            "--reuse-values", "--timeout", timeout};
    size_t n = 9;
    if (version) {
        argv[n++] = "--version";
        argv[n++] = version;
    }
    if (dry)
        argv[n++] = "--dry-run";
    argv[n] = NULL;
    struct spawn_result *res = calloc(1, sizeof *res);
    char err[200];
    if (!res) {
        snprintf(out->error, sizeof out->error, "out of memory");
        return ADAPTER_ERROR;
    }
    if (spawn_run(argv, (int)left_ms, res, err, sizeof err) != 0) {
        if (strcmp(err, "not found") == 0)
            snprintf(out->error, sizeof out->error,
                     "helm is not installed (no `helm` on PATH): cannot reconcile %.150s",
                     rq->target);
        else
            snprintf(out->error, sizeof out->error, "%.250s", err);
        free(res);
        return ADAPTER_ERROR;
    }
    char last[200];
    last_line(res->out, last, sizeof last);
    enum adapter_result outcome = ADAPTER_OK;
    if (res->timed_out) {
        snprintf(out->error, sizeof out->error, "helm upgrade timed out after %lld ms (killed)",
                 (long long)left_ms);
        outcome = ADAPTER_ERROR;
    } else if (res->exit_code != 0) {
        snprintf(out->error, sizeof out->error, "helm upgrade exited %d: %.200s", res->exit_code,
                 last);
        outcome = ADAPTER_ERROR;
    } else {
        snprintf(out->changed, sizeof out->changed,
                 "%shelm upgrade %.60s/%.80s with %.120s%s%.40s --reuse-values: %.100s",
                 dry ? "dry run: " : "", t.ns, t.name, chart, version ? " version " : "",
                 version ? version : "", last);
    }
    out->detail = json_pack("{s:s,s:s,s:s,s:i,s:b,s:s#,s:b}", "namespace", t.ns, "release",
                            t.name, "chart", chart, "exit_code", res->exit_code, "timed_out",
                            res->timed_out, "output", res->out, (int)res->out_len, "dry_run", dry);
    free(res);
    return outcome;
}

static enum adapter_result helm_preflight(void *instance, const struct runner_request *rq,
                                          struct runner_outcome *out)
{
    return run(rq, out, 1);
}

static enum adapter_result helm_execute(void *instance, const struct runner_request *rq,
                                        struct runner_outcome *out)
{
    return run(rq, out, 0);
}

const struct runner_ops runner_helm_reconcile = {
    .name = "helm_reconcile",
    .description = "helm upgrade --reuse-values of a release (posix_spawn, bounded, output kept)",
    .verify = RUNNER_VERIFY_SIGNAL,
    .init = helm_init,
    .validate = helm_validate,
    .preflight = helm_preflight,
    .execute = helm_execute,
    .destroy = helm_destroy,
};
