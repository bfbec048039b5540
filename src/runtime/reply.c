#include "runtime/reply.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/buf.h"
#include "common/clock.h"

th_reply *th_reply_new(void)
{
    th_reply *r = th_xcalloc(1, sizeof *r);
    pthread_condattr_t attr;
    /* Timeouts are measured on the monotonic clock, immune to clock steps. */
    if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
        pthread_cond_init(&r->done_cond, &attr) || pthread_mutex_init(&r->lock, NULL))
        abort();
    pthread_condattr_destroy(&attr);
    r->refs = 2;
    return r;
}

void th_reply_release(th_reply *r)
{
    pthread_mutex_lock(&r->lock);
    bool last = --r->refs == 0;
    pthread_mutex_unlock(&r->lock);
    if (!last)
        return;
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->done_cond);
    free(r->data);
    free(r);
}

/* Answers once (a second answer is a bug in the caller, ignored). */
static void answer(th_reply *r, bool ok, bool accepted, const uint8_t *data, size_t len,
                   bool has_data, const char *error)
{
    pthread_mutex_lock(&r->lock);
    if (!r->done) {
        r->done = true;
        r->ok = ok;
        r->accepted = accepted;
        r->has_data = has_data;
        if (has_data) {
            r->data = th_xmemdup(data ? data : (const uint8_t *)"", len);
            r->len = len;
        }
        if (error)
            snprintf(r->error, sizeof r->error, "%s", error);
        atomic_store(&r->answered, true);
        pthread_cond_broadcast(&r->done_cond);
    }
    pthread_mutex_unlock(&r->lock);
    th_reply_release(r);
}

void th_reply_ok(th_reply *r, const uint8_t *data, size_t len, bool has_data)
{
    answer(r, true, true, data, len, has_data, NULL);
}

void th_reply_accept(th_reply *r, bool accepted, const uint8_t *data, size_t len, bool has_data)
{
    answer(r, true, accepted, data, len, has_data, NULL);
}

void th_reply_fail(th_reply *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    answer(r, false, false, NULL, 0, false, msg);
}

/* How long a waiter spins before it sleeps: an actor's answer often comes
 * within a few microseconds, sooner than a sleeping thread can be woken. */
#define SPIN_NS 20000

bool th_reply_wait(th_reply *r, uint32_t timeout_ms)
{
    int64_t spin_until = th_monotonic_ns() + SPIN_NS;
    while (!atomic_load_explicit(&r->answered, memory_order_acquire) &&
           th_monotonic_ns() < spin_until)
        __builtin_ia32_pause();
    struct timespec deadline = th_deadline_ms(timeout_ms);
    pthread_mutex_lock(&r->lock);
    while (!r->done) {
        int rc = timeout_ms ? pthread_cond_timedwait(&r->done_cond, &r->lock, &deadline)
                            : pthread_cond_wait(&r->done_cond, &r->lock);
        if (rc == ETIMEDOUT)
            break;
    }
    bool done = r->done;
    pthread_mutex_unlock(&r->lock);
    return done;
}
