/* The management server's loop: listeners, connections, the order of
 * requests and responses, and the frames other threads push. The commands
 * themselves are in commands.c. */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/file.h"
#include "server/server_internal.h"

/* A connection stops reading while this much waits to be written to it, or
 * this many requests wait to run: a client that does not read cannot make
 * the server hold unbounded memory. */
#define OUT_HIGH_WATER (4u << 20)
#define QUEUE_HIGH_WATER 256

typedef struct job {
    uv_work_t work;
    conn *c;
    json_t *req; /* NULL: `resp` is ready (an error found by the loop) */
    json_t *resp;
    pusher *opened; /* a stream the command opened */
    pusher *target; /* UnsubscribeFromActor: the subscription */
    struct job *next;
} job;

struct conn {
    server *srv;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    conn *prev, *next;
    th_frame_reader reader;
    job *head, *tail; /* requests waiting, in order */
    size_t queued;
    bool running; /* the head job is on the pool */
    bool reading;
    bool closed; /* the handle is closed or closing */
    bool flush_then_close;
    size_t out_bytes; /* written, not yet completed */
    int refs;         /* the handle, a running job, cleanups */
    pusher *pushers;  /* its subscriptions and channels */
};

typedef struct write_req {
    uv_write_t req;
    conn *c;
    size_t len;
    uint8_t data[];
} write_req;

