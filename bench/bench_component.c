/* The two packagings of one actor side by side: examples/echo and
 * examples/counter as the core modules the SDK builds and as the components
 * `wasm-tools component new` makes of them. Per message, a request that
 * echoes 100 B and 100 KB (bytes both ways), a one-way message into the
 * counter, and a spawn from a loaded package (spawn and init events
 * included). Chains stay in memory. Run by `make bench`; figures are
 * written down in docs/BENCHMARKS.md. */
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

static char tmpdir[64];
static th_engine *engine;

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

static double p50(double *samples, size_t n)
{
    qsort(samples, n, sizeof *samples, cmp_double);
    return samples[n / 2];
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_component: %s: %s\n", what, msg);
    exit(1);
}

/* tmpdir/NAME.component.wasm from build/examples/NAME.wasm. */
static void componentize(const char *name, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(out, cap, "%s/%s.component.wasm", tmpdir, name);
    snprintf(cmd, sizeof cmd,
             "'%s' component embed '%s/wit' --world message-actor '%s/examples/%s.wasm' "
             "-o '%s/%s.embed.wasm' && '%s' component new '%s/%s.embed.wasm' -o '%s'",
             THEATER_WASM_TOOLS, THEATER_SOURCE_DIR, THEATER_BINARY_DIR, name, tmpdir, name,
             THEATER_WASM_TOOLS, tmpdir, name, out);
    if (system(cmd) != 0)
        die("wasm-tools", cmd);
}

static th_manifest *manifest_for(const char *package, const char *initial_state)
{
    th_buf text = TH_BUF_INIT;
    th_buf_printf(&text,
                  "name = \"bench\"\nversion = \"1\"\npackage = \"%s\"\n%s%s%s\n"
                  "[[handlers]]\ntype = \"message-server\"\n",
                  package, initial_state ? "initial_state = '" : "",
                  initial_state ? initial_state : "", initial_state ? "'" : "");
    th_error err;
    th_manifest *m = th_manifest_parse((const char *)text.data, text.len, "bench.toml", &err);
    th_buf_free(&text);
    if (!m)
        die("manifest", err.msg);
    return m;
}

static th_actor *spawn(const th_manifest *m)
{
    th_error err;
    th_actor *a = th_actor_spawn(engine, m, &err);
    if (!a)
        die("spawn", err.msg);
    return a;
}

/* p50 of one echo request of `size` bytes, in us. */
static double echo_request(const char *package, size_t size, size_t n)
{
    th_manifest *m = manifest_for(package, NULL);
    th_actor *a = spawn(m);
    uint8_t *msg = malloc(size);
    for (size_t i = 0; i < size; i++)
        msg[i] = (uint8_t)('a' + i % 26);
    double *t = malloc(n * sizeof *t);
    th_error err;
    for (size_t i = 0; i < n + n / 10; i++) { /* the first tenth warms up */
        uint8_t *resp;
        size_t len;
        double t0 = now_us();
        if (th_actor_request(a, msg, size, &resp, &len, &err))
            die("request", err.msg);
        double dt = now_us() - t0;
        if (len != size)
            die("request", "the echo has another size");
        free(resp);
        if (i >= n / 10)
            t[i - n / 10] = dt;
    }
    double r = p50(t, n);
    free(t);
    free(msg);
    th_actor_free(a);
    th_manifest_free(m);
    return r;
}

/* p50 of one {"op":"inc"} into the counter (1 KB state would be larger:
 * the counter's is a dozen bytes). */
static double counter_send(const char *package, size_t n)
{
    th_manifest *m = manifest_for(package, "{\"count\": 0}");
    th_actor *a = spawn(m);
    static const char msg[] = "{\"op\":\"inc\"}";
    double *t = malloc(n * sizeof *t);
    th_error err;
    for (size_t i = 0; i < n + n / 10; i++) {
        double t0 = now_us();
        if (th_actor_send(a, (const uint8_t *)msg, sizeof msg - 1, &err))
            die("send", err.msg);
        double dt = now_us() - t0;
        if (i >= n / 10)
            t[i - n / 10] = dt;
    }
    double r = p50(t, n);
    free(t);
    th_actor_free(a);
    th_manifest_free(m);
    return r;
}

/* p50 of a spawn (instantiate, spawn event, init) from a loaded package. */
static double spawn_time(const char *package, size_t n)
{
    th_manifest *m = manifest_for(package, "{\"count\": 0}");
    th_actor_free(spawn(m)); /* loads and compiles the package */
    double *t = malloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++) {
        double t0 = now_us();
        th_actor *a = spawn(m);
        t[i] = now_us() - t0;
        th_actor_free(a);
    }
    double r = p50(t, n);
    free(t);
    th_manifest_free(m);
    return r;
}

/* The counter logs at init: kept out of the figures' way. */
static void quiet(void *ud, const char *id, const char *name, const char *msg, size_t len)
{
    (void)ud, (void)id, (void)name, (void)msg, (void)len;
}

static void row(const char *what, double core, double component)
{
    printf("%-34s core p50 %9.2f us   component p50 %9.2f us   (x%.1f)\n", what, core, component,
           component / core);
}

int main(void)
{
    if (!*THEATER_WASM_TOOLS) {
        printf("bench_component: skipped (wasm-tools is not configured)\n");
        return 0;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/theater-bench-component-XXXXXX");
    if (!mkdtemp(tmpdir))
        die("mkdtemp", tmpdir);
    th_error err;
    engine = th_engine_new(&(th_engine_options){.log = quiet}, &err);
    if (!engine)
        die("engine", err.msg);
    char echo[256], counter[256];
    componentize("echo", echo, sizeof echo);
    componentize("counter", counter, sizeof counter);
    const char *echo_core = THEATER_BINARY_DIR "/examples/echo.wasm";
    const char *counter_core = THEATER_BINARY_DIR "/examples/counter.wasm";

    row("echo request, 100 B", echo_request(echo_core, 100, 20000), echo_request(echo, 100, 20000));
    row("echo request, 100 KB", echo_request(echo_core, 100 * 1024, 300),
        echo_request(echo, 100 * 1024, 300));
    row("counter send {\"op\":\"inc\"}", counter_send(counter_core, 20000),
        counter_send(counter, 20000));
    row("spawn counter (incl. init)", spawn_time(counter_core, 2000), spawn_time(counter, 2000));

    th_engine_free(engine);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_component: could not remove %s\n", tmpdir);
    return 0;
}
