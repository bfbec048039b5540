#include "exec/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain/sha256.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "common/utf8.h"
#include "exec/component.h"
#include "exec/instance.h"
#include "exec/module.h"

/* A package file already loaded, known by what stat says of it: spawning
 * the same file again need not read and hash it (for a large package, such
 * as a JavaScript actor's, that is most of a spawn). Any change to the file
 * changes its size, mtime or ctime (ns), or its inode when replaced. */
typedef struct th_package_file {
    struct th_package_file *next;
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    th_module *module;
} th_package_file;

static void free_files(th_engine *engine)
{
    for (th_package_file *f = engine->files, *next; f; f = next) {
        next = f->next;
        free(f->path);
        free(f);
    }
    engine->files = NULL;
}

const char *th_version(void)
{
    return THEATER_VERSION " (wasmtime 48.0.8)";
}

void th_wasmtime_error(wasmtime_error_t *error, th_error *err, const char *context)
{
    wasm_name_t msg;
    wasmtime_error_message(error, &msg);
    th_error_set(err, "%s: %.*s", context, (int)msg.size, msg.data);
    wasm_byte_vec_delete(&msg);
    wasmtime_error_delete(error);
}

/* Determinism first: NaNs canonical, no threads or shared memory, relaxed
 * SIMD in its deterministic mode. Then bounds: fuel and epochs for every
 * call, a fixed wasm stack, and the pooling allocator so that spawning an
 * actor reuses pre-reserved memory slots instead of mapping new ones. */
static wasm_config_t *engine_config(bool pooling, unsigned slots)
{
    wasm_config_t *config = wasm_config_new();
    if (!config)
        return NULL;
    wasmtime_config_cranelift_nan_canonicalization_set(config, true);
    wasmtime_config_shared_memory_set(config, false); /* threads are not compiled in */
    wasmtime_config_wasm_relaxed_simd_deterministic_set(config, true);
    wasmtime_config_consume_fuel_set(config, true);
    wasmtime_config_epoch_interruption_set(config, true);
    wasmtime_config_max_wasm_stack_set(config, TH_MAX_WASM_STACK);
    wasmtime_config_cranelift_opt_level_set(config, WASMTIME_OPT_LEVEL_SPEED);

    if (!pooling)
        return config;
    wasmtime_pooling_allocation_config_t *pool = wasmtime_pooling_allocation_config_new();
    wasmtime_pooling_allocation_config_total_memories_set(pool, slots);
    wasmtime_pooling_allocation_config_total_tables_set(pool, slots);
    wasmtime_pooling_allocation_config_total_core_instances_set(pool, slots);
    wasmtime_pooling_allocation_config_max_memories_per_module_set(pool, 1);
    wasmtime_pooling_allocation_config_max_tables_per_module_set(pool, 1);
    wasmtime_pooling_allocation_config_max_unused_warm_slots_set(pool, 100);
    wasmtime_pooling_allocation_strategy_set(config, pool);
    wasmtime_pooling_allocation_config_delete(pool);
    return config;
}

void th_log_stderr(void *userdata, const char *actor_id, const char *actor_name, const char *msg,
                   size_t len)
{
    (void)userdata;
    (void)actor_id;
    th_buf line = TH_BUF_INIT;
    th_buf_printf(&line, "[%s] ", actor_name);
    th_utf8_escape((const uint8_t *)msg, len, &line);
    th_buf_append_byte(&line, '\n');
    fwrite(line.data, 1, line.len, stderr);
    th_buf_free(&line);
}

static void *ticker_main(void *arg)
{
    th_engine *engine = arg;
    pthread_mutex_lock(&engine->ticker_lock);
    while (!engine->stop_ticker) {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_nsec += TH_EPOCH_TICK_MS * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&engine->wake, &engine->ticker_lock, &deadline);
        wasmtime_engine_increment_epoch(engine->wasm);
    }
    pthread_mutex_unlock(&engine->ticker_lock);
    return NULL;
}

static char *default_cache_dir(void)
{
    const char *env = getenv("THEATER_CACHE_DIR");
    if (env)
        return *env ? th_xstrdup(env) : NULL;
    th_buf b = TH_BUF_INIT;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        th_buf_printf(&b, "%s/theater/modules", xdg);
    else if (home && *home)
        th_buf_printf(&b, "%s/.cache/theater/modules", home);
    else
        return NULL;
    th_buf_cstr(&b);
    return (char *)th_buf_take(&b, NULL);
}