/* ---- Logging ------------------------------------------------------------------------- */

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int th_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void th_server_log(const server *srv, th_log_level level, const char *fmt, ...)
{
    if (level > srv->opts.log_level)
        return;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char msg[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %-5s %s\n", when, level_names[level], msg);
}

static void log_actor_line(void *ud, const char *actor_id, const char *actor_name, const char *msg,
                           size_t len)
{
    th_server_log(ud, TH_LOG_INFO, "[%s %.8s] %.*s", actor_name, actor_id ? actor_id : "", (int)len,
                  msg);
}

/* ---- Writing -------------------------------------------------------------------------------- */

static void conn_release(conn *c);
static void conn_close(conn *c);
static void conn_pump(conn *c);
static void conn_read_more(conn *c);
static void queue_cleanup(job *j);

/* A connection asked to close once everything owed to it is written. */
static void close_when_flushed(conn *c)
{
    if (c->flush_then_close && !c->head && c->out_bytes == 0)
        conn_close(c);
}

static void on_written(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    conn *c = w->c;
    c->out_bytes -= w->len;
    free(w);
    if (status < 0 && !c->closed)
        conn_close(c);
    close_when_flushed(c);
    conn_read_more(c);
    conn_release(c);
}

static void write_bytes(conn *c, const uint8_t *data, size_t len)
{
    if (c->closed)
        return;
    write_req *w = th_xmalloc(sizeof *w + len);
    w->c = c;
    w->len = len;
    memcpy(w->data, data, len);
    uv_buf_t buf = uv_buf_init((char *)w->data, (unsigned)len);
    c->refs++;
    c->out_bytes += len;
    if (uv_write(&w->req, &c->h.stream, &buf, 1, on_written) != 0) {
        c->refs--;
        c->out_bytes -= len;
        free(w);
        conn_close(c);
    }
}

static void write_json(conn *c, json_t *frame)
{
    char *text = frame ? json_dumps(frame, JSON_COMPACT) : NULL;
    if (text) {
        th_buf b = TH_BUF_INIT;
        th_frame_encode(&b, text, strlen(text));
        write_bytes(c, b.data, b.len);
        th_buf_free(&b);
    }
    free(text);
}

/* ---- Pushers: frames from other threads
 * ---------------------------------------------------------- */

pusher *th_pusher_new(server *srv, bool is_channel)
{
    pusher *p = th_xcalloc(1, sizeof *p);
    p->srv = srv;
    p->is_channel = is_channel;
    if (pthread_mutex_init(&p->lock, NULL))
        abort();
    return p;
}

void th_pusher_push(pusher *p, json_t *frame)
{
    char *text = frame ? json_dumps(frame, JSON_COMPACT) : NULL;
    json_decref(frame);
    if (!text)
        return;
    bool wake = false;
    pthread_mutex_lock(&p->lock);
    if (!p->ended) {
        th_frame_encode(&p->pending, text, strlen(text));
        wake = !p->queued;
        p->queued = true;
    }
    pthread_mutex_unlock(&p->lock);
    free(text);
    if (!wake)
        return;
    server *srv = p->srv;
    pthread_mutex_lock(&srv->dirty_lock);
    p->next_dirty = srv->dirty;
    srv->dirty = p;
    pthread_mutex_unlock(&srv->dirty_lock);
    uv_async_send(&srv->wake);
}

/* Loop thread: writes what a pusher holds, once its opening response is
 * out. A client too slow to take its events loses the subscription, not
 * the server's memory. */
static void pusher_flush(pusher *p)
{
    pthread_mutex_lock(&p->lock);
    p->queued = false;
    conn *c = p->c;
    bool too_slow = c && !p->is_channel && c->out_bytes > OUT_HIGH_WATER;
    if (c && p->ready && !c->closed && p->pending.len && !too_slow) {
        write_bytes(c, p->pending.data, p->pending.len);
        th_buf_reset(&p->pending);
    }
    bool end_it = too_slow && !p->ended;
    if (end_it) {
        p->ended = true;
        th_buf_free(&p->pending);
    }
    pthread_mutex_unlock(&p->lock);
    if (end_it) {
        json_t *f = json_pack("{s:s, s:I, s:s}", "type", "subscription-ended", "subscription",
                              (json_int_t)p->number, "reason",
                              "the client did not read its events fast enough");
        write_json(c, f);
        json_decref(f);
        /* the runtime subscription ends when the connection closes; until
         * then its events are dropped here, since p->ended */
    }
}

static void on_wake(uv_async_t *h)
{
    server *srv = h->data;
    pthread_mutex_lock(&srv->dirty_lock);
    pusher *p = srv->dirty;
    srv->dirty = NULL;
    pthread_mutex_unlock(&srv->dirty_lock);
    while (p) {
        pusher *next = p->next_dirty;
        pusher_flush(p);
        p = next;
    }
    if (atomic_load(&srv->shutdown_asked) && !srv->shutting_down)
        th_server_begin_shutdown(srv);
}

void th_pusher_stop(server *srv, pusher *p)
{
    th_error err;
    if (p->is_channel) /* it may have closed already: nothing to say then */
        th_runtime_channel_close(srv->rt, p->channel, &err);
    else
        th_runtime_unsubscribe(srv->rt, p->actor, p->sub_id, &err);
    pthread_mutex_lock(&p->lock);
    p->ended = true;
    th_buf_free(&p->pending);
    pthread_mutex_unlock(&p->lock);
}

/* ---- Jobs: one request at a time per connection, in order ---------------------------------------
 */

static void job_work(uv_work_t *w)
{
    job *j = w->data;
    server *srv = j->c->srv;
    if (j->target) { /* UnsubscribeFromActor */
        th_pusher_stop(srv, j->target);
        j->resp = json_pack("{s:s, s:O, s:b, s:{}}", "type", "response", "id",
                            json_object_get(j->req, "id"), "ok", 1, "result");
    } else {
        j->resp = th_command_run(srv, j->req, &j->opened);
    }
}

static void job_free(job *j)
{
    json_decref(j->req);
    json_decref(j->resp);
    free(j);
}

static void attach_pusher(conn *c, pusher *p)
{
    server *srv = c->srv;
    p->c = c;
    p->next_all = srv->pushers;
    srv->pushers = p;
    p->next_conn = c->pushers;
    c->pushers = p;
    pthread_mutex_lock(&p->lock);
    p->ready = true;
    pthread_mutex_unlock(&p->lock);
    pusher_flush(p); /* what came before the response was written */
}

static void job_done(uv_work_t *w, int status)
{
    (void)status;
    job *j = w->data;
    conn *c = j->c;
    c->running = false;
    c->head = j->next;
    if (!c->head)
        c->tail = NULL;
    c->queued--;
    if (!c->closed && j->resp)
        write_json(c, j->resp);
    if (j->opened) {
        attach_pusher(c, j->opened); /* a closed conn's pushers are stopped at close */
        if (c->closed) {
            c->refs++; /* released by the cleanup job */
            pusher *p = j->opened;
            job *stop = th_xcalloc(1, sizeof *stop);
            stop->c = c;
            stop->target = p;
            stop->req = json_object();
            stop->work.data = stop;
            queue_cleanup(stop);
        }
    }
    job_free(j);
    conn_pump(c);
    close_when_flushed(c);
    conn_read_more(c);
    conn_release(c);
}

static void cleanup_done(uv_work_t *w, int status)
{
    (void)status;
    job *j = w->data;
    conn *c = j->c;
    job_free(j);
    conn_release(c);
}

static void queue_cleanup(job *j)
{
    if (uv_queue_work(&j->c->srv->loop, &j->work, job_work, cleanup_done) != 0) {
        conn *c = j->c;
        job_free(j);
        conn_release(c);
    }
}

/* Starts the next request of the connection, if none is running. */
static void conn_pump(conn *c)
{
    while (!c->running && c->head && !c->closed) {
        job *j = c->head;
        if (!j->req) { /* an answer the loop already knows */
            c->head = j->next;
            if (!c->head)
                c->tail = NULL;
            c->queued--;
            write_json(c, j->resp);
            job_free(j);
            continue;
        }
        c->running = true;
        c->refs++;
        j->work.data = j;
        if (uv_queue_work(&c->srv->loop, &j->work, job_work, job_done) != 0) {
            c->running = false;
            c->refs--;
            conn_close(c);
        }
    }
}

static void enqueue(conn *c, job *j)
{
    j->c = c;
    if (c->tail)
        c->tail->next = j;
    else
        c->head = j;
    c->tail = j;
    c->queued++;
}

static void enqueue_error(conn *c, json_t *id, const char *code, const char *msg)
{
    job *j = th_xcalloc(1, sizeof *j);
    j->resp = th_response_error(id, code, "%s", msg);
    enqueue(c, j);
}

static pusher *find_subscription(conn *c, json_int_t number)
{
    for (pusher *p = c->pushers; p; p = p->next_conn)
        if (!p->is_channel && !p->ended && (json_int_t)p->number == number)
            return p;
    return NULL;
}

/* UnsubscribeFromActor names one of this connection's subscriptions, which
 * only the loop may look at: it is found here, or answered here. */
static void resolve_unsubscribe(conn *c, job *j, json_t *id)
{
    json_t *n = json_object_get(j->req, "subscription");
    const char *key, *unknown = NULL;
    json_t *v;
    json_object_foreach(j->req, key, v)
    {
        (void)v;
        if (!unknown && strcmp(key, "id") && strcmp(key, "command") && strcmp(key, "subscription"))
            unknown = key;
    }
    if (unknown)
        j->resp = th_response_error(id, "bad_request",
                                    "unknown field '%.64s' for UnsubscribeFromActor", unknown);
    else if (!json_is_integer(n))
        j->resp = th_response_error(id, "bad_request", "field 'subscription' must be an integer");
    else if (!(j->target = find_subscription(c, json_integer_value(n))))
        j->resp = th_response_error(id, "not_found", "this connection has no subscription %lld",
                                    (long long)json_integer_value(n));
    if (j->resp) {
        json_decref(j->req);
        j->req = NULL;
    }
}

/* One frame: parse it on the loop (cheap), queue it in order. */
static void handle_frame(conn *c, const uint8_t *payload, size_t len)
{
    json_error_t jerr;
    json_t *req = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req || !json_is_object(req)) {
        char msg[300];
        if (req)
            snprintf(msg, sizeof msg, "a request must be a JSON object");
        else
            snprintf(msg, sizeof msg, "the frame is not valid JSON: %s (at byte %d)", jerr.text,
                     jerr.position);
        json_decref(req);
        enqueue_error(c, NULL, "bad_frame", msg);
        return;
    }
    json_t *id = json_object_get(req, "id");
    json_t *command = json_object_get(req, "command");
    const char *problem = NULL;
    if (!id || !(json_is_integer(id) || json_is_string(id)))
        problem = "every request needs an 'id' (a number or a string)";
    else if (!json_is_string(command))
        problem = "every request needs a 'command' (a string)";
    if (problem) {
        enqueue_error(c, id && (json_is_integer(id) || json_is_string(id)) ? id : NULL,
                      "bad_request", problem);
        json_decref(req);
        return;
    }
    job *j = th_xcalloc(1, sizeof *j);
    j->req = req;
    if (strcmp(json_string_value(command), "UnsubscribeFromActor") == 0)
        resolve_unsubscribe(c, j, id);
    enqueue(c, j);
}

