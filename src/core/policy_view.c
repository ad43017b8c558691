/* Typed views of a validated policy for the modules that act on it, so each
 * reads the same fields the same way. Pointers in the outputs point into doc:
 * keep a reference to doc while they are in use. */
#include <string.h>

#include "core/policy.h"

void policy_fold_params(const json_t *doc, struct fold_params *out)
{
    const json_t *inc = json_object_get(doc, "incidents");
    const json_t *reopen = json_object_get(inc, "reopen_window_seconds");
    const json_t *quiet = json_object_get(inc, "flap_quiet_seconds");
    out->reopen_window_ms = json_is_integer(reopen) ? json_integer_value(reopen) * 1000
                                                    : FOLD_DEFAULT_REOPEN_WINDOW_MS;
    out->quiet_period_ms =
        json_is_integer(quiet) ? json_integer_value(quiet) * 1000 : FOLD_DEFAULT_QUIET_PERIOD_MS;
}

size_t policy_am_options(const json_t *doc, struct am_options *out, struct am_class_map *map,
                         size_t map_cap, const char **labels, size_t labels_cap)
{
    memset(out, 0, sizeof *out);
    const json_t *am = json_object_get(doc, "alertmanager");
    size_t i, n = 0, dropped = 0;
    const json_t *v;
    json_array_foreach(json_object_get(am, "class_map"), i, v) {
        const char *l = json_string_value(json_object_get(v, "label"));
        const char *val = json_string_value(json_object_get(v, "value"));
        const char *cls = json_string_value(json_object_get(v, "class"));
        if (!l || !val || !cls)
            continue;
        if (n == map_cap) {
            dropped++;
            continue;
        }
        map[n++] = (struct am_class_map){l, val, cls};
    }
    out->map = n ? map : NULL;
    out->nmap = n;
    n = 0;
    json_array_foreach(json_object_get(am, "key_labels"), i, v) {
        if (!json_is_string(v))
            continue;
        if (n == labels_cap) {
            dropped++;
            continue;
        }
        labels[n++] = json_string_value(v);
    }
    out->key_labels = n ? labels : NULL;
    out->nkey_labels = n;
    out->class_label = json_string_value(json_object_get(am, "class_label"));
    out->default_class = json_string_value(json_object_get(am, "default_class"));
    return dropped;
}
