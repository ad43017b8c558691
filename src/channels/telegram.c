/* The Telegram provider: sendMessage (HTML) to the configured chat. The
 * incident's first message is its thread: later messages reply to it
 * (reply_parameters) and edit its status line; an approval request carries an
 * inline keyboard (callback_data "approve:<id>" / "reject:<id>"); its result
 * edits the request's message (editMessageText without a keyboard, so the
 * buttons go). 429 answers carry parameters.retry_after: ADAPTER_RETRY with
 * retry_after_ms, the worker waits. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/chat_secret.h"
#include "channels/telegram.h"
#include "core/finding.h"
#include "util/log.h"
#include "util/parse.h"

#define DEFAULT_API "https://api.telegram.org"
#define TEXT_MAX 4096 /* the Bot API's limit after entity parsing */

struct telegram {
    json_t *settings;
    char *file_roots;
    struct net_client *net;
    char api_base[512];
    char chat_id[72];
};

static int telegram_init(const json_t *settings, void *deps, void **instance, char *err,
                         size_t errlen)
{
    const struct channel_deps *d = deps;
    const char *chat = json_string_value(json_object_get(settings, "chat_id"));
    const char *base = json_string_value(json_object_get(settings, "api_base_url"));
    if (!json_object_get(settings, "bot_token") || !chat || !*chat || strlen(chat) >= 72) {
        snprintf(err, errlen, "telegram: settings.bot_token and settings.chat_id are required");
        return -1;
    }
    struct telegram *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "telegram: out of memory");
        return -1;
    }
    t->settings = json_deep_copy(settings);
    t->file_roots = d && d->file_roots ? strdup(d->file_roots) : NULL;
    t->net = d ? d->net : NULL;
    snprintf(t->api_base, sizeof t->api_base, "%s", base && *base ? base : DEFAULT_API);
    size_t n = strlen(t->api_base);
    while (n > 0 && t->api_base[n - 1] == '/')
        t->api_base[--n] = '\0';
    snprintf(t->chat_id, sizeof t->chat_id, "%s", chat);
    *instance = t;
    return 0;
}

static void telegram_destroy(void *instance)
{
    struct telegram *t = instance;
    if (!t)
        return;
    json_decref(t->settings);
    free(t->file_roots);
    free(t);
}

/* chat_id as the API wants it: a number when it is one, else "@channelname". */
static json_t *chat_id_json(const char *s)
{
    int64_t n;
    return parse_int64_str(s, INT64_MIN + 1, INT64_MAX, &n) == 0 ? json_integer(n)
                                                                  : json_string(s);
}

static void render(const struct channel_message *m, int root, char *out, size_t outlen)
{
    out[0] = '\0';
    snprintf(out, outlen, "<b>");
    telegram_html_escape(m->title ? m->title : "srebot", out, 600);
    snprintf(out + strlen(out), outlen - strlen(out), "</b>\n");
    if (!root && m->text && *m->text) {
        telegram_html_escape(m->text, out, outlen - 700);
        snprintf(out + strlen(out), outlen - strlen(out), "\n");
    }
    snprintf(out + strlen(out), outlen - strlen(out), "Severity: %s",
             severity_name((enum severity)m->severity));
    if (m->state) {
        snprintf(out + strlen(out), outlen - strlen(out), " · State: ");
        telegram_html_escape(m->state, out, strlen(out) + 80);
    }
    if (m->incident_id)
        snprintf(out + strlen(out), outlen - strlen(out), " · Incident #%" PRId64,
                 m->incident_id);
    if (m->link && strlen(m->link) < 400 && !strpbrk(m->link, "\"<> ")) {
        snprintf(out + strlen(out), outlen - strlen(out), "\n<a href=\"");
        telegram_html_escape(m->link, out, outlen - 40);
        snprintf(out + strlen(out), outlen - strlen(out), "\">Open in console</a>");
    }
}

static json_t *keyboard(int64_t approval_id)
{
    char yes[TELEGRAM_CALLBACK_DATA_MAX + 1], no[TELEGRAM_CALLBACK_DATA_MAX + 1];
    telegram_callback_data(1, approval_id, yes, sizeof yes);
    telegram_callback_data(0, approval_id, no, sizeof no);
    return json_pack("{s:[[{s:s, s:s}, {s:s, s:s}]]}", "inline_keyboard", "text", "Approve",
                     "callback_data", yes, "text", "Reject", "callback_data", no);
}

