#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/timeutil.h"

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static enum log_level min_level = LOG_INFO;
static unsigned rate_per_second = 200;

/* Rate limiter state: a fixed window per level. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static time_t window_start[4];
static unsigned window_count[4];
static unsigned long dropped[4];

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcasecmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void log_set_level(enum log_level level) { min_level = level; }
enum log_level log_get_level(void) { return min_level; }
void log_set_rate_limit(unsigned per_second) { rate_per_second = per_second; }

static void emit(enum log_level level, const char *component, json_t *fields, const char *fmt,
                 va_list ap)
{
    if (level < min_level) {
        json_decref(fields);
        return;
    }
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);

    pthread_mutex_lock(&lock);
    time_t now = time(NULL);
    if (now != window_start[level]) {
        window_start[level] = now;
        window_count[level] = 0;
    }
    if (rate_per_second && ++window_count[level] > rate_per_second) {
        dropped[level]++;
        pthread_mutex_unlock(&lock);
        json_decref(fields);
        return;
    }
    unsigned long was_dropped = dropped[level];
    dropped[level] = 0;

    char ts[40];
    time_format_rfc3339(time_now_ms(), ts, sizeof ts);
    json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level_names[level],
                             "component", component ? component : "-", "msg", msg);
    if (fields)
        json_object_update_missing(line, fields);
    if (was_dropped)
        json_object_set_new(line, "dropped_lines", json_integer((json_int_t)was_dropped));
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text) {
        fputs(text, stderr);
        fputc('\n', stderr);
        free(text);
    }
    pthread_mutex_unlock(&lock);
    json_decref(line);
    json_decref(fields);
}

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(level, component, NULL, fmt, ap);
    va_end(ap);
}

void log_fields(enum log_level level, const char *component, json_t *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(level, component, fields, fmt, ap);
    va_end(ap);
}
