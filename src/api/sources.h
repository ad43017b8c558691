/* GET /api/v1/sources: the configured source instances and their state. */
#ifndef SREBOT_API_SOURCES_H
#define SREBOT_API_SOURCES_H

#include "http/http.h"

/* {"items":[{"id","kind","state":"ok|failing|disabled","last_run","last_error",
 *  "runs","failures","findings", ...}]} (empty when the sources are not running). */
void api_sources_list(struct http_req *req, struct http_resp *resp, void *app);

#endif
