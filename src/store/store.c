/* The backend-neutral half of the store: the bounded write queue, the single
 * writer thread doing group commit, the read-connection pool, readiness and
 * stats. Backends are reached only through struct store_backend_ops.
 *
 * Why one writer: SQLite allows one writer at a time anyway, and an fsync per
 * write caps throughput at a few thousand writes/s. The writer drains everything
 * queued (up to max_batch) into one transaction, so N concurrent callers pay for
 * one fsync. While it commits, new writes pile up and form the next batch: the
 * batch size adapts to the load by itself, with no timer.
 *
 * Each caller sleeps on its own semaphore (on its stack) and the writer posts
 * exactly the callers of the batch it committed: no thundering herd of every
 * waiter on each commit, and no lock to re-take on wake-up. A write struct
 * belongs to its caller again as soon as its semaphore is posted, so the writer
 * never touches it after that (the caller may return and free its stack).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "util/timeutil.h"
const char *store_status_name(enum store_status st)
{
    switch (st) {
    case STORE_OK: return "ok";
    case STORE_BUSY: return "busy";
    case STORE_NOT_FOUND: return "not_found";
    case STORE_CONFLICT: return "conflict";
    case STORE_INVALID: return "invalid";
    case STORE_ERROR: return "error";
    }
    return "unknown";
}

void store_config_defaults(struct store_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->queue_capacity = 4096;
    cfg->max_batch = 1024;
    cfg->read_pool_size = 4;
    cfg->busy_timeout_ms = 5000;
    cfg->read_wait_ms = 100;
    cfg->ready_timeout_ms = 2000;
}


/* ---------------------------------------------------------------- writer */

static void mark_failed(struct store_write *w, enum store_status st, const char *why)
{
    if (w->status == STORE_OK)
        w->status = st == STORE_OK ? STORE_ERROR : st;
    if (w->err[0])
        return; /* the apply fn said why */
    if (!why || !why[0])
        why = store_status_name(w->status);
    size_t n = strnlen(why, sizeof w->err - 1); /* truncate long backend messages */
    memcpy(w->err, why, n);
    w->err[n] = '\0';
}

/* Runs consecutive writes sharing one apply fn under a savepoint. If the group
 * fails, it is rolled back and each write is retried alone under its own
 * savepoint, so one bad write fails alone and its neighbours still commit.
 * Returns 0, or -1 when the backend lost the whole transaction (I/O error, disk
 * full...): then nothing of the batch can commit, and running on would execute
 * the remaining writes outside any transaction. */
static int run_group(struct store *s, struct store_write **g, size_t n)
{
    struct store_conn *c = s->wconn;
    const struct store_backend_ops *ops = s->ops;
    if (!ops->in_transaction(c) || ops->savepoint(c) != STORE_OK)
        return -1;
    enum store_status st = g[0]->apply(c, g, n);
    if (st == STORE_OK)
        return ops->release(c) == STORE_OK ? 0 : -1;
    if (ops->rollback_to(c) != STORE_OK)
        return -1;
    if (n == 1) {
        mark_failed(g[0], st, c->err);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        struct store_write *w = g[i];
        w->status = STORE_OK;
        w->err[0] = '\0';
        c->err[0] = '\0';
        if (!ops->in_transaction(c) || ops->savepoint(c) != STORE_OK)
            return -1;
        st = w->apply(c, &w, 1);
        if (st == STORE_OK) {
            if (ops->release(c) != STORE_OK)
                return -1;
        } else {
            if (ops->rollback_to(c) != STORE_OK)
                return -1;
            mark_failed(w, st, c->err);
        }
    }
    return 0;
}

/* Every write of the batch fails with `why` (those that already failed keep
 * their own reason): nothing of it is durable. */
static void fail_batch(struct store *s, struct store_write **b, size_t n, enum store_status st,
                       const char *what)
{
    struct store_conn *c = s->wconn;
    char why[sizeof c->err + 32];
    snprintf(why, sizeof why, "%s: %s", what, c->err[0] ? c->err : "unknown error");
    s->ops->rollback(c);
    for (size_t i = 0; i < n; i++) {
        if (b[i]->status == STORE_OK)
            b[i]->err[0] = '\0';
        mark_failed(b[i], st, why);
    }
}

