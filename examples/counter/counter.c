/* counter: the smallest useful actor. Its state is {"count":N}.
 *
 *   send    {"op":"inc"}          count += 1
 *   send    {"op":"add","n":K}    count += K
 *   request {"op":"get"}          answers {"count":N}
 *           (a request may also inc or add; it answers the new count)
 *
 * Anything else is answered with an error that names the problem; the
 * counter never traps on bad input. */
#include "theater/actor.h"
#include "theater/json.h"

/* Longer ops are not ours; the buffer only needs to tell ours apart. */
#define OP_MAX 16

static theater_err read_count(const theater_state *state, int64_t *count)
{
    if (!state->some)
        return theater_error("the state is empty; expected {\"count\":N}");
    theater_json_status st =
        theater_json_get_int(state->bytes.ptr, state->bytes.len, "count", count);
    if (st != THEATER_JSON_OK) {
        theater_err e = theater_json_error("count", "an integer", st);
        theater_err wrapped = theater_error_detail("bad state: ", e.msg, e.len);
        theater_err_free(&e);
        return wrapped;
    }
    return THEATER_OK;
}

static void write_count(theater_state *state, int64_t count)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "count", count);
    theater_state_set(state, theater_json_end(&w));
}

static bool is_op(const char *op, size_t op_len, const char *name)
{
    return op_len == strlen(name) && memcmp(op, name, op_len) == 0;
}

/* The change an op asks for: +1 for inc, +n for add, 0 for get. */
static theater_err read_delta(const theater_bytes *msg, bool is_request, int64_t *delta)
{
    char op[OP_MAX];
    size_t op_len;
    theater_json_status st =
        theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &op_len);

    if (st == THEATER_JSON_TOO_LONG)
        return theater_error_detail("unknown op: ", op, sizeof op - 1);
    if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    *delta = 0;
    if (is_op(op, op_len, "inc")) {
        *delta = 1;
    } else if (is_op(op, op_len, "add")) {
        st = theater_json_get_int(msg->ptr, msg->len, "n", delta);
        if (st != THEATER_JSON_OK)
            return theater_json_error("n", "an integer", st);
    } else if (is_op(op, op_len, "get")) {
        if (!is_request)
            return theater_error("'get' answers with the count: send it as a request");
    } else {
        return theater_error_detail("unknown op: ", op, op_len);
    }
    return THEATER_OK;
}

/* Applies the message to the state; *count is the count afterwards. */
static theater_err apply(theater_state *state, const theater_bytes *msg, bool is_request,
                         int64_t *count)
{
    int64_t delta = 0;
    theater_err e = read_delta(msg, is_request, &delta);
    if (theater_failed(e))
        return e;
    e = read_count(state, count);
    if (theater_failed(e))
        return e;
    if (__builtin_add_overflow(*count, delta, count))
        return theater_error("the count would overflow a 64-bit integer");
    if (delta)
        write_count(state, *count);
    return THEATER_OK;
}

static theater_err counter_init(theater_state *state, theater_string actor_id)
{
    int64_t count = 0;
    (void)actor_id;
    if (state->some) {
        theater_err e = read_count(state, &count);
        if (theater_failed(e))
            return e;
    } else {
        write_count(state, 0);
    }

    theater_buf line = {0};
    theater_buf_append_cstr(&line, "counter ready, count = ");
    theater_buf_append_i64(&line, count);
    theater_log_n((const char *)line.ptr, line.len);
    theater_buf_free(&line);
    return THEATER_OK;
}

static theater_err counter_send(theater_state *state, theater_bytes *msg)
{
    int64_t count;
    return apply(state, msg, false, &count);
}

static theater_err counter_request(theater_state *state, theater_bytes *msg,
                                   theater_bytes *response)
{
    int64_t count;
    theater_err e = apply(state, msg, true, &count);
    if (theater_failed(e))
        return e;
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "count", count);
    *response = theater_json_end(&w);
    return THEATER_OK;
}

THEATER_EXPORT_INIT(counter_init)
THEATER_EXPORT_HANDLE_SEND(counter_send)
THEATER_EXPORT_HANDLE_REQUEST(counter_request)
THEATER_EXPORT_NO_CHANNELS()
