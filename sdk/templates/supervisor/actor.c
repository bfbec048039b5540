/* {{name}}: a Theater supervisor. The runtime starts its worker (worker/,
 * the [[children]] entry in manifest.toml) together with it, and restarts
 * the worker when it fails, as [supervisor] in manifest.toml says: let it
 * crash. This actor passes jobs on to the worker, and hears of every
 * failure, exit and outside stop of its children through the
 * handle-child-* exports, which count them in its state:
 *
 *   {"failures":F,"exits":X,"stops":S}
 *
 * Messages (each works as a send or a request; a request is answered):
 *
 *   {"op":"work"}    the worker does a job     -> the worker's answer, {"jobs":N}
 *   {"op":"crash"}   asks the worker to crash  -> {"crashed":"<what stopped it>"}
 *   {"op":"status"}  what this actor heard     -> {"children":C,"failures":F,"exits":X,"stops":S}
 *
 * The SDK's reference is sdk/c/README.md (and sdk/c/include/theater/actor.h). */
#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16

/* What happened to a child, as counted in the state. */
enum child_event { CHILD_FAILED, CHILD_EXITED, CHILD_STOPPED, CHILD_EVENT_KINDS };

static const char *const event_keys[CHILD_EVENT_KINDS] = {"failures", "exits", "stops"};

typedef struct heard {
    int64_t count[CHILD_EVENT_KINDS];
} heard;

static theater_err read_heard(const theater_state *state, heard *h)
{
    if (!state->some)
        return theater_error("the state is empty; expected {\"failures\":F,...}");
    for (int i = 0; i < CHILD_EVENT_KINDS; i++) {
        theater_json_status st =
            theater_json_get_int(state->bytes.ptr, state->bytes.len, event_keys[i], &h->count[i]);
        if (st != THEATER_JSON_OK)
            return theater_json_error(event_keys[i], "an integer", st);
    }
    return THEATER_OK;
}

/* {"failures":F,"exits":X,"stops":S}, after "children" when given one. */
static theater_bytes heard_json(const heard *h, const int64_t *children)
{
    theater_json_writer w;
    theater_json_begin(&w);
    if (children)
        theater_json_add_int(&w, "children", *children);
    for (int i = 0; i < CHILD_EVENT_KINDS; i++)
        theater_json_add_int(&w, event_keys[i], h->count[i]);
    return theater_json_end(&w);
}

/* ---- What the runtime tells a supervisor ---------------------------------------------- */

/* Counts one more event of this kind in the state, and logs it (log lines
 * are in the chain too): "child 1a2b3c4d failed: trap: ...". */
static theater_err heard_of(theater_state *state, enum child_event kind, theater_string child_id,
                            const char *what, const char *detail, size_t detail_len)
{
    heard h;
    theater_err e = read_heard(state, &h);
    if (theater_failed(e))
        return e;
    h.count[kind]++;
    theater_state_set(state, heard_json(&h, NULL));

    theater_buf line = {0};
    theater_buf_append_cstr(&line, "child ");
    theater_buf_append(&line, child_id.ptr, child_id.len < 8 ? child_id.len : 8);
    theater_buf_append_cstr(&line, what);
    theater_buf_append(&line, detail, detail_len);
    theater_log_n((const char *)line.ptr, line.len);
    theater_buf_free(&line);
    return THEATER_OK;
}

/* The child trapped, ran out of fuel, time or memory, or returned an error.
 * The runtime has stopped it and, by [supervisor], restarts it. */
static theater_err on_child_error(theater_state *state, theater_string child_id,
                                  theater_actor_error error)
{
    theater_buf detail = {0};
    theater_buf_append_cstr(&detail, theater_actor_error_kind_name(error.kind));
    theater_buf_append_cstr(&detail, ": ");
    theater_buf_append(&detail, error.message.ptr, error.message.len);
    theater_err e =
        heard_of(state, CHILD_FAILED, child_id, " failed: ", (const char *)detail.ptr, detail.len);
    theater_buf_free(&detail);
    return e;
}