static int init_condvar(th_engine *engine)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr))
        return -1;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (!rc)
        rc = pthread_cond_init(&engine->wake, &attr);
    pthread_condattr_destroy(&attr);
    return rc ? -1 : 0;
}

th_engine *th_engine_new(const th_engine_options *opts, th_error *err)
{
    if (th_catalog_init(err))
        return NULL;
    th_engine *engine = th_xcalloc(1, sizeof *engine);
    if (opts && opts->cache_dir)
        engine->cache_dir = *opts->cache_dir ? th_xstrdup(opts->cache_dir) : NULL;
    else
        engine->cache_dir = default_cache_dir();
    engine->log = opts && opts->log ? opts->log : th_log_stderr;
    engine->log_userdata = opts ? opts->log_userdata : NULL;

    const char *env = getenv("THEATER_POOLING");
    bool pooling = !(opts && opts->no_pooling) && !(env && strcmp(env, "0") == 0);
    const char *slots_env = getenv("THEATER_POOL_SLOTS");
    unsigned slots = opts && opts->pool_slots ? opts->pool_slots : TH_DEFAULT_POOL_SLOTS;
    if (slots_env && atoi(slots_env) > 0)
        slots = (unsigned)atoi(slots_env);
    wasm_config_t *config = engine_config(pooling, slots);
    if (!config) {
        th_error_set(err, "cannot create a Wasmtime configuration");
        goto fail;
    }
    engine->wasm = wasm_engine_new_with_config(config); /* takes config */
    if (!engine->wasm) {
        th_error_set(err, "cannot create the Wasmtime engine (is enough virtual memory "
                          "available for the pooling allocator?)");
        goto fail;
    }
    engine->linker = th_linker_new(engine->wasm, err);
    if (!engine->linker)
        goto fail;
    if (pthread_mutex_init(&engine->ticker_lock, NULL) ||
        pthread_mutex_init(&engine->modules_lock, NULL) || init_condvar(engine)) {
        th_error_set(err, "cannot initialise the engine's locks");
        goto fail; /* on Linux these only fail for bad attributes: nothing to destroy */
    }
    if (pthread_create(&engine->ticker, NULL, ticker_main, engine)) {
        th_error_set(err, "cannot start the epoch ticker thread");
        pthread_cond_destroy(&engine->wake);
        pthread_mutex_destroy(&engine->ticker_lock);
        for (th_package_file *f = engine->files, *next; f; f = next) {
            next = f->next;
            free(f->path);
            free(f);
        }
        pthread_mutex_destroy(&engine->modules_lock);
        goto fail;
    }
    return engine;
fail:
    if (engine->linker)
        wasmtime_linker_delete(engine->linker);
    if (engine->wasm)
        wasm_engine_delete(engine->wasm);
    free(engine->cache_dir);
    free(engine);
    return NULL;
}

void th_engine_free(th_engine *engine)
{
    if (!engine)
        return;
    pthread_mutex_lock(&engine->ticker_lock);
    engine->stop_ticker = true;
    pthread_cond_signal(&engine->wake);
    pthread_mutex_unlock(&engine->ticker_lock);
    pthread_join(engine->ticker, NULL);
    for (th_module *m = engine->modules, *next; m; m = next) {
        next = m->next;
        th_module_free(m);
    }
    wasmtime_linker_delete(engine->linker);
    wasm_engine_delete(engine->wasm);
    pthread_cond_destroy(&engine->wake);
    pthread_mutex_destroy(&engine->ticker_lock);
    free_files(engine);
    pthread_mutex_destroy(&engine->modules_lock);
    free(engine->cache_dir);
    free(engine);
}

/* ---- Loading packages ----------------------------------------------------- */

#define MAX_PACKAGE_SIZE (256u * 1024 * 1024)

