/* The Slack provider. Two shapes, chosen by the settings:
 *   webhook_url  an incoming webhook: one-way, one channel fixed by the hook,
 *                no threads, no buttons;
 *   token        a bot token with chat.postMessage / chat.update: one thread
 *                per incident (the first message's channel/ts is the thread
 *                reference; later messages reply in it and edit the root's
 *                status), Approve / Reject buttons on approval requests, and
 *                the request's message edited with the decision.
 * The worker owns retries: 429 and Slack's transient errors come back as
 * ADAPTER_RETRY with retry_after_ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/chat_http.h"
#include "channels/chat_secret.h"
#include "channels/slack.h"
#include "util/log.h"

#define DEFAULT_API "https://slack.com/api"
#define FALLBACK_MAX 3000

struct slack {
    json_t *settings;        /* own copy: secret references, resolved per send */
    char *file_roots;
    struct net_client *net;
    char api_base[512];
    char channel[96];
    int hook;                /* incoming webhook (one-way) */
};

static int slack_init(const json_t *settings, void *deps, void **instance, char *err,
                      size_t errlen)
{
    const struct channel_deps *d = deps;
    const char *base = json_string_value(json_object_get(settings, "api_base_url"));
    const char *chan = json_string_value(json_object_get(settings, "channel"));
    int hook = json_object_get(settings, "webhook_url") != NULL;
    if (!json_is_object(settings) || hook == (json_object_get(settings, "token") != NULL)) {
        snprintf(err, errlen, "slack: needs exactly one of settings.webhook_url or settings.token");
        return -1;
    }
    if (!hook && (!chan || !*chan || strlen(chan) >= 96)) {
        snprintf(err, errlen, "slack: settings.channel is required with a token");
        return -1;
    }
    struct slack *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "slack: out of memory");
        return -1;
    }
    s->settings = json_deep_copy(settings);
    s->file_roots = d && d->file_roots ? strdup(d->file_roots) : NULL;
    s->net = d ? d->net : NULL;
    s->hook = hook;
    snprintf(s->api_base, sizeof s->api_base, "%s", base && *base ? base : DEFAULT_API);
    size_t n = strlen(s->api_base);
    while (n > 0 && s->api_base[n - 1] == '/')
        s->api_base[--n] = '\0';
    snprintf(s->channel, sizeof s->channel, "%s", chan ? chan : "");
    *instance = s;
    return 0;
}

static void slack_destroy(void *instance)
{
    struct slack *s = instance;
    if (!s)
        return;
    json_decref(s->settings);
    free(s->file_roots);
    free(s);
}

/* "title\ntext": the notification text Slack shows where blocks are not rendered. */
static void fallback_text(const struct channel_message *m, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%s%s", m->title ? m->title : "srebot",
             m->text && *m->text ? "\n" : "", m->text ? m->text : "");
}

/* "C0123/1714412345.001200" -> channel and ts. */
static int split_ref(const char *ref, char *chan, size_t clen, char *ts, size_t tlen)
{
    const char *slash = ref ? strchr(ref, '/') : NULL;
    if (!slash || slash == ref || !slash[1] || (size_t)(slash - ref) >= clen ||
        strlen(slash + 1) >= tlen)
        return -1;
    memcpy(chan, ref, (size_t)(slash - ref));
    chan[slash - ref] = '\0';
    snprintf(ts, tlen, "%s", slash + 1);
    return 0;
}

static enum adapter_result send_hook(struct slack *s, const struct channel_message *m,
                                     struct channel_outcome *out)
{
    char url[CHAT_SECRET_MAX], text[FALLBACK_MAX];
    if (chat_secret(s->settings, "webhook_url", s->file_roots, url, sizeof url, out->error,
                    sizeof out->error) != 0)
        return ADAPTER_ERROR;
    int timeout = chat_timeout_ms(m->deadline_ns);
    if (timeout == 0) {
        chat_secret_wipe(url, sizeof url);
        snprintf(out->error, sizeof out->error, "webhook: the delivery deadline passed");
        return ADAPTER_RETRY;
    }
    fallback_text(m, text, sizeof text);
    json_t *body = json_pack("{s:s, s:o}", "text", text, "blocks", slack_blocks(m, 0));
    struct net_response resp;
    json_t *answer = NULL;
    char err[200];
    int rc = chat_post_json(s->net, url, NULL, body, timeout, NULL, &resp, &answer, err, sizeof err);
    chat_secret_wipe(url, sizeof url); /* the hook URL is the secret */
    json_decref(body);
    json_decref(answer);
    if (rc != 0) {
        snprintf(out->error, sizeof out->error, "webhook: %s", err);
        return ADAPTER_RETRY;
    }
    enum adapter_result r = chat_status_result(resp.status);
    if (resp.status == 429)
        out->retry_after_ms = chat_retry_after_ms(&resp);
    if (r != ADAPTER_OK)
        snprintf(out->error, sizeof out->error, "webhook: HTTP %ld %.60s", resp.status,
                 resp.body && !strpbrk(resp.body, "\r\n") ? resp.body : "");
    net_response_free(&resp);
    return r;
}

