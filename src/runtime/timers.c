#include "runtime/timers.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "runtime/cell.h"

typedef struct timer {
    int64_t due_ns; /* monotonic */
    uint64_t id;
    th_cell *cell;
    uint64_t incarnation; /* the cell's restart count when it was set */
} timer;

struct th_timers {
    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t changed;
    timer *heap; /* a min-heap on due_ns */
    size_t n, cap;
    uint64_t next_id;
    bool stopping;
};

static bool earlier(const timer *a, const timer *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->id < b->id);
}

static void swap(timer *a, timer *b)
{
    timer t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(th_timers *t, size_t i)
{
    while (i && earlier(&t->heap[i], &t->heap[(i - 1) / 2])) {
        swap(&t->heap[i], &t->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

static void sift_down(th_timers *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && earlier(&t->heap[l], &t->heap[m]))
            m = l;
        if (r < t->n && earlier(&t->heap[r], &t->heap[m]))
            m = r;
        if (m == i)
            return;
        swap(&t->heap[i], &t->heap[m]);
        i = m;
    }
}

static void remove_at(th_timers *t, size_t i)
{
    t->heap[i] = t->heap[--t->n];
    if (i < t->n) {
        sift_down(t, i);
        sift_up(t, i);
    }
}

/* Due timers leave the heap under the lock and fire outside it. */
static void fire(timer *due)
{
    uint64_t body[2] = {due->id, due->incarnation};
    th_msg *m = th_msg_new(TH_MSG_TIMER, body, sizeof body);
    if (th_mailbox_push(due->cell, m, false) != TH_PUSH_OK)
        th_msg_free(m); /* it stopped meanwhile */
}

static void *timers_main(void *arg)
{
    th_timers *t = arg;
    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        if (t->n == 0) {
            pthread_cond_wait(&t->changed, &t->lock);
            continue;
        }
        int64_t now = th_monotonic_ns();
        if (t->heap[0].due_ns > now) {
            int64_t wait_ns = t->heap[0].due_ns - now;
            uint32_t ms = (uint32_t)(wait_ns / 1000000 + 1);
            struct timespec deadline = th_deadline_ms(ms > 60000 ? 60000 : ms);
            pthread_cond_timedwait(&t->changed, &t->lock, &deadline);
            continue;
        }
        timer due = t->heap[0];
        remove_at(t, 0);
        pthread_mutex_unlock(&t->lock);
        fire(&due);
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

th_timers *th_timers_new(void)
{
    th_timers *t = th_xcalloc(1, sizeof *t);
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
        pthread_cond_init(&t->changed, &attr) || pthread_mutex_init(&t->lock, NULL))
        abort();
    pthread_condattr_destroy(&attr);
    if (pthread_create(&t->thread, NULL, timers_main, t) != 0) {
        pthread_cond_destroy(&t->changed);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    return t;
}

void th_timers_free(th_timers *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stopping = true;
    pthread_cond_signal(&t->changed);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->changed);
    pthread_mutex_destroy(&t->lock);
    free(t->heap);
    free(t);
}

static size_t pending_of(const th_timers *t, const th_cell *cell)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->heap[i].cell == cell;
    return n;
}

uint64_t th_timer_set(th_timers *t, th_cell *cell, uint64_t delay_ms)
{
    if (delay_ms > UINT64_C(1) << 40) /* ~35 years: later than anything meant */
        delay_ms = UINT64_C(1) << 40;
    pthread_mutex_lock(&t->lock);
    uint64_t id = 0;
    if (pending_of(t, cell) < TH_MAX_TIMERS_PER_ACTOR) {
        if (t->n == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 64;
            t->heap = th_xrealloc(t->heap, t->cap * sizeof *t->heap);
        }
        id = ++t->next_id;
        t->heap[t->n] = (timer){th_monotonic_ns() + (int64_t)delay_ms * 1000000, id, cell,
                                atomic_load(&cell->restarts_total)};
        sift_up(t, t->n++);
        pthread_cond_signal(&t->changed);
    }
    pthread_mutex_unlock(&t->lock);
    return id;
}

bool th_timer_cancel(th_timers *t, th_cell *cell, uint64_t id)
{
    bool found = false;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n && !found; i++) {
        if (t->heap[i].id == id && t->heap[i].cell == cell) {
            remove_at(t, i);
            found = true;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

void th_timers_cancel_cell(th_timers *t, th_cell *cell)
{
    pthread_mutex_lock(&t->lock);
    size_t keep = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->heap[i].cell != cell)
            t->heap[keep++] = t->heap[i];
    t->n = keep;
    for (size_t i = keep / 2; i-- > 0;) /* heapify what is left */
        sift_down(t, i);
    pthread_cond_signal(&t->changed);
    pthread_mutex_unlock(&t->lock);
}
