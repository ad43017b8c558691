/* A directory of cached blobs, one file per key: where compiled vectorscan
 * databases are kept between runs (core/logsig.h's struct logsig_cache).
 *
 *   struct blobcache *c = blobcache_open("/var/lib/srebot/cache", 8);
 *   struct logsig_cache lc = {c, blobcache_load, blobcache_store};
 *   ...
 *   blobcache_close(c);
 *
 * A cache only ever saves work: every failure (no directory, no space, a torn
 * or tampered file) reads as a miss and the caller computes the value again.
 * Files are written to a temporary name and renamed, and carry the SHA-256 of
 * their content, checked on load. Bounded: at most max_entries files (the
 * least recently written go first) of at most BLOBCACHE_MAX_BYTES each.
 */
#ifndef SREBOT_UTIL_BLOBCACHE_H
#define SREBOT_UTIL_BLOBCACHE_H

#include <stddef.h>

#define BLOBCACHE_MAX_BYTES (64u << 20)

struct blobcache;

/* Creates dir (and its parent) when missing, mode 0700. NULL when dir is
 * unusable or out of memory: run without a cache then. */
struct blobcache *blobcache_open(const char *dir, unsigned max_entries);
void blobcache_close(struct blobcache *c); /* NULL ok */

/* cache is a struct blobcache * (void * so that these plug into callback
 * tables such as struct logsig_cache); NULL never hits and stores nothing. */
/* The blob stored under key (letters and digits only), malloc'd; NULL on a miss. */
char *blobcache_load(void *cache, const char *key, size_t *len);
/* Stores bytes under key, replacing what was there. 0, or -1 (then nothing changed). */
int blobcache_store(void *cache, const char *key, const char *bytes, size_t len);

#endif
