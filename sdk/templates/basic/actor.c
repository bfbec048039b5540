/* {{name}}: a Theater actor that counts. Its state is {"count":N}.
 *
 *   {"op":"inc"}          count += 1       (a send or a request)
 *   {"op":"add","n":K}    count += K       (a send or a request)
 *   {"op":"get"}          nothing changes  (a request)
 *
 * A request is answered with the count after its op: {"count":N}. Anything
 * else is answered with an error that says what was wrong, and the state
 * stays as it was: the runtime keeps the previous state whenever a handler
 * returns an error.
 *
 * The runtime calls the functions named in the THEATER_EXPORT_ macros at
 * the bottom, one message at a time, and records every call, every host
 * call and every state in the actor's chain. The SDK's reference is
 * sdk/c/README.md (and sdk/c/include/theater/actor.h). */
#include "theater/actor.h"
#include "theater/json.h"

/* Longer ops are not ours: the buffer only has to tell ours apart. */
#define OP_MAX 16

/* The count the state holds. */
static theater_err read_count(const theater_state *state, int64_t *count)
{
    if (!state->some)
        return theater_error("the state is empty; expected {\"count\":N}");
    theater_json_status st =
        theater_json_get_int(state->bytes.ptr, state->bytes.len, "count", count);
    if (st != THEATER_JSON_OK)
        return theater_json_error("count", "an integer", st);
    return THEATER_OK;
}

/* Makes {"count":N} the next state (theater_state_set frees the old one). */
static void write_count(theater_state *state, int64_t count)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "count", count);
    theater_state_set(state, theater_json_end(&w));
}

static bool op_is(const char *op, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(op, name, len) == 0;
}

/* How much the message adds to the count: 1 for inc, K for add, 0 for get. */
static theater_err read_delta(const theater_bytes *msg, int64_t *delta)
{
    char op[OP_MAX];
    size_t len;
    theater_json_status st = theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &len);
    if (st == THEATER_JSON_TOO_LONG)
        return theater_error("unknown op (expected inc, add or get)");
    if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    *delta = 0;
    if (op_is(op, len, "inc")) {
        *delta = 1;
    } else if (op_is(op, len, "add")) {
        st = theater_json_get_int(msg->ptr, msg->len, "n", delta);
        if (st != THEATER_JSON_OK)
            return theater_json_error("n", "an integer", st);
    } else if (!op_is(op, len, "get")) {
        return theater_error_detail("unknown op (expected inc, add or get): ", op, len);
    }
    return THEATER_OK;
}

/* Applies one message to the state; *count is the count afterwards. */
static theater_err apply(theater_state *state, const theater_bytes *msg, int64_t *count)
{
    int64_t delta;
    theater_err e = read_delta(msg, &delta);
    if (theater_failed(e))
        return e;
    e = read_count(state, count);
    if (theater_failed(e))
        return e;
    if (__builtin_add_overflow(*count, delta, count))
        return theater_error("the count would overflow a 64-bit integer");
    if (delta != 0)
        write_count(state, *count);
    return THEATER_OK;
}

/* Once, when the actor starts: the state is the manifest's initial_state
 * (or none). What it logs goes to stderr and into the chain. */
static theater_err on_init(theater_state *state, theater_string actor_id)
{
    int64_t count = 0;
    (void)actor_id;
    if (!state->some)
        write_count(state, 0);
    theater_err e = read_count(state, &count);
    if (theater_failed(e))
        return e;
    theater_buf line = {0};
    theater_buf_append_cstr(&line, "{{name}} ready, count = ");
    theater_buf_append_i64(&line, count);
    theater_log_n((const char *)line.ptr, line.len);
    theater_buf_free(&line);
    return THEATER_OK;
}

/* A one-way message (`theater run --send`, `theater send`). */
static theater_err on_send(theater_state *state, theater_bytes *msg)
{
    int64_t count;
    return apply(state, msg, &count);
}

/* A request (`theater run --request`, `theater request`): *response is the
 * answer, bytes this function allocates and the SDK frees. */
static theater_err on_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    int64_t count;
    theater_err e = apply(state, msg, &count);
    if (theater_failed(e))
        return e;
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "count", count);
    *response = theater_json_end(&w);
    return THEATER_OK;
}

THEATER_EXPORT_INIT(on_init)
THEATER_EXPORT_HANDLE_SEND(on_send)
THEATER_EXPORT_HANDLE_REQUEST(on_request)
/* No channels: refuse them. Exporting the whole message interface also
 * lets `theater build` make a Component Model component of the actor. */
THEATER_EXPORT_NO_CHANNELS()
