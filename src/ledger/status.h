/* The service layer's result type. Every entry point of a service (the ledger,
 * its read service in ledger/views.h, the policy service, and the services that
 * follow them) returns enum svc_status, set by the function that detects the
 * condition; validation detail travels beside it in a heap-allocated struct
 * problems (core/problems.h: problems_create / problems_destroy).
 *
 * Two mappings, each in exactly one place:
 *   store -> service   svc_from_store()        (src/ledger/status.c)
 *   service -> HTTP    http_resp_svc_error()   (src/http/resp.c)
 * so HTTP, MCP, the CLI and chat callbacks report one condition one way.
 *
 * Like nats.c's natsStatus: a small closed set, a text for each, out-parameters
 * written only on SVC_OK. */
#ifndef SREBOT_LEDGER_STATUS_H
#define SREBOT_LEDGER_STATUS_H

#include "store/store.h"

enum svc_status {
    SVC_OK = 0,
    SVC_INVALID,     /* the request breaks a rule (problems say where) -> 422 */
    SVC_NOT_FOUND,   /* no such incident / version / approval -> 404 */
    SVC_CONFLICT,    /* refused by the current state: lifecycle table, stale version -> 409 */
    SVC_BUSY,        /* back-pressure: the write queue is full; retry shortly -> 503 */
    SVC_DENIED,      /* the caller may not do this (role, protected target) -> 403 */
    SVC_EXPIRED,     /* too late: an approval or a deadline has passed -> 410 */
    SVC_UNAVAILABLE, /* the service is not running (yet, or any more) -> 503 */
    SVC_INTERNAL,    /* a backend or resource failure; detail only in the log -> 500 */
};

/* A short lower-case text ("ok", "invalid", "not found", ...); never NULL. */
const char *svc_status_text(enum svc_status st);

/* The one mapping of store results into service results. */
enum svc_status svc_from_store(enum store_status st);

#endif
