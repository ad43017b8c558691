/* Small helpers for reading an instance's configuration object. The policy
 * validator has already checked the document; these still bound every value so
 * that a spec built by hand (tests, `detect --policy`) cannot misbehave. */
#ifndef SREBOT_SOURCES_SRCCONF_H
#define SREBOT_SOURCES_SRCCONF_H

#include <jansson.h>
#include <stddef.h>

/* Number at key (integer or real) within [min, max], else def. */
double srcconf_num(const json_t *obj, const char *key, double def, double min, double max);
/* Same as srcconf_num, but a missing key falls back to the environment variable
 * env (when set and numeric in range) before def. */
double srcconf_num_env(const json_t *obj, const char *key, const char *env, double def,
                       double min, double max);
/* String at key, or def. */
const char *srcconf_str(const json_t *obj, const char *key, const char *def);
#endif
