/* One line of a watch stream: {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{..}}. */
#include <stdio.h>
#include <string.h>

#include "core/jsonin.h"
#include "kube/watch.h"

void kube_event_clear(struct kube_event *ev)
{
    json_decref(ev->object);
    memset(ev, 0, sizeof *ev);
}

int kube_object_key(const json_t *obj, char *out, size_t outlen)
{
    const json_t *md = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    if (!name || !name[0])
        return -1;
    int n = ns && ns[0] ? snprintf(out, outlen, "%s/%s", ns, name)
                        : snprintf(out, outlen, "%s", name);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static const char *const type_names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

int kube_watch_decode(const char *line, size_t len, struct kube_event *ev, char *err,
                      size_t errlen)
{
    memset(ev, 0, sizeof *ev);
    char jerr[200];
    json_t *doc = jsonin_parse_text(line, len, KUBE_MAX_EVENT_BYTES, KUBE_MAX_DEPTH, jerr,
                                    sizeof jerr);
    if (!doc) {
        snprintf(err, errlen, ": %s", jerr);
        return -1;
    }
    int rc = -1;
    const char *type = json_string_value(json_object_get(doc, "type"));
    json_t *obj = json_object_get(doc, "object");
    size_t t = 0;
    while (type && t < sizeof type_names / sizeof type_names[0] && strcmp(type, type_names[t]))
        t++;
    if (!type || t == sizeof type_names / sizeof type_names[0]) {
        snprintf(err, errlen, "/type: %s", type ? "not a watch event type" : "required, a string");
        goto out;
    }
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "/object: required, an object");
        goto out;
    }
    ev->type = (enum kube_event_type)t;
    if (ev->type == KUBE_EVENT_ERROR) {
        /* a Status: {"kind":"Status","code":410,"reason":"Expired",...} */
        json_t *code = json_object_get(obj, "code");
        ev->code = json_is_integer(code) ? (long)json_integer_value(code) : 0;
        ev->rv = "";
    } else {
        json_t *md = json_object_get(obj, "metadata");
        const char *rv = json_string_value(json_object_get(md, "resourceVersion"));
        if (!json_is_object(md)) {
            snprintf(err, errlen, "/object/metadata: required, an object");
            goto out;
        }
        if (!rv || !rv[0] || strlen(rv) >= 128) {
            snprintf(err, errlen, "/object/metadata/resourceVersion: required, 1-127 bytes");
            goto out;
        }
        ev->rv = rv;
        if (ev->type != KUBE_EVENT_BOOKMARK &&
            kube_object_key(obj, ev->key, sizeof ev->key) != 0) {
            snprintf(err, errlen, "/object/metadata/name: required (namespace/name under %zu bytes)",
                     sizeof ev->key);
            goto out;
        }
    }
    ev->object = json_incref(obj);
    rc = 0;
out:
    json_decref(doc);
    return rc;
}
