#include "http/strict.h"

#include <stdio.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t http_unescape_keep_nul(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    char *out = s;
    for (const char *in = s; *in;) {
        int hi = in[0] == '%' ? hexval(in[1]) : -1;
        int lo = hi >= 0 ? hexval(in[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            in += 3;
        } else {
            *out++ = *in++; /* a plain byte, a malformed escape, or the "%" of "%00" */
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

struct nul_scan {
    char *what;
    size_t whatlen;
    int found;
};

static int holds_encoded_nul(const char *s, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++)
        if (s[i] == '%' && s[i + 1] == '0' && s[i + 2] == '0')
            return 1;
    return 0;
}

static enum MHD_Result on_query_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct nul_scan *ns = cls;
    if (strlen(key) != key_size || holds_encoded_nul(key, key_size) ||
        (value && (strlen(value) != value_size || holds_encoded_nul(value, value_size)))) {
        snprintf(ns->what, ns->whatlen, "query parameter %.*s", (int)strnlen(key, 64), key);
        ns->found = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

static enum MHD_Result on_header_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                       size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct nul_scan *ns = cls;
    if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
        snprintf(ns->what, ns->whatlen, "header %.*s", (int)strnlen(key, 64), key);
        ns->found = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

int http_request_nul(struct MHD_Connection *conn, char *what, size_t whatlen)
{
    struct nul_scan ns = {what, whatlen, 0};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, on_query_value, &ns);
    if (!ns.found)
        MHD_get_connection_values_n(conn, MHD_HEADER_KIND, on_header_value, &ns);
    return ns.found ? -1 : 0;
}
