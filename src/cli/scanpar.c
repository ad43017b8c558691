#include "cli/scanpar.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

struct piece {
    const struct scanpar_ops *ops;
    unsigned w;
    const char *buf;
    size_t len;
    uint64_t base;
    int rc;
};

static void *piece_main(void *arg)
{
    struct piece *pc = arg;
    pc->rc = pc->ops->scan(pc->ops->ctx, pc->w, pc->buf, pc->len, pc->base);
    return NULL;
}

unsigned scanpar_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > SCANPAR_MAX_THREADS ? SCANPAR_MAX_THREADS : (unsigned)n;
}

/* Length of the piece at buf: about want bytes, ending after a newline (or at
 * the end of the buffer). A line longer than want makes a longer piece. */
static size_t piece_len(const char *buf, size_t len, size_t want)
{
    if (len <= want)
        return len;
    const char *nl = memchr(buf + want - 1, '\n', len - (want - 1));
    return nl ? (size_t)(nl - buf) + 1 : len;
}

int scanpar_run(const char *buf, size_t len, uint64_t base, unsigned threads, size_t piece_bytes,
                const struct scanpar_ops *ops)
{
    if (threads < 1)
        threads = 1;
    if (threads > SCANPAR_MAX_THREADS)
        threads = SCANPAR_MAX_THREADS;
    if (piece_bytes == 0)
        piece_bytes = SCANPAR_PIECE_BYTES;
    size_t off = 0;
    while (off < len) {
        struct piece pcs[SCANPAR_MAX_THREADS] = {{0}};
        pthread_t tid[SCANPAR_MAX_THREADS];
        int started[SCANPAR_MAX_THREADS] = {0};
        unsigned n = 0;
        for (; n < threads && off < len; n++) {
            size_t pl = piece_len(buf + off, len - off, piece_bytes);
            pcs[n] = (struct piece){ops, n, buf + off, pl, base + off, 0};
            off += pl;
        }
        int failed = 0;
        for (unsigned k = 1; k < n; k++) {
            started[k] = pthread_create(&tid[k], NULL, piece_main, &pcs[k]) == 0;
            if (!started[k])
                failed = 1;
        }
        piece_main(&pcs[0]);
        int stop = pcs[0].rc;
        for (unsigned k = 1; k < n; k++)
            if (started[k]) {
                pthread_join(tid[k], NULL);
                stop |= pcs[k].rc;
            }
        if (failed)
            return -1;
        for (unsigned k = 0; k < n && !stop; k++)
            stop = ops->emit(ops->ctx, k);
        if (stop)
            return 1;
    }
    return 0;
}
