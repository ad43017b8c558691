#include "core/fileroots.h"

#include <stdio.h>
#include <string.h>

/* No "." or ".." segment and no empty one ("//"): the text is the path. */
static int plain_absolute(const char *path)
{
    if (path[0] != '/')
        return 0;
    for (const char *s = path + 1;;) {
        size_t n = strcspn(s, "/");
        if (n == 0 && s[0] == '/')
            return 0;
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return 0;
        if (!s[n])
            return 1;
        s += n + 1;
    }
}

int fileroots_allows(const char *roots, const char *path)
{
    if (!roots || !path || !plain_absolute(path))
        return 0;
    for (const char *r = roots; *r;) {
        size_t n = strcspn(r, ",");
        size_t b = 0, e = n;
        while (b < e && (r[b] == ' ' || r[b] == '\t'))
            b++;
        while (e > b && (r[e - 1] == ' ' || r[e - 1] == '\t' || r[e - 1] == '/'))
            e--;
        /* an empty root (or "/") would allow everything: never a match */
        if (e > b && r[b] == '/' && strncmp(path, r + b, e - b) == 0 && path[e - b] == '/')
            return 1;
        r += n + (r[n] == ',');
    }
    return 0;
}

static void secret_files(const json_t *node, const char *path, const char *roots,
                         struct problems *p)
{
    char cpath[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    if (json_is_object(node)) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)node, key, v) {
            json_pointer_child(cpath, sizeof cpath, path, key);
            const char *file = json_string_value(json_object_get(v, "file"));
            if (strcmp(key, "secret_ref") == 0 && file && !fileroots_allows(roots, file)) {
                json_pointer_child(fpath, sizeof fpath, cpath, "file");
                problems_add(p, fpath, "forbidden",
                             "must lie under one of the allowed file roots (IF_SRE_FILE_ROOTS)");
                continue;
            }
            secret_files(v, cpath, roots, p);
        }
    } else if (json_is_array(node)) {
        size_t i;
        const json_t *v;
        json_array_foreach(node, i, v) {
            snprintf(cpath, sizeof cpath, "%s/%zu", path, i);
            secret_files(v, cpath, roots, p);
        }
    }
}

void fileroots_check_policy(const json_t *doc, const char *roots, struct problems *p)
{
    size_t i, k;
    const json_t *ls, *g;
    char path[PROBLEM_PATH_MAX];
    json_array_foreach(json_object_get(doc, "log_sources"), i, ls) {
        json_array_foreach(json_object_get(ls, "paths"), k, g) {
            const char *glob = json_string_value(g);
            if (glob && !fileroots_allows(roots, glob)) {
                snprintf(path, sizeof path, "/log_sources/%zu/paths/%zu", i, k);
                problems_add(p, path, "forbidden",
                             "must lie under one of the allowed file roots (IF_SRE_FILE_ROOTS)");
            }
        }
    }
    secret_files(doc, "", roots, p);
}
