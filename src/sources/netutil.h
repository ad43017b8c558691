/* Network helpers for probes: name resolution and TCP connect, both bounded by
 * a timeout, and "host:port" / URL target parsing. */
#ifndef SREBOT_SOURCES_NETUTIL_H
#define SREBOT_SOURCES_NETUTIL_H

#include <netdb.h>
#include <stddef.h>

/* Splits "host:port", "[v6]:port" into host and port. Returns 0 or -1. */
int net_split_hostport(const char *target, char *host, size_t hostlen, char *port,
                       size_t portlen);

/* getaddrinfo with a timeout. The lookup runs on a short-lived detached thread;
 * on timeout it is abandoned (and frees itself when it ends). At most
 * NET_MAX_PENDING lookups may be abandoned at once: beyond that, fails fast.
 * Returns 0 with *res (freeaddrinfo it), or -1 with a reason in err. */
#define NET_MAX_PENDING 16
int net_resolve(const char *host, const char *port, int family, int timeout_ms,
                struct addrinfo **res, char *err, size_t errlen);

/* Resolves and connects (each address in turn) within timeout_ms overall.
 * Returns a connected blocking socket, or -1 with a reason in err. */
int net_connect(const char *host, const char *port, int timeout_ms, char *err, size_t errlen);

#endif
