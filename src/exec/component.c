#include "exec/component.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/utf8.h"

/* A component made by `component new` instantiates a few core modules (the
 * actor's own, a shim and a fixup for its imports), each of which may have
 * a table; the actor's linear memory is the only memory, so memory_mb
 * bounds it as it bounds a core module's. */
#define MAX_CORE_INSTANCES 32
#define MAX_TABLES 8
#define MAX_MEMORIES 1
#define MAX_TABLE_ELEMENTS 100000

#define PACKAGE "theater:simple/"

/* ---- Shapes: the catalogue's types with the component's names ------------
 * A component value names what a th_val only numbers: a record's fields, a
 * variant's or an enum's cases. A shape pairs a catalogue type with the
 * value kind to build and those names, read from the component's types
 * once at load (when they are also checked against the catalogue). */

typedef struct shape shape;
struct shape {
    const th_type *type;
    wasmtime_component_valkind_t kind; /* the component value kind */
    const shape **items; /* parallel to type->items (a list's element at 0); NULL: no payload */
    const char **names;  /* RECORD fields, VARIANT and ENUM cases */
    size_t *name_lens;
};

/* One function, import or export: a shape per parameter, and the result's. */
typedef struct func_shape {
    const th_import *imp; /* imports only: the catalogue entry the host serves */
    const shape **params;
    size_t n_params;
    const shape *result; /* NULL: returns nothing */
} func_shape;

struct th_component {
    wasmtime_component_t *component;
    wasmtime_component_linker_t *linker;
    wasmtime_component_export_index_t *export_index[TH_EXPORT_COUNT];
    func_shape exports[TH_EXPORT_COUNT];
    th_arena arena; /* shapes, names and the host functions' func_shapes */
};

struct th_component_instance {
    wasmtime_component_instance_t instance;
    wasmtime_component_func_t funcs[TH_EXPORT_COUNT];
};

bool th_is_component(const uint8_t *wasm, size_t len)
{
    static const uint8_t magic[8] = {0, 'a', 's', 'm', 0x0d, 0, 1, 0};
    return len >= 8 && memcmp(wasm, magic, 8) == 0;
}

/* ---- Checking the component's types against the catalogue ----------------- */

static const char *valtype_name(wasmtime_component_valtype_kind_t k)
{
    static const char *names[] = {
        "bool",   "s8",     "s16",     "s32",    "s64",           "u8",     "u16",
        "u32",    "u64",    "f32",     "f64",    "char",          "string", "list",
        "record", "tuple",  "variant", "enum",   "option",        "result", "flags",
        "own",    "borrow", "future",  "stream", "error-context", "map",
    };
    return k < sizeof names / sizeof names[0] ? names[k] : "an unknown type";
}

static const char *th_kind_name(const th_type *t)
{
    static const char *names[] = {
        [TH_VAL_BOOL] = "bool",       [TH_VAL_U8] = "u8",
        [TH_VAL_U16] = "u16",         [TH_VAL_U32] = "u32",
        [TH_VAL_U64] = "u64",         [TH_VAL_S8] = "s8",
        [TH_VAL_S16] = "s16",         [TH_VAL_S32] = "s32",
        [TH_VAL_S64] = "s64",         [TH_VAL_CHAR] = "char",
        [TH_VAL_STRING] = "string",   [TH_VAL_BYTES] = "list<u8>",
        [TH_VAL_LIST] = "list",       [TH_VAL_TUPLE] = "a tuple or record",
        [TH_VAL_OPTION] = "option",   [TH_VAL_RESULT] = "result",
        [TH_VAL_VARIANT] = "variant", [TH_VAL_FLAGS] = "flags",
    };
    return t->kind < sizeof names / sizeof names[0] && names[t->kind] ? names[t->kind] : "?";
}

/* The scalar kinds: catalogue kind, valtype kind, value kind. */
static const struct {
    th_val_kind th;
    wasmtime_component_valtype_kind_t type;
    wasmtime_component_valkind_t val;
} scalars[] = {
    {TH_VAL_BOOL, WASMTIME_COMPONENT_VALTYPE_BOOL, WASMTIME_COMPONENT_BOOL},
    {TH_VAL_U8, WASMTIME_COMPONENT_VALTYPE_U8, WASMTIME_COMPONENT_U8},
    {TH_VAL_U16, WASMTIME_COMPONENT_VALTYPE_U16, WASMTIME_COMPONENT_U16},
    {TH_VAL_U32, WASMTIME_COMPONENT_VALTYPE_U32, WASMTIME_COMPONENT_U32},
    {TH_VAL_U64, WASMTIME_COMPONENT_VALTYPE_U64, WASMTIME_COMPONENT_U64},
    {TH_VAL_S8, WASMTIME_COMPONENT_VALTYPE_S8, WASMTIME_COMPONENT_S8},
    {TH_VAL_S16, WASMTIME_COMPONENT_VALTYPE_S16, WASMTIME_COMPONENT_S16},
    {TH_VAL_S32, WASMTIME_COMPONENT_VALTYPE_S32, WASMTIME_COMPONENT_S32},
    {TH_VAL_S64, WASMTIME_COMPONENT_VALTYPE_S64, WASMTIME_COMPONENT_S64},
    {TH_VAL_CHAR, WASMTIME_COMPONENT_VALTYPE_CHAR, WASMTIME_COMPONENT_CHAR},
    {TH_VAL_STRING, WASMTIME_COMPONENT_VALTYPE_STRING, WASMTIME_COMPONENT_STRING},
};

typedef struct matcher {
    th_component *c;
    const char *where; /* "import 'theater:simple/runtime#log', parameter 'msg'" */
    th_error *err;
} matcher;

static const shape *match(matcher *mt, const th_type *t, const wasmtime_component_valtype_t *vt);

static const shape *mismatch(matcher *mt, const th_type *t, const char *found)
{
    th_error_set(mt->err, "%s: the component has %s where theater:simple has %s", mt->where, found,
                 th_kind_name(t));
    return NULL;
}

