/* The C actor SDK: write a Theater actor in plain C.
 *
 * An actor is a wasm32 core module that follows the canonical ABI of the WIT
 * world theater:simple/actor (wit/, docs/abi.md). This header hides that ABI:
 * you write ordinary C functions over plain structs, and one macro per export
 * turns each into the exported glue the runtime calls.
 *
 *   #include "theater/actor.h"
 *
 *   static theater_err on_send(theater_state *state, theater_bytes *msg)
 *   {
 *       theater_log("got a message");
 *       return THEATER_OK;
 *   }
 *   THEATER_EXPORT_HANDLE_SEND(on_send)
 *
 * Build it with theater_add_actor() from sdk/c/TheaterActor.cmake.
 *
 * Ownership, in one place:
 *
 * - Every theater_bytes, theater_string and theater_err that "owns" memory
 *   points at a malloc() block (never at a string literal), so anything the
 *   SDK hands you can be released with free() or the *_free helpers below.
 * - The state: `*state` holds the current state when your function is called
 *   and must hold the next one when it returns. It is yours in between: keep
 *   it, change it in place, or replace it with theater_state_set(), which
 *   frees the old bytes. After you return, the SDK hands it to the runtime and
 *   frees it once the runtime has copied it. If you return an error, the
 *   runtime keeps the state from before the call and the SDK frees `*state`.
 * - Messages (`theater_bytes *msg`): yours during the call. The SDK frees
 *   `*msg` after you return, unless you took it with theater_bytes_take()
 *   (for example to keep it as the new state without a copy).
 * - Ids (`theater_string actor_id`, `channel_id`): borrowed for the call; the
 *   SDK frees them after you return. Copy what you keep.
 * - Outputs you fill in (`*response`, `accept->message`): set them to bytes
 *   you own; the SDK frees them after the runtime copied them. They must not
 *   be the same block as the state.
 * - Errors: return theater_error(...) (an owned copy of the message); the SDK
 *   frees it after the runtime copied it.
 * - What a supervisor handler is told about a child (`child_id`, the error's
 *   `message`, the exit `data`) is borrowed for the call, like ids.
 * - Import wrappers (theater_log, theater_send, ...) only read what you pass
 *   them; what they return (ids, responses, states, lists, errors) is yours
 *   to free, lists with their own *_free helper, which frees every item too.
 *
 * Strings crossing the boundary (log lines, error messages, ids) must be
 * valid UTF-8: the runtime stops an actor that hands it anything else.
 * theater_error_detail() makes untrusted text safe to put in an error.
 *
 * Out of memory: the SDK's helpers trap (the call fails and the runtime
 * records it) rather than return a half-built value; malloc() itself still
 * returns NULL as usual.
 */
#ifndef THEATER_SDK_ACTOR_H
#define THEATER_SDK_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Plain data ----------------------------------------------------------- */

/* A byte string: a message, a response, the state's bytes. Not terminated. */
typedef struct theater_bytes {
    uint8_t *ptr;
    size_t len;
} theater_bytes;

/* UTF-8 text (an actor or channel id). Not NUL-terminated: use len. */
typedef struct theater_string {
    char *ptr;
    size_t len;
} theater_string;

/* The actor's state, option<list<u8>>: none, or some bytes (maybe empty). */
typedef struct theater_state {
    bool some;
    theater_bytes bytes;
} theater_state;

/* What every export returns, and what imports that can fail return:
 * msg == NULL means success, otherwise msg holds `len` bytes of UTF-8 (also
 * NUL-terminated, for convenience) that the holder owns. */
typedef struct theater_err {
    char *msg;
    size_t len;
} theater_err;

#define THEATER_OK ((theater_err){NULL, 0})

/* The answer to handle-channel-open: accept or refuse, with an optional
 * first message back to the opener. */
typedef struct theater_channel_accept {
    bool accepted;
    bool has_message;
    theater_bytes message; /* owned; only when has_message */
} theater_channel_accept;

/* ---- HTTP and the environment: lists of name/value pairs ------------------- */

/* A name and a value: an HTTP header, or an environment variable. On wasm32
 * this is exactly the canonical ABI's tuple<string, string> (16 bytes), so
 * lists of pairs cross the boundary without copying. */
typedef struct theater_pair {
    theater_string name;
    theater_string value;
} theater_pair;

/* Owned pairs: the array and every string in it are malloc() blocks of their
 * own; theater_pair_list_free() releases them all. */
typedef struct theater_pair_list {
    theater_pair *items;
    size_t len;
} theater_pair_list;

/* An HTTP request (http-request in wit/http.wit): what an http-server actor
 * is handed, and what theater_send_http() sends. */
typedef struct theater_http_request {
    theater_string method;     /* "GET", "POST", ... */
    theater_string uri;        /* server: path and query ("/count?x=1"); client: a full URL */
    theater_pair_list headers; /* in the order they came or go */
    bool has_body;
    theater_bytes body; /* only when has_body */
} theater_http_request;

/* An HTTP response (http-response in wit/http.wit). */
typedef struct theater_http_response {
    uint16_t status;
    theater_pair_list headers;
    bool has_body;
    theater_bytes body; /* only when has_body */
} theater_http_response;

/* ---- Supervision: what a parent learns about its children ---------------- */

/* Owned strings, e.g. the ids theater_list_children() returns. */
typedef struct theater_string_list {
    theater_string *items;
    size_t len;
} theater_string_list;

/* One event of a child's chain (chain-event in wit/types.wit). On wasm32 this
 * is exactly the canonical ABI's layout of the record, so the SDK hands you
 * the array the runtime wrote, without copying it. */
typedef struct theater_event {
    theater_bytes hash;        /* SHA-256 of the event's canonical encoding */
    bool has_parent;           /* false for the chain's first event */
    theater_bytes parent_hash; /* the previous event's hash; empty without one */
    theater_string event_type; /* "call", "return", "host", "spawn", ... */
    theater_bytes data;        /* the payload, as recorded */
    uint64_t timestamp;        /* wall-clock time, ns since the Unix epoch */
} theater_event;

typedef struct theater_event_list {
    theater_event *items;
    size_t len;
} theater_event_list;

/* How a child failed: the cases of actor-error in wit/types.wit, with their
 * values the variant's case numbers. */
