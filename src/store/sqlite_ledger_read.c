/* SQLite: the ledger's read half (lists, counts, detail, timeline, outbox).
 *
 * The incident list is one statement per (sort, with/without cursor): every
 * filter is an optional parameter (NULL = any), and paging is keyset (the sort
 * value and id of the last row seen), so a deep page costs the same as the first.
 * The default sort (last_seen) walks an index; the others sort their matches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

enum store_status sq_inc_get(struct store_conn *c, int64_t id, struct incident *out)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " SQ_INCIDENT_COLS " FROM incidents WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    struct incident inc;
    memset(&inc, 0, sizeof inc);
    if (rc == SQLITE_ROW)
        sq_incident_from_row(st, &inc);
    else if (rc == SQLITE_DONE)
        res = STORE_NOT_FOUND;
    else
        res = sq_fail(q, rc, "incident get");
    sq_done(st);
    if (res == STORE_OK)
        *out = inc;
    return res;
}

/* The text test (q, ?6): ASCII-case-insensitive substring of the summary or
 * the correlation key. */
#define TEXT_HIT                                                                                   \
    "(instr(lower(summary), lower(?6)) > 0 OR instr(lower(correlation_key), lower(?6)) > 0)"
#define FILTERS                                                                                    \
    " FROM incidents WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR class = ?2)"             \
    " AND (?3 IS NULL OR substr(class, 1, instr(class, '.') - 1) = ?3)"                           \
    " AND (?4 IS NULL OR severity = ?4) AND (?5 IS NULL OR source = ?5)"                          \
    " AND (?7 IS NULL OR last_seen >= ?7) AND (?8 IS NULL OR last_seen <= ?8)"
#define LIST_WHERE FILTERS " AND (?6 IS NULL OR " TEXT_HIT ")"
#define LIST_SQL(cursor, order)                                                                    \
    "SELECT " SQ_INCIDENT_COLS LIST_WHERE cursor " ORDER BY " order " LIMIT ?11"
/* A bounded text search: the rows passing the other filters, in order, at most
 * ?11 of them, each with its text test as a last column (SCAN_HIT_COL). */
#define SCAN_SQL(cursor, order)                                                                    \
    "SELECT " SQ_INCIDENT_COLS ", " TEXT_HIT FILTERS cursor " ORDER BY " order " LIMIT ?11"
#define SCAN_HIT_COL 15

#define SORTED(make)                                                                               \
    {                                                                                              \
        [SORT_LAST_SEEN_DESC] = {make("", "last_seen DESC, id DESC"),                              \
                                 make(" AND (last_seen, id) < (?9, ?10)", "last_seen DESC, id DESC")}, \
        [SORT_LAST_SEEN_ASC] = {make("", "last_seen, id"),                                         \
                                make(" AND (last_seen, id) > (?9, ?10)", "last_seen, id")},        \
        [SORT_FIRST_SEEN_DESC] = {make("", "first_seen DESC, id DESC"),                            \
                                  make(" AND (first_seen, id) < (?9, ?10)",                        \
                                       "first_seen DESC, id DESC")},                               \
        [SORT_FIRST_SEEN_ASC] = {make("", "first_seen, id"),                                       \
                                 make(" AND (first_seen, id) > (?9, ?10)", "first_seen, id")},     \
        [SORT_SEVERITY_DESC] = {make("", "severity DESC, id DESC"),                                \
                                make(" AND (severity, id) < (?9, ?10)", "severity DESC, id DESC")}, \
        [SORT_SEVERITY_ASC] = {make("", "severity, id"),                                           \
                               make(" AND (severity, id) > (?9, ?10)", "severity, id")},           \
    }
static const char *const list_sql[6][2] = SORTED(LIST_SQL);
static const char *const scan_sql[6][2] = SORTED(SCAN_SQL);

