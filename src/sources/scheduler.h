/* The source scheduler: owns configured source instances and runs each at its
 * interval on a small fixed pool of worker threads (never a thread per instance).
 *
 * An instance is described by a spec (JSON):
 *   {"id":"db","kind":"tcp","interval_ms":10000,"enabled":true,"config":{...}}
 * `config` is handed to the kind's init. Instances are created lazily on a
 * worker, so a broken one (bad target, unreadable file) shows up in the status
 * as `failing` with its error instead of failing the whole configuration.
 *
 * A cycle that returns non-zero (or an init that fails) is retried with capped
 * exponential backoff (retry_base_ms, doubling, at most retry_max_ms); the other
 * instances keep their own schedule. A cycle that succeeds is next due one
 * interval after it started.
 *
 * scheduler_reconfigure swaps the instance set by id without a restart: an
 * instance whose kind, interval and config are unchanged keeps its state
 * (hysteresis, counters, file offsets); a changed one is rebuilt; a missing one
 * is destroyed once its current cycle (if any) ends.
 *
 * Each adapter bounds its own cycle (probe timeouts, bounded reads); the
 * scheduler records how long a cycle took, counts cycles that overran their
 * interval, and logs (once per cycle) a cycle still running after
 * max(60 s, 3 intervals), which shows up as running_for_ms in the status.
 */
#ifndef SREBOT_SOURCES_SCHEDULER_H
#define SREBOT_SOURCES_SCHEDULER_H

#include <jansson.h>
#include <stddef.h>

#include "sources/source.h"
#include "util/metrics.h"

struct scheduler_opts {
    unsigned workers;       /* default 2 */
    unsigned retry_base_ms; /* first retry delay after a failure; default 1000 */
    unsigned retry_max_ms;  /* backoff cap; default 300000 */
    /* Kind lookup; default source_find (tests inject their own kinds). */
    const struct source_ops *(*find)(const char *kind);
    /* Where the per-instance metrics go; NULL = not recorded. Families (labels id, kind):
     *   srebot_source_runs_total, srebot_source_failures_total,
     *   srebot_source_findings_total (counters), srebot_source_up,
     *   srebot_source_last_run_timestamp_seconds,
     *   srebot_source_last_duration_seconds (gauges). */
    struct metrics *metrics;
    /* Handed to every instance's init; NULL = an empty one (no metrics, no
     * shared log rules, no resolver: only for tests of kinds that need none). */
    const struct source_deps *deps;
};

struct scheduler;

/* sink is copied; findings of every instance go there (emit must be thread-safe). */
int scheduler_create(const struct scheduler_opts *opts, const struct finding_sink *sink,
                     struct scheduler **out, char *err, size_t errlen);
/* Stops the workers (waits for running cycles) and destroys every instance. NULL ok. */
void scheduler_destroy(struct scheduler *s);

/* specs: array of instance specs. Rejects the whole set (keeping the current
 * one) when a spec is malformed, names an unknown kind or repeats an id. */
int scheduler_reconfigure(struct scheduler *s, const json_t *specs, char *err, size_t errlen);

/* {"items":[{"id","kind","state":"ok|failing|disabled","last_run","last_error",
 *  "runs","failures","findings","consecutive_failures","next_run_in_ms",
 *  "last_duration_ms","overruns","running_for_ms"}]} sorted by id. New reference. */
json_t *scheduler_status(struct scheduler *s);

/* Wakes every instance now (tests, `detect --once`). */
void scheduler_kick(struct scheduler *s);
/* Waits until every enabled instance has completed at least `cycles` cycles
 * since creation or timeout_ms passes; returns 0 when reached. */
int scheduler_wait_cycles(struct scheduler *s, unsigned long cycles, int timeout_ms);

#endif
