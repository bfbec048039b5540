#include "common/arena.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

enum { CHUNK_SIZE = 16 * 1024, ALIGN = 16 };

struct th_arena_chunk {
    th_arena_chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

static th_arena_chunk *chunk_new(size_t size, th_arena_chunk *next)
{
    th_arena_chunk *c = th_xmalloc(sizeof *c + size);
    c->next = next;
    c->used = 0;
    c->size = size;
    return c;
}

void *th_arena_alloc(th_arena *a, size_t n)
{
    size_t rounded = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (rounded < n)
        abort(); /* overflow: no caller asks for SIZE_MAX bytes on purpose */
    th_arena_chunk *c = a->head;
    if (!c || c->size - c->used < rounded) {
        if (rounded > CHUNK_SIZE / 4) {
            /* A big block gets a chunk of its own, kept behind the current
             * one so the current chunk's free space is not wasted. */
            th_arena_chunk *big = chunk_new(rounded, NULL);
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                a->head = big;
            }
            big->used = rounded;
            memset(big->data, 0, rounded);
            return big->data;
        }
        c = a->head = chunk_new(CHUNK_SIZE, a->head);
    }
    void *p = c->data + c->used;
    c->used += rounded;
    memset(p, 0, rounded);
    return p;
}

void *th_arena_memdup(th_arena *a, const void *p, size_t n)
{
    void *q = th_arena_alloc(a, n);
    if (n)
        memcpy(q, p, n);
    return q;
}

void th_arena_reset(th_arena *a)
{
    th_arena_chunk *keep = NULL;
    for (th_arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        if (!keep && c->size == CHUNK_SIZE) {
            keep = c;
            continue;
        }
        free(c);
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
}

void th_arena_free(th_arena *a)
{
    for (th_arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
}
