#include "util/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int sdnotify_init(struct sdnotify *n, const char *socket_name, uint64_t watchdog_usec)
{
    memset(n, 0, sizeof *n);
    n->fd = -1;
    pthread_mutex_init(&n->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (!socket_name || !socket_name[0])
        return 0;
    size_t len = strlen(socket_name);
    /* "@name" is the abstract namespace: a leading NUL byte, no terminator. */
    if ((socket_name[0] != '/' && socket_name[0] != '@') || len >= sizeof n->addr.sun_path)
        return -1;
    n->addr.sun_family = AF_UNIX;
    memcpy(n->addr.sun_path, socket_name, len);
    if (socket_name[0] == '@') {
        n->addr.sun_path[0] = '\0';
        n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    } else {
        n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    }
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (n->fd < 0)
        return -1;
    n->watchdog_usec = watchdog_usec;
    return 0;
}

int sdnotify_from_env(struct sdnotify *n)
{
    const char *sock = getenv("NOTIFY_SOCKET");
    const char *usec = getenv("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");
    uint64_t wd = 0;
    /* The watchdog is ours only when WATCHDOG_PID is unset or names us. */
    if (usec && (!pid || strtol(pid, NULL, 10) == (long)getpid())) {
        char *end;
        unsigned long long v = strtoull(usec, &end, 10);
        if (*end == '\0' && v > 0 && v < 24ull * 3600 * 1000000)
            wd = v;
    }
    char name[sizeof n->addr.sun_path + 1] = "";
    if (sock && strlen(sock) < sizeof name)
        memcpy(name, sock, strlen(sock) + 1);
    int too_long = sock && strlen(sock) >= sizeof name;
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    int rc = sdnotify_init(n, name[0] ? name : NULL, wd);
    return too_long ? -1 : rc;
}

int sdnotify_send(struct sdnotify *n, const char *state)
{
    if (n->fd < 0)
        return 0;
    size_t len = strlen(state);
    if (len > 512)
        return -1;
    ssize_t w;
    do
        w = sendto(n->fd, state, len, MSG_NOSIGNAL, (const struct sockaddr *)&n->addr,
                   n->addr_len);
    while (w < 0 && errno == EINTR);
    return w == (ssize_t)len ? 0 : -1;
}

static void *watchdog_main(void *arg)
{
    struct sdnotify *n = arg;
    uint64_t half_ns = n->watchdog_usec * 500;
    pthread_mutex_lock(&n->lock);
    while (!n->stop) {
        pthread_mutex_unlock(&n->lock);
        if (!n->healthy || n->healthy(n->healthy_ctx))
            sdnotify_send(n, "WATCHDOG=1");
        pthread_mutex_lock(&n->lock);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + half_ns;
        until.tv_sec += (time_t)(ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
        while (!n->stop && pthread_cond_timedwait(&n->cond, &n->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

int sdnotify_watchdog_start(struct sdnotify *n, int (*healthy)(void *ctx), void *ctx)
{
    if (n->fd < 0 || n->watchdog_usec == 0 || n->watchdog_running)
        return 0;
    n->healthy = healthy;
    n->healthy_ctx = ctx;
    if (pthread_create(&n->watchdog, NULL, watchdog_main, n) != 0)
        return -1;
    n->watchdog_running = 1;
    return 0;
}

void sdnotify_close(struct sdnotify *n)
{
    if (n->watchdog_running) {
        pthread_mutex_lock(&n->lock);
        n->stop = 1;
        pthread_cond_signal(&n->cond);
        pthread_mutex_unlock(&n->lock);
        pthread_join(n->watchdog, NULL);
        n->watchdog_running = 0;
    }
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
    pthread_cond_destroy(&n->cond);
    pthread_mutex_destroy(&n->lock);
}
