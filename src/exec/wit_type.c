#include "exec/wit_type.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

typedef struct parser {
    th_arena *arena;
    const char *text, *p;
    th_error *err;
    int depth;
} parser;

static const th_type *parse_type(parser *ps);

static void skip_space(parser *ps)
{
    while (*ps->p == ' ')
        ps->p++;
}

static bool eat(parser *ps, char c)
{
    skip_space(ps);
    if (*ps->p != c)
        return false;
    ps->p++;
    return true;
}

static const th_type *fail(parser *ps, const char *what)
{
    th_error_set(ps->err, "type \"%s\": offset %td: expected %s", ps->text, ps->p - ps->text, what);
    return NULL;
}

static uint32_t align_to(uint32_t n, uint32_t align)
{
    return (n + align - 1) / align * align;
}

static th_type *new_type(parser *ps, th_val_kind kind, uint32_t size, uint32_t align)
{
    th_type *t = th_arena_alloc(ps->arena, sizeof *t);
    t->kind = kind;
    t->size = size;
    t->align = align;
    return t;
}

static void push_flat(th_type *t, uint8_t flat)
{
    if (t->n_flat <= TH_MAX_FLAT_PARAMS)
        t->flat[t->n_flat] = flat;
    if (t->n_flat <= TH_MAX_FLAT_PARAMS)
        t->n_flat++;
}

static void layout_tuple(th_type *t)
{
    uint32_t offset = 0, align = 1;
    for (uint32_t i = 0; i < t->n_items; i++) {
        const th_type *f = t->items[i];
        offset = align_to(offset, f->align) + f->size;
        if (f->align > align)
            align = f->align;
        for (uint8_t k = 0; k < f->n_flat && k <= TH_MAX_FLAT_PARAMS; k++)
            push_flat(t, f->flat[k]);
    }
    t->align = align;
    t->size = align_to(offset, align);
}

/* Options, results and variants: a discriminant, then the largest case at
 * the largest case alignment. Flat: the discriminant, then each position
 * joined across cases (i32 with i64 gives i64). */
static void layout_variant(th_type *t)
{
    uint32_t disc = t->n_items <= 256 ? 1 : t->n_items <= 65536 ? 2 : 4;
    uint32_t max_size = 0, max_align = disc;
    uint8_t joined[TH_MAX_FLAT_PARAMS + 1] = {0};
    uint8_t n_joined = 0;
    for (uint32_t i = 0; i < t->n_items; i++) {
        const th_type *c = t->items[i];
        if (!c)
            continue;
        if (c->size > max_size)
            max_size = c->size;
        if (c->align > max_align)
            max_align = c->align;
        for (uint8_t k = 0; k < c->n_flat && k <= TH_MAX_FLAT_PARAMS; k++) {
            if (k >= n_joined) {
                joined[k] = c->flat[k];
                n_joined = k + 1;
            } else if (joined[k] != c->flat[k]) {
                joined[k] = TH_FLAT_I64;
            }
        }
    }
    t->align = max_align;
    t->payload_offset = align_to(disc, max_align);
    t->size = align_to(t->payload_offset + max_size, max_align);
    push_flat(t, TH_FLAT_I32);
    for (uint8_t k = 0; k < n_joined; k++)
        push_flat(t, joined[k]);
}

static bool word_is(parser *ps, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(ps->p, w, n) != 0)
        return false;
    char next = ps->p[n];
    if ((next >= 'a' && next <= 'z') || (next >= '0' && next <= '9'))
        return false;
    ps->p += n;
    return true;
}

/* A case or result payload: a type or "_" for none. */
static bool parse_optional(parser *ps, const th_type **out)
{
    skip_space(ps);
    if (*ps->p == '_') {
        ps->p++;
        *out = NULL;
        return true;
    }
    *out = parse_type(ps);
    return *out != NULL;
}

/* "<a, b, c>" into t->items; allow_empty permits "_" items. */
static bool parse_items(parser *ps, th_type *t, bool allow_empty)
{
    if (!eat(ps, '<'))
        return fail(ps, "'<'"), false;
    const th_type *items[64];
    uint32_t n = 0;
    do {
        if (n == 64)
            return fail(ps, "at most 64 items"), false;
        bool ok = allow_empty ? parse_optional(ps, &items[n]) : (items[n] = parse_type(ps)) != NULL;
        if (!ok)
            return false;
        n++;
    } while (eat(ps, ','));
    if (!eat(ps, '>'))
        return fail(ps, "',' or '>'"), false;
    t->items = th_arena_memdup(ps->arena, items, n * sizeof items[0]);
    t->n_items = n;
    return true;
}

