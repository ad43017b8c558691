/* Parsers of Slack's callbacks, run after the signature check (slack_sign.c):
 * the interactivity request (a form with one field, payload=<JSON>) and the
 * slash command (a form). Both are bounded (SLACK_CALLBACK_MAX_BODY, field
 * sizes, JSON depth) and report every rejection with a JSON path and a reason. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/slack.h"
#include "core/jsonin.h"
#include "util/parse.h"

#define PAYLOAD_DEPTH 24

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes one form value (len bytes at s) into out. -2 when malformed or too long. */
static int form_decode(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len)
                return -2;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -2;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c == 0 || o + 1 >= outlen)
            return -2;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

int slack_form_field(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    size_t i = 0;
    if (outlen == 0)
        return -2;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        const char *eq = memchr(body + i, '=', end - i);
        size_t klen = eq ? (size_t)(eq - (body + i)) : end - i;
        if (klen == nlen && memcmp(body + i, name, nlen) == 0) {
            if (!eq) {
                out[0] = '\0';
                return 0;
            }
            return form_decode(eq + 1, (size_t)(body + end - (eq + 1)), out, outlen);
        }
        i = end + 1;
    }
    return -1;
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* obj[key] as an object, with a type problem when it is something else. */
static json_t *sub_object(json_t *obj, const char *base, const char *key, int required,
                          char *path, struct problems *p)
{
    json_pointer_child(path, PROBLEM_PATH_MAX, base, key);
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            problems_add(p, path, "required", "is required");
        return NULL;
    }
    if (!json_is_object(v)) {
        problems_add(p, path, "type", "must be an object");
        return NULL;
    }
    return v;
}

/* The button: action_id approve | reject, value = a positive approval id. */
static void parse_action(json_t *a, const char *path, struct chat_callback *out,
                         struct problems *p)
{
    char vpath[PROBLEM_PATH_MAX];
    const char *id = jsonin_string(a, path, "action_id", 1, 255, p);
    const char *value = jsonin_string(a, path, "value", 1, 2000, p);
    if (id) {
        if (strcmp(id, "approve") == 0)
            out->verb = CHAT_VERB_APPROVE;
        else if (strcmp(id, "reject") == 0)
            out->verb = CHAT_VERB_REJECT;
        else {
            json_pointer_child(vpath, sizeof vpath, path, "action_id");
            problems_add(p, vpath, "enum", "must be approve or reject");
        }
    }
    if (value && parse_int64_str(value, 1, INT64_MAX, &out->target) != 0) {
        json_pointer_child(vpath, sizeof vpath, path, "value");
        problems_add(p, vpath, "format", "must be an approval request id");
    }
}

int slack_parse_interaction(const char *body, size_t len, struct chat_callback *out,
                            struct problems *p)
{
    memset(out, 0, sizeof *out);
    if (len > SLACK_CALLBACK_MAX_BODY) {
        problems_add(p, "", "too_large", "the body is larger than %d bytes",
                     SLACK_CALLBACK_MAX_BODY);
        return -1;
    }
    static char const field[] = "payload";
    char *payload = malloc(len + 1);
    if (!payload) {
        problems_add(p, "", "too_large", "out of memory");
        return -1;
    }
    int rc = slack_form_field(body, len, field, payload, len + 1);
    if (rc != 0) {
        problems_add(p, "", rc == -1 ? "required" : "format",
                     rc == -1 ? "the form has no payload field"
                              : "the payload field is not valid form encoding");
        free(payload);
        return -1;
    }
    json_t *doc = jsonin_parse(payload, strlen(payload), SLACK_CALLBACK_MAX_BODY, PAYLOAD_DEPTH, p);
    free(payload);
    if (!doc)
        return -1;
    char path[PROBLEM_PATH_MAX];
    if (!json_is_object(doc)) {
        problems_add(p, "", "type", "the payload must be a JSON object");
        goto out;
    }
    const char *type = jsonin_string(doc, "", "type", 1, 64, p);
    if (type && strcmp(type, "block_actions") != 0)
        problems_add(p, "/type", "enum", "only block_actions is handled");
    json_t *user = sub_object(doc, "", "user", 1, path, p);
    if (user) {
        copy(out->user_id, sizeof out->user_id, jsonin_string(user, path, "id", 1, 63, p));
        const char *name = json_string_value(json_object_get(user, "username"));
        copy(out->user_name, sizeof out->user_name, name && strlen(name) < 64 ? name : "");
    }
    char cpath[PROBLEM_PATH_MAX];
    json_t *container = sub_object(doc, "", "container", 0, cpath, p);
    json_t *channel = sub_object(doc, "", "channel", 0, path, p);
    const char *chan = channel ? jsonin_string(channel, path, "id", 0, 63, p) : NULL;
    if (!chan && container)
        chan = jsonin_string(container, cpath, "channel_id", 0, 63, p);
    copy(out->conversation, sizeof out->conversation, chan);
    const char *ts = container ? jsonin_string(container, cpath, "message_ts", 0, 63, p) : NULL;
    if (chan && ts)
        snprintf(out->message_ref, sizeof out->message_ref, "%s/%s", chan, ts);

