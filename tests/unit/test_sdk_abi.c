/* The C SDK's ABI against the WIT package, checked two independent ways.
 *
 * 1. wasm-tools: each actor built by theater_add_actor() must become a valid
 *    component with `wasm-tools component embed` + `component new` for a
 *    world of wit/: the examples for message-actor (imports runtime and
 *    message-server-host, exports actor and message-server-client), the
 *    test actor tests/actors/sdk_supervisor.c for a world that imports
 *    runtime and supervisor and exports actor and supervisor-handlers.
 *    wasm-tools applies the canonical ABI to the WIT on its own, so any
 *    export or import of the SDK with a wrong core signature fails here.
 *    Actors must also import exactly what they use, and no WASI.
 *
 * 2. The executor: sdk_supervisor runs in Wasmtime with a stand-in for the
 *    supervisor handler (the executor's replay hook) that answers each
 *    import with known values, lowered by the host's canonical ABI. The
 *    actor logs every field the SDK handed it, so a wrong offset in the
 *    SDK's lifting of a result or of an export's parameters shows up as a
 *    wrong log line (signatures alone cannot catch that). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wat.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"
#include "exec/engine.h"
#include "exec/instance.h"
#include "exec/module.h"

static char tmpdir[64];

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : 1;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* 0 when wasm-tools turns the module at `wasm` into a valid component of
 * `world` in the WIT package at `wit`. */
static int componentize(const char *wasm, const char *name, const char *wit, const char *world)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' component embed '%s' --world %s '%s' -o '%s/%s.embed' 2>'%s/%s.err' && "
             "'%s' component new '%s/%s.embed' -o '%s/%s.component' 2>>'%s/%s.err' && "
             "'%s' validate '%s/%s.component' 2>>'%s/%s.err'",
             THEATER_WASM_TOOLS, wit, world, wasm, tmpdir, name, tmpdir, name, THEATER_WASM_TOOLS,
             tmpdir, name, tmpdir, name, tmpdir, name, THEATER_WASM_TOOLS, tmpdir, name, tmpdir,
             name);
    if (run(cmd) == 0)
        return 0;
    snprintf(cmd, sizeof cmd, "head -c 2000 '%s/%s.err' >&2", tmpdir, name);
    if (run(cmd))
        fprintf(stderr, "(no wasm-tools output)\n");
    return 1;
}

static int componentize_message_actor(const char *wasm, const char *name)
{
    return componentize(wasm, name, THEATER_SOURCE_DIR "/wit", "message-actor");
}

/* wit/ has no world for a supervisor alone (a component must implement
 * every interface its world exports), so the tests add one to a copy. */
static char supervisor_wit[128];

static const char supervisor_world[] = "package theater:simple;\n"
                                       "\n"
                                       "world supervisor-actor {\n"
                                       "    import runtime;\n"
                                       "    import supervisor;\n"
                                       "\n"
                                       "    export actor;\n"
                                       "    export supervisor-handlers;\n"
                                       "}\n";

static int prepare_supervisor_wit(void)
{
    char cmd[512], path[192];
    snprintf(supervisor_wit, sizeof supervisor_wit, "%s/wit-supervisor", tmpdir);
    snprintf(cmd, sizeof cmd, "mkdir '%s' && cp '%s'/wit/*.wit '%s'/", supervisor_wit,
             THEATER_SOURCE_DIR, supervisor_wit);
    if (run(cmd))
        return -1;
    snprintf(path, sizeof path, "%s/test-supervisor-actor.wit", supervisor_wit);
    return write_file(path, supervisor_world);
}

static int componentize_supervisor(const char *wasm, const char *name)
{
    return componentize(wasm, name, supervisor_wit, "supervisor-actor");
}

/* The module's imports, one "module field" per line, sorted. */
static int read_imports(const char *wasm, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(
        cmd, sizeof cmd,
        "'%s' print '%s' | sed -n 's/^ *(import \"\\([^\"]*\\)\" \"\\([^\"]*\\)\".*/\\1 \\2/p' "
        "| LC_ALL=C sort",
        THEATER_WASM_TOOLS, wasm);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    return pclose(p) == 0 ? 0 : -1;
}

