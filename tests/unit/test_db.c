/* The SQLite storage: creating and refusing database files, the writer's
 * durability modes and failures, reading chains back exactly as stored, and
 * catching every kind of tampering done to the file behind Theater's back
 * (through a second sqlite3 connection, as an attacker would). */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "chain/chain.h"
#include "chain/sha256.h"
#include "check.h"
#include "common/buf.h"
#include "store/db.h"

#define ID_A "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
#define ID_B "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"

/* ---- Files ------------------------------------------------------------------- */

static char *make_temp_dir(void)
{
    char tmpl[] = "/tmp/theater-test-db-XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        exit(1);
    }
    return th_xstrdup(tmpl);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(char *dir)
{
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        perror(dir);
    free(dir);
}

static char *join(const char *dir, const char *name)
{
    th_buf b = TH_BUF_INIT;
    th_buf_printf(&b, "%s/%s", dir, name);
    return (char *)th_buf_take(&b, NULL);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    th_buf b = TH_BUF_INIT;
    uint8_t chunk[65536];
    size_t n;
    if (!f) {
        perror(path);
        exit(1);
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        th_buf_append(&b, chunk, n);
    if (ferror(f) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    th_buf_cstr(&b);
    return th_buf_take(&b, len);
}

/* Copies the first max bytes of from_dir's database into to_dir. */
static void copy_db(const char *from_dir, const char *to_dir, size_t max)
{
    char *from = join(from_dir, TH_DB_FILE), *to = join(to_dir, TH_DB_FILE);
    size_t len;
    uint8_t *bytes = read_file(from, &len);
    write_file(to, bytes, len < max ? len : max);
    free(bytes);
    free(from);
    free(to);
}

static bool file_exists(const char *dir, const char *name)
{
    char *path = join(dir, name);
    struct stat st;
    bool exists = stat(path, &st) == 0;
    free(path);
    return exists;
}

/* ---- A second connection, as any sqlite3 user has ------------------------------ */

static sqlite3 *raw_open(const char *dir)
{
    char *path = join(dir, TH_DB_FILE);
    sqlite3 *conn = NULL;
    if (sqlite3_open(path, &conn) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(conn));
        exit(1);
    }
    sqlite3_busy_timeout(conn, 5000);
    free(path);
    return conn;
}

static void raw_exec(sqlite3 *conn, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);
    CHECK_REPORT_(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_free(msg);
}

/* The first column of the first row as an integer; -1 when there is none. */
static int64_t raw_int(sqlite3 *conn, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(conn, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* The first column of the first row as text, malloc'd; NULL when none. */
static char *raw_text(sqlite3 *conn, const char *sql)
{
    sqlite3_stmt *s = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(conn, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_text(s, 0))
        v = th_xstrdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return v;
}

static void raw_close(sqlite3 *conn)
{
    CHECK_EQ_INT(sqlite3_close(conn), SQLITE_OK);
}

/* ---- Chains as an actor makes them --------------------------------------------------- */

/* Every fourth event has no state, so both kinds are stored. */
static bool has_state_at(size_t i)
{
    return i % 4 != 3;
}

static size_t state_at(size_t i, char *buf, size_t size)
{
    return (size_t)snprintf(buf, size, "{\"count\":%zu}", i);
}

/* Appends n events: a spawn first, then calls, returns, traps and host
 * calls, each with an input and an output, and the state's hash. */
static void grow_chain(th_chain *chain, size_t n, const char *tag)
{
    static const char *const names[] = {"theater:simple/message-server-client#handle-send",
                                        "theater:simple/runtime#log", "theater:simple/actor#init"};
    for (size_t k = 0; k < n; k++) {
        size_t i = th_chain_length(chain);
        char input[64], output[64], state[64];
        size_t in_len = (size_t)snprintf(input, sizeof input, "%s input %zu", tag, i);
        size_t out_len = (size_t)snprintf(output, sizeof output, "%s output %zu", tag, i);
        uint8_t hash[TH_HASH_SIZE];
        th_sha256(state, state_at(i, state, sizeof state), hash);
        th_event_type type = i == 0 ? TH_EV_SPAWN : (th_event_type)(TH_EV_CALL + i % 4);
        th_chain_append(chain, type, names[i % 3], (const uint8_t *)input, in_len,
                        (const uint8_t *)output, out_len, has_state_at(i) ? hash : NULL,
                        1700000000000000000 + (int64_t)i * 1000);
    }
}

/* Hands the events [from, length) of chain to the writer, with states. */
static void persist(th_db *db, const char *id, const th_chain *chain, size_t from)
{
    for (size_t i = from; i < th_chain_length(chain); i++) {
        char state[64];
        size_t len = state_at(i, state, sizeof state);
        th_db_append_event(db, id, th_chain_event(chain, i),
                           has_state_at(i) ? (const uint8_t *)state : NULL, len);
    }
}

static th_actor_record record(const char *id, const char *name, int64_t created_ns)
{
    th_actor_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.id, sizeof rec.id, "%s", id);
    rec.name = name;
    rec.manifest_path = "/srv/actors/counter/manifest.toml";
    rec.manifest = "name = \"counter\"\nversion = \"0.1.0\"\n";
    memset(rec.package_hash, 0x5a, TH_HASH_SIZE);
    rec.status = "running";
    rec.created_ns = created_ns;
    return rec;
}

static bool same_event(const th_event *a, const th_event *b)
{
    return a->index == b->index && memcmp(a->parent, b->parent, TH_HASH_SIZE) == 0 &&
           memcmp(a->hash, b->hash, TH_HASH_SIZE) == 0 && a->timestamp_ns == b->timestamp_ns &&
           a->type == b->type && strcmp(a->name, b->name) == 0 && a->input_len == b->input_len &&
           memcmp(a->input, b->input, a->input_len) == 0 && a->output_len == b->output_len &&
           memcmp(a->output, b->output, a->output_len) == 0 && a->has_state == b->has_state &&
           memcmp(a->state_hash, b->state_hash, TH_HASH_SIZE) == 0;
}

/* Opens a database in dir with actor id registered and n events of chain
 * (which it fills) stored and synced. */
static th_db *open_with_chain(const char *dir, th_durability d, const char *id, th_chain *chain,
                              size_t n)
{
    th_error err;
    th_db *db = th_db_open(dir, d, &err);
    CHECK_REPORT_(db != NULL, "th_db_open: %s", err.msg);
    if (!db)
        exit(1);
    th_actor_record rec = record(id, "counter", 1000);
    th_db_put_actor(db, &rec);
    grow_chain(chain, n, id);
    persist(db, id, chain, 0);
    CHECK_REPORT_(th_db_sync(db, &err) == 0, "th_db_sync: %s", err.msg);
    return db;
}

/* Loads an actor's whole chain through a reader of dir and verifies it. */
static bool load_and_verify(th_db_reader *r, const char *id, th_verify_report *report,
                            th_error *err)
{
    th_actor_info info;
    if (th_db_find_actor(r, id, &info, err) != 0)
        return false;
    th_chain *chain = th_db_load_chain(r, &info, 0, 0, err);
    th_actor_info_clear(&info);
    if (!chain)
        return false;
    th_chain_verify(chain, report);
    th_chain_free(chain);
    return true;
}

/* ---- Opening ---------------------------------------------------------------------- */

TEST(durability_names)
{
    CHECK_STR_EQ(th_durability_name(TH_DURABILITY_OFF), "off");
    CHECK_STR_EQ(th_durability_name(TH_DURABILITY_BATCH), "batch");
    CHECK_STR_EQ(th_durability_name(TH_DURABILITY_ALWAYS), "always");
    CHECK_EQ_INT(th_durability_parse("off"), TH_DURABILITY_OFF);
    CHECK_EQ_INT(th_durability_parse("batch"), TH_DURABILITY_BATCH);
    CHECK_EQ_INT(th_durability_parse("always"), TH_DURABILITY_ALWAYS);
    CHECK_EQ_INT(th_durability_parse("fast"), -1);
    CHECK_EQ_INT(th_durability_parse("Batch"), -1);
    CHECK_EQ_INT(th_durability_parse(""), -1);
    CHECK_EQ_INT(th_durability_parse(NULL), -1);
}

TEST(create_close_reopen)
{
    char *top = make_temp_dir();
    char *dir = join(top, "nested/data");
    th_error err;
    th_db *db = th_db_open(dir, TH_DURABILITY_BATCH, &err);
    CHECK_REPORT_(db != NULL, "th_db_open: %s", err.msg);
    if (!db)
        goto out;
    char *path = join(dir, TH_DB_FILE);
    CHECK_STR_EQ(th_db_path(db), path);
    free(path);
    CHECK_EQ_INT(th_db_schema_version(db), TH_SCHEMA_VERSION);
    CHECK_EQ_INT(th_db_durability(db), TH_DURABILITY_BATCH);
    CHECK(file_exists(dir, TH_DB_FILE));

    sqlite3 *raw = raw_open(dir);
    char *app = raw_text(raw, "SELECT value FROM meta WHERE key = 'application'");
    char *version = raw_text(raw, "SELECT value FROM meta WHERE key = 'schema_version'");
    char *mode = raw_text(raw, "PRAGMA journal_mode");
    CHECK_STR_EQ(app, "theater");
    CHECK_STR_EQ(version, "2");
    CHECK_STR_EQ(mode, "wal");
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM meta"), 2);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 8);
    free(app);
    free(version);
    free(mode);
    raw_close(raw);

    th_actor_record rec = record(ID_A, "counter", 42);
    th_db_put_actor(db, &rec);
    th_db_close(db);
    /* A clean close checkpoints: everything is in theater.db itself. */
    CHECK(!file_exists(dir, TH_DB_FILE "-wal"));

    db = th_db_open(dir, TH_DURABILITY_OFF, &err);
    CHECK_REPORT_(db != NULL, "reopening: %s", err.msg);
    if (!db)
        goto out;
    CHECK_EQ_INT(th_db_schema_version(db), TH_SCHEMA_VERSION);
    th_db_reader *r = th_db_reader_open(db, &err);
    CHECK(r != NULL);
    th_actor_info info;
    if (r && th_db_find_actor(r, ID_A, &info, &err) == 0) {
        CHECK_EQ_INT(info.created_ns, 42);
        CHECK_EQ_INT(info.event_count, 0);
        th_actor_info_clear(&info);
    } else {
        CHECK_REPORT_(false, "finding the actor after reopening: %s", err.msg);
    }
    th_db_reader_close(r);
    th_db_close(db);
out:
    free(dir);
    remove_tree(top);
}

/* Both ways of opening must refuse the file in dir with exactly `want`. */
static void expect_refused(const char *what, const char *dir, const char *want)
{
    th_error err = {0};
    th_db *db = th_db_open(dir, TH_DURABILITY_BATCH, &err);
    CHECK_REPORT_(db == NULL, "%s: th_db_open accepted it", what);
    if (db)
        th_db_close(db);
    else
        CHECK_STR_EQ(err.msg, want);
    memset(&err, 0, sizeof err);
    th_db_reader *r = th_db_reader_open_path(dir, &err);
    CHECK_REPORT_(r == NULL, "%s: th_db_reader_open_path accepted it", what);
    if (r)
        th_db_reader_close(r);
    else
        CHECK_STR_EQ(err.msg, want);
}

static void refuse_text_and_random_bytes(void)
{
    char *dir = make_temp_dir(), *path = join(dir, TH_DB_FILE);
    char want[1024];
    snprintf(want, sizeof want, "%s is not a SQLite database (SQLite: file is not a database)",
             path);
    const char text[] = "this is a text file, not a database\n";
    write_file(path, text, sizeof text - 1);
    expect_refused("a text file", dir, want);

    uint8_t noise[8192];
    uint32_t x = 2463534242u; /* xorshift: the same bytes every run */
    for (size_t i = 0; i < sizeof noise; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        noise[i] = (uint8_t)x;
    }
    write_file(path, noise, sizeof noise);
    expect_refused("random bytes", dir, want);
    /* Refusing changed nothing. */
    size_t len;
    uint8_t *after = read_file(path, &len);
    CHECK(len == sizeof noise && memcmp(after, noise, len) == 0);
    free(after);
    free(path);
    remove_tree(dir);
}

static void refuse_truncated_copy(void)
{
    char *real = make_temp_dir(), *dir = make_temp_dir(), *path = join(dir, TH_DB_FILE);
    th_chain *chain = th_chain_new();
    th_db_close(open_with_chain(real, TH_DURABILITY_OFF, ID_A, chain, 300));
    th_chain_free(chain);
    struct stat st;
    char *real_path = join(real, TH_DB_FILE);
    CHECK(stat(real_path, &st) == 0 && st.st_size > 16 * 4096);
    copy_db(real, dir, (size_t)st.st_size / 2);
    char want[1024];
    snprintf(want, sizeof want, "%s is corrupt (SQLite: database disk image is malformed)", path);
    expect_refused("a truncated database", dir, want);
    free(real_path);
    free(path);
    remove_tree(real);
    remove_tree(dir);
}

static void refuse_foreign(void)
{
    char *dir = make_temp_dir(), *path = join(dir, TH_DB_FILE);
    char want[1024];
    snprintf(want, sizeof want,
             "%s is a SQLite database but not Theater's (it has tables of its own and no meta "
             "row application=theater)",
             path);
    sqlite3 *raw = raw_open(dir);
    raw_exec(raw, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
                  "INSERT INTO notes (body) VALUES ('mine')");
    raw_close(raw);
    expect_refused("a foreign database", dir, want);
    /* Left as it was: not switched to WAL, nothing added. */
    raw = raw_open(dir);
    char *mode = raw_text(raw, "PRAGMA journal_mode");
    CHECK_STR_EQ(mode, "delete");
    free(mode);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM sqlite_master"), 1);
    /* A meta table that is not Theater's does not make it Theater's. */
    raw_exec(raw, "CREATE TABLE meta (key TEXT, value TEXT);"
                  "INSERT INTO meta VALUES ('application', 'someone-else')");
    raw_close(raw);
    expect_refused("a foreign database with a meta table", dir, want);
    raw = raw_open(dir);
    raw_exec(raw, "DROP TABLE meta; CREATE TABLE meta (k TEXT, v TEXT)");
    raw_close(raw);
    expect_refused("a foreign meta table of other columns", dir, want);
    free(path);
    remove_tree(dir);
}

static void refuse_newer_schema(void)
{
    char *dir = make_temp_dir(), *path = join(dir, TH_DB_FILE);
    th_error err;
    th_db *db = th_db_open(dir, TH_DURABILITY_OFF, &err);
    CHECK(db != NULL);
    th_db_close(db);
    sqlite3 *raw = raw_open(dir);
    raw_exec(raw, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    raw_close(raw);
    char want[1024];
    snprintf(want, sizeof want,
             "%s was written by a newer version of Theater (schema 99; this version knows 2)",
             path);
    expect_refused("a newer schema", dir, want);

    raw = raw_open(dir);
    raw_exec(raw, "UPDATE meta SET value = 'one' WHERE key = 'schema_version'");
    raw_close(raw);
    snprintf(want, sizeof want, "%s is damaged: its meta table has no valid schema_version ('one')",
             path);
    expect_refused("a garbled schema version", dir, want);
    free(path);
    remove_tree(dir);
}

TEST(refuses_bad_files_and_stays_up)
{
    refuse_text_and_random_bytes();
    refuse_truncated_copy();
    refuse_foreign();
    refuse_newer_schema();

    /* A data directory that is a file, and a database that does not exist. */
    char *dir = make_temp_dir(), *file = join(dir, "plain");
    write_file(file, "x", 1);
    th_error err = {0};
    CHECK(th_db_open(file, TH_DURABILITY_BATCH, &err) == NULL);
    CHECK_CONTAINS(err.msg, "it exists and is not a directory");
    CHECK(th_db_reader_open_path(dir, &err) == NULL);
    CHECK_CONTAINS(err.msg, "no Theater database in ");
    CHECK(th_db_open(dir, (th_durability)7, &err) == NULL);
    CHECK_CONTAINS(err.msg, "unknown durability mode 7");
    free(file);
    remove_tree(dir);

    /* And the process goes on opening good databases. */
    dir = make_temp_dir();
    th_db *db = th_db_open(dir, TH_DURABILITY_BATCH, &err);
    CHECK(db != NULL);
    th_db_close(db);
    remove_tree(dir);
}

/* ---- Round trip ----------------------------------------------------------------------- */

static void check_info(const th_actor_info *info, const th_chain *chain)
{
    uint8_t head[TH_HASH_SIZE], pkg[TH_HASH_SIZE];
    th_chain_head(chain, head);
    memset(pkg, 0x5a, sizeof pkg);
    CHECK_STR_EQ(info->id, ID_A);
    CHECK_STR_EQ(info->parent, ID_B);
    CHECK_STR_EQ(info->name, "counter");
    CHECK_STR_EQ(info->manifest_path, "/srv/actors/counter/manifest.toml");
    CHECK_STR_EQ(info->manifest, "name = \"counter\"\nversion = \"0.1.0\"\n");
    CHECK_STR_EQ(info->status, "stopped");
    CHECK(memcmp(info->package_hash, pkg, TH_HASH_SIZE) == 0);
    CHECK(memcmp(info->head, head, TH_HASH_SIZE) == 0);
    CHECK_EQ_INT(info->event_count, th_chain_length(chain));
    const th_event *last = th_chain_event(chain, th_chain_length(chain) - 1);
    CHECK(info->has_state == last->has_state);
    CHECK_EQ_INT(info->created_ns, 1000);
    CHECK(info->updated_ns > 1600000000000000000);
}

static void check_states(th_db_reader *r, const th_chain *chain)
{
    th_error err;
    size_t found = 0;
    for (size_t i = 0; i < th_chain_length(chain); i++) {
        const th_event *ev = th_chain_event(chain, i);
        if (!ev->has_state)
            continue;
        uint8_t *bytes = NULL;
        size_t len = 0;
        char want[64];
        size_t want_len = state_at(i, want, sizeof want);
        if (th_db_get_state(r, ev->state_hash, &bytes, &len, &err) == 1 && len == want_len &&
            memcmp(bytes, want, len) == 0)
            found++;
        free(bytes);
    }
    CHECK_EQ_INT(found, 75); /* three events in four have a state */
    uint8_t unknown[TH_HASH_SIZE] = {1, 2, 3}, *bytes = (uint8_t *)"x";
    size_t len = 99;
    CHECK_EQ_INT(th_db_get_state(r, unknown, &bytes, &len, &err), 0);
    CHECK(bytes == NULL && len == 0);
}

/* The empty state (some, of no bytes) is a state like any other, even when
 * the caller's empty buffer has no pointer. */
TEST(the_empty_state_is_stored)
{
    char *dir = make_temp_dir();
    th_chain *chain = th_chain_new();
    th_db *db = open_with_chain(dir, TH_DURABILITY_OFF, ID_A, chain, 1);
    uint8_t empty_hash[TH_HASH_SIZE];
    th_sha256("", 0, empty_hash);
    const th_event *ev = th_chain_append(chain, TH_EV_RETURN, "x", NULL, 0, NULL, 0, empty_hash, 5);
    th_db_append_event(db, ID_A, ev, NULL, 0);
    th_error err;
    CHECK_EQ_INT(th_db_sync(db, &err), 0);
    th_db_reader *r = th_db_reader_open(db, &err);
    uint8_t *bytes = NULL;
    size_t len = 99;
    CHECK(r && th_db_get_state(r, empty_hash, &bytes, &len, &err) == 1);
    CHECK(bytes != NULL && len == 0);
    free(bytes);
    th_db_reader_close(r);
    th_db_close(db);
    th_chain_free(chain);
    remove_tree(dir);
}

TEST(round_trip_keeps_every_field)
{
    char *dir = make_temp_dir();
    th_error err;
    th_db *db = th_db_open(dir, TH_DURABILITY_BATCH, &err);
    CHECK_REPORT_(db != NULL, "th_db_open: %s", err.msg);
    if (!db) {
        remove_tree(dir);
        return;
    }
    th_actor_record rec = record(ID_A, "counter", 1000);
    snprintf(rec.parent, sizeof rec.parent, "%s", ID_B);
    th_db_put_actor(db, &rec);
    static const uint8_t wasm[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    th_db_put_package(db, rec.package_hash, wasm, sizeof wasm);
    th_db_put_package(db, rec.package_hash, wasm, sizeof wasm); /* stored once */
    th_chain *chain = th_chain_new();
    grow_chain(chain, 100, "round");
    persist(db, ID_A, chain, 0);
    th_db_set_status(db, ID_A, "stopped");
    CHECK_EQ_INT(th_db_sync(db, &err), 0);
    CHECK_EQ_INT(th_db_error(db, &err), 0);

    th_db_reader *r = th_db_reader_open(db, &err);
    CHECK_REPORT_(r != NULL, "th_db_reader_open: %s", err.msg);
    th_actor_info info;
    if (r && th_db_find_actor(r, ID_A, &info, &err) == 0) {
        check_info(&info, chain);
        th_chain *loaded = th_db_load_chain(r, &info, 0, 0, &err);
        CHECK_REPORT_(loaded != NULL, "th_db_load_chain: %s", err.msg);
        if (loaded) {
            CHECK_EQ_INT(th_chain_length(loaded), 100);
            size_t same = 0;
            for (size_t i = 0; i < th_chain_length(loaded) && i < 100; i++)
                same += same_event(th_chain_event(loaded, i), th_chain_event(chain, i));
            CHECK_EQ_INT(same, 100);
            th_verify_report report;
            CHECK(th_chain_verify(loaded, &report));
            CHECK_EQ_INT(report.events_checked, 100);
            th_chain_free(loaded);
        }
        /* A window of the chain: events 10..14, as stored. */
        loaded = th_db_load_chain(r, &info, 10, 5, &err);
        CHECK(loaded && th_chain_length(loaded) == 5);
        if (loaded) {
            CHECK_EQ_INT(th_chain_event(loaded, 0)->index, 10);
            CHECK(same_event(th_chain_event(loaded, 4), th_chain_event(chain, 14)));
            th_chain_free(loaded);
        }
        check_states(r, chain);
        uint8_t *bytes = NULL;
        size_t len = 0;
        CHECK_EQ_INT(th_db_get_package(r, info.package_hash, &bytes, &len, &err), 1);
        CHECK(len == sizeof wasm && memcmp(bytes, wasm, len) == 0);
        free(bytes);
        CHECK_EQ_INT(th_db_get_package(r, info.head, &bytes, &len, &err), 0);
        CHECK(bytes == NULL);
        th_actor_info_clear(&info);
    } else {
        CHECK_REPORT_(false, "th_db_find_actor: %s", err.msg);
    }
    th_db_reader_close(r);

    sqlite3 *raw = raw_open(dir);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM packages"), 1);
    CHECK_EQ_INT(raw_int(raw, "SELECT length(wasm) FROM packages"), sizeof wasm);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM events WHERE state_hash IS NULL"), 25);
    raw_close(raw);

    /* Registering again (a restart) keeps the chain's head and length. */
    rec.status = "running";
    th_db_put_actor(db, &rec);
    CHECK_EQ_INT(th_db_sync(db, &err), 0);
    r = th_db_reader_open(db, &err);
    if (r && th_db_find_actor(r, ID_A, &info, &err) == 0) {
        CHECK_STR_EQ(info.status, "running");
        CHECK_EQ_INT(info.event_count, 100);
        th_actor_info_clear(&info);
    } else {
        CHECK_REPORT_(false, "after registering again: %s", err.msg);
    }
    th_db_reader_close(r);
    th_chain_free(chain);
    th_db_close(db);
    remove_tree(dir);
}

/* ---- Finding and listing ------------------------------------------------------------- */

static int count_and_collect(void *ud, const th_actor_info *info)
{
    th_buf *names = ud;
    th_buf_printf(names, "%s%s", names->len ? "," : "", info->name);
    return 0;
}

static int stop_after_first(void *ud, const th_actor_info *info)
{
    (void)info;
    (*(int *)ud)++;
    return 1;
}

TEST(find_by_id_or_prefix_and_list)
{
    char *dir = make_temp_dir();
    th_error err;
    th_db *db = th_db_open(dir, TH_DURABILITY_OFF, &err);
    CHECK(db != NULL);
    if (!db) {
        remove_tree(dir);
        return;
    }
    th_actor_record one = record("ab12cd00000000000000000000000001", "one", 30);
    th_actor_record two = record("ab12ef00000000000000000000000002", "two", 10);
    th_actor_record three = record("ff0000000000000000000000000000ff", "three", 20);
    th_db_put_actor(db, &one);
    th_db_put_actor(db, &two);
    th_db_put_actor(db, &three);
    CHECK_EQ_INT(th_db_sync(db, &err), 0);
    th_db_reader *r = th_db_reader_open(db, &err);
    CHECK(r != NULL);
    th_actor_info info;
    if (!r)
        goto out;

    CHECK_EQ_INT(th_db_find_actor(r, "ab12cd00000000000000000000000001", &info, &err), 0);
    CHECK_STR_EQ(info.name, "one");
    th_actor_info_clear(&info);
    CHECK_EQ_INT(th_db_find_actor(r, "ff00", &info, &err), 0);
    CHECK_STR_EQ(info.name, "three");
    th_actor_info_clear(&info);
    CHECK_EQ_INT(th_db_find_actor(r, "AB12E", &info, &err), 0);
    CHECK_STR_EQ(info.name, "two");
    th_actor_info_clear(&info);

    CHECK_EQ_INT(th_db_find_actor(r, "ab12", &info, &err), -1);
    CHECK_STR_EQ(err.msg, "'ab12' matches more than one actor: ab12cd00000000000000000000000001, "
                          "ab12ef00000000000000000000000002");
    CHECK_EQ_INT(th_db_find_actor(r, "abcd", &info, &err), -1);
    CHECK_STR_EQ(err.msg, "no actor matches 'abcd'");
    CHECK_EQ_INT(th_db_find_actor(r, "ab1", &info, &err), -1);
    CHECK_CONTAINS(err.msg, "at least 4 hex digits");
    CHECK_EQ_INT(th_db_find_actor(r, "counter", &info, &err), -1);
    CHECK_STR_EQ(err.msg, "no actor matches 'counter'");

    th_buf names = TH_BUF_INIT;
    CHECK_EQ_INT(th_db_list_actors(r, count_and_collect, &names, &err), 0);
    CHECK_STR_EQ(th_buf_cstr(&names), "two,three,one"); /* oldest first */
    th_buf_free(&names);
    int calls = 0;
    CHECK_EQ_INT(th_db_list_actors(r, stop_after_first, &calls, &err), 0);
    CHECK_EQ_INT(calls, 1);
    th_db_reader_close(r);
out:
    th_db_close(db);
    remove_tree(dir);
}

/* ---- Tampering ---------------------------------------------------------------------- */

/* Flips the lowest bit of the first byte of a blob or text value in place,
 * keeping its type: the smallest change anyone could make. */
static void flip_byte(sqlite3 *conn, const char *table, const char *column, const char *where)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s, typeof(%s) FROM %s WHERE %s", column, column, table,
             where);
    sqlite3_stmt *s = NULL;
    bool ok = sqlite3_prepare_v2(conn, sql, -1, &s, NULL) == SQLITE_OK &&
              sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) > 0;
    CHECK_REPORT_(ok, "%s: no value to change", sql);
    if (!ok) {
        sqlite3_finalize(s);
        return;
    }
    bool text = strcmp((const char *)sqlite3_column_text(s, 1), "text") == 0;
    size_t len = (size_t)sqlite3_column_bytes(s, 0);
    uint8_t *bytes = th_xmemdup(sqlite3_column_blob(s, 0), len);
    sqlite3_finalize(s);
    bytes[0] ^= 1;
    snprintf(sql, sizeof sql, "UPDATE %s SET %s = ?1 WHERE %s", table, column, where);
    ok = sqlite3_prepare_v2(conn, sql, -1, &s, NULL) == SQLITE_OK &&
         (text ? sqlite3_bind_text(s, 1, (char *)bytes, (int)len, SQLITE_STATIC)
               : sqlite3_bind_blob(s, 1, bytes, (int)len, SQLITE_STATIC)) == SQLITE_OK &&
         sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(conn) == 1;
    CHECK_REPORT_(ok, "%s: %s", sql, sqlite3_errmsg(conn));
    sqlite3_finalize(s);
    free(bytes);
}

typedef struct tamper {
    const char *what;
    const char *flip_column; /* of event 5 of actor A, or NULL */
    const char *sql;         /* run after the flip, may be NULL */
    size_t first_bad;
    const char *reason;
} tamper;

#define EV5 " WHERE actor_id = '" ID_A "' AND idx = 5"
#define OF_A " WHERE actor_id = '" ID_A "'"

static const tamper tampers[] = {
    {"parent", "parent", NULL, 5, "event 5: parent hash does not match the hash of event 4"},
    {"hash", "hash", NULL, 5, "event 5: stored hash"},
    {"timestamp_ns", NULL, "UPDATE events SET timestamp_ns = timestamp_ns + 1" EV5, 5,
     "does not match its contents"},
    {"type", NULL, "UPDATE events SET type = (type | 1) - (type & 1)" EV5, 5,
     "does not match its contents"},
    {"type 99", NULL, "UPDATE events SET type = 99" EV5, 5,
     "event 5: type 99 is not a known event type"},
    {"name", "name", NULL, 5, "does not match its contents"},
    {"input", "input", NULL, 5, "does not match its contents"},
    {"output", "output", NULL, 5, "does not match its contents"},
    {"state_hash", "state_hash", NULL, 5, "does not match its contents"},
    {"state_hash removed", NULL, "UPDATE events SET state_hash = NULL" EV5, 5,
     "does not match its contents"},
    {"idx", NULL, "UPDATE events SET idx = idx + 128" EV5, 5, "event 5: index 6 is out of place"},
    {"event deleted", NULL, "DELETE FROM events" EV5, 5, "event 5: index 6 is out of place"},
    {"two events swapped", NULL,
     "UPDATE events SET idx = -1" OF_A " AND idx = 3;"
     "UPDATE events SET idx = 3" OF_A " AND idx = 6;"
     "UPDATE events SET idx = 6" OF_A " AND idx = -1",
     3, "event 3: parent hash does not match the hash of event 2"},
    {"chain truncated", NULL, "DELETE FROM events" OF_A " AND idx >= 7", 7,
     "chain ends after 7 events but its head record says 10"},
    {"event grafted from another actor", NULL,
     "DELETE FROM events" OF_A " AND idx = 4;"
     "UPDATE events SET actor_id = '" ID_A "' WHERE actor_id = '" ID_B "' AND idx = 4",
     4, "event 4: parent hash does not match"},
    {"last event rewritten", NULL, "UPDATE events SET output = X'00'" OF_A " AND idx = 9", 9,
     "event 9: stored hash"},
    {"registry head", NULL, "UPDATE actors SET head = randomblob(32) WHERE id = '" ID_A "'", 9,
     "event 9: hash differs from the recorded head"},
    {"registry event_count up", NULL, "UPDATE actors SET event_count = 11 WHERE id = '" ID_A "'",
     10, "chain ends after 10 events but its head record says 11"},
    {"registry event_count down", NULL, "UPDATE actors SET event_count = 9 WHERE id = '" ID_A "'",
     9, "chain has 10 events but its head record says 9"},
};

/* Stored values that do not fit an event at all: the load itself refuses,
 * naming the actor and the row. */
static const tamper unloadable[] = {
    {"short hash", NULL, "UPDATE events SET hash = substr(hash, 1, 31)" EV5, 5,
     "actor " ID_A ", event idx 5: hash is 31 bytes, not 32"},
    {"long parent", NULL, "UPDATE events SET parent = CAST(parent || X'00' AS BLOB)" EV5, 5,
     "actor " ID_A ", event idx 5: parent is 33 bytes, not 32"},
    {"text timestamp", NULL, "UPDATE events SET timestamp_ns = 'noon'" EV5, 5,
     "actor " ID_A ", event idx 5: timestamp_ns is text, not an integer"},
    {"huge type", NULL, "UPDATE events SET type = 1000" EV5, 5,
     "actor " ID_A ", event idx 5: type 1000 does not fit in a byte"},
    {"text idx", NULL, "UPDATE events SET idx = 'five'" EV5, 9,
     "actor " ID_A ", event row 9 of the chain: idx is text, not an integer"},
    {"registry head", NULL, "UPDATE actors SET head = X'00' WHERE id = '" ID_A "'", 0,
     "registry row of actor " ID_A ": head is 1 bytes, not 32"},
};

/* Copies the pristine database into a fresh directory and tampers with it. */
static char *tampered_copy(const char *pristine, const tamper *t)
{
    char *dir = make_temp_dir();
    copy_db(pristine, dir, SIZE_MAX);
    sqlite3 *raw = raw_open(dir);
    if (t->flip_column)
        flip_byte(raw, "events", t->flip_column, "actor_id = '" ID_A "' AND idx = 5");
    if (t->sql)
        raw_exec(raw, t->sql);
    raw_close(raw);
    return dir;
}

static void check_tamper(const char *pristine, const tamper *t)
{
    char *dir = tampered_copy(pristine, t);
    th_error err = {0};
    th_db_reader *r = th_db_reader_open_path(dir, &err);
    CHECK_REPORT_(r != NULL, "%s: %s", t->what, err.msg);
    th_verify_report report;
    if (r && load_and_verify(r, ID_A, &report, &err)) {
        bool ok = !report.ok && report.first_bad == t->first_bad &&
                  strstr(report.reason, t->reason) != NULL;
        CHECK_REPORT_(ok, "%s: want event %zu (%s), got ok=%d event %zu (%s)", t->what,
                      t->first_bad, t->reason, report.ok, report.first_bad, report.reason);
    } else {
        CHECK_REPORT_(false, "%s: not loaded: %s", t->what, err.msg);
    }
    th_db_reader_close(r);
    remove_tree(dir);
}

static void check_unloadable(const char *pristine, const tamper *t)
{
    char *dir = tampered_copy(pristine, t);
    th_error err = {0};
    th_db_reader *r = th_db_reader_open_path(dir, &err);
    CHECK_REPORT_(r != NULL, "%s: %s", t->what, err.msg);
    th_verify_report report;
    if (r) {
        bool loaded = load_and_verify(r, ID_A, &report, &err);
        CHECK_REPORT_(!loaded && strstr(err.msg, t->reason), "%s: want '%s', got %s", t->what,
                      t->reason, loaded ? "a chain" : err.msg);
    }
    th_db_reader_close(r);
    remove_tree(dir);
}

TEST(tampering_with_the_file_is_caught_at_the_right_event)
{
    char *pristine = make_temp_dir();
    th_chain *a = th_chain_new(), *b = th_chain_new();
    th_db *db = open_with_chain(pristine, TH_DURABILITY_OFF, ID_A, a, 10);
    th_actor_record rec = record(ID_B, "other", 2000);
    th_db_put_actor(db, &rec);
    grow_chain(b, 10, "other");
    persist(db, ID_B, b, 0);
    th_db_close(db);

    /* The untouched copy verifies: the failures below are the tampering's. */
    tamper none = {"nothing", NULL, NULL, 0, ""};
    char *dir = tampered_copy(pristine, &none);
    th_error err;
    th_db_reader *r = th_db_reader_open_path(dir, &err);
    th_verify_report report;
    CHECK(r && load_and_verify(r, ID_A, &report, &err) && report.ok);
    CHECK(r && load_and_verify(r, ID_B, &report, &err) && report.ok);
    th_db_reader_close(r);
    remove_tree(dir);

    for (size_t i = 0; i < sizeof tampers / sizeof tampers[0]; i++)
        check_tamper(pristine, &tampers[i]);
    for (size_t i = 0; i < sizeof unloadable / sizeof unloadable[0]; i++)
        check_unloadable(pristine, &unloadable[i]);
    th_chain_free(a);
    th_chain_free(b);
    remove_tree(pristine);
}

/* ---- Durability --------------------------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

TEST(always_sync_makes_every_event_visible)
{
    char *dir = make_temp_dir();
    th_chain *chain = th_chain_new();
    th_db *db = open_with_chain(dir, TH_DURABILITY_ALWAYS, ID_A, chain, 1);
    sqlite3 *raw = raw_open(dir);
    th_error err;
    for (int round = 0; round < 5; round++) {
        grow_chain(chain, 10, "always");
        persist(db, ID_A, chain, th_chain_length(chain) - 10);
        CHECK_EQ_INT(th_db_sync(db, &err), 0);
        /* The moment th_db_sync returns, another connection sees it all. */
        CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM events"), th_chain_length(chain));
        CHECK_EQ_INT(raw_int(raw, "SELECT event_count FROM actors"), th_chain_length(chain));
    }
    raw_close(raw);
    th_db_close(db);
    th_chain_free(chain);
    remove_tree(dir);
}

