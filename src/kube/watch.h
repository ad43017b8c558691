/* List + watch of one resource, keeping a bounded local copy of its objects
 * (the reflector of client-go, in small; reference/protocols.md 8.4).
 *
 * One thread per watched resource: LIST (paged, limit + continue) fills a new
 * copy that replaces the old one whole, then WATCH from the list's
 * resourceVersion with allowWatchBookmarks; every event's resourceVersion is
 * remembered, so a stream the server ends (its timeoutSeconds, a restart, a
 * dropped connection) is resumed from the last one seen and no event is lost
 * in between. 410 Gone (the answer or an ERROR event with code 410) means that
 * version is too old: LIST again. Any other failure waits a capped
 * exponential backoff with jitter, then resumes. Memory is bounded: only what
 * the trim function keeps of each object is stored, at most max_objects of
 * them (more are dropped and counted), and a watch line is at most
 * KUBE_MAX_EVENT_BYTES.
 */
#ifndef SREBOT_KUBE_WATCH_H
#define SREBOT_KUBE_WATCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/client.h"

#define KUBE_MAX_EVENT_BYTES (2u * 1024u * 1024u)
#define KUBE_WATCH_MAX_OBJECTS 20000
#define KUBE_WATCH_BACKOFF_MAX_MS 30000

/* ---- one watch event line (watchdec.c; fuzzed) ---- */
enum kube_event_type {
    KUBE_EVENT_ADDED,
    KUBE_EVENT_MODIFIED,
    KUBE_EVENT_DELETED,
    KUBE_EVENT_BOOKMARK,
    KUBE_EVENT_ERROR
};
struct kube_event {
    enum kube_event_type type;
    json_t *object;          /* owned by the event: kube_event_clear */
    const char *rv;          /* metadata.resourceVersion ("" for ERROR), inside object */
    char key[320];           /* "<namespace>/<name>" or "<name>" (cluster-scoped); "" for
                              * BOOKMARK and ERROR */
    long code;               /* ERROR: the Status code (410 = too old) */
};
/* Decodes `{"type":..,"object":{..}}`. 0, or -1 with "<JSON Pointer>: <reason>"
 * in err. Bounded by KUBE_MAX_EVENT_BYTES and KUBE_MAX_DEPTH. */
int kube_watch_decode(const char *line, size_t len, struct kube_event *ev, char *err,
                      size_t errlen);
void kube_event_clear(struct kube_event *ev);
/* The store key of an object: "<namespace>/<name>" or "<name>". -1 without a name. */
int kube_object_key(const json_t *obj, char *out, size_t outlen);

/* ---- the watcher ---- */
struct kube_watch_config {
    const char *name;            /* for logs and stats: "pods" */
    const char *path;            /* the list path: "/api/v1/pods", "/apis/apps/v1/deployments" */
    const char *field_selector;  /* NULL, or e.g. "type=Warning" (escaped here) */
    /* What is kept of an object (a new reference); NULL keeps it whole. */
    json_t *(*trim)(const json_t *obj);
    size_t max_objects;          /* 0: KUBE_WATCH_MAX_OBJECTS */
    unsigned watch_timeout_s;    /* the watch's timeoutSeconds; 0: 300 */
    unsigned page_size;          /* list limit; 0: 500 */
    unsigned backoff_base_ms;    /* 0: 500 */
};

struct kube_watch_stats {
    int synced;                 /* a list completed since the start */
    uint64_t lists, watches, events, bookmarks, gone, errors, dropped;
    char rv[128];               /* the last resourceVersion seen */
    char last_error[256];
};

struct kube_watch;
/* cfg's strings must outlive the watcher. kc is shared, not owned. */
int kube_watch_create(struct kube_client *kc, const struct kube_watch_config *cfg,
                      struct kube_watch **out, char *err, size_t errlen);
int kube_watch_start(struct kube_watch *w);
/* Ends the stream in progress (cancel) and joins the thread. */
void kube_watch_stop(struct kube_watch *w);
void kube_watch_destroy(struct kube_watch *w); /* stops first; accepts NULL */
/* A copy of the objects now ({key: trimmed object}); new reference. */
json_t *kube_watch_snapshot(struct kube_watch *w);
void kube_watch_get_stats(struct kube_watch *w, struct kube_watch_stats *out);

#endif
