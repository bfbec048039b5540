/* theater build [DIR]: compiles the C actor in DIR (every *.c beside its
 * manifest.toml) with the C SDK into DIR/build/NAME.wasm, the way
 * sdk/c/TheaterActor.cmake does, then checks the module as `theater run`
 * would: no WASI imports, every import in the catalogue and granted by the
 * manifest. With wasm-tools at hand it also wraps the module as a
 * Component Model component.
 *
 * Subdirectories of DIR that hold a manifest.toml of their own (a
 * supervisor's workers) are built first, the same way. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "exec/catalog.h"
#include "exec/engine.h"
#include "exec/module.h"
#include "manifest/manifest.h"
#include "theater/theater.h"

extern char **environ;

static const char build_usage[] =
    "usage: theater build [DIR] [--no-component] [--verbose] [-- CLANG_ARGS...]\n"
    "\n"
    "Compiles the actor in DIR (default: the current directory): every *.c file\n"
    "beside DIR/manifest.toml, with the C SDK, into DIR/build/NAME.wasm (NAME is\n"
    "the manifest's name). clang targets wasm32 as a WASI reactor, with Debian's\n"
    "wasi-libc for malloc and string.h, exactly as sdk/c/TheaterActor.cmake does.\n"
    "The module is then checked as `theater run` would check it: it must import\n"
    "no WASI (no stdio, assert() or abort()), and only what the manifest grants.\n"
    "Subdirectories with a manifest.toml of their own (a supervisor's workers)\n"
    "are built first, the same way.\n"
    "\n"
    "When wasm-tools is found ($THEATER_WASM_TOOLS, wasm-tools on PATH, or the\n"
    "one scripts/setup.sh puts in ~/.cache/theater), the module is also made a\n"
    "Component Model component, DIR/build/NAME.component.wasm, for a world of\n"
    "the WIT package theater:simple that holds exactly what the actor imports\n"
    "and exports.\n"
    "\n"
    "options:\n"
    "  --no-component   do not make the component\n"
    "  --verbose, -v    print each command before running it\n"
    "  -- CLANG_ARGS    pass the rest to clang, e.g. -- -Wl,-z,stack-size=1048576\n"
    "\n"
    "environment:\n"
    "  THEATER_SDK      the C SDK directory (sdk/c); default: found beside the\n"
    "                   theater executable (../sdk/c or ../../sdk/c)\n"
    "  THEATER_CLANG    the clang to use (default: clang, else clang-14)\n"
    "  WASI_SYSROOT     a wasi-libc sysroot other than clang's default\n"
    "\n"
    "exit status: 0 built, 2 bad arguments, no manifest, a compile error or a\n"
    "module Theater would refuse\n";

/* The flags of TheaterActor.cmake (THEATER_WASM_CFLAGS and _LDFLAGS), minus
 * -Werror: warnings are the user's to see, not to be stopped by. */
static const char *const compile_flags[] = {
    "--target=wasm32-wasi",
    "-mexec-model=reactor",
    "-std=gnu17",
    "-O2",
    "-g0",
    "-Wall",
    "-Wextra",
    "-Wshadow",
    "-Wstrict-prototypes",
    "-Wmissing-prototypes",
};
static const char *const link_flags[] = {"-Wl,--stack-first", "-Wl,--strip-debug"};

/* What wasm-tools prints on failure is kept up to this size. */
#define TOOL_OUTPUT_MAX (64 * 1024)
/* Workers of workers of ...: deeper than this is a mistake (or a loop). */
#define MAX_DEPTH 8
/* The world `theater build` writes for wasm-tools. */
#define BUILD_WORLD "build-actor"

typedef struct build_opts {
    const char *dir;
    bool component, verbose;
    char **clang_args; /* after "--"; borrowed from argv */
    int n_clang_args;
} build_opts;

/* What every actor of one build shares, found once. */
typedef struct toolchain {
    char *sdk;          /* the SDK's directory, absolute */
    char **sdk_sources; /* the SDK's C sources (its src/), sorted */
    size_t n_sdk_sources;
    char *wasm_tools;  /* NULL: no component */
    char *wit;         /* the WIT package's directory; NULL: no component */
    th_engine *engine; /* for the checks; made when first needed */
    const build_opts *opts;
} toolchain;

/* ---- Paths and directories ------------------------------------------------------------ */

/* dir/name, without a leading "./" so that what is printed reads as typed. */
static char *path_join(const char *dir, const char *name)
{
    th_buf b = TH_BUF_INIT;
    if (strcmp(dir, ".") != 0) {
        th_buf_append_str(&b, dir);
        if (b.len && b.data[b.len - 1] != '/')
            th_buf_append_byte(&b, '/');
    }
    th_buf_append_str(&b, name);
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, NULL);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir that `want` accepts, as dir/name, sorted (so a build
 * does the same thing whatever order readdir gives). -1 with err when dir
 * cannot be read. */
