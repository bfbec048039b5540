/* theater:simple/message-server-host: granted by [[handlers]] type =
 * "message-server". Messages go into the receiver's mailbox with a causal
 * link (the sender's id and chain head, docs/messaging.md). Every outcome
 * the guest can see is a WIT result, recorded like any host call; an
 * actor is never made to wait for room, only for an answer it asked for. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "handlers/handlers.h"
#include "runtime/runtime.h"

/* The receiving actor by id, if it takes this kind of mail; else an error
 * result naming what is wrong. */
static th_cell *target(th_actor *actor, const th_val *id, th_msg_kind kind, th_arena *a,
                       th_val **result)
{
    if (!actor->cell) {
        th_host_err(a, result, "actor '%.*s' is not reachable: this actor runs outside a runtime",
                    (int)(id->bytes.len > 64 ? 64 : id->bytes.len), (const char *)id->bytes.ptr);
        return NULL;
    }
    th_cell *cell = th_runtime_lookup(actor->cell->rt, (const char *)id->bytes.ptr, id->bytes.len);
    th_error err;
    if (!cell)
        th_host_err(a, result, "no actor with id '%.*s'",
                    (int)(id->bytes.len > 64 ? 64 : id->bytes.len), (const char *)id->bytes.ptr);
    else if (th_cell_accepts(cell, kind, &err))
        return th_host_err(a, result, "%s", err.msg), NULL;
    return cell;
}

static int push_failed(th_cell *to, th_push_result r, th_arena *a, th_val **result)
{
    if (r == TH_PUSH_FULL)
        return th_host_err(a, result, "the mailbox of %s (%s) is full (%u messages)",
                           th_cell_name(to), to->id, to->capacity);
    return th_host_err(a, result, "actor %s (%s) has stopped", th_cell_name(to), to->id);
}

static th_msg *message_from(th_actor *actor, th_msg_kind kind, const th_val *bytes)
{
    th_msg *m = th_msg_new(kind, bytes->bytes.ptr, bytes->bytes.len);
    th_msg_link(m, actor);
    return m;
}

int th_host_message_send(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                         th_error *err)
{
    (void)err;
    th_cell *to = target(actor, &params->list.items[0], TH_MSG_SEND, a, result);
    if (!to)
        return 0;
    th_msg *m = message_from(actor, TH_MSG_SEND, &params->list.items[1]);
    th_push_result r = th_mailbox_push(to, m, false);
    if (r != TH_PUSH_OK) {
        th_msg_free(m);
        return push_failed(to, r, a, result);
    }
    *result = th_val_ok(a, NULL);
    return 0;
}

/* Sends a message with a reply slot and waits for the answer with the
 * actor's lock released; NULL with *result set when there is none. */
static th_reply *ask(th_actor *actor, th_cell *to, th_msg *m, th_arena *a, th_val **result)
{
    th_cell *self = actor->cell;
    if (to == self) {
        th_msg_free(m);
        th_host_err(a, result, "an actor cannot wait on itself (it handles one message at a time)");
        return NULL;
    }
    th_reply *reply = th_reply_new();
    m->reply = reply;
    th_push_result r = th_mailbox_push(to, m, false);
    if (r != TH_PUSH_OK) {
        th_msg_free(m);
        th_reply_release(reply);
        push_failed(to, r, a, result);
        return NULL;
    }
    uint32_t timeout = self->rt->request_timeout_ms;
    th_cell_wait_begin(self);
    bool answered = th_reply_wait(reply, timeout);
    th_cell_wait_end(self);
    if (!answered) {
        th_reply_release(reply);
        th_host_err(a, result, "no answer from %s (%s) within %u ms", th_cell_name(to), to->id,
                    timeout);
        return NULL;
    }
    return reply;
}

int th_host_message_request(th_actor *actor, const th_val *params, th_arena *a, th_val **result,
                            th_error *err)
{
    (void)err;
    th_cell *to = target(actor, &params->list.items[0], TH_MSG_REQUEST, a, result);
    if (!to)
        return 0;
    th_reply *reply =
        ask(actor, to, message_from(actor, TH_MSG_REQUEST, &params->list.items[1]), a, result);
    if (!reply)
        return 0;
    if (reply->ok)
        *result = th_val_ok(a, th_val_bytes(a, reply->data, reply->len));
    else
        th_host_err(a, result, "%s", reply->error);
    th_reply_release(reply);
    return 0;
}

