/* The canonical ABI on a plain buffer standing in for linear memory: type
 * layouts, round trips through memory and through flat values, and a guest
 * that lies about pointers, lengths, discriminants and UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/error.h"
#include "common/utf8.h"
#include "exec/canon.h"
#include "exec/wit_type.h"

enum { MEM_SIZE = 65536 };

typedef struct fake_guest {
    th_canon_mem mem;
    uint8_t bytes[MEM_SIZE];
    uint32_t next; /* bump allocator */
    int lie;       /* 1: realloc returns an out-of-range pointer */
} fake_guest;

static int fake_realloc(th_canon_mem *m, uint32_t old_ptr, uint32_t old_size, uint32_t align,
                        uint32_t new_size, uint32_t *out, th_error *err)
{
    (void)old_ptr;
    (void)old_size;
    fake_guest *g = m->ctx;
    if (g->lie) {
        *out = MEM_SIZE - 2;
        return 0;
    }
    uint32_t p = (g->next + align - 1) / align * align;
    if (p + new_size > MEM_SIZE)
        return th_error_set(err, "fake guest out of memory");
    g->next = p + new_size;
    *out = p;
    return 0;
}

static fake_guest *guest_new(void)
{
    fake_guest *g = calloc(1, sizeof *g);
    g->mem.base = g->bytes;
    g->mem.size = MEM_SIZE;
    g->mem.realloc = fake_realloc;
    g->mem.ctx = g;
    g->next = 1024; /* low memory is for hand-written test values */
    return g;
}

static th_arena types = TH_ARENA_INIT;

static const th_type *T(const char *text)
{
    th_error err;
    const th_type *t = th_type_parse(&types, text, &err);
    if (!t)
        fprintf(stderr, "parse %s: %s\n", text, err.msg);
    return t;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* x86 and wasm are both little-endian */
}

TEST(layouts)
{
    const th_type *t = T("result<tuple<option<list<u8>>>, string>");
    CHECK_EQ_INT(t->size, 16);
    CHECK_EQ_INT(t->align, 4);
    CHECK_EQ_INT(t->payload_offset, 4);
    CHECK_EQ_INT(t->n_flat, 4);
    t = T("result<tuple<option<list<u8>>, tuple<list<u8>>>, string>");
    CHECK_EQ_INT(t->size, 24);
    t = T("tuple<u8, u64, u16>");
    CHECK_EQ_INT(t->size, 24);
    CHECK_EQ_INT(t->align, 8);
    t = T("result<u64, string>"); /* joins i64 with i32: [i32, i64, i32] */
    CHECK_EQ_INT(t->n_flat, 3);
    CHECK_EQ_INT(t->flat[1], TH_FLAT_I64);
    CHECK_EQ_INT(t->flat[2], TH_FLAT_I32);
    CHECK_EQ_INT(t->size, 16);
    t = T("variant<string, string, _>");
    CHECK_EQ_INT(t->n_items, 3);
    CHECK(t->items[2] == NULL);
    CHECK_EQ_INT(t->size, 12);
    t = T("result");
    CHECK_EQ_INT(t->size, 1);
    CHECK_EQ_INT(t->n_flat, 1);
    t = T("tuple<string, string, string, string, string, string, string, string, string>");
    CHECK_EQ_INT(t->n_flat, TH_MAX_FLAT_PARAMS + 1); /* too many: passed through memory */
}

TEST(parse_errors)
{
    th_error err;
    CHECK(th_type_parse(&types, "list<u8", &err) == NULL);
    CHECK_STR_EQ(err.msg, "type \"list<u8\": offset 7: expected '>'");
    CHECK(th_type_parse(&types, "strin", &err) == NULL);
    CHECK_STR_EQ(err.msg, "type \"strin\": offset 0: expected a type");
    CHECK(th_type_parse(&types, "u8 u8", &err) == NULL);
    CHECK_CONTAINS(err.msg, "expected the end of the type");
}

