/* The http-server handler with the real examples/http-counter actor in a
 * runtime, driven over real sockets on loopback: GET and POST, concurrent
 * clients, the limits (431, 413), slow clients, bad methods, a full
 * mailbox (503), a slow actor (504), an actor that crashes in the middle
 * of a request (500, then served again once its supervisor restarted it),
 * waiting requests when the actor stops (503), restarts on the same port,
 * refusals at start, and the chain: a call and a return per request, which
 * replays identically with no server running.
 *
 * Each test gets a fresh port from the kernel; manifests are written into a
 * temporary directory with absolute package paths. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "chain/chain.h"
#include "common/buf.h"
#include "rt_fixture.h"
#include "wat.h"

#define COUNTER_WASM THEATER_BINARY_DIR "/examples/http-counter.wasm"
#define PLAIN_COUNTER_WASM THEATER_BINARY_DIR "/examples/counter.wasm"
#define HANDLE_REQUEST "theater:simple/http-handlers#handle-request"

/* ---- Fixture --------------------------------------------------------------------------------- */

static const th_runtime_options two_threads = {.threads = 2};

/* A port nobody listens on right now: the kernel's choice for port 0. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    CHECK_REPORT_(port > 0, "no free port");
    return port;
}

/* The http-counter on `port`; `config` adds keys to the handler's config,
 * `extra` goes before the handlers (e.g. a [limits] table). */
static tmp_path counter_manifest(const char *file, int port, const char *config, const char *extra)
{
    char *keys = format("initial_state = '{\"count\": 0}'\n%s", extra ? extra : "");
    char *handler = format("[[handlers]]\ntype = \"http-server\"\nconfig = { port = %d%s%s }\n",
                           port, config ? ", " : "", config ? config : "");
    tmp_path p = actor_manifest(file, "http-counter", COUNTER_WASM, keys, handler);
    free(handler);
    free(keys);
    return p;
}

/* ---- A small HTTP client --------------------------------------------------------------------- */

typedef struct response {
    int status; /* 0: no response (refused, reset, timed out) */
    char text[16384];
    size_t len;
} response;

static const char *body_of(const response *r)
{
    const char *b = strstr(r->text, "\r\n\r\n");
    return b ? b + 4 : "";
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads until the server closes (requests say Connection: close). */
static response read_response(int fd)
{
    response r = {0};
    ssize_t n;
    while (r.len < sizeof r.text - 1 &&
           (n = recv(fd, r.text + r.len, sizeof r.text - 1 - r.len, 0)) > 0)
        r.len += (size_t)n;
    r.text[r.len] = '\0';
    if (sscanf(r.text, "HTTP/1.%*d %d", &r.status) != 1)
        r.status = 0;
    return r;
}

static response exchange(int port, const void *data, size_t len)
{
    int fd = connect_to(port);
    if (fd < 0)
        return (response){0};
    send_all(fd, data, len); /* a server that refuses early may not read it all */
    response r = read_response(fd);
    close(fd);
    return r;
}

static response request(int port, const char *method, const char *target, const char *headers)
{
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n", method,
                     target, headers ? headers : "");
    return exchange(port, req, (size_t)n);
}

static response post(int port, const char *target, const void *body, size_t len)
{
    th_buf req = TH_BUF_INIT;
    th_buf_printf(&req,
                  "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %zu\r\n"
                  "Connection: close\r\n\r\n",
                  target, len);
    th_buf_append(&req, body, len);
    response r = exchange(port, req.data, req.len);
    th_buf_free(&req);
    return r;
}

static int count_of(int port)
{
    response r = request(port, "GET", "/", NULL);
    int count = -1;
    if (r.status != 200 || sscanf(body_of(&r), "{\"count\":%d}", &count) != 1)
        return -1;
    return count;
}

/* Polls until the server answers GET / (after a restart), up to 10 s. */
static bool serving_again(int port)
{
    for (int i = 0; i < 1000; i++) {
        if (count_of(port) >= 0)
            return true;
        usleep(10000);
    }
    return false;
}

/* ---- Requests from threads, and holding an actor still --------------------------------------- */

typedef struct client {
    pthread_t thread;
    int port;
    const char *method, *target;
    response r;
    atomic_bool done;
} client;

static void *run_client(void *ud)
{
    client *c = ud;
    c->r = request(c->port, c->method, c->target, NULL);
    atomic_store(&c->done, true);
    return NULL;
}

