/* The value model and its self-describing encoding: exact bytes, round
 * trips, equality, every kind of malformed input, and the rendering. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/value.h"

static th_arena arena = TH_ARENA_INIT;

static th_val *int_val(th_val_kind kind, int64_t s)
{
    th_val *v = th_val_new(&arena, kind);
    v->s = s;
    return v;
}

static th_val *str(const char *s)
{
    return th_val_string(&arena, s, strlen(s));
}

static th_val *variant(uint32_t disc, th_val *payload)
{
    th_val *v = th_val_new(&arena, TH_VAL_VARIANT);
    v->var.disc = disc;
    v->var.payload = payload;
    return v;
}

static th_val *bool_val(bool b)
{
    th_val *v = th_val_new(&arena, TH_VAL_BOOL);
    v->b = b;
    return v;
}

static th_val *list_of(th_val_kind kind, size_t n, th_val **items)
{
    th_val *v = th_val_tuple(&arena, n);
    v->kind = kind;
    for (size_t i = 0; i < n; i++)
        v->list.items[i] = *items[i];
    return v;
}

/* One value of every kind, nested: the sample for round trips and for
 * truncation at every prefix. */
static th_val *sample(void)
{
    th_val *pair[] = {th_val_u64(&arena, TH_VAL_U16, 7), th_val_option(&arena, NULL)};
    th_val *inner[] = {list_of(TH_VAL_TUPLE, 2, pair), list_of(TH_VAL_TUPLE, 2, pair)};
    th_val *items[] = {
        bool_val(true),
        th_val_u64(&arena, TH_VAL_U8, 255),
        th_val_u64(&arena, TH_VAL_U16, 0xbeef),
        th_val_u64(&arena, TH_VAL_U32, 0xdeadbeef),
        th_val_u64(&arena, TH_VAL_U64, UINT64_MAX),
        int_val(TH_VAL_S8, -128),
        int_val(TH_VAL_S16, -2),
        int_val(TH_VAL_S32, INT32_MIN),
        int_val(TH_VAL_S64, INT64_MIN),
        th_val_u64(&arena, TH_VAL_CHAR, 0x1f600),
        str("h\xc3\xa9llo"),
        th_val_bytes(&arena, "\x00\xff", 2),
        list_of(TH_VAL_LIST, 2, inner),
        th_val_option(&arena, th_val_u64(&arena, TH_VAL_U64, 42)),
        th_val_ok(&arena, NULL),
        th_val_err(&arena, str("boom")),
        variant(3, NULL),
        variant(70000, str("x")),
        th_val_u64(&arena, TH_VAL_FLAGS, 0x8000000000000005ull),
    };
    return list_of(TH_VAL_TUPLE, sizeof items / sizeof items[0], items);
}

static th_val *roundtrip(const th_val *v, th_buf *enc)
{
    th_buf_reset(enc);
    th_val_encode(v, enc);
    th_error err = {0};
    th_val *back = th_val_decode(&arena, enc->data, enc->len, &err);
    if (!back)
        fprintf(stderr, "  decode failed: %s\n", err.msg);
    return back;
}

/* Checks that v encodes to exactly the given bytes and decodes back. */
static void check_bytes(const th_val *v, const char *want, size_t want_len)
{
    th_buf enc = TH_BUF_INIT;
    th_val *back = roundtrip(v, &enc);
    CHECK_EQ_INT(enc.len, want_len);
    CHECK(enc.len == want_len && memcmp(enc.data, want, want_len) == 0);
    CHECK(back && th_val_equal(v, back));
    th_buf_free(&enc);
}

