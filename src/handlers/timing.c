/* theater:simple/timing: granted by [[handlers]] type = "timing".
 *
 * now reads the wall clock; set-timer and cancel-timer use the runtime's
 * timer thread (runtime/timers.c), which turns a due timer into a
 * handle-timer call in the actor's turn. Every call and its answer is
 * recorded by the executor, so a replay sees the same time and the same
 * timer ids without a clock or a timer thread. Timers belong to one
 * incarnation of the actor: they are cancelled when it stops or restarts
 * (handlers/services.c), so nothing an old incarnation set reaches a new
 * one. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "handlers/handlers.h"
#include "runtime/runtime.h"

/* err(message) as the WIT result; only ever an answer, never a trap. */
static int refuse(th_arena *a, th_val **result, const char *msg)
{
    *result = th_val_err(a, th_val_string(a, msg, strlen(msg)));
    return 0;
}

/* The runtime's timers, or NULL for an actor on its own (th_actor_*),
 * which has no thread to fire them nor a mailbox to deliver them to. */
static th_timers *timers_of(const th_actor *actor)
{
    return actor->cell && actor->cell->rt ? actor->cell->rt->timers : NULL;
}

int th_host_timing_now(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                       th_error *err)
{
    (void)actor;
    (void)params;
    (void)err;
    *result = th_val_u64(a, TH_VAL_U64, (uint64_t)(th_now_ns() / 1000000));
    return 0;
}

int th_host_timing_set_timer(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                             th_error *err)
{
    (void)err;
    th_timers *timers = timers_of(actor);
    if (!timers)
        return refuse(a, result, "timers need a runtime: this actor runs on its own");
    uint64_t delay_ms = params->list.items[0].u;
    uint64_t id = th_timer_set(timers, actor->cell, delay_ms);
    if (id == 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "too many pending timers (at most %d per actor)",
                 TH_MAX_TIMERS_PER_ACTOR);
        return refuse(a, result, msg);
    }
    *result = th_val_ok(a, th_val_u64(a, TH_VAL_U64, id));
    return 0;
}

int th_host_timing_cancel_timer(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                                th_error *err)
{
    (void)err;
    th_timers *timers = timers_of(actor);
    if (!timers)
        return refuse(a, result, "timers need a runtime: this actor runs on its own");
    uint64_t id = params->list.items[0].u;
    if (!th_timer_cancel(timers, actor->cell, id)) {
        char msg[128];
        snprintf(msg, sizeof msg,
                 "no pending timer %" PRIu64 " of this actor (it fired already, "
                 "was cancelled, or was never set)",
                 id);
        return refuse(a, result, msg);
    }
    *result = th_val_ok(a, NULL);
    return 0;
}
