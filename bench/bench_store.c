/* bench_store: durable writes per second through the store's group-commit
 * writer, with 1, 8 and 64 writer threads (or those given on the command line).
 *
 *   build/bench/bench_store [--seconds N] [--dir DIR] [threads...]
 *
 * Each writer thread loops: one small row (a token insert) per store_write_wait,
 * which returns only once the row is committed with synchronous=FULL (WAL
 * fsynced). Every configuration gets a fresh SQLite file. Printed per run:
 * acknowledged writes/s, commits/s, mean batch size, mean commit time, and the
 * p50/p99 latency a caller waits for its acknowledgement.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

#define MAX_SAMPLES_PER_THREAD 200000

struct op {
    struct store_write w;
    struct token_rec rec;
};

static enum store_status apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        enum store_status st = store_token_insert(c, &((struct op *)w[i])->rec);
        if (st != STORE_OK)
            return st;
    }
    return STORE_OK;
}

struct worker {
    struct store *s;
    int id;
    int64_t until_ms;
    uint64_t done, failed;
    uint32_t *lat_us;
    size_t nlat;
    pthread_t th;
};

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    struct op op;
    for (uint64_t i = 0; time_mono_ms() < wk->until_ms; i++) {
        memset(&op, 0, sizeof op);
        op.w.apply = apply;
        snprintf(op.rec.name, sizeof op.rec.name, "b%d-%llu", wk->id, (unsigned long long)i);
        op.rec.role = ROLE_VIEWER;
        crypto_sha256(op.rec.name, strlen(op.rec.name), op.rec.hash);
        op.rec.created_at_ms = time_now_ms();
        uint64_t t0 = time_mono_ns();
        if (store_write_wait(wk->s, &op.w) == STORE_OK)
            wk->done++;
        else
            wk->failed++;
        if (wk->nlat < MAX_SAMPLES_PER_THREAD)
            wk->lat_us[wk->nlat++] = (uint32_t)((time_mono_ns() - t0) / 1000);
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void remove_db(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[700];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

static int run(const char *dir, int threads, int seconds)
{
    char path[600], url[700], err[256];
    snprintf(path, sizeof path, "%s/bench-%d.db", dir, threads);
    remove_db(path);
    snprintf(url, sizeof url, "sqlite:%s", path);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.url = url;
    struct store *s = NULL;
    if (store_open(&cfg, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    struct worker *wk = calloc((size_t)threads, sizeof *wk);
    int64_t t0 = time_mono_ms();
    for (int i = 0; i < threads; i++) {
        wk[i].s = s;
        wk[i].id = i;
        wk[i].until_ms = t0 + seconds * 1000;
        wk[i].lat_us = malloc(MAX_SAMPLES_PER_THREAD * sizeof(uint32_t));
        pthread_create(&wk[i].th, NULL, worker_main, &wk[i]);
    }
    uint64_t done = 0, failed = 0;
    size_t nlat = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(wk[i].th, NULL);
        done += wk[i].done;
        failed += wk[i].failed;
        nlat += wk[i].nlat;
    }
    double secs = (double)(time_mono_ms() - t0) / 1000.0;
    uint32_t *all = malloc((nlat ? nlat : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(all + k, wk[i].lat_us, wk[i].nlat * sizeof *all);
        k += wk[i].nlat;
        free(wk[i].lat_us);
    }
    qsort(all, nlat, sizeof *all, cmp_u32);
    struct store_stats st;
    store_stats(s, &st);
    printf("threads=%-3d writes/s=%-9.0f commits/s=%-7.0f mean_batch=%-7.1f "
           "mean_commit_ms=%-6.2f p50_ms=%-6.2f p99_ms=%-6.2f failed=%llu\n",
           threads, (double)done / secs, (double)st.commits / secs,
           st.commits ? (double)(st.writes_committed) / (double)st.commits : 0.0,
           st.commits ? (double)st.commit_latency_us_sum / (double)st.commits / 1000.0 : 0.0,
           nlat ? all[nlat / 2] / 1000.0 : 0.0, nlat ? all[nlat * 99 / 100] / 1000.0 : 0.0,
           (unsigned long long)failed);
    fflush(stdout);
    free(all);
    free(wk);
    store_close(s);
    remove_db(path);
    return 0;
}

int main(int argc, char **argv)
{
    int seconds = 3;
    const char *dir = NULL;
    int threads[16], nthreads = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (nthreads < 16 && atoi(argv[i]) > 0)
            threads[nthreads++] = atoi(argv[i]);
        else {
            fprintf(stderr, "usage: %s [--seconds N] [--dir DIR] [threads...]\n", argv[0]);
            return 2;
        }
    }
    if (!nthreads) {
        threads[0] = 1;
        threads[1] = 8;
        threads[2] = 64;
        nthreads = 3;
    }
    char tmp[] = "/tmp/bench-store-XXXXXX";
    if (!dir) {
        dir = mkdtemp(tmp);
        if (!dir) {
            perror("mkdtemp");
            return 1;
        }
    }
    log_set_level(LOG_WARN);
    printf("bench_store: durable (synchronous=FULL) single-row writes, %d s per run, dir %s\n",
           seconds, dir);
    for (int i = 0; i < nthreads; i++)
        if (run(dir, threads[i], seconds) != 0)
            return 1;
    if (dir == tmp)
        rmdir(tmp);
    return 0;
}
