#include "api/routes.h"

#include "api/ops.h"
#include "api/policy.h"
#include "api/sources.h"

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

    /* policy (docs/policy.md) */
    {"GET", "/api/v1/policy", ROLES_VIEWER, api_policy_get, "The current policy, with its ETag"},
    {"PUT", "/api/v1/policy", ROLES_ADMIN, api_policy_put,
     "Save a new policy version (If-Match required)"},
    {"POST", "/api/v1/policy/validate", ROLES_ADMIN, api_policy_validate,
     "Validate a policy document without saving it"},
    {"GET", "/api/v1/policy/versions", ROLES_VIEWER, api_policy_versions,
     "Policy versions, newest first"},
    {"GET", "/api/v1/policy/versions/{n}", ROLES_VIEWER, api_policy_version_get,
     "One policy version with its document"},

    /* sources (docs/sources.md) */
    {"GET", "/api/v1/sources", ROLES_VIEWER, api_sources_list,
     "Source instances: state, last run, last error, counters"},

    /* console (the catch-all row loses to every more specific pattern) */
    {"GET", "/", ROLES_PUBLIC, console_asset, "Console: index.html"},
    {"GET", "/{file*}", ROLES_PUBLIC, console_asset, "Console: static files"},
    {NULL, NULL, 0, NULL, NULL},
};
