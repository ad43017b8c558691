#include "core/classes.h"

#include <string.h>

const struct incident_class incident_classes[] = {
    {"infrastructure.node_disk_pressure", "A node filesystem is nearly full (space or inodes)"},
    {"infrastructure.node_cpu_saturation", "A node's CPU is saturated"},
    {"infrastructure.node_memory_saturation", "A node is running out of memory"},
    {"infrastructure.node_pid_pressure", "A node is running out of process ids"},
    {"infrastructure.node_not_ready", "A Kubernetes node is not Ready"},
    {"runtime_services.runtime_dependency_outage", "A runtime dependency is unreachable"},
    {"release_configuration.registry_auth_or_mirror_failure",
     "An image registry or mirror refuses auth or is unreachable"},
    {"identity_security.identity_provider_unreachable", "The identity provider is unreachable"},
    {"identity_security.tls_certificate_expiry", "A TLS certificate is expired or expiring"},
    {"application_services.application_service_degraded", "An application service is degraded"},
    {"application_services.pod_restart_pressure", "Pods restart repeatedly"},
    {"application_services.pod_eviction_pressure", "Pods are being evicted"},
    {"application_services.http_5xx_burst", "A burst of HTTP 5xx responses"},
    {"application_services.panic_detected", "A process panicked or crashed"},
    {"application_services.oom_killed", "A process was killed for running out of memory"},
    {"application_services.completed_pods_accumulating",
     "Succeeded and failed pods pile up in a namespace"},
    {"async_workloads.queue_backlog", "A work queue is backing up"},
    {"async_workloads.notification_delivery_failure", "Notifications fail to deliver"},
    {"async_workloads.cronjob_failing", "A CronJob's jobs keep failing"},
    {NULL, NULL},
};

int class_known(const char *name)
{
    if (!name)
        return 0;
    for (const struct incident_class *c = incident_classes; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return 1;
    return 0;
}

static int ident(const char **p)
{
    const char *s = *p;
    if (!(*s >= 'a' && *s <= 'z'))
        return 0;
    while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')
        s++;
    *p = s;
    return 1;
}

int class_well_formed(const char *s)
{
    if (!s || strlen(s) > 96)
        return 0;
    const char *p = s;
    if (!ident(&p) || *p++ != '.' || !ident(&p))
        return 0;
    return *p == '\0';
}

int class_domain(const char *cls, char *out, size_t outlen)
{
    const char *dot = cls ? strchr(cls, '.') : NULL;
    if (!dot || (size_t)(dot - cls) >= outlen)
        return -1;
    memcpy(out, cls, (size_t)(dot - cls));
    out[dot - cls] = '\0';
    return 0;
}
