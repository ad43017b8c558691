/* The edge of the real daemon against misbehaving clients, all on 127.0.0.1,
 * bounded in count (at most a few dozen sockets) and time:
 * - too many query parameters: 431 at once (not a 30 s hang);
 * - two different Content-Length values / two Authorization headers: 400;
 * - a header deadline that activity does not extend (slow-header and idle
 *   clients are cut at the deadline);
 * - a per-address connection cap, with /healthz still answered on the
 *   operations listener while the API's connections are all taken;
 * - event streams capped per token and in total (429 + Retry-After), and a
 *   closed stream's slot freed without waiting for a heartbeat;
 * - shutdown: new requests on kept-alive connections are refused and the
 *   answer in flight carries Connection: close;
 * - a slow commit holds no server thread: with the database write lock held by
 *   another process, more POSTs than HTTP threads (and an operator's transition
 *   and evidence, on the offload workers) wait for their commit while /healthz
 *   and reads are answered; none is acknowledged before the lock is released,
 *   and then each answers with its committed result. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"
#include "util/timeutil.h"

static int conn_to(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may have closed: the caller checks the answer */
        s += w;
        n -= (size_t)w;
    }
}

/* Reads until the end of the head plus a little, or EOF, or timeout_ms.
 * Returns bytes read (0: closed with nothing, -1: timed out with nothing). */
static int read_answer(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t len = 0;
    int64_t until = time_mono_ms() + timeout_ms;
    buf[0] = '\0';
    while (len + 1 < cap) {
        int64_t left = until - time_mono_ms();
        if (left <= 0)
            return len ? (int)len : -1;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            return len ? (int)len : -1;
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end && strstr(buf, "text/event-stream"))
            break; /* a stream's head: the body never ends */
        if (end && strstr(buf, "Content-Length:")) {
            long cl = atol(strstr(buf, "Content-Length:") + 15);
            if ((long)(len - (size_t)(end + 4 - buf)) >= cl)
                break;
        }
    }
    return (int)len;
}

static int status_of(const char *answer)
{
    return strncmp(answer, "HTTP/1.1 ", 9) == 0 ? atoi(answer + 9) : -1;
}

/* One request on a new connection; returns the status, -1 without an answer. */
static int raw_request(unsigned port, const char *req, char *buf, size_t cap, int timeout_ms)
{
    int fd = conn_to(port);
    if (fd < 0)
        return -1;
    send_all(fd, req);
    int n = read_answer(fd, buf, cap, timeout_ms);
    close(fd);
    return n > 0 ? status_of(buf) : -1;
}

/* 1 when the peer closed the socket within timeout_ms. */
static int closed_within(int fd, int timeout_ms)
{
    char b[512];
    int64_t until = time_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = until - time_mono_ms();
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, left > 0 ? (int)left : 0) <= 0)
            return 0;
        ssize_t r = recv(fd, b, sizeof b, 0);
        if (r <= 0)
            return 1;
    }
}