static void run_batch(struct store *s, struct store_write **b, size_t n)
{
    struct store_conn *c = s->wconn;
    for (size_t i = 0; i < n; i++) {
        b[i]->status = STORE_OK;
        b[i]->err[0] = '\0';
    }
    c->err[0] = '\0';
    enum store_status st = s->ops->begin(c);
    if (st != STORE_OK) {
        fail_batch(s, b, n, st, "begin failed");
        return;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && b[j]->apply == b[i]->apply)
            j++;
        if (run_group(s, b + i, j - i) != 0) {
            fail_batch(s, b, n, STORE_ERROR, "transaction aborted");
            return;
        }
        i = j;
    }
    st = s->ops->commit(c);
    if (st != STORE_OK)
        fail_batch(s, b, n, st, "commit failed");
}

void *store_writer_main(void *arg)
{
    struct store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->work_cv, &s->mu);
        if (!s->head)
            break; /* stopping, and everything queued is done */
        size_t n = 0;
        while (s->head && n < s->cfg.max_batch) {
            s->batch[n++] = s->head;
            s->head = s->head->next_;
        }
        if (!s->head)
            s->tail = NULL;
        s->depth -= (unsigned)n;
        s->in_batch = 1;
        s->batch_started_ms = time_mono_ms();
        pthread_mutex_unlock(&s->mu);

        uint64_t t0 = time_mono_ns();
        run_batch(s, s->batch, n);
        uint64_t us = (time_mono_ns() - t0) / 1000;

        /* Observer first, so whoever wakes up next already sees this commit
         * in the metrics. */
        pthread_mutex_lock(&s->mu);
        void (*observer)(void *, size_t, uint64_t) = s->observer;
        void *observer_ctx = s->observer_ctx;
        pthread_mutex_unlock(&s->mu);
        if (observer)
            observer(observer_ctx, n, us);

        pthread_mutex_lock(&s->mu);
        s->in_batch = 0;
        s->st.commits++;
        s->st.last_batch_size = n;
        s->st.commit_latency_us_sum += us;
        for (size_t i = 0; i < n; i++) {
            struct store_write *w = s->batch[i];
            s->wakes[i] = w->wake_; /* read now: the probe may be reused once mu drops */
            s->dones[i] = w == &s->probe ? NULL : w->done;
            if (w->status == STORE_OK) {
                s->st.writes_committed++;
                s->last_commit_ok_ms = time_mono_ms();
            } else
                s->st.writes_failed++;
            if (w == &s->probe) {
                s->probe_ok = w->status == STORE_OK;
                s->probe_inflight = 0;
                s->probe_gen++;
                w->done_ = 1;
                pthread_cond_broadcast(&s->done_cv);
            }
        }
        pthread_mutex_unlock(&s->mu);
        for (size_t i = 0; i < n; i++) {
            if (s->dones[i])
                s->dones[i](s->batch[i]); /* from here on, the write belongs to its caller */
            else if (s->wakes[i])
                sem_post(s->wakes[i]); /* likewise */
        }
        pthread_mutex_lock(&s->mu);
    }
    s->writer_alive = 0;
    pthread_cond_broadcast(&s->done_cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Under mu. Returns STORE_BUSY (and counts it) when w cannot be queued. */
static enum store_status enqueue_locked(struct store *s, struct store_write *w)
{
    if (s->stopping || !s->writer_alive || s->depth >= s->cfg.queue_capacity) {
        s->st.busy_rejections++;
        return STORE_BUSY;
    }
    w->next_ = NULL;
    w->done_ = 0;
    if (s->tail)
        s->tail->next_ = w;
    else
        s->head = w;
    s->tail = w;
    s->depth++;
    pthread_cond_signal(&s->work_cv);
    return STORE_OK;
}

enum store_status store_write_submit(struct store *s, struct store_write *w)
{
    if (!s || !w || !w->apply || !w->done)
        return STORE_INVALID;
    w->status = STORE_OK;
    w->err[0] = '\0';
    w->wake_ = NULL;
    pthread_mutex_lock(&s->mu);
    enum store_status st = enqueue_locked(s, w);
    int stopping = s->stopping || !s->writer_alive;
    pthread_mutex_unlock(&s->mu);
    if (st != STORE_OK) {
        w->status = st;
        snprintf(w->err, sizeof w->err, "%s",
                 stopping ? "store is shutting down" : "write queue is full");
    }
    return st;
}

enum store_status store_write_wait(struct store *s, struct store_write *w)
{
    if (!s || !w || !w->apply)
        return STORE_INVALID;
    w->done = NULL;
    if (s->writer_started && pthread_equal(pthread_self(), s->writer)) {
        /* From inside an apply fn: it would wait for itself forever. */
        snprintf(w->err, sizeof w->err, "store_write_wait called from the writer thread");
        w->status = STORE_INVALID;
        return STORE_INVALID;
    }
    w->status = STORE_OK;
    w->err[0] = '\0';
    sem_t wake;
    if (sem_init(&wake, 0, 0) != 0)
        return STORE_ERROR;
    /* The writer posts it before this function returns; cleared below. */
    // cppcheck-suppress autoVariables
    w->wake_ = &wake;
    pthread_mutex_lock(&s->mu);
    enum store_status st = enqueue_locked(s, w);
    if (st != STORE_OK) {
        int stopping = s->stopping || !s->writer_alive;
        pthread_mutex_unlock(&s->mu);
        sem_destroy(&wake);
        w->wake_ = NULL;
        w->status = st;
        snprintf(w->err, sizeof w->err, "%s",
                 stopping ? "store is shutting down" : "write queue is full");
        return st;
    }
    pthread_mutex_unlock(&s->mu);
    while (sem_wait(&wake) != 0)
        ; /* EINTR: keep waiting, the write is in flight */
    sem_destroy(&wake);
    w->wake_ = NULL;
    return w->status;
}

static enum store_status probe_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    (void)w;
    (void)n;
    return c->ops->heartbeat(c, time_now_ms());
}

