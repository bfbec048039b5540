/* The executor against real Wasmtime, with guests written in WAT so that
 * they can break every rule: lie about pointers and discriminants, import
 * what they were not granted, loop, exhaust memory and stack. Each
 * misbehaviour must end in a clear error and a trap event, never a host
 * crash, and the chain must still verify. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasmtime.h>

#include "chain/chain.h"
#include "check.h"
#include "wat.h"
#include "common/buf.h"
#include "common/value.h"
#include "exec/engine.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"

static char tmpdir[64];
static th_engine *engine;

/* A guest with a bump allocator and an init that keeps the state it is
 * given; `extra` adds imports and exports. */
static const char *prelude = WAT_MEMORY_AND_ALLOCATOR WAT_INIT_KEEPS_STATE;

#define REQUEST_EXPORT                                                                             \
    "(func (export \"theater:simple/message-server-client#handle-request\") (param i32 i32 i32 "   \
    "i32 i32) (result i32)\n"
#define SEND_EXPORT                                                                                \
    "(func (export \"theater:simple/message-server-client#handle-send\") (param i32 i32 i32 i32 "  \
    "i32) (result i32)\n"

/* ok((state, (msg))): the response is the message itself. */
static const char *echo_body = "  (i32.store8 (i32.const 0) (i32.const 0))\n"
                               "  (i32.store8 (i32.const 4) (local.get 0))\n"
                               "  (i32.store (i32.const 8) (local.get 1))\n"
                               "  (i32.store (i32.const 12) (local.get 2))\n"
                               "  (i32.store (i32.const 16) (local.get 3))\n"
                               "  (i32.store (i32.const 20) (local.get 4))\n"
                               "  (i32.const 0))\n";

static char *write_wat(const char *name, const th_buf *wat);

static char *write_module(const char *name, const char *imports, const char *body)
{
    th_buf wat = TH_BUF_INIT;
    th_buf_printf(&wat, "(module\n%s%s%s)\n", imports ? imports : "", prelude, body ? body : "");
    char *path = write_wat(name, &wat);
    th_buf_free(&wat);
    return path;
}

static char *write_wat(const char *name, const th_buf *wat)
{
    char *path = wat_to_file(tmpdir, name, (const char *)wat->data, wat->len);
    if (!path)
        abort(); /* a test's own WAT is wrong */
    return path;
}

/* A manifest made in memory; message-server granted unless told not to. */
static th_manifest *manifest_for(char *package, bool message_server)
{
    th_manifest *m = calloc(1, sizeof *m);
    m->name = "test";
    m->version = "0.0.1";
    m->package = package;
    m->limits = (th_limits){16 << 20, 10000000, 2000};
    m->initial_state = (uint8_t *)"{}";
    m->initial_state_len = 2;
    m->has_initial_state = true;
    if (message_server) {
        m->handlers = calloc(1, sizeof *m->handlers);
        m->handlers[0].type = TH_HANDLER_MESSAGE_SERVER;
        m->n_handlers = 1;
    }
    return m;
}

static void manifest_done(th_manifest *m)
{
    free(m->package);
    free(m->handlers);
    free(m);
}

static th_actor *spawn(const char *name, const char *imports, const char *body, bool grant,
                       th_manifest **m, th_error *err)
{
    *m = manifest_for(write_module(name, imports, body), grant);
    return th_actor_spawn(engine, *m, err);
}

static void check_verifies(const th_actor *actor)
{
    th_verify_report rep;
    CHECK(th_chain_verify(th_actor_chain(actor), &rep));
    if (!rep.ok)
        fprintf(stderr, "  verify: %s\n", rep.reason);
}

static const th_event *last_of(const th_actor *actor, th_event_type type)
{
    const th_chain *c = th_actor_chain(actor);
    for (size_t i = th_chain_length(c); i-- > 0;)
        if (th_chain_event(c, i)->type == type)
            return th_chain_event(c, i);
    return NULL;
}

