/* libmicrohttpd glue: per-request state, early rejections, body accumulation,
 * dispatch, response emission, access log and request metrics.
 *
 * Order of checks, decided as soon as the headers are in (before any body byte
 * is read, so a rejected upload costs nothing):
 *   Content-Length > max_body_bytes            -> 413
 *   /api/v1/... without a valid token          -> 401 (before routing: the API's
 *                                                 shape stays hidden), except on
 *                                                 ROLES_SIGNED rows (the handler
 *                                                 checks the provider's signature)
 *   no route for the path / for the method     -> 404 / 405 + Allow
 *   the route's roles exclude the principal    -> 403 (401 when unauthenticated)
 * then the body is accumulated (413 if it outgrows the limit without a
 * Content-Length) and the handler runs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/strict.h"
#include "http/server_internal.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

#define API_PREFIX "/api/v1"
#define SSE_TOKEN_PATH "/api/v1/events" /* EventSource cannot send headers */
#define CONNECTION_MEMORY_LIMIT (64 * 1024) /* request line + headers per connection */
#define DRAIN_MS 5000 /* stop: how long in-flight requests may take to finish */

/* Sent with every response. The CSP keeps the console to its own origin with
 * no inline script; on JSON it costs nothing and stops content sniffing games. */
static const char *const security_headers[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
     "form-action 'self'"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
};

static int is_api_path(const char *path)
{
    size_t n = sizeof API_PREFIX - 1;
    return strncmp(path, API_PREFIX, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Bounded label values for the method (unknown methods must not grow series). */
static const char *method_label(const char *m)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                        "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i]) == 0)
            return known[i];
    return "other";
}

static int request_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return 0;
    }
    return 1;
}

static void set_request_id(struct http_server *srv, struct req_ctx *rc,
                           struct MHD_Connection *conn)
{
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (request_id_ok(given)) {
        snprintf(rc->request_id, sizeof rc->request_id, "%s", given);
        return;
    }
    uint8_t raw[16];
    if (crypto_random(raw, sizeof raw) != 0) {
        snprintf(rc->request_id, sizeof rc->request_id, "req-%llu",
                 (unsigned long long)atomic_fetch_add(&srv->request_seq, 1));
        return;
    }
    hex_encode(raw, sizeof raw, rc->request_id);
}

/* The MHD response for a buffered body; *len gets its size. */
static struct MHD_Response *body_response(struct http_resp *resp, size_t *len)
{
    if (resp->json) {
        char *text = json_dumps(resp->json, JSON_COMPACT | JSON_REAL_PRECISION(15));
        if (!text)
            return NULL;
        *len = strlen(text);
        struct MHD_Response *r = MHD_create_response_from_buffer(*len, text, MHD_RESPMEM_MUST_FREE);
        if (!r)
            free(text);
        return r;
    }
    if (resp->raw) {
        *len = resp->raw_len;
        struct MHD_Response *r =
            MHD_create_response_from_buffer(resp->raw_len, resp->raw, MHD_RESPMEM_MUST_FREE);
        if (r)
            resp->raw = NULL; /* MHD frees it */
        return r;
    }
    *len = resp->static_body ? resp->static_len : 0;
    return MHD_create_response_from_buffer(*len,
                                           resp->static_body ? (void *)resp->static_body : (void *)"",
                                           MHD_RESPMEM_PERSISTENT);
}

/* Writes resp (always consumed) to the connection. */
static enum MHD_Result send_resp(struct http_server *srv, struct MHD_Connection *conn,
                                 struct req_ctx *rc, struct http_resp *resp)
{
    if (resp->status < 100 || resp->status > 599) {
        log_error("http", "handler for %s left no valid status (%d)",
                  rc->route_pattern ? rc->route_pattern : rc->path, resp->status);
        http_resp_error(resp, 500, "internal", "internal error");
    }
    struct MHD_Response *r;
    size_t len = 0;
    char why[128];
    if (resp->stream &&
        guard_stream_admit(srv, &rc->who, rc->stream_key, sizeof rc->stream_key, why,
                           sizeof why) != 0) {
        if (resp->stream_free)
            resp->stream_free(resp->stream_ctx);
        resp->stream = NULL;
        resp->stream_ctx = NULL;
        resp->stream_free = NULL;
        resp->nheaders = 0;
        resp->content_type = NULL;
        http_resp_error(resp, 429, "too_many_requests", "%s; retry later", why);
        http_resp_header(resp, "Retry-After", "5");
    }
    int streamed = resp->stream != NULL;
    if (streamed) {
        r = stream_response(srv, conn, rc, resp);
        if (!r && resp->stream_free)
            resp->stream_free(resp->stream_ctx);
        if (!r && rc->stream_key[0]) {
            guard_stream_release(srv, rc->stream_key);
            rc->stream_key[0] = '\0';
        }
    } else {
        r = body_response(resp, &len);
    }
    json_decref(resp->json);
    resp->json = NULL;
    free(resp->raw);
    resp->raw = NULL;
    if (!r)
        return MHD_NO;

