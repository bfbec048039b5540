/* Timers (the timing handler's set-timer): one thread per runtime keeps a
 * heap of due times and, when one comes, puts a handle-timer message into
 * the actor's mailbox. Timers are the runtime's, not the actor's memory, so
 * a timer set by an actor that has stopped or restarted is cancelled with
 * its services (th_timers_cancel_cell). */
#ifndef TH_RUNTIME_TIMERS_H
#define TH_RUNTIME_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct th_cell th_cell;
typedef struct th_timers th_timers;

/* Timers one actor may have pending at once. */
#define TH_MAX_TIMERS_PER_ACTOR 1024

th_timers *th_timers_new(void);
/* Stops the thread; pending timers never fire. */
void th_timers_free(th_timers *t);
/* Schedules a handle-timer call; the id is unique within the runtime and
 * never 0. Returns 0 when the actor has too many pending. */
uint64_t th_timer_set(th_timers *t, th_cell *cell, uint64_t delay_ms);
/* False when the cell has no pending timer by that id. */
bool th_timer_cancel(th_timers *t, th_cell *cell, uint64_t id);
void th_timers_cancel_cell(th_timers *t, th_cell *cell);

#endif
