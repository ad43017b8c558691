/* The CLI's HTTP client: commands that talk to a running server. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define CLI_MAX_ANSWER (16u << 20)
#define CLI_DEFAULT_SERVER "http://127.0.0.1:8080"

struct answer {
    char *data;
    size_t len;
    char *etag;
    size_t etaglen;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct answer *a = ud;
    size_t n = size * nmemb;
    if (a->len + n > CLI_MAX_ANSWER)
        return 0; /* aborts the transfer: the answer is larger than any API answer */
    char *grown = realloc(a->data, a->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + a->len, ptr, n);
    a->data = grown;
    a->len += n;
    a->data[a->len] = '\0';
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct answer *a = ud;
    size_t n = size * nmemb;
    if (a->etag && n > 5 && strncasecmp(ptr, "ETag:", 5) == 0) {
        const char *v = ptr + 5;
        size_t vlen = n - 5;
        while (vlen && (*v == ' ' || *v == '\t'))
            v++, vlen--;
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        if (vlen < a->etaglen) {
            memcpy(a->etag, v, vlen);
            a->etag[vlen] = '\0';
        }
    }
    return n;
}

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
    int status = -1;
    char url[2048], auth[512];
    char *payload = NULL;
    struct answer a = {NULL, 0, etag, etaglen};
    struct curl_slist *headers = NULL;
    CURL *curl = curl_easy_init();
    if (!curl)
        goto out;
    if (etag && etaglen)
        etag[0] = '\0';
    snprintf(url, sizeof url, "%s%s", server, path);
    const char *token = getenv("IF_SRE_TOKEN");
    if (token && *token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        headers = curl_slist_append(headers, auth);
    }
    if (body) {
        payload = json_dumps(body, JSON_COMPACT);
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
    }
    if (extra_header)
        headers = curl_slist_append(headers, extra_header);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        fprintf(stderr, "srebot: %s %s: %s\n", method, url, curl_easy_strerror(rc));
        goto out;
    }
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    status = (int)code;
    if (out) {
        *out = NULL;
        if (a.len) {
            json_error_t jerr;
            *out = json_loadb(a.data, a.len, 0, &jerr);
        }
    }
out:
    free(payload);
    free(a.data);
    curl_slist_free_all(headers);
    if (curl)
        curl_easy_cleanup(curl);
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
}
