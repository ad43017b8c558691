/* Scanning one file held in memory (mapped) on several threads, with the
 * answers in file order.
 *
 * The buffer is cut into pieces of about piece_bytes that end at a newline
 * (a line is never split: signatures match within lines). Pieces go out in
 * rounds of `threads`: piece k of a round is scanned by worker k (worker 0 is
 * the calling thread), then, once the whole round is scanned, emit() is called
 * on the calling thread for worker 0, 1, ... in order. So each worker may
 * collect its output privately and emit() writes it: the output is the same
 * as a serial scan's, byte for byte, and memory stays bounded by a round.
 */
#ifndef SREBOT_CLI_SCANPAR_H
#define SREBOT_CLI_SCANPAR_H

#include <stddef.h>
#include <stdint.h>

#define SCANPAR_MAX_THREADS 16
#define SCANPAR_PIECE_BYTES (8u << 20)

struct scanpar_ops {
    void *ctx;
    /* On worker w's thread: scan buf[0, len) (whole lines), whose first byte
     * is at file offset base. Non-zero stops everything after this round. */
    int (*scan)(void *ctx, unsigned w, const char *buf, size_t len, uint64_t base);
    /* On the calling thread, in worker order after each round. Non-zero stops. */
    int (*emit)(void *ctx, unsigned w);
};

/* The number of workers to use: the online CPUs, at most SCANPAR_MAX_THREADS. */
unsigned scanpar_default_threads(void);

/* Scans buf[0, len) (file offsets from base) in pieces of about piece_bytes
 * (0: SCANPAR_PIECE_BYTES) on `threads` workers (1..SCANPAR_MAX_THREADS).
 * Returns 0, 1 when scan or emit stopped it, -1 when a thread could not start. */
int scanpar_run(const char *buf, size_t len, uint64_t base, unsigned threads, size_t piece_bytes,
                const struct scanpar_ops *ops);

#endif
