/* Message templates (template.h). Plain text, one fact per line, so that
 * every provider, e-mail and a webhook receiver show the same thing:
 *
 *   <title>
 *   <body: what happened / what is asked / who decided>
 *   Class: <class> | Severity: <severity> | State: <state>
 *   Summary: <the incident's latest summary>
 *   Console: <base>/#/incidents/<id>
 */
#include "channels/template.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {"incident", "resolved", "approval_request",
                                         "approval_result", "test"};
#define NKINDS (sizeof kind_names / sizeof kind_names[0])

const char *channel_kind_name(enum channel_msg_kind k)
{
    return (unsigned)k < NKINDS ? kind_names[k] : "incident";
}

int channel_kind_parse(const char *s, enum channel_msg_kind *out)
{
    if (!s || !*s) {
        *out = CHANNEL_MSG_INCIDENT;
        return 0;
    }
    for (unsigned i = 0; i < NKINDS; i++)
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (enum channel_msg_kind)i;
            return 0;
        }
    return -1;
}

/* Appends with snprintf semantics, never past the end. */
__attribute__((format(printf, 4, 5))) static void add(char *buf, size_t cap, size_t *len,
                                                      const char *fmt, ...)
{
    if (*len >= cap - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

void channel_render(const struct notification_rec *n, const struct incident *inc,
                    const char *console_base_url, struct channel_text *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->title, sizeof out->title, "%s", n->title);
    if (inc) {
        snprintf(out->class_, sizeof out->class_, "%s", inc->class_);
        snprintf(out->state, sizeof out->state, "%s", incident_state_name(inc->state));
    }
    if (console_base_url && *console_base_url && n->incident_id) {
        size_t bl = strlen(console_base_url);
        while (bl > 0 && console_base_url[bl - 1] == '/')
            bl--;
        snprintf(out->link, sizeof out->link, "%.*s/#/incidents/%lld", (int)(bl < 512 ? bl : 512),
                 console_base_url, (long long)n->incident_id);
    }
    size_t len = 0;
    char sev[16];
    snprintf(sev, sizeof sev, "%s", severity_name((enum severity)n->severity));
    add(out->text, sizeof out->text, &len, "%s", n->body);
    if (inc) {
        add(out->text, sizeof out->text, &len, "\nClass: %s | Severity: %s | State: %s",
            inc->class_, severity_name(inc->severity), out->state);
        if (inc->summary[0])
            add(out->text, sizeof out->text, &len, "\nSummary: %s", inc->summary);
    } else if (strcmp(n->kind, "test") != 0) {
        add(out->text, sizeof out->text, &len, "\nSeverity: %s", sev);
    }
    if (out->link[0])
        add(out->text, sizeof out->text, &len, "\n%s: %s",
            strcmp(n->kind, "approval_request") == 0 ? "Approve or reject in the console"
                                                     : "Console",
            out->link);
}

void channel_message_from(const struct notification_rec *n, const struct channel_text *t,
                          struct channel_message *m)
{
    memset(m, 0, sizeof *m);
    m->notification_id = n->id;
    m->incident_id = n->incident_id;
    m->approval_id = n->approval_id;
    if (channel_kind_parse(n->kind, &m->kind) != 0)
        m->kind = CHANNEL_MSG_INCIDENT;
    m->severity = n->severity;
    m->class_ = t->class_[0] ? t->class_ : NULL;
    m->state = t->state[0] ? t->state : NULL;
    m->title = t->title;
    m->text = t->text;
    m->link = t->link[0] ? t->link : NULL;
}
