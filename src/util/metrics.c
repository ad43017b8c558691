#include "util/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_VALUE_MAX 128

enum kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

struct metric_series {
    struct metric *family;
    uint64_t hash;
    char values[METRICS_MAX_LABELS][LABEL_VALUE_MAX];
    atomic_uint_fast64_t count;   /* counter value; histogram observation count */
    atomic_uint_fast64_t bits;    /* gauge value; histogram sum (IEEE-754 bits of a double) */
    atomic_uint_fast64_t buckets[METRICS_MAX_BUCKETS + 1]; /* per bucket, not cumulative */
};

struct metric {
    struct metrics *reg; /* the registry this family belongs to */
    const char *name, *help;
    enum kind kind;
    const char *label_names[METRICS_MAX_LABELS];
    size_t nlabels;
    double bounds[METRICS_MAX_BUCKETS];
    size_t nbounds;
    double (*fn)(void *ctx); /* computed at render time (under the registry lock) */
    void *ctx;
    /* Append-only: a slot is written once, then published by the release store
     * of nseries, so lock-free readers never see a half-built series. */
    struct metric_series *series[METRICS_MAX_SERIES];
    atomic_size_t nseries;
};

struct metrics {
    pthread_mutex_t lock;        /* registration, rendering */
    pthread_mutex_t series_lock; /* series creation (apart: rendering may take long) */
    struct metric *families[METRICS_MAX_FAMILIES];
    size_t nfamilies;
};

const double METRICS_LATENCY_BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
const size_t METRICS_LATENCY_NBUCKETS = sizeof METRICS_LATENCY_BUCKETS / sizeof(double);
const double METRICS_SIZE_BUCKETS[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
const size_t METRICS_SIZE_NBUCKETS = sizeof METRICS_SIZE_BUCKETS / sizeof(double);

struct metrics *metrics_create(void)
{
    struct metrics *reg = calloc(1, sizeof *reg);
    if (reg) {
        pthread_mutex_init(&reg->lock, NULL);
        pthread_mutex_init(&reg->series_lock, NULL);
    }
    return reg;
}

void metrics_destroy(struct metrics *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->nfamilies; i++) {
        struct metric *m = reg->families[i];
        size_t n = atomic_load(&m->nseries);
        for (size_t j = 0; j < n; j++)
            free(m->series[j]);
        free(m);
    }
    pthread_mutex_destroy(&reg->series_lock);
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

static struct metric *family_register(struct metrics *reg, const char *name, const char *help,
                                      enum kind kind, const char *const *label_names,
                                      const double *bounds, size_t nbounds)
{
    if (!reg || !name)
        return NULL; /* no registry: nothing is recorded */
    struct metric *m = NULL;
    pthread_mutex_lock(&reg->lock);
    for (size_t i = 0; i < reg->nfamilies; i++) {
        if (strcmp(reg->families[i]->name, name) == 0) {
            m = reg->families[i]->kind == kind ? reg->families[i] : NULL;
            goto out;
        }
    }
    size_t nlabels = 0;
    while (label_names && label_names[nlabels])
        nlabels++;
    if (reg->nfamilies == METRICS_MAX_FAMILIES || nlabels > METRICS_MAX_LABELS ||
        nbounds > METRICS_MAX_BUCKETS)
        goto out;
    m = calloc(1, sizeof *m);
    if (!m)
        goto out;
    m->reg = reg;
    m->name = name;
    m->help = help ? help : "";
    m->kind = kind;
    m->nlabels = nlabels;
    for (size_t i = 0; i < nlabels; i++)
        m->label_names[i] = label_names[i];
    if (nbounds)
        memcpy(m->bounds, bounds, nbounds * sizeof *bounds);
    m->nbounds = nbounds;
    atomic_init(&m->nseries, 0);
    reg->families[reg->nfamilies++] = m;
out:
    pthread_mutex_unlock(&reg->lock);
    return m;
}

struct metric *metrics_counter(struct metrics *reg, const char *name, const char *help,
                               const char *const *label_names)
{
    return family_register(reg, name, help, KIND_COUNTER, label_names, NULL, 0);
}

struct metric *metrics_gauge(struct metrics *reg, const char *name, const char *help,
                             const char *const *label_names)
{
    return family_register(reg, name, help, KIND_GAUGE, label_names, NULL, 0);
}

struct metric *metrics_histogram(struct metrics *reg, const char *name, const char *help,
                                 const char *const *label_names, const double *bounds,
                                 size_t nbounds)
{
    return family_register(reg, name, help, KIND_HISTOGRAM, label_names, bounds, nbounds);
}

static struct metric *fn_register(struct metrics *reg, const char *name, const char *help,
                                  enum kind kind, double (*fn)(void *), void *ctx)
{
    struct metric *m = family_register(reg, name, help, kind, NULL, NULL, 0);
    if (m) {
        pthread_mutex_lock(&reg->lock);
        m->fn = fn;
        m->ctx = ctx;
        pthread_mutex_unlock(&reg->lock);
    }
    return m;
}

struct metric *metrics_gauge_fn(struct metrics *reg, const char *name, const char *help,
                                double (*fn)(void *ctx), void *ctx)
{
    return fn_register(reg, name, help, KIND_GAUGE, fn, ctx);
}

struct metric *metrics_counter_fn(struct metrics *reg, const char *name, const char *help,
                                  double (*fn)(void *ctx), void *ctx)
{
    return fn_register(reg, name, help, KIND_COUNTER, fn, ctx);
}

static uint64_t labels_hash(const char *const *values, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull; /* separator: ("ab","") != ("a","b") */
    }
    return h;
}

