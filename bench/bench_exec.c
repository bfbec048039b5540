/* Executor benchmarks: compiling a package cold versus loading it from the
 * on-disk cache, spawning an actor from a loaded module (with its spawn,
 * init and log events), and one message into an actor. Run by `make bench`;
 * figures are written down in docs/BENCHMARKS.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "exec/engine.h"
#include "exec/module.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *samples, size_t n)
{
    qsort(samples, n, sizeof *samples, cmp_double);
    printf("%-44s p50 %9.2f us   p99 %9.2f us   (n=%zu)\n", what, samples[n / 2],
           samples[n * 99 / 100], n);
}

static void die(const char *what, const th_error *err)
{
    fprintf(stderr, "bench_exec: %s: %s\n", what, err->msg);
    exit(1);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    th_buf b = TH_BUF_INIT;
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        th_buf_append(&b, chunk, n);
    fclose(f);
    return th_buf_take(&b, len);
}

static void bench_compile(const char *pkg)
{
    size_t len;
    uint8_t *wasm = read_all(pkg, &len);
    uint8_t hash[TH_HASH_SIZE] = {0};
    th_error err;
    char cache[] = "/tmp/theater-bench-cache-XXXXXX";
    if (!mkdtemp(cache))
        exit(1);

    th_engine_options cold = {.cache_dir = ""};
    th_engine *e = th_engine_new(&cold, &err);
    if (!e)
        die("engine", &err);
    enum { N = 20 };
    double t[N];
    for (int i = 0; i < N; i++) {
        double t0 = now_us();
        th_module *m = th_module_new(e, wasm, len, hash, &err);
        t[i] = now_us() - t0;
        if (!m)
            die("compile", &err);
        th_module_free(m);
    }
    report("load counter.wasm, cold compile", t, N);
    th_engine_free(e);

    th_engine_options warm = {.cache_dir = cache};
    e = th_engine_new(&warm, &err);
    th_module_free(th_module_new(e, wasm, len, hash, &err)); /* fills the cache */
    for (int i = 0; i < N; i++) {
        double t0 = now_us();
        th_module *m = th_module_new(e, wasm, len, hash, &err);
        t[i] = now_us() - t0;
        if (!m)
            die("deserialize", &err);
        th_module_free(m);
    }
    report("load counter.wasm, from the on-disk cache", t, N);
    th_engine_free(e);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", cache);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", cache);
    free(wasm);
}

static void quiet_log(void *ud, const char *id, const char *name, const char *msg, size_t len)
{
    (void)ud, (void)id, (void)name, (void)msg, (void)len;
}

static th_manifest *counter_manifest(const char *pkg, const char *state)
{
    th_manifest *m = calloc(1, sizeof *m);
    m->name = "counter";
    m->version = "0.1.0";
    m->package = (char *)pkg;
    m->limits = (th_limits){64 << 20, TH_DEFAULT_FUEL, TH_DEFAULT_TIME_MS};
    m->initial_state = (uint8_t *)state;
    m->initial_state_len = strlen(state);
    m->has_initial_state = true;
    m->handlers = calloc(1, sizeof *m->handlers);
    m->handlers[0].type = TH_HANDLER_MESSAGE_SERVER;
    m->n_handlers = 1;
    return m;
}

static void bench_spawn(th_engine *e, const char *pkg)
{
    th_manifest *m = counter_manifest(pkg, "{\"count\":0}");
    th_error err;
    th_actor_free(th_actor_spawn(e, m, &err)); /* loads the module */
    enum { N = 2000 };
    static double t[N];
    for (int i = 0; i < N; i++) {
        double t0 = now_us();
        th_actor *a = th_actor_spawn(e, m, &err);
        t[i] = now_us() - t0;
        if (!a)
            die("spawn", &err);
        th_actor_free(a);
    }
    report("spawn counter (loaded module; spawn+init)", t, N);
    free(m->handlers);
    free(m);
}

static void bench_messages(th_engine *e, const char *pkg, const char *what, const char *state,
                           const char *msg)
{
    th_manifest *m = counter_manifest(pkg, state);
    th_error err;
    th_actor *a = th_actor_spawn(e, m, &err);
    if (!a)
        die("spawn", &err);
    enum { N = 20000 };
    static double t[N];
    for (int i = 0; i < N; i++) {
        double t0 = now_us();
        if (th_actor_send(a, (const uint8_t *)msg, strlen(msg), &err))
            die("send", &err);
        t[i] = now_us() - t0;
        /* The chain grows without bound in memory; keep it realistic. */
    }
    size_t len;
    bool present;
    th_actor_state(a, &len, &present);
    char label[96];
    snprintf(label, sizeof label, "%s (state %zu B)", what, len);
    report(label, t, N);
    th_actor_free(a);
    free(m->handlers);
    free(m);
}

int main(void)
{
    const char *pkg = THEATER_BINARY_DIR "/examples/counter.wasm";
    const char *keeper = THEATER_BINARY_DIR "/bench/keeper.wasm";
    bench_compile(pkg);
    th_error err;
    th_engine_options opts = {.cache_dir = "", .log = quiet_log};
    th_engine *e = th_engine_new(&opts, &err);
    if (!e)
        die("engine", &err);
    bench_spawn(e, pkg);
    bench_messages(e, pkg, "send {\"op\":\"inc\"} to counter", "{\"count\":0}", "{\"op\":\"inc\"}");
    /* A 1 KB state kept as it is: the cost of moving and hashing it. */
    th_buf state = TH_BUF_INIT;
    th_buf_append_str(&state, "{\"pad\":\"");
    while (state.len < 1022)
        th_buf_append_byte(&state, 'x');
    th_buf_append_str(&state, "\"}");
    th_buf pad = TH_BUF_INIT;
    th_buf_append_str(&pad, "{\"op\":\"touch\",\"pad\":\"");
    while (pad.len < 98)
        th_buf_append_byte(&pad, 'y');
    th_buf_append_str(&pad, "\"}");
    if (access(keeper, R_OK) == 0)
        bench_messages(e, keeper, "send 100 B to keeper", th_buf_cstr(&state), th_buf_cstr(&pad));
    th_buf_free(&state);
    th_buf_free(&pad);
    th_engine_free(e);
    return 0;
}
