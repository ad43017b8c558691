/* Private to src/store/store_*.c: the checks every backend-neutral entry
 * point makes before it dispatches to the backend. */
#ifndef SREBOT_STORE_STORE_CHECKS_H
#define SREBOT_STORE_STORE_CHECKS_H

#include <stdio.h>

#include "store/backend.h"

static inline enum store_status store_refuse(struct store_conn *c, const char *why)
{
    snprintf(c->err, sizeof c->err, "%s", why);
    return STORE_INVALID;
}

#define WRITER_ONLY(c)                                                                             \
    do {                                                                                           \
        if ((c)->readonly)                                                                         \
            return store_refuse(c, "write on a read connection");                                  \
    } while (0)

static inline unsigned clamp_limit(unsigned limit, unsigned max)
{
    return limit == 0 ? 1 : limit > max ? max : limit;
}

#endif
