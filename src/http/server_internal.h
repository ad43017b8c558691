/* Private to src/http/server*.c: the server object and the stream parking lot. */
#ifndef SREBOT_HTTP_SERVER_INTERNAL_H
#define SREBOT_HTTP_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "http/http.h"
#include "http/router.h"
#include "util/metrics.h"

struct stream;
struct conn_guard;

#define STREAM_KEY_LEN 96 /* "token_id:name" of a stream's principal */

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

    /* Edge protection (server_guard.c), under guard_lock. */
    pthread_mutex_t guard_lock;
    struct conn_guard *guarded;   /* every open connection */
    int64_t header_timeout_ms;
    int64_t last_reap_ms;
    unsigned max_streams, max_streams_per_client, nstreams;
    char (*stream_keys)[STREAM_KEY_LEN]; /* max_streams entries, nstreams used */

    struct offload_pool *offload; /* workers for HTTP_ROUTE_BLOCKING routes */

    /* Deferred answers (server_defer.c), under defer_lock. */
    pthread_mutex_t defer_lock;
    struct http_defer *deferred; /* every deferral the server still answers */
    int defer_closed;            /* stopping: new deferrals answer 503 at once */

    struct metric *m_requests, *m_duration, *m_connections, *m_refused, *m_streams, *m_deferred;
    struct metric_series *s_connections, *s_streams, *s_deferred;
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
    int close_after;         /* answer with Connection: close */
    int status;
    uint64_t bytes;          /* body bytes sent (streams: counted as they go) */
    char stream_key[STREAM_KEY_LEN]; /* the stream slot held, "" when none */
    struct http_defer *defer;  /* the handler deferred its answer (server_defer.c) */
    struct http_server *srv;
};

/* Connection bookkeeping for the header deadline (server_guard.c). */
void guard_conn_started(struct http_server *srv, struct MHD_Connection *conn, void **socket_ctx);
void guard_conn_closed(struct http_server *srv, void **socket_ctx);
void guard_headers_in(struct http_server *srv, struct MHD_Connection *conn);
void guard_request_done(struct http_server *srv, struct MHD_Connection *conn);
/* Shuts down connections past their header deadline; at most every 250 ms. */
void guard_reap(struct http_server *srv);
/* Counts a refusal in srebot_http_refused_total{reason}. */
void guard_refused(struct http_server *srv, const char *reason);
/* Takes a stream slot for the principal (key gets its slot name); -1 with why
 * filled when the total or per-principal cap is reached. */
int guard_stream_admit(struct http_server *srv, const struct principal *who, char *key,
                       size_t keylen, char *why, size_t whylen);
void guard_stream_release(struct http_server *srv, const char *key);
/* Duplicate Content-Length (different values) / Authorization -> 400: -1
 * with *status and msg filled. */
int guard_request_shape(struct http_server *srv, struct MHD_Connection *conn, int *status,
                        char *msg, size_t msglen);

/* MHD_OPTION_URI_LOG_CALLBACK: answers 431 to a request line with more than
 * HTTP_MAX_QUERY_PARAMS query parameters before the daemon parses them. */
void *guard_uri_log(void *cls, const char *uri, struct MHD_Connection *conn);

/* Deferred answers (server_defer.c). After a handler deferred: 1 when the
 * connection is suspended until http_defer_done; 0 when the answer is ready
 * now (the work is already done, or the server is stopping): then call
 * defer_answer and send it. */
int defer_park(struct http_server *srv, struct MHD_Connection *conn, struct req_ctx *rc);
/* The resumed call: fills resp from the finished work (or a 503 when the
 * server gave up waiting). */
void defer_answer(struct req_ctx *rc, struct http_resp *resp);
/* The request is over (on_completed): the server's share of the deferral. */
void defer_release(struct http_server *srv, struct req_ctx *rc);
/* Stopping, after the drain: every deferral still waiting is answered 503. */
void defer_abandon_all(struct http_server *srv);

/* The offload pool (server_offload.c) for HTTP_ROUTE_BLOCKING routes. */
struct offload_pool;
int offload_start(struct http_server *srv);
/* Runs what is queued, then joins the workers. */
void offload_stop(struct http_server *srv);
/* Defers req's answer and queues handler(req) for a worker (a full queue is
 * answered 503 + Retry-After). req->rc_ must be set; -1 when out of memory. */
int offload_submit(struct http_server *srv, http_handler handler, const struct http_req *req);

/* "host:port" or "[v6]:port" -> a socket address (listen_addr.c). */
int http_resolve_listen(const char *listen, struct sockaddr_storage *ss, int *family, char *err,
                        size_t errlen);

/* Builds the MHD response for a streamed body; the stream owns ctx from here. */
struct MHD_Response *stream_response(struct http_server *srv, struct MHD_Connection *conn,
                                     struct req_ctx *rc, struct http_resp *resp);
int stream_waker_start(struct http_server *srv);
/* Ends parking: resumes every parked connection so the daemon can stop. */
void stream_waker_stop(struct http_server *srv);

#endif
