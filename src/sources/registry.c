/* The source table: one row per adapter kind (see source.h). */
#include <string.h>

#include "sources/source.h"

extern const struct source_ops logfile_source;

const struct source_ops *const source_registry[] = {
    &logfile_source,
    NULL,
};

const struct source_ops *source_find(const char *kind)
{
    for (size_t i = 0; source_registry[i]; i++)
        if (strcmp(source_registry[i]->kind, kind) == 0)
            return source_registry[i];
    return NULL;
}
