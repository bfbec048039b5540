/* Cross-actor verification of causal links (links.h, docs/chain.md).
 *
 * Adding a chain keeps, per message event, only what a check needs: the
 * hashes that identify it, the SHA-256 of its payload and the ids it names.
 * Checking sorts the sender events by (parent hash, actor) so that each
 * link is found by binary search, then walks the links one way (each names
 * a sender event that matches) and the sender events the other way (each
 * that must have arrived was received). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "chain/links.h"
#include "chain/sha256.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/utf8.h"
#include "common/value.h"

#define HOST_PREFIX "theater:simple/message-server-host#"
#define CLIENT_PREFIX "theater:simple/message-server-client#"
#define ID_SIZE 16 /* actor and channel ids: 32 hex digits, kept as bytes */
#define NOT_FOUND SIZE_MAX

typedef enum msg_kind {
    MSG_SEND,
    MSG_REQUEST,
    MSG_OPEN,
    MSG_CHANNEL,
    MSG_CLOSE,
    MSG_KINDS
} msg_kind;

/* What each kind of message looks like at both ends. */
static const struct {
    const char *import; /* the sender's function, after HOST_PREFIX */
    const char *export; /* the receiver's, after CLIENT_PREFIX */
    bool by_channel;    /* the sender names a channel, not an actor */
    bool has_payload;   /* it carries message bytes */
    bool must_arrive;   /* an ok result means the receiver handled it */
    bool may_drop;      /* one-way: queued mail is dropped when the receiver stops */
    bool err_is_lost;   /* an err result means it never reached a mailbox */
} kinds[MSG_KINDS] = {
    [MSG_SEND] = {"send", "handle-send", false, true, true, true, true},
    [MSG_REQUEST] = {"request", "handle-request", false, true, true, false, false},
    [MSG_OPEN] = {"open-channel", "handle-channel-open", false, true, true, false, false},
    [MSG_CHANNEL] = {"send-on-channel", "handle-channel-message", true, true, true, true, true},
    [MSG_CLOSE] = {"close-channel", "handle-channel-close", true, false, false, false, true},
};

/* The receiver's input names the channel for every kind but these two. */
static bool receiver_names_channel(msg_kind k)
{
    return k != MSG_SEND && k != MSG_REQUEST;
}

typedef struct actor_entry {
    uint8_t id[ID_SIZE];
    bool readable;
    size_t stops_from, stops_count; /* its stop events in links->stops */
    int64_t first_bad_event;        /* where report.first_bad is, in this actor's chain */
    th_link_report report;
} actor_entry;

typedef struct actor_key { /* for lookups by id */
    uint8_t id[ID_SIZE];
    size_t actor;
} actor_key;

typedef struct stop_entry {
    uint8_t hash[TH_HASH_SIZE];
    int64_t timestamp_ns;
} stop_entry;

/* A message-server-host event: a message the actor sent. */
typedef struct sent_msg {
    uint8_t parent[TH_HASH_SIZE];  /* the sender's head when it sent: what links name */
    uint8_t payload[TH_HASH_SIZE]; /* SHA-256 of the message bytes */
    uint8_t to[ID_SIZE];           /* the receiver's id, or the channel's (by_channel) */
    uint8_t opened[ID_SIZE];       /* #open-channel with an ok result: the channel's id */
    size_t actor;
    uint64_t index;
    int64_t queued_after_ns; /* the time of its parent event: the mail was queued later */
    msg_kind kind;
    bool ok, to_valid;
    const char *problem; /* why the event cannot be read, or NULL */
    size_t receivers;    /* links that name it */
    size_t first_receiver;
    uint64_t first_receiver_event;
} sent_msg;

/* A call event with a link: a message the actor received from another. */
typedef struct received_msg {
    uint8_t head[TH_HASH_SIZE];
    uint8_t payload[TH_HASH_SIZE];
    uint8_t sender[ID_SIZE];
    uint8_t channel[ID_SIZE];
    size_t actor;
    uint64_t index;
    msg_kind kind;
} received_msg;

