/* The service status texts and the one store -> service mapping (status.h). */
#include "ledger/status.h"

const char *svc_status_text(enum svc_status st)
{
    switch (st) {
    case SVC_OK: return "ok";
    case SVC_INVALID: return "invalid";
    case SVC_NOT_FOUND: return "not found";
    case SVC_CONFLICT: return "conflict";
    case SVC_BUSY: return "busy";
    case SVC_DENIED: return "denied";
    case SVC_EXPIRED: return "expired";
    case SVC_UNAVAILABLE: return "unavailable";
    case SVC_INTERNAL: return "internal error";
    }
    return "unknown status";
}

enum svc_status svc_from_store(enum store_status st)
{
    switch (st) {
    case STORE_OK: return SVC_OK;
    case STORE_BUSY: return SVC_BUSY;
    case STORE_NOT_FOUND: return SVC_NOT_FOUND;
    case STORE_CONFLICT: return SVC_CONFLICT;
    case STORE_INVALID: return SVC_INVALID;
    case STORE_ERROR: return SVC_INTERNAL;
    }
    return SVC_INTERNAL;
}
