/* Issue #12's "Done means" for the chat providers, end to end: the real
 * daemon (delivery worker, remediation worker, callbacks) against the fake
 * Slack and Telegram (tests/fakes/fake_chat.py):
 *   - an incident routed to Slack opens a thread; the approval request replies
 *     in it with Approve / Reject; a mapped user's signed press approves it,
 *     the action runs, the request message is edited with who decided; the
 *     incident's resolution replies in the thread and edits the root;
 *   - the same with Telegram's inline keyboard and webhook;
 *   - Slack answering 429 with Retry-After: the retry waits, then delivers once;
 *   - Slack (and Telegram) down for the length of the test: the message fails
 *     over to Telegram, then to in-app; when they come back each delivers it
 *     exactly once. */
#include "chat_env.h"

#define CPU_CLASS "infrastructure.node_cpu_saturation" /* playbook: notify (no approval) */

/* routing: OUTAGE_CLASS and CPU_CLASS to the channels in ud (a JSON array text) */
static void route_to(json_t *doc, void *ud)
{
    json_t *rules = json_object_get(json_object_get(doc, "routing"), "rules");
    json_array_append_new(rules, json_pack("{s:[s,s], s:o}", "classes", OUTAGE_CLASS, CPU_CLASS,
                                           "channels", json_loads(ud, 0, NULL)));
}

/* The fake's message whose blocks / keyboard carry approval id req, or NULL. */
static json_t *message_with(json_t *messages, const char *needle)
{
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        char *text = json_dumps(m, JSON_COMPACT);
        int hit = strstr(text, needle) != NULL;
        free(text);
        if (hit)
            return m;
    }
    return NULL;
}

/* A reply in thread root_ts whose text holds needle, or NULL. */
static json_t *thread_reply_with(json_t *messages, const char *root_ts, const char *needle)
{
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        const char *t = json_string_value(json_object_get(m, "thread_ts"));
        const char *text = json_string_value(json_object_get(m, "text"));
        if (t && strcmp(t, root_ts) == 0 && text && strstr(text, needle))
            return m;
    }
    return NULL;
}

static int has_message(struct chat_fake *f, const char *needle)
{
    json_t *ms = chat_fake_messages(f);
    int yes = message_with(ms, needle) != NULL;
    json_decref(ms);
    return yes;
}

static void slack_thread_approval_and_result(void **state)
{
    (void)state;
    struct chat_env c;
    chat_start(&c, route_to, "[\"ops-slack\"]");
    int64_t inc;
    int64_t req = new_approval(&c, "db", &inc);
    char value[48], st[32];
    snprintf(value, sizeof value, "\"value\":\"%lld\"", (long long)req);

    /* the incident's message opens the thread; the request replies in it */
    assert_true(WAIT_FOR(20, has_message(&c.fake, value)));
    json_t *ms = chat_fake_messages(&c.fake);
    json_t *root = json_array_get(ms, 0);
    json_t *request = message_with(ms, value);
    assert_true(json_is_null(json_object_get(root, "thread_ts")));
    char *root_text = json_dumps(root, JSON_COMPACT);
    assert_non_null(strstr(root_text, "runtime_dependency_outage"));
    free(root_text);
    assert_string_equal(json_string_value(json_object_get(request, "thread_ts")),
                        json_string_value(json_object_get(root, "ts")));
    char root_ts[64], request_ts[64];
    snprintf(root_ts, sizeof root_ts, "%s", json_string_value(json_object_get(root, "ts")));
    snprintf(request_ts, sizeof request_ts, "%s",
             json_string_value(json_object_get(request, "ts")));
    json_decref(ms);

    /* the mapped operator presses Approve on that message: the action runs */
    json_t *answer = NULL;
    assert_int_equal(slack_press(&c, U_ALICE, "approve", req, "message_ts",
                                 json_string(request_ts), &answer),
                     200);
    assert_true(json_is_true(json_object_get(answer, "decided")));
    json_decref(answer);
    assert_string_equal(approval_state(&c, req, st, sizeof st), "approved");
    assert_true(WAIT_FOR(20, attempt_in_state(&c.e.d, inc, "rollout_restart", "succeeded")));
    assert_int_equal(runner_lines(&c.e, "executions"), 1);

    /* the request message is edited with who decided, its buttons gone */
    assert_true(WAIT_FOR(20, ({
                             json_t *all = chat_fake_messages(&c.fake);
                             json_t *m = message_with(all, request_ts);
                             char *t = json_dumps(m, JSON_COMPACT);
                             int ok = json_integer_value(json_object_get(m, "edits")) >= 1 &&
                                      strstr(t, "alice") && !strstr(t, "\"actions\"");
                             free(t);
                             json_decref(all);
                             ok;
                         })));

    /* the incident resolves: a reply in the thread, and the root shows it */
    char path[96];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/transitions", (long long)inc);
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct it_resp r;
    long code = it_request(&c.e.d, "POST", path, IT_ADMIN,
                           "{\"to\":\"resolved\",\"reason\":\"db is back\"}", headers, &r);
    if (code != 200)
        fail_msg("resolve: %ld %s", code, r.body ? r.body : "");
    it_resp_free(&r);
    assert_true(WAIT_FOR(20, ({
                             json_t *all = chat_fake_messages(&c.fake);
                             json_t *reply = thread_reply_with(all, root_ts, "Resolved");
                             json_t *rt = json_array_get(all, 0);
                             char *t = json_dumps(json_object_get(rt, "blocks"), 0);
                             int ok = reply &&
                                      strcmp(json_string_value(json_object_get(reply, "thread_ts"))
                                                 ?: "",
                                             root_ts) == 0 &&
                                      json_integer_value(json_object_get(rt, "edits")) >= 1 &&
                                      strstr(t, "resolved");
                             free(t);
                             json_decref(all);
                             ok;
                         })));
    /* one thread: every message after the first replies to it */
    ms = chat_fake_messages(&c.fake);
    size_t i;
    json_t *m;
    json_array_foreach(ms, i, m) {
        if (i > 0)
            assert_string_equal(json_string_value(json_object_get(m, "thread_ts")) ?: "", root_ts);
    }
    json_decref(ms);
    chat_stop(&c);
}