/* An item Wasmtime counted but then could not hand over: never expected. */
static const shape *unreadable(matcher *mt)
{
    th_error_set(mt->err, "%s: Wasmtime cannot read the component's type", mt->where);
    return NULL;
}

static shape *new_shape(matcher *mt, const th_type *t, wasmtime_component_valkind_t kind,
                        size_t n_items, bool named)
{
    shape *s = th_arena_alloc(&mt->c->arena, sizeof *s);
    s->type = t;
    s->kind = kind;
    if (n_items)
        s->items = th_arena_alloc(&mt->c->arena, n_items * sizeof *s->items);
    if (n_items && named) {
        s->names = th_arena_alloc(&mt->c->arena, n_items * sizeof *s->names);
        s->name_lens = th_arena_alloc(&mt->c->arena, n_items * sizeof *s->name_lens);
    }
    return s;
}

static void set_name(matcher *mt, shape *s, size_t i, const char *name, size_t len)
{
    s->names[i] = th_arena_memdup(&mt->c->arena, name, len);
    s->name_lens[i] = len;
}

/* Matches one child type (owned by the caller's valtype query) and frees it. */
static bool match_child(matcher *mt, shape *s, size_t i, const th_type *t,
                        wasmtime_component_valtype_t *vt)
{
    s->items[i] = match(mt, t, vt);
    wasmtime_component_valtype_delete(vt);
    return s->items[i] != NULL;
}

static const shape *match_list(matcher *mt, const th_type *t,
                               const wasmtime_component_valtype_t *vt)
{
    wasmtime_component_valtype_t elem;
    wasmtime_component_list_type_element(vt->of.list, &elem);
    if (t->kind == TH_VAL_BYTES) { /* list<u8>: converted byte by byte, no element shape */
        bool is_u8 = elem.kind == WASMTIME_COMPONENT_VALTYPE_U8;
        wasmtime_component_valtype_delete(&elem);
        return is_u8 ? new_shape(mt, t, WASMTIME_COMPONENT_LIST, 0, false)
                     : mismatch(mt, t, "a list of another type");
    }
    shape *s = new_shape(mt, t, WASMTIME_COMPONENT_LIST, 1, false);
    return match_child(mt, s, 0, t->elem, &elem) ? s : NULL;
}

/* Records and tuples both match the catalogue's tuples (their ABI is one). */
static const shape *match_fields(matcher *mt, const th_type *t,
                                 const wasmtime_component_valtype_t *vt)
{
    bool record = vt->kind == WASMTIME_COMPONENT_VALTYPE_RECORD;
    size_t n = record ? wasmtime_component_record_type_field_count(vt->of.record)
                      : wasmtime_component_tuple_type_types_count(vt->of.tuple);
    if (n != t->n_items) {
        char found[64];
        snprintf(found, sizeof found, "a %s of %zu fields", record ? "record" : "tuple", n);
        th_error_set(mt->err, "%s: the component has %s where theater:simple has %u fields",
                     mt->where, found, t->n_items);
        return NULL;
    }
    shape *s =
        new_shape(mt, t, record ? WASMTIME_COMPONENT_RECORD : WASMTIME_COMPONENT_TUPLE, n, record);
    for (size_t i = 0; i < n; i++) {
        wasmtime_component_valtype_t ft;
        const char *name = NULL;
        size_t len = 0;
        bool found =
            record ? wasmtime_component_record_type_field_nth(vt->of.record, i, &name, &len, &ft)
                   : wasmtime_component_tuple_type_types_nth(vt->of.tuple, i, &ft);
        if (!found)
            return unreadable(mt);
        if (record)
            set_name(mt, s, i, name, len);
        if (!match_child(mt, s, i, t->items[i], &ft))
            return NULL;
    }
    return s;
}

static const shape *match_variant(matcher *mt, const th_type *t,
                                  const wasmtime_component_valtype_t *vt)
{
    bool is_enum = vt->kind == WASMTIME_COMPONENT_VALTYPE_ENUM;
    size_t n = is_enum ? wasmtime_component_enum_type_names_count(vt->of.enum_)
                       : wasmtime_component_variant_type_case_count(vt->of.variant);
    if (n != t->n_items)
        return mismatch(mt, t,
                        is_enum ? "an enum with another number of cases"
                                : "a variant with another number of cases");
    shape *s =
        new_shape(mt, t, is_enum ? WASMTIME_COMPONENT_ENUM : WASMTIME_COMPONENT_VARIANT, n, true);
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL;
        size_t len = 0;
        bool has_payload = false;
        wasmtime_component_valtype_t pt;
        bool found = is_enum ? wasmtime_component_enum_type_names_nth(vt->of.enum_, i, &name, &len)
                             : wasmtime_component_variant_type_case_nth(vt->of.variant, i, &name,
                                                                        &len, &has_payload, &pt);
        if (!found)
            return unreadable(mt);
        set_name(mt, s, i, name, len);
        if (has_payload != (t->items[i] != NULL)) {
            if (has_payload)
                wasmtime_component_valtype_delete(&pt);
            th_error_set(mt->err,
                         "%s: case '%.*s' %s a payload in the component but %s in "
                         "theater:simple",
                         mt->where, (int)len, name, has_payload ? "has" : "has no",
                         has_payload ? "none" : "one");
            return NULL;
        }
        if (has_payload && !match_child(mt, s, i, t->items[i], &pt))
            return NULL;
    }
    return s;
}

static const shape *match_option(matcher *mt, const th_type *t,
                                 const wasmtime_component_valtype_t *vt)
{
    wasmtime_component_valtype_t some;
    wasmtime_component_option_type_ty(vt->of.option, &some);
    shape *s = new_shape(mt, t, WASMTIME_COMPONENT_OPTION, 2, false);
    return match_child(mt, s, 1, t->items[1], &some) ? s : NULL;
}

