/* Cross-actor verification (chain/links.h): chains built in memory, as the
 * runtime records them, with one thing wrong at a time. */
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "chain/links.h"
#include "check.h"
#include "common/buf.h"

#define ID_A "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
#define ID_B "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
#define ID_C "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
#define CHAN "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
#define CHAN2 "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"

#define HOST "theater:simple/message-server-host#"
#define CLIENT "theater:simple/message-server-client#"

/* ---- Encoded values (docs/chain.md, "Values") ----------------------------------- */

static void put_tuple(th_buf *b, uint32_t n)
{
    th_buf_append_byte(b, 0x0e);
    th_buf_append_u32be(b, n);
}

static void put_str(th_buf *b, const char *s)
{
    th_buf_append_byte(b, 0x0b);
    th_buf_append_u32be(b, (uint32_t)strlen(s));
    th_buf_append_str(b, s);
}

static void put_bytes(th_buf *b, const void *p, size_t n)
{
    th_buf_append_byte(b, 0x0c);
    th_buf_append_u32be(b, (uint32_t)n);
    th_buf_append(b, p, n);
}

/* ---- Chains ------------------------------------------------------------------------ */

static int64_t now_ns = 1000; /* every event a little later than the one before */

static const th_event *add(th_chain *c, th_event_type type, const char *name, const th_buf *in,
                           const th_buf *out)
{
    return th_chain_append(c, type, name, in ? in->data : NULL, in ? in->len : 0,
                           out ? out->data : NULL, out ? out->len : 0, NULL, now_ns++);
}

static th_chain *started(const char *name)
{
    th_chain *c = th_chain_new();
    add(c, TH_EV_SPAWN, name, NULL, NULL);
    return c;
}

/* A host event of message-server-host: fn(to, msg) or fn(to) when msg is
 * NULL, with an ok result (carrying `ok_string` when not NULL) or an err.
 * Returns its parent hash: what the receiver's link names. */
static void send_event(th_chain *c, const char *fn, const char *to, const char *msg, bool ok,
                       const char *ok_string, uint8_t head[TH_HASH_SIZE])
{
    th_buf in = TH_BUF_INIT, out = TH_BUF_INIT;
    put_tuple(&in, msg ? 2 : 1);
    put_str(&in, to);
    if (msg)
        put_bytes(&in, msg, strlen(msg));
    th_buf_append_byte(&out, 0x10);
    th_buf_append_byte(&out, ok ? 0 : 1);
    th_buf_append_byte(&out, ok && !ok_string ? 0 : 1);
    if (!ok)
        put_str(&out, "the mailbox is full");
    else if (ok_string)
        put_str(&out, ok_string);
    char name[80];
    snprintf(name, sizeof name, HOST "%s", fn);
    const th_event *ev = add(c, TH_EV_HOST, name, &in, &out);
    memcpy(head, ev->parent, TH_HASH_SIZE);
    th_buf_free(&in);
    th_buf_free(&out);
}

/* A call of a message-server-client export with (channel?, msg?) and a
 * link to (sender, head); sender NULL: from outside the runtime. */
static void receive_event(th_chain *c, const char *export, const char *channel, const char *msg,
                          const char *sender, const uint8_t head[TH_HASH_SIZE])
{
    th_buf in = TH_BUF_INIT, out = TH_BUF_INIT;
    put_tuple(&in, (uint32_t)(channel != NULL) + (uint32_t)(msg != NULL));
    if (channel)
        put_str(&in, channel);
    if (msg)
        put_bytes(&in, msg, strlen(msg));
    if (sender) {
        put_tuple(&out, 2);
        put_str(&out, sender);
        put_bytes(&out, head, TH_HASH_SIZE);
    }
    char name[80];
    snprintf(name, sizeof name, CLIENT "%s", export);
    add(c, TH_EV_CALL, name, &in, &out);
    add(c, TH_EV_RETURN, name, NULL, NULL);
    th_buf_free(&in);
    th_buf_free(&out);
}

static const th_event *stop(th_chain *c)
{
    return add(c, TH_EV_STOP, "stopped", NULL, NULL);
}

/* Adds the chains (NULL: stored but unreadable), checks, frees them. */
static size_t check_pair(th_links *l, th_chain *a, th_chain *b)
{
    th_error err;
    CHECK_EQ_INT(th_links_add(l, ID_A, a, &err), 0);
    if (b)
        CHECK_EQ_INT(th_links_add(l, ID_B, b, &err), 0);
    th_chain_free(a);
    th_chain_free(b);
    return th_links_check(l);
}

