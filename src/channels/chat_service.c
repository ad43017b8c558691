/* Chat callbacks -> the ledger (chat_service.h). */
#include "channels/chat_service.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/chat_secret.h"
#include "core/lifecycle.h"
#include "ledger/actions.h"
#include "ledger/audit_note.h"
#include "ledger/ledger.h"
#include "ledger/views.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

#define INCIDENTS_LISTED 10

struct replay_entry {
    uint8_t key[SHA256_LEN];
    int64_t at_ms; /* 0: free */
};

struct chat_service {
    struct ledger *ledger;
    struct net_client *net;
    char *file_roots;
    char *console_base_url;
    pthread_mutex_t mu; /* guards replay */
    struct replay_entry replay[CHAT_REPLAY_ENTRIES];
};

int chat_service_create(const struct chat_service_config *cfg, struct chat_service **out)
{
    struct chat_service *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->ledger = cfg->ledger;
    s->net = cfg->net;
    s->file_roots = cfg->file_roots ? strdup(cfg->file_roots) : NULL;
    s->console_base_url = cfg->console_base_url ? strdup(cfg->console_base_url) : NULL;
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return 0;
}

void chat_service_destroy(struct chat_service *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    free(s->file_roots);
    free(s->console_base_url);
    free(s);
}

struct net_client *chat_service_net(struct chat_service *s)
{
    return s->net;
}

json_t *chat_service_channel(struct chat_service *s, const char *id, const char *provider)
{
    if (!s->ledger || !id)
        return NULL;
    json_t *doc = ledger_policy(s->ledger);
    json_t *found = NULL;
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(doc, "channels"), i, ch) {
        const char *cid = json_string_value(json_object_get(ch, "id"));
        const char *prov = json_string_value(json_object_get(ch, "provider"));
        if (cid && prov && strcmp(cid, id) == 0 && strcmp(prov, provider) == 0 &&
            json_is_true(json_object_get(ch, "enabled"))) {
            found = json_incref(ch);
            break;
        }
    }
    json_decref(doc);
    return found;
}

json_t *chat_service_channels(struct chat_service *s, const char *provider)
{
    json_t *out = json_array();
    json_t *doc = s->ledger ? ledger_policy(s->ledger) : NULL;
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(doc, "channels"), i, ch) {
        const char *prov = json_string_value(json_object_get(ch, "provider"));
        if (prov && strcmp(prov, provider) == 0 && json_is_true(json_object_get(ch, "enabled")))
            json_array_append(out, ch);
    }
    json_decref(doc);
    return out;
}

int chat_service_secret(struct chat_service *s, const json_t *channel, const char *key,
                        char *out, size_t outlen)
{
    char err[200];
    if (chat_secret(json_object_get(channel, "settings"), key, s->file_roots, out, outlen, err,
                    sizeof err) != 0) {
        log_warn("channels", "channel %s: %s",
                 json_string_value(json_object_get(channel, "id")) ?: "?", err);
        return -1;
    }
    return 0;
}

int chat_service_replayed(struct chat_service *s, const char *key, int64_t now_ms)
{
    uint8_t h[SHA256_LEN];
    crypto_sha256(key, strlen(key), h);
    pthread_mutex_lock(&s->mu);
    size_t victim = 0;
    for (size_t i = 0; i < CHAT_REPLAY_ENTRIES; i++) {
        struct replay_entry *e = &s->replay[i];
        if (e->at_ms && now_ms - e->at_ms > CHAT_REPLAY_WINDOW_MS)
            e->at_ms = 0;
        if (e->at_ms && memcmp(e->key, h, sizeof h) == 0) {
            pthread_mutex_unlock(&s->mu);
            return 1;
        }
        if (e->at_ms < s->replay[victim].at_ms)
            victim = i;
    }
    memcpy(s->replay[victim].key, h, sizeof h);
    s->replay[victim].at_ms = now_ms;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void chat_service_log_refused(const char *provider, const char *channel_id, const char *reason)
{
    log_security(LOG_WARN, "channels",
                 json_pack("{s:s, s:s}", "provider", provider, "channel",
                           channel_id ? channel_id : ""),
                 "refused a %s callback: %s", provider, reason);
}

/* The channel's "operators" entry for this chat user, as an identity. */
static int map_user(const json_t *channel, const char *user_id, struct identity *who)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(channel, "operators"), i, o) {
        const char *uid = json_string_value(json_object_get(o, "user_id"));
        if (!uid || strcmp(uid, user_id) != 0)
            continue;
        const char *name = json_string_value(json_object_get(o, "operator"));
        enum role r = role_parse(json_string_value(json_object_get(o, "role")));
        if (!name || !*name || r == ROLE_NONE)
            return -1;
        snprintf(who->name, sizeof who->name, "%s", name);
        who->role = r;
        return 0;
    }
    return -1;
}