typedef struct channel_entry {
    uint8_t id[ID_SIZE];
    uint8_t opener[ID_SIZE], acceptor[ID_SIZE];
    bool external; /* opened by the embedding program: only the acceptor is an actor */
} channel_entry;

/* Arrays of the records above live in th_bufs (malloc'd, so aligned for
 * any type); these views read them. */
#define VIEW(buf, type) ((type *)(void *)(buf).data)
#define COUNT(buf, type) ((buf).len / sizeof(type))

struct th_links {
    th_buf actors, keys, stops, sent, received, channels;
    bool checked;
    th_arena arena; /* the decoded values of the event being added */
};

th_links *th_links_new(void)
{
    return th_xcalloc(1, sizeof(th_links));
}

void th_links_free(th_links *links)
{
    if (!links)
        return;
    th_buf_free(&links->actors);
    th_buf_free(&links->keys);
    th_buf_free(&links->stops);
    th_buf_free(&links->sent);
    th_buf_free(&links->received);
    th_buf_free(&links->channels);
    th_arena_free(&links->arena);
    free(links);
}

/* ---- Small helpers -------------------------------------------------------- */

static bool id_from_text(const uint8_t *p, size_t len, uint8_t out[ID_SIZE])
{
    return len == 2 * ID_SIZE && th_hex_is_lower((const char *)p, len) &&
           th_hex_decode((const char *)p, ID_SIZE, out) == 0;
}

static const char *id_text(const uint8_t id[ID_SIZE], char out[2 * ID_SIZE + 1])
{
    th_hex_encode(id, ID_SIZE, out);
    return out;
}

/* The first 16 hex digits of a hash, enough to find it in `chain show`. */
static const char *hash_text(const uint8_t hash[TH_HASH_SIZE], char out[17])
{
    th_hex_encode(hash, 8, out);
    return out;
}

static bool same_id(const uint8_t a[ID_SIZE], const uint8_t b[ID_SIZE])
{
    return memcmp(a, b, ID_SIZE) == 0;
}

static actor_entry *actor_at(th_links *l, size_t i)
{
    return &VIEW(l->actors, actor_entry)[i];
}

static msg_kind kind_named(const char *name, const char *prefix, bool sender)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0)
        return MSG_KINDS;
    for (int k = 0; k < MSG_KINDS; k++)
        if (strcmp(name + n, sender ? kinds[k].import : kinds[k].export) == 0)
            return (msg_kind)k;
    return MSG_KINDS;
}

/* The i-th item of v when v is a tuple of n items; NULL otherwise. */
static const th_val *item(const th_val *v, size_t n, size_t i, th_val_kind kind)
{
    if (!v || v->kind != TH_VAL_TUPLE || v->list.len != n || v->list.items[i].kind != kind)
        return NULL;
    return &v->list.items[i];
}

static const th_val *decode(th_links *l, const uint8_t *p, size_t len)
{
    th_error ignored; /* a value that does not decode is reported as not having its shape */
    return th_val_decode(&l->arena, p, len, &ignored);
}

static void hash_bytes(const th_val *bytes, uint8_t out[TH_HASH_SIZE])
{
    th_sha256(bytes->bytes.ptr ? bytes->bytes.ptr : (const uint8_t *)"", bytes->bytes.len, out);
}

/* ---- Failures -------------------------------------------------------------- */

static void failure_ids(th_link_failure *f, const uint8_t *receiver, int64_t receiver_event,
                        const uint8_t *sender, int64_t sender_event)
{
    memset(f, 0, sizeof *f);
    if (receiver)
        id_text(receiver, f->receiver);
    if (sender)
        id_text(sender, f->sender);
    f->receiver_event = receiver_event;
    f->sender_event = sender_event;
}

