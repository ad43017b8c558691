/* Network helpers for probes: name resolution and TCP connect, both bounded by
 * a timeout, and "host:port" / URL target parsing. */
#ifndef SREBOT_SOURCES_NETUTIL_H
#define SREBOT_SOURCES_NETUTIL_H

#include <netdb.h>
#include <stddef.h>

/* Splits "host:port", "[v6]:port" into host and port. Returns 0 or -1. */
int net_split_hostport(const char *target, char *host, size_t hostlen, char *port,
                       size_t portlen);

/* A bound on the name lookups in flight (the sources worker owns one and
 * hands it to its probes). Reference-counted: lookups it abandoned keep it
 * alive until they end, so the owner may release it at any time. */
struct net_resolver;
struct net_resolver *net_resolver_create(void);
void net_resolver_release(struct net_resolver *r); /* NULL ok */
int net_resolver_pending(struct net_resolver *r);  /* lookups not yet finished */

/* getaddrinfo with a timeout. The lookup runs on a short-lived detached thread;
 * on timeout it is abandoned (and frees itself when it ends). At most
 * NET_MAX_PENDING lookups of one resolver may be in flight: beyond that, fails
 * fast. Returns 0 with *res (freeaddrinfo it), or -1 with a reason in err. */
#define NET_MAX_PENDING 16
int net_resolve(struct net_resolver *r, const char *host, const char *port, int family,
                int timeout_ms, struct addrinfo **res, char *err, size_t errlen);

/* Resolves and connects (each address in turn) within timeout_ms overall.
 * Returns a connected blocking socket, or -1 with a reason in err. */
int net_connect(struct net_resolver *r, const char *host, const char *port, int timeout_ms,
                char *err, size_t errlen);

#endif