static void request_shape(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    static char buf[8192], req[65536];

    /* 64 parameters are fine, 65 and 6000 are 431 at once */
    for (int n = 64, k = 0; k < 3; k++, n = k == 1 ? 65 : 6000) {
        int off = snprintf(req, sizeof req, "GET /healthz?");
        for (int i = 0; i < n; i++)
            off += snprintf(req + off, sizeof req - (size_t)off, "%sa%d=1", i ? "&" : "", i);
        snprintf(req + off, sizeof req - (size_t)off, " HTTP/1.1\r\nHost: x\r\n\r\n");
        int64_t t0 = time_mono_ms();
        int st = raw_request(d.port, req, buf, sizeof buf, 5000);
        if (st != (n == 64 ? 200 : 431))
            fail_msg("%d parameters: %d (%s)", n, st, buf);
        assert_true(time_mono_ms() - t0 < 2000);
    }

    /* Content-Length twice with different values; Authorization twice */
    int st = raw_request(d.port,
                         "POST /api/v1/findings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " IT_ADMIN
                         "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                         "Content-Length: 40\r\n\r\n{}",
                         buf, sizeof buf, 5000);
    assert_int_equal(st, 400);
    assert_non_null(strstr(buf, "Content-Length"));
    assert_non_null(strstr(buf, "Connection: close"));
    st = raw_request(d.port,
                     "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " IT_ADMIN
                     "\r\nAuthorization: Bearer " IT_ADMIN "\r\n\r\n",
                     buf, sizeof buf, 5000);
    assert_int_equal(st, 400);
    assert_non_null(strstr(buf, "Authorization"));
    /* the same value twice is one length, not an ambiguity */
    st = raw_request(d.port,
                     "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " IT_ADMIN
                     "\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
                     buf, sizeof buf, 5000);
    assert_int_equal(st, 200);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

/* The operations listener's port from the daemon's log line. */
static unsigned ops_port(struct it_daemon *d)
{
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen(d->stderr_path, "r");
        char line[2048];
        while (f && fgets(line, sizeof line, f)) {
            const char *p = strstr(line, "operations listener on");
            if (p && (p = strstr(p, "port "))) {
                fclose(f);
                return (unsigned)atoi(p + 5);
            }
        }
        if (f)
            fclose(f);
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

#define NSLOW 24

static void slow_and_idle_clients(void **state)
{
    (void)state;
    struct it_daemon d;
    const char *const env[] = {"IF_SRE_HEADER_TIMEOUT_SECONDS=5",
                               "IF_SRE_MAX_CONNECTIONS_PER_CLIENT=" "24",
                               "IF_SRE_OPS_LISTEN=127.0.0.1:0", NULL};
    assert_int_equal(it_start(&d, env, NULL), 0);
    unsigned ops = ops_port(&d);
    assert_true(ops > 0);
    static char buf[8192];

    /* NSLOW clients take every connection this address may hold: half send a
     * header line every 300 ms (activity), half send nothing */
    int fds[NSLOW];
    for (int i = 0; i < NSLOW; i++) {
        fds[i] = conn_to(d.port);
        assert_true(fds[i] >= 0);
        if (i % 2 == 0)
            send_all(fds[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    }
    /* the API listener refuses this address now; the ops listener answers */
    int st = raw_request(d.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf, 1000);
    assert_int_not_equal(st, 200);
    for (int i = 0; i < 3; i++)
        assert_int_equal(raw_request(ops, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", buf,
                                     sizeof buf, 3000),
                         200);
    assert_int_equal(
        raw_request(ops, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf, 2000), 200);
    /* the ops listener serves nothing else */
    assert_int_equal(raw_request(ops,
                                 "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " IT_ADMIN
                                 "\r\n\r\n",
                                 buf, sizeof buf, 2000),
                     401);

    /* trickle headers for up to 12 s: past the 5 s deadline every slow client is
     * cut, whether it kept sending or not (5 s leaves room on a loaded machine for
     * the checks above to run while the clients still hold every connection) */
    int64_t start = time_mono_ms();
    int open_count = NSLOW;
    while (time_mono_ms() - start < 12000 && open_count > 0) {
        open_count = 0;
        for (int i = 0; i < NSLOW; i++) {
            if (fds[i] < 0)
                continue;
            if (closed_within(fds[i], 0)) {
                close(fds[i]);
                fds[i] = -1;
                continue;
            }
            open_count++;
            if (i % 2 == 0)
                send_all(fds[i], "X-Slow: 1\r\n");
        }
        struct timespec ts = {0, 300 * 1000000};
        nanosleep(&ts, NULL);
    }
    int64_t took = time_mono_ms() - start;
    for (int i = 0; i < NSLOW; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (open_count)
        fail_msg("%d of %d slow clients still connected after %lld ms", open_count, NSLOW,
                 (long long)took);
    /* and the API answers again */
    assert_int_equal(
        raw_request(d.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf, 2000),
        200);
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/metrics", NULL, NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "srebot_http_refused_total{reason=\"header_deadline\"}"));
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

static int open_stream(unsigned port, char *buf, size_t cap, int *status)
{
    int fd = conn_to(port);
    assert_true(fd >= 0);
    send_all(fd, "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " IT_ADMIN
                 "\r\nAccept: text/event-stream\r\n\r\n");
    int n = read_answer(fd, buf, cap, 3000);
    *status = n > 0 ? status_of(buf) : -1;
    return fd;
}

static void stream_caps(void **state)
{
    (void)state;
    static char buf[8192];
    /* per token */
    struct it_daemon d;
    const char *const env[] = {"IF_SRE_MAX_STREAMS_PER_TOKEN=2", NULL};
    assert_int_equal(it_start(&d, env, NULL), 0);
    int st, a = open_stream(d.port, buf, sizeof buf, &st);
    assert_int_equal(st, 200);
    int b = open_stream(d.port, buf, sizeof buf, &st);
    assert_int_equal(st, 200);
    int c = open_stream(d.port, buf, sizeof buf, &st);
    if (st != 429)
        fail_msg("third stream of one token: %d (%s)", st, buf);
    assert_non_null(strstr(buf, "Retry-After:"));
    assert_non_null(strstr(buf, "this token"));
    close(c);
    /* a closed stream gives its slot back within a poll or two */
    close(a);
    int got = 0;
    for (int i = 0; i < 20 && !got; i++) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
        c = open_stream(d.port, buf, sizeof buf, &st);
        got = st == 200;
        close(c);
    }
    assert_true(got);
    close(b);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);

    /* in total */
    const char *const env2[] = {"IF_SRE_MAX_STREAMS=1", NULL};
    assert_int_equal(it_start(&d, env2, NULL), 0);
    a = open_stream(d.port, buf, sizeof buf, &st);
    assert_int_equal(st, 200);
    b = open_stream(d.port, buf, sizeof buf, &st);
    assert_int_equal(st, 429);
    assert_non_null(strstr(buf, "the server holds"));
    close(b);
    close(a);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

static int is_zombie(pid_t pid)
{
    char path[64], s[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    int z = fgets(s, sizeof s, f) && strstr(s, ") Z ") != NULL;
    fclose(f);
    return z;
}

static void shutdown_closes_connections(void **state)
{
    (void)state;
    static char buf[8192];
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    /* a kept-alive connection that has been served once */
    int idle = conn_to(d.port);
    send_all(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(read_answer(idle, buf, sizeof buf, 2000) > 0);
    assert_int_equal(status_of(buf), 200);
    assert_null(strstr(buf, "Connection: close"));
    /* a request in flight: headers in, body not yet */
    static const char body[] =
        "{\"source\":\"probe\",\"class\":\"runtime_services.runtime_dependency_outage\","
        "\"correlation_key\":\"db-1\",\"severity\":\"high\",\"status\":\"firing\","
        "\"summary\":\"db down\"}";
    char head[512];
    snprintf(head, sizeof head,
             "POST /api/v1/findings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " IT_ADMIN
             "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
             sizeof body - 1);
    int busy = conn_to(d.port);
    send_all(busy, head);
    struct timespec ts = {0, 200 * 1000000};
    nanosleep(&ts, NULL);

    kill(d.pid, SIGTERM);
    nanosleep(&ts, NULL);
    /* the kept-alive connection gets no more service */
    send_all(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    int n = read_answer(idle, buf, sizeof buf, 3000);
    assert_int_not_equal(n, -1); /* answered or closed, not left waiting */
    if (n > 0) {
        assert_int_equal(status_of(buf), 503);
        assert_non_null(strstr(buf, "Connection: close"));
    }
    /* the answer in flight is the connection's last */
    send_all(busy, body);
    n = read_answer(busy, buf, sizeof buf, 3000);
    assert_true(n > 0);
    assert_int_equal(status_of(buf), 200);
    assert_non_null(strstr(buf, "Connection: close"));
    assert_true(closed_within(busy, 3000));
    close(busy);
    close(idle);
    for (int i = 0; i < 200 && !is_zombie(d.pid); i++)
        nanosleep(&(struct timespec){0, 50 * 1000000}, NULL);
    assert_true(is_zombie(d.pid)); /* exited on the one signal */
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

/* The value of an unlabelled metric in /metrics, -1 when absent. */
static double metric_value(struct it_daemon *d, const char *name)
{
    struct it_resp r;
    double v = -1;
    if (it_request(d, "GET", "/metrics", NULL, NULL, NULL, &r) == 200 && r.body) {
        char key[128];
        snprintf(key, sizeof key, "\n%s ", name);
        const char *p = strstr(r.body, key);
        if (p)
            v = atof(p + strlen(key));
    }
    it_resp_free(&r);
    return v;
}

#define NPOSTS 4 /* more than the daemon's 2 HTTP threads */

static void slow_commit_holds_no_thread(void **state)
{
    (void)state;
    static char buf[8192];
    struct it_daemon d;
    /* the writer waits for the lock instead of failing the writes after 5 s */
    const char *env[] = {"IF_SRE_STORE_LOCK_TIMEOUT_MS=120000", "IF_SRE_HTTP_THREADS=2", NULL};
    assert_int_equal(it_start(&d, env, NULL), 0);
    struct it_resp r;
    assert_int_equal(it_request(&d, "POST", "/api/v1/findings", IT_ADMIN,
                                "{\"source\":\"t\",\"class\":\"infrastructure.node_disk_pressure\","
                                "\"correlation_key\":\"warm-up\",\"severity\":\"info\","
                                "\"status\":\"firing\",\"summary\":\"warm up\"}",
                                NULL, &r),
                     200);
    it_resp_free(&r);

    /* another process takes the database's write lock: every commit now waits */
    char db_path[320];
    snprintf(db_path, sizeof db_path, "%s/srebot.db", d.data_dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 30000); /* the daemon's own writes come and go */
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    int fds[NPOSTS + 2];
    for (int i = 0; i < NPOSTS; i++) {
        char body[512], req[1024];
        int n = snprintf(body, sizeof body,
                         "{\"id\":\"slow-%d\",\"source\":\"t\","
                         "\"class\":\"infrastructure.node_disk_pressure\","
                         "\"correlation_key\":\"slow-key-%d\",\"severity\":\"high\","
                         "\"status\":\"firing\",\"summary\":\"slow commit %d\"}",
                         i, i, i);
        snprintf(req, sizeof req,
                 "POST /api/v1/findings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " IT_ADMIN
                 "\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                 n, body);
        fds[i] = conn_to(d.port);
        assert_true(fds[i] >= 0);
        send_all(fds[i], req);
    }
    /* an operator's transition and evidence wait on the offload workers */
    static const char *const op_body[2] = {"{\"to\":\"triaged\",\"reason\":\"looking\"}",
                                           "{\"type\":\"operator_note\",\"summary\":\"n\","
                                           "\"data\":{\"note\":\"slow\"}}"};
    static const char *const op_path[2] = {"/api/v1/incidents/1/transitions",
                                           "/api/v1/incidents/1/evidence"};
    for (int i = 0; i < 2; i++) {
        char req[1024];
        snprintf(req, sizeof req,
                 "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " IT_ADMIN
                 "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                 op_path[i], strlen(op_body[i]), op_body[i]);
        fds[NPOSTS + i] = conn_to(d.port);
        assert_true(fds[NPOSTS + i] >= 0);
        send_all(fds[NPOSTS + i], req);
    }
    /* every write is waiting for its commit, with no event-loop thread held:
     * the server still answers /metrics, which says so */
    double waiting = -1;
    for (int i = 0; i < 400 && waiting != NPOSTS + 2; i++) {
        waiting = metric_value(&d, "srebot_http_deferred");
        if (waiting != NPOSTS + 2)
            nanosleep(&(struct timespec){0, 25 * 1000000}, NULL);
    }
    assert_true(waiting == NPOSTS + 2);
    /* liveness and reads are answered meanwhile */
    assert_int_equal(it_request(&d, "GET", "/healthz", NULL, NULL, NULL, &r), 200);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents?q=slow-key", IT_ADMIN, NULL, NULL,
                                &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0); /* not committed */
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents/counts", IT_ADMIN, NULL, NULL, &r),
                     200);
    it_resp_free(&r);
    /* nothing is acknowledged before it is durable */
    for (int i = 0; i < NPOSTS + 2; i++) {
        struct pollfd p = {fds[i], POLLIN, 0};
        assert_int_equal(poll(&p, 1, 0), 0);
    }

    /* the lock goes: each POST answers with its committed result */
    assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    for (int i = 0; i < NPOSTS; i++) {
        assert_true(read_answer(fds[i], buf, sizeof buf, 30000) > 0);
        if (status_of(buf) != 200)
            fail_msg("POST %d: %s", i, buf);
        char want[64];
        snprintf(want, sizeof want, "\"finding_id\":\"slow-%d\"", i);
        assert_non_null(strstr(buf, want));
        assert_non_null(strstr(buf, "\"outcome\":\"opened\""));
        close(fds[i]);
    }
    for (int i = NPOSTS; i < NPOSTS + 2; i++) {
        assert_true(read_answer(fds[i], buf, sizeof buf, 30000) > 0);
        if (status_of(buf) != (i == NPOSTS ? 200 : 201)) /* moved; evidence created */
            fail_msg("%s: %s", op_path[i - NPOSTS], buf);
        close(fds[i]);
    }
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents/1", IT_ADMIN, NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "triaged");
    assert_int_equal(json_array_size(json_object_get(r.json, "evidence")), 1);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents?q=slow-key", IT_ADMIN, NULL, NULL,
                                &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), NPOSTS);
    it_resp_free(&r);
    assert_true(metric_value(&d, "srebot_http_deferred") == 0);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_shape),
        cmocka_unit_test(slow_and_idle_clients),
        cmocka_unit_test(stream_caps),
        cmocka_unit_test(shutdown_closes_connections),
        cmocka_unit_test(slow_commit_holds_no_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
