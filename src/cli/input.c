/* Input helpers shared by the client commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

char *cli_read_file(const char *file, size_t max_bytes, size_t *len)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "srebot: cannot open %s\n", file);
        return NULL;
    }
    /* One byte more than allowed, so the parser can tell "too large" from "at the limit". */
    char *buf = malloc(max_bytes + 1);
    if (buf)
        *len = fread(buf, 1, max_bytes + 1, f);
    else
        fprintf(stderr, "srebot: out of memory reading %s\n", file);
    if (f != stdin)
        fclose(f);
    return buf;
}

int cli_is_id(const char *s)
{
    if (!s || !*s || strlen(s) > 18)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}