typedef bool (*entry_filter)(const char *dir, const char *name);

static int list_dir(const char *dir, entry_filter want, char ***out, size_t *count, th_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return th_error_set(err, "cannot read the directory %s: %s", dir, strerror(errno));
    char **items = NULL;
    size_t n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !want(dir, e->d_name))
            continue;
        items = th_xrealloc(items, (n + 1) * sizeof *items);
        items[n++] = path_join(dir, e->d_name);
        errno = 0;
    }
    int read_errno = errno;
    closedir(d);
    if (read_errno) {
        free_list(items, n);
        return th_error_set(err, "cannot read the directory %s: %s", dir, strerror(read_errno));
    }
    if (n)
        qsort(items, n, sizeof *items, compare_names);
    *out = items;
    *count = n;
    return 0;
}

static bool is_c_source(const char *dir, const char *name)
{
    char *path = path_join(dir, name);
    bool yes = ends_with(name, ".c") && is_file(path);
    free(path);
    return yes;
}

static bool is_wit_file(const char *dir, const char *name)
{
    char *path = path_join(dir, name);
    bool yes = ends_with(name, ".wit") && is_file(path);
    free(path);
    return yes;
}

/* A subdirectory (not a symlink, so a link cannot make the walk loop) with
 * a manifest of its own; build/ is output, never an actor. */
static bool is_actor_subdir(const char *dir, const char *name)
{
    if (strcmp(name, "build") == 0)
        return false;
    char *path = path_join(dir, name);
    struct stat st;
    bool yes = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
    if (yes) {
        char *manifest = path_join(path, "manifest.toml");
        yes = is_file(manifest);
        free(manifest);
    }
    free(path);
    return yes;
}

/* ---- Finding the SDK and the tools ---------------------------------------------------- */

static bool is_sdk(const char *dir)
{
    char *header = path_join(dir, "include/theater/actor.h");
    char *src = path_join(dir, "src");
    bool yes = is_file(header) && is_dir(src);
    free(header);
    free(src);
    return yes;
}

/* `rel` against the directory the running executable is in, if that
 * makes an SDK. */
static char *sdk_beside_executable(const char *rel)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    char *candidate = path_join(exe, rel);
    char *real = realpath(candidate, NULL);
    free(candidate);
    if (real && !is_sdk(real)) {
        free(real);
        real = NULL;
    }
    return real;
}

char *cli_sdk_dir(th_error *err)
{
    const char *env = getenv("THEATER_SDK");
    if (env && *env) {
        char *real = realpath(env, NULL);
        if (real && is_sdk(real))
            return real;
        free(real);
        th_error_set(err,
                     "THEATER_SDK=%s is not the C SDK (it needs include/theater/actor.h and "
                     "src/, as sdk/c of a Theater source tree has)",
                     env);
        return NULL;
    }
    /* build/theater in a source tree, or a binary one level deeper. */
    static const char *const beside[] = {"../sdk/c", "../../sdk/c"};
    for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
        char *sdk = sdk_beside_executable(beside[i]);
        if (sdk)
            return sdk;
    }
    th_error_set(err, "cannot find the C SDK beside the theater executable (../sdk/c): set "
                      "THEATER_SDK to the sdk/c directory of a Theater source tree");
    return NULL;
}

static bool is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* `name` on $PATH, malloc'd; NULL when it is not there. */
static char *find_in_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return NULL;
    char *copy = th_xstrdup(path), *save = NULL;
    char *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *candidate = path_join(*dir ? dir : ".", name);
        if (is_executable(candidate))
            found = candidate;
        else
            free(candidate);
    }
    free(copy);
    return found;
}

/* The newest ~/.cache/theater/wasm-tools-VERSION/bin/wasm-tools, which
 * scripts/setup.sh builds for the project's own tests. */
static char *wasm_tools_in_cache(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    th_buf pattern = TH_BUF_INIT;
    if (xdg && *xdg)
        th_buf_printf(&pattern, "%s/theater/wasm-tools-*/bin/wasm-tools", xdg);
    else if (home && *home)
        th_buf_printf(&pattern, "%s/.cache/theater/wasm-tools-*/bin/wasm-tools", home);
    else
        return NULL;
    glob_t g;
    char *best = NULL;
    if (glob(th_buf_cstr(&pattern), 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (is_executable(g.gl_pathv[i]) && (!best || strverscmp(g.gl_pathv[i], best) > 0))
                best = g.gl_pathv[i];
        best = best ? th_xstrdup(best) : NULL;
        globfree(&g);
    }
    th_buf_free(&pattern);
    return best;
}

/* wasm-tools, or NULL with *why saying why there will be no component. */
static char *find_wasm_tools(const char **why)
{
    const char *env = getenv("THEATER_WASM_TOOLS");
    if (env && *env) {
        if (is_executable(env))
            return th_xstrdup(env);
        *why = "THEATER_WASM_TOOLS does not name an executable";
        return NULL;
    }
    char *found = find_in_path("wasm-tools");
    if (!found)
        found = wasm_tools_in_cache();
    if (!found)
        *why = "wasm-tools was not found (set THEATER_WASM_TOOLS, or put it on PATH)";
    return found;
}

/* The WIT package theater:simple: beside the SDK in an installed layout,
 * else wit/ at the top of the source tree the SDK is in. */
static char *find_wit(const char *sdk)
{
    static const char *const places[] = {"wit", "../../wit"};
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        char *dir = path_join(sdk, places[i]);
        char *world = path_join(dir, "world.wit");
        bool yes = is_file(world);
        free(world);
        if (yes)
            return dir;
        free(dir);
    }
    return NULL;
}

