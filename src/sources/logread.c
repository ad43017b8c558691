#include "sources/logread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct logread {
    char *buf;
    size_t cap;
};

int logread_create(size_t bufsize, struct logread **out)
{
    struct logread *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->cap = bufsize ? bufsize : LOGREAD_DEFAULT_BUFFER;
    if (!(r->buf = malloc(r->cap))) {
        free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void logread_destroy(struct logread *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}

int logread_fd(struct logread *r, int fd, uint64_t *offset, uint64_t max_bytes, int final,
               logread_chunk_fn fn, void *ctx)
{
    uint64_t pos = *offset; /* file offset of buf[0] */
    uint64_t start = pos;
    size_t fill = 0;        /* bytes in buf: carried partial line + new data */
    int rc = 0, piped = 0;
    for (;;) {
        if (max_bytes && pos - start >= max_bytes)
            break;
        /* pread keeps the descriptor's own position out of it; a pipe (stdin
         * of `srebot scan -`) cannot seek, so it is read in order instead. */
        ssize_t n = piped ? read(fd, r->buf + fill, r->cap - fill)
                          : pread(fd, r->buf + fill, r->cap - fill, (off_t)(pos + fill));
        if (n < 0 && errno == ESPIPE && !piped) {
            piped = 1;
            continue;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        fill += (size_t)n;
        if (fill == 0)
            break;
        size_t take;
        const char *nl = memrchr(r->buf, '\n', fill);
        if (nl)
            take = (size_t)(nl - r->buf) + 1;
        else if (fill == r->cap || (n == 0 && final))
            take = fill; /* a giant line, or the last line of a finished file */
        else if (n == 0)
            break; /* a partial line at EOF: wait until it is complete */
        else
            continue; /* no newline yet but room left: read on */
        int stop = fn(ctx, r->buf, take, pos);
        pos += take;
        fill -= take;
        memmove(r->buf, r->buf + take, fill);
        if (stop)
            break;
        if (n == 0 && fill == 0)
            break;
    }
    *offset = pos;
    return rc;
}