/* The child stopped itself (theater_shutdown); `data` is what it passed. */
static theater_err on_child_exit(theater_state *state, theater_string child_id,
                                 const theater_bytes *data)
{
    (void)data;
    return heard_of(state, CHILD_EXITED, child_id, " exited", "", 0);
}

/* Someone stopped the child from outside (`theater stop`). */
static theater_err on_child_external_stop(theater_state *state, theater_string child_id)
{
    return heard_of(state, CHILD_STOPPED, child_id, " was stopped from outside", "", 0);
}

/* ---- Messages ------------------------------------------------------------------------- */

/* The worker's id (an owned copy): the first, and only, child. */
static theater_err find_worker(theater_string *id)
{
    theater_string_list children = theater_list_children();
    theater_err e = THEATER_OK;
    if (children.len == 0) {
        e = theater_error("no worker is running");
    } else {
        theater_bytes copy = theater_bytes_copy(children.items[0].ptr, children.items[0].len);
        *id = (theater_string){(char *)copy.ptr, copy.len};
    }
    theater_string_list_free(&children);
    return e;
}

/* Passes the job on; the worker's answer is ours (response NULL: a send). */
static theater_err work(const theater_bytes *msg, theater_bytes *response)
{
    theater_string id;
    theater_err e = find_worker(&id);
    if (theater_failed(e))
        return e;
    theater_bytes answer;
    e = theater_request(id.ptr, id.len, msg->ptr, msg->len, &answer);
    theater_string_free(&id);
    if (response && !theater_failed(e))
        *response = answer;
    else
        theater_bytes_free(&answer);
    return e;
}

/* A request to a worker that traps fails with what stopped it. The runtime
 * then tells this actor (on_child_error) and restarts the worker. */
static theater_err crash(theater_bytes *response)
{
    static const char msg[] = "{\"op\":\"crash\"}";
    theater_string id;
    theater_err e = find_worker(&id);
    if (theater_failed(e))
        return e;
    theater_bytes answer;
    theater_err outcome = theater_request(id.ptr, id.len, msg, sizeof msg - 1, &answer);
    theater_string_free(&id);
    theater_bytes_free(&answer);
    if (!theater_failed(outcome))
        return theater_error("the worker did not crash");
    if (response) {
        theater_json_writer w;
        theater_json_begin(&w);
        theater_json_add_string(&w, "crashed", outcome.msg, outcome.len);
        *response = theater_json_end(&w);
    }
    theater_err_free(&outcome);
    return THEATER_OK;
}

static theater_err status(const theater_state *state, theater_bytes *response)
{
    heard h;
    theater_err e = read_heard(state, &h);
    if (theater_failed(e) || !response)
        return e;
    theater_string_list children = theater_list_children();
    int64_t n = (int64_t)children.len;
    theater_string_list_free(&children);
    *response = heard_json(&h, &n);
    return THEATER_OK;
}

static bool op_is(const char *op, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(op, name, len) == 0;
}

/* One message; response is NULL for a send. */
static theater_err handle(theater_state *state, const theater_bytes *msg, theater_bytes *response)
{
    char op[OP_MAX];
    size_t len;
    theater_json_status st = theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &len);
    if (st == THEATER_JSON_TOO_LONG)
        return theater_error("unknown op (expected work, crash or status)");
    if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    if (op_is(op, len, "work"))
        return work(msg, response);
    if (op_is(op, len, "crash"))
        return crash(response);
    if (op_is(op, len, "status"))
        return status(state, response);
    return theater_error_detail("unknown op (expected work, crash or status): ", op, len);
}

static theater_err on_init(theater_state *state, theater_string actor_id)
{
    heard h = {{0}};
    (void)actor_id;
    if (!state->some)
        theater_state_set(state, heard_json(&h, NULL));
    return read_heard(state, &h);
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
THEATER_EXPORT_HANDLE_CHILD_ERROR(on_child_error)
THEATER_EXPORT_HANDLE_CHILD_EXIT(on_child_exit)
THEATER_EXPORT_HANDLE_CHILD_EXTERNAL_STOP(on_child_external_stop)