static void example_path(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/examples/%s.wasm", THEATER_BINARY_DIR, name);
}

#define SUPERVISOR_ACTOR THEATER_BINARY_DIR "/tests/actors/sdk_supervisor.wasm"

/* Compiles WAT into tmpdir/name.wasm; the path is written to out. */
static int wat_module(const char *name, const char *wat, char *out, size_t cap)
{
    char *path = wat_to_file(tmpdir, name, wat, strlen(wat));
    if (!path)
        return -1;
    snprintf(out, cap, "%s", path);
    free(path);
    return 0;
}

/* ---- 1. Signatures, through wasm-tools ------------------------------------- */

TEST(examples_are_valid_components)
{
    static const char *names[] = {"counter", "echo", "crasher"};
    for (size_t i = 0; i < 3; i++) {
        char wasm[512];
        example_path(names[i], wasm, sizeof wasm);
        CHECK_REPORT_(componentize_message_actor(wasm, names[i]) == 0,
                      "%s is not a valid component", wasm);
    }
}

TEST(examples_import_only_what_they_use)
{
    char wasm[512], imports[4096];
    example_path("counter", wasm, sizeof wasm);
    CHECK_EQ_INT(read_imports(wasm, imports, sizeof imports), 0);
    CHECK_STR_EQ(imports, "theater:simple/runtime log\n");
    example_path("echo", wasm, sizeof wasm);
    CHECK_EQ_INT(read_imports(wasm, imports, sizeof imports), 0);
    CHECK_STR_EQ(imports, "");
    example_path("crasher", wasm, sizeof wasm);
    CHECK_EQ_INT(read_imports(wasm, imports, sizeof imports), 0);
    CHECK_STR_EQ(imports, "");
}

/* The same check refuses a module whose handle-send has the wrong core type
 * (one parameter short), so the passing test above means something. */
TEST(a_wrong_signature_is_refused)
{
    static const char wat[] =
        "(module\n"
        "  (memory (export \"memory\") 1)\n"
        "  (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) unreachable)\n"
        "  (func (export \"theater:simple/actor#init\")\n"
        "    (param i32 i32 i32 i32 i32) (result i32) unreachable)\n"
        "  (func (export \"theater:simple/message-server-client#handle-send\")\n"
        "    (param i32 i32 i32 i32) (result i32) unreachable)\n"
        ")\n";
    char path[256];
    CHECK_EQ_INT(wat_module("broken", wat, path, sizeof path), 0);
    fprintf(stderr, "(wasm-tools is expected to refuse the next module)\n");
    CHECK_EQ_INT(componentize_message_actor(path, "broken"), 1);
}

TEST(supervisor_actor_is_a_valid_component)
{
    CHECK_REPORT_(componentize_supervisor(SUPERVISOR_ACTOR, "sdk_supervisor") == 0,
                  "%s is not a valid component of supervisor-actor", SUPERVISOR_ACTOR);
}

TEST(supervisor_actor_imports_every_supervisor_function)
{
    char imports[4096];
    CHECK_EQ_INT(read_imports(SUPERVISOR_ACTOR, imports, sizeof imports), 0);
    CHECK_STR_EQ(imports, "theater:simple/runtime log\n"
                          "theater:simple/supervisor get-child-events\n"
                          "theater:simple/supervisor get-child-state\n"
                          "theater:simple/supervisor list-children\n"
                          "theater:simple/supervisor restart-child\n"
                          "theater:simple/supervisor spawn\n"
                          "theater:simple/supervisor stop-child\n");
}

/* A supervisor module in WAT whose spawn import and handle-child-error
 * export have the given core parameters; everything else is right. */
