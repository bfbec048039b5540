/* The export glue behind THEATER_EXPORT_*: lifts the canonical-ABI
 * parameters into the SDK's structs, calls the author's function, and lowers
 * its result into the return area the runtime reads (layouts in
 * docs/abi.md). The runtime then calls the matching cabi_post_ function,
 * which frees what the result pointed at. */
#include <stdlib.h>
#include <string.h>

#include "../include/theater/actor.h"

/* One return area serves every export: an actor handles one call at a time,
 * and the runtime has copied a result out before it calls the actor again.
 * The largest result, http-handlers#handle-request's, takes 40 bytes. */
static _Alignas(8) uint8_t ret_area[40];

/* The blocks the last result points at, for cabi_post_ to free. */
#define MAX_PENDING 3
static void *pending[MAX_PENDING];
/* An HTTP response's headers: an array of strings, each its own block. */
static theater_pair_list pending_headers;

/* Offsets inside result<tuple<state, ...>, string>. */
enum {
    RESULT_DISC = 0, /* u8: 0 ok, 1 err */
    ERR_PTR = 4,     /* err: the message */
    ERR_LEN = 8,
    STATE_SOME = 4, /* ok: the state's option discriminant (u8) */
    STATE_PTR = 8,  /* ok: the state's bytes */
    STATE_LEN = 12,
    EXTRA = 16,       /* ok: what follows the state (response, accept) */
    ACCEPT_SOME = 20, /* channel-accept's option<json>: discriminant (u8) */
    ACCEPT_PTR = 24,
    ACCEPT_LEN = 28,
    HTTP_STATUS = 16,    /* http-response: status (u16) */
    HTTP_HEADERS = 20,   /* its headers list */
    HTTP_BODY_SOME = 28, /* its body's option discriminant (u8) */
    HTTP_BODY = 32,      /* the body's bytes */
};

static void store_u8(size_t offset, uint8_t value)
{
    ret_area[offset] = value;
}

static void store_u16(size_t offset, uint16_t value)
{
    memcpy(ret_area + offset, &value, sizeof value);
}

static void store_u32(size_t offset, uint32_t value)
{
    memcpy(ret_area + offset, &value, sizeof value);
}

/* Pointers and sizes are 32 bits on wasm32, as the ABI's (ptr, len) pair. */
static void store_list(size_t offset, const void *ptr, size_t len)
{
    store_u32(offset, (uint32_t)(uintptr_t)ptr);
    store_u32(offset + 4, (uint32_t)len);
}

static void release_pending(void)
{
    for (size_t i = 0; i < MAX_PENDING; i++) {
        free(pending[i]);
        pending[i] = NULL;
    }
    theater_pair_list_free(&pending_headers);
}

/* Remembers a block for cabi_post_, once even when two fields share it. */
static void hold(void *block)
{
    size_t free_slot = MAX_PENDING;
    if (!block)
        return;
    for (size_t i = 0; i < MAX_PENDING; i++) {
        if (pending[i] == block)
            return;
        if (!pending[i] && free_slot == MAX_PENDING)
            free_slot = i;
    }
    if (free_slot == MAX_PENDING)
        __builtin_trap(); /* cannot happen: no result holds more blocks */
    pending[free_slot] = block;
}

/* A call normally starts with nothing pending; if the runtime skipped
 * cabi_post_ (say, after a failure on its side), free the leftovers now. */
static void begin_call(void)
{
    release_pending();
}

/* An option's discriminant. With none, the runtime's payload values mean
 * nothing and must not be freed. */
static bool lift_some(int32_t some)
{
    if (some != 0 && some != 1)
        __builtin_trap(); /* the runtime broke the ABI */
    return some == 1;
}

static theater_state lift_state(int32_t some, uint8_t *ptr, size_t len)
{
    if (!lift_some(some))
        return (theater_state){false, {NULL, 0}};
    return (theater_state){true, {ptr, len}};
}

/* actor-error's discriminant: its case number, as theater_actor_error_kind. */
static theater_actor_error_kind lift_error_kind(int32_t kind)
{
    if (kind < THEATER_ACTOR_ERROR_TRAP || kind > THEATER_ACTOR_ERROR_ABI_VIOLATION)
        __builtin_trap(); /* the runtime broke the ABI */
    return (theater_actor_error_kind)kind;
}

/* Makes sure bytes an author filled in are coherent before they are lowered. */
static void check_bytes(const theater_bytes *b)
{
    if (!b->ptr && b->len)
        __builtin_trap();
}

/* Lowers an error, dropping whatever else the call produced: the runtime
 * keeps the state from before the call. */
static uint8_t *lower_err(theater_err e, theater_state *state)
{
    theater_state_clear(state);
    store_u8(RESULT_DISC, 1);
    store_list(ERR_PTR, e.msg, e.len);
    hold(e.msg);
    return ret_area;
}

