/* ticker: an actor that acts on its own, on a timer. Every `every_ms` it
 * ticks: it notes the time (timing.now) and rolls a die (random-u64), then
 * sets its next timer, until it has ticked `limit` times (0: forever).
 * Its state is
 *
 *   {"every_ms":E,"limit":L,"ticks":N,"last_ms":T,"roll":R,"timer":ID}
 *
 *   request {"op":"get"}                 answers the state
 *   request {"op":"stop"}                cancels the pending timer
 *   request {"op":"start"[,"every_ms":E]}  (re)arms it
 *   request {"op":"roll"}                answers {"roll":R,"now_ms":T} at once
 *
 * Time and the dice reach the actor only through recorded host calls, and
 * each tick is a recorded handle-timer call: `theater replay` reproduces
 * every tick, roll and timestamp exactly. */
#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16
#define DEFAULT_EVERY_MS 1000

typedef struct ticker {
    int64_t every_ms, limit, ticks, last_ms, roll;
    int64_t timer; /* the pending timer's id; 0 when none */
} ticker;

/* Integer fields of the state; a missing one keeps its default. */
static theater_err read_field(const theater_bytes *json, const char *key, int64_t *value)
{
    theater_json_status st = theater_json_get_int(json->ptr, json->len, key, value);
    if (st == THEATER_JSON_OK || st == THEATER_JSON_MISSING)
        return THEATER_OK;
    return theater_json_error(key, "an integer", st);
}

static theater_err read_ticker(const theater_state *state, ticker *t)
{
    static const char *keys[] = {"every_ms", "limit", "ticks", "last_ms", "roll", "timer"};
    int64_t *fields[] = {&t->every_ms, &t->limit, &t->ticks, &t->last_ms, &t->roll, &t->timer};
    *t = (ticker){.every_ms = DEFAULT_EVERY_MS};
    if (!state->some)
        return THEATER_OK;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        theater_err e = read_field(&state->bytes, keys[i], fields[i]);
        if (theater_failed(e))
            return e;
    }
    if (t->every_ms < 0 || t->limit < 0)
        return theater_error("every_ms and limit must not be negative");
    return THEATER_OK;
}

static theater_bytes ticker_json(const ticker *t)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "every_ms", t->every_ms);
    theater_json_add_int(&w, "limit", t->limit);
    theater_json_add_int(&w, "ticks", t->ticks);
    theater_json_add_int(&w, "last_ms", t->last_ms);
    theater_json_add_int(&w, "roll", t->roll);
    theater_json_add_int(&w, "timer", t->timer);
    return theater_json_end(&w);
}

static void write_ticker(theater_state *state, const ticker *t)
{
    theater_state_set(state, ticker_json(t));
}

static int64_t roll_die(void)
{
    return (int64_t)(theater_random_u64() % 6) + 1;
}

/* Sets the next timer unless the ticker is done. */
static theater_err arm(ticker *t)
{
    uint64_t id = 0;
    t->timer = 0;
    if (t->limit && t->ticks >= t->limit)
        return THEATER_OK;
    theater_err e = theater_set_timer((uint64_t)t->every_ms, &id);
    if (theater_failed(e))
        return e;
    t->timer = (int64_t)id;
    return THEATER_OK;
}

static void log_tick(const ticker *t)
{
    theater_buf line = {0};
    theater_buf_append_cstr(&line, "tick ");
    theater_buf_append_i64(&line, t->ticks);
    theater_buf_append_cstr(&line, " at ");
    theater_buf_append_i64(&line, t->last_ms);
    theater_buf_append_cstr(&line, " ms: rolled ");
    theater_buf_append_i64(&line, t->roll);
    theater_log_n((const char *)line.ptr, line.len);
    theater_buf_free(&line);
}

static theater_err on_timer(theater_state *state, uint64_t timer_id)
{
    ticker t;
    theater_err e = read_ticker(state, &t);
    if (theater_failed(e))
        return e;
    if ((int64_t)timer_id != t.timer)
        return THEATER_OK; /* one we stopped caring about: nothing to do */
    t.ticks++;
    t.last_ms = (int64_t)theater_now();
    t.roll = roll_die();
    log_tick(&t);
    e = arm(&t);
    if (theater_failed(e))
        return e;
    write_ticker(state, &t);
    return THEATER_OK;
}

static bool is_op(const char *op, size_t op_len, const char *name)
{
    return op_len == strlen(name) && memcmp(op, name, op_len) == 0;
}

static theater_err stop(ticker *t)
{
    if (t->timer) {
        theater_err e = theater_cancel_timer((uint64_t)t->timer);
        /* It may have come due already; its call will find timer 0. */
        theater_err_free(&e);
    }
    t->timer = 0;
    return THEATER_OK;
}

static theater_err start(ticker *t, const theater_bytes *msg)
{
    theater_err e = read_field(msg, "every_ms", &t->every_ms);
    if (theater_failed(e))
        return e;
    if (t->every_ms < 0)
        return theater_error("every_ms must not be negative");
    stop(t);
    t->ticks = 0;
    return arm(t);
}

static theater_bytes roll_now(void)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "roll", roll_die());
    theater_json_add_int(&w, "now_ms", (int64_t)theater_now());
    return theater_json_end(&w);
}

static theater_err on_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    char op[OP_MAX];
    size_t op_len;
    ticker t;
    theater_json_status st =
        theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &op_len);
    if (st == THEATER_JSON_TOO_LONG)
        return theater_error_detail("unknown op: ", op, sizeof op - 1);
    if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    theater_err e = read_ticker(state, &t);
    if (theater_failed(e))
        return e;
    if (is_op(op, op_len, "roll")) {
        *response = roll_now();
        return THEATER_OK;
    }
    if (is_op(op, op_len, "stop"))
        e = stop(&t);
    else if (is_op(op, op_len, "start"))
        e = start(&t, msg);
    else if (!is_op(op, op_len, "get"))
        return theater_error_detail("unknown op: ", op, op_len);
    if (theater_failed(e))
        return e;
    write_ticker(state, &t);
    *response = ticker_json(&t);
    return THEATER_OK;
}

/* Starts ticking at once, with the manifest's every_ms and limit. */
static theater_err on_init(theater_state *state, theater_string actor_id)
{
    ticker t;
    (void)actor_id;
    theater_err e = read_ticker(state, &t);
    if (!theater_failed(e))
        e = arm(&t);
    if (theater_failed(e))
        return e;
    write_ticker(state, &t);
    theater_log("ticker started");
    return THEATER_OK;
}

THEATER_EXPORT_INIT(on_init)
THEATER_EXPORT_HANDLE_REQUEST(on_request)
THEATER_EXPORT_HANDLE_TIMER(on_timer)
