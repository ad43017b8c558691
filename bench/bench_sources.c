/* Sources benchmarks (no network beyond loopback):
 *   dispatch  - the scheduler alone: N no-op instances at a short interval on
 *               the 2-worker pool; cycles/s and how late cycles start (p50/p99);
 *   delivery  - `detect`'s delivery: findings queued and posted in batches to a
 *               local HTTP server that parses every batch; findings/s.
 *   bench_sources [instances] [findings]   (defaults 500, 100000; instances <= 1024) */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sources/delivery.h"
#include "sources/scheduler.h"
#include "util/log.h"
#include "util/timeutil.h"

/* ---- dispatch ---- */
#define LAT_MAX 4000000
static int64_t *lateness; /* ms between the due time and the start */
static atomic_long nlate;

struct noop {
    int64_t interval_ms;
    int64_t last_start;
};
static int noop_init(const json_t *c, void *deps, void **out, char *e, size_t el)
{
    (void)e;
    (void)el;
    struct noop *n = calloc(1, sizeof *n);
    n->interval_ms = json_integer_value(json_object_get(c, "interval_ms"));
    *out = n;
    return 0;
}
static int noop_run(void *inst, int64_t now, const struct finding_sink *s, char *e, size_t el)
{
    (void)now;
    (void)s;
    (void)e;
    (void)el;
    struct noop *n = inst;
    int64_t t = time_mono_ms();
    if (n->last_start) {
        long i = atomic_fetch_add(&nlate, 1);
        if (i < LAT_MAX)
            lateness[i] = t - n->last_start - n->interval_ms;
    }
    n->last_start = t;
    return 0;
}
static void noop_destroy(void *inst) { free(inst); }
static const struct source_ops noop_ops = {"noop", "bench", noop_init, noop_run, noop_destroy,
                                           100};
static const struct source_ops *find_noop(const char *k)
{
    return strcmp(k, "noop") == 0 ? &noop_ops : NULL;
}
static void drop(void *ctx, json_t *f)
{
    (void)ctx;
    json_decref(f);
}
static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void bench_dispatch(int n)
{
    const int interval = 50, seconds = 3;
    lateness = calloc(LAT_MAX, sizeof *lateness);
    struct finding_sink sink = {drop, NULL};
    struct scheduler_opts o = {.workers = 2, .find = find_noop};
    struct scheduler *s;
    char err[200];
    if (scheduler_create(&o, &sink, &s, err, sizeof err))
        exit(1);
    json_t *specs = json_array();
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "i%d", i);
        json_array_append_new(specs, json_pack("{s:s,s:s,s:i,s:{s:i}}", "id", id, "kind", "noop",
                                               "interval_ms", interval, "config", "interval_ms",
                                               interval));
    }
    if (scheduler_reconfigure(s, specs, err, sizeof err)) {
        fprintf(stderr, "dispatch: %s\n", err);
        exit(1);
    }
    json_decref(specs);
    clock_t c0 = clock();
    sleep(seconds);
    clock_t c1 = clock();
    scheduler_destroy(s);
    long m = atomic_load(&nlate);
    if (m > LAT_MAX)
        m = LAT_MAX;
    qsort(lateness, (size_t)m, sizeof *lateness, cmp64);
    printf("dispatch: %d instances every %d ms on 2 workers: %.0f cycles/s (ideal %.0f), "
           "start lateness p50 %lld ms p99 %lld ms, CPU %.1f%% of one core\n",
           n, interval, (double)m / seconds, (double)n * 1000.0 / interval,
           m ? (long long)lateness[m / 2] : 0LL, m ? (long long)lateness[m * 99 / 100] : 0LL,
           100.0 * (double)(c1 - c0) / CLOCKS_PER_SEC / seconds);
    free(lateness);
}

/* ---- delivery ---- */
static atomic_long received;
struct conn {
    char *buf;
    size_t len;
};
static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *v, const char *up, size_t *upsz,
                              void **cc)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)v;
    struct conn *k = *cc;
    if (!k) {
        *cc = calloc(1, sizeof *k);
        return MHD_YES;
    }
    if (*upsz) {
        k->buf = realloc(k->buf, k->len + *upsz);
        memcpy(k->buf + k->len, up, *upsz);
        k->len += *upsz;
        *upsz = 0;
        return MHD_YES;
    }
    json_error_t e;
    json_t *arr = json_loadb(k->buf, k->len, 0, &e);
    atomic_fetch_add(&received, (long)json_array_size(arr));
    json_decref(arr);
    static const char ok[] = "{\"items\":[]}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof ok - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result res = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return res;
}
static void done(void *cls, struct MHD_Connection *c, void **cc, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    struct conn *k = *cc;
    if (k)
        free(k->buf);
    free(k);
    *cc = NULL;
}

static void bench_delivery(long n)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer,
                                            NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                            MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
                                            MHD_OPTION_END);
    unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    struct delivery_opts o = {.server = url, .token = "bench", .capacity = (size_t)n};
    struct delivery *dl;
    char err[200];
    if (delivery_create(&o, &dl, err, sizeof err))
        exit(1);
    uint64_t t0 = time_mono_ns();
    for (long i = 0; i < n; i++) {
        json_t *f = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:{s:s,s:b,s:f}}]}", "id", "src:0123456789abcdef",
            "source", "db", "class", "runtime_services.runtime_dependency_outage",
            "correlation_key", "tcp:db.internal:5432", "severity", "high", "status", "firing",
            "summary", "tcp probe db (db.internal:5432) failing: connect: Connection refused",
            "evidence", "type", "probe_result", "summary", "connect refused", "data", "detail",
            "connect: Connection refused", "ok", 0, "latency_ms", 0.4);
        delivery_emit(dl, f);
    }
    delivery_flush(dl, 120000);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    struct delivery_stats st;
    delivery_get_stats(dl, &st);
    printf("delivery: %lu findings (about 400 bytes each) in %lu requests of <= 500: %.0f "
           "findings/s, server received %ld\n",
           st.delivered, st.attempts, (double)st.delivered / secs, atomic_load(&received));
    delivery_destroy(dl);
    MHD_stop_daemon(d);
}

int main(int argc, char **argv)
{
    log_set_level(LOG_ERROR);
    int n = argc > 1 ? atoi(argv[1]) : 500;
    long f = argc > 2 ? atol(argv[2]) : 100000;
    bench_dispatch(n);
    bench_delivery(f);
    return 0;
}
