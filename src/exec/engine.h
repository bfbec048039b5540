/* The executor's engine: one Wasmtime engine configured for determinism
 * and bounded execution, the linker that holds every host function, the
 * in-process table of loaded modules, and the epoch ticker thread.
 *
 * Threads: the ticker thread only increments the engine's epoch. The module
 * table is guarded by a mutex (loads are rare). Everything else in the
 * engine is immutable after th_engine_new, so any thread may use it. */
#ifndef TH_EXEC_ENGINE_H
#define TH_EXEC_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <wasmtime.h>

#include "theater/theater.h"

/* How often the epoch advances: the resolution of per-call time limits. */
#define TH_EPOCH_TICK_MS 5

/* The most wasm stack an actor may use; deeper recursion traps. */
#define TH_MAX_WASM_STACK (512 * 1024)

typedef struct th_module th_module;

struct th_engine {
    wasm_engine_t *wasm;
    wasmtime_linker_t *linker;
    char *cache_dir; /* NULL: no on-disk cache */
    th_log_fn log;
    void *log_userdata;
    pthread_t ticker;
    pthread_mutex_t ticker_lock; /* guards stop_ticker */
    pthread_cond_t wake;
    bool stop_ticker;
    pthread_mutex_t modules_lock;  /* guards modules; held while compiling */
    th_module *modules;            /* loaded modules, a singly linked list */
    struct th_package_file *files; /* which file held which module (guarded by modules_lock) */
};

/* Loads a package: from the in-process table, else the on-disk cache of
 * compiled code (keyed by the SHA-256 of the wasm bytes), else compiles it
 * and writes the cache. The engine owns the module. */
th_module *th_engine_load_module(th_engine *engine, const char *path, th_error *err);
/* The same from bytes in memory (a package stored by hash); `label` names
 * the package in messages. */
th_module *th_engine_load_module_bytes(th_engine *engine, const uint8_t *wasm, size_t len,
                                       const char *label, th_error *err);

/* The default log sink: "[name] message" on stderr. */
void th_log_stderr(void *userdata, const char *actor_id, const char *actor_name, const char *msg,
                   size_t len);

/* Wasmtime's error/trap as one sentence, then frees it. */
void th_wasmtime_error(wasmtime_error_t *error, th_error *err, const char *context);

#endif