static void fail(th_links *l, size_t owner, int64_t at_event, th_link_failure *f, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

/* Counts a bad link against `owner`, whose event at_event shows it, and
 * keeps it when it is that actor's first. */
static void fail(th_links *l, size_t owner, int64_t at_event, th_link_failure *f, const char *fmt,
                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->reason, sizeof f->reason, fmt, ap);
    va_end(ap);
    th_utf8_trim_cut(f->reason);
    actor_entry *a = actor_at(l, owner);
    if (a->report.failed++ == 0 || at_event < a->first_bad_event) {
        a->report.first_bad = *f;
        a->first_bad_event = at_event;
    }
}

/* ---- Adding a chain ---------------------------------------------------------- */

static void add_channel(th_links *l, const uint8_t id[ID_SIZE], const uint8_t *opener,
                        const uint8_t acceptor[ID_SIZE])
{
    channel_entry c = {.external = opener == NULL};
    memcpy(c.id, id, ID_SIZE);
    if (opener)
        memcpy(c.opener, opener, ID_SIZE);
    memcpy(c.acceptor, acceptor, ID_SIZE);
    th_buf_append(&l->channels, &c, sizeof c);
}

/* Fills s from a message-server-host event; returns why it cannot, or NULL. */
static const char *read_sent(th_links *l, const th_event *ev, sent_msg *s)
{
    size_t n = kinds[s->kind].has_payload ? 2 : 1;
    const th_val *in = decode(l, ev->input, ev->input_len);
    const th_val *to = item(in, n, 0, TH_VAL_STRING);
    const th_val *msg = n == 2 ? item(in, n, 1, TH_VAL_BYTES) : NULL;
    if (!to || (n == 2 && !msg))
        return n == 2 ? "its input is not (string, list<u8>)" : "its input is not (string)";
    s->to_valid = id_from_text(to->bytes.ptr, to->bytes.len, s->to);
    if (msg)
        hash_bytes(msg, s->payload);
    const th_val *out = decode(l, ev->output, ev->output_len);
    if (!out || out->kind != TH_VAL_RESULT)
        return "its output is not a result";
    s->ok = out->var.disc == 0;
    if (s->ok && s->kind == MSG_OPEN) {
        const th_val *ch = out->var.payload;
        if (!ch || ch->kind != TH_VAL_STRING ||
            !id_from_text(ch->bytes.ptr, ch->bytes.len, s->opened))
            return "its ok result is not a channel id";
    }
    return NULL;
}

static void add_sent(th_links *l, size_t actor, const th_event *ev, const th_event *prev)
{
    msg_kind kind = kind_named(ev->name, HOST_PREFIX, true);
    if (kind == MSG_KINDS)
        return;
    sent_msg s = {.actor = actor, .index = ev->index, .kind = kind};
    memcpy(s.parent, ev->parent, TH_HASH_SIZE);
    s.queued_after_ns = prev ? prev->timestamp_ns : ev->timestamp_ns;
    s.problem = read_sent(l, ev, &s);
    if (!s.problem && s.ok && kind == MSG_OPEN && s.to_valid)
        add_channel(l, s.opened, actor_at(l, actor)->id, s.to);
    th_buf_append(&l->sent, &s, sizeof s);
}

/* Fills r from a call event with a link; returns why it cannot, or NULL. */
static const char *read_received(th_links *l, const th_event *ev, received_msg *r)
{
    const th_val *link = decode(l, ev->output, ev->output_len);
    const th_val *sender = item(link, 2, 0, TH_VAL_STRING);
    const th_val *head = item(link, 2, 1, TH_VAL_BYTES);
    if (!sender || !head || head->bytes.len != TH_HASH_SIZE ||
        !id_from_text(sender->bytes.ptr, sender->bytes.len, r->sender))
        return "its link (the call's output) is not (sender id, 32-byte head)";
    memcpy(r->head, head->bytes.ptr, TH_HASH_SIZE);
    bool with_channel = receiver_names_channel(r->kind);
    bool with_msg = kinds[r->kind].has_payload;
    size_t n = (size_t)with_channel + (size_t)with_msg;
    const th_val *in = decode(l, ev->input, ev->input_len);
    const th_val *ch = with_channel ? item(in, n, 0, TH_VAL_STRING) : NULL;
    const th_val *msg = with_msg ? item(in, n, n - 1, TH_VAL_BYTES) : NULL;
    if ((with_channel && (!ch || !id_from_text(ch->bytes.ptr, ch->bytes.len, r->channel))) ||
        (with_msg && !msg))
        return "its input is not the message the export takes";
    if (msg)
        hash_bytes(msg, r->payload);
    return NULL;
}

