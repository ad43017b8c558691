/* Admin handlers: API tokens (list, create, revoke) and the audit log (pages
 * with filters, chain verification). Shapes: docs/api.md "Administration". */
#ifndef SREBOT_API_ADMIN_H
#define SREBOT_API_ADMIN_H

#include "http/http.h"

void api_tokens_list(struct http_req *req, struct http_resp *resp, void *app);
void api_tokens_create(struct http_req *req, struct http_resp *resp, void *app);
void api_token_revoke(struct http_req *req, struct http_resp *resp, void *app);
void api_audit_list(struct http_req *req, struct http_resp *resp, void *app);
void api_audit_verify(struct http_req *req, struct http_resp *resp, void *app);

#endif
