#include "runtime/sched.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "runtime/cell.h"

/* Spares started for workers that wait on other actors, at most. Beyond it
 * a waiting worker simply waits: its request times out if every worker is
 * waiting on actors that cannot run. */
#define MAX_SPARES 256

typedef struct worker {
    th_sched *sched;
    unsigned index;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards the queue and the sleep handshake */
    pthread_cond_t wake;
    th_cell *head, *tail; /* the run queue, linked through cell->run_next */
    atomic_size_t queued; /* its length, readable without the lock */
    atomic_bool sleeping; /* set under lock before waiting on `wake` */
} worker;

struct th_sched {
    th_turn_fn turn;
    void *ud;
    unsigned threads;      /* the pool size */
    worker *workers;       /* threads + MAX_SPARES slots */
    atomic_uint n_workers; /* started */
    atomic_uint n_blocked; /* workers waiting on another actor */
    atomic_uint n_running; /* workers in a turn and not blocked */
    atomic_uint n_sleeping;
    atomic_uint next_push; /* round robin for pushes from outside */
    atomic_bool stopping;
    pthread_mutex_t spawn_lock; /* serialises starting spares (rare) */
};

static _Thread_local worker *current;

/* How long an idle worker spins before it sleeps. */
#define SPIN_NS 20000

bool th_sched_on_worker(void)
{
    return current != NULL;
}

unsigned th_sched_threads(const th_sched *s)
{
    return s->threads;
}

static void enqueue(worker *w, th_cell *cell)
{
    cell->run_next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->run_next = cell;
    else
        w->head = cell;
    w->tail = cell;
    atomic_fetch_add(&w->queued, 1);
    pthread_mutex_unlock(&w->lock);
}

static th_cell *dequeue_locked(worker *w)
{
    th_cell *cell = w->head;
    if (!cell)
        return NULL;
    w->head = cell->run_next;
    if (!w->head)
        w->tail = NULL;
    cell->run_next = NULL;
    atomic_fetch_sub(&w->queued, 1);
    return cell;
}

static th_cell *dequeue(worker *w, bool only_try)
{
    if (atomic_load(&w->queued) == 0)
        return NULL;
    if (only_try) {
        if (pthread_mutex_trylock(&w->lock) != 0)
            return NULL;
    } else {
        pthread_mutex_lock(&w->lock);
    }
    th_cell *cell = dequeue_locked(w);
    pthread_mutex_unlock(&w->lock);
    return cell;
}

/* Wakes one sleeping worker, if any: called after a push, so that work
 * queued behind a busy worker is stolen by an idle one. */
static void wake_one(th_sched *s, worker *prefer)
{
    if (atomic_load(&s->n_sleeping) == 0)
        return;
    unsigned n = atomic_load(&s->n_workers);
    for (unsigned k = 0; k <= n; k++) {
        worker *w = k == 0 ? prefer : &s->workers[k - 1];
        if (!w || !atomic_load(&w->sleeping))
            continue;
        pthread_mutex_lock(&w->lock);
        bool was = atomic_exchange(&w->sleeping, false);
        if (was) {
            atomic_fetch_sub(&s->n_sleeping, 1);
            pthread_cond_signal(&w->wake);
        }
        pthread_mutex_unlock(&w->lock);
        if (was)
            return;
    }
}

void th_sched_push(th_sched *s, th_cell *cell)
{
    worker *w = current && current->sched == s ? current : NULL;
    if (!w) {
        unsigned n = atomic_load(&s->n_workers);
        w = &s->workers[atomic_fetch_add(&s->next_push, 1) % (n < s->threads ? n : s->threads)];
    }
    enqueue(w, cell);
    wake_one(s, w);
}

static bool any_queued(th_sched *s)
{
    unsigned n = atomic_load(&s->n_workers);
    for (unsigned i = 0; i < n; i++)
        if (atomic_load(&s->workers[i].queued))
            return true;
    return false;
}

static th_cell *find_work(worker *self)
{
    th_sched *s = self->sched;
    th_cell *cell = dequeue(self, false);
    unsigned n = atomic_load(&s->n_workers);
    for (unsigned k = 1; !cell && k < n; k++)
        cell = dequeue(&s->workers[(self->index + k) % n], true);
    for (unsigned k = 1; !cell && k < n; k++) /* a try-lock may have missed one */
        cell = dequeue(&s->workers[(self->index + k) % n], false);
    return cell;
}

