/* Runs a child program without a shell (posix_spawnp), bounded: a deadline
 * after which it is killed, and a cap on the output kept (stdout and stderr
 * together; more is read and dropped, so the child never blocks on a full
 * pipe). stdin is /dev/null. Used by the helm_reconcile runner. */
#ifndef SREBOT_UTIL_SPAWN_H
#define SREBOT_UTIL_SPAWN_H

#include <stddef.h>

#define SPAWN_MAX_OUTPUT 16384

struct spawn_result {
    int exit_code;     /* the exit status, or 128 + signal */
    int timed_out;     /* killed at the deadline */
    int truncated;     /* more output than SPAWN_MAX_OUTPUT */
    size_t out_len;
    char out[SPAWN_MAX_OUTPUT + 1]; /* NUL-terminated */
};

/* argv[0] is looked up on PATH. Returns 0 when the program ran (read r), or -1
 * with err: "not found" when there is no such program, else why it could not
 * start. timeout_ms > 0. */
int spawn_run(const char *const argv[], int timeout_ms, struct spawn_result *r, char *err,
              size_t errlen);

#endif
