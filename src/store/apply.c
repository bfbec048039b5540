/* Applying a batch of queued work to the database in one transaction.
 *
 * This is the hot path of persistence: every statement is prepared once and
 * reused, every byte is bound in place (the batch buffer outlives the
 * statement's step), and the registry row of an actor is updated once per
 * transaction however many of its events the batch holds. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "store/store_internal.h"

/* The registry's view of one actor's chain after the batch's last event of
 * that actor: written once, at the end of the transaction. */
typedef struct head_update {
    const char *id; /* points into the batch */
    size_t id_len;
    uint64_t event_count;
    uint8_t head[TH_HASH_SIZE];
    bool has_state;
    uint8_t state_hash[TH_HASH_SIZE];
} head_update;

/* head_updates by actor id: open addressing over a dense array, so the
 * updates are written in the order the actors first appeared. */
typedef struct head_table {
    head_update *updates;
    size_t len, cap;
    uint32_t *slots; /* 0: empty; otherwise an index into updates, plus 1 */
    size_t nslots;   /* a power of two, at least twice len */
} head_table;

/* Where an event item sits in the batch, and its key in the events table. */
typedef struct event_ref {
    const char *actor;
    size_t actor_len;
    uint64_t index;
    const uint8_t *item; /* the item's fixed part */
} event_ref;

struct th_applier {
    sqlite3 *conn;
    char *path;
    sqlite3_stmt *begin, *commit, *rollback;
    sqlite3_stmt *put_actor, *put_package, *put_event, *put_state, *set_head, *set_status;
    sqlite3_stmt *put_blob, *put_member, *set_label, *remove_label; /* the content store */
    head_table heads;
    event_ref *events; /* the batch's events, to be inserted in key order */
    size_t nevents, events_cap;
    int64_t now_ns; /* the wall clock at the transaction's start: updated_ns */
};

enum { FIRST_SLOTS = 64 };

/* ---- The head table ------------------------------------------------------- */