/* ---- Running a tool -------------------------------------------------------------------- */

/* Prints argv as a shell would need it typed, for --verbose. */
static void print_command(char *const *argv)
{
    th_buf b = TH_BUF_INIT;
    for (size_t i = 0; argv[i]; i++) {
        const char *a = argv[i];
        bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_=+./,:@%") == strlen(a);
        if (i)
            th_buf_append_byte(&b, ' ');
        if (plain) {
            th_buf_append_str(&b, a);
            continue;
        }
        th_buf_append_byte(&b, '\'');
        for (const char *p = a; *p; p++)
            if (*p == '\'')
                th_buf_append_str(&b, "'\\''");
            else
                th_buf_append_byte(&b, (uint8_t)*p);
        th_buf_append_byte(&b, '\'');
    }
    printf("+ %s\n", th_buf_cstr(&b));
    fflush(stdout);
    th_buf_free(&b);
}

/* Reads what the child writes until it closes the pipe, keeping the first
 * TOOL_OUTPUT_MAX bytes (the rest is drained so the child never blocks). */
static void drain(int fd, th_buf *out)
{
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out->len < TOOL_OUTPUT_MAX)
            th_buf_append(out, chunk, (size_t)n);
    }
}

/* Runs argv[0] (searched on PATH) and waits for it. Its output goes to
 * ours, or with `captured` into that buffer. Returns its exit status, 127
 * when it could not be started (errno in *spawn_errno), 128+N when killed
 * by signal N. */
static int run_tool(char *const *argv, bool verbose, th_buf *captured, int *spawn_errno)
{
    if (verbose)
        print_command(argv);
    fflush(stdout);
    fflush(stderr);
    int fds[2] = {-1, -1};
    *spawn_errno = 0;
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc) {
        *spawn_errno = rc;
        return 127;
    }
    if (captured) {
        if (pipe2(fds, O_CLOEXEC)) {
            *spawn_errno = errno;
            posix_spawn_file_actions_destroy(&actions);
            return 127;
        }
        rc = posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        if (!rc)
            rc = posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    }
    pid_t pid;
    if (!rc)
        rc = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (captured) {
        close(fds[1]);
        if (!rc)
            drain(fds[0], captured);
        close(fds[0]);
    }
    if (rc) {
        *spawn_errno = rc;
        return 127;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            *spawn_errno = errno;
            return 127;
        }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* ---- The module's imports, read from the binary ---------------------------------------- */

/* Enough of the wasm binary format to list a module's imports: the WASI
 * check runs before Wasmtime sees the module, so that what the user reads
 * is "printf needs WASI", not "unknown import". */
typedef struct wasm_reader {
    const uint8_t *p, *end;
} wasm_reader;

