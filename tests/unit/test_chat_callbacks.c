/* The chat providers' pure parts: Slack's v0 signing (with the example from
 * Slack's documentation as the vector), the form and payload parsers of
 * interactions and slash commands, Telegram updates and the secret-token
 * compare, and the shapes srebot sends (Block Kit buttons, the Telegram
 * keyboard's callback data, the Teams Adaptive Card). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "channels/slack.h"
#include "channels/teams.h"
#include "channels/telegram.h"
#include "core/finding.h"

/* Slack's documented example ("Verifying requests from Slack"). */
static const char vec_secret[] = "8f742231b10e8888abcd99yyyzzz85a5";
static const char vec_ts[] = "1531420618";
static const char vec_body[] =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977008"
    "85554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c4"
    "47fce8b6703c";
static const char vec_sig[] = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

static void slack_signing_vector(void **state)
{
    (void)state;
    char sig[SLACK_SIGNATURE_LEN + 1];
    slack_signature(vec_secret, vec_ts, vec_body, strlen(vec_body), sig);
    assert_string_equal(sig, vec_sig);
    int64_t now = 1531420618;
    assert_int_equal(slack_signature_check(vec_secret, vec_ts, vec_sig, vec_body,
                                           strlen(vec_body), now),
                     SLACK_SIG_OK);
    /* the window: 300 s either side holds, 301 does not */
    assert_int_equal(slack_signature_check(vec_secret, vec_ts, vec_sig, vec_body,
                                           strlen(vec_body), now + 300),
                     SLACK_SIG_OK);
    assert_int_equal(slack_signature_check(vec_secret, vec_ts, vec_sig, vec_body,
                                           strlen(vec_body), now + 301),
                     SLACK_SIG_STALE);
    assert_int_equal(slack_signature_check(vec_secret, vec_ts, vec_sig, vec_body,
                                           strlen(vec_body), now - 301),
                     SLACK_SIG_STALE);
    /* one changed hex digit, one changed body byte, another secret */
    char forged[sizeof vec_sig];
    memcpy(forged, vec_sig, sizeof vec_sig);
    forged[10] = forged[10] == 'a' ? 'b' : 'a';
    assert_int_equal(slack_signature_check(vec_secret, vec_ts, forged, vec_body,
                                           strlen(vec_body), now),
                     SLACK_SIG_BAD);
    char body[sizeof vec_body];
    memcpy(body, vec_body, sizeof vec_body);
    body[strlen(body) - 1] = 'd';
    assert_int_equal(slack_signature_check(vec_secret, vec_ts, vec_sig, body, strlen(body), now),
                     SLACK_SIG_BAD);
    assert_int_equal(slack_signature_check("another", vec_ts, vec_sig, vec_body,
                                           strlen(vec_body), now),
                     SLACK_SIG_BAD);
    /* malformed or missing headers */
    assert_int_equal(slack_signature_check(vec_secret, NULL, vec_sig, vec_body, 4, now),
                     SLACK_SIG_MISSING);
    assert_int_equal(slack_signature_check(vec_secret, vec_ts, NULL, vec_body, 4, now),
                     SLACK_SIG_MISSING);
    assert_int_equal(slack_signature_check(vec_secret, "15x", vec_sig, vec_body, 4, now),
                     SLACK_SIG_MISSING);
    assert_int_equal(slack_signature_check(vec_secret, vec_ts, "v1=abc", vec_body, 4, now),
                     SLACK_SIG_MISSING);
    assert_int_equal(slack_signature_check(vec_secret, vec_ts, vec_sig + 1, vec_body, 4, now),
                     SLACK_SIG_MISSING);
    assert_int_equal(slack_signature_check("", vec_ts, vec_sig, vec_body, 4, now),
                     SLACK_SIG_MISSING);
}

