/* The self-describing byte encoding of WIT values that the chain records
 * (docs/chain.md), its hostile-input-safe decoder, and a short rendering
 * for people. All integers big-endian; one tag byte (th_val_kind) first:
 *
 *   BOOL u8 0|1          U8/S8 1 byte   U16/S16 2   U32/S32 4   U64/S64 8
 *   CHAR u32 scalar      STRING/BYTES u32 length + bytes
 *   LIST/TUPLE u32 count + values      OPTION u8 0 | u8 1 + value
 *   RESULT u8 0 ok|1 err, u8 has_payload, [value]
 *   VARIANT u32 case, u8 has_payload, [value]          FLAGS u64
 */
#include "common/utf8.h"
#include "common/value.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

enum { MAX_DEPTH = 64 };

/* ---- UTF-8 and Unicode -------------------------------------------------- */

/* ---- Encoding ----------------------------------------------------------- */

/* The executor builds values from WIT types, so a value that breaks its
 * kind's shape is a bug there; recording something else in its place would
 * make the chain lie. */
static void malformed_value(const char *what)
{
    fprintf(stderr, "theater: cannot encode a malformed value: %s\n", what);
    abort();
}

/* Bytes of the fixed-width integer kinds; 0 for the others. */
static size_t int_width(th_val_kind kind)
{
    switch (kind) {
    case TH_VAL_U8:
    case TH_VAL_S8:
        return 1;
    case TH_VAL_U16:
    case TH_VAL_S16:
        return 2;
    case TH_VAL_U32:
    case TH_VAL_S32:
    case TH_VAL_CHAR:
        return 4;
    case TH_VAL_U64:
    case TH_VAL_S64:
    case TH_VAL_FLAGS:
        return 8;
    default:
        return 0;
    }
}

static const char *scalar_name(th_val_kind kind)
{
    switch (kind) {
    case TH_VAL_U8:
        return "the u8";
    case TH_VAL_U16:
        return "the u16";
    case TH_VAL_U32:
        return "the u32";
    case TH_VAL_U64:
        return "the u64";
    case TH_VAL_S8:
        return "the s8";
    case TH_VAL_S16:
        return "the s16";
    case TH_VAL_S32:
        return "the s32";
    case TH_VAL_S64:
        return "the s64";
    case TH_VAL_CHAR:
        return "the char";
    case TH_VAL_FLAGS:
        return "the flags";
    default:
        return "the value";
    }
}

static bool is_signed_kind(th_val_kind kind)
{
    return kind == TH_VAL_S8 || kind == TH_VAL_S16 || kind == TH_VAL_S32 || kind == TH_VAL_S64;
}

static void put_uint(th_buf *out, uint64_t v, size_t width)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < width; i++)
        tmp[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    th_buf_append(out, tmp, width);
}

static void put_count(th_buf *out, size_t n)
{
    if (n > UINT32_MAX)
        malformed_value("more than 2^32-1 bytes or items");
    th_buf_append_u32be(out, (uint32_t)n);
}

static void put_payload(th_buf *out, const th_val *payload)
{
    th_buf_append_byte(out, payload ? 1 : 0);
    if (payload)
        th_val_encode(payload, out);
}

