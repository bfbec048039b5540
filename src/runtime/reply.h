/* A reply slot: how a thread that asked something of an actor (a request,
 * a channel open, a stop) waits for the answer. Two owners share it, the
 * waiter and the message that carries it; the last one to let go frees it.
 * A waiter that gives up (timeout) leaves; the answer, when it comes, is
 * dropped. */
#ifndef TH_RUNTIME_REPLY_H
#define TH_RUNTIME_REPLY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "theater/theater.h"

typedef struct th_reply {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t done_cond;
    int refs;
    bool done;
    atomic_bool answered; /* `done`, readable without the lock: for a brief spin */
    bool ok;
    bool accepted; /* channel opens: the actor accepted */
    bool has_data;
    uint8_t *data; /* the answer's bytes (owned), when has_data */
    size_t len;
    char error[512]; /* when !ok */
} th_reply;

/* A slot with two references: the waiter's and the message's. */
th_reply *th_reply_new(void);
/* Answers and drops the answerer's reference. Data is copied. */
void th_reply_ok(th_reply *r, const uint8_t *data, size_t len, bool has_data);
void th_reply_accept(th_reply *r, bool accepted, const uint8_t *data, size_t len, bool has_data);
void th_reply_fail(th_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops one reference without answering (the waiter's after reading it). */
void th_reply_release(th_reply *r);
/* Waits up to timeout_ms (0: forever) for the answer; false on timeout. */
bool th_reply_wait(th_reply *r, uint32_t timeout_ms);

#endif