/* The trap event's actor-error case and message. */
static void check_trap(const th_actor *actor, th_fault_kind kind, const char *needle)
{
    const th_event *ev = last_of(actor, TH_EV_TRAP);
    CHECK(ev != NULL);
    if (!ev)
        return;
    th_arena a = TH_ARENA_INIT;
    th_error err;
    th_val *v = th_val_decode(&a, ev->output, ev->output_len, &err);
    CHECK(v && v->kind == TH_VAL_VARIANT);
    if (v && v->kind == TH_VAL_VARIANT) {
        CHECK_EQ_INT(v->var.disc, kind);
        char msg[600];
        snprintf(msg, sizeof msg, "%.*s", (int)v->var.payload->bytes.len,
                 (const char *)v->var.payload->bytes.ptr);
        CHECK_CONTAINS(msg, needle);
    }
    th_arena_free(&a);
    CHECK(th_actor_stopped(actor));
    CHECK(last_of(actor, TH_EV_STOP) != NULL);
}

TEST(echo_records_every_step)
{
    th_manifest *m;
    th_error err;
    th_buf body = TH_BUF_INIT;
    th_buf_printf(&body, REQUEST_EXPORT "%s", echo_body);
    th_actor *actor = spawn("echo", NULL, th_buf_cstr(&body), true, &m, &err);
    th_buf_free(&body);
    CHECK(actor != NULL);
    if (!actor) {
        fprintf(stderr, "  spawn: %s\n", err.msg);
        manifest_done(m);
        return;
    }
    uint8_t *resp;
    size_t len;
    CHECK_EQ_INT(th_actor_request(actor, (const uint8_t *)"{\"x\":1}", 7, &resp, &len, &err), 0);
    CHECK_EQ_INT(len, 7);
    CHECK(len == 7 && memcmp(resp, "{\"x\":1}", 7) == 0);
    free(resp);
    const th_chain *c = th_actor_chain(actor);
    CHECK_EQ_INT(th_chain_length(c), 5); /* spawn, call init, return, call, return */
    CHECK_EQ_INT(th_chain_event(c, 0)->type, TH_EV_SPAWN);
    CHECK_EQ_INT(th_chain_event(c, 3)->type, TH_EV_CALL);
    CHECK_STR_EQ(th_chain_event(c, 3)->name, "theater:simple/message-server-client#handle-request");
    CHECK_EQ_INT(th_chain_event(c, 4)->type, TH_EV_RETURN);
    CHECK(th_chain_event(c, 4)->has_state);
    check_verifies(actor);
    th_actor_stop(actor);
    CHECK_EQ_INT(th_chain_length(c), 6);
    check_verifies(actor);
    th_actor_free(actor);
    manifest_done(m);
}

static void expect_fault(const char *name, const char *imports, const char *body,
                         th_fault_kind kind, const char *needle)
{
    th_manifest *m;
    th_error err;
    th_actor *actor = spawn(name, imports, body, true, &m, &err);
    CHECK(actor != NULL);
    if (!actor) {
        fprintf(stderr, "  spawn %s: %s\n", name, err.msg);
        manifest_done(m);
        return;
    }
    uint8_t *resp = NULL;
    size_t len;
    int rc = strstr(body, "handle-request")
                 ? th_actor_request(actor, (const uint8_t *)"{}", 2, &resp, &len, &err)
                 : th_actor_send(actor, (const uint8_t *)"{}", 2, &err);
    CHECK_EQ_INT(rc, -1);
    free(resp);
    CHECK_CONTAINS(err.msg, needle);
    check_trap(actor, kind, needle);
    check_verifies(actor);
    /* a stopped actor refuses further work with a clear message */
    CHECK_EQ_INT(th_actor_send(actor, (const uint8_t *)"{}", 2, &err), -1);
    CHECK_CONTAINS(err.msg, "has stopped");
    th_actor_free(actor);
    manifest_done(m);
}

TEST(lying_result_pointer)
{
    expect_fault("liar_ptr", NULL,
                 REQUEST_EXPORT "  (i32.store8 (i32.const 0) (i32.const 0))\n"
                                "  (i32.store8 (i32.const 4) (i32.const 0))\n"
                                "  (i32.store (i32.const 16) (i32.const 0xfffffff0))\n"
                                "  (i32.store (i32.const 20) (i32.const 100))\n"
                                "  (i32.const 0))\n",
                 TH_FAULT_ABI, "lies outside linear memory");
}