/* A channel the embedding program opened: its handle-channel-open has no
 * link. Remembered so that the actor's messages on it need no receiver. */
static void add_external_open(th_links *l, size_t actor, const th_event *ev)
{
    const th_val *in = decode(l, ev->input, ev->input_len);
    const th_val *ch = item(in, 2, 0, TH_VAL_STRING);
    uint8_t id[ID_SIZE];
    if (ch && id_from_text(ch->bytes.ptr, ch->bytes.len, id))
        add_channel(l, id, NULL, actor_at(l, actor)->id);
}

static void add_call(th_links *l, size_t actor, const th_event *ev)
{
    msg_kind kind = kind_named(ev->name, CLIENT_PREFIX, false);
    if (ev->output_len == 0) { /* from outside the runtime: no link to check */
        if (kind == MSG_OPEN)
            add_external_open(l, actor, ev);
        return;
    }
    th_link_failure f;
    failure_ids(&f, actor_at(l, actor)->id, (int64_t)ev->index, NULL, -1);
    if (kind == MSG_KINDS) {
        fail(l, actor, (int64_t)ev->index, &f,
             "a call of %s carries a link, but that export receives no messages", ev->name);
        return;
    }
    received_msg r = {.actor = actor, .index = ev->index, .kind = kind};
    const char *problem = read_received(l, ev, &r);
    if (problem) {
        fail(l, actor, (int64_t)ev->index, &f, "%s", problem);
        return;
    }
    th_buf_append(&l->received, &r, sizeof r);
}

static void add_stop(th_links *l, const th_event *ev)
{
    stop_entry s = {.timestamp_ns = ev->timestamp_ns};
    memcpy(s.hash, ev->hash, TH_HASH_SIZE);
    th_buf_append(&l->stops, &s, sizeof s);
}

int th_links_add(th_links *l, const char *actor_id, const th_chain *chain, th_error *err)
{
    actor_entry a = {.readable = chain != NULL, .stops_from = COUNT(l->stops, stop_entry)};
    if (!id_from_text((const uint8_t *)actor_id, strlen(actor_id), a.id))
        return th_error_set(err, "'%s' is not an actor id (32 lowercase hex digits)", actor_id);
    size_t actor = COUNT(l->actors, actor_entry);
    th_buf_append(&l->actors, &a, sizeof a);
    size_t len = chain ? th_chain_length(chain) : 0;
    const th_event *prev = NULL;
    for (size_t i = 0; i < len; i++) {
        const th_event *ev = th_chain_event(chain, i);
        th_arena_reset(&l->arena);
        if (ev->type == TH_EV_HOST)
            add_sent(l, actor, ev, prev);
        else if (ev->type == TH_EV_CALL)
            add_call(l, actor, ev);
        else if (ev->type == TH_EV_STOP)
            add_stop(l, ev);
        prev = ev;
    }
    th_arena_reset(&l->arena);
    actor_at(l, actor)->stops_count = COUNT(l->stops, stop_entry) - a.stops_from;
    return 0;
}

/* ---- Lookups (after sorting) ----------------------------------------------------- */

static int compare_keys(const void *a, const void *b)
{
    return memcmp(((const actor_key *)a)->id, ((const actor_key *)b)->id, ID_SIZE);
}

static int compare_sent(const void *a, const void *b)
{
    const sent_msg *x = a, *y = b;
    int c = memcmp(x->parent, y->parent, TH_HASH_SIZE);
    if (c)
        return c;
    return x->actor < y->actor ? -1 : x->actor > y->actor;
}