static const shape *match_result(matcher *mt, const th_type *t,
                                 const wasmtime_component_valtype_t *vt)
{
    shape *s = new_shape(mt, t, WASMTIME_COMPONENT_RESULT, 2, false);
    for (size_t i = 0; i < 2; i++) {
        wasmtime_component_valtype_t pt;
        bool has = i == 0 ? wasmtime_component_result_type_ok(vt->of.result, &pt)
                          : wasmtime_component_result_type_err(vt->of.result, &pt);
        if (has != (t->items[i] != NULL)) {
            if (has)
                wasmtime_component_valtype_delete(&pt);
            th_error_set(mt->err,
                         "%s: the result's %s case %s a payload in the component but %s "
                         "in theater:simple",
                         mt->where, i == 0 ? "ok" : "err", has ? "has" : "has no",
                         has ? "none" : "one");
            return NULL;
        }
        if (has && !match_child(mt, s, i, t->items[i], &pt))
            return NULL;
    }
    return s;
}

static const shape *match(matcher *mt, const th_type *t, const wasmtime_component_valtype_t *vt)
{
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        if (scalars[i].th == t->kind)
            return vt->kind == scalars[i].type ? new_shape(mt, t, scalars[i].val, 0, false)
                                               : mismatch(mt, t, valtype_name(vt->kind));
    switch (vt->kind) {
    case WASMTIME_COMPONENT_VALTYPE_LIST:
        if (t->kind == TH_VAL_BYTES || t->kind == TH_VAL_LIST)
            return match_list(mt, t, vt);
        break;
    case WASMTIME_COMPONENT_VALTYPE_RECORD:
    case WASMTIME_COMPONENT_VALTYPE_TUPLE:
        if (t->kind == TH_VAL_TUPLE)
            return match_fields(mt, t, vt);
        break;
    case WASMTIME_COMPONENT_VALTYPE_VARIANT:
    case WASMTIME_COMPONENT_VALTYPE_ENUM:
        if (t->kind == TH_VAL_VARIANT)
            return match_variant(mt, t, vt);
        break;
    case WASMTIME_COMPONENT_VALTYPE_OPTION:
        if (t->kind == TH_VAL_OPTION)
            return match_option(mt, t, vt);
        break;
    case WASMTIME_COMPONENT_VALTYPE_RESULT:
        if (t->kind == TH_VAL_RESULT)
            return match_result(mt, t, vt);
        break;
    default:
        break;
    }
    return mismatch(mt, t, valtype_name(vt->kind));
}

/* Matches a function's parameters (the catalogue's params tuple) and result. */
static int match_func(th_component *c, const char *what, const char *name, const th_func_type *ft,
                      const wasmtime_component_func_type_t *fty, func_shape *out, th_error *err)
{
    char where[256];
    matcher mt = {c, where, err};
    if (wasmtime_component_func_type_async(fty))
        return th_error_set(err, "%s '%s' is async; Theater calls synchronous functions", what,
                            name);
    size_t n = wasmtime_component_func_type_param_count(fty);
    if (n != ft->params->n_items)
        return th_error_set(err, "%s '%s' has %zu parameters; theater:simple has %u", what, name, n,
                            ft->params->n_items);
    out->n_params = n;
    out->params = n ? th_arena_alloc(&c->arena, n * sizeof *out->params) : NULL;
    for (size_t i = 0; i < n; i++) {
        const char *pname = NULL;
        size_t plen = 0;
        wasmtime_component_valtype_t pt;
        if (!wasmtime_component_func_type_param_nth(fty, i, &pname, &plen, &pt))
            return th_error_set(err, "%s '%s': Wasmtime cannot read parameter %zu", what, name, i);
        snprintf(where, sizeof where, "%s '%s', parameter '%.*s'", what, name, (int)plen, pname);
        out->params[i] = match(&mt, ft->params->items[i], &pt);
        wasmtime_component_valtype_delete(&pt);
        if (!out->params[i])
            return -1;
    }
    wasmtime_component_valtype_t rt;
    bool has_result = wasmtime_component_func_type_result(fty, &rt);
    if (has_result != (ft->result != NULL)) {
        if (has_result)
            wasmtime_component_valtype_delete(&rt);
        return th_error_set(err, "%s '%s' %s a result in the component but %s in theater:simple",
                            what, name, has_result ? "has" : "has no", has_result ? "none" : "one");
    }
    if (!has_result)
        return 0;
    snprintf(where, sizeof where, "%s '%s', result", what, name);
    out->result = match(&mt, ft->result, &rt);
    wasmtime_component_valtype_delete(&rt);
    return out->result ? 0 : -1;
}

/* ---- Values: th_val <-> wasmtime_component_val_t ---------------------------
 * Building keeps every component value valid at each step (vectors are
 * created filled with `false`, payloads are boxed whether or not they
 * converted), so that on an error the caller frees the whole value with one
 * wasmtime_component_val_delete, and Wasmtime can drop a host function's
 * half-built result. */

static int to_cval(const shape *s, const th_val *v, wasmtime_component_val_t *out, th_error *err);

static int wrong_value(const th_type *t, const th_val *v, th_error *err)
{
    return th_error_set(err, "the host built a value of kind %d where %s was expected", v->kind,
                        th_kind_name(t));
}

/* Boxes a converted payload (even a half-converted one, so it is freed). */
static int to_boxed(const shape *s, const th_val *v, wasmtime_component_val_t **out, th_error *err)
{
    wasmtime_component_val_t tmp = {.kind = WASMTIME_COMPONENT_BOOL};
    int rc = v ? to_cval(s, v, &tmp, err) : th_error_set(err, "a payload is missing");
    *out = wasmtime_component_val_new(&tmp);
    return rc;
}

static void to_bytes(const th_val *v, wasmtime_component_val_t *out)
{
    out->kind = WASMTIME_COMPONENT_LIST;
    wasmtime_component_vallist_new_uninit(&out->of.list, v->bytes.len);
    wasmtime_component_val_t *items = out->of.list.data;
    for (size_t i = 0; i < v->bytes.len; i++) {
        items[i].kind = WASMTIME_COMPONENT_U8;
        items[i].of.u8 = v->bytes.ptr[i];
    }
}

