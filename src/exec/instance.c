#include "exec/instance.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "exec/component.h"

static void refresh_memory(th_instance *inst)
{
    inst->mem.base = wasmtime_memory_data(inst->ctx, &inst->memory);
    inst->mem.size = wasmtime_memory_data_size(inst->ctx, &inst->memory);
}

/* ---- Faults ----------------------------------------------------------------- */

static void set_fault(th_fault *f, th_fault_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_fault(th_fault *f, th_fault_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    f->kind = kind;
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
}

/* Wasmtime's messages read "error while executing at wasm backtrace: ...
 * Caused by: <cause>"; the cause is what a user needs. */
static void cause_of(const char *msg, size_t len, char *out, size_t out_size)
{
    const char *marker = "Caused by:";
    const char *cause = msg, *end = msg + len;
    for (const char *p = msg; p + strlen(marker) <= end; p++)
        if (memcmp(p, marker, strlen(marker)) == 0)
            cause = p + strlen(marker);
    while (cause < end && (*cause == ' ' || *cause == '\n'))
        cause++;
    const char *nl = memchr(cause, '\n', (size_t)(end - cause));
    size_t n = (size_t)((nl ? nl : end) - cause);
    while (n && (cause[n - 1] == '\0' || cause[n - 1] == ' '))
        n--;
    snprintf(out, out_size, "%.*s", (int)n, cause);
}

/* A trap's cause found inside a host function (the guest lied to it) is
 * noted on the instance first, since a host function can only hand Wasmtime
 * a new trap and the cause would be lost on the way out. */
void th_instance_describe_fault(th_instance *inst, const char *msg, size_t len, bool has_code,
                                wasmtime_trap_code_t code, th_fault *f)
{
    char cause[400];
    cause_of(msg, len, cause, sizeof cause);
    if (inst->has_pending) {
        *f = inst->pending;
    } else if (has_code && code == WASMTIME_TRAP_CODE_OUT_OF_FUEL) {
        set_fault(f, TH_FAULT_TIMEOUT, "ran out of fuel (limit %" PRIu64 " per call)",
                  inst->limits.fuel);
    } else if (has_code && code == WASMTIME_TRAP_CODE_INTERRUPT) {
        set_fault(f, TH_FAULT_TIMEOUT, "exceeded its time limit of %u ms per call",
                  inst->limits.time_ms);
    } else if (has_code && code == WASMTIME_TRAP_CODE_STACK_OVERFLOW) {
        set_fault(f, TH_FAULT_TRAP, "stack overflow (wasm stack limit %u KiB)",
                  TH_MAX_WASM_STACK / 1024);
    } else if (!inst->mem.realloc) {
        set_fault(f, TH_FAULT_TRAP, "%s", cause); /* memory is not bound yet */
    } else {
        refresh_memory(inst);
        /* A guest whose allocator finds memory.grow refused usually ends in
         * a trap of its own making (Wasmtime's C API cannot make a refused
         * grow trap by itself). Memory within an eighth (at least 1 MiB) of
         * the limit tells the likely cause; the message says both. */
        uint64_t limit = inst->limits.memory_bytes;
        uint64_t slack = limit / 8 > (1u << 20) ? limit / 8 : (1u << 20);
        if (inst->mem.size + slack > limit)
            set_fault(f, TH_FAULT_OUT_OF_MEMORY,
                      "%s (linear memory is at %" PRIu64 " KiB of its %" PRIu64 " MiB limit)",
                      cause, inst->mem.size >> 10, limit >> 20);
        else
            set_fault(f, TH_FAULT_TRAP, "%s", cause);
    }
}

static void classify_trap(th_instance *inst, wasm_trap_t *trap, th_fault *f)
{
    wasm_message_t msg;
    wasm_trap_message(trap, &msg);
    wasmtime_trap_code_t code;
    bool has_code = wasmtime_trap_code(trap, &code);
    th_instance_describe_fault(inst, msg.data, msg.size, has_code, code, f);
    wasm_byte_vec_delete(&msg);
    wasm_trap_delete(trap);
}

/* Traps raised by host functions come back as errors. */
static void error_fault(th_instance *inst, wasmtime_error_t *error, th_fault *f)
{
    wasm_name_t msg;
    wasmtime_error_message(error, &msg);
    th_instance_describe_fault(inst, msg.data, msg.size, false, 0, f);
    wasm_byte_vec_delete(&msg);
    wasmtime_error_delete(error);
}

/* Calls a guest function whose core signature was checked when the module
 * was loaded (module.c), so Wasmtime need not check every argument's type
 * again on every call: that check takes a reference count shared by every
 * instance of the module, a third of a message's cost with many actors.
 * Core values here are only i32 and i64 (the canonical ABI of this WIT
 * package); each result's kind is set by the caller. */
static wasmtime_error_t *call_guest(th_instance *inst, const wasmtime_func_t *f,
                                    const wasmtime_val_t *args, size_t nargs, wasmtime_val_t *res,
                                    size_t nres, wasm_trap_t **trap)
{
    wasmtime_val_raw_t raw[TH_MAX_FLAT_PARAMS + 2];
    memset(raw, 0, sizeof raw);
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].kind == WASMTIME_I64)
            raw[i].i64 = args[i].of.i64;
        else
            raw[i].i32 = args[i].of.i32;
    }
    wasmtime_error_t *error =
        wasmtime_func_call_unchecked(inst->ctx, f, raw, nargs > nres ? nargs : nres, trap);
    if (error || *trap)
        return error;
    for (size_t i = 0; i < nres; i++) {
        if (res[i].kind == WASMTIME_I64)
            res[i].of.i64 = raw[i].i64;
        else
            res[i].of.i32 = raw[i].i32;
    }
    return NULL;
}