/* The sort column of a row (SQ_INCIDENT_COLS: 4 severity, 8 first_seen, 9 last_seen). */
static int64_t sort_col(sqlite3_stmt *st, enum incident_sort s)
{
    switch (s) {
    case SORT_FIRST_SEEN_DESC:
    case SORT_FIRST_SEEN_ASC: return sqlite3_column_int64(st, 8);
    case SORT_SEVERITY_DESC:
    case SORT_SEVERITY_ASC: return sqlite3_column_int64(st, 4);
    default: return sqlite3_column_int64(st, 9);
    }
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static enum store_status each_incident(struct sq_conn *q, sqlite3_stmt *st, const char *what,
                                       int (*fn)(const struct incident *, void *), void *ud)
{
    enum store_status res = STORE_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct incident inc;
        sq_incident_from_row(st, &inc);
        if (fn(&inc, ud))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        res = sq_fail(q, rc, what);
    sq_done(st);
    return res;
}

/* The rows of a bounded text search: only hits are decoded and handed on; the
 * walk ends at f->limit hits or after the statement's f->max_scan rows. */
static enum store_status each_hit(struct sq_conn *q, sqlite3_stmt *st,
                                  const struct incident_filter *f,
                                  int (*fn)(const struct incident *, void *), void *ud,
                                  struct incident_scan *scan)
{
    enum store_status res = STORE_OK;
    unsigned hits = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        scan->examined++;
        scan->last_value = sort_col(st, f->sort);
        scan->last_id = sqlite3_column_int64(st, 0);
        if (!sqlite3_column_int(st, SCAN_HIT_COL))
            continue;
        struct incident inc;
        sq_incident_from_row(st, &inc);
        if (fn(&inc, ud) || ++hits == f->limit)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        res = sq_fail(q, rc, "incident search");
    /* every row the statement could give was examined, and more may follow */
    scan->stopped = res == STORE_OK && rc == SQLITE_DONE && scan->examined == f->max_scan;
    sq_done(st);
    return res;
}

enum store_status sq_inc_list(struct store_conn *c, const struct incident_filter *f,
                              int (*fn)(const struct incident *, void *), void *ud,
                              struct incident_scan *scan)
{
    struct sq_conn *q = sq_of(c);
    unsigned sort = (unsigned)f->sort < 6 ? (unsigned)f->sort : 0;
    int bounded = f->q && *f->q && f->max_scan;
    sqlite3_stmt *st = sq_stmt(q, (bounded ? scan_sql : list_sql)[sort][f->has_cursor ? 1 : 0]);
    if (!st)
        return STORE_ERROR;
    if (f->has_state)
        sqlite3_bind_text(st, 1, incident_state_name(f->state), -1, SQLITE_STATIC);
    bind_opt_text(st, 2, f->class_);
    bind_opt_text(st, 3, f->domain);
    if (f->has_severity)
        sqlite3_bind_int(st, 4, (int)f->severity);
    bind_opt_text(st, 5, f->source);
    bind_opt_text(st, 6, f->q);
    if (f->since_ms)
        sqlite3_bind_int64(st, 7, f->since_ms);
    if (f->until_ms)
        sqlite3_bind_int64(st, 8, f->until_ms);
    if (f->has_cursor) {
        sqlite3_bind_int64(st, 9, f->cursor_value);
        sqlite3_bind_int64(st, 10, f->cursor_id);
    }
    if (bounded) {
        sqlite3_bind_int64(st, 11, (sqlite3_int64)f->max_scan);
        return each_hit(q, st, f, fn, ud, scan);
    }
    sqlite3_bind_int(st, 11, (int)f->limit);
    return each_incident(q, st, "incident list", fn, ud);
}

/* Counts take one scan grouped by all three dimensions (three GROUP BY scans
 * cost three times as much); states and severities are summed here. */
struct count_row {
    char key[FINDING_CLASS_MAX + 1];
    int64_t n;
};

static void sum_into(struct count_row *acc, size_t *nacc, size_t cap, const char *key, int64_t n)
{
    for (size_t i = 0; i < *nacc; i++)
        if (strcmp(acc[i].key, key) == 0) {
            acc[i].n += n;
            return;
        }
    if (*nacc < cap) {
        snprintf(acc[*nacc].key, sizeof acc[*nacc].key, "%s", key);
        acc[*nacc].n = n;
        (*nacc)++;
    }
}

/* The partial index incidents_open_identity holds exactly the open ones. */
enum store_status sq_inc_open_counts(struct store_conn *c,
                                     void (*fn)(const char *, const char *, int, int64_t, void *),
                                     void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT class, state, severity, count(*) FROM incidents"
                                  " WHERE state <> 'resolved' GROUP BY class, state, severity");
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cls = (const char *)sqlite3_column_text(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 1);
        fn(cls ? cls : "", state ? state : "", sqlite3_column_int(st, 2),
           sqlite3_column_int64(st, 3), ud);
    }
    return sq_rows_done(q, st, rc, "open incident counts");
}

