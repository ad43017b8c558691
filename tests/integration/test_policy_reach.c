/* What a policy admin can reach, on the real daemon: log_sources paths and
 * secret_ref files outside IF_SRE_FILE_ROOTS and secret_ref variables without
 * the IF_SRE_SECRET_ prefix are refused (422 forbidden); a link planted under a
 * root that points elsewhere is not followed; secret-looking values in a log
 * line never reach the incident's summary or evidence; and IF_SRE_ADMIN_TOKEN
 * is gone from the running process's environment. */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static const char *const seed_env[] = {"IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true", NULL};

#ifdef SREBOT_WITH_VECTORSCAN
static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}
#endif

static long put_policy(struct it_daemon *d, json_t *doc, long version, struct it_resp *r)
{
    char im[64];
    snprintf(im, sizeof im, "If-Match: \"%ld\"", version);
    const char *headers[] = {"Content-Type: application/json", im, NULL};
    char *body = json_dumps(doc, JSON_COMPACT);
    long st = it_request(d, "PUT", "/api/v1/policy", IT_ADMIN, body, headers, r);
    free(body);
    return st;
}

static json_t *current(struct it_daemon *d, long *version)
{
    struct it_resp r;
    assert_int_equal(it_request(d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 200);
    *version = (long)json_integer_value(json_object_get(r.json, "version"));
    json_t *doc = json_incref(json_object_get(r.json, "document"));
    it_resp_free(&r);
    return doc;
}

static int has_detail(json_t *answer, const char *path, const char *code)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(json_object_get(answer, "error"), "details"), i, d)
        if (strcmp(json_string_value(json_object_get(d, "path")), path) == 0 &&
            strcmp(json_string_value(json_object_get(d, "code")), code) == 0)
            return 1;
    return 0;
}

static void set_log_source(json_t *doc, const char *glob)
{
    json_object_set_new(doc, "log_sources",
                        json_pack("[{s:s, s:[s], s:i}]", "id", "app", "paths", glob,
                                  "interval_seconds", 1));
}

/* The environment block the kernel shows for the process, NULs as newlines. */
static void read_environ(pid_t pid, char *out, size_t outlen)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, out, outlen - 1);
    close(fd);
    assert_true(n > 0);
    for (ssize_t i = 0; i < n; i++)
        if (!out[i])
            out[i] = '\n';
    out[n] = '\0';
}

#ifdef SREBOT_WITH_VECTORSCAN /* helpers of the part that needs the log detector */
static json_t *wait_app_incident(struct it_daemon *d)
{
    for (int i = 0; i < 150; i++) {
        struct it_resp r;
        it_request(d, "GET", "/api/v1/incidents?source=app", IT_ADMIN, NULL, NULL, &r);
        json_t *items = r.json ? json_object_get(r.json, "items") : NULL;
        if (r.status == 200 && json_array_size(items) > 0) {
            json_t *it = json_incref(json_array_get(items, 0));
            it_resp_free(&r);
            return it;
        }
        it_resp_free(&r);
        usleep(200 * 1000);
    }
    fail_msg("no incident from the app log source within 30 s");
    return NULL;
}

/* The app source's last error once it names the outside file (or "" after 30 s). */
static void wait_source_error(struct it_daemon *d, const char *needle, char *out, size_t outlen)
{
    out[0] = '\0';
    for (int i = 0; i < 150 && !out[0]; i++) {
        struct it_resp r;
        it_request(d, "GET", "/api/v1/sources", IT_ADMIN, NULL, NULL, &r);
        size_t k;
        json_t *s;
        json_array_foreach(r.json ? json_object_get(r.json, "items") : NULL, k, s) {
            const char *err = json_string_value(json_object_get(s, "last_error"));
            if (strcmp(json_string_value(json_object_get(s, "id")), "app") == 0 && err &&
                strstr(err, needle))
                snprintf(out, outlen, "%s", err);
        }
        it_resp_free(&r);
        if (!out[0])
            usleep(200 * 1000);
    }
}
#endif