/* ---- Guest allocation ------------------------------------------------------- */

static int guest_realloc(th_canon_mem *m, uint32_t old_ptr, uint32_t old_size, uint32_t align,
                         uint32_t new_size, uint32_t *out, th_error *err)
{
    th_instance *inst = m->ctx;
    wasmtime_val_t args[4] = {
        {.kind = WASMTIME_I32, .of.i32 = (int32_t)old_ptr},
        {.kind = WASMTIME_I32, .of.i32 = (int32_t)old_size},
        {.kind = WASMTIME_I32, .of.i32 = (int32_t)align},
        {.kind = WASMTIME_I32, .of.i32 = (int32_t)new_size},
    };
    wasmtime_val_t res = {.kind = WASMTIME_I32};
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error = call_guest(inst, &inst->realloc, args, 4, &res, 1, &trap);
    if (error || trap) {
        th_fault f;
        if (trap)
            classify_trap(inst, trap, &f);
        else
            error_fault(inst, error, &f);
        if (!inst->has_pending) {
            inst->pending = f;
            inst->has_pending = true;
        }
        return th_error_set(err, "cabi_realloc(%u bytes) failed: %s", new_size, f.message);
    }
    refresh_memory(inst);
    *out = (uint32_t)res.of.i32;
    return 0;
}

/* ---- Host functions --------------------------------------------------------- */

/* Ends a host call with a trap whose cause is kept as the pending fault
 * (unless cabi_realloc already failed: that cause came first). */
static wasm_trap_t *host_trap(th_instance *inst, th_fault_kind kind, const th_import *imp,
                              const char *msg)
{
    inst->in_host = false;
    if (!inst->has_pending) {
        set_fault(&inst->pending, kind, "call to %s: %s", imp->name, msg);
        inst->has_pending = true;
    }
    return wasmtime_trap_new(inst->pending.message, strlen(inst->pending.message));
}

static wasm_trap_t *abi_trap(th_instance *inst, const th_import *imp, const th_error *err)
{
    return host_trap(inst, TH_FAULT_ABI, imp, err->msg);
}

static uint64_t from_wasm(const wasmtime_val_t *v)
{
    return v->kind == WASMTIME_I64 ? (uint64_t)v->of.i64 : (uint32_t)v->of.i32;
}

static void to_wasm(uint8_t flat, uint64_t raw, wasmtime_val_t *out)
{
    if (flat == TH_FLAT_I64) {
        out->kind = WASMTIME_I64;
        out->of.i64 = (int64_t)raw;
    } else {
        out->kind = WASMTIME_I32;
        out->of.i32 = (int32_t)(uint32_t)raw;
    }
}

