#include "api/sources.h"

#include "sources/sources.h"

void api_sources_list(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    (void)app;
    json_t *st = sources_status();
    if (!st) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    http_resp_json(resp, 200, st);
}
