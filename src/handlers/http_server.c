/* theater:simple/http-handlers, served by [[handlers]] type = "http-server"
 * (docs/capabilities/http-server.md).
 *
 * One libmicrohttpd daemon per actor, with a thread per connection: reading
 * a slow client's headers or waiting for the actor blocks that connection's
 * thread and nobody else's. When a request is complete, its thread turns it
 * into the WIT value tuple<http-request>, queues it in the actor's mailbox as
 * a TH_MSG_HTTP_REQUEST and waits on the reply; the actor handles requests
 * one at a time in its turns (runtime/turn.c), so the call and its response
 * land in the chain like any other call. The connection thread then turns
 * the response value back into HTTP.
 *
 * Everything that can be refused without the actor is refused before the
 * actor sees it: headers over max_header_bytes (431), bodies over
 * max_body_bytes (413), a method that is not a token or text that is not
 * UTF-8 (400), a full mailbox or a stopped actor (503). A reply that does
 * not come within timeout_ms is a 504.
 *
 * Lifetime: the server lives between th_http_server_start and
 * th_http_server_stop, both called under the cell's lock by the thread
 * running the actor. Stop first stops accepting, lets every request still
 * waiting for the actor go (see stop_reason), waits briefly for the
 * responses on their way to be sent, then stops the daemon, which joins
 * every connection thread; only then is the server freed. So no connection
 * thread touches the cell, or the server, after stop returns. */
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/utf8.h"
#include "common/value.h"
#include "handlers/handlers.h"
#include "manifest/toml.h"
#include "runtime/runtime.h"

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_MAX_HEADER_BYTES (16 * 1024)
#define DEFAULT_MAX_BODY_BYTES (1024 * 1024)
#define DEFAULT_TIMEOUT_MS 30000
/* A connection with nothing to read or write for this long is closed: it
 * bounds how long an idle or stalled client keeps its thread. */
#define IDLE_TIMEOUT_S 30
/* Connections open at once (each one a thread); more are refused. */
#define CONNECTION_LIMIT 1024
/* A reply slot cannot be cancelled from outside, so a waiting request looks
 * up from it this often to see whether the server is stopping: stop runs on
 * the actor's own thread, which therefore cannot answer it meanwhile. */
#define WAIT_SLICE_MS 20
/* How long stop waits for responses already queued to reach their clients
 * before it closes every connection. */
#define DRAIN_MS 1000

/* Why the server stops, which tells a request still waiting for the actor
 * what became of it. */
typedef enum stop_reason {
    STOP_NONE,
    /* The actor stopped (th_cell_exit): every queued request has been
     * answered already, so one still waiting is the one whose call made the
     * actor fail, answered only after its supervisor has been told. */
    STOP_EXIT,
    /* The actor restarts, on this very thread, which cannot answer
     * meanwhile: requests still waiting get a 503, though they stay queued
     * and the new incarnation handles them (as a 504 does not mean "not
     * handled" either). */
    STOP_RESTART,
} stop_reason;

typedef struct http_server {
    th_cell *cell;
    struct MHD_Daemon *daemon;
    char where[300]; /* "host:port", for messages */
    size_t max_header_bytes, max_body_bytes;
    uint32_t timeout_ms;
    _Atomic stop_reason stopping;

    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t drained;
    unsigned answering; /* requests with a response on its way (see begin_answer) */
    bool capturing_log; /* while starting: MHD's messages explain a failure */
    char start_log[256];
} http_server;

/* One request, from its request line (uri_logged) to the end of its
 * response (request_completed). */
typedef struct http_request {
    char *uri;      /* the request target as sent: path and query */
    th_arena arena; /* the request value */
    th_val *value;  /* the http-request record, once the headers were read */
    th_buf body;
    bool too_large; /* the body went past max_body_bytes: read, dropped, 413 */
    bool answering; /* counted in server->answering */
} http_request;

