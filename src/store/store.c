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
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/backend.h"
#include "util/log.h"
#include "util/timeutil.h"

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

    /* readiness probe: one shared heartbeat write */
    struct store_write probe;
    int probe_inflight, probe_ok;
    uint64_t probe_gen;
    int in_batch;
    int64_t batch_started_ms, last_commit_ok_ms; /* monotonic */

    struct store_stats st;
    void (*observer)(size_t batch, uint64_t latency_us);

    /* read pool */
    pthread_mutex_t rmu;
    pthread_cond_t rcv; /* monotonic clock */
    struct store_conn **readers;
    unsigned nreaders;
    struct store_conn **idle;
    unsigned nidle;
    int sync_init;
};

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
    cfg->ready_timeout_ms = 2000;
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a) != 0)
        return -1;
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
    return rc == 0 ? 0 : -1;
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

static void *writer_main(void *arg)
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
        void (*observer)(size_t, uint64_t) = s->observer;
        pthread_mutex_unlock(&s->mu);
        if (observer)
            observer(n, us);

        pthread_mutex_lock(&s->mu);
        s->in_batch = 0;
        s->st.commits++;
        s->st.last_batch_size = n;
        s->st.commit_latency_us_sum += us;
        for (size_t i = 0; i < n; i++) {
            struct store_write *w = s->batch[i];
            s->wakes[i] = w->wake_; /* read now: the probe may be reused once mu drops */
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
        for (size_t i = 0; i < n; i++)
            if (s->wakes[i])
                sem_post(s->wakes[i]); /* from here on, the write belongs to its caller */
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

enum store_status store_write_wait(struct store *s, struct store_write *w)
{
    if (!s || !w || !w->apply)
        return STORE_INVALID;
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
    deadline_after(&deadline, s->cfg.ready_timeout_ms);
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
    pthread_mutex_unlock(&s->mu);
}

void store_set_commit_observer(struct store *s, void (*fn)(size_t batch, uint64_t latency_us))
{
    pthread_mutex_lock(&s->mu);
    s->observer = fn;
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------- read pool */

enum store_status store_read_acquire(struct store *s, struct store_conn **out)
{
    struct timespec deadline;
    deadline_after(&deadline, s->cfg.busy_timeout_ms);
    pthread_mutex_lock(&s->rmu);
    while (s->nidle == 0) {
        if (pthread_cond_timedwait(&s->rcv, &s->rmu, &deadline) == ETIMEDOUT &&
            s->nidle == 0) {
            pthread_mutex_unlock(&s->rmu);
            return STORE_BUSY;
        }
    }
    struct store_conn *c = s->idle[--s->nidle];
    pthread_mutex_unlock(&s->rmu);
    c->err[0] = '\0';
    *out = c;
    return STORE_OK;
}

void store_read_release(struct store *s, struct store_conn *c)
{
    if (!c)
        return;
    s->ops->reader_reset(c);
    pthread_mutex_lock(&s->rmu);
    s->idle[s->nidle++] = c;
    pthread_cond_signal(&s->rcv);
    pthread_mutex_unlock(&s->rmu);
}

/* ---------------------------------------------------------- open / close */

static void store_free(struct store *s)
{
    for (unsigned i = 0; i < s->nreaders; i++)
        s->ops->close(s->readers[i]);
    if (s->wconn)
        s->ops->close(s->wconn);
    if (s->sync_init) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->work_cv);
        pthread_cond_destroy(&s->done_cv);
        pthread_mutex_destroy(&s->rmu);
        pthread_cond_destroy(&s->rcv);
    }
    free(s->readers);
    free(s->idle);
    free(s->batch);
    free(s->wakes);
    free(s->url);
    free(s);
}