static int compare_channels(const void *a, const void *b)
{
    return memcmp(((const channel_entry *)a)->id, ((const channel_entry *)b)->id, ID_SIZE);
}

static void sort_buf(th_buf *b, size_t size, int (*cmp)(const void *, const void *))
{
    if (b->len)
        qsort(b->data, b->len / size, size, cmp);
}

static size_t find_actor(const th_links *l, const uint8_t id[ID_SIZE])
{
    actor_key key;
    memcpy(key.id, id, ID_SIZE);
    const actor_key *k = l->keys.len ? bsearch(&key, l->keys.data, COUNT(l->keys, actor_key),
                                               sizeof key, compare_keys)
                                     : NULL;
    return k ? k->actor : NOT_FOUND;
}

static sent_msg *find_sent(th_links *l, size_t actor, const uint8_t head[TH_HASH_SIZE])
{
    sent_msg key = {.actor = actor};
    memcpy(key.parent, head, TH_HASH_SIZE);
    if (!l->sent.len)
        return NULL;
    return bsearch(&key, l->sent.data, COUNT(l->sent, sent_msg), sizeof key, compare_sent);
}

static const channel_entry *find_channel(const th_links *l, const uint8_t id[ID_SIZE])
{
    channel_entry key;
    memcpy(key.id, id, ID_SIZE);
    if (!l->channels.len)
        return NULL;
    return bsearch(&key, l->channels.data, COUNT(l->channels, channel_entry), sizeof key,
                   compare_channels);
}

static const stop_entry *stops_of(th_links *l, size_t actor, size_t *n)
{
    const actor_entry *a = actor_at(l, actor);
    *n = a->stops_count;
    return VIEW(l->stops, stop_entry) + a->stops_from;
}

static bool stopped_at(th_links *l, size_t actor, const uint8_t hash[TH_HASH_SIZE])
{
    size_t n;
    const stop_entry *s = stops_of(l, actor, &n);
    for (size_t i = 0; i < n; i++)
        if (memcmp(s[i].hash, hash, TH_HASH_SIZE) == 0)
            return true;
    return false;
}

static bool stopped_since(th_links *l, size_t actor, int64_t timestamp_ns)
{
    size_t n;
    const stop_entry *s = stops_of(l, actor, &n);
    for (size_t i = 0; i < n; i++)
        if (s[i].timestamp_ns >= timestamp_ns)
            return true;
    return false;
}

/* ---- Each link, from the receiver's side ---------------------------------------- */

/* Why sender event s is not the message r received, or NULL when it is. */
static const char *mismatch(th_links *l, const sent_msg *s, const received_msg *r, char *why,
                            size_t size)
{
    char a[33], b[33], x[17], y[17];
    if (s->problem)
        snprintf(why, size, "the sender's event %" PRIu64 " cannot be read: %s", s->index,
                 s->problem);
    else if (s->kind != r->kind)
        snprintf(why, size, "the sender's event %" PRIu64 " is #%s, which %s does not receive",
                 s->index, kinds[s->kind].import, kinds[r->kind].export);
    else if (!kinds[s->kind].by_channel && !s->to_valid)
        snprintf(why, size, "the sender's #%s names no actor id", kinds[s->kind].import);
    else if (!kinds[s->kind].by_channel && !same_id(s->to, actor_at(l, r->actor)->id))
        snprintf(why, size, "the sender sent it to %s, not to this actor", id_text(s->to, a));
    else if (kinds[s->kind].by_channel && (!s->to_valid || !same_id(s->to, r->channel)))
        snprintf(why, size, "the sender sent it on channel %s, not on channel %s",
                 s->to_valid ? id_text(s->to, a) : "(not a channel id)", id_text(r->channel, b));
    else if (s->kind == MSG_OPEN && s->ok && !same_id(s->opened, r->channel))
        snprintf(why, size, "the sender opened channel %s, not channel %s", id_text(s->opened, a),
                 id_text(r->channel, b));
    else if (kinds[s->kind].has_payload && memcmp(s->payload, r->payload, TH_HASH_SIZE) != 0)
        snprintf(why, size, "payload hash %s… differs from the sender's %s…",
                 hash_text(r->payload, x), hash_text(s->payload, y));
    else if (!s->ok && kinds[s->kind].err_is_lost)
        snprintf(why, size, "the sender's #%s failed, so nothing was delivered",
                 kinds[s->kind].import);
    else
        return NULL;
    return why;
}

