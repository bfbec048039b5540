#include "runtime/actor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "chain/sha256.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/hex.h"
#include "handlers/handlers.h"

/* Appends an event whose input and output are encoded values (NULL: empty). */
static void record(th_actor *actor, th_event_type type, const char *name, const th_val *input,
                   const th_val *output)
{
    th_buf *b = &actor->scratch;
    th_buf_reset(b);
    if (input)
        th_val_encode(input, b);
    size_t input_len = b->len;
    if (output)
        th_val_encode(output, b);
    const th_event *ev = th_chain_append(actor->chain, type, name, b->data, input_len,
                                         b->data + input_len, b->len - input_len,
                                         actor->has_state ? actor->state_hash : NULL, th_now_ns());
    if (actor->db) {
        bool with_state = actor->has_state && actor->state_unsaved;
        th_db_append_event(actor->db, actor->id, ev, with_state ? actor->state.data : NULL,
                           with_state ? actor->state.len : 0);
        actor->state_unsaved = false;
    }
    if (actor->observer)
        actor->observer(actor->observer_ud, actor, ev);
}

/* In `always` durability nothing of a call is acknowledged (returned to the
 * caller) before its events are on disk. */
static int make_durable(th_actor *actor, th_error *err)
{
    if (!actor->db || actor->durability != TH_DURABILITY_ALWAYS)
        return 0;
    if (th_db_sync(actor->db, err) == 0)
        return 0;
    return th_error_wrap(err, "actor %s: its events could not be made durable",
                         actor->manifest->name);
}

void th_actor_set_state(th_actor *actor, const th_val *state)
{
    th_buf_reset(&actor->state);
    actor->has_state = state->var.disc == 1;
    actor->state_unsaved = true;
    if (actor->has_state) {
        const th_val *bytes = state->var.payload;
        th_buf_append(&actor->state, bytes->bytes.ptr, bytes->bytes.len);
        th_sha256(actor->state.data ? actor->state.data : (const uint8_t *)"", actor->state.len,
                  actor->state_hash);
    }
}

static th_val *state_value(th_actor *actor)
{
    th_arena *a = &actor->call_arena;
    if (!actor->has_state)
        return th_val_option(a, NULL);
    return th_val_option(a, th_val_bytes(a, actor->state.data, actor->state.len));
}

void th_actor_record_stop(th_actor *actor, const char *reason)
{
    if (actor->stopped)
        return;
    record(actor, TH_EV_STOP, reason, NULL, NULL);
    actor->stopped = true;
    actor->stop_reason = reason;
    bool failed = strcmp(reason, "failed") == 0 || strcmp(reason, "escalated") == 0;
    if (actor->db)
        th_db_set_status(actor->db, actor->id, failed ? "failed" : "stopped");
}

/* The chain's record of the host call, made between the call and return
 * events of the export in progress. */
void th_actor_record_host_call(th_actor *actor, const th_import *imp, const th_val *params,
                               const th_val *result)
{
    th_val empty = {.kind = TH_VAL_TUPLE};
    record(actor, TH_EV_HOST, imp->name, params, result ? result : &empty);
}

