/* A cell: one actor's place in a runtime. It keeps the actor's address (its
 * id) stable across restarts and holds what the actor needs to live among
 * others: a mailbox, a place in the scheduler, its supervisor and children.
 *
 * Who owns what (docs/architecture.md):
 *  - `lock` guards the actor (instance, state, chain), the children, the
 *    restart history and the subscribers. Whoever runs the actor's code
 *    holds it: the worker running the cell's turn, or the thread spawning
 *    it. A call that waits on another actor releases it while waiting.
 *    Two cell locks are only ever held together parent first, then child.
 *  - `mbox_lock` guards the mailbox; it is held only to link or unlink
 *    messages, never while calling anything else.
 *  - `sched_state` says whether the cell is idle, queued or running; its
 *    transitions are atomic, so a cell is in at most one run queue and run
 *    by at most one worker.
 *  - Cells are never freed before their runtime: the table owns them, and
 *    an id stays valid (stopped or not) for the runtime's life. */
#ifndef TH_RUNTIME_CELL_H
#define TH_RUNTIME_CELL_H

#include <pthread.h>
#include <stdatomic.h>

#include "manifest/manifest.h"
#include "runtime/actor.h"
#include "runtime/reply.h"

typedef struct th_runtime th_runtime;

typedef enum th_msg_kind {
    /* The actor's own mail: counted against the mailbox limit. */
    TH_MSG_SEND,
    TH_MSG_REQUEST,
    TH_MSG_CHANNEL_OPEN,
    TH_MSG_CHANNEL_MESSAGE,
    TH_MSG_HTTP_REQUEST, /* http-server: data is the encoded request, the reply the response */
    /* Never refused for want of room: a close must reach the other end,
     * and supervision must not be blocked by a full mailbox. */
    TH_MSG_CHANNEL_CLOSE,
    TH_MSG_CHILD_EXIT, /* to a supervisor: a child stopped */
    TH_MSG_STOP,       /* stop after the current call */
    TH_MSG_RESTART,    /* stop if running, then start again */
    TH_MSG_TIMER,      /* a timer came due: data is (id, incarnation), two u64 */
} th_msg_kind;

/* Why an actor stopped, as its supervisor needs to know it. */
typedef enum th_exit_cause {
    TH_EXIT_FAILED,   /* trapped, timed out, broke the ABI, or init failed */
    TH_EXIT_NORMAL,   /* it called runtime.shutdown */
    TH_EXIT_EXTERNAL, /* stopped from outside (the embedding program, the server) */
    TH_EXIT_PARENT,   /* stopped by its supervisor, or with it */
    TH_EXIT_RUNTIME,  /* the runtime is shutting down */
} th_exit_cause;

typedef struct th_msg {
    struct th_msg *next;
    th_msg_kind kind;
    /* The causal link: the sender's id ("" from outside the runtime) and
     * its chain head when it sent, i.e. the parent hash of its message
     * event (docs/messaging.md). */
    char sender[33];
    uint8_t sender_head[TH_HASH_SIZE];
    char channel[33];     /* channel messages */
    th_reply *reply;      /* requests, channel opens, synchronous stops; a reference */
    th_exit_cause cause;  /* STOP: why; CHILD_EXIT: how the child ended */
    th_restart_from from; /* RESTART */
    char child[33];       /* CHILD_EXIT */
    int fault;            /* CHILD_EXIT of a failure: th_fault_kind */
    bool has_data;        /* CHILD_EXIT: shutdown data given */
    bool uncounted;       /* never refused for room (an accepted channel's first message) */
    bool handled;         /* REQUEST: the actor failed on it; answered after its exit */
    size_t len;
    uint8_t data[]; /* the message; CHILD_EXIT: the failure's message or the exit data */
} th_msg;

th_msg *th_msg_new(th_msg_kind kind, const void *data, size_t len);
/* Counted against the mailbox limit (and dropped, not answered, when the
 * actor stops). */
static inline bool th_msg_counted(const th_msg *m)
{
    return m->kind < TH_MSG_CHANNEL_CLOSE && !m->uncounted;
}
void th_msg_free(th_msg *m);

