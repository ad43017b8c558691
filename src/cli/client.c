/* The CLI's HTTP client: commands that talk to a running server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "net/client.h"

#define CLI_MAX_ANSWER (16u << 20)
#define CLI_DEFAULT_SERVER "http://127.0.0.1:8080"

const char *cli_server(const char *flag_value)
{
    if (flag_value && *flag_value)
        return flag_value;
    const char *env = getenv("IF_SRE_SERVER");
    return env && *env ? env : CLI_DEFAULT_SERVER;
}

int cli_http(const char *server, const char *method, const char *path, json_t *body,
             const char *extra_header, json_t **out, char *etag, size_t etaglen)
{
    char url[2048], name[64] = "", err[256];
    if (etag && etaglen)
        etag[0] = '\0';
    snprintf(url, sizeof url, "%s%s", server, path);
    const char *token = getenv("IF_SRE_TOKEN");
    struct net_header hdr;
    if (extra_header) { /* "Name: value" */
        const char *colon = strchr(extra_header, ':');
        size_t nl = colon ? (size_t)(colon - extra_header) : 0;
        if (!colon || nl >= sizeof name)
            return -1;
        memcpy(name, extra_header, nl);
        name[nl] = '\0';
        hdr.name = name;
        hdr.value = colon + 1 + strspn(colon + 1, " ");
    }
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct net_request r = {.method = method,
                            .url = url,
                            .body = payload,
                            .body_len = payload ? strlen(payload) : 0,
                            .bearer = token && *token ? token : NULL,
                            .headers = extra_header ? &hdr : NULL,
                            .nheaders = extra_header ? 1 : 0,
                            .connect_timeout_ms = 5000,
                            .timeout_ms = 60000,
                            .max_body = CLI_MAX_ANSWER};
    struct net_response a;
    int status = -1;
    if (net_request(NULL, &r, &a, err, sizeof err) != 0) {
        fprintf(stderr, "srebot: %s %s: %s\n", method, url, err);
    } else if (a.truncated) {
        fprintf(stderr, "srebot: %s %s: the answer is larger than %u bytes\n", method, url,
                CLI_MAX_ANSWER);
    } else {
        status = (int)a.status;
        if (etag && etaglen && strlen(a.etag) < etaglen)
            snprintf(etag, etaglen, "%s", a.etag);
        if (out) {
            *out = NULL;
            if (a.body_len) {
                json_error_t jerr;
                *out = json_loadb(a.body, a.body_len, 0, &jerr);
            }
        }
    }
    net_response_free(&a);
    free(payload);
    return status;
}

void cli_print_error(int status, json_t *answer)
{
    json_t *e = json_object_get(answer, "error");
    if (!e) {
        fprintf(stderr, "srebot: server answered HTTP %d\n", status);
        return;
    }
    fprintf(stderr, "srebot: HTTP %d %s: %s\n", status,
            json_string_value(json_object_get(e, "code")) ?: "error",
            json_string_value(json_object_get(e, "message")) ?: "");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(e, "details"), i, d) {
        const char *code = json_string_value(json_object_get(d, "code"));
        fprintf(stderr, "  %s%s%s: %s\n", json_string_value(json_object_get(d, "path")) ?: "",
                code ? " " : "", code ? code : "",
                json_string_value(json_object_get(d, "reason")) ?: "");
    }
    /* Say where the token came from, so a refusal is easy to fix. */
    const char *token = getenv("IF_SRE_TOKEN");
    if (status == 401)
        fprintf(stderr,
                token && *token ? "srebot: the token in IF_SRE_TOKEN (or --token) was refused: "
                                  "unknown, revoked or expired\n"
                                : "srebot: no token given: set IF_SRE_TOKEN or pass --token "
                                  "(srebot token create --name NAME --role ROLE)\n");
    else if (status == 403)
        fprintf(stderr, "srebot: the token in IF_SRE_TOKEN (or --token) lacks the role this "
                        "needs (docs/http.md)\n");
}
