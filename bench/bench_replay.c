/* Replay speed: events replayed per second for the counter (one export call
 * per message) and for a host-call-heavy actor (50 runtime.log calls per
 * message, each fed back from the chain). Run by `make bench`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wasmtime.h>

#include "chain/chain.h"
#include "common/buf.h"
#include "exec/engine.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"
#include "runtime/replay.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const th_error *err)
{
    fprintf(stderr, "bench_replay: %s: %s\n", what, err->msg);
    exit(1);
}

static void quiet(void *ud, const char *id, const char *name, const char *msg, size_t len)
{
    (void)ud, (void)id, (void)name, (void)msg, (void)len;
}

/* The states the recording went through, kept in memory for the replay. */
static th_buf initial;
static int states(void *ud, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len,
                  th_error *err)
{
    (void)ud, (void)hash, (void)err;
    *out = th_xmemdup(initial.data, initial.len);
    *len = initial.len;
    return 1;
}

static const char chatty_wat[] =
    "(module\n"
    "(import \"theater:simple/runtime\" \"log\" (func $log (param i32 i32)))\n"
    "(memory (export \"memory\") 1)\n"
    "(data (i32.const 256) \"a line for the chain\")\n"
    "(global $bump (mut i32) (i32.const 4096))\n"
    "(func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32)\n"
    "  (global.set $bump (i32.add (global.get $bump) (i32.add (local.get 3) (i32.const 8))))\n"
    "  (i32.and (i32.sub (global.get $bump) (local.get 3)) (i32.const -8)))\n"
    "(func (export \"theater:simple/actor#init\") (param i32 i32 i32 i32 i32) (result i32)\n"
    "  (i32.store8 (i32.const 0) (i32.const 0)) (i32.store8 (i32.const 4) (i32.const 0))\n"
    "  (i32.const 0))\n"
    "(func (export \"theater:simple/message-server-client#handle-send\")\n"
    "  (param i32 i32 i32 i32 i32) (result i32) (local $i i32)\n"
    "  (global.set $bump (i32.const 4096))\n"
    "  (loop $l (call $log (i32.const 256) (i32.const 20))\n"
    "    (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "    (br_if $l (i32.lt_u (local.get $i) (i32.const 50))))\n"
    "  (i32.store8 (i32.const 0) (i32.const 0)) (i32.store8 (i32.const 4) (i32.const 0))\n"
    "  (i32.const 0)))\n";

static void bench(th_engine *engine, const char *what, const char *pkg, const char *state,
                  int messages)
{
    th_manifest m = {.name = "bench", .version = "1", .package = (char *)pkg};
    m.limits = (th_limits){64 << 20, TH_DEFAULT_FUEL, TH_DEFAULT_TIME_MS};
    th_handler_grant grant = {.type = TH_HANDLER_MESSAGE_SERVER};
    m.handlers = &grant;
    m.n_handlers = 1;
    if (state) {
        m.has_initial_state = true;
        m.initial_state = (uint8_t *)state;
        m.initial_state_len = strlen(state);
    }
    th_buf_reset(&initial);
    if (state)
        th_buf_append_str(&initial, state);
    th_error err;
    th_actor *actor = th_actor_spawn(engine, &m, &err);
    if (!actor)
        die("spawn", &err);
    for (int i = 0; i < messages; i++)
        if (th_actor_send(actor, (const uint8_t *)"{\"op\":\"inc\"}", 12, &err))
            die("send", &err);
    th_actor_stop(actor);
    const th_chain *chain = th_actor_chain(actor);
    for (int run = 1; run <= 3; run++) {
        th_replay_report rep;
        double t0 = now_s();
        if (th_replay(engine, &m, actor->module, chain, 0, states, NULL, &rep, NULL, NULL, NULL,
                      &err))
            die("replay", &err);
        double dt = now_s() - t0;
        printf("%-36s run %d: %9.0f events/s (%zu events, %s)\n", what, run,
               rep.events_replayed / dt, rep.events_replayed,
               rep.identical ? "identical" : "DIVERGED");
    }
    th_actor_free(actor);
}

int main(void)
{
    th_error err;
    th_engine_options opts = {.cache_dir = "", .log = quiet};
    th_engine *engine = th_engine_new(&opts, &err);
    if (!engine)
        die("engine", &err);
    bench(engine, "replay counter", THEATER_BINARY_DIR "/examples/counter.wasm", "{\"count\":0}",
          50000);

    wasm_byte_vec_t wasm;
    wasmtime_error_t *error = wasmtime_wat2wasm(chatty_wat, strlen(chatty_wat), &wasm);
    if (error)
        return 1;
    const char *path = "/tmp/theater-bench-chatty.wasm";
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(wasm.data, 1, wasm.size, f) != wasm.size || fclose(f) != 0)
        return 1;
    wasm_byte_vec_delete(&wasm);
    bench(engine, "replay 50 host calls per message", path, NULL, 2000);
    remove(path);
    th_engine_free(engine);
    th_buf_free(&initial);
    return 0;
}
