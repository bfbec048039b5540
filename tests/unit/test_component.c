/* Component Model components (src/exec/component.c).
 *
 * The same actor runs packaged two ways: as the core module the SDK builds,
 * and as the component `wasm-tools component new` makes of it. Both go
 * through the same messages, and their chains must agree event by event
 * (types, names, inputs, outputs, state hashes); only the spawn event's
 * package hash differs, by nature. Then the conversions between th_val and
 * Wasmtime's component values are checked on every WIT type of the
 * catalogue (records, variants, options, results, lists, u64, u16, bool)
 * with test actors that use every capability, against a stand-in host;
 * then limits, faults, replay, and what is refused at load. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "chain/sha256.h"
#include "wat.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"
#include "exec/component.h"
#include "exec/engine.h"
#include "exec/instance.h"
#include "exec/module.h"
#include "runtime/actor.h"
#include "runtime/replay.h"

static th_engine *engine;
static char tmpdir[64];

#define EXAMPLES THEATER_BINARY_DIR "/examples/"
#define ACTORS THEATER_BINARY_DIR "/tests/actors/"
#define SAME_ID "0123456789abcdef0123456789abcdef"

static int run(const char *cmd)
{
    return system(cmd) == 0 ? 0 : -1;
}

/* Turns the core module at `wasm` into tmpdir/NAME.component.wasm for
 * `world` of the WIT package at `wit`; the path goes to out. */
static int componentize(const char *wasm, const char *name, const char *wit, const char *world,
                        char *out, size_t cap)
{
    char cmd[2048];
    snprintf(out, cap, "%s/%s.component.wasm", tmpdir, name);
    snprintf(cmd, sizeof cmd,
             "'%s' component embed '%s' --world %s '%s' -o '%s/%s.embed.wasm' 2>'%s/%s.err' && "
             "'%s' component new '%s/%s.embed.wasm' -o '%s' 2>>'%s/%s.err'",
             THEATER_WASM_TOOLS, wit, world, wasm, tmpdir, name, tmpdir, name, THEATER_WASM_TOOLS,
             tmpdir, name, out, tmpdir, name);
    if (run(cmd) == 0)
        return 0;
    snprintf(cmd, sizeof cmd, "head -c 2000 '%s/%s.err' >&2", tmpdir, name);
    if (run(cmd))
        fprintf(stderr, "(no wasm-tools output)\n");
    return -1;
}

static int componentize_message_actor(const char *wasm, const char *name, char *out, size_t cap)
{
    return componentize(wasm, name, THEATER_SOURCE_DIR "/wit", "message-actor", out, cap);
}

/* A manifest for `package` with the message-server grant and `extra`
 * TOML after the top-level keys (e.g. initial_state, [limits]). */
static th_manifest *manifest_for(const char *name, const char *package, const char *extra)
{
    th_buf text = TH_BUF_INIT;
    th_buf_printf(&text,
                  "name = \"%s\"\nversion = \"0.1.0\"\npackage = \"%s\"\n%s\n"
                  "[[handlers]]\ntype = \"message-server\"\n",
                  name, package, extra ? extra : "");
    th_error err;
    th_manifest *m =
        th_manifest_parse((const char *)text.data, text.len, "/tmp/component-test.toml", &err);
    if (!m)
        fprintf(stderr, "manifest: %s\n", err.msg);
    th_buf_free(&text);
    return m;
}

/* ---- Comparing chains ------------------------------------------------------ */

static bool same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* The spawn events agree but for the package hash (input item 3), which
 * must be each package's own. */
static void check_spawn_events(const th_event *a, const th_event *b, const th_module *ma,
                               const th_module *mb)
{
    th_arena arena = TH_ARENA_INIT;
    th_error err;
    th_val *ia = th_val_decode(&arena, a->input, a->input_len, &err);
    th_val *ib = th_val_decode(&arena, b->input, b->input_len, &err);
    CHECK(ia && ib && ia->list.len == 4 && ib->list.len == 4);
    if (ia && ib && ia->list.len == 4 && ib->list.len == 4) {
        for (size_t i = 0; i < 3; i++)
            CHECK_REPORT_(th_val_equal(&ia->list.items[i], &ib->list.items[i]),
                          "spawn input item %zu differs", i);
        const th_val *ha = &ia->list.items[3], *hb = &ib->list.items[3];
        CHECK(same_bytes(ha->bytes.ptr, ha->bytes.len, ma->hash, TH_HASH_SIZE));
        CHECK(same_bytes(hb->bytes.ptr, hb->bytes.len, mb->hash, TH_HASH_SIZE));
        CHECK(!th_val_equal(ha, hb));
    }
    th_arena_free(&arena);
}

/* Every event after the spawn: type, name, input, output, state. */
static void check_same_chains(const th_actor *a, const th_actor *b)
{
    const th_chain *ca = th_actor_chain(a), *cb = th_actor_chain(b);
    CHECK_EQ_INT(th_chain_length(ca), th_chain_length(cb));
    size_t n =
        th_chain_length(ca) < th_chain_length(cb) ? th_chain_length(ca) : th_chain_length(cb);
    for (size_t i = 0; i < n; i++) {
        const th_event *ea = th_chain_event(ca, i), *eb = th_chain_event(cb, i);
        CHECK_REPORT_(ea->type == eb->type && strcmp(ea->name, eb->name) == 0,
                      "event %zu: %d %s vs %d %s", i, ea->type, ea->name, eb->type, eb->name);
        if (ea->type == TH_EV_SPAWN && eb->type == TH_EV_SPAWN) {
            check_spawn_events(ea, eb, a->module, b->module);
            continue;
        }
        CHECK_REPORT_(same_bytes(ea->input, ea->input_len, eb->input, eb->input_len),
                      "event %zu (%s): inputs differ", i, ea->name);
        CHECK_REPORT_(same_bytes(ea->output, ea->output_len, eb->output, eb->output_len),
                      "event %zu (%s): outputs differ: %.*s / %.*s", i, ea->name,
                      (int)ea->output_len, ea->output, (int)eb->output_len, eb->output);
        CHECK_REPORT_(ea->has_state == eb->has_state &&
                          memcmp(ea->state_hash, eb->state_hash, TH_HASH_SIZE) == 0,
                      "event %zu (%s): states differ", i, ea->name);
    }
    th_verify_report ra, rb;
    CHECK(th_chain_verify(ca, &ra));
    CHECK(th_chain_verify(cb, &rb));
}

