/* libFuzzer target: Slack's callbacks (channels/slack.h). The first byte
 * picks the parser: an interactivity body (payload=<JSON>), a slash command
 * body, or the v0 signature check over the rest (headers cut from the input).
 * Bounded, never crashes; a success always names a verb with its target, a
 * refusal always says why; a random signature never verifies. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/slack.h"

static void check_callback(const struct chat_callback *cb)
{
    if (strlen(cb->user_id) >= sizeof cb->user_id || strlen(cb->message_ref) >= sizeof cb->message_ref)
        abort();
    if ((cb->verb == CHAT_VERB_APPROVE || cb->verb == CHAT_VERB_REJECT ||
         cb->verb == CHAT_VERB_ACK) && cb->target <= 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    struct problems *p = problems_create();
    if (!p)
        return 0;
    struct chat_callback cb;
    int rc = 0;
    switch (data[0] % 3) {
    case 0:
        rc = slack_parse_interaction(body, len, &cb, p);
        if (rc == 0 && cb.verb != CHAT_VERB_APPROVE && cb.verb != CHAT_VERB_REJECT)
            abort();
        break;
    case 1:
        rc = slack_parse_command(body, len, &cb, p);
        if (rc == 0 && !cb.user_id[0])
            abort();
        break;
    default: {
        /* "<ts>\n<signature>\n<body>" */
        char ts[32] = "", sig[80] = "";
        const char *nl = memchr(body, '\n', len);
        const char *nl2 = nl ? memchr(nl + 1, '\n', len - (size_t)(nl + 1 - body)) : NULL;
        if (nl && nl2 && (size_t)(nl - body) < sizeof ts && (size_t)(nl2 - nl - 1) < sizeof sig) {
            memcpy(ts, body, (size_t)(nl - body));
            memcpy(sig, nl + 1, (size_t)(nl2 - nl - 1));
            if (memchr(ts, 0, (size_t)(nl - body)) == NULL &&
                slack_signature_check("fuzz-secret", ts, sig, nl2 + 1,
                                      len - (size_t)(nl2 + 1 - body), 1531420618) == SLACK_SIG_OK) {
                /* only a real HMAC verifies: recompute and compare */
                char want[SLACK_SIGNATURE_LEN + 1];
                slack_signature("fuzz-secret", ts, nl2 + 1, len - (size_t)(nl2 + 1 - body), want);
                if (strcmp(want, sig) != 0)
                    abort();
            }
        }
        problems_destroy(p);
        return 0;
    }
    }
    if (rc == 0) {
        if (problems_any(p))
            abort();
        check_callback(&cb);
    } else if (!problems_any(p)) {
        abort();
    }
    problems_destroy(p);
    return 0;
}
