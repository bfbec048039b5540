/* The protocol's commands (docs/protocol.md). Each runs on a thread of the
 * pool, may wait on actors, and returns the whole response object. Every
 * field is checked: a missing, mistyped or unknown one is answered with
 * bad_request naming it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "chain/event_json.h"
#include "common/base64.h"
#include "common/clock.h"
#include "runtime/actor.h"
#include "server/server_internal.h"

typedef struct cmd_error {
    const char *code;
    char msg[1100];
} cmd_error;

static json_t *fail(cmd_error *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *fail(cmd_error *e, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    return NULL;
}

/* How a runtime error reads as a protocol error code. */
static json_t *fail_runtime(cmd_error *e, const th_error *err)
{
    const char *code = "invalid";
    if (err->kind == TH_ERROR_ACTOR)
        code = "actor_error";
    else if (strstr(err->msg, "is full"))
        code = "busy";
    else if (strstr(err->msg, "no answer from"))
        code = "timeout";
    else if (strstr(err->msg, "shutting down") || strstr(err->msg, "shut down"))
        code = "shutting_down";
    else if (strncmp(err->msg, "no actor", 8) == 0 || strncmp(err->msg, "no channel", 10) == 0)
        code = "not_found";
    return fail(e, code, "%s", err->msg);
}

/* ---- Fields -------------------------------------------------------------------------- */

static bool check_fields(json_t *req, const char *const *allowed, cmd_error *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(req, key, v)
    {
        (void)v;
        if (strcmp(key, "id") == 0 || strcmp(key, "command") == 0)
            continue;
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i]) {
            fail(e, "bad_request", "unknown field '%.64s' for %s", key,
                 json_string_value(json_object_get(req, "command")));
            return false;
        }
    }
    return true;
}

static const char *string_field(json_t *req, const char *name, bool required, cmd_error *e)
{
    json_t *v = json_object_get(req, name);
    if (!v && required)
        fail(e, "bad_request", "missing field '%s'", name);
    else if (v && !json_is_string(v))
        fail(e, "bad_request", "field '%s' must be a string", name);
    return v ? json_string_value(v) : NULL;
}

/* A non-negative integer field, `def` when absent; false on a bad value. */
static bool uint_field(json_t *req, const char *name, uint64_t def, uint64_t max, uint64_t *out,
                       cmd_error *e)
{
    json_t *v = json_object_get(req, name);
    *out = def;
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
        fail(e, "bad_request", "field '%s' must be an integer from 0 to %llu", name,
             (unsigned long long)max);
        return false;
    }
    *out = (uint64_t)json_integer_value(v);
    return true;
}

/* The message to hand an actor: `message`, any JSON value serialized
 * compactly, or `message_base64`, raw bytes. malloc'd. */
