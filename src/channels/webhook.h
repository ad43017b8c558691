/* The webhook provider's signature, for receivers written in C (the tests). */
#ifndef SREBOT_CHANNELS_WEBHOOK_H
#define SREBOT_CHANNELS_WEBHOOK_H

#include <stddef.h>

/* "v1=" + hex(HMAC-SHA256(secret, ts + "." + body)), NUL-terminated (68 bytes). */
void webhook_signature(const char *secret, const char *ts, const char *body, size_t body_len,
                       char out[68]);

#endif
