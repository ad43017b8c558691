/* HTTP handlers of remediation: approvals (list, count, get, approve, reject),
 * an incident's attempts and decisions, the notification inbox, and the
 * policy what-if replay. Shapes: docs/api.md, docs/actions.md. */
#ifndef SREBOT_API_ACTIONS_API_H
#define SREBOT_API_ACTIONS_API_H

#include "api/app.h"
#include "http/http.h"

void api_approvals_list(struct http_req *req, struct http_resp *resp, void *app);
void api_approvals_count(struct http_req *req, struct http_resp *resp, void *app);
void api_approval_get(struct http_req *req, struct http_resp *resp, void *app);
void api_approval_approve(struct http_req *req, struct http_resp *resp, void *app);
void api_approval_reject(struct http_req *req, struct http_resp *resp, void *app);
void api_incident_attempts(struct http_req *req, struct http_resp *resp, void *app);
void api_incident_decisions(struct http_req *req, struct http_resp *resp, void *app);
void api_notifications_list(struct http_req *req, struct http_resp *resp, void *app);
void api_policy_simulate(struct http_req *req, struct http_resp *resp, void *app);

#endif
