/* Approvals from chat against the real daemon: the fake Slack and Telegram
 * (tests/fakes/fake_chat.py) send callbacks exactly as the providers do —
 * signed with Slack's v0 algorithm, with Telegram's secret-token header, or
 * queued for getUpdates long polling — and the test checks what happened in
 * the ledger and what srebot told the user. A mapped operator's approval runs
 * the action (once, a replay changes nothing); a forged signature, a stale
 * timestamp, an unsigned request and an unmapped user are refused with
 * nothing executed (the unmapped one audited); the slash command lists and
 * acknowledges. */
#include <sqlite3.h>

#include "chat_fake.h"
#include "remed_helpers.h"

#define SIGNING "slack-signing-secret-0123456789"
#define TG_HOOK "tg_webhook_secret-42"
#define U_ALICE "U0ALICE01"
#define U_VERA "U0VERA001"   /* mapped, but a viewer */
#define U_NOBODY "U0NOBODY1" /* not mapped */
#define TG_ALICE 5551234
#define TG_NOBODY 7777777

struct chat_env {
    struct remed_env e;
    struct chat_fake fake;
    const char *env[8];
    char slack_url[160], slack_cmd_url[160], tg_url[160];
};

static void add_chat_channels(json_t *doc, void *ud)
{
    struct chat_env *c = ud;
    char text[2048];
    json_t *chans = json_object_get(doc, "channels");
    snprintf(text, sizeof text,
             "{\"id\":\"ops-slack\",\"provider\":\"slack\",\"enabled\":true,\"settings\":{"
             "\"token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_SLACK_TOKEN\"}},"
             "\"channel\":\"C0FAKE0001\",\"signing_secret\":{\"secret_ref\":{\"env\":"
             "\"IF_SRE_SECRET_SLACK_SIGNING\"}},\"api_base_url\":\"%s/api\"},"
             "\"operators\":[{\"user_id\":\"" U_ALICE "\",\"operator\":\"alice\",\"role\":"
             "\"operator\"},{\"user_id\":\"" U_VERA "\",\"operator\":\"vera\",\"role\":\"viewer\"}]}",
             c->fake.ctl.base_url);
    json_array_append_new(chans, json_loads(text, 0, NULL));
    snprintf(text, sizeof text,
             "{\"id\":\"ops-tg\",\"provider\":\"telegram\",\"enabled\":true,\"settings\":{"
             "\"bot_token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG_TOKEN\"}},"
             "\"chat_id\":\"-1001\",\"webhook_secret\":{\"secret_ref\":{\"env\":"
             "\"IF_SRE_SECRET_TG_HOOK\"}},\"api_base_url\":\"%s\"},"
             "\"operators\":[{\"user_id\":\"%d\",\"operator\":\"alice\",\"role\":\"operator\"}]}",
             c->fake.ctl.base_url, TG_ALICE);
    json_array_append_new(chans, json_loads(text, 0, NULL));
    snprintf(text, sizeof text,
             "{\"id\":\"ops-tg-poll\",\"provider\":\"telegram\",\"enabled\":true,\"settings\":{"
             "\"bot_token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG_TOKEN\"}},"
             "\"chat_id\":\"-1001\",\"updates\":\"poll\",\"poll_timeout_seconds\":2,"
             "\"api_base_url\":\"%s\"},"
             "\"operators\":[{\"user_id\":\"%d\",\"operator\":\"alice\",\"role\":\"operator\"}]}",
             c->fake.ctl.base_url, TG_ALICE);
    json_array_append_new(chans, json_loads(text, 0, NULL));
}

static void chat_start(struct chat_env *c)
{
    memset(c, 0, sizeof *c);
    chat_fake_start(&c->fake, 0);
    const char *it_bin = getenv("SREBOT_IT_BIN");
    assert_non_null(it_bin);
    setenv("SREBOT_BIN", it_bin, 1);
    struct remed_env *e = &c->e;
    snprintf(e->runner_dir, sizeof e->runner_dir, "/tmp/srebot-it-runner-XXXXXX");
    assert_int_equal(it_mkdtemp(e->runner_dir), 0);
    snprintf(e->runner_env, sizeof e->runner_env, "SREBOT_IT_RUNNER_DIR=%s", e->runner_dir);
    c->env[0] = e->runner_env;
    c->env[1] = "IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true";
    c->env[2] = "IF_SRE_SECRET_SLACK_TOKEN=" FAKE_SLACK_TOKEN;
    c->env[3] = "IF_SRE_SECRET_SLACK_SIGNING=" SIGNING;
    c->env[4] = "IF_SRE_SECRET_TG_TOKEN=" FAKE_TG_TOKEN;
    c->env[5] = "IF_SRE_SECRET_TG_HOOK=" TG_HOOK;
    c->env[6] = NULL;
    assert_int_equal(it_start(&e->d, c->env, NULL), 0);
    edit_policy(&e->d, add_chat_channels, c);
    snprintf(c->slack_url, sizeof c->slack_url,
             "%s/api/v1/channels/ops-slack/slack/interactions", e->d.base_url);
    snprintf(c->slack_cmd_url, sizeof c->slack_cmd_url,
             "%s/api/v1/channels/ops-slack/slack/commands", e->d.base_url);
    snprintf(c->tg_url, sizeof c->tg_url, "%s/api/v1/channels/ops-tg/telegram/updates",
             e->d.base_url);
}