TEST(lying_return_area)
{
    expect_fault("liar_retarea", NULL, REQUEST_EXPORT "  (i32.const 0x7ffffff0))\n", TH_FAULT_ABI,
                 "lies outside linear memory");
}

TEST(lying_discriminant)
{
    expect_fault("liar_disc", NULL,
                 REQUEST_EXPORT "  (i32.store8 (i32.const 0) (i32.const 9)) (i32.const 0))\n",
                 TH_FAULT_ABI, "discriminant 9 at 0 is out of range");
}

TEST(lying_to_a_host_function)
{
    expect_fault("liar_log",
                 "(import \"theater:simple/runtime\" \"log\" (func $log (param i32 i32)))\n",
                 SEND_EXPORT "  (call $log (i32.const 0xfff0) (i32.const 0x100000)) (i32.const "
                             "0))\n",
                 TH_FAULT_ABI, "call to theater:simple/runtime#log: string at 0xfff0");
    expect_fault("liar_retptr",
                 "(import \"theater:simple/runtime\" \"id\" (func $id (param i32)))\n",
                 SEND_EXPORT "  (call $id (i32.const 0x10001)) (i32.const 0))\n", TH_FAULT_ABI,
                 "call to theater:simple/runtime#id: destination pointer 0x10001 is not aligned");
}

TEST(runaway_guests)
{
    expect_fault("spin", NULL, SEND_EXPORT "  (loop $l (br $l)) (i32.const 0))\n", TH_FAULT_TIMEOUT,
                 "ran out of fuel");
    expect_fault("deep", NULL,
                 "(func $deep (param i32) (result i32) (call $deep (i32.add (local.get 0) "
                 "(i32.const 1))))\n" SEND_EXPORT "  (call $deep (i32.const 0)))\n",
                 TH_FAULT_TRAP, "stack overflow");
    expect_fault("bomb", NULL,
                 SEND_EXPORT "  (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const "
                             "-1)))) unreachable)\n",
                 TH_FAULT_OUT_OF_MEMORY, "of its 16 MiB limit");
    expect_fault("crash", NULL, SEND_EXPORT "  unreachable)\n", TH_FAULT_TRAP, "unreachable");
}

TEST(time_limit)
{
    /* plenty of fuel, so only the epoch deadline can stop it */
    th_manifest *m;
    th_error err;
    th_actor *actor =
        spawn("slow", NULL, SEND_EXPORT "  (loop $l (br $l)) (i32.const 0))\n", true, &m, &err);
    CHECK(actor != NULL);
    if (!actor)
        return;
    actor->inst->limits.fuel = UINT64_MAX / 2;
    actor->inst->limits.time_ms = 50;
    CHECK_EQ_INT(th_actor_send(actor, (const uint8_t *)"{}", 2, &err), -1);
    CHECK_CONTAINS(err.msg, "exceeded its time limit of 50 ms");
    check_trap(actor, TH_FAULT_TIMEOUT, "time limit");
    th_actor_free(actor);
    manifest_done(m);
}

static void expect_refused(const char *name, const char *imports, const char *body, bool grant,
                           const char *message)
{
    th_manifest *m;
    th_error err;
    th_actor *actor = spawn(name, imports, body, grant, &m, &err);
    CHECK(actor == NULL);
    if (actor)
        th_actor_free(actor);
    else
        CHECK_CONTAINS(err.msg, message);
    manifest_done(m);
}

