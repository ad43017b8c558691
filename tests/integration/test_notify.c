/* `srebot serve` under systemd's Type=notify (deploy/systemd/srebot.service):
 * the real daemon, given $NOTIFY_SOCKET naming a datagram socket this test
 * binds (as the service manager does), sends READY=1 once it serves,
 * WATCHDOG=1 pings at half of $WATCHDOG_USEC, and STOPPING=1 on SIGTERM. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

/* Receives the next datagram (5 s at most per wait, up to `tries` of them)
 * until one contains want. */
static int wait_for(int fd, const char *want, int tries, char *got, size_t gotlen)
{
    for (int i = 0; i < tries; i++) {
        ssize_t n = recv(fd, got, gotlen - 1, 0);
        if (n <= 0)
            return -1;
        got[n] = '\0';
        if (strstr(got, want))
            return 0;
    }
    return -1;
}

static void notify_ready_watchdog_stopping(void **state)
{
    (void)state;
    char dir[] = "/tmp/srebot-notify-XXXXXX";
    assert_int_equal(it_mkdtemp(dir), 0);
    char path[100], env_sock[160];
    snprintf(path, sizeof path, "%s/notify", dir);
    snprintf(env_sock, sizeof env_sock, "NOTIFY_SOCKET=%s", path);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {.tv_sec = 30}; /* an ASan start on a busy machine */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    const char *env[] = {env_sock, "WATCHDOG_USEC=400000", NULL};
    struct it_daemon d = {0};
    assert_int_equal(it_start(&d, env, NULL), 0);
    char got[600], want[64];
    assert_int_equal(wait_for(fd, "READY=1", 1, got, sizeof got), 0);
    snprintf(want, sizeof want, "serving on port %u", d.port);
    assert_non_null(strstr(got, want));
    assert_non_null(strstr(got, "MAINPID="));
    /* 400 ms watchdog: a ping every 200 ms while the store commits. */
    assert_int_equal(wait_for(fd, "WATCHDOG=1", 1, got, sizeof got), 0);
    assert_int_equal(wait_for(fd, "WATCHDOG=1", 1, got, sizeof got), 0);
    assert_int_equal(it_stop(&d), 0);
    assert_int_equal(wait_for(fd, "STOPPING=1", 20, got, sizeof got), 0);
    it_cleanup(&d);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(notify_ready_watchdog_stopping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
