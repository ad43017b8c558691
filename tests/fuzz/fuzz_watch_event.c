/* libFuzzer target: one line of a Kubernetes watch stream (src/kube/watchdec.c).
 * Input: any bytes. Checks: no crash or leak; an accepted event has an
 * object, a resourceVersion under 128 bytes, and a key ("ns/name" or "name")
 * for every type but BOOKMARK and ERROR; a refusal names where (a JSON
 * Pointer) and why. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kube/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kube_event ev;
    char err[300] = "";
    if (kube_watch_decode((const char *)data, size, &ev, err, sizeof err) == 0) {
        assert(json_is_object(ev.object));
        assert(ev.rv && strlen(ev.rv) < 128);
        if (ev.type == KUBE_EVENT_BOOKMARK || ev.type == KUBE_EVENT_ERROR)
            assert(ev.key[0] == '\0');
        else
            assert(ev.key[0] != '\0' && ev.key[0] != '/');
        kube_event_clear(&ev);
    } else {
        assert(err[0] == '/' || err[0] == ':');
    }
    return 0;
}
