/* The logfile source on real files in a temporary directory: appended,
 * written in halves, rotated by rename, truncated in place, and followed
 * across a restart; rules swapped at run time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/logrules.h"
#include "sources/source.h"
#include "util/metrics.h"

#define T0 1795000000000LL

struct fx {
    char dir[256];
    char log[300];
    json_t *found; /* findings emitted */
    struct source_deps deps; /* a registry and a rules slot of the test's own */
};

static void collect(void *ctx, json_t *finding)
{
    json_array_append_new(((struct fx *)ctx)->found, finding);
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/srebot-logfile-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->log, sizeof fx->log, "%s/app.log", fx->dir);
    fx->found = json_array();
    fx->deps.metrics = metrics_create();
    fx->deps.rules = logrules_slot_create();
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    char cmd[400];
    /* Remove the directory without a shell: it holds only files we made. */
    const char *names[] = {"app.log", "app.log.1", "other.log",
                           "logfile-t.offsets.json", "logfile-t.offsets.json.tmp", NULL};
    for (int i = 0; names[i]; i++) {
        snprintf(cmd, sizeof cmd, "%s/%s", fx->dir, names[i]);
        unlink(cmd);
    }
    rmdir(fx->dir);
    json_decref(fx->found);
    metrics_destroy(fx->deps.metrics);
    logrules_slot_destroy(fx->deps.rules);
    free(fx);
    return 0;
}

static void append(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void *start(struct fx *fx, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text, "{\"id\":\"t\",\"paths\":[\"%s/*.log\"],\"state_dir\":\"%s\"%s}",
             fx->dir, fx->dir, extra ? extra : "");
    json_error_t jerr;
    json_t *cfg = json_loads(text, 0, &jerr);
    assert_non_null(cfg);
    const struct source_ops *ops = source_find("logfile");
    assert_non_null(ops);
    void *inst = NULL;
    char err[256] = "";
    if (ops->init(cfg, &fx->deps, &inst, err, sizeof err) != 0)
        fail_msg("init: %s", err);
    json_decref(cfg);
    return inst;
}

static int run(struct fx *fx, void *inst, int64_t now)
{
    struct finding_sink sink = {collect, fx};
    char err[256] = "";
    return source_find("logfile")->run(inst, now, &sink, err, sizeof err);
}

static void stop(void *inst) { source_find("logfile")->destroy(inst); }

/* Findings emitted so far with this status and rule. */
static size_t count(struct fx *fx, const char *status, const char *rule)
{
    size_t n = 0, i;
    json_t *f;
    json_array_foreach(fx->found, i, f)
    {
        const char *r = json_string_value(json_object_get(json_object_get(f, "attributes"), "rule"));
        if (strcmp(json_string_value(json_object_get(f, "status")), status) == 0 && r &&
            strcmp(r, rule) == 0)
            n++;
    }
    return n;
}

static json_t *last(struct fx *fx) { return json_array_get(fx->found, json_array_size(fx->found) - 1); }

static void appended_lines_fire_with_excerpt(void **state)
{
    struct fx *fx = *state;
    /* History before the very first start is not news. */
    append(fx->log, "old: panic: from last week\n");
    void *inst = start(fx, NULL);
    assert_int_equal(run(fx, inst, T0), 0);
    assert_int_equal(json_array_size(fx->found), 0);

    append(fx->log, "request ok\nbefore\npanic: runtime error: index out of range [3]\n"
                    "goroutine 7 [running]:\nmain.main()\n");
    assert_int_equal(run(fx, inst, T0 + 1000), 0);
    /* Two panic lines, one rule, one key: fires once (threshold 1, then quiet
     * until a window has passed). */
    assert_int_equal(count(fx, "firing", "builtin.go_panic"), 1);
    json_t *f = json_array_get(fx->found, 0);
    assert_string_equal(json_string_value(json_object_get(f, "class")),
                        "application_services.panic_detected");
    assert_string_equal(json_string_value(json_object_get(f, "correlation_key")),
                        "t:builtin.go_panic");
    assert_string_equal(json_string_value(json_object_get(f, "source")), "t");
    assert_non_null(strstr(json_string_value(json_object_get(f, "summary")), "index out of range"));
    json_t *ev = json_array_get(json_object_get(f, "evidence"), 0);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "log_excerpt");
    json_t *lines = json_object_get(json_object_get(ev, "data"), "lines");
    assert_int_equal(json_array_size(lines), 1);
    const char *text = json_string_value(json_object_get(json_array_get(lines, 0), "text"));
    /* The matching line with two lines of context either side. */
    assert_string_equal(text, "request ok\nbefore\npanic: runtime error: index out of range [3]\n"
                              "goroutine 7 [running]:\nmain.main()");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(lines, 0), "offset")),
                     strlen("old: panic: from last week\nrequest ok\nbefore\n"));
    assert_non_null(json_object_get(f, "id"));

    /* The instance shows on /metrics. */
    size_t mlen = 0;
    char *text_m = metrics_render(fx->deps.metrics, &mlen);
    assert_non_null(text_m);
    assert_non_null(strstr(text_m, "srebot_logfile_matches_total{id=\"t\",rule=\"builtin.go_panic\"}"));
    assert_non_null(strstr(text_m, "srebot_logfile_bytes_read_total{id=\"t\"}"));
    assert_non_null(strstr(text_m, "srebot_logfile_files{id=\"t\"} 1"));
    free(text_m);

    /* A quiet window later the incident resolves. */
    assert_int_equal(run(fx, inst, T0 + 1000 + 301000), 0);
    assert_int_equal(count(fx, "resolved", "builtin.go_panic"), 1);
    stop(inst);
}