/* ---- Reading -----------------------------------------------------------------------------------
 */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    size_t n = suggested < 65536 ? suggested : 65536;
    buf->base = th_xmalloc(n);
    buf->len = n;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = s->data;
    if (nread < 0) {
        free(buf->base);
        conn_close(c); /* EOF or error: the client is gone */
        return;
    }
    th_frame_feed(&c->reader, (const uint8_t *)buf->base, (size_t)nread);
    free(buf->base);
    for (;;) {
        const uint8_t *payload;
        size_t len;
        uint32_t bad;
        th_frame_status st = th_frame_next(&c->reader, &payload, &len, &bad);
        if (st == TH_FRAME_MORE)
            break;
        if (st == TH_FRAME_BAD_LENGTH) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "frame length %u is %s (1 to %u bytes); the connection is closed", bad,
                     bad ? "over the limit" : "zero", c->reader.max);
            th_server_log(c->srv, TH_LOG_WARN, "closing a connection: %s", msg);
            enqueue_error(c, NULL, "bad_frame", msg);
            conn_pump(c);
            c->flush_then_close = true;
            uv_read_stop(&c->h.stream);
            c->reading = false;
            close_when_flushed(c);
            return;
        }
        handle_frame(c, payload, len);
    }
    conn_pump(c);
    if (c->queued >= QUEUE_HIGH_WATER || c->out_bytes >= OUT_HIGH_WATER) {
        uv_read_stop(&c->h.stream); /* back-pressure: resumed by conn_read_more */
        c->reading = false;
    }
}

