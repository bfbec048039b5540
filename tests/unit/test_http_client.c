/* The http-client handler (theater:simple/http-client) against a real HTTP
 * server on loopback, written here so that every answer (slow, huge,
 * folded, redirecting) is under the test's control and every connection is
 * counted: what the grant refuses must never reach a socket. Then a guest
 * through the canonical ABI, whose replay is identical with the server
 * stopped, and a runtime in which a slow request does not hold up the only
 * worker. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/value.h"
#include "exec/catalog.h"
#include "manifest/manifest.h"
#include "runtime/actor.h"
#include "runtime/replay.h"
#include "rt_fixture.h"

#define HTTP_IFACE "theater:simple/http-client"

/* ---- A server on loopback ------------------------------------------------------------------ */

typedef struct server {
    int fd;
    int port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int connections;
    int redirect_port; /* where /redirect points */
} server;

static void send_all(int fd, const void *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the client went away (a refused size): fine */
        p = (const char *)p + n;
        len -= (size_t)n;
    }
}

/* Reads one request (head and Content-Length body) into req; false when
 * the client closed first. */
static bool read_request(int fd, th_buf *req)
{
    size_t head_end = 0, want = 0;
    for (;;) {
        th_buf_reserve(req, 4096);
        ssize_t n = recv(fd, req->data + req->len, req->cap - req->len, 0);
        if (n <= 0)
            return false;
        req->len += (size_t)n;
        if (!head_end) {
            const char *end = memmem(req->data, req->len, "\r\n\r\n", 4);
            if (!end)
                continue;
            head_end = (size_t)((const uint8_t *)end - req->data) + 4;
            const char *cl = memmem(req->data, head_end, "Content-Length: ", 16);
            want = head_end + (cl ? strtoul(cl + 16, NULL, 10) : 0);
        }
        if (req->len >= want)
            return true;
    }
}

static size_t query_n(const char *path)
{
    const char *q = strstr(path, "?n=");
    return q ? strtoul(q + 3, NULL, 10) : 0;
}

