/* The host source: disk pressure per mount, CPU and memory saturation of the
 * machine it runs on. Readers are injectable so tests drive the thresholds.
 *
 * Configuration (all optional):
 *   {"id":"host", "mounts":["/","/var/lib/srebot"], "node":"name",
 *    "thresholds":{"disk_used_percent":90, "disk_clear_percent":85,
 *                  "inode_used_percent":90, "inode_clear_percent":85,
 *                  "cpu_busy_percent":90, "cpu_clear_percent":80,
 *                  "memory_used_percent":90, "memory_clear_percent":80,
 *                  "consecutive_samples":3},
 *    "refire_seconds":300, "check_cpu":true, "check_memory":true}
 * `thresholds` is the policy's section of the same name (same names, same
 * defaults); a missing entry comes from IF_SRE_THRESHOLD_<NAME> (e.g.
 * IF_SRE_THRESHOLD_DISK_USED_PERCENT), then the default above. A signal raises
 * after consecutive_samples samples at or over its *_used/_busy level and clears
 * after as many samples under its *_clear level. */
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