    const char *ctype = resp->content_type ? resp->content_type : "application/json";
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, "X-Request-Id", rc->request_id);
    for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
        MHD_add_response_header(r, security_headers[i][0], security_headers[i][1]);
    int has_cache_control = 0;
    for (size_t i = 0; i < resp->nheaders; i++) {
        MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
        if (strcasecmp(resp->headers[i][0], "Cache-Control") == 0)
            has_cache_control = 1;
    }
    if (!has_cache_control && is_api_path(rc->path))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* Stopping, or a request a proxy may have framed differently: this is the
     * connection's last answer. */
    if (rc->close_after || atomic_load(&srv->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");

    rc->status = resp->status;
    if (!streamed)
        rc->bytes = len;
    rc->responded = 1;
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

__attribute__((format(printf, 6, 7))) static enum MHD_Result
send_error(struct http_server *srv, struct MHD_Connection *conn, struct req_ctx *rc, int status,
           const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct http_resp resp = {0};
    http_resp_error(&resp, status, code, "%s", msg);
    if (status == 401)
        http_resp_header(&resp, "WWW-Authenticate", "Bearer realm=\"srebot\"");
    return send_resp(srv, conn, rc, &resp);
}

/* 1 when method + url is a ROLES_SIGNED row (a chat provider's callback). */
static int signed_route(struct http_server *srv, const char *method, const char *url)
{
    struct route_match m;
    char allow[96];
    return router_find(srv->routes, method, url, &m, allow, sizeof allow) == ROUTER_FOUND &&
           m.route->roles == ROLES_SIGNED;
}

/* Everything decided from the request line and headers alone. Returns MHD_YES
 * with rc->responded set when it answered, MHD_YES to go on reading the body. */
static enum MHD_Result begin_request(struct http_server *srv, struct MHD_Connection *conn,
                                     struct req_ctx *rc, const char *url, const char *method)
{
    const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen) {
        char *end = NULL;
        unsigned long long n = strtoull(clen, &end, 10);
        if (end != clen && n > srv->max_body_bytes)
            return send_error(srv, conn, rc, 413, "payload_too_large",
                              "the body is %llu bytes; the limit is %zu", n, srv->max_body_bytes);
    }

    int shape_status;
    char shape_msg[160];
    if (guard_request_shape(srv, conn, &shape_status, shape_msg, sizeof shape_msg) != 0) {
        rc->close_after = 1;
        guard_refused(srv, "ambiguous_headers");
        return send_error(srv, conn, rc, shape_status, "bad_request", "%s", shape_msg);
    }

    char nul_at[96];
    if (http_request_nul(conn, nul_at, sizeof nul_at) != 0)
        return send_error(srv, conn, rc, 400, "bad_request", "%s: must not contain a NUL byte",
                          nul_at);

    int api = is_api_path(url);
    const char *authz =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *qtoken = NULL;
    if (strcmp(method, "GET") == 0 && strcmp(url, SSE_TOKEN_PATH) == 0)
        qtoken = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "access_token");
    enum auth_result ar = AUTH_NONE;
    if (authz || qtoken)
        ar = srv->authenticate ? srv->authenticate(srv->auth_ctx, authz, qtoken, &rc->who)
                               : AUTH_INVALID;
    if (ar != AUTH_OK)
        memset(&rc->who, 0, sizeof rc->who);
    if (api && ar != AUTH_OK && signed_route(srv, method, url)) {
        /* a chat callback: its signature is the credential (the handler checks it) */
        memset(&rc->who, 0, sizeof rc->who);
        ar = AUTH_OK;
    }
    if (api && ar == AUTH_UNAVAILABLE) {
        struct http_resp resp = {0};
        http_resp_svc_error(&resp, SVC_BUSY, "authentication");
        return send_resp(srv, conn, rc, &resp);
    }
    if (api && ar != AUTH_OK)
        return send_error(srv, conn, rc, 401, "unauthorized",
                          ar == AUTH_NONE ? "a bearer token is required"
                                          : "the bearer token is not valid");

    char allow[96];
    enum router_result rr = router_find(srv->routes, method, url, &rc->match, allow, sizeof allow);
    if (rr == ROUTER_NOT_FOUND)
        return send_error(srv, conn, rc, 404, "not_found", "no resource at this path");
    if (rr == ROUTER_NO_METHOD) {
        struct http_resp resp = {0};
        http_resp_error(&resp, 405, "method_not_allowed", "%s is not allowed here; allowed: %s",
                        method, allow);
        http_resp_header(&resp, "Allow", allow);
        return send_resp(srv, conn, rc, &resp);
    }
    const struct http_route *route = rc->match.route;
    rc->route_pattern = route->pattern;
    if (route->roles == ROLES_SIGNED) {
        memset(&rc->who, 0, sizeof rc->who); /* a token grants nothing here */
    } else if (route->roles != ROLES_PUBLIC) {
        if (rc->who.role == ROLE_NONE)
            return send_error(srv, conn, rc, 401, "unauthorized", "a bearer token is required");
        if (!(route->roles & (unsigned)rc->who.role))
            return send_error(srv, conn, rc, 403, "forbidden",
                              "the %s role may not call %s %s", role_name(rc->who.role),
                              route->method, route->pattern);
    }
    return MHD_YES;
}

