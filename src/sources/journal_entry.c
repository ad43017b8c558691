#include "sources/journal_entry.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonin.h"
#include "core/problems.h"

/* A string value, or an array of byte values, into out (at most cap - 1
 * bytes, stopped at a newline or NUL); control bytes and invalid bytes become
 * '?'. Returns 1 when the value was usable, 0 for null, -1 for a wrong type. */
static int value_text(const json_t *v, char *out, size_t cap)
{
    size_t n = 0;
    if (json_is_null(v) || !v) {
        out[0] = '\0';
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        for (size_t i = 0; i < len && n + 1 < cap && s[i] != '\n' && s[i] != '\0'; i++)
            out[n++] = ((unsigned char)s[i] < 0x20 && s[i] != '\t') ? '?' : s[i];
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *b;
        json_array_foreach(v, i, b) {
            if (!json_is_integer(b) || json_integer_value(b) < 0 || json_integer_value(b) > 255)
                return -1;
            int c = (int)json_integer_value(b);
            if (c == '\n' || c == 0 || n + 1 >= cap)
                break;
            /* Bytes are not necessarily text: keep printable ASCII only. */
            out[n++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
        }
    } else {
        return -1;
    }
    out[n] = '\0';
    return 1;
}

int journal_entry_parse(const char *line, size_t len, struct journal_entry *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len > JOURNAL_LINE_MAX) {
        snprintf(err, errlen, "entry larger than %u bytes", JOURNAL_LINE_MAX);
        return -1;
    }
    struct problems *p = problems_create();
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Depth 3: the object, a byte array, its numbers. */
    json_t *o = jsonin_parse(line, len, JOURNAL_LINE_MAX, 3, p);
    int rc = -1;
    if (!o) {
        snprintf(err, errlen, "%s", p->count ? p->items[0].message : "invalid JSON");
        goto out;
    }
    if (!json_is_object(o)) {
        snprintf(err, errlen, "an entry must be a JSON object");
        goto out;
    }
    const json_t *cur = json_object_get(o, "__CURSOR");
    if (!json_is_string(cur) || json_string_length(cur) == 0 ||
        json_string_length(cur) > JOURNAL_CURSOR_MAX ||
        strlen(json_string_value(cur)) != json_string_length(cur)) {
        snprintf(err, errlen, "/__CURSOR: must be a string of 1 to %d bytes", JOURNAL_CURSOR_MAX);
        goto out;
    }
    memcpy(out->cursor, json_string_value(cur), json_string_length(cur) + 1);
    char num[32];
    const json_t *rt = json_object_get(o, "__REALTIME_TIMESTAMP");
    if (rt && value_text(rt, num, sizeof num) > 0) {
        char *end;
        long long us = strtoll(num, &end, 10);
        out->realtime_us = *end == '\0' && us > 0 ? us : 0;
    }
    int r = value_text(json_object_get(o, "MESSAGE"), out->message, sizeof out->message);
    if (r < 0) {
        snprintf(err, errlen, "/MESSAGE: must be a string, null or an array of bytes");
        goto out;
    }
    out->has_message = r > 0;
    if (value_text(json_object_get(o, "_SYSTEMD_UNIT"), out->unit, sizeof out->unit) <= 0 &&
        value_text(json_object_get(o, "SYSLOG_IDENTIFIER"), out->unit, sizeof out->unit) <= 0)
        out->unit[0] = '\0';
    rc = 0;
out:
    json_decref(o);
    problems_destroy(p);
    return rc;
}
