/* supervisor: watches two workers (supervisor.toml's [[children]]: a
 * steady one and a flaky one) and keeps what it heard about them. The
 * runtime does the restarting, by the manifest's [supervisor] rules; this
 * actor's handlers are told of every stop and count them in its state:
 *
 *   {"errors":E,"exits":X,"stops":S,"last":"flaky (1a2b3c4d) failed: trap: ..."}
 *
 * Every op works as a send or a request (a request gets the answer):
 *
 *   {"op":"work","n":K[,"worker":NAME]}  has a worker (default "steady")
 *                                        do a job; answers the worker's answer
 *   {"op":"crash"}                       has the flaky worker crash
 *                                        -> {"crashed":NAME,"error":"..."}
 *   {"op":"status"}                      -> {"children":[{"name":..,"id":..,
 *                                        "restarts":R,"state":{..}},..],"heard":{..}}
 */
#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16
#define NAME_MAX 32
#define LAST_MAX 240 /* bytes of "last" kept: a trap's message can be long */

typedef struct heard {
    int64_t errors, exits, stops;
} heard;

static theater_err read_heard(const theater_state *state, heard *h)
{
    const void *s = state->some ? state->bytes.ptr : NULL;
    size_t n = state->some ? state->bytes.len : 0;
    if (state->some && theater_json_get_int(s, n, "errors", &h->errors) == THEATER_JSON_OK &&
        theater_json_get_int(s, n, "exits", &h->exits) == THEATER_JSON_OK &&
        theater_json_get_int(s, n, "stops", &h->stops) == THEATER_JSON_OK)
        return THEATER_OK;
    return theater_error("bad state: expected {\"errors\":N,\"exits\":N,\"stops\":N,\"last\":S}");
}

static void write_heard(theater_state *state, const heard *h, const char *last, size_t last_len)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "errors", h->errors);
    theater_json_add_int(&w, "exits", h->exits);
    theater_json_add_int(&w, "stops", h->stops);
    theater_json_add_string(&w, "last", last, last_len > LAST_MAX ? LAST_MAX : last_len);
    theater_state_set(state, theater_json_end(&w));
}

/* ---- The children ---------------------------------------------------------- */

/* A worker's name and flakiness, from its state; false when it has none. */
static bool identity_of(const theater_state *s, char name[NAME_MAX], bool *flaky)
{
    size_t len;
    *flaky = false;
    if (!s->some || theater_json_get_string(s->bytes.ptr, s->bytes.len, "name", name, NAME_MAX,
                                            &len) != THEATER_JSON_OK)
        return false;
    theater_json_get_bool(s->bytes.ptr, s->bytes.len, "flaky", flaky);
    return true;
}

static bool child_identity(const theater_string *id, char name[NAME_MAX], bool *flaky)
{
    theater_state s;
    theater_err e = theater_get_child_state(id->ptr, id->len, &s);
    bool ok = !theater_failed(e) && identity_of(&s, name, flaky);
    theater_err_free(&e);
    theater_state_clear(&s);
    return ok;
}

/* The first child named `name` (or, when name is NULL, the first flaky
 * one) into *id (owned), with its name; false when there is none. */
static bool find_worker(const char *name, theater_string *id, char found[NAME_MAX])
{
    theater_string_list children = theater_list_children();
    bool hit = false, flaky;
    for (size_t i = 0; i < children.len && !hit; i++) {
        if (!child_identity(&children.items[i], found, &flaky))
            continue;
        hit = name ? strcmp(found, name) == 0 : flaky;
        if (hit) {
            *id = children.items[i];
            children.items[i] = (theater_string){NULL, 0};
        }
    }
    theater_string_list_free(&children);
    return hit;
}

/* How often the child was restarted: every restart adds a spawn event to
 * its chain. (The whole chain is copied in to count them: fine for an
 * example, wasteful for a long-lived child.) */
static int64_t restarts_of(const theater_string *id)
{
    theater_event_list events;
    theater_err e = theater_get_child_events(id->ptr, id->len, &events);
    int64_t spawns = 0;
    for (size_t i = 0; i < events.len; i++)
        if (events.items[i].event_type.len == 5 &&
            memcmp(events.items[i].event_type.ptr, "spawn", 5) == 0)
            spawns++;
    theater_event_list_free(&events);
    theater_err_free(&e);
    return spawns > 0 ? spawns - 1 : 0;
}

