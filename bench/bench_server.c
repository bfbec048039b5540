/* Management server benchmarks, against a real `theater server` process
 * on loopback (and its unix socket), as a client sees it:
 *
 *   - request round trips, one at a time: GetActorStatus (the server
 *     alone) and RequestActorMessage {"op":"inc"} to a counter (the server,
 *     the runtime and one actor call), p50/p99;
 *   - events/s delivered to a subscriber: a counter is sent many incs (two
 *     events each) from SENDERS connections while another, subscribed to
 *     it, counts the event frames that arrive.
 *
 * Each is run RUNS times. Run by `make bench` (the server is build/theater,
 * which `make bench` builds); figures are in docs/BENCHMARKS.md.
 * `bench_server --durability off` runs the server without fsync. */
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"

#define RUNS 3
#define ROUND_TRIPS 20000
#define WARMUP 1000
#define EVENT_INCS 100000
#define SEND_BATCH 128 /* incs written before their responses are read */
#define SENDERS 4      /* connections sending at once: a connection runs one request at a time */

typedef struct client {
    int fd;
    th_buf in;  /* bytes read, not yet taken */
    size_t pos; /* the next frame starts here */
} client;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_server: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ---- Talking to the server ----------------------------------------------------------- */

static void send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("send: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

/* Appends one frame holding `json` to out. */
static void frame_append(th_buf *out, const char *json)
{
    size_t len = strlen(json);
    uint8_t h[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    th_buf_append(out, h, 4);
    th_buf_append(out, json, len);
}

static void send_frame(client *c, const char *json)
{
    th_buf b = TH_BUF_INIT;
    frame_append(&b, json);
    send_all(c->fd, b.data, b.len);
    th_buf_free(&b);
}

/* The next frame's payload (not terminated), valid until the next call. */
static const char *read_frame(client *c, size_t *len)
{
    for (;;) {
        size_t avail = c->in.len - c->pos;
        if (avail >= 4) {
            const uint8_t *p = c->in.data + c->pos;
            size_t n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
            if (avail - 4 >= n) {
                c->pos += 4 + n;
                *len = n;
                return (const char *)p + 4;
            }
        }
        if (c->pos) { /* keep only the partial frame (small) before reading more */
            memmove(c->in.data, c->in.data + c->pos, avail);
            c->in.len = avail;
            c->pos = 0;
        }
        th_buf_reserve(&c->in, 1 << 16);
        ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("recv: %s", strerror(errno));
        if (n == 0)
            die("the server closed the connection");
        c->in.len += (size_t)n;
    }
}

static bool has(const char *payload, size_t len, const char *needle)
{
    return memmem(payload, len, needle, strlen(needle)) != NULL;
}

/* Sends a request and waits for its response (frames pushed before it are
 * skipped); exits unless it is a success. */
static json_t *call(client *c, const char *json)
{
    send_frame(c, json);
    for (;;) {
        size_t len;
        const char *f = read_frame(c, &len);
        if (!has(f, len, "\"type\":\"response\""))
            continue;
        json_error_t jerr;
        json_t *resp = json_loadb(f, len, 0, &jerr);
        if (!resp || !json_is_true(json_object_get(resp, "ok"))) {
            fprintf(stderr, "bench_server: %s\n  answered %.*s\n", json, (int)len, f);
            exit(1);
        }
        return resp;
    }
}

static client connect_to(const struct sockaddr *addr, socklen_t addr_len)
{
    client c = {.fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (c.fd < 0 || connect(c.fd, addr, addr_len) != 0) {
        if (c.fd >= 0)
            close(c.fd);
        c.fd = -1;
        return c;
    }
    int one = 1;
    if (addr->sa_family == AF_INET)
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c;
}

static client connect_tcp(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return connect_to((const struct sockaddr *)&a, sizeof a);
}

static client connect_unix(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    return connect_to((const struct sockaddr *)&a, sizeof a);
}

static void client_close(client *c)
{
    close(c->fd);
    th_buf_free(&c->in);
}

/* ---- The server process ------------------------------------------------------------- */

typedef struct server {
    const char *durability; /* --durability for the server */
    pid_t pid;
    int port;
    char data[64];
    char socket_path[128];
} server;

/* A port nobody listens on now (the server binds it a moment later). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("cannot find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

static void start_server(server *s)
{
    const char *theater = THEATER_BINARY_DIR "/theater";
    if (access(theater, X_OK) != 0)
        die("%s is missing: run `make build` first", theater);
    snprintf(s->data, sizeof s->data, "/tmp/theater-bench-server-XXXXXX");
    if (!mkdtemp(s->data))
        die("mkdtemp: %s", strerror(errno));
    snprintf(s->socket_path, sizeof s->socket_path, "%s/theater.sock", s->data);
    s->port = free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    s->pid = fork();
    if (s->pid < 0)
        die("fork: %s", strerror(errno));
    if (s->pid == 0) {
        execl(theater, "theater", "server", "--data", s->data, "--listen", listen, "--log-level",
              "warn", "--durability", s->durability, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600; i++) { /* up to 30 s */
        client c = connect_tcp(s->port);
        if (c.fd >= 0) {
            client_close(&c);
            return;
        }
        usleep(50000);
    }
    die("the server did not listen on %s", listen);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void stop_server(server *s)
{
    client c = connect_tcp(s->port);
    if (c.fd >= 0) {
        json_decref(call(&c, "{\"id\":1,\"command\":\"Shutdown\"}"));
        client_close(&c);
    }
    int status = 0;
    if (waitpid(s->pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "bench_server: the server did not stop cleanly (status %d)\n", status);
    if (nftw(s->data, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "bench_server: could not remove %s: %s\n", s->data, strerror(errno));
}

static void start_counter(client *c, char id[33])
{
    char req[512];
    snprintf(req, sizeof req,
             "{\"id\":1,\"command\":\"StartActor\",\"manifest_text\":\"name = \\\"counter\\\"\\n"
             "version = \\\"0.1.0\\\"\\npackage = \\\"%s/examples/counter.wasm\\\"\\n"
             "[[handlers]]\\ntype = \\\"message-server\\\"\\n\"}",
             THEATER_BINARY_DIR);
    json_t *resp = call(c, req);
    const char *actor =
        json_string_value(json_object_get(json_object_get(resp, "result"), "actor"));
    if (!actor || strlen(actor) != 32)
        die("StartActor gave no actor id");
    memcpy(id, actor, 33);
    json_decref(resp);
}

/* ---- Round trips ---------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One request at a time, each timed; checks every answer is a success. */
static void round_trips(client *c, const char *what, const char *req)
{
    static double t[ROUND_TRIPS];
    th_buf frame = TH_BUF_INIT;
    frame_append(&frame, req);
    for (int i = 0; i < WARMUP + ROUND_TRIPS; i++) {
        double t0 = now_us();
        send_all(c->fd, frame.data, frame.len);
        size_t len;
        const char *f = read_frame(c, &len);
        double dt = now_us() - t0;
        if (!has(f, len, "\"ok\":true"))
            die("a request failed: %s", req);
        if (i >= WARMUP)
            t[i - WARMUP] = dt;
    }
    th_buf_free(&frame);
    qsort(t, ROUND_TRIPS, sizeof *t, cmp_double);
    printf("%-48s p50 %7.1f us   p99 %7.1f us   (n=%d)\n", what, t[ROUND_TRIPS / 2],
           t[ROUND_TRIPS * 99 / 100], ROUND_TRIPS);
}

static void bench_round_trips(const server *s, client *tcp, const char *counter)
{
    char status[160], inc[200];
    snprintf(status, sizeof status, "{\"id\":2,\"command\":\"GetActorStatus\",\"actor\":\"%s\"}",
             counter);
    snprintf(inc, sizeof inc,
             "{\"id\":3,\"command\":\"RequestActorMessage\",\"actor\":\"%s\","
             "\"message\":{\"op\":\"inc\"}}",
             counter);
    client unix_c = connect_unix(s->socket_path);
    if (unix_c.fd < 0)
        die("cannot connect to %s", s->socket_path);
    for (int run = 1; run <= RUNS; run++) {
        printf("-- round trips, run %d\n", run);
        round_trips(tcp, "GetActorStatus (TCP loopback)", status);
        round_trips(tcp, "RequestActorMessage inc -> counter (TCP)", inc);
        round_trips(&unix_c, "GetActorStatus (unix socket)", status);
        round_trips(&unix_c, "RequestActorMessage inc -> counter (unix)", inc);
    }
    client_close(&unix_c);
}

/* ---- Events to a subscriber ------------------------------------------------------------ */

typedef struct sender {
    const server *s;
    bool use_unix;
    const char *actor;
} sender;

static client connect_server(const server *s, bool use_unix)
{
    client c = use_unix ? connect_unix(s->socket_path) : connect_tcp(s->port);
    if (c.fd < 0)
        die("cannot connect to the server: %s", strerror(errno));
    return c;
}

/* Sends EVENT_INCS / SENDERS incs in batches, reading each batch's responses. */
static void *send_incs(void *ud)
{
    sender *sd = ud;
    client c = connect_server(sd->s, sd->use_unix);
    char req[200];
    snprintf(req, sizeof req,
             "{\"id\":0,\"command\":\"SendActorMessage\",\"actor\":\"%s\","
             "\"message\":{\"op\":\"inc\"}}",
             sd->actor);
    th_buf batch = TH_BUF_INIT;
    for (int i = 0; i < SEND_BATCH; i++)
        frame_append(&batch, req);
    for (int sent = 0; sent < EVENT_INCS / SENDERS; sent += SEND_BATCH) {
        send_all(c.fd, batch.data, batch.len);
        for (int i = 0; i < SEND_BATCH; i++) {
            size_t len;
            const char *f = read_frame(&c, &len);
            if (!has(f, len, "\"ok\":true"))
                die("a send failed: %s", req);
        }
    }
    th_buf_free(&batch);
    client_close(&c);
    return NULL;
}

static void bench_events(const server *s, client *tcp, bool use_unix)
{
    for (int run = 1; run <= RUNS; run++) {
        char counter[33], sub[200];
        start_counter(tcp, counter);
        client subscriber = connect_server(s, use_unix);
        snprintf(sub, sizeof sub, "{\"id\":1,\"command\":\"SubscribeToActor\",\"actor\":\"%s\"}",
                 counter);
        json_decref(call(&subscriber, sub));
        /* Whole batches per sender; an inc is a call and a return event. */
        long per = (EVENT_INCS / SENDERS + SEND_BATCH - 1) / SEND_BATCH * SEND_BATCH;
        long incs = per * SENDERS, want = 2 * incs, events = 0;
        sender sd = {s, use_unix, counter};
        pthread_t threads[SENDERS];
        double t0 = now_us();
        for (int i = 0; i < SENDERS; i++)
            if (pthread_create(&threads[i], NULL, send_incs, &sd) != 0)
                die("pthread_create");
        while (events < want) {
            size_t len;
            const char *f = read_frame(&subscriber, &len);
            if (has(f, len, "\"type\":\"event\""))
                events++;
            else if (has(f, len, "subscription-ended"))
                die("the subscriber was cut off: it did not read fast enough");
        }
        double dt = now_us() - t0;
        for (int i = 0; i < SENDERS; i++)
            pthread_join(threads[i], NULL);
        client_close(&subscriber);
        printf("-- events to a subscriber (%s), run %d: %ld events in %.2f s: %.0f events/s "
               "(%.0f incs/s sent)\n",
               use_unix ? "unix" : "TCP", run, events, dt / 1e6, events / (dt / 1e6),
               incs / (dt / 1e6));
    }
}

int main(int argc, char **argv)
{
    server s = {.durability = "batch"};
    if (argc == 3 && strcmp(argv[1], "--durability") == 0) {
        s.durability = argv[2];
    } else if (argc != 1) {
        fprintf(stderr, "usage: bench_server [--durability always|batch|off]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a write to a closed socket is an error, not a death */
    start_server(&s);
    printf("server: durability %s\n", s.durability);
    client tcp = connect_tcp(s.port);
    if (tcp.fd < 0)
        die("cannot connect to the server");
    char counter[33];
    start_counter(&tcp, counter);
    bench_round_trips(&s, &tcp, counter);
    bench_events(&s, &tcp, false);
    bench_events(&s, &tcp, true);
    client_close(&tcp);
    stop_server(&s);
    return 0;
}
