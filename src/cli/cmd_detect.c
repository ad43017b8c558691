/* `srebot detect`: runs the signal sources (host, probes, log files) without a
 * ledger of its own and delivers their findings to a running server's ingest
 * API, buffering (bounded) and retrying while the server is away. The
 * standalone detector of the plan; NATS delivery joins when the bus does. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/jsonin.h"
#include "core/policy.h"
#include "net/client.h"
#include "sources/delivery.h"
#include "sources/sources.h"
#include "util/log.h"

#define DETECT_MAX_POLICY (1 << 20)

struct detect_opts {
    const char *server;
    const char *policy_file;
    int once;
    long buffer;
};

static void detect_help(FILE *out)
{
    fprintf(out,
            "usage: srebot detect [--server URL] [--policy FILE] [--once] [--buffer N] "
            "[SETTINGS]\n\n"
            "Runs the host source, the probes and the log detector of a policy and posts\n"
            "their findings to a running server (POST /api/v1/findings) with the token in\n"
            "IF_SRE_TOKEN (role ingest). Findings are buffered (at most N, the oldest are\n"
            "dropped and counted) and retried with backoff while the server is away.\n\n"
            "  --server URL    server base URL (else IF_SRE_SERVER, else http://127.0.0.1:8080)\n"
            "  --policy FILE   a robot_sre_policy document (or `srebot policy get` output):\n"
            "                  its probes, log_sources, thresholds and detector_rules\n"
            "  --once          run every source once, deliver, print the counts, exit\n"
            "                  (exit 1 when something was not delivered)\n"
            "  --buffer N      findings kept while the server is away (default 10000)\n\n"
            "SIGHUP re-reads --policy FILE and applies it without a restart.\n\n");
    cli_settings_help(out, NULL);
}

static int detect_extra(int opt, const char *arg, void *ctx)
{
    struct detect_opts *o = ctx;
    switch (opt) {
    case 's': o->server = arg; return 0;
    case 'p': o->policy_file = arg; return 0;
    case 'o': o->once = 1; return 0;
    case 'b': {
        char *end = NULL;
        o->buffer = strtol(arg, &end, 10);
        return (!end || *end || o->buffer < 1 || o->buffer > 10000000) ? -1 : 0;
    }
    default: return -1;
    }
}

/* Reads and validates a policy document; accepts the GET /api/v1/policy shape too. */
static json_t *load_policy(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "srebot detect: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(DETECT_MAX_POLICY + 1);
    size_t n = 0;
    ssize_t r = 0;
    while (buf && n <= DETECT_MAX_POLICY &&
           (r = read(fd, buf + n, DETECT_MAX_POLICY + 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    if (!buf || r < 0) {
        fprintf(stderr, "srebot detect: %s: cannot read\n", path);
        free(buf);
        return NULL;
    }
    struct problems *p = problems_create();
    json_t *doc = p ? jsonin_parse(buf, n, DETECT_MAX_POLICY, JSONIN_DEFAULT_DEPTH, p) : NULL;
    free(buf);
    if (doc && json_is_object(json_object_get(doc, "document"))) {
        json_t *inner = json_incref(json_object_get(doc, "document"));
        json_decref(doc);
        doc = inner;
    }
    if (doc)
        policy_validate(doc, p);
    if (!doc || problems_any(p)) {
        for (size_t i = 0; p && i < p->count; i++)
            fprintf(stderr, "srebot detect: %s: %s %s: %s\n", path,
                    p->items[i].path[0] ? p->items[i].path : "/", p->items[i].code,
                    p->items[i].message);
        problems_destroy(p);
        json_decref(doc);
        return NULL;
    }
    problems_destroy(p);
    return doc;
}

static void print_stats(struct delivery *d, FILE *out)
{
    struct delivery_stats st;
    delivery_get_stats(d, &st);
    json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "queued", (json_int_t)st.queued,
                          "delivered", (json_int_t)st.delivered, "dropped",
                          (json_int_t)st.dropped, "rejected", (json_int_t)st.rejected,
                          "attempts", (json_int_t)st.attempts, "failures",
                          (json_int_t)st.failures, "pending", (json_int_t)st.depth,
                          "last_status", (json_int_t)st.last_status);
    if (st.last_error[0])
        json_object_set_new(j, "last_error", json_string(st.last_error));
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    if (s)
        fprintf(out, "%s\n", s);
    free(s);
    json_decref(j);
}

int cmd_detect(int argc, char **argv)
{
    static const struct option extra[] = {
        {"server", required_argument, NULL, 's'},
        {"policy", required_argument, NULL, 'p'},
        {"once", no_argument, NULL, 'o'},
        {"buffer", required_argument, NULL, 'b'},
    };
    struct detect_opts o = {.buffer = 10000};
    struct config cfg;
    int rc = cli_parse_settings(argc, argv, &cfg, extra, 4, detect_extra, &o, detect_help);
    if (rc)
        return rc > 0 ? 0 : 2;
    log_set_level((enum log_level)cfg.log_level);
    signal(SIGPIPE, SIG_IGN);

    json_t *policy = NULL;
    if (o.policy_file && !(policy = load_policy(o.policy_file)))
        return 2;
    const char *server = cli_server(o.server);
    const char *token = getenv("IF_SRE_TOKEN");
    if (!token || !*token)
        log_warn("detect", "IF_SRE_TOKEN is not set: the server will refuse the findings");

    struct delivery *d = NULL;
    char err[300];
    /* One HTTP client for the probes and the delivery (net/client.h). */
    struct net_client *net = NULL;
    if (net_client_create(NULL, &net, err, sizeof err) != 0) {
        fprintf(stderr, "srebot detect: %s\n", err);
        json_decref(policy);
        return 2;
    }
    struct delivery_opts dopts = {
        .server = server, .token = token, .capacity = (size_t)o.buffer, .net = net};
    if (delivery_create(&dopts, &d, err, sizeof err) != 0) {
        fprintf(stderr, "srebot detect: %s\n", err);
        net_client_destroy(net);
        json_decref(policy);
        return 2;
    }
    /* Block the stop signals before any thread starts, so only sigtimedwait sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct finding_sink sink = {delivery_emit, d};
    /* No /metrics in detect: the sources record none (metrics NULL). */
    struct sources_config scfg = {.data_dir = cfg.data_dir, .logs_glob = cfg.logs_glob, .net = net};
    struct sources *src = NULL;
    if (sources_create(&scfg, &sink, &src, err, sizeof err) != 0 ||
        sources_start(src, policy, err, sizeof err) != 0) {
        fprintf(stderr, "srebot detect: %s\n", err);
        sources_destroy(src);
        delivery_destroy(d);
        net_client_destroy(net);
        json_decref(policy);
        return 2;
    }
    json_decref(policy);
    log_info("detect", "delivering findings to %s", server);

    int exit_code = 0;
    if (o.once) {
        if (sources_wait_cycles(src, 1, 120000) != 0)
            log_warn("detect", "not every source completed a cycle in time");
        sources_destroy(src);
        int flushed = delivery_flush(d, 30000);
        struct delivery_stats st;
        delivery_get_stats(d, &st);
        exit_code = flushed == 0 && st.rejected == 0 && st.dropped == 0 ? 0 : 1;
        print_stats(d, stdout);
    } else {
        for (;;) {
            struct timespec every = {60, 0};
            int sig = sigtimedwait(&stop, NULL, &every);
            if (sig == SIGINT || sig == SIGTERM)
                break;
            if (sig == SIGHUP) {
                json_t *np = o.policy_file ? load_policy(o.policy_file) : NULL;
                if (np && sources_apply_policy(src, np, err, sizeof err) == 0)
                    log_info("detect", "policy %s applied", o.policy_file);
                else if (o.policy_file)
                    log_error("detect", "policy %s not applied; the previous one stays",
                              o.policy_file);
                json_decref(np);
                continue;
            }
            print_stats(d, stderr); /* one status line a minute */
        }
        log_info("detect", "stopping");
        sources_destroy(src);
        delivery_flush(d, 5000);
        print_stats(d, stderr);
    }
    delivery_destroy(d);
    net_client_destroy(net);
    return exit_code;
}
