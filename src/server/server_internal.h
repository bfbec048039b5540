/* What server.c (the loop, connections) and commands.c (the commands, on
 * the thread pool) share. */
#ifndef TH_SERVER_INTERNAL_H
#define TH_SERVER_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "common/buf.h"
#include "server/frame.h"
#include "server/server.h"
#include "store/db.h"

typedef struct server server;
typedef struct conn conn;

/* Frames that other threads produce for one client (a subscription's
 * events, a channel's messages), queued under the pusher's lock until the
 * loop writes them. Pushers live until the server stops, so a callback
 * racing with a close never sees freed memory. */
typedef struct pusher {
    server *srv;
    conn *c;              /* loop thread only */
    pthread_mutex_t lock; /* guards the fields below */
    th_buf pending;       /* whole frames */
    bool queued;          /* on the server's dirty list */
    bool ready;           /* its opening response has been written */
    bool ended;           /* no more frames */
    bool is_channel;
    uint64_t number;           /* subscription number, for the protocol */
    uint64_t sub_id;           /* the runtime's subscription */
    char actor[33];            /* the subscribed actor */
    char channel[33];          /* the channel */
    struct pusher *next_dirty; /* guarded by srv->dirty_lock */
    struct pusher *next_all;   /* loop thread: every pusher, for the end */
    struct pusher *next_conn;  /* loop thread: the connection's */
} pusher;

struct server {
    th_server_options opts;
    uv_loop_t loop;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
    bool has_tcp, has_pipe;
    char *socket_path; /* owned; removed at the end */
    uv_signal_t sigint, sigterm;
    uv_async_t wake; /* from other threads: pushers are dirty, or Shutdown */
    pthread_mutex_t dirty_lock;
    pusher *dirty;
    atomic_bool shutdown_asked;
    atomic_uint_fast64_t next_subscription;
    bool shutting_down;
    th_engine *engine;
    th_db *db;
    th_runtime *rt;
    conn *conns; /* doubly linked */
    pusher *pushers;
    int lock_fd;
    int64_t started_ns;
};

/* Logs a line on stderr when `level` is enabled. Any thread. */
void th_server_log(const server *srv, th_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Runs one request (a parsed frame) on a pool thread; returns the whole
 * response. A command that opens a stream (subscribe, channel) returns the
 * pusher it made in *opened, to be attached to the connection by the loop. */
json_t *th_command_run(server *srv, json_t *req, pusher **opened);
/* The error response for a request id (may be NULL). */
json_t *th_response_error(json_t *id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Queues a frame on a pusher and wakes the loop. Any thread. */
void th_pusher_push(pusher *p, json_t *frame);
pusher *th_pusher_new(server *srv, bool is_channel);
/* Loop thread: stops listening and everything, then lets the loop end. */
void th_server_begin_shutdown(server *srv);
/* Stops a pusher's stream (unsubscribe / channel close); pool thread. */
void th_pusher_stop(server *srv, pusher *p);

#endif
