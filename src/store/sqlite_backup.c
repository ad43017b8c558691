/* The SQLite side of backup and restore (store_backup.c checks the result).
 *
 * Backup: SQLite's online backup API copies every page of the live database in
 * one read transaction, so the copy is one consistent snapshot while the
 * server keeps writing (WAL: the reader blocks no writer). It is written to a
 * temporary file next to the destination, switched to a rollback journal (one
 * self-contained file, no -wal/-shm), synced, then renamed into place.
 *
 * Restore: only while nobody has the store open. Every process that opens the
 * store for writing (the server, token create, migrate...) holds a shared
 * flock on "<db>.lock" for as long as it has it open; restore takes it
 * exclusively (without waiting) or refuses. The pages are then copied into the
 * target with the backup API, through SQLite's own locking and journal, so a
 * crash half-way leaves the old store intact. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite_int.h"

int sq_lock_open(const char *db_path, int exclusive, char *err, size_t errlen)
{
    char lock_path[4200];
    if ((size_t)snprintf(lock_path, sizeof lock_path, "%s.lock", db_path) >= sizeof lock_path) {
        snprintf(err, errlen, "store path too long");
        return -1;
    }
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", lock_path, strerror(errno));
        return -1;
    }
    if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            snprintf(err, errlen,
                     exclusive ? "the store %s is in use (a running srebot or another command "
                                 "has it open): stop the service first"
                               : "the store %s is being restored: try again when it is done",
                     db_path);
        else
            snprintf(err, errlen, "cannot lock %s: %s", lock_path, strerror(e));
        return -2;
    }
    return fd;
}

/* Copies every page of src into dst in one step (one read transaction on src),
 * retrying while a writer holds a lock for a moment. */
static int copy_pages(sqlite3 *dst, sqlite3 *src, char *err, size_t errlen)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
        return -1;
    }
    int rc, tries = 0;
    while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        if (++tries > 100) /* 10 s */
            break;
        sqlite3_sleep(100);
    }
    int fin = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE || fin != SQLITE_OK) {
        snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc != SQLITE_DONE ? rc : fin));
        return -1;
    }
    return 0;
}

static int exec_text(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int open_db(const char *path, int flags, sqlite3 **db, char *err, size_t errlen)
{
    int rc = sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close_v2(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 5000);
    return 0;
}

static void fsync_dir_of(const char *path)
{
    char copy[4200];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

enum store_status sq_backup(const char *url, const char *dest, int force, char *err,
                            size_t errlen)
{
    const char *path = sq_url_path(url);
    struct stat sb;
    if (!force && stat(dest, &sb) == 0) {
        snprintf(err, errlen, "%s exists: pass --force to overwrite it", dest);
        return STORE_CONFLICT;
    }
    if (stat(path, &sb) != 0) {
        snprintf(err, errlen, "no store at %s", path);
        return STORE_NOT_FOUND;
    }
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", dest, (long)getpid()) >= sizeof tmp) {
        snprintf(err, errlen, "backup path too long");
        return STORE_INVALID;
    }
    unlink(tmp);
    sqlite3 *src = NULL, *dst = NULL;
    enum store_status st = STORE_ERROR;
    if (open_db(path, SQLITE_OPEN_READONLY, &src, err, errlen) ||
        open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err, errlen))
        goto out;
    if (copy_pages(dst, src, err, errlen) ||
        exec_text(dst, "PRAGMA journal_mode=DELETE", err, errlen))
        goto out;
    if (sqlite3_close_v2(dst) != SQLITE_OK) {
        snprintf(err, errlen, "cannot close %s", tmp);
        dst = NULL;
        goto out;
    }
    dst = NULL;
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    close(fd);
    if (rename(tmp, dest) != 0) {
        snprintf(err, errlen, "cannot rename to %s: %s", dest, strerror(errno));
        goto out;
    }
    fsync_dir_of(dest);
    st = STORE_OK;
out:
    sqlite3_close_v2(dst);
    sqlite3_close_v2(src);
    if (st != STORE_OK)
        unlink(tmp);
    return st;
}

/* A store that already holds a schema is only replaced with --force. */
static int has_schema(sqlite3 *db)
{
    sqlite3_stmt *q = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name='schema_migrations'", -1,
                           &q, NULL) == SQLITE_OK)
        found = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return found;
}

enum store_status sq_restore(const char *url, const char *src_path, int force, char *err,
                             size_t errlen)
{
    const char *path = sq_url_path(url);
    int lock = sq_lock_open(path, 1, err, errlen);
    if (lock < 0)
        return lock == -2 ? STORE_BUSY : STORE_ERROR;
    sqlite3 *src = NULL, *dst = NULL;
    enum store_status st = STORE_ERROR;
    if (open_db(src_path, SQLITE_OPEN_READONLY, &src, err, errlen) ||
        open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err, errlen))
        goto out;
    if (!force && has_schema(dst)) {
        snprintf(err, errlen, "%s already holds a store: pass --force to replace it", path);
        st = STORE_CONFLICT;
        goto out;
    }
    /* WAL as the server runs it; the copy goes through the target's journal. */
    if (exec_text(dst, "PRAGMA journal_mode=WAL", err, errlen) ||
        exec_text(dst, "PRAGMA synchronous=FULL", err, errlen) ||
        copy_pages(dst, src, err, errlen) ||
        exec_text(dst, "PRAGMA journal_mode=WAL", err, errlen) ||
        exec_text(dst, "PRAGMA wal_checkpoint(TRUNCATE)", err, errlen))
        goto out;
    st = STORE_OK;
out:
    sqlite3_close_v2(dst);
    sqlite3_close_v2(src);
    close(lock); /* releases the exclusive lock */
    return st;
}

enum store_status sq_open_file(const char *file, struct store_conn **out, char *err,
                               size_t errlen)
{
    struct stat sb;
    if (stat(file, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: no such file", file);
        return STORE_NOT_FOUND;
    }
    char url[4200];
    if ((size_t)snprintf(url, sizeof url, "sqlite:%s", file) >= sizeof url) {
        snprintf(err, errlen, "path too long");
        return STORE_INVALID;
    }
    struct store_config cfg;
    store_config_defaults(&cfg);
    return store_sqlite_backend.open(url, 1, &cfg, out, err, errlen);
}

/* A srebot store: intact pages, the migrations table, the tables every
 * version has (tokens, the audit chain). */
enum store_status sq_file_check(struct store_conn *c, int *version, int *known)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(q->db, "PRAGMA quick_check", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    const char *res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (!res || strcmp(res, "ok") != 0) {
        snprintf(c->err, sizeof c->err, "not an intact SQLite database (%s)",
                 res ? res : sqlite3_errmsg(q->db));
        sqlite3_finalize(st);
        return STORE_INVALID;
    }
    sqlite3_finalize(st);
    int64_t tables = 0, v = 0;
    if (sq_scalar_int64(q, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                           "('schema_migrations','tokens','audit_log','audit_head')",
                        "read the schema", &tables) != STORE_OK ||
        tables != 4) {
        snprintf(c->err, sizeof c->err, "not a srebot store (no schema_migrations, tokens and "
                                        "audit tables)");
        return STORE_INVALID;
    }
    if (sq_scalar_int64(q, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                        "read the schema version", &v) != STORE_OK)
        return STORE_ERROR;
    if (v < 1) {
        snprintf(c->err, sizeof c->err, "not a srebot store (no migration applied)");
        return STORE_INVALID;
    }
    *version = (int)v;
    *known = sqlite_migrations[sqlite_migrations_count - 1].version;
    return STORE_OK;
}