static void conn_read_more(conn *c)
{
    if (c->closed || c->reading || c->flush_then_close)
        return;
    if (c->queued < QUEUE_HIGH_WATER / 2 && c->out_bytes < OUT_HIGH_WATER / 2) {
        if (uv_read_start(&c->h.stream, on_alloc, on_read) == 0)
            c->reading = true;
    }
}

/* ---- Connections ------------------------------------------------------------------------------
 */

static void conn_free(conn *c)
{
    server *srv = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    while (c->head) {
        job *j = c->head;
        c->head = j->next;
        job_free(j);
    }
    th_frame_reader_free(&c->reader);
    free(c);
}

static void conn_release(conn *c)
{
    if (--c->refs == 0)
        conn_free(c);
}

static void on_conn_closed(uv_handle_t *h)
{
    conn *c = h->data;
    /* Its subscriptions and channels end, on the pool (they take actor locks). */
    for (pusher *p = c->pushers; p; p = p->next_conn) {
        job *stop = th_xcalloc(1, sizeof *stop);
        stop->c = c;
        stop->target = p;
        stop->req = json_object();
        stop->work.data = stop;
        c->refs++;
        queue_cleanup(stop);
    }
    conn_release(c); /* the handle's reference */
}

static void conn_close(conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    c->reading = false;
    uv_close(&c->h.handle, on_conn_closed);
}

static void on_connection(uv_stream_t *listener, int status)
{
    server *srv = listener->data;
    if (status < 0 || srv->shutting_down)
        return;
    conn *c = th_xcalloc(1, sizeof *c);
    c->srv = srv;
    c->refs = 1;
    th_frame_reader_init(&c->reader, srv->opts.max_frame);
    int rc = listener == (uv_stream_t *)&srv->tcp ? uv_tcp_init(&srv->loop, &c->h.tcp)
                                                  : uv_pipe_init(&srv->loop, &c->h.pipe, 0);
    c->h.handle.data = c;
    if (rc == 0)
        rc = uv_accept(listener, &c->h.stream);
    if (rc == 0 && listener == (uv_stream_t *)&srv->tcp)
        uv_tcp_nodelay(&c->h.tcp, 1); /* responses go out at once, not after Nagle's wait */
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    if (rc != 0) {
        th_server_log(srv, TH_LOG_WARN, "could not accept a connection: %s", uv_strerror(rc));
        conn_close(c);
        return;
    }
    conn_read_more(c);
}

/* ---- Starting ----------------------------------------------------------------------------------
 */

/* One server per data directory: a lock held for the server's life. */
static int lock_data_dir(server *srv, th_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/server.lock", srv->opts.data_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return th_error_set(err, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        return th_error_set(err, "another theater server is running on the data directory %s%s%s%s",
                            srv->opts.data_dir, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        close(fd);
        return th_error_set(err, "cannot write %s: %s", path, strerror(errno));
    }
    srv->lock_fd = fd;
    return 0;
}

static int parse_listen(const char *s, char host[64], int *port, th_error *err)
{
    const char *colon = strrchr(s, ':');
    char *end;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == s || (size_t)(colon - s) >= 64 || *end || p < 0 || p > 65535)
        return th_error_set(err, "--listen '%s' is not HOST:PORT (e.g. 127.0.0.1:9000)", s);
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    *port = (int)p;
    return 0;
}

