/* The Kubernetes API client shared by the kubernetes source and the runners.
 *
 * A thin layer over the one outbound HTTP client (net/client.h): it adds the
 * API server's base URL, the credentials of a struct kube_config (bearer
 * token, client certificate, CA) and reads the Kubernetes `Status` of an
 * error answer. Requests go through the shared net_client, whose pooled curl
 * handles keep their connections (HTTP/1.1 keep-alive). A token file (the
 * in-cluster service account, a kubeconfig tokenFile) is re-read at most
 * every KUBE_TOKEN_REREAD_MS, so a rotated token is picked up without a
 * restart. Thread-safe: one client serves every watcher and runner thread.
 */
#ifndef SREBOT_KUBE_CLIENT_H
#define SREBOT_KUBE_CLIENT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "kube/config.h"
#include "net/client.h"

#define KUBE_TOKEN_REREAD_MS 60000
#define KUBE_MAX_OBJECT_BYTES (4u * 1024u * 1024u) /* one answer of a get/patch */
#define KUBE_MAX_DEPTH 64

struct kube_client;

/* Copies cfg (the caller keeps and clears its own). net may be NULL (a
 * one-off client per call: no connection reuse). */
int kube_client_create(const struct kube_config *cfg, struct net_client *net,
                       struct kube_client **out, char *err, size_t errlen);
void kube_client_destroy(struct kube_client *kc); /* accepts NULL */
/* Where it connects (for logs and the docs' status line); never a secret. */
const char *kube_client_origin(const struct kube_client *kc);

struct kube_call {
    const char *method;       /* GET (default), PATCH, DELETE, POST, PUT */
    const char *path;         /* "/api/v1/nodes?limit=500": path and query, escaped */
    const char *body;         /* JSON, or NULL */
    const char *content_type; /* default application/json */
    int timeout_ms;           /* 0: 10000; < 0: none (watch streams, use cancel) */
    size_t max_body;          /* 0: KUBE_MAX_OBJECT_BYTES */
    net_line_fn on_line;      /* a streamed answer (watch) */
    void *line_ud;
    size_t max_line;
    const atomic_int *cancel;
    unsigned max_attempts;    /* 0/1: no retry (the callers own their retries) */
};

/* One request. 0 when an answer arrived (read resp->status), -1 with the
 * transport error. Free resp with net_response_free. */
int kube_call(struct kube_client *kc, const struct kube_call *call, struct net_response *resp,
              char *err, size_t errlen);

/* A request whose 2xx answer is a JSON object: *out gets it (new reference).
 * Returns the HTTP status (2xx: *out set), or -1 on a transport error or an
 * unreadable answer. For any non-2xx answer err reads "<code> <reason>:
 * <message>" from the API's Status. */
long kube_json(struct kube_client *kc, const struct kube_call *call, json_t **out, char *err,
               size_t errlen);

/* "<code> <reason>: <message>" from an error answer's Status body (or the
 * status alone). */
void kube_status_text(const struct net_response *resp, char *out, size_t outlen);

/* Percent-encodes s for a path segment or query value (RFC 3986 unreserved
 * kept). Returns 0, or -1 when it does not fit. */
int kube_escape(const char *s, char *out, size_t outlen);

#endif