enum { TH_CELL_IDLE, TH_CELL_QUEUED, TH_CELL_RUNNING };

typedef struct th_sub {
    struct th_sub *next;
    uint64_t id;
    th_event_fn fn;
    void *ud;
} th_sub;

typedef struct th_cell {
    th_runtime *rt;
    char id[33];
    struct th_cell *table_next; /* the table's bucket chain */
    struct th_cell *run_next;   /* the run queue the cell is in */
    atomic_int sched_state;

    pthread_mutex_t mbox_lock;
    pthread_cond_t mbox_room; /* signalled when room frees up for a waiting sender */
    th_msg *head, *tail;
    th_msg *urgent_tail; /* the last urgent message: urgent ones keep their order */
    uint32_t mail;       /* messages counted against the limit */
    uint32_t capacity;   /* [limits] mailbox */
    uint32_t room_waiters;
    bool closed; /* stopped: mail is refused */

    pthread_mutex_t lock;
    th_actor *actor;        /* NULL until spawned; kept after it stops */
    th_manifest *manifest;  /* owned */
    atomic_bool alive;      /* the actor is running (not stopped) */
    struct th_cell *parent; /* NULL for a root */
    th_restart restart;     /* how the parent restarts it */
    bool has_initial_state; /* the state it was spawned with, for re-inits */
    th_buf initial_state;
    struct th_cell **children; /* in start order */
    size_t n_children, cap_children;
    int64_t *restarts; /* monotonic ns of recent restarts, oldest first */
    size_t n_restarts;
    th_sub *subs;
    _Atomic int64_t started_ns; /* wall clock of its last (re)start, for uptime */
    /* Per-actor resources of its handlers (services.c), e.g. an HTTP
     * daemon; started when the actor starts, stopped when it stops. */
    void *http_server;
    /* How it last stopped, for its supervisor and for queries. Written by
     * whoever holds `lock` through th_cell_set_exit / th_cell_set_error,
     * which also take info_lock, so that status reads them without waiting
     * for a call in progress. */
    pthread_mutex_t info_lock;
    th_exit_cause exit_cause;
    char exit_reason[512];
    /* The last call that failed (guarded by lock), for one-way messages
     * whose errors have nobody to go back to. */
    char last_error[512];
    const char *last_error_kind;
    /* Counters for metrics. */
    atomic_uint_fast64_t handled, dropped, restarts_total, errors;
    atomic_uint_fast64_t events; /* chain length, kept by the observer */
} th_cell;

/* ---- Mailbox (mailbox.c) ---------------------------------------------------- */

typedef enum th_push_result {
    TH_PUSH_OK,
    TH_PUSH_FULL,   /* the mailbox limit is reached */
    TH_PUSH_CLOSED, /* the actor has stopped */
} th_push_result;

/* Appends a message (system messages: ahead of the actor's own mail when
 * `urgent`). On failure the message is still the caller's. */
th_push_result th_mailbox_push(th_cell *cell, th_msg *m, bool urgent);
/* The same, waiting up to timeout_ms for room: for threads outside the
 * scheduler, which may wait; actors never do. */
th_push_result th_mailbox_push_wait(th_cell *cell, th_msg *m, uint32_t timeout_ms);
th_msg *th_mailbox_pop(th_cell *cell);
/* Closes the mailbox and hands back what was in it. */
th_msg *th_mailbox_close(th_cell *cell);
/* Opens a closed mailbox again with one message in it (a restart). */
void th_mailbox_reopen(th_cell *cell, th_msg *first);
bool th_mailbox_empty(th_cell *cell);
/* Closed: the actor stopped and no restart has been ordered since. */
bool th_mailbox_closed(th_cell *cell);

/* How the actor stopped ("" and TH_EXIT_FAILED clear it: a restart). */
void th_cell_set_exit(th_cell *cell, th_exit_cause cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The last failed call's kind and message. */
void th_cell_set_error(th_cell *cell, const char *kind, const char *msg);

/* Makes the cell runnable after a push (runtime.c). */
void th_cell_wake(th_cell *cell);

#endif