static int read_file(const char *path, uint8_t **data, size_t *len, th_error *err)
{
    struct stat st; /* a FIFO or device is refused, never read (it could block) */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return th_error_set(err, "package %s is not a regular file", path);
    th_buf b = TH_BUF_INIT;
    if (th_read_file(path, MAX_PACKAGE_SIZE, &b) == 0) {
        *data = th_buf_take(&b, len);
        return 0;
    }
    int e = errno;
    th_buf_free(&b);
    if (e == EFBIG)
        return th_error_set(err, "package %s is larger than %u MiB", path, MAX_PACKAGE_SIZE >> 20);
    return th_error_set(err, "cannot open package %s: %s", path, strerror(e));
}

static const uint8_t core_magic[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};

/* Two packagings run: a core module (version 1) that follows the canonical
 * ABI, and a Component Model component (component.c). The 8-byte header
 * tells them apart; anything else is refused before Wasmtime sees it. */
static int check_packaging(const char *path, const uint8_t *wasm, size_t len, th_error *err)
{
    if ((len >= 8 && memcmp(wasm, core_magic, 8) == 0) || th_is_component(wasm, len))
        return 0;
    if (len < 8 || memcmp(wasm, core_magic, 4) != 0)
        return th_error_set(err,
                            "package %s is not a WebAssembly module or component (bad magic "
                            "number)",
                            path);
    return th_error_set(err,
                        "package %s is WebAssembly of an unsupported version or layer "
                        "(header bytes %02x %02x %02x %02x): Theater runs core modules (version "
                        "1) and Component Model components (version 0x0d, layer 1)",
                        path, wasm[4], wasm[5], wasm[6], wasm[7]);
}

th_module *th_engine_load_module_bytes(th_engine *engine, const uint8_t *wasm, size_t len,
                                       const char *label, th_error *err)
{
    if (check_packaging(label, wasm, len, err))
        return NULL;
    uint8_t hash[TH_HASH_SIZE];
    th_sha256(wasm, len, hash);

    pthread_mutex_lock(&engine->modules_lock);
    th_module *m = engine->modules;
    while (m && memcmp(m->hash, hash, TH_HASH_SIZE) != 0)
        m = m->next;
    if (!m) {
        m = th_module_new(engine, wasm, len, hash, err);
        if (m) {
            m->next = engine->modules;
            engine->modules = m;
        } else {
            th_error_wrap(err, "package %s", label);
        }
    }
    pthread_mutex_unlock(&engine->modules_lock);
    return m;
}

static bool same_file(const th_package_file *f, const char *path, const struct stat *st)
{
    return f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
           f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           f->ctime.tv_sec == st->st_ctim.tv_sec && f->ctime.tv_nsec == st->st_ctim.tv_nsec &&
           strcmp(f->path, path) == 0;
}

static th_module *known_file(th_engine *engine, const char *path, const struct stat *st)
{
    pthread_mutex_lock(&engine->modules_lock);
    th_package_file *f = engine->files;
    while (f && !same_file(f, path, st))
        f = f->next;
    pthread_mutex_unlock(&engine->modules_lock);
    return f ? f->module : NULL;
}

static void remember_file(th_engine *engine, const char *path, const struct stat *st, th_module *m)
{
    th_package_file *f = th_xcalloc(1, sizeof *f);
    f->path = th_xstrdup(path);
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->size = st->st_size;
    f->mtime = st->st_mtim;
    f->ctime = st->st_ctim;
    f->module = m;
    pthread_mutex_lock(&engine->modules_lock);
    f->next = engine->files;
    engine->files = f;
    pthread_mutex_unlock(&engine->modules_lock);
}

th_module *th_engine_load_module(th_engine *engine, const char *path, th_error *err)
{
    struct stat before, after;
    bool known = stat(path, &before) == 0 && S_ISREG(before.st_mode);
    th_module *m = known ? known_file(engine, path, &before) : NULL;
    if (m)
        return m;
    uint8_t *wasm = NULL;
    size_t len = 0;
    if (read_file(path, &wasm, &len, err))
        return NULL;
    m = th_engine_load_module_bytes(engine, wasm, len, path, err);
    free(wasm);
    /* Only a file that did not change while it was read is remembered. */
    if (m && known && stat(path, &after) == 0 && before.st_ino == after.st_ino &&
        before.st_size == after.st_size && before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
        before.st_mtim.tv_nsec == after.st_mtim.tv_nsec &&
        before.st_ctim.tv_nsec == after.st_ctim.tv_nsec)
        remember_file(engine, path, &before, m);
    return m;
}
