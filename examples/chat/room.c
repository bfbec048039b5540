/* room: a chat room over channels.
 *
 *   channel open     {"name":"alice"}: accepted with a welcome line, and
 *                    everyone already in the room hears "alice joined";
 *                    refused (with the reason) for a bad or taken name
 *   channel message  {"text":"hi"}: everyone else in the room gets
 *                    {"from":"alice","text":"hi"}
 *   channel close    the member is forgotten; the others hear "alice left"
 *   request          {"op":"members"} answers {"members":["alice",...],"said":N}
 *
 * The room, not the client, puts the sender's name on a line: a member
 * cannot speak as someone else. Its state:
 *
 *   {"members":{"<channel id>":"alice",...},"said":N}
 */
#include "chat.h"
#include "chat_json.h"
#include "theater/json.h"

#define ROOM_MAX_MEMBERS 64

typedef struct room {
    chat_span members; /* the state's members object */
    int64_t said;
} room;

static theater_err read_room(const theater_state *state, room *r)
{
    if (!state->some ||
        theater_json_check_object(state->bytes.ptr, state->bytes.len) != THEATER_JSON_OK)
        return theater_error("bad state: expected {\"members\":{...},\"said\":N}");
    if (!chat_json_find(state->bytes.ptr, state->bytes.len, "members", &r->members) ||
        r->members.ptr[0] != '{')
        return theater_error("bad state: 'members' must be an object");
    theater_json_status st =
        theater_json_get_int(state->bytes.ptr, state->bytes.len, "said", &r->said);
    if (st != THEATER_JSON_OK)
        return theater_json_error("said", "an integer", st);
    return THEATER_OK;
}

/* `members` is the members object's text; it may point into the old
 * state, which the writer copies before the state is replaced. */
static void write_room(theater_state *state, chat_span members, int64_t said)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_raw(&w, "members", members.ptr, members.len);
    theater_json_add_int(&w, "said", said);
    theater_state_set(state, theater_json_end(&w));
}

/* The same, with a members object of our own making, which it frees. */
static void write_room_with(theater_state *state, theater_bytes members, int64_t said)
{
    write_room(state, (chat_span){members.ptr, members.len}, said);
    theater_bytes_free(&members);
}

/* A channel id as a C string, the form the JSON helpers want keys in;
 * false when it cannot be one of ours. */
static bool channel_key(const char *id, size_t len, char key[CHAT_ID_LEN + 1])
{
    if (len != CHAT_ID_LEN)
        return false;
    memcpy(key, id, len);
    key[len] = '\0';
    return true;
}

/* The name of the member on channel `key`; false when nobody is. */
static bool member_name(const room *r, const char *key, char name[CHAT_NAME_MAX + 1])
{
    size_t len;
    return theater_json_get_string(r->members.ptr, r->members.len, key, name, CHAT_NAME_MAX + 1,
                                   &len) == THEATER_JSON_OK;
}

/* The members object without channel `drop` (NULL: keep all), plus
 * `add_key` -> `add_name` when add_key is not NULL. */
static theater_bytes members_edited(const room *r, const char *drop, const char *add_key,
                                    const char *add_name)
{
    theater_json_writer w;
    chat_span key, value;
    size_t pos = 0;
    char k[CHAT_ID_LEN + 1];
    theater_json_begin(&w);
    while (chat_json_next(r->members, &pos, &key, &value)) {
        if (!channel_key((const char *)key.ptr, key.len, k) || (drop && strcmp(k, drop) == 0))
            continue;
        theater_json_add_raw(&w, k, value.ptr, value.len);
    }
    if (add_key)
        theater_json_add_cstr(&w, add_key, add_name);
    return theater_json_end(&w);
}

static theater_bytes line_from(const char *from, const char *text, size_t text_len)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_cstr(&w, "from", from);
    theater_json_add_string(&w, "text", text, text_len);
    return theater_json_end(&w);
}

