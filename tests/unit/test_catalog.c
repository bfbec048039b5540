/* The executor's catalogue (src/exec/catalog.c) against the WIT package
 * (wit/): a module that imports every catalogue function and exports every
 * catalogue export, each with the core signature the catalogue computes,
 * must be accepted by wasm-tools as an implementation of the world
 * `theater:simple/actor`. wasm-tools applies the canonical ABI to the WIT on
 * its own, so any disagreement in a type or a signature fails here. */
#include <stdlib.h>
#include <string.h>
#include <wasmtime.h>

#include "check.h"
#include "wat.h"
#include "common/buf.h"
#include "exec/catalog.h"

static char tmpdir[64];

static void append_sig(th_buf *b, const th_core_sig *sig)
{
    for (uint8_t i = 0; i < sig->n_params; i++)
        th_buf_printf(b, " (param %s)", sig->params[i] == TH_FLAT_I64 ? "i64" : "i32");
    for (uint8_t i = 0; i < sig->n_results; i++)
        th_buf_printf(b, " (result %s)", sig->results[i] == TH_FLAT_I64 ? "i64" : "i32");
}

/* `broken` changes one import's signature, to show the check can fail. */
static void catalogue_module(th_buf *wat, bool broken)
{
    th_buf_append_str(wat, "(module\n");
    size_t n;
    const th_import *imports = th_catalog_imports(&n);
    for (size_t i = 0; i < n; i++) {
        th_buf_printf(wat, "  (import \"%s\" \"%s\" (func", imports[i].module, imports[i].field);
        if (broken && i == 0)
            th_buf_append_str(wat, " (param i32)");
        else
            append_sig(wat, &imports[i].sig);
        th_buf_append_str(wat, "))\n");
    }
    th_buf_append_str(wat, "  (memory (export \"memory\") 1)\n"
                           "  (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32)"
                           " unreachable)\n");
    for (int id = 0; id < TH_EXPORT_COUNT; id++) {
        const th_export *e = th_catalog_export((th_export_id)id);
        th_buf_printf(wat, "  (func (export \"%s\")", e->name);
        append_sig(wat, &e->sig);
        th_buf_printf(wat, " unreachable)\n  (func (export \"%s\") (param i32))\n", e->post_name);
    }
    th_buf_append_str(wat, ")\n");
}

static int wasm_tools_accepts(const th_buf *wat, const char *name)
{
    char *path = wat_to_file(tmpdir, name, (const char *)wat->data, wat->len);
    if (!path)
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' component embed '%s/wit' --world actor-world '%s' -o '%s.embed' 2>'%s.err' && "
             "'%s' component new '%s.embed' -o '%s.component' 2>>'%s.err'",
             THEATER_WASM_TOOLS, THEATER_SOURCE_DIR, path, path, path, THEATER_WASM_TOOLS, path,
             path, path);
    int rc = system(cmd);
    if (rc != 0) {
        snprintf(cmd, sizeof cmd, "head -c 2000 '%s.err' >&2", path);
        if (system(cmd) != 0)
            fprintf(stderr, "(no wasm-tools output)\n");
    }
    free(path);
    return rc == 0 ? 0 : 1;
}

TEST(catalogue_matches_wit)
{
    th_buf wat = TH_BUF_INIT;
    catalogue_module(&wat, false);
    CHECK_EQ_INT(wasm_tools_accepts(&wat, "catalogue"), 0);
    th_buf_free(&wat);
}

TEST(a_wrong_signature_is_caught)
{
    th_buf wat = TH_BUF_INIT;
    catalogue_module(&wat, true);
    fprintf(stderr, "(wasm-tools is expected to refuse the next module)\n");
    CHECK_EQ_INT(wasm_tools_accepts(&wat, "broken"), 1);
    th_buf_free(&wat);
}

TEST(wit_package_parses)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' component wit '%s/wit' > /dev/null", THEATER_WASM_TOOLS,
             THEATER_SOURCE_DIR);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    th_error err;
    if (th_catalog_init(&err)) {
        fprintf(stderr, "catalogue: %s\n", err.msg);
        return 1;
    }
    if (!*THEATER_WASM_TOOLS) {
        fprintf(stderr, "wasm-tools is not configured (scripts/setup.sh installs it)\n");
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/theater-test-catalog-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    RUN(wit_package_parses);
    RUN(catalogue_matches_wit);
    RUN(a_wrong_signature_is_caught);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