static void policy_reach_is_bounded(void **state)
{
    (void)state;
    char root[64], allowed[96], outside[96];
    snprintf(root, sizeof root, "/tmp/srebot-it-reach-XXXXXX");
    assert_int_equal(it_mkdtemp(root), 0);
    snprintf(allowed, sizeof allowed, "%s/allowed", root);
    snprintf(outside, sizeof outside, "%s/outside", root);
    assert_int_equal(mkdir(allowed, 0700), 0);
    assert_int_equal(mkdir(outside, 0700), 0);
    const char *args[] = {"--file-roots", allowed, NULL};
    struct it_daemon d;
    assert_int_equal(it_start(&d, seed_env, args), 0);

    /* the admin token is read, then gone from the environment */
    char env[65536];
    read_environ(d.pid, env, sizeof env);
    assert_null(strstr(env, IT_ADMIN));
    assert_null(strstr(env, "IF_SRE_ADMIN_TOKEN="));
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/api/v1/whoami", IT_ADMIN, NULL, NULL, &r), 200);
    it_resp_free(&r);

    long version;
    json_t *doc = current(&d, &version);
    char glob[160];
    /* outside the roots: by path, by "..", and a secret file or variable */
    snprintf(glob, sizeof glob, "%s/*.log", outside);
    set_log_source(doc, glob);
    assert_int_equal(put_policy(&d, doc, version, &r), 422);
    assert_true(has_detail(r.json, "/log_sources/0/paths/0", "forbidden"));
    it_resp_free(&r);
    snprintf(glob, sizeof glob, "%s/../outside/*.log", allowed);
    set_log_source(doc, glob);
    assert_int_equal(put_policy(&d, doc, version, &r), 422);
    assert_true(has_detail(r.json, "/log_sources/0/paths/0", "forbidden"));
    it_resp_free(&r);
    set_log_source(doc, "/etc/passwd");
    json_object_set_new(
        doc, "probes",
        json_pack("[{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:{s:s}}}]", "id", "reg", "kind",
                  "registry", "target", "https://registry.local", "class",
                  "release_configuration.registry_auth_or_mirror_failure", "severity", "high",
                  "credential", "username", "robot", "secret_ref", "file", "/etc/shadow"));
    assert_int_equal(put_policy(&d, doc, version, &r), 422);
    assert_true(has_detail(r.json, "/log_sources/0/paths/0", "forbidden"));
    assert_true(has_detail(r.json, "/probes/0/credential/secret_ref/file", "forbidden"));
    it_resp_free(&r);
    json_object_set_new(json_object_get(json_object_get(json_array_get(json_object_get(doc,
                                                                                       "probes"),
                                                                       0),
                                                        "credential"),
                                        "secret_ref"),
                        "file", NULL);
    json_object_set_new(
        json_object_get(json_object_get(json_array_get(json_object_get(doc, "probes"), 0),
                                        "credential"),
                        "secret_ref"),
        "env", json_string("HOME"));
    json_object_del(json_object_get(json_object_get(json_array_get(json_object_get(doc,
                                                                                   "probes"),
                                                                   0),
                                                    "credential"),
                                    "secret_ref"),
                    "file");
    assert_int_equal(put_policy(&d, doc, version, &r), 422);
    assert_true(has_detail(r.json, "/probes/0/credential/secret_ref/env", "forbidden"));
    it_resp_free(&r);
    json_object_set_new(doc, "probes", json_array());

#ifdef SREBOT_WITH_VECTORSCAN /* a build without the log detector runs no log source */
    /* inside the roots: accepted; a link to a file elsewhere is not followed,
     * and secrets in the lines it does read are redacted */
    char path[160], target[160];
    snprintf(target, sizeof target, "%s/secret.log", outside);
    write_file(target, "");
    snprintf(path, sizeof path, "%s/evil.log", allowed);
    assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/app.log", allowed);
    write_file(path, "");
    snprintf(glob, sizeof glob, "%s/*.log", allowed);
    set_log_source(doc, glob);
    if (put_policy(&d, doc, version, &r) != 200)
        fail_msg("PUT: %ld %s", r.status, r.body);
    it_resp_free(&r);
    char err[512];
    wait_source_error(&d, "not under the allowed file roots", err, sizeof err);
    if (!strstr(err, "evil.log"))
        fail_msg("the link out of the roots was not refused (last_error \"%s\")", err);
    write_file(target, "panic: read through the link password=linkedsecret\n");
    write_file(path, "panic: db connect failed db_password=hunter2 "
                     "Authorization: Bearer abcdef0123456789\n");
    json_t *inc = wait_app_incident(&d);
    char ipath[64];
    snprintf(ipath, sizeof ipath, "/api/v1/incidents/%lld",
             (long long)json_integer_value(json_object_get(inc, "id")));
    json_decref(inc);
    assert_int_equal(it_request(&d, "GET", ipath, IT_ADMIN, NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "db_password=[redacted]"));
    assert_null(strstr(r.body, "hunter2"));
    assert_null(strstr(r.body, "abcdef0123456789"));
    assert_null(strstr(r.body, "linkedsecret"));
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents?source=app", IT_ADMIN, NULL, NULL,
                                &r),
                     200);
    assert_null(strstr(r.body, "hunter2"));
    assert_null(strstr(r.body, "linkedsecret"));
    it_resp_free(&r);
#endif
    json_decref(doc);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policy_reach_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