/* ---- Plain responses ----------------------------------------------------------------------- */

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO; /* out of memory: MHD closes the connection */
    enum MHD_Result rc = MHD_YES;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8") !=
            MHD_YES ||
        (status == MHD_HTTP_SERVICE_UNAVAILABLE &&
         MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1") != MHD_YES))
        rc = MHD_NO;
    if (rc == MHD_YES)
        rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* ---- Request values ------------------------------------------------------------------------- */

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* An HTTP token (RFC 9110 5.6.2): what methods and header names are made of. */
static bool is_token(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

typedef struct header_walk {
    th_arena *arena;
    th_val *items;
    size_t n, cap;
    size_t bytes; /* "name: value\r\n" of each */
    bool bad_utf8;
} header_walk;

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    header_walk *w = cls;
    if (!value) { /* MHD's way of saying "no value" */
        value = "";
        value_size = 0;
    }
    w->bytes += key_size + value_size + 4;
    if (!th_utf8_valid((const uint8_t *)key, key_size) ||
        !th_utf8_valid((const uint8_t *)value, value_size)) {
        w->bad_utf8 = true;
        return MHD_NO;
    }
    if (w->n == w->cap)
        return MHD_NO; /* cannot happen: counted first */
    th_val *pair = &w->items[w->n++];
    pair->kind = TH_VAL_TUPLE;
    pair->list.len = 2;
    pair->list.items = th_arena_alloc(w->arena, 2 * sizeof(th_val));
    pair->list.items[0] = *th_val_string(w->arena, key, key_size);
    pair->list.items[1] = *th_val_string(w->arena, value, value_size);
    return MHD_YES;
}

/* Why a request is refused before the actor sees it. */
typedef struct refusal {
    unsigned status; /* 0: not refused */
    const char *text;
} refusal;

static const refusal not_refused = {0, NULL};

/* Builds the request record, all but its body, from the request line and
 * the headers; or says why the request is refused. */
static refusal read_head(http_server *s, http_request *req, struct MHD_Connection *conn,
                         const char *method, const char *version)
{
    size_t method_len = strlen(method), uri_len = strlen(req->uri);
    if (!is_token(method, method_len))
        return (refusal){MHD_HTTP_BAD_REQUEST, "400 Bad Request: malformed method\n"};
    int count = MHD_get_connection_values_n(conn, MHD_HEADER_KIND, NULL, NULL);
    header_walk w = {.arena = &req->arena, .cap = count > 0 ? (size_t)count : 0};
    w.items = w.cap ? th_arena_alloc(&req->arena, w.cap * sizeof(th_val)) : NULL;
    w.bytes = method_len + 1 + uri_len + 1 + strlen(version) + 2;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, add_header, &w);
    if (w.bytes > s->max_header_bytes)
        return (refusal){MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
                         "431 Request Header Fields Too Large\n"};
    if (w.bad_utf8 || !th_utf8_valid((const uint8_t *)req->uri, uri_len))
        return (refusal){MHD_HTTP_BAD_REQUEST,
                         "400 Bad Request: the target or a header is not UTF-8\n"};
    /* Announced too large: refused before a byte of it is read. */
    const char *length =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length && strtoull(length, NULL, 10) > s->max_body_bytes)
        return (refusal){MHD_HTTP_CONTENT_TOO_LARGE, "413 Content Too Large\n"};

    th_val *headers = th_val_new(&req->arena, TH_VAL_LIST);
    headers->list.items = w.items;
    headers->list.len = w.n;
    th_val *rec = th_val_tuple(&req->arena, 4);
    rec->list.items[0] = *th_val_string(&req->arena, method, method_len);
    rec->list.items[1] = *th_val_string(&req->arena, req->uri, uri_len);
    rec->list.items[2] = *headers;
    /* items[3], the body, once it has been read */
    req->value = rec;
    return not_refused;
}

static bool has_body(struct MHD_Connection *conn, const http_request *req)
{
    return req->body.len > 0 ||
           MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) ||
           MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* ---- Response values ------------------------------------------------------------------------ */

/* Header names and values that MHD would pass through verbatim: a CR or LF
 * would let the actor split the response. */
