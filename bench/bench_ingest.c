/* Ingest load generator: N client threads (keep-alive libcurl handles) POST
 * batches of findings to srebot's /api/v1/findings, or the same alerts to
 * Prometheus Alertmanager's /api/v2/alerts, for a fixed time; half the items of
 * each batch repeat keys from a hot set, half are new. Also a read mode that
 * measures GET latency, and a fill mode that loads a given number of findings
 * over a given number of keys. Prints one JSON line of results.
 *
 *   bench_ingest srebot URL TOKEN CLIENTS SECONDS [BATCH=100]
 *   bench_ingest alertmanager URL - CLIENTS SECONDS [BATCH=100]
 *   bench_ingest fill URL TOKEN CLIENTS TOTAL_FINDINGS KEYS
 *   bench_ingest get URL TOKEN CLIENTS REQUESTS PATH
 *   bench_ingest getfor URL TOKEN CLIENTS SECONDS PATH   (GETs for a fixed time)
 *   bench_ingest paced URL TOKEN CLIENTS SECONDS RATE [BATCH=100]
 *       srebot at a fixed offered rate (findings/s over all clients): each client
 *       sends a batch every CLIENTS*BATCH/RATE s; latency is counted from the
 *       time a batch was due, so a slow answer that delays the next send counts
 *       against the server (no coordinated omission)
 *
 * Run by bench/run.sh (see bench/README.md). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum mode { M_SREBOT, M_AM, M_FILL, M_GET, M_GETFOR, M_PACED };

struct cfg {
    enum mode mode;
    const char *url, *token, *path;
    int clients, batch;
    double seconds;
    long total, keys;
    unsigned run_id;
    double rate; /* M_PACED: findings/s offered over all clients */
};
static struct cfg C;
static atomic_long fill_next;

struct worker {
    int n;
    long ok_items, ok_requests, errors;
    double *lat_ms;
    size_t nlat, caplat;
    char *body;
    size_t cap;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return s * n;
}

