/* Operations endpoints (health, readiness, metrics, whoami) and the console's
 * static files. */
#ifndef SREBOT_API_OPS_H
#define SREBOT_API_OPS_H

#include "api/app.h"
#include "http/http.h"

/* Registers the process and build metrics (the store and the ledger register
 * their own). Call once before serving. */
void ops_init(struct app *app);

void ops_healthz(struct http_req *req, struct http_resp *resp, void *app);
void ops_readyz(struct http_req *req, struct http_resp *resp, void *app);
void ops_metrics(struct http_req *req, struct http_resp *resp, void *app);
/* POST /api/v1/retention/run: the nightly prune, now; answers what it deleted. */
void ops_retention_run(struct http_req *req, struct http_resp *resp, void *app);
void ops_whoami(struct http_req *req, struct http_resp *resp, void *app);
/* GET /api/v1/openapi.json, generated from the route table (src/api/openapi.c). */
void ops_openapi(struct http_req *req, struct http_resp *resp, void *app);
json_t *openapi_document(const struct http_route *routes);

/* GET / (index.html) and GET /<file> from the embedded web/ directory. */
void console_asset(struct http_req *req, struct http_resp *resp, void *app);
/* The Content-Type for a file name by its extension. */
const char *console_mime_type(const char *path);

#endif