/* A close the runtime sent for a sender that stopped: the link names the
 * sender's stop event itself (its head once stopped), not a message event. */
static const char *closed_by_stop(th_links *l, size_t sender, const received_msg *r, char *why,
                                  size_t size)
{
    const channel_entry *c = find_channel(l, r->channel);
    const uint8_t *s = actor_at(l, sender)->id, *me = actor_at(l, r->actor)->id;
    char a[33];
    if (c && !c->external &&
        ((same_id(c->opener, s) && same_id(c->acceptor, me)) ||
         (same_id(c->opener, me) && same_id(c->acceptor, s))))
        return NULL;
    snprintf(
        why, size,
        "the sender stopped at that head, but channel %s was not opened between it and this actor",
        id_text(r->channel, a));
    return why;
}

static void check_received(th_links *l, const received_msg *r)
{
    char why[300], head[17], sender_hex[33];
    th_link_failure f;
    int64_t at = (int64_t)r->index;
    failure_ids(&f, actor_at(l, r->actor)->id, at, r->sender, -1);
    size_t sender = find_actor(l, r->sender);
    if (sender == NOT_FOUND) {
        fail(l, r->actor, at, &f, "sender %s is not stored", id_text(r->sender, sender_hex));
        return;
    }
    if (!actor_at(l, sender)->readable) {
        fail(l, r->actor, at, &f, "the chain of sender %s could not be read",
             id_text(r->sender, sender_hex));
        return;
    }
    sent_msg *s = find_sent(l, sender, r->head);
    if (!s && r->kind == MSG_CLOSE && stopped_at(l, sender, r->head)) {
        if (closed_by_stop(l, sender, r, why, sizeof why))
            fail(l, r->actor, at, &f, "%s", why);
        else
            actor_at(l, r->actor)->report.in_ok++;
        return;
    }
    if (!s) {
        fail(l, r->actor, at, &f, "the sender has no message event after head %s…",
             hash_text(r->head, head));
        return;
    }
    f.sender_event = (int64_t)s->index;
    if (mismatch(l, s, r, why, sizeof why)) {
        fail(l, r->actor, at, &f, "%s", why);
        return;
    }
    if (s->receivers++ > 0) {
        fail(l, r->actor, at, &f,
             "duplicate: the sender's event %" PRIu64
             " was already received by %s at event %" PRIu64,
             s->index, id_text(actor_at(l, s->first_receiver)->id, sender_hex),
             s->first_receiver_event);
        return;
    }
    s->first_receiver = r->actor;
    s->first_receiver_event = r->index;
    actor_at(l, r->actor)->report.in_ok++;
}

/* ---- Each message sent, from the sender's side ------------------------------------- */

/* The actor at the other end of the channel a message was sent on: 1 with
 * its id, 0 when it is the embedding program, -1 with why when unknown. */
static int channel_peer(th_links *l, const sent_msg *s, uint8_t peer[ID_SIZE], char *why,
                        size_t size)
{
    char a[33];
    const uint8_t *me = actor_at(l, s->actor)->id;
    const channel_entry *c = find_channel(l, s->to);
    if (!c) {
        snprintf(why, size, "channel %s was not opened in any stored chain", id_text(s->to, a));
        return -1;
    }
    if (c->external && same_id(c->acceptor, me))
        return 0;
    if (!c->external && same_id(c->opener, me))
        memcpy(peer, c->acceptor, ID_SIZE);
    else if (!c->external && same_id(c->acceptor, me))
        memcpy(peer, c->opener, ID_SIZE);
    else {
        snprintf(why, size, "channel %s is not this actor's", id_text(s->to, a));
        return -1;
    }
    return 1;
}