/* Two actors of the same manifest but for the package, with the same id
 * (it is in init's arguments and the spawn event). */
typedef struct pair {
    th_manifest *m[2];
    th_actor *actor[2];
} pair;

static bool spawn_pair(pair *p, const char *name, const char *core, const char *component,
                       const char *extra)
{
    memset(p, 0, sizeof *p);
    const char *packages[2] = {core, component};
    for (int k = 0; k < 2; k++) {
        th_error err;
        p->m[k] = manifest_for(name, packages[k], extra);
        p->actor[k] =
            p->m[k] ? th_actor_spawn_as(engine, p->m[k], NULL, SAME_ID, NULL, &err) : NULL;
        CHECK_REPORT_(p->actor[k] != NULL, "spawn %s: %s", packages[k],
                      p->m[k] ? err.msg : "no manifest");
    }
    return p->actor[0] && p->actor[1];
}

static void free_pair(pair *p)
{
    for (int k = 0; k < 2; k++) {
        if (p->actor[k]) {
            th_actor_stop(p->actor[k]);
            th_actor_free(p->actor[k]);
        }
        th_manifest_free(p->m[k]);
    }
}

/* Sends (or requests) the same message to both; their outcomes must agree. */
static void both_send(pair *p, const char *msg, size_t len, bool request)
{
    int rc[2];
    th_error err[2];
    uint8_t *resp[2] = {NULL, NULL};
    size_t resp_len[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        rc[k] = request ? th_actor_request(p->actor[k], (const uint8_t *)msg, len, &resp[k],
                                           &resp_len[k], &err[k])
                        : th_actor_send(p->actor[k], (const uint8_t *)msg, len, &err[k]);
    CHECK_EQ_INT(rc[0], rc[1]);
    if (rc[0] && rc[1])
        CHECK_STR_EQ(err[1].msg, err[0].msg);
    if (request && !rc[0] && !rc[1])
        CHECK(same_bytes(resp[0], resp_len[0], resp[1], resp_len[1]));
    free(resp[0]);
    free(resp[1]);
}

static void both(pair *p, const char *msg, bool request)
{
    both_send(p, msg, strlen(msg), request);
}

/* ---- 1. The examples, both ways -------------------------------------------- */

TEST(counter_chains_agree)
{
    char comp[256];
    CHECK_EQ_INT(componentize_message_actor(EXAMPLES "counter.wasm", "counter", comp, sizeof comp),
                 0);
    pair p;
    if (spawn_pair(&p, "counter", EXAMPLES "counter.wasm", comp,
                   "initial_state = '{\"count\": 0}'")) {
        CHECK(p.actor[1]->module->component != NULL);
        CHECK(p.actor[0]->module->component == NULL);
        both(&p, "{\"op\":\"inc\"}", false);
        both(&p, "{\"op\":\"add\",\"n\":41}", false);
        both(&p, "{\"op\":\"get\"}", true);
        both(&p, "{\"op\":\"nope\"}", false); /* the export's own error */
        both(&p, "not json", true);
        both(&p, "{\"op\":\"inc\"}", true);
        size_t len;
        bool present;
        const uint8_t *state = th_actor_state(p.actor[1], &len, &present);
        CHECK(present && same_bytes(state, len, (const uint8_t *)"{\"count\":43}", 12));
        check_same_chains(p.actor[0], p.actor[1]);
        CHECK(th_chain_length(th_actor_chain(p.actor[1])) > 12);
    }
    free_pair(&p);
}

/* Echo hands the message back: 100 B and 100 KB, as bytes both ways. */
TEST(echo_chains_agree)
{
    char comp[256];
    CHECK_EQ_INT(componentize_message_actor(EXAMPLES "echo.wasm", "echo", comp, sizeof comp), 0);
    pair p;
    if (spawn_pair(&p, "echo", EXAMPLES "echo.wasm", comp, NULL)) {
        static const size_t sizes[] = {0, 1, 100, 100 * 1024};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            char *msg = malloc(sizes[i] + 1);
            for (size_t k = 0; k < sizes[i]; k++)
                msg[k] = (char)(k * 7 + i); /* every byte value, not only text */
            both_send(&p, msg, sizes[i], true);
            both_send(&p, msg, sizes[i], false);
            free(msg);
        }
        check_same_chains(p.actor[0], p.actor[1]);
        CHECK_EQ_INT(th_chain_length(th_actor_chain(p.actor[1])), 3 + 8 * 2);
    }
    free_pair(&p);
}

/* A fault stops either packaging the same way: the same trap event. */
static void crash_both(const char *comp, const char *op, const char *kind, const char *limits)
{
    pair p;
    if (spawn_pair(&p, "crasher", EXAMPLES "crasher.wasm", comp, limits)) {
        both(&p, "{\"op\":\"ping\"}", true);
        both(&p, op, true);
        for (int k = 0; k < 2; k++) {
            CHECK(th_actor_stopped(p.actor[k]));
            CHECK_STR_EQ(th_actor_fault_kind(p.actor[k]), kind);
        }
        check_same_chains(p.actor[0], p.actor[1]);
    }
    free_pair(&p);
}

TEST(faults_agree)
{
    char comp[256];
    CHECK_EQ_INT(componentize_message_actor(EXAMPLES "crasher.wasm", "crasher", comp, sizeof comp),
                 0);
    crash_both(comp, "{\"op\":\"crash\"}", "trap", NULL);
    crash_both(comp, "{\"op\":\"spin\"}", "timeout", "[limits]\nfuel = 50_000_000\n");
    crash_both(comp, "{\"op\":\"spin\"}", "timeout",
               "[limits]\nfuel = 1_000_000_000_000\ntime_ms = 50\n");
    crash_both(comp, "{\"op\":\"deep\"}", "trap", NULL);
}