static bool header_ok(const th_val *pair)
{
    if (pair->kind != TH_VAL_TUPLE || pair->list.len != 2 ||
        pair->list.items[0].kind != TH_VAL_STRING || pair->list.items[1].kind != TH_VAL_STRING)
        return false;
    const th_val *name = &pair->list.items[0], *value = &pair->list.items[1];
    if (!is_token((const char *)name->bytes.ptr, name->bytes.len))
        return false;
    for (size_t i = 0; i < value->bytes.len; i++) {
        uint8_t c = value->bytes.ptr[i];
        if (c == '\r' || c == '\n' || c == '\0')
            return false;
    }
    return true;
}

/* MHD frames the body itself; the actor's word on framing is dropped. */
static bool framing_header(const th_val *name)
{
    const char *n = (const char *)name->bytes.ptr; /* NUL-terminated (value.c) */
    return strcasecmp(n, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0 ||
           strcasecmp(n, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0;
}

/* The actor's http-response, checked: NULL when it is not one we can send. */
static const th_val *checked_response(const th_val *v)
{
    if (v->kind != TH_VAL_TUPLE || v->list.len != 3)
        return NULL;
    const th_val *status = &v->list.items[0], *headers = &v->list.items[1],
                 *body = &v->list.items[2];
    if (status->kind != TH_VAL_U16 || status->u < 200 || status->u > 599)
        return NULL;
    if (headers->kind != TH_VAL_LIST || body->kind != TH_VAL_OPTION)
        return NULL;
    if (body->var.payload && body->var.payload->kind != TH_VAL_BYTES)
        return NULL;
    for (size_t i = 0; i < headers->list.len; i++)
        if (!header_ok(&headers->list.items[i]))
            return NULL;
    return v;
}

#define INVALID_TEXT "500 Internal Server Error: the actor's response is not valid HTTP\n"

static enum MHD_Result answer_value(struct MHD_Connection *conn, const th_val *v)
{
    unsigned status = (unsigned)v->list.items[0].u;
    const th_val *headers = &v->list.items[1], *body = v->list.items[2].var.payload;
    if (status == MHD_HTTP_NO_CONTENT || status == MHD_HTTP_NOT_MODIFIED)
        body = NULL; /* these have no body, whatever the actor says */
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        body ? body->bytes.len : 0, body ? (void *)body->bytes.ptr : (void *)"",
        MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO; /* out of memory: MHD closes the connection */
    bool added = true;
    for (size_t i = 0; i < headers->list.len && added; i++) {
        const th_val *pair = headers->list.items[i].list.items;
        added = framing_header(&pair[0]) ||
                MHD_add_response_header(resp, (const char *)pair[0].bytes.ptr,
                                        (const char *)pair[1].bytes.ptr) == MHD_YES;
    }
    /* MHD refuses a few headers it manages itself with values it cannot
     * honour (e.g. a Connection it does not understand). */
    enum MHD_Result rc = added ? MHD_queue_response(conn, status, resp)
                               : answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, INVALID_TEXT);
    MHD_destroy_response(resp);
    return rc;
}

/* ---- Asking the actor ------------------------------------------------------------------------ */

typedef enum wait_outcome {
    WAIT_ANSWERED,
    WAIT_TIMED_OUT,
    WAIT_STOPPED, /* the server stops: stop_reason says why */
} wait_outcome;

#define FAILED_TEXT "500 Internal Server Error: the actor failed on this request\n"

static wait_outcome wait_for_reply(http_server *s, th_reply *r)
{
    int64_t deadline = th_monotonic_ns() + (int64_t)s->timeout_ms * 1000000;
    for (;;) {
        if (th_reply_wait(r, WAIT_SLICE_MS))
            return WAIT_ANSWERED;
        /* Answers given before the stop began (requests the stopped actor
         * never handled) are seen here, after it. */
        if (atomic_load(&s->stopping))
            return th_reply_wait(r, 1) ? WAIT_ANSWERED : WAIT_STOPPED;
        if (th_monotonic_ns() >= deadline)
            return WAIT_TIMED_OUT;
    }
}

/* The actor's answer, or the 5xx that says why there is none. The turn
 * answers a request it never handled (the actor stopped, or crashed on an
 * earlier one) with the error below; anything else it fails with is this
 * request's own failure. */
static enum MHD_Result answer_reply(struct MHD_Connection *conn, th_reply *r)
{
    if (!r->ok) {
        if (strstr(r->error, " stopped before handling this"))
            return answer_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                               "503 Service Unavailable: the actor stopped\n");
        return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, FAILED_TEXT);
    }
    th_arena arena = TH_ARENA_INIT;
    th_error err;
    const th_val *v = r->has_data ? th_val_decode(&arena, r->data, r->len, &err) : NULL;
    if (v)
        v = checked_response(v);
    enum MHD_Result rc =
        v ? answer_value(conn, v) : answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, INVALID_TEXT);
    th_arena_free(&arena);
    return rc;
}

