/* Incident classes: "domain.name". The known ones are listed here; the policy may
 * reference only these (operator rules pick one of them). */
#ifndef SREBOT_CORE_CLASSES_H
#define SREBOT_CORE_CLASSES_H

#include <stddef.h>

struct incident_class {
    const char *name;        /* "infrastructure.node_disk_pressure" */
    const char *description;
};
extern const struct incident_class incident_classes[]; /* NULL-name terminated */

/* 1 when name is a known class. */
int class_known(const char *name);
/* 1 when s has the form domain.name ([a-z][a-z0-9_]* "." [a-z][a-z0-9_]*, <= 96 bytes). */
int class_well_formed(const char *s);
/* Copies the domain part ("infrastructure") into out; returns 0 on success. */
int class_domain(const char *cls, char *out, size_t outlen);

#define CLASS_FALLBACK "application_services.application_service_degraded"

#endif
