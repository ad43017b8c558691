#include "http/router.h"

#include <string.h>

/* Segment weights for specificity: compared position by position, so the
 * first segment where two patterns differ decides. 2 bits per position. */
enum { W_REST = 1, W_PARAM = 2, W_LITERAL = 3, SCORE_POSITIONS = 30 };

static int param_name_ok(const char *name, size_t len)
{
    if (len == 0 || len >= ROUTER_PARAM_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

/* Classifies a pattern segment: W_LITERAL, W_PARAM ("{id}") or W_REST ("{file*}");
 * name and namelen get the parameter name. */
static int segment_kind(const char *seg, size_t len, const char **name, size_t *namelen)
{
    if (len >= 3 && seg[0] == '{' && seg[len - 1] == '}') {
        if (seg[len - 2] == '*') {
            *name = seg + 1;
            *namelen = len - 3;
            return W_REST;
        }
        *name = seg + 1;
        *namelen = len - 2;
        return W_PARAM;
    }
    return W_LITERAL;
}

static unsigned long weight_at(int kind, int pos)
{
    if (pos >= SCORE_POSITIONS)
        return 0;
    return (unsigned long)kind << (2 * (SCORE_POSITIONS - 1 - pos));
}

static int add_param(struct route_match *m, const char *name, size_t namelen, const char *value,
                     size_t valuelen)
{
    if (m->nparams >= HTTP_MAX_PARAMS || namelen >= ROUTER_PARAM_NAME_MAX ||
        valuelen >= ROUTER_PARAM_VALUE_MAX)
        return -1;
    memcpy(m->names[m->nparams], name, namelen);
    m->names[m->nparams][namelen] = '\0';
    memcpy(m->values[m->nparams], value, valuelen);
    m->values[m->nparams][valuelen] = '\0';
    m->nparams++;
    return 0;
}

unsigned long router_match_pattern(const char *pattern, const char *path, struct route_match *m)
{
    if (!pattern || !path || pattern[0] != '/' || path[0] != '/')
        return 0;
    struct route_match tmp;
    tmp.route = NULL;
    tmp.nparams = 0;
    const char *p = pattern + 1;
    const char *s = path + 1;
    if (*p == '\0') {
        if (*s != '\0')
            return 0;
        *m = tmp;
        return 1;
    }
    unsigned long score = 1;
    for (int pos = 0;; pos++) {
        if (!s)
            return 0; /* the pattern has more segments than the path */
        const char *pe = strchr(p, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        const char *se = strchr(s, '/');
        size_t slen = se ? (size_t)(se - s) : strlen(s);
        const char *name = NULL;
        size_t namelen = 0;
        int kind = segment_kind(p, plen, &name, &namelen);
        if (kind == W_REST) {
            size_t rest = strlen(s);
            if (pe || rest == 0 || add_param(&tmp, name, namelen, s, rest) != 0)
                return 0;
            score += weight_at(W_REST, pos);
            break;
        }
        if (kind == W_PARAM) {
            if (slen == 0 || add_param(&tmp, name, namelen, s, slen) != 0)
                return 0;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        score += weight_at(kind, pos);
        s = se ? se + 1 : NULL;
        if (!pe) {
            if (s)
                return 0; /* the path has more segments than the pattern */
            break;
        }
        p = pe + 1;
    }
    *m = tmp;
    return score;
}

static int method_matches(const char *route_method, const char *method)
{
    if (strcmp(route_method, method) == 0)
        return 1;
    return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

static int is_rest_pattern(const char *pattern)
{
    size_t n = strlen(pattern);
    return n >= 3 && pattern[n - 1] == '}' && pattern[n - 2] == '*';
}

static void allow_add(char *allow, size_t allowlen, const char *method)
{
    if (!allow || allowlen == 0)
        return;
    size_t mlen = strlen(method);
    /* already listed? */
    for (const char *a = allow; (a = strstr(a, method)) != NULL; a += mlen)
        if ((a == allow || a[-1] == ' ') && (a[mlen] == ',' || a[mlen] == '\0'))
            return;
    size_t used = strlen(allow);
    size_t need = (used ? 2 : 0) + mlen;
    if (used + need + 1 > allowlen)
        return;
    if (used) {
        memcpy(allow + used, ", ", 2);
        used += 2;
    }
    memcpy(allow + used, method, mlen + 1);
}

enum router_result router_find(const struct http_route *routes, const char *method,
                               const char *path, struct route_match *m, char *allow,
                               size_t allowlen)
{
    unsigned long best = 0, best_rest = 0;
    int other_methods = 0;
    struct route_match cur, rest;
    if (allow && allowlen)
        allow[0] = '\0';
    for (const struct http_route *r = routes; r->method; r++) {
        unsigned long score = router_match_pattern(r->pattern, path, &cur);
        if (!score)
            continue;
        int is_rest = is_rest_pattern(r->pattern);
        if (method_matches(r->method, method)) {
            cur.route = r;
            if (is_rest && score > best_rest) {
                best_rest = score;
                rest = cur;
            } else if (!is_rest && score > best) {
                best = score;
                *m = cur;
            }
        } else if (!is_rest) {
            other_methods = 1;
            allow_add(allow, allowlen, r->method);
        }
    }
    if (best)
        return ROUTER_FOUND;
    /* A catch-all serves only paths no specific route claims: a GET to a
     * POST-only path is 405, not whatever the catch-all would say. */
    if (other_methods)
        return ROUTER_NO_METHOD;
    if (best_rest) {
        *m = rest;
        return ROUTER_FOUND;
    }
    return ROUTER_NOT_FOUND;
}

int router_pattern_valid(const char *pattern)
{
    if (!pattern || pattern[0] != '/')
        return 0;
    if (pattern[1] == '\0')
        return 1;
    const char *p = pattern + 1;
    int nparams = 0;
    for (;;) {
        const char *pe = strchr(p, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        if (plen == 0)
            return 0;
        const char *name = NULL;
        size_t namelen = 0;
        int kind = segment_kind(p, plen, &name, &namelen);
        if (kind == W_LITERAL) {
            if (memchr(p, '{', plen) || memchr(p, '}', plen))
                return 0;
        } else {
            if (!param_name_ok(name, namelen) || ++nparams > HTTP_MAX_PARAMS)
                return 0;
            if (kind == W_REST && pe)
                return 0;
        }
        if (!pe)
            return 1;
        p = pe + 1;
    }
}
