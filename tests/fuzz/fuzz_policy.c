/* Fuzz target: the policy parser, validator and redaction, on any bytes.
 * Invariants checked: parse + validate never crash or leak; validation is
 * deterministic; redaction leaves no secret (every string under a secret-named
 * field, at any depth outside a secret_ref, is "[redacted]" in the copy, and no
 * URL keeps a password); and the redacted document validates the same (the
 * same problems at the same paths). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "core/policy_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* orig and red side by side; secret: under a secret-named field. */
static void no_secret_left(const json_t *orig, const json_t *red, int secret)
{
    if (json_is_object(orig)) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)orig, key, v) {
            int ref = strcmp(key, "secret_ref") == 0;
            no_secret_left(v, json_object_get(red, key),
                           !ref && (secret || policy_secret_field_name(key)));
        }
    } else if (json_is_array(orig)) {
        for (size_t i = 0; i < json_array_size(orig); i++)
            no_secret_left(json_array_get(orig, i), json_array_get(red, i), secret);
    } else if (json_is_string(orig)) {
        const char *s = json_string_value(red);
        if (!s)
            abort(); /* the copy lost a string */
        if (secret && strcmp(s, POLICY_REDACTED) != 0)
            abort(); /* a secret survived redaction */
        const char *sep = strstr(s, "://");
        if (sep) {
            size_t auth = strcspn(sep + 3, "/?#");
            const char *at = NULL; /* the user-info ends at the last '@' */
            for (size_t i = 0; i < auth; i++)
                if (sep[3 + i] == '@')
                    at = sep + 3 + i;
            const char *colon = at ? memchr(sep + 3, ':', (size_t)(at - sep - 3)) : NULL;
            if (colon && strncmp(colon + 1, POLICY_REDACTED, strlen(POLICY_REDACTED)) != 0 &&
                strcmp(s, POLICY_REDACTED) != 0)
                abort(); /* a URL kept its password */
        }
    }
}

static int same_problems(const struct problems *a, const struct problems *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i].path, b->items[i].path) != 0 ||
            strcmp(a->items[i].code, b->items[i].code) != 0)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct problems p, q;
    problems_init(&p);
    json_t *doc = policy_parse((const char *)data, size, &p);
    if (!doc)
        return 0;
    int rc = policy_validate(doc, &p);
    problems_init(&q);
    if (policy_validate(doc, &q) != rc || !same_problems(&p, &q))
        abort(); /* validation must be deterministic */
    json_t *red = policy_redact(doc);
    if (!red)
        abort();
    no_secret_left(doc, red, 0);
    problems_init(&q);
    if (policy_validate(red, &q) != rc || !same_problems(&p, &q))
        abort(); /* redaction changes what is shown, not what is valid */
    json_t *out = problems_to_json(&p);
    json_decref(out);
    json_decref(red);
    json_decref(doc);
    return 0;
}