static void client_start(client *c, int port, const char *method, const char *target)
{
    c->port = port;
    c->method = method;
    c->target = target;
    atomic_init(&c->done, false);
    if (pthread_create(&c->thread, NULL, run_client, c))
        abort();
}

/* Holds the actor's lock (th_runtime_with_actor) until released: requests
 * queue up in its mailbox meanwhile, and their connections wait. */
typedef struct hold {
    th_runtime *rt;
    char id[33];
    pthread_t thread;
    atomic_bool held, release;
} hold;

static void hold_fn(void *ud, const th_actor *actor)
{
    (void)actor;
    hold *h = ud;
    atomic_store(&h->held, true);
    while (!atomic_load(&h->release))
        usleep(1000);
}

static void *run_hold(void *ud)
{
    hold *h = ud;
    th_runtime_with_actor(h->rt, h->id, hold_fn, h, NULL);
    return NULL;
}

static void hold_start(hold *h, th_runtime *rt, const char *id)
{
    h->rt = rt;
    memcpy(h->id, id, 33);
    atomic_init(&h->held, false);
    atomic_init(&h->release, false);
    if (pthread_create(&h->thread, NULL, run_hold, h))
        abort();
    while (!atomic_load(&h->held))
        usleep(1000);
}

static void hold_end(hold *h)
{
    atomic_store(&h->release, true);
    pthread_join(h->thread, NULL);
}

/* Waits (up to 10 s) until the actor has `n` messages waiting. */
static bool mailbox_reaches(th_runtime *rt, const char *id, uint32_t n)
{
    for (int i = 0; i < 1000; i++) {
        if (mail_of(rt, id) >= n)
            return true;
        usleep(10000);
    }
    return false;
}

/* ---- The chain ------------------------------------------------------------------------------- */

typedef struct chain_count {
    size_t calls, returns, traps, length;
    bool saw_target; /* a call's input holds `target` */
    const char *target;
} chain_count;

static void count_events(void *ud, const th_actor *actor)
{
    chain_count *c = ud;
    const th_chain *chain = th_actor_chain(actor);
    c->length = th_chain_length(chain);
    for (size_t i = 0; i < c->length; i++) {
        const th_event *ev = th_chain_event(chain, i);
        if (strcmp(ev->name, HANDLE_REQUEST) != 0)
            continue;
        c->calls += ev->type == TH_EV_CALL;
        c->returns += ev->type == TH_EV_RETURN;
        c->traps += ev->type == TH_EV_TRAP;
        if (ev->type == TH_EV_CALL && c->target &&
            memmem(ev->input, ev->input_len, c->target, strlen(c->target)))
            c->saw_target = true;
    }
}

static chain_count chain_of(th_runtime *rt, const char *id, const char *target)
{
    chain_count c = {.target = target};
    th_error err;
    CHECK_REPORT_(th_runtime_with_actor(rt, id, count_events, &c, &err) == 0, "%s", err.msg);
    return c;
}

/* ---- Tests ----------------------------------------------------------------------------------- */

TEST(get_and_post_reach_the_actor_and_each_is_a_call_and_a_return)
{
    int port = free_port();
    tmp_path m = counter_manifest("basic.toml", port, NULL, NULL);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    response r = request(port, "GET", "/", NULL);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR_EQ(body_of(&r), "{\"count\":0}");
    CHECK_CONTAINS(r.text, "Content-Type: application/json");
    for (int i = 1; i <= 3; i++) {
        r = request(port, "POST", "/inc", NULL);
        CHECK_EQ_INT(r.status, 200);
    }
    CHECK_STR_EQ(body_of(&r), "{\"count\":3}");
    r = request(port, "GET", "/?verbose=1",
                NULL); /* the query reaches the actor, which ignores it */
    CHECK_STR_EQ(body_of(&r), "{\"count\":3}");
    CHECK_EQ_INT(request(port, "GET", "/nowhere", NULL).status, 404);
    r = request(port, "DELETE", "/inc", NULL);
    CHECK_EQ_INT(r.status, 405);
    CHECK_CONTAINS(r.text, "Allow: POST");
    /* A body reaches the actor too (the counter ignores it). */
    CHECK_EQ_INT(post(port, "/inc", "hello", 5).status, 200);
    CHECK_EQ_INT(count_of(port), 4);

    chain_count c = chain_of(rt, id, "/?verbose=1");
    CHECK_EQ_INT(c.calls, 9);
    CHECK_EQ_INT(c.returns, 9);
    CHECK(c.saw_target); /* the target as sent, query and all */
    th_runtime_free(rt);
}