static void form_fields(void **state)
{
    (void)state;
    char out[64];
    const char *b = "a=1&text=ack+42&x=%2Fsrebot%20y&empty=&flag";
    size_t n = strlen(b);
    assert_int_equal(slack_form_field(b, n, "text", out, sizeof out), 0);
    assert_string_equal(out, "ack 42");
    assert_int_equal(slack_form_field(b, n, "x", out, sizeof out), 0);
    assert_string_equal(out, "/srebot y");
    assert_int_equal(slack_form_field(b, n, "empty", out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(slack_form_field(b, n, "flag", out, sizeof out), 0);
    assert_int_equal(slack_form_field(b, n, "t", out, sizeof out), -1);
    assert_int_equal(slack_form_field(b, n, "missing", out, sizeof out), -1);
    assert_int_equal(slack_form_field("a=%2", 4, "a", out, sizeof out), -2);
    assert_int_equal(slack_form_field("a=%zz", 5, "a", out, sizeof out), -2);
    assert_int_equal(slack_form_field("a=%00", 5, "a", out, sizeof out), -2);
    assert_int_equal(slack_form_field("a=123456", 8, "a", out, 4), -2);
    /* the field ends at the length given, not at a NUL */
    assert_int_equal(slack_form_field("a=12&b=3", 4, "a", out, sizeof out), 0);
    assert_string_equal(out, "12");
    assert_int_equal(slack_form_field("a=12&b=3", 4, "b", out, sizeof out), -1);
}

/* A block_actions payload as Slack sends it, form-encoded. */
static char *interaction(const char *json)
{
    size_t n = strlen(json);
    char *out = malloc(8 + 3 * n + 1);
    strcpy(out, "payload=");
    char *o = out + 8;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)json[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-_.~", c))
            *o++ = (char)c;
        else if (c == ' ')
            *o++ = '+';
        else
            o += sprintf(o, "%%%02X", c);
    }
    *o = '\0';
    return out;
}

#define BLOCK_ACTIONS(action_id, value)                                                          \
    "{\"type\":\"block_actions\",\"user\":{\"id\":\"U123\",\"username\":\"alice\","           \
    "\"name\":\"alice\",\"team_id\":\"T1\"},\"team\":{\"id\":\"T1\",\"domain\":\"ex\"},"      \
    "\"api_app_id\":\"A1\",\"trigger_id\":\"1.2.3\",\"container\":{\"type\":\"message\","     \
    "\"message_ts\":\"1714412345.001200\",\"channel_id\":\"C0123\",\"is_ephemeral\":false},"  \
    "\"channel\":{\"id\":\"C0123\",\"name\":\"ops\"},\"message\":{\"type\":\"message\","      \
    "\"ts\":\"1714412345.001200\",\"text\":\"x\"},\"response_url\":\"https://hooks.slack."    \
    "com/actions/T1/1/x\",\"actions\":[{\"type\":\"button\",\"action_id\":\"" action_id      \
    "\",\"block_id\":\"approval-42\",\"value\":\"" value "\",\"text\":{\"type\":"             \
    "\"plain_text\",\"text\":\"Approve\"},\"action_ts\":\"1714412350.1\"}],\"state\":{}}"

static int parse_i(const char *json, struct chat_callback *cb, struct problems *p)
{
    char *body = interaction(json);
    problems_init(p);
    int rc = slack_parse_interaction(body, strlen(body), cb, p);
    free(body);
    return rc;
}

static void expect_problem(const struct problems *p, const char *path, const char *code)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->items[i].path, path) == 0 && strcmp(p->items[i].code, code) == 0)
            return;
    fail_msg("no %s problem at %s (first: %s %s %s)", code, path,
             p->count ? p->items[0].path : "-", p->count ? p->items[0].code : "-",
             p->count ? p->items[0].message : "-");
}

static void slack_interactions(void **state)
{
    (void)state;
    struct problems *p = problems_create();
    struct chat_callback cb;
    assert_int_equal(parse_i(BLOCK_ACTIONS("approve", "42"), &cb, p), 0);
    assert_int_equal(cb.verb, CHAT_VERB_APPROVE);
    assert_int_equal(cb.target, 42);
    assert_string_equal(cb.user_id, "U123");
    assert_string_equal(cb.user_name, "alice");
    assert_string_equal(cb.conversation, "C0123");
    assert_string_equal(cb.message_ref, "C0123/1714412345.001200");
    assert_int_equal(parse_i(BLOCK_ACTIONS("reject", "7"), &cb, p), 0);
    assert_int_equal(cb.verb, CHAT_VERB_REJECT);
    assert_int_equal(cb.target, 7);

    assert_int_equal(parse_i(BLOCK_ACTIONS("delete_everything", "7"), &cb, p), -1);
    expect_problem(p, "/actions/0/action_id", "enum");
    assert_int_equal(parse_i(BLOCK_ACTIONS("approve", "7; drop"), &cb, p), -1);
    expect_problem(p, "/actions/0/value", "format");
    assert_int_equal(parse_i(BLOCK_ACTIONS("approve", "0"), &cb, p), -1);
    expect_problem(p, "/actions/0/value", "format");
    assert_int_equal(parse_i("{\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"},"
                             "\"actions\":[]}",
                             &cb, p),
                     -1);
    expect_problem(p, "/type", "enum");
    expect_problem(p, "/actions", "type");
    assert_int_equal(parse_i("{\"type\":\"block_actions\",\"user\":\"U1\"}", &cb, p), -1);
    expect_problem(p, "/user", "type");
    expect_problem(p, "/actions", "required");
    assert_int_equal(parse_i("[1,2", &cb, p), -1);
    expect_problem(p, "", "invalid_json");
    assert_int_equal(parse_i("{\"type\":\"block_actions\",\"type\":\"x\"}", &cb, p), -1);
    expect_problem(p, "", "invalid_json"); /* duplicate keys */

    problems_init(p);
    assert_int_equal(slack_parse_interaction("nothing=1", 9, &cb, p), -1);
    expect_problem(p, "", "required");
    problems_destroy(p);
}

