/* Chat provider callbacks (ROLES_SIGNED rows of the route table): the
 * signature or secret token is the credential, checked before the body is
 * parsed; then channels/chat_service.c acts as the mapped operator. */
#ifndef SREBOT_API_CHAT_API_H
#define SREBOT_API_CHAT_API_H

#include "http/http.h"

void api_slack_interactions(struct http_req *req, struct http_resp *resp, void *app);
void api_slack_commands(struct http_req *req, struct http_resp *resp, void *app);
void api_telegram_updates(struct http_req *req, struct http_resp *resp, void *app);

#endif