int th_actor_invoke(th_actor *actor, th_export_id id, const th_val *params, th_val **results,
                    th_error *err)
{
    const th_export *e = th_catalog_export(id);
    /* The link belongs to this call only, whether or not it happens. */
    const th_val *link = actor->call_link;
    actor->call_link = NULL;
    if (actor->stopped)
        return th_error_set(err, "actor %s (%s) has stopped", actor->manifest->name, actor->id);
    if (!th_manifest_grants(actor->manifest, e->handler))
        return th_error_set(err,
                            "%s needs the '%s' handler, which the manifest of %s does not "
                            "grant",
                            e->name, th_handler_type_name(e->handler), actor->manifest->name);
    if (!actor->module->has_export[id])
        return th_error_set(err, "actor %s does not export %s", actor->manifest->name, e->name);

    th_arena *a = &actor->call_arena; /* the caller reset it before building params */
    th_val *args = th_val_tuple(a, 2);
    args->list.items[0] = *state_value(actor);
    args->list.items[1] = *params;
    record(actor, TH_EV_CALL, e->name, params, link);

    th_val *result;
    th_fault fault;
    actor->shutdown_requested = false;
    if (th_instance_call(actor->inst, id, args, a, &result, &fault)) {
        th_val *detail = th_val_new(a, TH_VAL_VARIANT);
        detail->var.disc = (uint32_t)fault.kind;
        detail->var.payload = th_val_string(a, fault.message, strlen(fault.message));
        record(actor, TH_EV_TRAP, e->name, NULL, detail);
        actor->fault = fault.kind;
        actor->fault_kind = th_trap_kind_name(fault.kind);
        th_actor_record_stop(actor, "failed");
        th_error_set(err, "actor %s failed in %s: %s: %s", actor->manifest->name, e->name,
                     actor->fault_kind, fault.message);
        th_error_mark_actor(err);
        th_error ignored; /* the failure above is the news; a sync error is sticky */
        make_durable(actor, &ignored);
        return -1;
    }

    if (result->var.disc == 1) { /* the export's own error: the actor goes on */
        record(actor, TH_EV_RETURN, e->name, NULL, result);
        if (actor->shutdown_requested)
            th_actor_record_stop(actor, "shutdown");
        actor->fault = TH_FAULT_EXPORT_ERROR;
        actor->fault_kind = th_trap_kind_name(TH_FAULT_EXPORT_ERROR);
        const th_val *msg = result->var.payload;
        th_error_set(err, "actor %s returned an error from %s: %.*s", actor->manifest->name,
                     e->name, (int)msg->bytes.len, (const char *)msg->bytes.ptr);
        th_error_mark_actor(err);
        th_error ignored;
        make_durable(actor, &ignored);
        return -1;
    }
    const th_val *ok = result->var.payload;
    th_actor_set_state(actor, &ok->list.items[0]);
    th_val *rest = th_val_tuple(a, ok->list.len - 1);
    for (size_t i = 1; i < ok->list.len; i++)
        rest->list.items[i - 1] = ok->list.items[i];
    record(actor, TH_EV_RETURN, e->name, NULL, th_val_ok(a, rest));
    if (results)
        *results = rest;
    if (actor->shutdown_requested)
        th_actor_record_stop(actor, "shutdown");
    return make_durable(actor, err);
}

void th_actor_new_id(char out[33])
{
    uint8_t raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            abort(); /* the kernel's CSPRNG does not fail otherwise after boot */
        got += (size_t)n;
    }
    th_hex_encode(raw, sizeof raw, out);
}

static void record_spawn(th_actor *actor)
{
    th_arena *a = &actor->call_arena;
    const th_manifest *m = actor->manifest;
    th_val *input = th_val_tuple(a, 4);
    input->list.items[0] = *th_val_string(a, actor->id, strlen(actor->id));
    input->list.items[1] = *th_val_string(a, m->name, strlen(m->name));
    input->list.items[2] = *th_val_string(a, m->version, strlen(m->version));
    input->list.items[3] = *th_val_bytes(a, actor->module->hash, TH_HASH_SIZE);
    record(actor, TH_EV_SPAWN, m->name, input, NULL);
}

static int check_served(const th_manifest *m, th_error *err)
{
    for (size_t i = 0; i < m->n_handlers; i++) {
        const th_handler_grant *g = &m->handlers[i];
        if (!th_handler_served(g->type))
            return th_error_set(err,
                                "%s:%d:%d: the '%s' handler is not served by this version "
                                "of Theater yet",
                                m->path ? m->path : "<manifest>", g->line, g->col,
                                th_handler_type_name(g->type));
    }
    return 0;
}

/* The store keeps its content in the database: without one, refused at
 * spawn rather than failing at the actor's first store call. */
static int check_store_has_db(const th_manifest *m, const th_db *db, th_error *err)
{
    const th_handler_grant *g = th_manifest_grant(m, TH_HANDLER_STORE);
    if (!g || db)
        return 0;
    return th_error_set(err,
                        "%s:%d:%d: the 'store' handler needs a data directory "
                        "(theater run --data DIR)",
                        m->path ? m->path : "<manifest>", g->line, g->col);
}

