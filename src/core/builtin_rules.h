/* Built-in detector rules: shipped with the binary, protected in the policy (only
 * `enabled` may change, where the posture allows). The policy's default
 * `detector_rules` starts from this table; the log scanner compiles it. */
#ifndef SREBOT_CORE_BUILTIN_RULES_H
#define SREBOT_CORE_BUILTIN_RULES_H

struct builtin_rule {
    const char *id;          /* "builtin.go_panic" */
    const char *kind;        /* "log_signature" | "metric_threshold" | "probe" */
    const char *pattern;     /* regex for log_signature (vectorscan syntax) */
    const char *class;       /* incident class */
    const char *severity;    /* critical|high|warning|info */
    const char *key_template;/* correlation key template, e.g. "{source}:{rule}" */
    unsigned window_seconds; /* counting window */
    unsigned threshold;      /* matches in window to fire */
};
extern const struct builtin_rule builtin_rules[]; /* NULL-id terminated */
const struct builtin_rule *builtin_rule_find(const char *id);

#endif
