#include "exec/module.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hex.h"
#include "exec/component.h"
#include "exec/instance.h"

/* ---- The on-disk cache of compiled code ----------------------------------
 * A compiled module is machine code, so the cache directory is trusted like
 * the binary itself: it is the user's own, written atomically (a temporary
 * file renamed into place). Wasmtime refuses a file compiled by another
 * version or configuration; we then recompile and overwrite it. */

char *th_cache_path(const th_engine *engine, const uint8_t hash[TH_HASH_SIZE])
{
    if (!engine->cache_dir)
        return NULL;
    char hex[2 * TH_HASH_SIZE + 1];
    th_hex_encode(hash, TH_HASH_SIZE, hex);
    th_buf b = TH_BUF_INIT;
    th_buf_printf(&b, "%s/%s.cwasm", engine->cache_dir, hex);
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, NULL);
}

static wasmtime_module_t *cache_load(th_engine *engine, const char *path)
{
    if (access(path, R_OK) != 0)
        return NULL;
    wasmtime_module_t *module = NULL;
    wasmtime_error_t *error = wasmtime_module_deserialize_file(engine->wasm, path, &module);
    if (error) {
        wasmtime_error_delete(error); /* stale or foreign: recompile */
        return NULL;
    }
    return module;
}

/* Best effort: a read-only or full disk only costs a recompile next time. */
void th_cache_write(const th_engine *engine, const char *path, const uint8_t *code, size_t len)
{
    if (th_mkdir_p(engine->cache_dir, 0755) < 0)
        return;
    th_buf tmp = TH_BUF_INIT;
    th_buf_printf(&tmp, "%s.%d.tmp", path, (int)getpid());
    const char *tmp_path = th_buf_cstr(&tmp);
    int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    for (size_t off = 0; ok && off < len;) {
        ssize_t n = write(fd, code + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        off += ok ? (size_t)n : 0;
    }
    if (fd >= 0 && close(fd) < 0)
        ok = false;
    if (!ok || rename(tmp_path, path) < 0)
        unlink(tmp_path);
    th_buf_free(&tmp);
}

static void cache_store(th_engine *engine, const char *path, wasmtime_module_t *module)
{
    wasm_byte_vec_t code;
    wasmtime_error_t *error = wasmtime_module_serialize(module, &code);
    if (error) {
        wasmtime_error_delete(error);
        return;
    }
    th_cache_write(engine, path, (const uint8_t *)code.data, code.size);
    wasm_byte_vec_delete(&code);
}

static wasmtime_module_t *compile(th_engine *engine, const uint8_t *wasm, size_t len,
                                  const uint8_t hash[TH_HASH_SIZE], th_error *err)
{
    char *path = th_cache_path(engine, hash);
    wasmtime_module_t *module = path ? cache_load(engine, path) : NULL;
    if (!module) {
        wasmtime_error_t *error = wasmtime_module_new(engine->wasm, wasm, len, &module);
        if (error) {
            th_wasmtime_error(error, err, "invalid WebAssembly");
            free(path);
            return NULL;
        }
        if (path)
            cache_store(engine, path, module);
    }
    free(path);
    return module;
}

/* ---- Checking imports and exports against the catalogue ------------------ */

static void sig_of(const wasm_functype_t *ft, th_core_sig *out)
{
    memset(out, 0, sizeof *out);
    const wasm_valtype_vec_t *params = wasm_functype_params(ft);
    const wasm_valtype_vec_t *results = wasm_functype_results(ft);
    for (size_t i = 0; i < params->size && i <= TH_MAX_FLAT_PARAMS; i++) {
        wasm_valkind_t k = wasm_valtype_kind(params->data[i]);
        out->params[out->n_params++] = k == WASM_I32   ? TH_FLAT_I32
                                       : k == WASM_I64 ? TH_FLAT_I64
                                                       : 0;
    }
    out->n_results = results->size > 1 ? 2 : (uint8_t)results->size;
    if (results->size == 1) {
        wasm_valkind_t k = wasm_valtype_kind(results->data[0]);
        out->results[0] = k == WASM_I32 ? TH_FLAT_I32 : k == WASM_I64 ? TH_FLAT_I64 : 0;
    }
}

static bool sig_equal(const th_core_sig *a, const th_core_sig *b)
{
    return a->n_params == b->n_params && a->n_results == b->n_results &&
           memcmp(a->params, b->params, a->n_params) == 0 &&
           memcmp(a->results, b->results, a->n_results) == 0;
}

static int sig_mismatch(const char *what, const char *name, const th_core_sig *want,
                        const wasm_functype_t *ft, th_error *err)
{
    th_core_sig got;
    sig_of(ft, &got);
    char got_s[160], want_s[160];
    th_core_sig_render(&got, got_s, sizeof got_s);
    th_core_sig_render(want, want_s, sizeof want_s);
    return th_error_set(err,
                        "%s '%s' has core type %s, but the canonical ABI of theater:simple "
                        "needs %s",
                        what, name, got_s, want_s);
}

static int check_import(th_module *m, const wasm_importtype_t *it, th_error *err)
{
    const wasm_name_t *mod = wasm_importtype_module(it), *field = wasm_importtype_name(it);
    if (memchr(mod->data, 0, mod->size) || memchr(field->data, 0, field->size))
        return th_error_set(err, "an import name contains a NUL byte");
    char mod_s[128], field_s[128];
    if (mod->size >= sizeof mod_s || field->size >= sizeof field_s)
        return th_error_set(err, "an import name is longer than %zu bytes", sizeof mod_s - 1);
    snprintf(mod_s, sizeof mod_s, "%.*s", (int)mod->size, mod->data);
    snprintf(field_s, sizeof field_s, "%.*s", (int)field->size, field->data);
    const wasm_externtype_t *et = wasm_importtype_type(it);
    if (wasm_externtype_kind(et) != WASM_EXTERN_FUNC)
        return th_error_set(err,
                            "import '%s#%s' is not a function; an actor defines its own "
                            "memory, tables and globals",
                            mod_s, field_s);
    const th_import *imp = th_catalog_find_import(mod_s, field_s);
    if (!imp) {
        if (th_catalog_interface_handler(mod_s) >= 0)
            return th_error_set(err, "import '%s#%s': interface %s has no function '%s'", mod_s,
                                field_s, mod_s, field_s);
        return th_error_set(err,
                            "import '%s#%s' is not provided by Theater: actors reach the world "
                            "only through the theater:simple interfaces (WASI is not provided)",
                            mod_s, field_s);
    }
    th_core_sig got;
    const wasm_functype_t *ft = wasm_externtype_as_functype_const(et);
    sig_of(ft, &got);
    if (!sig_equal(&got, &imp->sig))
        return sig_mismatch("import", imp->name, &imp->sig, ft, err);
    m->imports[m->n_imports++] = imp;
    return 0;
}

static int check_export(th_module *m, const wasm_exporttype_t *et, th_error *err)
{
    const wasm_name_t *n = wasm_exporttype_name(et);
    if (memchr(n->data, 0, n->size))
        return th_error_set(err, "an export name contains a NUL byte");
    char name[256];
    if (n->size >= sizeof name)
        return 0; /* longer than any name the catalogue knows: not ours */
    snprintf(name, sizeof name, "%.*s", (int)n->size, n->data);
    const wasm_externtype_t *type = wasm_exporttype_type(et);
    bool is_func = wasm_externtype_kind(type) == WASM_EXTERN_FUNC;
    const wasm_functype_t *ft = is_func ? wasm_externtype_as_functype_const(type) : NULL;
    th_core_sig got;
    if (ft)
        sig_of(ft, &got);

    for (int id = 0; id < TH_EXPORT_COUNT; id++) {
        const th_export *e = th_catalog_export((th_export_id)id);
        if (strcmp(name, e->name) == 0) {
            if (!ft || !sig_equal(&got, &e->sig))
                return ft ? sig_mismatch("export", name, &e->sig, ft, err)
                          : th_error_set(err, "export '%s' must be a function", name);
            m->has_export[id] = true;
            return 0;
        }
        if (strcmp(name, e->post_name) == 0) {
            th_core_sig want = {.n_params = 1, .params = {TH_FLAT_I32}};
            if (!ft || !sig_equal(&got, &want))
                return ft ? sig_mismatch("export", name, &want, ft, err)
                          : th_error_set(err, "export '%s' must be a function", name);
            m->has_post[id] = true;
            return 0;
        }
    }
    if (strcmp(name, "cabi_realloc") == 0) {
        th_core_sig want = {.n_params = 4,
                            .params = {TH_FLAT_I32, TH_FLAT_I32, TH_FLAT_I32, TH_FLAT_I32},
                            .n_results = 1,
                            .results = {TH_FLAT_I32}};
        if (!ft || !sig_equal(&got, &want))
            return ft ? sig_mismatch("export", name, &want, ft, err)
                      : th_error_set(err, "export 'cabi_realloc' must be a function");
    } else if (strcmp(name, "_initialize") == 0) {
        th_core_sig want = {0};
        if (!ft || !sig_equal(&got, &want))
            return ft ? sig_mismatch("export", name, &want, ft, err)
                      : th_error_set(err, "export '_initialize' must be a function");
        m->has_initialize = true;
    } else if (strcmp(name, "memory") == 0 && wasm_externtype_kind(type) != WASM_EXTERN_MEMORY) {
        return th_error_set(err, "export 'memory' must be a memory");
    }
    return 0;
}

static bool exports_name(const wasm_exporttype_vec_t *exports, const char *name)
{
    for (size_t i = 0; i < exports->size; i++) {
        const wasm_name_t *n = wasm_exporttype_name(exports->data[i]);
        if (n->size == strlen(name) && memcmp(n->data, name, n->size) == 0)
            return true;
    }
    return false;
}

static int validate(th_module *m, th_error *err)
{
    wasm_importtype_vec_t imports;
    wasmtime_module_imports(m->module, &imports);
    m->imports = th_xcalloc(imports.size ? imports.size : 1, sizeof *m->imports);
    int rc = 0;
    for (size_t i = 0; i < imports.size && !rc; i++)
        rc = check_import(m, imports.data[i], err);
    wasm_importtype_vec_delete(&imports);
    if (rc)
        return -1;

    wasm_exporttype_vec_t exports;
    wasmtime_module_exports(m->module, &exports);
    for (size_t i = 0; i < exports.size && !rc; i++)
        rc = check_export(m, exports.data[i], err);
    if (!rc && !exports_name(&exports, "memory"))
        rc = th_error_set(err, "the module exports no memory named 'memory'");
    if (!rc && !exports_name(&exports, "cabi_realloc"))
        rc = th_error_set(err, "the module exports no 'cabi_realloc', which the host needs to "
                               "hand it the state and messages");
    if (!rc && !m->has_export[TH_EXPORT_INIT])
        rc = th_error_set(err, "the module does not export '%s'",
                          th_catalog_export(TH_EXPORT_INIT)->name);
    wasm_exporttype_vec_delete(&exports);
    return rc;
}

th_module *th_module_new(th_engine *engine, const uint8_t *wasm, size_t len,
                         const uint8_t hash[TH_HASH_SIZE], th_error *err)
{
    th_module *m = th_xcalloc(1, sizeof *m);
    memcpy(m->hash, hash, TH_HASH_SIZE);
    m->wasm = th_xmemdup(wasm, len);
    m->wasm_len = len;
    if (th_is_component(wasm, len)) {
        if (th_component_load(engine, m, err))
            goto fail;
        return m;
    }
    m->module = compile(engine, wasm, len, hash, err);
    if (!m->module || validate(m, err))
        goto fail;
    wasmtime_error_t *error = wasmtime_linker_instantiate_pre(engine->linker, m->module, &m->pre);
    if (error) {
        th_wasmtime_error(error, err, "cannot link the module");
        goto fail;
    }
    return m;
fail:
    th_module_free(m);
    return NULL;
}

void th_module_free(th_module *m)
{
    if (!m)
        return;
    if (m->pre)
        wasmtime_instance_pre_delete(m->pre);
    if (m->module)
        wasmtime_module_delete(m->module);
    th_component_free(m->component);
    free(m->imports);
    free(m->wasm);
    free(m);
}

int th_module_check_grants(const th_module *m, const th_manifest *manifest, th_error *err)
{
    for (size_t i = 0; i < m->n_imports; i++) {
        const th_import *imp = m->imports[i];
        const char *handler = th_handler_type_name(imp->handler);
        if (!th_manifest_grants(manifest, imp->handler))
            return th_error_set(err,
                                "import '%s' needs the '%s' handler, which the manifest does not "
                                "grant (add [[handlers]] type = \"%s\")",
                                imp->name, handler, handler);
        if (!imp->fn)
            return th_error_set(err,
                                "import '%s': the '%s' handler is not served by this version of "
                                "Theater yet",
                                imp->name, handler);
    }
    return 0;
}