static int to_fields(const shape *s, const th_val *v, wasmtime_component_val_t *out, th_error *err)
{
    size_t n = s->type->n_items;
    if (v->list.len != n)
        return th_error_set(err, "a tuple of %zu items where %zu were expected", v->list.len, n);
    out->kind = s->kind;
    if (s->kind == WASMTIME_COMPONENT_TUPLE) {
        wasmtime_component_valtuple_new_uninit(&out->of.tuple, n);
        for (size_t i = 0; i < n; i++)
            if (to_cval(s->items[i], &v->list.items[i], &out->of.tuple.data[i], err))
                return -1;
        return 0;
    }
    wasmtime_component_valrecord_new_uninit(&out->of.record, n);
    for (size_t i = 0; i < n; i++) {
        wasmtime_component_valrecord_entry_t *e = &out->of.record.data[i];
        wasm_name_new(&e->name, s->name_lens[i], s->names[i]);
        if (to_cval(s->items[i], &v->list.items[i], &e->val, err))
            return -1;
    }
    return 0;
}

static int to_cases(const shape *s, const th_val *v, wasmtime_component_val_t *out, th_error *err)
{
    const th_type *t = s->type;
    uint32_t disc = v->var.disc;
    if (disc >= t->n_items)
        return th_error_set(err, "case %u of %s is out of range", disc, th_kind_name(t));
    const shape *payload = s->items[disc];
    out->kind = s->kind;
    switch (s->kind) {
    case WASMTIME_COMPONENT_OPTION:
        out->of.option = NULL;
        return disc ? to_boxed(payload, v->var.payload, &out->of.option, err) : 0;
    case WASMTIME_COMPONENT_RESULT:
        out->of.result.is_ok = disc == 0;
        out->of.result.val = NULL;
        return payload ? to_boxed(payload, v->var.payload, &out->of.result.val, err) : 0;
    case WASMTIME_COMPONENT_ENUM:
        wasm_name_new(&out->of.enumeration, s->name_lens[disc], s->names[disc]);
        return 0;
    default: /* VARIANT */
        wasm_name_new(&out->of.variant.discriminant, s->name_lens[disc], s->names[disc]);
        out->of.variant.val = NULL;
        return payload ? to_boxed(payload, v->var.payload, &out->of.variant.val, err) : 0;
    }
}

static int to_cval(const shape *s, const th_val *v, wasmtime_component_val_t *out, th_error *err)
{
    const th_type *t = s->type;
    if (v->kind != t->kind)
        return wrong_value(t, v, err);
    switch (t->kind) {
    case TH_VAL_BOOL:
        out->of.boolean = v->b;
        break;
    case TH_VAL_U8:
        out->of.u8 = (uint8_t)v->u;
        break;
    case TH_VAL_U16:
        out->of.u16 = (uint16_t)v->u;
        break;
    case TH_VAL_U32:
        out->of.u32 = (uint32_t)v->u;
        break;
    case TH_VAL_U64:
        out->of.u64 = v->u;
        break;
    case TH_VAL_S8:
        out->of.s8 = (int8_t)v->s;
        break;
    case TH_VAL_S16:
        out->of.s16 = (int16_t)v->s;
        break;
    case TH_VAL_S32:
        out->of.s32 = (int32_t)v->s;
        break;
    case TH_VAL_S64:
        out->of.s64 = v->s;
        break;
    case TH_VAL_CHAR: /* Wasmtime aborts the process on a bad char or string */
        if (!th_is_scalar_value(v->u))
            return th_error_set(err, "char %#" PRIx64 " is not a Unicode scalar value", v->u);
        out->of.character = (uint32_t)v->u;
        break;
    case TH_VAL_STRING:
        if (!th_utf8_valid(v->bytes.ptr, v->bytes.len))
            return th_error_set(err, "a string is not valid UTF-8");
        out->kind = WASMTIME_COMPONENT_STRING;
        wasm_name_new(&out->of.string, v->bytes.len, (const char *)v->bytes.ptr);
        return 0;
    case TH_VAL_BYTES:
        to_bytes(v, out);
        return 0;
    case TH_VAL_LIST:
        out->kind = WASMTIME_COMPONENT_LIST;
        wasmtime_component_vallist_new_uninit(&out->of.list, v->list.len);
        for (size_t i = 0; i < v->list.len; i++)
            if (to_cval(s->items[0], &v->list.items[i], &out->of.list.data[i], err))
                return -1;
        return 0;
    case TH_VAL_TUPLE:
        return to_fields(s, v, out, err);
    case TH_VAL_OPTION:
    case TH_VAL_RESULT:
    case TH_VAL_VARIANT:
        return to_cases(s, v, out, err);
    default:
        return wrong_value(t, v, err);
    }
    out->kind = s->kind; /* the scalars: set last, the union is plain data */
    return 0;
}

static int from_cval(const shape *s, const wasmtime_component_val_t *v, th_arena *a, th_val **out,
                     th_error *err);

static int unexpected(const shape *s, const wasmtime_component_val_t *v, th_error *err)
{
    return th_error_set(err, "Wasmtime handed over a value of kind %d where %s was expected",
                        v->kind, th_kind_name(s->type));
}

static int from_bytes(const shape *s, const wasmtime_component_val_t *v, th_arena *a, th_val **out,
                      th_error *err)
{
    size_t n = v->of.list.size;
    const wasmtime_component_val_t *items = v->of.list.data;
    uint8_t *bytes = th_arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++) {
        if (items[i].kind != WASMTIME_COMPONENT_U8)
            return unexpected(s, &items[i], err);
        bytes[i] = items[i].of.u8;
    }
    th_val *r = th_val_new(a, TH_VAL_BYTES);
    r->bytes.ptr = bytes;
    r->bytes.len = n;
    *out = r;
    return 0;
}

