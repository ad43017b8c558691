/* The application context every HTTP handler receives: the services built by
 * main.c. Handlers call services; services call the store and core. Fields are
 * added by the module that brings the service (NULL when not running). */
#ifndef SREBOT_API_APP_H
#define SREBOT_API_APP_H

#include <stdint.h>

#include "core/config.h"
#include "store/store.h"

struct ledger;
struct bus;
struct metrics;
struct sources;
struct http_wake;
struct net_client;
struct kube_client;
struct chat_service;

struct app {
    const struct config *cfg;
    struct store *store;
    /* IF_SRE_ADMIN_TOKEN, kept only as its SHA-256 */
    uint8_t admin_token_hash[32];
    int has_admin_token;
    int64_t started_at_ms;
    struct ledger *ledger; /* src/ledger/ledger.h: findings, incidents, events */
    struct bus *bus;       /* src/bus/bus.h: the event bus (in-process by default) */
    struct metrics *metrics;   /* util/metrics.h: the registry /metrics renders */
    struct sources *sources;   /* sources/sources.h: the sources worker (NULL: not running) */
    struct http_wake *wake;    /* http/http.h: signalled when events commit (SSE) */
    struct net_client *net;    /* net/client.h: the one outbound HTTP client */
    struct kube_client *kube;  /* kube/client.h: the Kubernetes API (NULL: off) */
    struct chat_service *chat; /* channels/chat_service.h: chat callbacks (NULL: none) */
};

#endif
