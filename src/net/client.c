/* The client object (share + pool of multi handles) and the request loop:
 * attempts, backoff, cancellation. */
#include "net/client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/transfer_int.h"
#include "util/metrics.h"
#include "util/timeutil.h"

#define POOL_KEEP 16     /* idle multi handles kept (each holds its connections) */
#define POLL_SLICE_MS 100 /* how often a blocked call looks at cancel / stop */

struct multi_slot {
    CURLM *multi;
    struct multi_slot *next;
};

struct net_client {
    CURLSH *share;
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_mu;
    struct multi_slot *pool;
    unsigned pooled;
    long max_host;
    atomic_int stopped;
    char user_agent[128];
    struct metric_series *answered, *failed, *cancelled, *retries, *attempt_seconds;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;
static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)h;
    (void)access;
    struct net_client *c = ud;
    pthread_mutex_lock(&c->share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    struct net_client *c = ud;
    pthread_mutex_unlock(&c->share_mu[data]);
}

int net_client_create(const struct net_client_config *cfg, struct net_client **out, char *err,
                      size_t errlen)
{
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init: %s", curl_easy_strerror(global_rc));
        return -1;
    }
    struct net_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_mu[i], NULL);
    pthread_mutex_init(&c->pool_mu, NULL);
    c->max_host = cfg && cfg->max_host_connections ? (long)cfg->max_host_connections : 8;
    snprintf(c->user_agent, sizeof c->user_agent, "%s",
             cfg && cfg->user_agent ? cfg->user_agent : "srebot/" SREBOT_VERSION);
    struct metrics *reg = cfg ? cfg->metrics : NULL;
    struct metric *req = metrics_counter(reg, "srebot_net_requests_total",
                                         "Outbound HTTP requests, by outcome (after retries)",
                                         (const char *[]){"outcome", NULL});
    c->answered = metric_series_get(req, (const char *[]){"answer"});
    c->failed = metric_series_get(req, (const char *[]){"error"});
    c->cancelled = metric_series_get(req, (const char *[]){"cancelled"});
    c->retries = metric_series0(metrics_counter(reg, "srebot_net_retries_total",
                                                "Outbound HTTP attempts repeated after a "
                                                "retryable outcome", NULL));
    c->attempt_seconds = metric_series0(metrics_histogram(
        reg, "srebot_net_attempt_duration_seconds", "Outbound HTTP attempts, by duration", NULL,
        METRICS_LATENCY_BUCKETS, METRICS_LATENCY_NBUCKETS));
    c->share = curl_share_init();
    if (!c->share) {
        net_client_destroy(c);
        snprintf(err, errlen, "curl_share_init failed");
        return -1;
    }
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    *out = c;
    return 0;
}

void net_client_stop(struct net_client *c)
{
    if (c)
        atomic_store(&c->stopped, 1);
}

void net_client_destroy(struct net_client *c)
{
    if (!c)
        return;
    atomic_store(&c->stopped, 1);
    for (struct multi_slot *s = c->pool, *next; s; s = next) {
        next = s->next;
        curl_multi_cleanup(s->multi);
        free(s);
    }
    if (c->share)
        curl_share_cleanup(c->share);
    pthread_mutex_destroy(&c->pool_mu);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_mu[i]);
    free(c);
}

static struct multi_slot *pool_take(struct net_client *c)
{
    pthread_mutex_lock(&c->pool_mu);
    struct multi_slot *s = c->pool;
    if (s) {
        c->pool = s->next;
        c->pooled--;
    }
    pthread_mutex_unlock(&c->pool_mu);
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (s && !(s->multi = curl_multi_init())) {
        free(s);
        return NULL;
    }
    if (s)
        curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, c->max_host);
    return s;
}

static void pool_give(struct net_client *c, struct multi_slot *s)
{
    pthread_mutex_lock(&c->pool_mu);
    int keep = c->pooled < POOL_KEEP && !atomic_load(&c->stopped);
    if (keep) {
        s->next = c->pool;
        c->pool = s;
        c->pooled++;
    }
    pthread_mutex_unlock(&c->pool_mu);
    if (!keep) {
        curl_multi_cleanup(s->multi);
        free(s);
    }
}

static int cancelled(const struct net_client *c, const struct net_request *r)
{
    return atomic_load(&c->stopped) || (r->cancel && atomic_load(r->cancel));
}

/* Runs one attempt to its end. Returns 0 (answer) or -1 (err). *transport_cc
 * gets curl's code, for the retry decision. */
