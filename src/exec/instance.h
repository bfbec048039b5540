/* One live actor instance: a Wasmtime store with its limits, the instance,
 * and the canonical-ABI glue to call its exports and to serve its imports.
 * An instance is used by one thread at a time (its actor's). */
#ifndef TH_EXEC_INSTANCE_H
#define TH_EXEC_INSTANCE_H

#include <wasmtime.h>

#include "exec/canon.h"
#include "exec/catalog.h"
#include "exec/module.h"

/* Why a call failed; the numbers are the cases of WIT `actor-error`. */
typedef enum th_fault_kind {
    TH_FAULT_TRAP = 0,
    TH_FAULT_TIMEOUT = 1,
    TH_FAULT_OUT_OF_MEMORY = 2,
    TH_FAULT_EXPORT_ERROR = 3,
    TH_FAULT_ABI = 4,
} th_fault_kind;

typedef struct th_fault {
    th_fault_kind kind;
    char message[512];
} th_fault;

/* Called after every host call with its lifted params and the result that
 * is about to be lowered (NULL when the function returns nothing). */
typedef void (*th_host_recorder)(th_actor *actor, const th_import *imp, const th_val *params,
                                 const th_val *result);

/* In replay, what a host call returns comes from the recorded chain instead
 * of the real handler; -1 (with err) traps the call: the replay diverged. */
typedef int (*th_host_replayer)(th_actor *actor, const th_import *imp, const th_val *params,
                                th_arena *a, th_val **result, th_error *err);

typedef struct th_instance {
    th_module *module;
    th_limits limits;
    struct th_component_instance *comp; /* a component's instance (component.c), or NULL */
    wasmtime_store_t *store;
    wasmtime_context_t *ctx;
    wasmtime_instance_t instance;
    wasmtime_memory_t memory;
    wasmtime_func_t realloc;
    wasmtime_func_t exports[TH_EXPORT_COUNT];
    wasmtime_func_t posts[TH_EXPORT_COUNT];
    th_canon_mem mem;
    th_actor *actor;           /* handed to host functions */
    th_host_recorder recorder; /* may be NULL */
    th_host_replayer replayer; /* NULL except in replay */
    th_arena host_arena;       /* values of the host call in progress */
    bool in_call;              /* an export call is in progress */
    bool in_host;              /* a host function is in progress */
    /* The cause of a trap found where Wasmtime cannot carry it: inside a
     * host function (the guest lied to it) or inside cabi_realloc (it ran
     * out of fuel). Reported instead of the trap Wasmtime returns. */
    bool has_pending;
    th_fault pending;
} th_instance;

/* The linker with every catalogue import defined (engine.c calls it once). */
wasmtime_linker_t *th_linker_new(wasm_engine_t *engine, th_error *err);

/* Instantiates the module with the given limits and calls `_initialize`
 * when the module exports it. */
th_instance *th_instance_new(th_engine *engine, th_module *module, const th_limits *limits,
                             th_actor *actor, th_host_recorder recorder, th_error *err);
void th_instance_free(th_instance *inst);

/* Describes why a call failed from Wasmtime's message and trap code (when
 * it has one): the pending fault first, then fuel, time, stack, memory. */
void th_instance_describe_fault(th_instance *inst, const char *msg, size_t len, bool has_code,
                                wasmtime_trap_code_t code, th_fault *f);

/* Calls an export with args = tuple(state, params) and lifts its result
 * (result<tuple<state, ...>, string>) into `a`. On failure returns -1 and
 * describes the fault; the instance must not be called again after a
 * fault, since the guest may be in any state. */
int th_instance_call(th_instance *inst, th_export_id id, const th_val *args, th_arena *a,
                     th_val **result, th_fault *fault);

#endif