static const th_type *parse_type(parser *ps)
{
    static const struct {
        const char *name;
        th_val_kind kind;
        uint32_t size;
        uint8_t flat;
    } prims[] = {
        {"bool", TH_VAL_BOOL, 1, TH_FLAT_I32}, {"u8", TH_VAL_U8, 1, TH_FLAT_I32},
        {"u16", TH_VAL_U16, 2, TH_FLAT_I32},   {"u32", TH_VAL_U32, 4, TH_FLAT_I32},
        {"u64", TH_VAL_U64, 8, TH_FLAT_I64},   {"s8", TH_VAL_S8, 1, TH_FLAT_I32},
        {"s16", TH_VAL_S16, 2, TH_FLAT_I32},   {"s32", TH_VAL_S32, 4, TH_FLAT_I32},
        {"s64", TH_VAL_S64, 8, TH_FLAT_I64},   {"char", TH_VAL_CHAR, 4, TH_FLAT_I32},
    };
    if (++ps->depth > 32)
        return fail(ps, "less nesting");
    skip_space(ps);
    th_type *t = NULL;
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
        if (word_is(ps, prims[i].name)) {
            t = new_type(ps, prims[i].kind, prims[i].size, prims[i].size);
            push_flat(t, prims[i].flat);
            goto done;
        }
    }
    if (word_is(ps, "string")) {
        t = new_type(ps, TH_VAL_STRING, 8, 4);
        push_flat(t, TH_FLAT_I32);
        push_flat(t, TH_FLAT_I32);
    } else if (word_is(ps, "list")) {
        if (!eat(ps, '<'))
            return fail(ps, "'<'");
        const th_type *elem = parse_type(ps);
        if (!elem)
            return NULL;
        if (!eat(ps, '>'))
            return fail(ps, "'>'");
        t = new_type(ps, elem->kind == TH_VAL_U8 ? TH_VAL_BYTES : TH_VAL_LIST, 8, 4);
        t->elem = elem;
        push_flat(t, TH_FLAT_I32);
        push_flat(t, TH_FLAT_I32);
    } else if (word_is(ps, "tuple")) {
        t = new_type(ps, TH_VAL_TUPLE, 0, 1);
        if (eat(ps, '<') && eat(ps, '>')) {
            /* the empty tuple */
        } else {
            ps->p--;
            if (!parse_items(ps, t, false))
                return NULL;
        }
        layout_tuple(t);
    } else if (word_is(ps, "option")) {
        t = new_type(ps, TH_VAL_OPTION, 0, 1);
        if (!parse_items(ps, t, false))
            return NULL;
        if (t->n_items != 1)
            return fail(ps, "one type in option<>");
        /* case 0 (none) has no payload, case 1 (some) the item */
        const th_type **cases = th_arena_alloc(ps->arena, 2 * sizeof *cases);
        cases[1] = t->items[0];
        t->items = cases;
        t->n_items = 2;
        layout_variant(t);
    } else if (word_is(ps, "result")) {
        t = new_type(ps, TH_VAL_RESULT, 0, 1);
        skip_space(ps);
        if (*ps->p == '<') {
            if (!parse_items(ps, t, true))
                return NULL;
            if (t->n_items == 1) { /* result<T> has no error payload */
                const th_type **cases = th_arena_alloc(ps->arena, 2 * sizeof *cases);
                cases[0] = t->items[0];
                t->items = cases;
                t->n_items = 2;
            } else if (t->n_items != 2) {
                return fail(ps, "result<ok, err>");
            }
        } else {
            t->items = th_arena_alloc(ps->arena, 2 * sizeof *t->items);
            t->n_items = 2;
        }
        layout_variant(t);
    } else if (word_is(ps, "variant")) {
        t = new_type(ps, TH_VAL_VARIANT, 0, 1);
        if (!parse_items(ps, t, true))
            return NULL;
        layout_variant(t);
    } else {
        return fail(ps, "a type");
    }
done:
    ps->depth--;
    return t;
}

const th_type *th_type_parse(th_arena *a, const char *text, th_error *err)
{
    parser ps = {a, text, text, err, 0};
    const th_type *t = parse_type(&ps);
    if (!t)
        return NULL;
    skip_space(&ps);
    if (*ps.p)
        return fail(&ps, "the end of the type");
    return t;
}

static void copy_flat(const th_type *t, uint8_t *out, uint8_t *n)
{
    for (uint8_t k = 0; k < t->n_flat; k++)
        out[(*n)++] = t->flat[k];
}

void th_core_sig_export(const th_func_type *ft, th_core_sig *out)
{
    memset(out, 0, sizeof *out);
    if (ft->params->n_flat > TH_MAX_FLAT_PARAMS)
        out->params[out->n_params++] = TH_FLAT_I32; /* pointer to the params */
    else
        copy_flat(ft->params, out->params, &out->n_params);
    if (ft->result) {
        if (ft->result->n_flat > TH_MAX_FLAT_RESULTS)
            out->results[out->n_results++] = TH_FLAT_I32; /* pointer to the result */
        else
            copy_flat(ft->result, out->results, &out->n_results);
    }
}

void th_core_sig_import(const th_func_type *ft, th_core_sig *out)
{
    memset(out, 0, sizeof *out);
    if (ft->params->n_flat > TH_MAX_FLAT_PARAMS)
        out->params[out->n_params++] = TH_FLAT_I32;
    else
        copy_flat(ft->params, out->params, &out->n_params);
    if (ft->result) {
        if (ft->result->n_flat > TH_MAX_FLAT_RESULTS)
            out->params[out->n_params++] = TH_FLAT_I32; /* where the host writes it */
        else
            copy_flat(ft->result, out->results, &out->n_results);
    }
}

void th_core_sig_render(const th_core_sig *sig, char *out, size_t out_size)
{
    size_t n = 0;
    n += (size_t)snprintf(out + n, out_size - n, "(");
    for (uint8_t i = 0; i < sig->n_params && n < out_size; i++)
        n += (size_t)snprintf(out + n, out_size - n, "%s%s", i ? ", " : "",
                              sig->params[i] == TH_FLAT_I64 ? "i64" : "i32");
    if (n < out_size)
        n += (size_t)snprintf(out + n, out_size - n, ") -> (");
    for (uint8_t i = 0; i < sig->n_results && n < out_size; i++)
        n += (size_t)snprintf(out + n, out_size - n, "%s%s", i ? ", " : "",
                              sig->results[i] == TH_FLAT_I64 ? "i64" : "i32");
    if (n < out_size)
        snprintf(out + n, out_size - n, ")");
}