/* The memory limit holds for a component too, but the component API does
 * not show its linear memory, so the host cannot tell that the guest's trap
 * came from a refused memory.grow: the fault is the guest's own trap, where
 * the core module's is out-of-memory (docs/abi.md, "Components"). */
TEST(memory_limit_stops_a_component_as_a_trap)
{
    char comp[256];
    snprintf(comp, sizeof comp, "%s/crasher.component.wasm", tmpdir);
    pair p;
    if (spawn_pair(&p, "crasher", EXAMPLES "crasher.wasm", comp, "[limits]\nmemory_mb = 16\n")) {
        const char *bomb = "{\"op\":\"bomb\"}";
        th_error err[2];
        for (int k = 0; k < 2; k++) {
            CHECK_EQ_INT(th_actor_send(p.actor[k], (const uint8_t *)bomb, strlen(bomb), &err[k]),
                         -1);
            CHECK(th_actor_stopped(p.actor[k]));
        }
        CHECK_STR_EQ(th_actor_fault_kind(p.actor[0]), "out-of-memory");
        CHECK_STR_EQ(th_actor_fault_kind(p.actor[1]), "trap");
        CHECK_CONTAINS(err[1].msg, "trap: wasm trap: wasm `unreachable` instruction executed");
        const th_chain *c0 = th_actor_chain(p.actor[0]), *c1 = th_actor_chain(p.actor[1]);
        CHECK_EQ_INT(th_chain_length(c0), th_chain_length(c1));
        const th_event *t1 = th_chain_event(c1, th_chain_length(c1) - 2);
        CHECK(t1 && t1->type == TH_EV_TRAP);
    }
    free_pair(&p);
}

/* ---- 2. Every WIT type, both ways, against a stand-in host ------------------
 * The test actors cap_misc (every capability import, http-handlers and
 * timing-handlers exports) and sdk_supervisor (every supervisor import and
 * handler) run as core modules and as components with the executor's
 * replay hook as their only host. The stand-in answers every import with a
 * value made from the catalogue's result type (records, variants, lists,
 * options, results alternating ok and err) and notes what the actor passed;
 * the two packagings must see the same calls and give the same results. */

/* Worlds of wit/ plus the test worlds, in tmpdir/wit. */
static char test_wit[128], wrong_wit[128];