static int read_leb(wasm_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return -1;
        uint8_t byte = *r->p++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int read_byte(wasm_reader *r, uint8_t *out)
{
    if (r->p >= r->end)
        return -1;
    *out = *r->p++;
    return 0;
}

static int read_name(wasm_reader *r, const char **name, size_t *len)
{
    uint64_t n;
    if (read_leb(r, &n) || n > (uint64_t)(r->end - r->p))
        return -1;
    *name = (const char *)r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

/* Limits: a flags byte, the minimum, and the maximum when flag bit 0 says so. */
static int skip_limits(wasm_reader *r)
{
    uint8_t flags;
    uint64_t v;
    if (read_byte(r, &flags) || read_leb(r, &v))
        return -1;
    return (flags & 1) ? read_leb(r, &v) : 0;
}

/* What follows an import's names: its kind and type. */
static int skip_import_desc(wasm_reader *r)
{
    uint8_t kind, byte;
    uint64_t v;
    if (read_byte(r, &kind))
        return -1;
    switch (kind) {
    case 0x00: /* function: a type index */
        return read_leb(r, &v);
    case 0x01: /* table: a reference type, then limits */
        return read_byte(r, &byte) || skip_limits(r);
    case 0x02: /* memory */
        return skip_limits(r);
    case 0x03: /* global: a value type and mutability */
        return read_byte(r, &byte) || read_byte(r, &byte);
    case 0x04: /* tag: an attribute, then a type index */
        return read_byte(r, &byte) || read_leb(r, &v);
    default:
        return -1;
    }
}

static bool is_wasi_module(const char *name, size_t len)
{
    return (len == 22 && memcmp(name, "wasi_snapshot_preview1", 22) == 0) ||
           (len == 13 && memcmp(name, "wasi_unstable", 13) == 0);
}

/* Appends ", name" for each WASI function the import section names; -1
 * when the section cannot be read (Wasmtime will then say what is wrong). */
static int wasi_imports_in_section(wasm_reader *r, th_buf *names)
{
    uint64_t count;
    if (read_leb(r, &count))
        return -1;
    for (uint64_t i = 0; i < count; i++) {
        const char *module, *field;
        size_t module_len, field_len;
        if (read_name(r, &module, &module_len) || read_name(r, &field, &field_len) ||
            skip_import_desc(r))
            return -1;
        if (is_wasi_module(module, module_len)) {
            th_buf_append_str(names, names->len ? ", " : "");
            th_buf_append(names, field, field_len);
        }
    }
    return 0;
}

/* The WASI functions a module imports, as "fd_write, proc_exit" in `names`
 * (empty when none). */
static void wasi_imports(const uint8_t *wasm, size_t len, th_buf *names)
{
    static const uint8_t header[8] = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
    if (len < sizeof header || memcmp(wasm, header, sizeof header) != 0)
        return;
    wasm_reader r = {wasm + sizeof header, wasm + len};
    while (r.p < r.end) {
        uint8_t id;
        uint64_t size;
        if (read_byte(&r, &id) || read_leb(&r, &size) || size > (uint64_t)(r.end - r.p))
            return;
        if (id == 2) { /* the import section */
            wasm_reader section = {r.p, r.p + size};
            wasi_imports_in_section(&section, names);
            return;
        }
        r.p += size;
    }
}

/* ---- Checking the module as `theater run` will --------------------------------------- */

/* "theater:simple/message-server-client#handle-send" -> the interface
 * "message-server-client" (len in *len). */
static const char *interface_of(const char *name, size_t *len)
{
    const char *slash = strchr(name, '/');
    const char *start = slash ? slash + 1 : name;
    const char *hash = strchr(start, '#');
    *len = hash ? (size_t)(hash - start) : strlen(start);
    return start;
}

/* Appends `iface` to the comma-separated list in `list` unless it is
 * already there. */
static void add_unique(th_buf *list, const char *iface, size_t len)
{
    const char *p = list->len ? th_buf_cstr(list) : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, iface, len) == 0)
            return;
        p = end ? end + 2 : p + n;
    }
    if (list->len)
        th_buf_append_str(list, ", ");
    th_buf_append(list, iface, len);
}

static void module_imports(const th_module *m, th_buf *out)
{
    for (size_t i = 0; i < m->n_imports; i++) {
        size_t len;
        const char *iface = interface_of(m->imports[i]->module, &len);
        add_unique(out, iface, len);
    }
}

static void module_exports(const th_module *m, th_buf *out)
{
    for (int id = 0; id < TH_EXPORT_COUNT; id++) {
        if (!m->has_export[id])
            continue;
        size_t len;
        const char *iface = interface_of(th_catalog_export((th_export_id)id)->name, &len);
        add_unique(out, iface, len);
    }
}

/* Exports the manifest gives no way to reach: handle-send without
 * message-server, for one. Worth a word (one per handler), not a failure. */
static void warn_unreachable_exports(const th_module *m, const th_manifest *manifest,
                                     const char *manifest_path)
{
    for (int type = 0; type < TH_HANDLER_COUNT; type++) {
        if (th_manifest_grants(manifest, (th_handler_type)type))
            continue;
        th_buf names = TH_BUF_INIT;
        for (int id = 0; id < TH_EXPORT_COUNT; id++) {
            const th_export *ex = th_catalog_export((th_export_id)id);
            if (m->has_export[id] && (int)ex->handler == type) {
                size_t len;
                th_buf_append_str(&names, names.len ? ", " : "");
                th_buf_append_str(&names, interface_of(ex->name, &len));
            }
        }
        const char *handler = th_handler_type_name((th_handler_type)type);
        if (names.len)
            fprintf(stderr,
                    "theater: build: warning: %s grants no '%s' handler, so nothing will call "
                    "what the module exports for it (%s): add [[handlers]] type = \"%s\"\n",
                    manifest_path, handler, th_buf_cstr(&names), handler);
        th_buf_free(&names);
    }
}

static th_engine *engine_of(toolchain *tc, th_error *err)
{
    if (!tc->engine) {
        /* Nothing is spawned: the pooling allocator's reservations would
         * only cost time. */
        th_engine_options opts = {.no_pooling = true};
        tc->engine = th_engine_new(&opts, err);
    }
    return tc->engine;
}