static char *message_field(json_t *req, size_t *len, cmd_error *e)
{
    json_t *v = json_object_get(req, "message");
    json_t *raw = json_object_get(req, "message_base64");
    if (!v == !raw) {
        fail(e, "bad_request",
             v ? "give 'message' or 'message_base64', not both"
               : "missing field 'message' (or 'message_base64')");
        return NULL;
    }
    if (raw) {
        th_buf b = TH_BUF_INIT;
        if (!json_is_string(raw) ||
            !th_base64_decode(json_string_value(raw), json_string_length(raw), &b)) {
            th_buf_free(&b);
            fail(e, "bad_request", "field 'message_base64' must be a base64 string");
            return NULL;
        }
        *len = b.len;
        char *out = th_xmalloc(b.len + 1);
        if (b.len)
            memcpy(out, b.data, b.len);
        th_buf_free(&b);
        return out;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        fail(e, "bad_request", "field 'message' cannot be encoded");
    *len = text ? strlen(text) : 0;
    return text;
}

/* Puts bytes under `key` as the JSON they are, or under KEY_base64 when they
 * are not JSON (docs/protocol.md). */
static void put_bytes(json_t *obj, const char *key, const uint8_t *p, size_t len)
{
    json_t *j = json_loadb((const char *)p, len, JSON_DECODE_ANY, NULL);
    if (j) {
        json_object_set_new(obj, key, j);
        return;
    }
    th_buf b = TH_BUF_INIT, k = TH_BUF_INIT;
    th_base64_encode(p, len, &b);
    th_buf_printf(&k, "%s_base64", key);
    json_object_set_new(obj, th_buf_cstr(&k), json_stringn(b.data ? (char *)b.data : "", b.len));
    th_buf_free(&b);
    th_buf_free(&k);
}

/* The actor named by the 'actor' field, resolved to its full id. */
static bool actor_field(server *srv, json_t *req, char id[33], cmd_error *e)
{
    const char *given = string_field(req, "actor", true, e);
    if (!given)
        return false;
    th_actor_status st;
    th_error err;
    if (th_runtime_status(srv->rt, given, &st, &err)) {
        fail(e, "not_found", "%s", err.msg);
        return false;
    }
    memcpy(id, st.id, 33);
    return true;
}

/* ---- Status ---------------------------------------------------------------------------- */

static json_t *status_json(const th_actor_status *st)
{
    int64_t uptime = st->running ? (th_now_ns() - st->started_ns) / 1000000 : 0;
    return json_pack("{s:s, s:s, s:s, s:b, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "id",
                     st->id, "name", st->name, "status", st->running ? "running" : "stopped",
                     "failed", st->failed, "parent",
                     st->parent[0] ? json_string(st->parent) : json_null(), "events",
                     (json_int_t)st->events, "handled", (json_int_t)st->handled, "dropped",
                     (json_int_t)st->dropped, "errors", (json_int_t)st->errors, "restarts",
                     (json_int_t)st->restarts, "mailbox", (json_int_t)st->mailbox, "uptime_ms",
                     (json_int_t)(uptime < 0 ? 0 : uptime), "exit_reason", st->exit_reason);
}

static void add_status(void *ud, const th_actor_status *st)
{
    json_array_append_new(ud, status_json(st));
}

static json_t *cmd_list(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)req;
    (void)opened;
    (void)e;
    json_t *arr = json_array();
    th_runtime_list(srv->rt, add_status, arr);
    return json_pack("{s:o}", "actors", arr);
}

static json_t *cmd_status(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    char id[33];
    th_actor_status st;
    if (!actor_field(srv, req, id, e) || th_runtime_status(srv->rt, id, &st, NULL))
        return NULL;
    return status_json(&st);
}

static json_t *cmd_metrics(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    char id[33];
    th_actor_status st;
    if (!actor_field(srv, req, id, e) || th_runtime_status(srv->rt, id, &st, NULL))
        return NULL;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "events", (json_int_t)st.events, "handled",
                     (json_int_t)st.handled, "dropped", (json_int_t)st.dropped, "errors",
                     (json_int_t)st.errors, "restarts", (json_int_t)st.restarts, "mailbox",
                     (json_int_t)st.mailbox);
}

/* ---- Reading an actor (under its lock, via th_runtime_with_actor) ------------------------- */

typedef struct reading {
    uint64_t from, limit;
    json_t *result;
} reading;

static void read_manifest(void *ud, const th_actor *actor)
{
    reading *r = ud;
    const th_manifest *m = actor->manifest;
    r->result = json_pack("{s:o, s:s}", "path", m->path ? json_string(m->path) : json_null(),
                          "manifest", m->text ? m->text : "");
}

static void read_state(void *ud, const th_actor *actor)
{
    reading *r = ud;
    size_t len;
    bool present;
    const uint8_t *state = th_actor_state(actor, &len, &present);
    r->result = json_object();
    if (present)
        put_bytes(r->result, "state", state, len);
    else
        json_object_set_new(r->result, "state", json_null());
}