static void lower_ok_state(theater_state *state)
{
    store_u8(RESULT_DISC, 0);
    if (!state->some) {
        /* A none state owns nothing; free what an author may have left. */
        theater_bytes_free(&state->bytes);
        store_u8(STATE_SOME, 0);
        store_list(STATE_PTR, NULL, 0);
        return;
    }
    check_bytes(&state->bytes);
    store_u8(STATE_SOME, 1);
    store_list(STATE_PTR, state->bytes.ptr, state->bytes.len);
    hold(state->bytes.ptr);
}

static uint8_t *lower_state_result(theater_err e, theater_state *state)
{
    if (theater_failed(e))
        return lower_err(e, state);
    lower_ok_state(state);
    return ret_area;
}

uint8_t *theater_glue_init(theater_init_fn fn, int32_t state_some, uint8_t *state_ptr,
                           size_t state_len, char *id_ptr, size_t id_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_string id = {id_ptr, id_len};
    theater_err e = fn(&state, id);
    theater_string_free(&id);
    return lower_state_result(e, &state);
}

uint8_t *theater_glue_send(theater_send_fn fn, int32_t state_some, uint8_t *state_ptr,
                           size_t state_len, uint8_t *msg_ptr, size_t msg_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_bytes msg = {msg_ptr, msg_len};
    theater_err e = fn(&state, &msg);
    theater_bytes_free(&msg);
    return lower_state_result(e, &state);
}

uint8_t *theater_glue_request(theater_request_fn fn, int32_t state_some, uint8_t *state_ptr,
                              size_t state_len, uint8_t *msg_ptr, size_t msg_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_bytes msg = {msg_ptr, msg_len};
    theater_bytes response = {NULL, 0};
    theater_err e = fn(&state, &msg, &response);
    theater_bytes_free(&msg);
    if (theater_failed(e)) {
        theater_bytes_free(&response);
        return lower_err(e, &state);
    }
    check_bytes(&response);
    lower_ok_state(&state);
    store_list(EXTRA, response.ptr, response.len);
    hold(response.ptr);
    return ret_area;
}

uint8_t *theater_glue_channel_open(theater_channel_open_fn fn, int32_t state_some,
                                   uint8_t *state_ptr, size_t state_len, char *ch_ptr,
                                   size_t ch_len, uint8_t *msg_ptr, size_t msg_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_string channel = {ch_ptr, ch_len};
    theater_bytes msg = {msg_ptr, msg_len};
    theater_channel_accept accept = {false, false, {NULL, 0}};
    theater_err e = fn(&state, channel, &msg, &accept);
    theater_string_free(&channel);
    theater_bytes_free(&msg);
    if (theater_failed(e) || !accept.has_message)
        theater_bytes_free(&accept.message);
    if (theater_failed(e))
        return lower_err(e, &state);
    lower_ok_state(&state);
    store_u8(EXTRA, accept.accepted ? 1 : 0);
    store_u8(ACCEPT_SOME, accept.has_message ? 1 : 0);
    if (accept.has_message)
        check_bytes(&accept.message);
    store_list(ACCEPT_PTR, accept.message.ptr, accept.message.len);
    hold(accept.message.ptr);
    return ret_area;
}

uint8_t *theater_glue_channel_message(theater_channel_message_fn fn, int32_t state_some,
                                      uint8_t *state_ptr, size_t state_len, char *ch_ptr,
                                      size_t ch_len, uint8_t *msg_ptr, size_t msg_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_string channel = {ch_ptr, ch_len};
    theater_bytes msg = {msg_ptr, msg_len};
    theater_err e = fn(&state, channel, &msg);
    theater_string_free(&channel);
    theater_bytes_free(&msg);
    return lower_state_result(e, &state);
}

uint8_t *theater_glue_channel_close(theater_channel_close_fn fn, int32_t state_some,
                                    uint8_t *state_ptr, size_t state_len, char *ch_ptr,
                                    size_t ch_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_string channel = {ch_ptr, ch_len};
    theater_err e = fn(&state, channel);
    theater_string_free(&channel);
    return lower_state_result(e, &state);
}

uint8_t *theater_glue_child_error(theater_child_error_fn fn, int32_t state_some, uint8_t *state_ptr,
                                  size_t state_len, char *id_ptr, size_t id_len, int32_t error_kind,
                                  char *error_ptr, size_t error_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_string id = {id_ptr, id_len};
    /* Every case of actor-error carries a string, so the message is always
     * there to free, whatever the kind. */
    theater_actor_error error = {lift_error_kind(error_kind), {error_ptr, error_len}};
    theater_err e = fn(&state, id, error);
    theater_string_free(&id);
    theater_string_free(&error.message);
    return lower_state_result(e, &state);
}

