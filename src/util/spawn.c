#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/timeutil.h"

extern char **environ;

int spawn_run(const char *const argv[], int timeout_ms, struct spawn_result *r, char *err,
              size_t errlen)
{
    memset(r, 0, sizeof *r);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        if (rc == ENOENT)
            snprintf(err, errlen, "not found");
        else
            snprintf(err, errlen, "cannot start %.100s: %s", argv[0], strerror(rc));
        return -1;
    }
    uint64_t deadline = time_mono_ns() + (uint64_t)timeout_ms * 1000000ULL;
    for (;;) {
        uint64_t now = time_mono_ns();
        if (now >= deadline) {
            r->timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int left = (int)((deadline - now) / 1000000ULL) + 1;
        int n = poll(&p, 1, left > 200 ? 200 : left);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        char buf[4096];
        ssize_t got = read(fds[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* EOF: the child closed its output (exited) */
        size_t room = SPAWN_MAX_OUTPUT - r->out_len;
        size_t take = (size_t)got < room ? (size_t)got : room;
        memcpy(r->out + r->out_len, buf, take);
        r->out_len += take;
        if (take < (size_t)got)
            r->truncated = 1;
    }
    close(fds[0]);
    r->out[r->out_len] = '\0';
    int status = 0;
    if (!r->timed_out) {
        /* output closed: the child is exiting; give it until the deadline */
        while (waitpid(pid, &status, WNOHANG) == 0) {
            if (time_mono_ns() >= deadline) {
                r->timed_out = 1;
                kill(pid, SIGKILL);
                break;
            }
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (r->timed_out)
        waitpid(pid, &status, 0);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
}
