/* The fixture the runtime and handler tests share, so that each test file
 * holds only what it tests:
 *
 * - one engine and one temporary directory per test program
 *   (fixture_start ... fixture_end);
 * - files and manifests written into that directory, with absolute package
 *   paths (write_in_tmp, actor_manifest, worker_manifest, super_manifest);
 * - a runtime and its actors driven from outside: spawn, ask, tell,
 *   settle, status_of, state_of, children_of, and polls with a deadline;
 * - chains stored in a database, loaded and replayed;
 * - for the handler tests, actors spawned alone (outside any runtime) whose
 *   host functions are called directly, through their catalogue entries.
 *
 * Each test program is one translation unit that includes this once, so
 * every function is static inline: what a program does not use costs
 * nothing and raises no warning.
 *
 * Helpers that must succeed fail the test through CHECK_REPORT_, and most
 * count a pass as a CHECK would. The reads that polling loops repeat (ask
 * and askf, status_of, mail_of) count only their failures, so that a
 * program's "N passed" does not depend on how often they were polled. */
#ifndef THEATER_TESTS_RT_FIXTURE_H
#define THEATER_TESTS_RT_FIXTURE_H

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "wat.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/value.h"
#include "exec/catalog.h"
#include "exec/engine.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"
#include "runtime/replay.h"
#include "runtime/runtime.h"
#include "store/db.h"
#include "theater/theater.h"

/* The runtime tests' actors, built with the C SDK (tests/actors/). */
#define WORKER_WASM THEATER_BINARY_DIR "/tests/actors/rt_worker.wasm"
#define SUPER_WASM THEATER_BINARY_DIR "/tests/actors/rt_super.wasm"

#define MESSAGE_SERVER_HANDLER "[[handlers]]\ntype = \"message-server\"\n"
#define SUPERVISOR_HANDLER "[[handlers]]\ntype = \"supervisor\"\n"

/* A guest that only has an init: the handler tests call its host functions
 * themselves. */
#define INIT_ONLY_WAT "(module\n" WAT_MEMORY_AND_ALLOCATOR WAT_INIT_KEEPS_STATE ")\n"

/* How long a wait may last before the test fails; a program may define its
 * own before including this. */
#ifndef SETTLE_MS
#define SETTLE_MS 60000
#endif

static th_engine *engine;
static char tmpdir[64];
/* The handler tests' values (host call arguments and results); done()
 * resets it. */
static th_arena arena = TH_ARENA_INIT;
/* The handler tests' INIT_ONLY_WAT guest, written by fixture_start_alone. */
static char *package;

/* ---- Files ----------------------------------------------------------------------------------- */

/* A path in a value, so that nothing needs freeing. */
typedef struct tmp_path {
    char s[600];
} tmp_path;

static inline char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static inline char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort(); /* out of memory: as th_xmalloc does */
    return s;
}

/* printf into a new string (malloc'd). */
static inline char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

/* Writes `text` to `file`, a path relative to the temporary directory. */
static inline tmp_path write_in_tmp(const char *file, const char *text)
{
    tmp_path p;
    snprintf(p.s, sizeof p.s, "%s/%s", tmpdir, file);
    FILE *f = fopen(p.s, "w");
    bool ok = f && fputs(text, f) != EOF;
    if (f && fclose(f) != 0)
        ok = false;
    CHECK_REPORT_(ok, "cannot write %s", p.s);
    return p;
}

/* A test's own WAT compiled into `name`.wasm in the temporary directory
 * (malloc'd path). */
static inline char *write_wat(const char *wat, const char *name)
{
    char *path = wat_to_file(tmpdir, name, wat, strlen(wat));
    if (!path)
        abort(); /* a test's own WAT is wrong */
    return path;
}

static inline int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void remove_tree(const char *dir)
{
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        perror(dir);
}

/* ---- The program: its engine and temporary directory ----------------------------------------- */

/* Actors' log lines (errors of one-way messages, roots that fail) are
 * expected in these tests: kept off their output. */
static inline void quiet_log(void *ud, const char *id, const char *name, const char *msg,
                             size_t len)
{
    (void)ud, (void)id, (void)name, (void)msg, (void)len;
}

/* The runtime tests' engine: the build's module cache, and quiet. */
static inline th_engine_options runtime_engine_options(unsigned pool_slots)
{
    return (th_engine_options){
        .cache_dir = THEATER_BINARY_DIR "/test-cache", .log = quiet_log, .pool_slots = pool_slots};
}

