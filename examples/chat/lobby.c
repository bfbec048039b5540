/* lobby: starts a chat room (its [[children]] entry in lobby.toml), spawns
 * clients that join it, and has them talk. Every op works as a send or a
 * request:
 *
 *   {"join":"alice"}             spawns a client and has it join the room as
 *                                alice -> {"joined":"alice","client":ID}
 *   {"as":"alice","say":"hi"}    has alice say a line -> {"by":"alice","said":"hi"}
 *   {"op":"transcript"}          what each client heard
 *                                -> {"alice":["room: welcome, alice; ...",...],...}
 *   {"op":"demo"}                alice, bob and carol join and talk; answers
 *                                the transcript
 *
 * Actors know one another only by id, and nobody tells the room's id to
 * the clients but the lobby: it is their parent, and the parent of the
 * room, so it finds both among its children (by their states: the room's
 * has "members", a client's the "name" it joined with). Its state:
 *
 *   {"clients":N,"lines":M}
 *
 * Why the transcript is exact: a client's say has put the line in the
 * room's mailbox before the say is answered, so a request the lobby makes
 * of the room afterwards is handled after the line, that is after the room
 * has passed the line on to every client's mailbox; the requests for what
 * each client heard come later still. */
#include "chat.h"
#include "chat_json.h"
#include "theater/json.h"

static const char client_manifest[] = "client.toml";
static const char ops[] = "\"transcript\" or \"demo\"";

typedef struct lobby {
    int64_t clients, lines;
} lobby;

static theater_err read_lobby(const theater_state *state, lobby *l)
{
    if (state->some &&
        theater_json_get_int(state->bytes.ptr, state->bytes.len, "clients", &l->clients) ==
            THEATER_JSON_OK &&
        theater_json_get_int(state->bytes.ptr, state->bytes.len, "lines", &l->lines) ==
            THEATER_JSON_OK)
        return THEATER_OK;
    return theater_error("bad state: expected {\"clients\":N,\"lines\":M}");
}

static void write_lobby(theater_state *state, const lobby *l)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "clients", l->clients);
    theater_json_add_int(&w, "lines", l->lines);
    theater_state_set(state, theater_json_end(&w));
}

/* ---- Finding children by their state ------------------------------------ */

/* Does this child's state make it the one wanted? */
typedef bool (*child_test)(const theater_state *child_state, const char *name);

static bool is_room(const theater_state *s, const char *unused)
{
    chat_span members;
    (void)unused;
    return s->some && theater_json_check_object(s->bytes.ptr, s->bytes.len) == THEATER_JSON_OK &&
           chat_json_find(s->bytes.ptr, s->bytes.len, "members", &members);
}

/* A client that joined as `name`; any joined client when name is NULL. */
static bool is_client(const theater_state *s, const char *name)
{
    char got[CHAT_NAME_MAX + 1];
    size_t len;
    if (!s->some || theater_json_get_string(s->bytes.ptr, s->bytes.len, "name", got, sizeof got,
                                            &len) != THEATER_JSON_OK)
        return false;
    return !name || strcmp(got, name) == 0;
}

/* The ids of the children that pass `test`, in the order they started. */
static theater_string_list children_where(child_test test, const char *name)
{
    theater_string_list children = theater_list_children();
    size_t kept = 0;
    for (size_t i = 0; i < children.len; i++) {
        theater_string *id = &children.items[i];
        theater_state s;
        theater_err e = theater_get_child_state(id->ptr, id->len, &s);
        bool keep = !theater_failed(e) && test(&s, name);
        theater_err_free(&e);
        theater_state_clear(&s);
        if (keep)
            children.items[kept++] = *id;
        else
            theater_string_free(id);
    }
    children.len = kept;
    return children;
}

/* The one child that passes `test`, into *id (owned); false when none. */
static bool child_where(child_test test, const char *name, theater_string *id)
{
    theater_string_list found = children_where(test, name);
    bool any = found.len > 0;
    if (any) {
        *id = found.items[0];
        found.items[0] = (theater_string){NULL, 0};
    }
    theater_string_list_free(&found);
    return any;
}

