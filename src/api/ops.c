#include "api/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bus/bus.h"
#include "ledger/ledger.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timeutil.h"

static double start_time_seconds(void *ctx)
{
    const struct app *app = ctx;
    return (double)app->started_at_ms / 1000.0;
}

/* Resident set size from /proc/self/statm (pages), read at scrape time. */
static double resident_bytes(void *ctx)
{
    (void)ctx;
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (!f)
        return 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

static double log_dropped_ordinary(void *ctx)
{
    (void)ctx;
    return (double)log_dropped(LOG_ORDINARY);
}

static double log_dropped_security(void *ctx)
{
    (void)ctx;
    return (double)log_dropped(LOG_SECURITY);
}

void ops_init(struct app *app)
{
    struct metrics *reg = app->metrics;
    metrics_gauge_fn(reg, "process_start_time_seconds",
                     "Start time of the process since the Unix epoch in seconds",
                     start_time_seconds, app);
    metrics_gauge_fn(reg, "process_resident_memory_bytes", "Resident memory size in bytes",
                     resident_bytes, NULL);
    metrics_counter_fn(reg, "srebot_log_dropped_lines_total",
                       "Ordinary log lines dropped by the rate limit (200/s per component and level)",
                       log_dropped_ordinary, NULL);
    metrics_counter_fn(reg, "srebot_log_dropped_security_lines_total",
                       "Security-relevant log lines (5xx, 401/403/429, edge refusals) dropped by "
                       "their own rate limit",
                       log_dropped_security, NULL);
    struct metric *info = metrics_gauge(reg, "srebot_build_info", "Build information (always 1)",
                                        (const char *[]){"version", NULL});
    metric_set(metric_series_get(info, (const char *[]){SREBOT_VERSION}), 1);
}

void ops_healthz(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    (void)app;
    http_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

void ops_readyz(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    (void)req;
    if (!app || !app->ledger) {
        http_resp_error(resp, 503, "unavailable", "not ready: the ledger is not running");
        return;
    }
    if (ledger_ready(app->ledger) != SVC_OK) {
        http_resp_error(resp, 503, "unavailable",
                        "not ready: the store writer is not committing writes");
        http_resp_header(resp, "Retry-After", "1");
        return;
    }
    /* The bus state is reported, not required: events wait in the outbox
     * while the bus is away, so the API stays useful. */
    json_t *body = json_pack("{s:s}", "status", "ready");
    if (app->bus) {
        char detail[200];
        enum bus_state bs = bus_state(app->bus, detail, sizeof detail);
        json_t *b = json_pack("{s:s,s:s}", "adapter", bus_name(app->bus), "state",
                              bus_state_name(bs));
        if (detail[0])
            json_object_set_new(b, "detail", json_string(detail));
        json_object_set_new(body, "bus", b);
    }
    http_resp_json(resp, 200, body);
}

void ops_metrics(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    (void)req;
    size_t len = 0;
    ledger_refresh_gauges(app->ledger); /* open incidents: read at scrape time */
    char *text = metrics_render(app->metrics, &len);
    if (!text) {
        http_resp_error(resp, 503, "unavailable", "out of memory rendering metrics");
        return;
    }
    resp->status = 200;
    resp->raw = text;
    resp->raw_len = len;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void ops_retention_run(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    struct retention_report r;
    enum svc_status st = app->ledger ? ledger_retention_run(app->ledger, time_now_ms(),
                                                           req->who->name, &r)
                                     : SVC_UNAVAILABLE;
    if (st != SVC_OK) {
        http_resp_svc_error(resp, st, "retention");
        return;
    }
    http_resp_json(resp, 200,
                   json_pack("{s:b, s:i, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "enabled", r.enabled,
                             "batches", r.batches, "pruned", "findings", (json_int_t)r.findings,
                             "incidents", (json_int_t)r.incidents, "evidence",
                             (json_int_t)r.evidence, "timeline", (json_int_t)r.timeline, "events",
                             (json_int_t)r.events, "other", (json_int_t)r.other));
}

void ops_whoami(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)app;
    http_resp_json(resp, 200,
                   json_pack("{s:s, s:s}", "name", req->who->name, "role",
                             role_name(req->who->role)));
}
