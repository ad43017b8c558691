#include "util/yaml_json.h"

#include <stdio.h>
#include <string.h>

#ifdef SREBOT_WITH_YAML
#include <yaml.h>

struct walk {
    yaml_document_t *doc;
    size_t nodes;
    char *err;
    size_t errlen;
};

static json_t *convert(struct walk *w, yaml_node_t *n, int depth, const char *path);

static json_t *fail(struct walk *w, const char *path, const char *why)
{
    if (!w->err[0])
        snprintf(w->err, w->errlen, "%s: %s", path[0] ? path : "/", why);
    return NULL;
}

/* JSON Pointer escaping of one key into path (cut at the buffer's end). */
static void path_join(char *out, size_t outlen, const char *base, const char *key)
{
    size_t o = (size_t)snprintf(out, outlen, "%s/", base);
    for (const char *k = key; *k && o + 3 < outlen; k++) {
        if (*k == '~' || *k == '/') {
            out[o++] = '~';
            out[o++] = *k == '~' ? '0' : '1';
        } else {
            out[o++] = *k;
        }
    }
    if (o < outlen)
        out[o] = '\0';
}

static json_t *convert_mapping(struct walk *w, yaml_node_t *n, int depth, const char *path)
{
    json_t *obj = json_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; obj && p < n->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE) {
            json_decref(obj);
            return fail(w, path, "a mapping key must be a plain value");
        }
        const char *key = (const char *)k->data.scalar.value;
        if (strlen(key) != k->data.scalar.length) {
            json_decref(obj);
            return fail(w, path, "a mapping key holds a NUL byte");
        }
        char sub[512];
        path_join(sub, sizeof sub, path, key);
        if (json_object_get(obj, key)) {
            json_decref(obj);
            return fail(w, sub, "duplicate key");
        }
        json_t *jv = convert(w, v, depth + 1, sub);
        if (!jv || json_object_set_new(obj, key, jv) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *convert(struct walk *w, yaml_node_t *n, int depth, const char *path)
{
    if (++w->nodes > YAML_JSON_MAX_NODES)
        return fail(w, path, "too many nodes (aliases expanded count too)");
    if (depth > YAML_JSON_MAX_DEPTH)
        return fail(w, path, "nested too deeply");
    switch (n->type) {
    case YAML_SCALAR_NODE: {
        json_t *s = json_stringn((const char *)n->data.scalar.value, n->data.scalar.length);
        return s ? s : fail(w, path, "a value is not valid UTF-8");
    }
    case YAML_SEQUENCE_NODE: {
        json_t *arr = json_array();
        size_t i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             arr && it < n->data.sequence.items.top; it++, i++) {
            char sub[512];
            snprintf(sub, sizeof sub, "%.480s/%zu", path, i);
            yaml_node_t *c = yaml_document_get_node(w->doc, *it);
            json_t *jv = c ? convert(w, c, depth + 1, sub) : NULL;
            if (!jv || json_array_append_new(arr, jv) != 0) {
                json_decref(arr);
                return c ? NULL : fail(w, sub, "dangling item");
            }
        }
        return arr;
    }
    case YAML_MAPPING_NODE:
        return convert_mapping(w, n, depth, path);
    default:
        return fail(w, path, "empty node");
    }
}

json_t *yaml_to_json(const char *buf, size_t len, char *err, size_t errlen)
{
    err[0] = '\0';
    if (len > YAML_JSON_MAX_BYTES) {
        snprintf(err, errlen, "larger than %u bytes", YAML_JSON_MAX_BYTES);
        return NULL;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "line %zu column %zu: %s", parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        return NULL;
    }
    json_t *out;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        out = json_object(); /* an empty stream */
    } else {
        struct walk w = {.doc = &doc, .err = err, .errlen = errlen};
        out = convert(&w, root, 0, "");
        if (!out && !err[0])
            snprintf(err, errlen, "out of memory");
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return out;
}

#else

json_t *yaml_to_json(const char *buf, size_t len, char *err, size_t errlen)
{
    (void)buf;
    (void)len;
    snprintf(err, errlen, "this build has no YAML support (build option SREBOT_WITH_YAML)");
    return NULL;
}

#endif