/* The root message of the thread shows the incident's current state; a failed
 * edit does not fail the delivery (the reply already went out), it is logged. */
static void update_root(const struct slack_call *c, const char *thread_ref,
                        const struct channel_message *m)
{
    char chan[96], ts[64], text[FALLBACK_MAX], err[200];
    int64_t wait;
    json_t *answer = NULL;
    if (split_ref(thread_ref, chan, sizeof chan, ts, sizeof ts) != 0)
        return;
    snprintf(text, sizeof text, "%s", m->title ? m->title : "srebot");
    json_t *body = json_pack("{s:s, s:s, s:s, s:o}", "channel", chan, "ts", ts, "text", text,
                             "blocks", slack_root_blocks(m));
    if (slack_api_call(c, "chat.update", body, &answer, &wait, err, sizeof err) != ADAPTER_OK)
        log_warn("channels", "slack: editing the thread's root message: %s", err);
    json_decref(answer);
    json_decref(body);
}

/* APPROVAL_RESULT: the request's own message becomes the decision, buttons gone. */
static enum adapter_result edit_request(const struct slack_call *c,
                                        const struct channel_message *m,
                                        struct channel_outcome *out)
{
    char chan[96], ts[64], text[FALLBACK_MAX];
    json_t *answer = NULL;
    if (split_ref(m->reply_ref, chan, sizeof chan, ts, sizeof ts) != 0) {
        snprintf(out->error, sizeof out->error, "the request's message reference is malformed");
        return ADAPTER_ERROR;
    }
    fallback_text(m, text, sizeof text);
    json_t *body = json_pack("{s:s, s:s, s:s, s:o}", "channel", chan, "ts", ts, "text", text,
                             "blocks", slack_blocks(m, 0));
    enum adapter_result r = slack_api_call(c, "chat.update", body, &answer, &out->retry_after_ms,
                                           out->error, sizeof out->error);
    if (r == ADAPTER_OK)
        snprintf(out->message_ref, sizeof out->message_ref, "%s", m->reply_ref);
    json_decref(answer);
    json_decref(body);
    return r;
}

static enum adapter_result send_token(struct slack *s, const struct channel_message *m,
                                      struct channel_outcome *out)
{
    char token[CHAT_SECRET_MAX], text[FALLBACK_MAX], chan[96], ts[64];
    if (chat_secret(s->settings, "token", s->file_roots, token, sizeof token, out->error,
                    sizeof out->error) != 0)
        return ADAPTER_ERROR;
    struct slack_call c = {s->net, s->api_base, token, m->deadline_ns};
    enum adapter_result r;
    json_t *answer = NULL;
    if (m->kind == CHANNEL_MSG_APPROVAL_RESULT && m->reply_ref && *m->reply_ref) {
        r = edit_request(&c, m, out);
        goto out;
    }
    int threaded = m->thread_ref && split_ref(m->thread_ref, chan, sizeof chan, ts, sizeof ts) == 0;
    fallback_text(m, text, sizeof text);
    json_t *body = json_pack("{s:s, s:s, s:o, s:b}", "channel", threaded ? chan : s->channel,
                             "text", text, "blocks",
                             slack_blocks(m, m->kind == CHANNEL_MSG_APPROVAL_REQUEST),
                             "unfurl_links", 0);
    if (threaded)
        json_object_set_new(body, "thread_ts", json_string(ts));
    r = slack_api_call(&c, "chat.postMessage", body, &answer, &out->retry_after_ms, out->error,
                       sizeof out->error);
    json_decref(body);
    if (r != ADAPTER_OK)
        goto out;
    const char *got_chan = json_string_value(json_object_get(answer, "channel"));
    const char *got_ts = json_string_value(json_object_get(answer, "ts"));
    if (!got_chan || !got_ts) {
        /* posted, but without a handle: no thread, no later edit; not worth a resend */
        log_warn("channels", "slack: chat.postMessage answered without channel/ts");
    } else {
        snprintf(out->message_ref, sizeof out->message_ref, "%s/%s", got_chan, got_ts);
        snprintf(out->thread_ref, sizeof out->thread_ref, "%s",
                 threaded ? m->thread_ref : out->message_ref);
    }
    if (threaded && (m->kind == CHANNEL_MSG_INCIDENT || m->kind == CHANNEL_MSG_RESOLVED))
        update_root(&c, m->thread_ref, m);
out:
    json_decref(answer);
    chat_secret_wipe(token, sizeof token);
    return r;
}

static enum adapter_result slack_send(void *instance, const struct channel_message *m,
                                      struct channel_outcome *out)
{
    struct slack *s = instance;
    return s->hook ? send_hook(s, m, out) : send_token(s, m, out);
}

const struct channel_ops channel_slack = {
    .name = "slack",
    .description = "Slack: incoming webhook (one-way) or bot token with threads and buttons",
    .two_way = 1,
    .init = slack_init,
    .send = slack_send,
    .destroy = slack_destroy,
};
