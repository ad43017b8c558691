#include "util/adapter.h"

#include <stdio.h>
#include <string.h>

const char *adapter_result_name(enum adapter_result r)
{
    switch (r) {
    case ADAPTER_OK:
        return "ok";
    case ADAPTER_RETRY:
        return "retry";
    case ADAPTER_ERROR:
        return "error";
    }
    return "?";
}

int adapter_selects(const char *name, const char *name_or_url)
{
    if (!name || !name_or_url)
        return 0;
    size_t n = strlen(name);
    return strncmp(name, name_or_url, n) == 0 &&
           (name_or_url[n] == '\0' || name_or_url[n] == ':');
}

void adapter_not_found(const char *family, const void *const *registry,
                       const struct adapter_absent *absent, const char *name_or_url, char *err,
                       size_t errlen)
{
    const char *what = name_or_url ? name_or_url : "";
    for (size_t i = 0; absent && absent[i].name; i++)
        if (adapter_selects(absent[i].name, what)) {
            snprintf(err, errlen, "%s '%.200s': %s is not in this build (configure with -D%s=ON)",
                     family, what, absent[i].name, absent[i].option);
            return;
        }
    char names[256] = "";
    size_t used = 0;
    for (size_t i = 0; registry && registry[i] && used < sizeof names; i++) {
        const char *name = *(const char *const *)registry[i]; /* the first member */
        int w = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    snprintf(err, errlen, "%s '%.200s': no such adapter (built in: %s)", family, what,
             names[0] ? names : "none");
}