static void lat_add(struct worker *w, double ms)
{
    if (w->nlat == w->caplat) {
        w->caplat = w->caplat ? w->caplat * 2 : 4096;
        w->lat_ms = realloc(w->lat_ms, w->caplat * sizeof *w->lat_ms);
    }
    w->lat_ms[w->nlat++] = ms;
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One batch: item i repeats a hot key when i is even, else a key never used. */
static size_t build(struct worker *w, long seq, uint64_t *r)
{
    size_t n = 0;
    char iso[32];
    time_t t = time(NULL);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    n += (size_t)snprintf(w->body + n, w->cap - n, "[");
    for (int i = 0; i < C.batch; i++) {
        char key[64];
        if (C.mode == M_FILL)
            snprintf(key, sizeof key, "k%ld", (seq * C.batch + i) % C.keys);
        else if (i % 2 == 0)
            snprintf(key, sizeof key, "hot%llu", (unsigned long long)(rng(r) % 1000));
        else
            snprintf(key, sizeof key, "new%u-%d-%ld-%d", C.run_id, w->n, seq, i);
        if (C.mode == M_AM)
            n += (size_t)snprintf(
                w->body + n, w->cap - n,
                "%s{\"labels\":{\"alertname\":\"BenchAlert\",\"severity\":\"warning\","
                "\"instance\":\"%s\"},\"annotations\":{\"summary\":\"bench alert %s\"},"
                "\"startsAt\":\"%s\",\"generatorURL\":\"http://bench/\"}",
                i ? "," : "", key, key, iso);
        else
            n += (size_t)snprintf(
                w->body + n, w->cap - n,
                "%s{\"id\":\"b%u-%d-%ld-%d\",\"source\":\"bench\",\"class\":"
                "\"application_services.http_5xx_burst\",\"correlation_key\":\"%s\","
                "\"severity\":\"warning\",\"status\":\"firing\",\"summary\":\"bench finding %s\"}",
                i ? "," : "", C.run_id, w->n, seq, i, key, key);
    }
    n += (size_t)snprintf(w->body + n, w->cap - n, "]");
    return n;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char auth[300];
    if (C.token && strcmp(C.token, "-") != 0) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", C.token);
        h = curl_slist_append(h, auth);
    }
    char url[512];
    if (C.mode == M_AM)
        snprintf(url, sizeof url, "%s/api/v2/alerts", C.url);
    else if (C.mode == M_GET || C.mode == M_GETFOR)
        snprintf(url, sizeof url, "%s%s", C.url, C.path);
    else
        snprintf(url, sizeof url, "%s/api/v1/findings", C.url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    w->cap = (size_t)C.batch * 400 + 64;
    w->body = malloc(w->cap);
    uint64_t r = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)w->n << 32) ^ C.run_id;
    double end = now_s() + C.seconds;
    for (long seq = 0;; seq++) {
        long fseq = seq;
        if (C.mode == M_FILL) {
            fseq = atomic_fetch_add(&fill_next, 1);
            if (fseq * C.batch >= C.total)
                break;
        } else if (C.mode == M_GET) {
            if (seq >= C.total)
                break;
        } else if (now_s() >= end) {
            break;
        }
        if (C.mode != M_GET && C.mode != M_GETFOR) {
            size_t len = build(w, fseq, &r);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, w->body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
        }
        double t0 = now_s();
        if (C.mode == M_PACED) {
            /* the batch is due at start + seq * interval; wait for it, and count
             * latency from then even when we are late */
            double interval = (double)C.clients * C.batch / C.rate;
            double due = end - C.seconds + (double)seq * interval + interval * w->n / C.clients;
            if (due >= end)
                break;
            if (due > t0)
                usleep((useconds_t)((due - t0) * 1e6));
            t0 = due;
        }
        long status = 0;
        CURLcode rc = curl_easy_perform(c);
        if (rc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        double ms = (now_s() - t0) * 1000.0;
        if (status == 200) {
            w->ok_requests++;
            w->ok_items += C.mode == M_GET || C.mode == M_GETFOR ? 1 : C.batch;
            lat_add(w, ms);
        } else {
            w->errors++;
        }
    }
    free(w->body);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: see the comment at the top of bench/bench_ingest.c\n");
        return 2;
    }
    C.mode = !strcmp(argv[1], "alertmanager") ? M_AM
             : !strcmp(argv[1], "fill")       ? M_FILL
             : !strcmp(argv[1], "get")        ? M_GET
             : !strcmp(argv[1], "getfor")     ? M_GETFOR
             : !strcmp(argv[1], "paced")      ? M_PACED
                                              : M_SREBOT;
    C.url = argv[2];
    C.token = argv[3];
    C.clients = atoi(argv[4]);
    C.batch = 100;
    C.run_id = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    if (C.mode == M_FILL) {
        C.total = atol(argv[5]);
        C.keys = argc > 6 ? atol(argv[6]) : 100000;
        C.seconds = 1e9;
    } else if (C.mode == M_GET) {
        C.total = atol(argv[5]);
        C.path = argc > 6 ? argv[6] : "/api/v1/incidents";
        C.batch = 1;
    } else if (C.mode == M_GETFOR) {
        C.seconds = atof(argv[5]);
        C.path = argc > 6 ? argv[6] : "/api/v1/incidents";
        C.batch = 1;
    } else if (C.mode == M_PACED) {
        C.seconds = atof(argv[5]);
        C.rate = argc > 6 ? atof(argv[6]) : 10000;
        if (argc > 7)
            C.batch = atoi(argv[7]);
        if (C.rate <= 0)
            return 2;
    } else {
        C.seconds = atof(argv[5]);
        if (argc > 6)
            C.batch = atoi(argv[6]);
    }
    if (C.clients < 1 || C.batch < 1 || C.batch > 1000)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct worker *w = calloc((size_t)C.clients, sizeof *w);
    pthread_t *th = calloc((size_t)C.clients, sizeof *th);
    if (C.mode == M_GET)
        C.total = (C.total + C.clients - 1) / C.clients; /* per client */
    double t0 = now_s();
    for (int i = 0; i < C.clients; i++) {
        w[i].n = i;
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    long items = 0, reqs = 0, errors = 0;
    size_t nlat = 0;
    for (int i = 0; i < C.clients; i++) {
        pthread_join(th[i], NULL);
        items += w[i].ok_items;
        reqs += w[i].ok_requests;
        errors += w[i].errors;
        nlat += w[i].nlat;
    }
    double secs = now_s() - t0;
    double *all = malloc((nlat ? nlat : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < C.clients; i++) {
        memcpy(all + k, w[i].lat_ms, w[i].nlat * sizeof *all);
        k += w[i].nlat;
        free(w[i].lat_ms);
    }
    qsort(all, nlat, sizeof *all, cmp_d);
    double p50 = nlat ? all[nlat / 2] : 0, p99 = nlat ? all[(size_t)((double)nlat * 0.99)] : 0;
    printf("{\"mode\":\"%s\",\"clients\":%d,\"batch\":%d,\"seconds\":%.2f,\"requests\":%ld,"
           "\"items\":%ld,\"errors\":%ld,\"items_per_s\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f}\n",
           argv[1], C.clients, C.batch, secs, reqs, items, errors, items / secs, p50, p99);
    free(all);
    free(w);
    free(th);
    curl_global_cleanup();
    return errors && !reqs ? 1 : 0;
}
