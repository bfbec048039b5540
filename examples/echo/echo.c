/* echo: answers every request with its message, byte for byte, and accepts
 * one-way messages without doing anything. It keeps no state.
 *
 * It shows the SDK's ownership rules at their simplest: the request's bytes
 * become the response without a copy (theater_bytes_take). */
#include "theater/actor.h"

static theater_err echo_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    theater_state_clear(state);
    return THEATER_OK;
}

static theater_err echo_send(theater_state *state, theater_bytes *msg)
{
    (void)state;
    (void)msg;
    return THEATER_OK;
}

static theater_err echo_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    (void)state;
    *response = theater_bytes_take(msg);
    return THEATER_OK;
}

THEATER_EXPORT_INIT(echo_init)
THEATER_EXPORT_HANDLE_SEND(echo_send)
THEATER_EXPORT_HANDLE_REQUEST(echo_request)
THEATER_EXPORT_NO_CHANNELS()