static const char test_worlds[] = "package theater:simple;\n"
                                  "\n"
                                  "world capability-actor {\n"
                                  "    import runtime;\n"
                                  "    import http-client;\n"
                                  "    import filesystem;\n"
                                  "    import timing;\n"
                                  "    import random;\n"
                                  "    import environment;\n"
                                  "    export actor;\n"
                                  "    export message-server-client;\n"
                                  "    export http-handlers;\n"
                                  "    export timing-handlers;\n"
                                  "}\n"
                                  "\n"
                                  "world supervisor-actor {\n"
                                  "    import runtime;\n"
                                  "    import supervisor;\n"
                                  "    export actor;\n"
                                  "    export supervisor-handlers;\n"
                                  "}\n"
                                  "\n"
                                  "world logger {\n"
                                  "    import runtime;\n"
                                  "    export actor;\n"
                                  "}\n"
                                  "\n"
                                  "interface extra {\n"
                                  "    ping: func();\n"
                                  "}\n"
                                  "\n"
                                  "world extra-import {\n"
                                  "    import extra;\n"
                                  "    export actor;\n"
                                  "}\n"
                                  "\n"
                                  "world foreign-import {\n"
                                  "    import other:pkg/thing;\n"
                                  "    export actor;\n"
                                  "}\n"
                                  "\n"
                                  "world no-init {\n"
                                  "    export message-server-client;\n"
                                  "}\n"
                                  "\n"
                                  "world parent-actor {\n"
                                  "    import runtime;\n"
                                  "    import message-server-host;\n"
                                  "    import supervisor;\n"
                                  "    export actor;\n"
                                  "    export message-server-client;\n"
                                  "}\n";

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t len = strlen(text);
    bool ok = fwrite(text, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int prepare_test_wit(void)
{
    char cmd[512], path[192];
    snprintf(test_wit, sizeof test_wit, "%s/wit", tmpdir);
    snprintf(cmd, sizeof cmd, "mkdir '%s' && cp '%s'/wit/*.wit '%s'/", test_wit, THEATER_SOURCE_DIR,
             test_wit);
    if (run(cmd))
        return -1;
    snprintf(path, sizeof path, "%s/test-worlds.wit", test_wit);
    if (write_text(path, test_worlds))
        return -1;
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/deps/other'", test_wit);
    snprintf(path, sizeof path, "%s/deps/other/other.wit", test_wit);
    if (run(cmd) ||
        write_text(path, "package other:pkg;\n\ninterface thing {\n    f: func();\n}\n"))
        return -1;
    /* A package whose runtime.log takes a u32: its components are refused. */
    snprintf(wrong_wit, sizeof wrong_wit, "%s/wit-wrong", tmpdir);
    snprintf(cmd, sizeof cmd,
             "mkdir '%s' && cp '%s'/wit/*.wit '%s'/ && "
             "sed -i 's/log: func(msg: string);/log: func(msg: u32);/' '%s/runtime.wit' && "
             "grep -q 'msg: u32' '%s/runtime.wit'",
             wrong_wit, THEATER_SOURCE_DIR, wrong_wit, wrong_wit, wrong_wit);
    if (run(cmd))
        return -1;
    snprintf(path, sizeof path, "%s/test-worlds.wit", wrong_wit);
    return write_text(path, "package theater:simple;\n\nworld logger {\n    import runtime;\n"
                            "    export actor;\n}\n");
}

static struct {
    th_buf calls;          /* "name params\n" per host call */
    unsigned serial;       /* chooses each answer */
    unsigned calls_of[64]; /* per import: ok on its first call, err on its second, ... */
    uint32_t result_disc;  /* of the WIT result being made */
    bool invalid_utf8;     /* byte lists end with 0xff, which is not UTF-8 */
} standin;

/* A value of type t: the same sequence of calls gets the same values. */
static th_val *make_value(th_arena *a, const th_type *t)
{
    unsigned n = standin.serial++;
    char text[32];
    switch (t->kind) {
    case TH_VAL_BOOL: {
        th_val *v = th_val_new(a, TH_VAL_BOOL);
        v->b = n % 2;
        return v;
    }
    case TH_VAL_U8:
    case TH_VAL_U16:
    case TH_VAL_U32:
        return th_val_u64(a, t->kind, 200 + n);
    case TH_VAL_U64:
        return th_val_u64(a, t->kind, 0x123456789abcull + n);
    case TH_VAL_STRING:
        snprintf(text, sizeof text, "text-%u-\xc3\xa9", n);
        return th_val_string(a, text, strlen(text));
    case TH_VAL_BYTES:
        snprintf(text, sizeof text, "bytes-%u\x01%s", n,
                 standin.invalid_utf8 ? "\xff" : "\xc3\xa9");
        return th_val_bytes(a, text, strlen(text));
    case TH_VAL_LIST: {
        th_val *v = th_val_new(a, TH_VAL_LIST);
        v->list.len = 2;
        v->list.items = th_arena_alloc(a, 2 * sizeof(th_val));
        for (size_t i = 0; i < 2; i++)
            v->list.items[i] = *make_value(a, t->elem);
        return v;
    }
    case TH_VAL_TUPLE: {
        th_val *v = th_val_tuple(a, t->n_items);
        for (size_t i = 0; i < t->n_items; i++)
            v->list.items[i] = *make_value(a, t->items[i]);
        return v;
    }
    default: { /* options (some), results (ok, err, ...), variants (each case) */
        th_val *v = th_val_new(a, t->kind);
        v->var.disc = t->kind == TH_VAL_OPTION   ? 1
                      : t->kind == TH_VAL_RESULT ? standin.result_disc
                                                 : n % t->n_items;
        const th_type *c = t->items[v->var.disc];
        v->var.payload = c ? make_value(a, c) : NULL;
        return v;
    }
    }
}

static int standin_host(th_actor *actor, const th_import *imp, const th_val *params, th_arena *a,
                        th_val **result, th_error *err)
{
    (void)actor;
    (void)err;
    th_buf_printf(&standin.calls, "%s ", imp->name);
    th_val_render(params, &standin.calls, 2048);
    th_buf_append_byte(&standin.calls, '\n');
    size_t n_imports;
    size_t index = (size_t)(imp - th_catalog_imports(&n_imports));
    standin.result_disc = index < 64 ? standin.calls_of[index]++ % 2 : 0;
    *result = imp->type.result ? make_value(a, imp->type.result) : NULL;
    return 0;
}

typedef th_val *(*params_fn)(th_arena *a, unsigned i);

/* Runs calls[i] (with params from make(a, i)) on a fresh instance of
 * `path`, the state passed along; writes each result (or fault) and the
 * stand-in's notes into out. */
static void run_calls(const char *path, const th_export_id *calls, size_t n, params_fn make,
                      const char *initial_state, th_buf *out)
{
    th_error err;
    th_module *module = th_engine_load_module(engine, path, &err);
    CHECK_REPORT_(module != NULL, "load %s: %s", path, err.msg);
    if (!module)
        return;
    th_limits limits = {64 << 20, 1000000000, 10000};
    th_instance *inst = th_instance_new(engine, module, &limits, NULL, NULL, &err);
    CHECK_REPORT_(inst != NULL, "instantiate %s: %s", path, err.msg);
    if (!inst)
        return;
    inst->replayer = standin_host;
    th_buf_free(&standin.calls);
    bool invalid_utf8 = standin.invalid_utf8;
    memset(&standin, 0, sizeof standin);
    standin.invalid_utf8 = invalid_utf8;
    th_arena a = TH_ARENA_INIT, keep = TH_ARENA_INIT;
    th_val *state =
        initial_state
            ? th_val_option(&keep, th_val_bytes(&keep, initial_state, strlen(initial_state)))
            : th_val_option(&keep, NULL);
    for (size_t i = 0; i < n; i++) {
        th_arena_reset(&a);
        th_val *args = th_val_tuple(&a, 2), *result;
        args->list.items[0] = *state;
        args->list.items[1] = *make(&a, (unsigned)i);
        th_fault fault;
        if (th_instance_call(inst, calls[i], args, &a, &result, &fault)) {
            th_buf_printf(out, "call %zu: fault %d: %s\n", i, (int)fault.kind, fault.message);
            break;
        }
        th_buf_printf(out, "call %zu: ", i);
        th_val_render(result, out, 4096);
        th_buf_printf(out, "\n%s", th_buf_cstr(&standin.calls));
        th_buf_free(&standin.calls);
        if (result->var.disc == 0) { /* ok: the state goes on */
            th_arena_reset(&keep);
            const th_val *next = &result->var.payload->list.items[0];
            th_val *copy = th_val_option(
                &keep, next->var.disc ? th_val_bytes(&keep, next->var.payload->bytes.ptr,
                                                     next->var.payload->bytes.len)
                                      : NULL);
            state = copy;
        }
    }
    th_arena_free(&a);
    th_arena_free(&keep);
    th_instance_free(inst);
}

/* Both packagings of `core` for `world`: the same transcript, which must
 * contain every fragment of `want` (so that agreeing on nothing fails). */
static void compare_packagings(const char *core, const char *name, const char *world,
                               const th_export_id *calls, size_t n, params_fn make,
                               const char *initial_state, const char *const *want)
{
    char comp[256];
    CHECK_EQ_INT(componentize(core, name, test_wit, world, comp, sizeof comp), 0);
    th_buf out[2] = {TH_BUF_INIT, TH_BUF_INIT};
    run_calls(core, calls, n, make, initial_state, &out[0]);
    run_calls(comp, calls, n, make, initial_state, &out[1]);
    CHECK_STR_EQ(th_buf_cstr(&out[1]), th_buf_cstr(&out[0]));
    CHECK(strstr(th_buf_cstr(&out[1]), "fault") == NULL);
    for (size_t i = 0; want[i]; i++)
        CHECK_CONTAINS(th_buf_cstr(&out[1]), want[i]);
    th_buf_free(&out[0]);
    th_buf_free(&out[1]);
}

static th_val *json_params(th_arena *a, const char *json)
{
    th_val *p = th_val_tuple(a, 1);
    p->list.items[0] = *th_val_bytes(a, json, strlen(json));
    return p;
}

static th_val *str(th_arena *a, const char *s)
{
    return th_val_string(a, s, strlen(s));
}

static th_val *init_params(th_arena *a)
{
    th_val *p = th_val_tuple(a, 1);
    p->list.items[0] = *str(a, SAME_ID);
    return p;
}

static const char *const capability_ops[] = {
    "{\"op\":\"now\"}",
    "{\"op\":\"set\",\"delay\":250}",
    "{\"op\":\"cancel\",\"id\":4294967298}",
    "{\"op\":\"random\",\"n\":3}",
    "{\"op\":\"u64\"}",
    "{\"op\":\"env\",\"name\":\"HOME\"}",
    "{\"op\":\"vars\"}",
    "{\"op\":\"read\",\"path\":\"a/b.txt\"}",
    "{\"op\":\"write\",\"path\":\"w.txt\",\"data\":\"hello\"}",
    "{\"op\":\"list\",\"path\":\".\"}",
    "{\"op\":\"delete\",\"path\":\"d\"}",
    "{\"op\":\"mkdir\",\"path\":\"m\"}",
    "{\"op\":\"rmdir\",\"path\":\"r\"}",
    "{\"op\":\"exists\",\"path\":\"e\"}",
    "{\"op\":\"http\",\"method\":\"POST\",\"url\":\"http://h:8/p?q\",\"header\":\"1\","
    "\"body\":\"ping\"}",
    "{\"op\":\"http\",\"method\":\"GET\",\"url\":\"http://h/\"}",
    "{\"op\":\"log\"}",
};
#define N_CAPABILITY_OPS (sizeof capability_ops / sizeof capability_ops[0])

/* init, every op as a request, twice (so that each import that returns a
 * WIT result answers ok, then err), handle-timer, then HTTP requests served
 * with and without a body. */
static th_val *capability_params(th_arena *a, unsigned i)
{
    if (i == 0)
        return init_params(a);
    i--;
    if (i < 2 * N_CAPABILITY_OPS)
        return json_params(a, capability_ops[i % N_CAPABILITY_OPS]);
    i -= 2 * N_CAPABILITY_OPS;
    th_val *p = th_val_tuple(a, 1);
    if (i == 0) {
        p->list.items[0] = *th_val_u64(a, TH_VAL_U64, 0x1234567890ull);
        return p;
    }
    th_val *req = th_val_tuple(a, 4);
    req->list.items[0] = *str(a, i == 1 ? "PUT" : "GET");
    req->list.items[1] = *str(a, i == 1 ? "/count?x=1" : "/");
    th_val *headers = th_val_new(a, TH_VAL_LIST);
    headers->list.len = i == 1 ? 2 : 0;
    headers->list.items = th_arena_alloc(a, 2 * sizeof(th_val));
    for (size_t k = 0; k < headers->list.len; k++) {
        th_val *h = th_val_tuple(a, 2);
        h->list.items[0] = *str(a, k ? "h1" : "h0");
        h->list.items[1] = *str(a, k ? "v1" : "v0");
        headers->list.items[k] = *h;
    }
    req->list.items[2] = *headers;
    req->list.items[3] = *th_val_option(a, i == 1 ? th_val_bytes(a, "the body", 8) : NULL);
    p->list.items[0] = *req;
    return p;
}

TEST(capability_values_agree)
{
    th_export_id calls[1 + 2 * N_CAPABILITY_OPS + 3];
    size_t n = 0;
    calls[n++] = TH_EXPORT_INIT;
    for (size_t i = 0; i < 2 * N_CAPABILITY_OPS; i++)
        calls[n++] = TH_EXPORT_HANDLE_REQUEST;
    calls[n++] = TH_EXPORT_TIMER;
    calls[n++] = TH_EXPORT_HTTP_REQUEST;
    calls[n++] = TH_EXPORT_HTTP_REQUEST;
    static const char *const want[] = {
        "theater:simple/http-client#send-http",
        "theater:simple/environment#list-vars",
        "timer 78187493520",
        "x-uri",
        "status",
        NULL,
    };
    compare_packagings(ACTORS "cap_misc.wasm", "cap_misc", "capability-actor", calls, n,
                       capability_params, NULL, want);
}
/* init spawns a child (some state: its manifest); every actor-error case,
 * an exit with and without data, an external stop (which reads the child's
 * state and chain: a list of chain-event records). */
static th_val *supervisor_params(th_arena *a, unsigned i)
{
    if (i == 0)
        return init_params(a);
    th_val *p = th_val_tuple(a, i <= 5 ? 2 : i <= 7 ? 2 : 1);
    p->list.items[0] = *str(a, SAME_ID);
    if (i <= 5) {
        th_val *error = th_val_new(a, TH_VAL_VARIANT);
        error->var.disc = i - 1;
        error->var.payload = str(a, "why");
        p->list.items[1] = *error;
    } else if (i <= 7) {
        p->list.items[1] = *th_val_option(a, i == 6 ? th_val_bytes(a, "bye", 3) : NULL);
    }
    return p;
}

TEST(supervisor_values_agree)
{
    static const th_export_id calls[] = {
        TH_EXPORT_INIT,
        TH_EXPORT_CHILD_ERROR,
        TH_EXPORT_CHILD_ERROR,
        TH_EXPORT_CHILD_ERROR,
        TH_EXPORT_CHILD_ERROR,
        TH_EXPORT_CHILD_ERROR,
        TH_EXPORT_CHILD_EXIT,
        TH_EXPORT_CHILD_EXIT,
        TH_EXPORT_CHILD_EXTERNAL_STOP,
        TH_EXPORT_CHILD_EXTERNAL_STOP,
    };
    static const char *const want[] = {
        "theater:simple/supervisor#spawn (\"child.toml\", none)",
        "theater:simple/supervisor#get-child-events",
        "theater:simple/supervisor#list-children",
        "timeout",
        "abi-violation",
        NULL,
    };
    compare_packagings(ACTORS "sdk_supervisor.wasm", "sdk_supervisor", "supervisor-actor", calls,
                       sizeof calls / sizeof calls[0], supervisor_params, "child.toml", want);
}

/* A guest that hands the host a string that is not UTF-8 (sdk_supervisor
 * logs a chain event's data as text) breaks the canonical ABI: the core
 * path's check and Wasmtime's (which lifts a component's values itself)
 * both stop it as an abi-violation; the messages are each checker's own. */
static th_val *external_stop_params(th_arena *a, unsigned i)
{
    return supervisor_params(a, i ? 8 : 0);
}

TEST(abi_violations_agree)
{
    char comp[256];
    snprintf(comp, sizeof comp, "%s/sdk_supervisor.component.wasm", tmpdir);
    static const th_export_id calls[] = {TH_EXPORT_INIT, TH_EXPORT_CHILD_EXTERNAL_STOP};
    th_buf out[2] = {TH_BUF_INIT, TH_BUF_INIT};
    standin.invalid_utf8 = true;
    run_calls(ACTORS "sdk_supervisor.wasm", calls, 2, external_stop_params, NULL, &out[0]);
    run_calls(comp, calls, 2, external_stop_params, NULL, &out[1]);
    standin.invalid_utf8 = false;
    CHECK_CONTAINS(th_buf_cstr(&out[0]),
                   "call 1: fault 4: call to theater:simple/runtime#log: string at");
    CHECK_CONTAINS(th_buf_cstr(&out[1]), "call 1: fault 4: the component broke the canonical ABI: "
                                         "invalid utf-8 sequence");
    th_buf_free(&out[0]);
    th_buf_free(&out[1]);
}

/* ---- 3. Packaging and refusals ------------------------------------------------ */

static char *write_bytes(const char *name, const void *data, size_t len)
{
    th_buf path = TH_BUF_INIT;
    th_buf_printf(&path, "%s/%s", tmpdir, name);
    FILE *f = fopen(th_buf_cstr(&path), "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", th_buf_cstr(&path));
        abort();
    }
    return (char *)th_buf_take(&path, NULL);
}