void th_val_encode(const th_val *v, th_buf *out)
{
    th_buf_append_byte(out, (uint8_t)v->kind);
    switch (v->kind) {
    case TH_VAL_BOOL:
        th_buf_append_byte(out, v->b ? 1 : 0);
        return;
    case TH_VAL_U8:
    case TH_VAL_U16:
    case TH_VAL_U32:
    case TH_VAL_U64:
    case TH_VAL_S8:
    case TH_VAL_S16:
    case TH_VAL_S32:
    case TH_VAL_S64:
    case TH_VAL_FLAGS:
        /* Signed values go out as two's complement of their width. */
        put_uint(out, is_signed_kind(v->kind) ? (uint64_t)v->s : v->u, int_width(v->kind));
        return;
    case TH_VAL_CHAR:
        if (!th_is_scalar_value(v->u))
            malformed_value("char that is not a Unicode scalar value");
        put_uint(out, v->u, 4);
        return;
    case TH_VAL_STRING:
    case TH_VAL_BYTES:
        put_count(out, v->bytes.len);
        th_buf_append(out, v->bytes.ptr, v->bytes.len);
        return;
    case TH_VAL_LIST:
    case TH_VAL_TUPLE:
        put_count(out, v->list.len);
        for (size_t i = 0; i < v->list.len; i++)
            th_val_encode(&v->list.items[i], out);
        return;
    case TH_VAL_OPTION:
        if (v->var.disc > 1 || (v->var.disc == 1 && !v->var.payload))
            malformed_value("option that is neither none nor some(value)");
        th_buf_append_byte(out, (uint8_t)v->var.disc);
        if (v->var.disc == 1)
            th_val_encode(v->var.payload, out);
        return;
    case TH_VAL_RESULT:
        if (v->var.disc > 1)
            malformed_value("result that is neither ok nor err");
        th_buf_append_byte(out, (uint8_t)v->var.disc);
        put_payload(out, v->var.payload);
        return;
    case TH_VAL_VARIANT:
        th_buf_append_u32be(out, v->var.disc);
        put_payload(out, v->var.payload);
        return;
    }
    malformed_value("unknown kind");
}

/* ---- Decoding ----------------------------------------------------------- */

typedef struct decoder {
    const uint8_t *p;
    size_t len, pos;
    int depth; /* containers open around the value being decoded */
    th_arena *arena;
    th_error *err;
} decoder;

static int __attribute__((format(printf, 3, 4)))
decode_fail(decoder *d, size_t offset, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return th_error_set(d->err, "value encoding: offset %zu: %s", offset, what);
}

static size_t bytes_left(const decoder *d)
{
    return d->len - d->pos;
}

/* Reads a big-endian unsigned integer of `width` bytes, if there are that
 * many left. */
static int read_uint(decoder *d, size_t width, const char *what, uint64_t *out)
{
    if (bytes_left(d) < width)
        return decode_fail(d, d->pos, "input ends inside %s (%zu of %zu bytes present)", what,
                           bytes_left(d), width);
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++)
        v = v << 8 | d->p[d->pos + i];
    d->pos += width;
    *out = v;
    return 0;
}

/* Reads a byte that must be 0 or 1. */
static int read_flag(decoder *d, const char *what, bool *out)
{
    size_t at = d->pos;
    uint64_t v = 0;
    if (read_uint(d, 1, what, &v))
        return -1;
    if (v > 1)
        return decode_fail(d, at, "%s is %" PRIu64 ", not 0 or 1", what, v);
    *out = v == 1;
    return 0;
}

/* Reads a u32 count of things that take at least one byte each, refusing a
 * count that the rest of the input cannot hold before anything is
 * allocated for it. */
static int read_count(decoder *d, const char *what, size_t *out)
{
    size_t at = d->pos;
    uint64_t n = 0;
    if (read_uint(d, 4, what, &n))
        return -1;
    if (n > bytes_left(d))
        return decode_fail(d, at, "%s %" PRIu64 " exceeds the bytes left (%zu)", what, n,
                           bytes_left(d));
    *out = (size_t)n;
    return 0;
}

static int decode_value(decoder *d, th_val *v);

/* Decodes a value nested in a container that starts at `container_at`. */
static int decode_nested(decoder *d, size_t container_at, th_val *v)
{
    if (d->depth >= MAX_DEPTH)
        return decode_fail(d, container_at, "values nested deeper than %d levels", MAX_DEPTH);
    d->depth++;
    int rc = decode_value(d, v);
    d->depth--;
    return rc;
}

static int decode_payload(decoder *d, size_t container_at, th_val **out)
{
    *out = th_arena_alloc(d->arena, sizeof(th_val));
    return decode_nested(d, container_at, *out);
}

