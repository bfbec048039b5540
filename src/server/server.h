/* theater server: the runtime as a long-lived service, managed over the
 * protocol of docs/protocol.md on loopback TCP and a unix socket.
 *
 * Threads: the libuv loop thread owns the listeners, every connection and
 * everything written to a socket. Commands run on libuv's thread pool (they
 * may wait on actors); their results come back to the loop thread. Actor
 * threads never touch a socket: events and channel messages for a client
 * are queued in a "pusher" under its own lock and the loop is woken. */
#ifndef TH_SERVER_SERVER_H
#define TH_SERVER_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "theater/theater.h"

typedef enum th_log_level {
    TH_LOG_ERROR = 0,
    TH_LOG_WARN = 1,
    TH_LOG_INFO = 2,
    TH_LOG_DEBUG = 3,
} th_log_level;

/* "error", "warn", "info", "debug"; -1 for anything else. */
int th_log_level_parse(const char *s);

typedef struct th_server_options {
    const char *data_dir;    /* required: the database, the lock, the default socket */
    const char *listen;      /* "HOST:PORT" on loopback; NULL: 127.0.0.1:9000; "": none */
    const char *socket_path; /* NULL: DATA_DIR/theater.sock; "": none */
    th_log_level log_level;
    uint32_t max_frame; /* 0: 16 MiB */
    unsigned threads;   /* runtime workers; 0: one per core */
    th_durability durability;
    /* Called once the server listens (tests and `make run` wait for it). */
    void (*on_ready)(void *ud);
    void *ud;
} th_server_options;

/* Runs until SIGINT, SIGTERM or a Shutdown command; 0 after a clean stop
 * (actors stopped, chains flushed), -1 with err when it cannot start. */
int th_server_run(const th_server_options *opts, th_error *err);

#endif