static void telegram_keyboard_approval(void **state)
{
    (void)state;
    struct chat_env c;
    chat_start(&c, route_to, "[\"ops-tg\"]");
    int64_t inc;
    int64_t req = new_approval(&c, "db", &inc);
    char data[48], st[32];
    snprintf(data, sizeof data, "\"approve:%lld\"", (long long)req);
    assert_true(WAIT_FOR(20, has_message(c.tg, data)));
    json_t *ms = chat_fake_messages(c.tg);
    json_t *root = json_array_get(ms, 0);
    json_t *request = message_with(ms, data);
    long long request_id = json_integer_value(json_object_get(request, "message_id"));
    assert_int_equal(json_integer_value(json_object_get(request, "reply_to")),
                     json_integer_value(json_object_get(root, "message_id")));
    json_decref(ms);

    snprintf(data, sizeof data, "approve:%lld", (long long)req);
    assert_int_equal(tg_press_on(&c, TG_HOOK, TG_ALICE, data, 1, request_id), 200);
    assert_string_equal(approval_state(&c, req, st, sizeof st), "approved");
    assert_true(WAIT_FOR(20, attempt_in_state(&c.e.d, inc, "rollout_restart", "succeeded")));
    assert_int_equal(runner_lines(&c.e, "executions"), 1);
    /* the button press was answered; the request message edited, keyboard gone */
    assert_int_equal(chat_fake_count(c.tg, "telegram", "answerCallbackQuery"), 1);
    assert_true(WAIT_FOR(20, ({
                             json_t *all = chat_fake_messages(c.tg);
                             json_t *m = NULL, *x;
                             size_t k;
                             json_array_foreach(all, k, x) {
                                 if (json_integer_value(json_object_get(x, "message_id")) ==
                                     request_id)
                                     m = x;
                             }
                             int ok = m && json_integer_value(json_object_get(m, "edits")) >= 1 &&
                                      strstr(json_string_value(json_object_get(m, "text")),
                                             "alice") &&
                                      json_is_null(json_object_get(m, "reply_markup"));
                             json_decref(all);
                             ok;
                         })));
    chat_stop(&c);
}

/* The delivery record of the (only) notification of incident inc on channel ch. */
static int delivery(struct chat_env *c, int64_t inc, const char *ch, const char *column)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM channel_deliveries d JOIN notifications n ON n.id = "
             "d.notification_id WHERE n.incident_id = %lld AND n.kind = 'incident' AND "
             "d.channel = ?",
             column, (long long)inc);
    return db_int(c, sql, ch);
}

