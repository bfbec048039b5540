/* client: one person in a chat room. Every message works as a send or as
 * a request (a request gets the answer shown):
 *
 *   {"join":ROOM_ID,"name":"alice"}  opens a channel to the room
 *                                    -> {"joined":ROOM_ID,"name":"alice"}
 *   {"say":"hi"}                     says a line in the room -> {"said":"hi"}
 *   {"op":"heard"}                   -> {"name":"alice","heard":[...]}
 *   {"op":"leave"}                   closes the channel -> {"left":ROOM_ID}
 *
 * What the room sends on the channel is kept as "bob: hi" lines, the last
 * 100 of them. Its state:
 *
 *   {"name":"alice","room":ID,"channel":ID,"heard":["room: welcome, alice; ...","bob: hi"]}
 *
 * and {"heard":[...]} while it is in no room. */
#include "chat.h"
#include "chat_json.h"
#include "theater/json.h"

#define HEARD_MAX 100

typedef struct client {
    bool joined;
    char name[CHAT_NAME_MAX + 1];
    char room[CHAT_ID_LEN + 1];
    char channel[CHAT_ID_LEN + 1];
    chat_span heard; /* the state's heard array */
} client;

static const char bad_state[] = "bad state: expected {\"heard\":[...]} or "
                                "{\"name\":NAME,\"room\":ID,\"channel\":ID,\"heard\":[...]}";

static bool read_id(const theater_state *state, const char *key, char id[CHAT_ID_LEN + 1])
{
    size_t len;
    return theater_json_get_string(state->bytes.ptr, state->bytes.len, key, id, CHAT_ID_LEN + 1,
                                   &len) == THEATER_JSON_OK &&
           len == CHAT_ID_LEN;
}

static theater_err read_client(const theater_state *state, client *c)
{
    *c = (client){0};
    if (!state->some ||
        theater_json_check_object(state->bytes.ptr, state->bytes.len) != THEATER_JSON_OK ||
        !chat_json_find(state->bytes.ptr, state->bytes.len, "heard", &c->heard) ||
        c->heard.ptr[0] != '[')
        return theater_error(bad_state);
    theater_bytes doc = state->bytes;
    if (!chat_has(&doc, "channel"))
        return THEATER_OK;
    theater_err e = chat_read_name(&doc, "name", c->name);
    if (theater_failed(e)) {
        theater_err_free(&e);
        return theater_error(bad_state);
    }
    if (!read_id(state, "room", c->room) || !read_id(state, "channel", c->channel))
        return theater_error(bad_state);
    c->joined = true;
    return THEATER_OK;
}

/* The state for `c` with `heard` (JSON array text, which may point into
 * the old state: it is copied before the old state is freed). */
static void write_client(theater_state *state, const client *c, const uint8_t *heard,
                         size_t heard_len)
{
    theater_json_writer w;
    theater_json_begin(&w);
    if (c->joined) {
        theater_json_add_cstr(&w, "name", c->name);
        theater_json_add_cstr(&w, "room", c->room);
        theater_json_add_cstr(&w, "channel", c->channel);
    }
    theater_json_add_raw(&w, "heard", heard, heard_len);
    theater_state_set(state, theater_json_end(&w));
}

/* Adds "from: text" to what the client heard, dropping the oldest line
 * beyond HEARD_MAX. */
static void remember(theater_state *state, const client *c, const char *from, size_t from_len,
                     const char *text, size_t text_len)
{
    theater_buf line = {0};
    theater_buf_append(&line, from, from_len);
    theater_buf_append_cstr(&line, ": ");
    theater_buf_append(&line, text, text_len);
    theater_bytes item = chat_json_quote((const char *)line.ptr, line.len);
    size_t count = chat_json_count(c->heard);
    theater_bytes heard =
        chat_json_append(c->heard, count >= HEARD_MAX ? count - HEARD_MAX + 1 : 0, &item);
    write_client(state, c, heard.ptr, heard.len);
    theater_bytes_free(&heard);
    theater_bytes_free(&item);
    theater_buf_free(&line);
}

