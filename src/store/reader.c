/* Reads: the registry, chains and states, through a connection of the
 * reader's own (read-only), so that reading never waits for the writer and
 * the writer never waits for a reader (WAL).
 *
 * Stored rows are treated as untrusted: anyone with the file can change
 * them. A value of the wrong type or size is an error naming the actor and
 * the row; anything that fits an event is loaded exactly as stored, so that
 * th_chain_verify, not this file, decides whether the chain is intact. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chain/chain.h"
#include "common/error.h"
#include "store/store_internal.h"

enum {
    MIN_PREFIX_DIGITS = 4, /* fewer would match half the registry */
    ID_DIGITS = 32,
};

struct th_db_reader {
    sqlite3 *conn;
    char *path;
    sqlite3_stmt *begin, *commit, *rollback;
    sqlite3_stmt *actor_by_id, *actors_by_prefix, *all_actors, *events, *state, *package;
};

#define ACTOR_COLUMNS                                                                              \
    "id, parent, name, manifest_path, manifest, package_hash, status, head, event_count, "         \
    "state_hash, created_ns, updated_ns"

static const char actor_by_id_sql[] = "SELECT " ACTOR_COLUMNS " FROM actors WHERE id = ?1";
/* Ids are lowercase hex, so every id that starts with p lies in [p, p||'g'):
 * a range the primary key's index answers without a scan. */
static const char actors_by_prefix_sql[] =
    "SELECT " ACTOR_COLUMNS " FROM actors WHERE id >= ?1 AND id < ?1 || 'g' ORDER BY id LIMIT 2";
static const char all_actors_sql[] = "SELECT " ACTOR_COLUMNS " FROM actors ORDER BY created_ns, id";
static const char events_sql[] =
    "SELECT idx, parent, hash, timestamp_ns, type, name, input, output, state_hash "
    "FROM events WHERE actor_id = ?1 AND idx >= ?2 ORDER BY idx LIMIT ?3";
static const char state_sql[] = "SELECT bytes FROM states WHERE hash = ?1";
static const char package_sql[] = "SELECT wasm FROM packages WHERE hash = ?1";

/* ---- Opening -------------------------------------------------------------------- */

static int reader_error(th_db_reader *r, th_error *err, const char *doing)
{
    return th_error_set(err, "%s: cannot %s: %s", r->path, doing, sqlite3_errmsg(r->conn));
}

