/* The logfile source's offsets file:
 *   {"version":1,"files":[{"path":"/var/log/app.log","dev":2049,"ino":131,"offset":5120}]}
 * It is our own output, but it is read back from disk, so it is parsed like
 * outside input: bounded, typed, and rejected whole when damaged. */
#include "sources/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jsonin.h"

static int read_all(int fd, char **out, size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap >= LOGFILE_STATE_MAX_BYTES + 1)
                break; /* too large: jsonin_parse rejects it */
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                return -1;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *out = buf;
    *len = n;
    return 0;
}

int logfile_state_load(const char *path, struct logfile_track **tracks, size_t *n,
                       int *existed, char *err, size_t errlen)
{
    int rc = -1;
    char *buf = NULL;
    size_t len = 0;
    json_t *doc = NULL;
    struct logfile_track *t = NULL;
    size_t count = 0;
    *existed = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *tracks = NULL;
            *n = 0;
            return 0;
        }
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    *existed = 1;
    if (read_all(fd, &buf, &len) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    struct problems *p = problems_create();
    if (!p) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    doc = jsonin_parse(buf, len, LOGFILE_STATE_MAX_BYTES, 4, p);
    json_t *files = doc ? json_object_get(doc, "files") : NULL;
    if (!doc || json_integer_value(json_object_get(doc, "version")) != 1 ||
        !json_is_array(files)) {
        snprintf(err, errlen, "%s: not an offsets file (%s)", path,
                 p->count ? p->items[0].message : "version 1 with files[] expected");
        problems_destroy(p);
        goto out;
    }
    problems_destroy(p);
    t = calloc(json_array_size(files) + 1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
    {
        const char *fp = json_string_value(json_object_get(f, "path"));
        json_t *dev = json_object_get(f, "dev"), *ino = json_object_get(f, "ino"),
               *off = json_object_get(f, "offset");
        if (!fp || !json_is_integer(dev) || !json_is_integer(ino) || !json_is_integer(off) ||
            json_integer_value(off) < 0) {
            snprintf(err, errlen, "%s: entry %zu is damaged", path, i);
            goto out;
        }
        if (!(t[count].path = strdup(fp))) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        t[count].dev = (uint64_t)json_integer_value(dev);
        t[count].ino = (uint64_t)json_integer_value(ino);
        t[count].offset = (uint64_t)json_integer_value(off);
        t[count].fd = -1;
        count++;
    }
    *tracks = t;
    *n = count;
    t = NULL;
    rc = 0;
out:
    if (t) {
        for (size_t k = 0; k < count; k++)
            free(t[k].path);
        free(t);
    }
    json_decref(doc);
    free(buf);
    close(fd);
    return rc;
}

static int write_all(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

int logfile_state_save(const char *path, const struct logfile_track *tracks, size_t n, char *err,
                       size_t errlen)
{
    int rc = -1, fd = -1;
    char *text = NULL;
    char tmp[4096], dir[4096];
    json_t *files = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(files, json_pack("{s:s, s:I, s:I, s:I}", "path", tracks[i].path,
                                               "dev", (json_int_t)tracks[i].dev, "ino",
                                               (json_int_t)tracks[i].ino, "offset",
                                               (json_int_t)tracks[i].offset));
    json_t *doc = json_pack("{s:i, s:o}", "version", 1, "files", files);
    if (!doc || !(text = json_dumps(doc, JSON_COMPACT))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errlen, "state path too long");
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0 ||
        fsync(fd) != 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
        goto out;
    }
    /* The rename itself is durable only once the directory is synced. */
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(text);
    json_decref(doc);
    return rc;
}
