/* HTTP server base on libmicrohttpd.
 *
 * The server reads the whole body (bounded by max_body_bytes, else 413),
 * authenticates (bearer token -> principal; under /api/v1 a request without a
 * valid token gets 401 before routing), routes by method + path pattern,
 * checks the route's roles (403), then calls the handler. The handler fills a
 * struct http_resp; the server writes it, adds X-Request-Id and logs one JSON
 * access line.
 *
 * Error shape, the same for every failure:
 *   {"error":{"code":"not_found","message":"...","details":[{"path":"/x","reason":"..."}]}}
 */
#ifndef SREBOT_HTTP_HTTP_H
#define SREBOT_HTTP_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/problems.h"
#include "ledger/status.h"
#include "store/store.h"

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_QUERY_PARAMS 64 /* more query parameters -> 431 */

struct principal {
    enum role role;   /* ROLE_NONE when unauthenticated */
    char name[64];    /* token name, for audit ("env:IF_SRE_ADMIN_TOKEN" for the env token) */
    int64_t token_id; /* 0 for the env token */
};

struct http_req {
    const char *method;
    const char *path;            /* decoded path, without query */
    const char *body;            /* NUL-terminated copy, may contain NULs; NULL when empty */
    size_t body_len;
    const char *request_id;
    const struct principal *who;
    const char *content_type;    /* Content-Type header or NULL */
    const char *route_pattern;   /* the matched pattern, e.g. "/api/v1/incidents/{id}" */
    const char *param_names[HTTP_MAX_PARAMS];
    const char *param_values[HTTP_MAX_PARAMS];
    size_t nparams;
    void *conn_;                 /* struct MHD_Connection*, for http_req_header/query */
    void *rc_;                   /* the server's per-request state (http_req_defer) */
};

/* Path parameter by name ("id" for {id}); NULL when absent. */
const char *http_req_param(const struct http_req *r, const char *name);
/* Header / query-string value; NULL when absent. */
const char *http_req_header(const struct http_req *r, const char *name);
const char *http_req_query(const struct http_req *r, const char *name);

/* Parses the body as JSON (size and depth bounded, duplicate keys rejected).
 * Checks Content-Type is application/json (415 otherwise); an empty body is 400,
 * invalid JSON 400 (code bad_request, details from the parser), too deep 400,
 * too large 413. On failure fills resp with the error and returns NULL. */
struct http_resp;
json_t *http_req_json(const struct http_req *r, struct http_resp *resp);
/* The same, plus an empty problem list for validating the document (release it
 * with problems_destroy()).
 * On failure resp holds the error and nothing is allocated. */
json_t *http_req_json_problems(const struct http_req *r, struct http_resp *resp,
                               struct problems **problems);

/* Streaming bodies (Server-Sent Events): fill up to max bytes into buf; return
 * bytes written, 0 to wait, -1 to end the stream.
 *
 * Waiting never busy-loops: on 0 the server parks the connection and polls the
 * callback again after at most HTTP_STREAM_POLL_MS, or at once after
 * http_wake_signal() on the server's wake object (call it when new data is
 * ready, e.g. an event was committed). The callback runs on a server thread: it must not block. While a
 * stream is parked a client disconnect is noticed only at the next poll. The
 * server ends every stream (the callback is not called again, stream_free is)
 * when it stops. */
typedef long (*http_stream_fn)(void *ctx, uint64_t pos, char *buf, size_t max);
#define HTTP_STREAM_POLL_MS 250

/* A wake signal for streamed responses: a producer (the ledger's outbox)
 * signals it; every server configured with it resumes its waiting streams.
 * Made by main.c before the producer, destroyed after the servers stop. */
struct http_wake;
struct http_wake *http_wake_create(void);
void http_wake_destroy(struct http_wake *w); /* accepts NULL */
void http_wake_signal(struct http_wake *w);  /* accepts NULL; any thread */

struct http_resp {
    int status;
    json_t *json;                /* body (stolen), or NULL */
    char *raw;                   /* or a raw body (malloc'd, stolen) */
    size_t raw_len;
    const unsigned char *static_body; /* or a body that outlives the response */
    size_t static_len;
    const char *content_type;    /* default application/json */
    char headers[8][2][256];     /* extra response headers (name, value) */
    size_t nheaders;
    http_stream_fn stream;       /* or a streamed body */
    void *stream_ctx;
    void (*stream_free)(void *ctx);
};

void http_resp_json(struct http_resp *resp, int status, json_t *body /* stolen */);
void http_resp_header(struct http_resp *resp, const char *name, const char *value);
/* The error shape. code is a stable snake_case word: bad_request, unauthorized,
 * forbidden, not_found, method_not_allowed, conflict, precondition_failed,
 * precondition_required, payload_too_large, unsupported_media_type,
 * validation_failed, expired, too_many_requests, unavailable, internal. */
