/* A runner defined in the tests, linked only into the test daemon (srebot_it,
 * tests/CMakeLists.txt): it stands in for rollout_restart, whose real runner
 * comes with the Kubernetes issue. Its effect is real and observable: every
 * execution appends its idempotency key to $SREBOT_IT_RUNNER_DIR/executions
 * and creates .../started; while .../hold exists it keeps running (until its
 * deadline), so a test can kill the daemon mid-execution. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actions/runner.h"
#include "util/timeutil.h"

struct it_runner {
    char dir[256];
};

static int it_init(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen)
{
    struct it_runner *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *dir = getenv("SREBOT_IT_RUNNER_DIR");
    snprintf(r->dir, sizeof r->dir, "%s", dir ? dir : "");
    *instance = r;
    return 0;
}

static int it_validate(void *instance, const char *target, const json_t *params,
                       struct problems *p)
{
    if (!target || !strchr(target, '/'))
        problems_add(p, "/target", "format", "must be <namespace>/<Kind>/<name>");
    return problems_any(p) ? -1 : 0;
}

static enum adapter_result it_preflight(void *instance, const struct runner_request *rq,
                                        struct runner_outcome *out)
{
    snprintf(out->changed, sizeof out->changed, "would restart %.300s (test runner)", rq->target);
    return ADAPTER_OK;
}

static int exists(const char *dir, const char *name)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void append(const char *dir, const char *name, const char *line)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0)
        return;
    ssize_t n = write(fd, line, strlen(line));
    (void)n;
    close(fd);
}

static enum adapter_result it_execute(void *instance, const struct runner_request *rq,
                                      struct runner_outcome *out)
{
    struct it_runner *r = instance;
    if (!r->dir[0]) {
        snprintf(out->error, sizeof out->error, "SREBOT_IT_RUNNER_DIR is not set");
        return ADAPTER_ERROR;
    }
    char line[160];
    snprintf(line, sizeof line, "%s\n", rq->idempotency_key);
    append(r->dir, "executions", line);
    append(r->dir, "started", line);
    while (exists(r->dir, "hold") && time_mono_ns() < rq->deadline_ns) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    snprintf(out->changed, sizeof out->changed, "restarted %.300s (test runner)", rq->target);
    return ADAPTER_OK;
}

static void it_destroy(void *instance) { free(instance); }

static const struct runner_ops it_rollout_restart = {
    .name = "rollout_restart",
    .description = "Test stand-in for rollout_restart (records its executions in a file)",
    .verify = RUNNER_VERIFY_SIGNAL,
    .init = it_init,
    .validate = it_validate,
    .preflight = it_preflight,
    .execute = it_execute,
    .destroy = it_destroy,
};

const struct runner_ops *const srebot_extra_runners[] = {&it_rollout_restart, NULL};
