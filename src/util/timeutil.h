/* Time helpers. All times in the system are int64 milliseconds since the Unix epoch (UTC). */
#ifndef SREBOT_UTIL_TIMEUTIL_H
#define SREBOT_UTIL_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

int64_t time_now_ms(void);        /* wall clock */
int64_t time_mono_ms(void);       /* monotonic, for timeouts and intervals */
uint64_t time_mono_ns(void);

/* The one deadline helper: the CLOCK_MONOTONIC instant `ms` milliseconds from
 * now (ms <= 0: now), as pthread_cond_timedwait wants it. The condition
 * variable must use the monotonic clock (pthread_condattr_setclock), so a wall
 * clock step neither shortens nor stretches the wait. */
void time_deadline_in(struct timespec *ts, int64_t ms);

/* "2026-11-27T02:09:35.123Z"; out must hold 32 bytes. */
void time_format_rfc3339(int64_t ms, char *out, size_t outlen);
#define TIME_MIN_MS (-62135596800000LL) /* 0001-01-01T00:00:00Z */
#define TIME_MAX_MS 253402300800000LL   /* 10000-01-01T00:00:00Z */

/* Parses RFC 3339 (Z or +hh:mm offset, optional fraction): a real calendar
 * date (no 02-30, no year 0000) whose UTC time lies in years 0001-9999.
 * Returns 0 on success. */
int time_parse_rfc3339(const char *s, int64_t *ms);

#endif
