/* Edge protection: what one client may hold of the server.
 *
 * - A header deadline. libmicrohttpd's idle timeout is reset by every byte, so
 *   a client sending one header line every few seconds holds its connection
 *   for ever. Each connection gets a deadline when it opens (and again when a
 *   request on it completes, for the next one on a keep-alive connection); the
 *   first access-handler call of a request (the headers are in) clears it. The
 *   stream waker thread reaps connections past their deadline by shutting
 *   their socket down: the daemon then sees the end of the stream and closes
 *   the connection itself (we never close a descriptor the daemon owns; the
 *   daemon calls the CLOSED notification, which unlinks the entry under the
 *   same lock, before it closes the descriptor).
 * - Event streams are capped per principal and in total (429 + Retry-After).
 * - Requests that would desynchronise a proxy (two different Content-Length
 *   values, two Authorization headers) and requests with too many query
 *   parameters are refused before routing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "http/server_internal.h"
#include "util/log.h"
#include "util/timeutil.h"

struct conn_guard {
    int fd;
    int64_t deadline_ms; /* 0: no deadline (headers are in) */
    struct conn_guard *prev, *next;
};

void guard_conn_started(struct http_server *srv, struct MHD_Connection *conn, void **socket_ctx)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct conn_guard *g = calloc(1, sizeof *g);
    if (!g || !ci) {
        free(g);
        return; /* unguarded: the idle timeout still applies */
    }
    g->fd = ci->connect_fd;
    pthread_mutex_lock(&srv->guard_lock);
    g->deadline_ms = time_mono_ms() + srv->header_timeout_ms;
    g->next = srv->guarded;
    if (g->next)
        g->next->prev = g;
    srv->guarded = g;
    pthread_mutex_unlock(&srv->guard_lock);
    *socket_ctx = g;
}

void guard_conn_closed(struct http_server *srv, void **socket_ctx)
{
    struct conn_guard *g = *socket_ctx;
    if (!g)
        return;
    pthread_mutex_lock(&srv->guard_lock);
    if (g->prev)
        g->prev->next = g->next;
    else
        srv->guarded = g->next;
    if (g->next)
        g->next->prev = g->prev;
    pthread_mutex_unlock(&srv->guard_lock);
    free(g);
    *socket_ctx = NULL;
}

static struct conn_guard *guard_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void guard_headers_in(struct http_server *srv, struct MHD_Connection *conn)
{
    struct conn_guard *g = guard_of(conn);
    if (!g)
        return;
    pthread_mutex_lock(&srv->guard_lock);
    g->deadline_ms = 0;
    pthread_mutex_unlock(&srv->guard_lock);
}

void guard_request_done(struct http_server *srv, struct MHD_Connection *conn)
{
    struct conn_guard *g = guard_of(conn);
    if (!g)
        return;
    pthread_mutex_lock(&srv->guard_lock);
    g->deadline_ms = time_mono_ms() + srv->header_timeout_ms;
    pthread_mutex_unlock(&srv->guard_lock);
}

void guard_reap(struct http_server *srv)
{
    int64_t now = time_mono_ms();
    unsigned reaped = 0;
    pthread_mutex_lock(&srv->guard_lock);
    if (now - srv->last_reap_ms < 250) {
        pthread_mutex_unlock(&srv->guard_lock);
        return;
    }
    srv->last_reap_ms = now;
    for (struct conn_guard *g = srv->guarded; g; g = g->next) {
        if (g->deadline_ms && now >= g->deadline_ms) {
            shutdown(g->fd, SHUT_RDWR);
            g->deadline_ms = 0; /* once */
            reaped++;
        }
    }
    pthread_mutex_unlock(&srv->guard_lock);
    if (reaped)
        log_security(LOG_WARN, "http", NULL,
                     "closed %u connection(s) that did not finish their request head in %lld ms",
                     reaped, (long long)srv->header_timeout_ms);
    if (reaped)
        metric_add(metric_series_get(srv->m_refused, (const char *[]){"header_deadline"}), reaped);
}

void guard_refused(struct http_server *srv, const char *reason)
{
    metric_inc(metric_series_get(srv->m_refused, (const char *[]){reason}));
}

/* ---- event streams ---- */

