/* keeper: a benchmark actor that keeps whatever state it is given and
 * ignores its messages, so that a benchmark measures the runtime's cost of
 * moving, hashing and recording the state and message, not the actor's. */
#include "theater/actor.h"

static theater_err keeper_init(theater_state *state, theater_string actor_id)
{
    (void)state;
    (void)actor_id;
    return THEATER_OK;
}

static theater_err keeper_send(theater_state *state, theater_bytes *msg)
{
    (void)state;
    (void)msg;
    return THEATER_OK;
}

THEATER_EXPORT_INIT(keeper_init)
THEATER_EXPORT_HANDLE_SEND(keeper_send)