/* "chat/message_id" -> its parts. */
static int split_ref(const char *ref, char *chat, size_t clen, int64_t *message_id)
{
    const char *slash = ref ? strrchr(ref, '/') : NULL;
    if (!slash || slash == ref || (size_t)(slash - ref) >= clen ||
        parse_int64_str(slash + 1, 1, INT64_MAX, message_id) != 0)
        return -1;
    memcpy(chat, ref, (size_t)(slash - ref));
    chat[slash - ref] = '\0';
    return 0;
}

static enum adapter_result edit(const struct telegram_call *c, const char *ref,
                                const char *text, int64_t *wait, char *err, size_t errlen)
{
    char chat[72];
    int64_t mid;
    json_t *result = NULL;
    if (split_ref(ref, chat, sizeof chat, &mid) != 0) {
        snprintf(err, errlen, "the message reference is malformed");
        return ADAPTER_ERROR;
    }
    json_t *body = json_pack("{s:o, s:I, s:s, s:s}", "chat_id", chat_id_json(chat), "message_id",
                             (json_int_t)mid, "text", text, "parse_mode", "HTML");
    enum adapter_result r = telegram_api_call(c, "editMessageText", body, &result, wait, err,
                                              errlen);
    /* the same text again is a 400 "message is not modified": the edit holds */
    if (r == ADAPTER_ERROR && strstr(err, "message is not modified"))
        r = ADAPTER_OK;
    json_decref(result);
    json_decref(body);
    return r;
}

static enum adapter_result telegram_send(void *instance, const struct channel_message *m,
                                         struct channel_outcome *out)
{
    struct telegram *t = instance;
    char token[CHAT_SECRET_MAX], text[TEXT_MAX], chat[72];
    int64_t root_id = 0;
    json_t *result = NULL;
    enum adapter_result r;
    if (chat_secret(t->settings, "bot_token", t->file_roots, token, sizeof token, out->error,
                    sizeof out->error) != 0)
        return ADAPTER_ERROR;
    struct telegram_call c = {.net = t->net, .api_base = t->api_base, .token = token,
                              .deadline_ns = m->deadline_ns};
    render(m, 0, text, sizeof text);
    if (m->kind == CHANNEL_MSG_APPROVAL_RESULT && m->reply_ref && *m->reply_ref) {
        r = edit(&c, m->reply_ref, text, &out->retry_after_ms, out->error, sizeof out->error);
        if (r == ADAPTER_OK)
            snprintf(out->message_ref, sizeof out->message_ref, "%s", m->reply_ref);
        goto out;
    }
    int threaded = m->thread_ref && split_ref(m->thread_ref, chat, sizeof chat, &root_id) == 0;
    json_t *body = json_pack("{s:o, s:s, s:s, s:{s:b}}", "chat_id",
                             chat_id_json(threaded ? chat : t->chat_id), "text", text,
                             "parse_mode", "HTML", "link_preview_options", "is_disabled", 1);
    if (threaded)
        json_object_set_new(body, "reply_parameters",
                            json_pack("{s:I, s:b}", "message_id", (json_int_t)root_id,
                                      "allow_sending_without_reply", 1));
    if (m->kind == CHANNEL_MSG_APPROVAL_REQUEST && m->approval_id > 0)
        json_object_set_new(body, "reply_markup", keyboard(m->approval_id));
    r = telegram_api_call(&c, "sendMessage", body, &result, &out->retry_after_ms, out->error,
                          sizeof out->error);
    json_decref(body);
    if (r != ADAPTER_OK)
        goto out;
    json_t *mid = json_object_get(result, "message_id");
    json_t *cid = json_object_get(json_object_get(result, "chat"), "id");
    if (json_is_integer(mid) && json_is_integer(cid)) {
        snprintf(out->message_ref, sizeof out->message_ref,
                 "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT, json_integer_value(cid),
                 json_integer_value(mid));
        snprintf(out->thread_ref, sizeof out->thread_ref, "%s",
                 threaded ? m->thread_ref : out->message_ref);
    } else {
        log_warn("channels", "telegram: sendMessage answered without message_id/chat.id");
    }
    if (threaded && (m->kind == CHANNEL_MSG_INCIDENT || m->kind == CHANNEL_MSG_RESOLVED)) {
        char root[1200], err[200];
        int64_t wait;
        render(m, 1, root, sizeof root);
        if (edit(&c, m->thread_ref, root, &wait, err, sizeof err) != ADAPTER_OK)
            log_warn("channels", "telegram: editing the thread's first message: %s", err);
    }
out:
    json_decref(result);
    chat_secret_wipe(token, sizeof token);
    return r;
}

const struct channel_ops channel_telegram = {
    .name = "telegram",
    .description = "Telegram Bot API: messages with inline keyboards, callbacks by webhook or polling",
    .two_way = 1,
    .init = telegram_init,
    .send = telegram_send,
    .destroy = telegram_destroy,
};
