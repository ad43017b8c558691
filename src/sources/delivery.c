#include "sources/delivery.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/client.h"
#include "util/log.h"
#include "util/timeutil.h"

struct delivery {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* sender waits for work / backoff; flushers wait for empty */
    pthread_t thr;
    int started, stopping;
    json_t **ring;           /* FIFO of findings */
    size_t cap, head, count;
    unsigned long head_seq;  /* sequence number of ring[head]; grows by one per item */
    struct delivery_stats st;
    char url[600];
    char token[512];
    unsigned batch_max, retry_base_ms, retry_max_ms;
    int timeout_ms;
    struct net_client *net;  /* keeps the connection to the server between batches */
    struct net_client *own_net; /* made here when the caller gave none */
};

static void pop_front_locked(struct delivery *d)
{
    json_decref(d->ring[d->head]);
    d->ring[d->head] = NULL;
    d->head = (d->head + 1) % d->cap;
    d->count--;
    d->head_seq++;
}

void delivery_emit(void *ctx, json_t *finding)
{
    struct delivery *d = ctx;
    if (!finding)
        return;
    pthread_mutex_lock(&d->mu);
    if (d->count == d->cap) {
        pop_front_locked(d);
        d->st.dropped++;
    }
    d->ring[(d->head + d->count) % d->cap] = finding;
    d->count++;
    d->st.queued++;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* Retry or drop, by status: 0 = delivered, 1 = retry, 2 = rejected. */
static int classify(long status)
{
    if (status >= 200 && status < 300)
        return 0;
    if (status == 0 || status >= 500 || status == 408 || status == 429 || status == 401 ||
        status == 403)
        return 1;
    return 2;
}

static void *sender_main(void *arg)
{
    struct delivery *d = arg;
    unsigned failures = 0;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        if (d->count == 0) {
            pthread_cond_wait(&d->cv, &d->mu);
            continue;
        }
        /* Serialize the head batch under the lock (references stay in the ring). */
        size_t n = d->count < d->batch_max ? d->count : d->batch_max;
        unsigned long first = d->head_seq;
        json_t *batch = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append(batch, d->ring[(d->head + i) % d->cap]);
        pthread_mutex_unlock(&d->mu);

        char *body = json_dumps(batch, JSON_COMPACT);
        json_decref(batch);
        struct net_request c = {.method = "POST",
                              .url = d->url,
                              .body = body,
                              .body_len = body ? strlen(body) : 0,
                              .bearer = d->token[0] ? d->token : NULL,
                              .timeout_ms = d->timeout_ms,
                              .max_body = 256 * 1024};
        struct net_response a;
        char err[200] = "";
        int rc = body ? net_request(d->net, &c, &a, err, sizeof err) : -1;
        if (!body)
            snprintf(err, sizeof err, "out of memory");
        long status = rc == 0 ? a.status : 0;
        if (rc == 0) {
            if (status < 200 || status >= 300)
                snprintf(err, sizeof err, "server answered %ld: %.150s", status,
                         a.body ? a.body : "");
            net_response_free(&a);
        }
        free(body);
        int verdict = classify(status);

        pthread_mutex_lock(&d->mu);
        d->st.attempts++;
        d->st.last_status = status;
        /* Items of this batch that are still queued (emit may have dropped some). */
        unsigned long end = first + n;
        size_t done = 0;
        while (d->count > 0 && d->head_seq < end && verdict != 1) {
            pop_front_locked(d);
            done++;
        }
        if (verdict == 0) {
            d->st.delivered += done;
            d->st.last_error[0] = '\0';
            failures = 0;
            pthread_cond_broadcast(&d->cv);
            continue;
        }
        d->st.failures++;
        snprintf(d->st.last_error, sizeof d->st.last_error, "%s", err);
        if (verdict == 2) {
            d->st.rejected += done;
            log_error("detect", "server rejected %zu finding(s): %s", done, err);
            failures = 0;
            pthread_cond_broadcast(&d->cv);
            continue;
        }
        failures++;
        int64_t wait = d->retry_base_ms;
        for (unsigned i = 1; i < failures && wait < d->retry_max_ms; i++)
            wait *= 2;
        if (wait > d->retry_max_ms)
            wait = d->retry_max_ms;
        if (status == 401 || status == 403)
            log_error("detect", "delivery refused (%ld): check IF_SRE_TOKEN has the ingest role",
                      status);
        else
            log_warn("detect", "delivery failed (%u in a row, %zu queued, retry in %lld ms): %s",
                     failures, d->count, (long long)wait, err);
        struct timespec ts;
        time_deadline_in(&ts, wait);
        while (!d->stopping && pthread_cond_timedwait(&d->cv, &d->mu, &ts) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int delivery_create(const struct delivery_opts *o, struct delivery **out, char *err,
                    size_t errlen)
{
    if (!o->server || (strncmp(o->server, "http://", 7) && strncmp(o->server, "https://", 8))) {
        snprintf(err, errlen, "server: expected an http:// or https:// URL");
        return -1;
    }
    struct delivery *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->cap = o->capacity ? o->capacity : 10000;
    d->batch_max = o->batch_max ? o->batch_max : 500;
    if (d->batch_max > 1000)
        d->batch_max = 1000;
    d->retry_base_ms = o->retry_base_ms ? o->retry_base_ms : 500;
    d->retry_max_ms = o->retry_max_ms ? o->retry_max_ms : 30000;
    d->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
    size_t n = strlen(o->server);
    while (n > 0 && o->server[n - 1] == '/')
        n--;
    snprintf(d->url, sizeof d->url, "%.*s/api/v1/findings", (int)(n < 500 ? n : 500), o->server);
    snprintf(d->token, sizeof d->token, "%s", o->token ? o->token : "");
    d->ring = calloc(d->cap, sizeof *d->ring);
    d->net = o->net;
    if (!d->ring || (!d->net && net_client_create(NULL, &d->own_net, err, errlen) != 0)) {
        if (!d->ring)
            snprintf(err, errlen, "out of memory");
        free(d->ring);
        free(d);
        return -1;
    }
    if (!d->net)
        d->net = d->own_net;
    pthread_mutex_init(&d->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = pthread_create(&d->thr, NULL, sender_main, d);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start sender: %s", strerror(rc));
        delivery_destroy(d);
        return -1;
    }
    d->started = 1;
    *out = d;
    return 0;
}

void delivery_get_stats(struct delivery *d, struct delivery_stats *out)
{
    pthread_mutex_lock(&d->mu);
    *out = d->st;
    out->depth = d->count;
    pthread_mutex_unlock(&d->mu);
}

int delivery_flush(struct delivery *d, int timeout_ms)
{
    struct timespec ts;
    time_deadline_in(&ts, timeout_ms);
    pthread_mutex_lock(&d->mu);
    int rc = 0;
    while (d->count > 0) {
        if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) == ETIMEDOUT) {
            rc = d->count > 0 ? -1 : 0;
            break;
        }
    }
    pthread_mutex_unlock(&d->mu);
    return rc;
}

void delivery_destroy(struct delivery *d)
{
    if (!d)
        return;
    if (d->started) {
        pthread_mutex_lock(&d->mu);
        d->stopping = 1;
        pthread_cond_broadcast(&d->cv);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->thr, NULL);
    }
    while (d->count > 0)
        pop_front_locked(d);
    memset(d->token, 0, sizeof d->token);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    net_client_destroy(d->own_net);
    free(d->ring);
    free(d);
}