/* Keeps up to max_body_bytes; past that, drops bytes (the answer will be 413)
 * and gives up on the connection once the client has sent far too much. */
static enum MHD_Result take_body(struct http_server *srv, struct req_ctx *rc, const char *data,
                                 size_t n)
{
    if (rc->too_large || rc->body_len + n > srv->max_body_bytes) {
        rc->too_large = 1;
        rc->discarded += n;
        return rc->discarded > 4 * srv->max_body_bytes + (1u << 20) ? MHD_NO : MHD_YES;
    }
    if (rc->body_len + n + 1 > rc->body_cap) {
        size_t cap = rc->body_cap ? rc->body_cap : 4096;
        while (cap < rc->body_len + n + 1)
            cap *= 2;
        if (cap > srv->max_body_bytes + 1)
            cap = srv->max_body_bytes + 1;
        char *b = realloc(rc->body, cap);
        if (!b)
            return MHD_NO;
        rc->body = b;
        rc->body_cap = cap;
    }
    memcpy(rc->body + rc->body_len, data, n);
    rc->body_len += n;
    rc->body[rc->body_len] = '\0';
    return MHD_YES;
}

static enum MHD_Result run_handler(struct http_server *srv, struct MHD_Connection *conn,
                                   struct req_ctx *rc, const char *url, const char *method)
{
    if (rc->too_large)
        return send_error(srv, conn, rc, 413, "payload_too_large",
                          "the body is larger than the limit of %zu bytes", srv->max_body_bytes);
    struct http_req req = {0};
    req.method = method;
    req.path = url;
    req.body = rc->body;
    req.body_len = rc->body_len;
    req.request_id = rc->request_id;
    req.who = &rc->who;
    req.content_type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.route_pattern = rc->route_pattern;
    req.nparams = rc->match.nparams;
    for (size_t i = 0; i < rc->match.nparams; i++) {
        req.param_names[i] = rc->match.names[i];
        req.param_values[i] = rc->match.values[i];
    }
    req.conn_ = conn;
    req.rc_ = rc;
    struct http_resp resp = {0};
    if (rc->match.route->flags & HTTP_ROUTE_BLOCKING) {
        if (offload_submit(srv, rc->match.route->handler, &req) != 0)
            http_resp_error(&resp, 500, "internal", "out of memory");
    } else {
        rc->match.route->handler(&req, &resp, srv->app);
    }
    if (rc->defer) {
        /* the answer comes from finish(); a handler that deferred leaves resp alone */
        json_decref(resp.json);
        free(resp.raw);
        if (defer_park(srv, conn, rc))
            return MHD_YES; /* suspended: called again once the work is done */
        memset(&resp, 0, sizeof resp);
        defer_answer(rc, &resp);
    }
    return send_resp(srv, conn, rc, &resp);
}

