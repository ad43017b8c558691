/* Parsers for the Linux /proc files the host source reads. Pure: they take the
 * file's bytes (not NUL-terminated, any length) and never read past len. */
#ifndef SREBOT_CORE_PROCFS_H
#define SREBOT_CORE_PROCFS_H

#include <stddef.h>

struct cpu_times {
    unsigned long long busy;  /* user+nice+system+irq+softirq+steal */
    unsigned long long total; /* busy + idle + iowait */
};

struct mem_info {
    unsigned long long total_kb;
    unsigned long long available_kb;
};

/* The aggregate "cpu " line of /proc/stat. Returns 0, or -1 when absent/malformed. */
int procfs_parse_stat(const char *buf, size_t len, struct cpu_times *out);
/* MemTotal and MemAvailable of /proc/meminfo. Returns 0, or -1 when either is missing. */
int procfs_parse_meminfo(const char *buf, size_t len, struct mem_info *out);
/* Busy percentage between two samples; -1 when there is no elapsed time. */
double procfs_cpu_busy_percent(const struct cpu_times *before, const struct cpu_times *after);

#endif