static void chat_stop(struct chat_env *c)
{
    assert_int_equal(it_stop(&c->e.d), 0);
    const char *audit[] = {"audit", "verify", NULL};
    char out[1024];
    assert_int_equal(it_run_cli(&c->e.d, NULL, audit, out, sizeof out), 0);
    it_cleanup(&c->e.d);
    chat_fake_no_violations(&c->fake);
    chat_fake_cleanup(&c->fake);
}

/* The fake presses a Slack button; returns srebot's HTTP status, *answer its body. */
static long slack_press(struct chat_env *c, const char *user, const char *action, int64_t value,
                        const char *extra_key, json_t *extra_value, json_t **answer)
{
    json_t *rq = json_pack("{s:s, s:s, s:s, s:s, s:I}", "url", c->slack_url, "signing_secret",
                           SIGNING, "user_id", user, "action", action, "value",
                           (json_int_t)value);
    if (extra_key)
        json_object_set_new(rq, extra_key, extra_value);
    json_t *r = chat_fake_control(&c->fake, "slack/interaction", rq);
    long st = (long)json_integer_value(json_object_get(r, "status"));
    if (answer)
        *answer = json_loads(json_string_value(json_object_get(r, "body")), 0, NULL);
    json_decref(r);
    return st;
}

/* An incident whose playbook asks to restart workload shop/<key> (a workload
 * of its own: a restart of the same target is in cooldown for 10 minutes). */
static int64_t new_approval(struct chat_env *c, const char *key, int64_t *incident)
{
    char attrs[160];
    snprintf(attrs, sizeof attrs,
             "{\"namespace\":\"shop\",\"workload_kind\":\"Deployment\",\"workload\":\"%s\"}",
             key);
    int64_t inc = post_finding(&c->e.d, OUTAGE_CLASS, key, "firing", attrs);
    int64_t req = 0;
    assert_true(inc > 0);
    assert_true(WAIT_FOR(20, (req = pending_approval(&c->e.d, inc)) > 0));
    *incident = inc;
    return req;
}

static const char *approval_state(struct chat_env *c, int64_t req, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/approvals/%lld", (long long)req);
    json_t *j = get_json(&c->e.d, path);
    snprintf(buf, len, "%s", json_string_value(json_object_get(j, "state")) ?: "?");
    json_decref(j);
    return buf;
}

/* Audit records with this action (read from the daemon's SQLite file). */
static int audit_count(struct chat_env *c, const char *action)
{
    char path[320];
    snprintf(path, sizeof path, "%s/srebot.db", c->e.d.data_dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit_log WHERE action = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The last ephemeral message the fake Slack received (its text, copied). */
static void last_ephemeral(struct chat_env *c, char *out, size_t len)
{
    json_t *eph = chat_fake_requests(&c->fake, "slack", "chat.postEphemeral");
    json_t *b = json_object_get(json_array_get(eph, json_array_size(eph) - 1), "body");
    snprintf(out, len, "%s", json_string_value(json_object_get(b, "text")) ?: "");
    json_decref(eph);
}

static void slack_signed_callbacks(void **state)
{
    (void)state;
    struct chat_env c;
    chat_start(&c);
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
    chat_start(&c);
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

static long tg_press(struct chat_env *c, const char *secret, int from, const char *data,
                     int times)
{
    json_t *rq = json_pack("{s:s, s:i, s:s, s:i, s:i, s:i}", "url", c->tg_url, "from_id", from,
                           "data", data, "chat_id", -1001, "message_id", 77, "times", times);
    if (secret)
        json_object_set_new(rq, "secret_token", json_string(secret));
    json_t *r = chat_fake_control(&c->fake, "telegram/callback", rq);
    long st = (long)json_integer_value(json_object_get(r, "status"));
    json_decref(r);
    return st;
}

static void telegram_webhook_and_polling(void **state)
{
    (void)state;
    struct chat_env c;
    chat_start(&c);
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
