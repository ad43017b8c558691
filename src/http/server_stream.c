/* Streamed responses (Server-Sent Events) without busy-waiting.
 *
 * libmicrohttpd polls a content-reader callback whenever the socket can take
 * more data. A reader with nothing to say would be polled in a tight loop, so
 * on "nothing yet" we suspend the connection (which takes it out of the event
 * loop) and park it here. One waker thread per server resumes every parked
 * connection every HTTP_STREAM_POLL_MS, or at once when the server's wake
 * object (struct http_wake, shared with the producer) is signalled; resumed readers are polled again and park again if still idle. The
 * cost of an idle stream is one callback per poll interval.
 *
 * Suspended connections are not timed out by the daemon. A client that closed
 * its end is noticed at the next poll (a non-blocking peek at the socket reads
 * end-of-stream: event-stream clients send nothing after their request); one
 * that vanished without closing is noticed when the stream next writes: SSE
 * handlers send a keep-alive comment every 15 s, which bounds how long a dead
 * client is held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "http/server_internal.h"
#include "util/log.h"
#include "util/timeutil.h"

struct stream {
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct req_ctx *rc;
    http_stream_fn fn;
    void *ctx;
    void (*ctx_free)(void *ctx);
    int parked;
    int fd;                       /* the connection's socket, for the liveness peek */
    char key[STREAM_KEY_LEN];     /* the stream slot (server_guard.c) */
    struct stream *prev, *next;
};

/* One signal may serve several servers (each waker waits on it). */
struct http_wake {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t gen; /* bumped by every signal */
};

struct http_wake *http_wake_create(void)
{
    struct http_wake *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &a);
    pthread_condattr_destroy(&a);
    return w;
}

void http_wake_destroy(struct http_wake *w)
{
    if (!w)
        return;
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void http_wake_signal(struct http_wake *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->gen++;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static uint64_t wake_gen_now(struct http_wake *w)
{
    pthread_mutex_lock(&w->lock);
    uint64_t g = w->gen;
    pthread_mutex_unlock(&w->lock);
    return g;
}

static void unlink_parked(struct http_server *srv, struct stream *st)
{
    if (!st->parked)
        return;
    if (st->prev)
        st->prev->next = st->next;
    else
        srv->parked = st->next;
    if (st->next)
        st->next->prev = st->prev;
    st->prev = st->next = NULL;
    st->parked = 0;
}

static void resume_all(struct http_server *srv)
{
    pthread_mutex_lock(&srv->park_lock);
    while (srv->parked) {
        struct stream *st = srv->parked;
        unlink_parked(srv, st);
        MHD_resume_connection(st->conn);
    }
    pthread_mutex_unlock(&srv->park_lock);
}

static void *waker_main(void *arg)
{
    struct http_server *srv = arg;
    struct http_wake *w = srv->wake;
    pthread_mutex_lock(&w->lock);
    while (!srv->waker_stop) {
        struct timespec until;
        time_deadline_in(&until, HTTP_STREAM_POLL_MS);
        uint64_t gen = w->gen;
        while (!srv->waker_stop && gen == w->gen)
            if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
                break;
        pthread_mutex_unlock(&w->lock);
        resume_all(srv);
        guard_reap(srv);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int stream_waker_start(struct http_server *srv)
{
    srv->waker_stop = 0;
    if (pthread_create(&srv->waker, NULL, waker_main, srv) != 0)
        return -1;
    srv->waker_running = 1;
    return 0;
}

void stream_waker_stop(struct http_server *srv)
{
    /* Under park_lock, so no reader can park after this point (see reader()). */
    pthread_mutex_lock(&srv->park_lock);
    atomic_store(&srv->stopping, 1);
    pthread_mutex_unlock(&srv->park_lock);
    if (srv->waker_running) {
        pthread_mutex_lock(&srv->wake->lock);
        srv->waker_stop = 1;
        pthread_cond_broadcast(&srv->wake->cond);
        pthread_mutex_unlock(&srv->wake->lock);
        pthread_join(srv->waker, NULL);
        srv->waker_running = 0;
    }
    resume_all(srv);
}

/* 1 when the client closed its end (or the socket failed). */
static int client_gone(const struct stream *st)
{
    char c;
    if (st->fd < 0)
        return 0;
    ssize_t n = recv(st->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    if (atomic_load(&st->srv->stopping) || client_gone(st))
        return MHD_CONTENT_READER_END_OF_STREAM;
    /* Read before asking: a wake after this may be for data the callback
     * missed, and the waker may have resumed the parked list already. */
    uint64_t gen = wake_gen_now(st->srv->wake);
    long n = st->fn(st->ctx, pos, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n > 0) {
        if ((size_t)n > max)
            n = (long)max; /* a callback bug must not overrun MHD's buffer accounting */
        st->rc->bytes += (uint64_t)n;
        return n;
    }
    pthread_mutex_lock(&st->srv->park_lock);
    if (atomic_load(&st->srv->stopping)) {
        pthread_mutex_unlock(&st->srv->park_lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (wake_gen_now(st->srv->wake) != gen) {
        /* Woken while asking: parking now would sleep through that wake for a
         * whole poll interval. Ask again instead. (A wake from here on finds
         * this stream parked: the waker takes park_lock to resume.) */
        pthread_mutex_unlock(&st->srv->park_lock);
        return 0;
    }
    MHD_suspend_connection(st->conn);
    st->parked = 1;
    st->prev = NULL;
    st->next = st->srv->parked;
    if (st->next)
        st->next->prev = st;
    st->srv->parked = st;
    pthread_mutex_unlock(&st->srv->park_lock);
    return 0;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    pthread_mutex_lock(&st->srv->park_lock);
    unlink_parked(st->srv, st);
    pthread_mutex_unlock(&st->srv->park_lock);
    if (st->ctx_free)
        st->ctx_free(st->ctx);
    if (st->key[0])
        guard_stream_release(st->srv, st->key);
    free(st);
}

struct MHD_Response *stream_response(struct http_server *srv, struct MHD_Connection *conn,
                                     struct req_ctx *rc, struct http_resp *resp)
{
    struct stream *st = calloc(1, sizeof *st);
    if (!st)
        goto fail;
    st->srv = srv;
    st->conn = conn;
    st->rc = rc;
    st->fn = resp->stream;
    st->ctx = resp->stream_ctx;
    st->ctx_free = resp->stream_free;
    snprintf(st->key, sizeof st->key, "%s", rc->stream_key);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    st->fd = ci ? ci->connect_fd : -1;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, st, stream_free);
    if (!r) {
        free(st);
        goto fail;
    }
    rc->stream_key[0] = '\0'; /* the slot is the stream's now */
    resp->stream = NULL; /* owned by the response now */
    resp->stream_ctx = NULL;
    resp->stream_free = NULL;
    return r;
fail:
    log_error("http", "out of memory creating a stream");
    return NULL;
}
