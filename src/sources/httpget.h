/* One bounded HTTP(S) exchange with libcurl's easy interface, for probes and the
 * `detect` delivery. Everything is bounded: total time, answer size (larger
 * answers are cut and flagged), redirects (none). Signals are off (NOSIGNAL), so
 * it is safe on worker threads. */
#ifndef SREBOT_SOURCES_HTTPGET_H
#define SREBOT_SOURCES_HTTPGET_H

#include <stddef.h>

struct http_call {
    const char *method;       /* "GET" (default) or "POST" */
    const char *url;
    const char *body;         /* POST body, or NULL */
    size_t body_len;
    const char *content_type; /* for a body; default application/json */
    const char *bearer;       /* Authorization: Bearer ..., or NULL */
    const char *basic_user;   /* HTTP basic auth when both are set */
    const char *basic_pass;
    const char *ca_file;      /* extra trust anchor (PEM), or NULL for the system store */
    int insecure;             /* skip certificate verification (tests, self-signed) */
    int timeout_ms;
    size_t max_body;          /* keep at most this many bytes of the answer (default 64 KiB) */
};

struct http_answer {
    long status;              /* 0 when no answer arrived */
    char *body;               /* NUL-terminated, malloc'd; may be NULL */
    size_t body_len;
    int truncated;
    char www_authenticate[512]; /* first WWW-Authenticate header, "" when absent */
    char content_type[128];
    double total_ms;
};

/* Returns 0 when an HTTP answer arrived (any status), or -1 with a transport
 * error in err (connect refused, timeout, TLS failure). */
int http_call(const struct http_call *c, struct http_answer *a, char *err, size_t errlen);
void http_answer_free(struct http_answer *a);

/* Parses a WWW-Authenticate challenge: scheme ("Bearer", "Basic") and the
 * realm, service and scope parameters (quoted or token values). Returns 0, or
 * -1 when it is not a challenge. Bounded by the output sizes. */
struct auth_challenge {
    char scheme[16];
    char realm[256];
    char service[128];
    char scope[256];
};
int http_parse_challenge(const char *header, struct auth_challenge *out);

#endif
