/* A list of validation problems: every parser and validator of outside input
 * reports all it finds, each with a JSON Pointer path, a stable code and a
 * human message. Bounded: after PROBLEMS_MAX entries one "too_many_problems"
 * entry closes the list.
 *
 * Codes in use (stable, documented in docs/http.md):
 *   invalid_json, too_large, too_deep, required, unknown_field, type, enum,
 *   range, length, pattern, format, reference, duplicate, forbidden, secret_in_clear,
 *   too_many_problems
 */
#ifndef SREBOT_CORE_PROBLEMS_H
#define SREBOT_CORE_PROBLEMS_H

#include <jansson.h>
#include <stddef.h>

#define PROBLEMS_MAX 100
#define PROBLEM_PATH_MAX 256
#define PROBLEM_MSG_MAX 200

struct problem {
    char path[PROBLEM_PATH_MAX]; /* JSON Pointer (RFC 6901), "" is the whole document */
    const char *code;            /* static string */
    char message[PROBLEM_MSG_MAX];
};

struct problems {
    struct problem items[PROBLEMS_MAX + 1];
    size_t count;
};

/* A problem list is ~46 KB: it lives on the heap, never on a thread's stack.
 * problems_create() returns an empty list (NULL when out of memory);
 * problems_destroy() accepts NULL. problems_init() empties a list for reuse. */
struct problems *problems_create(void);
void problems_destroy(struct problems *p);
void problems_init(struct problems *p);
/* Adds a problem; silently stops at PROBLEMS_MAX (adding the closing entry). */
void problems_add(struct problems *p, const char *path, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int problems_any(const struct problems *p) { return p->count > 0; }
/* [{"path":..,"code":..,"reason":..}] as used in the error shape's "details". */
json_t *problems_to_json(const struct problems *p);

/* Builds a JSON Pointer for a child: base + "/" + escaped key (~ -> ~0, / -> ~1). */
void json_pointer_child(char *out, size_t outlen, const char *base, const char *key);
void json_pointer_index(char *out, size_t outlen, const char *base, size_t index);

#endif