static int supervisor_wat(const char *name, const char *spawn_params,
                          const char *child_error_params, char *out, size_t cap)
{
    th_buf wat = TH_BUF_INIT;
    th_buf_printf(
        &wat,
        "(module\n"
        "  (import \"theater:simple/supervisor\" \"spawn\" (func (param %s)))\n"
        "  (memory (export \"memory\") 1)\n"
        "  (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) unreachable)\n"
        "  (func (export \"theater:simple/actor#init\")\n"
        "    (param i32 i32 i32 i32 i32) (result i32) unreachable)\n"
        "  (func (export \"theater:simple/supervisor-handlers#handle-child-error\")\n"
        "    (param %s) (result i32) unreachable)\n"
        "  (func (export \"theater:simple/supervisor-handlers#handle-child-exit\")\n"
        "    (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32) unreachable)\n"
        "  (func (export \"theater:simple/supervisor-handlers#handle-child-external-stop\")\n"
        "    (param i32 i32 i32 i32 i32) (result i32) unreachable)\n"
        ")\n",
        spawn_params, child_error_params);
    int rc = wat_module(name, th_buf_cstr(&wat), out, cap);
    th_buf_free(&wat);
    return rc;
}

/* The supervisor checks have teeth: a module that differs from a valid one
 * only by spawn's retptr, or by handle-child-error's last actor-error
 * value, is refused. */
TEST(wrong_supervisor_signatures_are_refused)
{
    static const char six[] = "i32 i32 i32 i32 i32 i32", five[] = "i32 i32 i32 i32 i32";
    static const char eight[] = "i32 i32 i32 i32 i32 i32 i32 i32";
    static const char seven[] = "i32 i32 i32 i32 i32 i32 i32";
    char path[256];

    CHECK_EQ_INT(supervisor_wat("sup_right", six, eight, path, sizeof path), 0);
    CHECK_EQ_INT(componentize_supervisor(path, "sup_right"), 0);

    fprintf(stderr, "(wasm-tools is expected to refuse the next two modules)\n");
    CHECK_EQ_INT(supervisor_wat("sup_spawn", five, eight, path, sizeof path), 0);
    CHECK_EQ_INT(componentize_supervisor(path, "sup_spawn"), 1);
    CHECK_EQ_INT(supervisor_wat("sup_error", six, seven, path, sizeof path), 0);
    CHECK_EQ_INT(componentize_supervisor(path, "sup_error"), 1);
}

/* ---- 2. Values, through the executor --------------------------------------- */

#define CHILD "0123456789abcdef0123456789abcdef"

/* What the stand-in supervisor handler answers, and what it saw. */
static struct {
    bool spawn_fails, restart_fails, events_fail;
    const char *child_state; /* NULL: the child has none */
    th_buf calls;            /* "spawn child.toml none\n", "stop-child ID\n", ... */
    th_buf logs;             /* one line per theater_log */
} host;

static void host_reset(void)
{
    th_buf_free(&host.calls);
    th_buf_free(&host.logs);
    memset(&host, 0, sizeof host);
}

static th_val *str(th_arena *a, const char *s)
{
    return th_val_string(a, s, strlen(s));
}

static void note_string(th_buf *out, const th_val *s)
{
    th_buf_append(out, s->bytes.ptr, s->bytes.len);
}

static th_val *list_of(th_arena *a, size_t n)
{
    th_val *v = th_val_new(a, TH_VAL_LIST);
    v->list.items = th_arena_alloc(a, n * sizeof *v->list.items);
    v->list.len = n;
    return v;
}

/* A chain-event record: a 32-byte hash filled with `fill`, a parent hash of
 * `parent` bytes (0: none), the type, data of `data_len` bytes, the time. */
static th_val event(th_arena *a, uint8_t fill, size_t parent, const char *type, size_t data_len,
                    uint64_t timestamp)
{
    uint8_t bytes[64];
    memset(bytes, fill, sizeof bytes);
    th_val *ev = th_val_tuple(a, 5);
    ev->list.items[0] = *th_val_bytes(a, bytes, 32);
    ev->list.items[1] = *th_val_option(a, parent ? th_val_bytes(a, bytes, parent) : NULL);
    ev->list.items[2] = *str(a, type);
    ev->list.items[3] = *th_val_bytes(a, bytes, data_len);
    ev->list.items[4] = *th_val_u64(a, TH_VAL_U64, timestamp);
    return *ev;
}