static enum MHD_Result ask_actor(http_server *s, http_request *req, struct MHD_Connection *conn)
{
    req->value->list.items[3] = *th_val_option(
        &req->arena,
        has_body(conn, req) ? th_val_bytes(&req->arena, req->body.data, req->body.len) : NULL);
    th_val *params = th_val_tuple(&req->arena, 1);
    params->list.items[0] = *req->value;
    th_buf enc = TH_BUF_INIT;
    th_val_encode(params, &enc);
    th_msg *m = th_msg_new(TH_MSG_HTTP_REQUEST, enc.data, enc.len);
    th_buf_free(&enc);
    th_msg_link(m, NULL);
    th_reply *r = th_reply_new(); /* one reference for the message, one for us */
    m->reply = r;

    th_push_result pushed =
        atomic_load(&s->stopping) ? TH_PUSH_CLOSED : th_mailbox_push(s->cell, m, false);
    if (pushed != TH_PUSH_OK) {
        th_msg_free(m); /* and with it the message's reference */
        th_reply_release(r);
        return answer_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                           pushed == TH_PUSH_FULL
                               ? "503 Service Unavailable: the actor is busy\n"
                               : "503 Service Unavailable: the actor is not running\n");
    }
    enum MHD_Result rc;
    switch (wait_for_reply(s, r)) {
    case WAIT_ANSWERED:
        rc = answer_reply(conn, r);
        break;
    case WAIT_TIMED_OUT:
        rc = answer_text(conn, MHD_HTTP_GATEWAY_TIMEOUT,
                         "504 Gateway Timeout: the actor did not answer in time\n");
        break;
    default:
        rc = atomic_load(&s->stopping) == STOP_EXIT
                 ? answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, FAILED_TEXT)
                 : answer_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                               "503 Service Unavailable: the actor is restarting\n");
        break;
    }
    th_reply_release(r); /* the answer, if it comes later, is dropped */
    return rc;
}

/* ---- MHD callbacks ------------------------------------------------------------------------- */

/* From here until its completion the request's response must reach its
 * client before stop closes the connections. */
static void begin_answer(http_server *s, http_request *req)
{
    if (req->answering)
        return;
    req->answering = true;
    pthread_mutex_lock(&s->lock);
    s->answering++;
    pthread_mutex_unlock(&s->lock);
}

static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls, (void)conn;
    http_request *req = th_xcalloc(1, sizeof *req);
    req->uri = th_xstrdup(uri);
    return req;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode why)
{
    (void)conn, (void)why;
    http_server *s = cls;
    http_request *req = *con_cls;
    if (!req)
        return;
    *con_cls = NULL;
    if (req->answering) {
        pthread_mutex_lock(&s->lock);
        if (--s->answering == 0)
            pthread_cond_broadcast(&s->drained);
        pthread_mutex_unlock(&s->lock);
    }
    free(req->uri);
    th_arena_free(&req->arena);
    th_buf_free(&req->body);
    free(req);
}

/* Called once when the headers are in, once per piece of the body, and once
 * more (no data) when the request is complete. */