typedef enum theater_actor_error_kind {
    THEATER_ACTOR_ERROR_TRAP = 0,          /* unreachable, out of bounds, ... */
    THEATER_ACTOR_ERROR_TIMEOUT = 1,       /* out of fuel or time for one call */
    THEATER_ACTOR_ERROR_OUT_OF_MEMORY = 2, /* hit its memory limit */
    THEATER_ACTOR_ERROR_EXPORT_ERROR = 3,  /* an export returned an error */
    THEATER_ACTOR_ERROR_ABI_VIOLATION = 4, /* a bad pointer, length or value */
} theater_actor_error_kind;

typedef struct theater_actor_error {
    theater_actor_error_kind kind;
    theater_string message; /* what the runtime recorded, UTF-8 */
} theater_actor_error;

/* ---- Helpers (sdk/c/src/memory.c) ----------------------------------------- */

/* Traps the current call. Used when memory runs out inside the SDK. */
__attribute__((noreturn)) void theater_oom(void);

/* malloc/realloc that trap instead of returning NULL. */
void *theater_xmalloc(size_t size);
void *theater_xrealloc(void *ptr, size_t size);

/* An owned copy of len bytes at data (data may be NULL when len is 0). */
theater_bytes theater_bytes_copy(const void *data, size_t len);
/* An owned copy of a NUL-terminated string, without the NUL. */
theater_bytes theater_bytes_from_cstr(const char *s);
/* Moves b out, leaving *b empty, so whoever held it no longer frees it. */
theater_bytes theater_bytes_take(theater_bytes *b);
/* Frees b's memory and empties it. Safe on an empty value. */
void theater_bytes_free(theater_bytes *b);
void theater_string_free(theater_string *s);

/* Replaces the state with some(bytes) (taking ownership of bytes), or with
 * none; either way the old bytes are freed. */
void theater_state_set(theater_state *state, theater_bytes bytes);
void theater_state_clear(theater_state *state);

/* Errors: an owned copy of msg, which must be valid UTF-8. */
theater_err theater_error(const char *msg);
/* prefix followed by untrusted text (e.g. a value from a message): at most
 * 64 of its bytes, and any byte that is not printable ASCII shown as '?', so
 * the message is always valid UTF-8 and bounded. */
theater_err theater_error_detail(const char *prefix, const void *detail, size_t len);
static inline bool theater_failed(theater_err e)
{
    return e.msg != NULL;
}
void theater_err_free(theater_err *e);

/* Supervision helpers (sdk/c/src/supervisor.c). The list frees release
 * every item, then the array, and leave the list empty; safe on an empty
 * list. */
void theater_string_list_free(theater_string_list *list);
void theater_event_list_free(theater_event_list *list);
/* The WIT name of a kind ("trap", "out-of-memory", ...), for log lines;
 * "unknown" for a value outside the enum. */
const char *theater_actor_error_kind_name(theater_actor_error_kind kind);

/* Pairs, requests and responses (sdk/c/src/http.c). */

/* Appends owned copies of name and value (NUL-terminated) to the list. */
void theater_pair_list_add(theater_pair_list *list, const char *name, const char *value);
/* The same with lengths, for text that is not NUL-terminated. */
void theater_pair_list_add_n(theater_pair_list *list, const char *name, size_t name_len,
                             const char *value, size_t value_len);
/* Frees every string, then the array, and leaves the list empty. */
void theater_pair_list_free(theater_pair_list *list);
/* The first pair whose name equals `name` ignoring ASCII case (HTTP header
 * names are case-insensitive), or NULL. */
const theater_pair *theater_http_header_find(const theater_pair_list *headers, const char *name);
/* An owned request for theater_send_http(): copies of method and uri, no
 * headers, no body. Add headers with theater_pair_list_add(&req.headers, ...)
 * and a body with theater_http_request_set_body(). */
theater_http_request theater_http_request_new(const char *method, const char *uri);
/* Replaces the body with an owned copy of len bytes at data. */
void theater_http_request_set_body(theater_http_request *req, const void *data, size_t len);
void theater_http_response_set_body(theater_http_response *resp, const void *data, size_t len);
/* Free everything the value owns and leave it empty. */
void theater_http_request_free(theater_http_request *req);
void theater_http_response_free(theater_http_response *resp);

/* A growable byte buffer, for building responses and states.
 * Zero-initialise it ({0}); theater_buf_finish hands over its bytes. */
typedef struct theater_buf {
    uint8_t *ptr;
    size_t len, cap;
} theater_buf;

void theater_buf_append(theater_buf *b, const void *data, size_t len);
void theater_buf_append_cstr(theater_buf *b, const char *s);
void theater_buf_append_byte(theater_buf *b, uint8_t byte);
void theater_buf_append_i64(theater_buf *b, int64_t value); /* in decimal */
/* The bytes built so far, owned by the caller; the buffer is left empty. */
theater_bytes theater_buf_finish(theater_buf *b);
void theater_buf_free(theater_buf *b);

/* ---- Exports ---------------------------------------------------------------
 * Write a function of the matching type and name it in its macro, once per
 * module, at file scope. An actor exports only what it names: the runtime
 * calls init at spawn, the message handlers when a message arrives (the
 * manifest must grant "message-server" for those) and the supervisor
 * handlers when a child stops ("supervisor"). Return THEATER_OK or an error. */

/* Called once after spawn with the initial state (the manifest's
 * initial_state, or none) and this actor's id. */
typedef theater_err (*theater_init_fn)(theater_state *state, theater_string actor_id);
/* A one-way message. */
typedef theater_err (*theater_send_fn)(theater_state *state, theater_bytes *msg);
/* A request: set *response (it starts empty) to the answer. */
typedef theater_err (*theater_request_fn)(theater_state *state, theater_bytes *msg,
                                          theater_bytes *response);
/* Another actor opens a channel with a first message: fill in *accept (it
 * starts as a refusal without a message). */
typedef theater_err (*theater_channel_open_fn)(theater_state *state, theater_string channel_id,
                                               theater_bytes *msg, theater_channel_accept *accept);
typedef theater_err (*theater_channel_message_fn)(theater_state *state, theater_string channel_id,
                                                  theater_bytes *msg);
typedef theater_err (*theater_channel_close_fn)(theater_state *state, theater_string channel_id);

#define THEATER_EXPORT_INIT(fn)                                                                    \
    THEATER_EXPORT_(                                                                               \
        theater_init_export_, "theater:simple/actor#init",                                         \
        (int32_t state_some, uint8_t * state_ptr, size_t state_len, char *id_ptr, size_t id_len),  \
        theater_glue_init(fn, state_some, state_ptr, state_len, id_ptr, id_len))

