#include "core/builtin_rules.h"

#include <string.h>

/* The built-in log signatures, compiled by src/core/logsig.c into one vectorscan
 * database together with the operator's rules.
 *
 * How these patterns are written, and why:
 * - Every alternative carries a literal of at least 6-7 bytes that is rare in
 *   healthy logs ("panicked at", "segfault at", "oom-kill:"). Vectorscan finds
 *   those with its literal prefilter and runs the regex only around them, so
 *   200 such signatures still scan at memory-ish speed. A signature whose
 *   literal sits on nearly every line (`HTTP/1.1"`) would run the automaton
 *   everywhere; the 5xx rule keys on `" 5` followed by digits instead.
 * - Only the PCRE subset that both vectorscan and POSIX ERE understand
 *   ([0-9] rather than \d, no look-around, no back-references), so the same
 *   pattern file drives `grep -E` in bench/scan.sh and the two can be compared.
 * - Patterns are matched per line: `.` never crosses a newline and ^/$ anchor
 *   at line boundaries (HS_FLAG_MULTILINE). A negated class would cross one
 *   ([^']* eats newlines), so every negated class here excludes '\n' too.
 *   (bench/scan.sh drops the "\n" for grep, which matches lines anyway.)
 * tests/unit/test_logsig.c holds positive and negative samples for every row. */
const struct builtin_rule builtin_rules[] = {
    /* Go: "panic: runtime error: ..." then "goroutine 1 [running]:". */
    {"builtin.go_panic", "log_signature",
     "panic: [^ \\n]|goroutine [0-9]+ \\[running\\]:|fatal error: (concurrent map|all goroutines)",
     "application_services.panic_detected", "high", "{source}:{rule}", 300, 1},
    /* Rust: "thread 'main' panicked at src/main.rs:3:5". */
    {"builtin.rust_panic", "log_signature", "thread '[^'\\n]*' panicked at",
     "application_services.panic_detected", "high", "{source}:{rule}", 300, 1},
    /* Kernel "segfault at 0 ip ...", shells' "Segmentation fault (core dumped)",
     * runtimes that name the signal. */
    {"builtin.segfault", "log_signature",
     "segfault at [0-9a-f]+ ip |Segmentation fault|SIGSEGV|[Bb]us error \\(core dumped\\)",
     "application_services.panic_detected", "high", "{source}:{rule}", 300, 1},
    /* C and C++ aborts: failed assertions, glibc heap checks, sanitizers. */
    {"builtin.c_abort", "log_signature",
     "Assertion [`'][^'\\n]*' failed|double free or corruption|stack smashing detected|"
     "ERROR: AddressSanitizer:|terminate called after throwing|Aborted \\(core dumped\\)",
     "application_services.panic_detected", "high", "{source}:{rule}", 300, 1},
    /* Kernel and cgroup OOM killer, kubelet's OOMKilled, runtimes giving up. */
    {"builtin.oom_killed", "log_signature",
     "Out of memory: Kill(ed)? process|invoked oom-killer|oom-kill:|Memory cgroup out of memory|"
     "OOMKilled|fatal error: runtime: out of memory|java\\.lang\\.OutOfMemoryError",
     "application_services.oom_killed", "high", "{source}:{rule}", 300, 1},
    /* Access logs: combined/common format (`"GET / HTTP/1.1" 503 12`), JSON
     * (`"status":503`) and logfmt (`status=503`). A burst, not a single error. */
    {"builtin.http_5xx", "log_signature",
     "\" 5[0-9][0-9] [0-9-]|\"status\": ?5[0-9][0-9][,} ]|[[:blank:]]status=5[0-9][0-9]( |$)",
     "application_services.http_5xx_burst", "warning", "{source}:{rule}", 60, 20},
    /* Mailers, webhooks and chat notifiers failing to deliver. */
    {"builtin.notification_failure", "log_signature",
     "(failed|unable|could not) to (send|deliver) (the )?(notification|email|e-mail|message|"
     "webhook|alert)|notification delivery failed|SMTP (error|AUTH failed)|"
     "smtp: [^ \\n].*(refused|timed? ?out)",
     "async_workloads.notification_delivery_failure", "warning", "{source}:{rule}", 300, 3},
    /* Certificates: expired, unknown authority, wrong name. */
    {"builtin.x509_error", "log_signature",
     "x509: certificate|certificate has expired|certificate verify failed|"
     "unable to get local issuer certificate|self[- ]signed certificate in certificate chain",
     "identity_security.tls_certificate_expiry", "high", "{source}:{rule}", 300, 1},
    /* TLS handshakes failing below the certificate level. */
    {"builtin.tls_handshake", "log_signature",
     "tls: handshake failure|remote error: tls: |SSL_do_handshake\\(\\) failed|"
     "SSL routines:[^ \\n]*:(wrong version number|sslv3 alert|tlsv1 alert)",
     "runtime_services.runtime_dependency_outage", "warning", "{source}:{rule}", 120, 5},
    /* A dependency refusing connections: Go's dial errors, libc's strerror,
     * Node's ECONNREFUSED, PostgreSQL and Redis clients. */
    {"builtin.connection_refused", "log_signature",
     "[Cc]onnection refused|ECONNREFUSED|"
     "Could not connect to Redis|could not connect to server: |dial tcp [^ \\n]+: i/o timeout",
     "runtime_services.runtime_dependency_outage", "warning", "{source}:{rule}", 60, 5},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};

const struct builtin_rule *builtin_rule_find(const char *id)
{
    for (const struct builtin_rule *r = builtin_rules; r->id; r++)
        if (strcmp(r->id, id) == 0)
            return r;
    return NULL;
}
