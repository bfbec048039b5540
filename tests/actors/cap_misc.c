/* cap_misc: the capability tests' actor (tests/unit/test_capabilities.c,
 * test_sdk_abi.c). It calls every import of http-client, filesystem,
 * timing, random and environment through the C SDK, and exports
 * handle-timer and http-handlers#handle-request, so one module proves the
 * SDK's ABI for all of them and drives the handlers in a real runtime.
 *
 * Its state is a text log: "init" when init runs, "timer ID" per timer that
 * fired, "http METHOD URI" per HTTP request served.
 *
 * Every op works as a send or a request ({"op":...} in JSON); the answer
 * (of a request) is a JSON object, {"error":"..."} when the import failed:
 *   now                        {"now":MS}
 *   set delay                  sets a timer: {"id":ID}
 *   setmany n, delay           sets n timers: {"set":N} (stops at an error)
 *   cancel id                  {"ok":true}
 *   random n                   n random bytes: {"hex":"..."}
 *   u64                        {"u64":"16 hex digits"}
 *   env name                   {"set":B,"value":"...","exists":B}
 *   vars                       {"vars":"A=1;B=2;"} (list-vars, in its order)
 *   read path                  {"data":"..."}
 *   write path, data           {"ok":true}
 *   list path                  {"names":"a;b;"}
 *   delete / mkdir / rmdir path  {"ok":true}
 *   exists path                {"exists":B}
 *   http method, url [, body] [, header]
 *                              sends the request (header "x-test: HEADER"):
 *                              {"status":N,"headers":"k=v;...","body":"..."}
 *                              ("body":null when the response has none)
 *   log                        {"log":"the state's text"}
 *
 * Served HTTP requests are echoed: status 200 + the number of request
 * headers, headers x-method and x-uri then the request's own, and the
 * request's body (none when it had none). */
#include <stdlib.h>

#include "theater/actor.h"
#include "theater/json.h"

#define OP_MAX 16
#define TEXT_MAX 4096

static void state_append(theater_state *state, const char *line, size_t len)
{
    theater_buf b = {0};
    if (state->some)
        theater_buf_append(&b, state->bytes.ptr, state->bytes.len);
    theater_buf_append(&b, line, len);
    theater_buf_append_byte(&b, '\n');
    theater_state_set(state, theater_buf_finish(&b));
}

static void append_u64(theater_buf *b, uint64_t v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        theater_buf_append_byte(b, (uint8_t)digits[--n]);
}

static void append_hex(theater_buf *b, const uint8_t *bytes, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        theater_buf_append_byte(b, (uint8_t)hex[bytes[i] >> 4]);
        theater_buf_append_byte(b, (uint8_t)hex[bytes[i] & 15]);
    }
}

/* "name=value;" for each pair. */
static void append_pairs(theater_buf *b, const theater_pair_list *pairs)
{
    for (size_t i = 0; i < pairs->len; i++) {
        theater_buf_append(b, pairs->items[i].name.ptr, pairs->items[i].name.len);
        theater_buf_append_byte(b, '=');
        theater_buf_append(b, pairs->items[i].value.ptr, pairs->items[i].value.len);
        theater_buf_append_byte(b, ';');
    }
}

/* ---- Answers ---------------------------------------------------------------- */

/* {"error":"..."} from a failed import; takes the error. */
static theater_bytes answer_error(theater_err *e)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_string(&w, "error", e->msg, e->len);
    theater_err_free(e);
    return theater_json_end(&w);
}

static theater_bytes answer_ok(theater_err e)
{
    if (theater_failed(e))
        return answer_error(&e);
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_bool(&w, "ok", true);
    return theater_json_end(&w);
}

static theater_bytes answer_int(const char *key, int64_t value)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, key, value);
    return theater_json_end(&w);
}

/* {"key":"text"}; takes the buffer. */
static theater_bytes answer_text(const char *key, theater_buf *text)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_string(&w, key, text->ptr, text->len);
    theater_buf_free(text);
    return theater_json_end(&w);
}

static theater_bytes answer_bool(const char *key, bool value)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_bool(&w, key, value);
    return theater_json_end(&w);
}

/* ---- Reading the message ---------------------------------------------------- */