#define THEATER_EXPORT_HANDLE_SEND(fn)                                                             \
    THEATER_EXPORT_(theater_handle_send_export_,                                                   \
                    "theater:simple/message-server-client#handle-send",                            \
                    (int32_t state_some, uint8_t * state_ptr, size_t state_len, uint8_t * msg_ptr, \
                     size_t msg_len),                                                              \
                    theater_glue_send(fn, state_some, state_ptr, state_len, msg_ptr, msg_len))

#define THEATER_EXPORT_HANDLE_REQUEST(fn)                                                          \
    THEATER_EXPORT_(theater_handle_request_export_,                                                \
                    "theater:simple/message-server-client#handle-request",                         \
                    (int32_t state_some, uint8_t * state_ptr, size_t state_len, uint8_t * msg_ptr, \
                     size_t msg_len),                                                              \
                    theater_glue_request(fn, state_some, state_ptr, state_len, msg_ptr, msg_len))

#define THEATER_EXPORT_HANDLE_CHANNEL_OPEN(fn)                                                     \
    THEATER_EXPORT_(theater_channel_open_export_,                                                  \
                    "theater:simple/message-server-client#handle-channel-open",                    \
                    (int32_t state_some, uint8_t * state_ptr, size_t state_len, char *ch_ptr,      \
                     size_t ch_len, uint8_t *msg_ptr, size_t msg_len),                             \
                    theater_glue_channel_open(fn, state_some, state_ptr, state_len, ch_ptr,        \
                                              ch_len, msg_ptr, msg_len))

#define THEATER_EXPORT_HANDLE_CHANNEL_MESSAGE(fn)                                                  \
    THEATER_EXPORT_(theater_channel_message_export_,                                               \
                    "theater:simple/message-server-client#handle-channel-message",                 \
                    (int32_t state_some, uint8_t * state_ptr, size_t state_len, char *ch_ptr,      \
                     size_t ch_len, uint8_t *msg_ptr, size_t msg_len),                             \
                    theater_glue_channel_message(fn, state_some, state_ptr, state_len, ch_ptr,     \
                                                 ch_len, msg_ptr, msg_len))

#define THEATER_EXPORT_HANDLE_CHANNEL_CLOSE(fn)                                                    \
    THEATER_EXPORT_(                                                                               \
        theater_channel_close_export_,                                                             \
        "theater:simple/message-server-client#handle-channel-close",                               \
        (int32_t state_some, uint8_t * state_ptr, size_t state_len, char *ch_ptr, size_t ch_len),  \
        theater_glue_channel_close(fn, state_some, state_ptr, state_len, ch_ptr, ch_len))

/* For an actor that takes messages but no channels: exports the three
 * channel functions, refusing every channel. The runtime would refuse a
 * channel to an actor without them anyway; having them makes the module
 * implement the whole message-server-client interface, which `wasm-tools
 * component new` requires to turn it into a component. */
#define THEATER_EXPORT_NO_CHANNELS()                                                               \
    THEATER_EXPORT_HANDLE_CHANNEL_OPEN(theater_refuse_channel_open)                                \
    THEATER_EXPORT_HANDLE_CHANNEL_MESSAGE(theater_refuse_channel_message)                          \
    THEATER_EXPORT_HANDLE_CHANNEL_CLOSE(theater_refuse_channel_close)

/* What THEATER_EXPORT_NO_CHANNELS exports: open answers "not accepted",
 * a message is an error (no channel can be open), close changes nothing. */
theater_err theater_refuse_channel_open(theater_state *state, theater_string channel_id,
                                        theater_bytes *msg, theater_channel_accept *accept);
theater_err theater_refuse_channel_message(theater_state *state, theater_string channel_id,
                                           theater_bytes *msg);
theater_err theater_refuse_channel_close(theater_state *state, theater_string channel_id);

/* Supervisor handlers: a parent's runtime calls them when one of the
 * children it spawned (theater_spawn) stops. They need the manifest to grant
 * "supervisor". `child_id`, `error.message` and `*data` are borrowed for the
 * call. A parent without them is simply not told. */

/* The child failed (trapped, ran out of fuel, time or memory, broke the ABI,
 * or an export returned an error) and was stopped. */
typedef theater_err (*theater_child_error_fn)(theater_state *state, theater_string child_id,
                                              theater_actor_error error);
/* The child stopped itself with theater_shutdown(); `data` is what it passed
 * there, NULL when it passed none. */
typedef theater_err (*theater_child_exit_fn)(theater_state *state, theater_string child_id,
                                             const theater_bytes *data);
/* The child was stopped from outside (the CLI, the management server). */
typedef theater_err (*theater_child_external_stop_fn)(theater_state *state,
                                                      theater_string child_id);

#define THEATER_EXPORT_HANDLE_CHILD_ERROR(fn)                                                      \
    THEATER_EXPORT_(theater_child_error_export_,                                                   \
                    "theater:simple/supervisor-handlers#handle-child-error",                       \
                    (int32_t state_some, uint8_t * state_ptr, size_t state_len, char *id_ptr,      \
                     size_t id_len, int32_t error_kind, char *error_ptr, size_t error_len),        \
                    theater_glue_child_error(fn, state_some, state_ptr, state_len, id_ptr, id_len, \
                                             error_kind, error_ptr, error_len))

#define THEATER_EXPORT_HANDLE_CHILD_EXIT(fn)                                                       \
    THEATER_EXPORT_(theater_child_exit_export_,                                                    \
                    "theater:simple/supervisor-handlers#handle-child-exit",                        \
                    (int32_t state_some, uint8_t * state_ptr, size_t state_len, char *id_ptr,      \
                     size_t id_len, int32_t data_some, uint8_t *data_ptr, size_t data_len),        \
                    theater_glue_child_exit(fn, state_some, state_ptr, state_len, id_ptr, id_len,  \
                                            data_some, data_ptr, data_len))

#define THEATER_EXPORT_HANDLE_CHILD_EXTERNAL_STOP(fn)                                              \
    THEATER_EXPORT_(                                                                               \
        theater_child_external_stop_export_,                                                       \
        "theater:simple/supervisor-handlers#handle-child-external-stop",                           \
        (int32_t state_some, uint8_t * state_ptr, size_t state_len, char *id_ptr, size_t id_len),  \
        theater_glue_child_external_stop(fn, state_some, state_ptr, state_len, id_ptr, id_len))

