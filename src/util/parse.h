/* Strict integers from outside input (ids, limits, cursors, event ids, versions).
 * One parser for every such field so they all refuse the same things: an empty
 * text, spaces, a '+' sign, anything but ASCII digits (and one leading '-' where
 * negatives are allowed), and values past the bounds, checked before they
 * overflow (no strtoll: it skips spaces, takes '+' and is locale-bound). */
#ifndef SREBOT_UTIL_PARSE_H
#define SREBOT_UTIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* s[0..len) as a decimal in [min, max]. Returns 0 and sets *out, or -1 (then
 * *out is untouched). A '-' is accepted only when min < 0. */
int parse_int64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

/* The same over a NUL-terminated text; NULL is refused. */
int parse_int64_str(const char *s, int64_t min, int64_t max, int64_t *out);

/* n integers separated by '.', each in [INT64_MIN, INT64_MAX] (a cursor such as
 * "0.1764400000000.42"). Exactly n parts, no empty part. Returns 0 or -1. */
int parse_int64_dotted(const char *s, int64_t *out, size_t n);

#endif
