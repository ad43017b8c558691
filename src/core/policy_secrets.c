/* Secrets never live in the policy: a field whose name reads like a secret must
 * hold a reference ({"secret_ref":{"env":..}} / {"file":..}), never a string.
 * The scan runs over the whole document, known fields or not, so a secret
 * pasted into a misspelt field is refused as well. Redaction is the second
 * line: whatever reaches output passes through policy_redact(). */
#include <string.h>
#include <strings.h>

#include "core/policy_internal.h"

static const char *const secret_words[] = {"token",       "secret",     "password", "passwd",
                                           "webhook_url", "api_key",    "apikey",   "credential",
                                           "private_key", NULL};

/* Case-insensitive substring search over the whole key, however long. */
static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

int policy_secret_field_name(const char *key)
{
    if (strcasecmp(key, "secret_ref") == 0)
        return 0;
    for (const char *const *w = secret_words; *w; w++)
        if (contains_nocase(key, *w))
            return 1;
    return 0;
}

/* Members of an object under a secret-named key that are not the secret itself:
 * the reference and the user name a credential pairs with it. */
static int secret_holder_member(const char *key)
{
    return strcasecmp(key, "secret_ref") == 0 || strcmp(key, "username") == 0;
}

/* Every string under a secret-named key is a secret in clear, however deep it
 * is nested (objects and arrays), except in the members above. */
static void strings_under_secret(const json_t *v, const char *path, struct problems *p)
{
    if (json_is_string(v)) {
        problems_add(p, path, "secret_in_clear",
                     "secrets are given as {\"secret_ref\":{\"env\":NAME}} or {\"file\":PATH}");
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *it;
        char ipath[PROBLEM_PATH_MAX];
        json_array_foreach(v, i, it) {
            pv_index(ipath, path, i);
            strings_under_secret(it, ipath, p);
        }
    } else if (json_is_object(v)) {
        const char *key;
        const json_t *it;
        char kpath[PROBLEM_PATH_MAX];
        json_object_foreach((json_t *)v, key, it) {
            if (secret_holder_member(key) || policy_secret_field_name(key))
                continue; /* a secret-named member is reported by the walk itself */
            pv_path(kpath, path, key);
            strings_under_secret(it, kpath, p);
        }
    }
}

void pv_clear_secrets(const json_t *node, const char *path, struct problems *p)
{
    char cpath[PROBLEM_PATH_MAX];
    if (json_is_object(node)) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)node, key, v) {
            pv_path(cpath, path, key);
            if (policy_secret_field_name(key))
                strings_under_secret(v, cpath, p);
            pv_clear_secrets(v, cpath, p);
        }
    } else if (json_is_array(node)) {
        size_t i;
        const json_t *v;
        json_array_foreach(node, i, v) {
            pv_index(cpath, path, i);
            pv_clear_secrets(v, cpath, p);
        }
    }
}

/* "scheme://user:pass@host" -> "scheme://user:[redacted]@host"; NULL when there is
 * no password to hide. */
static json_t *redact_url(const char *s)
{
    const char *sep = strstr(s, "://");
    if (!sep)
        return NULL;
    const char *auth = sep + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth_len; i++)
        if (auth[i] == '@')
            at = auth + i; /* the last '@' ends the user-info */
    if (!at)
        return NULL;
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon)
        return NULL;
    size_t head = (size_t)(colon + 1 - s), tail = strlen(at);
    size_t total = head + strlen(POLICY_REDACTED) + tail;
    char buf[1024];
    if (total >= sizeof buf)
        return json_string(POLICY_REDACTED);
    memcpy(buf, s, head);
    memcpy(buf + head, POLICY_REDACTED, strlen(POLICY_REDACTED));
    memcpy(buf + head + strlen(POLICY_REDACTED), at, tail + 1);
    return json_string(buf);
}

static json_t *redact(const json_t *v, int secret)
{
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        const json_t *child;
        json_object_foreach((json_t *)v, key, child) {
            int ref = strcmp(key, "secret_ref") == 0;
            json_object_set_new(out, key,
                                redact(child, !ref && (secret || policy_secret_field_name(key))));
        }
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        const json_t *child;
        json_array_foreach(v, i, child) {
            json_array_append_new(out, redact(child, secret));
        }
        return out;
    }
    if (json_is_string(v)) {
        if (secret)
            return json_string(POLICY_REDACTED);
        json_t *u = redact_url(json_string_value(v));
        if (u)
            return u;
    }
    return json_deep_copy((json_t *)v);
}

json_t *policy_redact(const json_t *doc)
{
    return doc ? redact(doc, 0) : NULL;
}
