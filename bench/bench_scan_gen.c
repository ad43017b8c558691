/* bench_scan_gen: the inputs of bench/scan.sh.
 *
 *   build/bench/bench_scan_gen log FILE MEGABYTES   a realistic log mix
 *   build/bench/bench_scan_gen rules DIR [N]        N signatures (default 200):
 *                                                   DIR/rules.json (detector_rules)
 *                                                   DIR/patterns.txt (for grep -E -f)
 *   build/bench/bench_scan_gen dense FILE MEGABYTES  the "real match density" log:
 *                                                   about 5% of lines match
 *   build/bench/bench_scan_gen dense-rules DIR [N]   its signatures (same two files)
 *
 * The log mix is what a small cluster's node collects: nginx access logs
 * (40%, about 1 in 200 a 5xx), JSON application logs (25%), logfmt Go services
 * (20%), kubelet/syslog lines (10%) and Java-style lines (5%); about 1 line in
 * 2000 is an incident line (a panic, a refused connection, an OOM kill, a TLS
 * error, or the text of one of the generated signatures).
 *
 * The signatures are the built-in rules plus generated ones written the way
 * operators write them: a component, a failure phrase, some variable part
 * ("kafka: consumer group [a-z0-9-]+ rebalance failed"). Deterministic: the
 * same arguments give the same files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/builtin_rules.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static unsigned pick(unsigned n)
{
    return (unsigned)(next() % n);
}

static const char *const components[] = {
    "kafka",  "redis", "postgres", "mysql",   "s3",        "grpc",      "etcd",
    "consul", "vault", "rabbitmq", "elastic", "mongodb",   "memcached", "nats",
    "ldap",   "smtp",  "dns",      "ingress", "scheduler", "billing",
};
#define NCOMP (sizeof components / sizeof components[0])

/* Failure phrases: "@" is the component. Each has a regex form for the
 * signature and a literal form for the log line that should match it. */
static const char *const sig_forms[][2] = {
    {"@: consumer group [a-z0-9-]+ rebalance failed",
     "@: consumer group orders-7 rebalance failed"},
    {"@ client: (timeout|deadline exceeded) after [0-9]+ms",
     "@ client: deadline exceeded after 3000ms"},
    {"failed to acquire @ lock [a-z_]+ within [0-9]+s",
     "failed to acquire @ lock leader_election within 30s"},
    {"@ replication lag [0-9]{3,}s exceeds limit", "@ replication lag 412s exceeds limit"},
    {"@ pool exhausted \\(max=[0-9]+\\)", "@ pool exhausted (max=64)"},
    {"unexpected EOF reading @ response", "unexpected EOF reading @ response"},
    {"@: authentication failed for user [a-z0-9_]+", "@: authentication failed for user svc_app"},
    {"@ circuit breaker open", "@ circuit breaker open"},
    {"too many open files.*@", "accept: too many open files while dialing @"},
    {"@: disk quota exceeded on volume [a-z0-9-]+", "@: disk quota exceeded on volume data-0"},
};
#define NFORMS (sizeof sig_forms / sizeof sig_forms[0])

/* form with each "@" replaced by comp. */
static void subst(char *out, size_t outlen, const char *form, const char *comp)
{
    size_t o = 0, cl = strlen(comp);
    for (; *form && o + 1 < outlen; form++) {
        if (*form == '@' && o + cl + 1 < outlen) {
            memcpy(out + o, comp, cl);
            o += cl;
        } else if (*form != '@') {
            out[o++] = *form;
        }
    }
    out[o] = '\0';
}

static const char *const paths[] = {
    "/api/v1/orders", "/api/v1/users/me", "/healthz",       "/api/v1/cart/items",
    "/static/app.js", "/metrics",         "/api/v1/search", "/login"};
static const char *const agents[] = {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, "
                                     "like Gecko) Chrome/119.0 Safari/537.36",
                                     "curl/8.4.0", "kube-probe/1.28", "Prometheus/2.48.0",
                                     "python-requests/2.31.0"};
static const char *const msgs[] = {"order created",      "cache hit",        "user logged in",
                                   "payment authorized", "batch processed",  "session refreshed",
                                   "config reloaded",    "request completed"};

static const char *const incident_lines[] = {
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "goroutine 1 [running]:",
    "thread 'tokio-runtime-worker' panicked at src/worker.rs:88:14",
    "kernel: worker[4242]: segfault at 0 ip 000055d0c8a1b2c3 sp 00007ffd error 4",
    "kernel: Out of memory: Killed process 4242 (java) total-vm:8123456kB",
    "dial tcp 10.96.0.12:5432: connect: connection refused",
    "Get \"https://auth.internal/.well-known/openid-configuration\": x509: certificate has expired",
    "level=error msg=\"failed to send notification\" channel=slack err=\"timeout\"",
    "http: TLS handshake error from 10.2.3.4:51234: remote error: tls: bad certificate",
};
#define NINC (sizeof incident_lines / sizeof incident_lines[0])

