/* A turn: what a worker does with a cell it took from a run queue. It
 * handles up to `batch` messages, one call at a time under the cell's
 * lock, then gives the worker to the next cell (fairness: a long mailbox
 * cannot starve the others; the epoch deadline bounds each call). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "handlers/handlers.h"
#include "runtime/runtime.h"

void th_cell_set_exit(th_cell *cell, th_exit_cause cause, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&cell->info_lock);
    cell->exit_cause = cause;
    vsnprintf(cell->exit_reason, sizeof cell->exit_reason, fmt, ap);
    pthread_mutex_unlock(&cell->info_lock);
    va_end(ap);
}

void th_cell_set_error(th_cell *cell, const char *kind, const char *msg)
{
    pthread_mutex_lock(&cell->info_lock);
    cell->last_error_kind = kind;
    snprintf(cell->last_error, sizeof cell->last_error, "%s", msg);
    pthread_mutex_unlock(&cell->info_lock);
}

const char *th_cell_name(const th_cell *cell)
{
    return cell->manifest ? cell->manifest->name : "(resuming)";
}

int th_cell_accepts(const th_cell *cell, th_msg_kind kind, th_error *err)
{
    th_export_id id = kind == TH_MSG_SEND      ? TH_EXPORT_HANDLE_SEND
                      : kind == TH_MSG_REQUEST ? TH_EXPORT_HANDLE_REQUEST
                                               : TH_EXPORT_CHANNEL_OPEN;
    const th_actor *a = cell->actor; /* set before the cell is published; never changes */
    const char *export = th_catalog_export(id)->name;
    /* The same words th_actor_invoke would use. */
    if (!th_manifest_grants(a->manifest, TH_HANDLER_MESSAGE_SERVER))
        return th_error_set(err,
                            "%s needs the 'message-server' handler, which the manifest of %s "
                            "does not grant",
                            export, th_cell_name(cell));
    if (!a->module->has_export[id])
        return th_error_set(err, "actor %s does not export %s", th_cell_name(cell), export);
    return 0;
}

void th_msg_link(th_msg *m, const th_actor *sender)
{
    if (!sender) {
        m->sender[0] = '\0';
        return;
    }
    memcpy(m->sender, sender->id, sizeof m->sender);
    th_chain_head(sender->chain, m->sender_head);
}

void th_cell_wait_begin(th_cell *cell)
{
    pthread_mutex_unlock(&cell->lock);
    if (th_sched_on_worker())
        th_sched_block_begin(cell->rt->sched);
}

void th_cell_wait_end(th_cell *cell)
{
    if (th_sched_on_worker())
        th_sched_block_end(cell->rt->sched);
    pthread_mutex_lock(&cell->lock);
}

/* The receiver's call event records who sent the message (docs/messaging.md):
 * tuple<string, list<u8>> of the sender's id and its chain head. */
static void set_link(th_actor *a, const th_msg *m)
{
    a->call_link = NULL;
    if (!m->sender[0])
        return;
    th_arena *ar = &a->call_arena;
    th_val *link = th_val_tuple(ar, 2);
    link->list.items[0] = *th_val_string(ar, m->sender, 32);
    link->list.items[1] = *th_val_bytes(ar, m->sender_head, TH_HASH_SIZE);
    a->call_link = link;
}

/* Builds params tuple<[channel,] bytes> in the call arena. */
static th_val *message_params(th_actor *a, const th_msg *m, bool with_channel, bool with_bytes)
{
    th_arena *ar = &a->call_arena;
    th_arena_reset(ar);
    size_t n = (size_t)with_channel + (size_t)with_bytes, k = 0;
    th_val *params = th_val_tuple(ar, n);
    if (with_channel)
        params->list.items[k++] = *th_val_string(ar, m->channel, strlen(m->channel));
    if (with_bytes)
        params->list.items[k++] = *th_val_bytes(ar, m->data, m->len);
    set_link(a, m);
    return params;
}