/* An HTTP request to the actor's http-server (the manifest must grant
 * "http-server"). `*request` is yours during the call and freed after it
 * (take what you keep with theater_bytes_take()). `*response` starts as
 * status 200, no headers, no body: fill it in with bytes and pairs you own
 * (theater_pair_list_add(), theater_http_response_set_body()); the SDK frees
 * it after the runtime copied it, or at once if you return an error, which
 * the client sees as a 500. Every string and body must be a block of its
 * own, not the state's. */
typedef theater_err (*theater_http_handler_fn)(theater_state *state, theater_http_request *request,
                                               theater_http_response *response);

#define THEATER_EXPORT_HTTP_HANDLE_REQUEST(fn)                                                     \
    THEATER_EXPORT_(theater_http_request_export_, "theater:simple/http-handlers#handle-request",   \
                    (int32_t state_some, uint8_t * state_ptr, size_t state_len, char *method_ptr,  \
                     size_t method_len, char *uri_ptr, size_t uri_len, theater_pair *headers_ptr,  \
                     size_t headers_len, int32_t body_some, uint8_t *body_ptr, size_t body_len),   \
                    theater_glue_http_request(fn, state_some, state_ptr, state_len, method_ptr,    \
                                              method_len, uri_ptr, uri_len, headers_ptr,           \
                                              headers_len, body_some, body_ptr, body_len))

/* A timer this actor set with theater_set_timer() came due; `timer_id` is
 * what theater_set_timer() returned (the manifest grants "timing"). */
typedef theater_err (*theater_timer_fn)(theater_state *state, uint64_t timer_id);

#define THEATER_EXPORT_HANDLE_TIMER(fn)                                                            \
    THEATER_EXPORT_(                                                                               \
        theater_handle_timer_export_, "theater:simple/timing-handlers#handle-timer",               \
        (int32_t state_some, uint8_t * state_ptr, size_t state_len, uint64_t timer_id),            \
        theater_glue_timer(fn, state_some, state_ptr, state_len, timer_id))

/* ---- Imports ---------------------------------------------------------------
 * Static inline, so a module imports only the functions it calls; the
 * runtime refuses to start an actor whose imports its manifest does not
 * grant. runtime: always granted. message-server-host: "message-server".
 * supervisor: "supervisor". http-client, filesystem, timing, random and
 * environment: the handler of the same name. They exist only when compiling
 * for wasm (__wasm__). */
#ifdef __wasm__

/* Writes a line (UTF-8) to the runtime log and the chain. */
static inline void theater_log_n(const char *msg, size_t len);
static inline void theater_log(const char *msg)
{
    theater_log_n(msg, strlen(msg));
}

/* This actor's id (32 lowercase hex digits), owned by the caller. */
static inline theater_string theater_id(void);

/* Asks the runtime to stop this actor once the current call returns; data
 * (NULL for none) goes to its supervisor. */
static inline theater_err theater_shutdown(const void *data, size_t len);

/* Sends a one-way message (JSON by convention) to another actor. */
static inline theater_err theater_send(const char *actor_id, size_t id_len, const void *msg,
                                       size_t msg_len);
/* Sends a request and waits; on success *response (owned) holds the answer. */
static inline theater_err theater_request(const char *actor_id, size_t id_len, const void *msg,
                                          size_t msg_len, theater_bytes *response);
/* Opens a channel with a first message; on success *channel_id (owned). */
static inline theater_err theater_open_channel(const char *actor_id, size_t id_len, const void *msg,
                                               size_t msg_len, theater_string *channel_id);
static inline theater_err theater_send_on_channel(const char *channel_id, size_t id_len,
                                                  const void *msg, size_t msg_len);
static inline theater_err theater_close_channel(const char *channel_id, size_t id_len);

/* Spawns a child of this actor from the manifest at the path `manifest`,
 * with `state` as its initial state: NULL passes none, otherwise `state_len`
 * bytes (any non-NULL pointer with 0 passes an empty state). On success
 * *child_id (owned) is the child's id; on error it is empty. */
static inline theater_err theater_spawn(const char *manifest, size_t manifest_len,
                                        const void *state, size_t state_len,
                                        theater_string *child_id);
/* The ids of this actor's children; free with theater_string_list_free(). */
static inline theater_string_list theater_list_children(void);
static inline theater_err theater_stop_child(const char *child_id, size_t id_len);
static inline theater_err theater_restart_child(const char *child_id, size_t id_len);
/* A child's current state into *state (owned): out->some is false when the
 * child has none, and on error. */
static inline theater_err theater_get_child_state(const char *child_id, size_t id_len,
                                                  theater_state *state);
/* A child's chain, oldest event first, into *events (owned, free with
 * theater_event_list_free()); empty on error. */
static inline theater_err theater_get_child_events(const char *child_id, size_t id_len,
                                                   theater_event_list *events);

/* Sends an HTTP request (http-client; only to the hosts the manifest's
 * allowed_hosts lists). *request is only read: build it with
 * theater_http_request_new() and free it yourself. On success *response
 * (owned: theater_http_response_free()) holds the answer, whatever its
 * status; on error (refused, unreachable, timed out, too large) it is empty. */
static inline theater_err theater_send_http(const theater_http_request *request,
                                            theater_http_response *response);

/* Files beneath the root the manifest grants (filesystem). Paths are
 * relative to that root; `..`, absolute paths and symlinks cannot leave it.
 * What they return (contents, names) is owned by the caller and empty on
 * error. */
static inline theater_err theater_read_file(const char *path, size_t path_len,
                                            theater_bytes *content);
static inline theater_err theater_write_file(const char *path, size_t path_len, const void *data,
                                             size_t len);
/* The names in a directory (free with theater_string_list_free()). */
static inline theater_err theater_list_files(const char *path, size_t path_len,
                                             theater_string_list *names);
static inline theater_err theater_delete_file(const char *path, size_t path_len);
static inline theater_err theater_create_dir(const char *path, size_t path_len);
static inline theater_err theater_delete_dir(const char *path, size_t path_len);
/* *exists is false on error. */
static inline theater_err theater_path_exists(const char *path, size_t path_len, bool *exists);

/* Wall-clock time in milliseconds since the Unix epoch (timing; recorded, so
 * a replay sees the same time). */