static int listen_tcp(server *srv, const char *spec, th_error *err)
{
    char host[64];
    int port = 0;
    struct sockaddr_in addr;
    if (parse_listen(spec, host, &port, err))
        return -1;
    if (uv_ip4_addr(host, port, &addr) != 0)
        return th_error_set(err, "--listen: '%s' is not an IPv4 address", host);
    int rc = uv_tcp_init(&srv->loop, &srv->tcp);
    srv->tcp.data = srv;
    srv->has_tcp = rc == 0;
    if (rc == 0)
        rc = uv_tcp_bind(&srv->tcp, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->tcp, 511, on_connection);
    if (rc != 0)
        return th_error_set(err, "cannot listen on %s: %s", spec, uv_strerror(rc));
    return 0;
}

static int listen_unix(server *srv, const char *path, th_error *err)
{
    if (strlen(path) >= 100)
        return th_error_set(err, "the socket path %s is too long for a unix socket (give --socket)",
                            path);
    /* We hold the data directory's lock: a socket file left there is a
     * dead server's. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    int rc = uv_pipe_init(&srv->loop, &srv->pipe, 0);
    srv->pipe.data = srv;
    srv->has_pipe = rc == 0;
    if (rc == 0)
        rc = uv_pipe_bind(&srv->pipe, path);
    if (rc == 0) {
        srv->socket_path = th_xstrdup(path);
        chmod(path, 0600); /* the socket is its owner's, like the data directory */
        rc = uv_listen((uv_stream_t *)&srv->pipe, 511, on_connection);
    }
    if (rc != 0)
        return th_error_set(err, "cannot listen on %s: %s", path, uv_strerror(rc));
    return 0;
}

typedef struct resume_list {
    char (*ids)[33];
    size_t n;
} resume_list;

static int collect_running(void *ud, const th_actor_info *info)
{
    resume_list *l = ud;
    if (strcmp(info->status, "running") != 0)
        return 0;
    l->ids = th_xrealloc(l->ids, (l->n + 1) * sizeof *l->ids);
    memcpy(l->ids[l->n++], info->id, 33);
    return 0;
}

/* The actors a crash or kill left marked running come back from their last
 * state (docs/storage.md). */
static void resume_running(server *srv)
{
    th_error err;
    resume_list l = {0};
    th_db_reader *r = th_db_reader_open(srv->db, &err);
    if (!r || th_db_list_actors(r, collect_running, &l, &err) != 0)
        th_server_log(srv, TH_LOG_ERROR, "cannot list the stored actors: %s", err.msg);
    th_db_reader_close(r);
    for (size_t i = 0; i < l.n; i++) {
        char id[33];
        if (th_runtime_resume(srv->rt, l.ids[i], id, &err) == 0)
            th_server_log(srv, TH_LOG_INFO, "resumed %s", id);
        else
            th_server_log(srv, TH_LOG_WARN, "could not resume %s: %s", l.ids[i], err.msg);
    }
    free(l.ids);
}

/* ---- Stopping ----------------------------------------------------------------------------------
 */

