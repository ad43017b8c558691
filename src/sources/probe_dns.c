/* DNS probe: the target name resolves within the timeout (optionally to an
 * expected address). Options: "expect_address":"10.0.0.5", "family":"ipv4|ipv6|any". */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sources/netutil.h"
#include "sources/probe.h"
#include "sources/srcconf.h"
#include "util/timeutil.h"

struct dns_opts {
    int family;
    char expect[64];
};

static int dns_prepare(struct probe *p, const json_t *cfg, void **opts, char *err, size_t errlen)
{
    (void)p;
    struct dns_opts *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *fam = srcconf_str(cfg, "family", "any");
    o->family = strcmp(fam, "ipv4") == 0 ? AF_INET : strcmp(fam, "ipv6") == 0 ? AF_INET6 : AF_UNSPEC;
    const char *exp = srcconf_str(cfg, "expect_address", "");
    snprintf(o->expect, sizeof o->expect, "%s", exp);
    *opts = o;
    return 0;
}

static void dns_check(struct probe *p, struct probe_result *r, int64_t now_ms,
                      const struct finding_sink *sink)
{
    (void)now_ms;
    (void)sink;
    const struct dns_opts *o = p->opts;
    struct addrinfo *res = NULL;
    char err[200] = "";
    uint64_t t0 = time_mono_ns();
    int rc = net_resolve(p->deps->resolver, p->target, NULL, o->family, p->timeout_ms, &res, err, sizeof err);
    double ms = (double)(time_mono_ns() - t0) / 1e6;
    json_object_set_new(r->data, "latency_ms", json_real(ms));
    if (rc != 0) {
        snprintf(r->detail, sizeof r->detail, "%s", err);
        return;
    }
    json_t *addrs = json_array();
    int found = o->expect[0] == '\0';
    for (struct addrinfo *ai = res; ai && json_array_size(addrs) < 16; ai = ai->ai_next) {
        char buf[INET6_ADDRSTRLEN] = "";
        const void *src = ai->ai_family == AF_INET
                              ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                              : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        if (!inet_ntop(ai->ai_family, src, buf, sizeof buf))
            continue;
        int dup = 0;
        size_t i;
        json_t *v;
        json_array_foreach(addrs, i, v) dup |= strcmp(json_string_value(v), buf) == 0;
        if (!dup)
            json_array_append_new(addrs, json_string(buf));
        if (o->expect[0] && strcmp(buf, o->expect) == 0)
            found = 1;
    }
    freeaddrinfo(res);
    size_t n = json_array_size(addrs);
    json_object_set_new(r->data, "addresses", addrs);
    if (!found) {
        snprintf(r->detail, sizeof r->detail, "%.200s resolved to %zu address(es), not %.46s", p->target,
                 n, o->expect);
        return;
    }
    r->ok = 1;
    snprintf(r->detail, sizeof r->detail, "%.200s resolved to %zu address(es) in %.1f ms", p->target,
             n, ms);
}

static const struct probe_kind dns_kind = {
    .kind = "dns",
    .default_class = "runtime_services.runtime_dependency_outage",
    .prepare = dns_prepare,
    .check = dns_check,
    .free_opts = free,
};

PROBE_SOURCE_OPS(source_probe_dns, dns_kind, "dns", "DNS resolution of a name within a timeout");
