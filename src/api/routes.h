/* THE route table: every route of the server with the roles allowed to call it. */
#ifndef SREBOT_API_ROUTES_H
#define SREBOT_API_ROUTES_H

#include "http/http.h"

extern const struct http_route api_routes[]; /* NULL-method terminated */

#endif
