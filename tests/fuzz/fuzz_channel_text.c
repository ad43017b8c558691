/* libFuzzer target: the delivery worker's handling of stored text that came
 * from outside (notification titles and bodies hold incident summaries; a
 * route is stored JSON). Checks:
 *  - route_from_text accepts only arrays of 1..16 non-empty ids shorter than
 *    CHANNEL_ID_MAX, and what it accepts survives route_to_text and back;
 *  - route_next walks any accepted route to its end within its length;
 *  - channel_render / channel_message_from stay within their buffers for any
 *    bytes, and the kind name is one of the known five. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/delivery_plan.h"
#include "channels/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    struct route r, back;
    if (route_from_text(text, &r) == 0) {
        if (r.n > ROUTE_MAX_HOPS)
            abort();
        for (size_t i = 0; i < r.n; i++)
            if (!r.ids[i][0] || strlen(r.ids[i]) >= CHANNEL_ID_MAX)
                abort();
        char out[CHANNEL_ROUTE_MAX * 8];
        if (route_to_text(&r, out, sizeof out) == 0) {
            if (route_from_text(out, &back) != 0 || back.n != r.n)
                abort();
            for (size_t i = 0; i < r.n; i++)
                if (strcmp(back.ids[i], r.ids[i]) != 0)
                    abort();
        }
        int hop = 0, steps = 0;
        while (route_next(&r, hop, "inapp", &hop) && steps++ <= ROUTE_MAX_HOPS + 1)
            ;
        if (steps > ROUTE_MAX_HOPS + 1)
            abort();
    }

    struct notification_rec n;
    memset(&n, 0, sizeof n);
    n.id = 1;
    n.incident_id = size % 3;
    n.severity = size ? data[0] % 4 : 0;
    static const char *const kinds[] = {"incident", "resolved", "approval_request",
                                        "approval_result", "test", "bogus"};
    snprintf(n.kind, sizeof n.kind, "%s", kinds[size % 6]);
    snprintf(n.title, sizeof n.title, "%s", text);
    snprintf(n.body, sizeof n.body, "%s", size > 8 ? text + 8 : text);
    struct incident inc;
    memset(&inc, 0, sizeof inc);
    snprintf(inc.class_, sizeof inc.class_, "%.60s", text);
    snprintf(inc.summary, sizeof inc.summary, "%s", text);
    struct channel_text *t = malloc(sizeof *t);
    if (t) {
        channel_render(&n, size % 2 ? &inc : NULL, size % 5 ? text : NULL, t);
        if (strnlen(t->text, sizeof t->text) == sizeof t->text ||
            strnlen(t->title, sizeof t->title) == sizeof t->title ||
            strnlen(t->link, sizeof t->link) == sizeof t->link)
            abort();
        struct channel_message m;
        channel_message_from(&n, t, &m);
        const char *k = channel_kind_name(m.kind);
        if (strcmp(k, "incident") && strcmp(k, "resolved") && strcmp(k, "approval_request") &&
            strcmp(k, "approval_result") && strcmp(k, "test"))
            abort();
        free(t);
    }
    free(text);
    return 0;
}
