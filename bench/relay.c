/* relay: a benchmark actor for messages between actors. Its state is the
 * id of the next actor of a ring (32 bytes, none until it is linked).
 * One-way messages, binary so that the benchmark measures the runtime and
 * not a JSON parser:
 *
 *   'L' + 32-byte id          link: the id becomes the state
 *   'T' + u32 hops + padding  a token: handed on to the next actor with one
 *                             hop less, until no hops are left
 *
 * A token it cannot hand on (not linked, mailbox full) fails the call, so
 * the benchmark sees it in the actor's error count. */
#include "theater/actor.h"

#define ID_LEN 32

static theater_err relay_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    theater_state_clear(state);
    return THEATER_OK;
}

static theater_err link_to(theater_state *state, theater_bytes *msg)
{
    if (msg->len != 1 + ID_LEN)
        return theater_error("a link is 'L' and a 32-digit actor id");
    theater_state_set(state, theater_bytes_copy(msg->ptr + 1, ID_LEN));
    return THEATER_OK;
}

static theater_err hand_on(const theater_state *state, theater_bytes *msg)
{
    uint32_t hops;
    if (msg->len < 1 + sizeof hops)
        return theater_error("a token is 'T' and a 32-bit hop count");
    memcpy(&hops, msg->ptr + 1, sizeof hops);
    if (hops == 0)
        return THEATER_OK; /* the end of its journey */
    if (!state->some || state->bytes.len != ID_LEN)
        return theater_error("got a token before being linked");
    hops--;
    memcpy(msg->ptr + 1, &hops, sizeof hops); /* the message is ours to change */
    return theater_send((const char *)state->bytes.ptr, ID_LEN, msg->ptr, msg->len);
}

static theater_err relay_send(theater_state *state, theater_bytes *msg)
{
    if (msg->len > 0 && msg->ptr[0] == 'L')
        return link_to(state, msg);
    if (msg->len > 0 && msg->ptr[0] == 'T')
        return hand_on(state, msg);
    return theater_error("expected a link ('L') or a token ('T')");
}

THEATER_EXPORT_INIT(relay_init)
THEATER_EXPORT_HANDLE_SEND(relay_send)
THEATER_EXPORT_NO_CHANNELS()