/* Makes /tmp/theater-test-NAME-XXXXXX and the engine; false after saying
 * why on stderr. */
static inline bool fixture_start(const char *name, th_engine_options opts)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/theater-test-%s-XXXXXX", name);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return false;
    }
    th_error err;
    engine = th_engine_new(&opts, &err);
    if (!engine) {
        fprintf(stderr, "engine: %s\n", err.msg);
        remove_tree(tmpdir);
        return false;
    }
    return true;
}

/* The handler tests' start: an engine without the module cache (each
 * program compiles its few guests afresh), and `package`. */
static inline bool fixture_start_alone(const char *name)
{
    if (!fixture_start(name, (th_engine_options){.cache_dir = ""}))
        return false;
    package = write_wat(INIT_ONLY_WAT, "guest");
    return true;
}

/* Frees what the start made and removes the temporary directory with all
 * in it; returns the program's exit status. */
static inline int fixture_end(void)
{
    th_engine_free(engine);
    th_arena_free(&arena);
    free(package);
    remove_tree(tmpdir);
    return check_summary();
}

/* ---- Manifests ------------------------------------------------------------------------------- */

/* A manifest for the package at `pkg` (an absolute path), written to
 * `file`: `extra` is TOML that goes before the handlers (top-level keys
 * first, then tables such as [limits]), `handlers` its [[handlers]]. */
static inline tmp_path actor_manifest(const char *file, const char *name, const char *pkg,
                                      const char *extra, const char *handlers)
{
    char *text = format("name = \"%s\"\nversion = \"0.1.0\"\npackage = \"%s\"\n%s\n%s", name, pkg,
                        extra, handlers);
    tmp_path p = write_in_tmp(file, text);
    free(text);
    return p;
}

/* rt_worker granted the message-server. */
static inline tmp_path worker_manifest(const char *file, const char *name, const char *extra)
{
    return actor_manifest(file, name, WORKER_WASM, extra, MESSAGE_SERVER_HANDLER);
}

/* rt_super granted the message-server and the supervisor. */
static inline tmp_path super_manifest(const char *file, const char *name, const char *extra)
{
    return actor_manifest(file, name, SUPER_WASM, extra, MESSAGE_SERVER_HANDLER SUPERVISOR_HANDLER);
}

/* A manifest from TOML text, as though read from `file` (what is relative
 * in it is relative to the file's directory). A test's own text must
 * parse: nothing can run otherwise. */
static inline th_manifest *parse_manifest(const char *text, const char *file)
{
    th_error err;
    th_manifest *m = th_manifest_parse(text, strlen(text), file, &err);
    if (!m) {
        fprintf(stderr, "manifest: %s\n", err.msg);
        abort();
    }
    return m;
}

/* ---- A runtime and its actors ---------------------------------------------------------------- */

static inline th_runtime *runtime_new(const th_runtime_options *opts)
{
    th_error err;
    th_runtime *rt = th_runtime_new(engine, opts, &err);
    CHECK_REPORT_(rt != NULL, "th_runtime_new: %s", err.msg);
    return rt;
}

/* Spawns the manifest at p as a child of `parent` (NULL: a root); its id
 * into id ("" when it failed). */
static inline bool spawn_under(th_runtime *rt, const tmp_path *p, const char *parent, char id[33])
{
    th_error err;
    int rc = th_runtime_spawn(rt, p->s, NULL, 0, parent, id, &err);
    CHECK_REPORT_(rc == 0, "spawn %s: %s", p->s, err.msg);
    if (rc)
        id[0] = '\0';
    return rc == 0;
}

static inline bool spawn(th_runtime *rt, const tmp_path *p, char id[33])
{
    return spawn_under(rt, p, NULL, id);
}

/* ---- Requests and messages ------------------------------------------------------------------- */

/* A request from outside; the answer as a string (malloc'd), or NULL with
 * *err saying why. timeout_ms 0: the runtime's. */
static inline char *ask_within(th_runtime *rt, const char *id, uint32_t timeout_ms, const char *msg,
                               th_error *err)
{
    uint8_t *resp = NULL;
    size_t len = 0;
    if (th_runtime_request(rt, id, (const uint8_t *)msg, strlen(msg), timeout_ms, &resp, &len, err))
        return NULL;
    char *s = th_xmalloc(len + 1);
    if (len)
        memcpy(s, resp, len);
    s[len] = '\0';
    free(resp);
    return s;
}

