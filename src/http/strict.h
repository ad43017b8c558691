/* Refusing what a C string would silently cut short: NUL bytes in the path, the
 * query string and header values. Private to src/http/server*.c. */
#ifndef SREBOT_HTTP_STRICT_H
#define SREBOT_HTTP_STRICT_H

#include <stddef.h>

#include <microhttpd.h>

/* MHD_OPTION_UNESCAPE_CALLBACK: percent-decodes as libmicrohttpd does, except
 * that "%00" stays as those three characters, so no decoded path segment or
 * query value is cut at a NUL (an id "1%00" stays malformed instead of
 * becoming "1"). The query check below then refuses it by name; the price is
 * that a query value may not hold the text "%00" either (sent as "%2500"). */
size_t http_unescape_keep_nul(void *cls, struct MHD_Connection *conn, char *s);

/* 0 when the request is clean; -1 with what = "query parameter NAME" or
 * "header NAME" when a query key or value holds an encoded NUL ("%00") or a
 * header value holds a raw NUL byte. */
int http_request_nul(struct MHD_Connection *conn, char *what, size_t whatlen);

#endif
