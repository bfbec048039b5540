/* The concurrent runtime, measured through its public API with real actors
 * (DESIGN.md §7):
 *
 *   ring        1,000 relay actors (bench/relay.c) in a ring pass tokens to
 *               one another through the message-server: actor -> actor
 *               messages per second, chains in memory
 *   ring-db     the same, every event persisted (th_db_open on a fresh
 *               temporary directory, default durability: batch); the clock
 *               stops when th_db_sync finds everything committed
 *   external    th_runtime_send from this thread to the 1,000 relays,
 *               round robin, each message handled and not passed on
 *   roundtrip   request/response between two actors, chains in memory:
 *               bench/driver.c requests examples/echo N times inside one
 *               call (mean: wall time / N; p50/p99: the spacing of the
 *               driver's recorded request events), then N requests from
 *               this thread with th_runtime_request, each timed
 *   spawn       th_runtime_spawn of the counter example (pooling
 *               allocator, manifest read from a file each time), 10,000
 *               actors left alive; then the resident memory they add,
 *               from /proc/self/statm and /proc/self/smaps_rollup
 *
 *   bench_runtime [--small] [runs] [section ...]   (defaults: 3, every section)
 *
 * --small does a sliver of the work: for running the benchmark itself
 * under sanitizers and valgrind, not for figures.
 *
 * Every run of a section starts a fresh runtime on one shared engine; the
 * figure of each run is printed, then the median. Manifests and databases
 * live in a temporary directory under /tmp, removed at the end. */
#include <ftw.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "store/db.h"
#include "theater/theater.h"

enum {
    TOKEN_LEN = 100, /* bytes per message, as in DESIGN.md §7 */
    MAX_RUNS = 20,
};

/* How much each section does. */
typedef struct sizes {
    size_t actors;            /* in the ring */
    size_t tokens;            /* in flight around it */
    uint32_t hops;            /* per token */
    size_t external_messages; /* th_runtime_send calls */
    size_t roundtrips;        /* per measure */
    size_t spawns;            /* actors alive at once */
} sizes;

static const sizes full = {
    .actors = 1000,
    .tokens = 2000, /* two in flight per actor */
    .hops = 250,    /* 500,000 actor -> actor messages per run */
    .external_messages = 200000,
    .roundtrips = 20000,
    .spawns = 10000,
};

/* Small enough for valgrind, which cannot map more than a few dozen
 * actors' 4 GiB memory reservations. */
static const sizes small = {
    .actors = 8,
    .tokens = 8,
    .hops = 20,
    .external_messages = 200,
    .roundtrips = 200,
    .spawns = 16,
};

static const sizes *sz = &full;

#define PAYLOAD_BYTE 'p'

/* ---- Helpers ------------------------------------------------------------------- */

static char workdir[] = "/tmp/theater-bench-runtime-XXXXXX";