/* The error of loading `path`, in err (empty when it loaded). */
static void load_error(const char *path, th_error *err)
{
    err->msg[0] = '\0';
    if (th_engine_load_module(engine, path, err))
        err->msg[0] = '\0';
}

TEST(the_header_tells_the_packaging)
{
    CHECK(th_is_component((const uint8_t *)"\0asm\x0d\0\x01\0", 8));
    CHECK(!th_is_component((const uint8_t *)"\0asm\x01\0\0\0", 8));
    CHECK(!th_is_component((const uint8_t *)"\0asm\x0d\0\x01", 7));
    CHECK(!th_is_component((const uint8_t *)"\0asm\x0d\0\0\0", 8));

    th_error err;
    char *p = write_bytes("empty.wasm", "\0asm\x0d\0\x01\0", 8); /* a valid, empty component */
    load_error(p, &err);
    CHECK_CONTAINS(err.msg,
                   "empty.wasm: the component does not export 'theater:simple/actor#init'");
    free(p);
    p = write_bytes("garbage.wasm", "\0asm\x0d\0\x01\0\xff\xff\xff", 11);
    load_error(p, &err);
    CHECK_CONTAINS(err.msg, "garbage.wasm: this is a Component Model component that Wasmtime "
                            "cannot compile: ");
    free(p);
    p = write_bytes("version2.wasm", "\0asm\x02\0\0\0", 8);
    load_error(p, &err);
    CHECK_CONTAINS(err.msg, "is WebAssembly of an unsupported version or layer (header bytes 02 "
                            "00 00 00)");
    free(p);
    p = write_bytes("layer2.wasm", "\0asm\x0d\0\x02\0", 8);
    load_error(p, &err);
    CHECK_CONTAINS(err.msg, "unsupported version or layer (header bytes 0d 00 02 00)");
    free(p);
    p = write_bytes("short.wasm", "\0asm", 4);
    load_error(p, &err);
    CHECK_CONTAINS(err.msg, "is not a WebAssembly module or component (bad magic number)");
    free(p);
}

