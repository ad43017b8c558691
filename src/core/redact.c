#include "core/redact.h"

#include <string.h>
#include <strings.h>

/* Words that make a key name secret (lower case; matched anywhere in the key). */
static const char *const secret_key_words[] = {"password", "passwd", "pwd",     "secret",
                                               "token",    "api_key", "apikey", "access_key",
                                               "private_key", "credential", "authorization",
                                               NULL};

struct out {
    char *dst;
    size_t cap, o;
    int full;
};

static void put(struct out *w, const char *s, size_t n)
{
    if (w->full)
        return;
    if (w->o + n >= w->cap) {
        w->full = 1;
        return;
    }
    memcpy(w->dst + w->o, s, n);
    w->o += n;
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

static int ends_value(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' || c == ',' ||
           c == ';' || c == '&' || c == ')' || c == '}' || c == ']' || c == '>';
}

static int contains_word(const char *key, size_t n)
{
    for (const char *const *w = secret_key_words; *w; w++) {
        size_t wl = strlen(*w);
        for (size_t i = 0; i + wl <= n; i++)
            if (strncasecmp(key + i, *w, wl) == 0)
                return 1;
    }
    return 0;
}

/* Length of the value token at s (up to a delimiter). */
static size_t value_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && !ends_value(s[i]))
        i++;
    return i;
}

/* "Bearer " or "Basic " (any case) at s: its length, else 0. */
static size_t auth_scheme(const char *s, size_t n)
{
    static const char *const schemes[] = {"bearer ", "basic ", NULL};
    for (const char *const *sc = schemes; *sc; sc++) {
        size_t l = strlen(*sc);
        if (n > l && strncasecmp(s, *sc, l) == 0)
            return l;
    }
    return 0;
}

static int is_upper_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* "-----BEGIN ...PRIVATE KEY-----" at s: the length of the whole block (to the
 * end of its END line, or of the text), else 0. */
static size_t private_key_block(const char *s, size_t n)
{
    static const char begin[] = "-----BEGIN ";
    if (n < sizeof begin - 1 || memcmp(s, begin, sizeof begin - 1) != 0)
        return 0;
    const char *eol = memchr(s, '\n', n);
    size_t line = eol ? (size_t)(eol - s) : n;
    int is_private = 0;
    for (size_t i = 0; i + 11 <= line; i++)
        if (memcmp(s + i, "PRIVATE KEY", 11) == 0)
            is_private = 1;
    if (!is_private)
        return 0;
    static const char end[] = "-----END ";
    for (size_t i = line; i + sizeof end - 1 <= n; i++)
        if (memcmp(s + i, end, sizeof end - 1) == 0) {
            const char *e = memchr(s + i, '\n', n - i);
            return e ? (size_t)(e - s) : n;
        }
    return n;
}

size_t redact_secrets(char *dst, size_t cap, const char *src, size_t len)
{
    struct out w = {dst, cap, 0, 0};
    size_t i = 0, key_start = 0; /* start of the run of key characters before i */
    while (i < len && !w.full) {
        char c = src[i];
        size_t k;
        if (c == '-' && (k = private_key_block(src + i, len - i)) > 0) {
            put(&w, REDACT_MARK, sizeof REDACT_MARK - 1);
            i += k;
            key_start = i;
            continue;
        }
        if ((c == 'A') && i + 20 <= len && (src[i + 1] == 'K' || src[i + 1] == 'S') &&
            src[i + 2] == 'I' && src[i + 3] == 'A' && (i == 0 || !is_upper_alnum(src[i - 1]))) {
            size_t j = 4;
            while (j < 20 && is_upper_alnum(src[i + j]))
                j++;
            if (j == 20 && (i + 20 == len || !is_upper_alnum(src[i + 20]))) {
                put(&w, REDACT_MARK, sizeof REDACT_MARK - 1);
                i += 20;
                key_start = i;
                continue;
            }
        }
        if ((k = auth_scheme(src + i, len - i)) > 0 && (i == 0 || !is_key_char(src[i - 1]))) {
            size_t v = value_len(src + i + k, len - i - k);
            if (v > 0) {
                put(&w, src + i, k);
                put(&w, REDACT_MARK, sizeof REDACT_MARK - 1);
                i += k + v;
                key_start = i;
                continue;
            }
        }
        /* scheme://user:PASS@host */
        if (c == ':' && i + 2 < len && src[i + 1] == '/' && src[i + 2] == '/') {
            size_t a = i + 3, at = 0, colon = 0;
            for (size_t j = a; j < len && !ends_value(src[j]) && src[j] != '/'; j++) {
                if (src[j] == '@')
                    at = j;
                else if (src[j] == ':' && !colon && !at)
                    colon = j;
            }
            if (at && colon && colon < at) {
                put(&w, src + i, colon + 1 - i);
                put(&w, REDACT_MARK, sizeof REDACT_MARK - 1);
                i = at;
                key_start = i;
                continue;
            }
        }
        /* key=value, key: value, "key":"value" */
        if ((c == '=' || c == ':') && i > key_start) {
            size_t kend = i, kbeg = key_start;
            if (kend > kbeg && (src[kend - 1] == '"' || src[kend - 1] == '\''))
                kend--;
            if (kbeg < kend && (src[kbeg] == '"' || src[kbeg] == '\''))
                kbeg++;
            if (contains_word(src + kbeg, kend - kbeg)) {
                size_t j = i + 1;
                while (j < len && (src[j] == ' ' || src[j] == '\t'))
                    j++;
                size_t q = 0;
                if (j < len && (src[j] == '"' || src[j] == '\''))
                    q = 1;
                size_t s = j + q;
                size_t sch = auth_scheme(src + s, len - s);
                size_t v = value_len(src + s + sch, len - s - sch);
                if (v > 0) {
                    put(&w, src + i, s + sch - i);
                    put(&w, REDACT_MARK, sizeof REDACT_MARK - 1);
                    i = s + sch + v;
                    key_start = i;
                    continue;
                }
            }
        }
        put(&w, &c, 1);
        i++;
        if (!is_key_char(c) && c != '"' && c != '\'')
            key_start = i;
    }
    dst[w.o] = '\0';
    return w.o;
}