static double now_s(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const th_error *err)
{
    fprintf(stderr, "bench_runtime: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts the samples; the median of an odd count, the upper one otherwise. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* The median of one field of `runs` results (structs of doubles). */
static double median_at(const void *results, size_t size, size_t offset, unsigned runs)
{
    double v[MAX_RUNS];
    for (unsigned i = 0; i < runs; i++)
        memcpy(&v[i], (const char *)results + i * size + offset, sizeof v[i]);
    return median(v, runs);
}

#define MEDIAN(results, field)                                                                     \
    median_at(results, sizeof results[0], offsetof(__typeof__(results[0]), field), runs)

static double percentile(const double *sorted, size_t n, unsigned p)
{
    return sorted[n * p / 100 < n ? n * p / 100 : n - 1];
}

static void quiet_log(void *ud, const char *id, const char *name, const char *msg, size_t len)
{
    (void)ud, (void)id, (void)name, (void)msg, (void)len;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir)
{
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        perror(dir);
}

/* Writes WORKDIR/NAME.toml for the actor built at `wasm`; the path is
 * returned in a static buffer per name. */
static const char *write_manifest(const char *name, const char *wasm, const char *extra)
{
    static char paths[4][256];
    static size_t used;
    if (used == sizeof paths / sizeof paths[0]) {
        fprintf(stderr, "bench_runtime: too many manifests\n");
        exit(1);
    }
    char *path = paths[used++];
    snprintf(path, sizeof paths[0], "%s/%s.toml", workdir, name);
    if (access(wasm, R_OK) != 0) {
        perror(wasm);
        exit(1);
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f,
            "name = \"%s\"\nversion = \"0.1.0\"\npackage = \"%s\"\n%s\n"
            "[[handlers]]\ntype = \"message-server\"\n",
            name, wasm, extra);
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    return path;
}

static th_runtime *runtime_new(th_engine *engine, th_db *db)
{
    th_error err;
    th_runtime_options opts = {.db = db};
    th_runtime *rt = th_runtime_new(engine, &opts, &err);
    if (!rt)
        die("runtime", &err);
    return rt;
}

static void spawn(th_runtime *rt, const char *manifest, char id[33])
{
    th_error err;
    if (th_runtime_spawn(rt, manifest, NULL, 0, NULL, id, &err))
        die("spawn", &err);
}

static void wait_idle(th_runtime *rt)
{
    if (!th_runtime_wait_idle(rt, 600 * 1000)) {
        fprintf(stderr, "bench_runtime: the runtime did not go idle within 10 minutes\n");
        exit(1);
    }
}

typedef struct totals {
    uint64_t handled, errors, running, events;
    char last_error[512];
} totals;

static void add_status(void *ud, const th_actor_status *st)
{
    totals *t = ud;
    t->handled += st->handled;
    t->errors += st->errors;
    t->running += st->running;
    t->events += st->events;
    if (st->errors)
        snprintf(t->last_error, sizeof t->last_error, "%s: %s", st->name, st->last_error);
}

static totals sum_status(th_runtime *rt)
{
    totals t = {0};
    th_runtime_list(rt, add_status, &t);
    return t;
}

/* Every message must have been handled, and none may have failed: a
 * benchmark that lost messages would measure nothing. Returns the totals. */
static totals check_handled(th_runtime *rt, uint64_t expected, const char *what)
{
    totals t = sum_status(rt);
    if (t.handled != expected || t.errors) {
        fprintf(stderr,
                "bench_runtime: %s: %llu messages handled (expected %llu), %llu failed%s%s\n", what,
                (unsigned long long)t.handled, (unsigned long long)expected,
                (unsigned long long)t.errors, t.errors ? "; last: " : "", t.last_error);
        exit(1);
    }
    return t;
}

/* ---- Messages between actors ---------------------------------------------------- */

static const char *relay_manifest;

/* Messages per second, and the chain events per second they made. */
typedef struct rate {
    double msgs, events;
} rate;

static void make_token(uint8_t msg[TOKEN_LEN], uint32_t hops)
{
    memset(msg, PAYLOAD_BYTE, TOKEN_LEN);
    msg[0] = 'T';
    memcpy(msg + 1, &hops, sizeof hops); /* the relay reads it in wasm's byte order */
}

static void send_or_die(th_runtime *rt, const char *id, const uint8_t *msg, size_t len)
{
    th_error err;
    if (th_runtime_send(rt, id, msg, len, &err))
        die("send", &err);
}

/* Spawns the relays and links each to the next: a ring. */
static char (*spawn_ring(th_runtime *rt))[33]
{
    char(*ids)[33] = th_xcalloc(sz->actors, sizeof *ids);
    for (size_t i = 0; i < sz->actors; i++)
        spawn(rt, relay_manifest, ids[i]);
    for (size_t i = 0; i < sz->actors; i++) {
        uint8_t link[1 + 32];
        link[0] = 'L';
        memcpy(link + 1, ids[(i + 1) % sz->actors], 32);
        send_or_die(rt, ids[i], link, sizeof link);
    }
    wait_idle(rt);
    return ids;
}

/* Actor -> actor messages per second: sz->tokens tokens, each passed on
 * sz->hops times; with a database the clock runs until all is committed. */
static rate ring_run(th_engine *engine, th_db *db)
{
    th_runtime *rt = runtime_new(engine, db);
    char(*ids)[33] = spawn_ring(rt);
    uint8_t token[TOKEN_LEN];
    make_token(token, sz->hops);
    th_error err;
    uint64_t events = sum_status(rt).events;
    double t0 = now_s();
    for (size_t k = 0; k < sz->tokens; k++)
        send_or_die(rt, ids[k % sz->actors], token, sizeof token);
    wait_idle(rt);
    if (db && th_db_sync(db, &err))
        die("sync", &err);
    double elapsed = now_s() - t0;
    totals t = check_handled(rt, sz->actors + (uint64_t)sz->tokens * (sz->hops + 1), "ring");
    th_runtime_free(rt);
    free(ids);
    return (rate){(double)sz->tokens * sz->hops / elapsed, (double)(t.events - events) / elapsed};
}

static rate ring_memory(th_engine *engine)
{
    return ring_run(engine, NULL);
}

static rate ring_persisted(th_engine *engine)
{
    th_error err;
    char dir[300];
    static unsigned n;
    snprintf(dir, sizeof dir, "%s/db%u", workdir, n++);
    th_db *db = th_db_open(dir, TH_DURABILITY_BATCH, &err);
    if (!db)
        die("db", &err);
    rate r = ring_run(engine, db);
    th_db_close(db);
    remove_tree(dir);
    return r;
}

/* th_runtime_send from this thread: tokens without hops, so each is
 * handled once by a relay and goes no further. */
static rate external_run(th_engine *engine)
{
    th_runtime *rt = runtime_new(engine, NULL);
    char(*ids)[33] = spawn_ring(rt);
    uint8_t token[TOKEN_LEN];
    make_token(token, 0);
    uint64_t events = sum_status(rt).events;
    double t0 = now_s();
    for (size_t k = 0; k < sz->external_messages; k++)
        send_or_die(rt, ids[k % sz->actors], token, sizeof token);
    wait_idle(rt);
    double elapsed = now_s() - t0;
    totals t = check_handled(rt, sz->actors + sz->external_messages, "external");
    th_runtime_free(rt);
    free(ids);
    return (rate){sz->external_messages / elapsed, (double)(t.events - events) / elapsed};
}

/* ---- Request/response round trips --------------------------------------------- */

static const char *echo_manifest, *driver_manifest;

typedef struct roundtrip_result {
    double actor_mean, actor_p50, actor_p99; /* driver -> echo, in-call */
    double ext_mean, ext_p50, ext_p99;       /* th_runtime_request -> echo */
} roundtrip_result;

/* Asks the driver for `rounds` requests of the echo; returns the seconds. */
static double drive(th_runtime *rt, const char *driver, const char *echo, uint32_t rounds)
{
    uint8_t msg[32 + sizeof rounds];
    memcpy(msg, echo, 32);
    memcpy(msg + 32, &rounds, sizeof rounds);
    uint8_t *response;
    size_t len;
    th_error err;
    double t0 = now_s();
    if (th_runtime_request(rt, driver, msg, sizeof msg, 0, &response, &len, &err))
        die("drive", &err);
    double elapsed = now_s() - t0;
    free(response);
    return elapsed;
}

typedef struct spacing {
    double *us;
    size_t n;
} spacing;

/* The wall-clock spacing of the driver's request events in its last call:
 * each is one round trip as the driver lived it (request, wait, answer,
 * record). The first is measured from the call event. */
static void request_spacing(void *ud, const th_actor *actor)
{
    spacing *s = ud;
    const th_chain *chain = th_actor_chain(actor);
    size_t i = th_chain_length(chain);
    while (i > 0 && th_chain_event(chain, i - 1)->type != TH_EV_CALL)
        i--;
    if (i == 0)
        return;
    int64_t prev = th_chain_event(chain, i - 1)->timestamp_ns;
    for (size_t len = th_chain_length(chain); i < len; i++) {
        const th_event *ev = th_chain_event(chain, i);
        if (ev->type != TH_EV_HOST || !strstr(ev->name, "#request"))
            continue;
        s->us[s->n++] = (double)(ev->timestamp_ns - prev) / 1e3;
        prev = ev->timestamp_ns;
    }
}

static void actor_roundtrips(th_runtime *rt, const char *driver, const char *echo,
                             roundtrip_result *r)
{
    r->actor_mean = drive(rt, driver, echo, sz->roundtrips) / sz->roundtrips * 1e6;
    spacing s = {th_xcalloc(sz->roundtrips, sizeof(double)), 0};
    th_error err;
    if (th_runtime_with_actor(rt, driver, request_spacing, &s, &err))
        die("driver's chain", &err);
    if (s.n != sz->roundtrips) {
        fprintf(stderr, "bench_runtime: %zu request events in the driver's call, not %zu\n", s.n,
                sz->roundtrips);
        exit(1);
    }
    qsort(s.us, s.n, sizeof *s.us, cmp_double);
    r->actor_p50 = percentile(s.us, s.n, 50);
    r->actor_p99 = percentile(s.us, s.n, 99);
    free(s.us);
}

static void external_roundtrips(th_runtime *rt, const char *echo, roundtrip_result *r)
{
    uint8_t msg[TOKEN_LEN];
    memset(msg, PAYLOAD_BYTE, sizeof msg);
    double *us = th_xcalloc(sz->roundtrips, sizeof *us), total = 0;
    for (size_t i = 0; i < sz->roundtrips; i++) {
        uint8_t *response;
        size_t len;
        th_error err;
        double t0 = now_s();
        if (th_runtime_request(rt, echo, msg, sizeof msg, 0, &response, &len, &err))
            die("request", &err);
        us[i] = (now_s() - t0) * 1e6;
        total += us[i];
        if (len != sizeof msg || memcmp(response, msg, len) != 0) {
            fprintf(stderr, "bench_runtime: the echo answered something else\n");
            exit(1);
        }
        free(response);
    }
    qsort(us, sz->roundtrips, sizeof *us, cmp_double);
    r->ext_mean = total / sz->roundtrips;
    r->ext_p50 = percentile(us, sz->roundtrips, 50);
    r->ext_p99 = percentile(us, sz->roundtrips, 99);
    free(us);
}

static roundtrip_result roundtrip_run(th_engine *engine)
{
    th_runtime *rt = runtime_new(engine, NULL);
    char echo[33], driver[33];
    spawn(rt, echo_manifest, echo);
    spawn(rt, driver_manifest, driver);
    drive(rt, driver, echo, 1000); /* warm-up: threads, caches, allocator */
    roundtrip_result r;
    actor_roundtrips(rt, driver, echo, &r);
    external_roundtrips(rt, echo, &r);
    th_runtime_free(rt);
    return r;
}

/* ---- Spawning and resident memory ----------------------------------------------- */

static const char *counter_manifest;

typedef struct spawn_result {
    double per_s, p50_us, p99_us;
    double rss_kb, anon_kb, pss_kb; /* per idle actor */
} spawn_result;

typedef struct memory {
    double rss_kb, anon_kb, pss_kb;
} memory;

/* Resident memory from statm (what `ps` shows), and from smaps_rollup the
 * anonymous part and the proportional share (pages mapped by many actors,
 * such as a copy-on-write memory image, counted once). */
static memory read_memory(void)
{
    memory m = {0};
    long pages_total, pages_resident;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) {
        perror("/proc/self/statm");
        exit(1);
    }
    fclose(f);
    m.rss_kb = (double)pages_resident * (double)sysconf(_SC_PAGESIZE) / 1024;
    f = fopen("/proc/self/smaps_rollup", "r");
    if (!f)
        return m; /* older kernels: RSS only */
    char line[256];
    while (fgets(line, sizeof line, f)) {
        double kb;
        if (sscanf(line, "Anonymous: %lf kB", &kb) == 1)
            m.anon_kb = kb;
        else if (sscanf(line, "Pss: %lf kB", &kb) == 1)
            m.pss_kb = kb;
    }
    fclose(f);
    return m;
}

static spawn_result spawn_run(th_engine *engine)
{
    th_runtime *rt = runtime_new(engine, NULL);
    char id[33];
    spawn(rt, counter_manifest, id); /* loads the module */
    wait_idle(rt);
    /* Hand the heap that earlier runs freed back to the system, so that the
     * actors below fault in pages of their own instead of reusing it
     * unseen: otherwise every run after the first looks cheaper. */
    malloc_trim(0);
    memory before = read_memory();
    double *us = th_xcalloc(sz->spawns, sizeof *us);
    double t0 = now_s();
    for (size_t i = 0; i < sz->spawns; i++) {
        double t = now_s();
        spawn(rt, counter_manifest, id);
        us[i] = (now_s() - t) * 1e6;
    }
    double elapsed = now_s() - t0;
    wait_idle(rt);
    memory after = read_memory();
    totals t = sum_status(rt);
    if (t.running != sz->spawns + 1) {
        fprintf(stderr, "bench_runtime: %llu actors running, not %zu\n",
                (unsigned long long)t.running, sz->spawns + 1);
        exit(1);
    }
    qsort(us, sz->spawns, sizeof *us, cmp_double);
    spawn_result r = {
        .per_s = sz->spawns / elapsed,
        .p50_us = percentile(us, sz->spawns, 50),
        .p99_us = percentile(us, sz->spawns, 99),
        .rss_kb = (after.rss_kb - before.rss_kb) / sz->spawns,
        .anon_kb = (after.anon_kb - before.anon_kb) / sz->spawns,
        .pss_kb = (after.pss_kb - before.pss_kb) / sz->spawns,
    };
    free(us);
    th_runtime_free(rt);
    return r;
}

/* ---- Sections --------------------------------------------------------------------- */

static void section_rate(th_engine *engine, unsigned runs, const char *what,
                         rate (*run)(th_engine *))
{
    rate r[MAX_RUNS];
    printf("%s\n", what);
    for (unsigned i = 0; i < runs; i++) {
        r[i] = run(engine);
        printf("  run %u: %9.0f msgs/s  (%9.0f events/s)\n", i + 1, r[i].msgs, r[i].events);
        fflush(stdout);
    }
    printf("  median %9.0f msgs/s  (%9.0f events/s)\n", MEDIAN(r, msgs), MEDIAN(r, events));
}

static void section_roundtrip(th_engine *engine, unsigned runs)
{
    roundtrip_result r[MAX_RUNS];
    printf("roundtrip: request/response, echo actor, 100 B, chains in memory, %zu each\n",
           sz->roundtrips);
    for (unsigned i = 0; i < runs; i++) {
        r[i] = roundtrip_run(engine);
        printf("  run %u: actor->actor p50 %6.2f us  p99 %6.2f us  mean %6.2f us | "
               "th_runtime_request p50 %6.2f us  p99 %6.2f us  mean %6.2f us\n",
               i + 1, r[i].actor_p50, r[i].actor_p99, r[i].actor_mean, r[i].ext_p50, r[i].ext_p99,
               r[i].ext_mean);
        fflush(stdout);
    }
    printf("  median: actor->actor p50 %6.2f us  p99 %6.2f us  mean %6.2f us | "
           "th_runtime_request p50 %6.2f us  p99 %6.2f us  mean %6.2f us\n",
           MEDIAN(r, actor_p50), MEDIAN(r, actor_p99), MEDIAN(r, actor_mean), MEDIAN(r, ext_p50),
           MEDIAN(r, ext_p99), MEDIAN(r, ext_mean));
}

static void section_spawn(th_engine *engine, unsigned runs)
{
    spawn_result r[MAX_RUNS];
    printf("spawn: th_runtime_spawn of counter, %zu actors alive at the end\n", sz->spawns);
    for (unsigned i = 0; i < runs; i++) {
        r[i] = spawn_run(engine);
        printf("  run %u: %7.0f spawns/s  p50 %6.2f us  p99 %6.2f us | per idle actor: "
               "RSS %6.1f KB  anonymous %6.1f KB  PSS %6.1f KB\n",
               i + 1, r[i].per_s, r[i].p50_us, r[i].p99_us, r[i].rss_kb, r[i].anon_kb, r[i].pss_kb);
        fflush(stdout);
    }
    printf("  median: %7.0f spawns/s  p50 %6.2f us  p99 %6.2f us | per idle actor: "
           "RSS %6.1f KB  anonymous %6.1f KB  PSS %6.1f KB\n",
           MEDIAN(r, per_s), MEDIAN(r, p50_us), MEDIAN(r, p99_us), MEDIAN(r, rss_kb),
           MEDIAN(r, anon_kb), MEDIAN(r, pss_kb));
}

static const char *const section_names[] = {"ring", "ring-db", "external", "roundtrip", "spawn"};
enum { N_SECTIONS = sizeof section_names / sizeof section_names[0] };

static void run_section(th_engine *engine, unsigned runs, size_t which)
{
    char what[160];
    switch (which) {
    case 0:
        snprintf(what, sizeof what,
                 "ring: %zu actors, %zu tokens x %u hops, actor->actor sends, chains in memory",
                 sz->actors, sz->tokens, sz->hops);
        section_rate(engine, runs, what, ring_memory);
        break;
    case 1:
        snprintf(what, sizeof what,
                 "ring-db: the same, persisted (durability batch), until committed");
        section_rate(engine, runs, what, ring_persisted);
        break;
    case 2:
        snprintf(what, sizeof what,
                 "external: th_runtime_send x %zu from one thread to %zu actors, in memory",
                 sz->external_messages, sz->actors);
        section_rate(engine, runs, what, external_run);
        break;
    case 3:
        section_roundtrip(engine, runs);
        break;
    default:
        section_spawn(engine, runs);
        break;
    }
    fflush(stdout);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_runtime [--small] [runs] [section ...]\nsections:");
    for (size_t i = 0; i < N_SECTIONS; i++)
        fprintf(stderr, " %s", section_names[i]);
    fprintf(stderr, " (default: all, 3 runs)\n");
    exit(2);
}

/* Parses the arguments into `wanted`; returns the number of runs. */
static unsigned parse_args(int argc, char **argv, bool wanted[N_SECTIONS])
{
    unsigned runs = 3;
    int i = 1;
    if (i < argc && strcmp(argv[i], "--small") == 0) {
        sz = &small;
        i++;
    }
    if (i < argc && argv[i][0] >= '0' && argv[i][0] <= '9') {
        char *end;
        unsigned long v = strtoul(argv[i], &end, 10);
        if (*end || v == 0 || v > MAX_RUNS) {
            fprintf(stderr, "bench_runtime: runs must be 1 to %d\n", MAX_RUNS);
            exit(2);
        }
        runs = (unsigned)v;
        i++;
    }
    bool any = false;
    for (; i < argc; i++) {
        size_t k = 0;
        while (k < N_SECTIONS && strcmp(argv[i], section_names[k]) != 0)
            k++;
        if (k == N_SECTIONS)
            usage();
        wanted[k] = any = true;
    }
    for (size_t k = 0; !any && k < N_SECTIONS; k++)
        wanted[k] = true;
    return runs;
}

static void remove_workdir(void)
{
    remove_tree(workdir);
}

static void write_manifests(void)
{
    if (!mkdtemp(workdir)) {
        perror(workdir);
        exit(1);
    }
    atexit(remove_workdir); /* on the error paths too: die() exits */
    relay_manifest = write_manifest("relay", THEATER_BINARY_DIR "/bench/relay.wasm", "");
    driver_manifest = write_manifest("driver", THEATER_BINARY_DIR "/bench/driver.wasm", "");
    echo_manifest = write_manifest("echo", THEATER_BINARY_DIR "/examples/echo.wasm", "");
    counter_manifest = write_manifest("counter", THEATER_BINARY_DIR "/examples/counter.wasm",
                                      "initial_state = '{\"count\":0}'");
}

int main(int argc, char **argv)
{
    bool wanted[N_SECTIONS] = {false};
    unsigned runs = parse_args(argc, argv, wanted);
    write_manifests();
    th_error err;
    th_engine_options opts = {.log = quiet_log, .pool_slots = (unsigned)sz->spawns + 16};
    th_engine *engine = th_engine_new(&opts, &err);
    if (!engine)
        die("engine", &err);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("bench_runtime: %u runs per section, %ld worker threads (one per core)\n", runs, cores);
    for (size_t k = 0; k < N_SECTIONS; k++)
        if (wanted[k])
            run_section(engine, runs, k);
    th_engine_free(engine);
    return 0;
}
