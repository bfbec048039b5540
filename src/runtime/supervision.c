/* Supervision: what a supervisor does when a child stops, in the
 * supervisor's own turn (so its children list needs no other guard than
 * its lock), and how an actor restarts, in its own turn. The rules are
 * Erlang/OTP's (docs/supervision.md):
 *  - restart types: permanent children are always restarted, transient
 *    ones only after a failure, temporary ones never; a child stopped from
 *    outside is not restarted, whatever its type;
 *  - strategies: one-for-one restarts the child, one-for-all every child,
 *    rest-for-one the child and those started after it;
 *  - intensity: more than `intensity` restarts within `period` seconds and
 *    the supervisor gives up: it stops its children and fails, and its own
 *    supervisor is told. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/error.h"
#include "handlers/handlers.h"
#include "runtime/runtime.h"

/* ---- The children list (guarded by the supervisor's lock) -------------------------- */

void th_cell_add_child(th_cell *parent, th_cell *child)
{
    if (parent->n_children == parent->cap_children) {
        parent->cap_children = parent->cap_children ? parent->cap_children * 2 : 4;
        parent->children =
            th_xrealloc(parent->children, parent->cap_children * sizeof *parent->children);
    }
    parent->children[parent->n_children++] = child;
}

static size_t child_index(const th_cell *parent, const th_cell *child)
{
    size_t i = 0;
    while (i < parent->n_children && parent->children[i] != child)
        i++;
    return i;
}

bool th_cell_remove_child(th_cell *parent, const th_cell *child)
{
    size_t i = child_index(parent, child);
    if (i == parent->n_children)
        return false;
    memmove(&parent->children[i], &parent->children[i + 1],
            (parent->n_children - i - 1) * sizeof *parent->children);
    parent->n_children--;
    return true;
}

th_cell *th_cell_find_child(th_cell *parent, const char *id, size_t len)
{
    for (size_t i = 0; i < parent->n_children; i++)
        if (len == 32 && memcmp(parent->children[i]->id, id, 32) == 0)
            return parent->children[i];
    return NULL;
}

/* ---- Orders: carried out by the cell in its own turn ---------------------------------- */

void th_cell_order_stop(th_cell *cell, th_exit_cause cause, th_reply *reply)
{
    th_msg *m = th_msg_new(TH_MSG_STOP, NULL, 0);
    m->cause = cause;
    m->reply = reply;
    if (th_mailbox_push(cell, m, true) == TH_PUSH_OK)
        return;
    if (reply) { /* it had stopped already: done, as asked */
        th_reply_ok(reply, NULL, 0, false);
        m->reply = NULL;
    }
    th_msg_free(m);
}

void th_cell_order_restart(th_cell *cell, th_restart_from from, th_reply *reply)
{
    th_msg *m = th_msg_new(TH_MSG_RESTART, NULL, 0);
    m->from = from;
    m->reply = reply;
    if (th_mailbox_push(cell, m, true) != TH_PUSH_OK)
        th_mailbox_reopen(cell, m); /* stopped: its mailbox opens again */
}

/* ---- Restarting ------------------------------------------------------------------------------ */

void th_cell_restart(th_cell *cell, th_restart_from from)
{
    th_actor *a = cell->actor;
    if (atomic_load(&cell->alive)) {
        th_services_stop(cell);
        th_actor_record_stop(a, "restart");
    }
    atomic_store(&cell->alive, true);
    atomic_fetch_add(&cell->restarts_total, 1);
    cell->n_restarts = 0; /* a new start: as a new supervisor process, a fresh history */
    atomic_store(&cell->started_ns, th_now_ns());
    th_cell_set_exit(cell, TH_EXIT_FAILED, "%s", "");
    bool reinit = from == TH_RESTART_FROM_INIT;
    th_val *initial = NULL;
    th_arena *ar = &a->call_arena;
    th_arena_reset(ar);
    if (reinit && cell->has_initial_state)
        initial =
            th_val_option(ar, th_val_bytes(ar, cell->initial_state.data, cell->initial_state.len));
    else if (reinit && cell->manifest->has_initial_state)
        initial = th_val_option(
            ar, th_val_bytes(ar, cell->manifest->initial_state, cell->manifest->initial_state_len));
    th_error err;
    if (th_actor_restart(a, reinit, initial, &err) || th_services_start(cell, &err)) {
        if (!a->stopped)
            th_actor_record_stop(a, "failed");
        th_cell_set_exit(cell, TH_EXIT_FAILED, "restart failed: %s", err.msg);
        return; /* the turn sees it stopped and exits it */
    }
    /* Its children restart with it; temporary ones are let go. */
    th_restart_from child_from = cell->manifest->supervisor.restart_from;
    for (size_t i = 0; i < cell->n_children;) {
        th_cell *child = cell->children[i];
        if (child->restart == TH_RESTART_TEMPORARY) {
            th_cell_order_stop(child, TH_EXIT_PARENT, NULL);
            th_cell_remove_child(cell, child);
            continue;
        }
        th_cell_order_restart(child, child_from, NULL);
        i++;
    }
}

/* ---- A child stopped ----------------------------------------------------------------------- */

