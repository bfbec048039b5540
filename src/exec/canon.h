/* The canonical ABI: lifting WIT values out of a guest's linear memory and
 * flat core values, and lowering them back in. Everything the guest hands
 * over (pointers, lengths, discriminants, alignment, UTF-8) is checked
 * before it is used: a lying guest gets an error, which the executor turns
 * into a trap event, never an out-of-bounds read or write on the host. */
#ifndef TH_EXEC_CANON_H
#define TH_EXEC_CANON_H

#include <stdint.h>

#include "common/value.h"
#include "exec/wit_type.h"

typedef struct th_canon_mem th_canon_mem;

/* Calls the guest's cabi_realloc. It must refresh mem->base and mem->size
 * afterwards, since the call may grow (and move) the memory. */
typedef int (*th_canon_realloc_fn)(th_canon_mem *mem, uint32_t old_ptr, uint32_t old_size,
                                   uint32_t align, uint32_t new_size, uint32_t *out, th_error *err);

struct th_canon_mem {
    uint8_t *base;
    uint64_t size;
    th_canon_realloc_fn realloc; /* NULL: lowering lists/strings fails */
    void *ctx;                   /* for realloc */
};

/* Lifting: values are allocated in `a`; bytes are copied out of memory. */
int th_canon_load(th_canon_mem *m, const th_type *t, uint32_t ptr, th_arena *a, th_val **out,
                  th_error *err);
/* Lifts from flat core values (i32 in the low 32 bits of each uint64_t),
 * consuming t->n_flat of them from flat[*pos]. */
int th_canon_lift_flat(th_canon_mem *m, const th_type *t, const uint64_t *flat, size_t *pos,
                       th_arena *a, th_val **out, th_error *err);

/* Lowering: v must have t's shape (the host builds it); lists and strings
 * are allocated in the guest through realloc. */
int th_canon_store(th_canon_mem *m, const th_type *t, const th_val *v, uint32_t ptr, th_error *err);
int th_canon_lower_flat(th_canon_mem *m, const th_type *t, const th_val *v, uint64_t *flat,
                        size_t *pos, th_error *err);

/* Allocates `size` bytes aligned to `align` in the guest and copies data in. */
int th_canon_alloc_copy(th_canon_mem *m, const void *data, uint32_t size, uint32_t align,
                        uint32_t *out, th_error *err);

#endif