static int from_list(const shape *s, const wasmtime_component_val_t *v, th_arena *a, th_val **out,
                     th_error *err)
{
    size_t n = v->of.list.size;
    th_val *r = th_val_new(a, TH_VAL_LIST);
    r->list.items = n ? th_arena_alloc(a, n * sizeof(th_val)) : NULL;
    r->list.len = n;
    for (size_t i = 0; i < n; i++) {
        th_val *item;
        if (from_cval(s->items[0], &v->of.list.data[i], a, &item, err))
            return -1;
        r->list.items[i] = *item;
    }
    *out = r;
    return 0;
}

static int from_fields(const shape *s, const wasmtime_component_val_t *v, th_arena *a, th_val **out,
                       th_error *err)
{
    bool record = v->kind == WASMTIME_COMPONENT_RECORD;
    size_t n = record ? v->of.record.size : v->of.tuple.size;
    if (n != s->type->n_items)
        return th_error_set(err, "Wasmtime handed over %zu fields where %u were expected", n,
                            s->type->n_items);
    th_val *r = th_val_tuple(a, n);
    for (size_t i = 0; i < n; i++) {
        const wasmtime_component_val_t *f =
            record ? &v->of.record.data[i].val : &v->of.tuple.data[i];
        th_val *item;
        if (from_cval(s->items[i], f, a, &item, err))
            return -1;
        r->list.items[i] = *item;
    }
    *out = r;
    return 0;
}

static int case_index(const shape *s, const wasm_name_t *name, uint32_t *out, th_error *err)
{
    for (uint32_t i = 0; i < s->type->n_items; i++)
        if (s->name_lens[i] == name->size && memcmp(s->names[i], name->data, name->size) == 0) {
            *out = i;
            return 0;
        }
    return th_error_set(err, "Wasmtime handed over an unknown case '%.*s'", (int)name->size,
                        name->data);
}

static int from_cases(const shape *s, const wasmtime_component_val_t *v, th_arena *a, th_val **out,
                      th_error *err)
{
    uint32_t disc;
    const wasmtime_component_val_t *payload;
    switch (v->kind) {
    case WASMTIME_COMPONENT_OPTION:
        disc = v->of.option != NULL;
        payload = v->of.option;
        break;
    case WASMTIME_COMPONENT_RESULT:
        disc = !v->of.result.is_ok;
        payload = v->of.result.val;
        break;
    case WASMTIME_COMPONENT_ENUM:
        if (case_index(s, &v->of.enumeration, &disc, err))
            return -1;
        payload = NULL;
        break;
    default: /* VARIANT */
        if (case_index(s, &v->of.variant.discriminant, &disc, err))
            return -1;
        payload = v->of.variant.val;
        break;
    }
    th_val *r = th_val_new(a, s->type->kind);
    r->var.disc = disc;
    const shape *ps = s->items[disc];
    if (ps && !payload)
        return th_error_set(err, "Wasmtime handed over case %u of %s without its payload", disc,
                            th_kind_name(s->type));
    if (ps && from_cval(ps, payload, a, &r->var.payload, err))
        return -1;
    *out = r;
    return 0;
}

static int from_cval(const shape *s, const wasmtime_component_val_t *v, th_arena *a, th_val **out,
                     th_error *err)
{
    if (v->kind != s->kind)
        return unexpected(s, v, err);
    th_val_kind kind = s->type->kind;
    th_val *r;
    switch (v->kind) {
    case WASMTIME_COMPONENT_BOOL:
        r = th_val_new(a, kind);
        r->b = v->of.boolean;
        break;
    case WASMTIME_COMPONENT_U8:
        r = th_val_u64(a, kind, v->of.u8);
        break;
    case WASMTIME_COMPONENT_U16:
        r = th_val_u64(a, kind, v->of.u16);
        break;
    case WASMTIME_COMPONENT_U32:
        r = th_val_u64(a, kind, v->of.u32);
        break;
    case WASMTIME_COMPONENT_U64:
        r = th_val_u64(a, kind, v->of.u64);
        break;
    case WASMTIME_COMPONENT_CHAR:
        r = th_val_u64(a, kind, v->of.character);
        break;
    case WASMTIME_COMPONENT_S8:
    case WASMTIME_COMPONENT_S16:
    case WASMTIME_COMPONENT_S32:
    case WASMTIME_COMPONENT_S64:
        r = th_val_new(a, kind);
        r->s = v->kind == WASMTIME_COMPONENT_S8    ? v->of.s8
               : v->kind == WASMTIME_COMPONENT_S16 ? v->of.s16
               : v->kind == WASMTIME_COMPONENT_S32 ? v->of.s32
                                                   : v->of.s64;
        break;
    case WASMTIME_COMPONENT_STRING:
        r = th_val_string(a, v->of.string.data, v->of.string.size);
        break;
    case WASMTIME_COMPONENT_LIST:
        return kind == TH_VAL_BYTES ? from_bytes(s, v, a, out, err) : from_list(s, v, a, out, err);
    case WASMTIME_COMPONENT_TUPLE:
    case WASMTIME_COMPONENT_RECORD:
        return from_fields(s, v, a, out, err);
    default:
        return from_cases(s, v, a, out, err);
    }
    *out = r;
    return 0;
}

/* ---- Faults ------------------------------------------------------------------ */

