/* The C SDK's ABI against the WIT package, checked two independent ways.
 *
 * 1. wasm-tools: each actor built by theater_add_actor() must become a valid
 *    component with `wasm-tools component embed` + `component new` for a
 *    world of wit/: the examples for message-actor (imports runtime and
 *    message-server-host, exports actor and message-server-client), the
 *    test actor tests/actors/sdk_supervisor.c for a world that imports
 *    runtime and supervisor and exports actor and supervisor-handlers, and
 *    tests/actors/cap_misc.c for one that imports http-client, filesystem,
 *    timing, random and environment and exports http-handlers and
 *    timing-handlers.
 *    wasm-tools applies the canonical ABI to the WIT on its own, so any
 *    export or import of the SDK with a wrong core signature fails here.
 *    Actors must also import exactly what they use, and no WASI.
 *
 * 2. The executor: sdk_supervisor runs in Wasmtime with a stand-in for the
 *    supervisor handler (the executor's replay hook) that answers each
 *    import with known values, lowered by the host's canonical ABI. The
 *    actor logs every field the SDK handed it, so a wrong offset in the
 *    SDK's lifting of a result or of an export's parameters shows up as a
 *    wrong log line (signatures alone cannot catch that). cap_misc runs the
 *    same way, with a stand-in for every capability, and answers each op
 *    with what the SDK handed it. */
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
static char supervisor_wit[128], capability_wit[128];

static const char supervisor_world[] = "package theater:simple;\n"
                                       "\n"
                                       "world supervisor-actor {\n"
                                       "    import runtime;\n"
                                       "    import supervisor;\n"
                                       "\n"
                                       "    export actor;\n"
                                       "    export supervisor-handlers;\n"
                                       "}\n";

/* The world of an actor that uses every capability the SDK wraps. */
static const char capability_world[] = "package theater:simple;\n"
                                       "\n"
                                       "world capability-actor {\n"
                                       "    import runtime;\n"
                                       "    import http-client;\n"
                                       "    import filesystem;\n"
                                       "    import timing;\n"
                                       "    import random;\n"
                                       "    import environment;\n"
                                       "\n"
                                       "    export actor;\n"
                                       "    export message-server-client;\n"
                                       "    export http-handlers;\n"
                                       "    export timing-handlers;\n"
                                       "}\n";

/* A copy of wit/ in tmpdir/NAME with one more file holding `world`. */
static int prepare_wit(const char *name, const char *world, char *dir, size_t cap)
{
    char cmd[512], path[192];
    snprintf(dir, cap, "%s/%s", tmpdir, name);
    snprintf(cmd, sizeof cmd, "mkdir '%s' && cp '%s'/wit/*.wit '%s'/", dir, THEATER_SOURCE_DIR,
             dir);
    if (run(cmd))
        return -1;
    snprintf(path, sizeof path, "%s/test-world.wit", dir);
    return write_file(path, world);
}

static int prepare_test_wits(void)
{
    if (prepare_wit("wit-supervisor", supervisor_world, supervisor_wit, sizeof supervisor_wit))
        return -1;
    return prepare_wit("wit-capability", capability_world, capability_wit, sizeof capability_wit);
}

static int componentize_supervisor(const char *wasm, const char *name)
{
    return componentize(wasm, name, supervisor_wit, "supervisor-actor");
}

