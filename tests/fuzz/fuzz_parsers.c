/* libFuzzer target: the small parsers of a request, fast and without a server
 * (fuzz_http_request drives them through the real one): the router over the
 * real route table, percent-decoding that keeps "%00", strict integers,
 * cursors and RFC 3339 times. The first byte picks the parser.
 * Invariants: the router answers FOUND with a route of that method and
 * parameters that are non-empty, or NOT_FOUND / NO_METHOD with an Allow list;
 * decoding never grows the text nor yields a NUL; an accepted integer prints
 * back as its text (without leading zeros) and a cursor as its parts; an
 * accepted time prints and parses back to the same instant. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "http/router.h"
#include "http/strict.h"
#include "util/parse.h"
#include "util/timeutil.h"

static void route(const char *text)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};
    const char *method = methods[(unsigned char)text[0] % 5];
    const char *path = text[0] ? text + 1 : text;
    struct route_match m;
    char allow[96];
    enum router_result rr = router_find(api_routes, method, path, &m, allow, sizeof allow);
    if (rr == ROUTER_FOUND) {
        /* HEAD is served by the GET route */
        const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
        if (!m.route || strcmp(m.route->method, want) != 0 || m.nparams > HTTP_MAX_PARAMS)
            abort();
        for (size_t i = 0; i < m.nparams; i++)
            if (!m.values[i][0] && strcmp(m.names[i], "file") != 0)
                abort(); /* a path parameter is never empty */
    } else if (rr == ROUTER_NO_METHOD && !allow[0]) {
        abort(); /* 405 names what is allowed */
    }
}

static void unescape(char *text)
{
    size_t before = strlen(text);
    size_t n = http_unescape_keep_nul(NULL, NULL, text);
    if (n > before || strlen(text) != n)
        abort();
}

static void integer(const char *text)
{
    int64_t v;
    if (parse_int64_str(text, INT64_MIN, INT64_MAX, &v) != 0)
        return;
    const char *digits = text[0] == '-' ? text + 1 : text;
    while (digits[0] == '0' && digits[1])
        digits++;
    char back[32];
    snprintf(back, sizeof back, "%s%s", text[0] == '-' && strcmp(digits, "0") ? "-" : "", digits);
    char printed[32];
    snprintf(printed, sizeof printed, "%" PRId64, v);
    if (strcmp(back, printed) != 0)
        abort();
}

static void cursor(const char *text)
{
    int64_t part[3];
    if (parse_int64_dotted(text, part, 3) != 0)
        return;
    char printed[80];
    snprintf(printed, sizeof printed, "%" PRId64 ".%" PRId64 ".%" PRId64, part[0], part[1],
             part[2]);
    int64_t again[3];
    if (parse_int64_dotted(printed, again, 3) != 0 || memcmp(part, again, sizeof part) != 0)
        abort();
}

static void rfc3339(const char *text)
{
    int64_t ms, back;
    if (time_parse_rfc3339(text, &ms) != 0)
        return;
    char printed[40];
    time_format_rfc3339(ms, printed, sizeof printed);
    if (time_parse_rfc3339(printed, &back) != 0 || back != ms)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    switch (data[0] % 5) {
    case 0: route(text); break;
    case 1: unescape(text); break;
    case 2: integer(text); break;
    case 3: cursor(text); break;
    default: rfc3339(text); break;
    }
    free(text);
    return 0;
}
