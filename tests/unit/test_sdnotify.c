/* The sd_notify protocol sender (src/util/sdnotify.c) against a datagram
 * socket this test binds, as systemd's manager would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/sdnotify.h"

/* Binds a datagram socket at path ("@x" = abstract) with a receive timeout. */
static int bind_listener(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t len = strlen(name);
    memcpy(a.sun_path, name, len);
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (name[0] == '@')
        a.sun_path[0] = '\0';
    else
        alen++;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, alen), 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void recv_expect(int fd, const char *want)
{
    char buf[600];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void test_path_socket(void **state)
{
    (void)state;
    char dir[] = "/tmp/sdnotify.XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/notify", dir);
    int fd = bind_listener(path);
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n, path, 0), 0);
    assert_int_equal(sdnotify_send(&n, "READY=1\nSTATUS=serving"), 0);
    recv_expect(fd, "READY=1\nSTATUS=serving");
    assert_int_equal(sdnotify_send(&n, "STOPPING=1"), 0);
    recv_expect(fd, "STOPPING=1");
    /* No watchdog interval: starting it is a no-op. */
    assert_int_equal(sdnotify_watchdog_start(&n, NULL, NULL), 0);
    assert_int_equal(n.watchdog_running, 0);
    sdnotify_close(&n);
    close(fd);
    unlink(path);
    rmdir(dir);
}

static void test_abstract_socket_from_env(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "@srebot-test-notify-%ld", (long)getpid());
    int fd = bind_listener(name);
    setenv("NOTIFY_SOCKET", name, 1);
    setenv("WATCHDOG_USEC", "1000000", 1);
    setenv("WATCHDOG_PID", "1", 1); /* not us: the watchdog is someone else's */
    struct sdnotify n;
    assert_int_equal(sdnotify_from_env(&n), 0);
    assert_null(getenv("NOTIFY_SOCKET")); /* children must not notify for us */
    assert_null(getenv("WATCHDOG_USEC"));
    assert_int_equal(n.watchdog_usec, 0);
    assert_int_equal(sdnotify_send(&n, "READY=1"), 0);
    recv_expect(fd, "READY=1");
    sdnotify_close(&n);
    close(fd);
}

static int health_flag;
static int healthy(void *ctx) { return __atomic_load_n((int *)ctx, __ATOMIC_SEQ_CST); }

static void test_watchdog_pings_only_while_healthy(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "@srebot-test-wd-%ld", (long)getpid());
    int fd = bind_listener(name);
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n, name, 40000), 0); /* 40 ms: pings every 20 ms */
    health_flag = 1;
    assert_int_equal(sdnotify_watchdog_start(&n, healthy, &health_flag), 0);
    recv_expect(fd, "WATCHDOG=1");
    recv_expect(fd, "WATCHDOG=1");
    __atomic_store_n(&health_flag, 0, __ATOMIC_SEQ_CST); /* unhealthy: the pings stop (one in flight may still land) */
    usleep(100000);
    char buf[64];
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
    usleep(150000);
    assert_true(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0);
    sdnotify_close(&n); /* joins the thread promptly */
    close(fd);
}

static void test_off_and_invalid(void **state)
{
    (void)state;
    struct sdnotify n;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(sdnotify_from_env(&n), 0);
    assert_int_equal(sdnotify_send(&n, "READY=1"), 0); /* off: a no-op */
    sdnotify_close(&n);
    assert_int_equal(sdnotify_init(&n, "relative/path", 0), -1);
    sdnotify_close(&n);
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(sdnotify_init(&n, longname, 0), -1);
    sdnotify_close(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_socket),
        cmocka_unit_test(test_abstract_socket_from_env),
        cmocka_unit_test(test_watchdog_pings_only_while_healthy),
        cmocka_unit_test(test_off_and_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