TEST(batch_commits_within_a_bounded_time_without_sync)
{
    char *dir = make_temp_dir();
    th_chain *chain = th_chain_new();
    th_db *db = open_with_chain(dir, TH_DURABILITY_BATCH, ID_A, chain, 1);
    sqlite3 *raw = raw_open(dir);
    grow_chain(chain, 50, "batch");
    double start = now_seconds();
    persist(db, ID_A, chain, 1);
    int64_t seen = 0;
    while (seen != 51 && now_seconds() - start < 5) {
        seen = raw_int(raw, "SELECT count(*) FROM events");
        usleep(1000);
    }
    double waited = now_seconds() - start;
    CHECK_EQ_INT(seen, 51);
    /* TH_BATCH_MAX_DELAY_MS plus a commit; a loaded machine (or valgrind)
     * gets generous room, but not unbounded. */
    CHECK_REPORT_(waited < 2.0, "events took %.3f s to become visible", waited);
    raw_close(raw);
    th_db_close(db);
    th_chain_free(chain);
    remove_tree(dir);
}

TEST(close_commits_everything_queued)
{
    char *dir = make_temp_dir();
    th_error err;
    th_db *db = th_db_open(dir, TH_DURABILITY_OFF, &err);
    CHECK(db != NULL);
    if (!db) {
        remove_tree(dir);
        return;
    }
    th_actor_record rec = record(ID_A, "counter", 1);
    th_db_put_actor(db, &rec);
    th_chain *chain = th_chain_new();
    grow_chain(chain, 2000, "close");
    persist(db, ID_A, chain, 0);
    th_db_close(db); /* no sync */

    th_db_reader *r = th_db_reader_open_path(dir, &err);
    th_verify_report report;
    CHECK_REPORT_(r && load_and_verify(r, ID_A, &report, &err), "%s", err.msg);
    CHECK(report.ok);
    CHECK_EQ_INT(report.events_checked, 2000);
    th_db_reader_close(r);
    th_chain_free(chain);
    remove_tree(dir);
}

