/* Pure helpers of the client: backoff, Retry-After, retryable statuses. */
#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "net/client.h"

unsigned net_backoff_ms(unsigned attempt, unsigned base_ms, unsigned max_ms, uint64_t rnd)
{
    uint64_t w = base_ms;
    for (unsigned i = 1; i < attempt && w < max_ms; i++)
        w *= 2;
    if (w > max_ms)
        w = max_ms;
    /* equal jitter: half fixed (a floor on the wait), half random (no herd) */
    uint64_t half = w / 2;
    return (unsigned)(w - half + (half ? rnd % (half + 1) : 0));
}

int64_t net_retry_after_ms(const char *value, int64_t now_ms)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (!*value)
        return -1;
    if (isdigit((unsigned char)*value)) {
        int64_t secs = 0;
        const char *p = value;
        for (; isdigit((unsigned char)*p); p++) {
            if (secs > 100000000) /* years: treat as "too long" without overflowing */
                return INT64_C(100000000) * 1000;
            secs = secs * 10 + (*p - '0');
        }
        while (*p == ' ' || *p == '\t')
            p++;
        return *p ? -1 : secs * 1000;
    }
    /* An HTTP date, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" (bounded: curl_getdate
     * reads a short string; longer ones are not dates). */
    if (strlen(value) > 64)
        return -1;
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    int64_t ms = (int64_t)t * 1000 - now_ms;
    return ms < 0 ? 0 : ms;
}

int net_status_retryable(long status)
{
    return status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}
