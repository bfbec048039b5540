/* The runtime: the actor table, spawning, and the public th_runtime_* API.
 * What a worker does with an actor's mail is in turn.c; supervision in
 * supervision.c; the threads in sched.c. */
#include "runtime/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/hex.h"
#include "handlers/handlers.h"

#define DEFAULT_REQUEST_TIMEOUT_MS 30000
#define DEFAULT_SEND_TIMEOUT_MS 5000
#define DEFAULT_BATCH 64

/* ---- The table ------------------------------------------------------------------- */

static size_t id_hash(const char *id)
{
    size_t h = 0; /* ids are random: their first 16 hex digits are a fine hash */
    for (int i = 0; i < 16; i++)
        h = h << 4 | (size_t)th_hex_digit(id[i]);
    return h;
}

static th_table_shard *shard_of(th_runtime *rt, size_t hash)
{
    return &rt->table[hash % TH_TABLE_SHARDS];
}

static void table_grow(th_table_shard *sh)
{
    size_t n = sh->n_buckets ? sh->n_buckets * 2 : 64;
    th_cell **b = th_xcalloc(n, sizeof *b);
    for (size_t i = 0; i < sh->n_buckets; i++) {
        th_cell *c = sh->buckets[i];
        while (c) {
            th_cell *next = c->table_next;
            size_t k = id_hash(c->id) / TH_TABLE_SHARDS % n;
            c->table_next = b[k];
            b[k] = c;
            c = next;
        }
    }
    free(sh->buckets);
    sh->buckets = b;
    sh->n_buckets = n;
}

static void table_insert(th_runtime *rt, th_cell *cell)
{
    size_t h = id_hash(cell->id);
    th_table_shard *sh = shard_of(rt, h);
    pthread_mutex_lock(&sh->lock);
    if (sh->count >= sh->n_buckets)
        table_grow(sh);
    size_t k = h / TH_TABLE_SHARDS % sh->n_buckets;
    cell->table_next = sh->buckets[k];
    sh->buckets[k] = cell;
    sh->count++;
    pthread_mutex_unlock(&sh->lock);
}

static bool is_full_id(const char *id, size_t len)
{
    if (len != 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (th_hex_digit(id[i]) < 0)
            return false;
    return true;
}

th_cell *th_runtime_lookup(th_runtime *rt, const char *id, size_t len)
{
    if (!is_full_id(id, len))
        return NULL;
    size_t h = id_hash(id);
    th_table_shard *sh = shard_of(rt, h);
    pthread_mutex_lock(&sh->lock);
    th_cell *c = sh->n_buckets ? sh->buckets[h / TH_TABLE_SHARDS % sh->n_buckets] : NULL;
    while (c && memcmp(c->id, id, 32) != 0)
        c = c->table_next;
    pthread_mutex_unlock(&sh->lock);
    return c;
}

th_cell *th_runtime_find(th_runtime *rt, const char *id, th_error *err)
{
    size_t len = strlen(id);
    if (len == 32) {
        th_cell *c = th_runtime_lookup(rt, id, len);
        if (!c)
            th_error_set(err, "no actor with id %s in this runtime", id);
        return c;
    }
    if (len < 4 || len > 32 || !th_hex_is_lower(id, len)) {
        th_error_set(err,
                     "'%.40s' is not an actor id (32 lowercase hex digits, or a unique prefix of "
                     "at least 4)",
                     id);
        return NULL;
    }
    th_cell *found = NULL;
    size_t matches = 0;
    for (size_t s = 0; s < TH_TABLE_SHARDS; s++) {
        th_table_shard *sh = &rt->table[s];
        pthread_mutex_lock(&sh->lock);
        for (size_t b = 0; b < sh->n_buckets; b++)
            for (th_cell *c = sh->buckets[b]; c; c = c->table_next)
                if (memcmp(c->id, id, len) == 0) {
                    found = c;
                    matches++;
                }
        pthread_mutex_unlock(&sh->lock);
    }
    if (matches == 1)
        return found;
    th_error_set(err,
                 matches ? "the id prefix %s matches %zu actors; give more digits"
                         : "no actor with an id beginning %s in this runtime%.0zu",
                 id, matches);
    return NULL;
}

/* ---- Cells ------------------------------------------------------------------------- */

void th_cell_wake(th_cell *cell)
{
    int idle = TH_CELL_IDLE;
    if (atomic_load(&cell->rt->stopping))
        return; /* shutting down: what was queued is dropped */
    if (atomic_compare_exchange_strong(&cell->sched_state, &idle, TH_CELL_QUEUED)) {
        atomic_fetch_add(&cell->rt->busy, 1);
        th_sched_push(cell->rt->sched, cell);
    }
}

static th_cell *cell_new(th_runtime *rt, th_manifest *manifest, th_cell *parent, th_restart restart)
{
    th_cell *cell = th_xcalloc(1, sizeof *cell);
    cell->rt = rt;
    th_actor_new_id(cell->id);
    cell->manifest = manifest;
    cell->parent = parent;
    cell->restart = restart;
    cell->capacity = manifest ? manifest->limits.mailbox : TH_DEFAULT_MAILBOX;
    atomic_init(&cell->sched_state, TH_CELL_IDLE);
    atomic_init(&cell->started_ns, th_now_ns());
    if (pthread_mutex_init(&cell->lock, NULL) || pthread_mutex_init(&cell->mbox_lock, NULL) ||
        pthread_mutex_init(&cell->info_lock, NULL))
        abort();
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
        pthread_cond_init(&cell->mbox_room, &attr))
        abort();
    pthread_condattr_destroy(&attr);
    return cell;
}

