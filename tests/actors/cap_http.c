/* cap_http: the http-client handler's end-to-end actor
 * (tests/e2e/http_client.sh). Each request is one outgoing HTTP request,
 * {"url":URL[,"method":M][,"body":TEXT]} (GET without a body by default),
 * answered in plain text so that a shell can check it:
 *
 *   "ok:STATUS:BODY"   whatever the status (BODY empty when there is none)
 *   "err:WHY"          refused by the grant, unreachable, timed out, too large
 *
 * Its state counts the requests answered, so that a replay checks states as
 * well as answers. */
#include <stdlib.h>

#include "theater/actor.h"
#include "theater/json.h"

#define URL_MAX 8192
#define METHOD_MAX 32
#define BODY_MAX 65536

static theater_err http_init(theater_state *state, theater_string actor_id)
{
    (void)actor_id;
    theater_state_clear(state);
    return THEATER_OK;
}

static void count_request(theater_state *state)
{
    int64_t n = 0;
    for (size_t i = 0; state->some && i < state->bytes.len; i++)
        n = n * 10 + (state->bytes.ptr[i] - '0');
    theater_buf b = {0};
    theater_buf_append_i64(&b, n + 1);
    theater_state_set(state, theater_buf_finish(&b));
}

static theater_bytes describe(theater_err e, const theater_http_response *resp)
{
    theater_buf b = {0};
    if (e.msg) {
        theater_buf_append_cstr(&b, "err:");
        theater_buf_append(&b, e.msg, e.len);
        theater_err_free(&e);
        return theater_buf_finish(&b);
    }
    theater_buf_append_cstr(&b, "ok:");
    theater_buf_append_i64(&b, resp->status);
    theater_buf_append_byte(&b, ':');
    if (resp->has_body)
        theater_buf_append(&b, resp->body.ptr, resp->body.len);
    return theater_buf_finish(&b);
}

/* An optional string key: false (with *failure set) only when it is there
 * but not a string that fits. */
static bool optional_string(const theater_bytes *msg, const char *key, char *out, size_t cap,
                            size_t *len, bool *present, theater_err *failure)
{
    theater_json_status s = theater_json_get_string(msg->ptr, msg->len, key, out, cap, len);
    *present = s == THEATER_JSON_OK;
    if (s == THEATER_JSON_OK || s == THEATER_JSON_MISSING)
        return true;
    *failure = theater_json_error(key, "a string", s);
    return false;
}

static theater_err http_request(theater_state *state, theater_bytes *msg, theater_bytes *response)
{
    char *url = malloc(URL_MAX), *body = malloc(BODY_MAX), method[METHOD_MAX] = "GET";
    if (!url || !body)
        __builtin_trap();
    size_t url_len = 0, body_len = 0, method_len = 3;
    bool has_url = false, has_body = false, has_method = false;
    theater_err failure = THEATER_OK;
    if (optional_string(msg, "url", url, URL_MAX, &url_len, &has_url, &failure) &&
        optional_string(msg, "method", method, sizeof method, &method_len, &has_method, &failure) &&
        optional_string(msg, "body", body, BODY_MAX, &body_len, &has_body, &failure)) {
        if (!has_url) {
            failure = theater_error("'url' is missing");
        } else {
            theater_http_request req = theater_http_request_new(method, url);
            if (has_body)
                theater_http_request_set_body(&req, body, body_len);
            theater_http_response resp = {0};
            theater_err e = theater_send_http(&req, &resp);
            *response = describe(e, &resp);
            theater_http_response_free(&resp);
            theater_http_request_free(&req);
            count_request(state);
        }
    }
    free(url);
    free(body);
    return failure;
}

THEATER_EXPORT_INIT(http_init)
THEATER_EXPORT_HANDLE_REQUEST(http_request)
THEATER_EXPORT_NO_CHANNELS()
