/* The scheduler: a fixed pool of worker threads that run actors' turns.
 *
 * Each worker owns a run queue of cells (actors with mail). A cell is in at
 * most one queue at a time (cell.h: its sched_state). A worker takes cells
 * from its own queue, else steals from another's, else sleeps until a push
 * wakes it; no lock is shared by all workers on this path.
 *
 * A worker that must wait for another actor (a request from inside a call)
 * tells the scheduler, which starts a spare worker when needed so that the
 * number of workers able to run actors stays at the pool size; spares
 * stand down once the waits end. */
#ifndef TH_RUNTIME_SCHED_H
#define TH_RUNTIME_SCHED_H

#include <stdbool.h>

typedef struct th_cell th_cell;
typedef struct th_sched th_sched;

/* Runs one turn of a cell on a worker thread. */
typedef void (*th_turn_fn)(void *ud, th_cell *cell);

/* threads: the pool size (0: the number of online cores). */
th_sched *th_sched_new(unsigned threads, th_turn_fn turn, void *ud);
/* Stops every worker after its current turn and joins them; cells still
 * queued stay queued (the caller owns them). */
void th_sched_free(th_sched *s);
unsigned th_sched_threads(const th_sched *s);

/* Queues a cell that was made runnable (its sched_state set to QUEUED). */
void th_sched_push(th_sched *s, th_cell *cell);

/* Around a wait on another actor inside a turn. */
void th_sched_block_begin(th_sched *s);
void th_sched_block_end(th_sched *s);

/* True on a worker thread of any scheduler. */
bool th_sched_on_worker(void);

#endif
