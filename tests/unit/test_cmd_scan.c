/* `srebot scan`: the command function run in-process with stdout captured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

int cmd_scan(int argc, char **argv);

static char dir[64];

/* Removes path and everything under it (the test's cache directories). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
    closedir(d);
    rmdir(path);
}

static void write_file(const char *name, const char *text, char *path, size_t pathlen)
{
    snprintf(path, pathlen, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
}

/* Runs cmd_scan with argv, its stdout into a file; returns its status and
 * leaves the file at path, for the caller to read and remove. */
static int run_captured(int argc, char **argv, char *path, size_t pathlen)
{
    snprintf(path, pathlen, "%s/stdout", dir);
    fflush(stdout);
    int saved = dup(1);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    dup2(fd, 1);
    close(fd);
    optind = 1;
    int rc = cmd_scan(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    return rc;
}

/* Runs cmd_scan with argv, returns its status; the output lines go to *out. */
static int run_scan(int argc, char **argv, json_t **out)
{
    char path[128];
    int rc = run_captured(argc, argv, path, sizeof path);
    *out = json_array();
    FILE *f = fopen(path, "r");
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        json_t *v = json_loads(line, 0, NULL);
        assert_non_null(v); /* every output line is JSON */
        json_array_append_new(*out, v);
    }
    fclose(f);
    unlink(path);
    return rc;
}

static void builtin_rules_over_two_files(void **state)
{
    (void)state;
    char a[128], b[128];
    write_file("a.log",
               "GET /ok 200\n"
               "panic: runtime error: nil map\n"
               "goroutine 1 [running]:\n"
               "quoted \"x\" \xff bytes Segmentation fault\n",
               a, sizeof a);
    write_file("b.log", "dial tcp 10.0.0.1:5432: connect: connection refused", b, sizeof b);
    char *argv[] = {"scan", a, b, NULL};
    json_t *out = NULL;
    assert_int_equal(run_scan(3, argv, &out), 0);
    assert_int_equal(json_array_size(out), 5); /* 4 matches + summary */
    json_t *m = json_array_get(out, 0);
    assert_string_equal(json_string_value(json_object_get(m, "rule")), "builtin.go_panic");
    assert_int_equal(json_integer_value(json_object_get(m, "offset")), 12);
    assert_string_equal(json_string_value(json_object_get(m, "line")), "panic: runtime error: nil map");
    m = json_array_get(out, 2);
    assert_string_equal(json_string_value(json_object_get(m, "line")),
                        "quoted \"x\" ? bytes Segmentation fault");
    m = json_array_get(out, 3);
    assert_string_equal(json_string_value(json_object_get(m, "file")), b);
    assert_string_equal(json_string_value(json_object_get(m, "rule")), "builtin.connection_refused");
    json_t *s = json_object_get(json_array_get(out, 4), "summary");
    assert_int_equal(json_integer_value(json_object_get(s, "files")), 2);
    assert_int_equal(json_integer_value(json_object_get(s, "matches")), 4);
    assert_int_equal(json_integer_value(json_object_get(s, "matched_lines")), 4);
    assert_int_equal(json_integer_value(json_object_get(s, "lines")), 5);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "by_rule"),
                                                        "builtin.go_panic")), 2);
    json_decref(out);
}

static void rules_file_and_count_only(void **state)
{
    (void)state;
    char log[128], rules[128];
    write_file("c.log", "alpha ERR 1\nbeta\nalpha ERR 2 and WARN\npanic: ignored\n", log, sizeof log);
    write_file("rules.json",
               "[{\"id\":\"t.err\",\"pattern\":\"ERR [0-9]\","
               "\"class\":\"application_services.application_service_degraded\"},"
               "{\"id\":\"t.warn\",\"kind\":\"log_signature\",\"pattern\":\"WARN\","
               "\"class\":\"application_services.application_service_degraded\"}]",
               rules, sizeof rules);
    char *argv[] = {"scan", "--count", "--rules", rules, log, NULL};
    json_t *out = NULL;
    assert_int_equal(run_scan(5, argv, &out), 0);
    assert_int_equal(json_array_size(out), 1);
    json_t *s = json_object_get(json_array_get(out, 0), "summary");
    assert_int_equal(json_integer_value(json_object_get(s, "rules")), 2);
    assert_int_equal(json_integer_value(json_object_get(s, "matches")), 3);
    assert_int_equal(json_integer_value(json_object_get(s, "matched_lines")), 2);
    json_decref(out);
}

static void errors_and_no_match(void **state)
{
    (void)state;
    char log[128], rules[128];
    write_file("d.log", "all quiet\n", log, sizeof log);
    char *argv1[] = {"scan", log, NULL};
    json_t *out = NULL;
    assert_int_equal(run_scan(2, argv1, &out), 1); /* nothing matched */
    json_decref(out);
    write_file("bad.json", "[{\"id\":\"x\",\"pattern\":\"(\",\"class\":\"nope.nope\"}]", rules,
               sizeof rules);
    char *argv2[] = {"scan", "-r", rules, log, NULL};
    assert_int_equal(run_scan(4, argv2, &out), 2);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    char *argv3[] = {"scan", "/nonexistent/file.log", NULL};
    assert_int_equal(run_scan(2, argv3, &out), 2);
    json_decref(out);
    char *argv4[] = {"scan", NULL};
    assert_int_equal(run_scan(1, argv4, &out), 2);
    json_decref(out);
}

