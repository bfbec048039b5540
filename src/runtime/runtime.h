/* The runtime's insides, shared by its files: runtime.c (the public API and
 * the actor table), turn.c (what a worker does with an actor's mail),
 * supervision.c (children and restarts), channel.c (the channel table) and
 * the message-server and supervisor handlers. */
#ifndef TH_RUNTIME_RUNTIME_H
#define TH_RUNTIME_RUNTIME_H

#include "runtime/cell.h"
#include "runtime/sched.h"
#include "runtime/timers.h"

#define TH_TABLE_SHARDS 64
#define TH_CHANNEL_SHARDS 16

/* One shard of the actor table: a chained hash of cells by id. Cells are
 * only ever added, so a found cell stays valid for the runtime's life. */
typedef struct th_table_shard {
    pthread_mutex_t lock;
    th_cell **buckets;
    size_t n_buckets, count;
} th_table_shard;

typedef struct th_channel {
    struct th_channel *next;
    char id[33];
    th_cell *opener;   /* NULL: the embedding program (client) opened it */
    th_cell *acceptor; /* always an actor */
    th_channel_client client;
    bool open; /* accepted; false while the acceptor decides */
} th_channel;

typedef struct th_channel_shard {
    pthread_mutex_t lock;
    th_channel *list;
} th_channel_shard;

struct th_runtime {
    th_engine *engine;
    th_db *db;
    th_sched *sched;
    th_timers *timers;
    uint32_t request_timeout_ms, send_timeout_ms, batch;
    th_table_shard table[TH_TABLE_SHARDS];
    th_channel_shard channels[TH_CHANNEL_SHARDS];
    atomic_uint busy; /* cells queued or running */
    atomic_uint_fast64_t next_sub;
    atomic_bool stopping;
};

/* ---- The table (runtime.c) --------------------------------------------------- */

/* An exact id, or a unique prefix of >= 4 hex digits; NULL with err. */
th_cell *th_runtime_find(th_runtime *rt, const char *id, th_error *err);
/* Only an exact id: the fast path for actors messaging actors. */
th_cell *th_runtime_lookup(th_runtime *rt, const char *id, size_t len);

/* Spawns a child for a supervisor running on this thread (its lock held),
 * or a root when parent is NULL. Takes the manifest. */
th_cell *th_runtime_spawn_cell(th_runtime *rt, th_manifest *manifest, const uint8_t *initial_state,
                               size_t len, bool has_initial_state, th_cell *parent,
                               th_restart restart, th_error *err);

/* ---- Turns (turn.c) -------------------------------------------------------------- */

/* The scheduler's turn function: handles up to `batch` messages. */
void th_runtime_turn(void *ud, th_cell *cell);
/* Lets other threads at the cell (lock released) around a wait. */
void th_cell_wait_begin(th_cell *cell);
void th_cell_wait_end(th_cell *cell);
/* The cell's actor stopped: close its mailbox, answer what was waiting,
 * close its channels, stop its children and tell its supervisor. */
void th_cell_exit(th_cell *cell);
/* Fills a message's causal link from the sending actor (NULL: outside). */
void th_msg_link(th_msg *m, const th_actor *sender);
const char *th_cell_name(const th_cell *cell);
/* Whether the cell's actor can take mail of this kind (it grants the
 * message-server and exports the handler): 0, or -1 with err naming what it
 * lacks. Checked when sending, so that what was sent is always handled or
 * answered, never silently unhandled. */
int th_cell_accepts(const th_cell *cell, th_msg_kind kind, th_error *err);

/* ---- Supervision (supervision.c) ------------------------------------------------ */

/* In the supervisor's turn: a child stopped. */
void th_supervise_child_exit(th_cell *parent, th_msg *m);
/* Restarts the cell's actor in its own turn (a RESTART message). */
void th_cell_restart(th_cell *cell, th_restart_from from);
/* Orders a restart: the cell restarts in its own turn, then answers
 * `reply` (may be NULL): ok once running again, else why not. */
void th_cell_order_restart(th_cell *cell, th_restart_from from, th_reply *reply);
/* Orders a stop after the current call. */
void th_cell_order_stop(th_cell *cell, th_exit_cause cause, th_reply *reply);
void th_cell_add_child(th_cell *parent, th_cell *child);
/* Takes a child off its supervisor's list; false if it was not on it. */
bool th_cell_remove_child(th_cell *parent, const th_cell *child);
th_cell *th_cell_find_child(th_cell *parent, const char *id, size_t len);

/* ---- Channels (channel.c) ------------------------------------------------------- */

void th_channels_init(th_runtime *rt);
void th_channels_free(th_runtime *rt);
/* A new channel (not yet open) with a fresh id written into ch->id. */
void th_channel_add(th_runtime *rt, const th_channel *ch, char id_out[33]);
/* Copies the channel out; false if there is none by that id. */
bool th_channel_get(th_runtime *rt, const char *id, size_t len, th_channel *out);
void th_channel_set_open(th_runtime *rt, const char *id);
/* Removes it, copying it out; false if there was none. */
bool th_channel_remove(th_runtime *rt, const char *id, size_t len, th_channel *out);
/* Removes every channel the cell is an end of, telling each other end. */
void th_channels_close_cell(th_runtime *rt, th_cell *cell);
/* Tells the other end of a removed channel that it closed; `from` is the
 * end that closed it (NULL: the client). */
void th_channel_tell_closed(th_runtime *rt, const th_channel *ch, const th_cell *from,
                            const th_actor *closer);

#endif
