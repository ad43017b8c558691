/* libFuzzer target: the JSON body path every handler uses (http_req_json over
 * jsonin_parse): bounded size and depth, duplicate keys refused, and every
 * refusal is the error shape with a status and a code. The first input byte
 * picks the Content-Type so the 415 branch is exercised too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"application/json", "application/json; charset=utf-8",
                                        "text/plain", NULL};
    if (size == 0)
        return 0;
    struct http_req req = {0};
    req.method = "POST";
    req.path = "/api/v1/fuzz";
    req.content_type = types[data[0] & 3];
    /* The server hands handlers a NUL-terminated copy; do the same. */
    char *body = malloc(size);
    if (!body)
        return 0;
    memcpy(body, data + 1, size - 1);
    body[size - 1] = '\0';
    req.body = size > 1 ? body : NULL;
    req.body_len = size - 1;

    struct http_resp resp = {0};
    json_t *doc = http_req_json(&req, &resp);
    if (doc) {
        if (resp.status != 0 || resp.json)
            abort(); /* success leaves the response alone */
        char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text)
            abort();
        free(text);
        json_decref(doc);
    } else {
        json_t *e = json_object_get(resp.json, "error");
        if (resp.status < 400 || !json_is_string(json_object_get(e, "code")) ||
            !json_is_array(json_object_get(e, "details")))
            abort(); /* a refusal always has the error shape */
        json_decref(resp.json);
    }
    free(body);
    return 0;
}
