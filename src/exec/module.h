/* A compiled actor package and what it imports and exports, checked
 * against the catalogue once at load time. */
#ifndef TH_EXEC_MODULE_H
#define TH_EXEC_MODULE_H

#include <wasmtime.h>

#include "exec/catalog.h"
#include "exec/engine.h"

struct th_module {
    th_module *next; /* in the engine's table */
    uint8_t hash[TH_HASH_SIZE];
    uint8_t *wasm; /* the package's bytes, for storing it by hash */
    size_t wasm_len;
    const void *stored_in;          /* the database it was last stored in (an identity only) */
    struct th_component *component; /* a component (component.c) instead of module, or NULL */
    wasmtime_module_t *module;
    wasmtime_instance_pre_t *pre; /* pre-linked for fast instantiation */
    const th_import **imports;    /* catalogue entry per import, in order */
    size_t n_imports;
    bool has_export[TH_EXPORT_COUNT];
    bool has_post[TH_EXPORT_COUNT];
    bool has_initialize; /* `_initialize`, called once after instantiation */
};

/* Compiles (or deserializes) and validates: every import must be in the
 * catalogue with the right core signature, and exports in the catalogue
 * must have theirs. Errors name the import or export. */
th_module *th_module_new(th_engine *engine, const uint8_t *wasm, size_t len,
                         const uint8_t hash[TH_HASH_SIZE], th_error *err);
void th_module_free(th_module *m);

/* Refuses a module that imports an interface the manifest does not grant,
 * or that a grant has but this version does not serve; names the import. */
int th_module_check_grants(const th_module *m, const th_manifest *manifest, th_error *err);

/* The on-disk cache of compiled code, shared with components: the file for
 * a package's hash (malloc'd; NULL when the engine has no cache), and an
 * atomic, best-effort write of serialized code to it. */
char *th_cache_path(const th_engine *engine, const uint8_t hash[TH_HASH_SIZE]);
void th_cache_write(const th_engine *engine, const char *path, const uint8_t *code, size_t len);

#endif
