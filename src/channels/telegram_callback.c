/* Telegram updates, as the webhook delivers them (one Update per request, with
 * the secret token in X-Telegram-Bot-Api-Secret-Token) or as getUpdates returns
 * them. Only callback queries from our inline keyboards carry a verb; their
 * callback_data is "approve:<id>" or "reject:<id>" (at most 64 bytes). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "channels/telegram.h"
#include "core/jsonin.h"
#include "util/crypto.h"
#include "util/parse.h"

#define UPDATE_DEPTH 16

void telegram_callback_data(int approve, int64_t approval_id, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s:%" PRId64, approve ? "approve" : "reject", approval_id);
}

/* A Telegram id (integer, may be negative for groups) as text. */
static int id_field(json_t *obj, const char *base, const char *key, int required, char *out,
                    size_t outlen, struct problems *p)
{
    char path[PROBLEM_PATH_MAX];
    json_pointer_child(path, sizeof path, base, key);
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            problems_add(p, path, "required", "is required");
        return -1;
    }
    if (!json_is_integer(v)) {
        problems_add(p, path, "type", "must be an integer");
        return -1;
    }
    snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return 0;
}

static json_t *object_at(json_t *obj, const char *base, const char *key, int required,
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

static void parse_data(const char *data, const char *path, struct chat_callback *out,
                       struct problems *p)
{
    const char *id = NULL;
    if (strncmp(data, "approve:", 8) == 0) {
        out->verb = CHAT_VERB_APPROVE;
        id = data + 8;
    } else if (strncmp(data, "reject:", 7) == 0) {
        out->verb = CHAT_VERB_REJECT;
        id = data + 7;
    }
    if (!id || parse_int64_str(id, 1, INT64_MAX, &out->target) != 0) {
        out->verb = CHAT_VERB_NONE;
        problems_add(p, path, "format", "must be approve:<id> or reject:<id>");
    }
}

int telegram_update_from_json(json_t *update, const char *base, struct chat_callback *out,
                              struct problems *p)
{
    char path[PROBLEM_PATH_MAX], sub[PROBLEM_PATH_MAX];
    long long uid = 0;
    memset(out, 0, sizeof *out);
    if (!json_is_object(update)) {
        problems_add(p, base, "type", "an update must be a JSON object");
        return -1;
    }
    if (jsonin_int(update, base, "update_id", 1, 0, INT64_MAX, &uid, p) == 0)
        out->update_id = (int64_t)uid;
    json_t *q = object_at(update, base, "callback_query", 0, path, p);
    if (!q)
        return problems_any(p) ? -1 : 0; /* another kind of update: nothing to do */
    snprintf(out->query_id, sizeof out->query_id, "%s",
             jsonin_string(q, path, "id", 1, CHAT_ID_MAX - 1, p) ?: "");
    json_t *from = object_at(q, path, "from", 1, sub, p);
    if (from) {
        id_field(from, sub, "id", 1, out->user_id, sizeof out->user_id, p);
        const char *name = json_string_value(json_object_get(from, "username"));
        if (!name)
            name = json_string_value(json_object_get(from, "first_name"));
        snprintf(out->user_name, sizeof out->user_name, "%s",
                 name && strlen(name) < CHAT_ID_MAX ? name : "");
    }
    json_t *msg = object_at(q, path, "message", 0, sub, p);
    if (msg) {
        char mid[32] = "", cpath[PROBLEM_PATH_MAX];
        id_field(msg, sub, "message_id", 1, mid, sizeof mid, p);
        json_t *chat = object_at(msg, sub, "chat", 1, cpath, p);
        if (chat)
            id_field(chat, cpath, "id", 1, out->conversation, sizeof out->conversation, p);
        if (mid[0] && out->conversation[0])
            snprintf(out->message_ref, sizeof out->message_ref, "%s/%s", out->conversation,
                     mid);
    }
    const char *data = jsonin_string(q, path, "data", 1, TELEGRAM_CALLBACK_DATA_MAX, p);
    if (data) {
        json_pointer_child(sub, sizeof sub, path, "data");
        parse_data(data, sub, out, p);
    }
    return problems_any(p) ? -1 : 0;
}

int telegram_parse_update(const char *body, size_t len, struct chat_callback *out,
                          struct problems *p)
{
    memset(out, 0, sizeof *out);
    json_t *doc = jsonin_parse(body, len, TELEGRAM_UPDATE_MAX_BODY, UPDATE_DEPTH, p);
    if (!doc)
        return -1;
    int rc = telegram_update_from_json(doc, "", out, p);
    json_decref(doc);
    return rc;
}

int telegram_secret_ok(const char *expected, const char *header)
{
    uint8_t a[SHA256_LEN], b[SHA256_LEN];
    if (!expected || !*expected || !header)
        return 0;
    crypto_sha256(expected, strlen(expected), a);
    crypto_sha256(header, strlen(header), b);
    return crypto_equal(a, b, sizeof a);
}
