/* THE route table: every HTTP route of the daemon, with the roles allowed to
 * call it. One row per (method, pattern); modules append their rows to
 * api_routes[] in routes.c. A test walks this table for the auth matrix. */
#ifndef SREBOT_API_ROUTES_H
#define SREBOT_API_ROUTES_H

#include "http/http.h"

extern const struct http_route api_routes[]; /* NULL-method terminated */
/* The operations listener's table (--ops-listen): /healthz, /readyz, /metrics
 * only, the same handlers and roles as their rows in api_routes. */
extern const struct http_route ops_routes[];

#endif