/* ---- One actor ------------------------------------------------------------------------- */

typedef struct actor_build {
    const char *dir;
    char *manifest_path; /* DIR/manifest.toml */
    th_manifest *manifest;
    char **sources;
    size_t n_sources;
    char *out_dir; /* DIR/build */
    char *wasm;    /* DIR/build/NAME.wasm */
    char *tmp;     /* where clang writes, renamed to wasm once checked */
    char *component;
    th_module *module; /* owned by the engine */
} actor_build;

static void actor_build_free(actor_build *b)
{
    if (b->tmp)
        (void)unlink(b->tmp); /* still there only when the build failed */
    free(b->manifest_path);
    th_manifest_free(b->manifest);
    free_list(b->sources, b->n_sources);
    free(b->out_dir);
    free(b->wasm);
    free(b->tmp);
    free(b->component);
}

static int load_manifest(actor_build *b, th_error *err)
{
    b->manifest_path = path_join(b->dir, "manifest.toml");
    if (!is_file(b->manifest_path))
        return th_error_set(err,
                            "%s has no manifest.toml, so there is no actor to build there "
                            "(`theater new NAME` makes a project with one)",
                            b->dir);
    b->manifest = th_manifest_load(b->manifest_path, err);
    return b->manifest ? 0 : -1;
}

static int plan_outputs(actor_build *b, th_error *err)
{
    const char *name = th_manifest_name(b->manifest);
    if (list_dir(b->dir, is_c_source, &b->sources, &b->n_sources, err))
        return -1;
    if (!b->n_sources)
        return th_error_set(err, "%s has no C sources (*.c) to build", b->dir);
    b->out_dir = path_join(b->dir, "build");
    if (th_mkdir_p(b->out_dir, 0755))
        return th_error_set(err, "cannot create %s: %s", b->out_dir, strerror(errno));
    th_buf path = TH_BUF_INIT;
    th_buf_printf(&path, "%s.wasm", name);
    b->wasm = path_join(b->out_dir, th_buf_cstr(&path));
    th_buf_reset(&path);
    th_buf_printf(&path, ".%s.wasm.%ld.tmp", name, (long)getpid());
    b->tmp = path_join(b->out_dir, th_buf_cstr(&path));
    th_buf_reset(&path);
    th_buf_printf(&path, "%s.component.wasm", name);
    b->component = path_join(b->out_dir, th_buf_cstr(&path));
    th_buf_free(&path);
    return 0;
}

/* flag + value + suffix, malloc'd: "-I" "/sdk" "/include". */
static char *flag_with(const char *flag, const char *value, const char *suffix)
{
    th_buf b = TH_BUF_INIT;
    th_buf_printf(&b, "%s%s%s", flag, value, suffix);
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, NULL);
}

static int compile(toolchain *tc, actor_build *b, th_error *err)
{
    size_t cap = 16 + sizeof compile_flags / sizeof compile_flags[0] + b->n_sources +
                 tc->n_sdk_sources + (size_t)tc->opts->n_clang_args;
    char **argv = th_xcalloc(cap, sizeof *argv);
    char *include_flag = flag_with("-I", tc->sdk, "/include"), *sysroot_flag = NULL;
    size_t n = 0;
    const char *clang = getenv("THEATER_CLANG");
    argv[n++] = (char *)(clang && *clang ? clang : "clang");
    for (size_t i = 0; i < sizeof compile_flags / sizeof compile_flags[0]; i++)
        argv[n++] = (char *)compile_flags[i];
    argv[n++] = include_flag;
    const char *sysroot = getenv("WASI_SYSROOT");
    if (sysroot && *sysroot) {
        sysroot_flag = flag_with("--sysroot=", sysroot, "");
        argv[n++] = sysroot_flag;
    }
    for (size_t i = 0; i < b->n_sources; i++)
        argv[n++] = b->sources[i];
    for (size_t i = 0; i < tc->n_sdk_sources; i++)
        argv[n++] = tc->sdk_sources[i];
    for (size_t i = 0; i < sizeof link_flags / sizeof link_flags[0]; i++)
        argv[n++] = (char *)link_flags[i];
    for (int i = 0; i < tc->opts->n_clang_args; i++)
        argv[n++] = tc->opts->clang_args[i];
    argv[n++] = (char *)"-o";
    argv[n++] = b->tmp;

    int spawn_errno = 0;
    int status = run_tool(argv, tc->opts->verbose, NULL, &spawn_errno);
    if (status == 127 && spawn_errno == ENOENT && !(clang && *clang)) {
        argv[0] = (char *)"clang-14"; /* Debian names the versioned one only, sometimes */
        status = run_tool(argv, tc->opts->verbose, NULL, &spawn_errno);
    }
    int rc = 0;
    if (status == 127 && spawn_errno)
        rc = th_error_set(err,
                          "cannot run %s: %s (install clang, lld and wasi-libc: apt-get install "
                          "clang lld wasi-libc libclang-rt-14-dev-wasm32; or set THEATER_CLANG)",
                          argv[0], strerror(spawn_errno));
    else if (status != 0)
        rc = th_error_set(err,
                          "clang could not compile the actor in %s (exit status %d): its "
                          "messages are above",
                          strcmp(b->dir, ".") == 0 ? "this directory" : b->dir, status);
    free(include_flag);
    free(sysroot_flag);
    free(argv);
    return rc;
}