typedef struct message {
    const theater_bytes *json;
    char text[TEXT_MAX];
    size_t text_len;
} message;

static theater_err get_text(message *m, const char *key)
{
    theater_json_status s = theater_json_get_string(m->json->ptr, m->json->len, key, m->text,
                                                    sizeof m->text, &m->text_len);
    return s == THEATER_JSON_OK ? THEATER_OK : theater_json_error(key, "a string", s);
}

static theater_err get_int(message *m, const char *key, int64_t *out)
{
    theater_json_status s = theater_json_get_int(m->json->ptr, m->json->len, key, out);
    return s == THEATER_JSON_OK ? THEATER_OK : theater_json_error(key, "an integer", s);
}

/* ---- Timing, random, environment -------------------------------------------- */

static theater_err op_set(message *m, theater_bytes *out)
{
    int64_t delay;
    uint64_t id;
    theater_err e = get_int(m, "delay", &delay);
    if (theater_failed(e))
        return e;
    e = theater_set_timer((uint64_t)delay, &id);
    *out = theater_failed(e) ? answer_error(&e) : answer_int("id", (int64_t)id);
    return THEATER_OK;
}

static theater_err op_setmany(message *m, theater_bytes *out)
{
    int64_t n, delay, set = 0;
    uint64_t id;
    theater_err e = get_int(m, "n", &n);
    if (!theater_failed(e))
        e = get_int(m, "delay", &delay);
    if (theater_failed(e))
        return e;
    for (; set < n; set++) {
        e = theater_set_timer((uint64_t)delay, &id);
        if (theater_failed(e)) {
            theater_json_writer w;
            theater_json_begin(&w);
            theater_json_add_int(&w, "set", set);
            theater_json_add_string(&w, "error", e.msg, e.len);
            theater_err_free(&e);
            *out = theater_json_end(&w);
            return THEATER_OK;
        }
    }
    *out = answer_int("set", set);
    return THEATER_OK;
}

static theater_err op_cancel(message *m, theater_bytes *out)
{
    int64_t id;
    theater_err e = get_int(m, "id", &id);
    if (theater_failed(e))
        return e;
    *out = answer_ok(theater_cancel_timer((uint64_t)id));
    return THEATER_OK;
}

static theater_err op_random(message *m, theater_bytes *out)
{
    int64_t n;
    theater_bytes bytes;
    theater_err e = get_int(m, "n", &n);
    if (theater_failed(e))
        return e;
    if (n < 0 || n > UINT32_MAX)
        return theater_error("'n' must fit a u32");
    e = theater_random_bytes((uint32_t)n, &bytes);
    if (theater_failed(e)) {
        *out = answer_error(&e);
        return THEATER_OK;
    }
    theater_buf hex = {0};
    append_hex(&hex, bytes.ptr, bytes.len);
    theater_bytes_free(&bytes);
    *out = answer_text("hex", &hex);
    return THEATER_OK;
}

static theater_err op_u64(theater_bytes *out)
{
    uint64_t v = theater_random_u64();
    uint8_t be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)(v >> (56 - 8 * i));
    theater_buf hex = {0};
    append_hex(&hex, be, sizeof be);
    *out = answer_text("u64", &hex);
    return THEATER_OK;
}

static theater_err op_env(message *m, theater_bytes *out)
{
    theater_string value;
    theater_err e = get_text(m, "name");
    if (theater_failed(e))
        return e;
    bool set = theater_env_get_var(m->text, m->text_len, &value);
    bool exists = theater_env_exists(m->text, m->text_len);
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_bool(&w, "set", set);
    theater_json_add_string(&w, "value", value.ptr, value.len);
    theater_json_add_bool(&w, "exists", exists);
    theater_string_free(&value);
    *out = theater_json_end(&w);
    return THEATER_OK;
}

static theater_err op_vars(theater_bytes *out)
{
    theater_pair_list vars = theater_env_list_vars();
    theater_buf text = {0};
    append_pairs(&text, &vars);
    theater_pair_list_free(&vars);
    *out = answer_text("vars", &text);
    return THEATER_OK;
}

/* ---- Filesystem -------------------------------------------------------------- */

