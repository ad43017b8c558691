/* Backup and restore of the whole store (srebot backup / restore), backend
 * neutral: the backend copies the bytes (SQLite's online backup API for the
 * embedded store); this file checks what was copied. A file is accepted as a
 * srebot store when it passes the backend's integrity check, its schema version
 * is one this build knows (older ones are migrated forward by the next start),
 * and its audit chain verifies. */
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

/* Opens file read-only and checks it: schema version, integrity, audit chain. */
static enum store_status inspect(const struct store_backend_ops *ops, const char *file,
                                 struct store_file_info *info, char *err, size_t errlen)
{
    struct store_conn *c = NULL;
    enum store_status st = ops->open_file(file, &c, err, errlen);
    if (st != STORE_OK)
        return st;
    int version = 0, known = 0;
    st = ops->file_check(c, &version, &known);
    if (st != STORE_OK) {
        snprintf(err, errlen, "%s: %s", file, c->err);
        goto out;
    }
    if (version > known) {
        snprintf(err, errlen,
                 "%s: schema version %d is newer than this build (%d): restore it with the "
                 "srebot that wrote it, or upgrade srebot",
                 file, version, known);
        st = STORE_INVALID;
        goto out;
    }
    int64_t broken = 0, checked = 0;
    char reason[200] = "";
    st = store_audit_verify(c, &broken, &checked, reason, sizeof reason);
    if (st != STORE_OK) {
        snprintf(err, errlen, "%s: audit chain unreadable: %s", file, c->err);
        goto out;
    }
    if (broken) {
        snprintf(err, errlen, "%s: audit chain broken at seq %lld: %s", file, (long long)broken,
                 reason);
        st = STORE_INVALID;
        goto out;
    }
    info->schema_version = version;
    info->audit_records = checked;
out:
    ops->close(c);
    return st;
}

static const struct store_backend_ops *file_capable(const char *url, const char *what, char *err,
                                                    size_t errlen)
{
    char why[300];
    const struct store_backend_ops *ops = store_backend_select(url, why, sizeof why);
    if (!ops) {
        snprintf(err, errlen, "unsupported store URL: %s", why);
        return NULL;
    }
    if (!ops->backup || !ops->restore || !ops->open_file || !ops->file_check) {
        snprintf(err, errlen, "the %s store has no %s here: use its own tools", ops->name, what);
        return NULL;
    }
    return ops;
}

enum store_status store_backup(const char *url, const char *dest, int force,
                               struct store_file_info *info, char *err, size_t errlen)
{
    const struct store_backend_ops *ops = file_capable(url, "backup", err, errlen);
    if (!ops)
        return STORE_INVALID;
    enum store_status st = ops->backup(url, dest, force, err, errlen);
    if (st != STORE_OK)
        return st;
    /* Checks the copy, not the live store: what a restore would accept. */
    struct store_file_info got = {0};
    st = inspect(ops, dest, &got, err, errlen);
    if (st == STORE_OK && info)
        *info = got;
    return st;
}

enum store_status store_restore(const char *url, const char *src, int force,
                                struct store_file_info *info, char *err, size_t errlen)
{
    const struct store_backend_ops *ops = file_capable(url, "restore", err, errlen);
    if (!ops)
        return STORE_INVALID;
    struct store_file_info got = {0};
    enum store_status st = inspect(ops, src, &got, err, errlen);
    if (st != STORE_OK)
        return st;
    st = ops->restore(url, src, force, err, errlen);
    if (st == STORE_OK && info)
        *info = got;
    return st;
}
