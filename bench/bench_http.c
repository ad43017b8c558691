/* HTTP server throughput: the real server (libmicrohttpd, epoll, thread pool)
 * with a real SQLite store, driven by plain keep-alive sockets from client
 * threads in the same process (so client and server share the machine's cores,
 * as the perf anchors do).
 *
 *   bench_http [seconds=3] [connections=16] [server_threads=2]
 *
 * Reports requests/s for /healthz (no auth), GET /api/v1/whoami (token hash +
 * store lookup per request) and the access-log cost (info vs off). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/app.h"
#include "api/ops.h"
#include "api/routes.h"
#include "api/auth.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timeutil.h"

static unsigned port;
static atomic_int stop;

struct client {
    const char *request;
    size_t reqlen;
    uint64_t done, errors;
    uint64_t lat_ns_max;
};

/* Reads one response: headers then Content-Length bytes. 0 on success. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + have, cap - have - 1, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
        size_t total = (size_t)(end + 4 - buf) + body;
        while (have < total) {
            n = recv(fd, buf + have, cap - have - 1, 0);
            if (n <= 0)
                return -1;
            have += (size_t)n;
        }
        return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
    }
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        c->errors++;
        close(fd);
        return NULL;
    }
    static _Thread_local char buf[65536];
    while (!atomic_load(&stop)) {
        uint64_t t0 = time_mono_ns();
        if (send(fd, c->request, c->reqlen, MSG_NOSIGNAL) != (ssize_t)c->reqlen ||
            read_response(fd, buf, sizeof buf) != 0) {
            c->errors++;
            break;
        }
        uint64_t dt = time_mono_ns() - t0;
        if (dt > c->lat_ns_max)
            c->lat_ns_max = dt;
        c->done++;
    }
    close(fd);
    return NULL;
}

static void run(const char *label, const char *request, int seconds, int conns)
{
    struct client *cl = calloc((size_t)conns, sizeof *cl);
    pthread_t *th = calloc((size_t)conns, sizeof *th);
    atomic_store(&stop, 0);
    uint64_t t0 = time_mono_ns();
    for (int i = 0; i < conns; i++) {
        cl[i].request = request;
        cl[i].reqlen = strlen(request);
        pthread_create(&th[i], NULL, client_main, &cl[i]);
    }
    sleep((unsigned)seconds);
    atomic_store(&stop, 1);
    uint64_t done = 0, errors = 0, maxlat = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(th[i], NULL);
        done += cl[i].done;
        errors += cl[i].errors;
        if (cl[i].lat_ns_max > maxlat)
            maxlat = cl[i].lat_ns_max;
    }
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    printf("%-34s %9.0f req/s  (%llu requests, %llu errors, max latency %.1f ms)\n", label,
           (double)done / secs, (unsigned long long)done, (unsigned long long)errors,
           (double)maxlat / 1e6);
    fflush(stdout);
    free(cl);
    free(th);
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 3;
    int conns = argc > 2 ? atoi(argv[2]) : 16;
    unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/srebot-bench-http-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/bench.db", dir);
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = url;
    struct store *store = NULL;
    char err[256];
    if (store_open(&sc, &store, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "store: %s\n", err);
        return 1;
    }
    struct app app = {0};
    app.store = store;
    app.metrics = metrics_create(); /* as the daemon: requests are counted */
    app.started_at_ms = time_now_ms();
    store_metrics_register(store, app.metrics);
    ops_init(&app);
    char token[AUTH_TOKEN_BUF];
    if (auth_token_create(store, "bench", "bench", ROLE_VIEWER, 0, token, err, sizeof err) != 0) {
        fprintf(stderr, "token: %s\n", err);
        return 1;
    }
    struct http_config hc = {.listen = "127.0.0.1:0", .max_body_bytes = 1 << 20,
                             .max_connections = 1024, .connection_timeout_s = 30,
                             .threads = threads, .authenticate = api_authenticate,
                             .auth_ctx = &app, .metrics = app.metrics};
    struct http_server *srv = NULL;
    if (http_server_start(&hc, api_routes, &app, &srv, err, sizeof err) != 0) {
        fprintf(stderr, "http: %s\n", err);
        return 1;
    }
    port = http_server_port(srv);
    /* The access log goes where the daemon's would, but not to the terminal. */
    if (!freopen("/dev/null", "w", stderr))
        return 1;
    printf("bench_http: %d s per run, %d keep-alive connections, %u server threads\n", seconds,
           conns, threads);
    char whoami[256];
    snprintf(whoami, sizeof whoami,
             "GET /api/v1/whoami HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer %s\r\n\r\n", token);
    const char *healthz = "GET /healthz HTTP/1.1\r\nHost: b\r\n\r\n";
    run("GET /healthz (access log on)", healthz, seconds, conns);
    run("GET /api/v1/whoami (access log on)", whoami, seconds, conns);
    log_set_level(LOG_WARN);
    run("GET /healthz (access log off)", healthz, seconds, conns);
    run("GET /api/v1/whoami (access log off)", whoami, seconds, conns);
    http_server_stop(srv);
    store_close(store);
    char path[160];
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/bench.db%s", dir, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}