static theater_err op_read(message *m, theater_bytes *out)
{
    theater_bytes data;
    theater_err e = theater_read_file(m->text, m->text_len, &data);
    if (theater_failed(e)) {
        *out = answer_error(&e);
        return THEATER_OK;
    }
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_string(&w, "data", data.ptr, data.len);
    theater_bytes_free(&data);
    *out = theater_json_end(&w);
    return THEATER_OK;
}

static theater_err op_write(message *m, theater_bytes *out)
{
    char data[TEXT_MAX];
    size_t data_len;
    theater_json_status s =
        theater_json_get_string(m->json->ptr, m->json->len, "data", data, sizeof data, &data_len);
    if (s != THEATER_JSON_OK)
        return theater_json_error("data", "a string", s);
    *out = answer_ok(theater_write_file(m->text, m->text_len, data, data_len));
    return THEATER_OK;
}

static theater_err op_list(message *m, theater_bytes *out)
{
    theater_string_list names;
    theater_err e = theater_list_files(m->text, m->text_len, &names);
    if (theater_failed(e)) {
        *out = answer_error(&e);
        return THEATER_OK;
    }
    theater_buf text = {0};
    for (size_t i = 0; i < names.len; i++) {
        theater_buf_append(&text, names.items[i].ptr, names.items[i].len);
        theater_buf_append_byte(&text, ';');
    }
    theater_string_list_free(&names);
    *out = answer_text("names", &text);
    return THEATER_OK;
}

static theater_err op_exists(message *m, theater_bytes *out)
{
    bool exists;
    theater_err e = theater_path_exists(m->text, m->text_len, &exists);
    *out = theater_failed(e) ? answer_error(&e) : answer_bool("exists", exists);
    return THEATER_OK;
}

/* The ops that take a path. */
static theater_err op_file(const char *op, message *m, theater_bytes *out)
{
    theater_err e = get_text(m, "path");
    if (theater_failed(e))
        return e;
    if (strcmp(op, "read") == 0)
        return op_read(m, out);
    if (strcmp(op, "write") == 0)
        return op_write(m, out);
    if (strcmp(op, "list") == 0)
        return op_list(m, out);
    if (strcmp(op, "exists") == 0)
        return op_exists(m, out);
    if (strcmp(op, "delete") == 0)
        e = theater_delete_file(m->text, m->text_len);
    else if (strcmp(op, "mkdir") == 0)
        e = theater_create_dir(m->text, m->text_len);
    else
        e = theater_delete_dir(m->text, m->text_len);
    *out = answer_ok(e);
    return THEATER_OK;
}

/* ---- HTTP client ------------------------------------------------------------- */

static theater_bytes describe_response(const theater_http_response *resp)
{
    theater_buf headers = {0};
    append_pairs(&headers, &resp->headers);
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "status", resp->status);
    theater_json_add_string(&w, "headers", headers.ptr, headers.len);
    if (resp->has_body)
        theater_json_add_string(&w, "body", resp->body.ptr, resp->body.len);
    else
        theater_json_add_null(&w, "body");
    theater_buf_free(&headers);
    return theater_json_end(&w);
}

static theater_err op_http(message *m, theater_bytes *out)
{
    char method[OP_MAX];
    size_t method_len;
    theater_json_status s = theater_json_get_string(m->json->ptr, m->json->len, "method", method,
                                                    sizeof method, &method_len);
    if (s != THEATER_JSON_OK)
        return theater_json_error("method", "a string", s);
    theater_err e = get_text(m, "url");
    if (theater_failed(e))
        return e;
    theater_http_request req = theater_http_request_new(method, m->text);
    /* "header" and "body" are optional: a lookup that fails means none. */
    theater_err missing = get_text(m, "header");
    if (!theater_failed(missing))
        theater_pair_list_add_n(&req.headers, "x-test", 6, m->text, m->text_len);
    theater_err_free(&missing);
    missing = get_text(m, "body");
    if (!theater_failed(missing))
        theater_http_request_set_body(&req, m->text, m->text_len);
    theater_err_free(&missing);

    theater_http_response resp;
    e = theater_send_http(&req, &resp);
    theater_http_request_free(&req);
    if (theater_failed(e)) {
        *out = answer_error(&e);
        return THEATER_OK;
    }
    *out = describe_response(&resp);
    theater_http_response_free(&resp);
    return THEATER_OK;
}