/* ---- Readers while the writer appends ----------------------------------------------- */

typedef struct race {
    th_db *db;
    th_chain *chain;
    atomic_bool done;
} race;

enum { RACE_EVENTS = 20000, RACE_GROUP = 10 };

static void *append_in_groups(void *arg)
{
    race *x = arg;
    for (size_t done = 0; done < RACE_EVENTS; done += RACE_GROUP) {
        grow_chain(x->chain, RACE_GROUP, "race");
        persist(x->db, ID_A, x->chain, done);
        /* In off mode a sync is a commit without an fsync: many small
         * transactions for the reader to fall between. */
        if (th_db_sync(x->db, NULL) != 0)
            break;
    }
    atomic_store(&x->done, true);
    return NULL;
}

TEST(readers_see_consistent_chains_while_the_writer_appends)
{
    char *dir = make_temp_dir();
    race x = {.chain = th_chain_new()};
    atomic_init(&x.done, false);
    th_error err;
    x.db = th_db_open(dir, TH_DURABILITY_OFF, &err);
    CHECK(x.db != NULL);
    if (!x.db) {
        remove_tree(dir);
        return;
    }
    th_actor_record rec = record(ID_A, "counter", 1);
    th_db_put_actor(x.db, &rec);
    CHECK_EQ_INT(th_db_sync(x.db, &err), 0);
    th_db_reader *r = th_db_reader_open(x.db, &err);
    CHECK(r != NULL);
    pthread_t writer;
    if (!r || pthread_create(&writer, NULL, append_in_groups, &x) != 0) {
        CHECK(false);
        exit(1);
    }
    size_t loads = 0, bad = 0, shrunk = 0, last_len = 0;
    bool finished;
    do {
        finished = atomic_load(&x.done); /* one more load after the last append */
        double started = now_seconds();
        th_actor_info info;
        th_chain *chain = NULL;
        if (th_db_find_actor(r, ID_A, &info, &err) == 0) {
            chain = th_db_load_chain(r, &info, 0, 0, &err);
            th_actor_info_clear(&info);
        }
        th_verify_report report;
        if (!chain || !th_chain_verify(chain, &report)) {
            if (bad++ == 0)
                fprintf(stderr, "load %zu: %s\n", loads, chain ? report.reason : err.msg);
        } else {
            shrunk += th_chain_length(chain) < last_len;
            last_len = th_chain_length(chain);
        }
        th_chain_free(chain);
        loads++;
        /* The writer gets at least twice the reader's time, also where
         * threads take turns (valgrind): loads of a growing chain would
         * otherwise take most of it. */
        usleep((useconds_t)(1000 + 2e6 * (now_seconds() - started)));
    } while (!finished);
    pthread_join(writer, NULL);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(shrunk, 0);
    CHECK_EQ_INT(last_len, RACE_EVENTS);
    CHECK(loads >= 2);
    th_db_reader_close(r);
    th_db_close(x.db);
    th_chain_free(x.chain);
    remove_tree(dir);
}

