/* Approvals from chat against the real daemon: the fake Slack and Telegram
 * (tests/fakes/fake_chat.py) send callbacks exactly as the providers do —
 * signed with Slack's v0 algorithm, with Telegram's secret-token header, or
 * queued for getUpdates long polling — and the test checks what happened in
 * the ledger and what srebot told the user. A mapped operator's approval runs
 * the action (once, a replay changes nothing); a forged signature, a stale
 * timestamp, an unsigned request and an unmapped user are refused with
 * nothing executed (the unmapped one audited); the slash command lists and
 * acknowledges. */
#include "chat_env.h"

static void slack_signed_callbacks(void **state)
{
    (void)state;
    struct chat_env c;
    chat_start(&c, NULL, NULL);
    int64_t inc;
    int64_t req = new_approval(&c, "db", &inc);
    char st[32], text[512];
    json_t *answer = NULL;

    /* refused, each with nothing decided and nothing run */
    assert_int_equal(slack_press(&c, U_ALICE, "approve", req, "forge", json_true(), NULL), 401);
    assert_int_equal(slack_press(&c, U_ALICE, "approve", req, "timestamp",
                                 json_integer(time(NULL) - 400), NULL),
                     401);
    assert_int_equal(slack_press(&c, U_ALICE, "approve", req, "timestamp",
                                 json_integer(time(NULL) + 400), NULL),
                     401);
    assert_int_equal(slack_press(&c, U_ALICE, "approve", req, "unsigned", json_true(), NULL), 401);
    assert_int_equal(audit_count(&c, "chat.refused"), 0);
    assert_int_equal(chat_fake_count(&c.fake, "slack", "chat.postEphemeral"), 0);

    /* an unmapped user: a polite refusal in the chat and an audit record */
    assert_int_equal(slack_press(&c, U_NOBODY, "approve", req, NULL, NULL, &answer), 200);
    assert_true(json_is_false(json_object_get(answer, "mapped")));
    json_decref(answer);
    last_ephemeral(&c, text, sizeof text);
    assert_non_null(strstr(text, "not linked to an srebot operator"));
    assert_int_equal(audit_count(&c, "chat.refused"), 1);
    /* a mapped viewer: the approval service refuses the role */
    assert_int_equal(slack_press(&c, U_VERA, "approve", req, NULL, NULL, NULL), 200);
    last_ephemeral(&c, text, sizeof text);
    assert_non_null(strstr(text, "vera may not decide"));

    remed_sleep_ms(1000);
    assert_string_equal(approval_state(&c, req, st, sizeof st), "pending");
    assert_true(attempt_in_state(&c.e.d, inc, "rollout_restart", "awaiting_approval"));
    assert_int_equal(runner_lines(&c.e, "executions"), 0);

    /* the mapped operator approves; the same signed request sent twice is a replay */
    assert_int_equal(slack_press(&c, U_ALICE, "approve", req, "times", json_integer(2), NULL),
                     401);
    assert_string_equal(approval_state(&c, req, st, sizeof st), "approved");
    last_ephemeral(&c, text, sizeof text);
    assert_non_null(strstr(text, "approved by alice"));
    assert_true(WAIT_FOR(20, attempt_in_state(&c.e.d, inc, "rollout_restart", "succeeded")));
    char path[64];
    snprintf(path, sizeof path, "/api/v1/approvals/%lld", (long long)req);
    json_t *view = get_json(&c.e.d, path);
    json_t *vote = json_array_get(json_object_get(view, "votes"), 0);
    assert_int_equal(json_array_size(json_object_get(view, "votes")), 1);
    assert_string_equal(json_string_value(json_object_get(vote, "by")), "alice");
    assert_string_equal(json_string_value(json_object_get(vote, "channel")), "slack");
    json_decref(view);
    /* a later press on the decided request changes nothing */
    assert_int_equal(slack_press(&c, U_ALICE, "reject", req, NULL, NULL, NULL), 200);
    assert_string_equal(approval_state(&c, req, st, sizeof st), "approved");
    remed_sleep_ms(500);
    assert_int_equal(runner_lines(&c.e, "executions"), 1);
    chat_stop(&c);
}