/* A sends B "hi"; B handles it. */
TEST(send_received_once_is_ok)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "send", ID_B, "hi", true, NULL, head);
    receive_event(b, "handle-send", NULL, "hi", ID_A, head);
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 0);
    const th_link_report *ra = th_links_report(l, ID_A), *rb = th_links_report(l, ID_B);
    CHECK(ra && rb);
    if (ra && rb) {
        CHECK_EQ_INT(ra->out_ok, 1);
        CHECK_EQ_INT(ra->in_ok, 0);
        CHECK_EQ_INT(rb->in_ok, 1);
        CHECK_EQ_INT(ra->failed + rb->failed, 0);
    }
    CHECK(th_links_report(l, ID_C) == NULL);
    th_links_free(l);
}

TEST(missing_sender)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "send", ID_B, "hi", true, NULL, head);
    receive_event(b, "handle-send", NULL, "hi", ID_A, head);
    th_chain_free(a);
    th_links *l = th_links_new();
    th_error err;
    CHECK_EQ_INT(th_links_add(l, ID_B, b, &err), 0);
    th_chain_free(b);
    CHECK_EQ_INT(th_links_check(l), 1);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r && r->failed == 1);
    if (r) {
        CHECK_STR_EQ(r->first_bad.receiver, ID_B);
        CHECK_EQ_INT(r->first_bad.receiver_event, 1);
        CHECK_STR_EQ(r->first_bad.sender, ID_A);
        CHECK_EQ_INT(r->first_bad.sender_event, -1);
        CHECK_CONTAINS(r->first_bad.reason, "sender " ID_A " is not stored");
    }
    th_links_free(l);
}

TEST(unreadable_sender)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "send", ID_B, "hi", true, NULL, head);
    receive_event(b, "handle-send", NULL, "hi", ID_A, head);
    th_chain_free(a);
    th_links *l = th_links_new();
    th_error err;
    CHECK_EQ_INT(th_links_add(l, ID_A, NULL, &err), 0);
    CHECK_EQ_INT(th_links_add(l, ID_B, b, &err), 0);
    th_chain_free(b);
    CHECK_EQ_INT(th_links_check(l), 1);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r && r->failed == 1);
    if (r)
        CHECK_CONTAINS(r->first_bad.reason, "could not be read");
    th_links_free(l);
}

/* The link names a head after which the sender has no message event. */
TEST(missing_sender_event)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "send", ID_B, "hi", true, NULL, head);
    head[0] ^= 1;
    receive_event(b, "handle-send", NULL, "hi", ID_A, head);
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 2); /* B's dangling link, and A's unreceived send */
    const th_link_report *ra = th_links_report(l, ID_A), *rb = th_links_report(l, ID_B);
    CHECK(ra && rb);
    if (ra && rb) {
        CHECK_CONTAINS(rb->first_bad.reason, "no message event after head");
        CHECK_EQ_INT(rb->first_bad.receiver_event, 1);
        CHECK_CONTAINS(ra->first_bad.reason, "no event of receiver " ID_B " links to this #send");
        CHECK_STR_EQ(ra->first_bad.receiver, ID_B);
        CHECK_EQ_INT(ra->first_bad.receiver_event, -1);
        CHECK_EQ_INT(ra->first_bad.sender_event, 1);
    }
    th_links_free(l);
}

TEST(payload_mismatch)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "request", ID_B, "hi", true, "ho", head);
    receive_event(b, "handle-request", NULL, "hI", ID_A, head);
    th_links *l = th_links_new();
    CHECK(check_pair(l, a, b) >= 1);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r && r->failed == 1 && r->in_ok == 0);
    if (r) {
        CHECK_CONTAINS(r->first_bad.reason, "payload hash");
        CHECK_EQ_INT(r->first_bad.sender_event, 1);
    }
    th_links_free(l);
}

/* A sent to C; B's link claims the message. */
TEST(wrong_target)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "send", ID_C, "hi", true, NULL, head);
    receive_event(b, "handle-send", NULL, "hi", ID_A, head);
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 2); /* and C, not stored, never got it */
    const th_link_report *ra = th_links_report(l, ID_A), *rb = th_links_report(l, ID_B);
    CHECK(ra && rb);
    if (ra && rb) {
        CHECK_CONTAINS(rb->first_bad.reason, "sent it to " ID_C ", not to this actor");
        CHECK_CONTAINS(ra->first_bad.reason, "receiver " ID_C " is not stored");
    }
    th_links_free(l);
}

/* A request received by a handle-send: the kinds must agree. */
TEST(wrong_kind)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "request", ID_B, "hi", false, NULL, head);
    receive_event(b, "handle-send", NULL, "hi", ID_A, head);
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 1);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r);
    if (r)
        CHECK_CONTAINS(r->first_bad.reason, "is #request, which handle-send does not receive");
    th_links_free(l);
}

