/* /api/v1/policy: the robot_sre_policy document, its versions, validation.
 * Reads need viewer, writes admin (rows in src/api/routes.c). docs/policy.md. */
#ifndef SREBOT_API_POLICY_H
#define SREBOT_API_POLICY_H

#include "http/http.h"

void api_policy_get(struct http_req *req, struct http_resp *resp, void *app);
void api_policy_put(struct http_req *req, struct http_resp *resp, void *app);
void api_policy_validate(struct http_req *req, struct http_resp *resp, void *app);
void api_policy_defaults(struct http_req *req, struct http_resp *resp, void *app);
void api_policy_versions(struct http_req *req, struct http_resp *resp, void *app);
void api_policy_version_get(struct http_req *req, struct http_resp *resp, void *app);

#endif
