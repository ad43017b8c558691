/* The one outbound HTTP client: sources, runners, channel providers and the
 * agent all call through it (libcurl's multi interface underneath).
 *
 * Every request is bounded: a connect timeout and a total timeout per attempt,
 * a cap on the answer kept (larger answers are cut and flagged), a cap on a
 * streamed line, no redirects, http/https only, and a bounded number of
 * attempts. Retries are opt-in (max_attempts > 1): a transport failure
 * (connect refused, DNS, timeout, reset) or an answer 429 / 5xx is tried again
 * after an exponential backoff with jitter, or after the server's Retry-After
 * when it sent one (a Retry-After beyond retry_wait_max_ms ends the retries and
 * the answer is returned as is). Retrying a POST repeats its effect: callers
 * that retry non-idempotent requests must make them idempotent (an idempotency
 * key, an event id). Workers that own their retry loop and its backoff (outbox
 * consumers, the detect delivery) leave max_attempts at 1.
 *
 * Threads: one struct net_client is shared by every thread of the process.
 * net_request blocks the calling thread while it drives a curl multi handle
 * taken from the client's pool (one thread per multi handle at a time, as curl
 * requires); a pooled handle keeps its connections, so a worker that talks to
 * the same API server again reuses one. DNS answers and TLS sessions are shared
 * by all of them (a curl share object, locked).
 *
 * Credentials (bearer tokens, basic passwords, client keys) are never logged
 * and are wiped from the request's header buffers after the call.
 */
#ifndef SREBOT_NET_CLIENT_H
#define SREBOT_NET_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define NET_DEFAULT_TIMEOUT_MS 5000
#define NET_DEFAULT_MAX_BODY (64 * 1024)
#define NET_DEFAULT_MAX_LINE (64 * 1024)
#define NET_MAX_ATTEMPTS 10          /* hard cap on max_attempts */
#define NET_MAX_HEADERS 16           /* custom headers per request */

struct net_client;
struct metrics;

/* With a registry, the client counts on /metrics: srebot_net_requests_total
 * {outcome="answer|error|cancelled"} (per net_request call),
 * srebot_net_retries_total and srebot_net_attempt_duration_seconds. */
struct net_client_config {
    unsigned max_host_connections; /* parallel connections per host (0: 8) */
    const char *user_agent;        /* NULL: "srebot/<version>" */
    struct metrics *metrics;       /* util/metrics.h; NULL: not recorded */
};

/* Creates the client (calls curl_global_init the first time; safe to call from
 * main before threads start). cfg may be NULL for the defaults. */
int net_client_create(const struct net_client_config *cfg, struct net_client **out, char *err,
                      size_t errlen);
/* Ends the client: in-flight requests fail with "client stopped" within
 * ~100 ms; call it after the workers that use it have stopped (or to make
 * them stop). Accepts NULL. */
void net_client_destroy(struct net_client *c);
/* Makes every in-flight and future request fail fast ("client stopped"),
 * without freeing anything: for a shutdown that must interrupt long watches
 * before joining the threads that run them. */
void net_client_stop(struct net_client *c);

struct net_tls {
    const char *ca_file;     /* extra trust anchors (PEM file); NULL: the system store */
    const char *client_cert; /* client certificate (PEM file) for mutual TLS, or NULL */
    const char *client_key;  /* its private key (PEM file), or NULL */
    int insecure;            /* skip certificate verification: only when explicitly set */
    /* The same in memory (PEM text, NUL-terminated), e.g. a kubeconfig's inline
     * data; each one, when set, is used instead of its file. */
    const char *ca_pem, *client_cert_pem, *client_key_pem;
};

struct net_header {
    const char *name, *value;
};

/* A streamed answer, one line at a time (watch-style responses: Kubernetes
 * watch, Server-Sent Events, LLM token streams). line excludes the "\n" (and a
 * "\r" before it) and is NUL-terminated; a last line without "\n" is delivered
 * at the end. Return nonzero to end the transfer early (not an error). A line
 * longer than max_line ends the transfer with an error. Called only for 2xx
 * answers; other answers are collected into the body as usual. */
