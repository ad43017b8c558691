/* The store observes itself: its queue, commits and commit latency on /metrics
 * (store_metrics_register in store.h). */
#include "store/store_int.h"
#include "util/metrics.h"

static double stat_of(void *ctx, int which)
{
    struct store_stats st;
    store_stats(ctx, &st);
    switch (which) {
    case 0: return st.queue_depth;
    case 1: return st.queue_capacity;
    case 2: return (double)st.busy_rejections;
    case 3: return (double)st.commits;
    default: return (double)st.writes_committed;
    }
}

static double queue_depth(void *ctx) { return stat_of(ctx, 0); }
static double queue_capacity(void *ctx) { return stat_of(ctx, 1); }
static double busy_rejections(void *ctx) { return stat_of(ctx, 2); }
static double commits(void *ctx) { return stat_of(ctx, 3); }
static double writes(void *ctx) { return stat_of(ctx, 4); }

/* From the writer thread, after every commit. */
static void on_commit(void *ctx, size_t batch, uint64_t latency_us)
{
    struct store *s = ctx;
    metric_observe(s->commit_batch, (double)batch);
    metric_observe(s->commit_seconds, (double)latency_us / 1e6);
}

void store_metrics_register(struct store *s, struct metrics *reg)
{
    metrics_gauge_fn(reg, "srebot_store_queue_depth", "Writes waiting for the store writer",
                     queue_depth, s);
    metrics_gauge_fn(reg, "srebot_store_queue_capacity", "Capacity of the store write queue",
                     queue_capacity, s);
    metrics_counter_fn(reg, "srebot_store_busy_rejections_total",
                       "Writes refused because the queue was full or the store stopping",
                       busy_rejections, s);
    metrics_counter_fn(reg, "srebot_store_commits_total", "Store transactions committed", commits,
                       s);
    metrics_counter_fn(reg, "srebot_store_writes_total", "Store writes committed", writes, s);
    s->commit_batch = metric_series0(metrics_histogram(
        reg, "srebot_store_commit_batch_size", "Writes per committed transaction (group commit)",
        NULL, METRICS_SIZE_BUCKETS, METRICS_SIZE_NBUCKETS));
    s->commit_seconds = metric_series0(metrics_histogram(
        reg, "srebot_store_commit_duration_seconds", "Time to commit one transaction", NULL,
        METRICS_LATENCY_BUCKETS, METRICS_LATENCY_NBUCKETS));
    store_set_commit_observer(s, on_commit, s);
}