static void refuse_unmapped(struct chat_service *s, const json_t *channel, const char *provider,
                            const struct chat_callback *cb, struct chat_reply *reply)
{
    char actor[160], subject[96];
    const char *cid = json_string_value(json_object_get(channel, "id"));
    snprintf(actor, sizeof actor, "%s:%s", provider, cb->user_id);
    if (cb->verb == CHAT_VERB_APPROVE || cb->verb == CHAT_VERB_REJECT)
        snprintf(subject, sizeof subject, "approval/%" PRId64, cb->target);
    else
        snprintf(subject, sizeof subject, "channel/%s", cid ? cid : "?");
    json_t *detail = json_pack("{s:s, s:s, s:s, s:s, s:I}", "channel", cid ? cid : "",
                               "provider", provider, "user_id", cb->user_id, "verb",
                               chat_verb_name(cb->verb), "target", (json_int_t)cb->target);
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    if (ledger_audit_note(s->ledger, actor, "chat.refused", subject, text) != SVC_OK)
        log_warn("channels", "could not audit a refused %s callback", provider);
    free(text);
    json_decref(detail);
    log_security(LOG_WARN, "channels",
                 json_pack("{s:s, s:s}", "provider", provider, "user_id", cb->user_id),
                 "a %s user who is not mapped to an operator asked to %s", provider,
                 chat_verb_name(cb->verb));
    snprintf(reply->text, sizeof reply->text,
             "Sorry, your %s account is not linked to an srebot operator, so I cannot act on "
             "this. Ask an administrator to add you to this channel's operators in the policy.",
             provider);
}

/* The vote's outcome in one line for the chat. */
static void decision_text(enum svc_status st, int approve, const struct identity *who,
                          int64_t id, const json_t *view, const struct problems *p,
                          char *out, size_t outlen)
{
    const char *state = json_string_value(json_object_get(view, "state"));
    const char *why = p->count ? p->items[0].message : "";
    switch (st) {
    case SVC_OK:
        if (state && strcmp(state, "pending") == 0)
            snprintf(out, outlen, "Your approval of request #%" PRId64
                     " is recorded as %s; it needs another approver.", id, who->name);
        else
            snprintf(out, outlen, "Request #%" PRId64 " %s by %s.", id,
                     approve ? "approved" : "rejected", who->name);
        return;
    case SVC_NOT_FOUND:
        snprintf(out, outlen, "There is no approval request #%" PRId64 ".", id);
        return;
    case SVC_DENIED:
        snprintf(out, outlen, "%s may not decide request #%" PRId64 ": %s", who->name, id, why);
        return;
    case SVC_CONFLICT:
        snprintf(out, outlen, "Request #%" PRId64 " cannot take this decision: %s", id,
                 *why ? why : "it was already decided");
        return;
    case SVC_EXPIRED:
        snprintf(out, outlen, "Request #%" PRId64 " expired before it was decided.", id);
        return;
    default:
        snprintf(out, outlen, "The decision could not be recorded (%s); try again.",
                 svc_status_text(st));
    }
}

static void decide(struct chat_service *s, const char *provider, const struct identity *who,
                   const struct chat_callback *cb, struct chat_reply *reply)
{
    int approve = cb->verb == CHAT_VERB_APPROVE;
    char reason[160];
    snprintf(reason, sizeof reason, "%s in %s", approve ? "approved" : "rejected", provider);
    struct problems *p = problems_create();
    json_t *view = NULL;
    if (!p) {
        snprintf(reply->text, sizeof reply->text, "Out of memory; try again.");
        return;
    }
    enum svc_status st = approvals_decide(s->ledger, cb->target, who, approve, reason, provider,
                                          time_now_ms(), &view, p);
    reply->decided = st == SVC_OK;
    decision_text(st, approve, who, cb->target, view, p, reply->text, sizeof reply->text);
    json_decref(view);
    problems_destroy(p);
}