/* One line of the project's log mix at time h:m:s into line (cap bytes);
 * returns its length as snprintf does. */
static int mix_line(char *line, size_t cap, unsigned h, unsigned m, unsigned s)
{
    int n;
    char extra[256];
    unsigned kind = pick(1000);
    if (pick(2000) == 0) {
        /* An incident line: a built-in case or a generated signature's text. */
        if (pick(2)) {
            n = snprintf(line, cap, "2026-11-27T%02u:%02u:%02u.%03uZ %s\n", h, m, s, pick(1000),
                         incident_lines[pick(NINC)]);
        } else {
            subst(extra, sizeof extra, sig_forms[pick(NFORMS)][1], components[pick(NCOMP)]);
            n = snprintf(line, cap, "ts=2026-11-27T%02u:%02u:%02uZ level=error msg=\"%s\"\n", h, m,
                         s, extra);
        }
    } else if (kind < 400) {
        unsigned status = pick(200) == 0 ? 500 + pick(5) : (pick(10) ? 200 : 304 + pick(2) * 100);
        n = snprintf(
            line, cap,
            "10.%u.%u.%u - - [27/Nov/2026:%02u:%02u:%02u +0000] \"%s %s/%u HTTP/1.1\" %u %u "
            "\"-\" \"%s\" rt=0.%03u\n",
            pick(256), pick(256), pick(256), h, m, s, pick(4) ? "GET" : "POST", paths[pick(8)],
            pick(100000), status, 200 + pick(20000), agents[pick(5)], pick(1000));
    } else if (kind < 650) {
        n = snprintf(
            line, cap,
            "{\"ts\":\"2026-11-27T%02u:%02u:%02u.%03uZ\",\"level\":\"%s\",\"logger\":\"app.%s\","
            "\"msg\":\"%s\",\"request_id\":\"%08x%08x\",\"latency_ms\":%u,\"status\":%u}\n",
            h, m, s, pick(1000), pick(20) ? "info" : "warn", components[pick(NCOMP)], msgs[pick(8)],
            (unsigned)next(), (unsigned)next(), pick(500), pick(100) ? 200 : 404);
    } else if (kind < 850) {
        n = snprintf(
            line, cap,
            "ts=2026-11-27T%02u:%02u:%02u.%03uZ level=%s caller=%s/server.go:%u msg=\"%s\" "
            "method=GET path=%s status=%u dur=%ums\n",
            h, m, s, pick(1000), pick(30) ? "info" : "debug", components[pick(NCOMP)], pick(900),
            msgs[pick(8)], paths[pick(8)], pick(50) ? 200 : 404, pick(300));
    } else if (kind < 950) {
        n = snprintf(line, cap,
                     "Nov 27 %02u:%02u:%02u node-%u kubelet[%u]: I1127 %02u:%02u:%02u.%06u %u "
                     "kubelet.go:%u] \"SyncLoop (PLEG): event for pod\" pod=\"prod/%s-%x\" "
                     "event={\"Type\":\"ContainerStarted\"}\n",
                     h, m, s, pick(5), 1000 + pick(9000), h, m, s, pick(1000000), 1000 + pick(9000),
                     2000 + pick(500), components[pick(NCOMP)], (unsigned)next() & 0xfffff);
    } else {
        n = snprintf(line, cap,
                     "2026-11-27 %02u:%02u:%02u,%03u INFO  [pool-%u-thread-%u] "
                     "com.example.%s.BatchService - Processed batch %u with %u records in %u ms\n",
                     h, m, s, pick(1000), pick(8), pick(32), components[pick(NCOMP)], pick(1000000),
                     pick(5000), pick(2000));
    }
    return n;
}

/* Writes lines from line_fn to file until it holds megabytes * 10^6 bytes;
 * the clock advances by a second every 7 lines or so. */