TEST(refused_at_spawn)
{
    expect_refused("ungranted",
                   "(import \"theater:simple/message-server-host\" \"send\" (func (param i32 i32 "
                   "i32 i32 i32)))\n",
                   NULL, false,
                   "import 'theater:simple/message-server-host#send' needs the 'message-server' "
                   "handler, which the manifest does not grant");
    expect_refused("wasi",
                   "(import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32 i32 i32 i32) "
                   "(result i32)))\n",
                   NULL, true,
                   "import 'wasi_snapshot_preview1#fd_write' is not provided by Theater");
    expect_refused("badsig", "(import \"theater:simple/runtime\" \"log\" (func (param i32)))\n",
                   NULL, true,
                   "import 'theater:simple/runtime#log' has core type (i32) -> (), but the "
                   "canonical ABI of theater:simple needs (i32, i32) -> ()");
    expect_refused("unknownfn", "(import \"theater:simple/runtime\" \"launch\" (func))\n", NULL,
                   true, "interface theater:simple/runtime has no function 'launch'");
    expect_refused("notserved",
                   "(import \"theater:simple/store\" \"list-labels\" (func (param i32)))\n", NULL,
                   false, "needs the 'store' handler");
}

TEST(failing_init)
{
    th_buf wat = TH_BUF_INIT;
    th_buf_append_str(&wat, "(module (memory (export \"memory\") 1)\n"
                            " (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32)"
                            " (i32.const 1024))\n"
                            " (func (export \"theater:simple/actor#init\") (param i32 i32 i32 i32 "
                            "i32) (result i32) unreachable))\n");
    th_manifest *m = manifest_for(write_wat("badinit", &wat), true);
    th_buf_free(&wat);
    th_error err;
    CHECK(th_actor_spawn(engine, m, &err) == NULL);
    CHECK_EQ_INT(err.kind, TH_ERROR_ACTOR);
    CHECK_CONTAINS(err.msg, "failed in theater:simple/actor#init: trap: wasm trap");
    manifest_done(m);
}

/* A whole module, for guests whose allocator or start function misbehaves. */
static th_actor *spawn_raw(const char *name, const char *wat_text, th_manifest **m, th_error *err)
{
    th_buf wat = TH_BUF_INIT;
    th_buf_append_str(&wat, wat_text);
    *m = manifest_for(write_wat(name, &wat), true);
    th_buf_free(&wat);
    return th_actor_spawn(engine, *m, err);
}

#define INIT_OK                                                                                    \
    " (func (export \"theater:simple/actor#init\") (param i32 i32 i32 i32 i32) (result i32)\n"     \
    "  (i32.store8 (i32.const 0) (i32.const 0)) (i32.store8 (i32.const 4) (i32.const 0))\n"        \
    "  (i32.const 0))\n"

TEST(guest_code_cannot_reenter_the_host)
{
    /* cabi_realloc logs while the host hands it runtime.id's string */
    th_manifest *m;
    th_error err;
    th_actor *actor = spawn_raw(
        "reenter",
        "(module\n"
        " (import \"theater:simple/runtime\" \"log\" (func $log (param i32 i32)))\n"
        " (import \"theater:simple/runtime\" \"id\" (func $id (param i32)))\n"
        " (memory (export \"memory\") 1)\n"
        " (global $bump (mut i32) (i32.const 4096))\n"
        " (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32)\n"
        "  (call $log (i32.const 0) (i32.const 1))\n"
        "  (global.set $bump (i32.add (global.get $bump) (i32.const 64)))\n"
        "  (global.get $bump))\n" INIT_OK SEND_EXPORT "  (call $id (i32.const 64)) (i32.const 0))\n"
        ")\n",
        &m, &err);
    CHECK(actor != NULL);
    if (actor) {
        /* the message itself reaches the guest through cabi_realloc, which
         * logs: allowed, since the export call is in progress */
        CHECK_EQ_INT(th_actor_send(actor, (const uint8_t *)"{}", 2, &err), -1);
        CHECK_CONTAINS(err.msg, "abi-violation: call to theater:simple/runtime#log: called from "
                                "cabi_realloc while the host was handing the guest a value");
        check_trap(actor, TH_FAULT_ABI, "called from cabi_realloc");
        check_verifies(actor);
        th_actor_free(actor);
    }
    manifest_done(m);
}