static void fill_defaults(struct store_config *cfg, const struct store_config *in)
{
    struct store_config d;
    store_config_defaults(&d);
    *cfg = *in;
    if (!cfg->queue_capacity)
        cfg->queue_capacity = d.queue_capacity;
    if (!cfg->max_batch)
        cfg->max_batch = d.max_batch;
    if (!cfg->read_pool_size)
        cfg->read_pool_size = d.read_pool_size;
    if (!cfg->busy_timeout_ms)
        cfg->busy_timeout_ms = d.busy_timeout_ms;
    if (!cfg->ready_timeout_ms)
        cfg->ready_timeout_ms = d.ready_timeout_ms;
}

static const struct store_backend_ops *backend_or_err(const char *url, char *err, size_t errlen)
{
    const struct store_backend_ops *ops = store_backend_for_url(url);
    if (!ops)
        snprintf(err, errlen, "unsupported store URL (expected sqlite:PATH)");
    return ops;
}

enum store_status store_open(const struct store_config *cfg, struct store **out, char *err,
                             size_t errlen)
{
    enum store_status st = STORE_ERROR;
    const struct store_backend_ops *ops = backend_or_err(cfg ? cfg->url : NULL, err, errlen);
    if (!ops)
        return STORE_INVALID;
    struct store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return STORE_ERROR;
    }
    s->ops = ops;
    fill_defaults(&s->cfg, cfg);
    s->url = strdup(cfg->url);
    s->batch = calloc(s->cfg.max_batch, sizeof *s->batch);
    s->wakes = calloc(s->cfg.max_batch, sizeof *s->wakes);
    s->readers = calloc(s->cfg.read_pool_size, sizeof *s->readers);
    s->idle = calloc(s->cfg.read_pool_size, sizeof *s->idle);
    if (!s->url || !s->batch || !s->wakes || !s->readers || !s->idle) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    s->cfg.url = s->url;
    if (pthread_mutex_init(&s->mu, NULL) != 0 || pthread_cond_init(&s->work_cv, NULL) != 0 ||
        cond_init_monotonic(&s->done_cv) != 0 || pthread_mutex_init(&s->rmu, NULL) != 0 ||
        cond_init_monotonic(&s->rcv) != 0) {
        snprintf(err, errlen, "cannot initialise locks");
        goto out;
    }
    s->sync_init = 1;

    st = ops->open(s->url, 0, &s->cfg, &s->wconn, err, errlen);
    if (st != STORE_OK)
        goto out;
    int applied = 0, version = 0;
    st = ops->migrate(s->wconn, &applied, &version);
    if (st != STORE_OK) {
        snprintf(err, errlen, "migration failed: %s", s->wconn->err);
        goto out;
    }
    for (unsigned i = 0; i < s->cfg.read_pool_size; i++) {
        st = ops->open(s->url, 1, &s->cfg, &s->readers[i], err, errlen);
        if (st != STORE_OK)
            goto out;
        s->nreaders++;
        s->idle[s->nidle++] = s->readers[i];
    }
    s->writer_alive = 1;
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
        s->writer_alive = 0;
        snprintf(err, errlen, "cannot start the writer thread");
        st = STORE_ERROR;
        goto out;
    }
    s->writer_started = 1;
    log_info("store", "%s store open: schema version %d, %d migration(s) applied", ops->name,
             version, applied);
    *out = s;
    return STORE_OK;
out:
    store_free(s);
    return st == STORE_OK ? STORE_ERROR : st;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
    if (s->writer_started)
        pthread_join(s->writer, NULL);
    store_free(s);
}

enum store_status store_migrate(const char *url, int *applied, int *version, char *err,
                                size_t errlen)
{
    const struct store_backend_ops *ops = backend_or_err(url, err, errlen);
    if (!ops)
        return STORE_INVALID;
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.url = url;
    struct store_conn *c = NULL;
    enum store_status st = ops->open(url, 0, &cfg, &c, err, errlen);
    if (st != STORE_OK)
        return st;
    int a = 0, v = 0;
    st = ops->migrate(c, &a, &v);
    if (st != STORE_OK)
        snprintf(err, errlen, "migration failed: %s", c->err);
    ops->close(c);
    if (st == STORE_OK) {
        if (applied)
            *applied = a;
        if (version)
            *version = v;
    }
    return st;
}