static inline uint64_t theater_now(void);
/* Asks for a handle-timer call (THEATER_EXPORT_HANDLE_TIMER) after delay_ms;
 * *timer_id (0 on error) is the id that call will get. */
static inline theater_err theater_set_timer(uint64_t delay_ms, uint64_t *timer_id);
/* Cancels a timer of this actor that has not fired yet. */
static inline theater_err theater_cancel_timer(uint64_t timer_id);

/* len random bytes into *bytes (owned; empty on error, e.g. len too large)
 * (random; recorded). */
static inline theater_err theater_random_bytes(uint32_t len, theater_bytes *bytes);
static inline uint64_t theater_random_u64(void);

/* Environment variables on the manifest's allow-list (environment); any
 * other name looks unset. True and *value (owned) when the variable is set;
 * false and an empty *value otherwise. */
static inline bool theater_env_get_var(const char *name, size_t name_len, theater_string *value);
static inline bool theater_env_exists(const char *name, size_t name_len);
/* The allowed variables that are set, sorted by name (owned:
 * theater_pair_list_free()). */
static inline theater_pair_list theater_env_list_vars(void);
#endif

/* ==== Below: the machinery the macros and wrappers expand to ============== */

#define THEATER_EXPORT_(sym, name, params, call)                                                   \
    __attribute__((export_name(name))) uint8_t *sym params;                                        \
    uint8_t *sym params                                                                            \
    {                                                                                              \
        return call;                                                                               \
    }                                                                                              \
    __attribute__((export_name("cabi_post_" name))) void sym##post(uint8_t *area);                 \
    void sym##post(uint8_t *area)                                                                  \
    {                                                                                              \
        theater_glue_post(area);                                                                   \
    }

/* The allocator the runtime uses to hand the actor lists and strings
 * (canonical ABI: old_ptr, old_size, align, new_size). Exported by memory.c. */
void *cabi_realloc(void *old_ptr, size_t old_size, size_t align, size_t new_size);

/* Export glue (sdk/c/src/exports.c): each returns the return area. */
uint8_t *theater_glue_init(theater_init_fn fn, int32_t state_some, uint8_t *state_ptr,
                           size_t state_len, char *id_ptr, size_t id_len);
uint8_t *theater_glue_send(theater_send_fn fn, int32_t state_some, uint8_t *state_ptr,
                           size_t state_len, uint8_t *msg_ptr, size_t msg_len);
uint8_t *theater_glue_request(theater_request_fn fn, int32_t state_some, uint8_t *state_ptr,
                              size_t state_len, uint8_t *msg_ptr, size_t msg_len);
uint8_t *theater_glue_channel_open(theater_channel_open_fn fn, int32_t state_some,
                                   uint8_t *state_ptr, size_t state_len, char *ch_ptr,
                                   size_t ch_len, uint8_t *msg_ptr, size_t msg_len);
uint8_t *theater_glue_channel_message(theater_channel_message_fn fn, int32_t state_some,
                                      uint8_t *state_ptr, size_t state_len, char *ch_ptr,
                                      size_t ch_len, uint8_t *msg_ptr, size_t msg_len);
uint8_t *theater_glue_channel_close(theater_channel_close_fn fn, int32_t state_some,
                                    uint8_t *state_ptr, size_t state_len, char *ch_ptr,
                                    size_t ch_len);
uint8_t *theater_glue_child_error(theater_child_error_fn fn, int32_t state_some, uint8_t *state_ptr,
                                  size_t state_len, char *id_ptr, size_t id_len, int32_t error_kind,
                                  char *error_ptr, size_t error_len);
uint8_t *theater_glue_child_exit(theater_child_exit_fn fn, int32_t state_some, uint8_t *state_ptr,
                                 size_t state_len, char *id_ptr, size_t id_len, int32_t data_some,
                                 uint8_t *data_ptr, size_t data_len);
uint8_t *theater_glue_child_external_stop(theater_child_external_stop_fn fn, int32_t state_some,
                                          uint8_t *state_ptr, size_t state_len, char *id_ptr,
                                          size_t id_len);
uint8_t *theater_glue_http_request(theater_http_handler_fn fn, int32_t state_some,
                                   uint8_t *state_ptr, size_t state_len, char *method_ptr,
                                   size_t method_len, char *uri_ptr, size_t uri_len,
                                   theater_pair *headers_ptr, size_t headers_len, int32_t body_some,
                                   uint8_t *body_ptr, size_t body_len);
uint8_t *theater_glue_timer(theater_timer_fn fn, int32_t state_some, uint8_t *state_ptr,
                            size_t state_len, uint64_t timer_id);
/* The cabi_post_ functions: free what the last export returned. */
void theater_glue_post(uint8_t *area);

#ifdef __wasm__
#define THEATER_IMPORT_(module, field) __attribute__((import_module(module), import_name(field)))
#define THEATER_RUNTIME_ "theater:simple/runtime"
#define THEATER_MSH_ "theater:simple/message-server-host"
#define THEATER_SUP_ "theater:simple/supervisor"
#define THEATER_HTC_ "theater:simple/http-client"
#define THEATER_FS_ "theater:simple/filesystem"
#define THEATER_TIM_ "theater:simple/timing"
#define THEATER_RND_ "theater:simple/random"
#define THEATER_ENV_ "theater:simple/environment"

/* The raw imports, with their exact core signatures. Results that do not fit
 * one value are written by the host at `ret`, a return area in our memory. */
THEATER_IMPORT_(THEATER_RUNTIME_, "log")
void theater_import_log_(const char *ptr, size_t len);
THEATER_IMPORT_(THEATER_RUNTIME_, "id")
void theater_import_id_(void *ret);
THEATER_IMPORT_(THEATER_RUNTIME_, "shutdown")
void theater_import_shutdown_(int32_t some, const void *ptr, size_t len, void *ret);
THEATER_IMPORT_(THEATER_MSH_, "send")
void theater_import_send_(const char *id, size_t id_len, const void *msg, size_t len, void *ret);
THEATER_IMPORT_(THEATER_MSH_, "request")
void theater_import_request_(const char *id, size_t id_len, const void *msg, size_t len, void *ret);
THEATER_IMPORT_(THEATER_MSH_, "open-channel")
void theater_import_open_channel_(const char *id, size_t id_len, const void *msg, size_t len,
                                  void *ret);
THEATER_IMPORT_(THEATER_MSH_, "send-on-channel")
void theater_import_send_on_channel_(const char *ch, size_t ch_len, const void *msg, size_t len,
                                     void *ret);