static void log_line(th_cell *cell, const char *fmt, const char *detail)
{
    char line[1200];
    int n = snprintf(line, sizeof line, fmt, detail);
    th_engine *e = cell->rt->engine;
    e->log(e->log_userdata, cell->id, th_cell_name(cell), line,
           n < 0                     ? 0
           : (size_t)n < sizeof line ? (size_t)n
                                     : sizeof line - 1);
}

/* Remembers a failed call, and how the actor stopped when it stopped it. */
static void note_failure(th_cell *cell, const th_error *err)
{
    th_actor *a = cell->actor;
    th_cell_set_error(cell, a->fault_kind ? a->fault_kind : "error", err->msg);
    atomic_fetch_add(&cell->errors, 1);
    if (!a->stopped || !atomic_load(&cell->alive))
        return;
    bool normal = a->stop_reason && strcmp(a->stop_reason, "shutdown") == 0;
    th_cell_set_exit(cell, normal ? TH_EXIT_NORMAL : TH_EXIT_FAILED, "%s",
                     normal ? "shut itself down" : err->msg);
}

static void handle_channel_open(th_cell *cell, th_msg *m)
{
    th_actor *a = cell->actor;
    th_val *results;
    th_error err;
    th_val *params = message_params(a, m, true, true);
    if (th_actor_invoke(a, TH_EXPORT_CHANNEL_OPEN, params, &results, &err)) {
        note_failure(cell, &err);
        th_channel_remove(cell->rt, m->channel, strlen(m->channel), NULL);
        th_reply_fail(m->reply, "%s", err.msg);
        m->reply = NULL;
        return;
    }
    /* results: tuple<tuple<channel-accept>>; channel-accept: (bool, option<list<u8>>) */
    const th_val *accept = &results->list.items[0].list.items[0];
    bool accepted = accept->list.items[0].b;
    const th_val *reply_msg = &accept->list.items[1];
    const th_val *bytes = reply_msg->var.disc == 1 ? reply_msg->var.payload : NULL;
    if (accepted)
        th_channel_set_open(cell->rt, m->channel);
    else
        th_channel_remove(cell->rt, m->channel, strlen(m->channel), NULL);
    th_reply_accept(m->reply, accepted, bytes ? bytes->bytes.ptr : NULL,
                    bytes ? bytes->bytes.len : 0, bytes != NULL);
    m->reply = NULL;
}

static void handle_request(th_cell *cell, th_msg *m)
{
    th_actor *a = cell->actor;
    th_val *results;
    th_error err;
    th_val *params = message_params(a, m, false, true);
    if (th_actor_invoke(a, TH_EXPORT_HANDLE_REQUEST, params, &results, &err)) {
        note_failure(cell, &err);
        if (a->stopped) { /* answered after its supervisor is told (answer_waiter) */
            m->handled = true;
            return;
        }
        th_reply_fail(m->reply, "%s", err.msg);
    } else {
        const th_val *bytes = &results->list.items[0].list.items[0];
        th_reply_ok(m->reply, bytes->bytes.ptr, bytes->bytes.len, true);
    }
    m->reply = NULL;
}

/* An HTTP request from the actor's http-server (handlers/http_server.c):
 * the request and the response travel as encoded values. */
static void handle_http(th_cell *cell, th_msg *m)
{
    th_actor *a = cell->actor;
    th_arena *ar = &a->call_arena;
    th_arena_reset(ar);
    a->call_link = NULL;
    th_error err;
    th_val *request = th_val_decode(ar, m->data, m->len, &err);
    th_val *results;
    if (!request) {
        th_reply_fail(m->reply, "the request could not be decoded: %s", err.msg);
    } else if (th_actor_invoke(a, TH_EXPORT_HTTP_REQUEST, request, &results, &err)) {
        note_failure(cell, &err);
        if (a->stopped) { /* answered after its supervisor is told */
            m->handled = true;
            return;
        }
        th_reply_fail(m->reply, "%s", err.msg);
    } else { /* results: tuple<tuple<response>> */
        th_buf out = TH_BUF_INIT;
        th_val_encode(&results->list.items[0].list.items[0], &out);
        th_reply_ok(m->reply, out.data, out.len, true);
        th_buf_free(&out);
    }
    m->reply = NULL;
}

