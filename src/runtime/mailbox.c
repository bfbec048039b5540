/* The mailbox of a cell: a FIFO of messages under its own small lock. The
 * actor's own mail (send, request, channel traffic) counts against its
 * limit; the runtime's messages (stop, restart, a child's exit) never are
 * refused for room, so supervision cannot be blocked by a full mailbox. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/clock.h"
#include "runtime/cell.h"

th_msg *th_msg_new(th_msg_kind kind, const void *data, size_t len)
{
    th_msg *m = th_xcalloc(1, sizeof *m + len);
    m->kind = kind;
    m->len = len;
    if (len)
        memcpy(m->data, data, len);
    return m;
}

void th_msg_free(th_msg *m)
{
    if (!m)
        return;
    if (m->reply)
        th_reply_release(m->reply);
    free(m);
}

static th_push_result link_locked(th_cell *cell, th_msg *m, bool urgent)
{
    if (cell->closed)
        return TH_PUSH_CLOSED;
    if (th_msg_counted(m)) {
        if (cell->mail >= cell->capacity)
            return TH_PUSH_FULL;
        cell->mail++;
    }
    m->next = NULL;
    if (urgent) { /* ahead of the mail, behind earlier urgent messages */
        th_msg **at = cell->urgent_tail ? &cell->urgent_tail->next : &cell->head;
        m->next = *at;
        *at = m;
        if (!m->next)
            cell->tail = m;
        cell->urgent_tail = m;
    } else {
        if (cell->tail)
            cell->tail->next = m;
        else
            cell->head = m;
        cell->tail = m;
    }
    return TH_PUSH_OK;
}

th_push_result th_mailbox_push(th_cell *cell, th_msg *m, bool urgent)
{
    pthread_mutex_lock(&cell->mbox_lock);
    th_push_result r = link_locked(cell, m, urgent);
    pthread_mutex_unlock(&cell->mbox_lock);
    if (r == TH_PUSH_OK)
        th_cell_wake(cell);
    return r;
}

th_push_result th_mailbox_push_wait(th_cell *cell, th_msg *m, uint32_t timeout_ms)
{
    struct timespec deadline = th_deadline_ms(timeout_ms);
    pthread_mutex_lock(&cell->mbox_lock);
    th_push_result r;
    while ((r = link_locked(cell, m, false)) == TH_PUSH_FULL) {
        cell->room_waiters++;
        int rc = pthread_cond_timedwait(&cell->mbox_room, &cell->mbox_lock, &deadline);
        cell->room_waiters--;
        if (rc == ETIMEDOUT) {
            r = link_locked(cell, m, false);
            break;
        }
    }
    pthread_mutex_unlock(&cell->mbox_lock);
    if (r == TH_PUSH_OK)
        th_cell_wake(cell);
    return r;
}

th_msg *th_mailbox_pop(th_cell *cell)
{
    pthread_mutex_lock(&cell->mbox_lock);
    th_msg *m = cell->head;
    if (m) {
        cell->head = m->next;
        if (!cell->head)
            cell->tail = NULL;
        if (cell->urgent_tail == m)
            cell->urgent_tail = NULL;
        m->next = NULL;
        if (th_msg_counted(m)) {
            cell->mail--;
            if (cell->room_waiters)
                pthread_cond_signal(&cell->mbox_room);
        }
    }
    pthread_mutex_unlock(&cell->mbox_lock);
    return m;
}

th_msg *th_mailbox_close(th_cell *cell)
{
    pthread_mutex_lock(&cell->mbox_lock);
    th_msg *all = cell->head;
    cell->head = cell->tail = cell->urgent_tail = NULL;
    cell->mail = 0;
    cell->closed = true;
    pthread_cond_broadcast(&cell->mbox_room); /* waiting senders now see it closed */
    pthread_mutex_unlock(&cell->mbox_lock);
    return all;
}

void th_mailbox_reopen(th_cell *cell, th_msg *first)
{
    pthread_mutex_lock(&cell->mbox_lock);
    cell->closed = false;
    th_push_result r = link_locked(cell, first, true);
    pthread_mutex_unlock(&cell->mbox_lock);
    if (r == TH_PUSH_OK) /* always: it was just opened and `first` is the runtime's */
        th_cell_wake(cell);
    else
        th_msg_free(first);
}

bool th_mailbox_empty(th_cell *cell)
{
    pthread_mutex_lock(&cell->mbox_lock);
    bool empty = cell->head == NULL;
    pthread_mutex_unlock(&cell->mbox_lock);
    return empty;
}

bool th_mailbox_closed(th_cell *cell)
{
    pthread_mutex_lock(&cell->mbox_lock);
    bool closed = cell->closed;
    pthread_mutex_unlock(&cell->mbox_lock);
    return closed;
}