static void stop_cell(th_cell *cell);
static void close_cell(th_cell *cell);

static void cell_free(th_cell *cell)
{
    stop_cell(cell); /* answers anyone still waiting on it */
    for (th_sub *s = cell->subs; s;) {
        th_sub *next = s->next;
        free(s);
        s = next;
    }
    th_actor_free(cell->actor);
    th_manifest_free(cell->manifest);
    th_buf_free(&cell->initial_state);
    free(cell->children);
    free(cell->restarts);
    pthread_mutex_destroy(&cell->lock);
    pthread_mutex_destroy(&cell->mbox_lock);
    pthread_mutex_destroy(&cell->info_lock);
    pthread_cond_destroy(&cell->mbox_room);
    free(cell);
}

static void observe(void *ud, const th_actor *actor, const th_event *ev)
{
    th_cell *cell = ud;
    atomic_fetch_add(&cell->events, 1);
    for (th_sub *s = cell->subs; s; s = s->next)
        s->fn(s->ud, actor->id, ev);
}

/* A child may hold only capabilities its supervisor holds: spawning must
 * never be a way around the supervisor's own manifest. */
static int check_child_grants(const th_manifest *child, const th_cell *parent, th_error *err)
{
    for (size_t i = 0; i < child->n_handlers; i++) {
        th_handler_type t = child->handlers[i].type;
        if (!th_manifest_grants(parent->manifest, t))
            return th_error_set(err,
                                "%s grants the '%s' handler, which its supervisor %s does not "
                                "have: a child may hold only its supervisor's capabilities",
                                child->path ? child->path : child->name, th_handler_type_name(t),
                                th_cell_name(parent));
    }
    return 0;
}

static th_manifest *load_child_manifest(const th_child_spec *spec, th_error *err)
{
    th_manifest *m = th_manifest_load(spec->manifest, err);
    if (!m)
        return NULL;
    return m;
}

/* Starts the [[children]] the manifest declares, in order; on a failure
 * the ones started are stopped and the error names the child. */
static int start_declared_children(th_runtime *rt, th_cell *cell, th_error *err)
{
    const th_manifest *m = cell->manifest;
    for (size_t i = 0; i < m->n_children; i++) {
        const th_child_spec *spec = &m->children[i];
        th_manifest *cm = load_child_manifest(spec, err);
        th_cell *child =
            cm ? th_runtime_spawn_cell(rt, cm, spec->initial_state, spec->initial_state_len,
                                       spec->has_initial_state, cell, spec->restart, err)
               : NULL;
        if (!child) {
            th_error_wrap(err, "%s:%d:%d: child %zu of %s", m->path ? m->path : "<manifest>",
                          spec->line, spec->col, i + 1, m->name);
            for (size_t k = 0; k < cell->n_children; k++)
                th_cell_order_stop(cell->children[k], TH_EXIT_PARENT, NULL);
            return -1;
        }
    }
    return 0;
}

