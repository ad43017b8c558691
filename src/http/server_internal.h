/* Private to src/http/server*.c: the server object and the stream parking lot. */
#ifndef SREBOT_HTTP_SERVER_INTERNAL_H
#define SREBOT_HTTP_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <microhttpd.h>

#include "http/http.h"
#include "http/router.h"
#include "util/metrics.h"

struct stream;

struct http_server {
    struct MHD_Daemon *daemon;
    const struct http_route *routes;
    void *app;                   /* handed to every handler */
    http_auth_fn authenticate;   /* from http_config */
    void *auth_ctx;
    size_t max_body_bytes;
    unsigned port;
    atomic_int stopping;
    atomic_int inflight;  /* requests between their first byte and completion */

    /* Streams waiting for data: suspended connections, resumed by the waker
     * thread every HTTP_STREAM_POLL_MS or when `wake` is signalled. */
    pthread_mutex_t park_lock;
    struct stream *parked;
    struct http_wake *wake;     /* the config's, or own_wake */
    struct http_wake *own_wake; /* made here when the config gave none */
    pthread_t waker;
    int waker_running;
    int waker_stop; /* guarded by wake's lock (server_stream.c) */
    atomic_uint_fast64_t request_seq; /* request ids when randomness fails */

    struct metric *m_requests, *m_duration, *m_connections;
    struct metric_series *s_connections;
};

/* Per-request state, from the first call of the access handler to completion. */
struct req_ctx {
    uint64_t start_ns;
    char method[16];
    char path[256];          /* for the access log, truncated */
    char request_id[72];
    const char *route_pattern; /* static (from the route table) or NULL */
    struct principal who;
    struct route_match match;
    char *body;
    size_t body_len, body_cap;
    size_t discarded;        /* body bytes dropped after the limit was passed */
    int too_large;
    int responded;           /* a response is queued */
    int status;
    uint64_t bytes;          /* body bytes sent (streams: counted as they go) */
};

/* Builds the MHD response for a streamed body; the stream owns ctx from here. */
struct MHD_Response *stream_response(struct http_server *srv, struct MHD_Connection *conn,
                                     struct req_ctx *rc, struct http_resp *resp);
int stream_waker_start(struct http_server *srv);
/* Ends parking: resumes every parked connection so the daemon can stop. */
void stream_waker_stop(struct http_server *srv);

#endif
