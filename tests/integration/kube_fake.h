/* The fake Kubernetes API (tests/fakes/fake_kube_api.py) for integration
 * tests: start it on a free port, write a kubeconfig for it, script it
 * through its /_fake/ control API, read what it holds. Header-only: static
 * functions, included by the tests that use it. */
#ifndef SREBOT_TESTS_KUBE_FAKE_H
#define SREBOT_TESTS_KUBE_FAKE_H

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

extern char **environ;

struct kube_fake {
    pid_t pid;
    char dir[256];
    char url[64];
    char kubeconfig[300];
};

/* extra: NULL-terminated options for the fake (e.g. "--token", "t"), or NULL.
 * token: what the kubeconfig's user sends (NULL: none). */
static inline int kube_fake_start(struct kube_fake *f, const char *const *extra, const char *token)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/srebot-kfake-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    const char *src = getenv("SREBOT_SOURCE_DIR");
    char script[512], portfile[320];
    snprintf(script, sizeof script, "%s/tests/fakes/fake_kube_api.py", src ? src : ".");
    snprintf(portfile, sizeof portfile, "%s/port", f->dir);
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    const char *argv[16] = {py, script, "--port-file", portfile};
    size_t n = 4;
    for (size_t i = 0; extra && extra[i] && n < 15; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    /* its output to a file: a pipe of the test's would be held open by it */
    char logpath[320];
    snprintf(logpath, sizeof logpath, "%s/fake.log", f->dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawnp(&f->pid, py, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    for (int i = 0; i < 300; i++) {
        FILE *pf = fopen(portfile, "r");
        unsigned port = 0;
        if (pf) {
            int ok = fscanf(pf, "%u", &port) == 1;
            fclose(pf);
            if (ok && port) {
                snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", port);
                break;
            }
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!f->url[0])
        return -1;
    snprintf(f->kubeconfig, sizeof f->kubeconfig, "%s/kubeconfig", f->dir);
    FILE *kc = fopen(f->kubeconfig, "w");
    if (!kc)
        return -1;
    fprintf(kc,
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
            "contexts:\n- name: fake\n  context: {cluster: fake, user: bot}\n"
            "clusters:\n- name: fake\n  cluster: {server: \"%s\"}\n"
            "users:\n- name: bot\n  user: {%s%s}\n",
            f->url, token ? "token: " : "", token ? token : "");
    fclose(kc);
    return 0;
}

static inline void kube_fake_stop(struct kube_fake *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
    if (f->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", f->dir);
        f->dir[0] = '\0';
    }
}

static inline size_t kube_fake_collect(char *p, size_t s, size_t n, void *ud)
{
    char **buf = ud;
    size_t old = *buf ? strlen(*buf) : 0;
    char *nb = realloc(*buf, old + s * n + 1);
    if (!nb)
        return 0;
    memcpy(nb + old, p, s * n);
    nb[old + s * n] = '\0';
    *buf = nb;
    return s * n;
}

/* A control or API call; the answer's JSON (new reference, NULL when not
 * JSON) and its status in *status (may be NULL). */
static inline json_t *kube_fake_call(struct kube_fake *f, const char *method, const char *path,
                              const char *body, long *status)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", f->url, path);
    CURL *h = curl_easy_init();
    char *buf = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, kube_fake_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    /* the test's own calls: not recorded as the code's, not subject to --rbac */
    struct curl_slist *hdrs = curl_slist_append(NULL, "X-Fake-Test: 1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    long code = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    if (status)
        *status = code;
    json_t *j = buf ? json_loads(buf, 0, NULL) : NULL;
    free(buf);
    return j;
}

/* Upserts an object (JSON text) through the control API. */
static inline void kube_fake_put(struct kube_fake *f, const char *obj)
{
    json_decref(kube_fake_call(f, "POST", "/_fake/objects", obj, NULL));
}

/* The stored object at an API path, or NULL (new reference). */
static inline json_t *kube_fake_get(struct kube_fake *f, const char *path)
{
    long st = 0;
    json_t *j = kube_fake_call(f, "GET", path, NULL, &st);
    if (st != 200) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* How many requests the fake served with this method whose path contains
 * needle (and, when not NULL, whose query has dryRun=All when dry is 1, or
 * not when 0). */
static inline int kube_fake_count(struct kube_fake *f, const char *method, const char *needle, int dry)
{
    json_t *r = kube_fake_call(f, "GET", "/_fake/requests", NULL, NULL);
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r, "items"), i, it) {
        const char *m = json_string_value(json_object_get(it, "method"));
        const char *p = json_string_value(json_object_get(it, "path"));
        const char *d = json_string_value(json_object_get(json_object_get(it, "query"), "dryRun"));
        if (m && p && strcmp(m, method) == 0 && strstr(p, needle) &&
            (dry < 0 || (dry == 1) == (d && strcmp(d, "All") == 0)))
            n++;
    }
    json_decref(r);
    return n;
}

#endif
