/* worker: does small jobs for its supervisor; a flaky one crashes when
 * asked to. Its state names it and counts its jobs:
 *
 *   {"name":"flaky","flaky":true,"jobs":J,"total":T}
 *
 * (the name and "flaky" come from the supervisor's [[children]] entry).
 * Every op works as a send or a request:
 *
 *   {"op":"work","n":K}  adds 1 + 2 + ... + K (0 <= K <= 1,000,000) to the
 *                        total -> {"worker":NAME,"result":R,"jobs":J,"total":T}
 *   {"op":"crash"}       a flaky worker traps (wasm `unreachable`); a steady
 *                        one answers an error instead
 *
 * A trap stops the worker and its supervisor restarts it from its last
 * state: the jobs done before the crash are still counted. */
#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16
#define NAME_MAX 32
#define WORK_MAX 1000000

typedef struct worker {
    char name[NAME_MAX];
    bool flaky;
    int64_t jobs, total;
} worker;

static theater_err read_worker(const theater_state *state, worker *w)
{
    size_t len;
    *w = (worker){.name = "worker"};
    if (!state->some)
        return THEATER_OK;
    const void *s = state->bytes.ptr;
    size_t n = state->bytes.len;
    theater_json_status st = theater_json_check_object(s, n);
    if (st != THEATER_JSON_OK)
        return theater_json_error("state", "a JSON object", st);
    /* Each key is optional: a [[children]] entry gives only some of them. */
    st = theater_json_get_string(s, n, "name", w->name, sizeof w->name, &len);
    if (st != THEATER_JSON_OK && st != THEATER_JSON_MISSING)
        return theater_json_error("name", "a string of at most 31 bytes", st);
    if (st == THEATER_JSON_MISSING)
        memcpy(w->name, "worker", sizeof "worker");
    st = theater_json_get_bool(s, n, "flaky", &w->flaky);
    if (st != THEATER_JSON_OK && st != THEATER_JSON_MISSING)
        return theater_json_error("flaky", "a boolean", st);
    st = theater_json_get_int(s, n, "jobs", &w->jobs);
    if (st != THEATER_JSON_OK && st != THEATER_JSON_MISSING)
        return theater_json_error("jobs", "an integer", st);
    st = theater_json_get_int(s, n, "total", &w->total);
    if (st != THEATER_JSON_OK && st != THEATER_JSON_MISSING)
        return theater_json_error("total", "an integer", st);
    return THEATER_OK;
}

static void write_worker(theater_state *state, const worker *w)
{
    theater_json_writer j;
    theater_json_begin(&j);
    theater_json_add_cstr(&j, "name", w->name);
    theater_json_add_bool(&j, "flaky", w->flaky);
    theater_json_add_int(&j, "jobs", w->jobs);
    theater_json_add_int(&j, "total", w->total);
    theater_state_set(state, theater_json_end(&j));
}

static theater_err work(theater_state *state, worker *w, const theater_bytes *msg,
                        theater_bytes *response)
{
    int64_t k;
    theater_json_status st = theater_json_get_int(msg->ptr, msg->len, "n", &k);
    if (st != THEATER_JSON_OK)
        return theater_json_error("n", "an integer", st);
    if (k < 0 || k > WORK_MAX)
        return theater_error("'n' must be between 0 and 1000000");
    int64_t result = k * (k + 1) / 2; /* at most 5 * 10^11: no overflow */
    if (__builtin_add_overflow(w->total, result, &w->total) || w->jobs == INT64_MAX)
        return theater_error("the total would overflow a 64-bit integer");
    w->jobs++;
    write_worker(state, w);
    if (response) {
        theater_json_writer j;
        theater_json_begin(&j);
        theater_json_add_cstr(&j, "worker", w->name);
        theater_json_add_int(&j, "result", result);
        theater_json_add_int(&j, "jobs", w->jobs);
        theater_json_add_int(&j, "total", w->total);
        *response = theater_json_end(&j);
    }
    return THEATER_OK;
}

static theater_err crash(const worker *w)
{
    if (!w->flaky)
        return theater_error("this worker is steady: only a flaky one crashes");
    theater_log("crashing, as asked");
    __builtin_trap();
}

/* One op; response is NULL for a send. */
static theater_err handle(theater_state *state, const theater_bytes *msg, theater_bytes *response)
{
    worker w;
    theater_err e = read_worker(state, &w);
    if (theater_failed(e))
        return e;
    char op[OP_MAX];
    size_t len;
    theater_json_status st = theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &len);
    if (st == THEATER_JSON_TOO_LONG)
        return theater_error_detail("unknown op: ", op, sizeof op - 1);
    if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    if (len == 4 && memcmp(op, "work", 4) == 0)
        return work(state, &w, msg, response);
    if (len == 5 && memcmp(op, "crash", 5) == 0)
        return crash(&w);
    return theater_error_detail("unknown op (expected work or crash): ", op, len);
}

static theater_err worker_init(theater_state *state, theater_string actor_id)
{
    worker w;
    (void)actor_id;
    theater_err e = read_worker(state, &w);
    if (theater_failed(e))
        return e;
    write_worker(state, &w); /* every key present from now on */
    return THEATER_OK;
}

static theater_err worker_send(theater_state *state, theater_bytes *msg)
{
    return handle(state, msg, NULL);
}

static theater_err worker_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    return handle(state, msg, response);
}

THEATER_EXPORT_INIT(worker_init)
THEATER_EXPORT_HANDLE_SEND(worker_send)
THEATER_EXPORT_HANDLE_REQUEST(worker_request)
THEATER_EXPORT_NO_CHANNELS()