TEST(start_function_cannot_call_the_host)
{
    th_manifest *m;
    th_error err;
    th_actor *actor = spawn_raw(
        "start_log",
        "(module\n"
        " (import \"theater:simple/runtime\" \"log\" (func $log (param i32 i32)))\n"
        " (memory (export \"memory\") 1)\n"
        " (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) (i32.const 64))\n"
        " (func $start (call $log (i32.const 0) (i32.const 1)))\n"
        " (start $start)\n" INIT_OK ")\n",
        &m, &err);
    CHECK(actor == NULL);
    CHECK_CONTAINS(err.msg, "start function failed: call to theater:simple/runtime#log: host "
                            "functions may only be called during an export call");
    CHECK_EQ_INT(err.kind, TH_ERROR_ACTOR);
    manifest_done(m);

    actor = spawn_raw("start_trap",
                      "(module (memory (export \"memory\") 1)\n"
                      " (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) "
                      "(i32.const 64))\n"
                      " (func $start unreachable) (start $start)\n" INIT_OK ")\n",
                      &m, &err);
    CHECK(actor == NULL);
    CHECK_CONTAINS(err.msg, "start function failed: wasm trap: wasm `unreachable`");
    CHECK_EQ_INT(err.kind, TH_ERROR_ACTOR);
    manifest_done(m);
}

TEST(allocator_timeout_is_a_timeout)
{
    th_manifest *m;
    th_error err;
    th_actor *actor =
        spawn_raw("spinrealloc",
                  "(module\n"
                  " (import \"theater:simple/runtime\" \"id\" (func $id (param i32)))\n"
                  " (memory (export \"memory\") 1)\n"
                  " (global $spin (mut i32) (i32.const 0))\n"
                  " (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32)\n"
                  "  (if (global.get $spin) (then (loop $l (br $l))))\n"
                  "  (i32.const 1024))\n" INIT_OK SEND_EXPORT
                  "  (global.set $spin (i32.const 1)) (call $id (i32.const 64)) (i32.const 0))\n"
                  ")\n",
                  &m, &err);
    CHECK(actor != NULL);
    if (actor) {
        CHECK_EQ_INT(th_actor_send(actor, (const uint8_t *)"{}", 2, &err), -1);
        check_trap(actor, TH_FAULT_TIMEOUT, "ran out of fuel");
        th_actor_free(actor);
    }
    manifest_done(m);
}

TEST(nul_in_an_export_name_is_refused)
{
    th_manifest *m;
    th_error err;
    th_actor *actor = spawn_raw(
        "nulname",
        "(module (memory (export \"memory\") 1)\n"
        " (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) (i32.const "
        "64))\n" INIT_OK " (func (export \"theater:simple/message-server-client#handle-send\\00x\")"
        " (param i32 i32 i32 i32 i32) (result i32) unreachable))\n",
        &m, &err);
    CHECK(actor == NULL);
    CHECK_CONTAINS(err.msg, "an export name contains a NUL byte");
    manifest_done(m);
}

TEST(shutdown_stops_even_after_an_error)
{
    th_manifest *m;
    th_error err;
    th_actor *actor = spawn_raw(
        "shutdown_err",
        "(module\n"
        " (import \"theater:simple/runtime\" \"shutdown\" (func $sd (param i32 i32 i32 i32)))\n"
        " (memory (export \"memory\") 1)\n"
        " (data (i32.const 512) \"bye\")\n"
        " (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) (i32.const "
        "1024))\n" INIT_OK SEND_EXPORT
        "  (call $sd (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 256))\n"
        "  (i32.store8 (i32.const 0) (i32.const 1))\n" /* err("bye") */
        "  (i32.store (i32.const 4) (i32.const 512)) (i32.store (i32.const 8) (i32.const 3))\n"
        "  (i32.const 0))\n"
        ")\n",
        &m, &err);
    CHECK(actor != NULL);
    if (actor) {
        CHECK_EQ_INT(th_actor_send(actor, (const uint8_t *)"{}", 2, &err), -1);
        CHECK_CONTAINS(err.msg, "returned an error from theater:simple/message-server-client#"
                                "handle-send: bye");
        CHECK(th_actor_stopped(actor));
        const th_event *stop_ev = last_of(actor, TH_EV_STOP);
        CHECK(stop_ev && strcmp(stop_ev->name, "shutdown") == 0);
        check_verifies(actor);
        th_actor_free(actor);
    }
    manifest_done(m);
}