static enum MHD_Result handle_connection(void *cls, struct MHD_Connection *conn, const char *url,
                                         const char *method, const char *version,
                                         const char *upload_data, size_t *upload_data_size,
                                         void **con_cls)
{
    (void)url; /* decoded and without the query: req->uri is what was sent */
    http_server *s = cls;
    http_request *req = *con_cls;
    if (!req)
        return MHD_NO; /* cannot happen: uri_logged made one */
    if (!req->value) {
        refusal no = read_head(s, req, conn, method, version);
        if (!no.status)
            return MHD_YES;
        begin_answer(s, req);
        return answer_text(conn, no.status, no.text);
    }
    if (*upload_data_size) {
        if (!req->too_large && req->body.len + *upload_data_size > s->max_body_bytes) {
            /* Sent chunked, without a length: MHD cannot answer in the
             * middle of a body, so the rest is read and dropped, and the
             * answer is 413. */
            req->too_large = true;
            th_buf_free(&req->body);
        }
        if (!req->too_large)
            th_buf_append(&req->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    begin_answer(s, req);
    if (req->too_large)
        return answer_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "413 Content Too Large\n");
    return ask_actor(s, req, conn);
}

/* ---- Starting and stopping ---------------------------------------------------------------- */

/* MHD explains its failures only in its log: while starting, the first
 * message is kept for the error; afterwards its messages are dropped. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    http_server *s = cls;
    pthread_mutex_lock(&s->lock);
    if (s->capturing_log && !s->start_log[0]) {
        vsnprintf(s->start_log, sizeof s->start_log, fmt, ap);
        s->start_log[strcspn(s->start_log, "\r\n")] = '\0';
    }
    pthread_mutex_unlock(&s->lock);
}

static int64_t config_int(const toml_value *config, const char *key, int64_t fallback)
{
    const toml_value *v = config ? toml_table_get(config, key) : NULL;
    return v && v->kind == TOML_INTEGER ? v->i : fallback; /* the manifest checked the range */
}

static http_server *server_new(th_cell *cell)
{
    const th_handler_grant *g = th_manifest_grant(cell->actor->manifest, TH_HANDLER_HTTP_SERVER);
    const toml_value *config = g ? g->config : NULL;
    http_server *s = th_xcalloc(1, sizeof *s);
    s->cell = cell;
    s->max_header_bytes = (size_t)config_int(config, "max_header_bytes", DEFAULT_MAX_HEADER_BYTES);
    s->max_body_bytes = (size_t)config_int(config, "max_body_bytes", DEFAULT_MAX_BODY_BYTES);
    s->timeout_ms = (uint32_t)config_int(config, "timeout_ms", DEFAULT_TIMEOUT_MS);
    atomic_init(&s->stopping, STOP_NONE);
    pthread_condattr_t attr;
    /* Waits are measured on the monotonic clock, immune to clock steps. */
    if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
        pthread_cond_init(&s->drained, &attr) || pthread_mutex_init(&s->lock, NULL))
        abort();
    pthread_condattr_destroy(&attr);
    return s;
}

static void server_free(http_server *s)
{
    pthread_cond_destroy(&s->drained);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const char *config_host(const th_cell *cell)
{
    const th_handler_grant *g = th_manifest_grant(cell->actor->manifest, TH_HANDLER_HTTP_SERVER);
    const toml_value *host = g && g->config ? toml_table_get(g->config, "host") : NULL;
    return host && host->kind == TOML_STRING ? host->str.ptr : DEFAULT_HOST;
}

/* The address to listen on: an IPv4 one when the host has both, so that
 * "localhost" is 127.0.0.1 as clients expect. *addrs is freeaddrinfo's. */
static const struct addrinfo *resolve(const char *host, int port, struct addrinfo **addrs,
                                      th_error *err)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    int rc = getaddrinfo(host, service, &hints, addrs);
    if (rc) {
        th_error_set(err, "cannot resolve host '%s': %s", host, gai_strerror(rc));
        return NULL;
    }
    const struct addrinfo *v6 = NULL;
    for (const struct addrinfo *ai = *addrs; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET)
            return ai;
        if (ai->ai_family == AF_INET6 && !v6)
            v6 = ai;
    }
    if (!v6) {
        freeaddrinfo(*addrs);
        th_error_set(err, "host '%s' has no IPv4 or IPv6 address", host);
    }
    return v6;
}

