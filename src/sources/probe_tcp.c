/* TCP probe: the target ("host:port") accepts a connection within the timeout. */
#include <stdio.h>
#include <unistd.h>

#include "sources/netutil.h"
#include "sources/probe.h"
#include "util/timeutil.h"

static int tcp_prepare(struct probe *p, const json_t *cfg, void **opts, char *err, size_t errlen)
{
    (void)cfg;
    (void)opts;
    char host[256], port[8];
    if (net_split_hostport(p->target, host, sizeof host, port, sizeof port) != 0) {
        snprintf(err, errlen, "target: expected host:port");
        return -1;
    }
    return 0;
}

static void tcp_check(struct probe *p, struct probe_result *r, int64_t now_ms,
                      const struct finding_sink *sink)
{
    (void)now_ms;
    (void)sink;
    char host[256], port[8], err[200] = "";
    net_split_hostport(p->target, host, sizeof host, port, sizeof port);
    uint64_t t0 = time_mono_ns();
    int fd = net_connect(p->deps->resolver, host, port, p->timeout_ms, err, sizeof err);
    double ms = (double)(time_mono_ns() - t0) / 1e6;
    json_object_set_new(r->data, "latency_ms", json_real(ms));
    if (fd < 0) {
        snprintf(r->detail, sizeof r->detail, "%s", err);
        return;
    }
    close(fd);
    r->ok = 1;
    snprintf(r->detail, sizeof r->detail, "connected in %.1f ms", ms);
}

static const struct probe_kind tcp_kind = {
    .kind = "tcp",
    .default_class = "runtime_services.runtime_dependency_outage",
    .prepare = tcp_prepare,
    .check = tcp_check,
};

PROBE_SOURCE_OPS(source_probe_tcp, tcp_kind, "tcp", "TCP connect to host:port within a timeout");
