#include "sources/netutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/timeutil.h"

int net_split_hostport(const char *target, char *host, size_t hostlen, char *port,
                       size_t portlen)
{
    const char *colon;
    const char *h = target;
    size_t hl;
    if (target[0] == '[') {
        const char *rb = strchr(target, ']');
        if (!rb || rb[1] != ':')
            return -1;
        h = target + 1;
        hl = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(target, ':');
        if (!colon || strchr(target, ':') != colon)
            return -1;
        hl = (size_t)(colon - target);
    }
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (hl == 0 || hl >= hostlen || pl == 0 || pl >= portlen || pl > 5)
        return -1;
    for (size_t i = 0; i < pl; i++)
        if (p[i] < '0' || p[i] > '9')
            return -1;
    if (atoi(p) < 1 || atoi(p) > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    memcpy(port, p, pl + 1);
    return 0;
}

/* Shared by the caller and every lookup thread it started (each holds a
 * reference), so abandoned lookups may outlive the sources worker. */
struct net_resolver {
    atomic_int pending; /* lookups started and not yet finished */
    atomic_int refs;
};

struct net_resolver *net_resolver_create(void)
{
    struct net_resolver *r = calloc(1, sizeof *r);
    if (r)
        atomic_init(&r->refs, 1);
    return r;
}

void net_resolver_release(struct net_resolver *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1)
        free(r);
}

int net_resolver_pending(struct net_resolver *r) { return r ? atomic_load(&r->pending) : 0; }

struct gai_job {
    struct net_resolver *owner; /* one reference */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, abandoned, rc;
    struct addrinfo hints;
    struct addrinfo *res;
    char host[256];
    char port[16];
};

/* Ends a job: the lookup no longer counts as pending. */
static void job_free(struct gai_job *j)
{
    atomic_fetch_sub(&j->owner->pending, 1);
    net_resolver_release(j->owner);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

static void *gai_thread(void *arg)
{
    struct gai_job *j = arg;
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(j->host, j->port[0] ? j->port : NULL, &j->hints, &res);
    pthread_mutex_lock(&j->mu);
    j->rc = rc;
    j->res = res;
    j->done = 1;
    int abandoned = j->abandoned;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (abandoned) {
        if (res)
            freeaddrinfo(res);
        job_free(j);
    }
    return NULL;
}

int net_resolve(struct net_resolver *r, const char *host, const char *port, int family,
                int timeout_ms, struct addrinfo **res, char *err, size_t errlen)
{
    if (strlen(host) >= sizeof((struct gai_job *)0)->host ||
        (port && strlen(port) >= sizeof((struct gai_job *)0)->port)) {
        snprintf(err, errlen, "name too long");
        return -1;
    }
    if (atomic_load(&r->pending) >= NET_MAX_PENDING) {
        snprintf(err, errlen, "resolver busy: %d lookups still pending", NET_MAX_PENDING);
        return -1;
    }
    struct gai_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->owner = r;
    atomic_fetch_add(&r->refs, 1);
    atomic_fetch_add(&r->pending, 1);
    pthread_mutex_init(&j->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cv, &ca);
    pthread_condattr_destroy(&ca);
    snprintf(j->host, sizeof j->host, "%s", host);
    snprintf(j->port, sizeof j->port, "%s", port ? port : "");
    j->hints.ai_family = family;
    j->hints.ai_socktype = SOCK_STREAM;
    j->hints.ai_flags = AI_ADDRCONFIG;

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t t;
    int prc = pthread_create(&t, &attr, gai_thread, j);
    pthread_attr_destroy(&attr);
    if (prc != 0) {
        job_free(j);
        snprintf(err, errlen, "cannot start resolver thread: %s", strerror(prc));
        return -1;
    }

    struct timespec ts;
    time_deadline_in(&ts, timeout_ms);
    pthread_mutex_lock(&j->mu);
    while (!j->done) {
        if (pthread_cond_timedwait(&j->cv, &j->mu, &ts) == ETIMEDOUT)
            break;
    }
    if (!j->done) {
        j->abandoned = 1; /* the thread frees the job */
        pthread_mutex_unlock(&j->mu);
        snprintf(err, errlen, "resolving %s timed out after %d ms", host, timeout_ms);
        return -1;
    }
    pthread_mutex_unlock(&j->mu);
    int rc = j->rc;
    struct addrinfo *found = j->res;
    job_free(j);
    if (rc != 0) {
        snprintf(err, errlen, "resolving %s: %s", host, gai_strerror(rc));
        return -1;
    }
    *res = found;
    return 0;
}

/* Non-blocking connect bounded by the remaining time; the socket goes back to blocking. */
static int connect_one(const struct addrinfo *ai, int64_t deadline, char *err, size_t errlen)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    for (;;) {
        int64_t left = deadline - time_mono_ms();
        if (left <= 0) {
            snprintf(err, errlen, "connect: timed out");
            close(fd);
            return -1;
        }
        struct pollfd pfd = {fd, POLLOUT, 0};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            snprintf(err, errlen, "connect: timed out");
            close(fd);
            return -1;
        }
        break;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
        snprintf(err, errlen, "connect: %s", strerror(soerr ? soerr : errno));
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

int net_connect(struct net_resolver *r, const char *host, const char *port, int timeout_ms,
                char *err, size_t errlen)
{
    int64_t deadline = time_mono_ms() + timeout_ms;
    struct addrinfo *res = NULL;
    if (net_resolve(r, host, port, AF_UNSPEC, timeout_ms, &res, err, errlen) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        if (deadline - time_mono_ms() <= 0) {
            snprintf(err, errlen, "connect: timed out");
            break;
        }
        fd = connect_one(ai, deadline, err, errlen);
    }
    freeaddrinfo(res);
    return fd;
}
