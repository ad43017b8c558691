/* The Slack, Telegram and Teams providers against the fake endpoints
 * (tests/fakes/fake_chat.py, built from the documented wire formats), called
 * the way the delivery worker calls them: one thread per incident with the
 * root message edited, Approve / Reject buttons and keyboards, the request
 * edited with the decision, 429 with Retry-After / retry_after as
 * ADAPTER_RETRY with the wait, a bad token as a permanent error, and a
 * provider that is down as a retry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "chat_fake.h"
#include "util/timeutil.h"

extern const struct channel_ops channel_slack, channel_telegram, channel_teams;

static struct chat_fake fake;

static int setup(void **state)
{
    (void)state;
    setenv("IF_SRE_SECRET_SLACK_TOKEN", FAKE_SLACK_TOKEN, 1);
    setenv("IF_SRE_SECRET_SLACK_BAD", "xoxb-revoked", 1);
    setenv("IF_SRE_SECRET_TG_TOKEN", FAKE_TG_TOKEN, 1);
    chat_fake_start(&fake, 0);
    char url[160];
    snprintf(url, sizeof url, "%s/services/T0/B0/hooksecret", fake.ctl.base_url);
    setenv("IF_SRE_SECRET_SLACK_HOOK", url, 1);
    snprintf(url, sizeof url, "%s/workflows/abc?sig=s3cr3t", fake.ctl.base_url);
    setenv("IF_SRE_SECRET_TEAMS_HOOK", url, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    chat_fake_cleanup(&fake);
    return 0;
}

static void *instance_of(const struct channel_ops *ops, const char *settings_fmt)
{
    char text[1024], err[256];
    const char *hole = strstr(settings_fmt, "%s"); /* the fake's address goes there */
    if (hole)
        snprintf(text, sizeof text, "%.*s%s%s", (int)(hole - settings_fmt), settings_fmt,
                 fake.ctl.base_url, hole + 2);
    else
        snprintf(text, sizeof text, "%s", settings_fmt);
    json_t *settings = json_loads(text, 0, NULL);
    assert_non_null(settings);
    struct channel_deps deps = {.net = NULL, .file_roots = NULL};
    void *inst = NULL;
    if (ops->init(settings, &deps, &inst, err, sizeof err) != 0)
        fail_msg("init: %s", err);
    json_decref(settings);
    return inst;
}

static struct channel_message message(enum channel_msg_kind kind, const char *title,
                                      const char *thread, const char *reply)
{
    struct channel_message m = {.notification_id = 1,
                                .incident_id = 42,
                                .approval_id = kind == CHANNEL_MSG_APPROVAL_REQUEST ||
                                                       kind == CHANNEL_MSG_APPROVAL_RESULT
                                                   ? 7
                                                   : 0,
                                .kind = kind,
                                .severity = 3,
                                .class_ = "runtime_services.runtime_dependency_outage",
                                .state = "triaged",
                                .title = title,
                                .text = "db is unreachable from shop/api",
                                .link = "https://srebot.example/#/incidents/42",
                                .thread_ref = thread,
                                .reply_ref = reply,
                                .deadline_ns = time_mono_ns() + 5000000000ull};
    return m;
}

#define SLACK_SETTINGS                                                                           \
    "{\"token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_SLACK_TOKEN\"}},\"channel\":\"#ops\"," \
    "\"api_base_url\":\"%s/api\"}"