/* A message with an ok result that no link names. */
static void check_unreceived(th_links *l, const sent_msg *s)
{
    char why[300], a[33];
    th_link_failure f;
    int64_t at = (int64_t)s->index;
    const uint8_t *me = actor_at(l, s->actor)->id;
    uint8_t to[ID_SIZE];
    if (kinds[s->kind].by_channel) {
        int peer = channel_peer(l, s, to, why, sizeof why);
        if (peer == 0)
            return; /* the embedding program's end: it keeps no chain */
        if (peer < 0) {
            failure_ids(&f, NULL, -1, me, at);
            fail(l, s->actor, at, &f, "%s", why);
            return;
        }
    } else if (s->to_valid) {
        memcpy(to, s->to, ID_SIZE);
    } else {
        failure_ids(&f, NULL, -1, me, at);
        fail(l, s->actor, at, &f, "its #%s names no actor id", kinds[s->kind].import);
        return;
    }
    failure_ids(&f, to, -1, me, at);
    size_t receiver = find_actor(l, to);
    if (receiver == NOT_FOUND)
        fail(l, s->actor, at, &f, "receiver %s is not stored", id_text(to, a));
    else if (!actor_at(l, receiver)->readable)
        fail(l, s->actor, at, &f, "the chain of receiver %s could not be read", id_text(to, a));
    else if (kinds[s->kind].may_drop && stopped_since(l, receiver, s->queued_after_ns))
        actor_at(l, s->actor)->report.undelivered++;
    else
        fail(l, s->actor, at, &f, "no event of receiver %s links to this #%s", id_text(to, a),
             kinds[s->kind].import);
}

static void check_sent(th_links *l, const sent_msg *s)
{
    th_link_failure f;
    if (s->problem) {
        failure_ids(&f, NULL, -1, actor_at(l, s->actor)->id, (int64_t)s->index);
        fail(l, s->actor, (int64_t)s->index, &f, "its message event cannot be read: %s",
             s->problem);
        return;
    }
    if (s->receivers > 0)
        actor_at(l, s->actor)->report.out_ok++;
    else if (kinds[s->kind].must_arrive && s->ok)
        check_unreceived(l, s);
}

static void build_keys(th_links *l)
{
    size_t n = COUNT(l->actors, actor_entry);
    th_buf_reset(&l->keys);
    for (size_t i = 0; i < n; i++) {
        actor_key k = {.actor = i};
        memcpy(k.id, actor_at(l, i)->id, ID_SIZE);
        th_buf_append(&l->keys, &k, sizeof k);
    }
    sort_buf(&l->keys, sizeof(actor_key), compare_keys);
}

size_t th_links_check(th_links *l)
{
    build_keys(l);
    sort_buf(&l->sent, sizeof(sent_msg), compare_sent);
    sort_buf(&l->channels, sizeof(channel_entry), compare_channels);
    /* Links in the order they were added, so that "already received"
     * names the receiver that came first. */
    for (size_t i = 0; i < COUNT(l->received, received_msg); i++)
        check_received(l, &VIEW(l->received, received_msg)[i]);
    for (size_t i = 0; i < COUNT(l->sent, sent_msg); i++)
        check_sent(l, &VIEW(l->sent, sent_msg)[i]);
    l->checked = true;
    size_t bad = 0;
    for (size_t i = 0; i < COUNT(l->actors, actor_entry); i++)
        bad += actor_at(l, i)->report.failed;
    return bad;
}

const th_link_report *th_links_report(const th_links *l, const char *actor_id)
{
    uint8_t id[ID_SIZE];
    if (!l->checked || !id_from_text((const uint8_t *)actor_id, strlen(actor_id), id))
        return NULL;
    size_t i = find_actor(l, id);
    return i == NOT_FOUND ? NULL : &VIEW(l->actors, actor_entry)[i].report;
}