/* A core module for a test world: imports `imports` (WAT), exports an init
 * and whatever `exports` adds; componentized into tmpdir/NAME. */
static int wat_component(const char *name, const char *wit, const char *world, const char *imports,
                         const char *exports, char *out, size_t cap)
{
    th_buf wat = TH_BUF_INIT;
    th_buf_printf(&wat, "(module\n%s\n" WAT_MEMORY_AND_ALLOCATOR "%s\n%s)\n", imports,
                  exports ? "" : WAT_INIT_KEEPS_STATE, exports ? exports : "");
    char *core = wat_to_file(tmpdir, name, (const char *)wat.data, wat.len);
    th_buf_free(&wat);
    if (!core)
        return -1;
    char component_name[64];
    snprintf(component_name, sizeof component_name, "%s-c", name);
    int rc = componentize(core, component_name, wit, world, out, cap);
    free(core);
    return rc;
}

TEST(imports_are_checked_against_the_catalogue)
{
    char comp[256];
    th_error err;
    CHECK_EQ_INT(wat_component("extra", test_wit, "extra-import",
                               "(import \"theater:simple/extra\" \"ping\" (func))", NULL, comp,
                               sizeof comp),
                 0);
    load_error(comp, &err);
    CHECK_CONTAINS(err.msg, "import 'theater:simple/extra#ping' is not provided by Theater");

    CHECK_EQ_INT(wat_component("foreign", test_wit, "foreign-import",
                               "(import \"other:pkg/thing\" \"f\" (func))", NULL, comp,
                               sizeof comp),
                 0);
    load_error(comp, &err);
    CHECK_CONTAINS(err.msg, "import 'other:pkg/thing' is not provided by Theater: actors reach "
                            "the world only through the theater:simple interfaces");

    CHECK_EQ_INT(wat_component("wrong", wrong_wit, "logger",
                               "(import \"theater:simple/runtime\" \"log\" (func (param i32)))",
                               NULL, comp, sizeof comp),
                 0);
    load_error(comp, &err);
    CHECK_CONTAINS(err.msg, "import 'theater:simple/runtime#log', parameter 'msg': the component "
                            "has u32 where theater:simple has string");
}