static void read_events(void *ud, const th_actor *actor)
{
    reading *r = ud;
    const th_chain *chain = th_actor_chain(actor);
    size_t n = th_chain_length(chain);
    json_t *arr = json_array();
    for (uint64_t i = r->from; i < n && i - r->from < r->limit; i++) {
        json_t *ev = event_json(th_chain_event(chain, (size_t)i));
        json_array_append_new(arr, ev ? ev : json_pack("{s:I}", "index", (json_int_t)i));
    }
    r->result = json_pack("{s:I, s:o}", "total", (json_int_t)n, "events", arr);
}

static json_t *read_actor(server *srv, json_t *req, void (*fn)(void *, const th_actor *),
                          reading *r, cmd_error *e)
{
    char id[33];
    th_error err;
    if (!actor_field(srv, req, id, e))
        return NULL;
    if (th_runtime_with_actor(srv->rt, id, fn, r, &err))
        return fail(e, "not_found", "%s", err.msg);
    return r->result;
}

static json_t *cmd_manifest(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    reading r = {0};
    return read_actor(srv, req, read_manifest, &r, e);
}

static json_t *cmd_state(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    reading r = {0};
    return read_actor(srv, req, read_state, &r, e);
}

static json_t *cmd_events(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    reading r = {0};
    if (!uint_field(req, "from", 0, UINT32_MAX, &r.from, e) ||
        !uint_field(req, "limit", 1000, 100000, &r.limit, e))
        return NULL;
    return read_actor(srv, req, read_events, &r, e);
}

/* ---- Lifecycle --------------------------------------------------------------------------------
 */

static json_t *cmd_start(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    const char *path = string_field(req, "manifest", false, e);
    const char *text = e->code ? NULL : string_field(req, "manifest_text", false, e);
    const char *dir = e->code ? NULL : string_field(req, "manifest_dir", false, e);
    const char *parent = e->code ? NULL : string_field(req, "parent", false, e);
    if (e->code)
        return NULL;
    if (!path == !text)
        return fail(e, "bad_request", "give one of 'manifest' (a path) or 'manifest_text'");
    if (dir && !text)
        return fail(e, "bad_request", "'manifest_dir' goes with 'manifest_text'");
    char *state = NULL;
    json_t *sv = json_object_get(req, "initial_state");
    if (sv && !(state = json_dumps(sv, JSON_COMPACT | JSON_ENCODE_ANY)))
        return fail(e, "bad_request", "field 'initial_state' cannot be encoded");
    th_error err;
    th_manifest *m = NULL;
    if (path) {
        m = th_manifest_load(path, &err);
    } else {
        /* The manifest's relative paths resolve against manifest_dir: give
         * the parser a path inside it. */
        th_buf where = TH_BUF_INIT;
        th_buf_printf(&where, "%s/<manifest_text>", dir ? dir : ".");
        m = th_manifest_parse(text, strlen(text), th_buf_cstr(&where), &err);
        th_buf_free(&where);
    }
    char id[33];
    int rc = m ? th_runtime_spawn_manifest(srv->rt, m, (const uint8_t *)state,
                                           state ? strlen(state) : 0, parent, id, &err)
               : -1;
    free(state);
    if (rc)
        return fail_runtime(e, &err);
    th_server_log(srv, TH_LOG_INFO, "started %s", id);
    return json_pack("{s:s}", "actor", id);
}

static json_t *cmd_stop(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    char id[33];
    th_error err;
    if (!actor_field(srv, req, id, e))
        return NULL;
    if (th_runtime_stop(srv->rt, id, &err))
        return fail_runtime(e, &err);
    th_server_log(srv, TH_LOG_INFO, "stopped %s", id);
    return json_object();
}

static json_t *cmd_restart(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    char id[33];
    th_error err;
    json_t *reinit = json_object_get(req, "reinit");
    if (reinit && !json_is_boolean(reinit))
        return fail(e, "bad_request", "field 'reinit' must be true or false");
    if (!actor_field(srv, req, id, e))
        return NULL;
    if (th_runtime_restart(srv->rt, id, reinit && json_is_true(reinit), &err))
        return fail_runtime(e, &err);
    return json_object();
}

