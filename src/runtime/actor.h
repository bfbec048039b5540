/* An actor: an instance, its state and its chain. Every call into the
 * actor and every host call it makes goes through here to be recorded.
 * One thread drives an actor at a time. */
#ifndef TH_RUNTIME_ACTOR_H
#define TH_RUNTIME_ACTOR_H

#include "chain/chain.h"
#include "common/buf.h"
#include "exec/instance.h"
#include "manifest/manifest.h"
#include "store/db.h"

struct th_actor {
    th_engine *engine;
    const th_manifest *manifest; /* borrowed (outlives the actor) or owned_manifest */
    th_manifest *owned_manifest; /* resume's stored manifest (manifest points at it), or NULL */
    char id[33];
    th_module *module; /* owned by the engine */
    th_instance *inst; /* owned */
    th_chain *chain;   /* owned */
    th_buf state;      /* the current state's bytes when has_state */
    bool has_state;
    uint8_t state_hash[TH_HASH_SIZE];
    bool stopped;
    bool shutdown_requested; /* runtime.shutdown was called during this call */
    const char *fault_kind;  /* of the last failed call, or NULL */
    th_db *db;               /* NULL: nothing is persisted */
    /* The store handler's read connection, opened at its first read; owned. */
    th_db_reader *store_reader;
    /* The filesystem handler's root (O_PATH), opened at its first use; -1
     * until then; owned. */
    int fs_root;
    th_durability durability;
    bool state_unsaved;        /* the current state's bytes are not in the db yet */
    th_arena call_arena;       /* values of the call in progress */
    const th_chain *replaying; /* in replay: the recorded chain (borrowed) */
    th_buf scratch;            /* encodings on their way into the chain */
    /* In a runtime: the actor's cell (runtime/cell.h), else NULL. */
    struct th_cell *cell;
    /* The next call event's causal link (its output), or NULL: set by
     * whoever delivers a message from another actor, used once. */
    const th_val *call_link;
    const char *stop_reason; /* the stop event's name, once stopped */
    th_fault_kind fault;     /* of the last failed call, when fault_kind */
    bool has_exit_data;      /* runtime.shutdown's data, for the supervisor */
    th_buf exit_data;
    /* Told of every event appended, with the actor's lock held. */
    void (*observer)(void *ud, const th_actor *actor, const th_event *ev);
    void *observer_ud;
};

/* Calls an export with its params (a tuple, without the state, allocated in
 * actor->call_arena after resetting it) and returns
 * the results after the state (a tuple) in the actor's call arena, valid
 * until the next call. An export's own error, a trap or a fault returns -1
 * with err describing it; a fault also stops the actor. */
int th_actor_invoke(th_actor *actor, th_export_id id, const th_val *params, th_val **results,
                    th_error *err);

/* Spawns with a given id into a runtime cell (set before init runs, so
 * host calls made by init can reach the runtime). */
th_actor *th_actor_spawn_as(th_engine *engine, const th_manifest *manifest,
                            const th_spawn_options *opts, const char *id, struct th_cell *cell,
                            th_error *err);
/* th_actor_resume into a runtime cell. */
th_actor *th_actor_resume_as(th_engine *engine, th_db *db, const char *id, struct th_cell *cell,
                             th_error *err);
/* Starts a stopped actor again, continuing its chain with a spawn event:
 * from its last state, or from `initial` (NULL: none) and init again.
 * On failure the actor is stopped (recorded) and -1 returned. */
int th_actor_restart(th_actor *actor, bool reinit, const th_val *initial, th_error *err);
/* A fresh random actor id. */
void th_actor_new_id(char out[33]);

/* For the runtime's own modules (resume, replay): an actor with no id,
 * chain or instance yet; the caller sets them up. */
th_actor *th_actor_new(th_engine *engine, const th_manifest *manifest, th_module *module,
                       th_db *db);
/* Sets the state from an option<list<u8>> value and rehashes it. */
void th_actor_set_state(th_actor *actor, const th_val *state);
/* Appends a stop event (once) and marks the actor stopped. */
void th_actor_record_stop(th_actor *actor, const char *reason);
/* The recorder th_instance_new is given: a host event in the chain. */
void th_actor_record_host_call(th_actor *actor, const th_import *imp, const th_val *params,
                               const th_val *result);

#endif