static int state_is(struct chat_env *c, int64_t inc, const char *ch, const char *state)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM channel_deliveries d JOIN notifications n ON n.id = "
             "d.notification_id WHERE n.incident_id = %lld AND n.kind = 'incident' AND "
             "d.channel = ? AND d.state = '%s'",
             (long long)inc, state);
    return db_int(c, sql, ch) == 1;
}

static void slack_429_waits_then_delivers(void **state)
{
    (void)state;
    struct chat_env c;
    chat_start(&c, route_to, "[\"ops-slack\"]");
    chat_fake_do(&c.fake, "fail",
                 json_pack("{s:s, s:s, s:i, s:i, s:i}", "api", "slack", "method",
                           "chat.postMessage", "status", 429, "retry_after", 2, "count", 1));
    int64_t inc = post_finding(&c.e.d, CPU_CLASS, "node-a", "firing", "{\"node\":\"node-a\"}");
    assert_true(WAIT_FOR(20, state_is(&c, inc, "ops-slack", "sent")));
    json_t *posts = chat_fake_requests(&c.fake, "slack", "chat.postMessage");
    assert_int_equal(json_array_size(posts), 2); /* the 429, then the delivery */
    double t0 = json_real_value(json_object_get(json_array_get(posts, 0), "at"));
    double t1 = json_real_value(json_object_get(json_array_get(posts, 1), "at"));
    if (t1 - t0 < 1.9) /* Retry-After: 2 was honoured (the base backoff is 0.2 s here) */
        fail_msg("retried after %.2f s, Retry-After said 2", t1 - t0);
    json_decref(posts);
    json_t *ms = chat_fake_messages(&c.fake);
    assert_int_equal(json_array_size(ms), 1); /* delivered once */
    json_decref(ms);
    assert_int_equal(delivery(&c, inc, "ops-slack", "attempts"), 2);
    chat_stop(&c);
}

static void slack_down_fails_over_and_catches_up(void **state)
{
    (void)state;
    struct chat_env c;
    chat_start_with(&c, 1, route_to, "[\"ops-slack\",\"ops-tg\"]");
    unsigned slack_port = c.fake.port, tg_port = c.tg->port;
    chat_fake_stop(&c.fake); /* Slack down for the test */
    chat_fake_stop(c.tg);    /* and Telegram, until the message reached in-app */
    int64_t inc = post_finding(&c.e.d, CPU_CLASS, "node-b", "firing", "{\"node\":\"node-b\"}");

    /* Slack fails (retries, then hands over), Telegram fails, in-app takes it */
    assert_true(WAIT_FOR(30, state_is(&c, inc, "inapp", "sent")));
    assert_int_equal(delivery(&c, inc, "ops-slack", "failed_over"), 1);
    assert_true(delivery(&c, inc, "ops-slack", "attempts") >= 3);
    assert_int_equal(delivery(&c, inc, "ops-tg", "failed_over"), 1);
    assert_true(state_is(&c, inc, "ops-slack", "pending"));
    assert_true(state_is(&c, inc, "ops-tg", "pending"));

    /* Telegram comes back: it delivers its copy, once */
    chat_fake_start(c.tg, tg_port);
    assert_true(WAIT_FOR(30, state_is(&c, inc, "ops-tg", "sent")));
    /* then Slack: its copy too, once */
    chat_fake_start(&c.fake, slack_port);
    assert_true(WAIT_FOR(30, state_is(&c, inc, "ops-slack", "sent")));
    remed_sleep_ms(1500); /* nothing more arrives */
    json_t *ms = chat_fake_messages(&c.fake);
    assert_int_equal(json_array_size(ms), 1);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(ms, 0), "text")),
                           "node-b"));
    json_decref(ms);
    ms = chat_fake_messages(c.tg);
    assert_int_equal(json_array_size(ms), 1);
    json_decref(ms);
    assert_int_equal(chat_fake_count(&c.fake, "slack", "chat.postMessage"), 1);
    assert_int_equal(chat_fake_count(c.tg, "telegram", "sendMessage"), 1);
    /* one record per channel, each sent: exactly once per channel */
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM channel_deliveries d JOIN notifications n ON n.id = "
             "d.notification_id WHERE n.incident_id = %lld AND n.kind = 'incident' AND "
             "d.state = ?",
             (long long)inc);
    assert_int_equal(db_int(&c, sql, "sent"), 3);
    chat_stop(&c);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slack_thread_approval_and_result),
        cmocka_unit_test(telegram_keyboard_approval),
        cmocka_unit_test(slack_429_waits_then_delivers),
        cmocka_unit_test(slack_down_fails_over_and_catches_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