/* "NAME (1a2b3c4d) WHAT: DETAIL" for the state's "last" and the log. */
static theater_bytes describe(theater_string child_id, const char *what, const char *detail,
                              size_t detail_len)
{
    char name[NAME_MAX];
    bool flaky;
    theater_buf line = {0};
    if (child_identity(&child_id, name, &flaky))
        theater_buf_append_cstr(&line, name);
    else
        theater_buf_append_cstr(&line, "a child");
    theater_buf_append_cstr(&line, " (");
    theater_buf_append(&line, child_id.ptr, child_id.len < 8 ? child_id.len : 8);
    theater_buf_append_cstr(&line, ") ");
    theater_buf_append_cstr(&line, what);
    if (detail_len) {
        theater_buf_append_cstr(&line, ": ");
        theater_buf_append(&line, detail, detail_len);
    }
    return theater_buf_finish(&line);
}

enum stop_kind { STOP_ERROR, STOP_EXIT, STOP_EXTERNAL };

/* Counts one more stop of this kind, keeps `line` (consumed) as "last" and
 * logs it, so that it is in the chain as well as in the state. */
static theater_err heard_of(theater_state *state, enum stop_kind kind, theater_bytes line)
{
    heard h;
    theater_err e = read_heard(state, &h);
    if (!theater_failed(e)) {
        int64_t *counter = kind == STOP_ERROR ? &h.errors : kind == STOP_EXIT ? &h.exits : &h.stops;
        (*counter)++;
        theater_log_n((const char *)line.ptr, line.len);
        write_heard(state, &h, (const char *)line.ptr, line.len);
    }
    theater_bytes_free(&line);
    return e;
}

static theater_err on_child_error(theater_state *state, theater_string child_id,
                                  theater_actor_error error)
{
    theater_buf detail = {0};
    theater_buf_append_cstr(&detail, theater_actor_error_kind_name(error.kind));
    theater_buf_append_cstr(&detail, ": ");
    theater_buf_append(&detail, error.message.ptr, error.message.len);
    theater_bytes line = describe(child_id, "failed", (const char *)detail.ptr, detail.len);
    theater_buf_free(&detail);
    return heard_of(state, STOP_ERROR, line);
}

/* The exit data is the child's own bytes, not necessarily text: only its
 * size goes into the line (log lines must be UTF-8). */
static theater_err on_child_exit(theater_state *state, theater_string child_id,
                                 const theater_bytes *data)
{
    theater_buf detail = {0};
    theater_buf_append_i64(&detail, data ? (int64_t)data->len : 0);
    theater_buf_append_cstr(&detail, " bytes of exit data");
    theater_bytes line =
        describe(child_id, "shut itself down", (const char *)detail.ptr, detail.len);
    theater_buf_free(&detail);
    return heard_of(state, STOP_EXIT, line);
}

static theater_err on_child_external_stop(theater_state *state, theater_string child_id)
{
    theater_bytes line = describe(child_id, "was stopped from outside", "", 0);
    return heard_of(state, STOP_EXTERNAL, line);
}

/* ---- Ops ------------------------------------------------------------------- */

static theater_err no_worker(const char *name)
{
    if (!name)
        return theater_error("no flaky worker is running");
    return theater_error_detail("no worker named ", name, strlen(name));
}

static theater_err work(const theater_bytes *msg, theater_bytes *response)
{
    char name[NAME_MAX], found[NAME_MAX];
    size_t len;
    int64_t n;
    theater_json_status st =
        theater_json_get_string(msg->ptr, msg->len, "worker", name, sizeof name, &len);
    if (st == THEATER_JSON_MISSING)
        memcpy(name, "steady", sizeof "steady");
    else if (st != THEATER_JSON_OK)
        return theater_json_error("worker", "a worker's name", st);
    st = theater_json_get_int(msg->ptr, msg->len, "n", &n);
    if (st != THEATER_JSON_OK)
        return theater_json_error("n", "an integer", st);
    theater_string id;
    if (!find_worker(name, &id, found))
        return no_worker(name);
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_cstr(&w, "op", "work");
    theater_json_add_int(&w, "n", n);
    theater_bytes job = theater_json_end(&w), answer;
    theater_err e = theater_request(id.ptr, id.len, job.ptr, job.len, &answer);
    theater_bytes_free(&job);
    theater_string_free(&id);
    if (response && !theater_failed(e))
        *response = answer;
    else
        theater_bytes_free(&answer);
    return e;
}

/* Asks the flaky worker to crash and waits for the outcome: a request to
 * an actor that traps fails with what stopped it. The runtime tells this
 * supervisor (on_child_error) and restarts the worker right after. */