TEST(exact_bytes_of_every_kind)
{
    check_bytes(bool_val(true), "\x01\x01", 2);
    check_bytes(bool_val(false), "\x01\x00", 2);
    check_bytes(th_val_u64(&arena, TH_VAL_U8, 0xab), "\x02\xab", 2);
    check_bytes(th_val_u64(&arena, TH_VAL_U16, 0x1234), "\x03\x12\x34", 3);
    check_bytes(th_val_u64(&arena, TH_VAL_U32, 0x01020304), "\x04\x01\x02\x03\x04", 5);
    check_bytes(th_val_u64(&arena, TH_VAL_U64, 0x0102030405060708ull),
                "\x05\x01\x02\x03\x04\x05\x06\x07\x08", 9);
    check_bytes(int_val(TH_VAL_S8, -1), "\x06\xff", 2);
    check_bytes(int_val(TH_VAL_S16, -2), "\x07\xff\xfe", 3);
    check_bytes(int_val(TH_VAL_S32, -3), "\x08\xff\xff\xff\xfd", 5);
    check_bytes(int_val(TH_VAL_S64, -4), "\x09\xff\xff\xff\xff\xff\xff\xff\xfc", 9);
    check_bytes(th_val_u64(&arena, TH_VAL_CHAR, 0x10ffff), "\x0a\x00\x10\xff\xff", 5);
    check_bytes(str("hi"), "\x0b\x00\x00\x00\x02hi", 7);
    check_bytes(th_val_bytes(&arena, "\x00", 1), "\x0c\x00\x00\x00\x01\x00", 6);
    th_val *two[] = {th_val_u64(&arena, TH_VAL_U8, 1), th_val_u64(&arena, TH_VAL_U8, 2)};
    check_bytes(list_of(TH_VAL_LIST, 2, two), "\x0d\x00\x00\x00\x02\x02\x01\x02\x02", 9);
    check_bytes(th_val_tuple(&arena, 0), "\x0e\x00\x00\x00\x00", 5);
    check_bytes(th_val_option(&arena, NULL), "\x0f\x00", 2);
    check_bytes(th_val_option(&arena, bool_val(true)), "\x0f\x01\x01\x01", 4);
    check_bytes(th_val_ok(&arena, NULL), "\x10\x00\x00", 3);
    check_bytes(th_val_err(&arena, bool_val(false)), "\x10\x01\x01\x01\x00", 5);
    check_bytes(variant(2, bool_val(true)), "\x11\x00\x00\x00\x02\x01\x01\x01", 8);
    check_bytes(variant(1, NULL), "\x11\x00\x00\x00\x01\x00", 6);
    check_bytes(th_val_u64(&arena, TH_VAL_FLAGS, 5), "\x12\x00\x00\x00\x00\x00\x00\x00\x05", 9);
}

TEST(round_trips_nested_sample)
{
    th_buf enc = TH_BUF_INIT;
    th_val *v = sample();
    th_val *back = roundtrip(v, &enc);
    CHECK(back != NULL);
    CHECK(back && th_val_equal(v, back));
    /* Signed values come back sign-extended. */
    CHECK(back && back->list.items[5].s == -128);
    CHECK(back && back->list.items[8].s == INT64_MIN);
    /* Decoded bytes are copies, NUL-terminated like constructed strings. */
    CHECK(back && back->list.items[10].bytes.ptr != v->list.items[10].bytes.ptr);
    CHECK(back && back->list.items[10].bytes.ptr[back->list.items[10].bytes.len] == 0);
    /* Encoding the decoded value gives the same bytes. */
    th_buf again = TH_BUF_INIT;
    if (back)
        th_val_encode(back, &again);
    CHECK(again.len == enc.len && memcmp(again.data, enc.data, enc.len) == 0);
    th_buf_free(&again);
    th_buf_free(&enc);
}

TEST(round_trips_empty_and_large)
{
    th_buf enc = TH_BUF_INIT;
    th_val *empty = str("");
    th_val *back = roundtrip(empty, &enc);
    CHECK(back && back->kind == TH_VAL_STRING && back->bytes.len == 0);

    size_t n = 100000;
    uint8_t *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(i * 7);
    th_val *bytes = th_val_bytes(&arena, big, n);
    back = roundtrip(bytes, &enc);
    CHECK(back && th_val_equal(bytes, back));
    CHECK_EQ_INT(enc.len, n + 5);
    free(big);
    th_buf_free(&enc);
}

TEST(equality)
{
    CHECK(th_val_equal(sample(), sample()));
    CHECK(th_val_equal(str("a"), str("a")));
    CHECK(!th_val_equal(str("a"), str("b")));
    CHECK(!th_val_equal(str("a"), str("ab")));
    CHECK(!th_val_equal(str("a"), th_val_bytes(&arena, "a", 1)));
    CHECK(!th_val_equal(th_val_u64(&arena, TH_VAL_U8, 1), th_val_u64(&arena, TH_VAL_U16, 1)));
    CHECK(!th_val_equal(int_val(TH_VAL_S32, -1), int_val(TH_VAL_S32, 1)));
    CHECK(!th_val_equal(bool_val(true), bool_val(false)));
    CHECK(!th_val_equal(th_val_ok(&arena, NULL), th_val_err(&arena, NULL)));
    CHECK(!th_val_equal(th_val_ok(&arena, NULL), th_val_ok(&arena, str(""))));
    CHECK(!th_val_equal(th_val_option(&arena, str("x")), th_val_option(&arena, str("y"))));
    CHECK(!th_val_equal(variant(1, NULL), variant(2, NULL)));
    th_val *one[] = {str("x")};
    th_val *two[] = {str("x"), str("y")};
    CHECK(!th_val_equal(list_of(TH_VAL_LIST, 1, one), list_of(TH_VAL_LIST, 2, two)));
    CHECK(!th_val_equal(list_of(TH_VAL_LIST, 1, one), list_of(TH_VAL_TUPLE, 1, one)));
    /* A difference deep inside. */
    th_val *a = sample(), *b = sample();
    b->list.items[12].list.items[1].list.items[0].u = 8;
    CHECK(!th_val_equal(a, b));
}

