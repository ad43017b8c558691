#include "api/sources.h"

#include "api/app.h"
#include "sources/sources.h"

void api_sources_list(struct http_req *req, struct http_resp *resp, void *ctx)
{
    const struct app *app = ctx;
    (void)req;
    json_t *st = sources_status(app->sources); /* empty when not running */
    if (!st) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    http_resp_json(resp, 200, st);
}