/* Builds one value of every kind the package uses. */
static th_val *sample(th_arena *a)
{
    th_val *v = th_val_tuple(a, 7);
    v->list.items[0] = *th_val_string(a, "héllo", strlen("héllo"));
    v->list.items[1] = *th_val_bytes(a, "\x00\x01\xff", 3);
    v->list.items[2] = *th_val_option(a, th_val_bytes(a, "state", 5));
    v->list.items[3] = *th_val_err(a, th_val_string(a, "boom", 4));
    th_val *list = th_val_new(a, TH_VAL_LIST);
    list->list.items = th_arena_alloc(a, 2 * sizeof(th_val));
    list->list.len = 2;
    list->list.items[0] = *th_val_string(a, "a", 1);
    list->list.items[1] = *th_val_string(a, "bc", 2);
    v->list.items[4] = *list;
    th_val *var = th_val_new(a, TH_VAL_VARIANT);
    var->var.disc = 1;
    var->var.payload = th_val_string(a, "timeout", 7);
    v->list.items[5] = *var;
    th_val *rec = th_val_tuple(a, 2);
    rec->list.items[0] = *th_val_u64(a, TH_VAL_U16, 404);
    th_val *s = th_val_new(a, TH_VAL_S64);
    s->s = -5;
    rec->list.items[1] = *s;
    v->list.items[6] = *rec;
    return v;
}

static const char *sample_type =
    "tuple<string, list<u8>, option<list<u8>>, result<_, string>, list<string>, "
    "variant<string, string, _>, tuple<u16, s64>>";

TEST(round_trip_memory)
{
    fake_guest *g = guest_new();
    th_arena a = TH_ARENA_INIT;
    th_error err;
    const th_type *t = T(sample_type);
    th_val *v = sample(&a);
    uint32_t at = 64;
    CHECK_EQ_INT(th_canon_store(&g->mem, t, v, at, &err), 0);
    th_val *back;
    CHECK_EQ_INT(th_canon_load(&g->mem, t, at, &a, &back, &err), 0);
    CHECK(th_val_equal(v, back));
    th_arena_free(&a);
    free(g);
}

TEST(round_trip_flat)
{
    fake_guest *g = guest_new();
    th_arena a = TH_ARENA_INIT;
    th_error err;
    const th_type *t = T("tuple<option<list<u8>>, result<u64, string>, bool, s8>");
    th_val *v = th_val_tuple(&a, 4);
    v->list.items[0] = *th_val_option(&a, NULL);
    v->list.items[1] = *th_val_ok(&a, th_val_u64(&a, TH_VAL_U64, 1ULL << 40));
    th_val *b = th_val_new(&a, TH_VAL_BOOL);
    b->b = true;
    v->list.items[2] = *b;
    th_val *s = th_val_new(&a, TH_VAL_S8);
    s->s = -3;
    v->list.items[3] = *s;
    uint64_t flat[TH_MAX_FLAT_PARAMS + 1];
    size_t n = 0, pos = 0;
    CHECK_EQ_INT(th_canon_lower_flat(&g->mem, t, v, flat, &n, &err), 0);
    CHECK_EQ_INT(n, t->n_flat);
    th_val *back;
    CHECK_EQ_INT(th_canon_lift_flat(&g->mem, t, flat, &pos, &a, &back, &err), 0);
    CHECK_EQ_INT(pos, n);
    CHECK(th_val_equal(v, back));
    th_arena_free(&a);
    free(g);
}