static theater_err crash(theater_bytes *response)
{
    static const char msg[] = "{\"op\":\"crash\"}";
    char name[NAME_MAX];
    theater_string id;
    if (!find_worker(NULL, &id, name))
        return no_worker(NULL);
    theater_bytes answer;
    theater_err outcome = theater_request(id.ptr, id.len, msg, sizeof msg - 1, &answer);
    theater_bytes_free(&answer);
    theater_string_free(&id);
    if (!theater_failed(outcome))
        return theater_error("the flaky worker did not crash");
    if (response) {
        theater_json_writer w;
        theater_json_begin(&w);
        theater_json_add_cstr(&w, "crashed", name);
        theater_json_add_string(&w, "error", outcome.msg, outcome.len);
        *response = theater_json_end(&w);
    }
    theater_err_free(&outcome);
    return THEATER_OK;
}

/* {"name":..,"id":..,"restarts":R,"state":{..}} for one child. */
static void describe_child(theater_buf *out, const theater_string *id)
{
    theater_state s;
    char name[NAME_MAX];
    bool flaky;
    theater_err e = theater_get_child_state(id->ptr, id->len, &s);
    theater_json_writer w;
    theater_json_begin(&w);
    if (!theater_failed(e) && identity_of(&s, name, &flaky))
        theater_json_add_cstr(&w, "name", name);
    theater_json_add_string(&w, "id", id->ptr, id->len);
    theater_json_add_int(&w, "restarts", restarts_of(id));
    if (!theater_failed(e) && s.some &&
        theater_json_check_object(s.bytes.ptr, s.bytes.len) == THEATER_JSON_OK)
        theater_json_add_raw(&w, "state", s.bytes.ptr, s.bytes.len);
    else
        theater_json_add_null(&w, "state");
    theater_err_free(&e);
    theater_state_clear(&s);
    theater_bytes obj = theater_json_end(&w);
    theater_buf_append(out, obj.ptr, obj.len);
    theater_bytes_free(&obj);
}

static theater_err status(const theater_state *state, theater_bytes *response)
{
    if (!response)
        return theater_error("'status' answers with the status: send it as a request");
    theater_string_list children = theater_list_children();
    theater_buf list = {0};
    theater_buf_append_byte(&list, '[');
    for (size_t i = 0; i < children.len; i++) {
        if (i)
            theater_buf_append_byte(&list, ',');
        describe_child(&list, &children.items[i]);
    }
    theater_buf_append_byte(&list, ']');
    theater_string_list_free(&children);
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_raw(&w, "children", list.ptr, list.len);
    theater_json_add_raw(&w, "heard", state->bytes.ptr, state->bytes.len);
    *response = theater_json_end(&w);
    theater_buf_free(&list);
    return THEATER_OK;
}

/* One op; response is NULL for a send. */
static theater_err handle(theater_state *state, const theater_bytes *msg, theater_bytes *response)
{
    heard h;
    theater_err e = read_heard(state, &h);
    if (theater_failed(e))
        return e;
    char op[OP_MAX];
    size_t len;
    theater_json_status st = theater_json_get_string(msg->ptr, msg->len, "op", op, sizeof op, &len);
    if (st == THEATER_JSON_TOO_LONG)
        len = sizeof op - 1;
    else if (st != THEATER_JSON_OK)
        return theater_json_error("op", "a string", st);
    if (len == 4 && memcmp(op, "work", 4) == 0)
        return work(msg, response);
    if (len == 5 && memcmp(op, "crash", 5) == 0)
        return crash(response);
    if (len == 6 && memcmp(op, "status", 6) == 0)
        return status(state, response);
    return theater_error_detail("unknown op (expected work, crash or status): ", op, len);
}

static theater_err supervisor_init(theater_state *state, theater_string actor_id)
{
    heard h = {0, 0, 0};
    (void)actor_id;
    if (state->some)
        return read_heard(state, &h);
    write_heard(state, &h, "", 0);
    return THEATER_OK;
}

static theater_err supervisor_send(theater_state *state, theater_bytes *msg)
{
    return handle(state, msg, NULL);
}

static theater_err supervisor_request(theater_state *state, theater_bytes *msg,
                                      theater_bytes *response)
{
    return handle(state, msg, response);
}

THEATER_EXPORT_INIT(supervisor_init)
THEATER_EXPORT_HANDLE_SEND(supervisor_send)
THEATER_EXPORT_HANDLE_REQUEST(supervisor_request)
THEATER_EXPORT_NO_CHANNELS()
THEATER_EXPORT_HANDLE_CHILD_ERROR(on_child_error)
THEATER_EXPORT_HANDLE_CHILD_EXIT(on_child_exit)
THEATER_EXPORT_HANDLE_CHILD_EXTERNAL_STOP(on_child_external_stop)