/* Sends `line` on every member's channel but `except`'s. A member whose
 * channel has just closed cannot be reached; its close is on its way, so
 * the room notes it and goes on. */
static void broadcast(const room *r, const char *except, const theater_bytes *line)
{
    chat_span key, value;
    size_t pos = 0;
    char k[CHAT_ID_LEN + 1];
    while (chat_json_next(r->members, &pos, &key, &value)) {
        if (!channel_key((const char *)key.ptr, key.len, k) || (except && strcmp(k, except) == 0))
            continue;
        theater_err e = theater_send_on_channel(k, CHAT_ID_LEN, line->ptr, line->len);
        if (theater_failed(e)) {
            theater_log(e.msg);
            theater_err_free(&e);
        }
    }
}

static void announce(const room *r, const char *except, const char *name, const char *what)
{
    theater_buf text = {0};
    theater_buf_append_cstr(&text, name);
    theater_buf_append_cstr(&text, what);
    theater_bytes line = line_from("room", (const char *)text.ptr, text.len);
    broadcast(r, except, &line);
    theater_bytes_free(&line);
    theater_buf_free(&text);
}

/* "welcome, alice; here: bob, carol" (or "...; you are the first here"). */
static theater_bytes welcome_line(const room *r, const char *name)
{
    theater_buf text = {0};
    chat_span key, value;
    size_t pos = 0, others = 0;
    char k[CHAT_ID_LEN + 1], other[CHAT_NAME_MAX + 1];
    theater_buf_append_cstr(&text, "welcome, ");
    theater_buf_append_cstr(&text, name);
    theater_buf_append_cstr(&text, "; ");
    while (chat_json_next(r->members, &pos, &key, &value)) {
        if (!channel_key((const char *)key.ptr, key.len, k) || !member_name(r, k, other))
            continue;
        theater_buf_append_cstr(&text, others++ ? ", " : "here: ");
        theater_buf_append_cstr(&text, other);
    }
    if (!others)
        theater_buf_append_cstr(&text, "you are the first here");
    theater_bytes line = line_from("room", (const char *)text.ptr, text.len);
    theater_buf_free(&text);
    return line;
}

static bool name_taken(const room *r, const char *name)
{
    chat_span key, value;
    size_t pos = 0;
    char k[CHAT_ID_LEN + 1], other[CHAT_NAME_MAX + 1];
    while (chat_json_next(r->members, &pos, &key, &value))
        if (channel_key((const char *)key.ptr, key.len, k) && member_name(r, k, other) &&
            strcmp(other, name) == 0)
            return true;
    return false;
}

static void refuse(theater_channel_accept *accept, theater_err reason)
{
    accept->accepted = false;
    accept->has_message = true;
    accept->message = (theater_bytes){(uint8_t *)reason.msg, reason.len};
}

/* Why a newcomer named in `msg` cannot join; THEATER_OK when it can. */
static theater_err check_newcomer(const room *r, const theater_bytes *msg,
                                  char name[CHAT_NAME_MAX + 1])
{
    theater_err e = chat_read_name(msg, "name", name);
    if (theater_failed(e))
        return e;
    if (name_taken(r, name))
        return theater_error_detail("this name is taken in the room: ", name, strlen(name));
    if (chat_json_count(r->members) >= ROOM_MAX_MEMBERS)
        return theater_error("the room is full (64 members)");
    return THEATER_OK;
}

static theater_err room_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    if (!state->some) {
        theater_state_set(state, theater_bytes_from_cstr("{\"members\":{},\"said\":0}"));
        return THEATER_OK;
    }
    room r;
    return read_room(state, &r);
}

