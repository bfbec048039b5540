/* The content store handler (theater:simple/store) on spawned actors with
 * a real database: each host function is called through its catalogue
 * entry, exactly as the executor calls it, and its WIT result checked. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "chain/sha256.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/hex.h"
#include "common/value.h"
#include "exec/catalog.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"
#include "runtime/replay.h"
#include "rt_fixture.h"

#define STORE_IFACE "theater:simple/store"
#define HELLO_SHA256 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- Fixture ------------------------------------------------------------------------- */

/* A guest that, for each request, stores the message through the canonical
 * ABI, gets it back by the content-ref the host returned, and answers with
 * what it got: the store seen from inside the sandbox. */
static const char abi_guest_wat[] =
    "(module\n"
    "(import \"theater:simple/store\" \"store\" (func $store (param i32 i32 i32)))\n"
    "(import \"theater:simple/store\" \"get\" (func $get (param i32 i32 "
    "i32)))\n" WAT_MEMORY_AND_ALLOCATOR WAT_INIT_KEEPS_STATE
    "(func (export \"theater:simple/message-server-client#handle-request\")\n"
    "  (param i32 i32 i32 i32 i32) (result i32)\n"
    "  (call $store (local.get 3) (local.get 4) (i32.const 100))\n" /* ok(content-ref) at 104 */
    "  (if (i32.load8_u (i32.const 100)) (then unreachable))\n"
    "  (call $get (i32.load (i32.const 104)) (i32.load (i32.const 108)) (i32.const 200))\n"
    "  (if (i32.load8_u (i32.const 200)) (then unreachable))\n"
    "  (i32.store8 (i32.const 0) (i32.const 0)) (i32.store8 (i32.const 4) (i32.const 0))\n"
    "  (i32.store (i32.const 16) (i32.load (i32.const 204)))\n"
    "  (i32.store (i32.const 20) (i32.load (i32.const 208)))\n"
    "  (i32.const 0)))\n";

/* A manifest granting the store; store_name NULL: no config (the default). */
static th_manifest *store_manifest(const char *store_name)
{
    char *config = store_name ? format("config = { name = \"%s\" }\n", store_name) : NULL;
    char *text = format("name = \"st\"\nversion = \"0.1.0\"\npackage = \"%s\"\n\n"
                        "[[handlers]]\ntype = \"store\"\n%s",
                        package, config ? config : "");
    th_manifest *m = parse_manifest(text, "st.toml");
    free(text);
    free(config);
    return m;
}

typedef struct fixture {
    char *dir; /* the data directory */
    th_db *db;
} fixture;

static fixture open_fixture(void)
{
    fixture f = {0};
    th_buf dir = TH_BUF_INIT;
    th_buf_printf(&dir, "%s/data-XXXXXX", tmpdir);
    f.dir = (char *)th_buf_take(&dir, NULL);
    if (!mkdtemp(f.dir))
        abort();
    th_error err;
    f.db = th_db_open(f.dir, TH_DURABILITY_BATCH, &err);
    CHECK_REPORT_(f.db != NULL, "th_db_open: %s", err.msg);
    return f;
}

static void close_fixture(fixture *f)
{
    th_db_close(f->db);
    remove_tree(f->dir);
    free(f->dir);
}

static spawned spawn_store(th_db *db, const char *store_name)
{
    th_spawn_options opts = {.db = db};
    return spawn_alone(store_manifest(store_name), &opts);
}

/* ---- Calls -------------------------------------------------------------------------------- */

static th_val *ref(const char *hex)
{
    th_val *r = th_val_tuple(&arena, 1);
    r->list.items[0] = *str(hex);
    return r;
}

/* Calls a store function; answers are ok or err values. */
static th_val *call(spawned *s, const char *fn, th_val *params)
{
    return host_call(s, STORE_IFACE, fn, params);
}

static const char *ref_hash(const th_val *r)
{
    return r ? (const char *)r->list.items[0].bytes.ptr : "";
}

static int exists(spawned *s, const char *hex)
{
    th_val *v = ok(call(s, "exists", args(1, ref(hex), NULL)));
    if (!v || v->kind != TH_VAL_BOOL)
        return -1;
    return v->b;
}

static long content_count(spawned *s)
{
    th_val *v = ok(call(s, "list-all-content", args(0, NULL, NULL)));
    return v && v->kind == TH_VAL_LIST ? (long)v->list.len : -1;
}

static th_val *store_text(spawned *s, const char *text)
{
    return ok(call(s, "store", args(1, th_val_bytes(&arena, text, strlen(text)), NULL)));
}

/* ---- Tests -------------------------------------------------------------------------------- */

