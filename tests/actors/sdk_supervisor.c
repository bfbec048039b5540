/* sdk_supervisor: a parent written with the C SDK that calls every import of
 * theater:simple/supervisor and exports every supervisor handler.
 * test_sdk_abi checks their core signatures against wit/supervisor.wit with
 * wasm-tools, and drives the actor through the executor's canonical ABI;
 * the log lines below show what the SDK handed the actor, field by field.
 *
 *   init                 a some initial state is a child's manifest path: it
 *                        spawns that child and keeps the child's id as state
 *   child error          logs why, restarts the child, stops it if that fails
 *   child exit           logs the exit data's size and the children left
 *   child external stop  logs the child's state and each event of its chain
 */
#include "theater/actor.h"

static void log_line(theater_buf *line)
{
    theater_bytes text = theater_buf_finish(line);
    theater_log_n((const char *)text.ptr, text.len);
    theater_bytes_free(&text);
}

static void append_string(theater_buf *line, theater_string s)
{
    theater_buf_append(line, s.ptr, s.len);
}

static void begin_line(theater_buf *line, theater_string child_id)
{
    theater_buf_append_cstr(line, "child ");
    append_string(line, child_id);
}

static theater_err init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    if (!state->some)
        return THEATER_OK;
    theater_string child = {NULL, 0};
    theater_err e =
        theater_spawn((const char *)state->bytes.ptr, state->bytes.len, NULL, 0, &child);
    if (theater_failed(e))
        return e;
    theater_state_set(state, (theater_bytes){(uint8_t *)child.ptr, child.len});
    return THEATER_OK;
}

static theater_err on_child_error(theater_state *state, theater_string child_id,
                                  theater_actor_error error)
{
    (void)state;
    theater_buf line = {0};
    begin_line(&line, child_id);
    theater_buf_append_cstr(&line, " failed (");
    theater_buf_append_cstr(&line, theater_actor_error_kind_name(error.kind));
    theater_buf_append_cstr(&line, "): ");
    append_string(&line, error.message);
    log_line(&line);

    theater_err e = theater_restart_child(child_id.ptr, child_id.len);
    if (!theater_failed(e))
        return THEATER_OK;
    theater_err_free(&e);
    return theater_stop_child(child_id.ptr, child_id.len);
}

static theater_err on_child_exit(theater_state *state, theater_string child_id,
                                 const theater_bytes *data)
{
    (void)state;
    theater_buf line = {0};
    begin_line(&line, child_id);
    if (data) {
        theater_buf_append_cstr(&line, " exited with ");
        theater_buf_append_i64(&line, (int64_t)data->len);
        theater_buf_append_cstr(&line, " bytes; children:");
    } else {
        theater_buf_append_cstr(&line, " exited without data; children:");
    }
    theater_string_list children = theater_list_children();
    for (size_t i = 0; i < children.len; i++) {
        theater_buf_append_byte(&line, ' ');
        append_string(&line, children.items[i]);
    }
    theater_string_list_free(&children);
    log_line(&line);
    return THEATER_OK;
}

/* "call(data 5, t 200, parent 32)": every field of the event. */
static void append_event(theater_buf *line, const theater_event *ev)
{
    theater_buf_append_byte(line, ' ');
    append_string(line, ev->event_type);
    theater_buf_append_cstr(line, "(hash ");
    theater_buf_append_i64(line, (int64_t)ev->hash.len);
    theater_buf_append_cstr(line, ", data ");
    theater_buf_append_i64(line, (int64_t)ev->data.len);
    theater_buf_append_cstr(line, ", t ");
    theater_buf_append_i64(line, (int64_t)ev->timestamp);
    if (ev->has_parent) {
        theater_buf_append_cstr(line, ", parent ");
        theater_buf_append_i64(line, (int64_t)ev->parent_hash.len);
    } else {
        theater_buf_append_cstr(line, ", first");
    }
    theater_buf_append_byte(line, ')');
}

static theater_err on_child_external_stop(theater_state *state, theater_string child_id)
{
    (void)state;
    theater_state last = {false, {NULL, 0}};
    theater_err e = theater_get_child_state(child_id.ptr, child_id.len, &last);
    if (theater_failed(e))
        return e;
    theater_event_list events = {NULL, 0};
    e = theater_get_child_events(child_id.ptr, child_id.len, &events);
    if (theater_failed(e)) {
        theater_state_clear(&last);
        return e;
    }
    theater_buf line = {0};
    begin_line(&line, child_id);
    theater_buf_append_cstr(&line, " stopped from outside; state: ");
    if (last.some)
        theater_buf_append(&line, last.bytes.ptr, last.bytes.len);
    else
        theater_buf_append_cstr(&line, "none");
    theater_buf_append_cstr(&line, "; events:");
    for (size_t i = 0; i < events.len; i++)
        append_event(&line, &events.items[i]);
    log_line(&line);
    theater_event_list_free(&events);
    theater_state_clear(&last);
    return THEATER_OK;
}

THEATER_EXPORT_INIT(init)
THEATER_EXPORT_HANDLE_CHILD_ERROR(on_child_error)
THEATER_EXPORT_HANDLE_CHILD_EXIT(on_child_exit)
THEATER_EXPORT_HANDLE_CHILD_EXTERNAL_STOP(on_child_external_stop)