/* ---- The schema-v1 fixture ---------------------------------------------------------- */

/* Every row of the version-1 tables, with each value's type: equal
 * fingerprints mean equal contents. The schema version is left out: a
 * migration changes it. */
static void fingerprint(sqlite3 *conn, th_buf *out)
{
    static const char *const queries[] = {
        "SELECT * FROM meta WHERE key <> 'schema_version' ORDER BY key",
        "SELECT * FROM actors ORDER BY id",
        "SELECT * FROM events ORDER BY actor_id, idx",
        "SELECT * FROM states ORDER BY hash",
        "SELECT * FROM packages ORDER BY hash",
    };
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        sqlite3_stmt *s = NULL;
        CHECK_EQ_INT(sqlite3_prepare_v2(conn, queries[q], -1, &s, NULL), SQLITE_OK);
        while (s && sqlite3_step(s) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(s); c++) {
                th_buf_append_byte(out, (uint8_t)sqlite3_column_type(s, c));
                const void *p = sqlite3_column_blob(s, c);
                size_t n = (size_t)sqlite3_column_bytes(s, c);
                th_buf_append_u64be(out, n);
                th_buf_append(out, p, n);
            }
        }
        sqlite3_finalize(s);
        th_buf_append_str(out, "|");
    }
}

TEST(schema_v1_fixture_opens_keeps_every_row_and_verifies)
{
    size_t len;
    uint8_t *sql = read_file(THEATER_SOURCE_DIR "/tests/data/schema-v1.sql", &len);
    char *dir = make_temp_dir();
    sqlite3 *raw = raw_open(dir);
    raw_exec(raw, (const char *)sql);
    free(sql);
    th_buf before = TH_BUF_INIT, after = TH_BUF_INIT;
    fingerprint(raw, &before);
    int64_t events = raw_int(raw, "SELECT count(*) FROM events");
    CHECK(events >= 5);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM states"), 3);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM packages"), 1);
    raw_close(raw);

    th_error err;
    th_db *db = th_db_open(dir, TH_DURABILITY_BATCH, &err);
    CHECK_REPORT_(db != NULL, "the schema-v1 fixture: %s", err.msg);
    if (db) {
        CHECK_EQ_INT(th_db_schema_version(db), TH_SCHEMA_VERSION);
        th_db_close(db);
    }
    raw = raw_open(dir);
    fingerprint(raw, &after);
    /* Migrated to 2: the content store's tables are there, and empty. */
    char *version = raw_text(raw, "SELECT value FROM meta WHERE key = 'schema_version'");
    CHECK_STR_EQ(version, "2");
    free(version);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                              "name IN ('blobs', 'store_content', 'store_labels')"),
                 3);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM blobs"), 0);
    raw_close(raw);
    CHECK(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);

    th_db_reader *r = th_db_reader_open_path(dir, &err);
    CHECK_REPORT_(r != NULL, "%s", err.msg);
    th_verify_report report;
    CHECK(r && load_and_verify(r, "5eed0c0f", &report, &err) && report.ok);
    CHECK_EQ_INT(report.events_checked, events);
    th_db_reader_close(r);
    th_buf_free(&before);
    th_buf_free(&after);
    remove_tree(dir);
}