static void respond(server *s, int fd, const th_buf *req)
{
    char method[16] = "", path[256] = "";
    sscanf((const char *)req->data, "%15s %255s", method, path);
    th_buf out = TH_BUF_INIT;
    if (strcmp(path, "/hello") == 0) {
        th_buf_append_str(&out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "X-Folded: first\r\n   second\r\nX-Latin: caf\xe9\r\n"
                                "Content-Length: 5\r\nConnection: close\r\n\r\n");
        if (strcmp(method, "HEAD") != 0)
            th_buf_append_str(&out, "hello");
    } else if (strcmp(path, "/echo") == 0) {
        th_buf_printf(&out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      req->len);
        th_buf_append(&out, req->data, req->len);
    } else if (strncmp(path, "/big", 4) == 0) {
        size_t n = query_n(path);
        th_buf_printf(&out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      n);
        for (size_t i = 0; i < n; i++)
            th_buf_append_byte(&out, 'x');
    } else if (strncmp(path, "/stream", 7) == 0) { /* no length: read to the close */
        size_t n = query_n(path);
        th_buf_append_str(&out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        for (size_t i = 0; i < n; i++)
            th_buf_append_byte(&out, 'y');
    } else if (strcmp(path, "/slow") == 0) {
        for (int i = 0; i < 150 && !atomic_load(&s->stop); i++)
            usleep(10000);
        th_buf_append_str(&out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow");
    } else if (strcmp(path, "/redirect") == 0) {
        th_buf_printf(&out,
                      "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/hello\r\n"
                      "Content-Length: 0\r\n\r\n",
                      s->redirect_port);
    } else if (strcmp(path, "/empty") == 0) {
        th_buf_append_str(&out, "HTTP/1.1 204 No Content\r\n\r\n");
    } else {
        th_buf_append_str(&out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
    send_all(fd, out.data, out.len);
    th_buf_free(&out);
}

static void *serve(void *ud)
{
    server *s = ud;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&s->connections, 1);
        th_buf req = TH_BUF_INIT;
        if (read_request(fd, &req)) {
            th_buf_cstr(&req); /* for sscanf */
            respond(s, fd, &req);
        }
        th_buf_free(&req);
        close(fd);
    }
    return NULL;
}

/* A listening socket on 127.0.0.1 and an ephemeral port; serving starts
 * only with start_server (a server never started counts nothing, and must
 * see no connection attempt either: see pending()). */
static void listen_on(server *s)
{
    *s = (server){0};
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(s->fd, 64) != 0 || getsockname(s->fd, (struct sockaddr *)&addr, &len) != 0)
        abort();
    s->port = ntohs(addr.sin_port);
}

static void start_server(server *s)
{
    if (pthread_create(&s->thread, NULL, serve, s) != 0)
        abort();
}

static void stop_server(server *s, bool started)
{
    atomic_store(&s->stop, true);
    if (started)
        pthread_join(s->thread, NULL);
    close(s->fd);
}

/* Whether a connection is waiting on a listening socket nobody accepts. */
static bool pending(const server *s)
{
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* ---- Actors ---------------------------------------------------------------------------------- */

/* A manifest granting the http-client with `config` (the inline table's
 * inside) and `extra` handler lines. */
static th_manifest *http_manifest(const char *pkg, const char *config, const char *extra)
{
    char *text = format("name = \"hc\"\nversion = \"0.1.0\"\npackage = \"%s\"\n\n"
                        "[[handlers]]\ntype = \"http-client\"\nconfig = { %s }\n%s",
                        pkg, config, extra);
    th_manifest *m = parse_manifest(text, "hc.toml");
    free(text);
    return m;
}

static spawned spawn_with(const char *config_fmt, ...) __attribute__((format(printf, 1, 2)));

static spawned spawn_with(const char *config_fmt, ...)
{
    char config[512];
    va_list ap;
    va_start(ap, config_fmt);
    vsnprintf(config, sizeof config, config_fmt, ap);
    va_end(ap);
    return spawn_alone(http_manifest(package, config, ""), NULL);
}

static spawned spawn_for(const server *srv)
{
    return spawn_with("allowed_hosts = [\"127.0.0.1:%d\"]", srv->port);
}

/* ---- Calls ------------------------------------------------------------------------------------
 */

/* An http-request; headers "Name: value" lines joined by '\n' (NULL: none),
 * body NULL: none. */
static th_val *request(const char *method, const char *url, const char *headers, const char *body)
{
    th_val *req = th_val_tuple(&arena, 4);
    req->list.items[0] = *str(method);
    req->list.items[1] = *str(url);
    th_val *list = th_val_new(&arena, TH_VAL_LIST);
    list->list.items = th_arena_alloc(&arena, 8 * sizeof(th_val));
    for (const char *p = headers; p && *p;) {
        const char *eol = strchr(p, '\n'), *colon = strchr(p, ':');
        size_t line = eol ? (size_t)(eol - p) : strlen(p);
        th_val *pair = th_val_tuple(&arena, 2);
        pair->list.items[0] = *th_val_string(&arena, p, (size_t)(colon - p));
        const char *value = colon + 1 + (colon[1] == ' ');
        pair->list.items[1] = *th_val_string(&arena, value, (size_t)(p + line - value));
        list->list.items[list->list.len++] = *pair;
        p += line + (eol != NULL);
    }
    req->list.items[2] = *list;
    req->list.items[3] =
        *th_val_option(&arena, body ? th_val_bytes(&arena, body, strlen(body)) : NULL);
    th_val *params = th_val_tuple(&arena, 1);
    params->list.items[0] = *req;
    return params;
}

static th_val *call(spawned *s, th_val *params)
{
    return host_call(s, HTTP_IFACE, "send-http", params);
}

static th_val *get(spawned *s, const char *url)
{
    return call(s, request("GET", url, NULL, NULL));
}

static char *url_of(const server *srv, const char *path)
{
    th_buf b = TH_BUF_INIT;
    th_buf_printf(&b, "http://127.0.0.1:%d%s", srv->port, path);
    char *url = th_arena_memdup(&arena, th_buf_cstr(&b), b.len + 1);
    th_buf_free(&b);
    return url;
}

static int http_status(const th_val *resp)
{
    return resp ? (int)resp->list.items[0].u : -1;
}

/* The body as a NUL-terminated string in the arena; NULL for none. */
static const char *body_of(const th_val *resp)
{
    if (!resp || resp->list.items[2].var.disc == 0)
        return NULL;
    const th_val *b = resp->list.items[2].var.payload;
    return th_arena_memdup(&arena, b->bytes.ptr, b->bytes.len + 1); /* lifted bytes end in NUL */
}

static size_t body_len(const th_val *resp)
{
    if (!resp || resp->list.items[2].var.disc == 0)
        return 0;
    return resp->list.items[2].var.payload->bytes.len;
}

/* A response header's value, or NULL. */
static const char *header(const th_val *resp, const char *name)
{
    if (!resp)
        return NULL;
    const th_val *list = &resp->list.items[1];
    for (size_t i = 0; i < list->list.len; i++) {
        const th_val *pair = &list->list.items[i];
        if (pair->list.items[0].bytes.len == strlen(name) &&
            strncasecmp((const char *)pair->list.items[0].bytes.ptr, name, strlen(name)) == 0)
            return (const char *)pair->list.items[1].bytes.ptr;
    }
    return NULL;
}

/* ---- Tests ------------------------------------------------------------------------------------
 */

TEST(an_allowed_host_answers_with_status_headers_and_body)
{
    server srv;
    listen_on(&srv);
    start_server(&srv);
    spawned s = spawn_for(&srv);
    th_val *resp = ok(get(&s, url_of(&srv, "/hello")));
    CHECK_EQ_INT(http_status(resp), 200);
    CHECK_STR_EQ(body_of(resp), "hello");
    CHECK_STR_EQ(header(resp, "content-type"), "text/plain");
    CHECK_STR_EQ(header(resp, "X-Folded"), "first second"); /* obsolete folding undone */
    CHECK_STR_EQ(header(resp, "X-Latin"), "caf\xc3\xa9");   /* ISO-8859-1 read as such */
    CHECK_STR_EQ(header(resp, "Content-Length"), "5");

    th_val *head = ok(call(&s, request("HEAD", url_of(&srv, "/hello"), NULL, NULL)));
    CHECK_EQ_INT(http_status(head), 200);
    CHECK(head && head->list.items[2].var.disc == 0); /* no body: none */
    th_val *none = ok(get(&s, url_of(&srv, "/empty")));
    CHECK_EQ_INT(http_status(none), 204);
    CHECK(body_of(none) == NULL);
    CHECK_EQ_INT(http_status(ok(get(&s, url_of(&srv, "/nothing-here")))), 404);
    done(&s);
    stop_server(&srv, true);
}

TEST(method_headers_and_body_reach_the_server_as_given)
{
    server srv;
    listen_on(&srv);
    start_server(&srv);
    spawned s = spawn_for(&srv);
    th_val *resp = ok(call(&s, request("POST", url_of(&srv, "/echo"),
                                       "X-Test: yes\nX-Empty:\nAccept: text/plain", "payload")));
    const char *echo = body_of(resp);
    CHECK_CONTAINS(echo, "POST /echo HTTP/1.1\r\n");
    CHECK_CONTAINS(echo, "\r\nX-Test: yes\r\n");
    CHECK_CONTAINS(echo, "\r\nX-Empty:\r\n"); /* an empty header is sent, not dropped */
    CHECK_CONTAINS(echo, "\r\nAccept: text/plain\r\n");
    CHECK_CONTAINS(echo, "\r\nContent-Length: 7\r\n");
    CHECK_CONTAINS(echo, "\r\n\r\npayload");
    CHECK(echo && !strstr(echo, "Expect:"));

    /* a 2 MiB body goes without a 100-continue pause */
    size_t big = 2 << 20;
    char *body = th_arena_alloc(&arena, big + 1);
    memset(body, 'b', big);
    int64_t t0 = th_monotonic_ns();
    th_val *put = ok(call(&s, request("PUT", url_of(&srv, "/echo"), NULL, body)));
    CHECK(ms_since(t0) < 900);
    CHECK_CONTAINS(body_of(put), "PUT /echo HTTP/1.1\r\n");
    CHECK(body_len(put) > big);
    th_val *del = ok(call(&s, request("DELETE", url_of(&srv, "/echo"), NULL, NULL)));
    CHECK_CONTAINS(body_of(del), "DELETE /echo HTTP/1.1\r\n");
    done(&s);
    stop_server(&srv, true);
}

TEST(what_the_grant_does_not_list_is_refused_without_a_connection)
{
    server allowed, other;
    listen_on(&allowed);
    listen_on(&other); /* never accepts: any attempt would show as pending */
    spawned s = spawn_for(&allowed);
    char url[256];

    snprintf(url, sizeof url, "http://localhost:%d/hello", allowed.port);
    char want[256];
    snprintf(want, sizeof want,
             "send-http '%s': host 'localhost:%d' is not in the http-client grant's "
             "allowed_hosts",
             url, allowed.port);
    CHECK_STR_EQ(err_of(get(&s, url)), want);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hello", other.port);
    CHECK_CONTAINS(err_of(get(&s, url)), "is not in the http-client grant's allowed_hosts");
    CHECK_CONTAINS(err_of(get(&s, "http://127.0.0.1/hello")), "host '127.0.0.1:80' is not in");
    CHECK_CONTAINS(err_of(get(&s, "https://127.0.0.1/hello")), "host '127.0.0.1:443' is not in");
    snprintf(url, sizeof url, "http://[::1]:%d/", allowed.port);
    CHECK_CONTAINS(err_of(get(&s, url)), "host '[::1]:");
    /* userinfo that looks like the allowed host does not make it the host */
    snprintf(url, sizeof url, "http://127.0.0.1:%d@localhost:%d/", allowed.port, other.port);
    CHECK_CONTAINS(err_of(get(&s, url)), "host 'localhost:");
    snprintf(url, sizeof url, "ftp://127.0.0.1:%d/", allowed.port);
    CHECK_CONTAINS(err_of(get(&s, url)), "scheme 'ftp' is refused: only http and https are served");
    CHECK_CONTAINS(err_of(get(&s, "file:///etc/passwd")), "scheme 'file' is refused");
    snprintf(url, sizeof url, "gopher://127.0.0.1:%d/", allowed.port);
    CHECK_CONTAINS(err_of(get(&s, url)), "scheme 'gopher' is refused");
    CHECK_CONTAINS(err_of(get(&s, "no scheme at all")), "not a URL");
    CHECK_CONTAINS(err_of(get(&s, "")), "not a URL");

    /* no smuggling through the method, the headers or the URL */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hello", allowed.port);
    CHECK_CONTAINS(err_of(call(&s, request("GET /x HTTP/1.1\r\nHost: evil\r\n", url, NULL, NULL))),
                   "is not an HTTP token");
    CHECK_CONTAINS(err_of(call(&s, request("", url, NULL, NULL))), "is not an HTTP token");
    CHECK_CONTAINS(err_of(call(&s, request("GET", url, "Bad Name: x", NULL))),
                   "header name 'Bad Name' is not an HTTP token");
    CHECK_CONTAINS(err_of(call(&s, request("GET", url, "X-A: 1\r\nX-Injected: 2", NULL))),
                   "holds CR, LF or NUL");
    CHECK_CONTAINS(err_of(call(&s, request("GET", url, "Host: localhost", NULL))),
                   "header 'Host' is set by the http-client handler");
    CHECK_CONTAINS(err_of(call(&s, request("POST", url, "content-length: 1", "abc"))),
                   "is set by the http-client handler");
    th_val *nul = request("GET", "", NULL, NULL);
    nul->list.items[0].list.items[1] = *th_val_string(&arena, "http://a\0b/", 11);
    CHECK_CONTAINS(err_of(call(&s, nul)), "the URL holds a NUL byte");

    CHECK(!pending(&allowed));
    CHECK(!pending(&other));
    done(&s);
    stop_server(&allowed, false);
    stop_server(&other, false);
}

TEST(allowed_hosts_entries_mean_exactly_what_they_say)
{
    server srv;
    listen_on(&srv);
    start_server(&srv);
    /* an entry without a port allows the default port only */
    spawned bare = spawn_with("allowed_hosts = [\"127.0.0.1\"]");
    CHECK_CONTAINS(err_of(get(&bare, url_of(&srv, "/hello"))), "is not in");
    done(&bare);
    /* host names compare without regard to case */
    spawned upper = spawn_with("allowed_hosts = [\"example.org\", \"LOCALHOST:%d\"]", srv.port);
    char url[128];
    snprintf(url, sizeof url, "http://localhost:%d/hello", srv.port);
    CHECK_EQ_INT(http_status(ok(get(&upper, url))), 200);
    done(&upper);
    /* a malformed entry is reported, not silently skipped */
    spawned bad = spawn_with("allowed_hosts = [\"127.0.0.1:http\", \"127.0.0.1:%d\"]", srv.port);
    CHECK_CONTAINS(err_of(get(&bad, url_of(&srv, "/hello"))),
                   "allowed_hosts entry '127.0.0.1:http' is not HOST or HOST:PORT");
    done(&bad);
    spawned url_entry = spawn_with("allowed_hosts = [\"http://127.0.0.1:%d\"]", srv.port);
    CHECK_CONTAINS(err_of(get(&url_entry, url_of(&srv, "/hello"))), "is not HOST or HOST:PORT");
    done(&url_entry);
    spawned path_entry = spawn_with("allowed_hosts = [\"127.0.0.1/api\"]");
    CHECK_CONTAINS(err_of(get(&path_entry, url_of(&srv, "/hello"))),
                   "allowed_hosts entry '127.0.0.1/api' is not HOST or HOST:PORT");
    done(&path_entry);
    CHECK_EQ_INT(atomic_load(&srv.connections), 1); /* LOCALHOST's only */
    stop_server(&srv, true);
}

TEST(redirects_are_answered_not_followed)
{
    server srv, target;
    listen_on(&srv);
    listen_on(&target);
    srv.redirect_port = target.port;
    start_server(&srv);
    spawned s =
        spawn_with("allowed_hosts = [\"127.0.0.1:%d\", \"127.0.0.1:%d\"]", srv.port, target.port);
    th_val *resp = ok(get(&s, url_of(&srv, "/redirect")));
    CHECK_EQ_INT(http_status(resp), 302);
    CHECK_CONTAINS(header(resp, "Location"), "/hello");
    CHECK(!pending(&target));
    done(&s);
    stop_server(&srv, true);
    stop_server(&target, false);
}

TEST(a_slow_server_times_out)
{
    server srv;
    listen_on(&srv);
    start_server(&srv);
    spawned s = spawn_with("allowed_hosts = [\"127.0.0.1:%d\"], timeout_ms = 300", srv.port);
    int64_t t0 = th_monotonic_ns();
    CHECK_CONTAINS(err_of(get(&s, url_of(&srv, "/slow"))), "no complete response within 300 ms");
    long took = (long)ms_since(t0);
    CHECK(took >= 250 && took < 1200);
    done(&s);
    stop_server(&srv, true);
}

TEST(responses_larger_than_the_limit_are_refused)
{
    server srv;
    listen_on(&srv);
    start_server(&srv);
    spawned s =
        spawn_with("allowed_hosts = [\"127.0.0.1:%d\"], max_response_bytes = 1000", srv.port);
    CHECK_EQ_INT(body_len(ok(get(&s, url_of(&srv, "/big?n=1000")))), 1000);
    CHECK_CONTAINS(err_of(get(&s, url_of(&srv, "/big?n=1001"))),
                   "': response larger than 1000 bytes");
    /* without a Content-Length, the transfer is cut as it arrives */
    CHECK_EQ_INT(body_len(ok(get(&s, url_of(&srv, "/stream?n=999")))), 999);
    CHECK_CONTAINS(err_of(get(&s, url_of(&srv, "/stream?n=500000"))),
                   "response larger than 1000 bytes");
    done(&s);

    spawned zero =
        spawn_with("allowed_hosts = [\"127.0.0.1:%d\"], max_response_bytes = 0", srv.port);
    CHECK_CONTAINS(err_of(get(&zero, url_of(&srv, "/hello"))), "response larger than 0 bytes");
    CHECK_EQ_INT(http_status(ok(get(&zero, url_of(&srv, "/empty")))), 204);
    done(&zero);

    /* the default is 8 MiB */
    spawned dflt = spawn_for(&srv);
    CHECK_EQ_INT(body_len(ok(get(&dflt, url_of(&srv, "/big?n=8388608")))), 8388608);
    CHECK_CONTAINS(err_of(get(&dflt, url_of(&srv, "/stream?n=8388609"))),
                   "response larger than 8388608 bytes");
    done(&dflt);
    stop_server(&srv, true);
}

TEST(a_server_that_is_not_there_is_an_err)
{
    server srv;
    listen_on(&srv);
    int port = srv.port;
    stop_server(&srv, false); /* the port is closed now */
    spawned s = spawn_with("allowed_hosts = [\"127.0.0.1:%d\"]", port);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    const char *e = err_of(get(&s, url));
    CHECK_CONTAINS(e, "connect");
    CHECK_CONTAINS(e, url);
    done(&s);
}

/* ---- Through the sandbox, and replay --------------------------------------------------------- */

/* For each request: send-http("GET", message as the URL, no headers, no
 * body) and answer with the response's body, or the err's text. */
static const char http_guest_wat[] =
    "(module\n"
    "(import \"theater:simple/http-client\" \"send-http\"\n"
    "  (func $send (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))\n"
    "(data (i32.const 512) \"GET\")\n" WAT_MEMORY_AND_ALLOCATOR WAT_INIT_KEEPS_STATE
    "(func (export \"theater:simple/message-server-client#handle-request\")\n"
    "  (param i32 i32 i32 i32 i32) (result i32)\n"
    "  (call $send (i32.const 512) (i32.const 3) (local.get 3) (local.get 4)\n"
    "              (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)\n"
    "              (i32.const 400))\n"
    "  (i32.store8 (i32.const 0) (i32.const 0)) (i32.store8 (i32.const 4) (i32.const 0))\n"
    "  (i32.store (i32.const 16) (i32.const 0)) (i32.store (i32.const 20) (i32.const 0))\n"
    "  (if (i32.load8_u (i32.const 400))\n"
    "    (then (i32.store (i32.const 16) (i32.load (i32.const 404)))\n"
    "          (i32.store (i32.const 20) (i32.load (i32.const 408))))\n"
    "    (else (if (i32.load8_u (i32.const 416))\n"
    "      (then (i32.store (i32.const 16) (i32.load (i32.const 420)))\n"
    "            (i32.store (i32.const 20) (i32.load (i32.const 424)))))))\n"
    "  (i32.const 0)))\n";

TEST(a_guest_fetches_and_replays_with_the_server_gone)
{
    server srv;
    listen_on(&srv);
    start_server(&srv);
    char *pkg = write_wat(http_guest_wat, "http_guest");
    char config[128];
    snprintf(config, sizeof config, "allowed_hosts = [\"127.0.0.1:%d\"]", srv.port);
    th_manifest *m = http_manifest(pkg, config, "[[handlers]]\ntype = \"message-server\"\n");
    th_actor *actor = actor_alone(m, NULL);
    if (actor) {
        CHECK_STR_EQ(ask_actor(actor, url_of(&srv, "/hello")), "hello");
        CHECK_CONTAINS(ask_actor(actor, "http://localhost:1/"), "is not in the http-client grant");
        const th_chain *c = th_actor_chain(actor);
        size_t n = th_chain_length(c);
        CHECK(n >= 2 &&
              strcmp(th_chain_event(c, n - 2)->name, "theater:simple/http-client#send-http") == 0);
        th_actor_stop(actor);

        stop_server(&srv, true);
        int before = atomic_load(&srv.connections);
        check_replay_alone(actor, no_states, NULL);
        CHECK_EQ_INT(atomic_load(&srv.connections), before);
        th_actor_free(actor);
    } else {
        stop_server(&srv, true);
    }
    th_manifest_free(m);
    unlink(pkg);
    free(pkg);
}

/* ---- In a runtime --------------------------------------------------------------------------- */

typedef struct slow_request {
    th_runtime *rt;
    const char *id;
    const char *url;
    long took_ms;
    bool answered;
} slow_request;

static void *request_slowly(void *ud)
{
    slow_request *r = ud;
    uint8_t *resp = NULL;
    size_t len = 0;
    th_error err;
    int64_t t0 = th_monotonic_ns();
    r->answered = th_runtime_request(r->rt, r->id, (const uint8_t *)r->url, strlen(r->url), 5000,
                                     &resp, &len, &err) == 0 &&
                  len == 4 && memcmp(resp, "slow", 4) == 0;
    r->took_ms = (long)ms_since(t0);
    free(resp);
    return NULL;
}

TEST(a_slow_request_does_not_hold_up_the_only_worker)
{
    server srv;
    listen_on(&srv);
    start_server(&srv);
    char *pkg = write_wat(http_guest_wat, "http_guest_rt");
    char config[128];
    snprintf(config, sizeof config, "allowed_hosts = [\"127.0.0.1:%d\"]", srv.port);
    th_runtime_options opts = {.threads = 1};
    th_error err;
    th_runtime *rt = runtime_new(&opts);
    char slow_id[33], fast_id[33];
    const char *ms = "[[handlers]]\ntype = \"message-server\"\n";
    if (rt &&
        th_runtime_spawn_manifest(rt, http_manifest(pkg, config, ms), NULL, 0, NULL, slow_id,
                                  &err) == 0 &&
        th_runtime_spawn_manifest(rt, http_manifest(pkg, config, ms), NULL, 0, NULL, fast_id,
                                  &err) == 0) {
        slow_request r = {rt, slow_id, url_of(&srv, "/slow"), 0, false};
        pthread_t t;
        if (pthread_create(&t, NULL, request_slowly, &r) != 0)
            abort();
        usleep(200000); /* the slow one is waiting on the server by now */
        /* The server handles one connection at a time and is busy with
         * /slow: the fast actor asks for a URL its grant refuses, answered
         * at once, but only once a worker runs its turn. */
        const char *refused = "http://127.0.0.1:1/";
        uint8_t *resp = NULL;
        size_t len = 0;
        int64_t t0 = th_monotonic_ns();
        CHECK_EQ_INT(th_runtime_request(rt, fast_id, (const uint8_t *)refused, strlen(refused),
                                        5000, &resp, &len, &err),
                     0);
        long fast_ms = (long)ms_since(t0);
        free(resp);
        pthread_join(t, NULL);
        CHECK(r.answered);
        CHECK(fast_ms < 600); /* not after the slow one's 1.5 s */
        CHECK(r.took_ms >= 1000);
    } else {
        CHECK_REPORT_(false, "spawn: %s", err.msg);
    }
    th_runtime_free(rt);
    stop_server(&srv, true);
    unlink(pkg);
    free(pkg);
}

int main(void)
{
    /* The tests talk to 127.0.0.1 directly, never through a proxy. */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    if (!fixture_start_alone("http"))
        return 1;
    RUN(an_allowed_host_answers_with_status_headers_and_body);
    RUN(method_headers_and_body_reach_the_server_as_given);
    RUN(what_the_grant_does_not_list_is_refused_without_a_connection);
    RUN(allowed_hosts_entries_mean_exactly_what_they_say);
    RUN(redirects_are_answered_not_followed);
    RUN(a_slow_server_times_out);
    RUN(responses_larger_than_the_limit_are_refused);
    RUN(a_server_that_is_not_there_is_an_err);
    RUN(a_guest_fetches_and_replays_with_the_server_gone);
    RUN(a_slow_request_does_not_hold_up_the_only_worker);
    return fixture_end();
}
