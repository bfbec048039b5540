/* The writer thread: the one owner of the write connection.
 *
 * Producers (actor threads) copy their work into a queue under a mutex and
 * return at once. The writer takes everything queued, applies it in one
 * transaction (apply.c), commits, and publishes how many items are settled
 * so that th_db_sync can wait for its own. Grouping many items into one
 * commit is what makes an fsync'd chain fast: the cost of the fsync is
 * shared by every event that waited for it.
 *
 * Sequence numbers: `queued` counts the items ever handed over, `settled`
 * the items the writer has finished with (committed, or dropped after a
 * failure). Items are applied in order, so "settled >= n" means the first n
 * items are done. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "store/store_internal.h"

enum {
    /* Producers wait when this much is queued: if the disk cannot keep up,
     * actors slow down rather than the queue eating the memory. */
    QUEUE_MAX_BYTES = 64 << 20,
    /* A batch this large is committed without waiting for the delay. */
    BATCH_MAX_BYTES = 8 << 20,
    /* The writer keeps its emptied buffer for the next batch unless a
     * large package made it grow past this. */
    SPARE_MAX_BYTES = 16 << 20,
};

struct th_writer {
    char *path;
    sqlite3 *conn;
    th_durability durability;
    th_applier *applier;
    pthread_t thread;

    pthread_mutex_t lock;
    pthread_cond_t work;  /* to the writer: there is work, or a reason to commit now */
    pthread_cond_t done;  /* from the writer: `settled` moved, or it failed */
    pthread_cond_t space; /* from the writer: the queue was taken, producers may go on */

    /* Guarded by lock. */
    th_buf pending;                /* queued items (store_internal.h) */
    size_t pending_items;          /* how many items pending holds */
    struct timespec first_pending; /* when the oldest pending item was queued (monotonic) */
    uint64_t queued, settled;      /* item counts, see the top of the file */
    uint64_t sync_wanted;          /* someone waits for the items up to this one */
    bool stopping;
    bool failed; /* sticky: the first failure is kept and reported */
    th_error error;

    /* The writer thread's own. */
    th_buf spare;
};

/* ---- Producers ------------------------------------------------------------------ */

typedef th_item_part part;

static void lock(th_writer *w)
{
    if (pthread_mutex_lock(&w->lock) != 0)
        abort(); /* only on a corrupted mutex */
}

static void unlock(th_writer *w)
{
    if (pthread_mutex_unlock(&w->lock) != 0)
        abort();
}

static void wait_on(pthread_cond_t *cond, th_writer *w)
{
    if (pthread_cond_wait(cond, &w->lock) != 0)
        abort();
}

/* Copies one item into the queue: the caller's buffers may be reused as
 * soon as this returns. After a failure the work is dropped (the writer
 * would drop it anyway); th_db_sync and th_db_error report the failure. */
static void enqueue(th_writer *w, th_item_kind kind, const void *fixed, size_t fixed_len,
                    const part *parts, size_t nparts)
{
    size_t total = 1 + fixed_len;
    for (size_t i = 0; i < nparts; i++)
        total += parts[i].len;

    lock(w);
    while (w->pending.len >= QUEUE_MAX_BYTES && !w->failed) {
        pthread_cond_signal(&w->work);
        wait_on(&w->space, w);
    }
    if (w->failed) {
        unlock(w);
        return;
    }
    th_buf_reserve(&w->pending, total);
    th_buf_append_byte(&w->pending, (uint8_t)kind);
    th_buf_append(&w->pending, fixed, fixed_len);
    for (size_t i = 0; i < nparts; i++)
        if (parts[i].len)
            th_buf_append(&w->pending, parts[i].data, parts[i].len);
    w->queued++;
    /* Wake the writer only when it may be waiting for exactly this: work
     * after an empty queue, or a full batch. Signalling on every item would
     * cost every producer a system call. */
    if (w->pending_items++ == 0) {
        if (clock_gettime(CLOCK_MONOTONIC, &w->first_pending) != 0)
            abort();
        pthread_cond_signal(&w->work);
    } else if (w->pending_items == TH_BATCH_MAX_EVENTS || w->pending.len >= BATCH_MAX_BYTES) {
        pthread_cond_signal(&w->work);
    }
    unlock(w);
}

void th_writer_enqueue(th_db *db, th_item_kind kind, const void *fixed, size_t fixed_len,
                       const th_item_part *parts, size_t nparts)
{
    enqueue(db->writer, kind, fixed, fixed_len, parts, nparts);
}

static size_t text_len(const char *s)
{
    return s ? strlen(s) : 0;
}

/* Copies an id into a fixed field; ids are 32 hex digits, longer ones are
 * a caller's bug, and cut rather than overflowing. */
static void copy_id(char out[33], const char *id)
{
    snprintf(out, 33, "%s", id ? id : "");
}

