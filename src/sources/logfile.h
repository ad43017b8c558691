/* The logfile source, internals shared by logfile.c (following and scanning)
 * and logfile_state.c (the offsets file). The adapter itself is reached
 * through the source registry as kind "logfile". */
#ifndef SREBOT_SOURCES_LOGFILE_H
#define SREBOT_SOURCES_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

/* One followed file, known by its identity (device, inode), not its name:
 * a rename (rotation) keeps following the same data, a new file under the old
 * name is a new track. */
struct logfile_track {
    char *path;       /* the name it was last seen under */
    uint64_t dev, ino;
    uint64_t offset;  /* bytes consumed: always the end of a whole line */
    int fd;           /* -1 until opened */
    unsigned gone;    /* cycles since the globs last showed it */
    int seen;         /* shown by the globs this cycle */
};

#define LOGFILE_STATE_MAX_BYTES (4u << 20)

/* Loads saved tracks (fd = -1). A missing file is not an error: *existed = 0.
 * A damaged file is an error (the caller starts afresh and says so). */
int logfile_state_load(const char *path, struct logfile_track **tracks, size_t *n,
                       int *existed, char *err, size_t errlen);
/* Writes tracks atomically: a temporary file, fsync, rename, fsync of the
 * directory. A crash leaves the old file or the new one, never half of one. */
int logfile_state_save(const char *path, const struct logfile_track *tracks, size_t n, char *err,
                       size_t errlen);

#endif
