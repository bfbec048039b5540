/* Chains persisted to SQLite: events per second through the writer in each
 * durability mode, for one actor and for 1,000 actors taking turns, and
 * the speed of loading a 1M-event chain back from disk and verifying it.
 *
 * Each event is what an actor's message makes: a 48-byte export name, a
 * 100-byte payload and a state hash, 243 bytes in the canonical encoding
 * (about 290 in its database row). Its hash is computed as the runtime
 * would, so the producer does the work of th_chain_append. A rate counts
 * from the first append to the th_db_sync that finds everything committed.
 *
 *   bench_db [events-per-run] [runs] [mode]   (defaults: 1000000, 3, all)
 *
 * A mode argument runs only the modes whose label contains it ("1000").
 *
 * "always, sync every event" is one fsync per event, bound by the disk, so
 * it runs on a hundredth of the events. (The other modes slow down as the
 * database grows, so they run on all of them.) Databases live in a
 * temporary directory under /tmp, removed at the end. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain.h"
#include "chain/sha256.h"
#include "store/db.h"

enum { MANY_ACTORS = 1000, PAYLOAD = 100 };

static double now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t parse_count(const char *arg, size_t fallback)
{
    if (!arg)
        return fallback;
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end || v == 0) {
        fprintf(stderr, "bench_db: '%s' is not a positive count\n", arg);
        exit(2);
    }
    return (size_t)v;
}

static void die(const char *what, const th_error *err)
{
    fprintf(stderr, "bench_db: %s: %s\n", what, err->msg);
    exit(1);
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

/* One actor's end of its chain, as the runtime keeps it. */
typedef struct actor {
    char id[33];
    uint64_t length;
    uint8_t head[TH_HASH_SIZE];
} actor;

static actor *register_actors(th_db *db, size_t n)
{
    actor *actors = calloc(n, sizeof *actors);
    if (!actors) {
        perror("calloc");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(actors[i].id, sizeof actors[i].id, "%032zx", i + 1);
        th_actor_record rec = {.name = "bench",
                               .manifest = "name = \"bench\"\n",
                               .status = "running",
                               .created_ns = (int64_t)i};
        memcpy(rec.id, actors[i].id, sizeof rec.id);
        th_db_put_actor(db, &rec);
    }
    return actors;
}

/* The next event of an actor's chain, hashed, handed to the writer. */
static void append_one(th_db *db, actor *a, uint8_t *payload, const uint8_t *state_hash)
{
    th_event ev = {.index = a->length,
                   .timestamp_ns = 1700000000000000000 + (int64_t)a->length,
                   .type = TH_EV_CALL,
                   .name = "theater:simple/message-server-client#handle-send",
                   .input = payload,
                   .input_len = PAYLOAD,
                   .output = payload,
                   .output_len = 0,
                   .has_state = true};
    memcpy(ev.parent, a->head, TH_HASH_SIZE);
    memcpy(ev.state_hash, state_hash, TH_HASH_SIZE);
    memcpy(payload, &a->length, sizeof a->length); /* every event differs */
    th_event_compute_hash(&ev, ev.hash);
    th_db_append_event(db, a->id, &ev, NULL, 0);
    memcpy(a->head, ev.hash, TH_HASH_SIZE);
    a->length++;
}

typedef struct mode {
    const char *label;
    th_durability durability;
    size_t actors;
    size_t sync_every; /* 0: only at the end */
    size_t divisor;    /* runs on events / divisor */
} mode;

/* Appends n events round-robin over the mode's actors into a fresh
 * database in dir; returns events per second. */