/* Registers the actor and its package before its first event. */
static void register_actor(th_actor *actor, const char *parent_id)
{
    th_module *module = actor->module;
    if (module->stored_in != actor->db) {
        th_db_put_package(actor->db, module->hash, module->wasm, module->wasm_len);
        module->stored_in = actor->db;
    }
    th_actor_record rec = {
        .name = actor->manifest->name,
        .manifest_path = actor->manifest->path,
        .manifest = actor->manifest->text,
        .status = "running",
        .created_ns = th_now_ns(),
    };
    memcpy(rec.id, actor->id, sizeof rec.id);
    snprintf(rec.parent, sizeof rec.parent, "%s", parent_id ? parent_id : "");
    memcpy(rec.package_hash, module->hash, TH_HASH_SIZE);
    th_db_put_actor(actor->db, &rec);
}

th_actor *th_actor_spawn(th_engine *engine, const th_manifest *manifest, th_error *err)
{
    return th_actor_spawn_with(engine, manifest, NULL, err);
}

th_actor *th_actor_new(th_engine *engine, const th_manifest *manifest, th_module *module, th_db *db)
{
    th_actor *actor = th_xcalloc(1, sizeof *actor);
    actor->engine = engine;
    actor->manifest = manifest;
    actor->module = module;
    actor->db = db;
    actor->fs_root = -1;
    if (db)
        actor->durability = manifest->has_durability ? manifest->durability : th_db_durability(db);
    return actor;
}

/* What spawn and resume share, once the actor has its id, chain and state:
 * registration, the spawn event and the instance. On failure the actor is
 * stopped (recorded) but not freed. */
static int actor_start(th_actor *actor, const char *parent_id, th_error *err)
{
    if (actor->db)
        register_actor(actor, parent_id);
    record_spawn(actor);
    actor->inst = th_instance_new(actor->engine, actor->module, &actor->manifest->limits, actor,
                                  th_actor_record_host_call, err);
    if (actor->inst)
        return 0;
    th_error_wrap(err, "actor %s", actor->manifest->name);
    th_actor_record_stop(actor, "failed");
    return -1;
}

static th_module *load_checked(th_engine *engine, const th_manifest *manifest, const uint8_t *wasm,
                               size_t wasm_len, th_error *err)
{
    if (check_served(manifest, err))
        return NULL;
    th_module *module =
        wasm ? th_engine_load_module_bytes(engine, wasm, wasm_len, manifest->name, err)
             : th_engine_load_module(engine, manifest->package, err);
    if (module && th_module_check_grants(module, manifest, err)) {
        th_error_wrap(err, "actor %s refused", manifest->name);
        return NULL;
    }
    return module;
}

th_actor *th_actor_spawn_with(th_engine *engine, const th_manifest *manifest,
                              const th_spawn_options *opts, th_error *err)
{
    return th_actor_spawn_as(engine, manifest, opts, NULL, NULL, err);
}

/* Sets the state a spawn starts from: the options' override, else the
 * manifest's initial_state, else none. */
static void set_initial_state(th_actor *actor, const th_spawn_options *opts)
{
    const th_manifest *m = actor->manifest;
    th_arena *a = &actor->call_arena;
    th_val *bytes = NULL;
    if (opts && opts->has_initial_state)
        bytes = th_val_bytes(a, opts->initial_state, opts->initial_state_len);
    else if (m->has_initial_state)
        bytes = th_val_bytes(a, m->initial_state, m->initial_state_len);
    th_actor_set_state(actor, th_val_option(a, bytes));
}

static int call_init(th_actor *actor, th_error *err)
{
    th_arena_reset(&actor->call_arena);
    th_val *params = th_val_tuple(&actor->call_arena, 1);
    params->list.items[0] = *th_val_string(&actor->call_arena, actor->id, strlen(actor->id));
    if (th_actor_invoke(actor, TH_EXPORT_INIT, params, NULL, err) == 0)
        return 0;
    th_actor_record_stop(actor, "failed"); /* its chain stays in the database, if any */
    return -1;
}