/* A #send that failed reached no mailbox: a link to it is forged. */
TEST(link_to_failed_send)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "send", ID_B, "hi", false, NULL, head);
    receive_event(b, "handle-send", NULL, "hi", ID_A, head);
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 1);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r);
    if (r)
        CHECK_CONTAINS(r->first_bad.reason, "#send failed, so nothing was delivered");
    th_links_free(l);
}

TEST(duplicate_receiver)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "send", ID_B, "hi", true, NULL, head);
    receive_event(b, "handle-send", NULL, "hi", ID_A, head); /* events 1, 2 */
    receive_event(b, "handle-send", NULL, "hi", ID_A, head); /* events 3, 4 */
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 1);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r && r->in_ok == 1 && r->failed == 1);
    if (r) {
        CHECK_EQ_INT(r->first_bad.receiver_event, 3);
        CHECK_CONTAINS(r->first_bad.reason, "duplicate");
        CHECK_CONTAINS(r->first_bad.reason, "already received by " ID_B " at event 1");
    }
    th_links_free(l);
}

/* Mail queued at a stop is dropped: a #send that the receiver, stopping
 * after it was sent, never handled is undelivered, not a failure. */
TEST(undelivered_after_stop_accepted)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "send", ID_B, "hi", true, NULL, head);
    stop(b);
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 0);
    const th_link_report *r = th_links_report(l, ID_A);
    CHECK(r && r->undelivered == 1 && r->out_ok == 0 && r->failed == 0);
    th_links_free(l);
}

/* A stop before the message could be queued does not explain its loss. */
TEST(stop_before_send_explains_nothing)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *b = started("b");
    stop(b);
    th_chain *a = started("a");
    send_event(a, "send", ID_B, "hi", true, NULL, head);
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 1);
    const th_link_report *r = th_links_report(l, ID_A);
    CHECK(r && r->undelivered == 0 && r->failed == 1);
    th_links_free(l);
}

/* An answered request was handled: a stop does not excuse its absence. */
TEST(answered_request_needs_its_receiver)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "request", ID_B, "hi", true, "ho", head);
    stop(b);
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 1);
    const th_link_report *r = th_links_report(l, ID_A);
    CHECK(r);
    if (r)
        CHECK_CONTAINS(r->first_bad.reason, "links to this #request");
    th_links_free(l);
}

/* A opens a channel to B, sends on it, B closes it; A's stop closes a
 * second one, whose close links to A's stop event. */
TEST(channels)
{
    uint8_t h_open[TH_HASH_SIZE], h_msg[TH_HASH_SIZE], h_close[TH_HASH_SIZE], h2[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "open-channel", ID_B, "hello", true, CHAN, h_open);
    send_event(a, "open-channel", ID_B, "again", true, CHAN2, h2);
    receive_event(b, "handle-channel-open", CHAN, "hello", ID_A, h_open);
    receive_event(b, "handle-channel-open", CHAN2, "again", ID_A, h2);
    send_event(a, "send-on-channel", CHAN, "m1", true, NULL, h_msg);
    receive_event(b, "handle-channel-message", CHAN, "m1", ID_A, h_msg);
    send_event(b, "close-channel", CHAN, NULL, true, NULL, h_close);
    receive_event(a, "handle-channel-close", CHAN, NULL, ID_B, h_close);
    const th_event *st = stop(a);
    receive_event(b, "handle-channel-close", CHAN2, NULL, ID_A, st->hash);
    th_links *l = th_links_new();
    CHECK_EQ_INT(check_pair(l, a, b), 0);
    const th_link_report *ra = th_links_report(l, ID_A), *rb = th_links_report(l, ID_B);
    CHECK(ra && rb);
    if (ra && rb) {
        CHECK_EQ_INT(ra->out_ok, 3);
        CHECK_EQ_INT(ra->in_ok, 1);
        CHECK_EQ_INT(rb->in_ok, 4);
        CHECK_EQ_INT(rb->out_ok, 1);
    }
    th_links_free(l);
}

TEST(message_on_the_wrong_channel)
{
    uint8_t h_open[TH_HASH_SIZE], h_msg[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "open-channel", ID_B, "hello", true, CHAN, h_open);
    receive_event(b, "handle-channel-open", CHAN, "hello", ID_A, h_open);
    send_event(a, "send-on-channel", CHAN, "m1", true, NULL, h_msg);
    receive_event(b, "handle-channel-message", CHAN2, "m1", ID_A, h_msg);
    th_links *l = th_links_new();
    CHECK(check_pair(l, a, b) >= 1);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r);
    if (r)
        CHECK_CONTAINS(r->first_bad.reason, "on channel " CHAN ", not on channel " CHAN2);
    th_links_free(l);
}