static void list_incidents(struct chat_service *s, struct chat_reply *reply)
{
    struct incident_filter f;
    memset(&f, 0, sizeof f);
    f.limit = 50;
    json_t *page = NULL;
    if (ledger_incident_list(s->ledger, &f, &page) != SVC_OK) {
        snprintf(reply->text, sizeof reply->text, "The incident list is not available now.");
        return;
    }
    size_t i, shown = 0, o;
    json_t *inc;
    o = (size_t)snprintf(reply->text, sizeof reply->text, "Open incidents:");
    json_array_foreach(json_object_get(page, "items"), i, inc) {
        const char *state = json_string_value(json_object_get(inc, "state"));
        if (!state || strcmp(state, "resolved") == 0 || strcmp(state, "suppressed") == 0)
            continue;
        if (shown == INCIDENTS_LISTED || o >= sizeof reply->text - 1)
            break;
        o += (size_t)snprintf(reply->text + o, sizeof reply->text - o,
                              "\n#%" JSON_INTEGER_FORMAT " %s %s (%s): %.80s",
                              json_integer_value(json_object_get(inc, "id")),
                              json_string_value(json_object_get(inc, "severity")) ?: "",
                              json_string_value(json_object_get(inc, "class")) ?: "", state,
                              json_string_value(json_object_get(inc, "summary")) ?: "");
        shown++;
    }
    if (shown == 0 && o < sizeof reply->text)
        snprintf(reply->text, sizeof reply->text, "No open incidents.");
    json_decref(page);
}

static void acknowledge(struct chat_service *s, const char *provider, const struct identity *who,
                        int64_t id, struct chat_reply *reply)
{
    if (!(who->role == ROLE_OPERATOR || who->role == ROLE_ADMIN)) {
        snprintf(reply->text, sizeof reply->text,
                 "%s has the %s role; acknowledging needs operator.", who->name,
                 role_name(who->role));
        return;
    }
    char reason[96];
    snprintf(reason, sizeof reason, "acknowledged in %s", provider);
    struct problems *p = problems_create();
    struct incident inc;
    if (!p) {
        snprintf(reply->text, sizeof reply->text, "Out of memory; try again.");
        return;
    }
    enum svc_status st =
        ledger_transition(s->ledger, id, ST_TRIAGED, reason, 0, 0, who->name, &inc, p);
    if (st == SVC_OK) {
        reply->decided = 1;
        snprintf(reply->text, sizeof reply->text, "Incident #%" PRId64 " acknowledged by %s.",
                 id, who->name);
    } else if (st == SVC_NOT_FOUND) {
        snprintf(reply->text, sizeof reply->text, "There is no incident #%" PRId64 ".", id);
    } else if (st == SVC_CONFLICT) {
        snprintf(reply->text, sizeof reply->text,
                 "Incident #%" PRId64 " cannot be acknowledged in its current state.", id);
    } else {
        snprintf(reply->text, sizeof reply->text, "The acknowledgement failed (%s).",
                 svc_status_text(st));
    }
    problems_destroy(p);
}

void chat_service_handle(struct chat_service *s, const json_t *channel, const char *provider,
                         const struct chat_callback *cb, struct chat_reply *reply)
{
    struct identity who;
    memset(reply, 0, sizeof *reply);
    memset(&who, 0, sizeof who);
    if (cb->verb == CHAT_VERB_NONE)
        return;
    if (cb->verb == CHAT_VERB_HELP) {
        snprintf(reply->text, sizeof reply->text,
                 "Usage: /srebot incidents | /srebot ack <incident id>");
        return;
    }
    if (!cb->user_id[0] || map_user(channel, cb->user_id, &who) != 0) {
        refuse_unmapped(s, channel, provider, cb, reply);
        return;
    }
    reply->mapped = 1;
    switch (cb->verb) {
    case CHAT_VERB_APPROVE:
    case CHAT_VERB_REJECT:
        decide(s, provider, &who, cb, reply);
        break;
    case CHAT_VERB_INCIDENTS:
        list_incidents(s, reply);
        break;
    case CHAT_VERB_ACK:
        acknowledge(s, provider, &who, cb->target, reply);
        break;
    default:
        break;
    }
}

const char *chat_verb_name(enum chat_verb v)
{
    static const char *const names[] = {"none", "approve", "reject", "incidents", "ack", "help"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}