static wasm_trap_t *host_trampoline(void *env, wasmtime_caller_t *caller,
                                    const wasmtime_val_t *args, size_t nargs,
                                    wasmtime_val_t *results, size_t nresults)
{
    const th_import *imp = env;
    th_instance *inst = wasmtime_context_get_data(wasmtime_caller_context(caller));
    th_error err;
    /* Host calls are recorded between an export's call and return events,
     * so they are served only during an export call: not from a start
     * function or _initialize, and not from the guest's cabi_realloc while
     * the host is handing it a value (that would also reuse the arena
     * holding the value). */
    if (!inst->in_call)
        return host_trap(inst, TH_FAULT_ABI, imp,
                         "host functions may only be called during an export call");
    if (inst->in_host)
        return host_trap(inst, TH_FAULT_ABI, imp,
                         "called from cabi_realloc while the host was handing the guest a value");
    inst->in_host = true;
    th_arena_reset(&inst->host_arena);
    refresh_memory(inst);

    uint64_t flat[TH_MAX_FLAT_PARAMS + 1];
    for (size_t i = 0; i < nargs && i <= TH_MAX_FLAT_PARAMS; i++)
        flat[i] = from_wasm(&args[i]);
    size_t pos = 0;
    th_val *params;
    const th_type *pt = imp->type.params;
    int rc =
        pt->n_flat > TH_MAX_FLAT_PARAMS
            ? th_canon_load(&inst->mem, pt, (uint32_t)flat[pos++], &inst->host_arena, &params, &err)
            : th_canon_lift_flat(&inst->mem, pt, flat, &pos, &inst->host_arena, &params, &err);
    if (rc)
        return abi_trap(inst, imp, &err);

    th_val *result = NULL;
    if (inst->replayer) {
        if (inst->replayer(inst->actor, imp, params, &inst->host_arena, &result, &err))
            return host_trap(inst, TH_FAULT_TRAP, imp, err.msg);
    } else if (!imp->fn) {
        return host_trap(inst, TH_FAULT_TRAP, imp, "not served by this version");
    } else if (imp->fn(inst->actor, params, &inst->host_arena, &result, &err)) {
        return host_trap(inst, TH_FAULT_TRAP, imp, err.msg);
    }
    if (inst->recorder)
        inst->recorder(inst->actor, imp, params, result);

    const th_type *rt = imp->type.result;
    if (rt && rt->n_flat > TH_MAX_FLAT_RESULTS) {
        uint32_t retptr = (uint32_t)flat[pos];
        if (th_canon_store(&inst->mem, rt, result, retptr, &err))
            return abi_trap(inst, imp, &err);
    } else if (rt) {
        uint64_t out[TH_MAX_FLAT_PARAMS + 1];
        size_t n = 0;
        if (th_canon_lower_flat(&inst->mem, rt, result, out, &n, &err))
            return abi_trap(inst, imp, &err);
        if (nresults == 1)
            to_wasm(rt->flat[0], out[0], &results[0]);
    }
    inst->in_host = false;
    return NULL;
}

static wasm_functype_t *functype_of(const th_core_sig *sig)
{
    wasm_valtype_vec_t params, results;
    wasm_valtype_vec_new_uninitialized(&params, sig->n_params);
    for (uint8_t i = 0; i < sig->n_params; i++)
        params.data[i] = wasm_valtype_new(sig->params[i] == TH_FLAT_I64 ? WASM_I64 : WASM_I32);
    wasm_valtype_vec_new_uninitialized(&results, sig->n_results);
    for (uint8_t i = 0; i < sig->n_results; i++)
        results.data[i] = wasm_valtype_new(sig->results[i] == TH_FLAT_I64 ? WASM_I64 : WASM_I32);
    return wasm_functype_new(&params, &results);
}

wasmtime_linker_t *th_linker_new(wasm_engine_t *engine, th_error *err)
{
    wasmtime_linker_t *linker = wasmtime_linker_new(engine);
    if (!linker) {
        th_error_set(err, "cannot create a Wasmtime linker");
        return NULL;
    }
    size_t n;
    const th_import *imports = th_catalog_imports(&n);
    for (size_t i = 0; i < n; i++) {
        const th_import *imp = &imports[i];
        wasm_functype_t *ft = functype_of(&imp->sig);
        wasmtime_error_t *error =
            wasmtime_linker_define_func(linker, imp->module, strlen(imp->module), imp->field,
                                        strlen(imp->field), ft, host_trampoline, (void *)imp, NULL);
        wasm_functype_delete(ft);
        if (error) {
            th_wasmtime_error(error, err, imp->name);
            wasmtime_linker_delete(linker);
            return NULL;
        }
    }
    return linker;
}

