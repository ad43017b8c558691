#include "sources/srcconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


double srcconf_num(const json_t *obj, const char *key, double def, double min, double max)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        return def;
    double d = json_number_value(v);
    return d >= min && d <= max ? d : def;
}

double srcconf_num_env(const json_t *obj, const char *key, const char *env, double def,
                       double min, double max)
{
    if (json_is_number(json_object_get(obj, key)))
        return srcconf_num(obj, key, def, min, max);
    const char *e = env ? getenv(env) : NULL;
    if (e && *e) {
        char *endp = NULL;
        errno = 0;
        double d = strtod(e, &endp);
        if (errno == 0 && endp && *endp == '\0' && d >= min && d <= max)
            return d;
    }
    return def;
}

const char *srcconf_str(const json_t *obj, const char *key, const char *def)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : def;
}