static uint64_t hash_id(const char *id, size_t len)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a: ids are short and already random */
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)id[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void heads_rehash(head_table *t, size_t nslots)
{
    free(t->slots);
    t->slots = th_xcalloc(nslots, sizeof *t->slots);
    t->nslots = nslots;
    for (size_t i = 0; i < t->len; i++) {
        size_t s = hash_id(t->updates[i].id, t->updates[i].id_len) & (nslots - 1);
        while (t->slots[s])
            s = (s + 1) & (nslots - 1);
        t->slots[s] = (uint32_t)(i + 1);
    }
}

/* The update for an actor, added (zeroed but for its id) when absent. */
static head_update *heads_find(head_table *t, const char *id, size_t id_len)
{
    if (2 * (t->len + 1) > t->nslots)
        heads_rehash(t, t->nslots ? 2 * t->nslots : FIRST_SLOTS);
    size_t s = hash_id(id, id_len) & (t->nslots - 1);
    for (; t->slots[s]; s = (s + 1) & (t->nslots - 1)) {
        head_update *u = &t->updates[t->slots[s] - 1];
        if (u->id_len == id_len && memcmp(u->id, id, id_len) == 0)
            return u;
    }
    if (t->len == t->cap) {
        t->cap = t->cap ? 2 * t->cap : FIRST_SLOTS / 2;
        t->updates = th_xrealloc(t->updates, t->cap * sizeof *t->updates);
    }
    head_update *u = &t->updates[t->len];
    memset(u, 0, sizeof *u);
    u->id = id;
    u->id_len = id_len;
    t->slots[s] = (uint32_t)(++t->len);
    return u;
}

/* Empties the table, keeping its memory for the next batch. */
static void heads_clear(head_table *t)
{
    if (t->len)
        memset(t->slots, 0, t->nslots * sizeof *t->slots);
    t->len = 0;
}

static void heads_free(head_table *t)
{
    free(t->updates);
    free(t->slots);
}

/* ---- Statements ------------------------------------------------------------ */

static const char put_actor_sql[] =
    "INSERT INTO actors (id, parent, name, manifest_path, manifest, package_hash, status, "
    "head, event_count, state_hash, created_ns, updated_ns) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, zeroblob(32), 0, NULL, ?8, ?9) "
    /* Registering again (a restart) describes the actor anew; its chain,
     * and so its head, count and state, carry on. */
    "ON CONFLICT (id) DO UPDATE SET parent = excluded.parent, name = excluded.name, "
    "manifest_path = excluded.manifest_path, manifest = excluded.manifest, "
    "package_hash = excluded.package_hash, status = excluded.status, "
    "updated_ns = excluded.updated_ns";
static const char put_package_sql[] = "INSERT OR IGNORE INTO packages (hash, wasm) VALUES (?1, ?2)";
static const char put_event_sql[] =
    "INSERT INTO events (actor_id, idx, parent, hash, timestamp_ns, type, name, input, output, "
    "state_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char put_state_sql[] = "INSERT OR IGNORE INTO states (hash, bytes) VALUES (?1, ?2)";
static const char set_head_sql[] = "UPDATE actors SET head = ?2, event_count = ?3, "
                                   "state_hash = ?4, updated_ns = ?5 WHERE id = ?1";
static const char set_status_sql[] = "UPDATE actors SET status = ?2, updated_ns = ?3 WHERE id = ?1";
/* Blobs are shared between stores, so a blob already kept is kept as is. */
static const char put_blob_sql[] = "INSERT OR IGNORE INTO blobs (hash, bytes) VALUES (?1, ?2)";
static const char put_member_sql[] =
    "INSERT OR IGNORE INTO store_content (store, hash) VALUES (?1, ?2)";
static const char set_label_sql[] =
    "INSERT INTO store_labels (store, label, hash) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (store, label) DO UPDATE SET hash = excluded.hash";
static const char remove_label_sql[] = "DELETE FROM store_labels WHERE store = ?1 AND label = ?2";

static int prepare(th_applier *a, const char *sql, sqlite3_stmt **out, th_error *err)
{
    if (sqlite3_prepare_v3(a->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
        return th_error_set(err, "%s: cannot prepare a statement: %s", a->path,
                            sqlite3_errmsg(a->conn));
    return 0;
}

th_applier *th_applier_new(sqlite3 *conn, const char *path, th_error *err)
{
    th_applier *a = th_xcalloc(1, sizeof *a);
    a->conn = conn;
    a->path = th_xstrdup(path);
    if (prepare(a, "BEGIN IMMEDIATE", &a->begin, err) != 0 ||
        prepare(a, "COMMIT", &a->commit, err) != 0 ||
        prepare(a, "ROLLBACK", &a->rollback, err) != 0 ||
        prepare(a, put_actor_sql, &a->put_actor, err) != 0 ||
        prepare(a, put_package_sql, &a->put_package, err) != 0 ||
        prepare(a, put_event_sql, &a->put_event, err) != 0 ||
        prepare(a, put_state_sql, &a->put_state, err) != 0 ||
        prepare(a, set_head_sql, &a->set_head, err) != 0 ||
        prepare(a, set_status_sql, &a->set_status, err) != 0 ||
        prepare(a, put_blob_sql, &a->put_blob, err) != 0 ||
        prepare(a, put_member_sql, &a->put_member, err) != 0 ||
        prepare(a, set_label_sql, &a->set_label, err) != 0 ||
        prepare(a, remove_label_sql, &a->remove_label, err) != 0) {
        th_applier_free(a);
        return NULL;
    }
    return a;
}

void th_applier_free(th_applier *a)
{
    if (!a)
        return;
    sqlite3_stmt *all[] = {a->begin,       a->commit,    a->rollback,   a->put_actor,
                           a->put_package, a->put_event, a->put_state,  a->set_head,
                           a->set_status,  a->put_blob,  a->put_member, a->set_label,
                           a->remove_label};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    heads_free(&a->heads);
    free(a->events);
    free(a->path);
    free(a);
}

/* ---- Binding ------------------------------------------------------------------ */

/* Bytes that stay put until the statement has run: no copy. A zero-length
 * blob needs a non-NULL pointer, or SQLite binds NULL, which the NOT NULL
 * columns refuse. */
static int bind_bytes(sqlite3_stmt *s, int i, const void *p, size_t len)
{
    static const uint8_t empty[1];
    return sqlite3_bind_blob64(s, i, len ? p : empty, len, SQLITE_STATIC);
}

static int bind_text(sqlite3_stmt *s, int i, const char *p, int64_t len)
{
    if (len == TH_ITEM_NO_TEXT)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_text64(s, i, len ? p : "", (sqlite3_uint64)len, SQLITE_STATIC, SQLITE_UTF8);
}

static int bind_hash(sqlite3_stmt *s, int i, bool present, const uint8_t *hash)
{
    if (!present)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_blob(s, i, hash, TH_HASH_SIZE, SQLITE_STATIC);
}

/* Runs a bound statement that returns no rows, then resets it for reuse.
 * The bindings are left: every use binds every parameter again. */
static int run(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Formats the failure of `what` from the connection's last error. */
static int __attribute__((format(printf, 3, 4)))
apply_error(th_applier *a, th_error *err, const char *what, ...)
{
    char doing[256];
    va_list ap;
    va_start(ap, what);
    vsnprintf(doing, sizeof doing, what, ap);
    va_end(ap);
    int sys = sqlite3_system_errno(a->conn);
    if (sys)
        return th_error_set(err, "%s: cannot %s: %s (%s)", a->path, doing, sqlite3_errmsg(a->conn),
                            strerror(sys));
    return th_error_set(err, "%s: cannot %s: %s", a->path, doing, sqlite3_errmsg(a->conn));
}

/* ---- Items --------------------------------------------------------------------- */

/* A cursor over the batch's bytes. Items were written by this process, so
 * running off the end is a bug, not bad input. */
typedef struct cursor {
    const uint8_t *p, *end;
} cursor;

static const uint8_t *take(cursor *c, size_t n)
{
    if ((size_t)(c->end - c->p) < n)
        abort();
    const uint8_t *p = c->p;
    c->p += n;
    return p;
}

static const char *take_text(cursor *c, int64_t len)
{
    return len == TH_ITEM_NO_TEXT ? NULL : (const char *)take(c, (size_t)len);
}

static int apply_actor(th_applier *a, cursor *c, th_error *err)
{
    th_actor_item it;
    memcpy(&it, take(c, sizeof it), sizeof it);
    const char *name = take_text(c, it.name_len);
    const char *manifest_path = take_text(c, it.manifest_path_len);
    const char *manifest = take_text(c, it.manifest_len);
    const char *status = take_text(c, it.status_len);
    sqlite3_stmt *s = a->put_actor;
    int rc = bind_text(s, 1, it.id, (int64_t)strlen(it.id));
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, it.parent, it.parent[0] ? (int64_t)strlen(it.parent) : -1);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 3, name, it.name_len);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 4, manifest_path, it.manifest_path_len);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 5, manifest, it.manifest_len);
    if (rc == SQLITE_OK)
        rc = bind_hash(s, 6, true, it.package_hash);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 7, status, it.status_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 8, it.created_ns);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 9, a->now_ns);
    if (rc == SQLITE_OK)
        rc = run(s);
    if (rc != SQLITE_OK)
        return apply_error(a, err, "register actor %s", it.id);
    return 0;
}

