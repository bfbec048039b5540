/* Constructing and comparing WIT values. */
#include "common/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

th_val *th_val_new(th_arena *a, th_val_kind kind)
{
    th_val *v = th_arena_alloc(a, sizeof *v);
    v->kind = kind;
    return v;
}

/* Copies with a NUL after the last byte (not counted in len), so a string
 * value can be handed to printf("%s") while debugging without a copy. */
static th_val *new_byte_value(th_arena *a, th_val_kind kind, const void *p, size_t len)
{
    if (len == SIZE_MAX)
        abort(); /* no caller has SIZE_MAX bytes to copy */
    th_val *v = th_val_new(a, kind);
    uint8_t *copy = th_arena_alloc(a, len + 1); /* zeroed: the NUL is there */
    if (len)
        memcpy(copy, p, len);
    v->bytes.ptr = copy;
    v->bytes.len = len;
    return v;
}

th_val *th_val_bytes(th_arena *a, const void *p, size_t len)
{
    return new_byte_value(a, TH_VAL_BYTES, p, len);
}

th_val *th_val_string(th_arena *a, const char *s, size_t len)
{
    return new_byte_value(a, TH_VAL_STRING, s, len);
}

th_val *th_val_tuple(th_arena *a, size_t n)
{
    if (n > SIZE_MAX / sizeof(th_val)) {
        fprintf(stderr, "theater: a tuple of %zu items cannot be allocated\n", n);
        abort();
    }
    th_val *v = th_val_new(a, TH_VAL_TUPLE);
    v->list.items = n ? th_arena_alloc(a, n * sizeof(th_val)) : NULL;
    v->list.len = n;
    return v;
}

static th_val *new_case_value(th_arena *a, th_val_kind kind, uint32_t disc, th_val *payload)
{
    th_val *v = th_val_new(a, kind);
    v->var.disc = disc;
    v->var.payload = payload;
    return v;
}

th_val *th_val_option(th_arena *a, th_val *payload)
{
    return new_case_value(a, TH_VAL_OPTION, payload ? 1 : 0, payload);
}

th_val *th_val_ok(th_arena *a, th_val *payload)
{
    return new_case_value(a, TH_VAL_RESULT, 0, payload);
}

th_val *th_val_err(th_arena *a, th_val *payload)
{
    return new_case_value(a, TH_VAL_RESULT, 1, payload);
}

th_val *th_val_u64(th_arena *a, th_val_kind kind, uint64_t u)
{
    th_val *v = th_val_new(a, kind);
    v->u = u;
    return v;
}

static bool bytes_equal(const th_val *a, const th_val *b)
{
    return a->bytes.len == b->bytes.len &&
           (a->bytes.len == 0 || memcmp(a->bytes.ptr, b->bytes.ptr, a->bytes.len) == 0);
}

static bool items_equal(const th_val *a, const th_val *b)
{
    if (a->list.len != b->list.len)
        return false;
    for (size_t i = 0; i < a->list.len; i++)
        if (!th_val_equal(&a->list.items[i], &b->list.items[i]))
            return false;
    return true;
}

static bool cases_equal(const th_val *a, const th_val *b)
{
    if (a->var.disc != b->var.disc)
        return false;
    if (!a->var.payload || !b->var.payload)
        return a->var.payload == b->var.payload;
    return th_val_equal(a->var.payload, b->var.payload);
}

bool th_val_equal(const th_val *a, const th_val *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case TH_VAL_BOOL:
        return a->b == b->b;
    case TH_VAL_U8:
    case TH_VAL_U16:
    case TH_VAL_U32:
    case TH_VAL_U64:
    case TH_VAL_CHAR:
    case TH_VAL_FLAGS:
        return a->u == b->u;
    case TH_VAL_S8:
    case TH_VAL_S16:
    case TH_VAL_S32:
    case TH_VAL_S64:
        return a->s == b->s;
    case TH_VAL_STRING:
    case TH_VAL_BYTES:
        return bytes_equal(a, b);
    case TH_VAL_LIST:
    case TH_VAL_TUPLE:
        return items_equal(a, b);
    case TH_VAL_OPTION:
    case TH_VAL_RESULT:
    case TH_VAL_VARIANT:
        return cases_equal(a, b);
    }
    return false; /* an unknown kind equals nothing, not even itself */
}
