/* The content store (schema 2): bytes by SHA-256 in named stores.
 *
 * Writes are queued to the writer like events, so a store write and the
 * event recording it commit in order. Reads use the caller's reader
 * connection; a store's queries are few and cheap next to the host call
 * that makes them, so each is prepared when it runs rather than kept. */
#include <stdlib.h>
#include <string.h>

#include "chain/sha256.h"
#include "common/hex.h"
#include "common/buf.h"
#include "common/error.h"
#include "store/store_internal.h"

_Static_assert(TH_SHA256_SIZE == TH_HASH_SIZE, "content hashes are SHA-256");

/* ---- Writes ------------------------------------------------------------------ */

void th_db_put_content(th_db *db, const char *store, const uint8_t *bytes, size_t len,
                       uint8_t hash[TH_HASH_SIZE])
{
    th_content_item it;
    memset(&it, 0, sizeof it);
    th_sha256(bytes, bytes ? len : 0, hash);
    memcpy(it.hash, hash, TH_HASH_SIZE);
    it.store_len = strlen(store);
    it.len = bytes ? len : 0;
    th_item_part parts[] = {{store, it.store_len}, {bytes, it.len}};
    th_writer_enqueue(db, TH_ITEM_CONTENT, &it, sizeof it, parts, 2);
}

static void queue_label(th_db *db, th_item_kind kind, const char *store, const char *label,
                        const uint8_t *hash)
{
    th_label_item it;
    memset(&it, 0, sizeof it);
    if (hash)
        memcpy(it.hash, hash, TH_HASH_SIZE);
    it.store_len = strlen(store);
    it.label_len = strlen(label);
    th_item_part parts[] = {{store, it.store_len}, {label, it.label_len}};
    th_writer_enqueue(db, kind, &it, sizeof it, parts, 2);
}

void th_db_set_label(th_db *db, const char *store, const char *label,
                     const uint8_t hash[TH_HASH_SIZE])
{
    queue_label(db, TH_ITEM_LABEL, store, label, hash);
}

void th_db_remove_label(th_db *db, const char *store, const char *label)
{
    queue_label(db, TH_ITEM_UNLABEL, store, label, NULL);
}

/* ---- Reads ---------------------------------------------------------------------- */

static int query_error(th_db_reader *r, th_error *err, const char *doing, const char *store)
{
    return th_error_set(err, "%s: cannot %s of store '%s': %s", th_db_reader_path(r), doing, store,
                        sqlite3_errmsg(th_db_reader_conn(r)));
}

/* Prepares sql and binds ?1 to the store's name and ?2, when given, to a
 * hash (hash) or a text (text). NULL with err on failure. */
static sqlite3_stmt *query(th_db_reader *r, const char *sql, const char *store, const uint8_t *hash,
                           const char *text, const char *doing, th_error *err)
{
    sqlite3 *conn = th_db_reader_conn(r);
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(conn, sql, -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 1, store, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && hash)
        rc = sqlite3_bind_blob(s, 2, hash, TH_HASH_SIZE, SQLITE_STATIC);
    if (rc == SQLITE_OK && text)
        rc = sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        query_error(r, err, doing, store);
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

/* Steps s once: 1 with a row, 0 without, -1 (with err) on error. */
static int step(th_db_reader *r, sqlite3_stmt *s, const char *doing, const char *store,
                th_error *err)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return query_error(r, err, doing, store);
}

/* A stored hash: anyone with the file can write a value of another type or
 * size, which must not be taken for a hash. */
static int hash_column(th_db_reader *r, sqlite3_stmt *s, int col, uint8_t out[TH_HASH_SIZE],
                       const char *store, th_error *err)
{
    if (sqlite3_column_type(s, col) != SQLITE_BLOB || sqlite3_column_bytes(s, col) != TH_HASH_SIZE)
        return th_error_set(err, "%s: store '%s' holds a hash that is not 32 bytes",
                            th_db_reader_path(r), store);
    memcpy(out, sqlite3_column_blob(s, col), TH_HASH_SIZE);
    return 0;
}

int th_db_content_exists(th_db_reader *r, const char *store, const uint8_t hash[TH_HASH_SIZE],
                         th_error *err)
{
    static const char sql[] = "SELECT 1 FROM store_content WHERE store = ?1 AND hash = ?2";
    const char *doing = "look content up";
    sqlite3_stmt *s = query(r, sql, store, hash, NULL, doing, err);
    if (!s)
        return -1;
    int found = step(r, s, doing, store, err);
    sqlite3_finalize(s);
    return found;
}

