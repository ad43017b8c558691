/* libFuzzer target: the logfile source's offsets file as read back from disk
 * (src/sources/logfile_state.c). A damaged file is refused with a reason,
 * never half-loaded; a loaded one saves and loads back to the same tracks. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sources/logfile.h"

static void free_tracks(struct logfile_track *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(t[i].path);
    free(t);
}

static char dir[64];

static void remove_dir(void) { rmdir(dir); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/srebot-fuzz-logstate-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/offsets.json", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    struct logfile_track *t = NULL;
    size_t n = 0;
    int existed = 0;
    char err[256] = "";
    if (logfile_state_load(path, &t, &n, &existed, err, sizeof err) != 0) {
        if (!err[0] || !existed)
            abort();
        unlink(path);
        return 0;
    }
    if (logfile_state_save(path, t, n, err, sizeof err) != 0)
        abort();
    struct logfile_track *t2 = NULL;
    size_t n2 = 0;
    if (logfile_state_load(path, &t2, &n2, &existed, err, sizeof err) != 0 || n2 != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].path, t2[i].path) != 0 || t[i].ino != t2[i].ino ||
            t[i].dev != t2[i].dev || t[i].offset != t2[i].offset || t2[i].fd != -1)
            abort();
    free_tracks(t, n);
    free_tracks(t2, n2);
    unlink(path);
    return 0;
}