void http_resp_error(struct http_resp *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 422 (or given status) with problems as details. */
void http_resp_problems(struct http_resp *resp, int status, const char *code,
                        const struct problems *p, const char *message);
/* The one mapping of a service result (ledger/status.h) to a response:
 * INVALID 422, NOT_FOUND 404, CONFLICT 409, DENIED 403, EXPIRED 410,
 * BUSY / UNAVAILABLE 503 + Retry-After: 1, INTERNAL (and anything else) 500.
 * `what` names the object in the message ("incident"). Handlers that have
 * problems to show (422 / 409 with details) answer with http_resp_problems. */
void http_resp_svc_error(struct http_resp *resp, enum svc_status st, const char *what);

typedef void (*http_handler)(struct http_req *req, struct http_resp *resp, void *app);

/* Deferred answers: a request that waits for another thread (a commit by the
 * store writer) must not hold a server thread meanwhile. Its handler calls
 * http_req_defer() before it hands the work on, and returns without filling
 * resp. The server then suspends the connection (it holds no thread while it
 * waits). The producer calls http_defer_done() exactly once, from any thread,
 * when the work is over (succeeded or failed); the server then resumes the
 * connection and calls finish(ctx, resp) on one of its threads to fill the
 * answer. ctx belongs to the deferral from here on: ctx_free(ctx) runs once
 * both http_defer_done() was called and the server is finished with the
 * request, on whichever of the two threads comes last.
 *
 * finish is not called when the client went away meanwhile, or when the server
 * stopped first (it then answers 503 itself after its drain): work that
 * completes later is durable but unanswered, as with any lost connection.
 * Returns NULL when out of memory (nothing deferred; ctx is still the
 * caller's). */
struct http_defer;
typedef void (*http_finish_fn)(void *ctx, struct http_resp *resp);
struct http_defer *http_req_defer(struct http_req *r, http_finish_fn finish,
                                  void (*ctx_free)(void *ctx), void *ctx);
void http_defer_done(struct http_defer *d);
/* Runs a handler to its answer on the calling thread, waiting for the work of
 * a deferred answer: for tests and fuzz targets that call handlers without a
 * server. */
void http_handler_run(http_handler handler, struct http_req *req, struct http_resp *resp,
                      void *app);

/* One row of a route table. roles: bitmask of enum role allowed to call it;
 * 0 means public (no authentication: /healthz, /readyz, /metrics, console assets);
 * ROLES_SIGNED: the handler checks a provider signature instead. */
struct http_route {
    const char *method;
    const char *pattern; /* "/api/v1/incidents/{id}/timeline"; "{name}" matches one segment */
    unsigned roles;
    http_handler handler;
    const char *summary; /* one line, for docs and the OpenAPI document */
    unsigned flags;      /* HTTP_ROUTE_* */
};
/* The handler may wait (for a commit, or on a long read): it runs on one of a
 * few offload workers (4; 64 more may queue, then 503 + Retry-After) with its
 * connection suspended, never on an event-loop thread. Handlers that defer
 * their own answer (http_req_defer) do not need it. */
#define HTTP_ROUTE_BLOCKING 1u
#define HTTP_OFFLOAD_WORKERS 4 /* per server */
#define HTTP_OFFLOAD_QUEUE 64
#define ROLES_VIEWER (ROLE_VIEWER | ROLE_OPERATOR | ROLE_ADMIN)
#define ROLES_OPERATOR (ROLE_OPERATOR | ROLE_ADMIN)
#define ROLES_ADMIN (ROLE_ADMIN)
#define ROLES_INGEST (ROLE_INGEST | ROLE_OPERATOR | ROLE_ADMIN) /* POST findings */
#define ROLES_ANY (ROLE_INGEST | ROLE_VIEWER | ROLE_OPERATOR | ROLE_ADMIN)
#define ROLES_PUBLIC 0u
/* Authenticated by the request's own signature, not a bearer token: chat
 * provider callbacks (Slack's X-Slack-Signature, Telegram's secret token),
 * which cannot send our tokens. The server lets such a row through without a
 * token (and ignores one that is sent: no role applies); its handler verifies
 * the signature before it reads the body and answers 401 when it does not
 * hold. The auth-matrix test walks these rows with unsigned and forged
 * requests. */
#define ROLES_SIGNED (1u << 30)

enum auth_result {
    AUTH_NONE = 0,     /* no credentials presented */
    AUTH_OK,           /* *out is the principal */
    AUTH_INVALID,      /* malformed header or unknown token */
    AUTH_UNAVAILABLE,  /* the credential store could not answer (503) */
};

/* Authentication is the embedder's: the server hands it the Authorization
 * header value (NULL when absent) and, for the SSE path only, the access_token
 * query value (NULL otherwise), and acts on the answer (401 / 503 under
 * /api/v1). Called on server threads, concurrently. */
typedef enum auth_result (*http_auth_fn)(void *ctx, const char *authorization,
                                         const char *access_token, struct principal *out);

struct http_config {
    const char *listen;          /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0" (any free port) */
    size_t max_body_bytes;       /* 413 beyond */
    unsigned max_connections;
    unsigned connection_timeout_s; /* idle time before a connection is closed */
    unsigned threads;            /* event-loop threads (1 = one internal thread) */
    unsigned max_connections_per_client; /* per client address; 0 = no cap */
    unsigned header_timeout_s;   /* from connect (or the previous answer) to complete
                                    headers; not reset by activity; 0 = 10 */
    unsigned max_streams;        /* event streams in total; 0 = 256 */
    unsigned max_streams_per_client; /* per principal (token); 0 = 8 */
    http_auth_fn authenticate;   /* NULL: every presented credential is invalid */
    void *auth_ctx;
    struct metrics *metrics;     /* srebot_http_* go here; NULL = not recorded */
    struct http_wake *wake;      /* wakes waiting streams; NULL = the server's own (poll only) */
};

struct http_server;

/* routes: NULL-method-terminated table (see src/api/routes.c); must outlive the
 * server. app is handed to every handler as is. Registers the srebot_http_*
 * metrics in cfg->metrics. */
int http_server_start(const struct http_config *cfg, const struct http_route *routes,
                      void *app, struct http_server **out, char *err, size_t errlen);
void http_server_stop(struct http_server *srv);
/* The bound port (useful with port 0). */
unsigned http_server_port(const struct http_server *srv);

#endif