th_cell *th_runtime_spawn_cell(th_runtime *rt, th_manifest *manifest, const uint8_t *initial_state,
                               size_t len, bool has_initial_state, th_cell *parent,
                               th_restart restart, th_error *err)
{
    if (parent && check_child_grants(manifest, parent, err)) {
        th_manifest_free(manifest);
        return NULL;
    }
    th_cell *cell = cell_new(rt, manifest, parent, restart);
    if (has_initial_state) {
        cell->has_initial_state = true;
        th_buf_append(&cell->initial_state, initial_state, len);
    }
    th_spawn_options opts = {
        .db = rt->db,
        .parent_id = parent ? parent->id : NULL,
        .has_initial_state = has_initial_state,
        .initial_state = initial_state,
        .initial_state_len = len,
    };
    /* Whoever runs an actor's code holds its lock; nobody else can see the
     * cell yet, but init's host calls release and retake it. */
    pthread_mutex_lock(&cell->lock);
    cell->actor = th_actor_spawn_as(rt->engine, manifest, &opts, cell->id, cell, err);
    if (cell->actor) {
        cell->actor->observer = observe;
        cell->actor->observer_ud = cell;
        atomic_store(&cell->events, th_chain_length(cell->actor->chain));
        atomic_store(&cell->alive, true);
    }
    pthread_mutex_unlock(&cell->lock);
    if (!cell->actor) {
        cell_free(cell);
        return NULL;
    }
    table_insert(rt, cell);
    if (parent)
        th_cell_add_child(parent, cell);
    pthread_mutex_lock(&cell->lock);
    int rc = th_services_start(cell, err) || start_declared_children(rt, cell, err) ? -1 : 0;
    if (rc) {
        if (parent)
            th_cell_remove_child(parent, cell);
        th_services_stop(cell);
        th_actor_record_stop(cell->actor, "failed");
        atomic_store(&cell->alive, false);
        close_cell(cell); /* answers anything that reached it meanwhile (an HTTP client) */
        th_cell_set_exit(cell, TH_EXIT_FAILED, "%s", err ? err->msg : "");
    }
    pthread_mutex_unlock(&cell->lock);
    return rc ? NULL : cell;
}

/* ---- Lifecycle ------------------------------------------------------------------------ */

th_runtime *th_runtime_new(th_engine *engine, const th_runtime_options *opts, th_error *err)
{
    th_runtime *rt = th_xcalloc(1, sizeof *rt);
    rt->engine = engine;
    rt->db = opts ? opts->db : NULL;
    rt->request_timeout_ms =
        opts && opts->request_timeout_ms ? opts->request_timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
    rt->send_timeout_ms =
        opts && opts->send_timeout_ms ? opts->send_timeout_ms : DEFAULT_SEND_TIMEOUT_MS;
    rt->batch = opts && opts->batch ? opts->batch : DEFAULT_BATCH;
    for (size_t i = 0; i < TH_TABLE_SHARDS; i++)
        if (pthread_mutex_init(&rt->table[i].lock, NULL))
            abort();
    th_channels_init(rt);
    rt->sched = th_sched_new(opts ? opts->threads : 0, th_runtime_turn, rt);
    rt->timers = th_timers_new();
    if (!rt->sched || !rt->timers) {
        th_error_set(err, "could not start the runtime's worker threads");
        th_runtime_free(rt);
        return NULL;
    }
    return rt;
}

static void for_each_cell(th_runtime *rt, void (*fn)(th_cell *cell))
{
    for (size_t s = 0; s < TH_TABLE_SHARDS; s++) {
        th_table_shard *sh = &rt->table[s];
        for (size_t b = 0; b < sh->n_buckets; b++) {
            th_cell *c = sh->buckets[b];
            while (c) {
                th_cell *next = c->table_next; /* fn may free c */
                fn(c);
                c = next;
            }
        }
    }
}

/* Closes the mailbox and answers whoever waits on what was in it. Safe
 * while workers run: it takes only the mailbox lock. */
static void close_cell(th_cell *cell)
{
    for (th_msg *m = th_mailbox_close(cell); m;) {
        th_msg *next = m->next;
        if (m->reply) {
            th_reply_fail(m->reply, "the runtime shut down before %s handled this",
                          th_cell_name(cell));
            m->reply = NULL;
        }
        th_msg_free(m);
        m = next;
    }
}

