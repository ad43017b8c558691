/* Offloaded handlers: routes marked HTTP_ROUTE_BLOCKING (their handler waits
 * for a commit, or reads for a while) run on a small pool of worker threads
 * while their connection is suspended, so the event-loop threads keep
 * answering everyone else (/healthz, reads) however long they wait.
 *
 * The pool is bounded twice: HTTP_OFFLOAD_WORKERS workers, and a queue of
 * HTTP_OFFLOAD_QUEUE jobs; a job that finds the queue full is answered 503 with
 * Retry-After at once. A job is a deferred answer (server_defer.c): the worker
 * fills the response and calls http_defer_done; the resumed connection sends it.
 *
 * The request a worker reads (path, body, principal, route parameters, headers
 * and query through the connection) stays valid while it runs: the connection
 * is suspended until the job is done, and the server joins the workers before
 * it gives up on deferred requests at stop (server.c).
 */
#include <stdlib.h>
#include <string.h>

#include "http/server_internal.h"
#include "util/log.h"

struct offload_job {
    http_handler handler;
    void *app;
    struct http_req req;
    struct http_resp resp;
    struct http_defer *d;
    struct offload_job *next;
};

struct offload_pool {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    struct offload_job *head, *tail;
    unsigned depth;
    int stop;
    pthread_t threads[HTTP_OFFLOAD_WORKERS];
    unsigned nthreads;
};

static void resp_release(struct http_resp *resp)
{
    json_decref(resp->json);
    free(resp->raw);
    if (resp->stream_free)
        resp->stream_free(resp->stream_ctx);
    memset(resp, 0, sizeof *resp);
}

static void job_finish(void *ctx, struct http_resp *resp)
{
    struct offload_job *job = ctx;
    *resp = job->resp; /* moved: the server sends and frees it */
    memset(&job->resp, 0, sizeof job->resp);
}

static void job_free(void *ctx)
{
    struct offload_job *job = ctx;
    resp_release(&job->resp);
    free(job);
}

static void *worker_main(void *arg)
{
    struct offload_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->cv, &p->lock);
        struct offload_job *job = p->head;
        if (!job)
            break; /* stopping, and the queue is empty */
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        p->depth--;
        pthread_mutex_unlock(&p->lock);
        job->handler(&job->req, &job->resp, job->app);
        http_defer_done(job->d); /* from here the job belongs to the deferral */
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int offload_start(struct http_server *srv)
{
    struct offload_pool *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cv, NULL);
    srv->offload = p;
    for (; p->nthreads < HTTP_OFFLOAD_WORKERS; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker_main, p) != 0) {
            offload_stop(srv);
            return -1;
        }
    return 0;
}

void offload_stop(struct http_server *srv)
{
    struct offload_pool *p = srv->offload;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL); /* they run what is queued first */
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->lock);
    free(p);
    srv->offload = NULL;
}

int offload_submit(struct http_server *srv, http_handler handler, const struct http_req *req)
{
    struct offload_pool *p = srv->offload;
    struct offload_job *job = calloc(1, sizeof *job);
    if (!job)
        return -1;
    job->handler = handler;
    job->app = srv->app;
    job->req = *req;
    /* route parameters point into the request state, which outlives the job */
    job->d = http_req_defer(&job->req, job_finish, job_free, job);
    if (!job->d) {
        free(job);
        return -1;
    }
    pthread_mutex_lock(&p->lock);
    int full = p->depth >= HTTP_OFFLOAD_QUEUE || p->stop;
    if (!full) {
        if (p->tail)
            p->tail->next = job;
        else
            p->head = job;
        p->tail = job;
        p->depth++;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->lock);
    if (full) {
        guard_refused(srv, "offload_queue_full");
        http_resp_error(&job->resp, 503, "unavailable",
                        "too many requests are waiting for the store; retry later");
        http_resp_header(&job->resp, "Retry-After", "1");
        http_defer_done(job->d);
    }
    return 0;
}
