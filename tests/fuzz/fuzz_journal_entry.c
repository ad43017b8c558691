/* libFuzzer target: one line of `journalctl -o json` (the journal source's
 * input, src/sources/journal_entry.c). Any bytes; checks that a parsed entry
 * is bounded and consistent: a non-empty cursor within its bound, a message
 * within its bound with no newline or control byte but tabs, a bounded unit,
 * and that parsing is deterministic. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/journal_entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct journal_entry a, b;
    char err[200], err2[200];
    int ra = journal_entry_parse((const char *)data, size, &a, err, sizeof err);
    int rb = journal_entry_parse((const char *)data, size, &b, err2, sizeof err2);
    if (ra != rb)
        abort();
    if (ra != 0)
        return 0;
    size_t cl = strnlen(a.cursor, sizeof a.cursor);
    size_t ml = strnlen(a.message, sizeof a.message);
    size_t ul = strnlen(a.unit, sizeof a.unit);
    if (cl == 0 || cl > JOURNAL_CURSOR_MAX || ml > JOURNAL_MESSAGE_MAX || ul >= sizeof a.unit)
        abort();
    for (size_t i = 0; i < ml; i++)
        if (a.message[i] == '\n' || ((unsigned char)a.message[i] < 0x20 && a.message[i] != '\t'))
            abort();
    if (memcmp(&a, &b, sizeof a) != 0)
        abort();
    return 0;
}
