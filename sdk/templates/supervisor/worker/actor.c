/* worker: does jobs for {{name}}, its supervisor, and crashes when asked
 * to. Its state counts the jobs it has done: {"jobs":N}.
 *
 *   {"op":"work"}    jobs += 1 -> {"jobs":N}
 *   {"op":"crash"}   traps (wasm `unreachable`), on purpose
 *
 * A trap stops the worker; the runtime tells its supervisor and restarts it
 * from its last state (restart_from = "last-state" in ../manifest.toml), so
 * the jobs done before the crash are still counted. */
#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16

static theater_err read_jobs(const theater_state *state, int64_t *jobs)
{
    if (!state->some)
        return theater_error("the state is empty; expected {\"jobs\":N}");
    theater_json_status st = theater_json_get_int(state->bytes.ptr, state->bytes.len, "jobs", jobs);
    if (st != THEATER_JSON_OK)
        return theater_json_error("jobs", "an integer", st);
    return THEATER_OK;
}

static theater_bytes jobs_json(int64_t jobs)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "jobs", jobs);
    return theater_json_end(&w);
}

static bool op_is(const char *op, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(op, name, len) == 0;
}

static theater_err work(theater_state *state, theater_bytes *response)
{
    int64_t jobs;
    theater_err e = read_jobs(state, &jobs);
    if (theater_failed(e))
        return e;
    if (jobs == INT64_MAX)
        return theater_error("too many jobs to count");
    theater_state_set(state, jobs_json(jobs + 1));
    if (response)
        *response = jobs_json(jobs + 1);
    return THEATER_OK;
}

/* One message; response is NULL for a send. */
static theater_err handle(theater_state *state, const theater_bytes *msg, theater_bytes *response)
{
    char op[OP_MAX];
    size_t len;
    theater_json_status st = theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &len);
    if (st == THEATER_JSON_TOO_LONG)
        return theater_error("unknown op (expected work or crash)");
    if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    if (op_is(op, len, "work"))
        return work(state, response);
    if (op_is(op, len, "crash")) {
        theater_log("crashing, as asked");
        __builtin_trap(); /* the runtime records the trap and stops this actor */
    }
    return theater_error_detail("unknown op (expected work or crash): ", op, len);
}

static theater_err on_init(theater_state *state, theater_string actor_id)
{
    int64_t jobs;
    (void)actor_id;
    if (!state->some)
        theater_state_set(state, jobs_json(0));
    return read_jobs(state, &jobs);
}

static theater_err on_send(theater_state *state, theater_bytes *msg)
{
    return handle(state, msg, NULL);
}

static theater_err on_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    return handle(state, msg, response);
}

THEATER_EXPORT_INIT(on_init)
THEATER_EXPORT_HANDLE_SEND(on_send)
THEATER_EXPORT_HANDLE_REQUEST(on_request)
THEATER_EXPORT_NO_CHANNELS()