static void slack_thread_buttons_and_edit(void **state)
{
    (void)state;
    chat_fake_do(&fake, "reset", json_object());
    void *s = instance_of(&channel_slack, SLACK_SETTINGS);
    struct channel_outcome out;

    /* the incident opens a thread */
    struct channel_message m = message(CHANNEL_MSG_INCIDENT, "[high] db outage", NULL, NULL);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_OK);
    assert_non_null(strchr(out.thread_ref, '/'));
    assert_string_equal(out.thread_ref, out.message_ref);
    char thread[128];
    snprintf(thread, sizeof thread, "%s", out.thread_ref);

    /* the approval request replies in it, with the buttons */
    m = message(CHANNEL_MSG_APPROVAL_REQUEST, "Approve rollout_restart of shop/api?", thread, NULL);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_OK);
    assert_string_equal(out.thread_ref, thread);
    char request_msg[128];
    snprintf(request_msg, sizeof request_msg, "%s", out.message_ref);
    assert_string_not_equal(request_msg, thread);

    json_t *posts = chat_fake_requests(&fake, "slack", "chat.postMessage");
    assert_int_equal(json_array_size(posts), 2);
    json_t *first = json_object_get(json_array_get(posts, 0), "body");
    json_t *second = json_object_get(json_array_get(posts, 1), "body");
    assert_string_equal(json_string_value(json_object_get(json_array_get(posts, 0),
                                                          "authorization")),
                        "Bearer " FAKE_SLACK_TOKEN);
    assert_null(json_object_get(first, "thread_ts"));
    assert_string_equal(json_string_value(json_object_get(second, "thread_ts")),
                        strchr(thread, '/') + 1);
    json_t *blocks = json_object_get(second, "blocks");
    json_t *actions = json_array_get(blocks, json_array_size(blocks) - 1);
    assert_string_equal(json_string_value(json_object_get(actions, "type")), "actions");
    json_t *approve = json_array_get(json_object_get(actions, "elements"), 0);
    assert_string_equal(json_string_value(json_object_get(approve, "action_id")), "approve");
    assert_string_equal(json_string_value(json_object_get(approve, "value")), "7");
    json_decref(posts);

    /* a later incident message replies and edits the root's status */
    m = message(CHANNEL_MSG_RESOLVED, "[high] db outage resolved", thread, NULL);
    m.state = "resolved";
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_OK);
    json_t *updates = chat_fake_requests(&fake, "slack", "chat.update");
    assert_int_equal(json_array_size(updates), 1);
    json_t *u = json_object_get(json_array_get(updates, 0), "body");
    assert_string_equal(json_string_value(json_object_get(u, "ts")), strchr(thread, '/') + 1);
    char *root_text = json_dumps(json_object_get(u, "blocks"), 0);
    assert_non_null(strstr(root_text, "resolved"));
    free(root_text);
    json_decref(updates);

    /* the decision edits the request's own message: who decided, no buttons */
    m = message(CHANNEL_MSG_APPROVAL_RESULT, "Approved by alice", thread, request_msg);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_OK);
    updates = chat_fake_requests(&fake, "slack", "chat.update");
    assert_int_equal(json_array_size(updates), 2);
    u = json_object_get(json_array_get(updates, 1), "body");
    assert_string_equal(json_string_value(json_object_get(u, "ts")), strchr(request_msg, '/') + 1);
    char *text = json_dumps(u, 0);
    assert_non_null(strstr(text, "Approved by alice"));
    assert_null(strstr(text, "\"actions\""));
    free(text);
    json_decref(updates);
    assert_int_equal(chat_fake_count(&fake, "slack", "chat.postMessage"), 3);
    chat_fake_no_violations(&fake);
    channel_slack.destroy(s);
}

static void slack_throttling_and_failures(void **state)
{
    (void)state;
    chat_fake_do(&fake, "reset", json_object());
    void *s = instance_of(&channel_slack, SLACK_SETTINGS);
    struct channel_outcome out;
    struct channel_message m = message(CHANNEL_MSG_INCIDENT, "[high] db outage", NULL, NULL);

    /* 429 + Retry-After: 2 -> retry after 2000 ms, nothing posted */
    chat_fake_do(&fake, "fail",
                      json_pack("{s:s, s:s, s:i, s:i, s:i}", "api", "slack", "method",
                                "chat.postMessage", "status", 429, "retry_after", 2, "count", 1));
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_RETRY);
    assert_int_equal(out.retry_after_ms, 2000);
    assert_non_null(strstr(out.error, "429"));
    /* ok:false ratelimited is transient too; another ok:false error is not */
    chat_fake_do(&fake, "fail",
                      json_pack("{s:s, s:i, s:s, s:i}", "api", "slack", "status", 200, "error",
                                "ratelimited", "count", 1));
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_RETRY);
    chat_fake_do(&fake, "fail",
                      json_pack("{s:s, s:i, s:s, s:i}", "api", "slack", "status", 200, "error",
                                "not_in_channel", "count", 1));
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "not_in_channel"));
    /* then it goes through */
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_OK);
    channel_slack.destroy(s);

    /* a revoked token: permanent, and the token is nowhere in the error */
    s = instance_of(&channel_slack,
                    "{\"token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_SLACK_BAD\"}},"
                    "\"channel\":\"C1\",\"api_base_url\":\"%s/api\"}");
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "invalid_auth"));
    assert_null(strstr(out.error, "xoxb"));
    channel_slack.destroy(s);

    /* the incoming webhook: one-way, no buttons even on a request */
    s = instance_of(&channel_slack,
                    "{\"webhook_url\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_SLACK_HOOK\"}}}");
    m = message(CHANNEL_MSG_APPROVAL_REQUEST, "Approve?", NULL, NULL);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_OK);
    json_t *hooks = chat_fake_requests(&fake, "slack-webhook", NULL);
    assert_int_equal(json_array_size(hooks), 1);
    char *body = json_dumps(json_object_get(json_array_get(hooks, 0), "body"), 0);
    assert_null(strstr(body, "\"actions\""));
    free(body);
    json_decref(hooks);
    chat_fake_do(&fake, "fail",
                      json_pack("{s:s, s:i, s:i, s:i}", "api", "slack-webhook", "status", 429,
                                "retry_after", 3, "count", 1));
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_RETRY);
    assert_int_equal(out.retry_after_ms, 3000);
    assert_null(strstr(out.error, "hooksecret"));
    channel_slack.destroy(s);
    chat_fake_no_violations(&fake);
}

#define TG_SETTINGS                                                                              \
    "{\"bot_token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG_TOKEN\"}},"                      \
    "\"chat_id\":\"-1001234567890\",\"api_base_url\":\"%s\"}"