/* The call after a deferred request's connection was resumed. */
static enum MHD_Result answer_deferred(struct http_server *srv, struct MHD_Connection *conn,
                                       struct req_ctx *rc)
{
    struct http_resp resp = {0};
    defer_answer(rc, &resp);
    return send_resp(srv, conn, rc, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *srv = cls;
    struct req_ctx *rc = *con_cls;
    (void)version;
    if (!rc) {
        rc = calloc(1, sizeof *rc);
        if (!rc)
            return MHD_NO;
        *con_cls = rc;
        rc->srv = srv;
        atomic_fetch_add(&srv->inflight, 1);
        rc->start_ns = time_mono_ns();
        snprintf(rc->method, sizeof rc->method, "%s", method);
        snprintf(rc->path, sizeof rc->path, "%s", url);
        set_request_id(srv, rc, conn);
        guard_headers_in(srv, conn);
        if (atomic_load(&srv->stopping)) {
            guard_refused(srv, "stopping");
            return send_error(srv, conn, rc, 503, "unavailable", "the server is stopping");
        }
        return begin_request(srv, conn, rc, url, method);
    }
    if (rc->responded) {
        *upload_data_size = 0; /* answered early: the rest of the body is ignored */
        return MHD_YES;
    }
    if (rc->defer)
        return answer_deferred(srv, conn, rc);
    if (*upload_data_size) {
        enum MHD_Result ok = take_body(srv, rc, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return ok;
    }
    return run_handler(srv, conn, rc, url, method);
}

static void access_log(struct http_server *srv, const struct req_ctx *rc, double seconds)
{
    const char *route = rc->route_pattern ? rc->route_pattern : "unmatched";
    char status[8];
    snprintf(status, sizeof status, "%d", rc->status);
    metric_inc(metric_series_get(srv->m_requests,
                                 (const char *[]){route, method_label(rc->method), status}));
    metric_observe(metric_series_get(srv->m_duration, (const char *[]){route}), seconds);

    json_t *f = json_pack("{s:s, s:s, s:s, s:i, s:f, s:I, s:s}", "method", rc->method, "route",
                          route, "path", rc->path, "status", rc->status, "duration_ms",
                          seconds * 1000.0, "bytes", (json_int_t)rc->bytes, "request_id",
                          rc->request_id);
    if (f)
        json_object_set_new(f, "principal",
                            rc->who.role != ROLE_NONE ? json_string(rc->who.name) : json_null());
    if (rc->status >= 500 || rc->status == 401 || rc->status == 403 || rc->status == 429)
        log_security(rc->status >= 500 ? LOG_WARN : LOG_INFO, "http", f, "request");
    else
        log_fields(LOG_INFO, "http", f, "request");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct req_ctx *rc = *con_cls;
    (void)toe;
    guard_request_done(srv, conn);
    if (!rc)
        return;
    defer_release(srv, rc);
    double seconds = (double)(time_mono_ns() - rc->start_ns) / 1e9;
    access_log(srv, rc, seconds);
    free(rc->body);
    free(rc);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        guard_conn_started(srv, conn, socket_context);
    else
        guard_conn_closed(srv, socket_context);
    metric_gauge_add(srv->s_connections, code == MHD_CONNECTION_NOTIFY_STARTED ? 1.0 : -1.0);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_warn("http", "libmicrohttpd: %s", msg);
}

static void register_metrics(struct http_server *srv, struct metrics *reg)
{
    srv->m_requests = metrics_counter(reg, "srebot_http_requests_total",
                                      "HTTP requests by route pattern, method and status",
                                      (const char *[]){"route", "method", "status", NULL});
    srv->m_duration = metrics_histogram(reg, "srebot_http_request_duration_seconds",
                                        "HTTP request duration (first byte in to last byte out)",
                                        (const char *[]){"route", NULL}, METRICS_LATENCY_BUCKETS,
                                        METRICS_LATENCY_NBUCKETS);
    srv->m_connections = metrics_gauge(reg, "srebot_http_connections", "Open HTTP connections",
                                       NULL);
    srv->s_connections = metric_series0(srv->m_connections);
    srv->m_streams = metrics_gauge(reg, "srebot_http_streams", "Open event streams", NULL);
    srv->s_streams = metric_series0(srv->m_streams);
    srv->m_deferred = metrics_gauge(
        reg, "srebot_http_deferred",
        "Requests waiting for their work (a commit) with their connection suspended", NULL);
    srv->s_deferred = metric_series0(srv->m_deferred);
    srv->m_refused = metrics_counter(
        reg, "srebot_http_refused_total",
        "Requests and connections refused at the edge (header_deadline, stream_limit, "
        "too_many_params, ambiguous_headers, stopping, offload_queue_full)",
        (const char *[]){"reason", NULL});
}

static void server_free(struct http_server *srv)
{
    pthread_mutex_destroy(&srv->park_lock);
    pthread_mutex_destroy(&srv->guard_lock);
    pthread_mutex_destroy(&srv->defer_lock);
    http_wake_destroy(srv->own_wake);
    free(srv->stream_keys);
    free(srv);
}

int http_server_start(const struct http_config *cfg, const struct http_route *routes,
                      void *app, struct http_server **out, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int family = 0;
    for (const struct http_route *r = routes; r->method; r++) {
        if (!router_pattern_valid(r->pattern) || !r->handler) {
            snprintf(err, errlen, "route table: bad row %s %s", r->method, r->pattern);
            return -1;
        }
    }
    if (http_resolve_listen(cfg->listen, &ss, &family, err, errlen) != 0)
        return -1;
    struct http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    srv->routes = routes;
    srv->app = app;
    srv->authenticate = cfg->authenticate;
    srv->auth_ctx = cfg->auth_ctx;
    srv->max_body_bytes = cfg->max_body_bytes ? cfg->max_body_bytes : 1u << 20;
    pthread_mutex_init(&srv->park_lock, NULL);
    pthread_mutex_init(&srv->guard_lock, NULL);
    pthread_mutex_init(&srv->defer_lock, NULL);
    srv->header_timeout_ms = 1000 * (int64_t)(cfg->header_timeout_s ? cfg->header_timeout_s : 10);
    srv->max_streams = cfg->max_streams ? cfg->max_streams : 256;
    srv->max_streams_per_client = cfg->max_streams_per_client ? cfg->max_streams_per_client : 8;
    srv->stream_keys = calloc(srv->max_streams, sizeof srv->stream_keys[0]);
    register_metrics(srv, cfg->metrics);
    srv->wake = cfg->wake;
    if (!srv->stream_keys ||
        (!srv->wake && !(srv->wake = srv->own_wake = http_wake_create()))) {
        snprintf(err, errlen, "out of memory");
        server_free(srv);
        return -1;
    }

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL}, /* first: it covers the rest */
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections ? cfg->max_connections : 256, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s ? cfg->connection_timeout_s : 30,
         NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY_LIMIT, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_connections_per_client, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)guard_uri_log, srv},
        {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)http_unescape_keep_nul, NULL},
        {cfg->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, cfg->threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    if (stream_waker_start(srv) != 0 || offload_start(srv) != 0) {
        snprintf(err, errlen, "cannot start the server's threads");
        goto fail;
    }
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, opts,
                                   MHD_OPTION_END);
    if (!srv->daemon) {
        /* No SO_REUSEPORT (MHD's default is SO_REUSEADDR only), so a second
         * server on a port in use fails here instead of sharing its traffic. */
        if (errno == EADDRINUSE)
            snprintf(err, errlen, "cannot listen on %s: the address is in use (another srebot?)",
                     cfg->listen);
        else
            snprintf(err, errlen, "cannot listen on %s (address in use or not permitted?)",
                     cfg->listen);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return 0;
fail:
    stream_waker_stop(srv);
    offload_stop(srv);
    server_free(srv);
    return -1;
}

