/* The journal source (src/sources/journal.c) against a fake `journalctl` on
 * PATH (tests/fakes/fake-journalctl: the real journald does not run here)
 * serving journal JSON export lines: a first start begins at "now", signature
 * matches become findings with origin journal:<unit>, the cursor survives a
 * restart (nothing is read twice), entries are bounded per cycle, overlong and
 * malformed lines are skipped, and a failing journalctl is reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/policy.h"
#include "core/problems.h"
#include "sources/logrules.h"
#include "sources/source.h"
#include "util/metrics.h"
#include "util/timeutil.h"

#ifndef SREBOT_SOURCE_DIR_DEFAULT
#define SREBOT_SOURCE_DIR_DEFAULT "."
#endif

struct fx {
    char dir[64], journal[128], args[128], bin[128];
    json_t *found;
    struct source_deps deps;
    char old_path[4096];
};

static void collect(void *ctx, json_t *finding)
{
    json_array_append_new(((struct fx *)ctx)->found, finding);
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/srebot-journal-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->journal, sizeof fx->journal, "%s/journal.jsonl", fx->dir);
    snprintf(fx->args, sizeof fx->args, "%s/args.txt", fx->dir);
    snprintf(fx->bin, sizeof fx->bin, "%s/bin", fx->dir);
    assert_int_equal(mkdir(fx->bin, 0700), 0);
    char link[160], target[512];
    snprintf(link, sizeof link, "%s/journalctl", fx->bin);
    const char *src = getenv("SREBOT_SOURCE_DIR") ? getenv("SREBOT_SOURCE_DIR")
                                                  : SREBOT_SOURCE_DIR_DEFAULT;
    snprintf(target, sizeof target, "%s/tests/fakes/fake-journalctl", src);
    assert_int_equal(symlink(target, link), 0);
    snprintf(fx->old_path, sizeof fx->old_path, "%s", getenv("PATH") ? getenv("PATH") : "");
    char path[4300];
    snprintf(path, sizeof path, "%s:%s", fx->bin, fx->old_path);
    setenv("PATH", path, 1);
    setenv("FAKE_JOURNAL", fx->journal, 1);
    setenv("FAKE_JOURNAL_ARGS", fx->args, 1);
    unsetenv("FAKE_JOURNAL_FAIL");
    close(open(fx->journal, O_WRONLY | O_CREAT, 0600));
    fx->found = json_array();
    fx->deps.metrics = metrics_create();
    fx->deps.rules = logrules_slot_create();
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    setenv("PATH", fx->old_path, 1);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    int rc = system(cmd);
    json_decref(fx->found);
    metrics_destroy(fx->deps.metrics);
    logrules_slot_destroy(fx->deps.rules);
    free(fx);
    return rc == 0 ? 0 : -1;
}

static int64_t seq;

/* Appends one entry (realtime in ms) for unit with message. */
static void entry(struct fx *fx, int64_t at_ms, const char *unit, const char *message)
{
    FILE *f = fopen(fx->journal, "a");
    seq++;
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "__CURSOR",
                          "", "__REALTIME_TIMESTAMP", "", "_SYSTEMD_UNIT", unit, "MESSAGE",
                          message, "PRIORITY", "3");
    char cur[64], rt[32];
    snprintf(cur, sizeof cur, "s=abc;i=%llx;b=boot;m=1;t=2;x=3", (unsigned long long)seq);
    snprintf(rt, sizeof rt, "%lld", (long long)at_ms * 1000);
    json_object_set_new(e, "__CURSOR", json_string(cur));
    json_object_set_new(e, "__REALTIME_TIMESTAMP", json_string(rt));
    char *text = json_dumps(e, JSON_COMPACT);
    fprintf(f, "%s\n", text);
    free(text);
    json_decref(e);
    fclose(f);
}

static void raw_line(struct fx *fx, const char *line)
{
    FILE *f = fopen(fx->journal, "a");
    fprintf(f, "%s\n", line);
    fclose(f);
}