static int apply_package(th_applier *a, cursor *c, th_error *err)
{
    th_package_item it;
    memcpy(&it, take(c, sizeof it), sizeof it);
    const uint8_t *wasm = take(c, it.len);
    sqlite3_stmt *s = a->put_package;
    int rc = bind_hash(s, 1, true, it.hash);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 2, wasm, it.len);
    if (rc == SQLITE_OK)
        rc = run(s);
    if (rc != SQLITE_OK)
        return apply_error(a, err, "store a package of %zu bytes", it.len);
    return 0;
}

static int put_state(th_applier *a, const uint8_t hash[TH_HASH_SIZE], const uint8_t *bytes,
                     size_t len)
{
    sqlite3_stmt *s = a->put_state;
    int rc = bind_hash(s, 1, true, hash);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 2, bytes, len);
    return rc == SQLITE_OK ? run(s) : rc;
}

static int put_event(th_applier *a, const char *actor, size_t actor_len, const th_event *ev,
                     size_t name_len)
{
    sqlite3_stmt *s = a->put_event;
    int rc = bind_text(s, 1, actor, (int64_t)actor_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, (int64_t)ev->index);
    if (rc == SQLITE_OK)
        rc = bind_hash(s, 3, true, ev->parent);
    if (rc == SQLITE_OK)
        rc = bind_hash(s, 4, true, ev->hash);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 5, ev->timestamp_ns);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 6, (int)ev->type);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 7, ev->name, (int64_t)name_len);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 8, ev->input, ev->input_len);
    if (rc == SQLITE_OK)
        rc = bind_bytes(s, 9, ev->output, ev->output_len);
    if (rc == SQLITE_OK)
        rc = bind_hash(s, 10, ev->has_state, ev->state_hash);
    return rc == SQLITE_OK ? run(s) : rc;
}