static void set_fault(th_fault *f, th_fault_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_fault(th_fault *f, th_fault_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    f->kind = kind;
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
}

/* The component API reports a trap as an error, without the trap code a
 * core call carries; the three codes that decide the fault's kind are
 * recognised by Wasmtime's own wording for them. */
static bool trap_code_of(const char *msg, size_t len, wasmtime_trap_code_t *code)
{
    static const struct {
        const char *text;
        wasmtime_trap_code_t code;
    } known[] = {
        {"all fuel consumed by WebAssembly", WASMTIME_TRAP_CODE_OUT_OF_FUEL},
        {"wasm trap: interrupt", WASMTIME_TRAP_CODE_INTERRUPT},
        {"call stack exhausted", WASMTIME_TRAP_CODE_STACK_OVERFLOW},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (memmem(msg, len, known[i].text, strlen(known[i].text))) {
            *code = known[i].code;
            return true;
        }
    return false;
}

/* Besides traps (and errors of our host functions, noted as pending),
 * Wasmtime fails a call when a value the guest hands over breaks the
 * canonical ABI (a pointer out of bounds, a string that is not UTF-8, a bad
 * discriminant): it lifts component values itself, so that check is its,
 * and the fault is an ABI violation as on the core path. */
static void error_fault(th_instance *inst, wasmtime_error_t *error, th_fault *f)
{
    wasm_name_t msg;
    wasmtime_error_message(error, &msg);
    wasmtime_trap_code_t code = 0;
    bool has_code = trap_code_of(msg.data, msg.size, &code);
    bool broke_abi = !inst->has_pending && !has_code && !memmem(msg.data, msg.size, "wasm trap", 9);
    th_instance_describe_fault(inst, msg.data, msg.size, has_code, code, f);
    if (broke_abi) {
        th_fault cause = *f;
        set_fault(f, TH_FAULT_ABI, "the component broke the canonical ABI: %s", cause.message);
    }
    wasm_byte_vec_delete(&msg);
    wasmtime_error_delete(error);
}

/* ---- Host functions ---------------------------------------------------------- */

/* Ends a host call with an error that traps the guest; the cause is kept
 * as the pending fault, since Wasmtime wraps the error on its way out. */
static wasmtime_error_t *host_fail(th_instance *inst, th_fault_kind kind, const th_import *imp,
                                   const char *msg)
{
    inst->in_host = false;
    if (!inst->has_pending) {
        set_fault(&inst->pending, kind, "call to %s: %s", imp->name, msg);
        inst->has_pending = true;
    }
    return wasmtime_error_new(inst->pending.message);
}

/* Serves one import: the same steps as a core module's host call (see
 * instance.c), with component values instead of linear memory. */
static wasmtime_error_t *host_call(void *env, wasmtime_context_t *ctx,
                                   const wasmtime_component_func_type_t *ty,
                                   wasmtime_component_val_t *args, size_t nargs,
                                   wasmtime_component_val_t *results, size_t nresults)
{
    (void)ty; /* checked against the catalogue at load */
    const func_shape *fs = env;
    const th_import *imp = fs->imp;
    th_instance *inst = wasmtime_context_get_data(ctx);
    if (!inst->in_call)
        return host_fail(inst, TH_FAULT_ABI, imp,
                         "host functions may only be called during an export call");
    if (inst->in_host)
        return host_fail(inst, TH_FAULT_ABI, imp, "called while another host call is in progress");
    if (nargs != fs->n_params || nresults != (fs->result ? 1u : 0u))
        return host_fail(inst, TH_FAULT_ABI, imp, "called with the wrong number of values");
    inst->in_host = true;
    th_arena *a = &inst->host_arena;
    th_arena_reset(a);

    th_error err;
    th_val *params = th_val_tuple(a, nargs);
    for (size_t i = 0; i < nargs; i++) {
        th_val *item;
        if (from_cval(fs->params[i], &args[i], a, &item, &err))
            return host_fail(inst, TH_FAULT_ABI, imp, err.msg);
        params->list.items[i] = *item;
    }
    th_val *result = NULL;
    if (inst->replayer) {
        if (inst->replayer(inst->actor, imp, params, a, &result, &err))
            return host_fail(inst, TH_FAULT_TRAP, imp, err.msg);
    } else if (!imp->fn) {
        return host_fail(inst, TH_FAULT_TRAP, imp, "not served by this version");
    } else if (imp->fn(inst->actor, params, a, &result, &err)) {
        return host_fail(inst, TH_FAULT_TRAP, imp, err.msg);
    }
    if (inst->recorder)
        inst->recorder(inst->actor, imp, params, result);
    if (fs->result && !result)
        return host_fail(inst, TH_FAULT_ABI, imp, "the host returned no value");
    if (fs->result && to_cval(fs->result, result, &results[0], &err))
        return host_fail(inst, TH_FAULT_ABI, imp, err.msg);
    inst->in_host = false;
    return NULL;
}

/* ---- Loading: compile, check against the catalogue, link ---------------------- */

static wasmtime_component_t *compile(th_engine *engine, const th_module *m, th_error *err)
{
    char *path = th_cache_path(engine, m->hash);
    wasmtime_component_t *comp = NULL;
    if (path && access(path, R_OK) == 0) {
        wasmtime_error_t *error = wasmtime_component_deserialize_file(engine->wasm, path, &comp);
        if (error) { /* stale or foreign: recompile */
            wasmtime_error_delete(error);
            comp = NULL;
        }
    }
    if (!comp) {
        wasmtime_error_t *error = wasmtime_component_new(engine->wasm, m->wasm, m->wasm_len, &comp);
        if (error) {
            th_wasmtime_error(error, err,
                              "this is a Component Model component that Wasmtime cannot compile");
            comp = NULL;
        } else if (path) {
            wasm_byte_vec_t code;
            error = wasmtime_component_serialize(comp, &code);
            if (error) {
                wasmtime_error_delete(error); /* only costs a recompile next time */
            } else {
                th_cache_write(engine, path, (const uint8_t *)code.data, code.size);
                wasm_byte_vec_delete(&code);
            }
        }
    }
    free(path);
    return comp;
}

/* Wasmtime's names are not NUL-terminated; every name we serve is short. */
static int copy_name(const char *what, const char *name, size_t len, char *out, size_t cap,
                     th_error *err)
{
    if (len >= cap || memchr(name, 0, len))
        return th_error_set(err, "%s name '%.*s' is longer than %zu bytes or holds a NUL byte",
                            what, (int)(len < 64 ? len : 64), name, cap - 1);
    memcpy(out, name, len);
    out[len] = '\0';
    return 0;
}

static bool in_package(const char *name)
{
    return strncmp(name, PACKAGE, strlen(PACKAGE)) == 0;
}

static int not_provided(const char *iface, const char *field, th_error *err)
{
    if (th_catalog_interface_handler(iface) >= 0)
        return th_error_set(err, "import '%s#%s': interface %s has no function '%s'", iface, field,
                            iface, field);
    return th_error_set(err,
                        "import '%s%s%s' is not provided by Theater: actors reach the world only "
                        "through the theater:simple interfaces (WASI is not provided)",
                        iface, field ? "#" : "", field ? field : "");
}

/* One item of an imported interface: a function is checked and linked to
 * host_call; types need nothing (values carry their own). */
static int import_item(th_module *m, th_component *c, wasmtime_component_linker_instance_t *li,
                       const char *iface, const char *name, size_t len,
                       const wasmtime_component_item_t *item, th_error *err)
{
    if (item->kind == WASMTIME_COMPONENT_ITEM_TYPE)
        return 0;
    char field[128];
    if (copy_name("import", name, len, field, sizeof field, err))
        return -1;
    if (item->kind != WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC)
        return th_error_set(err,
                            "import '%s#%s' is a resource or another item that Theater does not "
                            "provide; theater:simple has functions and plain types only",
                            iface, field);
    const th_import *imp = th_catalog_find_import(iface, field);
    if (!imp)
        return not_provided(iface, field, err);
    func_shape *fs = th_arena_alloc(&c->arena, sizeof *fs);
    fs->imp = imp;
    if (match_func(c, "import", imp->name, &imp->type, item->of.component_func, fs, err))
        return -1;
    wasmtime_error_t *error =
        wasmtime_component_linker_instance_add_func(li, field, len, host_call, fs, NULL);
    if (error) {
        th_wasmtime_error(error, err, imp->name);
        return -1;
    }
    m->imports[m->n_imports++] = imp;
    return 0;
}

/* An imported interface becomes an instance in the linker with the
 * functions the component uses; an interface of types only (types,
 * http-types) becomes an empty one. */
static int import_interface(th_engine *engine, th_module *m, th_component *c,
                            wasmtime_component_linker_instance_t *root, const char *iface,
                            const wasmtime_component_instance_type_t *it, th_error *err)
{
    if (!in_package(iface))
        return not_provided(iface, NULL, err);
    wasmtime_component_linker_instance_t *li = NULL;
    wasmtime_error_t *error =
        wasmtime_component_linker_instance_add_instance(root, iface, strlen(iface), &li);
    if (error) {
        th_wasmtime_error(error, err, iface);
        return -1;
    }
    size_t n = wasmtime_component_instance_type_export_count(it, engine->wasm);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *name = NULL;
        size_t len = 0;
        wasmtime_component_item_t item;
        if (!wasmtime_component_instance_type_export_nth(it, engine->wasm, i, &name, &len, &item))
            break;
        rc = import_item(m, c, li, iface, name, len, &item, err);
        wasmtime_component_item_delete(&item);
    }
    wasmtime_component_linker_instance_delete(li);
    return rc;
}

static int check_imports(th_engine *engine, th_module *m, th_component *c,
                         const wasmtime_component_type_t *type, th_error *err)
{
    size_t n = wasmtime_component_type_import_count(type, engine->wasm);
    wasmtime_component_linker_instance_t *root = wasmtime_component_linker_root(c->linker);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *name = NULL;
        size_t len = 0;
        wasmtime_component_item_t item;
        if (!wasmtime_component_type_import_nth(type, engine->wasm, i, &name, &len, &item))
            break;
        char iface[128];
        rc = copy_name("import", name, len, iface, sizeof iface, err);
        if (!rc && item.kind != WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE)
            rc = th_error_set(err,
                              "import '%s' is not an interface; a component actor imports only "
                              "the theater:simple interfaces",
                              iface);
        if (!rc)
            rc = import_interface(engine, m, c, root, iface, item.of.component_instance, err);
        wasmtime_component_item_delete(&item);
    }
    wasmtime_component_linker_instance_delete(root);
    return rc;
}