/* ---- Talking to the room and the clients --------------------------------- */

/* Requests `msg` (a writer's object, consumed) of actor `id`. */
static theater_err ask(const theater_string *id, theater_json_writer *msg, theater_bytes *answer)
{
    theater_bytes bytes = theater_json_end(msg);
    theater_err e = theater_request(id->ptr, id->len, bytes.ptr, bytes.len, answer);
    theater_bytes_free(&bytes);
    return e;
}

/* "NAME WHAT REASON" as one error; `reason` (may be THEATER_OK) is freed. */
static theater_err about(const char *name, const char *what, theater_err reason)
{
    theater_buf text = {0};
    theater_buf_append_cstr(&text, name);
    theater_buf_append_cstr(&text, what);
    if (theater_failed(reason))
        theater_buf_append(&text, reason.msg, reason.len);
    theater_buf_append_byte(&text, '\0');
    theater_err e = theater_error((const char *)text.ptr);
    theater_buf_free(&text);
    theater_err_free(&reason);
    return e;
}

static theater_err join(lobby *l, const char *name, theater_bytes *response)
{
    theater_string room, client;
    /* A taken name is the room's to refuse, so it is not checked here. */
    if (!child_where(is_room, NULL, &room))
        return theater_error("the room is not running");
    theater_err e = theater_spawn(client_manifest, sizeof client_manifest - 1, NULL, 0, &client);
    if (theater_failed(e)) {
        theater_string_free(&room);
        return e;
    }
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_string(&w, "join", room.ptr, room.len);
    theater_json_add_cstr(&w, "name", name);
    theater_bytes answer;
    e = ask(&client, &w, &answer);
    theater_bytes_free(&answer);
    theater_string_free(&room);
    if (theater_failed(e)) {
        /* A client that is in no room is of no use: let it go. */
        theater_err stop = theater_stop_child(client.ptr, client.len);
        theater_err_free(&stop);
        theater_string_free(&client);
        return about(name, " could not join: ", e);
    }
    l->clients++;
    if (response) {
        theater_json_begin(&w);
        theater_json_add_cstr(&w, "joined", name);
        theater_json_add_string(&w, "client", client.ptr, client.len);
        *response = theater_json_end(&w);
    }
    theater_string_free(&client);
    return THEATER_OK;
}

static theater_err say(lobby *l, const char *name, const char *text, size_t text_len,
                       theater_bytes *response)
{
    theater_string client;
    if (!child_where(is_client, name, &client))
        return about(name, " has not joined: send {\"join\":NAME} to the lobby first", THEATER_OK);
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_string(&w, "say", text, text_len);
    theater_bytes answer;
    theater_err e = ask(&client, &w, &answer);
    theater_bytes_free(&answer);
    theater_string_free(&client);
    if (theater_failed(e))
        return e;
    l->lines++;
    if (response) {
        theater_json_begin(&w);
        theater_json_add_cstr(&w, "by", name);
        theater_json_add_string(&w, "said", text, text_len);
        *response = theater_json_end(&w);
    }
    return THEATER_OK;
}

/* The room has handled every line said so far once it answers this (see
 * the top of this file). */
static theater_err wait_for_room(void)
{
    theater_string room;
    if (!child_where(is_room, NULL, &room))
        return theater_error("the room is not running");
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_cstr(&w, "op", "members");
    theater_bytes answer;
    theater_err e = ask(&room, &w, &answer);
    theater_bytes_free(&answer);
    theater_string_free(&room);
    return e;
}

/* One client's {"name":..,"heard":[...]} into the transcript. */
static theater_err add_heard(theater_json_writer *out, const theater_string *client)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_cstr(&w, "op", "heard");
    theater_bytes answer;
    theater_err e = ask(client, &w, &answer);
    if (theater_failed(e))
        return e;
    char name[CHAT_NAME_MAX + 1];
    chat_span heard;
    theater_bytes doc = answer;
    e = chat_read_name(&doc, "name", name);
    if (!theater_failed(e) && !chat_json_find(answer.ptr, answer.len, "heard", &heard))
        e = theater_error("a client answered 'heard' without its lines");
    if (!theater_failed(e))
        theater_json_add_raw(out, name, heard.ptr, heard.len);
    theater_bytes_free(&answer);
    return e;
}