typedef struct poster {
    pthread_t thread;
    int port, n, ok;
} poster;

static void *run_poster(void *ud)
{
    poster *p = ud;
    for (int i = 0; i < p->n; i++)
        p->ok += request(p->port, "POST", "/inc", NULL).status == 200;
    return NULL;
}

TEST(concurrent_clients_lose_no_increment)
{
    int port = free_port();
    tmp_path m = counter_manifest("many.toml", port, NULL, NULL);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    enum { CLIENTS = 16, EACH = 25 };
    poster p[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        p[i] = (poster){.port = port, .n = EACH};
        if (pthread_create(&p[i].thread, NULL, run_poster, &p[i]))
            abort();
    }
    int ok = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(p[i].thread, NULL);
        ok += p[i].ok;
    }
    CHECK_EQ_INT(ok, CLIENTS * EACH);
    CHECK_EQ_INT(count_of(port), CLIENTS * EACH);
    chain_count c = chain_of(rt, id, NULL);
    CHECK_EQ_INT(c.calls, CLIENTS * EACH + 1);
    CHECK_EQ_INT(c.returns, CLIENTS * EACH + 1);
    th_runtime_free(rt);
}

TEST(headers_and_bodies_over_the_limits_never_reach_the_actor)
{
    int port = free_port();
    tmp_path m = counter_manifest("limits.toml", port,
                                  "max_header_bytes = 1024, max_body_bytes = 4096", NULL);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    size_t before = chain_of(rt, id, NULL).length;

    char big[3000];
    snprintf(big, sizeof big, "X-Big: %0*d\r\n", 2000, 0);
    CHECK_EQ_INT(request(port, "GET", "/", big).status, 431);
    /* Far past what MHD itself keeps for a head: still 431. */
    th_buf huge = TH_BUF_INIT;
    th_buf_append_str(&huge, "GET / HTTP/1.1\r\nHost: localhost\r\n");
    for (int i = 0; i < 2000; i++)
        th_buf_printf(&huge, "X-H%d: %064d\r\n", i, i);
    th_buf_append_str(&huge, "\r\n");
    CHECK_EQ_INT(exchange(port, huge.data, huge.len).status, 431);
    th_buf_free(&huge);

    /* Announced too large: refused before the body is read. */
    const char *announced = "POST /inc HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n";
    CHECK_EQ_INT(exchange(port, announced, strlen(announced)).status, 413);
    /* Chunked, without a length: read, dropped, refused at its end. */
    th_buf chunked = TH_BUF_INIT;
    th_buf_append_str(&chunked, "POST /inc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                "Connection: close\r\n\r\n");
    for (int i = 0; i < 5; i++) {
        th_buf_append_str(&chunked, "400\r\n");
        for (int k = 0; k < 1024; k++)
            th_buf_append_byte(&chunked, 'x');
        th_buf_append_str(&chunked, "\r\n");
    }
    th_buf_append_str(&chunked, "0\r\n\r\n");
    CHECK_EQ_INT(exchange(port, chunked.data, chunked.len).status, 413);
    th_buf_free(&chunked);
    CHECK_EQ_INT(chain_of(rt, id, NULL).length, before); /* the actor saw none of them */

    /* At the limit: served. */
    char *body = calloc(1, 4096);
    CHECK_EQ_INT(post(port, "/inc", body, 4096).status, 200);
    free(body);
    CHECK_EQ_INT(count_of(port), 1);
    th_runtime_free(rt);
}

TEST(bad_methods_and_text_that_is_not_utf8_are_refused_good_tokens_reach_the_actor)
{
    int port = free_port();
    tmp_path m = counter_manifest("methods.toml", port, NULL, NULL);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    size_t before = chain_of(rt, id, NULL).length;
    const char *bad[] = {
        "G@T / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX-Bytes: \xc3\x28\r\nConnection: close\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_EQ_INT(exchange(port, bad[i], strlen(bad[i])).status, 400);
    CHECK_EQ_INT(chain_of(rt, id, NULL).length, before);
    /* A method the actor does not know, but a valid token: its answer. */
    response r = request(port, "BREW", "/", NULL);
    CHECK_EQ_INT(r.status, 405);
    CHECK_CONTAINS(r.text, "Allow: GET");
    CHECK_EQ_INT(chain_of(rt, id, NULL).calls, 1);
    th_runtime_free(rt);
}

TEST(a_slow_client_does_not_hold_up_the_others)
{
    int port = free_port();
    tmp_path m = counter_manifest("slow.toml", port, NULL, NULL);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    int slow = connect_to(port);
    CHECK(slow >= 0);
    const char *part1 = "POST /inc HTTP/1.1\r\nHo", *part2 = "st: x\r\nConnection: close\r\n\r\n";
    CHECK(send_all(slow, part1, strlen(part1)));
    int64_t t0 = th_monotonic_ns();
    for (int i = 0; i < 20; i++)
        CHECK_EQ_INT(request(port, "GET", "/", NULL).status, 200);
    double ms = ms_since(t0);
    CHECK_REPORT_(ms < 5000, "20 requests took %.0f ms beside a slow client", ms);
    CHECK(send_all(slow, part2, strlen(part2)));
    response r = read_response(slow);
    close(slow);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR_EQ(body_of(&r), "{\"count\":1}");
    th_runtime_free(rt);
}

TEST(a_full_mailbox_answers_503_at_once)
{
    int port = free_port();
    tmp_path m = counter_manifest("full.toml", port, NULL, "[limits]\nmailbox = 1\n");
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    hold h;
    hold_start(&h, rt, id);
    /* While the actor is held, one request can wait in its mailbox and one
     * more in the hands of the worker waiting for the actor: of six, at
     * least four are refused, at once. */
    enum { N = 6 };
    client c[N];
    for (int i = 0; i < N; i++)
        client_start(&c[i], port, "POST", "/inc");
    int done = 0;
    for (int t = 0; t < 1000 && done < N - 2; t++) {
        usleep(10000);
        done = 0;
        for (int i = 0; i < N; i++)
            done += atomic_load(&c[i].done);
    }
    CHECK_REPORT_(done >= N - 2, "only %d of %d requests answered while the actor was held", done,
                  N);
    for (int i = 0; i < N; i++) {
        if (!atomic_load(&c[i].done))
            continue;
        CHECK_EQ_INT(c[i].r.status, 503);
        CHECK_CONTAINS(c[i].r.text, "Retry-After: 1");
    }
    hold_end(&h);
    int served = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(c[i].thread, NULL);
        served += c[i].r.status == 200;
    }
    CHECK(served >= 1 && served <= 2);
    CHECK_EQ_INT(count_of(port), served);
    th_runtime_free(rt);
}

TEST(an_actor_that_does_not_answer_in_time_is_a_504)
{
    int port = free_port();
    tmp_path m = counter_manifest("slowactor.toml", port, "timeout_ms = 200", NULL);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    hold h;
    hold_start(&h, rt, id);
    int64_t t0 = th_monotonic_ns();
    response r = request(port, "POST", "/inc", NULL);
    double ms = ms_since(t0);
    CHECK_EQ_INT(r.status, 504);
    CHECK_REPORT_(ms >= 190 && ms < 3000, "answered after %.0f ms", ms);
    hold_end(&h);
    /* The request was still handled once the actor was free: a 504 says
     * the answer was late, not that nothing happened. */
    th_runtime_wait_idle(rt, 10000);
    CHECK_EQ_INT(count_of(port), 1);
    th_runtime_free(rt);
}

TEST(requests_waiting_when_the_actor_stops_get_503_and_the_port_closes)
{
    int port = free_port();
    tmp_path m = counter_manifest("stop.toml", port, NULL, NULL);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    hold h;
    hold_start(&h, rt, id);
    client c[3];
    for (int i = 0; i < 3; i++)
        client_start(&c[i], port, "POST", "/inc");
    CHECK(mailbox_reaches(rt, id, 2)); /* a worker may have taken one */
    /* The stop is urgent: it goes ahead of the queued requests. */
    th_cell_order_stop(th_runtime_find(rt, id, NULL), TH_EXIT_EXTERNAL, NULL);
    hold_end(&h);
    int unavailable = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(c[i].thread, NULL);
        unavailable += c[i].r.status == 503;
        CHECK(c[i].r.status == 503 || c[i].r.status == 200);
    }
    CHECK_REPORT_(unavailable >= 2, "%d of the 3 waiting requests got a 503", unavailable);
    th_runtime_wait_idle(rt, 10000);
    CHECK(!status_of(rt, id).running);
    CHECK_EQ_INT(request(port, "GET", "/", NULL).status, 0); /* nobody listens */
    th_runtime_free(rt);
}