void th_db_put_actor(th_db *db, const th_actor_record *rec)
{
    th_actor_item it;
    memset(&it, 0, sizeof it);
    copy_id(it.id, rec->id);
    copy_id(it.parent, rec->parent);
    memcpy(it.package_hash, rec->package_hash, TH_HASH_SIZE);
    it.created_ns = rec->created_ns;
    it.name_len = (int64_t)text_len(rec->name);
    it.manifest_path_len =
        rec->manifest_path ? (int64_t)strlen(rec->manifest_path) : TH_ITEM_NO_TEXT;
    it.manifest_len = (int64_t)text_len(rec->manifest);
    it.status_len = (int64_t)text_len(rec->status);
    part parts[] = {{rec->name, (size_t)it.name_len},
                    {rec->manifest_path, rec->manifest_path ? (size_t)it.manifest_path_len : 0},
                    {rec->manifest, (size_t)it.manifest_len},
                    {rec->status, (size_t)it.status_len}};
    enqueue(db->writer, TH_ITEM_ACTOR, &it, sizeof it, parts, sizeof parts / sizeof parts[0]);
}

void th_db_put_package(th_db *db, const uint8_t hash[TH_HASH_SIZE], const uint8_t *wasm, size_t len)
{
    th_package_item it;
    memset(&it, 0, sizeof it);
    memcpy(it.hash, hash, TH_HASH_SIZE);
    it.len = wasm ? len : 0;
    part parts[] = {{wasm, it.len}};
    enqueue(db->writer, TH_ITEM_PACKAGE, &it, sizeof it, parts, 1);
}

/* The empty state's hash, SHA-256 of no bytes. Its bytes are known without
 * being given, and a caller holding an empty buffer may well pass NULL. */
static bool is_empty_state(const uint8_t hash[TH_HASH_SIZE])
{
    static const uint8_t empty[TH_HASH_SIZE] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
                                                0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                                                0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
                                                0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    return memcmp(hash, empty, TH_HASH_SIZE) == 0;
}

void th_db_append_event(th_db *db, const char *actor_id, const th_event *ev, const uint8_t *state,
                        size_t state_len)
{
    th_event_item it;
    memset(&it, 0, sizeof it);
    it.ev = *ev;
    it.ev.name = NULL; /* the bytes follow; no pointer leaves this thread */
    it.ev.input = it.ev.output = NULL;
    it.actor_len = text_len(actor_id);
    it.name_len = text_len(ev->name);
    /* A state is stored under its event's state hash, so only with one. */
    it.store_state = ev->has_state && (state || is_empty_state(ev->state_hash));
    it.state_len = it.store_state && state ? state_len : 0;
    part parts[] = {{actor_id, it.actor_len},
                    {ev->name, it.name_len},
                    {ev->input, ev->input ? ev->input_len : 0},
                    {ev->output, ev->output ? ev->output_len : 0},
                    {state, it.state_len}};
    if (!ev->input)
        it.ev.input_len = 0;
    if (!ev->output)
        it.ev.output_len = 0;
    enqueue(db->writer, TH_ITEM_EVENT, &it, sizeof it, parts, sizeof parts / sizeof parts[0]);
}

void th_db_set_status(th_db *db, const char *actor_id, const char *status)
{
    th_status_item it = {text_len(actor_id), text_len(status)};
    part parts[] = {{actor_id, it.actor_len}, {status, it.status_len}};
    enqueue(db->writer, TH_ITEM_STATUS, &it, sizeof it, parts, 2);
}

/* ---- Waiting for the writer ----------------------------------------------------- */

/* Called with the lock held. */
static int report_failure(th_writer *w, th_error *err)
{
    if (!w->failed)
        return 0;
    if (err)
        *err = w->error;
    return -1;
}

int th_db_sync(th_db *db, th_error *err)
{
    th_writer *w = db->writer;
    lock(w);
    uint64_t target = w->queued;
    if (w->settled < target) {
        if (w->sync_wanted < target)
            w->sync_wanted = target;
        pthread_cond_signal(&w->work);
        while (w->settled < target)
            wait_on(&w->done, w);
    }
    int rc = report_failure(w, err);
    unlock(w);
    return rc;
}

int th_db_error(th_db *db, th_error *err)
{
    th_writer *w = db->writer;
    lock(w);
    int rc = report_failure(w, err);
    unlock(w);
    return rc;
}

/* ---- The writer thread ------------------------------------------------------------- */

/* Reasons to commit the pending items now rather than wait for more. */
static bool batch_ready(const th_writer *w)
{
    return w->stopping || w->failed || w->durability == TH_DURABILITY_OFF ||
           w->pending_items >= TH_BATCH_MAX_EVENTS || w->pending.len >= BATCH_MAX_BYTES ||
           w->sync_wanted > w->settled;
}

/* Group commit: after the first item, wait up to TH_BATCH_MAX_DELAY_MS for
 * others to share the commit's fsync. Called with the lock held. */
static void wait_for_batch(th_writer *w)
{
    struct timespec deadline = w->first_pending;
    deadline.tv_nsec += (long)TH_BATCH_MAX_DELAY_MS * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    while (!batch_ready(w)) {
        int rc = pthread_cond_timedwait(&w->work, &w->lock, &deadline);
        if (rc == ETIMEDOUT)
            return;
        if (rc != 0)
            abort();
    }
}

