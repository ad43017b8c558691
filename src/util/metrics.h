/* A tiny metrics registry rendering the Prometheus text format (version 0.0.4).
 *
 *   srv->req_total = metrics_counter(reg, "srebot_http_requests_total", "HTTP requests",
 *                               (const char *[]){"route", "method", "status", NULL});
 *   struct metric_series *s = metric_series_get(srv->req_total,
 *                               (const char *[]){"/healthz", "GET", "200"});
 *   metric_inc(s);
 *
 * Families are registered once (registering the same name again returns the
 * existing family, so modules may register lazily and tests may start twice).
 * A series (one label set) is created on first use under a lock and never freed;
 * after that, lookups and updates are lock-free (atomics), so the hot path of a
 * request costs a short scan and one atomic add. Cardinality is bounded: past
 * METRICS_MAX_SERIES label sets a family returns NULL, and every update
 * function accepts NULL (and does nothing), so a label explosion costs nothing
 * but the lost series.
 *
 * A registry is an object: the daemon's is made by main.c (struct app's
 * `metrics`, rendered by /metrics) and handed to every module that records;
 * tests make their own. reg NULL records nothing (registration returns NULL,
 * which every update accepts), so a module given no registry costs nothing.
 */
#ifndef SREBOT_UTIL_METRICS_H
#define SREBOT_UTIL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_FAMILIES 256
#define METRICS_MAX_SERIES 512
#define METRICS_MAX_LABELS 4
#define METRICS_MAX_BUCKETS 16

struct metrics;        /* a registry */
struct metric;         /* a family: name, help, type, label names */
struct metric_series;  /* one label set of a family */

struct metrics *metrics_create(void);
void metrics_destroy(struct metrics *reg); /* after every module that records into it */

/* label_names: NULL-terminated (at most METRICS_MAX_LABELS), or NULL for none.
 * Returns NULL when the registry is full, or when name is registered with
 * another type. Names and help must be static strings (they are not copied). */
struct metric *metrics_counter(struct metrics *reg, const char *name, const char *help,
                               const char *const *label_names);
struct metric *metrics_gauge(struct metrics *reg, const char *name, const char *help,
                             const char *const *label_names);
/* bounds: ascending bucket upper bounds (at most METRICS_MAX_BUCKETS; +Inf is implied). */
struct metric *metrics_histogram(struct metrics *reg, const char *name, const char *help,
                                 const char *const *label_names, const double *bounds,
                                 size_t nbounds);
/* A gauge (or counter) whose value is read when rendering, by fn(ctx) (no labels).
 * Registering the same name again replaces fn and ctx. */
struct metric *metrics_gauge_fn(struct metrics *reg, const char *name, const char *help,
                                double (*fn)(void *ctx), void *ctx);
struct metric *metrics_counter_fn(struct metrics *reg, const char *name, const char *help,
                                  double (*fn)(void *ctx), void *ctx);

/* The series for label values (as many as the family has label names; values
 * are copied, up to 127 bytes each). NULL when m is NULL or the family is full. */
struct metric_series *metric_series_get(struct metric *m, const char *const *values);
/* The single series of a family without labels. */
struct metric_series *metric_series0(struct metric *m);

void metric_inc(struct metric_series *s);
void metric_add(struct metric_series *s, uint64_t n);      /* counters */
void metric_set(struct metric_series *s, double v);        /* gauges */
void metric_gauge_add(struct metric_series *s, double d);  /* gauges */
void metric_observe(struct metric_series *s, double v);    /* histograms */

/* Reads back (tests). Counter/gauge value; for histograms the count. */
double metric_value(const struct metric_series *s);

/* Renders every family; returns a malloc'd NUL-terminated text (length in *len),
 * or NULL on allocation failure. reg NULL: an empty text. */
char *metrics_render(struct metrics *reg, size_t *len);

/* Common bucket sets. */
extern const double METRICS_LATENCY_BUCKETS[]; /* seconds: 0.5 ms .. 10 s */
extern const size_t METRICS_LATENCY_NBUCKETS;
extern const double METRICS_SIZE_BUCKETS[];    /* counts: 1 .. 5000 */
extern const size_t METRICS_SIZE_NBUCKETS;

#endif