/* One scan grouped by class first, so the rows of a class arrive together and
 * its total is emitted when the class changes: exact for any number of classes,
 * with memory only for the few states and severities. */
enum store_status sq_inc_counts(struct store_conn *c,
                                void (*fn)(const char *, const char *, int64_t, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT class, state, severity, count(*) FROM incidents"
                                  " GROUP BY class, state, severity ORDER BY class");
    if (!st)
        return STORE_ERROR;
    enum { CAP = 32 }; /* states and severities are small closed sets */
    struct count_row by_state[CAP], by_sev[CAP];
    size_t ns = 0, nv = 0;
    char *cls_prev = NULL;
    int64_t cls_n = 0;
    int rc;
    enum store_status res = STORE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cls = (const char *)sqlite3_column_text(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 1);
        int64_t n = sqlite3_column_int64(st, 3);
        cls = cls ? cls : "";
        if (!cls_prev || strcmp(cls_prev, cls) != 0) {
            if (cls_prev)
                fn("class", cls_prev, cls_n, ud);
            free(cls_prev);
            cls_prev = strdup(cls);
            cls_n = 0;
            if (!cls_prev) {
                res = STORE_ERROR;
                break;
            }
        }
        cls_n += n;
        sum_into(by_state, &ns, CAP, state ? state : "", n);
        sum_into(by_sev, &nv, CAP, severity_name((enum severity)sqlite3_column_int(st, 2)), n);
    }
    if (res == STORE_OK && rc != SQLITE_DONE)
        res = sq_fail(q, rc, "incident counts");
    sq_done(st);
    if (res == STORE_OK && cls_prev)
        fn("class", cls_prev, cls_n, ud);
    free(cls_prev);
    if (res != STORE_OK)
        return res;
    for (size_t i = 0; i < ns; i++)
        fn("state", by_state[i].key, by_state[i].n, ud);
    for (size_t i = 0; i < nv; i++)
        fn("severity", by_sev[i].key, by_sev[i].n, ud);
    return STORE_OK;
}

enum store_status sq_inc_due(struct store_conn *c, int64_t now_ms, int64_t quiet_ms,
                             unsigned limit, int (*fn)(const struct incident *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    /* each side of the OR walks its partial index (incidents_recovering,
     * incidents_suppressed): the terms must keep the indexes' WHERE verbatim */
    sqlite3_stmt *st = sq_stmt(
        q, "SELECT " SQ_INCIDENT_COLS " FROM incidents WHERE"
           " (state = 'recovering' AND state_since <= ?1 - ?2)"
           " OR (state = 'suppressed' AND suppressed_until <= ?1) LIMIT ?3");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, quiet_ms);
    sqlite3_bind_int(st, 3, (int)limit);
    return each_incident(q, st, "due incidents", fn, ud);
}

enum store_status sq_findings_of(struct store_conn *c, int64_t incident_id, unsigned limit,
                                 int (*fn)(const struct finding_row *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT seq, fid, source, summary, attributes, severity, status,"
                                  " observed_at FROM findings WHERE incident_id = ?1"
                                  " ORDER BY seq DESC LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, incident_id);
    sqlite3_bind_int(st, 2, (int)limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct finding_row r = {
            .seq = sqlite3_column_int64(st, 0),
            .id = (const char *)sqlite3_column_text(st, 1),
            .source = (const char *)sqlite3_column_text(st, 2),
            .summary = (const char *)sqlite3_column_text(st, 3),
            .attributes = (const char *)sqlite3_column_text(st, 4),
            .severity = (enum severity)sqlite3_column_int(st, 5),
            .status = (enum finding_status)sqlite3_column_int(st, 6),
            .observed_at_ms = sqlite3_column_int64(st, 7),
        };
        if (fn(&r, ud))
            break;
    }
    return sq_rows_done(q, st, rc, "findings of incident");
}

enum store_status sq_evidence_of(struct store_conn *c, int64_t incident_id, unsigned limit,
                                 int (*fn)(const struct evidence_row *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT id, type, summary, data, hash, source, created_at"
                                  " FROM evidence WHERE incident_id = ?1 ORDER BY id LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, incident_id);
    sqlite3_bind_int(st, 2, (int)limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct evidence_row r = {
            .id = sqlite3_column_int64(st, 0),
            .type = (const char *)sqlite3_column_text(st, 1),
            .summary = (const char *)sqlite3_column_text(st, 2),
            .data = (const char *)sqlite3_column_text(st, 3),
            .hash = (const char *)sqlite3_column_text(st, 4),
            .source = (const char *)sqlite3_column_text(st, 5),
            .created_at_ms = sqlite3_column_int64(st, 6),
        };
        if (fn(&r, ud))
            break;
    }
    return sq_rows_done(q, st, rc, "evidence of incident");
}

/* Steps a bound "SELECT id, at, actor, kind, reason, data FROM timeline ..."
 * statement, handing each row to fn until it answers non-zero. */
enum store_status sq_timeline_rows(struct sq_conn *q, sqlite3_stmt *st,
                                   int (*fn)(const struct timeline_row *, void *), void *ud,
                                   const char *what)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct timeline_row r = {
            .id = sqlite3_column_int64(st, 0),
            .at_ms = sqlite3_column_int64(st, 1),
            .actor = (const char *)sqlite3_column_text(st, 2),
            .kind = (const char *)sqlite3_column_text(st, 3),
            .reason = (const char *)sqlite3_column_text(st, 4),
            .data = (const char *)sqlite3_column_text(st, 5),
        };
        if (fn(&r, ud))
            break;
    }
    return sq_rows_done(q, st, rc, what);
}