static int write_log(const char *file, unsigned long long megabytes,
                     int (*line_fn)(char *line, size_t cap, unsigned h, unsigned m, unsigned s))
{
    FILE *f = fopen(file, "wb");
    if (!f) {
        perror(file);
        return 1;
    }
    static char fbuf[1 << 20];
    setvbuf(f, fbuf, _IOFBF, sizeof fbuf);
    unsigned long long target = megabytes * 1000000ull, written = 0, lines = 0;
    char line[1024];
    unsigned sec = 0;
    while (written < target) {
        unsigned h = (sec / 3600) % 24, m = (sec / 60) % 60, s = sec % 60;
        if (pick(7) == 0)
            sec++;
        int n = line_fn(line, sizeof line, h, m, s);
        if (n <= 0 || (size_t)n >= sizeof line)
            continue;
        fwrite(line, 1, (size_t)n, f);
        written += (unsigned long long)n;
        lines++;
    }
    if (fclose(f) != 0) {
        perror(file);
        return 1;
    }
    fprintf(stderr, "wrote %s: %llu bytes, %llu lines\n", file, written, lines);
    return 0;
}

/* The dense log: what an operator's node looks like on a bad day, and what
 * operators' own signatures look like. About 5% of lines match something,
 * and the signatures key on text that is common in the log (a logger name, a
 * caller, a status field) with character classes doing the discriminating,
 * so vectorscan's literal prefilter keeps waking the regex engine.
 * "@" is the component; each form's regex goes to the rules, and the log
 * lines below are written so that some of them match each form. */
static const char *const dense_forms[] = {
    "\"level\":\"error\",\"logger\":\"app\\.@\",\"msg\":\"[a-z ]+\"",
    "level=error caller=@/[a-z_]+\\.go:[0-9]+",
    "@ client: (timeout|deadline exceeded) after [0-9]+ms",
    "com\\.example\\.@\\.BatchService - Export failed for batch [0-9]+",
    "@: consumer group [a-z0-9-]+ rebalance failed",
    "\"status\":5[0-9]{2},\"upstream\":\"@\"",
    "@ pool exhausted \\(max=[0-9]+\\)",
    "@/server\\.go:[0-9]+ msg=\"upstream read timeout\"",
    "\"latency_ms\":[0-9]{4,},\"status\":[0-9]+,\"upstream\":\"@\"",
    "retry [0-9]+/[0-9]+ for @ (job|task) [a-z0-9-]+ failed",
};
#define NDENSE (sizeof dense_forms / sizeof dense_forms[0])

static const char *const fail_msgs[] = {"payment capture failed", "token refresh failed",
                                        "cache fill failed", "order sync failed"};

static int dense_line(char *line, size_t cap, unsigned h, unsigned m, unsigned s)
{
    int n;
    unsigned kind = pick(1000);
    const char *comp = components[pick(NCOMP)];
    if (kind < 15) {
        /* Free-form incident text of the operators' signatures. */
        static const char *const free_text[] = {
            "@ client: timeout after 5000ms", "@: consumer group billing-3 rebalance failed",
            "@ pool exhausted (max=128)", "retry 3/5 for @ job nightly-export failed"};
        char extra[256];
        subst(extra, sizeof extra, free_text[pick(4)], comp);
        n = snprintf(line, cap, "ts=2026-11-27T%02u:%02u:%02uZ level=warn msg=\"%s\"\n", h, m, s,
                     extra);
    } else if (kind < 460) {
        /* Access log: 3% 5xx, 3% 4xx. */
        unsigned r = pick(100);
        unsigned status = r < 3 ? 500 + pick(5) : r < 6 ? 400 + pick(30) : 200;
        n = snprintf(
            line, cap,
            "10.%u.%u.%u - - [27/Nov/2026:%02u:%02u:%02u +0000] \"%s %s/%u HTTP/1.1\" %u %u "
            "\"-\" \"%s\" rt=%u.%03u\n",
            pick(256), pick(256), pick(256), h, m, s, pick(4) ? "GET" : "POST", paths[pick(8)],
            pick(100000), status, 200 + pick(20000), agents[pick(5)], pick(50) ? 0 : 1 + pick(9),
            pick(1000));
    } else if (kind < 710) {
        /* JSON application log: 4% errors, 1% 5xx, 1% slow. */
        unsigned r = pick(100);
        n = snprintf(
            line, cap,
            "{\"ts\":\"2026-11-27T%02u:%02u:%02u.%03uZ\",\"level\":\"%s\",\"logger\":\"app.%s\","
            "\"msg\":\"%s\",\"request_id\":\"%08x%08x\",\"latency_ms\":%u,\"status\":%u,"
            "\"upstream\":\"%s\"}\n",
            h, m, s, pick(1000), r < 4 ? "error" : "info", comp,
            r < 4 ? fail_msgs[pick(4)] : msgs[pick(8)], (unsigned)next(), (unsigned)next(),
            r == 4 ? 1000 + pick(9000) : pick(900), r == 3 ? 500 + pick(4) : 200,
            components[pick(NCOMP)]);
    } else if (kind < 910) {
        /* logfmt Go service: 3% errors, a third of them timeouts. */
        unsigned r = pick(100);
        n = snprintf(
            line, cap,
            "ts=2026-11-27T%02u:%02u:%02u.%03uZ level=%s caller=%s/server.go:%u msg=\"%s\" "
            "method=GET path=%s status=%u dur=%ums\n",
            h, m, s, pick(1000), r < 3 ? "error" : "info", comp, pick(900),
            r == 0  ? "upstream read timeout"
            : r < 3 ? "bad request body"
                    : msgs[pick(8)],
            paths[pick(8)], r < 3 ? 400 : 200, pick(300));
    } else {
        /* Java: 5% failed batches. */
        unsigned r = pick(100);
        n = snprintf(line, cap,
                     "2026-11-27 %02u:%02u:%02u,%03u %s [pool-%u-thread-%u] "
                     "com.example.%s.BatchService - %s batch %u with %u records in %u ms\n",
                     h, m, s, pick(1000), r < 5 ? "ERROR" : "INFO ", pick(8), pick(32), comp,
                     r < 5 ? "Export failed for" : "Processed", pick(1000000), pick(5000),
                     pick(2000));
    }
    return n;
}

