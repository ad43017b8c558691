/* Channel providers: the adapter family that tells operators (ARCHITECTURE.md
 * "Data flow": channels worker <- notifications outbox; chat callbacks ->
 * approve/reject -> ledger). The family shape is util/adapter.h.
 *
 * Flow:
 *   - The ledger writes a notification row (store/action_repo.h) in the same
 *     transaction as the change it reports: a notify attempt, an approval
 *     request, its decision, an incident that resolves.
 *   - The delivery worker (channels/delivery.c) drains those rows, picks the
 *     channels from the policy's `routing`, renders the message from a template
 *     and calls the provider's send. It owns everything around send: the
 *     per-(notification, channel) delivery record that makes a message go out
 *     once per channel, retries with backoff (honouring retry_after_ms),
 *     per-channel rate limits, failover along the route and finally to in-app,
 *     and the thread reference of each incident on each channel.
 *   - So a provider never sleeps, never retries on its own, never writes the
 *     ledger, and returns by m->deadline_ns (pass it to every net_request).
 *
 * Two-way providers (slack, telegram, teams) also take callbacks (button
 * presses, slash commands): their parsers and signature checks live next to the
 * provider (channels/<name>_callback.c), the routes in src/api/, and a decision
 * goes through approvals_decide() (ledger/actions.h) with the identity the
 * policy maps the chat user to: the same role, self-approval and expiry rules
 * as the API.
 *
 * Adding a provider: a file src/channels/<name>.c with a const struct
 * channel_ops, one line in channels/registry.c, its settings validated in
 * core/policy_channels.c, its setup in docs/channels.md.
 */
#ifndef SREBOT_CHANNELS_CHANNEL_H
#define SREBOT_CHANNELS_CHANNEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/adapter.h"

struct net_client;

/* What main.c hands every provider instance (init's deps argument). */
struct channel_deps {
    struct net_client *net;       /* net/client.h: every outbound call goes through it */
    const char *file_roots;       /* where a secret_ref file may lie (core/fileroots.h) */
    const char *console_base_url; /* "https://srebot.example" for links; NULL: no links */
};

enum channel_msg_kind {
    CHANNEL_MSG_INCIDENT = 0,      /* an incident opened or changed (notify attempts) */
    CHANNEL_MSG_RESOLVED,          /* the incident resolved: update the thread */
    CHANNEL_MSG_APPROVAL_REQUEST,  /* an action waits for approval: Approve / Reject buttons */
    CHANNEL_MSG_APPROVAL_RESULT,   /* who approved or rejected (edit the request's message) */
    CHANNEL_MSG_TEST,              /* "send test message" from the console */
};

struct channel_message {
    int64_t notification_id;  /* the outbox row; with the channel id, the idempotency key */
    int64_t incident_id;      /* 0 = none */
    int64_t approval_id;      /* APPROVAL_*: the request the buttons decide */
    enum channel_msg_kind kind;
    int severity;             /* enum severity (core/incident.h) */
    const char *class_;       /* incident class, may be NULL */
    const char *state;        /* incident state name, may be NULL */
    const char *title;        /* one line, rendered */
    const char *text;         /* plain-text body, rendered (providers may add markup) */
    const char *link;         /* the incident in the console, may be NULL */
    /* The provider's handle of an earlier message of this incident on this
     * channel (what a previous send put in out->thread_ref: Slack's ts,
     * Telegram's message_id), NULL when this is the first. */
    const char *thread_ref;
    /* APPROVAL_RESULT: the handle of the request's own message, to edit it. */
    const char *reply_ref;
    uint64_t deadline_ns;     /* util/timeutil.h time_mono_ns() clock */
};

struct channel_outcome {
    char thread_ref[128];   /* set on the first message of an incident; the worker keeps it */
    char message_ref[128];  /* this message's handle (edited later by APPROVAL_RESULT) */
    char error[256];        /* why not, for RETRY / ERROR; never holds a secret */
    int64_t retry_after_ms; /* the provider asked to wait (429 Retry-After, retry_after) */
};

struct channel_ops {
    const char *name;        /* the policy's provider: inapp, webhook, slack, teams, telegram, email */
    const char *description; /* one line */
    int two_way;             /* 1: can carry Approve / Reject back (callbacks) */
    /* settings: the channel's validated "settings" object from the policy
     * (secret_ref objects, resolved by the provider when it needs them, so a
     * rotated secret is picked up); deps: struct channel_deps. */
    int (*init)(const json_t *settings, void *deps, void **instance, char *err, size_t errlen);
    enum adapter_result (*send)(void *instance, const struct channel_message *m,
                                struct channel_outcome *out);
    void (*destroy)(void *instance); /* accepts NULL */
};

/* The built-in providers, NULL-terminated (channels/registry.c). */
extern const struct channel_ops *const channel_registry[];
/* The provider called name in the registry; NULL when this build has none. */
const struct channel_ops *channel_find(const char *name);
/* The same in any NULL-terminated table (NULL table = none): the delivery
 * worker searches a test's extra table first (delivery.h). */
const struct channel_ops *channel_find_in(const struct channel_ops *const *table,
                                          const char *name);

#endif
