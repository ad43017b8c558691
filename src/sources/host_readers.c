/* The real readers of the host source: statvfs and two /proc files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "sources/host.h"

static int read_fs(void *ctx, const char *mount, struct fs_usage *out, char *err, size_t errlen)
{
    (void)ctx;
    struct statvfs st;
    if (statvfs(mount, &st) != 0) {
        snprintf(err, errlen, "statvfs %s: %s", mount, strerror(errno));
        return -1;
    }
    out->total_bytes = (unsigned long long)st.f_blocks * st.f_frsize;
    out->avail_bytes = (unsigned long long)st.f_bavail * st.f_frsize;
    out->files = st.f_files;
    out->files_free = st.f_favail;
    out->fsid = st.f_fsid;
    return 0;
}

/* Reads a whole small /proc file (they are generated per read; a few KiB). */
static int read_small(const char *path, char *buf, size_t cap, size_t *len, char *err,
                      size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return 0;
}

static int read_cpu(void *ctx, struct cpu_times *out, char *err, size_t errlen)
{
    (void)ctx;
    char buf[4096]; /* the aggregate line comes first */
    size_t len;
    if (read_small("/proc/stat", buf, sizeof buf, &len, err, errlen) != 0)
        return -1;
    if (procfs_parse_stat(buf, len, out) != 0) {
        snprintf(err, errlen, "/proc/stat: no aggregate cpu line");
        return -1;
    }
    return 0;
}

static int read_mem(void *ctx, struct mem_info *out, char *err, size_t errlen)
{
    (void)ctx;
    char buf[8192];
    size_t len;
    if (read_small("/proc/meminfo", buf, sizeof buf, &len, err, errlen) != 0)
        return -1;
    if (procfs_parse_meminfo(buf, len, out) != 0) {
        snprintf(err, errlen, "/proc/meminfo: MemTotal/MemAvailable missing");
        return -1;
    }
    return 0;
}

const struct host_readers host_readers_system = {read_fs, read_cpu, read_mem, NULL};
