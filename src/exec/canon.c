#include "exec/canon.h"

#include <inttypes.h>
#include <string.h>

#include "common/error.h"
#include "common/utf8.h"

/* ---- Checks on what the guest hands over ---------------------------------- */

static int check_range(const th_canon_mem *m, uint64_t ptr, uint64_t len, uint32_t align,
                       const char *what, th_error *err)
{
    if (ptr % align)
        return th_error_set(err, "%s pointer %#" PRIx64 " is not aligned to %u", what, ptr, align);
    if (ptr > m->size || len > m->size - ptr)
        return th_error_set(err,
                            "%s at %#" PRIx64 " with %" PRIu64
                            " bytes lies outside linear memory (%" PRIu64 " bytes)",
                            what, ptr, len, m->size);
    return 0;
}

static uint64_t read_le(const uint8_t *p, uint32_t size)
{
    uint64_t v = 0;
    for (uint32_t i = size; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static void write_le(uint8_t *p, uint32_t size, uint64_t v)
{
    for (uint32_t i = 0; i < size; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static int64_t sign_extend(uint64_t v, uint32_t bytes)
{
    if (bytes == 8)
        return (int64_t)v;
    uint64_t sign = 1ULL << (bytes * 8 - 1);
    return (int64_t)((v ^ sign) - sign);
}

static uint32_t disc_size(const th_type *t)
{
    return t->n_items <= 256 ? 1 : t->n_items <= 65536 ? 2 : 4;
}

/* ---- Lifting from memory -------------------------------------------------- */

static int lift_bytes(th_canon_mem *m, const th_type *t, uint64_t ptr, uint64_t len, th_arena *a,
                      th_val **out, th_error *err)
{
    const char *what = t->kind == TH_VAL_STRING ? "string" : "list<u8>";
    if (check_range(m, ptr, len, 1, what, err))
        return -1;
    if (t->kind == TH_VAL_STRING && !th_utf8_valid(m->base + ptr, len))
        return th_error_set(err, "string at %#" PRIx64 " is not valid UTF-8", ptr);
    th_val *v = th_val_new(a, t->kind);
    v->bytes.ptr = th_arena_memdup(a, m->base + ptr, len);
    v->bytes.len = len;
    *out = v;
    return 0;
}

static int lift_list(th_canon_mem *m, const th_type *t, uint64_t ptr, uint64_t len, th_arena *a,
                     th_val **out, th_error *err)
{
    if (t->kind != TH_VAL_LIST)
        return lift_bytes(m, t, ptr, len, a, out, err);
    const th_type *e = t->elem;
    if (e->size && len > m->size / e->size)
        return th_error_set(err, "list of %" PRIu64 " elements is larger than linear memory", len);
    if (check_range(m, ptr, len * e->size, e->align, "list", err))
        return -1;
    th_val *v = th_val_new(a, TH_VAL_LIST);
    v->list.items = th_arena_alloc(a, len * sizeof(th_val));
    v->list.len = len;
    for (uint64_t i = 0; i < len; i++) {
        th_val *item;
        if (th_canon_load(m, e, (uint32_t)(ptr + i * e->size), a, &item, err))
            return -1;
        v->list.items[i] = *item;
    }
    *out = v;
    return 0;
}

static int load_cases(th_canon_mem *m, const th_type *t, uint32_t ptr, th_arena *a, th_val **out,
                      th_error *err)
{
    uint64_t disc = read_le(m->base + ptr, disc_size(t));
    if (disc >= t->n_items)
        return th_error_set(err, "discriminant %" PRIu64 " at %#x is out of range (%u cases)", disc,
                            ptr, t->n_items);
    th_val *v = th_val_new(a, t->kind);
    v->var.disc = (uint32_t)disc;
    const th_type *c = t->items[disc];
    if (c && th_canon_load(m, c, ptr + t->payload_offset, a, &v->var.payload, err))
        return -1;
    *out = v;
    return 0;
}

int th_canon_load(th_canon_mem *m, const th_type *t, uint32_t ptr, th_arena *a, th_val **out,
                  th_error *err)
{
    if (check_range(m, ptr, t->size, t->align, "value", err))
        return -1;
    const uint8_t *p = m->base + ptr;
    th_val *v;
    switch (t->kind) {
    case TH_VAL_BOOL:
        v = th_val_new(a, TH_VAL_BOOL);
        v->b = p[0] != 0;
        break;
    case TH_VAL_U8:
    case TH_VAL_U16:
    case TH_VAL_U32:
    case TH_VAL_U64:
        v = th_val_u64(a, t->kind, read_le(p, t->size));
        break;
    case TH_VAL_S8:
    case TH_VAL_S16:
    case TH_VAL_S32:
    case TH_VAL_S64:
        v = th_val_new(a, t->kind);
        v->s = sign_extend(read_le(p, t->size), t->size);
        break;
    case TH_VAL_CHAR:
        v = th_val_u64(a, TH_VAL_CHAR, read_le(p, 4));
        if (!th_is_scalar_value(v->u))
            return th_error_set(err, "char %#" PRIx64 " at %#x is not a Unicode scalar value", v->u,
                                ptr);
        break;
    case TH_VAL_STRING:
    case TH_VAL_BYTES:
    case TH_VAL_LIST:
        return lift_list(m, t, read_le(p, 4), read_le(p + 4, 4), a, out, err);
    case TH_VAL_TUPLE: {
        v = th_val_tuple(a, t->n_items);
        uint32_t offset = 0;
        for (uint32_t i = 0; i < t->n_items; i++) {
            const th_type *f = t->items[i];
            offset = (offset + f->align - 1) / f->align * f->align;
            th_val *item;
            if (th_canon_load(m, f, ptr + offset, a, &item, err))
                return -1;
            v->list.items[i] = *item;
            offset += f->size;
        }
        break;
    }
    case TH_VAL_OPTION:
    case TH_VAL_RESULT:
    case TH_VAL_VARIANT:
        return load_cases(m, t, ptr, a, out, err);
    case TH_VAL_FLAGS:
    default:
        return th_error_set(err, "cannot lift a value of kind %d", t->kind);
    }
    *out = v;
    return 0;
}

/* ---- Lifting from flat values --------------------------------------------- */

static int lift_flat_cases(th_canon_mem *m, const th_type *t, const uint64_t *flat, size_t *pos,
                           th_arena *a, th_val **out, th_error *err)
{
    size_t start = *pos;
    uint64_t disc = (uint32_t)flat[start];
    if (disc >= t->n_items)
        return th_error_set(err, "discriminant %" PRIu64 " is out of range (%u cases)", disc,
                            t->n_items);
    th_val *v = th_val_new(a, t->kind);
    v->var.disc = (uint32_t)disc;
    const th_type *c = t->items[disc];
    if (c) {
        /* The case's values sit in the joined slots after the discriminant;
         * a case narrower than the join reads its i32 from an i64 slot. */
        uint64_t tmp[TH_MAX_FLAT_PARAMS + 1];
        for (uint8_t k = 0; k < c->n_flat; k++) {
            uint64_t raw = flat[start + 1 + k];
            tmp[k] = c->flat[k] == TH_FLAT_I32 ? (uint32_t)raw : raw;
        }
        size_t cpos = 0;
        if (th_canon_lift_flat(m, c, tmp, &cpos, a, &v->var.payload, err))
            return -1;
    }
    *pos = start + t->n_flat;
    *out = v;
    return 0;
}

int th_canon_lift_flat(th_canon_mem *m, const th_type *t, const uint64_t *flat, size_t *pos,
                       th_arena *a, th_val **out, th_error *err)
{
    uint64_t raw = flat[*pos];
    th_val *v;
    switch (t->kind) {
    case TH_VAL_BOOL:
        v = th_val_new(a, TH_VAL_BOOL);
        v->b = (uint32_t)raw != 0;
        break;
    case TH_VAL_U8:
    case TH_VAL_U16:
    case TH_VAL_U32:
    case TH_VAL_U64: {
        uint64_t mask = t->size == 8 ? ~0ULL : (1ULL << (t->size * 8)) - 1;
        v = th_val_u64(a, t->kind, raw & mask);
        break;
    }
    case TH_VAL_S8:
    case TH_VAL_S16:
    case TH_VAL_S32:
    case TH_VAL_S64:
        v = th_val_new(a, t->kind);
        v->s = sign_extend(t->size == 8 ? raw : raw & ((1ULL << (t->size * 8)) - 1), t->size);
        break;
    case TH_VAL_CHAR:
        v = th_val_u64(a, TH_VAL_CHAR, (uint32_t)raw);
        if (!th_is_scalar_value(v->u))
            return th_error_set(err, "char %#" PRIx64 " is not a Unicode scalar value", v->u);
        break;
    case TH_VAL_STRING:
    case TH_VAL_BYTES:
    case TH_VAL_LIST: {
        uint64_t ptr = (uint32_t)flat[*pos], len = (uint32_t)flat[*pos + 1];
        *pos += 2;
        return lift_list(m, t, ptr, len, a, out, err);
    }
    case TH_VAL_TUPLE:
        v = th_val_tuple(a, t->n_items);
        for (uint32_t i = 0; i < t->n_items; i++) {
            th_val *item;
            if (th_canon_lift_flat(m, t->items[i], flat, pos, a, &item, err))
                return -1;
            v->list.items[i] = *item;
        }
        *out = v;
        return 0;
    case TH_VAL_OPTION:
    case TH_VAL_RESULT:
    case TH_VAL_VARIANT:
        return lift_flat_cases(m, t, flat, pos, a, out, err);
    default:
        return th_error_set(err, "cannot lift a value of kind %d", t->kind);
    }
    (*pos)++;
    *out = v;
    return 0;
}

/* ---- Lowering ------------------------------------------------------------- */

int th_canon_alloc_copy(th_canon_mem *m, const void *data, uint32_t size, uint32_t align,
                        uint32_t *out, th_error *err)
{
    if (!m->realloc)
        return th_error_set(err, "the actor exports no cabi_realloc to receive %u bytes", size);
    uint32_t ptr;
    if (m->realloc(m, 0, 0, align, size, &ptr, err))
        return -1;
    if (check_range(m, ptr, size, align, "cabi_realloc result", err))
        return -1;
    if (size)
        memcpy(m->base + ptr, data, size);
    *out = ptr;
    return 0;
}

static int shape_error(const th_type *t, const th_val *v, th_error *err)
{
    return th_error_set(err, "host value of kind %d does not match type kind %d",
                        v ? (int)v->kind : -1, (int)t->kind);
}

/* Writes a list into freshly allocated guest memory; returns its pointer. */
static int lower_list(th_canon_mem *m, const th_type *t, const th_val *v, uint32_t *ptr_out,
                      uint32_t *len_out, th_error *err)
{
    if (t->kind != TH_VAL_LIST) {
        if (v->bytes.len > UINT32_MAX)
            return th_error_set(err, "%zu bytes do not fit a 32-bit guest", v->bytes.len);
        *len_out = (uint32_t)v->bytes.len;
        return th_canon_alloc_copy(m, v->bytes.ptr, (uint32_t)v->bytes.len, 1, ptr_out, err);
    }
    const th_type *e = t->elem;
    uint64_t total = (uint64_t)v->list.len * e->size;
    if (total > UINT32_MAX)
        return th_error_set(err, "a list of %zu elements does not fit a 32-bit guest", v->list.len);
    uint32_t ptr;
    if (m->realloc(m, 0, 0, e->align, (uint32_t)total, &ptr, err))
        return -1;
    if (check_range(m, ptr, total, e->align, "cabi_realloc result", err))
        return -1;
    for (size_t i = 0; i < v->list.len; i++)
        if (th_canon_store(m, e, &v->list.items[i], ptr + (uint32_t)(i * e->size), err))
            return -1;
    *ptr_out = ptr;
    *len_out = (uint32_t)v->list.len;
    return 0;
}

static bool kind_matches(const th_type *t, const th_val *v)
{
    return v && v->kind == t->kind;
}

int th_canon_store(th_canon_mem *m, const th_type *t, const th_val *v, uint32_t ptr, th_error *err)
{
    if (!kind_matches(t, v))
        return shape_error(t, v, err);
    if (check_range(m, ptr, t->size, t->align, "destination", err))
        return -1;
    switch (t->kind) {
    case TH_VAL_BOOL:
        m->base[ptr] = v->b ? 1 : 0;
        return 0;
    case TH_VAL_U8:
    case TH_VAL_U16:
    case TH_VAL_U32:
    case TH_VAL_U64:
    case TH_VAL_CHAR:
        write_le(m->base + ptr, t->size, v->u);
        return 0;
    case TH_VAL_S8:
    case TH_VAL_S16:
    case TH_VAL_S32:
    case TH_VAL_S64:
        write_le(m->base + ptr, t->size, (uint64_t)v->s);
        return 0;
    case TH_VAL_STRING:
    case TH_VAL_BYTES:
    case TH_VAL_LIST: {
        uint32_t lp, ln;
        if (lower_list(m, t, v, &lp, &ln, err))
            return -1;
        /* realloc may have moved memory: recheck the destination */
        if (check_range(m, ptr, 8, 4, "destination", err))
            return -1;
        write_le(m->base + ptr, 4, lp);
        write_le(m->base + ptr + 4, 4, ln);
        return 0;
    }
    case TH_VAL_TUPLE: {
        if (v->list.len != t->n_items)
            return shape_error(t, v, err);
        uint32_t offset = 0;
        for (uint32_t i = 0; i < t->n_items; i++) {
            const th_type *f = t->items[i];
            offset = (offset + f->align - 1) / f->align * f->align;
            if (th_canon_store(m, f, &v->list.items[i], ptr + offset, err))
                return -1;
            offset += f->size;
        }
        return 0;
    }
    case TH_VAL_OPTION:
    case TH_VAL_RESULT:
    case TH_VAL_VARIANT: {
        if (v->var.disc >= t->n_items)
            return shape_error(t, v, err);
        const th_type *c = t->items[v->var.disc];
        if (c && th_canon_store(m, c, v->var.payload, ptr + t->payload_offset, err))
            return -1;
        if (check_range(m, ptr, t->size, t->align, "destination", err))
            return -1;
        write_le(m->base + ptr, disc_size(t), v->var.disc);
        return 0;
    }
    default:
        return shape_error(t, v, err);
    }
}

int th_canon_lower_flat(th_canon_mem *m, const th_type *t, const th_val *v, uint64_t *flat,
                        size_t *pos, th_error *err)
{
    if (!kind_matches(t, v))
        return shape_error(t, v, err);
    switch (t->kind) {
    case TH_VAL_BOOL:
        flat[(*pos)++] = v->b ? 1 : 0;
        return 0;
    case TH_VAL_U8:
    case TH_VAL_U16:
    case TH_VAL_U32:
    case TH_VAL_U64:
    case TH_VAL_CHAR:
        flat[(*pos)++] = v->u;
        return 0;
    case TH_VAL_S8:
    case TH_VAL_S16:
    case TH_VAL_S32:
        flat[(*pos)++] = (uint32_t)(int32_t)v->s;
        return 0;
    case TH_VAL_S64:
        flat[(*pos)++] = (uint64_t)v->s;
        return 0;
    case TH_VAL_STRING:
    case TH_VAL_BYTES:
    case TH_VAL_LIST: {
        uint32_t lp, ln;
        if (lower_list(m, t, v, &lp, &ln, err))
            return -1;
        flat[(*pos)++] = lp;
        flat[(*pos)++] = ln;
        return 0;
    }
    case TH_VAL_TUPLE:
        if (v->list.len != t->n_items)
            return shape_error(t, v, err);
        for (uint32_t i = 0; i < t->n_items; i++)
            if (th_canon_lower_flat(m, t->items[i], &v->list.items[i], flat, pos, err))
                return -1;
        return 0;
    case TH_VAL_OPTION:
    case TH_VAL_RESULT:
    case TH_VAL_VARIANT: {
        if (v->var.disc >= t->n_items)
            return shape_error(t, v, err);
        size_t start = *pos;
        for (uint8_t k = 0; k < t->n_flat; k++)
            flat[start + k] = 0; /* unused joined slots are zero */
        flat[start] = v->var.disc;
        const th_type *c = t->items[v->var.disc];
        if (c) {
            size_t cpos = start + 1;
            if (th_canon_lower_flat(m, c, v->var.payload, flat, &cpos, err))
                return -1;
        }
        *pos = start + t->n_flat;
        return 0;
    }
    default:
        return shape_error(t, v, err);
    }
}