int guard_stream_admit(struct http_server *srv, const struct principal *who, char *key,
                       size_t keylen, char *why, size_t whylen)
{
    snprintf(key, keylen, "%lld:%s", (long long)who->token_id, who->name);
    int ok = 1;
    pthread_mutex_lock(&srv->guard_lock);
    if (srv->nstreams >= srv->max_streams) {
        snprintf(why, whylen, "the server holds its limit of %u event streams", srv->max_streams);
        ok = 0;
    } else {
        unsigned mine = 0;
        for (size_t i = 0; i < srv->nstreams; i++)
            if (strcmp(srv->stream_keys[i], key) == 0)
                mine++;
        if (mine >= srv->max_streams_per_client) {
            snprintf(why, whylen, "this token holds its limit of %u event streams",
                     srv->max_streams_per_client);
            ok = 0;
        } else {
            snprintf(srv->stream_keys[srv->nstreams++], sizeof srv->stream_keys[0], "%s", key);
        }
    }
    pthread_mutex_unlock(&srv->guard_lock);
    if (ok)
        metric_gauge_add(srv->s_streams, 1.0);
    else
        guard_refused(srv, "stream_limit");
    return ok ? 0 : -1;
}

void guard_stream_release(struct http_server *srv, const char *key)
{
    pthread_mutex_lock(&srv->guard_lock);
    for (size_t i = 0; i < srv->nstreams; i++) {
        if (strcmp(srv->stream_keys[i], key) == 0) {
            srv->nstreams--;
            memcpy(srv->stream_keys[i], srv->stream_keys[srv->nstreams],
                   sizeof srv->stream_keys[0]);
            break;
        }
    }
    pthread_mutex_unlock(&srv->guard_lock);
    metric_gauge_add(srv->s_streams, -1.0);
}

/* ---- request shape ---- */

struct header_count {
    const char *name;
    unsigned n;
    const char *first;
    int differ;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct header_count *c = cls;
    (void)kind;
    if (strcasecmp(key, c->name) != 0)
        return MHD_YES;
    if (c->n++ == 0)
        c->first = value;
    else if (strcmp(c->first ? c->first : "", value ? value : "") != 0)
        c->differ = 1;
    return MHD_YES;
}

int guard_request_shape(struct http_server *srv, struct MHD_Connection *conn, int *status,
                        char *msg, size_t msglen)
{
    struct header_count cl = {MHD_HTTP_HEADER_CONTENT_LENGTH, 0, NULL, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &cl);
    if (cl.differ) {
        *status = 400;
        snprintf(msg, msglen, "Content-Length: sent %u times with different values", cl.n);
        return -1;
    }
    struct header_count au = {MHD_HTTP_HEADER_AUTHORIZATION, 0, NULL, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &au);
    if (au.n > 1) {
        *status = 400;
        snprintf(msg, msglen, "Authorization: sent %u times; send it once", au.n);
        return -1;
    }
    (void)srv;
    return 0;
}

/* Too many query parameters. libmicrohttpd keeps one record per parameter in
 * the connection's memory pool; a request line of a few thousand parameters
 * exhausts it, and the daemon then neither answers nor closes (the client
 * waits for the idle timeout). This runs on the raw request line before the
 * daemon parses the parameters: past the limit we write the 431 ourselves
 * (nothing else has been written for this request: the daemon reads a request
 * line only once the previous answer is out) and shut the socket down, which
 * ends the connection in the daemon too. */
void *guard_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *srv = cls;
    const char *q = uri ? strchr(uri, '?') : NULL;
    if (!q)
        return NULL;
    unsigned n = 1;
    for (const char *p = q + 1; *p; p++)
        n += *p == '&' || *p == ';';
    if (n <= HTTP_MAX_QUERY_PARAMS)
        return NULL;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return NULL;
    char body[160], head[256];
    int blen = snprintf(body, sizeof body,
                        "{\"error\":{\"code\":\"too_many_requests\",\"message\":\"more than %u "
                        "query parameters\",\"details\":[]}}",
                        (unsigned)HTTP_MAX_QUERY_PARAMS);
    int hlen = snprintf(head, sizeof head,
                        "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n"
                        "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
                        blen);
    (void)!send(ci->connect_fd, head, (size_t)hlen, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)!send(ci->connect_fd, body, (size_t)blen, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(ci->connect_fd, SHUT_RDWR);
    guard_refused(srv, "too_many_params");
    log_security(LOG_INFO, "http", NULL, "431: a request line with %u query parameters (limit %u)",
                 n, (unsigned)HTTP_MAX_QUERY_PARAMS);
    return NULL;
}