static void slack_commands(void **state)
{
    (void)state;
    struct problems *p = problems_create();
    struct chat_callback cb;
    const char *b = "token=x&team_id=T1&channel_id=C1&user_id=U123&user_name=alice&command=%2F"
                    "srebot&text=ack+%2342&response_url=x";
    assert_int_equal(slack_parse_command(b, strlen(b), &cb, p), 0);
    assert_int_equal(cb.verb, CHAT_VERB_ACK);
    assert_int_equal(cb.target, 42);
    assert_string_equal(cb.user_id, "U123");
    assert_string_equal(cb.conversation, "C1");
    b = "channel_id=C1&user_id=U123&text=incidents";
    assert_int_equal(slack_parse_command(b, strlen(b), &cb, p), 0);
    assert_int_equal(cb.verb, CHAT_VERB_INCIDENTS);
    b = "channel_id=C1&user_id=U123&text=";
    assert_int_equal(slack_parse_command(b, strlen(b), &cb, p), 0);
    assert_int_equal(cb.verb, CHAT_VERB_HELP);
    b = "channel_id=C1&user_id=U123&text=ack+abc";
    assert_int_equal(slack_parse_command(b, strlen(b), &cb, p), -1);
    expect_problem(p, "/text", "format");
    problems_init(p);
    b = "channel_id=C1&text=incidents";
    assert_int_equal(slack_parse_command(b, strlen(b), &cb, p), -1);
    expect_problem(p, "/user_id", "required");
    problems_destroy(p);
}

#define CALLBACK_UPDATE(data)                                                                    \
    "{\"update_id\":918273,\"callback_query\":{\"id\":\"4382bfdwdsb323b2d9\",\"from\":{\"id\":"  \
    "5551234,\"is_bot\":false,\"first_name\":\"Ana\"},\"message\":{\"message_id\":77,\"chat\":" \
    "{\"id\":-1001234567890,\"type\":\"supergroup\"},\"date\":1714412345,\"text\":\"..\"},"     \
    "\"chat_instance\":\"-6458743210987\",\"data\":\"" data "\"}}"

static int parse_u(const char *json, struct chat_callback *cb, struct problems *p)
{
    problems_init(p);
    return telegram_parse_update(json, strlen(json), cb, p);
}

static void telegram_updates(void **state)
{
    (void)state;
    struct problems *p = problems_create();
    struct chat_callback cb;
    char data[80];
    telegram_callback_data(1, 42, data, sizeof data);
    assert_string_equal(data, "approve:42");
    assert_int_equal(parse_u(CALLBACK_UPDATE("approve:42"), &cb, p), 0);
    assert_int_equal(cb.verb, CHAT_VERB_APPROVE);
    assert_int_equal(cb.target, 42);
    assert_int_equal(cb.update_id, 918273);
    assert_string_equal(cb.user_id, "5551234");
    assert_string_equal(cb.user_name, "Ana");
    assert_string_equal(cb.query_id, "4382bfdwdsb323b2d9");
    assert_string_equal(cb.conversation, "-1001234567890");
    assert_string_equal(cb.message_ref, "-1001234567890/77");
    assert_int_equal(parse_u(CALLBACK_UPDATE("reject:9"), &cb, p), 0);
    assert_int_equal(cb.verb, CHAT_VERB_REJECT);

    /* another kind of update: nothing to do, not an error */
    assert_int_equal(parse_u("{\"update_id\":5,\"message\":{\"message_id\":1}}", &cb, p), 0);
    assert_int_equal(cb.verb, CHAT_VERB_NONE);
    assert_int_equal(cb.update_id, 5);

    assert_int_equal(parse_u(CALLBACK_UPDATE("ack:inc-42"), &cb, p), -1);
    expect_problem(p, "/callback_query/data", "format");
    assert_int_equal(parse_u(CALLBACK_UPDATE("approve:-1"), &cb, p), -1);
    expect_problem(p, "/callback_query/data", "format");
    assert_int_equal(parse_u("{\"update_id\":1,\"callback_query\":{\"id\":\"q\",\"from\":{\"id\":"
                             "\"5\"},\"data\":\"approve:1\"}}",
                             &cb, p),
                     -1);
    expect_problem(p, "/callback_query/from/id", "type");
    assert_int_equal(parse_u("{\"callback_query\":{}}", &cb, p), -1);
    expect_problem(p, "/update_id", "required");
    expect_problem(p, "/callback_query/id", "required");
    expect_problem(p, "/callback_query/from", "required");
    expect_problem(p, "/callback_query/data", "required");
    assert_int_equal(parse_u("[]", &cb, p), -1);
    expect_problem(p, "", "type");
    problems_destroy(p);

    assert_true(telegram_secret_ok("s3cret_token-1", "s3cret_token-1"));
    assert_false(telegram_secret_ok("s3cret_token-1", "s3cret_token-2"));
    assert_false(telegram_secret_ok("s3cret_token-1", "s3cret_token-1x"));
    assert_false(telegram_secret_ok("s3cret_token-1", ""));
    assert_false(telegram_secret_ok("s3cret_token-1", NULL));
    assert_false(telegram_secret_ok("", ""));
}

