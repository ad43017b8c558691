/* Which files a policy may name. The policy is edited over the API by an admin,
 * and a log source's lines end up in incidents that viewers read, so the files it
 * may follow (log_sources[].paths) and read secrets from (secret_ref.file) are
 * limited to directories the operator configures (IF_SRE_FILE_ROOTS). Secret
 * environment variables are limited to names starting with SECRET_ENV_PREFIX. */
#ifndef SREBOT_CORE_FILEROOTS_H
#define SREBOT_CORE_FILEROOTS_H

#include <jansson.h>

#include "core/problems.h"

#define SECRET_ENV_PREFIX "IF_SRE_SECRET_"

/* 1 when path (absolute, without "." or ".." segments) lies under one of the
 * comma-separated absolute directories in roots. A glob counts by its text, so
 * its directory part must name the root literally. */
int fileroots_allows(const char *roots, const char *path);

/* Adds a "forbidden" problem for each log_sources[].paths entry and each
 * secret_ref.file anywhere in doc that lies outside roots. */
void fileroots_check_policy(const json_t *doc, const char *roots, struct problems *p);

#endif