THEATER_IMPORT_(THEATER_MSH_, "close-channel")
void theater_import_close_channel_(const char *ch, size_t ch_len, void *ret);
THEATER_IMPORT_(THEATER_SUP_, "spawn")
void theater_import_spawn_(const char *manifest, size_t manifest_len, int32_t state_some,
                           const void *state, size_t state_len, void *ret);
THEATER_IMPORT_(THEATER_SUP_, "list-children")
void theater_import_list_children_(void *ret);
THEATER_IMPORT_(THEATER_SUP_, "stop-child")
void theater_import_stop_child_(const char *id, size_t id_len, void *ret);
THEATER_IMPORT_(THEATER_SUP_, "restart-child")
void theater_import_restart_child_(const char *id, size_t id_len, void *ret);
THEATER_IMPORT_(THEATER_SUP_, "get-child-state")
void theater_import_get_child_state_(const char *id, size_t id_len, void *ret);
THEATER_IMPORT_(THEATER_SUP_, "get-child-events")
void theater_import_get_child_events_(const char *id, size_t id_len, void *ret);
THEATER_IMPORT_(THEATER_HTC_, "send-http")
void theater_import_send_http_(const char *method, size_t method_len, const char *uri,
                               size_t uri_len, const theater_pair *headers, size_t headers_len,
                               int32_t body_some, const void *body, size_t body_len, void *ret);
THEATER_IMPORT_(THEATER_FS_, "read-file")
void theater_import_read_file_(const char *path, size_t path_len, void *ret);
THEATER_IMPORT_(THEATER_FS_, "write-file")
void theater_import_write_file_(const char *path, size_t path_len, const void *data, size_t len,
                                void *ret);
THEATER_IMPORT_(THEATER_FS_, "list-files")
void theater_import_list_files_(const char *path, size_t path_len, void *ret);
THEATER_IMPORT_(THEATER_FS_, "delete-file")
void theater_import_delete_file_(const char *path, size_t path_len, void *ret);
THEATER_IMPORT_(THEATER_FS_, "create-dir")
void theater_import_create_dir_(const char *path, size_t path_len, void *ret);
THEATER_IMPORT_(THEATER_FS_, "delete-dir")
void theater_import_delete_dir_(const char *path, size_t path_len, void *ret);
THEATER_IMPORT_(THEATER_FS_, "path-exists")
void theater_import_path_exists_(const char *path, size_t path_len, void *ret);
THEATER_IMPORT_(THEATER_TIM_, "now")
uint64_t theater_import_now_(void);
THEATER_IMPORT_(THEATER_TIM_, "set-timer")
void theater_import_set_timer_(uint64_t delay_ms, void *ret);
THEATER_IMPORT_(THEATER_TIM_, "cancel-timer")
void theater_import_cancel_timer_(uint64_t timer_id, void *ret);
THEATER_IMPORT_(THEATER_RND_, "random-bytes")
void theater_import_random_bytes_(uint32_t len, void *ret);
THEATER_IMPORT_(THEATER_RND_, "random-u64")
uint64_t theater_import_random_u64_(void);
THEATER_IMPORT_(THEATER_ENV_, "get-var")
void theater_import_get_var_(const char *name, size_t name_len, void *ret);
THEATER_IMPORT_(THEATER_ENV_, "exists")
int32_t theater_import_env_exists_(const char *name, size_t name_len);
THEATER_IMPORT_(THEATER_ENV_, "list-vars")
void theater_import_list_vars_(void *ret);

/* What the host writes at `ret`: a (ptr, len) pair for a string or list, and
 * result<T, string> as a u8 discriminant followed by its payload at 4. */
typedef struct theater_ret_list_ {
    uint8_t *ptr;
    size_t len;
} theater_ret_list_;

typedef struct theater_ret_result_ {
    uint8_t is_err; /* 0: ok, 1: err */
    uint8_t pad_[3];
    theater_ret_list_ payload; /* ok: the value (if any); err: the message */
} theater_ret_result_;

/* result<option<list<u8>>, string>: the payload is aligned to 4 as before,
 * and the option inside it is a u8 discriminant with the bytes at 4 more. */
typedef struct theater_ret_option_result_ {
    uint8_t is_err; /* 0: ok, 1: err */
    uint8_t pad_[3];
    union {
        theater_ret_list_ err; /* the message */
        struct {
            uint8_t some; /* 0: none (bytes unwritten), 1: some */
            uint8_t pad_[3];
            theater_ret_list_ bytes;
        } ok;
    } u;
} theater_ret_option_result_;

/* result<u64, string>: the u64 makes the payload 8-aligned, so it starts at
 * 8, not 4. */
typedef struct theater_ret_u64_result_ {
    uint8_t is_err; /* 0: ok, 1: err */
    union {
        uint64_t ok;
        theater_ret_list_ err;
    } u;
} theater_ret_u64_result_;

/* result<bool, string>: the bool is one byte at 4. */
typedef struct theater_ret_bool_result_ {
    uint8_t is_err; /* 0: ok, 1: err */
    union {
        uint8_t ok;
        theater_ret_list_ err;
    } u;
} theater_ret_bool_result_;

/* option<string>: a u8 discriminant, the string at 4 (unwritten for none). */
typedef struct theater_ret_option_string_ {
    uint8_t some;
    theater_ret_list_ value;
} theater_ret_option_string_;

/* result<http-response, string>: the record's status (u16) at 4, headers at
 * 8, the body's option discriminant at 16 and its bytes at 20. */
typedef struct theater_ret_http_result_ {
    uint8_t is_err; /* 0: ok, 1: err */
    union {
        theater_ret_list_ err;
        struct {
            uint16_t status;
            theater_ret_list_ headers;
            uint8_t body_some;
            theater_ret_list_ body;
        } ok;
    } u;
} theater_ret_http_result_;

_Static_assert(offsetof(theater_ret_u64_result_, u.ok) == 8, "result<u64, string>: ok at 8");
_Static_assert(offsetof(theater_ret_u64_result_, u.err) == 8, "result<u64, string>: err at 8");
_Static_assert(sizeof(theater_ret_u64_result_) == 16, "result<u64, string>: 16 bytes");
_Static_assert(offsetof(theater_ret_bool_result_, u.ok) == 4, "result<bool, string>: ok at 4");
_Static_assert(offsetof(theater_ret_option_string_, value) == 4, "option<string>: string at 4");
_Static_assert(offsetof(theater_ret_http_result_, u.ok.status) == 4, "http-response: status at 4");
_Static_assert(offsetof(theater_ret_http_result_, u.ok.headers) == 8,
               "http-response: headers at 8");
