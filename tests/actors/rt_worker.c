/* rt_worker: the runtime tests' actor (tests/unit/test_runtime.c,
 * test_supervision.c, test_channels.c). It does what a message tells it,
 * so one module can play receiver, sender, requester, channel end and
 * misbehaving child.
 *
 * Its state is a text log, one line per thing worth checking: "init" when
 * init runs, "FROM SEQ" per numbered message, "open CH MSG", "msg CH TEXT"
 * and "close CH" for channel events, and any "note". The tests read it back
 * to check order, loss, duplication and whether init ran again.
 *
 * Every op works as a send or a request ({"op":...} in JSON):
 *   ping                      answers "pong"
 *   rec  from, seq [, crash]  logs "FROM SEQ" (traps first when crash is true)
 *   note text                 logs TEXT
 *   get                       answers the state
 *   send to, from, first, n [, marks]
 *                             sends n messages {"op":"rec","from":F,"seq":i},
 *                             i = first..first+n-1, to actor `to`; where
 *                             marks[i-first] is 'c' the message asks the
 *                             receiver to trap; answers
 *                             {"ok":K,"failed":F,"error":"first error"}
 *   request to, msg           requests `msg` of `to`; answers "ok:RESPONSE"
 *                             or "err:WHY" (its own call succeeds either way)
 *   open to, msg              opens a channel: "ok:CHANNEL" or "err:WHY"
 *   chsend ch, text           sends on a channel: "ok:" or "err:WHY"
 *   chclose ch                closes a channel: "ok:" or "err:WHY"
 *   fail                      returns an error ("asked to fail")
 *   shutdown                  calls runtime.shutdown with "bye"
 *   crash, spin, bomb, deep   traps; loops forever; exhausts memory; recurses
 *                             without end (each stopped by its limit)
 *
 * A channel is accepted when its first message is {"accept":true}, with
 * "reply" (if given) sent back as the acceptor's first message; otherwise it
 * is refused, with "reason" (if given) as the refusal's message. */
#include <stdlib.h>

#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16
#define ID_MAX 64
#define TEXT_MAX 4096
#define BOMB_BLOCK (1024 * 1024)
#define PAGE 4096

static volatile uint64_t spins;
static void *volatile bomb_head;
static volatile uint32_t deep_limit = UINT32_MAX; /* never reached */

/* ---- Misbehaviour that clang cannot optimise away ------------------------- */

static void spin(void)
{
    for (;;)
        spins++;
}

static void bomb(void)
{
    for (;;) {
        void **block = malloc(BOMB_BLOCK);
        if (!block)
            __builtin_trap();
        volatile uint8_t *bytes = (volatile uint8_t *)block;
        for (size_t i = sizeof(void *); i < BOMB_BLOCK; i += PAGE)
            bytes[i] = 1; /* touched, so the memory is really used */
        *block = bomb_head;
        bomb_head = block;
    }
}

/* The volatile frame is read after the recursive call: no tail call. */
__attribute__((noinline)) static uint32_t deep(uint32_t depth)
{
    volatile uint8_t frame[16];
    frame[depth % sizeof frame] = (uint8_t)depth;
    if (depth == deep_limit)
        return 0;
    return deep(depth + 1) + frame[depth % sizeof frame];
}

/* ---- The state: a log of lines --------------------------------------------- */

static void log_line(theater_state *state, const char *a, size_t a_len, const char *b, size_t b_len)
{
    theater_buf line = {0};
    if (state->some)
        theater_buf_append(&line, state->bytes.ptr, state->bytes.len);
    theater_buf_append(&line, a, a_len);
    if (b) {
        theater_buf_append_byte(&line, ' ');
        theater_buf_append(&line, b, b_len);
    }
    theater_buf_append_byte(&line, '\n');
    theater_state_set(state, theater_buf_finish(&line));
}

/* ---- Reading a message ------------------------------------------------------ */

/* A string argument. The buffers are static: an actor handles one call at
 * a time, and 4 KiB apiece need not sit on the shadow stack. */
typedef struct text {
    char s[TEXT_MAX];
    size_t len;
} text;

static theater_err get_text(const theater_bytes *msg, const char *key, char *out, size_t cap,
                            size_t *len)
{
    theater_json_status st = theater_json_get_string(msg->ptr, msg->len, key, out, cap, len);
    return st == THEATER_JSON_OK ? THEATER_OK : theater_json_error(key, "a string", st);
}

static theater_err get_int(const theater_bytes *msg, const char *key, int64_t *out)
{
    theater_json_status st = theater_json_get_int(msg->ptr, msg->len, key, out);
    return st == THEATER_JSON_OK ? THEATER_OK : theater_json_error(key, "an integer", st);
}

static bool flag(const theater_bytes *msg, const char *key)
{
    bool on = false;
    return theater_json_get_bool(msg->ptr, msg->len, key, &on) == THEATER_JSON_OK && on;
}

/* "ok:" or "err:" followed by the detail: an answer that is a success for
 * this actor's own call whatever happened to the call it made. */
