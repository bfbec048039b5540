/* The C SDK's ABI against the WIT package: each example actor, as built by
 * theater_add_actor(), must become a valid component with `wasm-tools
 * component embed` + `component new` for the world message-actor of wit/
 * (imports runtime and message-server-host, exports actor and
 * message-server-client). wasm-tools
 * applies the canonical ABI to the WIT on its own, so any export or import
 * of the SDK with a wrong core signature fails here. The examples must also
 * import exactly what their manifests allow, and no WASI. */
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char tmpdir[64];

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : 1;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* 0 when wasm-tools turns the module at `wasm` into a valid component. */
static int componentize(const char *wasm, const char *name)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' component embed '%s/wit' --world message-actor '%s' -o '%s/%s.embed' "
             "2>'%s/%s.err' && "
             "'%s' component new '%s/%s.embed' -o '%s/%s.component' 2>>'%s/%s.err' && "
             "'%s' validate '%s/%s.component' 2>>'%s/%s.err'",
             THEATER_WASM_TOOLS, THEATER_SOURCE_DIR, wasm, tmpdir, name, tmpdir, name,
             THEATER_WASM_TOOLS, tmpdir, name, tmpdir, name, tmpdir, name, THEATER_WASM_TOOLS,
             tmpdir, name, tmpdir, name);
    if (run(cmd) == 0)
        return 0;
    snprintf(cmd, sizeof cmd, "head -c 2000 '%s/%s.err' >&2", tmpdir, name);
    if (run(cmd))
        fprintf(stderr, "(no wasm-tools output)\n");
    return 1;
}

/* The module's imports, one "module field" per line, sorted. */
static int read_imports(const char *wasm, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(
        cmd, sizeof cmd,
        "'%s' print '%s' | sed -n 's/^ *(import \"\\([^\"]*\\)\" \"\\([^\"]*\\)\".*/\\1 \\2/p' "
        "| sort",
        THEATER_WASM_TOOLS, wasm);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    return pclose(p) == 0 ? 0 : -1;
}

static void example_path(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/examples/%s.wasm", THEATER_BINARY_DIR, name);
}

TEST(examples_are_valid_components)
{
    static const char *names[] = {"counter", "echo", "crasher"};
    for (size_t i = 0; i < 3; i++) {
        char wasm[512];
        example_path(names[i], wasm, sizeof wasm);
        CHECK_REPORT_(componentize(wasm, names[i]) == 0, "%s is not a valid component", wasm);
    }
}

TEST(examples_import_only_what_they_use)
{
    char wasm[512], imports[4096];
    example_path("counter", wasm, sizeof wasm);
    CHECK_EQ_INT(read_imports(wasm, imports, sizeof imports), 0);
    CHECK_STR_EQ(imports, "theater:simple/runtime log\n");
    example_path("echo", wasm, sizeof wasm);
    CHECK_EQ_INT(read_imports(wasm, imports, sizeof imports), 0);
    CHECK_STR_EQ(imports, "");
    example_path("crasher", wasm, sizeof wasm);
    CHECK_EQ_INT(read_imports(wasm, imports, sizeof imports), 0);
    CHECK_STR_EQ(imports, "");
}

/* The same check refuses a module whose handle-send has the wrong core type
 * (one parameter short), so the passing test above means something. */
TEST(a_wrong_signature_is_refused)
{
    static const char wat[] =
        "(module\n"
        "  (memory (export \"memory\") 1)\n"
        "  (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) unreachable)\n"
        "  (func (export \"theater:simple/actor#init\")\n"
        "    (param i32 i32 i32 i32 i32) (result i32) unreachable)\n"
        "  (func (export \"theater:simple/message-server-client#handle-send\")\n"
        "    (param i32 i32 i32 i32) (result i32) unreachable)\n"
        ")\n";
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/broken.wat", tmpdir);
    CHECK_EQ_INT(write_file(path, wat), 0);
    snprintf(cmd, sizeof cmd, "'%s' parse '%s' -o '%s/broken.wasm'", THEATER_WASM_TOOLS, path,
             tmpdir);
    CHECK_EQ_INT(run(cmd), 0);
    snprintf(path, sizeof path, "%s/broken.wasm", tmpdir);
    fprintf(stderr, "(wasm-tools is expected to refuse the next module)\n");
    CHECK_EQ_INT(componentize(path, "broken"), 1);
}

int main(void)
{
    if (!*THEATER_WASM_TOOLS) {
        fprintf(stderr, "wasm-tools is not configured (scripts/setup.sh installs it)\n");
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/theater-test-sdk-abi-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "cannot prepare %s\n", tmpdir);
        return 1;
    }
    RUN(examples_are_valid_components);
    RUN(examples_import_only_what_they_use);
    RUN(a_wrong_signature_is_refused);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (run(cmd))
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