/* A request that may fail, within the runtime's timeout. */
static inline char *try_ask(th_runtime *rt, const char *id, const char *msg, th_error *err)
{
    return ask_within(rt, id, 0, msg, err);
}

/* The answer of a request that must succeed (malloc'd); "" (never NULL)
 * when it did not. */
static inline char *ask(th_runtime *rt, const char *id, const char *msg)
{
    th_error err;
    char *resp = try_ask(rt, id, msg, &err);
    if (!resp) {
        CHECK_REPORT_(false, "request %s of %.8s: %s", msg, id, err.msg);
        return th_xstrdup("");
    }
    return resp;
}

static inline char *askf(th_runtime *rt, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline char *askf(th_runtime *rt, const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    char *resp = ask(rt, id, msg);
    free(msg);
    return resp;
}

/* A one-way message that may be refused. */
static inline int try_tell(th_runtime *rt, const char *id, const char *msg, th_error *err)
{
    return th_runtime_send(rt, id, (const uint8_t *)msg, strlen(msg), err);
}

/* A one-way message that must be accepted. */
static inline void tell(th_runtime *rt, const char *id, const char *msg)
{
    th_error err;
    CHECK_REPORT_(try_tell(rt, id, msg, &err) == 0, "send %s to %.8s: %s", msg, id, err.msg);
}

/* JSON text as a JSON string's contents (malloc'd), for messages that carry
 * a message. */
static inline char *quoted(const char *json)
{
    th_buf b = TH_BUF_INIT;
    for (const char *p = json; *p; p++) {
        if (*p == '"' || *p == '\\')
            th_buf_append_byte(&b, '\\');
        th_buf_append_byte(&b, (uint8_t)*p);
    }
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, NULL);
}

/* ---- Waiting --------------------------------------------------------------------------------- */

static inline void settle(th_runtime *rt)
{
    CHECK_REPORT_(th_runtime_wait_idle(rt, SETTLE_MS), "the runtime was not idle within %d ms",
                  SETTLE_MS);
}

/* When a poll that starts now gives up (th_monotonic_ns). */
static inline int64_t settle_deadline(void)
{
    return th_monotonic_ns() + (int64_t)SETTLE_MS * 1000000;
}

static inline double ms_since(int64_t start_ns)
{
    return (double)(th_monotonic_ns() - start_ns) / 1e6;
}

/* A zeroed status after a failed check when there is none. */
static inline th_actor_status status_of(th_runtime *rt, const char *id)
{
    th_actor_status st;
    th_error err;
    if (th_runtime_status(rt, id, &st, &err)) {
        memset(&st, 0, sizeof st);
        CHECK_REPORT_(false, "status of %s: %s", id, err.msg);
    }
    return st;
}

/* Polls until the actor is running, or has stopped. */
static inline bool wait_running(th_runtime *rt, const char *id, bool running)
{
    int64_t deadline = settle_deadline();
    bool reached;
    while (!(reached = status_of(rt, id).running == running) && th_monotonic_ns() <= deadline)
        usleep(1000);
    CHECK_REPORT_(reached, "%s did not %s within %d ms", id, running ? "start" : "stop", SETTLE_MS);
    return reached;
}

static inline bool wait_stopped(th_runtime *rt, const char *id)
{
    return wait_running(rt, id, false);
}

/* The messages waiting in an actor's mailbox, read from its cell: the
 * status call would wait for the actor's lock, which a test may hold. */
static inline uint32_t mail_of(th_runtime *rt, const char *id)
{
    th_cell *cell = th_runtime_find(rt, id, NULL);
    if (!cell) {
        CHECK_REPORT_(false, "no actor %s", id);
        return 0;
    }
    pthread_mutex_lock(&cell->mbox_lock);
    uint32_t n = cell->mail;
    pthread_mutex_unlock(&cell->mbox_lock);
    return n;
}

/* Polls until exactly n messages wait in the actor's mailbox. */
static inline void wait_mailbox(th_runtime *rt, const char *id, uint32_t n)
{
    int64_t deadline = settle_deadline();
    while (mail_of(rt, id) != n) {
        if (th_monotonic_ns() > deadline) {
            CHECK_REPORT_(false, "the mailbox of %s never held %u messages", id, n);
            return;
        }
        usleep(200);
    }
}