static void outgoing_shapes(void **state)
{
    (void)state;
    struct channel_message m = {.notification_id = 1,
                                .incident_id = 12,
                                .approval_id = 42,
                                .kind = CHANNEL_MSG_APPROVAL_REQUEST,
                                .severity = SEV_CRITICAL,
                                .class_ = "workload.crashloop",
                                .state = "triaged",
                                .title = "Restart <api> & co?",
                                .text = "rollout_restart of apps/api",
                                .link = "https://srebot.example/#/incidents/12"};
    json_t *blocks = slack_blocks(&m, 1);
    json_t *last = json_array_get(blocks, json_array_size(blocks) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "type")), "actions");
    json_t *els = json_object_get(last, "elements");
    assert_int_equal(json_array_size(els), 2);
    json_t *yes = json_array_get(els, 0), *no = json_array_get(els, 1);
    assert_string_equal(json_string_value(json_object_get(yes, "action_id")), "approve");
    assert_string_equal(json_string_value(json_object_get(yes, "value")), "42");
    assert_string_equal(json_string_value(json_object_get(yes, "style")), "primary");
    assert_string_equal(json_string_value(json_object_get(no, "action_id")), "reject");
    assert_string_equal(json_string_value(json_object_get(no, "style")), "danger");
    assert_non_null(json_object_get(no, "confirm"));
    /* mrkdwn control characters escaped */
    const char *head = json_string_value(
        json_object_get(json_object_get(json_array_get(blocks, 0), "text"), "text"));
    assert_string_equal(head, "*Restart &lt;api&gt; &amp; co?*");
    json_decref(blocks);
    blocks = slack_blocks(&m, 0);
    for (size_t i = 0; i < json_array_size(blocks); i++)
        assert_string_not_equal(
            json_string_value(json_object_get(json_array_get(blocks, i), "type")), "actions");
    json_decref(blocks);

    json_t *card = teams_card(&m);
    json_t *att = json_array_get(json_object_get(card, "attachments"), 0);
    assert_string_equal(json_string_value(json_object_get(card, "type")), "message");
    assert_string_equal(json_string_value(json_object_get(att, "contentType")),
                        "application/vnd.microsoft.card.adaptive");
    assert_true(json_is_null(json_object_get(att, "contentUrl")));
    json_t *content = json_object_get(att, "content");
    assert_string_equal(json_string_value(json_object_get(content, "type")), "AdaptiveCard");
    assert_string_equal(json_string_value(json_object_get(content, "version")), "1.4");
    json_t *act = json_array_get(json_object_get(content, "actions"), 0);
    assert_string_equal(json_string_value(json_object_get(act, "type")), "Action.OpenUrl");
    assert_string_equal(json_string_value(json_object_get(act, "url")), m.link);
    json_decref(card);

    char html[64] = "";
    telegram_html_escape("a<b>&c", html, sizeof html);
    assert_string_equal(html, "a&lt;b&gt;&amp;c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slack_signing_vector), cmocka_unit_test(form_fields),
        cmocka_unit_test(slack_interactions),   cmocka_unit_test(slack_commands),
        cmocka_unit_test(telegram_updates),     cmocka_unit_test(outgoing_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
