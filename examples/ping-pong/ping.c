/* ping: starts pong as its child ([[children]] in ping.toml). A request
 * {"rounds":N} makes it request {"ping":i} of pong N times, checking each
 * answer, then send pong one note; it answers {"rounds":N} and keeps the
 * total in its state {"rounds":R}. */
#include "theater/actor.h"
#include "theater/json.h"

static theater_err find_pong(theater_string *id)
{
    theater_string_list children = theater_list_children();
    if (children.len == 0) {
        theater_string_list_free(&children);
        return theater_error("pong is not running");
    }
    *id = children.items[0];
    children.items[0] = (theater_string){NULL, 0};
    theater_string_list_free(&children);
    return THEATER_OK;
}

static theater_err play(const theater_string *pong, int64_t round)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "ping", round);
    theater_bytes msg = theater_json_end(&w), answer;
    theater_err e = theater_request(pong->ptr, pong->len, msg.ptr, msg.len, &answer);
    theater_bytes_free(&msg);
    if (theater_failed(e))
        return e;
    int64_t got = -1;
    theater_json_get_int(answer.ptr, answer.len, "pong", &got);
    theater_bytes_free(&answer);
    return got == round ? THEATER_OK : theater_error("pong answered the wrong round");
}

static theater_err ping_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    theater_state_set(state, theater_bytes_from_cstr("{\"rounds\":0}"));
    return THEATER_OK;
}

static theater_err ping_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    int64_t rounds, total = 0;
    theater_json_status st = theater_json_get_int(msg->ptr, msg->len, "rounds", &rounds);
    if (st != THEATER_JSON_OK)
        return theater_json_error("rounds", "an integer", st);
    if (rounds < 0 || rounds > 100000)
        return theater_error("'rounds' must be between 0 and 100000");
    theater_string pong;
    theater_err e = find_pong(&pong);
    for (int64_t i = 1; !theater_failed(e) && i <= rounds; i++)
        e = play(&pong, i);
    if (!theater_failed(e))
        e = theater_send(pong.ptr, pong.len, "{\"note\":\"done\"}", 15);
    theater_string_free(&pong);
    if (theater_failed(e))
        return e;
    if (state->some)
        theater_json_get_int(state->bytes.ptr, state->bytes.len, "rounds", &total);
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "rounds", total + rounds);
    theater_state_set(state, theater_json_end(&w));
    theater_json_begin(&w);
    theater_json_add_int(&w, "rounds", rounds);
    *response = theater_json_end(&w);
    return THEATER_OK;
}

static theater_err ping_send(theater_state *state, theater_bytes *msg)
{
    (void)state;
    (void)msg;
    return theater_error("ping takes requests: {\"rounds\":N}");
}

THEATER_EXPORT_INIT(ping_init)
THEATER_EXPORT_HANDLE_SEND(ping_send)
THEATER_EXPORT_HANDLE_REQUEST(ping_request)
THEATER_EXPORT_NO_CHANNELS()
