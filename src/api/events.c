/* GET /api/v1/events: the outbox as Server-Sent Events.
 *
 *   id: 42
 *   event: sre.incident.opened
 *   data: {"id":"evt_42","type":"sre.incident.opened","time":"...","subject":"incident/12","data":{...}}
 *
 * Resumes after Last-Event-ID (header) or ?last_event_id= (EventSource reconnects
 * send the header; the console's first connect uses the query); without either
 * it starts at the newest event. The stream reads the outbox table, so a client
 * that reconnects after a restart misses nothing still stored. The callback never
 * blocks: with nothing new it returns 0 and the server polls again (or sooner,
 * when the ledger commits events and wakes the streams). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ledger_api.h"
#include "ledger/ledger.h"
#include "ledger/views.h"
#include "util/parse.h"
#include "util/timeutil.h"

#define SSE_BATCH 100
#define SSE_KEEPALIVE_MS 15000

struct sse {
    struct app *app;
    int64_t last;          /* seq of the last event written */
    char *buf;             /* pending bytes */
    size_t len, off, cap;
    int64_t last_write_ms; /* monotonic */
};

static int append(struct sse *s, const char *data, size_t n)
{
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b)
            return -1;
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return 0;
}

static int add_event(const struct outbox_row *r, void *ud)
{
    struct sse *s = ud;
    json_t *env = event_envelope_json(r);
    char *text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    if (!text)
        return 1;
    char head[160];
    int n = snprintf(head, sizeof head, "id: %lld\nevent: %s\ndata: ", (long long)r->seq,
                     r->type ? r->type : "");
    int bad = n < 0 || append(s, head, (size_t)n) || append(s, text, strlen(text)) ||
              append(s, "\n\n", 2);
    free(text);
    if (bad)
        return 1;
    s->last = r->seq;
    return 0;
}

static long sse_stream(void *ctx, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct sse *s = ctx;
    if (s->off == s->len) {
        s->off = s->len = 0;
        struct ledger *l = s->app->ledger;
        /* a failed read is retried on the next poll; the stream stays open */
        if (l && ledger_outbox_head(l) > s->last)
            ledger_events_after(l, s->last, SSE_BATCH, add_event, s);
        if (s->len == 0 && time_mono_ms() - s->last_write_ms >= SSE_KEEPALIVE_MS)
            append(s, ": keep-alive\n\n", sizeof ": keep-alive\n\n" - 1);
        if (s->len == 0)
            return 0;
    }
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(buf, s->buf + s->off, n);
    s->off += n;
    s->last_write_ms = time_mono_ms();
    return (long)n;
}

static void sse_free(void *ctx)
{
    struct sse *s = ctx;
    if (s)
        free(s->buf);
    free(s);
}

/* "42" or "evt_42"; -1 when malformed or out of range. */
static int64_t parse_event_id(const char *v)
{
    if (strncmp(v, "evt_", 4) == 0)
        v += 4;
    int64_t n;
    return parse_int64_str(v, 0, INT64_MAX, &n) == 0 ? n : -1;
}

void api_events(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    const char *from = http_req_header(req, "Last-Event-ID");
    if (!from || !*from)
        from = http_req_query(req, "last_event_id");
    /* without a ledger (tests of the HTTP layer alone) the stream stays open and quiet */
    int64_t last = a->ledger ? ledger_outbox_head(a->ledger) : 0;
    if (from && *from) {
        last = parse_event_id(from);
        if (last < 0) {
            http_resp_error(resp, 400, "bad_request", "%s: not an event id",
                            http_req_header(req, "Last-Event-ID") ? "Last-Event-ID"
                                                                  : "last_event_id");
            return;
        }
    }
    struct sse *s = calloc(1, sizeof *s);
    if (!s) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    s->app = a;
    s->last = last;
    s->last_write_ms = time_mono_ms();
    /* a first line right away: proxies and clients see the stream is open */
    static const char hello[] = "retry: 2000\n: connected\n\n";
    append(s, hello, sizeof hello - 1);
    resp->status = 200;
    resp->content_type = "text/event-stream";
    http_resp_header(resp, "Cache-Control", "no-cache");
    http_resp_header(resp, "X-Accel-Buffering", "no");
    resp->stream = sse_stream;
    resp->stream_ctx = s;
    resp->stream_free = sse_free;
}
