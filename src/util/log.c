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
static time_t (*clock_fn)(time_t *) = time; /* the limiter's window: log_set_clock */

/* Rate limiter state: a fixed one-second window per (component, level,
 * class), so a chatty component (the access log under load) cannot starve the
 * others, and a flood of ordinary lines (malformed requests answered 400)
 * cannot hide the security-relevant ones (5xx, authentication failures,
 * refusals at the edge), which have their own budget. */
#define RATE_SLOTS 64
struct rate_slot {
    char component[32];
    int level;
    int cls; /* enum log_class */
    time_t window_start;
    unsigned count;
    unsigned long dropped;
};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rate_slot slots[RATE_SLOTS];
static size_t nslots;
static unsigned long long dropped_total[2]; /* by enum log_class, for /metrics */

/* The slot of (component, level, class); components past RATE_SLOTS share
 * the last two (one per class). */
static struct rate_slot *rate_slot(const char *component, int level, int cls)
{
    for (size_t i = 0; i < nslots; i++)
        if (slots[i].level == level && slots[i].cls == cls &&
            strcmp(slots[i].component, component) == 0)
            return &slots[i];
    if (nslots >= RATE_SLOTS - 2)
        return &slots[RATE_SLOTS - 2 + cls];
    struct rate_slot *s = &slots[nslots++];
    snprintf(s->component, sizeof s->component, "%s", component);
    s->level = level;
    s->cls = cls;
    return s;
}

unsigned long long log_dropped(enum log_class cls)
{
    pthread_mutex_lock(&lock);
    unsigned long long n = dropped_total[cls == LOG_SECURITY];
    pthread_mutex_unlock(&lock);
    return n;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcasecmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void log_set_level(enum log_level level) { min_level = level; }

void log_set_clock(time_t (*fn)(time_t *)) { clock_fn = fn ? fn : time; }
enum log_level log_get_level(void) { return min_level; }
void log_set_rate_limit(unsigned per_second) { rate_per_second = per_second; }

static void emit(enum log_level level, enum log_class cls, const char *component, json_t *fields,
                 const char *fmt, va_list ap)
{
    if (level < min_level) {
        json_decref(fields);
        return;
    }
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);

    if (!component)
        component = "-";
    pthread_mutex_lock(&lock);
    struct rate_slot *slot = rate_slot(component, (int)level, cls == LOG_SECURITY);
    time_t now = clock_fn(NULL);
    if (now != slot->window_start) {
        slot->window_start = now;
        slot->count = 0;
    }
    if (rate_per_second && ++slot->count > rate_per_second) {
        slot->dropped++;
        dropped_total[cls == LOG_SECURITY]++;
        pthread_mutex_unlock(&lock);
        json_decref(fields);
        return;
    }
    unsigned long was_dropped = slot->dropped;
    slot->dropped = 0;

    char ts[40];
    time_format_rfc3339(time_now_ms(), ts, sizeof ts);
    json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level_names[level],
                             "component", component, "msg", msg);
    if (fields)
        json_object_update_missing(line, fields);
    if (was_dropped)
        json_object_set_new(line, "dropped_lines", json_integer((json_int_t)was_dropped));
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
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
    emit(level, LOG_ORDINARY, component, NULL, fmt, ap);
    va_end(ap);
}

void log_fields(enum log_level level, const char *component, json_t *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(level, LOG_ORDINARY, component, fields, fmt, ap);
    va_end(ap);
}

void log_security(enum log_level level, const char *component, json_t *fields, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(level, LOG_SECURITY, component, fields, fmt, ap);
    va_end(ap);
}
