/* Opening a database file safely: telling Theater's databases from every
 * other file, and bringing an older schema up to date.
 *
 * Nothing here writes to a file before it is known to be ours: a foreign
 * SQLite database, or one written by a newer Theater, is left exactly as it
 * was found (not even switched to WAL). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "store/store_internal.h"

enum {
    /* Another process (a second runtime, the sqlite3 shell) may hold the
     * write lock for a moment; waiting beats failing a commit. */
    BUSY_TIMEOUT_MS = 5000,
};

/* One step of the schema's history: the SQL that takes a database from
 * version `from` to from+1. Applied in one transaction with the version
 * bump, so a crash leaves either the old schema or the new one. Steps are
 * only ever appended: a released step never changes, because databases
 * written by it exist. */
typedef struct migration {
    int from;
    const char *sql;
} migration;

/* Version 0 is a new, empty file. */
static const char schema_v1_sql[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;\n"
    "INSERT INTO meta (key, value) VALUES ('application', 'theater');\n"
    "CREATE TABLE actors (\n"
    "  id TEXT PRIMARY KEY, parent TEXT, name TEXT NOT NULL, manifest_path TEXT,\n"
    "  manifest TEXT NOT NULL, package_hash BLOB NOT NULL, status TEXT NOT NULL,\n"
    "  head BLOB NOT NULL, event_count INTEGER NOT NULL, state_hash BLOB,\n"
    "  created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL);\n"
    "CREATE TABLE events (\n"
    "  actor_id TEXT NOT NULL, idx INTEGER NOT NULL, parent BLOB NOT NULL, hash BLOB NOT NULL,\n"
    "  timestamp_ns INTEGER NOT NULL, type INTEGER NOT NULL, name TEXT NOT NULL,\n"
    "  input BLOB NOT NULL, output BLOB NOT NULL, state_hash BLOB,\n"
    "  PRIMARY KEY (actor_id, idx)) WITHOUT ROWID;\n"
    "CREATE TABLE states (hash BLOB PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE packages (hash BLOB PRIMARY KEY, wasm BLOB NOT NULL) WITHOUT ROWID;\n";

/* The content store: bytes kept once by hash (blobs), which stores hold
 * them (store_content: a store sees only its own content), and each store's
 * labels. Nothing of version 1 changes. */
static const char schema_v2_sql[] =
    "CREATE TABLE blobs (hash BLOB PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE store_content (store TEXT NOT NULL, hash BLOB NOT NULL,\n"
    "  PRIMARY KEY (store, hash)) WITHOUT ROWID;\n"
    "CREATE TABLE store_labels (store TEXT NOT NULL, label TEXT NOT NULL, hash BLOB NOT NULL,\n"
    "  PRIMARY KEY (store, label)) WITHOUT ROWID;\n";

static const migration migrations[] = {
    {0, schema_v1_sql},
    {1, schema_v2_sql},
};

_Static_assert(sizeof migrations / sizeof migrations[0] == TH_SCHEMA_VERSION,
               "one migration step per schema version");

/* ---- Connections ---------------------------------------------------------- */

/* SQLite's message, with the system's when an I/O call failed (SQLite says
 * "unable to open database file"; errno says why). */
static int sqlite_error(th_error *err, sqlite3 *conn, const char *path, const char *doing)
{
    int sys = conn ? sqlite3_system_errno(conn) : 0;
    const char *msg = conn ? sqlite3_errmsg(conn) : "out of memory";
    if (sys)
        return th_error_set(err, "%s: %s: %s (%s)", path, doing, msg, strerror(sys));
    return th_error_set(err, "%s: %s: %s", path, doing, msg);
}

sqlite3 *th_store_connect(const char *path, int flags, th_error *err)
{
    sqlite3 *conn = NULL;
    int rc = sqlite3_open_v2(path, &conn, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sqlite_error(err, conn, path, "cannot open");
        sqlite3_close(conn); /* a handle is returned even on failure */
        return NULL;
    }
    sqlite3_extended_result_codes(conn, 1);
    if (sqlite3_busy_timeout(conn, BUSY_TIMEOUT_MS) != SQLITE_OK) {
        sqlite_error(err, conn, path, "cannot set the busy timeout");
        sqlite3_close(conn);
        return NULL;
    }
    return conn;
}

void th_store_disconnect(sqlite3 *conn)
{
    /* Every statement is finalized by now; close_v2 would still release
     * the connection once one left behind is, rather than fail. */
    sqlite3_close_v2(conn);
}

int th_store_exec(sqlite3 *conn, const char *path, const char *sql, th_error *err)
{
    if (sqlite3_exec(conn, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_error(err, conn, path, "cannot use the database");
    return 0;
}

/* ---- What kind of file is this? ------------------------------------------ */

/* The message for a file SQLite cannot read at all, by what went wrong. */
static int unreadable(th_error *err, sqlite3 *conn, const char *path, int rc)
{
    const char *msg = sqlite3_errmsg(conn);
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        return th_error_set(err, "%s is not a SQLite database (SQLite: %s)", path, msg);
    case SQLITE_CORRUPT:
        return th_error_set(err, "%s is corrupt (SQLite: %s)", path, msg);
    default:
        return sqlite_error(err, conn, path, "cannot read");
    }
}

/* Steps stmt to its first row: 1 with a row, 0 without, -1 on error. */
static int first_row(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : -1;
}

/* How many objects (tables, indexes, views, triggers) the file holds. The
 * first read of a file is where SQLite notices that it is not a database. */
static int count_objects(sqlite3 *conn, const char *path, int64_t *count, th_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(conn, "SELECT count(*) FROM sqlite_master", -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return unreadable(err, conn, path, rc);
    int row = first_row(stmt);
    if (row == 1)
        *count = sqlite3_column_int64(stmt, 0);
    rc = sqlite3_finalize(stmt);
    if (row != 1)
        return unreadable(err, conn, path, rc);
    return 0;
}

/* The value of a meta row: 1 and a malloc'd copy when present, 0 when the
 * row is absent, -1 when the table is not a meta table as Theater makes it
 * (a foreign database may well have a table of that name), -2 when it
 * cannot be read (*rc says why). */
static int read_meta(sqlite3 *conn, const char *key, char **value, int *rc)
{
    sqlite3_stmt *stmt = NULL;
    *value = NULL;
    *rc = sqlite3_prepare_v2(conn, "SELECT value FROM meta WHERE key = ?1", -1, &stmt, NULL);
    if (*rc != SQLITE_OK)
        return (*rc & 0xff) == SQLITE_ERROR ? -1 : -2; /* SQLITE_ERROR: no such table or column */
    int row = -2;
    if (sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC) == SQLITE_OK) {
        row = first_row(stmt);
        row = row < 0 ? -2 : row;
    }
    if (row == 1) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        *value = th_xstrdup(text ? text : "");
    }
    *rc = sqlite3_finalize(stmt);
    if (*rc != SQLITE_OK) {
        free(*value);
        *value = NULL;
        row = -2;
    }
    return row;
}

static int foreign(th_error *err, const char *path)
{
    return th_error_set(err,
                        "%s is a SQLite database but not Theater's (it has tables of its own "
                        "and no meta row application=theater)",
                        path);
}

/* A schema version as stored: decimal digits only, no sign, no spaces. */
static int parse_version(const char *text, int *version)
{
    if (!text || !*text || strspn(text, "0123456789") != strlen(text))
        return -1;
    errno = 0;
    long v = strtol(text, NULL, 10);
    if (errno || v > INT_MAX)
        return -1;
    *version = (int)v;
    return 0;
}

static int read_version(sqlite3 *conn, const char *path, int *version, th_error *err)
{
    char *app = NULL, *text = NULL;
    int rc = SQLITE_OK;
    int found = read_meta(conn, "application", &app, &rc);
    bool ours = found == 1 && strcmp(app, "theater") == 0;
    free(app);
    if (found == -2)
        return unreadable(err, conn, path, rc);
    if (!ours)
        return foreign(err, path);
    found = read_meta(conn, "schema_version", &text, &rc);
    if (found == -2)
        return unreadable(err, conn, path, rc);
    rc = found == 1 ? parse_version(text, version) : -1;
    if (rc != 0)
        th_error_set(err, "%s is damaged: its meta table has no valid schema_version (%s%s%s)",
                     path, found == 1 ? "'" : "", found == 1 ? text : "none",
                     found == 1 ? "'" : "");
    free(text);
    return rc;
}

int th_store_check_file(sqlite3 *conn, const char *path, int *version, th_error *err)
{
    int64_t objects = 0;
    if (count_objects(conn, path, &objects, err) != 0)
        return -1;
    if (objects == 0) {
        *version = 0;
        return 0;
    }
    if (read_version(conn, path, version, err) != 0)
        return -1;
    if (*version > TH_SCHEMA_VERSION)
        return th_error_set(err,
                            "%s was written by a newer version of Theater (schema %d; this "
                            "version knows %d)",
                            path, *version, TH_SCHEMA_VERSION);
    return 0;
}

/* ---- Integrity -------------------------------------------------------------- */

/* PRAGMA quick_check(1): "ok", or the first problem found. It reads every
 * page, so it costs about a second per few hundred MB; a damaged file is
 * better refused at open than found half-way through a chain. */
int th_store_check_integrity(sqlite3 *conn, const char *path, th_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(conn, "PRAGMA quick_check(1)", -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return unreadable(err, conn, path, rc);
    int row = first_row(stmt);
    char *verdict = NULL;
    if (row == 1) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        verdict = th_xstrdup(text ? text : "");
    }
    rc = sqlite3_finalize(stmt);
    int result = 0;
    if (row != 1)
        result = unreadable(err, conn, path, rc);
    else if (strcmp(verdict, "ok") != 0)
        result = th_error_set(err, "%s is corrupt (SQLite quick_check: %s)", path, verdict);
    free(verdict);
    return result;
}

/* ---- Migrations ------------------------------------------------------------- */

static int set_version(sqlite3 *conn, const char *path, int version, th_error *err)
{
    static const char sql[] = "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL) != SQLITE_OK)
        return sqlite_error(err, conn, path, "cannot record the schema version");
    char text[16];
    snprintf(text, sizeof text, "%d", version);
    int rc = sqlite3_bind_text(stmt, 1, text, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        sqlite_error(err, conn, path, "cannot record the schema version");
        sqlite3_finalize(stmt);
        return -1;
    }
    sqlite3_finalize(stmt);
    return 0;
}

/* One step in its own transaction. The version is read again inside it:
 * another process may have migrated the file since we looked. Returns 1
 * when a step was applied, 0 when the schema is current, -1 on error. */
static int migrate_one_step(sqlite3 *conn, const char *path, th_error *err)
{
    if (th_store_exec(conn, path, "BEGIN IMMEDIATE", err) != 0)
        return -1;
    int version = 0, applied = 0;
    if (th_store_check_file(conn, path, &version, err) != 0)
        goto fail;
    if (version < TH_SCHEMA_VERSION) {
        const migration *step = &migrations[version];
        if (th_store_exec(conn, path, step->sql, err) != 0) {
            th_error_wrap(err, "migrating from schema %d to %d", step->from, step->from + 1);
            goto fail;
        }
        if (set_version(conn, path, step->from + 1, err) != 0)
            goto fail;
        applied = 1;
    }
    if (th_store_exec(conn, path, "COMMIT", err) != 0)
        goto fail;
    return applied;
fail:
    sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL); /* the error at hand says more */
    return -1;
}

int th_store_migrate(sqlite3 *conn, const char *path, th_error *err)
{
    int version = 0;
    if (th_store_check_file(conn, path, &version, err) != 0)
        return -1;
    if (version > 0 && th_store_check_integrity(conn, path, err) != 0)
        return -1;
    /* Only now, with the file known to be ours (or new), is it changed. */
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(conn, "PRAGMA journal_mode=WAL", -1, &stmt, NULL);
    int row = rc == SQLITE_OK ? first_row(stmt) : -1;
    bool wal = row == 1 && sqlite3_stricmp((const char *)sqlite3_column_text(stmt, 0), "wal") == 0;
    sqlite3_finalize(stmt);
    if (!wal) {
        if (row == 1)
            return th_error_set(err, "%s: cannot switch the database to WAL mode", path);
        return sqlite_error(err, conn, path, "cannot switch to WAL mode");
    }
    for (;;) {
        int step = migrate_one_step(conn, path, err);
        if (step < 0)
            return -1;
        if (step == 0)
            return 0;
    }
}