static int series_is(const struct metric_series *s, uint64_t h, const char *const *values,
                     size_t n)
{
    if (s->hash != h)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(s->values[i], values[i], LABEL_VALUE_MAX - 1) != 0)
            return 0;
    return 1;
}

static struct metric_series *series_scan(struct metric *m, size_t from, size_t to, uint64_t h,
                                         const char *const *values)
{
    for (size_t i = from; i < to; i++)
        if (series_is(m->series[i], h, values, m->nlabels))
            return m->series[i];
    return NULL;
}

struct metric_series *metric_series_get(struct metric *m, const char *const *values)
{
    static const char *const none[1] = {""};
    if (!m)
        return NULL;
    if (m->nlabels == 0)
        values = none;
    uint64_t h = labels_hash(values, m->nlabels);
    size_t n = atomic_load_explicit(&m->nseries, memory_order_acquire);
    struct metric_series *s = series_scan(m, 0, n, h, values);
    if (s)
        return s;
    pthread_mutex_lock(&m->reg->series_lock);
    size_t n2 = atomic_load_explicit(&m->nseries, memory_order_acquire);
    s = series_scan(m, n, n2, h, values);
    if (!s && n2 < METRICS_MAX_SERIES) {
        s = calloc(1, sizeof *s);
        if (s) {
            s->family = m;
            s->hash = h;
            for (size_t i = 0; i < m->nlabels; i++)
                snprintf(s->values[i], sizeof s->values[i], "%s", values[i]);
            m->series[n2] = s;
            atomic_store_explicit(&m->nseries, n2 + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&m->reg->series_lock);
    return s;
}

struct metric_series *metric_series0(struct metric *m) { return metric_series_get(m, NULL); }

static uint64_t dbits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double bitsd(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static void atomic_add_double(atomic_uint_fast64_t *a, double d)
{
    uint_fast64_t old = atomic_load_explicit(a, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(a, &old, dbits(bitsd(old) + d),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

void metric_inc(struct metric_series *s) { metric_add(s, 1); }

void metric_add(struct metric_series *s, uint64_t n)
{
    if (s)
        atomic_fetch_add_explicit(&s->count, n, memory_order_relaxed);
}

void metric_set(struct metric_series *s, double v)
{
    if (s)
        atomic_store_explicit(&s->bits, dbits(v), memory_order_relaxed);
}

void metric_gauge_add(struct metric_series *s, double d)
{
    if (s)
        atomic_add_double(&s->bits, d);
}

void metric_observe(struct metric_series *s, double v)
{
    if (!s || s->family->kind != KIND_HISTOGRAM)
        return;
    const struct metric *m = s->family;
    size_t i = 0;
    while (i < m->nbounds && v > m->bounds[i])
        i++;
    atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
    atomic_add_double(&s->bits, v);
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

double metric_value(const struct metric_series *s)
{
    if (!s)
        return 0;
    if (s->family->kind == KIND_GAUGE)
        return bitsd(atomic_load_explicit(&s->bits, memory_order_relaxed));
    return (double)atomic_load_explicit(&s->count, memory_order_relaxed);
}

/* ---- rendering ---- */

struct buf {
    char *data;
    size_t len, cap;
    int failed;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s) { buf_put(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3))) static void buf_fmt(struct buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void fmt_double(char *out, size_t outlen, double v)
{
    if (isnan(v))
        snprintf(out, outlen, "NaN");
    else if (isinf(v))
        snprintf(out, outlen, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, outlen, "%.0f", v);
    else {
        /* the shortest of the two that reads back as v: 0.0005, not
         * 0.00050000000000000001 */
        snprintf(out, outlen, "%.15g", v);
        if (strtod(out, NULL) != v)
            snprintf(out, outlen, "%.17g", v);
    }
}

/* Label values escape backslash, double quote and newline; help text escapes
 * backslash and newline (the text format's rules). */
static void buf_escaped(struct buf *b, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_str(b, "\\\\");
        else if (*s == '\n')
            buf_str(b, "\\n");
        else if (quote && *s == '"')
            buf_str(b, "\\\"");
        else
            buf_put(b, s, 1);
    }
}

/* {a="x",b="y"} plus an optional extra label (le for buckets). */
static void buf_labels(struct buf *b, const struct metric *m, const struct metric_series *s,
                       const char *extra_name, const char *extra_value)
{
    if (m->nlabels == 0 && !extra_name)
        return;
    buf_str(b, "{");
    for (size_t i = 0; i < m->nlabels; i++) {
        if (i)
            buf_str(b, ",");
        buf_str(b, m->label_names[i]);
        buf_str(b, "=\"");
        buf_escaped(b, s->values[i], 1);
        buf_str(b, "\"");
    }
    if (extra_name) {
        if (m->nlabels)
            buf_str(b, ",");
        buf_fmt(b, "%s=\"%s\"", extra_name, extra_value);
    }
    buf_str(b, "}");
}

static void render_histogram(struct buf *b, const struct metric *m, const struct metric_series *s)
{
    uint64_t cumulative = 0;
    char num[64];
    for (size_t i = 0; i <= m->nbounds; i++) {
        cumulative += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        if (i < m->nbounds)
            fmt_double(num, sizeof num, m->bounds[i]);
        else
            snprintf(num, sizeof num, "+Inf");
        buf_fmt(b, "%s_bucket", m->name);
        buf_labels(b, m, s, "le", num);
        buf_fmt(b, " %llu\n", (unsigned long long)cumulative);
    }
    fmt_double(num, sizeof num, bitsd(atomic_load_explicit(&s->bits, memory_order_relaxed)));
    buf_fmt(b, "%s_sum", m->name);
    buf_labels(b, m, s, NULL, NULL);
    buf_fmt(b, " %s\n", num);
    buf_fmt(b, "%s_count", m->name);
    buf_labels(b, m, s, NULL, NULL);
    /* _count equals the +Inf bucket, as the format requires, even mid-update. */
    buf_fmt(b, " %llu\n", (unsigned long long)cumulative);
}

static void render_family(struct buf *b, const struct metric *m)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    size_t n = atomic_load_explicit(&m->nseries, memory_order_acquire);
    if (n == 0 && !m->fn)
        return; /* a labelled family with no series yet: nothing to say */
    buf_fmt(b, "# HELP %s ", m->name);
    buf_escaped(b, m->help, 0);
    buf_fmt(b, "\n# TYPE %s %s\n", m->name, type_names[m->kind]);
    char num[64];
    if (m->fn) {
        fmt_double(num, sizeof num, m->fn(m->ctx));
        buf_fmt(b, "%s %s\n", m->name, num);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct metric_series *s = m->series[i];
        if (m->kind == KIND_HISTOGRAM) {
            render_histogram(b, m, s);
            continue;
        }
        if (m->kind == KIND_COUNTER)
            snprintf(num, sizeof num, "%llu",
                     (unsigned long long)atomic_load_explicit(&s->count, memory_order_relaxed));
        else
            fmt_double(num, sizeof num, metric_value(s));
        buf_str(b, m->name);
        buf_labels(b, m, s, NULL, NULL);
        buf_fmt(b, " %s\n", num);
    }
}

char *metrics_render(struct metrics *reg, size_t *len)
{
    struct buf b = {0};
    buf_put(&b, "", 0);
    if (!reg) {
        if (len)
            *len = 0;
        return b.data; /* no registry: nothing to say */
    }
    pthread_mutex_lock(&reg->lock);
    for (size_t i = 0; i < reg->nfamilies; i++)
        render_family(&b, reg->families[i]);
    pthread_mutex_unlock(&reg->lock);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.data;
}