/* Decodes bytes that must be refused with exactly this message. */
static void check_refused(const char *bytes, size_t len, const char *want)
{
    th_error err = {0};
    th_val *v = th_val_decode(&arena, (const uint8_t *)bytes, len, &err);
    CHECK(v == NULL);
    CHECK_STR_EQ(err.msg, want);
}

TEST(refuses_truncation_at_every_prefix)
{
    th_buf enc = TH_BUF_INIT;
    th_val_encode(sample(), &enc);
    CHECK(enc.len > 100);
    /* A copy of exactly `cut` bytes on the heap, so ASan sees any read past
     * its end. */
    for (size_t cut = 0; cut < enc.len; cut++) {
        uint8_t *prefix = malloc(cut ? cut : 1);
        memcpy(prefix, enc.data, cut);
        th_error err = {0};
        th_val *v = th_val_decode(&arena, prefix, cut, &err);
        CHECK(v == NULL);
        CHECK_CONTAINS(err.msg, "value encoding: offset ");
        CHECK(strstr(err.msg, "input ends") || strstr(err.msg, "exceeds the bytes left"));
        free(prefix);
    }
    th_buf_free(&enc);
    check_refused("", 0, "value encoding: offset 0: input ends where a value should begin");
    check_refused("\x04\x00\x00", 3,
                  "value encoding: offset 1: input ends inside the u32 (2 of 4 bytes present)");
    check_refused("\x0e\x00\x00\x00\x02\x01\x01", 7,
                  "value encoding: offset 7: input ends where a value should begin");
}

TEST(refuses_bad_tags_and_flags)
{
    check_refused("\x00", 1, "value encoding: offset 0: unknown value tag 0");
    check_refused("\x13", 1, "value encoding: offset 0: unknown value tag 19");
    check_refused("\x0e\x00\x00\x00\x01\xff", 6, "value encoding: offset 5: unknown value tag 255");
    check_refused("\x01\x02", 2, "value encoding: offset 1: the bool is 2, not 0 or 1");
    check_refused("\x0f\x02", 2,
                  "value encoding: offset 1: the option discriminant is 2, not 0 or 1");
    check_refused("\x10\x03\x00", 3,
                  "value encoding: offset 1: the result discriminant is 3, not 0 or 1");
    check_refused("\x11\x00\x00\x00\x00\x07", 6,
                  "value encoding: offset 5: the payload flag is 7, not 0 or 1");
}

TEST(refuses_oversize_counts_before_allocating)
{
    check_refused("\x0b\x00\x00\x00\x0a"
                  "a",
                  6, "value encoding: offset 1: the string length 10 exceeds the bytes left (1)");
    check_refused("\x0c\xff\xff\xff\xff", 5,
                  "value encoding: offset 1: the byte list length 4294967295 exceeds the bytes "
                  "left (0)");
    check_refused("\x0d\xff\xff\xff\xff\x01\x01", 7,
                  "value encoding: offset 1: the list count 4294967295 exceeds the bytes left (2)");
    check_refused("\x0e\x00\x00\x00\x03\x01\x01", 7,
                  "value encoding: offset 1: the tuple count 3 exceeds the bytes left (2)");
}