typedef int (*net_line_fn)(void *ud, const char *line, size_t len);

struct net_request {
    const char *method;       /* GET (default), POST, PUT, PATCH, DELETE, HEAD */
    const char *url;          /* http:// or https:// */
    const char *body;         /* request body, or NULL */
    size_t body_len;
    const char *content_type; /* for a body; default application/json */
    const char *bearer;       /* Authorization: Bearer ..., or NULL */
    const char *basic_user;   /* HTTP basic auth when both are set (and no bearer) */
    const char *basic_pass;
    const struct net_header *headers; /* extra request headers (at most NET_MAX_HEADERS) */
    size_t nheaders;
    struct net_tls tls;
    int connect_timeout_ms;   /* per attempt; 0: timeout_ms */
    int timeout_ms;           /* whole attempt; 0: NET_DEFAULT_TIMEOUT_MS; < 0: none
                               * (streams that run until cancelled) */
    size_t max_body;          /* answer bytes kept; 0: NET_DEFAULT_MAX_BODY */
    unsigned max_attempts;    /* 0 or 1: no retry; capped at NET_MAX_ATTEMPTS */
    unsigned backoff_base_ms; /* first retry wait before jitter; 0: 200 */
    unsigned backoff_max_ms;  /* cap of one backoff wait; 0: 10000 */
    unsigned retry_wait_max_ms; /* longest Retry-After honoured; 0: 30000 */
    net_line_fn on_line;      /* stream the answer by lines instead of collecting it */
    void *line_ud;
    size_t max_line;          /* 0: NET_DEFAULT_MAX_LINE */
    const atomic_int *cancel; /* optional: nonzero ends the request within ~100 ms */
};

struct net_response {
    long status;              /* 0 when no answer arrived */
    char *body;               /* NUL-terminated, malloc'd; may be NULL */
    size_t body_len;
    int truncated;            /* the answer was longer than max_body */
    char www_authenticate[512]; /* first WWW-Authenticate header, "" when absent */
    char content_type[128];
    char retry_after[64];     /* the Retry-After header, "" when absent */
    char location[512];       /* the Location header, "" when absent */
    char etag[128];           /* the ETag header, "" when absent */
    double total_ms;          /* the last attempt's duration */
    unsigned attempts;        /* attempts made */
};

/* Performs the request (with retries as configured). Returns 0 when an HTTP
 * answer arrived (any status: read resp->status), or -1 with the transport
 * error in err (connect refused, timeout, TLS failure, line too long,
 * cancelled); resp->attempts and resp->total_ms are set either way. c may be
 * NULL: a one-off client is used for this call (no connection reuse). Free
 * the answer with net_response_free. */
int net_request(struct net_client *c, const struct net_request *r, struct net_response *resp,
                char *err, size_t errlen);
void net_response_free(struct net_response *resp);

/* ---- pure helpers (unit tested, fuzzed) ---- */

/* The wait before retry `attempt` (1 = the first retry): base * 2^(attempt-1),
 * capped at max, then "equal jitter" (a uniform value in [w/2, w]) from rnd. */
unsigned net_backoff_ms(unsigned attempt, unsigned base_ms, unsigned max_ms, uint64_t rnd);
/* Parses a Retry-After value (delta-seconds or an HTTP date, RFC 9110 10.2.3)
 * into milliseconds from now_ms (wall clock). -1 when absent or unparsable. */
int64_t net_retry_after_ms(const char *value, int64_t now_ms);
/* 1 when an answer status is worth another attempt (429, 5xx but 501/505). */
int net_status_retryable(long status);

/* A WWW-Authenticate challenge: scheme ("Bearer", "Basic") and the realm,
 * service and scope parameters (quoted or token values). Returns 0, or -1 when
 * it is not a challenge. Bounded by the output sizes. */
struct auth_challenge {
    char scheme[16];
    char realm[256];
    char service[128];
    char scope[256];
};
int net_parse_challenge(const char *header, struct auth_challenge *out);

#endif
