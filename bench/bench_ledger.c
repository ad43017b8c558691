/* The ledger write path without HTTP: parse batches of findings, then ingest
 * them through the real store writer (SQLite, WAL, synchronous=FULL) from one
 * or more threads. Separates the costs: JSON parsing vs fold + durable commit.
 *
 *   bench_ledger [batches=300] [threads=4] [batch=100]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ledger/ledger.h"
#include "util/log.h"
#include "util/timeutil.h"

static int batches = 300, threads = 4, batch = 100;
static struct ledger *L;

static char *make_doc(int t, int b)
{
    size_t cap = (size_t)batch * 400 + 16, n = 0;
    char *s = malloc(cap);
    n += (size_t)snprintf(s + n, cap - n, "[");
    for (int i = 0; i < batch; i++) {
        char key[48];
        if (i % 2 == 0)
            snprintf(key, sizeof key, "hot%d", (b * 31 + i * 7 + t) % 1000);
        else
            snprintf(key, sizeof key, "new-%d-%d-%d", t, b, i);
        n += (size_t)snprintf(s + n, cap - n,
                              "%s{\"id\":\"b-%d-%d-%d\",\"source\":\"bench\",\"class\":"
                              "\"application_services.http_5xx_burst\",\"correlation_key\":\"%s\","
                              "\"severity\":\"warning\",\"status\":\"firing\",\"summary\":\"bench "
                              "finding %s\"}",
                              i ? "," : "", t, b, i, key, key);
    }
    snprintf(s + n, cap - n, "]");
    return s;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void *run(void *arg)
{
    int t = (int)(long)arg;
    struct problems *p = problems_create();
    struct ledger_result *res = calloc((size_t)batch, sizeof *res);
    for (int b = 0; b < batches / threads; b++) {
        char *doc = make_doc(t, b);
        struct finding_batch fb;
        problems_init(p);
        if (findings_parse(doc, strlen(doc), 1 << 24, time_now_ms(), &fb, p) == 0) {
            char err[160];
            if (ledger_ingest(L, &fb, "bench", res, err, sizeof err) != SVC_OK)
                fprintf(stderr, "ingest: %s\n", err);
            finding_batch_clear(&fb);
        }
        free(doc);
    }
    free(res);
    problems_destroy(p);
    return NULL;
}

/* Commit durations (from the writer thread), for the tail: a commit that also
 * checkpoints the WAL shows here. */
#define MAX_COMMITS 1000000
static uint64_t commit_us[MAX_COMMITS];
static size_t ncommits;

static void on_commit(void *ctx, size_t n, uint64_t us)
{
    (void)ctx;
    (void)n;
    if (ncommits < MAX_COMMITS)
        commit_us[ncommits++] = us;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        batches = atoi(argv[1]);
    if (argc > 2)
        threads = atoi(argv[2]);
    if (argc > 3)
        batch = atoi(argv[3]);
    log_set_level(LOG_WARN);
    char dir[] = "/tmp/bench-ledger-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char url[128], err[256];
    snprintf(url, sizeof url, "sqlite:%s/l.db", dir);
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = url;
    struct store *s;
    if (store_open(&sc, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = s;
    ledger_create(&lc, &L);
    store_set_commit_observer(s, on_commit, NULL);

    /* parsing alone */
    double c0 = cpu_s(), t0 = (double)time_mono_ns() / 1e9;
    for (int b = 0; b < batches; b++) {
        char *doc = make_doc(99, b);
        struct finding_batch fb;
        struct problems *p = problems_create();
        if (findings_parse(doc, strlen(doc), 1 << 24, 0, &fb, p) == 0)
            finding_batch_clear(&fb);
        problems_destroy(p);
        free(doc);
    }
    double parse_cpu = cpu_s() - c0;
    (void)t0;

    c0 = cpu_s();
    double w0 = (double)time_mono_ns() / 1e9;
    pthread_t th[64];
    for (int t = 0; t < threads; t++)
        pthread_create(&th[t], NULL, run, (void *)(long)t);
    for (int t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    double wall = (double)time_mono_ns() / 1e9 - w0, cpu = cpu_s() - c0;
    long n = (long)(batches / threads) * threads * batch;
    struct store_stats st;
    store_stats(s, &st);
    qsort(commit_us, ncommits, sizeof commit_us[0], cmp_u64);
    double c50 = ncommits ? commit_us[ncommits / 2] / 1e3 : 0;
    double c99 = ncommits ? commit_us[(size_t)((double)ncommits * 0.99)] / 1e3 : 0;
    double cmax = ncommits ? commit_us[ncommits - 1] / 1e3 : 0;
    printf("{\"findings\":%ld,\"wall_s\":%.2f,\"findings_per_s\":%.0f,\"cpu_us_per_finding\":%.1f,"
           "\"parse_cpu_us_per_finding\":%.1f,\"commits\":%llu,\"commit_p50_ms\":%.1f,"
           "\"commit_p99_ms\":%.1f,\"commit_max_ms\":%.1f}\n",
           n, wall, n / wall, cpu * 1e6 / n, parse_cpu * 1e6 / ((double)batches * batch),
           (unsigned long long)st.commits, c50, c99, cmax);
    ledger_destroy(L);
    store_close(s);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "%s/l.db", dir);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/l.db-wal", dir);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/l.db-shm", dir);
    unlink(cmd);
    rmdir(dir);
    return 0;
}
