/* libFuzzer target: a whole HTTP request, as bytes on a socket, to the real
 * server (libmicrohttpd, the router, authentication, the query-string, cursor,
 * integer and header parsers, the NUL refusal, the handlers and the store's
 * read paths behind them: lists with filters, counts, detail, timeline, policy
 * versions), all over a real ledger (fuzz_app.h). "@TOKEN@" in the input stands
 * for a valid admin token, so seeds reach the handlers.
 * Checks: every answer starts with an HTTP status line whose status is one the
 * API uses, an API answer of 4xx/5xx has the error shape, and the server still
 * answers /healthz after each input (no hang, no crash, no leak). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fuzz_app.h"

#define MAX_REQUEST (64 * 1024)

static int connect_server(long timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        abort();
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fuzz_env.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        abort();
    return fd;
}

/* Reads until the peer closes, the timeout passes, or a whole answer with a
 * Content-Length is in. */
static size_t read_answer(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
        buf[n] = '\0';
        const char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        if (end && cl && cl < end && (size_t)(end + 4 - buf) + (size_t)atol(cl + 17) <= n)
            break;
    }
    buf[n] = '\0';
    return n;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return; /* the server may close early (413, 400): fine */
        p += k;
        n -= (size_t)k;
    }
}

static void check_answer(const char *ans, size_t n)
{
    if (n == 0)
        return; /* closed without an answer (a malformed request line) or still streaming */
    int status = 0;
    if (sscanf(ans, "HTTP/1.%*c %3d", &status) != 1 || status < 100 || status > 599) {
        fprintf(stderr, "not an HTTP answer: %.200s\n", ans);
        abort();
    }
    const char *body = strstr(ans, "\r\n\r\n");
    if (status >= 400 && body && strstr(ans, "Content-Type: application/json")) {
        json_t *doc = json_loads(body + 4, JSON_DISABLE_EOF_CHECK, NULL);
        json_t *e = json_object_get(doc, "error");
        if (doc && (!json_is_string(json_object_get(e, "code")) ||
                    !json_is_array(json_object_get(e, "details")))) {
            fprintf(stderr, "an error without the error shape: %.300s\n", ans);
            abort();
        }
        json_decref(doc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_REQUEST)
        return 0;
    fuzz_app(1);
    /* the request, "@TOKEN@" replaced */
    static char req[2 * MAX_REQUEST];
    size_t n = 0;
    for (size_t i = 0; i < size;) {
        if (size - i >= 7 && memcmp(data + i, "@TOKEN@", 7) == 0) {
            memcpy(req + n, FUZZ_ADMIN_TOKEN, sizeof FUZZ_ADMIN_TOKEN - 1);
            n += sizeof FUZZ_ADMIN_TOKEN - 1;
            i += 7;
        } else {
            req[n++] = (char)data[i++];
        }
    }
    static char ans[256 * 1024];
    /* an event stream never ends: a short wait, then the answer so far */
    int fd = connect_server(100);
    send_all(fd, req, n);
    shutdown(fd, SHUT_WR); /* all of it is sent: an incomplete request ends here */
    size_t got = read_answer(fd, ans, sizeof ans);
    close(fd);
    check_answer(ans, got);

    /* the server is still there */
    static const char health[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    fd = connect_server(5000);
    send_all(fd, health, sizeof health - 1);
    got = read_answer(fd, ans, sizeof ans);
    close(fd);
    if (strncmp(ans, "HTTP/1.1 200", 12) != 0) {
        fprintf(stderr, "/healthz after the input: %.200s\n", ans);
        abort();
    }
    return 0;
}