/* The answer to a supervisor import; NULL for a function it does not know. */
static th_val *answer_supervisor(const char *field, const th_val *params, th_arena *a)
{
    th_buf_append_str(&host.calls, field);
    if (params->list.len > 0) {
        th_buf_append_byte(&host.calls, ' ');
        note_string(&host.calls, &params->list.items[0]);
    }
    if (strcmp(field, "spawn") == 0) {
        const th_val *state = &params->list.items[1];
        th_buf_printf(&host.calls, " %s", state->var.disc ? "some" : "none");
        th_buf_append_byte(&host.calls, '\n');
        return host.spawn_fails ? th_val_err(a, str(a, "no such manifest"))
                                : th_val_ok(a, str(a, CHILD));
    }
    th_buf_append_byte(&host.calls, '\n');
    if (strcmp(field, "list-children") == 0) {
        th_val *ids = list_of(a, 2);
        ids->list.items[0] = *str(a, CHILD);
        ids->list.items[1] = *str(a, "fedcba98765432100123456789abcdef");
        return ids;
    }
    if (strcmp(field, "restart-child") == 0 && host.restart_fails)
        return th_val_err(a, str(a, "restart refused"));
    if (strcmp(field, "stop-child") == 0 || strcmp(field, "restart-child") == 0)
        return th_val_ok(a, NULL);
    if (strcmp(field, "get-child-state") == 0) {
        const char *s = host.child_state;
        return th_val_ok(a, th_val_option(a, s ? th_val_bytes(a, s, strlen(s)) : NULL));
    }
    if (strcmp(field, "get-child-events") != 0)
        return NULL;
    if (host.events_fail)
        return th_val_err(a, str(a, "no chain"));
    th_val *events = list_of(a, 2);
    events->list.items[0] = event(a, 0xaa, 0, "spawn", 2, 1700000000000000001ull);
    events->list.items[1] = event(a, 0xbb, 32, "call", 5, 1700000000000000002ull);
    return th_val_ok(a, events);
}

/* The executor's replay hook stands in for every handler. */
static int stand_in(th_actor *actor, const th_import *imp, const th_val *params, th_arena *a,
                    th_val **result, th_error *err)
{
    (void)actor;
    if (strcmp(imp->module, "theater:simple/runtime") == 0 && strcmp(imp->field, "log") == 0) {
        note_string(&host.logs, &params->list.items[0]);
        th_buf_append_byte(&host.logs, '\n');
        *result = NULL;
        return 0;
    }
    if (strcmp(imp->module, "theater:simple/supervisor") == 0)
        *result = answer_supervisor(imp->field, params, a);
    else
        *result = NULL;
    return *result ? 0 : th_error_set(err, "unexpected import %s", imp->name);
}

static th_engine *engine;

static th_instance *start_supervisor(void)
{
    th_error err;
    th_module *m = th_engine_load_module(engine, SUPERVISOR_ACTOR, &err);
    if (!m) {
        fprintf(stderr, "  load: %s\n", err.msg);
        return NULL;
    }
    th_limits limits = {16 << 20, 100000000, 5000};
    th_instance *inst = th_instance_new(engine, m, &limits, NULL, NULL, &err);
    if (!inst) {
        fprintf(stderr, "  instantiate: %s\n", err.msg);
        return NULL;
    }
    inst->replayer = stand_in;
    return inst;
}

/* (state, params): the state is some(state) unless state is NULL. */
static th_val *call_args(th_arena *a, const char *state, th_val *params)
{
    th_val *args = th_val_tuple(a, 2);
    args->list.items[0] = *th_val_option(a, state ? th_val_bytes(a, state, strlen(state)) : NULL);
    args->list.items[1] = *params;
    return args;
}

static th_val *params_of(th_arena *a, size_t n, th_val *first, th_val *second)
{
    th_val *p = th_val_tuple(a, n);
    p->list.items[0] = *first;
    if (n > 1)
        p->list.items[1] = *second;
    return p;
}