int th_host_message_open_channel(th_actor *actor, const th_val *params, th_arena *a,
                                 th_val **result, th_error *err)
{
    (void)err;
    th_cell *to = target(actor, &params->list.items[0], TH_MSG_CHANNEL_OPEN, a, result);
    if (!to)
        return 0;
    th_runtime *rt = actor->cell->rt;
    th_channel ch = {.opener = actor->cell, .acceptor = to};
    char id[33];
    th_channel_add(rt, &ch, id);
    th_msg *m = message_from(actor, TH_MSG_CHANNEL_OPEN, &params->list.items[1]);
    memcpy(m->channel, id, sizeof m->channel);
    th_reply *reply = ask(actor, to, m, a, result);
    if (!reply) {
        th_channel_remove(rt, id, 32, NULL);
        return 0;
    }
    if (!reply->ok) {
        th_host_err(a, result, "%s", reply->error);
    } else if (!reply->accepted) {
        th_host_err(a, result, "%s (%s) refused the channel%s%.*s", th_cell_name(to), to->id,
                    reply->has_data ? ": " : "", reply->has_data ? (int)reply->len : 0,
                    reply->has_data ? (const char *)reply->data : "");
    } else {
        *result = th_val_ok(a, th_val_string(a, id, 32));
        if (reply->has_data) { /* the acceptor's first word comes as a channel message */
            th_msg *first = th_msg_new(TH_MSG_CHANNEL_MESSAGE, reply->data, reply->len);
            memcpy(first->channel, id, sizeof first->channel);
            first->uncounted = true; /* part of the open, which was accepted */
            if (th_mailbox_push(actor->cell, first, false) != TH_PUSH_OK)
                th_msg_free(first);
        }
    }
    th_reply_release(reply);
    return 0;
}

/* The channel by id, if this actor is one of its open ends. */
static bool my_channel(th_actor *actor, const th_val *id, th_channel *ch, th_arena *a,
                       th_val **result)
{
    const char *p = (const char *)id->bytes.ptr;
    int shown = (int)(id->bytes.len > 64 ? 64 : id->bytes.len);
    if (!actor->cell || !th_channel_get(actor->cell->rt, p, id->bytes.len, ch)) {
        th_host_err(a, result, "no channel with id '%.*s'", shown, p);
        return false;
    }
    if (ch->opener != actor->cell && ch->acceptor != actor->cell) {
        th_host_err(a, result, "channel '%.*s' is not this actor's", shown, p);
        return false;
    }
    if (!ch->open) {
        th_host_err(a, result, "channel '%.*s' is not open yet", shown, p);
        return false;
    }
    return true;
}

int th_host_message_send_on_channel(th_actor *actor, const th_val *params, th_arena *a,
                                    th_val **result, th_error *err)
{
    (void)err;
    th_channel ch;
    if (!my_channel(actor, &params->list.items[0], &ch, a, result))
        return 0;
    const th_val *msg = &params->list.items[1];
    th_cell *other = ch.opener == actor->cell ? ch.acceptor : ch.opener;
    if (!other) { /* the embedding program's end */
        if (ch.client.on_message)
            ch.client.on_message(ch.client.userdata, ch.id, msg->bytes.ptr, msg->bytes.len);
        *result = th_val_ok(a, NULL);
        return 0;
    }
    th_msg *m = message_from(actor, TH_MSG_CHANNEL_MESSAGE, msg);
    memcpy(m->channel, ch.id, sizeof m->channel);
    th_push_result r = th_mailbox_push(other, m, false);
    if (r != TH_PUSH_OK) {
        th_msg_free(m);
        return push_failed(other, r, a, result);
    }
    *result = th_val_ok(a, NULL);
    return 0;
}

int th_host_message_close_channel(th_actor *actor, const th_val *params, th_arena *a,
                                  th_val **result, th_error *err)
{
    (void)err;
    th_channel ch;
    if (!my_channel(actor, &params->list.items[0], &ch, a, result))
        return 0;
    if (th_channel_remove(actor->cell->rt, ch.id, 32, &ch))
        th_channel_tell_closed(actor->cell->rt, &ch, actor->cell, actor);
    *result = th_val_ok(a, NULL);
    return 0;
}