/* Takes the pending items; the producers get the spare buffer. Called with
 * the lock held. */
static th_buf take_pending(th_writer *w)
{
    th_buf batch = w->pending;
    w->pending = w->spare;
    w->spare = (th_buf)TH_BUF_INIT;
    w->pending_items = 0;
    pthread_cond_broadcast(&w->space);
    return batch;
}

static void keep_as_spare(th_writer *w, th_buf *batch)
{
    if (batch->cap > SPARE_MAX_BYTES) {
        th_buf_free(batch);
        return;
    }
    batch->len = 0;
    w->spare = *batch;
}

static void *writer_main(void *arg)
{
    th_writer *w = arg;
    lock(w);
    for (;;) {
        while (!w->pending_items && !w->stopping)
            wait_on(&w->work, w);
        if (!w->pending_items)
            break; /* stopping, and everything is settled */
        wait_for_batch(w);
        th_buf batch = take_pending(w);
        uint64_t last = w->queued;
        bool failed = w->failed;
        unlock(w);

        /* After a failure nothing more is applied: a later batch could
         * depend on the lost one, and a chain with a hole is worse than a
         * chain that ends early. */
        th_error error;
        int rc = failed ? 0 : th_applier_apply(w->applier, batch.data, batch.len, &error);
        keep_as_spare(w, &batch);

        lock(w);
        if (rc != 0 && !w->failed) {
            w->failed = true;
            w->error = error;
            pthread_cond_broadcast(&w->space);
        }
        w->settled = last;
        pthread_cond_broadcast(&w->done);
    }
    unlock(w);
    return NULL;
}

/* ---- Starting and stopping ---------------------------------------------------------- */

static int init_sync(th_writer *w)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    /* The batch delay is measured on the monotonic clock: a wall clock set
     * back must not hold a commit. */
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&w->work, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -1;
    if (pthread_cond_init(&w->done, NULL) != 0) {
        pthread_cond_destroy(&w->work);
        return -1;
    }
    if (pthread_cond_init(&w->space, NULL) != 0) {
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->done);
        return -1;
    }
    if (pthread_mutex_init(&w->lock, NULL) != 0) {
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->done);
        pthread_cond_destroy(&w->space);
        return -1;
    }
    return 0;
}

static void destroy_sync(th_writer *w)
{
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->space);
    pthread_mutex_destroy(&w->lock);
}

/* off: the OS writes the pages when it likes; batch and always: in WAL
 * mode FULL fsyncs the WAL at every commit, so a commit survives a power
 * loss. */
static const char *synchronous_pragma(th_durability d)
{
    return d == TH_DURABILITY_OFF ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL";
}

/* Measured with bench/bench_db (docs/storage.md): with many actors taking
 * turns, every actor's last leaf page of the events table is written in
 * each transaction. A 64 MiB page cache (SQLite's default is 2 MiB) keeps
 * those of some 15,000 actors in memory, which made 1,000 actors twice as
 * fast; checkpointing every 8,192 pages (32 MiB of WAL) rather than every
 * 1,000 spends the checkpoint's fsyncs over more commits. The cache is
 * filled only as pages are used. */
static const char tuning_pragmas[] = "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=8192";

static void free_writer(th_writer *w)
{
    th_applier_free(w->applier);
    th_store_disconnect(w->conn);
    th_buf_free(&w->pending);
    th_buf_free(&w->spare);
    free(w->path);
    free(w);
}

th_writer *th_writer_start(sqlite3 *conn, const char *path, th_durability durability, th_error *err)
{
    th_writer *w = th_xcalloc(1, sizeof *w);
    w->path = th_xstrdup(path);
    w->conn = conn;
    w->durability = durability;
    if (th_store_exec(conn, path, synchronous_pragma(durability), err) != 0 ||
        th_store_exec(conn, path, tuning_pragmas, err) != 0)
        goto fail;
    w->applier = th_applier_new(conn, path, err);
    if (!w->applier)
        goto fail;
    if (init_sync(w) != 0) {
        th_error_set(err, "%s: cannot create the writer's locks", path);
        goto fail;
    }
    int rc = pthread_create(&w->thread, NULL, writer_main, w);
    if (rc != 0) {
        th_error_set(err, "%s: cannot start the writer thread: %s", path, strerror(rc));
        destroy_sync(w);
        goto fail;
    }
    return w;
fail:
    free_writer(w);
    return NULL;
}

void th_writer_stop(th_writer *w)
{
    lock(w);
    w->stopping = true;
    pthread_cond_signal(&w->work);
    unlock(w);
    if (pthread_join(w->thread, NULL) != 0)
        abort();
    destroy_sync(w);
    th_applier_free(w->applier);
    w->applier = NULL;
    /* A clean close leaves everything in the database file, on disk even
     * in off mode, and the WAL empty. Both are housekeeping: what was
     * committed is safe in the WAL if they fail (a reader holding a
     * snapshot makes the checkpoint give up), so failures are ignored. */
    if (w->durability == TH_DURABILITY_OFF)
        sqlite3_exec(w->conn, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    sqlite3_exec(w->conn, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    free_writer(w);
}