/* The checks `theater run` would make, on the module clang wrote. */
static int check_module(toolchain *tc, actor_build *b, th_error *err)
{
    th_buf wasm = TH_BUF_INIT, wasi = TH_BUF_INIT;
    if (th_read_file(b->tmp, (size_t)1 << 30, &wasm)) {
        th_error_set(err, "cannot read what clang wrote (%s): %s", b->tmp, strerror(errno));
        goto fail;
    }
    wasi_imports(wasm.data, wasm.len, &wasi);
    if (wasi.len) {
        th_error_set(err,
                     "%s would import WASI (wasi_snapshot_preview1: %s), which actors are not "
                     "granted. Avoid stdio (printf, puts, fopen, ...), assert() and abort(): log "
                     "with theater_log() and stop with __builtin_trap()",
                     b->wasm, th_buf_cstr(&wasi));
        goto fail;
    }
    th_engine *engine = engine_of(tc, err);
    if (!engine)
        goto fail;
    b->module = th_engine_load_module_bytes(engine, wasm.data, wasm.len, b->wasm, err);
    if (!b->module)
        goto fail;
    if (th_module_check_grants(b->module, b->manifest, err)) {
        th_error_wrap(err, "%s cannot run under %s", b->wasm, b->manifest_path);
        goto fail;
    }
    th_buf_free(&wasm);
    th_buf_free(&wasi);
    return 0;
fail:
    th_buf_free(&wasm);
    th_buf_free(&wasi);
    return -1;
}

static void print_built(const actor_build *b)
{
    struct stat st;
    double kib = stat(b->wasm, &st) == 0 ? (double)st.st_size / 1024.0 : 0.0;
    th_buf line = TH_BUF_INIT;
    for (size_t i = 0; i < b->n_sources; i++) {
        const char *slash = strrchr(b->sources[i], '/');
        th_buf_append_str(&line, i ? ", " : "");
        th_buf_append_str(&line, slash ? slash + 1 : b->sources[i]);
    }
    printf("built     %s (%.1f KiB, from %s)\n", b->wasm, kib, th_buf_cstr(&line));
    th_buf_reset(&line);
    module_imports(b->module, &line);
    printf("imports   %s\n", line.len ? th_buf_cstr(&line) : "nothing");
    th_buf_reset(&line);
    module_exports(b->module, &line);
    printf("exports   %s\n", line.len ? th_buf_cstr(&line) : "nothing");
    th_buf_free(&line);
}

/* The manifest's package should be the module just built; say so when it
 * is not, since `theater run` loads the package, not the build. */
static void check_package(const actor_build *b)
{
    char *package = realpath(b->manifest->package, NULL);
    char *built = realpath(b->wasm, NULL);
    if (!package || !built || strcmp(package, built) != 0) {
        const char *name = th_manifest_name(b->manifest);
        fprintf(stderr,
                "theater: build: warning: %s's package is %s, not build/%s.wasm: `theater run` "
                "will not load this build (write package = \"build/%s.wasm\")\n",
                b->manifest_path, b->manifest->package, name, name);
    }
    free(package);
    free(built);
}

/* ---- The component ---------------------------------------------------------------------- */

/* A component implements whole interfaces: every function of each one the
 * module exports from. Lists what is missing. */
static void missing_exports(const th_module *m, th_buf *missing)
{
    for (int id = 0; id < TH_EXPORT_COUNT; id++) {
        if (m->has_export[id])
            continue;
        size_t len;
        const char *name = th_catalog_export((th_export_id)id)->name;
        const char *iface = interface_of(name, &len);
        for (int other = 0; other < TH_EXPORT_COUNT; other++) {
            size_t other_len;
            const char *o = interface_of(th_catalog_export((th_export_id)other)->name, &other_len);
            if (m->has_export[other] && other_len == len && memcmp(o, iface, len) == 0) {
                /* "message-server-client#handle-channel-open" */
                th_buf_append_str(missing, missing->len ? ", " : "");
                th_buf_append_str(missing, iface);
                break;
            }
        }
    }
}

