#include "kube/watch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/crypto.h"
#include "util/log.h"

struct kube_watch {
    struct kube_client *kc;
    struct kube_watch_config cfg;
    pthread_t thread;
    int running;
    atomic_int stop;
    pthread_mutex_t mu;     /* guards objects and stats */
    json_t *objects;        /* key -> trimmed object */
    struct kube_watch_stats st;
    /* the stream in progress (watch thread only) */
    int gone;               /* an ERROR event with code 410 */
    int stream_failed;      /* a bad line or another ERROR event */
};

int kube_watch_create(struct kube_client *kc, const struct kube_watch_config *cfg,
                      struct kube_watch **out, char *err, size_t errlen)
{
    *out = NULL;
    struct kube_watch *w = calloc(1, sizeof *w);
    if (!w || !(w->objects = json_object())) {
        free(w);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->kc = kc;
    w->cfg = *cfg;
    if (!w->cfg.max_objects)
        w->cfg.max_objects = KUBE_WATCH_MAX_OBJECTS;
    if (!w->cfg.watch_timeout_s)
        w->cfg.watch_timeout_s = 300;
    if (!w->cfg.page_size)
        w->cfg.page_size = 500;
    if (!w->cfg.backoff_base_ms)
        w->cfg.backoff_base_ms = 500;
    pthread_mutex_init(&w->mu, NULL);
    *out = w;
    return 0;
}

/* Records "<what><detail>" as the last error (and logs it). */
static void set_error(struct kube_watch *w, const char *what, const char *detail)
{
    pthread_mutex_lock(&w->mu);
    w->st.errors++;
    snprintf(w->st.last_error, sizeof w->st.last_error, "%s%s", what, detail);
    pthread_mutex_unlock(&w->mu);
    log_warn("kubernetes", "watch %s: %s", w->cfg.name, w->st.last_error);
}

/* Puts obj (trimmed) under key in map; 0, or -1 when the bound is reached. */
static int store_put(struct kube_watch *w, json_t *map, const char *key, const json_t *obj)
{
    if (!json_object_get(map, key) && json_object_size(map) >= w->cfg.max_objects)
        return -1;
    json_t *t = w->cfg.trim ? w->cfg.trim(obj) : json_deep_copy(obj);
    if (t)
        json_object_set_new(map, key, t);
    return 0;
}

/* "?" or "&" query parts shared by list and watch. */
static int selector_query(struct kube_watch *w, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!w->cfg.field_selector)
        return 0;
    char esc[512];
    if (kube_escape(w->cfg.field_selector, esc, sizeof esc) != 0)
        return -1;
    snprintf(out, outlen, "&fieldSelector=%s", esc);
    return 0;
}

/* LIST, paged; the new copy replaces the old one whole. 0, or -1. */
static int do_list(struct kube_watch *w)
{
    json_t *map = json_object();
    char sel[600], cont[1200] = "", rv[128] = "";
    uint64_t dropped = 0;
    if (!map || selector_query(w, sel, sizeof sel) != 0) {
        json_decref(map);
        set_error(w, "field selector too long", "");
        return -1;
    }
    for (;;) {
        char path[2600], err[400];
        snprintf(path, sizeof path, "%s?limit=%u%s%s%s", w->cfg.path, w->cfg.page_size, sel,
                 cont[0] ? "&continue=" : "", cont);
        json_t *list = NULL;
        struct kube_call call = {.path = path, .timeout_ms = 30000, .cancel = &w->stop,
                                 .max_body = 64u * 1024u * 1024u};
        long st = kube_json(w->kc, &call, &list, err, sizeof err);
        if (st < 200 || st > 299) {
            json_decref(map);
            set_error(w, "list: ", err);
            return -1;
        }
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(list, "items"), i, item) {
            char key[320];
            if (kube_object_key(item, key, sizeof key) != 0)
                continue;
            if (store_put(w, map, key, item) != 0)
                dropped++;
        }
        const json_t *md = json_object_get(list, "metadata");
        const char *lrv = json_string_value(json_object_get(md, "resourceVersion"));
        const char *next = json_string_value(json_object_get(md, "continue"));
        snprintf(rv, sizeof rv, "%s", lrv ? lrv : "");
        int more = next && next[0] && kube_escape(next, cont, sizeof cont) == 0;
        json_decref(list);
        if (!more)
            break;
    }
    pthread_mutex_lock(&w->mu);
    json_decref(w->objects);
    w->objects = map;
    snprintf(w->st.rv, sizeof w->st.rv, "%s", rv);
    w->st.lists++;
    w->st.synced = 1;
    w->st.dropped += dropped;
    pthread_mutex_unlock(&w->mu);
    if (dropped)
        log_warn("kubernetes", "watch %s: %llu objects over the bound of %zu dropped",
                 w->cfg.name, (unsigned long long)dropped, w->cfg.max_objects);
    return 0;
}

