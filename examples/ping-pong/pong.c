/* pong: answers {"ping":N} with {"pong":N}, and counts the one-way
 * messages it gets. Its state is {"pings":P,"notes":K}. */
#include "theater/actor.h"
#include "theater/json.h"

static void write_state(theater_state *state, int64_t pings, int64_t notes)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "pings", pings);
    theater_json_add_int(&w, "notes", notes);
    theater_state_set(state, theater_json_end(&w));
}

static void read_state(const theater_state *state, int64_t *pings, int64_t *notes)
{
    *pings = *notes = 0;
    if (!state->some)
        return;
    theater_json_get_int(state->bytes.ptr, state->bytes.len, "pings", pings);
    theater_json_get_int(state->bytes.ptr, state->bytes.len, "notes", notes);
}

static theater_err pong_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    write_state(state, 0, 0);
    return THEATER_OK;
}

static theater_err pong_send(theater_state *state, theater_bytes *msg)
{
    (void)msg;
    int64_t pings, notes;
    read_state(state, &pings, &notes);
    write_state(state, pings, notes + 1);
    return THEATER_OK;
}

static theater_err pong_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    int64_t n;
    theater_json_status st = theater_json_get_int(msg->ptr, msg->len, "ping", &n);
    if (st != THEATER_JSON_OK)
        return theater_json_error("ping", "an integer", st);
    int64_t pings, notes;
    read_state(state, &pings, &notes);
    write_state(state, pings + 1, notes);
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "pong", n);
    *response = theater_json_end(&w);
    return THEATER_OK;
}

THEATER_EXPORT_INIT(pong_init)
THEATER_EXPORT_HANDLE_SEND(pong_send)
THEATER_EXPORT_HANDLE_REQUEST(pong_request)
THEATER_EXPORT_NO_CHANNELS()
