/* rt_super: the supervision tests' supervisor (tests/unit/test_supervision.c,
 * test_runtime.c). It calls the supervisor imports when a request asks, and
 * logs in its state, one line each, what it hears of its children:
 *   "error ID KIND MESSAGE"   handle-child-error
 *   "exit ID DATA" / "exit ID none"   handle-child-exit
 *   "external ID"             handle-child-external-stop
 * It never restarts anything itself: what happens to a child is the
 * runtime's policy ([supervisor] in the manifest), which the tests check.
 *
 * Requests ({"op":...} in JSON), answered "ok:..." or "err:WHY":
 *   spawn manifest [, state]   "ok:CHILD_ID"
 *   children                   "ok:ID,ID,..." in start order
 *   stop-child id, restart-child id      "ok:"
 *   child-state id             "ok:some:BYTES" or "ok:none"
 *   child-events id            "ok:N:TYPE,TYPE,..." (the child's chain)
 *   get                        the state itself
 *   crash                      traps */
#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16
#define ARG_MAX 1024 /* argument buffers are static: one call at a time */

static void log_line(theater_state *state, theater_buf *line)
{
    theater_buf all = {0};
    if (state->some)
        theater_buf_append(&all, state->bytes.ptr, state->bytes.len);
    theater_buf_append(&all, line->ptr, line->len);
    theater_buf_append_byte(&all, '\n');
    theater_buf_free(line);
    theater_state_set(state, theater_buf_finish(&all));
}

static theater_bytes tagged(const char *tag, const void *detail, size_t len)
{
    theater_buf b = {0};
    theater_buf_append_cstr(&b, tag);
    theater_buf_append(&b, detail, len);
    return theater_buf_finish(&b);
}

/* The answer for an import's outcome; takes e. */
static theater_bytes outcome(theater_err e, const void *ok, size_t ok_len)
{
    if (!theater_failed(e))
        return tagged("ok:", ok, ok_len);
    theater_bytes out = tagged("err:", e.msg, e.len);
    theater_err_free(&e);
    return out;
}

static bool is_op(const char *op, size_t op_len, const char *name)
{
    return op_len == strlen(name) && memcmp(op, name, op_len) == 0;
}

static theater_bytes spawn(const theater_bytes *msg, const char *path, size_t path_len)
{
    static char state[ARG_MAX];
    size_t state_len;
    bool has_state = theater_json_get_string(msg->ptr, msg->len, "state", state, sizeof state,
                                             &state_len) == THEATER_JSON_OK;
    theater_string child = {NULL, 0};
    theater_err e =
        theater_spawn(path, path_len, has_state ? state : NULL, has_state ? state_len : 0, &child);
    theater_bytes out = outcome(e, child.ptr, child.len);
    theater_string_free(&child);
    return out;
}

static theater_bytes children(void)
{
    theater_string_list list = theater_list_children();
    theater_buf ids = {0};
    for (size_t i = 0; i < list.len; i++) {
        if (i)
            theater_buf_append_byte(&ids, ',');
        theater_buf_append(&ids, list.items[i].ptr, list.items[i].len);
    }
    theater_string_list_free(&list);
    theater_bytes out = tagged("ok:", ids.ptr, ids.len);
    theater_buf_free(&ids);
    return out;
}

static theater_bytes child_state(const char *id, size_t len)
{
    theater_state st = {false, {NULL, 0}};
    theater_err e = theater_get_child_state(id, len, &st);
    theater_bytes out;
    if (theater_failed(e))
        out = outcome(e, NULL, 0);
    else if (!st.some)
        out = tagged("ok:", "none", 4);
    else {
        theater_buf b = {0};
        theater_buf_append_cstr(&b, "ok:some:");
        theater_buf_append(&b, st.bytes.ptr, st.bytes.len);
        out = theater_buf_finish(&b);
    }
    theater_state_clear(&st);
    return out;
}

static theater_bytes child_events(const char *id, size_t len)
{
    theater_event_list events = {NULL, 0};
    theater_err e = theater_get_child_events(id, len, &events);
    if (theater_failed(e))
        return outcome(e, NULL, 0);
    theater_buf b = {0};
    theater_buf_append_cstr(&b, "ok:");
    theater_buf_append_i64(&b, (int64_t)events.len);
    theater_buf_append_byte(&b, ':');
    for (size_t i = 0; i < events.len; i++) {
        const theater_event *ev = &events.items[i];
        /* Each event must link to the one before: the list is the chain. */
        bool linked = i == 0
                          ? !ev->has_parent
                          : ev->has_parent && ev->parent_hash.len == 32 &&
                                memcmp(ev->parent_hash.ptr, events.items[i - 1].hash.ptr, 32) == 0;
        if (i)
            theater_buf_append_byte(&b, ',');
        if (!linked)
            theater_buf_append_cstr(&b, "UNLINKED-");
        theater_buf_append(&b, ev->event_type.ptr, ev->event_type.len);
    }
    theater_event_list_free(&events);
    return theater_buf_finish(&b);
}

