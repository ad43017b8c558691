#include "sources/finding.h"

#include <stdio.h>
#include <string.h>

#include "util/crypto.h"
#include "util/timeutil.h"

/* A copy of s cut to at most max bytes without splitting a UTF-8 sequence. */
static json_t *bounded_string(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return json_stringn(s, n);
}

/* The ledger accepts sources of [A-Za-z0-9._:/-]{1,64}; anything else becomes '-'. */
static json_t *source_name(const char *s)
{
    char out[65];
    size_t n = 0;
    for (; n < 64 && s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == ':' || c == '/' || c == '-';
        out[n] = ok ? (char)c : '-';
    }
    out[n] = '\0';
    return json_string(n ? out : "source");
}

json_t *finding_new(const char *source, const char *cls, const char *key, const char *severity,
                    int firing, const char *summary, int64_t observed_ms)
{
    const char *status = firing ? "firing" : "resolved";
    char when[32];
    time_format_rfc3339(observed_ms, when, sizeof when);

    /* Stable id: same observation, same id. */
    char basis[1024];
    int n = snprintf(basis, sizeof basis, "%s|%s|%s|%s|%lld", source, cls, key, status,
                     (long long)observed_ms);
    size_t blen = n < 0 ? 0 : (size_t)n >= sizeof basis ? sizeof basis - 1 : (size_t)n;
    char hex[SHA256_HEX_LEN];
    crypto_sha256_hex(basis, blen, hex);
    char id[40];
    snprintf(id, sizeof id, "src:%.32s", hex);

    json_t *f = json_object();
    if (!f)
        return NULL;
    json_object_set_new(f, "id", json_string(id));
    json_object_set_new(f, "source", source_name(source));
    json_object_set_new(f, "class", json_string(cls));
    json_object_set_new(f, "correlation_key", bounded_string(key, 256));
    json_object_set_new(f, "severity", json_string(severity));
    json_object_set_new(f, "status", json_string(status));
    json_object_set_new(f, "summary", bounded_string(summary, 512));
    json_object_set_new(f, "observed_at", json_string(when));
    return f;
}

void finding_evidence(json_t *finding, const char *type, const char *summary, json_t *data)
{
    json_t *ev = json_object_get(finding, "evidence");
    if (!ev) {
        ev = json_array();
        json_object_set_new(finding, "evidence", ev);
    }
    json_t *item = json_object();
    json_object_set_new(item, "type", json_string(type));
    json_object_set_new(item, "summary", bounded_string(summary, 512));
    json_object_set_new(item, "data", data ? data : json_object());
    json_array_append_new(ev, item);
}

void finding_attr(json_t *finding, const char *name, json_t *value)
{
    json_t *attrs = json_object_get(finding, "attributes");
    if (!attrs) {
        attrs = json_object();
        json_object_set_new(finding, "attributes", attrs);
    }
    json_object_set_new(attrs, name, value);
}