/* Calls an export; returns the new state as text ("none" for none), or
 * "err: message", or "fault: ..." (the instance is then unusable). */
static void call(th_instance *inst, th_export_id id, const char *state, th_val *params, th_arena *a,
                 char *out, size_t cap)
{
    th_val *result;
    th_fault fault;
    if (th_instance_call(inst, id, call_args(a, state, params), a, &result, &fault)) {
        snprintf(out, cap, "fault: %s", fault.message);
        return;
    }
    const th_val *payload = result->var.payload;
    if (result->var.disc == 1) {
        snprintf(out, cap, "err: %.*s", (int)payload->bytes.len, payload->bytes.ptr);
        return;
    }
    const th_val *next = &payload->list.items[0];
    if (!next->var.disc)
        snprintf(out, cap, "none");
    else
        snprintf(out, cap, "%.*s", (int)next->var.payload->bytes.len, next->var.payload->bytes.ptr);
}

TEST(spawn_passes_the_manifest_and_returns_the_child_id)
{
    th_instance *inst = start_supervisor();
    CHECK(inst != NULL);
    if (!inst)
        return;
    th_arena a = TH_ARENA_INIT;
    char out[512];

    call(inst, TH_EXPORT_INIT, "children/worker.toml", params_of(&a, 1, str(&a, "p"), NULL), &a,
         out, sizeof out);
    CHECK_STR_EQ(out, CHILD);
    CHECK_STR_EQ(th_buf_cstr(&host.calls), "spawn children/worker.toml none\n");

    host_reset();
    host.spawn_fails = true;
    call(inst, TH_EXPORT_INIT, "missing.toml", params_of(&a, 1, str(&a, "p"), NULL), &a, out,
         sizeof out);
    CHECK_STR_EQ(out, "err: no such manifest");

    host_reset();
    call(inst, TH_EXPORT_INIT, NULL, params_of(&a, 1, str(&a, "p"), NULL), &a, out, sizeof out);
    CHECK_STR_EQ(out, "none");
    CHECK_STR_EQ(th_buf_cstr(&host.calls), "");
    th_arena_free(&a);
    th_instance_free(inst);
    host_reset();
}

static th_val *actor_error(th_arena *a, uint32_t kind, const char *message)
{
    th_val *v = th_val_new(a, TH_VAL_VARIANT);
    v->var.disc = kind;
    v->var.payload = str(a, message);
    return v;
}

/* Every case of actor-error reaches the handler as its kind, in WIT order,
 * with its message; the handler's restart and stop reach the host. */
TEST(child_error_lifts_every_kind_and_message)
{
    static const char *names[] = {"trap", "timeout", "out-of-memory", "export-error",
                                  "abi-violation"};
    th_instance *inst = start_supervisor();
    CHECK(inst != NULL);
    if (!inst)
        return;
    th_arena a = TH_ARENA_INIT;
    char out[512], want[512];

    for (uint32_t kind = 0; kind < 5; kind++) {
        host_reset();
        host.restart_fails = kind == 4;
        th_val *params = params_of(&a, 2, str(&a, CHILD), actor_error(&a, kind, "it broke"));
        call(inst, TH_EXPORT_CHILD_ERROR, "kept", params, &a, out, sizeof out);
        CHECK_STR_EQ(out, "kept");
        snprintf(want, sizeof want, "child " CHILD " failed (%s): it broke\n", names[kind]);
        CHECK_STR_EQ(th_buf_cstr(&host.logs), want);
        CHECK_STR_EQ(th_buf_cstr(&host.calls), kind == 4 ? "restart-child " CHILD
                                                           "\nstop-child " CHILD "\n"
                                                         : "restart-child " CHILD "\n");
    }
    th_arena_free(&a);
    th_instance_free(inst);
    host_reset();
}