/* Workers are gone: nothing else touches the cell. */
static void stop_cell(th_cell *cell)
{
    close_cell(cell);
    if (cell->actor && !cell->actor->stopped) {
        th_http_server_stop(cell);
        th_actor_stop(cell->actor);
        th_cell_set_exit(cell, TH_EXIT_RUNTIME, "the runtime shut down");
    }
    atomic_store(&cell->alive, false);
}

void th_runtime_shutdown(th_runtime *rt)
{
    if (atomic_exchange(&rt->stopping, true))
        return;
    /* Closing every mailbox first answers the requests still queued, so a
     * worker waiting on one (an actor's request) is released before the
     * workers are joined. */
    for_each_cell(rt, close_cell);
    th_sched_free(rt->sched); /* no turn runs from here on */
    rt->sched = NULL;
    th_timers_free(rt->timers); /* no timer fires from here on */
    rt->timers = NULL;
    for_each_cell(rt, stop_cell);
    th_channels_free(rt);
}

void th_runtime_free(th_runtime *rt)
{
    if (!rt)
        return;
    th_runtime_shutdown(rt);
    for_each_cell(rt, cell_free);
    for (size_t s = 0; s < TH_TABLE_SHARDS; s++) {
        free(rt->table[s].buckets);
        pthread_mutex_destroy(&rt->table[s].lock);
    }
    free(rt);
}

/* ---- Spawning ---------------------------------------------------------------------------- */

int th_runtime_spawn_manifest(th_runtime *rt, th_manifest *manifest, const uint8_t *initial_state,
                              size_t len, const char *parent_id, char id_out[33], th_error *err)
{
    if (atomic_load(&rt->stopping)) {
        th_manifest_free(manifest);
        return th_error_set(err, "the runtime is shutting down");
    }
    th_cell *parent = NULL;
    if (parent_id && !(parent = th_runtime_find(rt, parent_id, err))) {
        th_manifest_free(manifest);
        return -1;
    }
    th_restart restart = TH_RESTART_TEMPORARY;
    if (parent) {
        pthread_mutex_lock(&parent->lock); /* the child goes on its list */
        restart = parent->manifest->supervisor.restart;
    }
    th_cell *cell = th_runtime_spawn_cell(rt, manifest, initial_state, len, initial_state != NULL,
                                          parent, restart, err);
    if (parent)
        pthread_mutex_unlock(&parent->lock);
    if (!cell)
        return -1;
    memcpy(id_out, cell->id, 33);
    return 0;
}

int th_runtime_spawn(th_runtime *rt, const char *manifest_path, const uint8_t *initial_state,
                     size_t len, const char *parent_id, char id_out[33], th_error *err)
{
    th_manifest *m = th_manifest_load(manifest_path, err);
    if (!m)
        return -1;
    return th_runtime_spawn_manifest(rt, m, initial_state, len, parent_id, id_out, err);
}

int th_runtime_resume(th_runtime *rt, const char *id, char id_out[33], th_error *err)
{
    if (!rt->db)
        return th_error_set(err, "resuming an actor needs a runtime with a database");
    if (th_runtime_find(rt, id, NULL))
        return th_error_set(err, "actor %s is already in this runtime", id);
    th_cell *cell = cell_new(rt, NULL, NULL, TH_RESTART_TEMPORARY); /* the manifest is stored */
    pthread_mutex_lock(&cell->lock);
    cell->actor = th_actor_resume_as(rt->engine, rt->db, id, cell, err);
    pthread_mutex_unlock(&cell->lock);
    if (!cell->actor) {
        cell_free(cell);
        return -1;
    }
    th_actor *a = cell->actor;
    /* The stored manifest moves from the actor to the cell, which keeps it
     * across restarts. */
    cell->manifest = a->owned_manifest;
    a->owned_manifest = NULL;
    cell->capacity = cell->manifest->limits.mailbox;
    memcpy(cell->id, a->id, sizeof cell->id);
    a->observer = observe;
    a->observer_ud = cell;
    atomic_store(&cell->events, th_chain_length(a->chain));
    atomic_store(&cell->alive, true);
    table_insert(rt, cell);
    pthread_mutex_lock(&cell->lock);
    int rc = th_services_start(cell, err);
    if (rc) {
        th_actor_record_stop(a, "failed");
        atomic_store(&cell->alive, false);
        close_cell(cell);
        th_cell_set_exit(cell, TH_EXIT_FAILED, "%s", err ? err->msg : "");
    }
    pthread_mutex_unlock(&cell->lock);
    if (rc)
        return -1;
    memcpy(id_out, cell->id, 33);
    return 0;
}