static int export_id(const char *name)
{
    for (int id = 0; id < TH_EXPORT_COUNT; id++)
        if (strcmp(th_catalog_export((th_export_id)id)->name, name) == 0)
            return id;
    return -1;
}

/* A function of an exported interface: checked and indexed when the
 * catalogue knows it, ignored otherwise (as a core module's other exports). */
static int export_func(th_module *m, th_component *c,
                       const wasmtime_component_export_index_t *iface_index, const char *iface,
                       const char *name, size_t len, const wasmtime_component_item_t *item,
                       th_error *err)
{
    if (item->kind != WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC)
        return 0;
    char full[256];
    snprintf(full, sizeof full, "%s#%.*s", iface, (int)len, name);
    int id = export_id(full);
    if (id < 0)
        return 0;
    const th_export *e = th_catalog_export((th_export_id)id);
    if (match_func(c, "export", e->name, &e->type, item->of.component_func, &c->exports[id], err))
        return -1;
    c->export_index[id] = wasmtime_component_get_export_index(c->component, iface_index, name, len);
    if (!c->export_index[id])
        return th_error_set(err, "export '%s' is in the component's type but cannot be found",
                            e->name);
    m->has_export[id] = true;
    return 0;
}

static int export_interface(th_engine *engine, th_module *m, th_component *c, const char *iface,
                            const wasmtime_component_instance_type_t *it, th_error *err)
{
    wasmtime_component_export_index_t *index =
        wasmtime_component_get_export_index(c->component, NULL, iface, strlen(iface));
    if (!index)
        return th_error_set(err, "export '%s' is in the component's type but cannot be found",
                            iface);
    size_t n = wasmtime_component_instance_type_export_count(it, engine->wasm);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *name = NULL;
        size_t len = 0;
        wasmtime_component_item_t item;
        if (!wasmtime_component_instance_type_export_nth(it, engine->wasm, i, &name, &len, &item))
            break;
        rc = export_func(m, c, index, iface, name, len, &item, err);
        wasmtime_component_item_delete(&item);
    }
    wasmtime_component_export_index_delete(index);
    return rc;
}