TEST(refused_packages)
{
    th_error err;
    th_manifest *m = manifest_for(strdup("/nonexistent/x.wasm"), true);
    CHECK(th_actor_spawn(engine, m, &err) == NULL);
    CHECK_EQ_INT(err.kind, TH_ERROR_INVALID);
    CHECK_CONTAINS(err.msg, "cannot open package /nonexistent/x.wasm");
    manifest_done(m);

    char path[128];
    snprintf(path, sizeof path, "%s/component.wasm", tmpdir);
    FILE *f = fopen(path, "wb");
    fwrite("\0asm\x0d\0\x01\0", 1, 8, f);
    fclose(f);
    m = manifest_for(strdup(path), true);
    CHECK(th_actor_spawn(engine, m, &err) == NULL); /* an empty component: loads, exports nothing */
    CHECK_CONTAINS(err.msg, "the component does not export 'theater:simple/actor#init'");
    manifest_done(m);

    snprintf(path, sizeof path, "%s/garbage.wasm", tmpdir);
    f = fopen(path, "wb");
    fwrite("\0asm\x01\0\0\0\xff\xff\xff", 1, 11, f);
    fclose(f);
    m = manifest_for(strdup(path), true);
    CHECK(th_actor_spawn(engine, m, &err) == NULL);
    CHECK_CONTAINS(err.msg, "invalid WebAssembly");
    manifest_done(m);

    snprintf(path, sizeof path, "%s/text.wasm", tmpdir);
    f = fopen(path, "wb");
    fputs("hello", f);
    fclose(f);
    m = manifest_for(strdup(path), true);
    CHECK(th_actor_spawn(engine, m, &err) == NULL);
    CHECK_CONTAINS(err.msg, "is not a WebAssembly module");
    manifest_done(m);
}

TEST(compiled_code_is_cached)
{
    th_buf body = TH_BUF_INIT;
    th_buf_printf(&body, REQUEST_EXPORT "%s", echo_body);
    char *pkg = write_module("cached", NULL, th_buf_cstr(&body));
    th_buf_free(&body);
    char cache[96];
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    th_engine_options opts = {.cache_dir = cache};
    th_error err;
    th_engine *e1 = th_engine_new(&opts, &err);
    CHECK(e1 != NULL);
    th_module *m1 = th_engine_load_module(e1, pkg, &err);
    CHECK(m1 != NULL);
    char hex[65], cwasm[256];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", m1->hash[i]);
    snprintf(cwasm, sizeof cwasm, "%s/%s.cwasm", cache, hex);
    struct stat st;
    CHECK_EQ_INT(stat(cwasm, &st), 0);
    th_engine_free(e1);
    /* a second engine (a second process, in effect) loads the cached code */
    th_engine *e2 = th_engine_new(&opts, &err);
    CHECK(th_engine_load_module(e2, pkg, &err) != NULL);
    th_engine_free(e2);
    /* a corrupt cache file is recompiled, not trusted */
    FILE *f = fopen(cwasm, "wb");
    fputs("corrupt", f);
    fclose(f);
    th_engine *e3 = th_engine_new(&opts, &err);
    CHECK(th_engine_load_module(e3, pkg, &err) != NULL);
    th_engine_free(e3);
    free(pkg);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/theater-test-exec-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    th_error err;
    th_engine_options opts = {.cache_dir = ""};
    engine = th_engine_new(&opts, &err);
    if (!engine) {
        fprintf(stderr, "engine: %s\n", err.msg);
        return 1;
    }
    RUN(echo_records_every_step);
    RUN(lying_result_pointer);
    RUN(lying_return_area);
    RUN(lying_discriminant);
    RUN(lying_to_a_host_function);
    RUN(runaway_guests);
    RUN(time_limit);
    RUN(refused_at_spawn);
    RUN(failing_init);
    RUN(guest_code_cannot_reenter_the_host);
    RUN(start_function_cannot_call_the_host);
    RUN(allocator_timeout_is_a_timeout);
    RUN(nul_in_an_export_name_is_refused);
    RUN(shutdown_stops_even_after_an_error);
    RUN(refused_packages);
    RUN(compiled_code_is_cached);
    th_engine_free(engine);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