static theater_err room_channel_open(theater_state *state, theater_string channel_id,
                                     theater_bytes *msg, theater_channel_accept *accept)
{
    room r;
    char key[CHAT_ID_LEN + 1], name[CHAT_NAME_MAX + 1];
    theater_err e = read_room(state, &r);
    if (theater_failed(e))
        return e;
    if (!channel_key(channel_id.ptr, channel_id.len, key))
        return theater_error("the runtime gave a channel id that is not 32 characters");
    e = check_newcomer(&r, msg, name);
    if (theater_failed(e)) {
        refuse(accept, e); /* a refusal, with the reason, is the room's answer */
        return THEATER_OK;
    }
    announce(&r, NULL, name, " joined");
    accept->accepted = true;
    accept->has_message = true;
    accept->message = welcome_line(&r, name);
    write_room_with(state, members_edited(&r, NULL, key, name), r.said);
    return THEATER_OK;
}

static theater_err room_channel_message(theater_state *state, theater_string channel_id,
                                        theater_bytes *msg)
{
    room r;
    char key[CHAT_ID_LEN + 1], name[CHAT_NAME_MAX + 1], text[CHAT_TEXT_MAX + 1];
    size_t text_len;
    theater_err e = read_room(state, &r);
    if (theater_failed(e))
        return e;
    if (!channel_key(channel_id.ptr, channel_id.len, key) || !member_name(&r, key, name))
        return theater_error_detail("not a channel of this room: ", channel_id.ptr, channel_id.len);
    e = chat_read_text(msg, "text", text, &text_len);
    if (theater_failed(e))
        return e;
    theater_bytes line = line_from(name, text, text_len);
    broadcast(&r, key, &line);
    theater_bytes_free(&line);
    write_room(state, r.members, r.said < INT64_MAX ? r.said + 1 : r.said);
    return THEATER_OK;
}

static theater_err room_channel_close(theater_state *state, theater_string channel_id)
{
    room r;
    char key[CHAT_ID_LEN + 1], name[CHAT_NAME_MAX + 1];
    theater_err e = read_room(state, &r);
    if (theater_failed(e))
        return e;
    if (!channel_key(channel_id.ptr, channel_id.len, key) || !member_name(&r, key, name))
        return THEATER_OK; /* refused at open: it was never a member */
    announce(&r, key, name, " left");
    write_room_with(state, members_edited(&r, key, NULL, NULL), r.said);
    return THEATER_OK;
}

static theater_err room_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    room r;
    theater_err e = read_room(state, &r);
    if (theater_failed(e))
        return e;
    char op[CHAT_OP_MAX];
    e = chat_read_op(msg, op, "\"members\"");
    if (theater_failed(e))
        return e;
    if (strcmp(op, "members") != 0)
        return chat_unknown_op(op, strlen(op), "\"members\"");
    theater_buf names = {0};
    chat_span key, value;
    size_t pos = 0;
    theater_buf_append_byte(&names, '[');
    while (chat_json_next(r.members, &pos, &key, &value)) {
        if (names.len > 1)
            theater_buf_append_byte(&names, ',');
        theater_buf_append(&names, value.ptr, value.len);
    }
    theater_buf_append_byte(&names, ']');
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_raw(&w, "members", names.ptr, names.len);
    theater_json_add_int(&w, "said", r.said);
    *response = theater_json_end(&w);
    theater_buf_free(&names);
    return THEATER_OK;
}

static theater_err room_send(theater_state *state, theater_bytes *msg)
{
    (void)state;
    (void)msg;
    return theater_error("the room talks over channels; request {\"op\":\"members\"} to see "
                         "who is in it");
}

THEATER_EXPORT_INIT(room_init)
THEATER_EXPORT_HANDLE_SEND(room_send)
THEATER_EXPORT_HANDLE_REQUEST(room_request)
THEATER_EXPORT_HANDLE_CHANNEL_OPEN(room_channel_open)
THEATER_EXPORT_HANDLE_CHANNEL_MESSAGE(room_channel_message)
THEATER_EXPORT_HANDLE_CHANNEL_CLOSE(room_channel_close)