static void half_written_line_waits(void **state)
{
    struct fx *fx = *state;
    append(fx->log, "");
    void *inst = start(fx, NULL);
    assert_int_equal(run(fx, inst, T0), 0);
    append(fx->log, "thread 'main' pan");
    assert_int_equal(run(fx, inst, T0 + 1), 0);
    assert_int_equal(json_array_size(fx->found), 0);
    append(fx->log, "icked at src/lib.rs:1:1\n");
    assert_int_equal(run(fx, inst, T0 + 2), 0);
    assert_int_equal(count(fx, "firing", "builtin.rust_panic"), 1);
    stop(inst);
}

static void rotation_by_rename_loses_nothing(void **state)
{
    struct fx *fx = *state;
    append(fx->log, "start\n");
    void *inst = start(fx, ",\"rules\":[{\"id\":\"t.err\",\"pattern\":\"ERR [0-9]+\","
                           "\"class\":\"application_services.application_service_degraded\","
                           "\"threshold\":1000,\"window_seconds\":600}]");
    assert_int_equal(run(fx, inst, T0), 0);
    append(fx->log, "ERR 1\nERR 2\n");
    /* The writer keeps its descriptor across the rename and adds two more lines
     * to the rotated file before it reopens: all must be counted, once. */
    int wfd = open(fx->log, O_WRONLY | O_APPEND);
    assert_true(wfd >= 0);
    char rotated[320];
    snprintf(rotated, sizeof rotated, "%s/app.log.1", fx->dir);
    assert_int_equal(rename(fx->log, rotated), 0);
    assert_int_equal(run(fx, inst, T0 + 1), 0);
    assert_int_equal(write(wfd, "ERR 3\nERR 4\n", 12), 12);
    close(wfd);
    append(fx->log, "ERR 5\n"); /* the new file under the old name */
    for (int i = 2; i < 6; i++)
        assert_int_equal(run(fx, inst, T0 + i), 0);
    /* Threshold 1000 never fires; read the count through a resolved finding. */
    assert_int_equal(json_array_size(fx->found), 0);
    stop(inst);
    /* Offsets: the new app.log fully read, the rotated file let go. */
    char state_path[320], buf[4096];
    snprintf(state_path, sizeof state_path, "%s/logfile-t.offsets.json", fx->dir);
    int fd = open(state_path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    assert_true(n > 0);
    buf[n] = '\0';
    json_t *doc = json_loads(buf, 0, NULL);
    assert_non_null(doc);
    json_t *files = json_object_get(doc, "files");
    assert_int_equal(json_array_size(files), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "path")),
                        fx->log);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(files, 0), "offset")), 6);
    json_decref(doc);
}

static void rotation_counts_every_line(void **state)
{
    struct fx *fx = *state;
    append(fx->log, "start\n");
    /* Threshold 5: fires exactly when the fifth ERR line, spread over the
     * rotated and the new file, has been read. The rules come as the sources
     * worker passes the policy's: under "detector_rules". */
    void *inst = start(fx, ",\"detector_rules\":[{\"id\":\"t.err\",\"pattern\":\"ERR [0-9]+\","
                           "\"class\":\"application_services.application_service_degraded\","
                           "\"threshold\":5,\"window_seconds\":600}]");
    assert_int_equal(run(fx, inst, T0), 0);
    append(fx->log, "ERR 1\nERR 2\n");
    int wfd = open(fx->log, O_WRONLY | O_APPEND);
    char rotated[320];
    snprintf(rotated, sizeof rotated, "%s/app.log.1", fx->dir);
    assert_int_equal(rename(fx->log, rotated), 0);
    assert_int_equal(run(fx, inst, T0 + 1), 0);
    assert_int_equal(write(wfd, "ERR 3\nERR 4\n", 12), 12);
    close(wfd);
    assert_int_equal(run(fx, inst, T0 + 2), 0);
    assert_int_equal(json_array_size(fx->found), 0);
    append(fx->log, "ERR 5\n");
    assert_int_equal(run(fx, inst, T0 + 3), 0);
    assert_int_equal(count(fx, "firing", "t.err"), 1);
    json_t *ev = json_array_get(json_object_get(last(fx), "evidence"), 0);
    json_t *lines = json_object_get(json_object_get(ev, "data"), "lines");
    assert_int_equal(json_array_size(lines), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "file")),
                        rotated);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 4), "file")),
                        fx->log);
    stop(inst);
}