/* The channel the opener's #open-channel returned is the one opened. */
TEST(open_names_another_channel)
{
    uint8_t h_open[TH_HASH_SIZE];
    th_chain *a = started("a"), *b = started("b");
    send_event(a, "open-channel", ID_B, "hello", true, CHAN, h_open);
    receive_event(b, "handle-channel-open", CHAN2, "hello", ID_A, h_open);
    th_links *l = th_links_new();
    CHECK(check_pair(l, a, b) >= 1);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r);
    if (r)
        CHECK_CONTAINS(r->first_bad.reason, "opened channel " CHAN ", not channel " CHAN2);
    th_links_free(l);
}

/* A channel the embedding program opened: the actor's messages on it go
 * out of the runtime, so nobody's chain receives them. */
TEST(channel_to_the_embedding_program)
{
    uint8_t h[TH_HASH_SIZE];
    th_chain *b = started("b");
    receive_event(b, "handle-channel-open", CHAN, "hello", NULL, NULL);
    send_event(b, "send-on-channel", CHAN, "out", true, NULL, h);
    th_links *l = th_links_new();
    th_error err;
    CHECK_EQ_INT(th_links_add(l, ID_B, b, &err), 0);
    th_chain_free(b);
    CHECK_EQ_INT(th_links_check(l), 0);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r && r->out_ok == 0 && r->failed == 0);
    th_links_free(l);
}

TEST(malformed_link)
{
    th_chain *b = started("b");
    th_buf in = TH_BUF_INIT, out = TH_BUF_INIT;
    put_tuple(&in, 1);
    put_bytes(&in, "hi", 2);
    put_tuple(&out, 1);
    put_str(&out, ID_A);
    add(b, TH_EV_CALL, CLIENT "handle-send", &in, &out);
    add(b, TH_EV_CALL, "theater:simple/actor#init", &in, &out); /* not a receiving export */
    th_buf_free(&in);
    th_buf_free(&out);
    th_links *l = th_links_new();
    th_error err;
    CHECK_EQ_INT(th_links_add(l, ID_B, b, &err), 0);
    th_chain_free(b);
    CHECK_EQ_INT(th_links_check(l), 2);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r);
    if (r) {
        CHECK_EQ_INT(r->first_bad.receiver_event, 1); /* the lower of the two */
        CHECK_CONTAINS(r->first_bad.reason, "is not (sender id, 32-byte head)");
    }
    th_links_free(l);
}

/* Links are checked receivers first, senders second; the report still
 * names the bad link at the lowest event index of the actor. */
TEST(first_bad_is_the_earliest_event)
{
    uint8_t head[TH_HASH_SIZE];
    th_chain *b = started("b");
    send_event(b, "send", ID_C, "lost", true, NULL, head);   /* event 1: C is not stored */
    receive_event(b, "handle-send", NULL, "hi", ID_A, head); /* event 2: A is not stored */
    th_links *l = th_links_new();
    th_error err;
    CHECK_EQ_INT(th_links_add(l, ID_B, b, &err), 0);
    th_chain_free(b);
    CHECK_EQ_INT(th_links_check(l), 2);
    const th_link_report *r = th_links_report(l, ID_B);
    CHECK(r);
    if (r) {
        CHECK_EQ_INT(r->failed, 2);
        CHECK_EQ_INT(r->first_bad.sender_event, 1);
        CHECK_CONTAINS(r->first_bad.reason, "receiver " ID_C " is not stored");
    }
    th_links_free(l);
}

TEST(bad_actor_id_refused)
{
    th_links *l = th_links_new();
    th_error err;
    CHECK_EQ_INT(th_links_add(l, "A0A1", NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "not an actor id");
    CHECK_EQ_INT(th_links_check(l), 0);
    CHECK(th_links_report(l, "A0A1") == NULL);
    th_links_free(l);
}

int main(void)
{
    RUN(send_received_once_is_ok);
    RUN(missing_sender);
    RUN(unreadable_sender);
    RUN(missing_sender_event);
    RUN(payload_mismatch);
    RUN(wrong_target);
    RUN(wrong_kind);
    RUN(link_to_failed_send);
    RUN(duplicate_receiver);
    RUN(undelivered_after_stop_accepted);
    RUN(stop_before_send_explains_nothing);
    RUN(answered_request_needs_its_receiver);
    RUN(channels);
    RUN(message_on_the_wrong_channel);
    RUN(open_names_another_channel);
    RUN(channel_to_the_embedding_program);
    RUN(malformed_link);
    RUN(first_bad_is_the_earliest_event);
    RUN(bad_actor_id_refused);
    return check_summary();
}