static int decode_bytes(decoder *d, th_val *v)
{
    const char *what = v->kind == TH_VAL_STRING ? "the string length" : "the byte list length";
    size_t n = 0;
    if (read_count(d, what, &n))
        return -1;
    const uint8_t *src = d->p + d->pos;
    if (v->kind == TH_VAL_STRING) {
        size_t valid = th_utf8_valid_prefix(src, n);
        if (valid != n)
            return decode_fail(d, d->pos + valid, "string is not valid UTF-8");
    }
    /* With a NUL after the bytes, as th_val_string and th_val_bytes make. */
    uint8_t *copy = th_arena_alloc(d->arena, n + 1);
    if (n)
        memcpy(copy, src, n);
    v->bytes.ptr = copy;
    v->bytes.len = n;
    d->pos += n;
    return 0;
}

static int decode_items(decoder *d, size_t tag_at, th_val *v)
{
    size_t n = 0;
    if (read_count(d, v->kind == TH_VAL_LIST ? "the list count" : "the tuple count", &n))
        return -1;
    v->list.items = n ? th_arena_alloc(d->arena, n * sizeof(th_val)) : NULL;
    v->list.len = n;
    for (size_t i = 0; i < n; i++)
        if (decode_nested(d, tag_at, &v->list.items[i]))
            return -1;
    return 0;
}

static int decode_option(decoder *d, size_t tag_at, th_val *v)
{
    bool some = false;
    if (read_flag(d, "the option discriminant", &some))
        return -1;
    v->var.disc = some;
    return some ? decode_payload(d, tag_at, &v->var.payload) : 0;
}

static int decode_case(decoder *d, size_t tag_at, th_val *v)
{
    if (v->kind == TH_VAL_RESULT) {
        bool is_err = false;
        if (read_flag(d, "the result discriminant", &is_err))
            return -1;
        v->var.disc = is_err;
    } else {
        uint64_t disc = 0;
        if (read_uint(d, 4, "the variant case", &disc))
            return -1;
        v->var.disc = (uint32_t)disc;
    }
    bool has_payload = false;
    if (read_flag(d, "the payload flag", &has_payload))
        return -1;
    return has_payload ? decode_payload(d, tag_at, &v->var.payload) : 0;
}

static int decode_scalar(decoder *d, th_val *v)
{
    size_t at = d->pos, width = int_width(v->kind);
    uint64_t raw = 0;
    if (read_uint(d, width, scalar_name(v->kind), &raw))
        return -1;
    if (v->kind == TH_VAL_CHAR && !th_is_scalar_value(raw))
        return decode_fail(d, at, "char U+%04" PRIX64 " is not a Unicode scalar value", raw);
    if (!is_signed_kind(v->kind)) {
        v->u = raw;
        return 0;
    }
    /* Sign-extend from the value's width. */
    unsigned shift = (unsigned)(64 - 8 * width);
    v->s = (int64_t)(raw << shift) >> shift;
    return 0;
}

static int decode_value(decoder *d, th_val *v)
{
    size_t tag_at = d->pos;
    uint64_t tag = 0;
    if (bytes_left(d) == 0)
        return decode_fail(d, tag_at, "input ends where a value should begin");
    if (read_uint(d, 1, "the tag", &tag))
        return -1;
    memset(v, 0, sizeof *v);
    v->kind = (th_val_kind)tag;
    switch (v->kind) {
    case TH_VAL_BOOL:
        return read_flag(d, "the bool", &v->b);
    case TH_VAL_U8:
    case TH_VAL_U16:
    case TH_VAL_U32:
    case TH_VAL_U64:
    case TH_VAL_S8:
    case TH_VAL_S16:
    case TH_VAL_S32:
    case TH_VAL_S64:
    case TH_VAL_CHAR:
    case TH_VAL_FLAGS:
        return decode_scalar(d, v);
    case TH_VAL_STRING:
    case TH_VAL_BYTES:
        return decode_bytes(d, v);
    case TH_VAL_LIST:
    case TH_VAL_TUPLE:
        return decode_items(d, tag_at, v);
    case TH_VAL_OPTION:
        return decode_option(d, tag_at, v);
    case TH_VAL_RESULT:
    case TH_VAL_VARIANT:
        return decode_case(d, tag_at, v);
    }
    return decode_fail(d, tag_at, "unknown value tag %" PRIu64, tag);
}

