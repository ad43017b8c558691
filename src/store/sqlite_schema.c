/* The SQLite schema, as numbered forward-only migrations. Append new entries at
 * the end with the next version; never edit one that has shipped. Each entry
 * runs in its own transaction and is recorded in schema_migrations.
 * Times are INTEGER milliseconds since the Unix epoch (UTC). */
#include "store/sqlite_int.h"

const struct sqlite_migration sqlite_migrations[] = {
    {1, "tokens, audit log, heartbeat",
     "CREATE TABLE tokens ("
     "  id INTEGER PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),"
     "  role TEXT NOT NULL CHECK (role IN ('ingest','viewer','operator','admin')),"
     "  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
     "  created_at INTEGER NOT NULL"
     ");"
     /* Append-only, hash-chained (src/core/audit.h). audit_head is written in
      * the same transaction as each row, so removing the last rows is caught. */
     "CREATE TABLE audit_log ("
     "  seq INTEGER PRIMARY KEY,"
     "  at INTEGER NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  action TEXT NOT NULL,"
     "  subject TEXT NOT NULL,"
     "  detail TEXT,"
     "  prev_hash BLOB NOT NULL,"
     "  hash BLOB NOT NULL"
     ");"
     "CREATE TABLE audit_head ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  seq INTEGER NOT NULL,"
     "  hash BLOB NOT NULL"
     ");"
     "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
     "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
     "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
     "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
     /* store_ready's probe write */
     "CREATE TABLE store_heartbeat ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  at INTEGER NOT NULL"
     ");"},
    {2, "policy versions",
     /* robot_sre_policy: one row per accepted document (docs/policy.md). */
     "CREATE TABLE policy_versions ("
     "  version INTEGER PRIMARY KEY CHECK (version >= 1),"
     "  author TEXT NOT NULL CHECK (length(author) BETWEEN 1 AND 63),"
     "  created_at INTEGER NOT NULL,"
     "  document TEXT NOT NULL"
     ");"},
};

const size_t sqlite_migrations_count = sizeof sqlite_migrations / sizeof sqlite_migrations[0];
