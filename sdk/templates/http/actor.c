/* {{name}}: a Theater actor that serves HTTP. Its state is {"count":N}.
 *
 *   GET  /        200, a greeting (text/plain)
 *   GET  /count   200 {"count":N}
 *   POST /count   count += 1, then 200 {"count":N}
 *   another path is 404; another method on these paths is 405, with Allow
 *
 * The http-server handler granted in manifest.toml listens on the port it
 * names and hands each request to on_http below, one at a time (so two
 * clients POSTing at once never lose an increment). Every request and every
 * response is recorded in the actor's chain. The SDK's reference is
 * sdk/c/README.md (and sdk/c/include/theater/actor.h). */
#include "theater/actor.h"
#include "theater/json.h"

static theater_err read_count(const theater_state *state, int64_t *count)
{
    if (!state->some)
        return theater_error("the state is empty; expected {\"count\":N}");
    theater_json_status st =
        theater_json_get_int(state->bytes.ptr, state->bytes.len, "count", count);
    if (st != THEATER_JSON_OK)
        return theater_json_error("count", "an integer", st);
    return THEATER_OK;
}

static theater_bytes count_json(int64_t count)
{
    theater_json_writer w;
    theater_json_begin(&w);
    theater_json_add_int(&w, "count", count);
    return theater_json_end(&w);
}

static bool text_is(const theater_string *s, const char *text)
{
    return s->len == strlen(text) && memcmp(s->ptr, text, s->len) == 0;
}

/* The request's path is `path`, whatever its query ("/count?x=1"). */
static bool path_is(const theater_string *uri, const char *path)
{
    size_t len = 0;
    while (len < uri->len && uri->ptr[len] != '?')
        len++;
    return len == strlen(path) && memcmp(uri->ptr, path, len) == 0;
}

/* Fills in the response; the body becomes the response's, which the SDK
 * frees once the runtime has sent it. */
static void respond(theater_http_response *resp, uint16_t status, const char *content_type,
                    theater_bytes body)
{
    resp->status = status;
    theater_pair_list_add(&resp->headers, "Content-Type", content_type);
    resp->has_body = true;
    resp->body = body;
}

static void respond_text(theater_http_response *resp, uint16_t status, const char *text)
{
    respond(resp, status, "text/plain; charset=utf-8", theater_bytes_from_cstr(text));
}

static void refuse_method(theater_http_response *resp, const char *allowed)
{
    respond_text(resp, 405, "method not allowed\n");
    theater_pair_list_add(&resp->headers, "Allow", allowed);
}

/* GET or POST /count. */
static theater_err serve_count(theater_state *state, const theater_http_request *req,
                               theater_http_response *resp)
{
    bool post = text_is(&req->method, "POST");
    if (!post && !text_is(&req->method, "GET")) {
        refuse_method(resp, "GET, POST");
        return THEATER_OK;
    }
    int64_t count;
    theater_err e = read_count(state, &count);
    if (theater_failed(e))
        return e; /* the client gets a 500; the state stays as it was */
    if (post) {
        if (__builtin_add_overflow(count, 1, &count))
            return theater_error("the count would overflow a 64-bit integer");
        theater_state_set(state, count_json(count));
    }
    respond(resp, 200, "application/json", count_json(count));
    return THEATER_OK;
}

/* Every HTTP request. `*resp` starts as 200 with no headers and no body. */
static theater_err on_http(theater_state *state, theater_http_request *req,
                           theater_http_response *resp)
{
    if (path_is(&req->uri, "/count"))
        return serve_count(state, req, resp);
    if (!path_is(&req->uri, "/")) {
        respond_text(resp, 404, "not found: try GET / or GET, POST /count\n");
        return THEATER_OK;
    }
    if (!text_is(&req->method, "GET")) {
        refuse_method(resp, "GET");
        return THEATER_OK;
    }
    respond_text(resp, 200, "Hello from {{name}}!\n");
    return THEATER_OK;
}

/* Once, when the actor starts, with the manifest's initial_state (or none). */
static theater_err on_init(theater_state *state, theater_string actor_id)
{
    int64_t count;
    (void)actor_id;
    if (!state->some)
        theater_state_set(state, count_json(0));
    theater_err e = read_count(state, &count);
    if (theater_failed(e))
        return e;
    theater_log("{{name}} ready to serve HTTP");
    return THEATER_OK;
}

THEATER_EXPORT_INIT(on_init)
THEATER_EXPORT_HTTP_HANDLE_REQUEST(on_http)
