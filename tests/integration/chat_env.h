/* A daemon wired to the fake chat providers for the chat tests (test_chat.c,
 * test_chat_delivery.c): channels ops-slack, ops-tg (webhook) and
 * ops-tg-poll (long polling) pointing at the fake(s), with mapped operators;
 * helpers that press buttons the way the providers do and read the ledger.
 * Header-only (static functions). */
#ifndef SREBOT_TESTS_CHAT_ENV_H
#define SREBOT_TESTS_CHAT_ENV_H

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
    struct chat_fake fake;    /* Slack (and Telegram unless tg_fake is its own) */
    struct chat_fake tg_own;  /* Telegram on its own port (chat_start with separate_tg) */
    struct chat_fake *tg;     /* the fake the Telegram channels talk to */
    const char *env[9];
    char slack_url[160], slack_cmd_url[160], tg_url[160];
    void (*edit)(json_t *doc, void *ud); /* the test's own policy edit (routing), or NULL */
    void *edit_ud;
};

static inline void add_chat_channels(json_t *doc, void *ud)
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
             c->tg->ctl.base_url, TG_ALICE);
    json_array_append_new(chans, json_loads(text, 0, NULL));
    snprintf(text, sizeof text,
             "{\"id\":\"ops-tg-poll\",\"provider\":\"telegram\",\"enabled\":true,\"settings\":{"
             "\"bot_token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG_TOKEN\"}},"
             "\"chat_id\":\"-1001\",\"updates\":\"poll\",\"poll_timeout_seconds\":2,"
             "\"api_base_url\":\"%s\"},"
             "\"operators\":[{\"user_id\":\"%d\",\"operator\":\"alice\",\"role\":\"operator\"}]}",
             c->tg->ctl.base_url, TG_ALICE);
    json_array_append_new(chans, json_loads(text, 0, NULL));
    if (c->edit)
        c->edit(doc, c->edit_ud);
}

/* separate_tg: Telegram gets a fake of its own (so Slack can be taken away
 * alone); edit: a further policy change (routing), may be NULL. */
static inline void chat_start_with(struct chat_env *c, int separate_tg,
                            void (*edit)(json_t *doc, void *ud), void *ud)
{
    memset(c, 0, sizeof *c);
    c->edit = edit;
    c->edit_ud = ud;
    chat_fake_start(&c->fake, 0);
    c->tg = &c->fake;
    if (separate_tg) {
        chat_fake_start(&c->tg_own, 0);
        c->tg = &c->tg_own;
    }
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
    c->env[6] = "IF_SRE_CHANNEL_RETRY_BASE_MS=200"; /* failover after ~1.5 s, not ~14 s */
    c->env[7] = NULL;
    assert_int_equal(it_start(&e->d, c->env, NULL), 0);
    edit_policy(&e->d, add_chat_channels, c);
    snprintf(c->slack_url, sizeof c->slack_url,
             "%s/api/v1/channels/ops-slack/slack/interactions", e->d.base_url);
    snprintf(c->slack_cmd_url, sizeof c->slack_cmd_url,
             "%s/api/v1/channels/ops-slack/slack/commands", e->d.base_url);
    snprintf(c->tg_url, sizeof c->tg_url, "%s/api/v1/channels/ops-tg/telegram/updates",
             e->d.base_url);
}

static inline void chat_start(struct chat_env *c, void (*edit)(json_t *doc, void *ud), void *ud)
{
    chat_start_with(c, 0, edit, ud);
}

static inline void chat_stop(struct chat_env *c)
{
    assert_int_equal(it_stop(&c->e.d), 0);
    const char *audit[] = {"audit", "verify", NULL};
    char out[1024];
    assert_int_equal(it_run_cli(&c->e.d, NULL, audit, out, sizeof out), 0);
    it_cleanup(&c->e.d);
    chat_fake_no_violations(&c->fake);
    chat_fake_cleanup(&c->fake);
    if (c->tg == &c->tg_own) {
        chat_fake_no_violations(&c->tg_own);
        chat_fake_cleanup(&c->tg_own);
    }
}

/* The fake presses a Slack button; returns srebot's HTTP status, *answer its body. */
static inline long slack_press(struct chat_env *c, const char *user, const char *action, int64_t value,
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
static inline int64_t new_approval(struct chat_env *c, const char *key, int64_t *incident)
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

static inline const char *approval_state(struct chat_env *c, int64_t req, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/approvals/%lld", (long long)req);
    json_t *j = get_json(&c->e.d, path);
    snprintf(buf, len, "%s", json_string_value(json_object_get(j, "state")) ?: "?");
    json_decref(j);
    return buf;
}

/* One integer from the daemon's SQLite file (read-only, next to the running
 * daemon): SELECT ... with one text parameter (may be NULL). -1 on no row. */
static inline int db_int(struct chat_env *c, const char *sql, const char *param)
{
    char path[320];
    snprintf(path, sizeof path, "%s/srebot.db", c->e.d.data_dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (param)
        sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Audit records with this action. */
static inline int audit_count(struct chat_env *c, const char *action)
{
    return db_int(c, "SELECT count(*) FROM audit_log WHERE action = ?", action);
}

/* The last ephemeral message the fake Slack received (its text, copied). */
static inline void last_ephemeral(struct chat_env *c, char *out, size_t len)
{
    json_t *eph = chat_fake_requests(&c->fake, "slack", "chat.postEphemeral");
    json_t *b = json_object_get(json_array_get(eph, json_array_size(eph) - 1), "body");
    snprintf(out, len, "%s", json_string_value(json_object_get(b, "text")) ?: "");
    json_decref(eph);
}

/* The fake Telegram delivers a button press to the webhook (message 77 unless
 * tg_press_on names one); srebot's HTTP status. */
static inline long tg_press_on(struct chat_env *c, const char *secret, int from, const char *data,
                               int times, long long message_id)
{
    json_t *rq = json_pack("{s:s, s:i, s:s, s:i, s:I, s:i}", "url", c->tg_url, "from_id", from,
                           "data", data, "chat_id", -1001, "message_id", message_id, "times",
                           times);
    if (secret)
        json_object_set_new(rq, "secret_token", json_string(secret));
    json_t *r = chat_fake_control(c->tg, "telegram/callback", rq);
    long st = (long)json_integer_value(json_object_get(r, "status"));
    json_decref(r);
    return st;
}

static inline long tg_press(struct chat_env *c, const char *secret, int from, const char *data,
                            int times)
{
    return tg_press_on(c, secret, from, data, times, 77);
}

#endif