static int start_daemon(http_server *s, const char *host, int port, th_error *err)
{
    struct addrinfo *addrs;
    const struct addrinfo *ai = resolve(host, port, &addrs, err);
    if (!ai)
        return -1;
    bool v6 = ai->ai_family == AF_INET6;
    snprintf(s->where, sizeof s->where, v6 ? "[%s]:%d" : "%s:%d", host, port);
    /* Room for the largest head we accept, and twice that, so that our own
     * count (not MHD's) decides between 431 and a request we serve. */
    size_t pool = 2 * s->max_header_bytes + 16 * 1024;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    s->capturing_log = true;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, handle_connection, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_URI_LOG_CALLBACK, uri_logged, s, MHD_OPTION_NOTIFY_COMPLETED, request_completed,
        s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)CONNECTION_LIMIT, MHD_OPTION_END);
    freeaddrinfo(addrs);
    pthread_mutex_lock(&s->lock);
    s->capturing_log = false;
    pthread_mutex_unlock(&s->lock);
    if (!s->daemon)
        return th_error_set(err, "cannot listen on %s: %s", s->where,
                            s->start_log[0] ? s->start_log : "libmicrohttpd could not start");
    return 0;
}

/* A supervisor must hold every capability of its children (runtime.c), so
 * it may be granted http-server only to hand it down: without the export it
 * serves nothing rather than being refused. */
static bool delegates_only(const th_actor *a)
{
    return th_manifest_grants(a->manifest, TH_HANDLER_SUPERVISOR) || a->manifest->n_children > 0;
}

int th_http_server_start(th_cell *cell, th_error *err)
{
    if (cell->http_server)
        return 0; /* already serving this incarnation */
    const th_actor *a = cell->actor;
    if (!a->module->has_export[TH_EXPORT_HTTP_REQUEST] && delegates_only(a))
        return 0;
    if (!a->module->has_export[TH_EXPORT_HTTP_REQUEST])
        return th_error_set(err,
                            "actor %s is granted the 'http-server' handler but does not export %s",
                            th_cell_name(cell), th_catalog_export(TH_EXPORT_HTTP_REQUEST)->name);
    const th_handler_grant *g = th_manifest_grant(a->manifest, TH_HANDLER_HTTP_SERVER);
    int port = (int)config_int(g ? g->config : NULL, "port", 0);
    http_server *s = server_new(cell);
    if (start_daemon(s, config_host(cell), port, err)) {
        th_error_wrap(err, "http-server of actor %s", th_cell_name(cell));
        server_free(s);
        return -1;
    }
    cell->http_server = s;
    return 0;
}

/* Lets the responses already on their way reach their clients, for up to
 * DRAIN_MS: a client that does not read must not hold the stop up. */
static void drain(http_server *s)
{
    struct timespec deadline = th_deadline_ms(DRAIN_MS);
    pthread_mutex_lock(&s->lock);
    while (s->answering > 0)
        if (pthread_cond_timedwait(&s->drained, &s->lock, &deadline))
            break;
    pthread_mutex_unlock(&s->lock);
}

void th_http_server_stop(th_cell *cell)
{
    http_server *s = cell->http_server;
    if (!s)
        return;
    cell->http_server = NULL;
    /* No new connections; the socket it hands back is ours to close, which
     * frees the port for a restart at once. */
    MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
    /* The turn marks the actor not alive before it stops a stopped actor's
     * services; a restart stops them while it is still alive. */
    atomic_store(&s->stopping, atomic_load(&cell->alive) ? STOP_RESTART : STOP_EXIT);
    drain(s);
    MHD_stop_daemon(s->daemon); /* closes every connection, joins every thread */
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    server_free(s);
}