/* ---- Messages from outside ----------------------------------------------------------------- */

static th_cell *find_running(th_runtime *rt, const char *id, th_error *err)
{
    th_cell *cell = th_runtime_find(rt, id, err);
    if (cell && !atomic_load(&cell->alive)) {
        th_error_set(err, "actor %s (%s) has stopped", th_cell_name(cell), cell->id);
        return NULL;
    }
    return cell;
}

/* A running actor that takes mail of this kind. */
static th_cell *find_receiver(th_runtime *rt, const char *id, th_msg_kind kind, th_error *err)
{
    th_cell *cell = find_running(rt, id, err);
    return cell && th_cell_accepts(cell, kind, err) == 0 ? cell : NULL;
}

static int push_error(th_cell *cell, th_push_result r, th_error *err)
{
    if (r == TH_PUSH_FULL)
        return th_error_set(err, "the mailbox of %s (%s) is full (%u messages)", th_cell_name(cell),
                            cell->id, cell->capacity);
    return th_error_set(err, "actor %s (%s) has stopped", th_cell_name(cell), cell->id);
}

int th_runtime_send(th_runtime *rt, const char *id, const uint8_t *msg, size_t len, th_error *err)
{
    th_cell *cell = find_receiver(rt, id, TH_MSG_SEND, err);
    if (!cell)
        return -1;
    th_msg *m = th_msg_new(TH_MSG_SEND, msg, len);
    th_push_result r = th_mailbox_push_wait(cell, m, rt->send_timeout_ms);
    if (r == TH_PUSH_OK)
        return 0;
    th_msg_free(m);
    return push_error(cell, r, err);
}

/* Sends a message carrying a reply slot and waits for the answer. */
static th_reply *ask(th_runtime *rt, th_cell *cell, th_msg *m, uint32_t timeout_ms, th_error *err)
{
    th_reply *reply = th_reply_new();
    m->reply = reply;
    th_push_result r = th_mailbox_push_wait(cell, m, rt->send_timeout_ms);
    if (r != TH_PUSH_OK) {
        th_msg_free(m); /* drops the message's reference */
        th_reply_release(reply);
        push_error(cell, r, err);
        return NULL;
    }
    if (!th_reply_wait(reply, timeout_ms)) {
        th_reply_release(reply);
        th_error_set(err, "no answer from %s (%s) within %u ms", th_cell_name(cell), cell->id,
                     timeout_ms);
        return NULL;
    }
    return reply;
}

int th_runtime_request(th_runtime *rt, const char *id, const uint8_t *msg, size_t len,
                       uint32_t timeout_ms, uint8_t **response, size_t *response_len, th_error *err)
{
    th_cell *cell = find_receiver(rt, id, TH_MSG_REQUEST, err);
    if (!cell)
        return -1;
    th_reply *reply = ask(rt, cell, th_msg_new(TH_MSG_REQUEST, msg, len),
                          timeout_ms ? timeout_ms : rt->request_timeout_ms, err);
    if (!reply)
        return -1;
    int rc = 0;
    if (reply->ok) {
        *response = reply->data;
        *response_len = reply->len;
        reply->data = NULL;
    } else {
        rc = th_error_set(err, "%s", reply->error);
        th_error_mark_actor(err);
    }
    th_reply_release(reply);
    return rc;
}

int th_runtime_stop(th_runtime *rt, const char *id, th_error *err)
{
    th_cell *cell = find_running(rt, id, err);
    if (!cell)
        return -1;
    th_reply *reply = th_reply_new();
    th_cell_order_stop(cell, TH_EXIT_EXTERNAL, reply);
    /* Bounded by the actor's own time limit for the call in progress. */
    th_reply_wait(reply, 0);
    th_reply_release(reply);
    return 0;
}