th_val *th_val_decode(th_arena *a, const uint8_t *p, size_t len, th_error *err)
{
    decoder d = {.p = p, .len = len, .arena = a, .err = err};
    th_val *v = th_arena_alloc(a, sizeof *v);
    if (decode_value(&d, v))
        return NULL;
    if (d.pos != len) {
        decode_fail(&d, d.pos, "the value ends here but %zu more bytes follow", len - d.pos);
        return NULL;
    }
    return v;
}

/* ---- Rendering ---------------------------------------------------------- */

/* Appends to out at most `limit` bytes past `start`; once that budget is
 * spent, rendering stops early, so a huge value costs little to show. */
typedef struct renderer {
    th_buf *out;
    size_t start, limit;
} renderer;

static bool render_full(const renderer *r)
{
    return r->out->len - r->start >= r->limit;
}

static void emit(renderer *r, const void *s, size_t n)
{
    size_t used = r->out->len - r->start;
    if (used >= r->limit)
        return;
    th_buf_append(r->out, s, n < r->limit - used ? n : r->limit - used);
}

static void emit_str(renderer *r, const char *s)
{
    emit(r, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) emit_fmt(renderer *r, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        emit(r, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* One code point inside quotes: the quote itself, backslashes and control
 * characters are escaped, everything else appears as it is. */
static void emit_escaped(renderer *r, uint32_t cp, const uint8_t *raw, size_t raw_len, char quote)
{
    switch (cp) {
    case '\n':
        emit_str(r, "\\n");
        return;
    case '\r':
        emit_str(r, "\\r");
        return;
    case '\t':
        emit_str(r, "\\t");
        return;
    case '\\':
        emit_str(r, "\\\\");
        return;
    }
    if (cp == (uint32_t)quote) {
        char esc[2] = {'\\', quote};
        emit(r, esc, 2);
    } else if (is_control(cp)) {
        emit_fmt(r, "\\u{%" PRIx32 "}", cp);
    } else {
        emit(r, raw, raw_len);
    }
}

/* Renders valid UTF-8 as quoted text. */
static void render_text(renderer *r, const uint8_t *p, size_t n)
{
    emit_str(r, "\"");
    for (size_t i = 0; i < n && !render_full(r);) {
        uint32_t cp;
        size_t len = th_utf8_sequence(p + i, n - i, &cp);
        if (!len)
            break; /* callers check the text first; never loop on bad bytes */
        emit_escaped(r, cp, p + i, len, '"');
        i += len;
    }
    emit_str(r, "\"");
}

static void render_hex(renderer *r, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    emit_str(r, "0x");
    for (size_t i = 0; i < n && !render_full(r); i++) {
        char pair[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
        emit(r, pair, 2);
    }
}

/* Byte lists read as text when they are UTF-8 without control characters
 * other than the usual whitespace: JSON states, messages, names. */
static bool bytes_look_like_text(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = th_utf8_sequence(p + i, n - i, &cp);
        if (!len || (is_control(cp) && cp != '\n' && cp != '\r' && cp != '\t'))
            return false;
        i += len;
    }
    return true;
}

static void render_bytes(renderer *r, const th_val *v)
{
    const uint8_t *p = v->bytes.ptr;
    size_t n = v->bytes.len;
    bool text =
        v->kind == TH_VAL_STRING ? th_utf8_valid_prefix(p, n) == n : bytes_look_like_text(p, n);
    if (text)
        render_text(r, p, n);
    else
        render_hex(r, p, n);
}

static void render_char(renderer *r, uint64_t c)
{
    if (!th_is_scalar_value(c)) {
        emit_fmt(r, "'\\u{%" PRIx64 "}'", c);
        return;
    }
    uint8_t raw[4];
    size_t len;
    uint32_t cp = (uint32_t)c;
    if (cp < 0x80) {
        raw[0] = (uint8_t)cp, len = 1;
    } else if (cp < 0x800) {
        raw[0] = (uint8_t)(0xc0 | cp >> 6), raw[1] = (uint8_t)(0x80 | (cp & 0x3f)), len = 2;
    } else if (cp < 0x10000) {
        raw[0] = (uint8_t)(0xe0 | cp >> 12), raw[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        raw[2] = (uint8_t)(0x80 | (cp & 0x3f)), len = 3;
    } else {
        raw[0] = (uint8_t)(0xf0 | cp >> 18), raw[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
        raw[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)), raw[3] = (uint8_t)(0x80 | (cp & 0x3f));
        len = 4;
    }
    emit_str(r, "'");
    emit_escaped(r, cp, raw, len, '\'');
    emit_str(r, "'");
}

static void render_value(renderer *r, const th_val *v);

static void render_items(renderer *r, const th_val *v, const char *open, const char *close)
{
    emit_str(r, open);
    for (size_t i = 0; i < v->list.len && !render_full(r); i++) {
        if (i)
            emit_str(r, ", ");
        render_value(r, &v->list.items[i]);
    }
    emit_str(r, close);
}

/* name, or name(payload) when there is one. */
static void render_case(renderer *r, const char *name, const th_val *payload)
{
    emit_str(r, name);
    if (!payload)
        return;
    emit_str(r, "(");
    render_value(r, payload);
    emit_str(r, ")");
}

static void render_value(renderer *r, const th_val *v)
{
    if (render_full(r))
        return;
    switch (v->kind) {
    case TH_VAL_BOOL:
        emit_str(r, v->b ? "true" : "false");
        return;
    case TH_VAL_U8:
    case TH_VAL_U16:
    case TH_VAL_U32:
    case TH_VAL_U64:
        emit_fmt(r, "%" PRIu64, v->u);
        return;
    case TH_VAL_S8:
    case TH_VAL_S16:
    case TH_VAL_S32:
    case TH_VAL_S64:
        emit_fmt(r, "%" PRId64, v->s);
        return;
    case TH_VAL_CHAR:
        render_char(r, v->u);
        return;
    case TH_VAL_STRING:
    case TH_VAL_BYTES:
        render_bytes(r, v);
        return;
    case TH_VAL_LIST:
        render_items(r, v, "[", "]");
        return;
    case TH_VAL_TUPLE:
        render_items(r, v, "(", ")");
        return;
    case TH_VAL_OPTION:
        render_case(r, v->var.disc ? "some" : "none", v->var.disc ? v->var.payload : NULL);
        return;
    case TH_VAL_RESULT:
        render_case(r, v->var.disc ? "err" : "ok", v->var.payload);
        return;
    case TH_VAL_VARIANT: {
        char name[32];
        snprintf(name, sizeof name, "variant#%" PRIu32, v->var.disc);
        render_case(r, name, v->var.payload);
        return;
    }
    case TH_VAL_FLAGS:
        emit_fmt(r, "flags(0x%" PRIx64 ")", v->u);
        return;
    }
    emit_fmt(r, "<unknown kind %d>", (int)v->kind);
}

static const char ellipsis[] = "…";

void th_val_render(const th_val *v, th_buf *out, size_t max_len)
{
    /* One byte beyond max_len is enough to know that the rendering does not
     * fit and must be cut. */
    renderer r = {out, out->len, max_len == SIZE_MAX ? SIZE_MAX : max_len + 1};
    render_value(&r, v);
    if (out->len - r.start <= max_len)
        return;
    /* Cut on a character boundary, leaving room for the ellipsis. */
    size_t ell = sizeof ellipsis - 1;
    size_t keep = max_len >= ell ? max_len - ell : max_len;
    while (keep > 0 && (out->data[r.start + keep] & 0xc0) == 0x80)
        keep--;
    out->len = r.start + keep;
    if (max_len >= ell)
        th_buf_append(out, ellipsis, ell);
}
