#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

int cli_ensure_data_dir(const struct config *cfg)
{
    /* mkdir -p for one or two levels is enough for "./var" style paths. */
    char path[sizeof cfg->data_dir];
    snprintf(path, sizeof path, "%s", cfg->data_dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) && errno != EEXIST) {
            fprintf(stderr, "srebot: cannot create %s: %s\n", path, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(path, 0700) && errno != EEXIST) {
        fprintf(stderr, "srebot: cannot create data dir %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}
