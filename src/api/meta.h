/* GET /api/v1/meta: {"event_types":[...],"incident_states":[...],"severities":[...]}. */
#ifndef SREBOT_API_META_H
#define SREBOT_API_META_H

#include <jansson.h>

#include "http/http.h"

json_t *api_meta_document(void); /* new reference */
void api_meta(struct http_req *req, struct http_resp *resp, void *app);

#endif