TEST(store_then_get_gives_the_bytes_under_their_sha256)
{
    fixture f = open_fixture();
    spawned s = spawn_store(f.db, NULL);
    th_val *r = store_text(&s, "hello");
    CHECK_STR_EQ(ref_hash(r), HELLO_SHA256);
    CHECK(bytes_equal(ok(call(&s, "get", args(1, ref(HELLO_SHA256), NULL))), "hello"));
    CHECK_EQ_INT(exists(&s, HELLO_SHA256), 1);

    /* Empty content is content too. */
    CHECK_STR_EQ(ref_hash(store_text(&s, "")), EMPTY_SHA256);
    CHECK(bytes_equal(ok(call(&s, "get", args(1, ref(EMPTY_SHA256), NULL))), ""));

    /* Storing the same bytes again is the same content. */
    CHECK_STR_EQ(ref_hash(store_text(&s, "hello")), HELLO_SHA256);
    CHECK_EQ_INT(content_count(&s), 2);
    done(&s);
    close_fixture(&f);
}

TEST(unknown_content_is_an_err_and_does_not_exist)
{
    fixture f = open_fixture();
    spawned s = spawn_store(f.db, NULL);
    const char *unknown = "00000000000000000000000000000000000000000000000000000000000000aa";
    CHECK_STR_EQ(err_of(call(&s, "get", args(1, ref(unknown), NULL))),
                 "no content "
                 "00000000000000000000000000000000000000000000000000000000000000aa"
                 " in store 'default'");
    CHECK_EQ_INT(exists(&s, unknown), 0);
    CHECK_CONTAINS(err_of(call(&s, "label", args(2, str("x"), ref(unknown)))), "no content");
    done(&s);
    close_fixture(&f);
}

TEST(a_bad_content_ref_is_an_err)
{
    fixture f = open_fixture();
    spawned s = spawn_store(f.db, NULL);
    store_text(&s, "hello");
    static const char *const bad[] = {
        "",
        "xyz",
        "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",  /* uppercase */
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982",   /* 63 digits */
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98240", /* 65 */
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982g",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_CONTAINS(err_of(call(&s, "get", args(1, ref(bad[i]), NULL))),
                       "is not a SHA-256 in lowercase hex");
        CHECK_CONTAINS(err_of(call(&s, "exists", args(1, ref(bad[i]), NULL))),
                       "is not a SHA-256 in lowercase hex");
        CHECK_CONTAINS(err_of(call(&s, "label", args(2, str("l"), ref(bad[i])))),
                       "is not a SHA-256 in lowercase hex");
        CHECK_CONTAINS(err_of(call(&s, "replace-at-label", args(2, str("l"), ref(bad[i])))),
                       "is not a SHA-256 in lowercase hex");
    }
    done(&s);
    close_fixture(&f);
}

static bool label_is(spawned *s, const char *label, const char *want_hash)
{
    th_val *opt = ok(call(s, "get-by-label", args(1, str(label), NULL)));
    if (!opt)
        return false;
    if (!want_hash)
        return opt->var.disc == 0;
    return opt->var.disc == 1 && strcmp(ref_hash(opt->var.payload), want_hash) == 0;
}

static bool labels_are(spawned *s, const char *const *want, size_t n)
{
    th_val *list = ok(call(s, "list-labels", args(0, NULL, NULL)));
    if (!list || list->list.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp((const char *)list->list.items[i].bytes.ptr, want[i]) != 0)
            return false;
    return true;
}

TEST(labels_set_get_replace_remove_and_list)
{
    fixture f = open_fixture();
    spawned s = spawn_store(f.db, NULL);
    char first[65], second[65];
    snprintf(first, sizeof first, "%s", ref_hash(store_text(&s, "one")));
    snprintf(second, sizeof second, "%s", ref_hash(store_text(&s, "two")));

    CHECK(ok(call(&s, "label", args(2, str("b"), ref(first)))) == NULL); /* ok(_) */
    CHECK(label_is(&s, "b", first));
    CHECK(label_is(&s, "nothing", NULL));
    /* label moves an existing label too. */
    ok(call(&s, "label", args(2, str("a"), ref(first))));
    ok(call(&s, "label", args(2, str("a"), ref(second))));
    CHECK(label_is(&s, "a", second));
    CHECK(labels_are(&s, (const char *const[]){"a", "b"}, 2));

    ok(call(&s, "replace-at-label", args(2, str("b"), ref(second))));
    CHECK(label_is(&s, "b", second));
    CHECK_STR_EQ(err_of(call(&s, "replace-at-label", args(2, str("x"), ref(first)))),
                 "label 'x' not found in store 'default'");
    CHECK(label_is(&s, "x", NULL));

    th_val *at =
        ok(call(&s, "store-at-label", args(2, str("c"), th_val_bytes(&arena, "hello", 5))));
    CHECK_STR_EQ(ref_hash(at), HELLO_SHA256);
    CHECK(label_is(&s, "c", HELLO_SHA256));
    CHECK(bytes_equal(ok(call(&s, "get", args(1, ref(HELLO_SHA256), NULL))), "hello"));

    ok(call(&s, "remove-label", args(1, str("a"), NULL)));
    CHECK(label_is(&s, "a", NULL));
    CHECK_STR_EQ(err_of(call(&s, "remove-label", args(1, str("a"), NULL))),
                 "label 'a' not found in store 'default'");
    CHECK(labels_are(&s, (const char *const[]){"b", "c"}, 2));
    /* Removing a label keeps its content. */
    CHECK(bytes_equal(ok(call(&s, "get", args(1, ref(second), NULL))), "two"));

    CHECK_CONTAINS(err_of(call(&s, "label", args(2, str(""), ref(first)))), "cannot be empty");
    th_val *nul = th_val_string(&arena, "a\0b", 3);
    CHECK_CONTAINS(err_of(call(&s, "get-by-label", args(1, nul, NULL))), "NUL");
    done(&s);
    close_fixture(&f);
}