#define I32X5 "(param i32 i32 i32 i32 i32) (result i32) unreachable)\n"
#define I32X7 "(param i32 i32 i32 i32 i32 i32 i32) (result i32) unreachable)\n"
#define MSC_EXPORT(f) "(func (export \"theater:simple/message-server-client#" f "\") "

TEST(a_component_must_export_init)
{
    char comp[256];
    th_error err;
    CHECK_EQ_INT(wat_component("noinit", test_wit, "no-init", "",
                               MSC_EXPORT("handle-send") I32X5 MSC_EXPORT("handle-request")
                                   I32X5 MSC_EXPORT("handle-channel-open")
                                       I32X7 MSC_EXPORT("handle-channel-message")
                                           I32X7 MSC_EXPORT("handle-channel-close") I32X5,
                               comp, sizeof comp),
                 0);
    load_error(comp, &err);
    CHECK_CONTAINS(err.msg, "the component does not export 'theater:simple/actor#init'");
}

/* Host functions are served only during an export call, as for a core
 * module: `component new` runs _initialize at instantiation. */
TEST(a_start_function_cannot_call_the_host)
{
    char comp[256];
    CHECK_EQ_INT(
        wat_component("startlog", test_wit, "logger",
                      "(import \"theater:simple/runtime\" \"log\" (func $log (param i32 i32)))",
                      "(data (i32.const 64) \"hello\")\n"
                      "(func (export \"_initialize\") (call $log (i32.const 64) (i32.const "
                      "5)))\n" WAT_INIT_KEEPS_STATE,
                      comp, sizeof comp),
        0);
    th_manifest *m = manifest_for("startlog", comp, NULL);
    th_error err;
    th_actor *actor = m ? th_actor_spawn(engine, m, &err) : NULL;
    CHECK(actor == NULL);
    if (!actor) {
        CHECK_EQ_INT(err.kind, TH_ERROR_ACTOR);
        CHECK_CONTAINS(err.msg, "the component's start function failed: call to "
                                "theater:simple/runtime#log: host functions may only be called "
                                "during an export call");
    }
    th_actor_free(actor);
    th_manifest_free(m);
}

/* ---- 4. Replay, runtime, cache, limits ------------------------------------------ */

static void component_of(const char *example, char *out, size_t cap)
{
    char core[256];
    snprintf(core, sizeof core, EXAMPLES "%s.wasm", example);
    CHECK_EQ_INT(componentize_message_actor(core, example, out, cap), 0);
}

/* The replay's state source: only the counter's initial state is known. */
static int initial_state(void *ud, const uint8_t hash[TH_HASH_SIZE], uint8_t **out, size_t *len,
                         th_error *err)
{
    (void)err;
    const char *state = ud;
    uint8_t h[TH_HASH_SIZE];
    th_sha256(state, strlen(state), h);
    if (memcmp(h, hash, TH_HASH_SIZE) != 0)
        return 0;
    *out = (uint8_t *)strdup(state);
    *len = strlen(state);
    return 1;
}

/* A component's chain replays; and since both packagings record the same
 * chain, the component also replays the core module's chain (and back). */
TEST(replay_crosses_packagings)
{
    char comp[256];
    component_of("counter", comp, sizeof comp);
    pair p;
    if (spawn_pair(&p, "counter", EXAMPLES "counter.wasm", comp,
                   "initial_state = '{\"count\": 0}'")) {
        both(&p, "{\"op\":\"add\",\"n\":5}", false);
        both(&p, "{\"op\":\"get\"}", true);
        both(&p, "{\"op\":\"bad\"}", true);
        for (int chain = 0; chain < 2; chain++)
            for (int module = 0; module < 2; module++) {
                th_replay_report rep;
                th_error err;
                uint8_t *state = NULL;
                size_t len = 0;
                bool has = false;
                int rc = th_replay(engine, p.m[module], p.actor[module]->module,
                                   th_actor_chain(p.actor[chain]), 0, initial_state,
                                   (void *)"{\"count\": 0}", &rep, &state, &len, &has, &err);
                CHECK_REPORT_(rc == 0 && rep.identical,
                              "chain %d by module %d: %s (at %zu: %s; want %s; got %s)", chain,
                              module, rc ? err.msg : "ran", rep.diverged_at, rep.reason,
                              rep.expected, rep.actual);
                CHECK_EQ_INT(rep.events_replayed, th_chain_length(th_actor_chain(p.actor[chain])));
                CHECK(has && same_bytes(state, len, (const uint8_t *)"{\"count\":5}", 11));
                free(state);
            }
    }
    free_pair(&p);
}

static int write_manifest(const char *name, const char *text, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
    return write_text(out, text);
}

/* ping (a parent) and pong, both components, in a runtime: requests and
 * sends between actors, list-children, through the real handlers. */
