/* Private to src/store/: the store object shared by the writer (store.c)
 * and the read pool / open / close code (store_open.c). */
#ifndef SREBOT_STORE_STORE_INT_H
#define SREBOT_STORE_STORE_INT_H

#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "store/backend.h"

/* store_ready trusts a successful commit this recent without a probe write. */
#define READY_FRESH_MS 1000

struct store {
    struct store_config cfg;
    char *url;
    const struct store_backend_ops *ops;
    struct store_conn *wconn;

    /* queue + writer; everything below is guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* writer waits for work */
    pthread_cond_t done_cv; /* store_ready waits for its probe (monotonic clock) */
    struct store_write *head, *tail;
    unsigned depth;
    int stopping, writer_alive, writer_started;
    pthread_t writer;
    struct store_write **batch; /* max_batch slots, used by the writer only */
    sem_t **wakes;              /* the batch's callers to wake, same slots */
    store_done_fn *dones;       /* or their completions (store_write_submit) */

    /* readiness probe: one shared heartbeat write */
    struct store_write probe;
    int probe_inflight, probe_ok;
    uint64_t probe_gen;
    int in_batch;
    int64_t batch_started_ms, last_commit_ok_ms; /* monotonic */

    struct store_stats st;
    void (*observer)(void *ctx, size_t batch, uint64_t latency_us);
    void *observer_ctx;
    struct metric_series *commit_batch, *commit_seconds; /* store_metrics.c */

    /* read pool */
    pthread_mutex_t rmu;
    pthread_cond_t rcv; /* monotonic clock */
    struct store_conn **readers;
    unsigned nreaders;
    struct store_conn **idle;
    unsigned nidle;
    int sync_init;
};

/* ts = now + ms on the monotonic clock (the clock of every timed wait here). */
/* The writer thread's body (store.c). */
void *store_writer_main(void *arg);

#endif