/* A timer set by this incarnation of the actor came due. */
static void handle_timer(th_cell *cell, th_msg *m)
{
    uint64_t body[2];
    memcpy(body, m->data, sizeof body);
    if (body[1] != atomic_load(&cell->restarts_total))
        return; /* set before a restart: it died with that incarnation */
    th_actor *a = cell->actor;
    th_arena_reset(&a->call_arena);
    a->call_link = NULL;
    th_val *params = th_val_tuple(&a->call_arena, 1);
    params->list.items[0] = *th_val_u64(&a->call_arena, TH_VAL_U64, body[0]);
    th_error err;
    if (th_actor_invoke(a, TH_EXPORT_TIMER, params, NULL, &err)) {
        note_failure(cell, &err);
        log_line(cell, "%s", err.msg);
    }
}

/* A one-way message: an error has nobody to go back to, so it is logged. */
static void handle_one_way(th_cell *cell, th_msg *m, th_export_id export)
{
    th_actor *a = cell->actor;
    th_error err;
    bool with_channel = m->kind != TH_MSG_SEND;
    bool with_bytes = m->kind != TH_MSG_CHANNEL_CLOSE;
    th_val *params = message_params(a, m, with_channel, with_bytes);
    if (th_actor_invoke(a, export, params, NULL, &err)) {
        note_failure(cell, &err);
        log_line(cell, "%s", err.msg);
    }
}

static void handle_stop(th_cell *cell, th_msg *m)
{
    th_actor *a = cell->actor;
    static const char *const why[] = {
        [TH_EXIT_EXTERNAL] = "stopped from outside the runtime",
        [TH_EXIT_PARENT] = "stopped by its supervisor",
        [TH_EXIT_RUNTIME] = "the runtime shut down",
    };
    th_cell_set_exit(cell, m->cause, "%s",
                     m->cause < sizeof why / sizeof why[0] && why[m->cause] ? why[m->cause]
                                                                            : "stopped");
    th_actor_record_stop(a, "stopped");
}

static void deliver(th_cell *cell, th_msg *m)
{
    bool alive = atomic_load(&cell->alive);
    switch (m->kind) {
    case TH_MSG_RESTART:
        th_cell_restart(cell, m->from);
        if (m->reply && !cell->actor->stopped) {
            th_reply_ok(m->reply, NULL, 0, false);
            m->reply = NULL;
        } else if (m->reply) {
            th_reply_fail(m->reply, "actor %s (%s) did not restart: %s", th_cell_name(cell),
                          cell->id, cell->exit_reason);
            m->reply = NULL;
        }
        return;
    case TH_MSG_STOP:
        if (alive)
            handle_stop(cell, m);
        return;
    case TH_MSG_CHILD_EXIT:
        if (alive)
            th_supervise_child_exit(cell, m);
        return;
    default:
        break;
    }
    if (!alive) { /* mail that raced with a stop; the turn answers a waiter */
        atomic_fetch_add(&cell->dropped, 1);
        return;
    }
    atomic_fetch_add(&cell->handled, 1);
    switch (m->kind) {
    case TH_MSG_SEND:
        handle_one_way(cell, m, TH_EXPORT_HANDLE_SEND);
        break;
    case TH_MSG_REQUEST:
        handle_request(cell, m);
        break;
    case TH_MSG_CHANNEL_OPEN:
        handle_channel_open(cell, m);
        break;
    case TH_MSG_CHANNEL_MESSAGE:
        handle_one_way(cell, m, TH_EXPORT_CHANNEL_MESSAGE);
        break;
    case TH_MSG_CHANNEL_CLOSE:
        handle_one_way(cell, m, TH_EXPORT_CHANNEL_CLOSE);
        break;
    case TH_MSG_HTTP_REQUEST:
        handle_http(cell, m);
        break;
    case TH_MSG_TIMER:
        handle_timer(cell, m);
        break;
    default:
        break;
    }
}