_Static_assert(offsetof(theater_ret_http_result_, u.ok.body_some) == 16,
               "http-response: body at 16");
_Static_assert(offsetof(theater_ret_http_result_, u.ok.body) == 20, "http-response: bytes at 20");
_Static_assert(sizeof(theater_ret_http_result_) == 28, "result<http-response, string>: 28 bytes");
/* Headers and environment variables are lists of tuple<string, string>. */
_Static_assert(sizeof(theater_pair) == 16 && offsetof(theater_pair, value) == 8,
               "canonical ABI: tuple<string, string> is 16 bytes, the second string at 8");

_Static_assert(sizeof(theater_ret_list_) == 8, "canonical ABI: list is (i32 ptr, i32 len)");
_Static_assert(offsetof(theater_ret_result_, payload) == 4, "canonical ABI: payload at 4");
_Static_assert(offsetof(theater_ret_option_result_, u.ok.bytes) == 8,
               "canonical ABI: option<list<u8>> inside a result: bytes at 8");
_Static_assert(sizeof(theater_ret_option_result_) == 16, "canonical ABI: 16 bytes");

/* list<string> and list<chain-event> arrive as arrays of these, used in
 * place; the canonical ABI lays a chain-event out as hash (0), parent-hash's
 * discriminant (8) and bytes (12), event-type (20), data (28), timestamp
 * (40, aligned to 8): 48 bytes. */
_Static_assert(sizeof(theater_string) == 8, "canonical ABI: string is (i32 ptr, i32 len)");
_Static_assert(offsetof(theater_event, has_parent) == 8, "chain-event: parent-hash at 8");
_Static_assert(offsetof(theater_event, parent_hash) == 12, "chain-event: its bytes at 12");
_Static_assert(offsetof(theater_event, event_type) == 20, "chain-event: event-type at 20");
_Static_assert(offsetof(theater_event, data) == 28, "chain-event: data at 28");
_Static_assert(offsetof(theater_event, timestamp) == 40, "chain-event: timestamp at 40");
_Static_assert(sizeof(theater_event) == 48 && _Alignof(theater_event) == 8,
               "chain-event: 48 bytes aligned to 8");

/* An import's err(string) as a theater_err that owns the message. */
static inline theater_err theater_ret_err_(const theater_ret_list_ *message)
{
    /* The host allocated the message with cabi_realloc, without a NUL: give
     * it one so it is a C string too. */
    char *msg = (char *)theater_xrealloc(message->ptr, message->len + 1);
    msg[message->len] = '\0';
    return (theater_err){msg, message->len};
}

/* Turns an import's result<T, string> into a theater_err, handing an ok
 * payload (when the caller wants one) to *ok. */
static inline theater_err theater_ret_take_(const theater_ret_result_ *r, theater_bytes *ok)
{
    if (r->is_err)
        return theater_ret_err_(&r->payload);
    if (ok)
        *ok = (theater_bytes){r->payload.ptr, r->payload.len};
    return THEATER_OK;
}

/* Makes the events the host wrote valid C values: each parent-hash
 * discriminant the host stored as a byte becomes a bool, and the bytes of a
 * none, which the host leaves unwritten, become empty, so that
 * theater_event_list_free() never frees garbage. */
static inline void theater_events_adopt_(theater_event_list *events)
{
    for (size_t i = 0; i < events->len; i++) {
        theater_event *ev = &events->items[i];
        uint8_t disc;
        memcpy(&disc, &ev->has_parent, 1);
        if (disc > 1)
            __builtin_trap(); /* the runtime broke the ABI */
        ev->has_parent = disc == 1;
        if (!ev->has_parent)
            ev->parent_hash = (theater_bytes){NULL, 0};
    }
}

static inline void theater_log_n(const char *msg, size_t len)
{
    theater_import_log_(msg, len);
}

static inline theater_string theater_id(void)
{
    theater_ret_list_ ret;
    theater_import_id_(&ret);
    return (theater_string){(char *)ret.ptr, ret.len};
}