static theater_err super_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    char op[OP_MAX];
    static char arg[ARG_MAX];
    size_t op_len, arg_len = 0;
    theater_json_status st =
        theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &op_len);
    if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    bool has_arg = theater_json_get_string(msg->ptr, msg->len, "manifest", arg, sizeof arg,
                                           &arg_len) == THEATER_JSON_OK ||
                   theater_json_get_string(msg->ptr, msg->len, "id", arg, sizeof arg, &arg_len) ==
                       THEATER_JSON_OK;
    if (is_op(op, op_len, "children")) {
        *response = children();
        return THEATER_OK;
    }
    if (is_op(op, op_len, "get")) {
        *response = theater_bytes_copy(state->bytes.ptr, state->some ? state->bytes.len : 0);
        return THEATER_OK;
    }
    if (is_op(op, op_len, "crash"))
        __builtin_trap();
    if (!has_arg)
        return theater_error("this op needs 'manifest' or 'id'");
    if (is_op(op, op_len, "spawn"))
        *response = spawn(msg, arg, arg_len);
    else if (is_op(op, op_len, "stop-child"))
        *response = outcome(theater_stop_child(arg, arg_len), NULL, 0);
    else if (is_op(op, op_len, "restart-child"))
        *response = outcome(theater_restart_child(arg, arg_len), NULL, 0);
    else if (is_op(op, op_len, "child-state"))
        *response = child_state(arg, arg_len);
    else if (is_op(op, op_len, "child-events"))
        *response = child_events(arg, arg_len);
    else
        return theater_error_detail("unknown op: ", op, op_len);
    return THEATER_OK;
}

static void begin(theater_buf *line, const char *what, theater_string child_id)
{
    theater_buf_append_cstr(line, what);
    theater_buf_append_byte(line, ' ');
    theater_buf_append(line, child_id.ptr, child_id.len);
}

static theater_err on_child_error(theater_state *state, theater_string child_id,
                                  theater_actor_error error)
{
    theater_buf line = {0};
    begin(&line, "error", child_id);
    theater_buf_append_byte(&line, ' ');
    theater_buf_append_cstr(&line, theater_actor_error_kind_name(error.kind));
    theater_buf_append_byte(&line, ' ');
    theater_buf_append(&line, error.message.ptr, error.message.len);
    log_line(state, &line);
    return THEATER_OK;
}

static theater_err on_child_exit(theater_state *state, theater_string child_id,
                                 const theater_bytes *data)
{
    theater_buf line = {0};
    begin(&line, "exit", child_id);
    theater_buf_append_byte(&line, ' ');
    if (data)
        theater_buf_append(&line, data->ptr, data->len);
    else
        theater_buf_append_cstr(&line, "none");
    log_line(state, &line);
    return THEATER_OK;
}

static theater_err on_child_external_stop(theater_state *state, theater_string child_id)
{
    theater_buf line = {0};
    begin(&line, "external", child_id);
    log_line(state, &line);
    return THEATER_OK;
}

/* The state starts as the manifest gives it (usually none). */
static theater_err super_init(theater_state *state, theater_string actor_id)
{
    (void)state;
    (void)actor_id;
    return THEATER_OK;
}

static theater_err super_send(theater_state *state, theater_bytes *msg)
{
    theater_bytes ignored = {NULL, 0};
    theater_err e = super_request(state, msg, &ignored);
    theater_bytes_free(&ignored);
    return e;
}

THEATER_EXPORT_INIT(super_init)
THEATER_EXPORT_HANDLE_SEND(super_send)
THEATER_EXPORT_HANDLE_REQUEST(super_request)
THEATER_EXPORT_HANDLE_CHILD_ERROR(on_child_error)
THEATER_EXPORT_HANDLE_CHILD_EXIT(on_child_exit)
THEATER_EXPORT_HANDLE_CHILD_EXTERNAL_STOP(on_child_external_stop)
