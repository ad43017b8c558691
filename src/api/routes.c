#include "api/routes.h"

#include "api/ops.h"

/* Roles: ROLES_PUBLIC (no token), ROLES_VIEWER (viewer, operator, admin),
 * ROLES_OPERATOR, ROLES_ADMIN, ROLES_INGEST (ingest, operator, admin),
 * ROLES_ANY (every authenticated role). Everything under /api/v1 needs a token
 * whatever its row says (the server refuses before routing). */
const struct http_route api_routes[] = {
    /* operations */
    {"GET", "/healthz", ROLES_PUBLIC, ops_healthz, "Liveness: the process answers"},
    {"GET", "/readyz", ROLES_PUBLIC, ops_readyz, "Readiness: the store commits writes"},
    {"GET", "/metrics", ROLES_PUBLIC, ops_metrics, "Prometheus metrics"},
    {"GET", "/api/v1/whoami", ROLES_ANY, ops_whoami, "The caller's token name and role"},

    /* console (the catch-all row loses to every more specific pattern) */
    {"GET", "/", ROLES_PUBLIC, console_asset, "Console: index.html"},
    {"GET", "/{file*}", ROLES_PUBLIC, console_asset, "Console: static files"},
    {NULL, NULL, 0, NULL, NULL},
};
