/* Structured logging: one JSON object per line on stderr.
 *
 *   log_info("http", "listening on %s", addr);
 *   log_fields(LOG_INFO, "access", fields, "request");   // fields: json_t*, stolen
 *
 * Lines above the rate limit (per second, per component and level) are dropped and counted;
 * the count is reported on the next line that gets through. Never pass a
 * secret: there is no redaction pass, by design the callers hold none.
 */
#ifndef SREBOT_UTIL_LOG_H
#define SREBOT_UTIL_LOG_H

#include <jansson.h>
#include <time.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Parses "debug|info|warn|error"; returns -1 when unknown. */
int log_level_parse(const char *s);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Lines per second allowed for each level before dropping (0 = unlimited). */
void log_set_rate_limit(unsigned per_second);
/* The clock of the rate limiter's one-second window (tests; NULL: time()). */
void log_set_clock(time_t (*fn)(time_t *));

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* fields (may be NULL) is merged into the line and released. */
void log_fields(enum log_level level, const char *component, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Security-relevant lines (5xx answers, authentication failures, refusals at
 * the edge): the same output, but their own rate budget, so a flood of
 * ordinary lines cannot hide them. */
enum log_class { LOG_ORDINARY = 0, LOG_SECURITY };
void log_security(enum log_level level, const char *component, json_t *fields, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
/* Lines dropped by the rate limiter since start, per class (srebot_log_dropped_total). */
unsigned long long log_dropped(enum log_class cls);

#define log_debug(c, ...) log_msg(LOG_DEBUG, c, __VA_ARGS__)
#define log_info(c, ...)  log_msg(LOG_INFO, c, __VA_ARGS__)
#define log_warn(c, ...)  log_msg(LOG_WARN, c, __VA_ARGS__)
#define log_error(c, ...) log_msg(LOG_ERROR, c, __VA_ARGS__)

#endif
