/* Telegram long polling (telegram_poll.h). */
#include "channels/telegram_poll.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channels/chat_reply.h"
#include "channels/chat_secret.h"
#include "channels/chat_service.h"
#include "channels/telegram.h"
#include "core/problems.h"
#include "util/log.h"
#include "util/timeutil.h"

#define MAX_POLLED 32          /* channels (the policy allows 32 in all) */
#define UPDATES_PER_CALL 20
#define DEFAULT_POLL_S 25
#define IDLE_MS 1000           /* no channel polls: look at the policy again after */
#define BACKOFF_MAX_MS 30000

struct offset {
    char channel[72];
    int64_t next;              /* the offset for the next getUpdates */
    int64_t wait_until_ms;     /* after an error (monotonic) */
    unsigned failures;
};

struct telegram_poller {
    struct chat_service *chat;
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct offset offsets[MAX_POLLED];
    size_t noffsets;
};

static struct offset *offset_of(struct telegram_poller *p, const char *id)
{
    for (size_t i = 0; i < p->noffsets; i++)
        if (strcmp(p->offsets[i].channel, id) == 0)
            return &p->offsets[i];
    if (p->noffsets == MAX_POLLED)
        return NULL;
    struct offset *o = &p->offsets[p->noffsets++];
    memset(o, 0, sizeof *o);
    snprintf(o->channel, sizeof o->channel, "%s", id);
    return o;
}

/* Sleeps up to ms, waking at once on stop. */
static void nap(struct telegram_poller *p, int64_t ms)
{
    struct timespec ts;
    time_deadline_in(&ts, ms);
    pthread_mutex_lock(&p->mu);
    if (!atomic_load(&p->stop))
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    pthread_mutex_unlock(&p->mu);
}

static void handle_update(struct telegram_poller *p, const json_t *ch, const char *id,
                          json_t *update, size_t i, struct offset *o, struct problems *pr)
{
    struct chat_callback cb;
    struct chat_reply reply;
    char base[32], key[128];
    snprintf(base, sizeof base, "/result/%zu", i);
    problems_init(pr);
    if (telegram_update_from_json(update, base, &cb, pr) != 0) {
        log_warn("channels", "telegram %s: skipped an update: %s %s", id, pr->items[0].path,
                 pr->items[0].message);
        json_t *uid = json_object_get(update, "update_id");
        if (json_is_integer(uid) && json_integer_value(uid) >= o->next)
            o->next = json_integer_value(uid) + 1;
        return;
    }
    if (cb.update_id >= o->next)
        o->next = cb.update_id + 1;
    snprintf(key, sizeof key, "telegram:%s:%lld", id, (long long)cb.update_id);
    if (cb.verb == CHAT_VERB_NONE || chat_service_replayed(p->chat, key, time_now_ms()))
        return;
    chat_service_handle(p->chat, ch, "telegram", &cb, &reply);
    telegram_tell(p->chat, ch, &cb, &reply);
}

static void poll_channel(struct telegram_poller *p, const json_t *ch, struct problems *pr)
{
    const char *id = json_string_value(json_object_get(ch, "id"));
    const json_t *settings = json_object_get(ch, "settings");
    struct offset *o = id ? offset_of(p, id) : NULL;
    if (!o || time_mono_ms() < o->wait_until_ms)
        return;
    char token[CHAT_SECRET_MAX], base[512], err[200];
    if (chat_service_secret(p->chat, ch, "bot_token", token, sizeof token) != 0) {
        o->wait_until_ms = time_mono_ms() + BACKOFF_MAX_MS;
        return;
    }
    const char *b = json_string_value(json_object_get(settings, "api_base_url"));
    snprintf(base, sizeof base, "%s", b && *b ? b : "https://api.telegram.org");
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        base[--n] = '\0';
    json_t *t = json_object_get(settings, "poll_timeout_seconds");
    json_int_t wait_s = json_is_integer(t) ? json_integer_value(t) : DEFAULT_POLL_S;
    if (wait_s < 1 || wait_s > 50)
        wait_s = DEFAULT_POLL_S;
    struct telegram_call c = {.net = chat_service_net(p->chat),
                              .api_base = base,
                              .token = token,
                              .timeout_ms = (int)(wait_s * 1000 + 5000),
                              .cancel = &p->stop};
    json_t *body = json_pack("{s:I, s:I, s:I, s:[s]}", "offset", (json_int_t)o->next, "limit",
                             (json_int_t)UPDATES_PER_CALL, "timeout", wait_s, "allowed_updates",
                             "callback_query");
    json_t *result = NULL;
    int64_t retry_ms = 0;
    enum adapter_result r =
        telegram_api_call(&c, "getUpdates", body, &result, &retry_ms, err, sizeof err);
    chat_secret_wipe(token, sizeof token);
    json_decref(body);
    if (r != ADAPTER_OK || !json_is_array(result)) {
        if (!atomic_load(&p->stop)) {
            unsigned shift = o->failures < 5 ? o->failures : 5;
            int64_t backoff = retry_ms > 0 ? retry_ms : (int64_t)1000 << shift;
            o->failures++;
            o->wait_until_ms = time_mono_ms() + (backoff < BACKOFF_MAX_MS ? backoff : BACKOFF_MAX_MS);
            log_warn("channels", "telegram %s: getUpdates: %s", id,
                     r == ADAPTER_OK ? "the result is not an array" : err);
        }
        json_decref(result);
        return;
    }
    o->failures = 0;
    size_t i;
    json_t *u;
    json_array_foreach(result, i, u) {
        if (i == UPDATES_PER_CALL || atomic_load(&p->stop))
            break;
        handle_update(p, ch, id, u, i, o, pr);
    }
    json_decref(result);
}

static void *poller_main(void *arg)
{
    struct telegram_poller *p = arg;
    struct problems *pr = problems_create();
    while (pr && !atomic_load(&p->stop)) {
        json_t *chans = chat_service_channels(p->chat, "telegram");
        size_t i, polled = 0;
        json_t *ch;
        json_array_foreach(chans, i, ch) {
            const char *mode =
                json_string_value(json_object_get(json_object_get(ch, "settings"), "updates"));
            if (!mode || strcmp(mode, "poll") != 0 || atomic_load(&p->stop))
                continue;
            poll_channel(p, ch, pr);
            polled++;
        }
        json_decref(chans);
        if (!atomic_load(&p->stop))
            nap(p, polled ? 50 : IDLE_MS); /* a long poll just returned: go again soon */
    }
    problems_destroy(pr);
    return NULL;
}

int telegram_poller_start(struct chat_service *chat, struct telegram_poller **out)
{
    struct telegram_poller *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    p->chat = chat;
    atomic_init(&p->stop, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t a; /* time_deadline_in() is on the monotonic clock */
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &a);
    pthread_condattr_destroy(&a);
    if (pthread_create(&p->thread, NULL, poller_main, p) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void telegram_poller_stop(struct telegram_poller *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