static json_t *cmd_shutdown(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)req;
    (void)opened;
    (void)e;
    atomic_store(&srv->shutdown_asked, true);
    uv_async_send(&srv->wake);
    return json_object();
}

/* ---- Messages
 * ------------------------------------------------------------------------------------ */

static json_t *cmd_send(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    char id[33];
    size_t len;
    th_error err;
    if (!actor_field(srv, req, id, e))
        return NULL;
    char *msg = message_field(req, &len, e);
    if (!msg)
        return NULL;
    int rc = th_runtime_send(srv->rt, id, (const uint8_t *)msg, len, &err);
    free(msg);
    return rc ? fail_runtime(e, &err) : json_object();
}

static json_t *cmd_request(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    char id[33];
    size_t len;
    uint64_t timeout;
    th_error err;
    if (!uint_field(req, "timeout_ms", 0, 3600000, &timeout, e) || !actor_field(srv, req, id, e))
        return NULL;
    char *msg = message_field(req, &len, e);
    if (!msg)
        return NULL;
    uint8_t *resp;
    size_t resp_len;
    int rc = th_runtime_request(srv->rt, id, (const uint8_t *)msg, len, (uint32_t)timeout, &resp,
                                &resp_len, &err);
    free(msg);
    if (rc)
        return fail_runtime(e, &err);
    json_t *out = json_object();
    put_bytes(out, "response", resp, resp_len);
    free(resp);
    return out;
}

/* ---- Streams: subscriptions and channels
 * --------------------------------------------------------- */

static void on_event(void *ud, const char *actor_id, const th_event *ev)
{
    pusher *p = ud;
    json_t *event = event_json(ev);
    th_pusher_push(p, json_pack("{s:s, s:I, s:s, s:o}", "type", "event", "subscription",
                                (json_int_t)p->number, "actor", actor_id, "event",
                                event ? event : json_null()));
}

static json_t *cmd_subscribe(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    char id[33];
    th_error err;
    if (!actor_field(srv, req, id, e))
        return NULL;
    pusher *p = th_pusher_new(srv, false);
    memcpy(p->actor, id, 33);
    /* Numbered before subscribing: events may come at once. */
    p->number = atomic_fetch_add(&srv->next_subscription, 1) + 1;
    if (th_runtime_subscribe(srv->rt, id, on_event, p, &p->sub_id, &err)) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return fail_runtime(e, &err);
    }
    *opened = p;
    return json_pack("{s:I}", "subscription", (json_int_t)p->number);
}

static void on_channel_message(void *ud, const char *channel_id, const uint8_t *msg, size_t len)
{
    json_t *frame = json_pack("{s:s, s:s}", "type", "channel-message", "channel", channel_id);
    if (frame)
        put_bytes(frame, "message", msg, len);
    th_pusher_push(ud, frame);
}

static void on_channel_close(void *ud, const char *channel_id)
{
    pusher *p = ud;
    th_pusher_push(p, json_pack("{s:s, s:s}", "type", "channel-closed", "channel", channel_id));
    pthread_mutex_lock(&p->lock);
    p->ended = true;
    pthread_mutex_unlock(&p->lock);
}

static json_t *cmd_open_channel(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    char id[33];
    size_t len;
    th_error err;
    if (!actor_field(srv, req, id, e))
        return NULL;
    char *msg = message_field(req, &len, e);
    if (!msg)
        return NULL;
    pusher *p = th_pusher_new(srv, true);
    memcpy(p->actor, id, 33);
    th_channel_client client = {on_channel_message, on_channel_close, p};
    char chan[33];
    int rc = th_runtime_channel_open(srv->rt, id, (const uint8_t *)msg, len, &client, chan, &err);
    free(msg);
    if (rc) {
        th_buf_free(&p->pending);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return fail_runtime(e, &err);
    }
    memcpy(p->channel, chan, 33);
    *opened = p;
    return json_pack("{s:s}", "channel", chan);
}