static int on_line(void *ud, const char *line, size_t len)
{
    struct kube_watch *w = ud;
    if (len == 0)
        return 0;
    struct kube_event ev;
    char err[300];
    if (kube_watch_decode(line, len, &ev, err, sizeof err) != 0) {
        set_error(w, "a watch event could not be read: ", err);
        w->stream_failed = 1;
        return 1;
    }
    if (ev.type == KUBE_EVENT_ERROR) {
        if (ev.code == 410) {
            w->gone = 1;
        } else {
            char d[200];
            snprintf(d, sizeof d, "code %ld: %.150s", ev.code,
                     json_string_value(json_object_get(ev.object, "message"))
                         ? json_string_value(json_object_get(ev.object, "message"))
                         : "");
            set_error(w, "ERROR event ", d);
            w->stream_failed = 1;
        }
        kube_event_clear(&ev);
        return 1;
    }
    pthread_mutex_lock(&w->mu);
    w->st.events++;
    if (ev.type == KUBE_EVENT_BOOKMARK)
        w->st.bookmarks++;
    else if (ev.type == KUBE_EVENT_DELETED)
        json_object_del(w->objects, ev.key);
    else if (store_put(w, w->objects, ev.key, ev.object) != 0)
        w->st.dropped++;
    snprintf(w->st.rv, sizeof w->st.rv, "%s", ev.rv);
    pthread_mutex_unlock(&w->mu);
    kube_event_clear(&ev);
    return 0;
}

/* One WATCH stream from the last resourceVersion.
 * 0: it ended normally (resume); 1: 410 Gone (list again); -1: failed. */
static int do_watch(struct kube_watch *w)
{
    char sel[600], rv[128], erv[400], path[1400], err[400];
    pthread_mutex_lock(&w->mu);
    snprintf(rv, sizeof rv, "%s", w->st.rv);
    w->st.watches++;
    pthread_mutex_unlock(&w->mu);
    if (selector_query(w, sel, sizeof sel) != 0 || kube_escape(rv, erv, sizeof erv) != 0)
        return -1;
    snprintf(path, sizeof path,
             "%s?watch=1&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%u%s",
             w->cfg.path, erv, w->cfg.watch_timeout_s, sel);
    w->gone = w->stream_failed = 0;
    struct kube_call call = {.path = path,
                             .timeout_ms = (int)(w->cfg.watch_timeout_s + 15) * 1000,
                             .max_body = 64 * 1024,
                             .on_line = on_line,
                             .line_ud = w,
                             .max_line = KUBE_MAX_EVENT_BYTES,
                             .cancel = &w->stop};
    struct net_response resp;
    int rc = kube_call(w->kc, &call, &resp, err, sizeof err);
    int out = 0;
    if (atomic_load(&w->stop)) {
        out = 0;
    } else if (rc != 0) {
        /* a dropped connection ends here too: resumed from the last version */
        set_error(w, "watch: ", err);
        out = -1;
    } else if (resp.status == 410 || w->gone) {
        out = 1;
    } else if (resp.status < 200 || resp.status > 299) {
        kube_status_text(&resp, err, sizeof err);
        set_error(w, "watch: ", err);
        out = -1;
    } else if (w->stream_failed) {
        out = 1; /* a line we could not read: the copy may miss it, list again */
    }
    net_response_free(&resp);
    return out;
}

/* Sleeps ms in slices, returning early when stopped. */
static void nap(struct kube_watch *w, unsigned ms)
{
    while (ms > 0 && !atomic_load(&w->stop)) {
        unsigned s = ms > 100 ? 100 : ms;
        struct timespec ts = {0, (long)s * 1000000L};
        nanosleep(&ts, NULL);
        ms -= s;
    }
}

static void *watch_main(void *arg)
{
    struct kube_watch *w = arg;
    unsigned failures = 0;
    int need_list = 1;
    while (!atomic_load(&w->stop)) {
        int r = 0;
        if (need_list) {
            r = do_list(w);
            if (r == 0)
                need_list = 0;
        } else {
            r = do_watch(w);
            if (r == 1) {
                pthread_mutex_lock(&w->mu);
                w->st.gone++;
                pthread_mutex_unlock(&w->mu);
                log_info("kubernetes", "watch %s: resourceVersion too old (410 Gone), listing again",
                         w->cfg.name);
                need_list = 1;
                r = 0;
            }
        }
        if (r < 0) {
            uint64_t rnd = 0;
            crypto_random(&rnd, sizeof rnd);
            nap(w, net_backoff_ms(++failures, w->cfg.backoff_base_ms, KUBE_WATCH_BACKOFF_MAX_MS,
                                  rnd));
        } else {
            failures = 0;
        }
    }
    return NULL;
}

int kube_watch_start(struct kube_watch *w)
{
    if (w->running)
        return -1;
    atomic_store(&w->stop, 0);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0)
        return -1;
    w->running = 1;
    return 0;
}

void kube_watch_stop(struct kube_watch *w)
{
    if (!w || !w->running)
        return;
    atomic_store(&w->stop, 1);
    pthread_join(w->thread, NULL);
    w->running = 0;
}

void kube_watch_destroy(struct kube_watch *w)
{
    if (!w)
        return;
    kube_watch_stop(w);
    json_decref(w->objects);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

json_t *kube_watch_snapshot(struct kube_watch *w)
{
    pthread_mutex_lock(&w->mu);
    json_t *copy = json_deep_copy(w->objects);
    pthread_mutex_unlock(&w->mu);
    return copy;
}

void kube_watch_get_stats(struct kube_watch *w, struct kube_watch_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->st;
    pthread_mutex_unlock(&w->mu);
}