enum store_status sq_timeline_of(struct store_conn *c, int64_t incident_id, int64_t after,
                                 unsigned limit, int (*fn)(const struct timeline_row *, void *),
                                 void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT id, at, actor, kind, reason, data FROM timeline"
                                  " WHERE incident_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, incident_id);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, (int)limit);
    return sq_timeline_rows(q, st, fn, ud, "timeline");
}

enum store_status sq_outbox_after(struct store_conn *c, int64_t after, unsigned limit,
                                  int (*fn)(const struct outbox_row *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    /* finding events are stored as a reference (ref = findings.seq) and built here */
    sqlite3_stmt *st = sq_stmt(
        q, "SELECT o.seq, o.at, o.type, o.subject, CASE WHEN o.ref IS NULL THEN o.data ELSE"
           " json_object('finding_id', coalesce(f.fid, 'seq:' || f.seq),"
           " 'incident_id', f.incident_id,"
           " 'outcome', CASE f.outcome WHEN 0 THEN 'opened' WHEN 1 THEN 'folded'"
           "   WHEN 2 THEN 'reopened' WHEN 3 THEN 'duplicate' ELSE 'resolved' END,"
           " 'source', f.source, 'class', f.class, 'correlation_key', f.correlation_key,"
           " 'severity', CASE f.severity WHEN 3 THEN 'critical' WHEN 2 THEN 'high'"
           "   WHEN 1 THEN 'warning' ELSE 'info' END,"
           " 'status', CASE f.status WHEN 1 THEN 'resolved' ELSE 'firing' END,"
           " 'summary', f.summary,"
           " 'observed_at', strftime('%Y-%m-%dT%H:%M:%fZ', f.observed_at / 1000.0, 'unixepoch'))"
           " END FROM outbox o LEFT JOIN findings f ON f.seq = o.ref"
           " WHERE o.seq > ?1 ORDER BY o.seq LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, (int)limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct outbox_row r = {
            .seq = sqlite3_column_int64(st, 0),
            .at_ms = sqlite3_column_int64(st, 1),
            .type = (const char *)sqlite3_column_text(st, 2),
            .subject = (const char *)sqlite3_column_text(st, 3),
            .data = (const char *)sqlite3_column_text(st, 4),
        };
        if (fn(&r, ud))
            break;
    }
    return sq_rows_done(q, st, rc, "outbox read");
}

enum store_status sq_cursor_get(struct store_conn *c, const char *consumer, int64_t *seq)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT seq FROM outbox_cursors WHERE consumer = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, consumer, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    int64_t v = 0;
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        res = sq_fail(q, rc, "outbox cursor");
    sq_done(st);
    if (res == STORE_OK)
        *seq = v;
    return res;
}

enum store_status sq_cursors(struct store_conn *c, int (*fn)(const char *, int64_t, void *),
                             void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT consumer, seq FROM outbox_cursors ORDER BY consumer");
    if (!st)
        return STORE_ERROR;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), ud))
            break;
    return sq_rows_done(q, st, rc, "outbox cursors");
}

enum store_status sq_outbox_head(struct store_conn *c, int64_t *seq)
{
    return sq_scalar_int64(sq_of(c), "SELECT coalesce(max(seq), 0) FROM outbox", "outbox head",
                           seq);
}
