/* WWW-Authenticate challenges (RFC 9110 11.6.1), as registries send them. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net/client.h"

/* Copies a token or quoted-string value at *p into out (bounded); advances *p. */
static void read_param_value(const char **p, char *out, size_t outlen)
{
    const char *s = *p;
    size_t o = 0;
    if (*s == '"') {
        s++;
        while (*s && *s != '"') {
            if (*s == '\\' && s[1])
                s++;
            if (o + 1 < outlen)
                out[o++] = *s;
            s++;
        }
        if (*s == '"')
            s++;
    } else {
        while (*s && *s != ',' && *s != ' ' && *s != '\t') {
            if (o + 1 < outlen)
                out[o++] = *s;
            s++;
        }
    }
    out[o] = '\0';
    *p = s;
}

int net_parse_challenge(const char *header, struct auth_challenge *out)
{
    memset(out, 0, sizeof *out);
    const char *p = header;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0;
    while (n < sizeof out->scheme - 1 && isalpha((unsigned char)p[n]))
        n++;
    if (n == 0 || (p[n] && p[n] != ' ' && p[n] != '\t'))
        return -1;
    memcpy(out->scheme, p, n);
    p += n;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ',' && *p != ' ')
            p++;
        size_t nl = (size_t)(p - name);
        if (*p != '=') {
            while (*p && *p != ',')
                p++;
            continue;
        }
        p++;
        char tmp[256];
        read_param_value(&p, tmp, sizeof tmp);
        if (nl == 5 && strncasecmp(name, "realm", 5) == 0)
            snprintf(out->realm, sizeof out->realm, "%s", tmp);
        else if (nl == 7 && strncasecmp(name, "service", 7) == 0)
            snprintf(out->service, sizeof out->service, "%.127s", tmp);
        else if (nl == 5 && strncasecmp(name, "scope", 5) == 0)
            snprintf(out->scope, sizeof out->scope, "%s", tmp);
    }
    return 0;
}