TEST(refuses_bad_text)
{
    check_refused("\x0b\x00\x00\x00\x03"
                  "a\xc3\x28",
                  8, "value encoding: offset 6: string is not valid UTF-8");
    /* Overlong "/", a UTF-8-encoded surrogate, past U+10FFFF, a lone
     * continuation byte, a sequence cut at the end of the string. */
    check_refused("\x0b\x00\x00\x00\x02\xc0\xaf", 7,
                  "value encoding: offset 5: string is not valid UTF-8");
    check_refused("\x0b\x00\x00\x00\x03\xed\xa0\x80", 8,
                  "value encoding: offset 5: string is not valid UTF-8");
    check_refused("\x0b\x00\x00\x00\x04\xf4\x90\x80\x80", 9,
                  "value encoding: offset 5: string is not valid UTF-8");
    check_refused("\x0b\x00\x00\x00\x01\x80", 6,
                  "value encoding: offset 5: string is not valid UTF-8");
    check_refused("\x0b\x00\x00\x00\x02"
                  "a\xe2"
                  "\x0b",
                  8, "value encoding: offset 6: string is not valid UTF-8");
    check_refused("\x0a\x00\x00\xd8\x00", 5,
                  "value encoding: offset 1: char U+D800 is not a Unicode scalar value");
    check_refused("\x0a\x00\x11\x00\x00", 5,
                  "value encoding: offset 1: char U+110000 is not a Unicode scalar value");
    /* Byte lists are not text and take any bytes. */
    th_error err = {0};
    CHECK(th_val_decode(&arena, (const uint8_t *)"\x0c\x00\x00\x00\x01\x80", 6, &err) != NULL);
}

/* n options, each some(...), around a bool. */
static void nested_options(th_buf *out, int n)
{
    for (int i = 0; i < n; i++) {
        th_buf_append_byte(out, TH_VAL_OPTION);
        th_buf_append_byte(out, 1);
    }
    th_buf_append_byte(out, TH_VAL_BOOL);
    th_buf_append_byte(out, 1);
}

TEST(refuses_nesting_deeper_than_64)
{
    th_buf enc = TH_BUF_INIT;
    th_error err = {0};
    nested_options(&enc, 64);
    th_val *v = th_val_decode(&arena, enc.data, enc.len, &err);
    CHECK(v != NULL);
    int depth = 0;
    for (const th_val *p = v; p && p->kind == TH_VAL_OPTION; p = p->var.payload)
        depth++;
    CHECK_EQ_INT(depth, 64);

    th_buf_reset(&enc);
    nested_options(&enc, 65);
    CHECK(th_val_decode(&arena, enc.data, enc.len, &err) == NULL);
    CHECK_STR_EQ(err.msg, "value encoding: offset 128: values nested deeper than 64 levels");

    /* Lists count as nesting too. */
    th_buf_reset(&enc);
    for (int i = 0; i < 65; i++) {
        th_buf_append_byte(&enc, TH_VAL_LIST);
        th_buf_append_u32be(&enc, 1);
    }
    th_buf_append(&enc, "\x01\x00", 2);
    CHECK(th_val_decode(&arena, enc.data, enc.len, &err) == NULL);
    CHECK_STR_EQ(err.msg, "value encoding: offset 320: values nested deeper than 64 levels");
    th_buf_free(&enc);
}

TEST(refuses_trailing_bytes)
{
    check_refused("\x01\x01\x00", 3,
                  "value encoding: offset 2: the value ends here but 1 more bytes follow");
    check_refused("\x0f\x00\x0f\x00", 4,
                  "value encoding: offset 2: the value ends here but 2 more bytes follow");
}

/* Random corruption of a valid encoding: every outcome is a value or a
 * clear error, never a read out of bounds (ASan and valgrind watch). */
TEST(survives_random_corruption)
{
    th_buf enc = TH_BUF_INIT;
    th_val_encode(sample(), &enc);
    uint32_t seed = 12345;
    int refused = 0;
    for (int round = 0; round < 3000; round++) {
        uint8_t *copy = malloc(enc.len);
        memcpy(copy, enc.data, enc.len);
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245 + 12345;
            copy[(seed >> 8) % enc.len] ^= (uint8_t)(1u << (seed >> 4 & 7));
        }
        th_error err = {0};
        th_val *v = th_val_decode(&arena, copy, enc.len, &err);
        if (!v) {
            refused++;
            CHECK_CONTAINS(err.msg, "value encoding: offset ");
        }
        free(copy);
        if (round % 100 == 0)
            th_arena_reset(&arena);
    }
    CHECK(refused > 0);
    th_buf_free(&enc);
}

static void check_render(const th_val *v, size_t max_len, const char *want)
{
    th_buf out = TH_BUF_INIT;
    th_buf_append_str(&out, ">"); /* rendering appends after what is there */
    th_val_render(v, &out, max_len);
    CHECK(out.len >= 1 && out.data[0] == '>');
    CHECK(out.len - 1 <= max_len);
    CHECK_STR_EQ(th_buf_cstr(&out) + 1, want);
    th_buf_free(&out);
}