static int run_attempt(struct net_client *c, CURLM *m, const struct net_request *r,
                       struct net_response *resp, int *retryable, unsigned long *lines,
                       char *err, size_t errlen)
{
    struct transfer t;
    *retryable = 0;
    *lines = 0;
    if (transfer_setup(&t, r, resp, c->user_agent, c->share, err, errlen) != 0) {
        transfer_cleanup(&t);
        return -1;
    }
    CURLcode cc = CURLE_OK;
    int done = 0, stopped = 0;
    if (curl_multi_add_handle(m, t.easy) != CURLM_OK) {
        snprintf(err, errlen, "curl_multi_add_handle failed");
        transfer_cleanup(&t);
        return -1;
    }
    while (!done) {
        int running = 0;
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            cc = CURLE_FAILED_INIT;
            break;
        }
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == t.easy) {
                cc = msg->data.result;
                done = 1;
            }
        if (done)
            break;
        if (cancelled(c, r)) {
            stopped = 1;
            break;
        }
        curl_multi_poll(m, NULL, 0, POLL_SLICE_MS, NULL);
    }
    curl_multi_remove_handle(m, t.easy);
    int rc;
    if (stopped) {
        snprintf(err, errlen, "%s", atomic_load(&c->stopped) ? "client stopped" : "cancelled");
        rc = -1;
    } else {
        rc = transfer_finish(&t, cc, err, errlen);
        *retryable = rc != 0 && (cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_CONNECT ||
                                 cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SEND_ERROR ||
                                 cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
                                 cc == CURLE_PARTIAL_FILE);
    }
    *lines = t.lines;
    transfer_cleanup(&t);
    return rc;
}

/* Sleeps ms, in slices, ending early when the request is cancelled. */
static int wait_cancellable(const struct net_client *c, const struct net_request *r, int64_t ms)
{
    int64_t until = time_mono_ms() + ms;
    for (;;) {
        if (cancelled(c, r))
            return -1;
        int64_t left = until - time_mono_ms();
        if (left <= 0)
            return 0;
        if (left > POLL_SLICE_MS)
            left = POLL_SLICE_MS;
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int count_outcome(struct net_client *c, const struct net_request *r, int rc)
{
    metric_inc(rc == 0 ? c->answered : cancelled(c, r) ? c->cancelled : c->failed);
    return rc;
}

static int request_with(struct net_client *c, const struct net_request *r,
                        struct net_response *resp, char *err, size_t errlen)
{
    unsigned attempts = r->max_attempts ? r->max_attempts : 1;
    if (attempts > NET_MAX_ATTEMPTS)
        attempts = NET_MAX_ATTEMPTS;
    unsigned base = r->backoff_base_ms ? r->backoff_base_ms : 200;
    unsigned cap = r->backoff_max_ms ? r->backoff_max_ms : 10000;
    int64_t ra_max = r->retry_wait_max_ms ? r->retry_wait_max_ms : 30000;
    uint64_t seed = time_mono_ns() ^ (uint64_t)(uintptr_t)r; /* jitter differs per call */
    for (unsigned n = 1;; n++) {
        memset(resp, 0, sizeof *resp);
        resp->attempts = n;
        struct multi_slot *slot = pool_take(c);
        if (!slot) {
            snprintf(err, errlen, "out of memory");
            return count_outcome(c, r, -1);
        }
        int transport_retry = 0;
        unsigned long lines = 0;
        int rc = run_attempt(c, slot->multi, r, resp, &transport_retry, &lines, err, errlen);
        pool_give(c, slot);
        metric_observe(c->attempt_seconds, resp->total_ms / 1000.0);
        /* Once lines went to the reader, a retry would hand them over twice. */
        int again = n < attempts && lines == 0 &&
                    (rc != 0 ? transport_retry : net_status_retryable(resp->status));
        if (!again)
            return count_outcome(c, r, rc);
        int64_t wait = -1;
        if (rc == 0 && resp->retry_after[0]) {
            wait = net_retry_after_ms(resp->retry_after, time_now_ms());
            if (wait > ra_max) /* the server asks for longer than we wait: its answer stands */
                return count_outcome(c, r, rc);
        }
        if (wait < 0)
            wait = net_backoff_ms(n, base, cap, splitmix64(&seed));
        double keep_ms = resp->total_ms;
        net_response_free(resp);
        resp->total_ms = keep_ms;
        if (wait_cancellable(c, r, wait) != 0) {
            snprintf(err, errlen, "%s", atomic_load(&c->stopped) ? "client stopped" : "cancelled");
            return count_outcome(c, r, -1);
        }
        metric_inc(c->retries);
    }
}

int net_request(struct net_client *c, const struct net_request *r, struct net_response *resp,
                char *err, size_t errlen)
{
    if (c)
        return request_with(c, r, resp, err, errlen);
    struct net_client *once = NULL;
    memset(resp, 0, sizeof *resp);
    if (net_client_create(NULL, &once, err, errlen) != 0)
        return -1;
    int rc = request_with(once, r, resp, err, errlen);
    net_client_destroy(once);
    return rc;
}

void net_response_free(struct net_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}