static theater_bytes tagged(const char *tag, const void *detail, size_t len)
{
    theater_buf b = {0};
    theater_buf_append_cstr(&b, tag);
    theater_buf_append(&b, detail, len);
    return theater_buf_finish(&b);
}

static theater_bytes outcome(theater_err e, const void *ok, size_t ok_len)
{
    if (!theater_failed(e))
        return tagged("ok:", ok, ok_len);
    theater_bytes out = tagged("err:", e.msg, e.len);
    theater_err_free(&e);
    return out;
}

/* ---- Ops ------------------------------------------------------------------ */

static theater_err op_rec(theater_state *state, const theater_bytes *msg)
{
    char from[ID_MAX];
    size_t from_len;
    int64_t seq;
    theater_err e = get_text(msg, "from", from, sizeof from, &from_len);
    if (!theater_failed(e))
        e = get_int(msg, "seq", &seq);
    if (theater_failed(e))
        return e;
    if (flag(msg, "crash"))
        __builtin_trap(); /* the injected failure: nothing is logged */
    theater_buf n = {0};
    theater_buf_append_i64(&n, seq);
    log_line(state, from, from_len, (const char *)n.ptr, n.len);
    theater_buf_free(&n);
    return THEATER_OK;
}

static theater_bytes numbered(const char *from, size_t from_len, int64_t seq, bool crash)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_cstr(&w, "op", "rec");
    theater_json_add_string(&w, "from", from, from_len);
    theater_json_add_int(&w, "seq", seq);
    if (crash)
        theater_json_add_bool(&w, "crash", true);
    return theater_json_end(&w);
}

static theater_err op_send(const theater_bytes *msg, theater_bytes *response)
{
    char to[ID_MAX], from[ID_MAX];
    size_t to_len, from_len, marks_len = 0;
    int64_t first, n;
    static text marks;
    theater_err e = get_text(msg, "to", to, sizeof to, &to_len);
    if (!theater_failed(e))
        e = get_text(msg, "from", from, sizeof from, &from_len);
    if (!theater_failed(e))
        e = get_int(msg, "first", &first);
    if (!theater_failed(e))
        e = get_int(msg, "n", &n);
    if (theater_failed(e))
        return e;
    if (theater_json_get_string(msg->ptr, msg->len, "marks", marks.s, sizeof marks.s, &marks_len) !=
        THEATER_JSON_OK)
        marks_len = 0;
    int64_t ok = 0, failed = 0;
    theater_err first_error = THEATER_OK;
    for (int64_t i = 0; i < n; i++) {
        bool crash = (size_t)i < marks_len && marks.s[i] == 'c';
        theater_bytes m = numbered(from, from_len, first + i, crash);
        theater_err sent = theater_send(to, to_len, m.ptr, m.len);
        theater_bytes_free(&m);
        if (!theater_failed(sent)) {
            ok++;
            continue;
        }
        failed++;
        if (!theater_failed(first_error))
            first_error = sent;
        else
            theater_err_free(&sent);
    }
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "ok", ok);
    theater_json_add_int(&w, "failed", failed);
    if (theater_failed(first_error))
        theater_json_add_string(&w, "error", first_error.msg, first_error.len);
    theater_err_free(&first_error);
    *response = theater_json_end(&w);
    return THEATER_OK;
}

static theater_err op_request(const theater_bytes *msg, theater_bytes *response)
{
    char to[ID_MAX];
    size_t to_len;
    static text inner;
    theater_err e = get_text(msg, "to", to, sizeof to, &to_len);
    if (!theater_failed(e))
        e = get_text(msg, "msg", inner.s, sizeof inner.s, &inner.len);
    if (theater_failed(e))
        return e;
    theater_bytes answer = {NULL, 0};
    e = theater_request(to, to_len, inner.s, inner.len, &answer);
    *response = outcome(e, answer.ptr, answer.len);
    theater_bytes_free(&answer);
    return THEATER_OK;
}

static theater_err op_open(const theater_bytes *msg, theater_bytes *response)
{
    char to[ID_MAX];
    size_t to_len;
    static text first;
    theater_err e = get_text(msg, "to", to, sizeof to, &to_len);
    if (!theater_failed(e))
        e = get_text(msg, "msg", first.s, sizeof first.s, &first.len);
    if (theater_failed(e))
        return e;
    theater_string channel = {NULL, 0};
    e = theater_open_channel(to, to_len, first.s, first.len, &channel);
    *response = outcome(e, channel.ptr, channel.len);
    theater_string_free(&channel);
    return THEATER_OK;
}

static theater_err op_chsend(const theater_bytes *msg, theater_bytes *response)
{
    char ch[ID_MAX];
    size_t ch_len;
    static text body;
    theater_err e = get_text(msg, "ch", ch, sizeof ch, &ch_len);
    if (!theater_failed(e))
        e = get_text(msg, "text", body.s, sizeof body.s, &body.len);
    if (theater_failed(e))
        return e;
    *response = outcome(theater_send_on_channel(ch, ch_len, body.s, body.len), NULL, 0);
    return THEATER_OK;
}

