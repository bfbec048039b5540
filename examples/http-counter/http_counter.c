/* http-counter: a counter served over HTTP. Its state is {"count":N}.
 *
 *   GET  /      200 {"count":N}
 *   POST /inc   count += 1, then 200 {"count":N}
 *   other paths 404; another method on / or /inc 405 (with Allow)
 *
 * The query string is ignored (GET /?x=1 is GET /). Requests reach the
 * actor through its http-server handler (manifest.toml), one at a time, so
 * concurrent POSTs never lose an increment. */
#include "theater/actor.h"
#include "theater/json.h"

static theater_err read_count(const theater_state *state, int64_t *count)
{
    if (!state->some)
        return theater_error("the state is empty; expected {\"count\":N}");
    theater_json_status st =
        theater_json_get_int(state->bytes.ptr, state->bytes.len, "count", count);
    if (st != THEATER_JSON_OK) {
        theater_err e = theater_json_error("count", "an integer", st);
        theater_err wrapped = theater_error_detail("bad state: ", e.msg, e.len);
        theater_err_free(&e);
        return wrapped;
    }
    return THEATER_OK;
}

static theater_bytes count_json(int64_t count)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "count", count);
    return theater_json_end(&w);
}

/* The path without its query. */
static bool path_is(const theater_string *uri, const char *path)
{
    size_t len = 0;
    while (len < uri->len && uri->ptr[len] != '?')
        len++;
    return len == strlen(path) && memcmp(uri->ptr, path, len) == 0;
}

static bool method_is(const theater_string *method, const char *name)
{
    return method->len == strlen(name) && memcmp(method->ptr, name, method->len) == 0;
}

static void respond(theater_http_response *resp, uint16_t status, const char *type,
                    theater_bytes body)
{
    resp->status = status;
    theater_pair_list_add(&resp->headers, "Content-Type", type);
    resp->has_body = true;
    resp->body = body;
}

static void respond_text(theater_http_response *resp, uint16_t status, const char *text)
{
    respond(resp, status, "text/plain; charset=utf-8", theater_bytes_copy(text, strlen(text)));
}

static theater_err counter_http(theater_state *state, theater_http_request *req,
                                theater_http_response *resp)
{
    bool root = path_is(&req->uri, "/"), inc = path_is(&req->uri, "/inc");
    if (!root && !inc) {
        respond_text(resp, 404, "not found: try GET / or POST /inc\n");
        return THEATER_OK;
    }
    const char *allowed = root ? "GET" : "POST";
    if (!method_is(&req->method, allowed)) {
        respond_text(resp, 405, root ? "GET / reads the count\n" : "POST /inc adds one\n");
        theater_pair_list_add(&resp->headers, "Allow", allowed);
        return THEATER_OK;
    }
    int64_t count;
    theater_err e = read_count(state, &count);
    if (theater_failed(e))
        return e;
    if (inc) {
        if (__builtin_add_overflow(count, 1, &count))
            return theater_error("the count would overflow a 64-bit integer");
        theater_state_set(state, count_json(count));
    }
    respond(resp, 200, "application/json", count_json(count));
    return THEATER_OK;
}

static theater_err counter_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    int64_t count = 0;
    if (state->some)
        return read_count(state, &count);
    theater_state_set(state, count_json(0));
    return THEATER_OK;
}

THEATER_EXPORT_INIT(counter_init)
THEATER_EXPORT_HTTP_HANDLE_REQUEST(counter_http)