uint8_t *theater_glue_child_exit(theater_child_exit_fn fn, int32_t state_some, uint8_t *state_ptr,
                                 size_t state_len, char *id_ptr, size_t id_len, int32_t data_some,
                                 uint8_t *data_ptr, size_t data_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_string id = {id_ptr, id_len};
    bool has_data = lift_some(data_some);
    theater_bytes data = {has_data ? data_ptr : NULL, has_data ? data_len : 0};
    theater_err e = fn(&state, id, has_data ? &data : NULL);
    theater_string_free(&id);
    theater_bytes_free(&data);
    return lower_state_result(e, &state);
}

uint8_t *theater_glue_child_external_stop(theater_child_external_stop_fn fn, int32_t state_some,
                                          uint8_t *state_ptr, size_t state_len, char *id_ptr,
                                          size_t id_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_string id = {id_ptr, id_len};
    theater_err e = fn(&state, id);
    theater_string_free(&id);
    return lower_state_result(e, &state);
}

/* The request the runtime handed over, as the SDK's struct; the header
 * array is used in place (theater_pair has the ABI's layout). */
static theater_http_request lift_http_request(char *method_ptr, size_t method_len, char *uri_ptr,
                                              size_t uri_len, theater_pair *headers_ptr,
                                              size_t headers_len, int32_t body_some,
                                              uint8_t *body_ptr, size_t body_len)
{
    theater_http_request req = {
        {method_ptr, method_len}, {uri_ptr, uri_len}, {headers_ptr, headers_len}, false, {NULL, 0}};
    if (lift_some(body_some)) {
        req.has_body = true;
        req.body = (theater_bytes){body_ptr, body_len};
    }
    return req;
}

static void check_string(const theater_string *s)
{
    if (!s->ptr && s->len)
        __builtin_trap();
}

/* Lowers the response after the state, and keeps its blocks for
 * cabi_post_; the headers go whole, since they hold 1 + 2n blocks. */
static void lower_http_response(theater_http_response *resp)
{
    theater_pair_list *h = &resp->headers;
    if (!h->items && h->len)
        __builtin_trap();
    for (size_t i = 0; i < h->len; i++) {
        check_string(&h->items[i].name);
        check_string(&h->items[i].value);
    }
    if (!resp->has_body)
        theater_bytes_free(&resp->body);
    check_bytes(&resp->body);
    store_u16(HTTP_STATUS, resp->status);
    store_list(HTTP_HEADERS, h->items, h->len);
    store_u8(HTTP_BODY_SOME, resp->has_body ? 1 : 0);
    store_list(HTTP_BODY, resp->body.ptr, resp->body.len);
    pending_headers = *h;
    *h = (theater_pair_list){NULL, 0};
    hold(resp->body.ptr);
}

uint8_t *theater_glue_http_request(theater_http_handler_fn fn, int32_t state_some,
                                   uint8_t *state_ptr, size_t state_len, char *method_ptr,
                                   size_t method_len, char *uri_ptr, size_t uri_len,
                                   theater_pair *headers_ptr, size_t headers_len, int32_t body_some,
                                   uint8_t *body_ptr, size_t body_len)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_http_request req =
        lift_http_request(method_ptr, method_len, uri_ptr, uri_len, headers_ptr, headers_len,
                          body_some, body_ptr, body_len);
    theater_http_response resp = {200, {NULL, 0}, false, {NULL, 0}};
    theater_err e = fn(&state, &req, &resp);
    theater_http_request_free(&req);
    if (theater_failed(e)) {
        theater_http_response_free(&resp);
        return lower_err(e, &state);
    }
    lower_ok_state(&state);
    lower_http_response(&resp);
    return ret_area;
}

uint8_t *theater_glue_timer(theater_timer_fn fn, int32_t state_some, uint8_t *state_ptr,
                            size_t state_len, uint64_t timer_id)
{
    begin_call();
    theater_state state = lift_state(state_some, state_ptr, state_len);
    theater_err e = fn(&state, timer_id);
    return lower_state_result(e, &state);
}

theater_err theater_refuse_channel_open(theater_state *state, theater_string channel_id,
                                        theater_bytes *msg, theater_channel_accept *accept)
{
    (void)state;
    (void)channel_id;
    (void)msg;
    *accept = (theater_channel_accept){false, false, {NULL, 0}};
    return THEATER_OK;
}

theater_err theater_refuse_channel_message(theater_state *state, theater_string channel_id,
                                           theater_bytes *msg)
{
    (void)state;
    (void)msg;
    return theater_error_detail("this actor accepts no channels; got a message on ", channel_id.ptr,
                                channel_id.len);
}

theater_err theater_refuse_channel_close(theater_state *state, theater_string channel_id)
{
    (void)state;
    (void)channel_id;
    return THEATER_OK;
}

void theater_glue_post(uint8_t *area)
{
    if (area != ret_area)
        __builtin_trap(); /* the runtime broke the ABI */
    release_pending();
}
