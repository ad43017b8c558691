/* The fake Slack / Telegram / Teams endpoints (tests/fakes/fake_chat.py) from
 * a C test: start it on a free port (or again on the same port after a stop,
 * for "the provider comes back"), read what srebot sent, script failures, and
 * have it send callbacks the way the providers do. Header-only. */
#ifndef SREBOT_TESTS_CHAT_FAKE_H
#define SREBOT_TESTS_CHAT_FAKE_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define FAKE_SLACK_TOKEN "xoxb-fake-bot-token"
#define FAKE_TG_TOKEN "123456:fake-telegram-token"

struct chat_fake {
    pid_t pid;
    unsigned port;
    char dir[128];
    char port_file[192];
    struct it_daemon ctl; /* only base_url is used: it_request() to the fake */
};

static inline void fake_nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts the fake on port (0: any free port); waits until it listens. */
static inline void chat_fake_start(struct chat_fake *f, unsigned port)
{
    if (!f->dir[0]) {
        snprintf(f->dir, sizeof f->dir, "/tmp/srebot-fake-chat-XXXXXX");
        assert_int_equal(it_mkdtemp(f->dir), 0);
        snprintf(f->port_file, sizeof f->port_file, "%s/port", f->dir);
    }
    unlink(f->port_file);
    const char *src = getenv("SREBOT_SOURCE_DIR");
    assert_non_null(src);
    char script[512], portarg[16];
    snprintf(script, sizeof script, "%s/tests/fakes/fake_chat.py", src);
    snprintf(portarg, sizeof portarg, "%u", port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a test that fails half-way leaves no fake behind */
        execlp("python3", "python3", script, "--port", portarg, "--port-file", f->port_file,
               "--slack-token", FAKE_SLACK_TOKEN, "--telegram-token", FAKE_TG_TOKEN,
               (char *)NULL);
        _exit(127);
    }
    f->pid = pid;
    for (int i = 0; i < 200; i++) { /* up to 10 s on a loaded machine */
        FILE *pf = fopen(f->port_file, "r");
        if (pf) {
            unsigned p = 0;
            int n = fscanf(pf, "%u", &p);
            fclose(pf);
            if (n == 1 && p) {
                f->port = p;
                snprintf(f->ctl.base_url, sizeof f->ctl.base_url, "http://127.0.0.1:%u", p);
                return;
            }
        }
        fake_nap_ms(50);
    }
    fail_msg("the fake chat server did not start");
}

/* Takes the provider away: the port refuses connections until a restart. */
static inline void chat_fake_stop(struct chat_fake *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
}

static inline void chat_fake_cleanup(struct chat_fake *f)
{
    chat_fake_stop(f);
    unlink(f->port_file);
    rmdir(f->dir);
}

/* POST /_control/<what> with a JSON body; the answer (new reference). */
static inline json_t *chat_fake_control(struct chat_fake *f, const char *what, json_t *body)
{
    char path[128];
    snprintf(path, sizeof path, "/_control/%s", what);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct it_resp r;
    long st = it_request(&f->ctl, "POST", path, NULL, text, headers, &r);
    free(text);
    if (st != 200)
        fail_msg("fake control %s: %ld %s", what, st, r.body ? r.body : "");
    json_t *j = json_incref(r.json);
    it_resp_free(&r);
    return j;
}

/* The same when the answer does not matter. */
static inline void chat_fake_do(struct chat_fake *f, const char *what, json_t *body)
{
    json_decref(chat_fake_control(f, what, body));
}

/* Every request the fake received (new reference), optionally only of one
 * api ("slack", "telegram", "teams", "slack-webhook") and method. */
static inline json_t *chat_fake_requests(struct chat_fake *f, const char *api, const char *method)
{
    struct it_resp r;
    assert_int_equal(it_request(&f->ctl, "GET", "/_control/requests", NULL, NULL, NULL, &r), 200);
    json_t *out = json_array();
    size_t i;
    json_t *q;
    json_array_foreach(r.json, i, q) {
        if (api && strcmp(json_string_value(json_object_get(q, "api")), api) != 0)
            continue;
        if (method && strcmp(json_string_value(json_object_get(q, "method")), method) != 0)
            continue;
        json_array_append(out, q);
    }
    it_resp_free(&r);
    return out;
}

static inline size_t chat_fake_count(struct chat_fake *f, const char *api, const char *method)
{
    json_t *a = chat_fake_requests(f, api, method);
    size_t n = json_array_size(a);
    json_decref(a);
    return n;
}

/* The messages the fake holds, as edited (new reference): Slack {"channel",
 * "ts","thread_ts","text","blocks","edits"}, Telegram {"message_id","chat",
 * "text","reply_to","reply_markup","edits"}, in posting order. */
static inline json_t *chat_fake_messages(struct chat_fake *f)
{
    struct it_resp r;
    assert_int_equal(it_request(&f->ctl, "GET", "/_control/messages", NULL, NULL, NULL, &r), 200);
    json_t *j = json_incref(r.json);
    it_resp_free(&r);
    return j;
}

/* The fake's wire-format violations must stay empty: fails the test otherwise. */
static inline void chat_fake_no_violations(struct chat_fake *f)
{
    struct it_resp r;
    assert_int_equal(it_request(&f->ctl, "GET", "/_control/violations", NULL, NULL, NULL, &r), 200);
    if (json_array_size(r.json) != 0)
        fail_msg("wire-format violations: %s", r.body);
    it_resp_free(&r);
}

#endif
