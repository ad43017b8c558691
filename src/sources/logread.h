/* Reading log files in big chunks of whole lines, for the signature scanner.
 *
 * The scanner wants megabytes at a time (per-call overhead dominates on
 * lines), but a chunk must not cut a line in two, or a signature straddling
 * the cut would be missed. So each chunk ends at its last newline and the
 * partial line is carried to the front of the next one. A line longer than
 * the whole buffer is handed over in buffer-sized pieces.
 */
#ifndef SREBOT_SOURCES_LOGREAD_H
#define SREBOT_SOURCES_LOGREAD_H

#include <stddef.h>
#include <stdint.h>

#define LOGREAD_DEFAULT_BUFFER (4u << 20)

struct logread;

int logread_create(size_t bufsize, struct logread **out);
void logread_destroy(struct logread *r);

/* buf holds whole lines (the last may lack its '\n' only at a final EOF or
 * when a line outgrew the buffer); base is the file offset of buf[0].
 * Return non-zero to stop reading. */
typedef int (*logread_chunk_fn)(void *ctx, const char *buf, size_t len, uint64_t base);

/* Reads fd with pread from *offset (a pipe: with read, *offset counting what
 * was consumed) until EOF or until at least max_bytes are
 * consumed (0 = no limit), handing chunks to fn. A trailing line without its
 * newline is left unread, so the next call sees it whole, unless `final`
 * (nothing more will be written: scan it now). *offset advances past what
 * was handed over. Returns 0, or -1 with errno set when a read failed. */
int logread_fd(struct logread *r, int fd, uint64_t *offset, uint64_t max_bytes, int final,
               logread_chunk_fn fn, void *ctx);

#endif
