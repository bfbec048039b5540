/* The channel table: channels by id, in shards with a lock each. A channel
 * links two ends: an opener (an actor, or the embedding program) and the
 * actor that accepted it. Entries are copied out, so no lock is held while
 * either end is called. */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/hex.h"
#include "runtime/runtime.h"

static th_channel_shard *shard(th_runtime *rt, const char *id)
{
    return &rt->channels[(size_t)th_hex_digit(id[0]) % TH_CHANNEL_SHARDS];
}

void th_channels_init(th_runtime *rt)
{
    for (size_t i = 0; i < TH_CHANNEL_SHARDS; i++)
        if (pthread_mutex_init(&rt->channels[i].lock, NULL))
            abort();
}

void th_channels_free(th_runtime *rt)
{
    for (size_t i = 0; i < TH_CHANNEL_SHARDS; i++) {
        th_channel_shard *sh = &rt->channels[i];
        for (th_channel *c = sh->list; c;) {
            th_channel *next = c->next;
            if (!c->opener && c->client.on_close)
                c->client.on_close(c->client.userdata, c->id);
            free(c);
            c = next;
        }
        pthread_mutex_destroy(&sh->lock);
    }
}

void th_channel_add(th_runtime *rt, const th_channel *ch, char id_out[33])
{
    th_channel *c = th_xmalloc(sizeof *c);
    *c = *ch;
    th_actor_new_id(c->id); /* random: the first digit spreads the shards */
    c->open = false;
    memcpy(id_out, c->id, 33);
    th_channel_shard *sh = shard(rt, c->id);
    pthread_mutex_lock(&sh->lock);
    c->next = sh->list;
    sh->list = c;
    pthread_mutex_unlock(&sh->lock);
}

static th_channel **find_locked(th_channel_shard *sh, const char *id, size_t len)
{
    th_channel **p = &sh->list;
    while (*p && !(len == 32 && memcmp((*p)->id, id, 32) == 0))
        p = &(*p)->next;
    return p;
}

static bool valid_id(const char *id, size_t len)
{
    return len == 32 && th_hex_is_lower(id, len);
}

bool th_channel_get(th_runtime *rt, const char *id, size_t len, th_channel *out)
{
    if (!valid_id(id, len))
        return false;
    th_channel_shard *sh = shard(rt, id);
    pthread_mutex_lock(&sh->lock);
    th_channel *c = *find_locked(sh, id, len);
    if (c)
        *out = *c;
    pthread_mutex_unlock(&sh->lock);
    return c != NULL;
}

void th_channel_set_open(th_runtime *rt, const char *id)
{
    th_channel_shard *sh = shard(rt, id);
    pthread_mutex_lock(&sh->lock);
    th_channel *c = *find_locked(sh, id, strlen(id));
    if (c)
        c->open = true;
    pthread_mutex_unlock(&sh->lock);
}

bool th_channel_remove(th_runtime *rt, const char *id, size_t len, th_channel *out)
{
    if (!valid_id(id, len))
        return false;
    th_channel_shard *sh = shard(rt, id);
    pthread_mutex_lock(&sh->lock);
    th_channel **p = find_locked(sh, id, len);
    th_channel *c = *p;
    if (c)
        *p = c->next;
    pthread_mutex_unlock(&sh->lock);
    if (!c)
        return false;
    if (out)
        *out = *c;
    free(c);
    return true;
}

void th_channel_tell_closed(th_runtime *rt, const th_channel *ch, const th_cell *from,
                            const th_actor *closer)
{
    (void)rt;
    if (!ch->open)
        return; /* never accepted: the other end never saw it */
    th_cell *other = from == ch->acceptor ? ch->opener : ch->acceptor;
    if (!other) {
        if (ch->client.on_close)
            ch->client.on_close(ch->client.userdata, ch->id);
        return;
    }
    th_msg *m = th_msg_new(TH_MSG_CHANNEL_CLOSE, NULL, 0);
    memcpy(m->channel, ch->id, sizeof m->channel);
    th_msg_link(m, closer);
    /* A close is never refused for room (cell.h): the other end learns of
     * it unless it has stopped, which closed the channel on its side too. */
    if (th_mailbox_push(other, m, false) != TH_PUSH_OK)
        th_msg_free(m);
}

void th_channels_close_cell(th_runtime *rt, th_cell *cell)
{
    for (size_t i = 0; i < TH_CHANNEL_SHARDS; i++) {
        th_channel_shard *sh = &rt->channels[i];
        th_channel *mine = NULL;
        pthread_mutex_lock(&sh->lock);
        for (th_channel **p = &sh->list; *p;) {
            th_channel *c = *p;
            if (c->opener == cell || c->acceptor == cell) {
                *p = c->next;
                c->next = mine;
                mine = c;
            } else {
                p = &c->next;
            }
        }
        pthread_mutex_unlock(&sh->lock);
        while (mine) {
            th_channel *next = mine->next;
            th_channel_tell_closed(rt, mine, cell, cell->actor);
            free(mine);
            mine = next;
        }
    }
}