/* rt_super supervising one http-counter child declared in its manifest. It
 * holds the http-server capability to hand it down (a child may hold only
 * its supervisor's), and serves nothing itself: it does not export
 * handle-request. */
static tmp_path counter_super_manifest(const char *file, const char *child, int port)
{
    char *children = format("[supervisor]\nstrategy = \"one-for-one\"\nintensity = 5\nperiod = 10\n"
                            "[[children]]\nmanifest = \"%s\"\n",
                            child);
    char *handlers = format(MESSAGE_SERVER_HANDLER SUPERVISOR_HANDLER
                            "[[handlers]]\ntype = \"http-server\"\nconfig = { port = %d }\n",
                            port);
    tmp_path p = actor_manifest(file, "super", SUPER_WASM, children, handlers);
    free(handlers);
    free(children);
    return p;
}

typedef struct find_child {
    const char *parent;
    char id[33];
} find_child;

static void match_child(void *ud, const th_actor_status *st)
{
    find_child *f = ud;
    if (strcmp(st->parent, f->parent) == 0)
        memcpy(f->id, st->id, 33);
}

/* A body the actor cannot take: with 1 MiB of memory, lowering 2 MiB of
 * request into it fails, in the middle of the request. */
static response crashing_post(int port)
{
    size_t len = 2u << 20;
    char *body = calloc(1, len);
    response r = post(port, "/inc", body, len);
    free(body);
    return r;
}