static theater_err join(theater_state *state, client *c, const theater_bytes *msg,
                        theater_bytes *response)
{
    char room[CHAT_ID_LEN + 1];
    size_t room_len;
    if (c->joined)
        return theater_error("already in a room: send {\"op\":\"leave\"} first");
    theater_json_status st =
        theater_json_get_string(msg->ptr, msg->len, "join", room, sizeof room, &room_len);
    if (st == THEATER_JSON_TOO_LONG || (st == THEATER_JSON_OK && room_len != CHAT_ID_LEN))
        return theater_error("'join' must be the room's actor id (32 hex digits)");
    if (st != THEATER_JSON_OK)
        return theater_json_error("join", "a string", st);
    theater_err e = chat_read_name(msg, "name", c->name);
    if (theater_failed(e))
        return e;

    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_cstr(&w, "name", c->name);
    theater_bytes hello = theater_json_end(&w);
    theater_string channel;
    e = theater_open_channel(room, room_len, hello.ptr, hello.len, &channel);
    theater_bytes_free(&hello);
    if (theater_failed(e))
        return e; /* the runtime names the room and, for a refusal, its reason */
    if (channel.len != CHAT_ID_LEN) {
        theater_string_free(&channel);
        return theater_error("the runtime gave a channel id that is not 32 characters");
    }
    memcpy(c->room, room, sizeof c->room);
    memcpy(c->channel, channel.ptr, CHAT_ID_LEN);
    c->channel[CHAT_ID_LEN] = '\0';
    theater_string_free(&channel);
    c->joined = true;
    write_client(state, c, c->heard.ptr, c->heard.len);

    if (response) {
        theater_json_begin(&w);
        theater_json_add_cstr(&w, "joined", c->room);
        theater_json_add_cstr(&w, "name", c->name);
        *response = theater_json_end(&w);
    }
    return THEATER_OK;
}

static theater_err say(const client *c, const theater_bytes *msg, theater_bytes *response)
{
    char text[CHAT_TEXT_MAX + 1];
    size_t len;
    if (!c->joined)
        return theater_error(
            "say before join: join a room first with {\"join\":ROOM_ID,\"name\":NAME}");
    theater_err e = chat_read_text(msg, "say", text, &len);
    if (theater_failed(e))
        return e;
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_string(&w, "text", text, len);
    theater_bytes line = theater_json_end(&w);
    e = theater_send_on_channel(c->channel, CHAT_ID_LEN, line.ptr, line.len);
    theater_bytes_free(&line);
    if (theater_failed(e))
        return e;
    if (response) {
        theater_json_begin(&w);
        theater_json_add_string(&w, "said", text, len);
        *response = theater_json_end(&w);
    }
    return THEATER_OK;
}

static theater_err leave(theater_state *state, client *c, theater_bytes *response)
{
    if (!c->joined)
        return theater_error("not in a room: nothing to leave");
    theater_err e = theater_close_channel(c->channel, CHAT_ID_LEN);
    if (theater_failed(e))
        return e;
    if (response) {
        theater_json_writer w;
        theater_json_begin(&w);
        theater_json_add_cstr(&w, "left", c->room);
        *response = theater_json_end(&w);
    }
    c->joined = false;
    write_client(state, c, c->heard.ptr, c->heard.len);
    return THEATER_OK;
}

static theater_err heard(const client *c, theater_bytes *response)
{
    if (!response)
        return theater_error("'heard' answers with what was heard: send it as a request");
    theater_json_writer w;
    theater_json_begin(&w);
    if (c->joined)
        theater_json_add_cstr(&w, "name", c->name);
    theater_json_add_raw(&w, "heard", c->heard.ptr, c->heard.len);
    *response = theater_json_end(&w);
    return THEATER_OK;
}

