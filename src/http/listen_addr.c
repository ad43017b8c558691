/* The listen address: "host:port" or "[v6]:port" resolved to a socket address. */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "http/server_internal.h"

/* "host:port" or "[v6]:port" -> a socket address. */
int http_resolve_listen(const char *listen, struct sockaddr_storage *ss, int *family, char *err,
                          size_t errlen)
{
    char host[256];
    const char *port;
    if (!listen || !*listen) {
        snprintf(err, errlen, "empty listen address");
        return -1;
    }
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "listen address '%s': want [v6addr]:port", listen);
            return -1;
        }
        snprintf(host, sizeof host, "%.*s", (int)(close - listen - 1), listen + 1);
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon) {
            snprintf(err, errlen, "listen address '%s': want host:port", listen);
            return -1;
        }
        snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
        port = colon + 1;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "listen address '%s': %s", listen, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *family = res->ai_family;
    freeaddrinfo(res);
    return 0;
}
