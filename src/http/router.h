/* Route matching: pure functions over a route table, no I/O.
 *
 * Patterns are absolute paths made of segments separated by '/':
 *   "/api/v1/incidents"           literal segments match themselves
 *   "/api/v1/incidents/{id}"      "{name}" matches one non-empty segment
 *   "/{file*}"                    a final "{name*}" matches the rest (one or more segments)
 *
 * When several routes match a path, the most specific wins: the one whose first
 * differing segment is literal rather than a parameter (so "/incidents/counts"
 * beats "/incidents/{id}" wherever the rows sit in the table), and a parameter
 * rather than a rest match. Rest ("catch-all") routes serve only paths that no
 * other route claims for any method: a GET to a POST-only path is 405, and a
 * POST to an unknown path is 404 (not 405 from a GET "/{file*}").
 */
#ifndef SREBOT_HTTP_ROUTER_H
#define SREBOT_HTTP_ROUTER_H

#include <stddef.h>

#include "http/http.h"

#define ROUTER_PARAM_NAME_MAX 32
#define ROUTER_PARAM_VALUE_MAX 512

struct route_match {
    const struct http_route *route;
    size_t nparams;
    char names[HTTP_MAX_PARAMS][ROUTER_PARAM_NAME_MAX];
    char values[HTTP_MAX_PARAMS][ROUTER_PARAM_VALUE_MAX];
};

enum router_result {
    ROUTER_FOUND = 0,     /* m->route is set */
    ROUTER_NOT_FOUND,     /* no route has this path */
    ROUTER_NO_METHOD,     /* the path exists for other methods: allow lists them */
};

/* Matches one pattern against a path. Returns the specificity score (> 0) on a
 * match and fills m's params; 0 when it does not match. Scores compare as
 * numbers: higher is more specific. */
unsigned long router_match_pattern(const char *pattern, const char *path, struct route_match *m);

/* Finds the route for method + path in a NULL-method-terminated table. HEAD
 * matches GET routes. On ROUTER_NO_METHOD, allow gets "GET, POST" (no
 * duplicates; may be NULL). */
enum router_result router_find(const struct http_route *routes, const char *method,
                               const char *path, struct route_match *m, char *allow,
                               size_t allowlen);

/* 1 when the pattern is well-formed (starts with '/', params are "{name}" with
 * 1..31 chars of [A-Za-z0-9_], at most HTTP_MAX_PARAMS, a rest param only last).
 * Used by a test that walks the route table. */
int router_pattern_valid(const char *pattern);

#endif