TEST(child_exit_lifts_the_data_option_and_the_children)
{
    th_instance *inst = start_supervisor();
    CHECK(inst != NULL);
    if (!inst)
        return;
    th_arena a = TH_ARENA_INIT;
    char out[512];

    th_val *data = th_val_option(&a, th_val_bytes(&a, "bye", 3));
    call(inst, TH_EXPORT_CHILD_EXIT, "kept", params_of(&a, 2, str(&a, CHILD), data), &a, out,
         sizeof out);
    CHECK_STR_EQ(out, "kept");
    CHECK_STR_EQ(th_buf_cstr(&host.logs), "child " CHILD " exited with 3 bytes; children: " CHILD
                                          " fedcba98765432100123456789abcdef\n");
    CHECK_STR_EQ(th_buf_cstr(&host.calls), "list-children\n");

    host_reset();
    data = th_val_option(&a, NULL);
    call(inst, TH_EXPORT_CHILD_EXIT, NULL, params_of(&a, 2, str(&a, CHILD), data), &a, out,
         sizeof out);
    CHECK_STR_EQ(out, "none");
    CHECK_CONTAINS(th_buf_cstr(&host.logs), "child " CHILD " exited without data; children: ");
    th_arena_free(&a);
    th_instance_free(inst);
    host_reset();
}

/* get-child-state's option inside a result, and get-child-events' records
 * (lists, an option, a string and a u64 at its 8-byte offset). */
TEST(external_stop_reads_the_child_state_and_events)
{
    th_instance *inst = start_supervisor();
    CHECK(inst != NULL);
    if (!inst)
        return;
    th_arena a = TH_ARENA_INIT;
    char out[512];

    host.child_state = "{\"count\":7}";
    call(inst, TH_EXPORT_CHILD_EXTERNAL_STOP, "kept", params_of(&a, 1, str(&a, CHILD), NULL), &a,
         out, sizeof out);
    CHECK_STR_EQ(out, "kept");
    CHECK_STR_EQ(th_buf_cstr(&host.logs),
                 "child " CHILD " stopped from outside; state: {\"count\":7}; events:"
                 " spawn(hash 32, data 2, t 1700000000000000001, first)"
                 " call(hash 32, data 5, t 1700000000000000002, parent 32)\n");
    CHECK_STR_EQ(th_buf_cstr(&host.calls),
                 "get-child-state " CHILD "\nget-child-events " CHILD "\n");

    host_reset();
    call(inst, TH_EXPORT_CHILD_EXTERNAL_STOP, "kept", params_of(&a, 1, str(&a, CHILD), NULL), &a,
         out, sizeof out);
    CHECK_CONTAINS(th_buf_cstr(&host.logs), "; state: none; events: spawn(");

    host_reset();
    host.events_fail = true;
    call(inst, TH_EXPORT_CHILD_EXTERNAL_STOP, "kept", params_of(&a, 1, str(&a, CHILD), NULL), &a,
         out, sizeof out);
    CHECK_STR_EQ(out, "err: no chain");
    CHECK_STR_EQ(th_buf_cstr(&host.logs), "");
    th_arena_free(&a);
    th_instance_free(inst);
    host_reset();
}

int main(void)
{
    if (!*THEATER_WASM_TOOLS) {
        fprintf(stderr, "wasm-tools is not configured (scripts/setup.sh installs it)\n");
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/theater-test-sdk-abi-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "cannot prepare %s\n", tmpdir);
        return 1;
    }
    th_error err;
    engine = th_engine_new(&(th_engine_options){0}, &err);
    if (!engine || prepare_supervisor_wit()) {
        fprintf(stderr, "cannot set up: %s\n", engine ? "the supervisor's WIT" : err.msg);
        return 1;
    }
    RUN(examples_are_valid_components);
    RUN(examples_import_only_what_they_use);
    RUN(a_wrong_signature_is_refused);
    RUN(supervisor_actor_is_a_valid_component);
    RUN(supervisor_actor_imports_every_supervisor_function);
    RUN(wrong_supervisor_signatures_are_refused);
    RUN(spawn_passes_the_manifest_and_returns_the_child_id);
    RUN(child_error_lifts_every_kind_and_message);
    RUN(child_exit_lifts_the_data_option_and_the_children);
    RUN(external_stop_reads_the_child_state_and_events);
    th_engine_free(engine);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (run(cmd))
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