static void on_signal(uv_signal_t *h, int signum)
{
    server *srv = h->data;
    th_server_log(srv, TH_LOG_INFO, "%s: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    atomic_store(&srv->shutdown_asked, true);
    on_wake(&srv->wake);
}

/* Stops listening, stops every actor (their chains are flushed when the
 * database closes), and closes the connections once what they were sent
 * is written. The loop then ends when the last handle closes. */
void th_server_begin_shutdown(server *srv)
{
    srv->shutting_down = true;
    if (srv->has_tcp)
        uv_close((uv_handle_t *)&srv->tcp, NULL);
    if (srv->has_pipe)
        uv_close((uv_handle_t *)&srv->pipe, NULL);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    th_runtime_shutdown(srv->rt);
    on_wake(&srv->wake); /* the last events and channel frames */
    for (conn *c = srv->conns; c; c = c->next) {
        c->flush_then_close = true;
        close_when_flushed(c);
    }
    uv_unref((uv_handle_t *)&srv->wake); /* the loop may end with it open */
}

static void free_pushers(server *srv)
{
    for (pusher *p = srv->pushers; p;) {
        pusher *next = p->next_all;
        th_buf_free(&p->pending);
        pthread_mutex_destroy(&p->lock);
        free(p);
        p = next;
    }
}

int th_server_run(const th_server_options *opts, th_error *err)
{
    server *srv = th_xcalloc(1, sizeof *srv);
    srv->opts = *opts;
    srv->lock_fd = -1;
    srv->started_ns = th_now_ns();
    int rc = -1;
    bool loop_ready = false;
    if (th_mkdir_p(opts->data_dir, 0700) != 0) {
        th_error_set(err, "cannot create the data directory %s: %s", opts->data_dir,
                     strerror(errno));
        goto out;
    }
    if (lock_data_dir(srv, err))
        goto out;
    /* A client that goes away while being written to is an error on that
     * connection, not a signal that ends the server. */
    signal(SIGPIPE, SIG_IGN);
    /* Commands wait on actors on the pool: give it room for many at once. */
    setenv("UV_THREADPOOL_SIZE", "64", 0);
    if (uv_loop_init(&srv->loop) != 0) {
        th_error_set(err, "cannot start the event loop");
        goto out;
    }
    loop_ready = true;
    if (pthread_mutex_init(&srv->dirty_lock, NULL) ||
        uv_async_init(&srv->loop, &srv->wake, on_wake) != 0) {
        th_error_set(err, "cannot set up the server's wake-up");
        goto out;
    }
    srv->wake.data = srv;
    /* A server is the one engine of its process: room for many actors. */
    th_engine_options eo = {.log = log_actor_line, .log_userdata = srv, .pool_slots = 10000};
    th_runtime_options ro = {.threads = opts->threads};
    if (!(srv->engine = th_engine_new(&eo, err)) ||
        !(srv->db = th_db_open(opts->data_dir, opts->durability, err)))
        goto out;
    ro.db = srv->db;
    if (!(srv->rt = th_runtime_new(srv->engine, &ro, err)))
        goto out;
    /* Before listening: a client that can connect sees every actor that
     * was running, not a runtime still bringing them back. */
    resume_running(srv);
    const char *listen = opts->listen ? opts->listen : "127.0.0.1:9000";
    char sock[4200];
    snprintf(sock, sizeof sock, "%s/theater.sock", opts->data_dir);
    const char *socket_path = opts->socket_path ? opts->socket_path : sock;
    if ((*listen && listen_tcp(srv, listen, err)) ||
        (*socket_path && listen_unix(srv, socket_path, err)))
        goto out;
    if (!*listen && !*socket_path) {
        th_error_set(err, "nothing to listen on: give --listen or --socket");
        goto out;
    }
    uv_signal_init(&srv->loop, &srv->sigint);
    uv_signal_init(&srv->loop, &srv->sigterm);
    srv->sigint.data = srv->sigterm.data = srv;
    uv_signal_start(&srv->sigint, on_signal, SIGINT);
    uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
    th_server_log(srv, TH_LOG_INFO, "listening on %s%s%s (data %s)", *listen ? listen : "",
                  *listen && *socket_path ? " and " : "", *socket_path ? socket_path : "",
                  opts->data_dir);
    if (opts->on_ready)
        opts->on_ready(opts->ud);
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    rc = 0;
out:
    if (loop_ready) {
        if (!srv->shutting_down && srv->rt) { /* a failed start: nothing is connected */
            srv->shutting_down = true;
            if (srv->has_tcp)
                uv_close((uv_handle_t *)&srv->tcp, NULL);
            if (srv->has_pipe)
                uv_close((uv_handle_t *)&srv->pipe, NULL);
        }
        if (!uv_is_closing((uv_handle_t *)&srv->wake) && srv->wake.data)
            uv_close((uv_handle_t *)&srv->wake, NULL);
        uv_run(&srv->loop, UV_RUN_DEFAULT);
        uv_loop_close(&srv->loop);
        pthread_mutex_destroy(&srv->dirty_lock);
    }
    th_runtime_free(srv->rt);
    if (srv->db) {
        th_error serr;
        if (th_db_sync(srv->db, &serr) != 0) {
            th_server_log(srv, TH_LOG_ERROR, "storing the chains failed: %s", serr.msg);
            if (rc == 0)
                th_error_set(err, "storing the chains failed: %s", serr.msg);
            rc = -1;
        }
        th_db_close(srv->db);
    }
    th_engine_free(srv->engine);
    free_pushers(srv);
    if (srv->socket_path)
        unlink(srv->socket_path);
    free(srv->socket_path);
    if (srv->lock_fd >= 0)
        close(srv->lock_fd);
    if (rc == 0)
        th_server_log(srv, TH_LOG_INFO, "stopped");
    free(srv);
    return rc;
}
