/* libFuzzer target: a Telegram webhook body (channels/telegram.h). Bounded,
 * never crashes; a success is either nothing to do (no callback query) or a
 * verb with a positive target and the callback query's id; a refusal always
 * says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/telegram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct problems *p = problems_create();
    if (!p)
        return 0;
    struct chat_callback cb;
    int rc = telegram_parse_update((const char *)data, size, &cb, p);
    if (rc == 0) {
        if (problems_any(p))
            abort();
        if (cb.verb != CHAT_VERB_NONE &&
            (cb.target <= 0 || !cb.query_id[0] || !cb.user_id[0] ||
             (cb.verb != CHAT_VERB_APPROVE && cb.verb != CHAT_VERB_REJECT)))
            abort();
    } else if (!problems_any(p)) {
        abort();
    }
    problems_destroy(p);
    return 0;
}
