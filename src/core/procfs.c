#include "core/procfs.h"

#include <string.h>

/* Reads one unsigned decimal at *p (skipping blanks); advances *p. Bounded by end. */
static int read_u64(const char **p, const char *end, unsigned long long *out)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s >= end || *s < '0' || *s > '9')
        return -1;
    unsigned long long v = 0;
    while (s < end && *s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        if (v > (~0ULL - d) / 10)
            return -1; /* overflow */
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

int procfs_parse_stat(const char *buf, size_t len, struct cpu_times *out)
{
    const char *end = buf + len;
    const char *line = buf;
    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        if (eol - line > 4 && memcmp(line, "cpu ", 4) == 0) {
            /* user nice system idle iowait irq softirq steal [guest guest_nice] */
            unsigned long long f[8] = {0};
            const char *p = line + 4;
            int n = 0;
            while (n < 8 && read_u64(&p, eol, &f[n]) == 0)
                n++;
            if (n < 4)
                return -1;
            unsigned long long busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
            unsigned long long idle = f[3] + f[4];
            out->busy = busy;
            out->total = busy + idle;
            return 0;
        }
        line = eol + 1;
    }
    return -1;
}

static int meminfo_field(const char *line, const char *eol, const char *name,
                         unsigned long long *out)
{
    size_t n = strlen(name);
    if ((size_t)(eol - line) <= n || memcmp(line, name, n) != 0 || line[n] != ':')
        return -1;
    const char *p = line + n + 1;
    return read_u64(&p, eol, out);
}

int procfs_parse_meminfo(const char *buf, size_t len, struct mem_info *out)
{
    const char *end = buf + len;
    const char *line = buf;
    int have_total = 0, have_avail = 0;
    unsigned long long total = 0, avail = 0;
    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        if (meminfo_field(line, eol, "MemTotal", &total) == 0)
            have_total = 1;
        else if (meminfo_field(line, eol, "MemAvailable", &avail) == 0)
            have_avail = 1;
        line = eol + 1;
    }
    if (!have_total || !have_avail || total == 0 || avail > total)
        return -1;
    out->total_kb = total;
    out->available_kb = avail;
    return 0;
}

double procfs_cpu_busy_percent(const struct cpu_times *before, const struct cpu_times *after)
{
    if (after->total <= before->total || after->busy < before->busy)
        return -1;
    double dt = (double)(after->total - before->total);
    double db = (double)(after->busy - before->busy);
    double pct = 100.0 * db / dt;
    return pct > 100.0 ? 100.0 : pct;
}
