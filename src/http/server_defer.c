/* Deferred answers: requests whose work finishes on another thread (a commit
 * by the store writer) wait with their connection suspended, so they hold no
 * server thread (http.h, http_req_defer).
 *
 * libmicrohttpd rules this follows (microhttpd.h, 0.9.75): a connection may be
 * suspended only from inside its access-handler call; MHD_resume_connection is
 * thread-safe but undefined on a connection that is not suspended; a resumed
 * connection has its access handler called again (no upload data), which is
 * where the answer is queued; a suspended connection never times out and its
 * client's disconnect is seen only after resuming; the daemon must not be
 * stopped while a connection is suspended.
 *
 * The race to close is "the work finishes before the handler has returned":
 * the producer may call http_defer_done before the server suspended the
 * connection. One lock per deferral orders the two: the server suspends under
 * it only when the work is not done yet, and the producer resumes under it only
 * when the server suspended. Two references (the server's and the producer's)
 * decide who frees the context.
 */
#include <stdlib.h>
#include <string.h>

#include "http/server_internal.h"
#include "util/log.h"

struct http_defer {
    pthread_mutex_t lock;
    pthread_cond_t done_cv; /* http_handler_run waits on it */
    struct MHD_Connection *conn;
    http_finish_fn finish;
    void (*ctx_free)(void *ctx);
    void *ctx;
    int refs;      /* 2: the server's and the producer's */
    int done;      /* http_defer_done was called */
    int suspended; /* the connection is suspended, waiting for done */
    int abandoned; /* the server answers no more (stopping, or the request is over) */
    struct metric_series *waiting; /* srebot_http_deferred */
    struct http_defer *prev, *next; /* the server's list, under its defer_lock */
};

static void defer_unref_locked(struct http_defer *d)
{
    int last = --d->refs == 0;
    pthread_mutex_unlock(&d->lock);
    if (!last)
        return;
    if (d->ctx_free)
        d->ctx_free(d->ctx);
    pthread_cond_destroy(&d->done_cv);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

struct http_defer *http_req_defer(struct http_req *r, http_finish_fn finish,
                                  void (*ctx_free)(void *ctx), void *ctx)
{
    struct req_ctx *rc = r->rc_;
    if (!rc || rc->defer || !finish)
        return NULL;
    struct http_defer *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->done_cv, NULL);
    d->conn = r->conn_;
    d->finish = finish;
    d->ctx_free = ctx_free;
    d->ctx = ctx;
    d->refs = 2;
    d->waiting = rc->srv ? rc->srv->s_deferred : NULL;
    rc->defer = d;
    return d;
}

void http_defer_done(struct http_defer *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->done = 1;
    pthread_cond_broadcast(&d->done_cv);
    if (d->suspended && !d->abandoned) {
        d->suspended = 0;
        metric_gauge_add(d->waiting, -1.0);
        MHD_resume_connection(d->conn);
    }
    defer_unref_locked(d);
}

int defer_park(struct http_server *srv, struct MHD_Connection *conn, struct req_ctx *rc)
{
    struct http_defer *d = rc->defer;
    pthread_mutex_lock(&srv->defer_lock);
    d->prev = NULL;
    d->next = srv->deferred;
    if (d->next)
        d->next->prev = d;
    srv->deferred = d;
    pthread_mutex_lock(&d->lock);
    int parked = 0;
    if (srv->defer_closed) {
        d->abandoned = 1;
    } else if (!d->done) {
        /* From inside the access handler, as the API requires; the producer
         * cannot resume before this returns (it needs the lock we hold). */
        MHD_suspend_connection(conn);
        d->suspended = 1;
        metric_gauge_add(d->waiting, 1.0);
        parked = 1;
    }
    pthread_mutex_unlock(&d->lock);
    pthread_mutex_unlock(&srv->defer_lock);
    return parked;
}

void defer_answer(struct req_ctx *rc, struct http_resp *resp)
{
    struct http_defer *d = rc->defer;
    pthread_mutex_lock(&d->lock);
    int ready = d->done && !d->abandoned;
    pthread_mutex_unlock(&d->lock);
    /* done is final and ctx is not freed while the server holds its reference:
     * finish runs without the lock (it may take its time building the body). */
    if (ready) {
        d->finish(d->ctx, resp);
        return;
    }
    http_resp_error(resp, 503, "unavailable",
                    "the server is stopping; the request may or may not have taken effect");
    http_resp_header(resp, "Retry-After", "1");
}

void defer_release(struct http_server *srv, struct req_ctx *rc)
{
    struct http_defer *d = rc->defer;
    if (!d)
        return;
    rc->defer = NULL;
    pthread_mutex_lock(&srv->defer_lock);
    if (d->prev)
        d->prev->next = d->next;
    else if (srv->deferred == d)
        srv->deferred = d->next;
    if (d->next)
        d->next->prev = d->prev;
    d->prev = d->next = NULL;
    pthread_mutex_unlock(&srv->defer_lock);
    pthread_mutex_lock(&d->lock);
    d->abandoned = 1;
    defer_unref_locked(d);
}

void defer_abandon_all(struct http_server *srv)
{
    unsigned n = 0;
    pthread_mutex_lock(&srv->defer_lock);
    srv->defer_closed = 1;
    for (struct http_defer *d = srv->deferred; d; d = d->next) {
        pthread_mutex_lock(&d->lock);
        if (!d->done && !d->abandoned) {
            d->abandoned = 1;
            n++;
            if (d->suspended) {
                d->suspended = 0;
                metric_gauge_add(d->waiting, -1.0);
                MHD_resume_connection(d->conn);
            }
        }
        pthread_mutex_unlock(&d->lock);
    }
    pthread_mutex_unlock(&srv->defer_lock);
    if (n)
        log_warn("http", "stopping: %u request(s) still waiting for their work; answered 503", n);
}

void http_handler_run(http_handler handler, struct http_req *req, struct http_resp *resp,
                      void *app)
{
    struct req_ctx rc;
    memset(&rc, 0, sizeof rc);
    req->rc_ = &rc;
    handler(req, resp, app);
    req->rc_ = NULL;
    struct http_defer *d = rc.defer;
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    while (!d->done)
        pthread_cond_wait(&d->done_cv, &d->lock);
    pthread_mutex_unlock(&d->lock);
    d->finish(d->ctx, resp);
    pthread_mutex_lock(&d->lock);
    d->abandoned = 1;
    defer_unref_locked(d);
}
