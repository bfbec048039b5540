/* The data directory's SQLite database (WAL): the actor registry, every
 * actor's chain, the states its events hash to, and the packages (wasm
 * bytes) by hash. The schema and its versions are in docs/storage.md.
 *
 * Threads: all writes go through one writer thread that owns the write
 * connection; other threads hand it work through a queue (message passing)
 * and, where a durability guarantee needs it, wait until it reports the work
 * committed. Reads use a connection of their own (th_db_reader), one per
 * thread that reads. */
#ifndef TH_STORE_DB_H
#define TH_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "theater/theater.h"

#define TH_SCHEMA_VERSION 2
#define TH_DB_FILE "theater.db"
/* In batch mode, an event is committed and fsync'd at most this long after
 * it was handed to the writer (or when 4096 events are waiting). */
#define TH_BATCH_MAX_DELAY_MS 10
#define TH_BATCH_MAX_EVENTS 4096

/* th_durability and th_db are declared in theater/theater.h (public). */

/* "off", "batch", "always"; th_durability_parse returns -1 for anything else. */
const char *th_durability_name(th_durability d);
int th_durability_parse(const char *s);

/* Opens DIR/theater.db, creating DIR and the database when absent, in WAL
 * mode, and migrates an older schema to TH_SCHEMA_VERSION (each migration in
 * one transaction; nothing already stored is rewritten otherwise). Refuses,
 * with a message naming the file and the problem: a file that is not SQLite,
 * a corrupt database, a SQLite database that is not Theater's (no meta
 * table, or tables of its own), and a schema newer than this version.
 * Starts the writer thread. */
th_db *th_db_open(const char *dir, th_durability durability, th_error *err);
/* Commits everything queued (fsync'd), stops the writer, closes. */
void th_db_close(th_db *db);
const char *th_db_path(const th_db *db);
/* The durability the database was opened with. */
th_durability th_db_durability(const th_db *db);
int th_db_schema_version(th_db *db); /* as stored in meta */

/* ---- Writes (queued to the writer thread, applied in order) ------------- */

typedef struct th_actor_record {
    char id[33];
    char parent[33]; /* "" when none */
    const char *name;
    const char *manifest_path; /* may be NULL */
    const char *manifest;      /* the manifest's text as read */
    uint8_t package_hash[TH_HASH_SIZE];
    const char *status; /* "running", "stopped", "failed" */
    int64_t created_ns;
} th_actor_record;

/* Registers an actor (its chain is empty until events are appended). */
void th_db_put_actor(th_db *db, const th_actor_record *rec);
/* Stores a package's wasm bytes under their hash (no-op if present). */
void th_db_put_package(th_db *db, const uint8_t hash[TH_HASH_SIZE], const uint8_t *wasm,
                       size_t len);
/* Appends one event of the actor's chain, with the state it hashes to when
 * that state is new (state may be NULL when the event's state is none or
 * already stored). In the same transaction as the event, the registry's
 * head, event count and state hash for the actor are updated, so the
 * registry and the events never disagree after a crash. */
void th_db_append_event(th_db *db, const char *actor_id, const th_event *ev, const uint8_t *state,
                        size_t state_len);
void th_db_set_status(th_db *db, const char *actor_id, const char *status);

/* Waits until everything queued before the call is committed (and
 * fsync'd, unless durability is off). Returns -1 with err when the writer
 * has failed (disk full, I/O error); the writer's first error is sticky. */
int th_db_sync(th_db *db, th_error *err);
/* The writer's first error, if any (then every later write is dropped and
 * reported); 0 otherwise. */
int th_db_error(th_db *db, th_error *err);

/* ---- Reads ----------------------------------------------------------------- */

typedef struct th_actor_info {
    char id[33];
    char parent[33];
    char *name;
    char *manifest_path; /* NULL when none */
    char *manifest;
    uint8_t package_hash[TH_HASH_SIZE];
    char *status;
    uint8_t head[TH_HASH_SIZE]; /* zeros for an empty chain */
    uint64_t event_count;
    bool has_state;
    uint8_t state_hash[TH_HASH_SIZE];
    int64_t created_ns, updated_ns;
} th_actor_info;