TEST(renders_compactly)
{
    th_val *inc[] = {str("inc")};
    check_render(list_of(TH_VAL_TUPLE, 1, inc), 100, "(\"inc\")");
    th_val *state[] = {th_val_bytes(&arena, "{\"count\":42}", 12)};
    check_render(th_val_ok(&arena, list_of(TH_VAL_TUPLE, 1, state)), 100,
                 "ok((\"{\\\"count\\\":42}\"))");
    check_render(th_val_option(&arena, NULL), 100, "none");
    check_render(th_val_option(&arena, th_val_bytes(&arena, "\x00\xff", 2)), 100, "some(0x00ff)");
    check_render(th_val_err(&arena, str("boom")), 100, "err(\"boom\")");
    check_render(th_val_ok(&arena, NULL), 100, "ok");
    th_val *two[] = {th_val_u64(&arena, TH_VAL_U32, 1), th_val_u64(&arena, TH_VAL_U32, 2)};
    check_render(list_of(TH_VAL_LIST, 2, two), 100, "[1, 2]");
    check_render(th_val_tuple(&arena, 0), 100, "()");
    check_render(variant(2, str("x")), 100, "variant#2(\"x\")");
    check_render(variant(0, NULL), 100, "variant#0");
    check_render(bool_val(false), 100, "false");
    check_render(int_val(TH_VAL_S64, INT64_MIN), 100, "-9223372036854775808");
    check_render(th_val_u64(&arena, TH_VAL_U64, UINT64_MAX), 100, "18446744073709551615");
    check_render(th_val_u64(&arena, TH_VAL_CHAR, 0xe9), 100, "'\xc3\xa9'");
    check_render(th_val_u64(&arena, TH_VAL_CHAR, '\''), 100, "'\\''");
    check_render(th_val_u64(&arena, TH_VAL_FLAGS, 5), 100, "flags(0x5)");
    check_render(th_val_bytes(&arena, "", 0), 100, "\"\"");
}

TEST(renders_text_with_escapes_and_binary_as_hex)
{
    check_render(str("a\"b\\c\n\x01\x7f"), 100, "\"a\\\"b\\\\c\\n\\u{1}\\u{7f}\"");
    check_render(str("h\xc3\xa9llo"), 100, "\"h\xc3\xa9llo\"");
    /* Not valid UTF-8 (a value built by hand): hex, never raw bytes. */
    check_render(th_val_string(&arena, "\xff\xfe", 2), 100, "0xfffe");
    /* Byte lists with control characters other than whitespace are data. */
    check_render(th_val_bytes(&arena, "line\n", 5), 100, "\"line\\n\"");
    check_render(th_val_bytes(&arena, "ab\x00", 3), 100, "0x616200");
}

TEST(renders_cut_at_max_len)
{
    uint8_t data[64];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i % 2 ? 0xff : 0x00);
    th_val *some = th_val_option(&arena, th_val_bytes(&arena, data, sizeof data));
    check_render(some, 14, "some(0x00ff\xe2\x80\xa6");
    check_render(str("abcdef"), 8, "\"abcdef\"");
    check_render(str("abcdefg"), 8, "\"abcd\xe2\x80\xa6");
    /* Never cut inside a character: "é" is two bytes. */
    check_render(str("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), 7, "\"\xc3\xa9\xe2\x80\xa6");
    check_render(str("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), 8, "\"\xc3\xa9\xc3\xa9\xe2\x80\xa6");
    check_render(str("abc"), 0, "");
    /* A huge list renders only what fits. */
    size_t n = 100000;
    th_val *big = th_val_tuple(&arena, n);
    big->kind = TH_VAL_LIST;
    for (size_t i = 0; i < n; i++) {
        big->list.items[i].kind = TH_VAL_U8;
        big->list.items[i].u = 7;
    }
    check_render(big, 12, "[7, 7, 7,\xe2\x80\xa6");
}

int main(void)
{
    RUN(exact_bytes_of_every_kind);
    RUN(round_trips_nested_sample);
    RUN(round_trips_empty_and_large);
    RUN(equality);
    RUN(refuses_truncation_at_every_prefix);
    RUN(refuses_bad_tags_and_flags);
    RUN(refuses_oversize_counts_before_allocating);
    RUN(refuses_bad_text);
    RUN(refuses_nesting_deeper_than_64);
    RUN(refuses_trailing_bytes);
    RUN(survives_random_corruption);
    RUN(renders_compactly);
    RUN(renders_text_with_escapes_and_binary_as_hex);
    RUN(renders_cut_at_max_len);
    th_arena_free(&arena);
    return check_summary();
}
