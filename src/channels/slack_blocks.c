/* Block Kit for srebot's messages. Slack's limits: section text <= 3000
 * characters, button text <= 75, action_id / block_id <= 255, value <= 2000.
 * Text from incidents is escaped for mrkdwn (& < > are the control characters). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "channels/slack.h"
#include "core/finding.h"

#define SECTION_MAX 2900 /* under Slack's 3000, leaving room for the escapes' growth */

/* mrkdwn-escaped, cut at a bounded size (on a UTF-8 boundary). */
static void mrkdwn(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *s = in ? in : ""; *s && o + 6 < outlen; s++) {
        const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
        if (rep) {
            size_t n = strlen(rep);
            memcpy(out + o, rep, n);
            o += n;
        } else {
            out[o++] = *s;
        }
    }
    while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80 && in && strlen(in) > o)
        o--; /* never end inside a multi-byte character */
    out[o] = '\0';
}

static json_t *section(const char *mrkdwn_text)
{
    return json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text", "type", "mrkdwn", "text",
                     mrkdwn_text);
}

static json_t *context_line(const struct channel_message *m)
{
    char line[1200], esc[600];
    snprintf(line, sizeof line, "Severity: *%s*", severity_name((enum severity)m->severity));
    if (m->class_) {
        mrkdwn(m->class_, esc, 200);
        snprintf(line + strlen(line), sizeof line - strlen(line), "  ·  Class: `%s`", esc);
    }
    if (m->state) {
        mrkdwn(m->state, esc, 100);
        snprintf(line + strlen(line), sizeof line - strlen(line), "  ·  State: *%s*", esc);
    }
    if (m->incident_id)
        snprintf(line + strlen(line), sizeof line - strlen(line), "  ·  Incident #%" PRId64,
                 m->incident_id);
    if (m->link && strlen(m->link) < 500 && !strpbrk(m->link, "<>| "))
        snprintf(line + strlen(line), sizeof line - strlen(line), "  ·  <%s|Open in console>",
                 m->link);
    return json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context", "elements", "type", "mrkdwn",
                     "text", line);
}

static json_t *buttons(int64_t approval_id)
{
    char value[24], block[48];
    snprintf(value, sizeof value, "%" PRId64, approval_id);
    snprintf(block, sizeof block, "approval-%" PRId64, approval_id);
    return json_pack(
        "{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:{s:s, s:s}}, "
        "{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, "
        "s:{s:s, s:s}}}]}",
        "type", "actions", "block_id", block, "elements",
        /* approve */
        "type", "button", "action_id", "approve", "value", value, "style", "primary", "text",
        "type", "plain_text", "text", "Approve",
        /* reject, behind a confirmation */
        "type", "button", "action_id", "reject", "value", value, "style", "danger", "text", "type",
        "plain_text", "text", "Reject", "confirm", "title", "type", "plain_text", "text",
        "Reject this action?", "text", "type", "plain_text", "text",
        "The action will not run.", "confirm", "type", "plain_text", "text", "Reject", "deny",
        "type", "plain_text", "text", "Cancel");
}

json_t *slack_blocks(const struct channel_message *m, int with_buttons)
{
    char title[400], text[SECTION_MAX + 8], head[420];
    mrkdwn(m->title ? m->title : "srebot", title, sizeof title);
    snprintf(head, sizeof head, "*%s*", title);
    json_t *blocks = json_array();
    json_array_append_new(blocks, section(head));
    if (m->text && *m->text) {
        mrkdwn(m->text, text, sizeof text);
        json_array_append_new(blocks, section(text));
    }
    json_array_append_new(blocks, context_line(m));
    if (with_buttons && m->approval_id > 0)
        json_array_append_new(blocks, buttons(m->approval_id));
    return blocks;
}

json_t *slack_root_blocks(const struct channel_message *m)
{
    char title[400], head[420];
    mrkdwn(m->title ? m->title : "srebot", title, sizeof title);
    snprintf(head, sizeof head, "*%s*", title);
    json_t *blocks = json_array();
    json_array_append_new(blocks, section(head));
    json_array_append_new(blocks, context_line(m));
    return blocks;
}