th_actor *th_actor_spawn_as(th_engine *engine, const th_manifest *manifest,
                            const th_spawn_options *opts, const char *id, struct th_cell *cell,
                            th_error *err)
{
    if (check_store_has_db(manifest, opts ? opts->db : NULL, err))
        return NULL;
    th_module *module = load_checked(engine, manifest, NULL, 0, err);
    if (!module)
        return NULL;
    th_actor *actor = th_actor_new(engine, manifest, module, opts ? opts->db : NULL);
    actor->chain = th_chain_new();
    actor->cell = cell;
    if (id)
        memcpy(actor->id, id, sizeof actor->id);
    else
        th_actor_new_id(actor->id);
    set_initial_state(actor, opts);
    if (actor_start(actor, opts ? opts->parent_id : NULL, err) || call_init(actor, err)) {
        th_actor_free(actor);
        return NULL;
    }
    return actor;
}

int th_actor_restart(th_actor *actor, bool reinit, const th_val *initial, th_error *err)
{
    th_instance_free(actor->inst);
    actor->inst = NULL;
    actor->stopped = false;
    actor->stop_reason = NULL;
    actor->shutdown_requested = false;
    actor->fault_kind = NULL;
    actor->has_exit_data = false;
    th_buf_reset(&actor->exit_data);
    if (reinit) {
        th_arena_reset(&actor->call_arena);
        th_actor_set_state(actor, initial ? initial : th_val_option(&actor->call_arena, NULL));
    }
    if (actor->db)
        th_db_set_status(actor->db, actor->id, "running");
    record_spawn(actor);
    actor->inst = th_instance_new(actor->engine, actor->module, &actor->manifest->limits, actor,
                                  th_actor_record_host_call, err);
    if (!actor->inst) {
        th_error_wrap(err, "actor %s", actor->manifest->name);
        th_actor_record_stop(actor, "failed");
        return -1;
    }
    return reinit ? call_init(actor, err) : 0;
}

/* Everything resume needs from the database, read before anything starts. */
typedef struct stored_actor {
    th_actor_info info;
    th_chain *chain;
    th_manifest *manifest;
    uint8_t *wasm, *state;
    size_t wasm_len, state_len;
} stored_actor;

static int read_stored(th_db *db, const char *id, stored_actor *s, th_error *err)
{
    th_db_reader *r = th_db_reader_open(db, err);
    if (!r)
        return -1;
    int rc = -1;
    th_verify_report rep;
    if (th_db_find_actor(r, id, &s->info, err))
        goto done;
    s->chain = th_db_load_chain(r, &s->info, 0, 0, err);
    if (!s->chain)
        goto done;
    if (!th_chain_verify(s->chain, &rep)) {
        th_error_set(err, "actor %s: its stored chain does not verify (%s), so it is not resumed",
                     s->info.id, rep.reason);
        goto done;
    }
    s->manifest =
        th_manifest_parse(s->info.manifest, strlen(s->info.manifest), s->info.manifest_path, err);
    if (!s->manifest) {
        th_error_wrap(err, "actor %s: its stored manifest", s->info.id);
        goto done;
    }
    int found = th_db_get_package(r, s->info.package_hash, &s->wasm, &s->wasm_len, err);
    if (found == 0)
        th_error_set(err, "actor %s: its package is not stored", s->info.id);
    if (found != 1)
        goto done;
    /* The chain verified; what it names by hash must match too, or a
     * swapped package or state would run under a chain that verifies. */
    size_t n = th_chain_length(s->chain);
    const th_event *last = n ? th_chain_event(s->chain, n - 1) : NULL;
    if (!th_sha256_matches(s->wasm, s->wasm_len, s->info.package_hash)) {
        th_error_set(err, "actor %s: its stored package does not hash to its name", s->info.id);
        goto done;
    }
    if (!last || last->has_state != s->info.has_state ||
        (last->has_state && memcmp(last->state_hash, s->info.state_hash, TH_HASH_SIZE) != 0)) {
        th_error_set(err, "actor %s: the registry's state is not its last event's", s->info.id);
        goto done;
    }
    if (s->info.has_state) {
        found = th_db_get_state(r, s->info.state_hash, &s->state, &s->state_len, err);
        if (found == 0)
            th_error_set(err, "actor %s: its last state is not stored", s->info.id);
        if (found != 1)
            goto done;
        if (!th_sha256_matches(s->state, s->state_len, s->info.state_hash)) {
            th_error_set(err, "actor %s: its stored state does not hash to its name", s->info.id);
            goto done;
        }
    }
    rc = 0;
done:
    th_db_reader_close(r);
    return rc;
}

