/* The host source: disk pressure per mount, CPU and memory saturation of the
 * machine it runs on. Readers are injectable so tests drive the thresholds.
 *
 * Configuration (all optional):
 *   {"id":"host", "mounts":["/","/var/lib/srebot"], "node":"name",
 *    "thresholds":{"disk_used_percent":90, "inode_used_percent":90,
 *                  "cpu_busy_percent":90, "memory_used_percent":90,
 *                  "host_clear_gap_percent":5, "host_samples":3},
 *    "refire_seconds":300, "check_cpu":true, "check_memory":true}
 * `thresholds` is the policy's section of the same name (same names, same
 * defaults); a missing entry comes from IF_SRE_<NAME> (IF_SRE_DISK_USED_PERCENT,
 * IF_SRE_INODE_USED_PERCENT, IF_SRE_CPU_BUSY_PERCENT, IF_SRE_MEMORY_USED_PERCENT,
 * IF_SRE_HOST_CLEAR_GAP_PERCENT, IF_SRE_HOST_SAMPLES), then the default above. A
 * signal raises after host_samples samples in a row at or over its level and
 * clears after as many samples under (level - host_clear_gap_percent). */
#ifndef SREBOT_SOURCES_HOST_H
#define SREBOT_SOURCES_HOST_H

#include <jansson.h>
#include <stddef.h>

#include "core/procfs.h"

struct fs_usage {
    unsigned long long total_bytes, avail_bytes; /* avail: for unprivileged users */
    unsigned long long files, files_free;
    unsigned long fsid; /* mounts on one filesystem are reported once */
};

struct host_readers {
    int (*fs)(void *ctx, const char *mount, struct fs_usage *out, char *err, size_t errlen);
    int (*cpu)(void *ctx, struct cpu_times *out, char *err, size_t errlen);
    int (*mem)(void *ctx, struct mem_info *out, char *err, size_t errlen);
    void *ctx;
};

/* statvfs, /proc/stat, /proc/meminfo. */
extern const struct host_readers host_readers_system;

int host_instance_create(const json_t *config, const struct host_readers *readers, void **out,
                         char *err, size_t errlen);

#endif
