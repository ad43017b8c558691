#include "util/parse.h"

#include <string.h>

int parse_int64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    if (!s || len == 0)
        return -1;
    int neg = 0;
    size_t i = 0;
    if (s[0] == '-') {
        if (min >= 0 || len == 1)
            return -1;
        neg = 1;
        i = 1;
    }
    /* Accumulate as a negative number: its range holds INT64_MIN as well. */
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        int d = s[i] - '0';
        if (v < (INT64_MIN + d) / 10)
            return -1;
        v = v * 10 - d;
    }
    if (!neg) {
        if (v == INT64_MIN)
            return -1;
        v = -v;
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int parse_int64_str(const char *s, int64_t min, int64_t max, int64_t *out)
{
    return s ? parse_int64(s, strlen(s), min, max, out) : -1;
}

int parse_int64_dotted(const char *s, int64_t *out, size_t n)
{
    if (!s || n == 0)
        return -1;
    int64_t tmp[8];
    if (n > sizeof tmp / sizeof tmp[0])
        return -1;
    for (size_t k = 0; k < n; k++) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        if ((k + 1 < n) != (dot != NULL))
            return -1; /* too few or too many parts */
        if (parse_int64(s, len, INT64_MIN, INT64_MAX, &tmp[k]) != 0)
            return -1;
        s += len + (dot ? 1 : 0);
    }
    memcpy(out, tmp, n * sizeof *out);
    return 0;
}
