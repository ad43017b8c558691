/* The one table of source kinds. Adding a source touches its own file and one
 * row here (under its build option when it needs an optional library);
 * nothing else names a concrete adapter. */
#include <string.h>

#include "sources/source.h"
#include "util/adapter.h"

extern const struct source_ops source_host;
extern const struct source_ops source_probe_tcp;
extern const struct source_ops source_probe_http;
extern const struct source_ops source_probe_dns;
extern const struct source_ops source_probe_tls;
extern const struct source_ops source_probe_oidc;
extern const struct source_ops source_probe_registry;
extern const struct source_ops source_kubernetes;
#ifdef SREBOT_WITH_VECTORSCAN
extern const struct source_ops source_logfile;
extern const struct source_ops source_journal;
#endif

const struct source_ops *const source_registry[] = {
    &source_host,
    &source_probe_tcp,
    &source_probe_http,
    &source_probe_dns,
    &source_probe_tls,
    &source_probe_oidc,
    &source_probe_registry,
    &source_kubernetes,
#ifdef SREBOT_WITH_VECTORSCAN
    &source_logfile,
    &source_journal,
#endif
    NULL,
};

/* Kinds this build left out, so that configuring one says how to get it. */
static const struct adapter_absent source_absent[] = {
#ifndef SREBOT_WITH_VECTORSCAN
    {"logfile", "SREBOT_WITH_VECTORSCAN"},
    {"journal", "SREBOT_WITH_VECTORSCAN"},
#endif
    {NULL, NULL},
};

const struct source_ops *source_find(const char *kind)
{
    if (!kind)
        return NULL;
    for (size_t i = 0; source_registry[i]; i++)
        if (strcmp(source_registry[i]->name, kind) == 0)
            return source_registry[i];
    return NULL;
}

const struct source_ops *source_select(const char *kind, char *err, size_t errlen)
{
    const struct source_ops *ops = source_find(kind);
    if (!ops)
        adapter_not_found("source kind", (const void *const *)source_registry, source_absent,
                          kind, err, errlen);
    return ops;
}