/* world build-actor { import ...; export ...; } for exactly this module. */
static void world_text(const th_module *m, th_buf *out)
{
    th_buf imports = TH_BUF_INIT, exports = TH_BUF_INIT;
    module_imports(m, &imports);
    module_exports(m, &exports);
    th_buf_append_str(out, "// Written by `theater build`: what this actor imports and exports.\n"
                           "package theater:simple;\n\nworld " BUILD_WORLD " {\n");
    const char *kinds[2] = {"import", "export"};
    th_buf *lists[2] = {&imports, &exports};
    for (int k = 0; k < 2; k++) {
        const char *p = lists[k]->len ? th_buf_cstr(lists[k]) : "";
        while (*p) {
            const char *end = strchr(p, ',');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            th_buf_printf(out, "    %s %.*s;\n", kinds[k], (int)n, p);
            p = end ? end + 2 : p + n;
        }
    }
    th_buf_append_str(out, "}\n");
    th_buf_free(&imports);
    th_buf_free(&exports);
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* A copy of the WIT package with the build's world added, in a fresh
 * directory under build/ (removed afterwards). */
static char *prepare_wit(const toolchain *tc, const actor_build *b, th_error *err)
{
    char *dir = path_join(b->out_dir, ".wit-XXXXXX");
    if (!mkdtemp(dir)) {
        th_error_set(err, "cannot create a directory in %s: %s", b->out_dir, strerror(errno));
        free(dir);
        return NULL;
    }
    char **files = NULL;
    size_t n = 0;
    int rc = list_dir(tc->wit, is_wit_file, &files, &n, err);
    th_buf text = TH_BUF_INIT;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *slash = strrchr(files[i], '/');
        char *copy = path_join(dir, slash ? slash + 1 : files[i]);
        th_buf_reset(&text);
        if (th_read_file(files[i], (size_t)1 << 20, &text) || write_file(copy, text.data, text.len))
            rc = th_error_set(err, "cannot copy %s: %s", files[i], strerror(errno));
        free(copy);
    }
    if (!rc) {
        char *world = path_join(dir, BUILD_WORLD ".wit");
        th_buf_reset(&text);
        world_text(b->module, &text);
        if (write_file(world, text.data, text.len))
            rc = th_error_set(err, "cannot write %s: %s", world, strerror(errno));
        free(world);
    }
    th_buf_free(&text);
    free_list(files, n);
    if (rc) {
        free(dir);
        return NULL;
    }
    return dir;
}

static void remove_tree_of_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *path = path_join(dir, e->d_name);
            (void)unlink(path); /* best effort: only our own temporary files */
            free(path);
        }
        closedir(d);
    }
    (void)rmdir(dir);
}

/* wasm-tools ARGS..., its output kept; a message naming `step` on failure. */
static int wasm_tools(const toolchain *tc, const char *step, char **args, th_error *err)
{
    th_buf output = TH_BUF_INIT;
    int spawn_errno = 0;
    int status = run_tool(args, tc->opts->verbose, &output, &spawn_errno);
    int rc = 0;
    if (status == 127 && spawn_errno)
        rc = th_error_set(err, "cannot run %s: %s", tc->wasm_tools, strerror(spawn_errno));
    else if (status != 0)
        rc = th_error_set(err, "wasm-tools %s failed: %.*s", step, (int)output.len,
                          output.len ? (const char *)output.data : "(no output)");
    th_buf_free(&output);
    return rc;
}

static int make_component(const toolchain *tc, const actor_build *b, th_error *err)
{
    th_buf missing = TH_BUF_INIT;
    missing_exports(b->module, &missing);
    if (missing.len) {
        th_error_set(err,
                     "a component exports whole interfaces, and the module lacks %s "
                     "(THEATER_EXPORT_NO_CHANNELS() adds the channel functions)",
                     th_buf_cstr(&missing));
        th_buf_free(&missing);
        return -1;
    }
    th_buf_free(&missing);
    char *wit = prepare_wit(tc, b, err);
    if (!wit)
        return -1;
    char *embedded = path_join(wit, "embedded.wasm");
    char *tmp = path_join(wit, "component.wasm");
    char *embed[] = {tc->wasm_tools, "component", "embed", wit,      "--world",
                     BUILD_WORLD,    b->wasm,     "-o",    embedded, NULL};
    char *make[] = {tc->wasm_tools, "component", "new", embedded, "-o", tmp, NULL};
    int rc = wasm_tools(tc, "component embed", embed, err);
    if (!rc)
        rc = wasm_tools(tc, "component new", make, err);
    if (!rc && rename(tmp, b->component))
        rc = th_error_set(err, "cannot write %s: %s", b->component, strerror(errno));
    remove_tree_of_files(wit);
    free(embedded);
    free(tmp);
    free(wit);
    return rc;
}