/* ---- Instances -------------------------------------------------------------- */

static void arm_limits(th_instance *inst)
{
    wasmtime_error_t *error = wasmtime_context_set_fuel(inst->ctx, inst->limits.fuel);
    if (error) /* only fails when fuel is off, which engine_config never does */
        wasmtime_error_delete(error);
    uint64_t ticks = (inst->limits.time_ms + TH_EPOCH_TICK_MS - 1) / TH_EPOCH_TICK_MS;
    wasmtime_context_set_epoch_deadline(inst->ctx, ticks + 1);
    inst->has_pending = false;
    inst->in_host = false;
}

static bool get_func(th_instance *inst, const char *name, wasmtime_func_t *out)
{
    wasmtime_extern_t item;
    if (!wasmtime_instance_export_get(inst->ctx, &inst->instance, name, strlen(name), &item))
        return false;
    if (item.kind != WASMTIME_EXTERN_FUNC) {
        wasmtime_extern_delete(&item);
        return false;
    }
    *out = item.of.func;
    return true;
}

th_instance *th_instance_new(th_engine *engine, th_module *module, const th_limits *limits,
                             th_actor *actor, th_host_recorder recorder, th_error *err)
{
    th_instance *inst = th_xcalloc(1, sizeof *inst);
    inst->module = module;
    inst->limits = *limits;
    inst->actor = actor;
    inst->recorder = recorder;
    inst->store = wasmtime_store_new(engine->wasm, inst, NULL);
    inst->ctx = wasmtime_store_context(inst->store);
    arm_limits(inst);
    if (module->component) {
        if (th_component_instantiate(inst, err))
            goto fail;
        return inst;
    }
    wasmtime_store_limiter(inst->store, (int64_t)limits->memory_bytes, 100000, 1, 1, 1);

    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error =
        wasmtime_instance_pre_instantiate(module->pre, inst->ctx, &inst->instance, &trap);
    if (error && inst->has_pending) { /* the start function called the host */
        wasmtime_error_delete(error);
        th_error_set(err, "the module's start function failed: %s", inst->pending.message);
        th_error_mark_actor(err);
        goto fail;
    }
    if (error) {
        th_wasmtime_error(error, err, "cannot instantiate the module");
        goto fail;
    }
    if (trap) {
        th_fault f;
        classify_trap(inst, trap, &f);
        th_error_set(err, "the module's start function failed: %s", f.message);
        th_error_mark_actor(err);
        goto fail;
    }
    wasmtime_extern_t mem;
    if (!wasmtime_instance_export_get(inst->ctx, &inst->instance, "memory", 6, &mem) ||
        mem.kind != WASMTIME_EXTERN_MEMORY) {
        th_error_set(err, "the module exports no memory");
        goto fail;
    }
    inst->memory = mem.of.memory;
    if (!get_func(inst, "cabi_realloc", &inst->realloc)) {
        th_error_set(err, "the module exports no cabi_realloc");
        goto fail;
    }
    for (int id = 0; id < TH_EXPORT_COUNT; id++) {
        const th_export *e = th_catalog_export((th_export_id)id);
        if ((module->has_export[id] && !get_func(inst, e->name, &inst->exports[id])) ||
            (module->has_post[id] && !get_func(inst, e->post_name, &inst->posts[id]))) {
            th_error_set(err, "the instance lacks the export %s that its module declares", e->name);
            goto fail;
        }
    }
    inst->mem.ctx = inst;
    inst->mem.realloc = guest_realloc;
    refresh_memory(inst);

    wasmtime_func_t init;
    if (module->has_initialize && get_func(inst, "_initialize", &init)) {
        error = wasmtime_func_call(inst->ctx, &init, NULL, 0, NULL, 0, &trap);
        th_fault f;
        if (error || trap) {
            if (trap)
                classify_trap(inst, trap, &f);
            else
                error_fault(inst, error, &f);
            th_error_set(err, "the module's _initialize failed: %s", f.message);
            th_error_mark_actor(err);
            goto fail;
        }
    }
    return inst;
fail:
    th_instance_free(inst);
    return NULL;
}