static double run_mode(const char *dir, const mode *m, size_t n)
{
    th_error err;
    th_db *db = th_db_open(dir, m->durability, &err);
    if (!db)
        die("open", &err);
    actor *actors = register_actors(db, m->actors);
    if (th_db_sync(db, &err) != 0)
        die("registering", &err);
    uint8_t payload[PAYLOAD], state_hash[TH_HASH_SIZE];
    memset(payload, 'm', sizeof payload);
    th_sha256("{}", 2, state_hash);

    double start = now();
    for (size_t i = 0; i < n; i++) {
        append_one(db, &actors[i % m->actors], payload, state_hash);
        if (m->sync_every && (i + 1) % m->sync_every == 0 && th_db_sync(db, &err) != 0)
            die("sync", &err);
    }
    if (th_db_sync(db, &err) != 0)
        die("sync", &err);
    double rate = (double)n / (now() - start);
    th_db_close(db);
    free(actors);
    return rate;
}

/* Loads the one actor's chain of the database in dir and verifies it. */
static void bench_load(const char *dir)
{
    th_error err;
    th_db_reader *r = th_db_reader_open_path(dir, &err);
    if (!r)
        die("reader", &err);
    th_actor_info info;
    if (th_db_find_actor(r, "00000000000000000000000000000001", &info, &err) != 0)
        die("find", &err);
    double start = now();
    th_chain *chain = th_db_load_chain(r, &info, 0, 0, &err);
    if (!chain)
        die("load", &err);
    double loaded = now();
    th_verify_report report;
    bool ok = th_chain_verify(chain, &report);
    double verified = now();
    double mb = (double)report.bytes_checked / 1e6;
    printf("load + verify %zu events (%.0f MB encoded): %s; load %.0f MB/s, verify %.0f MB/s, "
           "both %.0f MB/s (%.0f events/s)\n",
           report.events_checked, mb, ok ? "ok" : report.reason, mb / (loaded - start),
           mb / (verified - loaded), mb / (verified - start),
           (double)report.events_checked / (verified - start));
    th_chain_free(chain);
    th_actor_info_clear(&info);
    th_db_reader_close(r);
}

int main(int argc, char **argv)
{
    size_t n = parse_count(argc > 1 ? argv[1] : NULL, 1000000);
    size_t runs = parse_count(argc > 2 ? argv[2] : NULL, 3);
    const char *only = argc > 3 ? argv[3] : "";
    static const mode modes[] = {
        {"off", TH_DURABILITY_OFF, 1, 0, 1},
        {"off, 1000 actors", TH_DURABILITY_OFF, MANY_ACTORS, 0, 1},
        {"batch", TH_DURABILITY_BATCH, 1, 0, 1},
        {"batch, 1000 actors", TH_DURABILITY_BATCH, MANY_ACTORS, 0, 1},
        {"always, sync every 100", TH_DURABILITY_ALWAYS, 1, 100, 1},
        {"always, sync every 100, 1000 actors", TH_DURABILITY_ALWAYS, MANY_ACTORS, 100, 1},
        {"always, sync every event", TH_DURABILITY_ALWAYS, 1, 1, 100},
    };
    char tmpl[] = "/tmp/theater-bench-db-XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 1;
    }
    char dir[sizeof tmpl + 16];
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        if (!strstr(modes[m].label, only))
            continue;
        size_t events = n / modes[m].divisor ? n / modes[m].divisor : 1;
        double best = 0;
        for (size_t run = 1; run <= runs; run++) {
            snprintf(dir, sizeof dir, "%s/%zu-%zu", tmpl, m, run);
            double rate = run_mode(dir, &modes[m], events);
            printf("%-36s run %zu: %8.0f events/s (%zu events)\n", modes[m].label, run, rate,
                   events);
            fflush(stdout);
            best = rate > best ? rate : best;
            /* Keep one 1-actor batch database to load back below. */
            if (!(m == 2 && run == 1))
                remove_tree(dir);
        }
        printf("%-36s best:  %8.0f events/s\n", modes[m].label, best);
    }
    snprintf(dir, sizeof dir, "%s/2-1", tmpl);
    for (size_t run = 1; run <= runs && strstr(modes[2].label, only); run++)
        bench_load(dir);
    remove_tree(tmpl);
    return 0;
}