static theater_err transcript(theater_bytes *response)
{
    theater_err e = wait_for_room();
    if (theater_failed(e))
        return e;
    theater_string_list clients = children_where(is_client, NULL);
    theater_json_writer w;
    theater_json_begin(&w);
    for (size_t i = 0; i < clients.len && !theater_failed(e); i++)
        e = add_heard(&w, &clients.items[i]);
    theater_string_list_free(&clients);
    if (theater_failed(e) || !response) {
        theater_json_abandon(&w);
        return e;
    }
    *response = theater_json_end(&w);
    return THEATER_OK;
}

/* A short conversation, to see the whole chat work in one command. */
static theater_err demo(lobby *l, theater_bytes *response)
{
    static const char *const people[] = {"alice", "bob", "carol"};
    static const struct {
        const char *who, *text;
    } lines[] = {
        {"alice", "hi, bob!"},
        {"bob", "hello alice, and welcome carol"},
        {"carol", "thanks, what did I miss?"},
    };
    theater_err e = THEATER_OK;
    for (size_t i = 0; i < sizeof people / sizeof people[0] && !theater_failed(e); i++)
        e = join(l, people[i], NULL);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0] && !theater_failed(e); i++)
        e = say(l, lines[i].who, lines[i].text, strlen(lines[i].text), NULL);
    return theater_failed(e) ? e : transcript(response);
}

/* ---- Exports ---------------------------------------------------------------- */

static theater_err run_op(lobby *l, const theater_bytes *msg, theater_bytes *response)
{
    char name[CHAT_NAME_MAX + 1], text[CHAT_TEXT_MAX + 1], op[CHAT_OP_MAX];
    size_t text_len;
    theater_json_status st = theater_json_check_object(msg->ptr, msg->len);
    if (st != THEATER_JSON_OK)
        return theater_json_error("message", "a JSON object", st);
    if (chat_has(msg, "join")) {
        theater_err e = chat_read_name(msg, "join", name);
        return theater_failed(e) ? e : join(l, name, response);
    }
    if (chat_has(msg, "as") || chat_has(msg, "say")) {
        theater_err e = chat_read_name(msg, "as", name);
        if (!theater_failed(e))
            e = chat_read_text(msg, "say", text, &text_len);
        return theater_failed(e) ? e : say(l, name, text, text_len, response);
    }
    if (!chat_has(msg, "op"))
        return theater_error("expected {\"join\":NAME}, {\"as\":NAME,\"say\":TEXT}, "
                             "{\"op\":\"transcript\"} or {\"op\":\"demo\"}");
    theater_err e = chat_read_op(msg, op, ops);
    if (theater_failed(e))
        return e;
    if (strcmp(op, "transcript") == 0)
        return transcript(response);
    if (strcmp(op, "demo") == 0)
        return demo(l, response);
    return chat_unknown_op(op, strlen(op), ops);
}

/* The lobby's count moves only when the whole op succeeded: an error
 * leaves the state as it was (the runtime keeps the old one). */
static theater_err handle(theater_state *state, const theater_bytes *msg, theater_bytes *response)
{
    lobby l;
    theater_err e = read_lobby(state, &l);
    if (theater_failed(e))
        return e;
    e = run_op(&l, msg, response);
    if (!theater_failed(e))
        write_lobby(state, &l);
    return e;
}

static theater_err lobby_init(theater_state *state, theater_string actor_id)
{
    lobby l = {0, 0};
    (void)actor_id;
    if (state->some)
        return read_lobby(state, &l);
    write_lobby(state, &l);
    return THEATER_OK;
}

static theater_err lobby_send(theater_state *state, theater_bytes *msg)
{
    return handle(state, msg, NULL);
}

static theater_err lobby_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    return handle(state, msg, response);
}

THEATER_EXPORT_INIT(lobby_init)
THEATER_EXPORT_HANDLE_SEND(lobby_send)
THEATER_EXPORT_HANDLE_REQUEST(lobby_request)
THEATER_EXPORT_NO_CHANNELS()
