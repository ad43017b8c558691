/* Microsoft Teams through a Workflows webhook ("Post to a channel when a
 * webhook request is received"): one-way. The message is an Adaptive Card
 * (version 1.4) in a message envelope; the link to the console is an
 * Action.OpenUrl. The webhook URL authenticates by its sig= parameter, so it
 * is a secret reference and never logged.
 *
 * Why one-way (docs/channels.md "Teams"): a button that comes back needs a
 * Bot Framework bot (an Azure Bot registration, its app id and the JWT of
 * every activity checked against Microsoft's OpenID keys); Workflows cannot
 * send an Action.Submit back. Approvals from Teams users go through the link
 * to the console. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/teams.h"
#include "channels/chat_http.h"
#include "channels/chat_secret.h"
#include "core/finding.h"

struct teams {
    json_t *settings;
    char *file_roots;
    struct net_client *net;
};

static int teams_init(const json_t *settings, void *deps, void **instance, char *err,
                      size_t errlen)
{
    const struct channel_deps *d = deps;
    if (!json_object_get(settings, "webhook_url")) {
        snprintf(err, errlen, "teams: settings.webhook_url is required");
        return -1;
    }
    struct teams *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "teams: out of memory");
        return -1;
    }
    t->settings = json_deep_copy(settings);
    t->file_roots = d && d->file_roots ? strdup(d->file_roots) : NULL;
    t->net = d ? d->net : NULL;
    *instance = t;
    return 0;
}

static void teams_destroy(void *instance)
{
    struct teams *t = instance;
    if (!t)
        return;
    json_decref(t->settings);
    free(t->file_roots);
    free(t);
}

static json_t *fact(const char *title, const char *value)
{
    return json_pack("{s:s, s:s}", "title", title, "value", value);
}

/* The Adaptive Card: title, text, facts (severity, class, state, incident). */
json_t *teams_card(const struct channel_message *m)
{
    char num[32];
    json_t *facts = json_array();
    json_array_append_new(facts, fact("Severity", severity_name((enum severity)m->severity)));
    if (m->class_)
        json_array_append_new(facts, fact("Class", m->class_));
    if (m->state)
        json_array_append_new(facts, fact("State", m->state));
    if (m->incident_id) {
        snprintf(num, sizeof num, "#%" PRId64, m->incident_id);
        json_array_append_new(facts, fact("Incident", num));
    }
    json_t *body = json_pack("[{s:s, s:s, s:s, s:s, s:b}]", "type", "TextBlock", "text",
                             m->title ? m->title : "srebot", "weight", "Bolder", "size", "Medium",
                             "wrap", 1);
    if (m->text && *m->text)
        json_array_append_new(body, json_pack("{s:s, s:s, s:b}", "type", "TextBlock", "text",
                                              m->text, "wrap", 1));
    json_array_append_new(body, json_pack("{s:s, s:o}", "type", "FactSet", "facts", facts));
    json_t *card = json_pack("{s:s, s:s, s:s, s:o}", "$schema",
                             "http://adaptivecards.io/schemas/adaptive-card.json", "type",
                             "AdaptiveCard", "version", "1.4", "body", body);
    if (m->link && *m->link) {
        const char *title =
            m->kind == CHANNEL_MSG_APPROVAL_REQUEST ? "Approve or reject in the console"
                                                    : "Open in console";
        json_object_set_new(card, "actions",
                            json_pack("[{s:s, s:s, s:s}]", "type", "Action.OpenUrl", "title",
                                      title, "url", m->link));
    }
    return json_pack("{s:s, s:[{s:s, s:n, s:o}]}", "type", "message", "attachments",
                     "contentType", "application/vnd.microsoft.card.adaptive", "contentUrl",
                     "content", card);
}

static enum adapter_result teams_send(void *instance, const struct channel_message *m,
                                      struct channel_outcome *out)
{
    struct teams *t = instance;
    char url[CHAT_SECRET_MAX], err[200];
    if (chat_secret(t->settings, "webhook_url", t->file_roots, url, sizeof url, out->error,
                    sizeof out->error) != 0)
        return ADAPTER_ERROR;
    int timeout = chat_timeout_ms(m->deadline_ns);
    if (timeout == 0) {
        chat_secret_wipe(url, sizeof url);
        snprintf(out->error, sizeof out->error, "teams: the delivery deadline passed");
        return ADAPTER_RETRY;
    }
    json_t *body = teams_card(m);
    struct net_response resp;
    json_t *answer = NULL;
    int rc = chat_post_json(t->net, url, NULL, body, timeout, NULL, &resp, &answer, err, sizeof err);
    chat_secret_wipe(url, sizeof url);
    json_decref(body);
    json_decref(answer);
    if (rc != 0) {
        snprintf(out->error, sizeof out->error, "teams: %s", err);
        return ADAPTER_RETRY;
    }
    enum adapter_result r = chat_status_result(resp.status);
    if (resp.status == 429)
        out->retry_after_ms = chat_retry_after_ms(&resp);
    if (r != ADAPTER_OK)
        snprintf(out->error, sizeof out->error, "teams: HTTP %ld", resp.status);
    net_response_free(&resp);
    return r;
}

const struct channel_ops channel_teams = {
    .name = "teams",
    .description = "Microsoft Teams: Adaptive Cards to a Workflows webhook (one-way)",
    .two_way = 0,
    .init = teams_init,
    .send = teams_send,
    .destroy = teams_destroy,
};