#define CRASH_CONFIG "max_body_bytes = 8388608"
#define CRASH_LIMITS "[limits]\nmemory_mb = 1\n"

TEST(an_actor_that_crashes_mid_request_is_a_500_and_serves_again_once_restarted)
{
    int port = free_port();
    counter_manifest("crashchild.toml", port, CRASH_CONFIG, CRASH_LIMITS);
    tmp_path sup = counter_super_manifest("crashsuper.toml", "crashchild.toml", port);
    th_runtime *rt = runtime_new(&two_threads);
    char super_id[33];
    if (!spawn(rt, &sup, super_id)) {
        th_runtime_free(rt);
        return;
    }
    find_child f = {.parent = super_id};
    th_runtime_list(rt, match_child, &f);
    CHECK(f.id[0] != '\0');
    CHECK_EQ_INT(request(port, "POST", "/inc", NULL).status, 200);
    response r = crashing_post(port);
    CHECK_EQ_INT(r.status, 500);
    CHECK_CONTAINS(body_of(&r), "the actor failed on this request");
    /* Its supervisor restarts it from its last good state, on the same port. */
    CHECK(serving_again(port));
    CHECK_EQ_INT(count_of(port), 1);
    CHECK_EQ_INT(request(port, "POST", "/inc", NULL).status, 200);
    CHECK_EQ_INT(count_of(port), 2);
    th_actor_status st = status_of(rt, f.id);
    CHECK(st.running);
    CHECK_EQ_INT(st.restarts, 1);
    chain_count c = chain_of(rt, f.id, NULL);
    CHECK_EQ_INT(c.traps, 1);
    th_runtime_free(rt);
}

TEST(an_actor_that_crashes_unsupervised_stops_serving)
{
    int port = free_port();
    tmp_path m = counter_manifest("crashroot.toml", port, CRASH_CONFIG, CRASH_LIMITS);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    CHECK_EQ_INT(crashing_post(port).status, 500);
    th_runtime_wait_idle(rt, 10000);
    CHECK(!status_of(rt, id).running);
    CHECK_EQ_INT(request(port, "GET", "/", NULL).status, 0); /* its port is closed */
    th_runtime_free(rt);
}