/* A spare stands down while the pool is at full strength without it. */
static bool surplus(worker *self)
{
    th_sched *s = self->sched;
    return self->index >= s->threads && atomic_load(&s->n_running) >= s->threads;
}

/* Sleeps until woken. The flag is set and the queues re-checked under our
 * lock, and a waker signals under the same lock, so no wake-up is lost. A
 * timed wait bounds the cost of any miss. */
static void sleep_until_woken(worker *self)
{
    th_sched *s = self->sched;
    /* Spin a little first: work often comes back within microseconds (the
     * answer to a request, the next message of a conversation), sooner
     * than a sleeping thread is woken. */
    int64_t spin_until = th_monotonic_ns() + SPIN_NS;
    while (!surplus(self) && !any_queued(s) && !atomic_load(&s->stopping) &&
           th_monotonic_ns() < spin_until)
        __builtin_ia32_pause();
    if (!surplus(self) && any_queued(s))
        return;
    pthread_mutex_lock(&self->lock);
    atomic_store(&self->sleeping, true);
    atomic_fetch_add(&s->n_sleeping, 1);
    if (!atomic_load(&s->stopping) && (surplus(self) || !any_queued(s))) {
        struct timespec t = th_deadline_ms(10);
        pthread_cond_timedwait(&self->wake, &self->lock, &t);
    }
    if (atomic_exchange(&self->sleeping, false))
        atomic_fetch_sub(&s->n_sleeping, 1);
    pthread_mutex_unlock(&self->lock);
}

static void *worker_main(void *arg)
{
    worker *self = arg;
    th_sched *s = self->sched;
    current = self;
    while (!atomic_load(&s->stopping)) {
        th_cell *cell = surplus(self) ? NULL : find_work(self);
        if (!cell) {
            sleep_until_woken(self);
            continue;
        }
        atomic_fetch_add(&s->n_running, 1);
        s->turn(s->ud, cell);
        atomic_fetch_sub(&s->n_running, 1);
    }
    current = NULL;
    return NULL;
}

static int start_worker(th_sched *s, unsigned index)
{
    worker *w = &s->workers[index];
    w->sched = s;
    w->index = index;
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
        pthread_cond_init(&w->wake, &attr) || pthread_mutex_init(&w->lock, NULL))
        abort();
    pthread_condattr_destroy(&attr);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return -1;
    w->started = true;
    atomic_store(&s->n_workers, index + 1);
    return 0;
}

th_sched *th_sched_new(unsigned threads, th_turn_fn turn, void *ud)
{
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    th_sched *s = th_xcalloc(1, sizeof *s);
    s->turn = turn;
    s->ud = ud;
    s->threads = threads;
    s->workers = th_xcalloc(threads + MAX_SPARES, sizeof *s->workers);
    if (pthread_mutex_init(&s->spawn_lock, NULL))
        abort();
    for (unsigned i = 0; i < threads; i++) {
        if (start_worker(s, i) != 0) {
            th_sched_free(s);
            return NULL;
        }
    }
    return s;
}

void th_sched_block_begin(th_sched *s)
{
    unsigned blocked = atomic_fetch_add(&s->n_blocked, 1) + 1;
    atomic_fetch_sub(&s->n_running, 1);
    if (atomic_load(&s->stopping))
        return;
    /* Keep `threads` workers free to run actors: start a spare unless an
     * idle one can take over. */
    pthread_mutex_lock(&s->spawn_lock);
    unsigned n = atomic_load(&s->n_workers);
    if (n < s->threads + blocked && n < s->threads + MAX_SPARES && atomic_load(&s->n_sleeping) == 0)
        start_worker(s, n); /* on failure the wait just goes on without it */
    pthread_mutex_unlock(&s->spawn_lock);
    wake_one(s, NULL);
}

void th_sched_block_end(th_sched *s)
{
    atomic_fetch_add(&s->n_running, 1);
    atomic_fetch_sub(&s->n_blocked, 1);
}

void th_sched_free(th_sched *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    pthread_mutex_lock(&s->spawn_lock); /* no spare starts from here on */
    unsigned n = atomic_load(&s->n_workers);
    pthread_mutex_unlock(&s->spawn_lock);
    for (unsigned i = 0; i < n; i++) {
        worker *w = &s->workers[i];
        pthread_mutex_lock(&w->lock);
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
    }
    for (unsigned i = 0; i < n; i++) {
        worker *w = &s->workers[i];
        if (!w->started)
            continue;
        pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
    }
    pthread_mutex_destroy(&s->spawn_lock);
    free(s->workers);
    free(s);
}