static void *start(struct fx *fx, const char *extra)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"id\":\"j\",\"journal\":{\"units\":[\"app.service\"]},\"state_dir\":\"%s\","
             "\"rules\":[{\"id\":\"t.panic\",\"pattern\":\"panic: [a-z]+\","
             "\"class\":\"application_services.application_service_degraded\","
             "\"threshold\":2,\"window_seconds\":600}]%s}",
             fx->dir, extra ? extra : "");
    json_t *config = json_loads(cfg, 0, NULL);
    assert_non_null(config);
    const struct source_ops *ops = source_find("journal");
    assert_non_null(ops);
    void *inst = NULL;
    char err[256] = "";
    if (ops->init(config, &fx->deps, &inst, err, sizeof err) != 0)
        fail_msg("init: %s", err);
    json_decref(config);
    return inst;
}

static int run(struct fx *fx, void *inst, int64_t now_ms, char *err, size_t errlen)
{
    struct finding_sink sink = {collect, fx};
    return source_find("journal")->run(inst, now_ms, &sink, err, errlen);
}

static void stop(void *inst) { source_find("journal")->destroy(inst); }

static int args_contain(struct fx *fx, int call, const char *needle)
{
    FILE *f = fopen(fx->args, "r");
    char line[2048];
    int n = 0, found = 0;
    while (f && fgets(line, sizeof line, f))
        if (++n == call)
            found = strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

static void first_start_then_matches_and_resume(void **state)
{
    struct fx *fx = *state;
    char err[256];
    int64_t now = time_now_ms();
    /* History before the first start does not raise incidents. */
    entry(fx, now - 3600 * 1000, "app.service", "panic: old");
    entry(fx, now - 3500 * 1000, "app.service", "panic: old");
    void *inst = start(fx, NULL);
    assert_int_equal(run(fx, inst, now, err, sizeof err), 0);
    assert_int_equal(json_array_size(fx->found), 0);
    assert_true(args_contain(fx, 1, "-o json"));
    assert_true(args_contain(fx, 1, "--since=@"));
    assert_true(args_contain(fx, 1, "-u app.service"));

    /* New entries: two matches of app.service fire (threshold 2); another unit's do not count. */
    entry(fx, now + 1000, "app.service", "panic: boom");
    entry(fx, now + 1100, "db.service", "panic: elsewhere");
    entry(fx, now + 1200, "app.service", "panic: again");
    assert_int_equal(run(fx, inst, now + 2000, err, sizeof err), 0);
    assert_int_equal(json_array_size(fx->found), 1);
    json_t *f = json_array_get(fx->found, 0);
    assert_string_equal(json_string_value(json_object_get(f, "status")), "firing");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(f, "attributes"), "file")),
        "journal:app.service");
    assert_non_null(strstr(json_string_value(json_object_get(f, "summary")), "panic: again"));
    /* still from the first start's "now": nothing was handled before */
    assert_true(args_contain(fx, 2, "--since=@"));

    /* A restart resumes after the saved cursor: nothing is read twice. */
    stop(inst);
    char cursor_file[128], cursor[256] = "";
    snprintf(cursor_file, sizeof cursor_file, "%s/journal-j.cursor", fx->dir);
    FILE *cf = fopen(cursor_file, "r");
    assert_non_null(cf);
    assert_non_null(fgets(cursor, sizeof cursor, cf));
    fclose(cf);
    assert_string_equal(cursor, "s=abc;i=5;b=boot;m=1;t=2;x=3");
    inst = start(fx, NULL);
    assert_int_equal(run(fx, inst, now + 3000, err, sizeof err), 0);
    assert_true(args_contain(fx, 3, "--after-cursor=s=abc;i=5;"));
    assert_int_equal(json_array_size(fx->found), 1);
    stop(inst);
}