TEST(a_restart_serves_again_on_the_same_port_and_releases_waiting_requests)
{
    int port = free_port();
    tmp_path m = counter_manifest("restart.toml", port, NULL, NULL);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    th_error err;
    CHECK_EQ_INT(request(port, "POST", "/inc", NULL).status, 200);
    CHECK_EQ_INT(th_runtime_restart(rt, id, false, &err), 0);
    CHECK(serving_again(port));
    CHECK_EQ_INT(count_of(port), 1); /* from its last state */
    CHECK_EQ_INT(th_runtime_restart(rt, id, true, &err), 0);
    th_runtime_wait_idle(rt, 10000);
    CHECK(serving_again(port));
    CHECK_EQ_INT(count_of(port), 0); /* init again */

    /* Requests waiting while it restarts are let go at once (503), not
     * left to time out; the actor still handles what was queued. */
    hold h;
    hold_start(&h, rt, id);
    client c[2];
    for (int i = 0; i < 2; i++)
        client_start(&c[i], port, "POST", "/inc");
    CHECK(mailbox_reaches(rt, id, 1));
    th_cell_order_restart(th_runtime_find(rt, id, NULL), TH_RESTART_FROM_LAST_STATE, NULL);
    int64_t t0 = th_monotonic_ns();
    hold_end(&h);
    for (int i = 0; i < 2; i++) {
        pthread_join(c[i].thread, NULL);
        CHECK(c[i].r.status == 200 || c[i].r.status == 503);
    }
    double ms = ms_since(t0);
    CHECK_REPORT_(ms < 5000, "waiting requests were let go after %.0f ms", ms);
    th_runtime_wait_idle(rt, 10000);
    CHECK(serving_again(port));
    CHECK_EQ_INT(count_of(port), 2);
    th_runtime_free(rt);
}

TEST(a_start_that_cannot_serve_is_refused_with_the_reason)
{
    int port = free_port();
    th_runtime *rt = runtime_new(&two_threads);
    th_error err;
    char id[33];
    /* Granted the handler without exporting handle-request. */
    char *handlers = format(MESSAGE_SERVER_HANDLER
                            "[[handlers]]\ntype = \"http-server\"\nconfig = { port = %d }\n",
                            port);
    tmp_path plain = actor_manifest("plain.toml", "plain", PLAIN_COUNTER_WASM, "", handlers);
    free(handlers);
    CHECK_EQ_INT(th_runtime_spawn(rt, plain.s, NULL, 0, NULL, id, &err), -1);
    CHECK_CONTAINS(err.msg, "does not export " HANDLE_REQUEST);
    CHECK_EQ_INT(request(port, "GET", "/", NULL).status, 0);

    /* The port is taken (by a first counter): the second is refused. */
    tmp_path m = counter_manifest("first.toml", port, NULL, NULL);
    CHECK(spawn(rt, &m, id));
    tmp_path again = counter_manifest("second.toml", port, NULL, NULL);
    char id2[33];
    CHECK_EQ_INT(th_runtime_spawn(rt, again.s, NULL, 0, NULL, id2, &err), -1);
    char where[64];
    snprintf(where, sizeof where, "cannot listen on 127.0.0.1:%d", port);
    CHECK_CONTAINS(err.msg, where);
    CHECK_EQ_INT(count_of(port), 0); /* the first goes on */

    tmp_path nohost =
        counter_manifest("nohost.toml", free_port(), "host = \"no-such-host.invalid\"", NULL);
    CHECK_EQ_INT(th_runtime_spawn(rt, nohost.s, NULL, 0, NULL, id2, &err), -1);
    CHECK_CONTAINS(err.msg, "cannot resolve host 'no-such-host.invalid'");
    th_runtime_free(rt);
}

/* Replays the stored chain of `id` against its stored package. */
static void check_replay(th_db_reader *reader, const char *id, size_t want_events)
{
    th_actor_info info;
    th_chain *chain = load_stored_chain(reader, id, &info);
    if (chain) {
        th_replay_report rep;
        th_error err;
        int rc = replay_stored(reader, &info, chain, &rep, NULL, NULL, NULL, &err);
        CHECK_REPORT_(rc == 0, "replay: %s", err.msg);
        if (rc == 0) {
            CHECK_REPORT_(rep.identical, "replay diverged at %zu: %s\n  want %s\n  got  %s",
                          rep.diverged_at, rep.reason, rep.expected, rep.actual);
            CHECK_EQ_INT(rep.events_replayed, want_events);
        }
    }
    th_chain_free(chain);
    th_actor_info_clear(&info);
}

