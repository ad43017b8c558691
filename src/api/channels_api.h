/* /api/v1/channels handlers (api/channels.c). */
#ifndef SREBOT_API_CHANNELS_API_H
#define SREBOT_API_CHANNELS_API_H

#include "http/http.h"

void api_channels_list(struct http_req *req, struct http_resp *resp, void *app);
void api_channel_test(struct http_req *req, struct http_resp *resp, void *app);

#endif