void th_instance_free(th_instance *inst)
{
    if (!inst)
        return;
    wasmtime_store_delete(inst->store);
    th_component_instance_free(inst->comp);
    th_arena_free(&inst->host_arena);
    free(inst);
}

/* Lowers args into core values: flat when they fit, else into memory. */
static int lower_args(th_instance *inst, const th_export *e, const th_val *args,
                      wasmtime_val_t *out, size_t *n_out, th_error *err)
{
    uint64_t flat[TH_MAX_FLAT_PARAMS + 1];
    size_t n = 0;
    const th_type *pt = e->type.params;
    if (pt->n_flat > TH_MAX_FLAT_PARAMS) {
        uint32_t ptr;
        if (guest_realloc(&inst->mem, 0, 0, pt->align, pt->size, &ptr, err) ||
            th_canon_store(&inst->mem, pt, args, ptr, err))
            return -1;
        flat[n++] = ptr;
    } else if (th_canon_lower_flat(&inst->mem, pt, args, flat, &n, err)) {
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        to_wasm(e->sig.params[i], flat[i], &out[i]);
    *n_out = n;
    return 0;
}

static int call_post(th_instance *inst, th_export_id id, wasmtime_val_t *ret, th_fault *fault)
{
    if (!inst->module->has_post[id])
        return 0;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error = call_guest(inst, &inst->posts[id], ret, 1, NULL, 0, &trap);
    if (trap) {
        classify_trap(inst, trap, fault);
        return -1;
    }
    if (error) {
        error_fault(inst, error, fault);
        return -1;
    }
    return 0;
}

static int call_export(th_instance *inst, const th_export *e, th_export_id id, const th_val *args,
                       th_arena *a, th_val **result, th_fault *fault)
{
    wasmtime_val_t cargs[TH_MAX_FLAT_PARAMS + 1], cres[1];
    size_t nargs;
    th_error err;
    if (lower_args(inst, e, args, cargs, &nargs, &err)) {
        if (inst->has_pending) /* cabi_realloc trapped: report why */
            *fault = inst->pending;
        else
            set_fault(fault, TH_FAULT_ABI, "passing arguments to %s: %s", e->name, err.msg);
        return -1;
    }
    wasm_trap_t *trap = NULL;
    cres[0].kind =
        e->sig.n_results && e->sig.results[0] == TH_FLAT_I64 ? WASMTIME_I64 : WASMTIME_I32;
    wasmtime_error_t *error =
        call_guest(inst, &inst->exports[id], cargs, nargs, cres, e->sig.n_results, &trap);
    if (trap) {
        classify_trap(inst, trap, fault);
        return -1;
    }
    if (error) {
        error_fault(inst, error, fault);
        return -1;
    }

    refresh_memory(inst);
    const th_type *rt = e->type.result;
    int rc;
    if (rt->n_flat > TH_MAX_FLAT_RESULTS) {
        rc = th_canon_load(&inst->mem, rt, (uint32_t)cres[0].of.i32, a, result, &err);
    } else {
        uint64_t flat = from_wasm(&cres[0]);
        size_t pos = 0;
        rc = th_canon_lift_flat(&inst->mem, rt, &flat, &pos, a, result, &err);
    }
    if (rc) {
        set_fault(fault, TH_FAULT_ABI, "result of %s: %s", e->name, err.msg);
        return -1;
    }
    return call_post(inst, id, cres, fault);
}

int th_instance_call(th_instance *inst, th_export_id id, const th_val *args, th_arena *a,
                     th_val **result, th_fault *fault)
{
    const th_export *e = th_catalog_export(id);
    if (!inst->module->has_export[id]) {
        set_fault(fault, TH_FAULT_EXPORT_ERROR, "the actor does not export %s", e->name);
        return -1;
    }
    arm_limits(inst);
    inst->in_call = true;
    int rc;
    if (inst->comp) {
        rc = th_component_call(inst, id, args, a, result, fault);
    } else {
        refresh_memory(inst);
        rc = call_export(inst, e, id, args, a, result, fault);
    }
    inst->in_call = false;
    return rc;
}