static uint64_t total_size(spawned *s)
{
    th_val *v = ok(call(s, "calculate-total-size", args(0, NULL, NULL)));
    CHECK(v && v->kind == TH_VAL_U64);
    return v ? v->u : UINT64_MAX;
}

TEST(list_all_content_and_total_size)
{
    fixture f = open_fixture();
    spawned s = spawn_store(f.db, NULL);
    CHECK_EQ_INT(total_size(&s), 0);
    th_val *none = ok(call(&s, "list-all-content", args(0, NULL, NULL)));
    CHECK(none && none->kind == TH_VAL_LIST && none->list.len == 0);

    store_text(&s, "hello");
    store_text(&s, "abc");
    store_text(&s, "hello"); /* counted once */
    CHECK_EQ_INT(total_size(&s), 8);

    uint8_t abc[TH_HASH_SIZE];
    char abc_hex[65];
    th_sha256("abc", 3, abc);
    th_hex_encode(abc, TH_HASH_SIZE, abc_hex);
    th_val *all = ok(call(&s, "list-all-content", args(0, NULL, NULL)));
    CHECK(all && all->list.len == 2);
    if (all && all->list.len == 2) { /* in hash order: 2cf2… before ba78… */
        CHECK_STR_EQ(ref_hash(&all->list.items[0]), HELLO_SHA256);
        CHECK_STR_EQ(ref_hash(&all->list.items[1]), abc_hex);
    }
    done(&s);
    close_fixture(&f);
}

