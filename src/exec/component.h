/* Component Model components: an actor packaged with `wasm-tools component
 * new` (or cargo-component, componentize-js) runs through Wasmtime's
 * component API, with the same catalogue, handlers, recorder and chain as a
 * core module. Values cross as wasmtime_component_val_t, converted to and
 * from th_val by the catalogue's WIT types; the names a component value
 * needs (record fields, variant cases) are read from the component's own
 * types once, at load, where every import and export is also checked
 * against the catalogue. Slower than the core path on bytes: see
 * docs/abi.md, "Components". */
#ifndef TH_EXEC_COMPONENT_H
#define TH_EXEC_COMPONENT_H

#include <stdbool.h>

#include "exec/instance.h"

typedef struct th_component th_component;
typedef struct th_component_instance th_component_instance;

/* True when the bytes start with a component's header: the magic, version
 * 0x0d and layer 1 (a core module has version 1, layer 0). */
bool th_is_component(const uint8_t *wasm, size_t len);

/* Compiles m->wasm (or loads it from the on-disk cache), checks its imports
 * and exports against the catalogue, links the host functions it imports,
 * and fills m->component, m->imports and m->has_export. On failure m keeps
 * what was made, for th_module_free. Errors name the import or export. */
int th_component_load(th_engine *engine, th_module *m, th_error *err);
void th_component_free(th_component *c);

/* Instantiates the component of inst->module into inst's store (created and
 * armed by th_instance_new) and sets inst->comp. */
int th_component_instantiate(th_instance *inst, th_error *err);
void th_component_instance_free(th_component_instance *ci);

/* th_instance_call for a component: the same contract. */
int th_component_call(th_instance *inst, th_export_id id, const th_val *args, th_arena *a,
                      th_val **result, th_fault *fault);

#endif