void th_actor_info_clear(th_actor_info *info); /* frees the strings */

/* A read connection; use one per thread. Sees everything committed. */
typedef struct th_db_reader th_db_reader;
th_db_reader *th_db_reader_open(th_db *db, th_error *err);
/* For tools that only read (theater chain verify): no writer, no migration;
 * refuses the same bad files as th_db_open, and a schema it does not know. */
th_db_reader *th_db_reader_open_path(const char *dir, th_error *err);
void th_db_reader_close(th_db_reader *r);

/* Looks an actor up by id or by a unique prefix of it (>= 4 hex digits).
 * Errors: no such actor; an ambiguous prefix (naming two matches). */
int th_db_find_actor(th_db_reader *r, const char *id_or_prefix, th_actor_info *out, th_error *err);
/* Calls fn for every actor, oldest first; stops early when fn returns non-zero. */
int th_db_list_actors(th_db_reader *r, int (*fn)(void *ud, const th_actor_info *info), void *ud,
                      th_error *err);

/* Loads events [from, from+limit) of an actor's chain (limit 0: all) into a
 * new chain whose recorded head and length are the registry's, exactly as
 * stored: nothing is recomputed, so th_chain_verify on the result checks the
 * database. The caller frees the chain with th_chain_free (chain/chain.h). */
th_chain *th_db_load_chain(th_db_reader *r, const th_actor_info *actor, uint64_t from,
                           uint64_t limit, th_error *err);
/* A state's bytes by hash; *out is malloc'd. Returns 1 when found, 0 when
 * absent, -1 on error. */
int th_db_get_state(th_db_reader *r, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len,
                    th_error *err);

/* A package's wasm bytes by hash; same conventions as th_db_get_state. */
int th_db_get_package(th_db_reader *r, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len,
                      th_error *err);

/* ---- The content store (schema 2; content.c) ------------------------------
 *
 * Bytes by SHA-256, in named stores. A blob is kept once however many stores
 * hold it; a store sees only the content it was given (its membership), so
 * two stores never see each other's content, even when the bytes are equal.
 * Writes are queued like events (ordered with them); th_db_sync makes them
 * visible to readers. */

/* Stores bytes in `store` and writes their SHA-256 into hash. */
void th_db_put_content(th_db *db, const char *store, const uint8_t *bytes, size_t len,
                       uint8_t hash[TH_HASH_SIZE]);
/* Points label at hash in store (creating it or moving it). */
void th_db_set_label(th_db *db, const char *store, const char *label,
                     const uint8_t hash[TH_HASH_SIZE]);
/* Removes a label (a no-op when absent). */
void th_db_remove_label(th_db *db, const char *store, const char *label);

/* 1 when store holds the content, 0 when not, -1 on error. */
int th_db_content_exists(th_db_reader *r, const char *store, const uint8_t hash[TH_HASH_SIZE],
                         th_error *err);
/* The content's bytes when store holds it; same conventions as
 * th_db_get_state. */
int th_db_get_content(th_db_reader *r, const char *store, const uint8_t hash[TH_HASH_SIZE],
                      uint8_t **out, size_t *len, th_error *err);
/* The hash a label points at: 1 when the label exists, 0 when not, -1 on
 * error. */
int th_db_get_label(th_db_reader *r, const char *store, const char *label,
                    uint8_t hash[TH_HASH_SIZE], th_error *err);
/* Calls fn for every label of store, in byte order; stops early when fn
 * returns non-zero. */
int th_db_list_labels(th_db_reader *r, const char *store,
                      int (*fn)(void *ud, const char *label, size_t len), void *ud, th_error *err);
/* Calls fn for every content hash of store, in byte order; stops early when
 * fn returns non-zero. */
int th_db_list_content(th_db_reader *r, const char *store,
                       int (*fn)(void *ud, const uint8_t hash[TH_HASH_SIZE]), void *ud,
                       th_error *err);
/* The total size in bytes of the content store holds. */
int th_db_content_size(th_db_reader *r, const char *store, uint64_t *total, th_error *err);

#endif
