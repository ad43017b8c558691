/* One line of `journalctl -o json` (the journal's JSON export format, one
 * object per line, https://systemd.io/JOURNAL_EXPORT_FORMATS/): field names to
 * values, where a value is a string, null (too large for journalctl to show),
 * or an array of byte values (binary or not UTF-8). Bounded: a line above
 * JOURNAL_LINE_MAX is refused, the object may not nest. */
#ifndef SREBOT_SOURCES_JOURNAL_ENTRY_H
#define SREBOT_SOURCES_JOURNAL_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_LINE_MAX (64u * 1024)
#define JOURNAL_CURSOR_MAX 512
#define JOURNAL_MESSAGE_MAX 8192

struct journal_entry {
    char cursor[JOURNAL_CURSOR_MAX + 1]; /* __CURSOR: where to resume after this entry */
    int64_t realtime_us;                 /* __REALTIME_TIMESTAMP (0 when absent) */
    char unit[257];                      /* _SYSTEMD_UNIT, else SYSLOG_IDENTIFIER, else "" */
    char message[JOURNAL_MESSAGE_MAX + 1]; /* MESSAGE as text (bytes: invalid ones as '?'),
                                              cut at the first newline and at the bound */
    int has_message;                     /* 0: no MESSAGE, or null */
};

/* Parses one line (without its newline). 0 on success; -1 with the reason in
 * err (invalid JSON, too large, no __CURSOR, a field of the wrong type). */
int journal_entry_parse(const char *line, size_t len, struct journal_entry *out, char *err,
                        size_t errlen);

#endif