static void component_step(const toolchain *tc, const actor_build *b, const char *no_tools_why)
{
    th_error err = {0};
    if (!tc->opts->component)
        return;
    if (!tc->wasm_tools || !tc->wit) {
        (void)unlink(b->component); /* never leave one older than the module beside it */
        printf("component (none: %s)\n",
               !tc->wasm_tools ? no_tools_why : "the WIT package (wit/) is not beside the SDK");
        return;
    }
    if (make_component(tc, b, &err)) {
        (void)unlink(b->component);
        fprintf(stderr, "theater: build: warning: no component: %s\n", err.msg);
        return;
    }
    printf("component %s (wasm-tools component new, world " BUILD_WORLD ")\n", b->component);
}

static int build_actor(toolchain *tc, const char *dir, int depth, const char *no_tools_why,
                       th_error *err);

/* The actors in subdirectories first: a parent's [[children]] need theirs. */
static int build_subdirs(toolchain *tc, const char *dir, int depth, const char *no_tools_why,
                         th_error *err)
{
    char **subdirs = NULL;
    size_t n = 0;
    if (list_dir(dir, is_actor_subdir, &subdirs, &n, err))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = build_actor(tc, subdirs[i], depth + 1, no_tools_why, err);
    free_list(subdirs, n);
    return rc;
}

static int build_actor(toolchain *tc, const char *dir, int depth, const char *no_tools_why,
                       th_error *err)
{
    if (depth > MAX_DEPTH)
        return th_error_set(err, "%s: actors nested more than %d directories deep", dir, MAX_DEPTH);
    actor_build b = {.dir = dir};
    int rc = load_manifest(&b, err);
    if (!rc)
        rc = build_subdirs(tc, dir, depth, no_tools_why, err);
    if (!rc)
        rc = plan_outputs(&b, err);
    if (!rc)
        rc = compile(tc, &b, err);
    if (!rc)
        rc = check_module(tc, &b, err);
    if (!rc && rename(b.tmp, b.wasm))
        rc = th_error_set(err, "cannot write %s: %s", b.wasm, strerror(errno));
    if (rc && b.wasm) {
        /* Never leave an older module (or component) to be run as if this
         * build had made it. */
        (void)unlink(b.wasm);
        (void)unlink(b.component);
    }
    if (!rc) {
        print_built(&b);
        warn_unreachable_exports(b.module, b.manifest, b.manifest_path);
        check_package(&b);
        component_step(tc, &b, no_tools_why);
    }
    actor_build_free(&b);
    return rc;
}

/* ---- The command ------------------------------------------------------------------------ */

static int parse_args(int argc, char **argv, build_opts *o)
{
    *o = (build_opts){.dir = ".", .component = true};
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            o->clang_args = argv + i + 1;
            o->n_clang_args = argc - i - 1;
            break;
        } else if (cli_is_help(a)) {
            fputs(build_usage, stdout);
            exit(EXIT_OK);
        } else if (strcmp(a, "--no-component") == 0) {
            o->component = false;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            o->verbose = true;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("build: unknown option '%s' (see `theater build --help`)", a);
        } else if (dir) {
            return cli_usage_error("build: one directory at a time ('%s' is extra)", a);
        } else {
            dir = a;
        }
    }
    if (dir)
        o->dir = dir;
    return EXIT_OK;
}

/* DIR without trailing slashes, so that paths print as DIR/build/... */
static char *clean_dir(const char *dir)
{
    char *d = th_xstrdup(dir);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    return d;
}

static int setup_toolchain(toolchain *tc, const char **no_tools_why, th_error *err)
{
    tc->sdk = cli_sdk_dir(err);
    if (!tc->sdk)
        return -1;
    char *src = path_join(tc->sdk, "src");
    int rc = list_dir(src, is_c_source, &tc->sdk_sources, &tc->n_sdk_sources, err);
    free(src);
    if (rc)
        return -1;
    if (tc->opts->component) {
        tc->wasm_tools = find_wasm_tools(no_tools_why);
        tc->wit = find_wit(tc->sdk);
    }
    return 0;
}

static void toolchain_free(toolchain *tc)
{
    free(tc->sdk);
    free_list(tc->sdk_sources, tc->n_sdk_sources);
    free(tc->wasm_tools);
    free(tc->wit);
    th_engine_free(tc->engine);
}

int cmd_build(int argc, char **argv)
{
    build_opts opts;
    int rc = parse_args(argc, argv, &opts);
    if (rc != EXIT_OK)
        return rc;
    char *dir = clean_dir(opts.dir);
    if (!is_dir(dir)) {
        rc = cli_usage_error("build: %s is not a directory", dir);
        free(dir);
        return rc;
    }
    toolchain tc = {.opts = &opts};
    const char *no_tools_why = "";
    th_error err = {0};
    rc = setup_toolchain(&tc, &no_tools_why, &err) || build_actor(&tc, dir, 0, no_tools_why, &err)
             ? cli_usage_error("build: %s", err.msg)
             : EXIT_OK;
    toolchain_free(&tc);
    free(dir);
    return rc;
}