    json_pointer_child(path, sizeof path, "", "actions");
    json_t *actions = json_object_get(doc, "actions");
    if (!json_is_array(actions) || json_array_size(actions) == 0) {
        problems_add(p, path, actions ? "type" : "required", "must be a non-empty array");
    } else {
        char apath[PROBLEM_PATH_MAX];
        json_pointer_index(apath, sizeof apath, path, 0);
        json_t *a = json_array_get(actions, 0);
        if (!json_is_object(a))
            problems_add(p, apath, "type", "must be an object");
        else
            parse_action(a, apath, out, p);
    }
out:
    json_decref(doc);
    return problems_any(p) ? -1 : 0;
}

/* "incidents" | "ack 42" | anything else -> help. */
static void parse_command_text(const char *text, struct chat_callback *out, struct problems *p)
{
    while (*text == ' ')
        text++;
    if (strcmp(text, "incidents") == 0 || strcmp(text, "incidents ") == 0) {
        out->verb = CHAT_VERB_INCIDENTS;
    } else if (strncmp(text, "ack ", 4) == 0) {
        const char *id = text + 4;
        while (*id == ' ')
            id++;
        if (*id == '#')
            id++;
        out->verb = CHAT_VERB_ACK;
        if (parse_int64_str(id, 1, INT64_MAX, &out->target) != 0)
            problems_add(p, "/text", "format", "ack needs an incident id: ack 42");
    } else {
        out->verb = CHAT_VERB_HELP;
    }
}

int slack_parse_command(const char *body, size_t len, struct chat_callback *out,
                        struct problems *p)
{
    char text[256];
    memset(out, 0, sizeof *out);
    if (len > SLACK_CALLBACK_MAX_BODY) {
        problems_add(p, "", "too_large", "the body is larger than %d bytes",
                     SLACK_CALLBACK_MAX_BODY);
        return -1;
    }
    static const struct {
        const char *name;
        size_t off, cap;
    } fields[] = {
        {"user_id", offsetof(struct chat_callback, user_id), CHAT_ID_MAX},
        {"user_name", offsetof(struct chat_callback, user_name), CHAT_ID_MAX},
        {"channel_id", offsetof(struct chat_callback, conversation), CHAT_ID_MAX},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int rc = slack_form_field(body, len, fields[i].name, (char *)out + fields[i].off,
                                  fields[i].cap);
        char path[PROBLEM_PATH_MAX];
        json_pointer_child(path, sizeof path, "", fields[i].name);
        if (rc == -2)
            problems_add(p, path, "format", "must be form-encoded, at most %zu bytes",
                         fields[i].cap - 1);
        else if (rc == -1 && i != 1)
            problems_add(p, path, "required", "is required");
    }
    if (!out->user_id[0] && !problems_any(p))
        problems_add(p, "/user_id", "required", "must not be empty");
    int rc = slack_form_field(body, len, "text", text, sizeof text);
    if (rc == -2)
        problems_add(p, "/text", "format", "must be form-encoded, at most %zu bytes",
                     sizeof text - 1);
    else
        parse_command_text(rc == 0 ? text : "", out, p);
    return problems_any(p) ? -1 : 0;
}