static int64_t raw_count(const char *dir, const char *sql)
{
    th_buf path = TH_BUF_INIT;
    th_buf_printf(&path, "%s/" TH_DB_FILE, dir);
    sqlite3 *conn = NULL;
    sqlite3_stmt *s = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2(th_buf_cstr(&path), &conn, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(conn, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(conn);
    th_buf_free(&path);
    return n;
}

TEST(stores_are_isolated_but_share_blobs)
{
    fixture f = open_fixture();
    spawned a = spawn_store(f.db, NULL);
    spawned b = spawn_store(f.db, "other");
    store_text(&a, "hello");
    ok(call(&a, "label", args(2, str("greeting"), ref(HELLO_SHA256))));

    CHECK_STR_EQ(err_of(call(&b, "get", args(1, ref(HELLO_SHA256), NULL))),
                 "no content " HELLO_SHA256 " in store 'other'");
    CHECK_EQ_INT(exists(&b, HELLO_SHA256), 0);
    CHECK_CONTAINS(err_of(call(&b, "label", args(2, str("mine"), ref(HELLO_SHA256)))),
                   "no content");
    CHECK(label_is(&b, "greeting", NULL));
    CHECK(labels_are(&b, NULL, 0));
    CHECK_EQ_INT(total_size(&b), 0);
    CHECK_EQ_INT(content_count(&b), 0);

    /* The same bytes in the other store: the same hash, one blob, and
     * now each store sees them. */
    CHECK_STR_EQ(ref_hash(store_text(&b, "hello")), HELLO_SHA256);
    CHECK(bytes_equal(ok(call(&b, "get", args(1, ref(HELLO_SHA256), NULL))), "hello"));
    CHECK_EQ_INT(raw_count(f.dir, "SELECT count(*) FROM blobs"), 1);
    CHECK_EQ_INT(raw_count(f.dir, "SELECT count(*) FROM store_content"), 2);
    /* b's label of the same name is b's own. */
    store_text(&b, "hi");
    uint8_t hi[TH_HASH_SIZE];
    char hi_hex[65];
    th_sha256("hi", 2, hi);
    th_hex_encode(hi, TH_HASH_SIZE, hi_hex);
    ok(call(&b, "label", args(2, str("greeting"), ref(hi_hex))));
    CHECK(label_is(&a, "greeting", HELLO_SHA256));
    CHECK(label_is(&b, "greeting", hi_hex));
    CHECK_EQ_INT(total_size(&a), 5);
    done(&a);
    done(&b);
    close_fixture(&f);
}

TEST(everything_survives_closing_the_database)
{
    fixture f = open_fixture();
    spawned s = spawn_store(f.db, "kept");
    store_text(&s, "hello");
    ok(call(&s, "store-at-label", args(2, str("l"), th_val_bytes(&arena, "abc", 3))));
    done(&s);
    th_db_close(f.db);

    th_error err;
    f.db = th_db_open(f.dir, TH_DURABILITY_OFF, &err);
    CHECK_REPORT_(f.db != NULL, "reopening: %s", err.msg);
    if (!f.db)
        return;
    s = spawn_store(f.db, "kept");
    CHECK(bytes_equal(ok(call(&s, "get", args(1, ref(HELLO_SHA256), NULL))), "hello"));
    th_val *opt = ok(call(&s, "get-by-label", args(1, str("l"), NULL)));
    CHECK(opt && opt->var.disc == 1);
    if (opt && opt->var.disc == 1)
        CHECK(bytes_equal(ok(call(&s, "get", args(1, opt->var.payload, NULL))), "abc"));
    CHECK_EQ_INT(total_size(&s), 8);
    done(&s);
    close_fixture(&f);
}

TEST(a_store_grant_without_a_database_is_refused)
{
    th_manifest *m = store_manifest(NULL);
    th_error err = {0};
    th_actor *actor = th_actor_spawn_with(engine, m, NULL, &err);
    CHECK(actor == NULL);
    CHECK_STR_EQ(
        err.msg,
        "st.toml:5:1: the 'store' handler needs a data directory (theater run --data DIR)");
    th_actor_free(actor);
    th_manifest_free(m);
}

TEST(a_guest_stores_and_gets_through_the_canonical_abi)
{
    fixture f = open_fixture();
    char *pkg = write_wat(abi_guest_wat, "abi_guest");
    char *text = format("name = \"abi\"\nversion = \"1\"\npackage = \"%s\"\n[[handlers]]\n"
                        "type = \"store\"\n[[handlers]]\ntype = \"message-server\"\n",
                        pkg);
    th_manifest *m = parse_manifest(text, "abi.toml");
    free(text);
    th_spawn_options opts = {.db = f.db};
    th_actor *actor = actor_alone(m, &opts);
    if (actor) {
        const char *msg = "{\"kept\":\"in the store\"}";
        CHECK_STR_EQ(ask_actor(actor, msg), msg);
        /* both host calls are in the chain, between the call and its return */
        const th_chain *c = th_actor_chain(actor);
        size_t n = th_chain_length(c);
        CHECK(n >= 3);
        if (n >= 3) {
            CHECK_STR_EQ(th_chain_event(c, n - 3)->name, "theater:simple/store#store");
            CHECK_STR_EQ(th_chain_event(c, n - 2)->name, "theater:simple/store#get");
            CHECK_EQ_INT(th_chain_event(c, n - 1)->type, TH_EV_RETURN);
        }
        th_verify_report rep;
        CHECK(th_chain_verify(c, &rep));
        th_actor_stop(actor);

        /* Replay feeds the recorded store answers back: it needs no database
         * and writes nothing, and still reaches the same events and states. */
        th_error err;
        th_db_reader *r = th_db_reader_open(f.db, &err);
        check_replay_alone(actor, states_from_db, r);
        th_db_reader_close(r);
        th_actor_free(actor);
    }
    th_manifest_free(m);
    unlink(pkg);
    free(pkg);
    close_fixture(&f);
}

int main(void)
{
    if (!fixture_start_alone("store"))
        return 1;
    RUN(store_then_get_gives_the_bytes_under_their_sha256);
    RUN(unknown_content_is_an_err_and_does_not_exist);
    RUN(a_bad_content_ref_is_an_err);
    RUN(labels_set_get_replace_remove_and_list);
    RUN(list_all_content_and_total_size);
    RUN(stores_are_isolated_but_share_blobs);
    RUN(everything_survives_closing_the_database);
    RUN(a_store_grant_without_a_database_is_refused);
    RUN(a_guest_stores_and_gets_through_the_canonical_abi);
    return fixture_end();
}