static theater_err op_chclose(const theater_bytes *msg, theater_bytes *response)
{
    char ch[ID_MAX];
    size_t ch_len;
    theater_err e = get_text(msg, "ch", ch, sizeof ch, &ch_len);
    if (theater_failed(e))
        return e;
    *response = outcome(theater_close_channel(ch, ch_len), NULL, 0);
    return THEATER_OK;
}

static bool is_op(const char *op, size_t op_len, const char *name)
{
    return op_len == strlen(name) && memcmp(op, name, op_len) == 0;
}

/* Ops that answer nothing of their own, or never return. */
static theater_err run_plain(theater_state *state, const char *op, size_t op_len,
                             const theater_bytes *msg)
{
    if (is_op(op, op_len, "rec"))
        return op_rec(state, msg);
    if (is_op(op, op_len, "note")) {
        static text note;
        theater_err e = get_text(msg, "text", note.s, sizeof note.s, &note.len);
        if (!theater_failed(e))
            log_line(state, note.s, note.len, NULL, 0);
        return e;
    }
    if (is_op(op, op_len, "fail"))
        return theater_error("asked to fail");
    if (is_op(op, op_len, "shutdown"))
        return theater_shutdown("bye", 3);
    if (is_op(op, op_len, "crash"))
        __builtin_trap();
    if (is_op(op, op_len, "spin"))
        spin();
    if (is_op(op, op_len, "bomb"))
        bomb();
    if (is_op(op, op_len, "deep")) {
        deep(0);
        __builtin_trap(); /* unreachable: the stack runs out first */
    }
    return theater_error_detail("unknown op: ", op, op_len);
}

static theater_err run(theater_state *state, const theater_bytes *msg, theater_bytes *response)
{
    char op[OP_MAX];
    size_t op_len;
    theater_err e = get_text(msg, "op", op, sizeof op, &op_len);
    if (theater_failed(e))
        return e;
    if (is_op(op, op_len, "ping")) {
        *response = theater_bytes_from_cstr("pong");
        return THEATER_OK;
    }
    if (is_op(op, op_len, "get")) {
        *response = theater_bytes_copy(state->bytes.ptr, state->some ? state->bytes.len : 0);
        return THEATER_OK;
    }
    if (is_op(op, op_len, "send"))
        return op_send(msg, response);
    if (is_op(op, op_len, "request"))
        return op_request(msg, response);
    if (is_op(op, op_len, "open"))
        return op_open(msg, response);
    if (is_op(op, op_len, "chsend"))
        return op_chsend(msg, response);
    if (is_op(op, op_len, "chclose"))
        return op_chclose(msg, response);
    return run_plain(state, op, op_len, msg);
}

/* ---- Exports ------------------------------------------------------------------ */

static theater_err worker_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    log_line(state, "init", 4, NULL, 0);
    return THEATER_OK;
}

static theater_err worker_send(theater_state *state, theater_bytes *msg)
{
    theater_bytes ignored = {NULL, 0};
    theater_err e = run(state, msg, &ignored);
    theater_bytes_free(&ignored);
    return e;
}

static theater_err worker_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    return run(state, msg, response);
}

static theater_err worker_channel_open(theater_state *state, theater_string channel_id,
                                       theater_bytes *msg, theater_channel_accept *accept)
{
    static text word;
    log_line(state, "open", 4, channel_id.ptr, channel_id.len);
    accept->accepted = flag(msg, "accept");
    const char *key = accept->accepted ? "reply" : "reason";
    if (theater_json_get_string(msg->ptr, msg->len, key, word.s, sizeof word.s, &word.len) ==
        THEATER_JSON_OK) {
        accept->has_message = true;
        accept->message = theater_bytes_copy(word.s, word.len);
    }
    return THEATER_OK;
}

static theater_err worker_channel_message(theater_state *state, theater_string channel_id,
                                          theater_bytes *msg)
{
    theater_buf line = {0};
    theater_buf_append_cstr(&line, "msg ");
    theater_buf_append(&line, channel_id.ptr, channel_id.len);
    theater_bytes prefix = theater_buf_finish(&line);
    log_line(state, (const char *)prefix.ptr, prefix.len, (const char *)msg->ptr, msg->len);
    theater_bytes_free(&prefix);
    return THEATER_OK;
}

static theater_err worker_channel_close(theater_state *state, theater_string channel_id)
{
    log_line(state, "close", 5, channel_id.ptr, channel_id.len);
    return THEATER_OK;
}

THEATER_EXPORT_INIT(worker_init)
THEATER_EXPORT_HANDLE_SEND(worker_send)
THEATER_EXPORT_HANDLE_REQUEST(worker_request)
THEATER_EXPORT_HANDLE_CHANNEL_OPEN(worker_channel_open)
THEATER_EXPORT_HANDLE_CHANNEL_MESSAGE(worker_channel_message)
THEATER_EXPORT_HANDLE_CHANNEL_CLOSE(worker_channel_close)