static void telegram_thread_keyboard_and_edit(void **state)
{
    (void)state;
    chat_fake_do(&fake, "reset", json_object());
    void *t = instance_of(&channel_telegram, TG_SETTINGS);
    struct channel_outcome out;
    struct channel_message m = message(CHANNEL_MSG_INCIDENT, "[high] db <outage> & co", NULL, NULL);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_telegram.send(t, &m, &out), ADAPTER_OK);
    char thread[128];
    snprintf(thread, sizeof thread, "%s", out.thread_ref);
    assert_true(strncmp(thread, "-1001234567890/", 15) == 0);

    m = message(CHANNEL_MSG_APPROVAL_REQUEST, "Approve rollout_restart?", thread, NULL);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_telegram.send(t, &m, &out), ADAPTER_OK);
    char request_msg[128];
    snprintf(request_msg, sizeof request_msg, "%s", out.message_ref);

    json_t *sends = chat_fake_requests(&fake, "telegram", "sendMessage");
    assert_int_equal(json_array_size(sends), 2);
    json_t *b0 = json_object_get(json_array_get(sends, 0), "body");
    json_t *b1 = json_object_get(json_array_get(sends, 1), "body");
    assert_int_equal(json_integer_value(json_object_get(b0, "chat_id")), -1001234567890LL);
    assert_string_equal(json_string_value(json_object_get(b0, "parse_mode")), "HTML");
    assert_non_null(strstr(json_string_value(json_object_get(b0, "text")),
                           "db &lt;outage&gt; &amp; co"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(b1, "reply_parameters"),
                                                        "message_id")),
                     atoll(strchr(thread, '/') + 1));
    json_t *row = json_array_get(
        json_object_get(json_object_get(b1, "reply_markup"), "inline_keyboard"), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 0), "callback_data")),
                        "approve:7");
    assert_string_equal(json_string_value(json_object_get(json_array_get(row, 1), "callback_data")),
                        "reject:7");
    json_decref(sends);

    m = message(CHANNEL_MSG_APPROVAL_RESULT, "Rejected by alice", thread, request_msg);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_telegram.send(t, &m, &out), ADAPTER_OK);
    /* the same edit again: "message is not modified" counts as done */
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_telegram.send(t, &m, &out), ADAPTER_OK);
    json_t *edits = chat_fake_requests(&fake, "telegram", "editMessageText");
    assert_int_equal(json_array_size(edits), 2);
    json_t *e = json_object_get(json_array_get(edits, 0), "body");
    assert_int_equal(json_integer_value(json_object_get(e, "message_id")),
                     atoll(strchr(request_msg, '/') + 1));
    assert_null(json_object_get(e, "reply_markup")); /* the keyboard goes */
    json_decref(edits);

    /* 429 with parameters.retry_after */
    chat_fake_do(&fake, "fail",
                      json_pack("{s:s, s:s, s:i, s:i, s:i}", "api", "telegram", "method",
                                "sendMessage", "status", 429, "retry_after", 5, "count", 1));
    m = message(CHANNEL_MSG_INCIDENT, "again", NULL, NULL);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_telegram.send(t, &m, &out), ADAPTER_RETRY);
    assert_int_equal(out.retry_after_ms, 5000);
    assert_null(strstr(out.error, FAKE_TG_TOKEN));
    chat_fake_no_violations(&fake);
    channel_telegram.destroy(t);
}

static void teams_card_and_outage(void **state)
{
    (void)state;
    chat_fake_do(&fake, "reset", json_object());
    void *t = instance_of(&channel_teams,
                          "{\"webhook_url\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TEAMS_HOOK\"}}}");
    struct channel_outcome out;
    struct channel_message m = message(CHANNEL_MSG_APPROVAL_REQUEST, "Approve?", NULL, NULL);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_teams.send(t, &m, &out), ADAPTER_OK);
    assert_int_equal(chat_fake_count(&fake, "teams", NULL), 1);
    chat_fake_no_violations(&fake);

    /* every provider, with the fake taken away: a retry, never an error */
    void *s = instance_of(&channel_slack, SLACK_SETTINGS);
    void *g = instance_of(&channel_telegram, TG_SETTINGS);
    unsigned port = fake.port;
    chat_fake_stop(&fake);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_teams.send(t, &m, &out), ADAPTER_RETRY);
    assert_null(strstr(out.error, "s3cr3t"));
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_RETRY);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_telegram.send(g, &m, &out), ADAPTER_RETRY);
    assert_null(strstr(out.error, FAKE_TG_TOKEN));
    /* back on the same port: delivered */
    chat_fake_start(&fake, port);
    memset(&out, 0, sizeof out);
    assert_int_equal(channel_slack.send(s, &m, &out), ADAPTER_OK);
    channel_teams.destroy(t);
    channel_slack.destroy(s);
    channel_telegram.destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slack_thread_buttons_and_edit),
        cmocka_unit_test(slack_throttling_and_failures),
        cmocka_unit_test(telegram_thread_keyboard_and_edit),
        cmocka_unit_test(teams_card_and_outage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
