#include "core/evidence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonin.h"

static const char *const type_names[EV__COUNT] = {
    "probe_result", "log_excerpt", "metric_snapshot", "k8s_object", "investigation", "operator_note",
};

const char *evidence_type_name(enum evidence_type t)
{
    return (t >= 0 && t < EV__COUNT) ? type_names[t] : "unknown";
}

int evidence_type_parse(const char *s, enum evidence_type *out)
{
    for (int i = 0; s && i < EV__COUNT; i++)
        if (strcmp(s, type_names[i]) == 0) {
            *out = (enum evidence_type)i;
            return 0;
        }
    return -1;
}

void evidence_hash(struct evidence *e)
{
    /* Incremental hashing would need an OpenSSL context here; evidence is at most
     * ~17 KiB, so one contiguous buffer is simpler and cheap. */
    const char *tn = evidence_type_name(e->type);
    size_t tl = strlen(tn), sl = strlen(e->summary);
    size_t n = tl + 1 + sl + 1 + e->data_len;
    char *buf = malloc(n);
    if (!buf) {
        e->hash[0] = '\0';
        return;
    }
    memcpy(buf, tn, tl);
    buf[tl] = '\n';
    memcpy(buf + tl + 1, e->summary, sl);
    buf[tl + 1 + sl] = '\n';
    if (e->data_len)
        memcpy(buf + tl + 2 + sl, e->data, e->data_len);
    crypto_sha256_hex(buf, n, e->hash);
    free(buf);
}

int evidence_from_json(json_t *obj, const char *base, struct evidence *out, struct problems *p)
{
    size_t before = p->count;
    struct evidence e;
    memset(&e, 0, sizeof e);
    if (!json_is_object(obj)) {
        problems_add(p, base, "type", "must be an object");
        return -1;
    }
    static const char *const known[] = {"type", "summary", "data", NULL};
    jsonin_no_unknown(obj, base, known, p);

    char path[PROBLEM_PATH_MAX];
    const char *type = jsonin_string(obj, base, "type", 1, 32, p);
    if (type && evidence_type_parse(type, &e.type) != 0) {
        json_pointer_child(path, sizeof path, base, "type");
        problems_add(p, path, "enum",
                     "must be one of probe_result, log_excerpt, metric_snapshot, k8s_object, "
                     "investigation, operator_note");
    }
    const char *summary = jsonin_string(obj, base, "summary", 1, EVIDENCE_SUMMARY_MAX, p);
    if (summary)
        snprintf(e.summary, sizeof e.summary, "%s", summary);

    json_t *data = json_object_get(obj, "data");
    char *text = json_dumps(data ? data : json_null(),
                            JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!text) {
        json_pointer_child(path, sizeof path, base, "data");
        problems_add(p, path, "type", "cannot be encoded");
    } else if (strlen(text) > EVIDENCE_DATA_MAX) {
        json_pointer_child(path, sizeof path, base, "data");
        problems_add(p, path, "too_large", "is %zu bytes as compact JSON; the limit is %d",
                     strlen(text), EVIDENCE_DATA_MAX);
    }
    if (p->count != before) {
        free(text);
        return -1;
    }
    e.data = text;
    e.data_len = strlen(text);
    evidence_hash(&e);
    *out = e;
    return 0;
}

json_t *evidence_to_json(const struct evidence *e)
{
    json_error_t err;
    json_t *data = json_loadb(e->data ? e->data : "null", e->data ? e->data_len : 4,
                              JSON_DECODE_ANY, &err);
    return json_pack("{s:s, s:s, s:o, s:s}", "type", evidence_type_name(e->type), "summary",
                     e->summary, "data", data ? data : json_null(), "hash", e->hash);
}

void evidence_clear(struct evidence *e)
{
    if (!e)
        return;
    free(e->data);
    e->data = NULL;
    e->data_len = 0;
}
