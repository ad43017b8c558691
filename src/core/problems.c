#include "core/problems.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void problems_init(struct problems *p) { p->count = 0; }

struct problems *problems_create(void)
{
    struct problems *p = malloc(sizeof *p);
    if (p)
        problems_init(p);
    return p;
}

void problems_destroy(struct problems *p) { free(p); }

void problems_add(struct problems *p, const char *path, const char *code, const char *fmt, ...)
{
    if (p->count > PROBLEMS_MAX)
        return;
    struct problem *it = &p->items[p->count];
    if (p->count == PROBLEMS_MAX) {
        snprintf(it->path, sizeof it->path, "%s", "");
        it->code = "too_many_problems";
        snprintf(it->message, sizeof it->message, "more than %d problems; stopped listing",
                 PROBLEMS_MAX);
        p->count++;
        return;
    }
    snprintf(it->path, sizeof it->path, "%s", path ? path : "");
    it->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->message, sizeof it->message, fmt, ap);
    va_end(ap);
    p->count++;
}

json_t *problems_to_json(const struct problems *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < p->count; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "path", p->items[i].path, "code",
                                             p->items[i].code, "reason", p->items[i].message));
    return arr;
}

void json_pointer_child(char *out, size_t outlen, const char *base, const char *key)
{
    size_t n = (size_t)snprintf(out, outlen, "%s/", base ? base : "");
    for (const char *k = key; *k && n + 3 < outlen; k++) {
        if (*k == '~') {
            out[n++] = '~';
            out[n++] = '0';
        } else if (*k == '/') {
            out[n++] = '~';
            out[n++] = '1';
        } else {
            out[n++] = *k;
        }
    }
    if (n < outlen)
        out[n] = '\0';
    else if (outlen)
        out[outlen - 1] = '\0';
}

void json_pointer_index(char *out, size_t outlen, const char *base, size_t index)
{
    snprintf(out, outlen, "%s/%zu", base ? base : "", index);
}
