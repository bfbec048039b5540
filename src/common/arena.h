/* A bump allocator: many small allocations, one free. Used for the values
 * of one call, so that the executor's error paths have nothing to unwind. */
#ifndef TH_COMMON_ARENA_H
#define TH_COMMON_ARENA_H

#include <stddef.h>

typedef struct th_arena_chunk th_arena_chunk;

typedef struct th_arena {
    th_arena_chunk *head;
} th_arena;

#define TH_ARENA_INIT                                                                              \
    {                                                                                              \
        NULL                                                                                       \
    }

/* Zeroed, 16-byte aligned memory that lives until th_arena_reset/free.
 * Aborts on out-of-memory like th_xmalloc. */
void *th_arena_alloc(th_arena *a, size_t n);
void *th_arena_memdup(th_arena *a, const void *p, size_t n);
/* Frees everything but keeps the first chunk for reuse. */
void th_arena_reset(th_arena *a);
void th_arena_free(th_arena *a);

#endif