static json_t *cmd_channel_send(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    size_t len;
    th_error err;
    const char *chan = string_field(req, "channel", true, e);
    if (!chan)
        return NULL;
    char *msg = message_field(req, &len, e);
    if (!msg)
        return NULL;
    int rc = th_runtime_channel_send(srv->rt, chan, (const uint8_t *)msg, len, &err);
    free(msg);
    return rc ? fail_runtime(e, &err) : json_object();
}

static json_t *cmd_channel_close(server *srv, json_t *req, pusher **opened, cmd_error *e)
{
    (void)opened;
    th_error err;
    const char *chan = string_field(req, "channel", true, e);
    if (!chan)
        return NULL;
    return th_runtime_channel_close(srv->rt, chan, &err) ? fail_runtime(e, &err) : json_object();
}

/* ---- The table ---------------------------------------------------------------------------------
 */

typedef json_t *(*cmd_fn)(server *srv, json_t *req, pusher **opened, cmd_error *e);

static const char *const no_fields[] = {NULL};
static const char *const actor_only[] = {"actor", NULL};
static const char *const start_fields[] = {"manifest",      "manifest_text", "manifest_dir",
                                           "initial_state", "parent",        NULL};
static const char *const restart_fields[] = {"actor", "reinit", NULL};
static const char *const events_fields[] = {"actor", "from", "limit", NULL};
static const char *const message_fields[] = {"actor", "message", "message_base64", NULL};
static const char *const request_fields[] = {"actor", "message", "message_base64", "timeout_ms",
                                             NULL};
static const char *const channel_send_fields[] = {"channel", "message", "message_base64", NULL};
static const char *const channel_only[] = {"channel", NULL};

static const struct {
    const char *name;
    cmd_fn fn;
    const char *const *fields;
} commands[] = {
    {"StartActor", cmd_start, start_fields},
    {"StopActor", cmd_stop, actor_only},
    {"RestartActor", cmd_restart, restart_fields},
    {"ListActors", cmd_list, no_fields},
    {"GetActorStatus", cmd_status, actor_only},
    {"GetActorManifest", cmd_manifest, actor_only},
    {"GetActorState", cmd_state, actor_only},
    {"GetActorEvents", cmd_events, events_fields},
    {"GetActorMetrics", cmd_metrics, actor_only},
    {"SendActorMessage", cmd_send, message_fields},
    {"RequestActorMessage", cmd_request, request_fields},
    {"OpenChannel", cmd_open_channel, message_fields},
    {"SendOnChannel", cmd_channel_send, channel_send_fields},
    {"CloseChannel", cmd_channel_close, channel_only},
    {"SubscribeToActor", cmd_subscribe, actor_only},
    {"Shutdown", cmd_shutdown, no_fields},
};

json_t *th_response_error(json_t *id, const char *code, const char *fmt, ...)
{
    char msg[1100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return json_pack("{s:s, s:O, s:b, s:{s:s, s:s}}", "type", "response", "id",
                     id ? id : json_null(), "ok", 0, "error", "code", code, "message", msg);
}

json_t *th_command_run(server *srv, json_t *req, pusher **opened)
{
    json_t *id = json_object_get(req, "id");
    const char *name = json_string_value(json_object_get(req, "command"));
    size_t n = sizeof commands / sizeof commands[0], i = 0;
    while (i < n && strcmp(commands[i].name, name) != 0)
        i++;
    if (i == n) /* the loop checked `command` is one of the table's or Unsubscribe */
        return th_response_error(id, "bad_request", "unknown command '%.64s'", name);
    cmd_error e = {0};
    json_t *result =
        check_fields(req, commands[i].fields, &e) ? commands[i].fn(srv, req, opened, &e) : NULL;
    if (!result)
        return th_response_error(id, e.code ? e.code : "internal", "%s",
                                 e.code ? e.msg : "the command produced no result");
    return json_pack("{s:s, s:O, s:b, s:o}", "type", "response", "id", id, "ok", 1, "result",
                     result);
}