int store_ready(struct store *s)
{
    if (!s)
        return 0;
    struct timespec deadline;
    time_deadline_in(&deadline, s->cfg.ready_timeout_ms);
    pthread_mutex_lock(&s->mu);
    /* A write that committed within the last second already proves the store
     * writable, unless the writer has been stuck in a batch since. This keeps
     * a flood of /readyz (a public endpoint) from costing one fsync each. */
    int64_t now = time_mono_ms();
    if (s->writer_alive && !s->stopping && s->last_commit_ok_ms &&
        now - s->last_commit_ok_ms < READY_FRESH_MS &&
        (!s->in_batch || now - s->batch_started_ms < (int64_t)s->cfg.ready_timeout_ms)) {
        pthread_mutex_unlock(&s->mu);
        return 1;
    }
    if (!s->probe_inflight) {
        s->probe.apply = probe_apply;
        s->probe.wake_ = NULL; /* store_ready waits on done_cv instead */
        s->probe.status = STORE_OK;
        s->probe.err[0] = '\0';
        if (enqueue_locked(s, &s->probe) != STORE_OK) {
            pthread_mutex_unlock(&s->mu);
            return 0;
        }
        s->probe_inflight = 1;
    }
    uint64_t want = s->probe_gen + 1;
    while (s->probe_gen < want && s->writer_alive) {
        if (pthread_cond_timedwait(&s->done_cv, &s->mu, &deadline) == ETIMEDOUT)
            break;
    }
    int ok = s->probe_gen >= want && s->probe_ok;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

void store_stats(struct store *s, struct store_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->st;
    out->queue_depth = s->depth;
    out->queue_capacity = s->cfg.queue_capacity;
    out->stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
}

void store_set_commit_observer(struct store *s,
                               void (*fn)(void *ctx, size_t batch, uint64_t latency_us),
                               void *ctx)
{
    pthread_mutex_lock(&s->mu);
    s->observer = fn;
    s->observer_ctx = ctx;
    pthread_mutex_unlock(&s->mu);
}