static void slack_slash_command(void **state)
{
    (void)state;
    struct chat_env c;
    chat_start(&c, NULL, NULL);
    int64_t inc = post_finding(&c.e.d, "infrastructure.node_cpu_saturation", "node-a", "firing",
                               "{\"node\":\"node-a\"}");
    char text[64], st[32];
    snprintf(text, sizeof text, "ack %lld", (long long)inc);
    struct {
        const char *user, *text, *expect;
    } cases[] = {
        {U_ALICE, "incidents", "node-a"},
        {U_NOBODY, text, "not linked to an srebot operator"},
        {U_VERA, text, "acknowledging needs operator"},
        {U_ALICE, "hello", "Usage: /srebot incidents"},
        {U_ALICE, text, "acknowledged by alice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *r = chat_fake_control(
            &c.fake, "slack/command",
            json_pack("{s:s, s:s, s:s, s:s}", "url", c.slack_cmd_url, "signing_secret", SIGNING,
                      "user_id", cases[i].user, "text", cases[i].text));
        assert_int_equal(json_integer_value(json_object_get(r, "status")), 200);
        json_t *body = json_loads(json_string_value(json_object_get(r, "body")), 0, NULL);
        assert_string_equal(json_string_value(json_object_get(body, "response_type")),
                            "ephemeral");
        if (!strstr(json_string_value(json_object_get(body, "text")), cases[i].expect))
            fail_msg("/srebot %s as %s: %s", cases[i].text, cases[i].user,
                     json_string_value(json_object_get(body, "text")));
        json_decref(body);
        json_decref(r);
        if (i == 2)
            assert_string_not_equal(incident_state_of(&c.e.d, inc, st, sizeof st), "triaged");
    }
    assert_string_equal(incident_state_of(&c.e.d, inc, st, sizeof st), "triaged");
    /* forged: 401 and no acknowledgement */
    json_t *r = chat_fake_control(
        &c.fake, "slack/command",
        json_pack("{s:s, s:s, s:s, s:s, s:b}", "url", c.slack_cmd_url, "signing_secret", SIGNING,
                  "user_id", U_ALICE, "text", "incidents", "forge", 1));
    assert_int_equal(json_integer_value(json_object_get(r, "status")), 401);
    json_decref(r);
    chat_stop(&c);
}

static void telegram_webhook_and_polling(void **state)
{
    (void)state;
    struct chat_env c;
    chat_start(&c, NULL, NULL);
    int64_t inc;
    int64_t req = new_approval(&c, "db", &inc);
    char data[64], st[32];
    snprintf(data, sizeof data, "approve:%lld", (long long)req);

    /* no secret token, a wrong one: 401, nothing answered or decided */
    assert_int_equal(tg_press(&c, NULL, TG_ALICE, data, 1), 401);
    assert_int_equal(tg_press(&c, TG_HOOK "x", TG_ALICE, data, 1), 401);
    assert_int_equal(chat_fake_count(&c.fake, "telegram", "answerCallbackQuery"), 0);
    /* an unmapped user: an alert in the chat, an audit record */
    assert_int_equal(tg_press(&c, TG_HOOK, TG_NOBODY, data, 1), 200);
    json_t *answers = chat_fake_requests(&c.fake, "telegram", "answerCallbackQuery");
    json_t *a0 = json_object_get(json_array_get(answers, 0), "body");
    assert_true(json_is_true(json_object_get(a0, "show_alert")));
    assert_non_null(strstr(json_string_value(json_object_get(a0, "text")), "not linked"));
    json_decref(answers);
    assert_int_equal(audit_count(&c, "chat.refused"), 1);
    remed_sleep_ms(500);
    assert_string_equal(approval_state(&c, req, st, sizeof st), "pending");
    assert_int_equal(runner_lines(&c.e, "executions"), 0);

    /* the mapped operator, the same update delivered twice: acted on once */
    assert_int_equal(tg_press(&c, TG_HOOK, TG_ALICE, data, 2), 200);
    assert_string_equal(approval_state(&c, req, st, sizeof st), "approved");
    assert_true(WAIT_FOR(20, attempt_in_state(&c.e.d, inc, "rollout_restart", "succeeded")));
    assert_int_equal(chat_fake_count(&c.fake, "telegram", "answerCallbackQuery"), 2);

    /* long polling (ops-tg-poll): a rejection queued for getUpdates */
    int64_t inc2;
    int64_t req2 = new_approval(&c, "cache", &inc2);
    snprintf(data, sizeof data, "reject:%lld", (long long)req2);
    json_decref(chat_fake_control(&c.fake, "telegram/callback",
                                  json_pack("{s:i, s:s, s:i, s:i}", "from_id", TG_ALICE, "data",
                                            data, "chat_id", -1001, "message_id", 78)));
    assert_true(WAIT_FOR(20, strcmp(approval_state(&c, req2, st, sizeof st), "rejected") == 0));
    assert_true(WAIT_FOR(10, attempt_in_state(&c.e.d, inc2, "rollout_restart", "rejected")));
    /* the offset moved past it: getUpdates asks for the next update id */
    json_t *polls = chat_fake_requests(&c.fake, "telegram", "getUpdates");
    assert_true(json_array_size(polls) >= 1);
    assert_true(WAIT_FOR(10, ({
                             json_decref(polls);
                             polls = chat_fake_requests(&c.fake, "telegram", "getUpdates");
                             json_integer_value(json_object_get(
                                 json_object_get(json_array_get(polls, json_array_size(polls) - 1),
                                                 "body"),
                                 "offset")) > 1000;
                         })));
    json_decref(polls);
    remed_sleep_ms(500);
    assert_int_equal(runner_lines(&c.e, "executions"), 1);
    chat_stop(&c);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slack_signed_callbacks),
        cmocka_unit_test(slack_slash_command),
        cmocka_unit_test(telegram_webhook_and_polling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