/* Graceful: refuse new requests (503, Connection: close), stop accepting, end the streams, let in-flight requests finish
 * (bounded by DRAIN_MS), then close every connection. */
void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    /* From here every new request is refused and every answer closes its
     * connection, so keep-alive clients are not served through the drain. */
    atomic_store(&srv->stopping, 1);
    if (srv->daemon) {
        MHD_socket lsock = MHD_quiesce_daemon(srv->daemon);
        if (lsock != MHD_INVALID_SOCKET)
            close(lsock); /* quiescing hands the listening socket to us */
    }
    /* Streams next: they never finish on their own, and the daemon must not
     * stop with suspended connections. */
    stream_waker_stop(srv);
    int64_t until = time_mono_ms() + DRAIN_MS;
    while (atomic_load(&srv->inflight) > 0 && time_mono_ms() < until)
        usleep(5000);
    if (atomic_load(&srv->inflight) > 0)
        log_warn("http", "stopping with %d request(s) still in flight",
                 atomic_load(&srv->inflight));
    /* Workers first: a job reads its request until it is done. Then no
     * connection may stay suspended when the daemon stops. */
    offload_stop(srv);
    defer_abandon_all(srv);
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    server_free(srv);
}

unsigned http_server_port(const struct http_server *srv) { return srv ? srv->port : 0; }