static int prepare(th_db_reader *r, const char *sql, sqlite3_stmt **out, th_error *err)
{
    if (sqlite3_prepare_v3(r->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
        return reader_error(r, err, "prepare a query");
    return 0;
}

static int prepare_all(th_db_reader *r, th_error *err)
{
    if (prepare(r, "BEGIN", &r->begin, err) != 0 || prepare(r, "COMMIT", &r->commit, err) != 0 ||
        prepare(r, "ROLLBACK", &r->rollback, err) != 0 ||
        prepare(r, actor_by_id_sql, &r->actor_by_id, err) != 0 ||
        prepare(r, actors_by_prefix_sql, &r->actors_by_prefix, err) != 0 ||
        prepare(r, all_actors_sql, &r->all_actors, err) != 0 ||
        prepare(r, events_sql, &r->events, err) != 0 ||
        prepare(r, state_sql, &r->state, err) != 0 ||
        prepare(r, package_sql, &r->package, err) != 0)
        return -1;
    return 0;
}

/* A read-only connection to path, with no statements yet. */
static th_db_reader *connect_reader(const char *path, th_error *err)
{
    sqlite3 *conn = th_store_connect(path, SQLITE_OPEN_READONLY, err);
    if (!conn)
        return NULL;
    th_db_reader *r = th_xcalloc(1, sizeof *r);
    r->conn = conn;
    r->path = th_xstrdup(path);
    return r;
}

void th_db_reader_close(th_db_reader *r)
{
    if (!r)
        return;
    sqlite3_stmt *all[] = {
        r->begin,      r->commit, r->rollback, r->actor_by_id, r->actors_by_prefix,
        r->all_actors, r->events, r->state,    r->package};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    th_store_disconnect(r->conn);
    free(r->path);
    free(r);
}

sqlite3 *th_db_reader_conn(th_db_reader *r)
{
    return r->conn;
}

const char *th_db_reader_path(const th_db_reader *r)
{
    return r->path;
}

th_db_reader *th_db_reader_open(th_db *db, th_error *err)
{
    /* The database was checked and migrated when db was opened. */
    th_db_reader *r = connect_reader(th_db_path(db), err);
    if (r && prepare_all(r, err) != 0) {
        th_db_reader_close(r);
        return NULL;
    }
    return r;
}

/* A reader without a writer accepts only the schema it was written for: it
 * cannot migrate, and its queries know no other. */
static int check_for_reading(th_db_reader *r, th_error *err)
{
    int version = 0;
    if (th_store_check_file(r->conn, r->path, &version, err) != 0)
        return -1;
    if (version == 0)
        return th_error_set(err, "%s holds no Theater data yet", r->path);
    if (version < TH_SCHEMA_VERSION)
        return th_error_set(err,
                            "%s has schema %d, older than this version's %d; opening it with "
                            "the runtime migrates it",
                            r->path, version, TH_SCHEMA_VERSION);
    return th_store_check_integrity(r->conn, r->path, err);
}

th_db_reader *th_db_reader_open_path(const char *dir, th_error *err)
{
    char *path = th_store_db_path(dir);
    struct stat st;
    th_db_reader *r = NULL;
    /* SQLite would report a missing file as "unable to open database file". */
    if (stat(path, &st) != 0)
        th_error_set(err, "no Theater database in %s (%s: %s)", dir, path, strerror(errno));
    else
        r = connect_reader(path, err);
    free(path);
    if (r && (check_for_reading(r, err) != 0 || prepare_all(r, err) != 0)) {
        th_db_reader_close(r);
        return NULL;
    }
    return r;
}

/* ---- Columns ------------------------------------------------------------------------ */

/* What a value is, for messages about values of the wrong type. */
static const char *type_name(int type)
{
    switch (type) {
    case SQLITE_INTEGER:
        return "an integer";
    case SQLITE_FLOAT:
        return "a real";
    case SQLITE_TEXT:
        return "text";
    case SQLITE_BLOB:
        return "a blob";
    default:
        return "NULL";
    }
}

/* Checks a column that must hold an integer. */
static int integer_column(sqlite3_stmt *s, int col, int64_t *out, char *why, size_t why_size)
{
    int type = sqlite3_column_type(s, col);
    if (type != SQLITE_INTEGER) {
        snprintf(why, why_size, "%s is %s, not an integer", sqlite3_column_name(s, col),
                 type_name(type));
        return -1;
    }
    *out = sqlite3_column_int64(s, col);
    return 0;
}

/* Checks a column that must hold a hash (or NULL, when optional); *present
 * says which. */
static int hash_column(sqlite3_stmt *s, int col, bool optional, bool *present,
                       uint8_t out[TH_HASH_SIZE], char *why, size_t why_size)
{
    int type = sqlite3_column_type(s, col);
    memset(out, 0, TH_HASH_SIZE);
    *present = false;
    if (type == SQLITE_NULL && optional)
        return 0;
    if (type != SQLITE_BLOB) {
        snprintf(why, why_size, "%s is %s, not a %d-byte blob", sqlite3_column_name(s, col),
                 type_name(type), TH_HASH_SIZE);
        return -1;
    }
    const void *p = sqlite3_column_blob(s, col);
    int n = sqlite3_column_bytes(s, col);
    if (n != TH_HASH_SIZE) {
        snprintf(why, why_size, "%s is %d bytes, not %d", sqlite3_column_name(s, col), n,
                 TH_HASH_SIZE);
        return -1;
    }
    memcpy(out, p, TH_HASH_SIZE);
    *present = true;
    return 0;
}

/* A text column as a malloc'd string; NULL stays NULL. */
static char *text_column(sqlite3_stmt *s, int col)
{
    const char *text = (const char *)sqlite3_column_text(s, col);
    return text ? th_xstrdup(text) : NULL;
}

/* ---- Actors ------------------------------------------------------------------------- */

void th_actor_info_clear(th_actor_info *info)
{
    free(info->name);
    free(info->manifest_path);
    free(info->manifest);
    free(info->status);
    memset(info, 0, sizeof *info);
}

/* Reads the registry row the statement is on (columns as ACTOR_COLUMNS). */
static int read_actor(th_db_reader *r, sqlite3_stmt *s, th_actor_info *out, th_error *err)
{
    memset(out, 0, sizeof *out);
    const char *id = (const char *)sqlite3_column_text(s, 0);
    const char *parent = (const char *)sqlite3_column_text(s, 1);
    snprintf(out->id, sizeof out->id, "%s", id ? id : "");
    snprintf(out->parent, sizeof out->parent, "%s", parent ? parent : "");
    out->name = text_column(s, 2);
    out->manifest_path = text_column(s, 3);
    out->manifest = text_column(s, 4);
    out->status = text_column(s, 6);
    if (!out->name)
        out->name = th_xstrdup("");
    if (!out->manifest)
        out->manifest = th_xstrdup("");
    if (!out->status)
        out->status = th_xstrdup("");

    char why[160] = "";
    bool present;
    int64_t count = 0;
    if (hash_column(s, 5, false, &present, out->package_hash, why, sizeof why) != 0 ||
        hash_column(s, 7, false, &present, out->head, why, sizeof why) != 0 ||
        integer_column(s, 8, &count, why, sizeof why) != 0 ||
        hash_column(s, 9, true, &out->has_state, out->state_hash, why, sizeof why) != 0 ||
        integer_column(s, 10, &out->created_ns, why, sizeof why) != 0 ||
        integer_column(s, 11, &out->updated_ns, why, sizeof why) != 0)
        goto bad;
    if (count < 0) {
        snprintf(why, sizeof why, "event_count is %" PRId64, count);
        goto bad;
    }
    out->event_count = (uint64_t)count;
    return 0;
bad:
    th_error_set(err, "%s: registry row of actor %s: %s", r->path, out->id, why);
    th_actor_info_clear(out);
    return -1;
}

/* Steps a query for one actor: 1 with *out filled, 0 when there is no row,
 * -1 on error. The statement is left on its row (the caller resets it). */
static int step_actor(th_db_reader *r, sqlite3_stmt *s, th_actor_info *out, th_error *err)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return reader_error(r, err, "read the registry");
    return read_actor(r, s, out, err) == 0 ? 1 : -1;
}

static int find_exact(th_db_reader *r, const char *id, th_actor_info *out, th_error *err)
{
    sqlite3_stmt *s = r->actor_by_id;
    if (sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
        return reader_error(r, err, "read the registry");
    int found = step_actor(r, s, out, err);
    sqlite3_reset(s);
    return found;
}

static bool is_hex(const char *s)
{
    return *s && strspn(s, "0123456789abcdefABCDEF") == strlen(s);
}

static int find_by_prefix(th_db_reader *r, const char *query, th_actor_info *out, th_error *err)
{
    char prefix[ID_DIGITS + 1];
    size_t n = strlen(query);
    for (size_t i = 0; i <= n; i++)
        prefix[i] = (char)(query[i] >= 'A' && query[i] <= 'F' ? query[i] - 'A' + 'a' : query[i]);
    sqlite3_stmt *s = r->actors_by_prefix;
    if (sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC) != SQLITE_OK)
        return reader_error(r, err, "read the registry");
    int found = step_actor(r, s, out, err);
    if (found == 1) {
        th_actor_info second = {0};
        int more = step_actor(r, s, &second, err);
        if (more != 0) {
            if (more == 1)
                th_error_set(err, "'%s' matches more than one actor: %s, %s", query, out->id,
                             second.id);
            th_actor_info_clear(&second);
            th_actor_info_clear(out);
            found = -1;
        }
    }
    sqlite3_reset(s);
    if (found == 0)
        th_error_set(err, "no actor matches '%s'", query);
    return found == 1 ? 0 : -1;
}

int th_db_find_actor(th_db_reader *r, const char *id_or_prefix, th_actor_info *out, th_error *err)
{
    memset(out, 0, sizeof *out);
    const char *q = id_or_prefix ? id_or_prefix : "";
    int found = find_exact(r, q, out, err);
    if (found != 0)
        return found == 1 ? 0 : -1;
    size_t n = strlen(q);
    if (!is_hex(q) || n > ID_DIGITS)
        return th_error_set(err, "no actor matches '%s'", q);
    if (n < MIN_PREFIX_DIGITS)
        return th_error_set(err,
                            "no actor matches '%s' (a prefix needs at least %d hex digits of "
                            "the id)",
                            q, MIN_PREFIX_DIGITS);
    return find_by_prefix(r, q, out, err);
}

int th_db_list_actors(th_db_reader *r, int (*fn)(void *ud, const th_actor_info *info), void *ud,
                      th_error *err)
{
    /* Read every row first: fn may use this reader (to load a chain), which
     * it cannot do while this statement is running. */
    th_actor_info *infos = NULL;
    size_t len = 0, cap = 0;
    sqlite3_stmt *s = r->all_actors;
    int found, rc = 0;
    th_actor_info info;
    while ((found = step_actor(r, s, &info, err)) == 1) {
        if (len == cap) {
            cap = cap ? 2 * cap : 16;
            infos = th_xrealloc(infos, cap * sizeof *infos);
        }
        infos[len++] = info;
    }
    sqlite3_reset(s);
    if (found < 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < len; i++)
        if (fn(ud, &infos[i]) != 0)
            break;
    for (size_t i = 0; i < len; i++)
        th_actor_info_clear(&infos[i]);
    free(infos);
    return rc;
}

/* ---- Chains ------------------------------------------------------------------------- */

/* Reads the event row the statement is on into ev, pointing into the row
 * (valid until the next step). position is the row's place in the result,
 * for messages when even its idx is unreadable. */
static int read_event(th_db_reader *r, sqlite3_stmt *s, const char *actor, uint64_t position,
                      th_event *ev, th_error *err)
{
    memset(ev, 0, sizeof *ev);
    char why[160] = "", row[64];
    int64_t idx = 0, type = 0;
    bool present;
    if (integer_column(s, 0, &idx, why, sizeof why) != 0 || idx < 0) {
        if (!why[0])
            snprintf(why, sizeof why, "idx is %" PRId64, idx);
        return th_error_set(err, "%s: actor %s, event row %" PRIu64 " of the chain: %s", r->path,
                            actor, position, why);
    }
    snprintf(row, sizeof row, "event idx %" PRId64, idx);
    if (hash_column(s, 1, false, &present, ev->parent, why, sizeof why) != 0 ||
        hash_column(s, 2, false, &present, ev->hash, why, sizeof why) != 0 ||
        integer_column(s, 3, &ev->timestamp_ns, why, sizeof why) != 0 ||
        integer_column(s, 4, &type, why, sizeof why) != 0 ||
        hash_column(s, 8, true, &ev->has_state, ev->state_hash, why, sizeof why) != 0)
        goto bad;
    /* The encoding has one byte for the type; any byte is loaded as it is,
     * and verification says whether it is a known type. */
    if (type < 0 || type > 255) {
        snprintf(why, sizeof why, "type %" PRId64 " does not fit in a byte", type);
        goto bad;
    }
    for (int col = 5; col <= 7; col++)
        if (sqlite3_column_type(s, col) == SQLITE_NULL) {
            snprintf(why, sizeof why, "%s is NULL", sqlite3_column_name(s, col));
            goto bad;
        }
    ev->index = (uint64_t)idx;
    ev->type = (th_event_type)type;
    ev->name = (const char *)sqlite3_column_text(s, 5);
    ev->input = sqlite3_column_blob(s, 6);
    ev->input_len = (size_t)sqlite3_column_bytes(s, 6);
    ev->output = sqlite3_column_blob(s, 7);
    ev->output_len = (size_t)sqlite3_column_bytes(s, 7);
    if (!ev->name)
        return th_error_set(err, "%s: out of memory reading actor %s, %s", r->path, actor, row);
    return 0;
bad:
    return th_error_set(err, "%s: actor %s, %s: %s", r->path, actor, row, why);
}

/* Pushes the events of the query, as stored, onto chain. */
static int read_events(th_db_reader *r, const char *actor, uint64_t from, uint64_t limit,
                       th_chain *chain, th_error *err)
{
    sqlite3_stmt *s = r->events;
    int64_t first = from > INT64_MAX ? INT64_MAX : (int64_t)from;
    int64_t count = limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit; /* -1: no limit */
    if (sqlite3_bind_text(s, 1, actor, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, first) != SQLITE_OK ||
        sqlite3_bind_int64(s, 3, count) != SQLITE_OK)
        return reader_error(r, err, "read events");
    int rc, result = 0;
    uint64_t position = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        th_event ev;
        if (read_event(r, s, actor, from + position, &ev, err) != 0) {
            result = -1;
            break;
        }
        th_chain_push_stored(chain, &ev);
        position++;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = reader_error(r, err, "read events");
    sqlite3_reset(s);
    return result;
}

static int step_once(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

th_chain *th_db_load_chain(th_db_reader *r, const th_actor_info *actor, uint64_t from,
                           uint64_t limit, th_error *err)
{
    /* One read transaction around the registry row and the events: WAL
     * gives it one snapshot, so a writer appending meanwhile cannot make
     * the head record and the events disagree. */
    if (step_once(r->begin) != 0) {
        reader_error(r, err, "begin a read transaction");
        return NULL;
    }
    th_chain *chain = NULL;
    th_actor_info now;
    int found = find_exact(r, actor->id, &now, err);
    if (found == 0)
        th_error_set(err, "%s: no actor %s", r->path, actor->id);
    if (found != 1)
        goto fail;
    chain = th_chain_new();
    if (read_events(r, actor->id, from, limit, chain, err) != 0)
        goto fail;
    if (step_once(r->commit) != 0) {
        reader_error(r, err, "end a read transaction");
        goto fail;
    }
    th_chain_set_record(chain, now.head, (size_t)now.event_count);
    th_actor_info_clear(&now);
    return chain;
fail:
    if (found == 1)
        th_actor_info_clear(&now);
    th_chain_free(chain);
    step_once(r->rollback); /* a read transaction: nothing to undo */
    return NULL;
}

/* The bytes stored under a hash (a state, a package): 1 when found, with
 * *out malloc'd; 0 when absent; -1 on error. */
static int get_by_hash(th_db_reader *r, sqlite3_stmt *s, const uint8_t hash[TH_HASH_SIZE],
                       uint8_t **out, size_t *len, const char *what, th_error *err)
{
    *out = NULL;
    *len = 0;
    if (sqlite3_bind_blob(s, 1, hash, TH_HASH_SIZE, SQLITE_STATIC) != SQLITE_OK)
        return reader_error(r, err, what);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) {
        const void *bytes = sqlite3_column_blob(s, 0);
        *len = (size_t)sqlite3_column_bytes(s, 0);
        *out = th_xmemdup(bytes, *len);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = reader_error(r, err, what);
    }
    sqlite3_reset(s);
    return found;
}

int th_db_get_state(th_db_reader *r, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len,
                    th_error *err)
{
    return get_by_hash(r, r->state, hash, out, len, "read a state", err);
}

int th_db_get_package(th_db_reader *r, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len,
                      th_error *err)
{
    return get_by_hash(r, r->package, hash, out, len, "read a package", err);
}