/* ---- Dispatch ---------------------------------------------------------------- */

static theater_err run_op(theater_state *state, const theater_bytes *json, theater_bytes *out)
{
    message m = {.json = json};
    char op[OP_MAX];
    size_t op_len;
    theater_json_status s =
        theater_json_get_string(json->ptr, json->len, "op", op, sizeof op, &op_len);
    if (s != THEATER_JSON_OK)
        return theater_json_error("op", "a string", s);
    if (strcmp(op, "now") == 0) {
        *out = answer_int("now", (int64_t)theater_now());
        return THEATER_OK;
    }
    if (strcmp(op, "set") == 0)
        return op_set(&m, out);
    if (strcmp(op, "setmany") == 0)
        return op_setmany(&m, out);
    if (strcmp(op, "cancel") == 0)
        return op_cancel(&m, out);
    if (strcmp(op, "random") == 0)
        return op_random(&m, out);
    if (strcmp(op, "u64") == 0)
        return op_u64(out);
    if (strcmp(op, "env") == 0)
        return op_env(&m, out);
    if (strcmp(op, "vars") == 0)
        return op_vars(out);
    if (strcmp(op, "read") == 0 || strcmp(op, "write") == 0 || strcmp(op, "list") == 0 ||
        strcmp(op, "delete") == 0 || strcmp(op, "mkdir") == 0 || strcmp(op, "rmdir") == 0 ||
        strcmp(op, "exists") == 0)
        return op_file(op, &m, out);
    if (strcmp(op, "http") == 0)
        return op_http(&m, out);
    if (strcmp(op, "log") == 0) {
        theater_json_writer w;
        theater_json_begin(&w);
        theater_json_add_string(&w, "log", state->some ? state->bytes.ptr : NULL,
                                state->some ? state->bytes.len : 0);
        *out = theater_json_end(&w);
        return THEATER_OK;
    }
    return theater_error_detail("unknown op: ", op, op_len);
}

static theater_err on_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    return run_op(state, msg, response);
}

static theater_err on_send(theater_state *state, theater_bytes *msg)
{
    theater_bytes answer = {NULL, 0};
    theater_err e = run_op(state, msg, &answer);
    theater_bytes_free(&answer);
    return e;
}

static theater_err on_timer(theater_state *state, uint64_t timer_id)
{
    theater_buf line = {0};
    theater_buf_append_cstr(&line, "timer ");
    append_u64(&line, timer_id);
    state_append(state, (const char *)line.ptr, line.len);
    theater_buf_free(&line);
    return THEATER_OK;
}

static theater_err on_http(theater_state *state, theater_http_request *req,
                           theater_http_response *resp)
{
    theater_buf line = {0};
    theater_buf_append_cstr(&line, "http ");
    theater_buf_append(&line, req->method.ptr, req->method.len);
    theater_buf_append_byte(&line, ' ');
    theater_buf_append(&line, req->uri.ptr, req->uri.len);
    state_append(state, (const char *)line.ptr, line.len);
    theater_buf_free(&line);

    resp->status = (uint16_t)(200 + req->headers.len);
    theater_pair_list_add_n(&resp->headers, "x-method", 8, req->method.ptr, req->method.len);
    theater_pair_list_add_n(&resp->headers, "x-uri", 5, req->uri.ptr, req->uri.len);
    for (size_t i = 0; i < req->headers.len; i++) {
        const theater_pair *h = &req->headers.items[i];
        theater_pair_list_add_n(&resp->headers, h->name.ptr, h->name.len, h->value.ptr,
                                h->value.len);
    }
    if (req->has_body) {
        resp->has_body = true;
        resp->body = theater_bytes_take(&req->body);
    }
    return THEATER_OK;
}

static theater_err init(theater_state *state, theater_string id)
{
    (void)id;
    state_append(state, "init", 4);
    return THEATER_OK;
}

THEATER_EXPORT_INIT(init)
THEATER_EXPORT_HANDLE_SEND(on_send)
THEATER_EXPORT_HANDLE_REQUEST(on_request)
THEATER_EXPORT_NO_CHANNELS()
THEATER_EXPORT_HANDLE_TIMER(on_timer)
THEATER_EXPORT_HTTP_HANDLE_REQUEST(on_http)