static void bounded_reading(void **state)
{
    struct fx *fx = *state;
    char err[256];
    int64_t now = time_now_ms();
    void *inst = start(fx, ",\"max_entries\":2");
    assert_int_equal(run(fx, inst, now, err, sizeof err), 0); /* fresh: from now */
    /* a line above 64 KiB and one that is not an entry are skipped; the rest is read */
    size_t big = 70 * 1024;
    char *line = malloc(big + 64);
    memset(line, 'x', big);
    /* (the unit and a realtime far ahead: the fake's -u and --since keep them) */
    const char *head = "{\"__CURSOR\":\"s=big\",\"__REALTIME_TIMESTAMP\":\"9000000000000000\","
                       "\"_SYSTEMD_UNIT\":\"app.service\",\"MESSAGE\":\"";
    memcpy(line, head, strlen(head));
    strcpy(line + big, "\"}");
    raw_line(fx, line);
    free(line);
    raw_line(fx, "this is not a journal entry");
    raw_line(fx, "{\"__REALTIME_TIMESTAMP\":\"9000000000000000\",\"_SYSTEMD_UNIT\":\"app.service\","
                 "\"MESSAGE\":\"no cursor\"}");
    for (int i = 0; i < 5; i++)
        entry(fx, now + 1000 + i, "app.service", "panic: many");
    /* at most 2 entries per cycle: 5 entries take 3 cycles, each resuming */
    assert_int_equal(run(fx, inst, now + 2000, err, sizeof err), 0);
    assert_int_equal(json_array_size(fx->found), 1); /* threshold 2 reached */
    assert_int_equal(run(fx, inst, now + 2100, err, sizeof err), 0);
    assert_int_equal(run(fx, inst, now + 2200, err, sizeof err), 0);
    assert_true(args_contain(fx, 4, "--after-cursor=s=abc;i="));
    size_t len;
    char *text = metrics_render(fx->deps.metrics, &len);
    assert_non_null(strstr(text, "srebot_journal_entries_total{id=\"j\"} 5\n"));
    assert_non_null(strstr(text, "srebot_journal_entries_skipped_total{id=\"j\"} 3\n"));
    free(text);
    stop(inst);
}

static void failures_are_reported(void **state)
{
    struct fx *fx = *state;
    char err[256];
    void *inst = start(fx, NULL);
    setenv("FAKE_JOURNAL_FAIL", "1", 1);
    assert_int_equal(run(fx, inst, time_now_ms(), err, sizeof err), -1);
    assert_non_null(strstr(err, "Permission denied"));
    unsetenv("FAKE_JOURNAL_FAIL");
    setenv("PATH", "/nonexistent", 1); /* no journalctl at all */
    assert_int_equal(run(fx, inst, time_now_ms(), err, sizeof err), -1);
    assert_non_null(strstr(err, "journalctl"));
    stop(inst);
    /* a unit name that is not one is refused at init */
    json_t *config = json_loads("{\"id\":\"j\",\"journal\":{\"units\":[\"a b\"]}}", 0, NULL);
    void *bad = NULL;
    assert_int_not_equal(source_find("journal")->init(config, &fx->deps, &bad, err, sizeof err),
                         0);
    assert_non_null(strstr(err, "/journal/units/0"));
    json_decref(config);
}

/* The policy's log_sources: {"journal":{"units":[...]}} instead of paths. */
static void policy_journal_sources(void **state)
{
    (void)state;
    struct policy_seed seed = {.posture = ENV_DEMO};
    json_t *doc = policy_defaults(&seed);
    json_t *ls = json_loads("[{\"id\":\"j1\",\"journal\":{\"units\":[\"app.service\"]}},"
                            "{\"id\":\"j2\",\"journal\":{}}]", 0, NULL);
    json_object_set_new(doc, "log_sources", ls);
    struct problems *p = problems_create();
    assert_int_equal(policy_validate(doc, p), 0);
    json_object_set_new(json_object_get(json_array_get(ls, 0), "journal"), "units",
                        json_loads("[\"bad unit\"]", 0, NULL));
    json_object_set_new(json_array_get(ls, 1), "paths", json_loads("[\"/var/log/x\"]", 0, NULL));
    assert_int_equal(policy_validate(doc, p), -1);
    assert_int_equal(p->count, 2);
    assert_string_equal(p->items[0].path, "/log_sources/0/journal/units/0");
    assert_string_equal(p->items[1].path, "/log_sources/1/journal");
    assert_string_equal(p->items[1].code, "forbidden");
    problems_destroy(p);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(first_start_then_matches_and_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(bounded_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_are_reported, setup, teardown),
        cmocka_unit_test(policy_journal_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