/* ---- Looking into an actor (th_runtime_with_actor) ------------------------------------------- */

static inline void copy_state(void *ud, const th_actor *actor)
{
    size_t len;
    bool present;
    const uint8_t *s = th_actor_state(actor, &len, &present);
    if (present)
        th_buf_append(ud, s, len);
}

/* The actor's state as a string (malloc'd; "" for none). */
static inline char *state_of(th_runtime *rt, const char *id)
{
    th_buf b = TH_BUF_INIT;
    th_error err;
    CHECK_REPORT_(th_runtime_with_actor(rt, id, copy_state, &b, &err) == 0, "state of %s: %s", id,
                  err.msg);
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, NULL);
}

/* An rt_super's children in start order (its "children" answer). */
static inline size_t children_of(th_runtime *rt, const char *sup, char ids[][33], size_t cap)
{
    char *resp = ask(rt, sup, "{\"op\":\"children\"}");
    size_t n = 0;
    if (strncmp(resp, "ok:", 3) == 0)
        for (const char *p = resp + 3; *p && n < cap && strlen(p) >= 32; p += 32 + (p[32] == ',')) {
            memcpy(ids[n], p, 32);
            ids[n++][32] = '\0';
        }
    free(resp);
    return n;
}

/* ---- Stored chains --------------------------------------------------------------------------- */

/* A th_state_source reading the database (ud: a th_db_reader). */
static inline int states_from_db(void *ud, const uint8_t hash[TH_HASH_SIZE], uint8_t **out,
                                 size_t *len, th_error *err)
{
    return th_db_get_state(ud, hash, out, len, err);
}

/* For a replay that must find every state in the chain itself. */
static inline int no_states(void *ud, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len,
                            th_error *err)
{
    (void)ud, (void)hash, (void)out, (void)len, (void)err;
    return 0;
}

/* The chain stored for `id` (th_chain_free), its registry entry in *info
 * (th_actor_info_clear); NULL after a failed check. */
static inline th_chain *load_stored_chain(th_db_reader *reader, const char *id, th_actor_info *info)
{
    th_error err;
    memset(info, 0, sizeof *info);
    if (th_db_find_actor(reader, id, info, &err)) {
        CHECK_REPORT_(false, "%s is not stored: %s", id, err.msg);
        return NULL;
    }
    th_chain *chain = th_db_load_chain(reader, info, 0, 0, &err);
    CHECK_REPORT_(chain != NULL, "the stored chain of %.8s: %s", id, err.msg);
    return chain;
}

/* Replays a stored chain with the manifest and package stored with it, its
 * states from the database; th_replay's result. */
static inline int replay_stored(th_db_reader *reader, const th_actor_info *info,
                                const th_chain *chain, th_replay_report *rep, uint8_t **state,
                                size_t *state_len, bool *has_state, th_error *err)
{
    uint8_t *wasm = NULL;
    size_t wasm_len = 0;
    th_manifest *m =
        th_manifest_parse(info->manifest, strlen(info->manifest), info->manifest_path, err);
    th_module *module =
        m && th_db_get_package(reader, info->package_hash, &wasm, &wasm_len, err) == 1
            ? th_engine_load_module_bytes(engine, wasm, wasm_len, info->name, err)
            : NULL;
    int rc = module ? th_replay(engine, m, module, chain, 0, states_from_db, reader, rep, state,
                                state_len, has_state, err)
                    : -1;
    free(wasm);
    th_manifest_free(m);
    return rc;
}

/* Replays the chain of an actor alone with its manifest and package, every
 * answer from the chain (states from `states`): the replay must run, be
 * identical and replay every event. */
static inline void check_replay_alone(const th_actor *actor, th_state_source states, void *ud)
{
    const th_chain *chain = th_actor_chain(actor);
    th_replay_report rep;
    th_error err;
    int rc = th_replay(engine, actor->manifest, actor->module, chain, 0, states, ud, &rep, NULL,
                       NULL, NULL, &err);
    CHECK_REPORT_(rc == 0, "replay could not run: %s", err.msg);
    CHECK_REPORT_(rc == 0 && rep.identical, "replay diverged: %s\n  expected %s\n  actual   %s",
                  rc == 0 ? rep.reason : "", rc == 0 ? rep.expected : "",
                  rc == 0 ? rep.actual : "");
    CHECK_EQ_INT(rc == 0 ? rep.events_replayed : 0, th_chain_length(chain));
}