/* Notes where an event item is and steps over it. */
static void note_event(th_applier *a, cursor *c)
{
    const uint8_t *at = c->p;
    th_event_item it;
    memcpy(&it, take(c, sizeof it), sizeof it);
    const char *actor = (const char *)take(c, it.actor_len);
    take(c, it.name_len);
    take(c, it.ev.input_len);
    take(c, it.ev.output_len);
    take(c, it.state_len);
    if (a->nevents == a->events_cap) {
        a->events_cap = a->events_cap ? 2 * a->events_cap : 1024;
        a->events = th_xrealloc(a->events, a->events_cap * sizeof *a->events);
    }
    a->events[a->nevents++] = (event_ref){actor, it.actor_len, it.ev.index, at};
}

/* The events table's order: actor id (as SQLite's BINARY collation
 * compares text), then index. */
static int compare_refs(const void *pa, const void *pb)
{
    const event_ref *a = pa, *b = pb;
    size_t n = a->actor_len < b->actor_len ? a->actor_len : b->actor_len;
    int c = memcmp(a->actor, b->actor, n);
    if (c == 0)
        c = (a->actor_len > b->actor_len) - (a->actor_len < b->actor_len);
    if (c == 0)
        c = (a->index > b->index) - (a->index < b->index);
    return c;
}

/* Inserting in key order keeps each B-tree leaf hot while its actor's
 * events go in: with many actors taking turns, queue order would jump
 * between leaves on every event (a fifth slower for 1,000 actors).
 * The rows and the outcome are the same in any order. */
static void sort_events(th_applier *a)
{
    for (size_t i = 1; i < a->nevents; i++)
        if (compare_refs(&a->events[i - 1], &a->events[i]) > 0) {
            qsort(a->events, a->nevents, sizeof *a->events, compare_refs);
            return;
        }
}

static int apply_event(th_applier *a, cursor *c, th_error *err)
{
    th_event_item it;
    memcpy(&it, take(c, sizeof it), sizeof it);
    const char *actor = (const char *)take(c, it.actor_len);
    th_event *ev = &it.ev;
    ev->name = (const char *)take(c, it.name_len);
    ev->input = take(c, ev->input_len);
    ev->output = take(c, ev->output_len);
    const uint8_t *state = take(c, it.state_len);

    if (it.store_state && put_state(a, ev->state_hash, state, it.state_len) != SQLITE_OK)
        return apply_error(a, err, "store the state of event %" PRIu64 " of actor %.*s", ev->index,
                           (int)it.actor_len, actor);
    if (put_event(a, actor, it.actor_len, ev, it.name_len) != SQLITE_OK)
        return apply_error(a, err, "store event %" PRIu64 " of actor %.*s", ev->index,
                           (int)it.actor_len, actor);

    head_update *u = heads_find(&a->heads, actor, it.actor_len);
    u->event_count = ev->index + 1;
    memcpy(u->head, ev->hash, TH_HASH_SIZE);
    u->has_state = ev->has_state;
    memcpy(u->state_hash, ev->state_hash, TH_HASH_SIZE);
    return 0;
}

static int apply_status(th_applier *a, cursor *c, th_error *err)
{
    th_status_item it;
    memcpy(&it, take(c, sizeof it), sizeof it);
    const char *actor = (const char *)take(c, it.actor_len);
    const char *status = (const char *)take(c, it.status_len);
    sqlite3_stmt *s = a->set_status;
    int rc = bind_text(s, 1, actor, (int64_t)it.actor_len);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, status, (int64_t)it.status_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, a->now_ns);
    if (rc == SQLITE_OK)
        rc = run(s);
    if (rc != SQLITE_OK)
        return apply_error(a, err, "set the status of actor %.*s", (int)it.actor_len, actor);
    return 0;
}

static int apply_content(th_applier *a, cursor *c, th_error *err)
{
    th_content_item it;
    memcpy(&it, take(c, sizeof it), sizeof it);
    const char *store = (const char *)take(c, it.store_len);
    const uint8_t *bytes = take(c, it.len);
    int rc = bind_hash(a->put_blob, 1, true, it.hash);
    if (rc == SQLITE_OK)
        rc = bind_bytes(a->put_blob, 2, bytes, it.len);
    if (rc == SQLITE_OK)
        rc = run(a->put_blob);
    if (rc == SQLITE_OK)
        rc = bind_text(a->put_member, 1, store, (int64_t)it.store_len);
    if (rc == SQLITE_OK)
        rc = bind_hash(a->put_member, 2, true, it.hash);
    if (rc == SQLITE_OK)
        rc = run(a->put_member);
    if (rc != SQLITE_OK)
        return apply_error(a, err, "store %zu bytes of content in store '%.*s'", it.len,
                           (int)it.store_len, store);
    return 0;
}