static int check_exports(th_engine *engine, th_module *m, th_component *c,
                         const wasmtime_component_type_t *type, th_error *err)
{
    size_t n = wasmtime_component_type_export_count(type, engine->wasm);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *name = NULL;
        size_t len = 0;
        wasmtime_component_item_t item;
        if (!wasmtime_component_type_export_nth(type, engine->wasm, i, &name, &len, &item))
            break;
        char iface[128];
        if (item.kind == WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE && len < sizeof iface &&
            !copy_name("export", name, len, iface, sizeof iface, err) && in_package(iface))
            rc = export_interface(engine, m, c, iface, item.of.component_instance, err);
        wasmtime_component_item_delete(&item);
    }
    if (!rc && !m->has_export[TH_EXPORT_INIT])
        rc = th_error_set(err, "the component does not export '%s'",
                          th_catalog_export(TH_EXPORT_INIT)->name);
    return rc;
}

int th_component_load(th_engine *engine, th_module *m, th_error *err)
{
    size_t n_catalog;
    th_catalog_imports(&n_catalog);
    th_component *c = th_xcalloc(1, sizeof *c);
    m->component = c;
    m->imports = th_xcalloc(n_catalog, sizeof *m->imports); /* a component imports each once */
    c->component = compile(engine, m, err);
    if (!c->component)
        return -1;
    c->linker = wasmtime_component_linker_new(engine->wasm);
    if (!c->linker)
        return th_error_set(err, "cannot create a Wasmtime component linker");
    wasmtime_component_type_t *type = wasmtime_component_type(c->component);
    int rc = check_imports(engine, m, c, type, err);
    if (!rc)
        rc = check_exports(engine, m, c, type, err);
    wasmtime_component_type_delete(type);
    return rc;
}

void th_component_free(th_component *c)
{
    if (!c)
        return;
    for (int id = 0; id < TH_EXPORT_COUNT; id++)
        if (c->export_index[id])
            wasmtime_component_export_index_delete(c->export_index[id]);
    if (c->linker)
        wasmtime_component_linker_delete(c->linker);
    if (c->component)
        wasmtime_component_delete(c->component);
    th_arena_free(&c->arena);
    free(c);
}

/* ---- Instances and calls ------------------------------------------------------ */

/* Instantiation runs the actor's start-up code (`component new` calls its
 * _initialize from a start function), so a trap there is the actor's
 * failure; anything else (a refused limit) is reported as it is. */
static int instantiate_failed(th_instance *inst, wasmtime_error_t *error, th_error *err)
{
    wasm_name_t msg;
    wasmtime_error_message(error, &msg);
    bool trapped = inst->has_pending || memmem(msg.data, msg.size, "wasm trap", 9) != NULL;
    if (!trapped) {
        th_error_set(err, "cannot instantiate the component: %.*s", (int)msg.size, msg.data);
        wasm_byte_vec_delete(&msg);
        wasmtime_error_delete(error);
        return -1;
    }
    wasm_byte_vec_delete(&msg);
    th_fault f;
    error_fault(inst, error, &f);
    th_error_set(err, "the component's start function failed: %s", f.message);
    th_error_mark_actor(err);
    return -1;
}

int th_component_instantiate(th_instance *inst, th_error *err)
{
    const th_component *c = inst->module->component;
    wasmtime_store_limiter(inst->store, (int64_t)inst->limits.memory_bytes, MAX_TABLE_ELEMENTS,
                           MAX_CORE_INSTANCES, MAX_TABLES, MAX_MEMORIES);
    th_component_instance *ci = th_xcalloc(1, sizeof *ci);
    inst->comp = ci;
    wasmtime_error_t *error =
        wasmtime_component_linker_instantiate(c->linker, inst->ctx, c->component, &ci->instance);
    if (error)
        return instantiate_failed(inst, error, err);
    for (int id = 0; id < TH_EXPORT_COUNT; id++)
        if (inst->module->has_export[id] &&
            !wasmtime_component_instance_get_func(&ci->instance, inst->ctx, c->export_index[id],
                                                  &ci->funcs[id]))
            return th_error_set(err, "the instance lacks the export %s that its component declares",
                                th_catalog_export((th_export_id)id)->name);
    return 0;
}

void th_component_instance_free(th_component_instance *ci)
{
    free(ci); /* its functions and instance belong to the store */
}

int th_component_call(th_instance *inst, th_export_id id, const th_val *args, th_arena *a,
                      th_val **result, th_fault *fault)
{
    const th_component *c = inst->module->component;
    const func_shape *fs = &c->exports[id];
    const th_export *e = th_catalog_export(id);
    /* Every export takes (state, params): checked at load. */
    wasmtime_component_val_t cargs[2] = {{.kind = WASMTIME_COMPONENT_BOOL},
                                         {.kind = WASMTIME_COMPONENT_BOOL}};
    wasmtime_component_val_t res = {.kind = WASMTIME_COMPONENT_BOOL};
    size_t n = fs->n_params;
    th_error err;
    int rc = -1;
    if (n > 2 || args->kind != TH_VAL_TUPLE || args->list.len != n) {
        set_fault(fault, TH_FAULT_ABI, "passing arguments to %s: not (state, params)", e->name);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (to_cval(fs->params[i], &args->list.items[i], &cargs[i], &err)) {
            set_fault(fault, TH_FAULT_ABI, "passing arguments to %s: %s", e->name, err.msg);
            goto done;
        }
    wasmtime_error_t *error =
        wasmtime_component_func_call(&inst->comp->funcs[id], inst->ctx, cargs, n, &res, 1);
    if (error) {
        error_fault(inst, error, fault);
        goto done;
    }
    if (from_cval(fs->result, &res, a, result, &err)) {
        set_fault(fault, TH_FAULT_ABI, "result of %s: %s", e->name, err.msg);
        goto done;
    }
    rc = 0;
done:
    for (size_t i = 0; i < n; i++)
        wasmtime_component_val_delete(&cargs[i]);
    wasmtime_component_val_delete(&res);
    return rc;
}