/* Each case writes a lying value at offset 0 and expects this message. */
TEST(hostile_memory)
{
    fake_guest *g = guest_new();
    th_arena a = TH_ARENA_INIT;
    th_error err;
    th_val *out;
    const th_type *str = T("string"), *bytes = T("list<u8>"), *opt = T("option<list<u8>>");

    put32(g->bytes, MEM_SIZE - 4); /* ptr */
    put32(g->bytes + 4, 16);       /* len runs past the end */
    CHECK_EQ_INT(th_canon_load(&g->mem, bytes, 0, &a, &out, &err), -1);
    CHECK_STR_EQ(err.msg, "list<u8> at 0xfffc with 16 bytes lies outside linear memory "
                          "(65536 bytes)");

    put32(g->bytes, 0xfffffff0u); /* ptr + len wraps around 32 bits */
    put32(g->bytes + 4, 0x20);
    CHECK_EQ_INT(th_canon_load(&g->mem, bytes, 0, &a, &out, &err), -1);
    CHECK_CONTAINS(err.msg, "lies outside linear memory");

    put32(g->bytes, 100);
    put32(g->bytes + 4, 2);
    g->bytes[100] = 0xc3; /* a lone lead byte */
    g->bytes[101] = 'x';
    CHECK_EQ_INT(th_canon_load(&g->mem, str, 0, &a, &out, &err), -1);
    CHECK_STR_EQ(err.msg, "string at 0x64 is not valid UTF-8");

    g->bytes[0] = 7; /* option discriminant */
    CHECK_EQ_INT(th_canon_load(&g->mem, opt, 0, &a, &out, &err), -1);
    CHECK_STR_EQ(err.msg, "discriminant 7 at 0 is out of range (2 cases)");

    CHECK_EQ_INT(th_canon_load(&g->mem, opt, 2, &a, &out, &err), -1); /* misaligned */
    CHECK_STR_EQ(err.msg, "value pointer 0x2 is not aligned to 4");

    CHECK_EQ_INT(th_canon_load(&g->mem, opt, MEM_SIZE - 8, &a, &out, &err), -1);
    CHECK_CONTAINS(err.msg, "value at 0xfff8 with 12 bytes lies outside");

    const th_type *strings = T("list<string>");
    put32(g->bytes, 8);
    put32(g->bytes + 4, 0x40000000u); /* 2^30 elements of 8 bytes */
    CHECK_EQ_INT(th_canon_load(&g->mem, strings, 0, &a, &out, &err), -1);
    CHECK_CONTAINS(err.msg, "larger than linear memory");

    const th_type *ch = T("char");
    put32(g->bytes, 0xd800);
    CHECK_EQ_INT(th_canon_load(&g->mem, ch, 0, &a, &out, &err), -1);
    CHECK_CONTAINS(err.msg, "not a Unicode scalar value");
    th_arena_free(&a);
    free(g);
}

TEST(hostile_flat)
{
    fake_guest *g = guest_new();
    th_arena a = TH_ARENA_INIT;
    th_error err;
    th_val *out;
    size_t pos = 0;
    uint64_t bad_len[2] = {10, 0xffffffffu};
    CHECK_EQ_INT(th_canon_lift_flat(&g->mem, T("list<u8>"), bad_len, &pos, &a, &out, &err), -1);
    CHECK_CONTAINS(err.msg, "lies outside linear memory");
    pos = 0;
    uint64_t bad_disc[3] = {2, 0, 0};
    CHECK_EQ_INT(th_canon_lift_flat(&g->mem, T("option<list<u8>>"), bad_disc, &pos, &a, &out, &err),
                 -1);
    CHECK_STR_EQ(err.msg, "discriminant 2 is out of range (2 cases)");
    th_arena_free(&a);
    free(g);
}

TEST(lying_realloc)
{
    fake_guest *g = guest_new();
    g->lie = 1;
    th_arena a = TH_ARENA_INIT;
    th_error err;
    uint64_t flat[4];
    size_t n = 0;
    th_val *v = th_val_bytes(&a, "0123456789", 10);
    CHECK_EQ_INT(th_canon_lower_flat(&g->mem, T("list<u8>"), v, flat, &n, &err), -1);
    CHECK_STR_EQ(err.msg, "cabi_realloc result at 0xfffe with 10 bytes lies outside linear "
                          "memory (65536 bytes)");
    th_arena_free(&a);
    free(g);
}

TEST(utf8)
{
    CHECK(th_utf8_valid((const uint8_t *)"plain", 5));
    CHECK(th_utf8_valid((const uint8_t *)"\xf0\x9f\x8e\xad", 4));
    CHECK(!th_utf8_valid((const uint8_t *)"\xc0\x80", 2));         /* overlong NUL */
    CHECK(!th_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!th_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!th_utf8_valid((const uint8_t *)"\xe2\x82", 2));         /* truncated */
}

int main(void)
{
    RUN(layouts);
    RUN(parse_errors);
    RUN(round_trip_memory);
    RUN(round_trip_flat);
    RUN(hostile_memory);
    RUN(hostile_flat);
    RUN(lying_realloc);
    RUN(utf8);
    th_arena_free(&types);
    return check_summary();
}