/* TH_ITEM_LABEL sets a label, TH_ITEM_UNLABEL removes one. */
static int apply_label(th_applier *a, cursor *c, bool set, th_error *err)
{
    th_label_item it;
    memcpy(&it, take(c, sizeof it), sizeof it);
    const char *store = (const char *)take(c, it.store_len);
    const char *label = (const char *)take(c, it.label_len);
    sqlite3_stmt *s = set ? a->set_label : a->remove_label;
    int rc = bind_text(s, 1, store, (int64_t)it.store_len);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, label, (int64_t)it.label_len);
    if (rc == SQLITE_OK && set)
        rc = bind_hash(s, 3, true, it.hash);
    if (rc == SQLITE_OK)
        rc = run(s);
    if (rc != SQLITE_OK)
        return apply_error(a, err, "%s label '%.*s' in store '%.*s'", set ? "set" : "remove",
                           (int)it.label_len, label, (int)it.store_len, store);
    return 0;
}

/* The registry rows, once per actor, in the transaction of the events: the
 * registry and the chains never disagree, even after a crash. */
static int write_heads(th_applier *a, th_error *err)
{
    sqlite3_stmt *s = a->set_head;
    for (size_t i = 0; i < a->heads.len; i++) {
        const head_update *u = &a->heads.updates[i];
        int rc = bind_text(s, 1, u->id, (int64_t)u->id_len);
        if (rc == SQLITE_OK)
            rc = bind_hash(s, 2, true, u->head);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, 3, (int64_t)u->event_count);
        if (rc == SQLITE_OK)
            rc = bind_hash(s, 4, u->has_state, u->state_hash);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, 5, a->now_ns);
        if (rc == SQLITE_OK)
            rc = run(s);
        if (rc != SQLITE_OK)
            return apply_error(a, err, "update the registry row of actor %.*s", (int)u->id_len,
                               u->id);
        if (sqlite3_changes(a->conn) == 0)
            return th_error_set(err,
                                "%s: cannot store events of actor %.*s: it is not registered "
                                "(th_db_put_actor first)",
                                a->path, (int)u->id_len, u->id);
    }
    return 0;
}

static int apply_item(th_applier *a, cursor *c, th_error *err)
{
    switch (*take(c, 1)) {
    case TH_ITEM_ACTOR:
        return apply_actor(a, c, err);
    case TH_ITEM_PACKAGE:
        return apply_package(a, c, err);
    case TH_ITEM_EVENT:
        note_event(a, c); /* inserted after the others, in key order */
        return 0;
    case TH_ITEM_STATUS:
        return apply_status(a, c, err);
    case TH_ITEM_CONTENT:
        return apply_content(a, c, err);
    case TH_ITEM_LABEL:
        return apply_label(a, c, true, err);
    case TH_ITEM_UNLABEL:
        return apply_label(a, c, false, err);
    default:
        abort(); /* the queue holds only what writer.c put there */
    }
}

static int64_t wall_clock_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int th_applier_apply(th_applier *a, const uint8_t *items, size_t len, th_error *err)
{
    a->now_ns = wall_clock_ns();
    if (run(a->begin) != SQLITE_OK)
        return apply_error(a, err, "begin a transaction");
    cursor c = {items, items + len};
    a->nevents = 0;
    while (c.p < c.end)
        if (apply_item(a, &c, err) != 0)
            goto fail;
    sort_events(a);
    for (size_t i = 0; i < a->nevents; i++) {
        cursor at = {a->events[i].item, items + len};
        if (apply_event(a, &at, err) != 0)
            goto fail;
    }
    if (write_heads(a, err) != 0)
        goto fail;
    if (run(a->commit) != SQLITE_OK) {
        apply_error(a, err, "commit");
        goto fail;
    }
    heads_clear(&a->heads);
    return 0;
fail:
    /* After a failed COMMIT SQLite may have rolled back already; then this
     * ROLLBACK fails harmlessly, and the error at hand is the one to tell. */
    if (!sqlite3_get_autocommit(a->conn))
        run(a->rollback);
    heads_clear(&a->heads);
    return -1;
}
