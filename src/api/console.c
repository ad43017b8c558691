/* The console: static files embedded from web/ at build time. Public (the
 * console signs in with a token it keeps in sessionStorage); the server adds
 * the strict Content-Security-Policy to every response.
 *
 * Each file gets a strong ETag (a prefix of its SHA-256, computed at build
 * time by cmake/embed_run.cmake), so
 * browsers revalidate with If-None-Match and get 304 instead of the bytes. */
#include <string.h>
#include <strings.h>

#include "api/ops.h"
#include "http/assets.h"

static const struct {
    const char *ext, *type;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

const char *console_mime_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof mime_types / sizeof mime_types[0]; i++)
            if (strcasecmp(dot, mime_types[i].ext) == 0)
                return mime_types[i].type;
    return "application/octet-stream";
}

/* 1 when an If-None-Match list ("a", "b" or *) names etag. */
static int etag_listed(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    size_t n = strlen(etag);
    for (const char *p = strstr(inm, etag); p; p = strstr(p + 1, etag)) {
        /* a whole entry, optionally weak (W/"...") */
        char after = p[n];
        if (after == '\0' || after == ',' || after == ' ')
            return 1;
    }
    return 0;
}

void console_asset(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)app;
    const char *path = strcmp(req->path, "/") == 0 ? "/index.html" : req->path;
    const struct embedded_file *f = assets_find(path);
    if (!f) {
        http_resp_error(resp, 404, "not_found", "no resource at this path");
        return;
    }
    /* No fingerprinted names: browsers revalidate every time, cheaply. */
    http_resp_header(resp, "Cache-Control", "no-cache");
    http_resp_header(resp, "ETag", f->etag);
    if (etag_listed(http_req_header(req, "If-None-Match"), f->etag)) {
        resp->status = 304;
        resp->content_type = console_mime_type(path);
        return;
    }
    resp->status = 200;
    resp->static_body = f->data;
    resp->static_len = f->len;
    resp->content_type = console_mime_type(path);
}
