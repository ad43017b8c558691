/* libFuzzer target: what the host and registry sources parse from outside —
 * /proc/stat and /proc/meminfo bytes, and HTTP answer headers (WWW-Authenticate
 * challenges, Retry-After values, both read by src/net/). The first
 * byte picks the parser; the rest is the input (not NUL-terminated for procfs). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/procfs.h"
#include "net/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: {
        struct cpu_times t, z = {0, 0};
        if (procfs_parse_stat(in, n, &t) == 0) {
            if (t.busy > t.total)
                abort();
            double pct = procfs_cpu_busy_percent(&z, &t);
            if (pct > 100.0)
                abort();
        }
        break;
    }
    case 1: {
        struct mem_info m;
        if (procfs_parse_meminfo(in, n, &m) == 0 && (m.available_kb > m.total_kb || !m.total_kb))
            abort();
        break;
    }
    default: {
        char *s = malloc(n + 1);
        if (!s)
            return 0;
        memcpy(s, in, n);
        s[n] = '\0';
        struct auth_challenge c;
        if (net_parse_challenge(s, &c) == 0 &&
            (strlen(c.scheme) >= sizeof c.scheme || strlen(c.realm) >= sizeof c.realm))
            abort();
        if (net_retry_after_ms(s, 1445412480000) < -1)
            abort();
        free(s);
        break;
    }
    }
    return 0;
}