TEST(a_stored_chain_replays_identically_with_no_server_running)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/db", tmpdir);
    th_error err;
    th_db *db = th_db_open(dir, TH_DURABILITY_BATCH, &err);
    CHECK_REPORT_(db != NULL, "th_db_open: %s", err.msg);
    if (!db)
        return;
    int port = free_port();
    tmp_path m = counter_manifest("stored.toml", port, NULL, NULL);
    th_runtime *rt = runtime_new(&(th_runtime_options){.threads = 2, .db = db});
    char id[33];
    if (spawn(rt, &m, id)) {
        CHECK_EQ_INT(request(port, "POST", "/inc", NULL).status, 200);
        CHECK_EQ_INT(post(port, "/inc", "body", 4).status, 200);
        CHECK_EQ_INT(request(port, "GET", "/missing", "X-Test: yes\r\n").status, 404);
        CHECK_EQ_INT(request(port, "PUT", "/", NULL).status, 405);
        CHECK_EQ_INT(count_of(port), 2);
        size_t events = chain_of(rt, id, NULL).length;
        th_runtime_shutdown(rt);
        CHECK_EQ_INT(th_db_sync(db, &err), 0);
        CHECK_EQ_INT(request(port, "GET", "/", NULL).status, 0); /* nothing listens */
        th_db_reader *reader = th_db_reader_open(db, &err);
        CHECK_REPORT_(reader != NULL, "%s", err.msg);
        if (reader) {
            check_replay(reader, id, events + 1); /* and the stop */
            th_db_reader_close(reader);
        }
    }
    th_runtime_free(rt);
    th_db_close(db);
}

/* ---- Responses the server must not send as they are ------------------------------------------ */

/* A guest in WAT whose answer depends on the second byte of the target:
 *   /s  status 42                       /h  a header name with a space
 *   /v  a header value with CR LF       /l  its own Content-Length: 999, body "ok"
 *   /n  204 with a body                 else 200, X-Ok: yes, no body
 * The result (ok(state, response)) is written at 1024: the state as given
 * at 1028, the response at 1040 (status; headers at 1044; body at 1052),
 * its one header at 1100. */
static const char *responder_wat = WAT_MEMORY_AND_ALLOCATOR WAT_INIT_KEEPS_STATE
    "(data (i32.const 2048) \"X-Ok\")\n"
    "(data (i32.const 2056) \"yes\")\n"
    "(data (i32.const 2064) \"Bad Header\")\n"
    "(data (i32.const 2080) \"a\\r\\nInjected: 1\")\n"
    "(data (i32.const 2100) \"Content-Length\")\n"
    "(data (i32.const 2116) \"999\")\n"
    "(data (i32.const 2120) \"ok\")\n"
    "(func (export \"theater:simple/http-handlers#handle-request\")\n"
    "  (param $sd i32) (param $sp i32) (param $sl i32) (param $mp i32) (param $ml i32)\n"
    "  (param $up i32) (param $ul i32) (param $hp i32) (param $hl i32)\n"
    "  (param $bd i32) (param $bp i32) (param $bl i32) (result i32)\n"
    "  (local $c i32) (local $status i32) (local $np i32) (local $nl i32)\n"
    "  (local $vp i32) (local $vl i32) (local $body i32)\n"
    "  (local.set $status (i32.const 200))\n"
    "  (local.set $np (i32.const 2048)) (local.set $nl (i32.const 4))\n"
    "  (local.set $vp (i32.const 2056)) (local.set $vl (i32.const 3))\n"
    "  (local.set $c (i32.load8_u (i32.add (local.get $up) (i32.const 1))))\n"
    "  (if (i32.eq (local.get $c) (i32.const 115)) (then (local.set $status (i32.const 42))))\n"
    "  (if (i32.eq (local.get $c) (i32.const 104))\n"
    "    (then (local.set $np (i32.const 2064)) (local.set $nl (i32.const 10))))\n"
    "  (if (i32.eq (local.get $c) (i32.const 118))\n"
    "    (then (local.set $vp (i32.const 2080)) (local.set $vl (i32.const 14))))\n"
    "  (if (i32.eq (local.get $c) (i32.const 108))\n"
    "    (then (local.set $np (i32.const 2100)) (local.set $nl (i32.const 14))\n"
    "          (local.set $vp (i32.const 2116)) (local.set $vl (i32.const 3))\n"
    "          (local.set $body (i32.const 1))))\n"
    "  (if (i32.eq (local.get $c) (i32.const 110))\n"
    "    (then (local.set $status (i32.const 204)) (local.set $body (i32.const 1))))\n"
    "  (i32.store8 (i32.const 1024) (i32.const 0))\n"
    "  (i32.store8 (i32.const 1028) (local.get $sd))\n"
    "  (i32.store (i32.const 1032) (local.get $sp))\n"
    "  (i32.store (i32.const 1036) (local.get $sl))\n"
    "  (i32.store16 (i32.const 1040) (local.get $status))\n"
    "  (i32.store (i32.const 1100) (local.get $np)) (i32.store (i32.const 1104) (local.get $nl))\n"
    "  (i32.store (i32.const 1108) (local.get $vp)) (i32.store (i32.const 1112) (local.get $vl))\n"
    "  (i32.store (i32.const 1044) (i32.const 1100))\n"
    "  (i32.store (i32.const 1048) (i32.const 1))\n"
    "  (i32.store8 (i32.const 1052) (local.get $body))\n"
    "  (i32.store (i32.const 1056) (i32.const 2120))\n"
    "  (i32.store (i32.const 1060) (i32.const 2))\n"
    "  (i32.const 1024))\n";