/* Tells the supervisor's code, when it exports the matching handler. */
static void notify(th_cell *parent, const th_msg *m)
{
    th_actor *a = parent->actor;
    th_export_id id = m->cause == TH_EXIT_FAILED   ? TH_EXPORT_CHILD_ERROR
                      : m->cause == TH_EXIT_NORMAL ? TH_EXPORT_CHILD_EXIT
                                                   : TH_EXPORT_CHILD_EXTERNAL_STOP;
    if (!th_manifest_grants(a->manifest, TH_HANDLER_SUPERVISOR) || !a->module->has_export[id])
        return;
    th_arena *ar = &a->call_arena;
    th_arena_reset(ar);
    th_val *params = th_val_tuple(ar, id == TH_EXPORT_CHILD_EXTERNAL_STOP ? 1 : 2);
    params->list.items[0] = *th_val_string(ar, m->child, 32);
    if (id == TH_EXPORT_CHILD_ERROR) {
        th_val *error = th_val_new(ar, TH_VAL_VARIANT);
        error->var.disc = (uint32_t)m->fault;
        error->var.payload = th_val_string(ar, (const char *)m->data, m->len);
        params->list.items[1] = *error;
    } else if (id == TH_EXPORT_CHILD_EXIT) {
        params->list.items[1] =
            *th_val_option(ar, m->has_data ? th_val_bytes(ar, m->data, m->len) : NULL);
    }
    th_error err;
    if (th_actor_invoke(a, id, params, NULL, &err) && a->stopped) {
        th_cell_set_exit(parent, TH_EXIT_FAILED, "%s", err.msg);
    }
}

static bool should_restart(const th_cell *child, th_exit_cause cause)
{
    if (cause == TH_EXIT_EXTERNAL)
        return false;
    return child->restart == TH_RESTART_PERMANENT ||
           (child->restart == TH_RESTART_TRANSIENT && cause == TH_EXIT_FAILED);
}

/* Counts one more restart; false when that is beyond the intensity. */
static bool within_intensity(th_cell *parent)
{
    const th_supervisor_spec *spec = &parent->manifest->supervisor;
    int64_t now = th_monotonic_ns(), horizon = now - (int64_t)spec->period_s * 1000000000;
    size_t keep = 0;
    for (size_t i = 0; i < parent->n_restarts; i++)
        if (parent->restarts[i] > horizon)
            parent->restarts[keep++] = parent->restarts[i];
    parent->n_restarts = keep;
    if (keep >= spec->intensity)
        return false;
    parent->restarts = th_xrealloc(parent->restarts, (keep + 1) * sizeof *parent->restarts);
    parent->restarts[parent->n_restarts++] = now;
    return true;
}

/* The supervisor gives up: it fails, which stops its children (th_cell_exit)
 * and tells its own supervisor. */
static void escalate(th_cell *parent, const th_cell *child, const th_msg *m)
{
    const th_supervisor_spec *spec = &parent->manifest->supervisor;
    th_cell_set_exit(parent, TH_EXIT_FAILED,
                     "more than %u restarts within %u s; the last: child %s (%s): %.*s",
                     spec->intensity, spec->period_s, th_cell_name(child), child->id,
                     (int)(m->has_data ? 0 : m->len), (const char *)m->data);
    parent->actor->fault = TH_FAULT_TRAP;
    parent->actor->fault_kind = "trap";
    th_actor_record_stop(parent->actor, "escalated");
}

/* The children from `from_index` on restart with the one that exited; as
 * in OTP, temporary ones among them are stopped and let go instead. */
static void restart_siblings(th_cell *parent, th_cell *child, size_t from_index,
                             th_restart_from from)
{
    for (size_t i = from_index; i < parent->n_children;) {
        th_cell *c = parent->children[i];
        if (c != child && c->restart == TH_RESTART_TEMPORARY) {
            th_cell_order_stop(c, TH_EXIT_PARENT, NULL);
            th_cell_remove_child(parent, c);
            continue;
        }
        th_cell_order_restart(c, from, NULL);
        i++;
    }
}

void th_supervise_child_exit(th_cell *parent, th_msg *m)
{
    th_cell *child = th_cell_find_child(parent, m->child, 32);
    if (!child)
        return; /* no longer supervised (stop-child) */
    notify(parent, m);
    if (parent->actor->stopped)
        return; /* its handler failed: its own exit follows */
    /* The handler may have decided for itself: stop-child took the child
     * off the list, restart-child ordered a restart (its mailbox is open
     * again). Either way the rules below are not applied on top. */
    if (!th_cell_find_child(parent, m->child, 32) || !th_mailbox_closed(child))
        return;
    if (!should_restart(child, m->cause)) {
        th_cell_remove_child(parent, child);
        return;
    }
    if (!within_intensity(parent)) {
        escalate(parent, child, m);
        return;
    }
    th_restart_from from = parent->manifest->supervisor.restart_from;
    size_t at = child_index(parent, child);
    switch (parent->manifest->supervisor.strategy) {
    case TH_STRATEGY_ONE_FOR_ONE:
        th_cell_order_restart(child, from, NULL);
        break;
    case TH_STRATEGY_ONE_FOR_ALL:
        restart_siblings(parent, child, 0, from);
        break;
    case TH_STRATEGY_REST_FOR_ONE:
        restart_siblings(parent, child, at, from);
        break;
    }
}