/* Writes s as a JSON string. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The built-in rules, then each form for each component, then (past those)
 * each again at an error level. */
static int gen_rules(const char *dir, unsigned want, const char *const *forms, unsigned nforms)
{
    char jpath[1024], ppath[1024];
    snprintf(jpath, sizeof jpath, "%s/rules.json", dir);
    snprintf(ppath, sizeof ppath, "%s/patterns.txt", dir);
    FILE *j = fopen(jpath, "w"), *p = fopen(ppath, "w");
    if (!j || !p) {
        perror(dir);
        return 1;
    }
    fputs("[\n", j);
    unsigned n = 0;
    for (const struct builtin_rule *r = builtin_rules; r->id && n < want; r++) {
        if (strcmp(r->kind, "log_signature") != 0)
            continue;
        fprintf(j, "%s {\"id\":\"%s\",\"builtin\":true,\"enabled\":true}", n ? ",\n" : "", r->id);
        /* grep matches line by line: a "\n" in a bracket (our way of keeping
         * vectorscan within a line) would mean '\\' and 'n' to it; drop it. */
        for (const char *c = r->pattern; *c; c++) {
            if (c[0] == '\\' && c[1] == 'n') {
                c++;
                continue;
            }
            fputc(*c, p);
        }
        fputc('\n', p);
        n++;
    }
    for (unsigned k = 0; n < want && k < NCOMP * nforms * 4; k++) {
        char base[400], pat[512];
        const char *comp = components[k % NCOMP];
        unsigned form = (unsigned)((k / NCOMP) % nforms);
        subst(base, sizeof base, forms[form], comp);
        if (k >= NCOMP * nforms) /* past the plain combinations: the failure at a level */
            snprintf(pat, sizeof pat, "level=(error|fatal) .*%s", base);
        else
            snprintf(pat, sizeof pat, "%s", base);
        fprintf(j, ",\n {\"id\":\"gen.%s.%u.%u\",\"kind\":\"log_signature\",\"pattern\":", comp,
                form, (unsigned)(k / (NCOMP * nforms)));
        json_str(j, pat);
        fprintf(j, ",\"class\":\"application_services.application_service_degraded\","
                   "\"severity\":\"warning\",\"threshold\":5,\"window_seconds\":300}");
        fprintf(p, "%s\n", pat);
        n++;
    }
    fputs("\n]\n", j);
    fclose(j);
    fclose(p);
    fprintf(stderr, "wrote %s and %s: %u signatures\n", jpath, ppath, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "log") == 0)
        return write_log(argv[2], strtoull(argv[3], NULL, 10), mix_line);
    unsigned want = argc >= 4 ? (unsigned)strtoul(argv[3], NULL, 10) : 200;
    if (argc >= 3 && strcmp(argv[1], "rules") == 0) {
        const char *forms[NFORMS];
        for (unsigned i = 0; i < NFORMS; i++)
            forms[i] = sig_forms[i][0];
        return gen_rules(argv[2], want, forms, NFORMS);
    }
    if (argc >= 4 && strcmp(argv[1], "dense") == 0)
        return write_log(argv[2], strtoull(argv[3], NULL, 10), dense_line);
    if (argc >= 3 && strcmp(argv[1], "dense-rules") == 0)
        return gen_rules(argv[2], want, dense_forms, NDENSE);
    fprintf(stderr, "usage: bench_scan_gen log FILE MEGABYTES | rules DIR [N] | dense FILE "
                    "MEGABYTES | dense-rules DIR [N]\n");
    return 2;
}