/* ---- Writer failures ------------------------------------------------------------------ */

TEST(a_failed_transaction_is_sticky_and_applies_nothing)
{
    char *dir = make_temp_dir();
    th_chain *chain = th_chain_new();
    th_db *db = open_with_chain(dir, TH_DURABILITY_BATCH, ID_A, chain, 10);
    th_error err = {0};
    /* In one batch: a good event, then one whose index is taken. */
    grow_chain(chain, 1, "more");
    persist(db, ID_A, chain, 10);
    th_db_append_event(db, ID_A, th_chain_event(chain, 3), NULL, 0);
    CHECK_EQ_INT(th_db_sync(db, &err), -1);
    CHECK_CONTAINS(err.msg, "cannot store event 3 of actor " ID_A);
    CHECK_CONTAINS(err.msg, "UNIQUE constraint failed");
    char first[sizeof err.msg];
    memcpy(first, err.msg, sizeof first);
    /* Later work is dropped, and the first error stays the one reported. */
    grow_chain(chain, 1, "more");
    persist(db, ID_A, chain, 11);
    th_db_set_status(db, ID_A, "stopped");
    memset(&err, 0, sizeof err);
    CHECK_EQ_INT(th_db_sync(db, &err), -1);
    CHECK_STR_EQ(err.msg, first);
    memset(&err, 0, sizeof err);
    CHECK_EQ_INT(th_db_error(db, &err), -1);
    CHECK_STR_EQ(err.msg, first);
    th_db_close(db);

    sqlite3 *raw = raw_open(dir);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM events"), 10);
    CHECK_EQ_INT(raw_int(raw, "SELECT event_count FROM actors"), 10);
    char *status = raw_text(raw, "SELECT status FROM actors");
    CHECK_STR_EQ(status, "running");
    free(status);
    raw_close(raw);
    th_chain_free(chain);
    remove_tree(dir);
}

