/* The nightly prune: findings and resolved incidents older than the policy's
 * retention (src/core/retention.h), deleted in bounded batches through the
 * store writer, each batch in its own transaction with an audit record of
 * what it removed, so ingest keeps flowing between batches. Runs from the
 * tick thread once a day at the policy's prune_at (UTC), or on request
 * (POST /api/v1/retention/run). */
#include <stdio.h>
#include <string.h>

#include "core/retention.h"
#include "ledger/ledger_int.h"
#include "util/log.h"

#define DAY_MS (86400LL * 1000)
#define RETENTION_MAX_BATCHES 200 /* per run: at most 200 x batch_size rows of each kind */

struct prune_op {
    int64_t findings_before, incidents_before;
    unsigned batch;
    const char *actor;
    struct prune_counts got;
};

static enum store_status prune_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        struct prune_op *op = w[k]->arg;
        enum store_status st = store_ledger_prune(c, op->findings_before, op->incidents_before,
                                                  op->batch, &op->got);
        if (st != STORE_OK)
            return st;
        const struct prune_counts *g = &op->got;
        if (g->findings || g->incidents || g->evidence || g->timeline || g->events ||
            g->other) {
            char detail[300];
            snprintf(detail, sizeof detail,
                     "{\"findings\":%lld,\"incidents\":%lld,\"evidence\":%lld,\"timeline\":%lld,"
                     "\"events\":%lld,\"other\":%lld,\"findings_before\":%lld,\"incidents_resolved_before\":%lld}",
                     (long long)g->findings, (long long)g->incidents, (long long)g->evidence,
                     (long long)g->timeline, (long long)g->events, (long long)g->other,
                     (long long)op->findings_before,
                     (long long)op->incidents_before);
            st = store_audit_append(c, op->actor, "retention.pruned", "retention", detail);
            if (st != STORE_OK)
                return st;
        }
        w[k]->status = STORE_OK;
    }
    return STORE_OK;
}

void ledger_retention_metrics(struct ledger *l)
{
    struct metrics *reg = l->cfg.metrics;
    struct metric *m = metrics_counter(reg, "srebot_retention_pruned_total",
                                       "Rows deleted by the retention prune, by kind",
                                       (const char *[]){"kind", NULL});
    static const char *const kinds[] = {"findings", "incidents", "evidence",
                                        "timeline", "events",    "other"};
    for (size_t i = 0; i < 6; i++)
        l->retention_pruned[i] = metric_series_get(m, (const char *[]){kinds[i]});
    l->retention_runs = metric_series0(
        metrics_counter(reg, "srebot_retention_runs_total", "Retention prune runs", NULL));
    l->retention_last_run = metric_series0(
        metrics_gauge(reg, "srebot_retention_last_run_timestamp_seconds",
                      "End of the last retention prune run (Unix time; 0 = none yet)", NULL));
}

enum svc_status ledger_retention_run(struct ledger *l, int64_t now_ms, const char *actor,
                                     struct retention_report *out)
{
    memset(out, 0, sizeof *out);
    json_t *doc = ledger_policy(l);
    struct retention_policy rp;
    retention_from_policy(doc, &rp);
    json_decref(doc);
    if (!rp.enabled)
        return SVC_OK; /* no retention section: everything is kept */
    out->enabled = 1;
    struct prune_op op = {
        .findings_before = now_ms - (int64_t)rp.findings_days * DAY_MS,
        .incidents_before = now_ms - (int64_t)rp.resolved_incidents_days * DAY_MS,
        .batch = (unsigned)rp.batch_size,
        .actor = actor,
    };
    enum store_status st = STORE_OK;
    for (int b = 0; b < RETENTION_MAX_BATCHES; b++) {
        memset(&op.got, 0, sizeof op.got);
        struct store_write w;
        memset(&w, 0, sizeof w);
        w.apply = prune_apply;
        w.arg = &op;
        st = store_write_wait(l->store, &w);
        if (st != STORE_OK) {
            log_warn("ledger", "retention: batch failed: %s %s", store_status_name(st), w.err);
            break;
        }
        out->batches++;
        out->findings += op.got.findings;
        out->incidents += op.got.incidents;
        out->evidence += op.got.evidence;
        out->timeline += op.got.timeline;
        out->events += op.got.events;
        out->other += op.got.other;
        metric_add(l->retention_pruned[0], (uint64_t)op.got.findings);
        metric_add(l->retention_pruned[1], (uint64_t)op.got.incidents);
        metric_add(l->retention_pruned[2], (uint64_t)op.got.evidence);
        metric_add(l->retention_pruned[3], (uint64_t)op.got.timeline);
        metric_add(l->retention_pruned[4], (uint64_t)op.got.events);
        metric_add(l->retention_pruned[5], (uint64_t)op.got.other);
        /* done when neither kind filled its batch */
        if (op.got.findings < (int64_t)op.batch && op.got.incidents < (int64_t)op.batch &&
            op.got.events < (int64_t)op.batch)
            break;
    }
    metric_inc(l->retention_runs);
    metric_set(l->retention_last_run, (double)now_ms / 1000.0);
    if (out->findings || out->incidents)
        log_info("ledger", "retention: pruned %lld finding(s) and %lld resolved incident(s) "
                           "in %d batch(es)",
                 (long long)out->findings, (long long)out->incidents, out->batches);
    return svc_from_store(st);
}

void ledger_retention_tick(struct ledger *l, int64_t now_ms)
{
    json_t *doc = ledger_policy(l);
    struct retention_policy rp;
    retention_from_policy(doc, &rp);
    json_decref(doc);
    if (!rp.enabled) {
        l->retention_next_ms = 0;
        return;
    }
    /* (Re)scheduled when first seen and when prune_at changes. */
    if (!l->retention_next_ms || l->retention_minute != rp.prune_minute) {
        l->retention_minute = rp.prune_minute;
        l->retention_next_ms = retention_next_run_ms(now_ms, rp.prune_minute);
        return;
    }
    if (now_ms < l->retention_next_ms)
        return;
    struct retention_report r;
    ledger_retention_run(l, now_ms, "system", &r);
    l->retention_next_ms = retention_next_run_ms(now_ms, rp.prune_minute);
}