th_actor *th_actor_resume(th_engine *engine, th_db *db, const char *id, th_error *err)
{
    return th_actor_resume_as(engine, db, id, NULL, err);
}

th_actor *th_actor_resume_as(th_engine *engine, th_db *db, const char *id, struct th_cell *cell,
                             th_error *err)
{
    stored_actor s = {0};
    th_actor *actor = NULL;
    th_module *module = NULL;
    if (read_stored(db, id, &s, err) == 0)
        module = load_checked(engine, s.manifest, s.wasm, s.wasm_len, err);
    if (module) {
        module->stored_in = db; /* it came from there */
        actor = th_actor_new(engine, s.manifest, module, db);
        actor->cell = cell;
        actor->owned_manifest = s.manifest;
        s.manifest = NULL;
        memcpy(actor->id, s.info.id, sizeof actor->id);
        actor->chain = s.chain; /* new events continue the stored chain */
        s.chain = NULL;
        if (s.info.has_state) {
            th_val *bytes = th_val_bytes(&actor->call_arena, s.state, s.state_len);
            th_actor_set_state(actor, th_val_option(&actor->call_arena, bytes));
        }
        if (actor_start(actor, s.info.parent[0] ? s.info.parent : NULL, err)) {
            th_actor_free(actor);
            actor = NULL;
        }
    }
    th_chain_free(s.chain);
    th_manifest_free(s.manifest);
    free(s.wasm);
    free(s.state);
    th_actor_info_clear(&s.info);
    return actor;
}

void th_actor_stop(th_actor *actor)
{
    th_actor_record_stop(actor, "ended");
}

void th_actor_free(th_actor *actor)
{
    if (!actor)
        return;
    th_instance_free(actor->inst);
    th_db_reader_close(actor->store_reader);
    if (actor->fs_root >= 0)
        close(actor->fs_root);
    th_chain_free(actor->chain);
    th_manifest_free(actor->owned_manifest);
    th_buf_free(&actor->state);
    th_buf_free(&actor->scratch);
    th_buf_free(&actor->exit_data);
    th_arena_free(&actor->call_arena);
    free(actor);
}

const char *th_actor_id(const th_actor *actor)
{
    return actor->id;
}

const char *th_actor_name(const th_actor *actor)
{
    return actor->manifest->name;
}

int th_actor_send(th_actor *actor, const uint8_t *msg, size_t len, th_error *err)
{
    th_arena_reset(&actor->call_arena);
    th_val *params = th_val_tuple(&actor->call_arena, 1);
    params->list.items[0] = *th_val_bytes(&actor->call_arena, msg, len);
    return th_actor_invoke(actor, TH_EXPORT_HANDLE_SEND, params, NULL, err);
}

int th_actor_request(th_actor *actor, const uint8_t *msg, size_t len, uint8_t **response,
                     size_t *response_len, th_error *err)
{
    th_arena_reset(&actor->call_arena);
    th_val *params = th_val_tuple(&actor->call_arena, 1);
    params->list.items[0] = *th_val_bytes(&actor->call_arena, msg, len);
    th_val *results;
    if (th_actor_invoke(actor, TH_EXPORT_HANDLE_REQUEST, params, &results, err))
        return -1;
    /* results = tuple<tuple<list<u8>>> */
    const th_val *bytes = &results->list.items[0].list.items[0];
    *response = th_xmemdup(bytes->bytes.ptr, bytes->bytes.len);
    *response_len = bytes->bytes.len;
    return 0;
}

const uint8_t *th_actor_state(const th_actor *actor, size_t *len, bool *present)
{
    *present = actor->has_state;
    *len = actor->has_state ? actor->state.len : 0;
    return actor->has_state ? (actor->state.data ? actor->state.data : (const uint8_t *)"") : NULL;
}

const th_chain *th_actor_chain(const th_actor *actor)
{
    return actor->chain;
}

bool th_actor_stopped(const th_actor *actor)
{
    return actor->stopped;
}

const char *th_actor_fault_kind(const th_actor *actor)
{
    return actor->fault_kind;
}
