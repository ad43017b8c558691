/* The store's read-connection pool, and opening / closing the whole store
 * (connections, migrations, the writer thread). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/log.h"
#include "util/timeutil.h"

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

/* ------------------------------------------------------------- read pool */

enum store_status store_read_acquire(struct store *s, struct store_conn **out)
{
    struct timespec deadline;
    time_deadline_in(&deadline, s->cfg.read_wait_ms);
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
    free(s->dones);
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
    if (!cfg->read_wait_ms)
        cfg->read_wait_ms = d.read_wait_ms;
    if (!cfg->ready_timeout_ms)
        cfg->ready_timeout_ms = d.ready_timeout_ms;
}

static const struct store_backend_ops *backend_or_err(const char *url, char *err, size_t errlen)
{
    char why[300];
    const struct store_backend_ops *ops = store_backend_select(url, why, sizeof why);
    if (!ops)
        snprintf(err, errlen, "unsupported store URL: %s", why);
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
    s->dones = calloc(s->cfg.max_batch, sizeof *s->dones);
    s->readers = calloc(s->cfg.read_pool_size, sizeof *s->readers);
    s->idle = calloc(s->cfg.read_pool_size, sizeof *s->idle);
    if (!s->url || !s->batch || !s->wakes || !s->dones || !s->readers || !s->idle) {
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
    if (pthread_create(&s->writer, NULL, store_writer_main, s) != 0) {
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