TEST(events_of_an_unregistered_actor_are_refused)
{
    char *dir = make_temp_dir();
    th_error err;
    th_db *db = th_db_open(dir, TH_DURABILITY_OFF, &err);
    CHECK(db != NULL);
    if (!db) {
        remove_tree(dir);
        return;
    }
    th_chain *chain = th_chain_new();
    grow_chain(chain, 3, "ghost");
    persist(db, ID_B, chain, 0);
    CHECK_EQ_INT(th_db_sync(db, &err), -1);
    CHECK_CONTAINS(err.msg, "cannot store events of actor " ID_B ": it is not registered");
    th_db_close(db);
    sqlite3 *raw = raw_open(dir);
    CHECK_EQ_INT(raw_int(raw, "SELECT count(*) FROM events"), 0);
    raw_close(raw);
    th_chain_free(chain);
    remove_tree(dir);
}

/* A real I/O error: with RLIMIT_FSIZE at one byte, the kernel refuses every
 * write past the start of any file (EFBIG), as a full disk would. */
TEST(an_io_error_is_reported_by_sync_and_nothing_crashes)
{
    char *dir = make_temp_dir();
    th_chain *chain = th_chain_new();
    th_db *db = open_with_chain(dir, TH_DURABILITY_BATCH, ID_A, chain, 10);
    struct rlimit saved, tiny;
    CHECK(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    tiny = saved;
    tiny.rlim_cur = 1;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &tiny) == 0);

    grow_chain(chain, 10, "full");
    persist(db, ID_A, chain, 10);
    th_error err = {0};
    int rc = th_db_sync(db, &err);

    CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    signal(SIGXFSZ, old_handler);
    CHECK_EQ_INT(rc, -1);
    CHECK_CONTAINS(err.msg, th_db_path(db));
    CHECK_CONTAINS(err.msg, "disk I/O error");
    CHECK_EQ_INT(th_db_error(db, &err), -1);
    th_db_close(db);

    /* What was committed before the failure is intact, and nothing after. */
    th_db_reader *r = th_db_reader_open_path(dir, &err);
    th_verify_report report;
    CHECK_REPORT_(r && load_and_verify(r, ID_A, &report, &err), "%s", err.msg);
    CHECK(report.ok);
    CHECK_EQ_INT(report.events_checked, 10);
    th_db_reader_close(r);
    th_chain_free(chain);
    remove_tree(dir);
}

int main(void)
{
    RUN(durability_names);
    RUN(create_close_reopen);
    RUN(refuses_bad_files_and_stays_up);
    RUN(round_trip_keeps_every_field);
    RUN(the_empty_state_is_stored);
    RUN(find_by_id_or_prefix_and_list);
    RUN(tampering_with_the_file_is_caught_at_the_right_event);
    RUN(always_sync_makes_every_event_visible);
    RUN(batch_commits_within_a_bounded_time_without_sync);
    RUN(close_commits_everything_queued);
    RUN(readers_see_consistent_chains_while_the_writer_appends);
    RUN(schema_v1_fixture_opens_keeps_every_row_and_verifies);
    RUN(a_failed_transaction_is_sticky_and_applies_nothing);
    RUN(events_of_an_unregistered_actor_are_refused);
    RUN(an_io_error_is_reported_by_sync_and_nothing_crashes);
    return check_summary();
}
