/* The JSON views of ledger rows (views.h); the reads are in reads.c. */
#include "ledger/views.h"

#include <stdio.h>
#include <string.h>

#include "core/classes.h"
#include "core/lifecycle.h"
#include "util/timeutil.h"

json_t *json_time(int64_t ms)
{
    char buf[32];
    time_format_rfc3339(ms, buf, sizeof buf);
    return json_string(buf);
}

/* Stored JSON text back into a value; invalid text (never written by us) as null. */
static json_t *json_text(const char *s)
{
    if (!s)
        return json_null();
    json_error_t err;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &err);
    return v ? v : json_null();
}

json_t *incident_json(const struct incident *inc)
{
    char domain[FINDING_CLASS_MAX + 1] = "";
    class_domain(inc->class_, domain, sizeof domain);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(inc->id));
    json_object_set_new(o, "class", json_string(inc->class_));
    json_object_set_new(o, "domain", json_string(domain));
    json_object_set_new(o, "correlation_key", json_string(inc->correlation_key));
    json_object_set_new(o, "state", json_string(incident_state_name(inc->state)));
    json_object_set_new(o, "severity", json_string(severity_name(inc->severity)));
    json_object_set_new(o, "summary", json_string(inc->summary));
    json_object_set_new(o, "source", json_string(inc->source));
    json_object_set_new(o, "finding_count", json_integer(inc->finding_count));
    json_object_set_new(o, "first_seen", json_time(inc->first_seen_ms));
    json_object_set_new(o, "last_seen", json_time(inc->last_seen_ms));
    json_object_set_new(o, "updated_at", json_time(inc->updated_at_ms));
    json_object_set_new(o, "suppressed_until",
                        inc->suppressed_until_ms ? json_time(inc->suppressed_until_ms)
                                                 : json_null());
    return o;
}

json_t *incident_detail_json(const struct incident *inc)
{
    json_t *o = incident_json(inc);
    enum incident_state to[ST__COUNT];
    size_t n = lifecycle_allowed(inc->state, BY_OPERATOR, to, ST__COUNT);
    json_t *allowed = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(allowed, json_string(incident_state_name(to[i])));
    json_object_set_new(o, "allowed_transitions", allowed);
    return o;
}

json_t *finding_row_json(const struct finding_row *r)
{
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "seq:%lld", (long long)r->seq);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id ? r->id : idbuf));
    json_object_set_new(o, "source", json_string(r->source ? r->source : ""));
    json_object_set_new(o, "severity", json_string(severity_name(r->severity)));
    json_object_set_new(o, "status", json_string(finding_status_name(r->status)));
    json_object_set_new(o, "summary", json_string(r->summary ? r->summary : ""));
    json_object_set_new(o, "observed_at", json_time(r->observed_at_ms));
    json_t *attrs = r->attributes ? json_text(r->attributes) : json_object();
    json_object_set_new(o, "attributes", attrs);
    return o;
}

json_t *evidence_row_json(const struct evidence_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "type", json_string(r->type ? r->type : ""));
    json_object_set_new(o, "summary", json_string(r->summary ? r->summary : ""));
    json_object_set_new(o, "data", json_text(r->data));
    json_object_set_new(o, "hash", json_string(r->hash ? r->hash : ""));
    json_object_set_new(o, "created_at", json_time(r->created_at_ms));
    json_object_set_new(o, "source", json_string(r->source ? r->source : ""));
    return o;
}

json_t *timeline_row_json(const struct timeline_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "at", json_time(r->at_ms));
    json_object_set_new(o, "actor", json_string(r->actor ? r->actor : ""));
    json_object_set_new(o, "kind", json_string(r->kind ? r->kind : ""));
    json_object_set_new(o, "reason", json_string(r->reason ? r->reason : ""));
    json_object_set_new(o, "data", json_text(r->data));
    return o;
}

json_t *event_envelope_json(const struct outbox_row *r)
{
    char id[32];
    snprintf(id, sizeof id, "evt_%lld", (long long)r->seq);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "type", json_string(r->type ? r->type : ""));
    json_object_set_new(o, "time", json_time(r->at_ms));
    json_object_set_new(o, "subject", json_string(r->subject ? r->subject : ""));
    json_object_set_new(o, "data", json_text(r->data));
    return o;
}
