#include "core/retention.h"

#include <string.h>

#define DAY_MS (86400LL * 1000)

/* demo keeps a week of findings, production a quarter; resolved incidents
 * (with their evidence and timeline) stay longer than the findings. */
static const struct {
    int findings_days, resolved_incidents_days;
} posture_days[] = {
    [ENV_DEMO] = {7, 30},
    [ENV_STAGING] = {30, 90},
    [ENV_PRODUCTION] = {90, 365},
};

json_t *retention_defaults_json(enum environment env)
{
    if ((int)env < 0 || (size_t)env >= sizeof posture_days / sizeof posture_days[0])
        env = ENV_DEMO;
    return json_pack("{s:i, s:i, s:s, s:i}", "findings_days", posture_days[env].findings_days,
                     "resolved_incidents_days", posture_days[env].resolved_incidents_days,
                     "prune_at", "03:30", "batch_size", 2000);
}

int retention_parse_time(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

static int int_or(const json_t *o, const char *key, int def)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

void retention_from_policy(const json_t *doc, struct retention_policy *out)
{
    memset(out, 0, sizeof *out);
    const json_t *r = json_object_get(doc, "retention");
    if (!json_is_object(r))
        return;
    out->enabled = 1;
    out->findings_days = int_or(r, "findings_days", RETENTION_MAX_DAYS);
    out->resolved_incidents_days = int_or(r, "resolved_incidents_days", RETENTION_MAX_DAYS);
    int minute = retention_parse_time(json_string_value(json_object_get(r, "prune_at")));
    out->prune_minute = minute < 0 ? 210 : minute;
    out->batch_size = int_or(r, "batch_size", 2000);
}

int64_t retention_next_run_ms(int64_t after_ms, int prune_minute)
{
    int64_t day_start = after_ms - ((after_ms % DAY_MS) + DAY_MS) % DAY_MS;
    int64_t at = day_start + (int64_t)prune_minute * 60000;
    return at > after_ms ? at : at + DAY_MS;
}