/* One message, sent or requested; response is NULL for a send. */
static theater_err handle(theater_state *state, const theater_bytes *msg, theater_bytes *response)
{
    static const char ops[] = "\"heard\" or \"leave\"";
    client c;
    theater_err e = read_client(state, &c);
    if (theater_failed(e))
        return e;
    theater_json_status st = theater_json_check_object(msg->ptr, msg->len);
    if (st != THEATER_JSON_OK)
        return theater_json_error("message", "a JSON object", st);
    if (chat_has(msg, "join"))
        return join(state, &c, msg, response);
    if (chat_has(msg, "say"))
        return say(&c, msg, response);
    if (!chat_has(msg, "op"))
        return theater_error("expected {\"join\":ROOM_ID,\"name\":NAME}, {\"say\":TEXT}, "
                             "{\"op\":\"heard\"} or {\"op\":\"leave\"}");
    char op[CHAT_OP_MAX];
    e = chat_read_op(msg, op, ops);
    if (theater_failed(e))
        return e;
    if (strcmp(op, "heard") == 0)
        return heard(&c, response);
    if (strcmp(op, "leave") == 0)
        return leave(state, &c, response);
    return chat_unknown_op(op, strlen(op), ops);
}

static theater_err client_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    if (!state->some) {
        theater_state_set(state, theater_bytes_from_cstr("{\"heard\":[]}"));
        return THEATER_OK;
    }
    client c;
    return read_client(state, &c);
}

static theater_err client_send(theater_state *state, theater_bytes *msg)
{
    return handle(state, msg, NULL);
}

static theater_err client_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    return handle(state, msg, response);
}

static bool is_ours(const client *c, theater_string channel_id)
{
    return c->joined && channel_id.len == CHAT_ID_LEN &&
           memcmp(channel_id.ptr, c->channel, CHAT_ID_LEN) == 0;
}

/* A line from the room: {"from":NAME,"text":TEXT}. */
static theater_err client_channel_message(theater_state *state, theater_string channel_id,
                                          theater_bytes *msg)
{
    client c;
    char from[CHAT_NAME_MAX + 1], text[CHAT_TEXT_MAX + 1];
    size_t text_len;
    theater_err e = read_client(state, &c);
    if (theater_failed(e))
        return e;
    if (!is_ours(&c, channel_id))
        return theater_error_detail("not this client's channel: ", channel_id.ptr, channel_id.len);
    e = chat_read_name(msg, "from", from);
    if (theater_failed(e))
        return e;
    e = chat_read_text(msg, "text", text, &text_len);
    if (theater_failed(e))
        return e;
    remember(state, &c, from, strlen(from), text, text_len);
    return THEATER_OK;
}

/* The room closed the channel (it stopped, or was stopped). */
static theater_err client_channel_close(theater_state *state, theater_string channel_id)
{
    client c;
    theater_err e = read_client(state, &c);
    if (theater_failed(e))
        return e;
    if (!is_ours(&c, channel_id))
        return THEATER_OK;
    c.joined = false;
    static const char line[] = "the room closed the channel";
    remember(state, &c, "room", 4, line, sizeof line - 1);
    return THEATER_OK;
}

/* A client talks to a room; nobody opens channels to it. */
static theater_err client_channel_open(theater_state *state, theater_string channel_id,
                                       theater_bytes *msg, theater_channel_accept *accept)
{
    (void)state;
    (void)channel_id;
    (void)msg;
    accept->accepted = false;
    accept->has_message = true;
    accept->message = theater_bytes_from_cstr("a chat client accepts no channels");
    return THEATER_OK;
}

THEATER_EXPORT_INIT(client_init)
THEATER_EXPORT_HANDLE_SEND(client_send)
THEATER_EXPORT_HANDLE_REQUEST(client_request)
THEATER_EXPORT_HANDLE_CHANNEL_OPEN(client_channel_open)
THEATER_EXPORT_HANDLE_CHANNEL_MESSAGE(client_channel_message)
THEATER_EXPORT_HANDLE_CHANNEL_CLOSE(client_channel_close)