int th_db_get_content(th_db_reader *r, const char *store, const uint8_t hash[TH_HASH_SIZE],
                      uint8_t **out, size_t *len, th_error *err)
{
    /* Through the membership: a blob another store holds is not this one's. */
    static const char sql[] = "SELECT b.bytes FROM store_content c JOIN blobs b ON b.hash = c.hash "
                              "WHERE c.store = ?1 AND c.hash = ?2";
    const char *doing = "read content";
    *out = NULL;
    *len = 0;
    sqlite3_stmt *s = query(r, sql, store, hash, NULL, doing, err);
    if (!s)
        return -1;
    int found = step(r, s, doing, store, err);
    if (found == 1) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        const void *p = sqlite3_column_blob(s, 0);
        *out = th_xmalloc(n ? n : 1);
        if (n)
            memcpy(*out, p, n);
        *len = n;
        /* The database file is outside the sandbox's guarantees: bytes that
         * do not hash to their name are reported, never handed over. */
        if (!th_sha256_matches(*out, n, hash)) {
            free(*out);
            *out = NULL;
            *len = 0;
            char hex[2 * TH_HASH_SIZE + 1];
            th_hex_encode(hash, TH_HASH_SIZE, hex);
            th_error_set(err,
                         "content %s in store '%s' is corrupt: its bytes hash to something else",
                         hex, store);
            found = -1;
        }
    }
    sqlite3_finalize(s);
    return found;
}

int th_db_get_label(th_db_reader *r, const char *store, const char *label,
                    uint8_t hash[TH_HASH_SIZE], th_error *err)
{
    static const char sql[] = "SELECT hash FROM store_labels WHERE store = ?1 AND label = ?2";
    const char *doing = "read a label";
    sqlite3_stmt *s = query(r, sql, store, NULL, label, doing, err);
    if (!s)
        return -1;
    int found = step(r, s, doing, store, err);
    if (found == 1 && hash_column(r, s, 0, hash, store, err) != 0)
        found = -1;
    sqlite3_finalize(s);
    return found;
}

int th_db_list_labels(th_db_reader *r, const char *store,
                      int (*fn)(void *ud, const char *label, size_t len), void *ud, th_error *err)
{
    static const char sql[] = "SELECT label FROM store_labels WHERE store = ?1 ORDER BY label";
    const char *doing = "list the labels";
    sqlite3_stmt *s = query(r, sql, store, NULL, NULL, doing, err);
    if (!s)
        return -1;
    int row;
    while ((row = step(r, s, doing, store, err)) == 1) {
        const char *label = (const char *)sqlite3_column_text(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        if (fn(ud, label ? label : "", n) != 0)
            break;
    }
    sqlite3_finalize(s);
    return row < 0 ? -1 : 0;
}

int th_db_list_content(th_db_reader *r, const char *store,
                       int (*fn)(void *ud, const uint8_t hash[TH_HASH_SIZE]), void *ud,
                       th_error *err)
{
    static const char sql[] = "SELECT hash FROM store_content WHERE store = ?1 ORDER BY hash";
    const char *doing = "list the content";
    sqlite3_stmt *s = query(r, sql, store, NULL, NULL, doing, err);
    if (!s)
        return -1;
    int row;
    uint8_t hash[TH_HASH_SIZE];
    while ((row = step(r, s, doing, store, err)) == 1) {
        if (hash_column(r, s, 0, hash, store, err) != 0) {
            row = -1;
            break;
        }
        if (fn(ud, hash) != 0)
            break;
    }
    sqlite3_finalize(s);
    return row < 0 ? -1 : 0;
}

int th_db_content_size(th_db_reader *r, const char *store, uint64_t *total, th_error *err)
{
    /* length() of a blob reads its size from the record header, not its bytes. */
    static const char sql[] = "SELECT coalesce(sum(length(b.bytes)), 0) FROM store_content c "
                              "JOIN blobs b ON b.hash = c.hash WHERE c.store = ?1";
    const char *doing = "sum the content";
    sqlite3_stmt *s = query(r, sql, store, NULL, NULL, doing, err);
    if (!s)
        return -1;
    int row = step(r, s, doing, store, err);
    if (row == 1)
        *total = (uint64_t)sqlite3_column_int64(s, 0);
    else if (row == 0)
        row = th_error_set(err, "%s: cannot sum the content of store '%s': no result",
                           th_db_reader_path(r), store);
    sqlite3_finalize(s);
    return row < 0 ? -1 : 0;
}