TEST(responses_that_are_not_valid_http_are_a_500_and_framing_is_the_servers)
{
    char wat[8192];
    int n = snprintf(wat, sizeof wat, "(module\n%s)\n", responder_wat);
    char *wasm = wat_to_file(tmpdir, "responder", wat, (size_t)n);
    CHECK(wasm != NULL);
    if (!wasm)
        return;
    int port = free_port();
    char *handler = format("[[handlers]]\ntype = \"http-server\"\nconfig = { port = %d }\n", port);
    tmp_path m = actor_manifest("responder.toml", "responder", wasm, "", handler);
    free(handler);
    free(wasm);
    th_runtime *rt = runtime_new(&two_threads);
    char id[33];
    if (!spawn(rt, &m, id)) {
        th_runtime_free(rt);
        return;
    }
    response r = request(port, "GET", "/", NULL);
    CHECK_EQ_INT(r.status, 200);
    CHECK_CONTAINS(r.text, "X-Ok: yes\r\n");
    const char *invalid[] = {"/s", "/h", "/v"};
    for (size_t i = 0; i < 3; i++) {
        r = request(port, "GET", invalid[i], NULL);
        CHECK_EQ_INT(r.status, 500);
        CHECK_CONTAINS(body_of(&r), "the actor's response is not valid HTTP");
        CHECK(strstr(r.text, "Injected") == NULL);
    }
    r = request(port, "GET", "/l", NULL);
    CHECK_EQ_INT(r.status, 200);
    CHECK_CONTAINS(r.text, "Content-Length: 2\r\n");
    CHECK(strstr(r.text, "999") == NULL);
    CHECK_STR_EQ(body_of(&r), "ok");
    r = request(port, "GET", "/n", NULL);
    CHECK_EQ_INT(r.status, 204);
    CHECK_STR_EQ(body_of(&r), "");
    th_runtime_free(rt);
}

int main(void)
{
    if (!fixture_start("http", runtime_engine_options(64)))
        return 1;
    RUN(get_and_post_reach_the_actor_and_each_is_a_call_and_a_return);
    RUN(concurrent_clients_lose_no_increment);
    RUN(headers_and_bodies_over_the_limits_never_reach_the_actor);
    RUN(bad_methods_and_text_that_is_not_utf8_are_refused_good_tokens_reach_the_actor);
    RUN(a_slow_client_does_not_hold_up_the_others);
    RUN(a_full_mailbox_answers_503_at_once);
    RUN(an_actor_that_does_not_answer_in_time_is_a_504);
    RUN(requests_waiting_when_the_actor_stops_get_503_and_the_port_closes);
    RUN(an_actor_that_crashes_mid_request_is_a_500_and_serves_again_once_restarted);
    RUN(an_actor_that_crashes_unsupervised_stops_serving);
    RUN(a_restart_serves_again_on_the_same_port_and_releases_waiting_requests);
    RUN(a_start_that_cannot_serve_is_refused_with_the_reason);
    RUN(a_stored_chain_replays_identically_with_no_server_running);
    RUN(responses_that_are_not_valid_http_are_a_500_and_framing_is_the_servers);
    return fixture_end();
}
