/* The systemd service notification protocol (sd_notify(3)), without libsystemd:
 * a datagram of "KEY=value\n" lines sent to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). Used by
 * `srebot serve` for Type=notify: READY=1 once it serves, STOPPING=1 when it
 * begins to drain, WATCHDOG=1 while it is healthy (WatchdogSec=).
 *
 *   struct sdnotify n;
 *   sdnotify_from_env(&n);            // reads and unsets NOTIFY_SOCKET, WATCHDOG_*
 *   sdnotify_send(&n, "READY=1\nSTATUS=serving");
 *   sdnotify_watchdog_start(&n, healthy_fn, ctx);   // pings at half the interval
 *   ...
 *   sdnotify_send(&n, "STOPPING=1");
 *   sdnotify_close(&n);               // stops the watchdog thread first
 *
 * Without $NOTIFY_SOCKET every call is a no-op returning 0, so the daemon runs
 * the same outside systemd. */
#ifndef SREBOT_UTIL_SDNOTIFY_H
#define SREBOT_UTIL_SDNOTIFY_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sdnotify {
    int fd;                         /* -1: notifications off */
    struct sockaddr_un addr;
    socklen_t addr_len;
    uint64_t watchdog_usec;         /* 0: no watchdog asked for */
    int (*healthy)(void *ctx);      /* the watchdog pings only while this says 1 */
    void *healthy_ctx;
    pthread_t watchdog;
    int watchdog_running;
    pthread_mutex_t lock;           /* guards stop */
    pthread_cond_t cond;
    int stop;
};

/* Sets up from the environment and removes the variables (children must not
 * notify in our name). Returns 0; -1 with n off when $NOTIFY_SOCKET is unusable
 * (too long, socket() failed): the caller logs it and carries on. */
int sdnotify_from_env(struct sdnotify *n);
/* The same from explicit values (tests): socket_name NULL = off. */
int sdnotify_init(struct sdnotify *n, const char *socket_name, uint64_t watchdog_usec);
/* Sends one state message (at most 512 bytes). 0 on success or when off. */
int sdnotify_send(struct sdnotify *n, const char *state);
/* Starts the watchdog thread when a watchdog interval was given: WATCHDOG=1
 * every interval/2 while healthy(ctx) returns 1 (healthy NULL = always). A
 * daemon whose store writer hangs stops pinging and systemd restarts it. */
int sdnotify_watchdog_start(struct sdnotify *n, int (*healthy)(void *ctx), void *ctx);
void sdnotify_close(struct sdnotify *n);

#endif