static void truncation_reads_from_start(void **state)
{
    struct fx *fx = *state;
    append(fx->log, "a fairly long line that moves the offset well past the next content\n");
    void *inst = start(fx, NULL);
    assert_int_equal(run(fx, inst, T0), 0);
    assert_int_equal(truncate(fx->log, 0), 0); /* copytruncate */
    append(fx->log, "Segmentation fault\n");
    assert_int_equal(run(fx, inst, T0 + 1), 0);
    assert_int_equal(count(fx, "firing", "builtin.segfault"), 1);
    stop(inst);
}

static void offsets_survive_restart(void **state)
{
    struct fx *fx = *state;
    append(fx->log, "boot\n");
    void *inst = start(fx, NULL);
    assert_int_equal(run(fx, inst, T0), 0);
    append(fx->log, "Out of memory: Killed process 1 (a)\n");
    assert_int_equal(run(fx, inst, T0 + 1), 0);
    assert_int_equal(count(fx, "firing", "builtin.oom_killed"), 1);
    stop(inst);

    /* Down for a while: the old line must not fire again, the new one must. */
    append(fx->log, "x509: certificate signed by unknown authority\n");
    char other[320];
    snprintf(other, sizeof other, "%s/other.log", fx->dir);
    append(other, "ECONNREFUSED\n"); /* a new file since: read from its start */
    inst = start(fx, NULL);
    assert_int_equal(run(fx, inst, T0 + 2), 0);
    assert_int_equal(count(fx, "firing", "builtin.oom_killed"), 1);
    assert_int_equal(count(fx, "firing", "builtin.x509_error"), 1);
    stop(inst);
    /* ECONNREFUSED needs 5 in a window; check the offset instead. */
    inst = start(fx, NULL);
    append(other, "ECONNREFUSED\nECONNREFUSED\nECONNREFUSED\nECONNREFUSED\n");
    assert_int_equal(run(fx, inst, T0 + 3), 0);
    /* Only the four new lines were read after the restart: below 5, silent. */
    assert_int_equal(count(fx, "firing", "builtin.connection_refused"), 0);
    append(other, "ECONNREFUSED\n");
    assert_int_equal(run(fx, inst, T0 + 4), 0);
    assert_int_equal(count(fx, "firing", "builtin.connection_refused"), 1);
    stop(inst);
}

static void rules_swap_without_restart(void **state)
{
    struct fx *fx = *state;
    append(fx->log, "");
    void *inst = start(fx, NULL);
    assert_int_equal(run(fx, inst, T0), 0);
    append(fx->log, "payment gateway timeout after 3000ms\n");
    assert_int_equal(run(fx, inst, T0 + 1), 0);
    assert_int_equal(json_array_size(fx->found), 0);

    json_t *rules = json_loads(
        "[{\"id\":\"orders.payment_timeout\",\"pattern\":\"payment gateway timeout\","
        "\"class\":\"application_services.application_service_degraded\",\"severity\":\"high\","
        "\"key_template\":\"{host}:{rule}\"}]",
        0, NULL);
    struct problems p;
    problems_init(&p);
    assert_int_equal(logrules_publish(fx->deps.rules, rules, &p), 0);
    json_decref(rules);
    append(fx->log, "payment gateway timeout after 2500ms\n");
    assert_int_equal(run(fx, inst, T0 + 2), 0);
    assert_int_equal(count(fx, "firing", "orders.payment_timeout"), 1);
    assert_string_equal(json_string_value(json_object_get(last(fx), "severity")), "high");
    /* A bad update is refused and the rules in force stay. */
    rules = json_loads("[{\"id\":\"x\",\"pattern\":\"(\",\"class\":\"application_services.panic_detected\"}]", 0, NULL);
    problems_init(&p);
    assert_int_equal(logrules_publish(fx->deps.rules, rules, &p), -1);
    assert_string_equal(p.items[0].path, "/detector_rules/0/pattern");
    json_decref(rules);
    stop(inst);
}

static void bad_config_is_refused(void **state)
{
    (void)state;
    struct source_deps deps = {0}; /* refused before anything is used */
    const struct source_ops *ops = source_find("logfile");
    const char *bad[] = {"{\"id\":\"t\"}", "{\"id\":\"t\",\"paths\":[]}",
                         "{\"id\":\"t\",\"paths\":[\"/x\"],\"max_files\":0}",
                         "{\"id\":\"t\",\"paths\":[\"/x\"],\"rules\":[{\"id\":\"a\"}]}", NULL};
    for (int i = 0; bad[i]; i++) {
        json_t *cfg = json_loads(bad[i], 0, NULL);
        void *inst = NULL;
        char err[256] = "";
        assert_int_equal(ops->init(cfg, &deps, &inst, err, sizeof err), -1);
        assert_true(err[0] != '\0');
        json_decref(cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(appended_lines_fire_with_excerpt, setup, teardown),
        cmocka_unit_test_setup_teardown(half_written_line_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(rotation_by_rename_loses_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(rotation_counts_every_line, setup, teardown),
        cmocka_unit_test_setup_teardown(truncation_reads_from_start, setup, teardown),
        cmocka_unit_test_setup_teardown(offsets_survive_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(rules_swap_without_restart, setup, teardown),
        cmocka_unit_test(bad_config_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