/* Answers whoever waits on a message the stopped actor did not answer. */
static void answer_waiter(th_cell *cell, th_msg *m)
{
    if (!m->reply)
        return;
    if (m->kind == TH_MSG_STOP)
        th_reply_ok(m->reply, NULL, 0, false); /* it has stopped, as asked */
    else if (m->handled)                       /* the request that made it fail */
        th_reply_fail(m->reply, "%s", cell->last_error);
    else
        th_reply_fail(m->reply, "actor %s (%s) stopped before handling this", th_cell_name(cell),
                      cell->id);
    m->reply = NULL;
}

static void tell_supervisor(th_cell *cell)
{
    th_actor *a = cell->actor;
    th_cell *parent = cell->parent;
    th_exit_cause cause = cell->exit_cause;
    if (cause == TH_EXIT_PARENT || cause == TH_EXIT_RUNTIME)
        return;
    if (!parent) {
        if (cause == TH_EXIT_FAILED)
            log_line(cell, "stopped: %s", cell->exit_reason);
        return;
    }
    bool data = cause == TH_EXIT_NORMAL && a->has_exit_data;
    th_msg *m = data ? th_msg_new(TH_MSG_CHILD_EXIT, a->exit_data.data, a->exit_data.len)
                     : th_msg_new(TH_MSG_CHILD_EXIT, cell->exit_reason, strlen(cell->exit_reason));
    m->has_data = data;
    m->cause = cause;
    m->fault = a->fault_kind ? (int)a->fault : TH_FAULT_TRAP;
    memcpy(m->child, cell->id, sizeof m->child);
    if (th_mailbox_push(parent, m, false) != TH_PUSH_OK)
        th_msg_free(m); /* the supervisor has stopped too */
}

/* runtime.shutdown in a call that succeeded: nothing failed, so
 * note_failure never said how the actor stopped. */
static void note_shutdown(th_cell *cell)
{
    const char *reason = cell->actor->stop_reason;
    if (!reason || strcmp(reason, "shutdown") != 0)
        return;
    th_cell_set_exit(cell, TH_EXIT_NORMAL, "shut itself down");
}

void th_cell_exit(th_cell *cell)
{
    note_shutdown(cell);
    atomic_store(&cell->alive, false);
    th_msg *restart = NULL;
    for (th_msg *m = th_mailbox_close(cell); m;) {
        th_msg *next = m->next;
        if (m->kind == TH_MSG_RESTART && !restart) { /* ordered before the stop: honoured */
            restart = m;
        } else {
            if (th_msg_counted(m) && !m->reply)
                atomic_fetch_add(&cell->dropped, 1);
            answer_waiter(cell, m);
            th_msg_free(m);
        }
        m = next;
    }
    th_services_stop(cell);
    th_channels_close_cell(cell->rt, cell);
    for (size_t i = 0; i < cell->n_children; i++)
        th_cell_order_stop(cell->children[i], TH_EXIT_PARENT, NULL);
    /* A stopped actor keeps its chain and state, not its instance. */
    th_instance_free(cell->actor->inst);
    cell->actor->inst = NULL;
    tell_supervisor(cell);
    if (restart)
        th_mailbox_reopen(cell, restart);
}

void th_runtime_turn(void *ud, th_cell *cell)
{
    th_runtime *rt = ud;
    atomic_store(&cell->sched_state, TH_CELL_RUNNING);
    for (uint32_t n = 0; n < rt->batch; n++) {
        th_msg *m = th_mailbox_pop(cell);
        if (!m)
            break;
        pthread_mutex_lock(&cell->lock);
        deliver(cell, m);
        if (atomic_load(&cell->alive) && cell->actor->stopped)
            th_cell_exit(cell);
        if (!atomic_load(&cell->alive))
            answer_waiter(cell, m);
        pthread_mutex_unlock(&cell->lock);
        th_msg_free(m);
    }
    atomic_store(&cell->sched_state, TH_CELL_IDLE);
    int idle = TH_CELL_IDLE;
    if (!th_mailbox_empty(cell) &&
        atomic_compare_exchange_strong(&cell->sched_state, &idle, TH_CELL_QUEUED)) {
        th_sched_push(rt->sched, cell); /* our `busy` passes to the queued turn */
        return;
    }
    atomic_fetch_sub(&rt->busy, 1);
}
