/* What the storage files share: the th_db handle, opening and checking a
 * database file (schema.c), and the writer thread (writer.c). */
#ifndef TH_STORE_STORE_INTERNAL_H
#define TH_STORE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/db.h"

typedef struct th_writer th_writer;

struct th_db {
    char *dir;
    char *path; /* dir/theater.db */
    th_durability durability;
    int schema_version; /* as stored in meta once open (after migration) */
    th_writer *writer;
};

/* DIR/theater.db, malloc'd. */
char *th_store_db_path(const char *dir);

/* Opens path with SQLite's flags (plus extended error codes and the busy
 * timeout). A connection is used by one thread at a time, so SQLite's
 * per-connection mutex is left out. */
sqlite3 *th_store_connect(const char *path, int flags, th_error *err);
/* sqlite3_close, finalizing nothing: the caller finalizes first. */
void th_store_disconnect(sqlite3 *conn);

/* Runs SQL that returns no rows we need; errors name the file. */
int th_store_exec(sqlite3 *conn, const char *path, const char *sql, th_error *err);

/* Refuses a file that is not a healthy Theater database of a schema this
 * version knows (not SQLite, corrupt, foreign, newer) and reports the
 * stored schema version: 0 for a new, empty file. Reads only. */
int th_store_check_file(sqlite3 *conn, const char *path, int *version, th_error *err);
/* PRAGMA quick_check: refuses a database whose pages are damaged. */
int th_store_check_integrity(sqlite3 *conn, const char *path, th_error *err);
/* Checks the file (as above, and its integrity), switches it to WAL and
 * brings the schema to TH_SCHEMA_VERSION, one transaction per step. */
int th_store_migrate(sqlite3 *conn, const char *path, th_error *err);

/* ---- Work queued for the writer ---------------------------------------------
 *
 * Producers copy what they hand over into the writer's queue, a byte buffer
 * of items: one kind byte, the item's fixed part (copied with memcpy, so no
 * alignment is needed), then its variable bytes in the order listed. One
 * buffer for many items means no allocation per event. */

typedef enum th_item_kind {
    TH_ITEM_ACTOR = 1,
    TH_ITEM_PACKAGE = 2,
    TH_ITEM_EVENT = 3,
    TH_ITEM_STATUS = 4,
    TH_ITEM_CONTENT = 5, /* schema 2: the content store */
    TH_ITEM_LABEL = 6,
    TH_ITEM_UNLABEL = 7,
} th_item_kind;

enum { TH_ITEM_NO_TEXT = -1 }; /* a text length for "NULL" */

typedef struct th_actor_item {
    char id[33], parent[33];
    uint8_t package_hash[TH_HASH_SIZE];
    int64_t created_ns;
    int64_t name_len, manifest_path_len, manifest_len, status_len;
} th_actor_item; /* then name, manifest_path, manifest, status */

typedef struct th_package_item {
    uint8_t hash[TH_HASH_SIZE];
    size_t len;
} th_package_item; /* then the wasm bytes */

typedef struct th_event_item {
    th_event ev; /* its pointers are not used: the bytes follow */
    size_t actor_len, name_len, state_len;
    bool store_state; /* the state's bytes follow (possibly none: the empty state) */
} th_event_item;      /* then actor id, name, input, output, state */

typedef struct th_status_item {
    size_t actor_len, status_len;
} th_status_item; /* then actor id, status */

typedef struct th_content_item {
    uint8_t hash[TH_HASH_SIZE];
    size_t store_len, len;
} th_content_item; /* then store name, the bytes */

typedef struct th_label_item {
    uint8_t hash[TH_HASH_SIZE]; /* unused by TH_ITEM_UNLABEL */
    size_t store_len, label_len;
} th_label_item; /* then store name, label */

/* One variable part of an item, copied into the queue after its fixed part. */
typedef struct th_item_part {
    const void *data;
    size_t len;
} th_item_part;

/* Copies an item into db's writer queue (writer.c); see th_db_put_actor. */
void th_writer_enqueue(th_db *db, th_item_kind kind, const void *fixed, size_t fixed_len,
                       const th_item_part *parts, size_t nparts);

/* Applies queued items to the database in one transaction: all of them or,
 * on any error, none (rolled back). Owns the prepared statements. */
typedef struct th_applier th_applier;
th_applier *th_applier_new(sqlite3 *conn, const char *path, th_error *err);
int th_applier_apply(th_applier *a, const uint8_t *items, size_t len, th_error *err);
void th_applier_free(th_applier *a);

/* The reader's connection and file, for queries of other files (content.c). */
sqlite3 *th_db_reader_conn(th_db_reader *r);
const char *th_db_reader_path(const th_db_reader *r);

/* Starts the writer thread, which owns conn from now on (and closes it,
 * also when starting fails). */
th_writer *th_writer_start(sqlite3 *conn, const char *path, th_durability durability,
                           th_error *err);
/* Commits everything queued, stops the thread, checkpoints, closes. */
void th_writer_stop(th_writer *w);

#endif
