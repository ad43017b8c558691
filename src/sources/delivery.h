/* Delivery of findings to a running server's ingest API (POST /api/v1/findings),
 * for `srebot detect`: a bounded in-memory queue and one sender thread.
 *
 * emit never blocks: when the queue is full the oldest finding is dropped and
 * counted (the newest state of the world matters most). The sender posts
 * batches (<= batch_max) with the bearer token; on a transport error, a 5xx,
 * 408 or 429 it keeps the batch and retries with capped exponential backoff
 * (the server is away or busy); 401/403 are retried the same way (a token can
 * be fixed without restarting the detector) and logged as errors; any other 4xx
 * (an invalid finding, 413) drops the batch as rejected, since resending it
 * cannot succeed. Findings carry stable ids, so a batch resent after a lost
 * answer is deduplicated by the server.
 */
#ifndef SREBOT_SOURCES_DELIVERY_H
#define SREBOT_SOURCES_DELIVERY_H

#include <jansson.h>
#include <stddef.h>

struct net_client;

struct delivery_opts {
    const char *server;      /* base URL, e.g. http://127.0.0.1:8080 */
    const char *token;       /* bearer token with the ingest role (copied) */
    size_t capacity;         /* queued findings; default 10000 */
    unsigned batch_max;      /* findings per request; default 500, at most 1000 */
    unsigned retry_base_ms;  /* default 500 */
    unsigned retry_max_ms;   /* default 30000 */
    int timeout_ms;          /* per request; default 10000 */
    struct net_client *net;  /* net/client.h: the HTTP client to use; NULL = its own */
};

struct delivery_stats {
    unsigned long queued;    /* accepted by emit */
    unsigned long delivered; /* acknowledged by the server */
    unsigned long dropped;   /* oldest dropped because the queue was full */
    unsigned long rejected;  /* refused by the server (4xx other than 401/403/408/429) */
    unsigned long attempts;  /* POST requests made */
    unsigned long failures;  /* requests that did not deliver */
    size_t depth;            /* findings waiting now */
    long last_status;        /* HTTP status of the last request, 0 when none arrived */
    char last_error[200];
};

struct delivery;

int delivery_create(const struct delivery_opts *opts, struct delivery **out, char *err,
                    size_t errlen);
/* A finding_sink emit function: ctx is the struct delivery; finding is stolen. */
void delivery_emit(void *ctx, json_t *finding);
void delivery_get_stats(struct delivery *d, struct delivery_stats *out);
/* Waits until the queue is empty (every finding delivered, dropped or rejected)
 * or timeout_ms passes; returns 0 when empty. */
int delivery_flush(struct delivery *d, int timeout_ms);
/* Stops the sender (a request in flight completes first) and frees what is
 * left. NULL ok. */
void delivery_destroy(struct delivery *d);

#endif