int th_runtime_restart(th_runtime *rt, const char *id, bool reinit, th_error *err)
{
    th_cell *cell = th_runtime_find(rt, id, err);
    if (!cell)
        return -1;
    th_reply *reply = th_reply_new();
    th_cell_order_restart(cell, reinit ? TH_RESTART_FROM_INIT : TH_RESTART_FROM_LAST_STATE, reply);
    /* Bounded by the call in progress (its time limit) and init's. */
    th_reply_wait(reply, 0);
    int rc = reply->ok ? 0 : th_error_set(err, "%s", reply->error);
    th_reply_release(reply);
    return rc;
}

/* ---- Looking at actors --------------------------------------------------------------------------
 */

int th_runtime_subscribe(th_runtime *rt, const char *id, th_event_fn fn, void *userdata,
                         uint64_t *sub_id, th_error *err)
{
    th_cell *cell = th_runtime_find(rt, id, err);
    if (!cell)
        return -1;
    th_sub *s = th_xcalloc(1, sizeof *s);
    s->id = atomic_fetch_add(&rt->next_sub, 1) + 1;
    s->fn = fn;
    s->ud = userdata;
    pthread_mutex_lock(&cell->lock);
    th_sub **tail = &cell->subs; /* in subscription order */
    while (*tail)
        tail = &(*tail)->next;
    *tail = s;
    pthread_mutex_unlock(&cell->lock);
    if (sub_id)
        *sub_id = s->id;
    return 0;
}

int th_runtime_unsubscribe(th_runtime *rt, const char *id, uint64_t sub_id, th_error *err)
{
    th_cell *cell = th_runtime_find(rt, id, err);
    if (!cell)
        return -1;
    pthread_mutex_lock(&cell->lock);
    th_sub **p = &cell->subs;
    while (*p && (*p)->id != sub_id)
        p = &(*p)->next;
    th_sub *s = *p;
    if (s)
        *p = s->next;
    pthread_mutex_unlock(&cell->lock);
    if (!s)
        return th_error_set(err, "actor %s has no subscription %llu", cell->id,
                            (unsigned long long)sub_id);
    free(s);
    return 0;
}

int th_runtime_with_actor(th_runtime *rt, const char *id,
                          void (*fn)(void *userdata, const th_actor *actor), void *userdata,
                          th_error *err)
{
    th_cell *cell = th_runtime_find(rt, id, err);
    if (!cell)
        return -1;
    pthread_mutex_lock(&cell->lock);
    fn(userdata, cell->actor);
    pthread_mutex_unlock(&cell->lock);
    return 0;
}

static void fill_status(th_cell *cell, th_actor_status *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->id, cell->id, 33);
    if (cell->parent)
        memcpy(out->parent, cell->parent->id, 33);
    out->name = cell->manifest->name;
    out->running = atomic_load(&cell->alive);
    out->handled = atomic_load(&cell->handled);
    out->dropped = atomic_load(&cell->dropped);
    out->restarts = atomic_load(&cell->restarts_total);
    pthread_mutex_lock(&cell->mbox_lock);
    out->mailbox = cell->mail;
    pthread_mutex_unlock(&cell->mbox_lock);
    /* Not the actor's lock: a status must not wait for a call in progress. */
    out->events = atomic_load(&cell->events);
    out->errors = atomic_load(&cell->errors);
    out->started_ns = atomic_load(&cell->started_ns);
    pthread_mutex_lock(&cell->info_lock);
    snprintf(out->last_error, sizeof out->last_error, "%s", cell->last_error);
    snprintf(out->last_error_kind, sizeof out->last_error_kind, "%s",
             cell->last_error_kind ? cell->last_error_kind : "");
    snprintf(out->exit_reason, sizeof out->exit_reason, "%s", cell->exit_reason);
    out->failed = !out->running && cell->exit_reason[0] && cell->exit_cause == TH_EXIT_FAILED;
    pthread_mutex_unlock(&cell->info_lock);
}

int th_runtime_status(th_runtime *rt, const char *id, th_actor_status *out, th_error *err)
{
    th_cell *cell = th_runtime_find(rt, id, err);
    if (!cell)
        return -1;
    fill_status(cell, out);
    return 0;
}