static int componentize_capability(const char *wasm, const char *name)
{
    return componentize(wasm, name, capability_wit, "capability-actor");
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
#define CAPABILITY_ACTOR THEATER_BINARY_DIR "/tests/actors/cap_misc.wasm"

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

TEST(capability_actor_is_a_valid_component)
{
    CHECK_REPORT_(componentize_capability(CAPABILITY_ACTOR, "cap_misc") == 0,
                  "%s is not a valid component of capability-actor", CAPABILITY_ACTOR);
}

TEST(capability_actor_imports_every_capability_function)
{
    char imports[4096];
    CHECK_EQ_INT(read_imports(CAPABILITY_ACTOR, imports, sizeof imports), 0);
    CHECK_STR_EQ(imports, "theater:simple/environment exists\n"
                          "theater:simple/environment get-var\n"
                          "theater:simple/environment list-vars\n"
                          "theater:simple/filesystem create-dir\n"
                          "theater:simple/filesystem delete-dir\n"
                          "theater:simple/filesystem delete-file\n"
                          "theater:simple/filesystem list-files\n"
                          "theater:simple/filesystem path-exists\n"
                          "theater:simple/filesystem read-file\n"
                          "theater:simple/filesystem write-file\n"
                          "theater:simple/http-client send-http\n"
                          "theater:simple/random random-bytes\n"
                          "theater:simple/random random-u64\n"
                          "theater:simple/timing cancel-timer\n"
                          "theater:simple/timing now\n"
                          "theater:simple/timing set-timer\n");
}

/* A capability module in WAT with the given core parameters for set-timer
 * (import), handle-timer and http-handlers#handle-request (exports). */
static int capability_wat(const char *name, const char *set_timer, const char *handle_timer,
                          const char *http_request, char *out, size_t cap)
{
    static const char i32x5[] = "i32 i32 i32 i32 i32";
    th_buf wat = TH_BUF_INIT;
    th_buf_printf(
        &wat,
        "(module\n"
        "  (import \"theater:simple/timing\" \"set-timer\" (func (param %s)))\n"
        "  (memory (export \"memory\") 1)\n"
        "  (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) unreachable)\n"
        "  (func (export \"theater:simple/actor#init\") (param %s) (result i32) unreachable)\n",
        set_timer, i32x5);
    static const char *msc[] = {"handle-send", "handle-request", "handle-channel-close"};
    for (size_t i = 0; i < 3; i++)
        th_buf_printf(&wat,
                      "  (func (export \"theater:simple/message-server-client#%s\")\n"
                      "    (param %s) (result i32) unreachable)\n",
                      msc[i], i32x5);
    static const char *channel[] = {"handle-channel-open", "handle-channel-message"};
    for (size_t i = 0; i < 2; i++)
        th_buf_printf(&wat,
                      "  (func (export \"theater:simple/message-server-client#%s\")\n"
                      "    (param %s i32 i32) (result i32) unreachable)\n",
                      channel[i], i32x5);
    th_buf_printf(&wat,
                  "  (func (export \"theater:simple/timing-handlers#handle-timer\")\n"
                  "    (param %s) (result i32) unreachable)\n"
                  "  (func (export \"theater:simple/http-handlers#handle-request\")\n"
                  "    (param %s) (result i32) unreachable)\n"
                  ")\n",
                  handle_timer, http_request);
    int rc = wat_module(name, th_buf_cstr(&wat), out, cap);
    th_buf_free(&wat);
    return rc;
}

/* The capability checks have teeth: a module that differs from a valid one
 * only by set-timer's u64 (an i32), handle-timer's u64, or one parameter of
 * handle-request's http-request, is refused. */
TEST(wrong_capability_signatures_are_refused)
{
    static const char set_timer[] = "i64 i32", handle_timer[] = "i32 i32 i32 i64";
    static const char http[] = "i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32";
    static const char http_short[] = "i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32";
    char path[256];

    CHECK_EQ_INT(capability_wat("cap_right", set_timer, handle_timer, http, path, sizeof path), 0);
    CHECK_EQ_INT(componentize_capability(path, "cap_right"), 0);

    fprintf(stderr, "(wasm-tools is expected to refuse the next three modules)\n");
    CHECK_EQ_INT(capability_wat("cap_set", "i32 i32", handle_timer, http, path, sizeof path), 0);
    CHECK_EQ_INT(componentize_capability(path, "cap_set"), 1);
    CHECK_EQ_INT(capability_wat("cap_timer", set_timer, "i32 i32 i32 i32", http, path, sizeof path),
                 0);
    CHECK_EQ_INT(componentize_capability(path, "cap_timer"), 1);
    CHECK_EQ_INT(capability_wat("cap_http", set_timer, handle_timer, http_short, path, sizeof path),
                 0);
    CHECK_EQ_INT(componentize_capability(path, "cap_http"), 1);
}

/* ---- 2. Values, through the executor --------------------------------------- */

#define CHILD "0123456789abcdef0123456789abcdef"

/* What the stand-in handlers answer, and what they saw. */
static struct {
    bool spawn_fails, restart_fails, events_fail;
    bool capability_fails;   /* every capability import that can fail does */
    bool no_body;            /* send-http answers a response without a body */
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

static th_val *boolean(th_arena *a, bool b)
{
    th_val *v = th_val_new(a, TH_VAL_BOOL);
    v->b = b;
    return v;
}

static th_val pair(th_arena *a, const char *name, const char *value)
{
    th_val *p = th_val_tuple(a, 2);
    p->list.items[0] = *str(a, name);
    p->list.items[1] = *str(a, value);
    return *p;
}

static void note_pairs(th_buf *out, const th_val *list)
{
    th_buf_append_str(out, " [");
    for (size_t i = 0; i < list->list.len; i++) {
        note_string(out, &list->list.items[i].list.items[0]);
        th_buf_append_byte(out, '=');
        note_string(out, &list->list.items[i].list.items[1]);
        th_buf_append_byte(out, ';');
    }
    th_buf_append_byte(out, ']');
}

/* send-http: notes "METHOD URI [k=v;] BODY" (BODY "none" without one) and
 * answers 201 with two headers and "xyz" (no body with host.no_body). */
static th_val *answer_send_http(const th_val *params, th_arena *a)
{
    const th_val *req = &params->list.items[0];
    const th_val *body = &req->list.items[3];
    th_buf_append_byte(&host.calls, ' ');
    note_string(&host.calls, &req->list.items[0]);
    th_buf_append_byte(&host.calls, ' ');
    note_string(&host.calls, &req->list.items[1]);
    note_pairs(&host.calls, &req->list.items[2]);
    th_buf_append_byte(&host.calls, ' ');
    if (body->var.disc)
        note_string(&host.calls, body->var.payload);
    else
        th_buf_append_str(&host.calls, "none");
    if (host.capability_fails)
        return th_val_err(a, str(a, "host not allowed"));
    th_val *resp = th_val_tuple(a, 3);
    resp->list.items[0] = *th_val_u64(a, TH_VAL_U16, 201);
    resp->list.items[1] = *list_of(a, 2);
    resp->list.items[1].list.items[0] = pair(a, "content-type", "text/plain");
    resp->list.items[1].list.items[1] = pair(a, "x-n", "22");
    resp->list.items[2] = *th_val_option(a, host.no_body ? NULL : th_val_bytes(a, "xyz", 3));
    return th_val_ok(a, resp);
}

/* A filesystem import: notes its path (and a write's data). */
static th_val *answer_filesystem(const char *field, const th_val *params, th_arena *a)
{
    th_buf_append_byte(&host.calls, ' ');
    note_string(&host.calls, &params->list.items[0]);
    if (strcmp(field, "write-file") == 0) {
        th_buf_append_byte(&host.calls, ' ');
        note_string(&host.calls, &params->list.items[1]);
    }
    if (host.capability_fails)
        return th_val_err(a, str(a, "no such file"));
    if (strcmp(field, "read-file") == 0)
        return th_val_ok(a, th_val_bytes(a, "file contents", 13));
    if (strcmp(field, "list-files") == 0) {
        th_val *names = list_of(a, 2);
        names->list.items[0] = *str(a, "a.txt");
        names->list.items[1] = *str(a, "sub");
        return th_val_ok(a, names);
    }
    if (strcmp(field, "path-exists") == 0)
        return th_val_ok(a, boolean(a, true));
    return th_val_ok(a, NULL);
}

static th_val *answer_timing(const char *field, const th_val *params, th_arena *a)
{
    if (strcmp(field, "now") == 0)
        return th_val_u64(a, TH_VAL_U64, 1700000000123ull);
    th_buf_printf(&host.calls, " %" PRIu64, params->list.items[0].u);
    if (host.capability_fails)
        return th_val_err(
            a, str(a, strcmp(field, "set-timer") == 0 ? "too many timers" : "no such timer"));
    if (strcmp(field, "set-timer") == 0) /* an id above 32 bits, at its 8-byte offset */
        return th_val_ok(a, th_val_u64(a, TH_VAL_U64, 0x100000002ull));
    return th_val_ok(a, NULL);
}

static th_val *answer_random(const char *field, const th_val *params, th_arena *a)
{
    if (strcmp(field, "random-u64") == 0)
        return th_val_u64(a, TH_VAL_U64, 0xfedcba9876543210ull);
    uint64_t n = params->list.items[0].u;
    th_buf_printf(&host.calls, " %" PRIu64, n);
    if (host.capability_fails || n > 16)
        return th_val_err(a, str(a, "too many bytes"));
    uint8_t bytes[16];
    for (size_t i = 0; i < n; i++)
        bytes[i] = (uint8_t)(0xa0 + i);
    return th_val_ok(a, th_val_bytes(a, bytes, n));
}

/* HOME is set (to /home/actor), nothing else is. */
static th_val *answer_environment(const char *field, const th_val *params, th_arena *a)
{
    if (strcmp(field, "list-vars") == 0) {
        th_val *vars = list_of(a, 2);
        vars->list.items[0] = pair(a, "A", "1");
        vars->list.items[1] = pair(a, "HOME", "/home/actor");
        return vars;
    }
    const th_val *name = &params->list.items[0];
    th_buf_append_byte(&host.calls, ' ');
    note_string(&host.calls, name);
    bool home = name->bytes.len == 4 && memcmp(name->bytes.ptr, "HOME", 4) == 0;
    if (strcmp(field, "exists") == 0)
        return boolean(a, home);
    return th_val_option(a, home ? str(a, "/home/actor") : NULL);
}

/* Notes "FIELD ...\n" in host.calls and answers a capability import. */
static th_val *answer_capability(const th_import *imp, const th_val *params, th_arena *a)
{
    const char *m = imp->module + strlen("theater:simple/");
    th_val *result = NULL;
    th_buf_append_str(&host.calls, imp->field);
    if (strcmp(m, "http-client") == 0)
        result = answer_send_http(params, a);
    else if (strcmp(m, "filesystem") == 0)
        result = answer_filesystem(imp->field, params, a);
    else if (strcmp(m, "timing") == 0)
        result = answer_timing(imp->field, params, a);
    else if (strcmp(m, "random") == 0)
        result = answer_random(imp->field, params, a);
    else if (strcmp(m, "environment") == 0)
        result = answer_environment(imp->field, params, a);
    th_buf_append_byte(&host.calls, '\n');
    return result;
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
        *result = answer_capability(imp, params, a);
    return *result ? 0 : th_error_set(err, "unexpected import %s", imp->name);
}

static th_engine *engine;

static th_instance *start_actor(const char *path)
{
    th_error err;
    th_module *m = th_engine_load_module(engine, path, &err);
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

static th_instance *start_supervisor(void)
{
    return start_actor(SUPERVISOR_ACTOR);
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

/* ---- 2b. Capabilities ---------------------------------------------------- */

/* A request to cap_misc: its JSON answer, or "err: ..." / "fault: ...". */
static void ask(th_instance *inst, const char *json, th_arena *a, char *out, size_t cap)
{
    th_val *result;
    th_fault fault;
    th_val *params = params_of(a, 1, th_val_bytes(a, json, strlen(json)), NULL);
    if (th_instance_call(inst, TH_EXPORT_HANDLE_REQUEST, call_args(a, "", params), a, &result,
                         &fault)) {
        snprintf(out, cap, "fault: %s", fault.message);
        return;
    }
    const th_val *payload = result->var.payload;
    if (result->var.disc == 1) {
        snprintf(out, cap, "err: %.*s", (int)payload->bytes.len, payload->bytes.ptr);
        return;
    }
    const th_val *response = &payload->list.items[1].list.items[0];
    snprintf(out, cap, "%.*s", (int)response->bytes.len, response->bytes.ptr);
}

/* Asks cap_misc `json` with a fresh stand-in; checks the answer and the
 * calls the stand-in saw. */
#define ASK(json, want_answer, want_calls)                                                         \
    do {                                                                                           \
        char out_[1024];                                                                           \
        bool fails_ = host.capability_fails, no_body_ = host.no_body;                              \
        host_reset();                                                                              \
        host.capability_fails = fails_;                                                            \
        host.no_body = no_body_;                                                                   \
        ask(inst, json, &a, out_, sizeof out_);                                                    \
        CHECK_STR_EQ(out_, want_answer);                                                           \
        CHECK_STR_EQ(th_buf_cstr(&host.calls), want_calls);                                        \
    } while (0)

TEST(timing_random_and_environment_lift_every_result)
{
    th_instance *inst = start_actor(CAPABILITY_ACTOR);
    CHECK(inst != NULL);
    if (!inst)
        return;
    th_arena a = TH_ARENA_INIT;

    ASK("{\"op\":\"now\"}", "{\"now\":1700000000123}", "now\n");
    ASK("{\"op\":\"set\",\"delay\":250}", "{\"id\":4294967298}", "set-timer 250\n");
    ASK("{\"op\":\"cancel\",\"id\":4294967298}", "{\"ok\":true}", "cancel-timer 4294967298\n");
    ASK("{\"op\":\"random\",\"n\":3}", "{\"hex\":\"a0a1a2\"}", "random-bytes 3\n");
    ASK("{\"op\":\"random\",\"n\":0}", "{\"hex\":\"\"}", "random-bytes 0\n");
    ASK("{\"op\":\"u64\"}", "{\"u64\":\"fedcba9876543210\"}", "random-u64\n");
    ASK("{\"op\":\"env\",\"name\":\"HOME\"}",
        "{\"set\":true,\"value\":\"/home/actor\",\"exists\":true}", "get-var HOME\nexists HOME\n");
    ASK("{\"op\":\"env\",\"name\":\"SECRET\"}", "{\"set\":false,\"value\":\"\",\"exists\":false}",
        "get-var SECRET\nexists SECRET\n");
    ASK("{\"op\":\"vars\"}", "{\"vars\":\"A=1;HOME=/home/actor;\"}", "list-vars\n");

    host.capability_fails = true;
    ASK("{\"op\":\"set\",\"delay\":1}", "{\"error\":\"too many timers\"}", "set-timer 1\n");
    ASK("{\"op\":\"cancel\",\"id\":9}", "{\"error\":\"no such timer\"}", "cancel-timer 9\n");
    ASK("{\"op\":\"random\",\"n\":5}", "{\"error\":\"too many bytes\"}", "random-bytes 5\n");
    host.capability_fails = false;
    th_arena_free(&a);
    th_instance_free(inst);
    host_reset();
}

TEST(filesystem_and_http_client_lift_every_result)
{
    th_instance *inst = start_actor(CAPABILITY_ACTOR);
    CHECK(inst != NULL);
    if (!inst)
        return;
    th_arena a = TH_ARENA_INIT;

    ASK("{\"op\":\"read\",\"path\":\"a/b.txt\"}", "{\"data\":\"file contents\"}",
        "read-file a/b.txt\n");
    ASK("{\"op\":\"write\",\"path\":\"w.txt\",\"data\":\"hello\"}", "{\"ok\":true}",
        "write-file w.txt hello\n");
    ASK("{\"op\":\"list\",\"path\":\".\"}", "{\"names\":\"a.txt;sub;\"}", "list-files .\n");
    ASK("{\"op\":\"delete\",\"path\":\"d\"}", "{\"ok\":true}", "delete-file d\n");
    ASK("{\"op\":\"mkdir\",\"path\":\"m\"}", "{\"ok\":true}", "create-dir m\n");
    ASK("{\"op\":\"rmdir\",\"path\":\"r\"}", "{\"ok\":true}", "delete-dir r\n");
    ASK("{\"op\":\"exists\",\"path\":\"e\"}", "{\"exists\":true}", "path-exists e\n");
    ASK("{\"op\":\"http\",\"method\":\"POST\",\"url\":\"http://h:8/p?q\",\"header\":\"1\","
        "\"body\":\"ping\"}",
        "{\"status\":201,\"headers\":\"content-type=text/plain;x-n=22;\",\"body\":\"xyz\"}",
        "send-http POST http://h:8/p?q [x-test=1;] ping\n");
    host.no_body = true;
    ASK("{\"op\":\"http\",\"method\":\"GET\",\"url\":\"http://h/\"}",
        "{\"status\":201,\"headers\":\"content-type=text/plain;x-n=22;\",\"body\":null}",
        "send-http GET http://h/ [] none\n");
    host.no_body = false;

    host.capability_fails = true;
    ASK("{\"op\":\"read\",\"path\":\"x\"}", "{\"error\":\"no such file\"}", "read-file x\n");
    ASK("{\"op\":\"list\",\"path\":\"x\"}", "{\"error\":\"no such file\"}", "list-files x\n");
    ASK("{\"op\":\"exists\",\"path\":\"x\"}", "{\"error\":\"no such file\"}", "path-exists x\n");
    ASK("{\"op\":\"delete\",\"path\":\"x\"}", "{\"error\":\"no such file\"}", "delete-file x\n");
    ASK("{\"op\":\"http\",\"method\":\"GET\",\"url\":\"http://evil/\"}",
        "{\"error\":\"host not allowed\"}", "send-http GET http://evil/ [] none\n");
    host.capability_fails = false;
    th_arena_free(&a);
    th_instance_free(inst);
    host_reset();
}

/* handle-timer gets its u64 id (above 32 bits) in the i64 parameter. */
TEST(handle_timer_lifts_the_id)
{
    th_instance *inst = start_actor(CAPABILITY_ACTOR);
    CHECK(inst != NULL);
    if (!inst)
        return;
    th_arena a = TH_ARENA_INIT;
    char out[512];
    th_val *params = params_of(&a, 1, th_val_u64(&a, TH_VAL_U64, 0x1234567890ull), NULL);
    call(inst, TH_EXPORT_TIMER, "init\n", params, &a, out, sizeof out);
    CHECK_STR_EQ(out, "init\ntimer 78187493520\n");
    th_arena_free(&a);
    th_instance_free(inst);
    host_reset();
}

/* An http-request value: method, uri, headers (n pairs h0=v0, ...), body. */
static th_val *http_request(th_arena *a, const char *method, const char *uri, size_t n_headers,
                            const char *body)
{
    th_val *req = th_val_tuple(a, 4);
    req->list.items[0] = *str(a, method);
    req->list.items[1] = *str(a, uri);
    req->list.items[2] = *list_of(a, n_headers);
    for (size_t i = 0; i < n_headers; i++) {
        char name[16], value[16];
        snprintf(name, sizeof name, "h%zu", i);
        snprintf(value, sizeof value, "v%zu", i);
        req->list.items[2].list.items[i] = pair(a, name, value);
    }
    req->list.items[3] = *th_val_option(a, body ? th_val_bytes(a, body, strlen(body)) : NULL);
    return params_of(a, 1, req, NULL);
}

/* "STATUS [k=v;...] BODY|none" of handle-request's response, after the
 * new state; or "err: ..." / "fault: ...". */
static void serve(th_instance *inst, th_val *params, th_arena *a, char *out, size_t cap)
{
    th_val *result;
    th_fault fault;
    if (th_instance_call(inst, TH_EXPORT_HTTP_REQUEST, call_args(a, "", params), a, &result,
                         &fault)) {
        snprintf(out, cap, "fault: %s", fault.message);
        return;
    }
    const th_val *payload = result->var.payload;
    if (result->var.disc == 1) {
        snprintf(out, cap, "err: %.*s", (int)payload->bytes.len, payload->bytes.ptr);
        return;
    }
    const th_val *state = payload->list.items[0].var.payload;
    const th_val *resp = &payload->list.items[1].list.items[0];
    const th_val *body = &resp->list.items[2];
    th_buf text = TH_BUF_INIT;
    th_buf_append(&text, state->bytes.ptr, state->bytes.len);
    th_buf_printf(&text, "%" PRIu64, resp->list.items[0].u);
    note_pairs(&text, &resp->list.items[1]);
    th_buf_append_byte(&text, ' ');
    if (body->var.disc)
        note_string(&text, body->var.payload);
    else
        th_buf_append_str(&text, "none");
    snprintf(out, cap, "%s", th_buf_cstr(&text));
    th_buf_free(&text);
}

/* The request's every field reaches the handler (it echoes them), and the
 * response's every field reaches the host, body or none. */
TEST(http_handle_request_lifts_the_request_and_lowers_the_response)
{
    th_instance *inst = start_actor(CAPABILITY_ACTOR);
    CHECK(inst != NULL);
    if (!inst)
        return;
    th_arena a = TH_ARENA_INIT;
    char out[1024];

    serve(inst, http_request(&a, "PUT", "/count?x=1", 2, "the body"), &a, out, sizeof out);
    CHECK_STR_EQ(out, "http PUT /count?x=1\n202 [x-method=PUT;x-uri=/count?x=1;h0=v0;h1=v1;] "
                      "the body");
    serve(inst, http_request(&a, "GET", "/", 0, NULL), &a, out, sizeof out);
    CHECK_STR_EQ(out, "http GET /\n200 [x-method=GET;x-uri=/;] none");
    serve(inst, http_request(&a, "POST", "/e", 1, ""), &a, out, sizeof out);
    CHECK_STR_EQ(out, "http POST /e\n201 [x-method=POST;x-uri=/e;h0=v0;] ");
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
    if (!engine || prepare_test_wits()) {
        fprintf(stderr, "cannot set up: %s\n", engine ? "the test worlds' WIT" : err.msg);
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
    RUN(capability_actor_is_a_valid_component);
    RUN(capability_actor_imports_every_capability_function);
    RUN(wrong_capability_signatures_are_refused);
    RUN(timing_random_and_environment_lift_every_result);
    RUN(filesystem_and_http_client_lift_every_result);
    RUN(handle_timer_lifts_the_id);
    RUN(http_handle_request_lifts_the_request_and_lowers_the_response);
    th_engine_free(engine);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (run(cmd))
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