static inline theater_err theater_shutdown(const void *data, size_t len)
{
    theater_ret_result_ ret;
    theater_import_shutdown_(data != NULL, data, data ? len : 0, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_send(const char *actor_id, size_t id_len, const void *msg,
                                       size_t msg_len)
{
    theater_ret_result_ ret;
    theater_import_send_(actor_id, id_len, msg, msg_len, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_request(const char *actor_id, size_t id_len, const void *msg,
                                          size_t msg_len, theater_bytes *response)
{
    theater_ret_result_ ret;
    *response = (theater_bytes){NULL, 0};
    theater_import_request_(actor_id, id_len, msg, msg_len, &ret);
    return theater_ret_take_(&ret, response);
}

static inline theater_err theater_open_channel(const char *actor_id, size_t id_len, const void *msg,
                                               size_t msg_len, theater_string *channel_id)
{
    theater_ret_result_ ret;
    theater_bytes id = {NULL, 0};
    theater_import_open_channel_(actor_id, id_len, msg, msg_len, &ret);
    theater_err e = theater_ret_take_(&ret, &id);
    *channel_id = (theater_string){(char *)id.ptr, id.len};
    return e;
}

static inline theater_err theater_send_on_channel(const char *channel_id, size_t id_len,
                                                  const void *msg, size_t msg_len)
{
    theater_ret_result_ ret;
    theater_import_send_on_channel_(channel_id, id_len, msg, msg_len, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_close_channel(const char *channel_id, size_t id_len)
{
    theater_ret_result_ ret;
    theater_import_close_channel_(channel_id, id_len, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_spawn(const char *manifest, size_t manifest_len,
                                        const void *state, size_t state_len,
                                        theater_string *child_id)
{
    theater_ret_result_ ret;
    theater_bytes id = {NULL, 0};
    theater_import_spawn_(manifest, manifest_len, state != NULL, state, state ? state_len : 0,
                          &ret);
    theater_err e = theater_ret_take_(&ret, &id);
    *child_id = (theater_string){(char *)id.ptr, id.len};
    return e;
}

static inline theater_string_list theater_list_children(void)
{
    theater_ret_list_ ret;
    theater_import_list_children_(&ret);
    return (theater_string_list){(theater_string *)(void *)ret.ptr, ret.len};
}

static inline theater_err theater_stop_child(const char *child_id, size_t id_len)
{
    theater_ret_result_ ret;
    theater_import_stop_child_(child_id, id_len, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_restart_child(const char *child_id, size_t id_len)
{
    theater_ret_result_ ret;
    theater_import_restart_child_(child_id, id_len, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_get_child_state(const char *child_id, size_t id_len,
                                                  theater_state *state)
{
    theater_ret_option_result_ ret;
    *state = (theater_state){false, {NULL, 0}};
    theater_import_get_child_state_(child_id, id_len, &ret);
    if (ret.is_err)
        return theater_ret_err_(&ret.u.err);
    if (ret.u.ok.some)
        *state = (theater_state){true, {ret.u.ok.bytes.ptr, ret.u.ok.bytes.len}};
    return THEATER_OK;
}

static inline theater_err theater_get_child_events(const char *child_id, size_t id_len,
                                                   theater_event_list *events)
{
    theater_ret_result_ ret;
    theater_bytes list = {NULL, 0};
    *events = (theater_event_list){NULL, 0};
    theater_import_get_child_events_(child_id, id_len, &ret);
    theater_err e = theater_ret_take_(&ret, &list);
    if (theater_failed(e))
        return e;
    *events = (theater_event_list){(theater_event *)(void *)list.ptr, list.len};
    theater_events_adopt_(events);
    return THEATER_OK;
}
/* A list<string> the host wrote, as owned strings used in place. */
static inline theater_string_list theater_ret_strings_(theater_bytes list)
{
    return (theater_string_list){(theater_string *)(void *)list.ptr, list.len};
}

static inline theater_err theater_send_http(const theater_http_request *request,
                                            theater_http_response *response)
{
    theater_ret_http_result_ ret;
    const theater_http_request *r = request;
    *response = (theater_http_response){0, {NULL, 0}, false, {NULL, 0}};
    theater_import_send_http_(
        r->method.ptr, r->method.len, r->uri.ptr, r->uri.len, r->headers.items, r->headers.len,
        r->has_body, r->has_body ? r->body.ptr : NULL, r->has_body ? r->body.len : 0, &ret);
    if (ret.is_err)
        return theater_ret_err_(&ret.u.err);
    if (ret.u.ok.body_some > 1)
        __builtin_trap(); /* the runtime broke the ABI */
    response->status = ret.u.ok.status;
    response->headers =
        (theater_pair_list){(theater_pair *)(void *)ret.u.ok.headers.ptr, ret.u.ok.headers.len};
    if (ret.u.ok.body_some) {
        response->has_body = true;
        response->body = (theater_bytes){ret.u.ok.body.ptr, ret.u.ok.body.len};
    }
    return THEATER_OK;
}

static inline theater_err theater_read_file(const char *path, size_t path_len,
                                            theater_bytes *content)
{
    theater_ret_result_ ret;
    *content = (theater_bytes){NULL, 0};
    theater_import_read_file_(path, path_len, &ret);
    return theater_ret_take_(&ret, content);
}

static inline theater_err theater_write_file(const char *path, size_t path_len, const void *data,
                                             size_t len)
{
    theater_ret_result_ ret;
    theater_import_write_file_(path, path_len, data, len, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_list_files(const char *path, size_t path_len,
                                             theater_string_list *names)
{
    theater_ret_result_ ret;
    theater_bytes list = {NULL, 0};
    theater_import_list_files_(path, path_len, &ret);
    theater_err e = theater_ret_take_(&ret, &list);
    *names = theater_ret_strings_(list);
    return e;
}

static inline theater_err theater_delete_file(const char *path, size_t path_len)
{
    theater_ret_result_ ret;
    theater_import_delete_file_(path, path_len, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_create_dir(const char *path, size_t path_len)
{
    theater_ret_result_ ret;
    theater_import_create_dir_(path, path_len, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_delete_dir(const char *path, size_t path_len)
{
    theater_ret_result_ ret;
    theater_import_delete_dir_(path, path_len, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_path_exists(const char *path, size_t path_len, bool *exists)
{
    theater_ret_bool_result_ ret;
    *exists = false;
    theater_import_path_exists_(path, path_len, &ret);
    if (ret.is_err)
        return theater_ret_err_(&ret.u.err);
    if (ret.u.ok > 1)
        __builtin_trap(); /* the runtime broke the ABI */
    *exists = ret.u.ok == 1;
    return THEATER_OK;
}

static inline uint64_t theater_now(void)
{
    return theater_import_now_();
}

static inline theater_err theater_set_timer(uint64_t delay_ms, uint64_t *timer_id)
{
    theater_ret_u64_result_ ret;
    *timer_id = 0;
    theater_import_set_timer_(delay_ms, &ret);
    if (ret.is_err)
        return theater_ret_err_(&ret.u.err);
    *timer_id = ret.u.ok;
    return THEATER_OK;
}

static inline theater_err theater_cancel_timer(uint64_t timer_id)
{
    theater_ret_result_ ret;
    theater_import_cancel_timer_(timer_id, &ret);
    return theater_ret_take_(&ret, NULL);
}

static inline theater_err theater_random_bytes(uint32_t len, theater_bytes *bytes)
{
    theater_ret_result_ ret;
    *bytes = (theater_bytes){NULL, 0};
    theater_import_random_bytes_(len, &ret);
    return theater_ret_take_(&ret, bytes);
}

static inline uint64_t theater_random_u64(void)
{
    return theater_import_random_u64_();
}

static inline bool theater_env_get_var(const char *name, size_t name_len, theater_string *value)
{
    theater_ret_option_string_ ret;
    *value = (theater_string){NULL, 0};
    theater_import_get_var_(name, name_len, &ret);
    if (ret.some > 1)
        __builtin_trap(); /* the runtime broke the ABI */
    if (ret.some)
        *value = (theater_string){(char *)ret.value.ptr, ret.value.len};
    return ret.some == 1;
}

static inline bool theater_env_exists(const char *name, size_t name_len)
{
    return theater_import_env_exists_(name, name_len) != 0;
}

static inline theater_pair_list theater_env_list_vars(void)
{
    theater_ret_list_ ret;
    theater_import_list_vars_(&ret);
    return (theater_pair_list){(theater_pair *)(void *)ret.ptr, ret.len};
}
#endif /* __wasm__ */

#ifdef __cplusplus
}
#endif

#endif