/* ---- Actors alone, their host functions called directly -------------------------------------- */

typedef struct spawned {
    th_manifest *manifest;
    th_actor *actor;
} spawned;

/* An actor outside any runtime; NULL after a failed check. */
static inline th_actor *actor_alone(const th_manifest *m, const th_spawn_options *opts)
{
    th_error err;
    th_actor *actor = th_actor_spawn_with(engine, m, opts, &err);
    CHECK_REPORT_(actor != NULL, "spawn: %s", err.msg);
    return actor;
}

/* An actor alone that owns its manifest, for tests that cannot go on
 * without it. */
static inline spawned spawn_alone(th_manifest *m, const th_spawn_options *opts)
{
    spawned s = {m, actor_alone(m, opts)};
    if (!s.actor)
        abort(); /* nothing below can run */
    return s;
}

/* Stops and frees it, and forgets the values of its calls. */
static inline void done(spawned *s)
{
    th_actor_stop(s->actor);
    th_actor_free(s->actor);
    th_manifest_free(s->manifest);
    th_arena_reset(&arena);
}

/* The answer of a request to an actor alone, NUL-terminated in the arena;
 * "" after a failed check. */
static inline const char *ask_actor(th_actor *actor, const char *msg)
{
    uint8_t *resp = NULL;
    size_t len = 0;
    th_error err;
    int rc = th_actor_request(actor, (const uint8_t *)msg, strlen(msg), &resp, &len, &err);
    CHECK_REPORT_(rc == 0, "request %s: %s", msg, err.msg);
    if (rc != 0)
        return "";
    char *text = th_arena_alloc(&arena, len + 1);
    if (len)
        memcpy(text, resp, len);
    text[len] = '\0';
    free(resp);
    return text;
}

static inline th_val *str(const char *s)
{
    return th_val_string(&arena, s, strlen(s));
}

/* A tuple of n (0 to 2) parameters. */
static inline th_val *args(size_t n, th_val *a0, th_val *a1)
{
    th_val *t = th_val_tuple(&arena, n);
    if (n > 0)
        t->list.items[0] = *a0;
    if (n > 1)
        t->list.items[1] = *a1;
    return t;
}

/* Calls a host function through its catalogue entry, exactly as the
 * executor does; the call itself must succeed (answers are ok or err
 * values). */
static inline th_val *host_call(spawned *s, const char *iface, const char *fn, th_val *params)
{
    const th_import *imp = th_catalog_find_import(iface, fn);
    CHECK_REPORT_(imp && imp->fn, "%s is not served", fn);
    if (!imp || !imp->fn)
        return NULL;
    th_val *result = NULL;
    th_error err = {0};
    int rc = imp->fn(s->actor, params, &arena, &result, &err);
    CHECK_REPORT_(rc == 0, "%s failed as a host call: %s", fn, err.msg);
    CHECK_REPORT_(result && result->kind == TH_VAL_RESULT, "%s answered no result", fn);
    return rc == 0 ? result : NULL;
}

static inline bool is_ok(const th_val *result)
{
    return result && result->var.disc == 0;
}

/* The payload of ok(...), or NULL (a failed check) for err. */
static inline th_val *ok(th_val *result)
{
    bool good = is_ok(result);
    CHECK_REPORT_(good, "expected ok, got err(%.*s)",
                  result && result->var.payload ? (int)result->var.payload->bytes.len : 0,
                  result && result->var.payload ? (const char *)result->var.payload->bytes.ptr
                                                : "");
    return good ? result->var.payload : NULL;
}

/* The text of err(...) (strings are NUL-terminated in the arena), or "". */
static inline const char *err_of(th_val *result)
{
    bool is_err = result && result->var.disc == 1 && result->var.payload;
    CHECK_REPORT_(is_err, "expected err, got ok");
    return is_err ? (const char *)result->var.payload->bytes.ptr : "";
}

static inline bool bytes_equal(const th_val *v, const char *want)
{
    return v && v->bytes.len == strlen(want) && memcmp(v->bytes.ptr, want, v->bytes.len) == 0;
}

#endif