TEST(components_talk_in_a_runtime)
{
    char ping[256], pong[256], path[256];
    CHECK_EQ_INT(
        componentize(EXAMPLES "ping.wasm", "ping", test_wit, "parent-actor", ping, sizeof ping), 0);
    component_of("pong", pong, sizeof pong);
    th_buf text = TH_BUF_INIT;
    th_buf_printf(&text,
                  "name = \"pong\"\nversion = \"0.1.0\"\npackage = \"%s\"\n"
                  "[[handlers]]\ntype = \"message-server\"\n",
                  pong);
    CHECK_EQ_INT(write_manifest("pong.toml", th_buf_cstr(&text), path, sizeof path), 0);
    th_buf_free(&text);
    th_buf_printf(&text,
                  "name = \"ping\"\nversion = \"0.1.0\"\npackage = \"%s\"\n"
                  "[[handlers]]\ntype = \"message-server\"\n[[handlers]]\ntype = \"supervisor\"\n"
                  "[supervisor]\nstrategy = \"one-for-one\"\n[[children]]\nmanifest = "
                  "\"pong.toml\"\n",
                  ping);
    CHECK_EQ_INT(write_manifest("ping.toml", th_buf_cstr(&text), path, sizeof path), 0);
    th_buf_free(&text);

    th_error err;
    th_runtime *rt = th_runtime_new(engine, &(th_runtime_options){.threads = 2}, &err);
    CHECK(rt != NULL);
    char id[33];
    if (rt && th_runtime_spawn(rt, path, NULL, 0, NULL, id, &err) == 0) {
        uint8_t *resp = NULL;
        size_t len = 0;
        const char *msg = "{\"rounds\":25}";
        CHECK_EQ_INT(
            th_runtime_request(rt, id, (const uint8_t *)msg, strlen(msg), 0, &resp, &len, &err), 0);
        CHECK(same_bytes(resp, len, (const uint8_t *)msg, strlen(msg)));
        free(resp);
    } else {
        CHECK_REPORT_(false, "spawn ping: %s", err.msg);
    }
    th_runtime_free(rt);

    /* The grants hold for a component's imports as for a module's. */
    th_buf_printf(&text,
                  "name = \"ping\"\nversion = \"0.1.0\"\npackage = \"%s\"\n"
                  "[[handlers]]\ntype = \"message-server\"\n",
                  ping);
    th_manifest *m = th_manifest_parse((const char *)text.data, text.len, path, &err);
    th_buf_free(&text);
    th_actor *actor = m ? th_actor_spawn(engine, m, &err) : NULL;
    CHECK(m && !actor);
    CHECK_CONTAINS(err.msg, "needs the 'supervisor' handler, which the manifest does not grant");
    th_manifest_free(m);
}

/* Compiled components go to the on-disk cache, are loaded from it, and a
 * damaged cache file only costs a recompile. */
TEST(compiled_components_are_cached)
{
    char comp[256], cache[128];
    component_of("echo", comp, sizeof comp);
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    th_error err;
    ino_t inode = 0;
    for (int round = 0; round < 3; round++) {
        th_engine *e =
            th_engine_new(&(th_engine_options){.cache_dir = cache, .no_pooling = true}, &err);
        CHECK(e != NULL);
        if (!e)
            return;
        th_module *m = th_engine_load_module(e, comp, &err);
        CHECK_REPORT_(m != NULL, "round %d: %s", round, err.msg);
        char *file = m ? th_cache_path(e, m->hash) : NULL;
        struct stat st;
        CHECK(file && stat(file, &st) == 0 && st.st_size > 1000);
        /* Round 1 loads the file round 0 wrote; round 2 replaces the damaged one. */
        if (round == 0)
            inode = st.st_ino;
        else
            CHECK(round == 1 ? st.st_ino == inode : st.st_ino != inode);
        if (m) {
            th_limits limits = {16 << 20, 1000000, 1000};
            th_instance *inst = th_instance_new(e, m, &limits, NULL, NULL, &err);
            CHECK_REPORT_(inst != NULL, "round %d: %s", round, err.msg);
            th_instance_free(inst);
        }
        th_engine_free(e);
        /* Damage it for the last round, once no engine maps it (a cache
         * file is only ever replaced by a rename, never rewritten). */
        if (file && round == 1) {
            FILE *f = fopen(file, "wb");
            CHECK(f && fputs("not compiled code", f) >= 0 && fclose(f) == 0);
        }
        free(file);
    }
}

/* Linear memory is bounded from the start: an actor whose initial memory
 * (crasher has a 4 MiB stack) exceeds memory_mb is refused either way. */
TEST(the_memory_limit_holds_at_instantiation)
{
    char comp[256];
    component_of("crasher", comp, sizeof comp);
    const char *packages[2] = {EXAMPLES "crasher.wasm", comp};
    for (int k = 0; k < 2; k++) {
        th_manifest *m = manifest_for("crasher", packages[k], "[limits]\nmemory_mb = 1\n");
        th_error err;
        th_actor *actor = m ? th_actor_spawn(engine, m, &err) : NULL;
        CHECK(m && !actor);
        CHECK_CONTAINS(err.msg,
                       k ? "cannot instantiate the component" : "cannot instantiate the module");
        CHECK_CONTAINS(err.msg, "memory");
        th_actor_free(actor);
        th_manifest_free(m);
    }
}

int main(void)
{
    if (!*THEATER_WASM_TOOLS) {
        fprintf(stderr, "wasm-tools is not configured (scripts/setup.sh installs it)\n");
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/theater-test-component-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "cannot prepare %s\n", tmpdir);
        return 1;
    }
    th_error err;
    engine = th_engine_new(&(th_engine_options){0}, &err);
    if (!engine || prepare_test_wit()) {
        fprintf(stderr, "cannot set up: %s\n", engine ? "the test worlds' WIT" : err.msg);
        return 1;
    }
    RUN(the_header_tells_the_packaging);
    RUN(imports_are_checked_against_the_catalogue);
    RUN(a_component_must_export_init);
    RUN(a_start_function_cannot_call_the_host);
    RUN(counter_chains_agree);
    RUN(capability_values_agree);
    RUN(supervisor_values_agree);
    RUN(abi_violations_agree);
    RUN(echo_chains_agree);
    RUN(faults_agree);
    RUN(memory_limit_stops_a_component_as_a_trap);
    RUN(replay_crosses_packagings);
    RUN(components_talk_in_a_runtime);
    RUN(compiled_components_are_cached);
    RUN(the_memory_limit_holds_at_instantiation);
    th_engine_free(engine);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (run(cmd))
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
