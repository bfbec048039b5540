/* driver: a benchmark actor for request/response between actors. A
 * request of a 32-digit actor id followed by a u32 count N makes it request
 * that actor N times, one after the other, with a 100-byte message, and
 * check that each answer is the message echoed back (examples/echo does
 * that). It answers with N. It keeps no state. */
#include "theater/actor.h"

#define ID_LEN 32
#define PAYLOAD 100

static theater_err driver_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    theater_state_clear(state);
    return THEATER_OK;
}

static theater_err one_round(const char *target, const uint8_t *payload)
{
    theater_bytes answer;
    theater_err e = theater_request(target, ID_LEN, payload, PAYLOAD, &answer);
    if (theater_failed(e))
        return e;
    bool echoed = answer.len == PAYLOAD && memcmp(answer.ptr, payload, PAYLOAD) == 0;
    theater_bytes_free(&answer);
    return echoed ? THEATER_OK : theater_error("the answer is not the request echoed");
}

static theater_err driver_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    uint32_t rounds;
    (void)state;
    if (msg->len != ID_LEN + sizeof rounds)
        return theater_error("a drive is a 32-digit actor id and a u32 count");
    memcpy(&rounds, msg->ptr + ID_LEN, sizeof rounds);
    uint8_t payload[PAYLOAD];
    for (size_t i = 0; i < PAYLOAD; i++)
        payload[i] = (uint8_t)('a' + i % 26);
    theater_err e = THEATER_OK;
    for (uint32_t i = 0; i < rounds && !theater_failed(e); i++)
        e = one_round((const char *)msg->ptr, payload);
    if (theater_failed(e))
        return e;
    *response = theater_bytes_copy(&rounds, sizeof rounds);
    return THEATER_OK;
}

THEATER_EXPORT_INIT(driver_init)
THEATER_EXPORT_HANDLE_REQUEST(driver_request)
THEATER_EXPORT_NO_CHANNELS()