size_t th_runtime_list(th_runtime *rt, void (*fn)(void *userdata, const th_actor_status *status),
                       void *userdata)
{
    size_t n = 0;
    for (size_t s = 0; s < TH_TABLE_SHARDS; s++) {
        th_table_shard *sh = &rt->table[s];
        /* Cells are never removed: walk a snapshot of the shard's heads so
         * its lock is not held while the callback runs. */
        pthread_mutex_lock(&sh->lock);
        size_t count = sh->count, k = 0;
        th_cell **cells = th_xmalloc((count ? count : 1) * sizeof *cells);
        for (size_t b = 0; b < sh->n_buckets; b++)
            for (th_cell *c = sh->buckets[b]; c && k < count; c = c->table_next)
                cells[k++] = c;
        pthread_mutex_unlock(&sh->lock);
        for (size_t i = 0; i < k; i++) {
            th_actor_status st;
            fill_status(cells[i], &st);
            fn(userdata, &st);
        }
        n += k;
        free(cells);
    }
    return n;
}

bool th_runtime_wait_idle(th_runtime *rt, uint32_t timeout_ms)
{
    int64_t deadline = th_monotonic_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (atomic_load(&rt->busy) == 0)
            return true;
        if (timeout_ms && th_monotonic_ns() >= deadline)
            return false;
        usleep(200);
    }
}

/* ---- Channels with the embedding program -------------------------------------------------- */

int th_runtime_channel_open(th_runtime *rt, const char *id, const uint8_t *msg, size_t len,
                            const th_channel_client *client, char channel_out[33], th_error *err)
{
    th_cell *cell = find_receiver(rt, id, TH_MSG_CHANNEL_OPEN, err);
    if (!cell)
        return -1;
    th_channel ch = {.acceptor = cell, .client = *client};
    char chan[33];
    th_channel_add(rt, &ch, chan);
    th_msg *m = th_msg_new(TH_MSG_CHANNEL_OPEN, msg, len);
    memcpy(m->channel, chan, sizeof m->channel);
    th_reply *reply = ask(rt, cell, m, rt->request_timeout_ms, err);
    int rc = -1;
    if (!reply) {
        /* nothing to add: ask said why */
    } else if (!reply->ok) {
        th_error_set(err, "%s", reply->error);
        th_error_mark_actor(err);
    } else if (!reply->accepted) {
        th_error_set(err, "%s (%s) refused the channel%s%.*s", th_cell_name(cell), cell->id,
                     reply->has_data ? ": " : "", reply->has_data ? (int)reply->len : 0,
                     reply->has_data ? (const char *)reply->data : "");
        th_error_mark_actor(err);
    } else {
        rc = 0;
        memcpy(channel_out, chan, 33);
        if (reply->has_data && client->on_message)
            client->on_message(client->userdata, chan, reply->data, reply->len);
    }
    if (rc)
        th_channel_remove(rt, chan, 32, NULL);
    if (reply)
        th_reply_release(reply);
    return rc;
}

/* The embedding program's open channel by id, or -1 with err. */
static int client_channel(th_runtime *rt, const char *channel_id, th_channel *ch, th_error *err)
{
    size_t len = strlen(channel_id);
    if (!th_channel_get(rt, channel_id, len, ch))
        return th_error_set(err, "no channel with id '%.40s'", channel_id);
    if (ch->opener)
        return th_error_set(err, "channel %s is between actors, not the program's", ch->id);
    if (!ch->open)
        return th_error_set(err, "channel %s is not open yet", ch->id);
    return 0;
}

int th_runtime_channel_send(th_runtime *rt, const char *channel_id, const uint8_t *msg, size_t len,
                            th_error *err)
{
    th_channel ch;
    if (client_channel(rt, channel_id, &ch, err))
        return -1;
    th_msg *m = th_msg_new(TH_MSG_CHANNEL_MESSAGE, msg, len);
    memcpy(m->channel, ch.id, sizeof m->channel);
    th_push_result r = th_mailbox_push_wait(ch.acceptor, m, rt->send_timeout_ms);
    if (r == TH_PUSH_OK)
        return 0;
    th_msg_free(m);
    return push_error(ch.acceptor, r, err);
}

int th_runtime_channel_close(th_runtime *rt, const char *channel_id, th_error *err)
{
    th_channel ch;
    if (client_channel(rt, channel_id, &ch, err))
        return -1;
    if (th_channel_remove(rt, ch.id, 32, &ch))
        th_channel_tell_closed(rt, &ch, NULL, NULL);
    return 0;
}
