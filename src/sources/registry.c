/* The one table of source kinds. Adding a source touches its own file and one
 * row here; nothing else names a concrete adapter (main.c aside). */
#include <string.h>

#include "sources/source.h"

extern const struct source_ops source_host;
extern const struct source_ops source_probe_tcp;
extern const struct source_ops source_probe_http;
extern const struct source_ops source_probe_dns;
extern const struct source_ops source_probe_tls;
extern const struct source_ops source_probe_oidc;
extern const struct source_ops source_probe_registry;
extern const struct source_ops source_logfile;

const struct source_ops *const source_registry[] = {
    &source_host,
    &source_probe_tcp,
    &source_probe_http,
    &source_probe_dns,
    &source_probe_tls,
    &source_probe_oidc,
    &source_probe_registry,
    &source_logfile,
    NULL,
};

const struct source_ops *source_find(const char *kind)
{
    if (!kind)
        return NULL;
    for (size_t i = 0; source_registry[i]; i++)
        if (strcmp(source_registry[i]->kind, kind) == 0)
            return source_registry[i];
    return NULL;
}