/* "-" reads standard input: a pipe, which cannot seek. Larger than the read
 * buffer's first fill, so lines arrive over several reads. */
static void standard_input(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(p[0]);
        char line[64];
        for (int i = 0; i < 20000; i++) {
            int n = snprintf(line, sizeof line, i % 1000 == 7 ? "line %d panic: x\n" : "line %d ok\n", i);
            if (write(p[1], line, (size_t)n) != n)
                _exit(1);
        }
        _exit(0);
    }
    close(p[1]);
    int saved = dup(0);
    dup2(p[0], 0);
    close(p[0]);
    char *argv[] = {"scan", "--count", "-", NULL};
    json_t *out = NULL;
    int rc = run_scan(3, argv, &out);
    dup2(saved, 0);
    close(saved);
    int status = 0;
    waitpid(child, &status, 0);
    assert_int_equal(rc, 0);
    json_t *s = json_object_get(json_array_get(out, 0), "summary");
    assert_int_equal(json_integer_value(json_object_get(s, "matches")), 20);
    assert_int_equal(json_integer_value(json_object_get(s, "lines")), 20000);
    json_decref(out);
}

/* Runs a scan; its whole stdout as text, summary line dropped. */
static char *scan_text(int argc, char **argv, int *rc)
{
    char path[128];
    *rc = run_captured(argc, argv, path, sizeof path);
    FILE *f = fopen(path, "r");
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    unlink(path);
    text[n] = '\0';
    char *summary = strstr(text, "{\"summary\"");
    assert_non_null(summary);
    *summary = '\0';
    return strdup(text);
}

/* Threads and the rule cache change how fast, never what: the same lines
 * in the same order on 1 and 4 threads, from a fresh and from a warm cache,
 * and a changed rules file is compiled anew, not served from the cache. */
static void threads_and_cache_change_nothing_but_speed(void **state)
{
    (void)state;
    char log[128], rules[128], cache[128];
    snprintf(cache, sizeof cache, "%s/rulecache", dir);
    static char text[300000];
    size_t len = 0;
    for (int i = 0; len < sizeof text - 200; i++)
        len += (size_t)snprintf(text + len, sizeof text - len,
                                i % 11 == 3 ? "%d panic: boom \"q\"\tERR %d\n" : "%d fine %d\n", i, i);
    write_file("e.log", text, log, sizeof log);
    write_file("rules.json",
               "[{\"id\":\"t.err\",\"pattern\":\"ERR [0-9]*7\","
               "\"class\":\"application_services.application_service_degraded\"}]",
               rules, sizeof rules);
    int rc;
    char *argv1[] = {"scan", "--no-cache", "--threads", "1", "--rules", rules, log, NULL};
    char *one = scan_text(7, argv1, &rc);
    assert_int_equal(rc, 0);
    assert_true(strlen(one) > 1000);
    char *argv4[] = {"scan", "--cache", cache, "-j", "4", "--rules", rules, log, NULL};
    char *four = scan_text(8, argv4, &rc);
    assert_string_equal(four, one);
    char *warm = scan_text(8, argv4, &rc); /* from the cache now */
    assert_string_equal(warm, one);
    DIR *d = opendir(cache);
    assert_non_null(d);
    int blobs = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        blobs += strstr(e->d_name, ".blob") != NULL;
    closedir(d);
    assert_int_equal(blobs, 1);

    write_file("rules.json",
               "[{\"id\":\"t.err\",\"pattern\":\"ERR [0-9]*8\","
               "\"class\":\"application_services.application_service_degraded\"}]",
               rules, sizeof rules);
    char *changed = scan_text(8, argv4, &rc);
    assert_string_not_equal(changed, one);
    char *argv1b[] = {"scan", "--no-cache", "--rules", rules, log, NULL};
    char *fresh = scan_text(5, argv1b, &rc);
    assert_string_equal(changed, fresh);
    char *bad[] = {"scan", "--threads", "0", log, NULL};
    json_t *out = NULL;
    assert_int_equal(run_scan(4, bad, &out), 2);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    free(one);
    free(four);
    free(warm);
    free(changed);
    free(fresh);
    remove_tree(cache);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/srebot-scan-XXXXXX");
    assert_non_null(mkdtemp(dir));
    /* The default rule cache lives under XDG_CACHE_HOME: keep it in here. */
    char xdg[128];
    snprintf(xdg, sizeof xdg, "%s/xdg", dir);
    setenv("XDG_CACHE_HOME", xdg, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"a.log", "b.log", "c.log", "d.log", "e.log", "rules.json", "bad.json", NULL};
    char path[128];
    for (int i = 0; names[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/xdg", dir);
    remove_tree(path);
    rmdir(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_rules_over_two_files),
        cmocka_unit_test(rules_file_and_count_only),
        cmocka_unit_test(errors_and_no_match),
        cmocka_unit_test(standard_input),
        cmocka_unit_test(threads_and_cache_change_nothing_but_speed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
